"""Discrete Fourier transforms, as OpenVINO defines them: DFT and IDFT on complex data (a trailing axis of
2), RDFT (real in, one-sided complex out) and IRDFT (one-sided complex in, real out). ``axes`` are
non-negative positions in the input; ``signal_size`` pads or trims the signal along them."""
from __future__ import annotations

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from .registry import Op, register


def _axes(node: Node, rank: int) -> list[int] | None:
    v = node.input_known(1)
    if v is None:
        return None
    axes = [int(a) for a in np.asarray(v).reshape(-1)]
    if any(not 0 <= a < rank for a in axes):
        raise IRError(f"{node.type_name} node '{node.name}': axes {axes} must lie in [0, {rank})")
    return axes


def _sizes(node: Node, n_axes: int) -> list[int] | None:
    if node.get_input_size() < 3:
        return [-1] * n_axes
    v = node.input_known(2)
    return None if v is None else [int(s) for s in np.asarray(v).reshape(-1)]


class _Transform(Op):
    num_inputs = (2, 3)
    real_in = False
    real_out = False

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        t = node.input_type(0)
        if ps.rank_is_dynamic:
            return [(t, PartialShape.dynamic())]
        dims = list(ps)
        signal_rank = len(dims) - (0 if cls.real_in else 1)
        axes = _axes(node, signal_rank)
        sizes = _sizes(node, len(axes)) if axes is not None else None
        if axes is None or sizes is None:
            rank = signal_rank + (0 if cls.real_out else 1)
            return [(t, PartialShape.dynamic(rank))]
        out = dims[:signal_rank]
        for k, (a, s) in enumerate(zip(axes, sizes)):
            last = k == len(axes) - 1
            if cls.type_name == "RDFT":
                n = Dimension(s) if s != -1 else out[a]
                out[a] = n // 2 + 1 if last else n
            elif cls.type_name == "IRDFT" and last:
                out[a] = Dimension(s) if s != -1 else (out[a] - 1) * 2
            elif s != -1:
                out[a] = Dimension(s)
        if not cls.real_out:
            out.append(Dimension(2))
        return [(t, PartialShape(out))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        axes = [int(a) for a in inputs[1].reshape(-1)]
        sizes = [int(s) for s in inputs[2].reshape(-1)] if len(inputs) > 2 else [-1] * len(axes)
        data = x.astype(np.float64) if cls.real_in else x[..., 0].astype(np.float64) + 1j * x[..., 1]
        for a, s in zip(axes[:-1], sizes[:-1]):
            n = data.shape[a] if s == -1 else s
            data = (np.fft.ifft if cls.type_name in ("IDFT", "IRDFT") else np.fft.fft)(data, n=n, axis=a)
        a, s = axes[-1], sizes[-1]
        if cls.type_name == "DFT":
            y = np.fft.fft(data, n=None if s == -1 else s, axis=a)
        elif cls.type_name == "IDFT":
            y = np.fft.ifft(data, n=None if s == -1 else s, axis=a)
        elif cls.type_name == "RDFT":
            y = np.fft.rfft(data, n=None if s == -1 else s, axis=a)
        else:
            y = np.fft.irfft(data, n=None if s == -1 else s, axis=a)
        if cls.real_out:
            return [np.real(y).astype(x.dtype)]
        return [np.stack([y.real, y.imag], axis=-1).astype(x.dtype)]


@register
class DFT(_Transform):
    type_name = "DFT"
    version = "opset7"


@register
class IDFT(_Transform):
    type_name = "IDFT"
    version = "opset7"


@register
class RDFT(_Transform):
    type_name = "RDFT"
    version = "opset9"
    real_in = True


@register
class IRDFT(_Transform):
    type_name = "IRDFT"
    version = "opset9"
    real_out = True
