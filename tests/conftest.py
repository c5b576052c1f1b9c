import os
import sys

import numpy as np
import pytest

# The source folders (kernels/, ir/, frontends/) are installed as ovcl.kernels, ovcl.ir, ovcl.frontends, but
# from the repository root they would also import as top-level packages: `python -m pytest` puts the root on
# sys.path, and there kernels/ shadows PyPI's `kernels` (which transformers imports when it is installed).
# ovcl is imported through its install; the root leaves the path.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != ROOT]
sys.path.insert(0, os.path.dirname(__file__))


# OVCL_TEST_DEVICE=ACCELERATOR.0 (or GPU.0...) runs the suite on that OpenCL device: the tests name "CPU"
# (and AUTO), which then resolve to it. OpenVINO's own "CPU" in the comparison tests is untouched.
TEST_DEVICE = os.environ.get("OVCL_TEST_DEVICE")
# Oclgrind writes its diagnostics (invalid accesses, uninitialised values, races, API errors) to OCLGRIND_LOG:
# one file per xdist worker (set before OpenCL starts), and a test fails on any diagnostic it caused
OCLGRIND_LOG = os.environ.get("OCLGRIND_LOG")
if OCLGRIND_LOG and os.environ.get("PYTEST_XDIST_WORKER"):
    OCLGRIND_LOG = os.environ["OCLGRIND_LOG"] = f"{OCLGRIND_LOG}.{os.environ['PYTEST_XDIST_WORKER']}"
if TEST_DEVICE:
    from ovcl.device import alias
    for _name in ("CPU", "CPU.0", "AUTO"):
        alias(_name, TEST_DEVICE)


def pytest_sessionfinish(session, exitstatus):
    """Under Oclgrind: the run fails on any diagnostic (Oclgrind writes them when it flushes, so they are
    counted for the whole run, by kind and kernel family), except uninitialised-value reports of the kernel
    families listed as under triage in tests/oclgrind_known.txt (invalid accesses, races and API errors always
    fail)."""
    if not OCLGRIND_LOG or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import collections
    import glob
    import re
    known_file = os.path.join(os.path.dirname(__file__), "oclgrind_known.txt")
    known = {line.split("#")[0].strip() for line in open(known_file)} - {""} if os.path.exists(known_file) else set()

    def _known(what: str, family: str) -> bool:
        return family in known and "uninitiali" in what.lower()

    found: collections.Counter = collections.Counter()
    for path in glob.glob(OCLGRIND_LOG) + glob.glob(OCLGRIND_LOG + ".*"):
        what = ""
        for line in open(path, errors="replace"):
            if line and not line[0].isspace():
                what = line.strip()
            m = re.search(r"Kernel: (\w+?)(_[0-9a-f]{12})?$", line.strip())
            if m and what:
                found[(what.split(" address")[0], m.group(1))] += 1
    if not found:
        return
    report = session.config.get_terminal_writer()
    report.line(f"\nOclgrind diagnostics ({OCLGRIND_LOG}*), by kind and kernel family:")
    for (what, family), n in found.most_common():
        report.line(f"  {n:6d}  {what} | {family}{'  (known, under triage)' if _known(what, family) else ''}")
    if not all(_known(what, family) for what, family in found):
        session.exitstatus = 1


@pytest.fixture(scope="session")
def core():
    import ovcl
    return ovcl.Core()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
