"""Checked access to binary files: every count is validated before it sizes anything.

Readers use these helpers instead of raw ``struct``/``numpy`` calls so that a
truncated or corrupted file gives a :class:`~roadbed.FormatError` naming the
field, never an ``IndexError`` deep inside numpy or an allocation sized by a
garbage header field.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import FormatError

__all__ = ["unpack_at", "check_range", "check_choice", "memmap_block", "file_size"]


def file_size(path: Path) -> int:
    """Size of ``path`` in bytes."""
    return Path(path).stat().st_size


def unpack_at(path: Path, buffer: bytes, fmt: str, offset: int, field: str):
    """``struct.unpack_from`` that names the field when the buffer is too short."""
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(buffer):
        raise FormatError(path, field, f"{size} bytes at offset {offset}", got=f"file of {len(buffer)} bytes")
    values = struct.unpack_from(fmt, buffer, offset)
    return values[0] if len(values) == 1 else values


def check_range(path: Path, field: str, value, low, high):
    """Return ``value`` if ``low <= value <= high``, else raise FormatError."""
    try:
        ok = low <= value <= high
    except TypeError:
        ok = False
    if not ok or (isinstance(value, float) and not np.isfinite(value)):
        raise FormatError(path, field, f"a value in [{low}, {high}]", got=value)
    return value


def check_choice(path: Path, field: str, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise FormatError."""
    if value not in choices:
        raise FormatError(path, field, f"one of {sorted(choices)}", got=value)
    return value


def memmap_block(path: Path, dtype, offset: int, shape: tuple[int, ...], *, field: str = "data") -> np.ndarray:
    """Memory-map ``shape`` items of ``dtype`` at ``offset``, after checking the file holds them.

    The shape comes from a header; it is trusted only once the file is known
    to be long enough, so no allocation is ever sized by a bad header.
    """
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if any(int(s) <= 0 for s in shape):
        raise FormatError(path, field, "at least one trace and one sample", got=shape)
    need = offset + count * dtype.itemsize
    have = file_size(path)
    if have < need:
        raise FormatError(path, field, f"{need} bytes for {shape} samples of {dtype} from byte {offset}",
                          got=f"file of {have} bytes")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=tuple(int(s) for s in shape))
