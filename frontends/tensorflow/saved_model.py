"""SavedModel directories (``tf.saved_model.save``, Keras 3 ``model.export``) → ``ovcl.ir.Model``, without
TensorFlow.

A signature names the graph's input Placeholders and the outputs of a call to its function. Variables reach
that call as inputs made by ``VarHandleOp`` nodes. Their values are found as TensorFlow finds them: the
SavedObjectGraph lists, for each concrete function, the object-graph nodes bound to its captured inputs
(``bound_inputs``, in the order of the call's trailing inputs); the checkpoint's own object graph has the same
node ids and names, for each variable node, the key of its value in ``variables.index``. Handle and variable
names are not used: Keras 3 exports hold several handles per variable name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Model

from .checkpoint import Checkpoint
from .graph import Converter, build_model, element_type, shape_of
from .protos import SavedModel, TrackableObjectGraph, attr_map

_INIT = "__saved_model_init_op"


def read_saved_model(path: Path, signature: str | None = None, cuts: dict | None = None) -> Model:
    """Convert the SavedModel in directory ``path`` at ``signature`` (default: ``serving_default``, or the only
    one); ``cuts`` as ``build_model`` takes them."""
    sm = _parse(path)
    metas = [m for m in sm.meta_graphs if "serve" in m.meta_info_def.tags] or list(sm.meta_graphs)
    if not metas:
        raise FrontendError(f"SavedModel {path} holds no graph")
    mg = metas[0]
    sigs = {k: v for k, v in attr_map(mg.signature_def).items() if k != _INIT}
    if signature is None:
        signature = "serving_default" if "serving_default" in sigs or len(sigs) != 1 else next(iter(sigs))
    if signature not in sigs:
        raise FrontendError(f"SavedModel {path} has no signature '{signature}' (it has: "
                            f"{', '.join(sorted(sigs)) or 'none'})")
    sig = sigs[signature]
    inputs = []
    for key, info in attr_map(sig.inputs).items():
        node_name = info.name.split(":")[0]
        inputs.append((node_name, key, element_type(info.dtype, f"input '{key}': "), shape_of(info.tensor_shape),
                       {info.name, node_name}))
    outputs = [(info.name, key) for key, info in attr_map(sig.outputs).items()]
    library = {f.signature.name: f for f in mg.graph_def.library.function}
    handles = _variable_handles(mg, path / "variables" / "variables")
    return build_model(Converter(library, handles), mg.graph_def.node, inputs, outputs, path.name, cuts)


def _parse(path: Path):
    pb = path / "saved_model.pb"
    sm = SavedModel()
    if pb.is_file():
        try:
            sm.ParseFromString(pb.read_bytes())
        except Exception as e:
            raise FrontendError(f"{pb} is not a valid SavedModel: {e}") from None
        return sm
    txt = path / "saved_model.pbtxt"
    if txt.is_file():
        from google.protobuf import text_format
        try:
            text_format.Parse(txt.read_text(), sm, allow_unknown_field=True)
        except Exception as e:
            raise FrontendError(f"{txt} is not a valid SavedModel: {e}") from None
        return sm
    raise FrontendError(f"{path} is not a SavedModel directory: it has no saved_model.pb")


def _variable_handles(mg, prefix: Path) -> dict:
    """Graph node name of each variable handle passed to a function call → a function reading its value."""
    graph = mg.object_graph_def
    concrete = attr_map(graph.concrete_functions)
    state: dict = {}

    def checkpoint() -> tuple[Checkpoint, list]:
        if not state:
            ckpt = Checkpoint(prefix)
            raw = ckpt.object_graph()
            if raw is None:
                raise FrontendError(f"{prefix}.index has no object graph: the variables cannot be matched to "
                                    f"the model's functions")
            tog = TrackableObjectGraph()
            try:
                tog.ParseFromString(raw)
            except Exception as e:
                raise FrontendError(f"{prefix}.index: the object graph does not parse: {e}") from None
            state["ckpt"], state["nodes"] = ckpt, list(tog.nodes)
        return state["ckpt"], state["nodes"]

    def reader(obj_id: int, handle: str):
        def read() -> np.ndarray:
            ckpt, nodes = checkpoint()
            keys = [a.checkpoint_key for a in nodes[obj_id].attributes if a.name == "VARIABLE_VALUE"] \
                if obj_id < len(nodes) else []
            if not keys:
                raise FrontendError(f"variable '{handle}' (object {obj_id}) has no value in {prefix}.index")
            value = ckpt.tensor(keys[0])
            var = graph.nodes[obj_id].variable
            expect = [d.size for d in var.shape.dim]
            if not var.shape.unknown_rank and list(value.shape) != expect:
                raise FrontendError(f"variable '{handle}': the checkpoint holds shape {list(value.shape)}, the "
                                    f"model expects {expect}")
            return value
        return read

    handles = {}
    for node in mg.graph_def.node:
        if node.op not in ("StatefulPartitionedCall", "PartitionedCall"):
            continue
        cf = concrete.get(attr_map(node.attr)["f"].func.name) if "f" in attr_map(node.attr) else None
        if cf is None or not cf.bound_inputs:
            continue
        data = [i for i in node.input if not i.startswith("^")]
        for ref, obj_id in zip(data[len(data) - len(cf.bound_inputs):], cf.bound_inputs):
            if 0 <= obj_id < len(graph.nodes) and graph.nodes[obj_id].HasField("variable"):
                handles[ref.split(":")[0]] = reader(obj_id, ref)
    return handles
