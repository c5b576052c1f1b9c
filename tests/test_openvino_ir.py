"""IR as OpenVINO itself saves it: ``openvino.save_model(core.read_model(onnx))``, f32 and FP16.

OpenVINO keeps its shape subgraphs in such IR (ShapeOf -> Gather -> Concat -> Reshape, for biases, flattening and
attention masks), writes ReLU6 as Maximum then Minimum and Gemm as MatMul, Multiply, Add. ovcl reads it with the
static shapes OpenVINO infers (shape inference computes the values of those subgraphs ahead: ``Node.input_known``)
and gives OpenVINO's results (f32 on both sides; rtol 1e-4 of the output's scale)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import ovcl

ov = pytest.importorskip("openvino")
torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))


def _export(module, args, names, path):
    from make_bench_models import _export as export
    export(module, args, names, ["out"], str(path))


def _mobilenet(path):
    from torch_models import mobilenet_v2
    torch.manual_seed(0)
    model = mobilenet_v2(num_classes=10).eval()
    for mod in model.modules():          # non-trivial BatchNorm statistics, as a trained net has
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
    _export(model, (torch.randn(1, 3, 64, 64),), ["image"], path)
    return {"image": np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)}


def _bert(path):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=128,
                                  vocab_size=100, max_position_embeddings=32, attn_implementation="eager")
    bert = transformers.BertModel(cfg, add_pooling_layer=False).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids, mask = torch.randint(0, 100, (1, 16)), torch.ones(1, 16, dtype=torch.int64)
    _export(LastHidden(), (ids, mask), ["input_ids", "attention_mask"], path)
    mask = np.ones((1, 16), np.int64)
    mask[0, 12:] = 0
    return {"input_ids": np.random.default_rng(0).integers(0, 100, (1, 16)), "attention_mask": mask}


MODELS = {"mobilenet_v2": _mobilenet, "bert": _bert}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """name -> (inputs, {compress_to_fp16: path of the IR OpenVINO saved}); built once per run."""
    out = {}
    folder = tmp_path_factory.mktemp("openvino_ir")
    for name, build in MODELS.items():
        feeds = build(folder / f"{name}.onnx")
        model = ov.Core().read_model(str(folder / f"{name}.onnx"))
        paths = {}
        for fp16 in (False, True):
            paths[fp16] = folder / f"{name}_{'fp16' if fp16 else 'f32'}.xml"
            ov.save_model(model, str(paths[fp16]), compress_to_fp16=fp16)
        out[name] = (feeds, paths)
    return out


@pytest.mark.parametrize("fp16", [False, True], ids=["f32", "fp16"])
@pytest.mark.parametrize("name", list(MODELS))
def test_openvino_saved_ir_reads_with_openvinos_shapes_and_results(saved, name, fp16):
    feeds, paths = saved[name]
    theirs, ours = ov.Core().read_model(str(paths[fp16])), ovcl.read_model(str(paths[fp16]))
    for a, b in zip(theirs.outputs + theirs.inputs, ours.outputs + ours.inputs):
        assert str(b.get_partial_shape()) == str(a.get_partial_shape())
        assert b.get_partial_shape().is_static
    ref = ov.Core().compile_model(theirs, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(feeds)[0]
    got = ovcl.compile_model(ours, "CPU")(feeds)[0]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4 * float(np.abs(ref).max()))


def test_shapes_follow_a_reshape(saved):
    """The shape subgraphs are kept, not folded at reading: a reshaped batch flows through them."""
    feeds, paths = saved["mobilenet_v2"]
    model = ovcl.read_model(str(paths[False]))
    assert any(n.type_name == "ShapeOf" for n in model.get_ordered_ops())
    model.reshape([3, 3, 64, 64])
    assert str(model.output(0).get_partial_shape()) == "[3,10]"
    x = np.concatenate([feeds["image"]] * 3)
    theirs = ov.Core().read_model(str(paths[False]))
    theirs.reshape([3, 3, 64, 64])
    ref = ov.Core().compile_model(theirs, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(x)[0]
    np.testing.assert_allclose(ovcl.compile_model(model, "CPU")(x)[0], ref, rtol=0,
                               atol=1e-4 * float(np.abs(ref).max()))


def test_relu6_as_maximum_minimum_fuses_into_the_convolutions(saved):
    """OpenVINO's ReLU6 (Maximum, Minimum) runs in the convolutions' epilogues: no element-wise launch is left
    for it."""
    _, paths = saved["mobilenet_v2"]
    compiled = ovcl.compile_model(ovcl.read_model(str(paths[False])), "CPU")
    text = Path(paths[False]).read_text()
    assert 'type="Maximum"' in text and 'type="Minimum"' in text
    clamps = [l for l in compiled.launches() if l.op in ("Maximum", "Minimum", "Clamp", "FusedEltwise")]
    assert len(clamps) <= 1, [l.node for l in clamps]       # (the classifier's Gemm scale and bias: one)
