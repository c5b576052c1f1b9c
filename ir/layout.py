"""``Layout``: what each dimension of a tensor means, as OpenVINO writes it: ``"NCHW"``, ``"NC?"``, ``"...C"``,
``"[N,C,H,W]"`` (names of more than one letter in brackets). A port's layout is kept in its node's rt_info
under ``"layout"`` (a Parameter's, a Result's), as OpenVINO's IR stores it."""
from __future__ import annotations

import re

from .node import IRError

RT_KEY = "layout"


class Layout:
    """Dimension names in order; ``?`` an unnamed dimension; ``...`` any number of dimensions (at most one)."""

    def __init__(self, text: str = ""):
        self._names = _parse(str(text))

    @staticmethod
    def scalar() -> "Layout":
        layout = Layout()
        layout._names = ["**scalar**"]
        return layout

    def empty(self) -> bool:
        return not self._names

    def has_name(self, name: str) -> bool:
        return name.upper() in self._names

    def get_index_by_name(self, name: str) -> int:
        """The dimension's index: from the front, or negative from the back where it follows ``...``."""
        key = name.upper()
        if key not in self._names:
            raise IRError(f"layout {self} has no dimension '{name}'")
        k = self._names.index(key)
        if "..." in self._names and k > self._names.index("..."):
            return k - len(self._names)
        return k

    def index_in(self, name: str, rank: int) -> int:
        """The dimension's index in a tensor of ``rank`` dimensions."""
        k = self.get_index_by_name(name)
        return k + rank if k < 0 else k

    def names(self, rank: int) -> list[str]:
        """One name per dimension of a tensor of ``rank`` (``?`` where unnamed)."""
        if "..." not in self._names:
            if len(self._names) != rank:
                raise IRError(f"layout {self} has {len(self._names)} dimensions, the tensor {rank}")
            return list(self._names)
        k = self._names.index("...")
        head, tail = self._names[:k], self._names[k + 1:]
        if len(head) + len(tail) > rank:
            raise IRError(f"layout {self} needs at least {len(head) + len(tail)} dimensions, the tensor has {rank}")
        return head + ["?"] * (rank - len(head) - len(tail)) + tail

    def to_string(self) -> str:
        if self._names == ["**scalar**"]:
            return "[**scalar**]"
        return "[" + ",".join(self._names) + "]" if self._names else ""

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"<Layout: {self.to_string()}>"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = Layout(other)
        return isinstance(other, Layout) and self._names == other._names

    def __hash__(self):
        return hash(tuple(self._names))


def _parse(text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        if not text.endswith("]"):
            raise IRError(f"layout '{text}': a bracketed layout ends with ]")
        names = [n.strip().upper() for n in text[1:-1].split(",")] if text[1:-1].strip() else []
    else:
        names = re.findall(r"\.\.\.|\?|[A-Za-z]", text)
        if "".join(names) != text.replace(" ", ""):
            raise IRError(f"layout '{text}': letters, ? and ... only (or [NAME,NAME,...])")
        names = [n.upper() for n in names]
    if names.count("...") > 1:
        raise IRError(f"layout '{text}': ... at most once")
    named = [n for n in names if n not in ("?", "...")]
    if len(set(named)) != len(named):
        raise IRError(f"layout '{text}': a dimension name twice")
    return names


def get_layout(port) -> Layout:
    """The layout set on a model input or output (its Parameter's or Result's rt_info), empty if none."""
    node = _layout_node(port)
    entry = node.rt_info.get(RT_KEY)
    if isinstance(entry, dict):
        entry = entry.get("layout", "")
    return Layout(entry or "")


def set_layout(port, layout) -> None:
    """Set a model input's or output's layout (kept in IR as OpenVINO keeps it)."""
    layout = layout if isinstance(layout, Layout) else Layout(layout)
    _layout_node(port).rt_info[RT_KEY] = {"layout": layout.to_string()}


def _layout_node(port):
    """The node a port's layout is kept on: the Parameter of an input, the Result of an output."""
    from .node import Node
    return port if isinstance(port, Node) else port.node
