"""Fuzzing the readers and the compiler's front half (``tests/fuzzing.py``): mutated ONNX models (bytes and graph
fields) and IR (its XML, and its weights), each read, specialised, fused and lowered under a watchdog. Every
rejection must be an ``OVCLError``; another exception or a hang fails the test with the inputs that caused it.
The default run takes 1,000 inputs per reader; ``-m slow`` 10,000 (``scripts/fuzz_readers.py`` for more). The
TFLite, TensorFlow and Paddle readers are fuzzed in their own test modules, on the models those make."""
from __future__ import annotations

import warnings

import pytest

import fuzzing


def _readers():
    xml, weights = fuzzing.ir_seed()
    read_xml, read_weights = fuzzing.ir_readers(xml, weights)
    return {"onnx": (fuzzing.read_onnx, fuzzing.onnx_seeds(), fuzzing.mutate_onnx),
            "ir-xml": (read_xml, [xml], fuzzing.mutate),
            "ir-weights": (read_weights, [weights], fuzzing.mutate)}


@pytest.mark.parametrize("reader", ["onnx", "ir-xml", "ir-weights"])
def test_fuzzed_models_get_typed_errors(reader):
    read, seeds, mutator = _readers()[reader]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # (readers warn about attributes they ignore)
        report = fuzzing.fuzz(read, seeds, 1000, seed=7, mutator=mutator)
    fuzzing.check(report, reader)
    assert report.read > 0 and report.rejected > 0      # both paths exercised


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["onnx", "ir-xml", "ir-weights"])
def test_fuzzed_models_get_typed_errors_long(reader):
    read, seeds, mutator = _readers()[reader]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = fuzzing.fuzz(read, seeds, 10_000, seed=11, mutator=mutator)
    fuzzing.check(report, reader)
