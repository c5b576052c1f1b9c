"""The nine ``light_*`` CNNs shipped with onnx (``onnx/backend/test/data/light``) on ovcl.

(a) Against their shipped expected outputs (``light_<name>_output_0.pb``), with the inputs ONNX's backend test
    runner generates for them (``Runner.generate_dummy_data(input, seed=0, name=..., random=False)``) and ONNX's
    tolerances (atol 1e-7, rtol 1e-3; 2e-3 for DenseNet-121 as in ``onnx.backend.test.case.model``).
    The light models hold every weight as a ``ConstantOfShape`` of 0.02, so this checks structure, not much
    arithmetic.
(b) With every ``ConstantOfShape`` weight replaced by seeded random values (He-scaled conv/FC weights, BN
    statistics near (0, 1), small biases), against ONNX Runtime with rtol 1e-3, atol 1e-4, on the final output
    and on the logits before the final Softmax (when there is one).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402

from helpers import run_ort, run_ovcl

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"

# (model, rtol of onnx.backend.test.case.model, heavy): the heavy ones are marked slow
MODELS = [
    ("bvlc_alexnet", 1e-3, False),
    ("densenet121", 2e-3, True),
    ("inception_v1", 1e-3, False),
    ("inception_v2", 1e-3, False),
    ("resnet50", 1e-3, False),
    ("shufflenet", 1e-3, False),
    ("squeezenet", 1e-3, False),
    ("vgg19", 1e-3, True),
    ("zfnet512", 1e-3, False),
]


def _params(models=MODELS):
    return [pytest.param(name, rtol, id=name, marks=[pytest.mark.slow] if heavy else [])
            for name, rtol, heavy in models]


def _path(name: str) -> Path:
    p = LIGHT_DIR / f"light_{name}.onnx"
    if not p.is_file():
        pytest.skip(f"{p} is not in this onnx installation")
    return p


def _real_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in inits]


def _check(actual, expected, rtol, atol):
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        assert a.shape == e.shape, f"output {i}: shape {a.shape}, expected {e.shape}"
        assert a.dtype == e.dtype, f"output {i}: dtype {a.dtype}, expected {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"output {i}")


# ----------------------------------------------------------------------------------- (a) shipped outputs
@pytest.mark.parametrize("name,rtol", _params())
def test_light_model_expected_output(name, rtol):
    from onnx.backend.test.runner import Runner
    path = _path(name)
    model = onnx.load(str(path))
    feeds = {vi.name: Runner.generate_dummy_data(vi, seed=0, name=name, random=False) for vi in _real_inputs(model)}
    expected = []
    for i in range(len(model.graph.output)):
        f = LIGHT_DIR / f"light_{name}_output_{i}.pb"
        assert f.is_file(), f"{f} missing"
        expected.append(numpy_helper.to_array(onnx.load_tensor(str(f))))
    _check(run_ovcl(path, feeds), expected, rtol=rtol, atol=1e-7)


# ------------------------------------------------------------------------------- (b) random weights vs ORT
def _consumers(model):
    out = {}
    for n in model.graph.node:
        for k, i in enumerate(n.input):
            if i:
                out.setdefault(i, []).append((n, k))
    return out


def _final_use(name, consumers, inits):
    """Follow a tensor through Unsqueeze/Reshape to the node that uses it: (node, input index, shape there)."""
    seen = 0
    while seen < 8:
        uses = consumers.get(name, [])
        if not uses:
            return None, -1, None
        node, k = uses[0]
        if node.op_type in ("Unsqueeze", "Reshape", "Flatten", "Squeeze") and k == 0:
            name = node.output[0]
            seen += 1
            continue
        return node, k, None
    return None, -1, None


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def randomize_weights(model, seed: int = 0):
    """A copy of ``model`` whose ConstantOfShape weights are seeded random initializers of sane magnitude, and
    the list of (weight initializer, output of the Conv/Gemm using it) for calibration."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    rng = np.random.default_rng(seed)
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers = _consumers(m)
    nodes, new_inits, layers = [], [], []
    for n in g.node:
        if n.op_type != "ConstantOfShape" or n.input[0] not in inits:
            nodes.append(n)
            continue
        shape = tuple(int(s) for s in inits[n.input[0]])
        user, k, _ = _final_use(n.output[0], consumers, inits)
        op = user.op_type if user is not None else ""
        if op in ("Conv", "Gemm", "MatMul") and k == 1:
            if op == "Conv":
                fan_in = int(np.prod(shape[1:]))
            elif op == "Gemm" and len(shape) == 2:
                fan_in = shape[1] if _attr(user, "transB", 0) else shape[0]
            else:                                  # reshaped FC weight, [out, in...] (Caffe2 layout)
                fan_in = int(np.prod(shape)) // shape[0]
            v = rng.standard_normal(shape) * np.sqrt(2.0 / max(1, fan_in))
            layers.append((n.output[0], user.output[0]))
        elif op == "BatchNormalization" and k == 1:           # scale
            v = rng.uniform(0.4, 1.0, shape)
        elif op == "BatchNormalization" and k == 4:           # variance
            v = rng.uniform(0.5, 1.5, shape)
        elif op == "BatchNormalization" and k in (2, 3):      # bias, mean
            v = rng.uniform(-0.2, 0.2, shape)
        elif op == "Mul":
            v = rng.uniform(0.5, 1.5, shape)
        else:                                                 # biases, additive terms
            v = rng.uniform(-0.1, 0.1, shape)
        new_inits.append(numpy_helper.from_array(v.astype(np.float32), n.output[0]))
    used = {i for nd in nodes for i in nd.input}
    keep = [i for i in g.initializer if i.name in used] + new_inits
    keep_names = {i.name for i in keep}
    old_inits = {i.name for i in g.initializer}
    inputs = [vi for vi in g.input if vi.name not in old_inits]            # the real inputs only
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.input[:]
    g.input.extend(inputs)
    assert all(vi.name not in keep_names for vi in inputs)
    # the logits before a final Softmax are the sharper thing to compare
    outs = {o.name for o in g.output}
    for nd in g.node:
        if nd.op_type == "Softmax" and nd.output[0] in outs and nd.input[0] not in outs:
            g.output.append(onnx.ValueInfoProto(name=nd.input[0]))
    return m, layers


def _upstream_layers(model, layers):
    """{layer output: the weights of the layers (other than itself) it depends on}."""
    producer = {o: n for n in model.graph.node for o in n.output}
    weight_of = {out: w for w, out in layers}
    memo: dict[str, frozenset] = {}

    def deps(t):
        if t in memo:
            return memo[t]
        memo[t] = frozenset()
        n = producer.get(t)
        acc = set()
        if n is not None:
            for i in n.input:
                if i in weight_of:
                    acc.add(weight_of[i])
                acc |= deps(i)
        memo[t] = frozenset(acc)
        return memo[t]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    return {out: deps(out) - {w} for w, out in layers}


def calibrate(model, layers, feeds, passes: int = 40, limit: float = 50.0):
    """When random weights make the outputs large (BN statistics and residual sums compound), rescale the
    Conv/Gemm weights so that each layer's output has a standard deviation near 1 on ``feeds`` (LSUV-like,
    ONNX Runtime measuring). Each pass fixes the out-of-band layers none of whose upstream layers is out of
    band, so every fix is exact. Returns the model (changed in place)."""
    if all(np.isfinite(o).all() and np.abs(o).max() < limit for o in run_ort(model, feeds, threads=1)):
        return model
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    for _, out in layers:
        if out not in have:
            probe.graph.output.append(onnx.ValueInfoProto(name=out))
            have.add(out)
    names = [o.name for o in probe.graph.output]
    index = {i.name: k for k, i in enumerate(probe.graph.initializer)}
    upstream = _upstream_layers(probe, layers)
    for _ in range(passes):
        calibrate.passes += 1
        values = dict(zip(names, run_ort(probe, feeds, threads=1)))
        bad = {}
        for w, out in layers:
            std = float(np.std(values[out].astype(np.float64)))
            if not (np.isfinite(std) and 0.5 < std < 2.0):
                bad[w] = std
        if not bad:
            break
        for w, out in layers:
            if w not in bad or upstream[out] & bad.keys():
                continue
            std = bad[w]
            arr = numpy_helper.to_array(probe.graph.initializer[index[w]])
            scale = 1.0 / std if np.isfinite(std) and std > 0 else 1e-3
            probe.graph.initializer[index[w]].CopyFrom(numpy_helper.from_array((arr * scale).astype(np.float32), w))
    for w, _ in layers:
        model.graph.initializer[index[w]].CopyFrom(probe.graph.initializer[index[w]])
    return model


calibrate.passes = 0


@pytest.mark.parametrize("name,rtol", _params())
def test_light_model_random_weights_vs_onnxruntime(name, rtol):
    model, layers = randomize_weights(onnx.load(str(_path(name))), seed=0)
    rng = np.random.default_rng(1)
    feeds = {}
    for vi in _real_inputs(model):
        shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in vi.type.tensor_type.shape.dim)
        feeds[vi.name] = rng.random(shape, dtype=np.float32)
    calibrate(model, layers, feeds)
    expected = run_ort(model, feeds, threads=1)
    for e in expected:
        assert np.isfinite(e).all() and np.abs(e).max() < 1e4, "random weights give non-finite/exploding outputs"
    _check(run_ovcl(model, feeds), expected, rtol=1e-3, atol=1e-4)
