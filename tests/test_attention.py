"""Attention and transformer ops: the fused ScaledDotProductAttention kernel against its NumPy reference, ONNX
Attention / RMSNormalization / RotaryEmbedding / LinearAttention against ``onnx.reference`` on random inputs,
and a focused run of ONNX backend node cases for these ops (plus SwiGLU and CausalConvWithState).

Tolerances: f32 rtol 1e-4 / atol 1e-5 (the kernel accumulates in float, the references in float64 or float32);
f16 rtol 1e-2 / atol 1e-3; backend cases with the case's own rtol/atol (default 1e-3 / 1e-7).
``OVCL_ATTENTION_ALL_CASES=1`` runs every backend case of these ops instead of the representative subset.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from onnx import helper

from helpers import assert_close, onnx_model, run_ovcl, run_reference

F32 = dict(rtol=1e-4, atol=1e-5)


# -- the kernel against the IR reference ---------------------------------------------------------------------

def _sdpa_model(shapes, dtype, mask=None, causal=False, scale=None, sink=None):
    from ovcl.ir import Model, ops
    tname = {np.float32: "f32", np.float16: "f16"}[dtype]
    ps = [ops.parameter(s, tname, name=n) for n, s in zip("qkv", shapes)]
    ins = list(ps)
    if mask is not None:
        mp = ops.parameter(mask.shape, "boolean" if mask.dtype == np.bool_ else tname, name="m")
        ps.append(mp)
        ins.append(mp)
    elif scale is not None or sink is not None:
        ins.append(ops.constant(np.array(0, dtype)))
    if scale is not None or sink is not None:
        ins.append(ops.constant(np.array(scale if scale is not None else 1 / np.sqrt(shapes[0][-1]), dtype)))
    if sink is not None:
        ins.append(ops.constant(sink))
    node = ops.make("ScaledDotProductAttention", ins, name="sdpa", causal=causal)
    return Model([ops.make("Result", [node])], ps)


SDPA_CASES = [
    # q, k, v shapes, mask shape (None / float / bool), causal
    (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)), None, False),
    (((1, 2, 5, 8), (1, 2, 6, 8), (1, 2, 6, 10)), None, True),           # Ev not a multiple of 4, L tail
    (((2, 9, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)), ("f", (4, 6)), False),    # grouped-query, 2-D mask
    (((2, 8, 7, 16), (2, 2, 13, 16), (2, 2, 13, 16)), ("b", (2, 1, 7, 13)), False),
    (((3, 40, 16), (3, 300, 16), (3, 300, 32)), None, True),              # rank 3, S not a multiple of 8
    (((1, 4, 9, 64), (1, 1, 33, 64), (1, 1, 33, 64)), ("f", (1, 4, 9, 33)), False),   # multi-query
    (((2, 3, 1, 8), (2, 3, 1, 8), (2, 3, 1, 12)), None, False),          # one key, one query
    (((2, 1, 2, 8), (2, 1, 1200, 8), (2, 1, 1200, 8)), None, False),     # long keys: global scratch rows
    (((1, 2, 12, 8), (1, 2, 5, 8), (1, 2, 5, 8)), None, True),           # causal with L > S
    (((1, 2, 3, 5), (1, 2, 9, 5), (1, 2, 9, 3)), ("f", (2, 1, 9)), False),  # odd head sizes
    # a query row or two (a decode step's): keys read in place, no transposed copy
    (((1, 8, 1, 16), (1, 2, 37, 16), (1, 2, 37, 16)), ("b", (1, 1, 1, 37)), False),   # grouped-query cache
    (((2, 4, 2, 8), (2, 4, 9, 8), (2, 4, 9, 8)), None, True),
]


@pytest.mark.parametrize("shapes,mask,causal", SDPA_CASES)
def test_sdpa_kernel(shapes, mask, causal, rng):
    from ovcl.ir.ops.attention import sdpa_reference
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    m = None
    if mask is not None:
        m = (rng.random(mask[1]) > 0.3) if mask[0] == "b" else rng.standard_normal(mask[1]).astype(np.float32)
    feeds = {"q": q, "k": k, "v": v, **({"m": m} if m is not None else {})}
    out = run_ovcl(_sdpa_model(shapes, np.float32, m, causal), feeds)
    assert_close(out, [sdpa_reference(q, k, v, m, causal=causal)], **F32)


def test_sdpa_scale_sink_f16(rng):
    from ovcl.ir.ops.attention import sdpa_reference
    shapes = ((1, 2, 3, 8), (1, 1, 19, 8), (1, 1, 19, 6))
    q, k, v = (rng.standard_normal(s).astype(np.float16) for s in shapes)
    sink = rng.standard_normal((1, 2, 3, 1)).astype(np.float16)
    out = run_ovcl(_sdpa_model(shapes, np.float16, scale=0.3, sink=sink), {"q": q, "k": k, "v": v})
    ref = sdpa_reference(q, k, v, None, np.float16(0.3), sink)
    assert out[0].dtype == np.float16
    assert_close(out, [ref], rtol=1e-2, atol=1e-3)


def test_sdpa_fully_masked_rows_are_zero(rng):
    shapes = ((1, 2, 3, 8), (1, 2, 4, 8), (1, 2, 4, 8))
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    m = np.ones((3, 4), bool)
    m[1] = False
    out = run_ovcl(_sdpa_model(shapes, np.float32, m), {"q": q, "k": k, "v": v, "m": m})[0]
    assert np.all(out[:, :, 1] == 0) and np.all(np.isfinite(out))


@pytest.mark.parametrize("causal,mask", [(False, None), (True, None), (False, "b"), (False, "f")])
def test_sdpa_matches_openvino(causal, mask, rng, tmp_path):
    """The op as exported to OpenVINO IR computes the same in OpenVINO (rows never fully masked here: OpenVINO
    yields NaN for those, ovcl zeros; grouped-query shapes are an ovcl extension OpenVINO rejects)."""
    ov = pytest.importorskip("openvino")
    import ovcl
    shapes = ((2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 6))
    q, k, v = (rng.standard_normal(sh).astype(np.float32) for sh in shapes)
    m = None
    if mask == "b":
        m = rng.random((2, 1, 5, 7)) > 0.3
        m[..., 0] = True
    elif mask == "f":
        m = rng.standard_normal((5, 7)).astype(np.float32)
    model = _sdpa_model(shapes, np.float32, m, causal)
    feeds = {"q": q, "k": k, "v": v, **({"m": m} if m is not None else {})}
    ovcl.save_model(model, str(tmp_path / "sdpa.xml"))
    ref = ov.Core().compile_model(str(tmp_path / "sdpa.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(feeds)[0]
    assert_close(run_ovcl(model, feeds), [ref], rtol=1e-3, atol=1e-4)


# -- ONNX translators against onnx.reference ------------------------------------------------------------------


def _attention_model(shapes, attrs, outputs=("Y",), opset=23, types=None):
    names = ["Q", "K", "V", "attn_mask", "past_key", "past_value", "nonpad_kv_seqlen"]
    ins = [n if n in shapes else "" for n in names]
    while ins and not ins[-1]:
        ins.pop()
    node = helper.make_node("Attention", ins, list(outputs), **attrs)
    types = types or {}
    vi = [(n, types.get(n, np.float32), shapes[n]) for n in names if n in shapes]
    return onnx_model([node], vi, [(o, None, None) for o in outputs if o], opset=opset)


def _feeds(shapes, rng, types=None):
    types = types or {}
    out = {}
    for n, s in shapes.items():
        t = types.get(n, np.float32)
        if t == np.bool_:
            out[n] = rng.random(s) > 0.3
        elif np.dtype(t).kind == "i":
            out[n] = rng.integers(1, 7, s).astype(t)
        else:
            out[n] = rng.standard_normal(s).astype(t)
    return out


ATTENTION_CASES = [
    ("4d_basic", dict(Q=(2, 3, 5, 8), K=(2, 3, 7, 8), V=(2, 3, 7, 8)), {}, ("Y",), None),
    ("3d_gqa_causal", dict(Q=(2, 5, 48), K=(2, 5, 16), V=(2, 5, 24)),
     dict(q_num_heads=6, kv_num_heads=2, is_causal=1), ("Y",), None),
    ("past_causal_mask", dict(Q=(1, 2, 3, 8), K=(1, 2, 3, 8), V=(1, 2, 3, 8), attn_mask=(3, 5),
                              past_key=(1, 2, 4, 8), past_value=(1, 2, 4, 8)),
     dict(is_causal=1), ("Y", "present_key", "present_value"), None),
    ("bool_mask_scaled", dict(Q=(2, 4, 3, 16), K=(2, 2, 9, 16), V=(2, 2, 9, 16), attn_mask=(2, 1, 3, 9)),
     dict(scale=0.2), ("Y",), {"attn_mask": np.bool_}),
    ("softcap_qk", dict(Q=(1, 4, 3, 8), K=(1, 2, 6, 8), V=(1, 2, 6, 8), attn_mask=(3, 6)),
     dict(softcap=2.0, qk_matmul_output_mode=2), ("Y", "", "", "qk"), None),
    ("nonpad_causal", dict(Q=(2, 2, 2, 8), K=(2, 2, 6, 8), V=(2, 2, 6, 8), nonpad_kv_seqlen=(2,)),
     dict(is_causal=1), ("Y",), {"nonpad_kv_seqlen": np.int64}),
    ("softcap_causal", dict(Q=(1, 2, 4, 8), K=(1, 2, 6, 8), V=(1, 2, 6, 8)), dict(softcap=1.5, is_causal=1),
     ("Y",), None),
    ("f64_gqa_causal", dict(Q=(1, 4, 3, 8), K=(1, 2, 5, 8), V=(1, 2, 5, 8)), dict(is_causal=1), ("Y",),
     {"Q": np.float64, "K": np.float64, "V": np.float64}),
]


@pytest.mark.parametrize("name,shapes,attrs,outputs,types", ATTENTION_CASES, ids=[c[0] for c in ATTENTION_CASES])
def test_onnx_attention(name, shapes, attrs, outputs, types, rng):
    opset = 24 if "nonpad_kv_seqlen" in shapes else 23
    m = _attention_model(shapes, attrs, outputs, opset=opset, types=types)
    feeds = _feeds(shapes, rng, types)
    if "nonpad_kv_seqlen" in feeds:
        feeds["nonpad_kv_seqlen"] = np.array([6, 4], np.int64)
    got = run_ovcl(m, feeds)
    ref = run_reference(m, feeds)           # the graph's outputs: the non-empty names of ``outputs``
    assert len(ref) == sum(1 for o in outputs if o)
    assert_close(got, ref, **F32)


@pytest.mark.parametrize("causal", [0, 1])
def test_onnx_attention_dynamic_sequence(causal, rng):
    """Sequence lengths unknown in the model: planned per concrete shapes at inference."""
    import ovcl
    shapes = dict(Q=(1, 2, "L", 8), K=(1, 2, "S", 8), V=(1, 2, "S", 8))
    m = _attention_model(shapes, dict(is_causal=causal), ("Y",))
    compiled = ovcl.compile_model(ovcl.read_model(m.SerializeToString()), "CPU")
    for L, S in ((3, 5), (6, 6)):
        feeds = _feeds(dict(Q=(1, 2, L, 8), K=(1, 2, S, 8), V=(1, 2, S, 8)), rng)
        assert_close(list(compiled(feeds).to_tuple()), run_reference(m, feeds), **F32)


@pytest.mark.parametrize("shape,axis", [((2, 3, 4, 5), -1), ((3, 17), 0), ((2, 6, 33), 1)])
def test_onnx_rms_normalization(shape, axis, rng):
    wshape = shape[axis % len(shape):]
    node = helper.make_node("RMSNormalization", ["X", "W"], ["Y"], axis=axis, epsilon=1e-4)
    m = onnx_model([node], [("X", np.float32, shape), ("W", np.float32, wshape)], [("Y", None, None)], opset=23)
    feeds = {"X": rng.standard_normal(shape).astype(np.float32), "W": rng.standard_normal(wshape).astype(np.float32)}
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds), **F32)


@pytest.mark.parametrize("interleaved", [0, 1])
@pytest.mark.parametrize("rank3,rot", [(False, 0), (True, 6)])
def test_onnx_rotary_embedding(interleaved, rank3, rot, rng):
    B, H, S, D = 2, 3, 5, 10
    shape = (B, S, H * D) if rank3 else (B, H, S, D)
    half = (rot or D) // 2
    attrs = dict(interleaved=interleaved)
    if rot:
        attrs["rotary_embedding_dim"] = rot
    if rank3:
        attrs["num_heads"] = H
    node = helper.make_node("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"], **attrs)
    m = onnx_model([node], [("x", np.float32, shape), ("cos", np.float32, (16, half)), ("sin", np.float32, (16, half)),
                            ("pos", np.int64, (B, S))], [("y", None, None)], opset=23)
    ang = rng.random((16, half)) * 6
    feeds = {"x": rng.standard_normal(shape).astype(np.float32), "cos": np.cos(ang).astype(np.float32),
             "sin": np.sin(ang).astype(np.float32), "pos": rng.integers(0, 16, (B, S)).astype(np.int64)}
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds), **F32)


@pytest.mark.parametrize("rule,T,hq,hkv", [("gated_delta", 7, 4, 2), ("linear", 1, 2, 2), ("delta", 5, 3, 1)])
def test_onnx_linear_attention(rule, T, hq, hkv, rng):
    B, dk, dv = 2, 8, 6
    names = ["query", "key", "value", "past_state", "decay", "beta"]
    shapes = {"query": (B, T, hq * dk), "key": (B, T, hkv * dk), "value": (B, T, hkv * dv),
              "past_state": (B, hkv, dk, dv)}
    if "gated" in rule:
        shapes["decay"] = (B, T, hkv * dk)
    if "delta" in rule:
        shapes["beta"] = (B, T, hkv)
    node = helper.make_node("LinearAttention", [n if n in shapes else "" for n in names], ["y", "state"],
                            q_num_heads=hq, kv_num_heads=hkv, update_rule=rule)
    m = onnx_model([node], [(n, np.float32, shapes[n]) for n in names if n in shapes],
                   [("y", None, None), ("state", None, None)], opset=27)
    feeds = {n: (rng.standard_normal(s) * 0.5).astype(np.float32) for n, s in shapes.items()}
    if "decay" in feeds:
        feeds["decay"] = -np.abs(feeds["decay"])
    if "beta" in feeds:
        feeds["beta"] = rng.random(shapes["beta"]).astype(np.float32)
    assert_close(run_ovcl(m, feeds), run_reference(m, feeds), **F32)


# -- ONNX backend node cases ---------------------------------------------------------------------------------

_OPS = ("Attention", "RMSNormalization", "RotaryEmbedding", "SwiGLU", "CausalConvWithState", "LinearAttention")
_SUBSET = [
    "test_attention_4d", "test_attention_4d_fp16", "test_attention_4d_gqa_attn_mask", "test_attention_4d_causal",
    "test_attention_4d_attn_mask_bool_4d", "test_attention_4d_diff_heads_with_past_and_present_mask3d",
    "test_attention_3d_gqa_with_past_and_present", "test_attention_3d_diff_heads_sizes_softcap",
    "test_attention_4d_with_past_and_present_qk_matmul_bias_4d_mask_causal",
    "test_attention_4d_gqa_causal_nonpad_decode", "test_attention_4d_causal_nonpad_attn_mask_composition",
    "test_attention_local_window_ext_cache_rank3_head_mask", "test_attention_bidirectional_window",
    "test_attention_23_boolmask_fullymasked_row_nan_robustness", "test_attention_3d_transpose_verification",
    "test_rms_normalization_3d_axis1_epsilon", "test_rms_normalization_default_axis",
    "test_rotary_embedding_3d_input", "test_rotary_embedding_with_interleaved_rotary_dim",
    "test_rotary_embedding_no_position_ids", "test_swiglu_alpha",
    "test_causal_conv_with_state_silu_with_past_state", "test_causal_conv_with_state_kernel_size_one",
    "test_linear_attention_gated_delta_gqa", "test_linear_attention_decode_step", "test_linear_attention_fp16",
    "test_linear_attention_gated_per_head_decay",
]


def _backend_cases():
    try:
        from onnx.backend.test.case import node as N
    except ImportError:
        return []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = N.collect_testcases()
    mine = [c for c in cases if "expanded" not in c.name and {n.op_type for n in c.model.graph.node} & set(_OPS)]
    if not os.environ.get("OVCL_ATTENTION_ALL_CASES"):
        mine = [c for c in mine if c.name in _SUBSET]
    return mine


_CASES = _backend_cases()


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_onnx_backend_case(case):
    import ovcl
    if "bf16" in case.name:
        pytest.skip("bfloat16 has no ovcl element type")
    compiled = ovcl.compile_model(ovcl.read_model(case.model.SerializeToString()), "CPU")
    names = [i.name for i in case.model.graph.input]
    rtol = getattr(case, "rtol", None) or 1e-3
    atol = getattr(case, "atol", None) or 1e-7
    for inputs, expected in case.data_sets:
        got = compiled(dict(zip(names, inputs))).to_tuple()
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            e = np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
