"""The hot path: a prepared list of launches, run as copy-in, enqueue, copy-out.

Nothing here walks the graph, renders, builds or allocates device memory for the first inference: that all
happened in ``ovcl.compiler``. Inferences in flight at once (several infer requests) each get an *instance*
of the plan: its own activation and input/output buffers, kernels bound to them and an in-order queue, so
they overlap on the device; constants are shared. The first instance is the compiler's; more are made when
inferences overlap, up to ``streams`` (the compiled model's NUM_STREAMS, ``config.streams``). Host output
arrays are allocated per call, since the caller owns them afterwards. A stateful model's launches that read or
write a variable get the infer request's state buffers bound at each run (``variable_state.py``).
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from .errors import InferenceError
from .lowering import Launch, LocalMem, Value


def bind_args(kernel, launch: Launch, buffer_of) -> None:
    """Set ``kernel``'s arguments from ``launch.args``: a Value as the buffer ``buffer_of`` gives it, local
    memory of its size, a scalar as it is."""
    import pyopencl as cl
    kernel.set_args(*[buffer_of(a) if isinstance(a, Value) else cl.LocalMemory(max(a.nbytes, 4))
                      if isinstance(a, LocalMem) else a for a in launch.args])


class _Instance:
    """What one inference in flight uses: (kernel, global size, local size) steps, its input and output
    buffers, and its queue."""

    def __init__(self, steps: list, inputs: list, outputs: list, queue, buffers: list = ()):
        self.steps, self.inputs, self.outputs, self.queue = steps, inputs, outputs, queue
        self.buffers = list(buffers)     # kernels do not hold their arguments alive: the instance does
        self._timing_queue = None

    def timing_queue(self):
        """A queue with profiling events on the same context and device, made at the first profiled run."""
        if self._timing_queue is None:
            import pyopencl as cl
            self._timing_queue = cl.CommandQueue(self.queue.context, self.queue.device,
                                                 properties=cl.command_queue_properties.PROFILING_ENABLE)
        return self._timing_queue


class SynchronisedProfile(list):
    """A profile whose launches are each timed on the host between two synchronisations, so that what the
    driver does at a launch counts too (PoCL compiles a kernel at its first launch): for cold-start
    measurements. Each synchronisation costs PoCL 25-45 us, so warm kernel times read high this way."""


class Plan:
    def __init__(self, device, inputs: list[Value], outputs: list[Value], launches: list[Launch], kernels):
        self.device = device
        self.inputs = inputs
        self.outputs = outputs
        self.launches = launches
        self._steps = [(k, l.gsize, l.lsize) for k, l in zip(kernels, launches)]
        self.stats: dict = {}
        self.program = None          # the built cl.Program (its binary goes to the model cache)
        self.lowered = None          # the ovcl.compiler.Lowered it was made from
        self._idle: list[_Instance] | None = None     # made at the first run: the device queue exists then
        self._first: _Instance | None = None
        self._made = 0
        self._cond = threading.Condition()
        # inferences in flight at once; more wait for one to end (each instance holds its own activations)
        self.streams = 1
        # (step, argument, variable id, "read" | "write") of each launch argument that is a variable's state
        self._state_args = [(i, j, *a.storage.variable) for i, launch in enumerate(launches)
                            for j, a in enumerate(launch.args)
                            if isinstance(a, Value) and a.storage.kind == "state"]

    def state_values(self) -> list[tuple[str, str, Value]]:
        """(variable id, "read" | "write", value) of the variables this plan reads and writes."""
        seen, out = set(), []
        for i, j, vid, role in self._state_args:
            if (vid, role) not in seen:
                seen.add((vid, role))
                out.append((vid, role, self.launches[i].args[j]))
        return out

    def run(self, arrays: list[np.ndarray], profile: list | None = None, states: dict | None = None
            ) -> list[np.ndarray]:
        """Run one inference. ``arrays`` are C-contiguous and of the right shapes and types already; ``states``
        maps (variable id, role) to the request's buffer for the launches that read or write it."""
        with self._instance_in_use() as instance:
            if self._state_args:
                if states is None:
                    raise InferenceError("a stateful model runs through an infer request (it holds the state)")
                for i, j, vid, role in self._state_args:
                    instance.steps[i][0].set_arg(j, states[(vid, role)])
            return self._run(instance, arrays, profile)

    def release_instances(self) -> None:
        """Drop the idle instances other than the first (the compiler's buffers), freeing their device memory
        once no one refers to them; more are made again when inferences overlap."""
        with self._cond:
            if self._idle is not None:
                keep = [i for i in self._idle if i is self._first]
                self._made -= len(self._idle) - len(keep)
                self._idle = keep

    @contextlib.contextmanager
    def _instance_in_use(self):
        """An idle instance (a new one while fewer than ``streams`` exist, else the next freed), for one
        inference."""
        instance = self._acquire()
        try:
            yield instance
        finally:
            with self._cond:
                self._idle.append(instance)
                self._cond.notify()

    def _acquire(self) -> _Instance:
        with self._cond:
            if self._idle is None:
                self._first = _Instance(self._steps, [v.storage.buffer for v in self.inputs],
                                        [v.storage.buffer for v in self.outputs], self.device.queue)
                self._idle = [self._first]
                self._made = 1
            while not self._idle and self._made >= self.streams:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._made += 1
        return self._instance()

    def _instance(self) -> _Instance:
        """Another set of the plan's buffers (constants shared), with kernels bound to them and a queue."""
        import pyopencl as cl
        ctx = self.device.context
        copies: dict = {}       # one new buffer per buffer of the first instance (aliasing kept), and sub-regions

        def buffer(v: Value):
            root, offset = v.storage.root()
            if root.kind in ("const", "state"):          # shared; a state is bound per run anyway
                return v.storage.buffer
            if id(root.buffer) not in copies:
                copies[id(root.buffer)] = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, root.buffer.size)
            if v.storage is root:
                return copies[id(root.buffer)]
            key = (id(root.buffer), offset, v.storage.nbytes)
            if key not in copies:
                copies[key] = copies[id(root.buffer)].get_sub_region(offset, v.storage.nbytes)
            return copies[key]

        steps = []
        for launch, (_, g, l) in zip(self.launches, self._steps):
            k = cl.Kernel(self.program, launch.kernel)
            bind_args(k, launch, buffer)
            steps.append((k, g, l))
        return _Instance(steps, [buffer(v) for v in self.inputs], [buffer(v) for v in self.outputs],
                         cl.CommandQueue(ctx, self.device.cl_device), copies.values())

    def time_launches(self) -> float:
        """Seconds the launches take on the device by their profiling events, inputs as the last run left
        them (no copies in or out: the tuner's repeated runs of one node)."""
        import pyopencl as cl
        with self._instance_in_use() as instance:
            queue = instance.timing_queue()
            events = [cl.enqueue_nd_range_kernel(queue, k, g, l) for k, g, l in instance.steps]
            queue.finish()
        return sum(e.profile.end - e.profile.start for e in events) * 1e-9

    def _run(self, instance: _Instance, arrays, profile):
        """``profile``: None, or a list that gets (launch, seconds) per launch: the device's profiling events
        (start to end of each kernel, launches queued back to back as in any run), or host time around each
        launch for a ``SynchronisedProfile``."""
        import pyopencl as cl
        timed = profile is not None and not isinstance(profile, SynchronisedProfile)
        q = instance.timing_queue() if timed else instance.queue
        for buf, a in zip(instance.inputs, arrays):
            if a.nbytes:
                cl.enqueue_copy(q, buf, a, is_blocking=False)
        enqueue = cl.enqueue_nd_range_kernel
        events = []
        if profile is None or timed:
            events = [enqueue(q, k, g, l) for k, g, l in instance.steps]
        else:
            import time
            for (k, g, l), launch in zip(instance.steps, self.launches):
                q.finish()
                t = time.perf_counter()
                enqueue(q, k, g, l)
                q.finish()
                profile.append((launch, time.perf_counter() - t))
        results = []
        for v, buf in zip(self.outputs, instance.outputs):
            out = np.empty(v.shape, dtype=np.bool_ if v.type.name == "boolean" else v.type.dtype)
            if out.nbytes:
                cl.enqueue_copy(q, out, buf, is_blocking=False)
            results.append(out)
        q.finish()
        if timed:
            profile.extend((launch, (e.profile.end - e.profile.start) * 1e-9)
                           for launch, e in zip(self.launches, events))
        return results
