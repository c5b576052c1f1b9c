"""Quantisation ops (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
QLinearMatMul, QLinearConv) on ONNX's own backend cases, compared with ONNX's expected outputs (rtol/atol of
each case; integers exactly)."""
import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, backend_cases, check_backend_case, onnx_model, run_ort, run_ovcl

CASES = backend_cases(r"^test_(quantizelinear|dequantizelinear|dynamicquantizelinear|matmulinteger"
                      r"|convinteger|qlinearmatmul|qlinearconv)")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_backend_case(case):
    check_backend_case(case)


def test_quantize_per_axis_random(rng):
    x = rng.standard_normal((2, 5, 7)).astype(np.float32) * 4
    scale = rng.uniform(0.01, 0.1, 5).astype(np.float32)
    zp = rng.integers(0, 255, 5).astype(np.uint8)
    m = onnx_model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
                    helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)],
                   [("x", np.float32, [2, 5, 7]), ("s", np.float32, [5]), ("z", np.uint8, [5])],
                   [("q", np.uint8, None), ("y", np.float32, None)], opset=21)
    feeds = {"x": x, "s": scale, "z": zp}
    assert_close(run_ovcl(m, feeds), run_ort(m, feeds), rtol=1e-6, atol=1e-6)


def test_unsupported_element_type_is_clear():
    import ovcl
    case = backend_cases(r"^test_cast_e8m0_FLOAT_to_FLOAT8E8M0$")[0]
    with pytest.raises(ovcl.UnsupportedOpError, match="FLOAT8E8M0 is not supported"):
        ovcl.read_model(case.model.SerializeToString())
