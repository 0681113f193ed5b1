"""Responses in one processed B-scan: diffraction apexes and the tops of flat reflectors of limited extent.

:func:`find_responses` turns a processed B-scan into
:class:`~roadbed.detect.candidate.Candidate` records, one per distinct
response, with every feature the classifier reads.

Method
------
1. **Migration** at the given velocity: 2-D Kirchhoff
   (:func:`roadbed.gpr.velocity._migrate_lines`), with the refracted,
   bistatic diffraction times of :func:`roadbed.gpr.velocity.diffraction_twt`
   where the antennas are above the ground or apart. Hyperbolas collapse to
   their apexes; flat tops stay flat. Traces sampled far finer than the
   pulse needs are decimated first (≥ 4 samples per period of 2.5 × the
   centre frequency are kept).
2. **Envelope** of the image and a **robust noise level** per image time:
   ``1.4826 × median |image|`` over the traces (the standard deviation of
   Gaussian noise, unmoved by the few traces a response occupies), smoothed
   by a running median over ±half a period — the recipe's gain makes noise
   grow with time. A band across most of the B-scan (a layer the background
   removal left, its ghost) raises its own row's level and is not a response.
3. **Local maxima** of the envelope above ``min_snr`` × that level, with
   non-maximum suppression over ±0.15 m along and ±half a period in time
   (:func:`roadbed.detect._response_kernels.local_maxima`), from 1.5
   periods below the surface to one period before the record ends.
4. **Grouping**, strongest first: the migrated ridge through a maximum is
   followed to both sides (:func:`~roadbed.detect._response_kernels.follow_ridge`)
   while it stays above 30 % of the peak and 3 noise levels; the other maxima
   on it, within half a period, are the same flat top (a migrated box top is
   brightest at its edges, where the edge diffractions focus, and dips in
   between). The extent is where the ridge is above half the peak.
   Responses weaker than 10 % of another within the migration aperture are
   its artefacts (aperture smiles, peg-leg multiples); a response beneath
   another and within its extent is its bottom echo or reverberation.
5. **Features** of each response (see :class:`~roadbed.detect.candidate.Candidate`):
   the migrated peak, extent and ringing; in the unmigrated data the
   polarity (normalised cross-correlation of the top's traces, stacked, with
   the surface wavelet at the best lag within ±half a period; migration
   changes the phase), the
   half-peak extent along the diffraction's ridge, and the arrival times
   picked along that ridge. The picks are fitted three ways:
   :func:`roadbed.gpr.velocity.fit_hyperbola` (a point, free velocity, with
   the antenna geometry: ``hyperbola_misfit`` and the velocity), a pipe of
   radius ``R`` at the migration velocity (``radius_m`` where resolved), and
   a flat top with diffracting edges at the migration velocity
   (``flat_misfit``). A point is a flat top of no width, so a pipe fits both
   models; a void's top fits only the flat one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.ndimage
import scipy.optimize
import scipy.signal
import xarray as xr

from .. import conventions as cv
from ..gpr._apply import check_engine
from ..gpr.kirchhoff import geometry_of
from ..gpr.spectral import hilbert_array
from ..gpr.velocity import _migrate_lines, diffraction_twt, fit_hyperbola
from . import _response_kernels as _kernels
from . import _response_reference as _reference
from .candidate import Candidate

__all__ = ["find_responses", "DEFAULT_MIN_SNR"]

logger = logging.getLogger(__name__)

#: default detection threshold, migrated envelope over the robust noise level: on synthetic lines of noise
#: alone (24 lines of 1000 traces) the largest peak was 5.3; a Gaussian envelope passes 7 with probability
#: exp(−7²/2) ≈ 2e-11 per independent sample
DEFAULT_MIN_SNR = 7.0
#: horizontal radius of the migration operator, m
APERTURE_M = 1.0
#: half-width of the non-maximum suppression box along track, m
SUPPRESS_ALONG_M = 0.15
#: a response must lie this many periods below the surface (the surface reflection's remains end there)
SURFACE_PERIODS = 1.5
#: nor in the last periods of the record (the migration's and the envelope's edge)
END_PERIODS = 1.0
#: maxima on one ridge whose envelope stays above this fraction of the strongest are one flat top
#: (a migrated box top is brightest at its edges, where the edge diffractions focus, and dips between)
MERGE_LEVEL = 0.3
#: ridges and extents end where the envelope falls below this many noise levels
RIDGE_FLOOR_SNR = 3.0
#: a ridge moves at most this fraction of a period from one trace to the next
RIDGE_DRIFT_PERIODS = 0.25
#: within the migration aperture, responses weaker than this fraction of another are its artefacts
ARTEFACT_FRACTION = 0.1
#: an echo beneath a response at least this fraction of its peak is its bottom (``bottom_twt_ns``)
BOTTOM_FRACTION = 0.25
#: half-length of the surface wavelet compared with the data (polarity), periods
WAVELET_PERIODS = 0.75
#: arrival times are picked along the unmigrated ridge while its envelope is above this fraction of the apex's
PICK_LEVEL = 0.15
#: picks reach this far beyond the flat top's half-maximum extent on each side, m (at least; deeper: half the depth)
PICK_FLANK_M = 0.3
#: fewest picks fitted
MIN_PICKS = 6


def _regular_distance(bscan: xr.DataArray) -> np.ndarray:
    if cv.DISTANCE not in bscan.coords:
        raise ValueError("find_responses needs the distance coordinate (m) on trace")
    distance = np.asarray(bscan[cv.DISTANCE].values, dtype=np.float64)
    if not np.all(np.isfinite(distance)):
        raise ValueError("the distance coordinate holds non-finite values")
    return distance


def _check(bscan, velocity, wavelet, reference_amplitude, antenna, min_snr, engine) -> float:
    check_engine(engine)
    if not isinstance(bscan, xr.DataArray) or set(bscan.dims) != {cv.TRACE, cv.TWT}:
        raise ValueError(f"find_responses takes one B-scan with dims (trace, twt), got {getattr(bscan, 'dims', bscan)}")
    frequency = bscan.attrs.get(cv.ATTR_FREQUENCY)
    if frequency is None:
        raise ValueError(
            f"the B-scan has no {cv.ATTR_FREQUENCY!r} attribute: the antenna's centre frequency sets the "
            "response windows (add it with .assign_attrs)"
        )
    try:
        frequency = float(frequency)
    except (TypeError, ValueError):
        frequency = math.nan
    if not (math.isfinite(frequency) and frequency > 0):
        raise ValueError(f"{cv.ATTR_FREQUENCY} must be positive, got {frequency!r}")
    if not (math.isfinite(velocity) and velocity > 0):
        raise ValueError(f"velocity_m_per_ns must be positive and finite, got {velocity!r}")
    if wavelet.ndim != 1 or wavelet.size < 3 or not np.all(np.isfinite(wavelet)) or not np.any(wavelet):
        raise ValueError("surface_wavelet must be a 1-D array of at least 3 finite samples, not all zero")
    if not (math.isfinite(reference_amplitude) and reference_amplitude > 0):
        raise ValueError(f"reference_amplitude must be positive and finite, got {reference_amplitude!r}")
    if not all(math.isfinite(a) and a >= 0 for a in antenna):
        raise ValueError(f"antenna_height_m and antenna_separation_m must be ≥ 0, got {antenna}")
    if not (math.isfinite(min_snr) and min_snr > 0):
        raise ValueError(f"min_snr must be positive, got {min_snr!r}")
    return frequency


def _envelope(x: np.ndarray, engine: str) -> np.ndarray:
    return np.hypot(x, hilbert_array(x, engine=engine), dtype=np.float64)


def _vertex(y0: float, y1: float, y2: float) -> float:
    """Offset (−0.5 … 0.5) of the vertex of the parabola through three equally spaced values from the middle one."""
    denom = y0 - 2.0 * y1 + y2
    return float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5)) if denom < 0 else 0.0


def _refined(values: np.ndarray, k: int) -> float:
    """``k`` moved to the vertex of the parabola through ``values[k-1:k+2]`` (fractional index)."""
    if 0 < k < values.size - 1:
        return k + _vertex(values[k - 1], values[k], values[k + 1])
    return float(k)


def _noise_profile(image: np.ndarray, half_period: int) -> np.ndarray:
    """Robust noise level (standard deviation) of the image at each sample, shape (n_samples,)."""
    rows = 1.4826 * np.median(np.abs(image), axis=0)
    smooth = scipy.ndimage.median_filter(rows, size=2 * max(half_period, 1) + 1, mode="nearest")
    top = float(smooth.max(initial=0.0))
    # noise-free data: no level of zero (every rounding error a response)
    return np.maximum(smooth, 1e-6 * top if top > 0 else 1e-30)


def _crossings(env: np.ndarray, picks: np.ndarray, centre: int, level: float, reach: tuple[int, int]):
    """Fractional trace indices of the outermost ``level`` crossings of a ridge on either side of ``centre``.

    ``picks``: the ridge's sample on each trace (−1 where not reached);
    ``reach``: (up, down) samples a ridge may move per trace — beyond the
    ridge's last trace the value is the best within that reach.
    """
    reached = np.flatnonzero(picks >= 0)
    values = env[reached, picks[reached]]
    above = reached[values >= level]
    if above.size == 0:
        above = np.array([centre])
    out = []
    for i, direction in ((int(above.min()), -1), (int(above.max()), 1)):
        j = i + direction
        inside = float(env[i, picks[i]])
        if not 0 <= j < picks.size:
            out.append(float(i))  # the response runs off the B-scan
            continue
        if picks[j] >= 0:
            outside = float(env[j, picks[j]])
        else:
            lo, hi = max(0, picks[i] - reach[0]), min(env.shape[1] - 1, picks[i] + reach[1])
            outside = float(env[j, lo : hi + 1].max())
        frac = (inside - level) / (inside - outside) if inside > outside else 0.0
        out.append(i + direction * float(np.clip(frac, 0.0, 1.0)))
    return out[0], out[1]


def _point_fit(x, t, antenna, along) -> tuple[float, float, float, float]:
    """:func:`fit_hyperbola` of a point, free velocity: (RMS misfit ns, velocity, its std, depth m), nan on failure.

    The radius is not fitted here: with the velocity free too the problem is
    ill-posed (a wide cylinder at a low velocity fits as well), and with the
    antenna geometry every evaluation is a refracted-ray solve, so the fit
    runs to its evaluation limit (seconds per response). See
    :func:`_fixed_velocity_fit` for the radius.
    """
    try:
        fit = fit_hyperbola(x, t, time_zero_ns=0.0, radius=False, antenna_height_m=antenna[0],
                            antenna_separation_m=antenna[1])  # fmt: skip
    except (ValueError, np.linalg.LinAlgError) as exc:
        logger.debug("hyperbola fit at %.3f m failed: %s", along, exc)
        return (math.nan,) * 4
    return fit.residual_rms_ns, fit.velocity.velocity_m_per_ns, fit.velocity.uncertainty_m_per_ns, fit.z0_m


def _fixed_velocity_fit(x, t, v, antenna, *, flat: bool, start) -> scipy.optimize.OptimizeResult:
    """Least squares of picks ``t`` (ns) at ``x`` (m) to a top at velocity ``v``, :func:`diffraction_twt` times.

    ``flat=False``: a pipe, parameters ``(x0, z, R)`` (apex, depth to the
    top, radius). ``flat=True``: a flat top over ``[c − w, c + w]`` at depth
    ``z`` whose edges diffract, parameters ``(c, w, z)``; off the top the time
    is the nearer edge's diffraction. ``start``: the first guess.
    """
    h, s = antenna
    span = float(np.ptp(x)) + 1e-3
    if flat:
        lower, upper = [float(x.min()), 0.0, 1e-4], [float(x.max()), span, math.inf]

        def model(p):
            off = np.maximum(0.0, np.abs(x - p[0]) - p[1])
            return diffraction_twt(off, p[2], v, antenna_height_m=h, antenna_separation_m=s)
    else:
        lower, upper = [float(x.min()), 1e-4, 0.0], [float(x.max()), math.inf, span]

        def model(p):
            return diffraction_twt(x - p[0], p[1], v, radius_m=p[2], antenna_height_m=h, antenna_separation_m=s)

    p0 = np.clip(np.asarray(start, dtype=np.float64), np.array(lower) + 1e-9, np.array(upper) - 1e-9)
    return scipy.optimize.least_squares(lambda p: model(p) - t, p0, bounds=(lower, upper), x_scale="jac")


def _rms(result) -> float:
    return float(np.sqrt(np.mean(result.fun**2)))


def _radius(result, n: int) -> tuple[float, float]:
    """Radius and its standard error from a pipe fit, or nan where it is not resolved (< 3 standard errors)."""
    jac = result.jac
    dof = n - jac.shape[1]
    if dof <= 0:
        return math.nan, math.nan
    try:
        cov = np.linalg.inv(jac.T @ jac) * (2.0 * result.cost / dof)
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    radius, std = float(result.x[2]), math.sqrt(max(float(cov[2, 2]), 0.0))
    if radius > 0 and math.isfinite(std) and radius >= 3.0 * std:
        return radius, std
    return math.nan, math.nan


def _polarity(trace_data: np.ndarray, centre: float, wavelet: np.ndarray, max_lag: int) -> float:
    """Normalised cross-correlation (−1 … 1) of ``trace_data`` around sample ``centre`` with ``wavelet``.

    The lag of largest magnitude within ±``max_lag`` samples; ``wavelet``'s
    middle sample (``len // 2``) is aligned with ``centre`` at lag 0.
    """
    half = wavelet.size // 2
    c = int(round(centre))
    best = 0.0
    w = wavelet - wavelet.mean()
    if not np.any(w):
        return best
    for lag in range(-max_lag, max_lag + 1):
        a = c + lag - half
        b = a + wavelet.size
        lo, hi = max(a, 0), min(b, trace_data.size)
        if hi - lo < wavelet.size // 2 + 1:
            continue
        seg = trace_data[lo:hi]
        ww = w[lo - a : hi - a]
        norm = float(np.linalg.norm(seg)) * float(np.linalg.norm(ww))
        if norm <= 0:
            continue
        r = float(np.dot(seg, ww)) / norm
        if abs(r) > abs(best):
            best = r
    return best


def find_responses(
    bscan: xr.DataArray,
    *,
    velocity_m_per_ns: float,
    surface_wavelet: np.ndarray,
    reference_amplitude: float,
    antenna_height_m: float = 0.0,
    antenna_separation_m: float = 0.0,
    line: int = 0,
    channel: int = 0,
    across_m: float = 0.0,
    source: str = "",
    min_snr: float = DEFAULT_MIN_SNR,
    engine: str = "numba",
) -> list[Candidate]:
    """Find the diffraction apexes and limited flat tops of one processed B-scan.

    Parameters
    ----------
    bscan : xarray.DataArray, dims (trace, twt)
        One processed B-scan: dewowed, time zero aligned (``twt = 0`` at the
        ground surface), background removed, gained and band-passed, not
        migrated; ``twt`` in ns on a regular grid, ``distance`` (m) on trace on
        a regular grid, and ``attrs["frequency_hz"]`` (the antenna's centre
        frequency: "a period" below is ``1 / frequency_hz``).
    velocity_m_per_ns : float
        Ground velocity for migration and depth (the average velocity above
        the targets), m/ns.
    surface_wavelet : ndarray, shape (n,)
        Mean surface-reflection trace before background removal, same sample
        interval as ``bscan``; sample ``n // 2`` is ``twt = 0``. The reference
        polarity and shape.
    reference_amplitude : float
        Envelope peak of the surface reflection in ``bscan``'s units: ``amplitude`` is relative to it.
    antenna_height_m, antenna_separation_m : float
        Height of the antennas above the ground and their separation along
        the line, m (0 for ground-coupled, zero-offset antennas).
    line, channel : int
        Indices recorded in each candidate.
    across_m : float
        Across-track position of the B-scan, m (recorded).
    source : str
        The file the B-scan came from (recorded).
    min_snr : float
        Detection threshold: peak of the migrated envelope over the robust
        noise level of the image at that time.
    engine : {"numba", "numpy"}
        Kernels of the search (and of a straight-ray Kirchhoff migration);
        ``"numpy"`` is the slow reference.

    Returns
    -------
    list of Candidate
        Sorted by ``along_m``; ``kind=""`` and ``confidence=nan``.
        ``extra``: ``bottom_twt_ns`` (time of the strongest echo beneath the
        top, ns, nan if none), ``x_min_m`` / ``x_max_m`` (along-track extent
        of the migrated top above half its peak, m), ``n_picks`` (arrival
        times fitted), ``hyperbola_depth_m`` (depth to the top from the
        hyperbola fit, nan without one), ``n_echoes`` (responses beneath
        absorbed as its echoes). ``radius_m`` comes from a fit at
        ``velocity_m_per_ns`` (kept where ≥ 3 standard errors), the fitted
        velocity from a point fit (see the module notes). Non-finite samples
        count as 0.

    Raises
    ------
    ValueError
        For a B-scan without ``frequency_hz``, ``distance`` or regular grids,
        and for invalid options.
    """
    velocity = float(velocity_m_per_ns)
    wavelet = np.asarray(surface_wavelet, dtype=np.float64)
    antenna = (float(antenna_height_m), float(antenna_separation_m))
    frequency = _check(bscan, velocity, wavelet, float(reference_amplitude), antenna, float(min_snr), engine)
    impl = _kernels if engine == "numba" else _reference
    src = bscan.transpose(cv.TRACE, cv.TWT)
    distance = _regular_distance(src)
    if src.sizes[cv.TRACE] < 3 or src.sizes[cv.TWT] < 8:
        raise ValueError(f"find_responses needs at least 3 traces and 8 samples, got {src.shape}")
    geometry = geometry_of(src, velocity_m_per_ns=velocity, aperture_m=APERTURE_M)  # checks both grids
    dt, dx, twt0 = geometry.sample_interval_ns, geometry.trace_spacing_m, geometry.twt0_ns
    data = np.asarray(src.values, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        logger.debug("find_responses: %d non-finite samples set to 0", int(np.sum(~np.isfinite(data))))
        data = np.where(np.isfinite(data), data, 0.0)
    grid = _Grid(frequency, dt, dx, twt0, data.shape[1], distance)

    # 1. migration, on traces decimated to ≥ 4 samples per period of 2.5 f
    factor = grid.factor
    coarse = scipy.signal.resample_poly(data, 1, factor, axis=-1) if factor > 1 else data
    image = _migrate_lines(coarse.astype(np.float32)[None], grid.dt_img, twt0, dx, velocity, APERTURE_M,
                           "kirchhoff", engine, src, (*antenna, 0.0))[0].astype(np.float64)  # fmt: skip

    # 2. envelope and noise
    env = _envelope(image, engine)
    noise = _noise_profile(image, grid.samples(0.5))
    threshold = float(min_snr) * noise

    # 3. local maxima
    first = max(int(np.searchsorted(grid.twt_img, SURFACE_PERIODS * grid.period)), 0)
    stop = image.shape[1] - grid.samples(END_PERIODS)
    half_traces = max(1, int(round(SUPPRESS_ALONG_M / dx)))
    mask = impl.local_maxima(env, threshold, half_traces, grid.samples(0.5), first, stop)
    tr_idx, s_idx = np.nonzero(mask)
    if tr_idx.size == 0:
        return []
    order = np.argsort(-env[tr_idx, s_idx], kind="stable")
    maxima = list(zip(tr_idx[order].tolist(), s_idx[order].tolist(), strict=True))

    # 4. grouping into responses, then absorbing artefacts and echoes
    responses = _group(maxima, env, noise, grid, impl)
    survivors = _absorb(responses, grid, half_traces)
    logger.debug("find_responses: %d maxima, %d responses, %d kept", len(maxima), len(responses), len(survivors))

    # 5. features
    env_data = _envelope(data, engine)
    core = grid.samples_data(WAVELET_PERIODS)
    mid = wavelet.size // 2
    wavelet_core = wavelet[max(0, mid - core) : mid + core + 1]
    ids = (str(source), int(line), int(channel), float(across_m))
    candidates = [
        _features(r, env=env, noise=noise, data=data, env_data=env_data, grid=grid, velocity=velocity,
                  antenna=antenna, wavelet=wavelet_core, reference_amplitude=float(reference_amplitude), impl=impl,
                  ids=ids)  # fmt: skip
        for r in survivors
    ]
    candidates.sort(key=lambda c: c.along_m)
    return candidates


class _Grid:
    """Sampling of the data and of the migrated image, and the period, in one place."""

    def __init__(self, frequency, dt, dx, twt0, n_samples, distance):
        self.period = 1e9 / frequency
        self.dt, self.dx, self.twt0 = dt, dx, twt0
        self.factor = max(1, int(1.0 / (4.0 * 2.5 * frequency * 1e-9 * dt)))
        self.dt_img = dt * self.factor
        self.twt = twt0 + dt * np.arange(n_samples)
        self.twt_img = twt0 + self.dt_img * np.arange(-(-n_samples // self.factor))
        self.distance = distance
        self.index = np.arange(distance.size, dtype=np.float64)

    def samples(self, periods: float) -> int:
        """``periods`` periods in image samples (≥ 1)."""
        return max(1, int(round(periods * self.period / self.dt_img)))

    def samples_data(self, periods: float) -> int:
        """``periods`` periods in data samples (≥ 1)."""
        return max(1, int(round(periods * self.period / self.dt)))

    def along(self, fractional_trace: float) -> float:
        """The ``distance`` (m) at a fractional trace index."""
        return float(np.interp(fractional_trace, self.index, self.distance))


@dataclass
class _Response:
    """A response in the migrated image: its strongest maximum, its ridge and its half-peak extent."""

    trace: int
    sample: int
    peak: float
    picks: np.ndarray
    left: float
    right: float
    echoes: list = field(default_factory=list)  # (image sample, peak) of absorbed echoes beneath

    @property
    def centre(self) -> float:
        return 0.5 * (self.left + self.right)


def _group(maxima, env, noise, grid: _Grid, impl) -> list[_Response]:
    """Responses from the maxima, strongest first: the maxima on one ridge at one time are one flat top."""
    n_tr = env.shape[0]
    drift = grid.samples(RIDGE_DRIFT_PERIODS)
    same_time = grid.samples(0.5)  # the suppression box: maxima further apart in time are different events
    used = np.zeros(len(maxima), bool)
    responses = []
    for m, (tr, s) in enumerate(maxima):
        if used[m]:
            continue
        peak = float(env[tr, s])
        # the ridge never runs on through noise, nor along a band across the B-scan (≈ 1 noise level)
        floor = RIDGE_FLOOR_SNR * float(noise[s])
        level = max(MERGE_LEVEL * peak, floor)
        picks = impl.follow_ridge(env, tr, s, drift, drift, level, n_tr)
        for j in range(m, len(maxima)):
            tr2, s2 = maxima[j]
            if not used[j] and picks[tr2] >= 0 and abs(s2 - picks[tr2]) <= same_time:
                used[j] = True
        used[m] = True
        left, right = _crossings(env, picks, tr, max(0.5 * peak, floor), (drift, drift))
        responses.append(_Response(tr, s, peak, picks, left, right))
    return responses


def _absorb(responses: list[_Response], grid: _Grid, half_traces: int) -> list[_Response]:
    """The responses left once migration artefacts and echoes beneath are absorbed by the responses they belong to.

    * Artefacts: within :data:`APERTURE_M` along track of a response, a response
      weaker than :data:`ARTEFACT_FRACTION` of it (smiles of an imperfect
      migration, multiples) is dropped.
    * Echoes: a response more than half a period beneath another and within
      its extent (± the suppression half-width) is its bottom echo,
      reverberation or multiple (the edges of a void's bottom echo focus
      apart); it is recorded with the upper one. A pipe right under a
      cavity's top is lost to it; a cavity under a pipe is not (it is wider).
    """
    alive = [True] * len(responses)
    aperture = APERTURE_M / grid.dx
    for i, r in enumerate(responses):  # strongest first
        if not alive[i]:
            continue
        for j in range(i + 1, len(responses)):
            q = responses[j]
            if alive[j] and q.peak < ARTEFACT_FRACTION * r.peak and abs(q.centre - r.centre) <= aperture:
                alive[j] = False
    kept = sorted((r for r, a in zip(responses, alive, strict=True) if a), key=lambda r: r.sample)
    half = grid.samples(0.5)
    out = []
    for r in kept:
        host = next(
            (
                u for u in out
                if r.sample > u.sample + half
                and u.left - half_traces <= r.left
                and r.right <= u.right + half_traces
            ),
            None,
        )  # fmt: skip
        if host is None:
            out.append(r)
        else:
            host.echoes.append((r.sample, r.peak))
    return out


def _features(r: _Response, *, env, noise, data, env_data, grid: _Grid, velocity, antenna, wavelet,
              reference_amplitude, impl, ids) -> Candidate:  # fmt: skip
    """The :class:`Candidate` of one response."""
    source, line, channel, across = ids
    tr, s, peak = r.trace, r.sample, r.peak
    n_img = env.shape[1]
    # migrated: time, extent, width
    tau = float(np.interp(_refined(env[tr], s), np.arange(n_img), grid.twt_img))
    width = (r.right - r.left) * grid.dx
    single = r.right - r.left < 2.0
    along = grid.along(_refined(env[:, s], tr) if single else r.centre)
    x_min, x_max = sorted((grid.along(r.left), grid.along(r.right)))
    depth = 0.5 * velocity * tau

    # ringing: mean energy over the top's traces, two periods beneath against the top's
    traces = np.arange(int(math.ceil(r.left)), int(math.floor(r.right)) + 1)
    traces = traces[r.picks[traces] >= 0] if traces.size else np.array([tr])
    if traces.size == 0:
        traces = np.array([tr])
    half, two = grid.samples(0.5), grid.samples(2.0)
    rows = np.arange(-half, half + two + 1)
    idx = np.clip(r.picks[traces][:, None] + rows[None, :], 0, n_img - 1)
    profile = np.mean(env[traces[:, None], idx] ** 2, axis=0)
    e_top = float(profile[rows <= half].sum())
    ringing = float(profile[rows > half].sum()) / e_top if e_top > 0 else math.nan
    strong = [(k, p) for k, p in r.echoes if p >= BOTTOM_FRACTION * peak]
    bottom = float(grid.twt_img[max(strong, key=lambda e: e[1])[0]]) if strong else math.nan

    # unmigrated: the apex's time on its trace, polarity, extent and picks
    twt = grid.twt
    t_apex = float(diffraction_twt(0.0, depth, velocity, antenna_height_m=antenna[0], antenna_separation_m=antenna[1]))
    k_apex = int(np.clip(round((t_apex - twt[0]) / grid.dt), 0, twt.size - 1))
    half_data = grid.samples_data(0.5)
    a, b = max(0, k_apex - half_data), min(twt.size, k_apex + half_data + 1)
    k_apex = a + int(np.argmax(env_data[tr, a:b]))
    # a flat top's traces stacked (one time over its width; a pipe's extent is a few traces)
    polarity = _polarity(data[traces].mean(axis=0), k_apex, wavelet, half_data)

    flank = max(PICK_FLANK_M, 0.5 * depth)
    max_steps = int(math.ceil((0.5 * width + flank) / grid.dx))
    down = int(math.ceil(2.0 * grid.dx / velocity / grid.dt)) + 1  # a diffraction's time grows ≤ 2 dx / v per trace
    up = grid.samples_data(RIDGE_DRIFT_PERIODS)
    apex_value = float(env_data[tr, k_apex])
    picks = impl.follow_ridge(env_data, tr, k_apex, up, down, PICK_LEVEL * apex_value, max_steps)
    u_left, u_right = _crossings(env_data, picks, tr, 0.5 * apex_value, (up, down))
    focus_ratio = (u_right - u_left) / (r.right - r.left) if r.right > r.left else math.nan

    picked = np.flatnonzero(picks >= 0)
    x = grid.distance[picked]
    t = np.interp([_refined(env_data[i], int(picks[i])) for i in picked], np.arange(twt.size), twt)
    hyper_misfit = flat_misfit = v_fit = v_std = r_fit = r_std = hyper_depth = math.nan
    if picked.size >= MIN_PICKS:
        with np.errstate(all="ignore"):  # a trial step of a fit may overflow; its residual then just loses
            hyper_misfit, v_fit, v_std, hyper_depth = _point_fit(x, t, antenna, along)
            pipe = _fixed_velocity_fit(x, t, velocity, antenna, flat=False, start=(along, depth, 0.01))
            r_fit, r_std = _radius(pipe, picked.size)
            flat = _fixed_velocity_fit(x, t, velocity, antenna, flat=True, start=(along, 0.5 * width, depth))
            flat_misfit = _rms(flat)
    return Candidate(
        source=source,
        line=line,
        channel=channel,
        along_m=along,
        across_m=across,
        twt_ns=tau,
        depth_m=depth,
        amplitude=peak / reference_amplitude,
        polarity=polarity,
        width_m=width,
        focus_ratio=focus_ratio,
        hyperbola_misfit=hyper_misfit,
        flat_misfit=flat_misfit,
        ringing=ringing,
        snr=peak / float(noise[s]),
        velocity_m_per_ns=v_fit,
        velocity_std_m_per_ns=v_std,
        radius_m=r_fit,
        radius_std_m=r_std,
        extra={
            "bottom_twt_ns": bottom,
            "x_min_m": x_min,
            "x_max_m": x_max,
            "n_picks": int(picked.size),
            "hyperbola_depth_m": hyper_depth,
            "n_echoes": len(r.echoes),
        },
    )
