"""MatMul, one work-item per output element (``naive.cl.mako``): integer and f64 products, and the path
config ``KERNEL_VARIANT={"matmul": "naive"}`` forces. Same epilogue contract as the tiled kernel.

Problem: ``total`` (output elements, every batch).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, PerItem


class Naive(PerItem):
    family = "matmul"
    name = "naive"
    template = "matmul/naive.cl.mako"

    def args(self, a_ct: str, b_ct: str, c_ct: str, bias_ct: str | None, res_ct: str | None) -> Args:
        return (Args().buffer("A", a_ct, const=True).buffer("B", b_ct, const=True).buffer("C", c_ct)
                .epilogue(bias_ct, res_ct))


VARIANT = Naive()
