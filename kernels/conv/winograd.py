"""Convolution, Winograd F(2x2, 3x3): an input transform (``winograd_in.cl.mako``: each work-item turns NT
tiles of one tile row into 16 matrices V), 16 GEMMs over the transformed weights (``matmul.tiled``, tuned
on its own), and an output transform (``winograd_out.cl.mako``: A^T m A per tile for 8 output channels a
work-item, with the epilogue; LO blocks of 8 channels by 16 // LO tiles a work-group). The parameters here
are the two transforms'.

Problem: ``c``, ``oc``, ``th``, ``tw`` (output tile rows and columns), ``n`` (images); ``group_max`` and
``z_max`` (the device's work-items a group and along its third axis: the input transform's group of planes stays
within them).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, Variant, round_up, work_group_error


class Winograd(Variant):
    family = "conv"
    name = "winograd"
    template = "conv/winograd_in.cl.mako"
    also = ("conv/winograd_out.cl.mako",)
    params = {
        "NT": (2, 4, 8),                   # tiles per work-item of the input transform (float<NT> across them)
        "LI": (1, 2, 4, 8, 16),            # input transform work-group: tile blocks of a row (at most)
        "LO": (1, 2, 4, 8),                # output transform work-group: blocks of 8 output channels
    }
    shape_keys = ("n", "c", "oc", "th", "tw")

    def defaults(self, problem: dict, caps) -> dict:
        # measured on a 2-core Zen 4 (ResNet-50's layers): 4 tiles a work-item; the output transform's groups
        # of 4 x 8 channels by 4 tiles are 16 work-items, as the other CPU kernels' (LO not measured further)
        return {"NT": 4, "LI": 1, "LO": 4}

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        # LI tile blocks of a row by 4 // LI tile rows, then planes up to 64 work-items (PoCL pays about a
        # microsecond a work-group, and (4, 1, 1) groups made DenseNet-121's input transforms a third of its
        # 3x3 convolutions' time). Not fitted to the plane's size: PoCL compiles a kernel once per work-group
        # size (0.36 s here), and ResNet-50's layers had three
        l0 = cfg["LI"]
        l1 = max(1, 4 // l0)
        planes, l2 = problem["n"] * problem["c"], 1
        cap = min(64, problem.get("group_max", 64))
        while (planes % (l2 * 2) == 0 and l0 * l1 * l2 * 2 <= cap    # a divisor: the kernel has no plane guard
               and l2 * 2 <= problem.get("z_max", 64)):
            l2 *= 2
        return l0, l1, l2

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        l0, l1, _ = self.local_size(cfg, problem)
        blocks = -(-problem["tw"] // cfg["NT"])
        return round_up(blocks, l0), round_up(problem["th"], l1), problem["n"] * problem["c"]

    def out_local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return cfg["LO"], max(1, 16 // cfg["LO"]), 1

    def out_global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        lo, lt, _ = self.out_local_size(cfg, problem)
        return round_up(-(-problem["oc"] // 8), lo), round_up(problem["tw"], lt), problem["n"] * problem["th"]

    def constraints(self, cfg: dict, problem: dict, caps) -> str | None:
        # the generic check sees the input transform's work-group; the output transform has its own
        why = work_group_error(self.out_local_size(cfg, problem), caps)
        return f"output transform: {why}" if why else None

    def in_args(self, x_ct: str) -> Args:
        args = Args().buffer("V", "float").buffer("x", x_ct, const=True)
        for s in ("C", "H", "W", "PT", "PL", "TH", "TW", "T"):
            args.scalar(s)
        return args

    def out_args(self, out_ct: str, bias_ct: str | None, res_ct: str | None) -> Args:
        args = Args().buffer("out", out_ct).buffer("M", "float", const=True)
        if bias_ct:
            args.buffer("bias", bias_ct, const=True)
        if res_ct:
            args.buffer("res", res_ct, const=True)
        for s in ("OC", "OH", "OW", "TH", "TW", "T"):
            args.scalar(s)
        return args


VARIANT = Winograd()
