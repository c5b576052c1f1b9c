"""Rendering templates and building OpenCL programs, with an on-disk cache of program binaries.

Templates are mako files in ``ovcl.kernels``, rendered with ``strict_undefined`` so that a missing
parameter is an error, not an empty string. Built binaries are cached in ``$OVCL_CACHE_DIR/kernels`` (by
default ``~/.cache/ovcl/kernels``), keyed by a hash of the source, the build options, the device, its driver
and ovcl's cache version. ``OVCL_KERNEL_CACHE=0`` turns the cache off.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from .errors import KernelBuildError

CACHE_VERSION = "1"
# OVCL_BUILD_OPTIONS adds options to every build (the Oclgrind job passes -cl-opt-disable: Oclgrind 21.10's
# uninitialised-value checker stops at the `freeze` instructions LLVM's optimiser emits)
BUILD_OPTIONS = ("-cl-std=CL1.2", "-cl-mad-enable", *os.environ.get("OVCL_BUILD_OPTIONS", "").split())


@functools.lru_cache(maxsize=1)
def _lookup():
    from mako.lookup import TemplateLookup
    kdir = Path(__import__("ovcl.kernels", fromlist=["_"]).__file__).parent
    return TemplateLookup(directories=[str(kdir)], strict_undefined=True, input_encoding="utf-8")


def render(template: str, **params) -> str:
    """Render ``kernels/<template>`` with the given parameters."""
    try:
        return _lookup().get_template(template).render(**params)
    except Exception as e:
        from mako import exceptions
        raise KernelBuildError(f"rendering template {template} failed: {e}\n"
                               f"{exceptions.text_error_template().render()}") from e


def cache_dir() -> Path | None:
    if os.environ.get("OVCL_KERNEL_CACHE", "1").lower() in ("0", "off", "false", "no"):
        return None
    base = os.environ.get("OVCL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ovcl")
    return Path(base) / "kernels"


def program_key(source: str, options: tuple[str, ...], device) -> str:
    """What identifies a build: ovcl's cache version, the device and driver, the options and the source."""
    h = hashlib.sha256()
    for part in (CACHE_VERSION, device.identity, " ".join(options), source):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def program_from_binary(device, binary: bytes, options: tuple[str, ...] = BUILD_OPTIONS):
    """A built program from a binary of this device (ovcl's kernel cache, a model cache entry)."""
    import pyopencl as cl
    prg = cl.Program(device.context, [device.cl_device], [binary])
    prg.build(options=list(options))
    # pyopencl's Kernel reads its program's `_source`, which a program made from a binary lacks: the lookup
    # falls through to creating a kernel of that name (a CL_INVALID_KERNEL_NAME API error, seen on Oclgrind)
    prg._source = None
    return prg


def build_program(device, source: str, what: str = "", options: tuple[str, ...] = BUILD_OPTIONS):
    """Build ``source`` for ``device``, from the binary cache when it holds this exact build.

    ``what`` names the nodes served, for the error message when the build fails."""
    import pyopencl as cl
    ctx = device.context
    key = program_key(source, options, device)
    # PoCL caches builds itself (POCL_CACHE_DIR, by source and options), and asking it for the binary makes it
    # compile every kernel of the program first: ResNet-50's cold build took 10.6 s instead of 1.8 s for a
    # cache that saved 0.05 s when warm. So ovcl's binary cache is for other drivers.
    cdir = None if device.is_pocl else cache_dir()
    path = cdir / f"{key}.bin" if cdir else None
    if path is not None and path.is_file():
        try:
            return program_from_binary(device, path.read_bytes(), options)
        except (cl.Error, OSError):
            pass  # a stale or corrupt entry: rebuild below and overwrite it
    prg = cl.Program(ctx, source)
    try:
        prg.build(options=list(options), devices=[device.cl_device])
    except cl.Error as e:
        try:
            log = prg.get_build_info(device.cl_device, cl.program_build_info.LOG)
        except cl.Error:
            log = str(e)
        numbered = "\n".join(f"{i + 1:5d}  {line}" for i, line in enumerate(source.splitlines()))
        raise KernelBuildError(f"OpenCL build failed for {what or 'a kernel'} on {device.name}:\n"
                               f"{log.strip()}\n--- source ---\n{numbered}") from None
    if path is not None:
        try:
            binary = prg.get_info(cl.program_info.BINARIES)[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(binary)
            os.replace(tmp, path)      # atomic: a reader never sees a half-written binary
        except (cl.Error, OSError):
            pass
    return prg
