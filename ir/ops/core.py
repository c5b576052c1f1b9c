"""Graph-structural ops: Parameter, Constant, Result, Convert, ShapeOf and the view-like reshapes."""
from __future__ import annotations

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import Type, as_type, convert_array
from .registry import Op, REQUIRED, SameShapeOp, make, normalize_axis, register


@register
class Parameter(Op):
    type_name = "Parameter"
    attrs = {"element_type": REQUIRED, "shape": REQUIRED}
    num_inputs = (0, 0)

    @classmethod
    def infer(cls, node):
        return [(as_type(node.attrs["element_type"]), PartialShape(node.attrs["shape"]))]


@register
class Constant(Op):
    type_name = "Constant"
    attrs = {"element_type": REQUIRED, "shape": REQUIRED}
    num_inputs = (0, 0)

    @classmethod
    def infer(cls, node):
        return [(as_type(node.attrs["element_type"]), PartialShape(list(node.attrs["shape"])))]

    @classmethod
    def evaluate(cls, node, inputs):
        return [node.value]


def constant(value, element_type=None, name: str | None = None) -> Node:
    """A Constant node holding ``value`` (converted to ``element_type`` when given)."""
    arr = np.asarray(value)
    t = as_type(element_type) if element_type is not None else Type.from_dtype(arr.dtype)
    if arr.dtype != t.dtype:
        arr = arr.astype(t.dtype)
    node = Node(Constant, [], {"element_type": t.name, "shape": list(arr.shape)}, name=name)
    node.value = arr
    node.validate()
    return node


def parameter(shape, element_type="f32", name: str | None = None) -> Node:
    node = make("Parameter", [], name=name, element_type=as_type(element_type).name, shape=PartialShape(shape))
    if name:
        node.output(0).set_names({name})
    return node


@register
class Result(SameShapeOp):
    type_name = "Result"
    num_inputs = (1, 1)

    @classmethod
    def evaluate(cls, node, inputs):
        return [inputs[0]]


@register
class ExecutionNode(Op):
    """A node of a compiled model's execution graph (``CompiledModel.get_runtime_model``): one kernel launch,
    its outputs as given; what it runs is in its rt_info, as in OpenVINO's execution graphs."""
    type_name = "ExecutionNode"
    version = "execution_graph"
    attrs = {"output_types": REQUIRED, "output_shapes": REQUIRED}

    @classmethod
    def infer(cls, node):
        return [(as_type(t), PartialShape(list(s)))
                for t, s in zip(node.attrs["output_types"], node.attrs["output_shapes"])]


@register
class Convert(Op):
    type_name = "Convert"
    attrs = {"destination_type": REQUIRED}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        return [(as_type(node.attrs["destination_type"]), node.input_shape(0))]

    @classmethod
    def evaluate(cls, node, inputs):
        return [convert_array(inputs[0], as_type(node.attrs["destination_type"]))]


@register
class ConvertLike(Op):
    type_name = "ConvertLike"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(1), node.input_shape(0))]

    @classmethod
    def evaluate(cls, node, inputs):
        return [convert_array(inputs[0], Type.from_dtype(inputs[1].dtype))]


@register
class ShapeOf(Op):
    type_name = "ShapeOf"
    version = "opset3"
    attrs = {"output_type": "i64"}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        rank = Dimension() if ps.rank_is_dynamic else Dimension(len(ps))
        return [(as_type(node.attrs["output_type"]), PartialShape([rank]))]

    @classmethod
    def evaluate(cls, node, inputs):
        return [np.array(inputs[0].shape, dtype=as_type(node.attrs["output_type"]).dtype)]


def _reshape_target(node: Node, target: list[int], special_zero: bool) -> PartialShape:
    src = node.input_shape(0)
    out: list[Dimension] = []
    minus_one = None
    for k, v in enumerate(target):
        v = int(v)
        if v == 0 and special_zero:
            if src.rank_is_dynamic or k >= len(src):
                raise IRError(f"Reshape node '{node.name}': 0 at position {k} copies a missing input dimension")
            out.append(src[k])
        elif v == -1:
            if minus_one is not None:
                raise IRError(f"Reshape node '{node.name}': more than one -1 in target shape {target}")
            minus_one = k
            out.append(Dimension())
        elif v < 0:
            raise IRError(f"Reshape node '{node.name}': negative dimension {v} in target shape")
        else:
            out.append(Dimension(v))
    if minus_one is not None and src.is_static:
        total = int(np.prod(src.to_shape(), dtype=np.int64))
        known = int(np.prod([d.min for i, d in enumerate(out) if i != minus_one], dtype=np.int64))
        if known == 0 or total % known:
            raise IRError(f"Reshape node '{node.name}': cannot reshape {src} to {target}")
        out[minus_one] = Dimension(total // known)
    result = PartialShape(out)
    if src.is_static and result.is_static and np.prod(src.to_shape()) != np.prod(result.to_shape()):
        raise IRError(f"Reshape node '{node.name}': cannot reshape {src} to {target} (element counts differ)")
    return result


@register
class Reshape(Op):
    type_name = "Reshape"
    attrs = {"special_zero": False}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        target = node.input_known(1)
        if target is None:
            n = node.input_shape(1)
            rank = n[0].to_int() if not n.rank_is_dynamic and n[0].is_static else None
            return [(node.input_type(0), PartialShape.dynamic(rank))]
        return [(node.input_type(0), _reshape_target(node, target.reshape(-1).tolist(), node.attrs["special_zero"]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, target = inputs
        shape = list(target.reshape(-1))
        if node.attrs["special_zero"]:
            shape = [x.shape[i] if v == 0 else int(v) for i, v in enumerate(shape)]
        return [x.reshape(shape)]


def _axes(node: Node, i: int, rank: int) -> list[int] | None:
    v = node.input_known(i)
    if v is None:
        return None
    return sorted({normalize_axis(a, rank, node) for a in np.asarray(v).reshape(-1).tolist()})


@register
class Squeeze(Op):
    type_name = "Squeeze"
    num_inputs = (1, 2)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        if src.rank_is_dynamic:
            return [(node.input_type(0), PartialShape.dynamic())]
        if node.get_input_size() == 1:
            if not src.is_static:
                return [(node.input_type(0), PartialShape.dynamic())]
            return [(node.input_type(0), PartialShape([d for d in src if d.min != 1]))]
        axes = _axes(node, 1, len(src))
        if axes is None:
            return [(node.input_type(0), PartialShape.dynamic())]
        for a in axes:
            if src[a].is_static and src[a].min != 1:
                raise IRError(f"Squeeze node '{node.name}': dimension {a} of {src} is not 1")
        return [(node.input_type(0), PartialShape([d for k, d in enumerate(src) if k not in axes]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        if len(inputs) == 1:
            return [np.squeeze(x)]
        axes = tuple(int(a) % x.ndim for a in np.asarray(inputs[1]).reshape(-1))
        return [np.squeeze(x, axis=axes)]


@register
class Unsqueeze(Op):
    type_name = "Unsqueeze"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        axes_v = node.input_known(1)
        if src.rank_is_dynamic or axes_v is None:
            return [(node.input_type(0), PartialShape.dynamic())]
        rank = len(src) + np.asarray(axes_v).size
        axes = _axes(node, 1, rank)
        dims = list(src)
        for a in axes:
            dims.insert(a, Dimension(1))
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        axes = np.asarray(inputs[1]).reshape(-1)
        rank = x.ndim + axes.size
        return [np.expand_dims(x, tuple(sorted(int(a) % rank for a in axes)))]


@register
class BitCast(Op):
    """Reinterprets the bytes of each element as another type of the same size (ONNX BitCast). Not in
    OpenVINO's op set: IR with it loads in ovcl only."""
    type_name = "BitCast"
    version = "ovcl"
    attrs = {"destination_type": REQUIRED}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        src, dst = node.input_type(0), as_type(node.attrs["destination_type"])
        if src.is_static and src.size != dst.size:
            raise IRError(f"BitCast node '{node.name}': {src} and {dst} differ in size")
        return [(dst, node.input_shape(0))]

    @classmethod
    def evaluate(cls, node, inputs):
        return [inputs[0].view(as_type(node.attrs["destination_type"]).dtype)]
