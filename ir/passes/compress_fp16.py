"""FP16 compression of weights, as ``openvino.save_model(compress_to_fp16=True)`` does it: each floating-point
constant that survives the trip becomes an f16 constant behind a ``Convert`` back to its type, marked
``decompression`` in rt_info (the marking OpenVINO reads back, and ovcl's compiler folds away again)."""
from __future__ import annotations

import math

import numpy as np

from ..model import Model
from ..node import Node, Output
from ..ops import constant, make
from ..types import Type

# rt_info key of Converts that decompress f16 weights (IR written with compress_to_fp16).
DECOMPRESSION = "decompression"

F16_MAX = 65504.0
_F16_KEEP_THRESHOLD = 0.75   # a constant this much out of f16's range stays f32, as in OpenVINO


def compress_value_to_fp16(value: np.ndarray) -> np.ndarray | None:
    """The f16 form of a floating-point constant, or None when it should stay as it is (OpenVINO's rule:
    75% or more of its values overflow f16, or are non-zero and underflow to zero). Overflowing values are
    clamped to f16's largest finite magnitude, NaN stays NaN."""
    src = np.asarray(value)
    if src.size == 0:
        return None
    if src.dtype != np.float32 and src.dtype != np.float64:
        src = src.astype(np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        overflow = int(np.count_nonzero(np.abs(src) > F16_MAX))            # includes +-inf, not NaN
        out = np.clip(src, -F16_MAX, F16_MAX).astype(np.float16)
    underflow = int(np.count_nonzero(out == 0)) - int(np.count_nonzero(src == 0))
    if (overflow + underflow) / src.size >= _F16_KEEP_THRESHOLD:
        return None
    return out


def _shape_like(out: Output) -> bool:
    ps = out.get_partial_shape()
    return ps.is_static and len(ps) <= 1 and math.prod(ps.to_shape()) <= 64


def _on_integer_grid(out: Output) -> bool:
    """``out`` holds integer values in a float type: quantized data on its way to being dequantized."""
    node = out.node
    while node.type_name == "Clamp" or (node.type_name in ("Subtract", "Add")
                                        and node.input_value(1).node.type_name == "Constant"):
        node = node.input_value(0).node
    if node.type_name == "Round":
        return True
    return (node.type_name == "Convert" and node.input_type(0).is_integral()
            and node.get_output_element_type(0).is_real())


def precision_sensitive_constants(nodes: list[Node]) -> set[int]:
    """Ids of floating-point constants that FP16 compression leaves alone, as ``openvino.save_model`` does.

    * constants computing shapes or sizes: those that reach, through small 1-D tensors only, a float->integer
      Convert, the scales input of an Interpolate or an input of Range (rounding them to f16 could change a
      shape, not just a value; OpenVINO keeps its ShapeOf subgraphs in f32);
    * the constant inputs of a Divide, and the slope of a PReLU when it is a single value (what OpenVINO's
      save_model keeps in f32 for these ops);
    * the zero points and scales of (de)quantization: constants that a Subtract or Multiply applies to integer
      values (a Convert from an integer type, a Round, through Clamps and zero-point Subtracts). OpenVINO marks
      these subgraphs to keep them f32 too; in f16 a scale moves results by whole quantization steps.

    OpenVINO keeps a few more small constants in f32 in some other patterns (mixed-precision markings);
    those are compressed here, which changes no shape and costs at most a few bytes of compression."""
    keep: set[int] = set()
    starts: list[Output] = []
    for n in nodes:
        ins = n.input_values()
        if n.type_name == "Divide":
            keep.update(i.node.id for i in ins if i.node.type_name == "Constant")
        elif n.type_name == "PRelu" and len(ins) > 1 and ins[1].node.type_name == "Constant" \
                and np.size(ins[1].node.value) == 1:
            keep.add(ins[1].node.id)
        elif n.type_name in ("Subtract", "Multiply") and any(_on_integer_grid(i) for i in ins):
            keep.update(i.node.id for i in ins if i.node.type_name == "Constant")
        if n.type_name == "Convert" and ins and ins[0].get_element_type().is_real() \
                and not n.get_output_element_type(0).is_real():
            starts.append(ins[0])
        elif n.type_name == "Interpolate":
            k = 2 if n.version in ("opset4", "opset1") else 1
            if len(ins) > k:
                starts.append(ins[k])
        elif n.type_name == "Range":
            starts.extend(ins)
    seen: set[tuple[int, int]] = set()
    while starts:
        out = starts.pop()
        key = (out.node.id, out.index)
        if key in seen:
            continue
        seen.add(key)
        node = out.node
        if node.type_name == "Constant":
            keep.add(node.id)
        elif node.type_name != "ShapeOf" and _shape_like(out):
            starts.extend(node.input_values())
    return keep


def compress_constants_to_fp16(model: Model) -> Model:
    """A copy of ``model`` whose f32/f64 constants are f16 behind a decompression ``Convert`` (the Convert takes
    the constant's name, tensor names and port rt_info; the f16 constant is ``<name>_compressed``), except the
    precision-sensitive ones and those that would mostly overflow or underflow. ``model`` is not modified."""
    m = model.clone()
    ops = m.get_ordered_ops()
    keep = precision_sensitive_constants(ops)
    mapping: dict[Output, Output] = {}
    for node in ops:
        if node.type_name != "Constant" or node.id in keep or node.value is None:
            continue
        t = node.get_output_element_type(0)
        packed = compress_value_to_fp16(np.asarray(node.value)) if t in (Type.f32, Type.f64) else None
        if packed is None:
            continue
        conv = make("Convert", [constant(packed, Type.f16, name=f"{node.name}_compressed")], name=node.name,
                    destination_type=t.name)
        conv.rt_info[DECOMPRESSION] = True
        conv.output(0).get_rt_info().update(node.output(0).get_rt_info())
        mapping[node.output(0)] = conv.output(0)
    m.replace_outputs(mapping)
    return m
