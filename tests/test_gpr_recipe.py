"""Processing recipes: parsing, validation before work, the lazy registry, "auto" values, reproduction."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass

import numpy as np
import pytest
import xarray as xr

import roadbed
from roadbed import FormatError
from roadbed import conventions as cv
from roadbed.gpr import recipe as rc
from roadbed.model import append_history, history, radargram

# --- test-only steps, registered on a copy of the default registry --------------------------------------

CALLS: list[str] = []


def scale(da, *, factor: float = 1.0):
    CALLS.append("scale")
    out = da * np.float32(factor)
    out.attrs = dict(da.attrs)
    return append_history(out, "scale", factor=factor)


def shift(da, *, offset, clip: bool = False, label: str = "x", repeats: int = 1):
    CALLS.append("shift")
    out = da + np.float32(offset) * repeats
    out.attrs = dict(da.attrs)
    return append_history(out, "shift", offset=offset, clip=clip, label=label, repeats=repeats)


@dataclass
class Velocity:
    velocity_m_per_ns: float
    uncertainty_m_per_ns: float


def measure(da):
    """A measurement: a velocity from the data (its peak amplitude / 100)."""
    CALLS.append("measure")
    return Velocity(float(np.abs(da.values).max()) / 100.0, 0.001)


def measure_dict(da):
    CALLS.append("measure_dict")
    return {"velocity_m_per_ns": 0.125}


def measure_number(da):
    return np.float64(0.09)


def to_depth(da, *, velocity_m_per_ns):
    CALLS.append("to_depth")
    out = da.assign_coords({cv.TWT: da[cv.TWT] * velocity_m_per_ns / 2}).rename({cv.TWT: cv.DEPTH})
    return append_history(out, "to_depth", velocity_m_per_ns=velocity_m_per_ns)


def fails(da, *, level: float = 0.0):
    raise ValueError(f"level {level} is out of range for this data")


@pytest.fixture
def registry():
    CALLS.clear()
    reg = rc.default_registry()
    reg.register("scale", scale)
    reg.register("shift", shift)
    reg.register("measure", measure, provides=("velocity_m_per_ns", "uncertainty_m_per_ns"))
    reg.register("measure_dict", measure_dict, provides=("velocity_m_per_ns",))
    reg.register("measure_number", measure_number, provides=("velocity_m_per_ns",))
    reg.register("to_depth", to_depth)
    reg.register("fails", fails)
    return reg


@pytest.fixture
def raw():
    rng = np.random.default_rng(0)
    return radargram(rng.standard_normal((2, 5, 16)).astype(np.float32), twt_ns=np.arange(16) * 0.5,
                     distance_m=np.arange(5) * 0.05, offset_m=[0.0, 0.075],
                     attrs={cv.ATTR_FREQUENCY: 800e6, "history": "2026-01-01T00:00:00Z roadbed 0.1.0: read()"})


CHAIN = """
[recipe]
name = "test-chain"
description = "scale, shift relative to the frequency, measure, depth"

[[step]]
name = "scale"
factor = 2.0

[[step]]
name = "shift"
offset = { attr = "frequency_hz", times = 1.25e-9 }

[[step]]
name = "measure"

[[step]]
name = "to_depth"
velocity_m_per_ns = "auto"
"""


# --- parsing ------------------------------------------------------------------------------------------------


def test_text_file_dict_and_recipe_load_the_same(tmp_path):
    path = tmp_path / "chain.toml"
    path.write_text(CHAIN)
    import tomllib

    loaded = [rc.load_recipe(CHAIN), rc.load_recipe(path), rc.load_recipe(str(path)),
              rc.load_recipe(tomllib.loads(CHAIN))]
    assert all(r == loaded[0] for r in loaded)
    assert rc.load_recipe(loaded[0]) is loaded[0]
    r = loaded[0]
    assert r.name == "test-chain" and [s.name for s in r.steps] == ["scale", "shift", "measure", "to_depth"]
    assert r.steps[1].params == {"offset": {"attr": "frequency_hz", "times": 1.25e-9}}
    assert loaded[1].source == str(path) and loaded[0].source == "<string>"
    # the canonical text reads back to the same recipe, and so to the same hash
    again = rc.Recipe.from_toml(r.to_toml())
    assert again == r and again.sha256 == r.sha256 and len(r.sha256) == 64


def test_canonical_text_round_trips_every_kind_of_value():
    r = rc.Recipe("kinds", (rc.Step("shift", {"offset": -1.5e-300, "clip": True, "label": 'a "q" é\n',
                                              "repeats": 3, "list": [1, 2.5, "x"], "inf": float("inf")},
                                     enabled=False),))
    back = rc.Recipe.from_toml(r.to_toml())
    assert back == r and back.steps[0].enabled is False


@pytest.mark.parametrize("text, field", [
    ("[recipe]\nname = 'x'\n", "step"),
    ("[[step]]\nname = 'scale'\n", "recipe"),
    ("[recipe]\nname = ''\n[[step]]\nname='scale'\n", "recipe.name"),
    ("[recipe]\nname = 'x'\nauthor = 'me'\n[[step]]\nname='scale'\n", "recipe.author"),
    ("[recipe]\nname = 'x'\n[[step]]\nfactor = 2\n", "step[0].name"),
    ("[recipe]\nname = 'x'\n[[step]]\nname='scale'\nenabled = 'no'\n", "step[0].enabled"),
    ("[recipe]\nname = 'x'\n[[step]]\nname='shift'\noffset = { attr = 'frequency_hz', plus = 1 }\n",
     "step[0].offset"),
    ("[recipe]\nname = 'x'\n[[step]]\nname='shift'\noffset = { attr = 'f', times = 'two' }\n",
     "step[0].offset.times"),
    ("[recipe]\nname = 'x'\n[stage]\n", "stage"),
    ("[recipe\nname = 'x'\n", "TOML syntax"),
])
def test_malformed_recipes_name_source_and_field(text, field, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        rc.load_recipe(path)
    assert err.value.path == str(path) and err.value.field == field
    assert str(path) in str(err.value)


def test_missing_recipe_file(tmp_path):
    with pytest.raises(FormatError, match="existing recipe file"):
        rc.load_recipe(tmp_path / "nope.toml")


# --- validation before any work --------------------------------------------------------------------------------


@pytest.mark.parametrize("step, field, words", [
    ("name = 'dewoww'", "step[1].name", "registered steps"),
    ("name = 'shift'\noffst = 1.0", "step[1].offst", "one of ['clip', 'label', 'offset', 'repeats']"),
    ("name = 'shift'", "step[1].offset", "requires it"),
    ("name = 'shift'\noffset = 1.0\nclip = 1", "step[1].clip", "bool like the default False"),
    ("name = 'shift'\noffset = 1.0\nrepeats = 1.5", "step[1].repeats", "int like the default 1"),
    ("name = 'shift'\noffset = 1.0\nlabel = 3", "step[1].label", "str like the default 'x'"),
    ("name = 'scale'\nfactor = 'big'", "step[1].factor", "float like the default 1.0"),
    ("name = 'to_depth'\nvelocity_m_per_ns = 'auto'", "step[1].velocity_m_per_ns", "after a step that provides"),
    ("name = 'shift'\noffset = { attr = 'antenna_gain' }", "step[1].offset.attr", "attribute of the input"),
])
def test_invalid_steps_are_found_before_any_work(step, field, words, registry, raw, tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(f"[recipe]\nname = 'r'\n[[step]]\nname = 'scale'\n[[step]]\n{step}\n")
    with pytest.raises(FormatError) as err:
        rc.apply_recipe(raw, path, registry=registry)
    assert err.value.path == str(path) and err.value.field == field
    assert words in str(err.value)
    assert CALLS == []  # step[0] never ran


def test_auto_needs_an_enabled_earlier_provider(registry, raw):
    later = CHAIN.replace('name = "measure"', 'name = "measure"\nenabled = false')
    with pytest.raises(FormatError, match=r"step\[3\]\.velocity_m_per_ns"):
        rc.validate_recipe(later, registry=registry)
    moved = CHAIN.replace('[[step]]\nname = "measure"\n', "") + '[[step]]\nname = "measure"\n'
    with pytest.raises(FormatError, match="after a step that provides"):
        rc.validate_recipe(moved, registry=registry)


def test_a_step_whose_module_cannot_be_imported(registry):
    registry.register("ghost", "roadbed.gpr.no_such_module:ghost")
    registry.register("typo", "roadbed.model:no_such_function")
    for name, words in (("ghost", "no_such_module"), ("typo", "no_such_function")):
        with pytest.raises(FormatError, match=words) as err:
            rc.validate_recipe({"recipe": {"name": "g"}, "step": [{"name": name}]}, registry=registry)
        assert err.value.field == "step[0].name" and err.value.path == "<dict>"


def test_registry_imports_lazily(tmp_path, monkeypatch, raw):
    (tmp_path / "site_steps.py").write_text(
        "IMPORTS = []\nIMPORTS.append(1)\n\ndef negate(da):\n    out = -da\n    out.attrs = dict(da.attrs)\n"
        "    return out\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "site_steps", raising=False)
    reg = rc.StepRegistry({"negate": "site_steps:negate"})
    assert "site_steps" not in sys.modules  # registering imports nothing
    out = rc.apply_recipe(raw, {"recipe": {"name": "n"}, "step": [{"name": "negate"}]}, registry=reg)
    assert "site_steps" in sys.modules
    np.testing.assert_array_equal(out.values, -raw.values)


def test_registry_rules():
    reg = rc.StepRegistry()
    reg.register("a", "roadbed.model:append_history")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", "roadbed.model:history")
    reg.register("a", "roadbed.model:history", replace=True)
    assert reg.target("a") == "roadbed.model:history"
    for bad in ("roadbed.model", "roadbed.model:", ":f"):
        with pytest.raises(ValueError, match="package.module:function"):
            reg.register("b", bad)
    with pytest.raises(ValueError, match="step name"):
        reg.register("enabled", "roadbed.model:history")
    copy = reg.copy()
    copy.register("c", "roadbed.model:history")
    assert "c" in copy and "c" not in reg
    assert set(rc.DEFAULT_STEPS) <= set(rc.default_registry().names())
    assert "scale" not in rc.default_registry()  # the tests register nothing globally


# --- running -------------------------------------------------------------------------------------------------------


def test_chain_gives_the_numbers_of_its_steps(registry, raw):
    before = raw.copy(deep=True)
    out = rc.apply_recipe(raw, CHAIN, registry=registry)
    xr.testing.assert_identical(raw, before)  # the input is untouched
    assert CALLS == ["scale", "shift", "measure", "to_depth"]
    expected = raw.values * 2 + np.float32(800e6 * 1.25e-9)
    np.testing.assert_allclose(out.values, expected, rtol=1e-6)
    velocity = float(np.abs(expected).max()) / 100
    np.testing.assert_allclose(out[cv.DEPTH].values, raw[cv.TWT].values * velocity / 2, rtol=1e-6)
    lines = history(out)
    assert lines[0] == raw.attrs["history"]
    assert [re.search(r": (\w+)\(", line).group(1) for line in lines[1:]] == [
        "scale", "shift", "to_depth", "apply_recipe"]
    assert "name='test-chain'" in lines[-1] and rc.load_recipe(CHAIN).sha256 in lines[-1]
    assert f"velocity_m_per_ns={velocity!r}" in lines[-2]
    assert out.attrs[rc.ATTR_RECIPE] == rc.load_recipe(CHAIN).to_toml()
    assert out.attrs[rc.ATTR_RECIPE_NAME] == "test-chain"


@pytest.mark.parametrize("provider, velocity", [("measure_dict", 0.125), ("measure_number", 0.09)])
def test_auto_from_a_mapping_or_a_number(provider, velocity, registry, raw):
    r = {"recipe": {"name": "m"}, "step": [{"name": provider}, {"name": "to_depth", "velocity_m_per_ns": "auto"}]}
    out = rc.apply_recipe(raw, r, registry=registry)
    np.testing.assert_allclose(out[cv.DEPTH].values, raw[cv.TWT].values * velocity / 2)


def test_disabled_steps_do_not_run(registry, raw):
    r = {"recipe": {"name": "d"}, "step": [{"name": "scale", "factor": 3.0, "enabled": False},
                                          {"name": "shift", "offset": 1.0}]}
    out = rc.apply_recipe(raw, r, registry=registry)
    assert CALLS == ["shift"]
    np.testing.assert_allclose(out.values, raw.values + 1)
    assert history(out)[-1].endswith("steps=['shift'])")


def test_a_step_that_rejects_its_value_is_named(registry, raw):
    r = {"recipe": {"name": "f"}, "step": [{"name": "scale"}, {"name": "fails", "level": 7.0}]}
    with pytest.raises(FormatError, match=r"step\[1\] \(fails\).*level 7.0 is out of range"):
        rc.apply_recipe(raw, r, registry=registry)


def test_dotted_path_step_of_the_library(raw):
    reg = rc.StepRegistry({"note": "roadbed.model:append_history"})
    out = rc.apply_recipe(raw, {"recipe": {"name": "n"}, "step": [{"name": "note", "step": "checked"}]}, registry=reg)
    assert "checked()" in history(out)[-2]


def test_real_steps_give_what_calling_them_gives(raw):
    from roadbed.gpr import filters

    text = ("[recipe]\nname = 'real'\n[[step]]\nname = 'dewow'\nwindow_ns = 2.0\n"
            "[[step]]\nname = 'remove_background'\nwindow_traces = 3\n")
    out = rc.apply_recipe(raw, text)
    direct = filters.remove_background(filters.dewow(raw, window_ns=2.0), window_traces=3)
    np.testing.assert_array_equal(out.values, direct.values)


# --- reproduction ------------------------------------------------------------------------------------------------


def _strip_times(lines):
    return [re.sub(r"^\S+ ", "", line) for line in lines]


def test_reproduce_from_a_saved_result_gives_the_same_output(registry, raw, tmp_path):
    processed = rc.apply_recipe(raw, CHAIN, registry=registry)
    path = roadbed.write(processed, tmp_path / "processed.nc")
    saved = roadbed.read(path)
    again = rc.reproduce(saved, raw, registry=registry)
    np.testing.assert_array_equal(again.values, processed.values)
    xr.testing.assert_equal(again, processed)
    assert {k: v for k, v in again.attrs.items() if k != "history"} == {
        k: v for k, v in processed.attrs.items() if k != "history"}
    assert _strip_times(history(again)) == _strip_times(history(processed))


def test_reproduce_refuses_an_altered_or_missing_record(registry, raw):
    processed = rc.apply_recipe(raw, CHAIN, registry=registry)
    tampered = processed.copy()
    tampered.attrs[rc.ATTR_RECIPE] = processed.attrs[rc.ATTR_RECIPE].replace("2.0", "3.0")
    with pytest.raises(FormatError, match="SHA-256"):
        rc.reproduce(tampered, raw, registry=registry)
    with pytest.raises(FormatError, match="recorded by apply_recipe"):
        rc.reproduce(raw, raw, registry=registry)


# --- the default recipe ----------------------------------------------------------------------------------------------


def test_default_recipe_is_the_urban_chain():
    r = rc.default_recipe()
    assert r.name == "urban-default"
    assert [s.name for s in r.steps] == ["dewow", "align_time_zero", "remove_background", "estimate_velocity",
                                         "sec_gain", "bandpass", "stolt_migrate", "time_to_depth"]
    steps = {s.name: s for s in r.steps}
    assert steps["remove_background"].params["window_traces"] > 1  # windowed
    assert steps["bandpass"].params == {"low_hz": {"attr": cv.ATTR_FREQUENCY, "times": 0.25},
                                        "high_hz": {"attr": cv.ATTR_FREQUENCY, "times": 2.5},
                                        "open_above_nyquist": True}
    assert steps["stolt_migrate"].enabled is False
    assert steps["stolt_migrate"].params["velocity_m_per_ns"] == rc.AUTO
    assert steps["time_to_depth"].params["velocity_m_per_ns"] == rc.AUTO
    assert all(s.name in rc.DEFAULT_STEPS for s in r.steps)


def _modules_present(recipe) -> bool:
    modules = {rc.DEFAULT_STEPS[s.name][0].partition(":")[0] for s in recipe.steps}
    return all(importlib.util.find_spec(m) is not None for m in modules)


def test_default_recipe_validates_against_the_library():
    r = rc.default_recipe()
    if not _modules_present(r):
        pytest.skip("not every step module of the default recipe exists yet")
    enabled = rc.Recipe(r.name, tuple(rc.Step(s.name, s.params) for s in r.steps))  # migration on, too
    rc.validate_recipe(enabled, attrs={cv.ATTR_FREQUENCY: 600e6})


def test_default_recipe_on_a_synthetic_line_ends_in_depth():
    r = rc.default_recipe()
    if not _modules_present(r):
        pytest.skip("not every step module of the default recipe exists yet")
    from roadbed import synth

    scene = synth.GprScene(pipes=(synth.Pipe(along_m=2.0, across_m=0.0, depth_m=0.5, radius_m=0.05),))
    line, _ = synth.synthetic_line(scene, n_traces=201, n_samples=256, trace_spacing_m=0.02, time_window_ns=30.0)
    out = rc.apply_recipe(line, r)
    assert cv.DEPTH in out.dims and out.sizes[cv.TRACE] == 201
    assert np.isfinite(out.values).all()
    assert "apply_recipe(name='urban-default'" in history(out)[-1]
