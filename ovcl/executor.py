"""The hot path: a prepared list of launches, run as copy-in, enqueue, copy-out.

Nothing here walks the graph, renders, builds or allocates device memory: that all happened in
``ovcl.compiler``. Host output arrays are allocated per call, since the caller owns them afterwards.
"""
from __future__ import annotations

import threading

import numpy as np

from .lowering import Launch, Value


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
        self._lock = threading.Lock()    # the device buffers belong to one inference at a time

    def run(self, arrays: list[np.ndarray], profile: list | None = None) -> list[np.ndarray]:
        """Run one inference. ``arrays`` are C-contiguous and of the right shapes and types already."""
        with self._lock:
            return self._run(arrays, profile)

    def time_launches(self, queue) -> float:
        """Seconds the launches take on the device by its profiling events (``queue`` created with
        PROFILING_ENABLE on this plan's context), inputs as the last run left them."""
        import pyopencl as cl
        with self._lock:
            events = [cl.enqueue_nd_range_kernel(queue, k, g, l) for k, g, l in self._steps]
            queue.finish()
        return sum(e.profile.end - e.profile.start for e in events) * 1e-9

    def _run(self, arrays, profile):
        import pyopencl as cl
        q = self.device.queue
        for v, a in zip(self.inputs, arrays):
            if a.nbytes:
                cl.enqueue_copy(q, v.storage.buffer, a, is_blocking=False)
        enqueue = cl.enqueue_nd_range_kernel
        if profile is None:
            for k, g, l in self._steps:
                enqueue(q, k, g, l)
        else:
            import time
            for (k, g, l), launch in zip(self._steps, self.launches):
                q.finish()
                t = time.perf_counter()
                enqueue(q, k, g, l)
                q.finish()
                profile.append((launch, time.perf_counter() - t))
        results = []
        for v in self.outputs:
            out = np.empty(v.shape, dtype=np.bool_ if v.type.name == "boolean" else v.type.dtype)
            if out.nbytes:
                cl.enqueue_copy(q, out, v.storage.buffer, is_blocking=False)
            results.append(out)
        q.finish()
        return results
