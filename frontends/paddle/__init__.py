"""The PaddlePaddle frontend: inference models as ``paddle.jit.save`` writes them, read without Paddle: the PIR
form (``.json``, ``pir_program.py``) and the legacy form (``.pdmodel`` ProgramDesc, ``legacy_program.py``, through
the message definitions in ``protos.py``), with their ``.pdiparams`` (``params.py``); live ``paddle.nn.Layer``
objects (``live.py``, Paddle imported only there). Both forms become one ``Program`` in PIR's terms, translated
op by op (``translators_*`` modules, one per op family, each registering with ``@paddle_op`` when imported)."""
import importlib
import pkgutil

from .graph import TRANSLATORS, NodeContext, paddle_op

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m.startswith("translators_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["TRANSLATORS", "NodeContext", "convert", "paddle_op"]


def convert(model, weights=None):
    """Convert ``model.json`` (PIR) or ``model.pdmodel`` (legacy) with its parameters (``weights``, by default
    ``model.pdiparams`` beside it) to an ``ovcl.ir.Model``."""
    from pathlib import Path

    from ovcl.frontends.errors import FrontendError

    from .graph import translate
    from .legacy_program import read_legacy_program
    from .params import read_params
    from .pir_program import read_pir_program

    path = Path(model)
    if not path.is_file():
        raise FrontendError(f"model file {path} does not exist")
    program = read_pir_program(path) if path.suffix.lower() == ".json" else read_legacy_program(path)
    params = {}
    if program.params:
        wpath = Path(weights) if weights is not None else path.with_suffix(".pdiparams")
        if not wpath.is_file():
            raise FrontendError(f"{path.name} has {len(program.params)} parameters, but {wpath} does not exist; "
                                f"give the .pdiparams file as the weights")
        params = read_params(wpath, list(program.params.values()))
    return translate(program, params, path.stem)
