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
# Under Oclgrind (OCLGRIND_LOG set), tests/oclgrind_checks.py fails the run on any diagnostic
OCLGRIND = bool(os.environ.get("OCLGRIND_LOG"))
if OCLGRIND:
    import oclgrind_checks
    oclgrind_checks.start()
if TEST_DEVICE:
    from ovcl.device import alias
    for _name in ("CPU", "CPU.0", "AUTO"):
        alias(_name, TEST_DEVICE)


def pytest_collection_modifyitems(config, items):
    if OCLGRIND:
        oclgrind_checks.skip_threaded(items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if OCLGRIND:
        oclgrind_checks.check_report(outcome.get_result())


def pytest_sessionfinish(session, exitstatus):
    if OCLGRIND:
        oclgrind_checks.finish(session)


@pytest.fixture(scope="session")
def core():
    import ovcl
    return ovcl.Core()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
