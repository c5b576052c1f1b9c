"""The op registry: one ``Op`` subclass per OpenVINO op type, looked up by type name."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..node import IRError, Node, Output
from ..shape import Dimension, PartialShape
from ..types import Type

OPS: dict[str, type["Op"]] = {}

REQUIRED = object()   # marks an attribute without a default


class Op:
    """Base of op definitions.

    ``attrs`` maps each attribute name (as in the OpenVINO opset spec) to its default, or ``REQUIRED``.
    ``infer`` returns one ``(Type, PartialShape)`` per output. ``evaluate`` computes outputs with NumPy: it
    serves constant folding and test references only, never inference.
    ``internal`` ops exist only during compilation (fused kernels) and are never written to IR.
    """

    type_name = ""
    version = "opset1"
    attrs: dict[str, Any] = {}
    internal = False
    # number of inputs: (min, max); max None = any
    num_inputs: tuple[int, int | None] = (0, None)
    # True for ops whose output shapes can depend on input values (NonZero, Unique, NonMaxSuppression, TopK
    # with a computed k). Such an op, when its shapes stay dynamic, runs in "bounded" form: every output at the
    # static shape ``upper_bounds`` gives, plus one extra i64 scalar output, the length of the dynamic axis.
    data_dependent = False

    @classmethod
    def upper_bounds(cls, node: Node) -> list[tuple[tuple[int, ...], int]]:
        """For each output: its largest static shape and the axis whose length is only known at run time."""
        raise NotImplementedError(f"{cls.type_name} declares no upper bounds")

    @classmethod
    def infer(cls, node: Node) -> list[tuple[Type, PartialShape]]:
        raise NotImplementedError

    @classmethod
    def evaluate(cls, node: Node, inputs: list[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError(f"{cls.type_name} has no NumPy evaluation")

    @classmethod
    def can_evaluate(cls) -> bool:
        return cls.evaluate.__func__ is not Op.evaluate.__func__


class SameShapeOp(Op):
    """Base of ops whose one output has the type and shape of input 0."""

    @classmethod
    def infer(cls, node: Node) -> list[tuple[Type, PartialShape]]:
        return [(node.input_type(0), node.input_shape(0))]


def register(cls: type[Op]) -> type[Op]:
    if cls.type_name in OPS and OPS[cls.type_name] is not cls:
        raise ValueError(f"op {cls.type_name} registered twice")
    OPS[cls.type_name] = cls
    return cls


def get_op(type_name: str) -> type[Op]:
    op = OPS.get(type_name)
    if op is None:
        raise IRError(f"unknown op type '{type_name}'")
    return op


def make(type_name: str, inputs, name: str | None = None, version: str | None = None, **attrs) -> Node:
    """Create and validate a node. ``inputs`` are Outputs or Nodes (their output 0)."""
    op = get_op(type_name)
    ins = [i.output(0) if isinstance(i, Node) else i for i in inputs]
    for i in ins:
        if not isinstance(i, Output):
            raise IRError(f"{type_name} node '{name}': input {i!r} is not an Output")
    lo, hi = op.num_inputs
    if len(ins) < lo or (hi is not None and len(ins) > hi):
        raise IRError(f"{type_name} node '{name}': takes {lo}..{hi if hi is not None else 'n'} inputs, got {len(ins)}")
    full = {}
    for key, default in op.attrs.items():
        if key in attrs:
            full[key] = attrs.pop(key)
        elif default is REQUIRED:
            raise IRError(f"{type_name} node '{name}': attribute '{key}' is required")
        else:
            full[key] = list(default) if isinstance(default, list) else default
    if attrs:
        raise IRError(f"{type_name} node '{name}': unknown attribute(s) {sorted(attrs)}")
    node = Node(op, ins, full, name=name, version=version)
    node.validate()
    return node


# -- helpers for shape inference ----------------------------------------------

def broadcast_shapes(*shapes: PartialShape) -> PartialShape:
    """NumPy broadcasting of partial shapes (OpenVINO's ``numpy`` auto_broadcast)."""
    if any(s.rank_is_dynamic for s in shapes):
        return PartialShape.dynamic()
    rank = max(len(s) for s in shapes)
    out = []
    for k in range(rank):
        dims = [s[len(s) - rank + k] for s in shapes if len(s) - rank + k >= 0]
        static = {d.min for d in dims if d.is_static and d.min != 1}
        if len(static) > 1:
            raise IRError(f"shapes {', '.join(map(str, shapes))} do not broadcast")
        if static:
            out.append(Dimension(static.pop()))
        elif all(d.is_static for d in dims):
            out.append(Dimension(1))
        else:
            out.append(Dimension())
    return PartialShape(out)


def normalize_axis(axis: int, rank: int, node: Node | None = None) -> int:
    a = int(axis)
    if a < 0:
        a += rank
    if not 0 <= a < max(rank, 1):
        where = f"{node.type_name} node '{node.name}': " if node is not None else ""
        raise IRError(f"{where}axis {axis} out of range for rank {rank}")
    return a




def node_error(node: Node, why: str) -> IRError:
    """An IRError naming the node (for an op's ``infer`` or ``evaluate``)."""
    return IRError(f"{node.type_name} node '{node.name}': {why}")


def const_ints(node: Node, i: int) -> list[int] | None:
    """Input ``i`` as a list of ints when it is a constant, else None."""
    v = node.input_const(i)
    return None if v is None else [int(a) for a in np.asarray(v).reshape(-1).tolist()]


def known_ints(node: Node, i: int) -> list[int] | None:
    """Input ``i`` as a list of ints when its value is known ahead (``Node.input_known``), else None: for shape
    inference."""
    v = node.input_known(i)
    return None if v is None else [int(a) for a in np.asarray(v).reshape(-1).tolist()]
