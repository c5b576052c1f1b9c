"""``ovcl.preprocess`` against ``openvino.preprocess``: the same program with the import swapped gives the same
model inputs and the same results (f32 on both sides; rtol 1e-4 of the output's scale), the IR ovcl saves runs in
OpenVINO the same, and a u8 NHWC image reaches the network through one fused kernel."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ovcl

ov = pytest.importorskip("openvino")
opset = pytest.importorskip("openvino.opset13")

DIGITS = str(Path(ovcl.__file__).parent / "models" / "digits.onnx")


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory):
    """A 3-channel NCHW convolution (the network behind the preprocessing)."""
    x = opset.parameter([1, 3, 8, 8], np.float32, name="x")
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    y = opset.convolution(x, opset.constant(w), [1, 1], [1, 1], [1, 1], [1, 1])
    path = tmp_path_factory.mktemp("preprocess") / "conv.xml"
    ov.save_model(ov.Model([opset.result(y)], [x], "conv"), str(path), compress_to_fp16=False)
    return str(path)


def _bgr_u8_nhwc(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.u8).set_layout(api.Layout("NHWC")) \
        .set_spatial_static_shape(16, 12).set_color_format(pp.ColorFormat.BGR)
    ppp.input().preprocess().convert_element_type(api.Type.f32).convert_color(pp.ColorFormat.RGB) \
        .resize(pp.ResizeAlgorithm.RESIZE_LINEAR).mean([100., 110., 120.]).scale([50., 60., 70.])
    ppp.input().model().set_layout(api.Layout("NCHW"))


def _u8_nhwc(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.u8).set_layout(api.Layout("NHWC"))
    ppp.input().preprocess().convert_element_type(api.Type.f32).mean(127.5).scale(127.5)
    ppp.input().model().set_layout(api.Layout("NCHW"))


def _nv12_two_planes(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.u8) \
        .set_color_format(pp.ColorFormat.NV12_TWO_PLANES, ["y", "uv"]).set_spatial_static_shape(8, 8)
    ppp.input().preprocess().convert_color(pp.ColorFormat.BGR)
    ppp.input().model().set_layout(api.Layout("NCHW"))


def _i420_three_planes(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.u8).set_color_format(pp.ColorFormat.I420_THREE_PLANES) \
        .set_spatial_static_shape(12, 10)
    ppp.input().preprocess().convert_color(pp.ColorFormat.RGB).convert_element_type(api.Type.f32) \
        .resize(pp.ResizeAlgorithm.RESIZE_NEAREST)
    ppp.input().model().set_layout(api.Layout("NCHW"))


def _nv12_single_plane(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.f32).set_color_format(pp.ColorFormat.NV12_SINGLE_PLANE) \
        .set_spatial_static_shape(10, 6)
    ppp.input().preprocess().convert_color(pp.ColorFormat.RGB).resize(pp.ResizeAlgorithm.RESIZE_CUBIC)
    ppp.input().model().set_layout(api.Layout("NCHW"))


def _reverse_crop_pad_and_output(api, pp, ppp):
    ppp.input().tensor().set_shape([1, 3, 9, 10])
    ppp.input().preprocess().reverse_channels().crop([0, 0, 0, 1], [1, 3, 8, 9]) \
        .pad([0, 0, 0, 0], [0, 0, 0, 0], 0.0, pp.PaddingMode.CONSTANT)
    ppp.input().model().set_layout(api.Layout("NCHW"))
    ppp.output().tensor().set_layout(api.Layout("NHWC")).set_element_type(api.Type.f16)
    ppp.output().model().set_layout(api.Layout("NCHW"))


def _bgrx_pillow(api, pp, ppp):
    ppp.input().tensor().set_element_type(api.Type.f32).set_layout(api.Layout("NHWC")) \
        .set_color_format(pp.ColorFormat.BGRX).set_spatial_static_shape(13, 11)
    ppp.input().preprocess().convert_color(pp.ColorFormat.RGB).resize(pp.ResizeAlgorithm.RESIZE_BILINEAR_PILLOW)
    ppp.input().model().set_layout(api.Layout("NCHW"))


CASES = {f.__name__[1:]: f for f in (_bgr_u8_nhwc, _u8_nhwc, _nv12_two_planes, _i420_three_planes,
                                     _nv12_single_plane, _reverse_crop_pad_and_output, _bgrx_pillow)}


def _built(api, path, setup):
    model = api.Core().read_model(path)
    ppp = api.preprocess.PrePostProcessor(model)
    setup(api, api.preprocess, ppp)
    return ppp.build()


@pytest.mark.parametrize("case", list(CASES))
def test_preprocessing_matches_openvino(case, conv_model, tmp_path):
    theirs, ours = _built(ov, conv_model, CASES[case]), _built(ovcl, conv_model, CASES[case])
    assert [(str(p.get_partial_shape()), p.get_element_type().get_type_name()) for p in ours.inputs] == \
        [(str(p.get_partial_shape()), p.get_element_type().get_type_name()) for p in theirs.inputs]
    rng = np.random.default_rng(1)
    feeds = [(rng.integers(0, 256, tuple(p.get_shape())) if p.get_element_type() == ov.Type.u8 else
              rng.uniform(0, 255, tuple(p.get_shape()))).astype(p.get_element_type().to_dtype()) for p in theirs.inputs]
    ref = ov.Core().compile_model(theirs, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(feeds)[0]
    got = ovcl.compile_model(ours, "CPU")(feeds)[0]
    assert got.dtype == ref.dtype
    tol = (1e-3 if ref.dtype == np.float16 else 1e-4) * float(np.abs(ref).max())
    np.testing.assert_allclose(got.astype(np.float64), ref, rtol=0, atol=tol)
    ovcl.save_model(ours, str(tmp_path / "with_steps.xml"), compress_to_fp16=False)       # the steps are IR
    back = ov.Core().compile_model(str(tmp_path / "with_steps.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    np.testing.assert_allclose(back(feeds)[0].astype(np.float64), ref, rtol=0, atol=tol)


def test_custom_step_and_dynamic_spatial_shape(conv_model):
    """An image of any height and width (set_spatial_dynamic_shape), a custom step (built with the API's own op
    builders: OpenVINO's opset, ``ovcl.ir.ops.make``), resized to the model's input."""
    from ovcl.ir.ops import make

    def build(api):
        model = api.Core().read_model(conv_model)
        ppp = api.preprocess.PrePostProcessor(model)
        ppp.input().tensor().set_layout(api.Layout("NHWC")).set_spatial_dynamic_shape()
        custom = (lambda out: opset.abs(out).output(0)) if api is ov else (lambda out: make("Abs", [out]))
        ppp.input().preprocess().custom(custom).resize(api.preprocess.ResizeAlgorithm.RESIZE_LINEAR)
        ppp.input().model().set_layout(api.Layout("NCHW"))
        return ppp.build()

    theirs, ours = build(ov), build(ovcl)
    assert str(ours.input(0).get_partial_shape()) == str(theirs.input(0).get_partial_shape()) == "[1,?,?,3]"
    compiled_theirs = ov.Core().compile_model(theirs, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    compiled_ours = ovcl.compile_model(ours, "CPU")
    for h, w in ((13, 11), (8, 8), (20, 9)):
        x = np.random.default_rng(h).standard_normal((1, h, w, 3)).astype(np.float32)
        ref = compiled_theirs(x)[0]
        np.testing.assert_allclose(compiled_ours(x)[0], ref, rtol=0, atol=1e-4 * float(np.abs(ref).max()))


def test_u8_nhwc_image_is_one_kernel_ahead_of_the_network(conv_model):
    """Convert, mean, scale and the NHWC -> NCHW change run as one kernel that reads the u8 image once."""
    compiled = ovcl.compile_model(_built(ovcl, conv_model, _u8_nhwc), "CPU")
    launches = compiled.launches()
    first = [l for l in launches if l.op != "Convolution"]
    assert len(first) == 1 and first[0].op == "FusedEltwise", [(l.op, l.nodes) for l in launches]
    kinds = {n.split("_")[0] for n in first[0].nodes}
    assert {"Transpose", "Convert", "Subtract", "Multiply"} <= kinds, first[0].nodes
    assert [l.op for l in launches[1:]] == ["Convolution"] * (len(launches) - 1)


def _classify(api, images: list[np.ndarray]) -> list[tuple[list[int], np.ndarray]]:
    """An image classification program in OpenVINO's style: u8 NHWC images of any size through
    PrePostProcessor (resize, mean, scale, layout), AsyncInferQueue, top-5."""
    core = api.Core()
    model = core.read_model(DIGITS)
    ppp = api.preprocess.PrePostProcessor(model)
    ppp.input().tensor().set_element_type(api.Type.u8).set_layout(api.Layout("NHWC")) \
        .set_shape([1, 20, 16, 1])
    ppp.input().preprocess().convert_element_type(api.Type.f32) \
        .resize(api.preprocess.ResizeAlgorithm.RESIZE_LINEAR, 8, 8).mean(128.0).scale(64.0)
    ppp.input().model().set_layout(api.Layout("NCHW"))
    model = ppp.build()
    compiled = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"} if api is ovcl else
                                  {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32"})
    results = {}

    def done(request, k):
        probs = request.get_output_tensor(0).data[0].copy()
        results[k] = (list(np.argsort(-probs)[:5]), probs)

    queue = api.AsyncInferQueue(compiled, compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    queue.set_callback(done)
    for k, image in enumerate(images):
        queue.start_async({0: image}, k)
    queue.wait_all()
    return [results[k] for k in range(len(images))]


@pytest.mark.threads
def test_classification_program_gives_openvinos_top5():
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 256, (1, 20, 16, 1)).astype(np.uint8) for _ in range(6)]
    for (top_theirs, p_theirs), (top_ours, p_ours) in zip(_classify(ov, images), _classify(ovcl, images)):
        np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-4, atol=1e-6)
        assert top_ours[:3] == top_theirs[:3]


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_layouts(api, conv_model):
    lay = api.Layout("NCHW")
    assert (lay.to_string(), lay.get_index_by_name("C"), lay.has_name("D")) == ("[N,C,H,W]", 1, False)
    assert api.Layout("...C").get_index_by_name("C") == -1 and api.Layout("[N,C,H,W]") == lay
    helpers = api.layout_helpers
    assert (helpers.height_idx(lay), helpers.width_idx(lay), helpers.has_batch(lay)) == (2, 3, True)
    model = api.Core().read_model(conv_model)
    helpers.set_layout(model.input(0), api.Layout("NCHW"))
    assert helpers.get_layout(model.input(0)).to_string() == "[N,C,H,W]"


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_batch_from_layouts(api):
    model = api.Core().read_model(DIGITS)
    api.layout_helpers.set_layout(model.input(0), api.Layout("NCHW"))
    assert str(api.get_batch(model)) == "?"
    api.set_batch(model, 4)
    assert str(model.input(0).get_partial_shape()) == "[4,1,8,8]" and str(api.get_batch(model)) == "4"


def test_preprocessing_errors(conv_model):
    pp = ovcl.preprocess

    def build(setup, key=None):
        model = ovcl.read_model(conv_model)
        ppp = pp.PrePostProcessor(model)
        setup(ppp.input(key))
        return ppp.build()

    with pytest.raises(ovcl.ConfigError, match="floating-point"):
        build(lambda i: i.tensor().set_element_type(ovcl.Type.u8) and i.preprocess().mean(1.0))
    with pytest.raises(ovcl.ConfigError, match="convert_color"):
        build(lambda i: i.tensor().set_element_type(ovcl.Type.u8).set_color_format(pp.ColorFormat.NV12_TWO_PLANES))
    with pytest.raises(ovcl.ConfigError, match="no input named"):
        build(lambda i: None, key="nope")
    with pytest.raises(ovcl.ConfigError, match="layout"):
        build(lambda i: i.preprocess().convert_element_type(ovcl.Type.f32).mean([1.0, 2.0, 3.0]))
