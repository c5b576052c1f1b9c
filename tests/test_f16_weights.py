"""FP16 weights stay f16 on the device (OVCL_WEIGHTS_F16): MatMul with a constant B, direct convolutions and
Gather tables (embeddings; those are compared exactly).

Weights come as an f16 Const behind a Convert marked ``decompression`` (what FP16-compressed IR holds).
References are computed in f64 from the f16 values, so the check is of the kernels' f32 arithmetic:
rtol 1e-4, atol 1e-5. With the option off the same model runs on f32 weights and must give identical results
(the inline decode is exact for finite values).
"""
import numpy as np
import pytest

import ovcl
from ovcl.ir import Model, ops

from helpers import conv2d_ref

OFF = {"OVCL_WEIGHTS_F16": "NO"}
ON = {"OVCL_WEIGHTS_F16": "YES"}        # also convolutions on a CPU device (AUTO keeps those f32 there)


def _decompressed(w16: np.ndarray):
    c = ops.constant(np.asarray(w16, np.float16))
    cv = ops.make("Convert", [c], destination_type="f32")
    cv.rt_info["decompression"] = True
    return cv


def _weights(rng, shape, scale=0.1):
    """f16 weights with a few special values: zeros of both signs, subnormals, the largest finite value."""
    w = (rng.standard_normal(shape) * scale).astype(np.float16).reshape(-1)
    specials = np.array([0.0, -0.0, 6e-8, -3e-6, 2.0 ** -14, 65504.0 / 1024], np.float16)
    w[:len(specials)] = specials[:w.size]
    return w.reshape(shape)


def _packed(compiled, suffix):
    """The device constants of the launches whose names end in ``suffix`` (the packed weights)."""
    vals = [a for l in compiled.launches() for a in l.args if isinstance(a, ovcl.lowering.Value)
            and a.name.endswith(suffix)]
    assert vals, f"no packed constant named *{suffix}"
    return vals


def _run(model, feeds, config=None):
    cm = ovcl.compile_model(model, "CPU", config)
    return cm, cm(feeds).to_tuple()[0]


def _check(model, feeds, ref, suffix, half=True, config=None):
    cm, out = _run(model, feeds, config)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    assert all(v.type.name == ("f16" if half else "f32") for v in _packed(cm, suffix))
    cm32, out32 = _run(model, feeds, OFF)
    assert all(v.type.name == "f32" for v in _packed(cm32, suffix))
    np.testing.assert_array_equal(out, out32)
    return cm, cm32


@pytest.mark.parametrize("sa,sb,tb", [
    ((37, 70), (70, 53), False),           # tails in M, N and K
    ((64, 96), (96, 48), False),           # rows enough for the work-group's local decode
    ((2, 3, 17, 33), (33, 29), False),     # batched A folded into M
    ((3, 40, 24), (3, 24, 50), False),     # batched B
    ((48, 64), (40, 64), True),            # transpose_b
    ((2, 5, 8), (2, 11, 8), True),
])
def test_matmul_const_b(sa, sb, tb, rng):
    a = rng.standard_normal(sa).astype(np.float32)
    b = _weights(rng, sb)
    pa = ops.parameter(sa, "f32", name="a")
    node = ops.make("MatMul", [pa, _decompressed(b)], transpose_a=False, transpose_b=tb)
    b64 = b.astype(np.float64)
    ref = np.matmul(a.astype(np.float64), np.swapaxes(b64, -1, -2) if tb else b64)
    cm, cm32 = _check(Model([node], [pa]), {"a": a}, ref, "b_packed")
    # the packed B takes half the bytes on the device
    assert cm._current_plan().stats["const_bytes"] * 2 == cm32._current_plan().stats["const_bytes"]


def test_matmul_local_decode_is_rendered(rng):
    a = rng.standard_normal((64, 96)).astype(np.float32)
    pa = ops.parameter(a.shape, "f32", name="a")
    node = ops.make("MatMul", [pa, _decompressed(_weights(rng, (96, 48)))], transpose_a=False, transpose_b=False)
    cm, _ = _run(Model([node], [pa]), {"a": a})
    src = "".join(l.source for l in cm.launches())
    assert "ovcl_h2f" in src and "barrier" in src
    cm, _ = _run(Model([node], [pa]), {"a": a}, {"KERNEL_PARAMS": {"matmul.tiled": {"BLOCAL": 0}}})
    src = "".join(l.source for l in cm.launches())
    assert "ovcl_h2f" in src and "barrier" not in src


@pytest.mark.parametrize("c,oc,k,stride,pad,groups,hw", [
    (16, 24, 1, 1, 0, 1, 9),       # 1x1 with >= 16 input channels: the GEMM kernel (pixels as rows)
    (8, 12, 1, 1, 0, 1, 9),        # 1x1, few channels: direct, the plane as one row
    (8, 12, 3, 2, 1, 1, 11),       # 3x3, stride 2, padded: im2col + the GEMM kernel
    (4, 12, 3, 2, 1, 1, 11),       # 3x3, stride 2, padded, few channels: direct
    (5, 7, 3, 1, 0, 1, 10),        # few channels, unpadded (tails clamp)
    (12, 16, 3, 1, 1, 4, 8),       # grouped
])
def test_conv(c, oc, k, stride, pad, groups, hw, rng):
    x = rng.standard_normal((1, c, hw, hw)).astype(np.float32)
    w = _weights(rng, (oc, c // groups, k, k))
    px = ops.parameter(x.shape, "f32", name="x")
    attrs = dict(strides=[stride, stride], dilations=[1, 1], pads_begin=[pad, pad], pads_end=[pad, pad],
                 auto_pad="explicit")
    if groups > 1:
        wn = ops.make("Reshape", [_decompressed(w), ops.constant(np.array([groups, oc // groups, c // groups, k, k]))],
                      special_zero=False)
        node = ops.make("GroupConvolution", [px, wn], **attrs)
    else:
        node = ops.make("Convolution", [px, _decompressed(w)], **attrs)
    model = Model([node], [px])
    # which kernel runs it (direct, or the GEMM for 1x1 and im2col'd strided convolutions) decides the name
    gemm = any(l.kernel.startswith("matmul") for l in ovcl.compile_model(model, "CPU").launches())
    suffix = "b_packed" if gemm else "weights_packed"
    _check(model, {"x": x}, conv2d_ref(x, w, stride, pad, groups), suffix, config=ON)
    # the default (AUTO) keeps direct-convolution weights f32 on a CPU device, where f16 costs 1.4-1.7x; the
    # GEMM kernel decodes f16 panels cheaply, so 1x1 convolutions it runs keep them f16
    cm, out = _run(model, {"x": x})
    assert all(v.type.name == ("f16" if gemm else "f32") for v in _packed(cm, suffix))


def test_inf_weight_stays_f32(rng):
    a = rng.standard_normal((9, 16)).astype(np.float32)
    b = _weights(rng, (16, 10))
    b[3, 4] = np.inf
    pa = ops.parameter(a.shape, "f32", name="a")
    node = ops.make("MatMul", [pa, _decompressed(b)], transpose_a=False, transpose_b=False)
    cm, out = _run(Model([node], [pa]), {"a": a})
    assert all(v.type.name == "f32" for v in _packed(cm, "b_packed"))
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    assert np.isinf(out[:, 4]).all()


def test_f32_weights_not_exact_stay_f32(rng):
    a = rng.standard_normal((9, 16)).astype(np.float32)
    b = rng.standard_normal((16, 10)).astype(np.float32)       # an f32 model (ONNX): not f16 values
    pa = ops.parameter(a.shape, "f32", name="a")
    node = ops.make("MatMul", [pa, ops.constant(b)], transpose_a=False, transpose_b=False)
    cm, out = _run(Model([node], [pa]), {"a": a})
    assert all(v.type.name == "f32" for v in _packed(cm, "b_packed"))
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-5)


def test_compressed_ir_round_trip(rng, tmp_path):
    """save_model (FP16 compression) + read_model: the weights reach the device as f16."""
    x = rng.standard_normal((1, 8, 6, 6)).astype(np.float32)
    w = rng.standard_normal((16, 8, 1, 1)).astype(np.float32)
    px = ops.parameter(x.shape, "f32", name="x")
    conv = ops.make("Convolution", [px, ops.constant(w)], strides=[1, 1], dilations=[1, 1], pads_begin=[0, 0],
                    pads_end=[0, 0], auto_pad="explicit")
    ovcl.save_model(Model([conv], [px]), str(tmp_path / "m.xml"))
    cm, out = _run(ovcl.read_model(str(tmp_path / "m.xml")), {"x": x}, ON)
    assert all(v.type.name == "f16" for v in _packed(cm, "weights_packed"))
    ref = conv2d_ref(x, w.astype(np.float16), 1, 0, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def _gather_data(cm):
    (g,) = [l for l in cm.launches() if l.op == "Gather"]
    return g.args[1]


@pytest.mark.parametrize("tshape,ishape,axis,bd", [
    ((50, 24), (3, 4), 0, 0),          # rows of 24: 4-wide loads, decoded by ovcl_h2f4
    ((37, 7), (9,), 0, 0),             # odd rows: scalar lanes
    ((11, 6), (), 0, 0),               # a scalar index
    ((9, 13), (2, 3, 2), 1, 0),        # axis 1: single elements
    ((4, 19), (4, 5), 1, 1),           # batch_dims 1: row b gathers from table row b
])
def test_gather_table(tshape, ishape, axis, bd, rng):
    """An embedding table (f16 Const behind a decompression Convert) stays f16 on the device; exact."""
    table = _weights(rng, tshape, scale=4.0)
    A = tshape[axis]
    idx = rng.integers(-A, A, ishape).astype(np.int64)       # negative indices wrap
    if idx.size > 2:
        idx.flat[1] = A + 3                                    # out of range: zeros
    pi = ops.parameter(ishape, "i64", name="i")
    node = ops.make("Gather", [_decompressed(table), pi, ops.constant(np.int64(axis))], batch_dims=bd)
    # the reference takes from the f16 values as f32, plus a zero slice at A for out-of-range indices
    t32 = np.concatenate([table.astype(np.float32), np.zeros_like(table[:1] if axis == 0 else table[:, :1],
                                                               np.float32)], axis=axis)
    safe = np.where((idx >= -A) & (idx < A), idx % A, A)
    if bd:
        ref = np.stack([np.take(t32[b], safe[b], axis=axis - 1) for b in range(tshape[0])])
    else:
        ref = np.take(t32, safe, axis=axis)
    model = Model([node], [pi])
    cm, out = _run(model, {"i": idx})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, ref)
    data = _gather_data(cm)
    assert data.type.name == "f16" and data.name.endswith("table_f16")
    assert "ovcl_h2f" in cm.launches()[0].source
    # only the f16 copy is a device constant (the folded f32 table is read by no launch)
    assert cm._current_plan().stats["const_bytes"] == table.size * 2
    cm32, out32 = _run(model, {"i": idx}, OFF)
    assert _gather_data(cm32).type.name == "f32"
    assert cm32._current_plan().stats["const_bytes"] == table.size * 4
    np.testing.assert_array_equal(out, out32)
