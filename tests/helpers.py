"""Shared test helpers: build small ONNX graphs, run them through ovcl and through reference runtimes."""
from __future__ import annotations

import numpy as np


def onnx_model(nodes, inputs, outputs, opset=17, initializers=()):
    """``inputs``/``outputs``: lists of (name, numpy dtype or None, shape or None)."""
    import onnx
    from onnx import helper

    def vi(name, dtype, shape):
        if dtype is None:            # type left to inference: an output ValueInfo with no type at all
            return onnx.ValueInfoProto(name=name)
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)

    graph = helper.make_graph(list(nodes), "test", [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              initializer=[onnx.numpy_helper.from_array(np.asarray(v), n) for n, v in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def run_ovcl(model, feeds: dict, device="CPU"):
    """Compile ``model`` (ModelProto, path or ovcl.Model) on ``device`` and run it once; list of outputs."""
    import ovcl
    if not isinstance(model, ovcl.Model):
        model = ovcl.read_model(model.SerializeToString() if hasattr(model, "SerializeToString") else model)
    compiled = ovcl.compile_model(model, device)
    return list(compiled(feeds).to_tuple())


def run_ort(model, feeds: dict):
    import onnxruntime as ort
    data = model.SerializeToString() if hasattr(model, "SerializeToString") else model
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def assert_close(actual, expected, rtol=1e-4, atol=1e-5):
    for a, e in zip(actual, expected):
        e = np.asarray(e)
        assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
        if e.dtype.kind in "iub":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
