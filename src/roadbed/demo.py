"""The demo: the sample survey end to end, with whatever the library can do so far.

Reads the survey manifest, positions every line in the road-local frame and
on the map, plots a B-scan per line, a depth slice through all lines with
the ground truth drawn over it and the survey map, and saves every
positioned profile as netCDF. It grows with every later capability.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from . import conventions as cv
from .hazards import Hazard
from .io import write
from .survey import open_survey

__all__ = ["run_demo", "sample_manifest"]

logger = logging.getLogger(__name__)

#: the repository's sample survey (present in a source checkout)
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def sample_manifest(out_dir: Path) -> Path:
    """The sample survey's manifest: the repository's, or one made afresh in ``out_dir``."""
    manifest = SAMPLE_DATA / "survey.toml"
    if manifest.is_file():
        return manifest
    from .synth.sample import make_sample_survey

    logger.info("no sample_data/ beside the package: making the sample survey in %s", out_dir)
    return make_sample_survey(Path(out_dir) / "sample_data")


def _truth(manifest: Path) -> list[Hazard]:
    path = manifest.with_name("truth.json")
    if not path.is_file():
        return []
    return [Hazard.from_dict(item) for item in json.loads(path.read_text())]


def _draw_truth(ax, truth: list[Hazard], *, surface: bool) -> None:
    """Draw hazard outlines in plan view (along × across)."""
    for hazard in truth:
        if (hazard.depth_m == 0.0) != surface:
            continue
        along = [v[0] for v in hazard.vertices]
        across = [v[1] for v in hazard.vertices]
        if hazard.geometry_type == "polygon":
            along, across = along + along[:1], across + across[:1]
        style = {"pipe": "-", "cavity": "-", "other": "."}.get(hazard.kind, ":")
        colour = {"pipe": "tab:orange", "cavity": "tab:red"}.get(hazard.kind, "tab:cyan")
        ax.plot(along, across, style, color=colour, lw=1.2, ms=3, alpha=0.8)


def _velocity(profile) -> float | None:
    eps = profile.attrs.get(cv.ATTR_RELATIVE_PERMITTIVITY)
    return cv.C_M_PER_NS / float(np.sqrt(eps)) if eps else None


def run_demo(out_dir, *, manifest=None, slice_depth_m: float = 0.45) -> dict:
    """Run the demo and write its outputs.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the outputs (created).
    manifest : str or os.PathLike, optional
        A survey manifest; default the sample survey.
    slice_depth_m : float
        Depth of the plan-view slice, m (converted to two-way time after
        each line's time zero with the velocity of its header's permittivity).

    Returns
    -------
    dict
        ``{"manifest", "lines": [...], "outputs": [...]}``, also written to
        ``OUT/summary.json``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)  # the demo writes files; it never opens a window
    import matplotlib.pyplot as plt

    from .plot import plot_bscan, plot_depth_slice, plot_survey_map

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Path(manifest) if manifest is not None else sample_manifest(out)
    survey = open_survey(manifest)
    profiles = survey.profiles()
    truth = _truth(manifest)
    outputs: list[str] = []
    lines = []

    fig, axes = plt.subplots(len(profiles), 1, figsize=(10, 3.2 * len(profiles)), squeeze=False)
    for ax, line, profile in zip(axes[:, 0], survey.lines, profiles, strict=True):
        middle = profile.isel({cv.CHANNEL: profile.sizes[cv.CHANNEL] // 2}) if cv.CHANNEL in profile.dims else profile
        velocity = _velocity(profile)
        plot_bscan(middle, ax=ax, depth_velocity_m_per_ns=velocity)
        across = float(middle.coords[cv.ACROSS].values.mean())
        ax.set_title(f"{line.path.name}: across = {across:+.3f} m")
        nc_path = write(profile, out / f"{line.path.stem}.nc")
        outputs.append(str(nc_path))
        lines.append({
            "path": str(line.path), "format": line.format, "dims": list(profile.dims),
            "shape": list(profile.shape), "along_m": [float(profile[cv.ALONG].min()), float(profile[cv.ALONG].max())],
            "across_m": [float(profile[cv.ACROSS].min()), float(profile[cv.ACROSS].max())],
            "has_map_xy": bool(cv.X in profile.coords), "netcdf": str(nc_path),
        })
    fig.tight_layout()
    fig.savefig(out / "bscans.png", dpi=110)
    plt.close(fig)
    outputs.append(str(out / "bscans.png"))

    fig, ax = plt.subplots(figsize=(10, 3.5))
    for profile in profiles:
        if cv.CHANNEL not in profile.dims:
            continue
        velocity = _velocity(profile) or 0.1
        t0 = profile.attrs.get(cv.ATTR_TIME_ZERO, 0.0)
        t0 = float(np.mean(t0))
        plot_depth_slice(profile, twt_ns=t0 + 2 * slice_depth_m / velocity, ax=ax)
    _draw_truth(ax, truth, surface=False)
    ax.set_title(f"depth slice at {slice_depth_m:.2f} m (truth outlined: pipes orange, cavities red)")
    ax.set_ylim(*survey.extent()[2:])
    fig.tight_layout()
    fig.savefig(out / "depth_slice.png", dpi=110)
    plt.close(fig)
    outputs.append(str(out / "depth_slice.png"))

    fig, ax = plt.subplots(figsize=(6, 6))
    plot_survey_map(survey, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "survey_map.png", dpi=110)
    plt.close(fig)
    outputs.append(str(out / "survey_map.png"))

    summary = {"manifest": str(manifest), "survey": survey.name, "crs": survey.crs,
               "extent_m": list(survey.extent()), "lines": lines, "truth": len(truth), "outputs": outputs}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
