"""The format registry: content sniffing, reading and writing by format name.

Each format module (``dzt.py``, ``dt1.py`` …) defines one :class:`Format`
with a sniffer that looks at the file's first bytes (and its side-car files
where the format has no magic number), a reader and, where roadbed can write
the format, a writer. ``roadbed.read`` tries the sniffers; the file's
extension only breaks ties, so a DZT renamed ``.dat`` still reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from ..errors import FormatError

__all__ = ["Format", "register", "formats", "detect", "read", "write", "HEAD_BYTES"]

#: how many leading bytes a sniffer is shown
HEAD_BYTES = 4096


@dataclass(frozen=True)
class Format:
    """One file format roadbed can read (and perhaps write).

    Attributes
    ----------
    name : str
        Short name, e.g. ``"dzt"``; the ``format=`` argument of read/write.
    description : str
        Human name, listed in errors for unknown files.
    extensions : tuple of str
        Lower-case extensions with the dot, e.g. ``(".dzt",)``.
    sniff : callable
        ``sniff(path: Path, head: bytes) -> bool``; must not raise.
    read : callable
        ``read(path: Path, **options) -> xarray.DataArray``; raises
        :class:`~roadbed.FormatError` for a file it cannot read.
    write : callable, optional
        ``write(da, path: Path, **options) -> None``.
    """

    name: str
    description: str
    extensions: tuple[str, ...]
    sniff: Callable[[Path, bytes], bool]
    read: Callable[..., xr.DataArray]
    write: Callable[..., None] | None = field(default=None)


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add ``fmt`` to the registry (replacing one of the same name)."""
    _FORMATS[fmt.name] = fmt
    return fmt


def formats() -> dict[str, Format]:
    """The registered formats by name."""
    return dict(_FORMATS)


def _supported() -> str:
    return "; ".join(f"{f.name} ({f.description}, {'/'.join(f.extensions)})" for f in _FORMATS.values())


def _head(path: Path) -> bytes:
    if path.is_dir():
        return b""
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES)


def detect(path) -> Format:
    """The format of the file at ``path``, judged by its content.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    FormatError
        If no registered format recognises the file; the message lists the
        supported formats.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    head = _head(path)
    ext = path.suffix.lower()
    matches = []
    for fmt in _FORMATS.values():
        try:
            ok = fmt.sniff(path, head)
        except Exception:  # a sniffer that trips is a format that does not match
            ok = False
        if ok:
            matches.append(fmt)
    if not matches:
        raise FormatError(path, "content", f"one of the supported formats: {_supported()}")
    for fmt in matches:  # the extension breaks ties between sniffers
        if ext in fmt.extensions:
            return fmt
    return matches[0]


def _by_name(name: str, path) -> Format:
    try:
        return _FORMATS[name.lower()]
    except KeyError:
        raise FormatError(path, "format", f"one of {sorted(_FORMATS)}", got=name) from None


def read(path, *, format: str | None = None, **options) -> xr.DataArray:
    """Read a radargram (or pavement scan) from any supported file.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Side-car files (``.HD``, ``.DZG``, ``.rad`` …) are found
        beside it.
    format : str, optional
        Skip detection and use this format (see :func:`formats`).
    **options
        Passed to the format's reader.

    Returns
    -------
    xarray.DataArray
        A radargram in the data model of :mod:`roadbed.conventions`.
    """
    path = Path(os.fspath(path))
    fmt = _by_name(format, path) if format else detect(path)
    return fmt.read(path, **options)


def write(da: xr.DataArray, path, *, format: str | None = None, **options) -> Path:
    """Write a radargram; the format follows ``format`` or the extension.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(os.fspath(path))
    if format:
        fmt = _by_name(format, path)
    else:
        ext = path.suffix.lower()
        candidates = [f for f in _FORMATS.values() if f.write is not None and ext in f.extensions]
        if not candidates:
            writable = sorted({e for f in _FORMATS.values() if f.write for e in f.extensions})
            raise FormatError(path, "extension", f"one of {writable} for writing", got=ext)
        fmt = candidates[0]
    if fmt.write is None:
        raise FormatError(path, "format", "a format roadbed can write", got=fmt.name)
    fmt.write(da, path, **options)
    return path
