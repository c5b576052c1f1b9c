"""Lowering: each node of a static graph becomes launches of rendered kernels (one module per op family).

Every module of this package is imported here, so that a family registers its lowerings by existing.
"""
import importlib
import pkgutil

from .base import LOWERINGS, Launch, LocalMem, LoweringContext, Storage, Value, lowers

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m != "base":
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["LOWERINGS", "Launch", "LocalMem", "LoweringContext", "Storage", "Value", "lowers"]
