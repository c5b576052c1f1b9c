"""Streams (``openvino.properties.streams``): how many inferences a compiled model runs at once."""
from __future__ import annotations

from ovcl.properties.key import Property


class Num(int):
    """A number of streams; ``Num.AUTO`` lets the device choose from the performance hint."""

    def to_integer(self) -> int:
        return int(self)


Num.AUTO = Num(-1)
Num.NUMA = Num(-2)

num = Property("NUM_STREAMS")
