"""Processing recipes: a chain of processing steps written as data (TOML), applied with one call.

A recipe::

    [recipe]
    name = "urban-default"
    description = "optional words"

    [[step]]
    name = "dewow"              # a step of the registry (see below)
    window_ns = 5.0             # every other key is a keyword parameter of the step

    [[step]]
    name = "bandpass"
    low_hz = { attr = "frequency_hz", times = 0.25 }   # relative to an attribute of the data
    high_hz = { attr = "frequency_hz", times = 2.5 }

    [[step]]
    name = "estimate_velocity"  # a measurement: the data passes on unchanged

    [[step]]
    name = "stolt_migrate"
    enabled = false             # kept in the recipe, not run
    velocity_m_per_ns = "auto"  # taken from the measurement above

    [[step]]
    name = "time_to_depth"
    velocity_m_per_ns = "auto"

Steps
-----
Each step name is looked up in a :class:`StepRegistry`: name → a public
function ``fn(da, **params)``, given as a dotted path
``"roadbed.gpr.filters:dewow"`` and imported only when a recipe uses it
(:func:`default_registry` lists the library's steps; the step name is the
function's name). A function that returns a DataArray transforms the data;
one that returns anything else is a *measurement*: the data passes on
unchanged and the result is kept for ``"auto"`` parameters of later steps.

Parameter values
----------------
- plain TOML values (numbers, strings, booleans, arrays) are passed as they are;
- ``{ attr = "NAME", times = k }`` is ``k × attrs[NAME]`` of the data the step
  receives (the input must have the attribute);
- ``"auto"`` takes the value of the latest earlier enabled step registered as
  providing that parameter (``provides=`` of :meth:`StepRegistry.register`,
  e.g. ``estimate_velocity`` provides ``velocity_m_per_ns``): the result's
  key (a mapping), attribute (an object, or a DataArray's ``attrs``) of the
  parameter's name, or the result itself where it is a number. Where no
  earlier step provides it, ``"auto"`` is allowed only if the function's own
  default is ``"auto"`` (it is then passed on as is).
- ``enabled = false`` skips a step; ``name`` and ``enabled`` are reserved.

Validation comes before any work: the recipe's structure, every step's name,
the import of its function, every parameter against the function's
signature (unknown names, missing required ones, a value of another type
than the parameter's default), every ``"auto"`` and ``attr`` reference.
Every error is a :class:`~roadbed.FormatError` naming the recipe (its file,
or ``<string>``/``<dict>``), the step as ``step[i]`` (0-based) and the
parameter.

Provenance
----------
:func:`apply_recipe` stores the recipe's canonical TOML text in
``attrs["recipe"]`` (with ``recipe_name`` and ``recipe_sha256``) and appends
``apply_recipe(name=..., sha256=..., steps=[...])`` to ``history``; every step
adds its own history line with its resolved parameters.
:func:`reproduce` re-runs the recorded recipe on the raw input and gives the
same result (the last recipe applied; ``raw`` is its input).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import logging
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history

__all__ = [
    "ATTR_RECIPE",
    "ATTR_RECIPE_NAME",
    "ATTR_RECIPE_SHA256",
    "AUTO",
    "DEFAULT_STEPS",
    "Recipe",
    "Step",
    "StepRegistry",
    "apply_recipe",
    "default_recipe",
    "default_registry",
    "load_recipe",
    "measurement_value",
    "recorded_recipe",
    "reproduce",
    "validate_recipe",
]

logger = logging.getLogger(__name__)

#: attribute: the canonical TOML text of the last recipe applied
ATTR_RECIPE = "recipe"
#: attribute: its name
ATTR_RECIPE_NAME = "recipe_name"
#: attribute: SHA-256 (hex) of its canonical TOML text
ATTR_RECIPE_SHA256 = "recipe_sha256"
#: the parameter value resolved from an earlier measurement
AUTO = "auto"

_RESERVED = ("name", "enabled")
_RELATIVE_KEYS = {"attr", "times"}
_TOP_KEYS = {"recipe", "step"}
_RECIPE_KEYS = {"name", "description"}

#: the library's steps: name → (``"module:function"``, parameters its result provides)
DEFAULT_STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dewow": ("roadbed.gpr.filters:dewow", ()),
    "remove_dc": ("roadbed.gpr.filters:remove_dc", ()),
    "remove_background": ("roadbed.gpr.filters:remove_background", ()),
    "align_time_zero": ("roadbed.gpr.timezero:align_time_zero", ()),
    "shift_time_zero": ("roadbed.gpr.timezero:shift_time_zero", ()),
    "tpow_gain": ("roadbed.gpr.gain:tpow_gain", ()),
    "exp_gain": ("roadbed.gpr.gain:exp_gain", ()),
    "sec_gain": ("roadbed.gpr.gain:sec_gain", ()),
    "agc": ("roadbed.gpr.gain:agc", ()),
    "remove_gain": ("roadbed.gpr.gain:remove_gain", ()),
    "bandpass": ("roadbed.gpr.spectral:bandpass", ()),
    "fk_filter": ("roadbed.gpr.spectral:fk_filter", ()),
    "envelope": ("roadbed.gpr.spectral:envelope", ()),
    "stolt_migrate": ("roadbed.gpr.stolt:stolt_migrate", ()),
    "phase_shift_migrate": ("roadbed.gpr.phaseshift:phase_shift_migrate", ()),
    "kirchhoff_migrate": ("roadbed.gpr.kirchhoff:kirchhoff_migrate", ()),
    "time_to_depth": ("roadbed.gpr.depth:time_to_depth", ()),
    "static_correction": ("roadbed.gpr.depth:static_correction", ()),
    "estimate_velocity": (
        "roadbed.gpr.velocity:estimate_velocity",
        ("velocity_m_per_ns", "uncertainty_m_per_ns", "relative_permittivity"),
    ),
}


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    target: str | Callable
    provides: tuple[str, ...]


class StepRegistry:
    """Step name → processing function, imported lazily from a dotted path.

    Parameters
    ----------
    steps : mapping, optional
        name → ``"module:function"`` (or a callable), or name →
        ``(target, provides)``.

    Examples
    --------
    >>> registry = default_registry()
    >>> registry.register("scale", "mypackage.steps:scale")
    >>> "dewow" in registry
    True
    """

    def __init__(self, steps: Mapping | None = None):
        self._entries: dict[str, _Entry] = {}
        for name, value in (steps or {}).items():
            target, provides = value if isinstance(value, tuple) else (value, ())
            self.register(name, target, provides=provides)

    def register(self, name: str, target, *, provides=(), replace: bool = False) -> None:
        """Add a step.

        Parameters
        ----------
        name : str
            The step's name in recipes.
        target : str or callable
            ``"package.module:function"`` (imported on first use) or the function.
        provides : sequence of str
            Parameters that the step's result provides to later ``"auto"`` values.
        replace : bool
            Allow replacing a step of that name.
        """
        if not isinstance(name, str) or not name or name in _RESERVED:
            raise ValueError(f"a step name must be a non-empty string other than {_RESERVED}, got {name!r}")
        if name in self._entries and not replace:
            raise ValueError(f"step {name!r} is already registered (replace=True to replace it)")
        if isinstance(target, str):
            module, sep, attr = target.partition(":")
            if not (module and sep and attr):
                raise ValueError(f"a step target is 'package.module:function', got {target!r}")
        elif not callable(target):
            raise TypeError(f"a step target is a dotted path or a callable, got {type(target).__name__}")
        self._entries[name] = _Entry(target, tuple(provides))

    def __contains__(self, name) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        """The registered step names, sorted."""
        return sorted(self._entries)

    def target(self, name: str) -> str:
        """The step's dotted path (or the callable's qualified name)."""
        target = self._entries[name].target
        if isinstance(target, str):
            return target
        return f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', repr(target))}"

    def provides(self, name: str) -> tuple[str, ...]:
        """Parameters the step's result provides to later ``"auto"`` values."""
        return self._entries[name].provides

    def function(self, name: str) -> Callable:
        """The step's function, imported now if given as a dotted path.

        Raises
        ------
        KeyError
            For an unknown step.
        ImportError
            Where the module or the function cannot be imported.
        """
        target = self._entries[name].target
        if not isinstance(target, str):
            return target
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        try:
            fn = getattr(module, attr)
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no function {attr!r}") from None
        if not callable(fn):
            raise ImportError(f"{target} is not callable")
        return fn

    def copy(self) -> StepRegistry:
        """An independent copy (register test or site steps on it, not on the default)."""
        new = StepRegistry()
        new._entries = dict(self._entries)
        return new


def default_registry() -> StepRegistry:
    """A new registry holding the library's steps (:data:`DEFAULT_STEPS`)."""
    return StepRegistry(DEFAULT_STEPS)


# --- recipes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One ``[[step]]`` of a recipe: the step's name, its parameters and whether it runs."""

    name: str
    params: Mapping = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Recipe:
    """A processing chain: a name and its steps, in order.

    Attributes
    ----------
    name : str
    steps : tuple of Step
    description : str
    source : str
        Where it was read from (a file path, ``<string>`` or ``<dict>``);
        named in every error.
    """

    name: str
    steps: tuple[Step, ...]
    description: str = ""
    source: str = field(default="<dict>", compare=False)

    @classmethod
    def from_dict(cls, doc: Mapping, *, source: str = "<dict>") -> Recipe:
        """A recipe from its parsed TOML document (see the module docs)."""
        return _parse(doc, source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> Recipe:
        """A recipe from TOML text."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FormatError(source, "TOML syntax", "a valid TOML document", got=str(exc)) from None
        return _parse(doc, source)

    @classmethod
    def from_file(cls, path) -> Recipe:
        """A recipe from a TOML file."""
        path = Path(os.fspath(path))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FormatError(path, "path", "an existing recipe file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(path, "content", "a readable UTF-8 TOML file", got=str(exc)) from None
        return cls.from_toml(text, source=str(path))

    def to_toml(self) -> str:
        """The canonical TOML text: what is recorded, hashed and re-read by :func:`reproduce`."""
        lines = ["[recipe]", f"name = {_toml_value(self.name)}"]
        if self.description:
            lines.append(f"description = {_toml_value(self.description)}")
        for step in self.steps:
            lines += ["", "[[step]]", f"name = {_toml_value(step.name)}"]
            if not step.enabled:
                lines.append("enabled = false")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in step.params.items()]
        return "\n".join(lines) + "\n"

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of :meth:`to_toml`."""
        return hashlib.sha256(self.to_toml().encode("utf-8")).hexdigest()


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii():
        return key
    return json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as a recipe value")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_value(value, where: str, source: str):
    """A parameter value of a recipe, checked for the kinds a recipe may hold."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - _RELATIVE_KEYS)
        if unknown or "attr" not in value:
            raise FormatError(source, where, "a value, or a table { attr = \"NAME\", times = NUMBER }",
                              got=dict(value))
        if not isinstance(value["attr"], str) or not value["attr"]:
            raise FormatError(source, f"{where}.attr", "the name of an attribute of the data", got=value["attr"])
        times = value.get("times", 1.0)
        if not _is_number(times) or not math.isfinite(times):
            raise FormatError(source, f"{where}.times", "a finite number", got=times)
        return {"attr": value["attr"], "times": times}
    if isinstance(value, (list, tuple)):
        return [_check_value(v, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if isinstance(value, (bool, int, float, str)):
        return value
    raise FormatError(source, where, "a number, string, boolean, array or { attr, times } table",
                      got=type(value).__name__)


def _parse(doc: Mapping, source: str) -> Recipe:
    if not isinstance(doc, Mapping):
        raise FormatError(source, "document", "a table with [recipe] and [[step]]", got=type(doc).__name__)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise FormatError(source, unknown[0], "only the tables [recipe] and [[step]]", got=unknown[0])
    head = doc.get("recipe")
    if not isinstance(head, Mapping):
        raise FormatError(source, "recipe", "a [recipe] table with a name")
    unknown = sorted(set(head) - _RECIPE_KEYS)
    if unknown:
        raise FormatError(source, f"recipe.{unknown[0]}", f"one of the keys {sorted(_RECIPE_KEYS)}", got=unknown[0])
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FormatError(source, "recipe.name", "a non-empty string", got=name)
    description = head.get("description", "")
    if not isinstance(description, str):
        raise FormatError(source, "recipe.description", "a string", got=description)
    raw_steps = doc.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FormatError(source, "step", "at least one [[step]] table", got=raw_steps)
    steps = []
    for i, raw in enumerate(raw_steps):
        where = f"step[{i}]"
        if not isinstance(raw, Mapping):
            raise FormatError(source, where, "a [[step]] table", got=type(raw).__name__)
        step_name = raw.get("name")
        if not isinstance(step_name, str) or not step_name:
            raise FormatError(source, f"{where}.name", "the name of a registered step", got=step_name)
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise FormatError(source, f"{where}.enabled", "true or false", got=enabled)
        params = {k: _check_value(v, f"{where}.{k}", source) for k, v in raw.items() if k not in _RESERVED}
        steps.append(Step(step_name, params, enabled))
    return Recipe(name=name, steps=tuple(steps), description=description, source=source)


def load_recipe(recipe) -> Recipe:
    """A :class:`Recipe` from a path, TOML text, a parsed dict or a Recipe.

    A ``str`` holding a newline or starting with ``[`` is TOML text; any
    other ``str`` (and any ``os.PathLike``) is a file path.
    """
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    if isinstance(recipe, str) and ("\n" in recipe or recipe.lstrip().startswith("[")):
        return Recipe.from_toml(recipe)
    if isinstance(recipe, (str, os.PathLike)):
        return Recipe.from_file(recipe)
    raise TypeError(f"a recipe is a path, TOML text, a dict or a Recipe, got {type(recipe).__name__}")


def default_recipe() -> Recipe:
    """The default recipe for urban road surveys, 400 MHz – 2 GHz (``default_recipe.toml``)."""
    resource = resources.files(__package__).joinpath("default_recipe.toml")
    return Recipe.from_toml(resource.read_text(encoding="utf-8"), source=str(resource))


# --- validation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    index: int
    step: Step
    function: Callable
    provides: tuple[str, ...]


def _signature_check(recipe: Recipe, i: int, step: Step, fn: Callable, target: str) -> inspect.Signature:
    source, where = recipe.source, f"step[{i}]"
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise FormatError(source, f"{where}.name", "a step whose signature can be inspected", got=target) from None
    params = list(sig.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not params or params[0].kind not in positional:
        raise FormatError(source, f"{where}.name", "a step taking the radargram as its first argument", got=target)
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = {p.name: p for p in params[1:] if p.kind in named}
    var_keyword = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params)
    for key in step.params:
        if key not in accepted and not var_keyword:
            raise FormatError(source, f"{where}.{key}",
                              f"a parameter of {step.name} ({target}): one of {sorted(accepted)}", got=key)
    for p in params[1:]:
        if p.kind == inspect.Parameter.POSITIONAL_ONLY and p.default is inspect.Parameter.empty:
            raise FormatError(source, f"{where}.name", "a step whose only positional argument is the radargram",
                              got=target)
        if p.kind in named and p.default is inspect.Parameter.empty and p.name not in step.params:
            raise FormatError(source, f"{where}.{p.name}", f"a value: {step.name} requires it")
    return sig


def _type_check(recipe: Recipe, i: int, key: str, value, default) -> None:
    """A value of the same kind as the parameter's default (where the default tells one)."""
    where = f"step[{i}].{key}"
    if isinstance(value, Mapping):  # { attr, times } gives a number
        if isinstance(default, (bool, str)):
            raise FormatError(recipe.source, where, f"a {type(default).__name__} like the default {default!r}",
                              got=dict(value))
        return
    if default is inspect.Parameter.empty or default is None:
        return
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = _is_number(value)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        return
    if not ok:
        raise FormatError(recipe.source, where, f"a {type(default).__name__} like the default {default!r}",
                          got=value)


def _plan(recipe: Recipe, registry: StepRegistry, attrs: Mapping | None) -> list[_Planned]:
    planned: list[_Planned] = []
    provided: set[str] = set()
    for i, step in enumerate(recipe.steps):
        if step.name not in registry:
            raise FormatError(recipe.source, f"step[{i}].name", f"one of the registered steps {registry.names()}",
                              got=step.name)
        if not step.enabled:
            continue
        target = registry.target(step.name)
        try:
            fn = registry.function(step.name)
        except ImportError as exc:
            raise FormatError(recipe.source, f"step[{i}].name", f"a step whose function imports ({target})",
                              got=str(exc)) from None
        sig = _signature_check(recipe, i, step, fn, target)
        for key, value in step.params.items():
            default = sig.parameters[key].default if key in sig.parameters else inspect.Parameter.empty
            if value == AUTO:
                if key not in provided and not (isinstance(default, str) and default == AUTO):
                    raise FormatError(recipe.source, f"step[{i}].{key}",
                                      f"a value, or \"auto\" after a step that provides {key!r}", got=value)
                continue
            _type_check(recipe, i, key, value, default)
            if isinstance(value, Mapping) and attrs is not None and value["attr"] not in attrs:
                raise FormatError(recipe.source, f"step[{i}].{key}.attr",
                                  "an attribute of the input data", got=value["attr"])
        provided.update(registry.provides(step.name))
        planned.append(_Planned(i, step, fn, registry.provides(step.name)))
    return planned


def validate_recipe(recipe, *, registry: StepRegistry | None = None, attrs: Mapping | None = None) -> Recipe:
    """Check a recipe against the registry before any work (see the module docs).

    Parameters
    ----------
    recipe : path, str, dict or Recipe
    registry : StepRegistry, optional
        Default :func:`default_registry`.
    attrs : mapping, optional
        The input's attributes, to check ``{ attr = ... }`` references.

    Returns
    -------
    Recipe

    Raises
    ------
    FormatError
        Naming the recipe's source, ``step[i]`` and the parameter.
    """
    recipe = load_recipe(recipe)
    _plan(recipe, registry or default_registry(), attrs)
    return recipe


# --- running ----------------------------------------------------------------------------------------


def measurement_value(result, key: str, *, provides: tuple[str, ...] = ()):
    """The value of parameter ``key`` in a measurement step's result.

    The result's ``key`` (a mapping), its attribute ``key`` (an object) or
    ``attrs[key]`` (a DataArray), or the result itself where it is a number
    and ``key`` is the first parameter it ``provides``. Numbers come back as
    Python floats.

    Raises
    ------
    KeyError
        Where the result holds no such value.
    """
    if isinstance(result, xr.DataArray):
        value = result.attrs[key]
    elif isinstance(result, Mapping):
        value = result[key]
    elif hasattr(result, key):
        value = getattr(result, key)
    elif provides and key == provides[0] and _number_like(result):
        value = result
    else:
        raise KeyError(key)
    if _number_like(value):
        return float(value)
    return value


def _number_like(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"
    )


def _resolve(recipe: Recipe, item: _Planned, da: xr.DataArray, measured: dict[str, tuple]) -> dict:
    kwargs = {}
    for key, value in item.step.params.items():
        where = f"step[{item.index}].{key}"
        if isinstance(value, Mapping):
            if value["attr"] not in da.attrs:
                raise FormatError(recipe.source, f"{where}.attr", "an attribute of the data", got=value["attr"])
            base = da.attrs[value["attr"]]
            if not _number_like(base):
                raise FormatError(recipe.source, f"{where}.attr", "a numeric attribute", got=base)
            kwargs[key] = float(value["times"]) * float(base)
        elif value == AUTO and key in measured:
            step_index, result, provides = measured[key]
            try:
                kwargs[key] = measurement_value(result, key, provides=provides)
            except KeyError:
                raise FormatError(recipe.source, where,
                                  f"a value of {key!r} in the result of step[{step_index}]",
                                  got=type(result).__name__) from None
            logger.info("%s: %s = auto → %r (from step[%d])", item.step.name, key, kwargs[key], step_index)
        else:
            kwargs[key] = list(value) if isinstance(value, tuple) else value
    return kwargs


def apply_recipe(da: xr.DataArray, recipe, *, registry: StepRegistry | None = None) -> xr.DataArray:
    """Apply a processing recipe to a radargram.

    Parameters
    ----------
    da : xarray.DataArray
        The input radargram (not modified).
    recipe : path, str, dict or Recipe
        See :func:`load_recipe` and the module docs.
    registry : StepRegistry, optional
        Where step names are looked up; default :func:`default_registry`.

    Returns
    -------
    xarray.DataArray
        The output of the last transforming step, with the recipe recorded
        in ``attrs`` (:data:`ATTR_RECIPE`, :data:`ATTR_RECIPE_NAME`,
        :data:`ATTR_RECIPE_SHA256`) and an ``apply_recipe`` history line.

    Raises
    ------
    FormatError
        For an invalid recipe (before any work), or a step that rejects its
        parameters for this data (naming the step).
    """
    recipe = load_recipe(recipe)
    plan = _plan(recipe, registry or default_registry(), da.attrs)
    measured: dict[str, tuple] = {}
    current = da
    for item in plan:
        kwargs = _resolve(recipe, item, current, measured)
        logger.info("recipe %r step[%d]: %s(%s)", recipe.name, item.index, item.step.name,
                    ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))
        try:
            result = item.function(current, **kwargs)
        except FormatError:
            raise
        except ValueError as exc:
            raise FormatError(recipe.source, f"step[{item.index}] ({item.step.name})",
                              "parameters the step accepts for this data", got=str(exc)) from exc
        if isinstance(result, xr.DataArray):
            current = result
        else:
            for key in item.provides:
                measured[key] = (item.index, result, item.provides)
    out = current.copy(deep=False)
    out.attrs = dict(current.attrs)
    out.attrs.update({ATTR_RECIPE: recipe.to_toml(), ATTR_RECIPE_NAME: recipe.name,
                      ATTR_RECIPE_SHA256: recipe.sha256})
    return append_history(out, "apply_recipe", name=recipe.name, sha256=recipe.sha256,
                          steps=[item.step.name for item in plan])


def recorded_recipe(da: xr.DataArray) -> Recipe:
    """The recipe recorded in ``da.attrs`` by :func:`apply_recipe`.

    Raises
    ------
    FormatError
        Where ``da`` has no recorded recipe, or its text does not match its
        recorded SHA-256.
    """
    source = str(da.attrs.get(cv.ATTR_SOURCE, "<data>"))
    text = da.attrs.get(ATTR_RECIPE)
    if not isinstance(text, str) or not text:
        raise FormatError(source, f"attribute {ATTR_RECIPE!r}", "the recipe recorded by apply_recipe")
    recipe = Recipe.from_toml(text, source=f"{source} attrs['{ATTR_RECIPE}']")
    recorded = da.attrs.get(ATTR_RECIPE_SHA256)
    if recorded is not None and recorded != recipe.sha256:
        raise FormatError(source, f"attribute {ATTR_RECIPE_SHA256!r}",
                          f"the SHA-256 of the recorded recipe ({recipe.sha256})", got=recorded)
    return recipe


def reproduce(processed: xr.DataArray, raw: xr.DataArray, *, registry: StepRegistry | None = None) -> xr.DataArray:
    """Re-run the recipe recorded in ``processed`` on ``raw``: the same result again.

    Parameters
    ----------
    processed : xarray.DataArray
        A result of :func:`apply_recipe` (possibly saved and read back).
    raw : xarray.DataArray
        The input that recipe was applied to.
    registry : StepRegistry, optional
        Where the recorded step names are looked up.
    """
    return apply_recipe(raw, recorded_recipe(processed), registry=registry)
