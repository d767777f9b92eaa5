"""Learning-rate schedules: the textbook's decay examples, the other formulas, configs, errors."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from dlrecipe.nn.schedules import (
    SCHEDULES,
    Constant,
    Exponential,
    InverseSqrt,
    InverseTime,
    from_config,
    get_schedule,
)


def test_inverse_time_matches_the_textbook_example():
    # α₀ = 0.2, decay_rate = 1: α = 0.2 / (1 + epoch) = 0.2, 0.1, 0.0667, 0.05.
    schedule = InverseTime(decay_rate=1)
    rates = [schedule(0.2, epoch) for epoch in range(4)]
    assert rates == pytest.approx([0.2, 0.1, 0.0667, 0.05], abs=5e-5)
    assert rates[2] == pytest.approx(0.2 / 3, rel=1e-15)


def test_inverse_time_with_an_interval_is_a_staircase():
    schedule = InverseTime(decay_rate=1, interval=1000)
    assert schedule(0.2, 0) == schedule(0.2, 999) == 0.2
    assert schedule(0.2, 1000) == schedule(0.2, 1999) == pytest.approx(0.1, rel=1e-15)
    assert schedule(0.2, 2000) == pytest.approx(0.2 / 3, rel=1e-15)


def test_inverse_time_decay_rate():
    assert InverseTime(decay_rate=0.5)(1.0, 4) == pytest.approx(1 / 3)  # 1 / (1 + 0.5 · 4)
    assert InverseTime(decay_rate=0)(0.3, 50) == 0.3


def test_exponential():
    schedule = Exponential(base=0.95)
    assert schedule(0.1, 0) == 0.1
    assert schedule(0.1, 1) == pytest.approx(0.095, rel=1e-15)
    assert schedule(0.1, 10) == pytest.approx(0.1 * 0.95**10, rel=1e-15)
    # 0.95 halves α every ln 2 / ln(1/0.95) ≈ 13.5 epochs.
    assert schedule(1.0, 13) > 0.5 > schedule(1.0, 14)
    assert Exponential(1.0)(0.1, 1000) == 0.1
    assert Exponential(0.5)(0.1, 100_000) == 0.0  # underflows quietly: still a learning rate


def test_inverse_sqrt():
    schedule = InverseSqrt()
    rates = [schedule(0.1, epoch) for epoch in (0, 3, 8, 99)]
    assert rates == pytest.approx([0.1, 0.05, 0.1 / 3, 0.01], rel=1e-15)
    assert InverseSqrt(k=0.5)(0.1, 3) == pytest.approx(0.025, rel=1e-15)  # 0.5 / √4 · 0.1


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_starts_near_the_initial_rate_and_never_grows(name):
    schedule = get_schedule(name)
    rates = np.array([schedule(0.3, epoch) for epoch in range(200)])
    assert rates[0] == 0.3
    assert np.all(np.diff(rates) <= 0)
    assert isinstance(schedule(0.3, np.int64(5)), float)


def test_constant():
    assert [Constant()(0.05, epoch) for epoch in (0, 1, 10_000)] == [0.05] * 3
    assert get_schedule(None) == Constant()


@pytest.mark.parametrize(
    "schedule",
    [Constant(), InverseTime(0.5, interval=10), Exponential(0.9), InverseSqrt(k=2)],
)
def test_config_round_trips_through_json(schedule):
    config = json.loads(json.dumps(schedule.to_config()))
    assert from_config(config) == schedule
    assert get_schedule(config) == schedule


def test_config_values():
    assert InverseTime(1, 1000).to_config() == {
        "name": "inverse_time",
        "decay_rate": 1.0,
        "interval": 1000,
    }
    assert Exponential(np.float32(0.5)).to_config() == {"name": "exponential", "base": 0.5}
    assert type(InverseTime(np.float64(1), np.int64(3)).interval) is int  # JSON-serializable
    assert Constant().to_config() == {"name": "constant"}


def test_get_schedule():
    assert get_schedule("exponential") == Exponential(0.95)
    assert get_schedule("inverse_time") == InverseTime(decay_rate=1.0)
    schedule = InverseSqrt(k=3)
    assert get_schedule(schedule) is schedule
    with pytest.raises(ValueError, match=r"unknown schedule 'step'; expected one of \['constant'"):
        get_schedule("step")
    with pytest.raises(ValueError, match=r"has no argument \['rate'\]; it takes \['decay_rate'"):
        get_schedule({"name": "inverse_time", "rate": 1})
    with pytest.raises(TypeError, match="got float"):
        get_schedule(0.95)  # type: ignore[arg-type]


def test_schedules_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Exponential().base = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: InverseTime(decay_rate=-1), r"decay_rate must be a finite number >= 0.*=-1"),
        (lambda: InverseTime(decay_rate=math.inf), r"got decay_rate=inf"),
        (lambda: InverseTime(decay_rate=True), r"got decay_rate=True"),
        (lambda: InverseTime(1, interval=0), r"interval must be a whole number.*interval=0"),
        (lambda: InverseTime(1, interval=2.5), r"got interval=2.5"),
        (lambda: InverseTime(1, interval=True), r"got interval=True"),
        (lambda: Exponential(base=0), r"base must be a number in \(0, 1\]; got base=0"),
        (lambda: Exponential(base=1.05), r"got base=1.05"),
        (lambda: Exponential(base=math.nan), r"got base=nan"),
        (lambda: InverseSqrt(k=0), r"k must be a finite number > 0; got k=0"),
        (lambda: InverseSqrt(k=-2.0), r"got k=-2.0"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("epoch", [-1, 1.5, True])
def test_bad_epoch(epoch):
    with pytest.raises(ValueError, match=r"epoch must be an int >= 0 \(counted from 0\)"):
        Exponential()(0.1, epoch)
