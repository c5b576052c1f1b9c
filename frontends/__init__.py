"""Frontends: each turns a framework file or object into an ``ovcl.ir.Model``. ``load`` picks one."""
from __future__ import annotations

import os
from pathlib import Path

from ovcl.frontends.errors import FrontendError


def load(obj, input=None, output=None, example_input=None, weights=None, stateful=None):  # noqa: A002
    """Convert ``obj`` (a path, bytes, an ``onnx.ModelProto``, a ``torch.nn.Module``, a Keras model, a
    ``tf.function`` or a ``paddle.nn.Layer``) with its frontend, then set ``input`` shapes and types and cut at
    ``input`` / ``output`` tensor names (``convert_model``'s arguments). Live objects take ``input`` (and
    ``example_input``) while they are traced; the NHWC frontends cut before their layout pass, while every tensor
    name still exists. ``stateful``: a language-model decoder's KV cache as model state (default) or as explicit
    inputs and outputs (False); PyTorch decoders only."""
    model, done = _convert(obj, input, output, example_input, weights, stateful)
    if input is not None and "input" not in done:
        from ovcl.ir.passes.cut import apply_input_spec
        apply_input_spec(model, input)
    if output is not None and "output" not in done:
        from ovcl.ir.passes.cut import cut_outputs
        model = cut_outputs(model, output)
    return model


def _convert(obj, input, output, example_input, weights, stateful=None):  # noqa: A002
    """The frontend's model, and which of ``input`` / ``output`` it applied itself."""
    if stateful and not (type(obj).__module__.startswith("torch") or _is_torch_module(obj)):
        raise FrontendError("stateful=True applies to PyTorch language-model decoders (transformers models with "
                            "their KV cache on)")
    cuts = {"input", "output"}
    if isinstance(obj, str) and obj.lstrip().startswith("<"):      # IR given as XML text, as openvino allows
        from ovcl.ir.ir_reader import read_ir_bytes
        return read_ir_bytes(obj, weights), set()
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        suffix = path.suffix.lower()
        if suffix == ".onnx":
            from .onnx import convert
            return convert(path), set()
        if suffix == ".tflite":
            from .tflite import convert
            return convert(path, input=input, output=output), cuts
        if suffix == ".xml":
            from ovcl.ir.ir_reader import read_ir
            return read_ir(path, weights), set()
        if suffix in (".json", ".pdmodel"):                  # PaddlePaddle: PIR and legacy programs
            from .paddle import convert
            return convert(path, weights), set()
        if suffix in (".pb", ".pbtxt") or path.is_dir():      # TensorFlow: frozen graphs, SavedModels
            from .tensorflow import convert
            return convert(path, input=input, output=output), cuts
        if suffix in (".pt", ".pth", ".bin", ".safetensors"):
            raise FrontendError(f"{path.name}: ovcl never unpickles files; load the module in PyTorch and pass "
                                f"it to ovcl.convert_model(module, example_input=...)")
        if not path.exists():
            raise FrontendError(f"model file {path} does not exist")
        raise FrontendError(f"{path.name}: unknown model format '{suffix}' (ovcl reads .xml IR, .onnx, .tflite, "
                            f"TensorFlow .pb / .pbtxt and SavedModel directories, PaddlePaddle .json / .pdmodel)")
    if isinstance(obj, (bytes, bytearray)):
        if bytes(obj[:64]).lstrip().startswith(b"<"):
            from ovcl.ir.ir_reader import read_ir_bytes
            return read_ir_bytes(bytes(obj), weights), set()
        if bytes(obj[4:8]) == b"TFL3":                 # the FlatBuffer file identifier of TFLite models
            from .tflite import convert
            return convert(bytes(obj), input=input, output=output), cuts
        from .onnx import convert
        return convert(bytes(obj)), set()
    mod = type(obj).__module__
    if mod.startswith("onnx"):
        from .onnx import convert
        return convert(obj), set()
    from .tensorflow.live import is_tensorflow_object
    if is_tensorflow_object(obj):
        from .tensorflow.live import convert_live
        return convert_live(obj, example_input, input, output), cuts
    from .paddle.live import is_paddle_layer
    if is_paddle_layer(obj):
        from .paddle.live import convert_live as convert_paddle
        return convert_paddle(obj, example_input, input), {"input"}
    if mod.startswith("torch") or _is_torch_module(obj):
        from .pytorch import convert
        return convert(obj, example_input=example_input, input=input, stateful=stateful), {"input"}
    raise FrontendError(f"ovcl cannot convert a {type(obj).__name__}: give a model path (IR .xml, .onnx, .tflite, a "
                        f"TensorFlow SavedModel directory or .pb), bytes, an onnx.ModelProto, a torch.nn.Module, a "
                        f"Keras model, a tf.function or a paddle.nn.Layer")


def _is_torch_module(obj) -> bool:
    import sys
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, (torch.nn.Module, getattr(torch.export, "ExportedProgram", ())))
