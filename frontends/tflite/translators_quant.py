"""TFLite QUANTIZE and DEQUANTIZE. Translators carry real values (see graph.py), so both pass their input on:
the rounding of a QUANTIZE happens where every quantized output is rounded onto its grid."""
from __future__ import annotations

from .graph import NodeContext, tflite_op


@tflite_op("QUANTIZE")
def _quantize(ctx: NodeContext):
    return ctx.input(0)


@tflite_op("DEQUANTIZE")
def _dequantize(ctx: NodeContext):
    x = ctx.input(0)                  # a quantized tensor's real value, or f16 weights
    if x.get_element_type() != ctx.out_tensor().type:
        x = ctx.make1("Convert", [x], destination_type=ctx.out_tensor().type.name)
    return x
