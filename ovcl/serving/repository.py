"""The models a server serves: an OpenVINO Model Server repository read, each model compiled once, and the
inference of one request (checked, queued, run, answered).

Layout (OpenVINO Model Server's): ``DIR/<name>/<version>/<model file>`` with numeric versions, the highest
served; a model file is ``model.xml`` (with its ``.bin``), or any one file ``read_model`` reads (``.onnx``,
``.tflite``, ``.pb``, ``.pdmodel``, ``.json``, a SavedModel folder). Or ``DIR/config.json`` in the Model
Server's format, naming models and where they lie: ``{"model_config_list": [{"config": {"name": "resnet",
"base_path": "resnet"}}]}`` (``base_path`` relative to DIR, holding the version folders)."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batching import Batcher, batchable
from .metrics import Metrics
from .protocol import InferRequest, RequestError, TensorSpec, datatype_of, decode, dims_of

_MODEL_SUFFIXES = (".xml", ".onnx", ".tflite", ".pb", ".pdmodel", ".json")


class RepositoryError(Exception):
    """The repository cannot be served: it names what is wrong."""


def _model_path(version_dir: Path) -> Path:
    if (version_dir / "saved_model.pb").is_file():
        return version_dir
    files = sorted(p for p in version_dir.iterdir() if p.suffix.lower() in _MODEL_SUFFIXES and p.is_file())
    if any(p.name == "model.xml" for p in files):
        return version_dir / "model.xml"
    if len(files) != 1:
        raise RepositoryError(f"{version_dir}: expected one model file ({', '.join(_MODEL_SUFFIXES)}), found "
                              f"{[p.name for p in files] or 'none'}")
    return files[0]


def _versions(base: Path) -> dict[int, Path]:
    if not base.is_dir():
        raise RepositoryError(f"{base}: not a folder of model versions")
    versions = {int(p.name): p for p in base.iterdir() if p.is_dir() and p.name.isdigit()}
    if not versions:
        raise RepositoryError(f"{base}: no version folders (1/, 2/, ...)")
    return versions


def scan(root: str | Path) -> dict[str, tuple[int, Path]]:
    """name -> (version, model path) of the models in repository ``root``, the highest version of each."""
    root = Path(root)
    if not root.is_dir():
        raise RepositoryError(f"model repository {root} is not a folder")
    config = root / "config.json"
    if config.is_file():
        try:
            entries = [e["config"] for e in json.loads(config.read_text())["model_config_list"]]
            bases = {e["name"]: (root / e["base_path"]) for e in entries}
        except (ValueError, KeyError, TypeError) as e:
            raise RepositoryError(f"{config}: not a Model Server config ({e!r}); expected "
                                  f'{{"model_config_list": [{{"config": {{"name": ..., "base_path": ...}}}}]}}') \
                from None
    else:
        bases = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}
    if not bases:
        raise RepositoryError(f"model repository {root} holds no models (expected {root}/<name>/<version>/...)")
    out = {}
    for name, base in bases.items():
        versions = _versions(base)
        top = max(versions)
        out[name] = (top, _model_path(versions[top]))
    return out


@dataclass
class Answer:
    """One request's outputs, by name, with the binary choice for each."""
    id: str
    outputs: list[tuple[str, str, np.ndarray, bool]]     # (name, datatype, array, binary)


class ServedModel:
    """A compiled model behind the protocol: requests checked against its inputs, run on a pool of
    ``workers`` threads (the compiled model runs as many at once as it has streams), with at most
    ``max_queue`` more waiting; beyond that a request is refused as busy (503)."""

    def __init__(self, name: str, version: int, path: Path, compiled, workers: int, max_queue: int,
                 metrics: Metrics, max_batch: int = 1, batch_wait: float = 0.002):
        self.name, self.version, self.path, self.compiled = name, version, path, compiled
        self.inputs = {p.get_any_name(): TensorSpec(p.get_any_name(), datatype_of(p.get_element_type()),
                                                    p.get_partial_shape()) for p in compiled.inputs}
        self.outputs = {p.get_any_name(): p for p in compiled.outputs}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ovcl-serve-{name}")
        self._slots = threading.BoundedSemaphore(workers + max_queue)
        self._metrics = metrics
        # dynamic batching, where asked for and the model has a batch dimension to gather along
        self.batching = max_batch > 1 and batchable(compiled)
        self._batcher = Batcher(self.infer, max_batch, batch_wait, name) if self.batching else None

    def infer(self, feeds: dict) -> dict[str, np.ndarray]:
        """One inference: outputs by name; what the model or the device cannot take is the request's fault."""
        from ovcl.errors import OVCLError
        try:
            results = self.compiled(feeds)
        except OVCLError as e:          # shapes the model or the device cannot take
            raise RequestError(f"model '{self.name}' cannot run this request: {e}", 400) from None
        return {p.get_any_name(): np.asarray(results[p]) for p in self.compiled.outputs}

    def metadata(self) -> dict:
        tensor = lambda p: {"name": p.get_any_name(), "datatype": datatype_of(p.get_element_type()),  # noqa: E731
                            "shape": dims_of(p)}
        return {"name": self.name, "versions": [str(self.version)], "platform": "ovcl",
                "inputs": [tensor(p) for p in self.compiled.inputs],
                "outputs": [tensor(p) for p in self.compiled.outputs]}

    def check_version(self, version: str | None) -> None:
        if version not in (None, "", str(self.version)):
            raise RequestError(f"model '{self.name}' has no version {version} (serving version {self.version})", 404)

    def submit(self, request: InferRequest, protocol: str):
        """Check ``request`` and queue its inference: a Future of its Answer. Raises RequestError at once
        for a bad or refused request."""
        feeds = self._feeds(request)
        wanted = self._wanted(request)
        if not self._slots.acquire(blocking=False):
            self._metrics.count(self.name, protocol, "busy")
            raise RequestError(f"model '{self.name}' is busy: its queue is full; retry later", 503)
        queued = time.perf_counter()

        def answer(arrays: dict, started: float) -> Answer:
            self._metrics.observe(self.name, protocol, started - queued, time.perf_counter() - started)
            return Answer(request.id, [(n, datatype_of(self.outputs[n].get_element_type()), arrays[n], b)
                                       for n, b in wanted])

        if self._batcher is not None:
            try:
                inner = self._batcher.submit(feeds)
            except ValueError as e:
                self._slots.release()
                raise RequestError(str(e)) from None
            outer: Future = Future()

            def done(f: Future) -> None:
                self._slots.release()
                try:
                    outer.set_result(answer(f.result(), queued))
                except BaseException as e:  # noqa: BLE001 - handed to the waiting request
                    outer.set_exception(e)
            inner.add_done_callback(done)
            return outer

        def run() -> Answer:
            try:
                started = time.perf_counter()
                return answer(self.infer(feeds), started)
            finally:
                self._slots.release()
        try:
            return self._pool.submit(run)
        except RuntimeError:            # the pool is shutting down
            self._slots.release()
            raise RequestError("the server is shutting down", 503) from None

    def _feeds(self, request: InferRequest) -> dict:
        feeds = {}
        for tensor in request.inputs:
            spec = self.inputs.get(tensor.name)
            if spec is None:
                raise RequestError(f"model '{self.name}' has no input '{tensor.name}' (inputs: "
                                   f"{', '.join(self.inputs)})")
            if tensor.name in feeds:
                raise RequestError(f"input '{tensor.name}' is given twice")
            feeds[tensor.name] = decode(tensor, spec)
        missing = [n for n in self.inputs if n not in feeds]
        if missing:
            raise RequestError(f"model '{self.name}' needs input(s) {', '.join(missing)}")
        return feeds

    def _wanted(self, request: InferRequest) -> list[tuple[str, bool]]:
        if not request.outputs:
            return [(n, request.binary_output) for n in self.outputs]
        wanted = []
        for out in request.outputs:
            if out.name not in self.outputs:
                raise RequestError(f"model '{self.name}' has no output '{out.name}' (outputs: "
                                   f"{', '.join(self.outputs)})")
            wanted.append((out.name, request.binary_output if out.binary is None else out.binary))
        return wanted

    def close(self) -> None:
        """Finish the requests in flight and queued, then stop."""
        if self._batcher is not None:
            self._batcher.close()
        self._pool.shutdown(wait=True)


class Repository:
    """Every model of a repository, compiled for ``device``."""

    def __init__(self, root: str | Path, device: str = "AUTO", workers: int = 2, max_queue: int = 64,
                 config: dict | None = None, max_batch: int = 1, batch_wait: float = 0.002, log=print):
        import ovcl
        self.metrics = Metrics()
        self.models: dict[str, ServedModel] = {}
        core = ovcl.Core()
        for name, (version, path) in scan(root).items():
            t = time.perf_counter()
            compiled = core.compile_model(core.read_model(str(path)), device, dict(config or {}))
            model = ServedModel(name, version, path, compiled, workers, max_queue, self.metrics, max_batch,
                                batch_wait)
            self.models[name] = model
            batching = (f", batches of up to {max_batch}" if model.batching else
                        ", no batching (no dynamic first dimension)" if max_batch > 1 else "")
            log(f"ovcl serve: model '{name}' version {version} ({path.name}) ready on {device} in "
                f"{time.perf_counter() - t:.1f} s{batching}")
        self.ready = True

    def get(self, name: str, version: str | None = None) -> ServedModel:
        model = self.models.get(name)
        if model is None:
            raise RequestError(f"unknown model '{name}' (serving: {', '.join(sorted(self.models)) or 'none'})", 404)
        model.check_version(version)
        return model

    def close(self) -> None:
        self.ready = False
        for m in self.models.values():
            m.close()
