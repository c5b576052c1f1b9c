"""Element-wise ops against NumPy/ONNX Runtime on random inputs, with broadcasting and edge sizes."""
import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, onnx_model, run_ort, run_ovcl

SHAPES = [((1,), (1,)), ((7,), (1,)), ((3, 5), (5,)), ((2, 3, 4, 5), (3, 1, 1)), ((13, 1, 17), (1, 11, 1)),
          ((1000003,), (1000003,))]


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_float(op, sa, sb, rng):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    if op == "Pow":
        a = np.abs(a) + 0.1
    m = onnx_model([helper.make_node(op, ["a", "b"], ["y"])], [("a", np.float32, sa), ("b", np.float32, sb)],
                   [("y", np.float32, None)])
    assert_close(run_ovcl(m, {"a": a, "b": b}), run_ort(m, {"a": a, "b": b}), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Mod", "Equal", "Greater", "Less"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_binary_int(op, dtype, rng):
    a = rng.integers(-50, 50, (4, 6)).astype(dtype)
    b = rng.integers(1, 9, (6,)).astype(dtype) * rng.choice([-1, 1], (6,)).astype(dtype)
    m = onnx_model([helper.make_node(op, ["a", "b"], ["y"])], [("a", dtype, (4, 6)), ("b", dtype, (6,))],
                   [("y", None, None)])
    out = run_ovcl(m, {"a": a, "b": b})
    ref = run_ort(m, {"a": a, "b": b})
    np.testing.assert_array_equal(out[0], ref[0])


UNARY = ["Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Exp", "Erf", "Floor", "Ceil", "Sign", "Softplus", "Softsign",
         "HardSwish", "Mish", "Sin", "Cos", "Atan", "Round"]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", [(1,), (5, 7), (2, 3, 31)])
def test_unary(op, shape, rng):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    m = onnx_model([helper.make_node(op, ["x"], ["y"])], [("x", np.float32, shape)], [("y", np.float32, None)],
                   opset=18)
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["Log", "Sqrt"])
def test_unary_positive(op, rng):
    x = rng.uniform(0.01, 10, (3, 9)).astype(np.float32)
    m = onnx_model([helper.make_node(op, ["x"], ["y"])], [("x", np.float32, (3, 9))], [("y", np.float32, None)])
    assert_close(run_ovcl(m, {"x": x}), run_ort(m, {"x": x}), rtol=1e-6, atol=1e-6)


def test_where_cast_clip(rng):
    c = rng.random((4, 5)) > 0.5
    a = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal((5,)).astype(np.float32)
    nodes = [helper.make_node("Where", ["c", "a", "b"], ["w"]),
             helper.make_node("Clip", ["w", "lo", "hi"], ["k"]),
             helper.make_node("Cast", ["k"], ["y"], to=7)]
    m = onnx_model(nodes, [("c", np.bool_, (4, 5)), ("a", np.float32, (4, 5)), ("b", np.float32, (5,))],
                   [("y", np.int64, None)], initializers=[("lo", np.float32(-0.5)), ("hi", np.float32(0.7))])
    feeds = {"c": c, "a": a * 3, "b": b * 3}
    assert_close(run_ovcl(m, feeds), run_ort(m, feeds))


# ovcl's rule for float -> integer outside the target's range (ONNX and C leave it undefined): truncate toward
# zero, saturate to the range, NaN -> 0. Ranges written out here, not taken from the code under test.
INT_RANGES = {"int64": (-2 ** 63, 2 ** 63 - 1), "int32": (-2 ** 31, 2 ** 31 - 1), "int16": (-2 ** 15, 2 ** 15 - 1),
              "int8": (-128, 127), "uint64": (0, 2 ** 64 - 1), "uint32": (0, 2 ** 32 - 1), "uint16": (0, 65535),
              "uint8": (0, 255), "int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1), "uint2": (0, 3)}


def _saturated(values, lo, hi):
    import math
    return [0 if math.isnan(v) else lo if v <= lo else hi if v >= hi else math.trunc(v) for v in values]


@pytest.mark.parametrize("src", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("dst", list(INT_RANGES))
def test_convert_out_of_range_saturates(src, dst):
    """Float -> every integer type with values past both ends, NaN and infinities: the kernel and constant
    folding (the same Cast on an initializer) both give the saturated values."""
    import ml_dtypes
    lo, hi = INT_RANGES[dst]
    vals = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.5, -0.5, -0.0, lo - 1.0, lo - 0.75, lo + 0.0, lo + 0.75,
            hi + 0.25, hi + 1.0, hi + 2.0, 2.0 ** 31, -2.0 ** 31 - 4096, 2.0 ** 63, 2.0 ** 64, 70000.0, -70000.0]
    with np.errstate(over="ignore"):                     # the values as src holds them (f16 rounds, overflows)
        x = np.array(vals, np.float64).astype(src)
    dtype = np.dtype(getattr(ml_dtypes, dst, None) or dst)
    to = helper.np_dtype_to_tensor_dtype(dtype)
    want = np.array(_saturated([float(v) for v in x], lo, hi), dtype=object)
    m = onnx_model([helper.make_node("Cast", ["x"], ["y"], to=to), helper.make_node("Cast", ["c"], ["z"], to=to)],
                   [("x", src, (len(vals),))], [("y", dtype, None), ("z", dtype, None)],
                   initializers=[("c", x)])
    device, folded = run_ovcl(m, {"x": x})
    for got in (device, folded):
        assert got.dtype == dtype
        got = [int(v) for v in got.astype(np.uint64 if dst == "uint64" else np.int64)]
        assert got == list(want), [(float(v), g, w) for v, g, w in zip(x, got, want) if g != w]


def test_convert_integer_to_narrow_wraps():
    """Integer -> narrower integer keeps the low bits (C and ONNX define it), on the device and folded."""
    import ml_dtypes
    x = np.array([-9, -8, -3, -2, -1, 0, 1, 2, 3, 7, 8, 15, 16, 300, -300], np.int32)
    for dst, bits, signed in (("int4", 4, True), ("uint4", 4, False), ("int2", 2, True), ("uint2", 2, False),
                              ("int8", 8, True), ("uint8", 8, False)):
        low = [int(v) & ((1 << bits) - 1) for v in x]
        want = [v - (1 << bits) if signed and v >= 1 << (bits - 1) else v for v in low]
        dtype = np.dtype(getattr(ml_dtypes, dst, None) or dst)
        to = helper.np_dtype_to_tensor_dtype(dtype)
        m = onnx_model([helper.make_node("Cast", ["x"], ["y"], to=to), helper.make_node("Cast", ["c"], ["z"], to=to)],
                       [("x", np.int32, (len(x),))], [("y", dtype, None), ("z", dtype, None)],
                       initializers=[("c", x)])
        for got in run_ovcl(m, {"x": x}):
            assert [int(v) for v in got.astype(np.int64)] == want, dst


# one case per narrow type and direction; the conformance suite runs all of them
CAST_CASES = __import__("helpers").backend_cases(
    r"^test_cast_(FLOAT_to_(FLOAT8E4M3FN|FLOAT8E5M2FNUZ|INT4|UINT2|FLOAT4E2M1|BFLOAT16)|FLOAT8E5M2_to_FLOAT"
    r"|INT4_to_FLOAT|no_saturate_FLOAT_to_FLOAT8E4M3FN)$")


@pytest.mark.parametrize("case", CAST_CASES, ids=[c.name for c in CAST_CASES])
def test_cast_backend_case(case):
    """Every element type ONNX casts between, float8/int4/bfloat16 included, on ONNX's own cases."""
    __import__("helpers").check_backend_case(case)


BITCAST_CASES = __import__("helpers").backend_cases(r"^test_bitcast")


@pytest.mark.parametrize("case", BITCAST_CASES, ids=[c.name for c in BITCAST_CASES])
def test_bitcast_backend_case(case):
    __import__("helpers").check_backend_case(case)


def _vec_expected(inner: int) -> int:
    """The vector width the eltwise lowering should pick for an all-f32 kernel whose innermost collapsed
    dimension is ``inner``, from the device's preferred float vector width (1 where it prefers scalars)."""
    import ovcl
    want = ovcl.Core().get_property("CPU", "PREFERRED_VECTOR_WIDTH_FLOAT")
    if want not in (4, 8, 16):
        return 1
    vec = 8
    while vec >= 4 and inner % vec:
        vec //= 2
    return vec if vec >= 4 else 1


@pytest.mark.parametrize("shape,inner", [
    ((1, 16, 8, 8), 64),        # per-channel scale/shift/ReLU over 8x8 planes: float8
    ((2, 5, 3, 4), 12),         # planes of 12: float4
    ((1, 6, 7, 1), 7),          # planes of 7: scalar
])
def test_vector_eltwise_fused_chain(shape, inner, rng):
    """A fused BatchNorm-style chain (Mul, Add by per-channel constants, Relu, times x) computes
    right whether it runs as float vectors or scalars, with the per-channel operands broadcast along the
    vector. Against ONNX Runtime; the kernel's vector width against the device's preference."""
    import ovcl
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32)
    inits = [("s", rng.uniform(0.5, 1.5, (c, 1, 1)).astype(np.float32)),
             ("b", rng.standard_normal((c, 1, 1)).astype(np.float32))]
    nodes = [helper.make_node("Mul", ["x", "s"], ["m"]), helper.make_node("Add", ["m", "b"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Mul", ["r", "x"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, shape)], [("y", np.float32, None)], initializers=inits)
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert_close(list(cm({"x": x}).to_tuple()), run_ort(m, {"x": x}), rtol=1e-5, atol=1e-6)
    (launch,) = cm.launches()
    vec = _vec_expected(inner)
    assert (f"ovcl_float{vec}_u" in launch.source) == (vec > 1), launch.source


@pytest.mark.parametrize("sa,sb", [((3, 4, 16), (3, 4, 1)),       # b broadcast along the vector: a scalar
                                   ((3, 4, 16), (16,)),           # b walks the vector, broadcast across rows
                                   ((2, 3, 40), (2, 1, 40)),      # 40 = five float8s
                                   ((4, 6, 8), (4, 6, 8))])
@pytest.mark.parametrize("op", ["Add", "Div", "Pow", "Max"])
def test_vector_eltwise_binary_broadcast(op, sa, sb, rng):
    """Binary ops as float vectors, each operand walking the innermost dimension or broadcast along it; Max
    (its NaN rule spelled with ||, not valid on vectors) stays scalar."""
    import ovcl
    a = np.abs(rng.standard_normal(sa)).astype(np.float32) + 0.1
    b = rng.standard_normal(sb).astype(np.float32)
    m = onnx_model([helper.make_node(op, ["a", "b"], ["y"])], [("a", np.float32, sa), ("b", np.float32, sb)],
                   [("y", np.float32, None)])
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    feeds = {"a": a, "b": b}
    assert_close(list(cm(feeds).to_tuple()), run_ort(m, feeds), rtol=1e-5, atol=1e-6)
    (launch,) = cm.launches()
    vec = 1 if op == "Max" else _vec_expected(sa[-1])
    assert (f"ovcl_float{vec}_u" in launch.source) == (vec > 1), launch.source


VECTOR_MATH_OPS = [("Sigmoid", "exp"), ("Tanh", "tanh"), ("Exp", "exp"), ("Erf", "erf"), ("HardSwish", "fmax"),
                   ("HardSigmoid", "fmin"), ("Mish", "tanh"), ("Softplus", "exp"), ("Softsign", "fabs")]


@pytest.mark.parametrize("op,helper_name", VECTOR_MATH_OPS)
def test_vector_math_helpers(op, helper_name, rng):
    """The prelude's written-out math (exp, tanh, erf, ...) as float vectors: a float32 tensor whose rows divide
    into vectors runs the helper's float<n> form, and matches ONNX Runtime across the range, including zero,
    tiny and huge magnitudes, the helpers' branch points (erf: 1 and 3.92; tanh: 0.55; exp: +-88) and
    infinities and NaN in every lane position."""
    import ovcl
    special = np.array([0.0, -0.0, 1e-30, -1e-8, 0.55, -0.55, 1.0, -1.0, 3.92, -3.92, 20.0, 21.0, 88.7, -87.3,
                        89.0, -88.0, 300.0, -300.0, np.inf, -np.inf, np.nan, 0.3, -2.5, 7.0], np.float32)
    x = (rng.standard_normal((4, 64)) * 3).astype(np.float32)
    x.reshape(-1)[rng.permutation(x.size)[:special.size]] = special
    if op == "Exp":     # ONNX Runtime's exp differs from the correctly rounded value by an ulp or two at +-88
        x = np.clip(x, -80, 80)
    m = onnx_model([helper.make_node(op, ["x"], ["y"])], [("x", np.float32, x.shape)], [("y", np.float32, None)],
                   opset=18)
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert_close(list(cm({"x": x}).to_tuple()), run_ort(m, {"x": x}), rtol=1e-5, atol=1e-6)
    (launch,) = cm.launches()
    vec = _vec_expected(x.shape[-1])
    if vec > 1:
        assert f"ovcl_{helper_name}{vec}(" in launch.source, launch.source
