"""OpenCL devices: discovery, naming (``GPU.N``, ``CPU``), capabilities, one context and queue each.

Names follow OpenVINO: ``GPU.N`` numbers the OpenCL GPUs in platform-then-device order, ``GPU`` is
``GPU.0``, ``CPU`` is the first OpenCL CPU device (PoCL, from pip), ``AUTO`` is ``GPU`` if any, else ``CPU``.
Every device is listed once: one that is an accelerator, or reports several types at once (the Oclgrind
simulator reports them all), is ``ACCELERATOR.N``, which ``AUTO`` never picks (it cannot rank them).
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field

from .errors import DeviceError
from .properties.device import Type as DeviceType


@dataclass(frozen=True)
class Capabilities:
    """What lowering may rely on. Kernels are chosen from these, never from device names."""
    device_type: str                 # "CPU", or "GPU" (how kernels are shaped: an accelerator is GPU-like)
    compute_units: int
    max_work_group_size: int
    max_work_item_sizes: tuple[int, ...]
    local_mem_size: int
    global_mem_size: int
    max_alloc_size: int
    fp16: bool
    fp64: bool
    preferred_vector_width_float: int
    subgroups: bool
    base_addr_align: int = 128       # bytes: a sub-buffer's offset must be a multiple of it
    host_unified_memory: bool = False    # device memory is host memory (CPUs, integrated GPUs)
    extensions: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["extensions"] = sorted(self.extensions)
        d["max_work_item_sizes"] = list(self.max_work_item_sizes)
        return d


class Device:
    """One OpenCL device with its context and in-order queue (created on first use)."""

    def __init__(self, name: str, cl_device, platform):
        self.name = name
        self.cl_device = cl_device
        self.platform = platform
        self._context = None
        self._queue = None
        self._lock = threading.Lock()
        d = cl_device
        ext = frozenset(d.extensions.split())
        self.caps = Capabilities(
            device_type="CPU" if kind_of(d) == "CPU" else "GPU",
            compute_units=d.max_compute_units,
            max_work_group_size=d.max_work_group_size,
            max_work_item_sizes=tuple(d.max_work_item_sizes),
            local_mem_size=d.local_mem_size,
            global_mem_size=d.global_mem_size,
            max_alloc_size=d.max_mem_alloc_size,
            fp16="cl_khr_fp16" in ext,
            fp64="cl_khr_fp64" in ext or bool(d.double_fp_config),
            preferred_vector_width_float=d.preferred_vector_width_float,
            subgroups="cl_khr_subgroups" in ext or "cl_intel_subgroups" in ext,
            base_addr_align=max(1, d.mem_base_addr_align // 8),
            host_unified_memory=_host_unified(d),
            extensions=ext,
        )

    @property
    def full_name(self) -> str:
        return self.cl_device.name.strip()

    @property
    def is_pocl(self) -> bool:
        """PoCL: it builds kernels for their work-group size at their first launch and caches builds itself
        (a driver property no OpenCL query reports)."""
        return "Portable Computing Language" in self.platform.name

    @property
    def identity(self) -> str:
        """What a cached binary depends on: device, driver and platform versions."""
        d = self.cl_device
        return f"{self.platform.name}|{self.platform.version}|{d.name}|{d.version}|{d.driver_version}"

    @functools.cached_property
    def tuning_identity(self):
        """This device's names at the tuning database's levels (device, architecture, vendor, type)."""
        from .tuning.database import Identity
        return Identity.of(self)

    @property
    def context(self):
        import pyopencl as cl
        with self._lock:
            if self._context is None:
                self._context = cl.Context([self.cl_device])
            return self._context

    @property
    def queue(self):
        import pyopencl as cl
        ctx = self.context
        with self._lock:
            if self._queue is None:
                self._queue = cl.CommandQueue(ctx, self.cl_device)
            return self._queue

    def properties(self) -> dict:
        """What the driver reports, under OpenVINO's keys where OpenVINO has one, and the capabilities
        (``COMPUTE_UNITS``, ``FP16``, ...; the OpenCL device kind as ``OPENCL_DEVICE_TYPE``)."""
        d = self.cl_device
        props = {k.upper(): v for k, v in self.caps.as_dict().items()}
        props["OPENCL_DEVICE_TYPE"] = props.pop("DEVICE_TYPE")
        props.update({
            "FULL_DEVICE_NAME": self.full_name,
            "DEVICE_TYPE": device_type(self.caps),
            "OPENCL_PLATFORM": self.platform.name.strip(),
            "OPENCL_VERSION": d.version.strip(),
            "DRIVER_VERSION": d.driver_version.strip(),
            "DEVICE_ARCHITECTURE": d.vendor.strip(),
            "OPTIMIZATION_CAPABILITIES": (["FP32"] + (["FP16"] if self.caps.fp16 else [])
                                          + (["FP64"] if self.caps.fp64 else [])),
        })
        return props

    def __repr__(self):
        return f"<Device {self.name}: {self.full_name}>"


def device_type(caps: Capabilities) -> DeviceType:
    """OpenVINO's device type: INTEGRATED where device memory is host memory (CPUs, integrated GPUs)."""
    return DeviceType.INTEGRATED if caps.host_unified_memory else DeviceType.DISCRETE


def _host_unified(d) -> bool:
    # CL_DEVICE_HOST_UNIFIED_MEMORY is deprecated from OpenCL 2.0 on, where a driver may no longer answer it
    try:
        return bool(d.host_unified_memory)
    except Exception:  # noqa: BLE001 - pyopencl raises LogicError or RuntimeError, by version
        return False


def kind_of(d) -> str:
    """"GPU", "CPU" or "ACCELERATOR" (an accelerator, or a device reporting several types at once)."""
    import pyopencl as cl
    t = d.type & ~cl.device_type.DEFAULT
    return "GPU" if t == cl.device_type.GPU else "CPU" if t == cl.device_type.CPU else "ACCELERATOR"


@functools.lru_cache(maxsize=1)
def _discover() -> dict[str, Device]:
    try:
        import pyopencl as cl
    except ImportError as e:  # pragma: no cover - pyopencl is a hard dependency
        raise DeviceError(f"pyopencl is not importable ({e}): pip install pyopencl pocl-binary-distribution") from e
    try:
        platforms = cl.get_platforms()
    except cl.Error:
        platforms = []
    found: dict[str, list] = {"GPU": [], "CPU": [], "ACCELERATOR": []}
    for p in platforms:
        try:
            devs = p.get_devices(device_type=cl.device_type.ALL)
        except cl.Error:
            continue
        for d in devs:
            found[kind_of(d)].append((d, p))
    devices: dict[str, Device] = {}
    for kind, listed in found.items():
        for i, (d, p) in enumerate(listed):
            name = "CPU" if kind == "CPU" and i == 0 else f"{kind}.{i}"
            devices[name] = Device(name, d, p)
    return devices


def available_devices() -> list[str]:
    """Names as OpenVINO lists them: ``GPU`` for a single GPU, ``GPU.0``, ``GPU.1`` for several, then CPU, then
    the accelerators."""
    devs = _discover()
    gpus = [n for n in devs if n.startswith("GPU.")]
    names = ["GPU"] if len(gpus) == 1 else gpus
    return names + [n for n in devs if n.startswith("CPU")] + [n for n in devs if n.startswith("ACCELERATOR")]


_ALIASES: dict[str, str] = {}


def alias(name: str, target: str) -> None:
    """Make device ``name`` (as given to compile_model: ``CPU``, ``AUTO``) resolve to ``target``: how the test
    suite, written for ``CPU``, runs on another device (``OVCL_TEST_DEVICE``, tests/conftest.py)."""
    get_device(target)                      # it must exist
    _ALIASES[name.strip().upper()] = target


def get_device(name: str) -> Device:
    devs = _discover()
    key = name.strip().upper()
    key = _ALIASES.get(key, key).strip().upper()
    forced = os.environ.get("OVCL_AUTO_DEVICE")
    if key == "AUTO":
        key = forced.upper() if forced else ("GPU.0" if "GPU.0" in devs else "CPU")
    elif key.startswith("AUTO:"):
        for cand in key[5:].split(","):
            try:
                return get_device(cand)
            except DeviceError:
                continue
        raise DeviceError(f"none of the devices in '{name}' is available (have: {available_devices()})")
    if key == "GPU":
        key = "GPU.0"
    if key == "CPU.0":
        key = "CPU"
    if key == "ACCELERATOR":
        key = "ACCELERATOR.0"
    if key not in devs:
        have = ", ".join(available_devices()) or "none"
        hint = ("install an OpenCL driver for your GPU" if key.startswith("GPU")
                else "pip install pocl-binary-distribution")
        raise DeviceError(f"no OpenCL device '{name}' (available: {have}); {hint}")
    return devs[key]
