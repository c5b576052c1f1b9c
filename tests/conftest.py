import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="session")
def core():
    import ovcl
    return ovcl.Core()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
