"""What both program forms read into: a flat list of ops in execution order, in PIR's terms. An op is its PIR
name (without the dialect prefix and the in-place ``_``), its inputs in the PIR signature's order, its outputs and
its attributes. The legacy reader renames ops, attributes and input slots to PIR's, so one set of translators
serves both."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Op:
    """One op. An input is a value key, a list of keys (a vector: ``builtin.combine`` in PIR, a slot with several
    variables in the legacy form) or None (absent); outputs are value keys (None where an output is not made)."""
    type: str
    inputs: list
    outputs: list
    attrs: dict
    name: str                    # how messages name the op: its first output, or the op type and its position


@dataclass
class Program:
    ops: list[Op]
    inputs: list[tuple[str, object, str, list[int]]]    # (name, value key, element type name, shape with -1)
    outputs: list[tuple[str, object]]                   # (name, value key)
    params: dict[object, str]                            # value key -> parameter name in .pdiparams
    names: dict[object, str] = field(default_factory=dict)   # value key -> tensor name (legacy variables)
