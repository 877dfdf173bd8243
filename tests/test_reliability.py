# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reliability on numerical edge cases: skmerge stays finite, with
probabilities that are probabilities, whatever its members output (exact zeros
and ones, huge logits, float32, perfect or always-wrong members, one sample
per class, many classes), and fit_temperature finds the optimum of the log
loss or says that it stopped at a bound.

The properties every estimator configuration has (members never modified,
clone, search, chunking, threads, determinism, persistence) are in
``test_properties.py``; the bad-input matrix is in ``test_errors.py``.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if

from skmerge._soup import SoupClassifier
from skmerge._stacking import StackingMerger
from skmerge._temperature import (
    LOG_B_BOUNDS,
    TemperatureCalibratedClassifier,
    fit_temperature,
)

T_LOW, T_HIGH = float(np.exp(-LOG_B_BOUNDS[1])), float(np.exp(-LOG_B_BOUNDS[0]))


def _quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# Numerical edge cases ---------------------------------------------------------------


class TableClassifier(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier whose outputs are rows of a table: X holds the row
    indices. ``response`` says which method it has (the other one it lacks)."""

    def __init__(self, table=None, response="predict_proba"):
        self.table = table
        self.response = response

    def fit(self, X=None, y=None):
        self.table_ = np.asarray(self.table)
        self.classes_ = np.arange(self.table_.shape[1])
        self.n_features_in_ = 1
        return self

    def _rows(self, X):
        return np.asarray(X, dtype=np.intp).reshape(-1)

    @available_if(lambda self: self.response == "predict_proba")
    def predict_proba(self, X):
        return self.table_[self._rows(X)]

    @available_if(lambda self: self.response == "decision_function")
    def decision_function(self, X):
        return self.table_[self._rows(X)]

    def predict(self, X):
        return self.classes_[np.argmax(self.table_[self._rows(X)], axis=1)]


def _softmax64(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


KINDS = ("random", "perfect", "always-wrong", "uniform", "copy", "one-hot")


@st.composite
def problems(draw, responses=None):
    """Held-out rows X (row indices), labels y and 1-4 table members.

    Members: random logits, perfectly right or always wrong ones, constant
    rows, a copy of the previous member (members that agree perfectly), or
    exact one-hot probabilities; logits up to 1e4 (whose softmax has exact
    zeros and ones); float64 or float32 outputs. ``per_class=1`` is a single
    sample per class.
    """
    k = draw(st.sampled_from([2, 3, 5]))
    per_class = draw(st.integers(1, 4))
    n = k * per_class
    y = np.repeat(np.arange(k), per_class)
    y = y[np.asarray(draw(st.permutations(range(n))))]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    responses = responses or ["predict_proba", "decision_function"]
    tables, float32 = [], False
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(KINDS))
        scale = draw(st.sampled_from([1.0, 30.0, 1e4]))
        dtype = draw(st.sampled_from([np.float64, np.float32]))
        response = draw(st.sampled_from(responses))
        if kind == "copy" and tables:
            table = tables[-1][0]
            response = tables[-1][1]
        else:
            logits = np.zeros((n, k))
            if kind in ("random", "copy"):
                logits = rng.normal(size=(n, k)) * scale
            elif kind in ("perfect", "one-hot"):
                logits[np.arange(n), y] = scale
            elif kind == "always-wrong":
                logits[np.arange(n), (y + 1) % k] = scale
            if kind == "one-hot":
                table = (logits > 0).astype(dtype)
                response = "predict_proba"
            elif response == "predict_proba":
                table = _softmax64(logits).astype(dtype)
            else:
                table = logits.astype(dtype)
        float32 |= table.dtype == np.float32
        tables.append((table, response))
    members = [TableClassifier(t, r).fit() for t, r in tables]
    X = np.arange(n).reshape(-1, 1)
    return X, y, members, float32


def _check_proba(proba, n, k, float32=False):
    proba = np.asarray(proba)
    assert proba.shape == (n, k)
    assert np.isfinite(proba).all(), "non-finite probabilities"
    assert (proba >= 0).all() and (proba <= 1 + 1e-12).all()
    # float32 members give probabilities summing to 1 up to float32 rounding.
    tol = 1e-6 if float32 else 1e-12
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=tol)


def _check_rows_sum_to_one(values, tol=1e-12):
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=0, atol=tol)


EDGE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@EDGE
@given(
    st.sampled_from(["proba", "logit", "vote"]).flatmap(
        lambda combine: st.tuples(
            st.just(combine),
            problems(responses=["predict_proba"] if combine == "proba" else None),
        )
    ),
    st.sampled_from(["uniform", "greedy", "ensemble_selection", "optimized"]),
    st.sampled_from([None, "auto", 0.5]),
    st.sampled_from(["neg_log_loss", "accuracy", "roc_auc_ovr", "neg_brier_score"]),
)
def test_soup_stays_finite(combine_problem, recipe, temperature, scoring):
    combine, (X, y, members, float32) = combine_problem
    n, k = len(y), members[0].table_.shape[1]
    soup = SoupClassifier(
        members,
        combine=combine,
        recipe=recipe,
        temperature=temperature,
        scoring=scoring,
        n_iter=4,
    )
    _quietly(soup.fit, X, y)
    assert np.isfinite(soup.weights_).all()
    np.testing.assert_allclose(soup.weights_.sum(), 1.0)
    assert np.isfinite(soup.temperature_) and soup.temperature_ > 0
    proba = soup.predict_proba(X)
    # Pooled float32 probabilities sum to 1 to float32 precision (also with
    # temperature="auto", whose T may be exactly 1).
    _check_proba(proba, n, k, float32 and combine == "proba")
    log_proba = soup.predict_log_proba(X)
    assert not np.isnan(log_proba).any()
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-9, atol=1e-300)
    assert set(soup.predict(X)) <= set(soup.classes_)
    _check_rows_sum_to_one(soup.contributions(X))
    assert np.isfinite(soup.transform(X)).all()
    if combine == "logit":
        assert np.isfinite(soup.decision_function(X)).all()


@EDGE
@given(problems(), st.sampled_from(["auto", "predict_proba", "decision_function"]))
def test_stacking_stays_finite(problem, stack_method):
    X, y, members, _ = problem
    if stack_method != "auto":
        members = [m for m in members if hasattr(m, stack_method)]
        if not members:
            return
    n, k = len(y), members[0].table_.shape[1]
    stack = _quietly(StackingMerger(members, stack_method=stack_method).fit, X, y)
    _check_proba(stack.predict_proba(X), n, k)
    assert np.isfinite(stack.decision_function(X)).all()


@EDGE
@given(problems(), st.sampled_from(["auto", "predict_proba"]))
def test_temperature_calibration_stays_finite(problem, response):
    X, y, members, _ = problem
    member = members[0]
    if response == "predict_proba" and not hasattr(member, "predict_proba"):
        return
    n, k = len(y), member.table_.shape[1]
    calibrated = TemperatureCalibratedClassifier(member, response=response)
    _quietly(calibrated.fit, X, y)
    assert T_LOW <= calibrated.temperature_ <= T_HIGH
    assert np.isfinite([calibrated.log_loss_before_, calibrated.log_loss_after_]).all()
    # Float32 logits give float32 probabilities, summing to 1 to float32 precision.
    proba = calibrated.predict_proba(X)
    _check_proba(proba, n, k, float32=proba.dtype == np.float32)
    assert not np.isnan(calibrated.predict_log_proba(X)).any()
    np.testing.assert_array_equal(calibrated.predict(X), member.predict(X))


@pytest.mark.parametrize("combine", ["proba", "logit", "vote"])
@pytest.mark.parametrize("recipe", ["greedy", "ensemble_selection", "optimized"])
def test_soup_with_many_classes(combine, recipe):
    """120 classes, a single sample of each: a random, a perfect and an
    always-wrong member, with probabilities holding exact zeros."""
    k = 120
    y = np.random.default_rng(0).permutation(k)
    logits = np.random.default_rng(1).normal(size=(k, k)) * 30
    perfect = np.zeros((k, k))
    perfect[np.arange(k), y] = 1e4
    wrong = np.zeros((k, k))
    wrong[np.arange(k), (y + 1) % k] = 1e4
    members = [TableClassifier(_softmax64(z)).fit() for z in (logits, perfect, wrong)]
    X = np.arange(k).reshape(-1, 1)
    soup = SoupClassifier(
        members, combine=combine, recipe=recipe, temperature="auto", n_iter=5
    )
    _quietly(soup.fit, X, y)
    _check_proba(soup.predict_proba(X), k, k)
    _check_rows_sum_to_one(soup.contributions(X))
    if recipe != "optimized" or combine != "vote":
        # The perfect member alone is the best soup, and every recipe finds it
        # (vote shares of one-hot members give the optimiser flat directions).
        np.testing.assert_array_equal(soup.predict(X), y)


def test_stacking_and_temperature_with_many_classes():
    k = 120
    y = np.random.default_rng(0).permutation(k)
    z = np.random.default_rng(1).normal(size=(k, k)) * 1e3
    z[np.arange(k), y] += 10.0
    members = [
        TableClassifier(z, "decision_function").fit(),
        TableClassifier(_softmax64(z / 1e3).astype(np.float32)).fit(),
    ]
    X = np.arange(k).reshape(-1, 1)
    stack = _quietly(StackingMerger(members).fit, X, y)
    _check_proba(stack.predict_proba(X), k, k)
    for member in members:
        calibrated = _quietly(TemperatureCalibratedClassifier(member).fit, X, y)
        proba = calibrated.predict_proba(X)
        _check_proba(proba, k, k, float32=proba.dtype == np.float32)


# fit_temperature against a brute-force grid ---------------------------------------


def _nll(logits, y, temperature, w):
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))
    return -float(w @ log_p)


def _grid_optimum(logits, y, w):
    """Nested grids in log T, each around the previous best, from T in
    [1e-3, 1e3]."""
    best, half_width = 0.0, np.log(1e3)
    for points in (61, 61, 101, 41):
        grid = best + np.linspace(-half_width, half_width, points)
        best = grid[np.argmin([_nll(logits, y, np.exp(t), w) for t in grid])]
        half_width = 2 * half_width / (points - 1)
    return float(np.exp(best))


@st.composite
def logit_problems(draw):
    """Logits up to 1e4 (float64 or float32), 2 to 120 classes, labels drawn
    from the logits' own softmax at some temperature, or separable ones, or
    ones the logits rank no better than chance; optional sample weights."""
    k = draw(st.sampled_from([2, 3, 7, 120]))
    n = draw(st.integers(2, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0, 1e4]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    logits = rng.normal(size=(n, k)) * scale
    labels = draw(st.sampled_from(["sampled", "separable", "argmin", "ties"]))
    if labels == "sampled":
        p = _softmax64(logits / (scale * draw(st.sampled_from([0.3, 1.0, 3.0]))))
        y = np.array([rng.choice(k, p=row) for row in p])
    elif labels == "separable":
        y = np.argmax(logits, axis=1)
    elif labels == "argmin":
        y = np.argmin(logits, axis=1)
    else:  # some rows constant
        logits[: n // 2] = 0.0
        y = rng.integers(0, k, size=n)
    y[:2] = [0, 1]  # at least two classes
    if labels == "separable":
        logits[0, 0], logits[1, 1] = logits[0].max() + scale, logits[1].max() + scale
    weights = None
    if draw(st.booleans()):
        weights = rng.uniform(0.1, 3.0, size=n)
    return logits.astype(dtype), y, weights


@settings(max_examples=40, deadline=None)
@given(logit_problems())
def test_fit_temperature_is_at_the_grid_optimum_or_warns_at_its_bound(problem):
    logits, y, sample_weight = problem
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        temperature = fit_temperature(logits, y, sample_weight)
    at_bound = [w for w in caught if "ran to its" in str(w.message)]
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    w = w / w.sum()
    assert np.isfinite(temperature) and T_LOW <= temperature <= T_HIGH
    loss = _nll(logits, y, temperature, w)
    grid_t = _grid_optimum(logits, y, w)
    grid_loss = _nll(logits, y, grid_t, w)
    # Never worse than the grid's best (up to float64 rounding of the loss).
    assert loss <= grid_loss + 1e-9 * max(1.0, abs(grid_loss)), (temperature, grid_t)
    if at_bound:
        assert temperature in (pytest.approx(T_LOW), pytest.approx(T_HIGH))
    elif grid_t < 1e-3 * 1.5 or grid_t > 1e3 / 1.5:
        # The grid stopped at its own edge: the optimum is beyond it.
        pass
    else:
        # An interior optimum: the grid's resolution in log T is about 1e-4.
        assert abs(np.log(temperature) - np.log(grid_t)) < 1e-2 or (
            abs(loss - grid_loss) <= 1e-9 * max(1.0, abs(grid_loss))
        )
