"""The plans of one model on one device: planned per set of input shapes, kept in a small LRU, stored in and
loaded from the model cache (config ``CACHE_DIR``), and routed through segments where shapes depend on values
computed at run time (``segments.py`` cuts the graph; ``SegmentedPlan`` runs the pieces).

A plan is anything with ``run(arrays, profile=None) -> outputs``, ``launches`` and ``stats``: an
``executor.Plan`` or a ``SegmentedPlan``. The API layer (``runtime.CompiledModel``) holds one ``Plans``.
"""
from __future__ import annotations

import collections
import threading

import numpy as np

from ovcl.ir import Model, Node
from ovcl.ir.ops import constant

from .config import streams
from .errors import CompileError
from .executor import Plan
from .segments import first_cut, split

VALUE_INPUT_MAX = 64          # an input with at most this many elements may decide shapes by value
TAIL_PLANS = 8                # tails kept per segmented plan, by the values that decide their shapes


class Plans:
    """Plans of ``model`` by input shapes (the most recent ``size``). ``cuts``: the nodes whose segmenting is
    under way above this one (a tail that would cut at one of them again cannot be resolved)."""

    def __init__(self, model: Model, device, config: dict, size: int = 8, cuts: tuple[str, ...] = ()):
        self.model, self.device, self.config, self.size, self.cuts = model, device, config, size, cuts
        self._plans: collections.OrderedDict[tuple, object] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._model_hash: str | None = None
        self.loaded_from_cache = False      # a plan came from the model cache
        self.made = 0                       # plans made or loaded, each with its program build

    def __len__(self) -> int:
        return len(self._plans)

    def for_shapes(self, shapes: tuple, states: tuple = ()):
        """The plan for these input shapes (each a tuple) and, for a stateful model, the shapes of the values its
        variables hold (``RequestState.key``): kept, loaded from the model cache, or made."""
        key = (shapes, states) if states else shapes
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
            plan = self._cached(key)
            self.made += 1
            if plan is None:
                plan = self._make(shapes, dict(states), key)
            else:
                self.loaded_from_cache = True
            if isinstance(plan, Plan):
                plan.streams = streams(self.config, self.device)
            self._plans[key] = plan
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
            return plan

    def adopt(self, shapes: tuple, plan) -> None:
        """A plan made elsewhere (an imported model's) for these input shapes."""
        with self._lock:
            if isinstance(plan, Plan):
                plan.streams = streams(self.config, self.device)
            self._plans[shapes] = plan

    def items(self) -> list:
        """(input shapes, plan) of the plans kept, oldest first."""
        with self._lock:
            return list(self._plans.items())

    def latest(self):
        """The most recently used plan, or None before the first."""
        with self._lock:
            return next(reversed(self._plans.values())) if self._plans else None

    def run(self, arrays: list[np.ndarray], profile: list | None = None, state=None) -> list[np.ndarray]:
        """One inference; ``state``: the infer request's ``RequestState`` for a stateful model."""
        shapes = tuple(a.shape for a in arrays)
        if not state:
            return self.for_shapes(shapes).run(arrays, profile)
        plan = self.for_shapes(shapes, state.key())
        bound = state.bindings(plan)
        outs = plan.run(arrays, profile, bound)
        state.commit(plan, bound)
        return outs

    def _make(self, shapes: tuple, states: dict, key):
        from ovcl.ir.passes import specialize
        from .compiler import Compiler
        static = specialize(self.model, {i: s for i, s in enumerate(shapes)}, states)
        cut = first_cut(static)
        if cut is not None:
            if static.get_sinks():
                raise CompileError(f"{cut[0].type_name} node '{cut[0].name}': its output shape depends on "
                                   f"values computed at run time, which ovcl does not plan in a stateful model yet")
            return SegmentedPlan(static, *cut, self.device, self.config, self.cuts)
        plan = Compiler(self.device, self.config).compile(static)
        if self.config.get("CACHE_DIR"):
            from . import model_cache
            model_cache.save(self.config["CACHE_DIR"], self._cache_key(key), plan)
        return plan

    def _cache_key(self, shapes) -> str:
        from . import model_cache
        if self._model_hash is None:
            self._model_hash = model_cache.fingerprint(self.model)
        return model_cache.entry_key(self._model_hash, self.device, shapes, self.config)

    def _cached(self, shapes):
        if not self.config.get("CACHE_DIR"):
            return None
        from . import model_cache
        return model_cache.load(self.config["CACHE_DIR"], self._cache_key(shapes), self.device, self.config)


class SegmentedPlan:
    """A model cut at a node D whose output shape depends on run-time values (see ``segments.py``): the head
    runs, the few values that decide the shapes are read back (the one synchronisation), and the tail runs
    with its plan for those shapes or values. A tail that needs another cut is itself segmented."""

    def __init__(self, model: Model, d: Node, kind: str, device, config: dict, cuts: tuple[str, ...] = ()):
        self._device, self._config = device, config
        self._bounded = kind == "bounded"
        head, self._tail_model, crossing, self._route = split(model, d, self._bounded)
        self.head = Plans(head, device, config, size=1, cuts=cuts)
        self._n = len(crossing)
        if self._bounded:
            axes = d.op.upper_bounds(d)
            self._cuts = [(axes[s.index][1] if s.node is d else None) for s in crossing]
            self._tails = Plans(self._tail_model, device, config, cuts=cuts)
        else:
            # inputs of D that decide its shape by value: the small ones after the data input (shapes,
            # scales, starts, repeats, k...); all of a Range's
            positions = [i for i in range(d.get_input_size()) if i > 0 or d.type_name == "Range"]
            self._values = [k for k, s in enumerate(crossing)
                            if any(s == d.input_value(i) for i in positions)
                            and int(np.prod(s.get_shape(), dtype=np.int64)) <= VALUE_INPUT_MAX]
            if not self._values or d.name in cuts:
                raise CompileError(f"{d.type_name} node '{d.name}': its output shape depends on values ovcl "
                                   f"cannot resolve before running it")
            self._inner_cuts = cuts + (d.name,)
            self._by_values: collections.OrderedDict = collections.OrderedDict()
            self._tails = None
        self.head.for_shapes(tuple(tuple(p.get_shape()) for p in head.inputs))
        self.stats = {"segmented_at": d.name, "kind": kind}

    @property
    def launches(self):
        tail = self._tails.latest() if self._tails is not None else None
        return list(self.head.latest().launches) + (list(tail.launches) if tail is not None else [])

    def _tails_for(self, feeds: list[np.ndarray]):
        """The tail's plans with the shape-deciding inputs as constants (kept by their values, LRU)."""
        key = tuple((feeds[k].dtype.str, feeds[k].shape, feeds[k].tobytes()) for k in self._values)
        tails = self._by_values.get(key)
        if tails is None:
            m = self._tail_model.clone()
            params = m.get_parameters()
            m.replace_outputs({params[k].output(0): constant(feeds[k]).output(0) for k in self._values})
            keep = [p for k, p in enumerate(params) if k not in self._values]
            tails = Plans(Model(m.get_results(), keep, name=m.name), self._device, self._config,
                          cuts=self._inner_cuts)
            self._by_values[key] = tails
            while len(self._by_values) > TAIL_PLANS:
                self._by_values.popitem(last=False)
        self._by_values.move_to_end(key)
        self._tails = tails
        return tails, [f for k, f in enumerate(feeds) if k not in self._values]

    def run(self, arrays: list[np.ndarray], profile: list | None = None) -> list[np.ndarray]:
        head_out = self.head.run(arrays, profile)
        feeds = head_out[:self._n]
        if self._bounded:
            length = int(head_out[self._n])
            feeds = [np.ascontiguousarray(a[(slice(None),) * axis + (slice(0, length),)]) if axis is not None else a
                     for a, axis in zip(feeds, self._cuts)]
            tails = self._tails
        else:
            tails, feeds = self._tails_for(feeds)
        feeds = [np.require(f, requirements="C") for f in feeds]
        tail_out = tails.run(feeds, profile) if any(kind == "tail" for kind, _ in self._route) else []
        return [head_out[i] if kind == "head" else tail_out[i] for kind, i in self._route]
