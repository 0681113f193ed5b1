"""The sample survey: a small urban road surveyed twice by a GPR array, and a laser scan of its surface.

The road runs 10 m along a heading of 30° (clockwise from north) in UTM zone
52N. Under layered pavement lie a metal pipe and a water-filled plastic pipe,
crossing the road at an angle, an air-filled cavity, and stones. A 6-channel
array (7.5 cm spacing) drives two adjacent passes in opposite directions; each
pass is written as a multi-channel GSSI DZT with a GNSS CSV, and a survey
manifest places them in one road-local frame. A laser scan of a 3 m stretch
holds a pothole and cracks. Ground truth goes to ``truth.json``.

Run ``python -m roadbed.synth.sample DIR`` to write it; the repository's
``sample_data/`` was made so.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from ..io import write
from .gpr import Cavity, GprScene, Pipe, ground_truth, random_stones, synthetic_survey
from .las import write_pavement_las
from .pavement import Crack, Pothole, synthetic_pavement

__all__ = ["SAMPLE", "make_sample_survey"]

#: facts of the sample survey
SAMPLE = {
    "name": "sample street",
    "crs": "EPSG:32652",
    "origin_xy_m": (323_000.0, 4_160_000.0),  # map position of along = 0, across = 0
    "heading_deg": 30.0,  # map azimuth of +along, clockwise from north
    "n_channels": 6,
    "channel_spacing_m": 0.075,
    "n_traces": 251,
    "trace_spacing_m": 0.04,
    "n_samples": 256,
    "time_window_ns": 40.0,
    "frequency_hz": 600e6,
    "time_zero_ns": 3.0,
    "seed": 20261126,
    # across position of channel 0 of each pass, and whether it was driven against +along
    "passes": (("pass1", -0.45, False), ("pass2", 0.375, True)),
}


def _scene(rng) -> GprScene:
    length = (SAMPLE["n_traces"] - 1) * SAMPLE["trace_spacing_m"]
    return GprScene(
        pipes=(
            Pipe(along_m=2.5, across_m=0.0, depth_m=0.55, radius_m=0.05, material="metal", angle_deg=10.0),
            Pipe(along_m=7.5, across_m=0.0, depth_m=0.85, radius_m=0.08, material="water", angle_deg=-25.0),
        ),
        cavities=(
            Cavity(along_m=5.0, across_m=-0.1, depth_m=0.4, length_m=0.7, width_m=0.5, height_m=0.2, fill="air"),
        ),
        scatterers=random_stones(rng, 12, along_range_m=(0.0, length), across_range_m=(-0.5, 0.4),
                                 depth_range_m=(0.15, 0.6)),
    )


def _to_vehicle_frame(scene: GprScene, *, channel0_m: float, reverse: bool, length_m: float) -> GprScene:
    """The scene in the frame of :func:`synthetic_survey` for one pass.

    ``synthetic_survey`` puts trace 0 at along 0 and centres its channels on
    across 0, with channel i to the left. A forward pass is a shift; a pass
    driven the other way is also turned by 180° (which keeps plan angles).
    """
    centre = (SAMPLE["n_channels"] - 1) / 2 * SAMPLE["channel_spacing_m"]

    def move(obj):
        if reverse:
            return dataclasses.replace(obj, along_m=length_m - obj.along_m, across_m=channel0_m - obj.across_m - centre)
        return dataclasses.replace(obj, across_m=obj.across_m - channel0_m - centre)

    return dataclasses.replace(
        scene,
        pipes=tuple(move(p) for p in scene.pipes),
        cavities=tuple(move(c) for c in scene.cavities),
        scatterers=tuple(move(s) for s in scene.scatterers),
    )


def road_to_map(along_m, across_m) -> tuple[np.ndarray, np.ndarray]:
    """Map x/y (m, UTM 52N) of road-local positions."""
    heading = math.radians(SAMPLE["heading_deg"])
    x0, y0 = SAMPLE["origin_xy_m"]
    along_m, across_m = np.asarray(along_m, float), np.asarray(across_m, float)
    # +along points along the heading; +across to its left
    x = x0 + along_m * math.sin(heading) - across_m * math.cos(heading)
    y = y0 + along_m * math.cos(heading) + across_m * math.sin(heading)
    return x, y


def make_sample_survey(out_dir) -> Path:
    """Write the sample survey into ``out_dir`` and return its manifest.

    Files written: ``pass1.dzt``, ``pass2.dzt`` (6 channels, 16-bit),
    ``pass1_gnss.csv``, ``pass2_gnss.csv`` (trace, x, y in EPSG:32652),
    ``pavement.las`` (laser scan, 10 mm grid), ``truth.json`` (hazard records,
    road-local) and ``survey.toml``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SAMPLE["seed"])
    scene = _scene(rng)
    n, dx = SAMPLE["n_traces"], SAMPLE["trace_spacing_m"]
    spacing, n_ch = SAMPLE["channel_spacing_m"], SAMPLE["n_channels"]
    length = (n - 1) * dx
    lines = []
    for name, channel0, reverse in SAMPLE["passes"]:
        local = _to_vehicle_frame(scene, channel0_m=channel0, reverse=reverse, length_m=length)
        da, _ = synthetic_survey(
            local, n_channels=n_ch, n_traces=n, n_samples=SAMPLE["n_samples"], trace_spacing_m=dx,
            channel_spacing_m=spacing, time_window_ns=SAMPLE["time_window_ns"],
            frequency_hz=SAMPLE["frequency_hz"], time_zero_ns=SAMPLE["time_zero_ns"],
            attenuation_db_per_m=3.0, noise_std=0.002, rng=rng,
        )
        write(da, out / f"{name}.dzt", bits=16)
        d = np.arange(n) * dx
        along = length - d if reverse else d
        middle = channel0 + (-1 if reverse else 1) * (n_ch - 1) / 2 * spacing
        x, y = road_to_map(along, np.full(n, middle))
        rows = "\n".join(f"{i},{xi:.3f},{yi:.3f}" for i, (xi, yi) in enumerate(zip(x, y, strict=True)))
        (out / f"{name}_gnss.csv").write_text(f"trace,x,y\n{rows}\n")
        lines.append((name, channel0, reverse))

    across_lo = min(c - (n_ch - 1) * spacing if r else c for _, c, r in lines) - spacing / 2
    across_hi = max(c if r else c + (n_ch - 1) * spacing for _, c, r in lines) + spacing / 2
    truth = ground_truth(scene, along_range_m=(0.0, length), across_range_m=(across_lo, across_hi))

    scan, pavement_truth = synthetic_pavement(
        length_m=3.0, width_m=0.9, along_spacing_mm=10.0, across_spacing_mm=10.0, start_m=3.5,
        cracks=(Crack(((4.0, -0.3), (6.2, -0.25)), width_mm=20.0, depth_mm=15.0, crack_type="longitudinal"),),
        potholes=(Pothole(along_m=5.0, across_m=0.15, radius_m=0.2, depth_mm=40.0),),
        texture_mpd_mm=0.8, rng=rng,
    )
    write_pavement_las(scan, out / "pavement.las", origin_xy_m=SAMPLE["origin_xy_m"],
                       heading_deg=SAMPLE["heading_deg"], crs=SAMPLE["crs"])
    records = [h.to_dict() for h in [*truth, *pavement_truth]]
    (out / "truth.json").write_text(json.dumps(records, indent=1) + "\n")

    manifest = [f'[survey]\nname = "{SAMPLE["name"]}"\ncrs = "{SAMPLE["crs"]}"\n']
    for name, channel0, reverse in lines:
        manifest.append(
            f'[[line]]\npath = "{name}.dzt"\noffset_m = {channel0}\nchannel_spacing_m = {spacing}\n'
            f'reverse = {"true" if reverse else "false"}\ngnss = "{name}_gnss.csv"\n'
        )
    path = out / "survey.toml"
    path.write_text("\n".join(manifest))
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m roadbed.synth.sample", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="folder to write the sample survey into")
    args = parser.parse_args(argv)
    print(make_sample_survey(args.out_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

