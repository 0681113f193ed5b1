"""Simulate the gprMax test scenes: layered pavement with pipes, cavities, stones.

Each scene is described below as plain Python data. For every scene this
script

1. writes the gprMax input file ``<name>.in`` (2-D TMz model, Hertzian
   dipole source, Ez receiver, B-scan with ``#src_steps``/``#rx_steps``);
2. runs gprMax **as a separate program** (``<gprmax-python> -m gprMax
   <name>.in -n <traces>``; gprMax is GPL and never imported here, nor
   installed in the project's environment);
3. merges the traces with gprMax's own merge tool
   (``-m gprMax.toolboxes.Utilities.outputfiles_merge``);
4. keeps only the receiver's Ez (float32, ``Iterations × traces``) and the
   metadata roadbed's reader needs (root attributes, ``/rxs/rx1``,
   ``/srcs/src1``, ``/trace_metadata`` positions) in gprMax's merged-output
   layout, as ``<name>.out`` (< 1 MB each; no time decimation is needed);
5. writes ``truth.json``: layers, targets, antenna geometry and the travel
   times and velocities the layer permittivities predict.

Run it from the repository root with the project's environment::

    .venv/bin/python scenes/gprmax/make_scenes.py --gprmax-python /work/gprmax-venv/bin/python

``--only NAME ...`` runs some scenes; ``--inputs-only`` writes the ``.in``
files and ``truth.json`` without simulating.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
C_M_PER_NS = 0.299792458
MU0 = 4e-7 * np.pi

# --- model and acquisition, shared by every scene ------------------------------
DX = 0.005               #: cell size (m), square cells
WIDTH = 2.0              #: model x extent (m)
GROUND_Y = 1.35          #: model y of the ground surface (m); depth below it = GROUND_Y - y
AIR = 0.20               #: air above the ground (m), PML included
ANTENNA_HEIGHT = 0.05    #: source and receiver height above the ground surface (m)
OFFSET = 0.10            #: receiver x - source x (m)
FIRST_MIDPOINT = 0.19    #: midpoint x of the first trace (m)
STEP = 0.03              #: trace spacing (m), a whole number of cells
N_TRACES = 55
TIME_WINDOW = 30e-9      #: s
FREQUENCY = 0.8e9        #: Ricker centre frequency (Hz)
PML_CELLS = 10           #: gprMax's default PML thickness

ANTENNA_Y = GROUND_Y + ANTENNA_HEIGHT
TX_X0 = FIRST_MIDPOINT - OFFSET / 2
RX_X0 = FIRST_MIDPOINT + OFFSET / 2


@dataclass(frozen=True)
class Material:
    name: str
    eps: float          #: relative permittivity
    sigma: float = 0.0  #: conductivity (S/m)


PEC = Material("pec", float("inf"), float("inf"))
AIR_FILL = Material("free_space", 1.0, 0.0)
WATER = Material("water", 80.0, 0.05)
PVC = Material("pvc", 3.0, 0.0)


@dataclass(frozen=True)
class Layer:
    name: str
    thickness: float | None  #: m; None for the half-space at the bottom
    material: Material


@dataclass(frozen=True)
class Target:
    """A buried object, infinite along the model's z axis (2-D)."""

    kind: str               #: "pipe", "cavity" or "other"
    x: float                #: model x of the centre (m)
    depth_top: float        #: depth of the top below the ground surface (m)
    fill: Material
    radius: float | None = None                     #: pipes (outer radius, m)
    wall: tuple[float, Material] | None = None      #: pipe wall thickness (m) and material
    size: tuple[float, float] | None = None         #: cavities: (width, height) in m
    description: str = ""


@dataclass(frozen=True)
class Stone:
    x: float
    depth: float   #: depth of the centre (m)
    radius: float
    eps: float


@dataclass
class Scene:
    name: str
    title: str
    layers: tuple[Layer, ...]
    targets: tuple[Target, ...] = ()
    stones: tuple[Stone, ...] = ()
    n_traces: int = N_TRACES
    allow_underresolved: bool = False  #: water (eps 80) is sampled by ~3 cells per shortest wavelength
    notes: str = ""


def pavement(asphalt=(0.08, 5.5, 0.001), base=(0.25, 8.0, 0.005), subgrade=(12.0, 0.005)):
    return (
        Layer("asphalt", asphalt[0], Material("asphalt", asphalt[1], asphalt[2])),
        Layer("base", base[0], Material("base", base[1], base[2])),
        Layer("subgrade", None, Material("subgrade", subgrade[0], subgrade[1])),
    )


def _stones(seed: int, count: int, layers) -> tuple[Stone, ...]:
    """Small dielectric cylinders (eps 6-8, r 1-3 cm) scattered in base and subgrade, away from the edges."""
    rng = np.random.default_rng(seed)
    top = layers[0].thickness + 0.02
    stones = []
    while len(stones) < count:
        r = float(np.round(rng.uniform(0.01, 0.03) / DX) * DX)
        x = float(np.round(rng.uniform(0.25, WIDTH - 0.25) / DX) * DX)
        depth = float(np.round(rng.uniform(top + r, 1.05) / DX) * DX)
        if any(np.hypot(x - s.x, depth - s.depth) < r + s.radius + 0.04 for s in stones):
            continue
        stones.append(Stone(x, depth, r, float(np.round(rng.uniform(6.0, 8.0), 2))))
    return tuple(stones)


def scenes() -> list[Scene]:
    s6_layers = pavement()
    return [
        Scene("s1_metal_pipe", "metal pipe r=5 cm, top at 0.5 m", pavement(),
              (Target("pipe", 1.00, 0.50, PEC, radius=0.05, description="steel pipe"),)),
        Scene("s2_water_pipe", "water-filled plastic pipe r=7.5 cm, top at 0.8 m",
              pavement(asphalt=(0.10, 6.0, 0.001), base=(0.30, 9.0, 0.005), subgrade=(15.0, 0.01)),
              (Target("pipe", 0.85, 0.80, WATER, radius=0.075, wall=(0.01, PVC),
                      description="PVC pipe, 1 cm wall, full of water"),),
              allow_underresolved=True,
              notes=("the reflection from the far side of the water, inside the pipe, is as strong as the one "
                     "from the top and arrives ~8 ns after it (cut by the 30 ns window)")),
        Scene("s3_small_metal_pipe", "small metal pipe r=2 cm, top at 0.3 m",
              pavement(asphalt=(0.06, 5.0, 0.001), base=(0.20, 7.0, 0.003), subgrade=(10.0, 0.005)),
              (Target("pipe", 1.12, 0.30, PEC, radius=0.02, description="steel conduit"),)),
        Scene("s4_air_cavity", "air-filled cavity 0.5 m x 0.15 m, top at 0.4 m", pavement(),
              (Target("cavity", 0.95, 0.40, AIR_FILL, size=(0.50, 0.15), description="air void"),),
              notes="top reflection positive (into air), then the bottom of the void 1.0 ns later and multiples"),
        Scene("s5_water_cavity", "water-filled cavity 0.4 m x 0.1 m, top at 0.6 m",
              pavement(asphalt=(0.09, 6.0, 0.001), base=(0.28, 8.5, 0.005), subgrade=(14.0, 0.008)),
              (Target("cavity", 1.05, 0.60, WATER, size=(0.40, 0.10), description="water-filled void"),),
              allow_underresolved=True),
        Scene("s6_negative_stones", "layers and scattered stones, no pipe or cavity", s6_layers,
              stones=_stones(6, 16, s6_layers),
              notes="16 stones: dielectric cylinders r 1-3 cm, eps 6-8, in base and subgrade; not targets"),
        Scene("s7_two_pipes", "metal pipe at 0.4 m and air-filled plastic pipe at 1.0 m, 0.6 m apart",
              pavement(asphalt=(0.07, 5.5, 0.001), base=(0.25, 8.0, 0.005), subgrade=(11.0, 0.005)),
              (Target("pipe", 0.70, 0.40, PEC, radius=0.05, description="steel pipe"),
               Target("pipe", 1.30, 1.00, AIR_FILL, radius=0.08, wall=(0.01, PVC),
                      description="empty PVC pipe, 1 cm wall"))),
    ]


FREE_SPACE = Scene("s0_free_space", "free space: the direct wave alone (reference for direct-wave removal)",
                   layers=(), n_traces=1)


# --- travel times predicted from the description -------------------------------
def ricker_current(t_s: np.ndarray, f_hz: float = FREQUENCY) -> np.ndarray:
    """gprMax's ``ricker`` waveform: -(2ζτ² - 1)·exp(-ζτ²), τ = t - √2/f, ζ = π²f²."""
    zeta, chi = np.pi**2 * f_hz**2, np.sqrt(2.0) / f_hz
    tau = t_s - chi
    return -(2 * zeta * tau**2 - 1) * np.exp(-zeta * tau**2)


def line_source_ez(rho_m: float, t_s: np.ndarray, f_hz: float = FREQUENCY) -> np.ndarray:
    """Ez (arbitrary scale) at distance ρ from a 2-D line current with gprMax's Ricker waveform.

    Ez(ρ, t) = -(μ0/2π) ∂/∂t ∫ I(t - τ) / √(τ² - ρ²/c²) dτ over τ > ρ/c;
    with τ = (ρ/c)·cosh u this is -(μ0/2π) ∫₀^∞ I'(t - (ρ/c)cosh u) du.
    """
    c = C_M_PER_NS * 1e9
    u = np.linspace(0.0, 12.0, 6001)
    lag = (rho_m / c) * np.cosh(u)
    zeta, chi = np.pi**2 * f_hz**2, np.sqrt(2.0) / f_hz
    tau = t_s[:, None] - lag[None, :] - chi
    # dI/dt of the Ricker above
    di = (-4 * zeta * tau + 2 * zeta * tau * (2 * zeta * tau**2 - 1)) * np.exp(-zeta * tau**2)
    return -(MU0 / (2 * np.pi)) * np.trapezoid(di, u, axis=1)


def peak_time_ns(rho_m: float) -> float:
    """Time (ns) of the largest |Ez| of the line-source wave at distance ρ (fine grid, parabolic refinement)."""
    dt = 1e-12
    t = np.arange(0.0, 8e-9 + rho_m / (C_M_PER_NS * 1e9), dt)
    a = np.abs(line_source_ez(rho_m, t))
    i = int(np.argmax(a))
    y0, y1, y2 = a[i - 1], a[i], a[i + 1]
    frac = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return (i + frac) * dt * 1e9


def layer_stack_to(layers, depth: float):
    """[(name, thickness in m, eps)] of the layers between the surface and ``depth`` (m)."""
    out, top = [], 0.0
    for layer in layers:
        bottom = np.inf if layer.thickness is None else top + layer.thickness
        if depth > top:
            out.append((layer.name, float(min(depth, bottom) - top), layer.material.eps))
        top = bottom
    return out


def velocities_to(layers, depth: float) -> dict:
    stack = layer_stack_to(layers, depth)
    v = np.array([C_M_PER_NS / np.sqrt(eps) for _, _, eps in stack])
    d = np.array([thick for _, thick, _ in stack])
    t = 2 * d / v
    return {
        "twt_ground_ns": float(t.sum()),
        "v_avg_m_per_ns": float(2 * d.sum() / t.sum()),
        "v_rms_m_per_ns": float(np.sqrt(np.sum(v**2 * t) / t.sum())),
        "layers_above": [{"layer": n, "thickness_m": round(th, 6), "relative_permittivity": e}
                         for n, th, e in stack],
    }


def _material_json(m: Material) -> dict:
    if m is PEC:
        return {"name": "metal (PEC)"}
    return {"name": m.name, "relative_permittivity": m.eps, "conductivity_s_per_m": m.sigma}


def truth_entry(scene: Scene, direct_ns: float, surface_ns: float) -> dict:
    layers = [{"name": layer.name,
               "thickness_m": layer.thickness,
               "relative_permittivity": layer.material.eps,
               "conductivity_s_per_m": layer.material.sigma} for layer in scene.layers]
    targets = []
    for tg in scene.targets:
        entry = {"kind": tg.kind, "description": tg.description, "x_m": tg.x, "depth_top_m": tg.depth_top,
                 "fill": _material_json(tg.fill)}
        if tg.radius is not None:
            entry["radius_m"] = tg.radius
            entry["depth_centre_m"] = round(tg.depth_top + tg.radius, 6)
        if tg.wall is not None:
            entry["wall"] = {"thickness_m": tg.wall[0], **_material_json(tg.wall[1])}
        if tg.size is not None:
            entry["width_m"], entry["height_m"] = tg.size
        vel = velocities_to(scene.layers, tg.depth_top)
        entry.update(vel)
        entry["apex_twt_ns"] = round(surface_ns + vel["twt_ground_ns"], 4)
        targets.append(entry)
    return {
        "file": f"{scene.name}.out",
        "title": scene.title,
        "layers": layers,
        "targets": targets,
        "clutter": [{"kind": "stone", "x_m": s.x, "depth_centre_m": s.depth, "radius_m": s.radius,
                     "relative_permittivity": s.eps} for s in scene.stones],
        "n_traces": scene.n_traces,
        "notes": scene.notes,
        "surface_twt_ns": round(surface_ns, 4),
        "direct_wave_twt_ns": round(direct_ns, 4),
    }


# --- gprMax input ------------------------------------------------------------------
def _f(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".") if v != 0 else "0"


def input_file(scene: Scene, threads: int = 1) -> str:
    height = GROUND_Y + AIR
    lines = [
        f"#title: {scene.title}",
        "#domain_mode: TM",
        f"#domain: {_f(WIDTH)} {_f(height)} inf",
        f"#dx_dy_dz: {DX} {DX} {DX}",
        f"#time_window: {TIME_WINDOW:g}",
        f"#num_threads: {threads}",
    ]
    used = {}
    for layer in scene.layers:
        used[layer.material.name] = layer.material
    for tg in scene.targets:
        for m in (tg.fill, tg.wall[1] if tg.wall else None):
            if m is not None and m not in (PEC, AIR_FILL):
                used[m.name] = m
    for i, s in enumerate(scene.stones):
        used[f"stone{i + 1}"] = Material(f"stone{i + 1}", s.eps, 0.001)
    lines += [f"#material: {m.eps:g} {m.sigma:g} 1 0 {name}" for name, m in used.items()]
    lines += [
        f"#waveform: ricker 1 {FREQUENCY:g} src_wave",
        f"#hertzian_dipole: z {_f(TX_X0)} {_f(ANTENNA_Y)} inf src_wave",
        f"#rx: {_f(RX_X0)} {_f(ANTENNA_Y)} inf",
        f"#src_steps: {_f(STEP)} 0 0",
        f"#rx_steps: {_f(STEP)} 0 0",
    ]
    top = GROUND_Y
    for layer in scene.layers:
        bottom = 0.0 if layer.thickness is None else top - layer.thickness
        lines.append(f"#box: 0 {_f(bottom)} 0 {_f(WIDTH)} {_f(top)} inf {layer.material.name}")
        top = bottom
    for i, s in enumerate(scene.stones):
        y = GROUND_Y - s.depth
        lines.append(f"#cylinder: {_f(s.x)} {_f(y)} 0 {_f(s.x)} {_f(y)} inf {_f(s.radius)} stone{i + 1}")
    for tg in scene.targets:
        if tg.radius is not None:
            yc = GROUND_Y - tg.depth_top - tg.radius
            inner = tg.radius
            if tg.wall is not None:
                lines.append(f"#cylinder: {_f(tg.x)} {_f(yc)} 0 {_f(tg.x)} {_f(yc)} inf "
                             f"{_f(tg.radius)} {tg.wall[1].name}")
                inner = tg.radius - tg.wall[0]
            lines.append(f"#cylinder: {_f(tg.x)} {_f(yc)} 0 {_f(tg.x)} {_f(yc)} inf {_f(inner)} {tg.fill.name}")
        else:
            w, h = tg.size
            top_y = GROUND_Y - tg.depth_top
            lines.append(f"#box: {_f(tg.x - w / 2)} {_f(top_y - h)} 0 {_f(tg.x + w / 2)} {_f(top_y)} inf "
                         f"{tg.fill.name}")
    return "\n".join(lines) + "\n"


# --- running and reducing ------------------------------------------------------------
def run_gprmax(scene: Scene, gprmax_python: str, workdir: Path, threads: int) -> Path:
    """Run the B-scan and merge it; returns the merged file (gprMax's full layout)."""
    infile = workdir / f"{scene.name}.in"
    infile.write_text(input_file(scene, threads))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [gprmax_python, "-m", "gprMax", str(infile), "-n", str(scene.n_traces),
           "--hide-progress-bars", "--log-level", "30"]
    if scene.allow_underresolved:
        cmd.append("--allow-underresolved")
    t0 = time.time()
    subprocess.run(cmd, check=True, env=env, cwd=workdir)
    print(f"{scene.name}: {scene.n_traces} traces in {time.time() - t0:.0f} s", file=sys.stderr)
    if scene.n_traces == 1:
        singles = [workdir / f"{scene.name}.h5"]
    else:
        singles = [workdir / f"{scene.name}{i}.h5" for i in range(1, scene.n_traces + 1)]
    merged = workdir / f"{scene.name}_merged.h5"
    subprocess.run([gprmax_python, "-c",
                    "import sys; from gprMax.toolboxes.Utilities.outputfiles_merge import merge_files;"
                    "merge_files(sys.argv[2:], merged_outputfile=sys.argv[1])",
                    str(merged), *map(str, singles)], check=True, env=env, cwd=workdir)
    with h5py.File(singles[0], "r") as first, h5py.File(merged, "a") as f:
        if "srcs" not in f:  # the merge tool keeps receivers only; the first run's source group goes back in
            first.copy("srcs", f)
    return merged


def _copy_attrs(src, dst) -> None:
    for k, v in src.attrs.items():
        dst.attrs[k] = v


def reduce_output(merged: Path, out: Path) -> None:
    """Write Ez (float32, Iterations × traces) and the positions metadata in gprMax's merged layout."""
    tmp = out.with_suffix(".tmp")
    with h5py.File(merged, "r") as src, h5py.File(tmp, "w") as dst:
        _copy_attrs(src, dst)
        rx = dst.create_group("rxs/rx1")
        _copy_attrs(src["rxs/rx1"], rx)
        ez = np.asarray(src["rxs/rx1/Ez"][()], dtype=np.float32)
        if ez.ndim == 1:
            ez = ez[:, None]
            dst.attrs["ntraces"] = 1
        dset = rx.create_dataset("Ez", data=ez)  # contiguous, as gprMax writes it
        _copy_attrs(src["rxs/rx1/Ez"], dset)
        srcgrp = dst.create_group("srcs/src1")
        _copy_attrs(src["srcs/src1"], srcgrp)
        meta = dst.create_group("trace_metadata")
        if "trace_metadata" in src:
            _copy_attrs(src["trace_metadata"], meta)
            for path in ("srcs/src1", "rxs/rx1"):
                for name in ("Position", "GridPosition"):
                    src_path = f"trace_metadata/{path}/{name}"
                    dst.create_dataset(src_path, data=src[src_path][()])
        else:  # a single run: its positions are the group attributes
            meta.attrs["NumberOfTraces"] = 1
            for path in ("srcs/src1", "rxs/rx1"):
                dst.create_dataset(f"trace_metadata/{path}/Position", data=src[path].attrs["Position"][None, :])
                dst.create_dataset(f"trace_metadata/{path}/GridPosition",
                                   data=src[path].attrs["GridPosition"][None, :].astype(np.int64))
        dst.attrs["roadbed_note"] = ("reduced by scenes/gprmax/make_scenes.py: receiver Ez only, "
                                     "other field components and per-run file lists dropped")
    tmp.replace(out)


def geometry_json() -> dict:
    return {
        "simulator": "gprMax 4.0.1 (GPL-3.0, run as a separate program; not a dependency)",
        "mode": "2-D TMz (Ez), infinite along z",
        "cell_m": DX,
        "model_width_m": WIDTH,
        "model_height_m": GROUND_Y + AIR,
        "ground_surface_model_y_m": GROUND_Y,
        "pml_cells": PML_CELLS,
        "antenna_height_m": ANTENNA_HEIGHT,
        "antenna_model_y_m": round(ANTENNA_Y, 6),
        "tx_rx_offset_m": OFFSET,
        "source": "Hertzian dipole (z), gprMax 'ricker' current waveform",
        "ricker_frequency_hz": FREQUENCY,
        "ricker_peak_delay_ns": np.sqrt(2.0) / FREQUENCY * 1e9,
        "tx_x0_m": round(TX_X0, 6),
        "rx_x0_m": round(RX_X0, 6),
        "first_midpoint_x_m": FIRST_MIDPOINT,
        "trace_step_m": STEP,
        "time_window_ns": round(TIME_WINDOW * 1e9, 6),
        "surface_reflection_path_m": float(np.hypot(OFFSET, 2 * ANTENNA_HEIGHT)),
        "timing_model": (
            "A time is that of the largest |Ez| of the wave, a 2-D line source with gprMax's Ricker current "
            "(Ricker peak at sqrt(2)/f). direct_wave_twt_ns: that peak at distance tx_rx_offset_m in free space; "
            "surface_twt_ns: the same at the image-source distance sqrt(offset^2 + (2h)^2) (normal-incidence "
            "image approximation of the ground reflection); apex_twt_ns = surface_twt_ns + twt_ground_ns, "
            "with twt_ground_ns = 2 * sum(d_i / v_i), v_i = c / sqrt(eps_i), over the layers above the "
            "target's top. v_avg = 2 * depth / twt_ground; v_rms = sqrt(sum(v_i^2 t_i) / sum(t_i))."),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gprmax-python", default="/work/gprmax-venv/bin/python",
                        help="python of the separate environment where gprMax is installed")
    parser.add_argument("--out", type=Path, default=HERE, help="where .in, .out and truth.json go")
    parser.add_argument("--only", nargs="*", default=None, help="scene names to simulate")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--inputs-only", action="store_true", help="write .in files and truth.json only")
    parser.add_argument("--keep-work", type=Path, default=None, help="keep gprMax's raw outputs here")
    args = parser.parse_args(argv)

    all_scenes = [FREE_SPACE, *scenes()]
    args.out.mkdir(parents=True, exist_ok=True)
    direct_ns = peak_time_ns(OFFSET)
    surface_ns = peak_time_ns(float(np.hypot(OFFSET, 2 * ANTENNA_HEIGHT)))
    truth = {"geometry": geometry_json(), "scenes": {}}
    for scene in all_scenes:
        (args.out / f"{scene.name}.in").write_text(input_file(scene))
        truth["scenes"][scene.name] = truth_entry(scene, direct_ns, surface_ns)
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    if args.inputs_only:
        return 0
    selected = [s for s in all_scenes if args.only is None or s.name in args.only]
    for scene in selected:
        work = Path(tempfile.mkdtemp(prefix=f"gprmax_{scene.name}_", dir=args.keep_work))
        try:
            merged = run_gprmax(scene, args.gprmax_python, work, args.threads)
            reduce_output(merged, args.out / f"{scene.name}.out")
        finally:
            if args.keep_work is None:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
