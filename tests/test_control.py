"""ONNX control flow (If, Loop, Scan: subgraphs translated inline), Resize gaps (align_corners with scales,
cubic exclude_outside, tf_crop_and_resize, keep_aspect_ratio_policy with run-time sizes) and STFT."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from helpers import assert_close, backend_cases, check_backend_case, onnx_model, run_ort, run_ovcl, run_reference

from ovcl.errors import FrontendError


def _graph(name, nodes, outputs, inputs=()):
    def vi(n, t, s):
        return helper.make_tensor_value_info(n, t, s)
    return helper.make_graph(nodes, name, [vi(*i) for i in inputs], [vi(*o) for o in outputs])


def _both(model, feeds, rtol=1e-5, atol=1e-6):
    assert_close(run_ovcl(model, feeds), run_ort(model, feeds), rtol=rtol, atol=atol)


# -- backend cases ---------------------------------------------------------------------------------------------

CASES = (r"^test_if$|^test_scan(9)?_|^test_linear_attention_(linear|gated_delta)_expanded$|^test_affine_grid_(2d|3d)_align_corners_expanded$|^test_stft"
         r"|^test_resize_(downsample_scales_(linear|cubic)_align_corners|.*exclude_outside|tf_crop_and_resize"
         r"|.*_not_(larger|smaller))")


@pytest.mark.parametrize("case", backend_cases(CASES), ids=lambda c: c.name)
def test_backend_case(case):
    check_backend_case(case)


# -- If --------------------------------------------------------------------------------------------------------

def _if_model(then_nodes, then_out, else_nodes, else_out, x_shape=(2, 3)):
    then_g = _graph("then", then_nodes, [(then_out, TensorProto.FLOAT, None)])
    else_g = _graph("else", else_nodes, [(else_out, TensorProto.FLOAT, None)])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)
    return onnx_model([node], [("cond", np.bool_, []), ("x", np.float32, list(x_shape))], [("y", np.float32, None)])


def test_if_runtime_condition_same_shapes_reads_outer_scope():
    one = helper.make_node("Constant", [], ["one"], value=helper.make_tensor("v", TensorProto.FLOAT, [], [1.0]))
    model = _if_model([one, helper.make_node("Add", ["x", "one"], ["a"])], "a",
                      [helper.make_node("Mul", ["x", "x"], ["b"])], "b")
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    for c in (True, False):
        _both(model, {"cond": np.array(c), "x": x})


def test_if_runtime_condition_different_shapes_is_cut():
    model = _if_model([helper.make_node("Neg", ["x"], ["a"])], "a",
                      [helper.make_node("Concat", ["x", "x"], ["b"], axis=0)], "b")
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    import ovcl
    compiled = ovcl.compile_model(ovcl.read_model(model.SerializeToString()), "CPU")
    for c in (True, False, True):
        got = compiled({"cond": np.array(c), "x": x}).to_tuple()
        assert_close(got, run_ort(model, {"cond": np.array(c), "x": x}))


def test_if_constant_condition_takes_branch():
    then_g = _graph("then", [helper.make_node("Relu", ["x"], ["a"])], [("a", TensorProto.FLOAT, None)])
    else_g = _graph("else", [helper.make_node("Sigmoid", ["x"], ["b"])], [("b", TensorProto.FLOAT, None)])
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Size", ["s"], ["r"]),
             helper.make_node("Equal", ["r", "two"], ["cond"]),
             helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)]
    model = onnx_model(nodes, [("x", np.float32, [2, 3])], [("y", np.float32, None)],
                       initializers=[("two", np.array(2, np.int64))])
    x = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    _both(model, {"x": x})
    import ovcl
    ops = {n.type_name for n in ovcl.read_model(model.SerializeToString()).get_ordered_ops()}
    assert "Sigmoid" not in ops and "Select" not in ops


# -- Loop ------------------------------------------------------------------------------------------------------

def _loop_body(cond_nodes=None):
    nodes = [helper.make_node("Cast", ["i"], ["i_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["acc_in", "w"], ["scaled"]),
             helper.make_node("Add", ["scaled", "i_f"], ["acc_out"]),
             helper.make_node("Identity", ["acc_out"], ["scan_out"])]
    nodes += cond_nodes or [helper.make_node("Identity", ["c_in"], ["c_out"])]
    return _graph("body", nodes, [("c_out", TensorProto.BOOL, []), ("acc_out", TensorProto.FLOAT, None),
                                  ("scan_out", TensorProto.FLOAT, None)],
                  [("i", TensorProto.INT64, []), ("c_in", TensorProto.BOOL, []), ("acc_in", TensorProto.FLOAT, None)])


def test_loop_constant_trip_count_unrolled():
    node = helper.make_node("Loop", ["M", "", "x"], ["acc", "seq"], body=_loop_body())
    model = onnx_model([node], [("x", np.float32, [3]), ("w", np.float32, [3])],
                       [("acc", np.float32, None), ("seq", np.float32, None)],
                       initializers=[("M", np.array(4, np.int64))])
    rng = np.random.default_rng(3)
    _both(model, {"x": rng.standard_normal(3).astype(np.float32), "w": rng.standard_normal(3).astype(np.float32)})


def test_loop_condition_from_iteration_stops_early():
    stop = [helper.make_node("Less", ["i", "three"], ["c_out"])]
    body = _loop_body(stop)
    body.initializer.append(onnx.numpy_helper.from_array(np.array(2, np.int64), "three"))
    node = helper.make_node("Loop", ["M", "c0", "x"], ["acc", "seq"], body=body)
    model = onnx_model([node], [("x", np.float32, [3]), ("w", np.float32, [3])],
                       [("acc", np.float32, None), ("seq", np.float32, None)],
                       initializers=[("M", np.array(10, np.int64)), ("c0", np.array(True))])
    rng = np.random.default_rng(4)
    feeds = {"x": rng.standard_normal(3).astype(np.float32), "w": rng.standard_normal(3).astype(np.float32)}
    got = run_ovcl(model, feeds)
    assert got[1].shape == (3, 3)
    _both(model, feeds)


def test_loop_runtime_trip_count_is_a_clear_error():
    node = helper.make_node("Loop", ["M", "", "x"], ["acc", "seq"], body=_loop_body())
    model = onnx_model([node], [("M", np.int64, []), ("x", np.float32, [3]), ("w", np.float32, [3])],
                       [("acc", np.float32, None), ("seq", np.float32, None)])
    import ovcl
    with pytest.raises(FrontendError, match="trip count"):
        ovcl.read_model(model.SerializeToString())


# -- Scan ------------------------------------------------------------------------------------------------------

def test_scan_reverse_axes():
    body = _graph("body", [helper.make_node("Add", ["s_in", "xt"], ["s_out"]),
                           helper.make_node("Mul", ["s_out", "xt"], ["y"])],
                  [("s_out", TensorProto.FLOAT, [4]), ("y", TensorProto.FLOAT, [4])],
                  [("s_in", TensorProto.FLOAT, [4]), ("xt", TensorProto.FLOAT, [4])])
    node = helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=body, num_scan_inputs=1,
                            scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[1],
                            scan_output_directions=[1])
    model = onnx_model([node], [("s0", np.float32, [4]), ("x", np.float32, [4, 5])],
                       [("s", np.float32, None), ("ys", np.float32, None)], opset=16)
    rng = np.random.default_rng(5)
    _both(model, {"s0": rng.standard_normal(4).astype(np.float32), "x": rng.standard_normal((4, 5)).astype(np.float32)})


# -- STFT, Resize ----------------------------------------------------------------------------------------------

def test_stft_two_sided_constant_step():
    node = helper.make_node("STFT", ["x", "step", "win"], ["y"], onesided=0)
    model = onnx_model([node], [("x", np.float32, [2, 40, 1])], [("y", np.float32, None)],
                       initializers=[("step", np.array(6, np.int64)),
                                     ("win", np.hanning(10).astype(np.float32))])
    x = np.random.default_rng(6).standard_normal((2, 40, 1)).astype(np.float32)
    _both(model, {"x": x}, rtol=1e-4, atol=1e-4)


def test_resize_crop_and_resize_scales_vs_ort():
    node = helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="linear",
                            coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-1.0)
    model = onnx_model([node], [("x", np.float32, [1, 2, 5, 6]), ("roi", np.float32, [8])],
                       [("y", np.float32, None)], opset=13,
                       initializers=[("scales", np.array([1, 1, 1.6, 0.5], np.float32))])
    x = np.random.default_rng(7).standard_normal((1, 2, 5, 6)).astype(np.float32)
    roi = np.array([0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3], np.float32)
    _both(model, {"x": x, "roi": roi}, rtol=1e-4, atol=1e-5)


def test_loop_runtime_condition_freezes_carried_values():
    body = _graph("body", [helper.make_node("Cast", ["i"], ["i_f"], to=TensorProto.FLOAT),
                           helper.make_node("Add", ["acc_in", "i_f"], ["acc_out"]),
                           helper.make_node("ReduceSum", ["acc_out"], ["total"], keepdims=0),
                           helper.make_node("Less", ["total", "limit"], ["c_out"])],
                  [("c_out", TensorProto.BOOL, []), ("acc_out", TensorProto.FLOAT, [3])],
                  [("i", TensorProto.INT64, []), ("c_in", TensorProto.BOOL, []), ("acc_in", TensorProto.FLOAT, [3])])
    node = helper.make_node("Loop", ["M", "c0", "x"], ["acc"], body=body)
    model = onnx_model([node], [("c0", np.bool_, []), ("x", np.float32, [3]), ("limit", np.float32, [])],
                       [("acc", np.float32, None)], initializers=[("M", np.array(6, np.int64))])
    import ovcl
    compiled = ovcl.compile_model(ovcl.read_model(model.SerializeToString()), "CPU")
    x = np.array([0.5, -1.0, 2.0], np.float32)
    for c0, limit in ((True, 10.0), (True, 100.0), (False, 100.0), (True, -5.0)):
        feeds = {"c0": np.array(c0), "x": x, "limit": np.array(limit, np.float32)}
        assert_close(compiled(feeds).to_tuple(), run_ort(model, feeds))


@pytest.mark.parametrize("attrs, scales, sizes", [
    (dict(mode="linear", coordinate_transformation_mode="align_corners"), [1, 1, 0.7, 0.45], None),
    (dict(mode="cubic", coordinate_transformation_mode="align_corners"), [1, 1, 0.6, 1.7], None),
    (dict(mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5), [1, 1, 0.55, 0.8], None),
    (dict(mode="nearest", keep_aspect_ratio_policy="not_smaller", axes=[2, 3]), None, [3, 5]),
    (dict(mode="linear", keep_aspect_ratio_policy="not_larger", axes=[3, 2]), None, [4, 9]),
], ids=["linear_align_corners", "cubic_align_corners", "cubic_exclude_outside", "not_smaller", "not_larger"])
def test_resize_vs_ort(attrs, scales, sizes):
    ins = ["x", "", "scales"] if scales is not None else ["x", "", "", "sizes"]
    inits = [("scales", np.array(scales, np.float32))] if scales is not None else [("sizes", np.array(sizes, np.int64))]
    model = onnx_model([helper.make_node("Resize", ins, ["y"], **attrs)], [("x", np.float32, [1, 2, 7, 6])],
                       [("y", np.float32, None)], opset=19, initializers=inits)
    x = np.random.default_rng(8).standard_normal((1, 2, 7, 6)).astype(np.float32)
    if attrs.get("coordinate_transformation_mode") == "align_corners":
        # ONNX divides by (in * scale - 1); onnxruntime by (out - 1): compare with ONNX's reference
        assert_close(run_ovcl(model, {"x": x}), run_reference(model, {"x": x}), rtol=1e-4, atol=1e-5)
        return
    _both(model, {"x": x}, rtol=1e-4, atol=1e-5)
