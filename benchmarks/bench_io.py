"""Reading: opening a large DZT lazily and reading a window, against reading it whole with numpy."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import roadbed
from benchmarks._timing import best_of


def _big_dzt(folder: Path, n_traces: int, n_channels: int = 4, n_samples: int = 512) -> Path:
    """A multi-channel 16-bit DZT of ``n_traces`` scans, written block by block."""
    small = roadbed.radargram(
        np.zeros((n_channels, 1000, n_samples), np.float32), twt_ns=np.arange(n_samples) * 0.1,
        attrs={"frequency_hz": 600e6},
    )
    path = folder / "big.dzt"
    roadbed.write(small, path, bits=16)
    header = path.read_bytes()[: 1024 * n_channels]
    block = np.random.default_rng(0).integers(0, 65535, (1000, n_channels, n_samples), dtype=np.uint16).tobytes()
    with open(path, "wb") as fh:
        fh.write(header)
        for _ in range(n_traces // 1000):
            fh.write(block)
    return path


def run(quick: bool) -> list[dict]:
    n_traces = 20_000 if quick else 200_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = _big_dzt(Path(tmp), n_traces)
        size_mb = path.stat().st_size / 2**20
        t_open = best_of(lambda: roadbed.read(path))
        t_numpy = best_of(lambda: np.fromfile(path, dtype=np.uint16))
        rows.append({"benchmark": f"open DZT ({size_mb:.0f} MB)", "roadbed_s": t_open, "reference": "np.fromfile",
                     "reference_s": t_numpy, "speed-up": t_numpy / t_open})
        da = roadbed.read(path)
        t_window = best_of(lambda: da.isel(trace=slice(n_traces // 2, n_traces // 2 + 1000)).values)
        t_all = best_of(lambda: roadbed.read(path).values, repeat=1)
        rows.append({"benchmark": "read 1,000-trace window", "roadbed_s": t_window, "reference": "read all",
                     "reference_s": t_all, "speed-up": t_all / t_window})
    return rows
