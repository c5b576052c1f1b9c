"""Plans in segments, for graphs where an op's output shape depends on values (``Op.data_dependent``).

The graph is cut after the first such op D. The head computes D in bounded form (outputs at their upper-bound
shapes plus the length of the dynamic axis) and every other tensor the rest needs; the tail is the rest, a
model of its own whose inputs are those tensors. At run time the head runs, the length is read (the one
synchronisation), D's outputs are cut to it, and the tail runs with the plan for the resolved shapes, cached
like any other plan. A tail with another data-dependent op is itself segmented, so any number work.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Model, Node, Output
from ovcl.ir.node import _PortInfo
from ovcl.ir.ops import parameter


def _copy_ports(src: Node, dst: Node) -> None:
    for info in src._outputs:
        p = _PortInfo()
        p.element_type, p.partial_shape = info.element_type, info.partial_shape
        p.names, p.rt_info = set(info.names), dict(info.rt_info)
        dst._outputs.append(p)


def split(model: Model, d: Node):
    """Head model, tail model, and how to route tensors between them and to the model's results."""
    ordered = model.get_ordered_ops()
    tail_ids: set[int] = set()
    for n in ordered:
        if n is not d and any(src.node is d or src.node.id in tail_ids for src in n.input_values()):
            tail_ids.add(n.id)

    bounded = Node(d.op, d.input_values(), dict(d.attrs), name=d.name, version=d.version)
    bounded.rt_info = dict(d.rt_info, bounded=True)
    bounded.validate()

    crossing: list[Output] = []
    for n in ordered:
        if n.id in tail_ids:
            for src in n.input_values():
                if src.node.id not in tail_ids and src.node.type_name != "Constant" and src not in crossing:
                    crossing.append(src)
    axes = d.op.upper_bounds(d)

    # the tail: copies of the tail nodes, reading new parameters where they read the head
    params: list[Node] = []
    copies: dict[int, Node] = {}

    def remap(src: Output) -> Output:
        if src.node.id in tail_ids:
            return copies[src.node.id].output(src.index)
        if src.node.type_name == "Constant":
            return src
        k = crossing.index(src)
        return params[k].output(0)

    for k, src in enumerate(crossing):
        params.append(parameter(src.get_partial_shape(), src.get_element_type(), name=f"segment_input_{k}"))
    for n in ordered:
        if n.id in tail_ids:
            c = Node(n.op, [remap(s) for s in n.input_values()], dict(n.attrs), name=n.name, version=n.version)
            c.rt_info = dict(n.rt_info)
            _copy_ports(n, c)
            copies[n.id] = c

    # where each model result comes from
    route = []
    head_results: list[Output] = []
    tail_results: list[Node] = []
    for r in model.get_results():
        if r.id in tail_ids:
            route.append(("tail", len(tail_results)))
            tail_results.append(copies[r.id])
        else:
            route.append(("head", len(crossing) + 1 + len(head_results)))
            head_results.append(r.input_value(0))
    head_outs = [bounded.output(s.index) if s.node is d else s for s in crossing]
    head_outs.append(bounded.output(bounded.get_output_size() - 1))
    head = Model(head_outs + head_results, model.get_parameters(), name=f"{model.name}/head")
    tail = Model(tail_results, params, name=f"{model.name}/tail")
    cuts = [(axes[s.index][1] if s.node is d else None) for s in crossing]
    return head, tail, cuts, route


class SegmentedPlan:
    def __init__(self, model: Model, d: Node, device, config: dict):
        from .runtime import CompiledModel
        head, tail, self._cuts, self._route = split(model, d)
        self.head = CompiledModel(head, device, config)
        self.tail = CompiledModel(tail, device, config)
        self.inputs = self.head._model.inputs
        self.stats = {"segmented_at": d.name}

    @property
    def launches(self):
        return self.head.launches() + self.tail.launches()

    def run(self, arrays: list[np.ndarray], profile: list | None = None) -> list[np.ndarray]:
        head_out = self.head._current_plan().run(arrays, profile)
        length = int(head_out[len(self._cuts)])
        feeds = []
        for a, axis in zip(head_out, self._cuts):
            if axis is not None:
                a = np.ascontiguousarray(a[(slice(None),) * axis + (slice(0, length),)])
            feeds.append(a)
        tail_out = self.tail._infer(feeds) if self._route and any(k == "tail" for k, _ in self._route) else []
        return [head_out[i] if kind == "head" else tail_out[i] for kind, i in self._route]
