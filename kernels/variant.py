"""What a kernel variant declares beside its template (``kernels/<family>/<variant>.py`` next to
``<variant>.cl.mako``): its tunable parameters and their domains, the constraints between them and against the
device, where it applies, its launch sizes, and its arguments. Lowering asks a variant for these; the tuner
enumerates its space; nothing else in ovcl spells them out again.

A *problem* is a plain dict of what the variant needs to know about one launch (sizes, flags); a *config* is a
dict of parameter values. ``caps`` is ``ovcl.device.Capabilities`` (only its fields are read). Pure Python:
this module and the specs import nothing from the rest of ovcl.
"""
from __future__ import annotations

import hashlib
import importlib
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KERNELS = Path(__file__).resolve().parent
_SCALAR = {"int": np.int32, "uint": np.uint32, "long": np.int64, "float": np.float32}


@dataclass(frozen=True)
class Arg:
    name: str
    ctype: str                 # element type of a buffer, or the type of a scalar
    buffer: bool = True
    const: bool = False        # a buffer the kernel only reads


class Args:
    """A kernel's arguments, declared once: ``c_params()`` renders the C parameter list for the template and
    ``bind(values)`` orders the values by name, so Python and C cannot disagree on positions."""

    def __init__(self):
        self.items: list[Arg] = []

    def buffer(self, name: str, ctype: str, const: bool = False) -> "Args":
        self.items.append(Arg(name, ctype, True, const))
        return self

    def epilogue(self, bias_ct: str | None, res_ct: str | None) -> "Args":
        """A fused epilogue's optional inputs: ``bias`` and ``res`` buffers, each where its type is given."""
        if bias_ct:
            self.buffer("bias", bias_ct, const=True)
        if res_ct:
            self.buffer("res", res_ct, const=True)
        return self

    def scalar(self, name: str, ctype: str = "int") -> "Args":
        self.items.append(Arg(name, ctype, False))
        return self

    def c_params(self) -> str:
        return ", ".join(f"__global {'const ' if a.const else ''}{a.ctype} *restrict {a.name}" if a.buffer
                         else f"const {a.ctype} {a.name}" for a in self.items)

    def bind(self, values: dict) -> list:
        names = [a.name for a in self.items]
        if set(values) != set(names):
            raise ValueError(f"kernel arguments {sorted(values)} do not match the declaration {names}")
        out = []
        for a in self.items:
            if a.buffer:
                out.append(values[a.name])
                continue
            t = _SCALAR[a.ctype]
            if t is not np.float32 and not np.iinfo(t).min <= int(values[a.name]) <= np.iinfo(t).max:
                raise ValueError(f"kernel argument {a.name} = {int(values[a.name])} does not fit its {a.ctype}")
            out.append(t(values[a.name]))
        return out


def work_group_error(lsize: tuple[int, ...], caps) -> str | None:
    """Why a work-group of ``lsize`` cannot run on the device (None when it can)."""
    if int(np.prod(lsize)) > caps.max_work_group_size:
        return f"work-group {lsize} exceeds the device's {caps.max_work_group_size} work-items"
    if any(l > m for l, m in zip(lsize, caps.max_work_item_sizes)):
        return f"work-group {lsize} exceeds the device's per-dimension limits {caps.max_work_item_sizes}"
    return None


class Variant:
    """One kernel variant. Subclasses set the class attributes and override what differs."""
    family = ""
    name = ""
    template = ""                          # path under kernels/
    also: tuple[str, ...] = ()             # further templates of the variant (launched with the same params)
    params: dict[str, tuple] = {}          # tunable parameter -> its domain
    shape_keys: tuple[str, ...] = ()       # the problem entries that make a tuning database's shape key

    @property
    def id(self) -> str:
        return f"{self.family}.{self.name}"

    def applies(self, problem: dict, caps) -> bool:
        return True

    def defaults(self, problem: dict, caps) -> dict:
        """The starting configuration from what the device reports (vector width, type, local memory)."""
        raise NotImplementedError

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        """``cfg`` adapted to a small problem (a tile no larger than the matrix...); never used to make an
        invalid configuration valid."""
        return dict(cfg)

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        raise NotImplementedError

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        raise NotImplementedError

    def local_bytes(self, cfg: dict, problem: dict) -> int:
        return 0

    def constraints(self, cfg: dict, problem: dict, caps) -> str | None:
        """Why ``cfg`` is invalid beyond the generic checks (None when valid)."""
        return None

    # -- shared by every variant ----------------------------------------------------------------------------
    def name_error(self, cfg: dict) -> str | None:
        """Why ``cfg`` names unknown parameters or gives them values that are not whole numbers. (Values
        outside the domains are allowed: the domains are the tuner's search space, and ``fit`` itself takes
        values below them, as a tile clipped to a small matrix.)"""
        unknown = set(cfg) - set(self.params)
        if unknown:
            return f"unknown parameters {sorted(unknown)} (this variant has {sorted(self.params)})"
        bad = {k: v for k, v in cfg.items() if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0}
        return f"parameters must be whole numbers >= 0, not {bad}" if bad else None

    def check(self, cfg: dict, problem: dict, caps) -> str | None:
        """Why ``cfg`` (fitted) cannot run this problem on this device; None when it can."""
        missing = set(self.params) - set(cfg)
        if missing:
            return f"parameters {sorted(missing)} missing"
        why = work_group_error(self.local_size(cfg, problem), caps)
        if why:
            return why
        if self.local_bytes(cfg, problem) > caps.local_mem_size:
            return f"{self.local_bytes(cfg, problem)} bytes of local memory exceed the device's {caps.local_mem_size}"
        return self.constraints(cfg, problem, caps)

    def shape_key(self, problem: dict) -> str:
        return ",".join(f"{k}={problem[k]}" for k in self.shape_keys)

    def space(self, problem: dict, caps, limit: int | None = None, seed: int = 0) -> list[dict]:
        """Every distinct valid configuration for this problem (fitted), or a random sample of ``limit``."""
        names = list(self.params)
        combos = list(itertools.product(*(self.params[n] for n in names)))
        random.Random(seed).shuffle(combos)
        seen, out = set(), []
        for combo in combos:      # (every value is in its domain by construction)
            cfg = self.fit(dict(zip(names, combo)), problem, caps)
            key = tuple(sorted(cfg.items()))
            if key in seen or self.check(cfg, problem, caps) is not None:
                continue
            seen.add(key)
            out.append(cfg)
            if limit is not None and len(out) >= limit:
                break
        return out

    def source_hash(self) -> str:
        """A hash of the templates and of the parameters' domains: a tuning result for other source is stale.
        (The spec's defaults and constraints may change without invalidating measured configurations.)"""
        paths = [KERNELS / t for t in (self.template, *self.also)]
        key = (self.id, *(p.stat().st_mtime_ns for p in paths))
        if key not in _HASHES:
            h = hashlib.sha256()
            for p in paths:
                h.update(p.read_bytes())
            h.update(repr(sorted(self.params.items())).encode())
            _HASHES[key] = h.hexdigest()[:16]
        return _HASHES[key]


_HASHES: dict[tuple, str] = {}


def all_variants() -> dict[str, Variant]:
    """Every variant declared under ``kernels/<family>/``, by id (the ``Variant`` instances of its modules)."""
    found = {}
    for path in sorted(KERNELS.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__package__}.{path.parent.name}.{path.stem}")
        for v in vars(mod).values():
            if isinstance(v, Variant):
                found[v.id] = v
    return found


def round_up(x: int, m: int) -> int:
    return (x + m - 1) // m * m


def _pow2_upto(n: int) -> int:
    p = 1
    while p * 2 <= n:
        p *= 2
    return p


class PerItem(Variant):
    """A kernel of one work-item per output element (``problem["total"]`` of them) in one dimension, checking
    its bounds: its one parameter is the work-group size."""
    params = {"WG": (8, 16, 32, 64, 128, 256)}
    shape_keys = ("total",)

    def defaults(self, problem: dict, caps) -> dict:
        return {"WG": min(64, _pow2_upto(caps.max_work_group_size))}

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        # no larger than the work rounded up to 8 (a tiny launch is one small group)
        return dict(cfg, WG=max(1, min(cfg["WG"], round_up(problem["total"], 8))))

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return (cfg["WG"],)

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return (round_up(problem["total"], cfg["WG"]),)


class PerSegment(Variant):
    """A kernel of one work-group per segment (``problem["segments"]`` of ``problem["R"]`` elements each: a
    softmax row, a reduced set): WG work-items share a segment and combine in local memory; with VEC (WG = 1,
    an f32 segment contiguous in memory: ``problem["vec_ok"]``) the one work-item reads it as float8 vectors.

    On a CPU a work-group is one work-item looping over its segment (PoCL runs a work-group on one core, so
    larger groups add barriers, not parallelism); on a GPU up to 256 items share it."""
    params = {"WG": (1, 2, 4, 8, 16, 32, 64, 128, 256), "VEC": (0, 1)}
    shape_keys = ("segments", "R")

    def defaults(self, problem: dict, caps) -> dict:
        if caps.device_type == "CPU" or problem["R"] <= 1:
            return {"WG": 1, "VEC": int(problem["R"] >= 16)}
        wg = _pow2_upto(min(256, caps.max_work_group_size))
        while wg > 1 and wg // 2 >= problem["R"]:
            wg //= 2
        return {"WG": wg, "VEC": 0}

    def fit(self, cfg: dict, problem: dict, caps) -> dict:
        return dict(cfg, VEC=0) if cfg["WG"] > 1 or not problem.get("vec_ok") else dict(cfg)

    def constraints(self, cfg: dict, problem: dict, caps) -> str | None:
        if cfg["WG"] & (cfg["WG"] - 1):
            return f"the work-group size {cfg['WG']} is not a power of two (the tree combine halves it)"
        return None

    def local_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return (cfg["WG"],)

    def global_size(self, cfg: dict, problem: dict) -> tuple[int, ...]:
        return (problem["segments"] * cfg["WG"],)

    def local_bytes(self, cfg: dict, problem: dict) -> int:
        return cfg["WG"] * 8 if cfg["WG"] > 1 else 0

    def args(self, in_ct: str, out_ct: str | None = None) -> Args:
        return Args().buffer("in", in_ct, const=True).buffer("out", out_ct or in_ct)
