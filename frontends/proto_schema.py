"""Protobuf message classes built at import from message definitions written as Python data, so that a frontend
reads a framework's files with ``protobuf`` alone (no generated code carried, the framework never imported).
Each frontend declares only the fields it reads; the parser skips the others. The messages live in a private
descriptor pool per frontend, so they never clash with the framework's own when both are loaded."""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_T = descriptor_pb2.FieldDescriptorProto
_SCALARS = {"string": _T.TYPE_STRING, "bytes": _T.TYPE_BYTES, "int32": _T.TYPE_INT32, "int64": _T.TYPE_INT64,
            "uint32": _T.TYPE_UINT32, "uint64": _T.TYPE_UINT64, "float": _T.TYPE_FLOAT, "double": _T.TYPE_DOUBLE,
            "bool": _T.TYPE_BOOL, "fixed32": _T.TYPE_FIXED32}


def build_messages(package: str, messages: dict[str, list[tuple[str, int, str]]],
                   enums: dict[str, dict[str, int]] | None = None, oneofs: dict[str, str] | None = None,
                   syntax: str = "proto3") -> dict[str, type]:
    """Message classes by name. ``messages``: name → [(field, number, type)], where type is a scalar name, an
    enum or message name, with a leading ``*`` for a repeated field; ``oneofs``: messages whose fields all belong
    to one oneof (so that a zero value is still present in proto3); ``syntax`` "proto2" keeps every optional
    field's presence, as proto2 formats (PaddlePaddle's) rely on."""
    enums = enums or {}
    oneofs = oneofs or {}
    f = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax=syntax)
    for ename, values in enums.items():
        enum = f.enum_type.add(name=ename)
        for k, v in values.items():
            enum.value.add(name=k, number=v)
    for name, fields in messages.items():
        m = f.message_type.add(name=name)
        if name in oneofs:
            m.oneof_decl.add(name=oneofs[name])
        for fname, number, ftype in fields:
            repeated = ftype.startswith("*")
            ftype = ftype.lstrip("*")
            fd = m.field.add(name=fname, number=number, label=_T.LABEL_REPEATED if repeated else _T.LABEL_OPTIONAL)
            if name in oneofs:
                fd.oneof_index = 0
            if ftype in _SCALARS:
                fd.type = _SCALARS[ftype]
            elif ftype in enums:
                fd.type, fd.type_name = _T.TYPE_ENUM, f".{package}.{ftype}"
            else:
                fd.type, fd.type_name = _T.TYPE_MESSAGE, f".{package}.{ftype}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))
            for name in messages}
