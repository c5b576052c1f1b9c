"""Frozen GraphDefs (``.pb``, or ``.pbtxt`` text) → ``ovcl.ir.Model``, without TensorFlow. As in OpenVINO, the
Placeholders are the inputs (in graph order) and the nodes no other node reads are the outputs."""
from __future__ import annotations

from pathlib import Path

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Model, PartialShape

from .graph import Converter, build_model, element_type, shape_of
from .protos import GraphDef, attr_map

_NOT_OUTPUTS = {"NoOp", "Const", "Placeholder", "PlaceholderWithDefault", "Assert", "VarHandleOp", "VariableV2",
                "SaveV2", "RestoreV2", "AssignVariableOp"}


def parse_graph_def(data: bytes, source: str, text: bool):
    g = GraphDef()
    try:
        if text:
            from google.protobuf import text_format
            text_format.Parse(data.decode(), g, allow_unknown_field=True)
        else:
            g.ParseFromString(data)
    except Exception as e:
        raise FrontendError(f"{source} is not a valid TensorFlow GraphDef: {e}") from None
    if not len(g.node):
        raise FrontendError(f"{source} holds no graph nodes")
    return g


def read_frozen_graph(path: Path, cuts: dict | None = None) -> Model:
    if not path.is_file():
        raise FrontendError(f"TensorFlow graph {path} does not exist")
    return convert_graph_def(parse_graph_def(path.read_bytes(), str(path), path.suffix.lower() == ".pbtxt"),
                             path.stem, cuts=cuts)


def convert_graph_def(g, name: str, placeholders: list[str] | None = None,
                      outputs: list[tuple[str, str]] | None = None, cuts: dict | None = None) -> Model:
    """Convert GraphDef ``g``: ``placeholders`` names the input nodes (default: every Placeholder), ``outputs``
    gives (tensor, output name) pairs (default: the output 0 of each node no other node reads); ``cuts`` as
    ``build_model`` takes them."""
    consumed = {i.lstrip("^").split(":")[0] for n in g.node for i in n.input}
    inputs, found = [], []
    for n in g.node:
        attrs = attr_map(n.attr)
        if n.op == "Placeholder" and (placeholders is None or n.name in placeholders):
            typ = element_type(attrs["dtype"].type, f"Placeholder '{n.name}': ") if "dtype" in attrs else None
            if typ is None:
                raise FrontendError(f"Placeholder '{n.name}' has no dtype")
            shape = shape_of(attrs["shape"].shape) if "shape" in attrs else PartialShape.dynamic()
            inputs.append((n.name, n.name, typ, shape, {f"{n.name}:0"}))
        elif n.name not in consumed and n.op not in _NOT_OUTPUTS:
            found.append((f"{n.name}:0", n.name))
    if placeholders is not None:
        order = {p: k for k, p in enumerate(placeholders)}
        inputs.sort(key=lambda i: order[i[0]])
    outputs = found if outputs is None else outputs
    if not outputs:
        raise FrontendError(f"graph '{name}' has no output: every node is read by another")
    library = {f.signature.name: f for f in g.library.function}
    return build_model(Converter(library), g.node, inputs, outputs, name, cuts)
