"""The arguments of a module's ``forward``: ``input=`` (ovc's forms, torch dtypes and sizes too) as (name, shape,
type) entries, and example arguments bound to and from parameter names. torch is imported lazily."""
from __future__ import annotations

import inspect

from ovcl.frontends.errors import FrontendError
from ovcl.ir import PartialShape, Type

from .graph import torch_type


def _torch_to_ovcl(v):
    """torch dtypes and sizes in an ``input=`` value replaced by ovcl types and lists."""
    import torch
    if isinstance(v, torch.dtype):
        return torch_type(v)
    if isinstance(v, torch.Size):
        return [int(d) for d in v]
    if isinstance(v, dict):
        return {k: _torch_to_ovcl(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(_torch_to_ovcl(x) for x in v)
    if isinstance(v, list):
        return [_torch_to_ovcl(x) for x in v]
    return v


def parse_input_spec(input_spec, arg_names: list[str]) -> list[tuple[str, PartialShape | None, Type | None]]:
    """``input=`` in the forms ovc takes (see ``ovcl.ir.input_spec``): (name, shape, type) per entry, unnamed
    entries named after the forward signature's parameters in order."""
    if input_spec is None:
        return []
    from ovcl.ir.input_spec import parse_input_spec as parse
    try:
        specs = parse(_torch_to_ovcl(input_spec))
    except Exception as e:  # noqa: BLE001
        raise FrontendError(f"input={input_spec!r}: {e}") from e
    out = []
    for i, s in enumerate(specs):
        name = s.name if s.name is not None else (arg_names[i] if i < len(arg_names) else f"args_{i}")
        out.append((name, s.shape, s.type))
    return out


def forward_params(module) -> list[str]:
    try:
        sig = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def torch_dtype(t: Type):
    import torch
    return {Type.f32: torch.float32, Type.f64: torch.float64, Type.f16: torch.float16, Type.bf16: torch.bfloat16,
            Type.i64: torch.int64, Type.i32: torch.int32, Type.i16: torch.int16, Type.i8: torch.int8,
            Type.u8: torch.uint8, Type.boolean: torch.bool}[t]


def bind_arguments(module, args, kwargs) -> dict:
    try:
        sig = inspect.signature(module.forward)
        return dict(sig.bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        out = {f"args_{i}": a for i, a in enumerate(args)}
        out.update(kwargs)
        return out


def unbind_arguments(module, args, kwargs, bound):
    try:
        sig = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return args, kwargs
    new_args, new_kwargs = [], {}
    params = list(sig.parameters.values())
    for i, _ in enumerate(args):
        p = params[i]
        if p.kind == p.VAR_POSITIONAL:
            new_args.extend(bound[p.name])
            break
        new_args.append(bound[p.name])
    for k in kwargs:
        new_kwargs[k] = bound.get(k, kwargs[k])
    return tuple(new_args), new_kwargs
