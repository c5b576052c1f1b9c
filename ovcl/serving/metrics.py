"""Prometheus metrics of a server, in the text exposition format (no client library needed for four series):
requests and failures by model, protocol and outcome; queue and inference time by model."""
from __future__ import annotations

import threading
from collections import defaultdict


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests: dict = defaultdict(int)         # (model, protocol, outcome) -> count
        self._seconds: dict = defaultdict(float)        # (model, "queue" | "inference") -> sum
        self._observed: dict = defaultdict(int)         # model -> inferences timed

    def count(self, model: str, protocol: str, outcome: str) -> None:
        """One request answered: outcome "ok", "bad_request", "not_found", "busy" or "error"."""
        with self._lock:
            self._requests[(model, protocol, outcome)] += 1

    def observe(self, model: str, protocol: str, queue_s: float, inference_s: float) -> None:
        with self._lock:
            self._seconds[(model, "queue")] += queue_s
            self._seconds[(model, "inference")] += inference_s
            self._observed[model] += 1

    def render(self) -> str:
        with self._lock:
            lines = ["# HELP ovcl_requests_total Inference requests answered, by model, protocol and outcome.",
                     "# TYPE ovcl_requests_total counter"]
            for (model, protocol, outcome), n in sorted(self._requests.items()):
                lines.append(f'ovcl_requests_total{{model="{model}",protocol="{protocol}",outcome="{outcome}"}} {n}')
            for what in ("queue", "inference"):
                lines += [f"# HELP ovcl_{what}_seconds Time requests spent in {what}, by model.",
                          f"# TYPE ovcl_{what}_seconds summary"]
                for model, n in sorted(self._observed.items()):
                    lines.append(f'ovcl_{what}_seconds_sum{{model="{model}"}} {self._seconds[(model, what)]:.6f}')
                    lines.append(f'ovcl_{what}_seconds_count{{model="{model}"}} {n}')
        return "\n".join(lines) + "\n"
