"""OpenVINO API parity: the same program with ``import openvino as ov`` and with ``import ovcl as ov`` behaves
alike (OpenVINO is the oracle)."""
from __future__ import annotations

import pytest

import ovcl

ov = pytest.importorskip("openvino")


@pytest.mark.parametrize("case", ["missing model file", "unknown device"])
def test_errors_are_runtime_errors(tmp_path, case):
    """A ported ``except RuntimeError:`` catches ovcl's errors where it catches OpenVINO's."""
    def attempt(api):
        core = api.Core()
        if case == "missing model file":
            core.read_model(str(tmp_path / "missing.onnx"))
        else:
            core.get_property("NPU9", "FULL_DEVICE_NAME")

    for api in (ov, ovcl):
        with pytest.raises(RuntimeError):
            attempt(api)
    with pytest.raises(ovcl.OVCLError):
        attempt(ovcl)
