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
