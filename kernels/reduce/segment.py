"""Reduce* (``segment.cl.mako``): one work-group per output element folds its segment of the input (the
reduced elements, collapsed to as few (size, stride) pairs as the layout allows).

Problem: ``segments`` (output elements), ``R`` (elements reduced into each), ``vec_ok`` (an f32 input and
accumulator, the segment contiguous, not a logical reduction).
"""
from __future__ import annotations

from ovcl.kernels.variant import PerSegment


class Reduce(PerSegment):
    family = "reduce"
    name = "segment"
    template = "reduce/segment.cl.mako"


VARIANT = Reduce()
