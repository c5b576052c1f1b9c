"""ONNX RNN, GRU and LSTM, unrolled over time into MatMul and element-wise ops.

The input projection of every step is one MatMul over the whole sequence; each step then adds the
recurrent projection and applies its gates. The sequence length must be static (it usually is; a dynamic
one is a clear error). ``sequence_lens`` masks steps past each batch entry's length (forward direction).
"""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op

_ACT = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}


class _Builder:
    def __init__(self, ctx: NodeContext):
        self.ctx = ctx
        self.n = 0

    def op(self, type_name, inputs, **attrs):
        self.n += 1
        return self.ctx.make(type_name, inputs, f"s{self.n}", **attrs).output(0)

    def const(self, value, dtype=np.int64):
        self.n += 1
        return self.ctx.const(np.asarray(value, dtype=dtype), suffix=f"c{self.n}")

    def take(self, x, index: int, axis: int):
        """x[index] along ``axis`` (the axis disappears)."""
        return self.op("Gather", [x, self.const(index), self.const(axis)], batch_dims=0)

    def act(self, name: str, x, alpha=None, beta=None):
        key = name.lower()
        if key in _ACT:
            return self.op(_ACT[key], [x])
        dt = x.get_element_type().dtype
        if key == "leakyrelu":
            return self.op("PRelu", [x, self.const([alpha if alpha is not None else 0.01], dt)])
        if key == "hardsigmoid":
            return self.op("HardSigmoid", [x, self.const(alpha if alpha is not None else 0.2, dt),
                                           self.const(beta if beta is not None else 0.5, dt)])
        if key == "affine":
            return self.op("Add", [self.op("Multiply", [x, self.const(alpha, dt)]), self.const(beta, dt)])
        if key == "elu":
            return self.op("Elu", [x], alpha=float(alpha if alpha is not None else 1.0))
        if key == "softsign":
            return self.op("SoftSign", [x])
        if key == "softplus":
            return self.op("SoftPlus", [x])
        if key == "scaledtanh":
            return self.op("Multiply", [self.op("Tanh", [self.op("Multiply", [x, self.const(beta, dt)])]),
                                        self.const(alpha, dt)])
        if key == "thresholdedrelu":
            keep = self.op("Greater", [x, self.const(alpha if alpha is not None else 1.0, dt)])
            return self.op("Select", [keep, x, self.const(0, dt)])
        raise self.ctx.fail(f"activation '{name}' is not supported")


def _recurrent(ctx: NodeContext, kind: str):
    b = _Builder(ctx)
    x, w, r = ctx.input(0), ctx.input(1), ctx.input(2)
    bias, seq_lens, h0 = ctx.input(3), ctx.input(4), ctx.input(5)
    c0 = ctx.input(6) if kind == "LSTM" else None
    peep = ctx.input(7) if kind == "LSTM" else None
    layout = int(ctx.attr("layout", 0))
    direction = ctx.attr("direction", "forward")
    hidden = int(ctx.attr("hidden_size"))
    clip = ctx.attr("clip")
    dt = x.get_element_type().dtype
    if layout == 1:                                  # [B, T, I] -> [T, B, I]
        x = b.op("Transpose", [x, b.const([1, 0, 2])])
        for name in ("h0", "c0"):
            v = h0 if name == "h0" else c0
            if v is not None:
                v = b.op("Transpose", [v, b.const([1, 0, 2])])
                h0, c0 = (v, c0) if name == "h0" else (h0, v)
    xs = x.get_partial_shape()
    if not xs[0].is_static or not xs[1].is_static:
        raise ctx.fail("the sequence length and batch must be static to unroll the recurrence")
    steps, batch = xs[0].get_length(), xs[1].get_length()
    dirs = ["forward", "reverse"] if direction == "bidirectional" else [direction]
    defaults = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[kind]
    acts = ctx.attr("activations") or defaults * len(dirs)
    alphas = list(ctx.attr("activation_alpha", []) or [])
    betas = list(ctx.attr("activation_beta", []) or [])
    mask_len = None
    if seq_lens is not None:
        if direction != "forward":
            raise ctx.fail("sequence_lens with a reverse direction is not supported")
        mask_len = b.op("Unsqueeze", [seq_lens, b.const([1])])        # [B, 1]

    def clipped(v):
        if clip is None:
            return v
        return b.op("Clamp", [v], min=-float(clip), max=float(clip))

    ys, hs, cs = [], [], []
    for d, dname in enumerate(dirs):
        na = len(defaults)
        a = acts[d * na:(d + 1) * na]
        al = alphas[d * na:(d + 1) * na] + [None] * na
        be = betas[d * na:(d + 1) * na] + [None] * na
        f = lambda v, k=0: b.act(a[k], v, al[k], be[k])  # noqa: E731
        wd = b.take(w, d, 0)                                   # [G*H, I]
        rd = b.take(r, d, 0)                                   # [G*H, H]
        xw = b.op("MatMul", [x, wd], transpose_a=False, transpose_b=True)   # [T, B, G*H]
        rb = None
        if bias is not None:
            bd = b.take(bias, d, 0)                            # [2*G*H]
            parts = ctx.make("Split", [bd, b.const(0)], f"bsplit{d}", num_splits=2)
            wb, rb = parts.output(0), parts.output(1)
            if kind == "GRU" and ctx.attr("linear_before_reset", 0):
                xw = b.op("Add", [xw, wb])
            else:
                xw = b.op("Add", [xw, b.op("Add", [wb, rb])])
                rb = None
        h = b.take(h0, d, 0) if h0 is not None else b.const(np.zeros((batch, hidden)), dt)
        c = None
        if kind == "LSTM":
            c = b.take(c0, d, 0) if c0 is not None else b.const(np.zeros((batch, hidden)), dt)
            if peep is not None:
                pd = ctx.make("Split", [b.take(peep, d, 0), b.const(0)], f"psplit{d}", num_splits=3)
                p_i, p_o, p_f = pd.output(0), pd.output(1), pd.output(2)
        order = range(steps) if dname == "forward" else range(steps - 1, -1, -1)
        outs = [None] * steps
        for t in order:
            xt = b.take(xw, t, 0)                             # [B, G*H]
            if kind == "GRU":
                xparts = ctx.make("Split", [xt, b.const(1)], f"x{d}_{t}", num_splits=3)
                rz = b.op("MatMul", [h, rd], transpose_a=False, transpose_b=True)
                if rb is not None:
                    rz = b.op("Add", [rz, rb])
                rparts = ctx.make("Split", [rz, b.const(1)], f"r{d}_{t}", num_splits=3)
                z = f(clipped(b.op("Add", [xparts.output(0), rparts.output(0)])), 0)
                rr = f(clipped(b.op("Add", [xparts.output(1), rparts.output(1)])), 0)
                if ctx.attr("linear_before_reset", 0):
                    hh = b.op("Add", [xparts.output(2), b.op("Multiply", [rr, rparts.output(2)])])
                else:
                    rh = ctx.make("Split", [rd, b.const(0)], f"rh{d}_{t}", num_splits=3).output(2)
                    hh = b.op("Add", [xparts.output(2),
                                      b.op("MatMul", [b.op("Multiply", [rr, h]), rh], transpose_a=False,
                                           transpose_b=True)])
                hh = f(clipped(hh), 1)
                one = b.const(1, dt)
                h_new = b.op("Add", [b.op("Multiply", [b.op("Subtract", [one, z]), hh]), b.op("Multiply", [z, h])])
                c_new = None
            else:
                gates = b.op("Add", [xt, b.op("MatMul", [h, rd], transpose_a=False, transpose_b=True)])
                if kind == "RNN":
                    h_new, c_new = f(clipped(gates), 0), None
                else:
                    g = ctx.make("Split", [gates, b.const(1)], f"g{d}_{t}", num_splits=4)
                    gi, go, gf, gc = g.output(0), g.output(1), g.output(2), g.output(3)
                    if peep is not None:
                        gi = b.op("Add", [gi, b.op("Multiply", [p_i, c])])
                        gf = b.op("Add", [gf, b.op("Multiply", [p_f, c])])
                    i_t = f(clipped(gi), 0)
                    f_t = f(clipped(gf), 0)
                    if ctx.attr("input_forget", 0):
                        f_t = b.op("Subtract", [b.const(1, dt), i_t])
                    c_new = b.op("Add", [b.op("Multiply", [f_t, c]), b.op("Multiply", [i_t, f(clipped(gc), 1)])])
                    if peep is not None:
                        go = b.op("Add", [go, b.op("Multiply", [p_o, c_new])])
                    h_new = b.op("Multiply", [f(clipped(go), 0), f(c_new, 2)])
            if mask_len is not None:
                live = b.op("Less", [b.const(t, seq_lens.get_element_type().dtype), mask_len])   # [B, 1]
                outs[t] = b.op("Select", [live, h_new, b.const(0, dt)])
                h_new = b.op("Select", [live, h_new, h])
                if c_new is not None:
                    c_new = b.op("Select", [live, c_new, c])
            else:
                outs[t] = h_new
            h, c = h_new, c_new
        ys.append(b.op("Concat", [b.op("Unsqueeze", [o, b.const([0])]) for o in outs], axis=0))   # [T, B, H]
        hs.append(b.op("Unsqueeze", [h, b.const([0])]))
        if c is not None:
            cs.append(b.op("Unsqueeze", [c, b.const([0])]))
    y = b.op("Concat", [b.op("Unsqueeze", [v, b.const([1])]) for v in ys], axis=1)     # [T, D, B, H]
    yh = b.op("Concat", hs, axis=0) if len(hs) > 1 else hs[0]                          # [D, B, H]
    yc = (b.op("Concat", cs, axis=0) if len(cs) > 1 else cs[0]) if cs else None
    if layout == 1:
        y = b.op("Transpose", [y, b.const([2, 0, 1, 3])])                             # [B, T, D, H]
        yh = b.op("Transpose", [yh, b.const([1, 0, 2])])
        if yc is not None:
            yc = b.op("Transpose", [yc, b.const([1, 0, 2])])
    return [y, yh, yc] if kind == "LSTM" else [y, yh]


@onnx_op("RNN")
def _rnn(ctx):
    return _recurrent(ctx, "RNN")


@onnx_op("GRU")
def _gru(ctx):
    return _recurrent(ctx, "GRU")


@onnx_op("LSTM")
def _lstm(ctx):
    return _recurrent(ctx, "LSTM")
