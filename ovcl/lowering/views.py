"""Ops that only change how bytes are seen: no launch, the output shares the input's storage."""
from .base import LoweringContext, lowers


@lowers("Reshape", "Squeeze", "Unsqueeze", "Identity", "BitCast")
def _view(ctx: LoweringContext):
    ctx.alias(0, ctx.inputs[0])
