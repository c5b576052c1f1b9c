"""Transpose sinking: move Transposes down the graph, through ops that do not care about layout, until they
meet their inverse and cancel.

TensorFlow and TensorFlow Lite models are NHWC, and their frontends translate each layout-sensitive op
(Convolution, pooling, Interpolate, DepthToSpace...) literally: ``Transpose(x, [0,3,1,2])``, the op in NCHW,
``Transpose(y, [0,2,3,1])``. Between two such ops the Transposes are separated by element-wise ops (bias,
activation, residual Add, quantize chains), Concat, Pad, reductions, slices... This pass moves each Transpose
below those ops, which it rewrites for the untransposed layout (axes, pads, constants), so that a converted
CNN keeps no Transpose between its convolutions.

Rules, applied in topological order until nothing changes (only to Transposes whose order is a Constant):

- Transpose(Transpose(x)) composes, and goes when the composition is the identity; a Transpose of a
  Constant folds; an identity Transpose goes.
- An op in ``_RULES`` whose data input is a Transpose runs on the untransposed input, with its axes mapped,
  and one Transpose follows it (a smaller one, or none, when the op drops axes). The other inputs of
  element-wise ops and Concat must be Transposes by the same order, constants (re-laid out here), scalars or
  values whose transposition is a Reshape; when Transposes are most of the inputs, the rest may be anything,
  and get a Transpose by the inverse order.
- Last, a Transpose that only moves axes of size 1 becomes a Reshape (the flatten after a global pool).

Reshape, Squeeze and Unsqueeze stop a Transpose otherwise. The model's results, output shapes, element types
and tensor names never change: a Transpose that feeds a Result stays, and tensor names move with the values
that replace them.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..model import Model
from ..node import IRError, Node, Output
from ..ops import constant, make, normalize_axis
from ..ops.data import transpose_order
from ..ops.elementwise import BINARY, UNARY
from ..ops.reduce import REDUCTIONS
from ..shape import Dimension


def sink_transposes(model: Model) -> int:
    """Sink the model's Transposes (see the module's docstring); returns how many fewer Transposes it has.

    A Transpose that feeds several ops sinks into each that takes it, so a model with Transposes left at
    several outputs can end up with more than it had (the count is then negative)."""
    before = _count(model)
    graph = _Graph(model)
    for _ in range(_MAX_SWEEPS):
        if not _sweep(graph, model):
            break
    for node in model.get_ordered_ops():
        if node.type_name == "Transpose" and node.id not in graph.dead:
            _size_one_moves(graph, node)
    return before - _count(model)


def _count(model: Model) -> int:
    return sum(n.type_name == "Transpose" for n in model.get_ordered_ops())


def _sweep(graph: "_Graph", model: Model) -> bool:
    changed = False
    for node in model.get_ordered_ops():
        rule = _transpose if node.type_name == "Transpose" else _RULES.get(node.type_name)
        if rule is None or node.id in graph.dead:
            continue
        try:
            changed |= rule(graph, node)
        except IRError:         # the op rejects the rewritten form: leave it as it was
            pass
    return changed


# -- the graph, with each output's users ----------------------------------------------------------------------

class _Graph:
    """Who reads each output, kept current as the rules rewrite the model (a rewrite builds new nodes, then
    ``install`` swaps them in; nodes nothing reads any more are ``dead``)."""

    def __init__(self, model: Model):
        self.users: dict[Output, list[tuple[Node, int]]] = defaultdict(list)
        self.dead: set[int] = set()
        for node in model.get_ordered_ops():
            self._link(node)

    def _link(self, node: Node) -> None:
        for i, src in enumerate(node._inputs):
            self.users[src].append((node, i))

    def read_by_result(self, out: Output) -> bool:
        return any(user.type_name == "Result" for user, _ in self.users.get(out, ()))

    def make(self, type_name: str, inputs, name: str, like: Node | None = None, **attrs) -> Node:
        node = make(type_name, inputs, name=name, version=like.version if like is not None else None, **attrs)
        if like is not None:
            node.rt_info = dict(like.rt_info)
        self._link(node)
        return node

    def rebuild(self, node: Node, inputs, **attrs) -> Node:
        """``node``'s op on other inputs (and with some other attributes)."""
        full = {k: (list(v) if isinstance(v, list) else v) for k, v in node.attrs.items()}
        full.update(attrs)
        return self.make(node.type_name, inputs, f"{node.name}/nchw", like=node, **full)

    def transpose(self, out: Output, perm: list[int], name: str) -> Output:
        if _identity(perm):
            return out
        return self.make("Transpose", [out, constant(np.array(perm, np.int64))], name).output(0)

    def install(self, node: Node, outs: list[Output]) -> bool:
        """Put ``outs`` in the place of ``node``'s outputs, unless they differ in shape or type (then drop them)."""
        if any(new.get_partial_shape() != old.get_partial_shape() or new.get_element_type() != old.get_element_type()
               for new, old in zip(outs, node.outputs())):
            for new in outs:
                self.drop_if_unused(new.node)
            return False
        for old, new in zip(node.outputs(), outs):
            self.replace(old, new)
        return True

    def sink(self, node: Node, new: Node, perms: list[list[int]]) -> bool:
        """``new`` (``node`` run on untransposed inputs) replaces ``node``, output k transposed by ``perms[k]``."""
        names = [f"{node.name}/transpose" + (f":{k}" if len(perms) > 1 else "") for k in range(len(perms))]
        return self.install(node, [self.transpose(new.output(k), p, name)
                                   for k, (p, name) in enumerate(zip(perms, names))])

    def replace(self, old: Output, new: Output) -> None:
        """Every user of ``old`` reads ``new``; ``old``'s tensor names go with it (as in Model.replace_outputs)."""
        for user, i in self.users.pop(old, []):
            user._inputs[i] = new
            self.users[new].append((user, i))
        if old._info.names and (new.node.type_name != "Parameter" or not new._info.names):
            new._info.names |= old._info.names
        self.drop_if_unused(old.node)

    def drop_if_unused(self, node: Node) -> None:
        """Forget ``node`` when nothing reads it, and then what only it read."""
        stack = [node]
        while stack:
            n = stack.pop()
            used = any(self.users.get(o) for o in n.outputs())
            if used or n.id in self.dead or n.type_name in ("Parameter", "Result"):
                continue
            self.dead.add(n.id)
            for i, src in enumerate(n._inputs):
                self.users[src].remove((n, i))
                stack.append(src.node)

    def relaid(self, out: Output, inv: list[int], prepare=None) -> Output | None:
        """An input of the op run untransposed, in that layout, when no Transpose is needed for it: a constant (or
        a Convert of one: decompressed weights) brought to the full rank by NumPy broadcasting and transposed by
        ``inv`` here, or a value whose transposition only moves axes of size 1 (a Reshape). Else None.
        ``prepare`` turns a constant into NumPy broadcasting form (PRelu's slope)."""
        convert = None
        if out.node.type_name == "Convert" and out.node.input_value(0).node.type_name == "Constant":
            convert, out = out.node, out.node.input_value(0)
        rank = len(inv)
        if out.node.type_name != "Constant":
            ps = out.get_partial_shape()
            if convert is not None or prepare is not None or ps.rank_is_dynamic or len(ps) > rank:
                return None
            target = _as_reshape([Dimension(1)] * (rank - len(ps)) + list(ps), inv)
            if target is None:
                return None
            return self.make("Reshape", [out, constant(np.array(target, np.int64))], f"{out.node.name}/nchw",
                             special_zero=False).output(0)
        value = out.node.value if prepare is None else prepare(out.node.value)
        if value.ndim > rank:
            return None
        value = np.transpose(value.reshape((1,) * (rank - value.ndim) + value.shape), inv)
        c = constant(np.ascontiguousarray(value), out.get_element_type(), name=f"{out.node.name}/nchw")
        c.rt_info = dict(out.node.rt_info)
        if convert is None:
            return c.output(0)
        return self.make("Convert", [c], f"{convert.name}/nchw", like=convert, **convert.attrs).output(0)


# -- helpers --------------------------------------------------------------------------------------------------

def _perm_of(out: Output) -> list[int] | None:
    """The order of the Transpose that produces ``out``, when it is one with a constant order."""
    node = out.node
    if node.type_name != "Transpose" or node.input_shape(0).rank_is_dynamic:
        return None
    order = node.input_const(1)
    if order is None:
        return None
    return transpose_order([int(a) for a in order.reshape(-1)], len(node.input_shape(0)))


def _inverse(perm: list[int]) -> list[int]:
    return [int(a) for a in np.argsort(perm)]


def _identity(perm: list[int]) -> bool:
    return perm == list(range(len(perm)))


def _as_reshape(dims, perm: list[int]) -> list[int] | None:
    """The Reshape target that does what transposing a tensor of shape ``dims`` by ``perm`` does, when that only
    moves axes of size 1 (the others keep their order); else None."""
    others = [a for a in perm if not (dims[a].is_static and dims[a].min == 1)]
    out = [dims[a] for a in perm]
    if others != sorted(others) or sum(not d.is_static for d in out) > 1:
        return None
    if any(d.is_static and d.min == 0 for d in out):        # -1 cannot stand for a dimension of an empty tensor
        return None
    return [d.min if d.is_static else -1 for d in out]


def _kept(perm: list[int], dropped) -> list[int]:
    """What remains of ``perm`` once the op drops the axes ``dropped`` (of the transposed layout), renumbered."""
    kept = [a for i, a in enumerate(perm) if i not in dropped]
    order = sorted(kept)
    return [order.index(a) for a in kept]


def _ints(values, like: np.ndarray | None) -> Node:
    """An integer constant with the type of ``like`` (and its rank 0, for one value)."""
    arr = np.asarray(values, dtype=like.dtype if like is not None else np.int64)
    if like is not None and like.ndim == 0 and arr.size == 1:
        arr = arr.reshape(())
    return constant(arr)


def _scalar_like(out: Output, rank: int) -> bool:
    """Broadcasts the same in any layout: rank 0, or every dimension 1 (and no more axes than ``rank``)."""
    ps = out.get_partial_shape()
    return not ps.rank_is_dynamic and len(ps) <= rank and all(d.is_static and d.min == 1 for d in ps)


def _common_perm(outs) -> list[int] | None:
    """The one order of the Transposes among ``outs`` (None when there are none, or several orders)."""
    perms = {tuple(p) for o in outs if (p := _perm_of(o)) is not None}
    return list(perms.pop()) if len(perms) == 1 else None


def _axis_const(node: Node, i: int, rank: int) -> list[int] | None:
    v = node.input_const(i)
    return None if v is None else [normalize_axis(int(a), rank, node) for a in np.asarray(v).reshape(-1)]


# -- the rules ------------------------------------------------------------------------------------------------

def _transpose(g: _Graph, node: Node) -> bool:
    """Transposes meeting: compose, cancel, fold into a Constant."""
    perm = _perm_of(node.output(0))
    if perm is None:
        return False
    src = node.input_value(0)
    if _identity(perm):
        return _bypass(g, node.output(0), src)
    if src.node.type_name == "Constant":
        folded = constant(np.ascontiguousarray(np.transpose(src.node.value, perm)), src.get_element_type(),
                          name=node.name)
        g.replace(node.output(0), folded.output(0))
        return True
    inner = _perm_of(src)
    if inner is None:
        return False
    composed = [inner[a] for a in perm]
    x = src.node.input_value(0)
    if _identity(composed):
        return _bypass(g, node.output(0), x)
    g.replace(node.output(0), g.transpose(x, composed, node.name))
    return True


def _bypass(g: _Graph, old: Output, new: Output) -> bool:
    """``old`` holds the same values as ``new``: its users read ``new``. Not when that would change an output's
    names: a Result would read an input, or another output would gain names."""
    if g.read_by_result(old) and new.node.type_name == "Parameter":
        return False
    if g.read_by_result(new) and (old._info.names or g.read_by_result(old)):
        return False
    g.replace(old, new)
    return True


def _prelu_slope(node: Node):
    """PRelu reads a 1-D slope that matches axis 1 (and not the last axis) per channel: say so in its shape, so
    that NumPy broadcasting holds for it."""
    x = node.input_shape(0)

    def prepare(s):
        if s.ndim != 1 or len(x) < 2 or s.shape[0] == 1:
            return s
        if not (x[1].is_static and x[-1].is_static):
            raise IRError("PRelu slope: the channel axis is unknown")
        if s.shape[0] == x[1].min and s.shape[0] != x[-1].min:
            return s.reshape((-1,) + (1,) * (len(x) - 2))
        return s
    return prepare


def _untransposed_inputs(g: _Graph, node: Node, data, broadcast: bool) -> tuple[list[int], list[Output]] | None:
    """The order of the Transposes among the ``data`` inputs and ``node``'s inputs for it to run untransposed:
    each Transpose's input, constants re-laid out, scalars (when ``broadcast``) as they are. Other data inputs of
    the full rank get a Transpose by the inverse order when Transposes are most of the inputs (it then costs
    less than the Transpose it saves); any other input stops the rewrite."""
    perm = _common_perm(node._inputs[i] for i in data)
    if perm is None:
        return None
    inv = _inverse(perm)
    prepare = _prelu_slope(node) if node.type_name == "PRelu" else None
    inputs, moved, relaid, inverted = [], [], [], []
    for i, src in enumerate(node._inputs):
        if i in data and _perm_of(src) == perm:
            inputs.append(src.node.input_value(0))
            moved.append(i)
        elif broadcast and _scalar_like(src, len(perm)):
            inputs.append(src)
        elif i in data and (broadcast or src.get_partial_shape().rank == len(perm)) and (
                c := g.relaid(src, inv, prepare if i == 1 else None)) is not None:
            inputs.append(c)
            relaid.append(c)
        elif i in data and src.get_partial_shape().rank == len(perm) and prepare is None:
            inputs.append(src)
            inverted.append(i)
        else:
            inputs = None
            break
    if inputs is None or len(inverted) >= len(moved):
        for c in relaid:            # built for nothing
            g.drop_if_unused(c.node)
        return None
    for i in inverted:
        inputs[i] = g.transpose(inputs[i], inv, f"{inputs[i].node.name}/transpose")
    return perm, inputs


def _elementwise(g: _Graph, node: Node) -> bool:
    """Element-wise ops: the data inputs are Transposes by one order, constants or scalars; the other inputs
    (Swish's beta, Selu's alpha and lambda...) scalars."""
    data = range(node.get_input_size()) if node.type_name in _BROADCASTING else [0]
    found = _untransposed_inputs(g, node, data, broadcast=True)
    if found is None:
        return False
    perm, inputs = found
    return g.sink(node, g.rebuild(node, inputs), [perm])


def _concat(g: _Graph, node: Node) -> bool:
    found = _untransposed_inputs(g, node, range(node.get_input_size()), broadcast=False)
    if found is None:
        return False
    perm, inputs = found
    axis = normalize_axis(node.attrs["axis"], len(perm), node)
    return g.sink(node, g.rebuild(node, inputs, axis=perm[axis]), [perm])


def _split(g: _Graph, node: Node) -> bool:
    """Split, VariadicSplit: the constant axis input maps; every output gets its Transpose."""
    perm = _perm_of(node.input_value(0))
    axis = _axis_const(node, 1, len(perm)) if perm else None
    if axis is None:
        return False
    inputs = [node.input_value(0).node.input_value(0), _ints(perm[axis[0]], node.input_const(1))]
    return g.sink(node, g.rebuild(node, inputs + node._inputs[2:]), [perm] * node.get_output_size())


def _axes_input(g: _Graph, node: Node) -> bool:
    """Ops whose input 1 lists axes (reductions, MVN, NormalizeL2, CumSum): the axes map. A reduction that drops
    its axes leaves the remaining ones in the untransposed order: a smaller Transpose, or none, follows."""
    perm = _perm_of(node.input_value(0))
    axes = _axis_const(node, 1, len(perm)) if perm else None
    if axes is None:
        return False
    inputs = [node.input_value(0).node.input_value(0), _ints([perm[a] for a in axes], node.input_const(1))]
    after = perm
    if node.type_name in REDUCTIONS and not node.attrs["keep_dims"]:
        after = _kept(perm, set(axes))
    return g.sink(node, g.rebuild(node, inputs), [after])


def _axis_attr(g: _Graph, node: Node) -> bool:
    """Softmax, LogSoftmax: the axis attribute maps."""
    perm = _perm_of(node.input_value(0))
    if perm is None:
        return False
    axis = normalize_axis(node.attrs["axis"], len(perm), node)
    return g.sink(node, g.rebuild(node, [node.input_value(0).node.input_value(0)], axis=perm[axis]), [perm])


def _pad(g: _Graph, node: Node) -> bool:
    perm = _perm_of(node.input_value(0))
    if perm is None:
        return False
    inv, rank = _inverse(perm), len(perm)
    pads = []
    for i in (1, 2):
        v = node.input_const(i)
        if v is None or v.size > rank:
            return False
        flat = [int(a) for a in v.reshape(-1)] + [0] * (rank - v.size)
        pads.append(_ints([flat[inv[j]] for j in range(rank)], v))
    inputs = [node.input_value(0).node.input_value(0), *pads, *node._inputs[3:]]
    return g.sink(node, g.rebuild(node, inputs), [perm])


def _strided_slice(g: _Graph, node: Node) -> bool:
    """StridedSlice without new axes or ellipsis: begin, end, strides and masks fill up to the full rank (the
    added axes whole) and permute; shrunk axes go, as in a reduction."""
    perm = _perm_of(node.input_value(0))
    a = node.attrs
    if perm is None or any(a["new_axis_mask"]) or any(a["ellipsis_mask"]):
        return False
    rank, inv = len(perm), _inverse(perm)
    consts = [node.input_const(i) for i in range(1, node.get_input_size())]
    if any(c is None for c in consts):
        return False
    vals = [[int(v) for v in c.reshape(-1)] for c in consts]
    n = len(vals[0])
    if n > rank or any(len(v) != n for v in vals):
        return False

    def full(values, fill):
        values = [int(v) for v in values][:n]
        return values + [0] * (n - len(values)) + [fill] * (rank - n)

    def permuted(values):
        return [values[inv[j]] for j in range(rank)]

    begin, end = permuted(full(vals[0], 0)), permuted(full(vals[1], 0))
    inputs = [node.input_value(0).node.input_value(0), _ints(begin, consts[0]), _ints(end, consts[1])]
    if len(vals) > 2:
        inputs.append(_ints(permuted(full(vals[2], 1)), consts[2]))
    shrink = full(a["shrink_axis_mask"], 0)
    new = g.rebuild(node, inputs, begin_mask=permuted(full(a["begin_mask"], 1)),
                    end_mask=permuted(full(a["end_mask"], 1)), shrink_axis_mask=permuted(shrink),
                    new_axis_mask=[0] * rank, ellipsis_mask=[0] * rank)
    return g.sink(node, new, [_kept(perm, {i for i, s in enumerate(shrink) if s == 1})])


def _slice(g: _Graph, node: Node) -> bool:
    """Slice: only its axes map (given, or the first ones when absent)."""
    perm = _perm_of(node.input_value(0))
    if perm is None:
        return False
    if node.get_input_size() > 4:
        axes, like = _axis_const(node, 4, len(perm)), node.input_const(4)
    else:
        n = node.input_shape(1)
        axes = list(range(n[0].min)) if not n.rank_is_dynamic and len(n) == 1 and n[0].is_static else None
        like = None
    if axes is None:
        return False
    inputs = [node.input_value(0).node.input_value(0), *node._inputs[1:4], _ints([perm[x] for x in axes], like)]
    return g.sink(node, g.rebuild(node, inputs), [perm])


def _gather(g: _Graph, node: Node) -> bool:
    """Gather along a constant axis with indices of rank 0 (the axis goes) or 1 (it stays)."""
    perm = _perm_of(node.input_value(0))
    idx = node.input_shape(1)
    axis = _axis_const(node, 2, len(perm)) if perm else None
    if axis is None or node.attrs["batch_dims"] != 0 or idx.rank_is_dynamic or len(idx) > 1:
        return False
    inputs = [node.input_value(0).node.input_value(0), node.input_value(1), _ints(perm[axis[0]], node.input_const(2))]
    after = perm if len(idx) == 1 else _kept(perm, {axis[0]})
    return g.sink(node, g.rebuild(node, inputs), [after])


def _size_one_moves(g: _Graph, node: Node) -> None:
    """A Transpose that only moves axes of size 1 (the others keep their order) is a Reshape: a view."""
    perm = _perm_of(node.output(0))
    target = _as_reshape(list(node.input_shape(0)), perm) if perm else None
    if target is None:
        return
    reshape = g.make("Reshape", [node.input_value(0), constant(np.array(target, np.int64))], node.name,
                     special_zero=False)
    reshape.rt_info = dict(node.rt_info)
    g.install(node, [reshape.output(0)])


# Each sweep moves every Transpose it can down as far as it goes: a few sweeps reach the fixpoint; the bound is a
# safeguard against a rewrite undone by another.
_MAX_SWEEPS = 32
# Element-wise ops whose inputs all broadcast (NumPy rules); the others take parameters after input 0.
_BROADCASTING = set(BINARY) | {"Select", "PRelu"}
_RULES = {
    **{t: _elementwise for t in [*UNARY, *_BROADCASTING, "Convert", "Swish", "Selu", "HardSigmoid"]},
    **{t: _axes_input for t in [*REDUCTIONS, "MVN", "NormalizeL2", "CumSum", "CumProd"]},
    "Concat": _concat, "Split": _split, "VariadicSplit": _split, "Softmax": _axis_attr, "LogSoftmax": _axis_attr,
    "Pad": _pad, "StridedSlice": _strided_slice, "Slice": _slice, "Gather": _gather,
}
