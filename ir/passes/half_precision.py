"""Inference in f16 (``INFERENCE_PRECISION_HINT=f16``): the f32 tensors inside a static graph are stored as f16,
as OpenVINO's GPU plugin does. Kernels still compute in float (they load f16 with ``vload_half`` and round
only when they store), so what changes is each intermediate tensor's rounding and the memory it takes and moves,
which halves. The model's inputs and outputs keep their f32 type: a Convert after each f32 input and before each
f32 output does the change of type on the device."""
from __future__ import annotations

import numpy as np

from ..model import Model
from ..node import Node, Output
from ..ops import constant, make
from ..types import Type
from .compress_fp16 import F16_MAX


def compute_in_f16(model: Model) -> int:
    """In place, on a static graph: every f32 tensor that is not an output becomes f16 (f32 constants are stored
    as f16, their values clamped to f16's range; an op that makes f32 from another type is followed by a Convert
    to f16), types are inferred again, and outputs go back to f32. Returns how many tensors became f16."""
    users: dict[Output, list[tuple[Node, int]]] = {}
    for node in model.get_ordered_ops():
        for i, src in enumerate(node.input_values()):
            users.setdefault(src, []).append((node, i))
    changed = 0
    for node in model.get_ordered_ops():
        if node.type_name == "Result":
            src = node.input_value(0)
            if node.get_output_element_type(0) is Type.f32 and src.get_element_type() is Type.f16:
                node.set_input(0, make("Convert", [src], name=f"{node.name}/to_f32",
                                       destination_type="f32").output(0))
            continue
        if node.type_name != "Constant":
            node.validate()
        for out in node.outputs():
            if out.get_element_type() is not Type.f32:
                continue
            inner = [(u, i) for u, i in users.get(out, []) if u.type_name != "Result"]
            if not inner:
                continue
            if node.type_name == "Constant":
                new = constant(_f16(node.value), Type.f16, name=f"{node.name}/f16").output(0)
            else:
                new = make("Convert", [out], name=f"{node.name}/to_f16", destination_type="f16").output(0)
            for u, i in inner:
                u.set_input(i, new)
            changed += 1
    return changed


def _f16(value: np.ndarray) -> np.ndarray:
    """``value`` in f16: finite values clamped to f16's finite range (a mask's -1e9 stays a large negative number,
    not -inf), infinities and NaN as they are."""
    v = np.asarray(value, dtype=np.float32)
    return np.where(np.isfinite(v), np.clip(v, -F16_MAX, F16_MAX), v).astype(np.float16)
