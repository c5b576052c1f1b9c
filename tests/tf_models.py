"""Builds the TensorFlow frontend's test models with TensorFlow and Keras (random weights, logits as outputs) and
saves, next to each, an .npz of random inputs and TensorFlow's outputs for them.

Run as ``python tests/tf_models.py OUTDIR [--slow]`` (the tests run it once per session in a subprocess, so the
pytest process never imports TensorFlow). Each model is ``OUTDIR/<name>`` (a SavedModel directory, or
``<name>.pb`` / ``<name>.pbtxt`` for frozen graphs) and ``OUTDIR/<name>.npz`` with ``in:<input>`` and
``out:<output>`` arrays, inputs and outputs named as ovcl names them."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.get_logger().setLevel("ERROR")
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2  # noqa: E402

rng = np.random.default_rng(0)


def _randomize(model):
    """Random BatchNorm statistics, so that the frozen and the folded normalization are really tested."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.1, c).astype(np.float32))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, c).astype(np.float32))
            if layer.gamma is not None:
                layer.gamma.assign(rng.uniform(0.5, 1.5, c).astype(np.float32))
            if layer.beta is not None:
                layer.beta.assign(rng.normal(0, 0.1, c).astype(np.float32))
    return model


def _save_io(out, name, inputs: dict, outputs: dict):
    np.savez(os.path.join(out, f"{name}.npz"), **{f"in:{k}": v for k, v in inputs.items()},
             **{f"out:{k}": np.asarray(v) for k, v in outputs.items()})


def keras_export(out, name, model, x):
    """A Keras 3 ``model.export()`` SavedModel; its signature names the input after the Keras input and the output
    ``output_0``."""
    model.export(os.path.join(out, name), verbose=False)
    in_name = model.inputs[0].name
    _save_io(out, name, {in_name: x}, {"output_0": model(x, training=False)})


def frozen_graph(out, name, model, x, text=False):
    """The model traced and frozen (variables → constants) into a GraphDef: input ``x``, output ``Identity``."""
    spec = tf.TensorSpec([None, *x.shape[1:]], tf.as_dtype(x.dtype), name="x")
    cf = tf.function(lambda t: model(t, training=False)).get_concrete_function(spec)
    gd = convert_variables_to_constants_v2(cf).graph.as_graph_def()
    if text:
        tf.io.write_graph(gd, out, f"{name}.pbtxt", as_text=True)
    else:
        tf.io.write_graph(gd, out, f"{name}.pb", as_text=False)
    _save_io(out, name, {"x": x}, {"Identity": model(x, training=False)})


def encoder(vocab=100, seq=16, dim=32, heads=4):
    tokens = keras.Input((seq,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab, dim)(tokens)
    pos = keras.layers.Embedding(seq, dim)(keras.ops.arange(seq))
    x = x + pos
    for _ in range(2):
        a = keras.layers.MultiHeadAttention(heads, dim // heads)(x, x)
        x = keras.layers.LayerNormalization()(x + a)
        f = keras.layers.Dense(dim * 2, activation="gelu")(x)
        f = keras.layers.Dense(dim)(f)
        x = keras.layers.LayerNormalization()(x + f)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, keras.layers.Dense(3)(x))


class Small(tf.Module):
    """A tf.function with variables and shape arithmetic (Shape, StridedSlice, Pack, Reshape, Range, Fill,
    ConcatV2, GatherV2, SelectV2, Cast, ExpandDims, Squeeze, Mean)."""

    def __init__(self):
        self.w = tf.Variable(rng.normal(size=(6, 8)).astype(np.float32))
        self.b = tf.Variable(rng.normal(size=(8,)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 4, 6], tf.float32, name="x")])
    def __call__(self, x):
        n = tf.shape(x)[0]
        y = tf.nn.relu(tf.reshape(x, [-1, 6]) @ self.w + self.b)
        y = tf.reshape(y, tf.stack([n, 4, 8]))
        y = tf.concat([y, tf.fill([n, 4, 1], 0.5)], axis=-1)
        y = tf.gather(y, [2, 0, 1], axis=1)
        y = tf.where(y > 0.7, y, tf.cast(tf.range(9), tf.float32) * 0.1)
        m = tf.reduce_mean(tf.expand_dims(y, 1), axis=[2, 3])
        return {"y": y, "m": tf.squeeze(m, 1), "t": tf.tanh(y) * tf.math.erf(y)}


class Ops(tf.Module):
    """Ops the Keras models above do not use, each output checked on its own."""

    def __init__(self):
        self.f = tf.constant(rng.normal(size=(3, 3, 4, 6)).astype(np.float32))      # HWIO, 2 groups of 2 in
        self.g = tf.constant(rng.normal(size=(3, 3, 8, 4)).astype(np.float32))
        self.t = tf.constant(rng.normal(size=(3, 3, 5, 4)).astype(np.float32))      # HWOI (transposed conv)
        self.d = tf.constant(rng.normal(size=(3, 3, 4, 2)).astype(np.float32))      # depthwise, multiplier 2
        self.w = tf.constant(rng.normal(size=(8, 5)).astype(np.float32))
        self.v = tf.constant(rng.normal(size=(2, 3, 3, 2, 3)).astype(np.float32))  # DHWIO

    @tf.function(input_signature=[tf.TensorSpec([2, 8, 8, 4], tf.float32, name="img"),
                                  tf.TensorSpec([2, 3, 8], tf.float32, name="seq"),
                                  tf.TensorSpec([2, 3], tf.int32, name="ids"),
                                  tf.TensorSpec([1, 4, 6, 6, 2], tf.float32, name="vol")])
    def __call__(self, img, seq, ids, vol):
        r = {}
        r["conv3d"] = tf.nn.conv3d(vol, self.v, [1, 1, 2, 1, 1], "SAME")
        r["max_pool3d"] = tf.nn.max_pool3d(vol, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")
        r["avg_pool3d"] = tf.nn.avg_pool3d(vol, [1, 3, 3, 3, 1], [1, 1, 2, 2, 1], "SAME")
        r["grouped_conv"] = tf.nn.conv2d(img, self.f[:, :, :2], 1, "SAME")
        r["dilated_conv"] = tf.nn.conv2d(img, self.g[:, :, :4], 1, "SAME", dilations=2)
        r["strided_conv"] = tf.nn.conv2d(img, self.g[:, :, :4], 2, [[0, 0], [1, 0], [2, 1], [0, 0]])
        r["conv_transpose"] = tf.nn.conv2d_transpose(img, self.t, [2, 16, 16, 5], 2, "SAME")
        r["conv_transpose_odd"] = tf.nn.conv2d_transpose(img, self.t, [2, 15, 15, 5], 2, "SAME")
        r["conv_transpose_valid"] = tf.nn.conv2d_transpose(img, self.t, [2, 18, 17, 5], 2, "VALID")
        r["conv_transpose_explicit"] = tf.nn.conv2d_transpose(img, self.t, [2, 15, 14, 5], 2,
                                                              [[0, 0], [1, 2], [2, 1], [0, 0]])
        r["depthwise"] = tf.nn.depthwise_conv2d(img, self.d, [1, 2, 2, 1], "VALID")
        r["avg_pool"] = tf.nn.avg_pool2d(img, 3, 2, "SAME")
        r["max_pool"] = tf.nn.max_pool2d(img, 2, 2, "VALID")
        r["bilinear"] = tf.compat.v1.image.resize_bilinear(img, [12, 5], half_pixel_centers=True)
        r["nearest"] = tf.compat.v1.image.resize_nearest_neighbor(img, [16, 16], align_corners=True)
        r["depth_to_space"] = tf.nn.depth_to_space(img, 2)
        r["space_to_depth"] = tf.nn.space_to_depth(img, 2)
        r["lrn"] = tf.nn.local_response_normalization(img, 2, 1.5, 0.1, 0.75)
        r["bn"] = tf.compat.v1.nn.fused_batch_norm(img, tf.range(1.0, 5.0), tf.ones([4]) * 0.1,
                                                   tf.ones([4]) * 0.2, tf.ones([4]) * 1.5, is_training=False)[0]
        r["einsum_proj"] = tf.einsum("abc,cd->abd", seq, self.w)
        r["einsum_scores"] = tf.einsum("bqd,bkd->bqk", seq, seq)
        r["einsum_sum"] = tf.einsum("abc->ca", seq)
        r["einsum_outer"] = tf.einsum("ab,ac->abc", seq[:, 0], seq[:, 1])
        r["batch_matmul"] = tf.matmul(seq, seq, transpose_b=True)
        r["top_k_values"], r["top_k_indices"] = tf.math.top_k(seq, 3)
        r["arg_max"] = tf.argmax(seq, axis=1)
        r["arg_min"] = tf.argmin(seq, axis=-1, output_type=tf.int32)
        r["cumsum"] = tf.cumsum(seq, axis=1, exclusive=True, reverse=True)
        r["one_hot"] = tf.one_hot(ids, 5, 2.0, -1.0)
        r["embedding"] = tf.gather(self.w, ids % 8)
        r["slice"] = tf.slice(seq, [0, 1, 2], [-1, 2, 3])
        r["strided"] = seq[:, ::-1, tf.newaxis, 1:7:2]
        r["ellipsis"] = seq[..., 0]
        a, b = tf.split(seq, 2, axis=2)
        c, d, e = tf.split(seq, [1, 5, 2], axis=2)
        r["split"] = a * b
        r["split_v"] = tf.concat([e, c, d], axis=2)
        r["unstack"] = tf.add_n(tf.unstack(seq, axis=1))
        r["tile"] = tf.tile(seq, [1, 2, 1])
        r["reflect"] = tf.pad(seq, [[0, 0], [1, 2], [2, 1]], "REFLECT")
        r["pad_value"] = tf.pad(seq, [[0, 0], [1, 0], [0, 3]], constant_values=-2.0)
        r["leaky"] = tf.nn.leaky_relu(seq, 0.3)
        r["floor_div"] = tf.math.floordiv(ids - 3, 2) + tf.math.floormod(ids - 3, 4)
        r["clip"] = tf.clip_by_value(seq, -0.5, 0.7) + tf.math.softplus(seq) + tf.math.log1p(tf.abs(seq))
        r["reduce"] = tf.reduce_max(seq, axis=[0, 2], keepdims=True) - tf.reduce_sum(seq, axis=1, keepdims=True)
        r["log_softmax"] = tf.nn.log_softmax(seq)
        r["zeros_like"] = tf.zeros_like(seq) + tf.ones_like(seq) * tf.cast(tf.size(seq), tf.float32)
        r["where"] = tf.where(seq > 0, tf.sqrt(tf.abs(seq)), tf.square(seq))
        r["reverse"] = tf.reverse(seq, [1])
        r["broadcast"] = tf.broadcast_to(seq[:, :1], [2, 3, 8]) * tf.math.rsqrt(1.0 + tf.abs(seq))
        return r


class Dynamic(tf.Module):
    """Ops on a run-time batch: transposed and dilated convolutions (TensorFlow's SpaceToBatchND /
    BatchToSpaceND), Squeeze of a partly dynamic shape, Selu, an int8 BatchMatMulV3 into int32."""

    def __init__(self):
        self.t = tf.constant(rng.normal(size=(3, 3, 5, 4)).astype(np.float32))      # HWOI
        self.d = tf.constant(rng.normal(size=(3, 3, 4, 2)).astype(np.float32))
        self.k = tf.constant(rng.normal(size=(3, 4, 6)).astype(np.float32))         # WIO (1-D)

    @tf.function(input_signature=[tf.TensorSpec([None, 9, 10, 4], tf.float32, name="img"),
                                  tf.TensorSpec([None, 3, 4], tf.int8, name="a"),
                                  tf.TensorSpec([None, 1, 6], tf.float32, name="row")])
    def __call__(self, img, a, row):
        n = tf.shape(img)[0]
        return {
            "conv_transpose": tf.nn.conv2d_transpose(img, self.t, tf.stack([n, 18, 20, 5]), 2, "SAME"),
            "dilated_depthwise": tf.nn.depthwise_conv2d(img, self.d, [1, 1, 1, 1], "SAME", dilations=[2, 3]),
            "dilated_conv1d": tf.nn.convolution(img[:, 0], self.k, padding="VALID", dilations=[2]),
            "squeeze": tf.squeeze(row),
            "selu": tf.nn.selu(row),
            "int_matmul": tf.raw_ops.BatchMatMulV3(x=a, y=tf.transpose(a, [0, 2, 1]), Tout=tf.int32),
        }


def defun_graph(out):
    """A TF1 graph whose function calls another by its op name, using its second output."""
    from tensorflow.python.framework import function

    g = tf.Graph()
    with g.as_default():
        @function.Defun(tf.float32)
        def inner(x):
            return x * 2.0, x + 10.0

        @function.Defun(tf.float32)
        def outer(x):
            a, b = inner(x)
            return b - a

        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        tf.identity(outer(x), name="y")
    tf.io.write_graph(g.as_graph_def(), out, "defun.pb", as_text=False)
    v = np.array([1.0, 2.0, 3.0], np.float32)
    _save_io(out, "defun", {"x": v}, {"y": (v + 10) - v * 2})


def cnn(size=32):
    """A small residual CNN (convolutions, BatchNorm, depthwise, pooling, a residual Add, a Dense head): the
    default run's stand-in for ResNet50, which the slow run converts at 224x224."""
    inp = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    y = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    y = keras.layers.BatchNormalization()(keras.layers.Conv2D(16, 1)(y))
    x = keras.layers.MaxPooling2D()(keras.layers.Add()([x, y]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    return _randomize(keras.Model(inp, keras.layers.Dense(10)(x)))


def main(out, slow=False):
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(0)
    if slow:
        x = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
        resnet = _randomize(keras.applications.ResNet50(weights=None, classifier_activation=None))
        keras_export(out, "resnet50_224", resnet, x)
    else:
        keras_export(out, "cnn", cnn(), rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32))
    size = 224 if slow else 96
    x = rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    mobilenet = _randomize(keras.applications.MobileNetV2(weights=None, input_shape=(size, size, 3),
                                                          classifier_activation=None))
    frozen_graph(out, "mobilenetv2" + ("_224" if slow else ""), mobilenet, x)
    if slow:
        return
    # an inner NHWC tensor, for cutting the frozen graph there
    inner = keras.Model(mobilenet.inputs, mobilenet.get_layer("block_1_expand_relu").output)
    np.savez(os.path.join(out, "mobilenetv2_cut.npz"), x=x, block_1_expand_relu=inner(x, training=False))
    enc = encoder()
    tokens = rng.integers(0, 100, (2, 16)).astype(np.int32)
    keras_export(out, "encoder", enc, tokens)
    frozen_graph(out, "encoder_frozen", enc, tokens, text=True)
    small = Small()
    tf.saved_model.save(small, os.path.join(out, "small"))
    x = rng.normal(size=(3, 4, 6)).astype(np.float32)
    _save_io(out, "small", {"x": x}, {k: v.numpy() for k, v in small(x).items()})
    dyn = Dynamic()
    tf.saved_model.save(dyn, os.path.join(out, "dynamic"))
    feeds = {"img": rng.normal(size=(3, 9, 10, 4)).astype(np.float32),
             "a": rng.integers(-128, 128, (3, 3, 4)).astype(np.int8),
             "row": rng.normal(size=(3, 1, 6)).astype(np.float32)}
    _save_io(out, "dynamic", feeds, {k: v.numpy() for k, v in dyn(**feeds).items()})
    defun_graph(out)
    ops = Ops()
    tf.saved_model.save(ops, os.path.join(out, "ops"))
    feeds = {"img": rng.normal(size=(2, 8, 8, 4)).astype(np.float32),
             "seq": rng.normal(size=(2, 3, 8)).astype(np.float32),
             "ids": rng.integers(0, 10, (2, 3)).astype(np.int32),
             "vol": rng.normal(size=(1, 4, 6, 6, 2)).astype(np.float32)}
    _save_io(out, "ops", feeds, {k: v.numpy() for k, v in ops(**feeds).items()})


if __name__ == "__main__":
    main(sys.argv[1], "--slow" in sys.argv[2:])
