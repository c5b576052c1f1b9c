"""The TensorFlow frontend: SavedModel directories (``saved_model.py``, variables from ``checkpoint.py``) and
frozen GraphDefs (``frozen_graph.py``) read without TensorFlow through the message definitions in ``protos.py``;
live Keras models and tf.functions (``live.py``, TensorFlow imported only there). Nodes are translated op by op
(``translators_*`` modules, one per op family, each registering with ``@tf_op`` when imported)."""
import importlib
import pkgutil

from .graph import TRANSLATORS, NodeContext, tf_op

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m.startswith("translators_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["TRANSLATORS", "NodeContext", "convert", "tf_op"]


def convert(model, signature: str | None = None, input=None, output=None):  # noqa: A002
    """Convert a SavedModel directory or a frozen ``.pb`` / ``.pbtxt`` GraphDef to an ``ovcl.ir.Model``, cut at
    ``input`` / ``output`` (``convert_model``'s arguments) by TensorFlow tensor names."""
    import os
    from pathlib import Path

    from ovcl.frontends.errors import FrontendError
    if not isinstance(model, (str, os.PathLike)):
        raise FrontendError(f"cannot read a TensorFlow model from a {type(model).__name__}")
    path = Path(model)
    if path.is_dir():
        from .saved_model import read_saved_model
        return read_saved_model(path, signature, {"input": input, "output": output})
    from .frozen_graph import read_frozen_graph
    return read_frozen_graph(path, {"input": input, "output": output})
