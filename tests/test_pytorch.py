"""The PyTorch frontend: modules captured with torch.export, translated op by op, compiled and compared with
torch eager. Models are built here with seeded random weights; nothing is downloaded."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import ovcl  # noqa: E402
from ovcl.errors import FrontendError, UnsupportedOpError  # noqa: E402

from helpers import randomize_batchnorm

RTOL, ATOL = 1e-3, 1e-4


def run(model, feeds):
    compiled = ovcl.compile_model(model, "CPU")
    return list(compiled(feeds).to_tuple())


def eager(module, args=(), kwargs=None):
    with torch.no_grad():
        out = module(*args, **(kwargs or {}))
    if isinstance(out, torch.Tensor):
        return [out.numpy()]
    if isinstance(out, dict):
        return [v.numpy() for v in out.values() if isinstance(v, torch.Tensor)]
    return [o.numpy() for o in out if isinstance(o, torch.Tensor)]


def check(actual, expected, rtol=RTOL, atol=ATOL):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
        if e.dtype.kind in "iub":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def convert(module, example_input, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ovcl.convert_model(module, example_input=example_input, **kw)


# -- models written in plain torch ---------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class TinyResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        y = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(y), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class TinyMobileNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
            InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(12, classes))

    def forward(self, x):
        y = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(y, 1))


@pytest.mark.parametrize("cls", [TinyResNet, TinyMobileNetV2])
def test_cnn(cls):
    torch.manual_seed(0)
    m = randomize_batchnorm(cls()).eval()
    x = torch.randn(2, 3, 32, 32)
    model = convert(m, x)
    assert str(model.inputs[0].get_partial_shape()) == "[?,3,?,?]"
    check(run(model, x.numpy()), eager(m, (x,)))


@pytest.mark.slow
@pytest.mark.parametrize("cls", [TinyResNet, TinyMobileNetV2])
def test_cnn_other_sizes(cls):
    """Converted once, run at other batch and spatial sizes (every dimension is dynamic)."""
    torch.manual_seed(0)
    m = randomize_batchnorm(cls()).eval()
    model = convert(m, torch.randn(2, 3, 32, 32))
    compiled = ovcl.compile_model(model, "CPU")
    for shape in ((1, 3, 40, 48), (3, 3, 17, 23)):
        x = torch.randn(*shape)
        check(list(compiled(x.numpy()).to_tuple()), eager(m, (x,)))


class OpsCNN(nn.Module):
    """Ops CNN-like models use beyond ResNet/MobileNet: avg pool, cat, hardswish, silu, sigmoid gating."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 1)
        self.c = nn.Conv2d(8, 8, 3, stride=2, padding=1, dilation=1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = torch.cat([nn.functional.hardswish(self.a(x)), nn.functional.silu(self.b(x))], dim=1)
        y = nn.functional.avg_pool2d(y, 2, ceil_mode=False)
        y = self.c(y) * torch.sigmoid(y.mean((2, 3), keepdim=True))
        y = nn.functional.leaky_relu(y, 0.1) - 0.5 * y
        return self.fc(y.flatten(1, 3).view(y.shape[0], 8, -1).amax(-1))


def test_cnn_ops():
    torch.manual_seed(0)
    m = OpsCNN().eval()
    x = torch.randn(2, 3, 16, 16)
    check(run(convert(m, x), x.numpy()), eager(m, (x,)))


# -- transformer building blocks -----------------------------------------------------------

class AttentionOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.ln = nn.LayerNorm(16)
        self.qkv = nn.Linear(16, 48)
        self.out = nn.Linear(16, 16)

    def forward(self, ids, mask):
        b, s = ids.shape
        pos = torch.arange(s).unsqueeze(0).expand(b, -1)
        h = self.ln(self.emb(ids) + self.emb(pos % 50).to(torch.float32))
        q, k, v = self.qkv(h).split(16, dim=-1)
        q = q.view(b, s, 2, 8).transpose(1, 2)
        k = k.view(b, s, 2, 8).permute(0, 2, 1, 3).contiguous()
        v = v.reshape(b, s, 2, 8).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / 8 ** 0.5
        scores = scores.masked_fill(mask[:, None, None, :] == 0, -1e4)
        a = torch.softmax(scores, dim=-1) @ v
        sdpa = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :].bool())
        causal = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = (a + sdpa + causal).transpose(1, 2).reshape(b, s, 16)
        y = nn.functional.gelu(self.out(y), approximate="tanh") + nn.functional.gelu(y)
        cum = torch.cumsum(mask, dim=1)
        y = torch.where(cum[..., None] > 1, y, torch.zeros_like(y))
        y = torch.baddbmm(y[:, :, :4], y, y.transpose(1, 2)[:, :, :4], beta=0.5, alpha=0.25)
        return y[:, 1:, :], y[:, -1], y[..., 0:4:2]


def test_transformer_ops():
    torch.manual_seed(0)
    m = AttentionOps().eval()
    ids = torch.randint(0, 50, (2, 7))
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    model = convert(m, (ids, mask))
    assert [i.get_any_name() for i in model.inputs] == ["ids", "mask"]
    check(run(model, {"ids": ids.numpy(), "mask": mask.numpy()}), eager(m, (ids, mask)))
    ids2, mask2 = torch.randint(0, 50, (3, 11)), torch.ones(3, 11, dtype=torch.long)
    mask2[0, 9:] = 0
    check(run(model, {"ids": ids2.numpy(), "mask": mask2.numpy()}), eager(m, (ids2, mask2)))


# -- transformers models -----------------------------------------------------------------

def _bert():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=100, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=128, max_position_embeddings=64)
    return transformers.BertModel(cfg).eval()


def _bert_feeds(b, s):
    g = torch.Generator().manual_seed(s)
    ids = torch.randint(0, 100, (b, s), generator=g)
    mask = torch.ones(b, s, dtype=torch.long)
    mask[0, s - 2:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def test_bert_two_sequence_lengths():
    m = _bert()
    model = convert(m, _bert_feeds(2, 8))
    assert [i.get_any_name() for i in model.inputs] == ["input_ids", "attention_mask"]
    assert {"last_hidden_state", "pooler_output"} <= {n for o in model.outputs for n in o.get_names()}
    compiled = ovcl.compile_model(model, "CPU")
    for b, s in ((2, 8), (3, 13)):
        feeds = _bert_feeds(b, s)
        got = list(compiled({k: v.numpy() for k, v in feeds.items()}).to_tuple())
        check(got, eager(m, kwargs=feeds))


@pytest.mark.slow
def test_gpt2():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=100, n_embd=64, n_layer=2, n_head=4, n_positions=64, use_cache=False)
    m = transformers.GPT2Model(cfg).eval()
    ids = torch.randint(0, 100, (2, 9))
    model = convert(m, {"input_ids": ids})
    check(run(model, {"input_ids": ids.numpy()}), eager(m, kwargs={"input_ids": ids}))
    ids = torch.randint(0, 100, (1, 5))
    check(run(model, {"input_ids": ids.numpy()}), eager(m, kwargs={"input_ids": ids}))


@pytest.mark.slow
def test_vit():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.ViTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                 image_size=32, patch_size=8)
    m = transformers.ViTModel(cfg).eval()
    x = torch.randn(2, 3, 32, 32)
    model = convert(m, {"pixel_values": x})
    check(run(model, {"pixel_values": x.numpy()}), eager(m, kwargs={"pixel_values": x}))


# -- API ----------------------------------------------------------------------------------

class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x, scale: float = 2.0):
        return torch.relu(self.fc(x)) * scale


def test_exported_program_and_input_forms():
    torch.manual_seed(0)
    m = Small().eval()
    x = torch.randn(5, 4)
    ref = eager(m, (x,))
    for example in (x, (x,), [x], {"x": x}, x.numpy()):
        model = convert(m, example)
        assert model.inputs[0].get_any_name() == "x"
        check(run(model, x.numpy()), ref)
    ep = torch.export.export(m, (x,))
    check(run(ovcl.convert_model(ep), x.numpy()), ref)


def test_dynamic_by_default_and_static_input_spec():
    torch.manual_seed(0)
    m = Small().eval()
    x = torch.randn(5, 4)
    dyn = convert(m, x)
    assert str(dyn.inputs[0].get_partial_shape()) == "[?,4]"
    static = convert(m, None, input=[[5, 4]])
    assert str(static.inputs[0].get_partial_shape()) == "[5,4]"
    check(run(static, x.numpy()), eager(m, (x,)))


def test_weights_are_views():
    m = Small().eval()
    model = convert(m, torch.randn(2, 4))
    consts = [n for n in model.get_ordered_ops() if n.type_name == "Constant" and n.value.shape == (3, 4)]
    assert consts and np.shares_memory(consts[0].value, m.fc.weight.detach().numpy())


class Unsupported(nn.Module):
    def forward(self, x):
        return torch.special.bessel_j0(x) + 1


def test_unsupported_op_names_aten_op_and_module():
    m = nn.Sequential(nn.Linear(3, 3), Unsupported()).eval()
    with pytest.raises(UnsupportedOpError) as e:
        convert(m, torch.randn(2, 3))
    msg = str(e.value)
    assert "aten.special_bessel_j0" in msg and "Unsupported" in msg and "1" in msg


def test_not_a_module():
    from ovcl.frontends.pytorch import convert as pt_convert
    with pytest.raises(FrontendError, match="torch.nn.Module"):
        pt_convert(object())


def test_import_ovcl_does_not_import_torch():
    code = ("import sys, ovcl, ovcl.frontends.pytorch; m = ovcl.Model; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_torch_says_pip_install():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from ovcl.frontends.pytorch import convert\n"
            "from ovcl.errors import FrontendError\n"
            "try:\n    convert(object())\nexcept FrontendError as e:\n"
            "    assert 'pip install torch' in str(e), e\nelse:\n    raise SystemExit('no error')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- op coverage against torch, evaluated with the ops' NumPy references (no kernels compiled) ---------

def reference(model, feeds):
    """Run ``model`` with each op's NumPy ``evaluate``: checks translations without building kernels."""
    vals = {}
    for p, x in zip(model.get_parameters(), feeds):
        vals[(p.id, 0)] = np.asarray(x)
    for node in model.get_ordered_ops():
        if node.type_name == "Parameter":
            continue
        outs = node.evaluate([vals[(i.node.id, i.index)] for i in node.input_values()])
        for k, o in enumerate(outs):
            vals[(node.id, k)] = np.asarray(o)
    return [vals[(r.input_value(0).node.id, r.input_value(0).index)] for r in model.get_results()]


class Fn(nn.Module):
    def __init__(self, fn, *mods):
        super().__init__()
        self.fn = fn
        self.mods = nn.ModuleList(mods)

    def forward(self, *xs):
        return self.fn(self, *xs)


F = nn.functional
_x4 = lambda *s: torch.randn(*s)  # noqa: E731

OP_CASES = {
    "flip_tril_triu": (lambda s, x: (x.flip(1), torch.tril(x, 1), torch.triu(x)), [_x4(2, 5, 6)]),
    "repeat_pad": (lambda s, x: (x.repeat(2, 1, 3), F.pad(x, (1, 2, 0, 1), value=0.5)), [_x4(2, 3, 4)]),
    "var_std_reduce": (lambda s, x: (x.var(dim=1, keepdim=True), x.std(-1), x.sum(), x.mean((0, 2)),
                                     x.amin(1), x.prod(-1), x.abs().max()), [_x4(3, 4, 5)]),
    "argmax_topk_max": (lambda s, x: (x.argmax(-1), *x.max(dim=1), *torch.topk(x, 2, dim=-1)), [_x4(3, 6)]),
    "interpolate": (lambda s, x: (F.interpolate(x, scale_factor=2, mode="nearest"),
                                  F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False),
                                  F.interpolate(x, size=(6, 6), mode="bilinear", align_corners=True)),
                    [_x4(1, 2, 4, 3)]),
    "group_norm_convT": (lambda s, x: (s.mods[0](x), s.mods[1](x)),
                         [_x4(2, 4, 5, 5)], nn.GroupNorm(2, 4), nn.ConvTranspose2d(4, 2, 3, 2, 1, output_padding=1)),
    "index": (lambda s, x, i, j: (x[i, :, j], x[:, i, j], x[i], x[:, :, -1], x[..., 1:4:2]),
              [_x4(4, 5, 6), torch.tensor([[0, 3], [2, 1]]), torch.tensor([5, -1])]),
    "stack_chunk_unbind": (lambda s, x: (torch.stack([x, x * 2], 1), *x.chunk(3, -1), *x.unbind(0)),
                           [_x4(2, 3, 7)]),
    "div_modes": (lambda s, a, b: (a / b, torch.div(a, b, rounding_mode="floor"),
                                   torch.div(a, b, rounding_mode="trunc"), a // 3, a % 3, a.float() / 2,
                                   torch.div(a.float(), 2.5, rounding_mode="trunc")),
                  [torch.tensor([[7, -7, 5], [-3, 8, 1]]), torch.tensor([2, 3, -2])]),
    "math": (lambda s, x: (x.abs().rsqrt(), x.pow(3), x ** 2, torch.clamp(x, min=-0.5), x.exp().log1p(),
                           torch.where(x > 0, x, 0.1), F.softplus(x), F.elu(x), F.mish(x), F.hardsigmoid(x),
                           F.log_softmax(x, -1), torch.erf(x), x.sign(), 1 - x, x.reciprocal()),
             [_x4(3, 5)]),
    "pools": (lambda s, x: (F.max_pool2d(x, 3, 2, 1, dilation=1, ceil_mode=True), F.avg_pool2d(x, 3, 2, 1,
                            ceil_mode=True, count_include_pad=False), F.adaptive_avg_pool2d(x, (2, 3)),
                            F.max_pool1d(x.flatten(2), 2)), [_x4(2, 3, 7, 9)]),
    "sizes": (lambda s, x: (x.new_zeros(x.shape[0], 3), torch.full((x.shape[1], 2), 1.5), x.view(-1),
                            x.unsqueeze(-1).squeeze(-1), x.flatten(), torch.ones_like(x).cumsum(0),
                            x.reshape(x.shape[0] * x.shape[1], -1), x.narrow(1, 1, 2),
                            torch.arange(x.shape[1]) * 2, x.t().contiguous(), x.unflatten(1, (2, -1))),
              [_x4(3, 4)]),
    "sdpa_gqa": (lambda s, q, k, v: (F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                                     F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3,
                                                                    enable_gqa=True)),
                 [_x4(2, 4, 5, 8), _x4(2, 2, 5, 8), _x4(2, 2, 5, 8)]),
    "norms": (lambda s, x: (s.mods[0](x), F.normalize(x, dim=-1), x.norm(dim=1), F.rms_norm(x, (6,), eps=1e-5),
                            F.layer_norm(x, (6,))), [_x4(2, 3, 6)], nn.LayerNorm(6)),
    "int_bool": (lambda s, x, m: (x.to(torch.float32) * m, (x > 2) & m, ~m, (x + 1).long(), m.any(), m.all(-1),
                                  x.masked_fill(m, -1)),
                 [torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.int32), torch.tensor([[True, False, True],
                                                                                         [False, False, True]])]),
}


@pytest.mark.parametrize("decompose", [None, pytest.param(True, marks=pytest.mark.slow)], ids=["direct", "core_aten"])
@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_op_translations(case, decompose):
    """Both paths: the exported graph translated directly, and after torch's core-ATen decompositions."""
    from ovcl.frontends.pytorch import convert as pt_convert
    torch.manual_seed(0)
    fn, ins, *mods = OP_CASES[case]
    m = Fn(fn, *mods).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pt_convert(m, example_input=tuple(ins), decompose=decompose)
    got = reference(model, [x.numpy() for x in ins])
    check(got, eager(m, tuple(ins)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pool", [nn.AvgPool2d(5, 5, ceil_mode=True), nn.MaxPool2d(5, 5, ceil_mode=True),
                                  nn.AvgPool2d(4, 3, padding=1, ceil_mode=True)])
def test_pool_window_larger_than_input_ceil_mode(pool):
    """Rounding up, a window larger than the input still gives one output (EfficientNet's head pools so)."""
    x = torch.randn(1, 3, 2, 3)
    model = ovcl.convert_model(pool, example_input=x)
    check(run(model, x.numpy()), eager(pool, (x,)))
