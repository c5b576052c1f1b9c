"""The model cache (``CACHE_DIR``, off until set, as in OpenVINO): a compiled plan kept on disk.

An entry holds everything ``ovcl.compiler.finish`` needs to make a plan without folding, fusing, lowering,
rendering or compiling again: the launches (kernel names, sizes, arguments), the storages, the constants
(packed weights included), the rendered prelude and the program binary (not on PoCL, whose own cache holds
the build). It is keyed by ovcl's version, the device and driver, the compile options, the input shapes and a
hash of the model's content, so a stale entry is never found. A corrupt entry is rebuilt, never trusted:
anything unexpected while loading means a miss. Entries are JSON, the constants' raw bytes (each at a page
boundary, read in one go into page-aligned memory that the device uses in place) and the binary: loading one
never runs code from it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ovcl.ir import Model, Type

from .compiler import Lowered, finish
from .lowering import Launch, LocalMem, Storage, Value

FORMAT = 5
_COMPILE_KEYS = ("OVCL_FUSION", "INFERENCE_PRECISION_HINT", "OVCL_WEIGHTS_F16", "KERNEL_PARAMS", "KERNEL_VARIANT")


def _canon(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_canon(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canon(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        return f"array({value.dtype.str},{value.shape},{hashlib.sha256(np.ascontiguousarray(value).data).hexdigest()})"
    return repr(value) if not hasattr(value, "name") else str(value)


def fingerprint(model: Model) -> str:
    """A hash of the graph: ops, versions, attributes, edges, port types, shapes, names and constant bytes."""
    h = hashlib.sha256()
    index: dict[int, int] = {}
    for i, node in enumerate(model.get_ordered_ops()):
        index[node.id] = i
        edges = [(index[src.node.id], src.index) for src in node.input_values()]
        ports = [(str(o.get_element_type()), str(o.get_partial_shape()), sorted(o.get_names()))
                 for o in node.outputs()]
        rt = {k: v for k, v in node.rt_info.items() if k == "decompression"}
        h.update(_canon([node.type_name, node.version, node.attrs, edges, ports, rt]).encode())
        if node.value is not None:
            v = np.ascontiguousarray(node.value)
            h.update(f"{v.dtype.str}{v.shape}".encode())
            h.update(v.data)
    h.update(_canon([[p.name for p in model.get_parameters()], [r.name for r in model.get_results()]]).encode())
    return h.hexdigest()


def entry_key(model_hash: str, device, shapes, config: dict) -> str:
    from ovcl import __version__
    from .tuning import database
    cfg = {k: _canon(config[k]) for k in _COMPILE_KEYS if k in config}
    # the tuning databases' state too: a new tuning result must not hide behind a plan cached before it
    text = _canon([FORMAT, __version__, device.identity, model_hash, [list(s) for s in shapes], cfg,
                   database.fingerprint()])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# -- save ------------------------------------------------------------------------------------------------

def _value(v: Value) -> dict:
    return {"shape": list(v.shape), "type": v.type.name, "storage": v.storage.id, "name": v.name}


def _arg(a) -> dict:
    if isinstance(a, Value):
        return {"value": _value(a)}
    if isinstance(a, LocalMem):
        return {"local": a.nbytes}
    a = np.asarray(a)
    return {"scalar": a.item(), "dtype": a.dtype.str}


def save(cache_dir, key: str, plan) -> None:
    """Store ``plan`` under ``key``; a failure to write is not an error (the cache is an optimisation)."""
    lowered: Lowered = plan.lowered
    final = Path(cache_dir) / f"ovcl-{key}"
    if final.exists():
        return
    tmp = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
        # only constants the plan reads: not those lowerings consumed at compile time (weights packed anew)
        used = {a.storage.id for l in lowered.launches for a in l.args if isinstance(a, Value)}
        used |= {v.storage.id for v in lowered.inputs + lowered.outputs}
        consts = {s.id: s.const for s in lowered.storages
                  if s.kind == "const" and s.const is not None and s.id in used}
        index = _write_constants(tmp / "constants.bin", consts)
        # PoCL compiles every kernel again (for no work-group size in particular, one after another) to hand
        # out a program binary: ResNet-50's cold compile with CACHE_DIR took 33 s instead of 16. Its own cache
        # (POCL_CACHE_DIR) holds the build and the kernels compiled for their sizes, so on PoCL the entry keeps
        # no binary and a load builds from source: a PoCL cache hit.
        if plan.program is not None and not plan.device.is_pocl:
            import pyopencl as cl
            (tmp / "program.bin").write_bytes(plan.program.get_info(cl.program_info.BINARIES)[0])
        doc = {
            "format": FORMAT,
            "constants": index,
            "storages": [{"id": s.id, "nbytes": s.nbytes, "kind": s.kind,
                          "parent": None if s.parent is None else s.parent.id, "offset": s.offset,
                          "variable": s.variable}
                         for s in lowered.storages],
            # the rendered prelude: a load then needs no template rendering (Mako's import alone is ~35 ms)
            "prelude": lowered.prelude_source(),
            "inputs": [_value(v) for v in lowered.inputs],
            "outputs": [_value(v) for v in lowered.outputs],
            "launches": [{"node": l.node, "op": l.op, "nodes": l.nodes, "kernel": l.kernel, "source": l.source,
                          "gsize": list(l.gsize), "lsize": list(l.lsize), "template": l.template,
                          "flops": l.flops, "args": [_arg(a) for a in l.args], "variant": l.variant,
                          "params": l.params, "shape": l.shape, "tuning": l.tuning, "path": l.path}
                         for l in lowered.launches],
        }
        (tmp / "plan.json").write_text(json.dumps(doc))
        os.replace(tmp, final)
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _write_constants(path: Path, consts: dict) -> dict:
    """The constants' bytes, each from a page boundary on; returns {id: [offset, dtype, shape]}."""
    from .memory import PAGE
    index, offset = {}, 0
    with open(path, "wb") as f:
        for sid, a in consts.items():
            a = np.ascontiguousarray(a)
            offset = -(-offset // PAGE) * PAGE
            f.seek(offset)
            f.write(a.tobytes())
            index[str(sid)] = [offset, a.dtype.str, list(a.shape)]
            offset += a.nbytes
    return index


def _read_constants(path: Path, index: dict) -> dict:
    """{id: array}, read in one go into page-aligned memory: the device uses them in place where it shares
    host memory (no copy after the read). Anything out of bounds or not a plain number type is an error (the
    entry is then rebuilt). Read, not mapped: a file changed under a mapping would crash the process."""
    from .memory import PAGE
    size = path.stat().st_size
    raw = np.empty(size + PAGE, np.uint8)
    start = -raw.ctypes.data % PAGE
    raw = raw[start:start + size]
    with open(path, "rb") as f:
        if f.readinto(memoryview(raw)) != size:
            raise ValueError("constants truncated")
    out = {}
    for sid, (offset, dtype, shape) in index.items():
        dt = np.dtype(dtype)
        if dt.hasobject or dt.kind not in "biuf" or any(int(d) < 0 for d in shape):
            raise ValueError("constant type")
        n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if offset < 0 or offset + n > size:
            raise ValueError("constant bounds")
        out[sid] = raw[offset:offset + n].view(dt).reshape(shape) if n else np.empty(shape, dt)
    return out


# -- load ------------------------------------------------------------------------------------------------

def load(cache_dir, key: str, device, config: dict):
    """The cached plan for ``key``, or None (missing, corrupt or unreadable entries are removed)."""
    entry = Path(cache_dir) / f"ovcl-{key}"
    if not entry.is_dir():
        return None
    try:
        doc = json.loads((entry / "plan.json").read_text())
        if doc.get("format") != FORMAT:
            raise ValueError("format")
        consts = _read_constants(entry / "constants.bin", doc["constants"])
        storages = []
        for s in doc["storages"]:
            const = consts.get(str(s["id"])) if s["kind"] == "const" else None
            storages.append(Storage(int(s["id"]), int(s["nbytes"]), s["kind"], const))
            if s["kind"] == "state":
                vid, role = s["variable"]
                if not isinstance(vid, str) or role not in ("read", "write"):
                    raise ValueError("state storage")
                storages[-1].variable = (vid, role)
        if any(s.id != i for i, s in enumerate(storages)):
            raise ValueError("storage ids")
        for s, d in zip(storages, doc["storages"]):
            if d["parent"] is not None:
                # a concatenation's output is made after its parts: a later id, so no entry can make a cycle
                p, off = storages[int(d["parent"])], int(d["offset"])
                if p.id <= s.id or off < 0 or off + s.nbytes > p.nbytes:
                    raise ValueError("storage placement")
                s.parent, s.offset = p, off

        def value(d):
            return Value(tuple(int(x) for x in d["shape"]), Type.from_name(d["type"]), storages[d["storage"]], d["name"])

        def arg(d):
            if "value" in d:
                return value(d["value"])
            if "local" in d:
                return LocalMem(int(d["local"]))
            return np.dtype(d["dtype"]).type(d["scalar"])

        launches = [Launch(node=l["node"], op=l["op"], nodes=list(l["nodes"]), kernel=l["kernel"],
                           source=l["source"], gsize=tuple(l["gsize"]), lsize=tuple(l["lsize"]),
                           args=[arg(a) for a in l["args"]], template=l["template"], flops=int(l["flops"]),
                           variant=l["variant"], params={k: int(v) for k, v in l["params"].items()},
                           shape=l["shape"], tuning=l["tuning"], path=l["path"])
                    for l in doc["launches"]]
        if not isinstance(doc["prelude"], str):
            raise ValueError("prelude")
        lowered = Lowered(storages, [value(v) for v in doc["inputs"]], [value(v) for v in doc["outputs"]], launches,
                          doc["prelude"])
        binary = (entry / "program.bin").read_bytes() if launches and not device.is_pocl else None
        plan = finish(device, lowered, config, binary=binary)
        plan.stats["from_cache"] = True
        return plan
    except Exception:  # noqa: BLE001 - any defect in an entry means: rebuild it
        shutil.rmtree(entry, ignore_errors=True)
        return None
