"""ONNX shape and data-movement ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, the
Gather/Scatter family, Shape, Size, Constant, ConstantOfShape, Expand, Tile, Pad, Range, Dropout, DepthToSpace,
SpaceToDepth, OneHot, Resize, Upsample, Trilu, EyeLike."""
from __future__ import annotations

import numpy as np

from ovcl.frontends.errors import UnsupportedOpError
from ovcl.ir import Output
from ovcl.ir.ops import OPS
from ovcl.ir.passes.folding import FOLD_LIMIT_BYTES

from .graph import NodeContext, check_dims, onnx_op, onnx_type, tensor_array


def _rank(o: Output) -> int | None:
    ps = o.get_partial_shape()
    return None if ps.rank_is_dynamic else len(ps)


def _to_i64(ctx: NodeContext, o: Output, suffix: str) -> Output:
    if o.get_element_type().name in ("i64",):
        return o
    return ctx.make("Convert", [o], suffix, destination_type="i64").output(0)


def _shape_of(ctx: NodeContext, o: Output, suffix: str = "shape") -> Output:
    return ctx.make("ShapeOf", [o], suffix, output_type="i64").output(0)


# -- Reshape family -------------------------------------------------------------------------------------------

@onnx_op("Reshape")
def _reshape(ctx: NodeContext):
    x = ctx.input(0)
    if ctx.opset < 5:
        shape = ctx.i64(ctx.attr("shape"), "shape")
    else:
        shape = _to_i64(ctx, ctx.input(1), "shape")
    return ctx.make("Reshape", [x, shape], special_zero=not bool(ctx.attr("allowzero", 0)))


@onnx_op("Flatten")
def _flatten(ctx: NodeContext):
    x = ctx.input(0)
    ps = x.get_partial_shape()
    axis = ctx.attr("axis", 1)
    if ps.rank_is_dynamic:
        if axis == 0:
            return ctx.make("Reshape", [x, ctx.i64([1, -1], "shape")], special_zero=True)
        if axis == 1:
            return ctx.make("Reshape", [x, ctx.i64([0, -1], "shape")], special_zero=True)
        raise ctx.fail("Flatten of an input of unknown rank")
    rank = len(ps)
    axis = axis + rank if axis < 0 else axis
    lead = ps[:axis]
    if all(d.is_static for d in lead):
        first = int(np.prod([d.min for d in lead], dtype=np.int64))
        return ctx.make("Reshape", [x, ctx.i64([first, -1], "shape")], special_zero=False)
    shp = _shape_of(ctx, x)
    head = ctx.make("Slice", [shp, ctx.i64([0], "b"), ctx.i64([axis], "e"), ctx.i64([1], "s")], "head")
    prod = ctx.make("ReduceProd", [head, ctx.i64([0], "ax")], "prod", keep_dims=True)
    target = ctx.make("Concat", [prod, ctx.i64([-1], "rest")], "target", axis=0)
    return ctx.make("Reshape", [x, target], special_zero=False)


def _axes_input(ctx: NodeContext) -> Output | None:
    if ctx.opset < 13:
        axes = ctx.attr("axes")
        return None if axes is None else ctx.i64(axes, "axes")
    a = ctx.input(1)
    return None if a is None else _to_i64(ctx, a, "axes")


@onnx_op("Squeeze")
def _squeeze(ctx: NodeContext):
    axes = _axes_input(ctx)
    if axes is None:
        return ctx.make("Squeeze", [ctx.input(0)])
    return ctx.make("Squeeze", [ctx.input(0), axes])


@onnx_op("Unsqueeze")
def _unsqueeze(ctx: NodeContext):
    axes = _axes_input(ctx)
    if axes is None:
        raise ctx.fail("Unsqueeze without axes")
    return ctx.make("Unsqueeze", [ctx.input(0), axes])


@onnx_op("Transpose")
def _transpose(ctx: NodeContext):
    x = ctx.input(0)
    perm = ctx.attr("perm")
    if perm is None:
        r = _rank(x)
        perm = list(range(r))[::-1] if r is not None else []
    return ctx.make("Transpose", [x, ctx.i64(perm, "perm")])


@onnx_op("Concat")
def _concat(ctx: NodeContext):
    ins = [i for i in ctx.inputs() if i is not None]
    return ctx.make("Concat", ins, axis=int(ctx.attr("axis", 1 if ctx.opset < 4 else None)))


@onnx_op("Split")
def _split(ctx: NodeContext):
    x = ctx.input(0)
    axis = int(ctx.attr("axis", 0))
    n_out = len(ctx.proto.output)
    if ctx.opset < 13:
        split = ctx.attr("split")
        if split is None and ctx.num_inputs > 1 and ctx.input(1) is not None:
            split = ctx.const_value(1)
    else:
        split = ctx.input(1)
        if split is not None:
            v = ctx.const_value(1)
            split = v if v is not None else split
    axis_c = ctx.i64(axis, "axis")
    if split is None:
        num = ctx.attr("num_outputs")
        if num is not None:
            ps = x.get_partial_shape()
            d = None if ps.rank_is_dynamic else ps[axis + len(ps) if axis < 0 else axis]
            if d is not None and d.is_static and d.min % num:
                chunk = -(-d.min // num)
                lens = [chunk] * (num - 1) + [d.min - chunk * (num - 1)]
                return ctx.make("VariadicSplit", [x, axis_c, ctx.i64(lens, "lengths")]).outputs()
            n_out = num
        return ctx.make("Split", [x, axis_c], num_splits=n_out).outputs()
    if isinstance(split, Output):
        return ctx.make("VariadicSplit", [x, axis_c, _to_i64(ctx, split, "lengths")]).outputs()
    return ctx.make("VariadicSplit", [x, axis_c, ctx.i64(np.asarray(split).reshape(-1), "lengths")]).outputs()


@onnx_op("Slice")
def _slice(ctx: NodeContext):
    x = ctx.input(0)
    if ctx.opset < 10:
        starts, ends = ctx.attr("starts"), ctx.attr("ends")
        axes = ctx.attr("axes")
        ins = [x, ctx.i64(starts, "start"), ctx.i64(ends, "stop"), ctx.i64([1] * len(starts), "step")]
        if axes is not None:
            ins.append(ctx.i64(axes, "axes"))
        return ctx.make("Slice", ins)
    starts, ends = _to_i64(ctx, ctx.input(1), "start"), _to_i64(ctx, ctx.input(2), "stop")
    axes = ctx.input(3) if ctx.num_inputs > 3 else None
    steps = ctx.input(4) if ctx.num_inputs > 4 else None
    if steps is None:
        n = starts.get_partial_shape()
        if n.rank_is_dynamic or n[0].is_dynamic:
            steps = ctx.make("Broadcast", [ctx.i64(1, "one"), _shape_of(ctx, starts, "nstarts")], "steps",
                             mode="numpy").output(0)
        else:
            steps = ctx.i64([1] * n[0].min, "step")
    else:
        steps = _to_i64(ctx, steps, "step")
    ins = [x, starts, ends, steps]
    if axes is not None:
        ins.append(_to_i64(ctx, axes, "axes"))
    return ctx.make("Slice", ins)


# -- Gather / Scatter -----------------------------------------------------------------------------------------

@onnx_op("Gather")
def _gather(ctx: NodeContext):
    return ctx.make("Gather", [ctx.input(0), ctx.input(1), ctx.i64(ctx.attr("axis", 0), "axis")], batch_dims=0)


@onnx_op("GatherElements")
def _gather_elements(ctx: NodeContext):
    return ctx.make("GatherElements", [ctx.input(0), ctx.input(1)], axis=int(ctx.attr("axis", 0)))


@onnx_op("GatherND")
def _gather_nd(ctx: NodeContext):
    return ctx.make("GatherND", [ctx.input(0), _to_i64(ctx, ctx.input(1), "idx")],
                    batch_dims=int(ctx.attr("batch_dims", 0)))


_REDUCTION = {"none": "none", "add": "sum", "mul": "prod", "max": "max", "min": "min"}


@onnx_op("ScatterElements", "Scatter")
def _scatter_elements(ctx: NodeContext):
    red = _REDUCTION.get(ctx.attr("reduction", "none"))
    if red is None:
        raise ctx.fail(f"reduction {ctx.attr('reduction')} is not supported")
    return ctx.make("ScatterElementsUpdate", [ctx.input(0), ctx.input(1), ctx.input(2),
                                              ctx.i64(ctx.attr("axis", 0), "axis")],
                    reduction=red, use_init_val=True)


@onnx_op("ScatterND")
def _scatter_nd(ctx: NodeContext):
    red = _REDUCTION.get(ctx.attr("reduction", "none"))
    if red is None:
        raise ctx.fail(f"reduction {ctx.attr('reduction')} is not supported")
    return ctx.make("ScatterNDUpdate", [ctx.input(0), _to_i64(ctx, ctx.input(1), "idx"), ctx.input(2)],
                    reduction=red)


# -- Shape, Size, constants -----------------------------------------------------------------------------------

@onnx_op("Shape")
def _shape(ctx: NodeContext):
    shp = _shape_of(ctx, ctx.input(0), "")
    start, end = ctx.attr("start"), ctx.attr("end")
    if start is None and end is None:
        return shp
    start = 0 if start is None else start
    end = (1 << 62) if end is None else end
    return ctx.make("Slice", [shp, ctx.i64([start], "b"), ctx.i64([end], "e"), ctx.i64([1], "s")], "slice")


@onnx_op("Size")
def _size(ctx: NodeContext):
    x = ctx.input(0)
    ps = x.get_partial_shape()
    if ps.is_static:
        return ctx.const(np.array(int(np.prod(ps.to_shape(), dtype=np.int64)), dtype=np.int64))
    if "ReduceProd" not in OPS:
        raise ctx.fail("Size of a dynamic shape needs ReduceProd")
    return ctx.make("ReduceProd", [_shape_of(ctx, x), ctx.i64([0], "ax")], keep_dims=False)


@onnx_op("Constant")
def _constant(ctx: NodeContext):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if ctx.has_attr(key):
            v = ctx.attr(key)
            if key == "value":
                arr = np.asarray(v)
            elif key in ("value_float", "value_floats"):
                arr = np.asarray(v, dtype=np.float32)
            else:
                arr = np.asarray(v, dtype=np.int64)
            return ctx.const(arr, suffix="value")
    if ctx.has_attr("sparse_value"):
        a = ctx._attrs["sparse_value"].sparse_tensor
        what = f"ONNX Constant node '{ctx.name}': sparse_value"
        check_dims(a, what)
        values = tensor_array(a.values, f"{what} values")
        idx = tensor_array(a.indices, f"{what} indices")
        count = int(np.prod(a.dims, dtype=np.int64))
        if count * values.itemsize > FOLD_LIMIT_BYTES:
            raise ctx.fail(f"the sparse constant's dense shape {list(a.dims)} holds more than "
                           f"{FOLD_LIMIT_BYTES >> 30} GiB")
        dense = np.zeros(count, dtype=values.dtype)
        try:
            if idx.ndim == 2:
                idx = np.ravel_multi_index(idx.T, tuple(a.dims))
            dense[idx.reshape(-1)] = values.reshape(-1)
        except (ValueError, IndexError) as e:
            raise ctx.fail(f"the sparse constant's indices do not fit its shape {list(a.dims)}: {e}") from None
        return ctx.const(dense.reshape(tuple(a.dims)), suffix="value")
    raise UnsupportedOpError(f"ONNX Constant node '{ctx.name}': string constants are not supported")


@onnx_op("ConstantOfShape")
def _constant_of_shape(ctx: NodeContext):
    v = ctx.attr("value")
    v = np.zeros(1, np.float32) if v is None else np.asarray(v)
    scalar = ctx.const(v.reshape(()), suffix="value")
    return ctx.make("Broadcast", [scalar, _to_i64(ctx, ctx.input(0), "shape")], mode="numpy")


@onnx_op("Expand")
def _expand(ctx: NodeContext):
    return ctx.make("Broadcast", [ctx.input(0), _to_i64(ctx, ctx.input(1), "shape")], mode="bidirectional")


@onnx_op("Tile")
def _tile(ctx: NodeContext):
    return ctx.make("Tile", [ctx.input(0), _to_i64(ctx, ctx.input(1), "repeats")])


@onnx_op("Pad")
def _pad(ctx: NodeContext):
    x = ctx.input(0)
    dt = x.get_element_type()
    if ctx.opset < 11:
        mode = ctx.attr("mode", "constant")
        pads = np.asarray(ctx.attr("pads", ctx.attr("paddings")), dtype=np.int64)
        value = ctx.const(np.asarray(ctx.attr("value", 0.0)).astype(dt.dtype), suffix="value")
        n = pads.size // 2
        begin, end = ctx.i64(pads[:n], "begin"), ctx.i64(pads[n:], "end")
    else:
        mode = ctx.attr("mode", "constant")
        pads = _to_i64(ctx, ctx.input(1), "pads")
        value = ctx.input(2) if ctx.num_inputs > 2 else None
        if value is None:
            value = ctx.const(np.zeros((), dtype=np.bool_ if dt.name == "boolean" else dt.dtype), suffix="value")
        axes = ctx.input(3) if ctx.num_inputs > 3 else None
        pv = ctx.const_value(1)
        if axes is not None:
            av = ctx.const_value(3)
            r = _rank(x)
            if r is None:
                raise ctx.fail("Pad with axes needs an input of known rank")
            if av is not None and pv is not None:
                pv = np.asarray(pv).reshape(-1)
                k = len(av)
                b, e = [0] * r, [0] * r
                for i, a in enumerate(np.asarray(av).reshape(-1)):
                    a = int(a) % r
                    b[a], e[a] = int(pv[i]), int(pv[k + i])
                begin, end = ctx.i64(b, "begin"), ctx.i64(e, "end")
            else:       # computed pads or axes: scatter them into full-rank vectors in the graph
                ax = _to_i64(ctx, axes, "axes")
                halves = ctx.make("Split", [pads, ctx.i64(0, "axis")], "pads", num_splits=2).outputs()
                zeros = ctx.i64([0] * r, "zeros")
                begin, end = (ctx.make("ScatterElementsUpdate", [zeros, ax, h, ctx.i64(0, f"ax{j}")], f"full{j}",
                                       reduction="none", use_init_val=True).output(0)
                              for j, h in enumerate(halves))
        elif pv is not None:
            pv = np.asarray(pv).reshape(-1)
            n = pv.size // 2
            begin, end = ctx.i64(pv[:n], "begin"), ctx.i64(pv[n:], "end")
        else:
            parts = ctx.make("Split", [pads, ctx.i64(0, "axis")], "pads", num_splits=2).outputs()
            begin, end = parts
    if mode == "wrap":
        return _pad_wrap(ctx, x, begin, end)
    if mode != "constant":
        return ctx.make("Pad", [x, begin, end], pad_mode=mode)
    if value.get_element_type() != dt:
        value = ctx.make("Convert", [value], "value", destination_type=dt.name).output(0)
    if _rank(value) not in (0, None):
        value = ctx.make("Reshape", [value, ctx.i64([], "scalar")], "scalar", special_zero=False).output(0)
    return ctx.make("Pad", [x, begin, end, value], pad_mode="constant")


def _pad_wrap(ctx: NodeContext, x: Output, begin: Output, end: Output):
    """Wrap padding as slices of the (cropped) input concatenated around it; pads of at most the dimension.
    Built from graph ops, so it folds for constant pads and segments for computed ones."""
    r = _rank(x)
    if r is None:
        raise ctx.fail("wrap padding needs an input of known rank")
    big = ctx.i64([1 << 62], "big")
    zero, one = ctx.i64([0], "zero"), ctx.i64([1], "one")
    for a in range(r):
        ax = ctx.i64([a], f"a{a}")

        def pick(v, tag):
            return ctx.make("Gather", [v, ax, ctx.i64(0, f"g{tag}{a}")], f"{tag}{a}", batch_dims=0).output(0)

        def sl(src, start, stop, tag):
            return ctx.make("Slice", [src, start, stop, one, ax], f"{tag}{a}").output(0)

        def op(name, u, v, tag):
            return ctx.make(name, [u, v], f"{tag}{a}").output(0)

        lo, hi = pick(begin, "lo"), pick(end, "hi")
        if lo.node.type_name == "Constant" and hi.node.type_name == "Constant" \
                and int(lo.node.value.reshape(-1)[0]) == 0 and int(hi.node.value.reshape(-1)[0]) == 0:
            continue
        dim = pick(_shape_of(ctx, x, f"shape{a}"), "dim")
        start = op("Maximum", op("Subtract", zero, lo, "neg"), zero, "cs")
        stop = op("Add", dim, op("Minimum", hi, zero, "ce"), "cstop")
        x = sl(x, start, stop, "crop")
        dim = pick(_shape_of(ctx, x, f"cshape{a}"), "cdim")
        head = sl(x, op("Subtract", dim, op("Maximum", lo, zero, "plo"), "hs"), big, "head")
        tail = sl(x, zero, op("Maximum", hi, zero, "phi"), "tail")
        x = ctx.make("Concat", [head, x, tail], f"wrap{a}", axis=a).output(0)
    return x


@onnx_op("Range")
def _range(ctx: NodeContext):
    t = ctx.input(0).get_element_type()
    return ctx.make("Range", [ctx.input(0), ctx.input(1), ctx.input(2)], output_type=t.name)


@onnx_op("Dropout")
def _dropout(ctx: NodeContext):
    x = ctx.input(0)
    y = ctx.make("Convert", [x], destination_type=x.get_element_type().name)
    outs = [y.output(0)]
    if len(ctx.proto.output) > 1 and ctx.proto.output[1]:
        true = ctx.const(np.array(True), suffix="true")
        outs.append(ctx.make("Broadcast", [true, _shape_of(ctx, x)], "mask", mode="numpy").output(0))
    return outs


@onnx_op("DepthToSpace")
def _d2s(ctx: NodeContext):
    mode = "depth_first" if ctx.attr("mode", "DCR") == "CRD" else "blocks_first"
    return ctx.make("DepthToSpace", [ctx.input(0)], block_size=int(ctx.attr("blocksize")), mode=mode)


@onnx_op("SpaceToDepth")
def _s2d(ctx: NodeContext):
    mode = "depth_first" if ctx.attr("mode", "DCR") == "CRD" else "blocks_first"
    return ctx.make("SpaceToDepth", [ctx.input(0)], block_size=int(ctx.attr("blocksize")), mode=mode)


@onnx_op("OneHot")
def _onehot(ctx: NodeContext):
    idx, depth, values = ctx.input(0), ctx.input(1), ctx.input(2)
    if not idx.get_element_type().is_integral():
        idx = ctx.make("Convert", [idx], "idx", destination_type="i64").output(0)
    depth = ctx.make("Convert", [depth], "depth", destination_type="i64").output(0) \
        if depth.get_element_type().name != "i64" else depth
    if _rank(depth) != 0:
        depth = ctx.make("Reshape", [depth, ctx.i64([], "scalar")], "depth_scalar", special_zero=False).output(0)
    off, on = ctx.make("Split", [values, ctx.i64(0, "axis")], "values", num_splits=2).outputs()
    off = ctx.make("Squeeze", [off, ctx.i64([0], "sq0")], "off").output(0)
    on = ctx.make("Squeeze", [on, ctx.i64([0], "sq1")], "on").output(0)
    return ctx.make("OneHot", [idx, depth, on, off], axis=int(ctx.attr("axis", -1)),
                    negative_indices_mode="normalize")


@onnx_op("ReverseSequence")
def _reverse_sequence(ctx: NodeContext):
    return ctx.make("ReverseSequence", [ctx.input(0), ctx.input(1)], batch_axis=int(ctx.attr("batch_axis", 1)),
                    seq_axis=int(ctx.attr("time_axis", 0)))


# -- Resize / Upsample ----------------------------------------------------------------------------------------

_MODES = {"nearest": "nearest", "linear": "linear_onnx", "bilinear": "linear_onnx", "cubic": "cubic",
          "bilinear_pillow": "bilinear_pillow", "bicubic_pillow": "bicubic_pillow"}


def _interpolate(ctx: NodeContext, x, scales=None, sizes=None, axes=None, mode="nearest",
                 coord="half_pixel", nearest_mode="round_prefer_floor", cube=-0.75, antialias=False, flags=()):
    if mode not in _MODES:
        raise ctx.fail(f"mode {mode} is not supported")
    attrs = dict(mode=_MODES[mode], coordinate_transformation_mode=coord, nearest_mode=nearest_mode,
                 antialias=bool(antialias), pads_begin=[0], pads_end=[0], cube_coeff=float(cube))
    if scales is not None:
        if scales.get_element_type().name != "f32":
            scales = ctx.make("Convert", [scales], "scales", destination_type="f32").output(0)
        ins = [x, scales]
        attrs["shape_calculation_mode"] = "scales"
    else:
        ins = [x, _to_i64(ctx, sizes, "sizes")]
        attrs["shape_calculation_mode"] = "sizes"
    if axes is not None:
        ins.append(ctx.i64(axes, "axes"))
    node = ctx.make("Interpolate", ins, **attrs)
    if flags:      # ONNX semantics OpenVINO's Interpolate lacks (see ir/ops/data.py ONNX_RESIZE)
        node.rt_info["onnx_resize"] = ",".join(flags)
    return node


def _non_empty(ctx: NodeContext, i: int) -> Output | None:
    o = ctx.input(i) if ctx.num_inputs > i else None
    if o is None:
        return None
    ps = o.get_partial_shape()
    if not ps.rank_is_dynamic and ps.is_static and int(np.prod(ps.to_shape())) == 0:
        return None
    return o


@onnx_op("Resize")
def _resize(ctx: NodeContext):
    x = ctx.input(0)
    mode = ctx.attr("mode", "nearest")
    if ctx.opset < 11:
        return _interpolate(ctx, x, scales=ctx.input(1), mode=mode, coord="asymmetric",
                            nearest_mode="simple")
    coord = ctx.attr("coordinate_transformation_mode", "half_pixel")
    if coord == "tf_crop_and_resize":
        return _crop_and_resize(ctx, x, mode)
    antialias = bool(ctx.attr("antialias", 0)) and mode != "nearest"
    axes = ctx.attr("axes")
    flags = ["scaled_length"]
    if ctx.attr("exclude_outside", 0) and mode in ("linear", "cubic"):
        # taps outside the input dropped and the rest renormalised: Pillow's resampling (OpenVINO's
        # *_pillow modes) when the filter is the antialiasing one, which it is for any upsampling
        # (they take half-pixel centres and the size ratio as the scale, so only where those agree)
        sv = ctx.const_value(2) if _non_empty(ctx, 2) is not None else None
        ps = x.get_partial_shape()
        ratio_ok = _non_empty(ctx, 2) is None or (sv is not None and ps.is_static and all(
            np.float32(np.floor(n * np.float32(v) + 1e-5) / n) == np.float32(v)
            for n, v in zip([ps.to_shape()[a] for a in (axes if axes is not None else range(len(ps)))],
                            np.asarray(sv).reshape(-1))))
        pillow_ok = coord in ("half_pixel", "pytorch_half_pixel") and ratio_ok
        if pillow_ok and (antialias or (sv is not None and np.all(np.asarray(sv) >= 1))):
            mode = "bilinear_pillow" if mode == "linear" else "bicubic_pillow"
            antialias = False
        elif mode == "cubic" and not antialias:
            flags.append("exclude_outside")
        elif antialias:
            raise UnsupportedOpError(f"ONNX Resize node '{ctx.name}': exclude_outside with {coord} coordinates "
                                     f"is only supported as Pillow-style resampling (half-pixel, exact ratios)")
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    scales, sizes = _non_empty(ctx, 2), _non_empty(ctx, 3)
    if sizes is not None and policy != "stretch":
        ps = x.get_partial_shape()
        if not ps.is_static:
            raise ctx.fail(f"keep_aspect_ratio_policy {policy} needs a static input")
        shape = ps.to_shape()
        ax = list(range(len(shape))) if axes is None else [a % len(shape) for a in axes]
        # one scale for all axes: the least (not_larger) or greatest (not_smaller) of sizes / input lengths;
        # lengths round half up from it, coordinates use the scale itself (Interpolate-4 given both, so the
        # sizes, once computed, decide the shape by value)
        in_len = ctx.const(np.array([shape[a] for a in ax], np.float32), suffix="in_len")
        ratio = ctx.make("Divide", [ctx.make("Convert", [sizes], "sizes_f", destination_type="f32"), in_len],
                         "ratio")
        red = "ReduceMin" if policy == "not_larger" else "ReduceMax"
        r = ctx.make(red, [ratio, ctx.i64([0], "ratio_axis")], "scale", keep_dims=True)
        scales_v = ctx.make("Multiply", [r, ctx.const(np.ones(len(ax), np.float32), suffix="ones")], "scales")
        half = ctx.const(np.array(0.5, np.float32), suffix="half")
        lengths = ctx.make("Floor", [ctx.make("Add", [ctx.make("Multiply", [r, in_len], "scaled"), half],
                                              "plus_half")], "rounded")
        out_len = ctx.make("Convert", [lengths], "out_len", destination_type="i64")
        mode_v = _MODES.get(mode)
        if mode_v is None:
            raise ctx.fail(f"mode {mode} is not supported")
        node = ctx.make("Interpolate", [x, out_len, scales_v, ctx.i64(ax, "axes")], version="opset4",
                        mode=mode_v, shape_calculation_mode="sizes", coordinate_transformation_mode=coord,
                        nearest_mode=ctx.attr("nearest_mode", "round_prefer_floor"), antialias=antialias,
                        pads_begin=[0], pads_end=[0], cube_coeff=float(ctx.attr("cubic_coeff_a", -0.75)))
        node.rt_info["onnx_resize"] = ",".join(flags + ["given_scales"])
        return node
    return _interpolate(ctx, x, scales=scales, sizes=sizes if scales is None else None, axes=axes, mode=mode,
                        coord=coord, nearest_mode=ctx.attr("nearest_mode", "round_prefer_floor"),
                        cube=ctx.attr("cubic_coeff_a", -0.75), antialias=antialias, flags=flags)


def _crop_and_resize(ctx: NodeContext, x: Output, mode: str):
    """tf_crop_and_resize (linear): per resized axis a weight matrix [out, in] built in the graph from the roi
    (which may be a run-time tensor), applied as a MatMul; sample points outside the input take
    extrapolation_value. The output lengths decide shapes by value (Ranges over them)."""
    if mode != "linear":
        raise UnsupportedOpError(f"ONNX Resize node '{ctx.name}': tf_crop_and_resize is supported in linear mode "
                                 f"only, not {mode}")
    if ctx.attr("keep_aspect_ratio_policy", "stretch") != "stretch" or ctx.attr("antialias", 0):
        raise ctx.fail("tf_crop_and_resize with keep_aspect_ratio_policy or antialias is not supported")
    ps = x.get_partial_shape()
    if not ps.is_static:
        raise ctx.fail("tf_crop_and_resize needs a static input shape")
    shape = ps.to_shape()
    rank = len(shape)
    ft = x.get_element_type()
    axes = ctx.attr("axes")
    ax = list(range(rank)) if axes is None else [a % rank for a in axes]
    roi, scales, sizes = ctx.input(1), _non_empty(ctx, 2), _non_empty(ctx, 3)
    if roi is None:
        raise ctx.fail("tf_crop_and_resize needs a roi")
    roi = ctx.make("Convert", [roi], "roi_f", destination_type="f32").output(0)
    in_len = ctx.const(np.array([shape[a] for a in ax], np.float32), suffix="in_len")
    if sizes is not None:
        out_len = _to_i64(ctx, sizes, "sizes")
        length = ctx.make("Convert", [out_len], "length", destination_type="f32").output(0)
    elif scales is not None:
        sc = ctx.make("Convert", [scales], "scales_f", destination_type="f32").output(0)
        length = ctx.make("Multiply", [in_len, sc], "length").output(0)
        out_len = ctx.make("Convert", [ctx.make("Floor", [length], "floor")], "out_len",
                           destination_type="i64").output(0)
    else:
        raise ctx.fail("neither scales nor sizes is given")

    def f32(v, tag):
        return ctx.const(np.array(v, np.float32), suffix=tag)

    def pick(src, k, tag):
        return ctx.make("Gather", [src, ctx.i64(k, f"{tag}_i"), ctx.i64(0, f"{tag}_ax")], tag,
                        batch_dims=0).output(0)

    y, mask = x, None
    for k, a in enumerate(ax):
        n = shape[a]
        t = f"axis{a}"
        start, end = pick(roi, k, f"{t}_start"), pick(roi, len(ax) + k, f"{t}_end")
        out_k, len_k = pick(out_len, k, f"{t}_out"), pick(length, k, f"{t}_len")
        o = ctx.make("Convert", [ctx.make("Range", [ctx.i64(0, f"{t}_0"), out_k, ctx.i64(1, f"{t}_1")],
                                          f"{t}_range", output_type="i64")], f"{t}_o", destination_type="f32")
        extent = ctx.make("Multiply", [ctx.make("Subtract", [end, start], f"{t}_width"), f32(n - 1, f"{t}_n1")],
                          f"{t}_extent")
        offset = ctx.make("Multiply", [start, f32(n - 1, f"{t}_n1b")], f"{t}_offset")
        step = ctx.make("Divide", [extent, ctx.make("Subtract", [len_k, f32(1, f"{t}_one")], f"{t}_den")],
                        f"{t}_step")
        xs = ctx.make("Add", [ctx.make("Multiply", [o, step], f"{t}_scaled"), offset], f"{t}_x")
        center = ctx.make("Add", [ctx.make("Multiply", [extent, f32(0.5, f"{t}_half")], f"{t}_mid"), offset],
                          f"{t}_center")
        single = ctx.make("Equal", [len_k, f32(1, f"{t}_one2")], f"{t}_single")
        xs = ctx.make("Select", [single, center, xs], f"{t}_coord")
        valid = ctx.make("LogicalAnd", [ctx.make("GreaterEqual", [xs, f32(0, f"{t}_zero")], f"{t}_ge"),
                                        ctx.make("LessEqual", [xs, f32(n - 1, f"{t}_last")], f"{t}_le")],
                         f"{t}_valid")
        valid_f = ctx.make("Convert", [valid], f"{t}_valid_f", destination_type="f32").output(0)
        dist = ctx.make("Subtract", [ctx.make("Unsqueeze", [xs, ctx.i64([1], f"{t}_col")], f"{t}_xcol"),
                                     f32(np.arange(n), f"{t}_taps")], f"{t}_dist")
        tri = ctx.make("Relu", [ctx.make("Subtract", [f32(1, f"{t}_one3"), ctx.make("Abs", [dist], f"{t}_abs")],
                                         f"{t}_tri")], f"{t}_w")
        w = ctx.make("Multiply", [tri, ctx.make("Unsqueeze", [valid_f, ctx.i64([1], f"{t}_col2")],
                                                f"{t}_vcol")], f"{t}_weights").output(0)    # [out, in]
        if ft.name != "f32":
            w = ctx.make("Convert", [w], f"{t}_weights_t", destination_type=ft.name).output(0)
        if a == rank - 1:
            y = ctx.make("MatMul", [y, w], f"{t}_apply", transpose_b=True).output(0)
        else:
            perm = [d for d in range(rank) if d != a] + [a]
            inv = list(np.argsort(perm))
            yt = ctx.make("Transpose", [y, ctx.i64(perm, f"{t}_perm")], f"{t}_to_last")
            yt = ctx.make("MatMul", [yt, w], f"{t}_apply", transpose_b=True)
            y = ctx.make("Transpose", [yt, ctx.i64(inv, f"{t}_inv")], f"{t}_back").output(0)
        others = [d for d in range(rank) if d != a]
        m = ctx.make("Unsqueeze", [valid_f, ctx.i64(others, f"{t}_bcast")], f"{t}_mask").output(0)
        mask = m if mask is None else ctx.make("Multiply", [mask, m], f"{t}_masks").output(0)
    extrap = float(ctx.attr("extrapolation_value", 0.0))
    if extrap != 0.0 and mask is not None:
        outside = ctx.make("Multiply", [ctx.make("Subtract", [f32(1, "one_m"), mask], "outside"),
                                        f32(extrap, "extrapolation")], "fill").output(0)
        if ft.name != "f32":
            outside = ctx.make("Convert", [outside], "fill_t", destination_type=ft.name).output(0)
        y = ctx.make("Add", [y, outside], "extrapolated").output(0)
    return y


@onnx_op("Upsample")
def _upsample(ctx: NodeContext):
    mode = ctx.attr("mode", "nearest")
    if ctx.opset < 9:
        scales = ctx.const(np.asarray(ctx.attr("scales"), dtype=np.float32), suffix="scales")
    else:
        scales = ctx.input(1)
    return _interpolate(ctx, ctx.input(0), scales=scales, mode=mode, coord="asymmetric", nearest_mode="floor")


# -- Trilu, EyeLike -------------------------------------------------------------------------------------------

def _row_col(ctx: NodeContext, x: Output):
    """Column index minus row index over the last two dims of x, as an i64 [N, M] tensor."""
    shp = _shape_of(ctx, x)
    r = _rank(x)
    if r is None:
        raise ctx.fail("input of unknown rank")
    zero, one = ctx.i64(0, "zero"), ctx.i64(1, "one")
    n = ctx.make("Gather", [shp, ctx.i64(r - 2, "rows_i"), ctx.i64(0, "ax0")], "rows", batch_dims=0).output(0)
    m = ctx.make("Gather", [shp, ctx.i64(r - 1, "cols_i"), ctx.i64(0, "ax1")], "cols", batch_dims=0).output(0)
    rows = ctx.make("Range", [zero, n, one], "row_range", output_type="i64").output(0)
    cols = ctx.make("Range", [zero, m, one], "col_range", output_type="i64").output(0)
    rows = ctx.make("Unsqueeze", [rows, ctx.i64([1], "ax_u")], "row_col").output(0)
    return ctx.make("Subtract", [cols, rows], "diag").output(0)


@onnx_op("Trilu")
def _trilu(ctx: NodeContext):
    x = ctx.input(0)
    k = ctx.input(1) if ctx.num_inputs > 1 else None
    k = ctx.i64(0, "k") if k is None else _to_i64(ctx, k, "k")
    if _rank(k) not in (0, None):
        k = ctx.make("Reshape", [k, ctx.i64([], "scalar")], "k_scalar", special_zero=False).output(0)
    diff = _row_col(ctx, x)
    op = "GreaterEqual" if ctx.attr("upper", 1) else "LessEqual"
    mask = ctx.make(op, [diff, k], "mask").output(0)
    dt = x.get_element_type()
    zero = ctx.const(np.zeros((), dtype=np.bool_ if dt.name == "boolean" else dt.dtype), suffix="zero_v")
    return ctx.make("Select", [mask, x, zero])


@onnx_op("EyeLike")
def _eye_like(ctx: NodeContext):
    x = ctx.input(0)
    dt = onnx_type(ctx.attr("dtype")) if ctx.has_attr("dtype") else x.get_element_type()
    diff = _row_col(ctx, x)
    mask = ctx.make("Equal", [diff, ctx.i64(int(ctx.attr("k", 0)), "k")], "mask").output(0)
    one = ctx.const(np.ones((), dtype=np.bool_ if dt.name == "boolean" else dt.dtype), suffix="one_v")
    zero = ctx.const(np.zeros((), dtype=np.bool_ if dt.name == "boolean" else dt.dtype), suffix="zero_v")
    return ctx.make("Select", [mask, one, zero])


# -- STFT ------------------------------------------------------------------------------------------------------


@onnx_op("CenterCropPad")
def _center_crop_pad(ctx: NodeContext):
    """Slice to the centred window where the target is smaller, Pad with zeros (centred, the odd one after)
    where it is larger; the target may be a run-time value."""
    x = ctx.input(0)
    rank = ctx.rank(x)
    axes = [int(a) % rank for a in (ctx.attr("axes") or range(rank))]
    target = ctx.make("Convert", [ctx.input(1)], "target", destination_type="i64").output(0)
    ps = x.get_partial_shape()
    if all(ps[a].is_static for a in axes):
        dims = ctx.i64([ps[a].get_length() for a in axes], "dims")
    else:
        shape = ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0)
        dims = ctx.make("Gather", [shape, ctx.i64(axes, "axes_idx"), ctx.i64(0, "gaxis")], "dims",
                        batch_dims=0).output(0)
    zero, two = ctx.i64(0, "zero"), ctx.i64(2, "two")
    diff = ctx.make("Subtract", [dims, target], "diff").output(0)
    start = ctx.make("Divide", [ctx.make("Maximum", [diff, zero], "crop"), two], "start",
                     m_pythondiv=True).output(0)
    stop = ctx.make("Add", [start, ctx.make("Minimum", [dims, target], "kept")], "stop").output(0)
    y = ctx.make("Slice", [x, start, stop, ctx.i64([1] * len(axes), "steps"), ctx.i64(axes, "axes")],
                 "crop_slice").output(0)
    pad = ctx.make("Maximum", [ctx.make("Subtract", [target, dims], "grow"), zero], "pad").output(0)
    pb = ctx.make("Divide", [pad, two], "pad_b", m_pythondiv=True).output(0)
    pe = ctx.make("Subtract", [pad, pb], "pad_e").output(0)
    full = []
    for k, p in enumerate((pb, pe)):
        full.append(ctx.make("ScatterUpdate", [ctx.i64([0] * rank, f"zeros{k}"), ctx.i64(axes, f"pidx{k}"), p,
                                               ctx.i64(0, f"paxis{k}")], f"pads{k}").output(0))
    return ctx.make("Pad", [y, full[0], full[1], ctx.scalar_like(x, 0, "value")], pad_mode="constant")


@onnx_op("Compress")
def _compress(ctx: NodeContext):
    x, cond = ctx.input(0), ctx.input(1)
    axis = ctx.attr("axis")
    if axis is None:
        x = ctx.make("Reshape", [x, ctx.i64([-1], "flat")], "flatten",
                     special_zero=False).output(0)
        axis = 0
    n = x.get_partial_shape()[int(axis)]
    if n.is_static and cond.get_partial_shape()[0].is_static and cond.get_partial_shape()[0].get_length() > n.get_length():
        cond = ctx.make("Slice", [cond, ctx.i64([0], "c0"), ctx.i64([n.get_length()], "c1"), ctx.i64([1], "c2")],
                        "cond_trim").output(0)
    idx = ctx.make("NonZero", [cond], "where", output_type="i64").output(0)
    idx = ctx.make("Squeeze", [idx, ctx.i64([0], "sq")], "indices").output(0)
    return ctx.make("Gather", [x, idx, ctx.i64(int(axis), "axis")], batch_dims=0)
