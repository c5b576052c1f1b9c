"""Passes that hold for every device: constant folding, no-op removal, specialisation to shapes."""
from __future__ import annotations

import numpy as np

from ..model import Model
from ..node import IRError, Node, Output
from ..ops import constant
from ..ops.state import STATE_SHAPE
from ..shape import PartialShape
from .compress_fp16 import DECOMPRESSION


# folding makes host arrays: an output larger than this is left to the device (whose memory is checked when
# the plan is made, a typed error rather than a MemoryError here)
FOLD_LIMIT_BYTES = 1 << 30


def _foldable(node: Node, keep_decompression: bool) -> bool:
    if node.type_name in ("Parameter", "Constant", "Result") or not node.op.can_evaluate():
        return False
    for k in range(node.get_output_size()):
        ps, t = node.get_output_partial_shape(k), node.get_output_element_type(k)
        if ps.is_static and t.dtype is not None and np.prod(ps.to_shape(), dtype=np.float64) * t.size > FOLD_LIMIT_BYTES:
            return False
    if keep_decompression and node.type_name == "Convert" and DECOMPRESSION in node.rt_info:
        return False
    if node.type_name == "ShapeOf":
        return node.input_shape(0).is_static
    return all(i.node.type_name == "Constant" for i in node._inputs)


def fold_constants(model: Model, keep_decompression: bool = True) -> int:
    """Evaluate every node whose inputs are constants (and ShapeOf of static shapes); returns the count.

    Decompression Converts stay unless ``keep_decompression`` is false (compilation folds them: kernels take
    f32 weights, packed at compile time)."""
    folded = 0
    mapping: dict[Output, Output] = {}
    for node in model.get_ordered_ops():
        for i, src in enumerate(node._inputs):      # see through what this pass already replaced
            if src in mapping:
                node._inputs[i] = mapping[src]
        if not _foldable(node, keep_decompression):
            continue
        if node.type_name == "ShapeOf":
            ins = [np.empty(node.input_shape(0).to_shape(), dtype=np.uint8)]
        else:
            ins = [i.node.value for i in node._inputs]
        try:
            outs = node.evaluate(ins)
        except NotImplementedError:
            continue
        for k, value in enumerate(outs):
            out_t = node.get_output_element_type(k)
            arr = np.asarray(value)
            if out_t.dtype is not None and arr.dtype != out_t.dtype:
                arr = arr.astype(out_t.dtype)
            expect = node.get_output_partial_shape(k)
            if expect.is_static and expect.to_shape() == () and arr.shape == (1,):
                arr = arr.reshape(())          # np.ascontiguousarray turns 0-d results into 1-d ones
            if expect.is_static and tuple(arr.shape) != expect.to_shape():
                raise IRError(f"{node.type_name} node '{node.name}': folded to shape {arr.shape}, "
                              f"inferred {expect}")
            c = constant(arr, out_t, name=node.name if len(outs) == 1 else f"{node.name}:{k}")
            mapping[Output(node, k)] = c.output(0)
        folded += 1
    model.replace_outputs(mapping)
    return folded


def _is_noop(node: Node) -> bool:
    if node.get_input_size() == 0 or node.get_output_size() != 1:
        return False
    src = node.input_value(0)
    same = (src.get_element_type() == node.get_output_element_type(0)
            and src.get_partial_shape().is_static
            and src.get_partial_shape() == node.get_output_partial_shape(0))
    if not same:
        return False
    if node.type_name in ("Convert", "Reshape", "Squeeze", "Unsqueeze", "Broadcast", "Identity"):
        return True
    if node.type_name == "Transpose":
        perm = node.input_const(1)
        return perm is not None and list(perm.reshape(-1)) == list(range(len(perm.reshape(-1))))
    if node.type_name == "Tile":            # same shape: every repeat is 1
        return True
    if node.type_name == "Pad":             # same shape with pads that are all zero (not -1 and +1)
        pads = [node.input_const(1), node.input_const(2)]
        return all(p is not None and not np.any(p) for p in pads)
    if node.type_name == "Slice":           # same shape with positive steps: the whole input
        steps = node.input_const(3)
        return steps is not None and bool(np.all(steps > 0))
    return False


def remove_noops(model: Model) -> int:
    mapping = {}
    for node in model.get_ordered_ops():
        if node.type_name != "Result" and _is_noop(node):
            mapping[node.output(0)] = node.input_value(0)
    model.replace_outputs(mapping)
    return len(mapping)


def specialize(model: Model, shapes: dict[int, tuple[int, ...]] | None = None,
               states: dict[str, tuple[int, ...] | None] | None = None) -> Model:
    """A copy of ``model`` with static input shapes, types re-inferred, constants folded, no-ops removed.

    Shapes are static everywhere except past a node whose output shape depends on values computed at run time
    (NonZero, or a Range whose limit is an input): the runtime plans those in segments (``ovcl.segments``).

    ``shapes`` maps parameter index to a concrete shape; parameters not named keep theirs (which must then
    be static). ``states`` maps a variable id to the shape of the value it holds, or None (or no entry) where
    it holds none: its ReadValue gives the initial value (``ir/ops/state.py``)."""
    m = model.clone()
    for node in m.get_ordered_ops():
        if node.type_name == "ReadValue":
            shape = (states or {}).get(node.attrs["variable_id"])
            node.rt_info[STATE_SHAPE] = {"shape": None if shape is None else list(shape)}
    for idx, p in enumerate(m.get_parameters()):
        if shapes and idx in shapes:
            want = PartialShape(list(shapes[idx]))
            if not p.get_output_partial_shape(0).compatible(want):
                raise IRError(f"input '{p.name}': shape {want} does not fit {p.get_output_partial_shape(0)}")
            p.attrs["shape"] = want
    m.validate_nodes_and_infer_types()
    for p in m.get_parameters():
        if not p.get_output_partial_shape(0).is_static:
            raise IRError(f"input '{p.name}' has dynamic shape {p.get_output_partial_shape(0)}: "
                          f"give a concrete shape")
    while True:
        changed = fold_constants(m, keep_decompression=False) + remove_noops(m)
        m.validate_nodes_and_infer_types()
        if not changed:
            break
    return m
