"""Capturing a ``torch.nn.Module`` with ``torch.export`` (non-strict; every dimension dynamic unless ``input=``
makes it static), lowering it to core ATen where needed (the high-level ops ovcl translates whole, ``KEEP``, stay),
and ``convert``: capture, then the ``graph.Converter``. torch is imported lazily."""
from __future__ import annotations

import warnings

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Model, PartialShape, Type

from .arguments import bind_arguments, forward_params, parse_input_spec, torch_dtype, unbind_arguments
from .decoders import convert as convert_decoder, is_cached_decoder
from .graph import Converter, find_translator, require_torch, target_name, torch_type


KEEP = (
    "linear.default", "layer_norm.default", "gelu.default", "scaled_dot_product_attention.default",
    "matmul.default", "baddbmm.default", "masked_fill.Scalar", "masked_fill.Tensor", "silu.default",
    "hardswish.default", "hardsigmoid.default", "hardtanh.default", "relu6.default", "mish.default",
    "softplus.default", "elu.default", "leaky_relu.default", "conv1d.default", "conv2d.default",
    "conv3d.default", "conv2d.padding", "conv1d.padding", "flatten.using_ints", "adaptive_avg_pool1d.default",
    "adaptive_avg_pool2d.default", "adaptive_avg_pool3d.default", "max_pool2d.default", "max_pool1d.default",
    "max_pool3d.default", "batch_norm.default", "group_norm.default", "rms_norm.default",
    "softmax.int", "log_softmax.int", "upsample_nearest2d.vec", "upsample_bilinear2d.vec",
    "upsample_nearest2d.default", "upsample_bilinear2d.default", "pixel_shuffle.default",
)


def needs_decomposition(ep) -> bool:
    """Whether the exported graph has ops ovcl does not translate directly (in-place ops, higher-order ops,
    composite ops); when it has none, the decomposition pass (a full re-trace) is skipped: it would keep
    every op as it is or split ops ovcl translates whole."""
    for node in ep.graph.nodes:
        if node.op == "call_function" and find_translator(target_name(node.target)) is None:
            return True
    return False


def _decompositions():
    import torch
    table = torch.export.default_decompositions()
    for name in KEEP:
        packet, overload = name.rsplit(".", 1)
        op = getattr(getattr(torch.ops.aten, packet, None), overload, None)
        if op is not None:
            table.pop(op, None)
    return table


def _as_tensor(x):
    import torch
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    return x


def _example_args(example_input):
    import torch
    if example_input is None:
        return (), {}
    if isinstance(example_input, dict):
        return (), {k: _as_tensor(v) for k, v in example_input.items()}
    if isinstance(example_input, (list, tuple)):
        return tuple(_as_tensor(v) for v in example_input), {}
    if isinstance(example_input, (torch.Tensor, np.ndarray)):
        return (_as_tensor(example_input),), {}
    return (example_input,), {}


def export(module, example_input=None, input_spec=None):
    """Capture ``module`` with ``torch.export``: every dimension dynamic (``Dim.AUTO``) unless ``input_spec``
    makes it static. Returns (ExportedProgram, {input name: declared shape}, {input name: declared type})."""
    import torch
    names = forward_params(module)
    declared = parse_input_spec(input_spec, names)
    shapes = {n: s for n, s, _ in declared if s is not None}
    types = {n: t for n, s, t in declared if t is not None}
    args, kwargs = _example_args(example_input)
    unknown = [n for n, _, _ in declared if names and n not in names]
    if unknown:
        raise FrontendError(f"input=...: {', '.join(repr(n) for n in unknown)} not a parameter of "
                            f"{type(module).__name__}.forward ({', '.join(names)})")
    if not args and not kwargs:
        if not declared:
            raise FrontendError("converting a torch.nn.Module needs example_input=... (a tensor, a tuple of "
                                "tensors or a dict of keyword tensors) or input=... with every input's shape")
        for n, s, t in declared:
            if s is None or s.rank_is_dynamic:
                raise FrontendError(f"input '{n}': give its rank in input=... or pass example_input=...")
            dims = [d.get_length() if d.is_static else max(d.get_min_length(), 2) for d in s]
            dt = torch_dtype(t or Type.f32)
            if dt.is_floating_point:
                kwargs[n] = torch.randn(dims, dtype=dt)
            else:
                kwargs[n] = torch.ones(dims, dtype=dt)
    else:
        # bring the example tensors to the declared types
        bound = bind_arguments(module, args, kwargs)
        for n, t in types.items():
            v = bound.get(n)
            if isinstance(v, torch.Tensor) and torch_type(v.dtype) != t:
                bound[n] = v.to(torch_dtype(t))
        args, kwargs = unbind_arguments(module, args, kwargs, bound)
    bound = bind_arguments(module, args, kwargs)
    for n, s in shapes.items():
        v = bound.get(n)
        if isinstance(v, torch.Tensor) and not s.rank_is_dynamic:
            fits = len(s) == v.dim() and all(d.is_dynamic or d.get_length() == v.shape[k] for k, d in enumerate(s))
            if not fits:
                raise FrontendError(f"input '{n}': example_input has shape {list(v.shape)} but input= declares {s}")
    dyn = {}
    for n, v in bound.items():
        dyn[n] = _dynamic_spec(v, shapes.get(n))
    module_name = type(module).__name__
    with torch.no_grad():
        try:
            ep = torch.export.export(module, tuple(args), dict(kwargs), dynamic_shapes=dyn, strict=False)
        except Exception as e:  # noqa: BLE001 - retried with static shapes, then reported
            try:
                ep = torch.export.export(module, tuple(args), dict(kwargs), strict=False)
            except Exception:
                raise FrontendError(f"torch.export could not capture {module_name}: {type(e).__name__}: {e}") from e
            warnings.warn(f"ovcl: {module_name} could not be exported with dynamic shapes ({type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''}); converted with the example's static shapes",
                          stacklevel=3)
    return ep, shapes, types


def _dynamic_spec(v, declared: PartialShape | None):
    import torch
    from torch.utils import _pytree as pytree
    A = torch.export.Dim.AUTO

    def one(t):
        if not isinstance(t, torch.Tensor):
            return None
        out = {}
        for i in range(t.dim()):
            if declared is not None and not declared.rank_is_dynamic and i < len(declared) \
                    and declared[i].is_static:
                continue
            out[i] = A
        return out
    if isinstance(v, torch.Tensor):
        return one(v)
    return pytree.tree_map(one, v, is_leaf=lambda x: isinstance(x, torch.Tensor))


def convert(obj, example_input=None, input=None, decompose: bool | None = None,  # noqa: A002
            stateful: bool | None = None, **kwargs) -> Model:
    """Convert a ``torch.nn.Module`` (captured with ``torch.export``) or a ``torch.export.ExportedProgram``.

    ``decompose``: run torch's core-ATen decompositions (high-level ops in ``KEEP`` stay whole) always (True),
    never (False), or only when the exported graph has ops without a direct translation (None).
    A transformers decoder with its KV cache on is captured with the cache (``decoders.py``): stateful unless
    ``stateful=False``."""
    torch = require_torch()
    if isinstance(obj, torch.nn.Module) and is_cached_decoder(obj, example_input):
        if input is not None:
            raise FrontendError(f"{type(obj).__name__}: a decoder's inputs are input_ids, attention_mask, "
                                f"position_ids and its cache, all dynamic; reshape the converted model instead "
                                f"of passing input=...")
        model = convert_decoder(obj, example_input, stateful=stateful is not False)
        if model is not None:
            return model
    if stateful:
        raise FrontendError("stateful=True applies to transformers decoders with their KV cache on (use_cache); "
                            f"{type(obj).__name__} is not one")
    shapes: dict[str, PartialShape] = {}
    types: dict[str, Type] = {}
    if isinstance(obj, torch.export.ExportedProgram):
        ep = obj
        if input is not None:
            user = [s.arg.name for s in ep.graph_signature.input_specs
                    if s.kind.name == "USER_INPUT" and hasattr(s.arg, "name")]
            for n, s, t in parse_input_spec(input, user):
                if s is not None:
                    shapes[n] = s
                if t is not None:
                    types[n] = t
        name = "exported_program"
    elif isinstance(obj, torch.nn.Module):
        ep, shapes, types = export(obj, example_input, input)
        name = type(obj).__name__
    else:
        raise FrontendError(f"the PyTorch frontend takes a torch.nn.Module or torch.export.ExportedProgram, "
                            f"not {type(obj).__name__}")
    if decompose is False or (decompose is None and not needs_decomposition(ep)):
        return Converter(ep, shapes, types, name=name).convert()
    try:
        ep = ep.run_decompositions(_decompositions())
    except Exception as e:  # noqa: BLE001
        raise FrontendError(f"torch could not decompose the exported graph to core ATen: {type(e).__name__}: "
                            f"{e}") from e
    return Converter(ep, shapes, types, name=name).convert()
