"""The ONNX frontend. Translators live in ``translators_*`` modules, one per op family; each registers
itself with ``@onnx_op`` when imported, and every module here is imported below."""
import importlib
import pkgutil

from .graph import TRANSLATORS, NodeContext, convert, onnx_op

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m.startswith("translators_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["TRANSLATORS", "NodeContext", "convert", "onnx_op"]
