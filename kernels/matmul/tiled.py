"""MatMul, register-tiled (``tiled.cl.mako``): each work-item computes a TM x (NV*VW) tile of C in float
vectors of width VW, over B packed into panels of TN = NV*VW columns (or read in place), K unrolled by U.

Problem: ``M``, ``N``, ``K``; ``nb`` (products in the launch); ``kind``: ``const`` (B packed at compile time),
``runtime`` (B computed at run time: packed by ``pack.cl.mako`` first, or with BDIRECT read in place where
``direct_ok``: f32, row-major, small) or ``conv`` (a 1x1 convolution: A K-major, C stored transposed, sizes as
kernel arguments); ``avec_u``: the unrolls for which A's rows may be read as vectors; ``b_half``: B holds f16
bits.
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, Variant, round_up


class Tiled(Variant):
    family = "matmul"
    name = "tiled"
    template = "matmul/tiled.cl.mako"
    params = {
        "TM": (1, 2, 3, 4, 5, 6, 8),       # rows of C per work-item
        "VW": (1, 2, 4, 8, 16),            # float vector width
        "NV": (1, 2, 3, 4),                # vectors per row: TN = NV * VW columns
        "U": (1, 2, 4, 8),                 # K unroll
        "L0": (1, 2, 4, 8, 16, 32),        # work-group: panels
        "L1": (1, 2, 4, 8, 16, 32),        # work-group: row blocks
        "AVEC": (0, 1),                    # A rows read as floatU vectors (where aligned)
        "BLOCAL": (0, 1),                  # f16 B on a CPU: a work-group decodes its panels into local memory
        "BDIRECT": (0, 1),                 # a run-time B read in place instead of packed first
    }
    shape_keys = ("kind", "M", "N", "K", "nb")

    def defaults(self, problem: dict, caps) -> dict:
        if caps.device_type != "CPU":
            return {"TM": 4, "VW": 4, "NV": 1, "U": 4, "L0": 16, "L1": 8, "AVEC": 1, "BLOCAL": 0, "BDIRECT": 1}
        # PoCL runs a work-group's items one after another on one core: the vector width the compiler prefers,
        # accumulators within the register file (16 ymm: 4 x 3 float8; 32 zmm: 6 x 2 float16 measured 2.75x
        # faster than 4 x 3 float8 on an AVX-512 Xeon), scalar A loads (they broadcast for free on x86)
        vw = min(16, max(4, caps.preferred_vector_width_float))
        cfg = ({"TM": 6, "VW": 16, "NV": 2, "L0": 4, "L1": 16} if vw >= 16 else
               {"TM": 4, "VW": vw, "NV": 3 if vw == 8 else 4, "L0": 8, "L1": 8})
        cfg.update(U=4, AVEC=0, BLOCAL=1, BDIRECT=1)
        # the panels a work-group sweeps stay within ~256 KiB (the core's L2) while its row blocks reuse them
        k = problem["K"]
        while cfg["L0"] > 1 and cfg["L0"] * k * cfg["VW"] * cfg["NV"] * 4 > 1 << 18:
            cfg["L0"] //= 2
            cfg["L1"] = min(32, cfg["L1"] * 2)
        return cfg

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        cfg = dict(cfg)
        M, N = problem["M"], problem["N"]
        cfg["TM"] = min(cfg["TM"], max(1, M))
        if not problem.get("direct_ok") or N % cfg["VW"]:
            cfg["BDIRECT"] = 0
        if cfg["BDIRECT"]:                       # panels of B read in place must divide its rows
            while cfg["NV"] > 1 and N % (cfg["NV"] * cfg["VW"]):
                cfg["NV"] -= 1
        while cfg["NV"] > 1 and N <= (cfg["NV"] - 1) * cfg["VW"]:
            cfg["NV"] -= 1
        # a narrower panel where a quarter of the columns computed would be padding and it pads less: N = 32 on
        # 24-column panels computes 48 (DenseNet-121's Winograd GEMMs of 32 channels ran 16% faster on 16)
        while cfg["NV"] > 1:
            wide, narrow = (-(-N // tn) * tn for tn in (cfg["NV"] * cfg["VW"], (cfg["NV"] - 1) * cfg["VW"]))
            if 4 * (wide - N) < wide or narrow >= wide:
                break
            cfg["NV"] -= 1
        if cfg["U"] not in problem.get("avec_u", ()):
            cfg["AVEC"] = 0
        whole = dict(cfg)
        cfg["L0"] = min(cfg["L0"], self.panels(cfg, problem))
        cfg["L1"] = min(cfg["L1"], -(-M // cfg["TM"]))
        if not self.b_local_fits(cfg, problem, caps):
            cfg["BLOCAL"] = 0
        if self.dyn(cfg, problem):
            # with sizes as arguments the work-group is in the source as is, not clipped to this shape's panels
            # and row blocks (the work-items past them return at once), so that shapes share the kernel
            cfg["L0"], cfg["L1"] = whole["L0"], whole["L1"]
        return cfg

    def dyn(self, cfg: dict, problem: dict) -> bool:
        """Whether M, N, K and the panels are kernel arguments, not in the source: for a 1x1 convolution's GEMM
        (``conv``) and products that ask for it (``dyn``: a convolution's columns, Winograd's 16 GEMMs), so
        that a network's layers share a few kernels (PoCL compiles each kernel at its first launch, 0.1-0.2 s
        apiece), except where the work-group decodes f16 panels into local memory (BLOCAL: its size in the
        source)."""
        return problem["kind"] == "conv" or (problem.get("dyn", False) and not cfg["BLOCAL"])

    def b_local_fits(self, cfg: dict, problem: dict, caps) -> bool:
        """Decoding f16 panels into local memory pays where a group's rows reuse each panel (measured ~1.7x
        faster than decoding every B vector inline) and the panels fit half the local memory."""
        return (problem.get("b_half", False) and caps.device_type == "CPU" and problem["kind"] == "const"
                and cfg["L1"] * cfg["TM"] >= 8
                and self.local_bytes(dict(cfg, BLOCAL=1), problem) <= min(caps.local_mem_size // 2, 1 << 19))

    def constraints(self, cfg: dict, problem: dict, caps) -> str | None:
        if cfg["BDIRECT"] and not (problem.get("direct_ok") and problem["N"] % (cfg["VW"] * cfg["NV"]) == 0):
            return "B read in place needs an f32 row-major B with N a multiple of VW*NV"
        if cfg["TM"] * cfg["NV"] + cfg["NV"] > 40:
            return f"{cfg['TM']} x {cfg['NV']} vector accumulators spill any register file"
        if cfg["BLOCAL"] and not problem.get("b_half", False):
            return "BLOCAL needs f16 B"
        return None

    # -- sizes ----------------------------------------------------------------------------------------------
    def tn(self, cfg: dict) -> int:
        return cfg["VW"] * cfg["NV"]

    def kp(self, cfg: dict, problem: dict) -> int:
        return round_up(problem["K"], cfg["U"])

    def panels(self, cfg: dict, problem: dict) -> int:
        return -(-problem["N"] // self.tn(cfg))

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return cfg["L0"], cfg["L1"], 1

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        mb = -(-problem["M"] // cfg["TM"])
        return round_up(self.panels(cfg, problem), cfg["L0"]), round_up(mb, cfg["L1"]), problem["nb"]

    def local_bytes(self, cfg: dict, problem: dict) -> int:
        return cfg["L0"] * self.kp(cfg, problem) * self.tn(cfg) * 4 if cfg["BLOCAL"] else 0

    # -- arguments ------------------------------------------------------------------------------------------
    def args(self, a_ct: str, b_ct: str, c_ct: str, bias_ct: str | None, res_ct: str | None, dyn: bool) -> Args:
        args = (Args().buffer("A", a_ct, const=True).buffer("Bp", b_ct, const=True).buffer("C", c_ct)
                .epilogue(bias_ct, res_ct))
        if dyn:
            for s in ("M", "N", "K", "P", "KpTN"):
                args.scalar(s)
        return args


VARIANT = Tiled()
