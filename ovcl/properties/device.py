"""Device properties (``openvino.properties.device``), read-only."""
from __future__ import annotations

import enum

from ovcl.properties.key import Property


class Type(str, enum.Enum):
    """Whether the device shares memory with the host (CPUs, integrated GPUs) or has its own."""
    INTEGRATED = "INTEGRATED"
    DISCRETE = "DISCRETE"

    def __str__(self):
        return self.value


class Capability:
    """The values ``capabilities`` lists."""
    FP32 = "FP32"
    FP16 = "FP16"
    FP64 = "FP64"
    INT8 = "INT8"
    BF16 = "BF16"
    EXPORT_IMPORT = "EXPORT_IMPORT"


full_name = Property("FULL_DEVICE_NAME")
type = Property("DEVICE_TYPE")  # noqa: A001 - OpenVINO's name
architecture = Property("DEVICE_ARCHITECTURE")
capabilities = Property("OPTIMIZATION_CAPABILITIES")
