#!/usr/bin/env python
"""Token generation: ovcl's LLMPipeline against torch eager and OpenVINO, one Llama-style decoder with random
weights (nothing downloaded), greedy, batch 1.

    python scripts/generate_bench.py [--layers 8] [--hidden 512] [--prompt 128] [--new 128] [--rounds 3]

Reported per runtime (medians over interleaved rounds, with ranges): time to first token (the prompt's
inference and the choice of the first token) and the time per later token; ovcl's first generate, which builds
its two plans (the prompt's, the decode step's), separately; the plans ovcl made in all (2 when no decode step
built one); whether each runtime's tokens equal torch's; the memory of the cache.

OpenVINO runs the stateful IR ovcl writes for the same module (OpenVINO's own PyTorch frontend does not take a
transformers cache object either), growing its cache by one position per token as its stateful models do, at
f32 with an f32 KV cache (like for like) and at its defaults (its KV cache in u8 on x86). The token choice is
the same argmax on the host for every runtime.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np


def build(args):
    import torch
    import transformers
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 8 // 3 // 32 * 32,
        num_hidden_layers=args.layers, num_attention_heads=args.hidden // 64, num_key_value_heads=args.hidden // 64,
        max_position_embeddings=4096, initializer_range=0.1)
    module = transformers.LlamaForCausalLM(config).eval()
    module.generation_config.eos_token_id = None
    module.generation_config.pad_token_id = 0
    return module


def run_torch(module, prompt, new):
    import torch
    with torch.no_grad():
        t0 = time.perf_counter()
        out = module(input_ids=prompt, use_cache=True)
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        t1 = time.perf_counter()
        tokens, cache = [int(token)], out.past_key_values
        for _ in range(new - 1):
            out = module(input_ids=token, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            tokens.append(int(token))
        t2 = time.perf_counter()
    return tokens, t1 - t0, (t2 - t1) / max(new - 1, 1)


def run_openvino(request, prompt, new):
    request.reset_state()
    ids = prompt.numpy()
    n = ids.shape[1]
    feeds = {"input_ids": ids, "attention_mask": np.ones((1, n), np.int64), "position_ids": np.arange(n)[None],
             "beam_idx": np.zeros(1, np.int32)}
    t0 = time.perf_counter()
    token = int(request.infer(feeds)["logits"][0, -1].argmax())
    t1 = time.perf_counter()
    tokens = [token]
    for _ in range(new - 1):
        feeds = {"input_ids": np.array([[token]]), "attention_mask": np.ones((1, n + 1), np.int64),
                 "position_ids": np.array([[n]]), "beam_idx": np.zeros(1, np.int32)}
        token = int(request.infer(feeds)["logits"][0, -1].argmax())
        tokens.append(token)
        n += 1
    t2 = time.perf_counter()
    return tokens, t1 - t0, (t2 - t1) / max(new - 1, 1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--prompt", type=int, default=128)
    p.add_argument("--new", type=int, default=128)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--device", default="CPU")
    p.add_argument("--no-openvino", action="store_true")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    import torch
    import ovcl
    from ovcl.generation import LLMPipeline
    torch.set_num_threads(os.cpu_count() or 1)
    module = build(args)
    prompt = torch.randint(0, args.vocab, (1, args.prompt), generator=torch.Generator().manual_seed(1))
    t = time.perf_counter()
    model = ovcl.convert_model(module, example_input=prompt)
    convert_s = time.perf_counter() - t
    t = time.perf_counter()
    pipe = LLMPipeline(model, args.device)
    first = pipe.generate(prompt.numpy(), max_new_tokens=args.new)
    first_s = time.perf_counter() - t
    runners = {"ovcl": lambda: _ovcl(pipe, prompt, args.new), "torch": lambda: run_torch(module, prompt, args.new)}
    if not args.no_openvino:
        import openvino as ov
        folder = tempfile.mkdtemp()
        ovcl.save_model(model, os.path.join(folder, "decoder.xml"), compress_to_fp16=False)
        core = ov.Core()
        for name, config in (("openvino_f32", {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"}),
                             ("openvino_default", {})):
            config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": os.cpu_count() or 1, **config}
            request = core.compile_model(os.path.join(folder, "decoder.xml"), "CPU", config).create_infer_request()
            runners[name] = (lambda r: lambda: run_openvino(r, prompt, args.new))(request)
    results = {name: [] for name in runners}
    tokens = {}
    for r in range(args.rounds):
        order = list(runners)[r % len(runners):] + list(runners)[:r % len(runners)]
        for name in order:
            toks, ttft, tpot = runners[name]()
            tokens[name] = toks
            results[name].append((ttft, tpot))
            print(f"round {r + 1} {name}: first token {ttft * 1e3:.1f} ms, {tpot * 1e3:.2f} ms/token", flush=True)
    cfg = module.config
    state_mb = (cfg.num_hidden_layers * 2 * cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads)
                * 4 / 2 ** 20)
    slots = max(64, 1 << (args.prompt + args.new - 1).bit_length())
    print(f"\nLlama-style decoder: {args.layers} layers, hidden {args.hidden}, vocab {args.vocab}, "
          f"{sum(p.numel() for p in module.parameters()) / 1e6:.1f} M parameters; prompt {args.prompt}, "
          f"{args.new} new tokens, greedy; {args.rounds} rounds, medians (ranges)")
    print(f"ovcl: convert {convert_s:.1f} s; first generate (builds its plans) {first_s:.1f} s; plans made in "
          f"all {pipe.generate(prompt.numpy(), max_new_tokens=2).perf_metrics.plans}; cache "
          f"{state_mb * slots:.1f} MB ({slots} slots; {state_mb * 1024:.2f} MB per 1,024 positions)\n")
    print("| runtime | time to first token, ms | per token, ms | ovcl per token / this | tokens equal torch's |")
    print("|---|---:|---:|---:|---|")
    ovcl_tpot = statistics.median(t for _, t in results["ovcl"])
    for name, rows in results.items():
        ttft = [a * 1e3 for a, _ in rows]
        tpot = [b * 1e3 for _, b in rows]
        print(f"| {name} | {statistics.median(ttft):.1f} ({min(ttft):.1f}-{max(ttft):.1f}) | "
              f"{statistics.median(tpot):.2f} ({min(tpot):.2f}-{max(tpot):.2f}) | "
              f"{ovcl_tpot * 1e3 / statistics.median(tpot):.2f}x | {tokens[name] == tokens['torch']} |")
    print(f"\nfirst generate's tokens equal torch's: {first.tokens[0] == tokens['torch']}")
    return 0


def _ovcl(pipe, prompt, new):
    r = pipe.generate(prompt.numpy(), max_new_tokens=new)
    return r.tokens[0], r.perf_metrics.ttft_ms / 1e3, r.perf_metrics.tpot_ms / 1e3


if __name__ == "__main__":
    sys.exit(main())
