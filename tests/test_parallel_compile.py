"""Cold plans compile their kernels in worker processes that warm PoCL's kernel cache (ovcl/parallel_compile.py):
results unchanged (against NumPy), the kernels compiled before the first inference, a failing worker harmless."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ovcl
from ovcl import parallel_compile
from ovcl.ir import Model, ops


def _chain(width: int, rng, depth: int = 5):
    """MatMul -> Softmax, ``depth`` times with distinct widths: 2 * depth distinct kernels (nothing fuses),
    ``width`` making the sources new to this process's PoCL cache. Returns the model, an input, NumPy's result."""
    x = rng.standard_normal((3, width)).astype(np.float32)
    p = ops.parameter(x.shape, name="x")
    y, ref, cin = p, x.astype(np.float64), width
    for k in range(depth):
        cout = width + 8 * (k + 1)
        w = (rng.standard_normal((cin, cout)) / np.sqrt(cin)).astype(np.float32)
        y = ops.make("Softmax", [ops.make("MatMul", [y, ops.constant(w)])], axis=1)
        z = ref @ w
        ref = np.exp(z - z.max(1, keepdims=True))
        ref /= ref.sum(1, keepdims=True)
        cin = cout
    return Model([y], [p]), x, ref


def test_workers_compile_and_results_hold(rng, tmp_path, monkeypatch):
    """Two workers compile the kernels; the plan computes what NumPy does; a second compile of the same
    program (PoCL's cache warm, the marker written) starts no workers; COMPILATION_NUM_THREADS=1 none."""
    monkeypatch.setenv("OVCL_CACHE_DIR", str(tmp_path))
    model, x, ref = _chain(int(rng.integers(40, 400)), rng)
    cm = ovcl.compile_model(model, "CPU", {"COMPILATION_NUM_THREADS": 2})
    if not cm.device.is_pocl or os.environ.get("POCL_KERNEL_CACHE", "1") == "0":
        pytest.skip("worker processes only where PoCL compiles at first launch and caches on disk")
    stats = cm._current_plan().stats
    assert stats["compile_workers"] == 2 and stats["compile_workers_failed"] == 0
    assert stats["warmed_kernels"] == len({l.kernel for l in cm.launches()}) == 10
    np.testing.assert_allclose(cm(x)[0], ref, rtol=1e-4, atol=1e-6)
    again = ovcl.compile_model(model, "CPU", {"COMPILATION_NUM_THREADS": 2})._current_plan().stats
    assert "compile_workers" not in again
    model2, x2, ref2 = _chain(int(rng.integers(400, 800)), rng)
    one = ovcl.compile_model(model2, "CPU", {"COMPILATION_NUM_THREADS": 1})
    assert "compile_workers" not in one._current_plan().stats
    np.testing.assert_allclose(one(x2)[0], ref2, rtol=1e-4, atol=1e-6)


def test_failing_workers_leave_the_kernels_to_their_first_launch(rng, tmp_path, monkeypatch):
    """Workers that die (here: a script that exits 3) cost nothing but their warmth: the plan still builds
    and computes right, and no marker claims the program warmed."""
    monkeypatch.setenv("OVCL_CACHE_DIR", str(tmp_path))
    bad = tmp_path / "bad_worker.py"
    bad.write_text("import sys\nsys.exit(3)\n")
    monkeypatch.setattr(parallel_compile, "WORKER_SCRIPT", str(bad))
    model, x, ref = _chain(int(rng.integers(800, 1200)), rng)
    cm = ovcl.compile_model(model, "CPU", {"COMPILATION_NUM_THREADS": 2})
    if not cm.device.is_pocl or os.environ.get("POCL_KERNEL_CACHE", "1") == "0":
        pytest.skip("worker processes only where PoCL compiles at first launch and caches on disk")
    stats = cm._current_plan().stats
    assert stats["compile_workers"] == 2 and stats["compile_workers_failed"] == 2
    np.testing.assert_allclose(cm(x)[0], ref, rtol=1e-4, atol=1e-6)
    assert not (tmp_path / "kernels" / "warmed").exists() or not any((tmp_path / "kernels" / "warmed").iterdir())


def test_kernels_are_compiled_before_the_first_inference(tmp_path):
    """In a new process with empty caches: after compile_model, and before any inference, PoCL's disk cache
    holds a compiled binary of every kernel of the plan at its work-group size."""
    script = textwrap.dedent("""
        import json, os, sys
        import numpy as np
        sys.path.insert(0, sys.argv[1])
        import ovcl
        from test_parallel_compile import _chain
        model, x, ref = _chain(48, np.random.default_rng(1))
        cm = ovcl.compile_model(model, "CPU", {"COMPILATION_NUM_THREADS": 2})
        if not cm.device.is_pocl:
            print(json.dumps(None)); sys.exit(0)
        compiled = {}
        for root, dirs, files in os.walk(os.environ["POCL_CACHE_DIR"]):
            for f in files:
                if f.endswith(".so"):
                    compiled.setdefault(f[:-3], set()).add(os.path.basename(root).split("-goffs")[0])
        want = {l.kernel: "-".join(str(s) for s in tuple(l.lsize) + (1,) * (3 - len(l.lsize)))
                for l in cm.launches()}
        print(json.dumps({"missing": sorted(k for k, ls in want.items() if ls not in compiled.get(k, ())),
                          "stats": cm._current_plan().stats.get("compile_workers")}))
    """)
    env = {**os.environ, "POCL_CACHE_DIR": str(tmp_path / "pocl"), "OVCL_CACHE_DIR": str(tmp_path / "ovcl")}
    env.pop("POCL_KERNEL_CACHE", None)
    out = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res is None:
        pytest.skip("not PoCL")
    assert res["stats"] == 2
    assert res["missing"] == []


def test_a_bad_process_count_is_a_clear_error(rng):
    model, x, _ = _chain(int(rng.integers(1200, 1300)), rng)
    with pytest.raises(ovcl.errors.CompileError, match="COMPILATION_NUM_THREADS"):
        ovcl.compile_model(model, "CPU", {"COMPILATION_NUM_THREADS": "many"})
