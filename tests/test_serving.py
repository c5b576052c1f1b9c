"""``ovcl serve`` driven by Triton's client (tritonclient, HTTP with and without binary data, gRPC) on loopback
ports: answers equal to direct inference with the same CompiledModel settings, concurrent clients with mixed
batch sizes, every bad request a 4xx (or a gRPC status) while the server keeps serving, metrics, a graceful stop.
The model is the bundled digits CNN (dynamic batch), served from an OpenVINO Model Server repository layout."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import ovcl
from helpers import free_port

httpclient = pytest.importorskip("tritonclient.http", reason="needs the serve-test extra (tritonclient)")
grpcclient = pytest.importorskip("tritonclient.grpc", reason="needs the serve-test extra (tritonclient)")
pytest.importorskip("uvicorn", reason="needs the serve extra")

DIGITS = Path(ovcl.__file__).parent / "models" / "digits.onnx"


def _start(repo: Path, *extra: str) -> dict:
    """``ovcl serve`` on ``repo`` (loopback ports of its own), once it answers ready."""
    rest, grpc_port = free_port(), free_port()
    log = open(repo / f"server-{rest}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "ovcl.cli", "serve", "--model-repository", str(repo),
                             "--rest-port", str(rest), "--grpc-port", str(grpc_port), "--host", "127.0.0.1",
                             "-d", "CPU", "--max-request-mb", "1", "--log-level", "warning", *extra],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = httpclient.InferenceServerClient(f"127.0.0.1:{rest}")
    deadline = time.time() + 120
    while True:
        try:
            if client.is_server_ready():
                return {"rest": rest, "grpc": grpc_port, "proc": proc, "log": log}
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"ovcl serve did not come up:\n{log.read()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with digits as versions 1 and 3 (3 served)."""
    repo = tmp_path_factory.mktemp("repo")
    for version in ("1", "3"):
        (repo / "digits" / version).mkdir(parents=True)
        (repo / "digits" / version / "model.onnx").write_bytes(DIGITS.read_bytes())
    return repo


@pytest.fixture(scope="module")
def server(repo):
    running = _start(repo)
    yield running
    running["proc"].kill()
    running["proc"].wait()


@pytest.fixture(scope="module")
def reference():
    """Direct inference, compiled with the server's settings."""
    compiled = ovcl.compile_model(ovcl.read_model(str(DIGITS)), "CPU",
                                  {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 2})
    return lambda x: compiled(x)[0]


def _images(rng, batch):
    return rng.standard_normal((batch, 1, 8, 8)).astype(np.float32)


def _http_infer(port, x, binary_in=True, binary_out=True):
    client = httpclient.InferenceServerClient(f"127.0.0.1:{port}")
    inp = httpclient.InferInput("image", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary_in)
    res = client.infer("digits", [inp], outputs=[httpclient.InferRequestedOutput("prob", binary_data=binary_out)])
    return res.as_numpy("prob")


def _grpc_infer(port, x):
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
    inp = grpcclient.InferInput("image", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    return client.infer("digits", [inp]).as_numpy("prob")


def test_health_and_metadata(server):
    http = httpclient.InferenceServerClient(f"127.0.0.1:{server['rest']}")
    grpc = grpcclient.InferenceServerClient(f"127.0.0.1:{server['grpc']}")
    assert http.is_server_live() and http.is_server_ready() and http.is_model_ready("digits")
    assert grpc.is_server_live() and grpc.is_server_ready() and grpc.is_model_ready("digits")
    assert http.is_model_ready("digits", "3") and not http.is_model_ready("digits", "1")   # the highest served
    meta = http.get_model_metadata("digits")
    assert meta == {"name": "digits", "versions": ["3"], "platform": "ovcl",
                    "inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 1, 8, 8]}],
                    "outputs": [{"name": "prob", "datatype": "FP32", "shape": [-1, 10]}]}
    gmeta = grpc.get_model_metadata("digits", as_json=True)
    assert gmeta["inputs"][0] == {"name": "image", "datatype": "FP32", "shape": ["-1", "1", "8", "8"]}
    server_meta = http.get_server_metadata()
    assert server_meta["name"] == "ovcl" and "binary_tensor_data" in server_meta["extensions"]


def test_answers_equal_direct_inference(server, reference):
    rng = np.random.default_rng(0)
    for batch in (1, 3):
        x = _images(rng, batch)
        want = reference(x)
        np.testing.assert_array_equal(_http_infer(server["rest"], x), want)
        np.testing.assert_array_equal(_http_infer(server["rest"], x, binary_in=False, binary_out=False), want)
        np.testing.assert_array_equal(_grpc_infer(server["grpc"], x), want)


def test_concurrent_clients_with_mixed_batches(server, reference):
    """8 clients x 40 requests, batch sizes 1-4, REST and gRPC alternating: every answer right."""
    def client(k):
        rng = np.random.default_rng(100 + k)
        for j in range(40):
            x = _images(rng, 1 + (j + k) % 4)
            got = _http_infer(server["rest"], x) if (j + k) % 2 else _grpc_infer(server["grpc"], x)
            np.testing.assert_array_equal(got, reference(x))
        return 40
    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(client, range(8))) == 320


def test_dynamic_batching(repo, reference):
    """--max-batch 8: 8 clients x 40 requests of batch 1-3 gathered into padded batches; each answer its own
    rows, as direct inference gives them (rtol 1e-4: a batch runs on another plan)."""
    running = _start(repo, "--max-batch", "8", "--batch-wait-ms", "5")
    try:
        def client(k):
            rng = np.random.default_rng(200 + k)
            for j in range(40):
                x = _images(rng, 1 + (j + k) % 3)
                got = _http_infer(running["rest"], x) if (j + k) % 2 else _grpc_infer(running["grpc"], x)
                np.testing.assert_allclose(got, reference(x), rtol=1e-4, atol=1e-6)
            return 40
        with ThreadPoolExecutor(8) as pool:
            assert sum(pool.map(client, range(8))) == 320
    finally:
        running["proc"].terminate()
        running["proc"].wait(timeout=60)
    running["log"].seek(0)
    assert "batches of up to 8" in running["log"].read()


def test_batcher_gathers_pads_and_splits():
    """Requests arriving together run as one batch padded to a power of two; another shape, or more rows than
    max_batch, runs apart; a failure reaches every request of its batch."""
    from ovcl.serving.batching import Batcher, bucket
    assert [bucket(n, 8) for n in (1, 2, 3, 5, 8, 11)] == [1, 2, 4, 8, 8, 11]
    seen = []

    def infer(feeds):
        seen.append(feeds["x"].shape)
        if feeds["x"].shape[1] == 5:
            raise RuntimeError("boom")
        return {"y": feeds["x"] * 2}
    batcher = Batcher(infer, max_batch=8, max_wait=0.5)
    xs = [np.full((n, 3), k, np.float32) for k, n in enumerate((1, 2, 2))]
    futures = [batcher.submit({"x": x}) for x in xs]
    other = batcher.submit({"x": np.ones((1, 4), np.float32)})
    for f, x in zip(futures, xs):
        np.testing.assert_array_equal(f.result(timeout=10)["y"], x * 2)
    np.testing.assert_array_equal(other.result(timeout=10)["y"], np.full((1, 4), 2, np.float32))
    big = batcher.submit({"x": np.ones((11, 3), np.float32)})
    assert big.result(timeout=10)["y"].shape == (11, 3)
    failing = [batcher.submit({"x": np.ones((1, 5), np.float32)}) for _ in range(2)]
    for f in failing:
        with pytest.raises(RuntimeError, match="boom"):
            f.result(timeout=10)
    batcher.close()
    assert seen[:3] == [(8, 3), (1, 4), (11, 3)] and all(s[0] in (1, 2) for s in seen[3:])
    with pytest.raises(ValueError, match="disagree"):
        Batcher(infer, 8, 0.01).submit({"a": np.ones((1, 2)), "b": np.ones((2, 2))})


def _post(port, path, body: bytes, headers=None):
    """(status, body) of a POST; a server that answers before reading all of a body too large for it (and
    closes) still has its answer read."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _doc(name="image", datatype="FP32", shape=(1, 1, 8, 8), data=None, **extra):
    data = list(np.zeros(int(np.prod(shape)), np.float32).tolist()) if data is None else data
    return json.dumps({"inputs": [{"name": name, "datatype": datatype, "shape": list(shape), "data": data}],
                       **extra}).encode()


def _binary(shape, declared: int, sent: int):
    """A binary-extension body declaring ``declared`` bytes of data and carrying ``sent``; its headers."""
    head = json.dumps({"inputs": [{"name": "image", "datatype": "FP32", "shape": shape,
                                   "parameters": {"binary_data_size": declared}}]}).encode()
    return head + bytes(sent), {"Inference-Header-Content-Length": str(len(head))}


BAD_REQUESTS = {
    "unknown model": ("/v2/models/nope/infer", _doc(), {}, 404, "unknown model 'nope'"),
    "unknown version": ("/v2/models/digits/versions/7/infer", _doc(), {}, 404, "no version 7"),
    "wrong input name": ("/v2/models/digits/infer", _doc(name="img"), {}, 400, "no input 'img'"),
    "wrong shape": ("/v2/models/digits/infer", _doc(shape=(1, 1, 8, 9)), {}, 400, "does not fit"),
    "wrong rank": ("/v2/models/digits/infer", _doc(shape=(64,)), {}, 400, "does not fit"),
    "wrong datatype": ("/v2/models/digits/infer", _doc(datatype="INT32", data=[0] * 64), {}, 400, "is FP32"),
    "unknown datatype": ("/v2/models/digits/infer", _doc(datatype="FP8"), {}, 400, "is FP32"),
    "short data": ("/v2/models/digits/infer", _doc(data=[0.0] * 63), {}, 400, "63 elements"),
    "strings as numbers": ("/v2/models/digits/infer", _doc(data=["a"] * 64), {}, 400, "numbers"),
    "malformed JSON": ("/v2/models/digits/infer", b'{"inputs": [', {}, 400, "not valid JSON"),
    "no inputs": ("/v2/models/digits/infer", b'{"outputs": []}', {}, 400, "'inputs' list"),
    "unknown output": ("/v2/models/digits/infer", _doc(outputs=[{"name": "logits"}]), {}, 400, "no output 'logits'"),
    "binary header beyond the body": ("/v2/models/digits/infer", _doc(),
                                      {"Inference-Header-Content-Length": "99999"}, 400, "outside the body"),
    "binary header not a number": ("/v2/models/digits/infer", _doc(),
                                   {"Inference-Header-Content-Length": "ten"}, 400, "not an integer"),
    "binary size beyond the data": ("/v2/models/digits/infer", *_binary([1, 1, 8, 8], 256, 16), 400,
                                    "binary_data_size"),
    "a shape beyond memory": ("/v2/models/digits/infer", *_binary([10 ** 12, 1, 8, 8], 4, 4), 400,
                              "bytes of binary data"),
    "body over the limit": ("/v2/models/digits/infer", b" " * (2 << 20), {}, 413, "limit"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_requests_get_4xx_and_the_server_keeps_serving(server, reference, case):
    path, body, headers, status, message = BAD_REQUESTS[case]
    got, answer = _post(server["rest"], path, body, headers)
    assert got == status, answer
    assert message in json.loads(answer)["error"]
    x = _images(np.random.default_rng(1), 2)
    np.testing.assert_array_equal(_http_infer(server["rest"], x), reference(x))


def test_bad_grpc_requests_get_status_codes(server):
    import grpc as grpclib
    from tritonclient.utils import InferenceServerException
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{server['grpc']}")
    inp = grpcclient.InferInput("image", [1, 1, 8, 9], "FP32")
    inp.set_data_from_numpy(np.zeros((1, 1, 8, 9), np.float32))
    with pytest.raises(InferenceServerException, match="does not fit"):
        client.infer("digits", [inp])
    inp = grpcclient.InferInput("image", [1, 1, 8, 8], "FP32")
    inp.set_data_from_numpy(np.zeros((1, 1, 8, 8), np.float32))
    with pytest.raises(InferenceServerException, match="unknown model") as e:
        client.infer("nope", [inp])
    assert e.value.status() == str(grpclib.StatusCode.NOT_FOUND)


def test_metrics(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server['rest']}/metrics", timeout=10) as r:
        text = r.read().decode()
    assert 'ovcl_requests_total{model="digits",protocol="rest",outcome="ok"}' in text
    assert 'ovcl_inference_seconds_count{model="digits"}' in text


def test_graceful_stop(repo, reference):
    """SIGTERM while requests run: they are answered, then the server exits 0."""
    running = _start(repo)
    x = _images(np.random.default_rng(2), 4)
    with ThreadPoolExecutor(4) as pool:
        answers = [pool.submit(_http_infer, running["rest"], x) for _ in range(8)]
        time.sleep(0.05)
        running["proc"].send_signal(signal.SIGTERM)
        done = [a.exception() is None and np.array_equal(a.result(), reference(x)) for a in answers]
    assert running["proc"].wait(timeout=60) == 0
    assert any(done)          # those accepted before the stop were answered right (later ones refused)
    running["log"].seek(0)
    assert "ovcl serve: stopped" in running["log"].read()


def test_a_full_queue_answers_busy():
    """With every slot taken, the next request is refused as busy (503) at once, not queued without bound."""
    from ovcl.serving.metrics import Metrics
    from ovcl.serving.protocol import InferInput, InferRequest, RequestError
    from ovcl.serving.repository import ServedModel
    compiled = ovcl.compile_model(ovcl.read_model(str(DIGITS)), "CPU")
    model = ServedModel("digits", 1, DIGITS, compiled, workers=1, max_queue=0, metrics=Metrics())
    request = InferRequest([InferInput("image", "FP32", [1, 1, 8, 8], bytes(256), True)])
    assert model._slots.acquire(blocking=False)          # the one slot, taken
    with pytest.raises(RequestError, match="busy") as e:
        model.submit(request, "rest")
    assert e.value.status == 503
    model._slots.release()
    assert model.submit(request, "rest").result().outputs[0][2].shape == (1, 10)
    model.close()


def test_bad_repositories_are_refused(tmp_path):
    from ovcl.serving.repository import RepositoryError, scan
    with pytest.raises(RepositoryError, match="not a folder"):
        scan(tmp_path / "missing")
    with pytest.raises(RepositoryError, match="holds no models"):
        scan(tmp_path)
    (tmp_path / "m").mkdir()
    with pytest.raises(RepositoryError, match="no version folders"):
        scan(tmp_path)
    (tmp_path / "m" / "2").mkdir()
    with pytest.raises(RepositoryError, match="found none"):
        scan(tmp_path)
    (tmp_path / "m" / "2" / "model.onnx").write_bytes(DIGITS.read_bytes())
    assert scan(tmp_path) == {"m": (2, tmp_path / "m" / "2" / "model.onnx")}
    (tmp_path / "config.json").write_text(json.dumps({"model_config_list": [{"config": {"name": "d",
                                                                                        "base_path": "m"}}]}))
    assert scan(tmp_path) == {"d": (2, tmp_path / "m" / "2" / "model.onnx")}
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(RepositoryError, match="not a Model Server config"):
        scan(tmp_path)
    assert os.path.exists(tmp_path / "m")
