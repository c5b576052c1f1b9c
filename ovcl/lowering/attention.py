"""ScaledDotProductAttention in two launches: the key transposed to ``[Gk, E, S8]`` floats (zero-padded to a
multiple of 8 keys, ``attention_kt.cl.mako``; skipped for one or two query rows, a decode step's, whose scores
read each key row in place), then the fused kernel (``attention_sdpa.cl.mako``): each
work-item computes RQ query rows of one (batch, head) — scores 8 keys per vector step, mask / causal,
stable softmax, times V in float4/float8 columns. Grouped-query attention reads key/value head
``h // (Hq / Hkv)`` without copying; the fusion's FusedSDPA reads query, key and value where they lie (heads
split out of [batch, length, heads, size] by a Transpose, perhaps of a fused QKV projection's Split part).
f32 and f16 (stored half, computed in float).

LinearAttention: one launch of ``attention_linear.cl.mako``, a work-item per (value column, kv head, batch)
carrying its state column through the time steps.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .base import LoweringContext, broadcast_strides, c_literal, contiguous_strides, lowers, round_up


def _batch_spec(shape, bd, strides):
    """Per output batch dim: (divisor, stride) reading an input of ``shape`` (its batch dims padded with 1s)
    whose batch dims have element ``strides``."""
    nb = len(bd)
    dims = [1] * (nb - (len(shape) - 2)) + list(shape[:-2])
    strides = [0] * (nb - (len(shape) - 2)) + list(strides)
    spec = []
    for d, n in enumerate(bd):
        if dims[d] == 1 and n != 1:
            spec.append((1, 0))
        elif dims[d] == n:
            spec.append((1, strides[d]))
        else:
            spec.append((n // dims[d], strides[d]))
    return spec


@lowers("ScaledDotProductAttention", "FusedSDPA")
def _sdpa(ctx: LoweringContext):
    """FusedSDPA (fusion's): the same, with ``input_views`` {k: [offset, shape, strides]}: query, key or value
    k is read where it lies in input k (its rows and heads strided; the last axis stays contiguous)."""
    views = {int(i): v for i, v in ctx.attrs.get("input_views", {}).items()}
    (qoff, qs, qst), (koff, ks, kst), (voff, vs, vst) = (
        views.get(i, (0, list(x.shape), contiguous_strides(x.shape))) for i, x in enumerate(ctx.inputs[:3]))
    q, k, v = ctx.inputs[:3]
    out = ctx.outputs[0]
    if out.numel == 0:
        return
    if q.type.name not in ("f32", "f16"):
        # f64 renders (ft = double) but PoCL's CPU build of the double8 form yields no kernel: not offered
        raise ctx.fail(f"element type {q.type} has no OpenCL attention kernel (f32 and f16 only)")
    ft = "double" if q.type.name == "f64" else "float"
    ftype = Type.f64 if ft == "double" else Type.f32
    bd = list(out.shape[:-2])
    G = int(np.prod(bd, dtype=np.int64))
    L, E = qs[-2], qs[-1]
    S, Ev = ks[-2], vs[-1]
    SP = max(8, round_up(S, 8))
    causal = bool(ctx.attrs["causal"])

    # 1. key -> kt [Gk, E, SP], unless a decode step's query row or two read the key where it lies (KD): the
    # transpose would be a pass over the whole cache for one row of scores
    KD = L <= 2 and E % 8 == 0 and k.type.name in ("f32", "f16")
    if KD:
        kt, kspec = k, kst[:-2]
    else:
        Gk = int(np.prod(ks[:-2], dtype=np.int64))
        kt = ctx.temp((Gk, E, SP), ftype)
        wx = 8
        ctx.launch("attention_kt.cl.mako", (SP // 8, round_up(E, wx), Gk), (1, wx, 1), [k, kt], t=k.type, G=Gk,
                   S=S, SP=SP, E=E, ft=ft, kb=list(zip(ks[:-2], kst[:-2])), krs=kst[-2], koff=koff)
        kspec = [s * E * SP for s in contiguous_strides(ks[:-2])]

    # 2. the fused kernel
    args = [q, kt, v]
    offs = [("qo", _batch_spec(qs, bd, qst[:-2])), ("ko", _batch_spec(ks, bd, kspec)),
            ("vo", _batch_spec(vs, bd, vst[:-2]))]
    mt, mL, mS = None, 0, 0
    if len(ctx.inputs) > 3 and not causal:
        m = ctx.inputs[3]
        mc = ctx.input_const(3)
        trivial = mc is not None and ((m.type is Type.boolean and np.all(mc)) or
                                      (m.type is not Type.boolean and not np.any(mc)))
        if not trivial:
            full = bd + [L, S]
            ms = broadcast_strides(m.shape, full)
            nb = len(bd)
            offs.append(("mo", [(1, s) for s in ms[:nb]]))
            mL, mS = ms[nb], ms[nb + 1]
            mt = m.type
            args.append(m)
    scale = None
    if len(ctx.inputs) > 4:
        sc = ctx.input_const(4)
        if sc is not None:
            scale = c_literal(float(np.asarray(sc, dtype=np.float64).reshape(-1)[0]), ftype)
        else:
            args.append(ctx.inputs[4])
    else:
        scale = c_literal(1.0 / np.sqrt(E) if E else 1.0, ftype)
    st, sL = None, 0
    if len(ctx.inputs) > 5:
        s = ctx.inputs[5]
        full = bd + [L, 1]
        ss = broadcast_strides(s.shape, full)
        offs.append(("so", [(1, x) for x in ss[:len(bd)]]))
        sL = ss[len(bd)]
        st = s.type
        args.append(s)
    RQ = 4 if L >= 4 else L
    NRB = (L + RQ - 1) // RQ
    SCR = RQ * SP > 4096
    if SCR:
        args.append(ctx.temp((G * NRB, RQ * SP), ftype))
    # V's rows are read W columns per vector load: every row start a multiple of W (aligned)
    W = next(w for w in (8, 4, 1) if all(n % w == 0 for n in [Ev, voff, vst[-2]] + list(vst[:-2])))
    NV = 2 if W > 1 and Ev % (2 * W) == 0 else 1
    WG = min(8, NRB)
    args.append(out)
    flops = 2 * G * L * S * (E + Ev)
    ctx.launch("attention_sdpa.cl.mako", (round_up(NRB, WG), G), (WG, 1), args, flops=flops,
               qt=q.type, vt=v.type, ot=out.type, mt=mt, st=st, scale=scale, causal=causal, L=L, S=S, SP=SP,
               E=E, Ev=Ev, W=W, NV=NV, RQ=RQ, NRB=NRB, WG=WG, SCR=SCR, bd=bd, offs=offs, mL=mL, mS=mS, sL=sL,
               ft=ft, qrs=qst[-2], vrs=vst[-2], qoff=qoff, voff=voff, KD=KD, kdt=k.type, krs=kst[-2], koff=koff)


@lowers("LinearAttention")
def _linear_attention(ctx: LoweringContext):
    q, k, v = ctx.inputs[:3]
    out, state = ctx.outputs
    for x in ctx.inputs:
        if x.type.name not in ("f32", "f16"):
            raise ctx.fail(f"element type {x.type} has no OpenCL linear-attention kernel (f32 and f16 only)")
    a = ctx.attrs
    HQ, HKV = int(a["q_num_heads"]), int(a["kv_num_heads"])
    B, T = q.shape[0], q.shape[1]
    DK, DV = q.shape[2] // HQ, v.shape[2] // HKV
    slot = 3
    args = [q, k, v]
    pt = dt = bt = None
    DPD, BW = False, 1
    if a["has_past"]:
        pt = ctx.inputs[slot].type
        args.append(ctx.inputs[slot])
        slot += 1
    if a["has_decay"]:
        d = ctx.inputs[slot]
        dt, DPD = d.type, d.shape[2] != HKV       # per key dimension, else per head
        args.append(d)
        slot += 1
    if a["has_beta"]:
        b = ctx.inputs[slot]
        bt, BW = b.type, b.shape[2]
        args.append(b)
    if state.numel == 0:
        return
    scale = float(a["scale"]) or 1.0 / np.sqrt(DK)
    WG = min(DV, 16) if DV > 0 else 1
    args += [out, state]
    ctx.launch("attention_linear.cl.mako", (round_up(DV, WG), HKV, B), (WG, 1, 1), args,
               flops=B * T * HKV * DV * DK * (4 + 2 * (HQ // HKV)),
               qt=q.type, kt=k.type, vt=v.type, ot=out.type, stt=state.type, pt=pt, dt=dt, DPD=DPD, bt=bt, BW=BW,
               B=B, T=T, HQ=HQ, HKV=HKV, DK=DK, DV=DV, scale=c_literal(scale, Type.f32), WG=WG)
