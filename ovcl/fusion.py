"""Compile-time fusion on a static graph (after specialisation, before lowering).

0. Folding: BatchNormInference becomes a per-channel Multiply and Add; a per-channel constant Multiply
   after a Convolution (through its bias Add, if any) goes into the weights, repeatedly (a BatchNorm's scale,
   then a gamma after it); consecutive constant Adds merge; Maximum / Minimum by a constant become Clamps
   (OpenVINO's ReLU6). So Conv -> BatchNorm -> Relu ends as one convolution with a bias-and-ReLU epilogue.
   Attention written out (MatMul, scale, masks, Softmax, MatMul) becomes ScaledDotProductAttention, which
   reads its query, key and value through the Transposes (and Split parts) that split their heads out
   (``FusedSDPA``).
   RMS normalisation written out (x * 1/sqrt(mean(x*x) + eps) [* gamma], transformers' RMSNorm, ONNX's
   RMSNormalization) becomes one ``RMSNorm``: one pass over each row instead of four launches. GELU written
   out (erf or tanh form) becomes one ``Gelu``, which can then end a MatMul's epilogue.
1. Epilogues: a Convolution, GroupConvolution or MatMul followed by a bias Add (a constant along the channel
   axis, or the last axis for MatMul), a residual Add (a tensor of the output's shape) and an activation (a
   Reshape may stand before the residual or the activation: it moves after the fused node) becomes one node
   whose kernel applies them before storing: ``act(op + bias + residual)``. The node keeps its type; the extra
   inputs are appended and ``rt_info["fused"]`` says which is which.
2. Element-wise chains: connected element-wise ops of one output shape, whose intermediate results have no
   other consumer, become one ``FusedEltwise`` node: one kernel, one pass over memory. Inputs that are a
   Transpose, or the rotate-half of rotary embeddings (Concat(-x[..., h:], x[..., :h])), read by the chain
   alone are read through: the kernel reads their source in that order.

Fused nodes exist only here and in lowering; they are never written to IR (decision 1 of the design).
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Model, Node, Output
from ovcl.ir.node import PortInfo
from ovcl.ir.ops import constant
from ovcl.ir.ops.registry import Op

from .lowering.base import contiguous_strides
from .lowering.elementwise import ELTWISE_OPS, EPILOGUE_ACTIVATIONS

# the element types whose fused kernels compute in float (f16 is stored half: INFERENCE_PRECISION_HINT f16)
COMPUTED_IN_FLOAT = ("f32", "f16")
EPILOGUE_HOSTS = {"Convolution": 1, "GroupConvolution": 1, "MatMul": -1}   # op -> axis the bias runs along


class FusedEltwise(Op):
    """Internal: ``attrs["steps"]`` lists ``{op, attrs, operands, type}``; operand k < number of inputs is
    input k, else the result of step k - number of inputs. ``input_perms`` {k: order}: input k is read
    transposed; ``input_rotations`` {k: h}: input k is read rotated by half its last axis (h = half of it),
    negated in the first half. Not in the IR's op table: only this pass makes
    one (its nodes are built with the class) and nothing reads or writes one by name."""
    type_name = "FusedEltwise"
    internal = True
    attrs = {"steps": [], "out_type": "f32", "out_shape": [], "input_perms": {}, "input_rotations": {}}

    @classmethod
    def infer(cls, node):
        from ovcl.ir import PartialShape, Type
        return [(Type.from_name(node.attrs["out_type"]), PartialShape(node.attrs["out_shape"]))]


class RMSNorm(Op):
    """Internal: ``x / sqrt(mean(x * x) + eps) [* gamma]`` over the last axis (inputs ``x`` and, optionally,
    ``gamma`` of that axis's length). Made by ``fuse_rms_norm`` only; never in IR."""
    type_name = "RMSNorm"
    internal = True
    attrs = {"eps": 1e-6}

    @classmethod
    def infer(cls, node):
        x = node.input_value(0)
        return [(x.get_element_type(), x.get_partial_shape())]


class FusedSDPA(Op):
    """Internal: ScaledDotProductAttention whose query, key or value k is read where it lies in another tensor
    (``attrs["input_views"]`` {k: [element offset, shape, element strides]}, the last axis contiguous): through
    the Transpose that split its heads out, and the Split part that Reshape made heads of. Made by
    ``attention_reads_through`` only."""
    type_name = "FusedSDPA"
    internal = True
    attrs = {"causal": False, "input_views": {}, "out_type": "f32", "out_shape": []}

    @classmethod
    def infer(cls, node):
        from ovcl.ir import PartialShape, Type
        return [(Type.from_name(node.attrs["out_type"]), PartialShape(node.attrs["out_shape"]))]


def _consumers(model: Model) -> dict[Output, list[Node]]:
    users: dict[Output, list[Node]] = {}
    for node in model.get_ordered_ops():
        for src in node.input_values():
            users.setdefault(src, []).append(node)
    return users


def _only_user(users, out: Output) -> Node | None:
    u = users.get(out, [])
    return u[0] if len(u) == 1 and u[0].type_name != "Result" else None


def _bias_vector(host: Node, add: Node, out: Output) -> np.ndarray | None:
    """The constant operand of ``add`` as a 1-D per-channel vector, if it is one."""
    other = add.input_value(1) if add.input_value(0) == out else add.input_value(0)
    if other.node.type_name != "Constant" or other.get_element_type() != out.get_element_type():
        return None
    shape = out.get_shape()
    value = other.node.value
    if value.ndim > len(shape):
        return None
    axis = EPILOGUE_HOSTS[host.type_name] % len(shape)
    padded = (1,) * (len(shape) - value.ndim) + value.shape
    if any(d != 1 for k, d in enumerate(padded) if k != axis) or padded[axis] not in (1, shape[axis]):
        return None
    return np.ascontiguousarray(np.broadcast_to(value.reshape(-1), (shape[axis],)))


def fuse_epilogues(model: Model) -> int:
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping: dict[Output, Output] = {}
    claimed: set[int] = set()       # Adds already absorbed: a residual Add of two convolutions goes to one only
    count = 0
    for host in model.get_ordered_ops():
        if host.type_name not in EPILOGUE_HOSTS or host.get_output_element_type(0).name not in COMPUTED_IN_FLOAT:
            continue
        out = host.output(0)
        extra: list[Output] = []
        fused: dict = {}
        absorbed = [host.name]
        tail = out
        nxt = _only_user(users, tail) if tail not in outputs else None
        if nxt is not None and nxt.type_name == "Add":
            bias = _bias_vector(host, nxt, tail)
            if bias is not None:
                fused["bias"] = host.get_input_size() + len(extra)
                extra.append(constant(bias, name=f"{host.name}/bias").output(0))
                absorbed.append(nxt.name)
                tail = nxt.output(0)
                nxt = _only_user(users, tail) if tail not in outputs else None
        view = None
        if nxt is not None and nxt.type_name in VIEWS and tail not in outputs:
            # a reshape between the bias and the residual (GEMMs on flattened tokens): the residual is
            # seen in the host's shape instead, and the view moves after the fused node
            # (or before the activation: GPT-2's feed-forward GELU; element-wise, so the view moves after it too)
            after = _only_user(users, nxt.output(0)) if nxt.output(0) not in outputs else None
            if after is not None and (after.type_name == "Add" or (after.type_name in EPILOGUE_ACTIVATIONS
                                                                   and after.get_input_size() == 1)):
                view, nxt, tail = nxt, after, nxt.output(0)
        if nxt is not None and nxt.type_name == "Add" and id(nxt) not in claimed:
            other = nxt.input_value(1) if nxt.input_value(0) == tail else nxt.input_value(0)
            if (other != tail and other.get_partial_shape() == tail.get_partial_shape()
                    and other.get_element_type() == tail.get_element_type()):
                if view is not None:
                    absorbed.append(view.name)
                    other = _reshaped(other, out.get_shape(), f"{nxt.name}/residual_view")
                fused["residual"] = host.get_input_size() + len(extra)
                extra.append(other)
                absorbed.append(nxt.name)
                claimed.add(id(nxt))
                tail = nxt.output(0)
                nxt = _only_user(users, tail) if tail not in outputs else None
            elif view is not None:
                view = None
                tail = view_in = tail.node.input_value(0)
                nxt = _only_user(users, view_in) if view_in not in outputs else None
        elif view is not None and nxt.type_name == "Add":
            tail, view = view.input_value(0), None
            nxt = _only_user(users, tail)
        if nxt is not None and nxt.type_name in EPILOGUE_ACTIVATIONS and nxt.get_input_size() == 1:
            fused["activation"] = (nxt.type_name, dict(nxt.attrs))
            if view is not None and "residual" not in fused:
                absorbed.append(view.name)
            absorbed.append(nxt.name)
            tail = nxt.output(0)
        if not fused:
            continue
        node = Node(host.op, host.input_values() + extra, dict(host.attrs), name=host.name, version=host.version)
        node.rt_info = dict(host.rt_info, fused=fused, fused_nodes=absorbed)
        result = node.add_output(PortInfo(out.get_element_type(), out.get_partial_shape()))
        if view is not None:
            result = _reshaped(result, tail.get_shape(), f"{host.name}/view")
        mapping[tail] = result
        count += 1
    model.replace_outputs(mapping)
    return count


VIEWS = ("Reshape", "Squeeze", "Unsqueeze")


def _reshaped(value: Output, shape, name: str) -> Output:
    from ovcl.ir.ops import make
    return make("Reshape", [value, constant(np.array(shape, np.int64), name=f"{name}/shape")], name=name,
                special_zero=False).output(0)


def hoist_transposes(model: Model) -> int:
    """Transpose(E(x, c...)) -> E(Transpose(x), c'...) for an element-wise E whose only user is the Transpose and
    whose other operands are constants (laid out again here): repeated, the Transpose climbs to the start of an
    element-wise chain, where the chain's kernel reads through it (``_transposed_inputs``). Preprocessing's
    Convert -> mean -> scale -> NHWC-to-NCHW becomes one kernel that reads the image once."""
    from ovcl.ir.ops import make
    eltwise = set(ELTWISE_OPS) - {"PRelu"}
    count = 0
    while True:         # a sweep moves every Transpose up one op; the next sweep takes the ones it made
        users = _consumers(model)
        outputs = {r.input_value(0) for r in model.get_results()}
        mapping: dict[Output, Output] = {}
        for t in model.get_ordered_ops():
            if t.type_name != "Transpose" or _const(t.input_value(1)) is None:
                continue
            e_out = t.input_value(0)
            e = e_out.node
            if (e.type_name not in eltwise or e.get_output_size() != 1 or e_out in outputs
                    or _only_user(users, e_out) is not t):
                continue
            perm = [int(p) for p in _const(t.input_value(1)).reshape(-1)]
            rank = len(perm)
            data = [k for k, src in enumerate(e.input_values()) if _const(src) is None]
            if len(data) != 1 or len(e.input_values()[data[0]].get_shape()) != rank:
                continue
            ins = []
            for k, src in enumerate(e.input_values()):
                if k == data[0]:
                    ins.append(make("Transpose", [src, t.input_value(1)], name=f"{t.name}/hoisted").output(0))
                else:
                    c = _const(src)
                    if c.ndim > rank:
                        break
                    c = np.transpose(c.reshape((1,) * (rank - c.ndim) + c.shape), perm) if c.ndim else c
                    ins.append(constant(np.ascontiguousarray(c), name=f"{src.node.name}/transposed").output(0))
            else:
                mapping[t.output(0)] = make(e.type_name, ins, name=e.name, version=e.version, **e.attrs).output(0)
        if not mapping:
            return count
        model.replace_outputs(mapping)
        count += len(mapping)


def fuse_eltwise_chains(model: Model) -> int:
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    eltwise = set(ELTWISE_OPS) - {"PRelu"}      # PRelu's per-channel slope needs its own indexing
    group: dict[int, list[Node]] = {}           # tail node id -> nodes of its group, in order
    owner: dict[int, int] = {}                  # node id -> tail id of its group
    for node in model.get_ordered_ops():
        if node.type_name not in eltwise or node.get_output_size() != 1:
            continue
        members = []
        for src in node.input_values():
            p = src.node
            if (p.id in owner and src not in outputs and _only_user(users, src) is node
                    and src.get_partial_shape() == node.get_output_partial_shape(0)):
                tail = owner[p.id]
                if tail in group:
                    members.extend(group.pop(tail))
        members.append(node)
        for m in members:
            owner[m.id] = node.id
        group[node.id] = members
    mapping: dict[Output, Output] = {}
    count = 0
    for tail_id, members in group.items():
        reads = {**_transposed_inputs(members, users, outputs), **_rotated_inputs(members, users, outputs)}
        if len(members) < 2 and not reads:
            continue
        mapping.update(_fuse_group(members, reads))
        count += 1
    model.replace_outputs(mapping)
    return count


def _transposed_inputs(members: list[Node], users, outputs) -> dict[Output, tuple[Output, str, list[int]]]:
    """The group's inputs that are Transposes (by a constant order) read by the group alone: the kernel reads
    their input in that order instead (a layout change fused, as preprocessing's NHWC -> NCHW)."""
    inside = {m.id for m in members}
    out = {}
    for m in members:
        for src in m.input_values():
            node = src.node
            if node.id in inside or node.type_name != "Transpose" or src in outputs:
                continue
            perm = _const(node.input_value(1))
            if perm is None or not all(u.id in inside for u in users.get(src, [])):
                continue
            if len(src.get_shape()) != len(m.get_output_shape(0)):
                continue
            out[src] = (node.input_value(0), "perm", [int(p) for p in perm.reshape(-1)])
    return out


def _rotated_inputs(members: list[Node], users, outputs) -> dict[Output, tuple[Output, str, int]]:
    """The group's inputs that are the rotate-half of rotary position embeddings, Concat(-x[..., h:],
    x[..., :h]) along the last axis of an x of the group's shape, read by the group alone: the kernel reads x
    at the rotated position, negated in the first half (four launches fewer per rotated tensor)."""
    inside = {m.id for m in members}
    shape = list(members[-1].get_output_shape(0))
    rank, h = len(shape), (shape[-1] // 2 if shape else 0)
    out = {}
    if not shape or shape[-1] % 2:
        return out
    for m in members:
        for src in m.input_values():
            node = src.node
            if node.id in inside or node.type_name != "Concat" or src in outputs or node.get_input_size() != 2 \
                    or list(src.get_shape()) != shape or not all(u.id in inside for u in users.get(src, [])):
                continue
            neg, low = node.input_value(0), node.input_value(1)
            if int(node.attrs["axis"]) % rank != rank - 1 or neg.node.type_name != "Negative":
                continue
            x = _last_axis_slice(neg.node.input_value(0), h, 2 * h)
            if x is None or x != _last_axis_slice(low, 0, h) or list(x.get_shape()) != shape:
                continue
            out[src] = (x, "rotate_half", h)
    return out


def _last_axis_slice(out: Output, start: int, stop: int) -> Output | None:
    """The sliced tensor if ``out`` is a Slice of elements ``start:stop`` (step 1) of its last axis."""
    node = out.node
    if node.type_name != "Slice" or node.get_input_size() != 5:
        return None
    x = node.input_value(0)
    rank, vals = len(x.get_shape()), [_const(node.input_value(k)) for k in range(1, 5)]
    if any(v is None or v.size != 1 for v in vals):
        return None
    b, e, step, axis = (int(v.reshape(-1)[0]) for v in vals)
    n = x.get_shape()[-1] if rank else 0
    b, e = (b + n if b < 0 else b), min(e + n if e < 0 else e, n)
    return x if (axis % max(rank, 1), b, e, step) == (rank - 1, start, stop, 1) else None


def _fuse_group(members: list[Node], reads: dict | None = None) -> dict[Output, Output]:
    """``reads``: input -> (tensor the kernel reads instead, "perm" or "rotate_half", order or half length)."""
    inside = {m.id: j for j, m in enumerate(members)}
    keys: list[tuple] = []                  # (tensor read, how or None, its parameter), one per kernel input
    steps = []
    for m in members:
        operands = []
        for src in m.input_values():
            if src.node.id in inside:
                operands.append(("step", inside[src.node.id]))
            else:
                read, how, param = (reads or {}).get(src, (src, None, None))
                key = (read, how, tuple(param) if how == "perm" else param)
                if key not in keys:
                    keys.append(key)
                operands.append(("in", keys.index(key)))
        steps.append((m, operands))
    inputs = [read for read, _, _ in keys]
    perms = {str(k): list(param) for k, (_, how, param) in enumerate(keys) if how == "perm"}
    rotations = {str(k): param for k, (_, how, param) in enumerate(keys) if how == "rotate_half"}
    n = len(inputs)
    tail = members[-1]
    out = tail.output(0)
    attrs = {
        "steps": [{"op": m.type_name, "attrs": dict(m.attrs), "type": m.get_output_element_type(0).name,
                   "operands": [k if kind == "in" else n + k for kind, k in ops]} for m, ops in steps],
        "out_type": out.get_element_type().name,
        "out_shape": list(out.get_shape()),
        "input_perms": perms,
        "input_rotations": rotations,
    }
    node = Node(FusedEltwise, inputs, attrs, name=tail.name)
    read_through = [src.node.name for src in (reads or {})]
    node.rt_info["fused_nodes"] = read_through + [m.name for m in members]
    node.validate()
    return {out: node.output(0)}


def _const(out: Output) -> np.ndarray | None:
    return out.node.value if out.node.type_name == "Constant" else None


def _channel_vector(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``value`` as a 1-D per-channel (axis 1) vector when it broadcasts that way against ``shape``."""
    if value.ndim > len(shape) or len(shape) < 2:
        return None
    padded = (1,) * (len(shape) - value.ndim) + value.shape
    if any(d != 1 for k, d in enumerate(padded) if k != 1) or padded[1] not in (1, shape[1]):
        return None
    return np.broadcast_to(value.reshape(-1), (shape[1],))


def _as_channels(vec: np.ndarray, rank: int, dtype) -> np.ndarray:
    return np.asarray(vec, dtype=dtype).reshape((1, -1) + (1,) * (rank - 2))


def decompose_batchnorm(model: Model) -> int:
    """BatchNormInference with constant statistics -> x * scale + shift (per channel)."""
    from ovcl.ir.ops import make
    mapping = {}
    for node in model.get_ordered_ops():
        if node.type_name != "BatchNormInference":
            continue
        x = node.input_value(0)
        stats = [_const(node.input_value(i)) for i in range(1, 5)]
        if any(v is None for v in stats) or not x.get_element_type().is_real():
            continue
        gamma, beta, mean, var = (v.astype(np.float64) for v in stats)
        scale = gamma / np.sqrt(var + float(node.attrs["epsilon"]))
        shift = beta - mean * scale
        rank, dt = len(x.get_shape()), x.get_element_type().dtype
        mul = make("Multiply", [x, constant(_as_channels(scale, rank, dt), name=f"{node.name}/scale")],
                   name=f"{node.name}/mul")
        add = make("Add", [mul, constant(_as_channels(shift, rank, dt), name=f"{node.name}/shift")], name=node.name)
        mapping[node.output(0)] = add.output(0)
    model.replace_outputs(mapping)
    return len(mapping)


def fold_scales_into_conv(model: Model) -> int:
    """Conv [-> Add(c)] -> Multiply(s), with constant weights and per-channel c and s, becomes
    Conv(W * s) [-> Add(c * s)]."""
    from ovcl.ir.ops import make
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping = {}
    for mul in model.get_ordered_ops():
        if mul.type_name != "Multiply" or mul.get_output_element_type(0).name not in COMPUTED_IN_FLOAT:
            continue
        for k in (0, 1):
            src, other = mul.input_value(k), mul.input_value(1 - k)
            s = _const(other)
            if s is None or src in outputs or _only_user(users, src) is not mul:
                continue
            s = _channel_vector(s, src.get_shape())
            if s is None:
                continue
            add, conv_out = None, src
            if src.node.type_name == "Add":
                a0, a1 = src.node.input_value(0), src.node.input_value(1)
                c_out, x_out = (a1, a0) if _const(a1) is not None else (a0, a1)
                c = _const(c_out)
                if c is None or _channel_vector(c, src.get_shape()) is None or x_out in outputs \
                        or _only_user(users, x_out) is not src.node:
                    continue
                add, conv_out = (src.node, _channel_vector(c, src.get_shape())), x_out
            conv = conv_out.node
            w = _const(conv.input_value(1)) if conv.get_input_size() == 2 else None
            if conv.type_name not in ("Convolution", "GroupConvolution") or w is None:
                continue
            if conv.type_name == "Convolution":
                w2 = w * s.reshape((-1,) + (1,) * (w.ndim - 1))
            else:
                w2 = w * s.reshape(w.shape[:2] + (1,) * (w.ndim - 2))
            new_conv = make(conv.type_name, [conv.input_value(0), constant(w2.astype(w.dtype), name=f"{conv.name}/scaled")],
                            name=conv.name, **conv.attrs)
            out = new_conv.output(0)
            if add is not None:
                rank = len(src.get_shape())
                out = make("Add", [out, constant(_as_channels(add[1] * s, rank, w.dtype), name=f"{add[0].name}/scaled")],
                           name=add[0].name).output(0)
            mapping[mul.output(0)] = out
            break
    model.replace_outputs(mapping)
    return len(mapping)


def clamps_from_min_max(model: Model) -> int:
    """Maximum(x, a) and Minimum(x, b) with a single constant value become Clamps, and Clamp(Clamp(x)) one
    Clamp: OpenVINO writes ReLU6 as Maximum then Minimum, which then fuses into a convolution's epilogue like
    a Clamp. Exact, NaN included (both keep a NaN of x)."""
    from ovcl.ir.ops import make
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping: dict[Output, Output] = {}
    origin: dict[Output, Output] = {}       # a Clamp made here -> the output it replaces (for users, outputs)
    count = 0
    for node in model.get_ordered_ops():
        for i, src in enumerate(node._inputs):      # see through what this pass already replaced
            if src in mapping:
                node._inputs[i] = mapping[src]
        if node.type_name not in ("Maximum", "Minimum") or not node.get_output_element_type(0).is_real():
            continue
        for k in (0, 1):
            c, x = _const(node.input_value(k)), node.input_value(1 - k)
            if c is None or c.size != 1 or _const(x) is not None or x.get_shape() != node.get_output_shape(0):
                continue
            lo, hi = (float(c.reshape(())), float("inf")) if node.type_name == "Maximum" else \
                (float("-inf"), float(c.reshape(())))
            inner, was = x.node, origin.get(x, x)
            if inner.type_name == "Clamp" and was not in outputs and _only_user(users, was) is node:
                x = inner.input_value(0)
                lo, hi = max(lo, inner.attrs["min"]), min(hi, inner.attrs["max"])
            mapping[node.output(0)] = make("Clamp", [x], name=node.name, min=lo, max=hi).output(0)
            origin[mapping[node.output(0)]] = node.output(0)
            count += 1
            break
    model.replace_outputs(mapping)
    return count


def merge_constant_adds(model: Model) -> int:
    """Add(Add(x, c1), c2) -> Add(x, c1 + c2) for constants, when the inner sum has no other user."""
    from ovcl.ir.ops import make
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping, done = {}, set()
    for outer in model.get_ordered_ops():
        if outer.type_name != "Add":
            continue
        for k in (0, 1):
            inner_out, c2 = outer.input_value(k), _const(outer.input_value(1 - k))
            inner = inner_out.node
            if c2 is None or inner.type_name != "Add" or inner.id in done or inner_out in outputs \
                    or _only_user(users, inner_out) is not outer:
                continue
            c1_k = 1 if _const(inner.input_value(1)) is not None else 0
            c1 = _const(inner.input_value(c1_k))
            x = inner.input_value(1 - c1_k)
            if c1 is None or _const(x) is not None:
                continue
            total = (c1 + c2).astype(c1.dtype)
            if np.broadcast_shapes(total.shape, x.get_shape()) != tuple(x.get_shape()):
                continue
            done.add(inner.id)
            mapping[outer.output(0)] = make("Add", [x, constant(total, name=f"{outer.name}/c")], name=outer.name).output(0)
            break
    model.replace_outputs(mapping)
    return len(mapping)


def _near(v: float | None, want: float) -> bool:
    """``v`` is ``want`` as a float32 constant (or written with six digits): a pattern's constant, not another."""
    return v is not None and abs(v - want) <= 1e-5 * abs(want)


def _mul_by(node: Node, want: float) -> Output | None:
    """For a Multiply by a single constant close to ``want`` (either operand), the other operand."""
    if node.type_name == "Multiply":
        for k in (0, 1):
            if _near(_scalar(node.input_value(k)), want):
                return node.input_value(1 - k)
    return None


def _erf_gelu_input(erf: Node, only) -> Output | None:
    """x of erf(x / sqrt(2)) or erf(x * (1 / sqrt(2)))."""
    inner = erf.input_value(0).node
    if only(inner.output(0)) is not erf:
        return None
    if inner.type_name == "Divide" and _near(_scalar(inner.input_value(1)), 1.4142135623730951):
        return inner.input_value(0)
    return _mul_by(inner, 0.7071067811865476)


def _tanh_gelu_input(tanh: Node, only) -> Output | None:
    """x of tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)), x^3 as Power(x, 3), x * (x * x) or (x * x) * x."""
    scaled = tanh.input_value(0).node
    u = _mul_by(scaled, 0.7978845608028654) if only(scaled.output(0)) is tanh else None
    if u is None or u.node.type_name != "Add" or only(u) is not scaled:
        return None
    for k in (0, 1):
        x, term = u.node.input_value(k), u.node.input_value(1 - k)
        cube = _mul_by(term.node, 0.044715) if only(term) is u.node else None
        if cube is None or only(cube) is not term.node:
            continue
        c = cube.node
        if c.type_name == "Power" and c.input_value(0) == x and _near(_scalar(c.input_value(1)), 3.0):
            return x
        if c.type_name == "Multiply":
            for j in (0, 1):
                sq = c.input_value(1 - j).node
                if (c.input_value(j) == x and sq.type_name == "Multiply" and only(sq.output(0)) is c
                        and sq.input_value(0) == x and sq.input_value(1) == x):
                    return x
    return None


def _half_x_times(one_plus: Output, x: Output, only) -> Output | None:
    """The output of 0.5 * x * ``one_plus``, the products in any order, or None."""
    m1 = only(one_plus)
    if m1 is None or m1.type_name != "Multiply":
        return None
    other = m1.input_value(1) if m1.input_value(0) == one_plus else m1.input_value(0)
    if other == x or _near(_scalar(other), 0.5):
        m2 = only(m1.output(0))
        if m2 is not None and m2.type_name == "Multiply":
            rest = m2.input_value(1) if m2.input_value(0) == m1.output(0) else m2.input_value(0)
            if (other == x and _near(_scalar(rest), 0.5)) or (other != x and rest == x):
                return m2.output(0)
        return None
    if only(other) is m1 and _mul_by(other.node, 0.5) == x:       # (0.5 * x) * (1 + f)
        return m1.output(0)
    return None


def fuse_gelu(model: Model) -> int:
    """GELU written out becomes one Gelu: x * 0.5 * (1 + erf(x / sqrt(2))) (ERF) and 0.5 * x * (1 + tanh(sqrt(2 /
    pi) * (x + 0.044715 * x^3))) (TANH), the products in any order, as PyTorch exports write them (BERT's and
    GPT-2's feed-forward layers). One node instead of five to eight, and an activation that can end the
    MatMul's epilogue. Only where every intermediate result has no other reader."""
    from ovcl.ir.ops import make
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}

    def only(out: Output) -> Node | None:
        return None if out in outputs else _only_user(users, out)

    mapping: dict[Output, Output] = {}
    for node in model.get_ordered_ops():
        if node.type_name not in ("Erf", "Tanh") or not node.get_output_element_type(0).is_real():
            continue
        erf = node.type_name == "Erf"
        x = _erf_gelu_input(node, only) if erf else _tanh_gelu_input(node, only)
        add = only(node.output(0))
        if x is None or add is None or add.type_name != "Add" or x.get_shape() != node.get_output_shape(0):
            continue
        if not any(_near(_scalar(add.input_value(k)), 1.0) and add.input_value(1 - k) == node.output(0)
                   for k in (0, 1)):
            continue
        end = _half_x_times(add.output(0), x, only)
        if end is not None:
            mapping[end] = make("Gelu", [x], name=end.node.name,
                                approximation_mode="ERF" if erf else "TANH").output(0)
    model.replace_outputs(mapping)
    return len(mapping)


def _scalar(out: Output) -> float | None:
    c = _const(out)
    return float(c.reshape(-1)[0]) if c is not None and c.size == 1 else None


def _mean_square_plus_eps(r: Output, single) -> tuple[Output, float] | None:
    """(x, eps) where ``r`` is 1 / sqrt(ReduceMean(x * x, last axis, kept) + eps) (or the Power -0.5 of the
    sum) and every intermediate result is read once (``single(out)``); else None."""
    node = r.node
    if node.type_name == "Divide" and _scalar(node.input_value(0)) == 1.0 \
            and node.input_value(1).node.type_name == "Sqrt":
        root = node.input_value(1)
        if not single(root):
            return None
        total = root.node.input_value(0)
    elif node.type_name == "Power" and _scalar(node.input_value(1)) == -0.5:
        total = node.input_value(0)
    else:
        return None
    add = total.node
    if add.type_name != "Add" or not single(total):
        return None
    for k in (0, 1):
        eps, mean = _scalar(add.input_value(1 - k)), add.input_value(k)
        if eps is not None and mean.node.type_name == "ReduceMean":
            break
    else:
        return None
    reduce, square = mean.node, mean.node.input_value(0)
    axes, rank = _const(reduce.input_value(1)), len(square.get_shape())
    if not single(mean) or not single(square) or not reduce.attrs.get("keep_dims") or axes is None \
            or sorted({int(a) % rank for a in axes.reshape(-1)}) != [rank - 1]:
        return None
    sq = square.node
    if sq.type_name == "Multiply" and sq.input_value(0) == sq.input_value(1):
        return sq.input_value(0), eps
    if sq.type_name == "Power" and _scalar(sq.input_value(1)) == 2.0:
        return sq.input_value(0), eps
    return None


def fuse_rms_norm(model: Model) -> int:
    """Multiply(x, 1 / sqrt(mean(x * x over the last axis) + eps)), and a constant Multiply along that axis
    after it (gamma), become one ``RMSNorm``."""
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}

    def single(out: Output) -> bool:
        return out not in outputs and len(users.get(out, [])) == 1

    mapping = {}
    for mul in model.get_ordered_ops():
        if mul.type_name != "Multiply" or mul.get_output_element_type(0).name not in COMPUTED_IN_FLOAT:
            continue
        for k in (0, 1):
            x, r = mul.input_value(k), mul.input_value(1 - k)
            found = _mean_square_plus_eps(r, single) if single(r) else None
            if found is None or found[0] != x or mul.get_output_shape(0) != x.get_shape():
                continue
            shape, out, fused = x.get_shape(), mul.output(0), [mul.name]
            inputs = [x]
            scale = _only_user(users, out) if out not in outputs else None
            if scale is not None and scale.type_name == "Multiply":
                g = _const(scale.input_value(1 if scale.input_value(0) == out else 0))
                if g is not None and scale.get_output_shape(0) == shape and g.ndim <= len(shape) \
                        and all(d == 1 for d in g.shape[:-1]) and g.size in (1, shape[-1]):
                    gamma = np.broadcast_to(g.reshape(-1), (shape[-1],)).astype(x.get_element_type().dtype)
                    inputs.append(constant(gamma, name=f"{scale.name}/gamma").output(0))
                    out = scale.output(0)
                    fused.append(scale.name)
            node = Node(RMSNorm, inputs, {"eps": found[1]}, name=out.node.name)
            node.rt_info["fused_nodes"] = fused
            node.validate()
            mapping[out] = node.output(0)
            break
    model.replace_outputs(mapping)
    return len(mapping)


def _last_two_swapped(out: Output):
    """If ``out`` is a Transpose that swaps the last two axes of its input (perhaps after other moves),
    the Transpose that makes the unswapped form: (input, perm), else None."""
    node = out.node
    if node.type_name != "Transpose":
        return None
    perm = _const(node.input_value(1))
    if perm is None or perm.size < 2:
        return None
    p = [int(v) for v in perm.reshape(-1)]
    p[-1], p[-2] = p[-2], p[-1]
    return node.input_value(0), p


def fuse_attention(model: Model) -> int:
    """MatMul(Q, Kt) [* or / scalar] [+ mask | Select(cond, ., c)]* -> Softmax(last) -> MatMul(., V) becomes
    one ScaledDotProductAttention: the scores never reach memory."""
    from ovcl.ir.ops import OPS, make
    if "ScaledDotProductAttention" not in OPS:
        return 0
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping = {}
    for mm2 in model.get_ordered_ops():
        if mm2.type_name != "MatMul" or mm2.attrs.get("transpose_a") or mm2.attrs.get("transpose_b"):
            continue
        probs, v = mm2.input_value(0), mm2.input_value(1)
        soft = probs.node
        if soft.type_name != "Softmax" or probs in outputs or _only_user(users, probs) is not mm2:
            continue
        if soft.get_output_element_type(0).name not in COMPUTED_IN_FLOAT:
            continue
        rank = len(probs.get_shape())
        if int(soft.attrs["axis"]) % rank != rank - 1:
            continue
        # walk back from the softmax input to the first MatMul, collecting the mask terms and the scale
        cur, masks, scale, ok = soft.input_value(0), [], None, True
        while ok and cur.node.type_name != "MatMul":
            n = cur.node
            if cur in outputs or len(users.get(cur, [])) != 1:
                ok = False
                break
            if n.type_name in ("Multiply", "Divide"):
                c = _const(n.input_value(1))
                if c is None or c.size != 1:
                    ok = False
                    break
                f = float(c.reshape(-1)[0])
                scale = (1.0 if scale is None else scale) * (f if n.type_name == "Multiply" else 1.0 / f)
                cur = n.input_value(0)
            elif scale is not None:        # walking back: a mask before the scale would be scaled too
                ok = False
            elif n.type_name == "Add":
                a, b = n.input_value(0), n.input_value(1)
                scores_side = a if b.get_partial_shape() != n.get_output_partial_shape(0) or a.node.type_name in (
                    "MatMul", "Multiply", "Divide", "Add", "Select") else b
                masks.append(b if scores_side == a else a)
                cur = scores_side
            elif n.type_name == "Select":
                cond, x, other = n.input_value(0), n.input_value(1), n.input_value(2)
                c = _const(other)
                if c is None or c.size != 1:
                    ok = False
                    break
                masks.append(make("Select", [cond, constant(np.float32(0)), constant(c.reshape(()))],
                                  name=f"{n.name}/as_mask").output(0))
                cur = x
            else:
                ok = False
        if not ok:
            continue
        mm1 = cur.node
        if mm1.attrs.get("transpose_a") or (cur in outputs) or len(users.get(cur, [])) != 1:
            continue
        q, kt = mm1.input_value(0), mm1.input_value(1)
        if mm1.attrs.get("transpose_b"):
            k = kt
        else:
            src = _last_two_swapped(kt)
            if src is None:
                continue
            k = make("Transpose", [src[0], constant(np.array(src[1], np.int64))], name=f"{kt.node.name}/as_key").output(0)
        if len(q.get_shape()) < 3 or len(k.get_shape()) != len(q.get_shape()) or len(v.get_shape()) != len(q.get_shape()):
            continue
        mask = None
        for m in masks:
            mask = m if mask is None else make("Add", [mask, m], name=f"{mm2.name}/mask").output(0)
        mask = mask if mask is not None else constant(np.float32(0)).output(0)
        try:
            sdpa = make("ScaledDotProductAttention", [q, k, v, mask, constant(np.float32(1.0 if scale is None else scale))],
                        name=f"{mm2.name}/sdpa", causal=False)
        except Exception:  # noqa: BLE001 - a pattern the op does not accept stays as it was
            continue
        if sdpa.get_output_partial_shape(0) != mm2.get_output_partial_shape(0):
            continue
        sdpa.rt_info["fused_nodes"] = [mm1.name, soft.name, mm2.name]
        mapping[mm2.output(0)] = sdpa.output(0)
    model.replace_outputs(mapping)
    return len(mapping)


def attention_reads_through(model: Model) -> int:
    """A ScaledDotProductAttention whose query, key or value is a Transpose that keeps the last axis (heads
    split out of [batch, length, heads, size]), read by it alone, and perhaps before it a Reshape of the last
    axis of a Split part (GPT-2's fused QKV projection), becomes a ``FusedSDPA`` that reads the source in
    place: no copy per input."""
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping = {}
    for sdpa in model.get_ordered_ops():
        if sdpa.type_name != "ScaledDotProductAttention":
            continue
        inputs, views = list(sdpa.input_values()), {}
        for k in range(3):
            src, order = inputs[k], None
            node = src.node
            perm = _const(node.input_value(1)) if node.type_name == "Transpose" else None
            if perm is not None and src not in outputs and all(u is sdpa for u in users.get(src, [])) \
                    and inputs.count(src) == 1 and int(perm.reshape(-1)[-1]) == perm.size - 1:
                order, src = [int(p) for p in perm.reshape(-1)], node.input_value(0)
            source, offset, shape, strides = _split_heads(src)
            if order is None and source is src:
                continue
            order = order or list(range(len(shape)))
            inputs[k] = source
            views[str(k)] = [offset, [shape[p] for p in order], [strides[p] for p in order]]
        if not views:
            continue
        out = sdpa.output(0)
        fused = Node(FusedSDPA, inputs, {"causal": bool(sdpa.attrs["causal"]), "input_views": views,
                                         "out_type": out.get_element_type().name, "out_shape": list(out.get_shape())},
                     name=sdpa.name)
        fused.rt_info["fused_nodes"] = [sdpa.input_value(int(k)).node.name for k in views] + [sdpa.name]
        fused.validate()
        mapping[out] = fused.output(0)
    model.replace_outputs(mapping)
    return len(mapping)


def _split_heads(value: Output) -> tuple[Output, int, list[int], list[int]]:
    """(source, element offset, shape, element strides) reading ``value``: where it is a Reshape that splits the
    last axis of a Split / VariadicSplit part along the last axis, the split's input at the part's offset;
    else ``value`` itself, contiguous."""
    shape = [int(d) for d in value.get_shape()]
    plain = (value, 0, shape, contiguous_strides(shape))
    reshape = value.node
    if reshape.type_name != "Reshape" or len(shape) < 2:
        return plain
    part = reshape.input_value(0)
    split = part.node
    if split.type_name not in ("Split", "VariadicSplit"):
        return plain
    whole = split.input_value(0)
    ws, ps = [int(d) for d in whole.get_shape()], [int(d) for d in part.get_shape()]
    axis = _const(split.input_value(1))
    if axis is None or int(axis.reshape(-1)[0]) % len(ws) != len(ws) - 1 or ps[:-1] != shape[:-2] \
            or shape[-2] * shape[-1] != ps[-1]:
        return plain
    offset = sum(int(split.output(i).get_shape()[-1]) for i in range(part.index))
    lead = contiguous_strides(ws)[:-1]
    return whole, offset, shape, lead + [shape[-1], 1]


def fuse(model: Model) -> dict[str, int]:
    """Run every fusion on ``model`` in place; returns counts per kind."""
    counts = {"batchnorms": decompose_batchnorm(model), "scales": 0}
    while True:     # one pass folds one Multiply per convolution: BatchNorm's scale, then a gamma after it
        folded = fold_scales_into_conv(model)
        if not folded:
            break
        counts["scales"] += folded
    counts.update(clamps=clamps_from_min_max(model), adds=merge_constant_adds(model),
                  attention=fuse_attention(model), rms_norms=fuse_rms_norm(model), gelus=fuse_gelu(model))
    counts["attention_read_through"] = attention_reads_through(model)
    counts["epilogues"] = fuse_epilogues(model)
    counts["transposes_hoisted"] = hoist_transposes(model)
    counts["eltwise_chains"] = fuse_eltwise_chains(model)
    return counts
