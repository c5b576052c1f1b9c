"""The legacy form: a ``.pdmodel`` ProgramDesc (``paddle.jit.save`` with ``FLAGS_enable_pir_api=0``, and every
Paddle 2 inference model). Variables are named; ``feed`` ops mark the inputs, ``fetch`` ops the outputs, and the
persistable variables are the parameters. Each op is renamed to its PIR form (``_COMPAT``: op name, input slots in
the PIR signature's order, output slots, attribute renames, after Paddle's own ``op_compat.yaml``); an op not
listed there keeps its legacy name, which no translator has."""
from __future__ import annotations

from pathlib import Path

from google.protobuf.message import DecodeError

from ovcl.frontends.errors import FrontendError

from .program import Op, Program
from .protos import ATTR_TYPES, SCALAR_TYPES, VAR_TYPES, ProgramDesc
from .types import from_var_type

_X = (["X"], ["Out"])
_XY = (["X", "Y"], ["Out"])
_REDUCE = {"dim": "axis", "keep_dim": "keepdim"}
_INTERP = (["X", "OutSize", "SizeTensor", "Scale"], ["Out"], {})
# legacy op -> (PIR op, input slots ("A|B": the first that is given), output slots, attribute renames)
_COMPAT: dict[str, tuple[str, list[str], list[str], dict[str, str]]] = {
    "conv2d": ("conv2d", ["Input", "Filter"], ["Output"], {}),
    "depthwise_conv2d": ("depthwise_conv2d", ["Input", "Filter"], ["Output"], {}),
    "conv3d": ("conv3d", ["Input", "Filter"], ["Output"], {}),
    "conv2d_transpose": ("conv2d_transpose", ["Input", "Filter"], ["Output"], {}),
    "depthwise_conv2d_transpose": ("depthwise_conv2d_transpose", ["Input", "Filter"], ["Output"], {}),
    "batch_norm": ("batch_norm", ["X", "Mean", "Variance", "Scale", "Bias"], ["Y"], {"data_layout": "data_format"}),
    "pool2d": ("pool2d", *_X, {"ksize": "kernel_size"}),
    "pool3d": ("pool3d", *_X, {"ksize": "kernel_size"}),
    "matmul_v2": ("matmul", *_XY, {"trans_x": "transpose_x", "trans_y": "transpose_y"}),
    "matmul": ("matmul", *_XY, {"transpose_X": "transpose_x", "transpose_Y": "transpose_y"}),
    "elementwise_add": ("add", *_XY, {}),
    "elementwise_sub": ("subtract", *_XY, {}),
    "elementwise_mul": ("multiply", *_XY, {}),
    "elementwise_div": ("divide", *_XY, {}),
    "elementwise_max": ("maximum", *_XY, {}),
    "elementwise_min": ("minimum", *_XY, {}),
    "elementwise_pow": ("elementwise_pow", *_XY, {}),
    "elementwise_mod": ("remainder", *_XY, {}),
    "elementwise_floordiv": ("floor_divide", *_XY, {}),
    "where": ("where", ["Condition", "X", "Y"], ["Out"], {}),
    "hard_swish": ("hardswish", *_X, {}),
    "hard_sigmoid": ("hardsigmoid", *_X, {}),
    "leaky_relu": ("leaky_relu", *_X, {"alpha": "negative_slope"}),
    "pow": ("pow", ["X", "FactorTensor"], ["Out"], {}),
    "layer_norm": ("layer_norm", ["X", "Scale", "Bias"], ["Y"], {}),
    "lookup_table_v2": ("embedding", ["Ids", "W"], ["Out"], {}),
    "transpose2": ("transpose", *_X, {"axis": "perm"}),
    "transpose": ("transpose", *_X, {"axis": "perm"}),
    "reshape2": ("reshape", ["X", "ShapeTensor|Shape"], ["Out"], {}),
    "reshape": ("reshape", ["X", "ShapeTensor|Shape"], ["Out"], {}),
    "flatten_contiguous_range": ("flatten", *_X, {}),
    "flatten2": ("flatten_2d", *_X, {}),
    "flatten": ("flatten_2d", *_X, {}),
    "slice": ("slice", ["Input", "StartsTensor|StartsTensorList", "EndsTensor|EndsTensorList"], ["Out"], {}),
    "strided_slice": ("strided_slice", ["Input", "StartsTensor|StartsTensorList", "EndsTensor|EndsTensorList",
                                        "StridesTensor|StridesTensorList"], ["Out"], {}),
    "concat": ("concat", ["X", "AxisTensor"], ["Out"], {}),
    "scale": ("scale", ["X", "ScaleTensor"], ["Out"], {}),
    "dropout": ("dropout", ["X", "Seed"], ["Out"], {"dropout_implementation": "mode", "dropout_prob": "p"}),
    "cast": ("cast", *_X, {"out_dtype": "dtype"}),
    "fill_constant": ("full", ["ShapeTensor|ShapeTensorList"], ["Out"], {}),
    "fill_any_like": ("full_like", *_X, {}),
    "shape": ("shape", ["Input"], ["Out"], {}),
    "split": ("split", ["X", "SectionsTensorList", "AxisTensor"], ["Out"], {}),
    "unsqueeze2": ("unsqueeze", ["X", "AxesTensor|AxesTensorList"], ["Out"], {"axes": "axis"}),
    "unsqueeze": ("unsqueeze", ["X", "AxesTensor|AxesTensorList"], ["Out"], {"axes": "axis"}),
    "squeeze2": ("squeeze", *_X, {"axes": "axis"}),
    "squeeze": ("squeeze", *_X, {"axes": "axis"}),
    "stack": ("stack", ["X"], ["Y"], {}),
    "unstack": ("unstack", ["X"], ["Y"], {}),
    "sum": ("add_n", *_X, {}),
    "mean": ("mean", *_X, {}),
    "reduce_mean": ("mean", *_X, _REDUCE),
    "reduce_sum": ("sum", *_X, {**_REDUCE, "out_dtype": "dtype"}),
    "reduce_max": ("max", *_X, _REDUCE),
    "reduce_min": ("min", *_X, _REDUCE),
    "reduce_prod": ("prod", *_X, _REDUCE),
    "arg_max": ("argmax", *_X, {}),
    "bilinear_interp_v2": ("bilinear_interp", *_INTERP),
    "nearest_interp_v2": ("nearest_interp", *_INTERP),
    "linear_interp_v2": ("linear_interp", *_INTERP),
    "bicubic_interp_v2": ("bicubic_interp", *_INTERP),
    "trilinear_interp_v2": ("trilinear_interp", *_INTERP),
    "pad3d": ("pad3d", ["X", "Paddings"], ["Out"], {"value": "pad_value"}),
    "gather": ("gather", ["X", "Index", "Axis"], ["Out"], {}),
    "expand_v2": ("expand", ["X", "Shape|expand_shapes_tensor"], ["Out"], {}),
    "range": ("arange", ["Start", "End", "Step"], ["Out"], {}),
    "clip": ("clip", ["X", "Min", "Max"], ["Out"], {}),
}
# ops of one input X and one output Out, named as in PIR
_SAME_X = ("relu", "relu6", "sigmoid", "tanh", "gelu", "swish", "silu", "softmax", "exp", "sqrt", "rsqrt", "abs",
           "log", "erf", "square", "assign", "floor", "ceil", "mish", "softplus", "elu", "log_softmax", "hardtanh",
           "brelu", "sin", "cos", "logical_not", "reciprocal", "sign")
# ops of inputs X and Y and output Out, named as in PIR
_SAME_XY = ("equal", "not_equal", "greater_than", "greater_equal", "less_than", "less_equal", "logical_and",
            "logical_or")

# variable kinds that hold no tensor (feed/fetch lists, readers)
_NOT_TENSORS = {VAR_TYPES[k] for k in ("FEED_MINIBATCH", "FETCH_LIST", "READER", "RAW", "STEP_SCOPES")}
# (op, slot) that hold a list of tensors
_VECTORS = {("concat", "X"), ("stack", "X"), ("sum", "X"), ("split", "Out"), ("unstack", "Y")}
_SCALAR_KINDS = {v: k for k, v in SCALAR_TYPES.items()}
# AttrType code -> the attribute's value (blocks and variables: no inference op here reads them)
_ATTRS = {ATTR_TYPES[kind]: read for kind, read in {
    "INT": lambda a: a.i, "LONG": lambda a: a.l, "FLOAT": lambda a: a.f, "FLOAT64": lambda a: a.float64,
    "STRING": lambda a: a.s.decode(errors="replace"), "BOOLEAN": lambda a: a.b,
    "INTS": lambda a: list(a.ints), "LONGS": lambda a: list(a.longs), "FLOATS": lambda a: list(a.floats),
    "FLOAT64S": lambda a: list(a.float64s), "BOOLEANS": lambda a: list(a.bools),
    "STRINGS": lambda a: [s.decode(errors="replace") for s in a.strings],
    "SCALAR": lambda a: _scalar(a.scalar), "SCALARS": lambda a: [_scalar(s) for s in a.scalars],
}.items()}


def _attr(a):
    read = _ATTRS.get(a.type)
    return read(a) if read else None


def _scalar(s):
    kind = _SCALAR_KINDS.get(s.type)
    return s.b if kind == "BOOLEAN" else s.i if kind == "LONG" else s.r


def read_legacy_program(path: Path) -> Program:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FrontendError(f"cannot read {path}: {e.strerror or e}") from None
    desc = ProgramDesc()
    try:
        desc.ParseFromString(data)
    except DecodeError:
        raise FrontendError(f"{path.name} is not a PaddlePaddle program (the ProgramDesc cannot be parsed)") from None
    if not desc.blocks or not desc.blocks[0].ops:
        raise FrontendError(f"{path.name} holds no PaddlePaddle program (no ops)")
    try:
        return _read(desc, path.name)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        raise FrontendError(f"{path.name}: the program is malformed ({type(e).__name__}: {e})") from None


def _read(desc, where: str) -> Program:
    block = desc.blocks[0]
    variables = {v.name: v for blk in desc.blocks for v in blk.vars}
    params = {name: name for name, v in variables.items()
              if v.persistable and v.type.type not in _NOT_TENSORS}
    inputs, outputs, ops = [], [], []
    for k, od in enumerate(block.ops):
        if not isinstance(od.type, str):     # protobuf hands back bytes for text that is not UTF-8
            raise FrontendError(f"{where}: op {k} has a type that is not text")
        slots_in = {v.parameter: list(v.arguments) for v in od.inputs}
        slots_out = {v.parameter: list(v.arguments) for v in od.outputs}
        attrs = {a.name: _attr(a) for a in od.attrs}
        if od.type == "feed":
            name = slots_out["Out"][0]
            var = variables.get(name)
            if var is None:
                raise FrontendError(f"{where}: feed target '{name}' is not a variable of the program")
            t = var.type.dense_tensor.tensor
            typ = from_var_type(t.data_type, f"{where}: input '{name}'")
            inputs.append((attrs.get("col", 0), (name, name, typ, list(t.dims))))
            continue
        if od.type == "fetch":
            outputs.append((attrs.get("col", 0), (slots_in["X"][0], slots_in["X"][0])))
            continue
        if od.type in _COMPAT:
            pir, in_slots, out_slots, renames = _COMPAT[od.type]
        elif od.type in _SAME_X or od.type in _SAME_XY:
            pir, (in_slots, out_slots), renames = od.type, _X if od.type in _SAME_X else _XY, {}
        else:       # no PIR translator is meant for it: it keeps its outputs, and is unsupported if one is needed
            pir, in_slots, out_slots, renames = f"legacy.{od.type}", [], sorted(slots_out), {}
        op_inputs = [_pick(slots_in, slot, od.type) for slot in in_slots]
        op_outputs = [_pick(slots_out, slot, od.type) for slot in out_slots]
        attrs = {renames.get(n, n): v for n, v in attrs.items()}
        attrs["legacy_op"] = od.type
        first = op_outputs[0] if op_outputs and isinstance(op_outputs[0], str) else f"{od.type}#{k}"
        ops.append(Op(pir, op_inputs, op_outputs, attrs, first))
    if not inputs or not outputs:
        raise FrontendError(f"{where}: the program has no feed or no fetch ops; is it an inference model "
                            f"(paddle.jit.save / paddle.static.save_inference_model)?")
    return Program(ops, [i for _, i in sorted(inputs, key=lambda c: c[0])],
                   [o for _, o in sorted(outputs, key=lambda c: c[0])], params, {n: n for n in variables})


def _pick(slots: dict, slot: str, op_type: str):
    """The variable(s) of ``slot`` ("A|B": the first of the slots given): a name, a list of names for a slot that
    holds several (concat's inputs, split's outputs, the ``*TensorList`` slots), None where none is given."""
    for s in slot.split("|"):
        args = slots.get(s)
        if args:
            several = s.endswith("List") or (op_type, s) in _VECTORS
            return args if several else args[0]
    return None

