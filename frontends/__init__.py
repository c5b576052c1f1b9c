"""Frontends: each turns a framework file or object into an ``ovcl.ir.Model``. ``load`` picks one."""
from __future__ import annotations

import os
from pathlib import Path

from ovcl.frontends.errors import FrontendError


def load(obj, **kwargs):
    """Convert ``obj`` (a path, bytes, an ``onnx.ModelProto``, a ``torch.nn.Module``, a Keras model or a
    ``tf.function``) with its frontend."""
    if isinstance(obj, str) and obj.lstrip().startswith("<"):      # IR given as XML text, as openvino allows
        from ovcl.ir.ir_reader import read_ir_bytes
        return read_ir_bytes(obj, kwargs.get("weights"))
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        suffix = path.suffix.lower()
        if suffix == ".onnx":
            from .onnx import convert
            return convert(path)
        if suffix == ".tflite":
            from .tflite import convert
            return convert(path)
        if suffix == ".xml":
            from ovcl.ir.ir_reader import read_ir
            return read_ir(path, kwargs.get("weights"))
        if suffix in (".pb", ".pbtxt") or path.is_dir():      # TensorFlow: frozen graphs, SavedModels
            from .tensorflow import convert
            return convert(path)
        if suffix in (".pt", ".pth", ".bin", ".safetensors"):
            raise FrontendError(f"{path.name}: ovcl never unpickles files; load the module in PyTorch and pass "
                                f"it to ovcl.convert_model(module, example_input=...)")
        if not path.exists():
            raise FrontendError(f"model file {path} does not exist")
        raise FrontendError(f"{path.name}: unknown model format '{suffix}' (ovcl reads .xml IR, .onnx, .tflite, TensorFlow "
                            f".pb / .pbtxt and SavedModel directories)")
    if isinstance(obj, (bytes, bytearray)):
        if bytes(obj[:64]).lstrip().startswith(b"<"):
            from ovcl.ir.ir_reader import read_ir_bytes
            return read_ir_bytes(bytes(obj), kwargs.get("weights"))
        if bytes(obj[4:8]) == b"TFL3":                 # the FlatBuffer file identifier of TFLite models
            from .tflite import convert
            return convert(bytes(obj))
        from .onnx import convert
        return convert(bytes(obj))
    mod = type(obj).__module__
    if mod.startswith("onnx"):
        from .onnx import convert
        return convert(obj)
    from .tensorflow.live import is_tensorflow_object
    if is_tensorflow_object(obj):
        from .tensorflow.live import convert_live
        return convert_live(obj, kwargs.get("example_input"), kwargs.get("input"))
    if mod.startswith("torch") or _is_torch_module(obj):
        from .pytorch import convert
        return convert(obj, **kwargs)
    raise FrontendError(f"ovcl cannot convert a {type(obj).__name__}: give a model path (IR .xml, .onnx, .tflite, a "
                        f"TensorFlow SavedModel directory or .pb), bytes, an onnx.ModelProto, a torch.nn.Module, a "
                        f"Keras model or a tf.function")


def _is_torch_module(obj) -> bool:
    import sys
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, (torch.nn.Module, getattr(torch.export, "ExportedProgram", ())))
