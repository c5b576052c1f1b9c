"""``torch.nn.Module`` / ``torch.export.ExportedProgram`` → ``ovcl.ir.Model``.

Each ATen node of a captured graph (``capture.py``) is translated by the function registered for it with
``@torch_op`` (see ``translators_*``); ``Converter`` walks the graph, ``NodeContext`` is what a translator sees.

torch is imported lazily: importing this module never imports torch.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.frontends.node_builder import registrar
from ovcl.ir import Model, Output, PartialShape, Type
from ovcl.ir import ops
from ovcl.ir.node import Node

# canonical target name ("aten.add.Tensor", "aten.add" for every overload, "operator.mul") -> translator
TRANSLATORS: dict[str, Callable[["NodeContext"], Any]] = {}

# high-level ATen ops kept whole through the decompositions (ovcl has direct translations for them)

INT64_MAX = 9223372036854775807

_TORCH_HINT = "the PyTorch frontend needs torch: pip install torch"


# ATen ops (``"aten.add.Tensor"``, or ``"aten.add"`` for every overload) and Python functions on symbolic sizes
# (``"operator.mul"``)
torch_op = registrar(TRANSLATORS, "PyTorch")


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


