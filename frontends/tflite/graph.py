"""TFLite subgraph 0 → ``ovcl.ir.Model``: constant tensors become Constants, inputs Parameters, and each operator
is translated by the function registered for its opcode (``translators_*`` modules).

Quantized tensors. Translators see every tensor as its real value (a float Output): a quantized constant
is kept as an integer Constant followed by Convert → Subtract(zero point) → Multiply(scale), as OpenVINO's
frontend does, so an integer kernel path can find its weights later; a quantized operator output is rounded
onto its grid (Divide, Round, Add, Clamp, then back: what LiteRT's integer kernels store at every step); an
integer model input is dequantized where it enters and an integer output quantized where it leaves.

Layout. TFLite is NHWC; OpenVINO's spatial ops are NCHW. Translators wrap each such op in a pair of
Transposes (``NodeContext.nchw`` / ``nhwc``) and ``ir.passes.sink_transposes`` removes the pairs afterwards."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.frontends.node_builder import NodeBuilder, registrar
from ovcl.ir import Model, Node, Output, PartialShape, Type
from ovcl.ir import ops

from .reader import Graph, Operator, Quantization, Tensor

# opcode name -> translator(ctx) returning the operator's outputs (real values for quantized tensors)
TRANSLATORS: dict[str, Callable[["NodeContext"], list[Output] | Output]] = {}

# ops whose output values are input values (or 0) moved or selected: with equal quantization on both sides
# they stay on the grid and need no rounding of their own (RELU6's 6 may lie between two steps: not here)
_MOVES = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "MAX_POOL_2D", "GATHER", "STRIDED_SLICE", "SLICE",
          "SPLIT", "SPLIT_V", "PACK", "UNPACK", "CONCATENATION", "PAD", "PADV2", "MIRROR_PAD", "TILE",
          "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "RESIZE_NEAREST_NEIGHBOR", "BROADCAST_TO", "REDUCE_MAX",
          "REDUCE_MIN", "RELU", "MAXIMUM", "MINIMUM", "QUANTIZE"}

_ACTIVATIONS = {0: None, 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


tflite_op = registrar(TRANSLATORS, "TFLite")


class NodeContext(NodeBuilder):
    """What a translator sees of one TFLite operator."""

    def __init__(self, converter: "Converter", op: Operator):
        self._conv = converter
        self.op = op
        self.opcode = op.opcode
        self.options = op.options
        first = converter.graph.tensors[op.outputs[0]].name if op.outputs else ""
        self.name = first or f"{op.opcode}_{op.index}"

    # -- inputs ----------------------------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return len(self.op.inputs)

    def tensor(self, i: int) -> Tensor | None:
        """The TFLite tensor behind input ``i`` (None where the input is omitted)."""
        if i >= len(self.op.inputs) or self.op.inputs[i] < 0:
            return None
        return self._conv.graph.tensors[self.op.inputs[i]]

    def out_tensor(self, k: int = 0) -> Tensor:
        return self._conv.graph.tensors[self.op.outputs[k]]

    def input(self, i: int) -> Output | None:
        """Input ``i`` as an Output carrying its real value (None where the input is omitted)."""
        t = self.tensor(i)
        return None if t is None else self._conv.value(t.index)

    def const_value(self, i: int) -> np.ndarray | None:
        """The stored data of input ``i`` (quantized data as stored), or the value it folds to, else None."""
        t = self.tensor(i)
        if t is None:
            return None
        if t.data is not None and t.quant is None:
            return t.data
        o = self._conv.value(t.index)
        return o.node.value if o.node.type_name == "Constant" else None

    def weights(self, i: int, arrange, axis: int, scale_shape: list[int]) -> Output | None:
        """Constant weights (input ``i``) in OpenVINO's layout: the stored data through ``arrange`` (NumPy), then,
        for quantized weights, dequantized with the per-channel scale reshaped to ``scale_shape`` (the
        quantized ``axis``, TFLite's output channels, in its new place). None where the input is not constant."""
        t = self.tensor(i)
        if t is None or t.data is None:
            return None
        c = ops.constant(np.ascontiguousarray(arrange(t.data)), t.type, name=t.name).output(0)
        if t.quant is None:
            return c
        q = t.quant
        if q.per_axis:
            if q.axis != axis:
                raise self.fail(f"weights '{t.name}' are quantized along axis {q.axis}, expected {axis}")
            q = Quantization(q.scale.reshape(scale_shape), q.zero_point.reshape(scale_shape), -1)
        return dequantize(c, q, t.name)

    def ints(self, i: int, what: str) -> list[int]:
        """Input ``i`` as a list of ints; it must be constant."""
        v = self.const_value(i)
        if v is None:
            raise self.fail(f"{what} (input {i}) must be a constant")
        return [int(a) for a in np.asarray(v).reshape(-1)]

    def opt(self, name: str, default=None):
        """Builtin option ``name`` (the generated accessor, e.g. ``StrideW``), or ``default`` without options."""
        if self.options is None or not hasattr(self.options, name):
            return default
        return getattr(self.options, name)()

    # -- building (NodeBuilder's, and the fused activation) --------------------------------------------------
    def activation(self, y: Output, code: int | None = None) -> Output:
        """Apply the operator's fused activation (``FusedActivationFunction`` option, or ``code``)."""
        if code is None:
            code = self.opt("FusedActivationFunction", 0)
        act = _ACTIVATIONS.get(int(code), f"#{code}")
        if act is None:
            return y
        if act == "RELU":
            return self.make1("Relu", [y], "relu")
        if act == "RELU6":
            return self.make1("Clamp", [y], "relu6", min=0.0, max=6.0)
        if act == "RELU_N1_TO_1":
            return self.make1("Clamp", [y], "relu_n1_to_1", min=-1.0, max=1.0)
        if act == "TANH":
            return self.make1("Tanh", [y], "tanh")
        raise self.fail(f"fused activation {act} is not supported")

    def fail(self, why: str) -> FrontendError:
        return FrontendError(f"TFLite {self.opcode} (operator {self.op.index}, output '{self.name}'): {why}")


class Converter:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.values: dict[int, Output] = {}

    def value(self, index: int) -> Output:
        """Tensor ``index`` as the Output of its real value; constants are made at first use."""
        if index in self.values:
            return self.values[index]
        t = self.graph.tensors[index]
        if t.data is None:
            raise FrontendError(f"TFLite tensor {index} ('{t.name}') is used before it is produced")
        c = ops.constant(t.data, t.type, name=t.name)
        out = c.output(0)
        if t.quant is not None:
            out = dequantize(out, t.quant, t.name)
        self.values[index] = out
        return out

    def convert(self) -> Model:
        g = self.graph
        params = []
        for index in g.inputs:
            t = g.tensors[index]
            name = g.input_names.get(index, t.name)
            p = ops.make("Parameter", [], name=name, element_type=t.type.name, shape=PartialShape(t.shape))
            p.output(0).set_names({name, t.name})
            out = p.output(0)
            if t.quant is not None:
                out = dequantize(out, t.quant, f"{name}/dequantize")
            self.values[index] = out
            params.append(p)
        for op in g.operators:
            self._operator(op)
        results = []
        for index in g.outputs:
            t = g.tensors[index]
            name = g.output_names.get(index, t.name)
            out = self.value(index)
            if t.quant is not None:
                out = quantize(out, t.quant, t.type, f"{name}/quantize", to_type=True)
            out.add_names({name, t.name})
            results.append(ops.make("Result", [out], name=f"{name}/sink_port_0"))
        return Model(results, params, name=g.name)

    def _operator(self, op: Operator) -> None:
        fn = TRANSLATORS.get(op.opcode)
        if fn is None:
            hint = ""
            if op.opcode.startswith("CUSTOM:Flex"):
                hint = " (a TensorFlow op the converter kept through SELECT_TF_OPS: convert with builtins only)"
            raise UnsupportedOpError(f"TFLite operator {op.index} is {op.opcode}, which ovcl cannot translate{hint}")
        ctx = NodeContext(self, op)
        outs = ctx.translate_with(fn)
        if isinstance(outs, (Output, Node)):
            outs = [outs]
        outs = [o.output(0) if isinstance(o, Node) else o for o in outs]
        if len(outs) < len(op.outputs):
            raise ctx.fail(f"{len(op.outputs)} outputs expected, the translation made {len(outs)}")
        in_quants = [self.graph.tensors[i].quant for i in op.inputs if i >= 0 and self.graph.tensors[i].data is None]
        for k, index in enumerate(op.outputs):
            t = self.graph.tensors[index]
            o = outs[k]
            if t.quant is not None and not (op.opcode in _MOVES and in_quants
                                            and all(_same(q, t.quant) for q in in_quants)):
                o = fake_quantize(o, t.quant, t.type, f"{t.name}/requantize")
            elif t.quant is None and t.type.is_real() and o.get_element_type() != t.type \
                    and o.get_element_type().is_real():
                o = ops.make("Convert", [o], name=f"{t.name}/convert", destination_type=t.type.name).output(0)
            o.add_names({t.name})
            self.values[index] = o


def _same(a: Quantization | None, b: Quantization) -> bool:
    return a is not None and np.array_equal(a.scale, b.scale) and np.array_equal(a.zero_point, b.zero_point)


def _along(q: Quantization, values: np.ndarray, rank: int, dtype) -> np.ndarray:
    """Per-tensor values as a scalar, per-axis ones shaped to broadcast along ``q.axis`` (axis -1: already
    shaped to broadcast)."""
    v = np.asarray(values, dtype=dtype)
    if not q.per_axis:
        return v.reshape(())
    if q.axis == -1:
        return v
    shape = [1] * rank
    shape[q.axis] = v.size
    return v.reshape(shape)


def dequantize(x: Output, q: Quantization, name: str) -> Output:
    """Integer ``x`` → f32 real values: Convert → Subtract(zero point, where any) → Multiply(scale)."""
    rank = len(x.get_partial_shape())
    y = ops.make("Convert", [x], name=f"{name}/to_f32", destination_type="f32").output(0)
    if np.any(q.zero_point != 0):
        zp = ops.constant(_along(q, q.zero_point, rank, np.float32), name=f"{name}/zero_point").output(0)
        y = ops.make("Subtract", [y, zp], name=f"{name}/sub_zero_point").output(0)
    s = ops.constant(_along(q, q.scale, rank, np.float32), name=f"{name}/scale").output(0)
    return ops.make("Multiply", [y, s], name=f"{name}/mul_scale").output(0)


def quantize(x: Output, q: Quantization, t: Type, name: str, to_type: bool = False) -> Output:
    """Real ``x`` → the nearest value of ``t``'s grid as q (f32, or ``t`` itself with ``to_type``)."""
    rank = len(x.get_partial_shape())
    lo, hi = t.int_range
    s = ops.constant(_along(q, q.scale, rank, np.float32), name=f"{name}/scale").output(0)
    y = ops.make("Divide", [x, s], name=f"{name}/div_scale").output(0)
    y = ops.make("Round", [y], name=f"{name}/round", mode="half_to_even").output(0)
    if np.any(q.zero_point != 0):
        zp = ops.constant(_along(q, q.zero_point, rank, np.float32), name=f"{name}/zero_point").output(0)
        y = ops.make("Add", [y, zp], name=f"{name}/add_zero_point").output(0)
    y = ops.make("Clamp", [y], name=f"{name}/saturate", min=float(lo), max=float(hi)).output(0)
    if to_type:
        y = ops.make("Convert", [y], name=f"{name}/to_{t.name}", destination_type=t.name).output(0)
    return y


def fake_quantize(x: Output, q: Quantization, t: Type, name: str) -> Output:
    """``x`` rounded onto the grid of ``q`` and ``t``, as a real value."""
    y = quantize(x, q, t, name)
    rank = len(x.get_partial_shape())
    if np.any(q.zero_point != 0):
        zp = ops.constant(_along(q, q.zero_point, rank, np.float32), name=f"{name}/zero_point_back").output(0)
        y = ops.make("Subtract", [y, zp], name=f"{name}/sub_zero_point").output(0)
    s = ops.constant(_along(q, q.scale, rank, np.float32), name=f"{name}/scale_back").output(0)
    return ops.make("Multiply", [y, s], name=f"{name}/mul_scale").output(0)


def convert(model, name: str | None = None, input=None, output=None) -> Model:  # noqa: A002
    """Convert a ``.tflite`` file (path) or its bytes to an ``ovcl.ir.Model``, cut at ``input`` / ``output``
    (``convert_model``'s arguments) by TFLite tensor names."""
    import os
    from pathlib import Path

    from ovcl.frontends.layout import finish_nhwc

    from .reader import read
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_file():
            raise FrontendError(f"TFLite file {path} does not exist")
        buf, source = path.read_bytes(), str(path)
    elif isinstance(model, (bytes, bytearray, memoryview)):
        buf, source = bytes(model), name or "TFLite bytes"
    else:
        raise FrontendError(f"cannot read a TFLite model from a {type(model).__name__}")
    return finish_nhwc(Converter(read(buf, source)).convert(), input, output)
