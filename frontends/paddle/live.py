"""Live ``paddle.nn.Layer`` objects → ``ovcl.ir.Model``, through Paddle's own export: the layer is saved with
``paddle.jit.save`` (the form Paddle writes by default: PIR ``.json`` since 3.0) into a temporary folder and that
file is read as any other. Paddle is imported here only. Input specs come from ``input=`` (shapes, types, names)
or from ``example_input`` (arrays or Paddle tensors: their shapes and types)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Model


def is_paddle_layer(obj) -> bool:
    import sys
    paddle = sys.modules.get("paddle")
    return paddle is not None and isinstance(obj, paddle.nn.Layer)


def convert_live(layer, example_input=None, input=None) -> Model:  # noqa: A002
    import paddle

    specs = _specs(paddle, example_input, input)
    was_training = layer.training
    layer.eval()
    with tempfile.TemporaryDirectory(prefix="ovcl_paddle_") as tmp:
        prefix = str(Path(tmp) / "model")
        try:
            paddle.jit.save(layer, prefix, input_spec=specs)
        except Exception as e:
            raise FrontendError(f"Paddle could not export the {type(layer).__name__}: {type(e).__name__}: "
                                f"{e}") from e
        finally:
            if was_training:
                layer.train()
        program = next((p for p in (Path(prefix + ".json"), Path(prefix + ".pdmodel")) if p.exists()), None)
        if program is None:
            raise FrontendError("paddle.jit.save wrote no program file")
        from . import convert
        model = convert(program)
    model.name = type(layer).__name__
    return model


def _specs(paddle, example_input, input) -> list:  # noqa: A002
    if input is not None:
        from ovcl.ir.input_spec import parse_input_spec
        specs = []
        for k, e in enumerate(parse_input_spec(input)):
            if e.shape is None:
                raise FrontendError(f"input entry {k} ('{e}') gives no shape: a Paddle layer is exported for the "
                                    f"shapes given")
            dims = [d.get_length() if d.is_static else None for d in e.shape]
            dtype = np.dtype(e.type.dtype).name if e.type is not None else "float32"
            specs.append(paddle.static.InputSpec(dims, dtype, e.name or f"x{k}"))
        return specs
    if example_input is None:
        raise FrontendError("converting a paddle.nn.Layer needs example_input= (or input= with shapes)")
    items = list(example_input.items()) if isinstance(example_input, dict) else \
        [(f"x{k}", x) for k, x in enumerate(example_input if isinstance(example_input, (list, tuple))
                                             else [example_input])]
    specs = []
    for name, x in items:
        arr = x.numpy() if hasattr(x, "numpy") else np.asarray(x)
        specs.append(paddle.static.InputSpec(list(arr.shape), arr.dtype.name, name))
    return specs
