"""Pre- and postprocessing as OpenVINO's ``openvino.preprocess``: describe the tensor a program has (a u8 NHWC
BGR image, an NV12 frame) and the steps to the tensor the model takes, and ``build()`` puts them into the model.

The steps become ordinary IR nodes in front of the model's input (and after its output), built as OpenVINO
builds them, so ``save_model`` writes them and OpenVINO reads them: Convert, Subtract (mean), Multiply (1 /
scale), Interpolate (resize), Gather (reverse channels), Slice (crop), Pad, NV12toRGB / I420toRGB (colour), and
a Transpose where the tensor's layout is not the model's. At compile time the element-wise steps and the layout
change fuse into one kernel (``ovcl/fusion.py``): a u8 NHWC image is read once and written as the network's f32
NCHW input."""
from __future__ import annotations

import enum
from typing import Callable

import numpy as np

from ovcl.ir import Model, Output, PartialShape, Type
from ovcl.ir.layout import Layout, get_layout, set_layout
from ovcl.ir.ops import constant, make, parameter
from ovcl.ir.shape import Dimension

from .errors import ConfigError


class ColorFormat(enum.Enum):
    UNDEFINED = "UNDEFINED"
    NV12_SINGLE_PLANE = "NV12_SINGLE_PLANE"
    NV12_TWO_PLANES = "NV12_TWO_PLANES"
    I420_SINGLE_PLANE = "I420_SINGLE_PLANE"
    I420_THREE_PLANES = "I420_THREE_PLANES"
    RGB = "RGB"
    BGR = "BGR"
    GRAY = "GRAY"
    RGBX = "RGBX"
    BGRX = "BGRX"


class ResizeAlgorithm(enum.Enum):
    RESIZE_LINEAR = "linear"
    RESIZE_CUBIC = "cubic"
    RESIZE_NEAREST = "nearest"
    RESIZE_BILINEAR_PILLOW = "bilinear_pillow"
    RESIZE_BICUBIC_PILLOW = "bicubic_pillow"


class PaddingMode(enum.Enum):
    CONSTANT = "constant"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"


# planes of each YUV format: their default names and, for an image of H x W, their [H, W, C]
_PLANES = {
    ColorFormat.NV12_SINGLE_PLANE: [("", lambda h, w: (h * 3 // 2, w, 1))],
    ColorFormat.NV12_TWO_PLANES: [("Y", lambda h, w: (h, w, 1)), ("UV", lambda h, w: (h // 2, w // 2, 2))],
    ColorFormat.I420_SINGLE_PLANE: [("", lambda h, w: (h * 3 // 2, w, 1))],
    ColorFormat.I420_THREE_PLANES: [("Y", lambda h, w: (h, w, 1)), ("U", lambda h, w: (h // 2, w // 2, 1)),
                                    ("V", lambda h, w: (h // 2, w // 2, 1))],
}
_CHANNELS = {ColorFormat.RGB: 3, ColorFormat.BGR: 3, ColorFormat.GRAY: 1, ColorFormat.RGBX: 4, ColorFormat.BGRX: 4}


def _layout(value) -> Layout:
    return value if isinstance(value, Layout) else Layout(value)


class InputTensorInfo:
    def __init__(self):
        self.element_type: Type | None = None
        self.layout: Layout | None = None
        self.shape: PartialShape | None = None
        self.spatial: object = None                 # "dynamic", or (height, width)
        self.color: ColorFormat | None = None
        self.plane_names: list[str] = []

    def set_element_type(self, t) -> "InputTensorInfo":
        self.element_type = Type(t)
        return self

    def set_layout(self, layout) -> "InputTensorInfo":
        self.layout = _layout(layout)
        return self

    def set_shape(self, shape) -> "InputTensorInfo":
        self.shape = PartialShape(list(shape) if not isinstance(shape, (str, PartialShape)) else shape)
        return self

    def set_spatial_dynamic_shape(self) -> "InputTensorInfo":
        self.spatial = "dynamic"
        return self

    def set_spatial_static_shape(self, height: int, width: int) -> "InputTensorInfo":
        self.spatial = (int(height), int(width))
        return self

    def set_color_format(self, fmt: ColorFormat, sub_names=()) -> "InputTensorInfo":
        self.color, self.plane_names = fmt, list(sub_names)
        return self

    def set_memory_type(self, memory_type: str) -> "InputTensorInfo":
        """Accepted for OpenVINO's GPU surfaces: ovcl's inputs are host memory."""
        return self

    def set_from(self, tensor) -> "InputTensorInfo":
        """Element type and shape from a tensor (or an array) the program will pass."""
        data = tensor.data if hasattr(tensor, "get_element_type") else np.asarray(tensor)
        self.element_type, self.shape = Type(data.dtype), PartialShape(list(data.shape))
        return self


class _Steps:
    """The steps pre- and postprocessing share; each returns the object, as OpenVINO's builders do."""

    def __init__(self):
        self.steps: list[tuple[str, tuple]] = []

    def _add(self, name: str, *args):
        self.steps.append((name, args))
        return self

    def convert_element_type(self, t=None):
        return self._add("convert_element_type", None if t is None else Type(t))

    def convert_layout(self, layout):
        return self._add("convert_layout", list(layout) if isinstance(layout, (list, tuple)) else _layout(layout))

    def custom(self, fn: Callable):
        """``fn(output) -> output``: any graph built with ``ovcl.ir.ops.make`` on the current tensor."""
        return self._add("custom", fn)


class PreProcessSteps(_Steps):
    def convert_color(self, fmt: ColorFormat) -> "PreProcessSteps":
        return self._add("convert_color", fmt)

    def resize(self, algorithm: ResizeAlgorithm, height: int | None = None, width: int | None = None
               ) -> "PreProcessSteps":
        return self._add("resize", algorithm, height, width)

    def mean(self, values) -> "PreProcessSteps":
        return self._add("mean", np.atleast_1d(np.asarray(values, np.float64)))

    def scale(self, values) -> "PreProcessSteps":
        return self._add("scale", np.atleast_1d(np.asarray(values, np.float64)))

    def reverse_channels(self) -> "PreProcessSteps":
        return self._add("reverse_channels")

    def crop(self, begin, end) -> "PreProcessSteps":
        return self._add("crop", [int(v) for v in begin], [int(v) for v in end])

    def pad(self, pads_begin, pads_end, value=0.0, mode: PaddingMode = PaddingMode.CONSTANT) -> "PreProcessSteps":
        return self._add("pad", [int(v) for v in pads_begin], [int(v) for v in pads_end], value, mode)


class PostProcessSteps(_Steps):
    pass


class _ModelInfo:
    def __init__(self):
        self.layout: Layout | None = None

    def set_layout(self, layout):
        self.layout = _layout(layout)
        return self


class InputModelInfo(_ModelInfo):
    pass


class OutputModelInfo(_ModelInfo):
    pass


class OutputTensorInfo:
    def __init__(self):
        self.element_type: Type | None = None
        self.layout: Layout | None = None

    def set_element_type(self, t) -> "OutputTensorInfo":
        self.element_type = Type(t)
        return self

    def set_layout(self, layout) -> "OutputTensorInfo":
        self.layout = _layout(layout)
        return self


class InputInfo:
    def __init__(self):
        self._tensor, self._steps, self._model = InputTensorInfo(), PreProcessSteps(), InputModelInfo()

    def tensor(self) -> InputTensorInfo:
        return self._tensor

    def preprocess(self) -> PreProcessSteps:
        return self._steps

    def model(self) -> InputModelInfo:
        return self._model


class OutputInfo:
    def __init__(self):
        self._tensor, self._steps, self._model = OutputTensorInfo(), PostProcessSteps(), OutputModelInfo()

    def tensor(self) -> OutputTensorInfo:
        return self._tensor

    def postprocess(self) -> PostProcessSteps:
        return self._steps

    def model(self) -> OutputModelInfo:
        return self._model


class PrePostProcessor:
    """``PrePostProcessor(model)``; describe inputs and outputs by name or index (the only one without); then
    ``build()`` changes the model in place and returns it."""

    def __init__(self, model: Model):
        self._model = model
        self._inputs: dict[int, InputInfo] = {}
        self._outputs: dict[int, OutputInfo] = {}

    def input(self, key=None) -> InputInfo:
        index = self._index(self._model.inputs, key, "input")
        return self._inputs.setdefault(index, InputInfo())

    def output(self, key=None) -> OutputInfo:
        index = self._index(self._model.outputs, key, "output")
        return self._outputs.setdefault(index, OutputInfo())

    def _index(self, ports: list[Output], key, kind: str) -> int:
        if key is None:
            if len(ports) != 1:
                raise ConfigError(f"the model has {len(ports)} {kind}s: name the {kind} (by name or index)")
            return 0
        if isinstance(key, int):
            if not 0 <= key < len(ports):
                raise ConfigError(f"the model has no {kind} {key}; it has {len(ports)}")
            return key
        for k, p in enumerate(ports):
            if key in p.get_names() or p.node.name == key:
                return k
        raise ConfigError(f"the model has no {kind} named '{key}'; its {kind}s are "
                          f"{[sorted(p.get_names()) or p.node.name for p in ports]}")

    def build(self) -> Model:
        params = self._model.get_parameters()
        users: dict[int, list] = {}         # parameter id -> (node, input index) reading it
        for node in self._model.get_ordered_ops():
            for i, src in enumerate(node.input_values()):
                users.setdefault(src.node.id, []).append((node, i))
        replaced = {}
        for index in sorted(self._inputs):
            param = params[index]
            replaced[param.id] = _build_input(param, self._inputs[index], users.get(param.id, []))
        self._model.set_parameters([q for p in params for q in replaced.get(p.id, [p])])
        results = self._model.get_results()
        for index in sorted(self._outputs):
            _build_output(results[index], self._outputs[index])
        self._model.validate_nodes_and_infer_types()
        return self._model

    def __str__(self) -> str:
        return (f"PrePostProcessor: {len(self._inputs)} input(s) and {len(self._outputs)} output(s) described "
                f"for model '{self._model.get_name()}'")


# -- building ---------------------------------------------------------------------------------------------------

def _fail(where: str, why: str) -> ConfigError:
    return ConfigError(f"preprocessing of {where}: {why}")


def _tensor_shape(info: InputTensorInfo, model_ps: PartialShape, model_layout: Layout, layout: Layout,
                  where: str) -> PartialShape:
    """The shape of the tensor the program passes: as set, else the model's in the tensor's layout, with the
    spatial dimensions and channels the tensor info implies."""
    if info.shape is not None:
        return info.shape
    dims = list(model_ps)
    if not model_layout.empty() and not layout.empty() and model_layout != layout:
        model_names, names = model_layout.names(len(dims)), layout.names(len(dims))
        try:
            dims = [dims[model_names.index(n)] for n in names]
        except ValueError:
            raise _fail(where, f"the tensor's layout {layout} and the model's {model_layout} name different "
                               f"dimensions") from None
    if info.spatial is not None:
        for axis, size in zip("HW", ("dynamic", "dynamic") if info.spatial == "dynamic" else info.spatial):
            if not layout.has_name(axis):
                raise _fail(where, f"a spatial shape needs a layout with H and W, not {layout}")
            dims[layout.index_in(axis, len(dims))] = Dimension() if size == "dynamic" else Dimension(size)
    if info.color in _CHANNELS and layout.has_name("C"):
        dims[layout.index_in("C", len(dims))] = Dimension(_CHANNELS[info.color])
    return PartialShape(dims)


def _build_input(param, info: InputInfo, users: list) -> list:
    """New Parameters for ``param`` (several for a multi-plane image), with the steps between them and
    ``param``'s users."""
    where = f"input '{param.name}'"
    tensor = info._tensor
    model_t, model_ps = param.get_output_element_type(0), param.get_output_partial_shape(0)
    model_layout = info._model.layout or get_layout(param)
    layout = tensor.layout or (Layout("NHWC") if tensor.color in _PLANES else model_layout)
    t = tensor.element_type or model_t
    names = param.output(0).get_names()
    if tensor.color in _PLANES:
        news = _planes(param, tensor, model_ps, model_layout, t, where)
        current = None
    else:
        new = parameter(_tensor_shape(tensor, model_ps, model_layout, layout, where), t.name, name=param.name)
        new.output(0).add_names(names)
        news, current = [new], new.output(0)
    for new in news:
        if not layout.empty():
            set_layout(new, layout)
    state = _State(current, layout, tensor.color, where)
    if current is None:
        state.planes = [n.output(0) for n in news]
    for name, args in info._steps.steps:
        state.apply(name, args, model_t, model_ps, model_layout)
    if state.planes is not None:
        raise _fail(where, f"a {tensor.color.name} image needs convert_color(ColorFormat.RGB or BGR)")
    if state.out.get_element_type() != model_t:
        state.apply("convert_element_type", (model_t,), model_t, model_ps, model_layout)
    if not model_layout.empty() and not state.layout.empty() and state.layout != model_layout:
        state.apply("convert_layout", (model_layout,), model_t, model_ps, model_layout)
    got = state.out.get_partial_shape()
    if not got.compatible(model_ps):
        raise _fail(where, f"the steps give shape {got}, the model takes {model_ps}")
    for user, i in users:
        user.set_input(i, state.out)
    return news


def _planes(param, tensor: InputTensorInfo, model_ps: PartialShape, model_layout: Layout, t: Type, where: str):
    """One Parameter per plane of a YUV image ([N, H, W, C] each), named ``<input>/<plane>``."""
    if tensor.shape is not None:
        raise _fail(where, "a YUV image's planes take their shapes from the model's input (or "
                           "set_spatial_static_shape), not set_shape")
    dims = list(model_ps)
    n = dims[model_layout.index_in("N", len(dims))] if model_layout.has_name("N") else Dimension(1)
    h = dims[model_layout.index_in("H", len(dims))] if model_layout.has_name("H") else Dimension()
    w = dims[model_layout.index_in("W", len(dims))] if model_layout.has_name("W") else Dimension()
    if tensor.spatial == "dynamic":
        h, w = Dimension(), Dimension()
    elif tensor.spatial is not None:
        h, w = Dimension(tensor.spatial[0]), Dimension(tensor.spatial[1])
    planes = _PLANES[tensor.color]
    sub = tensor.plane_names or [p for p, _ in planes]
    if len(sub) != len(planes):
        raise _fail(where, f"{tensor.color.name} has {len(planes)} planes, {len(sub)} names given")
    news = []
    for (_, dims_of), name in zip(planes, sub):
        if h.is_static and w.is_static:
            ph, pw, pc = dims_of(h.min, w.min)
            shape = [n, Dimension(ph), Dimension(pw), Dimension(pc)]
        else:
            shape = [n, Dimension(), Dimension(), Dimension(dims_of(2, 2)[2])]
        full = param.name + (f"/{name}" if name else "")
        new = parameter(PartialShape(shape), t.name, name=full)
        new.output(0).add_names({f"{n_}/{name}" if name else n_ for n_ in param.output(0).get_names()} or {full})
        news.append(new)
    return news


class _State:
    """The tensor being transformed, with its layout and colour format."""

    def __init__(self, out: Output | None, layout: Layout, color: ColorFormat | None, where: str):
        self.out, self.layout, self.color, self.where = out, layout, color, where
        self.planes: list[Output] | None = None

    def _axis(self, name: str) -> int:
        if not self.layout.has_name(name):
            raise _fail(self.where, f"this step needs a layout with {name}; the tensor's is "
                                    f"{self.layout or 'not set'} (set_layout)")
        return self.layout.index_in(name, len(self.out.get_partial_shape()))

    def _per_channel(self, values: np.ndarray, what: str) -> np.ndarray:
        rank = len(self.out.get_partial_shape())
        t = self.out.get_element_type()
        if not t.is_real():
            raise _fail(self.where, f"{what} needs a floating-point tensor, this one is {t} "
                                    f"(convert_element_type first)")
        if values.size == 1:
            return values.astype(t.dtype).reshape([1])
        shape = [1] * rank
        shape[self._axis("C")] = values.size
        return values.astype(t.dtype).reshape(shape)

    def apply(self, name: str, args: tuple, model_t: Type, model_ps: PartialShape, model_layout: Layout) -> None:
        if self.planes is not None and name != "convert_color":
            raise _fail(self.where, f"{name} comes after convert_color for a {self.color.name} image")
        getattr(self, "_" + name)(*args, model_t=model_t, model_ps=model_ps, model_layout=model_layout)

    def _convert_element_type(self, t, model_t, **_):
        self.out = make("Convert", [self.out], destination_type=(t or model_t).name).output(0)

    def _convert_layout(self, dst, **_):
        rank = len(self.out.get_partial_shape())
        if isinstance(dst, list):
            perm, names = dst, None
        else:
            if self.layout.empty():
                raise _fail(self.where, f"convert_layout to {dst} needs the tensor's layout (set_layout)")
            src_names, dst_names = self.layout.names(rank), dst.names(rank)
            try:
                perm = [src_names.index(n) for n in dst_names]
            except ValueError:
                raise _fail(self.where, f"layout {self.layout} cannot become {dst}: other dimensions") from None
            names = dst
        self.out = make("Transpose", [self.out, constant(np.array(perm, np.int64))]).output(0)
        if names is not None:
            self.layout = names
        elif not self.layout.empty():
            old = self.layout.names(rank)
            self.layout = Layout("[" + ",".join(old[p] for p in perm) + "]")

    def _mean(self, values, **_):
        self.out = make("Subtract", [self.out, constant(self._per_channel(values, "mean"))]).output(0)

    def _scale(self, values, **_):
        self.out = make("Multiply", [self.out, constant(self._per_channel(1.0 / values, "scale"))]).output(0)

    def _resize(self, algorithm, height, width, model_ps, model_layout, **_):
        ha, wa = self._axis("H"), self._axis("W")
        if height is None or width is None:
            if not (model_layout.has_name("H") and model_layout.has_name("W")):
                raise _fail(self.where, "resize without a size needs the model's layout (model().set_layout)")
            dims = list(model_ps)
            mh, mw = dims[model_layout.index_in("H", len(dims))], dims[model_layout.index_in("W", len(dims))]
            if not (mh.is_static and mw.is_static):
                raise _fail(self.where, f"resize without a size needs the model's static height and width, not "
                                        f"{model_ps}")
            height, width = mh.min, mw.min
        self.out = make("Interpolate", [self.out, constant(np.array([height, width], np.int64)),
                                        constant(np.array([ha, wa], np.int64))], version="opset11",
                        mode=algorithm.value, shape_calculation_mode="sizes", coordinate_transformation_mode="half_pixel",
                        nearest_mode="round_prefer_floor", antialias=False, pads_begin=[0] * 4, pads_end=[0] * 4,
                        cube_coeff=-0.75).output(0)

    def _reverse_channels(self, **_):
        c = self._axis("C")
        n = self.out.get_partial_shape()[c]
        if not n.is_static:
            raise _fail(self.where, "reverse_channels needs a static channel count")
        self.out = make("Gather", [self.out, constant(np.arange(n.min - 1, -1, -1, dtype=np.int64)),
                                   constant(np.array(c, np.int64))], batch_dims=0).output(0)

    def _crop(self, begin, end, **_):
        if len(begin) != len(end) or len(begin) != len(self.out.get_partial_shape()):
            raise _fail(self.where, f"crop takes a begin and an end per dimension, got {begin} and {end}")
        self.out = make("Slice", [self.out, constant(np.array(begin, np.int64)), constant(np.array(end, np.int64)),
                                  constant(np.ones(len(begin), np.int64))]).output(0)

    def _pad(self, pads_begin, pads_end, value, mode, **_):
        t = self.out.get_element_type()
        self.out = make("Pad", [self.out, constant(np.array(pads_begin, np.int64)),
                                constant(np.array(pads_end, np.int64)), constant(np.asarray(value, t.dtype))],
                        pad_mode=mode.value).output(0)

    def _custom(self, fn, **_):
        out = fn(self.out)
        self.out = out.output(0) if hasattr(out, "output") and not isinstance(out, Output) else out
        if not isinstance(self.out, Output):
            raise _fail(self.where, f"a custom step returns an Output (or a node), not {type(out).__name__}")

    def _convert_color(self, dst: ColorFormat, **_):
        src = self.color
        if src is None:
            raise _fail(self.where, "convert_color needs the tensor's colour format (tensor().set_color_format)")
        if src in _PLANES:
            if dst not in (ColorFormat.RGB, ColorFormat.BGR):
                raise _fail(self.where, f"{src.name} converts to RGB or BGR, not {dst.name}")
            op = f"{src.name[:4]}to{dst.name}"
            self.out, self.planes, self.layout = make(op, self.planes).output(0), None, Layout("NHWC")
        elif {src, dst} == {ColorFormat.RGB, ColorFormat.BGR}:
            self._reverse_channels()
        elif src in (ColorFormat.RGBX, ColorFormat.BGRX) and dst in (ColorFormat.RGB, ColorFormat.BGR):
            c, rank = self._axis("C"), len(self.out.get_partial_shape())
            keep = [2, 1, 0] if src.name[:3] != dst.name else [0, 1, 2]
            self.out = make("Gather", [self.out, constant(np.array(keep, np.int64)),
                                       constant(np.array(c if c < rank else c - rank, np.int64))],
                            batch_dims=0).output(0)
        elif src != dst:
            raise _fail(self.where, f"no conversion from {src.name} to {dst.name}")
        self.color = dst


def _build_output(result, info: OutputInfo) -> None:
    where = f"output '{result.name}'"
    model_layout = info._model.layout or get_layout(result)
    state = _State(result.input_value(0), model_layout, None, where)
    model_t = state.out.get_element_type()
    for name, args in info._steps.steps:
        state.apply(name, args, model_t, state.out.get_partial_shape(), model_layout)
    tensor = info._tensor
    if tensor.element_type is not None and state.out.get_element_type() != tensor.element_type:
        state.apply("convert_element_type", (tensor.element_type,), model_t, None, model_layout)
    if tensor.layout is not None and not state.layout.empty() and state.layout != tensor.layout:
        state.apply("convert_layout", (tensor.layout,), model_t, None, model_layout)
    result.set_input(0, state.out)
    if tensor.layout is not None:
        set_layout(result, tensor.layout)
