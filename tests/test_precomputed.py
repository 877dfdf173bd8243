# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""estimators="precomputed": X is the members' outputs. Every estimator over
saved outputs equals the same estimator over the live members (1e-12)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skmerge import (
    MergeSearch,
    SoupClassifier,
    SoupRegressor,
    StackingMerger,
    StackingMergerRegressor,
)


def _classification(n_classes):
    X, y = make_classification(
        n_samples=420,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    members = [
        ("lr", LogisticRegression(C=0.3).fit(X[:150], y[:150])),
        ("nb", GaussianNB().fit(X[:150], y[:150])),
        (
            "tree",
            DecisionTreeClassifier(max_depth=3, random_state=0).fit(X[:150], y[:150]),
        ),
    ]
    return members, X[150:300], y[150:300], X[300:], y[300:]


@pytest.fixture(scope="module", params=[2, 3], ids=["binary", "multiclass"])
def task(request):
    return _classification(request.param)


def _outputs(members, X):
    """The members' probabilities side by side, as SoupClassifier.transform."""
    return np.hstack([m.predict_proba(X) for _, m in members])


@pytest.mark.parametrize("combine", ["proba", "logit", "vote"])
@pytest.mark.parametrize(
    "recipe", ["uniform", "greedy", "ensemble_selection", "optimized"]
)
def test_precomputed_soup_equals_the_live_soup(task, combine, recipe):
    members, X, y, X_test, _ = task
    params = dict(combine=combine, recipe=recipe, temperature="auto")
    live = SoupClassifier(members, **params).fit(X, y)
    saved = SoupClassifier("precomputed", **params).fit(_outputs(members, X), y)
    P_test = _outputs(members, X_test)
    assert_allclose(saved.weights_, live.weights_, rtol=1e-12, atol=1e-15)
    assert saved.temperature_ == pytest.approx(live.temperature_, rel=1e-12)
    assert_allclose(saved.member_scores_, live.member_scores_, rtol=1e-12)
    assert_allclose(
        saved.predict_proba(P_test), live.predict_proba(X_test), rtol=1e-12, atol=1e-15
    )
    assert_array_equal(saved.predict(P_test), live.predict(X_test))
    assert_allclose(
        saved.contributions(P_test), live.contributions(X_test), rtol=1e-12, atol=1e-15
    )
    assert_allclose(saved.transform(P_test), live.transform(X_test), rtol=1e-12)


def test_binary_positive_class_columns(task):
    members, X, y, X_test, _ = task
    if len(np.unique(y)) != 2:
        pytest.skip("one column per member is a two-class layout")
    positive = np.column_stack([m.predict_proba(X)[:, 1] for _, m in members])
    frame = pd.DataFrame(positive, columns=["lr", "nb", "tree"])
    soup = SoupClassifier("precomputed", recipe="greedy").fit(frame, y)
    live = SoupClassifier(members, recipe="greedy").fit(X, y)
    assert list(soup.named_estimators_) == ["lr", "nb", "tree"]
    test = pd.DataFrame(
        np.column_stack([m.predict_proba(X_test)[:, 1] for _, m in members]),
        columns=frame.columns,
    )
    assert_allclose(soup.predict_proba(test), live.predict_proba(X_test), rtol=1e-12)
    # member_names says how many members the columns hold.
    named = SoupClassifier("precomputed", member_names=["a", "b", "c"])
    assert list(named.fit(positive, y).named_estimators_) == ["a", "b", "c"]


def test_member_names_from_a_frame_of_transform_columns(task):
    members, X, y, _, _ = task
    live = SoupClassifier(members).fit(X, y)
    frame = pd.DataFrame(live.transform(X), columns=live.get_feature_names_out())
    soup = SoupClassifier("precomputed").fit(frame, y)
    assert list(soup.named_estimators_) == ["lr", "nb", "tree"]
    assert_array_equal(soup.feature_names_in_, frame.columns)
    assert list(
        SoupClassifier("precomputed").fit(frame.to_numpy(), y).named_estimators_
    ) == [
        "member0",
        "member1",
        "member2",
    ]


@pytest.mark.parametrize("stack_method", ["predict_proba", "predict_log_proba"])
def test_precomputed_stack_equals_the_live_stack(task, stack_method):
    members, X, y, X_test, _ = task
    live = StackingMerger(members, stack_method=stack_method).fit(X, y)
    saved = StackingMerger("precomputed", stack_method=stack_method)
    saved.fit(_outputs(members, X), y)
    assert_allclose(
        saved.predict_proba(_outputs(members, X_test)),
        live.predict_proba(X_test),
        rtol=1e-10,
    )


def test_grid_search_and_pickle_over_saved_outputs(task):
    members, X, y, X_test, _ = task
    P, P_test = _outputs(members, X), _outputs(members, X_test)
    grid = {"recipe": ["uniform", "greedy", "optimized"], "temperature": [None, "auto"]}
    cv = StratifiedKFold(3)
    saved = GridSearchCV(SoupClassifier("precomputed"), grid, cv=cv).fit(P, y)
    live = GridSearchCV(SoupClassifier(members), grid, cv=cv).fit(X, y)
    assert_allclose(
        saved.cv_results_["mean_test_score"], live.cv_results_["mean_test_score"]
    )
    copy = pickle.loads(pickle.dumps(saved.best_estimator_))
    assert_allclose(copy.predict_proba(P_test), live.predict_proba(X_test), rtol=1e-12)
    # As a pipeline's last step, after a transformer of the saved outputs.
    pipe = make_pipeline(FunctionTransformer(), SoupClassifier("precomputed")).fit(P, y)
    assert_allclose(
        pipe.predict_proba(P_test),
        SoupClassifier(members).fit(X, y).predict_proba(X_test),
    )


def test_precomputed_merge_search_equals_the_live_search(task):
    members, X, y, X_test, _ = task
    cv = StratifiedKFold(3)
    live = MergeSearch(members, cv=cv, random_state=0).fit(X, y)
    saved = MergeSearch("precomputed", cv=cv, random_state=0).fit(
        _outputs(members, X), y
    )
    assert list(saved.cv_results_["params"]) == list(live.cv_results_["params"])
    assert_allclose(
        saved.cv_results_["mean_test_score"],
        live.cv_results_["mean_test_score"],
        rtol=1e-8,
    )
    assert saved.best_params_ == live.best_params_
    assert_allclose(
        saved.predict_proba(_outputs(members, X_test)),
        live.predict_proba(X_test),
        rtol=1e-8,
    )


# Regressors ------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=5, noise=10.0, random_state=0)
    members = [
        ("ridge", Ridge().fit(X[:100], y[:100])),
        (
            "tree",
            DecisionTreeRegressor(max_depth=3, random_state=0).fit(X[:100], y[:100]),
        ),
        ("knn", KNeighborsRegressor(7).fit(X[:100], y[:100])),
    ]
    return members, X[100:200], y[100:200], X[200:]


@pytest.mark.parametrize("combine", ["mean", "median"])
@pytest.mark.parametrize("recipe", ["uniform", "greedy", "optimized"])
def test_precomputed_regressors_equal_the_live_ones(regression, combine, recipe):
    members, X, y, X_test = regression
    P = np.column_stack([m.predict(X) for _, m in members])
    P_test = np.column_stack([m.predict(X_test) for _, m in members])
    live = SoupRegressor(members, combine=combine, recipe=recipe).fit(X, y)
    saved = SoupRegressor("precomputed", combine=combine, recipe=recipe).fit(P, y)
    assert_allclose(saved.weights_, live.weights_, atol=1e-12)
    assert_allclose(saved.predict(P_test), live.predict(X_test), rtol=1e-12)
    stack = StackingMergerRegressor("precomputed").fit(P, y)
    assert_allclose(
        stack.predict(P_test),
        StackingMergerRegressor(members).fit(X, y).predict(X_test),
        rtol=1e-12,
    )


def test_precomputed_regression_search_names_members_from_the_frame(regression):
    members, X, y, X_test = regression
    P = np.column_stack([m.predict(X) for _, m in members])
    frame = pd.DataFrame(P, columns=["ridge", "tree", "knn"])
    search = MergeSearch("precomputed", cv=3).fit(frame, y)
    assert set(search.cv_results_["route"]) == {"best member", "soup", "stacking"}
    live = MergeSearch(members, cv=3).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"],
        live.cv_results_["mean_test_score"],
        rtol=1e-10,
    )


# Errors ------------------------------------------------------------------------


def test_probabilities_that_are_not_are_an_error_naming_the_block(task):
    members, X, y, _, _ = task
    P = _outputs(members, X)
    k = len(np.unique(y))
    cases = [
        (
            np.nan,
            "member 'member1' \\(columns {}-{}\\) hold NaN or infinity, e.g. in row 4",
        ),
        # (the block holding the value is named, not the first block)
        (1.5, "member 'member1' \\(columns {}-{}\\) must lie in \\[0, 1\\]"),
        (-0.2, "member 'member1' \\(columns {}-{}\\) must lie in \\[0, 1\\]"),
    ]
    for value, match in cases:
        bad = P.copy()
        bad[4, k] = value
        with pytest.raises(ValueError, match=match.format(k, 2 * k - 1)):
            SoupClassifier("precomputed").fit(bad, y)
    bad = P.copy()
    bad[7, :k] *= 0.5
    with pytest.raises(
        ValueError, match="must sum to 1 in each row.*row 7 sums to 0.5"
    ):
        StackingMerger("precomputed").fit(bad, y)
    # At prediction too.
    soup = SoupClassifier("precomputed").fit(P, y)
    with pytest.raises(ValueError, match="hold NaN or infinity"):
        soup.predict_proba(np.full_like(P, np.nan))
    with pytest.raises(
        ValueError,
        match=f"X has {P.shape[1] - 1} features, but precomputed is expecting "
        f"{P.shape[1]} features",
    ):
        soup.predict(P[:, :-1])


def test_layout_and_parameter_errors(task):
    members, X, y, _, _ = task
    P = _outputs(members, X)
    k = len(np.unique(y))
    if k > 2:
        with pytest.raises(
            ValueError, match=f"{k} columns of class probabilities per member"
        ):
            SoupClassifier("precomputed").fit(P[:, : 2 * k + 1], y)
    else:  # any number of columns: one per member, the second class's
        assert len(SoupClassifier("precomputed").fit(P[:, :5], y).estimators_) == 5
    with pytest.raises(ValueError, match="for 2 member_names"):
        SoupClassifier("precomputed", member_names=["a", "b"]).fit(P, y)
    with pytest.raises(ValueError, match="prefit=False does not apply"):
        SoupClassifier("precomputed", prefit=False).fit(P, y)
    with pytest.raises(ValueError, match="`member_names` names the columns of X"):
        SoupClassifier(members, member_names=["a", "b", "c"]).fit(X, y)
    with pytest.raises(ValueError, match="cannot be averaged in weight space"):
        SoupClassifier("precomputed", combine="params").fit(P, y)
