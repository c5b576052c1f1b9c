"""Module-level model functions, as in openvino: read_model, convert_model, save_model."""
from __future__ import annotations

from ovcl.ir import Model


def read_model(model, weights=None) -> Model:
    """Read OpenVINO IR (``.xml`` with ``.bin`` beside it or as ``weights``) or an ONNX file, path or bytes."""
    from ovcl.frontends import load
    if isinstance(model, Model):
        return model
    return load(model, weights=weights)


def convert_model(input_model, *, input=None, output=None, example_input=None, **kwargs) -> Model:  # noqa: A002
    """Convert a framework model (path, bytes, ModelProto, torch.nn.Module, Keras model, tf.function) to an
    ``ovcl.Model``.

    ``input`` sets input shapes and types in the forms ``ovc`` accepts; ``output`` cuts the graph."""
    from ovcl.frontends import load
    traced = _traced(input_model)
    if isinstance(input_model, Model):
        model = input_model
    else:
        extra = {"example_input": example_input, "input": input} if traced else {}
        model = load(input_model, **extra)
    if input is not None and not traced:        # PyTorch and TensorFlow objects take input= while tracing
        from ovcl.ir.passes.cut import apply_input_spec
        apply_input_spec(model, input)
    if output is not None:
        from ovcl.ir.passes.cut import cut_outputs
        model = cut_outputs(model, output)
    return model


def _traced(obj) -> bool:
    """Whether ``obj`` is a live framework object, converted by tracing it."""
    import sys
    from ovcl.frontends.tensorflow.live import is_tensorflow_object
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, (torch.nn.Module, getattr(torch.export, "ExportedProgram", ()))):
        return True
    return is_tensorflow_object(obj)


def save_model(model: Model, output_model, compress_to_fp16: bool = True) -> None:
    """Write ``model`` as IR v11 (``.xml`` + ``.bin``); floating-point weights compressed to FP16 by default."""
    from ovcl.ir.ir_writer import write_ir
    write_ir(model, output_model, compress_to_fp16=compress_to_fp16)
