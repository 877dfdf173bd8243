# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""SoupRegressor against independent computations: hand-computed means and
medians, models given averaged coefficients, brute-force optima on the
simplex, and scikit-learn's VotingRegressor. (Shared properties — members
never modified, clone, searches, chunking, persistence — are in
test_properties.py; scikit-learn's estimator checks in test_common.py; bad
input in test_errors.py.)"""

import copy
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_regression
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import (
    ElasticNet,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDRegressor,
)
from sklearn.metrics import (
    get_scorer,
    make_scorer,
    mean_absolute_error,
    mean_pinball_loss,
    mean_squared_error,
)
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from skmerge import SoupRegressor
from skmerge._recipes import (
    REGRESSION_SCORINGS,
    RegressionScorer,
    simplex_least_squares,
    weighted_median,
)
from skmerge._weight_space import permute_mlp_hidden


@pytest.fixture(scope="module")
def diabetes():
    """Members trained on one part of diabetes, the soup fitted on another,
    tested on a third."""
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, held, test = order[:200], order[200:330], order[330:]
    return X[train], y[train], X[held], y[held], X[test], y[test]


def _quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def mixed(diabetes):
    X, y = diabetes[:2]
    return [
        Ridge(alpha=0.1).fit(X, y),
        DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y),
        KNeighborsRegressor(15).fit(X, y),
        TransformedTargetRegressor(
            Ridge(alpha=1.0), func=np.log, inverse_func=np.exp
        ).fit(X, y),
    ]


def _predictions(members, X):
    return np.column_stack([m.predict(X) for m in members])


# Pooling against hand computations -------------------------------------------


def test_mean_is_the_weighted_mean_of_predictions(diabetes, mixed):
    _, _, X_held, y_held, X_test, _ = diabetes
    weights = np.array([3.0, 1.0, 0.0, 2.0])
    soup = SoupRegressor(mixed, weights=weights).fit(X_held, y_held)
    P = _predictions(mixed, X_test)
    assert_allclose(soup.predict(X_test), P @ weights / weights.sum(), rtol=1e-13)
    assert_allclose(soup.weights_, weights / weights.sum())
    assert_array_equal(soup.transform(X_test), P)
    contributions = soup.contributions(X_test)
    assert_allclose(contributions, P * weights / weights.sum(), rtol=1e-13)
    assert_allclose(contributions.sum(axis=1), soup.predict(X_test), rtol=1e-12)
    assert list(soup.get_feature_names_out()) == [
        "ridge",
        "decisiontreeregressor",
        "kneighborsregressor",
        "transformedtargetregressor",
    ]


def _median_by_definition(values, weights):
    """The weighted median sample by sample, from its definition: the
    smallest value holding at least half the weight below or at it; the
    midpoint with the next value when it holds exactly half."""
    weights = np.asarray(weights, dtype=float)
    out = []
    for column in np.asarray(values, dtype=float).T:
        pairs = sorted(zip(column, weights))
        total, running = sum(weights), 0.0
        for i, (value, w) in enumerate(pairs):
            running += w
            if running >= total / 2 - 1e-12 * total:
                if abs(running - total / 2) <= 1e-12 * total:
                    later = [v for v, w2 in pairs[i + 1 :] if w2 > 0]
                    value = (value + later[0]) / 2
                out.append(value)
                break
    return np.array(out)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_weighted_median_with_equal_weights_is_numpy_median(m):
    values = np.random.default_rng(m).normal(size=(m, 50))
    assert_allclose(weighted_median(values, np.ones(m)), np.median(values, axis=0))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda m: st.tuples(
            arrays(np.float64, (m, 7), elements=st.integers(-5, 5).map(float)),
            arrays(np.float64, (m,), elements=st.sampled_from([0.0, 0.5, 1, 2, 3])),
        )
    )
)
def test_weighted_median_matches_its_definition(case):
    values, weights = case
    if not (weights > 0).any():
        weights = weights + 1.0
    assert_allclose(
        weighted_median(values, weights), _median_by_definition(values, weights)
    )


def test_weighted_median_matches_numpy_inverted_cdf_without_ties():
    if np.lib.NumpyVersion(np.__version__) < "2.0.0":
        pytest.skip("numpy < 2.0 has no weighted percentile")
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 40))
    weights = np.array([0.1, 0.3, 0.05, 0.25, 0.3]) + 0.001  # no exact halves
    expected = [
        np.percentile(col, 50, weights=weights, method="inverted_cdf")
        for col in values.T
    ]
    assert_allclose(weighted_median(values, weights), expected)


def test_median_soup_is_the_weighted_median_and_robust(diabetes, mixed):
    _, _, X_held, y_held, X_test, y_test = diabetes
    # A member gone wrong: predictions off by 1000.
    wild = TransformedTargetRegressor(
        Ridge(),
        func=lambda y: y - 1000.0,
        inverse_func=lambda y: y + 2000.0,
        check_inverse=False,
    ).fit(*diabetes[:2])
    members = [*mixed[:3], wild]
    weights = [1.0, 2.0, 1.0, 1.0]
    median = SoupRegressor(members, combine="median", weights=weights)
    median.fit(X_held, y_held)
    expected = _median_by_definition(_predictions(members, X_test).T, weights)
    assert_allclose(median.predict(X_test), expected)
    mean = SoupRegressor(members, weights=weights).fit(X_held, y_held)
    assert mean_squared_error(y_test, median.predict(X_test)) < 0.1 * (
        mean_squared_error(y_test, mean.predict(X_test))
    )


# Weight-space soups against models given averaged parameters -----------------


@pytest.mark.parametrize(
    "make",
    [
        lambda i: LinearRegression(),
        lambda i: Ridge(alpha=10.0**i),
        lambda i: Lasso(alpha=0.1 * (i + 1)),
        lambda i: ElasticNet(alpha=0.01 * (i + 1), l1_ratio=0.5),
        lambda i: SGDRegressor(alpha=10.0 ** (-i), random_state=i),
        lambda i: HuberRegressor(epsilon=1.35 + i, max_iter=500),
    ],
    ids=["linear", "ridge", "lasso", "elasticnet", "sgd", "huber"],
)
def test_params_soup_of_linear_regressors_is_one_model(make):
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    members = [_quietly(make(i).fit, X[:100], y[:100]) for i in range(3)]
    weights = np.array([0.2, 0.5, 0.3])
    soup = SoupRegressor(members, combine="params", weights=weights)
    soup.fit(X[100:], y[100:])
    merged = soup.merged_estimator_
    assert type(merged) is type(members[0]) and merged not in members
    # The model given averaged coefficients, built by hand.
    by_hand = copy.deepcopy(members[0])
    by_hand.coef_ = sum(w * m.coef_ for w, m in zip(weights, members))
    by_hand.intercept_ = sum(w * m.intercept_ for w, m in zip(weights, members))
    assert_allclose(soup.predict(X), by_hand.predict(X), rtol=1e-12, atol=1e-9)
    # Linear in the parameters: the mean of the members' predictions.
    assert_allclose(soup.predict(X), _predictions(members, X) @ weights, rtol=1e-10)
    assert_allclose(soup.contributions(X).sum(axis=1), soup.predict(X), rtol=1e-10)


def test_params_soup_of_pipelines_sharing_preprocessing(diabetes):
    X_train, y_train, X_held, y_held, X_test, _ = diabetes
    scaler = StandardScaler().fit(X_train)
    members = [
        make_pipeline(scaler, Ridge(alpha=a)).fit(X_train, y_train) for a in (1, 100)
    ]
    soup = SoupRegressor(members, combine="params").fit(X_held, y_held)
    assert soup.merged_estimator_.steps[0][1] is not scaler  # a copy
    assert_allclose(
        soup.predict(X_test), _predictions(members, X_test).mean(axis=1), rtol=1e-12
    )


def test_params_soup_of_mlps_averages_their_weights(diabetes):
    X_train, y_train, X_held, y_held, X_test, _ = diabetes
    X_scaled = StandardScaler().fit(X_train)
    members = [
        _quietly(
            MLPRegressor(hidden_layer_sizes=(6,), max_iter=50, random_state=s).fit,
            X_scaled.transform(X_train),
            y_train,
        )
        for s in (0, 1)
    ]
    soup = SoupRegressor(members, combine="params").fit(
        X_scaled.transform(X_held), y_held
    )
    by_hand = copy.deepcopy(members[0])
    by_hand.coefs_ = [(a + b) / 2 for a, b in zip(members[0].coefs_, members[1].coefs_)]
    by_hand.intercepts_ = [
        (a + b) / 2 for a, b in zip(members[0].intercepts_, members[1].intercepts_)
    ]
    X = X_scaled.transform(X_test)
    assert_allclose(soup.predict(X), by_hand.predict(X), rtol=1e-12)


def test_aligned_mlp_soup_of_a_permuted_copy_is_the_network_itself(diabetes):
    X_train, y_train, X_held, y_held, X_test, _ = diabetes
    mlp = _quietly(
        MLPRegressor(hidden_layer_sizes=(6,), max_iter=50, random_state=0).fit,
        X_train,
        y_train,
    )
    shuffled = permute_mlp_hidden(mlp, [np.array([5, 3, 1, 0, 2, 4])])
    unaligned = SoupRegressor([mlp, shuffled], combine="params").fit(X_held, y_held)
    aligned = SoupRegressor([mlp, shuffled], combine="params", align="permutation")
    aligned.fit(X_held, y_held)
    assert_allclose(aligned.predict(X_test), mlp.predict(X_test), rtol=1e-10)
    assert not np.allclose(unaligned.predict(X_test), mlp.predict(X_test))


# Recipes against brute force -------------------------------------------------


def _simplex_least_squares_brute_force(A, b):
    """Every support: its equality-constrained least squares, kept when its
    weights are non-negative; the best of those."""
    m = A.shape[1]
    best, best_w = np.inf, None
    for size in range(1, m + 1):
        for support in itertools.combinations(range(m), size):
            first, rest = support[0], list(support[1:])
            w = np.zeros(m)
            w[first] = 1.0
            if rest:
                z = np.linalg.lstsq(
                    A[:, rest] - A[:, [first]], b - A[:, first], rcond=None
                )[0]
                w[rest], w[first] = z, 1.0 - z.sum()
            if (w >= -1e-12).all():
                value = float(np.sum((A @ w - b) ** 2))
                if value < best:
                    best, best_w = value, w
    return best, best_w


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 30),
    m=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    duplicate=st.booleans(),
)
def test_simplex_least_squares_is_the_brute_force_optimum(n, m, seed, duplicate):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    # Members near the target, with a shared error: nearly collinear.
    A = y[:, None] + rng.normal(size=(n, 1)) + rng.normal(size=(n, m)) * 0.5
    if duplicate and m > 1:
        A[:, -1] = A[:, 0]
    w = simplex_least_squares(A, y)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    best, _ = _simplex_least_squares_brute_force(A, y)
    assert np.sum((A @ w - y) ** 2) <= best * (1 + 1e-10) + 1e-12


@pytest.mark.parametrize("sample_weight", [None, "random"])
def test_optimized_weights_minimise_the_held_out_squared_error(
    diabetes, mixed, sample_weight
):
    _, _, X_held, y_held, _, _ = diabetes
    sw = None
    if sample_weight == "random":
        sw = np.random.default_rng(0).uniform(0.1, 2.0, size=len(y_held))
    soup = SoupRegressor(mixed, recipe="optimized").fit(X_held, y_held, sw)
    P = _predictions(mixed, X_held)
    root = np.sqrt(np.ones(len(y_held)) if sw is None else sw)
    best, best_w = _simplex_least_squares_brute_force(P * root[:, None], y_held * root)
    assert_allclose(soup.weights_, best_w, atol=1e-8)
    expected = -np.sqrt(mean_squared_error(y_held, P @ best_w, sample_weight=sw))
    assert soup.selection_path_[-1][1] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("scoring", ["neg_mean_absolute_error", "r2"])
def test_optimized_never_worse_than_uniform_for_any_scorer(diabetes, mixed, scoring):
    _, _, X_held, y_held, _, _ = diabetes
    soup = SoupRegressor(mixed, recipe="optimized", scoring=scoring)
    soup.fit(X_held, y_held)
    scorer = get_scorer(scoring)
    P = _predictions(mixed, X_held)
    uniform = scorer._sign * scorer._score_func(y_held, P.mean(axis=1))
    got = scorer._sign * scorer._score_func(y_held, P @ soup.weights_)
    assert got >= uniform - 1e-12
    assert got == pytest.approx(soup.selection_path_[-1][1], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), combine=st.sampled_from(["mean", "median"]))
def test_greedy_never_below_its_best_member_on_the_fit_data(seed, combine):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3))
    y = X @ rng.normal(size=3) + rng.normal(size=60)
    members = [
        Ridge(alpha=a).fit(X[:30] + rng.normal(size=(30, 3)), y[:30])
        for a in (0.1, 1.0, 10.0, 100.0)
    ]
    soup = SoupRegressor(members, combine=combine, recipe="greedy")
    soup.fit(X[30:], y[30:])
    rmse = np.sqrt(mean_squared_error(y[30:], soup.predict(X[30:])))
    best = min(np.sqrt(mean_squared_error(y[30:], m.predict(X[30:]))) for m in members)
    assert rmse <= best + 1e-12
    assert -soup.selection_path_[-1][1] == pytest.approx(rmse, rel=1e-12)


def test_ensemble_selection_by_hand(diabetes, mixed):
    _, _, X_held, y_held, _, _ = diabetes
    soup = SoupRegressor(mixed, recipe="ensemble_selection", n_iter=6)
    soup.fit(X_held, y_held)
    P = _predictions(mixed, X_held)
    counts, total = np.zeros(len(mixed)), np.zeros(len(y_held))
    for step in range(6):
        scores = [
            -np.sqrt(mean_squared_error(y_held, (total + P[:, j]) / (step + 1)))
            for j in range(len(mixed))
        ]
        j = int(np.argmax(scores))
        counts[j] += 1
        total += P[:, j]
    assert_allclose(soup.weights_, counts / 6)


# Scorers ---------------------------------------------------------------------


@pytest.mark.parametrize("scoring", REGRESSION_SCORINGS)
def test_every_regression_scorer_name_scores_the_members(diabetes, scoring):
    X_train, y_train, X_held, y_held, _, _ = diabetes
    # Positive predictions, for the log and deviance scorers.
    members = [
        TransformedTargetRegressor(
            Ridge(alpha=a), func=np.log, inverse_func=np.exp
        ).fit(X_train, y_train)
        for a in (0.1, 10.0)
    ]
    soup = SoupRegressor(members, recipe="greedy", scoring=scoring)
    soup.fit(X_held, y_held)
    expected = [get_scorer(scoring)(m, X_held, y_held) for m in members]
    assert_allclose(soup.member_scores_, expected, rtol=1e-12)


def test_a_scorer_object_and_a_callable_score_as_scikit_learn(diabetes, mixed):
    _, _, X_held, y_held, _, _ = diabetes
    sw = np.linspace(0.5, 1.5, len(y_held))
    pinball = make_scorer(mean_pinball_loss, alpha=0.9, greater_is_better=False)
    soup = SoupRegressor(mixed, recipe="greedy", scoring=pinball)
    soup.fit(X_held, y_held, sample_weight=sw)
    expected = [pinball(m, X_held, y_held, sample_weight=sw) for m in mixed]
    assert_allclose(soup.member_scores_, expected, rtol=1e-12)

    def neg_mae(y_true, y_pred, sample_weight=None):
        return -mean_absolute_error(y_true, y_pred, sample_weight=sample_weight)

    soup = SoupRegressor(mixed, recipe="greedy", scoring=neg_mae)
    soup.fit(X_held, y_held, sample_weight=sw)
    expected = [neg_mae(y_held, m.predict(X_held), sample_weight=sw) for m in mixed]
    assert_allclose(soup.member_scores_, expected, rtol=1e-12)


def test_a_classification_scorer_is_refused_before_any_work(diabetes, mixed):
    _, _, X_held, y_held, _, _ = diabetes
    with pytest.raises(ValueError, match="must score a regressor's predict"):
        RegressionScorer(get_scorer("neg_log_loss"), y_held)
    with pytest.raises(ValueError, match="'scoring' parameter of SoupRegressor"):
        SoupRegressor(mixed, scoring="accuracy").fit(X_held, y_held)


# prefit=False: VotingRegressor ----------------------------------------------


@pytest.mark.parametrize("weights", [None, [1, 2, 0.5]])
@pytest.mark.parametrize("sample_weight", [False, True])
def test_prefit_false_uniform_mean_equals_voting_regressor(
    diabetes, weights, sample_weight
):
    X_train, y_train, _, _, X_test, _ = diabetes
    members = [
        ("ridge", Ridge(alpha=0.5)),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=0)),
        ("sgd", SGDRegressor(random_state=0)),
    ]
    fit_params = {}
    if sample_weight:
        fit_params["sample_weight"] = np.linspace(0.2, 2.0, len(y_train))
    X = StandardScaler().fit_transform(np.vstack([X_train, X_test]))
    X_train, X_test = X[: len(y_train)], X[len(y_train) :]
    soup = SoupRegressor(members, weights=weights, prefit=False)
    soup.fit(X_train, y_train, **fit_params)
    voting = VotingRegressor(members, weights=weights).fit(
        X_train, y_train, **fit_params
    )
    assert_allclose(soup.predict(X_test), voting.predict(X_test), rtol=1e-12)
    assert_allclose(soup.transform(X_test), voting.transform(X_test), rtol=1e-12)
    assert np.isnan(soup.member_scores_).all()


def test_prefit_false_recipes_use_out_of_fold_predictions(diabetes):
    X_train, y_train = diabetes[:2]
    members = [Ridge(alpha=0.1), DecisionTreeRegressor(max_depth=3, random_state=0)]
    cv = KFold(3, shuffle=True, random_state=0)
    soup = SoupRegressor(members, recipe="optimized", prefit=False, cv=cv)
    soup.fit(X_train, y_train)
    oof = np.column_stack(
        [
            np.concatenate(
                [
                    clone(m).fit(X_train[tr], y_train[tr]).predict(X_train[te])
                    for tr, te in cv.split(X_train)
                ]
            )
            for m in members
        ]
    )
    order = np.concatenate([te for _, te in cv.split(X_train)])
    y_oof = y_train[order]
    _, best_w = _simplex_least_squares_brute_force(oof, y_oof)
    assert_allclose(soup.weights_, best_w, atol=1e-8)
    # The members are then refitted on all the data.
    refit = clone(members[0]).fit(X_train, y_train)
    assert_allclose(soup.estimators_[0].coef_, refit.coef_)


# Members, searches, errors ---------------------------------------------------


def test_grid_search_over_recipes_never_refits_a_member(diabetes, mixed, monkeypatch):
    X_train, y_train, X_held, y_held, _, _ = diabetes
    fits = []
    for cls in {type(m) for m in mixed}:
        original = cls.fit

        def fit(self, *args, _original=original, **kwargs):
            fits.append(self)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "fit", fit)
    search = GridSearchCV(
        SoupRegressor(mixed),
        {
            "recipe": ["uniform", "greedy", "ensemble_selection", "optimized"],
            "combine": ["mean", "median"],
        },
        cv=3,
    ).fit(X_held, y_held)
    assert not fits
    assert all(a is b for a, b in zip(search.best_estimator_.estimators_, mixed))


def test_a_classifier_member_is_a_clear_error(diabetes):
    X_train, y_train, X_held, y_held, _, _ = diabetes
    clf = LogisticRegression().fit(X_train, y_train > 150)
    with pytest.raises(
        ValueError, match=r"Member 'clf' \(LogisticRegression\) is not a regressor"
    ):
        SoupRegressor([("ridge", Ridge().fit(X_train, y_train)), ("clf", clf)]).fit(
            X_held, y_held
        )


def test_params_over_a_tree_suggests_mean(diabetes, mixed):
    _, _, X_held, y_held, _, _ = diabetes
    with pytest.raises(ValueError, match='Use combine="mean"'):
        SoupRegressor(mixed[:2], combine="params").fit(X_held, y_held)
