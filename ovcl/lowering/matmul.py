"""MatMul: a register-tiled kernel over a B operand packed into panels.

A constant B (weights; also a Constant behind a decompression Convert) is packed at compile time into
``ceil(N / TN)`` panels of ``Kp x TN`` floats per B batch (zero padded: Kp = K rounded up to the unroll, N to
TN). A B computed at run time (attention's QK^T and ·V) is read in place when it is f32, row-major and N is a
multiple of the vector width (the tile width then divides N) and B is small (DIRECT_B_BYTES); otherwise a small
kernel packs it first.
Each work-item of ``matmul.cl.mako`` computes a TM x TN tile with TN = NV vector accumulators of width VW.
Integer and f64 products use ``matmul_naive.cl.mako``.

Epilogue fusion: ``node.rt_info["fused"]`` may hold ``bias`` (index of an extra input with N values added
along the last output axis), ``residual`` (index of an extra input of the output's shape) and ``activation``
((op_type, attrs)); the kernel stores act(A·B + bias + residual).

Tile parameters are named and chosen per device class in ``tile_params``; ``config["MATMUL_TILE"]`` (a dict of
the same keys) overrides them.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .base import (LoweringContext, Value, broadcast_strides, cctype, contiguous_strides, half_weights, lowers,
                   round_up)
from .eltwise import collapse, unary_expr, vector_expr

# per device class: rows per work-item, vector width, vectors per row, K unroll, work-group (panels, row blocks),
# A read as vectors (AVEC; scalar loads broadcast for free on x86), bytes of B panels a work-group sweeps.
# CPU values measured on a 2-core Zen 4 under PoCL 3: 4 x 24 with scalar A loads was best; larger tiles spill.
TILES = {
    "CPU": {"TM": 4, "VW": 8, "NV": 3, "U": 4, "L0": 8, "L1": 8, "AVEC": 0, "PANEL_BYTES": 1 << 18,
            "DIRECT_B_BYTES": 1 << 20},
    "GPU": {"TM": 4, "VW": 4, "NV": 1, "U": 4, "L0": 16, "L1": 8, "AVEC": 1, "PANEL_BYTES": 0,
            "DIRECT_B_BYTES": 1 << 20},
}


def tile_params(ctx: LoweringContext, M: int, N: int, K: int) -> dict:
    """Tile and work-group for an M x N x K product. On a CPU (PoCL runs a work-group's items one after the
    other on one core) the L0 panels a work-group sweeps are limited to PANEL_BYTES together, so that B stays in
    the core's L2 while the group's row blocks reuse it."""
    t = dict(TILES.get(ctx.caps.device_type, TILES["GPU"]))
    user = ctx.config.get("MATMUL_TILE") or {}
    t.update(user)
    if t.get("PANEL_BYTES") and "L0" not in user:
        l0, l1 = t["L0"], t["L1"]
        while l0 > 1 and l0 * K * t["VW"] * t["NV"] * 4 > t["PANEL_BYTES"]:
            l0 //= 2
            l1 *= 2
        t["L0"], t["L1"] = l0, l1
    if M < t["TM"]:
        t["TM"] = M
    while t["NV"] > 1 and N <= (t["NV"] - 1) * t["VW"]:
        t["NV"] -= 1
    return t


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


def _epilogue(ctx: LoweringContext, out_t: Type):
    fused = ctx.node.rt_info.get("fused") or {}
    bias = ctx.inputs[fused["bias"]] if "bias" in fused else None
    res = ctx.inputs[fused["residual"]] if "residual" in fused else None
    act = None
    if fused.get("activation") is not None:
        op, attrs = fused["activation"]
        ct = Type.f32 if out_t.is_real and out_t.name != "f64" else out_t
        act = unary_expr(op, ct, dict(attrs or {}))
        if act is None and op == "Swish":            # single-input Swish (SiLU): x * sigmoid(x)
            sig = unary_expr("Sigmoid", ct, {})
            act = f"a0 * ({sig})" if sig else None
        if act is None:
            raise ctx.fail(f"fused activation {op} has no kernel expression")
        act = act.replace("(T)", f"({cctype(out_t)})")
    n_last = ctx.outputs[0].shape[-1] if ctx.outputs[0].shape else 1
    if bias is not None and bias.numel != n_last:
        raise ctx.fail(f"fused bias of shape {bias.shape} does not match the output {ctx.outputs[0].shape}")
    if res is not None and res.numel != ctx.outputs[0].numel:
        raise ctx.fail(f"fused residual of shape {res.shape} does not match the output {ctx.outputs[0].shape}")
    extra = [v for v in (bias, res) if v is not None]
    return bias, res, act, extra


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


def _b_local(ctx: LoweringContext, bp: Value, t: dict, L0: int, L1: int, Kp: int, TN: int) -> bool:
    """With f16 B on a CPU: whether a work-group decodes its panels into local memory once (see matmul.cl.mako).
    Worth it when the group's rows reuse each panel several times (inline decoding of every B vector costs
    ~1.7x in a compute-bound product); the panels must fit the local memory (PANEL_BYTES keeps them small)."""
    if bp.type is not Type.f16 or ctx.caps.device_type != "CPU" or "B_LOCAL" in t and not t["B_LOCAL"]:
        return False
    return L1 * t["TM"] >= 8 and L0 * Kp * TN * 4 <= min(ctx.caps.local_mem_size // 2, 1 << 19)


def emit_const_gemm(ctx: LoweringContext, a: Value, b: np.ndarray, out: Value, a_kmajor: bool = False) -> None:
    """``out[i] = a[i] @ b[i]`` for each of ``b.shape[0]`` batches: ``a`` an f32 device tensor [batches, M, K]
    (row-major, or [batches, K, M] with ``a_kmajor``), ``b`` a constant [batches, K, N] (packed here), ``out`` f32
    [batches, M, N]. No epilogue. For lowerings that reduce to products with constant weights (Winograd)."""
    nb, K, N = b.shape
    M = a.numel // (nb * K)
    t = tile_params(ctx, M, N, K)
    TM, VW, NV, U = t["TM"], t["VW"], t["NV"], t["U"]
    TN = VW * NV
    P, Kp = (N + TN - 1) // TN, round_up(K, U)
    bp = pack_b(ctx, np.asarray(b, np.float32), Kp, P, TN)
    bc = _batch_code([nb], {"aoff": [M * K], "boff": [P * Kp * TN], "coff": [M * N]})
    L0, MB = min(t["L0"], P), (M + TM - 1) // TM
    L1 = min(t["L1"], MB)
    ctx.launch("matmul.cl.mako", (round_up(P, L0), round_up(MB, L1), nb), (L0, L1, 1), [a, bp, out],
               flops=2 * M * N * K * nb, a_t=a.type, out_t=out.type, M=M, N=N, K=K, P=P, Kp=Kp, TM=TM, VW=VW,
               NV=NV, U=U, L0=L0, L1=L1, a_rs=1 if a_kmajor else K, a_ks=M if a_kmajor else 1, a_vec=False,
               batch_code=bc, b_direct=False, b_rs=TN,
               bias_t=None, res_t=None, act=None, vec_epi=True, vec_act=False, vec_store=(N % VW == 0), c_trans=False,
               dyn=False, b_half=bp.type is Type.f16, b_local=_b_local(ctx, bp, t, L0, L1, Kp, TN))


def emit_pointwise_conv(ctx: LoweringContext, x: Value, w: np.ndarray, out: Value, bias: Value | None = None,
                        res: Value | None = None, act: str | None = None) -> None:
    """A 1x1 stride-1 unpadded convolution of one group (NCHW, f32) as this GEMM: per image, pixels are the rows
    (A = the input read K-major: channel planes), output channels the columns (B = the weights transposed,
    packed), and C is stored transposed, which is NCHW again. Epilogue as the convolution's: + bias[oc],
    + residual, activation. ``w``: [OC, C]."""
    n, c, oc = x.shape[0], x.shape[1], out.shape[1]
    M, N, K = x.numel // (n * c), oc, c
    t = tile_params(ctx, M, N, K)
    TM, VW, NV, U = t["TM"], t["VW"], t["NV"], t["U"]
    TN = VW * NV
    P, Kp = (N + TN - 1) // TN, round_up(K, U)
    bp = pack_b(ctx, np.ascontiguousarray(np.asarray(w, np.float32).reshape(oc, c).T)[None], Kp, P, TN)
    # sizes as kernel arguments (dyn): a network's many 1x1 shapes share a few kernels, so PoCL compiles a few
    bc = "aoff = bz * (long)K * M; coff = bz * (long)N * M;" if n > 1 else ""
    # the work-group is not clipped to the panels and row blocks either (its size is in the source): the
    # work-items past them return at once
    L0, L1, MB = t["L0"], t["L1"], (M + TM - 1) // TM
    extra = [v for v in (bias, res) if v is not None]
    sizes = [np.int32(v) for v in (M, N, K, P, Kp * TN)]
    ctx.launch("matmul.cl.mako", (round_up(P, L0), round_up(MB, L1), n), (L0, L1, 1), [x, bp, out, *extra, *sizes],
               flops=2 * M * N * K * n, a_t=x.type, out_t=out.type, TM=TM, VW=VW, NV=NV, U=U, L0=L0, L1=L1,
               M=M, N=N, K=K, P=P, Kp=Kp,       # (with dyn these sizes do not reach the source)
               a_rs=1, a_ks="M", a_vec=False, batch_code=bc, b_direct=False, b_rs=TN,
               bias_t=bias.type if bias is not None else None, res_t=res.type if res is not None else None, act=act,
               vec_epi=False, vec_act=False, vec_store=False, c_trans=True, b_half=bp.type is Type.f16,
               b_local=False, dyn=True)


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
    bias, res, act, extra = _epilogue(ctx, out.type)
    a_bs = [s * M * K for s in broadcast_strides(a_batch, out_batch)] if out_batch else []
    b_bstr = [s for s in broadcast_strides(b_batch, out_batch)] if out_batch else []
    c_bs = [s * M * N for s in contiguous_strides(out_batch)]
    flops = 2 * M * N * K * nbatch

    if a.type.name not in ("f32", "f16") or K == 0:
        acc = cctype(out.type) if out.type.is_real else ("long" if out.type.size == 8 else "int")
        bc = _batch_code(out_batch, {"aoff": a_bs, "boff": [s * K * N for s in b_bstr], "coff": c_bs})
        total = nbatch * M * N
        g, l = round_up(total, 64), 64
        ctx.launch("matmul_naive.cl.mako", (g,), (l,), [a, b, out, *extra], flops=flops, a_t=a.type, b_t=b.type,
                   out_t=out.type, acc=acc, M=M, N=N, K=K, a_rs=a_rs, a_ks=a_ks, b_ks=b_ks, b_ns=b_ns, total=total,
                   batch_code=bc, bias_t=bias.type if bias is not None else None,
                   res_t=res.type if res is not None else None, act=act)
        return

    t = tile_params(ctx, M, N, K)
    bv = ctx.weights(1)
    # a run-time B read in place: f32, row-major, rows of whole aligned vectors, N a multiple of the tile width
    # (and small: a large B read in place walks rows N apart for every k, which measured 2-4x slower than
    # packing it first)
    direct = (bv is None and b.type.name == "f32" and b_ns == 1 and N % t["VW"] == 0
              and K * N * 4 <= t.get("DIRECT_B_BYTES", 1 << 20))
    if direct:
        while t["NV"] > 1 and N % (t["NV"] * t["VW"]):
            t["NV"] -= 1
    TM, VW, NV, U = t["TM"], t["VW"], t["NV"], t["U"]
    TN = VW * NV
    P = (N + TN - 1) // TN
    Kp = round_up(K, U)
    panel = P * Kp * TN
    if direct:
        bp, panel, b_rs = b, K * N, N
    elif bv is not None:
        arr = np.asarray(bv, dtype=np.float32).reshape([-1] + list(sb[-2:]))
        bp, b_rs = pack_b(ctx, arr.transpose(0, 2, 1) if tb else arr, Kp, P, TN), TN
    else:
        bp, b_rs = ctx.temp((nb_b * panel,), Type.f32), TN
        l1 = min(Kp, max(1, 256 // TN))
        ctx.launch("matmul_pack.cl.mako", (TN, round_up(Kp, l1), nb_b * P), (TN, l1, 1), [b, bp], b_t=b.type,
                   TN=TN, Kp=Kp, P=P, K=K, N=N, b_ks=b_ks, b_ns=b_ns, bstride=K * N)
    bc = _batch_code(out_batch, {"aoff": a_bs, "boff": [s * panel for s in b_bstr], "coff": c_bs})
    L0 = min(t["L0"], P)
    MB = (M + TM - 1) // TM
    L1 = min(t["L1"], MB)
    a_vec = bool(t["AVEC"]) and a.type.name == "f32" and a_ks == 1 and K % U == 0 and U in (2, 4, 8, 16) and all(
        s % U == 0 for s in a_bs)
    ctx.launch("matmul.cl.mako", (round_up(P, L0), round_up(MB, L1), nbatch), (L0, L1, 1),
               [a, bp, out, *extra], flops=flops, a_t=a.type, out_t=out.type, M=M, N=N, K=K, P=P, Kp=Kp,
               TM=TM, VW=VW, NV=NV, U=U, L0=L0, L1=L1, a_rs=a_rs, a_ks=a_ks, a_vec=a_vec, batch_code=bc,
               b_direct=bool(direct), b_rs=b_rs, b_half=bp.type is Type.f16,
               b_local=_b_local(ctx, bp, t, L0, L1, Kp, TN),
               bias_t=bias.type if bias is not None else None, res_t=res.type if res is not None else None,
               act=act, vec_epi=_vector_epilogue(out, bias, res), vec_act=vector_expr(act),
               vec_store=(N % VW == 0), c_trans=False, dyn=False)
