"""INFERENCE_PRECISION_HINT f16: on a device with cl_khr_fp16 the tensors inside the model are stored as f16
(``ir/passes/half_precision.py``) and the fast kernels take them; inputs and outputs stay f32.

PoCL here has no cl_khr_fp16, so these tests give the device the capability (``fp16_device``): the kernels store
f16 with ``vload_half`` / ``vstore_half``, which OpenCL has without the extension, so they run the same code a
GPU would build. Results are checked against float64 NumPy with a tolerance for f16 storage: each stored tensor
rounds to 11 significant bits (relative error 2^-11, about 5e-4), a few times over in a chain."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import ovcl
from ovcl.device import get_device
from ovcl.ir import Model, Type, ops
from ovcl.lowering import Value

from helpers import conv2d_ref

F16 = {"INFERENCE_PRECISION_HINT": "f16"}


@pytest.fixture
def fp16_device(monkeypatch):
    device = get_device("CPU")
    monkeypatch.setattr(device, "caps", dataclasses.replace(device.caps, fp16=True))
    return device


def _close(got, ref, tol=1e-2):
    """Within ``tol`` of the reference's largest magnitude (f16 storage is relative to the values' scale)."""
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * float(np.abs(ref).max()))


def _f16_tensors(compiled) -> set[str]:
    """The ops whose launches read or write an f16 tensor."""
    return {l.op for l in compiled.launches() for a in l.args if isinstance(a, Value) and a.type is Type.f16}


def _conv(x, w, stride, pad, groups, bias, residual=None):
    px = ops.parameter(x.shape, "f32", name="x")
    attrs = dict(strides=[stride, stride], dilations=[1, 1], pads_begin=[pad, pad], pads_end=[pad, pad],
                 auto_pad="explicit")
    if groups > 1:
        oc, icg = w.shape[:2]
        y = ops.make("GroupConvolution", [px, ops.constant(w.reshape(groups, oc // groups, icg, *w.shape[2:]))],
                     **attrs)
    else:
        y = ops.make("Convolution", [px, ops.constant(w)], **attrs)
    y = ops.make("Add", [y, ops.constant(bias.reshape(1, -1, 1, 1))])
    if residual is not None:
        y = ops.make("Add", [y, ops.make("Convolution", [px, ops.constant(residual)], **attrs)])
    return Model([ops.make("Relu", [y])], [px])


# (input channels, output channels, kernel, stride, pad, groups, size, the path it takes)
CONVS = {
    "winograd": (32, 24, 3, 1, 1, 1, 10, "conv.winograd"),
    "depthwise": (8, 8, 3, 2, 1, 8, 13, "conv.depthwise"),
    "gemm_1x1": (16, 20, 1, 1, 0, 1, 9, "conv.gemm"),
    "gemm_strided_1x1": (16, 12, 1, 2, 0, 1, 9, "conv.gemm"),
    "gemm_im2col": (8, 12, 3, 2, 1, 1, 11, "conv.gemm"),
    "direct": (4, 12, 3, 1, 1, 1, 9, "conv.direct"),
    "direct_grouped": (12, 16, 3, 1, 1, 4, 8, "conv.direct"),
}


@pytest.mark.parametrize("case", list(CONVS))
def test_conv_paths_take_f16(case, rng, fp16_device):
    """Each convolution path runs on f16 data with its bias and ReLU fused, the path f32 takes."""
    c, oc, k, stride, pad, groups, hw, path = CONVS[case]
    x = rng.standard_normal((2, c, hw, hw)).astype(np.float32)
    w = rng.standard_normal((oc, c // groups, k, k)).astype(np.float32)
    b = rng.standard_normal(oc).astype(np.float32)
    compiled = ovcl.compile_model(_conv(x, w, stride, pad, groups, b), "CPU", F16)
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == Type.f16
    assert {l.path for l in compiled.launches() if l.op in ("Convolution", "GroupConvolution")} == {path}
    assert {"Convolution", "GroupConvolution"} & _f16_tensors(compiled)
    y = compiled(x)[0]
    assert y.dtype == np.float32
    _close(y, np.maximum(conv2d_ref(x, w, stride, pad, groups) + b.reshape(1, -1, 1, 1), 0))


def test_residual_epilogue_in_f16(rng, fp16_device):
    """A residual Add of two convolutions fuses into the second as in f32, read as f16."""
    x = rng.standard_normal((1, 16, 10, 10)).astype(np.float32)
    w, r = (rng.standard_normal((24, 16, 3, 3)).astype(np.float32) for _ in range(2))
    b = rng.standard_normal(24).astype(np.float32)
    compiled = ovcl.compile_model(_conv(x, w, 1, 1, 1, b, residual=r), "CPU", F16)
    assert [l.path for l in compiled.launches() if l.op == "Add"] == []
    ref = conv2d_ref(x, w, 1, 1, 1) + b.reshape(1, -1, 1, 1) + conv2d_ref(x, r, 1, 1, 1)
    _close(compiled(x)[0], np.maximum(ref, 0))


def _attention_block(x, wq, wk, wv, gamma):
    """Self-attention, then a residual and a layer normalisation: MatMul, Softmax, MVN, Multiply in f16."""
    px = ops.parameter(x.shape, "f32", name="x")
    q, k, v = (ops.make("MatMul", [px, ops.constant(w)]) for w in (wq, wk, wv))
    s = ops.make("MatMul", [q, k], transpose_b=True)
    s = ops.make("Multiply", [s, ops.constant(np.float32(1 / np.sqrt(wq.shape[1])))])
    o = ops.make("MatMul", [ops.make("Softmax", [s], axis=-1), v])
    h = ops.make("Add", [o, px])
    n = ops.make("MVN", [h, ops.constant(np.array([-1], np.int64))], normalize_variance=True, eps=1e-5,
                 eps_mode="inside_sqrt")
    return Model([ops.make("Multiply", [n, ops.constant(gamma)])], [px])


def test_attention_block_in_f16(rng, fp16_device):
    x = rng.standard_normal((2, 7, 32)).astype(np.float32)
    wq, wk, wv = (rng.standard_normal((32, 32)).astype(np.float32) / 6 for _ in range(3))
    gamma = rng.standard_normal(32).astype(np.float32)
    compiled = ovcl.compile_model(_attention_block(x, wq, wk, wv, gamma), "CPU", F16)
    assert "MatMul" in _f16_tensors(compiled) or "ScaledDotProductAttention" in _f16_tensors(compiled)
    x64 = x.astype(np.float64)
    q, k, v = x64 @ wq, x64 @ wk, x64 @ wv
    s = q @ k.transpose(0, 2, 1) / np.sqrt(32)
    p = np.exp(s - s.max(-1, keepdims=True))
    h = (p / p.sum(-1, keepdims=True)) @ v + x64
    ref = (h - h.mean(-1, keepdims=True)) / np.sqrt(h.var(-1, keepdims=True) + 1e-5) * gamma
    _close(compiled(x)[0], ref)


def test_f16_halves_the_activations(rng, fp16_device):
    """The tensors between a chain of direct convolutions (their outputs and padded copies) take half the bytes;
    the model's ports keep f32 (a Convert on the device after the input and before the output)."""
    px = ops.parameter((1, 4, 32, 32), "f32", name="x")
    y = px
    for c in (4, 8, 8):
        w = rng.standard_normal((8, c, 3, 3)).astype(np.float32)
        y = ops.make("Relu", [ops.make("Convolution", [y, ops.constant(w)], strides=[1, 1], dilations=[1, 1],
                                       pads_begin=[1, 1], pads_end=[1, 1], auto_pad="explicit")])
    model = Model([y], [px])
    plans = [ovcl.compile_model(model, "CPU", config)._plans.latest() for config in ({}, F16)]
    f32_temps, f16_temps = ({tuple(a.shape): a.nbytes for l in p.launches if l.op == "Convolution" for a in l.args
                             if isinstance(a, Value) and a.storage.kind == "temp"} for p in plans)
    assert len(f32_temps) == 3          # the padded input of each and the outputs
    assert all(f16_temps[shape] * 2 == nbytes for shape, nbytes in f32_temps.items())
    assert [v.type for v in plans[1].inputs + plans[1].outputs] == [Type.f32, Type.f32]


def test_f16_on_a_device_without_fp16_stays_f32(rng):
    """Without cl_khr_fp16 the hint is a warning (ported scripts set it) and the model runs in f32."""
    if get_device("CPU").caps.fp16:
        pytest.skip("this device has cl_khr_fp16")
    x = rng.standard_normal((1, 16, 6, 6)).astype(np.float32)
    model = _conv(x, rng.standard_normal((8, 16, 3, 3)).astype(np.float32), 1, 1, 1, np.zeros(8, np.float32))
    with pytest.warns(UserWarning, match="has no cl_khr_fp16"):
        compiled = ovcl.compile_model(model, "CPU", F16)
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == Type.f32
    assert not _f16_tensors(compiled)
