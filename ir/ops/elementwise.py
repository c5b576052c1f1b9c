"""Element-wise ops: unary math and activations, binary arithmetic with NumPy broadcasting, comparisons,
logical and bitwise ops, Select. Defined from one table each, since they differ only in their math."""
from __future__ import annotations

import math

import numpy as np

from ..types import Type
from .registry import Op, SameShapeOp, broadcast_shapes, register


def _erf(x):
    v = np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))
    return v.astype(x.dtype)


def _gelu(node, x):
    xf = x.astype(np.float64)
    if node.attrs.get("approximation_mode", "ERF").upper() == "TANH":
        y = 0.5 * xf * (1 + np.tanh(np.sqrt(2 / np.pi) * (xf + 0.044715 * xf ** 3)))
    else:
        y = 0.5 * xf * (1 + _erf(xf / np.sqrt(2)))
    return y.astype(x.dtype)


def _round(node, x):
    if node.attrs.get("mode", "half_to_even") == "half_to_even":
        return np.round(x)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(x.dtype)


def _softplus(x):
    xf = x.astype(np.float64)
    return np.where(xf > 20, xf, np.log1p(np.exp(np.minimum(xf, 20)))).astype(x.dtype)


def _sigmoid(x):
    return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


# name -> (version, evaluate(node, x), attrs)
UNARY = {
    "Abs": ("opset1", lambda n, x: np.abs(x), {}),
    "Acos": ("opset1", lambda n, x: np.arccos(x), {}),
    "Acosh": ("opset4", lambda n, x: np.arccosh(x), {}),
    "Asin": ("opset1", lambda n, x: np.arcsin(x), {}),
    "Asinh": ("opset4", lambda n, x: np.arcsinh(x), {}),
    "Atan": ("opset1", lambda n, x: np.arctan(x), {}),
    "Atanh": ("opset4", lambda n, x: np.arctanh(x), {}),
    "Ceiling": ("opset1", lambda n, x: np.ceil(x), {}),
    "Cos": ("opset1", lambda n, x: np.cos(x), {}),
    "Cosh": ("opset1", lambda n, x: np.cosh(x), {}),
    "Erf": ("opset1", lambda n, x: _erf(x), {}),
    "Exp": ("opset1", lambda n, x: np.exp(x), {}),
    "Floor": ("opset1", lambda n, x: np.floor(x), {}),
    "Log": ("opset1", lambda n, x: np.log(x), {}),
    "Negative": ("opset1", lambda n, x: np.negative(x), {}),
    "Relu": ("opset1", lambda n, x: np.maximum(x, 0).astype(x.dtype), {}),
    "Sigmoid": ("opset1", lambda n, x: _sigmoid(x), {}),
    "Sign": ("opset1", lambda n, x: np.sign(x), {}),
    "Sin": ("opset1", lambda n, x: np.sin(x), {}),
    "Sinh": ("opset1", lambda n, x: np.sinh(x), {}),
    "Sqrt": ("opset1", lambda n, x: np.sqrt(x), {}),
    "Tan": ("opset1", lambda n, x: np.tan(x), {}),
    "Tanh": ("opset1", lambda n, x: np.tanh(x), {}),
    "SoftPlus": ("opset4", lambda n, x: _softplus(x), {}),
    "SoftSign": ("opset9", lambda n, x: (x / (1 + np.abs(x))).astype(x.dtype), {}),
    "HSwish": ("opset4", lambda n, x: (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype), {}),
    "HSigmoid": ("opset5", lambda n, x: (np.clip(x + 3, 0, 6) / 6).astype(x.dtype), {}),
    "Mish": ("opset4", lambda n, x: (x * np.tanh(_softplus(x))).astype(x.dtype), {}),
    "Gelu": ("opset7", _gelu, {"approximation_mode": "ERF"}),
    "Elu": ("opset1", lambda n, x: np.where(x > 0, x, n.attrs["alpha"] * (np.exp(x) - 1)).astype(x.dtype),
            {"alpha": 1.0}),
    "Clamp": ("opset1", lambda n, x: np.clip(x, n.attrs["min"], n.attrs["max"]).astype(x.dtype),
              {"min": -np.inf, "max": np.inf}),
    "Round": ("opset5", _round, {"mode": "half_to_even"}),
    "LogicalNot": ("opset1", lambda n, x: np.logical_not(x), {}),
    "BitwiseNot": ("opset13", lambda n, x: np.invert(x), {}),
    "IsNaN": ("opset10", lambda n, x: np.isnan(x), {}),
    "IsFinite": ("opset10", lambda n, x: np.isfinite(x), {}),
    "IsInf": ("opset10", lambda n, x: ((np.isposinf(x) & n.attrs["detect_positive"])
                                        | (np.isneginf(x) & n.attrs["detect_negative"])),
              {"detect_negative": True, "detect_positive": True}),
}

_BOOL_RESULT = {"IsNaN", "IsFinite", "IsInf"}


def _pydiv(node, a, b):
    if a.dtype.kind in "iu":
        if node.attrs.get("m_pythondiv", True):
            return np.floor_divide(a, np.where(b == 0, 1, b)).astype(a.dtype)
        with np.errstate(all="ignore"):
            return np.trunc(a / np.where(b == 0, 1, b)).astype(a.dtype)
    return (a / b).astype(a.dtype)


def _mod(a, b):  # C fmod semantics: sign of the dividend
    if a.dtype.kind in "iu":
        return np.fmod(a, np.where(b == 0, 1, b)).astype(a.dtype)
    return np.fmod(a, b)


def _floor_mod(a, b):
    if a.dtype.kind in "iu":
        return np.mod(a, np.where(b == 0, 1, b)).astype(a.dtype)
    return np.mod(a, b)


def _power(a, b):
    if a.dtype.kind in "iu":
        return np.power(a.astype(np.float64), b.astype(np.float64)).astype(a.dtype)
    return np.power(a, b)


# name -> (version, evaluate(node, a, b), output is boolean)
BINARY = {
    "Add": ("opset1", lambda n, a, b: a + b, False),
    "Subtract": ("opset1", lambda n, a, b: a - b, False),
    "Multiply": ("opset1", lambda n, a, b: a * b, False),
    "Divide": ("opset1", _pydiv, False),
    "Power": ("opset1", lambda n, a, b: _power(a, b), False),
    "Maximum": ("opset1", lambda n, a, b: np.maximum(a, b), False),
    "Minimum": ("opset1", lambda n, a, b: np.minimum(a, b), False),
    "SquaredDifference": ("opset1", lambda n, a, b: (a - b) * (a - b), False),
    "Mod": ("opset1", lambda n, a, b: _mod(a, b), False),
    "FloorMod": ("opset1", lambda n, a, b: _floor_mod(a, b), False),
    "Equal": ("opset1", lambda n, a, b: a == b, True),
    "NotEqual": ("opset1", lambda n, a, b: a != b, True),
    "Less": ("opset1", lambda n, a, b: a < b, True),
    "LessEqual": ("opset1", lambda n, a, b: a <= b, True),
    "Greater": ("opset1", lambda n, a, b: a > b, True),
    "GreaterEqual": ("opset1", lambda n, a, b: a >= b, True),
    "LogicalAnd": ("opset1", lambda n, a, b: np.logical_and(a, b), True),
    "LogicalOr": ("opset1", lambda n, a, b: np.logical_or(a, b), True),
    "LogicalXor": ("opset1", lambda n, a, b: np.logical_xor(a, b), True),
    "BitwiseAnd": ("opset13", lambda n, a, b: np.bitwise_and(a, b), False),
    "BitwiseOr": ("opset13", lambda n, a, b: np.bitwise_or(a, b), False),
    "BitwiseXor": ("opset13", lambda n, a, b: np.bitwise_xor(a, b), False),
    "BitwiseLeftShift": ("opset15", lambda n, a, b: np.left_shift(a, b), False),
    "BitwiseRightShift": ("opset15", lambda n, a, b: np.right_shift(a, b), False),
}


def _make_unary(name, version, fn, attrs):
    class _Unary(Op):
        type_name = name
        num_inputs = (1, 1)

        @classmethod
        def infer(cls, node):
            t = Type.boolean if name in _BOOL_RESULT else node.input_type(0)
            return [(t, node.input_shape(0))]

        @classmethod
        def evaluate(cls, node, inputs):
            with np.errstate(all="ignore"):
                return [np.asarray(fn(node, inputs[0]))]

    _Unary.version = version
    _Unary.attrs = dict(attrs)
    _Unary.__name__ = _Unary.__qualname__ = name
    return register(_Unary)


def _make_binary(name, version, fn, boolean):
    class _Binary(Op):
        type_name = name
        num_inputs = (2, 2)
        attrs = {"auto_broadcast": "numpy"}

        @classmethod
        def infer(cls, node):
            t = Type.boolean if boolean else node.input_type(0)
            return [(t, broadcast_shapes(node.input_shape(0), node.input_shape(1)))]

        @classmethod
        def evaluate(cls, node, inputs):
            a, b = inputs
            with np.errstate(all="ignore"):
                out = np.asarray(fn(node, a, b))
            return [out if boolean else out.astype(a.dtype)]

    _Binary.version = version
    if name == "Divide":
        _Binary.attrs = {"auto_broadcast": "numpy", "m_pythondiv": True}
    _Binary.__name__ = _Binary.__qualname__ = name
    return register(_Binary)


for _n, (_v, _f, _a) in UNARY.items():
    _make_unary(_n, _v, _f, _a)
for _n, (_v, _f, _b) in BINARY.items():
    _make_binary(_n, _v, _f, _b)


@register
class Select(Op):
    type_name = "Select"
    attrs = {"auto_broadcast": "numpy"}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(1), broadcast_shapes(node.input_shape(0), node.input_shape(1), node.input_shape(2)))]

    @classmethod
    def evaluate(cls, node, inputs):
        c, a, b = inputs
        return [np.where(c.astype(bool), a, b).astype(a.dtype)]


@register
class PRelu(SameShapeOp):
    type_name = "PRelu"
    num_inputs = (2, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        x, s = inputs
        if s.ndim == 1 and x.ndim >= 2 and s.shape[0] == x.shape[1] and s.shape[0] != x.shape[-1]:
            s = s.reshape([-1] + [1] * (x.ndim - 2))    # per-channel slope
        return [np.where(x < 0, x * s, x).astype(x.dtype)]


@register
class Swish(SameShapeOp):
    type_name = "Swish"
    version = "opset4"
    num_inputs = (1, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        beta = inputs[1] if len(inputs) > 1 else 1.0
        return [(x * _sigmoid(x * beta)).astype(x.dtype)]


@register
class Selu(SameShapeOp):
    type_name = "Selu"
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, node, inputs):
        x, alpha, lam = inputs
        return [(lam * np.where(x > 0, x, alpha * (np.exp(x) - 1))).astype(x.dtype)]


@register
class HardSigmoid(SameShapeOp):
    type_name = "HardSigmoid"
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, node, inputs):
        x, alpha, beta = inputs
        return [np.clip(alpha * x + beta, 0, 1).astype(x.dtype)]
