"""The TensorFlow Lite frontend: ``.tflite`` FlatBuffers read without TensorFlow (``reader.py``), translated
operator by operator (``translators_*`` modules, one per op family, each registering with ``@tflite_op``
when imported; every module here is imported below)."""
import importlib
import pkgutil

from .graph import TRANSLATORS, NodeContext, convert, tflite_op

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m.startswith("translators_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["TRANSLATORS", "NodeContext", "convert", "tflite_op"]
