"""The PyTorch frontend: ``torch.export`` graphs translated op by op into the OpenVINO op set.

Translators live in ``translators_*`` modules, one per op family; each registers itself with ``@torch_op``
when imported. Nothing here imports torch: it is imported when a model is converted."""
import importlib
import pkgutil

from .capture import KEEP, convert, export
from .graph import TRANSLATORS, NodeContext, torch_op

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m.startswith("translators_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["KEEP", "TRANSLATORS", "NodeContext", "convert", "export", "torch_op"]
