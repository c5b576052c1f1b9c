"""Module-level model functions, as in openvino: read_model, convert_model, save_model."""
from __future__ import annotations

from ovcl.ir import Model


def read_model(model, weights=None) -> Model:
    """Read OpenVINO IR (``.xml`` with ``.bin`` beside it or as ``weights``), or an ONNX, TFLite or TensorFlow
    model (a file, its bytes, or a SavedModel directory)."""
    from ovcl.frontends import load
    if isinstance(model, Model):
        return model
    return load(model, weights=weights)


def convert_model(input_model, *, input=None, output=None, example_input=None,  # noqa: A002 - OpenVINO's names
                  extension=None, verbose: bool = False, share_weights: bool = True, dynamo: bool = False,
                  stateful: bool | None = None) -> Model:
    """Convert a framework model (path, bytes, ModelProto, torch.nn.Module, Keras model, tf.function,
    paddle.nn.Layer) to an ``ovcl.Model``, with OpenVINO's arguments.

    ``input`` sets input shapes and types in the forms ``ovc`` accepts; ``output`` cuts the graph. ``verbose``
    and ``share_weights`` are accepted and change nothing (ovcl always copies weights into the model), and so is
    ``dynamo`` (OpenVINO's switch from torch.jit.trace to torch.export: ovcl always captures with
    torch.export); OpenVINO extensions (custom ops as C++ libraries) are not supported.

    A transformers decoder (``*Model``, ``*ForCausalLM``) converts with its KV cache, as OpenVINO's stateful LLM
    export has it: the cache is model state (``ReadValue``/``Assign``, with a ``beam_idx`` input) unless
    ``stateful=False`` asks for explicit ``past_key_values.N.key``/``present.N.key`` inputs and outputs."""
    from ovcl.frontends import load
    if extension is not None:
        from ovcl.frontends.errors import FrontendError
        raise FrontendError("convert_model(extension=...): OpenVINO extensions (custom ops, frontend extensions) "
                            "are not supported by ovcl; an op it cannot translate is named in its error instead")
    if not isinstance(input_model, Model):
        return load(input_model, input=input, output=output, example_input=example_input, stateful=stateful)
    if input is not None:
        from ovcl.ir.passes.cut import apply_input_spec
        apply_input_spec(input_model, input)
    if output is not None:
        from ovcl.ir.passes.cut import cut_outputs
        input_model = cut_outputs(input_model, output)
    return input_model


def save_model(model: Model, output_model, compress_to_fp16: bool = True) -> None:
    """Write ``model`` as IR v11 (``.xml`` + ``.bin``); floating-point weights compressed to FP16 by default."""
    from ovcl.ir.ir_writer import write_ir
    write_ir(model, output_model, compress_to_fp16=compress_to_fp16)


def serialize(model: Model, xml_path, bin_path="", version=None) -> None:
    """Write ``model`` as IR with its weights as they are (no FP16 compression), the ``.bin`` at ``bin_path``
    or beside the ``.xml``: ``openvino.serialize``. (``version``: ovcl writes IR v11 only.)"""
    from ovcl.ir.ir_writer import write_ir
    write_ir(model, xml_path, compress_to_fp16=False, bin_path=bin_path or None)
