"""ONNX transformer ops: Attention (opset 23-25), RMSNormalization, RotaryEmbedding, SwiGLU.

Attention becomes ScaledDotProductAttention (fused kernel, grouped-query attention without copies) with the
ONNX masks (attn_mask padded to the key length, offset-aligned causal mask with past_key or
nonpad_kv_seqlen, sliding windows, padding by nonpad_kv_seqlen) composed into one additive bias; when softcap
or the qk_matmul_output output is requested it is decomposed into MatMul / Tanh / Add / Softmax / Select /
MatMul instead. The other ops are decompositions into element-wise, reduction and data ops.
"""
from __future__ import annotations

import numpy as np

from ovcl.frontends.errors import UnsupportedOpError

from .graph import NodeContext, onnx_op


def _i64(values):
    return np.asarray(values, dtype=np.int64)


def _static(ctx: NodeContext, x, axis: int, what: str) -> int:
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic or not ps[axis].is_static:
        raise UnsupportedOpError(f"ONNX {ctx.op_type} node '{ctx.name}': the {what} must be static "
                                 f"(shape {ps}); dynamic ones are not supported")
    return ps[axis].to_int()


def _rank(ctx, x) -> int:
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic:
        raise UnsupportedOpError(f"ONNX {ctx.op_type} node '{ctx.name}': inputs of dynamic rank are not supported")
    return len(ps)


def _heads_4d(ctx, x, heads: int, tag: str):
    """[B, S, H*D] -> [B, H, S, D]."""
    r = ctx.make("Reshape", [x, ctx.const(_i64([0, 0, heads, -1]), suffix=f"{tag}_shape")], f"{tag}_split",
                 special_zero=True).output(0)
    return ctx.make("Transpose", [r, ctx.const(_i64([0, 2, 1, 3]), suffix=f"{tag}_perm")], f"{tag}_bhsd").output(0)


def _merge_heads(ctx, y, tag: str):
    """[B, H, S, D] -> [B, S, H*D]."""
    t = ctx.make("Transpose", [y, ctx.const(_i64([0, 2, 1, 3]), suffix=f"{tag}_perm")], f"{tag}_bshd").output(0)
    return ctx.make("Reshape", [t, ctx.const(_i64([0, 0, -1]), suffix=f"{tag}_shape")], f"{tag}_merge",
                    special_zero=True).output(0)


def _where_bias(ctx, allowed, dt, tag: str):
    """Boolean ``allowed`` -> additive bias (0 where allowed, -inf elsewhere) of dtype ``dt``."""
    zero = ctx.const(np.array(0, dtype=dt), suffix=f"{tag}_zero")
    ninf = ctx.const(np.array(-np.inf, dtype=dt), suffix=f"{tag}_ninf")
    return ctx.make("Select", [allowed, zero, ninf], f"{tag}_bias").output(0)


def _add(ctx, a, b, tag):
    if a is None:
        return b
    return ctx.make("Add", [a, b], tag).output(0)


def _offset_bias(ctx, L, S, offset, nonpad, dt, rule, tag):
    """Bias [L, S] (static offset) or [B, 1, L, S] (per-batch offset nonpad[b] - L) for a rule over
    ``d = (i + offset) - j``: rule(d) -> allowed."""
    i = np.arange(L).reshape(L, 1)
    j = np.arange(S).reshape(1, S)
    if nonpad is None:
        allowed = rule(i + offset - j)
        return ctx.const(np.where(allowed, 0, -np.inf).astype(dt), suffix=f"{tag}_bias")
    off = ctx.make("Convert", [nonpad], f"{tag}_np64", destination_type="i64").output(0)
    off = ctx.make("Subtract", [off, ctx.const(np.array(L, np.int64), suffix=f"{tag}_L")], f"{tag}_off").output(0)
    off = ctx.make("Reshape", [off, ctx.const(_i64([-1, 1, 1]), suffix=f"{tag}_offshape")], f"{tag}_off3",
                   special_zero=False).output(0)
    d = ctx.make("Add", [off, ctx.const((i - j).astype(np.int64), suffix=f"{tag}_ij")], f"{tag}_d").output(0)
    allowed = rule(d, ctx=ctx, tag=tag)
    allowed = ctx.make("Unsqueeze", [allowed, ctx.const(_i64([1]), suffix=f"{tag}_ax")], f"{tag}_b1ls").output(0)
    return _where_bias(ctx, allowed, dt, tag)


def _causal_rule(d, ctx=None, tag=""):
    if ctx is None:
        return d >= 0
    return ctx.make("GreaterEqual", [d, ctx.const(np.array(0, np.int64), suffix=f"{tag}_0")], f"{tag}_ok").output(0)


def _window_rule(left, right):
    def rule(d, ctx=None, tag=""):
        if ctx is None:
            ok = np.ones(d.shape, dtype=bool)
            if left >= 0:
                ok &= d <= left
            if right >= 0:
                ok &= -d <= right
            return ok
        ok = None
        if left >= 0:
            ok = ctx.make("LessEqual", [d, ctx.const(np.array(left, np.int64), suffix=f"{tag}_l")],
                          f"{tag}_lok").output(0)
        if right >= 0:
            r = ctx.make("GreaterEqual", [d, ctx.const(np.array(-right, np.int64), suffix=f"{tag}_r")],
                         f"{tag}_rok").output(0)
            ok = r if ok is None else ctx.make("LogicalAnd", [ok, r], f"{tag}_ok").output(0)
        return ok
    return rule


@onnx_op("Attention")
def _attention(ctx: NodeContext):
    Q, K, V = ctx.input(0), ctx.input(1), ctx.input(2)
    mask, past_k, past_v = ctx.input(3), ctx.input(4), ctx.input(5)
    nonpad = ctx.input(6)
    t = Q.get_element_type()
    dt = t.dtype
    if dt is None or t.name not in ("f32", "f16", "f64"):
        raise UnsupportedOpError(f"ONNX Attention node '{ctx.name}': element type {t} is not supported")
    causal = bool(ctx.attr("is_causal", 0))
    softcap = float(ctx.attr("softcap", 0.0) or 0.0)
    mode = int(ctx.attr("qk_matmul_output_mode", 0))
    left = int(ctx.attr("left_window_size", -1))
    right = int(ctx.attr("right_window_size", -1))
    outs = list(ctx.proto.output)
    want_qk = len(outs) > 3 and bool(outs[3])
    if (past_k is None) != (past_v is None):
        raise ctx.fail("past_key and past_value must be given together")
    if nonpad is not None and past_k is not None:
        raise ctx.fail("nonpad_kv_seqlen cannot be combined with past_key / past_value")

    rank3 = _rank(ctx, Q) == 3
    if rank3:
        hq, hkv = ctx.attr("q_num_heads"), ctx.attr("kv_num_heads")
        if not hq or not hkv:
            raise ctx.fail("3-D inputs need the q_num_heads and kv_num_heads attributes")
        Q = _heads_4d(ctx, Q, int(hq), "q")
        K = _heads_4d(ctx, K, int(hkv), "k")
        V = _heads_4d(ctx, V, int(hkv), "v")
    elif _rank(ctx, Q) != 4:
        raise ctx.fail(f"inputs must be 3-D or 4-D, got {Q.get_partial_shape()}")

    if past_k is not None:
        K = ctx.make("Concat", [past_k, K], "present_key", axis=2).output(0)
        V = ctx.make("Concat", [past_v, V], "present_value", axis=2).output(0)
    # dimensions are asked for only where a mask has to be built (dynamic ones are fine otherwise)
    P = lambda: _static(ctx, past_k, 2, "past sequence length") if past_k is not None else 0   # noqa: E731
    L = lambda: _static(ctx, Q, 2, "query sequence length")                                   # noqa: E731
    S = lambda: _static(ctx, K, 2, "key sequence length")                                     # noqa: E731
    scale = ctx.attr("scale", None)
    scale = 1.0 / np.sqrt(_static(ctx, Q, 3, "head size")) if scale is None else float(scale)

    # the additive bias (None: no mask at all) ------------------------------------------------------------
    bias, bool_mask = None, None
    if mask is not None:
        mr = _rank(ctx, mask)
        mps, kps = mask.get_partial_shape(), K.get_partial_shape()
        if mps[mr - 1].is_static and kps[2].is_static and mps[mr - 1].to_int() != kps[2].to_int():
            ms, kv = mps[mr - 1].to_int(), kps[2].to_int()
            if ms > kv:
                raise ctx.fail(f"attn_mask covers {ms} keys, more than the {kv} keys")
            fill_shape = [_static(ctx, mask, a, "attn_mask shape") for a in range(mr - 1)] + [kv - ms]
            fill = np.zeros(fill_shape, bool) if mask.get_element_type().name == "boolean" \
                else np.full(fill_shape, -np.inf, dtype=dt)
            mask = ctx.make("Concat", [mask, ctx.const(fill, suffix="mask_pad")], "mask_padded",
                            axis=mr - 1).output(0)
        if mask.get_element_type().name == "boolean":
            bool_mask = mask
            bias = _where_bias(ctx, mask, dt, "mask")
        else:
            if mask.get_element_type() != t:
                raise ctx.fail(f"attn_mask type {mask.get_element_type()} differs from the query's {t}")
            bias = mask
    decompose = softcap > 0 or want_qk or t.name == "f64"      # (the fused kernel has no f64 form)
    plain_causal = causal and mask is None and nonpad is None and past_k is None and left < 0 and right < 0 \
        and not decompose
    if causal and not plain_causal:
        bias = _add(ctx, bias, _offset_bias(ctx, L(), S(), P(), nonpad, dt, _causal_rule, "causal"),
                    "with_causal")
    if left >= 0 or right >= 0:
        bias = _add(ctx, bias, _offset_bias(ctx, L(), S(), P(), nonpad, dt, _window_rule(left, right),
                                            "window"), "with_window")
    if nonpad is not None:
        n64 = ctx.make("Convert", [nonpad], "nonpad64", destination_type="i64").output(0)
        n64 = ctx.make("Reshape", [n64, ctx.const(_i64([-1, 1, 1, 1]), suffix="np_shape")], "nonpad4",
                       special_zero=False).output(0)
        ok = ctx.make("Less", [ctx.const(np.arange(S(), dtype=np.int64), suffix="keys"), n64], "keep").output(0)
        bias = _add(ctx, bias, _where_bias(ctx, ok, dt, "pad"), "with_pad")

    if decompose:
        Hq = _static(ctx, Q, 1, "query head count")
        Hkv = _static(ctx, K, 1, "key head count")
        if Hq % Hkv:
            raise ctx.fail(f"query heads {Hq} are not a multiple of key/value heads {Hkv}")
        Y, qk = _decomposed(ctx, Q, K, V, bias, scale, softcap, mode, Hq, Hkv, dt)
    else:
        qk = None
        only_bool = bool_mask is not None and not causal and left < 0 and right < 0 and nonpad is None
        if plain_causal:
            m_in = ctx.const(np.array(0, dtype=dt), suffix="nomask")
        elif only_bool:
            m_in = bool_mask
        elif bias is not None:
            m_in = bias
        else:
            m_in = ctx.const(np.array(0, dtype=dt), suffix="nomask")
        Y = ctx.make("ScaledDotProductAttention", [Q, K, V, m_in, ctx.const(np.array(scale, dtype=dt),
                     suffix="scale")], "sdpa", causal=plain_causal).output(0)
    if rank3:
        Y = _merge_heads(ctx, Y, "y")
    res = [Y, K, V, qk]
    if want_qk and qk is None:
        raise ctx.fail("qk_matmul_output is not produced")
    return res[:max(len(outs), 1)]


def _decomposed(ctx, Q, K, V, bias, scale, softcap, mode, Hq, Hkv, dt):
    """Attention from MatMul / Softmax (when softcap or qk_matmul_output are asked for); returns (Y, qk).
    Grouped heads: Q as [B, Hkv, G, L, E] against K as [B, Hkv, 1, S, E] (MatMul broadcasting, no copies)."""
    L, E, S = (_static(ctx, x, a, "shape") for x, a in ((Q, 2), (Q, 3), (K, 2)))
    if mode not in (0, 1, 2, 3):
        raise ctx.fail(f"qk_matmul_output_mode {mode} is not defined")
    sq = ctx.const(np.array(np.sqrt(scale), dtype=dt), suffix="sqrt_scale")
    Qs = ctx.make("Multiply", [Q, sq], "q_scaled").output(0)
    Ks = ctx.make("Multiply", [K, sq], "k_scaled").output(0)
    G = Hq // Hkv
    if G > 1:
        Qs = ctx.make("Reshape", [Qs, ctx.const(_i64([0, Hkv, G, L, E]), suffix="q5")], "q_groups",
                      special_zero=True).output(0)
        Ks = ctx.make("Unsqueeze", [Ks, ctx.const(_i64([2]), suffix="k5")], "k_groups").output(0)
    qk = ctx.make("MatMul", [Qs, Ks], "qk", transpose_b=True).output(0)
    if G > 1:
        qk = ctx.make("Reshape", [qk, ctx.const(_i64([0, Hq, L, S]), suffix="qk4")], "qk_heads",
                      special_zero=True).output(0)
    if softcap > 0:
        c = ctx.const(np.array(softcap, dtype=dt), suffix="softcap")
        qk = ctx.make("Divide", [qk, c], "cap_div").output(0)
        qk = ctx.make("Tanh", [qk], "cap_tanh").output(0)
        qk = ctx.make("Multiply", [qk, c], "cap_mul").output(0)
    out_qk = qk
    scores = qk if bias is None else ctx.make("Add", [qk, bias], "qk_bias").output(0)
    if mode == 2:
        out_qk = scores
    probs = ctx.make("Softmax", [scores], "softmax", axis=-1).output(0)
    if bias is not None:
        mx = ctx.make("ReduceMax", [bias, ctx.const(_i64([-1]), suffix="last")], "bias_max",
                      keep_dims=True).output(0)
        dead = ctx.make("Equal", [mx, ctx.const(np.array(-np.inf, dtype=dt), suffix="ninf")], "dead").output(0)
        probs = ctx.make("Select", [dead, ctx.const(np.array(0, dtype=dt), suffix="zero"), probs],
                         "guard").output(0)
    if mode == 3:
        out_qk = probs
    if G > 1:
        p5 = ctx.make("Reshape", [probs, ctx.const(_i64([0, Hkv, G, L, S]), suffix="p5")], "p_groups",
                      special_zero=True).output(0)
        v5 = ctx.make("Unsqueeze", [V, ctx.const(_i64([2]), suffix="v5")], "v_groups").output(0)
        y = ctx.make("MatMul", [p5, v5], "pv").output(0)
        y = ctx.make("Reshape", [y, ctx.const(_i64([0, Hq, L, -1]), suffix="y4")], "y_heads",
                     special_zero=True).output(0)
    else:
        y = ctx.make("MatMul", [probs, V], "pv").output(0)
    return y, out_qk


@onnx_op("RMSNormalization")
def _rms_norm(ctx: NodeContext):
    x, w = ctx.input(0), ctx.input(1)
    r = _rank(ctx, x)
    axis = int(ctx.attr("axis", -1))
    axis = axis + r if axis < 0 else axis
    if not 0 <= axis < r:
        raise ctx.fail(f"axis {ctx.attr('axis')} out of range for rank {r}")
    eps = float(ctx.attr("epsilon", 1e-5))
    t = x.get_element_type()
    stash = int(ctx.attr("stash_type", 1))
    xf = x
    if stash == 1 and t.name != "f32":
        xf = ctx.make("Convert", [x], "stash", destination_type="f32").output(0)
    ct = xf.get_element_type().dtype
    sq = ctx.make("Multiply", [xf, xf], "square").output(0)
    ms = ctx.make("ReduceMean", [sq, ctx.const(_i64(list(range(axis, r))), suffix="axes")], "mean_square",
                  keep_dims=True).output(0)
    ms = ctx.make("Add", [ms, ctx.const(np.array(eps, dtype=ct), suffix="eps")], "plus_eps").output(0)
    rms = ctx.make("Sqrt", [ms], "rms").output(0)
    y = ctx.make("Divide", [xf, rms], "normalized").output(0)
    if y.get_element_type() != t:
        y = ctx.make("Convert", [y], "unstash", destination_type=t.name).output(0)
    return ctx.make("Multiply", [y, w], "scaled")


def _slice_last(ctx, x, start, stop, step, tag):
    return ctx.make("Slice", [x, ctx.const(_i64([start]), suffix=f"{tag}_b"), ctx.const(_i64([stop]), suffix=f"{tag}_e"),
                              ctx.const(_i64([step]), suffix=f"{tag}_s"), ctx.const(_i64([-1]), suffix=f"{tag}_a")],
                    tag).output(0)


@onnx_op("RotaryEmbedding")
def _rotary(ctx: NodeContext):
    x, cos, sin, pos = ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3)
    r = _rank(ctx, x)
    interleaved = bool(ctx.attr("interleaved", 0))
    if r == 3:
        heads = int(ctx.attr("num_heads", 0) or 0)
        if not heads:
            raise ctx.fail("3-D input needs the num_heads attribute")
        xr = ctx.make("Reshape", [x, ctx.const(_i64([0, 0, heads, -1]), suffix="bshd")], "split_heads",
                      special_zero=True).output(0)
        head_axis = 2        # [B, S, H, D]
    elif r == 4:
        xr = x
        head_axis = 1        # [B, H, S, D]
    else:
        raise ctx.fail(f"input must be 3-D or 4-D, got {x.get_partial_shape()}")
    D = _static(ctx, xr, 3, "head size")
    rd = int(ctx.attr("rotary_embedding_dim", 0) or 0) or D
    if rd > D or rd % 2:
        raise ctx.fail(f"rotary_embedding_dim {rd} does not fit head size {D}")
    if pos is not None:
        axis0 = ctx.const(np.array(0, np.int64), suffix="axis0")
        cos = ctx.make("Gather", [cos, pos, axis0], "cos_at").output(0)
        sin = ctx.make("Gather", [sin, pos, axis0], "sin_at").output(0)
    ax = ctx.const(_i64([head_axis]), suffix="head_axis")
    cos = ctx.make("Unsqueeze", [cos, ax], "cos_b").output(0)      # broadcast over heads
    sin = ctx.make("Unsqueeze", [sin, ax], "sin_b").output(0)
    if interleaved:
        x1 = _slice_last(ctx, xr, 0, rd, 2, "x_even")
        x2 = _slice_last(ctx, xr, 1, rd, 2, "x_odd")
    else:
        x1 = _slice_last(ctx, xr, 0, rd // 2, 1, "x_lo")
        x2 = _slice_last(ctx, xr, rd // 2, rd, 1, "x_hi")
    mul = lambda a, b, tag: ctx.make("Multiply", [a, b], tag).output(0)   # noqa: E731
    real = ctx.make("Subtract", [mul(cos, x1, "c1"), mul(sin, x2, "s2")], "real").output(0)
    imag = ctx.make("Add", [mul(sin, x1, "s1"), mul(cos, x2, "c2")], "imag").output(0)
    if interleaved:
        last = ctx.const(_i64([-1]), suffix="last")
        pair = ctx.make("Concat", [ctx.make("Unsqueeze", [real, last], "real_1").output(0),
                                   ctx.make("Unsqueeze", [imag, last], "imag_1").output(0)], "pairs", axis=-1)
        rot = ctx.make("Reshape", [pair.output(0), ctx.const(_i64([0, 0, 0, rd]), suffix="rot_shape")], "rot",
                       special_zero=True).output(0)
        parts = [rot]
    else:
        parts = [real, imag]
    if rd < D:
        parts.append(_slice_last(ctx, xr, rd, D, 1, "x_pass"))
    y = ctx.make("Concat", parts, "joined", axis=3).output(0)
    if r == 3:
        y = ctx.make("Reshape", [y, ctx.const(_i64([0, 0, -1]), suffix="bsd")], "merge_heads",
                     special_zero=True).output(0)
    return y


@onnx_op("SwiGLU")
def _swiglu(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    alpha = float(ctx.attr("alpha", 1.0))
    beta = ctx.const(np.array(alpha, dtype=a.get_element_type().dtype), suffix="alpha")
    g = ctx.make("Swish", [a, beta], "swish").output(0)
    return ctx.make("Multiply", [g, b], "gate")


@onnx_op("CausalConvWithState")
def _causal_conv(ctx: NodeContext):
    """Depthwise causal conv1d over [past_state (or zeros), input]: a GroupConvolution without padding, then
    the optional SiLU; present_state is the last k - 1 positions of the concatenation."""
    x, w, b, past = ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3)
    act = ctx.attr("activation", "none") or "none"
    if act not in ("none", "silu", "swish"):
        raise ctx.fail(f"activation '{act}' is not one of none, silu, swish")
    if _rank(ctx, x) != 3 or _rank(ctx, w) != 3:
        raise ctx.fail("input and weight must be rank 3")
    B = _static(ctx, x, 0, "batch size")
    C = _static(ctx, x, 1, "channel count")
    T = _static(ctx, x, 2, "length")
    k = _static(ctx, w, 2, "kernel size")
    dt = x.get_element_type().dtype
    if past is None:
        past = ctx.const(np.zeros((B, C, k - 1), dtype=dt), suffix="zero_state") if k > 1 else None
    padded = x if past is None else ctx.make("Concat", [past, x], "padded", axis=2).output(0)
    wg = ctx.make("Reshape", [w, ctx.const(_i64([C, 1, 1, k]), suffix="w_shape")], "w_groups",
                  special_zero=False).output(0)
    y = ctx.make("GroupConvolution", [padded, wg], "conv", strides=[1], pads_begin=[0], pads_end=[0],
                 dilations=[1], auto_pad="explicit").output(0)
    if b is not None:
        bb = ctx.make("Reshape", [b, ctx.const(_i64([1, C, 1]), suffix="b_shape")], "b_c1",
                      special_zero=False).output(0)
        y = ctx.make("Add", [y, bb], "bias").output(0)
    if act != "none":
        # y * sigmoid(y), not Swish: the conv epilogue fusion has no kernel expression for Swish (yet)
        sg = ctx.make("Sigmoid", [y], "sigmoid").output(0)
        y = ctx.make("Multiply", [y, sg], "silu").output(0)
    total = T + k - 1
    state = ctx.make("Slice", [padded, ctx.const(_i64([total - (k - 1)]), suffix="st_b"),
                               ctx.const(_i64([total]), suffix="st_e"), ctx.const(_i64([1]), suffix="st_s"),
                               ctx.const(_i64([2]), suffix="st_a")], "present_state").output(0)
    return [y, state]


@onnx_op("LinearAttention")
def _linear_attention(ctx: NodeContext):
    q, k, v, past, decay, beta = (ctx.input(i) for i in range(6))
    rule = ctx.attr("update_rule", "gated_delta") or "gated_delta"
    if rule not in ("linear", "gated", "delta", "gated_delta"):
        raise ctx.fail(f"update_rule '{rule}' is not one of linear, gated, delta, gated_delta")
    gated, delta = rule in ("gated", "gated_delta"), rule in ("delta", "gated_delta")
    if gated != (decay is not None) or delta != (beta is not None):
        raise ctx.fail(f"update_rule '{rule}' {'needs' if gated else 'forbids'} decay and "
                       f"{'needs' if delta else 'forbids'} beta")
    hq, hkv = ctx.attr("q_num_heads"), ctx.attr("kv_num_heads")
    if not hq or not hkv:
        raise ctx.fail("q_num_heads and kv_num_heads are required")
    ins = [q, k, v] + [x for x in (past, decay, beta) if x is not None]
    node = ctx.make("LinearAttention", ins, q_num_heads=int(hq), kv_num_heads=int(hkv),
                    scale=float(ctx.attr("scale", 0.0) or 0.0), has_past=past is not None,
                    has_decay=decay is not None, has_beta=beta is not None)
    return [node.output(0), node.output(1)]
