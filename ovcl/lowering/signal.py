"""Fourier transforms: one launch per transformed axis, direct sums over a compile-time twiddle table
(O(n^2) per signal: right for the short transforms models carry; an FFT kernel is future work)."""
from __future__ import annotations

import numpy as np

from .base import LoweringContext, linear_sizes, lowers


@lowers("DFT", "IDFT", "RDFT", "IRDFT")
def _dft(ctx: LoweringContext):
    op = ctx.node.type_name
    x, y = ctx.inputs[0], ctx.outputs[0]
    if not x.type.is_real() or x.type.name == "f64":
        raise ctx.fail(f"no kernel for element type {x.type}")
    axes = [int(a) for a in np.asarray(ctx.input_const(1)).reshape(-1)]
    if len(axes) != 1:
        raise ctx.fail("transforms over several axes at once are not supported yet")
    axis = axes[0]
    cin = op != "RDFT"
    cout = op != "IRDFT"
    sig_in = x.shape[:-1] if cin else x.shape
    sig_out = y.shape[:-1] if cout else y.shape
    outer = int(np.prod(sig_in[:axis], dtype=np.int64))
    inner = int(np.prod(sig_in[axis + 1:], dtype=np.int64))
    lin, kout = sig_in[axis], sig_out[axis]
    if op == "IRDFT":
        n = kout
    elif op == "RDFT":
        sizes = ctx.input_const(2)
        n = int(np.asarray(sizes).reshape(-1)[0]) if sizes is not None and int(np.asarray(sizes).reshape(-1)[0]) != -1 else lin
    else:
        n = kout
    m = np.arange(n, dtype=np.float64)
    tw = ctx.constant(np.stack([np.cos(2 * np.pi * m / n), np.sin(2 * np.pi * m / n)], axis=1).astype(np.float32))
    gsize, lsize = linear_sizes(outer * kout * inner, 64)
    ctx.launch("dft.cl.mako", gsize, lsize, [x, y, tw], t=x.type, outer=outer, inner=inner, lin=lin, n=n,
               kout=kout, cin=cin, cout=cout, inverse=op in ("IDFT", "IRDFT"), hermitian=op == "IRDFT")
