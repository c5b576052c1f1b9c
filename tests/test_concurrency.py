"""Many threads, several models, queues with callbacks, compiling while inferring: results bit-identical to serial
inferences, nothing deadlocks (every join has a deadline); and a soak whose host memory stays flat (a short one
here, 50,000 inferences with ``-m slow`` and in ``scripts/soak.py``)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import ovcl

DIGITS = str(Path(ovcl.__file__).parent / "models" / "digits.onnx")
DEADLINE = 300          # seconds a thread may take before the test calls it a deadlock


def _inputs(n, batch=2, seed=0):
    return [np.random.default_rng(seed + k).standard_normal((batch, 1, 8, 8)).astype(np.float32) for k in range(n)]


def _join(threads):
    for t in threads:
        t.join(DEADLINE)
        assert not t.is_alive(), "a thread did not finish: deadlock?"


def test_threads_on_one_and_on_several_models():
    models = [ovcl.compile_model(DIGITS, "CPU", {"NUM_STREAMS": 2}),
              ovcl.compile_model(DIGITS, "CPU", {"PERFORMANCE_HINT": "LATENCY"})]
    xs = _inputs(6)
    serial = [[m(x)[0] for x in xs] for m in models]
    got, errors = {}, []

    def work(t):
        try:
            for rep in range(8):
                for k, x in enumerate(xs):
                    m = (t + k + rep) % 2
                    got.setdefault((t, m, k), []).append(models[m](x)[0])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    [t.start() for t in threads]
    _join(threads)
    assert not errors, errors
    for (t, m, k), results in got.items():
        for r in results:
            np.testing.assert_array_equal(r, serial[m][k])


def test_async_queue_callbacks_while_another_model_compiles(tmp_path):
    """A queue runs with callbacks while another thread compiles (and runs) a second model."""
    compiled = ovcl.compile_model(DIGITS, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})
    xs = _inputs(12, batch=3, seed=10)
    serial = [compiled(x)[0] for x in xs]
    results, other = {}, []

    def compile_another():
        model = ovcl.read_model(DIGITS)
        model.reshape([5, 1, 8, 8])
        second = ovcl.compile_model(model, "CPU")
        other.append(second(np.ones((5, 1, 8, 8), np.float32))[0])

    builder = threading.Thread(target=compile_another)
    builder.start()
    queue = ovcl.AsyncInferQueue(compiled, 3)
    queue.set_callback(lambda request, k: results.__setitem__(k, request.get_output_tensor(0).data.copy()))
    for rep in range(3):
        for k, x in enumerate(xs):
            queue.start_async({0: x}, k)
        queue.wait_all()
        for k in range(len(xs)):
            np.testing.assert_array_equal(results[k], serial[k])
    _join([builder])
    assert len(other) == 1 and other[0].shape == (5, 10)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20


def soak(inferences: int, report_every: int = 500) -> list[tuple[int, float]]:
    """``inferences`` inferences over changing input shapes (batch 1-4: a plan each, kept), with a model compiled
    and released every 250; (inferences done, host RSS in MiB) every ``report_every``."""
    model = ovcl.read_model(DIGITS)
    compiled = ovcl.compile_model(model, "CPU")
    xs = {b: _inputs(1, batch=b, seed=b)[0] for b in (1, 2, 3, 4)}
    curve = []
    for k in range(inferences):
        if k % 250 == 249:
            del compiled
            compiled = ovcl.compile_model(model, "CPU")
        compiled(xs[1 + k % 4])
        if k % report_every == report_every - 1:
            curve.append((k + 1, _rss_mib()))
    return curve


def _flat(curve, allowed_mib):
    """After the first point (warm-up: plans, kernels), RSS grows by at most ``allowed_mib``."""
    start, end = curve[1][1], curve[-1][1]
    assert end - start <= allowed_mib, f"host memory grew {end - start:.1f} MiB: {curve}"


def test_short_soak_keeps_memory_flat():
    _flat(soak(3000), allowed_mib=20)


@pytest.mark.slow
def test_soak_keeps_memory_flat():
    _flat(soak(50_000, report_every=5000), allowed_mib=30)
