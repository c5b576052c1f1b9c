"""The ``ovcl`` command line, as a user runs it."""
import re
import subprocess
import sys

import numpy as np
from onnx import helper

from helpers import onnx_model


def ovcl(*args, check=True):
    r = subprocess.run([sys.executable, "-m", "ovcl.cli", *args], capture_output=True, text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_run_bundled_model():
    out = ovcl("run", "-n", "5").stdout
    acc = float(re.search(r"accuracy on 360 held-out digits: ([\d.]+)%", out).group(1))
    assert acc > 90.0, out
    assert "latency" in out and "device" in out


def test_run_any_model(tmp_path):
    path = tmp_path / "m.onnx"
    m = onnx_model([helper.make_node("Sigmoid", ["x"], ["y"])], [("x", np.float32, [2, 3])], [("y", np.float32, None)])
    path.write_bytes(m.SerializeToString())
    out = ovcl("run", str(path), "-d", "CPU", "-n", "3").stdout
    assert re.search(r"output  y: float32\[2, 3\] min 0\.\d+ max 0\.\d+", out), out


def test_devices_and_errors(tmp_path):
    assert "CPU: " in ovcl("devices").stdout
    r = ovcl("run", str(tmp_path / "missing.onnx"), check=False)
    assert r.returncode == 1 and "does not exist" in r.stderr
    assert ovcl("--help").stdout.startswith("usage: ovcl")
