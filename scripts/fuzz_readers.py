#!/usr/bin/env python
"""Fuzz ovcl's readers and compiler front half for longer than the tests do (``tests/fuzzing.py``).

    python scripts/fuzz_readers.py [--runs 100000] [--seed 0] [--readers onnx,ir-xml,ir-weights] [--save DIR]

Readers: onnx, ir-xml, ir-weights, and tflite, tf-graphdef, tf-saved-model, paddle-pir, paddle-legacy, whose
models the test generators make first (tests/*_models.py: TensorFlow, Paddle installed). Prints, per reader,
how many inputs were read (and lowered), rejected with a typed error, and the findings (any other exception,
or a hang); a finding's input is saved to --save (default out/fuzz) to replay."""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))


# reader -> (generator script in tests/, the model file in its output, read as its folder)
FRAMEWORK_READERS = {
    "tflite": ("tflite_models.py", "cnn_float.tflite", False),
    "tf-graphdef": ("tf_models.py", "defun.pb", False),
    "tf-saved-model": ("tf_models.py", "small/saved_model.pb", True),
    "paddle-pir": ("paddle_models.py", "pir/semantics.json", False),
    "paddle-legacy": ("paddle_models.py", "legacy/legacy_ops.pdmodel", False),
}
_made: dict[str, Path] = {}


def _framework_reader(name: str):
    """(read, seeds, mutator) for a framework's model, made by its test generator (once per generator)."""
    import subprocess
    import tempfile
    import fuzzing
    script, model, whole = FRAMEWORK_READERS[name]
    if script not in _made:
        out = Path(tempfile.mkdtemp(prefix="ovcl-fuzz-models-"))
        print(f"making the {script} models in {out} ...", flush=True)
        subprocess.run([sys.executable, str(TESTS / script), str(out)], check=True)
        _made[script] = out
    path = _made[script] / model
    work = Path(tempfile.mkdtemp(prefix="ovcl-fuzz-"))
    return fuzzing.file_reader(path, work, whole_folder=whole), [path.read_bytes()], fuzzing.mutate


def main() -> int:
    import fuzzing
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--readers", default="onnx,ir-xml,ir-weights")
    ap.add_argument("--save", default="out/fuzz")
    args = ap.parse_args()
    xml, weights = fuzzing.ir_seed()
    read_xml, read_weights = fuzzing.ir_readers(xml, weights)
    readers = {"onnx": (fuzzing.read_onnx, fuzzing.onnx_seeds(), fuzzing.mutate_onnx),
               "ir-xml": (read_xml, [xml], fuzzing.mutate), "ir-weights": (read_weights, [weights], fuzzing.mutate)}
    failed = False
    for name in args.readers.split(","):
        if name not in readers and name not in FRAMEWORK_READERS:
            ap.error(f"unknown reader {name!r}")
        read, seeds, mutator = readers[name] if name in readers else _framework_reader(name)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fuzzing.fuzz(read, seeds, args.runs, seed=args.seed, mutator=mutator, save_dir=Path(args.save))
        print(f"{name}: {r.runs} inputs in {time.perf_counter() - t:.0f} s: {r.read} read and lowered, "
              f"{r.rejected} typed errors, {len(r.findings)} findings")
        for k, what in r.findings[:20]:
            print(f"    input {k}: {what}")
        failed |= bool(r.findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
