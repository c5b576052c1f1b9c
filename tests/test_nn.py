"""Convolution, pooling and normalisation ops against ONNX Runtime (and the IR's NumPy references), on random
inputs with edge sizes: 1, odd and prime sizes, strides, pads, groups, depthwise, dilations, 1-D and 3-D,
ceil mode, MaxPool indices. Float results are compared with rtol 1e-4 / atol 1e-4 (sums of up to a few
hundred products in a different order)."""
import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, onnx_model, run_ort, run_ovcl

RTOL, ATOL = 1e-4, 1e-4


def _check(m, feeds):
    assert_close(run_ovcl(m, feeds), run_ort(m, feeds), rtol=RTOL, atol=ATOL)


def _conv_model(op, xs, ws, rng, bias=True, weights_input=False, **attrs):
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ws) / np.sqrt(np.prod(ws[1:]))).astype(np.float32)
    nb = ws[0] if op == "Conv" else ws[1] * attrs.get("group", 1)
    b = rng.standard_normal(nb).astype(np.float32)
    ins = ["x", "w"] + (["b"] if bias else [])
    inputs = [("x", np.float32, xs)]
    inits = [("b", b)] if bias else []
    feeds = {"x": x}
    if weights_input:
        inputs.append(("w", np.float32, ws))
        feeds["w"] = w
    else:
        inits.append(("w", w))
    m = onnx_model([helper.make_node(op, ins, ["y"], **attrs)], inputs, [("y", np.float32, None)],
                   initializers=inits)
    return m, feeds


CONV_CASES = [
    ((1, 3, 7, 9), (5, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ((2, 16, 10, 10), (8, 16, 1, 1), {}),                                         # 1x1: GEMM path
    ((1, 16, 13, 11), (19, 16, 1, 1), {}),                                        # prime OC, odd HW tail
    ((1, 5, 1, 1), (3, 5, 1, 1), {}),                                             # 1x1 spatial
    ((1, 8, 9, 9), (16, 8, 1, 1), dict(strides=[2, 2])),                          # strided 1x1
    ((1, 8, 12, 16), (16, 8, 1, 1), dict(strides=[2, 2])),                        # stride-2 vector loads, unpadded
    ((1, 4, 11, 20), (8, 4, 3, 3), dict(strides=[2, 2])),                         # ... with a tail tile
    ((1, 16, 9, 11), (24, 16, 1, 1), dict(strides=[2, 2])),                       # strided 1x1: subsample + GEMM
    ((2, 16, 7, 10), (8, 16, 1, 1), dict(strides=[2, 3])),
    ((2, 8, 15, 13), (8, 8, 3, 3), dict(strides=[2, 2], dilations=[2, 1], pads=[1, 2, 0, 1])),  # im2col + GEMM
    ((1, 20, 11, 9), (8, 20, 3, 3), dict(strides=[2, 2], pads=[1, 0, 2, 1])),    # im2col: blocks of 15 + 5 channels
    ((1, 3, 15, 17), (4, 3, 7, 7), dict(strides=[2, 2], pads=[3, 3, 3, 3])),     # im2col: small stem, both borders
    ((1, 6, 13, 11), (8, 3, 3, 3), dict(group=2, strides=[2, 2], pads=[0, 1, 1, 2])),
    ((1, 12, 7, 7), (6, 4, 3, 3), dict(group=3, pads=[1, 1, 1, 1])),              # OC/G = 2
    ((1, 8, 13, 11), (8, 1, 3, 3), dict(group=8, dilations=[2, 2], pads=[2, 2, 2, 2])),   # depthwise
    ((2, 32, 17, 19), (32, 1, 3, 3), dict(group=32, strides=[2, 2], pads=[1, 1, 1, 1])),  # depthwise s2
    ((1, 24, 14, 14), (24, 1, 3, 3), dict(group=24, pads=[1, 1, 1, 1])),   # depthwise: border tiles masked
    ((1, 16, 7, 7), (16, 1, 3, 3), dict(group=16, strides=[2, 2], pads=[1, 1, 1, 1])),
    ((1, 4, 17), (5, 4, 3), dict(strides=[2])),                                   # 1-D
    ((1, 4, 5, 6, 7), (3, 4, 3, 2, 3), dict(pads=[1, 0, 1, 1, 1, 0])),            # 3-D
    ((1, 3, 7, 9), (5, 3, 3, 3), dict(auto_pad="SAME_UPPER", strides=[2, 2])),
    ((1, 3, 7, 9), (5, 3, 3, 3), dict(auto_pad="SAME_LOWER", strides=[2, 2])),
    ((1, 3, 7, 9), (5, 3, 3, 3), dict(auto_pad="VALID")),
    pytest.param((1, 3, 23, 29), (7, 3, 7, 7), dict(strides=[2, 2], pads=[3, 3, 3, 3]),   # ResNet stem-like
                 marks=pytest.mark.slow),
    ((1, 2, 11, 13), (4, 2, 3, 5), dict(dilations=[2, 3], pads=[1, 2, 3, 0])),
]


@pytest.mark.parametrize("xs,ws,attrs", CONV_CASES)
def test_conv(xs, ws, attrs, rng):
    _check(*_conv_model("Conv", xs, ws, rng, **attrs))


# 3x3 stride-1 convolutions with >= 32 input and >= 16 output channels take Winograd F(2x2, 3x3)
# (ovcl/lowering/winograd.py): odd and even output sizes (partial tiles), asymmetric and no padding, batch 2, a
# 1-pixel-wide output
WINOGRAD_CASES = [
    ((1, 32, 9, 10), (24, 32, 3, 3), dict(pads=[1, 1, 1, 1])),
    ((2, 32, 7, 7), (16, 32, 3, 3), dict(pads=[1, 1, 1, 1])),
    ((1, 32, 12, 5), (17, 32, 3, 3), dict(pads=[0, 2, 1, 0])),
    ((1, 36, 6, 3), (16, 36, 3, 3), {}),
    ((1, 32, 30, 31), (16, 32, 3, 3), dict(auto_pad="SAME_UPPER")),
]


@pytest.mark.parametrize("xs,ws,attrs", WINOGRAD_CASES)
def test_conv_winograd(xs, ws, attrs, rng):
    m, feeds = _conv_model("Conv", xs, ws, rng, **attrs)
    import ovcl
    compiled = ovcl.Core().compile_model(m.SerializeToString(), "CPU")
    assert any(l.kernel.startswith("conv_winograd_in") for l in compiled.launches())
    _check(m, feeds)


@pytest.mark.parametrize("xs,ws,attrs", [CONV_CASES[0], CONV_CASES[5], CONV_CASES[9]])
def test_conv_runtime_weights(xs, ws, attrs, rng):
    """Weights that are not constants take the generic kernel."""
    _check(*_conv_model("Conv", xs, ws, rng, bias=False, weights_input=True, **attrs))


DECONV_CASES = [
    ((1, 4, 5, 6), (4, 3, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
    ((1, 3, 7, 5), (3, 2, 2, 2), dict(strides=[2, 2])),
    ((1, 4, 6, 6), (4, 2, 3, 3), dict(group=2, strides=[2, 1], pads=[1, 0, 0, 1])),
    ((1, 6, 5, 5), (6, 1, 4, 4), dict(group=6, strides=[2, 2], pads=[1, 1, 1, 1])),   # depthwise upsampling
    ((1, 3, 9), (3, 4, 3), dict(strides=[3], dilations=[2])),                          # 1-D
    ((1, 2, 3, 4, 5), (2, 3, 3, 3, 2), dict(strides=[1, 2, 2], pads=[1, 0, 1, 0, 1, 0])),   # 3-D
    ((1, 3, 5, 5), (3, 2, 3, 3), dict(strides=[2, 2], output_shape=[10, 10])),
    ((1, 3, 5, 4), (3, 2, 3, 3), dict(strides=[2, 2], auto_pad="SAME_UPPER")),
    ((1, 2, 4, 4), (2, 2, 5, 5), dict(pads=[3, 3, 3, 3])),                             # pads beyond k-1
]


@pytest.mark.parametrize("xs,ws,attrs", DECONV_CASES)
def test_conv_transpose(xs, ws, attrs, rng):
    _check(*_conv_model("ConvTranspose", xs, ws, rng, **attrs))


def test_conv_transpose_runtime_weights(rng):
    xs, ws, attrs = DECONV_CASES[2]
    _check(*_conv_model("ConvTranspose", xs, ws, rng, bias=False, weights_input=True, **attrs))


def _pool_model(op, xs, rng, outputs=("y",), opset=17, **attrs):
    x = rng.standard_normal(xs).astype(np.float32)
    outs = [("y", np.float32, None)] + ([("i", np.int64, None)] if "i" in outputs else [])
    m = onnx_model([helper.make_node(op, ["x"], list(outputs), **attrs)], [("x", np.float32, xs)], outs,
                   opset=opset)
    return m, {"x": x}


MAXPOOL_CASES = [
    ((1, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((2, 5, 13, 11), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ((1, 2, 10, 7), dict(kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1)),
    ((1, 2, 6, 6), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)),
    ((1, 2, 11, 9), dict(kernel_shape=[2, 3], dilations=[2, 2], pads=[1, 0, 1, 2])),
    ((1, 3, 17), dict(kernel_shape=[4], strides=[3], pads=[1, 2])),
    ((1, 2, 5, 6, 7), dict(kernel_shape=[2, 3, 2], strides=[2, 1, 2])),
    ((1, 3, 7, 9), dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")),
    ((1, 1, 1, 1), dict(kernel_shape=[1, 1])),
]


@pytest.mark.parametrize("xs,attrs", MAXPOOL_CASES)
def test_maxpool(xs, attrs, rng):
    _check(*_pool_model("MaxPool", xs, rng, outputs=("y", "i"), **attrs))


ROW_MAXPOOL_CASES = [c for c in MAXPOOL_CASES if len(c[0]) == 4] + [
    ((1, 4, 33, 40), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),   # full + partial tiles
    ((2, 3, 20, 37), dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])),   # Inception's 3x3 s1
    ((1, 3, 55, 55), dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),         # SqueezeNet's
    ((1, 2, 19, 45), dict(kernel_shape=[2, 3], strides=[1, 3], dilations=[2, 2], pads=[0, 2, 1, 0])),
    ((1, 2, 9, 30), dict(kernel_shape=[5, 5], strides=[1, 1], pads=[2, 2, 2, 2])),
]


@pytest.mark.parametrize("prefer_vectors", [None, 8], ids=["device", "vectors"])
@pytest.mark.parametrize("xs,attrs", ROW_MAXPOOL_CASES)
def test_maxpool_values_only(xs, attrs, prefer_vectors, rng, monkeypatch):
    """Without an Indices output, 2-D f32 max pooling runs as float8 row segments where the device prefers
    float vectors (interior tiles, tiles across the padding, the last partial tile of a row); "vectors" makes
    the device say it prefers them, so that every device runs that kernel too (Oclgrind's prefers width 1)."""
    import dataclasses
    import ovcl
    from ovcl.device import get_device
    device = get_device("CPU")
    if prefer_vectors:
        monkeypatch.setattr(device, "caps", dataclasses.replace(device.caps, preferred_vector_width_float=8))
    m, feeds = _pool_model("MaxPool", xs, rng, **attrs)
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert_close(list(cm(feeds).to_tuple()), run_ort(m, feeds), rtol=RTOL, atol=ATOL)
    rows = device.caps.preferred_vector_width_float >= 4
    assert [l.template for l in cm.launches()] == ["pool_max_rows.cl.mako" if rows else "pool.cl.mako"]


def test_maxpool_rows_share_a_kernel(rng, monkeypatch):
    """Two max pools of one window over planes of other sizes and pads run one float8-row kernel (sizes are its
    arguments: one PoCL compile), each right against ONNX Runtime (on any device: it is made to prefer
    vectors, as above)."""
    import dataclasses
    import ovcl
    from ovcl.device import get_device
    device = get_device("CPU")
    monkeypatch.setattr(device, "caps", dataclasses.replace(device.caps, preferred_vector_width_float=8))
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["p"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)]
    m = onnx_model(nodes, [("x", np.float32, (1, 5, 45, 50))], [("y", np.float32, None)])
    feeds = {"x": rng.standard_normal((1, 5, 45, 50)).astype(np.float32)}
    cm = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert_close(list(cm(feeds).to_tuple()), run_ort(m, feeds), rtol=RTOL, atol=ATOL)
    kernels = {l.kernel for l in cm.launches()}
    assert len(kernels) == 1, kernels


AVGPOOL_CASES = [
    ((1, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((2, 5, 13, 11), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)),
    ((2, 5, 13, 11), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)),
    ((1, 2, 10, 7), dict(kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1)),
    ((1, 2, 10, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
                         count_include_pad=1)),
    ((1, 3, 17), dict(kernel_shape=[4], strides=[3], pads=[1, 2])),
    ((1, 2, 5, 6, 7), dict(kernel_shape=[2, 3, 2], strides=[2, 1, 2], pads=[0, 1, 0, 1, 1, 1])),
    ((1, 3, 7, 9), dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER")),
]


@pytest.mark.parametrize("xs,attrs", AVGPOOL_CASES)
def test_avgpool(xs, attrs, rng):
    _check(*_pool_model("AveragePool", xs, rng, **attrs))


@pytest.mark.parametrize("xs,attrs", [((1, 3, 9, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
                                      ((1, 2, 8), dict(kernel_shape=[3], p=3))])
def test_lppool(xs, attrs, rng):
    _check(*_pool_model("LpPool", xs, rng, **attrs))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("xs", [(1, 3, 7, 7), (2, 5, 1, 1), (1, 4, 13), (1, 2, 3, 4, 5)])
def test_global_pool(op, xs, rng):
    _check(*_pool_model(op, xs, rng))


@pytest.mark.parametrize("opset", [7, 9, 15])
@pytest.mark.parametrize("const_params", [True, False])
def test_batchnorm(opset, const_params, rng):
    xs = (2, 5, 4, 3)
    x = rng.standard_normal(xs).astype(np.float32)
    params = [rng.standard_normal(5).astype(np.float32) for _ in range(3)] + [rng.uniform(0.5, 2, 5).astype(np.float32)]
    names = ["scale", "B", "mean", "var"]
    node = helper.make_node("BatchNormalization", ["x"] + names, ["y"], epsilon=1e-3)
    if const_params:
        m = onnx_model([node], [("x", np.float32, xs)], [("y", np.float32, None)], opset=opset,
                       initializers=list(zip(names, params)))
        feeds = {"x": x}
    else:
        m = onnx_model([node], [("x", np.float32, xs)] + [(n, np.float32, (5,)) for n in names],
                       [("y", np.float32, None)], opset=opset)
        feeds = {"x": x, **dict(zip(names, params))}
    _check(m, feeds)


def test_batchnorm_training_outputs_rejected(rng):
    from ovcl.errors import FrontendError
    import ovcl
    names = ["scale", "B", "mean", "var"]
    node = helper.make_node("BatchNormalization", ["x"] + names, ["y", "rm", "rv"], training_mode=1)
    m = onnx_model([node], [("x", np.float32, (1, 2, 3, 3))],
                   [("y", np.float32, None), ("rm", np.float32, None), ("rv", np.float32, None)], opset=15,
                   initializers=[(n, np.ones(2, np.float32)) for n in names])
    with pytest.raises(FrontendError, match="training"):
        ovcl.read_model(m.SerializeToString())


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn(size, rng):
    xs = (2, 7, 5, 3)
    m, feeds = _pool_model("LRN", xs, rng, size=size, alpha=0.01, beta=0.75, bias=1.5)
    _check(m, feeds)


@pytest.mark.parametrize("xs,size,axes,beta,dtype", [
    ((1, 6, 5, 4), 4, [1], 0.6, "f32"),        # walks along the channels: two float8, then 4 one by one
    ((2, 5, 4, 6), 5, [1], 0.5, "f32"),        # float8 only
    ((1, 5, 1, 6), 3, [1], 0.75, "f32"),       # float4, then 2 one by one
    ((1, 6, 5, 3), 3, [2], 1.0, "f32"),        # one float
    ((1, 20, 2, 4), 17, [1], 0.75, "f32"),     # a window too long to walk in registers
    ((1, 6, 5, 4), 3, [2, 3], 0.6, "f32"),     # spatial axes
    ((1, 3, 5, 4), 2, [2, 3], 0.75, "f32"),
    pytest.param((1, 6, 2, 8), 5, [1], 0.75, "f16", id="f16"),      # f16 storage, float8 (vload_half8)
    pytest.param((1, 6, 3, 5), 5, [1], 0.75, "f16", id="f16_tail")])
def test_lrn_ir(xs, size, axes, beta, dtype, rng):
    """Even sizes (ONNX Runtime rejects them), spatial axes, the betas the kernel has closed forms for and each
    of its code paths, against a direct NumPy loop (on the f16-rounded input for f16, whose output's rounding
    the tolerance allows for)."""
    from ovcl.ir import Model, ops
    x = ops.parameter(xs, dtype, "x")
    node = ops.make("LRN", [x, ops.constant(np.array(axes, dtype=np.int64))], alpha=0.02, beta=beta, bias=2.0,
                    size=size)
    xv = rng.standard_normal(xs).astype(np.float16 if dtype == "f16" else np.float32)
    got = _compile_run(Model([node], [x]), {"x": xv})
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    ref = np.empty(xs)
    for idx in np.ndindex(*xs):
        win = tuple(slice(max(idx[a] - lo, 0), idx[a] + hi + 1) if a in axes else slice(idx[a], idx[a] + 1)
                    for a in range(4))
        s = float((xv[win].astype(np.float64) ** 2).sum())
        ref[idx] = xv[idx] / (2.0 + 0.02 / size ** len(axes) * s) ** beta
    tol = 1e-3 if dtype == "f16" else RTOL
    assert_close([np.asarray(got[0], np.float32)], [ref.astype(np.float32)], rtol=tol, atol=tol)


# -- IR-level: adaptive pooling and fused epilogues, against the NumPy references ------------------------

def _compile_run(model, feeds):
    import ovcl
    return list(ovcl.compile_model(model, "CPU")(feeds).to_tuple())


@pytest.mark.parametrize("axis", [1, 2])
def test_maxpool_ir_axis(axis, rng):
    """MaxPool-8 indices counted from ``axis`` and i32 index type, against the NumPy reference."""
    from ovcl.ir import Model, ops
    xs = (2, 3, 7, 6)
    x = ops.parameter(xs, "f32", "x")
    node = ops.make("MaxPool", [x], strides=[2, 1], dilations=[1, 2], pads_begin=[1, 0], pads_end=[1, 1],
                    kernel=[3, 2], rounding_type="ceil", index_element_type="i32", axis=axis)
    xv = rng.standard_normal(xs).astype(np.float32)
    got = _compile_run(Model([node.output(0), node.output(1)], [x]), {"x": xv})
    assert got[1].dtype == np.int32
    assert_close(got, node.evaluate([xv]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("rounding", ["ceil", "ceil_torch"])
def test_avgpool_ir_ceil_count_pad(rounding, rng):
    """AvgPool-1 ceil with padding counted divides by the whole kernel (OpenVINO); ceil_torch clips the window
    to input + pads (PyTorch, ONNX Runtime). Checked against the NumPy reference (itself checked against
    OpenVINO's CPU plugin when written)."""
    from ovcl.ir import Model, ops
    xs = (1, 2, 10, 9)
    x = ops.parameter(xs, "f32", "x")
    node = ops.make("AvgPool", [x], strides=[2, 2], pads_begin=[1, 1], pads_end=[1, 0], kernel=[3, 3],
                    rounding_type=rounding, **{"exclude-pad": False})
    xv = np.ones(xs, np.float32)
    got = _compile_run(Model([node], [x]), {"x": xv})
    ref = node.evaluate([xv])
    assert_close(got, ref, rtol=RTOL, atol=ATOL)
    corner = ref[0][0, 0, -1, -1]
    assert np.isclose(corner, 2 / 9 if rounding == "ceil" else 2 / 4)   # 2 input taps of 3x3 / of 2x2


@pytest.mark.parametrize("xs,osz", [((1, 3, 7, 9), [3, 4]), ((2, 2, 5), [3]), ((1, 2, 4, 6, 5), [2, 3, 5]),
                                    ((1, 4, 8, 8), [8, 8]), ((1, 1, 3, 3), [5, 4]),
                                    # global and 2x2: many planes a work-group, the last group part empty
                                    ((2, 37, 5, 5), [1, 1]), ((1, 100, 6, 6), [2, 2])])
def test_adaptive_pool(xs, osz, rng):
    from ovcl.ir import Model, ops
    x = ops.parameter(xs, "f32", "x")
    shape = ops.constant(np.array(osz, dtype=np.int64))
    avg = ops.make("AdaptiveAvgPool", [x, shape])
    mx = ops.make("AdaptiveMaxPool", [x, shape], index_element_type="i32")
    model = Model([avg.output(0), mx.output(0), mx.output(1)], [x])
    xv = rng.standard_normal(xs).astype(np.float32)
    got = _compile_run(model, {"x": xv})
    ref = avg.evaluate([xv, np.array(osz)]) + mx.evaluate([xv, np.array(osz)])
    assert got[2].dtype == np.int32
    assert_close(got, ref, rtol=RTOL, atol=ATOL)


def _fused_conv(rng, op, xs, ws, fused, **attrs):
    from ovcl.ir import Model, ops
    x = ops.parameter(xs, "f32", "x")
    w = (rng.standard_normal(ws) / np.sqrt(np.prod(ws[1:]))).astype(np.float32)
    conv = ops.make(op, [x, ops.constant(w)], **attrs)
    oshape = conv.get_output_shape(0)
    oc = oshape[1]
    bias_v = rng.standard_normal(oc).astype(np.float32)
    res_p = ops.parameter(oshape, "f32", "r")
    extra = []
    fd = {}
    if "bias" in fused:
        fd["bias"] = 2 + len(extra)
        extra.append(ops.constant(bias_v).output(0))
    if "residual" in fused:
        fd["residual"] = 2 + len(extra)
        extra.append(res_p.output(0))
    if "activation" in fused:
        fd["activation"] = fused["activation"]
    node = ops.make(op, [x, ops.constant(w)] + extra, **attrs) if False else None
    from ovcl.ir.node import Node
    node = Node(conv.op, conv.input_values() + extra, dict(conv.attrs), name="fused_conv")
    node.rt_info["fused"] = fd
    node.validate()
    params = [x] + ([res_p] if "residual" in fused else [])
    model = Model([node], params)
    xv = rng.standard_normal(xs).astype(np.float32)
    rv = rng.standard_normal(oshape).astype(np.float32)
    feeds = {"x": xv, **({"r": rv} if "residual" in fused else {})}
    ref = conv.evaluate([xv, w])[0].astype(np.float64)
    if "bias" in fused:
        ref = ref + bias_v.reshape((1, -1) + (1,) * (len(oshape) - 2))
    if "residual" in fused:
        ref = ref + rv
    act = fused.get("activation")
    if act and act[0] == "Relu":
        ref = np.maximum(ref, 0)
    elif act and act[0] == "Clamp":
        ref = np.clip(ref, act[1]["min"], act[1]["max"])
    return _compile_run(model, feeds), [ref.astype(np.float32)]


_C3 = ("Convolution", (1, 8, 9, 10), (12, 8, 3, 3), dict(strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1],
                                                         dilations=[1, 1]))
_C1 = ("Convolution", (1, 16, 7, 7), (20, 16, 1, 1), dict(strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0],
                                                          dilations=[1, 1]))
_DW = ("GroupConvolution", (1, 6, 9, 9), (6, 1, 1, 3, 3), dict(strides=[2, 2], pads_begin=[1, 1], pads_end=[1, 1],
                                                                dilations=[1, 1]))
_C1B = ("Convolution", (2, 24, 5, 7), (20, 24, 1, 1), dict(strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0],
                                                           dilations=[1, 1]))           # 1x1 GEMM, 2 images
_W3 = ("Convolution", (2, 16, 7, 8), (16, 16, 3, 3), dict(strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1],
                                                          dilations=[1, 1]))             # Winograd
_RELU, _RELU6 = ("Relu", {}), ("Clamp", {"min": 0.0, "max": 6.0})


@pytest.mark.parametrize("fused,op,xs,ws,attrs", [
    ({"bias": True}, *_C3),
    ({"bias": True, "activation": _RELU}, *_C3),
    ({"bias": True, "residual": True, "activation": _RELU}, *_C3),
    ({"residual": True}, *_C1),
    ({"bias": True, "residual": True, "activation": _RELU}, *_C1),
    ({"bias": True, "activation": _RELU6}, *_DW),
    ({"bias": True, "residual": True, "activation": _RELU}, *_W3),
    ({"bias": True, "residual": True, "activation": _RELU6}, *_C1B),
])
def test_fused_epilogue(fused, op, xs, ws, attrs, rng):
    got, ref = _fused_conv(rng, op, xs, ws, fused, **attrs)
    assert_close(got, ref, rtol=RTOL, atol=ATOL)


def test_fused_epilogue_generic_path(rng):
    """f16 data takes the generic kernel, which honours the same fusion contract."""
    from ovcl.ir import Model, ops
    from ovcl.ir.node import Node
    x = ops.parameter((1, 4, 6, 6), "f16", "x")
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float16)
    b = rng.standard_normal(5).astype(np.float16)
    conv = ops.make("Convolution", [x, ops.constant(w)], strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1],
                    dilations=[1, 1])
    node = Node(conv.op, conv.input_values() + [ops.constant(b).output(0)], dict(conv.attrs), name="fc")
    node.rt_info["fused"] = {"bias": 2, "activation": ("Relu", {})}
    node.validate()
    xv = rng.standard_normal((1, 4, 6, 6)).astype(np.float16)
    got = _compile_run(Model([node], [x]), {"x": xv})
    ref = np.maximum(conv.evaluate([xv.astype(np.float32), w.astype(np.float32)])[0] + b.reshape(1, -1, 1, 1), 0)
    np.testing.assert_allclose(got[0].astype(np.float32), ref, rtol=1e-2, atol=1e-2)


def test_resnet_like_block(rng):
    """Conv+BN+Relu, MaxPool, a bottleneck with a residual Add, and global pooling, end to end."""
    def w(*s):
        return (rng.standard_normal(s) / np.sqrt(np.prod(s[1:]))).astype(np.float32)

    def bn(c):
        return [rng.uniform(0.5, 1.5, c).astype(np.float32), rng.standard_normal(c).astype(np.float32),
                rng.standard_normal(c).astype(np.float32) * 0.1, rng.uniform(0.5, 1.5, c).astype(np.float32)]

    inits, nodes = [], []

    def conv_bn_relu(x, y, cin, cout, k, s, relu=True):
        p = k // 2
        inits.append((f"{y}_w", w(cout, cin, k, k)))
        nodes.append(helper.make_node("Conv", [x, f"{y}_w"], [f"{y}_c"], kernel_shape=[k, k], strides=[s, s],
                                      pads=[p] * 4))
        names = [f"{y}_{n}" for n in ("g", "b", "m", "v")]
        inits.extend(zip(names, bn(cout)))
        nodes.append(helper.make_node("BatchNormalization", [f"{y}_c"] + names, [f"{y}_bn" if relu else y]))
        if relu:
            nodes.append(helper.make_node("Relu", [f"{y}_bn"], [y]))

    conv_bn_relu("x", "stem", 3, 16, 7, 2)
    nodes.append(helper.make_node("MaxPool", ["stem"], ["pool"], kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    conv_bn_relu("pool", "a", 16, 8, 1, 1)
    conv_bn_relu("a", "b", 8, 8, 3, 1)
    conv_bn_relu("b", "c", 8, 16, 1, 1, relu=False)
    nodes.append(helper.make_node("Add", ["c", "pool"], ["sum"]))
    nodes.append(helper.make_node("Relu", ["sum"], ["act"]))
    nodes.append(helper.make_node("GlobalAveragePool", ["act"], ["y"]))
    m = onnx_model(nodes, [("x", np.float32, (1, 3, 37, 41))], [("y", np.float32, None)], initializers=inits)
    _check(m, {"x": rng.standard_normal((1, 3, 37, 41)).astype(np.float32)})


@pytest.mark.parametrize("spatial,stride", [(2, 1), (2, 2), (1, 1)])
def test_pointwise_conv_over_rows(spatial, stride, rng):
    """A 1x1 convolution over a small plane with many output channels (ResNet-50's 7x7 layers) runs on the GEMM
    over its input copied into a row per pixel (im2col with a 1x1 window, strided as the layer; a 1-D layer as
    one row of pixels), batch of two, with bias, residual and ReLU: against ONNX Runtime."""
    import ovcl
    n, c, oc, hw = 2, 300, 512, 7 * stride        # 300 channels: im2col's blocks of 128 and a partial one
    xs, rs = [n, c] + [hw] * spatial, [n, oc] + [7] * spatial
    if spatial == 1:
        xs, rs = [n, c, 49], [n, oc, 49]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[1] * spatial,
                              strides=[stride] * spatial),
             helper.make_node("Add", ["c", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])]
    m = onnx_model(nodes, [("x", np.float32, xs), ("r", np.float32, rs)], [("y", np.float32, None)],
                   initializers=[("w", (rng.standard_normal([oc, c] + [1] * spatial) * 0.05).astype(np.float32)),
                                 ("b", rng.standard_normal(oc).astype(np.float32))])
    feeds = {"x": rng.standard_normal(xs).astype(np.float32), "r": rng.standard_normal(rs).astype(np.float32)}
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert any(l.shape == f"kind=const,M=49,N={oc},K={c},nb={n}" for l in compiled.launches()), \
        [l.shape for l in compiled.launches()]
    np.testing.assert_allclose(compiled(feeds)[0], run_ort(m, feeds)[0], rtol=1e-4, atol=1e-4)
