"""A property key as OpenVINO's Python API has it: the key's text (``"PERF_COUNT"``), usable as a config key as
it is, and callable: with no argument it gives the key, with a value the ``(key, value)`` pair."""
from __future__ import annotations


class Property(str):
    def __call__(self, *value):
        if not value:
            return str(self)
        if len(value) > 1:
            raise TypeError(f"property {self} takes one value, got {len(value)}")
        return str(self), value[0]
