"""Builds the PaddlePaddle frontend's test models with Paddle (random weights and BatchNorm statistics) and saves
each with ``paddle.jit.save`` in both forms: PIR (``OUTDIR/pir/<name>.json``, Paddle 3's default) and legacy
(``OUTDIR/legacy/<name>.pdmodel``, written by a second process started with ``FLAGS_enable_pir_api=0``: the flag
only switches the form in a fresh process). ``OUTDIR/<name>.npz`` holds random inputs (``in:<name>``) and
Paddle's output for them (``out``), computed once in dynamic mode; both forms load the same weights.

Run as ``python tests/paddle_models.py OUTDIR [--slow]`` (the tests run it once per session in a subprocess, so
the pytest process never imports Paddle)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import paddle

LEGACY = os.environ.get("FLAGS_enable_pir_api") == "0"


def _legacy_matmul_patch():
    """Paddle 3.3's ``paddle.matmul`` has no legacy-program path (it calls the PIR op directly), so the legacy
    export of attention fails; this appends the legacy ``matmul_v2`` op, as Paddle 2 did."""
    from paddle.base.layer_helper import LayerHelper
    import paddle.nn.layer.transformer as transformer

    def matmul(x, y, transpose_x=False, transpose_y=False, name=None):
        if paddle.in_dynamic_mode():
            return paddle._C_ops.matmul(x, y, transpose_x, transpose_y)
        helper = LayerHelper("matmul_v2")
        out = helper.create_variable_for_type_inference(x.dtype)
        helper.append_op(type="matmul_v2", inputs={"X": x, "Y": y}, outputs={"Out": out},
                         attrs={"trans_x": transpose_x, "trans_y": transpose_y})
        return out
    paddle.matmul = transformer.tensor.matmul = matmul


class Encoder(paddle.nn.Layer):
    """Token ids → embedding → a two-layer TransformerEncoder."""

    def __init__(self):
        super().__init__()
        self.emb = paddle.nn.Embedding(100, 32, padding_idx=0)
        layer = paddle.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1)
        self.enc = paddle.nn.TransformerEncoder(layer, 2)

    def forward(self, ids):
        return self.enc(self.emb(ids))


class Ops(paddle.nn.Layer):
    """Ops the vision models do not use: transposed and grouped convolutions, resize, max pooling, concat,
    split, slices, activations, layer norm over channels, reductions, shape arithmetic, cast. PIR form only:
    Paddle 3.3 cannot export several of these ops (gelu, multiply, ...) to a legacy program any more."""

    def __init__(self):
        super().__init__()
        self.conv = paddle.nn.Conv2D(4, 8, 3, stride=2, padding=[1, 0, 1, 0], groups=2)
        self.up = paddle.nn.Conv2DTranspose(8, 6, 3, stride=2, padding=1, output_padding=1)
        self.bn = paddle.nn.BatchNorm2D(6)
        self.ln = paddle.nn.LayerNorm(6)
        self.fc = paddle.nn.Linear(6, 5)

    def forward(self, x):
        y = paddle.nn.functional.leaky_relu(self.conv(x), 0.1)
        y = paddle.nn.functional.hardswish(self.bn(self.up(y)))
        a, b = paddle.split(y, [2, 4], axis=1)
        a = paddle.nn.functional.interpolate(paddle.nn.functional.hardsigmoid(a), scale_factor=0.5,
                                             mode="bilinear")
        b = paddle.nn.functional.max_pool2d(paddle.nn.functional.sigmoid(b), 2, 2)
        y = paddle.concat([a, b * 0.5 + 1.0, paddle.clip(b, -0.2, 0.3)[:, :0]], axis=1)
        y = paddle.transpose(y, [0, 2, 3, 1])
        y = paddle.nn.functional.gelu(self.ln(y), approximate=True)
        y = paddle.mean(y, axis=[1, 2], keepdim=True)
        y = paddle.squeeze(y, axis=[1, 2])
        z = paddle.unsqueeze(self.fc(y), 1) + paddle.cast(paddle.shape(y)[1], "float32") * 0.1
        z = paddle.reshape(z, [paddle.shape(z)[0], -1])
        return paddle.nn.functional.softmax(z + y[:, 1:2], axis=-1)


class Semantics(paddle.nn.Layer):
    """Where Paddle's rules differ from OpenVINO's, one output each: resizing by a scale that is not whole (Paddle
    maps coordinates by 1 / scale), SAME padding of dilated and transposed convolutions (Paddle pads from the
    input size and drops the dilation), inclusive average pooling with ceil mode, padding with a value,
    unsqueeze of several axes (inserted one at a time), sum's dtype and int32 promotion, int64 max as a
    constant, argmax, where, full_like, arange, floor_divide, unstack, max pooling with its mask, adaptive max
    pooling."""

    def __init__(self):
        super().__init__()
        self.dilated = paddle.nn.Conv2D(2, 3, 3, padding="SAME", dilation=2)
        self.up = paddle.nn.Conv2DTranspose(2, 3, 3, stride=2, padding="SAME")

    def forward(self, x):
        f = paddle.nn.functional
        positive = paddle.cast(x > 0, "int32")
        pooled, mask = f.max_pool2d(x, 3, 2, padding=1, return_mask=True)
        return (f.interpolate(x, scale_factor=0.6, mode="bilinear"),
                f.interpolate(x, scale_factor=1.7, mode="nearest"),
                self.dilated(x), self.up(x),
                f.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, exclusive=False),
                f.pad(x, [1, 2, 0, 1], value=3.0),
                paddle.unsqueeze(x[:, 0], [2, 0]),
                paddle.sum(x, axis=1, dtype="float64"),
                paddle.sum(positive, axis=[2, 3]),
                paddle.full([1], 2**63 - 1, "int64") - paddle.cast(positive, "int64"),
                f.adaptive_max_pool2d(x, 3), pooled, mask,
                paddle.argmax(x, axis=1),
                paddle.where(x > 0, x, x * 2.0),
                paddle.full_like(x, 2.0) + paddle.zeros_like(x),
                paddle.arange(0, 7, 1, "float32") + x,
                paddle.floor_divide(paddle.cast(x * 10.0, "int32"), paddle.full([1], 3, "int32")),
                paddle.unstack(x, axis=1)[1])


def legacy_ops(out_dir: str):
    """A legacy program written op by op (``append_op``, as Paddle 2's layers did), over the legacy ops and
    attributes the three models do not use: grouped / transposed convolutions, ``elementwise_add`` with an
    ``axis``, the v1 ``matmul`` with ``alpha``, ``*_interp_v2``, ``pad3d``, ``split`` into a list, a slice of a
    shape, ``fill_constant``, ``cast``, ``dropout`` downgrading at inference. Paddle's executor gives the
    reference output."""
    paddle.enable_static()
    rng = np.random.default_rng(2)
    main, startup = paddle.static.Program(), paddle.static.Program()
    params = {}
    with paddle.static.program_guard(main, startup):
        block = main.global_block()
        x = paddle.static.data("x", [-1, 4, 16, 16], "float32")

        def param(name, value):
            params[name] = value.astype(np.float32)
            return block.create_parameter(name=name, shape=list(value.shape), dtype="float32")

        def op(kind, inputs, attrs, outs=("Out",), dtype="float32", n=1):
            res = {o: [block.create_var(name=paddle.utils.unique_name.generate(kind), dtype=dtype)
                       for _ in range(n)] for o in outs}
            block.append_op(type=kind, inputs=inputs, outputs=res, attrs=attrs)
            return res[outs[0]] if n > 1 else res[outs[0]][0]

        conv = {"dilations": [1, 1], "data_format": "NCHW", "padding_algorithm": "EXPLICIT"}
        interp = {"out_h": 8, "out_w": 8, "align_corners": False, "data_layout": "NCHW", "scale": []}
        y = op("conv2d", {"Input": x, "Filter": param("w", rng.standard_normal((8, 2, 3, 3)) * 0.3)},
               {"strides": [2, 2], "paddings": [1, 0, 1, 0], "groups": 2, **conv}, ("Output",))
        y = op("elementwise_add", {"X": y, "Y": param("b", rng.standard_normal(8))}, {"axis": 1})
        y = op("leaky_relu", {"X": y}, {"alpha": 0.1})
        y = op("conv2d_transpose", {"Input": y, "Filter": param("wt", rng.standard_normal((8, 6, 3, 3)) * 0.2)},
               {"strides": [2, 2], "paddings": [1, 1], "output_padding": [1, 1], "groups": 1, "output_size": [],
                **conv}, ("Output",))
        y = op("hard_swish", {"X": y}, {"threshold": 6.0, "scale": 6.0, "offset": 3.0})
        a, b = op("split", {"X": y}, {"sections": [2, -1], "axis": 1, "num": 0}, n=2)
        a = op("hard_sigmoid", {"X": a}, {"slope": 0.2, "offset": 0.5})
        a = op("nearest_interp_v2", {"X": a}, {"interp_method": "nearest", **interp})
        b = op("bilinear_interp_v2", {"X": b}, {"interp_method": "bilinear", "align_mode": 0, **interp})
        b = op("pool2d", {"X": b}, {"pooling_type": "max", "ksize": [2, 2], "strides": [1, 1], "paddings": [0, 0],
                                    "global_pooling": False, "adaptive": False, "ceil_mode": True, "exclusive": True,
                                    "data_format": "NCHW", "padding_algorithm": "SAME"})
        b = op("scale", {"X": b}, {"scale": 0.5, "bias": 1.0, "bias_after_scale": False})
        b = op("dropout", {"X": b}, {"dropout_prob": 0.25, "dropout_implementation": "downgrade_in_infer",
                                     "is_test": True}, ("Out", "Mask"))
        y = op("concat", {"X": [a, b]}, {"axis": 1})
        y = op("unsqueeze2", {"X": y}, {"axes": [2]}, ("Out", "XShape"))
        y = op("pad3d", {"X": y}, {"paddings": [1, 0, 0, 1, 0, 0], "mode": "constant", "value": 0.5,
                                   "data_format": "NCDHW"})
        y = op("squeeze2", {"X": y}, {"axes": [2]}, ("Out", "XShape"))
        y = op("slice", {"Input": y}, {"axes": [2, 3], "starts": [1, 0], "ends": [100, -1], "decrease_axis": [],
                                       "infer_flags": [1, 1]})
        y = op("transpose2", {"X": y}, {"axis": [0, 2, 3, 1]}, ("Out", "XShape"))
        y = op("gelu", {"X": y}, {"approximate": False})
        y = op("reduce_mean", {"X": y}, {"dim": [1, 2], "keep_dim": False, "reduce_all": False})
        shape = op("shape", {"Input": y}, {}, dtype="int32")
        batch = op("slice", {"Input": shape}, {"axes": [0], "starts": [0], "ends": [1], "decrease_axis": [0],
                                               "infer_flags": [1]}, dtype="int32")
        y = op("reshape2", {"X": y}, {"shape": [0, -1]}, ("Out", "XShape"))
        quarter = op("fill_constant", {}, {"shape": [1], "value": 0.25, "dtype": 5, "str_value": "0.25"})
        n = op("cast", {"X": batch}, {"in_dtype": 2, "out_dtype": 5})
        n = op("scale", {"X": n}, {"scale": 0.01, "bias": 0.0, "bias_after_scale": True})
        y = op("elementwise_add", {"X": op("elementwise_add", {"X": y, "Y": quarter}, {"axis": -1}), "Y": n},
               {"axis": -1})
        y = op("matmul", {"X": y, "Y": param("fc", rng.standard_normal((6, 5)) * 0.5)},
               {"transpose_X": False, "transpose_Y": False, "alpha": 0.5})
        y = op("cast", {"X": op("cast", {"X": y}, {"in_dtype": 5, "out_dtype": 6}, dtype="float64")},
               {"in_dtype": 6, "out_dtype": 5})
        y = op("stack", {"X": [y, op("sigmoid", {"X": y}, {})]}, {"axis": 1}, ("Y",))
        y = op("softmax", {"X": y}, {"axis": -1})

        pool = {"global_pooling": False, "adaptive": False, "data_format": "NCHW", "padding_algorithm": "EXPLICIT"}
        zero = op("fill_constant", {}, {"shape": [1], "value": 0.0, "dtype": 5, "str_value": "0"})
        big = op("fill_constant", {}, {"shape": [1], "value": 4.6e18, "dtype": 3, "str_value": "4611686018427387905"},
                 dtype="int64")
        argmax = op("arg_max", {"X": x}, {"axis": 1, "keepdims": False, "flatten": False, "dtype": 3}, dtype="int64")
        extra = [
            op("conv2d", {"Input": x, "Filter": param("wd", rng.standard_normal((3, 4, 3, 3)) * 0.3)},
               {**conv, "strides": [1, 1], "paddings": [0, 0], "groups": 1, "dilations": [2, 2],
                "padding_algorithm": "SAME"}, ("Output",)),
            op("bilinear_interp_v2", {"X": x}, {**interp, "interp_method": "bilinear", "align_mode": 0, "out_h": -1,
                                                "out_w": -1, "scale": [0.6, 0.6]}),
            op("pool2d", {"X": x}, {**pool, "pooling_type": "avg", "ksize": [3, 3], "strides": [2, 2],
                                    "paddings": [1, 1], "ceil_mode": True, "exclusive": False}),
            op("unsqueeze2", {"X": x}, {"axes": [2, 0]}, ("Out", "XShape")),
            op("reduce_sum", {"X": x}, {"dim": [1], "keep_dim": False, "reduce_all": False, "in_dtype": 5,
                                        "out_dtype": 6}, dtype="float64"),
            op("elementwise_add", {"X": param("v", rng.standard_normal(16)), "Y": x}, {"axis": 2}),
            op("sum", {"X": [x, op("sigmoid", {"X": x}, {})]}, {}),
            op("elementwise_sub", {"X": big, "Y": argmax}, {"axis": -1}, dtype="int64"),
            op("strided_slice", {"Input": x}, {"axes": [2, 3], "starts": [-1, 0], "ends": [-100, 16],
                                               "strides": [-2, 3], "infer_flags": [1, 1], "decrease_axis": []}),
            op("where", {"Condition": op("greater_than", {"X": x, "Y": zero}, {"axis": -1}, dtype="bool"), "X": x,
                         "Y": op("scale", {"X": x}, {"scale": -2.0, "bias": 0.0, "bias_after_scale": True})}, {}),
        ]
    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(startup)
    scope = paddle.static.global_scope()
    for k, v in params.items():
        scope.var(k).get_tensor().set(v, paddle.CPUPlace())
    xv = rng.standard_normal((2, 4, 16, 16)).astype(np.float32)
    outs = exe.run(main, feed={"x": xv}, fetch_list=[y, *extra])
    paddle.static.save_inference_model(os.path.join(out_dir, "legacy", "legacy_ops"), [x], [y, *extra], exe,
                                       program=main)
    np.savez(os.path.join(out_dir, "legacy_ops.npz"), **{"in:x": xv}, **{f"out{k}": o for k, o in enumerate(outs)})


def _randomize(layer):
    rng = np.random.default_rng(1)
    for sub in layer.sublayers(include_self=True):
        if isinstance(sub, paddle.nn.layer.norm._BatchNormBase):
            c = sub._mean.shape[0]
            sub._mean.set_value(rng.normal(0, 0.1, c).astype(np.float32))
            sub._variance.set_value(rng.uniform(0.5, 1.5, c).astype(np.float32))
            sub.weight.set_value(rng.uniform(0.5, 1.5, c).astype(np.float32))
            sub.bias.set_value(rng.normal(0, 0.1, c).astype(np.float32))
    return layer


def models(slow: bool):
    """name -> (layer, input spec, input array)."""
    from paddle.vision.models import mobilenet_v2, resnet18
    rng = np.random.default_rng(0)
    size = 224 if slow else 64
    image = paddle.static.InputSpec([None, 3, size, size], "float32", "x")
    x = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    if slow:
        return {"mobilenetv2_224": (mobilenet_v2(), image, x), "resnet18_224": (resnet18(), image, x)}
    ids = rng.integers(0, 100, (2, 16)).astype(np.int64)
    ids[:, -2:] = 0          # the padding index
    return {
        "mobilenetv2": (mobilenet_v2(scale=0.5, num_classes=10), image, x),
        "resnet18": (resnet18(num_classes=10), image, x),
        "encoder": (Encoder(), paddle.static.InputSpec([None, 16], "int64", "ids"), ids),
        "ops": (Ops(), paddle.static.InputSpec([None, 4, 16, 16], "float32", "x"),
                rng.standard_normal((2, 4, 16, 16)).astype(np.float32)),
        "semantics": (Semantics(), paddle.static.InputSpec([None, 2, 7, 7], "float32", "x"),
                      rng.standard_normal((2, 2, 7, 7)).astype(np.float32)),
    }


def main(out: str, slow: bool):
    paddle.seed(0)
    if LEGACY:
        _legacy_matmul_patch()
    os.makedirs(os.path.join(out, "legacy" if LEGACY else "pir"), exist_ok=True)
    for name, (layer, spec, x) in models(slow).items():
        if LEGACY and name in ("ops", "semantics"):
            continue
        weights = os.path.join(out, f"{name}.weights.npz")
        if LEGACY:
            w = np.load(weights)
            layer.set_state_dict({k: paddle.to_tensor(w[k]) for k in w.files})
        else:
            _randomize(layer)
            np.savez(weights, **{k: v.numpy() for k, v in layer.state_dict().items()})
        layer.eval()
        if not LEGACY:
            outs = layer(paddle.to_tensor(x))
            outs = outs if isinstance(outs, tuple) else (outs,)
            np.savez(os.path.join(out, f"{name}.npz"), **{f"in:{spec.name}": x},
                     **{f"out{k}": o.numpy() for k, o in enumerate(outs)})
        paddle.jit.save(layer, os.path.join(out, "legacy" if LEGACY else "pir", name), input_spec=[spec])
    if LEGACY and not slow:
        legacy_ops(out)
    if not LEGACY:
        env = dict(os.environ, FLAGS_enable_pir_api="0")
        subprocess.run([sys.executable, __file__, *sys.argv[1:]], env=env, check=True)


if __name__ == "__main__":
    main(sys.argv[1], "--slow" in sys.argv[2:])
