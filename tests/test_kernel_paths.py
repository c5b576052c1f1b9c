"""Every convolution and MatMul path, chosen by default where it should be and forced where it also applies
(config KERNEL_VARIANT), checked against NumPy and asserted by the launches it recorded."""
from __future__ import annotations

import numpy as np
import pytest

import ovcl
from ovcl.ir import Model, ops

from helpers import conv2d_ref


def _conv_model(x, w, stride, pad, groups):
    px = ops.parameter(x.shape, "f32", name="x")
    attrs = dict(strides=[stride, stride], dilations=[1, 1], pads_begin=[pad, pad], pads_end=[pad, pad],
                 auto_pad="explicit")
    if groups > 1:
        oc, icg = w.shape[:2]
        wg = ops.constant(w.reshape(groups, oc // groups, icg, *w.shape[2:]))
        return Model([ops.make("GroupConvolution", [px, wg], **attrs)], [px])
    return Model([ops.make("Convolution", [px, ops.constant(w)], **attrs)], [px])


# (input channels, output channels, kernel, stride, pad, groups, size, the default path, others that apply)
CONVS = {
    "winograd": (32, 24, 3, 1, 1, 1, 10, ["direct"]),
    "winograd_odd": (33, 20, 3, 1, 1, 1, 13, ["direct"]),    # 2 x 33 planes, 7 x 7 tiles: partial groups
    "depthwise": (8, 8, 3, 2, 1, 8, 13, ["direct"]),
    "gemm_1x1": (16, 20, 1, 1, 0, 1, 9, ["direct"]),
    "gemm_strided_1x1": (16, 12, 1, 2, 0, 1, 9, ["direct"]),
    "gemm_im2col": (8, 12, 3, 2, 1, 1, 11, ["direct"]),
    "direct": (4, 12, 3, 1, 1, 1, 9, []),
    "direct_grouped": (12, 16, 3, 1, 1, 4, 8, []),
}


@pytest.mark.parametrize("case", list(CONVS))
def test_conv_paths(case, rng):
    c, oc, k, stride, pad, groups, hw, others = CONVS[case]
    x = rng.standard_normal((2, c, hw, hw)).astype(np.float32)
    w = rng.standard_normal((oc, c // groups, k, k)).astype(np.float32)
    ref = conv2d_ref(x, w, stride, pad, groups)
    model = _conv_model(x, w, stride, pad, groups)
    default = case.split("_")[0]
    for path in [default, *others, "generic"]:
        config = {} if path == default else {"KERNEL_VARIANT": {"conv": path}}
        cm = ovcl.compile_model(model, "CPU", config)
        assert {l.path for l in cm.launches()} == {f"conv.{path}"}, (path, [l.path for l in cm.launches()])
        np.testing.assert_allclose(cm(x)[0], ref, rtol=1e-4, atol=1e-4, err_msg=path)
        variants = {l.variant for l in cm.launches()} - {""}
        want = {"winograd": {"conv.winograd", "matmul.tiled"}, "depthwise": {"conv.depthwise"},
                "generic": {"conv.generic"},
                "gemm": {"matmul.tiled"} | {"gemm_strided_1x1": {"conv.subsample"},
                                            "gemm_im2col": {"conv.im2col"}}.get(case, set()),
                "direct": {"conv.direct"} | ({"conv.pad"} if pad else set())}[path]
        assert variants == want, (path, variants)


def test_forcing_a_path_that_does_not_apply_is_an_error(rng):
    x = rng.standard_normal((1, 4, 9, 9)).astype(np.float32)
    model = _conv_model(x, rng.standard_normal((12, 4, 3, 3)).astype(np.float32), 1, 1, 1)
    with pytest.raises(ovcl.CompileError, match="does not apply"):
        ovcl.compile_model(model, "CPU", {"KERNEL_VARIANT": {"conv": "winograd"}})
    with pytest.raises(ovcl.CompileError, match="paths for constant weights"):
        ovcl.compile_model(model, "CPU", {"KERNEL_VARIANT": {"conv": "fft"}})


@pytest.mark.parametrize("case", ["const", "runtime_packed", "runtime_direct", "naive_int", "naive_forced"])
def test_matmul_paths(case, rng):
    # N a multiple of every float vector width the tiled kernel takes (4, 8, 16: AVX-512 hosts prefer 16), so a
    # run-time B can be read in place on any device; 21 is a multiple of none
    m, k, n = 13, 20, 32 if case != "runtime_packed" else 21
    dtype = np.int32 if case == "naive_int" else np.float32
    a = (rng.integers(-5, 5, (m, k)) if dtype is np.int32 else rng.standard_normal((m, k))).astype(dtype)
    b = (rng.integers(-5, 5, (k, n)) if dtype is np.int32 else rng.standard_normal((k, n))).astype(dtype)
    pa = ops.parameter(a.shape, "i32" if dtype is np.int32 else "f32", name="a")
    params, feeds = [pa], {"a": a}
    if case.startswith("runtime"):
        pb = ops.parameter(b.shape, "f32", name="b")
        params.append(pb)
        feeds["b"] = b
    else:
        pb = ops.constant(b)
    config = {"KERNEL_VARIANT": {"matmul": "naive"}} if case == "naive_forced" else {}
    cm = ovcl.compile_model(Model([ops.make("MatMul", [pa, pb])], params), "CPU", config)
    np.testing.assert_allclose(cm(feeds)[0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    launches = cm.launches()
    if case.startswith("naive"):
        assert [(l.path, l.variant) for l in launches] == [("matmul.naive", "matmul.naive")]
        return
    gemm = [l for l in launches if l.variant == "matmul.tiled"]
    assert len(gemm) == 1 and {l.path for l in launches} == {"matmul.tiled"}
    assert gemm[0].shape.startswith(f"kind={'const' if case == 'const' else 'runtime'},M={m},N={n},K={k}")
    packs = [l for l in launches if l.variant == "matmul.pack"]
    assert len(packs) == (1 if case == "runtime_packed" else 0)
    assert gemm[0].params["BDIRECT"] == (1 if case == "runtime_direct" else 0)


@pytest.mark.parametrize("wg", [8, 32])
def test_one_item_kernels_take_their_forced_work_group(wg, rng):
    """The naive MatMul and the generic convolution at a forced work-group size (config KERNEL_PARAMS)."""
    a = rng.integers(-5, 5, (7, 9)).astype(np.int32)
    b = rng.integers(-5, 5, (9, 11)).astype(np.int32)
    pa = ops.parameter(a.shape, "i32", name="a")
    cm = ovcl.compile_model(Model([ops.make("MatMul", [pa, ops.constant(b)])], [pa]), "CPU",
                            {"KERNEL_PARAMS": {"matmul.naive": {"WG": wg}}})
    np.testing.assert_array_equal(cm(a)[0], a @ b)
    (l,) = cm.launches()
    assert (l.variant, l.tuning, l.lsize, l.gsize[0] % wg) == ("matmul.naive", "forced", (wg,), 0)
    x = rng.standard_normal((1, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    cm = ovcl.compile_model(_conv_model(x, w, 1, 1, 1), "CPU",
                            {"KERNEL_VARIANT": {"conv": "generic"}, "KERNEL_PARAMS": {"conv.generic": {"WG": wg}}})
    np.testing.assert_allclose(cm(x)[0], conv2d_ref(x, w, 1, 1, 1), rtol=1e-4, atol=1e-4)
    assert [(l.variant, l.lsize) for l in cm.launches()] == [("conv.generic", (wg,))]
