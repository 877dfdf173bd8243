# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""MergeSearch against scikit-learn's GridSearchCV over the same routes and
members: the same scores to 1e-10, at the cost of one prediction pass."""

import pickle
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skmerge import MergeSearch, SoupClassifier, StackingMerger
from skmerge._search import default_routes

CALLS = Counter()
_DEPTH = [0]


def _counting(base, name):
    """A subclass of ``base`` counting its prediction calls (not those one
    method makes of another)."""

    def wrap(method):
        func = getattr(base, method)

        def counted(self, X, *args, **kwargs):
            if not _DEPTH[0]:
                CALLS[method] += 1
            _DEPTH[0] += 1
            try:
                return func(self, X, *args, **kwargs)
            finally:
                _DEPTH[0] -= 1

        counted.__name__ = method
        return counted

    methods = ("predict", "predict_proba", "decision_function")
    namespace = {m: wrap(m) for m in methods if hasattr(base, m)}
    namespace["__module__"] = __name__
    namespace["__qualname__"] = name
    return type(name, (base,), namespace)


CountingLR = _counting(LogisticRegression, "CountingLR")
CountingNB = _counting(GaussianNB, "CountingNB")
CountingSVC = _counting(LinearSVC, "CountingSVC")
CountingTree = _counting(DecisionTreeClassifier, "CountingTree")
CountingRidge = _counting(Ridge, "CountingRidge")
CountingKNN = _counting(KNeighborsRegressor, "CountingKNN")
CountingHGB = _counting(HistGradientBoostingRegressor, "CountingHGB")


def _quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _split(X, y, n_train, n_held, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    train, held = order[:n_train], order[n_train : n_train + n_held]
    test = order[n_train + n_held :]
    return X[train], y[train], X[held], y[held], X[test], y[test]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=5, return_X_y=True)
    X_train, y_train, X_held, y_held, X_test, y_test = _split(X, y, 300, 300)
    members = [
        ("lr", CountingLR(C=0.01, max_iter=500).fit(X_train, y_train)),
        ("nb", CountingNB().fit(X_train, y_train)),
        ("tree", CountingTree(max_depth=6, random_state=0).fit(X_train, y_train)),
    ]
    return members, X_held, y_held, X_test, y_test


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, y_train, X_held, y_held, X_test, y_test = _split(X, y, 200, 200)
    members = [
        (
            "lr",
            make_pipeline(StandardScaler(), CountingLR(C=0.1)).fit(X_train, y_train),
        ),
        ("nb", CountingNB().fit(X_train, y_train)),
        ("tree", CountingTree(max_depth=3, random_state=0).fit(X_train, y_train)),
    ]
    return members, X_held, y_held, X_test, y_test


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_train, y_train, X_held, y_held, X_test, y_test = _split(X, y, 180, 160)
    members = [
        ("ridge", CountingRidge(alpha=0.1).fit(X_train, y_train)),
        ("knn", CountingKNN(15).fit(X_train, y_train)),
        (
            "hgb",
            CountingHGB(max_iter=30, random_state=0).fit(X_train, y_train),
        ),
    ]
    return members, X_held, y_held, X_test, y_test


@pytest.fixture(scope="module")
def digits_search(digits):
    """The default search on digits, and the members' calls it made."""
    members, X, y, _, _ = digits
    CALLS.clear()
    search = _quietly(MergeSearch(members, cv=3, random_state=0).fit, X, y)
    return search, Counter(CALLS)


def _route_scores(search, name, n_splits):
    rows = np.flatnonzero(search.cv_results_["route"] == name)
    return rows, np.array(
        [search.cv_results_[f"split{i}_test_score"][rows] for i in range(n_splits)]
    )


# Exactness: each route's scores are GridSearchCV's ---------------------------------

# LogisticRegression's probabilities on a subset of rows differ from the same
# rows of its probabilities on all rows by BLAS rounding (~1e-17): GridSearchCV
# over live members predicts fold subsets, MergeSearch all rows once. The
# routes' fits are solved to rounding (matrix scaling by Newton's method, the
# stack's LogisticRegression by Newton's method to 1e-10), so the scores agree to
# 1e-10; the stack's, on scikit-learn 1.6's newton-cg, to 2.3e-10 (measured).
TOLERANCE = {"stacking": 1e-9}


@pytest.mark.parametrize("data", ["digits", "cancer", "diabetes"])
def test_every_default_route_scores_as_grid_search_cv(data, request):
    members, X, y, _, _ = request.getfixturevalue(data)
    classifier = data != "diabetes"
    cv = (StratifiedKFold if classifier else KFold)(3, shuffle=True, random_state=0)
    search = _quietly(MergeSearch(members, cv=cv, random_state=0).fit, X, y)
    scoring = "neg_log_loss" if classifier else "neg_root_mean_squared_error"
    routes = default_routes(classifier, random_state=0)
    assert set(search.cv_results_["route"]) == {name for name, _, _ in routes}
    for name, factory, grid in routes:
        reference = GridSearchCV(factory(members), grid, cv=cv, scoring=scoring)
        _quietly(reference.fit, X, y)
        rows, ours = _route_scores(search, name, 3)
        theirs = np.array(
            [reference.cv_results_[f"split{i}_test_score"] for i in range(3)]
        )
        assert_allclose(
            ours, theirs, rtol=TOLERANCE.get(name, 1e-10), atol=1e-12, err_msg=name
        )
        assert [
            {k: v for k, v in p.items() if k != "route"}
            for p in np.asarray(search.cv_results_["params"])[rows]
        ] == list(reference.cv_results_["params"])


@pytest.mark.parametrize("data", ["digits", "cancer"])
def test_stacking_route_solvers_reach_the_same_optimum(data, request):
    # The stacking routes solve their LogisticRegression by newton-cholesky
    # or newton-cg by the stack's size: both give the same model.
    members, X, y, X_test, _ = request.getfixturevalue(data)
    factory = {n: f for n, f, _ in default_routes(True)}["stacking"]
    for stack_method in ("predict_proba", "predict_log_proba"):
        route = factory(members).set_params(stack_method=stack_method)
        assert route.final_estimator.solver == "newton-cholesky"  # small stacks
        other = clone(route).set_params(final_estimator__solver="newton-cg")
        assert_allclose(
            _quietly(route.fit, X, y).predict_proba(X_test),
            _quietly(other.fit, X, y).predict_proba(X_test),
            atol=1e-7,
        )
    many = [(f"m{i}", est) for i in range(60) for _, est in members[:1]]
    assert factory(many).final_estimator.solver == (
        "newton-cg" if data == "digits" else "newton-cholesky"
    )


def test_members_predict_once(digits):
    members, X, y, _, _ = digits
    CALLS.clear()
    search = _quietly(MergeSearch(members, cv=5, random_state=0).fit, X, y)
    n_candidates = len(search.cv_results_["params"])
    assert n_candidates == 33
    # One pass: each member's probabilities (the SVC's decision function).
    assert CALLS == Counter({"predict_proba": 3})
    # GridSearchCV over the same candidates: every candidate, every fold.
    CALLS.clear()
    _quietly(
        GridSearchCV(
            SoupClassifier(members), {"recipe": ["uniform", "greedy"]}, cv=5
        ).fit,
        X,
        y,
    )
    # (Each candidate predicts with the members at fit and at score time on
    # every fold, then the best is refitted.)
    assert CALLS["predict_proba"] > 2 * 5 * 3


# The result ---------------------------------------------------------------------


def test_cv_results_best_and_refit(digits, digits_search):
    members, X, y, X_test, y_test = digits
    search, _ = digits_search
    results = pd.DataFrame(search.cv_results_)
    assert len(results) == 33
    best = results["mean_test_score"].idxmax()
    assert search.best_index_ == best
    assert search.best_score_ == results["mean_test_score"][best]
    assert results["rank_test_score"][best] == 1
    assert search.best_params_ == search.cv_results_["params"][best]
    assert_allclose(
        results["mean_test_score"],
        results[[f"split{i}_test_score" for i in range(3)]].mean(axis=1),
    )
    # The refitted best route: the route's estimator over the members, fitted
    # on all of X, exactly.
    params = dict(search.best_params_)
    name = params.pop("route")
    factory = {n: f for n, f, _ in default_routes(True, random_state=0)}[name]
    by_hand = _quietly(factory(members).set_params(**params).fit, X, y)
    best = search.best_estimator_
    assert type(best) is type(by_hand)
    assert_allclose(
        best.predict_proba(X_test), by_hand.predict_proba(X_test), rtol=1e-10
    )
    assert_array_equal(search.predict(X_test), by_hand.predict(X_test))
    assert search.score(X_test, y_test) == pytest.approx(
        by_hand.score(X_test, y_test) if False else -_log_loss(by_hand, X_test, y_test)
    )
    # An ordinary estimator over the user's members, picklable on its own.
    copy = pickle.loads(pickle.dumps(best))
    assert_allclose(copy.predict_proba(X_test), best.predict_proba(X_test))
    assert best.n_features_in_ == X.shape[1]
    held = getattr(best, "estimators_", None) or best.estimator_.estimators_
    assert all(a is b for a, b in zip(held, [m for _, m in members]))


def _log_loss(est, X, y):
    from sklearn.metrics import log_loss

    return log_loss(y, est.predict_proba(X), labels=est.classes_)


def test_refit_false_keeps_no_estimator(cancer):
    members, X, y, X_test, _ = cancer
    routes = [(SoupClassifier, {"recipe": ["uniform", "greedy"]})]
    search = _quietly(MergeSearch(members, routes=routes, cv=3, refit=False).fit, X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_params_["route"] in set(search.cv_results_["route"])
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(X_test)


def test_refit_callable_chooses_the_route(cancer):
    # Ported from scikit-learn's test_refit_callable: the callable's index is
    # best_index_, best_score_ is not set, and the refitted route is that one.
    members, X, y, X_test, _ = cancer
    grid = {"recipe": ["uniform", "greedy"], "temperature": [None, "auto"]}
    routes = [(SoupClassifier, grid)]

    def worst(cv_results):
        return int(np.argmin(cv_results["mean_test_score"]))

    search = _quietly(MergeSearch(members, routes=routes, cv=3, refit=worst).fit, X, y)
    grid_search = _quietly(
        GridSearchCV(
            SoupClassifier(members), grid, cv=3, scoring="neg_log_loss", refit=worst
        ).fit,
        X,
        y,
    )
    assert search.best_index_ == grid_search.best_index_ == worst(search.cv_results_)
    assert search.best_index_ != np.argmax(search.cv_results_["mean_test_score"])
    assert not hasattr(search, "best_score_")
    assert not hasattr(grid_search, "best_score_")
    params = dict(search.best_params_)
    assert params.pop("route") == "soupclassifier"
    assert params == grid_search.best_params_
    assert_allclose(
        search.predict_proba(X_test),
        grid_search.best_estimator_.predict_proba(X_test),
        rtol=1e-10,
    )


@pytest.mark.parametrize(
    "refit, error, match",
    [
        (lambda results: 0.5, TypeError, "must return the index"),
        (lambda results: len(results["params"]), IndexError, "has 2 candidates"),
    ],
)
def test_refit_callable_returning_no_candidate(cancer, refit, error, match):
    members, X, y, _, _ = cancer
    routes = [(SoupClassifier, {"recipe": ["uniform", "greedy"]})]
    with pytest.raises(error, match=match):
        _quietly(MergeSearch(members, routes=routes, cv=3, refit=refit).fit, X, y)


def test_user_routes_and_sample_weight(cancer):
    members, X, y, _, _ = cancer
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    cv = StratifiedKFold(4)
    routes = [
        (
            SoupClassifier,
            {"recipe": ["greedy", "optimized"], "temperature": [None, "auto"]},
        ),
        (StackingMerger, {"final_estimator__C": [0.1, 1.0]}),
    ]
    search = _quietly(MergeSearch(members, routes=routes, cv=cv).fit, X, y, w)
    assert list(dict.fromkeys(search.cv_results_["route"])) == [
        "soupclassifier",
        "stackingmerger",
    ]
    for (cls, grid), name in zip(routes, ["soupclassifier", "stackingmerger"]):
        reference = GridSearchCV(cls(members), grid, cv=cv, scoring="neg_log_loss")
        _quietly(reference.fit, X, y, sample_weight=w)
        _, ours = _route_scores(search, name, 4)
        theirs = [reference.cv_results_[f"split{i}_test_score"] for i in range(4)]
        assert_allclose(ours, theirs, rtol=1e-10)


def test_same_results_whatever_n_jobs(cancer):
    members, X, y, X_test, _ = cancer
    routes = [
        (SoupClassifier, {"recipe": ["greedy", "optimized"], "temperature": ["auto"]}),
        (StackingMerger, {"stack_method": ["predict_proba", "predict_log_proba"]}),
    ]
    one = _quietly(MergeSearch(members, routes=routes, cv=3).fit, X, y)
    two = _quietly(MergeSearch(members, routes=routes, cv=3, n_jobs=2).fit, X, y)
    assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    assert_array_equal(one.predict_proba(X_test), two.predict_proba(X_test))


# Errors (before any member predicts) ------------------------------------------------


def test_unknown_route_parameter_names_the_route(digits):
    members, X, y, _, _ = digits
    CALLS.clear()
    routes = [(SoupClassifier, {"recipe": ["greedy"]}), (StackingMerger, {"C": [1.0]})]
    with pytest.raises(
        ValueError,
        match=r"Route 'stackingmerger' \(StackingMerger\) has no parameter 'C'",
    ):
        MergeSearch(members, routes=routes).fit(X, y)
    with pytest.raises(ValueError, match=r"the values of 'recipe' must be a list"):
        MergeSearch(members, routes=[(SoupClassifier, {"recipe": "greedy"})]).fit(X, y)
    with pytest.raises(
        ValueError, match=r"list of \(estimator_class, param_grid\) pairs"
    ):
        MergeSearch(members, routes=[SoupClassifier]).fit(X, y)
    assert not CALLS


def test_members_of_two_kinds_are_refused(digits, diabetes):
    members, X, y, _, _ = digits
    CALLS.clear()
    mixed = [members[0], diabetes[0][0]]
    with pytest.raises(
        ValueError, match=r"Members 'lr' and 'ridge' are not of one kind"
    ):
        MergeSearch(mixed).fit(X, y)
    with pytest.raises(Exception, match="not fitted"):
        MergeSearch([("lr", LogisticRegression())]).fit(X, y)
    assert not CALLS


def test_members_without_probabilities_get_logit_routes(digits):
    members, X, y, _, _ = digits
    X_train = X[:200]
    svc = _quietly(CountingSVC(C=0.01).fit, X_train, y[:200])
    members = [*members, ("svc", svc)]
    cv = StratifiedKFold(3)
    CALLS.clear()
    search = _quietly(MergeSearch(members, cv=cv, random_state=0).fit, X, y)
    assert CALLS == Counter({"predict_proba": 3, "decision_function": 1})
    routes = default_routes(True, random_state=0, probabilities=False)
    assert len(search.cv_results_["params"]) == 1 + 8 + 4 + 4
    for name, factory, grid in routes:
        reference = GridSearchCV(factory(members), grid, cv=cv, scoring="neg_log_loss")
        _quietly(reference.fit, X, y)
        _, ours = _route_scores(search, name, 3)
        theirs = [reference.cv_results_[f"split{i}_test_score"] for i in range(3)]
        rtol = TOLERANCE.get(name, 1e-10)
        assert_allclose(ours, theirs, rtol=rtol, atol=1e-12, err_msg=name)


def test_verbose_and_progress(cancer, capsys):
    members, X, y, _, _ = cancer
    routes = [(SoupClassifier, {"recipe": ["uniform", "greedy"]})]
    _quietly(MergeSearch(members, routes=routes, cv=3, verbose=1).fit, X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 2 candidates, totalling 6 fits" in out
    _quietly(MergeSearch(members, routes=routes, cv=3).fit, X, y)
    assert capsys.readouterr().out == ""


def test_plot_shows_every_route_sorted_with_the_best_marked(digits_search):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    search, _ = digits_search
    display = search.plot()
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert len(labels) == 33
    means = search.cv_results_["mean_test_score"]
    order = np.argsort(-means, kind="stable")
    assert labels[0].startswith(search.best_params_["route"])
    # Ticks from the top (best) down, each candidate's mean at its row.
    rows = display.ax_.get_yticks()
    assert_array_equal(rows, np.arange(33)[::-1])
    points = display.ax_.collections[-1].get_offsets()
    assert_allclose(points[:, 0], means[order])
    top = search.plot(top=5)
    assert len(top.ax_.get_yticklabels()) == 5
    plt.close("all")


def test_string_labels_take_every_default_route(digits_search):
    # The calibrated routes fit their soup on folds of the labels themselves
    # (cross_val_predict would hand it label codes its prefit members never
    # saw): the same scores as with the integer labels.
    search, _ = digits_search
    X_train, y_train, X_held, y_held, _, _ = _split(
        *load_digits(n_class=5, return_X_y=True), 300, 300
    )
    names = np.array(["c0", "c1", "c2", "c3", "c4"])  # sorted as 0..4: same folds
    members = [
        ("lr", LogisticRegression(C=0.01, max_iter=500).fit(X_train, names[y_train])),
        ("nb", GaussianNB().fit(X_train, names[y_train])),
        (
            "tree",
            DecisionTreeClassifier(max_depth=6, random_state=0).fit(
                X_train, names[y_train]
            ),
        ),
    ]
    named = _quietly(
        MergeSearch(members, cv=3, random_state=0).fit, X_held, names[y_held]
    )
    assert_allclose(
        named.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert set(named.predict(X_held[:20])) <= set(names)
