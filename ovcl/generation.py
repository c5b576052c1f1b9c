"""Text generation with a stateful decoder, in the shape of OpenVINO GenAI's ``LLMPipeline.generate`` for token
ids (tokenising stays the caller's: a transformers tokenizer, say).

Kernels are specialised per shape, and a decoder's cache grows by one position per token: run as it is, every
token would be a new plan and a kernel build (seconds each). So the pipeline runs the decoder with a cache of
fixed slots (``ir.passes.stateful.fixed_capacity_cache``): the state holds ``slots`` positions from the start,
each step writes its keys and values into the next free slots (``cache_position``), attention reads the
updated state in place, and ``attention_mask`` hides the slots not yet written. Every decode step then has the
same shapes and runs the same plan. Slots come
in powers of two (at least ``MIN_SLOTS``), enough for the prompt and ``max_new_tokens``; the prompt is padded on
the right to a power of two (at least ``MIN_PROMPT``), which no real token attends to (the mask is causal), so
prompts of similar lengths share a plan too. Attention then reads every slot, written or not: up to twice the
work of the positions in use, for no kernel build per token.

Choosing the next token (greedy, or sampling with temperature, top-k and top-p) is host code over one row of
logits per sequence, as OpenVINO GenAI's sampler is.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ovcl.errors import InferenceError

MIN_SLOTS = 64
MIN_PROMPT = 8


@dataclass
class GenerationConfig:
    """What ``generate`` does, with OpenVINO GenAI's names. ``stop_token_ids`` and ``eos_token_id`` end a
    sequence (the token is kept); ``rng_seed`` makes sampling repeatable."""
    max_new_tokens: int = 20
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    eos_token_id: int = -1
    stop_token_ids: set = field(default_factory=set)
    rng_seed: int = 0

    def validate(self) -> None:
        if self.max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be 0 or more, not {self.max_new_tokens}")
        if self.do_sample and self.temperature <= 0:
            raise ValueError(f"temperature must be above 0 when sampling, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be 0 (off) or more, not {self.top_k}")


@dataclass
class PerfMetrics:
    """Times of one ``generate``: to the first token (the prompt's inference and its sampling) and per later
    token, in milliseconds; ``plans``: the plans (each a program build) the decoder has made so far, in every
    ``generate`` of the pipeline (a decode step that needed one would add to it)."""
    ttft_ms: float = 0.0
    tpot_ms: float = 0.0
    new_tokens: int = 0
    plans: int = 0

    def get_ttft(self) -> float:
        return self.ttft_ms

    def get_tpot(self) -> float:
        return self.tpot_ms


@dataclass
class EncodedResults:
    """The generated token ids of each sequence (the prompt not included), as OpenVINO GenAI's."""
    tokens: list[list[int]]
    perf_metrics: PerfMetrics


def _pow2_at_least(n: int, floor: int) -> int:
    return max(floor, 1 << max(int(n) - 1, 0).bit_length())


class LLMPipeline:
    """``LLMPipeline(model, device="CPU", config=None)``: ``model`` is a stateful decoder (``ovcl.Model`` from
    ``convert_model`` of a transformers model, or its IR path; a stateless one is made stateful) with inputs
    ``input_ids``, ``attention_mask``, ``position_ids`` (and ``beam_idx``) and output ``logits``.
    ``config`` goes to ``compile_model``."""

    def __init__(self, model, device: str = "CPU", config: dict | None = None):
        from ovcl.convert import read_model
        from ovcl.ir import Model
        from ovcl.ir.passes.stateful import KV_MASK_WIDTH, fixed_capacity_cache, kv_cache_pairs, make_stateful
        from ovcl.runtime import compile_model
        if not isinstance(model, Model):
            model = read_model(model)
        if not model.is_stateful():
            if not kv_cache_pairs(model):
                raise InferenceError(f"model '{model.name}' is not a decoder with a KV cache (no variables, no "
                                     f"past_key_values.N / present.N inputs and outputs)")
            model = make_stateful(model.clone())
        names = {n for p in model.inputs for n in p.get_names()}
        missing = {"input_ids", "attention_mask", "position_ids"} - names
        if missing or "logits" not in {n for o in model.outputs for n in o.get_names()}:
            raise InferenceError(f"model '{model.name}': a decoder for generation needs inputs input_ids, "
                                 f"attention_mask, position_ids and output logits (missing: "
                                 f"{', '.join(sorted(missing)) or 'logits'})")
        self._model = fixed_capacity_cache(model)
        self._mask_new = self._model.rt_info[KV_MASK_WIDTH] == "slots+new"   # a mask of the slots and the step
        self._beam = "beam_idx" in {n for p in self._model.inputs for n in p.get_names()}
        self._compiled = compile_model(self._model, device, config or {})
        self._request = self._compiled.create_infer_request()
        # each variable with the axis its positions run along
        self._variables = {v.variable_id: (v, _sequence_axis(v)) for v in self._model.get_variables()}
        self.generation_config = GenerationConfig()

    def get_generation_config(self) -> GenerationConfig:
        return replace(self.generation_config)

    def set_generation_config(self, config: GenerationConfig) -> None:
        config.validate()
        self.generation_config = replace(config)

    @property
    def compiled_model(self):
        return self._compiled

    def generate(self, input_ids, generation_config: GenerationConfig | None = None,
                 streamer: Callable[[int], bool | None] | None = None, **kwargs) -> EncodedResults:
        """New tokens after ``input_ids`` ([batch, length] or [length]; every sequence of one length).
        ``kwargs`` override fields of the configuration. ``streamer(token)`` is called with each new token of a
        single sequence; a true return value stops generation."""
        config = replace(generation_config or self.generation_config, **kwargs)
        config.validate()
        ids = np.asarray(input_ids, dtype=np.int64)
        if ids.ndim == 1:
            ids = ids[None]
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise InferenceError(f"input_ids must be [batch, length] with a length of 1 or more, not "
                                 f"{list(ids.shape)}")
        batch, prompt = ids.shape
        padded = _pow2_at_least(prompt, MIN_PROMPT)
        slots = _pow2_at_least(max(prompt + config.max_new_tokens, padded), MIN_SLOTS)
        self._start(batch, slots)
        rng = np.random.default_rng(config.rng_seed)
        stop = set(config.stop_token_ids) | ({config.eos_token_id} if config.eos_token_id >= 0 else set())
        tokens: list[list[int]] = [[] for _ in range(batch)]
        done = np.zeros(batch, bool)
        metrics = PerfMetrics()
        t0 = time.perf_counter()
        step_ids = np.zeros((batch, padded), np.int64)
        step_ids[:, :prompt] = ids
        logits = self._step(step_ids, 0, prompt, slots)[:, prompt - 1]
        length = prompt
        first = None
        for step in range(config.max_new_tokens):
            nxt = _choose(logits, config, rng)
            if first is None:
                first = time.perf_counter()
            for b in range(batch):
                if not done[b]:
                    tokens[b].append(int(nxt[b]))
                    done[b] = int(nxt[b]) in stop
            if streamer is not None and batch == 1 and streamer(int(nxt[0])):
                break
            if done.all() or step == config.max_new_tokens - 1:
                break
            logits = self._step(nxt[:, None].astype(np.int64), length, 1, slots)[:, 0]
            length += 1
        end = time.perf_counter()
        metrics.new_tokens = max(len(t) for t in tokens)
        metrics.ttft_ms = ((first or end) - t0) * 1e3
        if metrics.new_tokens > 1:
            metrics.tpot_ms = (end - first) * 1e3 / (metrics.new_tokens - 1)
        metrics.plans = self._compiled._plans.made
        return EncodedResults(tokens, metrics)

    def _start(self, batch: int, slots: int) -> None:
        """Every variable set to ``slots`` empty positions."""
        for state in self._request.query_state():
            v, axis = self._variables[state.name]
            shape = []
            for i, d in enumerate(v.data_shape):
                shape.append(batch if i == 0 else slots if i == axis else d.get_length())
            state.state = np.zeros(shape, v.data_type.dtype)

    def _step(self, ids: np.ndarray, length: int, real: int, slots: int) -> np.ndarray:
        """One inference: ``ids`` ([batch, n], the first ``real`` of them tokens, the rest padding) at positions
        ``length``.. of sequences whose first ``length`` positions are in the cache. Returns the logits."""
        batch, n = ids.shape
        mask = np.zeros((batch, slots + n if self._mask_new else slots), np.int64)
        if self._mask_new:                     # the cache's slots, then the step's positions
            mask[:, :length] = 1
            mask[:, slots:slots + real] = 1
        else:                                  # the slots, the step's among them
            mask[:, :length + real] = 1
        positions = np.arange(length, length + n, dtype=np.int64)
        inputs = {"input_ids": ids, "attention_mask": mask, "position_ids": np.broadcast_to(positions, (batch, n)),
                  "cache_position": positions}
        if self._beam:
            inputs["beam_idx"] = np.arange(batch, dtype=np.int32)
        return self._request.infer(inputs)["logits"]


def _sequence_axis(variable) -> int:
    """The axis a cache variable grows along: its one dynamic dimension after the batch."""
    ps = variable.data_shape
    axes = [i for i, d in enumerate(ps) if i > 0 and d.is_dynamic]
    if ps.rank_is_dynamic or len(axes) != 1:
        raise InferenceError(f"variable '{variable.variable_id}' of shape {ps}: expected [batch, ...] with one "
                             f"dynamic dimension for the positions")
    return axes[0]


def _choose(logits: np.ndarray, config: GenerationConfig, rng: np.random.Generator) -> np.ndarray:
    """The next token of each row of ``logits`` ([batch, vocabulary])."""
    logits = logits.astype(np.float64)
    if not config.do_sample:
        return logits.argmax(-1)
    out = np.empty(len(logits), np.int64)
    for b, row in enumerate(logits / config.temperature):
        order = np.argsort(-row, kind="stable")
        if config.top_k:
            order = order[:config.top_k]
        p = np.exp(row[order] - row[order[0]])
        p /= p.sum()
        if config.top_p < 1:
            keep = int(np.searchsorted(np.cumsum(p), config.top_p) + 1)
            order, p = order[:keep], p[:keep] / p[:keep].sum()
        out[b] = order[rng.choice(len(order), p=p)]
    return out
