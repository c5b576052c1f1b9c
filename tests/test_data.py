"""Shape and data-movement ops against ONNX Runtime (and the IR's NumPy references) on random inputs."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from helpers import assert_close, onnx_model, run_ort, run_ovcl


def check(nodes, inputs, feeds, outputs=("y",), opset=17, initializers=(), rtol=1e-5, atol=1e-6):
    """Build a graph from ``nodes``; ``inputs``: {name: array} fed (shapes and types taken from them)."""
    m = onnx_model(nodes, [(n, a.dtype, a.shape) for n, a in inputs.items()], [(o, None, None) for o in outputs],
                   opset=opset, initializers=initializers)
    got = run_ovcl(m, feeds)
    ref = run_ort(m, feeds)
    assert_close(got, ref, rtol=rtol, atol=atol)
    return got


def run1(nodes, inputs, outputs=("y",), opset=17, initializers=(), **kw):
    return check(nodes, inputs, dict(inputs), outputs, opset, initializers, **kw)


def rnd(rng, shape, dtype=np.float32):
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) > 0.5
    return rng.integers(-100, 100, shape).astype(dtype)


def i64(v):
    return np.asarray(v, dtype=np.int64)


# -- Transpose --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,perm", [((2, 7, 3, 16), (0, 2, 1, 3)), ((5, 3), (1, 0)), ((1, 3, 1, 5), (3, 2, 0, 1)),
                                        ((13,), (0,)), ((2, 3, 5, 7), None), ((4, 6, 9), (2, 0, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float16])
def test_transpose(shape, perm, dtype, rng):
    kw = {} if perm is None else {"perm": list(perm)}
    run1([helper.make_node("Transpose", ["x"], ["y"], **kw)], {"x": rnd(rng, shape, dtype)})


def test_transpose_bshd(rng):
    x = rnd(rng, (2, 33, 12, 64))
    run1([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 1, 3])], {"x": x})


@pytest.mark.parametrize("shape,perm", [((520, 600), (1, 0)), ((2, 515, 513), (0, 2, 1)), ((3, 600, 2, 530), (2, 3, 0, 1))])
def test_transpose_tiled(shape, perm, rng):
    """Large transposes of the two innermost-in-memory dims take the local-memory tiled kernel."""
    run1([helper.make_node("Transpose", ["x"], ["y"], perm=list(perm))], {"x": rnd(rng, shape)})


# -- Concat / Split ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_concat(axis, rng):
    shapes = [(2, 3, 5), (2, 3, 5), (2, 3, 5)]
    shapes = [tuple(s[:axis % 3]) + (k + 1,) + tuple(s[axis % 3 + 1:]) for k, s in enumerate(shapes)]
    ins = {f"x{k}": rnd(rng, s) for k, s in enumerate(shapes)}
    run1([helper.make_node("Concat", list(ins), ["y"], axis=axis)], ins)


def _concat_copies(m, feeds, ref, tol=1e-5, from_cache=False, **compile_kw):
    """Compile ONNX ``m``, check its outputs against ``ref`` (and whether the plan came from the model cache
    against ``from_cache``) and return the number of copies its Concats launch (the rest are written in place
    by their producers)."""
    import ovcl
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU", compile_kw or None)
    assert bool(compiled._current_plan().stats.get("from_cache")) == from_cache
    assert_close(list(compiled(feeds).to_tuple()), ref, rtol=tol, atol=tol)
    return sum(1 for l in compiled.launches() if l.op == "Concat")


def _dense_block(rng, n, c, hw, growth, layers, extra_outputs=()):
    """A DenseNet-style block: x_{k+1} = Concat(x_k, Relu(Conv1x1(x_k))), the concatenations nested."""
    nodes, inits, cin, prev = [], [], c, "x"
    for k in range(layers):
        w = (rng.standard_normal((growth, cin, 1, 1)) / np.sqrt(cin)).astype(np.float32)
        inits.append((f"w{k}", w))
        nodes += [helper.make_node("Conv", [prev, f"w{k}"], [f"c{k}"]),
                  helper.make_node("Relu", [f"c{k}"], [f"r{k}"]),
                  helper.make_node("Concat", [prev, f"r{k}"], [f"x{k + 1}"], axis=1)]
        prev, cin = f"x{k + 1}", cin + growth
    nodes.append(helper.make_node("Identity", [prev], ["y"]))
    m = onnx_model(nodes, [("x", np.float32, (n, c, hw, hw))],
                   [(o, None, None) for o in ("y", *extra_outputs)], initializers=inits)
    return m, {"x": rnd(rng, (n, c, hw, hw))}


@pytest.mark.parametrize("n,hw", [
    (1, 8),         # every part contiguous and aligned: only the graph input x is copied (it is no temp)
    (2, 8),         # batch 2: the parts are strided, each of the 3 x 2 inputs copied
    (1, 3)])        # 3x3 f32 planes: the parts at offsets of 8, 16, 24 planes (288, 576, 864 bytes) are
                    # copied where the device's sub-buffer alignment (128 bytes on PoCL) does not divide them
def test_concat_in_place(n, hw, rng):
    """Producers write straight into their part of a concatenation where it is one contiguous, aligned
    block; nested concatenations (x2 = Concat(x1, ...), x1 itself one, at offset 0) too. Outputs against
    ONNX Runtime."""
    import ovcl
    align = ovcl.Core().get_property("CPU", "BASE_ADDR_ALIGN")
    m, feeds = _dense_block(rng, n, 8, hw, 8, 3)
    if n > 1:
        want = 6
    else:   # x copied; the Relu parts at 8, 16, 24 planes copied where misaligned
        want = 1 + sum(1 for planes in (8, 16, 24) if planes * hw * hw * 4 % align)
    assert _concat_copies(m, feeds, run_ort(m, feeds)) == want


def test_concat_in_place_parts_that_are_outputs_or_repeated(rng):
    """A part that is also a model output, and an input concatenated twice (its second part is a copy),
    both still right, against ONNX Runtime."""
    m, feeds = _dense_block(rng, 1, 8, 8, 8, 2, extra_outputs=("r0", "x1"))
    m.graph.node.append(helper.make_node("Concat", ["r1", "r1", "x1"], ["z"], axis=1))
    m.graph.output.append(onnx.ValueInfoProto(name="z"))
    ref = run_ort(m, feeds)
    _concat_copies(m, feeds, ref)


def test_concat_in_place_cached(rng, tmp_path):
    """A plan with placed parts survives the model cache (its sub-buffers rebuilt from the entry)."""
    m, feeds = _dense_block(rng, 1, 8, 8, 8, 3)
    ref = run_ort(m, feeds)
    for cached in (False, True):       # the second compile loads the plan from the cache
        assert _concat_copies(m, feeds, ref, from_cache=cached, CACHE_DIR=str(tmp_path)) == 1
    assert any(p.name.startswith("ovcl-") for p in tmp_path.iterdir())


def test_concat_in_place_cache_entry_with_a_cycle_is_rebuilt(rng, tmp_path):
    """A cache entry whose placements make a cycle (a corrupt or hostile file) is dropped and the plan
    rebuilt: no hang walking the parents, the outputs right."""
    import json
    m, feeds = _dense_block(rng, 1, 8, 8, 8, 2)
    ref = run_ort(m, feeds)
    _concat_copies(m, feeds, ref, CACHE_DIR=str(tmp_path))
    (entry,) = [p for p in tmp_path.iterdir() if p.name.startswith("ovcl-")]
    doc = json.loads((entry / "plan.json").read_text())
    placed = [d for d in doc["storages"] if d["parent"] is not None]
    assert placed
    whole = doc["storages"][placed[0]["parent"]]
    whole["parent"], whole["offset"] = placed[0]["id"], 0        # part -> whole -> part
    (entry / "plan.json").write_text(json.dumps(doc))
    _concat_copies(m, feeds, ref, from_cache=False, CACHE_DIR=str(tmp_path))


def test_concat_empty_and_int(rng):
    ins = {"a": rnd(rng, (3, 0), np.int32), "b": rnd(rng, (3, 4), np.int32), "c": rnd(rng, (3, 1), np.int32)}
    run1([helper.make_node("Concat", list(ins), ["y"], axis=1)], ins)


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split(opset, rng):
    x = rnd(rng, (4, 10, 3))
    if opset < 13:
        nodes = [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, split=[2, 5, 3])]
        inits = []
    elif opset < 18:
        nodes = [helper.make_node("Split", ["x", "s"], ["a", "b", "c"], axis=-2)]
        inits = [("s", i64([2, 5, 3]))]
    else:
        nodes = [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)]
        inits = []
    run1(nodes, {"x": x}, outputs=("a", "b", "c"), opset=opset, initializers=inits)


def test_split_equal(rng):
    x = rnd(rng, (6, 5))
    run1([helper.make_node("Split", ["x"], ["a", "b", "c"], axis=0)], {"x": x}, outputs=("a", "b", "c"))


# -- Slice ------------------------------------------------------------------------------------------------------

SLICES = [
    ([1, 0], [3, 5], [0, 1], [1, 2]),
    ([-1], [-100], [1], [-1]),                  # reversed
    ([10], [2], [0], [-3]),                     # negative step from clamped start
    ([0, 2], [100, -1], [2, 0], [2, 1]),
    ([3], [3], [1], [1]),                       # empty
    ([-4], [1000], [-1], [1]),
]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
def test_slice(starts, ends, axes, steps, rng):
    x = rnd(rng, (7, 6, 5))
    inits = [("s", i64(starts)), ("e", i64(ends)), ("a", i64(axes)), ("t", i64(steps))]
    run1([helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])], {"x": x}, initializers=inits)


def test_slice_opset9(rng):
    x = rnd(rng, (5, 6))
    run1([helper.make_node("Slice", ["x"], ["y"], starts=[1, -3], ends=[4, 100], axes=[0, 1])], {"x": x}, opset=9)


def test_slice_no_axes_no_steps(rng):
    x = rnd(rng, (5, 6), np.int32)
    run1([helper.make_node("Slice", ["x", "s", "e"], ["y"])], {"x": x},
         initializers=[("s", i64([1, 2])), ("e", i64([3, 6]))])


# -- Gather family ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis,ishape", [(0, (2, 3)), (1, (4,)), (-1, ()), (2, (3, 1))])
def test_gather(axis, ishape, rng):
    x = rnd(rng, (5, 4, 7))
    n = x.shape[axis]
    idx = rng.integers(-n, n, ishape).astype(np.int64)
    run1([helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)], {"x": x, "i": idx})


def test_gather_embedding(rng):
    table = rnd(rng, (1000, 96))
    idx = rng.integers(0, 1000, (2, 17)).astype(np.int32)
    run1([helper.make_node("Gather", ["w", "i"], ["y"], axis=0)], {"i": idx}, initializers=[("w", table)])


def test_gather_out_of_range_is_safe(rng):
    import ovcl
    from ovcl.ir import ops
    x = ops.parameter([4, 3], "f32", "x")
    i = ops.parameter([5], "i64", "i")
    g = ops.make("Gather", [x, i, ops.constant(np.int64(0))], batch_dims=0)
    m = ovcl.Model([ops.make("Result", [g])], [x, i])
    xv = rnd(rng, (4, 3))
    iv = i64([0, -1, 4, -5, 1000000])
    out = run_ovcl(m, {"x": xv, "i": iv})[0]
    ref = g.evaluate([xv, iv, np.int64(0)])[0]
    np.testing.assert_array_equal(out, ref)
    assert np.all(out[2:] == 0)


def test_gather_batch_dims(rng):
    import ovcl
    from ovcl.ir import ops
    x = ops.parameter([2, 3, 5, 4], "f32", "x")
    i = ops.parameter([2, 3, 6], "i32", "i")
    g = ops.make("Gather", [x, i, ops.constant(np.int64(2))], batch_dims=-1)
    m = ovcl.Model([ops.make("Result", [g])], [x, i])
    xv, iv = rnd(rng, (2, 3, 5, 4)), rng.integers(-5, 5, (2, 3, 6)).astype(np.int32)
    out = run_ovcl(m, {"x": xv, "i": iv})[0]
    ref = np.take_along_axis(xv, (iv % 5)[..., None].astype(np.int64), axis=2)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis, rng):
    x = rnd(rng, (4, 5, 3))
    ishape = list(x.shape)
    ishape[axis] = 6
    n = x.shape[axis]
    idx = rng.integers(-n, n, ishape).astype(np.int64)
    run1([helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis)], {"x": x, "i": idx})


@pytest.mark.parametrize("batch_dims,ishape", [(0, (3, 2)), (0, (2, 2, 3)), (1, (4, 5, 1)), (0, (1,))])
def test_gather_nd(batch_dims, ishape, rng):
    x = rnd(rng, (4, 3, 5))
    k = ishape[-1]
    idx = np.stack([rng.integers(-x.shape[batch_dims + a], x.shape[batch_dims + a], ishape[:-1])
                    for a in range(k)], -1).astype(np.int64)
    run1([helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=batch_dims)], {"x": x, "i": idx})


# -- Scatter family ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
@pytest.mark.parametrize("axis", [0, -1])
def test_scatter_elements(reduction, axis, rng):
    x = rnd(rng, (5, 6))
    ishape = [3, 4]
    n = x.shape[axis]
    if reduction == "none":     # distinct targets along the axis (duplicates are undefined)
        cols = [rng.permutation(n)[:ishape[axis % 2]] - rng.integers(0, 2) * n for _ in range(ishape[1 - axis % 2])]
        idx = np.stack(cols, 1 if axis % 2 == 0 else 0).astype(np.int64)
    else:
        idx = rng.integers(-n, n, ishape).astype(np.int64)
    u = rnd(rng, ishape)
    run1([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=axis, reduction=reduction)],
         {"x": x, "i": idx, "u": u}, opset=18)


def test_scatter_old(rng):
    x = rnd(rng, (4, 4))
    idx = np.array([[1, 0, 3, 2], [2, 1, 0, 3]], np.int64)
    u = rnd(rng, (2, 4))
    run1([helper.make_node("Scatter", ["x", "i", "u"], ["y"], axis=0)], {"x": x, "i": idx, "u": u}, opset=9)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd(reduction, rng):
    x = rnd(rng, (4, 5, 3))
    if reduction == "none":
        idx = i64([[0, 1], [3, -1], [2, 2]])
    else:
        idx = i64([[0, 1], [3, -1], [0, 1], [1, 0]])
    u = rnd(rng, (idx.shape[0], 3))
    run1([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction=reduction)],
         {"x": x, "i": idx, "u": u}, opset=18)


def test_scatter_nd_elements_int(rng):
    x = rnd(rng, (6,), np.int32)
    idx = i64([[1], [4], [-1], [1]])
    u = rnd(rng, (4,), np.int32)
    run1([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction="add")], {"x": x, "i": idx, "u": u},
         opset=18)


def _ir_model(node_fn, params):
    import ovcl
    from ovcl.ir import ops
    ps = [ops.parameter(list(a.shape), str(a.dtype) if a.dtype != np.bool_ else "boolean", n) for n, a in params.items()]
    node = node_fn(*ps)
    return ovcl.Model([ops.make("Result", [node.output(k)]) for k in range(node.get_output_size())], ps), node


@pytest.mark.parametrize("reduction", ["sum", "prod", "min", "max", "mean"])
@pytest.mark.parametrize("use_init", [True, False])
def test_scatter_elements_update_ir(reduction, use_init, rng):
    from ovcl.ir import ops
    x = rnd(rng, (4, 5))
    idx = rng.integers(-4, 4, (6, 5)).astype(np.int32)
    u = rnd(rng, (6, 5))
    m, node = _ir_model(lambda a, b, c: ops.make("ScatterElementsUpdate", [a, b, c, ops.constant(np.int64(0))],
                                                 reduction=reduction, use_init_val=use_init),
                        {"x": x, "i": idx, "u": u})
    out = run_ovcl(m, {"x": x, "i": idx, "u": u})
    ref = node.evaluate([x, idx, u, np.int64(0)])
    assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_scatter_update_ir(rng):
    from ovcl.ir import ops
    x = rnd(rng, (3, 5, 4))
    idx = i64([[4, 0], [-2, 1]])
    u = rnd(rng, (3, 2, 2, 4))
    m, node = _ir_model(lambda a, b, c: ops.make("ScatterUpdate", [a, b, c, ops.constant(np.int64(1))]),
                        {"x": x, "i": idx, "u": u})
    out = run_ovcl(m, {"x": x, "i": idx, "u": u})
    assert_close(out, node.evaluate([x, idx, u, np.int64(1)]))


# -- Shape, Size, Constant, ConstantOfShape, Expand, Tile -------------------------------------------------------

def test_shape_chain(rng):
    """Shape → Gather → Concat → Reshape folds at compile time."""
    x = rnd(rng, (2, 3, 4))
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "i0"], ["d0"], axis=0),
             helper.make_node("Unsqueeze", ["d0", "ax"], ["d0u"]),
             helper.make_node("Concat", ["d0u", "m1"], ["t"], axis=0),
             helper.make_node("Reshape", ["x", "t"], ["y"]),
             helper.make_node("Shape", ["x"], ["s2"], start=1),
             helper.make_node("Size", ["x"], ["n"])]
    run1(nodes, {"x": x}, outputs=("y", "s2", "n"),
         initializers=[("i0", i64(0)), ("ax", i64([0])), ("m1", i64([-1]))])


def test_constants(rng):
    x = rnd(rng, (2, 3))
    nodes = [helper.make_node("Constant", [], ["c1"], value_floats=[1.0, 2.0, 3.0]),
             helper.make_node("Constant", [], ["c2"], value_int=7),
             helper.make_node("Constant", [], ["c3"], value=helper.make_tensor("v", TensorProto.FLOAT, [2, 1], [5, 6])),
             helper.make_node("Add", ["x", "c1"], ["a"]),
             helper.make_node("Mul", ["a", "c3"], ["y"]),
             helper.make_node("ConstantOfShape", ["shp"], ["z"],
                              value=helper.make_tensor("v", TensorProto.INT32, [1], [4])),
             helper.make_node("Identity", ["c2"], ["w"])]
    run1(nodes, {"x": x}, outputs=("y", "z", "w"), initializers=[("shp", i64([3, 2]))])


@pytest.mark.parametrize("xshape,shape", [((3, 1), (2, 3, 4)), ((1,), (5,)), ((2, 3), (3,)), ((4, 1, 2), (1, 3, 1))])
def test_expand(xshape, shape, rng):
    x = rnd(rng, xshape)
    run1([helper.make_node("Expand", ["x", "s"], ["y"])], {"x": x}, initializers=[("s", i64(shape))])


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 2)), ((5,), (3,)), ((1, 3, 2), (4, 1, 3)), ((3, 2), (1, 1))])
def test_tile(shape, reps, rng):
    x = rnd(rng, shape, np.int32)
    run1([helper.make_node("Tile", ["x", "r"], ["y"])], {"x": x}, initializers=[("r", i64(reps))])


# -- Pad --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("pads", [(0, 1, 2, 0, 3, 1), (2, 0, 0, 1, 0, 2), (-1, 1, 0, 0, -2, 1), (0, 0, 0, 0, 0, 0)])
def test_pad(mode, pads, rng):
    x = rnd(rng, (4, 5, 3))
    run1([helper.make_node("Pad", ["x", "p", "v"], ["y"], mode=mode)], {"x": x},
         initializers=[("p", i64(pads)), ("v", np.float32(1.5))])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_outer_axes_only(mode, rng):
    """Rows that are copied whole as vectors, padding on the outer axes only (a pad row must still be written)."""
    x = rnd(rng, (4, 5, 8))
    run1([helper.make_node("Pad", ["x", "p", "v"], ["y"], mode=mode)], {"x": x},
         initializers=[("p", i64((1, 0, 0, 0, 2, 0))), ("v", np.float32(0.75))])


def test_pad_opset2_and_axes(rng):
    x = rnd(rng, (3, 4))
    run1([helper.make_node("Pad", ["x"], ["y"], pads=[1, 0, 2, 3], value=-2.0)], {"x": x}, opset=2)
    run1([helper.make_node("Pad", ["x", "p", "", "a"], ["y"])], {"x": x}, opset=18,
         initializers=[("p", i64([2, 1])), ("a", i64([-1]))])


def test_pad_wrap(rng):
    x = rnd(rng, (4, 5, 3))
    run1([helper.make_node("Pad", ["x", "p"], ["y"], mode="wrap")], {"x": x}, opset=19,
         initializers=[("p", i64([1, 0, 2, 3, -1, 1]))])


@pytest.mark.parametrize("mode", ["symmetric", "reflect"])
def test_pad_long_ir(mode, rng):
    """Pads longer than the dimension reflect periodically (as NumPy)."""
    from ovcl.ir import ops
    x = rnd(rng, (3, 4))
    m, node = _ir_model(lambda a: ops.make("Pad", [a, ops.constant(i64([2, 5])), ops.constant(i64([3, 1]))],
                                           pad_mode=mode), {"x": x})
    out = run_ovcl(m, {"x": x})
    ref = np.pad(x, [(2, 3), (5, 1)], mode=mode)
    np.testing.assert_array_equal(out[0], ref)
    np.testing.assert_array_equal(node.evaluate([x, i64([2, 5]), i64([3, 1])])[0], ref)


# -- Range, Dropout, DepthToSpace, SpaceToDepth, OneHot, Trilu, EyeLike -----------------------------------------

@pytest.mark.parametrize("vals,dtype", [((0, 10, 3), np.int64), ((5, -3, -2), np.int32), ((0.5, 3.0, 0.7), np.float32),
                                        ((4, 4, 1), np.int64)])
def test_range(vals, dtype):
    inits = [(n, np.array(v, dtype=dtype)) for n, v in zip("abc", vals)]
    x = np.zeros((1,), dtype)
    run1([helper.make_node("Range", ["a", "b", "c"], ["r"]), helper.make_node("Add", ["r", "x"], ["y"])],
         {"x": x}, initializers=inits)


@pytest.mark.parametrize("vals,dtype", [((2, 11, 3), np.int64), ((0.5, -3.0, -0.7), np.float32)])
def test_range_of_runtime_values(vals, dtype):
    """Start, limit and delta as inputs: the length is known at run time only (the plan is cut at the Range,
    its tail specialised with the values)."""
    run1([helper.make_node("Range", ["a", "b", "c"], ["y"])],
         {n: np.array(v, dtype=dtype) for n, v in zip("abc", vals)})


@pytest.mark.parametrize("shape", [(5,), (3, 1, 7)])
def test_nonzero(shape, rng):
    """NonZero's length depends on the values: its kernel writes the bounded form, the plan is cut after it."""
    x = rng.standard_normal(shape).astype(np.float32)
    x[x < 0.3] = 0
    run1([helper.make_node("NonZero", ["x"], ["y"])], {"x": x})


def test_dropout(rng):
    x = rnd(rng, (3, 4))
    run1([helper.make_node("Dropout", ["x"], ["y", "m"])], {"x": x}, outputs=("y", "m"))


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_space(mode, rng):
    x = rnd(rng, (2, 12, 3, 5))
    run1([helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode=mode)], {"x": x})
    run1([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=3)], {"x": rnd(rng, (1, 2, 6, 9))})


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_onehot(axis, rng):
    idx = rng.integers(-5, 5, (3, 4)).astype(np.int64)
    run1([helper.make_node("OneHot", ["i", "d", "v"], ["y"], axis=axis)], {"i": idx},
         initializers=[("d", np.float32(5)), ("v", np.array([-1.0, 2.0], np.float32))])


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [0, 2, -1])
def test_trilu(upper, k, rng):
    x = rnd(rng, (2, 4, 6))
    run1([helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)], {"x": x}, initializers=[("k", i64(k))])


def test_eyelike(rng):
    x = rnd(rng, (4, 6))
    run1([helper.make_node("EyeLike", ["x"], ["y"], k=1, dtype=TensorProto.INT32)], {"x": x})


# -- Reshape family ---------------------------------------------------------------------------------------------

def test_reshape_flatten_squeeze(rng):
    x = rnd(rng, (2, 1, 3, 4))
    nodes = [helper.make_node("Reshape", ["x", "s"], ["a"]),
             helper.make_node("Flatten", ["x"], ["b"], axis=2),
             helper.make_node("Squeeze", ["x", "ax"], ["c"]),
             helper.make_node("Unsqueeze", ["x", "ax2"], ["d"])]
    run1(nodes, {"x": x}, outputs=("a", "b", "c", "d"),
         initializers=[("s", i64([0, -1, 4])), ("ax", i64([1])), ("ax2", i64([0, -1]))])
    nodes = [helper.make_node("Squeeze", ["x"], ["c"], axes=[1]), helper.make_node("Unsqueeze", ["x"], ["d"], axes=[4])]
    run1(nodes, {"x": x}, outputs=("c", "d"), opset=11)


# -- Resize / Upsample ------------------------------------------------------------------------------------------

RESIZE = [
    ("nearest", "asymmetric", "floor", (1, 2, 4, 5), [1, 1, 2, 3], None),
    ("nearest", "half_pixel", "round_prefer_floor", (1, 2, 4, 5), [1, 1, 0.5, 1.6], None),
    ("nearest", "align_corners", "round_prefer_ceil", (1, 1, 3, 4), None, [1, 1, 7, 5]),
    ("nearest", "tf_half_pixel_for_nn", "ceil", (2, 1, 5, 3), None, [2, 1, 3, 7]),
    ("linear", "half_pixel", "round_prefer_floor", (1, 2, 4, 5), [1, 1, 2, 1.5], None),
    ("linear", "pytorch_half_pixel", "round_prefer_floor", (1, 2, 4, 5), None, [1, 2, 1, 9]),
    ("linear", "align_corners", "round_prefer_floor", (2, 3, 5), None, [2, 3, 11]),
    ("linear", "asymmetric", "round_prefer_floor", (1, 1, 6, 6), [1, 1, 0.5, 0.5], None),
    ("cubic", "half_pixel", "round_prefer_floor", (1, 2, 4, 5), [1, 1, 2, 1.5], None),
    ("cubic", "align_corners", "round_prefer_floor", (1, 1, 5, 5), None, [1, 1, 3, 8]),
    ("cubic", "asymmetric", "round_prefer_floor", (1, 1, 8, 4), [1, 1, 0.5, 2], None),
]


@pytest.mark.parametrize("mode,coord,nearest,shape,scales,sizes", RESIZE)
def test_resize(mode, coord, nearest, shape, scales, sizes, rng):
    x = rnd(rng, shape)
    inits = [("roi", np.zeros((0,), np.float32))]
    if scales is not None:
        inits.append(("sc", np.asarray(scales, np.float32)))
        ins = ["x", "roi", "sc"]
    else:
        inits.append(("sz", i64(sizes)))
        ins = ["x", "roi", "", "sz"]
    run1([helper.make_node("Resize", ins, ["y"], mode=mode, coordinate_transformation_mode=coord,
                           nearest_mode=nearest)], {"x": x}, initializers=inits, opset=13, rtol=1e-4, atol=1e-5)


def test_resize_axes_opset18(rng):
    x = rnd(rng, (1, 3, 4, 5))
    run1([helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="linear", axes=[2, 3])], {"x": x},
         initializers=[("sz", i64([7, 3]))], opset=18, rtol=1e-4, atol=1e-5)


def test_resize_opset10_and_upsample(rng):
    x = rnd(rng, (1, 2, 3, 4))
    run1([helper.make_node("Resize", ["x", "sc"], ["y"], mode="nearest")], {"x": x},
         initializers=[("sc", np.array([1, 1, 2, 2.5], np.float32))], opset=10)
    run1([helper.make_node("Resize", ["x", "sc"], ["y"], mode="nearest")], {"x": rnd(rng, (1, 1, 7, 9))},
         initializers=[("sc", np.array([1, 1, 0.34, 1.7], np.float32))], opset=10)
    run1([helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")], {"x": x},
         initializers=[("sc", np.array([1, 1, 2, 3], np.float32))], opset=9)
    run1([helper.make_node("Upsample", ["x", "sc"], ["y"], mode="linear")], {"x": x},
         initializers=[("sc", np.array([1, 1, 2, 2], np.float32))], opset=9, rtol=1e-4, atol=1e-5)


# -- ReverseSequence, Roll, Reverse, StridedSlice, Broadcast (IR) -----------------------------------------------

@pytest.mark.parametrize("batch_axis,time_axis", [(0, 1), (1, 0)])
def test_reverse_sequence(batch_axis, time_axis, rng):
    shape = [4, 4, 3]
    x = rnd(rng, shape)
    lens = i64([4, 1, 2, 3])
    run1([helper.make_node("ReverseSequence", ["x", "l"], ["y"], batch_axis=batch_axis, time_axis=time_axis)],
         {"x": x, "l": lens})


def _ir_check(make_node, x, consts):
    from ovcl.ir import ops
    m, node = _ir_model(lambda a: make_node(a, *[ops.constant(c) for c in consts]), {"x": x})
    out = run_ovcl(m, {"x": x})
    ref = node.evaluate([x, *consts])
    assert_close(out, ref)
    return out


@pytest.mark.parametrize("shift,axes", [([2], [0]), ([-1, 3], [1, -1]), ([7], [0, 1])])
def test_roll(shift, axes, rng):
    from ovcl.ir import ops
    x = rnd(rng, (5, 4, 3))
    out = _ir_check(lambda a, s, ax: ops.make("Roll", [a, s, ax]), x, [i64(shift), i64(axes)])
    np.testing.assert_array_equal(out[0], np.roll(x, shift if len(shift) == len(axes) else shift * len(axes), axes))


def test_reverse(rng):
    from ovcl.ir import ops
    x = rnd(rng, (3, 4, 5))
    out = _ir_check(lambda a, ax: ops.make("Reverse", [a, ax], mode="index"), x, [i64([0, 2])])
    np.testing.assert_array_equal(out[0], x[::-1, :, ::-1])
    out = _ir_check(lambda a, ax: ops.make("Reverse", [a, ax], mode="mask"), x, [np.array([False, True, False])])
    np.testing.assert_array_equal(out[0], x[:, ::-1])


STRIDED = [
    # begin, end, stride, begin_mask, end_mask, new_axis, shrink, ellipsis, numpy index
    ([1, 0], [3, 4], [1, 2], [], [], [], [], [], (slice(1, 3), slice(0, 4, 2))),
    ([0, -1], [0, 0], [1, -1], [1], [1, 1], [], [], [], (slice(None), slice(-1, None, -1))),
    ([0, -1], [0, 0], [1, -1], [1], [0, 1], [], [], [], (slice(0, 0), slice(-1, None, -1))),
    ([1, 0, 0], [2, 0, 0], [1, 1, 1], [0, 1, 1], [0, 1, 1], [0, 1], [1], [], (1, None, slice(None))),
    ([0, 2], [0, 4], [1, 1], [], [], [], [], [1, 0], (Ellipsis, slice(2, 4))),
    ([0, -2], [0, 0], [1, 1], [], [0, 1], [], [0, 1], [1, 0], (Ellipsis, -2)),
]


@pytest.mark.parametrize("b,e,s,bm,em,nm,sm,elm,ref", STRIDED)
def test_strided_slice(b, e, s, bm, em, nm, sm, elm, ref, rng):
    from ovcl.ir import ops
    x = rnd(rng, (4, 5, 6))
    out = _ir_check(lambda a, bb, ee, ss: ops.make("StridedSlice", [a, bb, ee, ss], begin_mask=bm, end_mask=em,
                                                   new_axis_mask=nm, shrink_axis_mask=sm, ellipsis_mask=elm),
                    x, [i64(b), i64(e), i64(s)])
    np.testing.assert_array_equal(out[0], x[ref])


def test_broadcast_explicit(rng):
    from ovcl.ir import ops
    x = rnd(rng, (3,))
    out = _ir_check(lambda a, t, ax: ops.make("Broadcast", [a, t, ax], mode="explicit"), x,
                    [i64([2, 3, 4]), i64([1])])
    np.testing.assert_array_equal(out[0], np.broadcast_to(x[None, :, None], (2, 3, 4)))


def test_interpolate_ir_nearest_simple(rng):
    from ovcl.ir import ops
    x = rnd(rng, (1, 1, 6, 7))
    _ir_check(lambda a, s, ax: ops.make("Interpolate", [a, s, ax], mode="nearest", shape_calculation_mode="scales",
                                        nearest_mode="simple", coordinate_transformation_mode="asymmetric"),
              x, [np.array([0.5, 1.5], np.float32), i64([2, 3])])


def test_f16_and_bool_moves(rng):
    x = rnd(rng, (3, 5), np.float16)
    b = rnd(rng, (3, 5), np.bool_)
    nodes = [helper.make_node("Transpose", ["x"], ["y"]), helper.make_node("Pad", ["b", "p"], ["z"]),
             helper.make_node("Concat", ["x", "x"], ["w"], axis=0)]
    run1(nodes, {"x": x, "b": b}, outputs=("y", "z", "w"), initializers=[("p", i64([1, 0, 0, 2]))])


def test_dynamic_shape_chains(rng):
    """A dynamic batch: Shape/Gather/Concat/Reshape, Flatten, Expand and Resize sizes fold per input shape."""
    import ovcl
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["nu"]),
             helper.make_node("Concat", ["nu", "m1"], ["t"], axis=0),
             helper.make_node("Reshape", ["x", "t"], ["a"]),
             helper.make_node("Flatten", ["x"], ["b"], axis=2),
             helper.make_node("Slice", ["s", "z", "two"], ["s01"]),
             helper.make_node("Concat", ["s01", "hw"], ["sz"], axis=0),
             helper.make_node("Resize", ["x", "", "", "sz"], ["c"], mode="linear"),
             helper.make_node("Concat", ["two", "s"], ["es"], axis=0),
             helper.make_node("Expand", ["x", "es"], ["d"])]
    m = onnx_model(nodes, [("x", np.float32, ["N", 3, 4, 5])], [(o, None, None) for o in "abcd"], opset=13,
                   initializers=[("i0", i64(0)), ("ax", i64([0])), ("m1", i64([-1])), ("z", i64([0])),
                                 ("two", i64([2])), ("hw", i64([6, 7]))])
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    for n in (2, 5, 2):
        x = rnd(rng, (n, 3, 4, 5))
        assert_close(list(compiled({"x": x}).to_tuple()), run_ort(m, {"x": x}), rtol=1e-4, atol=1e-5)


def test_split_num_outputs_uneven(rng):
    x = rnd(rng, (7, 2))
    run1([helper.make_node("Split", ["x"], ["a", "b", "c"], axis=0, num_outputs=3)], {"x": x},
         outputs=("a", "b", "c"), opset=18)


def test_upsample_opset7(rng):
    x = rnd(rng, (1, 1, 2, 3))
    run1([helper.make_node("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 3.0, 2.0])], {"x": x},
         opset=7)


def test_everything_folds_like_ort(rng):
    """All inputs constant: the NumPy evaluates (constant folding) must agree with ONNX Runtime."""
    import ovcl
    from ovcl.ir import passes
    w = rnd(rng, (2, 8, 3, 4))
    inits = [("w", w), ("perm_i", i64([2, 0, 1])), ("st", i64([1, -1])), ("en", i64([3, -100])), ("ax", i64([1, 3])),
             ("sp", i64([1, -2])), ("pads", i64([0, 1, 0, 2, 1, 0, 1, 0])), ("reps", i64([1, 2, 1, 1])),
             ("gi", i64([[1, -1], [0, 2]])), ("ge", i64(rng.integers(0, 3, (2, 8, 3, 4)))),
             ("nd", i64([[1, 0], [0, -1]])), ("ndu", rnd(rng, (2, 3, 4))), ("sc", np.array([1, 1, 2, 1.5], np.float32)),
             ("oh", i64([[0, 2], [-1, 1]])), ("d", i64(3)), ("v", np.array([0, 5], np.float32)),
             ("es", i64([3, 1, 1, 1, 1])), ("roi", np.zeros(0, np.float32)), ("spl", i64([3, 5]))]
    nodes = [helper.make_node("Slice", ["w", "st", "en", "ax", "sp"], ["o1"]),
             helper.make_node("Pad", ["w", "pads"], ["o2"], mode="reflect"),
             helper.make_node("Tile", ["w", "reps"], ["o3"]),
             helper.make_node("Gather", ["w", "gi"], ["o4"], axis=1),
             helper.make_node("GatherElements", ["w", "ge"], ["o5"], axis=2),
             helper.make_node("GatherND", ["w", "nd"], ["o6"]),
             helper.make_node("ScatterND", ["w", "nd", "ndu"], ["o7"]),
             helper.make_node("Resize", ["w", "roi", "sc"], ["o8"], mode="cubic"),
             helper.make_node("DepthToSpace", ["w"], ["o9"], blocksize=2),
             helper.make_node("OneHot", ["oh", "d", "v"], ["o10"]),
             helper.make_node("Expand", ["w", "es"], ["o11"]),
             helper.make_node("Split", ["w", "spl"], ["o12", "o13"], axis=1),
             helper.make_node("Transpose", ["w"], ["o14"], perm=[3, 1, 0, 2]),
             helper.make_node("Concat", ["w", "w"], ["o15"], axis=-1),
             helper.make_node("ReverseSequence", ["w", "rl"], ["o16"], batch_axis=0, time_axis=1),
             helper.make_node("SpaceToDepth", ["o9"], ["o17"], blocksize=2)]
    inits.append(("rl", i64([5, 2])))
    outs = [f"o{k}" for k in range(1, 18)]
    m = onnx_model(nodes, [], [(o, None, None) for o in outs], opset=13, initializers=inits)
    model = ovcl.read_model(m.SerializeToString())
    folded = passes.specialize(model)
    assert all(r.input_value(0).node.type_name == "Constant" for r in folded.get_results())
    assert_close([r.input_value(0).node.value for r in folded.get_results()], run_ort(m, {}), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["GatherElements", "GatherND", "ScatterElementsUpdate", "ScatterNDUpdate"])
def test_out_of_range_indices_are_safe(op, rng):
    """Indices beyond the data never read or write out of bounds: zeros (gathers) or skipped (scatters)."""
    from ovcl.ir import ops
    x = rnd(rng, (4, 3))
    if op == "GatherElements":
        idx = i64([[0, 9, -1], [-7, 2, 3]])
        fn = lambda a, b: ops.make(op, [a, b], axis=0)          # noqa: E731
        feeds = {"x": x, "i": idx}
    elif op == "GatherND":
        idx = i64([[0, 5], [3, -1], [-9, 0]])
        fn = lambda a, b: ops.make(op, [a, b], batch_dims=0)    # noqa: E731
        feeds = {"x": x, "i": idx}
    elif op == "ScatterElementsUpdate":
        idx = i64([[0, 9, -1], [-7, 2, 3]])
        fn = lambda a, b, c: ops.make(op, [a, b, c, ops.constant(np.int64(0))], reduction="sum")  # noqa: E731
        feeds = {"x": x, "i": idx, "u": rnd(rng, (2, 3))}
    else:
        idx = i64([[0, 5], [3, -1], [-9, 0], [1000000, 1]])
        fn = lambda a, b, c: ops.make(op, [a, b, c])   # noqa: E731
        feeds = {"x": x, "i": idx, "u": rnd(rng, (4,))}
    m, node = _ir_model(fn, feeds)
    extra = [np.int64(0)] if op == "ScatterElementsUpdate" else []
    assert_close(run_ovcl(m, feeds), node.evaluate(list(feeds.values()) + extra))


@pytest.mark.parametrize("mode,coord,scales,sizes,extra", [
    ("linear", "half_pixel_symmetric", [1, 1, 0.6, 1.7], None, {}),
    ("nearest", "half_pixel_symmetric", [1, 1, 1.5, 0.5], None, {}),
    ("linear", "half_pixel", [1, 1, 0.5, 0.34], None, {"antialias": 1}),
    ("cubic", "half_pixel", [1, 1, 0.5, 0.7], None, {"antialias": 1}),
    ("linear", "align_corners", [1, 1, 1.5, 0.6], None, {"antialias": 1}),
    ("linear", "half_pixel", None, [5, 4], {"keep_aspect_ratio_policy": "not_larger", "axes": [2, 3]}),
    ("cubic", "half_pixel", None, [4, 3], {"keep_aspect_ratio_policy": "not_smaller", "axes": [2, 3]}),
    ("linear", "half_pixel", [1, 1, 2, 3], None, {"antialias": 1}),
    ("cubic", "half_pixel", [1, 1, 0.5, 0.6], None, {"antialias": 1, "exclude_outside": 1, "cubic_coeff_a": -0.5}),
    ("linear", "half_pixel", [1, 1, 0.75, 0.5], None, {"antialias": 1, "exclude_outside": 1}),
    ("cubic", "pytorch_half_pixel", [1, 1, 2, 1.5], None, {"exclude_outside": 1}),
])
def test_resize_opset19(mode, coord, scales, sizes, extra, rng):
    x = rnd(rng, (1, 2, 8, 10))
    if scales is not None:
        inits, ins = [("sc", np.asarray(scales, np.float32))], ["x", "", "sc"]
    else:
        inits, ins = [("sz", i64(sizes))], ["x", "", "", "sz"]
    run1([helper.make_node("Resize", ins, ["y"], mode=mode, coordinate_transformation_mode=coord, **extra)],
         {"x": x}, initializers=inits, opset=19, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.int64, np.bool_])
def test_gather_rows_types(dtype, rng):
    """Row gathers move raw bits in vectors of the row: every element size."""
    table = rnd(rng, (50, 32), dtype)
    idx = rng.integers(-50, 50, (3, 7)).astype(np.int64)
    run1([helper.make_node("Gather", ["w", "i"], ["y"], axis=0), helper.make_node("GatherElements", ["w", "j"], ["z"], axis=1)],
         {"i": idx}, outputs=("y", "z"), initializers=[("w", table), ("j", np.abs(idx[:, :1] % 32).repeat(32, 1)[:2].reshape(2, 32).astype(np.int64).repeat(25, 0))])


@pytest.mark.parametrize("dtype", [np.uint8, np.int32])
@pytest.mark.parametrize("mode", ["linear", "nearest"])
def test_resize_integer(dtype, mode, rng):
    x = rng.integers(0, 255, (1, 2, 5, 6)).astype(dtype)
    run1([helper.make_node("Resize", ["x", "", "sc"], ["y"], mode=mode)], {"x": x},
         initializers=[("sc", np.array([1, 1, 1.7, 0.6], np.float32))], opset=13)


# -- against OpenVINO itself (IR semantics), where it is installed ----------------------------------------------

def _ov_run(build, x):
    ov = pytest.importorskip("openvino")
    import openvino.opset15 as o15
    p = o15.parameter(x.shape, ov.Type(x.dtype))
    compiled = ov.Core().compile_model(ov.Model([build(p, o15)], [p]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return compiled([x])[0]


@pytest.mark.parametrize("mode,coord,nearest", [
    ("nearest", "half_pixel", "round_prefer_floor"), ("nearest", "asymmetric", "floor"),
    ("nearest", "align_corners", "round_prefer_ceil"), ("nearest", "tf_half_pixel_for_nn", "simple"),
    ("linear", "half_pixel", "floor"), ("linear_onnx", "pytorch_half_pixel", "floor"),
    ("cubic", "align_corners", "floor"), ("bilinear_pillow", "half_pixel", "floor"),
    ("bicubic_pillow", "asymmetric", "floor")])
def test_interpolate_vs_openvino(mode, coord, nearest, rng):
    from ovcl.ir import ops
    x = rnd(rng, (1, 2, 8, 10))
    scales, axes = np.array([1.6, 0.7], np.float32), i64([2, 3])
    kw = dict(mode=mode, shape_calculation_mode="scales", coordinate_transformation_mode=coord, nearest_mode=nearest,
              cube_coeff=-0.5 if "pillow" in mode else -0.75)

    def build(p, o):
        import openvino.opset11 as o11
        return o11.interpolate(p, o.constant(scales), axes=o.constant(axes), **kw)
    ref = _ov_run(build, x)
    out = _ir_check(lambda a, s, ax: ops.make("Interpolate", [a, s, ax], **kw), x, [scales, axes])
    assert_close(out, [ref], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "prod", "max"])
@pytest.mark.parametrize("use_init", [True, False])
def test_scatter_elements_vs_openvino(reduction, use_init, rng):
    from ovcl.ir import ops
    x = rng.integers(-50, 50, (4, 5)).astype(np.int32)
    i = rng.integers(-4, 4, (6, 5)).astype(np.int64)
    u = rng.integers(-50, 50, (6, 5)).astype(np.int32)
    ref = _ov_run(lambda p, o: o.scatter_elements_update(p, o.constant(i), o.constant(u), o.constant(np.int64(0)),
                                                         reduction, use_init), x)
    out = _ir_check(lambda a, ii, uu, ax: ops.make("ScatterElementsUpdate", [a, ii, uu, ax], reduction=reduction,
                                                   use_init_val=use_init), x, [i, u, np.int64(0)])
    np.testing.assert_array_equal(out[0], ref)
