"""MatMul (ONNX MatMul, Gemm, and the IR op with transposes and fused epilogues) against NumPy and ONNX Runtime.

Tolerances: f32 rtol 1e-4, atol 1e-4 (K up to 1000, inputs of unit variance); f16 inputs rtol/atol 1e-2.
"""
import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, onnx_model, run_ort, run_ovcl

import ovcl
from ovcl.ir import Model, ops

SHAPES = [
    ((1, 1), (1, 1)),
    ((5, 7), (7, 3)),
    ((1, 100), (100, 129)),
    ((13, 97), (97, 61)),          # primes
    ((33, 65), (65, 17)),          # not multiples of the tile
    ((64, 1000), (1000, 70)),      # long K
    ((8,), (8, 20)),               # 1-D A
    ((9, 8), (8,)),                # 1-D B
    ((11,), (11,)),                # both 1-D
    ((2, 1, 9, 8), (3, 8, 20)),    # batch broadcasting both ways
    ((4,), (2, 4, 5)),
    ((3, 5, 4), (4,)),
    ((2, 3, 17, 33), (33, 5)),     # batched A, 2-D B (folded into M)
    ((2, 3, 17, 33), (2, 3, 33, 5)),
]


@pytest.mark.parametrize("const_b", [False, True], ids=["input_b", "const_b"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_onnx(sa, sb, const_b, rng):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    node = helper.make_node("MatMul", ["a", "b"], ["y"])
    if const_b:
        m = onnx_model([node], [("a", np.float32, sa)], [("y", np.float32, None)], initializers=[("b", b)])
        feeds = {"a": a}
    else:
        m = onnx_model([node], [("a", np.float32, sa), ("b", np.float32, sb)], [("y", np.float32, None)])
        feeds = {"a": a, "b": b}
    out = run_ovcl(m, feeds)
    assert_close(out, [np.matmul(a, b)], rtol=1e-4, atol=1e-4)
    assert_close(out, run_ort(m, feeds), rtol=1e-4, atol=1e-4)


def _ir_matmul(sa, sb, ta, tb, const_b, dtype=np.float32, rng=None, fused=None, extra=()):
    a = rng.standard_normal(sa).astype(dtype) if np.dtype(dtype).kind == "f" else rng.integers(-9, 9, sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype) if np.dtype(dtype).kind == "f" else rng.integers(-9, 9, sb).astype(dtype)
    t = ovcl.ir.Type.from_dtype(np.dtype(dtype)).name
    pa = ops.parameter(sa, t, name="a")
    params, feeds = [pa], {"a": a}
    if const_b:
        nb = ops.constant(b)
    else:
        nb = ops.parameter(sb, t, name="b")
        params.append(nb)
        feeds["b"] = b
    ins = [pa, nb]
    for k, (shape, value) in enumerate(extra):
        p = ops.parameter(shape, t, name=f"e{k}")
        params.append(p)
        feeds[f"e{k}"] = value
        ins.append(p)
    node = ops.make("MatMul", ins, transpose_a=ta, transpose_b=tb)
    if fused:
        node.rt_info["fused"] = fused
    out = ovcl.compile_model(Model([node], params), "CPU")(feeds).to_tuple()[0]
    ref = node.evaluate([a, b] + [v for _, v in extra])[0]
    return out, ref


@pytest.mark.parametrize("const_b", [False, True], ids=["input_b", "const_b"])
@pytest.mark.parametrize("ta,tb", [(False, True), (True, False), (True, True)])
@pytest.mark.parametrize("ba,bb,m,k,n", [((), (), 7, 5, 3), ((2,), (2,), 33, 17, 29), ((4,), (), 40, 9, 40)])
def test_matmul_transposes(ba, bb, m, k, n, ta, tb, const_b, rng):
    sa = tuple(ba) + ((k, m) if ta else (m, k))
    sb = tuple(bb) + ((n, k) if tb else (k, n))
    out, ref = _ir_matmul(sa, sb, ta, tb, const_b, rng=rng)
    assert_close([out], [ref], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_matmul_int(dtype, rng):
    out, ref = _ir_matmul((2, 5, 7), (7, 3), False, False, False, dtype=dtype, rng=rng)
    np.testing.assert_array_equal(out, ref)


def test_matmul_f16(rng):
    a = rng.standard_normal((9, 40)).astype(np.float16)
    b = rng.standard_normal((40, 21)).astype(np.float16)
    m = onnx_model([helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", np.float16, a.shape),
                   ("b", np.float16, b.shape)], [("y", np.float16, None)])
    out = run_ovcl(m, {"a": a, "b": b})
    ref = (a.astype(np.float32) @ b.astype(np.float32))
    np.testing.assert_allclose(out[0].astype(np.float32), ref, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("what,const_b", [("bias", True), ("residual", False), ("relu", True), ("gelu", False),
                                           ("all", True), ("all", False)])
@pytest.mark.parametrize("shape", [((2, 13, 24), (24, 37)), ((3, 32), (32, 64))])
def test_matmul_fused_epilogue(shape, what, const_b, rng):
    sa, sb = shape
    out_shape = tuple(sa[:-1]) + (sb[-1],)
    n = sb[-1]
    extra, fused = [], {}
    if what in ("bias", "all"):
        fused["bias"] = 2 + len(extra)
        extra.append(((n,), rng.standard_normal(n).astype(np.float32)))
    if what in ("residual", "all"):
        fused["residual"] = 2 + len(extra)
        extra.append((out_shape, rng.standard_normal(out_shape).astype(np.float32)))
    if what == "relu":
        fused["activation"] = ("Relu", {})
    if what in ("gelu", "all"):
        fused["activation"] = ("Gelu", {"approximation_mode": "ERF"})
    out, ref = _ir_matmul(sa, sb, False, False, const_b, rng=rng, fused=fused, extra=extra)
    a_b = ref  # evaluate applies the same epilogue; check it independently too
    assert_close([out], [a_b], rtol=1e-4, atol=1e-4)


def test_matmul_fused_reference_matches_numpy(rng):
    a = rng.standard_normal((5, 6)).astype(np.float32)
    b = rng.standard_normal((6, 7)).astype(np.float32)
    bias = rng.standard_normal(7).astype(np.float32)
    res = rng.standard_normal((5, 7)).astype(np.float32)
    pa, pb = ops.parameter((5, 6), name="a"), ops.parameter((6, 7), name="b")
    pbias, pres = ops.parameter((7,), name="bias"), ops.parameter((5, 7), name="res")
    node = ops.make("MatMul", [pa, pb, pbias, pres])
    node.rt_info["fused"] = {"bias": 2, "residual": 3, "activation": ("Relu", {})}
    out = ovcl.compile_model(Model([node], [pa, pb, pbias, pres]), "CPU")(
        {"a": a, "b": b, "bias": bias, "res": res}).to_tuple()[0]
    assert_close([out], [np.maximum(a @ b + bias + res, 0)], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("trans", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("alpha,beta,c_shape", [(1.0, 1.0, (7,)), (0.5, 2.0, (5, 7)), (1.0, 1.0, None),
                                                 (2.0, 0.5, (1,))])
def test_gemm(trans, alpha, beta, c_shape, rng):
    ta, tb = trans
    a = rng.standard_normal((6, 5) if ta else (5, 6)).astype(np.float32)
    b = rng.standard_normal((7, 6) if tb else (6, 7)).astype(np.float32)
    inits = [("b", b)]
    names = ["a", "b"]
    if c_shape is not None:
        inits.append(("c", rng.standard_normal(c_shape).astype(np.float32)))
        names.append("c")
    m = onnx_model([helper.make_node("Gemm", names, ["y"], alpha=alpha, beta=beta, transA=ta, transB=tb)],
                   [("a", np.float32, a.shape)], [("y", np.float32, None)], initializers=inits, opset=13)
    assert_close(run_ovcl(m, {"a": a}), run_ort(m, {"a": a}), rtol=1e-4, atol=1e-4)


def test_attention_like(rng):
    """QK^T and ·V with run-time B operands, batched over heads, with softmax between."""
    q = rng.standard_normal((2, 4, 19, 16)).astype(np.float32)
    k = rng.standard_normal((2, 4, 19, 16)).astype(np.float32)
    v = rng.standard_normal((2, 4, 19, 16)).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Softmax", ["s"], ["p"], axis=-1),
             helper.make_node("MatMul", ["p", "v"], ["y"])]
    m = onnx_model(nodes, [(n, np.float32, q.shape) for n in "qkv"], [("y", np.float32, None)])
    feeds = {"q": q, "k": k, "v": v}
    assert_close(run_ovcl(m, feeds), run_ort(m, feeds), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("n", [256, 512])
def test_matmul_square(n, rng):
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    m = onnx_model([helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", np.float32, a.shape)],
                   [("y", np.float32, None)], initializers=[("b", b)])
    assert_close(run_ovcl(m, {"a": a}), [a @ b], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(5, 7), (7, 3)]),
    ("bij,bjk->bik", [(2, 5, 7), (2, 7, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 5, 8), (2, 3, 6, 8)]),
    ("ij->ji", [(4, 6)]),
    ("ij->", [(4, 6)]),
    ("i,i->", [(9,), (9,)]),
    ("i,j->ij", [(4,), (5,)]),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 6)]),
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 6)]),
    ("ijk,ikl", [(3, 4, 5), (3, 5, 2)]),
    ("ii->i", [(5, 5)]),
    ("...ii->...i", [(2, 4, 4)]),
    ("ii", [(6, 6)]),
])
def test_einsum(eq, shapes, rng):
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    names = [f"x{i}" for i in range(len(xs))]
    m = onnx_model([helper.make_node("Einsum", names, ["y"], equation=eq)],
                   [(n, np.float32, x.shape) for n, x in zip(names, xs)], [("y", np.float32, None)], opset=12)
    feeds = dict(zip(names, xs))
    assert_close(run_ovcl(m, feeds), [np.einsum(eq, *xs)], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("act", [("Relu", {}), ("Gelu", {"approximation_mode": "TANH"}), ("Sigmoid", {}),
                                 ("Tanh", {}), ("Clamp", {"min": -0.5, "max": 0.5}), ("Abs", {}),
                                 ("Swish", {})])
def test_matmul_fused_activations(act, rng):
    out, ref = _ir_matmul((3, 8, 16), (16, 32), False, False, True, rng=rng,
                          fused={"bias": 2, "activation": act},
                          extra=[((32,), rng.standard_normal(32).astype(np.float32))])
    assert_close([out], [ref], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sa,sb", [((3, 4, 19, 16), (3, 4, 16, 64)), ((12, 40, 64), (12, 64, 40)),
                                   ((2, 33, 17), (17, 48)), ((5, 3), (3, 24)), ((2, 1, 7, 9), (3, 9, 8))])
def test_matmul_run_time_b_in_place(sa, sb, rng):
    """Run-time B with N a multiple of 8: read in place instead of packed."""
    out, ref = _ir_matmul(sa, sb, False, False, False, rng=rng)
    assert_close([out], [ref], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("tile", [{"TM": 4, "VW": 4, "NV": 1, "U": 4, "L0": 16, "L1": 8, "AVEC": 1},
                                  {"TM": 2, "VW": 8, "NV": 2, "U": 2, "L0": 2, "L1": 4, "AVEC": 1},
                                  {"TM": 5, "VW": 16, "NV": 1, "U": 8, "L0": 1, "L1": 2, "AVEC": 0, "BDIRECT": 0}])
@pytest.mark.parametrize("const_b", [False, True], ids=["input_b", "const_b"])
def test_matmul_other_tiles(tile, const_b, rng):
    """Other tile parameters (the GPU defaults among them) run on the CPU device too."""
    sa, sb = (2, 37, 20), (20, 48)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    pa = ops.parameter(sa, name="a")
    params, feeds = [pa], {"a": a}
    if const_b:
        nb = ops.constant(b)
    else:
        nb = ops.parameter(sb, name="b")
        params.append(nb)
        feeds["b"] = b
    node = ops.make("MatMul", [pa, nb])
    compiled = ovcl.compile_model(Model([node], params), "CPU", {"KERNEL_PARAMS": {"matmul.tiled": tile}})
    out = compiled(feeds).to_tuple()[0]
    assert_close([out], [a @ b], rtol=1e-4, atol=1e-4)
    (launch,) = [l for l in compiled.launches() if l.variant == "matmul.tiled"]
    assert launch.tuning == "forced" and launch.params["VW"] == tile["VW"] and launch.params["U"] == tile["U"]
