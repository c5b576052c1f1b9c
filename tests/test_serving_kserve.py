"""An ovcl model under KServe's Python model server (``ovcl.serving.kserve_model``), started in a subprocess on
loopback ports and driven over HTTP (the v2 protocol's JSON; its readiness by Triton's client): answers equal to
direct inference, a bad request answered 400. Needs ``kserve``, whose pins clash with the test extras' (protobuf): CI runs this module
in a venv of its own (.ci/run)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import ovcl
from helpers import free_port

pytest.importorskip("kserve", reason="needs kserve (a venv of its own in CI)")
httpclient = pytest.importorskip("tritonclient.http")

DIGITS = Path(ovcl.__file__).parent / "models" / "digits.onnx"


def _post(port, shape, data):
    body = json.dumps({"inputs": [{"name": "image", "datatype": "FP32", "shape": list(shape), "data": data}]})
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/models/digits/infer", data=body.encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_kserve_model_server(tmp_path):
    http, grpc = free_port(), free_port()
    log = open(tmp_path / "kserve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "ovcl.serving.kserve_model", "--model_name", "digits",
                             "--model_path", str(DIGITS), "--device", "CPU", "--http_port", str(http),
                             "--grpc_port", str(grpc)], stdout=log, stderr=subprocess.STDOUT)
    try:
        client = httpclient.InferenceServerClient(f"127.0.0.1:{http}")
        deadline = time.time() + 120
        while True:
            try:
                if client.is_model_ready("digits"):
                    break
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                pytest.fail(f"the KServe model server did not come up:\n{log.read()}")
            time.sleep(0.3)
        x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
        want = ovcl.compile_model(ovcl.read_model(str(DIGITS)), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})(x)[0]
        # plain JSON with its Content-Type: KServe 0.21 reads a body without one as binary data, and then refuses
        # tritonclient's requests for a missing Inference-Header-Content-Length (tritonclient sends no type)
        status, answer = _post(http, x.shape, x.reshape(-1).tolist())
        assert status == 200, answer
        out = answer["outputs"][0]
        assert out["name"] == "prob" and out["shape"] == [2, 10] and out["datatype"] == "FP32"
        np.testing.assert_allclose(np.array(out["data"], np.float32).reshape(2, 10), want, rtol=1e-6)
        status, answer = _post(http, (1, 1, 8, 9), [0.0] * 72)
        assert status == 400 and "does not fit" in answer["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
