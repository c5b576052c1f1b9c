"""The last step of the NHWC frontends (TensorFlow, TFLite), which translate spatial ops literally between two
Transposes: cut the model where ``convert_model(input=..., output=...)`` asks, while every framework tensor
still exists under its name, then let the layout pass sink and cancel the Transposes (it merges away the
NHWC intermediates, and their names with them)."""
from __future__ import annotations

from ovcl.ir import Model
from ovcl.ir.passes import sink_transposes
from ovcl.ir.passes.cut import apply_input_spec, cut_outputs


def finish_nhwc(model: Model, input=None, output=None) -> Model:  # noqa: A002
    if input is not None:
        apply_input_spec(model, input)
    if output is not None:
        model = cut_outputs(model, output)
    sink_transposes(model)
    return model
