"""ONNX control flow (If, Loop, Scan) translated into the enclosing graph: every op runs as kernels on static
shapes, so a subgraph is translated inline (``NodeContext.subgraph``; outer names resolve in enclosing scopes).

- If: a condition that folds at translation time takes its branch; a run-time condition computes both branches
  and selects (Select where the outputs agree in shape; else SelectBranch, whose shape is decided by value at
  run time: a segment cut).
- Loop: unrolled, when the trip count folds to a constant (or, without one, the condition turns false as a
  constant); a run-time condition (without scan outputs) freezes the carried values once it turns false.
- Scan: unrolled over the static sequence length.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Output, ops

from .graph import NodeContext, onnx_op

MAX_UNROLL = 1024            # iterations a Loop or Scan is unrolled to at most
_FOLD_LIMIT = 256            # nodes visited when folding a condition or a trip count
_FOLD_ELEMENTS = 1 << 16     # largest intermediate value folded


def fold(o: Output | None) -> np.ndarray | None:
    """The value of ``o`` when it follows from constants (and static shapes) alone, else None."""
    if o is None:
        return None
    memo: dict[tuple[int, int], np.ndarray | None] = {}
    budget = [_FOLD_LIMIT]

    def value(out: Output):
        key = (out.node.id, out.index)
        if key in memo:
            return memo[key]
        memo[key] = None
        node = out.node
        budget[0] -= 1
        if node.type_name == "Constant":
            memo[key] = node.value
            return memo[key]
        if budget[0] < 0 or node.type_name in ("Parameter", "Result") or not node.op.can_evaluate():
            return None
        if node.type_name == "ShapeOf":
            if not node.input_shape(0).is_static:
                return None
            ins = [np.empty(node.input_shape(0).to_shape(), np.uint8)]
        else:
            ins = []
            for src in node.input_values():
                v = value(src)
                if v is None or np.size(v) > _FOLD_ELEMENTS:
                    return None
                ins.append(v)
        try:
            outs = node.evaluate(ins)
        except Exception:
            return None
        for k, v in enumerate(outs):
            t = node.get_output_element_type(k)
            arr = np.asarray(v)
            if t.dtype is not None and arr.dtype != t.dtype:
                arr = arr.astype(t.dtype)
            memo[(node.id, k)] = arr
        return memo[key]

    return value(o)


def refine(o: Output | None) -> Output | None:
    """``o`` rebuilt with every small input that folds (shape tensors computed from static shapes) made a
    constant, so that its shape is static where it can be: unrolling needs static lengths and ranks."""
    if o is None or o.get_partial_shape().is_static:
        return o
    clones: dict[int, object] = {}
    budget = [_FOLD_LIMIT]

    def node_of(n):
        if n.id in clones:
            return clones[n.id]
        clones[n.id] = n
        if n.type_name in ("Constant", "Parameter") or budget[0] <= 0:
            return n
        budget[0] -= 1
        ins, changed = [], False
        for src in n.input_values():
            new = src
            if src.node.type_name != "Constant":
                if src.get_partial_shape().is_static and int(np.prod(src.get_shape(), dtype=np.int64)) <= 64:
                    v = fold(src)
                    if v is not None:
                        new = ops.constant(v, src.get_element_type(), name=f"{src.node.name}/folded").output(0)
                elif not src.get_partial_shape().is_static:
                    new = node_of(src.node).output(src.index)
            changed |= new is not src
            ins.append(new)
        if changed:
            try:
                c = ops.make(n.type_name, ins, name=f"{n.name}/static", version=n.version, **dict(n.attrs))
            except Exception:
                return n
            c.rt_info = dict(n.rt_info)
            clones[n.id] = c
        return clones[n.id]

    return node_of(o.node).output(o.index)


def _scalar(ctx: NodeContext, o: Output, suffix: str) -> Output:
    """``o`` (one element) as a boolean scalar."""
    if o.get_element_type().name != "boolean":
        o = ctx.make("Convert", [o], f"{suffix}/bool", destination_type="boolean").output(0)
    return ctx.make("Reshape", [o, ctx.const(np.zeros(0, np.int64), suffix=f"{suffix}/shape")], suffix,
                    special_zero=False).output(0)


def _static(o: Output):
    ps = o.get_partial_shape()
    return ps.to_shape() if ps.is_static else None


def _stack(ctx: NodeContext, items: list[Output], axis: int, suffix: str) -> Output:
    """``items`` (one shape) stacked along a new ``axis``."""
    rank = len(items[0].get_partial_shape())
    axis = axis + rank + 1 if axis < 0 else axis
    ax = ctx.i64([axis], f"{suffix}/axis")
    parts = [ctx.make("Unsqueeze", [it, ax], f"{suffix}/unsqueeze{k}").output(0) for k, it in enumerate(items)]
    return parts[0] if len(parts) == 1 else ctx.make("Concat", parts, f"{suffix}/concat", axis=axis).output(0)


# -- If -----------------------------------------------------------------------------------------------------

@onnx_op("If")
def _if(ctx: NodeContext):
    cond = ctx.input(0)
    c = fold(cond)
    if c is not None:
        if c.size != 1:
            raise ctx.fail(f"the condition has {c.size} elements, not one")
        return ctx.subgraph("then_branch" if bool(c.reshape(-1)[0]) else "else_branch", [])
    then_outs = ctx.subgraph("then_branch", [])
    else_outs = ctx.subgraph("else_branch", [])
    if len(then_outs) != len(else_outs):
        raise ctx.fail(f"the branches give {len(then_outs)} and {len(else_outs)} outputs")
    scalar = ctx.make("Reshape", [cond, ctx.const(np.zeros(0, np.int64), suffix="scalar_shape")], "cond",
                      special_zero=False).output(0)
    outs = []
    for k, (a, b) in enumerate(zip(then_outs, else_outs)):
        a, b = refine(a), refine(b)
        if a.get_element_type() != b.get_element_type():
            raise ctx.fail(f"the branches give output {k} as {a.get_element_type()} and {b.get_element_type()}")
        sa, sb = _static(a), _static(b)
        if sa is not None and sa == sb:
            outs.append(ctx.make("Select", [scalar, a, b], f"select{k}").output(0))
        else:
            # shapes differ (or are not known yet): the plan is cut before it, the condition read back
            outs.append(ctx.make("SelectBranch", [a, scalar, b], f"branch{k}").output(0))
    return outs


# -- Loop -----------------------------------------------------------------------------------------------------

@onnx_op("Loop")
def _loop(ctx: NodeContext):
    body = ctx.attr("body")
    carried = [refine(ctx.input(i)) for i in range(2, ctx.num_inputs)]
    n_carried = len(carried)
    n_scan = len(body.output) - 1 - n_carried
    if n_scan < 0:
        raise ctx.fail(f"the body gives {len(body.output)} outputs for {n_carried} loop-carried values")
    m_in, cond_in = ctx.input(0), ctx.input(1)
    trip = None
    if m_in is not None:
        m = fold(m_in)
        if m is None:
            raise ctx.fail("the trip count is computed at run time; ovcl unrolls loops, so it must be a constant "
                           "(or follow from constants and static shapes)")
        trip = int(np.asarray(m).reshape(-1)[0])
    go = True
    active = None          # the run-time "still running" flag, once the condition is not a constant
    if cond_in is not None:
        c = fold(cond_in)
        if c is None:
            active = _scalar(ctx, cond_in, "cond0")
        else:
            go = bool(np.asarray(c).reshape(-1)[0])
    if trip is None and cond_in is None:
        raise ctx.fail("a loop with neither trip count nor condition never ends")
    limit = trip if trip is not None else MAX_UNROLL + 1
    if limit > MAX_UNROLL:
        raise ctx.fail(f"unrolling more than {MAX_UNROLL} iterations is not supported")

    def runtime_cond_check():
        if trip is None:
            raise ctx.fail("a loop without trip count whose condition is computed at run time is not supported: "
                           "ovcl unrolls loops")
        if n_scan:
            raise ctx.fail("scan outputs of a loop whose condition is computed at run time have a run-time "
                           "length: not supported (ovcl unrolls loops)")

    if active is not None:
        runtime_cond_check()
    scans: list[list[Output]] = [[] for _ in range(n_scan)]
    it = 0
    while go and it < limit:
        outs = ctx.subgraph("body", [ctx.i64(it, f"iter{it}"),
                                     ctx.const(np.array(True), suffix=f"cond{it}"), *carried], f"it{it}")
        new = outs[1:1 + n_carried]
        if active is not None:      # iterations after the condition turned false leave the values as they were
            kept = []
            for k, (n, o) in enumerate(zip(new, carried)):
                if _static(n) is None or _static(n) != _static(o) or n.get_element_type() != o.get_element_type():
                    raise ctx.fail(f"loop-carried value {k} changes shape or type across iterations, under a "
                                   f"run-time condition")
                kept.append(ctx.make("Select", [active, n, o], f"it{it}/keep{k}").output(0))
            new = kept
        carried = new
        for k in range(n_scan):
            scans[k].append(outs[1 + n_carried + k])
        c = fold(outs[0])
        if c is None:
            runtime_cond_check()
            now = _scalar(ctx, outs[0], f"it{it}/cond")
            active = now if active is None else ctx.make("LogicalAnd", [active, now], f"it{it}/active").output(0)
        elif not bool(np.asarray(c).reshape(-1)[0]):
            go = False
        it += 1
    if go and trip is None:
        raise ctx.fail(f"the loop condition is still true after {MAX_UNROLL} iterations")
    if n_scan and it == 0:
        raise ctx.fail("a loop of zero iterations with scan outputs (of unknown element shape) is not supported")
    return carried + [_stack(ctx, s, 0, f"scan{k}") for k, s in enumerate(scans)]


# -- Scan -----------------------------------------------------------------------------------------------------

def _scan(ctx: NodeContext, states: list[Output], xs: list[Output], in_axes, in_dirs, out_axes, out_dirs,
          n_out: int, tag: str):
    """One scan over ``xs`` along ``in_axes``; the final states and the stacked scan outputs."""
    lengths = set()
    for x, a in zip(xs, in_axes):
        shape = _static(x)
        if shape is None:
            raise ctx.fail("the scan inputs need static shapes: ovcl unrolls Scan over the sequence length")
        lengths.add(shape[a % len(shape)])
    if len(lengths) != 1:
        raise ctx.fail(f"the scan inputs have different sequence lengths {sorted(lengths)}")
    length = lengths.pop()
    if length == 0 or length > MAX_UNROLL:
        raise ctx.fail(f"a sequence length of {length} is not supported (1..{MAX_UNROLL})")
    n_state = len(states)
    collected: list[list[Output]] = [[] for _ in range(n_out)]
    for t in range(length):
        slices = []
        for j, (x, a, d) in enumerate(zip(xs, in_axes, in_dirs)):
            idx = length - 1 - t if d else t
            slices.append(ctx.make("Gather", [x, ctx.i64(idx, f"{tag}it{t}/idx{j}"),
                                              ctx.i64(a, f"{tag}it{t}/axis{j}")],
                                   f"{tag}it{t}/slice{j}", batch_dims=0).output(0))
        outs = ctx.subgraph("body", states + slices, f"{tag}it{t}")
        states = outs[:n_state]
        for k in range(n_out):
            collected[k].append(outs[n_state + k])
    stacked = []
    for k, items in enumerate(collected):
        if out_dirs[k]:
            items = items[::-1]
        stacked.append(_stack(ctx, items, out_axes[k], f"{tag}scan{k}"))
    return states, stacked


@onnx_op("Scan")
def _scan_op(ctx: NodeContext):
    body = ctx.attr("body")
    m = int(ctx.attr("num_scan_inputs"))
    if ctx.opset >= 9:
        ins = [refine(i) for i in ctx.inputs()]
        n = len(ins) - m
        states, xs = ins[:n], ins[n:]
        n_out = len(body.output) - n
        in_axes = list(ctx.attr("scan_input_axes", [0] * m))
        in_dirs = list(ctx.attr("scan_input_directions", [0] * m))
        out_axes = list(ctx.attr("scan_output_axes", [0] * n_out))
        out_dirs = list(ctx.attr("scan_output_directions", [0] * n_out))
        for j, x in enumerate(xs):
            in_axes[j] %= max(len(x.get_partial_shape()), 1)
        final, stacked = _scan(ctx, states, xs, in_axes, in_dirs, out_axes, out_dirs, n_out, "")
        return final + stacked
    # opset 8: a batch axis 0 on every input and output, sequence axis 1, optional sequence_lens first
    ins = [refine(i) for i in ctx.inputs()]
    seq_lens, rest = ins[0], ins[1:]
    n = len(rest) - m
    states, xs = rest[:n], rest[n:]
    n_out = len(body.output) - n
    dirs = list(ctx.attr("directions", [0] * m))
    shape = _static(xs[0]) if xs else None
    if shape is None:
        raise ctx.fail("the scan inputs need static shapes: ovcl unrolls Scan over the sequence length")
    batch, length = shape[0], shape[1]
    if seq_lens is not None:
        v = fold(seq_lens)
        if v is None or not np.all(np.asarray(v) == length):
            raise ctx.fail("sequence_lens shorter than the scan inputs (or computed at run time) are not supported")
    finals: list[list[Output]] = [[] for _ in range(n)]
    scans: list[list[Output]] = [[] for _ in range(n_out)]
    for b in range(batch):
        def pick(o, j):
            return ctx.make("Gather", [o, ctx.i64(b, f"b{b}/idx{j}"), ctx.i64(0, f"b{b}/axis{j}")],
                            f"b{b}/pick{j}", batch_dims=0).output(0)
        st = [pick(s, f"s{j}") for j, s in enumerate(states)]
        sx = [pick(x, f"x{j}") for j, x in enumerate(xs)]
        final, stacked = _scan(ctx, st, sx, [0] * m, dirs, [0] * n_out, [0] * n_out, n_out, f"b{b}/")
        for j, f in enumerate(final):
            finals[j].append(f)
        for k, s in enumerate(stacked):
            scans[k].append(s)
    return [_stack(ctx, f, 0, f"final{j}") for j, f in enumerate(finals)] + \
        [_stack(ctx, s, 0, f"out{k}") for k, s in enumerate(scans)]
