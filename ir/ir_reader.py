"""OpenVINO IR v11 reader: ``.xml`` + ``.bin`` as an ``ovcl.ir.Model``.

The reader trusts nothing: the XML is parsed without DTDs or entities, every layer, port, edge, attribute
and weight range is checked, and every failure is an ``IRReadError`` that names the file, the layer and what
to do. Op definitions come from ``ovcl.ir.ops.OPS``; an attribute's Python type is taken from the op's
``attrs`` default, so new op families need no change here.
"""
from __future__ import annotations

import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np

from .errors import IRError
from .ir_format import FROM_DISK, IRReadError, split_names
from .model import Model
from .node import Node, Output
from .ops import OPS, REQUIRED, make
from .ops.core import Constant
from .passes.compress_fp16 import DECOMPRESSION
from .shape import Dimension, PartialShape
from .types import Type

__all__ = ["IRReadError", "read_ir", "read_ir_bytes"]

# attributes without a default (REQUIRED) whose value is a list even when it has one element
_LIST_ATTRS = {"strides", "dilations", "pads_begin", "pads_end", "kernel", "output_padding", "axes", "begin_mask",
               "end_mask", "new_axis_mask", "shrink_axis_mask", "ellipsis_mask", "min_size", "max_size",
               "aspect_ratio", "density", "fixed_ratio", "fixed_size", "variance", "scales", "sizes", "shape",
               "pads", "target_shape", "order", "width", "height", "anchors", "mask", "window_strides"}


def _read_rt(el: ET.Element | None) -> dict:
    """``<rt_info>`` attributes of a layer or port: a flag (True), the ``value`` string, or, for entries with
    other fields, a dict of them (version included)."""
    out: dict[str, Any] = {}
    if el is None:
        return out
    for attr in el.findall("attribute"):
        name = attr.get("name")
        if not name:
            continue
        fields = {k: v for k, v in attr.attrib.items() if k != "name"}
        if name == DECOMPRESSION:
            out[name] = True
        elif fields.get("version", "0") == "0" and set(fields) <= {"version"}:
            out[name] = True
        elif set(fields) == {"version", "value"} and fields["version"] == "0":
            out[name] = fields["value"]
        else:
            out[name] = fields
    return out


class _Forbidden(Exception):
    pass


def _forbid(*_args):
    raise _Forbidden()


def _parse_xml(data: bytes, source: str) -> ET.Element:
    """Parse with expat into an ElementTree, refusing any DTD, entity declaration or external reference."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
        root = builder.close()
    except _Forbidden:
        raise IRReadError(f"{source}: the XML declares a DTD or entities, which IR never does; ovcl refuses "
                          f"to read it (check where the file came from)") from None
    except expat.ExpatError as e:
        raise IRReadError(f"{source}: malformed XML at line {e.lineno}, column {e.offset}: "
                          f"{expat.ErrorString(e.code)}; the file is truncated or not OpenVINO IR") from None
    except AssertionError:
        raise IRReadError(f"{source}: malformed XML (unbalanced elements)") from None
    return root


class _Reader:
    def __init__(self, source: str, weights_loader):
        self.source = source
        self._load_weights = weights_loader
        self._weights: memoryview | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def err(self, layer, msg: str) -> IRReadError:
        if layer is None:
            return IRReadError(f"{self.source}: {msg}")
        return IRReadError(f"{self.source}: layer '{layer.get('name', '?')}' (id {layer.get('id', '?')}, type "
                           f"{layer.get('type', '?')}): {msg}")

    def weights(self, layer) -> memoryview:
        if self._weights is None:
            self._weights = self._load_weights(lambda msg: self.err(layer, msg))
        return self._weights

    def int_attr(self, elem, key: str, layer, what: str) -> int:
        v = elem.get(key)
        if v is None:
            raise self.err(layer, f"{what} has no '{key}' attribute")
        try:
            return int(v)
        except ValueError:
            raise self.err(layer, f"{what} has a non-integer '{key}'=\"{v}\"") from None

    # -- the graph ---------------------------------------------------------------------------------
    def read(self, root: ET.Element) -> Model:
        if root.tag != "net":
            raise self.err(None, f"the root element is <{root.tag}>, not <net>: this is not OpenVINO IR")
        version = root.get("version")
        if version not in ("10", "11"):
            raise self.err(None, f"IR version {version!r} is not supported (ovcl reads IR v10 and v11); "
                                 f"re-export the model with a current OpenVINO")
        layers_el = root.find("layers")
        if layers_el is None:
            raise self.err(None, "no <layers> element: the file is truncated or not OpenVINO IR")
        layers: dict[int, ET.Element] = {}
        order: list[int] = []
        for layer in layers_el.findall("layer"):
            lid = self.int_attr(layer, "id", layer, "the layer")
            if lid in layers:
                raise self.err(layer, f"layer id {lid} is used twice")
            for key in ("name", "type"):
                if layer.get(key) is None:
                    raise self.err(layer, f"the layer has no '{key}' attribute")
            layers[lid] = layer
            order.append(lid)
        if not layers:
            raise self.err(None, "the IR has no layers")
        in_ports: dict[int, list[int]] = {}
        out_ports: dict[int, list[int]] = {}
        for lid, layer in layers.items():
            ins, outs = [], []
            for tag, acc in (("input", ins), ("output", outs)):
                for group in layer.findall(tag):
                    for port in group.findall("port"):
                        pid = self.int_attr(port, "id", layer, f"an {tag} port")
                        if pid in ins or pid in outs:
                            raise self.err(layer, f"port id {pid} is used twice")
                        acc.append(pid)
            for sub in ("body", "then_body", "else_body"):
                if layer.find(sub) is not None:
                    raise self.err(layer, "sub-graph ops (Loop, If, TensorIterator) are not supported by ovcl")
            in_ports[lid] = ins
            out_ports[lid] = outs

        # edges: every input port exactly one, every end an existing layer and port
        source: dict[tuple[int, int], tuple[int, int]] = {}
        edges_el = root.find("edges")
        for edge in (edges_el.findall("edge") if edges_el is not None else []):
            try:
                fl, fp, tl, tp = (int(edge.get(k)) for k in ("from-layer", "from-port", "to-layer", "to-port"))
            except (TypeError, ValueError):
                raise self.err(None, f"an edge has missing or non-integer ends: {dict(edge.attrib)}") from None
            if fl not in layers:
                raise self.err(None, f"an edge comes from layer {fl}, which does not exist (edge {fl}:{fp} -> "
                                     f"{tl}:{tp}): the XML is damaged or hand-edited")
            if tl not in layers:
                raise self.err(None, f"an edge goes to layer {tl}, which does not exist (edge {fl}:{fp} -> "
                                     f"{tl}:{tp}): the XML is damaged or hand-edited")
            if fp not in out_ports[fl]:
                raise self.err(layers[fl], f"an edge leaves from port {fp}, which is not an output port of this "
                                           f"layer (its outputs: {out_ports[fl]})")
            if tp not in in_ports[tl]:
                raise self.err(layers[tl], f"an edge arrives at port {tp}, which is not an input port of this "
                                           f"layer (its inputs: {in_ports[tl]})")
            if (tl, tp) in source:
                raise self.err(layers[tl], f"input port {tp} has more than one incoming edge")
            source[(tl, tp)] = (fl, fp)
        for lid, ports in in_ports.items():
            for pid in ports:
                if (lid, pid) not in source:
                    raise self.err(layers[lid], f"input port {pid} has no incoming edge: the graph is incomplete")

        # topological order (Kahn), stable in file order
        users: dict[int, list[int]] = {lid: [] for lid in layers}
        pending = {lid: len(in_ports[lid]) for lid in layers}
        for (tl, _tp), (fl, _fp) in source.items():
            users[fl].append(tl)
        ready = [lid for lid in order if pending[lid] == 0]
        topo: list[int] = []
        while ready:
            lid = ready.pop()
            topo.append(lid)
            for u in users[lid]:
                pending[u] -= 1
                if pending[u] == 0:
                    ready.append(u)
        if len(topo) != len(layers):
            stuck = next(lid for lid in order if pending[lid] > 0)
            raise self.err(layers[stuck], "the graph has a cycle through this layer")

        outputs: dict[tuple[int, int], Output] = {}
        nodes: dict[int, Node] = {}
        for lid in topo:
            layer = layers[lid]
            ins = [outputs[source[(lid, pid)]] for pid in in_ports[lid]]
            node = self.build(layer, ins)
            nodes[lid] = node
            out_els = [p for g in layer.findall("output") for p in g.findall("port")]
            if node.type_name != "Result" and len(out_els) != node.get_output_size():
                raise self.err(layer, f"the layer declares {len(out_els)} output ports but a "
                                      f"{node.type_name} has {node.get_output_size()}")
            for k, (pid, port) in enumerate(zip(out_ports[lid], out_els)):
                out = node.output(k)
                self.check_port(layer, port, out, f"output port {pid}")
                names = port.get("names")
                if names:
                    out._info.names.update(split_names(names))
                out._info.rt_info.update(_read_rt(port.find("rt_info")))
                outputs[(lid, pid)] = out
            in_els = [p for g in layer.findall("input") for p in g.findall("port")]
            for pid, port, src in zip(in_ports[lid], in_els, ins):
                self.check_port(layer, port, src, f"input port {pid}", dims=False)
            node.rt_info.update(_read_rt(layer.find("rt_info")))
            if node.type_name == "Result" and layer.get("output_names"):
                node.output(0).add_names(split_names(layer.get("output_names")))

        params = [nodes[lid] for lid in order if nodes[lid].type_name == "Parameter"]
        results = [nodes[lid] for lid in order if nodes[lid].type_name == "Result"]
        if not results:
            raise self.err(None, "the IR has no Result layer, so the model would compute nothing")
        sinks = [nodes[lid] for lid in order if nodes[lid].type_name == "Assign"]
        model = Model(results, params, root.get("name") or "model", sinks=sinks)
        try:
            model.get_variables()       # every Assign's variable is read somewhere
        except IRError as e:
            raise self.err(None, str(e)) from None
        rt = root.find("rt_info")
        if rt is not None:
            model.rt_info.update(_read_model_rt_info(rt))
        return model

    def check_port(self, layer, port, out: Output, what: str, dims: bool = True) -> None:
        prec = port.get("precision")
        if prec:
            try:
                t = Type.from_name(prec)
            except ValueError:
                t = None
            if t is not None and t is not Type.dynamic and out.get_element_type() is not Type.dynamic \
                    and t != out.get_element_type():
                raise self.err(layer, f"{what} is declared {prec} but the graph gives "
                                      f"{out.get_element_type().ir_precision}; the IR is inconsistent")
        if not dims:
            return
        dim_els = port.findall("dim")
        if not dim_els:
            return   # dynamic rank (or a scalar): nothing to check against
        try:
            declared = PartialShape([_parse_dim(d.text or "") for d in dim_els])
        except ValueError as e:
            raise self.err(layer, f"{what}: bad <dim>: {e}") from None
        if not out.get_partial_shape().compatible(declared):
            raise self.err(layer, f"{what} is declared with shape {declared} but the graph infers "
                                  f"{out.get_partial_shape()}; the IR is inconsistent")


    # -- one layer ---------------------------------------------------------------------------------
    def build(self, layer, inputs: list[Output]) -> Node:
        disk_type = layer.get("type")
        type_name = FROM_DISK.get(disk_type, disk_type)
        version = layer.get("version") or "opset1"
        op = OPS.get(type_name)
        if op is None or getattr(op, "internal", False):
            raise self.err(layer, f"unknown op type '{disk_type}' ({version}): ovcl has no definition for it; "
                                  f"it needs an op definition in ovcl.ir.ops (or replace the op in the source model)")
        data_el = layer.find("data")
        data = dict(data_el.attrib) if data_el is not None else {}
        name = layer.get("name")
        if type_name in ("Constant", "Parameter") and inputs:
            raise self.err(layer, f"a {disk_type} takes no inputs, but the layer has {len(inputs)} input port(s)")
        try:
            return self._build(layer, inputs, data, name, op, type_name, disk_type, version)
        except IRReadError:
            raise
        except (IRError, ValueError, TypeError, KeyError, IndexError, OverflowError) as e:
            raise self.err(layer, str(e)) from None

    def _build(self, layer, inputs, data, name, op, type_name, disk_type, version) -> Node:
        if type_name == "Constant":
            node = self.build_const(layer, data, name)
        elif type_name == "Parameter":
            node = self.build_param(layer, data, name)
        else:
            attrs = {}
            for key, default in op.attrs.items():
                if key in data:
                    attrs[key] = self.parse_attr(layer, key, data.pop(key), default)
            if data:
                warnings.warn(f"{self.source}: layer '{name}' ({disk_type} {version}): ignoring attribute(s) "
                              f"{sorted(data)}, which ovcl's {type_name} does not define", stacklevel=4)
            try:
                node = make(type_name, inputs, name=name, version=version, **attrs)
            except IRError as e:
                raise self.err(layer, str(e)) from None
        node.version = version
        return node

    def parse_attr(self, layer, key: str, text: str, default):
        try:
            return _parse_attr(text, default, key)
        except (ValueError, TypeError) as e:
            raise self.err(layer, f"attribute {key}=\"{text}\" cannot be read: {e}") from None

    def build_param(self, layer, data: dict, name: str) -> Node:
        for key in ("shape", "element_type"):
            if key not in data:
                raise self.err(layer, f"Parameter has no '{key}' in <data>")
        t = self.elem_type(layer, data["element_type"])
        try:
            shape = _parse_pshape(data["shape"])
        except ValueError as e:
            raise self.err(layer, f"bad shape \"{data['shape']}\": {e}") from None
        try:
            return make("Parameter", [], name=name, element_type=t.name, shape=shape)
        except IRError as e:
            raise self.err(layer, str(e)) from None

    def elem_type(self, layer, text: str) -> Type:
        try:
            return Type.from_name(text)
        except ValueError:
            raise self.err(layer, f"unknown element type '{text}'") from None

    def build_const(self, layer, data: dict, name: str) -> Node:
        for key in ("element_type", "shape", "offset", "size"):
            if key not in data:
                raise self.err(layer, f"Const has no '{key}' in <data>")
        t = self.elem_type(layer, data["element_type"])
        if t.dtype is None:
            raise self.err(layer, f"constants of element type {t} are not supported by ovcl")
        try:
            shape = [int(s) for s in data["shape"].replace(" ", "").split(",") if s != ""]
            offset = int(data["offset"])
            size = int(data["size"])
        except ValueError:
            raise self.err(layer, f"non-integer shape/offset/size: shape=\"{data['shape']}\" offset=\""
                                  f"{data['offset']}\" size=\"{data['size']}\"") from None
        if any(s < 0 for s in shape):
            raise self.err(layer, f"negative dimension in constant shape {shape}")
        count = math.prod(shape)
        expect = count * t.size
        if size != expect:
            raise self.err(layer, f"size={size} bytes does not match shape {shape} of {t} ({expect} bytes)")
        if offset < 0 or size < 0:
            raise self.err(layer, f"negative offset ({offset}) or size ({size})")
        buf = self.weights(layer)
        if offset + size > len(buf):
            raise self.err(layer, f"its data (offset {offset}, size {size}) lies beyond the end of the weights "
                                  f"file ({len(buf)} bytes): the .bin is truncated or belongs to another .xml")
        dt = np.dtype(t.dtype)
        disk = dt.newbyteorder("<") if dt.itemsize > 1 else dt
        if t is Type.boolean:
            arr = np.frombuffer(buf, dtype=np.uint8, count=count, offset=offset) != 0
        else:
            arr = np.frombuffer(buf, dtype=disk, count=count, offset=offset)
            if disk != dt:
                arr = arr.astype(dt)
            elif not arr.flags.aligned:
                arr = arr.copy()
        arr = arr.reshape(shape)
        node = Node(Constant, [], {"element_type": t.name, "shape": shape}, name=name)
        node.value = arr
        node.validate()
        return node


def _read_model_rt_info(el: ET.Element) -> dict:
    out: dict[str, Any] = {}
    for child in el:
        if child.tag == "info" and child.get("name") is not None:
            out[child.get("name")] = child.get("value", "")
        elif child.get("value") is not None and len(child) == 0:
            out[child.tag] = child.get("value")
        else:
            out[child.tag] = _read_model_rt_info(child)
    return out


def _parse_dim(text: str) -> Dimension:
    text = text.strip()
    if text in ("?", "-1"):
        return Dimension()
    m = re.fullmatch(r"(\d*)\.\.(-1|\d*)", text)
    if m:
        lo = int(m.group(1)) if m.group(1) else 0
        hi = int(m.group(2)) if m.group(2) not in ("", "-1") else -1
        return Dimension(lo, hi)
    if re.fullmatch(r"\d+", text):
        return Dimension(int(text))
    raise ValueError(f"'{text}' is not a dimension")


def _parse_pshape(text: str) -> PartialShape:
    text = text.strip()
    if text in ("...", "[...]"):
        return PartialShape.dynamic()
    text = text.strip("[]")
    if not text.strip():
        return PartialShape([])
    return PartialShape([_parse_dim(t) for t in text.split(",")])


_INT = re.compile(r"[+-]?\d+$")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan|infinity)$", re.IGNORECASE)


def _guess_scalar(text: str):
    t = text.strip()
    if t in ("true", "false"):
        return t == "true"
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    return t


def _parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
        return False
    raise ValueError("expected true or false")


def _parse_scalar_like(text: str, default):
    if isinstance(default, (bool, np.bool_)):
        return _parse_bool(text)
    if isinstance(default, (int, np.integer)):
        t = text.strip()
        if not _INT.match(t):
            if _FLOAT.match(t) and float(t).is_integer():
                return int(float(t))
            raise ValueError("expected an integer")
        return int(t)
    if isinstance(default, (float, np.floating)):
        return float(text.strip())
    if isinstance(default, Type):
        return Type.from_name(text)
    if isinstance(default, str):
        return text
    return _guess_scalar(text)


def _split_list(text: str) -> list[str]:
    return [s.strip() for s in text.split(",")] if text.strip() else []


def _parse_attr(text: str, default, key: str):
    if default is REQUIRED:
        if key in _LIST_ATTRS:
            return [_guess_scalar(s) for s in _split_list(text)]
        if key in ("element_type", "destination_type", "output_type", "index_element_type"):
            return Type.from_name(text).name
        if "," in text:
            return [_guess_scalar(s) for s in _split_list(text)]
        return _guess_scalar(text)
    if isinstance(default, PartialShape):
        return _parse_pshape(text)
    if isinstance(default, Dimension):
        return _parse_dim(text)
    if isinstance(default, (list, tuple)):
        proto = default[0] if len(default) else None
        items = [_parse_scalar_like(s, proto) for s in _split_list(text)]
        return type(default)(items) if isinstance(default, tuple) else items
    if default is None:
        if "," in text:
            return [_guess_scalar(s) for s in _split_list(text)]
        return _guess_scalar(text)
    return _parse_scalar_like(text, default)


def _weights_loader(weights, default_path: Path | None):
    """A function that returns the .bin as a memoryview, raising a clear error when it is missing."""
    def load(err):
        if isinstance(weights, (bytes, bytearray, memoryview)):
            return memoryview(bytes(weights))
        if isinstance(weights, np.ndarray):
            return memoryview(np.ascontiguousarray(weights).tobytes())
        if weights is not None and not isinstance(weights, (str, os.PathLike)):
            raise err(f"weights must be a path, bytes or a NumPy array, not {type(weights).__name__}")
        path = Path(os.fspath(weights)) if weights is not None else default_path
        if path is None:
            raise err("the model has constants but no weights were given: pass weights= (the .bin path or bytes)")
        if weights is None and path.exists() and path.resolve().parent != path.parent.resolve():
            # the .bin found beside the .xml is a link out of its folder: not read unless asked for by path
            raise err(f"weights file {path} links outside the model's folder (to {path.resolve()}); pass "
                      f"weights= with that path to read it")
        try:
            return memoryview(path.read_bytes())
        except FileNotFoundError:
            raise err(f"weights file {path} not found: keep the .bin beside the .xml (same name) or pass "
                      f"weights=") from None
        except OSError as e:
            raise err(f"cannot read weights file {path}: {e.strerror or e}") from None
    return load


def read_ir_bytes(xml_bytes, weights=None, source: str = "<IR bytes>") -> Model:
    """Read IR from the XML text (bytes or str) and the weights (bytes, a .bin path, or None when the model
    has no constants)."""
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode("utf-8")
    if not isinstance(xml_bytes, (bytes, bytearray, memoryview)):
        raise IRReadError(f"read_ir_bytes expects the XML as bytes, not {type(xml_bytes).__name__}")
    root = _parse_xml(bytes(xml_bytes), source)
    return _Reader(source, _weights_loader(weights, None)).read(root)


def read_ir(xml_path, weights=None) -> Model:
    """Read ``xml_path`` and its weights (``weights`` as a path or bytes; by default the ``.bin`` of the same
    name beside the ``.xml``)."""
    path = Path(os.fspath(xml_path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IRReadError(f"IR file {path} not found") from None
    except OSError as e:
        raise IRReadError(f"cannot read IR file {path}: {e.strerror or e}") from None
    root = _parse_xml(data, path.name)
    return _Reader(path.name, _weights_loader(weights, path.with_suffix(".bin"))).read(root)
