"""MVN and NormalizeL2 (``segment.cl.mako``): one work-group per normalised segment (mean and variance, or
the sum of squares, then the output pass).

Problem: ``segments``, ``R`` (elements normalised together), ``vec_ok`` (f32, the segment contiguous).
"""
from __future__ import annotations

from ovcl.kernels.variant import PerSegment


class Norm(PerSegment):
    family = "norm"
    name = "segment"
    template = "norm/segment.cl.mako"


VARIANT = Norm()
