"""Depthwise convolution (``depthwise.cl.mako``): a work-item computes R output rows x 8*NV pixels of one
channel, each input row loaded once per kernel column, straight from the unpadded input. The work-items are
one flat range over (plane, row block, tile), L0 * L1 * L2 to a work-group.

Problem: ``nc`` (N*C), ``oh``, ``ow``, ``stride`` (rows), ``kernel`` (e.g. ``3x3s2``, for the shape key).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, Variant, round_up


class Depthwise(Variant):
    family = "conv"
    name = "depthwise"
    template = "conv/depthwise.cl.mako"
    params = {
        "R": (1, 2, 3, 4, 6, 8),           # output rows per work-item
        "NV": (1, 2),                      # float8 vectors of pixels per row
        "L0": (1, 2, 4, 8),                # work-group: pixel tiles
        "L1": (1, 2, 4, 8),                # work-group: row blocks
        "L2": (1, 2, 4, 8),                # work-group: channels
    }
    shape_keys = ("kernel", "nc", "oh", "ow")

    def defaults(self, problem: dict, caps) -> dict:
        # measured on a 2-core Zen 4: 4 rows at stride 1, 2 at stride 2 (8 ran MobileNetV2's stride-2 layers
        # 10-25% faster, but its 17 input rows, unrolled for three kinds of tile, took 1-2 s a kernel to compile:
        # the model's cold first result 3.4 -> 5.4 s for 0.08 ms); 16-pixel tiles on rows of >= 16 (on short
        # rows too they would save a kernel but cost 5-10%); one work-group for every layer, 16 work-items of
        # the flat range (L0 * L1 * L2; 64 measured the same, 4 slower)
        return {"R": 4 if problem["stride"] == 1 else 2, "NV": 2 if problem["ow"] >= 16 else 1,
                "L0": 4, "L1": 4, "L2": 1}

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        return dict(cfg, R=max(1, min(cfg["R"], problem["oh"])))

    def tiles(self, cfg: dict, problem: dict) -> int:
        return -(-problem["ow"] // (8 * cfg["NV"]))

    def row_blocks(self, cfg: dict, problem: dict) -> int:
        return -(-problem["oh"] // cfg["R"])

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return (cfg["L0"] * cfg["L1"] * cfg["L2"],)

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        items = self.tiles(cfg, problem) * self.row_blocks(cfg, problem) * problem["nc"]
        return (round_up(items, self.local_size(cfg, problem)[0]),)

    def args(self, out_ct: str, x_ct: str, bias_ct: str | None, res_ct: str | None) -> Args:
        args = Args().buffer("out", out_ct).buffer("x", x_ct, const=True).buffer("w", "float", const=True)
        if bias_ct:
            args.buffer("bias", bias_ct, const=True)
        if res_ct:
            args.buffer("res", res_ct, const=True)
        for s in ("NC", "C", "H", "W", "OH", "OW", "PT", "PL", "NT", "NR"):
            args.scalar(s)
        return args


VARIANT = Depthwise()
