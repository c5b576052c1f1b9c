#!/usr/bin/env python
"""Generate the side-by-side benchmark models (ONNX, seeded random weights) and their FLOP counts.

    python scripts/make_bench_models.py [--out out/bench_models] [--models a,b] [--seed 0] [--force]

Writes ``<out>/<name>.onnx`` for each model and ``<out>/models.json`` with, per model, its file, inputs
(name, shape, dtype and the range seeded inputs are drawn from) and FLOPs (MatMul/Gemm/Conv, 2 per
multiply-add, shapes from ``onnx.shape_inference``).

Weights are random (seeded) everywhere: constant or all-equal weights let a runtime fold work away.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

MODELS = ["matmul_1024", "matmul_2048", "conv3x3", "mobilenetv2", "resnet50", "inception_v1", "densenet121",
          "squeezenet", "bert_small", "gpt2_small"]
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "bench_models")

OPSET = 17


# -- small hand-built graphs -----------------------------------------------------------------------------

def _save(model, path):
    import onnx
    onnx.checker.check_model(model)
    onnx.save(model, path)


def make_matmul(n: int, path: str, seed: int) -> list[dict]:
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    b = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["Y"], name="matmul")], f"matmul_{n}",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])],
        [numpy_helper.from_array(b, "B")])
    _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), path)
    return [{"name": "A", "shape": [n, n], "dtype": "float32", "range": [-1.0, 1.0]}]


def make_conv3x3(path: str, seed: int) -> list[dict]:
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((64, 64, 3, 3)) * np.sqrt(2.0 / (64 * 9))).astype(np.float32)
    b = (rng.standard_normal(64) * 0.1).astype(np.float32)
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"], name="conv", kernel_shape=[3, 3],
                            pads=[1, 1, 1, 1], strides=[1, 1])
    graph = helper.make_graph(
        [node], "conv3x3",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64, 56, 56])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 64, 56, 56])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), path)
    return [{"name": "X", "shape": [1, 64, 56, 56], "dtype": "float32", "range": [-1.0, 1.0]}]


# -- onnx's light_* graphs with their ConstantOfShape weights made random -----------------------------------

def _random_weight(rng, shape: list[int], role: tuple[str, int], name: str) -> np.ndarray:
    """A seeded weight for the input ``role`` = (consuming op, input index), scaled as a trained net's."""
    op, idx = role
    if op == "Conv" and idx == 1:            # OIHW: He-normal
        return rng.standard_normal(shape) * np.sqrt(2.0 / int(np.prod(shape[1:])))
    if op == "BatchNormalization":
        # 1 scale, 2 bias, 3 mean, 4 var; the last BN of a residual branch gets a small scale so that
        # the 16 residual sums keep activations (and the final logits) in a sane range
        if idx == 1:
            return rng.uniform(0.1, 0.3, shape) if "branch2c" in name else rng.uniform(0.5, 1.0, shape)
        if idx == 4:
            return rng.uniform(0.5, 2.0, shape)
        return rng.standard_normal(shape) * 0.1
    if op == "Mul":                          # a Caffe "Scale" layer's scale (DenseNet's after each BN)
        return rng.uniform(0.5, 1.0, shape)
    if op == "Gemm" and idx == 1:
        return rng.standard_normal(shape) / np.sqrt(shape[-1])
    if op == "Gemm" and idx == 2:
        return rng.standard_normal(shape) * 0.01
    return rng.standard_normal(shape) * 0.1  # biases


def make_light(name: str, path: str, seed: int) -> list[dict]:
    """onnx's ``backend/test/data/light/light_<name>.onnx`` (a real network's graph whose weights are
    ``ConstantOfShape`` fills) with seeded random initializers in place of the fills."""
    import onnx
    from onnx import numpy_helper
    src = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", f"light_{name}.onnx")
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    # who consumes each tensor, and as which input; a weight reshaped or unsqueezed on its way takes the
    # role of where it ends up
    uses: dict[str, tuple[str, int, str]] = {}
    for n in g.node:
        for i, x in enumerate(n.input):
            uses.setdefault(x, (n.op_type, i, n.output[0]))

    def role(x: str) -> tuple[str, int]:
        op, idx, out = uses.get(x, ("", -1, ""))
        while op in ("Unsqueeze", "Reshape") and idx == 0:
            op, idx, out = uses.get(out, ("", -1, ""))
        return op, idx

    rng = np.random.default_rng(seed)
    new_inits, keep_nodes = [], []
    for n in g.node:
        if n.op_type != "ConstantOfShape":
            keep_nodes.append(n)
            continue
        shape = [int(d) for d in numpy_helper.to_array(inits[n.input[0]])]
        arr = _random_weight(rng, shape, role(n.output[0]), n.output[0])
        new_inits.append(numpy_helper.from_array(arr.astype(np.float32), n.output[0]))
    del g.node[:]
    g.node.extend(keep_nodes)
    still_used = {x for n in g.node for x in n.input}
    kept_inits = [t for t in g.initializer if t.name in still_used] + new_inits
    del g.initializer[:]
    g.initializer.extend(kept_inits)
    # an old-style graph lists its initializers as inputs too: keep only the real input
    init_names = {t.name for t in g.initializer}
    real_inputs = [i for i in g.input if i.name not in init_names and i.name in still_used]
    del g.input[:]
    g.input.extend(real_inputs)
    m.ir_version = max(m.ir_version, 4)     # ir >= 4: initializers need not be listed as inputs
    _save(m, path)
    inp = g.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return [{"name": inp.name, "shape": shape, "dtype": "float32", "range": [-1.0, 1.0]}]


# -- torch models ----------------------------------------------------------------------------------------

def _export(module, args: tuple, input_names: list[str], output_names: list[str], path: str) -> None:
    import torch
    module.eval()
    with torch.no_grad():
        try:
            torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                              opset_version=OPSET, dynamo=False)
        except TypeError:   # a torch without the dynamo keyword
            torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                              opset_version=OPSET)
    import onnx
    onnx.checker.check_model(path)


def _mobilenetv2_module():
    from torch import nn
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
    from torch_models import mobilenet_v2       # the builder the tests use
    model = mobilenet_v2()
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out")
        elif isinstance(mod, nn.BatchNorm2d):     # non-trivial running statistics, as a trained net has
            nn.init.uniform_(mod.weight, 0.5, 1.0)
            nn.init.normal_(mod.bias, 0.0, 0.1)
            mod.running_mean.normal_(0.0, 0.1)
            mod.running_var.uniform_(0.5, 2.0)
        elif isinstance(mod, nn.Linear):
            nn.init.normal_(mod.weight, 0.0, 0.01)
            nn.init.zeros_(mod.bias)
    return model


def make_mobilenetv2(path: str, seed: int) -> list[dict]:
    import torch
    torch.manual_seed(seed)
    model = _mobilenetv2_module().eval()
    _export(model, (torch.randn(1, 3, 224, 224),), ["input"], ["logits"], path)
    return [{"name": "input", "shape": [1, 3, 224, 224], "dtype": "float32", "range": [-1.0, 1.0]}]


def _wrap_last_hidden(model):
    """Plain tensor inputs and one output (the last hidden state) for the export."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return Wrapper(model)


SEQ = 128


def make_bert_small(path: str, seed: int) -> list[dict]:
    import torch
    from transformers import BertConfig, BertModel
    torch.manual_seed(seed)
    cfg = BertConfig(num_hidden_layers=4, hidden_size=512, num_attention_heads=8, intermediate_size=2048,
                     max_position_embeddings=512, attn_implementation="eager")
    model = BertModel(cfg, add_pooling_layer=False).eval()
    ids = torch.randint(0, cfg.vocab_size, (1, SEQ))
    mask = torch.ones(1, SEQ, dtype=torch.int64)
    _export(_wrap_last_hidden(model), (ids, mask), ["input_ids", "attention_mask"], ["last_hidden_state"], path)
    return [{"name": "input_ids", "shape": [1, SEQ], "dtype": "int64", "range": [0, cfg.vocab_size]},
            {"name": "attention_mask", "shape": [1, SEQ], "dtype": "int64", "range": [1, 2]}]


def make_gpt2_small(path: str, seed: int) -> list[dict]:
    import torch
    from transformers import GPT2Config, GPT2Model
    torch.manual_seed(seed)
    cfg = GPT2Config(n_layer=4, n_embd=512, n_head=8, n_positions=1024, use_cache=False,
                     attn_implementation="eager")
    model = GPT2Model(cfg).eval()
    ids = torch.randint(0, cfg.vocab_size, (1, SEQ))
    mask = torch.ones(1, SEQ, dtype=torch.int64)
    _export(_wrap_last_hidden(model), (ids, mask), ["input_ids", "attention_mask"], ["last_hidden_state"], path)
    return [{"name": "input_ids", "shape": [1, SEQ], "dtype": "int64", "range": [0, cfg.vocab_size]},
            {"name": "attention_mask", "shape": [1, SEQ], "dtype": "int64", "range": [1, 2]}]


BUILDERS = {
    "matmul_1024": lambda p, s: make_matmul(1024, p, s),
    "matmul_2048": lambda p, s: make_matmul(2048, p, s),
    "conv3x3": make_conv3x3,
    "mobilenetv2": make_mobilenetv2,
    "resnet50": lambda p, s: make_light("resnet50", p, s),
    "inception_v1": lambda p, s: make_light("inception_v1", p, s),
    "densenet121": lambda p, s: make_light("densenet121", p, s),
    "squeezenet": lambda p, s: make_light("squeezenet", p, s),
    "bert_small": make_bert_small,
    "gpt2_small": make_gpt2_small,
}


# -- FLOPs -----------------------------------------------------------------------------------------------

def seeded_inputs(specs: list[dict], seed: int = 0) -> dict[str, np.ndarray]:
    """The inputs a benchmark feeds: uniform in each spec's [low, high) range, from ``seed``."""
    rng = np.random.default_rng(seed)
    out = {}
    for s in specs:
        lo, hi = s["range"]
        if np.issubdtype(np.dtype(s["dtype"]), np.integer):
            out[s["name"]] = rng.integers(lo, hi, size=s["shape"]).astype(s["dtype"])
        else:
            out[s["name"]] = rng.uniform(lo, hi, size=s["shape"]).astype(s["dtype"])
    return out


def _runtime_shapes(m, names: list[str], inputs: list[dict]) -> dict[str, list]:
    """Shapes that static inference left symbolic, read off one ONNX Runtime run of the model."""
    import onnx
    import onnxruntime as ort
    m = onnx.ModelProto.FromString(m.SerializeToString())
    typed = {vi.name: vi for vi in m.graph.value_info}
    have = {o.name for o in m.graph.output}
    for x in names:
        if x in typed and x not in have:
            m.graph.output.append(typed[x])
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    outs = [o.name for o in sess.get_outputs()]
    vals = sess.run(outs, seeded_inputs(inputs))
    return {k: list(v.shape) for k, v in zip(outs, vals) if k in set(names)}


def count_flops(path: str, inputs: list[dict] | None = None) -> dict:
    """MatMul/Gemm/Conv FLOPs (2 per multiply-add) with shapes from ONNX shape inference (and, for shapes
    it leaves symbolic, from one ONNX Runtime run with ``inputs``' seeded values)."""
    import onnx
    from onnx import shape_inference
    m = shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    g = m.graph
    shapes: dict[str, list | None] = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            shapes[vi.name] = None if any(d is None for d in dims) else dims
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    for n in g.node:                       # Constant nodes carry shapes too
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    shapes[n.output[0]] = list(a.t.dims)
    if inputs is not None:
        need = [x for n in g.node if n.op_type in ("MatMul", "Gemm", "Conv")
                for x in (*n.input[:2], n.output[0]) if x and shapes.get(x) is None]
        if need:
            shapes.update(_runtime_shapes(m, sorted(set(need)), inputs))
    by_op: dict[str, int] = {}
    unknown: list[str] = []
    for n in g.node:
        if n.op_type not in ("MatMul", "Gemm", "Conv"):
            continue
        ins = [shapes.get(x) for x in n.input[:2]]
        out = shapes.get(n.output[0])
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        flops = None
        if n.op_type == "MatMul" and ins[0] and ins[1] and out:
            a, b = ins
            k = a[-1]
            flops = 2 * int(np.prod(out)) * k
        elif n.op_type == "Gemm" and ins[0] and ins[1]:
            a = ins[0]
            k = a[0] if attrs.get("transA", 0) else a[1]
            m_ = a[1] if attrs.get("transA", 0) else a[0]
            b = ins[1]
            nn_ = b[0] if attrs.get("transB", 0) else b[1]
            flops = 2 * m_ * nn_ * k
        elif n.op_type == "Conv" and ins[1] and out:
            w = ins[1]                       # (Cout, Cin/group, k...)
            flops = 2 * int(np.prod(out)) * int(np.prod(w[1:]))
        if flops is None:
            unknown.append(n.name or n.output[0])
            continue
        by_op[n.op_type] = by_op.get(n.op_type, 0) + int(flops)
    return {"flops": int(sum(by_op.values())), "by_op": by_op, "unknown_shape_nodes": unknown}


# -- main ------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: out/bench_models)")
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true", help="regenerate models that exist already")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.models.split(",") if s.strip()]
    bad = [n for n in names if n not in BUILDERS]
    if bad:
        ap.error(f"unknown model(s) {bad}; choose from {MODELS}")
    os.makedirs(args.out, exist_ok=True)
    index_path = os.path.join(args.out, "models.json")
    index = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    rc = 0
    for name in names:
        path = os.path.join(args.out, f"{name}.onnx")
        t0 = time.perf_counter()
        if os.path.exists(path) and name in index and not args.force:
            print(f"{name}: exists ({path}), kept (--force to regenerate)")
            continue
        try:
            inputs = BUILDERS[name](path, args.seed)
            fl = count_flops(path, inputs)
        except Exception as e:  # noqa: BLE001 - one model's failure must not stop the others
            print(f"{name}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
            rc = 1
            continue
        index[name] = {"file": f"{name}.onnx", "inputs": inputs, "seed": args.seed, **fl}
        with open(index_path, "w") as f:
            json.dump(index, f, indent=1)
        print(f"{name}: {path} ({os.path.getsize(path) / 1e6:.1f} MB, {fl['flops'] / 1e9:.3f} GFLOPs"
              f"{', shapes unknown for ' + str(len(fl['unknown_shape_nodes'])) + ' nodes' if fl['unknown_shape_nodes'] else ''})"
              f" in {time.perf_counter() - t0:.1f}s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
