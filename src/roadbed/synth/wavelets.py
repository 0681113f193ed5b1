"""Source wavelets for synthetic radargrams.

The synthetic generator places a zero-phase Ricker wavelet at every arrival:
its main lobe is at the arrival time, so the sign of the largest sample of an
isolated event is the sign of that event's reflection coefficient.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ricker", "ricker_half_support_ns", "RICKER_SUPPORT_PERIODS"]

#: the wavelet is cut at ±1.5 periods of its centre frequency, where it is below 1e-8 of its peak
RICKER_SUPPORT_PERIODS = 1.5


def ricker(t_ns, *, frequency_hz: float) -> np.ndarray:
    """The Ricker (Mexican-hat) wavelet, peak amplitude 1 at ``t = 0``.

    ``w(t) = (1 − 2 π² f² t²) · exp(−π² f² t²)``; ``f`` is the peak frequency
    of its amplitude spectrum (the antenna's centre frequency).

    Parameters
    ----------
    t_ns : array_like, any shape
        Time relative to the arrival, ns.
    frequency_hz : float
        Centre (peak) frequency, Hz.

    Returns
    -------
    numpy.ndarray, same shape as ``t_ns``, float64
        Dimensionless amplitude.
    """
    if not frequency_hz > 0:
        raise ValueError(f"frequency_hz must be positive, got {frequency_hz}")
    s2 = (np.pi * frequency_hz * 1e-9 * np.asarray(t_ns, dtype=np.float64)) ** 2
    return (1.0 - 2.0 * s2) * np.exp(-s2)


def ricker_half_support_ns(frequency_hz: float) -> float:
    """Half-length of the support the generator gives a Ricker wavelet, ns.

    Parameters
    ----------
    frequency_hz : float
        Centre frequency, Hz.

    Returns
    -------
    float
        ``RICKER_SUPPORT_PERIODS / f`` in ns; beyond it ``|w| < 1e-8``.
    """
    if not frequency_hz > 0:
        raise ValueError(f"frequency_hz must be positive, got {frequency_hz}")
    return RICKER_SUPPORT_PERIODS / (frequency_hz * 1e-9)
