"""Names, units and physical constants: the one place they are spelled.

Every module imports its dimension, coordinate, attribute and unit names from
here, so that a radargram written by one reader is understood by every
processing step, plot and writer.

Data model
----------
A *radargram* is an :class:`xarray.DataArray` with dims ``(TRACE, TWT)`` for a
single profile or ``(CHANNEL, TRACE, TWT)`` for an antenna array.

========== ============ ===== =============================================
coordinate on dim       units meaning
========== ============ ===== =============================================
``twt``    ``twt``      ns    two-way travel time of each sample
``distance`` ``trace``  m     distance along the track
``x``, ``y`` ``trace``  m     projected map coordinates (CRS in attrs)
``lon``, ``lat`` ``trace`` degree WGS 84 geographic coordinates
``time``   ``trace``    —     UTC time of each trace (datetime64[ns])
``offset`` ``channel``  m     across-track offset of each channel
========== ============ ===== =============================================

A gridded volume has dims ``(ALONG, ACROSS, TWT)`` or ``(ALONG, ACROSS, DEPTH)``.
"""

from __future__ import annotations

# --- dimensions -------------------------------------------------------------
TRACE = "trace"
TWT = "twt"
CHANNEL = "channel"
ALONG = "along"
ACROSS = "across"
DEPTH = "depth"

# --- coordinates --------------------------------------------------------------
DISTANCE = "distance"
X = "x"
Y = "y"
LON = "lon"
LAT = "lat"
TIME = "time"
OFFSET = "offset"
ELEVATION = "elevation"
MARK = "mark"

# --- units (CF / UDUNITS spelling) ----------------------------------------------
UNIT_NS = "ns"
UNIT_M = "m"
UNIT_DEGREE_EAST = "degree_east"
UNIT_DEGREE_NORTH = "degree_north"
UNIT_HZ = "Hz"
UNIT_M_PER_NS = "m/ns"
UNIT_MM = "mm"
UNIT_COUNTS = "1"

#: units attribute for each coordinate the data model defines
COORD_UNITS = {
    TWT: UNIT_NS,
    DISTANCE: UNIT_M,
    X: UNIT_M,
    Y: UNIT_M,
    LON: UNIT_DEGREE_EAST,
    LAT: UNIT_DEGREE_NORTH,
    OFFSET: UNIT_M,
    ELEVATION: UNIT_M,
    ALONG: UNIT_M,
    ACROSS: UNIT_M,
    DEPTH: UNIT_M,
}

#: CF long names for each coordinate
COORD_LONG_NAMES = {
    TWT: "two-way travel time",
    DISTANCE: "distance along track",
    X: "map easting",
    Y: "map northing",
    LON: "longitude",
    LAT: "latitude",
    TIME: "time of trace",
    OFFSET: "across-track offset",
    ELEVATION: "antenna elevation",
    MARK: "user mark",
    ALONG: "along-track position",
    ACROSS: "across-track position",
    DEPTH: "depth below ground surface",
}

# --- attributes ----------------------------------------------------------------
ATTR_UNITS = "units"
ATTR_LONG_NAME = "long_name"
ATTR_FORMAT = "format"
ATTR_SOURCE = "source_file"
ATTR_INSTRUMENT = "instrument"
ATTR_ANTENNA = "antenna"
ATTR_FREQUENCY = "frequency_hz"
ATTR_SAMPLE_INTERVAL = "sample_interval_ns"
ATTR_TIME_WINDOW = "time_window_ns"
ATTR_TRACE_SPACING = "trace_spacing_m"
ATTR_TRACES_PER_SECOND = "traces_per_second"
ATTR_RELATIVE_PERMITTIVITY = "relative_permittivity"
ATTR_TIME_ZERO = "time_zero_ns"
ATTR_CRS = "crs"
#: height of the antennas above the ground surface, m (0 or absent: ground-coupled)
ATTR_ANTENNA_HEIGHT = "antenna_height_m"
#: transmitter–receiver separation along track, m (0 or absent: zero offset)
ATTR_ANTENNA_SEPARATION = "antenna_separation_m"
ATTR_COMPONENT = "field_component"
ATTR_HISTORY = "history"
#: prefix of attributes that copy the instrument's raw header fields verbatim
RAW_HEADER_PREFIX = "raw_"

# --- pavement scans ---------------------------------------------------------------
#: dimension of a point cloud
POINT = "point"
#: scan attributes: the grid spacing, mm (absent where unknown, as for photographs)
ATTR_ALONG_SPACING = "along_spacing_mm"
ATTR_ACROSS_SPACING = "across_spacing_mm"

# --- data variable names ---------------------------------------------------------
AMPLITUDE = "amplitude"
INTENSITY = "intensity"

# --- physical constants ------------------------------------------------------------
#: speed of light in vacuum, m/ns
C_M_PER_NS = 0.299792458
