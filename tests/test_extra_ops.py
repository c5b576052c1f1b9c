"""GridSample, NonMaxSuppression, CumProd, Unique, CenterCropPad, Col2Im, AffineGrid, DeformConv, RoiAlign,
MaxRoiPool, MaxUnpool and Det: ONNX backend node cases (a representative subset; ``OVCL_EXTRA_ALL_CASES=1`` runs all of
them), the kernels on random inputs against ``onnx.reference``, the NumPy ``evaluate`` of the IR ops against
``onnx.reference`` (they serve folding), and the bounded data-dependent ops feeding further ops.

Tolerances: f32 rtol 1e-4 / atol 1e-5 unless noted; integers exact.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, backend_cases, check_backend_case, onnx_model, run_ovcl, run_reference

ALL = os.environ.get("OVCL_EXTRA_ALL_CASES") == "1"
PATTERN = r"^test_(gridsample|nonmaxsuppression|cumprod|unique|center_crop_pad|col2im|affine_grid_\dd(_align_corners)?$" \
          r"|basic_deform_conv|deform_conv|roialign|maxunpool|det_)"
SUBSET = {
    "test_gridsample", "test_gridsample_border_padding", "test_gridsample_reflection_padding",
    "test_gridsample_nearest", "test_gridsample_bicubic", "test_gridsample_volumetric_bilinear_align_corners_1",
    "test_nonmaxsuppression_suppress_by_IOU_and_scores", "test_nonmaxsuppression_center_point_box_format",
    "test_nonmaxsuppression_two_batches", "test_nonmaxsuppression_limit_output_size",
    "test_cumprod_1d_reverse_exclusive", "test_cumprod_2d_int32", "test_cumprod_2d_negative_axis",
    "test_unique_not_sorted_without_axis", "test_unique_sorted_with_axis_3d", "test_unique_length_1",
    "test_unique_bfloat16_sorted_without_axis",
    "test_center_crop_pad_crop_and_pad", "test_center_crop_pad_crop_axes_hwc",
    "test_col2im_pads", "test_col2im_5d", "test_affine_grid_2d", "test_affine_grid_3d_align_corners",
    "test_deform_conv_with_mask_bias", "test_deform_conv_with_multiple_offset_groups",
    "test_roialign_aligned_false", "test_roialign_aligned_true", "test_roialign_mode_max",
    "test_maxunpool_export_with_output_shape", "test_maxunpool_export_without_output_shape",
    "test_det_nd",
}


def _cases():
    return [c for c in backend_cases(PATTERN) if ALL or c.name in SUBSET]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_onnx_backend_case(case):
    check_backend_case(case)


# -- kernels on random inputs against onnx.reference -------------------------------------------------------------

@pytest.mark.parametrize("mode,pad,align", [("linear", "reflection", 0), ("cubic", "border", 0),
                                            ("nearest", "zeros", 0), ("linear", "zeros", 1)])
def test_grid_sample_random(mode, pad, align, rng):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    grid = rng.uniform(-1.4, 1.4, (2, 4, 3, 2)).astype(np.float32)
    node = helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=pad, align_corners=align)
    m = onnx_model([node], [("x", np.float32, x.shape), ("g", np.float32, grid.shape)], [("y", np.float32, None)],
                   opset=20)
    assert_close(run_ovcl(m, {"x": x, "g": grid}), run_reference(m, {"x": x, "g": grid}), rtol=1e-4, atol=1e-5)


def _nms_model(center=0, with_score=True):
    ins = ["boxes", "scores", "max_out", "iou"] + (["score_t"] if with_score else [])
    node = helper.make_node("NonMaxSuppression", ins, ["sel"], center_point_box=center)
    inputs = [("boxes", np.float32, None), ("scores", np.float32, None), ("max_out", np.int64, [1]),
              ("iou", np.float32, [1])] + ([("score_t", np.float32, [1])] if with_score else [])
    return onnx_model([node], inputs, [("sel", np.int64, None)], opset=11)


def _random_boxes(rng, b, n):
    xy = rng.uniform(0, 10, (b, n, 2))
    wh = rng.uniform(0.5, 4, (b, n, 2))
    return np.concatenate([xy, xy + wh], axis=-1).astype(np.float32)


@pytest.mark.parametrize("with_score", [True, False])
def test_nms_random(with_score, rng):
    import ovcl
    boxes = _random_boxes(rng, 2, 40)
    scores = np.round(rng.uniform(0, 1, (2, 3, 40)), 2).astype(np.float32)     # ties on purpose
    m = _nms_model(with_score=with_score)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    for max_out, iou, st in [(5, 0.3, 0.4), (100, 0.5, 0.0), (0, 0.5, 0.0)]:
        feeds = {"boxes": boxes, "scores": scores, "max_out": np.array([max_out], np.int64),
                 "iou": np.array([iou], np.float32)}
        if with_score:
            feeds["score_t"] = np.array([st], np.float32)
        got = compiled(feeds).to_tuple()
        assert_close(got, run_reference(m, feeds))


def test_unique_random(rng):
    x = rng.integers(0, 4, (6, 3, 2)).astype(np.float32)
    x[3] = x[1]
    for attrs in [dict(sorted=1), dict(sorted=0), dict(sorted=1, axis=0), dict(sorted=0, axis=0)]:
        node = helper.make_node("Unique", ["x"], ["y", "i", "inv", "c"], **attrs)
        m = onnx_model([node], [("x", np.float32, x.shape)],
                       [("y", np.float32, None), ("i", np.int64, None), ("inv", np.int64, None), ("c", np.int64, None)],
                       opset=11)
        if attrs == dict(sorted=0):      # onnx.reference fails on this one: first-occurrence order by hand
            _, idx, inv, cnt = np.unique(x.reshape(-1), return_index=True, return_inverse=True, return_counts=True)
            order = np.argsort(idx)
            rank = np.argsort(order)
            expected = [x.reshape(-1)[idx[order]], idx[order], rank[inv.reshape(-1)], cnt[order]]
        else:
            expected = run_reference(m, {"x": x})
        assert_close(run_ovcl(m, {"x": x}), expected)


@pytest.mark.parametrize("mode,coord,ratio", [("avg", "half_pixel", 0), ("max", "output_half_pixel", 2)])
def test_roi_align_random(mode, coord, ratio, rng):
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    rois = np.concatenate([rng.uniform(-1, 4, (5, 2)), rng.uniform(4, 10, (5, 2))], axis=1).astype(np.float32)
    bidx = rng.integers(0, 2, 5).astype(np.int64)
    node = helper.make_node("RoiAlign", ["x", "r", "b"], ["y"], mode=mode, coordinate_transformation_mode=coord,
                            output_height=3, output_width=2, sampling_ratio=ratio, spatial_scale=0.75)
    m = onnx_model([node], [("x", np.float32, x.shape), ("r", np.float32, rois.shape), ("b", np.int64, bidx.shape)],
                   [("y", np.float32, None)], opset=16)
    feeds = {"x": x, "r": rois, "b": bidx}
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds), rtol=1e-4, atol=1e-5)


def test_max_roi_pool_random(rng):
    """ONNX MaxRoiPool (OpenVINO ROIPooling, max) against onnxruntime and the IR evaluate."""
    from helpers import run_ort
    from ovcl.ir import ops
    x = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)
    rois = np.concatenate([rng.integers(0, 2, (7, 1)), rng.uniform(-2, 6, (7, 2)), rng.uniform(4, 14, (7, 2))],
                          axis=1).astype(np.float32)
    rois[0] = [1, 8, 8, 2, 2]                     # inverted corners: one-pixel bins
    node = helper.make_node("MaxRoiPool", ["x", "r"], ["y"], pooled_shape=[3, 4], spatial_scale=0.6)
    m = onnx_model([node], [("x", np.float32, x.shape), ("r", np.float32, rois.shape)], [("y", np.float32, None)],
                   opset=13)
    expected = run_ort(m, {"x": x, "r": rois})
    assert_close(run_ovcl(m, {"x": x, "r": rois}), expected)
    n = ops.make("ROIPooling", [ops.parameter(x.shape, "f32"), ops.parameter(rois.shape, "f32")], name="n",
                 pooled_h=3, pooled_w=4, spatial_scale=0.6)
    assert_close(n.evaluate([x, rois]), expected)


def test_deform_conv_random(rng):
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 2)).astype(np.float32)
    off = rng.uniform(-2, 2, (2, 2 * 3 * 2 * 2, 3, 4)).astype(np.float32)
    mask = rng.uniform(0, 1, (2, 2 * 3 * 2, 3, 4)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    node = helper.make_node("DeformConv", ["x", "w", "o", "b", "m"], ["y"], group=2, offset_group=2,
                            kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 0, 0], dilations=[1, 2])
    m = onnx_model([node], [(n, np.float32, v.shape) for n, v in zip("xwobm", (x, w, off, b, mask))],
                   [("y", np.float32, None)], opset=19)
    feeds = dict(zip("xwobm", (x, w, off, b, mask)))
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds), rtol=1e-4, atol=1e-4)


def test_col2im_random(rng):
    x = rng.standard_normal((2, 3 * 2 * 3, 9)).astype(np.float32)
    node = helper.make_node("Col2Im", ["x", "img", "blk"], ["y"], strides=[2, 1], pads=[1, 0, 0, 1],
                            dilations=[1, 2])
    inits = [("img", np.array([6, 6], np.int64)), ("blk", np.array([2, 3], np.int64))]
    m = onnx_model([node], [("x", np.float32, x.shape)], [("y", np.float32, None)], opset=18, initializers=inits)
    assert_close(run_ovcl(m, {"x": x}), run_reference(m, {"x": x}), rtol=1e-4, atol=1e-5)


def test_det_and_cumprod_random(rng):
    a = rng.standard_normal((3, 2, 5, 5)).astype(np.float32)
    x = rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)
    nodes = [helper.make_node("Det", ["a"], ["d"]),
             helper.make_node("CumProd", ["x", "axis"], ["c"], exclusive=1, reverse=1)]
    m = onnx_model(nodes, [("a", np.float32, a.shape), ("x", np.float32, x.shape), ("axis", np.int64, [])],
                   [("d", np.float32, None), ("c", np.float32, None)], opset=26)
    for axis in (1, -1):
        got = run_ovcl(m, {"a": a, "x": x, "axis": np.array(axis, np.int64)})
        y = np.flip(x, axis)
        ex = np.flip(np.cumprod(np.concatenate([np.ones_like(np.take(y, [0], axis)),
                                                np.take(y, range(y.shape[axis] - 1), axis)], axis), axis), axis)
        assert_close(got, [np.linalg.det(a.astype(np.float64)).astype(np.float32), ex], rtol=1e-4, atol=1e-5)
    # a constant axis takes the one-work-item-per-segment kernel
    m = onnx_model([helper.make_node("CumProd", ["x", "axis"], ["c"])], [("x", np.int32, x.shape)],
                   [("c", np.int32, None)], opset=26, initializers=[("axis", np.array(-2, np.int64))])
    xi = rng.integers(-3, 4, x.shape).astype(np.int32)
    assert_close(run_ovcl(m, {"x": xi}), [np.cumprod(xi, axis=1, dtype=np.int32)])


# -- data-dependent ops feeding further ops -----------------------------------------------------------------------

def test_bounded_outputs_feed_the_tail(rng):
    """Unique's and NonMaxSuppression's run-time lengths cut the tensors the rest of the graph sees."""
    x = rng.integers(0, 5, 20).astype(np.float32)
    boxes = _random_boxes(rng, 1, 12)
    scores = rng.uniform(0, 1, (1, 2, 12)).astype(np.float32)
    nodes = [helper.make_node("Unique", ["x"], ["u", "", "", "cnt"]),
             helper.make_node("Mul", ["u", "two"], ["u2"]),
             helper.make_node("ReduceSum", ["cnt"], ["total"], keepdims=0),
             helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_out", "iou"], ["sel"]),
             helper.make_node("Gather", ["sel", "col"], ["picked"], axis=1)]
    inits = [("two", np.array(2, np.float32)), ("max_out", np.array([3], np.int64)),
             ("iou", np.array([0.2], np.float32)), ("col", np.array(2, np.int64))]
    m = onnx_model(nodes, [("x", np.float32, x.shape), ("boxes", np.float32, boxes.shape),
                           ("scores", np.float32, scores.shape)],
                   [("u2", np.float32, None), ("total", np.int64, None), ("picked", np.int64, None)],
                   opset=13, initializers=inits)
    feeds = {"x": x, "boxes": boxes, "scores": scores}
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds))


# -- the IR ops' NumPy evaluate against onnx.reference ---------------------------------------------------------------

def _evaluate(type_name, inputs, consts=(), **attrs):
    """Run ``evaluate`` of an IR op on ``inputs`` (arrays; indices in ``consts`` become Constants)."""
    from ovcl.ir import ops
    srcs = [ops.constant(v) if k in consts else ops.parameter(v.shape, _tname(v)) for k, v in enumerate(inputs)]
    node = ops.make(type_name, srcs, name="n", **attrs)
    return node.evaluate(list(inputs))


def _tname(v):
    from ovcl.ir import Type
    return Type.from_dtype(v.dtype)


def test_evaluate_matches_reference(rng):
    x = rng.standard_normal((1, 1, 4, 5)).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, (1, 2, 2, 2)).astype(np.float32)
    for mode, ov in (("nearest", "nearest"), ("linear", "bilinear"), ("cubic", "bicubic")):
        for pad in ("zeros", "border", "reflection"):
            for align in (0, 1):
                node = helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=pad,
                                        align_corners=align)
                m = onnx_model([node], [("x", np.float32, x.shape), ("g", np.float32, grid.shape)],
                               [("y", np.float32, None)], opset=20)
                got = _evaluate("GridSample", [x, grid], mode=ov, padding_mode=pad, align_corners=bool(align))
                assert_close(got, run_reference(m, {"x": x, "g": grid}), rtol=1e-4, atol=1e-5)
    boxes, scores = _random_boxes(rng, 1, 15), np.round(rng.uniform(0, 1, (1, 2, 15)), 1).astype(np.float32)
    mo, iou, st = np.array([4], np.int64), np.array([0.3], np.float32), np.array([0.2], np.float32)
    m = _nms_model()
    got = _evaluate("NonMaxSuppression", [boxes, scores, mo, iou, st], consts=(2,), sort_result_descending=False)
    assert_close(got[:1], run_reference(m, {"boxes": boxes, "scores": scores, "max_out": mo, "iou": iou, "score_t": st}))
    theta = rng.standard_normal((2, 2, 3)).astype(np.float32)
    size = np.array([2, 1, 3, 4], np.int64)
    m = onnx_model([helper.make_node("AffineGrid", ["t", "s"], ["g"], align_corners=1)],
                   [("t", np.float32, theta.shape), ("s", np.int64, [4])], [("g", np.float32, None)], opset=20)
    assert_close(_evaluate("AffineGrid", [theta, size], consts=(1,), align_corners=True),
                 run_reference(m, {"t": theta, "s": size}), rtol=1e-5, atol=1e-6)
    cols = rng.standard_normal((1, 2 * 4, 9)).astype(np.float32)
    img, blk = np.array([4, 4], np.int64), np.array([2, 2], np.int64)
    m = onnx_model([helper.make_node("Col2Im", ["x", "i", "b"], ["y"])],
                   [("x", np.float32, cols.shape), ("i", np.int64, [2]), ("b", np.int64, [2])],
                   [("y", np.float32, None)], opset=18)
    assert_close(_evaluate("Col2Im", [cols, img, blk], consts=(1, 2), strides=[1, 1], dilations=[1, 1],
                           pads_begin=[0, 0], pads_end=[0, 0]), run_reference(m, {"x": cols, "i": img, "b": blk}))
