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
        if not t.is_real:
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
