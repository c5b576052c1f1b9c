"""The OpenVINO-style API: devices, ports, results mapping, infer requests, errors, dynamic shapes, inspection."""
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

import ovcl
from helpers import onnx_model


@pytest.fixture(scope="module")
def add_relu():
    nodes = [helper.make_node("Add", ["x", "y"], ["s"], name="add"), helper.make_node("Relu", ["s"], ["out"], name="relu")]
    return onnx_model(nodes, [("x", np.float32, [2, 3]), ("y", np.float32, [3])], [("out", np.float32, [2, 3])])


@pytest.fixture(scope="module")
def compiled(add_relu):
    return ovcl.compile_model(ovcl.read_model(add_relu.SerializeToString()), "CPU")


def test_devices(core):
    assert "CPU" in core.available_devices
    assert isinstance(core.get_property("CPU", "FULL_DEVICE_NAME"), str)
    assert core.get_property("CPU", "COMPUTE_UNITS") >= 1
    with pytest.raises(ovcl.DeviceError, match="no OpenCL device 'GPU.7'"):
        core.compile_model(ovcl.read_model(onnx_model([helper.make_node("Relu", ["x"], ["y"])],
                                                      [("x", np.float32, [1])], [("y", np.float32, [1])])
                                           .SerializeToString()), "GPU.7")


def test_model_ports(add_relu):
    m = ovcl.read_model(add_relu.SerializeToString())
    assert [p.get_any_name() for p in m.inputs] == ["x", "y"]
    assert m.input("y").get_shape() == (3,)
    assert m.output(0).get_any_name() == "out"
    assert m.output().get_element_type() == ovcl.Type.f32
    assert [n.get_type_name() for n in m.get_ops()].count("Add") == 1
    with pytest.raises(ovcl.IRError, match="no input named 'z'"):
        m.input("z")


def test_results_mapping(compiled, rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = rng.standard_normal(3).astype(np.float32)
    ref = np.maximum(x + y, 0)
    res = compiled({"x": x, "y": y})
    for key in (0, "out", compiled.output(0), compiled.outputs[0]):
        np.testing.assert_allclose(res[key], ref, rtol=1e-6)
    np.testing.assert_allclose(res.to_tuple()[0], ref, rtol=1e-6)
    assert list(res.to_dict()) == [compiled.output(0)]
    np.testing.assert_allclose(compiled([x, y])[0], ref, rtol=1e-6)
    np.testing.assert_allclose(compiled(x, y)[0], ref, rtol=1e-6)


def test_infer_request(compiled, rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = rng.standard_normal(3).astype(np.float32)
    req = compiled.create_infer_request()
    req.set_tensor("x", ovcl.Tensor(x))
    req.set_tensor(compiled.input(1), ovcl.Tensor(y))
    req.infer()
    np.testing.assert_allclose(req.get_output_tensor(0).data, np.maximum(x + y, 0), rtol=1e-6)
    np.testing.assert_allclose(req.get_tensor("out").data, np.maximum(x + y, 0), rtol=1e-6)
    req.start_async({"x": -x, "y": y})
    req.wait()
    np.testing.assert_allclose(req.results["out"], np.maximum(-x + y, 0), rtol=1e-6)


def test_async_queue(compiled, rng):
    xs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(6)]
    y = np.zeros(3, np.float32)
    got = {}
    q = ovcl.AsyncInferQueue(compiled, 2)
    q.set_callback(lambda req, i: got.__setitem__(i, req.results[0].copy()))
    for i, x in enumerate(xs):
        q.start_async({"x": x, "y": y}, i)
    q.wait_all()
    for i, x in enumerate(xs):
        np.testing.assert_allclose(got[i], np.maximum(x, 0), rtol=1e-6)


def test_input_errors(compiled):
    good_x, good_y = np.zeros((2, 3), np.float32), np.zeros(3, np.float32)
    with pytest.raises(ovcl.InferenceError, match=r"input 'x' expects element type f32"):
        compiled({"x": ovcl.Tensor(good_x.astype(np.float64)), "y": good_y})    # a Tensor is not converted
    with pytest.raises(ovcl.InferenceError, match=r"input 'x' expects element type f32"):
        compiled({"x": good_x.astype(np.complex64), "y": good_y})
    with pytest.raises(ovcl.InferenceError, match=r"input 'y' expects shape \[3\], got \[4\]"):
        compiled({"x": good_x, "y": np.zeros(4, np.float32)})
    with pytest.raises(ovcl.InferenceError, match=r"takes 2 input"):
        compiled([good_x])
    with pytest.raises(ovcl.InferenceError, match=r"missing input"):
        compiled({"x": good_x})
    with pytest.raises(ovcl.InferenceError, match=r"no input 'q'"):
        compiled({"x": good_x, "y": good_y, "q": good_y})


def test_unsupported_onnx_op():
    m = onnx_model([helper.make_node("Relu", ["x"], ["r"], name="r1"),
                    helper.make_node("MadeUpOp", ["r"], ["y"], name="weird")],
                   [("x", np.float32, [1])], [("y", np.float32, [1])])
    with pytest.raises(ovcl.UnsupportedOpError, match=r"MadeUpOp \(node 'weird', opset 17\)"):
        ovcl.read_model(m.SerializeToString())


def test_op_without_kernel_is_a_compile_error():
    from ovcl.ir import Model, ops
    from ovcl.ir.ops.registry import Op, register

    @register
    class NoKernelOp(Op):
        type_name = "TestOnlyNoKernel"
        num_inputs = (1, 1)

        @classmethod
        def infer(cls, node):
            return [(node.input_type(0), node.input_shape(0))]

    try:
        p = ops.parameter([2], "f32", name="x")
        n = ops.make("TestOnlyNoKernel", [p], name="mystery")
        with pytest.raises(ovcl.CompileError, match=r"no OpenCL kernel for op TestOnlyNoKernel \(node 'mystery'\)"):
            ovcl.compile_model(Model([n], [p]), "CPU")
    finally:
        ops.OPS.pop("TestOnlyNoKernel")


def test_kernel_build_error_shows_log_and_node():
    from ovcl.device import get_device
    from ovcl.programs import build_program
    with pytest.raises(ovcl.KernelBuildError) as e:
        build_program(get_device("CPU"), "__kernel void k(__global float *a) { a[0] = undefined_thing; }",
                      "node 'broken'")
    assert "node 'broken'" in str(e.value) and "undefined_thing" in str(e.value)


def test_program_without_its_kernel_is_a_build_error(monkeypatch):
    """A driver handing back a program without the plan's kernels (PoCL does, from a cache entry a crashed
    process left) is a KernelBuildError naming the node and what to do, not a bare clCreateKernel error."""
    import ovcl.compiler
    from ovcl.ir import Model, ops
    from ovcl.programs import build_program
    monkeypatch.setattr(ovcl.compiler, "build_program", lambda device, source, what: build_program(
        device, "__kernel void other(__global float *a) { a[0] = 1.0f; }", what))
    p = ops.parameter([4], "f32", name="x")
    with pytest.raises(ovcl.KernelBuildError, match=r"Relu node '.*': .*lacks its kernel") as e:
        ovcl.compile_model(Model([ops.make("Relu", [p])], [p]), "CPU")
    assert "POCL_CACHE_DIR" in str(e.value)


def test_dynamic_shapes_plan_per_shape(rng):
    m = onnx_model([helper.make_node("Mul", ["x", "x"], ["y"])], [("x", np.float32, ["n", 4])],
                   [("y", np.float32, ["n", 4])])
    model = ovcl.read_model(m.SerializeToString())
    assert str(model.input(0).get_partial_shape()) == "[?,4]"
    c = ovcl.compile_model(model, "CPU")
    for n in (1, 7, 1):
        x = rng.standard_normal((n, 4)).astype(np.float32)
        np.testing.assert_allclose(c({"x": x})[0], x * x, rtol=1e-6)
    assert len(c._plans) == 2
    with pytest.raises(ovcl.InferenceError, match=r"expects shape \[\?,4\]"):
        c({"x": np.zeros((2, 5), np.float32)})


def test_reshape_model(rng):
    m = onnx_model([helper.make_node("Neg", ["x"], ["y"])], [("x", np.float32, [1, 3])], [("y", np.float32, None)])
    model = ovcl.read_model(m.SerializeToString())
    model.reshape({"x": [5, 3]})
    assert model.output(0).get_shape() == (5, 3)
    model.reshape([[2, "?"]])
    assert str(model.output(0).get_partial_shape()) == "[2,?]"


def test_launches_are_inspectable(compiled):
    launches = compiled.launches()
    assert [l.nodes for l in launches] == [["add", "relu"]]     # fused into one kernel
    for l in launches:
        assert f"__kernel void {l.kernel}(" in l.source
        assert len(l.gsize) == len(l.lsize)


def test_memory_is_reused():
    """A chain of 6 ops needs 2 intermediate buffers, not 5."""
    chain = [helper.make_node("Neg", [f"t{i}"], [f"t{i + 1}"]) for i in range(6)]
    m = onnx_model(chain, [("t0", np.float32, [256])], [("t6", np.float32, [256])])
    c = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU", {"OVCL_FUSION": "NO"})
    plan = c._current_plan()
    temps = {id(l.args[0].storage.buffer) for l in plan.launches[:-1]}
    assert len(temps) == 2
    x = np.arange(256, dtype=np.float32)
    np.testing.assert_array_equal(c([x])[0], x)


def test_f16_and_bool_io(rng):
    m = onnx_model([helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Greater", ["s", "b"], ["g"])],
                   [("a", np.float16, [9]), ("b", np.float16, [9])], [("s", np.float16, [9]), ("g", np.bool_, [9])])
    c = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    a = rng.standard_normal(9).astype(np.float16)
    b = rng.standard_normal(9).astype(np.float16)
    s, g = c({"a": a, "b": b}).to_tuple()
    assert s.dtype == np.float16 and g.dtype == np.bool_
    np.testing.assert_allclose(s, a + b, rtol=1e-3)
    np.testing.assert_array_equal(g, (a + b) > b)


def test_import_is_lazy():
    import subprocess
    import sys
    code = "import ovcl, sys; print(any(m in sys.modules for m in ('pyopencl', 'torch', 'onnx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_eltwise_chain_fusion_matches_unfused(rng):
    """An erf chain shaped like GELU as PyTorch exports it, x * 0.25 * (1 + erf(x / sqrt 2)), runs as one kernel,
    same numbers (with 0.5 it is a GELU, which fusion makes one Gelu op: tests/test_fusion.py)."""
    nodes = [helper.make_node("Div", ["x", "s2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["p"]), helper.make_node("Mul", ["x", "p"], ["m"]),
             helper.make_node("Mul", ["m", "quarter"], ["y"]), helper.make_node("Greater", ["y", "x"], ["g"])]
    m = onnx_model(nodes, [("x", np.float32, [3, 50])], [("y", np.float32, None), ("g", np.bool_, None)],
                   initializers=[("s2", np.float32(np.sqrt(2))), ("one", np.float32(1)), ("quarter", np.float32(0.25))])
    model = ovcl.read_model(m.SerializeToString())
    x = rng.standard_normal((3, 50)).astype(np.float32)
    fused = ovcl.compile_model(model, "CPU")
    plain = ovcl.compile_model(model, "CPU", {"OVCL_FUSION": "NO"})
    assert len(fused.launches()) == 2 and len(plain.launches()) == 6     # y is an output: g starts anew
    for a, b in zip(fused([x]).to_tuple(), plain([x]).to_tuple()):
        np.testing.assert_array_equal(a, b)
    from math import erf
    ref = x * 0.25 * (1 + np.vectorize(erf)(x / np.sqrt(2)))
    np.testing.assert_allclose(fused([x])[0], ref, rtol=1e-5, atol=1e-6)


def test_model_cache(tmp_path, rng, monkeypatch):
    """CACHE_DIR keeps compiled plans: a second compile loads them without rendering a template, a corrupt
    entry is rebuilt."""
    nodes = [helper.make_node("Mul", ["x", "w"], ["m"]), helper.make_node("Tanh", ["m"], ["y"])]
    w = rng.standard_normal(16).astype(np.float32)
    m = onnx_model(nodes, [("x", np.float32, [4, 16])], [("y", np.float32, None)], initializers=[("w", w)])
    model = ovcl.read_model(m.SerializeToString())
    x = rng.standard_normal((4, 16)).astype(np.float32)
    core = ovcl.Core()
    core.set_property({"CACHE_DIR": str(tmp_path)})
    first = core.compile_model(model, "CPU")
    entries = list(tmp_path.glob("ovcl-*"))
    assert len(entries) == 1 and not first._current_plan().stats.get("from_cache")
    with monkeypatch.context() as patch:
        patch.setattr("ovcl.programs.render", lambda *a, **k: pytest.fail("a cached plan rendered a template"))
        second = core.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    assert second._current_plan().stats.get("from_cache")
    np.testing.assert_array_equal(second([x])[0], first([x])[0])
    np.testing.assert_allclose(second([x])[0], np.tanh(x * w), rtol=1e-5, atol=1e-6)
    (entries[0] / "constants.bin").write_bytes(b"garbage")
    third = core.compile_model(model, "CPU")
    assert not third._current_plan().stats.get("from_cache")
    np.testing.assert_allclose(third([x])[0], np.tanh(x * w), rtol=1e-5, atol=1e-6)
    model.reshape([[2, 16]])                 # other content: another entry
    core.compile_model(model, "CPU")
    assert len(list(tmp_path.glob("ovcl-*"))) == 2


@pytest.mark.parametrize("shape", [(1,), (7, 5), (3, 4, 33)])
def test_data_dependent_shapes_run_in_segments(shape, rng):
    """NonZero's output length depends on values: the plan is cut there and the rest planned per length."""
    nodes = [helper.make_node("Greater", ["x", "t"], ["g"]), helper.make_node("NonZero", ["g"], ["nz"]),
             helper.make_node("Mul", ["nz", "two"], ["y"]), helper.make_node("Neg", ["x"], ["z"])]
    m = onnx_model(nodes, [("x", np.float32, list(shape)), ("t", np.float32, [])],
                   [("y", np.int64, None), ("z", np.float32, None)], initializers=[("two", np.int64(2))])
    c = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    x = rng.standard_normal(shape).astype(np.float32)
    for t in (0.5, -0.3, 10.0):
        y, z = c({"x": x, "t": np.float32(t)}).to_tuple()
        np.testing.assert_array_equal(y, np.array(np.nonzero(x > t)) * 2)
        np.testing.assert_array_equal(z, -x)
    assert any(l.op == "NonZero" for l in c.launches())


@pytest.mark.parametrize("streams", [1, 2])
def test_overlapping_inferences_match_serial(tmp_path, streams):
    """Inferences in flight at once run on instances of the plan of their own (buffers, kernels, queue), as
    many as NUM_STREAMS: eight threads on one compiled CNN give results bit-identical to serial ones, and that
    many instances were made (no lock serialised them, none ran beyond the streams)."""
    import threading
    model = ovcl.read_model(str(Path(ovcl.__file__).parent / "models" / "digits.onnx"))
    model.reshape([4, 1, 8, 8])
    compiled = ovcl.compile_model(model, "CPU", {"NUM_STREAMS": streams})
    assert compiled.get_property("NUM_STREAMS") == streams
    xs = [np.random.default_rng(k).standard_normal((4, 1, 8, 8)).astype(np.float32) for k in range(8)]
    serial = [compiled(x)[0] for x in xs]
    got: dict = {}
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        for _ in range(5):
            got.setdefault(k, []).append(compiled(xs[k])[0])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for k in range(8):
        for r in got[k]:
            np.testing.assert_array_equal(r, serial[k])
    assert compiled._plans.latest()._made == streams
