"""ONNX ``ModelProto`` → ``ovcl.ir.Model``: initializers become Constants, graph inputs Parameters, and each
node is translated by the function registered for its op type (see ``translators_*`` modules)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.frontends.node_builder import NodeBuilder, registrar
from ovcl.ir import Model, Node, Output, PartialShape, Type
from ovcl.ir import ops
from ovcl.ir.shape import MAX_RANK

# op type (default domain) -> translator(ctx) returning the node's outputs
TRANSLATORS: dict[str, Callable[["NodeContext"], list[Output | None]]] = {}


onnx_op = registrar(TRANSLATORS, "ONNX")


def onnx_type(elem_type: int) -> Type:
    import onnx
    try:
        np_dtype = onnx.helper.tensor_dtype_to_np_dtype(elem_type)
        return Type.boolean if np_dtype == np.bool_ else Type.from_dtype(np_dtype)
    except (ValueError, KeyError, TypeError):
        name = onnx.TensorProto.DataType.Name(elem_type) if elem_type in onnx.TensorProto.DataType.values() else elem_type
        raise UnsupportedOpError(f"ONNX element type {name} is not supported by ovcl") from None


def check_dims(t, what: str) -> None:
    """A TensorProto's dims: non-negative, at most MAX_RANK of them (numpy would read a negative dim as "the
    rest" and give a wrong shape)."""
    if len(t.dims) > MAX_RANK:
        raise FrontendError(f"{what} has rank {len(t.dims)}; ovcl supports tensors of rank up to {MAX_RANK}")
    if any(d < 0 for d in t.dims):
        raise FrontendError(f"{what} has a negative dimension in its shape {list(t.dims)}")


def tensor_array(t, what: str) -> np.ndarray:
    """A TensorProto's value (its data held in the model), or a FrontendError naming ``what``."""
    from onnx import numpy_helper
    check_dims(t, what)
    try:
        return numpy_helper.to_array(t)
    except Exception as e:
        raise FrontendError(f"{what} cannot be read: {e}") from e


class NodeContext(NodeBuilder):
    """What a translator sees of one ONNX node."""

    def __init__(self, converter: "Converter", proto):
        self._conv = converter
        self.proto = proto
        self.op_type: str = proto.op_type
        self.name: str = converter.prefix + (proto.name or f"{proto.op_type}_{converter.counter}")
        self.opset: int = converter.opset
        self._attrs = {a.name: a for a in proto.attribute}

    @property
    def num_inputs(self) -> int:
        return len(self.proto.input)

    def input(self, i: int) -> Output | None:
        """Input ``i`` as an Output, or None when absent (optional inputs may be empty names)."""
        if i >= len(self.proto.input) or not self.proto.input[i]:
            return None
        return self._conv.tensor(self.proto.input[i])

    def inputs(self) -> list[Output | None]:
        return [self.input(i) for i in range(len(self.proto.input))]

    def const_value(self, i: int) -> np.ndarray | None:
        """The value of input ``i`` when it is a constant (initializer or folded), else None."""
        o = self.input(i)
        if o is None or o.node.type_name != "Constant":
            return None
        return o.node.value

    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default: Any = None) -> Any:
        import onnx
        a = self._attrs.get(name)
        if a is None:
            return default
        if a.ref_attr_name:
            raise FrontendError(f"{self.op_type} node '{self.name}': attribute references are only valid in functions")
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            return v.decode()
        if a.type == onnx.AttributeProto.TENSOR:
            return tensor_array(v, f"{self.op_type} node '{self.name}': attribute '{name}'")
        if a.type == onnx.AttributeProto.STRINGS:
            return [s.decode() for s in v]
        return v

    def subgraph(self, attr: str, inputs: list[Output | None], tag: str = "") -> list[Output]:
        """Translate the graph attribute ``attr`` into this model with its inputs bound to ``inputs`` (None
        leaves one unbound); names it does not define resolve in the enclosing scopes. Its outputs."""
        g = self._attrs[attr].g if attr in self._attrs else None
        if g is None:
            raise self.fail(f"graph attribute '{attr}' is missing")
        return self._conv.subgraph(g, inputs, f"{self.name}/{tag or attr}/")

    def fail(self, why: str) -> FrontendError:
        return FrontendError(f"ONNX {self.op_type} node '{self.name}' (opset {self.opset}): {why}")


class Converter:
    def __init__(self, model_proto, base_dir: Path | None):
        self.proto = model_proto
        self.base_dir = base_dir
        self.opset = 1
        for imp in model_proto.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = imp.version
        self.tensors: dict[str, Output] = {}
        self.outer: list[dict[str, Output]] = []     # enclosing scopes while a subgraph is translated
        self.prefix = ""                             # of node names inside subgraphs
        self.counter = 0

    def tensor(self, name: str) -> Output:
        for scope in [self.tensors, *reversed(self.outer)]:
            if name in scope:
                return scope[name]
        raise FrontendError(f"ONNX tensor '{name}' is used before it is produced")

    def subgraph(self, g, inputs: list[Output | None], prefix: str) -> list[Output]:
        """Translate subgraph ``g`` (If branch, Loop/Scan body) in a scope of its own: inputs bound by position,
        outer names visible, tensor names not put on ports (an unrolled body is translated many times)."""
        if len(inputs) > len(g.input):
            raise FrontendError(f"subgraph '{g.name}' takes {len(g.input)} inputs, got {len(inputs)}")
        saved = self.tensors, self.prefix
        self.outer.append(self.tensors)
        self.tensors, self.prefix = {}, prefix
        try:
            for init in g.initializer:
                self.tensors[init.name] = ops.constant(self._initializer(init), name=prefix + init.name).output(0)
            for vi, o in zip(g.input, inputs):
                if o is not None:
                    self.tensors[vi.name] = o
            for node in g.node:
                self._node(node)
            return [self.tensor(vi.name) for vi in g.output]
        finally:
            self.outer.pop()
            self.tensors, self.prefix = saved

    def convert(self) -> Model:
        g = self.proto.graph
        if not g.output:
            raise FrontendError("the ONNX model has no graph outputs (an empty or truncated file?): it would "
                                "compute nothing")
        for init in g.initializer:
            arr = self._initializer(init)
            c = ops.constant(arr, name=init.name)
            c.output(0).set_names({init.name})
            self.tensors[init.name] = c.output(0)
        params = []
        for vi in g.input:
            if vi.name in self.tensors:
                continue          # an initializer listed as input (old exporters): a constant
            p = ops.make("Parameter", [], name=vi.name, element_type=self._vi_type(vi).name,
                         shape=self._vi_shape(vi))
            p.output(0).set_names({vi.name})
            self.tensors[vi.name] = p.output(0)
            params.append(p)
        for node in g.node:
            self._node(node)
        results = []
        for vi in g.output:
            out = self.tensor(vi.name)
            out.add_names({vi.name})
            results.append(ops.make("Result", [out], name=f"{vi.name}/sink_port_0"))
        model = Model(results, params, name=g.name or "onnx_model")
        return model

    def _node(self, node) -> None:
        self.counter += 1
        if node.domain not in ("", "ai.onnx"):
            local = self._local_function(node)
            if local is None:
                raise UnsupportedOpError(f"ONNX op {node.domain}::{node.op_type} (node '{node.name}') is not "
                                         f"supported: only the default ai.onnx domain is translated")
        fn = TRANSLATORS.get(node.op_type)
        if fn is None:
            raise UnsupportedOpError(f"ONNX op {node.op_type} (node '{node.name or '?'}', opset {self.opset}) has "
                                     f"no translation in ovcl")
        ctx = NodeContext(self, node)
        outs = ctx.translate_with(fn)
        if isinstance(outs, (Output, Node)):
            outs = [outs]
        for k, name in enumerate(node.output):
            if not name:
                continue
            if k >= len(outs) or outs[k] is None:
                raise FrontendError(f"ONNX {node.op_type} node '{ctx.name}': output {k} ('{name}') is not "
                                    f"produced by ovcl's translation")
            o = outs[k]
            if isinstance(o, Node):
                o = o.output(0)
            if not self.outer:
                o.add_names({name})
            self.tensors[name] = o

    def _local_function(self, node):
        return None

    def _initializer(self, init) -> np.ndarray:
        import onnx
        if init.data_location == onnx.TensorProto.EXTERNAL:
            check_dims(init, f"ONNX initializer '{init.name}'")
            return self._external(init)
        return tensor_array(init, f"ONNX initializer '{init.name}'")

    def _external(self, init) -> np.ndarray:
        from onnx import numpy_helper
        info = {e.key: e.value for e in init.external_data}
        if self.base_dir is None:
            raise FrontendError(f"initializer '{init.name}' has external data but the model was not read "
                                f"from a file: read it by path")
        base = self.base_dir.resolve()
        path = (base / info.get("location", "")).resolve()
        if base != path and base not in path.parents:
            raise FrontendError(f"initializer '{init.name}': external data '{info.get('location')}' lies outside "
                                f"the model's folder {base}")
        if not path.is_file():
            raise FrontendError(f"initializer '{init.name}': external data file {path} not found")
        dtype = onnx_type(init.data_type)
        count = int(np.prod(init.dims, dtype=np.int64))
        nbytes = count * dtype.size
        offset = int(info.get("offset", 0))
        length = int(info.get("length", nbytes))
        size = os.path.getsize(path)
        if length < nbytes or offset < 0 or offset + nbytes > size:
            raise FrontendError(f"initializer '{init.name}': external data [{offset}, {offset + nbytes}) is outside "
                                f"{path.name} ({size} bytes)")
        arr = np.fromfile(path, dtype=np.bool_ if dtype is Type.boolean else dtype.dtype, count=count, offset=offset)
        del numpy_helper
        return arr.reshape(tuple(init.dims))

    def _vi_type(self, vi) -> Type:
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            raise UnsupportedOpError(f"graph input '{vi.name}' is not a tensor (sequence/map/optional inputs are "
                                     f"not supported)")
        return onnx_type(tt.elem_type)

    def _vi_shape(self, vi) -> PartialShape:
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            return PartialShape.dynamic()
        return PartialShape([d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim])


def convert(model, base_dir: str | os.PathLike | None = None) -> Model:
    """Convert an ONNX ``ModelProto``, serialized bytes or a file path to an ``ovcl.ir.Model``."""
    import onnx
    if isinstance(model, (bytes, bytearray)):
        if not model:
            raise FrontendError("the ONNX model is empty (0 bytes)")
        try:
            model = onnx.load_model_from_string(bytes(model))
        except Exception as e:
            raise FrontendError(f"the bytes are not a valid ONNX model: {e}") from e
    elif isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_file():
            raise FrontendError(f"ONNX file {path} does not exist")
        if path.stat().st_size == 0:
            raise FrontendError(f"ONNX file {path} is empty (0 bytes)")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as e:
            raise FrontendError(f"{path} is not a valid ONNX model: {e}") from e
        base_dir = path.parent
    return Converter(model, Path(base_dir) if base_dir is not None else None).convert()
