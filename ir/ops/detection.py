"""Detection ops: ROIAlign-9 and ROIPooling-2 (regions of interest pooled to fixed-size maps).

Each ``evaluate`` is a NumPy reference (folding and tests); inference runs in ``ovcl/lowering/detection.py``.
"""
from __future__ import annotations

import numpy as np

from ..shape import Dimension, PartialShape
from .registry import Op, REQUIRED, node_error, register


def _pooled_shape(node) -> PartialShape:
    """[rois, channels, pooled_h, pooled_w]: one pooled map per region (input 1) of the features (input 0)."""
    x, r = node.input_shape(0), node.input_shape(1)
    c = x[1] if not x.rank_is_dynamic else Dimension()
    n = r[0] if not r.rank_is_dynamic else Dimension()
    return PartialShape([n, c, Dimension(int(node.attrs["pooled_h"])), Dimension(int(node.attrs["pooled_w"]))])


@register
class ROIAlign(Op):
    """OpenVINO ROIAlign-9: data [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R] ->
    [R, C, pooled_h, pooled_w]. Samples outside [-1, H] x [-1, W] count zero; "max" takes, per sample, the
    largest of its four weighted corners (as OpenVINO's and ONNX's references do)."""
    type_name = "ROIAlign"
    version = "opset9"
    attrs = {"pooled_h": REQUIRED, "pooled_w": REQUIRED, "sampling_ratio": REQUIRED, "spatial_scale": REQUIRED,
             "mode": "avg", "aligned_mode": "asymmetric"}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        if node.attrs["mode"] not in ("avg", "max"):
            raise node_error(node, f"mode {node.attrs['mode']!r} is not avg or max")
        return [(node.input_type(0), _pooled_shape(node))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, rois, bidx = inputs
        a = node.attrs
        PH, PW, scale, ratio = int(a["pooled_h"]), int(a["pooled_w"]), float(a["spatial_scale"]), int(a["sampling_ratio"])
        half = a["aligned_mode"] == "half_pixel"
        N, C, H, W = x.shape
        out = np.zeros((rois.shape[0], C, PH, PW))
        for r in range(rois.shape[0]):
            off = 0.5 if half else 0.0
            x0, y0, x1, y1 = [float(v) * scale - off for v in rois[r]]
            rw, rh = x1 - x0, y1 - y0
            if not half:
                rw, rh = max(rw, 1.0), max(rh, 1.0)
            bh, bw = rh / PH, rw / PW
            gh = ratio if ratio > 0 else int(np.ceil(rh / PH))
            gw = ratio if ratio > 0 else int(np.ceil(rw / PW))
            img = x[int(bidx[r])].astype(np.float64)
            for ph in range(PH):
                for pw in range(PW):
                    vals = []
                    for iy in range(gh):
                        yy = y0 + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            xx = x0 + pw * bw + (ix + 0.5) * bw / gw
                            if yy < -1.0 or yy > H or xx < -1.0 or xx > W:
                                vals.append(np.zeros(C) if a["mode"] == "avg" else np.zeros((4, C)))
                                continue
                            y, xv = max(yy, 0.0), max(xx, 0.0)
                            yl, xl = int(y), int(xv)
                            if yl >= H - 1:
                                yh = yl = H - 1
                                y = float(yl)
                            else:
                                yh = yl + 1
                            if xl >= W - 1:
                                xh = xl = W - 1
                                xv = float(xl)
                            else:
                                xh = xl + 1
                            ly, lx = y - yl, xv - xl
                            terms = np.stack([(1 - ly) * (1 - lx) * img[:, yl, xl], (1 - ly) * lx * img[:, yl, xh],
                                              ly * (1 - lx) * img[:, yh, xl], ly * lx * img[:, yh, xh]])
                            vals.append(terms.sum(0) if a["mode"] == "avg" else terms)
                    if a["mode"] == "avg":
                        out[r, :, ph, pw] = np.sum(vals, axis=0) / max(gh * gw, 1)
                    else:
                        out[r, :, ph, pw] = np.max(np.stack(vals).max(axis=1), axis=0)
        return [out.astype(x.dtype)]


@register
class ROIPooling(Op):
    """OpenVINO ROIPooling-2, method "max" (Caffe's, ONNX MaxRoiPool): rois [R, 5] (batch, x1, y1, x2, y2),
    corners rounded after scaling, bins floor/ceil-split, an empty bin gives 0."""
    type_name = "ROIPooling"
    version = "opset2"
    attrs = {"pooled_h": REQUIRED, "pooled_w": REQUIRED, "spatial_scale": REQUIRED, "method": "max"}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        if node.attrs["method"] != "max":
            raise node_error(node, "only the max method is supported")
        return [(node.input_type(0), _pooled_shape(node))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, rois = inputs
        PH, PW, scale = int(node.attrs["pooled_h"]), int(node.attrs["pooled_w"]), float(node.attrs["spatial_scale"])
        N, C, H, W = x.shape
        rnd = lambda v: float(np.sign(v) * np.floor(abs(v) + 0.5))  # noqa: E731 - C round()
        out = np.zeros((rois.shape[0], C, PH, PW), dtype=x.dtype)
        for r in range(rois.shape[0]):
            b = int(rois[r, 0])
            sw, sh, ew, eh = (int(rnd(float(v) * scale)) for v in rois[r, 1:])
            rh, rw = max(eh - sh + 1, 1), max(ew - sw + 1, 1)
            bh, bw = rh / PH, rw / PW
            for ph in range(PH):
                h0 = min(max(int(np.floor(ph * bh)) + sh, 0), H)
                h1 = min(max(int(np.ceil((ph + 1) * bh)) + sh, 0), H)
                for pw in range(PW):
                    w0 = min(max(int(np.floor(pw * bw)) + sw, 0), W)
                    w1 = min(max(int(np.ceil((pw + 1) * bw)) + sw, 0), W)
                    if h1 > h0 and w1 > w0:
                        out[r, :, ph, pw] = x[b, :, h0:h1, w0:w1].max(axis=(1, 2))
        return [out]
