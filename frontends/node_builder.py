"""What every frontend's NodeContext shares: building nodes named after the framework node being translated
(``<node name>/<suffix>``), small constants, rank and shape checks, and the Transposes that wrap a
channels-last op around OpenVINO's channels-first one."""
from __future__ import annotations

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Node, Output
from ovcl.ir import ops


def registrar(table: dict, framework: str):
    """The decorator with which a frontend's translators register in ``table`` under one or more op names
    (``@onnx_op("Relu")``); a name registered twice is an error at import."""
    def register(*names: str):
        def deco(fn):
            for n in names:
                if n in table:
                    raise ValueError(f"two translators for {framework} {n}")
                table[n] = fn
            return fn
        return deco
    return register


class NodeBuilder:
    """Base of the frontends' NodeContexts: subclasses set ``name`` and define ``fail``; those that set ``folds``
    get every single-output node that can be computed now as a Constant at once, so that the nodes after it see
    constant inputs and static shapes (shape arithmetic in graphs that keep it: TensorFlow, PaddlePaddle)."""

    name: str
    folds = False

    def fail(self, why: str) -> FrontendError:
        raise NotImplementedError

    def translate_with(self, fn):
        """``fn(self)``, the node's translator: any error but a FrontendError (a malformed attribute, an overflow,
        a size no memory holds) comes back as a FrontendError naming this node."""
        try:
            return fn(self)
        except FrontendError:
            raise
        except Exception as e:
            raise self.fail(f"{type(e).__name__}: {e}") from e

    def make(self, type_name: str, inputs, suffix: str = "", **attrs) -> Node:
        name = self.name + (f"/{suffix}" if suffix else "")
        node = ops.make(type_name, inputs, name=name, **attrs)
        if self.folds and node.get_output_size() == 1:
            return fold(node.output(0)).node
        return node

    def make1(self, type_name: str, inputs, suffix: str = "", **attrs) -> Output:
        return self.make(type_name, inputs, suffix, **attrs).output(0)

    def const(self, value, element_type=None, suffix: str = "const") -> Output:
        return ops.constant(value, element_type, name=f"{self.name}/{suffix}").output(0)

    def i64(self, values, suffix: str = "const") -> Output:
        """An i64 constant (axes, shapes, indices)."""
        return self.const(np.asarray(values, dtype=np.int64), suffix=suffix)

    def scalar_like(self, x: Output, value, suffix: str = "const") -> Output:
        """A scalar constant of ``x``'s element type."""
        return self.const(np.array(value, dtype=x.get_element_type().dtype), suffix=suffix)

    # -- element-wise ops OpenVINO has no node for, as the frontends build them ------------------------------
    def reciprocal(self, x: Output) -> Output:
        return self.make1("Divide", [self.scalar_like(x, 1.0, "one"), x])

    def rsqrt(self, x: Output) -> Output:
        return self.make1("Divide", [self.scalar_like(x, 1.0, "one"), self.make1("Sqrt", [x], "sqrt")])

    def square(self, x: Output) -> Output:
        return self.make1("Multiply", [x, x])

    def rank(self, x: Output) -> int:
        """The rank of ``x``; an error naming this node where it is not known."""
        ps = x.get_partial_shape()
        if ps.rank_is_dynamic:
            raise self.fail("the input rank must be known")
        return len(ps)

    def static_shape(self, x: Output, what: str = "input") -> list[int]:
        ps = x.get_partial_shape()
        if not ps.is_static:
            raise self.fail(f"the {what} shape must be static, not {ps}")
        return list(ps.to_shape())

    def nchw(self, x: Output, suffix: str = "to_nchw") -> Output:
        """NHWC (or N, spatial..., C) → channels first, for an OpenVINO spatial op."""
        r = self.rank(x)
        return self.make1("Transpose", [x, self.i64([0, r - 1, *range(1, r - 1)], suffix + "_perm")], suffix)

    def nhwc(self, x: Output, suffix: str = "to_nhwc") -> Output:
        """Channels first → last, back from an OpenVINO spatial op."""
        r = self.rank(x)
        return self.make1("Transpose", [x, self.i64([0, *range(2, r), 1], suffix + "_perm")], suffix)


def fold(o: Output) -> Output:
    """``o`` as a Constant where it can be computed now: its inputs constant, or ShapeOf of a static shape.
    Inputs are not folded here: every node made by a translator was folded when it was made."""
    node = o.node
    if node.type_name in ("Constant", "Parameter") or not node.op.can_evaluate():
        return o
    if node.type_name in ("ShapeOf", "ShapeOf3"):
        if not node.input_shape(0).is_static:
            return o
        ins = [np.empty(node.input_shape(0).to_shape(), dtype=np.uint8)]
    else:
        if any(i.node.type_name != "Constant" for i in node._inputs):
            return o
        ins = [i.node.value for i in node._inputs]
    try:
        outs = node.evaluate(ins)
    except NotImplementedError:
        return o
    typ = node.get_output_element_type(o.index)
    arr = np.asarray(outs[o.index])
    if typ.dtype is not None and arr.dtype != typ.dtype:
        arr = arr.astype(typ.dtype)
    expect = node.get_output_partial_shape(o.index)
    if expect.is_static and arr.shape != expect.to_shape():
        arr = arr.reshape(expect.to_shape())
    c = ops.constant(arr, typ, name=node.name).output(0)
    c.add_names(o.get_names())
    return c
