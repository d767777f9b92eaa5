"""ProgressBar, rendered into a StringIO with a scripted clock (no training loop)."""

import io
import math
import sys
import types

import pytest

from dlrecipe.train import progress
from dlrecipe.train.history import History
from dlrecipe.train.model import MLP
from dlrecipe.train.progress import MAX_WIDTH, ProgressBar, format_seconds


class Clock:
    """A stand-in for time.monotonic that moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(monotonic=clock))
    return clock


class FakeStream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def classifier():
    return MLP((2, 3, 1), seed=0)


def regressor():
    return MLP((2, 3, 1), output_activation="linear", seed=0)


def drive(
    bar, n_epochs, clock, *, logs=None, model=None, history=None, seconds=1.0, stop_after=None
):
    """Run ``n_epochs`` epochs of ``seconds`` each; returns the frames drawn and the raw text."""
    model = classifier() if model is None else model
    history = History() if history is None else history
    model.stop_training = False
    bar.on_train_begin(model, history)
    first = len(history)
    for epoch in range(first, first + n_epochs):
        clock.now += seconds
        epoch_logs = {"cost": 0.3412, "loss": 0.3, "error": 0.1} if logs is None else logs(epoch)
        history.append(epoch, epoch_logs)
        if stop_after is not None and epoch == stop_after:
            model.stop_training = True  # as early stopping would, before the bar's turn
        bar.on_epoch_end(model, epoch, epoch_logs)
        if model.stop_training:
            break
    bar.on_train_end(model, history)
    return frames(bar.stream.getvalue()), bar.stream.getvalue()


def frames(text):
    """The successive lines drawn: the pieces between carriage returns, newline removed."""
    assert text == "" or text.startswith("\r")
    return text.removesuffix("\n").split("\r")[1:]


def test_last_line_shows_the_whole_training(clock):
    bar = ProgressBar(total=5, stream=io.StringIO(), min_interval=0)
    drawn, text = drive(
        bar, 5, clock, seconds=2.0, logs=lambda e: {"cost": 0.3412, "dev_error": 0.045}
    )
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert len(drawn) == 5
    assert (
        drawn[-1].rstrip()
        == "epoch 5/5 [##########] 100% cost 0.3412 dev error 4.5% done in 0:00:10"
    )
    assert drawn[0] == "epoch 1/5 [##--------] 20% cost 0.3412 dev error 4.5% 0:00:08 left"


def test_no_dev_part_without_dev_error(clock):
    for logs in ({"cost": 0.25}, {"cost": 0.25, "dev_error": math.nan, "dev_loss": math.nan}):
        bar = ProgressBar(total=3, stream=io.StringIO(), min_interval=0)
        drawn, _ = drive(bar, 3, clock, logs=lambda e, logs=logs: logs)
        assert drawn[-1].rstrip() == "epoch 3/3 [##########] 100% cost 0.25 done in 0:00:03"
        assert all("dev" not in line for line in drawn)


def test_regression_dev_error_is_a_number_not_a_percentage(clock):
    bar = ProgressBar(total=2, stream=io.StringIO(), min_interval=0)
    drawn, _ = drive(
        bar, 2, clock, model=regressor(), logs=lambda e: {"cost": 3.0, "dev_error": 2.345678}
    )
    assert "cost 3 dev error 2.346 done" in drawn[-1]
    assert drawn[-1].count("%") == 1  # the bar's own


def test_lines_never_exceed_the_width(clock):
    # Ten-digit epoch counts, an absurd cost and a year-long estimate: cut to MAX_WIDTH.
    total = 10**9
    bar = ProgressBar(total=total, stream=io.StringIO(), min_interval=0)
    model = classifier()
    bar.on_train_begin(model, History())
    for epoch in (0, total // 2, total - 1):
        clock.now += 1e12
        bar.on_epoch_end(model, epoch, {"cost": -1.23456789e300, "dev_error": 0.123456789})
    bar.on_train_end(model, History())
    drawn = frames(bar.stream.getvalue())
    assert len(drawn) == 3
    assert len(drawn[-1]) == MAX_WIDTH  # cut: the full line is longer
    assert max(len(line) for line in drawn) <= MAX_WIDTH
    assert drawn[-1].startswith("epoch 1000000000/1000000000 [##########] 100% cost -1.235e+300")


def test_a_shorter_line_clears_the_longer_one(clock):
    costs = [123456.789, 0.5]
    bar = ProgressBar(total=10, stream=io.StringIO(), min_interval=0)
    drawn, _ = drive(
        bar, 2, clock, logs=lambda e: {"cost": costs[e], "dev_error": 0.5 if e == 0 else math.nan}
    )
    assert len(drawn[1]) == len(drawn[0])
    assert len(drawn[1].rstrip()) < len(drawn[0])
    assert drawn[1].rstrip() == "epoch 2/10 [##--------] 20% cost 0.5 0:00:08 left"


def test_throttling_draws_only_the_first_and_last_epochs(clock):
    bar = ProgressBar(total=50, stream=io.StringIO(), min_interval=1e9)
    drawn, text = drive(bar, 50, clock)
    assert [line.split(" [")[0] for line in drawn] == ["epoch 1/50", "epoch 50/50"]
    assert text.endswith("\n")


def test_throttling_redraws_after_min_interval(clock):
    # Epochs end at t = 1, 2, …, 6: drawn at 1 (first), 4 (3 s >= 2.5 s later), 6 (last).
    bar = ProgressBar(total=6, stream=io.StringIO(), min_interval=2.5)
    drawn, _ = drive(bar, 6, clock)
    assert [line.split(" [")[0] for line in drawn] == ["epoch 1/6", "epoch 4/6", "epoch 6/6"]


def test_early_stop_is_drawn_even_when_throttled(clock):
    bar = ProgressBar(total=100, stream=io.StringIO(), min_interval=1e9)
    drawn, text = drive(bar, 100, clock, stop_after=6)
    assert [line.split(" [")[0] for line in drawn] == ["epoch 1/100", "epoch 7/100"]
    assert drawn[-1].rstrip().endswith("7% cost 0.3412 done in 0:00:07")
    assert text.endswith("\n")


def test_an_early_stop_ends_with_the_time_taken_not_the_time_left(clock):
    bar = ProgressBar(total=100, stream=io.StringIO(), min_interval=0)
    drawn, _ = drive(bar, 100, clock, stop_after=6)
    assert len(drawn) == 8  # epochs 1 … 7, then epoch 7 again at the end of training
    assert drawn[-2].endswith("7% cost 0.3412 0:01:33 left")
    assert drawn[-1].rstrip().endswith("7% cost 0.3412 done in 0:00:07")


def test_a_throttled_last_epoch_is_drawn_at_train_end(clock):
    # Training ends after 3 of 10 epochs without the bar seeing why (e.g. a later callback).
    bar = ProgressBar(total=10, stream=io.StringIO(), min_interval=1e9)
    drawn, text = drive(bar, 3, clock)
    assert [line.split(" [")[0] for line in drawn] == ["epoch 1/10", "epoch 3/10"]
    assert text.endswith("\n")


def test_time_left_is_the_mean_epoch_time_times_the_epochs_left(clock):
    bar = ProgressBar(total=1000, stream=io.StringIO(), min_interval=0)
    drawn, _ = drive(bar, 2, clock, seconds=3.7)
    assert drawn[0].endswith(" 1:01:36 left")  # 3.7 s × 999 = 3696.3 s
    assert drawn[1].rstrip().endswith(" 1:01:33 left")  # 3.7 s × 998 = 3692.6 s


def test_resume_counts_from_the_epochs_already_done(clock):
    history = History()
    for epoch in range(50):
        history.append(epoch, {"cost": 1.0})
    bar = ProgressBar(total=100, stream=io.StringIO(), min_interval=0)
    drawn, _ = drive(bar, 2, clock, history=history, seconds=2.0)
    # Only this run's epochs give the mean: 2 s × 49 epochs left, not (4 s / 51) × 49.
    assert drawn[0] == "epoch 51/100 [#####-----] 51% cost 0.3412 0:01:38 left"
    assert drawn[1].startswith("epoch 52/100 [#####-----] 52%")


def test_nothing_is_written_without_epochs(clock):
    bar = ProgressBar(total=5, stream=io.StringIO())
    _, text = drive(bar, 0, clock)
    assert text == ""


def test_default_stream_is_standard_error(clock, monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = ProgressBar(total=1)
    drive(bar, 1, clock)
    assert err.getvalue().startswith("\repoch 1/1 [##########] 100%")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00:00"),
        (3.4, "0:00:03"),
        (59.6, "0:01:00"),
        (3725, "1:02:05"),
        (360000, "100:00:00"),
        (-1, "0:00:00"),
        (math.inf, "?:??:??"),
        (math.nan, "?:??:??"),
    ],
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_wanted_only_on_a_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    assert ProgressBar.wanted(FakeStream(tty=True))
    assert not ProgressBar.wanted(FakeStream(tty=False))
    assert not ProgressBar.wanted(io.StringIO())
    assert not ProgressBar.wanted(object())  # no isatty at all
    monkeypatch.setenv("TERM", "dumb")
    assert not ProgressBar.wanted(FakeStream(tty=True))


def test_wanted_looks_at_standard_error_by_default(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr(sys, "stderr", FakeStream(tty=True))
    assert ProgressBar.wanted()
    monkeypatch.setattr(sys, "stderr", FakeStream(tty=False))
    assert not ProgressBar.wanted()
    monkeypatch.setattr(sys, "stderr", None)
    assert not ProgressBar.wanted()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"total": 0}, r"total must be an integer >= 1 \(the number of epochs\); got total=0"),
        ({"total": 2.5}, r"total must be an integer >= 1 .*; got total=2.5"),
        ({"total": True}, r"total must be an integer >= 1 .*; got total=True"),
        (
            {"total": 3, "min_interval": -1},
            r"min_interval must be a number of seconds >= 0; got min_interval=-1",
        ),
        ({"total": 3, "min_interval": math.nan}, r"min_interval must be .*; got min_interval=nan"),
    ],
)
def test_bad_arguments(options, match):
    with pytest.raises(ValueError, match=match):
        ProgressBar(**options)
