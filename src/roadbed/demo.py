"""The demo: the sample survey end to end, with whatever the library can do so far.

Reads the survey manifest, positions every line in the road-local frame and
on the map, plots a B-scan per line, a depth slice through all lines with
the ground truth drawn over it and the survey map, and saves every
positioned profile as netCDF. Then processes every line with the default
recipe (to depth), grids the survey into one volume and plots processed
B-scans and a depth slice of the volume; detects pipes and cavities
(``roadbed detect``) and draws them on the B-scans, the depth slice and a
plan map beside the truth; and measures the laser scan of the surface (ruts,
potholes, texture, cracks). It grows with every later capability.
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

    processed = _process(survey, profiles, truth, out, outputs, slice_depth_m=slice_depth_m)
    detected = _detections(manifest, survey, truth, out, outputs, slice_depth_m=slice_depth_m)
    surface = _pavement(manifest, truth, out, outputs)

    summary = {"manifest": str(manifest), "survey": survey.name, "crs": survey.crs,
               "extent_m": list(survey.extent()), "lines": lines, "truth": len(truth),
               "processing": processed, "detections": detected, "pavement": surface, "outputs": outputs}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def _process(survey, profiles, truth, out: Path, outputs: list, *, slice_depth_m: float) -> dict:
    """Default recipe on every line, processed B-scans, one gridded volume and its depth slice."""
    import matplotlib.pyplot as plt

    from .gpr import apply_recipe, default_recipe, grid_survey
    from .plot import plot_bscan, plot_depth_slice

    recipe = default_recipe()
    processed = [apply_recipe(profile, recipe) for profile in profiles]
    fig, axes = plt.subplots(len(processed), 1, figsize=(10, 3.2 * len(processed)), squeeze=False)
    for ax, line, section in zip(axes[:, 0], survey.lines, processed, strict=True):
        middle = section.isel({cv.CHANNEL: section.sizes[cv.CHANNEL] // 2}) if cv.CHANNEL in section.dims else section
        plot_bscan(middle, ax=ax)
        ax.set_title(f"{line.path.name}, recipe {recipe.name!r}: across = {float(middle[cv.ACROSS].mean()):+.3f} m")
    fig.tight_layout()
    fig.savefig(out / "processed_bscans.png", dpi=110)
    plt.close(fig)
    outputs.append(str(out / "processed_bscans.png"))

    along_step = float(np.median(np.diff(profiles[0][cv.ALONG].values)))
    spacing = float(np.median(np.abs(np.diff(profiles[0][cv.ACROSS].values)))) if cv.CHANNEL in profiles[0].dims \
        else along_step
    volume = grid_survey(processed, along_step_m=along_step, across_step_m=spacing)
    volume_path = write(volume, out / "volume.nc")
    outputs.append(str(volume_path))
    fig, ax = plt.subplots(figsize=(10, 3.5))
    plot_depth_slice(volume, depth_m=slice_depth_m, ax=ax)
    _draw_truth(ax, truth, surface=False)
    ax.set_title(f"processed volume at {slice_depth_m:.2f} m depth (truth: pipes orange, cavities red)")
    fig.tight_layout()
    fig.savefig(out / "processed_depth_slice.png", dpi=110)
    plt.close(fig)
    outputs.append(str(out / "processed_depth_slice.png"))
    return {"recipe": recipe.name, "volume": str(volume_path), "volume_dims": list(volume.dims),
            "volume_shape": list(volume.shape)}


#: colour of each detected kind in the demo's figures
KIND_COLOURS = {"pipe": "tab:orange", "cavity": "tab:red", "other": "tab:cyan"}


def _draw_detections(ax, hazards: list[Hazard], *, frame: str = "road") -> None:
    """Detected hazards in plan view: road ``along`` × ``across`` or map ``x`` × ``y``, with a marker per vertex."""
    for hazard in hazards:
        if frame == "map":
            if hazard.map_vertices is None:
                continue
            pts = np.asarray(hazard.map_vertices, float)
        else:
            pts = np.asarray(hazard.vertices, float)[:, :2]
        if hazard.geometry_type == "polygon":
            pts = np.vstack([pts, pts[:1]])
        ax.plot(pts[:, 0], pts[:, 1], "o-" if hazard.kind != "other" else "x", color=KIND_COLOURS[hazard.kind],
                lw=2.0, ms=4, mec="k", mew=0.5)  # fmt: skip


def _detections(manifest: Path, survey, truth: list[Hazard], out: Path, outputs: list, *,
                slice_depth_m: float) -> dict:  # fmt: skip
    """``roadbed detect`` on the survey: JSON, detections on B-scans, on a depth slice and on the map."""
    import matplotlib.pyplot as plt

    from .detect import detect, json_items
    from .detect.score import score_detections
    from .plot import plot_bscan, plot_depth_slice

    found = detect([manifest])
    items = json_items(found)
    (out / "detections.json").write_text(json.dumps(items, indent=1) + "\n")
    outputs.append(str(out / "detections.json"))

    fig, axes = plt.subplots(len(found.lines), 1, figsize=(10, 3.2 * len(found.lines)), squeeze=False)
    for ax, line in zip(axes[:, 0], found.lines, strict=True):
        channel = line.processed.sizes[cv.CHANNEL] // 2
        plot_bscan(line.processed.isel({cv.CHANNEL: channel}), ax=ax)
        for c in found.candidates:
            if c.line == line.line and c.channel == channel:
                ax.plot(c.along_m, c.twt_ns, "o", mfc="none", mec=KIND_COLOURS.get(c.kind, "w"), ms=12, mew=2)
                ax.annotate(f"{c.kind} {c.confidence:.2f}", (c.along_m, c.twt_ns), color=KIND_COLOURS.get(c.kind, "w"),
                            xytext=(8, -8), textcoords="offset points", fontsize=8)  # fmt: skip
        ax.set_title(f"{Path(line.source).name}, channel {channel}: detections (v = {line.velocity_m_per_ns:.3f} m/ns)")
    fig.tight_layout()
    fig.savefig(out / "detections_bscans.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 3.5))
    for line in found.lines:  # each line's processed channels, sliced at the depth its velocity gives
        plot_depth_slice(line.processed.assign_coords({cv.ALONG: (cv.TRACE, line.processed[cv.DISTANCE].values)}),
                         twt_ns=2 * slice_depth_m / line.velocity_m_per_ns, ax=ax)  # fmt: skip
    _draw_truth(ax, truth, surface=False)
    _draw_detections(ax, found.hazards)
    ax.set_ylim(*survey.extent()[2:])
    ax.set_title(f"detections over the depth slice at {slice_depth_m:.2f} m (thin: truth; thick: detected)")
    fig.tight_layout()
    fig.savefig(out / "detections_depth_slice.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 6))
    from .plot import plot_survey_map

    plot_survey_map(survey, ax=ax)
    frame = "map" if all(h.map_vertices is not None for h in found.hazards) and found.hazards else "road"
    _draw_detections(ax, found.hazards, frame=frame)
    ax.set_title("detections on the survey map (orange pipes, red cavities, cyan other)")
    fig.tight_layout()
    fig.savefig(out / "detections_map.png", dpi=110)
    plt.close(fig)
    outputs += [str(out / f"detections_{name}.png") for name in ("bscans", "depth_slice", "map")]
    extent = survey.extent()
    score = score_detections(items, truth, surveyed_length_m=extent[1] - extent[0])
    return {"n_detections": len(items), "kinds": {k: sum(it["kind"] == k for it in items) for k in KIND_COLOURS},
            "score": score.summary()}  # fmt: skip


def _pavement(manifest: Path, truth: list[Hazard], out: Path, outputs: list) -> dict | None:
    """Measure the survey's laser scan (``pavement.las`` beside the manifest), where there is one."""
    scan_path = manifest.with_name("pavement.las")
    if not scan_path.is_file():
        return None
    try:
        import laspy  # noqa: F401
    except ImportError:
        logger.warning("laspy is not installed (extra 'las'): the laser scan %s is skipped", scan_path)
        return None
    import matplotlib.pyplot as plt

    from .pavement import measure_pavement, read_scan
    from .synth.sample import SAMPLE

    # the sample scan is in map coordinates; its road frame is the sample survey's
    scan = read_scan(scan_path, resolution_mm=10.0, origin_xy_m=SAMPLE["origin_xy_m"],
                     heading_deg=SAMPLE["heading_deg"])
    from .cli_cracks import write_mask
    from .pavement.cracks import detect_cracks, measure_cracks

    report = measure_pavement(scan, input=str(scan_path))
    mask = detect_cracks(scan)
    cracks = measure_cracks(mask, source=str(scan_path))
    report["cracks"] = cracks.brief()
    outputs.append(str(write_mask(mask, out / "pavement_cracks.png")))
    fig, ax = plt.subplots(figsize=(10, 3.5))
    elevation = scan[cv.ELEVATION]
    image = ax.pcolormesh(scan[cv.ALONG].values, scan[cv.ACROSS].values, elevation.values.T, shading="nearest",
                          cmap="terrain")
    fig.colorbar(image, ax=ax, label="elevation (mm)")
    _draw_truth(ax, truth, surface=True)
    for crack in cracks.hazards:  # the measured centrelines (or a pattern's outline), drawn over the truth
        verts = np.asarray(crack.vertices)
        ax.plot(verts[:, 0], verts[:, 1], "-", color="k", lw=1.5)
        ax.annotate(f"{crack.attributes['crack_type']} crack, {crack.attributes['mean_width_mm']:.0f} mm "
                    f"({crack.attributes['severity']})", (verts[0, 0], verts[0, 1]), color="k", fontsize=8,
                    xytext=(0, 6), textcoords="offset points")  # fmt: skip
    for pothole in report["potholes"]:
        ax.annotate(f"pothole {pothole['max_depth_mm']:.0f} mm ({pothole['severity']})",
                    (pothole["along_m"], pothole["across_m"]), color="k", fontsize=8)
    ax.set_xlabel("along-track position (m)")
    ax.set_ylabel("across-track position (m)")
    ax.set_title(f"laser scan: MPD {report['mpd_mm']:.2f} mm, {len(report['potholes'])} pothole(s), "
                 f"{report['cracks']['n_cracks']} crack(s) (black: measured; truth dotted)")
    fig.tight_layout()
    fig.savefig(out / "pavement.png", dpi=110)
    plt.close(fig)
    (out / "pavement.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "pavement_table.md").write_text(pavement_table(report))
    outputs.extend([str(out / "pavement.png"), str(out / "pavement.json"), str(out / "pavement_table.md")])
    return report


def _mm(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def pavement_table(report: dict) -> str:
    """The ruts and potholes of a ``roadbed pavement --json`` report as Markdown tables."""
    lines = ["# Ruts", "", "| along (m) | wheel path | straightedge depth (mm) | wire depth (mm) |",
             "| ---: | --- | ---: | ---: |"]  # fmt: skip
    lines += [f"| {r['along_m']:.1f} | {r['wheel_path']} | {_mm(r['depth_straightedge_mm'])} | "
              f"{_mm(r['depth_wire_mm'])} |" for r in report["ruts"]]  # fmt: skip
    lines += ["", "# Potholes", "", "| along (m) | across (m) | area (m²) | max depth (mm) | mean depth (mm) | severity |",
              "| ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    lines += [f"| {p['along_m']:.2f} | {p['across_m']:.2f} | {p['area_m2']:.3f} | {p['max_depth_mm']:.1f} | "
              f"{p['mean_depth_mm']:.1f} | {p['severity']} |" for p in report["potholes"]]  # fmt: skip
    lines += ["", f"Mean profile depth: {report['mpd_mm']:.2f} mm", ""]
    return "\n".join(lines)
