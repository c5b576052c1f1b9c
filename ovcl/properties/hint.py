"""Hints (``openvino.properties.hint``): what the program wants, which the device turns into settings."""
from __future__ import annotations

import enum

from ovcl.properties.key import Property


class PerformanceMode(str, enum.Enum):
    """LATENCY: one request at a time, as fast as it goes; THROUGHPUT: several requests in flight
    (``optimal_number_of_infer_requests`` says how many)."""
    LATENCY = "LATENCY"
    THROUGHPUT = "THROUGHPUT"
    CUMULATIVE_THROUGHPUT = "CUMULATIVE_THROUGHPUT"

    def __str__(self):
        return self.value


class ExecutionMode(str, enum.Enum):
    PERFORMANCE = "PERFORMANCE"
    ACCURACY = "ACCURACY"

    def __str__(self):
        return self.value


performance_mode = Property("PERFORMANCE_HINT")
num_requests = Property("PERFORMANCE_HINT_NUM_REQUESTS")
inference_precision = Property("INFERENCE_PRECISION_HINT")
execution_mode = Property("EXECUTION_MODE_HINT")
