"""Slow, obvious numpy twins of :mod:`roadbed.detect._response_kernels` (same arguments, same results)."""

from __future__ import annotations

import numpy as np
import scipy.ndimage


def local_maxima(env, threshold, half_traces, half_samples, first_sample, stop_sample):
    """Samples equal to the maximum of their box and above the threshold (see the kernel)."""
    env = np.asarray(env, dtype=np.float64)
    box = (2 * int(half_traces) + 1, 2 * int(half_samples) + 1)
    # "nearest" repeats edge values, which never changes a maximum: the box is cut at the edges
    biggest = scipy.ndimage.maximum_filter(env, size=box, mode="nearest")
    mask = (env >= biggest) & (env > np.asarray(threshold, dtype=np.float64)[None, :])
    mask[:, : max(int(first_sample), 0)] = False
    mask[:, max(int(stop_sample), 0) :] = False
    return mask.astype(np.uint8)


def follow_ridge(env, trace, sample, up, down, level, max_steps):
    """The ridge through ``(trace, sample)``, one trace at a time (see the kernel)."""
    env = np.asarray(env)
    n_tr, n_s = env.shape
    picks = np.full(n_tr, -1, np.int64)
    picks[trace] = sample
    for direction in (-1, 1):
        s = sample
        for step in range(1, max_steps + 1):
            i = trace + direction * step
            if not 0 <= i < n_tr:
                break
            lo, hi = max(0, s - up), min(n_s - 1, s + down)
            best = lo + int(np.argmax(env[i, lo : hi + 1]))
            if not env[i, best] >= level:
                break
            s = best
            picks[i] = s
    return picks
