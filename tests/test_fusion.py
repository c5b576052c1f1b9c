"""Compile-time fusion keeps results (against ONNX Runtime) while cutting launches."""
import re

import numpy as np
import pytest
from onnx import helper

import ovcl
from ovcl.ir import Model, ops
from ovcl.lowering.elementwise import EPILOGUE_ACTIVATIONS

from helpers import onnx_model, run_ort


def _bn_inits(rng, c, prefix):
    return [(f"{prefix}g", rng.uniform(0.5, 2, c).astype(np.float32)),
            (f"{prefix}b", rng.standard_normal(c).astype(np.float32)),
            (f"{prefix}m", rng.standard_normal(c).astype(np.float32)),
            (f"{prefix}v", rng.uniform(0.5, 2, c).astype(np.float32))]


@pytest.mark.parametrize("group", [1, 4])
@pytest.mark.parametrize("conv_bias", [False, True])
def test_conv_batchnorm_relu_is_one_convolution(group, conv_bias, rng):
    c = 8
    inits = [("w", rng.standard_normal((c, 8 // group, 3, 3)).astype(np.float32))] + _bn_inits(rng, c, "bn")
    conv_in = ["x", "w"]
    if conv_bias:
        inits.append(("cb", rng.standard_normal(c).astype(np.float32)))
        conv_in.append("cb")
    nodes = [helper.make_node("Conv", conv_in, ["c"], pads=[1, 1, 1, 1], group=group),
             helper.make_node("BatchNormalization", ["c", "bng", "bnb", "bnm", "bnv"], ["bn"]),
             helper.make_node("Relu", ["bn"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [1, 8, 9, 11])], [("y", np.float32, None)], initializers=inits)
    x = rng.standard_normal((1, 8, 9, 11)).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert {l.op for l in compiled.launches()} <= {"Convolution", "GroupConvolution"}
    np.testing.assert_allclose(compiled([x])[0], run_ort(m, {"x": x})[0], rtol=1e-4, atol=1e-4)


def test_residual_block_and_standalone_batchnorm(rng):
    """x -> BN -> (conv -> + x) -> relu: a standalone BN becomes a fused scale-shift, the add a residual."""
    c = 4
    inits = [("w", rng.standard_normal((c, c, 1, 1)).astype(np.float32)),
             ("cb", rng.standard_normal(c).astype(np.float32))] + _bn_inits(rng, c, "bn")
    nodes = [helper.make_node("BatchNormalization", ["x", "bng", "bnb", "bnm", "bnv"], ["n"]),
             helper.make_node("Conv", ["n", "w", "cb"], ["c"]),
             helper.make_node("Add", ["c", "n"], ["s"]),
             helper.make_node("Relu", ["s"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [2, c, 5, 7])], [("y", np.float32, None)], initializers=inits)
    x = rng.standard_normal((2, c, 5, 7)).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    ops = [l.op for l in compiled.launches()]
    assert "Add" not in ops and "Relu" not in ops and "BatchNormInference" not in ops, ops
    np.testing.assert_allclose(compiled([x])[0], run_ort(m, {"x": x})[0], rtol=1e-4, atol=1e-4)
    plain = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU", {"OVCL_FUSION": "NO"})
    np.testing.assert_allclose(plain([x])[0], compiled([x])[0], rtol=1e-4, atol=1e-4)


def test_projection_shortcut_block(rng):
    """ResNet's first block of a stage: conv+BN on both branches, then Add and Relu. One convolution takes the Add
    as its residual (only one may), both keep their BN as a bias: two launches, no element-wise one."""
    c, oc = 8, 16
    inits = ([("wa", rng.standard_normal((oc, c, 1, 1)).astype(np.float32)),
              ("wb", rng.standard_normal((oc, c, 1, 1)).astype(np.float32))]
             + _bn_inits(rng, oc, "ba") + _bn_inits(rng, oc, "bb"))
    nodes = [helper.make_node("Conv", ["x", "wa"], ["ca"], strides=[2, 2]),
             helper.make_node("BatchNormalization", ["ca", "bag", "bab", "bam", "bav"], ["na"]),
             helper.make_node("Conv", ["x", "wb"], ["cb"], strides=[2, 2]),
             helper.make_node("BatchNormalization", ["cb", "bbg", "bbb", "bbm", "bbv"], ["nb"]),
             helper.make_node("Add", ["na", "nb"], ["s"]),
             helper.make_node("Relu", ["s"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [1, c, 9, 10])], [("y", np.float32, None)], initializers=inits)
    x = rng.standard_normal((1, c, 9, 10)).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    ops = [l.op for l in compiled.launches()]
    assert ops == ["Convolution", "Convolution"], ops
    np.testing.assert_allclose(compiled([x])[0], run_ort(m, {"x": x})[0], rtol=1e-4, atol=1e-4)


def test_gemm_bias_reshape_residual_is_one_matmul(rng):
    """GPT-2's pattern: Gemm on flattened tokens, Reshape back, residual Add: one MatMul launch."""
    w = rng.standard_normal((16, 24)).astype(np.float32)
    b = rng.standard_normal(24).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["x", "flat"], ["xf"]),
             helper.make_node("Gemm", ["xf", "w", "b"], ["g"]),
             helper.make_node("Reshape", ["g", "back"], ["gb"]),
             helper.make_node("Add", ["gb", "r"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [2, 5, 16]), ("r", np.float32, [2, 5, 24])], [("y", np.float32, None)],
                   initializers=[("w", w), ("b", b), ("flat", np.array([10, 16], np.int64)),
                                 ("back", np.array([2, 5, 24], np.int64))])
    feeds = {"x": rng.standard_normal((2, 5, 16)).astype(np.float32),
             "r": rng.standard_normal((2, 5, 24)).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert [l.op for l in compiled.launches() if l.op != "MatMul"] == [], [l.op for l in compiled.launches()]
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("with_select", [False, True])
def test_attention_pattern_becomes_sdpa(with_select, rng):
    """MatMul(Q, K^T) / sqrt(d) + mask [-> Where(causal, ., -inf)] -> Softmax -> MatMul(V): one fused op."""
    b, h, s, d = 2, 3, 7, 8
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["qk"]),
             helper.make_node("Div", ["qk", "sqrt_d"], ["scaled"]),
             helper.make_node("Add", ["scaled", "mask"], ["masked"])]
    last = "masked"
    inits = [("sqrt_d", np.float32(np.sqrt(d)))]
    if with_select:
        nodes.append(helper.make_node("Where", ["causal", "masked", "neg"], ["sel"]))
        inits += [("causal", np.tril(np.ones((s, s), bool))[None, None]), ("neg", np.float32(-1e9))]
        last = "sel"
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1), helper.make_node("MatMul", ["p", "v"], ["y"])]
    m = onnx_model(nodes, [("q", np.float32, [b, h, s, d]), ("k", np.float32, [b, h, s, d]),
                           ("v", np.float32, [b, h, s, d]), ("mask", np.float32, [b, 1, 1, s])],
                   [("y", np.float32, None)], initializers=inits)
    feeds = {n: rng.standard_normal((b, h, s, d)).astype(np.float32) for n in "qkv"}
    feeds["mask"] = np.where(rng.random((b, 1, 1, s)) < 0.3, -1e4, 0).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert "FusedSDPA" in {l.op for l in compiled.launches()}          # reading K through its Transpose
    assert not {"Softmax", "MatMul", "Transpose"} & {l.op for l in compiled.launches()}
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n", [12, 32])     # 32: interior tiles apply it to whole vectors
@pytest.mark.parametrize("act", sorted(EPILOGUE_ACTIVATIONS))
def test_every_epilogue_activation_fuses_and_computes(act, n, rng):
    """Each activation fusion may put in an epilogue has a kernel expression, and the fused MatMul computes it
    (against the ops' own NumPy evaluation, unfused), on vectors and per element."""
    a = (rng.standard_normal((9, 16)) * 0.5).astype(np.float32)
    b = rng.standard_normal((16, n)).astype(np.float32)
    p = ops.parameter(a.shape, name="a")
    mm = ops.make("MatMul", [p, ops.constant(b)])
    attrs = {"min": -0.5, "max": 0.7} if act == "Clamp" else {}
    y = ops.make(act, [mm], **attrs)
    cm = ovcl.compile_model(Model([y], [p]), "CPU")
    (launch,) = cm.launches()
    assert launch.nodes == [mm.name, y.name]
    ref = y.evaluate([mm.evaluate([a, b])[0]])[0]
    np.testing.assert_allclose(cm(a)[0], ref, rtol=1e-4, atol=1e-5)


def _dense_layer(rng, n, c, hw, oc, relu=True, gamma=True):
    """DenseNet's layer as the light_densenet121 graph spells it: BatchNormalization, then gamma (Mul) and beta
    (Add) by per-channel constants, Relu, 1x1 Conv -> BN -> Mul -> Add -> Relu -> 3x3 Conv."""
    inits = _bn_inits(rng, c, "bn1") + _bn_inits(rng, oc, "bn2") + [
        ("w1", (rng.standard_normal((oc, c, 1, 1)) / np.sqrt(c)).astype(np.float32)),
        ("w3", (rng.standard_normal((8, oc, 3, 3)) / np.sqrt(9 * oc)).astype(np.float32)),
        ("g1", rng.uniform(0.5, 1.5, (c, 1, 1)).astype(np.float32)), ("b1", rng.standard_normal((c, 1, 1)).astype(np.float32)),
        ("g2", rng.uniform(0.5, 1.5, (oc, 1, 1)).astype(np.float32)), ("b2", rng.standard_normal((oc, 1, 1)).astype(np.float32))]
    pre = "p" if relu else "a1"
    nodes = [helper.make_node("BatchNormalization", ["x", "bn1g", "bn1b", "bn1m", "bn1v"], ["n1"])]
    nodes += ([helper.make_node("Mul", ["n1", "g1"], ["m1"]), helper.make_node("Add", ["m1", "b1"], ["a1"])] if gamma
              else [helper.make_node("Identity", ["n1"], ["a1"])])
    nodes += [helper.make_node("Relu", ["a1"], ["p"])] if relu else []
    nodes += [helper.make_node("Conv", [pre, "w1"], ["c1"]),
              helper.make_node("BatchNormalization", ["c1", "bn2g", "bn2b", "bn2m", "bn2v"], ["n2"]),
              helper.make_node("Mul", ["n2", "g2"], ["m2"]), helper.make_node("Add", ["m2", "b2"], ["a2"]),
              helper.make_node("Relu", ["a2"], ["r2"]),
              helper.make_node("Conv", ["r2", "w3"], ["y"], pads=[1, 1, 1, 1])]
    m = onnx_model(nodes, [("x", np.float32, [n, c, hw, hw])], [("y", np.float32, None)], initializers=inits)
    return m, {"x": rng.standard_normal((n, c, hw, hw)).astype(np.float32)}


@pytest.mark.parametrize("n,c,hw,oc,relu,gamma", [
    (1, 64, 8, 32, True, True),       # DenseNet's layer
    (2, 37, 5, 19, True, True),       # batch 2
    (1, 32, 6, 16, False, True),      # no activation before the 1x1 convolution
    (1, 24, 7, 16, True, False)])     # BatchNorm alone before it
def test_dense_layer_folds_every_scale_after_a_convolution(n, c, hw, oc, relu, gamma, rng):
    """The BatchNorm after the 1x1 convolution and the gamma after that BatchNorm both fold into its weights
    (two passes), beta and the shift into its bias, the Relu into its epilogue; the pre-activation BatchNorm
    ahead of it stays one element-wise launch. Against ONNX Runtime and the unfused plan."""
    m, feeds = _dense_layer(rng, n, c, hw, oc, relu, gamma)
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    ops = [l.op for l in cm.launches()]
    assert ops[0] == "FusedEltwise" and set(ops[1:]) == {"Convolution"}, ops
    ref = run_ort(m, feeds)[0]
    np.testing.assert_allclose(cm(feeds)[0], ref, rtol=1e-4, atol=1e-4)
    plain = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU", {"OVCL_FUSION": "NO"})
    np.testing.assert_allclose(plain(feeds)[0], ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,square,root,gamma", [
    ((2, 5, 64), "Mul", "Sqrt", (64,)),                 # transformers' RMSNorm: float8 body
    ((3, 37), "Pow", "Sqrt", (1, 37)),                  # a row that is no whole number of vectors
    ((2, 4, 3, 16), "Mul", "Pow", None),                # per head (Qwen3's q/k norms), no gamma
])
def test_rms_norm_decomposition_is_one_launch(shape, square, root, gamma, rng):
    """x * 1/sqrt(mean(x * x over the last axis) + eps) [* gamma]: one RMSNorm launch, as NumPy."""
    eps = 1e-5
    nodes = [helper.make_node("Mul", ["x", "x"], ["sq"]) if square == "Mul" else
             helper.make_node("Pow", ["x", "two"], ["sq"]),
             helper.make_node("ReduceMean", ["sq", "axes"], ["ms"], keepdims=1),
             helper.make_node("Add", ["ms", "eps"], ["t"])]
    if root == "Sqrt":
        nodes += [helper.make_node("Sqrt", ["t"], ["rt"]), helper.make_node("Div", ["one", "rt"], ["inv"])]
    else:
        nodes += [helper.make_node("Pow", ["t", "minus_half"], ["inv"])]
    nodes.append(helper.make_node("Mul", ["x", "inv"], ["n" if gamma else "y"]))
    inits = [("two", np.float32(2)), ("axes", np.array([-1], np.int64)), ("eps", np.float32(eps)),
             ("one", np.float32(1)), ("minus_half", np.float32(-0.5))]
    g = rng.uniform(0.5, 1.5, gamma).astype(np.float32) if gamma else np.float32(1)
    if gamma:
        nodes.append(helper.make_node("Mul", ["g", "n"], ["y"]))
        inits.append(("g", g))
    m = onnx_model(nodes, [("x", np.float32, list(shape))], [("y", np.float32, None)], opset=18, initializers=inits)
    x = rng.standard_normal(shape).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert [l.op for l in compiled.launches()] == ["RMSNorm"]
    expected = x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + eps) * g
    np.testing.assert_allclose(compiled([x])[0], expected, rtol=1e-5, atol=1e-6)


def test_mean_square_over_another_axis_stays_unfused(rng):
    nodes = [helper.make_node("Mul", ["x", "x"], ["sq"]),
             helper.make_node("ReduceMean", ["sq", "axes"], ["ms"], keepdims=1),
             helper.make_node("Add", ["ms", "eps"], ["t"]), helper.make_node("Sqrt", ["t"], ["rt"]),
             helper.make_node("Div", ["x", "rt"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [3, 8, 5])], [("y", np.float32, None)], opset=18,
                   initializers=[("axes", np.array([1], np.int64)), ("eps", np.float32(1e-5))])
    x = rng.standard_normal((3, 8, 5)).astype(np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert "RMSNorm" not in {l.op for l in compiled.launches()}
    np.testing.assert_allclose(compiled([x])[0], run_ort(m, {"x": x})[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("head,stop", [(16, 2 ** 63 - 1), (12, 12), (64, None)])
def test_rotary_rotate_half_is_read_through(head, stop, rng):
    """q * cos + Concat(-q[..., h:], q[..., :h]) * sin (transformers' apply_rotary_pos_emb): one element-wise
    launch reading q at rotated positions, as NumPy. Heads of 12 take the scalar path (6 is no vector)."""
    h = head // 2
    stop = stop or head
    nodes = [helper.make_node("Slice", ["q", "h", "stop", "last"], ["hi"]),
             helper.make_node("Neg", ["hi"], ["neg"]),
             helper.make_node("Slice", ["q", "zero", "h", "last"], ["lo"]),
             helper.make_node("Concat", ["neg", "lo"], ["rot"], axis=-1),
             helper.make_node("Mul", ["q", "cos"], ["qc"]), helper.make_node("Mul", ["rot", "sin"], ["rs"]),
             helper.make_node("Add", ["qc", "rs"], ["y"])]
    shape = [2, 3, 5, head]
    m = onnx_model(nodes, [("q", np.float32, shape), ("cos", np.float32, [1, 1, 5, head]),
                           ("sin", np.float32, [1, 1, 5, head])], [("y", np.float32, None)],
                   initializers=[("h", np.array([h], np.int64)), ("stop", np.array([stop], np.int64)),
                                 ("zero", np.array([0], np.int64)), ("last", np.array([-1], np.int64))])
    angles = rng.uniform(0, 6, (1, 1, 5, h)).astype(np.float32)
    feeds = {"q": rng.standard_normal(shape).astype(np.float32),
             "cos": np.cos(np.concatenate([angles, angles], -1)), "sin": np.sin(np.concatenate([angles, angles], -1))}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert [l.op for l in compiled.launches()] == ["FusedEltwise"]
    q = feeds["q"]
    expected = q * feeds["cos"] + np.concatenate([-q[..., h:], q[..., :h]], -1) * feeds["sin"]
    np.testing.assert_allclose(compiled(feeds)[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("L,S", [(5, 7), (1, 12)])
def test_attention_reads_heads_through_their_transposes(L, S, rng):
    """BERT's and GPT-2's layout: query, key and value [batch, length, heads * size] split into heads by
    Reshape and Transpose (the key straight to [b, h, size, length]); the attention reads all three where they
    lie (no Transpose launch before it), cross-attention lengths and a mask, as ORT."""
    b, heads, d = 2, 4, 8
    nodes = [helper.make_node("Reshape", ["q", "q_split"], ["q4"]),
             helper.make_node("Transpose", ["q4"], ["qh"], perm=[0, 2, 1, 3]),
             helper.make_node("Reshape", ["k", "kv_split"], ["k4"]),
             helper.make_node("Transpose", ["k4"], ["kt"], perm=[0, 2, 3, 1]),
             helper.make_node("Reshape", ["v", "kv_split"], ["v4"]),
             helper.make_node("Transpose", ["v4"], ["vh"], perm=[0, 2, 1, 3]),
             helper.make_node("MatMul", ["qh", "kt"], ["qk"]),
             helper.make_node("Mul", ["qk", "scale"], ["scaled"]),
             helper.make_node("Add", ["scaled", "mask"], ["masked"]),
             helper.make_node("Softmax", ["masked"], ["p"], axis=-1),
             helper.make_node("MatMul", ["p", "vh"], ["o"]),
             helper.make_node("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
             helper.make_node("Reshape", ["ot", "merge"], ["y"])]
    inits = [("q_split", np.array([b, L, heads, d], np.int64)), ("kv_split", np.array([b, S, heads, d], np.int64)),
             ("scale", np.float32(1 / np.sqrt(d))), ("merge", np.array([b, L, heads * d], np.int64))]
    m = onnx_model(nodes, [("q", np.float32, [b, L, heads * d]), ("k", np.float32, [b, S, heads * d]),
                           ("v", np.float32, [b, S, heads * d]), ("mask", np.float32, [b, 1, 1, S])],
                   [("y", np.float32, None)], initializers=inits)
    feeds = {"q": rng.standard_normal((b, L, heads * d)).astype(np.float32),
             "k": rng.standard_normal((b, S, heads * d)).astype(np.float32),
             "v": rng.standard_normal((b, S, heads * d)).astype(np.float32),
             "mask": np.where(rng.random((b, 1, 1, S)) < 0.3, -1e4, 0).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    ops = [l.op for l in compiled.launches()]
    assert ops[0] == "FusedSDPA" and ops.count("Transpose") <= 1, ops           # the output's may remain
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("width", [24, 20])
def test_attention_reads_fused_qkv_parts_where_they_lie(width, rng):
    """GPT-2's c_attn: one projection split in three along the last axis, each part Reshaped into heads and
    Transposed; the attention reads q, k and v inside the projection's output (no Split or Transpose launch),
    causal mask, as ORT. A head size of 5 (width 20) takes V a column at a time (rows not vector-aligned)."""
    b, L, heads = 2, 6, 4
    d = width // heads
    nodes = [helper.make_node("Split", ["qkv", "parts"], ["q", "k", "v"], axis=-1)]
    for name, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        nodes += [helper.make_node("Reshape", [name, "heads"], [name + "4"]),
                  helper.make_node("Transpose", [name + "4"], [name + "h"], perm=perm)]
    nodes += [helper.make_node("MatMul", ["qh", "kh"], ["qk"]), helper.make_node("Mul", ["qk", "scale"], ["s"]),
              helper.make_node("Where", ["causal", "s", "neg"], ["masked"]),
              helper.make_node("Softmax", ["masked"], ["p"], axis=-1), helper.make_node("MatMul", ["p", "vh"], ["y"])]
    inits = [("parts", np.array([width] * 3, np.int64)), ("heads", np.array([b, L, heads, d], np.int64)),
             ("scale", np.float32(1 / np.sqrt(d))), ("causal", np.tril(np.ones((L, L), bool))[None, None]),
             ("neg", np.float32(-1e9))]
    m = onnx_model(nodes, [("qkv", np.float32, [b, L, 3 * width])], [("y", np.float32, None)], opset=13,
                   initializers=inits)
    feeds = {"qkv": rng.standard_normal((b, L, 3 * width)).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    ops = [l.op for l in compiled.launches()]
    assert "FusedSDPA" in ops and not {"Split", "VariadicSplit", "Transpose", "Reshape"} & set(ops), ops
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["Sigmoid", "Tanh", "HardSwish", "Mish", "Softplus", "Gelu"])
@pytest.mark.parametrize("kind", ["direct", "depthwise"])
def test_conv_epilogue_math_on_vectors(kind, act, rng):
    """Activations written with the prelude's math helpers (exp, tanh, erf...) end a direct or depthwise
    convolution's epilogue on whole float vectors (their vector forms) and compute right (ONNX Runtime)."""
    c = 8 if kind == "direct" else 16
    ws = (16, 8, 5, 5) if kind == "direct" else (16, 1, 3, 3)
    attrs = {"kernel_shape": list(ws[2:]), "pads": [ws[2] // 2] * 4, "group": 1 if kind == "direct" else 16}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], **attrs), helper.make_node(act, ["c"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [1, c, 16, 16])], [("y", np.float32, None)], opset=20,
                   initializers=[("w", (rng.standard_normal(ws) * 0.2).astype(np.float32)),
                                 ("b", rng.standard_normal(16).astype(np.float32))])
    feeds = {"x": rng.standard_normal((1, c, 16, 16)).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    (launch,) = [l for l in compiled.launches() if l.variant == f"conv.{kind}"]     # (after a padding copy)
    assert act in "".join(launch.nodes) and len(compiled.launches()) <= 2, launch.nodes
    if ovcl.Core().get_property("CPU", "PREFERRED_VECTOR_WIDTH_FLOAT") >= 8:
        assert re.search(r"ovcl_(exp|tanh|erf|fmin|fmax)(8|16)\(", launch.source), launch.source
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


def _conv_residual_act(act, x_shape, w_shape, rng, **attrs):
    """Conv (+ bias) + a residual input + ``act``, as an ONNX model and seeded inputs: the epilogue a
    convolution kernel fuses whole."""
    oc, out = w_shape[0], [x_shape[0], w_shape[0], *x_shape[2:]]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], **attrs), helper.make_node("Add", ["c", "r"], ["s"]),
             helper.make_node(act, ["s"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, list(x_shape)), ("r", np.float32, out)], [("y", np.float32, None)],
                   opset=20, initializers=[("w", (rng.standard_normal(w_shape) * 0.3 / np.sqrt(np.prod(w_shape[2:])))
                                            .astype(np.float32)),
                                           ("b", rng.standard_normal(oc).astype(np.float32))])
    feeds = {"x": rng.standard_normal(x_shape).astype(np.float32), "r": rng.standard_normal(out).astype(np.float32)}
    return m, feeds


@pytest.mark.parametrize("act", ["Sigmoid", "Mish", "Softplus"])
def test_winograd_output_transform_epilogue(act, rng):
    """Winograd's output transform works on 8 output channels at a time: 20 channels (a partial block of 4),
    two images of 9 x 13 outputs (a last tile row and column of one pixel), with the bias, a residual and an
    activation fused, against ONNX Runtime."""
    m, feeds = _conv_residual_act(act, (2, 32, 9, 13), (20, 32, 3, 3), rng, pads=[1, 1, 1, 1])
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    (launch,) = [l for l in compiled.launches() if l.kernel.startswith("conv_winograd_out")]
    assert act in "".join(launch.nodes) and "Add" in "".join(launch.nodes), launch.nodes
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["Sigmoid", "Tanh", "Elu", "HardSwish", "Mish", "Softplus", "Gelu"])
@pytest.mark.parametrize("vw", [4, 16])
def test_matmul_epilogue_at_every_vector_width(vw, act, rng):
    """The tiled GEMM's epilogue (bias and an activation, on vectors where the activation has vector forms) at
    vector widths the host's defaults may not pick: 16 lanes are an AVX-512 target's width, whose float16
    math LLVM once failed to select and whose builtin calls crashed PoCL on a Zen 4. Against ONNX Runtime, 5
    rows (a border row block) by 40 columns (a border panel)."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["c"]),
             helper.make_node(act, ["c"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, [5, 24])], [("y", np.float32, None)], opset=20,
                   initializers=[("w", (rng.standard_normal((24, 40)) * 0.3).astype(np.float32)),
                                 ("b", rng.standard_normal(40).astype(np.float32))])
    feeds = {"x": rng.standard_normal((5, 24)).astype(np.float32)}
    params = {"TM": 4, "VW": vw, "NV": 2 if vw == 16 else 3}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU",
                                  {"KERNEL_PARAMS": {"matmul.tiled": params}})
    (launch,) = compiled.launches()
    assert launch.params["VW"] == vw and act in "".join(launch.nodes), (launch.params, launch.nodes)
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["Sigmoid", "Mish"])
@pytest.mark.parametrize("tm", [1, 2, 3, 4, 8])
def test_pointwise_conv_epilogue_at_every_tile_height(tm, act, rng):
    """A 1x1 convolution on the GEMM stores its tile transposed (NCHW): interior tiles as float<TM> columns of
    pixels with the bias, residual and activation on them, TM 1 and 3 element by element. 35 pixels (a border
    row block) by 40 output channels (a border panel), against ONNX Runtime."""
    m, feeds = _conv_residual_act(act, (1, 24, 5, 7), (40, 24, 1, 1), rng)
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU",
                                  {"KERNEL_PARAMS": {"matmul.tiled": {"TM": tm, "VW": 8, "NV": 3}}})
    (launch,) = compiled.launches()
    assert launch.params["TM"] == tm and act in "".join(launch.nodes), (launch.params, launch.nodes)
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


def _gelu_nodes(form: str) -> tuple[list, list]:
    """GELU of "h" written out as exporters write it, into "y"; with the constants it needs."""
    c = lambda name, v: (name, np.array(v, np.float32))    # noqa: E731
    if form.startswith("erf"):
        inner = ([helper.make_node("Div", ["h", "sqrt2"], ["d"])] if form != "erf_mul"
                 else [helper.make_node("Mul", ["h", "rsqrt2"], ["d"])])
        head = inner + [helper.make_node("Erf", ["d"], ["e"]), helper.make_node("Add", ["one", "e"], ["p"])]
        inits = [c("sqrt2", 1.4142135), c("rsqrt2", 0.70710677), c("one", 1.0), c("half", 0.5)]
    else:
        cube = ([helper.make_node("Pow", ["h", "three"], ["h3"])] if form == "tanh_pow" else
                [helper.make_node("Mul", ["h", "h"], ["h2"]), helper.make_node("Mul", ["h2", "h"], ["h3"])])
        head = cube + [helper.make_node("Mul", ["coef", "h3"], ["k"]), helper.make_node("Add", ["h", "k"], ["u"]),
                       helper.make_node("Mul", ["u", "s2pi"], ["v"]), helper.make_node("Tanh", ["v"], ["e"]),
                       helper.make_node("Add", ["e", "one"], ["p"])]
        inits = [c("three", 3.0), c("coef", 0.044715), c("s2pi", 0.7978846), c("one", 1.0), c("half", 0.5)]
    if form in ("erf", "tanh_pow", "erf_mul"):      # (x * (1 + f)) * 0.5
        tail = [helper.make_node("Mul", ["h", "p"], ["q"]), helper.make_node("Mul", ["q", "half"], ["y"])]
    elif form == "erf_half_first":                  # (0.5 * x) * (1 + f)
        tail = [helper.make_node("Mul", ["half", "h"], ["q"]), helper.make_node("Mul", ["q", "p"], ["y"])]
    else:                                           # x * ((1 + f) * 0.5)
        tail = [helper.make_node("Mul", ["p", "half"], ["q"]), helper.make_node("Mul", ["h", "q"], ["y"])]
    return head + tail, inits


@pytest.mark.parametrize("form", ["erf", "erf_mul", "erf_half_first", "tanh_pow", "tanh_cubed"])
def test_gelu_written_out_ends_the_matmul(form, rng):
    """GELU as PyTorch exports write it (BERT's erf form, GPT-2's tanh form: the products in several orders)
    after a Gemm on flattened tokens and a Reshape back: one MatMul launch, whose epilogue computes the
    GELU on vectors; against ONNX Runtime."""
    w = (rng.standard_normal((16, 32)) * 0.3).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    gelu, inits = _gelu_nodes(form)
    nodes = [helper.make_node("Reshape", ["x", "flat"], ["xf"]), helper.make_node("Gemm", ["xf", "w", "b"], ["g"]),
             helper.make_node("Reshape", ["g", "back"], ["h"])] + gelu
    m = onnx_model(nodes, [("x", np.float32, [2, 5, 16])], [("y", np.float32, None)], opset=13,
                   initializers=[("w", w), ("b", b), ("flat", np.array([10, 16], np.int64)),
                                 ("back", np.array([2, 5, 32], np.int64))] + inits)
    feeds = {"x": rng.standard_normal((2, 5, 16)).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert [l.op for l in compiled.launches()] == ["MatMul"], [l.op for l in compiled.launches()]
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-5, atol=1e-6)


def test_gelu_parts_read_elsewhere_stay_unfused(rng):
    """Where an intermediate of the written-out GELU has another reader, nothing is replaced: same result."""
    gelu, inits = _gelu_nodes("erf")
    nodes = gelu + [helper.make_node("Add", ["e", "h"], ["z"])]        # erf's output read again
    m = onnx_model(nodes, [("h", np.float32, [4, 16])], [("y", np.float32, None), ("z", np.float32, None)],
                   opset=13, initializers=inits)
    feeds = {"h": rng.standard_normal((4, 16)).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert not any("Gelu" in l.op for l in compiled.launches())
    for got, ref in zip(compiled(feeds).to_tuple(), run_ort(m, feeds)):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
