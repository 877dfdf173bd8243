# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of skmerge.metrics against hand and brute-force computations."""

import re

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.integrate import trapezoid
from scipy.optimize import brentq
from scipy.stats import norm
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.fixes import parse_version

from skmerge.metrics import (
    _reliability_bins,
    _smooth_ece_at,
    calibration_report,
    expected_calibration_error,
    maximum_calibration_error,
    smooth_ece,
)

# Four samples, three classes. Top label: confidences 0.9 (right), 0.6
# (wrong), 0.8 (right), 0.6 (right).
Y_TRUE = np.array([0, 1, 2, 2])
Y_PROB = np.array(
    [
        [0.9, 0.05, 0.05],
        [0.6, 0.3, 0.1],
        [0.1, 0.1, 0.8],
        [0.2, 0.2, 0.6],
    ]
)


def brute_force_errors(y_true, y_prob, n_bins, strategy, kind, sample_weight=None):
    """(ECE, MCE) by explicit loops over samples, bins and classes."""
    y_prob = np.asarray(y_prob, dtype=float)
    n_samples, n_classes = y_prob.shape
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    if kind == "top_label":
        tasks = [
            (
                [max(row) for row in y_prob],
                [
                    int(np.argmax(row) == y)
                    for row, y in zip(y_prob, y_true, strict=True)
                ],
            )
        ]
    else:
        tasks = [
            (list(y_prob[:, c]), [int(y == c) for y in y_true])
            for c in range(n_classes)
        ]

    eces, mces = [], []
    for scores, hits in tasks:
        if strategy == "uniform":
            edges = [b / n_bins for b in range(n_bins + 1)]
        else:
            edges = sorted(set(np.quantile(scores, np.linspace(0, 1, n_bins + 1))))
            if len(edges) == 1:
                edges = edges * 2
        last = len(edges) - 2
        ece, mce = 0.0, 0.0
        for b in range(last + 1):
            # Bins (lo, hi]; the first also holds its left edge, the last
            # everything above.
            members = [
                i
                for i, s in enumerate(scores)
                if (b == 0 or s > edges[b]) and (b == last or s <= edges[b + 1])
            ]
            w = sum(weights[i] for i in members)
            if w == 0:
                continue
            conf = sum(weights[i] * scores[i] for i in members) / w
            acc = sum(weights[i] * hits[i] for i in members) / w
            ece += w / sum(weights) * abs(acc - conf)
            mce = max(mce, abs(acc - conf))
        eces.append(ece)
        mces.append(mce)
    return float(np.mean(eces)), float(np.max(mces))


def random_predictions(n_samples, n_classes, seed):
    rng = np.random.default_rng(seed)
    y_prob = rng.dirichlet(np.ones(n_classes), size=n_samples)
    y_true = rng.integers(n_classes, size=n_samples)
    return y_true, y_prob


def both(y_true, y_prob, **kwargs):
    return (
        expected_calibration_error(y_true, y_prob, **kwargs),
        maximum_calibration_error(y_true, y_prob, **kwargs),
    )


# -- hand computations -------------------------------------------------------


def test_top_label_uniform_by_hand():
    # n_bins=5: bin (0.4, 0.6] holds 0.6 (wrong) and 0.6 (right): gap
    # |0.5 - 0.6| = 0.1, weight 2; bin (0.6, 0.8] holds 0.8 (right): gap 0.2;
    # bin (0.8, 1] holds 0.9 (right): gap 0.1.
    ece, mce = both(Y_TRUE, Y_PROB, n_bins=5)
    assert ece == pytest.approx((2 * 0.1 + 0.2 + 0.1) / 4)
    assert mce == pytest.approx(0.2)


def test_top_label_uniform_weighted_by_hand():
    # The wrong 0.6 weighs 2: bin (0.4, 0.6] has accuracy 1/3, weight 3.
    ece, mce = both(Y_TRUE, Y_PROB, n_bins=5, sample_weight=[1, 2, 1, 1])
    gap = abs(1 / 3 - 0.6)
    assert ece == pytest.approx((3 * gap + 0.2 + 0.1) / 5)
    assert mce == pytest.approx(gap)


def test_top_label_quantile_by_hand():
    # Confidences sorted: 0.6, 0.6, 0.8, 0.9; 2 bins, edges 0.6, 0.7, 0.9.
    # Bin [0.6, 0.7]: accuracy 0.5, confidence 0.6; bin (0.7, 0.9]: accuracy
    # 1, confidence 0.85.
    ece, mce = both(Y_TRUE, Y_PROB, n_bins=2, strategy="quantile")
    assert ece == pytest.approx((2 * 0.1 + 2 * 0.15) / 4)
    assert mce == pytest.approx(0.15)


def test_classwise_by_hand():
    # With 15 bins every probability of a class sits alone in its bin, so
    # each class's ECE is the mean |hit - p| over the samples.
    ece_0 = (0.1 + 0.6 + 0.1 + 0.2) / 4
    ece_1 = (0.05 + 0.7 + 0.1 + 0.2) / 4
    ece_2 = (0.05 + 0.1 + 0.2 + 0.4) / 4
    ece, mce = both(Y_TRUE, Y_PROB, kind="classwise")
    assert ece == pytest.approx((ece_0 + ece_1 + ece_2) / 3)
    assert mce == pytest.approx(0.7)


def test_one_bin_is_accuracy_minus_mean_confidence():
    ece, mce = both(Y_TRUE, Y_PROB, n_bins=1)
    assert ece == pytest.approx(abs(0.75 - np.mean([0.9, 0.6, 0.8, 0.6])))
    assert mce == pytest.approx(ece)


def test_confidence_one_goes_to_last_bin_and_zero_to_first():
    scores = np.array([0.0, 0.05, 1.0, 1.0])
    _, _, weight, edges = _reliability_bins(scores, [0, 0, 1, 1], 10, "uniform")
    np.testing.assert_array_equal(weight, [2, 0, 0, 0, 0, 0, 0, 0, 0, 2])
    np.testing.assert_allclose(edges, np.linspace(0, 1, 11))


def test_quantile_bins_merge_equal_edges():
    mean_score, frequency, weight, edges = _reliability_bins(
        np.full(6, 0.7), [1, 1, 0, 1, 0, 1], 4, "quantile"
    )
    np.testing.assert_allclose(mean_score, [0.7])
    np.testing.assert_allclose(frequency, [4 / 6])
    np.testing.assert_allclose(weight, [6])
    np.testing.assert_allclose(edges, [0.7, 0.7])


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_bins_match_sklearn_calibration_curve(strategy):
    rng = np.random.default_rng(0)
    y_prob = rng.uniform(size=300)
    y_true = (rng.uniform(size=300) < y_prob).astype(int)
    mean_score, frequency, weight, _ = _reliability_bins(y_prob, y_true, 7, strategy)
    prob_true, prob_pred = calibration_curve(
        y_true, y_prob, n_bins=7, strategy=strategy
    )
    np.testing.assert_allclose(frequency[weight > 0], prob_true)
    np.testing.assert_allclose(mean_score[weight > 0], prob_pred)


# -- brute force ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["top_label", "classwise"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_bins", [1, 4, 15])
def test_against_brute_force(kind, strategy, weighted, n_bins):
    y_true, y_prob = random_predictions(60, 4, seed=n_bins)
    sample_weight = None
    if weighted:
        sample_weight = np.random.default_rng(1).uniform(0, 3, size=60)
        sample_weight[:5] = 0
    expected = brute_force_errors(y_true, y_prob, n_bins, strategy, kind, sample_weight)
    got = both(
        y_true,
        y_prob,
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        sample_weight=sample_weight,
    )
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_integer_weights_equal_repeated_samples():
    y_true, y_prob = random_predictions(30, 3, seed=2)
    counts = np.random.default_rng(3).integers(1, 4, size=30)
    weighted = both(y_true, y_prob, sample_weight=counts, kind="classwise")
    repeated = both(
        np.repeat(y_true, counts), np.repeat(y_prob, counts, axis=0), kind="classwise"
    )
    assert weighted == pytest.approx(repeated)


# -- labels --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["top_label", "classwise"])
def test_string_labels_equal_integer_labels(kind):
    y_true, y_prob = random_predictions(50, 3, seed=4)
    names = np.array(["ant", "bee", "cat"])
    expected = both(y_true, y_prob, kind=kind)
    assert both(names[y_true], y_prob, kind=kind) == pytest.approx(expected)
    assert both(list(names[y_true]), y_prob.tolist(), kind=kind) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("kind", ["top_label", "classwise"])
def test_labels_name_the_columns(kind):
    y_true, y_prob = random_predictions(50, 3, seed=5)
    expected = both(y_true, y_prob, kind=kind)
    order = [2, 0, 1]
    assert both(y_true, y_prob[:, order], labels=order, kind=kind) == pytest.approx(
        expected
    )
    names = np.array(["x", "y", "z"])
    assert both(
        names[y_true], y_prob[:, order], labels=names[order], kind=kind
    ) == pytest.approx(expected)


def test_labels_cover_classes_missing_from_y_true():
    y_true, y_prob = random_predictions(40, 4, seed=6)
    y_true = np.where(y_true == 3, 0, y_true)  # class 3 never occurs
    got = both(y_true, y_prob, labels=[0, 1, 2, 3], kind="classwise")
    expected = brute_force_errors(y_true, y_prob, 15, "uniform", "classwise")
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("kind", ["top_label", "classwise"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_binary_1d_equals_two_columns(kind, strategy):
    rng = np.random.default_rng(7)
    p = rng.uniform(size=80)
    y_true = np.where(rng.uniform(size=80) < p, "yes", "no")
    two_columns = np.column_stack([1 - p, p])
    expected = both(y_true, two_columns, kind=kind, strategy=strategy)
    assert both(y_true, p, kind=kind, strategy=strategy) == pytest.approx(expected)
    assert both(y_true, p[:, None], kind=kind, strategy=strategy) == pytest.approx(
        expected
    )


# -- calibrated predictions ------------------------------------------------------


def test_exactly_calibrated_construction_has_zero_error():
    # 10 rows of confidence 0.9 with 9 right, 20 of 0.6 with 12 right.
    y_prob = np.array([[0.9, 0.05, 0.05]] * 10 + [[0.3, 0.6, 0.1]] * 20)
    y_true = np.array([0] * 9 + [2] + [1] * 12 + [0] * 8)
    for strategy in ["uniform", "quantile"]:
        ece, mce = both(y_true, y_prob, strategy=strategy)
        assert ece == pytest.approx(0, abs=1e-12)
        assert mce == pytest.approx(0, abs=1e-12)


def test_labels_sampled_from_the_probabilities_are_calibrated():
    rng = np.random.default_rng(8)
    y_prob = rng.dirichlet([0.5, 0.5, 0.5], size=100_000)
    y_true = (rng.uniform(size=(100_000, 1)) > y_prob.cumsum(axis=1)).sum(axis=1)
    assert expected_calibration_error(y_true, y_prob) < 0.01
    assert expected_calibration_error(y_true, y_prob, kind="classwise") < 0.01
    # ... while overconfident probabilities are not.
    sharp = y_prob**3 / (y_prob**3).sum(axis=1, keepdims=True)
    assert expected_calibration_error(y_true, sharp) > 0.05


def test_tiny_float_error_is_tolerated():
    y_prob = Y_PROB.copy()
    y_prob[0] = [1 + 1e-9, -1e-9, 0.0]
    assert np.isfinite(expected_calibration_error(Y_TRUE, y_prob))
    assert np.isfinite(expected_calibration_error(Y_TRUE, Y_PROB.astype(np.float32)))


# -- invariants ----------------------------------------------------------------


@st.composite
def predictions(draw):
    n_samples = draw(st.integers(1, 30))
    n_classes = draw(st.integers(2, 4))
    raw = draw(hnp.arrays(np.float64, (n_samples, n_classes), elements=st.floats(0, 1)))
    y_prob = (raw + 1e-3) / (raw + 1e-3).sum(axis=1, keepdims=True)
    y_true = draw(
        hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
    )
    weights = draw(hnp.arrays(np.float64, n_samples, elements=st.floats(0.1, 10)))
    permutation = np.array(draw(st.permutations(range(n_samples))))
    return y_true, y_prob, weights, permutation


@settings(max_examples=60, deadline=None)
@given(
    data=predictions(),
    n_bins=st.integers(1, 12),
    strategy=st.sampled_from(["uniform", "quantile"]),
    kind=st.sampled_from(["top_label", "classwise"]),
    weighted=st.booleans(),
)
def test_invariants(data, n_bins, strategy, kind, weighted):
    y_true, y_prob, weights, permutation = data
    kwargs = dict(
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        labels=np.arange(y_prob.shape[1]),
    )
    sample_weight = weights if weighted else None
    ece, mce = both(y_true, y_prob, sample_weight=sample_weight, **kwargs)
    assert 0 <= ece <= 1
    assert 0 <= mce <= 1
    assert mce >= ece - 1e-12

    permuted = both(
        y_true[permutation],
        y_prob[permutation],
        sample_weight=None if sample_weight is None else weights[permutation],
        **kwargs,
    )
    assert permuted == pytest.approx((ece, mce), rel=1e-9, abs=1e-12)


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "func", [expected_calibration_error, maximum_calibration_error]
)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_bins": 0}, "'n_bins' parameter"),
        ({"n_bins": 2.5}, "'n_bins' parameter"),
        ({"strategy": "equal"}, "'strategy' parameter"),
        ({"kind": "marginal"}, "'kind' parameter"),
        ({"labels": "abc"}, "'labels' parameter"),
    ],
)
def test_invalid_parameters(func, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        func(Y_TRUE, Y_PROB, **kwargs)


def test_calibration_report_invalid_parameters():
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        calibration_report(Y_TRUE, Y_PROB, n_bins=-1)


def test_smooth_ece_invalid_parameters():
    with pytest.raises(InvalidParameterError, match="'labels' parameter"):
        smooth_ece(Y_TRUE, Y_PROB, labels="abc")
    with pytest.raises(TypeError, match="n_bins"):
        smooth_ece(Y_TRUE, Y_PROB, n_bins=10)


@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, match",
    [
        (
            Y_TRUE,
            Y_PROB[:, :2],
            {},
            "y_prob has 2 columns but there are 3 labels: [0, 1, 2]",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"labels": [0, 1, 2, 3]},
            "y_prob has 3 columns but there are 4 labels: [0, 1, 2, 3].",
        ),
        (
            [1, 1, 1, 1],
            Y_PROB[:, :2] / Y_PROB[:, :2].sum(axis=1, keepdims=True),
            {},
            "y_prob has 2 columns but there are 1 labels: [1]. Pass labels=",
        ),
        (
            Y_TRUE,
            Y_PROB[:, 0],
            {},
            "so there must be 2 labels; got 3: [0, 1, 2]",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"labels": [0, 1, 1]},
            "labels must be unique; got [0, 1, 1]",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"labels": [0, 1, 5]},
            "Every label in y_true must be in labels; got y_true labels [2] that "
            "are not in [0, 1, 5]",
        ),
        (
            ["a", "b", "c", "c"],
            Y_PROB,
            {"labels": [0, 1, 2]},
            "got y_true labels ['a', 'b', 'c'] that are not in [0, 1, 2]",
        ),
        (
            [0, 0, 0, 0],
            Y_PROB[:, :1],
            {"labels": [0]},
            "so there must be 2 labels; got 1: [0]",
        ),
        (
            Y_TRUE,
            Y_PROB * 2 - 0.5,
            {},
            "y_prob must hold probabilities in [0, 1]; got values from -0.4 to 1.3",
        ),
        (
            Y_TRUE,
            Y_PROB * 0.5,
            {},
            "Each row of y_prob must sum to 1; got row sums from 0.5 to 0.5",
        ),
        (
            Y_TRUE,
            Y_PROB[None],
            {},
            "Found array with dim 3",
        ),
        (
            Y_TRUE[:3],
            Y_PROB,
            {},
            "inconsistent numbers of samples: [3, 4]",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"sample_weight": [1, 1, 1]},
            "sample_weight must have one weight per sample; got 3 weights for 4 "
            "samples",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"sample_weight": [1, -1, 1, 1]},
            "sample_weight must be finite and non-negative; got values from -1 to 1",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"sample_weight": [1, np.nan, 1, 1]},
            "sample_weight must be finite and non-negative",
        ),
        (
            Y_TRUE,
            Y_PROB,
            {"sample_weight": [0, 0, 0, 0]},
            "sample_weight must have a positive sum; got all zeros",
        ),
        (
            Y_TRUE,
            np.where(Y_PROB == 0.9, np.nan, Y_PROB),
            {},
            "Input y_prob contains NaN",
        ),
    ],
)
@pytest.mark.parametrize(
    "func",
    [
        expected_calibration_error,
        maximum_calibration_error,
        calibration_report,
        smooth_ece,
    ],
)
def test_bad_input_raises(func, y_true, y_prob, kwargs, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        func(y_true, y_prob, **kwargs)


# -- calibration_report --------------------------------------------------------


SKLEARN_MULTICLASS_BRIER = parse_version(sklearn.__version__) >= parse_version("1.7")


@pytest.mark.parametrize("weighted", [False, True])
def test_calibration_report_multiclass(weighted):
    y_true, y_prob = random_predictions(70, 4, seed=9)
    names = np.array(["a", "b", "c", "d"])
    y_true = names[y_true]
    sample_weight = np.linspace(0.5, 2, 70) if weighted else None
    report = calibration_report(y_true, y_prob, n_bins=10, sample_weight=sample_weight)
    assert list(report) == ["accuracy", "log_loss", "brier", "ece", "mce", "smooth_ece"]
    assert all(type(value) is float for value in report.values())

    y_pred = names[np.argmax(y_prob, axis=1)]
    assert report["accuracy"] == pytest.approx(
        accuracy_score(y_true, y_pred, sample_weight=sample_weight)
    )
    assert report["log_loss"] == pytest.approx(
        log_loss(y_true, y_prob, sample_weight=sample_weight)
    )
    one_hot = (y_true[:, None] == names).astype(float)
    brier = np.average(((one_hot - y_prob) ** 2).sum(axis=1), weights=sample_weight)
    assert report["brier"] == pytest.approx(brier)
    if SKLEARN_MULTICLASS_BRIER:
        assert report["brier"] == pytest.approx(
            brier_score_loss(y_true, y_prob, sample_weight=sample_weight)
        )
    assert report["ece"] == pytest.approx(
        expected_calibration_error(
            y_true, y_prob, n_bins=10, sample_weight=sample_weight
        )
    )
    assert report["mce"] == pytest.approx(
        maximum_calibration_error(
            y_true, y_prob, n_bins=10, sample_weight=sample_weight
        )
    )
    assert report["smooth_ece"] == pytest.approx(
        smooth_ece(y_true, y_prob, sample_weight=sample_weight)
    )


def test_calibration_report_binary():
    rng = np.random.default_rng(10)
    p = rng.uniform(size=50)
    y_true = (rng.uniform(size=50) < p).astype(int)
    report_1d = calibration_report(y_true, p)
    report_2d = calibration_report(y_true, np.column_stack([1 - p, p]))
    assert report_1d == pytest.approx(report_2d)
    assert report_1d["brier"] == pytest.approx(brier_score_loss(y_true, p))
    assert report_1d["brier"] == pytest.approx(np.mean((y_true - p) ** 2))
    if SKLEARN_MULTICLASS_BRIER:
        assert report_2d["brier"] == pytest.approx(
            brier_score_loss(y_true, np.column_stack([1 - p, p]))
        )
    assert report_1d["log_loss"] == pytest.approx(log_loss(y_true, p))
    assert report_1d["accuracy"] == pytest.approx(accuracy_score(y_true, p > 0.5))


def test_calibration_report_labels_reorder():
    y_true, y_prob = random_predictions(40, 3, seed=11)
    order = [1, 2, 0]
    assert calibration_report(y_true, y_prob[:, order], labels=order) == pytest.approx(
        calibration_report(y_true, y_prob)
    )


def test_calibration_report_by_hand():
    report = calibration_report(Y_TRUE, Y_PROB, n_bins=5)
    assert report["accuracy"] == pytest.approx(0.75)
    assert report["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.3, 0.8, 0.6])))
    assert report["brier"] == pytest.approx((0.015 + 0.86 + 0.06 + 0.24) / 4)
    assert report["ece"] == pytest.approx(0.125)
    assert report["mce"] == pytest.approx(0.2)
    assert report["smooth_ece"] == pytest.approx(smooth_ece(Y_TRUE, Y_PROB))


# -- smooth_ece ------------------------------------------------------------------


def synthetic_top_label(n_samples, n_classes, temperature, seed):
    """Labels drawn from softmax(z) and predictions softmax(z / temperature).

    Calibrated when `temperature` is 1, over- (< 1) or under-confident (> 1).
    """
    rng = np.random.default_rng(seed)
    logits = 2 * rng.normal(size=(n_samples, n_classes))
    p_true = np.exp(logits)
    p_true /= p_true.sum(axis=1, keepdims=True)
    y_true = (rng.uniform(size=(n_samples, 1)) > np.cumsum(p_true, axis=1)).sum(axis=1)
    y_prob = np.exp(logits / temperature)
    y_prob /= y_prob.sum(axis=1, keepdims=True)
    return np.minimum(y_true, n_classes - 1), y_prob


def scores_as_binary(scores, outcomes):
    """(y_true, y_prob) whose top-label confidence and correctness are the given.

    `scores` must be above 1/2: the second column is predicted, and the
    sample is right (label 1) where `outcomes` is 1.
    """
    return np.asarray(outcomes, dtype=int), np.column_stack([1 - scores, scores])


def brute_force_smooth_ece_at(scores, outcomes, weight, sigma, n_eval=2001):
    """The smooth ECE at width `sigma` from its definition, sample by sample.

    The kernel is the Gaussian density mirrored at 0 and at 1 and cut at
    |t - f| <= 1/2, as in the docstring; the integrals over [0, 1] are
    trapezoidal sums on `n_eval` points (no grid for the samples).
    """
    t = np.linspace(0, 1, n_eval)[:, None]
    kernel = 0
    for image in (scores, -scores, 2 - scores):
        distance = t - image
        kernel = kernel + np.where(
            np.abs(distance) <= 0.5, norm.pdf(distance, scale=sigma), 0
        )
    residual = np.abs(kernel @ (weight * (scores - outcomes)))
    density = kernel @ weight
    return trapezoid(residual, t[:, 0]) / trapezoid(density, t[:, 0])


def miscalibrated_scores(n_samples, shift, seed):
    """Confidences in (1/2, 1) and outcomes drawn with P(y=1 | f) = f - shift."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.5, 1, size=n_samples)
    outcomes = rng.uniform(size=n_samples) < np.clip(scores - shift, 0, 1)
    return scores, outcomes.astype(float)


# Binary and multiclass, calibrated and over-/under-confident.
SMOOTH_ECE_CASES = [
    (60, 2, 1.0, 0),
    (400, 2, 0.5, 1),
    (400, 3, 1.0, 2),
    (1000, 5, 2.0, 3),
    (3000, 10, 0.7, 4),
    (20000, 4, 1.0, 5),
]


@pytest.mark.parametrize("n_samples, n_classes, temperature, seed", SMOOTH_ECE_CASES)
def test_smooth_ece_equals_relplot(n_samples, n_classes, temperature, seed):
    relplot = pytest.importorskip(
        "relplot", reason="relplot (the reference smooth ECE) is not installed"
    )
    y_true, y_prob = synthetic_top_label(n_samples, n_classes, temperature, seed)
    scores, outcomes = relplot.multiclass_logits_to_confidences(
        y_prob, y_true, probs=True
    )
    expected = relplot.smECE(scores, outcomes)
    assert smooth_ece(y_true, y_prob) == pytest.approx(expected, abs=1e-3)
    if n_classes == 2:
        assert smooth_ece(y_true, y_prob[:, 1]) == pytest.approx(expected, abs=1e-3)


def test_smooth_ece_equals_relplot_on_raw_scores():
    relplot = pytest.importorskip(
        "relplot", reason="relplot (the reference smooth ECE) is not installed"
    )
    for shift in [-0.2, 0.0, 0.1, 0.3]:
        scores, outcomes = miscalibrated_scores(500, shift, seed=6)
        assert smooth_ece(*scores_as_binary(scores, outcomes)) == pytest.approx(
            relplot.smECE(scores, outcomes), abs=1e-3
        )
    assert smooth_ece(Y_TRUE, Y_PROB) == pytest.approx(
        relplot.smECE(*relplot.multiclass_logits_to_confidences(Y_PROB, Y_TRUE, True)),
        abs=1e-3,
    )


@pytest.mark.parametrize("shift, weighted", [(0.0, False), (0.15, True), (0.3, False)])
@pytest.mark.parametrize("sigma", [0.01, 0.03, 0.1, 0.3, 0.7])
def test_smooth_ece_at_width_equals_brute_force(shift, weighted, sigma):
    scores, outcomes = miscalibrated_scores(300, shift, seed=7)
    weight = np.random.default_rng(8).uniform(0.2, 3, 300) if weighted else np.ones(300)
    got = _smooth_ece_at(scores, scores - outcomes, weight * 300 / weight.sum(), sigma)
    expected = brute_force_smooth_ece_at(scores, outcomes, weight, sigma)
    assert got == pytest.approx(expected, abs=2e-3)


@pytest.mark.parametrize("shift, weighted", [(0.0, False), (0.15, True), (0.3, False)])
def test_smooth_ece_is_brute_force_at_its_fixed_point(shift, weighted):
    scores, outcomes = miscalibrated_scores(200, shift, seed=9)
    weight = np.random.default_rng(10).uniform(0.2, 3, 200) if weighted else None
    brute_weight = np.ones(200) if weight is None else weight
    sigma = brentq(
        lambda s: brute_force_smooth_ece_at(scores, outcomes, brute_weight, s) - s,
        1e-3,
        1,
        xtol=1e-6,
    )
    got = smooth_ece(*scores_as_binary(scores, outcomes), sample_weight=weight)
    # 10 bisection steps find the width to 2**-10; the value moves less.
    assert got == pytest.approx(sigma, abs=2e-3)


@pytest.mark.parametrize("confidence, accuracy", [(0.7, 0.55), (0.6, 0.9), (0.8, 0.8)])
def test_smooth_ece_of_constant_predictor_is_its_bias(confidence, accuracy):
    # The smoothed residual is confidence - accuracy everywhere.
    n_right = round(accuracy * 200)
    y_true = np.r_[np.ones(n_right, int), np.zeros(200 - n_right, int)]
    y_prob = np.full(200, confidence)
    assert smooth_ece(y_true, y_prob) == pytest.approx(
        abs(confidence - accuracy), abs=1e-4
    )


def test_smooth_ece_small_when_calibrated_and_grows_with_miscalibration():
    values = [
        smooth_ece(*scores_as_binary(*miscalibrated_scores(20000, shift, seed=11)))
        for shift in [0.0, 0.05, 0.1, 0.2, 0.3]
    ]
    assert values[0] < 0.01
    assert np.all(np.diff(values) > 0)
    # For a constant shift the mean absolute residual is the shift.
    assert values[1:] == pytest.approx([0.05, 0.1, 0.2, 0.3], abs=0.01)

    calibrated = smooth_ece(*synthetic_top_label(20000, 4, 1.0, seed=12))
    overconfident = smooth_ece(*synthetic_top_label(20000, 4, 0.5, seed=12))
    assert calibrated < 0.02 < 0.05 < overconfident


def test_smooth_ece_weights():
    y_true, y_prob = random_predictions(60, 3, seed=13)
    counts = np.random.default_rng(14).integers(0, 4, size=60)
    repeated = smooth_ece(np.repeat(y_true, counts), np.repeat(y_prob, counts, axis=0))
    weighted = smooth_ece(y_true, y_prob, sample_weight=counts)
    # Equal but for relplot's density floor, relative to the number of samples.
    assert weighted == pytest.approx(repeated, abs=1e-5)
    assert smooth_ece(y_true, y_prob, sample_weight=counts * 0.01) == pytest.approx(
        weighted, rel=1e-12
    )
    assert smooth_ece(y_true, y_prob, sample_weight=np.ones(60)) == smooth_ece(
        y_true, y_prob
    )


def test_smooth_ece_labels():
    y_true, y_prob = random_predictions(80, 3, seed=15)
    names = np.array(["cat", "dog", "eel"])
    expected = smooth_ece(y_true, y_prob)
    assert smooth_ece(names[y_true], y_prob) == pytest.approx(expected, rel=1e-12)
    order = [2, 0, 1]
    assert smooth_ece(y_true, y_prob[:, order], labels=order) == pytest.approx(
        expected, rel=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(data=predictions(), weighted=st.booleans())
def test_smooth_ece_invariants(data, weighted):
    y_true, y_prob, weights, permutation = data
    labels = np.arange(y_prob.shape[1])
    sample_weight = weights if weighted else None
    value = smooth_ece(y_true, y_prob, labels=labels, sample_weight=sample_weight)
    assert 0 <= value <= 1
    permuted = smooth_ece(
        y_true[permutation],
        y_prob[permutation],
        labels=labels,
        sample_weight=None if sample_weight is None else weights[permutation],
    )
    assert permuted == pytest.approx(value, rel=1e-9, abs=1e-12)
