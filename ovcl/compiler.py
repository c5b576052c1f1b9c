"""From a static, folded graph to a ``Plan``: fuse, lower every node, plan memory, build programs, bind arguments.

Steps: (1) each node is lowered to launches (``ovcl.lowering``); (2) the storages that launches touch get
live ranges, and device buffers are reused between storages whose ranges do not overlap; (3) the unique
kernel sources are built as one program (cached on disk); (4) one ``cl.Kernel`` per launch gets its
arguments set once. The plan is then a flat list of ``(kernel, global size, local size)``.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ovcl.ir import Model, Node, Output, Type
from ovcl.ir.ops.state import STATE_IN_PLACE
from ovcl.ir.passes.half_precision import compute_in_f16

from .config import precision
from .errors import CompileError, KernelBuildError
from .executor import Plan, bind_args
from .fusion import fuse
from .lowering import LOWERINGS, Launch, LoweringContext, Storage, Value
from .memory import plan_memory
from . import parallel_compile
from .programs import BUILD_OPTIONS, build_program, program_from_binary, program_key


class Compiler:
    def __init__(self, device, config: dict[str, Any] | None = None):
        self.device = device
        self.config = dict(config or {})
        self.launches: list[Launch] = []
        self.storages: list[Storage] = []

    # -- used by LoweringContext --------------------------------------------
    def emit(self, launch: Launch) -> None:
        self.launches.append(launch)

    def _storage(self, nbytes: int, kind: str, const=None) -> Storage:
        s = Storage(len(self.storages), nbytes, kind, const)
        self.storages.append(s)
        return s

    def new_constant(self, array: np.ndarray, name: str) -> Value:
        t = Type.boolean if array.dtype == np.bool_ else Type.from_dtype(array.dtype)
        return Value(tuple(array.shape), t, self._storage(array.nbytes, "const", array), name)

    def new_temp(self, shape, t: Type, name: str) -> Value:
        v = Value(tuple(shape), t, None, name)
        v.storage = self._storage(v.nbytes, "temp")
        return v

    def new_state(self, shape, t: Type, variable_id: str, role: str) -> Value:
        v = Value(tuple(shape), t, None, f"state:{variable_id}:{role}")
        v.storage = self._storage(v.nbytes, "state")
        v.storage.variable = (variable_id, role)
        return v

    # -- the pipeline ---------------------------------------------------------
    def lower(self, model: Model) -> "Lowered":
        """Compute in f16 where asked for and possible, fuse (both in place: pass a model made for this by
        ``specialize``) and lower every node."""
        if precision(self.config, self.device) == Type.f16:
            compute_in_f16(model)
        if str(self.config.get("OVCL_FUSION", "YES")).upper() not in ("NO", "0", "FALSE", "OFF"):
            fuse(model)
        values: dict[Output, Value] = {}
        inputs: list[Value] = []
        for p in model.get_parameters():
            out = p.output(0)
            v = Value(out.get_shape(), out.get_element_type(), None, p.name)
            v.storage = self._storage(v.nbytes, "input")
            values[out] = v
            inputs.append(v)
        # lowered last: every ReadValue reads the state from before this inference (an update written into the
        # state in place, STATE_IN_PLACE, that only Assigns read goes with them: after every reader of the
        # state's old value; one that others read too, as attention over the updated cache, stays in order)
        ops = model.get_ordered_ops()
        read = {v for n in ops if n.type_name != "Assign" for v in n.input_values()}
        assigns = []
        for node in ops:
            if node.type_name in ("Parameter", "Result"):
                continue
            if STATE_IN_PLACE in node.rt_info and node.type_name != "ReadValue" and node.output(0) not in read:
                assigns.append(node)
                continue
            if node.type_name == "Constant":
                values[node.output(0)] = self.new_constant(np.require(node.value, requirements="C"), node.name)
                continue
            if node.type_name == "Assign":
                assigns.append(node)
                continue
            self._lower(node, values)
        for node in assigns:
            self._lower(node, values)
        outputs = [values[r.input_value(0)] for r in model.get_results()]
        return Lowered(self.storages, inputs, outputs, self.launches)

    def compile(self, model: Model) -> Plan:
        t0 = time.perf_counter()
        lowered = self.lower(model)
        t1 = time.perf_counter()
        plan = finish(self.device, lowered, self.config)
        plan.stats["lower_s"] = t1 - t0
        return plan

    def _lower(self, node: Node, values: dict[Output, Value]) -> None:
        fn = LOWERINGS.get(node.type_name)
        if fn is None:
            raise CompileError(f"no OpenCL kernel for op {node.type_name} (node '{node.name}'); "
                               f"this op is not supported on the device yet")
        ins = [values[i] for i in node.input_values()]
        outs = []
        for k, o in enumerate(node.outputs()):
            outs.append(self.new_temp(o.get_shape(), o.get_element_type(),
                                      node.name if node.get_output_size() == 1 else f"{node.name}:{k}"))
        limit = self.device.caps.max_alloc_size
        for v in outs:
            if v.nbytes > limit:
                raise CompileError(f"{node.type_name} node '{node.name}': its output {list(v.shape)} of {v.type} "
                                   f"takes {v.nbytes:,} bytes, more than one allocation on {self.device.name} may "
                                   f"({limit:,} bytes): the model does not fit this device")
        for v in ins + outs:
            if v.type is Type.f64 and not self.device.caps.fp64:
                raise CompileError(f"{node.type_name} node '{node.name}': f64 tensors need a device with "
                                   f"fp64 (cl_khr_fp64); {self.device.name} has none")
        ctx = LoweringContext(self, node, ins, outs)
        fn(ctx)
        for k, o in enumerate(node.outputs()):
            values[o] = ctx.outputs[k]



def lower_node(device, node: Node, config: dict) -> "Lowered":
    """``node`` lowered alone (as it stands in its graph, fused inputs included): inputs with a constant
    value become constants, the others plan inputs. For measuring one node's kernels (the tuner)."""
    compiler = Compiler(device, config)
    values: dict[Output, Value] = {}
    inputs: list[Value] = []
    for i, src in enumerate(node.input_values()):
        if src in values:
            continue
        const = node.input_const(i)
        if const is not None:
            values[src] = compiler.new_constant(np.require(const, requirements="C"), f"{node.name}/in{i}")
        else:
            v = Value(tuple(src.get_shape()), src.get_element_type(), None, f"{node.name}/in{i}")
            v.storage = compiler._storage(v.nbytes, "input")
            values[src] = v
            inputs.append(v)
    compiler._lower(node, values)
    return Lowered(compiler.storages, inputs, [values[o] for o in node.outputs()], compiler.launches)


@dataclass
class Lowered:
    """A lowered model: what the model cache stores, and what ``finish`` turns into a plan."""
    storages: list[Storage]
    inputs: list[Value]
    outputs: list[Value]
    launches: list[Launch]
    prelude: str | None = None      # the rendered prelude.cl.mako, as a model cache entry keeps it

    def prelude_source(self) -> str:
        """The rendered prelude.cl.mako: rendered at the first call, unless a model cache entry gave it."""
        if self.prelude is None:
            from .programs import render
            self.prelude = render("prelude.cl.mako")
        return self.prelude

    def program_source(self, device) -> str:
        unique: dict[str, str] = {}
        for l in self.launches:
            unique.setdefault(l.kernel, l.source)
        fp64 = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" if device.caps.fp64 else ""
        return fp64 + self.prelude_source() + "\n".join(unique[k] for k in sorted(unique))


def finish(device, lowered: Lowered, config: dict, binary: bytes | None = None) -> Plan:
    """Plan memory, build the program (from ``binary`` when given), bind every launch's arguments."""
    import pyopencl as cl
    stats = plan_memory(device, lowered.storages, lowered.launches, lowered.inputs, lowered.outputs)
    t0 = time.perf_counter()
    program = None
    warm_stats: dict = {}
    if lowered.launches:
        if binary is not None:
            program = program_from_binary(device, binary)
        else:
            kernels = {l.kernel for l in lowered.launches}
            nodes = sorted({l.node for l in lowered.launches})
            what = f"{len(kernels)} kernels of nodes {', '.join(nodes[:8])}{' ...' if len(nodes) > 8 else ''}"
            source = lowered.program_source(device)
            key = program_key(source, BUILD_OPTIONS, device)
            workers = parallel_compile.worker_count(device, lowered.launches, config, key)
            if workers:
                warm_stats = parallel_compile.warm(device, source, BUILD_OPTIONS, lowered.launches, workers, key,
                                                   verbose=bool(config.get("VERBOSE")))
            if config.get("VERBOSE"):
                print(f"ovcl: building {len(kernels)} kernels for {device.name}...", file=sys.stderr, flush=True)
            program = build_program(device, source, what)
    t1 = time.perf_counter()
    kernels = []
    for l in lowered.launches:
        try:
            k = cl.Kernel(program, l.kernel)
        except cl.Error as e:
            hint = (" PoCL hands out such a program from its kernel cache when a process died while compiling "
                    "it: delete the cache (POCL_CACHE_DIR, by default ~/.cache/pocl) and compile again."
                    if device.is_pocl else "")
            raise KernelBuildError(f"{l.op} node '{l.node}': the program built for {device.name} lacks its kernel "
                                   f"{l.kernel} ({e}).{hint}") from e
        try:
            bind_args(k, l, lambda v: v.storage.buffer)
        except cl.Error as e:
            raise CompileError(f"{l.op} node '{l.node}': binding arguments of {l.kernel} failed: {e}") from e
        kernels.append(k)
    plan = Plan(device, lowered.inputs, lowered.outputs, lowered.launches, kernels)
    plan.program = program
    plan.lowered = lowered
    plan.stats = {**stats, **warm_stats, "build_s": t1 - t0, "launches": len(lowered.launches),
                  "kernels": len({l.kernel for l in lowered.launches})}
    return plan
