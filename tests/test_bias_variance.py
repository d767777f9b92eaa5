"""diagnose(): the textbook's bias/variance cases, the rule's parts, the report and bad inputs."""

import json
import math

import pytest

from dlrecipe.diagnosis.bias_variance import Diagnosis, Rule, diagnose


@pytest.mark.parametrize(
    ("train", "dev", "bayes", "verdict"),
    [
        (0.01, 0.11, None, "high variance"),
        (0.15, 0.16, None, "high bias"),
        (0.15, 0.30, None, "high bias and high variance"),
        (0.005, 0.01, None, "fine"),
        (0.15, 0.16, 0.15, "fine"),  # with Bayes error 15%, no avoidable bias is left
    ],
)
def test_the_textbooks_cases(train, dev, bayes, verdict):
    assert diagnose(train, dev, bayes_error=bayes).verdict == verdict


def test_gaps_and_flags_of_the_high_variance_case():
    d = diagnose(0.01, 0.11)
    assert d.avoidable_bias == pytest.approx(0.01)
    assert d.variance == pytest.approx(0.10)
    assert (d.data_mismatch, d.dev_overfitting) == (None, None)
    assert d.tolerance == {"bias": 0.02, "variance": 0.02}
    assert d.high == {
        "bias": False,
        "variance": True,
        "data mismatch": False,
        "dev overfitting": False,
    }
    assert (d.high_bias, d.high_variance) == (False, True)


def test_bayes_error_defaults_to_0_and_says_so():
    d = diagnose(0.15, 0.16)
    assert d.bayes_assumed
    assert d.bayes_error == 0.0
    assert any(n.startswith("Bayes error assumed 0") and "bayes_error=" in n for n in d.notes)
    given = diagnose(0.15, 0.16, bayes_error=0.0)
    assert not given.bayes_assumed
    assert not any("assumed" in n for n in given.notes)


def test_bayes_error_above_the_train_error_is_noted():
    d = diagnose(0.05, 0.06, bayes_error=0.08)
    assert d.avoidable_bias == pytest.approx(-0.03)
    assert not d.high_bias
    assert any("train error below Bayes error" in n and "memorized" in n for n in d.notes)


def test_relative_to_bayes_widens_the_tolerance():
    # Bayes 30%: tolerance is 3 points, so a 2.5-point avoidable bias is not high.
    d = diagnose(0.325, 0.33, bayes_error=0.30)
    assert d.tolerance["bias"] == pytest.approx(0.03)
    assert d.verdict == "fine"


def test_data_mismatch_is_not_variance():
    d = diagnose(0.01, 0.10, train_dev_error=0.015)
    assert d.variance == pytest.approx(0.005)
    assert d.data_mismatch == pytest.approx(0.085)
    assert d.verdict == "data mismatch"
    assert d.next_steps[0].startswith("error analysis")
    assert any("synthesize" in step for step in d.next_steps)


def test_train_dev_error_high_above_train_is_variance():
    d = diagnose(0.01, 0.10, train_dev_error=0.09)
    assert d.verdict == "high variance"


def test_over_fitting_to_the_dev_set():
    d = diagnose(0.01, 0.02, test_error=0.10)
    assert d.dev_overfitting == pytest.approx(0.08)
    assert d.verdict == "over-fitting to the dev set"
    assert d.next_steps == ("a bigger dev set: the choices made on this dev set are tuned to it",)


def test_problems_are_joined_in_order():
    d = diagnose(0.15, 0.40, train_dev_error=0.30, test_error=0.60)
    assert d.verdict == (
        "high bias and high variance and data mismatch and over-fitting to the dev set"
    )


def test_a_small_dev_set_turns_a_gap_into_noise():
    # 2% vs 6%: SE = sqrt(.02·.98/10000 + .06·.94/100) ≈ 0.024, and 2 SE ≈ 4.8 points > 4.
    small = diagnose(0.02, 0.06, sizes={"train": 10_000, "dev": 100})
    assert small.tolerance["variance"] == pytest.approx(
        2 * math.sqrt(0.02 * 0.98 / 10_000 + 0.06 * 0.94 / 100)
    )
    assert not small.high_variance
    large = diagnose(0.02, 0.06, sizes={"train": 10_000, "dev": 10_000})
    assert large.tolerance["variance"] == 0.02  # 2 SE ≈ 0.55 points: the absolute floor wins
    assert large.high_variance
    assert large.verdict == "high variance"


def test_the_bias_gap_counts_bayes_error_as_exact():
    d = diagnose(0.10, 0.11, bayes_error=0.05, sizes={"train": 50, "dev": 10_000})
    assert d.tolerance["bias"] == pytest.approx(2 * math.sqrt(0.1 * 0.9 / 50))


def test_a_gap_much_smaller_than_the_largest_is_not_the_problem():
    d = diagnose(0.03, 0.20)  # the 3-point bias is above 2 points, but under 17/4
    assert d.avoidable_bias > d.tolerance["bias"]
    assert d.verdict == "high variance"
    assert "minor" in str(d)
    assert diagnose(0.03, 0.20, rule=Rule(dominance=0)).verdict == "high bias and high variance"


def test_configuring_the_rule_changes_verdicts():
    assert diagnose(0.01, 0.11, rule=Rule(absolute=0.15)).verdict == "fine"
    assert diagnose(0.005, 0.01, rule=Rule(absolute=0.0)).verdict == "high bias and high variance"
    sizes = {"train": 10_000, "dev": 100}
    assert diagnose(0.02, 0.06, sizes=sizes, rule=Rule(noise=1)).verdict == "high variance"
    d = diagnose(0.325, 0.33, bayes_error=0.30, rule=Rule(relative_to_bayes=0))
    assert d.verdict == "high bias"


def test_next_steps_for_high_bias_say_more_data_will_not_help():
    d = diagnose(0.15, 0.16)
    assert "bigger network" in d.next_steps[0]
    assert any("Adam" in step for step in d.next_steps)
    assert not any("more training data" == step for step in d.next_steps)
    assert any("more training data will not help" in n for n in d.notes)


def test_next_steps_for_both_put_bias_first_without_repeats():
    bias, variance, both = diagnose(0.15, 0.16), diagnose(0.01, 0.11), diagnose(0.15, 0.30)
    assert variance.next_steps[0] == "more training data"
    assert both.next_steps[: len(bias.next_steps)] == bias.next_steps
    assert set(both.next_steps) == set(bias.next_steps) | set(variance.next_steps)
    assert len(set(both.next_steps)) == len(both.next_steps)


def test_fine_says_nothing_to_fix():
    d = diagnose(0.005, 0.01)
    assert d.next_steps[0].startswith("nothing to fix")
    assert len(d.next_steps) > 1  # and what could still help


def test_json_round_trip():
    d = diagnose(0.01, 0.10, train_dev_error=0.015, test_error=0.12, sizes={
        "train": 8000, "train_dev": 1000, "dev": 1000, "test": 1000
    })  # fmt: skip
    back = json.loads(json.dumps(d.to_dict()))
    assert back["verdict"] == d.verdict == "data mismatch"
    assert back["high"] == d.high
    assert back["sizes"] == {"train": 8000, "train_dev": 1000, "dev": 1000, "test": 1000}
    assert back["next_steps"] == list(d.next_steps)
    assert back["rule"] == {"absolute": 0.02, "relative_to_bayes": 0.1, "dominance": 0.25,
                            "noise": 2.0}  # fmt: skip
    assert back["data_mismatch"] == pytest.approx(0.085)


def test_the_report():
    text = str(diagnose(0.01, 0.11, sizes={"train": 8000, "dev": 1000}))
    assert "Bayes error 0.00%, assumed" in text
    assert "dev error          11.00%  (1,000 examples)" in text
    assert "variance (dev − train)" in text
    variance_line = next(line for line in text.splitlines() if "variance (dev" in line)
    assert variance_line.endswith("HIGH")
    assert "verdict: HIGH VARIANCE" in text
    assert "  1. more training data" in text
    assert "notes:" in text


def test_regression_errors_above_1_are_allowed_and_noted():
    d = diagnose(3.0, 9.0)
    assert d.verdict == "high bias and high variance"
    assert any("regression" in n for n in d.notes)
    assert "dev error               9" in str(d)
    assert "%" not in str(d).split("verdict")[0]


def test_a_diagnosis_is_frozen():
    d = diagnose(0.01, 0.11)
    assert isinstance(d, Diagnosis)
    with pytest.raises(AttributeError):
        d.variance = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"train_error": -0.1}, "train_error must be a finite number >= 0"),
        ({"dev_error": math.nan}, "dev_error must be a finite number >= 0"),
        ({"bayes_error": math.inf}, "bayes_error must be a finite number >= 0"),
        ({"test_error": -1e-9}, "test_error must be"),
        ({"sizes": {"dev": 100}}, "sizes has no 'train'"),
        ({"sizes": {"train": 10, "dev": 0}}, r"sizes\['dev'\] must be a whole number >= 1"),
        ({"sizes": {"train": 10, "dev": 1.5}}, "must be a whole number"),
        ({"sizes": {"train": 10, "dev": 10, "valid": 3}}, "unknown part 'valid'"),
        ({"train_error": 2.0, "sizes": {"train": 10, "dev": 10}}, "leave sizes out"),
    ],
)
def test_bad_inputs(kwargs, message):
    arguments = {"train_error": 0.01, "dev_error": 0.11} | kwargs
    with pytest.raises(ValueError, match=message):
        diagnose(arguments.pop("train_error"), arguments.pop("dev_error"), **arguments)


def test_errors_must_be_numbers():
    with pytest.raises(TypeError, match="train_error must be a number"):
        diagnose("1%", 0.11)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rule must be a Rule"):
        diagnose(0.01, 0.11, rule={"absolute": 0.05})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"absolute": -0.01}, "Rule.absolute must be a finite number >= 0"),
        ({"noise": math.inf}, "Rule.noise must be a finite number >= 0"),
        ({"relative_to_bayes": math.nan}, "Rule.relative_to_bayes"),
        ({"dominance": 1.5}, r"Rule.dominance must be in \[0, 1\]"),
        ({"absolute": True}, "Rule.absolute"),
    ],
)
def test_bad_rules(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Rule(**kwargs)
