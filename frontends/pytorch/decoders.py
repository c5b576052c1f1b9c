"""Language-model decoders as users call them: a transformers model with its KV cache on (``use_cache``, the
default).

transformers' cache classes (``DynamicCache``) are Python objects torch.export cannot return, so the model is
captured through a wrapper whose ``forward`` takes the cache as flat tensors (``past_key_values.N.key`` /
``.value``, ``[batch, kv heads, past positions, head size]``), builds a ``DynamicCache`` from them inside the
traced code and returns the grown cache as flat tensors again (``present.N.key`` / ``.value``), with ``logits``
(or ``last_hidden_state``). Inputs are optimum-intel's: ``input_ids``, ``attention_mask`` (past and new
positions), ``position_ids``. That stateless model is made stateful by ``ir.passes.stateful.make_stateful``
unless ``stateful=False``. torch and transformers are imported lazily.
"""
from __future__ import annotations

import inspect

from ovcl.frontends.errors import FrontendError

# the example the capture traces: sizes of 2 or more, so torch.export keeps them symbolic (it specialises 0 and 1)
_EXAMPLE_BATCH, _EXAMPLE_PAST = 2, 3


def _cache_argument(module) -> str | None:
    """The name ``forward`` takes the cache under (``cache`` in newer transformers, ``past_key_values`` before)."""
    try:
        params = inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return None
    for name in ("cache", "past_key_values"):
        if name in params:
            return name
    return None


def is_cached_decoder(module, example_input=None) -> bool:
    """A transformers decoder (not an encoder-decoder) that would return a KV cache: its config has
    ``use_cache`` on and the example does not turn it off."""
    if not any(c.__name__ == "PreTrainedModel" and c.__module__.startswith("transformers")
               for c in type(module).__mro__):
        return False
    config = getattr(module, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False) or not getattr(config, "use_cache", False):
        return False
    if isinstance(example_input, dict) and example_input.get("use_cache") is False:
        return False
    return _cache_argument(module) is not None


def _example_ids(example_input):
    """input_ids from the user's example: a tensor of ids, a tuple starting with one, or a dict with them."""
    import torch
    import numpy as np
    if isinstance(example_input, dict):
        ids = example_input.get("input_ids")
    elif isinstance(example_input, (list, tuple)) and example_input:
        ids = example_input[0]
    else:
        ids = example_input
    if ids is None:
        raise FrontendError("converting a decoder needs example_input with input_ids (a tensor of token ids, or a "
                            "dict with 'input_ids')")
    ids = torch.from_numpy(ids) if isinstance(ids, np.ndarray) else ids
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        raise FrontendError("a decoder's example input_ids must be a 2-D tensor [batch, sequence]")
    return ids.to(torch.int64)


def capture(module, example_input):
    """torch.export of the decoder behind the flat-cache wrapper: (ExportedProgram, input names, output names),
    or None when the model gives no cache after all."""
    import torch
    from transformers.cache_utils import DynamicCache

    ids = _example_ids(example_input)
    cache_arg = _cache_argument(module)
    causal = hasattr(module, "lm_head") or type(module).__name__.endswith("ForCausalLM")
    with torch.no_grad():          # the cache's layout per layer, from one real step
        probe = module(input_ids=ids[:1, :1], use_cache=True, return_dict=True)
    cache = probe.past_key_values if hasattr(probe, "past_key_values") else getattr(probe, "cache", None)
    layers = getattr(cache, "layers", None)
    if not layers:          # an encoder that takes a cache argument (BERT's family): converted as it is
        return None
    shapes = [(tuple(layer.keys.shape[1:]), tuple(layer.values.shape[1:]), layer.keys.dtype) for layer in layers]
    n_layers = len(shapes)

    class FlatCacheDecoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, position_ids, *past):
            kv = DynamicCache()
            for i in range(n_layers):
                kv.update(past[2 * i], past[2 * i + 1], i)
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             use_cache=True, return_dict=True, **{cache_arg: kv})
            grown = out.past_key_values if hasattr(out, "past_key_values") else out.cache
            flat = []
            for layer in grown.layers:
                flat += [layer.keys, layer.values]
            return (out.logits if causal else out.last_hidden_state, *flat)

    b, t, p = _EXAMPLE_BATCH, max(int(ids.shape[1]), 2), _EXAMPLE_PAST
    example_ids = ids[:1, :1].repeat(b, t)
    mask = torch.ones(b, p + t, dtype=torch.int64)
    positions = torch.arange(p, p + t, dtype=torch.int64)[None].repeat(b, 1)
    past = []
    for key_shape, value_shape, dtype in shapes:
        past += [torch.zeros(b, key_shape[0], p, *key_shape[2:], dtype=dtype),
                 torch.zeros(b, value_shape[0], p, *value_shape[2:], dtype=dtype)]
    auto = torch.export.Dim.AUTO
    dynamic = ({0: auto, 1: auto}, {0: auto, 1: auto}, {0: auto, 1: auto}, tuple({0: auto, 2: auto} for _ in past))
    try:
        with torch.no_grad():
            ep = torch.export.export(FlatCacheDecoder(module), (example_ids, mask, positions, *past),
                                     dynamic_shapes=dynamic, strict=False)
    except Exception as e:  # noqa: BLE001 - reported with what it was
        raise FrontendError(f"torch.export could not capture {type(module).__name__} with its KV cache: "
                            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits" if causal else "last_hidden_state"]
    for i in range(n_layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return ep, inputs, outputs


def convert(module, example_input, stateful: bool = True):
    """The decoder as an ``ovcl.Model``: stateful (the cache as variables, with ``beam_idx``) by default; None
    when it returns no cache (the caller converts it as any module)."""
    from ovcl.ir.passes.stateful import make_stateful

    from .capture import convert as convert_program
    captured = capture(module, example_input)
    if captured is None:
        return None
    ep, inputs, outputs = captured
    model = convert_program(ep)
    for port, name in zip(model.inputs, inputs):
        port.set_names({name})
        port.node.set_friendly_name(name)
    for port, name in zip(model.outputs, outputs):
        port.set_names({name})
    model.name = type(module).__name__
    return make_stateful(model) if stateful else model
