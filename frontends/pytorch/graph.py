"""``torch.nn.Module`` / ``torch.export.ExportedProgram`` → ``ovcl.ir.Model``.

The module is captured with ``torch.export`` (non-strict), its graph is lowered to core ATen by
``run_decompositions`` with the high-level ops ovcl has better kernels for kept whole (``KEEP``), and each
ATen node is translated by the function registered for it with ``@torch_op`` (see ``translators_*``).

torch is imported lazily: importing this module never imports torch.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.ir import Model, Output, PartialShape, Type
from ovcl.ir import ops
from ovcl.ir.node import Node

# canonical target name ("aten.add.Tensor", "aten.add" for every overload, "operator.mul") -> translator
TRANSLATORS: dict[str, Callable[["NodeContext"], Any]] = {}

# high-level ATen ops kept whole through the decompositions (ovcl has direct translations for them)
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

INT64_MAX = 9223372036854775807

_TORCH_HINT = "the PyTorch frontend needs torch: pip install torch"


def torch_op(*names: str):
    """Register a translator for ATen ops (``"aten.add.Tensor"``, or ``"aten.add"`` for every overload)
    and Python functions on symbolic sizes (``"operator.mul"``)."""
    def deco(fn):
        for n in names:
            if n in TRANSLATORS:
                raise ValueError(f"two translators for {n}")
            TRANSLATORS[n] = fn
        return fn
    return deco


def require_torch():
    try:
        import torch
    except ImportError as e:
        raise FrontendError(f"{_TORCH_HINT} ({e})") from e
    return torch


def target_name(target) -> str:
    import torch
    if isinstance(target, torch._ops.OpOverload):
        return str(target)                        # "aten.add.Tensor"
    if isinstance(target, torch._ops.OpOverloadPacket):
        return str(target)
    mod = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    if mod in ("_operator", "operator"):
        return f"operator.{name}"
    return f"{mod}.{name}" if mod else name


def torch_type(dtype) -> Type:
    import torch
    table = {
        torch.float32: Type.f32, torch.float64: Type.f64, torch.float16: Type.f16, torch.bfloat16: Type.bf16,
        torch.int64: Type.i64, torch.int32: Type.i32, torch.int16: Type.i16, torch.int8: Type.i8,
        torch.uint8: Type.u8, torch.bool: Type.boolean,
    }
    for name, t in (("uint16", Type.u16), ("uint32", Type.u32), ("uint64", Type.u64)):
        if hasattr(torch, name):
            table[getattr(torch, name)] = t
    t = table.get(dtype)
    if t is None:
        raise FrontendError(f"torch dtype {dtype} has no ovcl element type")
    return t


def tensor_to_numpy(t) -> np.ndarray:
    """A NumPy view of a CPU tensor's data when possible (detached, contiguous), else a copy."""
    import torch
    t = t.detach()
    if getattr(t, "is_meta", False) or t.device.type == "meta":
        raise FrontendError("a weight of the module is on the 'meta' device: load its data before converting")
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype == torch.bfloat16:
        t = t.float()
    if not t.is_contiguous():
        t = t.contiguous()
    return t.numpy()


def module_path(node) -> str:
    """'encoder.layer.0.attention (BertAttention)' from the node's nn_module_stack, or '' at top level."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path, cls = list(stack.values())[-1]
    path = str(path)
    if path.startswith("L['self']"):
        path = path[len("L['self']"):].lstrip(".")
    cls_name = cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
    cls_name = cls_name.rsplit(".", 1)[-1]
    return f"'{path}' ({cls_name})" if path else f"<root> ({cls_name})"


class NodeContext:
    """What a translator sees of one ATen node: its arguments (fx nodes replaced by their translations),
    the torch meta values (FakeTensors / SymInts), and helpers to build IR nodes."""

    def __init__(self, conv: "Converter", node):
        self._conv = conv
        self.node = node
        self.target = node.target
        self.op_name = target_name(node.target)
        self.name = node.name
        self._named: dict[str, Any] = {}
        self._raw_named: dict[str, Any] = {}
        schema = getattr(node.target, "_schema", None)
        self._order: list[str] = []
        if schema is not None:
            for i, a in enumerate(schema.arguments):
                self._order.append(a.name)
                if i < len(node.args):
                    raw = node.args[i]
                elif a.name in node.kwargs:
                    raw = node.kwargs[a.name]
                elif a.has_default_value():
                    raw = a.default_value
                else:
                    raw = None
                self._raw_named[a.name] = raw
        self._raw_pos = list(node.args)

    # -- arguments ----------------------------------------------------------
    def _raw(self, key):
        if isinstance(key, str):
            if key in self._raw_named:
                return self._raw_named[key]
            return self.node.kwargs.get(key)
        if self._order:
            return self._raw_named[self._order[key]] if key < len(self._order) else None
        return self._raw_pos[key] if key < len(self._raw_pos) else None

    def arg(self, key, default=None):
        """Argument ``key`` (position or schema name) with fx nodes replaced by their translations."""
        raw = self._raw(key)
        if raw is None:
            return default
        return self._conv.resolve(raw)

    def val(self, key):
        """The torch meta value (FakeTensor, SymInt, int...) of argument ``key``."""
        raw = self._raw(key)
        return self._conv.meta(raw)

    @property
    def out_val(self):
        return self.node.meta.get("val")

    @property
    def out_type(self) -> Type:
        v = self.out_val
        if isinstance(v, (list, tuple)):
            v = v[0]
        return torch_type(v.dtype)

    def input(self, key, dtype: Type | None = None) -> Output:
        """Argument ``key`` as a tensor Output (Python numbers become Constants of ``dtype``)."""
        v = self.arg(key)
        return self.tensor(v, dtype)

    def tensor(self, v, dtype: Type | None = None) -> Output:
        if isinstance(v, Node):
            v = v.output(0)
        if isinstance(v, Output):
            if dtype is not None and v.get_element_type() != dtype:
                return self.convert(v, dtype)
            return v
        if v is None:
            raise self.fail("a tensor argument is missing")
        if isinstance(v, (bool, int, float, np.number, np.ndarray)):
            t = dtype or (Type.boolean if isinstance(v, bool) else Type.i64 if isinstance(v, int) else Type.f32)
            return self.const(np.asarray(v, dtype=t.dtype))
        if isinstance(v, (list, tuple)):
            return self.shape_vector(v, dtype or Type.i64)
        raise self.fail(f"cannot use {type(v).__name__} {v!r} as a tensor")

    # -- building -----------------------------------------------------------
    def make(self, type_name: str, inputs, suffix: str = "", **attrs) -> Output:
        name = self.name + (f"/{suffix}" if suffix else "")
        return ops.make(type_name, inputs, name=name, **attrs).output(0)

    def make_node(self, type_name: str, inputs, suffix: str = "", **attrs) -> Node:
        name = self.name + (f"/{suffix}" if suffix else "")
        return ops.make(type_name, inputs, name=name, **attrs)

    def const(self, value, dtype=None, suffix: str = "const") -> Output:
        return ops.constant(value, dtype, name=f"{self.name}/{suffix}").output(0)

    def i64(self, value) -> Output:
        return self.const(np.asarray(value, dtype=np.int64))

    def convert(self, x: Output, dtype: Type) -> Output:
        if x.get_element_type() == dtype:
            return x
        if x.node.type_name == "Constant":
            return self.const(x.node.value.astype(dtype.dtype), dtype)
        return self.make("Convert", [x], "convert", destination_type=dtype.name)

    def fail(self, why: str) -> FrontendError:
        where = module_path(self.node)
        return FrontendError(f"PyTorch {self.op_name} (node '{self.name}'"
                             f"{', module ' + where if where else ''}): {why}")

    # -- shapes -------------------------------------------------------------
    def rank(self, x: Output) -> int:
        ps = x.get_partial_shape()
        if ps.rank_is_dynamic:
            raise self.fail("input rank is unknown")
        return len(ps)

    def shape_of(self, x: Output) -> Output:
        return self.make("ShapeOf", [x], "shape", output_type="i64")

    def dim(self, x: Output, d: int):
        """Dimension ``d`` of ``x``: an int when static, else a scalar i64 Output."""
        ps = x.get_partial_shape()
        if not ps.rank_is_dynamic:
            dd = ps[d]
            if dd.is_static:
                return dd.get_length()
        return self.make("Gather", [self.shape_of(x), self.i64(d), self.i64(0)], f"dim{d}")

    def scalar(self, v, dtype: Type = Type.i64) -> Output:
        """An int / scalar Output as a 0-d Output of ``dtype``."""
        if isinstance(v, Output):
            if len(v.get_partial_shape()) == 1:
                v = self.make("Squeeze", [v, self.i64([0])], "scalar")
            return self.convert(v, dtype)
        return self.const(np.asarray(v, dtype=dtype.dtype))

    def shape_vector(self, items, dtype: Type = Type.i64) -> Output:
        """A 1-D Output from ints and scalar Outputs (Concat of their [1]-shaped forms)."""
        items = list(items)
        if all(not isinstance(i, (Output, Node)) for i in items):
            return self.const(np.asarray([int(i) for i in items], dtype=dtype.dtype))
        parts: list[Output] = []
        pending: list[int] = []
        for it in items:
            if isinstance(it, Node):
                it = it.output(0)
            if isinstance(it, Output):
                if pending:
                    parts.append(self.const(np.asarray(pending, dtype=dtype.dtype)))
                    pending = []
                it = self.convert(it, dtype)
                if len(it.get_partial_shape()) == 0:
                    it = self.make("Unsqueeze", [it, self.i64([0])], "item")
                parts.append(it)
            else:
                pending.append(int(it))
        if pending:
            parts.append(self.const(np.asarray(pending, dtype=dtype.dtype)))
        if len(parts) == 1:
            return parts[0]
        return self.make("Concat", parts, "shape_vector", axis=0)


class Converter:
    def __init__(self, ep, input_shapes: dict[str, PartialShape] | None = None,
                 input_types: dict[str, Type] | None = None, name: str = "torch_model"):
        self.ep = ep
        self.values: dict[Any, Any] = {}
        self.input_shapes = input_shapes or {}
        self.input_types = input_types or {}
        self.name = name

    # -- values -------------------------------------------------------------
    def resolve(self, raw):
        import torch.fx
        if isinstance(raw, torch.fx.Node):
            if raw not in self.values:
                raise FrontendError(f"fx node '{raw.name}' used before it is translated")
            return self.values[raw]
        if isinstance(raw, (list, tuple)):
            return type(raw)(self.resolve(r) for r in raw)
        return raw

    def meta(self, raw):
        import torch.fx
        if isinstance(raw, torch.fx.Node):
            return raw.meta.get("val")
        if isinstance(raw, (list, tuple)):
            return type(raw)(self.meta(r) for r in raw)
        return raw

    # -- conversion ---------------------------------------------------------
    def convert(self) -> Model:
        import torch
        from torch.export.graph_signature import InputKind, OutputKind

        ep = self.ep
        sig = ep.graph_signature
        state = ep.state_dict
        consts = getattr(ep, "constants", {}) or {}
        specs = {s.arg.name: s for s in sig.input_specs if hasattr(s.arg, "name")}
        params: list[Node] = []
        gm = ep.graph_module
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                spec = specs.get(node.name)
                kind = spec.kind if spec is not None else InputKind.USER_INPUT
                if kind == InputKind.USER_INPUT:
                    val = node.meta.get("val")
                    if not isinstance(val, torch.Tensor):
                        self.values[node] = val
                        continue
                    p = self._parameter(node, val)
                    params.append(p)
                    self.values[node] = p.output(0)
                else:
                    target = spec.target
                    t = state.get(target) if target in state else consts.get(target)
                    if t is None:
                        raise FrontendError(f"exported program input '{node.name}' ({kind.name}) has no value "
                                            f"for '{target}'")
                    if not isinstance(t, torch.Tensor):
                        self.values[node] = t
                        continue
                    arr = tensor_to_numpy(t)
                    c = ops.constant(arr, torch_type(t.dtype) if t.dtype != torch.bfloat16 else Type.f32,
                                     name=target)
                    self.values[node] = c.output(0)
            elif node.op == "get_attr":
                t = getattr(gm, node.target)
                if isinstance(t, torch.Tensor):
                    self.values[node] = ops.constant(tensor_to_numpy(t), name=node.target).output(0)
                else:
                    self.values[node] = t
            elif node.op == "call_function":
                self._call(node)
            elif node.op == "output":
                return self._outputs(node, params, sig, OutputKind)
            else:
                raise UnsupportedOpError(f"fx node '{node.name}' of kind {node.op} is not supported")
        raise FrontendError("the exported graph has no output")

    def _parameter(self, node, val) -> Node:
        name = node.name
        t = torch_type(val.dtype)
        shape = PartialShape([int(d) if _is_static(d) else -1 for d in val.shape])
        want = self.input_shapes.get(name)
        if want is not None and not want.rank_is_dynamic and len(want) == len(shape):
            dims = []
            for have, w in zip(shape, want):
                dims.append(have if have.is_static else w)
            shape = PartialShape(dims)
        p = ops.make("Parameter", [], name=name, element_type=t.name, shape=shape)
        p.output(0).set_names({name})
        return p

    def _call(self, node) -> None:
        import torch
        val = node.meta.get("val")
        # sizes that torch knows to be constants need no graph
        if isinstance(val, (int, float, bool)) and not isinstance(val, torch.SymInt) and \
                not isinstance(val, (torch.SymFloat, torch.SymBool)):
            self.values[node] = val
            return
        if isinstance(val, (torch.SymInt, torch.SymFloat, torch.SymBool)):
            c = _static_sym(val)
            if c is not None:
                self.values[node] = c
                return
        name = target_name(node.target)
        fn = find_translator(name)
        if fn is None:
            where = module_path(node)
            raise UnsupportedOpError(f"PyTorch op {name} (node '{node.name}'"
                                     f"{', in module ' + where if where else ''}) has no translation in ovcl")
        ctx = NodeContext(self, node)
        try:
            out = fn(ctx)
        except FrontendError:
            raise
        except Exception as e:
            raise ctx.fail(f"{type(e).__name__}: {e}") from e
        self.values[node] = self._check(ctx, out, val)

    def _check(self, ctx: NodeContext, out, val):
        """Outputs converted to the element type torch infers (a safety net for type promotion)."""
        import torch
        if isinstance(out, Node):
            out = out.output(0) if out.get_output_size() == 1 else out.outputs()
        if isinstance(out, Output) and isinstance(val, torch.Tensor):
            want = torch_type(val.dtype)
            if want == Type.bf16:
                want = Type.f32
            if out.get_element_type() != want:
                out = ctx.convert(out, want)
            ps = out.get_partial_shape()
            if not ps.rank_is_dynamic and len(ps) != val.dim():
                raise ctx.fail(f"ovcl's translation has rank {len(ps)}, torch says {val.dim()} "
                               f"({list(val.shape)})")
        elif isinstance(out, (list, tuple)) and isinstance(val, (list, tuple)):
            out = [self._check(ctx, o, v) if o is not None else None for o, v in zip(out, val)]
        return out

    def _outputs(self, node, params, sig, OutputKind) -> Model:
        import torch.fx
        flat = node.args[0]
        if not isinstance(flat, (list, tuple)):
            flat = [flat]
        kinds = [s.kind for s in sig.output_specs]
        names = _output_names(self.ep, sum(1 for k in kinds if k == OutputKind.USER_OUTPUT))
        results = []
        k = 0
        for i, raw in enumerate(flat):
            if i < len(kinds) and kinds[i] != OutputKind.USER_OUTPUT:
                continue
            v = self.resolve(raw)
            nm = names[k] if k < len(names) and names[k] else (raw.name if isinstance(raw, torch.fx.Node)
                                                                else f"output_{k}")
            k += 1
            if isinstance(v, Node):
                v = v.output(0)
            if not isinstance(v, Output):
                if v is None:
                    continue
                v = ops.constant(np.asarray(v), name=nm).output(0)
            if v.node.type_name != "Parameter":
                v.add_names({nm})
            results.append(ops.make("Result", [v], name=f"{nm}/sink_port_0"))
        return Model(results, params, name=self.name)


def _is_static(d) -> bool:
    import torch
    if isinstance(d, int) and not isinstance(d, torch.SymInt):
        return True
    return _static_sym(d) is not None


def _static_sym(v):
    """The Python value of a SymInt/SymFloat/SymBool that is in fact a constant, else None."""
    try:
        expr = v.node.expr
    except AttributeError:
        return None
    try:
        if getattr(expr, "is_number", False):
            if getattr(expr, "is_Boolean", False) or type(expr).__name__ in ("BooleanTrue", "BooleanFalse"):
                return bool(expr)
            return int(expr) if getattr(expr, "is_integer", False) else float(expr)
    except (TypeError, ValueError):
        return None
    return None


def _output_names(ep, n: int) -> list[str | None]:
    """Names of the user outputs from the output pytree spec: dict / ModelOutput keys where there are."""
    spec = getattr(getattr(ep, "call_spec", None), "out_spec", None)
    if spec is None:
        return [None] * n
    names: list[str | None] = []

    def walk(s, path):
        if s.is_leaf():
            names.append(".".join(path) if path else None)
            return
        ctx = s.context
        children = list(s.children()) if hasattr(s, "children") else list(s.children_specs)
        keys = None
        if isinstance(ctx, (list, tuple)) and len(ctx) == len(children) and all(isinstance(c, str) for c in ctx):
            keys = list(ctx)
        for i, c in enumerate(children):
            walk(c, path + [keys[i]] if keys else path + ([str(i)] if len(children) > 1 else []))

    try:
        walk(spec, [])
    except Exception:  # noqa: BLE001 - names are a convenience
        return [None] * n
    if len(names) != n:
        return [None] * n
    # a single tuple/list output of one tensor: no name from the structure
    return [nm if nm and not nm.isdigit() else None for nm in names]


# -- capture --------------------------------------------------------------------

def find_translator(name: str):
    fn = TRANSLATORS.get(name)
    if fn is None and name.count(".") >= 2:
        fn = TRANSLATORS.get(name.rsplit(".", 1)[0])
    return fn


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


def _forward_params(module) -> list[str]:
    try:
        sig = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def export(module, example_input=None, input_spec=None):
    """Capture ``module`` with ``torch.export``: every dimension dynamic (``Dim.AUTO``) unless ``input_spec``
    makes it static. Returns (ExportedProgram, {input name: declared shape}, {input name: declared type})."""
    import torch
    names = _forward_params(module)
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
            dt = _torch_dtype(t or Type.f32)
            if dt.is_floating_point:
                kwargs[n] = torch.randn(dims, dtype=dt)
            else:
                kwargs[n] = torch.ones(dims, dtype=dt)
    else:
        # bring the example tensors to the declared types
        bound = _bind(module, args, kwargs)
        for n, t in types.items():
            v = bound.get(n)
            if isinstance(v, torch.Tensor) and torch_type(v.dtype) != t:
                bound[n] = v.to(_torch_dtype(t))
        args, kwargs = _unbind(module, args, kwargs, bound)
    bound = _bind(module, args, kwargs)
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


def _torch_dtype(t: Type):
    import torch
    return {Type.f32: torch.float32, Type.f64: torch.float64, Type.f16: torch.float16, Type.bf16: torch.bfloat16,
            Type.i64: torch.int64, Type.i32: torch.int32, Type.i16: torch.int16, Type.i8: torch.int8,
            Type.u8: torch.uint8, Type.boolean: torch.bool}[t]


def _bind(module, args, kwargs) -> dict:
    try:
        sig = inspect.signature(module.forward)
        return dict(sig.bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        out = {f"args_{i}": a for i, a in enumerate(args)}
        out.update(kwargs)
        return out


def _unbind(module, args, kwargs, bound):
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


def convert(obj, example_input=None, input=None, decompose: bool | None = None, **kwargs) -> Model:  # noqa: A002
    """Convert a ``torch.nn.Module`` (captured with ``torch.export``) or a ``torch.export.ExportedProgram``.

    ``decompose``: run torch's core-ATen decompositions (high-level ops in ``KEEP`` stay whole) always (True),
    never (False), or only when the exported graph has ops without a direct translation (None)."""
    torch = require_torch()
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
