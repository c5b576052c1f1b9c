"""Language-model decoders converted as users call them (transformers models with their KV cache on), run
stateful and stateless, and generated from with ``ovcl.generation.LLMPipeline``; torch eager and transformers'
``generate`` are the references, OpenVINO reads the stateful IR. Small random configs; nothing is downloaded."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import ovcl  # noqa: E402
from ovcl.generation import GenerationConfig, LLMPipeline  # noqa: E402

from helpers import assert_close  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4
VOCAB, LAYERS = 96, 2
# a spread of weights wide enough that greedy decoding does not settle into a loop of two tokens at once
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=LAYERS,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.2)


def make(kind: str, causal: bool = True):
    configs = {
        "llama": ("LlamaConfig", "Llama", {}),
        "qwen2": ("Qwen2Config", "Qwen2", {}),
        "qwen3": ("Qwen3Config", "Qwen3", {"head_dim": 16}),
        "mistral": ("MistralConfig", "Mistral", {}),
        "gemma": ("GemmaConfig", "Gemma", {"head_dim": 16}),
        "phi": ("PhiConfig", "Phi", {}),
    }
    config_name, prefix, extra = configs[kind]
    torch.manual_seed(0)
    config = getattr(transformers, config_name)(**COMMON, **extra)
    module = getattr(transformers, prefix + ("ForCausalLM" if causal else "Model"))(config).eval()
    if causal:
        module.generation_config.eos_token_id = None      # generate the full count, as the pipeline is asked to
        module.generation_config.pad_token_id = 0
    return module


@pytest.fixture(scope="module")
def llama():
    return make("llama")


@pytest.fixture(scope="module")
def prompt():
    return torch.randint(0, VOCAB, (1, 7), generator=torch.Generator().manual_seed(1))


def convert(module, prompt, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ovcl.convert_model(module, example_input=prompt, **kwargs)


@pytest.fixture(scope="module")
def stateful(llama, prompt):
    return convert(llama, prompt)


@pytest.fixture(scope="module")
def pipeline(stateful):
    return LLMPipeline(stateful, "CPU")


def torch_logits(module, ids):
    with torch.no_grad():
        return module(input_ids=torch.as_tensor(ids), use_cache=False).logits.numpy()


def torch_generate(module, prompt, n):
    with torch.no_grad():
        out = module.generate(prompt, max_new_tokens=n, do_sample=False, attention_mask=torch.ones_like(prompt))
    return out[0, prompt.shape[1]:].tolist()


def step_inputs(ids, length):
    """Inputs of one inference of the stateful model: ``ids`` at positions ``length - n ..`` of ``length``."""
    n = ids.shape[1]
    return {"input_ids": ids, "attention_mask": np.ones((1, length), np.int64),
            "position_ids": np.arange(length - n, length)[None], "beam_idx": np.zeros(1, np.int32)}


def check_stateless_prompt(model, module, prompt, first_output: str):
    """The stateless ``model`` on ``prompt`` with an empty cache: its first output and the cache it returns, as
    torch's."""
    past = {p.get_any_name(): np.zeros([1] + [d.get_length() if d.is_static else 0
                                              for d in p.get_partial_shape()][1:], np.float32)
            for p in model.inputs[3:]}
    feeds = step_inputs(prompt.numpy(), prompt.shape[1])
    del feeds["beam_idx"]
    got = ovcl.compile_model(model, "CPU")({**feeds, **past})
    with torch.no_grad():
        ref = module(input_ids=prompt, use_cache=True)
    expected = [getattr(ref, first_output).numpy()]
    for layer in ref.past_key_values.layers:
        expected += [layer.keys.numpy(), layer.values.numpy()]
    assert_close(list(got.to_tuple()), expected, RTOL, ATOL)


def test_stateful_form(stateful):
    names = [p.get_any_name() for p in stateful.inputs]
    assert names == ["input_ids", "attention_mask", "position_ids", "beam_idx"]
    assert [o.get_any_name() for o in stateful.outputs] == ["logits"]
    ids = {v.variable_id for v in stateful.get_variables()}
    assert ids == {f"past_key_values.{i}.{kv}present.{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")}
    assert len(stateful.get_sinks()) == 2 * LAYERS


def test_stateful_steps_match_torch_and_reset_starts_over(llama, stateful, prompt):
    """The prompt, then three single tokens, each against torch's logits of the whole sequence so far; after
    reset_state the prompt gives the first logits again."""
    request = ovcl.compile_model(stateful, "CPU").create_infer_request()
    seq = prompt.numpy()
    first = request.infer(step_inputs(seq, seq.shape[1]))["logits"]
    assert_close([first], [torch_logits(llama, seq)], RTOL, ATOL)
    for token in (5, 17, 90):
        seq = np.concatenate([seq, [[token]]], axis=1)
        got = request.infer(step_inputs(seq[:, -1:], seq.shape[1]))["logits"]
        assert_close([got[:, -1]], [torch_logits(llama, seq)[:, -1]], RTOL, ATOL)
    state = request.query_state()[0].state
    assert state.shape == (1, 2, seq.shape[1], 16)
    request.reset_state()
    again = request.infer(step_inputs(prompt.numpy(), prompt.shape[1]))["logits"]
    assert_close([again], [first], 1e-6, 1e-6)


def test_stateless_form_matches_torch_cache(llama, prompt):
    model = convert(llama, prompt, stateful=False)
    assert not model.is_stateful()
    inputs = [p.get_any_name() for p in model.inputs]
    assert inputs[:3] == ["input_ids", "attention_mask", "position_ids"]
    assert inputs[3:] == [f"past_key_values.{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")]
    check_stateless_prompt(model, llama, prompt, "logits")


def test_make_stateless_inverts_make_stateful(llama, stateful, prompt):
    from ovcl.ir.passes.stateful import make_stateful, make_stateless
    back = make_stateless(stateful.clone())
    assert not back.is_stateful() and "beam_idx" not in [p.get_any_name() for p in back.inputs]
    again = make_stateful(back)
    assert {v.variable_id for v in again.get_variables()} == {v.variable_id for v in stateful.get_variables()}


def test_generate_greedy_equals_torch_and_builds_no_plan_per_token(llama, pipeline, prompt):
    """32 greedy tokens equal transformers' generate token for token. The prompt's inference and the decode
    step are two plans; generating again (more tokens, a prompt of another length in the same bucket) makes
    none: no kernel is built per token."""
    result = pipeline.generate(prompt.numpy(), max_new_tokens=32)
    assert result.tokens[0] == torch_generate(llama, prompt, 32)
    assert len(set(result.tokens[0])) > 4            # not a degenerate loop the test could pass by luck
    assert result.perf_metrics.plans == 2
    shorter = prompt[:, :5]
    again = pipeline.generate(shorter.numpy(), max_new_tokens=40)
    assert again.tokens[0] == torch_generate(llama, shorter, 40)
    assert again.perf_metrics.plans == 2
    assert again.perf_metrics.new_tokens == 40 and again.perf_metrics.tpot_ms > 0


def test_sampling_stop_tokens_and_streamer(pipeline, prompt):
    ids = prompt.numpy()
    greedy = pipeline.generate(ids, max_new_tokens=12).tokens[0]
    # top-k of 1 leaves one candidate: sampling is greedy
    assert pipeline.generate(ids, max_new_tokens=12, do_sample=True, top_k=1).tokens[0] == greedy
    config = GenerationConfig(max_new_tokens=12, do_sample=True, temperature=0.9, top_p=0.9, top_k=20, rng_seed=7)
    first, second = pipeline.generate(ids, config).tokens[0], pipeline.generate(ids, config).tokens[0]
    assert first == second and len(first) == 12 and all(0 <= t < VOCAB for t in first)
    stop = greedy[5]
    ends = pipeline.generate(ids, max_new_tokens=12, stop_token_ids={stop}).tokens[0]
    assert ends == greedy[:greedy.index(stop) + 1]
    seen = []
    streamed = pipeline.generate(ids, max_new_tokens=12, streamer=lambda t: seen.append(t) or len(seen) == 3)
    assert streamed.tokens[0] == greedy[:3] == seen


def test_generate_refuses_bad_requests(pipeline, stateful):
    with pytest.raises(ValueError, match="temperature"):
        pipeline.generate(np.zeros((1, 3), np.int64), do_sample=True, temperature=0)
    with pytest.raises(ovcl.InferenceError, match="input_ids"):
        pipeline.generate(np.zeros((1, 0), np.int64))
    plain = ovcl.Model([ovcl.ir.ops.make("Relu", [p]) for p in [stateful.inputs[0]]], [stateful.inputs[0].node])
    with pytest.raises(ovcl.InferenceError, match="not a decoder"):
        LLMPipeline(plain, "CPU")


def test_openvino_runs_the_stateful_ir(llama, stateful, prompt, tmp_path):
    ov = pytest.importorskip("openvino")
    ovcl.save_model(stateful, tmp_path / "decoder.xml", compress_to_fp16=False)
    # f32 throughout: OpenVINO's CPU plugin otherwise keeps a stateful model's KV cache in u8
    compiled = ov.Core().compile_model(str(tmp_path / "decoder.xml"), "CPU",
                                       {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"})
    request = compiled.create_infer_request()
    seq = prompt.numpy()
    got = request.infer(step_inputs(seq, seq.shape[1]))["logits"]
    assert_close([got], [torch_logits(llama, seq)], RTOL, ATOL)
    seq = np.concatenate([seq, [[11]]], axis=1)
    got = request.infer(step_inputs(seq[:, -1:], seq.shape[1]))["logits"]
    assert_close([got[:, -1]], [torch_logits(llama, seq)[:, -1]], RTOL, ATOL)


def test_stateful_needs_a_decoder():
    with pytest.raises(ovcl.FrontendError, match="stateful=True"):
        convert(torch.nn.Linear(3, 2), torch.zeros(1, 3), stateful=True)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["llama", "qwen2", "qwen3", "mistral", "gemma", "phi"])
def test_architectures_generate_as_torch(kind):
    """Each causal LM: 32 greedy tokens as transformers' generate; its bare ``*Model`` (hidden states and cache
    out) as torch's."""
    module = make(kind)
    prompt = torch.randint(0, VOCAB, (1, 6), generator=torch.Generator().manual_seed(2))
    tokens = LLMPipeline(convert(module, prompt), "CPU").generate(prompt.numpy(), max_new_tokens=32).tokens[0]
    assert tokens == torch_generate(module, prompt, 32)
    bare = make(kind, causal=False)
    model = convert(bare, prompt, stateful=False)
    check_stateless_prompt(model, bare, prompt, "last_hidden_state")


@pytest.mark.slow
def test_efficientnet_pools_a_smaller_input():
    """EfficientNet's head pools with a kernel larger than its 2x2 map (ceil mode): one output, as torch's."""
    torch.manual_seed(0)
    config = transformers.EfficientNetConfig(image_size=64, width_coefficient=1.0, depth_coefficient=1.0,
                                                hidden_dim=1280)
    module = transformers.EfficientNetModel(config).eval()
    with torch.no_grad():
        for p in module.parameters():                 # its own initialisation makes the output all zeros
            p.normal_(0, 0.2)
    x = torch.randn(1, 3, 64, 64)
    got = ovcl.compile_model(convert(module, x), "CPU")(x.numpy())
    with torch.no_grad():
        ref = module(x)
    assert_close(list(got.to_tuple()), [ref.last_hidden_state.numpy(), ref.pooler_output.numpy()], RTOL, ATOL)


def test_fixed_slots_update_the_cache_in_place(stateful):
    """The pipeline's copy of the decoder: every variable written by a ScatterUpdate at cache_position, read
    and updated in place, no beam reordering; the attention reads the updated state (grouped-query heads
    included) with a mask of the slots' width: no copy of the cache per step."""
    from ovcl.ir.ops.state import STATE_IN_PLACE
    from ovcl.ir.passes.stateful import KV_MASK_WIDTH, fixed_capacity_cache
    fixed = fixed_capacity_cache(stateful)
    assert [p.get_any_name() for p in fixed.inputs] == ["input_ids", "attention_mask", "position_ids",
                                                       "cache_position"]
    ops = fixed.get_ordered_ops()
    assert all(STATE_IN_PLACE in n.rt_info for n in ops if n.type_name == "ReadValue")
    assert all(a.input_value(0).node.type_name == "ScatterUpdate" for a in fixed.get_sinks())
    assert fixed.rt_info[KV_MASK_WIDTH] == "slots"
    attention = [n for n in ops if n.type_name == "ScaledDotProductAttention"]
    assert len(attention) == LAYERS and all(n.input_value(k).node.type_name == "ScatterUpdate"
                                            for n in attention for k in (1, 2))
    assert not [n for n in ops if n.type_name == "Concat" and n.input_value(0).node.type_name == "ReadValue"]
    assert stateful.is_stateful() and "beam_idx" in [p.get_any_name() for p in stateful.inputs]   # untouched


def test_attention_written_out_keeps_the_grown_cache(prompt):
    """Eager attention (MatMul, Softmax, MatMul rather than torch's SDPA): the copy keeps Concat(cache, new)
    for it and a mask of the slots and the step's positions; generation still equals torch's."""
    from ovcl.ir.passes.stateful import KV_MASK_WIDTH
    module = make("llama")
    module.config._attn_implementation = "eager"
    pipe = LLMPipeline(convert(module, prompt), "CPU")
    assert pipe._model.rt_info[KV_MASK_WIDTH] == "slots+new"
    assert pipe.generate(prompt.numpy(), max_new_tokens=12).tokens[0] == torch_generate(module, prompt, 12)


def _encoders():
    """(name, module factory, example input factory) of the encoders and backbones users bring."""
    t = transformers

    def text():
        return {"input_ids": torch.randint(3, 100, (1, 9), generator=torch.Generator().manual_seed(3)),
                "attention_mask": torch.ones(1, 9, dtype=torch.int64)}

    def image():
        return torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))

    from transformers.models.whisper.modeling_whisper import WhisperEncoder as whisper_encoder

    bert = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return [
        ("distilbert", lambda: t.DistilBertModel(t.DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=2,
                                                                    hidden_dim=64)), text),
        ("roberta", lambda: t.RobertaModel(t.RobertaConfig(**bert)), text),
        ("deberta-v2", lambda: t.DebertaV2Model(t.DebertaV2Config(**bert)), text),
        ("t5-encoder", lambda: t.T5EncoderModel(t.T5Config(vocab_size=100, d_model=32, d_kv=16, d_ff=64, num_layers=2,
                                                           num_heads=2)), text),
        ("convnext", lambda: t.ConvNextModel(t.ConvNextConfig(num_stages=2, hidden_sizes=[16, 32], depths=[1, 1],
                                                              image_size=32)), image),
        ("swin", lambda: t.SwinModel(t.SwinConfig(image_size=32, patch_size=4, embed_dim=16, depths=[1, 1],
                                                  num_heads=[1, 2], window_size=4)), image),
        ("segformer", lambda: t.SegformerModel(t.SegformerConfig(num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1],
                                                                 hidden_sizes=[16, 32], num_attention_heads=[1, 2],
                                                                 patch_sizes=[7, 3], strides=[4, 2],
                                                                 mlp_ratios=[2, 2])), image),
        ("mobilevit", lambda: t.MobileViTModel(t.MobileViTConfig(image_size=32, hidden_sizes=[16, 24, 32],
                                                                 neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64])), image),
        ("regnet", lambda: t.RegNetModel(t.RegNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1],
                                                        groups_width=8)), image),
        ("resnet", lambda: t.ResNetModel(t.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1])),
         image),
        ("clip-vision", lambda: t.CLIPVisionModel(t.CLIPVisionConfig(hidden_size=32, intermediate_size=64,
                                                                     num_hidden_layers=2, num_attention_heads=2,
                                                                     image_size=32, patch_size=8)), image),
        ("wav2vec2", lambda: t.Wav2Vec2Model(t.Wav2Vec2Config(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, conv_dim=(16, 16),
            conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)),
         lambda: torch.randn(1, 400, generator=torch.Generator().manual_seed(3))),
        ("whisper-encoder", lambda: whisper_encoder(t.WhisperConfig(
            d_model=32, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64, decoder_layers=1,
            decoder_attention_heads=2, decoder_ffn_dim=64, num_mel_bins=16, max_source_positions=32, vocab_size=100,
            pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)),
         lambda: torch.randn(1, 16, 64, generator=torch.Generator().manual_seed(3))),     # 2 x 32 frames of 16 mels
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name,module,example", _encoders(), ids=[e[0] for e in _encoders()])
def test_encoders_and_backbones_match_torch(name, module, example):
    torch.manual_seed(0)
    module, example = module().eval(), example()
    with torch.no_grad():
        for p in module.parameters():         # their own initialisations zero some layers (norms, biases)
            p.add_(torch.randn(p.shape) * 0.05)
        ref = module(**example) if isinstance(example, dict) else module(example)
    expected = [v.numpy() for v in ref.values() if isinstance(v, torch.Tensor)]
    model = convert(module, example)
    feeds = {k: v.numpy() for k, v in example.items()} if isinstance(example, dict) else example.numpy()
    got = ovcl.compile_model(model, "CPU")(feeds)
    assert_close(list(got.to_tuple()), expected, RTOL, ATOL)
