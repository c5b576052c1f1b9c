"""Models exported from PyTorch to ONNX (random weights, fixed seeds), run on ovcl and compared with ONNX
Runtime (rtol 1e-3, atol 1e-4):

- MobileNetV2 written in plain torch here (torchvision is not needed), eval mode, 1x3x224x224;
- a BERT-style encoder (``transformers.BertModel``, small config), sequence 128, with padding in the mask;
- a GPT-2-style decoder (``transformers.GPT2Model``, small config), sequence 128.

Export uses ``torch.onnx.export`` with the dynamo exporter (onnxscript) and falls back to the TorchScript
exporter (``dynamo=False``) when that fails.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from helpers import randomize_batchnorm, run_ort, run_ovcl
from torch_models import mobilenet_v2

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
nn = torch.nn

SEQ = 128


# ----------------------------------------------------------------------------------------------- exporting
def export(model, args: tuple, input_names, output_names, dynamic_axes=None) -> bytes:
    """ONNX bytes of ``model`` called on ``args``: dynamo exporter first, TorchScript exporter as fallback."""
    model.eval()
    errors = []
    for dynamo in (True, False):
        buf = io.BytesIO()
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                kw = {"dynamo": dynamo, "input_names": input_names, "output_names": output_names}
                if dynamo:
                    prog = torch.onnx.export(model, args, **kw, verbose=False, optimize=True)
                    return prog.model_proto.SerializeToString()
                torch.onnx.export(model, args, buf, opset_version=17, do_constant_folding=True,
                                  dynamic_axes=dynamic_axes, **kw)
                return buf.getvalue()
        except Exception as e:  # noqa: BLE001 - try the other exporter
            errors.append(f"dynamo={dynamo}: {type(e).__name__}: {str(e)[:500]}")
    pytest.fail("torch.onnx.export failed:\n" + "\n".join(errors))


def _compare(data: bytes, feeds, rtol=1e-3, atol=1e-4):
    proto = onnx.load_model_from_string(data)
    names = [i.name for i in proto.graph.input]
    feeds = {k: v for k, v in feeds.items() if k in names}     # exporters may drop unused inputs
    expected = run_ort(data, feeds)
    actual = run_ovcl(data, feeds)
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        assert a.shape == e.shape, f"output {i} ({proto.graph.output[i].name}): shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"output {i}: dtype {a.dtype} != {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"output {i} ({proto.graph.output[i].name})")
    return proto


def _ops(proto) -> str:
    return ", ".join(sorted({n.op_type for n in proto.graph.node}))


# ---------------------------------------------------------------------------------------------------- tests
def test_mobilenet_v2():
    torch.manual_seed(0)
    model = mobilenet_v2().eval()
    with torch.no_grad():
        randomize_batchnorm(model, seed=0)
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    data = export(model, (x,), ["input"], ["logits"])
    _compare(data, {"input": x.numpy()})


def _bert_inputs(vocab, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, vocab, (1, SEQ)).astype(np.int64)
    mask = np.ones((1, SEQ), np.int64)
    mask[:, SEQ - 17:] = 0                                   # padding at the end
    types = np.zeros((1, SEQ), np.int64)
    types[:, SEQ // 2:] = 1
    return ids, mask, types


def test_bert_style_encoder():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=512, max_position_embeddings=256, type_vocab_size=2,
                                  hidden_act="gelu", attn_implementation="eager")
    model = transformers.BertModel(cfg, add_pooling_layer=True).eval()
    ids, mask, types = _bert_inputs(cfg.vocab_size)

    class Wrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         return_dict=True)
            return out.last_hidden_state, out.pooler_output

    args = tuple(torch.from_numpy(a) for a in (ids, mask, types))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    data = export(Wrap(model), args, names, ["last_hidden_state", "pooler_output"])
    _compare(data, dict(zip(names, (ids, mask, types))))


def test_gpt2_style_decoder():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=1000, n_embd=128, n_layer=2, n_head=4, n_positions=256,
                                  attn_implementation="eager", use_cache=False)
    model = transformers.GPT2Model(cfg).eval()
    ids, mask, _ = _bert_inputs(cfg.vocab_size, seed=1)

    class Wrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, use_cache=False,
                          return_dict=True).last_hidden_state

    args = (torch.from_numpy(ids), torch.from_numpy(mask))
    names = ["input_ids", "attention_mask"]
    data = export(Wrap(model), args, names, ["last_hidden_state"])
    _compare(data, dict(zip(names, (ids, mask))))
