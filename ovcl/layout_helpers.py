"""``openvino.layout_helpers``: a model input's or output's layout and the indices of its named dimensions."""
from __future__ import annotations

from ovcl.ir.layout import Layout, get_layout, set_layout

__all__ = ["Layout", "batch_idx", "get_batch", "set_batch", "channels_idx", "depth_idx", "get_layout", "has_batch", "has_channels",
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


def get_batch(model):
    """The batch dimension of a model: the N of its inputs' layouts (they must agree), as ``openvino.get_batch``."""
    from ovcl.errors import ConfigError
    found = None
    for port in model.inputs:
        layout = get_layout(port)
        if layout.has_name("N"):
            ps = port.get_partial_shape()
            d = ps[layout.index_in("N", len(ps))]
            if found is not None and d != found:
                raise ConfigError(f"inputs disagree on the batch: {found} and {d}")
            found = d
    if found is None:
        raise ConfigError("no input has a layout with N: set one first (layout_helpers.set_layout(port, 'NCHW'))")
    return found


def set_batch(model, batch) -> None:
    """Reshape every input whose layout has N to batch ``batch`` (an int, -1 or a Dimension), as
    ``openvino.set_batch``."""
    from ovcl.errors import ConfigError
    from ovcl.ir.shape import as_dimension
    shapes = {}
    for k, port in enumerate(model.inputs):
        layout = get_layout(port)
        if layout.has_name("N"):
            dims = list(port.get_partial_shape())
            dims[layout.index_in("N", len(dims))] = as_dimension(batch)
            shapes[k] = dims
    if not shapes:
        raise ConfigError("no input has a layout with N: set one first (layout_helpers.set_layout(port, 'NCHW'))")
    model.reshape({model.inputs[k]: s for k, s in shapes.items()})
