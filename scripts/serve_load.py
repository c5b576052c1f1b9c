#!/usr/bin/env python
"""Load on ``ovcl serve``: throughput and p50/p99 latency at several concurrencies over REST (binary data) and
gRPC, beside in-process ``CompiledModel`` calls from as many threads, on the same model and device: the
difference is the server's overhead.

    python scripts/serve_load.py [--model ovcl/models/digits.onnx] [--batch 1] [--seconds 5] [--concurrency 1,4,16]

Starts the server itself on loopback ports (a repository in a temporary folder) and stops it at the end."""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drive(call, concurrency: int, seconds: float) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of ``call`` from ``concurrency`` threads for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker():
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            call()
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return len(latencies) / wall, 1000 * q[49], 1000 * q[98]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "ovcl" / "models" / "digits.onnx"))
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", default="1,4,16")
    args = ap.parse_args()
    import ovcl
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient

    model_path = Path(args.model)
    repo = Path(tempfile.mkdtemp(prefix="ovcl-serve-load-"))
    (repo / "m" / "1").mkdir(parents=True)
    shutil.copy(model_path, repo / "m" / "1" / f"model{model_path.suffix}")
    compiled = ovcl.compile_model(ovcl.read_model(str(model_path)), args.device,
                                  {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 2})
    port_in = compiled.inputs[0]
    shape = [args.batch if not d.is_static else d.get_length() for d in port_in.get_partial_shape()]
    x = np.random.default_rng(0).standard_normal(shape).astype(port_in.get_element_type().dtype)
    name_in, name_out = port_in.get_any_name(), compiled.outputs[0].get_any_name()
    rest, grpc_port = _port(), _port()
    server = subprocess.Popen([sys.executable, "-m", "ovcl.cli", "serve", "--model-repository", str(repo),
                               "--rest-port", str(rest), "--grpc-port", str(grpc_port), "--host", "127.0.0.1",
                               "-d", args.device, "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        http_local = threading.local()
        grpc_client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        deadline = time.time() + 120
        while True:
            try:
                if httpclient.InferenceServerClient(f"127.0.0.1:{rest}").is_server_ready():
                    break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
            if time.time() > deadline or server.poll() is not None:
                print("the server did not come up", file=sys.stderr)
                return 1

        def rest_call():
            if not hasattr(http_local, "c"):
                http_local.c = httpclient.InferenceServerClient(f"127.0.0.1:{rest}")
            i = httpclient.InferInput(name_in, shape, "FP32")
            i.set_data_from_numpy(x)
            http_local.c.infer("m", [i], outputs=[httpclient.InferRequestedOutput(name_out)])

        def grpc_call():
            i = grpcclient.InferInput(name_in, shape, "FP32")
            i.set_data_from_numpy(x)
            grpc_client.infer("m", [i])

        def direct_call():
            compiled(x)
        for call in (direct_call, rest_call, grpc_call):     # warm-up: plans, connections
            call()
        print(f"{model_path.name}, batch {args.batch}, device {args.device}, {args.seconds:g} s per cell")
        print(f"{'concurrency':>11} | {'in-process req/s':>16} | {'REST req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'gRPC req/s':>10} {'p50 ms':>7} {'p99 ms':>7}")
        for c in (int(v) for v in args.concurrency.split(",")):
            d = _drive(direct_call, c, args.seconds)
            r = _drive(rest_call, c, args.seconds)
            g = _drive(grpc_call, c, args.seconds)
            print(f"{c:>11} | {d[0]:>16.0f} | {r[0]:>10.0f} {r[1]:>7.2f} {r[2]:>7.2f} | "
                  f"{g[0]:>10.0f} {g[1]:>7.2f} {g[2]:>7.2f}")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(repo, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
