"""Nodes of the graph and their ports.

A ``Node`` is one operation: an op definition (see ``ovcl.ir.ops``), its attributes, the outputs it reads
(``Output`` handles of other nodes) and, after type inference, the element type and partial shape of each
of its own outputs. Tensor names live on output ports, as in OpenVINO.
"""
from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import IRError
from .shape import MAX_RANK, PartialShape, Shape
from .types import Type

if TYPE_CHECKING:  # pragma: no cover
    from .ops.registry import Op

_ids = itertools.count()




# the largest tensor whose value shape inference computes ahead of running (shape subgraphs are small)
KNOWN_VALUE_LIMIT = 1024


class PortInfo:
    """What an output port carries: element type, shape, tensor names and run-time info, and ``value`` where
    shape inference knows it (see ``Node.input_known``)."""
    __slots__ = ("element_type", "partial_shape", "names", "rt_info", "value")

    def __init__(self, element_type=Type.dynamic, partial_shape=None, names=(), rt_info=None, value=None):
        self.element_type = element_type
        self.partial_shape = PartialShape.dynamic() if partial_shape is None else partial_shape
        self.names: set[str] = set(names)
        self.rt_info: dict[str, Any] = dict(rt_info or {})
        self.value: np.ndarray | None = value

    def copy(self) -> "PortInfo":
        return PortInfo(self.element_type, self.partial_shape, self.names, self.rt_info, self.value)


class Output:
    """An output port of a node: one tensor in the graph."""

    __slots__ = ("node", "index")

    def __init__(self, node: "Node", index: int):
        self.node = node
        self.index = index

    @property
    def _info(self) -> PortInfo:
        return self.node._outputs[self.index]

    def get_node(self) -> "Node":
        return self.node

    def get_index(self) -> int:
        return self.index

    def get_element_type(self) -> Type:
        return self._info.element_type

    def get_partial_shape(self) -> PartialShape:
        return self._info.partial_shape

    def get_shape(self) -> "Shape":
        return self._info.partial_shape.to_shape()

    def get_names(self) -> set[str]:
        if self.node.type_name == "Result":
            return self.node.input_value(0).get_names()
        return set(self._info.names)

    def get_any_name(self) -> str:
        names = self.get_names()
        if not names:
            raise RuntimeError(f"output {self.index} of node '{self.node.name}' has no tensor name")
        return min(names)

    def set_names(self, names) -> None:
        target = self.node.input_value(0) if self.node.type_name == "Result" else self
        target._info.names = set(names)

    def add_names(self, names) -> None:
        target = self.node.input_value(0) if self.node.type_name == "Result" else self
        target._info.names.update(names)

    def get_rt_info(self) -> dict:
        return self._info.rt_info

    rt_info = property(get_rt_info)

    def get_tensor(self) -> "TensorDescriptor":
        """The tensor this port produces: its names, type and shape (OpenVINO's ``descriptor.Tensor``)."""
        return TensorDescriptor(self)

    tensor = property(get_tensor)

    # properties as in openvino's Python API
    element_type = property(get_element_type)
    partial_shape = property(get_partial_shape)
    shape = property(get_shape)
    names = property(get_names)
    any_name = property(get_any_name)

    def __eq__(self, other):
        return isinstance(other, Output) and other.node is self.node and other.index == self.index

    def __hash__(self):
        return hash((id(self.node), self.index))

    def __repr__(self):
        names = ", ".join(sorted(self.get_names())) or "-"
        return (f"<Output: names[{names}] shape{self.get_partial_shape()} "
                f"type: {self.get_element_type()}>")


class TensorDescriptor:
    """What is known of a port's tensor before running: names (settable), element type, shape."""

    def __init__(self, port: "Output"):
        self._port = port

    def get_names(self) -> set[str]:
        return self._port.get_names()

    def set_names(self, names) -> None:
        self._port.set_names(names)

    def add_names(self, names) -> None:
        self._port.add_names(names)

    def get_any_name(self) -> str:
        return self._port.get_any_name()

    def get_element_type(self) -> Type:
        return self._port.get_element_type()

    def get_partial_shape(self) -> PartialShape:
        return self._port.get_partial_shape()

    def get_shape(self) -> Shape:
        return self._port.get_shape()

    names = property(get_names, set_names)
    any_name = property(get_any_name)
    element_type = property(get_element_type)
    partial_shape = property(get_partial_shape)
    shape = property(get_shape)

    def __repr__(self):
        return f"<TensorDescriptor: names[{', '.join(sorted(self.get_names()))}] shape{self.get_partial_shape()} " \
               f"type: {self.get_element_type()}>"


class Node:
    """One operation of the graph. Build nodes with ``ovcl.ir.ops.make`` so that they are validated."""

    def __init__(self, op: "type[Op]", inputs: list[Output], attrs: dict[str, Any], name: str | None = None,
                 version: str | None = None):
        self.op = op
        self.id = next(_ids)
        self.type_name: str = op.type_name
        self.version: str = version or op.version
        self.attrs: dict[str, Any] = attrs
        self.name: str = name or f"{op.type_name}_{self.id}"
        self._inputs: list[Output] = list(inputs)
        self._outputs: list[PortInfo] = []
        self.value: np.ndarray | None = None   # only Constant nodes hold data
        self.rt_info: dict[str, Any] = {}

    # -- structure ----------------------------------------------------------
    def add_output(self, port: PortInfo) -> Output:
        """Append an output port (for passes that build a node whose outputs they know, without inference)."""
        self._outputs.append(port)
        return Output(self, len(self._outputs) - 1)

    def output_ports(self) -> list[PortInfo]:
        return list(self._outputs)

    def input_value(self, i: int) -> Output:
        return self._inputs[i]

    def input_values(self) -> list[Output]:
        return list(self._inputs)

    def set_input(self, i: int, value: Output) -> None:
        self._inputs[i] = value

    def get_input_size(self) -> int:
        return len(self._inputs)

    def output(self, i: int = 0) -> Output:
        if not 0 <= i < len(self._outputs):
            raise IndexError(f"node '{self.name}' ({self.type_name}) has {len(self._outputs)} outputs, not {i + 1}")
        return Output(self, i)

    def outputs(self) -> list[Output]:
        return [Output(self, i) for i in range(len(self._outputs))]

    def get_output_size(self) -> int:
        return len(self._outputs)

    # -- typed helpers for shape inference ----------------------------------
    def input_shape(self, i: int) -> PartialShape:
        return self._inputs[i].get_partial_shape()

    def input_type(self, i: int) -> Type:
        return self._inputs[i].get_element_type()

    def input_const(self, i: int) -> np.ndarray | None:
        """The value of input ``i`` when it is produced by a Constant, else None."""
        if i >= len(self._inputs):
            return None
        src = self._inputs[i].node
        return src.value if src.type_name == "Constant" else None

    def input_known(self, i: int) -> np.ndarray | None:
        """The value of input ``i`` where it is known before running: a Constant's, or one that shape inference
        computed from static shapes and constants (a ShapeOf of a static shape and the small ops after it:
        OpenVINO's IR keeps such shape subgraphs, and the shapes they compute are static). For shape inference;
        the graph still computes it (``specialize`` folds it)."""
        if i >= len(self._inputs):
            return None
        src = self._inputs[i]
        return src.node.value if src.node.type_name == "Constant" else src._info.value

    def get_output_element_type(self, i: int) -> Type:
        return self._outputs[i].element_type

    def get_output_partial_shape(self, i: int) -> PartialShape:
        return self._outputs[i].partial_shape

    def get_output_shape(self, i: int):
        return self._outputs[i].partial_shape.to_shape()

    # -- openvino-style accessors -------------------------------------------
    def get_type_name(self) -> str:
        return self.type_name

    def get_friendly_name(self) -> str:
        return self.name

    def set_friendly_name(self, name: str) -> None:
        self.name = name

    def get_attributes(self) -> dict[str, Any]:
        return dict(self.attrs)

    def get_rt_info(self) -> dict:
        return self.rt_info

    friendly_name = property(get_friendly_name, set_friendly_name)

    def get_type_info(self):
        return (self.type_name, self.version)

    # -- inference ----------------------------------------------------------
    def validate(self) -> None:
        """Run the op's type and shape inference and store the result on the output ports."""
        try:
            results = self.op.infer(self)
            if self.rt_info.get("bounded"):     # see Op.data_dependent: upper-bound shapes plus a length
                results = [(t, PartialShape(list(shape))) for (t, _), (shape, _axis)
                           in zip(results, self.op.upper_bounds(self))] + [(Type.i64, PartialShape([]))]
        except IRError:
            raise
        except Exception as e:  # noqa: BLE001 - re-raised with the node named
            raise IRError(f"{self.type_name} node '{self.name}': shape inference failed: {e}") from e
        results = [(t, ps if isinstance(ps, PartialShape) else PartialShape(ps)) for t, ps in results]
        for _, ps in results:
            if not ps.rank_is_dynamic and len(ps) > MAX_RANK:
                raise IRError(f"{self.type_name} node '{self.name}': an output of rank {len(ps)}; ovcl supports "
                              f"tensors of rank up to {MAX_RANK}")
        while len(self._outputs) < len(results):
            self._outputs.append(PortInfo())
        del self._outputs[len(results):]
        for info, (t, ps) in zip(self._outputs, results):
            info.element_type = t
            info.partial_shape = ps
            info.value = None
        self._compute_known_values()

    def _compute_known_values(self) -> None:
        """The outputs' values, where every input's value is known (or, for ShapeOf, the input's shape is
        static) and the tensors are small: what ``input_known`` gives the next nodes."""
        if self.type_name in ("Parameter", "Constant", "Result") or not self.op.can_evaluate():
            return
        if any(not o.partial_shape.is_static or math.prod(o.partial_shape.to_shape()) > KNOWN_VALUE_LIMIT
               for o in self._outputs):
            return
        if self.type_name == "ShapeOf":
            if not self.input_shape(0).is_static:
                return
            ins = [np.empty(self.input_shape(0).to_shape(), dtype=np.uint8)]
        else:
            ins = [self.input_known(i) for i in range(len(self._inputs))]
            if any(v is None or np.size(v) > KNOWN_VALUE_LIMIT for v in ins):
                return
        try:
            outs = self.op.evaluate(self, ins)
        except Exception:  # noqa: BLE001 - a value that cannot be computed ahead stays unknown
            return
        for info, value in zip(self._outputs, outs):
            arr = np.asarray(value)
            if info.element_type.dtype is not None and arr.dtype != info.element_type.dtype:
                arr = arr.astype(info.element_type.dtype)
            if arr.shape != tuple(info.partial_shape.to_shape()):
                if arr.size != math.prod(info.partial_shape.to_shape()):
                    return
                arr = arr.reshape(info.partial_shape.to_shape())
            info.value = arr

    def evaluate(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self.op.evaluate(self, inputs)

    def __repr__(self):
        outs = ", ".join(f"{o.get_element_type()}{o.get_partial_shape()}" for o in self.outputs())
        return f"<{self.type_name} '{self.name}': {outs}>"
