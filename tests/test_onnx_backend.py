"""ONNX backend node tests (core subset) through ovcl, as a regression guard.

Runs every core case of ``onnx.backend.test.case.node`` with ``conformance_runner`` (worker subprocesses,
a watchdog per case, so a crash or hang of one case cannot take the session down) and fails when a case that
is not listed in ``tests/onnx_backend_xfail.txt`` does not pass. Listed cases that pass now are reported
(a warning and a printed list) so the list can be trimmed with
``python scripts/conformance.py --core-only --update-xfail``.

Environment: ``OVCL_CONFORMANCE_JOBS`` (workers, default 2), ``OVCL_CONFORMANCE_TIMEOUT`` (seconds per case,
default 120), ``OVCL_CONFORMANCE_FILTER`` (a regex on case names, to run part of the suite).

The whole core suite is ``-m slow``; the default run checks a fixed eighth of it.
"""
from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import pytest

import conformance_runner

ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def core_cases():
    return conformance_runner.collect(os.environ.get("OVCL_CONFORMANCE_FILTER") or None, core_only=True)


def test_xfail_list_is_well_formed():
    conf = conformance_runner
    xfail = conf.read_xfail()
    names = {c.name for c in conf.collect(core_only=True)} if not os.environ.get("OVCL_CONFORMANCE_FILTER") \
        else {c.name for c in core_cases()}
    text = conf.XFAIL_FILE.read_text().splitlines()
    entries = [ln.partition("#")[0].strip() for ln in text if ln.partition("#")[0].strip()]
    assert len(entries) == len(set(entries)), "duplicate entries in onnx_backend_xfail.txt"
    if not os.environ.get("OVCL_CONFORMANCE_FILTER"):
        unknown = sorted(set(xfail) - names)
        if unknown:
            warnings.warn(f"{len(unknown)} xfail entries name no core case of this onnx version: {unknown[:10]}")


def test_runner_survives_crash_and_hang(monkeypatch):
    """The harness itself: a worker that aborts or hangs costs one case, not the run."""
    conf = conformance_runner
    cases = [c for c in core_cases() if c.name in ("test_add", "test_add_bcast", "test_sub", "test_abs")]
    if len(cases) < 3:
        pytest.skip("the filter leaves out the cases this test uses")
    env = dict(os.environ)
    env["OVCL_CONFORMANCE_FAULT"] = "test_add_bcast=crash"
    res = {r.name: r for r in conf.run_cases(cases, jobs=2, timeout=30, env=env)}
    assert res["test_add_bcast"].status == "crash", res["test_add_bcast"]
    assert len(res) == len(cases)
    env["OVCL_CONFORMANCE_FAULT"] = "test_add_bcast=hang"
    res = {r.name: r for r in conf.run_cases(cases, jobs=2, timeout=5, env=env)}
    assert res["test_add_bcast"].status == "timeout", res["test_add_bcast"]
    assert len(res) == len(cases)


def _check(cases):
    conf = conformance_runner
    assert cases, "no ONNX backend node cases collected"
    jobs = int(os.environ.get("OVCL_CONFORMANCE_JOBS", "2"))
    timeout = float(os.environ.get("OVCL_CONFORMANCE_TIMEOUT", "120"))   # generous: cold caches, busy cores
    results = conf.run_cases(cases, jobs=jobs, timeout=timeout)
    assert len(results) == len(cases)
    xfail = conf.read_xfail()
    unexpected = [r for r in results if r.status != "pass" and r.name not in xfail]
    now_passing = sorted(r.name for r in results if r.status == "pass" and r.name in xfail)
    s = conf.summarize(results)
    print(f"\nONNX backend core ({len(cases)} cases run): {s['core_passed']} / {s['core_cases']} passed; "
          f"{s['core_status']}")
    if now_passing:
        msg = (f"{len(now_passing)} cases listed in onnx_backend_xfail.txt pass now (remove them with "
               f"scripts/conformance.py --core-only --update-xfail): " + ", ".join(now_passing))
        print(msg)
        warnings.warn(msg)
    if unexpected:
        lines = [f"  {r.name} [{r.op}] {r.status}: {r.message[:300]}" for r in unexpected]
        pytest.fail(f"{len(unexpected)} ONNX backend cases outside the xfail list fail:\n" + "\n".join(lines),
                    pytrace=False)


@pytest.mark.slow
def test_onnx_backend_core():
    """The whole core subset (about 1800 cases; well over 10 minutes on 2 busy cores with cold kernel caches)."""
    _check(core_cases())


def test_onnx_backend_core_sample():
    """A fixed eighth of the core subset (by a stable hash of the name), for the default test run."""
    import zlib
    _check([c for c in core_cases() if zlib.crc32(c.name.encode()) % 8 == 0])
