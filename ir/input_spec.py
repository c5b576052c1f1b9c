"""``convert_model(input=...)``: input names, shapes and types in the forms OpenVINO accepts, parsed into
``InputSpec`` entries (``ir.passes.cut.apply_input_spec`` applies them to a model).

Accepted ``input`` forms (as ``openvino.convert_model`` and ``ovc --input`` take them):

* a string: ``"x[1,3,224,224]"``, ``"x[1,3,?,?]{f32}"``, ``"x{i64}"``, ``"[1,3,-1,-1]"``, ``"x[1 3 224 224]"``,
  ``"x[1..10,3]"`` and comma-separated lists of those (``"a[1,3],b[2]{i32}"``); a bare name selects the input;
* a shape: ``[1, 3, -1, -1]``, ``(1, 3, 224, 224)``, ``ovcl.PartialShape`` (or openvino's), with ``-1``/``"?"``,
  ``(min, max)`` pairs or ``ovcl.Dimension`` for dynamic dimensions;
* a list of shapes or of entries, one per input in order;
* a tuple entry ``(shape, type)``, ``(name, shape)``, ``(name, type)``, ``(name, shape, type)``;
* a dict ``name -> shape``, ``name -> type`` or ``name -> (shape, type)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import IRError
from .shape import Dimension, PartialShape
from .types import Type, as_type

__all__ = ["InputSpec", "parse_input_spec"]


@dataclass
class InputSpec:
    name: str | None = None
    shape: PartialShape | None = None
    type: Type | None = None

    def __str__(self):
        s = self.name or ""
        if self.shape is not None:
            s += str(self.shape)
        if self.type is not None:
            s += "{" + self.type.name + "}"
        return s or "<empty>"


# -- parsing ---------------------------------------------------------------------------------------

_DIM_TEXT = re.compile(r"\s*(\?|-1|\d+|\d*\.\.(-1|\d*))\s*$")


def _dim(value) -> Dimension:
    if isinstance(value, Dimension):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{value!r} is not a dimension")
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if v < -1:
            raise ValueError(f"dimension {v} is negative")
        return Dimension() if v == -1 else Dimension(v)
    if isinstance(value, str):
        t = value.strip()
        if not _DIM_TEXT.match(t):
            raise ValueError(f"'{value}' is not a dimension (use a number, -1, ? or min..max)")
        if t in ("?", "-1"):
            return Dimension()
        if ".." in t:
            lo, hi = t.split("..")
            return Dimension(int(lo) if lo else 0, int(hi) if hi not in ("", "-1") else -1)
        return Dimension(int(t))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
        return Dimension(max(int(lo), 0), -1 if hi is None or int(hi) < 0 else int(hi))
    if type(value).__name__ == "Dimension":          # openvino.Dimension
        if value.is_static:
            return Dimension(value.get_length())
        hi = value.get_max_length()
        return Dimension(value.get_min_length(), -1 if hi < 0 or hi > (1 << 62) else hi)
    raise ValueError(f"{value!r} is not a dimension")


def _shape_text(text: str) -> PartialShape:
    t = text.strip()
    if t in ("...", "[...]"):
        return PartialShape.dynamic()
    t = t.strip("[]").strip()
    if not t:
        return PartialShape([])
    parts = [p for p in re.split(r"[,\s]+", t) if p]
    return PartialShape([_dim(p) for p in parts])


def _is_dim_like(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer, Dimension)) or type(v).__name__ == "Dimension":
        return True
    if isinstance(v, str):
        return bool(_DIM_TEXT.match(v))
    return isinstance(v, tuple) and len(v) == 2 and all(x is None or isinstance(x, (int, np.integer)) for x in v)


def _is_shape_like(v) -> bool:
    if isinstance(v, PartialShape) or type(v).__name__ in ("PartialShape", "Shape"):
        return True
    if isinstance(v, (list, tuple)) and not isinstance(v, str):
        return all(_is_dim_like(x) for x in v)
    return False


def _to_shape(v) -> PartialShape:
    if isinstance(v, PartialShape):
        return v
    if type(v).__name__ in ("PartialShape", "Shape"):       # openvino's, by its text
        return _shape_text(str(v).replace("<PartialShape: ", "").replace("<Shape: ", "").rstrip(">"))
    return PartialShape([_dim(x) for x in v])


def _is_type_like(v) -> bool:
    if isinstance(v, (Type, np.dtype)):
        return True
    if any(v is t for t in (float, int, bool)):
        return True
    if isinstance(v, type) and issubclass(v, np.generic):
        return True
    return hasattr(v, "get_type_name") and not hasattr(v, "get_partial_shape")


def _split_top(text: str) -> list[str]:
    """Split on commas outside [] and {}."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(depth - 1, 0)
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


_ITEM = re.compile(r"^(?P<name>[^\[\]{}]*?)\s*(?P<rest>(\s*(\[[^\]]*\]|\{[^}]*\}))*)\s*$")


def _parse_text_item(text: str) -> InputSpec:
    m = _ITEM.match(text)
    if not m:
        raise ValueError(f"'{text}' is not an input spec (expected name[shape]{{type}}, e.g. x[1,3,224,224]{{f32}})")
    spec = InputSpec(name=m.group("name").strip() or None)
    for group in re.findall(r"\[[^\]]*\]|\{[^}]*\}", m.group("rest")):
        if group[0] == "[":
            if spec.shape is not None:
                raise ValueError(f"'{text}' gives two shapes")
            spec.shape = _shape_text(group)
        else:
            if spec.type is not None:
                raise ValueError(f"'{text}' gives two types")
            try:
                spec.type = Type.from_name(group[1:-1].strip())
            except ValueError:
                raise ValueError(f"'{text}': unknown element type '{group[1:-1].strip()}' "
                                 f"(use f32, f16, i64, i32, u8, boolean...)") from None
    return spec


def _parse_entry(v) -> InputSpec:
    if isinstance(v, InputSpec):
        return v
    if isinstance(v, str):
        specs = [_parse_text_item(s) for s in _split_top(v)]
        if len(specs) != 1:
            raise ValueError(f"'{v}' holds {len(specs)} inputs where one was expected")
        return specs[0]
    if _is_shape_like(v):
        return InputSpec(shape=_to_shape(v))
    if _is_type_like(v):
        return InputSpec(type=as_type(v))
    if isinstance(v, tuple):
        spec = InputSpec()
        for x in v:
            if isinstance(x, str) and not _DIM_TEXT.match(x):
                if spec.name is not None:
                    raise ValueError(f"{v!r} gives two names")
                spec.name = x
            elif _is_shape_like(x):
                if spec.shape is not None:
                    raise ValueError(f"{v!r} gives two shapes")
                spec.shape = _to_shape(x)
            elif _is_type_like(x):
                if spec.type is not None:
                    raise ValueError(f"{v!r} gives two types")
                spec.type = as_type(x)
            else:
                raise ValueError(f"{x!r} in {v!r} is neither a name, a shape nor an element type")
        return spec
    raise ValueError(f"{v!r} is not an input spec")


def _text_value(text: str) -> InputSpec:
    """A dict value given as text: a shape ("[1,3,?,?]", "1,3,?,?"), a type ("f32") or both ("[1,3]{f32}")."""
    t = text.strip()
    if "[" in t or "{" in t:
        return _parse_text_item(t)
    try:
        return InputSpec(type=Type.from_name(t))
    except ValueError:
        return InputSpec(shape=_shape_text(t))


def _is_name(x) -> bool:
    return isinstance(x, str) and not _DIM_TEXT.match(x) and not any(c in x for c in "[]{}")


def _is_single_entry(t: tuple) -> bool:
    """(shape, type), (name, shape), (name, type), (name, shape, type): one input, not a list of inputs."""
    if not 2 <= len(t) <= 3:
        return False
    names = sum(1 for x in t if _is_name(x))
    shapes = sum(1 for x in t if not _is_name(x) and _is_shape_like(x))
    types = sum(1 for x in t if not _is_name(x) and not _is_shape_like(x) and _is_type_like(x))
    return names <= 1 and shapes <= 1 and types <= 1 and names + shapes + types == len(t) and (names + types) >= 1


def parse_input_spec(spec) -> list[InputSpec]:
    """The entries of an ``input=`` value, in order."""
    try:
        if isinstance(spec, (list, tuple, dict)) and len(spec) == 0:
            return []
        if isinstance(spec, str):
            return [_parse_text_item(s) for s in _split_top(spec)]
        if isinstance(spec, dict):
            out = []
            for name, v in spec.items():
                e = _parse_entry(v) if not isinstance(v, str) else _text_value(v)
                if e.name is not None and e.name != name:
                    raise ValueError(f"entry '{name}' names another input '{e.name}'")
                out.append(InputSpec(str(name), e.shape, e.type))
            return out
        if _is_shape_like(spec) or _is_type_like(spec):
            return [_parse_entry(spec)]
        if isinstance(spec, tuple) and _is_single_entry(spec):
            return [_parse_entry(spec)]
        if isinstance(spec, (list, tuple)):
            out = []
            for v in spec:
                if isinstance(v, str):
                    out += [_parse_text_item(s) for s in _split_top(v)]
                else:
                    out.append(_parse_entry(v))
            return out
        return [_parse_entry(spec)]
    except ValueError as e:
        raise IRError(f"input={spec!r}: {e}") from None
