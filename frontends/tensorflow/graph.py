"""TensorFlow graphs → ``ovcl.ir.Model``. A GraphDef (frozen, or a SavedModel's) is translated from the tensors a
model returns back to its inputs: only what they need is translated, so training, saving and restoring nodes
never matter. Calls of library functions (``StatefulPartitionedCall``, ``PartitionedCall`` or an op named after a
function) are inlined: the callee's body is translated with the caller's inputs as its arguments.

Values. A tensor is an ``Output``; a resource handle (a variable, or a function argument that carries one) is a
``Resource`` holding the variable's value, which ``ReadVariableOp`` turns into a Constant. The outputs of every
translation are folded to Constants where their inputs are constant, so shape arithmetic on static shapes
(``Shape`` → ``StridedSlice`` → ``Pack`` → ``Reshape``) ends as constants, as translators often need.

Layout. TensorFlow's spatial ops are NHWC by default; OpenVINO's are NCHW. As in the TFLite frontend,
translators wrap each in two Transposes and ``ir.passes.sink_transposes`` removes the pairs afterwards."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.frontends.node_builder import NodeBuilder, fold, registrar
from ovcl.ir import Model, Node, Output, PartialShape, Type
from ovcl.ir import ops

from .protos import DATA_TYPES, attr_map

# op type -> translator(ctx) returning the node's outputs
TRANSLATORS: dict[str, Callable[["NodeContext"], list | Output]] = {}

_CALLS = ("StatefulPartitionedCall", "PartitionedCall")

# ops with several output arguments: their names in order (function bodies name outputs "node:arg:index")
_OUTPUT_ARGS = {
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV3": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
                         "reserve_space_3"),
    "TopKV2": ("values", "indices"),
    "Unique": ("y", "idx"),
}

_TYPES = {
    "DT_FLOAT": "f32", "DT_DOUBLE": "f64", "DT_HALF": "f16", "DT_BFLOAT16": "bf16", "DT_INT8": "i8",
    "DT_INT16": "i16", "DT_INT32": "i32", "DT_INT64": "i64", "DT_UINT8": "u8", "DT_UINT16": "u16",
    "DT_UINT32": "u32", "DT_UINT64": "u64", "DT_BOOL": "boolean",
}
_TYPE_NAMES = {v: k for k, v in DATA_TYPES.items()}


tf_op = registrar(TRANSLATORS, "TensorFlow")


def element_type(code: int, where: str = "") -> Type:
    """The ovcl Type of TensorFlow DataType ``code`` (``*_REF`` types as their value type)."""
    name = _TYPE_NAMES.get(code if code < 100 else code - 100, f"DataType {code}")
    if name not in _TYPES:
        raise FrontendError(f"{where}{name} tensors are not supported")
    return Type.from_name(_TYPES[name])


def tensor_value(t, where: str = "") -> np.ndarray:
    """A TensorProto as a NumPy array: raw ``tensor_content`` or the typed value list (whose last value repeats
    to fill the shape, as TensorFlow reads it)."""
    shape = tuple(d.size for d in t.tensor_shape.dim)
    if t.dtype == DATA_TYPES["DT_STRING"]:
        vals = np.array(list(t.string_val), dtype=object)
        return np.resize(vals, shape) if vals.size else np.full(shape, b"", dtype=object)
    typ = element_type(t.dtype, where)
    dtype = typ.dtype
    count = int(np.prod(shape, dtype=np.int64))
    if t.tensor_content:
        data = np.frombuffer(t.tensor_content, dtype=dtype)
        if data.size != count:
            raise FrontendError(f"{where}a tensor of shape {list(shape)} holds {data.size} values")
        return data.reshape(shape).copy()
    if typ.name in ("f16", "bf16"):
        vals = np.asarray(t.half_val, dtype=np.uint16).view(dtype)
    else:
        field = {"f32": t.float_val, "f64": t.double_val, "i64": t.int64_val, "boolean": t.bool_val,
                 "u32": t.uint32_val, "u64": t.uint64_val}.get(typ.name, t.int_val)
        vals = np.asarray(field).astype(dtype)
    if vals.size == 0:
        return np.zeros(shape, dtype)
    if vals.size < count:
        vals = np.concatenate([vals, np.full(count - vals.size, vals[-1], dtype)])
    if vals.size != count:
        raise FrontendError(f"{where}a tensor of shape {list(shape)} holds {vals.size} values")
    return vals.reshape(shape)


def shape_of(proto) -> PartialShape:
    """A TensorShapeProto as a PartialShape (-1: a dynamic dimension)."""
    if proto.unknown_rank:
        return PartialShape.dynamic()
    return PartialShape([d.size for d in proto.dim])


class Resource:
    """A resource handle: a variable with its value."""

    def __init__(self, value: np.ndarray, name: str):
        self.value = value
        self.name = name


class NodeContext(NodeBuilder):
    """What a translator sees of one node."""

    folds = True

    def __init__(self, converter: "Converter", scope: "_Scope", node):
        self._conv = converter
        self._scope = scope
        self.node = node
        self.op = node.op
        self.name = node.name
        self._attrs = attr_map(node.attr)
        self._inputs = [i for i in node.input if not i.startswith("^")]

    # -- inputs ----------------------------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return len(self._inputs)

    def value(self, i: int):
        """Input ``i`` as it is: an Output or a Resource."""
        return self._scope.resolve(self._inputs[i])

    def input(self, i: int) -> Output:
        v = self.value(i)
        if isinstance(v, Resource):
            raise self.fail(f"input {i} is the resource '{v.name}', not a tensor")
        return v

    def inputs(self) -> list[Output]:
        return [self.input(i) for i in range(self.num_inputs)]

    def const_value(self, i: int) -> np.ndarray | None:
        o = self.input(i)
        return o.node.value if o.node.type_name == "Constant" else None

    def ints(self, i: int, what: str) -> list[int]:
        """Input ``i`` as a list of ints; it must be constant."""
        v = self.const_value(i)
        if v is None:
            raise self.fail(f"{what} (input {i}) must be a constant")
        return [int(a) for a in np.asarray(v).reshape(-1)]

    def int_entries(self, i: int, entries: list[int], what: str) -> list[int]:
        """Entries ``entries`` of 1-D input ``i``, which must be constant even where the rest is not (a shape
        built by Pack from a run-time batch and constant sizes)."""
        out = []
        for k in entries:
            v = _entry(self.input(i), k)
            if v is None:
                raise self.fail(f"{what} (input {i}) entry {k} must be a constant")
            out.append(v)
        return out

    # -- attributes ------------------------------------------------------------------------------------------
    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default=None):
        """Attribute ``name`` as Python data: str, int, float, bool, Type, list of dims, ndarray, or a list."""
        a = self._attrs.get(name)
        if a is None:
            return default
        kind = a.WhichOneof("value")
        if kind is None:
            return default
        if kind == "list":
            lst = a.list
            for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
                items = getattr(lst, field)
                if len(items):
                    return [self._decode(field, v) for v in items]
            return []
        return self._decode(kind, getattr(a, kind))

    def _decode(self, kind: str, v):
        if kind == "s":
            return v.decode(errors="replace")
        if kind == "type":
            return element_type(v, f"{self.op} node '{self.name}': ")
        if kind == "shape":
            return shape_of(v)
        if kind == "tensor":
            return tensor_value(v, f"{self.op} node '{self.name}': ")
        if kind == "func":
            return v.name
        return v

    def variable(self) -> np.ndarray | None:
        """The value of the variable whose handle this node makes, where the model gives one."""
        read = self._conv.handles.get(self.name)
        return None if read is None else read()

    def data_format(self) -> str:
        return self.attr("data_format", "NHWC")

    # -- building --------------------------------------------------------------------------------------------
    def nchw(self, x: Output, suffix: str = "to_nchw") -> Output:
        """Channels last → first, for an OpenVINO spatial op (nothing where the node is already NCHW)."""
        return x if self.data_format().startswith("NC") else super().nchw(x, suffix)

    def nhwc(self, x: Output, suffix: str = "to_nhwc") -> Output:
        return x if self.data_format().startswith("NC") else super().nhwc(x, suffix)

    def spatial(self, values: list[int]) -> list[int]:
        """The spatial entries of a per-dimension attribute (strides, ksize, dilations) in its data format."""
        return values[2:] if self.data_format().startswith("NC") else values[1:-1]

    def fail(self, why: str) -> FrontendError:
        return FrontendError(f"TensorFlow {self.op} node '{self.name}': {why}")


class _Scope:
    """One graph or function body being translated: its nodes, arguments and the values made so far."""

    def __init__(self, converter: "Converter", nodes, args: dict | None, where: str):
        self.conv = converter
        self.nodes = {n.name: n for n in nodes}
        self.args = args          # function arguments by name; None for a graph
        self.where = where
        self.values: dict[str, list] = {}

    def split(self, ref: str) -> tuple[str | None, str, int]:
        """An input string → (argument name or None, node name, output index)."""
        if self.args is not None:
            parts = ref.split(":")
            if len(parts) == 1:
                if parts[0] in self.args:
                    return parts[0], "", 0
                return None, parts[0], 0
            if len(parts) == 3 and parts[2].isdigit():
                return None, parts[0], self._output_base(parts[0], parts[1]) + int(parts[2])
            if len(parts) == 2 and parts[1].isdigit():
                return None, parts[0], int(parts[1])
            raise FrontendError(f"{self.where}: cannot read the input reference '{ref}'")
        name, _, k = ref.partition(":")
        if k and not k.isdigit():
            raise FrontendError(f"{self.where}: cannot read the input reference '{ref}'")
        return None, name, int(k) if k else 0

    def _output_base(self, name: str, arg: str) -> int:
        """The index of the first output of ``name``'s output argument ``arg``. Ops with one output argument
        (a tensor or a list, as PartitionedCall's ``output``) need no table; an op named after a function takes
        the names of the function's outputs."""
        node = self.nodes.get(name)
        if node is None:
            return 0                       # reported as a missing node when it is resolved
        if node.op in self.conv.library:
            names = [a.name for a in self.conv.library[node.op].signature.output_arg]
        elif node.op in _OUTPUT_ARGS:
            names = list(_OUTPUT_ARGS[node.op])
        else:
            return 0
        if arg not in names:
            raise FrontendError(f"{self.where}: node '{name}' ({node.op}) has no output '{arg}'")
        return names.index(arg)

    def resolve(self, ref: str):
        arg, name, k = self.split(ref)
        if arg is not None:
            return self.args[arg]
        outs = self.values.get(name)
        if outs is None:
            raise FrontendError(f"{self.where}: node '{name}' is used before it is translated")
        if k >= len(outs):
            raise FrontendError(f"{self.where}: node '{name}' has {len(outs)} outputs, output {k} is used")
        return outs[k]

    def translate(self, refs: list[str]) -> list:
        """The values of ``refs``, translating the nodes they need in dependency order."""
        state: dict[str, int] = {}          # 1: inputs being visited, 2: translated
        for ref in refs:
            arg, root, _ = self.split(ref)
            if arg is not None or root in self.values:
                continue
            stack = [root]
            while stack:
                name = stack[-1]
                if state.get(name) == 2 or name in self.values:
                    stack.pop()
                    continue
                node = self.nodes.get(name)
                if node is None:
                    raise FrontendError(f"{self.where}: no node named '{name}'")
                if state.get(name) == 1:
                    stack.pop()
                    state[name] = 2
                    self.values[name] = self.conv.translate_node(self, node)
                    continue
                state[name] = 1
                for inp in node.input:
                    if inp.startswith("^"):
                        continue
                    arg, dep, _ = self.split(inp)
                    if arg is not None or dep in self.values or state.get(dep) == 2:
                        continue
                    if state.get(dep) == 1:
                        raise UnsupportedOpError(f"{self.where}: node '{dep}' depends on itself (a loop); "
                                                 f"TensorFlow control flow loops are not supported")
                    stack.append(dep)
        return [self.resolve(r) for r in refs]


class Converter:
    """Translates nodes and inlines function calls. ``handles`` maps the name of each graph node that makes a
    variable's handle (``VarHandleOp``) to a function reading the variable's value."""

    def __init__(self, library: dict, handles: dict[str, Callable[[], np.ndarray]] | None = None):
        self.library = library
        self.handles = handles or {}
        self._depth = 0

    def translate_node(self, scope: _Scope, node) -> list:
        if node.op in _CALLS or node.op in self.library:
            fname = node.op if node.op in self.library else attr_map(node.attr)["f"].func.name
            args = [scope.resolve(i) for i in node.input if not i.startswith("^")]
            return self.call(fname, args, node.name)
        fn = TRANSLATORS.get(node.op)
        if fn is None:
            raise UnsupportedOpError(f"TensorFlow op {node.op} (node '{node.name}') cannot be translated by ovcl")
        ctx = NodeContext(self, scope, node)
        given = {v for i in ctx._inputs if isinstance(v := scope.resolve(i), Output)}
        outs = ctx.translate_with(fn)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        result = []
        for k, o in enumerate(outs):
            if isinstance(o, Node):
                o = o.output(0)
            if isinstance(o, Output):
                o = fold(o)
                if o not in given:          # a passthrough (Identity) keeps the names of its input only
                    o.add_names({f"{node.name}:{k}"} if k or len(outs) > 1 else {node.name, f"{node.name}:0"})
            result.append(o)
        return result

    def call(self, fname: str, args: list, caller: str) -> list:
        f = self.library.get(fname)
        if f is None:
            raise FrontendError(f"node '{caller}' calls the function '{fname}', which the graph does not define")
        sig = f.signature
        if len(args) != len(sig.input_arg):
            raise FrontendError(f"node '{caller}' calls '{fname}' with {len(args)} inputs, it takes "
                                f"{len(sig.input_arg)}")
        self._depth += 1
        if self._depth > 64:
            raise FrontendError(f"function '{fname}' calls itself (recursion is not supported)")
        try:
            scope = _Scope(self, f.node_def, {a.name: v for a, v in zip(sig.input_arg, args)},
                           f"function '{fname}'")
            rets = attr_map(f.ret)
            missing = [a.name for a in sig.output_arg if a.name not in rets]
            if missing:
                raise FrontendError(f"function '{fname}' does not say what its output(s) {', '.join(missing)} "
                                    f"return (no 'ret' entry): the graph is damaged")
            return scope.translate([rets[a.name] for a in sig.output_arg])
        finally:
            self._depth -= 1


def _entry(o: Output, k: int) -> int | None:
    """Entry ``k`` of 1-D ``o`` where it is a constant: looks through Concat (Pack) and Unsqueeze/Reshape/Convert
    of constant scalars."""
    node = o.node
    if node.type_name == "Constant":
        flat = np.asarray(node.value).reshape(-1)
        return int(flat[k]) if k < flat.size else None
    if node.type_name in ("Unsqueeze", "Reshape", "Convert", "Squeeze"):
        return _entry(node.input_value(0), k)
    if node.type_name == "Concat":
        for part in node.input_values():
            n = part.get_partial_shape()
            if n.rank_is_dynamic or len(n) != 1 or not n[0].is_static:
                return None
            if k < n[0].get_length():
                return _entry(part, k)
            k -= n[0].get_length()
    return None


def build_model(converter: Converter, nodes, inputs: list[tuple[str, str, Type, PartialShape, set]],
                outputs: list[tuple[str, str]], name: str, cuts: dict | None = None) -> Model:
    """Translate a graph: ``inputs`` are (node name, model input name, type, shape, extra names) of the
    Placeholders fed by the model's inputs, ``outputs`` (tensor reference, output name) its results; ``cuts``
    holds ``convert_model``'s ``input`` / ``output``, applied before the layout pass."""
    from ovcl.frontends.layout import finish_nhwc
    scope = _Scope(converter, nodes, None, "graph")
    params = []
    for node_name, in_name, typ, shape, names in inputs:
        p = ops.make("Parameter", [], name=in_name, element_type=typ.name, shape=shape)
        p.output(0).set_names({in_name, *names})
        scope.values[node_name] = [p.output(0)]
        params.append(p)
    values = scope.translate([ref for ref, _ in outputs])
    results = []
    for (ref, out_name), v in zip(outputs, values):
        if isinstance(v, Resource):
            raise FrontendError(f"output '{out_name}' is a resource handle, not a tensor")
        v.add_names({out_name, ref})
        results.append(ops.make("Result", [v], name=f"{out_name}/sink_port_0"))
    return finish_nhwc(Model(results, params, name=name), **(cuts or {}))
