# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reliability: skmerge never modifies the user's members, stays finite on
numerical edge cases, is thread-safe and deterministic, and predicts large
inputs in bounded memory.

The bad-input matrix is in ``test_errors.py``; the peak-memory figure at
1 000 000 rows is measured by ``benchmarks/bench_memory.py``.
"""

import pickle
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.metaestimators import available_if

try:
    from joblib import parallel_config
except ImportError:  # joblib < 1.3
    from joblib import parallel_backend as parallel_config

import skmerge._base as members_module
from skmerge._soup import SoupClassifier
from skmerge._stacking import StackingMerger
from skmerge._temperature import (
    LOG_B_BOUNDS,
    TemperatureCalibratedClassifier,
    fit_temperature,
)

T_LOW, T_HIGH = float(np.exp(-LOG_B_BOUNDS[1])), float(np.exp(-LOG_B_BOUNDS[0]))


# Data and members ---------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=360,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    return X[:160], y[:160], X[160:280], y[160:280], X[280:], y[280:]


def _quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def members(data):
    """Fitted members of every kind skmerge handles."""
    X, y = data[:2]
    scaler = StandardScaler().fit(X)

    def shared(C):
        return make_pipeline(scaler, LogisticRegression(C=C)).fit(X, y)

    return {
        "lr": [
            LogisticRegression(C=C, max_iter=500).fit(X, y) for C in (0.1, 1.0, 10.0)
        ],
        "mixed": [
            LogisticRegression(max_iter=500).fit(X, y),
            GaussianNB().fit(X, y),
            DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
        ],
        "svc": [LinearSVC(C=C).fit(X, y) for C in (0.1, 1.0)],
        "mlp": [
            _quietly(MLPClassifier((5,), max_iter=60, random_state=seed).fit, X, y)
            for seed in (0, 1)
        ],
        "pipe": [shared(0.1), shared(1.0)],
        "frozen": [
            FrozenEstimator(LogisticRegression(max_iter=500).fit(X, y)),
            FrozenEstimator(GaussianNB().fit(X, y)),
        ],
    }


# Every estimator and configuration: (id, build(members) -> estimator, grid of a
# GridSearchCV run over it).
CONFIGS = [
    (
        "soup-proba-uniform",
        lambda m: SoupClassifier(m["mixed"]),
        {"recipe": ["uniform", "greedy"]},
    ),
    (
        "soup-proba-greedy-T",
        lambda m: SoupClassifier(m["mixed"], recipe="greedy", temperature="auto"),
        {"temperature": [None, "auto"]},
    ),
    (
        "soup-proba-weights",
        lambda m: SoupClassifier(m["mixed"], weights=[2, 1, 0]),
        {"combine": ["proba", "vote"]},
    ),
    (
        "soup-logit-ensemble-selection",
        lambda m: SoupClassifier(
            m["mixed"] + m["svc"],
            combine="logit",
            recipe="ensemble_selection",
            n_iter=5,
        ),
        {"n_iter": [2, 5]},
    ),
    (
        "soup-vote-optimized",
        lambda m: SoupClassifier(m["mixed"], combine="vote", recipe="optimized"),
        {"scoring": ["accuracy", "neg_log_loss"]},
    ),
    (
        "soup-logit-optimized-T",
        lambda m: SoupClassifier(
            m["lr"], combine="logit", recipe="optimized", temperature="auto"
        ),
        {"recipe": ["optimized", "greedy"]},
    ),
    (
        "soup-params-linear",
        lambda m: SoupClassifier(m["lr"], combine="params", recipe="greedy"),
        {"recipe": ["uniform", "greedy"]},
    ),
    (
        "soup-params-svc-optimized",
        lambda m: SoupClassifier(m["svc"], combine="params", recipe="optimized"),
        {"temperature": [None, 2.0]},
    ),
    (
        "soup-params-mlp-aligned",
        lambda m: SoupClassifier(
            m["mlp"], combine="params", align="permutation", recipe="greedy"
        ),
        {"align": [None, "permutation"]},
    ),
    (
        "soup-params-pipelines",
        lambda m: SoupClassifier(m["pipe"], combine="params"),
        {"recipe": ["uniform", "optimized"]},
    ),
    (
        "soup-frozen",
        lambda m: SoupClassifier(m["frozen"], recipe="greedy"),
        {"combine": ["proba", "logit"]},
    ),
    (
        "soup-of-calibrated",
        lambda m: SoupClassifier(
            [TemperatureCalibratedClassifier(e).fit(*_HELD) for e in m["lr"]]
        ),
        {"recipe": ["uniform", "greedy"]},
    ),
    (
        "stacking-auto",
        lambda m: StackingMerger(m["mixed"], LogisticRegression()),
        {"final_estimator__C": [0.1, 1.0]},
    ),
    (
        "stacking-merged",
        lambda m: StackingMerger(
            m["lr"] + m["svc"], LogisticRegression(), stack_method="decision_function"
        ),
        {"final_estimator__C": [0.1, 1.0]},
    ),
    (
        "stacking-passthrough",
        lambda m: StackingMerger(m["mixed"], passthrough=True, stack_method="predict"),
        {"passthrough": [True, False]},
    ),
    (
        "stacking-merged-pipelines",
        lambda m: StackingMerger(
            m["pipe"],
            LogisticRegression(),
            stack_method="decision_function",
            merge=True,
        ),
        {"final_estimator__C": [0.1, 1.0]},
    ),
    (
        "temperature-auto",
        lambda m: TemperatureCalibratedClassifier(m["lr"][0]),
        {"temperature": ["auto", 0.5]},
    ),
    (
        "temperature-proba",
        lambda m: TemperatureCalibratedClassifier(
            m["mixed"][1], response="predict_proba"
        ),
        {"temperature": ["auto", 2.0]},
    ),
    (
        "temperature-mlp",
        lambda m: TemperatureCalibratedClassifier(m["mlp"][0]),
        {"temperature": ["auto", 2.0]},
    ),
    (
        "temperature-of-soup",
        lambda m: TemperatureCalibratedClassifier(
            _quietly(SoupClassifier(m["mixed"]).fit, *_HELD)
        ),
        {"temperature": ["auto", 2.0]},
    ),
]

# The held-out data the nested soup of "temperature-of-soup" is fitted on, set
# by the fixture below (CONFIGS are built lazily, inside the tests).
_HELD = []


@pytest.fixture(scope="module", autouse=True)
def _held(data):
    _HELD[:] = data[2:4]
    yield


def _leaves(est):
    """The user's fitted objects inside an estimator given to skmerge."""
    if isinstance(est, SoupClassifier | StackingMerger):
        return [e for e in est.estimators if not isinstance(e, str)]
    if isinstance(est, TemperatureCalibratedClassifier):
        return [est.estimator]
    return [est]


def _fingerprints(objects):
    return [pickle.dumps(obj) for obj in objects]


def _assert_unchanged(objects, before, what):
    after = _fingerprints(objects)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert not changed, f"{what} changed member(s) {changed}"


@pytest.mark.parametrize(
    "build, grid", [pytest.param(*row[1:], id=row[0]) for row in CONFIGS]
)
def test_members_are_never_modified(data, members, build, grid):
    X_train, y_train, X_held, y_held, X_test, y_test = data
    est = build(members)
    user_objects = _leaves(est)
    # What the user holds, and, one level down, what a nested skmerge
    # estimator holds (the soup inside "temperature-of-soup").
    for obj in list(user_objects):
        user_objects.extend(
            e for e in _leaves(obj) if e is not obj and not isinstance(e, str)
        )
    before = _fingerprints(user_objects)

    _quietly(est.fit, X_held, y_held)
    _assert_unchanged(user_objects, before, "fit")
    if not isinstance(est, TemperatureCalibratedClassifier):
        # prefit=True: the user's fitted objects themselves, not copies.
        assert all(a is b for a, b in zip(est.estimators_, est.estimators, strict=True))
    else:
        assert est.estimator_ is est.estimator
    calls = [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "contributions",
    ]
    for name in calls:
        if hasattr(est, name):
            _quietly(getattr(est, name), X_test)
            _assert_unchanged(user_objects, before, name)
    est.score(X_test, y_test)
    _assert_unchanged(user_objects, before, "score")

    cloned = clone(est)
    _assert_unchanged(user_objects, before, "clone")
    _quietly(cloned.fit, X_held, y_held).predict_proba(X_test)
    _assert_unchanged(user_objects, before, "fit of a clone")

    search = GridSearchCV(clone(est), grid, cv=2, error_score="raise")
    _quietly(search.fit, X_held, y_held)
    search.predict_proba(X_test)
    _assert_unchanged(user_objects, before, "GridSearchCV")


PREFIT_FALSE = [
    (
        "soup",
        lambda: SoupClassifier(
            [
                LogisticRegression(),
                GaussianNB(),
                DecisionTreeClassifier(random_state=0),
            ],
            prefit=False,
            cv=3,
            recipe="greedy",
            temperature="auto",
            random_state=0,
        ),
    ),
    (
        "soup-params-mlp",
        lambda: SoupClassifier(
            [MLPClassifier((4,), max_iter=30, random_state=s) for s in (0, 1)],
            combine="params",
            align="permutation",
            prefit=False,
            cv=2,
            random_state=0,
        ),
    ),
    (
        "stacking",
        lambda: StackingMerger(
            [LogisticRegression(), GaussianNB()], prefit=False, cv=3
        ),
    ),
    (
        "stacking-merged",
        lambda: StackingMerger(
            [LogisticRegression(), LinearSVC()],
            stack_method="decision_function",
            prefit=False,
            cv=3,
        ),
    ),
    (
        "temperature",
        lambda: TemperatureCalibratedClassifier(
            LogisticRegression(), prefit=False, cv=3
        ),
    ),
]


@pytest.mark.parametrize("build", [pytest.param(b, id=i) for i, b in PREFIT_FALSE])
def test_prefit_false_never_touches_the_given_objects(data, build):
    X_train, y_train, _, _, X_test, y_test = data
    est = build()
    given = _leaves(est)
    before = _fingerprints(given)
    _quietly(est.fit, X_train, y_train)
    est.predict_proba(X_test)
    est.score(X_test, y_test)
    _quietly(clone(est).fit, X_train, y_train)
    grid = {"n_jobs": [None, 1]}
    _quietly(GridSearchCV(est, grid, cv=2, error_score="raise").fit, X_train, y_train)
    _assert_unchanged(given, before, "prefit=False")
    for obj in given:  # still unfitted
        assert not [k for k in vars(obj) if k.endswith("_") and not k.startswith("_")]
    fitted = est.estimators_ if hasattr(est, "estimators_") else [est.estimator_]
    assert not any(f is g for f in fitted for g in given)


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


# Concurrency ------------------------------------------------------------------------


THREADED = [
    ("soup-proba", lambda m: SoupClassifier(m["mixed"], recipe="greedy")),
    (
        "soup-logit-T",
        lambda m: SoupClassifier(
            m["mixed"] + m["svc"], combine="logit", temperature="auto"
        ),
    ),
    (
        "soup-params-mlp",
        lambda m: SoupClassifier(m["mlp"], combine="params", align="permutation"),
    ),
    ("soup-n-jobs", lambda m: SoupClassifier(m["mixed"], n_jobs=2)),
    ("stacking", lambda m: StackingMerger(m["mixed"])),
    (
        "stacking-merged",
        lambda m: StackingMerger(m["lr"], stack_method="decision_function"),
    ),
    ("temperature", lambda m: TemperatureCalibratedClassifier(m["lr"][0])),
]


@pytest.mark.parametrize("build", [pytest.param(b, id=i) for i, b in THREADED])
def test_predict_proba_from_several_threads(data, members, build, monkeypatch):
    _, _, X_held, y_held, X_test, _ = data
    est = _quietly(build(members).fit, X_held, y_held)
    # Small chunks, so that the threads interleave inside chunked prediction.
    monkeypatch.setattr(members_module, "CHUNK_SIZE", 16)
    inputs = [X_test[i::3] for i in range(3)] * 4
    expected = [est.predict_proba(X) for X in inputs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(est.predict_proba, inputs))
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "build",
    [pytest.param(b, id=i) for i, b in THREADED if i.startswith(("soup", "stacking"))],
)
def test_chunked_prediction_equals_unchunked(data, members, build, monkeypatch):
    _, _, X_held, y_held, X_test, _ = data
    est = _quietly(build(members).fit, X_held, y_held)
    methods = [
        m
        for m in (
            "predict",
            "predict_proba",
            "predict_log_proba",
            "decision_function",
            "transform",
            "contributions",
        )
        if hasattr(est, m)
    ]
    whole = {m: getattr(est, m)(X_test) for m in methods}
    monkeypatch.setattr(members_module, "CHUNK_SIZE", 7)
    for m in methods:
        np.testing.assert_allclose(
            getattr(est, m)(X_test), whole[m], rtol=1e-12, atol=1e-15, err_msg=m
        )


# Memory ---------------------------------------------------------------------------


def _peak_extra(func, X):
    """Peak memory allocated during ``func(X)`` beyond what it returns."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = func(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - np.asarray(out).nbytes


@pytest.mark.parametrize(
    "case",
    [
        "predict_proba",
        "predict",
        "contributions",
        "transform",
        "stacking",
        "stacking-merged",
        "temperature",
    ],
)
def test_prediction_memory_is_bounded_by_the_chunk(monkeypatch, case):
    """On 16 chunks of rows, the memory beyond the result is a few chunks'
    worth of the members' outputs (measured: 2 to 3.5), not all of them (16):
    it does not grow with the number of rows. (The 1 000 000-row figure is
    benchmarks/bench_memory.py's.)"""
    chunk, n_chunks, n_members, k = 2048, 16, 10, 3
    n = chunk * n_chunks
    rng = np.random.default_rng(0)
    X_fit = rng.normal(size=(300, 4))
    y_fit = rng.integers(0, k, size=300)
    members = [
        LogisticRegression(C=10.0 ** (j % 4 - 2)).fit(X_fit, y_fit)
        for j in range(n_members)
    ]
    method = "predict_proba"
    if case == "stacking":
        est = StackingMerger(members).fit(X_fit, y_fit)
    elif case == "stacking-merged":
        # One linear model predicts: the budget is one member's.
        est = StackingMerger(members, stack_method="decision_function")
        est, n_members = est.fit(X_fit, y_fit), 1
        assert est.merged_estimator_ is not None
    elif case == "temperature":
        est = TemperatureCalibratedClassifier(members[0]).fit(X_fit, y_fit)
        n_members = 1
    else:
        est, method = SoupClassifier(members).fit(X_fit, y_fit), case
    X = rng.normal(size=(n, 4))
    monkeypatch.setattr(members_module, "CHUNK_SIZE", chunk)
    func = getattr(est, method)
    func(X[:10])  # warm up caches outside the measurement
    extra = _peak_extra(func, X)
    budget = n_members * chunk * k * 8  # the members' outputs for one chunk
    all_outputs = n_members * n * k * 8
    limit = 3 if method == "predict" else 5  # predict keeps labels only
    assert extra < limit * budget, (
        f"{case}: {extra / budget:.1f} chunk budgets of extra memory "
        f"(all members' outputs would be {all_outputs / budget:.0f})"
    )


# Determinism -------------------------------------------------------------------------


def _soup_prefit_false(random_state, n_jobs):
    return SoupClassifier(
        [
            LogisticRegression(),
            GaussianNB(),
            DecisionTreeClassifier(max_depth=3, random_state=0),
        ],
        prefit=False,
        cv=3,
        recipe="optimized",
        temperature="auto",
        random_state=random_state,
        n_jobs=n_jobs,
    )


def _summary(est, X):
    out = {"proba": est.predict_proba(X), "predict": est.predict(X)}
    for attr in ("weights_", "temperature_", "member_scores_"):
        if hasattr(est, attr):
            out[attr] = np.asarray(getattr(est, attr))
    if hasattr(est, "final_estimator_"):
        out["coef"] = est.final_estimator_.coef_
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


DETERMINISTIC = [
    # (id, build(members, n_jobs), fitted on the training data (prefit=False))
    ("soup-prefit-false", lambda m, n_jobs: _soup_prefit_false(0, n_jobs), True),
    (
        "soup-params-mlp-prefit-false",
        lambda m, n_jobs: SoupClassifier(
            [
                MLPClassifier((4,), solver="lbfgs", max_iter=40, random_state=s)
                for s in (0, 1)
            ],
            combine="params",
            align="permutation",
            recipe="greedy",
            prefit=False,
            cv=2,
            random_state=0,
            n_jobs=n_jobs,
        ),
        True,
    ),
    (
        "stacking-prefit-false",
        lambda m, n_jobs: StackingMerger(
            [LogisticRegression(), GaussianNB()], prefit=False, cv=3, n_jobs=n_jobs
        ),
        True,
    ),
    (
        "temperature-prefit-false",
        lambda m, n_jobs: TemperatureCalibratedClassifier(
            LogisticRegression(), prefit=False, cv=3, n_jobs=n_jobs
        ),
        True,
    ),
    (
        "soup-prefit-optimized",
        lambda m, n_jobs: SoupClassifier(
            m["mixed"] + m["lr"],
            combine="logit",
            recipe="optimized",
            temperature="auto",
            n_jobs=n_jobs,
        ),
        False,
    ),
]


@pytest.mark.parametrize(
    "build, prefit_false",
    [pytest.param(b, p, id=i) for i, b, p in DETERMINISTIC],
)
def test_same_random_state_same_results_whatever_n_jobs(
    data, members, build, prefit_false
):
    X_train, y_train, X_held, y_held, X_test, _ = data
    X, y = (X_train, y_train) if prefit_false else (X_held, y_held)

    def run(n_jobs):
        return _summary(_quietly(build(members, n_jobs).fit, X, y), X_test)

    first = run(None)
    _assert_same(first, run(None))
    # Threads for the members (their predictions and, in this backend, fits).
    with parallel_config(backend="threading"):
        _assert_same(first, run(2))


def test_n_jobs_with_processes_gives_the_same_soup(data):
    X_train, y_train, _, _, X_test, _ = data
    first = _summary(
        _quietly(_soup_prefit_false(0, None).fit, X_train, y_train), X_test
    )
    _assert_same(
        first,
        _summary(_quietly(_soup_prefit_false(0, 2).fit, X_train, y_train), X_test),
    )


def test_folds_come_from_cv_alone(data):
    """One cv policy, as in scikit-learn's meta-estimators: an integer cv is
    an unshuffled StratifiedKFold, so fits are identical whatever
    random_state (None included); a shuffling splitter's seed decides."""
    X_train, y_train, _, _, _, _ = data
    scores = [
        _quietly(_soup_prefit_false(seed, None).fit, X_train, y_train).member_scores_
        for seed in (None, None, 1)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])
    np.testing.assert_array_equal(scores[0], scores[2])
    shuffled = [
        _quietly(
            _soup_prefit_false(0, None)
            .set_params(cv=StratifiedKFold(3, shuffle=True, random_state=seed))
            .fit,
            X_train,
            y_train,
        ).member_scores_
        for seed in (0, 1)
    ]
    assert not np.array_equal(shuffled[0], shuffled[1])
