"""Build TensorFlow Lite test models with random (seeded) weights and reference outputs from the LiteRT interpreter.

Usage: ``python tests/tflite_models.py OUTDIR [--slow]`` (run by the tests in its own subprocess).

For each model NAME it writes

* ``OUTDIR/NAME.tflite``: the converted model;
* ``OUTDIR/NAME.npz``: arrays ``in0, in1, ...`` (in the order of subgraph 0's ``inputs`` list, in the tensors' own
  dtypes: float32, int8 for an int8-io model, int32 token ids; a dynamic dimension, as in ``ops_more``'s input ``v``,
  has the interpreter's default size 1) and ``out0, out1, ...`` (in the order of subgraph 0's ``outputs`` list, as the
  interpreter computed them, in the tensors' dtypes);

and ``OUTDIR/index.json``: ``{NAME: {"inputs": [tensor names], "outputs": [tensor names], "quant":
"float"|"int8"|"dynamic", "input_quant": [[scale, zero_point] or null, ...], "output_quant": [...], "output_scales":
[scale or null, ...], "ops": [sorted unique builtin operator names], "seconds": build+convert+run time}}``
(``*_quant`` entries are set for int8 tensors only).

The default set takes ~20-25 s on two CPU cores (TensorFlow's import included); ``--slow`` adds 224x224 MobileNetV2s
(~+11 s).
TensorFlow is imported inside the functions only.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

SEED = 0


# --------------------------------------------------------------------------------------------------------------------
# reading a .tflite flatbuffer


def read_tflite(buf: bytes) -> dict:
    """Subgraph 0's input/output tensor indices and names, and the sorted unique operator names of all subgraphs."""
    import tflite

    model = tflite.Model.GetRootAs(buf, 0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}
    ops = set()
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        for i in range(sg.OperatorsLength()):
            code = model.OperatorCodes(sg.Operators(i).OpcodeIndex())
            c = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = names.get(c, f"OP_{c}")
            if name == "CUSTOM":
                name = "CUSTOM:" + (code.CustomCode() or b"").decode()
            ops.add(name)
    sg = model.Subgraphs(0)
    inputs = [int(i) for i in sg.InputsAsNumpy()]
    outputs = [int(i) for i in sg.OutputsAsNumpy()]
    tname = lambda i: sg.Tensors(i).Name().decode()  # noqa: E731
    # tensors holding int8 constant data (weights), for the report
    int8_consts = 0
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        if t.Type() == tflite.TensorType.INT8 and model.Buffers(t.Buffer()).DataLength() > 0:
            int8_consts += 1
    return {"inputs": inputs, "outputs": outputs, "input_names": [tname(i) for i in inputs],
            "output_names": [tname(i) for i in outputs], "ops": sorted(ops), "int8_consts": int8_consts}


# --------------------------------------------------------------------------------------------------------------------
# running and saving


def _qparams(detail: dict):
    scale, zp = detail["quantization"]
    return [float(scale), int(zp)] if detail["dtype"] == np.int8 and scale != 0 else None


def run_and_save(outdir: Path, name: str, tflite_bytes: bytes, quant: str, float_inputs, t0: float, index: dict):
    """Run ``tflite_bytes`` on ``float_inputs`` (one float/int array per subgraph input, in subgraph order; a float
    array for an int8 input is quantized with the input's scale/zero point) and write NAME.tflite/.npz + index entry."""
    from ai_edge_litert.interpreter import Interpreter

    info = read_tflite(tflite_bytes)
    interp = Interpreter(model_content=tflite_bytes, num_threads=2)
    interp.allocate_tensors()
    in_details = {d["index"]: d for d in interp.get_input_details()}
    out_details = {d["index"]: d for d in interp.get_output_details()}
    if [d["index"] for d in interp.get_input_details()] != info["inputs"]:
        print(f"  note: {name}: get_input_details() order {list(in_details)} != subgraph inputs {info['inputs']}")
    if [d["index"] for d in interp.get_output_details()] != info["outputs"]:
        print(f"  note: {name}: get_output_details() order {list(out_details)} != subgraph outputs {info['outputs']}")
    assert sorted(in_details) == sorted(info["inputs"]) and sorted(out_details) == sorted(info["outputs"])
    assert len(float_inputs) == len(info["inputs"]), (name, len(float_inputs), info["inputs"])

    arrays, in_q = {}, []
    for k, (idx, x) in enumerate(zip(info["inputs"], float_inputs)):
        d = in_details[idx]
        q = _qparams(d)
        in_q.append(q)
        x = np.asarray(x)
        if d["dtype"] == np.int8 and x.dtype != np.int8:
            x = np.clip(np.round(x / q[0]) + q[1], -128, 127)
        x = x.astype(d["dtype"]).reshape(d["shape"])
        interp.set_tensor(idx, x)
        arrays[f"in{k}"] = x
    interp.invoke()
    out_q = []
    for k, idx in enumerate(info["outputs"]):
        y = np.array(interp.get_tensor(idx))
        out_q.append(_qparams(out_details[idx]))
        arrays[f"out{k}"] = y
        if not np.all(np.isfinite(y.astype(np.float64))):
            print(f"  WARNING: {name} out{k} has non-finite values")
        if y.size > 1 and np.ptp(y.astype(np.float64)) == 0:
            print(f"  WARNING: {name} out{k} is constant ({y.reshape(-1)[0]})")

    if quant == "int8":
        arrays.update(_reference_kernels(tflite_bytes, info, arrays))
    (outdir / f"{name}.tflite").write_bytes(tflite_bytes)
    np.savez(outdir / f"{name}.npz", **arrays)
    seconds = time.perf_counter() - t0
    index[name] = {"inputs": info["input_names"], "outputs": info["output_names"], "quant": quant,
                   "input_quant": in_q, "output_quant": out_q,
                   "output_scales": [q[0] if q else None for q in out_q], "ops": info["ops"],
                   "seconds": round(seconds, 3)}
    shapes = ", ".join(f"{arrays[f'out{k}'].dtype}{list(arrays[f'out{k}'].shape)}" for k in range(len(out_q)))
    print(f"{name}: {seconds:.2f} s  ({len(tflite_bytes) // 1024} KiB, {info['int8_consts']} int8 consts, "
          f"outputs {shapes})")
    print(f"  ops: {' '.join(info['ops'])}")


def _reference_kernels(tflite_bytes: bytes, info: dict, arrays: dict) -> dict:
    """``alt{k}``: the outputs of LiteRT's reference kernels (BUILTIN_REF) on the same inputs, where they run
    the model. LiteRT's default (XNNPACK) and reference int8 kernels round differently, and on a deep random
    network their outputs drift apart by several steps: how far is the measure of what "agrees with LiteRT"
    can mean (tests/test_tflite.py)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    try:
        interp = Interpreter(model_content=tflite_bytes, num_threads=1,
                             experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        interp.allocate_tensors()
    except (ValueError, RuntimeError):       # an op version the reference kernels lack
        return {}
    for k, idx in enumerate(info["inputs"]):
        interp.set_tensor(idx, arrays[f"in{k}"])
    interp.invoke()
    return {f"alt{k}": np.array(interp.get_tensor(idx)) for k, idx in enumerate(info["outputs"])}


# --------------------------------------------------------------------------------------------------------------------
# conversion


def convert(fn_or_model, input_specs, quant: str, rep_inputs=None, int8_io: bool = True) -> bytes:
    """Convert a Keras model or a tf.function (called with positional tensors matching ``input_specs``).

    quant: "float" | "dynamic" | "int8" (full integer with ``rep_inputs``, a list of input lists; int8 io unless
    ``int8_io`` is False, then float io with QUANTIZE/DEQUANTIZE inside)."""
    import tensorflow as tf

    func = tf.function(lambda *args: fn_or_model(*args), input_signature=input_specs, autograph=False)
    concrete = func.get_concrete_function()
    trackable = fn_or_model if isinstance(fn_or_model, tf.Module) else tf.Module()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], trackable)
    if quant in ("dynamic", "int8"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant == "int8":
        def rep():
            for sample in rep_inputs:
                yield [np.asarray(a, np.float32) for a in sample]
        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io:
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
    return conv.convert()


# --------------------------------------------------------------------------------------------------------------------
# models


def _randomize_batchnorm(model, rng):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, c).astype(np.float32))
            layer.beta.assign(rng.normal(0, 0.2, c).astype(np.float32))
            layer.moving_mean.assign(rng.normal(0, 0.5, c).astype(np.float32))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, c).astype(np.float32))


def build_cnn():
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    def hard_swish(t):
        return layers.Lambda(lambda v: v * ops.relu6(v + 3.0) * (1.0 / 6.0))(t)

    x = keras.Input(shape=(32, 32, 3), batch_size=1, name="image")
    a = layers.Conv2D(16, 3, padding="same", activation="relu6")(x)                       # 32x32x16
    b = layers.Conv2D(16, 3, strides=2, padding="valid", use_bias=False)(a)              # 15x15x16
    b = layers.BatchNormalization()(b)
    b = layers.ReLU(6.0)(b)
    b = layers.ZeroPadding2D(((0, 1), (0, 1)))(b)                                         # 16x16x16
    c = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(b)
    c = layers.Conv2D(16, 1)(c)
    r = layers.ReLU()(layers.Add()([b, c]))                                               # residual (ADD+RELU)
    d = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)(r)      # 8x8x32
    d = hard_swish(d)
    mp = layers.MaxPool2D(2)(d)                                                           # 4x4x32
    ap = layers.AveragePooling2D(3, strides=2, padding="same")(d)                         # 4x4x32
    cat = layers.Concatenate()([mp, ap])                                                  # 4x4x64
    # squeeze-excitation
    s = layers.GlobalAveragePooling2D(keepdims=True)(cat)
    s = layers.Conv2D(16, 1, activation="relu")(s)
    s = layers.Dense(64, activation="sigmoid")(s)
    cat = layers.Multiply()([cat, s])
    # upsampling paths                                                                    # 8x8
    t = layers.Conv2DTranspose(16, 3, strides=2, padding="same")(cat)
    u1 = layers.UpSampling2D(2, interpolation="bilinear")(layers.Conv2D(16, 1)(cat))
    u2 = layers.UpSampling2D(2, interpolation="nearest")(cat)
    u3 = layers.Resizing(8, 8, interpolation="nearest")(layers.Conv2D(8, 1)(cat))
    m = layers.Concatenate()([t, u1, u2, u3])                                             # 8x8x104
    m = layers.LeakyReLU(negative_slope=0.1)(m)
    m = layers.DepthwiseConv2D(3, padding="same")(m)
    m = layers.Conv2D(24, 1)(m)
    m = layers.Activation("sigmoid")(m)
    m = layers.AveragePooling2D(2)(m)                                                     # 4x4x24
    f = layers.Dense(16, activation="relu")(layers.Flatten()(m))
    g = layers.GlobalAveragePooling2D()(m)
    h = layers.Concatenate()([f, g])
    logits = layers.Dense(10, name="logits")(h)
    model = keras.Model(x, logits, name="cnn")
    _randomize_batchnorm(model, rng)
    return model


def gen_cnn(outdir, index):
    import tensorflow as tf

    t0 = time.perf_counter()
    model = build_cnn()
    spec = [tf.TensorSpec((1, 32, 32, 3), tf.float32, name="image")]
    rng = np.random.default_rng(SEED)
    rep = [[rng.standard_normal((1, 32, 32, 3)).astype(np.float32)] for _ in range(16)]
    x = [rng.standard_normal((1, 32, 32, 3)).astype(np.float32)]
    for name, quant, io8 in (("cnn_float", "float", False), ("cnn_int8", "int8", True),
                             ("cnn_int8_float_io", "int8", False), ("cnn_dynamic", "dynamic", False)):
        buf = convert(model, spec, quant, rep, int8_io=io8)
        run_and_save(outdir, name, buf, "int8" if quant == "int8" else quant, x, t0, index)
        t0 = time.perf_counter()


def build_encoder(seq=16, vocab=100, dim=32, heads=4, ff=64, blocks=2):
    import keras
    from keras import layers

    keras.utils.set_random_seed(SEED)

    class PositionEmbedding(layers.Layer):
        def build(self, shape):
            self.pos = self.add_weight(shape=(shape[-2], shape[-1]), initializer=keras.initializers.RandomNormal(0, 0.5),
                                       name="pos")

        def call(self, t):
            return t + self.pos

    ids = keras.Input(shape=(seq,), batch_size=1, dtype="int32", name="ids")
    h = layers.Embedding(vocab, dim, embeddings_initializer=keras.initializers.RandomNormal(0, 1.0))(ids)
    h = PositionEmbedding()(h)
    for _ in range(blocks):
        a = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)(h, h)
        h = layers.LayerNormalization(epsilon=1e-5)(layers.Add()([h, a]))
        f = layers.Dense(ff, activation="gelu")(h)
        f = layers.Dense(dim)(f)
        h = layers.LayerNormalization(epsilon=1e-5)(layers.Add()([h, f]))
    out = layers.Dense(10, name="logits")(h)
    return keras.Model(ids, out, name="encoder")


def gen_encoder(outdir, index):
    import tensorflow as tf

    t0 = time.perf_counter()
    model = build_encoder()
    buf = convert(model, [tf.TensorSpec((1, 16), tf.int32, name="ids")], "float")
    ids = np.random.default_rng(SEED).integers(0, 100, (1, 16)).astype(np.int32)
    run_and_save(outdir, "encoder_float", buf, "float", [ids], t0, index)


def _inputs_by_name(info: dict, by_name: dict) -> list:
    """The arrays of ``by_name`` (keyed by TensorSpec name) in the order of the converted model's inputs."""
    inputs = []
    for n in info["input_names"]:
        key = [k for k in by_name if n == k or n.endswith("_" + k) or n.split(":")[0].endswith(k)]
        assert len(key) == 1, (n, key)
        inputs.append(by_name[key[0]])
    return inputs


def misc_fn(x, y, p):
    """x: 1x8x16 any float, y: 1x16x8 any float, p: 1x8x16 positive."""
    import tensorflow as tf

    outs = {}
    # STRIDED_SLICE: masks + stride 2; shrink axis
    sl = x[:, ::2, 1:]                                             # 1x4x15
    row = x[:, 3]                                                  # 1x16 (shrink)
    # UNPACK / PACK
    u = tf.unstack(x, axis=1)                                      # 8 x (1x16)
    pk = tf.stack([u[0], u[5] * 2.0, u[7] - row], axis=2)          # 1x16x3
    # SPLIT / SPLIT_V
    s0, s1 = tf.split(x, 2, axis=2)                                # 1x8x8 each
    v0, v1, v2 = tf.split(x, [3, 5, 8], axis=2)
    outs["split"] = tf.concat([tf.tanh(s0) * s1, v2 - v1[:, :, :1], tf.tile(v0[:, :, 1:], [1, 1, 4])], axis=1)  # 1x24x8
    # unary / binary math
    pw = tf.pow(p, 3.0) + tf.pow(p, tf.abs(tf.transpose(y, [0, 2, 1])) * 0.5)  # POW, TRANSPOSE
    m = tf.math.rsqrt(p) + tf.sqrt(p) + tf.math.squared_difference(x, p) + tf.exp(x * 0.5) + tf.math.log(p)
    m = m + tf.abs(x) - tf.negative(p) * 0.25
    m = tf.maximum(m, x) - tf.minimum(x, 0.5 * p)
    bc = (x - tf.reduce_mean(x, axis=2, keepdims=True)) / (p[:, :1, :] + 1.0)  # SUB/DIV broadcast
    ci = tf.cast(tf.cast(x * 4.0, tf.int32), tf.float32)                        # CAST x2
    fill = tf.fill(tf.shape(x), 2.0)                                             # folds (static shape)
    outs["math"] = m + pw * 0.01 + bc + ci * fill
    # EXPAND_DIMS / SQUEEZE / reductions
    e = tf.expand_dims(tf.reduce_max(x, axis=2), -1)               # 1x8x1
    outs["reduce"] = tf.squeeze(e * tf.reduce_sum(p, axis=1, keepdims=True), axis=0)  # 8x16
    # GATHER with a constant index, BATCH_MATMUL of two inputs, SOFTMAX
    g = tf.gather(x, [3, 0, 7, 7, 1], axis=1)                      # 1x5x16
    bm = tf.matmul(g, y)                                           # 1x5x8
    outs["attn"] = tf.nn.softmax(bm, axis=-1)
    outs["l2"] = tf.math.l2_normalize(pk, axis=-1)
    outs["pad"] = tf.pad(sl, [[0, 0], [1, 2], [0, 1]]) + tf.pad(sl, [[0, 0], [1, 2], [1, 0]], mode="REFLECT")
    outs["argmax"] = tf.argmax(x, axis=2, output_type=tf.int64)
    outs["sigmoid"] = tf.sigmoid(row * 3.0)
    return outs


def gen_ops_misc(outdir, index):
    import tensorflow as tf

    t0 = time.perf_counter()
    specs = [tf.TensorSpec((1, 8, 16), tf.float32, name="x"), tf.TensorSpec((1, 16, 8), tf.float32, name="y"),
             tf.TensorSpec((1, 8, 16), tf.float32, name="p")]
    buf = convert(misc_fn, specs, "float")
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, 8, 16)).astype(np.float32)
    y = rng.standard_normal((1, 16, 8)).astype(np.float32)
    p = rng.uniform(0.2, 2.0, (1, 8, 16)).astype(np.float32)
    inputs = _inputs_by_name(read_tflite(buf), {"x": x, "y": y, "p": p})
    run_and_save(outdir, "ops_misc", buf, "float", inputs, t0, index)


def build_more_layers():
    """Keras layers used by ``more_fn`` (seeded weights)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    prelu = layers.PReLU(shared_axes=[1, 2])
    prelu.build((1, 8, 8, 4))
    prelu.alpha.assign(rng.uniform(-0.5, 0.5, prelu.alpha.shape).astype(np.float32))
    gconv = layers.Conv2D(8, 3, padding="same", groups=2, bias_initializer="random_normal")
    gconv.build((1, 8, 8, 4))
    tconv = layers.Conv2DTranspose(3, 3, strides=2, padding="valid", bias_initializer="random_normal")
    tconv.build((1, 8, 8, 4))
    dil_w = (rng.standard_normal((3, 3, 4, 6)) * 0.3).astype(np.float32)
    return {"prelu": prelu, "gconv": gconv, "tconv": tconv, "dil_w": dil_w}


def more_fn(x, p, v, L):
    """x: 1x8x8x4 any float, p: 1x8x8x4 positive, v: Nx6 any float with a dynamic batch N (run with N=1, the
    interpreter's default); L: build_more_layers().

    The converter folds shape ops on static shapes, so SHAPE/FILL/RANGE/EXPAND_DIMS/BROADCAST_TO/SQUEEZE work on v;
    a SQUEEZE with one dynamic dim becomes a RESHAPE, hence the two dynamic dims. Another ``tf.nn.relu(x)`` would be
    merged with PReLU's and break its fusion into PRELU; RELU/RELU6 follow ops without a fused activation."""
    import tensorflow as tf

    outs = {}
    # dynamic shapes: SHAPE, FILL, RANGE, EXPAND_DIMS, BROADCAST_TO, SQUEEZE
    n = tf.shape(v)[0]
    f = tf.fill(tf.shape(v), 0.5)
    r = tf.cast(tf.range(n * 6), tf.float32)                            # 6N
    e = tf.expand_dims(v * f + tf.reshape(r, tf.shape(v)), 1)           # Nx1x6
    b = tf.broadcast_to(e, tf.stack([n, 3, 6])) * tf.constant([[1.0], [-2.0], [0.5]])  # Nx3x6
    c = tf.cumsum(b, axis=2, reverse=True)
    sq = tf.squeeze(tf.expand_dims(e, 3) * (r * 0.1), axis=1)         # Nx6x6N (two dynamic dims: not a RESHAPE)
    outs["dyn"] = tf.reduce_min(c, axis=1) + tf.reduce_sum(sq, axis=2)  # Nx6
    # slicing / gathering / rearranging
    sl = tf.slice(x, [0, 0, 0, 0], [1, 7, 7, 4])                        # 1x7x7x4 (odd)
    outs["avgpool"] = tf.nn.avg_pool2d(sl, 3, 2, "SAME")                 # 1x4x4x4
    outs["gather_nd"] = tf.nn.relu(tf.gather_nd(x, [[0, 1, 2], [0, 7, 7], [0, 3, 0]]))  # 3x4, standalone RELU
    outs["d2s"] = tf.nn.relu6(tf.nn.depth_to_space(x, 2))              # 1x16x16x1 (RELU6 is moved before it)
    outs["s2d"] = tf.nn.space_to_depth(x, 2)                            # 1x4x4x16
    outs["bilinear"] = tf.raw_ops.ResizeBilinear(images=x, size=[13, 13], align_corners=True)          # 1x13x13x4
    outs["nearest"] = tf.raw_ops.ResizeNearestNeighbor(images=p, size=[12, 12], half_pixel_centers=True)  # 1x12x12x4
    # activations: PRELU (alpha 1x1x4), ELU, REVERSE_V2, LOG_SOFTMAX
    act = L["prelu"](x) + tf.nn.elu(tf.reverse(x, axis=[2]))
    outs["act"] = tf.nn.log_softmax(act, axis=-1)
    outs["argmin"] = tf.argmin(x, axis=3, output_type=tf.int32)       # 1x8x8 int32
    # comparisons / select / float floor div+mod (3x/p is >= 0.002 from an integer for these inputs)
    cond = tf.reduce_sum(x, axis=3, keepdims=True) > 0.0               # 1x8x8x1
    sel = tf.where(cond, x, tf.constant([1.0, -1.0, 2.0, -2.0]))      # SELECT_V2 with broadcasting
    mask = tf.cast(tf.logical_and(x > 0.0, p <= 1.0), tf.float32)
    fdm = tf.math.floordiv(x * 3.0, p) + tf.math.floormod(x * 3.0, p)
    outs["logic"] = sel + mask + fdm * 0.25
    outs["trig"] = tf.square(x) + tf.sin(x * 2.0) * tf.cos(p) - tf.reduce_min(p, axis=[1, 2], keepdims=True)
    outs["cumsum"] = tf.cumsum(x, axis=2)
    # convolutions: dilation 2 ('same'), grouped (groups=2: filter 8x3x3x2), transposed 'valid' (8 -> 17)
    outs["conv"] = tf.concat([tf.nn.conv2d(x, L["dil_w"], 1, "SAME", dilations=2), L["gconv"](x)], axis=3)  # 1x8x8x14
    outs["tconv"] = L["tconv"](p)                                       # 1x17x17x3
    return outs


def gen_ops_more(outdir, index):
    import tensorflow as tf

    t0 = time.perf_counter()
    L = build_more_layers()
    specs = [tf.TensorSpec((1, 8, 8, 4), tf.float32, name="x"), tf.TensorSpec((1, 8, 8, 4), tf.float32, name="p"),
             tf.TensorSpec((None, 6), tf.float32, name="v")]
    buf = convert(lambda x, p, v: more_fn(x, p, v, L), specs, "float")
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, 8, 8, 4)).astype(np.float32)
    p = rng.uniform(0.5, 2.0, (1, 8, 8, 4)).astype(np.float32)
    v = rng.standard_normal((1, 6)).astype(np.float32)
    inputs = _inputs_by_name(read_tflite(buf), {"x": x, "p": p, "v": v})
    run_and_save(outdir, "ops_more", buf, "float", inputs, t0, index)


def rest_fn(x, y, p):
    """x, y: 1x6x6x8 any float (>= 0.1 from an integer), p: 1x6x6x8 positive, near 1 (for REDUCE_PROD).

    tf.zeros_like of a static shape emits a constant, hence the raw op; a LOGICAL_NOT as SELECT's condition
    swaps its branches and a clip right after an op becomes that op's fused activation. No formulation gives
    L2_POOL_2D (sqrt(avg_pool(x*x)) stays SQRT/AVERAGE_POOL_2D), so it is left out."""
    import tensorflow as tf

    outs = {}
    # PADV2 (non-zero constant), ZEROS_LIKE (TFLite has no ONES_LIKE: tf.OnesLike becomes a constant)
    outs["padv2"] = tf.pad(x, [[0, 0], [1, 0], [0, 2], [0, 0]], constant_values=0.75)    # 1x7x8x8
    outs["like"] = tf.raw_ops.ZerosLike(x=x) + p - 1.0                                     # 1x6x6x8
    outs["lrn"] = tf.nn.local_response_normalization(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
    # REDUCE_PROD; REDUCE_ANY / REDUCE_ALL on comparisons (each true/false in some places), cast to float
    outs["prod"] = tf.reduce_prod(p, axis=[1, 3])                                       # 1x6
    outs["any"] = tf.cast(tf.reduce_any(x > y + 3.5, axis=3), tf.float32)                 # 1x6x6
    outs["all"] = tf.cast(tf.reduce_all(x > y - 2.5, axis=[1]), tf.float32)               # 1x6x8
    # SIGN, CEIL, FLOOR, EXP
    outs["round"] = tf.sign(x) * 0.5 + tf.math.ceil(x) - tf.floor(y) + tf.exp(y * 0.5)
    # EQUAL (the floors do match in places), NOT_EQUAL, GREATER_EQUAL, LOGICAL_OR, LOGICAL_NOT, SELECT
    eq = tf.equal(tf.floor(x), tf.floor(y))
    ne = tf.not_equal(tf.sign(x), tf.sign(y))
    ge = tf.greater_equal(x, y * 0.5)
    cond = tf.logical_or(eq, tf.logical_and(ne, ge))
    outs["select"] = tf.raw_ops.Select(condition=cond, x=x, y=y * 2.0)                   # same-shape condition
    outs["not"] = tf.cast(tf.logical_not(tf.logical_or(x > y, eq)), tf.float32)  # (as SELECT's condition: swapped)
    # RELU_N1_TO_1 (on an input: after an op it would be fused)
    outs["relu1"] = tf.clip_by_value(y, -1.0, 1.0)
    # GATHER along axis 1 with a rank-2 index
    outs["gather"] = tf.gather(x, [[0, 5, 2], [3, 3, 1]], axis=1)                          # 1x2x3x6x8
    return outs


def gen_ops_rest(outdir, index):
    import tensorflow as tf

    t0 = time.perf_counter()
    specs = [tf.TensorSpec((1, 6, 6, 8), tf.float32, name="x"), tf.TensorSpec((1, 6, 6, 8), tf.float32, name="y"),
             tf.TensorSpec((1, 6, 6, 8), tf.float32, name="p")]
    buf = convert(rest_fn, specs, "float")
    rng = np.random.default_rng(SEED)
    shape = (1, 6, 6, 8)
    # integer + a fraction in [0.1, 0.9]: no ties for CEIL/FLOOR/SIGN, x != y
    x = (rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)).astype(np.float32)
    y = (rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)).astype(np.float32)
    p = rng.uniform(0.8, 1.25, shape).astype(np.float32)
    inputs = _inputs_by_name(read_tflite(buf), {"x": x, "y": y, "p": p})
    run_and_save(outdir, "ops_rest", buf, "float", inputs, t0, index)


def _he_init(model, rng, gain=2.0):
    """Re-draw conv kernels N(0, gain/fan_in) (dense: gain 1): with keras' glorot defaults and identity BatchNorms
    MobileNetV2's activations shrink to ~1e-10 and an int8 model's logits all quantize to one value."""
    import keras

    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)):
            shape = tuple(layer.kernel.shape)
            depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
            fan_in = int(np.prod(shape[:2] if depthwise else shape[:-1]))
            g = 1.0 if isinstance(layer, keras.layers.Dense) else gain
            layer.kernel.assign((rng.standard_normal(shape) * np.sqrt(g / fan_in)).astype(np.float32))


def gen_mobilenet(outdir, index, prefix, size, alpha):
    import keras
    import tensorflow as tf

    t0 = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    inp = keras.Input(shape=(size, size, 3), batch_size=1, name="image")
    model = keras.applications.MobileNetV2(input_tensor=inp, alpha=alpha, weights=None, classifier_activation=None)
    _he_init(model, np.random.default_rng(SEED))
    spec = [tf.TensorSpec((1, size, size, 3), tf.float32, name="image")]
    rng = np.random.default_rng(SEED)
    rep = [[rng.standard_normal((1, size, size, 3)).astype(np.float32)] for _ in range(16)]
    x = [rng.standard_normal((1, size, size, 3)).astype(np.float32)]
    for suffix, quant in (("float", "float"), ("int8", "int8"), ("dynamic", "dynamic")):
        buf = convert(model, spec, quant, rep, int8_io=True)
        run_and_save(outdir, f"{prefix}_{suffix}", buf, quant, x, t0, index)
        t0 = time.perf_counter()


# --------------------------------------------------------------------------------------------------------------------


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    slow = "--slow" in argv
    argv = [a for a in argv if a != "--slow"]
    if len(argv) != 1:
        print(__doc__)
        return 2
    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    start = time.perf_counter()
    import tensorflow as tf  # noqa: F401  (several seconds)
    import keras

    keras.utils.set_random_seed(SEED)
    print(f"import tensorflow: {time.perf_counter() - start:.2f} s")
    index = {}
    gen_cnn(outdir, index)
    gen_encoder(outdir, index)
    gen_ops_misc(outdir, index)
    gen_ops_more(outdir, index)
    gen_ops_rest(outdir, index)
    gen_mobilenet(outdir, index, "mobilenetv2_small", 96, 0.35)
    if slow:
        gen_mobilenet(outdir, index, "mobilenetv2", 224, 1.0)
    (outdir / "index.json").write_text(json.dumps(index, indent=1))
    print(f"total: {time.perf_counter() - start:.2f} s ({len(index)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
