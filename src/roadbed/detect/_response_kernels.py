"""Numba kernels of response finding (twins in :mod:`roadbed.detect._response_reference`).

Both work on an envelope image ``env`` of shape (n_traces, n_samples):

:func:`local_maxima`
    2-D non-maximum suppression: the samples above a per-sample threshold
    that no sample within a box of ``±half_traces`` × ``±half_samples``
    exceeds (ties are all kept; the box is cut at the image's edges).
:func:`follow_ridge`
    From one sample, step trace by trace to each side, taking on every trace
    the largest envelope within ``[previous − up, previous + down]`` samples,
    while it stays at or above ``level``: the ridge of a flat top or of a
    diffraction's flanks (times grow away from the apex).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange


@numba.njit(cache=True, parallel=True)
def local_maxima(env, threshold, half_traces, half_samples, first_sample, stop_sample):
    """Mask (uint8, shape of ``env``) of the local maxima above ``threshold``.

    Parameters
    ----------
    env : ndarray, shape (n_traces, n_samples), float
    threshold : ndarray, shape (n_samples,), float64
        A sample counts only where ``env > threshold[sample]``.
    half_traces, half_samples : int
        Half-sizes of the suppression box.
    first_sample, stop_sample : int
        Only samples ``first_sample <= k < stop_sample`` can be maxima (all suppress).
    """
    n_tr, n_s = env.shape
    out = np.zeros((n_tr, n_s), np.uint8)
    for i in prange(n_tr):
        a, b = max(0, i - half_traces), min(n_tr, i + half_traces + 1)
        for k in range(max(first_sample, 0), min(stop_sample, n_s)):
            value = env[i, k]
            if not value > threshold[k]:
                continue
            lo, hi = max(0, k - half_samples), min(n_s, k + half_samples + 1)
            # the trace itself first: most samples fail on their own slope
            keep = True
            for kk in range(lo, hi):
                if env[i, kk] > value:
                    keep = False
                    break
            if not keep:
                continue
            for ii in range(a, b):
                if ii == i:
                    continue
                for kk in range(lo, hi):
                    if env[ii, kk] > value:
                        keep = False
                        break
                if not keep:
                    break
            if keep:
                out[i, k] = 1
    return out


@numba.njit(cache=True)
def follow_ridge(env, trace, sample, up, down, level, max_steps):
    """The ridge through ``(trace, sample)``: the sample picked on each trace, −1 where not reached.

    Parameters
    ----------
    env : ndarray, shape (n_traces, n_samples), float
    trace, sample : int
        Start (its own value is not tested against ``level``).
    up, down : int
        Samples the ridge may move earlier / later from one trace to the next (≥ 0).
    level : float
        The ridge ends before the first trace whose best value is below it.
    max_steps : int
        Traces followed at most on each side.

    Returns
    -------
    ndarray, shape (n_traces,), int64
    """
    n_tr, n_s = env.shape
    picks = np.full(n_tr, -1, np.int64)
    picks[trace] = sample
    for direction in (-1, 1):
        s = sample
        i = trace
        for _ in range(max_steps):
            i += direction
            if i < 0 or i >= n_tr:
                break
            lo, hi = max(0, s - up), min(n_s - 1, s + down)
            best = lo
            for k in range(lo + 1, hi + 1):
                if env[i, k] > env[i, best]:
                    best = k
            if not env[i, best] >= level:
                break
            s = best
            picks[i] = s
    return picks
