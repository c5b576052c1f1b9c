"""OpenVINO IR v11 writer: ``ovcl.ir.Model`` as ``.xml`` + ``.bin``, as ``openvino.save_model`` writes the same
graph: the on-disk op spellings (``Const``, ``ReLU``, ``PReLU``, ``SoftMax``), ``<data>`` attributes formatted
as OpenVINO formats them, ports with precisions, dims and comma-escaped tensor names, constants stored once each
in the ``.bin`` as raw little-endian bytes. By default floating-point constants are first compressed to FP16
behind a ``Convert`` marked ``decompression`` (the pass ``ir.passes.compress_fp16``).
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from .ir_format import ON_DISK_NAMES, IRWriteError, escape_names
from .model import Model
from .node import Node
from .passes.compress_fp16 import DECOMPRESSION, compress_constants_to_fp16
from .shape import Dimension, PartialShape
from .types import Type

__all__ = ["IRWriteError", "serialize", "write_ir"]


def _fmt_float(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%.17g" % v


def _fmt_dim(d: Dimension) -> str:
    if d.is_static:
        return str(d.min)
    lo = "" if d.min == 0 else str(d.min)
    hi = "" if d.max == -1 else str(d.max)
    if not lo and not hi:
        return "?"
    return f"{lo}..{hi}"


def _fmt_pshape(ps: PartialShape) -> str:
    if ps.rank_is_dynamic:
        return "..."
    return ",".join(_fmt_dim(d) for d in ps)


def _fmt_attr(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _fmt_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Type):
        return v.name
    if isinstance(v, PartialShape):
        return _fmt_pshape(v)
    if isinstance(v, Dimension):
        return _fmt_dim(v)
    if isinstance(v, np.ndarray):
        v = v.reshape(-1).tolist()
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt_attr(x) or "" for x in v)
    raise TypeError(f"cannot write attribute value {v!r} of type {type(v).__name__}")


def _xml_attr(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def _open_tag(name: str, attrs: list[tuple[str, str]], close: bool) -> str:
    body = "".join(f' {k}="{_xml_attr(v)}"' for k, v in attrs)
    return f"<{name}{body}{' />' if close else '>'}"


class _Layer:
    __slots__ = ("id", "name", "type", "version", "data", "rt_info", "inputs", "outputs", "extra")

    def __init__(self, lid, name, type_, version):
        self.id = lid
        self.name = name
        self.type = type_
        self.version = version
        self.data: list[tuple[str, str]] = []
        self.rt_info: list[list[tuple[str, str]]] = []
        self.inputs: list[tuple[Type, PartialShape]] = []
        self.outputs: list[tuple[Type, PartialShape, set, dict]] = []
        self.extra: list[tuple[str, str]] = []


class _Weights:
    """The .bin being built: identical byte strings are stored once."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.size = 0
        self._seen: dict[bytes, int] = {}

    def add(self, data: bytes) -> int:
        off = self._seen.get(data)
        if off is None:
            off = self.size
            self._seen[data] = off
            self.chunks.append(data)
            self.size += len(data)
        return off


def _const_bytes(arr: np.ndarray, t: Type, where: str) -> bytes:
    if t.dtype is None:
        raise IRWriteError(f"{where}: element type {t} has no byte layout in ovcl; cannot write it")
    dt = np.dtype(t.dtype).newbyteorder("<") if np.dtype(t.dtype).itemsize > 1 else np.dtype(t.dtype)
    return np.ascontiguousarray(np.asarray(arr).astype(dt, copy=False)).tobytes()


def _dims_xml(ps: PartialShape, indent: str) -> list[str]:
    if ps.rank_is_dynamic:
        return []
    return [f"{indent}<dim>{d.min if d.is_static else -1}</dim>" for d in ps]


def _port_xml(pid: int, t: Type, ps: PartialShape, names, indent: str, rt: dict | None = None) -> list[str]:
    attrs = [("id", str(pid)), ("precision", t.ir_precision)]
    if names:
        attrs.append(("names", escape_names(names)))
    body = _dims_xml(ps, indent + "\t") + _rt_xml(_rt_entries(rt or {}), indent + "\t")
    if not body:
        return [indent + _open_tag("port", attrs, True)]
    return [indent + _open_tag("port", attrs, False), *body, indent + "</port>"]


def _ov_order(model: Model) -> list[Node]:
    """Nodes in the order OpenVINO's serializer writes them: its topological sort (a stack seeded with the
    results then the parameters, inputs pushed last-first), parameters first and results last in model
    order."""
    roots = model.get_results() + model.get_sinks() + model.get_parameters()
    stack: list[Node] = list(roots)
    done: set[int] = set()
    order: list[Node] = []
    while stack:
        node = stack[-1]
        if node.id in done:
            stack.pop()
            continue
        ready = True
        ins = node.input_values()
        for src in reversed(ins):
            if src.node.id not in done:
                ready = False
                stack.append(src.node)
        if ready:
            stack.pop()
            done.add(node.id)
            order.append(node)
    return order


_RT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*$")


def _rt_entries(info: dict) -> list[list[tuple[str, str]]]:
    """The rt_info entries that have an IR form, each as the attributes of one ``<attribute>`` element, as
    OpenVINO writes them: flags (True) as ``name version="0"``, strings with ``value=``, dicts (entries read
    from IR with other fields, e.g. ``layout``) with their fields. Decompression first; other values stay
    in memory only."""
    out: list[list[tuple[str, str]]] = []
    flag = info.get(DECOMPRESSION)
    if flag is not None and flag is not False:
        out.append([("name", DECOMPRESSION), ("version", "0")])
    for key, value in info.items():
        if key == DECOMPRESSION or not isinstance(key, str) or not _RT_NAME.match(key):
            continue
        if value is True:
            out.append([("name", key), ("version", "0")])
        elif isinstance(value, str):
            out.append([("name", key), ("version", "0"), ("value", value)])
        elif isinstance(value, dict) and all(isinstance(k, str) and _RT_NAME.match(k) and isinstance(v, str)
                                             for k, v in value.items()):
            fields = dict(value)
            version = fields.pop("version", "0")
            fields.pop("name", None)
            out.append([("name", key), ("version", version), *fields.items()])
    return out


def _rt_xml(entries: list[list[tuple[str, str]]], indent: str) -> list[str]:
    if not entries:
        return []
    return ([indent + "<rt_info>"] + [indent + "\t" + _open_tag("attribute", a, True) for a in entries]
            + [indent + "</rt_info>"])


def _serialize_model(model: Model) -> tuple[str, list[bytes]]:
    ops = _ov_order(model)
    params = model.get_parameters()
    results = model.get_results()
    param_ids = {p.id for p in params}
    result_ids = {r.id for r in results}
    for node in ops:
        if node.type_name == "Parameter" and node.id not in param_ids:
            raise IRWriteError(f"Parameter '{node.name}' is used by the graph but is not one of the model's "
                               f"parameters: add it to the model's parameters before saving")
        if getattr(node.op, "internal", False):
            raise IRWriteError(f"{node.type_name} node '{node.name}' is an ovcl-internal op with no OpenVINO "
                               f"form: save the model before compiling or specialising it")
    # parameters first (model order), Results last (model order), the rest topologically between
    body = [n for n in ops if n.id not in param_ids and n.id not in result_ids]
    order = list(params) + body + list(results)

    weights = _Weights()
    layers: list[_Layer] = []
    port_of: dict[tuple[int, int], tuple[int, int]] = {}   # (node id, out index) -> (layer id, port id)
    edges: list[tuple[int, int, int, int]] = []

    def new_layer(name, type_name, version) -> _Layer:
        layer = _Layer(len(layers), name, ON_DISK_NAMES.get(type_name, type_name), version)
        layers.append(layer)
        return layer

    for node in order:
        where = f"{node.type_name} node '{node.name}'"
        if node.type_name == "Constant":
            value = node.value
            if value is None:
                raise IRWriteError(f"{where} holds no data")
            t = node.get_output_element_type(0)
            shape = [int(s) for s in np.shape(value)]
            names = node.output(0).get_names()
            data = _const_bytes(value, t, where)
            c = new_layer(node.name, "Constant", node.version)
            c.rt_info = _rt_entries(node.rt_info)
            c.data = [("element_type", t.name), ("shape", _fmt_attr(shape)), ("offset", str(weights.add(data))),
                      ("size", str(len(data)))]
            c.outputs.append((t, PartialShape(shape), names, node.output(0).get_rt_info()))
            port_of[(node.id, 0)] = (c.id, 0)
            continue

        layer = new_layer(node.name, node.type_name, node.version)
        if node.type_name == "Parameter":
            layer.data = [("shape", _fmt_pshape(PartialShape(node.attrs["shape"]))),
                          ("element_type", _fmt_attr(Type.from_name(str(node.attrs["element_type"]))))]
        else:
            for key, value in node.attrs.items():
                try:
                    text = _fmt_attr(value)
                except TypeError as e:
                    raise IRWriteError(f"{where}: attribute '{key}': {e}") from None
                if text is not None:
                    layer.data.append((key, text))
        layer.rt_info = _rt_entries(node.rt_info)
        for i, src in enumerate(node.input_values()):
            key = (src.node.id, src.index)
            if key not in port_of:
                raise IRWriteError(f"{where}: input {i} comes from '{src.node.name}', which is not part of the "
                                   f"model's graph")
            lid, pid = port_of[key]
            layer.inputs.append((src.get_element_type(), src.get_partial_shape()))
            edges.append((lid, pid, layer.id, i))
        if node.type_name == "Result":
            names = node.output(0).get_names()
            if names:
                layer.extra.append(("output_names", escape_names(names)))
            continue
        n_in = len(layer.inputs)
        for k in range(node.get_output_size()):
            out = node.output(k)
            layer.outputs.append((out.get_element_type(), out.get_partial_shape(), out._info.names,
                                  out.get_rt_info()))
            port_of[(node.id, k)] = (layer.id, n_in + k)

    lines = ['<?xml version="1.0"?>', _open_tag("net", [("name", model.name), ("version", "11")], False),
             "\t<layers>"]
    for layer in layers:
        attrs = [("id", str(layer.id)), ("name", layer.name), ("type", layer.type), ("version", layer.version)]
        lines.append("\t\t" + _open_tag("layer", attrs + layer.extra, False))
        if layer.data:
            lines.append("\t\t\t" + _open_tag("data", layer.data, True))
        lines += _rt_xml(layer.rt_info, "\t\t\t")
        if layer.inputs:
            lines.append("\t\t\t<input>")
            for pid, (t, ps) in enumerate(layer.inputs):
                lines += _port_xml(pid, t, ps, None, "\t\t\t\t")
            lines.append("\t\t\t</input>")
        if layer.outputs:
            lines.append("\t\t\t<output>")
            for k, (t, ps, names, rt) in enumerate(layer.outputs):
                lines += _port_xml(len(layer.inputs) + k, t, ps, names, "\t\t\t\t", rt)
            lines.append("\t\t\t</output>")
        lines.append("\t\t</layer>")
    lines.append("\t</layers>")
    lines.append("\t<edges>")
    for fl, fp, tl, tp in sorted(edges):
        lines.append("\t\t" + _open_tag("edge", [("from-layer", str(fl)), ("from-port", str(fp)),
                                                 ("to-layer", str(tl)), ("to-port", str(tp))], True))
    lines.append("\t</edges>")
    lines += _rt_info_xml(model.rt_info)
    lines.append("</net>")
    return "\n".join(lines) + "\n", weights.chunks


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")


def _rt_info_xml(info: dict) -> list[str]:
    lines = ["\t<rt_info>"]

    def emit(d: dict, indent: str):
        for key, value in d.items():
            key = str(key)
            if isinstance(value, dict):
                if not _XML_NAME.match(key) or key.lower().startswith("xml"):
                    continue
                lines.append(f"{indent}<{key}>")
                emit(value, indent + "\t")
                lines.append(f"{indent}</{key}>")
                continue
            text = _fmt_attr(value) if not isinstance(value, str) else value
            if text is None:
                continue
            if _XML_NAME.match(key) and not key.lower().startswith("xml") and key != "info":
                lines.append(indent + _open_tag(key, [("value", text)], True))
            else:
                lines.append(indent + _open_tag("info", [("name", key), ("value", text)], True))

    try:
        emit(info or {}, "\t\t")
    except TypeError as e:
        raise IRWriteError(f"model rt_info: {e}") from None
    lines.append("\t</rt_info>")
    return lines


def serialize(model: Model, compress_to_fp16: bool = True) -> tuple[bytes, bytes]:
    """The IR of ``model`` as (xml bytes, bin bytes), without touching the file system."""
    xml, chunks = _serialize_model(compress_constants_to_fp16(model) if compress_to_fp16 else model)
    return xml.encode("utf-8"), b"".join(chunks)


def write_ir(model: Model, xml_path, compress_to_fp16: bool = True, bin_path=None) -> None:
    """Write ``model`` as ``xml_path`` and ``bin_path`` (default: the ``.bin`` beside it, same stem). The model
    is not modified.

    Both files are written under temporary names and renamed at the end, so that a failure never leaves a
    half-written pair behind."""
    xml_path = Path(os.fspath(xml_path))
    if xml_path.suffix.lower() != ".xml":
        xml_path = xml_path.with_name(xml_path.name + ".xml")
    xml, chunks = _serialize_model(compress_constants_to_fp16(model) if compress_to_fp16 else model)
    bin_path = Path(os.fspath(bin_path)) if bin_path else xml_path.with_suffix(".bin")
    tmp_xml = xml_path.with_name(f".{xml_path.name}.{os.getpid()}.tmp")
    tmp_bin = bin_path.with_name(f".{bin_path.name}.{os.getpid()}.tmp")
    try:
        xml_path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp_bin, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        tmp_xml.write_bytes(xml.encode("utf-8"))
        os.replace(tmp_bin, bin_path)
        os.replace(tmp_xml, xml_path)
    except OSError as e:
        for t in (tmp_bin, tmp_xml):
            try:
                t.unlink()
            except OSError:
                pass
        raise IRWriteError(f"cannot write IR to {xml_path}: {e.strerror or e}") from None
