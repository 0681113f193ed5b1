"""Best-of-n wall-clock timing, shared by every benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, repeat: int = 3) -> float:
    """The shortest of ``repeat`` runs of ``fn()``, in seconds (after one warm-up run)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
