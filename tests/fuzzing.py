"""Tools for fuzzing readers: mutate a valid file, then demand a clean outcome.

A reader given a mutated file must either return a valid radargram or raise
:class:`roadbed.FormatError` — no other exception, no hang (pytest-timeout),
and no allocation sized by an unchecked header field (peak traced memory is
bounded by a multiple of the bytes on disk).
"""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import roadbed

#: memory a reader may use beyond ALLOC_FACTOR × the bytes on disk
ALLOC_SLACK = 32 * 2**20
#: a reader may hold a few float copies of the file's samples at once
ALLOC_FACTOR = 24


@st.composite
def mutations(draw, size: int, header_size: int = 1024):
    """A list of edits ``(kind, offset, payload)`` to apply to a file of ``size`` bytes."""
    n = draw(st.integers(1, 4))
    edits = []
    for _ in range(n):
        kind = draw(st.sampled_from(["flip", "word", "truncate", "zero", "append"]))
        hi = max(0, min(size, header_size) - 1)
        if kind == "flip":
            edits.append(("flip", draw(st.integers(0, hi)), draw(st.integers(1, 255))))
        elif kind == "word":
            value = draw(st.sampled_from([0, 1, 2, 3, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000]))
            edits.append(("word", draw(st.integers(0, hi)), value))
        elif kind == "truncate":
            edits.append(("truncate", draw(st.integers(0, max(0, size - 1))), 0))
        elif kind == "zero":
            edits.append(("zero", 0, 0))
        else:
            edits.append(("append", 0, draw(st.integers(1, 3000))))
    return edits


def apply(data: bytes, edits) -> bytes:
    """The bytes of ``data`` with ``edits`` (from :func:`mutations`) applied."""
    buf = bytearray(data)
    for kind, offset, payload in edits:
        if kind == "flip" and offset < len(buf):
            buf[offset] ^= payload
        elif kind == "word" and offset + 4 <= len(buf):
            buf[offset:offset + 4] = int(payload).to_bytes(4, "little")
        elif kind == "truncate":
            del buf[offset:]
        elif kind == "zero":
            buf = bytearray()
        elif kind == "append":
            buf.extend(b"\x5a" * payload)
    return bytes(buf)


def copy_with_sidecars(src: Path, dest_dir: Path, sidecar_suffixes=()) -> Path:
    """Copy ``src`` and its side-car files (same stem) into ``dest_dir``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = dest_dir / src.name
    shutil.copyfile(src, out)
    for suffix in sidecar_suffixes:
        side = src.with_name(src.stem + suffix)
        if side.exists():
            shutil.copyfile(side, dest_dir / side.name)
    return out


def assert_reads_or_format_error(path: Path, read=roadbed.read, on_disk_bytes: int | None = None):
    """Read ``path`` fully; pass if it reads or raises FormatError, fail otherwise.

    Returns the DataArray, or None where FormatError was raised.
    """
    if on_disk_bytes is None:
        on_disk_bytes = sum(p.stat().st_size for p in Path(path).parent.iterdir() if p.is_file())
    tracemalloc.start()
    try:
        try:
            da = read(path)
            values = np.asarray(da.values)
        except roadbed.FormatError:
            return None
        finally:
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= ALLOC_SLACK + ALLOC_FACTOR * on_disk_bytes, (
        f"reading {path} allocated {peak} bytes for {on_disk_bytes} bytes on disk"
    )
    assert values.ndim in (2, 3) and values.size > 0
    return da
