"""The settings of ``dlrecipe train``: a TOML file, flags that override it, one check for both.

Every key of the file is a flag with ``_`` for ``-`` (``learning_rate`` is
``--learning-rate``), except that the table ``early_stopping`` holds ``--patience``,
``--monitor`` and ``--min-delta``. A value is checked by the library object it configures
where one exists (``keep_prob`` by the network's spec, ``optimizer`` by the optimizers,
``early_stopping`` by :class:`~dlrecipe.EarlyStopping`), and a bad one is a usage error that
names where it came from, the key, the value and what is accepted.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..nn.activations import HIDDEN_ACTIVATIONS, get_activation
from ..nn.initializers import get_initializer
from ..nn.inputs import check_dtype
from ..nn.optimizers import OPTIMIZERS, get_optimizer
from ..nn.schedules import SCHEDULES, get_schedule
from ..nn.spec import NetworkSpec
from ..train.early_stopping import EarlyStopping
from ..validation import is_integer
from .common import UsageError
from .toml_io import dumps, flag_text, read_toml, toml_value

EARLY_STOPPING_KEYS = ("patience", "monitor", "min_delta")
TASKS = ("auto", "classification", "regression")


@dataclass(frozen=True)
class TrainSettings:
    """Everything ``dlrecipe train`` was told; the defaults are the command's."""

    data: str
    layers: tuple[int, ...]  # the hidden layers; () for none
    target: str | None = None
    task: str = "auto"  # what the target is: auto, classification or regression
    hidden_activation: str = "relu"
    init: str = "he"
    l2: float = 0.0
    l1: float = 0.0
    keep_prob: float | tuple[float, ...] = 1.0
    optimizer: str | dict[str, Any] = "adam"
    learning_rate: float = 0.01
    epochs: int = 100
    batch_size: int | str | None = None  # None: 64, or the training set if smaller; "all"
    schedule: str | dict[str, Any] | None = None
    decay_rate: float | None = None
    early_stopping: dict[str, Any] | None = None  # EarlyStopping's arguments; None: off
    seed: int = 0
    checkpoint_every: int | None = None
    out: str | None = None
    dtype: str = "float64"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _kept(check: Callable[[Any], object]) -> Callable[[Any], Any]:
    """A check that raises on a bad value and keeps a good one as given."""

    def keep(value: Any) -> Any:
        check(value)
        return value

    return keep


def _at_least(low: int, name: str) -> Callable[[int], int]:
    def check(value: int) -> int:
        if value < low:
            raise ValueError(f"{name} must be a whole number >= {low}; got {value}")
        return value

    return check


def _layers(value: str | list[int]) -> tuple[int, ...]:
    if isinstance(value, str):
        if value != "none":
            raise ValueError(f'layers must be a list such as [16, 8], or "none"; got {value!r}')
        return ()
    if any(n < 1 for n in value):
        raise ValueError(
            f"hidden layer sizes must be >= 1; got {list(value)}. For no hidden layer (logistic "
            'or linear regression) write layers = "none" (--layers none)'
        )
    return tuple(value)


def _learning_rate(value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"learning_rate (the step size α) must be a finite number > 0; got {value}"
        )
    return float(value)


def _batch_size(value: int | str) -> int | str:
    if value == "all":
        return value
    if is_integer(value) and value >= 1:
        return int(value)
    raise ValueError(f'batch_size must be a whole number >= 1, or "all"; got {value!r}')


@dataclass(frozen=True)
class Key:
    """A setting: the types it takes, what it accepts in words, and its check."""

    is_type: Callable[[Any], bool]
    accepts: str
    check: Callable[[Any], Any] = field(default=lambda value: value)


def _table_or(kind: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: kind(value) or isinstance(value, dict)


KEYS: dict[str, Key] = {
    "data": Key(_is_str, "a data-set name, or the path of a .csv or .npz file or image folder"),
    "target": Key(_is_str, "the name of the target column of a CSV file"),
    "task": Key(
        lambda v: v in TASKS,
        f"one of {list(TASKS)}: what the target is (auto: text and whole "
        "numbers are classes, other numbers regression)",
    ),
    "layers": Key(
        lambda v: v == "none" or (_is_list(v) and all(map(is_integer, v))),
        'the hidden layer sizes, a list such as [16, 8], or "none"',
        _layers,
    ),
    "hidden_activation": Key(
        _is_str, f"one of {sorted(HIDDEN_ACTIVATIONS)}", lambda v: get_activation(v).name
    ),
    "init": Key(_is_str, 'an initializer such as "he" or "xavier"', _kept(get_initializer)),
    "l2": Key(_is_number, "λ, a number >= 0", lambda v: NetworkSpec.create((1, 1), l2=v).l2),
    "l1": Key(_is_number, "λ, a number >= 0", lambda v: NetworkSpec.create((1, 1), l1=v).l1),
    "keep_prob": Key(  # checked against the layers in resolve
        lambda v: _is_number(v) or (_is_list(v) and all(map(_is_number, v))),
        "the probability to keep a unit, in (0, 1], or a list of one per layer 0 … L-1",
        lambda v: tuple(v) if _is_list(v) else v,
    ),
    "optimizer": Key(
        _table_or(_is_str),
        f'one of {sorted(OPTIMIZERS)}, or a table such as {{ name = "adam", beta1 = 0.9 }}',
        _kept(get_optimizer),
    ),
    "learning_rate": Key(_is_number, "the step size α, a number > 0", _learning_rate),
    "epochs": Key(is_integer, "a whole number >= 1", _at_least(1, "epochs")),
    "batch_size": Key(
        lambda v: is_integer(v) or _is_str(v), 'a whole number >= 1, or "all"', _batch_size
    ),
    "schedule": Key(  # decay_rate joins it in resolve
        _table_or(_is_str),
        f'one of {sorted(SCHEDULES)}, or a table such as {{ name = "exponential", base = 0.9 }}',
        _kept(get_schedule),
    ),
    "decay_rate": Key(_is_number, "a number >= 0 (with schedule inverse_time)", float),
    "early_stopping": Key(
        _table_or(lambda v: isinstance(v, bool)),
        f"true, false, or a table with {', '.join(EARLY_STOPPING_KEYS)}",
    ),
    "seed": Key(is_integer, "a whole number >= 0", _at_least(0, "seed")),
    "checkpoint_every": Key(
        is_integer, "a whole number of epochs >= 1", _at_least(1, "checkpoint_every")
    ),
    "out": Key(_is_str, "the path of the run folder"),
    "dtype": Key(_is_str, '"float64" or "float32"', lambda v: check_dtype(v).name),
}


def resolve(flags: Mapping[str, Any], config: str | None = None) -> TrainSettings:
    """The settings from the ``config`` file (if any) and the ``flags`` given (not None)."""
    values: dict[str, Any] = {}
    where: dict[str, str] = {}  # key -> where its value came from, for messages
    table = read_toml(config) if config is not None else {}
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(
                f"--config {config}: unknown key {key!r}; {hint}the keys are {', '.join(KEYS)}"
            )
        values[key], where[key] = value, f"--config {config}: {key} = {toml_value(value)}"
    for key, value in flags.items():  # early_stopping's flag and table merge below
        if value is not None and key in KEYS and key != "early_stopping":
            values[key], where[key] = value, f"--{key.replace('_', '-')} {flag_text(value)}"

    checked: dict[str, Any] = {}
    for key, spec in KEYS.items():
        if key not in values:
            continue
        if not spec.is_type(values[key]):
            raise UsageError(f"{where[key]} has the wrong type; {key} is {spec.accepts}")
        checked[key] = _checked(where[key], spec.check, values[key])
    for key in ("data", "layers"):
        if key not in checked:
            example = "moons" if key == "data" else "16,8"
            raise UsageError(
                f"--{key} is required (e.g. --{key} {example}), on the command line or in the "
                "--config file"
            )
    if "keep_prob" in checked:  # one value per layer 0 … L-1, or one for the hidden layers
        sizes = (1, *checked["layers"], 1)
        _checked(
            where["keep_prob"],
            _kept(lambda v: NetworkSpec.create(sizes, keep_prob=v)),
            checked["keep_prob"],
        )
    if "decay_rate" in checked:
        schedule = checked.get("schedule")
        if schedule is None:
            raise UsageError(f"{where['decay_rate']} needs a schedule: add --schedule inverse_time")
        merged = ({"name": schedule} if isinstance(schedule, str) else dict(schedule)) | {
            "decay_rate": checked.pop("decay_rate")
        }
        checked["schedule"] = _checked(where["decay_rate"], _kept(get_schedule), merged)
    checked["early_stopping"] = _early_stopping(checked.get("early_stopping"), config, flags)
    return TrainSettings(**checked)


def _checked(where: str, check: Callable[[Any], Any], value: Any) -> Any:
    """``check(value)``, its ValueError or TypeError turned into a usage error from ``where``."""
    try:
        return check(value)
    except (ValueError, TypeError) as error:
        raise UsageError(f"{where}: {error}") from None


def _early_stopping(
    value: bool | dict[str, Any] | None, config: str | None, flags: Mapping[str, Any]
) -> dict[str, Any] | None:
    """EarlyStopping's arguments from the file's ``early_stopping`` and the flags, or None."""
    options = dict(value) if isinstance(value, dict) else {}
    origin = {
        key: f"--config {config}: early_stopping.{key} = {toml_value(option)}"
        for key, option in options.items()
    }
    unknown = sorted(set(options) - set(EARLY_STOPPING_KEYS))
    if unknown:
        raise UsageError(
            f"--config {config}: early_stopping has no key {unknown[0]!r}; it takes "
            f"{', '.join(EARLY_STOPPING_KEYS)}"
        )
    given = [key for key in EARLY_STOPPING_KEYS if flags.get(key) is not None]
    for key in given:
        options[key], origin[key] = flags[key], f"--{key.replace('_', '-')} {flags[key]}"
    enabled = flags.get("early_stopping")
    if enabled is None:
        enabled = value is not None and value is not False
    if not enabled:
        if given:
            raise UsageError(f"{origin[given[0]]} needs --early-stopping")
        return None
    for key, option in options.items():
        _checked(origin[key], _one_option(key), option)
    stopping = EarlyStopping(**options)
    return {key: getattr(stopping, key) for key in EARLY_STOPPING_KEYS}


def _one_option(key: str) -> Callable[[Any], EarlyStopping]:
    """Checks one of EarlyStopping's arguments alone, so its error names where it came from."""
    return lambda value: EarlyStopping(**{key: value})


# --- the settings of a run folder ---------------------------------------------------------------
def to_toml(settings: TrainSettings) -> str:
    """The settings as a file ``--config`` reads (without ``out``, so it can be run again)."""
    values = dataclasses.asdict(settings)
    values["early_stopping"] = values["early_stopping"] or False
    del values["out"]
    return dumps(
        {key: value for key, value in values.items() if value is not None},
        comment="The settings of this run; dlrecipe train --config FILE --out DIR repeats it.",
    )


def read_settings(path: Path) -> TrainSettings:
    """The settings a run folder's train.toml holds."""
    if not path.exists():
        raise ValueError(
            f"{path.parent} has no {path.name}: it is not a run folder written by dlrecipe train"
        )
    try:
        return resolve({}, str(path))
    except UsageError as error:
        raise ValueError(f"{path} is damaged: {error}") from None
