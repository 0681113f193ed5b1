"""Plain-text ``KEY = value`` / ``KEY:value`` headers and the side-car files that hold them.

Sensors & Software ``.HD`` and MALA ``.rad`` files are short text files
beside the binary data. The helpers here find them whatever the case of
their extension, read them with a size limit, and turn their values into
checked numbers, so that a reader never trusts a text field it has not
range-checked.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import FormatError

__all__ = [
    "MAX_HEADER_BYTES",
    "TextHeader",
    "read_text_header",
    "read_text_lines",
    "find_sidecar",
    "attr_key",
    "number",
]

#: a text header larger than this is not a header (guards the read)
MAX_HEADER_BYTES = 1 << 20


class TextHeader:
    """The parsed lines of a text header.

    Attributes
    ----------
    path : pathlib.Path
        The header file.
    values : dict of str to str
        Upper-cased, whitespace-normalised keys → stripped values (the first
        occurrence of a key wins).
    free_lines : list of str
        Non-empty lines without a separator, in order (e.g. the ``.HD``
        file tag, instrument and date lines).
    """

    def __init__(self, path: Path, values: dict[str, str], free_lines: list[str]):
        self.path = path
        self.values = values
        self.free_lines = free_lines

    def get(self, key: str, default=None):
        """The raw text of ``key`` (case-insensitive), or ``default``."""
        return self.values.get(_norm_key(key), default)

    def __contains__(self, key: str) -> bool:
        return _norm_key(key) in self.values


def _norm_key(key: str) -> str:
    return " ".join(key.upper().split())


def parse_text_header(path: Path, text: str, separator: str) -> TextHeader:
    """Split ``text`` into ``KEY<separator>value`` pairs and free lines."""
    values: dict[str, str] = {}
    free: list[str] = []
    for raw_line in text.replace("\r", "\n").split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        if separator in line:
            key, value = line.split(separator, 1)
            key = _norm_key(key)
            if key:
                values.setdefault(key, value.strip())
                continue
        free.append(line)
    return TextHeader(Path(path), values, free)


def read_text_header(path: Path, separator: str, *, field: str = "header") -> TextHeader:
    """Read and parse the text header at ``path``.

    Raises
    ------
    FormatError
        If the file is larger than :data:`MAX_HEADER_BYTES`, holds NUL bytes
        (a binary file) or cannot be read.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_HEADER_BYTES:
            raise FormatError(path, field, f"a text header under {MAX_HEADER_BYTES} bytes", got=size)
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, field, "a readable text header", got=str(exc)) from None
    if b"\x00" in raw:
        raise FormatError(path, field, "a text header (no NUL bytes)", got="binary content")
    return parse_text_header(path, raw.decode("latin-1"), separator)


def read_text_lines(path: Path, *, field: str = "text") -> list[str]:
    """The non-empty, stripped lines of a short text file (same checks as :func:`read_text_header`)."""
    return read_text_header(path, "\x00", field=field).free_lines


def find_sidecar(path: Path, suffix: str, *, stem: str | None = None) -> Path | None:
    """The file ``<stem><suffix>`` beside ``path``, matched case-insensitively.

    An exact-case match wins; otherwise the first case-insensitive match in
    sorted order. ``stem`` defaults to the stem of ``path``.
    """
    path = Path(path)
    stem = path.stem if stem is None else stem
    exact = path.with_name(stem + suffix)
    if exact.is_file():
        return exact
    target = (stem + suffix).lower()
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return None
    for entry in entries:
        if entry.name.lower() == target and entry.is_file():
            return entry
    return None


def attr_key(key: str) -> str:
    """A header key made into a netCDF-safe attribute name: ``"NUMBER OF PTS/TRC"`` → ``"number_of_pts_trc"``."""
    return re.sub(r"[^0-9a-z]+", "_", key.lower()).strip("_") or "field"


def number(header: TextHeader, key: str, *, low: float, high: float, integer: bool = False,
           required: bool = True, default=None):
    """The value of ``key`` as a finite number in ``[low, high]``.

    Parameters
    ----------
    header : TextHeader
        The parsed header.
    key : str
        The header key (case-insensitive).
    low, high : float
        The accepted range, inclusive.
    integer : bool
        Demand a whole number and return an ``int``.
    required : bool
        Raise when the key is absent; otherwise return ``default``.

    Raises
    ------
    FormatError
        Naming the header file and key, when the key is missing (and
        required), not a number, not finite, not whole (``integer``), or out
        of range.
    """
    text = header.get(key)
    if text is None or text == "":
        if required:
            raise FormatError(header.path, key, "a value (the key is missing)")
        return default
    token = text.split()[0] if text.split() else text
    try:
        value = float(token)
    except ValueError:
        raise FormatError(header.path, key, "a number", got=text) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise FormatError(header.path, key, f"a finite number in [{low}, {high}]", got=text)
    if integer:
        if value != int(value):
            raise FormatError(header.path, key, "a whole number", got=text)
        return int(value)
    return value
