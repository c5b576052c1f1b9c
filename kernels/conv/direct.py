"""Convolution, direct and register-tiled (``direct.cl.mako``): a work-item computes TO output channels x
VW*NV output pixels of one row from weights packed per channel block; a work-group spans WGT pixel tiles x
(nearly) all channel blocks, so a tile's input panel serves every block from the cache.

Problem: ``oc``, ``icg``, ``ocg``, ``groups``, ``ow`` (output row length, the whole plane for flat 1x1),
``rows`` (N*OD*OH), ``kernel`` (e.g. ``3x3s2``, for the shape key), ``depthwise`` (one channel per group).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, Variant


class Direct(Variant):
    family = "conv"
    name = "direct"
    template = "conv/direct.cl.mako"
    params = {
        "TO": (1, 2, 4, 8, 12, 16),        # output channels per work-item
        "NV": (1, 2),                      # pixel vectors per work-item
        "VW": (8, 16),                     # pixels per vector
        "WGT": (1, 2, 4, 8),               # pixel tiles per work-group
    }
    shape_keys = ("kernel", "oc", "icg", "groups", "ow", "rows")

    def defaults(self, problem: dict, caps) -> dict:
        # 12 channels x 8 pixels measured best on a 2-core Zen 4 (PoCL, AVX2); unless 12 pads the channel count
        # by more than 5%: then 8
        oc = problem["oc"]
        to = 12 if -(-oc // 12) * 12 <= 1.05 * oc else 8
        nv = 2 if problem["depthwise"] else 1
        # on a CPU a work-group's tiles cover the row, up to 8 (a power of two: PoCL compiles once per local
        # size): the 3x3 stride-2 stems over 111-112 columns ran 1.3-1.5x faster with 8 than with 4 (2-core Zen
        # 4), while rows of 2 tiles (Inception-v1's 5x5 layers at 13x13) lost 25-30% at 8 to idle work-items
        wgt = 4
        if caps.device_type == "CPU":
            wgt = 1
            while wgt < 8 and wgt * 8 * nv < problem["ow"]:
                wgt *= 2
        return {"TO": to, "NV": nv, "VW": 8, "WGT": wgt}

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        cfg = dict(cfg)
        if problem["depthwise"]:
            cfg["TO"] = 1
        elif problem["groups"] > 1:        # a block of channels stays within its group
            cfg["TO"] = next(t for t in (cfg["TO"], 8, 4, 2, 1) if t <= cfg["TO"] and problem["ocg"] % t == 0)
        elif problem["oc"] <= 8:
            cfg["TO"] = min(cfg["TO"], problem["oc"])
        if problem["ow"] <= 8:
            cfg["VW"] = 8
        if problem["ow"] < cfg["VW"] * cfg["NV"]:
            cfg["NV"] = 1
        return cfg

    def constraints(self, cfg: dict, problem: dict, caps) -> str | None:
        if cfg["TO"] * cfg["NV"] > 32:
            return f"{cfg['TO']} x {cfg['NV']} vector accumulators spill any register file"
        return None

    def tiles(self, cfg: dict, problem: dict) -> int:
        return -(-problem["ow"] // (cfg["VW"] * cfg["NV"]))

    def blocks(self, cfg: dict, problem: dict) -> int:
        return -(-problem["oc"] // cfg["TO"])

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        # WGT tiles (also when a row has fewer: the extra work-items return; one local size, one PoCL compile)
        # x the channel blocks, split only to leave >= 16 groups for the cores, as a power of two (PoCL
        # compiles a kernel again for each local size it is launched with). Where the tiles alone make 8
        # groups, at least 8 blocks (the extra work-items return): Inception-v1's 5x5 layers of 32 to 128
        # channels compiled two kernels five times (0.3-0.4 s each), for 2, 4 and 8 blocks
        gx = -(-self.tiles(cfg, problem) // cfg["WGT"]) * problem["rows"]
        want = max(1, -(-self.blocks(cfg, problem) // max(1, -(-16 // gx))))
        ly = 1 << (want.bit_length() - 1)
        return cfg["WGT"], max(ly, 8) if gx >= 8 else ly, 1

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        lx, ly, _ = self.local_size(cfg, problem)
        nt, nb = self.tiles(cfg, problem), self.blocks(cfg, problem)
        return -(-nt // lx) * lx, -(-nb // ly) * ly, problem["rows"]

    def args(self, out_ct: str, x_ct: str, w_ct: str, bias_ct: str | None, res_ct: str | None) -> Args:
        args = Args().buffer("out", out_ct).buffer("x", x_ct, const=True).buffer("w", w_ct, const=True)
        if bias_ct:
            args.buffer("bias", bias_ct, const=True)
        if res_ct:
            args.buffer("res", res_ct, const=True)
        for s in ("NT", "NBLK", "OC", "OD", "OH", "OW", "XC", "ICg", "OCg", "XPLANE", "XW", "SDXH", "SH", "DDXH",
                  "DH"):
            args.scalar(s)
        return args


VARIANT = Direct()
