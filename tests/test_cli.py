"""The ``ovcl`` command line, as a user runs it."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
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


BENCHMARK_APP = Path(sys.executable).parent / "benchmark_app"
DIGITS = str(Path(__file__).parent.parent / "ovcl" / "models" / "digits.onnx")
_BENCH_LINES = {
    "latency, input file": ["-hint", "latency", "-niter", "5", "-i", "image:{dir}/x.npy"],
    "async, batch": ["-api", "async", "-nireq", "2", "-niter", "8", "-b", "2"],
    "dynamic shapes": ["-niter", "6", "-shape", "[?,1,8,8]", "-data_shape", "[2,1,8,8][3,1,8,8]"],
    "counters as JSON": ["-niter", "4", "-shape", "[1,1,8,8]", "-pc", "-report_type", "average_counters",
                         "-report_folder", "{dir}/r", "-json_stats"],
    "compile only": ["-niter", "0", "-shape", "[1,1,8,8]"],
    "config files, threads, graph": ["-niter", "5", "-shape", "[1,1,8,8]", "-hint", "none", "-nthreads", "2",
                                     "-pin", "YES", "-load_config", "{dir}/load.json", "-dump_config",
                                     "{dir}/dump.json", "-exec_graph_path", "{dir}/exec.xml", "-pcsort", "sort",
                                     "-no_warmup", "-max_irate", "500"],
}


@pytest.mark.parametrize("case", list(_BENCH_LINES))
def test_benchmark_takes_benchmark_apps_command_lines(tmp_path, case):
    """The same command line runs with benchmark_app and with ovcl benchmark; ovcl's summary and reports say
    what benchmark_app's say, its throughput counting batch items."""
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    (tmp_path / "load.json").write_text(json.dumps({"CPU": {"PERF_COUNT": "YES"}}))
    args = ["-m", DIGITS, "-d", "CPU", *[a.format(dir=tmp_path) for a in _BENCH_LINES[case]]]
    if BENCHMARK_APP.exists():
        (tmp_path / "r").mkdir(exist_ok=True)
        theirs = subprocess.run([str(BENCHMARK_APP), *args], capture_output=True, text=True, timeout=600)
        assert theirs.returncode == 0, theirs.stdout[-2000:]
    out = ovcl("benchmark", *args, "-q").stdout
    if case == "compile only":
        assert "Measuring" not in out
        return
    count = int(re.search(r"Count: +(\d+) iterations", out).group(1))
    assert count >= 4 and re.search(r"Throughput: +[\d.]+ FPS", out), out
    if case == "counters as JSON":
        report = json.loads((tmp_path / "r" / "benchmark_report.json").read_text())
        assert set(report) == {"cmd_options", "configuration_setup", "execution_results"}
        results, setup = report["execution_results"], report["configuration_setup"]
        expected = results["total number of iterations"] * setup["batch size"] / results["total execution time (ms)"]
        assert abs(results["throughput"] - expected * 1e3) <= 0.02 * results["throughput"]
        counters = json.loads((tmp_path / "r" / "benchmark_average_counters_report.json").read_text())["counters"]
        assert {"Convolution", "Softmax"} <= {c["layerType"] for c in counters if c["execStatus"] == "EXECUTED"}
        assert "Performance counts for 0-th infer request" in out
    if case == "config files, threads, graph":
        assert json.loads((tmp_path / "dump.json").read_text())["CPU"]["PERF_COUNT"] == "YES"   # loaded, dumped
        assert "ExecutionNode" in (tmp_path / "exec.xml").read_text() and count == 6       # -no_warmup: 5 + 1
        assert "Performance counts for 0-th infer request" in out
    if case == "async, batch":
        assert "asynchronously, 2 infer requests" in out and "Input  image: f32 [2,1,8,8]" in out


def test_benchmark_help_reads_well():
    out = ovcl("benchmark", "--help").stdout
    assert "``" not in out and "-niter" in out and "-hint" in out
    r = ovcl("benchmark", "-m", DIGITS, "-niter", "-3", check=False)
    assert r.returncode == 2 and "-niter must be 0 or more" in r.stderr


def test_benchmark_plots_kernel_times(tmp_path):
    pytest.importorskip("matplotlib")
    out = ovcl("benchmark", "-m", DIGITS, "-d", "CPU", "-niter", "3", "-shape", "[1,1,8,8]", "-plot",
               str(tmp_path / "k.png"), "-q").stdout
    assert "Kernel times drawn" in out
    assert (tmp_path / "k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
