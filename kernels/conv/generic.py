"""Convolution, one work-item per output element (``generic.cl.mako``): forward or transposed, any group
count and element type, weights from a device tensor in any layout. What no other path takes (weights
computed at run time, f16 data...), and the path config ``KERNEL_VARIANT={"conv": "generic"}`` forces.

Problem: ``total`` (output elements).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, PerItem


class Generic(PerItem):
    family = "conv"
    name = "generic"
    template = "conv/generic.cl.mako"

    def args(self, ct: str, w_ct: str, bias_ct: str | None, res_ct: str | None) -> Args:
        return (Args().buffer("out", ct).buffer("x", ct, const=True).buffer("w", w_ct, const=True)
                .epilogue(bias_ct, res_ct))


VARIANT = Generic()
