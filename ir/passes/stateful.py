"""A decoder's KV cache as model state, the way OpenVINO's stateful LLM export has it.

``make_stateful`` turns each (past input, present output) pair of a stateless decoder into a variable: the input
becomes ``ReadValue`` (initial value: zeros with no cached positions, batch taken from ``input_ids``) followed by
a ``Gather`` along the batch axis by a new ``beam_idx`` input (so beam search can reorder the cache), and the
output becomes an ``Assign``. Variable ids join the two names (``past_key_values.0.keypresent.0.key``), as
OpenVINO's ``apply_make_stateful_transformation`` names them, so OpenVINO runs the IR ovcl writes.

``make_stateless`` is the inverse: each variable becomes an explicit input and output again.

``fixed_capacity_cache`` prepares a stateful decoder for generation without a kernel build per token: each
variable keeps a fixed number of cache slots, and the step's new keys and values are written into their slots
(``ScatterUpdate`` at the ``cache_position`` input) instead of being appended, and the attention reads the
updated state. Every shape then stays the same from one decode step to the next; the caller masks the slots
not yet written through ``attention_mask``.
"""
from __future__ import annotations

import re

import numpy as np

from ..model import Model
from ..node import IRError, Node
from ..ops import constant, make
from ..ops.state import STATE_IN_PLACE, ReadValue
from ..shape import PartialShape

# optimum-intel's names of a decoder's cache inputs and outputs
_PAST = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")


def kv_cache_pairs(model: Model) -> dict[str, str]:
    """{past input name: present output name} of a decoder with the usual names (``past_key_values.N.key`` /
    ``present.N.key``), in input order."""
    outputs = {n for o in model.outputs for n in o.get_names()}
    pairs = {}
    for p in model.inputs:
        for name in sorted(p.get_names()):
            m = _PAST.match(name)
            if m and f"present.{m.group(1)}.{m.group(2)}" in outputs:
                pairs[name] = f"present.{m.group(1)}.{m.group(2)}"
                break
    return pairs


def _batch_of(model: Model, batch_input: str):
    """A 1-element i64 tensor: the batch size of ``batch_input``, for the initial (empty) cache."""
    src = model.input(batch_input)
    shape = make("ShapeOf", [src], name=f"{batch_input}/shape", output_type="i64")
    return make("Gather", [shape, constant(np.array([0], np.int64)), constant(np.array(0, np.int64))],
                name=f"{batch_input}/batch")


def make_stateful(model: Model, pairs: dict[str, str] | None = None, batch_input: str = "input_ids",
                  beam_idx: bool = True) -> Model:
    """Turn each (input name: output name) pair of ``model`` into a variable, in place; ``pairs`` defaults to the
    KV-cache names (``kv_cache_pairs``). Each input must have shape ``[batch, ..., 0-or-more positions, ...]``
    with its batch first; its initial value has the input's static dimensions and zero for each dynamic one other
    than the batch. Returns the model."""
    pairs = kv_cache_pairs(model) if pairs is None else dict(pairs)
    if not pairs:
        raise IRError(f"model '{model.name}': no past_key_values.N.key / present.N.key pairs to make stateful")
    params = {n: p.node for p in model.inputs for n in p.get_names()}
    results = {n: r for r in model.get_results() for n in r.input_value(0).get_names()}
    missing = [n for n in pairs if n not in params] + [n for n in pairs.values() if n not in results]
    if missing:
        raise IRError(f"model '{model.name}' has no input or output named {', '.join(map(repr, missing))}")
    batch = _batch_of(model, batch_input) if batch_input in params else None
    beam = None
    if beam_idx:
        beam = make("Parameter", [], name="beam_idx", element_type="i32", shape=PartialShape([-1]))
        beam.output(0).set_names({"beam_idx"})
    replaced, sinks = {}, []
    for past_name, present_name in pairs.items():
        param, result = params[past_name], results[present_name]
        ps, t = param.get_output_partial_shape(0), param.get_output_element_type(0)
        if ps.rank_is_dynamic or len(ps) < 1:
            raise IRError(f"input '{past_name}' needs a known rank to become a variable")
        if batch is None and ps[0].is_dynamic:
            raise IRError(f"input '{past_name}': its batch is dynamic and the model has no '{batch_input}' input "
                          f"to take it from")
        dims = [batch.output(0) if batch is not None else constant(np.array([ps[0].get_length()], np.int64))]
        dims += [constant(np.array([d.get_length() if d.is_static else 0], np.int64)) for d in list(ps)[1:]]
        shape = make("Concat", dims, name=f"{past_name}/initial_shape", axis=0)
        zero = constant(np.zeros((), t.dtype), t)
        initial = make("Broadcast", [zero, shape], name=f"{past_name}/initial", mode="numpy")
        vid = past_name + present_name
        read = make("ReadValue", [initial], name=past_name, variable_id=vid, variable_type=t.name,
                    variable_shape=PartialShape(ps))
        value = read
        if beam is not None:
            value = make("Gather", [read, beam, constant(np.array(0, np.int64))], name=f"{past_name}/beam_gather")
        replaced[param.output(0)] = value.output(0)
        sinks.append(make("Assign", [result.input_value(0)], name=present_name, variable_id=vid))
        model.remove_parameter(param)
        model.remove_result(result)
    model.replace_outputs(replaced)
    for old in replaced:          # the names of the inputs that went stay on nothing
        old._info.names = set()
    if beam is not None:
        model.add_parameters([beam])
    model.add_sinks(sinks)
    model.validate_nodes_and_infer_types()
    return model


def make_stateless(model: Model) -> Model:
    """Each variable becomes an input (named like the ReadValue, ``past_key_values.N.key``) and an output (named
    like the Assign, ``present.N.key``), in place; ``beam_idx`` goes where it only reordered state. Returns the
    model."""
    reads = [n for n in model.get_ordered_ops() if n.type_name == "ReadValue"]
    assigns = {s.attrs["variable_id"]: s for s in model.get_sinks()}
    replaced = {}
    for read in reads:
        vid = read.attrs["variable_id"]
        assign = assigns.get(vid)
        if assign is None:
            raise IRError(f"variable '{vid}' has a ReadValue and no Assign")
        _, t, ps = ReadValue.variable(read)
        param = make("Parameter", [], name=read.name, element_type=t.name, shape=ps)
        param.output(0).set_names({read.name})
        replaced[read.output(0)] = param.output(0)
        value = assign.input_value(0)
        value.add_names({assign.name})
        model.add_parameters([param])
        model.add_results([make("Result", [value], name=f"{assign.name}/sink_port_0")])
        model.remove_sink(assign)
    model.replace_outputs(replaced)
    for p in model.get_parameters():
        if "beam_idx" in p.output(0).get_names():
            _drop_beam_gathers(model, p)
    model.validate_nodes_and_infer_types()
    return model


def _drop_beam_gathers(model: Model, beam: Node, any_data: bool = False) -> None:
    """Gathers by ``beam_idx`` along the batch of a former variable read (``any_data``: of anything) become
    their data; ``beam_idx`` goes when nothing else reads it."""
    users = _users(model)[beam.output(0)]
    bypass = {}
    for n in users:
        if n.type_name == "Gather" and n.input_value(1).node is beam \
                and (any_data or n.input_value(0).node.type_name == "Parameter"):
            bypass[n.output(0)] = n.input_value(0)
    model.replace_outputs(bypass)
    if len(bypass) == len(users):
        model.remove_parameter(beam)


KV_MASK_WIDTH = "ovcl_kv_mask_width"    # fixed_capacity_cache's model rt_info: "slots" or "slots+new"


def fixed_capacity_cache(model: Model, position_input: str = "cache_position") -> Model:
    """A copy of stateful decoder ``model`` whose variables have a fixed number of slots along their sequence
    axis: where a variable's new value is ``Concat(read, new)`` (the cache grown by the step's keys or values),
    it becomes ``ScatterUpdate(read, cache_position, new)``, the step's entries written into the slots that a new
    i64 input ``position_input`` names (one per new position, ascending). Shapes then repeat from step to step,
    and so do the compiled plans. Reordering by ``beam_idx`` goes (the copy is for one sequence per batch row).

    Where every attention over the caches is a ScaledDotProductAttention with a mask, reading the grown cache
    (perhaps repeated per query-head group), it reads the updated state instead: keys and values at their
    slots, no copy of the cache per step, a mask of the slots' width made from ``attention_mask`` (which slots
    hold entries) and ``cache_position`` (a query sees the slots up to its own position). Otherwise the
    Concat stays for the attention and ``attention_mask`` covers the slots and then the new positions.
    ``rt_info[KV_MASK_WIDTH]`` says which ("slots" or "slots+new"). Either way the read value and the update
    are marked ``STATE_IN_PLACE``: the update is written into the state buffer itself."""
    model = model.clone()
    position = make("Parameter", [], name=position_input, element_type="i64", shape=PartialShape([-1]))
    position.output(0).set_names({position_input})
    beams = [p for p in model.get_parameters() if "beam_idx" in p.output(0).get_names()]
    if beams:
        _drop_beam_gathers(model, beams[0], any_data=True)
    grown = {}                          # Concat(read, new) output -> (its ScatterUpdate, the read, the axis)
    for assign in model.get_sinks():
        concat = assign.input_value(0).node
        if concat.type_name != "Concat" or concat.get_input_size() != 2 \
                or concat.input_value(0).node.type_name != "ReadValue":
            continue
        read = concat.input_value(0).node
        axis = int(concat.attrs["axis"]) % len(concat.get_output_partial_shape(0))
        scatter = make("ScatterUpdate", [read.output(0), position.output(0), concat.input_value(1),
                                         constant(np.array(axis, np.int64))], name=f"{assign.name}/slot_write")
        assign.set_input(0, scatter.output(0))
        grown[concat.output(0)] = (scatter, read, axis)
    if not grown:
        raise IRError(f"model '{model.name}': no variable is updated by appending to it (Concat of the variable "
                      f"and new entries), so its cache cannot have fixed slots")
    model.add_parameters([position])
    width = "slots" if _attend_to_state(model, grown, position) else "slots+new"
    model.rt_info[KV_MASK_WIDTH] = width
    users = _users(model)
    for concat, (scatter, read, _) in grown.items():
        readers = {n for n in users[read.output(0)] if n.type_name != "ShapeOf"}   # shapes are no reads
        if readers == ({scatter} if width == "slots" else {scatter, concat.node}):
            vid = read.attrs["variable_id"]
            read.rt_info[STATE_IN_PLACE] = scatter.rt_info[STATE_IN_PLACE] = vid
    model.validate_nodes_and_infer_types()
    return model


def _attend_to_state(model: Model, grown: dict, position: Node) -> bool:
    """Point every attention that reads a grown cache at the updated state (``fixed_capacity_cache``), with
    a mask of the slots' width; False, changing nothing, where one cannot be: something other than a
    ScaledDotProductAttention with a mask reads a grown cache (shapes aside), or reads it as its query."""
    masks = [p for p in model.get_parameters() if "attention_mask" in p.output(0).get_names()]
    users = _users(model)
    readers = set()
    for cache in grown:
        for user in users[cache]:
            if user.type_name == "ShapeOf":
                continue
            grouped = _head_groups_from(user, users)
            if grouped is None and user.type_name != "ScaledDotProductAttention":
                return False
            readers.update(users[grouped] if grouped is not None else [user])
    rewrites = []
    for sdpa in readers:
        if sdpa.type_name != "ScaledDotProductAttention" or sdpa.get_input_size() < 4 or not masks:
            return False
        sources = [_through_head_groups(sdpa.input_value(k)) for k in range(3)]
        if sources[0] in grown or sources[1] not in grown or sources[2] not in grown \
                or any(grown[s][2] != len(s.get_partial_shape()) - 2 for s in sources[1:]):   # along the keys
            return False
        rewrites.append((sdpa, grown[sources[1]], grown[sources[2]]))
    if not rewrites:
        return False
    _, read, axis = rewrites[0][1]
    slots = make("Gather", [make("ShapeOf", [read.output(0)], output_type="i64").output(0),
                            constant(np.array(axis, np.int64)), constant(np.array(0, np.int64))])
    columns = make("Range", [constant(np.array(0, np.int64)), slots.output(0), constant(np.array(1, np.int64))],
                   output_type="i64")
    seen = make("LessEqual", [_unsqueeze(columns.output(0), [0]), _unsqueeze(position.output(0), [1])])
    held = make("Convert", [masks[0].output(0)], destination_type="boolean")
    mask = make("LogicalAnd", [seen.output(0), _unsqueeze(held.output(0), [1, 2])], name="slots_mask")
    for sdpa, (key, _, _), (value, _, _) in rewrites:
        sdpa.set_input(1, key.output(0))
        sdpa.set_input(2, value.output(0))
        sdpa.set_input(3, mask.output(0))
        sdpa.attrs["causal"] = False
    return True


def _unsqueeze(value, axes: list[int]):
    return make("Unsqueeze", [value, constant(np.array(axes, np.int64))]).output(0)


def _head_groups_from(unsqueeze: Node, users: dict):
    """The output of the head-group repetition (``_through_head_groups``) that starts at ``unsqueeze``, else
    None."""
    if unsqueeze.type_name != "Unsqueeze" or len(users[unsqueeze.output(0)]) != 1:
        return None
    expand = users[unsqueeze.output(0)][0]
    if expand.type_name != "Broadcast" or len(users[expand.output(0)]) != 1:
        return None
    out = users[expand.output(0)][0].output(0)
    return out if _through_head_groups(out) == unsqueeze.input_value(0) else None


def _through_head_groups(value):
    """The tensor ``value`` repeats per query-head group (transformers' repeat_kv: Unsqueeze at axis 2,
    Broadcast, Reshape to [batch, heads, length, size]), else ``value`` itself."""
    node = value.node
    if node.type_name != "Reshape":
        return value
    expand = node.input_value(0).node
    if expand.type_name != "Broadcast" or expand.input_value(0).node.type_name != "Unsqueeze":
        return value
    unsq = expand.input_value(0).node
    axes = unsq.input_value(1).node
    if axes.type_name != "Constant" or [int(a) for a in np.asarray(axes.value).reshape(-1)] != [2]:
        return value
    return unsq.input_value(0)


def _users(model: Model) -> dict:
    """Each output -> the nodes that read it (a node once per input that reads it)."""
    users: dict = {}
    for node in model.get_ordered_ops():
        for value in node.input_values():
            users.setdefault(value, []).append(node)
        for out in node.outputs():
            users.setdefault(out, [])
    return users


__all__ = ["kv_cache_pairs", "make_stateful", "make_stateless", "fixed_capacity_cache", "KV_MASK_WIDTH"]
