"""The OpenVINO op set: one definition per op type, one module per op family.

Every module of this package is imported here, so that a new family registers itself by existing.
"""
import importlib
import pkgutil

from .registry import OPS, Op, REQUIRED, SameShapeOp, broadcast_shapes, get_op, make, normalize_axis, register

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m != "registry":
        importlib.import_module(f"{__name__}.{_m}")

from .core import constant, parameter  # noqa: E402

__all__ = ["OPS", "REQUIRED", "Op", "SameShapeOp", "broadcast_shapes", "constant", "get_op", "make", "normalize_axis",
           "parameter", "register"]
