"""OpenVINO API parity: the same program with ``import openvino as ov`` and with ``import ovcl as ov`` behaves
alike (OpenVINO is the oracle)."""
from __future__ import annotations

import datetime
import importlib
import io
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ovcl

ov = pytest.importorskip("openvino")


@pytest.mark.parametrize("case", ["missing model file", "unknown device"])
def test_errors_are_runtime_errors(tmp_path, case):
    """A ported ``except RuntimeError:`` catches ovcl's errors where it catches OpenVINO's."""
    def attempt(api):
        core = api.Core()
        if case == "missing model file":
            core.read_model(str(tmp_path / "missing.onnx"))
        else:
            core.get_property("NPU9", "FULL_DEVICE_NAME")

    for api in (ov, ovcl):
        with pytest.raises(RuntimeError):
            attempt(api)
    with pytest.raises(ovcl.OVCLError):
        attempt(ovcl)


# -- properties ------------------------------------------------------------------------------------------------
MODEL = str(Path(ovcl.__file__).parent / "models" / "digits.onnx")


def _module(api, name):
    return importlib.import_module(f"{api.__name__}.properties{'.' + name if name else ''}")


_KEYS = {
    "": ["cache_dir", "compilation_num_threads", "enable_profiling", "execution_devices", "loaded_from_cache",
         "model_name", "num_streams", "optimal_number_of_infer_requests", "supported_properties",
         "available_devices", "inference_num_threads", "range_for_async_infer_requests", "range_for_streams"],
    "hint": ["performance_mode", "num_requests", "inference_precision", "execution_mode"],
    "device": ["full_name", "type", "architecture", "capabilities"],
    "streams": ["num"],
}


@pytest.mark.parametrize("module", list(_KEYS))
def test_property_keys_and_enums_match(module):
    """Each property is OpenVINO's key, called bare or with a value; the enums have OpenVINO's members."""
    ours, theirs = _module(ovcl, module), _module(ov, module)
    for name in _KEYS[module]:
        assert getattr(ours, name) == getattr(theirs, name), name
        assert getattr(ours, name)() == getattr(theirs, name)() == str(getattr(theirs, name))
        assert getattr(ours, name)(7) == (str(getattr(theirs, name)), 7)
    for enum in {"hint": ["PerformanceMode", "ExecutionMode"], "device": ["Type"]}.get(module, []):
        assert {m.name for m in getattr(ours, enum)} == set(getattr(theirs, enum).__members__), enum
    if module == "streams":
        assert ours.Num.AUTO.to_integer() == theirs.Num.AUTO.to_integer()


def _compiled(api, config, core=None):
    core = core or api.Core()
    return core.compile_model(core.read_model(MODEL), "CPU", config)


@pytest.mark.parametrize("mode", ["LATENCY", "THROUGHPUT"])
def test_performance_hint_sets_the_request_count(mode):
    """The common throughput loop: AsyncInferQueue sized by OPTIMAL_NUMBER_OF_INFER_REQUESTS, results as serial."""
    x = np.random.default_rng(0).standard_normal((1, 1, 8, 8)).astype(np.float32)
    for api in (ov, ovcl):
        hints = _module(api, "hint")
        compiled = _compiled(api, {hints.performance_mode: getattr(hints.PerformanceMode, mode)})
        n = compiled.get_property(_module(api, "").optimal_number_of_infer_requests)
        assert n == 1 if mode == "LATENCY" else n >= 2
        assert int(compiled.get_property("NUM_STREAMS")) == n
        assert compiled.get_property("PERFORMANCE_HINT") == mode
        serial = compiled(x)[0]
        results = {}
        queue = api.AsyncInferQueue(compiled, n)
        queue.set_callback(lambda req, k: results.__setitem__(k, req.get_output_tensor(0).data.copy()))
        for k in range(6):
            queue.start_async({0: x}, k)
        queue.wait_all()
        assert sorted(results) == list(range(6))
        for r in results.values():
            np.testing.assert_array_equal(r, serial)


def test_num_streams_sets_the_request_count():
    """NUM_STREAMS set explicitly is read back, and the optimal number of requests follows it."""
    for api in (ov, ovcl):
        compiled = _compiled(api, {"NUM_STREAMS": 2})
        assert int(compiled.get_property("NUM_STREAMS")) == 2, api.__name__
        assert compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 2, api.__name__


def test_inference_num_threads_is_accepted_and_reads_back_what_runs():
    """A ported CPU script sets INFERENCE_NUM_THREADS: OpenVINO sizes its pool; an OpenCL driver runs its own on
    all compute units, so ovcl warns where the number differs and reads back what runs."""
    assert int(_compiled(ov, {"INFERENCE_NUM_THREADS": 1}).get_property("INFERENCE_NUM_THREADS")) == 1
    units = ovcl.Core().get_property("CPU", "COMPUTE_UNITS")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _compiled(ovcl, {"INFERENCE_NUM_THREADS": units}).get_property("INFERENCE_NUM_THREADS") == units
    with pytest.warns(UserWarning, match="POCL_MAX_PTHREAD_COUNT"):
        compiled = _compiled(ovcl, {"INFERENCE_NUM_THREADS": units + 1})
    assert compiled.get_property("INFERENCE_NUM_THREADS") == units


def test_settings_read_back():
    """PERF_COUNT, the hint's number of requests and the precision hint are accepted and read back: the
    precision as the one computed in (OpenVINO: bf16 or f16 on CPUs that have it; ovcl: f32, with a warning)."""
    for api in (ov, ovcl):
        props, hints = _module(api, ""), _module(api, "hint")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = _compiled(api, {props.enable_profiling: True, hints.num_requests: 1,
                                       hints.performance_mode: hints.PerformanceMode.THROUGHPUT,
                                       hints.inference_precision: api.Type.f16})
        assert str(compiled.get_property("PERF_COUNT")).upper() in ("YES", "TRUE")
        assert compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 1
        assert isinstance(compiled.get_property("INFERENCE_PRECISION_HINT"), api.Type)
        assert isinstance(compiled.get_property(props.model_name), str)
        assert compiled.get_property("EXECUTION_DEVICES") == ["CPU"]
        supported = compiled.get_property(props.supported_properties)
        for key in ("NETWORK_NAME", "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "NUM_STREAMS", "PERF_COUNT",
                    "INFERENCE_PRECISION_HINT", "PERFORMANCE_HINT", "EXECUTION_DEVICES"):
            assert key in supported, (api.__name__, key)
    with pytest.warns(UserWarning, match="runs in f32"):
        compiled = _compiled(ovcl, {"INFERENCE_PRECISION_HINT": "f16"})
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == ovcl.Type.f32


def test_loaded_from_cache(tmp_path):
    """The second compilation with CACHE_DIR set comes from the cache (ovcl plans a model with a dynamic batch at
    its first inference, so the flag is read after one)."""
    x = np.zeros((1, 1, 8, 8), np.float32)
    for api in (ov, ovcl):
        core = api.Core()
        core.set_property({"CACHE_DIR": str(tmp_path / api.__name__)})
        for cached in (False, True):
            compiled = _compiled(api, {}, core)
            compiled(x)
            assert compiled.get_property("LOADED_FROM_CACHE") is cached


def test_device_properties():
    for api in (ov, ovcl):
        core, device = api.Core(), _module(api, "device")
        assert isinstance(core.get_property("CPU", device.full_name), str)
        assert core.get_property("CPU", device.type) in (device.Type.INTEGRATED, device.Type.DISCRETE)
        assert "FP32" in core.get_property("CPU", device.capabilities)
        assert core.get_property("CPU", "PERFORMANCE_HINT") == _module(api, "hint").PerformanceMode.LATENCY
        assert "PERFORMANCE_HINT" in core.get_property("CPU", "SUPPORTED_PROPERTIES")


_BAD_CONFIG = {
    "unknown key at compile": lambda api: _compiled(api, {"FOO": 1}),
    "unknown device property": lambda api: api.Core().get_property("CPU", "FOO"),
    "unknown compiled property": lambda api: _compiled(api, {}).get_property("FOO"),
    "a hint that is no mode": lambda api: _compiled(api, {"PERFORMANCE_HINT": "FAST"}),
    "streams that are no number": lambda api: _compiled(api, {"NUM_STREAMS": "x"}),
    "setting a compiled model": lambda api: _compiled(api, {}).set_property({"PERF_COUNT": True}),
}


@pytest.mark.parametrize("case", list(_BAD_CONFIG))
def test_bad_properties_are_refused(case):
    for api in (ov, ovcl):
        with pytest.raises(RuntimeError):
            _BAD_CONFIG[case](api)
    with pytest.raises(ovcl.ConfigError):
        _BAD_CONFIG[case](ovcl)


def test_unknown_settings_are_refused_at_once():
    """OpenVINO refuses an unknown key in Core.set_property only once its plugin is loaded; ovcl always."""
    for attempt in (lambda: ovcl.Core().set_property("CPU", {"FOO": 1}), lambda: ovcl.Core().set_property({"FOO": 1})):
        with pytest.raises(ovcl.ConfigError, match="unsupported property 'FOO'.*PERFORMANCE_HINT"):
            attempt()


def test_convert_model_refuses_unknown_arguments():
    for api in (ov, ovcl):
        with pytest.raises(TypeError):
            api.convert_model(MODEL, no_such_argument=1)
        api.convert_model(MODEL, verbose=False, share_weights=True)


def test_profiling_info():
    """With PERF_COUNT: a line per executed node with its kernel and a time; the executed nodes' times add up
    to no more than the inference; fused nodes are OPTIMIZED_OUT. Without: ovcl says how to turn it on."""
    x = np.random.default_rng(0).standard_normal((1, 1, 8, 8)).astype(np.float32)
    for api in (ov, ovcl):
        request = _compiled(api, {"PERF_COUNT": True}).create_infer_request()
        start = time.perf_counter()
        request.infer({0: x})
        elapsed = time.perf_counter() - start
        info = request.get_profiling_info()
        executed = [i for i in info if i.status == i.Status.EXECUTED]
        assert {"Convolution", "Softmax"} <= {i.node_type for i in executed}
        assert all(isinstance(i.real_time, datetime.timedelta) and i.exec_type for i in executed)
        assert 0 < sum(i.real_time.total_seconds() for i in executed) <= elapsed
    fused = {i.node_name: i.node_type for i in info if i.status == i.Status.OPTIMIZED_OUT}
    assert fused.get("relu1") == "Relu"
    request = _compiled(ovcl, {}).create_infer_request()
    request.infer({0: x})
    with pytest.raises(ovcl.InferenceError, match="PERF_COUNT"):
        request.get_profiling_info()


def test_profile_times_each_launch_either_way():
    """``compiled.profile``: one (launch, seconds) per launch of the plan, in order, by the kernels' profiling
    events or (``synchronised``) by the host between waits; the inference's results are unchanged by either."""
    x = np.random.default_rng(1).standard_normal((1, 1, 8, 8)).astype(np.float32)
    compiled = _compiled(ovcl, {})
    want = compiled(x)[0]
    launches = compiled._current_plan().launches
    for synchronised in (False, True):
        start = time.perf_counter()
        prof = compiled.profile(x, synchronised=synchronised)
        elapsed = time.perf_counter() - start
        assert [launch for launch, _ in prof] == list(launches)
        assert all(seconds > 0 for _, seconds in prof) and sum(seconds for _, seconds in prof) <= elapsed
        np.testing.assert_array_equal(compiled(x)[0], want)


# -- tensors and requests -----------------------------------------------------------------------------------
def _static(api):
    core = api.Core()
    model = core.read_model(MODEL)
    model.reshape([1, 1, 8, 8])
    return core.compile_model(model, "CPU")


def _image(seed):
    return np.random.default_rng(seed).standard_normal((1, 1, 8, 8)).astype(np.float32)


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_tensor_constructors_and_methods(api):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    copied, shared = api.Tensor(a), api.Tensor(a, shared_memory=True)
    a[0, 0] = 100
    assert copied.data[0, 0] == 0 and shared.data[0, 0] == 100
    t = api.Tensor(api.Type.f32, [2, 3])
    assert (t.shape == [2, 3], t.data.dtype, t.size, t.byte_size, t.get_size()) == (True, np.float32, 6, 24, 6)
    assert t.shape == api.Shape([2, 3]) and list(t.get_shape()) == [2, 3]
    assert t.element_type == api.Type.f32 and t.is_continuous()
    t.set_shape([3, 2])
    assert t.data.shape == (3, 2)
    t.copy_from(np.ones((2, 2), np.float32))
    assert t.shape == [2, 2] and t.data.sum() == 4
    u = api.Tensor(api.Type.f32, [1])
    t.copy_to(u)
    assert u.shape == [2, 2] and u.data.sum() == 4


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_string_tensors(api):
    """Text in, UTF-8 bytes kept; str_data / bytes_data read and write them; .data is a copy, with a warning."""
    t = api.Tensor(np.array([["ab", "cd\u00e9"], ["", "x y"]]))
    assert t.get_element_type() == api.Type.string and t.shape == [2, 2]
    assert t.str_data.tolist() == [["ab", "cd\u00e9"], ["", "x y"]]
    assert t.bytes_data.tolist() == [[b"ab", b"cd\xc3\xa9"], [b"", b"x y"]]
    assert t.get_byte_size() == 4 * api.Type.string.size
    with pytest.warns(RuntimeWarning):
        assert t.data.tolist() == t.bytes_data.tolist()
    u = api.Tensor(api.Type.string, [3])
    u.bytes_data = [b"a\x00b", b"c", b"\xff"]
    assert u.bytes_data.tolist() == [b"a\x00b", b"c", b"\xff"]
    u.str_data = ["p", "q", "r"]
    assert u.str_data.tolist() == ["p", "q", "r"]
    with pytest.raises(RuntimeError):
        u.str_data = ["too few"]
    with pytest.raises(RuntimeError):
        api.Tensor(np.zeros(2, np.float32)).str_data    # noqa: B018


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_preallocated_and_user_tensors(api):
    """Inputs filled in place, outputs written into the request's tensors or the user's, results that the next
    inference does not overwrite (share_outputs=False), f64 arrays converted to an f32 input."""
    compiled = _static(api)
    x1, x2 = _image(1), _image(2)
    ref1, ref2 = compiled(x1)[0].copy(), compiled(x2)[0].copy()
    request = compiled.create_infer_request()
    assert request.get_output_tensor(0).shape == [1, 10]
    request.get_input_tensor().data[:] = x1
    first = request.infer()
    np.testing.assert_array_equal(first[0], ref1)
    np.testing.assert_array_equal(request.get_output_tensor(0).data, ref1)
    request.infer({0: x2})
    np.testing.assert_array_equal(first[0], ref1)           # a result is not overwritten by the next inference
    shared = request.infer({0: x1}, share_outputs=True)
    assert np.shares_memory(shared[0], request.get_output_tensor(0).data)
    mine = api.Tensor(api.Type.f32, [1, 10])
    request.set_output_tensor(0, mine)
    request.infer({0: x2})
    np.testing.assert_array_equal(mine.data, ref2)
    np.testing.assert_allclose(compiled(x1.astype(np.float64))[0], ref1, rtol=1e-6)
    x = x1.copy()
    request.infer({0: x}, share_inputs=True)
    assert np.shares_memory(request.get_input_tensor().data, x)


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_callback_userdata_and_latency(api):
    request = _static(api).create_infer_request()
    seen = []
    request.set_callback(seen.append, "from set_callback")
    request.start_async({0: _image(0)})
    request.wait()
    request.start_async({0: _image(0)}, userdata="from start_async")
    request.wait()
    assert seen == ["from set_callback", "from start_async"]
    assert request.latency > 0


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_types_dimensions_shapes(api):
    assert api.Type(np.float32) == api.Type.f32
    assert api.Type.f32.is_real() and not api.Type.i32.is_real() and api.Type.i8.is_integral()
    assert api.Type.f32.is_static() and api.Type.f32.get_type_name() == "f32"
    d = api.Dimension("1..10")
    assert (d.get_min_length(), d.get_max_length(), str(d)) == (1, 10, "1..10")
    assert api.PartialShape([1, -1, 3]).to_string() == "[1,?,3]"
    assert api.Shape([1, 3]).to_string() == "[1,3]" and api.Shape([1, 3]) == [1, 3]
    assert _static(api).input(0).get_shape() == [1, 1, 8, 8]
    f32, i32, dyn = api.Type.f32, api.Type.i32, api.Type.dynamic
    assert (f32.real, f32.integral, i32.integral_number, f32.signed, f32.quantized, f32.get_bitwidth(),
            f32.get_size(), f32.to_string(), f32.type_name) == (True, False, True, True, False, 32, 4, "f32", "f32")
    assert f32.compatible(dyn) and not f32.compatible(i32) and dyn.merge(f32) == f32 and f32.merge(i32) is None
    assert (api.Dimension(2, 5).min_length, api.Dimension().max_length) == (2, -1)
    assert api.Dimension(2, 5).refines(api.Dimension(1, 6)) and not api.Dimension().refines(api.Dimension(1, 3))
    assert api.Dimension(2, 5).relaxes(api.Dimension(3)) and api.Dimension(2, 5).same_scheme(api.Dimension(1, 9))
    p = api.PartialShape([1, -1, 3])
    assert p.all_non_negative and p.get_dimension(2) == api.Dimension(3)
    assert p.refines(api.PartialShape([1, -1, -1])) and p.relaxes(api.PartialShape([1, 2, 3]))
    assert p.same_scheme(api.PartialShape([1, -1, 3])) and not p.same_scheme(api.PartialShape([1, 2, 3]))


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_queue_and_request_extras(api, tmp_path):
    """AsyncInferQueue's userdata and idle request id, infer_new_request, release_memory, get_versions,
    serialize (weights kept f32, a .bin named apart)."""
    compiled = _static(api)
    x = _image(4)
    ref = compiled(x)[0].copy()
    queue = api.AsyncInferQueue(compiled, 2)
    for k in range(5):
        queue.start_async({0: x}, userdata=k)
    queue.wait_all()
    assert 4 in queue.userdata and set(queue.userdata) <= set(range(5))     # each request's latest job
    assert queue.get_idle_request_id() in (0, 1) and len(list(queue)) == 2
    np.testing.assert_array_equal(compiled.infer_new_request({0: x})[0], ref)
    compiled.release_memory()
    np.testing.assert_array_equal(compiled(x)[0], ref)
    assert list(api.Core().get_versions("CPU")) == ["CPU"]
    model = api.Core().read_model(MODEL)
    api.serialize(model, str(tmp_path / "m.xml"), str(tmp_path / "w.bin"))
    for reader in (ov, ovcl):
        back = reader.Core().read_model(str(tmp_path / "m.xml"), str(tmp_path / "w.bin"))
        assert back.input(0).get_partial_shape() == reader.PartialShape([-1, 1, 8, 8])


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_model_accessors(api, tmp_path):
    model = api.Core().read_model(MODEL)
    (result,) = model.get_results()
    assert model.dynamic and model.get_output_size() == 1 and model.get_output_op(0) is not None
    assert model.get_output_element_type(0) == api.Type.f32
    assert model.get_output_partial_shape(0) == api.PartialShape([-1, 10])
    assert model.get_result().get_friendly_name() == result.get_friendly_name() == model.result.get_friendly_name()
    assert len(model.parameters) == len(model.results) == 1
    assert model.get_parameter_index(model.get_parameters()[0]) == 0
    assert model.get_result_index(model.output(0)) == model.get_result_index(result.output(0)) == 0
    model.set_friendly_name("renamed")
    assert model.friendly_name == model.get_friendly_name() == "renamed"
    assert isinstance(dict(model.output(0).rt_info), dict)
    (tmp_path / "f.bin").write_bytes(b"abc")
    assert api.tensor_from_file(str(tmp_path / "f.bin")).data.tolist() == [97, 98, 99]


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_model_outputs_rt_info_names_and_intervals(api, tmp_path):
    """add_outputs (tensor name, (node, index), port; not twice), the rt_info API by path, tensor names through
    get_tensor(), reshape with intervals; the model saves and computes the added outputs."""
    model = api.Core().read_model(MODEL)
    (r1,) = model.add_outputs(["r1"])
    (r2,) = model.add_outputs([("relu2", 0)])
    assert "r1" in r1.get_names() and "r2" in r2.get_names()
    assert len(model.add_outputs("r1")) == 1 and len(model.outputs) == 3
    with pytest.raises(RuntimeError):
        model.add_outputs(["no_such_tensor"])
    model.set_rt_info("v", ["a", "b"])
    assert model.has_rt_info(["a", "b"]) and not model.has_rt_info("zz")
    assert model.get_rt_info(["a", "b"]).astype(str) == "v"
    tensor = model.output(0).get_tensor()
    tensor.set_names({"probabilities"})
    tensor.add_names({"p"})
    assert model.output(0).get_names() == {"probabilities", "p"}
    model.reshape([1, 1, (8, 16), (8, 16)])
    assert str(model.input(0).get_partial_shape()) == "[1,1,8..16,8..16]"
    model.reshape([1, 1, 8, 8])
    results = api.Core().compile_model(model, "CPU")(_image(5))
    assert [tuple(results[k].shape) for k in range(3)] == [(1, 10), (1, 8, 8, 8), (1, 16, 4, 4)]
    api.save_model(model, str(tmp_path / "m.xml"))
    back = ov.Core().read_model(str(tmp_path / "m.xml"))
    assert len(back.outputs) == 3 and back.has_rt_info(["a", "b"])


def test_core_features_ovcl_does_not_have_are_typed_errors():
    core = ovcl.Core()
    for call in (lambda: core.add_extension("libcustom_ops.so"), lambda: core.register_plugin("x.so", "X"),
                 lambda: core.create_context("GPU", {}), lambda: core.get_default_context("CPU")):
        with pytest.raises(ovcl.NotSupportedError):
            call()
    core.unload_plugin("CPU")           # nothing to unload; the device keeps working
    assert core.compile_model(MODEL, "CPU")(_image(0))[0].shape == (1, 10)


# -- export / import -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_export_and_import_give_the_same_results(api):
    compiled = _static(api)
    x = _image(3)
    blob = compiled.export_model()
    imported = api.Core().import_model(blob, "CPU")
    np.testing.assert_array_equal(imported(x)[0], compiled(x)[0])
    assert [p.get_any_name() for p in imported.inputs] == [p.get_any_name() for p in compiled.inputs]


def test_imported_dynamic_model_plans_new_shapes():
    core = ovcl.Core()
    compiled = core.compile_model(MODEL, "CPU")
    x1, x3 = _image(1), np.concatenate([_image(k) for k in range(3)])
    ref1, ref3 = compiled(x1)[0], compiled(x3)[0]
    imported = core.import_model(io.BytesIO(compiled.export_model()), "CPU")
    np.testing.assert_array_equal(imported(x1)[0], ref1)      # exported plan
    np.testing.assert_array_equal(imported(x3)[0], ref3)      # planned after import


def _edit_blob(blob: bytes, name: str, edit) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(blob)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            z.writestr(n, edit(src.read(n)) if n == name else src.read(n))
    return out.getvalue()


_BAD_BLOBS = {
    "not a blob": (lambda b: b"\x00garbage", "not a model exported by ovcl"),
    "truncated": (lambda b: b[: len(b) // 2], "not a model exported by ovcl"),
    "another device": (lambda b: _edit_blob(b, "manifest.json", lambda t: t.replace(b'"device": "', b'"device": "X')),
                       "it was compiled for"),
    "another version": (lambda b: _edit_blob(b, "manifest.json", lambda t: t.replace(b'"ovcl": "', b'"ovcl": "0.0')),
                        "exported it, this is ovcl"),
    "damaged plan": (lambda b: _edit_blob(b, next(n for n in zipfile.ZipFile(io.BytesIO(b)).namelist()
                                                  if n.endswith("plan.json")), lambda t: t[:20]), "damaged"),
}


@pytest.mark.parametrize("case", list(_BAD_BLOBS))
def test_import_refuses_bad_blobs(case):
    edit, message = _BAD_BLOBS[case]
    blob = edit(_static(ovcl).export_model())
    with pytest.raises(ovcl.ImportModelError, match=message):
        ovcl.Core().import_model(blob, "CPU")


@pytest.mark.parametrize("api", [ov, ovcl], ids=["openvino", "ovcl"])
def test_runtime_model_is_the_execution_graph(api):
    """One node per executed kernel with layerType / primitiveType / originalLayersNames in its rt_info; the fused
    ReLU named in its convolution's node."""
    def text(v):
        return v.astype(str) if hasattr(v, "astype") else str(v)

    compiled = _static(api)
    compiled(_image(0))
    nodes = [op.get_rt_info() for op in compiled.get_runtime_model().get_ordered_ops()]
    convs = [rt for rt in nodes if "layerType" in rt and text(rt["layerType"]) == "Convolution"]
    assert convs and all(text(rt["primitiveType"]) and "execOrder" in rt for rt in convs)
    if api is ovcl:
        assert any("relu1" in text(rt["originalLayersNames"]).split(",") for rt in convs)
        assert len([rt for rt in nodes if "layerType" in rt]) == len(compiled.launches())
