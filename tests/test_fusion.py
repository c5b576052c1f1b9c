"""Compile-time fusion keeps results (against ONNX Runtime) while cutting launches."""
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
    assert "ScaledDotProductAttention" in {l.op for l in compiled.launches()}
    assert not {"Softmax", "MatMul"} & {l.op for l in compiled.launches()}
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", sorted(EPILOGUE_ACTIVATIONS))
def test_every_epilogue_activation_fuses_and_computes(act, rng):
    """Each activation fusion may put in an epilogue has a kernel expression, and the fused MatMul computes it
    (against the ops' own NumPy evaluation, unfused)."""
    a = rng.standard_normal((9, 16)).astype(np.float32)
    b = rng.standard_normal((16, 12)).astype(np.float32)
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
