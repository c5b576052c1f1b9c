"""Plans in segments, for graphs whose shapes depend on values computed at run time.

Specialisation makes every shape static except past a node D whose output shape depends on values. Two
kinds of D, one mechanism:

- bounded: D is data-dependent by nature (NonZero, Unique, ...; ``Op.data_dependent``). The head computes D
  in bounded form (outputs at upper-bound shapes plus the length of the dynamic axis); the tail starts after D.
- value: D's shape follows from the values of small integer inputs computed in the graph (a Range whose
  limit is an input, a Reshape or Expand to a computed shape, a Slice with computed ends, ...). The head
  computes those inputs; the tail starts at D, and is specialised with them as constants.

This module finds the cut and splits the graph (pure graph work); ``plans.SegmentedPlan`` runs the pieces:
the head, the read-back of the few values that decide shapes (the one synchronisation), then the tail with
its plan for those shapes or values. A tail that needs another cut is itself segmented, so any number work.
"""
from __future__ import annotations

from ovcl.ir import Model, Node, Output
from ovcl.ir.ops import parameter


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
    for info in src.output_ports():
        dst.add_output(info.copy())


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
