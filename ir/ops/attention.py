"""Attention: ScaledDotProductAttention (opset13, with the later ``sink`` input).

Inputs: query ``[N..., L, E]``, key ``[N..., S, E]``, value ``[N..., S, Ev]``, optional attention_mask
(boolean: True takes part; or of the query's type: added to the scores; numpy-broadcastable to
``[N..., L, S]``; a scalar 0 means none), optional scale (scalar; default ``1/sqrt(E)``), optional sink
(``[N..., L, 1]`` broadcastable: an extra logit per row that takes part in the softmax and is then dropped).
Attribute ``causal``: key ``j`` is masked for query row ``i`` when ``j > i`` (top-left aligned), and the
attention_mask is ignored.

Batch dimensions broadcast as MatMul's do, and, as an ovcl extension for grouped-query attention, a key/value
batch dimension may also divide the query's: query head ``h`` then reads key/value head ``h // (Hq / Hkv)``
(each key/value head serves a block of consecutive query heads, as ONNX Attention and ``repeat_interleave``
define it).

A row whose scores are all ``-inf`` (every key masked) yields zeros, not NaN (as ONNX Attention defines it).
"""
from __future__ import annotations

import numpy as np

from ..node import IRError
from ..shape import Dimension, PartialShape
from .registry import Op, broadcast_shapes, register


def sdpa_batch(node) -> PartialShape | None:
    """The output's batch dimensions (query / key / value batch dims under broadcasting and grouping)."""
    q, k, v = (node.input_shape(i) for i in range(3))
    if any(s.rank_is_dynamic for s in (q, k, v)):
        return None
    where = f"ScaledDotProductAttention node '{node.name}'"
    if len(q) < 3 or len(k) < 3 or len(v) < 3:
        raise IRError(f"{where}: query, key and value must have rank >= 3, got {q}, {k}, {v}")
    nb = max(len(q), len(k), len(v)) - 2
    pad = lambda s: [Dimension(1)] * (nb - (len(s) - 2)) + list(s)[:-2]   # noqa: E731
    qb, kb, vb = pad(q), pad(k), pad(v)
    out = []
    for dq, dk, dv in zip(qb, kb, vb):
        dims = [dq, dk, dv]
        if not all(d.is_static for d in dims):
            out.append(dq if dq.is_static and dq.min != 1 else Dimension())
            continue
        n = max(d.min for d in dims)
        for name, d in (("query", dq), ("key", dk), ("value", dv)):
            ok = d.min in (1, n) or (name != "query" and dq.min == n and n % d.min == 0)
            if not ok:
                raise IRError(f"{where}: {name} batch dimension {d.min} does not broadcast to {n} "
                              f"(shapes {q}, {k}, {v})")
        if dk.min != dv.min and 1 not in (dk.min, dv.min):
            raise IRError(f"{where}: key and value head counts differ: {k} and {v}")
        out.append(Dimension(n))
    return PartialShape(out)


@register
class ScaledDotProductAttention(Op):
    type_name = "ScaledDotProductAttention"
    version = "opset13"
    attrs = {"causal": False}
    num_inputs = (3, 6)

    @classmethod
    def infer(cls, node):
        q, k, v = (node.input_shape(i) for i in range(3))
        t = node.input_type(0)
        where = f"ScaledDotProductAttention node '{node.name}'"
        if not t.is_real():
            raise IRError(f"{where}: query must be floating-point, got {t}")
        for i in (1, 2):
            if node.input_type(i) != t:
                raise IRError(f"{where}: input {i} has type {node.input_type(i)}, query {t}")
        if not q.rank_is_dynamic and not k.rank_is_dynamic:
            if q[-1].is_static and k[-1].is_static and q[-1].min != k[-1].min:
                raise IRError(f"{where}: query and key head sizes differ: {q} and {k}")
        if not k.rank_is_dynamic and not v.rank_is_dynamic:
            if k[-2].is_static and v[-2].is_static and k[-2].min != v[-2].min:
                raise IRError(f"{where}: key and value sequence lengths differ: {k} and {v}")
        if node.get_input_size() > 3:
            mt = node.input_type(3)
            if mt.name != "boolean" and mt != t:
                raise IRError(f"{where}: attention_mask must be boolean or {t}, got {mt}")
        batch = sdpa_batch(node)
        if batch is None:
            return [(t, PartialShape.dynamic())]
        out = PartialShape(list(batch) + [q[-2], v[-1]])
        if node.get_input_size() > 3 and not node.attrs["causal"]:
            m = node.input_shape(3)
            if not m.rank_is_dynamic and len(m) > 0:
                broadcast_shapes(PartialShape(list(batch) + [q[-2], k[-2]]), m)   # validates
        return [(t, out)]

    @classmethod
    def evaluate(cls, node, inputs):
        q, k, v = inputs[:3]
        mask = inputs[3] if len(inputs) > 3 else None
        scale = inputs[4] if len(inputs) > 4 else None
        sink = inputs[5] if len(inputs) > 5 else None
        return [sdpa_reference(q, k, v, mask, scale, sink, bool(node.attrs["causal"]))]


def _group(x: np.ndarray, batch: list[int]) -> np.ndarray:
    """Repeat (grouped) or broadcast the batch dims of ``x`` [..., S, E] to ``batch``."""
    x = x.reshape((1,) * (len(batch) + 2 - x.ndim) + x.shape)
    for a, n in enumerate(batch):
        d = x.shape[a]
        if d != n and d != 1:
            x = np.repeat(x, n // d, axis=a)
    return np.broadcast_to(x, tuple(batch) + x.shape[-2:])


def sdpa_reference(q, k, v, mask=None, scale=None, sink=None, causal=False) -> np.ndarray:
    """NumPy ScaledDotProductAttention (float64 inside), as the op's docstring defines it."""
    nb = max(q.ndim, k.ndim, v.ndim) - 2
    shapes = [(1,) * (nb + 2 - x.ndim) + x.shape for x in (q, k, v)]
    batch = [max(s[a] for s in shapes) for a in range(nb)]
    qf = _group(q.astype(np.float64), batch)
    kf = _group(k.astype(np.float64), batch)
    vf = _group(v.astype(np.float64), batch)
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    sc = 1.0 / np.sqrt(E) if scale is None else float(np.asarray(scale, dtype=np.float64).reshape(-1)[0])
    s = np.matmul(qf, np.swapaxes(kf, -1, -2)) * sc
    if causal:
        s = s + np.triu(np.full((L, S), -np.inf), k=1)
    elif mask is not None and not (mask.ndim == 0 and not mask.dtype == np.bool_ and mask == 0):
        if mask.dtype == np.bool_:
            s = s + np.where(mask, 0.0, -np.inf)
        else:
            s = s + mask.astype(np.float64)
    if sink is not None:
        sk = np.broadcast_to(sink.astype(np.float64), s.shape[:-1] + (1,))
        s = np.concatenate([s, sk], axis=-1)
    m = np.max(s, axis=-1, keepdims=True)
    dead = np.isneginf(m)
    with np.errstate(invalid="ignore"):
        e = np.exp(s - np.where(dead, 0.0, m))
    den = np.sum(e, axis=-1, keepdims=True)
    p = np.where(dead, 0.0, e / np.where(den == 0, 1.0, den))
    if sink is not None:
        p = p[..., :-1]
    return np.matmul(p, vf).astype(q.dtype)


@register
class LinearAttention(Op):
    """Recurrent linear attention (ovcl extension mirroring ONNX LinearAttention-27; not an OpenVINO opset op).

    Inputs: query ``[B, T, Hq*Dk]``, key ``[B, T, Hkv*Dk]``, value ``[B, T, Hkv*Dv]``, then, as the ``has_*``
    attributes say, past_state ``[B, Hkv, Dk, Dv]``, decay ``[B, T, Hkv]`` or ``[B, T, Hkv*Dk]`` (log-space
    gate), beta ``[B, T, Hkv]`` or ``[B, T, 1]``. Per step t: ``S *= exp(decay_t)`` (gated rules);
    ``v_t = beta_t * (v_t - S^T k_t)`` (delta rules); ``S += k_t v_t^T``; ``out_t = scale * q_t S`` (query head
    h reads state head ``h // (Hq / Hkv)``). Outputs: ``[B, T, Hq*Dv]`` and the final state.
    """
    type_name = "LinearAttention"
    version = "ovcl"
    attrs = {"q_num_heads": 1, "kv_num_heads": 1, "scale": 0.0, "has_past": False, "has_decay": False,
             "has_beta": False}
    num_inputs = (3, 6)

    @classmethod
    def _slots(cls, node):
        k = 3
        slots = {}
        for name in ("past", "decay", "beta"):
            if node.attrs[f"has_{name}"]:
                slots[name] = k
                k += 1
        return slots

    @classmethod
    def infer(cls, node):
        q, v = node.input_shape(0), node.input_shape(2)
        t = node.input_type(0)
        slots = cls._slots(node)
        where = f"LinearAttention node '{node.name}'"
        if len(slots) + 3 != node.get_input_size():
            raise IRError(f"{where}: {node.get_input_size()} inputs do not match the has_* attributes")
        hq, hkv = int(node.attrs["q_num_heads"]), int(node.attrs["kv_num_heads"])
        if hq <= 0 or hkv <= 0 or hq % hkv:
            raise IRError(f"{where}: q_num_heads {hq} must be a positive multiple of kv_num_heads {hkv}")
        st = node.input_type(slots["past"]) if "past" in slots else t
        if q.rank_is_dynamic or v.rank_is_dynamic or not (q.is_static and v.is_static):
            return [(t, PartialShape.dynamic(3)), (st, PartialShape.dynamic(4))]
        B, T, qd = q.to_shape()
        dk, dv = qd // hq, v.to_shape()[2] // hkv
        return [(t, PartialShape([B, T, hq * dv])), (st, PartialShape([B, hkv, dk, dv]))]

    @classmethod
    def evaluate(cls, node, inputs):
        slots = cls._slots(node)
        get = lambda n: inputs[slots[n]] if n in slots else None   # noqa: E731
        return list(linear_attention_reference(inputs[0], inputs[1], inputs[2], get("past"), get("decay"),
                                               get("beta"), int(node.attrs["q_num_heads"]),
                                               int(node.attrs["kv_num_heads"]), float(node.attrs["scale"])))


def linear_attention_reference(q, k, v, past, decay, beta, hq, hkv, scale):
    B, T, _ = q.shape
    dk, dv = q.shape[2] // hq, v.shape[2] // hkv
    split = lambda x, h: x.reshape(B, T, h, -1).transpose(0, 2, 1, 3).astype(np.float64)   # noqa: E731
    q4, k4, v4 = split(q, hq), split(k, hkv), split(v, hkv)
    S = np.zeros((B, hkv, dk, dv)) if past is None else past.astype(np.float64).copy()
    sc = scale if scale else 1.0 / np.sqrt(dk)
    g4 = split(decay, hkv) if decay is not None else None
    b4 = beta.reshape(B, T, beta.shape[2], 1).transpose(0, 2, 1, 3).astype(np.float64) if beta is not None else None
    out = np.zeros((B, hq, T, dv))
    for i in range(T):
        kt, vt = k4[:, :, i], v4[:, :, i]
        if g4 is not None:
            S = S * np.exp(g4[:, :, i])[..., None]
        if b4 is not None:
            vt = b4[:, :, i] * (vt - np.einsum("bhdm,bhd->bhm", S, kt))
        S = S + kt[..., :, None] * vt[..., None, :]
        out[:, :, i] = sc * np.einsum("bhd,bhdm->bhm", q4[:, :, i], np.repeat(S, hq // hkv, axis=1))
    st = past.dtype if past is not None else q.dtype
    return out.transpose(0, 2, 1, 3).reshape(B, T, hq * dv).astype(q.dtype), S.astype(st)
