"""ONNX ops whose output shapes depend on values."""
from .graph import NodeContext, onnx_op


@onnx_op("NonZero")
def _nonzero(ctx: NodeContext):
    return ctx.make("NonZero", [ctx.input(0)], output_type="i64")
