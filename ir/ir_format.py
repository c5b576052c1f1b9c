"""OpenVINO IR v11 (``.xml`` + ``.bin``): what the writer (``ir_writer.py``) and the reader (``ir_reader.py``)
share: their errors, the on-disk spellings of op types, and the escaping of tensor-name lists."""
from __future__ import annotations

from .errors import IRError


class IRReadError(IRError):
    """An IR file that cannot be read: malformed XML, a broken graph, bad weights, an unknown op."""


class IRWriteError(IRError):
    """A model that cannot be written as IR."""


# ovcl / OpenVINO type name -> the spelling OpenVINO's serializer writes in ``type=``
ON_DISK_NAMES = {"Constant": "Const", "Relu": "ReLU", "PRelu": "PReLU", "Softmax": "SoftMax"}
FROM_DISK = {v: k for k, v in ON_DISK_NAMES.items()}


def escape_names(names) -> str:
    """A port's ``names=``: sorted, comma-separated, commas inside a name escaped."""
    return ",".join(n.replace(",", "\\,") for n in sorted(names))


def split_names(text: str) -> list[str]:
    """The names of a ``names=`` list (the inverse of ``escape_names``)."""
    names, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] == ",":
            cur.append(",")
            i += 2
            continue
        if c == ",":
            names.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    names.append("".join(cur))
    return [n.strip() for n in names if n.strip()]
