"""What TensorFlow's kernels define and its TFLite kernels copy, shared by both frontends: how a resize maps
output pixels to input pixels, and how a transposed convolution crops its result."""
from __future__ import annotations


def resize_attrs(bilinear: bool, align_corners: bool, half_pixel_centers: bool) -> dict:
    """OpenVINO Interpolate attributes for ResizeBilinear / ResizeNearestNeighbor with these flags."""
    if bilinear:
        coords = "align_corners" if align_corners else "half_pixel" if half_pixel_centers else "asymmetric"
        return {"mode": "linear_onnx", "coordinate_transformation_mode": coords, "nearest_mode": "floor"}
    if align_corners:                  # round(dst * (in - 1) / (out - 1)), halves away from zero
        return {"mode": "nearest", "coordinate_transformation_mode": "align_corners",
                "nearest_mode": "round_prefer_ceil"}
    # floor((dst + 0.5) * in / out) or floor(dst * in / out)
    return {"mode": "nearest", "coordinate_transformation_mode":
            "tf_half_pixel_for_nn" if half_pixel_centers else "asymmetric", "nearest_mode": "floor"}


def transposed_conv_pads(size: int, kernel: int, stride: int, dilation: int, out: int,
                         same: bool) -> tuple[int, int, int]:
    """(crop at the start, crop at the end, zeros added at the end) along one axis of a transposed convolution
    of an input of ``size`` giving ``out``: SAME crops as the forward convolution pads (the odd one at the
    end), VALID crops nothing; an ``out`` beyond the full result is filled with zeros. A negative third value
    means ``out`` is too small."""
    full = (size - 1) * stride + dilation * (kernel - 1) + 1
    total = max(full - out, 0) if same else 0
    return total // 2, total - total // 2, out - (full - total)
