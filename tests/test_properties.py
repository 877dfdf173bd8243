# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Properties every skmerge estimator has, each tested once, over every
configuration it applies to.

- The user's members are never modified: not by fit, the predictions,
  ``transform``, ``score``, ``clone`` nor a search (their pickled bytes stay
  the same); ``prefit=False`` never fits nor changes the objects it is given.
- ``clone`` keeps the very same fitted members when ``prefit=True``, and clones
  them when ``prefit=False``.
- A search (``GridSearchCV``, ``cross_validate``) over a prefit estimator's own
  parameters never fits a member, nor a copy of one, and scores as a loop by
  hand.
- Chunked prediction equals unchunked prediction, in memory bounded by the
  chunk; prediction from several threads at once gives the same results.
- Determinism: the same fit twice, with any ``n_jobs`` and joblib backend,
  gives identical results.
- Persistence (pickle, joblib, skops) round trips.

The configurations: ``CONFIGS`` (prefit members; each with a grid over the
estimator's own parameters) and ``PREFIT_FALSE`` (members fitted by the
estimator). The peak-memory figure at 1 000 000 rows is measured by
``benchmarks/bench_memory.py``.
"""

import io
import pickle
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, clone, is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    StratifiedKFold,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

try:
    from joblib import parallel_config
except ImportError:  # joblib < 1.3
    from joblib import parallel_backend as parallel_config

import skmerge._base as base_module
from skmerge._calibration import CalibratedClassifier
from skmerge._soup import SoupClassifier, SoupRegressor
from skmerge._stacking import StackingMerger, StackingMergerRegressor
from skmerge._temperature import TemperatureCalibratedClassifier

# Data and members ---------------------------------------------------------------


def _split(n_classes):
    X, y = make_classification(
        n_samples=360,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    return X[:160], y[:160], X[160:280], y[160:280], X[280:], y[280:]


def _regression_split():
    X, y = make_regression(
        n_samples=360, n_features=6, n_informative=4, noise=20.0, random_state=0
    )
    return X[:160], y[:160], X[160:280], y[160:280], X[280:], y[280:]


@pytest.fixture(scope="module")
def data():
    """(X_train, y_train, X_held, y_held, X_test, y_test), three-class,
    binary and regression: members train on `train`, skmerge fits on
    `held`."""
    return {
        "multiclass": _split(3),
        "binary": _split(2),
        "regression": _regression_split(),
    }


def _quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _members(X, y, X_held, y_held):
    """Fitted members of every kind skmerge handles, and the held-out data
    (for the nested configurations, whose inner estimator is fitted)."""
    scaler = StandardScaler().fit(X)

    def shared(C):
        return make_pipeline(scaler, LogisticRegression(C=C)).fit(X, y)

    return {
        "held": (X_held, y_held),
        "lr": [
            LogisticRegression(C=C, max_iter=500).fit(X, y) for C in (0.1, 1.0, 10.0)
        ],
        "mixed": [
            LogisticRegression(max_iter=500).fit(X, y),
            GaussianNB().fit(X, y),
            DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
        ],
        "svc": [LinearSVC(C=C).fit(X, y) for C in (0.1, 1.0)],
        "ridge": RidgeClassifier(alpha=3.0).fit(X, y),
        "mlp": [
            _quietly(MLPClassifier((5,), max_iter=60, random_state=seed).fit, X, y)
            for seed in (0, 1)
        ],
        "pipe": [shared(0.1), shared(1.0)],
        "frozen": [
            FrozenEstimator(LogisticRegression(max_iter=500).fit(X, y)),
            FrozenEstimator(GaussianNB().fit(X, y)),
        ],
        # Nearest neighbours, alone and in a pipeline: their predictions
        # count queries in their KD-tree (see _fingerprint).
        "knn": [
            ("lr", LogisticRegression(C=0.5).fit(X, y)),
            ("nb", GaussianNB().fit(X, y)),
            ("knn", KNeighborsClassifier(10).fit(X, y)),
        ],
        "knn-pipe": [
            make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(X, y),
            make_pipeline(MinMaxScaler(), KNeighborsClassifier(8)).fit(X, y),
        ],
    }


def _regression_members(X, y, X_held, y_held):
    """Fitted regressors of every kind skmerge handles."""
    scaler = StandardScaler().fit(X)
    return {
        "held": (X_held, y_held),
        "ridge": [Ridge(alpha=alpha).fit(X, y) for alpha in (0.1, 10.0, 100.0)],
        "mixed": [
            Ridge(alpha=1.0).fit(X, y),
            DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y),
            KNeighborsRegressor(10).fit(X, y),
        ],
        "ttr": TransformedTargetRegressor(
            KNeighborsRegressor(5), transformer=StandardScaler()
        ).fit(X, y),
        "mlp": [
            _quietly(
                MLPRegressor(
                    hidden_layer_sizes=(5,), max_iter=100, random_state=seed
                ).fit,
                X,
                y,
            )
            for seed in (0, 1)
        ],
        "pipe": [make_pipeline(scaler, Ridge(alpha=a)).fit(X, y) for a in (0.1, 30.0)],
    }


@pytest.fixture(scope="module")
def members(data):
    return {
        task: (_regression_members if task == "regression" else _members)(*split[:4])
        for task, split in data.items()
    }


class Case(NamedTuple):
    """A prefit configuration: ``build(members)`` gives the unfitted
    estimator, ``grid`` is a search over its own parameters, ``merged`` says
    whether the fitted estimator predicts through one merged model (``None``:
    no such attribute)."""

    build: object
    grid: dict
    binary: bool = False
    merged: bool | None = None
    regression: bool = False


def _fitted(m, est):
    return _quietly(est.fit, *m["held"])


CONFIGS = {
    # SoupClassifier: every combine and recipe ----------------------------------
    "soup-proba-uniform": Case(
        lambda m: SoupClassifier(m["mixed"]),
        {"recipe": ["uniform", "greedy"]},
    ),
    "soup-proba-greedy-T": Case(
        lambda m: SoupClassifier(m["mixed"], recipe="greedy", temperature="auto"),
        {"temperature": [None, "auto"]},
    ),
    "soup-proba-weights": Case(
        lambda m: SoupClassifier(m["mixed"], weights=[2, 1, 0]),
        {"combine": ["proba", "vote"]},
    ),
    "soup-logit-ensemble-selection": Case(
        lambda m: SoupClassifier(
            m["mixed"] + m["svc"],
            combine="logit",
            recipe="ensemble_selection",
            n_iter=5,
        ),
        {"n_iter": [2, 5]},
    ),
    "soup-logit-fixed-T": Case(
        lambda m: SoupClassifier(m["mixed"], combine="logit", temperature=1.5),
        {"temperature": [1.5, 3.0]},
    ),
    "soup-vote-optimized": Case(
        lambda m: SoupClassifier(m["mixed"], combine="vote", recipe="optimized"),
        {"scoring": ["accuracy", "neg_log_loss"]},
    ),
    "soup-logit-optimized-T": Case(
        lambda m: SoupClassifier(
            m["mixed"] + m["lr"],
            combine="logit",
            recipe="optimized",
            temperature="auto",
        ),
        {"recipe": ["optimized", "greedy"]},
    ),
    "soup-params-linear": Case(
        lambda m: SoupClassifier(m["lr"], combine="params", recipe="greedy"),
        # Every combine and every recipe in one search.
        {
            "recipe": ["uniform", "greedy", "ensemble_selection", "optimized"],
            "combine": ["proba", "logit", "vote", "params"],
        },
        merged=True,
    ),
    "soup-params-optimized-T": Case(
        lambda m: SoupClassifier(
            m["lr"], combine="params", recipe="optimized", temperature="auto"
        ),
        {"temperature": [None, "auto"]},
        merged=True,
    ),
    "soup-params-single-member": Case(
        lambda m: SoupClassifier(m["lr"][:1], combine="params", recipe="optimized"),
        {"recipe": ["optimized", "greedy"]},
        merged=True,
    ),
    "soup-params-svc-optimized": Case(
        lambda m: SoupClassifier(m["svc"], combine="params", recipe="optimized"),
        {"temperature": [None, 2.0]},
        merged=True,
    ),
    "soup-params-mlp-aligned": Case(
        lambda m: SoupClassifier(
            m["mlp"], combine="params", align="permutation", recipe="greedy"
        ),
        {"align": [None, "permutation"]},
        merged=True,
    ),
    "soup-params-pipelines": Case(
        lambda m: SoupClassifier(m["pipe"], combine="params"),
        {"recipe": ["uniform", "optimized"]},
        merged=True,
    ),
    "soup-frozen": Case(
        lambda m: SoupClassifier(m["frozen"], recipe="greedy"),
        {"combine": ["proba", "logit"]},
    ),
    "soup-knn": Case(
        lambda m: SoupClassifier(m["knn"], recipe="greedy", temperature="auto"),
        {
            "recipe": ["uniform", "greedy", "optimized"],
            "combine": ["proba", "logit", "vote"],
        },
    ),
    "soup-knn-pipelines": Case(
        lambda m: SoupClassifier(m["knn-pipe"]),
        {"recipe": ["uniform", "optimized"]},
    ),
    "soup-n-jobs": Case(
        lambda m: SoupClassifier(m["mixed"], n_jobs=2),
        {"recipe": ["uniform", "greedy"]},
    ),
    # SoupRegressor: every combine and recipe ------------------------------------
    "soup-reg-mean": Case(
        lambda m: SoupRegressor(m["mixed"]),
        {"recipe": ["uniform", "greedy"]},
        regression=True,
    ),
    "soup-reg-median-selection": Case(
        lambda m: SoupRegressor(
            m["mixed"], combine="median", recipe="ensemble_selection", n_iter=5
        ),
        {"combine": ["mean", "median"]},
        regression=True,
    ),
    "soup-reg-optimized": Case(
        lambda m: SoupRegressor(m["mixed"] + [m["ttr"]], recipe="optimized"),
        {"scoring": ["neg_root_mean_squared_error", "neg_mean_absolute_error"]},
        regression=True,
    ),
    "soup-reg-params-linear": Case(
        lambda m: SoupRegressor(m["ridge"], combine="params", recipe="greedy"),
        {
            "recipe": ["uniform", "greedy", "ensemble_selection", "optimized"],
            "combine": ["mean", "median", "params"],
        },
        merged=True,
        regression=True,
    ),
    "soup-reg-params-mlp": Case(
        lambda m: SoupRegressor(
            m["mlp"], combine="params", align="permutation", recipe="greedy"
        ),
        {"align": [None, "permutation"]},
        merged=True,
        regression=True,
    ),
    "soup-reg-params-pipelines": Case(
        lambda m: SoupRegressor(m["pipe"], combine="params", recipe="optimized"),
        {"recipe": ["uniform", "optimized"]},
        merged=True,
        regression=True,
    ),
    # StackingMergerRegressor ----------------------------------------------------
    "stacking-reg": Case(
        lambda m: StackingMergerRegressor(m["mixed"] + [m["ttr"]]),
        {"final_estimator__alphas": [[0.1, 1.0], [10.0, 100.0]]},
        merged=False,
        regression=True,
    ),
    "stacking-reg-passthrough": Case(
        lambda m: StackingMergerRegressor(
            m["mixed"], Ridge(alpha=0.3), passthrough=True
        ),
        # (Final estimators of other parameters than the members': see
        # _record_fits.)
        {"final_estimator__alpha": [0.3, 3.0], "passthrough": [True, False]},
        merged=False,
        regression=True,
    ),
    "stacking-reg-merged": Case(
        lambda m: StackingMergerRegressor(m["ridge"], Ridge(alpha=0.3)),
        {"final_estimator__alpha": [0.3, 3.0]},
        merged=True,
        regression=True,
    ),
    "stacking-reg-merged-pipelines": Case(
        lambda m: StackingMergerRegressor(m["pipe"], merge=True),
        {"passthrough": [False]},
        merged=True,
        regression=True,
    ),
    # StackingMerger -------------------------------------------------------------
    "stacking-auto": Case(
        lambda m: StackingMerger(m["mixed"], LogisticRegression(C=2.0)),
        {"final_estimator__C": [0.1, 2.0]},
        merged=False,
    ),
    "stacking-binary": Case(
        lambda m: StackingMerger(
            [("lr", m["lr"][0]), ("tree", m["mixed"][2]), ("svc", m["svc"][0])],
            LogisticRegression(),
        ),
        {"final_estimator__C": [0.01, 0.1, 1.0, 10.0]},
        binary=True,
        merged=False,
    ),
    "stacking-log-proba": Case(
        lambda m: StackingMerger(m["mixed"], stack_method="predict_log_proba"),
        {"final_estimator__C": [0.1, 10.0]},
        merged=False,
    ),
    "stacking-passthrough": Case(
        # The default final estimator (None), tuned all the same.
        lambda m: StackingMerger(m["mixed"], passthrough=True, stack_method="predict"),
        {"final_estimator__C": [0.01, 1.0], "passthrough": [True, False]},
        merged=False,
    ),
    "stacking-merged": Case(
        lambda m: StackingMerger(
            m["lr"] + m["svc"], LogisticRegression(), stack_method="decision_function"
        ),
        {"final_estimator__C": [0.1, 1.0]},
        merged=True,
    ),
    "stacking-binary-merged": Case(
        lambda m: StackingMerger(
            [("lr", m["lr"][1]), ("svc", m["svc"][0]), ("ridge", m["ridge"])],
            stack_method="decision_function",
        ),
        {"passthrough": [False, True]},
        binary=True,
        merged=True,
    ),
    "stacking-unmerged": Case(
        lambda m: StackingMerger(
            [("lr", m["lr"][1]), ("svc", m["svc"][0]), ("ridge", m["ridge"])],
            stack_method="decision_function",
            merge=False,
        ),
        # A grid of estimator objects.
        {"final_estimator": [LogisticRegression(C=1.0), LogisticRegression(C=2.0)]},
        merged=False,
    ),
    "stacking-merged-pipelines": Case(
        lambda m: StackingMerger(
            m["pipe"],
            LogisticRegression(),
            stack_method="decision_function",
            merge=True,
        ),
        {"final_estimator__C": [0.1, 1.0]},
        merged=True,
    ),
    "stacking-knn": Case(
        lambda m: StackingMerger(m["knn"], LogisticRegression()),
        {"final_estimator__C": [0.01, 1.0], "passthrough": [False, True]},
        merged=False,
    ),
    "stacking-knn-pipelines": Case(
        lambda m: StackingMerger(m["knn-pipe"], LogisticRegression()),
        {"final_estimator__C": [0.1, 1.0]},
        merged=False,
    ),
    # TemperatureCalibratedClassifier --------------------------------------------
    "temperature-auto": Case(
        lambda m: TemperatureCalibratedClassifier(m["lr"][0]),
        {"temperature": ["auto", 0.5]},
    ),
    "temperature-proba": Case(
        lambda m: TemperatureCalibratedClassifier(
            m["mixed"][1], response="predict_proba"
        ),
        {"temperature": ["auto", 2.0]},
    ),
    "temperature-svc-fixed": Case(
        lambda m: TemperatureCalibratedClassifier(m["svc"][1], temperature=3.0),
        {"temperature": [0.5, 1, 2, 4, "auto"]},
    ),
    "temperature-pipeline": Case(
        lambda m: TemperatureCalibratedClassifier(m["knn-pipe"][0]),
        {"temperature": ["auto", 2.0]},
    ),
    "temperature-mlp": Case(
        lambda m: TemperatureCalibratedClassifier(m["mlp"][0]),
        {"temperature": ["auto", 2.0]},
    ),
    "calibrated-auto": Case(
        lambda m: CalibratedClassifier(m["lr"][0], random_state=0),
        {"method": ["auto", "temperature", "vector", "matrix", "ets"]},
    ),
    "calibrated-matrix-svc": Case(
        lambda m: CalibratedClassifier(m["svc"][1], method="matrix"),
        {"method": ["matrix", "vector"]},
    ),
    "calibrated-ets-binary": Case(
        lambda m: CalibratedClassifier(m["lr"][0], method="ets"),
        {"method": ["ets", "temperature"]},
        binary=True,
    ),
    # Nesting ----------------------------------------------------------------------
    "calibrated-of-stack": Case(
        lambda m: CalibratedClassifier(
            _fitted(m, StackingMerger(m["mixed"])), method="vector"
        ),
        {"method": ["vector", "temperature"]},
    ),
    "soup-of-calibrated": Case(
        lambda m: SoupClassifier(
            [_fitted(m, TemperatureCalibratedClassifier(e)) for e in m["lr"]]
        ),
        {"recipe": ["uniform", "greedy"]},
    ),
    "temperature-of-soup": Case(
        lambda m: TemperatureCalibratedClassifier(
            _fitted(m, SoupClassifier(m["mixed"]))
        ),
        {"temperature": ["auto", 2.0]},
    ),
    "stacking-of-soups": Case(
        lambda m: StackingMerger(
            [
                ("uniform", _fitted(m, SoupClassifier(m["knn"]))),
                ("vote", _fitted(m, SoupClassifier(m["knn"], combine="vote"))),
            ],
            LogisticRegression(),
        ),
        {"final_estimator__C": [0.1, 1.0]},
        merged=False,
    ),
}


def _soup_prefit_false(random_state=0):
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
    )


# Configurations that fit their members (on the training data).
PREFIT_FALSE = {
    "soup-greedy": lambda: SoupClassifier(
        [LogisticRegression(), GaussianNB(), DecisionTreeClassifier(random_state=0)],
        prefit=False,
        cv=3,
        recipe="greedy",
        temperature="auto",
        random_state=0,
    ),
    "soup-optimized": _soup_prefit_false,
    "soup-params-mlp": lambda: SoupClassifier(
        [MLPClassifier((4,), max_iter=30, random_state=s) for s in (0, 1)],
        combine="params",
        align="permutation",
        recipe="greedy",
        prefit=False,
        cv=2,
        random_state=0,
    ),
    "stacking": lambda: StackingMerger(
        [LogisticRegression(), GaussianNB()], prefit=False, cv=3
    ),
    "stacking-merged": lambda: StackingMerger(
        [LogisticRegression(), LinearSVC()],
        stack_method="decision_function",
        prefit=False,
        cv=3,
    ),
    "soup-reg-optimized": lambda: SoupRegressor(
        [
            Ridge(),
            DecisionTreeRegressor(max_depth=3, random_state=0),
            KNeighborsRegressor(),
        ],
        prefit=False,
        cv=3,
        recipe="optimized",
        random_state=0,
    ),
    "soup-reg-params-mlp": lambda: SoupRegressor(
        [
            MLPRegressor(hidden_layer_sizes=(4,), max_iter=30, random_state=s)
            for s in (0, 1)
        ],
        combine="params",
        align="permutation",
        recipe="greedy",
        prefit=False,
        cv=2,
        random_state=0,
    ),
    "stacking-reg": lambda: StackingMergerRegressor(
        [Ridge(), DecisionTreeRegressor(max_depth=3, random_state=0)],
        prefit=False,
        cv=3,
    ),
    "temperature": lambda: TemperatureCalibratedClassifier(
        LogisticRegression(), prefit=False, cv=3
    ),
    "calibrated": lambda: CalibratedClassifier(
        LogisticRegression(), prefit=False, cv=3, random_state=0
    ),
}

ALL = [("prefit", name) for name in CONFIGS] + [
    ("prefit=False", name) for name in PREFIT_FALSE
]


def _setup(kind, name, data, members):
    """The unfitted estimator of a configuration, and the data to fit it on and
    to predict: (est, X_fit, y_fit, X_test, y_test)."""
    if kind == "prefit=False":
        est = PREFIT_FALSE[name]()
        task = "regression" if is_regressor(est) else "multiclass"
        X_train, y_train, _, _, X_test, y_test = data[task]
        return est, X_train, y_train, X_test, y_test
    case = CONFIGS[name]
    task = (
        "regression" if case.regression else "binary" if case.binary else "multiclass"
    )
    _, _, X_held, y_held, X_test, y_test = data[task]
    return CONFIGS[name].build(members[task]), X_held, y_held, X_test, y_test


def _param(table):
    return [pytest.param(name, id=name) for name in table]


ALL_PARAMS = [
    pytest.param(kind, name, id=name if kind == "prefit" else f"{name}-prefit-false")
    for kind, name in ALL
]


# What the user holds ----------------------------------------------------------


def _given(est):
    """The objects given to a skmerge estimator as its members."""
    if isinstance(
        est, SoupClassifier | SoupRegressor | StackingMerger | StackingMergerRegressor
    ):
        listed = [e[1] if isinstance(e, tuple) else e for e in est.estimators]
        return [e for e in listed if not isinstance(e, str)]
    if isinstance(est, TemperatureCalibratedClassifier | CalibratedClassifier):
        return [est.estimator]
    return []


def _user_objects(est):
    """The user's members, and, one level down, what a nested skmerge
    estimator among them holds (the soups of "temperature-of-soup")."""
    objects = _given(est)
    return objects + [inner for obj in objects for inner in _given(obj)]


def _fitted_members(est):
    if isinstance(est, TemperatureCalibratedClassifier | CalibratedClassifier):
        return [est.estimator_]
    return list(est.estimators_)


def _assert_holds_the_members(fitted, est):
    """``fitted`` (a fitted copy of prefit ``est``) predicts through the very
    objects given to ``est``."""
    held = _fitted_members(fitted)
    assert len(held) == len(_given(est))
    assert all(a is b for a, b in zip(held, _given(est), strict=True))


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        # A KD-tree or ball tree counts the distance computations of its
        # queries: a neighbours model changes its pickle by predicting, with
        # or without skmerge. Its arrays are what it is.
        if hasattr(obj, "get_arrays") and hasattr(obj, "get_n_calls"):
            return tuple, ((type(obj).__name__, obj.get_arrays()),)
        return NotImplemented


def _fingerprint(obj):
    """The pickled bytes of ``obj`` (but the query counters of neighbours'
    trees)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _fingerprints(objects):
    return [_fingerprint(obj) for obj in objects]


def _assert_unchanged(objects, before, what):
    after = _fingerprints(objects)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert not changed, f"{what} changed member(s) {changed}"


def _is_fitted(est):
    return any(k.endswith("_") and not k.startswith("_") for k in vars(est))


def _record_fits(monkeypatch, objects):
    """Record every call of ``fit`` on one of ``objects``, or on an object of
    the same class and parameters (a clone of one). (A final estimator
    therefore differs from the members in its parameters.)"""
    keys = {_fingerprint(clone(obj)) for obj in objects}
    calls = []
    for cls in {type(obj) for obj in objects}:
        original = cls.fit

        def fit(self, *args, _original=original, **kwargs):
            if _fingerprint(clone(self)) in keys:
                calls.append(self)
            return _original(self, *args, **kwargs)

        fit.__wrapped__ = original  # keeps fit's signature for inspection
        monkeypatch.setattr(cls, "fit", fit)
    return calls


METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "contributions",
)


def _methods(est):
    return [m for m in METHODS if hasattr(est, m)]


def _set_chunk_size(monkeypatch, size):
    """Predict in chunks of ``size`` rows (read at call time by every
    estimator's one chunking helper)."""
    monkeypatch.setattr(base_module, "CHUNK_SIZE", size)


# The user's members are never modified --------------------------------------------


@pytest.mark.parametrize("name", _param(CONFIGS))
def test_members_are_never_modified(data, members, name):
    est, X_fit, y_fit, X_test, y_test = _setup("prefit", name, data, members)
    objects = _user_objects(est)
    before = _fingerprints(objects)

    _quietly(est.fit, X_fit, y_fit)
    _assert_unchanged(objects, before, "fit")
    # prefit=True: the user's fitted objects themselves, not copies.
    _assert_holds_the_members(est, est)
    for method in _methods(est):
        _quietly(getattr(est, method), X_test)
        _assert_unchanged(objects, before, method)
    est.score(X_test, y_test)
    _assert_unchanged(objects, before, "score")

    cloned = clone(est)
    _assert_unchanged(objects, before, "clone")
    _quietly(cloned.fit, X_fit, y_fit).predict(X_test)
    _assert_unchanged(objects, before, "fit of a clone")
    # (A search: test_search_over_own_parameters_never_fits_a_member.)


@pytest.mark.parametrize("name", _param(PREFIT_FALSE))
def test_prefit_false_never_touches_the_given_objects(data, members, name):
    est, X_fit, y_fit, X_test, y_test = _setup("prefit=False", name, data, members)
    given = _given(est)
    before = _fingerprints(given)
    _quietly(est.fit, X_fit, y_fit)
    for method in _methods(est):
        getattr(est, method)(X_test)
    est.score(X_test, y_test)
    _quietly(clone(est).fit, X_fit, y_fit)
    grid = {"n_jobs": [None, 1]}
    _quietly(GridSearchCV(est, grid, cv=2, error_score="raise").fit, X_fit, y_fit)
    _assert_unchanged(given, before, "prefit=False")
    assert not any(_is_fitted(obj) for obj in given)  # still unfitted
    assert not any(f is g for f in _fitted_members(est) for g in given)


# clone -------------------------------------------------------------------------------


def _assert_cloned_params(copy, original, members_kept):
    """``copy`` has the parameters of ``original``: the same member objects
    if ``members_kept``, else unfitted clones of them; clones of its other
    estimators; equal values."""
    assert copy is not original
    params = copy.get_params(deep=False)
    assert params.keys() == original.get_params(deep=False).keys()
    for key, value in original.get_params(deep=False).items():
        if key in ("estimators", "estimator"):
            listed, copied = (
                (v if isinstance(v, list) else [v]) for v in (value, params[key])
            )
            assert len(copied) == len(listed)
            for a, b in zip(copied, listed, strict=True):
                if isinstance(b, tuple):
                    assert a[0] == b[0]
                    a, b = a[1], b[1]
                if isinstance(b, str):  # "drop"
                    assert a == b
                elif members_kept:
                    assert a is b, key
                else:
                    assert a is not b and type(a) is type(b), key
                    assert not _is_fitted(a)
        elif isinstance(value, BaseEstimator):  # a final estimator
            assert params[key] is not value
            assert _fingerprint(params[key]) == _fingerprint(value), key
        else:
            assert _fingerprint(params[key]) == _fingerprint(value), key


@pytest.mark.parametrize("kind, name", ALL_PARAMS)
def test_clone_keeps_prefit_members_and_clones_the_others(data, members, kind, name):
    est, X_fit, y_fit, _, _ = _setup(kind, name, data, members)
    prefit = kind == "prefit"
    if hasattr(est, "set_output"):
        est.set_output(transform="pandas")
    copy = clone(est)
    _assert_cloned_params(copy, est, members_kept=prefit)
    if hasattr(est, "set_output"):
        assert copy._sklearn_output_config == est._sklearn_output_config

    # A fitted estimator's clone: unfitted, with the members it was given.
    _quietly(est.fit, X_fit, y_fit)
    copy = clone(est)
    _assert_cloned_params(copy, est, members_kept=prefit)
    assert not _is_fitted(copy)
    if not prefit:
        fitted = _fitted_members(est)
        assert not any(f is c for f in fitted for c in _given(copy))


# A search over a prefit estimator's own parameters -----------------------------------


@pytest.mark.parametrize("name", _param(CONFIGS))
def test_search_over_own_parameters_never_fits_a_member(
    data, members, name, monkeypatch
):
    est, X, y, X_test, y_test = _setup("prefit", name, data, members)
    grid = CONFIGS[name].grid
    objects = _user_objects(est)
    before = _fingerprints(objects)
    own = _fingerprint(est)
    fits = _record_fits(monkeypatch, objects)
    regression = is_regressor(est)
    splitter = KFold if regression else StratifiedKFold
    cv = splitter(2, shuffle=True, random_state=0)
    scoring = "neg_mean_squared_error" if regression else "neg_log_loss"

    search = GridSearchCV(est, grid, cv=cv, scoring=scoring, error_score="raise")
    _quietly(search.fit, X, y)
    result = _quietly(cross_validate, est, X, y, cv=cv, return_estimator=True)
    assert _fingerprint(est) == own  # the user's estimator: unfitted, unchanged

    # The same by hand: each candidate fitted on each training fold.
    candidates = list(ParameterGrid(grid))
    labels = np.unique(y)
    folds = list(cv.split(X, y))

    def fold_fit(params, train):
        return _quietly(clone(est).set_params(**params).fit, X[train], y[train])

    def score(fitted, X_test, y_test):
        if regression:
            return -mean_squared_error(y_test, fitted.predict(X_test))
        return -log_loss(y_test, fitted.predict_proba(X_test), labels=labels)

    manual = [
        np.mean(
            [score(fold_fit(params, train), X[test], y[test]) for train, test in folds]
        )
        for params in candidates
    ]
    assert len(search.cv_results_["params"]) == len(candidates)
    assert_allclose(search.cv_results_["mean_test_score"], manual)
    assert manual[search.best_index_] == pytest.approx(max(manual))
    manual_scores = [
        fold_fit({}, train).score(X[test], y[test]) for train, test in folds
    ]
    assert_allclose(result["test_score"], manual_scores)

    # The refitted best estimator and every cross-validated one hold the
    # user's very members, and use the parameters found.
    best = search.best_estimator_
    _assert_holds_the_members(best, est)
    for fitted in result["estimator"]:
        _assert_holds_the_members(fitted, est)
    for key, value in search.best_params_.items():
        assert _fingerprint(best.get_params()[key]) == _fingerprint(value), key
    if "final_estimator__C" in search.best_params_:
        # (Also where the final estimator is the default, None.)
        assert isinstance(best.final_estimator_, LogisticRegression)
        assert best.final_estimator_.C == search.best_params_["final_estimator__C"]
    assert search.score(X_test, y_test) == score(best, X_test, y_test)
    assert_array_equal(search.predict(X_test), best.predict(X_test))
    if not regression:
        assert_array_equal(search.predict_proba(X_test), best.predict_proba(X_test))

    assert not fits, f"fitted: {fits}"
    _assert_unchanged(objects, before, "GridSearchCV or cross_validate")


# Chunked prediction, memory, threads ---------------------------------------------


@pytest.mark.parametrize("name", _param(CONFIGS))
def test_chunked_prediction_equals_unchunked(data, members, name, monkeypatch):
    est, X_fit, y_fit, X_test, _ = _setup("prefit", name, data, members)
    _quietly(est.fit, X_fit, y_fit)
    whole = {m: getattr(est, m)(X_test) for m in _methods(est)}
    _set_chunk_size(monkeypatch, 7)
    for m in whole:
        assert_allclose(
            getattr(est, m)(X_test), whole[m], rtol=1e-12, atol=1e-15, err_msg=m
        )


@pytest.mark.parametrize("name", _param(CONFIGS))
def test_prediction_from_several_threads(data, members, name, monkeypatch):
    est, X_fit, y_fit, X_test, _ = _setup("prefit", name, data, members)
    _quietly(est.fit, X_fit, y_fit)
    predict = est.predict if is_regressor(est) else est.predict_proba
    # Small chunks, so that the threads interleave inside chunked prediction.
    _set_chunk_size(monkeypatch, 16)
    inputs = [X_test[i::3] for i in range(3)] * 4
    expected = [predict(X) for X in inputs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(predict, inputs))
    for got, want in zip(results, expected, strict=True):
        assert_array_equal(got, want)


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
        "regressor-predict",
        "regressor-contributions",
        "regressor-median",
        "regressor-stacking",
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
    elif case.startswith("regressor"):
        # One output per member and sample.
        y_reg = rng.normal(size=300)
        members = [Ridge(alpha=10.0**j).fit(X_fit, y_reg) for j in range(n_members)]
        if case == "regressor-stacking":
            est = StackingMergerRegressor(members, merge=False).fit(X_fit, y_reg)
            method, k = "predict", 1
        else:
            combine = "median" if case == "regressor-median" else "mean"
            est = SoupRegressor(members, combine=combine).fit(X_fit, y_reg)
            method, k = case.split("-")[1] if combine == "mean" else "predict", 1
    else:
        est, method = SoupClassifier(members).fit(X_fit, y_fit), case
    X = rng.normal(size=(n, 4))
    _set_chunk_size(monkeypatch, chunk)
    func = getattr(est, method)
    func(X[:10])  # warm up caches outside the measurement
    extra = _peak_extra(func, X)
    budget = n_members * chunk * k * 8  # the members' outputs for one chunk
    all_outputs = n_members * n * k * 8
    # predict keeps labels only (a classifier's) or one column of values; a
    # weighted median sorts one chunk's predictions (the order, the sorted
    # values, their weights and cumulative weights: ~6 budgets).
    limit = 3 if method == "predict" and k > 1 else 5
    if case == "regressor-median":
        limit = 8
    assert extra < limit * budget, (
        f"{case}: {extra / budget:.1f} chunk budgets of extra memory "
        f"(all members' outputs would be {all_outputs / budget:.0f})"
    )


# Determinism ------------------------------------------------------------------------


def _summary(est, X):
    out = {"predict": est.predict(X)}
    if hasattr(est, "predict_proba"):
        out["proba"] = est.predict_proba(X)
    for attr in ("weights_", "temperature_", "member_scores_", "coef_", "intercept_"):
        if hasattr(est, attr):
            out[attr] = np.asarray(getattr(est, attr))
    if hasattr(est, "final_estimator_"):
        out["coef"] = est.final_estimator_.coef_
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert_array_equal(a[key], b[key], err_msg=key)


def _fit_summary(kind, name, data, members, n_jobs, random_state=None):
    est, X_fit, y_fit, X_test, _ = _setup(kind, name, data, members)
    est.set_params(n_jobs=n_jobs)
    if random_state is not None:
        est.set_params(random_state=random_state)
    return _summary(_quietly(est.fit, X_fit, y_fit), X_test)


@pytest.mark.parametrize("kind, name", ALL_PARAMS)
def test_same_fit_twice_and_with_threads_gives_the_same_results(
    data, members, kind, name
):
    first = _fit_summary(kind, name, data, members, None)
    _assert_same(first, _fit_summary(kind, name, data, members, None))
    # Threads for the members (their predictions and, in this backend, fits).
    with parallel_config(backend="threading"):
        _assert_same(first, _fit_summary(kind, name, data, members, 2))


@pytest.mark.parametrize(
    "kind, name",
    [
        pytest.param("prefit=False", "soup-optimized", id="soup-prefit-false"),
        pytest.param("prefit", "stacking-auto", id="stacking-auto"),
        pytest.param("prefit", "stacking-binary", id="stacking-binary"),
    ],
)
def test_n_jobs_with_processes_gives_the_same_results(data, members, kind, name):
    _assert_same(
        _fit_summary(kind, name, data, members, None),
        _fit_summary(kind, name, data, members, 2),
    )


def test_folds_come_from_cv_alone(data, members):
    """One cv policy, as in scikit-learn's meta-estimators: an integer cv is
    an unshuffled StratifiedKFold, so fits are identical whatever
    random_state (None included); a shuffling splitter's seed decides."""
    scores = [
        _fit_summary("prefit=False", "soup-optimized", data, members, None, seed)[
            "member_scores_"
        ]
        for seed in (0, 1)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])
    est, X_fit, y_fit, _, _ = _setup("prefit=False", "soup-optimized", data, members)
    shuffled = [
        _quietly(
            est.set_params(cv=StratifiedKFold(3, shuffle=True, random_state=seed)).fit,
            X_fit,
            y_fit,
        ).member_scores_.copy()
        for seed in (0, 1)
    ]
    assert not np.array_equal(shuffled[0], shuffled[1])


def test_dask_cluster_gives_the_results_of_one_job(data, members):
    distributed = pytest.importorskip("distributed")
    names = [
        "soup-optimized",
        "stacking",
        "temperature",
        "soup-reg-optimized",
        "stacking-reg",
    ]
    expected = {
        name: _fit_summary("prefit=False", name, data, members, 1) for name in names
    }
    with warnings.catch_warnings():
        # distributed's own start-up chatter (ports, deprecated options).
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
        )
    with cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream:
            with joblib.parallel_backend("dask"):
                got = {
                    name: _fit_summary("prefit=False", name, data, members, 2)
                    for name in names
                }
        assert len(stream.data) > 0  # the work did run on the cluster
    for name in names:
        _assert_same(got[name], expected[name])


# Persistence ------------------------------------------------------------------------


@pytest.mark.parametrize("kind, name", ALL_PARAMS)
def test_persistence_round_trips(data, members, kind, name, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    est, X_fit, y_fit, X_test, _ = _setup(kind, name, data, members)
    _quietly(est.fit, X_fit, y_fit)
    if kind == "prefit" and CONFIGS[name].merged is not None:
        # (The configuration predicts through the model it says it does.)
        assert (est.merged_estimator_ is not None) == CONFIGS[name].merged
    expected = {m: getattr(est, m)(X_test) for m in _methods(est)}

    loaded = {"pickle": pickle.loads(pickle.dumps(est))}
    path = tmp_path / "est.joblib"
    joblib.dump(est, path)
    loaded["joblib"] = joblib.load(path)

    path = tmp_path / "est.skops"
    skops_io.dump(est, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    # The only types skops asks to trust are skmerge's and scikit-learn's.
    assert all(t.startswith(("skmerge.", "sklearn.")) for t in untrusted), untrusted
    assert any(t.startswith("skmerge.") for t in untrusted)
    loaded["skops"] = skops_io.load(path, trusted=untrusted)

    for how, copy in loaded.items():
        assert type(copy) is type(est)
        for method, values in expected.items():
            assert_array_equal(
                getattr(copy, method)(X_test), values, err_msg=f"{how} {method}"
            )
