"""ovcl: an OpenVINO-compatible model runtime whose every computation runs as OpenCL kernels.

Kept thin and lazy: ``import ovcl.ir`` runs this file first, and importing ovcl must not import pyopencl,
onnx or torch until they are needed.
"""
from ovcl.ir import Dimension, Model, Output, PartialShape, Shape, Type
from ovcl.ir.layout import Layout
from ovcl.errors import (CompileError, ConfigError, DeviceError, FrontendError, ImportModelError, IRError,
                         InferenceError, KernelBuildError, NotSupportedError, OVCLError, UnsupportedOpError)
from ovcl import properties

__version__ = "0.1.0"

_LAZY = {
    "Core": "ovcl.runtime", "CompiledModel": "ovcl.runtime", "InferRequest": "ovcl.runtime",
    "AsyncInferQueue": "ovcl.runtime", "Tensor": "ovcl.tensor", "OVDict": "ovcl.runtime",
    "ProfilingInfo": "ovcl.runtime",
    "compile_model": "ovcl.runtime",
    "read_model": "ovcl.convert", "convert_model": "ovcl.convert", "save_model": "ovcl.convert",
    "serialize": "ovcl.convert", "Version": "ovcl.runtime", "get_batch": "ovcl.layout_helpers",
    "set_batch": "ovcl.layout_helpers",
}


def get_version() -> str:
    """ovcl's version (``openvino.get_version()`` gives OpenVINO's build)."""
    return __version__


def shutdown() -> None:
    """As ``openvino.shutdown()``: nothing to release early (OpenCL contexts go with the process)."""


def tensor_from_file(path):
    """A u8 Tensor of a file's bytes, as ``openvino.tensor_from_file``."""
    import numpy as np
    from ovcl.tensor import Tensor
    return Tensor(np.fromfile(path, dtype=np.uint8), shared_memory=True)


_SUBMODULES = ("preprocess", "layout_helpers")


def __getattr__(name):
    if name in _SUBMODULES:             # ``ovcl.preprocess`` as ``openvino.preprocess``, without an import
        import importlib
        return importlib.import_module(f"ovcl.{name}")
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'ovcl' has no attribute '{name}'")
    import importlib
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = ["AsyncInferQueue", "CompileError", "CompiledModel", "ConfigError", "Core", "DeviceError", "Dimension",
           "FrontendError", "IRError", "ImportModelError", "InferRequest", "InferenceError", "KernelBuildError",
           "Layout", "Model", "NotSupportedError", "OVCLError", "OVDict", "Output", "PartialShape", "ProfilingInfo", "Shape", "Tensor", "Type",
           "UnsupportedOpError", "Version", "compile_model", "convert_model", "get_batch", "get_version", "properties",
           "read_model", "save_model", "serialize", "set_batch", "shutdown", "tensor_from_file"]
