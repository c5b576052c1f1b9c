"""Softmax and LogSoftmax (``row.cl.mako``): one work-group per row along the axis, the row's maximum
subtracted first.

Problem: ``segments`` (rows), ``R`` (the axis length), ``vec_ok`` (f32, the axis innermost).
"""
from __future__ import annotations

from ovcl.kernels.variant import PerSegment


class Row(PerSegment):
    family = "softmax"
    name = "row"
    template = "softmax/row.cl.mako"


VARIANT = Row()
