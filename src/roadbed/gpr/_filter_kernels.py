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
  reshape ``(..., n_samples)`` to 2-D) and run one trace per ``prange`` step.
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
    """``c[0] = 0``, ``c[i+1] = c[i] + row[i]`` (or ``row[i]²``), in float64."""
    c[0] = 0.0
    acc = 0.0
    for i in range(row.shape[0]):
        v = np.float64(row[i])
        acc += v * v if square else v
        c[i + 1] = acc
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
                        mid[k] = src[k] - (upper[k] - lower[k]) / w
                else:
                    for k in range(n - 2 * half):
                        mid[k] = (upper[k] - lower[k]) / w
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


@numba.njit(cache=True, error_model="numpy")
def _sosfilt(sos, y, zi, backward):
    """Filter ``y`` in place with second-order sections (direct form II transposed).

    The initial state is ``zi`` times the first sample filtered; ``backward``
    runs from the last sample to the first (filtering the reversed signal).
    """
    n_sec = sos.shape[0]
    n = y.shape[0]
    first = y[n - 1] if backward else y[0]
    z = np.empty((n_sec, 2))
    for s in range(n_sec):
        z[s, 0] = zi[s, 0] * first
        z[s, 1] = zi[s, 1] * first
    for k in range(n):
        i = n - 1 - k if backward else k
        x = y[i]
        for s in range(n_sec):
            x_new = sos[s, 0] * x + z[s, 0]
            z[s, 0] = sos[s, 1] * x - sos[s, 4] * x_new + z[s, 1]
            z[s, 1] = sos[s, 2] * x - sos[s, 5] * x_new
            x = x_new
        y[i] = x


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
    m = n + 2 * padlen
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        ext = np.empty(m)
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            for i in range(n):
                ext[padlen + i] = a[j, i]
            for k in range(1, padlen + 1):
                ext[padlen - k] = 2.0 * a[j, 0] - a[j, k]
                ext[padlen + n - 1 + k] = 2.0 * a[j, n - 1] - a[j, n - 1 - k]
            _sosfilt(sos, ext, zi, False)
            _sosfilt(sos, ext, zi, True)
            for i in range(n):
                out[j, i] = ext[padlen + i]
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
@numba.njit(cache=True, parallel=True, error_model="numpy")
def background_mean(a, half, out):
    """``a`` minus the mean over traces: the whole line (``half < 0``) or a running window.

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
    n_blocks = (n + BLOCK - 1) // BLOCK
    h = n_tr if half < 0 else half
    for task in numba.prange(n_ch * n_blocks):
        c = task // n_blocks
        s0 = (task % n_blocks) * BLOCK
        s1 = min(n, s0 + BLOCK)
        width = s1 - s0
        sums = np.zeros(width)
        for k in range(min(h, n_tr - 1) + 1):
            _add_row(sums, a[c, k, s0:s1], 1.0)
        for j in range(n_tr):
            if j > 0:
                if j + h < n_tr:
                    _add_row(sums, a[c, j + h, s0:s1], 1.0)
                if j - h - 1 >= 0:
                    _add_row(sums, a[c, j - h - 1, s0:s1], -1.0)
            count = min(n_tr - 1, j + h) - max(0, j - h) + 1
            src = a[c, j, s0:s1]
            dst = out[c, j, s0:s1]
            for k in range(width):
                dst[k] = src[k] - sums[k] / count
    return out


@numba.njit(cache=True, error_model="numpy")
def _add_row(sums, row, sign):
    for k in range(sums.shape[0]):
        sums[k] += sign * row[k]


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
    for j in numba.prange(n_tr):
        top = 0.0
        for i in range(n):
            top = max(top, abs(np.float64(a[j, i])))
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
def lanczos_weights(f, half_width):
    """The ``2H`` weights ``sinc(x)·sinc(x/H)``, ``x = f − t + H − 1``, normalised to sum 1 (0 < f < 1)."""
    taps = 2 * half_width
    w = np.empty(taps)
    total = 0.0
    for t in range(taps):
        x = math.pi * (f - (t - half_width + 1))
        w[t] = math.sin(x) / x * math.sin(x / half_width) / (x / half_width)
        total += w[t]
    for t in range(taps):
        w[t] /= total
    return w


@numba.njit(cache=True, parallel=True, error_model="numpy")
def shift_sinc(a, shift, half_width, out):
    """Resample each trace at ``k + shift`` with a Lanczos-windowed sinc.

    Output sample k is ``Σ_t w_t · a[base + k − H + 1 + t]`` over the ``2H``
    input samples around it (:func:`lanczos_weights`, normalised so a
    constant stays constant); an integer shift copies samples exactly.
    Same parameters and result as :func:`shift_linear`, plus
    ``half_width`` = H (samples).
    """
    n_tr, n = a.shape
    n_out = out.shape[1]
    taps = 2 * half_width
    n_tasks = (n_tr + TRACES_PER_TASK - 1) // TRACES_PER_TASK
    for task in numba.prange(n_tasks):
        acc = np.empty(n_out)
        row = np.empty(n)  # the trace in float64, converted once rather than once per tap
        for j in range(task * TRACES_PER_TASK, min(n_tr, (task + 1) * TRACES_PER_TASK)):
            src = a[j]
            for i in range(n):
                row[i] = src[i]
            base, f = _split_shift(shift[j])
            if f == 0.0:
                for k in range(n_out):
                    i = base + k
                    out[j, k] = row[i] if 0 <= i < n else 0.0
                continue
            w = lanczos_weights(f, half_width)
            first = base - half_width + 1  # input index of tap 0 for output 0
            # every tap inside the record for k_lo ≤ k < k_hi
            k_lo = min(n_out, max(0, -first))
            k_hi = max(k_lo, min(n_out, n - taps + 1 - first))
            inner = acc[k_lo:k_hi]
            for k in range(k_hi - k_lo):
                inner[k] = 0.0
            for t in range(taps):  # tap by tap over zero-based views: contiguous and vectorised
                wt = w[t]
                seg = row[first + t + k_lo : first + t + k_hi]
                for k in range(k_hi - k_lo):
                    inner[k] += wt * seg[k]
            for k in range(0, k_lo):
                acc[k] = _sinc_edge(row, w, first + k)
            for k in range(k_hi, n_out):
                acc[k] = _sinc_edge(row, w, first + k)
            dst = out[j]
            for k in range(n_out):
                dst[k] = acc[k]
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
