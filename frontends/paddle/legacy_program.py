"""The legacy form: a ``.pdmodel`` ProgramDesc (``paddle.jit.save`` with ``FLAGS_enable_pir_api=0``, and every
Paddle 2 inference model). Variables are named; ``feed`` ops mark the inputs, ``fetch`` ops the outputs, and the
persistable variables are the parameters. Each op is renamed to its PIR form (``_COMPAT``: op name, input slots in
the PIR signature's order, output slots, attribute renames), after Paddle's own ``op_compat.yaml``."""
from __future__ import annotations

from pathlib import Path

from google.protobuf.message import DecodeError

from ovcl.frontends.errors import FrontendError

from .program import Op, Program
from .protos import ATTR_TYPES, VAR_TYPES, ProgramDesc

_X = (["X"], ["Out"])
# legacy op -> (PIR op, input slots ("A|B": the first that is given), output slots, attribute renames)
_COMPAT: dict[str, tuple[str, list[str], list[str], dict[str, str]]] = {
    "conv2d": ("conv2d", ["Input", "Filter"], ["Output"], {}),
    "depthwise_conv2d": ("depthwise_conv2d", ["Input", "Filter"], ["Output"], {}),
    "conv2d_transpose": ("conv2d_transpose", ["Input", "Filter"], ["Output"], {}),
    "depthwise_conv2d_transpose": ("depthwise_conv2d_transpose", ["Input", "Filter"], ["Output"], {}),
    "batch_norm": ("batch_norm", ["X", "Mean", "Variance", "Scale", "Bias"], ["Y"], {"data_layout": "data_format"}),
    "pool2d": ("pool2d", ["X"], ["Out"], {"ksize": "kernel_size"}),
    "matmul_v2": ("matmul", ["X", "Y"], ["Out"], {"trans_x": "transpose_x", "trans_y": "transpose_y"}),
    "matmul": ("matmul", ["X", "Y"], ["Out"], {"transpose_X": "transpose_x", "transpose_Y": "transpose_y"}),
    "elementwise_add": ("add", ["X", "Y"], ["Out"], {}),
    "elementwise_sub": ("subtract", ["X", "Y"], ["Out"], {}),
    "elementwise_mul": ("multiply", ["X", "Y"], ["Out"], {}),
    "elementwise_div": ("divide", ["X", "Y"], ["Out"], {}),
    "elementwise_max": ("maximum", ["X", "Y"], ["Out"], {}),
    "elementwise_min": ("minimum", ["X", "Y"], ["Out"], {}),
    "elementwise_pow": ("elementwise_pow", ["X", "Y"], ["Out"], {}),
    "hard_swish": ("hardswish", *_X, {}),
    "hard_sigmoid": ("hardsigmoid", *_X, {}),
    "leaky_relu": ("leaky_relu", *_X, {"alpha": "negative_slope"}),
    "layer_norm": ("layer_norm", ["X", "Scale", "Bias"], ["Y"], {}),
    "lookup_table_v2": ("embedding", ["Ids", "W"], ["Out"], {}),
    "transpose2": ("transpose", *_X, {"axis": "perm"}),
    "transpose": ("transpose", *_X, {"axis": "perm"}),
    "reshape2": ("reshape", ["X", "ShapeTensor|Shape"], ["Out"], {}),
    "flatten_contiguous_range": ("flatten", *_X, {}),
    "slice": ("slice", ["Input", "StartsTensor|StartsTensorList", "EndsTensor|EndsTensorList"], ["Out"],
              {"decrease_axis": "decrease_axis"}),
    "concat": ("concat", ["X", "AxisTensor"], ["Out"], {}),
    "scale": ("scale", ["X", "ScaleTensor"], ["Out"], {}),
    "dropout": ("dropout", ["X", "Seed"], ["Out"], {"dropout_implementation": "mode", "dropout_prob": "p"}),
    "cast": ("cast", *_X, {"out_dtype": "dtype"}),
    "fill_constant": ("full", ["ShapeTensor|ShapeTensorList"], ["Out"], {}),
    "shape": ("shape", ["Input"], ["Out"], {}),
    "split": ("split", ["X", "SectionsTensorList", "AxisTensor"], ["Out"], {"sections": "sections"}),
    "unsqueeze2": ("unsqueeze", ["X", "AxesTensor|AxesTensorList"], ["Out"], {"axes": "axis"}),
    "squeeze2": ("squeeze", ["X"], ["Out"], {"axes": "axis"}),
    "stack": ("stack", ["X"], ["Y"], {}),
    "reduce_mean": ("mean", *_X, {"dim": "axis", "keep_dim": "keepdim"}),
    "reduce_sum": ("sum", *_X, {"dim": "axis", "keep_dim": "keepdim"}),
    "reduce_max": ("max", *_X, {"dim": "axis", "keep_dim": "keepdim"}),
    "reduce_min": ("min", *_X, {"dim": "axis", "keep_dim": "keepdim"}),
    "reduce_prod": ("prod", *_X, {"dim": "axis", "keep_dim": "keepdim"}),
    "bilinear_interp_v2": ("bilinear_interp", ["X", "OutSize", "SizeTensor", "Scale"], ["Out"], {}),
    "nearest_interp_v2": ("nearest_interp", ["X", "OutSize", "SizeTensor", "Scale"], ["Out"], {}),
    "pad3d": ("pad3d", ["X", "Paddings"], ["Out"], {}),
    "gather": ("gather", ["X", "Index", "Axis"], ["Out"], {}),
    "expand_v2": ("expand", ["X", "Shape|expand_shapes_tensor"], ["Out"], {"shape": "shape"}),
    "arg_max": ("argmax", *_X, {}),
    "p_norm": ("p_norm", *_X, {}),
    "clip": ("clip", ["X", "Min", "Max"], ["Out"], {}),
}
# ops whose only input is X and only output Out, under the same name in both forms
_SAME = ("relu", "relu6", "sigmoid", "tanh", "gelu", "swish", "silu", "softmax", "exp", "sqrt", "rsqrt", "abs",
         "log", "erf", "square", "assign", "floor", "ceil", "mish", "softplus", "elu", "pow", "log_softmax",
         "hardtanh", "brelu", "sin", "cos", "logical_not", "reciprocal")

# variable kinds that hold no tensor (feed/fetch lists, readers)
_NOT_TENSORS = {VAR_TYPES[k] for k in ("FEED_MINIBATCH", "FETCH_LIST", "READER", "RAW", "STEP_SCOPES")}
_ELEMENT_TYPES = {
    "BOOL": "boolean", "INT16": "i16", "INT32": "i32", "INT64": "i64", "FP16": "f16", "FP32": "f32",
    "FP64": "f64", "UINT8": "u8", "INT8": "i8", "BF16": "bf16",
}
# (op, slot) that hold a list of tensors
_VECTORS = {("concat", "X"), ("stack", "X"), ("sum", "X"), ("split", "Out"), ("unstack", "Y")}
_VAR_TYPE_NAMES = {v: k for k, v in VAR_TYPES.items()}
_A = {v: k for k, v in ATTR_TYPES.items()}


def element_type_name(code: int, where: str) -> str:
    name = _VAR_TYPE_NAMES.get(code, f"type {code}")
    if name not in _ELEMENT_TYPES:
        raise FrontendError(f"{where}: {name} tensors are not supported")
    return _ELEMENT_TYPES[name]


def _attr(a):
    kind = _A.get(a.type)
    if kind in ("INT",):
        return a.i
    if kind == "LONG":
        return a.l
    if kind == "FLOAT":
        return a.f
    if kind == "FLOAT64":
        return a.float64
    if kind == "STRING":
        return a.s.decode(errors="replace")
    if kind == "BOOLEAN":
        return a.b
    if kind == "INTS":
        return list(a.ints)
    if kind == "LONGS":
        return list(a.longs)
    if kind == "FLOATS":
        return list(a.floats)
    if kind == "FLOAT64S":
        return list(a.float64s)
    if kind == "BOOLEANS":
        return list(a.bools)
    if kind == "STRINGS":
        return [s.decode(errors="replace") for s in a.strings]
    if kind == "SCALAR":
        return _scalar(a.scalar)
    if kind == "SCALARS":
        return [_scalar(s) for s in a.scalars]
    return None                 # blocks, variables: no inference op here reads them


def _scalar(s):
    return {1: s.b, 2: s.i}.get(s.type, s.r)


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
    except (KeyError, IndexError, TypeError, ValueError) as e:
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
            typ = element_type_name(t.data_type, f"{where}: input '{name}'")
            inputs.append((attrs.get("col", 0), (name, name, typ, list(t.dims))))
            continue
        if od.type == "fetch":
            outputs.append((attrs.get("col", 0), (slots_in["X"][0], slots_in["X"][0])))
            continue
        if od.type in _COMPAT:
            pir, in_slots, out_slots, renames = _COMPAT[od.type]
        elif od.type in _SAME:
            pir, (in_slots, out_slots), renames = od.type, _X, {}
        else:       # the translators name it unsupported, under its legacy name
            pir, in_slots, out_slots, renames = od.type, sorted(slots_in), sorted(slots_out), {}
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

