"""Stateful models: ReadValue / Assign and their variables, read from IR built with OpenVINO's own opsets, run
side by side with OpenVINO (the oracle: the same calls, import swapped), the state kept on the device."""
from __future__ import annotations

import numpy as np
import pytest

import ovcl

ov = pytest.importorskip("openvino")
opset = pytest.importorskip("openvino.opset13")
from openvino.op.util import Variable, VariableInfo  # noqa: E402

D = 8


def _variable(name, shape):
    info = VariableInfo()
    info.data_shape, info.data_type, info.variable_id = ov.PartialShape(shape), ov.Type.f32, name
    return Variable(info)


@pytest.fixture(scope="module")
def accumulator(tmp_path_factory):
    """y = state + x; the state becomes y (initial value: zeros from a constant)."""
    var = _variable("acc", [1, 3])
    x = opset.parameter([1, 3], np.float32, name="x")
    y = opset.add(opset.read_value(opset.constant(np.zeros((1, 3), np.float32)), var), x)
    model = ov.Model([opset.result(y)], [opset.assign(y, var)], [x], "accumulator")
    path = tmp_path_factory.mktemp("state") / "accumulator.xml"
    ov.save_model(model, str(path), compress_to_fp16=False)
    return str(path)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    """One attention step of a decoder with its keys and values as state ([1, ?, D], growing by one row per
    inference); the initial value is an empty cache built from the input's shape, as OpenVINO's stateful
    language models build theirs."""
    rng = np.random.default_rng(0)
    x = opset.parameter([1, 1, D], np.float32, name="x")
    vk, vv = _variable("past_key", [1, -1, D]), _variable("past_value", [1, -1, D])
    batch = opset.gather(opset.shape_of(x), opset.constant([0]), opset.constant(0))
    empty = opset.broadcast(opset.constant(np.float32(0)),
                            opset.concat([batch, opset.constant(np.array([0, D], np.int64))], 0))
    q, k, v = (opset.matmul(x, opset.constant(rng.standard_normal((D, D)).astype(np.float32) / 3), False, False)
               for _ in range(3))
    keys = opset.concat([opset.read_value(empty, vk), k], 1)
    values = opset.concat([opset.read_value(empty, vv), v], 1)
    scores = opset.softmax(opset.multiply(opset.matmul(q, keys, False, True),
                                          opset.constant(np.float32(1 / np.sqrt(D)))), -1)
    out = opset.matmul(scores, values, False, False)
    model = ov.Model([opset.result(out)], [opset.assign(keys, vk), opset.assign(values, vv)], [x], "decoder_step")
    path = tmp_path_factory.mktemp("state") / "decoder.xml"
    ov.save_model(model, str(path), compress_to_fp16=False)
    return str(path)


def _requests(path):
    theirs = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request()
    ours = ovcl.compile_model(ovcl.read_model(path), "CPU").create_infer_request()
    return theirs, ours


def test_accumulator_matches_openvino(accumulator):
    """Three inferences accumulate, the state reads back, a state set by hand is used, reset_state restarts."""
    theirs, ours = _requests(accumulator)
    for k in range(3):
        x = np.full((1, 3), k + 1, np.float32)
        np.testing.assert_array_equal(ours.infer({0: x})[0], theirs.infer({0: x})[0])
    for request in (theirs, ours):
        (state,) = request.query_state()
        assert state.name == "acc"
        np.testing.assert_array_equal(state.state.data, np.full((1, 3), 6, np.float32))
        state.state = type(state.state)(np.full((1, 3), 10, np.float32))
    one = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(ours.infer({0: one})[0], theirs.infer({0: one})[0])     # 11
    theirs.reset_state()
    ours.reset_state()
    np.testing.assert_array_equal(ours.infer({0: one})[0], theirs.infer({0: one})[0])     # 1 again
    np.testing.assert_array_equal(ours.infer({0: one})[0], np.full((1, 3), 2, np.float32))


def test_requests_hold_their_own_state_and_the_compiled_model_its_default_one(accumulator):
    compiled = ovcl.compile_model(ovcl.read_model(accumulator), "CPU")
    a, b = compiled.create_infer_request(), compiled.create_infer_request()
    one = np.ones((1, 3), np.float32)
    for _ in range(3):
        a.infer({0: one})
    np.testing.assert_array_equal(b.infer({0: one})[0], one)
    np.testing.assert_array_equal(a.infer({0: one})[0], 4 * one)
    assert compiled(one)[0][0, 0] == 1 and compiled(one)[0][0, 0] == 2     # calls share the default request
    compiled.reset_state()
    assert compiled(one)[0][0, 0] == 1 and compiled.query_state()[0].name == "acc"


def test_state_stays_on_the_device(accumulator, monkeypatch):
    """Between inferences the state is never copied to or from the host: each inference copies its input in and
    its output out, nothing else; the copies of the state are launches on the device (Assign's)."""
    import pyopencl as cl
    compiled = ovcl.compile_model(ovcl.read_model(accumulator), "CPU")
    request = compiled.create_infer_request()
    one = np.ones((1, 3), np.float32)
    request.infer({0: one})             # plans for the initial value and for a value held are made first
    request.infer({0: one})
    copies = []
    real = cl.enqueue_copy
    monkeypatch.setattr(cl, "enqueue_copy", lambda *a, **k: copies.append(a[1:3]) or real(*a, **k))
    for _ in range(3):
        request.infer({0: one})
    assert len(copies) == 6 and all(isinstance(d, cl.Buffer) != isinstance(s, cl.Buffer) for d, s in copies)
    monkeypatch.undo()
    ops = [l.op for l in compiled._plans.latest().launches]
    assert "ReadValue" in ops and "Assign" in ops
    np.testing.assert_array_equal(request.query_state()[0].state.data, 5 * one)


def test_decoder_step_with_a_growing_cache_matches_openvino(decoder):
    theirs, ours = _requests(decoder)
    for step in range(4):
        x = np.random.default_rng(step).standard_normal((1, 1, D)).astype(np.float32)
        np.testing.assert_allclose(ours.infer({0: x})[0], theirs.infer({0: x})[0], rtol=1e-4, atol=1e-6)
        assert [list(s.state.shape) for s in ours.query_state()] == [[1, step + 1, D]] * 2
    for a, b in zip(theirs.query_state(), ours.query_state()):
        np.testing.assert_allclose(b.state.data, a.state.data, rtol=1e-5, atol=1e-6)
    ours.reset_state()
    x = np.zeros((1, 1, D), np.float32)
    ours.infer({0: x})
    assert list(ours.query_state()[0].state.shape) == [1, 1, D]


def test_stateful_ir_both_ways(decoder, tmp_path):
    """ovcl reads OpenVINO's stateful IR, keeps its variables and sinks, and writes IR OpenVINO runs the same."""
    model = ovcl.read_model(decoder)
    assert [v.variable_id for v in model.get_variables()] == ["past_key", "past_value"]
    assert [s.type_name for s in model.get_sinks()] == ["Assign", "Assign"]
    ovcl.save_model(model, str(tmp_path / "again.xml"), compress_to_fp16=False)
    theirs, _ = _requests(decoder)
    again, ours = _requests(str(tmp_path / "again.xml"))
    for step in range(3):
        x = np.random.default_rng(step).standard_normal((1, 1, D)).astype(np.float32)
        ref = theirs.infer({0: x})[0]
        np.testing.assert_allclose(again.infer({0: x})[0], ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.infer({0: x})[0], ref, rtol=1e-4, atol=1e-6)


def test_state_errors(accumulator, tmp_path):
    request = ovcl.compile_model(ovcl.read_model(accumulator), "CPU").create_infer_request()
    (state,) = request.query_state()
    with pytest.raises(ovcl.InferenceError, match="f32"):
        state.state = np.ones((1, 3), np.int32)
    with pytest.raises(ovcl.InferenceError, match="shape"):
        state.state = np.ones((2, 3), np.float32)
    text = open(accumulator).read().replace('type="ReadValue" version="opset6">\n\t\t\t<data variable_id="acc"',
                                            'type="ReadValue" version="opset6">\n\t\t\t<data variable_id="other"')
    (tmp_path / "bad.xml").write_text(text)
    (tmp_path / "bad.bin").write_bytes(open(accumulator[:-4] + ".bin", "rb").read())
    with pytest.raises(ovcl.IRError, match="no ReadValue"):
        ovcl.read_model(str(tmp_path / "bad.xml"))


def test_opset3_read_value_and_assign(accumulator, tmp_path):
    """ReadValue-3 / Assign-3 (a variable id only; type and shape from the initial value), read and written."""
    text = open(accumulator).read().replace('type="ReadValue" version="opset6"', 'type="ReadValue" version="opset3"') \
        .replace('<data variable_id="acc" variable_type="f32" variable_shape="1,3" />', '<data variable_id="acc" />') \
        .replace('type="Assign" version="opset6"', 'type="Assign" version="opset3"')
    assert 'version="opset3"' in text and "variable_shape" not in text
    (tmp_path / "v3.xml").write_text(text)
    (tmp_path / "v3.bin").write_bytes(open(accumulator[:-4] + ".bin", "rb").read())
    theirs, ours = _requests(str(tmp_path / "v3.xml"))
    for k in range(3):
        x = np.full((1, 3), k + 1, np.float32)
        np.testing.assert_array_equal(ours.infer({0: x})[0], theirs.infer({0: x})[0])
    ovcl.save_model(ovcl.read_model(str(tmp_path / "v3.xml")), str(tmp_path / "again.xml"))
    assert 'type="ReadValue" version="opset3"' in (tmp_path / "again.xml").read_text()
