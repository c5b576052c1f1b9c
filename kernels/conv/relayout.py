"""The copies that put a convolution's input where a faster path wants it, one work-item per destination
row; their sizes are kernel arguments, so one kernel serves every layer (one PoCL compile):

- ``im2col.cl.mako``: a strided KxK convolution's columns, a row per output pixel (then the GEMM path);
- ``subsample.cl.mako``: a strided 1x1 convolution's pixels made contiguous (then the GEMM path);
- ``pad.cl.mako``: a zero-padded (and for transposed convolutions, zero-spread) copy (then the direct path).

Problem: ``total`` (destination rows); for ``pad``, ``rows`` (N*C*PD: the destination's rows of planes) and
``ph`` (its padded height): work-item (h, row).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, PerItem, Variant, round_up

_SIZES = {"im2col": ("NR", "C", "H", "W", "OH", "OW", "PT", "PL"), "subsample": ("NR", "H", "W", "OH", "OW")}


class RowCopy(PerItem):
    family = "conv"

    def __init__(self, name: str):
        self.name, self.template = name, f"conv/{name}.cl.mako"

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        # the work-group as it is for every shape (rows past the end return): PoCL compiles a kernel once per
        # work-group size, and ResNet-50's 1x1 copies of 28 and 56 rows compiled one kernel twice
        return dict(cfg)

    def args(self, ct: str) -> Args:
        """``ct``: the C type the elements are copied as (f16 data as its bits, ``ushort``)."""
        args = Args().buffer("out", ct).buffer("x", ct, const=True)
        for s in _SIZES[self.name]:
            args.scalar(s)
        return args


class Pad(Variant):
    family = "conv"
    name = "pad"
    template = "conv/pad.cl.mako"
    params = {"L0": (1, 2, 4, 8, 16, 32)}      # work-group: destination rows of one plane
    shape_keys = ("rows", "ph")

    def defaults(self, problem: dict, caps) -> dict:
        return {"L0": 8}     # one local size for every shape; rows past the plane's return

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return cfg["L0"], 1

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return round_up(problem["ph"], cfg["L0"]), problem["rows"]

    # the int arguments, in the template's order: rows, source D H W, destination PD PH PW, offsets, up, [LO, HI)
    SIZES = ("rows", "D", "H", "W", "PD", "PH", "PW", "OD", "OH", "OW", "UD", "UH", "UW", "LO", "HI")

    def args(self, ct: str) -> Args:
        args = Args().buffer("out", ct).buffer("x", ct, const=True)
        for s in self.SIZES:
            args.scalar(s)
        return args


IM2COL = RowCopy("im2col")
SUBSAMPLE = RowCopy("subsample")
PAD = Pad()
