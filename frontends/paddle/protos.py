"""The PaddlePaddle protobuf messages the frontend reads, declared here (built by ``proto_schema``) so that reading
a model never imports Paddle: the legacy ``.pdmodel`` ProgramDesc (blocks of variables and ops) and the TensorDesc
that heads every tensor in a ``.pdiparams`` file. Field numbers follow Paddle's ``framework.proto`` (proto2)."""
from __future__ import annotations

from ovcl.frontends.proto_schema import build_messages

# VarType.Type: the element types a tensor may hold, and the variable kinds a program names
VAR_TYPES = {
    "BOOL": 0, "INT16": 1, "INT32": 2, "INT64": 3, "FP16": 4, "FP32": 5, "FP64": 6, "DENSE_TENSOR": 7,
    "SELECTED_ROWS": 8, "FEED_MINIBATCH": 9, "FETCH_LIST": 10, "STEP_SCOPES": 11, "LOD_RANK_TABLE": 12,
    "DENSE_TENSOR_ARRAY": 13, "PLACE_LIST": 14, "READER": 15, "RAW": 17, "TUPLE": 18, "SIZE_T": 19, "UINT8": 20,
    "INT8": 21, "BF16": 22, "COMPLEX64": 23, "COMPLEX128": 24, "STRING": 25, "STRINGS": 26, "VOCAB": 27,
    "FEED_LIST": 28, "PSTRING": 29, "SPARSE_COO": 30, "SPARSE_CSR": 31, "FP8_E4M3FN": 32, "FP8_E5M2": 33,
    "UINT16": 36, "UINT32": 37, "UINT64": 38,
}
ATTR_TYPES = {
    "INT": 0, "FLOAT": 1, "STRING": 2, "INTS": 3, "FLOATS": 4, "STRINGS": 5, "BOOLEAN": 6, "BOOLEANS": 7,
    "BLOCK": 8, "LONG": 9, "BLOCKS": 10, "LONGS": 11, "FLOAT64S": 12, "VAR": 13, "VARS": 14, "FLOAT64": 15,
    "SCALAR": 16, "SCALARS": 17,
}
SCALAR_TYPES = {"BOOLEAN": 1, "LONG": 2, "FLOAT64": 3, "COMPLEX128": 4}

_MESSAGES = {
    "ProgramDesc": [("blocks", 1, "*BlockDesc"), ("version", 4, "Version")],
    "Version": [("version", 1, "int64")],
    "BlockDesc": [("idx", 1, "int32"), ("parent_idx", 2, "int32"), ("vars", 3, "*VarDesc"), ("ops", 4, "*OpDesc")],
    "VarDesc": [("name", 1, "string"), ("type", 2, "VarType"), ("persistable", 3, "bool")],
    "VarType": [("type", 1, "Type"), ("dense_tensor", 3, "DenseTensorDesc")],
    "DenseTensorDesc": [("tensor", 1, "TensorDesc"), ("lod_level", 2, "int32")],
    "TensorDesc": [("data_type", 1, "Type"), ("dims", 2, "*int64")],
    "OpDesc": [("inputs", 1, "*Var"), ("outputs", 2, "*Var"), ("type", 3, "string"), ("attrs", 4, "*Attr")],
    "Var": [("parameter", 1, "string"), ("arguments", 2, "*string")],
    "Attr": [
        ("name", 1, "string"), ("type", 2, "AttrType"), ("i", 3, "int32"), ("f", 4, "float"), ("s", 5, "bytes"),
        ("ints", 6, "*int32"), ("floats", 7, "*float"), ("strings", 8, "*bytes"), ("b", 10, "bool"),
        ("bools", 11, "*bool"), ("block_idx", 12, "int32"), ("l", 13, "int64"), ("blocks_idx", 14, "*int32"),
        ("longs", 15, "*int64"), ("float64s", 16, "*double"), ("var_name", 17, "string"),
        ("vars_name", 18, "*string"), ("float64", 19, "double"), ("scalar", 20, "Scalar"),
        ("scalars", 21, "*Scalar"),
    ],
    "Scalar": [("type", 1, "ScalarType"), ("b", 2, "bool"), ("i", 3, "int64"), ("r", 4, "double")],
}

# enum value names share the package's scope in protobuf, so each enum's get a prefix (binary files carry numbers)
_ENUMS = {name: {f"{name}_{k}": v for k, v in values.items()}
          for name, values in (("Type", VAR_TYPES), ("AttrType", ATTR_TYPES), ("ScalarType", SCALAR_TYPES))}
_CLASSES = build_messages("ovcl_paddle", _MESSAGES, _ENUMS, syntax="proto2")
ProgramDesc = _CLASSES["ProgramDesc"]
TensorDesc = _CLASSES["TensorDesc"]
