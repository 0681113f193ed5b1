"""A response found in one B-scan: the record that detection's stages pass on.

:func:`roadbed.detect.responses.find_responses` finds them in each B-scan
(one line, or one channel of an array), :mod:`roadbed.detect.classify` gives
each a kind and a confidence, :mod:`roadbed.detect.link` joins those of
neighbouring channels and lines into pipes and cavities, and
:mod:`roadbed.detect.pipeline` turns the result into
:class:`~roadbed.hazards.Hazard` records.

Positions are road-local: ``along_m`` is the B-scan's ``distance`` coordinate
(for gprMax files the model x of the source–receiver midpoint), ``across_m``
the line's or channel's offset (0 for a single line), ``depth_m`` the depth
of the response's top below the ground surface.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

__all__ = ["Candidate", "FEATURES"]

#: the numeric features the classifier reads, in this order (see :class:`Candidate` for meaning and units).
#: Shape, signal-to-noise and reverberation only. The amplitude relative to the surface reflection depends
#: on spreading (a 2-D model's line source against a real antenna), on the antenna's height and on the direct
#: wave that overlaps a raised antenna's surface reflection; polarity flips with that overlap; depth says
#: nothing about what a response is. All three still describe a detection (material, fill).
FEATURES = (
    "width_m",
    "focus_ratio",
    "hyperbola_misfit",
    "flat_misfit",
    "ringing",
    "snr",
)


@dataclass(frozen=True)
class Candidate:
    """One response (diffraction apex or flat reflector top) in one B-scan.

    Attributes
    ----------
    source : str
        File the B-scan came from.
    line : int
        Index of the line (file) in the survey, 0 for a single file.
    channel : int
        Channel index within the line, 0 for a single-channel file.
    along_m : float
        Along-track position of the apex (or of the centre of a flat top), m.
    across_m : float
        Across-track position of the channel or line, m.
    twt_ns : float
        Two-way time of the apex or top after time zero (the ground surface), ns.
    depth_m : float
        Depth of the top below the ground surface, m.
    amplitude : float
        Peak of the migrated envelope relative to the surface reflection's
        envelope peak (dimensionless, after the recipe's gain).
    polarity : float
        Normalised correlation of the unmigrated traces at the top (stacked)
        with the surface reflection's wavelet at the best lag, −1 … 1: > 0 same polarity as the surface
        (metal, water), < 0 reversed (air void, air-filled plastic pipe).
    width_m : float
        Along-track extent of the migrated response above half its peak, m.
    focus_ratio : float
        Width of the unmigrated response above half its peak divided by
        ``width_m``: large for a diffraction (migration collapses it), about
        1 for a flat reflector.
    hyperbola_misfit, flat_misfit : float
        RMS misfit (ns) of the picked arrival times around the response to a
        diffraction hyperbola and to a flat top with diffracting edges.
    ringing : float
        Envelope energy in the two periods beneath the response relative to
        that of the response (reverberation in a void).
    snr : float
        Peak of the migrated envelope over the robust noise level of the image.
    velocity_m_per_ns, velocity_std_m_per_ns : float
        Velocity from the hyperbola fit and its standard error (nan if not fitted).
    radius_m, radius_std_m : float
        Fitted radius and standard error (nan where not resolvable).
    kind : str
        ``"pipe"``, ``"cavity"`` or ``"other"`` once classified, ``""`` before.
    confidence : float
        Probability of ``kind`` (0–1) once classified, nan before.
    extra : dict
        Anything else a stage wants to pass on (not read by the classifier).
    """

    source: str
    line: int
    channel: int
    along_m: float
    across_m: float
    twt_ns: float
    depth_m: float
    amplitude: float
    polarity: float
    width_m: float
    focus_ratio: float = math.nan
    hyperbola_misfit: float = math.nan
    flat_misfit: float = math.nan
    ringing: float = math.nan
    snr: float = math.nan
    velocity_m_per_ns: float = math.nan
    velocity_std_m_per_ns: float = math.nan
    radius_m: float = math.nan
    radius_std_m: float = math.nan
    kind: str = ""
    confidence: float = math.nan
    extra: dict = field(default_factory=dict)

    def features(self) -> tuple[float, ...]:
        """The values of :data:`FEATURES`, in that order."""
        return tuple(float(getattr(self, name)) for name in FEATURES)

    def to_dict(self) -> dict:
        """Plain-Python form, for JSON."""
        return asdict(self)
