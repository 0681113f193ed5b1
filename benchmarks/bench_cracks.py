"""Cracks: detection + measurement on a 1 mm laser grid against the scipy/scikit-image pipeline a user would write.

The reference does the same steps with library calls: a grey closing and
box means (scipy.ndimage) for the local surface, thresholds, connected
components, scikit-image's skeleton, scipy's Euclidean distance transform
for widths (2·DT − 1 on the skeleton) and the skeleton's 8-connected step
lengths per component. roadbed fuses the filters into numba kernels and
measures each crack only inside its own box.
"""

from __future__ import annotations

import numpy as np

from benchmarks._timing import best_of
from roadbed.pavement.cracks import detect_cracks, measure_cracks
from roadbed.synth import crack_network, random_crack, synthetic_pavement


def _scene(length_m: float):
    rng = np.random.default_rng(0)
    cracks = []
    for k in range(int(length_m)):  # about one longitudinal and one transverse crack per metre, and some fatigue
        cracks.append(random_crack(rng, start_m=(k + 0.1, rng.uniform(-1.2, 1.2)), length_m=0.8,
                                   width_mm=rng.uniform(1, 15), depth_mm=8, crack_type="longitudinal"))  # fmt: skip
        cracks.append(random_crack(rng, start_m=(k + 0.5, -1.6), length_m=3.0, width_mm=rng.uniform(1, 8),
                                   depth_mm=8, crack_type="transverse"))  # fmt: skip
    cracks += crack_network(rng, along_range_m=(0.2, 1.0), across_range_m=(0.3, 1.3), crack_type="alligator")
    scan, _ = synthetic_pavement(length_m=length_m, width_m=3.5, cracks=cracks, rng=1)
    return scan


def reference_pipeline(elevation, intensity, *, depth_threshold_mm=2.0, dark_ratio=0.6, window=43):
    """Crack mask and per-crack length (px steps) and widths with scipy/scikit-image calls."""
    from scipy import ndimage
    from skimage.morphology import remove_small_objects, skeletonize

    closed = ndimage.grey_closing(elevation, size=(window, window))
    surface = (closed - elevation <= depth_threshold_mm).astype(np.float32)
    big = 2 * window - 1
    weight = ndimage.uniform_filter(surface, big)
    level = ndimage.uniform_filter(elevation * surface, big) / np.maximum(weight, 1e-6)
    bright = ndimage.uniform_filter(intensity * surface, big) / np.maximum(weight, 1e-6)
    mask = (level - elevation > depth_threshold_mm) & (intensity < dark_ratio * bright)
    mask = remove_small_objects(mask, max_size=30)
    skeleton = skeletonize(mask)
    width = 2 * ndimage.distance_transform_edt(mask) - 1
    labels, n = ndimage.label(skeleton, structure=np.ones((3, 3)))
    # step lengths: 1 for a 4-neighbour, √2 for a diagonal, half per pixel pair counted from both ends
    straight = sum(np.roll(skeleton, s, axis=a) for a in (0, 1) for s in (1, -1)) * skeleton
    diagonal = sum(np.roll(np.roll(skeleton, s, 0), t, 1) for s in (1, -1) for t in (1, -1)) * skeleton
    steps = 0.5 * (straight + np.sqrt(2) * diagonal)
    index = np.arange(1, n + 1)
    lengths = ndimage.sum_labels(steps, labels, index)
    mean_w = ndimage.mean(width, labels, index)
    max_w = ndimage.maximum(width, labels, index)
    return mask, lengths, mean_w, max_w


def run(quick: bool) -> list[dict]:
    length_m = 2.0 if quick else 10.0
    scan = _scene(length_m)
    elevation = scan["elevation"].values
    intensity = scan["intensity"].values
    mpx = elevation.size / 1e6

    def roadbed_run():
        return measure_cracks(detect_cracks(scan))

    t_roadbed = best_of(roadbed_run, repeat=2)
    t_reference = best_of(lambda: reference_pipeline(elevation, intensity), repeat=1)
    rows = [{"benchmark": f"cracks: detect+measure {mpx:.0f} Mpx", "roadbed_s": t_roadbed,
             "reference": "scipy/skimage", "reference_s": t_reference, "speed-up": t_reference / t_roadbed,
             "throughput": f"{mpx / t_roadbed:.1f} Mpx/s (1 mm grid)"}]  # fmt: skip

    from roadbed.pavement.cfd_score import baseline_mask
    from roadbed.pavement.crack_model import load_model

    photo = np.clip(0.55 + 0.08 * np.random.default_rng(2).standard_normal((320, 480)), 0, 1).astype(np.float32)
    photo[150:153, 20:460] = 0.2
    model = load_model()
    t_model = best_of(lambda: model.predict(photo), repeat=3)
    t_base = best_of(lambda: baseline_mask(photo), repeat=3)
    rows.append({"benchmark": "cracks: photo model 480×320", "roadbed_s": t_model, "reference": "top-hat baseline",
                 "reference_s": t_base, "speed-up": t_base / t_model,
                 "throughput": f"{t_model:.2f} s per image"})  # fmt: skip
    return rows
