"""The state of a stateful model's variables (``ir/ops/state.py``) in one infer request, on the device.

Each variable has a device buffer per request. A plan reads it (ReadValue's copy) and writes the value after the
inference into a buffer of the size that value has, the same one when the size stays (the queue is in order and
every Assign runs after every ReadValue); the plan for an inference is chosen by the shapes of the values the
variables hold, ``None`` for a variable with none yet (the first inference, after ``reset_state``), which then
reads its initial value. Nothing here copies state to the host unless the user asks for it
(``VariableState.state``)."""
from __future__ import annotations

import numpy as np

from .errors import InferenceError
from .tensor import Tensor, host_dtype


class _Slot:
    __slots__ = ("variable", "buffer", "shape", "initialized")

    def __init__(self, variable):
        self.variable = variable            # ir.ops.state.Variable: id, type, declared shape
        self.buffer = None                  # cl.Buffer holding the value (a plan's write buffer)
        self.shape: tuple[int, ...] | None = None
        self.initialized = False


class RequestState:
    """The variables of one infer request."""

    def __init__(self, variables, device):
        self._device = device
        self._slots = {v.variable_id: _Slot(v) for v in variables}

    def __bool__(self) -> bool:
        return bool(self._slots)

    def key(self) -> tuple:
        """What the plan depends on: each variable's value shape, or None where it has no value."""
        return tuple((vid, s.shape if s.initialized else None) for vid, s in self._slots.items())

    def bindings(self, plan) -> dict:
        """(variable id, "read" | "write") -> the buffer the plan's launches use for it."""
        import pyopencl as cl
        out = {}
        for vid, role, value in plan.state_values():
            slot = self._slots[vid]
            if role == "read":
                out[(vid, role)] = slot.buffer
            elif slot.buffer is not None and slot.buffer.size == max(value.nbytes, 16):
                out[(vid, role)] = slot.buffer
            else:
                out[(vid, role)] = cl.Buffer(self._device.context, cl.mem_flags.READ_WRITE, max(value.nbytes, 16))
        return out

    def commit(self, plan, bound: dict) -> None:
        """After the inference: the written values are the state."""
        for vid, role, value in plan.state_values():
            if role == "write":
                slot = self._slots[vid]
                slot.buffer, slot.shape, slot.initialized = bound[(vid, role)], tuple(value.shape), True

    def query(self) -> list["VariableState"]:
        return [VariableState(self, vid) for vid in self._slots]

    def reset(self) -> None:
        for slot in self._slots.values():
            slot.initialized = False


class VariableState:
    """One variable's state in an infer request, as OpenVINO's: ``name``, ``state`` (read and set as a Tensor),
    ``reset()`` (the next inference reads the initial value)."""

    def __init__(self, owner: RequestState, variable_id: str):
        self._owner, self._id = owner, variable_id

    @property
    def name(self) -> str:
        return self._id

    def get_name(self) -> str:
        return self._id

    @property
    def _slot(self) -> _Slot:
        return self._owner._slots[self._id]

    @property
    def state(self) -> Tensor:
        """The value (copied from the device); before the first inference or after a reset, zeros of the
        variable's shape where it is static (OpenVINO gives its initial value there too), else an empty one."""
        import pyopencl as cl
        slot = self._slot
        t = slot.variable.data_type
        if not slot.initialized:
            ps = slot.variable.data_shape
            shape = tuple(ps.to_shape()) if ps.is_static else (0,)
            return Tensor(np.zeros(shape, host_dtype(t)))
        out = np.empty(slot.shape, host_dtype(t))
        if out.nbytes:
            cl.enqueue_copy(self._owner._device.queue, out, slot.buffer, is_blocking=True)
        return Tensor(out, shared_memory=True)

    @state.setter
    def state(self, value) -> None:
        import pyopencl as cl
        slot = self._slot
        arr = np.ascontiguousarray(value.data if isinstance(value, Tensor) else value)
        want = host_dtype(slot.variable.data_type)
        if arr.dtype != want:
            raise InferenceError(f"state of variable '{self._id}' is {slot.variable.data_type}; got {arr.dtype}")
        if not slot.variable.data_shape.compatible(list(arr.shape)):
            raise InferenceError(f"state of variable '{self._id}' has shape {slot.variable.data_shape}; got "
                                 f"{list(arr.shape)}")
        buf = cl.Buffer(self._owner._device.context, cl.mem_flags.READ_WRITE, max(arr.nbytes, 16))
        if arr.nbytes:
            cl.enqueue_copy(self._owner._device.queue, buf, arr, is_blocking=True)
        slot.buffer, slot.shape, slot.initialized = buf, tuple(arr.shape), True

    def get_state(self) -> Tensor:
        return self.state

    def set_state(self, value) -> None:
        self.state = value

    def reset(self) -> None:
        self._slot.initialized = False

    def __repr__(self):
        return f"<VariableState '{self._id}'>"
