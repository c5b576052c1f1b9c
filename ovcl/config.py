"""The configuration keys ``compile_model``, ``Core.set_property`` and ``get_property`` take and give: OpenVINO's
(``ovcl.properties``) and ovcl's own (kernel variants and parameters, fusion, f16 weights, verbosity). Values are
parsed here once (enums from their text, YES / NO as booleans), so the rest of ovcl reads plain values; an
unknown key, or a value a key cannot take, is a ConfigError that lists what would be accepted."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Mapping

from ovcl.errors import ConfigError
from ovcl.ir import Type
from ovcl.properties.hint import ExecutionMode, PerformanceMode
from ovcl.properties.streams import Num


def _flag(value) -> bool:
    text = str(value).upper()
    if text in ("YES", "TRUE", "1", "ON"):
        return True
    if text in ("NO", "FALSE", "0", "OFF"):
        return False
    raise ValueError("YES or NO (or a bool)")


def _choice(enum) -> Callable:
    def parse(value):
        try:
            return enum(str(value).upper())
        except ValueError:
            raise ValueError(" / ".join(m.value for m in enum)) from None
    return parse


def _count(value) -> int:
    if isinstance(value, bool) or int(value) != float(value) or int(value) < 0:
        raise ValueError("a whole number, 0 or more")
    return int(value)


def _streams(value) -> int:
    text = str(value).upper()
    if text in ("AUTO", "NUMA") or (isinstance(value, int) and value in (Num.AUTO, Num.NUMA)):
        return Num.AUTO
    if _count(value) < 1:
        raise ValueError("a number of streams, 1 or more, or AUTO")
    return int(value)


def _precision(value) -> Type:
    try:
        t = value if isinstance(value, Type) else Type.from_name(str(value).lower())
    except Exception:  # noqa: BLE001 - any name Type does not know
        t = None
    if t not in (Type.f32, Type.f16, Type.bf16):
        raise ValueError("f32, f16 or bf16")
    return t


def _f16_weights(value) -> str:
    text = str(value).upper()
    if text not in ("YES", "NO", "AUTO"):
        raise ValueError("YES, NO or AUTO")
    return text


def _mapping(value) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError("a dict")
    return dict(value)


def _as_is(value):
    return value


# key -> (parse, the value when it is not set)
SETTINGS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "PERFORMANCE_HINT": (_choice(PerformanceMode), PerformanceMode.LATENCY),
    "PERFORMANCE_HINT_NUM_REQUESTS": (_count, 0),
    "NUM_STREAMS": (_streams, Num.AUTO),
    "INFERENCE_PRECISION_HINT": (_precision, Type.f32),
    "EXECUTION_MODE_HINT": (_choice(ExecutionMode), ExecutionMode.PERFORMANCE),
    "PERF_COUNT": (_flag, False),
    "CACHE_DIR": (str, ""),
    "COMPILATION_NUM_THREADS": (_as_is, None),        # checked where the workers are started
    "INFERENCE_NUM_THREADS": (_count, 0),             # 0: the device's compute units (what runs; see warn_unfollowed)
    "VERBOSE": (_flag, False),
    "OVCL_FUSION": (_flag, True),
    "OVCL_WEIGHTS_F16": (_f16_weights, "AUTO"),
    "KERNEL_PARAMS": (_mapping, None),
    "KERNEL_VARIANT": (_mapping, None),
}


def parse(config: Mapping | None, where: str) -> dict:
    """``config`` with known keys and parsed values (``where`` names the device or call in errors)."""
    out = {}
    for key, value in (config or {}).items():
        key = str(key)
        if key not in SETTINGS:
            raise ConfigError(f"unsupported property '{key}' for {where}; the properties it takes are "
                              f"{', '.join(sorted(SETTINGS))}")
        try:
            out[key] = SETTINGS[key][0](value)
        except (ValueError, TypeError) as e:
            raise ConfigError(f"property {key} cannot be {value!r} ({where}): it takes {e}") from None
    return out


def precision(config: Mapping, device) -> Type:
    """The type a model compiled with ``config`` computes its tensors in on ``device``: f16 where the hint asks
    for it and the device has cl_khr_fp16 (``ir/passes/half_precision.py``), else f32 (no OpenCL device
    computes bf16). OpenVINO's CPU plugin decides the same way: the hint where the hardware has it."""
    wanted = value(config, "INFERENCE_PRECISION_HINT")
    return Type.f16 if wanted == Type.f16 and device.caps.fp16 else Type.f32


def warn_unfollowed(config: Mapping, device) -> None:
    """Settings ovcl cannot follow on ``device`` are warnings, not errors (ported scripts set them), and
    get_property reports what is in effect: a precision the device does not compute in (the model runs in f32),
    a number of inference threads (an OpenCL driver runs its own pool on all its compute units: PoCL's is sized by
    POCL_MAX_PTHREAD_COUNT before the process first uses OpenCL)."""
    hint = value(config, "INFERENCE_PRECISION_HINT")
    if hint != precision(config, device):
        why = (f"{device.name} has no cl_khr_fp16" if hint == Type.f16 else
               "OpenCL devices have no bf16 arithmetic")
        warnings.warn(f"INFERENCE_PRECISION_HINT {hint}: {why}; the model runs in f32 and get_property reports "
                      f"f32", stacklevel=4)
    threads = value(config, "INFERENCE_NUM_THREADS")
    if threads and threads != device.caps.compute_units:
        warnings.warn(f"INFERENCE_NUM_THREADS {threads}: {device.name} runs on its {device.caps.compute_units} "
                      f"compute units (the OpenCL driver's own threads; for PoCL set POCL_MAX_PTHREAD_COUNT "
                      f"before starting)", stacklevel=4)


def value(config: Mapping, key: str):
    """The value of ``key`` in a parsed config, or its default."""
    return config.get(key, SETTINGS[key][1])


def streams(config: Mapping, device=None) -> int:
    """How many inferences of one compiled model run at once, each on an instance of its plan (buffers, bound
    kernels and a queue of its own; ``executor.Plan``); more requests than streams wait their turn. NUM_STREAMS
    when set (at most the device's compute units, as OpenVINO caps it by cores); else one for LATENCY, and for
    the throughput modes two, so that one request's host work (inputs in, results out) overlaps the other's
    kernels, capped by the hint's number of requests. It is also OPTIMAL_NUMBER_OF_INFER_REQUESTS."""
    n = value(config, "NUM_STREAMS")
    if n != Num.AUTO:
        return min(n, max(1, device.caps.compute_units)) if device is not None else n
    if value(config, "PERFORMANCE_HINT") is PerformanceMode.LATENCY:
        return 1
    cap = value(config, "PERFORMANCE_HINT_NUM_REQUESTS")
    return min(2, cap) if cap else 2


def effective(config: Mapping, device=None) -> dict:
    """What each setting is in effect on ``device``: the hints resolved into streams, the precision computed in
    (without a device: as asked)."""
    out = {key: value(config, key) for key in SETTINGS}
    if device is not None:
        out["INFERENCE_PRECISION_HINT"] = precision(config, device)
        out["INFERENCE_NUM_THREADS"] = device.caps.compute_units
    out["NUM_STREAMS"] = streams(config, device)
    return out
