"""The memory plan: device buffers for every storage, reused between storages whose live ranges are apart.

Inputs and model outputs keep buffers of their own for the whole inference (inputs are written before the
first launch, outputs read after the last). Constants are uploaded once; on a device whose memory is host
memory (``caps.host_unified_memory``: PoCL) the buffer uses the plan's page-aligned array in place, so the
weights are not held twice. Every other storage lives from the
first launch that touches it to the last, and takes the smallest free buffer that fits (best fit), or a new
one. A storage placed inside another (a concatenation's input, see ``LoweringContext.place``) is a sub-buffer
of its root's buffer, and the root lives as long as any part of it.
"""
from __future__ import annotations

import bisect

from .errors import CompileError
from .lowering import Storage, Value


PAGE = 4096


def _page_aligned(a):
    """``a`` itself where it is writable, C-contiguous and starts on a page (what drivers need to use host
    memory in place: PoCL its base address alignment, Intel's integrated GPUs a page), else such a copy."""
    import numpy as np
    if a.flags.c_contiguous and a.flags.writeable and a.ctypes.data % PAGE == 0:
        return a
    raw = np.empty(a.nbytes + PAGE, np.uint8)
    start = -raw.ctypes.data % PAGE
    out = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def plan_memory(device, storages: list[Storage], launches, inputs: list[Value], outputs: list[Value]) -> dict:
    import pyopencl as cl
    ctx = device.context
    for i, launch in enumerate(launches):
        for a in launch.args:
            if isinstance(a, Value):
                s = a.storage.root()[0]
                s.first = i if s.first < 0 else s.first
                s.last = i
    pinned = {v.storage.root()[0].id for v in inputs + outputs}
    mf = cl.mem_flags
    stats = {"const_bytes": 0, "io_bytes": 0, "temp_bytes": 0, "temp_requested": 0}

    total = [0]

    def alloc(nbytes, flags=mf.READ_WRITE):
        total[0] += max(int(nbytes), 16)
        if total[0] > device.caps.global_mem_size:
            raise CompileError(f"the plan needs more than the {device.caps.global_mem_size:,} bytes of memory "
                               f"{device.name} has (at {total[0]:,} bytes so far): the model does not fit this "
                               f"device at these shapes")
        return cl.Buffer(ctx, flags, max(int(nbytes), 16))

    temps = []
    for s in storages:
        if s.parent is not None:
            continue                          # a part of another storage: bound below
        if s.kind == "const":
            if s.first < 0 and s.id not in pinned:
                continue                      # a constant no launch reads (folded away or viewed only)
            data = s.const
            if not data.nbytes:
                s.buffer = alloc(0)
            elif device.caps.host_unified_memory:
                # the device reads host memory: let it read the plan's array instead of a second copy
                s.const = data = _page_aligned(data)
                s.buffer = cl.Buffer(ctx, mf.READ_ONLY | mf.USE_HOST_PTR, hostbuf=data)
            else:
                s.buffer = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=data)
            stats["const_bytes"] += data.nbytes
        elif s.kind == "state":
            s.buffer = alloc(s.nbytes)        # bound in place of the request's state buffer (executor.Plan.run)
        elif s.kind == "input" or s.id in pinned:
            s.buffer = alloc(s.nbytes)
            stats["io_bytes"] += s.nbytes
        elif s.first >= 0:
            temps.append(s)

    # best-fit reuse by live range
    temps.sort(key=lambda s: s.first)
    free: list[tuple[int, int, object]] = []     # (size, serial, buffer), sorted by size
    active: list[tuple[int, int, Storage]] = []   # (last, serial, storage)
    serial = 0
    for s in temps:
        active.sort(key=lambda a: a[0])
        while active and active[0][0] < s.first:
            _, _, done = active.pop(0)
            bisect.insort(free, (done.buffer.size, id(done.buffer), done.buffer))
        stats["temp_requested"] += s.nbytes
        j = bisect.bisect_left(free, (s.nbytes, -1, None))
        if j < len(free):
            s.buffer = free.pop(j)[2]
        else:
            s.buffer = alloc(s.nbytes)
            stats["temp_bytes"] += s.buffer.size
        serial += 1
        active.append((s.last, serial, s))
    for s in storages:
        if s.parent is not None:
            root, off = s.root()
            if root.buffer is not None:
                s.buffer = root.buffer.get_sub_region(off, s.nbytes)
    return stats
