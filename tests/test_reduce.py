"""Reductions, ArgMax/ArgMin, Softmax/LogSoftmax, normalisations, TopK and CumSum against ONNX Runtime/NumPy.

Tolerances: rtol 1e-4, atol 1e-5 for f32 unless stated (sums of up to a few thousand unit-variance values).
"""
import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, onnx_model, run_ort, run_ovcl

import ovcl
from ovcl.ir import Model, ops

REDUCE = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
          "ReduceLogSumExp", "ReduceSumSquare"]
AXES = [((3, 4, 5), [1], 1), ((3, 4, 5), [0, 2], 0), ((2, 3, 4, 5), [-1], 0), ((7,), [0], 1), ((1, 13, 1), [1], 1),
        ((2, 3, 4, 5), [1, 2, 3], 1), ((3, 4, 5), None, 0)]


def _reduce_model(op, shape, axes, keep, opset, dtype=np.float32, noop=None):
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    attrs = {"keepdims": keep}
    if noop is not None:
        attrs["noop_with_empty_axes"] = noop
    inits, names = [], ["x"]
    if axes is not None:
        if as_input:
            inits.append(("axes", np.array(axes, np.int64)))
            names.append("axes")
        else:
            attrs["axes"] = axes
    node = helper.make_node(op, names, ["y"], **attrs)
    return onnx_model([node], [("x", dtype, shape)], [("y", dtype, None)], opset=opset, initializers=inits)


def _check_reduce(op, shape, axes, keep, opset, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    if op in ("ReduceLogSum", "ReduceProd"):
        x = np.abs(x) + 0.5
    m = _reduce_model(op, shape, axes, keep, opset)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape,axes,keep", AXES[:2] + AXES[4:])
@pytest.mark.parametrize("op", REDUCE)
def test_reduce(op, shape, axes, keep, rng):
    _check_reduce(op, shape, axes, keep, 18, rng)


@pytest.mark.parametrize("op", REDUCE)
def test_reduce_axes_attribute(op, rng):
    """Before opset 18 (13 for ReduceSum) the axes are an attribute."""
    _check_reduce(op, (2, 3, 4, 5), [-1], 0, 13 if op != "ReduceSum" else 11, rng)


@pytest.mark.slow
@pytest.mark.parametrize("opset", [13, 18])
@pytest.mark.parametrize("shape,axes,keep", AXES)
@pytest.mark.parametrize("op", REDUCE)
def test_reduce_all(op, shape, axes, keep, opset, rng):
    _check_reduce(op, shape, axes, keep, opset, rng)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_reduce_int(op, dtype, rng):
    x = rng.integers(-5, 6, (3, 4, 5)).astype(dtype)
    m = _reduce_model(op, (3, 4, 5), [1], 0, 18, dtype=dtype)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}))


def test_reduce_noop_with_empty_axes(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    m = _reduce_model("ReduceSum", (3, 4), None, 1, 13, noop=1)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}))


def test_reduce_large(rng):
    x = rng.standard_normal((3, 5000)).astype(np.float32)
    m = _reduce_model("ReduceMean", (3, 5000), [1], 0, 18)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-5)



@pytest.mark.parametrize("op", ["ReduceMean", "GlobalAveragePool"])
def test_equal_segments_reduce_equal(op, rng):
    """Segments holding the same values reduce to the same bits wherever they start in memory (13x13 planes:
    each channel's plane at another alignment), as a softmax over them needs; and match NumPy's mean."""
    plane = (rng.standard_normal((13, 13)) * 10.0 ** rng.integers(-3, 4, (13, 13))).astype(np.float32)
    x = np.broadcast_to(plane, (1, 40, 13, 13)).copy()
    attrs = {"axes": [2, 3], "keepdims": 1} if op == "ReduceMean" else {}
    m = onnx_model([helper.make_node(op, ["x"], ["y"], **attrs)], [("x", np.float32, x.shape)],
                   [("y", np.float32, None)], opset=13)
    (y,) = run_ovcl(m, {"x": x})
    assert np.unique(y).size == 1, np.unique(y)
    np.testing.assert_allclose(y.ravel()[0], plane.astype(np.float64).mean(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["MeanVarianceNormalization", "LpNormalization"])
def test_equal_rows_normalise_equal(op, rng):
    """Equal rows of 13x13 values, each starting at another alignment, normalise to the same bits (the
    normalisation kernel's vector body starts at each row's first element); against NumPy."""
    row = (rng.standard_normal(169) * 10.0 ** rng.integers(-2, 3, 169)).astype(np.float32)
    x = np.broadcast_to(row.reshape(13, 13), (1, 40, 13, 13)).copy()
    attrs = {"axes": [2, 3]} if op == "MeanVarianceNormalization" else {"axis": -1, "p": 2}
    xin = x if op == "MeanVarianceNormalization" else x.reshape(40, 169)
    m = onnx_model([helper.make_node(op, ["x"], ["y"], **attrs)], [("x", np.float32, xin.shape)],
                   [("y", np.float32, None)], opset=13)
    (y,) = run_ovcl(m, {"x": xin})
    y = y.reshape(40, 169)
    assert all(np.array_equal(y[0], y[k]) for k in range(40))
    r64 = row.astype(np.float64)
    ref = ((r64 - r64.mean()) / np.sqrt(r64.var() + 1e-9) if op == "MeanVarianceNormalization"
           else r64 / np.sqrt((r64 * r64).sum()))
    np.testing.assert_allclose(y[0], ref, rtol=1e-4, atol=1e-5)

@pytest.mark.parametrize("op", ["ReduceLogicalAnd", "ReduceLogicalOr"])
def test_reduce_logical(op, rng):
    x = rng.random((4, 6, 5)) > 0.2
    p = ops.parameter((4, 6, 5), "boolean", name="x")
    node = ops.make(op, [p, ops.constant(np.array([1, 2], np.int64))], keep_dims=True)
    out = ovcl.compile_model(Model([node], [p]), "CPU")({"x": x}).to_tuple()[0]
    np.testing.assert_array_equal(out, node.evaluate([x, np.array([1, 2])])[0])


@pytest.mark.parametrize("cfg", [{"WG": 1, "VEC": 0}, {"WG": 1, "VEC": 1}, {"WG": 16, "VEC": 0}])
def test_segment_kernel_configurations(cfg, rng):
    """Each configuration of the one-work-group-per-segment kernels (the scalar loop, the float8 body, and the
    GPU's: a work-group shares each segment, tree in local memory) on the CPU, forced and asserted."""
    x = rng.standard_normal((5, 37)).astype(np.float32)
    families = ("reduce.segment", "softmax.row", "norm.segment")
    for op in ("ReduceSum", "ReduceMax"):
        p = ops.parameter((5, 37), name="x")
        node = ops.make(op, [p, ops.constant(np.array([1], np.int64))])
        sm = ops.make("Softmax", [p], axis=1)
        mvn = ops.make("MVN", [p, ops.constant(np.array([1], np.int64))], eps=1e-6, normalize_variance=True,
                       eps_mode="inside_sqrt")
        cm = ovcl.compile_model(Model([node, sm, mvn], [p]), "CPU", {"KERNEL_PARAMS": {f: cfg for f in families}})
        assert sorted((l.variant, l.params["WG"], l.params["VEC"]) for l in cm.launches()) == sorted(
            (f, cfg["WG"], cfg["VEC"]) for f in families)
        outs = cm({"x": x}).to_tuple()
        refs = [n.evaluate([x] + ([np.array([1])] if n is not sm else []))[0] for n in (node, sm, mvn)]
        assert_close(list(outs), refs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keep,last", [(0, 1, 0), (1, 0, 0), (-1, 1, 0), (2, 0, 1), (1, 1, 1)])
def test_argmax(op, axis, keep, last, rng):
    x = rng.integers(0, 4, (3, 5, 7)).astype(np.float32)     # many ties
    m = onnx_model([helper.make_node(op, ["x"], ["y"], axis=axis, keepdims=keep, select_last_index=last)],
                   [("x", np.float32, x.shape)], [("y", np.int64, None)], opset=13)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}))


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("opset,shape,axis", [(11, (3, 4, 5), 1), (11, (2, 3, 4, 5), 0), (11, (3, 4, 5), -1),
                                              (13, (3, 4, 5), 1), (13, (3, 4, 5), -1), (13, (2, 3, 4, 5), 0),
                                              (13, (1, 1000), 1), (13, (7,), 0),
                                              (13, (5, 1001), -1)])
def test_softmax(op, opset, shape, axis, rng):
    x = (rng.standard_normal(shape) * 10).astype(np.float32)
    m = onnx_model([helper.make_node(op, ["x"], ["y"], axis=axis)], [("x", np.float32, shape)],
                   [("y", np.float32, None)], opset=opset)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-5)


def test_softmax_large_values():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]], np.float32)
    m = onnx_model([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], [("x", np.float32, x.shape)],
                   [("y", np.float32, None)], opset=13)
    out = run_ovcl(m, {"x": x})
    assert np.all(np.isfinite(out[0]))
    assert_close(out, run_ort(m, {"x": x}), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,axis", [((2, 7, 768), -1), ((3, 4, 5), 1), ((5, 13), 0)])
@pytest.mark.parametrize("outputs", [1, 3])
def test_layer_norm(shape, axis, outputs, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    nshape = shape[axis % len(shape):]
    scale = rng.standard_normal(nshape).astype(np.float32)
    bias = rng.standard_normal(nshape).astype(np.float32)
    outs = ["y", "mean", "inv"][:outputs]
    m = onnx_model([helper.make_node("LayerNormalization", ["x", "s", "b"], outs, axis=axis, epsilon=1e-5)],
                   [("x", np.float32, shape)], [(o, np.float32, None) for o in outs], opset=17,
                   initializers=[("s", scale), ("b", bias)])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 4, 9)])
def test_instance_norm(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    m = onnx_model([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-4)],
                   [("x", np.float32, shape)], [("y", np.float32, None)],
                   initializers=[("s", rng.standard_normal(c).astype(np.float32)),
                                 ("b", rng.standard_normal(c).astype(np.float32))])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("opset", [18, 21])
def test_group_norm(opset, rng):
    n, c, h, w, g = 2, 6, 5, 4, 3
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    pshape = (g,) if opset < 21 else (c,)
    s = rng.standard_normal(pshape).astype(np.float32)
    b = rng.standard_normal(pshape).astype(np.float32)
    m = onnx_model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], epsilon=1e-5, num_groups=g)],
                   [("x", np.float32, x.shape)], [("y", np.float32, None)], opset=opset,
                   initializers=[("s", s), ("b", b)])
    xg = x.reshape(n, g, -1).astype(np.float64)
    yg = (xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)
    if opset < 21:
        ref = (yg * s.reshape(1, g, 1) + b.reshape(1, g, 1)).reshape(x.shape)
    else:
        ref = yg.reshape(x.shape) * s.reshape(1, c, 1, 1) + b.reshape(1, c, 1, 1)
    assert_close(run_ovcl(m, {"x": x}), [ref.astype(np.float32)], rtol=1e-4, atol=1e-4)


def test_mean_variance_normalization(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    m = onnx_model([helper.make_node("MeanVarianceNormalization", ["x"], ["y"])], [("x", np.float32, x.shape)],
                   [("y", np.float32, None)], opset=13)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("p,axis", [(2, -1), (2, 1), (1, 0)])
def test_lp_normalization(p, axis, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    m = onnx_model([helper.make_node("LpNormalization", ["x"], ["y"], p=p, axis=axis)],
                   [("x", np.float32, x.shape)], [("y", np.float32, None)], opset=13)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-5)


def test_normalize_l2_modes(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32) * 1e-3
    for mode in ("add", "max"):
        p = ops.parameter(x.shape, name="x")
        node = ops.make("NormalizeL2", [p, ops.constant(np.array([1, 2], np.int64))], eps=1e-4, eps_mode=mode)
        out = ovcl.compile_model(Model([node], [p]), "CPU")({"x": x}).to_tuple()[0]
        assert_close([out], node.evaluate([x, np.array([1, 2])]), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("k", [1, 3, 5, 100])
@pytest.mark.parametrize("largest", [1, 0])
@pytest.mark.parametrize("shape,axis", [((3, 120), -1), ((2, 120, 3), 1)])
def test_topk(shape, axis, k, largest, rng):
    x = rng.integers(0, 50, shape).astype(np.float32)        # ties: lower index first
    m = onnx_model([helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=largest, sorted=1)],
                   [("x", np.float32, shape)], [("v", np.float32, None), ("i", np.int64, None)], opset=11,
                   initializers=[("k", np.array([k], np.int64))])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}))


@pytest.mark.parametrize("k", [4, 80])
def test_topk_sort_index(k, rng):
    x = rng.standard_normal((3, 90)).astype(np.float32)
    p = ops.parameter(x.shape, name="x")
    node = ops.make("TopK", [p, ops.constant(np.array(k, np.int64))], axis=1, mode="max", sort="index",
                    index_element_type="i32")
    outs = ovcl.compile_model(Model([node.output(0), node.output(1)], [p]), "CPU")({"x": x}).to_tuple()
    assert_close(list(outs), node.evaluate([x, np.array(k)]))


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum(exclusive, reverse, axis, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    m = onnx_model([helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse)],
                   [("x", np.float32, x.shape)], [("y", np.float32, None)], opset=14,
                   initializers=[("axis", np.array(axis, np.int64))])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-5, atol=1e-5)


def test_cumsum_int(rng):
    x = rng.integers(-9, 9, (4, 6)).astype(np.int32)
    m = onnx_model([helper.make_node("CumSum", ["x", "axis"], ["y"])], [("x", np.int32, x.shape)],
                   [("y", np.int32, None)], opset=14, initializers=[("axis", np.array(1, np.int32))])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}))


def test_cumsum_run_time_axis(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    m = onnx_model([helper.make_node("CumSum", ["x", "axis"], ["y"], reverse=1)],
                   [("x", np.float32, x.shape), ("axis", np.int64, ())], [("y", np.float32, None)], opset=14)
    for axis in (0, -1, 1):
        feeds = {"x": x, "axis": np.array(axis, np.int64)}
        assert_close(run_ovcl(m, feeds), run_ort(m, feeds), rtol=1e-5, atol=1e-5)


def test_reduce_empty_axes_input_means_all(rng):
    x = rng.standard_normal((3, 2, 2)).astype(np.float32)
    m = onnx_model([helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1)],
                   [("x", np.float32, x.shape), ("axes", np.int64, (0,))], [("y", np.float32, None)], opset=13)
    feeds = {"x": x, "axes": np.zeros((0,), np.int64)}
    assert_close(run_ovcl(m, feeds), run_ort(m, feeds))


def test_reduce_bool_max_min(rng):
    x = rng.random((3, 4)) > 0.5
    for op, ref in (("ReduceMax", np.any), ("ReduceMin", np.all)):
        p = ops.parameter(x.shape, "boolean", name="x")
        node = ops.make(op, [p, ops.constant(np.array([1], np.int64))])
        out = ovcl.compile_model(Model([node], [p]), "CPU")({"x": x}).to_tuple()[0]
        np.testing.assert_array_equal(out, ref(x, axis=1))
