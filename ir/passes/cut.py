"""Cutting a model, as ``convert_model(input=..., output=...)`` does: ``apply_input_spec`` sets input shapes and
element types, and a name that is not a model input but a tensor inside the graph cuts the graph there (the
tensor becomes a new input and what only fed it is dropped, as in OpenVINO); ``cut_outputs`` makes named
tensors the outputs."""
from __future__ import annotations

import re

from ..errors import IRError
from ..input_spec import InputSpec, parse_input_spec
from ..model import Model
from ..node import Node, Output
from ..ops import make

__all__ = ["apply_input_spec", "cut_outputs"]


def _reachable(model: Model) -> set[int]:
    seen: set[int] = set()
    stack = list(model.get_results())
    while stack:
        n = stack.pop()
        if n.id in seen:
            continue
        seen.add(n.id)
        stack.extend(i.node for i in n.input_values())
    return seen


def _find_tensor(model: Model, name: str) -> Output | None:
    nodes = model.get_ordered_ops()
    for n in nodes:
        if n.type_name == "Result":
            continue
        for k in range(n.get_output_size()):
            if name in n.output(k)._info.names:
                return n.output(k)
    m = re.fullmatch(r"(.*):(\d+)", name)
    for n in nodes:
        if n.type_name == "Result":
            continue
        if n.name == name and n.get_output_size() >= 1:
            return n.output(0)
        if m and n.name == m.group(1) and int(m.group(2)) < n.get_output_size():
            return n.output(int(m.group(2)))
    return None


def _known_names(model: Model, limit: int = 12) -> str:
    names = []
    for p in model.get_parameters():
        names.append(min(p.output(0).get_names()) if p.output(0).get_names() else p.name)
    return ", ".join(names[:limit])


def apply_input_spec(model: Model, spec) -> Model:
    """Set input shapes and element types (and cut at named inner tensors) in place; returns ``model``.

    The work is done on a copy first, so a spec that does not fit leaves ``model`` as it was."""
    specs = parse_input_spec(spec)
    if not specs:
        return model
    work = model.clone()
    _apply(work, specs, spec)
    model.replace_graph(work)
    return model


def _apply(model: Model, specs: list[InputSpec], spec) -> None:
    named = [s for s in specs if s.name is not None]
    if named and len(named) != len(specs):
        raise IRError(f"input={spec!r}: either name every input or none (unnamed entries apply to the "
                      f"model's inputs in order)")
    params = model.get_parameters()
    targets: list[tuple[InputSpec, Node]] = []
    cut = False
    if not named:
        if len(specs) > len(params):
            raise IRError(f"input={spec!r} gives {len(specs)} inputs but model '{model.name}' has "
                          f"{len(params)} ({_known_names(model)})")
        targets = list(zip(specs, params))
    else:
        by_name: dict[str, Node] = {}
        for p in params:
            for n in p.output(0).get_names():
                by_name.setdefault(n, p)
        for p in params:
            by_name.setdefault(p.name, p)
        for s in specs:
            p = by_name.get(s.name)
            if p is None:
                tensor = _find_tensor(model, s.name)
                if tensor is None:
                    raise IRError(f"input '{s.name}': model '{model.name}' has no input or tensor of that name "
                                  f"(its inputs: {_known_names(model)})")
                p = make("Parameter", [], name=s.name, element_type=tensor.get_element_type().name,
                         shape=tensor.get_partial_shape())
                model.replace_outputs({tensor: p.output(0)})
                p.output(0)._info.names.add(s.name)
                by_name[s.name] = p
                cut = True
            targets.append((s, p))
    seen: set[int] = set()
    for s, p in targets:
        if p.id in seen:
            raise IRError(f"input={spec!r} names input '{s.name}' twice")
        seen.add(p.id)
        if s.shape is not None:
            p.attrs["shape"] = s.shape
        if s.type is not None:
            p.attrs["element_type"] = s.type.name
    if named:
        order = [p for _, p in targets]
        reach = _reachable(model) if cut else None
        rest = [p for p in params if p.id not in seen and (reach is None or p.id in reach)]
        model.set_parameters(order + rest)
    try:
        model.validate_nodes_and_infer_types()
    except IRError as e:
        raise IRError(f"input={spec!r} does not fit model '{model.name}': {e}") from None


def cut_outputs(model: Model, names) -> Model:
    """A model whose outputs are the named tensors (a string, comma-separated string, or list of names)."""
    if isinstance(names, (str, Output)):
        names = [names]
    wanted: list[str | Output] = []
    for n in names:
        if isinstance(n, str):
            wanted += [s.strip() for s in n.split(",") if s.strip()] if n not in _all_names(model) else [n]
        else:
            wanted.append(n)
    if not wanted:
        raise IRError("output= names no tensor")
    outs: list[Output] = []
    for n in wanted:
        if isinstance(n, Output):
            outs.append(n)
            continue
        t = _find_tensor(model, n)
        if t is None:
            known = ", ".join(sorted(_all_names(model))[:20])
            raise IRError(f"output '{n}': model '{model.name}' has no tensor of that name (some of its tensors: "
                          f"{known})")
        outs.append(t)
    for o in outs:
        if not o.get_names():
            o._info.names.add(o.node.name)
    cut = Model(outs, [], model.name)
    reach = _reachable(cut)
    params = [p for p in model.get_parameters() if p.id in reach]
    stray = [n for n in cut.get_ordered_ops() if n.type_name == "Parameter" and n.id not in {p.id for p in params}]
    cut = Model(cut.get_results(), params + stray, model.name)
    cut.rt_info = dict(model.rt_info)
    return cut


def _all_names(model: Model) -> set[str]:
    names: set[str] = set()
    for n in model.get_ordered_ops():
        if n.type_name == "Result":
            continue
        for k in range(n.get_output_size()):
            names |= n.output(k)._info.names
    return names
