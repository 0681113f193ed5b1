"""roadbed: find hazards in and under city roads from 3D GPR arrays and laser pavement scans.

The public API::

    import roadbed
    da = roadbed.read("line1.dzt")           # any supported GPR format → xarray.DataArray
    roadbed.write(da, "line1.nc")            # netCDF, zarr, SEG-Y, DZT
    survey = roadbed.open_survey("survey.toml")
    roadbed.detect_format("line1.dzt").name  # which reader would read it
    found = roadbed.detect.detect(["survey.toml"])  # pipes and cavities (the roadbed.detect package)
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import conventions
from .errors import FormatError
from .io import detect as detect_format
from .io import formats, read, write
from .hazards import Hazard
from .model import append_history, history, radargram
from .survey import Survey, SurveyLine, expand_inputs, open_survey
from . import plot, synth

__all__ = [
    "__version__",
    "FormatError",
    "Hazard",
    "Survey",
    "SurveyLine",
    "append_history",
    "conventions",
    "detect_format",
    "expand_inputs",
    "formats",
    "history",
    "open_survey",
    "plot",
    "radargram",
    "read",
    "synth",
    "write",
]
