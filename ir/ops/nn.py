"""Convolution, pooling and normalisation ops: Convolution, GroupConvolution, their BackpropData (transposed)
forms, MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, BatchNormInference, LRN.

Shapes follow OpenVINO's specs: data is ``[N, C, *spatial]`` with 1 to 3 spatial axes. ``auto_pad`` other than
``explicit`` overrides ``pads_begin``/``pads_end``; ``window_pads`` gives the effective pads for static
shapes, and the lowering uses the same helpers so that shapes, references and kernels agree.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import Type, as_type
from .registry import Op, REQUIRED, SameShapeOp, known_ints, register


# -- window arithmetic ------------------------------------------------------------------------------------

def _auto_pad(node: Node) -> str:
    a = str(node.attrs.get("auto_pad", "explicit") or "explicit").lower()
    return "explicit" if a in ("notset", "") else a


def _same_pads(size: int, k: int, s: int, d: int, lower: bool) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    small = total // 2
    return (total - small, small) if lower else (small, total - small)


def window_pads(node: Node, sizes, kernel, strides, dilations) -> tuple[list[int], list[int]]:
    """Effective (pads_begin, pads_end) of a forward window op for static spatial ``sizes``."""
    mode = _auto_pad(node)
    n = len(kernel)
    if mode == "valid":
        return [0] * n, [0] * n
    if mode in ("same_upper", "same_lower"):
        pb, pe = [], []
        for i in range(n):
            b, e = _same_pads(sizes[i], kernel[i], strides[i], dilations[i], mode == "same_lower")
            pb.append(b)
            pe.append(e)
        return pb, pe
    pb = list(node.attrs.get("pads_begin") or [0] * n)
    pe = list(node.attrs.get("pads_end") or [0] * n)
    if len(pb) != n or len(pe) != n:
        raise IRError(f"{node.type_name} node '{node.name}': pads of length {len(pb)}/{len(pe)} for {n} spatial axes")
    return [int(v) for v in pb], [int(v) for v in pe]


def window_out(size: int, k: int, s: int, d: int, pb: int, pe: int, ceil: bool = False, torch: bool = False) -> int:
    eff = (k - 1) * d + 1
    span = size + pb + pe - eff
    if ceil:
        # a window larger than the input still gives one output when rounding up (torch, ONNX): its span is
        # negative, and -(-span // s) rounds it up to 0 rather than down
        out = max(-(-span // s) + 1, 0)
        if torch and out > 0 and (out - 1) * s >= size + pb:   # ceil_torch: the last window starts inside input + pad
            out -= 1
        return out
    return span // s + 1 if span >= 0 else 0


def _spatial(node: Node, i: int = 0):
    ps = node.input_shape(i)
    if ps.rank_is_dynamic:
        return ps, None
    if len(ps) < 3:
        raise IRError(f"{node.type_name} node '{node.name}': input rank {len(ps)} < 3 (need [N, C, spatial...])")
    return ps, list(ps)[2:]


def _check_len(node: Node, n: int, **lists):
    for k, v in lists.items():
        if v is not None and len(v) != n:
            raise IRError(f"{node.type_name} node '{node.name}': {k} has {len(v)} values for {n} spatial axes")


def _forward_spatial_out(node: Node, sp_dims, kernel, strides, dil, ceil=False, torch=False):
    out = []
    static = all(d.is_static for d in sp_dims)
    if static and _auto_pad(node) != "explicit":
        pb, pe = window_pads(node, [d.min for d in sp_dims], kernel, strides, dil)
    elif _auto_pad(node) == "explicit" or _auto_pad(node) == "valid":
        pb, pe = window_pads(node, [0] * len(kernel), kernel, strides, dil)
    else:
        pb = pe = None
    for i, d in enumerate(sp_dims):
        if not d.is_static:
            if _auto_pad(node) in ("same_upper", "same_lower"):
                out.append(Dimension() if d.max == -1 else Dimension(-(-d.min // strides[i]), -(-d.max // strides[i])))
            else:
                out.append(Dimension())
            continue
        out.append(Dimension(window_out(d.min, kernel[i], strides[i], dil[i], pb[i], pe[i], ceil, torch)))
    return out


# -- NumPy references ---------------------------------------------------------------------------------------

def conv_reference(x, w, strides, dil, pb, pe):
    """x [N, C, *S]; w [G, OCg, ICg, *K] -> [N, G*OCg, *O] (float64 accumulation)."""
    g, ocg, icg = w.shape[:3]
    k = w.shape[3:]
    nd = len(k)
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(int(a), int(b)) for a, b in zip(pb, pe)]) \
        if all(v >= 0 for v in list(pb) + list(pe)) else None
    if xp is None:          # negative pads crop
        xp = x.astype(np.float64)
        xp = np.pad(xp, [(0, 0), (0, 0)] + [(max(a, 0), max(b, 0)) for a, b in zip(pb, pe)])
        sl = tuple(slice(max(-a, 0), xp.shape[2 + i] - max(-b, 0)) for i, (a, b) in enumerate(zip(pb, pe)))
        xp = xp[(slice(None), slice(None)) + sl]
    osz = [window_out(x.shape[2 + i], k[i], strides[i], dil[i], pb[i], pe[i]) for i in range(nd)]
    n = x.shape[0]
    out = np.zeros([n, g, ocg] + osz)
    wd = w.astype(np.float64)
    if min(osz + [1]) > 0:
        for idx in itertools.product(*[range(v) for v in k]):
            sl = tuple(slice(idx[i] * dil[i], idx[i] * dil[i] + (osz[i] - 1) * strides[i] + 1, strides[i])
                       for i in range(nd))
            xs = xp[(slice(None), slice(None)) + sl].reshape([n, g, icg] + osz)
            out += np.einsum("ngc...,goc->ngo...", xs, wd[(slice(None),) * 3 + idx])
    return out.reshape([n, g * ocg] + osz).astype(x.dtype)


def conv_transpose_reference(x, w, strides, dil, pb, pe, out_sizes):
    """x [N, C, *S]; w [G, ICg, OCg, *K] -> [N, G*OCg, *out_sizes]."""
    g, icg, ocg = w.shape[:3]
    k = w.shape[3:]
    nd = len(k)
    n = x.shape[0]
    sizes = x.shape[2:]
    full = [max((sizes[i] - 1) * strides[i] + (k[i] - 1) * dil[i] + 1, pb[i] + out_sizes[i]) for i in range(nd)]
    acc = np.zeros([n, g, ocg] + full)
    xd = x.astype(np.float64).reshape([n, g, icg] + list(sizes))
    wd = w.astype(np.float64)
    for idx in itertools.product(*[range(v) for v in k]):
        sl = tuple(slice(idx[i] * dil[i], idx[i] * dil[i] + (sizes[i] - 1) * strides[i] + 1, strides[i])
                   for i in range(nd))
        acc[(slice(None),) * 3 + sl] += np.einsum("ngc...,gco->ngo...", xd, wd[(slice(None),) * 3 + idx])
    crop = tuple(slice(pb[i], pb[i] + out_sizes[i]) for i in range(nd))
    return acc[(slice(None),) * 3 + crop].reshape([n, g * ocg] + list(out_sizes)).astype(x.dtype)


def pool_windows(x, kernel, strides, dil, pb, pe, out_sizes):
    """Yield (kernel offset, coordinates per axis, valid mask) over the windows of the spatial axes."""
    nd = len(kernel)
    for idx in itertools.product(*[range(v) for v in kernel]):
        coords = [np.arange(out_sizes[i]) * strides[i] + idx[i] * dil[i] - pb[i] for i in range(nd)]
        yield idx, coords


def _grid(coords, sizes):
    nd = len(coords)
    grids = np.meshgrid(*coords, indexing="ij")
    valid = np.ones(grids[0].shape, dtype=bool)
    for i in range(nd):
        valid &= (grids[i] >= 0) & (grids[i] < sizes[i])
    clipped = [np.clip(g, 0, s - 1) for g, s in zip(grids, sizes)]
    return clipped, valid


# -- convolutions ---------------------------------------------------------------------------------------------

class _ConvBase(Op):
    version = "opset1"
    attrs = {"strides": REQUIRED, "pads_begin": REQUIRED, "pads_end": REQUIRED, "dilations": REQUIRED,
             "auto_pad": "explicit"}
    num_inputs = (2, 2)
    grouped = False

    @classmethod
    def weights_shape(cls, node):
        """(G, OCg, ICg, kernel or None) from the weights' partial shape."""
        ws = node.input_shape(1)
        if ws.rank_is_dynamic:
            return None
        dims = list(ws)
        if cls.grouped:
            g, ocg, icg, k = dims[0], dims[1], dims[2], dims[3:]
        else:
            g, ocg, icg, k = Dimension(1), dims[0], dims[1], dims[2:]
        return g, ocg, icg, k

    @classmethod
    def infer(cls, node):
        ps, sp = _spatial(node)
        wsh = cls.weights_shape(node)
        t = node.input_type(0)
        if sp is None or wsh is None:
            rank = None if ps.rank_is_dynamic else len(ps)
            if rank is None and wsh is not None:
                rank = 2 + len(wsh[3])
            return [(t, PartialShape.dynamic(rank))]
        g, ocg, icg, k = wsh
        nd = len(sp)
        if len(k) != nd:
            raise IRError(f"{cls.type_name} node '{node.name}': weights rank {len(node.input_shape(1))} does not "
                          f"match data rank {len(ps)}")
        strides, dil = list(node.attrs["strides"]), list(node.attrs["dilations"])
        _check_len(node, nd, strides=strides, dilations=dil)
        c = ps[1]
        if c.is_static and g.is_static and icg.is_static and c.min != g.min * icg.min:
            raise IRError(f"{cls.type_name} node '{node.name}': data has {c.min} channels, weights expect "
                          f"{g.min}x{icg.min}")
        if not all(d.is_static for d in k):
            return [(t, PartialShape([ps[0], g * ocg] + [Dimension()] * nd))]
        kernel = [d.min for d in k]
        return [(t, PartialShape([ps[0], g * ocg] + _forward_spatial_out(node, sp, kernel, strides, dil)))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, w = inputs
        if not cls.grouped:
            w = w[None]
        k = list(w.shape[3:])
        strides, dil = list(node.attrs["strides"]), list(node.attrs["dilations"])
        pb, pe = window_pads(node, list(x.shape[2:]), k, strides, dil)
        return [conv_reference(x, w, strides, dil, pb, pe)]


@register
class Convolution(_ConvBase):
    type_name = "Convolution"


@register
class GroupConvolution(_ConvBase):
    type_name = "GroupConvolution"
    grouped = True


def backprop_pads(node: Node, sizes, kernel, strides, dil, out_pad, output_shape=None):
    """(pads_begin, pads_end, output spatial sizes) of a *ConvolutionBackpropData for static sizes."""
    nd = len(kernel)
    mode = _auto_pad(node)
    full = [(sizes[i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 for i in range(nd)]
    if output_shape is not None:
        out = [int(v) for v in output_shape]
        if mode in ("same_upper", "same_lower"):
            pb, pe = [], []
            for i in range(nd):
                total = max(full[i] + out_pad[i] - out[i], 0)
                small = total // 2
                b, e = (total - small, small) if mode == "same_upper" else (small, total - small)
                pb.append(b)
                pe.append(e)
            return pb, pe, out
        if mode == "valid":
            pb = [0] * nd
        else:
            pb = [int(v) for v in (node.attrs.get("pads_begin") or [0] * nd)]
        pe = [full[i] + out_pad[i] - pb[i] - out[i] for i in range(nd)]
        return pb, pe, out
    if mode in ("valid", "same_upper", "same_lower"):
        pb = pe = [0] * nd        # without output_shape, OpenVINO pads nothing for the auto modes
    else:
        pb = [int(v) for v in (node.attrs.get("pads_begin") or [0] * nd)]
        pe = [int(v) for v in (node.attrs.get("pads_end") or [0] * nd)]
    out = [full[i] - pb[i] - pe[i] + out_pad[i] for i in range(nd)]
    return pb, pe, out


class _BackpropBase(Op):
    version = "opset1"
    attrs = {"strides": REQUIRED, "pads_begin": REQUIRED, "pads_end": REQUIRED, "dilations": REQUIRED,
             "auto_pad": "explicit", "output_padding": []}
    num_inputs = (2, 3)
    grouped = False

    @classmethod
    def weights_shape(cls, node):
        ws = node.input_shape(1)
        if ws.rank_is_dynamic:
            return None
        dims = list(ws)
        if cls.grouped:
            return dims[0], dims[1], dims[2], dims[3:]         # G, ICg, OCg, K
        return Dimension(1), dims[0], dims[1], dims[2:]

    @classmethod
    def _params(cls, node, nd):
        strides = list(node.attrs["strides"]) or [1] * nd
        dil = list(node.attrs["dilations"]) or [1] * nd
        op = list(node.attrs.get("output_padding") or []) or [0] * nd
        _check_len(node, nd, strides=strides, dilations=dil, output_padding=op)
        return strides, dil, op

    @classmethod
    def infer(cls, node):
        ps, sp = _spatial(node)
        wsh = cls.weights_shape(node)
        t = node.input_type(0)
        if sp is None or wsh is None:
            rank = None if ps.rank_is_dynamic else len(ps)
            return [(t, PartialShape.dynamic(rank))]
        g, icg, ocg, k = wsh
        nd = len(sp)
        if len(k) != nd:
            raise IRError(f"{cls.type_name} node '{node.name}': weights rank does not match data rank")
        strides, dil, opad = cls._params(node, nd)
        lead = [ps[0], g * ocg]
        oshape = None
        if node.get_input_size() == 3:
            oshape = node.input_known(2)
            if oshape is None:
                return [(t, PartialShape(lead + [Dimension()] * nd))]
            oshape = [int(v) for v in np.asarray(oshape).reshape(-1)]
            if len(oshape) != nd:
                raise IRError(f"{cls.type_name} node '{node.name}': output_shape has {len(oshape)} values for "
                              f"{nd} spatial axes")
            return [(t, PartialShape(lead + oshape))]
        if not all(d.is_static for d in list(sp) + list(k)):
            return [(t, PartialShape(lead + [Dimension()] * nd))]
        _, _, out = backprop_pads(node, [d.min for d in sp], [d.min for d in k], strides, dil, opad)
        if any(o < 0 for o in out):
            raise IRError(f"{cls.type_name} node '{node.name}': negative output size {out}")
        return [(t, PartialShape(lead + out))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, w = inputs[:2]
        if not cls.grouped:
            w = w[None]
        k = list(w.shape[3:])
        nd = len(k)
        strides, dil, opad = cls._params(node, nd)
        oshape = inputs[2].reshape(-1).tolist() if len(inputs) > 2 else None
        pb, pe, out = backprop_pads(node, list(x.shape[2:]), k, strides, dil, opad, oshape)
        return [conv_transpose_reference(x, w, strides, dil, pb, pe, out)]


@register
class ConvolutionBackpropData(_BackpropBase):
    type_name = "ConvolutionBackpropData"


@register
class GroupConvolutionBackpropData(_BackpropBase):
    type_name = "GroupConvolutionBackpropData"
    grouped = True


# -- pooling ----------------------------------------------------------------------------------------------------

def _pool_params(node: Node, nd: int):
    kernel = [int(v) for v in node.attrs["kernel"]]
    strides = [int(v) for v in (node.attrs["strides"] or [1] * nd)]
    dil = [int(v) for v in (node.attrs.get("dilations") or [1] * nd)]
    _check_len(node, nd, kernel=kernel, strides=strides, dilations=dil)
    return kernel, strides, dil


def _rounding(node: Node) -> tuple[bool, bool]:
    r = str(node.attrs.get("rounding_type", "floor")).lower()
    return r in ("ceil", "ceil_torch"), r == "ceil_torch"


def pool_geometry(node: Node, in_shape):
    """(kernel, strides, dilations, pads_begin, pads_end, output spatial sizes) for a static input."""
    sizes = list(in_shape[2:])
    nd = len(sizes)
    kernel, strides, dil = _pool_params(node, nd)
    pb, pe = window_pads(node, sizes, kernel, strides, dil)
    ceil, torch = _rounding(node)
    out = [window_out(sizes[i], kernel[i], strides[i], dil[i], pb[i], pe[i], ceil, torch) for i in range(nd)]
    return kernel, strides, dil, pb, pe, out


def _pool_infer_shape(node: Node):
    ps, sp = _spatial(node)
    if sp is None:
        return ps
    kernel, strides, dil = _pool_params(node, len(sp))
    ceil, torch = _rounding(node)
    return PartialShape([ps[0], ps[1]] + _forward_spatial_out(node, sp, kernel, strides, dil, ceil, torch))


def maxpool_reference(x, kernel, strides, dil, pb, pe, out, axis=0):
    nd = len(kernel)
    sizes = x.shape[2:]
    n, c = x.shape[:2]
    best = np.full((n, c) + tuple(out), -np.inf, dtype=np.float64)
    arg = np.zeros((n, c) + tuple(out), dtype=np.int64)
    xd = x.astype(np.float64)
    for idx, coords in pool_windows(x, kernel, strides, dil, pb, pe, out):
        clipped, valid = _grid(coords, sizes)
        v = xd[(slice(None), slice(None)) + tuple(clipped)]
        v = np.where(valid, v, -np.inf)
        flat = np.ravel_multi_index(tuple(clipped), sizes) if nd else 0
        better = v > best
        best = np.where(better, v, best)
        arg = np.where(better, flat, arg)
    plane = int(np.prod(sizes))
    if axis == 0:
        arg = arg + (np.arange(n)[:, None] * c + np.arange(c)[None, :]).reshape((n, c) + (1,) * nd) * plane
    elif axis == 1:
        arg = arg + np.arange(c).reshape((1, c) + (1,) * nd) * plane
    return best.astype(x.dtype), arg


@register
class MaxPool(Op):
    type_name = "MaxPool"
    version = "opset8"
    attrs = {"strides": REQUIRED, "dilations": [], "pads_begin": REQUIRED, "pads_end": REQUIRED,
             "kernel": REQUIRED, "rounding_type": "floor", "auto_pad": "explicit", "index_element_type": "i64",
             "axis": 0}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        shape = _pool_infer_shape(node)
        it = as_type(node.attrs["index_element_type"])
        if it not in (Type.i32, Type.i64):
            raise IRError(f"MaxPool node '{node.name}': index_element_type must be i32 or i64, not {it}")
        return [(node.input_type(0), shape), (it, shape)]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        kernel, strides, dil, pb, pe, out = pool_geometry(node, x.shape)
        axis = int(node.attrs["axis"])
        if axis < 0:
            axis += x.ndim
        vals, arg = maxpool_reference(x, kernel, strides, dil, pb, pe, out, axis)
        return [vals, arg.astype(as_type(node.attrs["index_element_type"]).dtype)]


@register
class AvgPool(Op):
    type_name = "AvgPool"
    version = "opset1"
    attrs = {"strides": REQUIRED, "pads_begin": REQUIRED, "pads_end": REQUIRED, "kernel": REQUIRED,
             "exclude-pad": REQUIRED, "rounding_type": "floor", "auto_pad": "explicit"}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(0), _pool_infer_shape(node))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        kernel, strides, dil, pb, pe, out = pool_geometry(node, x.shape)
        sizes = x.shape[2:]
        nd = len(sizes)
        acc = np.zeros(x.shape[:2] + tuple(out))
        cnt = np.zeros(tuple(out))
        excl = bool(node.attrs["exclude-pad"])
        # with padding counted, OpenVINO divides by the whole kernel, except ceil_torch clips windows to the
        # input + pads (as PyTorch and ONNX Runtime do)
        clip = _rounding(node)[1]
        for idx, coords in pool_windows(x, kernel, strides, dil, pb, pe, out):
            clipped, valid = _grid(coords, sizes)
            v = x.astype(np.float64)[(slice(None), slice(None)) + tuple(clipped)]
            acc += np.where(valid, v, 0.0)
            if excl:
                cnt += valid
            elif not clip:
                cnt += 1
            else:
                inpad = np.ones(valid.shape, dtype=bool)
                grids = np.meshgrid(*coords, indexing="ij")
                for i in range(nd):
                    inpad &= (grids[i] >= -pb[i]) & (grids[i] < sizes[i] + pe[i])
                cnt += inpad
        return [(acc / np.maximum(cnt, 1)).astype(x.dtype)]


def adaptive_bins(size: int, out: int):
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


class _AdaptiveBase(Op):
    version = "opset8"

    @classmethod
    def _shape(cls, node):
        ps = node.input_shape(0)
        osh = node.input_known(1)
        if ps.rank_is_dynamic:
            return PartialShape.dynamic()
        if len(ps) < 3:
            raise IRError(f"{cls.type_name} node '{node.name}': input rank {len(ps)} < 3")
        nd = len(ps) - 2
        if osh is None:
            return PartialShape([ps[0], ps[1]] + [Dimension()] * nd)
        osh = [int(v) for v in np.asarray(osh).reshape(-1)]
        if len(osh) != nd:
            raise IRError(f"{cls.type_name} node '{node.name}': output_shape has {len(osh)} values for {nd} axes")
        return PartialShape([ps[0], ps[1]] + osh)

    @classmethod
    def _reduce(cls, x, out, is_max):
        nd = x.ndim - 2
        sizes = x.shape[2:]
        vals = np.zeros(x.shape[:2] + tuple(out), dtype=x.dtype)
        arg = np.zeros(x.shape[:2] + tuple(out), dtype=np.int64)
        bins = [adaptive_bins(sizes[i], out[i]) for i in range(nd)]
        for o in itertools.product(*[range(v) for v in out]):
            sl = tuple(slice(*bins[i][o[i]]) for i in range(nd))
            win = x[(slice(None), slice(None)) + sl]
            if is_max:
                flat = win.reshape(x.shape[:2] + (-1,))
                k = np.argmax(flat, axis=-1)
                vals[(slice(None), slice(None)) + o] = np.take_along_axis(flat, k[..., None], -1)[..., 0]
                local = np.unravel_index(k, win.shape[2:])
                glob = tuple(local[i] + bins[i][o[i]][0] for i in range(nd))
                arg[(slice(None), slice(None)) + o] = np.ravel_multi_index(glob, sizes)
            else:
                vals[(slice(None), slice(None)) + o] = win.astype(np.float64).mean(axis=tuple(range(2, x.ndim)))
        return vals, arg


@register
class AdaptiveAvgPool(_AdaptiveBase):
    type_name = "AdaptiveAvgPool"
    attrs = {}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(0), cls._shape(node))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, osh = inputs
        return [cls._reduce(x, [int(v) for v in osh.reshape(-1)], False)[0]]


@register
class AdaptiveMaxPool(_AdaptiveBase):
    type_name = "AdaptiveMaxPool"
    attrs = {"index_element_type": "i64"}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        shape = cls._shape(node)
        return [(node.input_type(0), shape), (as_type(node.attrs["index_element_type"]), shape)]

    @classmethod
    def evaluate(cls, node, inputs):
        x, osh = inputs
        vals, arg = cls._reduce(x, [int(v) for v in osh.reshape(-1)], True)
        return [vals, arg.astype(as_type(node.attrs["index_element_type"]).dtype)]


# -- normalisation ----------------------------------------------------------------------------------------------

@register
class BatchNormInference(Op):
    type_name = "BatchNormInference"
    version = "opset5"
    attrs = {"epsilon": REQUIRED}
    num_inputs = (5, 5)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        if not ps.rank_is_dynamic and len(ps) < 2:
            raise IRError(f"BatchNormInference node '{node.name}': input rank {len(ps)} < 2")
        for i in range(1, 5):
            p = node.input_shape(i)
            if not p.rank_is_dynamic and len(p) != 1:
                raise IRError(f"BatchNormInference node '{node.name}': input {i} must be 1-D, got {p}")
            if not ps.rank_is_dynamic and not p.rank_is_dynamic and not p[0].compatible(ps[1]):
                raise IRError(f"BatchNormInference node '{node.name}': input {i} has {p[0]} values for "
                              f"{ps[1]} channels")
        return [(node.input_type(0), ps)]

    @classmethod
    def evaluate(cls, node, inputs):
        x, gamma, beta, mean, var = (a.astype(np.float64) for a in inputs)
        shp = (1, -1) + (1,) * (x.ndim - 2)
        scale = gamma / np.sqrt(var + float(node.attrs["epsilon"]))
        y = (x - mean.reshape(shp)) * scale.reshape(shp) + beta.reshape(shp)
        return [y.astype(inputs[0].dtype)]


def lrn_window(size: int) -> tuple[int, int]:
    """Elements before and after the centre that the LRN window covers (ONNX's floor/ceil split)."""
    before = (size - 1) // 2
    return before, size - 1 - before


@register
class LRN(SameShapeOp):
    type_name = "LRN"
    version = "opset1"
    attrs = {"alpha": REQUIRED, "beta": REQUIRED, "bias": REQUIRED, "size": REQUIRED}
    num_inputs = (2, 2)

    @classmethod
    def axes(cls, node, rank):
        a = node.input_known(1)
        if a is None:
            raise IRError(f"LRN node '{node.name}': axes must be a constant")
        return sorted({int(v) % rank for v in np.asarray(a).reshape(-1)})

    @classmethod
    def evaluate(cls, node, inputs):
        x, axes = inputs
        axes = sorted({int(v) % x.ndim for v in np.asarray(axes).reshape(-1)})
        size = int(node.attrs["size"])
        before, after = lrn_window(size)
        sq = x.astype(np.float64) ** 2
        acc = sq
        for ax in axes:          # box sums are separable over the axes
            pad = [(0, 0)] * x.ndim
            pad[ax] = (before, after)
            p = np.pad(acc, pad)
            cs = np.cumsum(p, axis=ax)
            cs = np.concatenate([np.zeros_like(np.take(cs, [0], axis=ax)), cs], axis=ax)
            n = x.shape[ax]
            acc = np.take(cs, np.arange(size, size + n), axis=ax) - np.take(cs, np.arange(0, n), axis=ax)
        scale = float(node.attrs["alpha"]) / (size ** len(axes))
        y = x / (float(node.attrs["bias"]) + scale * acc) ** float(node.attrs["beta"])
        return [y.astype(x.dtype)]


__all__ = ["window_pads", "window_out", "backprop_pads", "pool_geometry", "adaptive_bins", "lrn_window",
           "conv_reference", "conv_transpose_reference", "maxpool_reference"]
_ = math


def col2im_blocks(img, k, strides, dil, pb, pe) -> list[int]:
    return [(img[d] + pb[d] + pe[d] - (dil[d] * (k[d] - 1) + 1)) // strides[d] + 1 for d in range(len(img))]


@register
class Col2Im(Op):
    """OpenVINO Col2Im-15, extended to any number of spatial dims (as ONNX Col2Im): data [N, C*prod(k), L]
    (or unbatched [C*prod(k), L]), output_size and kernel_size; sums each column back into its window."""
    type_name = "Col2Im"
    version = "opset15"
    attrs = {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0]}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        img, k = known_ints(node, 1), known_ints(node, 2)
        if ps.rank_is_dynamic or img is None or k is None:
            rank = None if ps.rank_is_dynamic else len(ps) + node.input_shape(1)[0].get_length() - 1 \
                if not node.input_shape(1).rank_is_dynamic and node.input_shape(1)[0].is_static else None
            return [(node.input_type(0), PartialShape.dynamic(rank))]
        dims = list(ps)
        batched = len(dims) == 3
        cdim = dims[1] if batched else dims[0]
        kp = int(np.prod(k))
        c = Dimension(cdim.get_length() // kp) if cdim.is_static else Dimension()
        out = ([dims[0]] if batched else []) + [c] + [Dimension(v) for v in img]
        return [(node.input_type(0), PartialShape(out))]

    @classmethod
    def params(cls, node, nd):
        a = node.attrs

        def full(v, d):
            v = list(v)
            return v if len(v) == nd else [d] * nd if not v else (v * nd)[:nd]
        return full(a["strides"], 1), full(a["dilations"], 1), full(a["pads_begin"], 0), full(a["pads_end"], 0)

    @classmethod
    def evaluate(cls, node, inputs):
        x, img, k = inputs[0], [int(v) for v in inputs[1].reshape(-1)], [int(v) for v in inputs[2].reshape(-1)]
        batched = x.ndim == 3
        if not batched:
            x = x[None]
        nd = len(img)
        strides, dil, pb, pe = cls.params(node, nd)
        blocks = col2im_blocks(img, k, strides, dil, pb, pe)
        N, CK, L = x.shape
        C = CK // int(np.prod(k))
        padded = np.zeros((N, C) + tuple(img[d] + pb[d] + pe[d] for d in range(nd)), dtype=np.float64)
        cols = x.reshape((N, C) + tuple(k) + tuple(blocks)).astype(np.float64)
        import itertools
        for kk in itertools.product(*[range(v) for v in k]):
            sl = tuple(slice(kk[d] * dil[d], kk[d] * dil[d] + strides[d] * (blocks[d] - 1) + 1, strides[d])
                       for d in range(nd))
            padded[(slice(None), slice(None)) + sl] += cols[(slice(None), slice(None)) + kk]
        out = padded[(slice(None), slice(None)) + tuple(slice(pb[d], pb[d] + img[d]) for d in range(nd))]
        out = out.astype(x.dtype)
        return [out if batched else out[0]]


def _bilinear_zero(img: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """img [H, W] sampled at real (y, x), corners outside the image read as zero."""
    H, W = img.shape
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    out = np.zeros(y.shape, dtype=np.float64)
    for dy in (0, 1):
        for dx in (0, 1):
            yy, xx = y0 + dy, x0 + dx
            w = (1 - np.abs(y - yy)) * (1 - np.abs(x - xx))
            ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            out += np.where(ok, w * img[np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)], 0.0)
    return out


@register
class DeformableConvolution(Op):
    """OpenVINO DeformableConvolution-8 (2-D): data [N, Ci, H, W], offsets [N, dg*kh*kw*2, OH, OW] ((y, x)
    pairs per kernel tap), filters [Co, Ci/group, kh, kw], optional mask [N, dg*kh*kw, OH, OW]. Samples are
    bilinear with corners outside the image reading zero (``bilinear_interpolation_pad`` True)."""
    type_name = "DeformableConvolution"
    version = "opset8"
    attrs = {"strides": REQUIRED, "pads_begin": REQUIRED, "pads_end": REQUIRED, "dilations": REQUIRED,
             "auto_pad": "explicit", "group": 1, "deformable_group": 1, "bilinear_interpolation_pad": False}
    num_inputs = (3, 4)

    @classmethod
    def infer(cls, node):
        x, w = node.input_shape(0), node.input_shape(2)
        if x.rank_is_dynamic or w.rank_is_dynamic or not (x.is_static and w.is_static):
            return [(node.input_type(0), PartialShape.dynamic(4))]
        a = node.attrs
        H, W = x[2].get_length(), x[3].get_length()
        kh, kw = w[2].get_length(), w[3].get_length()
        oh = (H + a["pads_begin"][0] + a["pads_end"][0] - (a["dilations"][0] * (kh - 1) + 1)) // a["strides"][0] + 1
        ow = (W + a["pads_begin"][1] + a["pads_end"][1] - (a["dilations"][1] * (kw - 1) + 1)) // a["strides"][1] + 1
        return [(node.input_type(0), PartialShape([x[0], w[0], Dimension(oh), Dimension(ow)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, off, w = inputs[:3]
        a = node.attrs
        N, Ci, H, W = x.shape
        Co, Cg, kh, kw = w.shape
        OH, OW = off.shape[2:]
        dg, g = a["deformable_group"], a["group"]
        off = off.reshape(N, dg, kh, kw, 2, OH, OW).astype(np.float64)
        mask = inputs[3].reshape(N, dg, kh, kw, OH, OW) if len(inputs) > 3 else np.ones((N, dg, kh, kw, OH, OW))
        oy = (np.arange(OH) * a["strides"][0] - a["pads_begin"][0])[:, None]
        ox = (np.arange(OW) * a["strides"][1] - a["pads_begin"][1])[None, :]
        out = np.zeros((N, Co, OH, OW))
        cog = Co // g
        for b in range(N):
            for ci in range(Ci):
                og = ci // (Ci // dg)
                grp = ci // Cg
                for i in range(kh):
                    for j in range(kw):
                        y = oy + i * a["dilations"][0] + off[b, og, i, j, 0]
                        xx = ox + j * a["dilations"][1] + off[b, og, i, j, 1]
                        v = _bilinear_zero(x[b, ci].astype(np.float64), y, xx) * mask[b, og, i, j]
                        for co in range(grp * cog, (grp + 1) * cog):
                            out[b, co] += w[co, ci % Cg, i, j] * v
        return [out.astype(x.dtype)]
