"""The TensorFlow protobuf messages the frontend reads, declared here (built by ``proto_schema``) so that
reading a model never imports TensorFlow: a SavedModel (MetaGraphDef, SignatureDef, SavedObjectGraph), a GraphDef
with its function library, and the TrackableObjectGraph stored in a checkpoint.

Only the fields the frontend uses are declared; the parser skips the others. Field numbers follow TensorFlow's
``.proto`` files (``tensorflow/core/framework`` and ``tensorflow/core/protobuf``). Map fields are declared as
repeated key/value entries, which is their wire and text format; ``attr_map`` turns them into dicts."""
from __future__ import annotations

from ovcl.frontends.proto_schema import build_messages

_PACKAGE = "ovcl_tensorflow"

# DataType (types.proto): the values a model may hold
DATA_TYPES = {
    "DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
    "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12,
    "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17, "DT_COMPLEX128": 18,
    "DT_HALF": 19, "DT_RESOURCE": 20, "DT_VARIANT": 21, "DT_UINT32": 22, "DT_UINT64": 23,
}
# the *_REF variants of old frozen graphs (DT_FLOAT_REF = 101 ...)
DATA_TYPES.update({f"{k}_REF": v + 100 for k, v in list(DATA_TYPES.items()) if v})

# message -> [(field, number, type)]; type "Msg" is a message, "*T" repeated, "DataType" the enum
_MESSAGES: dict[str, list[tuple[str, int, str]]] = {
    # framework/tensor_shape.proto
    "TensorShapeProto": [("dim", 2, "*Dim"), ("unknown_rank", 3, "bool")],
    "Dim": [("size", 1, "int64"), ("name", 2, "string")],
    # framework/tensor.proto
    "TensorProto": [
        ("dtype", 1, "DataType"), ("tensor_shape", 2, "TensorShapeProto"), ("version_number", 3, "int32"),
        ("tensor_content", 4, "bytes"), ("half_val", 13, "*int32"), ("float_val", 5, "*float"),
        ("double_val", 6, "*double"), ("int_val", 7, "*int32"), ("string_val", 8, "*bytes"),
        ("scomplex_val", 9, "*float"), ("int64_val", 10, "*int64"), ("bool_val", 11, "*bool"),
        ("dcomplex_val", 12, "*double"), ("uint32_val", 16, "*uint32"), ("uint64_val", 17, "*uint64"),
    ],
    # framework/attr_value.proto
    "AttrValue": [
        ("list", 1, "ListValue"), ("s", 2, "bytes"), ("i", 3, "int64"), ("f", 4, "float"), ("b", 5, "bool"),
        ("type", 6, "DataType"), ("shape", 7, "TensorShapeProto"), ("tensor", 8, "TensorProto"),
        ("placeholder", 9, "string"), ("func", 10, "NameAttrList"),
    ],
    "ListValue": [
        ("s", 2, "*bytes"), ("i", 3, "*int64"), ("f", 4, "*float"), ("b", 5, "*bool"), ("type", 6, "*DataType"),
        ("shape", 7, "*TensorShapeProto"), ("tensor", 8, "*TensorProto"), ("func", 9, "*NameAttrList"),
    ],
    "NameAttrList": [("name", 1, "string"), ("attr", 2, "*AttrEntry")],
    "AttrEntry": [("key", 1, "string"), ("value", 2, "AttrValue")],
    # framework/node_def.proto, graph.proto, function.proto, op_def.proto
    "NodeDef": [("name", 1, "string"), ("op", 2, "string"), ("input", 3, "*string"), ("device", 4, "string"),
                ("attr", 5, "*AttrEntry")],
    "GraphDef": [("node", 1, "*NodeDef"), ("library", 2, "FunctionDefLibrary")],
    "FunctionDefLibrary": [("function", 1, "*FunctionDef")],
    "FunctionDef": [("signature", 1, "OpDef"), ("node_def", 3, "*NodeDef"), ("ret", 4, "*StringEntry"),
                    ("attr", 5, "*AttrEntry")],
    "StringEntry": [("key", 1, "string"), ("value", 2, "string")],
    "OpDef": [("name", 1, "string"), ("input_arg", 2, "*ArgDef"), ("output_arg", 3, "*ArgDef")],
    "ArgDef": [("name", 1, "string"), ("type", 3, "DataType"), ("type_attr", 4, "string"),
               ("number_attr", 5, "string"), ("type_list_attr", 6, "string")],
    # protobuf/saved_model.proto, meta_graph.proto
    "SavedModel": [("saved_model_schema_version", 1, "int64"), ("meta_graphs", 2, "*MetaGraphDef")],
    "MetaGraphDef": [("meta_info_def", 1, "MetaInfoDef"), ("graph_def", 2, "GraphDef"),
                     ("signature_def", 5, "*SignatureEntry"), ("object_graph_def", 7, "SavedObjectGraph")],
    "MetaInfoDef": [("tags", 4, "*string"), ("tensorflow_version", 5, "string")],
    "SignatureEntry": [("key", 1, "string"), ("value", 2, "SignatureDef")],
    "SignatureDef": [("inputs", 1, "*TensorInfoEntry"), ("outputs", 2, "*TensorInfoEntry"),
                     ("method_name", 3, "string")],
    "TensorInfoEntry": [("key", 1, "string"), ("value", 2, "TensorInfo")],
    "TensorInfo": [("name", 1, "string"), ("dtype", 2, "DataType"), ("tensor_shape", 3, "TensorShapeProto")],
    # protobuf/saved_object_graph.proto
    "SavedObjectGraph": [("nodes", 1, "*SavedObject"), ("concrete_functions", 2, "*ConcreteFunctionEntry")],
    "ConcreteFunctionEntry": [("key", 1, "string"), ("value", 2, "SavedConcreteFunction")],
    "SavedConcreteFunction": [("bound_inputs", 2, "*int32")],
    "SavedObject": [("children", 1, "*ObjectReference"), ("variable", 7, "SavedVariable"),
                    ("constant", 9, "SavedConstant")],
    "ObjectReference": [("node_id", 1, "int32"), ("local_name", 2, "string")],
    "SavedVariable": [("dtype", 1, "DataType"), ("shape", 2, "TensorShapeProto"), ("name", 6, "string")],
    "SavedConstant": [("operation", 1, "string")],
    # protobuf/trackable_object_graph.proto (the checkpoint's object graph)
    "TrackableObjectGraph": [("nodes", 1, "*TrackableObject")],
    "TrackableObject": [("children", 1, "*ObjectReference"), ("attributes", 2, "*SerializedTensor")],
    "SerializedTensor": [("name", 1, "string"), ("full_name", 2, "string"), ("checkpoint_key", 3, "string")],
}


_CLASSES = build_messages(_PACKAGE, _MESSAGES, {"DataType": DATA_TYPES}, {"AttrValue": "value"})
SavedModel = _CLASSES["SavedModel"]
GraphDef = _CLASSES["GraphDef"]
NodeDef = _CLASSES["NodeDef"]
TensorProto = _CLASSES["TensorProto"]
TrackableObjectGraph = _CLASSES["TrackableObjectGraph"]


def attr_map(entries) -> dict:
    """A repeated key/value entry field as a dict."""
    return {e.key: e.value for e in entries}
