"""``CompiledModel.export_model()`` / ``Core.import_model()``: a compiled model as one blob, for the same device
and driver. The blob is a zip archive of plain data: the model as IR (f32 weights, so dynamic shapes can still
be planned after import), every plan compiled so far in the model cache's format (launches, storages,
constants, and the program binary where the driver gives one), and a manifest naming the ovcl version, the
device and driver, and the settings. Import checks the version and the device first and says what differs;
reading a blob never runs code from it (JSON, ``.npz`` without pickles, IR)."""
from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

from .errors import ImportModelError, InferenceError

MAGIC = "ovcl-compiled-model"
FORMAT = 1


def export_blob(compiled) -> bytes:
    from ovcl import __version__
    from ovcl.ir.ir_writer import write_ir
    from . import model_cache
    plans = compiled._plans
    device = compiled.device
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_ir(compiled._model, tmp / "model.xml", compress_to_fp16=False)
        entries = []
        for k, (shapes, plan) in enumerate(plans.items()):
            if getattr(plan, "lowered", None) is None:      # a segmented plan: planned again after import
                continue
            model_cache.save(tmp / "plans", str(k), plan)
            if not (tmp / "plans" / f"ovcl-{k}").is_dir():
                raise InferenceError(f"the plan for input shapes {shapes} could not be written")
            entries.append({"entry": str(k), "shapes": [list(s) for s in shapes]})
        manifest = {"magic": MAGIC, "format": FORMAT, "ovcl": __version__, "device": device.identity,
                    "device_name": device.full_name, "plans": entries,
                    "config": {k: _jsonable(v) for k, v in compiled._config.items()}}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", json.dumps(manifest))
            for f in sorted(tmp.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(tmp).as_posix())
        return buf.getvalue()


def _jsonable(v):
    if isinstance(v, (bool, int, float, str, type(None))):
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


def import_blob(data, device, config: dict | None = None):
    """The CompiledModel of an exported blob (bytes, a binary stream or a path), on ``device``."""
    from ovcl import __version__
    from ovcl.ir.ir_reader import read_ir
    from . import model_cache
    from .runtime import CompiledModel
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
        raise ImportModelError(f"not a model exported by ovcl's export_model ({type(e).__name__}: {e})") from None
    if not isinstance(manifest, dict) or manifest.get("magic") != MAGIC or manifest.get("format") != FORMAT:
        raise ImportModelError("not a model exported by ovcl's export_model (no manifest of this format)")
    differs = []
    if manifest.get("ovcl") != __version__:
        differs.append(f"ovcl {manifest.get('ovcl')} exported it, this is ovcl {__version__}")
    if manifest.get("device") != device.identity:
        differs.append(f"it was compiled for {manifest.get('device_name')} ({manifest.get('device')}); "
                       f"{device.name} is {device.full_name} ({device.identity})")
    if differs:
        raise ImportModelError("cannot import the compiled model: " + "; ".join(differs) +
                               ". Export it again here, or compile the model itself")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in archive.namelist():
            target = (tmp / name).resolve()
            if tmp.resolve() not in target.parents:
                raise ImportModelError(f"the blob names a file outside itself: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
        model = read_ir(tmp / "model.xml")
        cfg = {**manifest.get("config", {}), **(config or {})}
        plans = {}
        for e in manifest.get("plans", []):
            shapes = tuple(tuple(int(d) for d in s) for s in e["shapes"])
            plan = model_cache.load(tmp / "plans", str(e["entry"]), device, cfg)
            if plan is None:
                raise ImportModelError(f"the plan for input shapes {list(map(list, shapes))} in the blob is damaged")
            plans[shapes] = plan
        return CompiledModel(model, device, cfg, plans=plans)
