"""The library-wide error for input that cannot be read."""

from __future__ import annotations

import os

__all__ = ["FormatError"]


class FormatError(ValueError):
    """A file (or manifest) does not hold what its format promises.

    The message always names the file, the field at fault and what was
    expected, so that a batch run over many files says which one to look at.

    Parameters
    ----------
    path : str or os.PathLike
        The file that could not be read.
    field : str
        The header field, section or property that is wrong (e.g.
        ``"rh_nsamp"``, ``"trace 12"``, ``"file size"``).
    expected : str
        What a valid file holds there, in words.
    got : object, optional
        What this file holds there instead.

    Examples
    --------
    >>> raise FormatError("line1.dzt", "rh_bits", "8, 16 or 32", got=12)
    Traceback (most recent call last):
    ...
    roadbed.errors.FormatError: line1.dzt: field 'rh_bits': expected 8, 16 or 32, got 12
    """

    def __init__(self, path, field: str, expected: str, got: object = None):
        self.path = os.fspath(path) if path is not None else "<unknown>"
        self.field = field
        self.expected = expected
        self.got = got
        message = f"{self.path}: field {field!r}: expected {expected}"
        if got is not None:
            message += f", got {got!r}"
        super().__init__(message)

    def __reduce__(self):  # keep the error picklable across worker processes
        return (type(self), (self.path, self.field, self.expected, self.got))
