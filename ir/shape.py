"""Dimensions and (partial) shapes, with OpenVINO's spelling: ``?``, ``1..10``, ``[1,3,?,?]``.

A ``Dimension`` is an interval ``[min, max]``; ``max == -1`` means unbounded. Arithmetic on dimensions
propagates intervals so that shape inference can be written once for static and dynamic shapes.
"""
from __future__ import annotations

import re
from typing import Iterable

_INF = -1


class Dimension:
    __slots__ = ("min", "max")

    def __init__(self, a=None, b=None):
        if isinstance(a, str) and b is None:        # "3", "?", "1..10", as OpenVINO takes them
            a = Dimension.parse(a)
        if isinstance(a, Dimension):
            a, b = a.min, a.max
        elif a is None or (isinstance(a, int) and a < 0 and b is None):
            a, b = 0, _INF                                 # fully dynamic
        elif b is None:
            b = a                                          # static
        self.min = int(a)
        self.max = int(b)
        if self.min < 0 or (self.max != _INF and self.max < self.min):
            raise ValueError(f"invalid dimension bounds [{a}, {b}]")

    @staticmethod
    def dynamic() -> "Dimension":
        return Dimension()

    @property
    def is_static(self) -> bool:
        return self.min == self.max

    @property
    def is_dynamic(self) -> bool:
        return not self.is_static

    def get_length(self) -> int:
        if not self.is_static:
            raise ValueError(f"dimension {self} is dynamic: it has no length")
        return self.min

    def get_min_length(self) -> int:
        return self.min

    def get_max_length(self) -> int:
        return self.max

    @property
    def min_length(self) -> int:
        return self.min

    @property
    def max_length(self) -> int:
        """The upper bound, -1 when there is none (as OpenVINO reads it)."""
        return -1 if self.max == _INF else self.max

    def refines(self, other) -> bool:
        """Whether every length this dimension allows, ``other`` allows too (it is at least as precise)."""
        other = as_dimension(other)
        return other.min <= self.min and (other.max == _INF or (self.max != _INF and self.max <= other.max))

    def relaxes(self, other) -> bool:
        return as_dimension(other).refines(self)

    def same_scheme(self, other) -> bool:
        """Both dynamic, or both the same length."""
        other = as_dimension(other)
        return (self.is_dynamic and other.is_dynamic) or self == other

    def compatible(self, other) -> bool:
        other = as_dimension(other)
        hi = min(self.max if self.max != _INF else 1 << 62, other.max if other.max != _INF else 1 << 62)
        return max(self.min, other.min) <= hi

    def to_int(self) -> int:
        """The length, or -1 when dynamic."""
        return self.min if self.is_static else -1

    # -- arithmetic (interval) ---------------------------------------------
    def _bin(self, other, fn):
        other = as_dimension(other)
        if self.is_static and other.is_static:
            return Dimension(fn(self.min, other.min))
        return Dimension()

    def __add__(self, o):
        o = as_dimension(o)
        hi = _INF if _INF in (self.max, o.max) else self.max + o.max
        return Dimension(self.min + o.min, hi)

    __radd__ = __add__

    def __sub__(self, o):
        return self._bin(o, lambda a, b: max(a - b, 0))

    def __mul__(self, o):
        o = as_dimension(o)
        hi = _INF if _INF in (self.max, o.max) else self.max * o.max
        return Dimension(self.min * o.min, hi)

    __rmul__ = __mul__

    def __floordiv__(self, o):
        return self._bin(o, lambda a, b: a // b)

    def __eq__(self, other) -> bool:
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self.min == other.min and self.max == other.max

    def __hash__(self):
        return hash((self.min, self.max))

    def __str__(self) -> str:
        if self.is_static:
            return str(self.min)
        if self.min == 0 and self.max == _INF:
            return "?"
        return f"{self.min}..{'' if self.max == _INF else self.max}"

    def __repr__(self) -> str:
        return f"<Dimension: {self}>"

    def to_string(self) -> str:
        return str(self)

    @staticmethod
    def parse(text: str) -> "Dimension":
        text = text.strip()
        if text in ("?", "-1", ""):
            return Dimension()
        m = re.fullmatch(r"(\d*)\.\.(\d*)", text)
        if m:
            lo = int(m.group(1)) if m.group(1) else 0
            hi = int(m.group(2)) if m.group(2) else _INF
            return Dimension(lo, hi)
        return Dimension(int(text))


def as_dimension(value) -> Dimension:
    if isinstance(value, Dimension):
        return value
    if isinstance(value, str):
        return Dimension.parse(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
        return Dimension(max(int(lo), 0), _INF if hi is None or int(hi) < 0 else int(hi))
    if value is None:
        return Dimension()
    return Dimension(int(value))


# The highest tensor rank ovcl accepts: NumPy's arrays (1.x) go no further, and no real model comes near it.
MAX_RANK = 32


class PartialShape:
    """A shape whose rank or dimensions may be dynamic."""

    __slots__ = ("_dims",)

    def __init__(self, dims=None):
        if isinstance(dims, PartialShape):
            dims = dims._dims
        if isinstance(dims, str):
            dims = _parse_dims(dims)
        self._dims = None if dims is None else tuple(as_dimension(d) for d in dims)

    @staticmethod
    def dynamic(rank: int | None = None) -> "PartialShape":
        return PartialShape(None if rank is None else [Dimension() for _ in range(rank)])

    @property
    def rank_is_dynamic(self) -> bool:
        return self._dims is None

    @property
    def rank(self):
        return Dimension() if self._dims is None else Dimension(len(self._dims))

    @property
    def is_static(self) -> bool:
        return self._dims is not None and all(d.is_static for d in self._dims)

    @property
    def is_dynamic(self) -> bool:
        return not self.is_static

    def to_shape(self) -> "Shape":
        if not self.is_static:
            raise ValueError(f"shape {self} is dynamic: it has no static form")
        return Shape(d.min for d in self._dims)

    def get_shape(self) -> "Shape":
        return self.to_shape()

    def to_ints(self) -> list[int]:
        """Dimensions as ints, -1 where dynamic (rank must be static)."""
        if self._dims is None:
            raise ValueError("shape of dynamic rank")
        return [d.to_int() for d in self._dims]

    def get_min_shape(self):
        return [d.min for d in self._dims]

    def get_max_shape(self):
        return [d.max for d in self._dims]

    @property
    def all_non_negative(self) -> bool:
        return True         # dimensions have no negative bounds here (a dynamic one is [0, inf))

    def get_dimension(self, i: int) -> Dimension:
        return self[i]

    def refines(self, other) -> bool:
        """Whether every shape this one allows, ``other`` allows too."""
        other = as_partial_shape(other)
        if other._dims is None:
            return True
        return (self._dims is not None and len(self._dims) == len(other._dims)
                and all(a.refines(b) for a, b in zip(self._dims, other._dims)))

    def relaxes(self, other) -> bool:
        return as_partial_shape(other).refines(self)

    def same_scheme(self, other) -> bool:
        """Both of dynamic rank, or of one rank with dimensions of the same scheme."""
        other = as_partial_shape(other)
        if self._dims is None or other._dims is None:
            return self._dims is None and other._dims is None
        return len(self._dims) == len(other._dims) and all(a.same_scheme(b) for a, b in zip(self._dims, other._dims))

    def compatible(self, other) -> bool:
        other = as_partial_shape(other)
        if self._dims is None or other._dims is None:
            return True
        return len(self._dims) == len(other._dims) and all(a.compatible(b) for a, b in zip(self._dims, other._dims))

    def __len__(self):
        if self._dims is None:
            raise ValueError("shape of dynamic rank has no length")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("cannot iterate a shape of dynamic rank")
        return iter(self._dims)

    def __getitem__(self, i):
        if self._dims is None:
            raise ValueError("cannot index a shape of dynamic rank")
        if isinstance(i, slice):
            return PartialShape(self._dims[i])
        return self._dims[i]

    def __eq__(self, other):
        try:
            other = as_partial_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self):
        return hash(self._dims)

    def __str__(self) -> str:
        if self._dims is None:
            return "[...]"
        return "[" + ",".join(str(d) for d in self._dims) + "]"

    def __repr__(self) -> str:
        return f"<PartialShape: {self}>"

    def to_string(self) -> str:
        return str(self)


class Shape(tuple):
    """A static shape, as OpenVINO's ``Shape``: a tuple of ints that also equals the list of the same ints
    (``port.get_shape() == [1, 3, 224, 224]``) and prints as ``[1,3,224,224]``."""

    def __new__(cls, dims=()):
        return super().__new__(cls, (int(d) for d in dims))

    def __eq__(self, other):
        if isinstance(other, (list, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = tuple.__hash__

    def __str__(self) -> str:
        return shape_str(self)

    def __repr__(self) -> str:
        return f"<Shape: {self}>"

    def to_string(self) -> str:
        return str(self)


def _parse_dims(text: str):
    text = text.strip()
    if text in ("...", "[...]"):
        return None
    text = text.strip("[]() ")
    if not text:
        return []
    return [Dimension.parse(t) for t in text.split(",")]


def as_partial_shape(value) -> PartialShape:
    if isinstance(value, PartialShape):
        return value
    return PartialShape(value)


def shape_str(shape: Iterable[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"
