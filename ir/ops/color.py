"""Colour conversion of YUV images to RGB / BGR (opset8): NV12toRGB, NV12toBGR (one plane [N, H*3/2, W, 1], or Y
[N, H, W, 1] and interleaved UV [N, H/2, W/2, 2]) and I420toRGB, I420toBGR (one plane, or Y, U and V planes
[N, H/2, W/2, 1]). Per pixel, with the chroma of its 2x2 block (BT.601, as OpenVINO's spec writes it):
R = 1.164 (Y-16) + 1.596 (V-128), G = 1.164 (Y-16) - 0.813 (V-128) - 0.391 (U-128), B = 1.164 (Y-16) + 2.018 (U-128),
clipped to [0, 255] (and rounded for u8). The output is NHWC with 3 channels."""
from __future__ import annotations

import numpy as np

from ..shape import Dimension, PartialShape
from .registry import Op, node_error, register


def yuv_planes(kind: str, inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y [N,H,W], U, V [N,H/2,W/2]) of NV12 / I420 input planes, as float."""
    if len(inputs) == 1:
        x = inputs[0][..., 0].astype(np.float64)
        h = x.shape[1] * 2 // 3
        y, chroma = x[:, :h], x[:, h:]
        n, w = x.shape[0], x.shape[2]
        if kind == "NV12":
            uv = chroma.reshape(n, h // 2, w // 2, 2)
            return y, uv[..., 0], uv[..., 1]
        flat = chroma.reshape(n, -1)
        q = (h // 2) * (w // 2)
        return y, flat[:, :q].reshape(n, h // 2, w // 2), flat[:, q:].reshape(n, h // 2, w // 2)
    y = inputs[0][..., 0].astype(np.float64)
    if kind == "NV12":
        return y, inputs[1][..., 0].astype(np.float64), inputs[1][..., 1].astype(np.float64)
    return y, inputs[1][..., 0].astype(np.float64), inputs[2][..., 0].astype(np.float64)


class _YUVtoRGB(Op):
    version = "opset8"
    kind = "NV12"
    bgr = False

    @classmethod
    def infer(cls, node):
        planes = {"NV12": (1, 2), "I420": (1, 3)}[cls.kind]
        if node.get_input_size() not in planes:
            raise node_error(node, f"takes {' or '.join(map(str, planes))} planes, got {node.get_input_size()}")
        t = node.input_type(0)
        if t.is_static() and not (t.name == "u8" or t.is_real()):
            raise node_error(node, f"image of type {t}: u8 or a floating-point type")
        ps = node.input_shape(0)
        if ps.rank_is_dynamic:
            return [(t, PartialShape.dynamic(4))]
        if len(ps) != 4:
            raise node_error(node, f"an NHWC image, got shape {ps}")
        n, h, w = ps[0], ps[1], ps[2]
        if node.get_input_size() == 1 and h.is_static:
            if h.min % 3:
                raise node_error(node, f"a single plane's height ({h.min}) is 1.5 times the image's")
            h = Dimension(h.min * 2 // 3)
        for d in (h, w):
            if d.is_static and d.min % 2:
                raise node_error(node, f"image sides must be even, got {ps}")
        return [(t, PartialShape([n, h, w, Dimension(3)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        y, u, v = yuv_planes(cls.kind, inputs)
        u = u.repeat(2, axis=1).repeat(2, axis=2)
        v = v.repeat(2, axis=1).repeat(2, axis=2)
        c, d, e = y - 16, u - 128, v - 128
        rgb = [1.164 * c + 1.596 * e, 1.164 * c - 0.813 * e - 0.391 * d, 1.164 * c + 2.018 * d]
        out = np.clip(np.stack(rgb[::-1] if cls.bgr else rgb, axis=-1), 0, 255)
        if inputs[0].dtype == np.uint8:
            out = np.rint(out)              # u8 results round to nearest, as OpenVINO's
        return [out.astype(inputs[0].dtype)]


@register
class NV12toRGB(_YUVtoRGB):
    type_name = "NV12toRGB"
    num_inputs = (1, 2)


@register
class NV12toBGR(_YUVtoRGB):
    type_name = "NV12toBGR"
    num_inputs = (1, 2)
    bgr = True


@register
class I420toRGB(_YUVtoRGB):
    type_name = "I420toRGB"
    num_inputs = (1, 3)
    kind = "I420"


@register
class I420toBGR(_YUVtoRGB):
    type_name = "I420toBGR"
    num_inputs = (1, 3)
    kind = "I420"
    bgr = True
