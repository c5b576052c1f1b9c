"""A Paddle ``Program`` (either form, in PIR's terms) → ``ovcl.ir.Model``. Only the ops the outputs need are
translated, in program order; each by its translator (``@paddle_op``), which sees the op through a NodeContext.
Every node a translator makes is folded to a Constant where it can be, so the shape arithmetic Paddle programs
keep (``shape`` → ``slice`` → ``reshape``) ends as constants on static shapes. Attributes that Paddle takes either
as an attribute or as a tensor input (a reshape's shape, a pool's kernel size, a scale) are read by
``ints`` / ``number`` from whichever the op has."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.frontends.node_builder import NodeBuilder, registrar
from ovcl.ir import Model, Output, PartialShape
from ovcl.ir import ops

from .program import Op, Program
from .types import from_dtype_name, from_var_type

# PIR op name -> translator(ctx) returning the op's outputs (an Output, or a list in output order)
TRANSLATORS: dict[str, Callable[["NodeContext"], list | Output]] = {}


paddle_op = registrar(TRANSLATORS, "PaddlePaddle")


class NodeContext(NodeBuilder):
    """What a translator sees of one op."""

    folds = True

    def __init__(self, op: Op, values: dict):
        self.op = op
        self.type = op.type
        self.name = op.name
        self._values = values

    def fail(self, why: str) -> FrontendError:
        return FrontendError(f"PaddlePaddle {self.attr('legacy_op', self.type)} op '{self.name}': {why}")

    # -- inputs ----------------------------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return len(self.op.inputs)

    def has_input(self, i: int) -> bool:
        return i < len(self.op.inputs) and self.op.inputs[i] is not None

    def _value(self, key):
        if key not in self._values:
            raise self.fail(f"input value {key} is not made by any op before it")
        return self._values[key]

    def input(self, i: int) -> Output:
        if not self.has_input(i):
            raise self.fail(f"input {i} is missing")
        key = self.op.inputs[i]
        v = self._value(key) if not isinstance(key, list) else None
        if not isinstance(v, Output):
            raise self.fail(f"input {i} is a list of tensors where one tensor is expected")
        return v

    def input_list(self, i: int) -> list[Output]:
        """Input ``i`` as a list of tensors (a vector input; one tensor becomes a list of one)."""
        key = self.op.inputs[i]
        v = [self._value(k) for k in key] if isinstance(key, list) else self._value(key)
        v = v if isinstance(v, list) else [v]
        if not all(isinstance(o, Output) for o in v):
            raise self.fail(f"input {i} holds nested lists")
        return v

    def const_value(self, i: int) -> np.ndarray | None:
        """Input ``i``'s value where it is constant (a list of constants is concatenated)."""
        if not self.has_input(i):
            return None
        parts = self.input_list(i)
        if any(o.node.type_name != "Constant" for o in parts):
            return None
        return np.concatenate([np.asarray(o.node.value).reshape(-1) for o in parts]) if len(parts) > 1 \
            else np.asarray(parts[0].node.value)

    # -- attributes ------------------------------------------------------------------------------------------
    def attr(self, name: str, default=None):
        return self.op.attrs.get(name, default)

    def ints(self, name: str, i: int | None, default=None) -> list[int]:
        """A list of ints given as attribute ``name`` or as constant input ``i`` (the input wins where both are:
        the legacy form keeps the attribute beside a tensor that overrides it)."""
        if i is not None and self.has_input(i):
            v = self.const_value(i)
            if v is None:
                raise self.fail(f"{name} (input {i}) must be constant")
            return [int(a) for a in np.asarray(v).reshape(-1)]
        v = self.attr(name, default)
        if v is None:
            raise self.fail(f"{name} is given neither as an attribute nor as an input")
        return [int(a) for a in (v if isinstance(v, (list, tuple)) else [v])]

    def number(self, name: str, i: int | None, default=None) -> float:
        """A scalar given as attribute ``name`` or as constant input ``i``."""
        if i is not None and self.has_input(i):
            v = self.const_value(i)
            if v is None:
                raise self.fail(f"{name} (input {i}) must be constant")
            return float(np.asarray(v).reshape(-1)[0])
        v = self.attr(name, default)
        if v is None:
            raise self.fail(f"{name} is given neither as an attribute nor as an input")
        return float(v)

    def element_type(self, name: str = "dtype", required: bool = True) -> str | None:
        """The ovcl type name of dtype attribute ``name``: a dtype name (PIR) or a VarType code (legacy). Where it
        is unset (PIR's ``Undefined``, the legacy -1): an error if ``required``, else None."""
        v = self.attr(name)
        if v is None or v == -1 or str(v).startswith("Undefined"):
            if required:
                raise self.fail(f"{name} is not given")
            return None
        if isinstance(v, int):
            return from_var_type(v, self.name)
        return from_dtype_name(str(v), self.name)

    def data_format(self) -> str:
        return self.attr("data_format", self.attr("data_layout", "NCHW"))


def translate(program: Program, params: dict[str, np.ndarray], name: str) -> Model:
    """The model of ``program`` with ``params`` (parameter name → value)."""
    values: dict = {}
    parameters = []
    for in_name, key, typ, shape in program.inputs:
        p = ops.make("Parameter", [], name=in_name, element_type=typ, shape=PartialShape(shape))
        p.output(0).set_names({in_name})
        values[key] = p.output(0)
        parameters.append(p)
    for key, pname in program.params.items():
        if pname not in params:
            raise FrontendError(f"parameter '{pname}' is not in the parameters file")
        values[key] = ops.constant(params[pname], name=pname).output(0)
    for op in _needed(program):
        if op.type.startswith("builtin."):
            _vector_op(op, values)
            continue
        fn = TRANSLATORS.get(op.type)
        if fn is None:
            raise UnsupportedOpError(f"PaddlePaddle op '{op.attrs.get('legacy_op', op.type)}' (at {op.name}) is "
                                     f"not supported")
        NodeContext(op, values).translate_with(lambda ctx: _bind(program, op, fn(ctx), values))
    results = []
    for out_name, key in program.outputs:
        v = values.get(key)
        if not isinstance(v, Output):
            raise FrontendError(f"output '{out_name}' is not a tensor made by the program")
        v.add_names({out_name})
        results.append(ops.make("Result", [v], name=f"{out_name}/sink_port_0"))
    return Model(results, parameters, name=name)


def _bind(program: Program, op: Op, outs, values: dict):
    """Records the outputs a translator made under the op's output keys, named after the program's tensors."""
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    for key, v in zip(op.outputs, outs):
        if key is None:
            continue
        if isinstance(key, list):            # a legacy slot of several outputs
            for k, o in zip(key, v):
                values[k] = o
                o.add_names({program.names.get(k, str(k))})
            continue
        values[key] = v
        if key in program.names and isinstance(v, Output):
            v.add_names({program.names[key]})


def _vector_op(op: Op, values: dict):
    """PIR's vectors of tensors: ``builtin.combine`` packs, ``builtin.split`` unpacks, ``builtin.slice`` takes
    one element."""
    try:
        if op.type == "builtin.combine":
            values[op.outputs[0]] = [values[k] for k in op.inputs]
        elif op.type == "builtin.split":
            vector = values[op.inputs[0]]
            if len(vector) != len(op.outputs):
                raise ValueError(f"{len(op.outputs)} outputs for a vector of {len(vector)}")
            values.update(zip(op.outputs, vector))
        elif op.type == "builtin.slice":
            values[op.outputs[0]] = values[op.inputs[0]][int(op.attrs["index"])]
        else:
            raise UnsupportedOpError(f"PaddlePaddle op '{op.type}' (at {op.name}) is not supported")
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise FrontendError(f"PaddlePaddle {op.type} op '{op.name}' is malformed ({type(e).__name__}: {e})") from None


def _needed(program: Program) -> list[Op]:
    """The ops the outputs depend on, in program order."""
    def keys(x):
        return x if isinstance(x, list) else [x]
    want = {key for _, key in program.outputs}
    keep = []
    for op in reversed(program.ops):
        outs = {k for o in op.outputs if o is not None for k in keys(o)}
        if outs & want:
            keep.append(op)
            want |= {k for i in op.inputs if i is not None for k in keys(i)}
    return keep[::-1]
