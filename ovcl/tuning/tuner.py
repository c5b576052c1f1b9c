"""The tuner behind ``ovcl tune``: measure a model's kernel instances under other parameters, keep the fastest.

1. The model is specialised and lowered as a compile would; its launches of tunable variants, grouped by
   (variant, shape key), are the *instances*.
2. Each instance is run alone: its node (fused as in the model) is lowered into a one-node plan over random
   inputs, for the configuration it has now and then for candidates: the parameters of its entries measured
   on older kernel source (stale after a template change), then the variant's space (a seeded random sample
   for 40% of its time, then the neighbours of the best: one parameter one step away, until
   none is new or the time is up), each timed with OpenCL profiling events (median of several runs; a candidate already 3x slower
   than the best after one run is dropped). The budget is shared out by each instance's share of the model's
   time.
3. A candidate whose output differs from the current configuration's (relative L2 error above 1e-4) is
   rejected; so is one that fails to build or run. The winner must then beat the current configuration by
   3% in interleaved rounds (median of per-round ratios), or the current one stays.
4. The winners go to the user's tuning database at device level; the next compile uses them.
"""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import database

L2_TOLERANCE = 1e-4


@dataclass
class Instance:
    """One (variant, shape key) of a model, with a node that runs it and what it runs with now."""
    variant: object
    shape: str
    problem: dict
    node: object
    count: int
    current: dict
    tuning: str
    default_s: float = 0.0
    best: dict = field(default_factory=dict)
    best_s: float = 0.0
    tried: int = 0
    rejected: int = 0
    reference: list = field(default_factory=list)     # the current configuration's outputs


def _random(shape, t, rng) -> np.ndarray:
    if t.is_real():
        return rng.uniform(-1.0, 1.0, shape).astype(t.dtype)
    if t.name == "boolean":
        return rng.random(shape) > 0.5
    return rng.integers(0, 2, shape).astype(t.dtype)


def collect(model, device, config: dict, shapes: dict | None = None) -> list[Instance]:
    """The tunable kernel instances of ``model`` (a static one, or static after ``shapes``)."""
    from ovcl.compiler import Compiler
    from ovcl.ir.passes import specialize
    static = specialize(model, shapes)
    for p in static.get_parameters():
        if not p.get_output_partial_shape(0).is_static:
            raise ValueError(f"input '{p.name}' has a dynamic shape {p.get_output_partial_shape(0)}: "
                             f"give its shape to tune for (--shape)")
    compiler = Compiler(device, config)
    compiler.lower(static)
    nodes = {n.name: n for n in static.get_ordered_ops()}
    found: dict[tuple, Instance] = {}
    counted: set[tuple] = set()
    for l in compiler.launches:
        if not l.variant or (l.variant, l.shape, l.node) in counted:
            continue              # (a variant with two kernels, as Winograd's transforms, counts once a node)
        counted.add((l.variant, l.shape, l.node))
        key = (l.variant, l.shape)
        if key in found:
            found[key].count += 1
            continue
        found[key] = Instance(l.meta["spec"], l.shape, l.meta["problem"], nodes[l.node], 1, dict(l.params),
                              l.tuning)
    return list(found.values())


class _NodeBench:
    """One instance's node lowered alone, for any configuration of its variant."""

    def __init__(self, inst: Instance, device, config: dict, runs: int):
        self.inst, self.device, self.config, self.runs = inst, device, config, runs
        self.arrays = None            # random inputs, made for the first plan

    def plan(self, cfg: dict):
        from ovcl.compiler import lower_node, finish
        table = dict(self.config.get("KERNEL_PARAMS") or {})
        table[f"{self.inst.variant.id}@{self.inst.shape}"] = cfg
        config = dict(self.config, KERNEL_PARAMS=table)
        return finish(self.device, lower_node(self.device, self.inst.node, config), config)

    def measure(self, cfg: dict, reference: list | None, give_up_s: float | None):
        """(median seconds of the node's launches, outputs); None for a candidate that fails or differs."""
        try:
            plan = self.plan(cfg)
            if self.arrays is None:
                rng = np.random.default_rng(0)
                self.arrays = [_random(v.shape, v.type, rng) for v in plan.inputs]
            outs = plan.run(list(self.arrays))      # also the first launch, where PoCL compiles the kernel
        except Exception:  # noqa: BLE001 - a candidate that does not build or run is just rejected
            return None
        if reference is not None and not all(_close(a, b) for a, b in zip(outs, reference)):
            return None
        times = []
        for _ in range(self.runs):
            times.append(plan.time_launches())
            if give_up_s is not None and times[0] > give_up_s:
                break
        return statistics.median(times), outs


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = np.linalg.norm(b)
    return bool(np.isfinite(a).all() == np.isfinite(b).all()
                and np.linalg.norm(np.nan_to_num(a - b)) <= L2_TOLERANCE * max(scale, 1e-30))


def _confirm(inst: Instance, bench: _NodeBench, rounds: int = 5, margin: float = 1.03) -> None:
    """The search's winner against the current configuration, interleaved round by round (these machines
    drift: a winner measured in a quiet moment is not a winner); kept only if the median of the per-round
    ratios and the ratio of the medians both say it is at least ``margin`` faster (rounds that swing both ways
    can put the one above the margin and the other below 1). Sets the confirmed times."""
    plans = {}
    for name, cfg in (("current", inst.current), ("best", inst.best)):
        plans[name] = bench.plan(cfg)
        plans[name].run(list(bench.arrays))
    ratios, cur, best = [], [], []
    for _ in range(rounds):
        c = statistics.median(plans["current"].time_launches() for _ in range(bench.runs))
        b = statistics.median(plans["best"].time_launches() for _ in range(bench.runs))
        cur.append(c)
        best.append(b)
        ratios.append(c / b)
    inst.default_s = statistics.median(cur)
    if statistics.median(ratios) >= margin and inst.default_s >= margin * statistics.median(best):
        inst.best_s = statistics.median(best)
    else:
        inst.best, inst.best_s = dict(inst.current), inst.default_s


def _neighbours(variant, cfg: dict) -> list[dict]:
    out = []
    for k, dom in variant.params.items():
        if cfg.get(k) not in dom:
            continue
        i = dom.index(cfg[k])
        for j in (i - 1, i + 1):
            if 0 <= j < len(dom):
                out.append(dict(cfg, **{k: dom[j]}))
    return out


def tune(model, device, budget_s: float = 120.0, shapes: dict | None = None, config: dict | None = None,
         runs: int = 5, progress=None, candidates=None) -> list[Instance]:
    """Tune ``model``'s kernel instances on ``device`` within about ``budget_s`` seconds; returns them with
    their best configurations (``best``, ``best_s``) next to the current ones (``current``, ``default_s``).
    ``candidates(instance) -> list[dict]`` replaces the search (tests inject configurations with it).
    Nothing is written: see ``save``."""
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    config = dict(config or {})
    t0 = time.perf_counter()
    insts = collect(model, device, config, shapes)
    if not insts:
        say("no tunable kernels in this model")
        return []
    benches = {}
    say(f"tuning {len(insts)} kernel instances on {device.name} ({device.full_name}), budget {budget_s:.0f} s")
    for inst in insts:                       # the current configurations first: the reference and the shares
        benches[id(inst)] = b = _NodeBench(inst, device, config, runs)
        got = b.measure(inst.current, None, None)
        if got is None:
            raise RuntimeError(f"{inst.variant.id} {inst.shape} (node '{inst.node.name}'): its current "
                               f"configuration {inst.current} does not build or run alone; nothing was tuned")
        inst.default_s, inst.reference = got
        inst.best, inst.best_s = dict(inst.current), inst.default_s
    total = sum(i.default_s * i.count for i in insts) or 1.0
    left = max(0.0, budget_s - (time.perf_counter() - t0))
    for n, inst in enumerate(sorted(insts, key=lambda i: -i.default_s * i.count), 1):
        share = left * inst.default_s * inst.count / total
        stop = time.perf_counter() + share
        bench = benches[id(inst)]
        seen = {tuple(sorted(inst.current.items()))}

        def trial(cfg):
            key = tuple(sorted(cfg.items()))
            if key in seen:
                return
            seen.add(key)
            inst.tried += 1
            got = bench.measure(cfg, inst.reference, 3 * inst.best_s)
            if got is None:
                inst.rejected += 1
            elif got[0] < inst.best_s:
                inst.best, inst.best_s = dict(cfg), got[0]

        if candidates is not None:
            pool = candidates(inst)
        else:
            for cfg in database.stale_params(device.tuning_identity, inst.variant.id, inst.shape,
                                             inst.variant.source_hash()):
                if inst.variant.name_error(cfg) is None:
                    cfg = inst.variant.fit(cfg, inst.problem, device.caps)
                    if inst.variant.check(cfg, inst.problem, device.caps) is None:
                        trial(cfg)
            pool = inst.variant.space(inst.problem, device.caps, limit=400, seed=n)
        # a random sample for part of the share (all of it for injected candidates), then around the best
        explore = stop if candidates is not None else time.perf_counter() + 0.4 * share
        for cfg in pool:
            if time.perf_counter() > explore:
                break
            trial(cfg)
        while candidates is None and time.perf_counter() < stop:      # then around the best
            fitted = (inst.variant.fit(c, inst.problem, device.caps) for c in _neighbours(inst.variant, inst.best))
            fresh = [c for c in fitted if tuple(sorted(c.items())) not in seen
                     and inst.variant.check(c, inst.problem, device.caps) is None]
            if not fresh:
                break
            for cfg in fresh:
                if time.perf_counter() > stop:
                    break
                trial(cfg)
        if inst.best != inst.current:
            _confirm(inst, bench)
        elapsed = time.perf_counter() - t0
        eta = max(0.0, budget_s - elapsed)
        say(f"[{n}/{len(insts)}] {inst.variant.id} {inst.shape} x{inst.count}: {inst.tried} tried "
            f"({inst.rejected} rejected), {1e3 * inst.default_s:.3f} -> {1e3 * inst.best_s:.3f} ms "
            f"({inst.default_s / inst.best_s:.2f}x); {elapsed:.0f} s elapsed, about {eta:.0f} s left")
    return insts


def records(insts: list[Instance], device) -> list[dict]:
    """The database entries of tuned instances (device level, tied to this driver and ovcl version)."""
    from ovcl import __version__
    ident = device.tuning_identity
    today = time.strftime("%Y-%m-%d")
    return [{"level": "device", "key": ident.device, "variant": i.variant.id, "shape": i.shape,
             "params": {k: int(v) for k, v in i.best.items()}, "source": i.variant.source_hash(),
             "us": round(1e6 * i.best_s, 2), "default_us": round(1e6 * i.default_s, 2), "device": ident.device,
             "arch": ident.arch, "driver": ident.driver, "ovcl": __version__, "measured": today}
            for i in insts]


def save(insts: list[Instance], device, path=None):
    return database.add_user_entries(records(insts, device), path)


def table(insts: list[Instance]) -> str:
    """A before/after table per kernel instance and for the model's tuned kernels together."""
    lines = ["| kernel | shape | launches | before ms | after ms | speed-up | tried | params |",
             "|---|---|---|---|---|---|---|---|"]
    for i in sorted(insts, key=lambda i: -i.default_s * i.count):
        changed = {k: v for k, v in i.best.items() if i.current.get(k) != v}
        lines.append(f"| {i.variant.id} | {i.shape} | {i.count} | {1e3 * i.default_s:.3f} | {1e3 * i.best_s:.3f} | "
                     f"{i.default_s / i.best_s:.2f}x | {i.tried} | {changed or 'unchanged'} |")
    before = sum(i.default_s * i.count for i in insts)
    after = sum(i.best_s * i.count for i in insts)
    lines.append(f"| all tuned kernels | | {sum(i.count for i in insts)} | {1e3 * before:.3f} | {1e3 * after:.3f} | "
                 f"{before / after:.2f}x | | |")
    return "\n".join(lines)
