"""The PIR form: the ``.json`` program ``paddle.jit.save`` writes by default since Paddle 3.0. It is Paddle's own
versioned serialisation with abbreviated keys: an op is ``{"#": name, "I": inputs, "O": outputs, "A":
attributes, "OA": output attributes}``; a value is ``{"%": id}`` (0: absent), with its type under ``"TT"``; an
attribute is ``{"N": name, "AT": {"#": type, "D": data}}``. Op names carry their dialect's index (``0.`` builtin,
``1.`` the operator dialect); parameters are ``"p"`` ops whose attribute list ends with the parameter's name,
inputs ``data`` ops, outputs ``fetch`` ops; ``builtin.combine`` / ``builtin.split`` pack and unpack the vectors
of tensors that ops such as ``concat`` and ``split`` take and make."""
from __future__ import annotations

import json
from pathlib import Path

from ovcl.frontends.errors import FrontendError

from .program import Op, Program
from .types import from_pir_type

# the serialisation versions Paddle 3.0 to 3.3 write (base_code.version: 1 for 3.0, 2 for 3.1, 3 for 3.2, 4 for
# 3.3; development builds write 0). What changed between them for the ops ovcl reads is only the width of some
# attributes (i32 → i64, f32 → f64), which the reader does not distinguish.
VERSIONS = range(0, 5)

def _strip(name) -> str:
    """A type or attribute name without its dialect index: ``0.t_f32`` → ``t_f32``."""
    head, dot, rest = str(name).partition(".")
    return rest if dot and head.isdigit() else str(name)


def _op_name(name) -> str:
    """An op's name: the operator dialect's without its index (``1.conv2d`` → ``conv2d``), the builtin dialect's
    as ``builtin.combine``, others as written (``2.yield``)."""
    head, dot, rest = str(name).partition(".")
    if dot and head == "1":
        return rest
    return f"builtin.{rest}" if dot and head == "0" else str(name)


_SPECIAL_FLOATS = {"NAN": float("nan"), "NaN": float("nan"), "INF": float("inf"), "-INF": float("-inf")}


def _attr_value(at):
    """An attribute's data as Python values (arrays as lists; a float that is not finite is written under
    ``VD`` as text)."""
    if not isinstance(at, dict):
        return at
    kind = _strip(at.get("#", ""))
    if "VD" in at:
        return _SPECIAL_FLOATS[at["VD"]]
    data = at.get("D")
    if kind == "a_array":
        return [_attr_value(a) for a in data or []]
    if kind == "a_scalar":          # [dtype, value]
        return data[-1]
    return data


def _tensor_type(tt, where: str) -> tuple[str, list[int]]:
    if not isinstance(tt, dict) or _strip(tt.get("#")) != "t_dtensor":
        raise FrontendError(f"{where}: a value of type {tt.get('#') if isinstance(tt, dict) else tt!r} "
                            f"is not a dense tensor")
    d = tt["D"]
    return from_pir_type(_strip(d[0].get("#")), where), [int(x) for x in d[1]]


def read_pir_program(path: Path) -> Program:
    where = path.name
    try:
        doc = json.loads(path.read_bytes())
    except OSError as e:
        raise FrontendError(f"cannot read {path}: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise FrontendError(f"{where} is not a PaddlePaddle PIR program: invalid JSON ({e})") from None
    except RecursionError:
        raise FrontendError(f"{where}: the JSON is nested too deeply to be a PaddlePaddle PIR program") from None
    try:
        return _read(doc, where)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
        raise FrontendError(f"{where}: the PIR program is malformed ({type(e).__name__}: {e})") from None


def _read(doc: dict, where: str) -> Program:
    base = doc.get("base_code") if isinstance(doc, dict) else None
    if not isinstance(base, dict) or base.get("magic") != "pir":
        raise FrontendError(f"{where} is not a PaddlePaddle PIR program (no base_code.magic 'pir')")
    version = base.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise FrontendError(f"{where}: PIR serialisation version {version!r} is not supported; ovcl reads versions "
                            f"1-{VERSIONS.stop - 1} (Paddle 3.0 to 3.3) and 0 (development builds). Save the model "
                            f"with one of those, or in the legacy form (FLAGS_enable_pir_api=0 → .pdmodel)")
    regions = doc["program"]["regions"]
    if len(regions) != 1 or len(regions[0]["blocks"]) != 1:
        raise FrontendError(f"{where}: the program has {len(regions)} regions; ovcl reads one block")
    ops, inputs, outputs, params = [], [], [], {}
    for k, od in enumerate(regions[0]["blocks"][0]["ops"]):
        name = _op_name(od["#"])
        if od.get("regions"):
            raise FrontendError(f"{where}: op {name} (#{k}) holds sub-programs; control flow is not supported")
        if name == "p":                       # a parameter: [..., name], one output
            out = od["O"]
            params[_value_id(out)] = _text(od["A"][-1])
            continue
        attrs = {a["N"]: _attr_value(a["AT"]) for a in od.get("A", [])}
        ins = [_value_id(i) for i in od.get("I", [])]
        outs = [_value_id(o) for o in od.get("O", [])]
        if name == "data" and _persistable(od):      # a persistable input is stored with the parameters
            params[outs[0]] = _text(attrs["name"])
            continue
        if name == "data":
            typ, shape = _tensor_type(od["O"][0]["TT"], f"{where}: input '{attrs.get('name')}'")
            inputs.append((_text(attrs["name"]), outs[0], typ, shape))
            continue
        if name == "fetch":
            outputs.append((int(attrs.get("col", len(outputs))), (_text(attrs["name"]), ins[0])))
            continue
        if name.endswith("_") and not name.endswith("__"):     # in-place variants compute the same
            name = name[:-1]
        ops.append(Op(name, ins, outs, attrs, f"{attrs.get('struct_name') or '/'}{name}_{k}"))
    if not inputs or not outputs:
        raise FrontendError(f"{where}: the program has no data or no fetch ops; is it an inference model "
                            f"(paddle.jit.save)?")
    return Program(ops, inputs, [o for _, o in sorted(outputs, key=lambda c: c[0])], params)


def _value_id(v) -> int | None:
    """A value's id (``{"%": id}``), None for an absent value (id 0 or none)."""
    i = v.get("%") if isinstance(v, dict) else v
    if i is None:
        return None
    if type(i) is not int:
        raise TypeError(f"value id {i!r} is not an integer")
    return i or None


def _text(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name {name!r} is not text")
    return name


def _persistable(od) -> bool:
    oa = {a.get("N"): _attr_value(a.get("AT")) for a in od.get("OA", []) if isinstance(a, dict)}
    return bool((oa.get("persistable") or [False])[0])
