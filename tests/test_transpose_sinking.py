"""Transpose sinking (ovcl.ir.passes.sink_transposes): the Transposes of NHWC models sink through
layout-agnostic ops and cancel, and the model computes what it did, with the same output names."""
import numpy as np
import pytest

import ovcl
from ovcl.ir import Model, ops
from ovcl.ir.passes import sink_transposes

TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def evaluate(model, feeds):
    """The model's results by each op's NumPy evaluation."""
    values = {}
    params = model.get_parameters()
    for node in model.get_ordered_ops():
        if node.type_name == "Parameter":
            outs = [feeds[params.index(node)]]
        elif node.type_name == "Constant":
            outs = [node.value]
        else:
            outs = node.evaluate([values[(i.node.id, i.index)] for i in node.input_values()])
        for k, v in enumerate(outs):
            values[(node.id, k)] = np.asarray(v)
    return [values[(r.id, 0)] for r in model.get_results()]


def sunk(model, feeds):
    """Run the pass; check that results, shapes, types and output names stay. Returns the count it gave."""
    shapes = [(o.get_partial_shape(), o.get_element_type(), o.get_names()) for o in model.outputs]
    want = evaluate(model, feeds)
    removed = sink_transposes(model)
    model.validate_nodes_and_infer_types()
    assert [(o.get_partial_shape(), o.get_element_type(), o.get_names()) for o in model.outputs] == shapes
    for got, ref in zip(evaluate(model, feeds), want):
        assert got.shape == ref.shape and got.dtype == ref.dtype
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    return removed


def kinds(model, type_name="Transpose"):
    return [n for n in model.get_ordered_ops() if n.type_name == type_name]


def t(x, perm):
    return ops.make("Transpose", [x, ops.constant(np.array(perm, np.int64))])


def nhwc_conv(x, rng, cin, cout, k=3):
    """What an NHWC frontend emits for a convolution: Transpose, NCHW Convolution, Transpose back."""
    w = ops.constant(rng.standard_normal((cout, cin, k, k)).astype(np.float32) * 0.3)
    conv = ops.make("Convolution", [t(x, TO_NCHW), w], strides=[1, 1], dilations=[1, 1],
                    pads_begin=[k // 2] * 2, pads_end=[k // 2] * 2)
    return t(conv, TO_NHWC)


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def add(a, b):
    return ops.make("Add", [a, b])


def nhwc_cnn(rng, h=6, w=6):
    """conv -> bias -> relu -> conv -> bias -> + residual -> relu6 -> conv -> concat -> pad -> conv -> mean ->
    flatten -> matmul -> softmax, NHWC throughout as a TFLite frontend writes it."""
    x = ops.parameter([1, h, w, 3], name="image")
    c1 = ops.make("Relu", [add(nhwc_conv(x, rng, 3, 8), ops.constant(f32(rng, 8)))])
    c2 = add(nhwc_conv(c1, rng, 8, 8), ops.constant(f32(rng, 8)))
    r = ops.make("Clamp", [add(c2, c1)], min=0.0, max=6.0)
    c3 = ops.make("Multiply", [nhwc_conv(r, rng, 8, 4, k=1), ops.constant(f32(rng, 1, 1, 1, 4))])
    cat = ops.make("Concat", [c3, r], axis=3)
    pad = ops.make("Pad", [cat, ops.constant(np.array([0, 1, 1, 0])), ops.constant(np.array([0, 1, 1, 0]))])
    c4 = nhwc_conv(pad, rng, 12, 16)
    mean = ops.make("ReduceMean", [c4, ops.constant(np.array([1, 2]))], keep_dims=True)
    flat = ops.make("Reshape", [mean, ops.constant(np.array([1, 16]))])
    fc = ops.make("MatMul", [flat, ops.constant(f32(rng, 16, 10))])
    probs = ops.make("Softmax", [fc], axis=-1)
    probs.output(0).set_names({"probs"})
    return Model([probs], [x], "nhwc_cnn")


def test_nhwc_cnn_keeps_one_transpose_after_the_input(rng):
    model = nhwc_cnn(rng)
    assert len(kinds(model)) == 8
    x = f32(rng, 1, 6, 6, 3)
    assert sunk(model, [x]) == 7
    left = kinds(model)
    assert len(left) == 1 and left[0].input_value(0).node.type_name == "Parameter"
    assert model.output("probs").get_names() == {"probs"}
    assert len(kinds(model, "Convolution")) == 4


def test_nhwc_cnn_compiles_and_runs(rng):
    model = nhwc_cnn(rng, 7, 5)
    x = f32(rng, 1, 7, 5, 3)
    want = evaluate(model, [x])[0]
    sink_transposes(model)
    compiled = ovcl.compile_model(model, "CPU")
    np.testing.assert_allclose(compiled([x])[0], want, rtol=1e-4, atol=1e-5)


def test_transposes_compose_and_cancel(rng):
    x = ops.parameter([2, 3, 4, 5], name="x")
    a = t(t(x, [0, 2, 3, 1]), [0, 3, 1, 2])                 # cancels
    b = t(t(x, [1, 0, 2, 3]), [0, 2, 1, 3])                 # composes into one
    c = t(ops.make("Relu", [x]), [0, 1, 2, 3])              # identity
    model = Model([ops.make("Multiply", [a, x]), b, c], [x])
    assert sunk(model, [f32(rng, 2, 3, 4, 5)]) == 4
    assert [list(n.input_const(1)) for n in kinds(model)] == [[1, 2, 0, 3]]


def test_output_names_stay_when_a_result_reads_a_transpose(rng):
    x = ops.parameter([1, 4, 3, 2], name="x")
    y = ops.make("Relu", [t(x, TO_NHWC)])
    y.output(0).set_names({"y"})
    back = t(t(x, TO_NHWC), TO_NCHW)             # would make the output the input: stays
    back.output(0).set_names({"same"})
    model = Model([y, back], [x])
    sunk(model, [f32(rng, 1, 4, 3, 2)])
    first = model.get_results()[0].input_value(0).node
    assert first.type_name == "Transpose" and first.input_value(0).node.type_name == "Relu"
    assert model.output("y").get_names() == {"y"} and model.output("same").get_names() == {"same"}
    assert model.get_parameters()[0].output(0).get_names() == {"x"}


def test_elementwise_with_constants_and_quantize_chain(rng):
    """Per-channel constants (one a decompressed f16 one), scalars, PRelu's channel slope, a quantize chain."""
    x = ops.parameter([1, 5, 4, 6], name="x")
    h = t(x, TO_NHWC)                                                    # [1, 4, 6, 5]
    scale = ops.make("Convert", [ops.constant(f32(rng, 5).astype(np.float16))], destination_type="f32")
    h = ops.make("Multiply", [h, scale])
    h = ops.make("PRelu", [h, ops.constant(f32(rng, 5))])
    h = ops.make("PRelu", [h, ops.constant(f32(rng, 4))])             # matches axis 1 (H): per "channel" there
    h = ops.make("Divide", [h, ops.constant(np.float32(0.05))])
    h = ops.make("Round", [h])
    h = add(h, ops.constant(f32(rng, 6, 5).round()))
    h = ops.make("Clamp", [h], min=-128.0, max=127.0)
    q = ops.make("Convert", [h], destination_type="i8")
    h = ops.make("Convert", [q], destination_type="f32")
    h = ops.make("Subtract", [h, ops.constant(np.ones((1, 1, 1, 1), np.float32))])
    h = ops.make("Swish", [h, ops.constant(np.float32(0.5))])
    h = ops.make("Select", [ops.make("Greater", [h, ops.constant(np.float32(0))]), h, ops.constant(f32(rng, 5))])
    out = t(h, TO_NCHW)
    out.output(0).set_names({"out"})
    model = Model([out], [x])
    assert sunk(model, [f32(rng, 1, 5, 4, 6)]) == 2
    assert not kinds(model)


def test_binary_with_other_layouts_stays(rng):
    x, y = ops.parameter([1, 2, 3, 4], name="x"), ops.parameter([1, 3, 4, 2], name="y")
    model = Model([t(add(t(x, TO_NHWC), y), TO_NCHW)], [x, y])
    assert sunk(model, [f32(rng, 1, 2, 3, 4), f32(rng, 1, 3, 4, 2)]) == 0
    assert len(kinds(model)) == 2


def test_residual_add_of_two_branches_and_shared_transpose(rng):
    """A Transpose read by two ops sinks into each; its own Transpose stays for a Reshape."""
    x = ops.parameter([1, 4, 3, 3], name="x")
    h = t(x, TO_NHWC)
    a, b = ops.make("Relu", [h]), ops.make("Sigmoid", [h])
    s = t(add(a, b), TO_NCHW)
    flat = ops.make("Reshape", [h, ops.constant(np.array([1, 36]))])
    model = Model([s, flat], [x])
    assert sunk(model, [f32(rng, 1, 4, 3, 3)]) == 1
    left = kinds(model)
    assert len(left) == 1 and left[0].input_value(0).node.type_name == "Parameter"


def _wrap(rng, shape, build, back=TO_NCHW):
    """x (NCHW) -> Transpose to NHWC -> build -> Transpose ``back`` (None: no Transpose back)."""
    x = ops.parameter(shape, name="x")
    y = build(t(x, TO_NHWC))
    out = t(y, back) if back else y
    out.output(0).set_names({"out"})
    model = Model([out], [x])
    return model, [f32(rng, *shape)]


def _const(v):
    return ops.constant(np.array(v, np.int64))


CASES = {
    "concat": (lambda h: ops.make("Concat", [ops.make("Relu", [h]), h, ops.constant(np.zeros((1, 4, 5, 2),
                                                                                             np.float32))], axis=-1),
               TO_NCHW, 0),
    "pad": (lambda h: ops.make("Pad", [h, _const([0, 1, 0, 2]), _const([1, 0, 2]), ops.constant(np.float32(3))]),
            TO_NCHW, 0),
    "pad_reflect": (lambda h: ops.make("Pad", [h, _const([0, 1, 2, 0]), _const([0, 1, 0, 0])], pad_mode="reflect"),
                    TO_NCHW, 0),
    "softmax": (lambda h: ops.make("Softmax", [h], axis=3), TO_NCHW, 0),
    "log_softmax": (lambda h: ops.make("LogSoftmax", [h], axis=1), TO_NCHW, 0),
    "mean_keep": (lambda h: ops.make("ReduceMean", [h, _const([1, 2])], keep_dims=True), TO_NCHW, 0),
    "mean_drop": (lambda h: ops.make("ReduceMean", [h, _const([1, 2])]), None, 0),
    "max_drop_batch": (lambda h: ops.make("ReduceMax", [h, _const(0)]), None, 1),
    "sum_drop_channel": (lambda h: ops.make("ReduceSum", [h, _const([-1])]), None, 0),
    "mvn": (lambda h: ops.make("MVN", [h, _const([1, 2])], eps=1e-5), TO_NCHW, 0),
    "cumsum": (lambda h: ops.make("CumSum", [h, _const(2)], reverse=True), TO_NCHW, 0),
    "split": (lambda h: ops.make("Concat", ops.make("Split", [h, _const(3)], num_splits=3).outputs()[::-1], axis=3),
              TO_NCHW, 0),
    "variadic_split": (lambda h: ops.make("VariadicSplit", [h, _const(1), _const([1, -1])]).output(1), TO_NCHW, 0),
    "strided_slice": (lambda h: ops.make("StridedSlice", [h, _const([0, 1, 0]), _const([0, 4, 5]), _const([1, 2, 2])],
                                         begin_mask=[1, 0, 0], end_mask=[1, 0, 0]), TO_NCHW, 0),
    "strided_slice_shrink": (lambda h: ops.make("StridedSlice", [h, _const([0, 1, 0, 1]), _const([0, 2, 0, 3]),
                                                                 _const([1, 1, 1, 1])],
                                                begin_mask=[1, 0, 1, 0], end_mask=[1, 0, 1, 0],
                                                shrink_axis_mask=[0, 1]), [0, 2, 1], 0),
    "slice_axes": (lambda h: ops.make("Slice", [h, _const([1, -3]), _const([3, 100]), _const([1, 2]), _const([3, 1])]),
                   TO_NCHW, 0),
    "slice_no_axes": (lambda h: ops.make("Slice", [h, _const([0, 3, 1]), _const([1, 0, 4]), _const([1, -1, 2])]),
                      TO_NCHW, 0),
    "gather_1d": (lambda h: ops.make("Gather", [h, _const([2, 0, 1]), _const(3)]), TO_NCHW, 0),
    "gather_scalar": (lambda h: ops.make("Gather", [h, _const(1), _const(-1)]), None, 0),
    "gather_scalar_spatial": (lambda h: ops.make("Gather", [h, _const(1), _const(1)]), [0, 2, 1], 0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sinks_through(case, rng):
    build, back, left = CASES[case]
    model, feeds = _wrap(rng, [1, 3, 4, 5], build, back)
    sunk(model, feeds)
    assert len(kinds(model)) == left


def test_transpose_of_size_one_axes_is_a_reshape(rng):
    x = ops.parameter([2, 7, 1, 1], name="x")
    flat = ops.make("Squeeze", [t(x, TO_NHWC), _const([1, 2])])
    model = Model([flat], [x])
    assert sunk(model, [f32(rng, 2, 7, 1, 1)]) == 1
    assert not kinds(model) and kinds(model, "Reshape")


def test_reshape_of_a_transpose_stays(rng):
    model, feeds = _wrap(rng, [1, 3, 4, 5], lambda h: ops.make("Reshape", [h, _const([1, 60])]), None)
    assert sunk(model, feeds) == 0
    assert len(kinds(model)) == 1


def test_transpose_of_a_constant_folds(rng):
    x = ops.parameter([4, 3], name="x")
    model = Model([add(x, t(ops.constant(f32(rng, 3, 4)), [1, 0]))], [x])
    assert sunk(model, [f32(rng, 4, 3)]) == 1
    assert not kinds(model)


def test_dynamic_batch(rng):
    """A batch of unknown size: the convolutions' Transposes still cancel, the flatten's is a Reshape with -1."""
    x = ops.parameter([-1, 5, 5, 3], name="x")
    h = ops.make("Relu", [add(nhwc_conv(x, rng, 3, 6), ops.constant(f32(rng, 6)))])
    mean = ops.make("ReduceMax", [nhwc_conv(h, rng, 6, 4), _const([1, 2])], keep_dims=True)
    model = Model([ops.make("Squeeze", [mean, _const([1, 2])])], [x])
    assert sunk(model, [f32(rng, 2, 5, 5, 3)]) == 3
    assert len(kinds(model)) == 1
    assert [list(r.input_const(1)) for r in kinds(model, "Reshape")] == [[-1, 1, 1, 4]]


def test_squeeze_excite_multiply(rng):
    """x * sigmoid(fc(mean(x))): the [N,1,1,C] scale is not a constant, but its transposition is a Reshape."""
    x = ops.parameter([1, 8, 5, 5], name="x")
    h = t(x, TO_NHWC)
    mean = ops.make("ReduceMean", [h, _const([1, 2])], keep_dims=True)
    fc = ops.make("MatMul", [ops.make("Reshape", [mean, _const([1, 8])]), ops.constant(f32(rng, 8, 8))])
    scale = ops.make("Reshape", [ops.make("Sigmoid", [fc]), _const([1, 1, 1, 8])])
    model = Model([t(ops.make("Multiply", [h, scale]), TO_NCHW)], [x])
    assert sunk(model, [f32(rng, 1, 8, 5, 5)]) == 2
    assert not kinds(model)


def test_concat_transposes_the_odd_input_out(rng):
    """Two of three Concat inputs are Transposes: the third gets the inverse one, the Concat runs untransposed."""
    x, y = ops.parameter([1, 3, 4, 5], name="x"), ops.parameter([1, 4, 5, 2], name="y")
    h = t(x, TO_NHWC)
    cat = ops.make("Concat", [ops.make("Relu", [h]), ops.make("Sigmoid", [h]), y], axis=3)
    model = Model([t(cat, TO_NCHW)], [x, y])
    assert sunk(model, [f32(rng, 1, 3, 4, 5), f32(rng, 1, 4, 5, 2)]) == 1
    left = kinds(model)
    assert len(left) == 1 and left[0].input_value(0).node is model.get_parameters()[1]
