"""``openvino.layout_helpers``: a model input's or output's layout and the indices of its named dimensions."""
from __future__ import annotations

from ovcl.ir.layout import Layout, get_layout, set_layout

__all__ = ["Layout", "batch_idx", "channels_idx", "depth_idx", "get_layout", "has_batch", "has_channels",
           "has_depth", "has_height", "has_width", "height_idx", "set_layout", "width_idx"]


def _has(layout, name: str) -> bool:
    return Layout(layout).has_name(name) if isinstance(layout, str) else layout.has_name(name)


def _idx(layout, name: str) -> int:
    return (Layout(layout) if isinstance(layout, str) else layout).get_index_by_name(name)


def has_batch(layout) -> bool:
    return _has(layout, "N")


def has_channels(layout) -> bool:
    return _has(layout, "C")


def has_depth(layout) -> bool:
    return _has(layout, "D")


def has_height(layout) -> bool:
    return _has(layout, "H")


def has_width(layout) -> bool:
    return _has(layout, "W")


def batch_idx(layout) -> int:
    return _idx(layout, "N")


def channels_idx(layout) -> int:
    return _idx(layout, "C")


def depth_idx(layout) -> int:
    return _idx(layout, "D")


def height_idx(layout) -> int:
    return _idx(layout, "H")


def width_idx(layout) -> int:
    return _idx(layout, "W")
