"""Plans in segments, for graphs whose shapes depend on values computed at run time.

Specialisation makes every shape static except past a node D whose output shape depends on values. Two
kinds of D, one mechanism:

- bounded: D is data-dependent by nature (NonZero, Unique, ...; ``Op.data_dependent``). The head computes D
  in bounded form (outputs at upper-bound shapes plus the length of the dynamic axis); the tail starts after D.
- value: D's shape follows from the values of small integer inputs computed in the graph (a Range whose
  limit is an input, a Reshape or Expand to a computed shape, a Slice with computed ends, ...). The head
  computes those inputs; the tail starts at D, and is specialised with them as constants.

The head runs, the few values that decide shapes are read (the one synchronisation), and the tail runs with
its plan for those shapes or values, cached like any other plan. A tail that needs another cut is itself
segmented, so any number work.
"""
from __future__ import annotations

import collections

import numpy as np

from ovcl.ir import Model, Node, Output
from ovcl.ir.node import _PortInfo
from ovcl.ir.ops import constant, parameter

from .errors import CompileError

VALUE_INPUT_MAX = 64          # an input with at most this many elements may decide shapes by value
TAIL_CACHE_SIZE = 8


def first_cut(model: Model) -> tuple[Node, str] | None:
    """The first node whose output shape is dynamic although its inputs are static, and its kind."""
    for node in model.get_ordered_ops():
        if all(o.get_partial_shape().is_static for o in node.outputs()):
            continue
        if not all(i.get_partial_shape().is_static for i in node.input_values()):
            continue
        return node, ("bounded" if node.op.data_dependent else "value")
    return None


def _copy_ports(src: Node, dst: Node) -> None:
    for info in src._outputs:
        p = _PortInfo()
        p.element_type, p.partial_shape = info.element_type, info.partial_shape
        p.names, p.rt_info = set(info.names), dict(info.rt_info)
        dst._outputs.append(p)


def split(model: Model, d: Node, bounded: bool):
    """Head model, tail model, the tensors that cross from one to the other, and the results' routes."""
    ordered = model.get_ordered_ops()
    tail_ids: set[int] = set() if bounded else {d.id}
    for n in ordered:
        if n is not d and any(src.node is d or src.node.id in tail_ids for src in n.input_values()):
            tail_ids.add(n.id)
    crossing: list[Output] = []
    for n in ordered:
        if n.id in tail_ids:
            for src in n.input_values():
                if src.node.id not in tail_ids and src.node.type_name != "Constant" and src not in crossing:
                    crossing.append(src)

    params = [parameter(src.get_partial_shape(), src.get_element_type(), name=f"segment_input_{k}")
              for k, src in enumerate(crossing)]
    copies: dict[int, Node] = {}

    def remap(src: Output) -> Output:
        if src.node.id in tail_ids:
            return copies[src.node.id].output(src.index)
        if src.node.type_name == "Constant":
            return src
        return params[crossing.index(src)].output(0)

    for n in ordered:
        if n.id in tail_ids:
            c = Node(n.op, [remap(s) for s in n.input_values()], dict(n.attrs), name=n.name, version=n.version)
            c.rt_info = dict(n.rt_info)
            _copy_ports(n, c)
            copies[n.id] = c

    route, head_results, tail_results = [], [], []
    extra = 1 if bounded else 0          # the bounded length rides after the crossing tensors
    for r in model.get_results():
        if r.id in tail_ids:
            route.append(("tail", len(tail_results)))
            tail_results.append(copies[r.id])
        else:
            route.append(("head", len(crossing) + extra + len(head_results)))
            head_results.append(r.input_value(0))
    head_outs = list(crossing)
    if bounded:
        b = Node(d.op, d.input_values(), dict(d.attrs), name=d.name, version=d.version)
        b.rt_info = dict(d.rt_info, bounded=True)
        b.validate()
        head_outs = [b.output(s.index) if s.node is d else s for s in crossing]
        head_outs.append(b.output(b.get_output_size() - 1))
    head = Model(head_outs + head_results, model.get_parameters(), name=f"{model.name}/head")
    tail = Model(tail_results, params, name=f"{model.name}/tail")
    return head, tail, crossing, route


class SegmentedPlan:
    def __init__(self, model: Model, d: Node, kind: str, device, config: dict):
        from .runtime import CompiledModel
        self._device, self._config = device, config
        self._bounded = kind == "bounded"
        head, self._tail_model, crossing, self._route = split(model, d, self._bounded)
        self.head = CompiledModel(head, device, config)
        self._n = len(crossing)
        if self._bounded:
            axes = d.op.upper_bounds(d)
            self._cuts = [(axes[s.index][1] if s.node is d else None) for s in crossing]
            self.tail = CompiledModel(self._tail_model, device, config)
        else:
            # inputs of D that decide its shape by value: the small ones after the data input (shapes,
            # scales, starts, repeats, k...); all of a Range's
            positions = [i for i, v in enumerate(d.input_values()) if i > 0 or d.type_name == "Range"]
            self._values = [k for k, s in enumerate(crossing)
                            if any(s == d.input_value(i) for i in positions)
                            and int(np.prod(s.get_shape(), dtype=np.int64)) <= VALUE_INPUT_MAX]
            stack = tuple(config.get("_segment_cuts", ()))
            if not self._values or d.name in stack:
                raise CompileError(f"{d.type_name} node '{d.name}': its output shape depends on values ovcl "
                                   f"cannot resolve before running it")
            config = dict(config, _segment_cuts=stack + (d.name,))
            self._config = config
            self._tails: collections.OrderedDict = collections.OrderedDict()
            self.tail = None
        self.stats = {"segmented_at": d.name, "kind": kind}

    @property
    def launches(self):
        return self.head.launches() + (self.tail.launches() if self.tail is not None else [])

    def _tail_for(self, feeds: list[np.ndarray]):
        """The tail compiled with the shape-deciding inputs as constants (cached by their values)."""
        key = tuple((feeds[k].dtype.str, feeds[k].shape, feeds[k].tobytes()) for k in self._values)
        tail = self._tails.get(key)
        if tail is None:
            from .runtime import CompiledModel
            m = self._tail_model.clone()
            params = m.get_parameters()
            m.replace_outputs({params[k].output(0): constant(feeds[k]).output(0) for k in self._values})
            keep = [p for k, p in enumerate(params) if k not in self._values]
            tail = CompiledModel(Model(m.get_results(), keep, name=m.name), self._device, self._config)
            self._tails[key] = tail
            while len(self._tails) > TAIL_CACHE_SIZE:
                self._tails.popitem(last=False)
        self._tails.move_to_end(key)
        self.tail = tail
        return tail, [f for k, f in enumerate(feeds) if k not in self._values]

    def run(self, arrays: list[np.ndarray], profile: list | None = None) -> list[np.ndarray]:
        head_out = self.head._current_plan().run(arrays, profile)
        feeds = head_out[:self._n]
        if self._bounded:
            length = int(head_out[self._n])
            feeds = [np.ascontiguousarray(a[(slice(None),) * axis + (slice(0, length),)]) if axis is not None else a
                     for a, axis in zip(feeds, self._cuts)]
            tail = self.tail
        else:
            tail, feeds = self._tail_for(feeds)
        tail_out = tail._infer(feeds) if any(kind == "tail" for kind, _ in self._route) else []
        return [head_out[i] if kind == "head" else tail_out[i] for kind, i in self._route]
