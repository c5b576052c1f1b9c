"""A run-time B packed into the tiled kernel's panels (``pack.cl.mako``): work-item (j, k, batch * P + p)
writes ``Bp[batch][p][k][j] = B[batch][k][p * TN + j]`` (zero padded). Part of the tiled variant's launch:
its panel width TN and padded depth Kp come from the tiled kernel's parameters; the work-group is a whole
panel row by L1 rows of k.

Problem: ``TN``, ``Kp``, ``P`` (panels), ``nb`` (B batches).
"""
from __future__ import annotations

from ovcl.kernels.variant import Args, Variant, round_up


class Pack(Variant):
    family = "matmul"
    name = "pack"
    template = "matmul/pack.cl.mako"
    params = {"L1": (1, 2, 4, 8, 16, 32, 64, 128, 256)}
    shape_keys = ("TN", "Kp", "P", "nb")

    def defaults(self, problem: dict, caps) -> dict:
        return {"L1": max(1, min(problem["Kp"], caps.max_work_group_size // problem["TN"], 256 // problem["TN"]))}

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return problem["TN"], cfg["L1"], 1

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return problem["TN"], round_up(problem["Kp"], cfg["L1"]), problem["nb"] * problem["P"]

    def args(self, b_ct: str) -> Args:
        return Args().buffer("B", b_ct, const=True).buffer("Bp", "float")


VARIANT = Pack()
