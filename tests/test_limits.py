"""Bad or oversized models get typed errors that say what is wrong: empty files, models that compute nothing,
tensors beyond what the device can allocate (never a MemoryError or an out-of-memory kill)."""
from __future__ import annotations

import numpy as np
import pytest

import ovcl

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def test_empty_files_are_refused(tmp_path):
    for suffix in (".onnx", ".xml"):
        (tmp_path / f"empty{suffix}").write_bytes(b"")
        with pytest.raises(ovcl.OVCLError, match="empty|no|not"):
            ovcl.read_model(str(tmp_path / f"empty{suffix}"))
    with pytest.raises(ovcl.FrontendError, match="empty"):
        ovcl.read_model(b"")


def test_a_model_without_outputs_is_refused(tmp_path):
    path = tmp_path / "nothing.onnx"
    onnx.save(helper.make_model(helper.make_graph([], "g", [], [])), str(path))
    with pytest.raises(ovcl.FrontendError, match="no graph outputs"):
        ovcl.read_model(str(path))


def test_a_tensor_beyond_the_device_is_a_compile_error(tmp_path):
    """A 100-byte model asking for 10^18 elements: the compiler names the node and the device's limit."""
    shape = numpy_helper.from_array(np.array([10 ** 9, 10 ** 9], np.int64), "s")
    graph = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["s"], ["y"], value=numpy_helper.from_array(np.ones(1, np.float32)))],
        "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[shape])
    path = tmp_path / "huge.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    model = ovcl.read_model(str(path))
    with pytest.raises(ovcl.CompileError, match="ConstantOfShape.*bytes.*does not fit"):
        ovcl.compile_model(model, "CPU")


def test_readers_stay_in_the_models_folder(tmp_path):
    """A .bin beside the .xml, or ONNX external data, that links out of the model's folder is not read."""
    import os
    model = ovcl.read_model(str(__import__("pathlib").Path(ovcl.__file__).parent / "models" / "digits.onnx"))
    elsewhere, folder = tmp_path / "elsewhere", tmp_path / "model"
    elsewhere.mkdir()
    folder.mkdir()
    ovcl.save_model(model, str(elsewhere / "m.xml"))
    (folder / "m.xml").write_bytes((elsewhere / "m.xml").read_bytes())
    os.symlink(elsewhere / "m.bin", folder / "m.bin")
    with pytest.raises(ovcl.IRError, match="links outside"):
        ovcl.read_model(str(folder / "m.xml"))
    assert ovcl.read_model(str(folder / "m.xml"), str(elsewhere / "m.bin")) is not None    # asked for: read
    w = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    onnx.external_data_helper.set_external_data(w, location="w.bin")
    w.ClearField("raw_data")
    (elsewhere / "w.bin").write_bytes(np.ones((2, 2), np.float32).tobytes())
    os.symlink(elsewhere / "w.bin", folder / "w.bin")
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], initializer=[w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "ext.onnx"))
    with pytest.raises(ovcl.FrontendError, match="outside"):
        ovcl.read_model(str(folder / "ext.onnx"))


def _model(nodes, inputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def test_tensor_rank_is_bounded():
    """Rank up to MAX_RANK works; beyond it (an input, an initializer, a computed shape) is a typed error naming
    the node, not NumPy's ValueError at the first inference."""
    from ovcl.ir.shape import MAX_RANK
    x = np.random.default_rng(0).standard_normal([1] * (MAX_RANK - 2) + [2, 3]).astype(np.float32)
    ok = _model([helper.make_node("Add", ["x", "x"], ["y"])],
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))])
    np.testing.assert_array_equal(ovcl.compile_model(ovcl.read_model(ok), "CPU")({"x": x})[0], x + x)
    deep = _model([helper.make_node("Add", ["x", "x"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * (MAX_RANK + 1))])
    with pytest.raises(ovcl.IRError, match=f"Parameter node 'x'.*rank {MAX_RANK + 1}.*up to {MAX_RANK}"):
        ovcl.read_model(deep)
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1] * 100, float_data=[1.0])
    init = _model([helper.make_node("Add", ["x", "w"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])], [w])
    with pytest.raises(ovcl.FrontendError, match="initializer 'w' has rank 100"):
        ovcl.read_model(init)
    reshape = _model([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
                     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                     [numpy_helper.from_array(np.ones(100, np.int64), "s")])
    with pytest.raises(ovcl.OVCLError, match="Reshape node 'r'.*rank 100"):
        ovcl.read_model(reshape)


def test_malformed_constants_are_refused():
    """Negative dims (NumPy would read -5 as "the rest" and give a wrong shape), data shorter than the shape,
    sparse constants whose dense form is beyond the fold limit or whose indices fall outside it."""
    x = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])]
    neg = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[-5, 3])
    with pytest.raises(ovcl.FrontendError, match="'w' has a negative dimension"):
        ovcl.read_model(_model([helper.make_node("Add", ["x", "w"], ["y"])], x, [neg]))
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20])
    with pytest.raises(ovcl.FrontendError, match="'w' cannot be read"):
        ovcl.read_model(_model([helper.make_node("Add", ["x", "w"], ["y"])], x, [short]))

    def sparse(dims, indices):
        values = numpy_helper.from_array(np.ones(len(indices), np.float32), "v")
        return helper.make_sparse_tensor(values, numpy_helper.from_array(np.array(indices, np.int64), "i"), dims)

    def constant(sp):
        return _model([helper.make_node("Constant", [], ["c"], name="k", sparse_value=sp),
                       helper.make_node("Add", ["x", "c"], ["y"])], x)

    with pytest.raises(ovcl.FrontendError, match="Constant node 'k'.*GiB"):
        ovcl.read_model(constant(sparse([10 ** 6, 10 ** 6], [0])))
    with pytest.raises(ovcl.FrontendError, match="Constant node 'k'.*indices do not fit"):
        ovcl.read_model(constant(sparse([4], [7])))
    good = ovcl.read_model(constant(sparse([4], [1, 3])))
    np.testing.assert_array_equal(ovcl.compile_model(good, "CPU")({"x": np.ones(1, np.float32)})[0],
                                  [1, 2, 1, 2])


def test_nested_graph_depth_is_bounded():
    """If inside If, 30 deep, converts and runs; protobuf's parser refuses nesting past its 100 message levels
    (about 33 Ifs) with a typed error, so nothing deeper reaches ovcl's recursive translation."""
    def nested(depth):
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
        g = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g0", [], [out])
        for d in range(depth):
            other = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], f"e{d}", [], [out])
            g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=g, else_branch=other)],
                                  f"g{d + 1}", [], [out])
        top = helper.make_graph(list(g.node), "top", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
                                                      helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                                [out])
        return helper.make_model(top, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()

    x = np.array([1.5, -2.0], np.float32)
    compiled = ovcl.compile_model(ovcl.read_model(nested(30)), "CPU")
    np.testing.assert_array_equal(compiled({"x": x, "c": np.array(True)})[0], -x)
    np.testing.assert_array_equal(compiled({"x": x, "c": np.array(False)})[0], x)
    # 40 Ifs written on the wire by hand (protobuf's own builder refuses such depth): GraphProto.node (1) →
    # NodeProto.attribute (5) → AttributeProto.g (6) → GraphProto ..., in ModelProto.graph (7)
    def field(number: int, payload: bytes) -> bytes:
        return _varint(number << 3 | 2) + _varint(len(payload)) + payload

    graph = b""
    for _ in range(40):
        graph = field(1, field(4, b"If") + field(5, field(1, b"then_branch") + field(6, graph)))
    with pytest.raises(ovcl.FrontendError):
        ovcl.read_model(field(7, graph))


def _varint(n: int) -> bytes:
    out = b""
    while True:
        out += bytes([n & 0x7F | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out
