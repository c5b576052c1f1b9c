"""Host tensors as OpenVINO's Python API has them: ``Tensor`` over a NumPy array, numeric or string."""
from __future__ import annotations

import warnings

import numpy as np

from ovcl.ir import Output, Shape, Type

from .errors import InferenceError


def host_dtype(t: Type) -> np.dtype:
    """The NumPy dtype a host tensor of ``t`` holds (strings: Python bytes objects)."""
    if t is Type.string:
        return np.dtype(object)
    return np.dtype(np.bool_) if t is Type.boolean else t.dtype


def _as_bytes(values) -> np.ndarray:
    """An object array of ``bytes`` from text or bytes (NumPy strings, or Python str/bytes in an object array);
    text is encoded as UTF-8."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "USO":
        raise InferenceError(f"a string tensor takes str or bytes values, not {arr.dtype}")
    out = np.empty(arr.shape, dtype=object)
    for i, v in enumerate(arr.flat):
        if isinstance(v, np.str_ | str):
            v = str(v).encode("utf-8")
        elif not isinstance(v, bytes):
            raise InferenceError(f"a string tensor takes str or bytes values, not {type(v).__name__}")
        out.flat[i] = bytes(v)
    return out


class Tensor:
    """A host tensor, as OpenVINO's: ``Tensor(array)`` copies the array (``shared_memory=True`` wraps it
    instead), ``Tensor(Type.f32, [2, 3])`` and ``Tensor(port)`` allocate one of that type and shape. A string
    tensor (from NumPy text or bytes, or ``Type.string``) holds bytes: ``str_data`` reads and writes them as
    UTF-8 text, ``bytes_data`` as they are."""

    def __init__(self, array=None, shape=None, type=None, shared_memory: bool = False):  # noqa: A002
        if isinstance(array, Output):
            array, shape = array.get_element_type(), [d.get_length() if d.is_static else 0
                                                      for d in array.get_partial_shape()]
        if isinstance(array, Type) or (array is None and (shape is not None or type is not None)):
            t = array if isinstance(array, Type) else Type.f32 if type is None else Type(type)
            self._data = (np.full(tuple(shape or ()), b"", dtype=object) if t is Type.string else
                          np.zeros(tuple(shape or ()), dtype=host_dtype(t)))
        elif isinstance(array, Tensor):
            self._data = array._data if shared_memory else array._data.copy()
        elif array is None:
            self._data = np.zeros((0,), np.float32)
        elif np.asarray(array).dtype.kind in "SU":     # strings are always copied into bytes objects
            self._data = _as_bytes(array)
        else:
            self._data = np.asarray(array) if shared_memory else np.array(array)

    @property
    def data(self) -> np.ndarray:
        if self._is_string:
            warnings.warn("a string tensor's data is a copy; read and write it with str_data or bytes_data",
                          RuntimeWarning, stacklevel=2)
            return self.bytes_data
        return self._data

    @property
    def _is_string(self) -> bool:
        return self._data.dtype == object

    @property
    def str_data(self) -> np.ndarray:
        """A string tensor's elements as text (UTF-8), a NumPy array of its shape."""
        return np.array([b.decode("utf-8") for b in self._strings().flat], dtype=str).reshape(self._data.shape)

    @str_data.setter
    def str_data(self, values) -> None:
        self._set_strings(values)

    @property
    def bytes_data(self) -> np.ndarray:
        """A string tensor's elements as bytes, a NumPy array of its shape."""
        return np.array(list(self._strings().flat), dtype=bytes).reshape(self._data.shape)

    @bytes_data.setter
    def bytes_data(self, values) -> None:
        self._set_strings(values)

    def _strings(self) -> np.ndarray:
        if not self._is_string:
            raise InferenceError(f"str_data and bytes_data are for string tensors; this one is {self.element_type}")
        return self._data

    def _set_strings(self, values) -> None:
        self._strings()
        new = _as_bytes(values)
        if new.size != self._data.size:
            raise InferenceError(f"{new.size} strings for a string tensor of {self._data.size} elements")
        self._data = new.reshape(self._data.shape)

    @property
    def shape(self) -> Shape:
        return Shape(self._data.shape)

    def get_shape(self) -> Shape:
        return self.shape

    def set_shape(self, shape) -> None:
        """A new shape; the memory is kept where the element count stays (its contents are then undefined, as
        in OpenVINO), else reallocated."""
        shape = tuple(int(d) for d in shape)
        if int(np.prod(shape, dtype=np.int64)) == self._data.size:
            self._data = self._data.reshape(shape)
        else:
            self._data = (np.full(shape, b"", dtype=object) if self._is_string else
                          np.zeros(shape, self._data.dtype))

    @property
    def element_type(self) -> Type:
        return Type.string if self._is_string else Type.from_dtype(self._data.dtype)

    def get_element_type(self) -> Type:
        return self.element_type

    @property
    def size(self) -> int:
        return int(self._data.size)

    def get_size(self) -> int:
        return self.size

    @property
    def byte_size(self) -> int:
        return self.size * Type.string.size if self._is_string else int(self._data.nbytes)

    def get_byte_size(self) -> int:
        return self.byte_size

    @property
    def strides(self) -> list[int]:
        return list(self._data.strides)

    def get_strides(self) -> list[int]:
        return self.strides

    def is_continuous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def copy_from(self, source) -> None:
        """The source's values (a Tensor or an array of this element type), taking its shape."""
        src = source._data if isinstance(source, Tensor) else np.asarray(source)
        if self._is_string:
            src = _as_bytes(src)
        if src.dtype != self._data.dtype:
            raise InferenceError(f"cannot copy a {src.dtype} tensor into a {self._data.dtype} one")
        if src.shape != self._data.shape:
            self.set_shape(src.shape)
        np.copyto(self._data, src)

    def copy_to(self, target: "Tensor") -> None:
        target.copy_from(self)

    def __array__(self, dtype=None, copy=None):
        data = self.bytes_data if self._is_string else self._data
        return data if dtype is None else data.astype(dtype)

    def __repr__(self):
        return f"<Tensor: shape{self.shape} type: {self.element_type}>"
