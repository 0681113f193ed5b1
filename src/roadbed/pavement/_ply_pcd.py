"""Header checks of PLY and PCD point files, before open3d reads them.

open3d reads a truncated file into a cloud of the header's size filled
with whatever memory held, and only prints a warning. So the header is
parsed here and its counts are checked against the bytes (or lines) the
file really holds; :func:`check_ply` and :func:`check_pcd` return the
number of points the file must yield.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FormatError

__all__ = ["check_ply", "check_pcd", "HEADER_LIMIT"]

#: a header longer than this is not a header
HEADER_LIMIT = 1 << 16

_PLY_SIZES = {
    "char": 1, "uchar": 1, "short": 2, "ushort": 2, "int": 4, "uint": 4, "float": 4, "double": 8,
    "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "float32": 4, "float64": 8,
}  # fmt: skip


def _header(path: Path, end: bytes) -> tuple[list[str], int]:
    with open(path, "rb") as fh:
        head = fh.read(HEADER_LIMIT)
    stop = head.find(end)
    if stop < 0:
        raise FormatError(path, "header", f"a header ending in {end.decode().strip()!r} within {HEADER_LIMIT} bytes")
    try:
        text = head[: stop + len(end)].decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError(path, "header", "ASCII header lines") from exc
    return text.splitlines(), stop + len(end)


def _count(path: Path, field: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise FormatError(path, field, "a whole number", got=text) from exc
    if value < 0:
        raise FormatError(path, field, "a count ≥ 0", got=value)
    return value


def _check_text_rows(path: Path, offset: int, blocks: list[tuple[int, int | None]]) -> None:
    """Check the data lines after ``offset``: ``blocks`` of (line count, tokens per line or None)."""
    needed = sum(n for n, _ in blocks)
    have = 0
    with open(path, "rb") as fh:
        fh.seek(offset)
        block, left = 0, blocks[0][0] if blocks else 0
        for line in fh:
            words = line.split()
            if not words:
                continue
            while block < len(blocks) and left == 0:
                block += 1
                left = blocks[block][0] if block < len(blocks) else 0
            if block >= len(blocks):
                break
            tokens = blocks[block][1]
            if tokens is not None and len(words) != tokens:
                raise FormatError(path, f"data line {have + 1}", f"{tokens} values", got=len(words))
            have += 1
            left -= 1
    if have < needed:
        raise FormatError(path, "file size", f"{needed} data lines after the header", got=have)


def check_ply(path: Path) -> int:
    """Check a PLY header against the file; return its vertex count.

    Raises
    ------
    roadbed.FormatError
        A malformed header, no vertex element with x, y, z, or fewer bytes
        (binary) or lines (ASCII) than the header's element counts need.
    """
    size = path.stat().st_size
    lines, data_start = _header(path, b"end_header\n")
    if not lines or lines[0].strip() != "ply":
        raise FormatError(path, "magic", "'ply'", got=lines[0] if lines else "")
    fmt = None
    elements: list[list] = []  # [name, count, fixed bytes, has list property, property names]
    for line in lines[1:]:
        words = line.split()
        if not words or words[0] in ("comment", "obj_info", "end_header"):
            continue
        if words[0] == "format":
            if len(words) < 2 or words[1] not in ("ascii", "binary_little_endian", "binary_big_endian"):
                raise FormatError(path, "format", "ascii, binary_little_endian or binary_big_endian", got=line)
            fmt = words[1]
        elif words[0] == "element":
            if len(words) != 3:
                raise FormatError(path, "element", "'element NAME COUNT'", got=line)
            elements.append([words[1], _count(path, f"element {words[1]}", words[2]), 0, False, []])
        elif words[0] == "property":
            if not elements:
                raise FormatError(path, "property", "a property after an element line", got=line)
            element = elements[-1]
            if len(words) == 5 and words[1] == "list" and words[2] in _PLY_SIZES and words[3] in _PLY_SIZES:
                element[2] += _PLY_SIZES[words[2]]  # at least the list's length
                element[3] = True
                element[4].append(words[4])
            elif len(words) == 3 and words[1] in _PLY_SIZES:
                element[2] += _PLY_SIZES[words[1]]
                element[4].append(words[2])
            else:
                raise FormatError(path, "property", "'property TYPE NAME' or 'property list T T NAME'", got=line)
        else:
            raise FormatError(path, "header", "format, element, property or comment lines", got=line)
    if fmt is None:
        raise FormatError(path, "format", "a format line")
    vertex = next((e for e in elements if e[0] == "vertex"), None)
    if vertex is None or not {"x", "y", "z"} <= set(vertex[4]):
        raise FormatError(path, "element vertex", "a vertex element with x, y and z properties")
    if fmt == "ascii":
        _check_text_rows(path, data_start, [(e[1], None if e[3] else len(e[4])) for e in elements])
    else:
        needed = sum(e[1] * e[2] for e in elements)
        if data_start + needed > size:
            raise FormatError(path, "file size", f"at least {data_start + needed} bytes for the header's elements",
                              got=size)  # fmt: skip
    return int(vertex[1])


def check_pcd(path: Path) -> int:
    """Check a PCD header against the file; return its point count.

    Raises
    ------
    roadbed.FormatError
        A malformed header, fields without x, y, z, or fewer bytes (binary),
        lines (ASCII) or compressed bytes than ``POINTS`` needs.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(HEADER_LIMIT)
    offset = 0
    lines = []
    for raw in head.split(b"\n")[:-1]:  # complete lines only
        offset += len(raw) + 1
        try:
            lines.append(raw.decode("ascii"))
        except UnicodeDecodeError as exc:
            raise FormatError(path, "header", "ASCII header lines") from exc
        if raw.startswith(b"DATA"):
            break
    else:
        raise FormatError(path, "DATA", f"a DATA line within {HEADER_LIMIT} bytes")
    data_start = offset
    fields: dict[str, list[str]] = {}
    for line in lines:
        words = line.split()
        if words and not words[0].startswith("#"):
            fields[words[0].upper()] = words[1:]
    for key in ("FIELDS", "SIZE", "POINTS", "DATA"):
        if key not in fields:
            raise FormatError(path, key, f"a {key} line")
    names = fields["FIELDS"]
    if not {"x", "y", "z"} <= set(names):
        raise FormatError(path, "FIELDS", "x, y and z among the fields", got=" ".join(names))
    sizes = [_count(path, "SIZE", s) for s in fields["SIZE"]]
    counts = [_count(path, "COUNT", c) for c in fields.get("COUNT", ["1"] * len(names))]
    if not (len(sizes) == len(counts) == len(names)):
        raise FormatError(path, "SIZE", f"{len(names)} sizes and counts, one per field", got=(len(sizes), len(counts)))
    if fields["POINTS"] == [] or len(fields["POINTS"]) != 1:
        raise FormatError(path, "POINTS", "one count", got=" ".join(fields["POINTS"]))
    n = _count(path, "POINTS", fields["POINTS"][0])
    record = sum(s * c for s, c in zip(sizes, counts, strict=True))
    mode = fields["DATA"][0].lower() if fields["DATA"] else ""
    if mode == "ascii":
        _check_text_rows(path, data_start, [(n, sum(counts))])
    elif mode == "binary":
        if data_start + n * record > size:
            raise FormatError(path, "file size", f"at least {data_start + n * record} bytes for {n} points", got=size)
    elif mode == "binary_compressed":
        with open(path, "rb") as fh:
            fh.seek(data_start)
            sizes_raw = fh.read(8)
        if len(sizes_raw) < 8:
            raise FormatError(path, "file size", "compressed and uncompressed sizes after the header", got=size)
        compressed = int.from_bytes(sizes_raw[:4], "little")
        uncompressed = int.from_bytes(sizes_raw[4:], "little")
        if uncompressed != n * record:
            raise FormatError(path, "uncompressed size", f"{n * record} bytes for {n} points", got=uncompressed)
        if data_start + 8 + compressed > size:
            raise FormatError(path, "file size", f"at least {data_start + 8 + compressed} bytes", got=size)
    else:
        raise FormatError(path, "DATA", "ascii, binary or binary_compressed", got=" ".join(fields["DATA"]))
    return n
