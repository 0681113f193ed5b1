"""Readers and writers: ``read(path)`` for every supported format.

Importing this package registers each format module below with the registry
(:mod:`roadbed.io._registry`). Add a format by writing a module that defines
``FORMATS``, a tuple of :class:`~roadbed.io._registry.Format`, and naming the
module here (one line per module).
"""

from __future__ import annotations

import importlib

from ._registry import Format, detect, formats, read, register, write

__all__ = ["Format", "detect", "formats", "read", "register", "write"]

_FORMAT_MODULES = (
    "segy", "gprmax", "netcdf",
    "dzt",
    "dt1", "mala",
)

for _name in _FORMAT_MODULES:
    for _fmt in importlib.import_module(f"{__name__}.{_name}").FORMATS:
        register(_fmt)
