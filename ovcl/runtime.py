"""The OpenVINO-style API: Core, CompiledModel, InferRequest, AsyncInferQueue, Tensor and the results map."""
from __future__ import annotations

import collections
import datetime
import enum
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from ovcl.ir import Model, Output, PartialShape

from .config import SETTINGS, effective, warn_unfollowed
from .config import parse as parse_config
from .config import value as setting
from .device import available_devices, get_device
from .errors import ConfigError, InferenceError, NotSupportedError
from .plans import Plans
from .tensor import Tensor, host_dtype
from .variable_state import RequestState, VariableState


def _converted(value, dtype: np.dtype) -> np.ndarray:
    """An input given as an array (not a Tensor) in the port's type where it converts within its kind or up
    from an integer (f64 → f32, i64 → f32), as OpenVINO converts such inputs; others are left to be refused."""
    arr = np.asarray(value)
    if arr.dtype != dtype and np.can_cast(arr.dtype, dtype, "same_kind"):
        return arr.astype(dtype)
    return arr


class OVDict(collections.abc.Mapping):
    """Inference results, keyed by output port, index or tensor name (like openvino's OVDict)."""

    def __init__(self, ports: list[Output], arrays: list[np.ndarray]):
        self._ports = ports
        self._arrays = arrays

    def _index(self, key) -> int:
        if isinstance(key, int):
            if not -len(self._arrays) <= key < len(self._arrays):
                raise KeyError(f"no output {key}: the model has {len(self._arrays)}")
            return key % len(self._arrays)
        if isinstance(key, Output):
            for i, p in enumerate(self._ports):
                if p == key or p.get_names() & key.get_names():
                    return i
            raise KeyError(f"no output port {key!r}")
        if isinstance(key, str):
            for i, p in enumerate(self._ports):
                if key in p.get_names():
                    return i
            raise KeyError(f"no output named '{key}' (outputs: {[sorted(p.get_names()) for p in self._ports]})")
        raise KeyError(key)

    def __getitem__(self, key):
        return self._arrays[self._index(key)]

    def __iter__(self):
        return iter(self._ports)

    def __len__(self):
        return len(self._arrays)

    def keys(self):
        return list(self._ports)

    def values(self):
        return list(self._arrays)

    def items(self):
        return list(zip(self._ports, self._arrays))

    def names(self):
        return [tuple(sorted(p.get_names())) for p in self._ports]

    def to_tuple(self) -> tuple:
        return tuple(self._arrays)

    def to_dict(self) -> dict:
        return dict(zip(self._ports, self._arrays))

    def __repr__(self):
        return "OVDict(" + ", ".join(f"{_port_label(p)}: {a.dtype}{list(a.shape)}"
                                     for p, a in zip(self._ports, self._arrays)) + ")"


def _port_label(p: Output) -> str:
    names = p.get_names()
    return min(names) if names else p.node.name


class CompiledModel:
    """A model compiled for one device. Static models are planned now; a dynamic one plans each new set of
    input shapes at its first inference and keeps the last few plans."""

    def __init__(self, model: Model, device, config: dict | None = None, plans: dict | None = None):
        self._model = model
        self._device = device
        self._config = parse_config(config, f"compile_model on {device.name}")
        warn_unfollowed(self._config, device)
        self._plans = Plans(model, device, self._config)
        for shapes, plan in (plans or {}).items():      # made before (import_model)
            self._plans.adopt(shapes, plan)
        self._last_profile: list | None = None            # the latest profiled inference's launch times
        self._stateful = model.is_stateful()
        self._default: InferRequest | None = None
        self._default_lock = threading.Lock()
        self._profiling = bool(setting(self._config, "PERF_COUNT"))
        if not model.is_dynamic():
            self._plans.for_shapes(tuple(tuple(p.get_shape()) for p in model.inputs))

    # -- ports ----------------------------------------------------------------
    @property
    def inputs(self) -> list[Output]:
        return self._model.inputs

    @property
    def outputs(self) -> list[Output]:
        return self._model.outputs

    def input(self, key=None) -> Output:
        return self._model.input(key)

    def output(self, key=None) -> Output:
        return self._model.output(key)

    def get_runtime_model(self) -> Model:
        """The execution graph of the latest plan (see ``ovcl/runtime_model.py``): one node per kernel launch,
        what it runs in its rt_info; the model itself before any inference of a dynamic one."""
        from .runtime_model import execution_graph
        plan = self._plans.latest()
        if plan is None or not hasattr(plan, "launches") or getattr(plan, "lowered", None) is None:
            return self._model
        return execution_graph(plan, self._model.get_friendly_name(), self._last_profile)

    @property
    def device(self):
        return self._device

    def get_property(self, name):
        """A property (``ovcl.properties``): the settings in effect, the optimal number of infer requests, the
        model's name, whether its plan came from the model cache."""
        settings = effective(self._config, self._device)
        props = {**settings,
                 "NETWORK_NAME": self._model.get_friendly_name(),
                 "OPTIMAL_NUMBER_OF_INFER_REQUESTS": settings["NUM_STREAMS"],
                 "EXECUTION_DEVICES": [self._device.name],
                 "LOADED_FROM_CACHE": self._plans.loaded_from_cache}
        props["SUPPORTED_PROPERTIES"] = {k: "RO" for k in [*props, "SUPPORTED_PROPERTIES"]}
        if str(name) not in props:
            raise ConfigError(f"the compiled model has no property '{name}'; it has {', '.join(sorted(props))}")
        return props[str(name)]

    def export_model(self) -> bytes:
        """This compiled model as bytes for ``Core.import_model`` on the same device and driver (see
        ``ovcl/export.py``)."""
        from .export import export_blob
        return export_blob(self)

    def set_property(self, properties: dict) -> None:
        raise ConfigError("a compiled model's properties are fixed: pass them to compile_model (its config) or "
                          "Core.set_property before compiling")

    # -- planning -------------------------------------------------------------
    def _current_plan(self):
        """The most recently used plan (for inspection: its stats and launches)."""
        return self._plans.latest()

    # -- inspection -----------------------------------------------------------
    def launches(self):
        """The launches of the most recent plan: node served, kernel name, sizes and OpenCL source."""
        plan = self._current_plan()
        return [] if plan is None else list(plan.launches)   # a SegmentedPlan lists both segments

    def kernel_sources(self) -> dict[str, str]:
        return {l.kernel: l.source for l in self.launches()}

    # -- inference --------------------------------------------------------------
    def _prepare(self, arrays: list) -> list[np.ndarray]:
        params = self._model.inputs
        checked = []
        for port, arr in zip(params, arrays):
            want_t = port.get_element_type()
            name = _port_label(port)
            want_dtype = host_dtype(want_t)
            arr = arr.data if isinstance(arr, Tensor) else _converted(arr, want_dtype)
            if arr.dtype != want_dtype:
                raise InferenceError(f"input '{name}' expects element type {want_t} ({want_dtype}), got "
                                     f"{arr.dtype}: convert it first, e.g. x.astype(np.{want_dtype})")
            if not port.get_partial_shape().compatible(PartialShape(list(arr.shape))):
                raise InferenceError(f"input '{name}' expects shape {port.get_partial_shape()}, got "
                                     f"{list(arr.shape)}")
            checked.append(np.require(arr, requirements="C"))   # keeps 0-d arrays 0-d
        return checked

    def _infer(self, inputs: list) -> list[np.ndarray]:
        if self._stateful:
            return list(self._default_request().infer(inputs).values())
        return self._plans.run(self._prepare(inputs))

    def _default_request(self) -> "InferRequest":
        """The request calls on the compiled model itself use (a stateful model's state lives in it), as
        OpenVINO's."""
        with self._default_lock:
            if self._default is None:
                self._default = InferRequest(self)
            return self._default

    def query_state(self) -> list:
        """The variables' states of the request that calls on the compiled model use."""
        return self._default_request().query_state()

    def reset_state(self) -> None:
        self._default_request().reset_state()

    def __call__(self, inputs=None, *args, share_inputs: bool = True, share_outputs: bool = False) -> OVDict:
        """Infer once; every input must be given (by position, name, index or port). The results are arrays of
        their own whatever ``share_outputs`` says: no later inference writes into them. A stateful model's
        state carries from one call to the next (``query_state``, ``reset_state``)."""
        if args:
            inputs = (inputs, *args)
        return OVDict(self.outputs, self._infer(_normalize_inputs(inputs, self.inputs)))

    def create_infer_request(self) -> "InferRequest":
        return InferRequest(self)

    def infer_new_request(self, inputs=None) -> "OVDict":
        """One inference on a request of its own (results not shared with any other call)."""
        return InferRequest(self).infer(inputs)

    def release_memory(self) -> None:
        """Give back the device buffers of idle plan instances beyond the first (made while inferences
        overlapped); they are made again when inferences overlap again."""
        for _, plan in self._plans.items():
            if hasattr(plan, "release_instances"):
                plan.release_instances()

    def profile(self, inputs, synchronised: bool = False) -> list[tuple[Any, float]]:
        """Run once; returns (launch, seconds) pairs: each kernel's time by the device's profiling events, the
        launches queued as in any inference. ``synchronised``: host time around each launch instead, between
        two waits for the device, which also counts what the driver does at a launch (PoCL compiles a kernel at
        its first launch) and costs PoCL 25-45 us a launch."""
        from .executor import SynchronisedProfile
        prof: list = SynchronisedProfile() if synchronised else []
        self._plans.run(self._prepare(_normalize_inputs(inputs, self.inputs)), profile=prof,
                        state=self._default_request()._state if self._stateful else None)
        return prof


def _normalize_inputs(inputs, params: list[Output]) -> list:
    n = len(params)
    if inputs is None:
        inputs = []
    if isinstance(inputs, (np.ndarray, Tensor)) or np.isscalar(inputs):
        inputs = [inputs]
    if isinstance(inputs, dict):
        arrays: list = [None] * n
        for key, val in inputs.items():
            idx = _input_index(key, params)
            arrays[idx] = val
        missing = [_port_label(params[i]) for i, a in enumerate(arrays) if a is None]
        if missing:
            raise InferenceError(f"missing input(s) {missing}; the model takes {[_port_label(p) for p in params]}")
        return arrays
    inputs = list(inputs)
    if len(inputs) != n:
        raise InferenceError(f"the model takes {n} input(s) {[_port_label(p) for p in params]}, got {len(inputs)}")
    return inputs


def _input_index(key, params: list[Output]) -> int:
    if isinstance(key, int):
        if not 0 <= key < len(params):
            raise InferenceError(f"no input {key}: the model has {len(params)}")
        return key
    if isinstance(key, Output):
        for i, p in enumerate(params):
            if p == key or (p.get_names() & key.get_names()):
                return i
    if isinstance(key, str):
        for i, p in enumerate(params):
            if key in p.get_names() or key == p.node.name:
                return i
    raise InferenceError(f"no input {key!r}; the model takes {[_port_label(p) for p in params]}")


class ProfilingInfo:
    """One line of ``InferRequest.get_profiling_info()``, as OpenVINO's: a node, its type, the kernel that ran it
    (``exec_type``: the kernel variant, or the kernel's name), its time, and whether it ran or was fused into
    another node's kernel."""

    class Status(enum.Enum):
        NOT_RUN = 0
        OPTIMIZED_OUT = 1
        EXECUTED = 2

    NOT_RUN, OPTIMIZED_OUT, EXECUTED = Status.NOT_RUN, Status.OPTIMIZED_OUT, Status.EXECUTED

    def __init__(self, node_name: str, node_type: str, exec_type: str, seconds: float, status: "ProfilingInfo.Status"):
        self.node_name, self.node_type, self.exec_type, self.status = node_name, node_type, exec_type, status
        self.real_time = self.cpu_time = datetime.timedelta(seconds=seconds)

    def __repr__(self):
        return f"<ProfilingInfo {self.node_name} ({self.node_type}): {self.exec_type}, {self.real_time}>"


def _profiling_info(timed: list, types: dict[str, str]) -> list[ProfilingInfo]:
    """The launches of one profiled inference as ProfilingInfo: each launch under the node it serves (a node
    some launches share, such as a padding step and its convolution, once per launch), and once each the nodes
    fused into them as OPTIMIZED_OUT, under the last launch that computes them."""
    out, fused = [], {}
    for launch, seconds in timed:
        kernel = launch.exec_type
        out.append(ProfilingInfo(launch.node, launch.op, kernel, seconds, ProfilingInfo.EXECUTED))
        for n in launch.nodes:
            if n != launch.node:
                fused[n] = ProfilingInfo(n, types.get(n, ""), kernel, 0.0, ProfilingInfo.OPTIMIZED_OUT)
    executed = {i.node_name for i in out}
    return out + [info for name, info in fused.items() if name not in executed]


class InferRequest:
    """One inference at a time, sync or async, with input and output tensors that persist between inferences
    (OpenVINO's): ``get_input_tensor()`` hands out one to fill in place, ``set_output_tensor`` one to be
    written into."""

    def __init__(self, compiled: CompiledModel):
        self._compiled = compiled
        self._inputs: dict[int, Tensor] = {}
        self._owned: set[int] = set()       # inputs whose tensor the request made (an inference may copy into it)
        self._output_tensors: dict[int, Tensor] = {}     # the tensors results are written into
        self._outputs: list[np.ndarray] | None = None
        self._profile: list | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._callback: Callable | None = None
        self._callback_userdata = None
        self._cancelled = False
        self.userdata = None
        self.latency = 0.0          # milliseconds of the last inference
        self._state = RequestState(compiled._model.get_variables(), compiled.device) if compiled._stateful else None

    @property
    def model_inputs(self):
        return self._compiled.inputs

    @property
    def model_outputs(self):
        return self._compiled.outputs

    def infer(self, inputs=None, share_inputs: bool = False, share_outputs: bool = False) -> OVDict:
        """Infer with ``inputs`` (copied into the request's input tensors unless ``share_inputs``) or the tensors
        set before. The results are the request's output tensors with ``share_outputs``, else copies of them."""
        if inputs is not None:
            self._set_inputs(inputs, share_inputs)
        params = self._compiled.inputs
        missing = [_port_label(p) for i, p in enumerate(params) if i not in self._inputs]
        if missing:
            raise InferenceError(f"input(s) {missing} not set: pass them to infer() or set_tensor() first")
        start = time.perf_counter()
        arrays = self._compiled._prepare([self._inputs[i] for i in range(len(params))])
        if self._compiled._profiling:
            self._profile = []
            outs = self._compiled._plans.run(arrays, profile=self._profile, state=self._state)
            self._compiled._last_profile = self._profile
        else:
            outs = self._compiled._plans.run(arrays, state=self._state)
        for i, out in enumerate(outs):
            if i in self._output_tensors:
                self._output_tensors[i].copy_from(out)
                outs[i] = self._output_tensors[i].data
        self._outputs = outs
        self.latency = (time.perf_counter() - start) * 1e3
        results = self.results
        if share_outputs or not self._output_tensors:
            return results       # the plan's arrays are fresh each inference: no later one overwrites them
        return OVDict(self._compiled.outputs, [a.copy() for a in self._outputs])

    def query_state(self) -> list[VariableState]:
        """The state of each variable of a stateful model in this request (empty for a stateless one)."""
        return self._state.query() if self._state else []

    def reset_state(self) -> None:
        """Every variable starts again from its initial value at the next inference."""
        if self._state:
            self._state.reset()

    def get_profiling_info(self) -> list[ProfilingInfo]:
        """Per-launch times of the last inference, with PERF_COUNT set at compile time: each kernel's time by the
        device's profiling events, so the times add up to no more than the inference."""
        if not self._compiled._profiling:
            raise InferenceError("profiling is off: compile with {'PERF_COUNT': True} "
                                 "(ovcl.properties.enable_profiling)")
        if self._profile is None:
            raise InferenceError("no profile yet: run infer() first")
        return _profiling_info(self._profile, {n.name: n.type_name for n in self._compiled._model.get_ordered_ops()})

    @property
    def profiling_info(self) -> list[ProfilingInfo]:
        return self.get_profiling_info()

    def _set_inputs(self, inputs, share: bool) -> None:
        params = self._compiled.inputs
        if isinstance(inputs, dict):
            pairs = [(_input_index(key, params), val) for key, val in inputs.items()]
        else:
            pairs = list(enumerate(_normalize_inputs(inputs, params)))
        for i, val in pairs:
            if isinstance(val, Tensor):
                self._set_input(i, val)
                continue
            arr = _converted(val, host_dtype(params[i].get_element_type()))
            mine = self._inputs.get(i) if i in self._owned else None
            if share:
                self._set_input(i, Tensor(arr, shared_memory=True))
            elif mine is not None and mine.data.shape == arr.shape and mine.data.dtype == arr.dtype:
                np.copyto(mine.data, arr)          # into the tensor get_input_tensor handed out
            else:
                self._inputs[i] = Tensor(arr)
                self._owned.add(i)

    def _set_input(self, i: int, tensor: Tensor) -> None:
        """A tensor of the caller's as input ``i``: used as it is, never written into."""
        self._inputs[i] = tensor
        self._owned.discard(i)

    # -- asynchronous -----------------------------------------------------------------------------------------
    def start_async(self, inputs=None, userdata=None, share_inputs: bool = False) -> None:
        """Infer in the background; the callback gets ``userdata`` (or the one given to set_callback)."""
        self.wait()
        self.userdata = self._callback_userdata if userdata is None else userdata
        self._error = None
        self._cancelled = False

        def work():
            try:
                if self._cancelled:
                    raise InferenceError("the infer request was cancelled")
                self.infer(inputs, share_inputs)
            except BaseException as e:  # noqa: BLE001 - surfaced by wait()
                self._error = e
            if self._callback is not None:
                self._callback(self.userdata)

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Cancels an inference started with start_async that has not begun on the device (one that has runs
        to its end); wait() then raises."""
        self._cancelled = True

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def wait_for(self, timeout_ms: int) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout_ms / 1000)
        return not self._thread.is_alive()

    def set_callback(self, callback: Callable, userdata=None) -> None:
        self._callback = callback
        self._callback_userdata = userdata

    # -- tensors ----------------------------------------------------------------
    def _output_index(self, key) -> int:
        if isinstance(key, int):
            if not 0 <= key < len(self._compiled.outputs):
                raise InferenceError(f"no output {key}: the model has {len(self._compiled.outputs)}")
            return key
        return OVDict(self._compiled.outputs, [None] * len(self._compiled.outputs))._index(key)

    def set_tensor(self, key, tensor) -> None:
        """An input's or an output's tensor (by name, port or, for inputs, index)."""
        tensor = tensor if isinstance(tensor, Tensor) else Tensor(tensor, shared_memory=True)
        try:
            self._set_input(_input_index(key, self._compiled.inputs), tensor)
        except InferenceError:
            self.set_output_tensor(self._output_index(key), tensor)

    def set_tensors(self, key, tensors: list) -> None:
        """A batched input from one tensor per batch item, joined along the first axis."""
        self.set_tensor(key, Tensor(np.concatenate([np.asarray(t) for t in tensors], axis=0), shared_memory=True))

    def set_input_tensor(self, index_or_tensor, tensor=None) -> None:
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        self._set_input(_input_index(int(index_or_tensor), self._compiled.inputs),
                        tensor if isinstance(tensor, Tensor) else Tensor(tensor, shared_memory=True))

    def set_input_tensors(self, tensors) -> None:
        items = tensors.items() if isinstance(tensors, dict) else enumerate(tensors)
        for k, t in items:
            self.set_tensor(k, t)

    def set_output_tensor(self, index_or_tensor, tensor=None) -> None:
        """A tensor each inference writes output ``index`` into (its shape follows the output's)."""
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        if not isinstance(tensor, Tensor):
            raise InferenceError("set_output_tensor takes an ovcl.Tensor")
        i = self._output_index(int(index_or_tensor))
        want = host_dtype(self._compiled.outputs[i].get_element_type())
        if tensor.data.dtype != want:
            raise InferenceError(f"output {i} is {want}, the tensor {tensor.data.dtype}")
        self._output_tensors[i] = tensor

    def set_output_tensors(self, tensors) -> None:
        items = tensors.items() if isinstance(tensors, dict) else enumerate(tensors)
        for k, t in items:
            self.set_output_tensor(k, t)

    def get_tensor(self, key) -> Tensor:
        try:
            return self.get_input_tensor(_input_index(key, self._compiled.inputs))
        except InferenceError:
            return self.get_output_tensor(self._output_index(key))

    def get_input_tensor(self, index: int = 0) -> Tensor:
        """Input ``index``'s tensor: the one set or given last, else a new one of the input's type and shape (its
        dynamic dimensions 0: ``set_shape`` it) to be filled in place."""
        index = _input_index(index, self._compiled.inputs)
        if index not in self._inputs:
            self._inputs[index] = Tensor(self._compiled.inputs[index])
            self._owned.add(index)
        return self._inputs[index]

    def get_output_tensor(self, index: int = 0) -> Tensor:
        """Output ``index``'s tensor, which each inference writes into; before the first, one of the output's
        static shape."""
        index = self._output_index(index)
        if index not in self._output_tensors:
            port = self._compiled.outputs[index]
            if self._outputs is not None:      # a copy: results already handed out stay as they are
                self._output_tensors[index] = Tensor(self._outputs[index])
            else:
                self._output_tensors[index] = Tensor(port)
        return self._output_tensors[index]

    @property
    def input_tensors(self) -> list[Tensor]:
        return [self.get_input_tensor(i) for i in range(len(self._compiled.inputs))]

    @property
    def output_tensors(self) -> list[Tensor]:
        return [self.get_output_tensor(i) for i in range(len(self._compiled.outputs))]

    @property
    def results(self) -> OVDict:
        if self._outputs is None:
            raise InferenceError("no results yet: run infer() first")
        return OVDict(self._compiled.outputs, self._outputs)

    def get_compiled_model(self) -> CompiledModel:
        return self._compiled


class Version:
    """A component's version, as ``Core.get_versions`` gives them."""

    def __init__(self, build_number: str, description: str):
        self.build_number, self.description = build_number, description

    def __repr__(self):
        return f"<Version: {self.build_number} {self.description}>"


class AsyncInferQueue:
    """A pool of infer requests run from worker threads, with a completion callback."""

    def __init__(self, compiled: CompiledModel, jobs: int = 0):
        jobs = jobs or compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
        self._requests = [compiled.create_infer_request() for _ in range(max(jobs, 1))]
        self._userdata: list = [None] * len(self._requests)
        self._pool = ThreadPoolExecutor(max_workers=len(self._requests))
        self._free: collections.deque[int] = collections.deque(range(len(self._requests)))
        self._cond = threading.Condition()
        self._callback: Callable | None = None
        self._futures: list = []
        self._errors: list[BaseException] = []

    def __len__(self):
        return len(self._requests)

    def __getitem__(self, i) -> InferRequest:
        return self._requests[i]

    def __iter__(self):
        return iter(self._requests)

    @property
    def userdata(self) -> list:
        """The userdata of each request's latest job."""
        return list(self._userdata)

    def set_callback(self, callback: Callable) -> None:
        self._callback = callback

    def is_ready(self) -> bool:
        with self._cond:
            return bool(self._free)

    def get_idle_request_id(self) -> int:
        """The id of the request the next job goes to, once one is idle (waits for one)."""
        with self._cond:
            while not self._free:
                self._cond.wait()
            return self._free[0]

    def start_async(self, inputs=None, userdata=None, share_inputs: bool = False) -> None:
        with self._cond:
            while not self._free:
                self._cond.wait()
            idx = self._free.popleft()
        req = self._requests[idx]
        self._userdata[idx] = userdata

        def work():
            try:
                req.infer(inputs, share_inputs=share_inputs)
                if self._callback is not None:
                    self._callback(req, userdata)
            except BaseException as e:  # noqa: BLE001 - surfaced by wait_all()
                self._errors.append(e)
            finally:
                with self._cond:
                    self._free.append(idx)
                    self._cond.notify_all()

        self._futures.append(self._pool.submit(work))

    def wait_all(self) -> None:
        for f in self._futures:
            f.result()
        self._futures.clear()
        if self._errors:
            err = self._errors[0]
            self._errors.clear()
            raise err


class Core:
    """Entry point, as openvino.Core: read, convert and compile models; list devices and their properties."""

    def __init__(self):
        self._properties: dict[str, dict] = collections.defaultdict(dict)
        self._global: dict[str, Any] = {}

    @property
    def available_devices(self) -> list[str]:
        return available_devices()

    def get_available_devices(self) -> list[str]:
        return available_devices()

    def add_extension(self, *args, **kwargs) -> None:
        raise NotSupportedError("ovcl cannot load OpenVINO extensions (C++ libraries of custom ops or frontend "
                                "mappings): every op runs as an OpenCL kernel of ovcl's, so a custom op needs one "
                                "there (ovcl/lowering, kernels/)")

    def register_plugin(self, *args, **kwargs) -> None:
        raise NotSupportedError("ovcl has no device plugins: its devices are the OpenCL devices the ICD loader "
                                "finds (list them with 'ovcl devices'); register an OpenCL driver instead")

    register_plugins = register_plugin

    def unload_plugin(self, device_name: str) -> None:
        """Nothing to unload: ovcl has no plugins (a device's OpenCL context lives as long as the process)."""

    def create_context(self, device_name: str, properties=None):
        raise NotSupportedError("ovcl has no remote contexts: pass host arrays or Tensors; device buffers are "
                                "ovcl's own")

    def get_default_context(self, device_name: str):
        return self.create_context(device_name)

    def get_versions(self, device_name: str) -> dict[str, "Version"]:
        """ovcl's version and the OpenCL driver behind each device named (``"CPU"``, ``"GPU,CPU"``...)."""
        from . import __version__
        out = {}
        for name in str(device_name).replace("AUTO:", "").split(","):
            device = get_device(name.strip())
            out[device.name] = Version(__version__, f"ovcl OpenCL plugin on {device.platform.name.strip()} "
                                                    f"{device.cl_device.driver_version.strip()}")
        return out

    def get_property(self, device_name: str, name=None):
        """A device's property: what its OpenCL driver reports, and the settings compile_model would use on it
        (``get_property(name)`` alone: a setting made for every device)."""
        if name is None:
            key = str(device_name)
            if key not in SETTINGS:
                raise ConfigError(f"no property '{key}' for every device; they are {', '.join(sorted(SETTINGS))}")
            return effective(self._global)[key]
        device = get_device(device_name)
        settings = effective({**self._global, **self._properties[device.name]}, device)
        props = {**device.properties(), **settings, "AVAILABLE_DEVICES": available_devices(),
                 "RANGE_FOR_ASYNC_INFER_REQUESTS": (1, 2, 1), "RANGE_FOR_STREAMS": (1, max(1, device.caps.compute_units))}
        props["SUPPORTED_PROPERTIES"] = {k: "RW" if k in SETTINGS else "RO"
                                         for k in [*props, "SUPPORTED_PROPERTIES"]}
        if str(name) not in props:
            raise ConfigError(f"device {device.name} has no property '{name}'; it has {', '.join(sorted(props))}")
        return props[str(name)]

    def set_property(self, device_name_or_props, properties: dict | None = None) -> None:
        """Settings for compile_model: for one device, or (a dict alone) for every device."""
        if properties is None:
            self._global.update(parse_config(device_name_or_props, "Core.set_property"))
        else:
            device = get_device(device_name_or_props)
            self._properties[device.name].update(parse_config(properties, f"device {device.name}"))

    def read_model(self, model, weights=None) -> Model:
        from .convert import read_model
        return read_model(model, weights)

    def compile_model(self, model, device_name: str = "AUTO", config: dict | None = None) -> CompiledModel:
        if not isinstance(model, Model):
            model = self.read_model(model)
        device = get_device(device_name)
        cfg = {**self._global, **self._properties.get(device.name, {}),
               **parse_config(config, f"compile_model on {device.name}")}
        return CompiledModel(model, device, cfg)

    def import_model(self, model_stream, device_name: str = "AUTO", config: dict | None = None) -> CompiledModel:
        """A model exported by ``CompiledModel.export_model`` (bytes, a binary stream or a path), for the device
        and driver it was compiled for."""
        from .export import import_blob
        device = get_device(device_name)
        cfg = {**self._global, **self._properties.get(device.name, {}),
               **parse_config(config, f"import_model on {device.name}")}
        return import_blob(model_stream, device, cfg)

    def query_model(self, model: Model, device_name: str = "AUTO") -> dict[str, str]:
        """Which node runs where: every node with a kernel on the device, as openvino's query_model."""
        from .lowering import LOWERINGS
        dev = get_device(device_name)
        structural = {"Parameter", "Constant", "Result"}
        return {n.name: dev.name for n in model.get_ordered_ops()
                if n.type_name in structural or n.type_name in LOWERINGS}


def compile_model(model, device_name: str = "AUTO", config: dict | None = None) -> CompiledModel:
    return Core().compile_model(model, device_name, config)


__all__ = ["AsyncInferQueue", "CompiledModel", "Core", "InferRequest", "OVDict", "ProfilingInfo", "Tensor",
           "compile_model"]
