"""ATen element-wise ops: arithmetic with torch's type promotion, activations, comparisons, logic, where,
conversions, and the Python arithmetic on symbolic sizes (``operator.mul`` ...)."""
from __future__ import annotations

import math
import operator

import numpy as np

from ovcl.ir import Output, Type

from .graph import NodeContext, torch_op, torch_type


def promote(ctx: NodeContext, *keys) -> Type:
    """The element type torch computes ``keys``' arguments in (``torch.result_type`` on stand-ins)."""
    import torch
    vals = []
    for k in keys:
        v = ctx.val(k)
        if isinstance(v, torch.Tensor):
            vals.append(torch.empty([1] * v.dim(), dtype=v.dtype))
        elif isinstance(v, torch.SymBool) or isinstance(v, bool):
            vals.append(True)
        elif isinstance(v, torch.SymInt) or isinstance(v, int):
            vals.append(1)
        elif isinstance(v, (torch.SymFloat, float)):
            vals.append(1.0)
        else:
            vals.append(v)
    acc = vals[0]
    for v in vals[1:]:
        if not isinstance(acc, torch.Tensor) and not isinstance(v, torch.Tensor):
            acc = torch.tensor(acc) if isinstance(acc, (int, float, bool)) else acc
        acc = torch.empty([], dtype=torch.result_type(acc, v)) if isinstance(acc, torch.Tensor) and \
            acc.dim() == 0 and not isinstance(v, torch.Tensor) else \
            torch.empty([1] * max(_dim(acc), _dim(v)), dtype=torch.result_type(acc, v))
    if not isinstance(acc, torch.Tensor):
        acc = torch.tensor(acc)
    return torch_type(acc.dtype)


def _dim(v):
    import torch
    return v.dim() if isinstance(v, torch.Tensor) else 0


_UNARY = {
    "abs": "Abs", "acos": "Acos", "acosh": "Acosh", "asin": "Asin", "asinh": "Asinh", "atan": "Atan",
    "atanh": "Atanh", "ceil": "Ceiling", "cos": "Cos", "cosh": "Cosh", "erf": "Erf", "exp": "Exp",
    "floor": "Floor", "log": "Log", "neg": "Negative", "relu": "Relu", "sigmoid": "Sigmoid", "sign": "Sign",
    "sin": "Sin", "sinh": "Sinh", "sqrt": "Sqrt", "tan": "Tan", "tanh": "Tanh", "silu": "Swish",
    "hardswish": "HSwish", "hardsigmoid": "HSigmoid", "mish": "Mish", "logical_not": "LogicalNot",
    "isnan": "IsNaN", "isinf": "IsInf",
}


@torch_op(*(f"aten.{n}.default" for n in _UNARY))
def _unary(ctx: NodeContext):
    name = ctx.op_name.split(".")[1]
    x = ctx.input(0)
    if not x.get_element_type().is_real() and name not in ("abs", "neg", "sign", "relu", "logical_not"):
        x = ctx.convert(x, ctx.out_type)
    if name == "logical_not" and x.get_element_type() != Type.boolean:
        x = ctx.convert(x, Type.boolean)
    return ctx.make(_UNARY[name], [x])


@torch_op("aten.round.default")
def _round(ctx):
    return ctx.make("Round", [ctx.input(0)], mode="half_to_even")


@torch_op("aten.rsqrt.default")
def _rsqrt(ctx):
    x = ctx.input(0, ctx.out_type)
    one = ctx.const(np.asarray(1, dtype=ctx.out_type.dtype))
    return ctx.make("Divide", [one, ctx.make("Sqrt", [x])])


@torch_op("aten.reciprocal.default")
def _reciprocal(ctx):
    x = ctx.input(0, ctx.out_type)
    return ctx.make("Divide", [ctx.const(np.asarray(1, dtype=ctx.out_type.dtype)), x])


@torch_op("aten.log1p.default")
def _log1p(ctx):
    x = ctx.input(0, ctx.out_type)
    return ctx.make("Log", [ctx.make("Add", [x, ctx.const(np.asarray(1, dtype=ctx.out_type.dtype))])])


@torch_op("aten.expm1.default")
def _expm1(ctx):
    x = ctx.input(0, ctx.out_type)
    return ctx.make("Subtract", [ctx.make("Exp", [x]), ctx.const(np.asarray(1, dtype=ctx.out_type.dtype))])


@torch_op("aten.gelu.default")
def _gelu(ctx):
    mode = "TANH" if ctx.arg("approximate", "none") == "tanh" else "ERF"
    return ctx.make("Gelu", [ctx.input(0)], approximation_mode=mode)


@torch_op("aten.hardtanh.default", "aten.clamp.default", "aten.relu6.default")
def _clamp(ctx):
    x = ctx.input(0)
    if ctx.op_name.startswith("aten.relu6"):
        lo, hi = 0.0, 6.0
    elif ctx.op_name.startswith("aten.hardtanh"):
        lo, hi = ctx.arg(1, -1.0), ctx.arg(2, 1.0)
    else:
        lo, hi = ctx.arg(1), ctx.arg(2)
    if isinstance(lo, Output) or isinstance(hi, Output) or not x.get_element_type().is_real():
        t = ctx.out_type
        x = ctx.convert(x, t)
        if lo is not None:
            x = ctx.make("Maximum", [x, ctx.tensor(lo, t)], "min")
        if hi is not None:
            x = ctx.make("Minimum", [x, ctx.tensor(hi, t)], "max")
        return x
    return ctx.make("Clamp", [x], min=float(lo) if lo is not None else -np.inf,
                    max=float(hi) if hi is not None else np.inf)


@torch_op("aten.clamp.Tensor")
def _clamp_tensor(ctx):
    t = ctx.out_type
    x = ctx.input(0, t)
    if ctx.arg(1) is not None:
        x = ctx.make("Maximum", [x, ctx.input(1, t)], "min")
    if ctx.arg(2) is not None:
        x = ctx.make("Minimum", [x, ctx.input(2, t)], "max")
    return x


@torch_op("aten.clamp_min.default", "aten.clamp_max.default")
def _clamp_one(ctx):
    t = ctx.out_type
    op = "Maximum" if "min" in ctx.op_name else "Minimum"
    return ctx.make(op, [ctx.input(0, t), ctx.input(1, t)])


@torch_op("aten.leaky_relu.default")
def _leaky(ctx):
    x = ctx.input(0)
    slope = ctx.const(np.asarray([ctx.arg(1, 0.01)], dtype=x.get_element_type().dtype))
    return ctx.make("PRelu", [x, slope])


@torch_op("aten.prelu.default", "aten._prelu_kernel.default")
def _prelu(ctx):
    return ctx.make("PRelu", [ctx.input(0), ctx.input(1)])


@torch_op("aten.elu.default")
def _elu(ctx):
    alpha, scale, in_scale = ctx.arg(1, 1.0), ctx.arg(2, 1.0), ctx.arg(3, 1.0)
    x = ctx.input(0)
    if in_scale != 1:
        x = ctx.make("Multiply", [x, ctx.const(np.asarray(in_scale, dtype=x.get_element_type().dtype))], "in")
    y = ctx.make("Elu", [x], alpha=float(alpha))
    if scale != 1:
        y = ctx.make("Multiply", [y, ctx.const(np.asarray(scale, dtype=x.get_element_type().dtype))], "out")
    return y


@torch_op("aten.softplus.default")
def _softplus(ctx):
    x = ctx.input(0)
    beta, threshold = ctx.arg(1, 1.0), ctx.arg(2, 20.0)
    dt = x.get_element_type().dtype
    if beta == 1 and threshold >= 20:
        return ctx.make("SoftPlus", [x])
    xb = ctx.make("Multiply", [x, ctx.const(np.asarray(beta, dtype=dt))], "beta")
    y = ctx.make("Divide", [ctx.make("SoftPlus", [xb]), ctx.const(np.asarray(beta, dtype=dt), suffix="b")])
    return ctx.make("Select", [ctx.make("Greater", [xb, ctx.const(np.asarray(threshold, dtype=dt), suffix="t")]),
                               x, y])


# -- binary --------------------------------------------------------------------

def _scaled(ctx, b: Output, alpha, t: Type) -> Output:
    if alpha is None or (not isinstance(alpha, Output) and alpha == 1):
        return b
    return ctx.make("Multiply", [b, ctx.tensor(alpha, t)], "alpha")


@torch_op("aten.add.Tensor", "aten.add.Scalar", "aten.sub.Tensor", "aten.sub.Scalar")
def _add_sub(ctx):
    t = ctx.out_type
    a = ctx.input(0, t)
    b = _scaled(ctx, ctx.input(1, t), ctx.arg("alpha", 1), t)
    if t == Type.boolean:
        return ctx.make("LogicalOr", [a, b])
    return ctx.make("Add" if ctx.op_name.startswith("aten.add") else "Subtract", [a, b])


@torch_op("aten.rsub.Scalar", "aten.rsub.Tensor")
def _rsub(ctx):
    t = ctx.out_type
    a = _scaled(ctx, ctx.input(0, t), ctx.arg("alpha", 1), t)
    return ctx.make("Subtract", [ctx.input(1, t), a])


_ARITH = {"mul": "Multiply", "maximum": "Maximum", "minimum": "Minimum", "pow": "Power",
          "fmod": "Mod", "remainder": "FloorMod"}


@torch_op("aten.mul.Tensor", "aten.mul.Scalar", "aten.maximum.default", "aten.minimum.default",
          "aten.pow.Tensor_Scalar", "aten.pow.Tensor_Tensor", "aten.pow.Scalar", "aten.fmod.Tensor",
          "aten.fmod.Scalar", "aten.remainder.Tensor", "aten.remainder.Scalar")
def _arith(ctx):
    name = ctx.op_name.split(".")[1]
    t = ctx.out_type
    if name == "pow" and ctx.op_name.endswith("Tensor_Scalar"):
        e = ctx.arg(1)
        if not isinstance(e, Output) and e == 2 and t.is_real():
            x = ctx.input(0, t)
            return ctx.make("Multiply", [x, x])
        if not isinstance(e, Output) and e == 0.5 and t.is_real():
            return ctx.make("Sqrt", [ctx.input(0, t)])
    a, b = ctx.input(0, t), ctx.input(1, t)
    if t == Type.boolean and name == "mul":
        return ctx.make("LogicalAnd", [a, b])
    return ctx.make(_ARITH[name], [a, b])


@torch_op("aten.div.Tensor", "aten.div.Scalar", "aten.div.Tensor_mode", "aten.div.Scalar_mode",
          "aten.floor_divide.default")
def _div(ctx):
    t = ctx.out_type
    mode = "floor" if ctx.op_name.startswith("aten.floor_divide") else ctx.arg("rounding_mode")
    a, b = ctx.input(0, t), ctx.input(1, t)
    if mode is None or t.is_real():
        y = ctx.make("Divide", [a, b])
        if mode == "floor":
            y = ctx.make("Floor", [y], "floor")
        elif mode == "trunc":
            sign = ctx.make("Sign", [y], "sign")
            y = ctx.make("Multiply", [ctx.make("Floor", [ctx.make("Abs", [y], "abs")], "floor"), sign], "trunc")
        return y
    return ctx.make("Divide", [a, b], m_pythondiv=(mode == "floor"))


_CMP = {"eq": "Equal", "ne": "NotEqual", "lt": "Less", "le": "LessEqual", "gt": "Greater", "ge": "GreaterEqual"}


@torch_op(*(f"aten.{n}.{o}" for n in _CMP for o in ("Tensor", "Scalar")))
def _compare(ctx):
    t = promote(ctx, 0, 1)
    return ctx.make(_CMP[ctx.op_name.split(".")[1]], [ctx.input(0, t), ctx.input(1, t)])


_LOGIC = {"logical_and": "LogicalAnd", "logical_or": "LogicalOr", "logical_xor": "LogicalXor",
          "bitwise_and": "BitwiseAnd", "bitwise_or": "BitwiseOr", "bitwise_xor": "BitwiseXor"}


_DUNDER = {"__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor"}


@torch_op(*(f"aten.{n}.{o}" for n in list(_LOGIC) + list(_DUNDER) for o in ("default", "Tensor", "Scalar")))
def _logic(ctx):
    name = ctx.op_name.split(".")[1]
    name = _DUNDER.get(name, name)
    if name.startswith("logical"):
        return ctx.make(_LOGIC[name], [ctx.input(0, Type.boolean), ctx.input(1, Type.boolean)])
    t = ctx.out_type
    a, b = ctx.input(0, t), ctx.input(1, t)
    if t == Type.boolean:
        return ctx.make("Logical" + _LOGIC[name][len("Bitwise"):], [a, b])
    return ctx.make(_LOGIC[name], [a, b])


@torch_op("aten.bitwise_not.default", "aten.__invert__.default")
def _bitwise_not(ctx):
    x = ctx.input(0)
    if x.get_element_type() == Type.boolean:
        return ctx.make("LogicalNot", [x])
    return ctx.make("BitwiseNot", [x])


@torch_op("aten.where.self", "aten.where.ScalarSelf", "aten.where.ScalarOther", "aten.where.Scalar")
def _where(ctx):
    t = ctx.out_type
    return ctx.make("Select", [ctx.input(0, Type.boolean), ctx.input(1, t), ctx.input(2, t)])


@torch_op("aten.masked_fill.Scalar", "aten.masked_fill.Tensor")
def _masked_fill(ctx):
    t = ctx.out_type
    x = ctx.input(0, t)
    return ctx.make("Select", [ctx.input(1, Type.boolean), ctx.input(2, t), x])


# -- conversions and identities ---------------------------------------------------

@torch_op("aten._to_copy.default", "aten.to.dtype", "aten.to.dtype_layout", "aten.to.device",
          "aten._to_dim_order_copy.default", "aten.type_as.default", "aten.to.other")
def _to(ctx):
    return ctx.convert(ctx.input(0), ctx.out_type)


@torch_op("aten.clone.default", "aten.alias.default", "aten.contiguous.default", "aten.detach.default",
          "aten.lift_fresh_copy.default", "aten.dropout.default", "aten.native_dropout.default",
          "aten.feature_dropout.default", "aten.alpha_dropout.default", "aten.lift_fresh.default",
          "aten._conj.default", "aten.resolve_conj.default", "aten.resolve_neg.default")
def _identity(ctx):
    x = ctx.input(0)
    if ctx.op_name.startswith("aten.native_dropout"):
        if ctx.arg(2, False):
            raise ctx.fail("dropout in training mode: call module.eval() before converting")
        return [x, None]
    if "dropout" in ctx.op_name and ctx.arg("train", False):
        raise ctx.fail("dropout in training mode: call module.eval() before converting")
    return x


@torch_op("aten._assert_tensor_metadata.default", "aten._assert_scalar.default",
          "aten.sym_constrain_range_for_size.default", "aten.sym_constrain_range.default",
          "aten._assert_async.msg", "aten._assert_async.default", "aten._functional_assert_async.msg",
          "aten._functional_sym_constrain_range.default", "aten._functional_sym_constrain_range_for_size.default",
          "aten.sym_is_contiguous.default")
def _assert(ctx):
    return None


# -- Python arithmetic on symbolic sizes ------------------------------------------

_PYOPS = {
    "add": ("Add", operator.add), "sub": ("Subtract", operator.sub), "mul": ("Multiply", operator.mul),
    "floordiv": ("Divide", operator.floordiv), "mod": ("FloorMod", operator.mod),
    "truediv": ("Divide", operator.truediv), "pow": ("Power", operator.pow),
    "eq": ("Equal", operator.eq), "ne": ("NotEqual", operator.ne), "lt": ("Less", operator.lt),
    "le": ("LessEqual", operator.le), "gt": ("Greater", operator.gt), "ge": ("GreaterEqual", operator.ge),
    "and_": ("LogicalAnd", operator.and_), "or_": ("LogicalOr", operator.or_),
}


@torch_op(*(f"operator.{n}" for n in _PYOPS), "torch.sym_max", "torch.sym_min", "torch.sym_sum")
def _pyop(ctx):
    name = ctx.op_name.split(".", 1)[1]
    if name == "sym_sum":
        items = list(ctx.arg(0))
        acc = items[0]
        for it in items[1:]:
            acc = _pybin(ctx, "Add", operator.add, acc, it)
        return acc
    if name in ("sym_max", "sym_min"):
        return _pybin(ctx, "Maximum" if name == "sym_max" else "Minimum", max if name == "sym_max" else min,
                      ctx.arg(0), ctx.arg(1))
    op, fn = _PYOPS[name]
    return _pybin(ctx, op, fn, ctx.arg(0), ctx.arg(1))


def _pybin(ctx, op, fn, a, b):
    if not isinstance(a, Output) and not isinstance(b, Output):
        return fn(a, b)
    is_float = op == "Divide" and fn is operator.truediv or any(
        isinstance(v, float) or (isinstance(v, Output) and v.get_element_type().is_real()) for v in (a, b))
    t = Type.f32 if is_float else Type.i64
    if op in ("LogicalAnd", "LogicalOr"):
        t = Type.boolean
    a, b = ctx.scalar(a, t), ctx.scalar(b, t)
    if op == "Divide":
        return ctx.make("Divide", [a, b], m_pythondiv=True)
    return ctx.make(op, [a, b])


@torch_op("operator.neg")
def _pyneg(ctx):
    a = ctx.arg(0)
    if not isinstance(a, Output):
        return -a
    return ctx.make("Negative", [a])


@torch_op("torch.sym_float", "torch.sym_int", "torch.sym_ite", "torch.sym_not", "math.ceil", "math.floor",
          "builtins.int", "builtins.float")
def _pyconv(ctx):
    name = ctx.op_name.rsplit(".", 1)[1]
    a = ctx.arg(0)
    if name == "sym_ite":
        c, x, y = ctx.arg(0), ctx.arg(1), ctx.arg(2)
        if not isinstance(c, Output):
            return x if c else y
        return ctx.make("Select", [ctx.scalar(c, Type.boolean), ctx.scalar(x), ctx.scalar(y)])
    if not isinstance(a, Output):
        return {"sym_float": float, "float": float, "sym_int": int, "int": int, "sym_not": operator.not_,
                "ceil": math.ceil, "floor": math.floor}[name](a)
    if name in ("sym_float", "float"):
        return ctx.convert(a, Type.f32)
    if name == "sym_not":
        return ctx.make("LogicalNot", [ctx.convert(a, Type.boolean)])
    if name in ("ceil", "floor") and a.get_element_type().is_real():
        a = ctx.make("Ceiling" if name == "ceil" else "Floor", [a])
    return ctx.convert(a, Type.i64)


@torch_op("aten.scalar_tensor.default")
def _scalar_tensor(ctx):
    return ctx.tensor(ctx.arg(0), ctx.out_type)


@torch_op("aten._local_scalar_dense.default", "aten.item.default")
def _item(ctx):
    x = ctx.input(0)
    if x.node.type_name == "Constant":
        return x.node.value.reshape(()).item()
    raise ctx.fail("reading a tensor's value as a Python number (.item()) makes the graph data-dependent; "
                   "ovcl cannot translate it")
