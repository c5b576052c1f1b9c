"""CI smoke test of ovcl as installed from its wheel (run from outside the source tree, in a venv that holds
the wheel and its dependencies only): every file the source tree ships is in the installed package, and an
ONNX file read from disk compiles and infers on the CPU device with the right answer.

    python .ci/wheel_smoke.py SOURCE_ROOT
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

import ovcl

src = Path(sys.argv[1]).resolve()
installed = Path(ovcl.__file__).resolve().parent
assert not installed.is_relative_to(src), f"ovcl imported from the source tree ({installed}), not the wheel"

# Every tracked package file, at the path the package-dir mapping gives it (ir/ -> ovcl/ir/ and so on).
mapping = {"ovcl": installed, "ir": installed / "ir", "frontends": installed / "frontends",
           "kernels": installed / "kernels"}
tracked = subprocess.run(["git", "-C", str(src), "ls-files", *mapping], capture_output=True, text=True,
                         check=True).stdout.split()
missing = [f for f in tracked
           if f.endswith((".py", ".mako", ".json", ".onnx", ".npz"))
           and not (mapping[f.split("/")[0]] / f.split("/", 1)[1]).is_file()]
assert not missing, f"{len(missing)} files are not in the wheel (pyproject.toml's packages/package-data): {missing}"

# read_model of a file, compile, infer: Conv + Relu + MatMul + Softmax against NumPy.
rng = np.random.default_rng(0)
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
m = rng.standard_normal((4 * 6 * 6, 5)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["r"]),
     helper.make_node("Flatten", ["r"], ["f"]), helper.make_node("MatMul", ["f", "m"], ["l"]),
     helper.make_node("Softmax", ["l"], ["y"], axis=1)],
    "smoke", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3, 8, 8])],
    [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
    initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(m, "m")])
path = Path(tempfile.mkdtemp()) / "smoke.onnx"
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
got = ovcl.compile_model(ovcl.read_model(str(path)), "CPU")(x)[0]

cols = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))          # 2,3,6,6,3,3
conv = np.maximum(np.einsum("bchwij,ocij->bohw", cols, w), 0).reshape(2, -1) @ m
want = np.exp(conv - conv.max(1, keepdims=True))
want /= want.sum(1, keepdims=True)
np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
print(f"wheel smoke: {len(tracked)} package files present, read_model + infer of {path.name} matches NumPy")
