"""Numba kernels of the preprocessing steps (dewow, DC, background, gain, time zero).

ndarrays in, ndarrays out; no xarray here. Every kernel has a slow, obvious
numpy twin with the same name and signature in :mod:`._filter_reference`,
which the tests compare it against.

Output
------
Kernels that return an array the size of the data write it into ``out``
(allocated by the caller with numpy, which asks the kernel for huge pages:
filling fresh pages one 4 KiB fault at a time would cost as much as the
work itself) and return it; ``out`` must not overlap the input.

Shapes
------
* Along-time kernels take ``a`` of shape ``(n_traces, n_samples)`` (callers
  reshape ``(..., n_samples)`` to 2-D) and run a block of traces per
  ``prange`` step; the recursive IIR filter runs :data:`SOS_LANES` traces
  side by side (a recursion along time cannot vectorise along time).
* Along-trace kernels (background) take ``(n_channels, n_traces, n_samples)``
  and run one (channel, block of samples) per ``prange`` step, walking the
  traces row by row so memory is read contiguously.

Kernels use numpy's error model (a division by zero gives inf, never an
exception, and divisions vectorise); no kernel divides by zero on valid input.

Windows are centred, ``2·half + 1`` long, and shrink at the ends of the
record (the mean/median/RMS of the samples that exist), so no padding value
is ever invented. Window sums along time are differences of a float64
prefix sum (O(1) per sample, vectorisable); along traces, float64 running
sums updated row by row. Running medians keep a sorted buffer of the window
and replace the leaving sample by the entering one, moving only the
entries between them.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: samples (columns) handled together by one task of the along-trace kernels
BLOCK = 64
#: taps of the sinc interpolator with a dedicated, unrolled loop (timezero.SINC_HALF_WIDTH = 8)
SINC_TAPS_UNROLLED = 16
#: parallel tasks the along-trace mean aims for (numba's threads share them out)
MIN_TASKS = 8
#: traces handled by one task of the along-time kernels (work buffers are allocated per task)
TRACES_PER_TASK = 32


# --- helpers -----------------------------------------------------------------
@numba.njit(cache=True, error_model="numpy")
def _insert(buf, count, value):
    """Insert ``value`` into the sorted ``buf[:count]``; returns the new count."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    for k in range(count, lo, -1):
        buf[k] = buf[k - 1]
    buf[lo] = value
    return count + 1


@numba.njit(cache=True, error_model="numpy")
def _remove(buf, count, value):
    """Remove one copy of ``value`` from the sorted ``buf[:count]``; returns the new count."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    for k in range(lo, count - 1):
        buf[k] = buf[k + 1]
    return count - 1


@numba.njit(cache=True, error_model="numpy")
def _median_sorted(buf, count):
    """Median of the sorted ``buf[:count]`` (mean of the two middle values for even counts), float64."""
    m = count // 2
    if count % 2 == 1:
        return np.float64(buf[m])
    return 0.5 * (np.float64(buf[m - 1]) + np.float64(buf[m]))


@numba.njit(cache=True, error_model="numpy")
def _parabolic_offset(ym, y0, yp):
    """Vertex of the parabola through (−1, ym), (0, y0), (1, yp), clipped to ±0.5."""
    den = ym - 2.0 * y0 + yp
    if den >= 0.0:  # not a maximum: keep the sample
        return 0.0
    return min(0.5, max(-0.5, 0.5 * (ym - yp) / den))


@numba.njit(cache=True, error_model="numpy")
def _replace(buf, count, old, new):
    """Replace one copy of ``old`` by ``new`` in the sorted ``buf[:count]``, moving only what lies between."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] < old:
            lo = mid + 1
        else:
            hi = mid
    p = lo
    if new > old:
        while p + 1 < count and buf[p + 1] < new:
            buf[p] = buf[p + 1]
            p += 1
    else:
        while p > 0 and buf[p - 1] > new:
            buf[p] = buf[p - 1]
            p -= 1
    buf[p] = new


@numba.njit(cache=True, error_model="numpy")
def _prefix_sum(row, c, square):
    """``c[0] = 0``, ``c[i+1] = c[i] + row[i]`` (or ``row[i]²``), in float64.

    Four samples at a time: their own partial sums are added to the running
    total, so the chain of dependent additions is a quarter as long (the
    rounding differs from a one-by-one sum only in the last float64 bits).
    """
    n = row.shape[0]
    c[0] = 0.0
    acc = 0.0
    i = 0
    while i + 4 <= n:
        v0 = np.float64(row[i])
        v1 = np.float64(row[i + 1])
        v2 = np.float64(row[i + 2])
        v3 = np.float64(row[i + 3])
        if square:
            v0, v1, v2, v3 = v0 * v0, v1 * v1, v2 * v2, v3 * v3
        p2 = v0 + v1
        p3 = p2 + v2
        p4 = p3 + v3
        c[i + 1] = acc + v0
        c[i + 2] = acc + p2
        c[i + 3] = acc + p3
        acc = acc + p4
        c[i + 4] = acc
        i += 4
    for k in range(i, n):
        v = np.float64(row[k])
        acc += v * v if square else v
        c[k + 1] = acc
    return c


@numba.njit(cache=True, error_model="numpy")
def _window_sums(c, half, n, out):
    """``out[i]`` = mean of the centred window of ``2·half+1`` (cut at the ends), from prefix sums ``c``."""
    for i in range(min(half, n)):  # left edge
        hi = min(n, i + half + 1)
        out[i] = (c[hi] - c[0]) / hi
    w = 2 * half + 1
    if n > 2 * half:  # interior, written on zero-based views so LLVM vectorises it
        hi = c[w : n + 1]
        lo = c[0 : n + 1 - w]
        mid = out[half : n - half]
        for k in range(n - 2 * half):
            mid[k] = (hi[k] - lo[k]) / w
    for i in range(max(half, n - half), n):  # right edge
        lo = max(0, i - half)
        out[i] = (c[n] - c[lo]) / (n - lo)


# --- dewow -------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True, error_model="numpy")
def running_mean(a, half, subtract, out):
    """Running mean along the last axis (window ``2·half+1``), or ``a`` minus it.

    Window sums are differences of a float64 prefix sum.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    half : int
        Half window, samples (≥ 0).
    subtract : bool
        Return ``a − mean`` (dewow) instead of the mean.
    out : float32 array, shape (n_traces, n_samples)
        The result, written in place and returned.
    """
    n_tr, n = a.shape
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    w = 2 * half + 1
    inv_w = 1.0 / w  # a multiplication vectorises at full speed, a division does not
    for task in numba.prange(n_tasks):
        c = np.empty(n + 1)
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            row = a[j]
            dst = out[j]
            _prefix_sum(row, c, False)
            for i in range(min(half, n)):  # left edge
                hi = min(n, i + half + 1)
                m = (c[hi] - c[0]) / hi
                dst[i] = row[i] - m if subtract else m
            if n > 2 * half:  # interior, on zero-based views so LLVM vectorises it
                upper = c[w : n + 1]
                lower = c[0 : n + 1 - w]
                src = row[half : n - half]
                mid = dst[half : n - half]
                if subtract:
                    for k in range(n - 2 * half):
                        mid[k] = src[k] - (upper[k] - lower[k]) * inv_w
                else:
                    for k in range(n - 2 * half):
                        mid[k] = (upper[k] - lower[k]) * inv_w
            for i in range(max(half, n - half), n):  # right edge
                lo = max(0, i - half)
                m = (c[n] - c[lo]) / (n - lo)
                dst[i] = row[i] - m if subtract else m
    return out


@numba.njit(cache=True, parallel=True, error_model="numpy")
def running_median(a, half, subtract, out):
    """Running median along the last axis (window ``2·half+1``), or ``a`` minus it.

    A sorted buffer of the window: each step replaces the sample leaving by
    the one entering. Same parameters and result as :func:`running_mean`.
    """
    n_tr, n = a.shape
    size = min(2 * half + 1, n)
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        buf = np.empty(size, dtype=np.float32)
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            count = 0
            for k in range(min(half, n - 1) + 1):
                count = _insert(buf, count, a[j, k])
            for i in range(n):
                if i > 0:
                    entering = i + half < n
                    leaving = i - half - 1 >= 0
                    if entering and leaving:
                        _replace(buf, count, a[j, i - half - 1], a[j, i + half])
                    elif leaving:
                        count = _remove(buf, count, a[j, i - half - 1])
                    elif entering:
                        count = _insert(buf, count, a[j, i + half])
                m = _median_sorted(buf, count)
                out[j, i] = a[j, i] - m if subtract else m
    return out


#: traces filtered side by side by the zero-phase IIR kernel: one column each of a (samples × lanes)
#: float64 buffer, so the recursion runs across traces in SIMD registers (32 lanes keep the
#: per-lane filter state in registers, fewer leave it in memory, see :func:`_sosfiltfilt_lanes`)
SOS_LANES = 32
#: samples moved at a time between traces and buffer columns (the buffer rows touched stay in L1)
SOS_CHUNK = 64
#: lane blocks per parallel task (its work buffers are allocated once)
SOS_BLOCKS_PER_TASK = 4


@numba.njit(cache=True, error_model="numpy")
def _sosfiltfilt_lanes(a, sos, zi, padlen, out, t0, buf, z0, z1, x0):
    """Zero-phase filter traces ``t0 … t0 + SOS_LANES − 1`` (those that exist) of ``a`` into ``out``.

    ``buf`` (``n + 2·padlen`` × :data:`SOS_LANES`, float64) holds one
    odd-extended trace per column; each section runs over the whole buffer
    (direct form II transposed) with the state ``z0``, ``z1`` of every lane
    side by side, forward from ``zi · x_ext[0]``, then backward from
    ``zi · y[−1]`` — scipy's ``sosfiltfilt`` exactly, in float64.
    """
    n_tr, n = a.shape
    n_sec = sos.shape[0]
    n_ext = n + 2 * padlen
    lanes = min(SOS_LANES, n_tr - t0)
    for c0 in range(0, n, SOS_CHUNK):
        c1 = min(n, c0 + SOS_CHUNK)
        for lane in range(lanes):
            row = a[t0 + lane]
            for i in range(c0, c1):
                buf[padlen + i, lane] = row[i]
    for lane in range(lanes, SOS_LANES):  # missing traces filter zeros
        for i in range(padlen, padlen + n):
            buf[i, lane] = 0.0
    first = buf[padlen]
    last = buf[padlen + n - 1]
    for k in range(padlen):  # odd extension: 2·x[0] − x[k], 2·x[n−1] − x[n−1−k]
        lo = buf[padlen - 1 - k]
        lo_src = buf[padlen + 1 + k]
        hi = buf[padlen + n + k]
        hi_src = buf[padlen + n - 2 - k]
        for lane in range(SOS_LANES):
            lo[lane] = 2.0 * first[lane] - lo_src[lane]
            hi[lane] = 2.0 * last[lane] - hi_src[lane]
    for backward in (False, True):
        start = n_ext - 1 if backward else 0
        step = -1 if backward else 1
        for lane in range(SOS_LANES):
            x0[lane] = buf[start, lane]
        for s in range(n_sec):
            b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
            a1, a2 = sos[s, 4], sos[s, 5]
            for lane in range(SOS_LANES):
                z0[lane] = zi[s, 0] * x0[lane]
                z1[lane] = zi[s, 1] * x0[lane]
            for k in range(n_ext):
                row = buf[start + step * k]
                for lane in range(SOS_LANES):
                    x = row[lane]
                    y = b0 * x + z0[lane]
                    z0[lane] = b1 * x - a1 * y + z1[lane]
                    z1[lane] = b2 * x - a2 * y
                    row[lane] = y
    for c0 in range(0, n, SOS_CHUNK):
        c1 = min(n, c0 + SOS_CHUNK)
        for lane in range(lanes):
            dst = out[t0 + lane]
            for i in range(c0, c1):
                dst[i] = buf[padlen + i, lane]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def sosfiltfilt(a, sos, zi, padlen, out):
    """Zero-phase forward–backward IIR filter, as ``scipy.signal.sosfiltfilt`` with odd padding.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    sos : float64 array, shape (n_sections, 6)
        Second-order sections, ``a0 = 1``.
    zi : float64 array, shape (n_sections, 2)
        ``scipy.signal.sosfilt_zi(sos)``: the steady state for a unit step.
    padlen : int
        Samples of odd extension at each end, ``0 ≤ padlen < n_samples``.
    out : float32 array, shape (n_traces, n_samples)
        The result, written in place and returned.
    """
    n_tr, n = a.shape
    if n == 0:
        return out
    n_blocks = (n_tr + SOS_LANES - 1) // SOS_LANES
    n_tasks = (n_blocks + SOS_BLOCKS_PER_TASK - 1) // SOS_BLOCKS_PER_TASK
    for task in numba.prange(n_tasks):
        buf = np.empty((n + 2 * padlen, SOS_LANES))
        z0 = np.empty(SOS_LANES)
        z1 = np.empty(SOS_LANES)
        x0 = np.empty(SOS_LANES)
        for blk in range(task * SOS_BLOCKS_PER_TASK, min(n_blocks, (task + 1) * SOS_BLOCKS_PER_TASK)):
            _sosfiltfilt_lanes(a, sos, zi, padlen, out, blk * SOS_LANES, buf, z0, z1, x0)
    return out


# --- DC --------------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True, error_model="numpy")
def remove_dc(a, start, stop, out):
    """``a`` minus the mean of each trace's samples ``start:stop``.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    start, stop : int
        Sample window of the mean, ``0 ≤ start < stop ≤ n_samples``.
    out : float32 array, shape (n_traces, n_samples)
        The result, written in place and returned.
    """
    n_tr, n = a.shape
    for j in numba.prange(n_tr):
        s = 0.0
        for i in range(start, stop):
            s += a[j, i]
        m = s / (stop - start)
        for i in range(n):
            out[j, i] = a[j, i] - m
    return out


# --- background ---------------------------------------------------------------------------
@numba.njit(cache=True, error_model="numpy")
def _column_blocks(n_ch, n):
    """Samples per task of the along-trace mean: whole rows where the channels alone make
    :data:`MIN_TASKS` tasks, else blocks of at least :data:`BLOCK` samples."""
    per_channel = min((n + BLOCK - 1) // BLOCK, (MIN_TASKS + n_ch - 1) // n_ch)
    return (n + per_channel - 1) // max(per_channel, 1)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def background_mean(a, half, out):
    """``a`` minus the mean over traces: the whole line (``half < 0``) or a running window.

    Each task walks the traces of one channel row by row over a block of
    samples (whole rows where there are enough channels), keeping float64
    column sums: the whole line's in one pass before subtracting, a running
    window's updated by the trace entering and the one leaving. Sums of
    equal values are exact, so a flat band is removed exactly.

    Parameters
    ----------
    a : float32 array, shape (n_channels, n_traces, n_samples)
    half : int
        Half window in traces (window ``2·half+1``, shrinking at the line's
        ends); negative for the mean of all traces of the channel.
    out : float32 array, shape (n_channels, n_traces, n_samples)
        The result, written in place and returned.
    """
    n_ch, n_tr, n = a.shape
    if n == 0 or n_tr == 0:
        return out
    width = _column_blocks(n_ch, n)
    n_blocks = (n + width - 1) // width
    whole = half < 0 or half >= n_tr - 1
    for task in numba.prange(n_ch * n_blocks):
        c = task // n_blocks
        s0 = (task % n_blocks) * width
        s1 = min(n, s0 + width)
        sums = np.zeros(s1 - s0)
        if whole:
            for j in range(n_tr):
                _add_row(sums, a[c, j, s0:s1])
            for k in range(s1 - s0):
                sums[k] /= n_tr  # now the mean trace
            for j in range(n_tr):
                _subtract_mean(a[c, j, s0:s1], sums, out[c, j, s0:s1])
            continue
        for j in range(half + 1):
            _add_row(sums, a[c, j, s0:s1])
        for j in range(n_tr):
            if j > 0:
                entering = j + half < n_tr
                leaving = j - half - 1 >= 0
                if entering and leaving:
                    _replace_row(sums, a[c, j + half, s0:s1], a[c, j - half - 1, s0:s1])
                elif entering:
                    _add_row(sums, a[c, j + half, s0:s1])
                elif leaving:
                    _remove_row(sums, a[c, j - half - 1, s0:s1])
            count = min(n_tr - 1, j + half) - max(0, j - half) + 1
            _subtract_row(a[c, j, s0:s1], sums, count, out[c, j, s0:s1])
    return out


@numba.njit(cache=True, error_model="numpy")
def _add_row(sums, row):
    for k in range(sums.shape[0]):
        sums[k] += row[k]


@numba.njit(cache=True, error_model="numpy")
def _remove_row(sums, row):
    for k in range(sums.shape[0]):
        sums[k] -= row[k]


@numba.njit(cache=True, error_model="numpy")
def _replace_row(sums, entering, leaving):
    for k in range(sums.shape[0]):
        sums[k] += np.float64(entering[k]) - np.float64(leaving[k])


@numba.njit(cache=True, error_model="numpy")
def _subtract_mean(src, mean, dst):
    for k in range(src.shape[0]):
        dst[k] = src[k] - mean[k]


@numba.njit(cache=True, error_model="numpy")
def _subtract_row(src, sums, count, dst):
    """``dst = src − sums / count`` (a division, not a reciprocal: a flat band's mean is then exact)."""
    for k in range(src.shape[0]):
        dst[k] = src[k] - sums[k] / count


@numba.njit(cache=True, parallel=True, error_model="numpy")
def background_median(a, half, out):
    """``a`` minus the median over traces: the whole line (``half < 0``) or a running window.

    Same parameters and result as :func:`background_mean`.
    """
    n_ch, n_tr, n = a.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    for task in numba.prange(n_ch * n_blocks):
        c = task // n_blocks
        s0 = (task % n_blocks) * BLOCK
        s1 = min(n, s0 + BLOCK)
        if half < 0 or half >= n_tr - 1:
            _global_median_block(a, out, c, s0, s1)
        else:
            _running_median_block(a, out, c, s0, s1, half)
    return out


@numba.njit(cache=True, error_model="numpy")
def _select_median(col):
    """Median of ``col`` (reordered in place) by quickselect, float64; O(n) on average."""
    n = col.shape[0]
    k = n // 2
    lo, hi = 0, n - 1
    while lo < hi:  # Hoare selection of the k-th smallest into col[k]
        pivot = col[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while col[i] < pivot:
                i += 1
            while col[j] > pivot:
                j -= 1
            if i <= j:
                col[i], col[j] = col[j], col[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    upper = np.float64(col[k])
    if n % 2 == 1:
        return upper
    lower = np.float64(col[0])
    for i in range(1, k):  # everything left of k is ≤ col[k]: the largest of it is the other middle value
        lower = max(lower, np.float64(col[i]))
    return 0.5 * (lower + upper)


@numba.njit(cache=True, error_model="numpy")
def _global_median_block(a, out, c, s0, s1):
    n_tr = a.shape[1]
    cols = np.empty((s1 - s0, n_tr), dtype=np.float32)
    for j in range(n_tr):  # read rows contiguously, store columns
        for s in range(s0, s1):
            cols[s - s0, j] = a[c, j, s]
    med = np.empty(s1 - s0)
    for s in range(s1 - s0):
        med[s] = _select_median(cols[s])
    for j in range(n_tr):
        for s in range(s0, s1):
            out[c, j, s] = a[c, j, s] - med[s - s0]


@numba.njit(cache=True, error_model="numpy")
def _running_median_block(a, out, c, s0, s1, h):
    n_tr = a.shape[1]
    bufs = np.empty((s1 - s0, 2 * h + 1), dtype=np.float32)
    count = 0
    for k in range(h + 1):
        for s in range(s0, s1):
            _insert(bufs[s - s0], count, a[c, k, s])
        count += 1
    for j in range(n_tr):
        if j > 0:
            entering = j + h < n_tr
            leaving = j - h - 1 >= 0
            if entering and leaving:
                for s in range(s0, s1):
                    _replace(bufs[s - s0], count, a[c, j - h - 1, s], a[c, j + h, s])
            elif leaving:
                for s in range(s0, s1):
                    _remove(bufs[s - s0], count, a[c, j - h - 1, s])
                count -= 1
            elif entering:
                for s in range(s0, s1):
                    _insert(bufs[s - s0], count, a[c, j + h, s])
                count += 1
        for s in range(s0, s1):
            out[c, j, s] = a[c, j, s] - _median_sorted(bufs[s - s0], count)


# --- gain ------------------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True, error_model="numpy")
def scale_by_curve(a, curve, inverse, out):
    """``a · curve`` (or ``a / curve``) with one gain curve per channel.

    Parameters
    ----------
    a : float32 array, shape (n_channels, n_traces, n_samples)
    curve : float64 array, shape (n_channels, n_samples)
        Gain per channel and sample (non-zero where ``inverse``).
    inverse : bool
    out : float32 array, shape (n_channels, n_traces, n_samples)
        The result, written in place and returned.
    """
    n_ch, n_tr, n = a.shape
    for task in numba.prange(n_ch * n_tr):
        c = task // n_tr
        j = task % n_tr
        if inverse:
            for i in range(n):
                out[c, j, i] = a[c, j, i] / curve[c, i]
        else:
            for i in range(n):
                out[c, j, i] = a[c, j, i] * curve[c, i]
    return out


@numba.njit(cache=True, parallel=True, error_model="numpy")
def agc_gain(a, half, floor_fraction, out):
    """Automatic-gain-control gain ``1 / RMS`` over a running window along each trace.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    half : int
        Half window, samples (window ``2·half+1``, shrinking at the ends).
    floor_fraction : float
        The RMS is floored at this fraction of the trace's largest running
        RMS, so near-silent stretches are not amplified without bound. An
        all-zero trace gets gain 1.
    out : float32 array, shape (n_traces, n_samples)
        The gain (``a · gain`` has unit RMS in every window), written in
        place and returned.
    """
    n_tr, n = a.shape
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        c = np.empty(n + 1)
        rms = np.empty(n)
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            dst = out[j]
            _prefix_sum(a[j], c, True)
            _window_sums(c, half, n, rms)
            top = 0.0
            for i in range(n):
                rms[i] = math.sqrt(max(rms[i], 0.0))
                top = max(top, rms[i])
            if top == 0.0:
                for i in range(n):
                    dst[i] = 1.0
            else:
                floor = floor_fraction * top
                for i in range(n):
                    dst[i] = 1.0 / max(rms[i], floor)
    return out


# --- time zero ---------------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True, error_model="numpy")
def pick_threshold(a, threshold):
    """First sample where ``|a|`` reaches ``threshold · max|a|``, linearly interpolated.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    threshold : float
        Fraction of the trace's largest absolute amplitude, in (0, 1].

    Returns
    -------
    float64 array, shape (n_traces,)
        Fractional sample index of the first crossing; NaN for an all-zero trace.
    """
    n_tr, n = a.shape
    out = np.empty(n_tr)
    # max|a| on the bit patterns: clearing the sign bit leaves integers ordered as |a| (finite
    # floats), and an integer maximum vectorises where a float one (NaN rules) does not
    bits = a.view(np.int32)
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        word = np.empty(1, dtype=np.int32)
        as_float = word.view(np.float32)
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            row = bits[j]
            m = np.int32(0)
            for i in range(n):
                m = max(m, row[i] & np.int32(0x7FFFFFFF))
            word[0] = m
            top = np.float64(as_float[0])
            if top == 0.0:
                out[j] = np.nan
                continue
            level = threshold * top
            i = 0
            while abs(np.float64(a[j, i])) < level:
                i += 1
            if i == 0:
                out[j] = 0.0
            else:
                lo = abs(np.float64(a[j, i - 1]))
                hi = abs(np.float64(a[j, i]))
                out[j] = i - 1 + (level - lo) / (hi - lo)
    return out


@numba.njit(cache=True, error_model="numpy")
def _energy_ratio(c, i, n, n_win, eps):
    trail = c[min(i + n_win, n)] - c[i]
    lead = c[i] - c[max(i - n_win, 0)]
    return (trail + eps) / (lead + eps)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def pick_energy_ratio(a, n_win, stabilization):
    """Sample of the largest ratio of trailing to leading window energy.

    ``ER(i) = (Σ_{i ≤ k < i+n} a_k² + ε) / (Σ_{i−n ≤ k < i} a_k² + ε)``,
    windows cut at the record's ends, ``ε = stabilization · max_i Σ_{i ≤ k < i+n} a_k²``.
    Window sums are differences of one float64 cumulative sum.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    n_win : int
        Window length, samples (≥ 1).
    stabilization : float
        ε relative to the largest window energy (> 0).

    Returns
    -------
    float64 array, shape (n_traces,)
        Fractional sample index of the maximum (parabolic refinement); NaN
        for an all-zero trace.
    """
    n_tr, n = a.shape
    out = np.empty(n_tr)
    for j in numba.prange(n_tr):
        c = np.empty(n + 1)
        c[0] = 0.0
        for i in range(n):
            c[i + 1] = c[i] + np.float64(a[j, i]) ** 2
        top = 0.0
        for i in range(n):
            top = max(top, c[min(i + n_win, n)] - c[i])
        if top == 0.0:
            out[j] = np.nan
            continue
        eps = stabilization * top
        best = -1.0
        ib = 0
        for i in range(n):
            r = _energy_ratio(c, i, n, n_win, eps)
            if r > best:
                best = r
                ib = i
        if 0 < ib < n - 1:
            out[j] = ib + _parabolic_offset(
                _energy_ratio(c, ib - 1, n, n_win, eps), best, _energy_ratio(c, ib + 1, n, n_win, eps)
            )
        else:
            out[j] = ib
    return out


@numba.njit(cache=True, parallel=True, error_model="numpy")
def refine_peak(a, onset, search):
    """The largest ``|a|`` from each onset over ``search`` samples, refined by a parabola.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    onset : float64 array, shape (n_traces,)
        Fractional sample index to search from (NaN gives NaN).
    search : int
        Samples searched after ``floor(onset)``.

    Returns
    -------
    float64 array, shape (n_traces,)
        Fractional sample index of the peak.
    """
    n_tr, n = a.shape
    out = np.empty(n_tr)
    for j in numba.prange(n_tr):
        if math.isnan(onset[j]):
            out[j] = np.nan
            continue
        i0 = min(n - 1, max(0, int(math.floor(onset[j]))))
        i1 = min(n - 1, i0 + search)
        ib = i0
        best = -1.0
        for i in range(i0, i1 + 1):
            v = abs(np.float64(a[j, i]))
            if v > best:
                best = v
                ib = i
        if 0 < ib < n - 1:
            sign = 1.0 if a[j, ib] >= 0 else -1.0
            out[j] = ib + _parabolic_offset(sign * a[j, ib - 1], sign * a[j, ib], sign * a[j, ib + 1])
        else:
            out[j] = ib
    return out


@numba.njit(cache=True, parallel=True, error_model="numpy")
def shift_linear(a, shift, out):
    """Resample each trace at ``k + shift`` (k = 0 … n_out−1) by linear interpolation.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    shift : float64 array, shape (n_traces,)
        Fractional input sample that becomes output sample 0.
    out : float32 array, shape (n_traces, n_out)
        The resampled traces, written in place and returned; samples
        outside the input record count as 0.
    """
    n_tr, n = a.shape
    n_out = out.shape[1]
    for j in numba.prange(n_tr):
        row = a[j]
        base, f = _split_shift(shift[j])
        # output k reads input base+k and base+k+1; both inside for k_lo ≤ k < k_hi
        k_lo = min(n_out, max(0, -base))
        k_hi = max(k_lo, min(n_out, n - 1 - base))
        dst = out[j, k_lo:k_hi]
        left = row[base + k_lo : base + k_hi]
        right = row[base + k_lo + 1 : base + k_hi + 1]
        for k in range(k_hi - k_lo):
            lo = np.float64(left[k])
            dst[k] = lo + f * (np.float64(right[k]) - lo)
        for k in range(0, k_lo):
            out[j, k] = _linear_at(row, base + k, f)
        for k in range(k_hi, n_out):
            out[j, k] = _linear_at(row, base + k, f)
    return out


@numba.njit(cache=True, error_model="numpy")
def _split_shift(shift):
    """Whole and fractional parts, ``shift = base + f`` with ``0 ≤ f < 1`` (a tiny negative shift rounds to f = 1)."""
    base = int(math.floor(shift))
    f = shift - base
    if f >= 1.0:
        return base + 1, 0.0
    return base, f


@numba.njit(cache=True, error_model="numpy")
def _linear_at(row, i, f):
    n = row.shape[0]
    lo = np.float64(row[i]) if 0 <= i < n else 0.0
    hi = np.float64(row[i + 1]) if 0 <= i + 1 < n else 0.0
    return lo + f * (hi - lo)


@numba.njit(cache=True, error_model="numpy")
def _lanczos_into(f, half_width, w):
    """Write the ``2H`` weights of :func:`lanczos_weights` into ``w``."""
    taps = 2 * half_width
    total = 0.0
    for t in range(taps):
        x = math.pi * (f - (t - half_width + 1))
        w[t] = math.sin(x) / x * math.sin(x / half_width) / (x / half_width)
        total += w[t]
    for t in range(taps):
        w[t] /= total
    return w


@numba.njit(cache=True, error_model="numpy")
def lanczos_weights(f, half_width):
    """The ``2H`` weights ``sinc(x)·sinc(x/H)``, ``x = f − t + H − 1``, normalised to sum 1 (0 < f < 1)."""
    return _lanczos_into(f, half_width, np.empty(2 * half_width))


@numba.njit(cache=True, parallel=True, error_model="numpy")
def shift_sinc(a, shift, half_width, out):
    """Resample each trace at ``k + shift`` with a Lanczos-windowed sinc.

    Output sample k is ``Σ_t w_t · a[base + k − H + 1 + t]`` over the ``2H``
    input samples around it (:func:`lanczos_weights`, normalised so a
    constant stays constant), summed in float64; an integer shift copies
    samples exactly. The weights are computed again only where the shift
    differs from the previous trace's (a channel shifted as a whole shares
    them). Same parameters and result as :func:`shift_linear`, plus
    ``half_width`` = H (samples).
    """
    n_tr, n = a.shape
    n_out = out.shape[1]
    taps = 2 * half_width
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        acc = np.empty(n_out)
        w = np.empty(taps)
        weights_for = np.nan  # the shift whose weights w holds
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            src = a[j]
            dst = out[j]
            base, f = _split_shift(shift[j])
            if f == 0.0:
                for k in range(n_out):
                    i = base + k
                    dst[k] = src[i] if 0 <= i < n else 0.0
                continue
            if shift[j] != weights_for:
                _lanczos_into(f, half_width, w)
                weights_for = shift[j]
            first = base - half_width + 1  # input index of tap 0 for output 0
            # every tap inside the record for k_lo ≤ k < k_hi
            k_lo = min(n_out, max(0, -first))
            k_hi = max(k_lo, min(n_out, n - taps + 1 - first))
            if taps == SINC_TAPS_UNROLLED:
                # the taps as a loop of constant length, unrolled by the compiler: the loop over
                # output samples vectorises with the sum in registers (same order of additions)
                seg = src[first + k_lo : first + k_hi + taps - 1]
                inner = dst[k_lo:k_hi]
                for k in range(k_hi - k_lo):
                    total = 0.0
                    for t in range(SINC_TAPS_UNROLLED):
                        total += w[t] * np.float64(seg[k + t])
                    inner[k] = total
            else:
                inner = acc[k_lo:k_hi]
                w0 = w[0]
                seg = src[first + k_lo : first + k_hi]
                for k in range(k_hi - k_lo):
                    inner[k] = w0 * np.float64(seg[k])
                for t in range(1, taps):  # tap by tap over zero-based views: contiguous and vectorised
                    wt = w[t]
                    seg = src[first + t + k_lo : first + t + k_hi]
                    for k in range(k_hi - k_lo):
                        inner[k] += wt * np.float64(seg[k])
                for k in range(k_lo, k_hi):
                    dst[k] = acc[k]
            # outputs with some taps outside the record; those with none inside are 0
            for k in range(0, k_lo):
                dst[k] = _sinc_edge(src, w, first + k) if first + k + taps > 0 else 0.0
            for k in range(k_hi, n_out):
                dst[k] = _sinc_edge(src, w, first + k) if first + k < n else 0.0
    return out


@numba.njit(cache=True, error_model="numpy")
def _sinc_edge(row, w, start):
    n = row.shape[0]
    s = 0.0
    for t in range(w.shape[0]):
        i = start + t
        if 0 <= i < n:
            s += w[t] * row[i]
    return s


@numba.njit(cache=True, parallel=True, error_model="numpy")
def scale_elementwise(a, gain, inverse, out):
    """``a · gain`` (or ``a / gain``) sample by sample.

    Parameters
    ----------
    a : float32 array, shape (n_traces, n_samples)
    gain : float32 or float64 array, shape (n_traces, n_samples)
        Multiplied in its own precision (non-zero where ``inverse``).
    inverse : bool
    out : float32 array, shape (n_traces, n_samples)
        The result, written in place and returned.
    """
    n_tr, n = a.shape
    for j in numba.prange(n_tr):
        if inverse:
            for i in range(n):
                out[j, i] = a[j, i] / gain[j, i]
        else:
            for i in range(n):
                out[j, i] = a[j, i] * gain[j, i]
    return out
