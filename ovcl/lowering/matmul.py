"""MatMul: a register-tiled kernel over a B operand packed into panels.

A constant B (weights; also a Constant behind a decompression Convert) is packed at compile time into
``ceil(N / TN)`` panels of ``Kp x TN`` floats per B batch (zero padded: Kp = K rounded up to the unroll, N to
TN). A B computed at run time (attention's QK^T and ·V) is read in place when it is f32, row-major and N is a
multiple of the vector width (the tile width then divides N) and B is small (DIRECT_B_BYTES); otherwise a small
kernel packs it first.
Each work-item of ``matmul/tiled.cl.mako`` computes a TM x TN tile with TN = NV vector accumulators of width VW.
Integer and f64 products use ``matmul/naive.cl.mako``, one work-item per output element.

Epilogue fusion: ``node.rt_info["fused"]`` may hold ``bias`` (index of an extra input with N values added
along the last output axis), ``residual`` (index of an extra input of the output's shape) and ``activation``
((op_type, attrs)); the kernel stores act(A·B + bias + residual).

The tile parameters, their domains, constraints, capability defaults and launch sizes are declared once, in
``kernels/matmul/tiled.py`` beside the template (``naive.py``, ``pack.py`` likewise); ``LoweringContext.configure`` picks them (config
``KERNEL_PARAMS``, the tuning database, the defaults) and every launch records them.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type
from ovcl.kernels.matmul.naive import VARIANT as NAIVE
from ovcl.kernels.matmul.pack import VARIANT as PACK
from ovcl.kernels.matmul.tiled import VARIANT as TILED

from .base import (Choice, LoweringContext, Value, broadcast_strides, cctype, contiguous_strides, ctype,
                   half_weights, lowers)
from .elementwise import collapse, fused_epilogue, vector_expr

# a run-time B read in place walks rows N apart for every k: above this size that measured 2-4x slower than
# packing it first, so larger ones are always packed
DIRECT_B_BYTES = 1 << 20


def _batch_code(out_batch, strides: dict[str, list[int]]) -> str:
    """C statements adding the offsets of batch index ``bz`` to the named ``long`` variables."""
    names = list(strides)
    if not out_batch:
        return ""
    dims, cs = collapse(list(out_batch), [strides[n] for n in names])
    if len(dims) == 1:
        return " ".join(f"{n} = bz * {s[0]};" for n, s in zip(names, cs) if s[0])
    code = ["long rem = bz;"]
    for d in reversed(range(len(dims))):
        c = "rem" if d == 0 else f"(rem % {dims[d]})"
        parts = [f"{n} += c * {s[d]};" for n, s in zip(names, cs) if s[d]]
        if parts:
            code.append(f"{{ const long c = {c}; {' '.join(parts)} }}")
        if d:
            code.append(f"rem /= {dims[d]};")
    return "\n    ".join(code)


def _vector_epilogue(out, bias, res) -> bool:
    """Whether interior tiles may load and store the epilogue's data as whole vectors (all f32)."""
    return all(v is None or v.type.name == "f32" for v in (out, bias, res))


def pack_b(ctx: LoweringContext, arr: np.ndarray, Kp: int, P: int, TN: int) -> Value:
    """A constant B [batches, K, N] as a device constant of P panels of Kp x TN floats per batch (zero padded),
    stored as f16 when every value is exactly one (``half_weights``; the kernel's ``b_half`` decodes it)."""
    nb, K, N = arr.shape
    packed = np.zeros((nb, Kp, P * TN), np.float16 if half_weights(ctx, arr) else np.float32)
    packed[:, :K, :N] = arr
    packed = packed.reshape(nb, Kp, P, TN).transpose(0, 2, 1, 3)
    return ctx.constant(np.ascontiguousarray(packed), f"{ctx.node.name}/b_packed")


def _trans_vectors(cfg: dict, out: Value, res: Value | None, act: str | None) -> bool:
    """Whether a transposed store (c_trans) stores interior tiles as float<TM> columns of pixels: TM a vector
    width, C and the residual f32, the activation with a vector form."""
    return (cfg["TM"] in (2, 4, 8) and _vector_epilogue(out, None, res)
            and (act is None or vector_expr(act, cfg["TM"])))


def _launch_tiled(ctx: LoweringContext, choice: Choice, problem: dict, a: Value, bp: Value, out: Value,
                  bias: Value | None = None, res: Value | None = None, flops: int = 0, **tpl) -> None:
    """Launch ``tiled.cl.mako`` with the chosen parameters: sizes and arguments as the spec declares them."""
    cfg = choice.params
    dyn = TILED.dyn(cfg, problem)
    tpl.setdefault("vec_trans", False)
    P, Kp, TN = TILED.panels(cfg, problem), TILED.kp(cfg, problem), TILED.tn(cfg)
    sig = TILED.args(ctype(a.type), "ushort" if bp.type is Type.f16 else "float", ctype(out.type),
                     ctype(bias.type) if bias is not None else None,
                     ctype(res.type) if res is not None else None, dyn)
    values = {"A": a, "Bp": bp, "C": out, "bias": bias, "res": res}
    if dyn:
        values.update(M=problem["M"], N=problem["N"], K=problem["K"], P=P, KpTN=Kp * TN)
    ctx.launch_variant(choice, sig, values, flops=flops, a_t=a.type, out_t=out.type, M=problem["M"],
                       N=problem["N"], K=problem["K"], P=P, Kp=Kp, TM=cfg["TM"], VW=cfg["VW"], NV=cfg["NV"],
                       U=cfg["U"], L0=cfg["L0"], L1=cfg["L1"], a_vec=bool(cfg["AVEC"]), b_half=bp.type is Type.f16,
                       b_local=bool(cfg["BLOCAL"]), dyn=dyn, bias_t=bias.type if bias is not None else None,
                       res_t=res.type if res is not None else None, **tpl)


def emit_const_gemm(ctx: LoweringContext, a: Value, b: np.ndarray, out: Value, a_kmajor: bool = False) -> None:
    """``out[i] = a[i] @ b[i]`` for each of ``b.shape[0]`` batches: ``a`` an f32 device tensor [batches, M, K]
    (row-major, or [batches, K, M] with ``a_kmajor``), ``b`` a constant [batches, K, N] (packed here), ``out`` f32
    [batches, M, N]. No epilogue. For lowerings that reduce to products with constant weights (Winograd)."""
    nb, K, N = b.shape
    M = a.numel // (nb * K)
    b = np.asarray(b, np.float32)
    problem = {"kind": "const", "M": M, "N": N, "K": K, "nb": nb, "b_half": half_weights(ctx, b), "dyn": True}
    choice = ctx.configure(TILED, problem)
    cfg = choice.params
    P, Kp, TN = TILED.panels(cfg, problem), TILED.kp(cfg, problem), TILED.tn(cfg)
    bp = pack_b(ctx, b, Kp, P, TN)
    if TILED.dyn(cfg, problem):         # the sizes are the kernel's arguments M, N, K, P, KpTN
        bc = "aoff = bz * (long)M * K; boff = bz * (long)P * KpTN; coff = bz * (long)M * N;"
        a_rs, a_ks = ("1", "M") if a_kmajor else ("K", "1")
    else:
        bc = _batch_code([nb], {"aoff": [M * K], "boff": [P * Kp * TN], "coff": [M * N]})
        a_rs, a_ks = (1, M) if a_kmajor else (K, 1)
    _launch_tiled(ctx, choice, problem, a, bp, out, flops=2 * M * N * K * nb, a_rs=a_rs, a_ks=a_ks, batch_code=bc,
                  b_direct=False, b_rs=TN, act=None, vec_epi=True, vec_act=False,
                  vec_store=(N % cfg["VW"] == 0), c_trans=False)


def emit_pointwise_conv(ctx: LoweringContext, x: Value, w: np.ndarray, out: Value, bias: Value | None = None,
                        res: Value | None = None, act: str | None = None) -> None:
    """A 1x1 stride-1 unpadded convolution of one group (NCHW, f32) as this GEMM: per image, pixels are the rows
    (A = the input read K-major: channel planes), output channels the columns (B = the weights transposed,
    packed), and C is stored transposed, which is NCHW again. Epilogue as the convolution's: + bias[oc],
    + residual, activation. ``w``: [OC, C]. The sizes are kernel arguments (``dyn``): a network's many 1x1
    shapes share a few kernels, so PoCL compiles a few; the work-group is not clipped to the panels and row
    blocks either (its size is in the source): the work-items past them return at once."""
    n, c, oc = x.shape[0], x.shape[1], out.shape[1]
    M, N, K = x.numel // (n * c), oc, c
    wt = np.ascontiguousarray(np.asarray(w, np.float32).reshape(oc, c).T)[None]
    problem = {"kind": "conv", "M": M, "N": N, "K": K, "nb": n, "b_half": half_weights(ctx, wt)}
    choice = ctx.configure(TILED, problem)
    cfg = choice.params
    P, Kp, TN = TILED.panels(cfg, problem), TILED.kp(cfg, problem), TILED.tn(cfg)
    bp = pack_b(ctx, wt, Kp, P, TN)
    bc = "aoff = bz * (long)K * M; coff = bz * (long)N * M;" if n > 1 else ""
    _launch_tiled(ctx, choice, problem, x, bp, out, bias, res, flops=2 * M * N * K * n,
                  a_rs=1, a_ks="M", batch_code=bc, b_direct=False, b_rs=TN, act=act, vec_epi=False,
                  vec_act=False, vec_store=False, c_trans=True,
                  vec_trans=_trans_vectors(cfg, out, res, act))


def emit_columns_conv(ctx: LoweringContext, cols: Value, w: np.ndarray, out: Value, bias: Value | None = None,
                      res: Value | None = None, act: str | None = None) -> None:
    """A convolution of one group over its columns (``cols`` [N, OH*OW, K]: a row per output pixel, from
    ``conv/im2col``, for a 1x1 convolution with a 1x1 window) as this GEMM: A row-major (read as vectors where its rows allow), B = the weights
    transposed [K, OC], packed, and C stored transposed (NCHW). Row-major A streams each row, where the K-major
    columns of a 1x1 convolution cost a cache line per k: ResNet-50's 3x3 stride-2 layer at 7x7 (M=49,
    K=4608) ran 2.5-3.1 ms that way, 1.4-1.5 ms this way. Sizes as kernel arguments (``dyn``), as the 1x1's."""
    n, M, K = cols.shape
    oc = out.shape[1]
    wt = np.ascontiguousarray(np.asarray(w, np.float32).reshape(oc, K).T)[None]
    avec_u = tuple(u for u in (2, 4, 8) if cols.type is Type.f32 and K % u == 0)
    problem = {"kind": "const", "M": M, "N": oc, "K": K, "nb": n, "b_half": half_weights(ctx, wt), "avec_u": avec_u,
               "dyn": True}
    choice = ctx.configure(TILED, problem)
    cfg = choice.params
    P, Kp, TN = TILED.panels(cfg, problem), TILED.kp(cfg, problem), TILED.tn(cfg)
    bp = pack_b(ctx, wt, Kp, P, TN)
    if TILED.dyn(cfg, problem):
        bc, a_rs = ("aoff = bz * (long)M * K; coff = bz * (long)N * M;" if n > 1 else ""), "K"
    else:
        bc, a_rs = _batch_code([n], {"aoff": [M * K], "coff": [oc * M]}), K
    _launch_tiled(ctx, choice, problem, cols, bp, out, bias, res, flops=2 * M * oc * K * n,
                  a_rs=a_rs, a_ks=1, batch_code=bc, b_direct=False, b_rs=TN, act=act, vec_epi=False,
                  vec_act=False, vec_store=False, c_trans=True,
                  vec_trans=_trans_vectors(cfg, out, res, act))


@lowers("MatMul")
def _matmul(ctx: LoweringContext):
    a, b = ctx.inputs[0], ctx.inputs[1]
    out = ctx.outputs[0]
    ta, tb = bool(ctx.attrs["transpose_a"]), bool(ctx.attrs["transpose_b"])
    sa, sb = list(a.shape), list(b.shape)
    if len(sa) == 1:
        sa, ta = [1, sa[0]], False
    if len(sb) == 1:
        sb, tb = [sb[0], 1], False
    M, K = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
    N = sb[-2] if tb else sb[-1]
    a_rs, a_ks = (1, M) if ta else (K, 1)
    b_ks, b_ns = (1, K) if tb else (N, 1)
    a_batch, b_batch = sa[:-2], sb[:-2]
    rank = max(len(a_batch), len(b_batch))
    out_batch = list(np.broadcast_shapes(tuple(a_batch), tuple(b_batch))) if rank else []
    nb_b = int(np.prod(b_batch, dtype=np.int64)) if b_batch else 1
    # B without batch and A row-major: A's batch folds into M (one big product)
    if nb_b == 1 and not ta and out_batch:
        M *= int(np.prod(out_batch, dtype=np.int64))
        out_batch, a_batch, b_batch = [], [], []
    nbatch = int(np.prod(out_batch, dtype=np.int64)) if out_batch else 1
    if out.numel == 0:
        return
    bias, res, act = fused_epilogue(ctx, -1)
    a_bs = [s * M * K for s in broadcast_strides(a_batch, out_batch)] if out_batch else []
    b_bstr = [s for s in broadcast_strides(b_batch, out_batch)] if out_batch else []
    c_bs = [s * M * N for s in contiguous_strides(out_batch)]
    flops = 2 * M * N * K * nbatch

    if a.type.name not in ("f32", "f16") or K == 0 or ctx.forced_variant("matmul") == "naive":
        ctx.path = "matmul.naive"
        acc = cctype(out.type) if out.type.is_real() else ("long" if out.type.size == 8 else "int")
        bc = _batch_code(out_batch, {"aoff": a_bs, "boff": [s * K * N for s in b_bstr], "coff": c_bs})
        choice = ctx.configure(NAIVE, {"total": nbatch * M * N})
        sig = NAIVE.args(ctype(a.type), ctype(b.type), ctype(out.type), ctype(bias.type) if bias is not None else None,
                         ctype(res.type) if res is not None else None)
        ctx.launch_variant(choice, sig, {"A": a, "B": b, "C": out, "bias": bias, "res": res}, flops=flops,
                           a_t=a.type, b_t=b.type, out_t=out.type, acc=acc, M=M, N=N, K=K, a_rs=a_rs, a_ks=a_ks,
                           b_ks=b_ks, b_ns=b_ns, total=nbatch * M * N, batch_code=bc,
                           bias_t=bias.type if bias is not None else None,
                           res_t=res.type if res is not None else None, act=act)
        return

    ctx.path = "matmul.tiled"
    bv = ctx.weights(1)
    a_vec_ok = lambda u: a.type is Type.f32 and not ta and K % u == 0 and all(st % u == 0 for st in a_bs)  # noqa
    problem = {"M": M, "N": N, "K": K, "nb": nbatch, "avec_u": tuple(u for u in (2, 4, 8) if a_vec_ok(u))}
    if bv is not None:
        arr = np.asarray(bv, dtype=np.float32).reshape([-1] + list(sb[-2:]))
        arr = arr.transpose(0, 2, 1) if tb else arr
        problem.update(kind="const", b_half=half_weights(ctx, arr))
    else:
        # a run-time B may be read in place (BDIRECT) when it is f32, row-major and small
        problem.update(kind="runtime", direct_ok=b.type is Type.f32 and b_ns == 1 and K * N * 4 <= DIRECT_B_BYTES)
    choice = ctx.configure(TILED, problem)
    cfg = choice.params
    P, Kp, TN = TILED.panels(cfg, problem), TILED.kp(cfg, problem), TILED.tn(cfg)
    panel = P * Kp * TN
    direct = problem["kind"] == "runtime" and bool(cfg["BDIRECT"])
    if direct:
        bp, panel, b_rs = b, K * N, N
    elif problem["kind"] == "const":
        bp, b_rs = pack_b(ctx, arr, Kp, P, TN), TN
    else:
        bp, b_rs = ctx.temp((nb_b * panel,), Type.f32), TN
        pack = ctx.configure(PACK, {"TN": TN, "Kp": Kp, "P": P, "nb": nb_b})
        ctx.launch_variant(pack, PACK.args(ctype(b.type)), {"B": b, "Bp": bp}, b_t=b.type, TN=TN, Kp=Kp, P=P, K=K,
                           N=N, b_ks=b_ks, b_ns=b_ns, bstride=K * N)
    bc = _batch_code(out_batch, {"aoff": a_bs, "boff": [s * panel for s in b_bstr], "coff": c_bs})
    _launch_tiled(ctx, choice, problem, a, bp, out, bias, res, flops=flops, a_rs=a_rs, a_ks=a_ks,
                  batch_code=bc, b_direct=direct, b_rs=b_rs, act=act,
                  vec_epi=_vector_epilogue(out, bias, res), vec_act=vector_expr(act, cfg["VW"]),
                  vec_store=(N % cfg["VW"] == 0), c_trans=False)
