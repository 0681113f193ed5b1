"""GPR processing: DataArray in, new DataArray out, numba kernels with numpy twins."""

from __future__ import annotations
