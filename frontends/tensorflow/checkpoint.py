"""A TensorFlow 2 checkpoint (a SavedModel's ``variables/variables.index`` and ``.data-K-of-N`` shards) read
without TensorFlow, so that loading a SavedModel's weights needs only numpy.

The index is a LevelDB-format table (TensorFlow's ``BundleWriter`` always writes it uncompressed, so other
block compressions are refused) mapping tensor names to BundleEntryProto messages, decoded here straight from
the protobuf wire format; the key ``""`` holds the BundleHeaderProto. Each tensor is read lazily from its shard
and checked against its crc32c. A damaged file raises FrontendError naming the file, never a stray
IndexError."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import ml_dtypes
import numpy as np

from ovcl.frontends.errors import FrontendError

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48                     # two block handles padded to 40 bytes, then the magic number
_BLOCK_TRAILER = 5                    # compression type byte + masked crc32c of the block and that byte
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"

_DT_STRING = 7
# DataType enum -> numpy dtype, little-endian as the shards store them
_DTYPES = {k: np.dtype(v) for k, v in {
    1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 8: "<c8", 9: "<i8", 10: "?", 14: ml_dtypes.bfloat16,
    17: "<u2", 18: "<c16", 19: "<f2", 22: "<u4", 23: "<u8"}.items()}


# --- crc32c (Castagnoli), table-driven: pure Python for short buffers, numpy lanes for long ones ----------

def _byte_table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(0x82F63B78), t >> 1).astype(np.uint32)
    return t


_T8 = _byte_table()
_T8_LIST = _T8.tolist()


def _zero_word_tables() -> tuple[np.ndarray, np.ndarray]:
    """The register after four zero bytes, from each low and each high 16-bit half: one 32-bit word of input
    then costs two lookups, since the register update is linear."""
    v = np.arange(1 << 16, dtype=np.uint32)
    tables = []
    for s in (v, v << np.uint32(16)):
        for _ in range(4):
            s = _T8[s & 0xFF] ^ (s >> np.uint32(8))
        tables.append(s)
    return tables[0], tables[1]


_TLO, _THI = _zero_word_tables()
_LANES = 8192
_NUMPY_CRC_MIN = 1 << 16              # below this, the pure-Python loop is as fast


def _apply(columns: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The GF(2) 32x32 matrix with these columns, times each register in ``x``."""
    out = np.zeros_like(x)
    for j in range(32):
        out ^= columns[j] * ((x >> np.uint32(j)) & np.uint32(1))
    return out


def _crc32c(data) -> int:
    """The crc32c of ``data`` (bytes-like). Long buffers are split into _LANES equal lanes processed side by
    side with numpy (about 0.2 s per 100 MB), whose registers are then merged pairwise: a lane's register is
    carried over the next lane by the zero-input matrix, which doubles in length at each level."""
    data = memoryview(data).cast("B")
    n = len(data)
    if n < _NUMPY_CRC_MIN:
        c, table = 0xFFFFFFFF, _T8_LIST
        for b in bytes(data):
            c = table[(c ^ b) & 0xFF] ^ (c >> 8)
        return c ^ 0xFFFFFFFF
    words = -(-n // (4 * _LANES))
    buf = np.zeros(_LANES * words * 4, np.uint8)
    # leading zeros leave a zero register unchanged; inverting the first four bytes stands for the 0xFFFFFFFF
    # initial register
    start = buf.size - n
    buf[start:] = data
    buf[start:start + 4] ^= 0xFF
    lanes = buf.view("<u4").reshape(_LANES, words)
    s = np.zeros(_LANES, np.uint32)
    for j in range(words):
        x = s ^ lanes[:, j]
        s = _TLO[x & 0xFFFF] ^ _THI[x >> np.uint32(16)]
    carry = np.uint32(1) << np.arange(32, dtype=np.uint32)       # identity, then `words` zero words
    for _ in range(words):
        carry = _TLO[carry & 0xFFFF] ^ _THI[carry >> np.uint32(16)]
    while s.size > 1:
        s = _apply(carry, s[0::2]) ^ s[1::2]
        carry = _apply(carry, carry)
    return int(s[0]) ^ 0xFFFFFFFF


def _mask(crc: int) -> int:
    """The masked form TensorFlow stores (so that a crc of data holding crcs is not degenerate)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# --- protobuf wire format and the LevelDB table ------------------------------------------------------------

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def _fields(buf: bytes) -> dict[int, list]:
    """A protobuf message's fields by number: varint and fixed values as ints, length-delimited ones as bytes."""
    if not isinstance(buf, bytes):
        raise ValueError("a varint where an embedded message belongs")
    fields: dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        wire = tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, pos = int.from_bytes(buf[pos:pos + width], "little"), pos + width
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = bytes(buf[pos:pos + length]), pos + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated protobuf message")
        fields.setdefault(tag >> 3, []).append(value)
    return fields


def _one(fields: dict[int, list], number: int, default=0):
    """A singular field: its last occurrence wins, as in protobuf's own parsers. Its wire type must give the
    default's Python type (int or bytes)."""
    value = fields.get(number, [default])[-1]
    if type(value) is not type(default):
        raise ValueError(f"protobuf field {number} has the wrong wire type")
    return value


def _block(data: bytes, handle: tuple[int, int]) -> bytes:
    offset, size = handle
    if offset + size + _BLOCK_TRAILER > len(data) - _FOOTER_SIZE:
        raise ValueError(f"block handle [{offset}, {offset + size}) out of range")
    compression = data[offset + size]
    stored = int.from_bytes(data[offset + size + 1:offset + size + _BLOCK_TRAILER], "little")
    if _mask(_crc32c(data[offset:offset + size + 1])) != stored:
        raise ValueError(f"block at {offset} fails its crc32c check")
    if compression != 0:
        raise ValueError(f"block compression type {compression} is not supported (TensorFlow writes checkpoint "
                         "indexes uncompressed)")
    return data[offset:offset + size]


def _block_entries(block: bytes):
    """The (key, value) pairs of a block; keys share a prefix with the previous key."""
    if len(block) < 4:
        raise ValueError("block shorter than its restart count")
    end = len(block) - 4 - 4 * int.from_bytes(block[-4:], "little")
    if end < 0:
        raise ValueError("restart array larger than its block")
    key, pos = b"", 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_size, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + value_size > end:
            raise ValueError("block entry out of range")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + value_size]
        pos += value_size


def _table(data: bytes) -> dict[bytes, bytes]:
    """Every key and value of a LevelDB-format table (the index block lists the data blocks)."""
    if len(data) < _FOOTER_SIZE:
        raise ValueError("file shorter than a table footer")
    footer = data[-_FOOTER_SIZE:]
    if int.from_bytes(footer[-8:], "little") != _TABLE_MAGIC:
        raise ValueError("bad table magic number")
    pos = 0
    handles = []
    for _ in range(2):                  # the metaindex block (empty in checkpoints), then the index block
        offset, pos = _varint(footer, pos)
        size, pos = _varint(footer, pos)
        handles.append((offset, size))
    _block(data, handles[0])            # checked, not used
    table = {}
    for _, handle in _block_entries(_block(data, handles[1])):
        offset, p = _varint(handle, 0)
        size, _ = _varint(handle, p)
        table.update(_block_entries(_block(data, (offset, size))))
    return table


# --- the bundle -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    dtype: int                         # DataType enum
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    crc: int                           # masked crc32c of the bytes at [offset, offset + size)


def _entry(value: bytes) -> _Entry:
    f = _fields(value)
    shape = _fields(_one(f, 2, b""))
    if _one(shape, 3):
        raise ValueError("unknown rank")
    dims = tuple(_one(_fields(d), 1) for d in shape.get(2, []))
    if any(d >= 1 << 63 for d in dims):
        raise ValueError(f"negative dimension in shape {dims}")
    if f.get(7):
        raise ValueError("a sliced (partitioned) variable, which is not supported")
    entry = _Entry(_one(f, 1), dims, _one(f, 3), _one(f, 4), _one(f, 5), _one(f, 6))
    dtype = _DTYPES.get(entry.dtype)
    if dtype is not None and entry.size != dtype.itemsize * math.prod(dims):
        raise ValueError(f"{entry.size} bytes, but its shape {dims} and dtype {dtype} need "
                         f"{dtype.itemsize * math.prod(dims)}")
    return entry


class Checkpoint:
    """A checkpoint's tensors by name. The index is read and checked up front; tensors are read on demand."""

    def __init__(self, prefix: str | Path):
        prefix = str(prefix)
        self._index = prefix + ".index"
        try:
            with open(self._index, "rb") as f:
                data = f.read()
        except OSError as e:
            raise FrontendError(f"{self._index}: cannot read the checkpoint index ({e.strerror})") from None
        try:
            table = _table(data)
        except ValueError as e:
            raise FrontendError(f"{self._index}: corrupt checkpoint index: {e}") from None
        if b"" not in table:
            raise FrontendError(f"{self._index}: checkpoint index without its header entry")
        try:
            header = _fields(table.pop(b""))
            num_shards, big_endian = _one(header, 1), _one(header, 2)
        except ValueError as e:
            raise FrontendError(f"{self._index}: corrupt checkpoint header: {e}") from None
        if num_shards < 1:
            raise FrontendError(f"{self._index}: checkpoint header claims {num_shards} shards")
        if big_endian:
            raise FrontendError(f"{self._index}: big-endian checkpoints are not supported")
        self._shards, sizes = [], []
        for k in range(num_shards):
            shard = f"{prefix}.data-{k:05d}-of-{num_shards:05d}"
            try:
                sizes.append(os.path.getsize(shard))
            except OSError as e:
                raise FrontendError(f"{shard}: cannot read the checkpoint shard ({e.strerror})") from None
            self._shards.append(shard)
        self._entries: dict[str, _Entry] = {}
        for raw_key, value in table.items():
            key = raw_key.decode("utf-8", "backslashreplace")
            try:
                entry = _entry(value)
            except ValueError as e:
                raise FrontendError(f"{self._index}: tensor {key!r}: {e}") from None
            if entry.shard >= num_shards:
                raise FrontendError(f"{self._index}: tensor {key!r} is in shard {entry.shard} of {num_shards}")
            if entry.offset + entry.size > sizes[entry.shard]:
                raise FrontendError(f"{self._shards[entry.shard]}: tensor {key!r} at [{entry.offset}, "
                                    f"{entry.offset + entry.size}) runs past the end of the file "
                                    f"({sizes[entry.shard]} bytes)")
            self._entries[key] = entry

    def keys(self) -> list[str]:
        return list(self._entries)

    def tensor(self, key: str) -> np.ndarray:
        """The tensor ``key``, its bytes checked against the index's crc32c. DT_STRING tensors come back as an
        object array of ``bytes``."""
        entry = self._entries.get(key)
        if entry is None:
            raise FrontendError(f"{self._index}: no tensor {key!r} in the checkpoint")
        dtype = _DTYPES.get(entry.dtype)
        if dtype is None and entry.dtype != _DT_STRING:
            raise FrontendError(f"{self._index}: tensor {key!r} has unsupported DataType {entry.dtype}")
        shard = self._shards[entry.shard]
        raw = bytearray(entry.size)
        try:
            with open(shard, "rb") as f:
                f.seek(entry.offset)
                got = f.readinto(raw)
        except OSError as e:
            raise FrontendError(f"{shard}: cannot read tensor {key!r} ({e.strerror})") from None
        if got != entry.size:
            raise FrontendError(f"{shard}: tensor {key!r} at [{entry.offset}, {entry.offset + entry.size}) runs "
                                "past the end of the file")
        covered = raw
        if dtype is None:
            try:
                lengths, start = _string_layout(raw, math.prod(entry.shape))
            except ValueError as e:
                raise FrontendError(f"{shard}: string tensor {key!r}: {e}") from None
            covered = _lengths_u32(lengths) + raw[start - 4:]
        if _mask(_crc32c(covered)) != entry.crc:
            raise FrontendError(f"{shard}: tensor {key!r} fails its crc32c check: the file is corrupt")
        if dtype is not None:
            return np.frombuffer(raw, dtype).reshape(entry.shape)
        out = np.empty(len(lengths), dtype=object)
        for i, length in enumerate(lengths):
            out[i] = bytes(raw[start:start + length])
            start += length
        return out.reshape(entry.shape)

    def object_graph(self) -> bytes | None:
        """The serialized TrackableObjectGraph that maps checkpoint keys to the model's objects, if saved."""
        entry = self._entries.get(OBJECT_GRAPH_KEY)
        if entry is None:
            return None
        if entry.dtype != _DT_STRING or entry.shape != ():
            raise FrontendError(f"{self._index}: {OBJECT_GRAPH_KEY} is not a scalar string")
        return self.tensor(OBJECT_GRAPH_KEY)[()]


def _lengths_u32(lengths: list[int]) -> bytes:
    """The element lengths as TensorFlow checksums them: uint32 little-endian, not the varints it stores."""
    return b"".join((n & 0xFFFFFFFF).to_bytes(4, "little") for n in lengths)


def _string_layout(raw: bytearray, count: int) -> tuple[list[int], int]:
    """A DT_STRING tensor holds a varint length per element, the masked crc32c of those lengths, then the
    elements' bytes back to back: the lengths, and where the elements start."""
    lengths, pos = [], 0
    for _ in range(count):
        length, pos = _varint(raw, pos)
        lengths.append(length)
    if pos + 4 > len(raw) or _mask(_crc32c(_lengths_u32(lengths))) != int.from_bytes(raw[pos:pos + 4], "little"):
        raise ValueError("bad checksum of the element lengths")
    start = pos + 4
    if start + sum(lengths) != len(raw):
        raise ValueError(f"element lengths add up to {sum(lengths)} bytes, the tensor holds {len(raw) - start}")
    return lengths, start
