# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests for StackingMergerRegressor, against independent computations and
against scikit-learn's StackingRegressor.

scikit-learn's own StackingRegressor tests, ported, are in
``test_parity_stacking.py``.
"""

import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_regressor
from sklearn.datasets import load_diabetes
from sklearn.ensemble import StackingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import (
    ARDRegression,
    BayesianRidge,
    ElasticNet,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeCV,
    SGDRegressor,
)
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVR
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

import skmerge._base
from skmerge import StackingMergerRegressor

# How closely a merged stack reproduces the stack: diabetes targets are of
# order 1e2, so this is float rounding (about 1e-13 relative).
MERGE_TOL = dict(rtol=0, atol=1e-10)

# Fixtures ------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    """(X_train, y_train, X_held, y_held, X_test, y_test) of the diabetes data,
    standardised (so that SGDRegressor converges)."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    return X[:200], y[:200], X[200:350], y[200:350], X[350:], y[350:]


@pytest.fixture(scope="module")
def members(data):
    """Fitted members: linear, a tree, a linear SVR."""
    X_train, y_train = data[:2]
    return [
        ("ridge", Ridge(alpha=3.0).fit(X_train, y_train)),
        (
            "tree",
            DecisionTreeRegressor(max_depth=3, random_state=0).fit(X_train, y_train),
        ),
        (
            "svr",
            LinearSVR(C=10.0, random_state=0, max_iter=10_000).fit(X_train, y_train),
        ),
    ]


def _linear_members(X_train, y_train):
    return [
        ("ols", LinearRegression().fit(X_train, y_train)),
        ("ridge", Ridge(alpha=10.0).fit(X_train, y_train)),
        ("lasso", Lasso(alpha=1.0).fit(X_train, y_train)),
        ("enet", ElasticNet(alpha=0.5).fit(X_train, y_train)),
        ("sgd", SGDRegressor(random_state=0).fit(X_train, y_train)),
        ("huber", HuberRegressor(max_iter=1000).fit(X_train, y_train)),
    ]


@pytest.fixture(scope="module")
def linear_members(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD / Huber convergence on tiny data
        return _linear_members(*data[:2])


def _predictions(members, X):
    """The stacked features, computed member by member as documented."""
    return np.column_stack([est.predict(X) for _, est in members])


CALLS = Counter()


class CountingRidge(Ridge):
    """Ridge counting its fit and predict calls in CALLS."""

    def fit(self, X, y, sample_weight=None):
        CALLS["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        CALLS["predict"] += 1
        return super().predict(X)


# Prefit stacking -------------------------------------------------------------


def test_prefit_equals_ridgecv_fitted_by_hand(data, members):
    X_train, y_train, X_held, y_held, X_test, y_test = data
    stack = StackingMergerRegressor(members).fit(X_held, y_held)

    by_hand = RidgeCV().fit(_predictions(members, X_held), y_held)
    Z_test = _predictions(members, X_test)
    assert_allclose(stack.transform(X_test), Z_test)
    assert_allclose(stack.final_estimator_.coef_, by_hand.coef_)
    assert stack.final_estimator_.alpha_ == by_hand.alpha_
    assert_allclose(stack.predict(X_test), by_hand.predict(Z_test))
    assert stack.score(X_test, y_test) == pytest.approx(
        r2_score(y_test, by_hand.predict(Z_test))
    )
    assert stack.merged_estimator_ is None  # a tree is not linear

    # The fitted attributes, as StackingRegressor's.
    assert is_regressor(stack)
    assert all(stack.estimators_[i] is est for i, (_, est) in enumerate(members))
    assert list(stack.named_estimators_) == ["ridge", "tree", "svr"]
    assert stack.stack_method_ == ["predict"] * 3
    assert stack.n_features_in_ == X_train.shape[1]
    assert not hasattr(stack, "classes_")
    assert not hasattr(stack, "feature_names_in_")
    assert_array_equal(
        stack.get_feature_names_out(),
        [
            "stackingmergerregressor_ridge",
            "stackingmergerregressor_tree",
            "stackingmergerregressor_svr",
        ],
    )


def test_members_are_predicted_once_per_fit(data, members):
    X_train, y_train, X_held, y_held = data[:4]
    counting = ("counting", CountingRidge().fit(X_train, y_train))
    CALLS.clear()
    StackingMergerRegressor([counting, members[1]]).fit(X_held, y_held)
    assert CALLS == Counter(predict=1)


def test_plain_list_of_members_is_named_after_classes(data, members):
    X_held, y_held = data[2:4]
    stack = StackingMergerRegressor([est for _, est in members]).fit(X_held, y_held)
    assert list(stack.named_estimators_) == [
        "ridge",
        "decisiontreeregressor",
        "linearsvr",
    ]


def test_drop_a_member(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    stack = StackingMergerRegressor(members).set_params(tree="drop")
    stack.fit(X_held, y_held)
    kept = [members[0], members[2]]
    assert stack.named_estimators_["tree"] == "drop"
    assert len(stack.estimators_) == 2
    assert_allclose(stack.transform(X_test), _predictions(kept, X_test))
    by_hand = RidgeCV().fit(_predictions(kept, X_held), y_held)
    assert_allclose(stack.predict(X_test), by_hand.predict(_predictions(kept, X_test)))


@pytest.mark.parametrize("sparse_X", [False, True], ids=["dense", "sparse"])
def test_prefit_passthrough(data, members, sparse_X):
    X_train, y_train, X_held, y_held, X_test, _ = data
    wrap = sp.csr_matrix if sparse_X else np.asarray
    members = [
        (name, clone(est).fit(wrap(X_train), y_train))
        for name, est in members
        if name != "svr"
    ]
    # A solver for dense and sparse data, converged: the closed form, by hand.
    final = Ridge(alpha=2.0, solver="sparse_cg", tol=1e-14)
    stack = StackingMergerRegressor(members, final, passthrough=True)
    stack.fit(wrap(X_held), y_held)
    Z_held = np.hstack([_predictions(members, X_held), X_held])
    Z_test = np.hstack([_predictions(members, X_test), X_test])
    Z = stack.transform(wrap(X_test))
    assert sp.issparse(Z) == sparse_X
    assert_allclose(Z.toarray() if sparse_X else Z, Z_test)
    by_hand = Ridge(alpha=2.0).fit(Z_held, y_held)
    assert_allclose(stack.predict(wrap(X_test)), by_hand.predict(Z_test), rtol=1e-9)
    assert_array_equal(
        stack.get_feature_names_out()[2:], [f"x{i}" for i in range(X_test.shape[1])]
    )


def test_sample_weight_reaches_the_final_estimator(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_held))
    stack = StackingMergerRegressor(members).fit(X_held, y_held, sample_weight=weights)
    by_hand = RidgeCV().fit(
        _predictions(members, X_held), y_held, sample_weight=weights
    )
    assert_allclose(
        stack.predict(X_test), by_hand.predict(_predictions(members, X_test))
    )
    unweighted = StackingMergerRegressor(members).fit(X_held, y_held)
    assert not np.allclose(stack.predict(X_test), unweighted.predict(X_test))


def test_dataframe_feature_names(data, linear_members):
    pd = pytest.importorskip("pandas")
    X_train, y_train, X_held, y_held, X_test, _ = data
    columns = [f"f{i}" for i in range(X_train.shape[1])]
    df = lambda X: pd.DataFrame(X, columns=columns)  # noqa: E731
    fitted = [
        (name, clone(est).fit(df(X_train), y_train)) for name, est in linear_members[:3]
    ]
    stack = StackingMergerRegressor(fitted, passthrough=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X has feature names" warning
        stack.fit(df(X_held), y_held)
        y_pred = stack.predict(df(X_test))
    assert_array_equal(stack.feature_names_in_, columns)
    assert_array_equal(stack.merged_estimator_.feature_names_in_, columns)
    assert_array_equal(stack.get_feature_names_out()[-len(columns) :], columns)
    unmerged = clone(stack).set_params(merge=False).fit(df(X_held), y_held)
    assert_allclose(y_pred, unmerged.predict(df(X_test)), **MERGE_TOL)


# prefit=False: StackingRegressor --------------------------------------------


def _unfitted():
    return [
        ("ridge", Ridge(alpha=3.0)),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ("svr", LinearSVR(C=10.0, random_state=0, max_iter=10_000)),
    ]


@pytest.mark.parametrize(
    "cv",
    [3, KFold(4), KFold(3, shuffle=True, random_state=0)],
    ids=["int", "kfold", "kfold-shuffled"],
)
@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize("final", [None, LinearRegression()], ids=["ridgecv", "ols"])
def test_prefit_false_equals_stacking_regressor(data, cv, passthrough, final):
    X_train, y_train, _, _, X_test, _ = data
    params = dict(cv=cv, passthrough=passthrough)
    ours = StackingMergerRegressor(_unfitted(), final, prefit=False, **params)
    theirs = StackingRegressor(_unfitted(), final, **params)
    ours.fit(X_train, y_train)
    theirs.fit(X_train, y_train)

    assert ours.stack_method_ == theirs.stack_method_
    assert_allclose(ours.final_estimator_.coef_, theirs.final_estimator_.coef_)
    assert_allclose(ours.predict(X_test), theirs.predict(X_test), rtol=1e-12)
    assert_allclose(ours.transform(X_test), theirs.transform(X_test))
    assert_array_equal(
        [
            name.replace("stackingmergerregressor", "")
            for name in ours.get_feature_names_out()
        ],
        [
            name.replace("stackingregressor", "")
            for name in theirs.get_feature_names_out()
        ],
    )
    # Members refitted on all of X, as StackingRegressor's.
    for mine, sklearns in zip(ours.estimators_, theirs.estimators_, strict=True):
        assert_array_equal(mine.predict(X_test), sklearns.predict(X_test))


def test_prefit_false_int_cv_is_an_unshuffled_kfold(data):
    X_train, y_train, _, _, X_test, _ = data
    by_int = StackingMergerRegressor(_unfitted(), prefit=False, cv=4)
    by_kfold = StackingMergerRegressor(_unfitted(), prefit=False, cv=KFold(4))
    assert_array_equal(
        by_int.fit(X_train, y_train).predict(X_test),
        by_kfold.fit(X_train, y_train).predict(X_test),
    )


def test_prefit_false_with_sample_weight_equals_stacking_regressor(data):
    X_train, y_train, _, _, X_test, _ = data
    weights = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y_train))
    cv = KFold(3, shuffle=True, random_state=1)
    ours = StackingMergerRegressor(_unfitted(), prefit=False, cv=cv)
    theirs = StackingRegressor(_unfitted(), cv=cv)
    ours.fit(X_train, y_train, sample_weight=weights)
    theirs.fit(X_train, y_train, sample_weight=weights)
    assert_allclose(ours.predict(X_test), theirs.predict(X_test), rtol=1e-12)
    unweighted = StackingMergerRegressor(_unfitted(), prefit=False, cv=cv)
    unweighted.fit(X_train, y_train)
    assert not np.allclose(ours.predict(X_test), unweighted.predict(X_test))


def test_prefit_false_sparse_passthrough_equals_stacking_regressor(data):
    X_train, y_train, _, _, X_test, _ = data
    members = [("ridge", Ridge()), ("lasso", Lasso(alpha=0.5))]
    ours = StackingMergerRegressor(members, prefit=False, cv=3, passthrough=True)
    theirs = StackingRegressor(members, cv=3, passthrough=True)
    ours.fit(sp.csr_matrix(X_train), y_train)
    theirs.fit(sp.csr_matrix(X_train), y_train)
    Z = ours.transform(sp.csr_matrix(X_test))
    assert sp.issparse(Z)
    assert_allclose(Z.toarray(), theirs.transform(sp.csr_matrix(X_test)).toarray())
    assert_allclose(
        ours.predict(sp.csr_matrix(X_test)),
        theirs.predict(sp.csr_matrix(X_test)),
        rtol=1e-12,
    )


def test_predict_params_go_to_the_final_estimator(data, linear_members):
    """return_std reaches the final estimator, which predicts from the
    stacked features even when the stack is merged (its standard deviation
    is about them)."""
    X_held, y_held, X_test = data[2], data[3], data[4]
    for final in (BayesianRidge(), ARDRegression()):
        stack = StackingMergerRegressor(linear_members[:3], final).fit(X_held, y_held)
        assert stack.merged_estimator_ is not None
        y_mean, y_std = stack.predict(X_test, return_std=True)
        expected_mean, expected_std = stack.final_estimator_.predict(
            stack.transform(X_test), return_std=True
        )
        assert_allclose(y_mean, expected_mean)
        assert_allclose(y_std, expected_std)
        assert_allclose(y_mean, stack.predict(X_test), **MERGE_TOL)


# Merging -----------------------------------------------------------------------


@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize(
    "final",
    [
        None,
        LinearRegression(),
        Ridge(alpha=0.5, fit_intercept=False),
        HuberRegressor(max_iter=1000),
        Lasso(alpha=0.1),
    ],
    ids=["ridgecv", "ols", "ridge-no-intercept", "huber", "lasso"],
)
def test_merged_stack_predicts_as_the_stack(data, linear_members, passthrough, final):
    X_held, y_held, X_test = data[2], data[3], data[4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Huber / Lasso convergence
        merged = StackingMergerRegressor(
            linear_members, final, passthrough=passthrough, merge=True
        ).fit(X_held, y_held)
        stacked = StackingMergerRegressor(
            linear_members, final, passthrough=passthrough, merge=False
        ).fit(X_held, y_held)

    expected_type = RidgeCV if final is None else type(final)
    assert type(merged.merged_estimator_) is expected_type
    assert stacked.merged_estimator_ is None
    assert merged.merged_estimator_.coef_.shape == (X_held.shape[1],)
    assert merged.merged_estimator_.n_features_in_ == X_held.shape[1]
    assert_allclose(merged.predict(X_test), stacked.predict(X_test), **MERGE_TOL)
    # ... and both as the final estimator on the stacked features.
    assert_allclose(
        merged.predict(X_test),
        stacked.final_estimator_.predict(merged.transform(X_test)),
        **MERGE_TOL,
    )
    assert_allclose(merged.transform(X_test), stacked.transform(X_test))


def test_merged_weights_by_hand(data, linear_members):
    """coef = sum_j c_j w_j + c_p, intercept = sum_j c_j b_j + c."""
    X_held, y_held = data[2:4]
    members = [est for _, est in linear_members]
    stack = StackingMergerRegressor(members, LinearRegression(), passthrough=True)
    stack.fit(X_held, y_held)
    c = stack.final_estimator_.coef_
    coef, intercept = c[len(members) :], stack.final_estimator_.intercept_
    for j, est in enumerate(members):
        coef = coef + c[j] * np.ravel(est.coef_)
        intercept = intercept + c[j] * np.ravel(est.intercept_)[0]
    assert_allclose(stack.merged_estimator_.coef_, coef, rtol=1e-12)
    assert_allclose(stack.merged_estimator_.intercept_, intercept, rtol=1e-12)


def test_merged_stack_predicts_without_members(data, linear_members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    counting = CountingRidge().fit(*data[:2])
    stack = StackingMergerRegressor([("counting", counting)] + linear_members[1:])
    stack.fit(X_held, y_held)
    assert stack.merged_estimator_ is not None
    CALLS.clear()
    stack.predict(X_test)
    stack.score(X_test, data[5])
    assert CALLS["predict"] == 0


def _shared_scaler_pipelines(X_train, y_train, shared=True):
    scaler = StandardScaler().fit(X_train)
    Xs = scaler.transform(X_train)
    members = []
    for name, est in [
        ("ols", LinearRegression()),
        ("ridge", Ridge(alpha=5.0)),
        ("huber", HuberRegressor(max_iter=1000)),
    ]:
        step = scaler if shared else StandardScaler().fit(X_train)
        members.append(
            (name, Pipeline([("scaler", step), ("reg", est.fit(Xs, y_train))]))
        )
    return members


@pytest.fixture(scope="module")
def raw_data(data):
    """The data on another scale, so that a StandardScaler does something."""
    X_train, y_train, X_held, y_held, X_test, y_test = data
    scale, shift = np.arange(1, 11) * 3.0, np.arange(10) - 4.0
    return (
        X_train * scale + shift,
        y_train,
        X_held * scale + shift,
        y_held,
        X_test * scale + shift,
        y_test,
    )


@pytest.mark.parametrize("shared", [True, False], ids=["same-object", "equal-state"])
def test_merged_pipelines_of_shared_preprocessing(raw_data, shared):
    X_train, y_train, X_held, y_held, X_test, _ = raw_data
    members = _shared_scaler_pipelines(X_train, y_train, shared=shared)
    merged = StackingMergerRegressor(members, merge=True).fit(X_held, y_held)
    stacked = StackingMergerRegressor(members, merge=False).fit(X_held, y_held)
    pipeline = merged.merged_estimator_
    assert isinstance(pipeline, Pipeline)
    assert pipeline.steps[0][1] is members[0][1].steps[0][1]
    assert isinstance(pipeline.steps[-1][1], RidgeCV)
    assert_allclose(merged.predict(X_test), stacked.predict(X_test), **MERGE_TOL)


def test_merge_frozen_linear_members(data, linear_members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    frozen = [(name, FrozenEstimator(est)) for name, est in linear_members]
    merged = StackingMergerRegressor(frozen, merge=True).fit(X_held, y_held)
    stacked = StackingMergerRegressor(linear_members, merge=False).fit(X_held, y_held)
    assert isinstance(merged.merged_estimator_, RidgeCV)
    assert_allclose(merged.predict(X_test), stacked.predict(X_test), **MERGE_TOL)


def test_merge_frozen_pipelines_of_a_shared_scaler(raw_data):
    X_train, y_train, X_held, y_held, X_test, _ = raw_data
    members = _shared_scaler_pipelines(X_train, y_train)
    frozen = [(name, FrozenEstimator(pipe)) for name, pipe in members]
    merged = StackingMergerRegressor(frozen, merge=True).fit(X_held, y_held)
    stacked = StackingMergerRegressor(members, merge=False).fit(X_held, y_held)
    assert isinstance(merged.merged_estimator_, Pipeline)
    assert_allclose(merged.predict(X_test), stacked.predict(X_test), **MERGE_TOL)


def test_merge_prefit_false_pipelines(raw_data):
    X_train, y_train, X_test = raw_data[0], raw_data[1], raw_data[4]
    members = [
        ("ols", make_pipeline(StandardScaler(), LinearRegression())),
        ("ridge", make_pipeline(StandardScaler(), Ridge(alpha=5.0))),
    ]
    params = dict(prefit=False, cv=3)
    merged = StackingMergerRegressor(members, merge=True, **params)
    stacked = StackingMergerRegressor(members, merge=False, **params)
    merged.fit(X_train, y_train)
    stacked.fit(X_train, y_train)
    assert isinstance(merged.merged_estimator_, Pipeline)
    assert_allclose(merged.predict(X_test), stacked.predict(X_test), **MERGE_TOL)
    theirs = StackingRegressor(members, cv=3).fit(X_train, y_train)
    assert_allclose(merged.predict(X_test), theirs.predict(X_test), **MERGE_TOL)


def test_merge_auto_keeps_the_stack_of_a_non_linear_member(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # silently
        stack = StackingMergerRegressor(members).fit(X_held, y_held)
    assert stack.merged_estimator_ is None
    by_hand = RidgeCV().fit(_predictions(members, X_held), y_held)
    assert_allclose(
        stack.predict(X_test), by_hand.predict(_predictions(members, X_test))
    )


def test_merge_auto_does_not_merge_differently_fitted_preprocessing(raw_data):
    X_train, y_train, X_held, y_held = raw_data[:4]
    members = _shared_scaler_pipelines(X_train, y_train)
    other = StandardScaler().fit(X_held)
    members[1] = ("ridge", Pipeline([("scaler", other), ("reg", members[1][1][-1])]))
    stack = StackingMergerRegressor(members)
    assert stack.fit(X_held, y_held).merged_estimator_ is None
    with pytest.raises(
        ValueError, match=r"members 'ols' and 'ridge' do not share their preprocessing"
    ):
        stack.set_params(merge=True).fit(X_held, y_held)


def test_merge_false_never_merges(data, linear_members):
    stack = StackingMergerRegressor(linear_members, merge=False)
    assert stack.fit(*data[2:4]).merged_estimator_ is None


@pytest.mark.parametrize(
    "case, match",
    [
        (
            "tree-member",
            r"merge=True .* but member 'tree' \(DecisionTreeRegressor\) is not a "
            "linear regressor",
        ),
        (
            "tree-final",
            r"but the final estimator \(DecisionTreeRegressor\) is not a linear "
            "regressor",
        ),
        ("passthrough-preprocessing", r"but passthrough=True appends the raw"),
    ],
)
def test_merge_true_impossible_raises_before_any_work(raw_data, case, match):
    X_train, y_train, X_held, y_held = raw_data[:4]
    counting = CountingRidge().fit(X_train, y_train)
    params = dict(merge=True)
    if case == "tree-member":
        tree = DecisionTreeRegressor().fit(X_train, y_train)
        members = [("counting", counting), ("tree", tree)]
    elif case == "tree-final":
        members = [("counting", counting)]
        params["final_estimator"] = DecisionTreeRegressor()
    else:
        members = _shared_scaler_pipelines(X_train, y_train)
        scaler = members[0][1][0]
        members[0] = ("ols", Pipeline([("scaler", scaler), ("reg", counting)]))
        params["passthrough"] = True
    stack = StackingMergerRegressor(members, **params)
    before = pickle.dumps(counting)
    CALLS.clear()
    with pytest.raises(ValueError, match=match):
        stack.fit(X_held, y_held)
    assert CALLS["predict"] == 0
    assert pickle.dumps(counting) == before
    with pytest.raises(NotFittedError):
        check_is_fitted(stack)
    # merge="auto" fits the same stack, unmerged.
    assert stack.set_params(merge="auto").fit(X_held, y_held).merged_estimator_ is None


# Prefit semantics: members never refitted or modified, clone, search ------------


@pytest.mark.parametrize("merge", [False, "auto"])
def test_members_unchanged_by_fit_and_predict(data, linear_members, members, merge):
    X_held, y_held, X_test = data[2], data[3], data[4]
    for group in (linear_members, members):
        before = [pickle.dumps(est) for _, est in group]
        stack = StackingMergerRegressor(group, merge=merge).fit(X_held, y_held)
        stack.predict(X_test)
        stack.transform(X_test)
        assert [pickle.dumps(est) for _, est in group] == before


def test_clone_keeps_prefit_members(members):
    stack = StackingMergerRegressor(members, Ridge())
    copy = clone(stack)
    assert all(
        mine is theirs
        for (_, mine), (_, theirs) in zip(copy.estimators, members, strict=True)
    )
    assert copy.final_estimator is not stack.final_estimator
    # prefit=False: unfitted clones, as scikit-learn's clone.
    unfitted = clone(StackingMergerRegressor(members, prefit=False))
    assert all(
        mine is not theirs
        for (_, mine), (_, theirs) in zip(unfitted.estimators, members, strict=True)
    )


def test_grid_search_over_the_final_estimator_fits_no_member(data):
    X_train, y_train, X_held, y_held = data[:4]
    counting = [
        ("a", CountingRidge(alpha=1.0).fit(X_train, y_train)),
        ("b", CountingRidge(alpha=100.0).fit(X_train, y_train)),
    ]
    tree = ("tree", DecisionTreeRegressor(max_depth=3).fit(X_train, y_train))
    CALLS.clear()
    search = GridSearchCV(
        StackingMergerRegressor(counting + [tree], Ridge()),
        {"final_estimator__alpha": [0.1, 1.0, 10.0]},
        cv=3,
    ).fit(X_held, y_held)
    assert CALLS["fit"] == 0
    assert search.best_estimator_.estimators_[0] is counting[0][1]
    # The default RidgeCV is made explicit for its own parameters.
    search = GridSearchCV(
        StackingMergerRegressor(counting),
        {"final_estimator__alphas": [(0.1, 1.0), (10.0, 100.0)]},
        cv=3,
    ).fit(X_held, y_held)
    assert CALLS["fit"] == 0
    assert isinstance(search.best_estimator_.final_estimator_, RidgeCV)


def test_set_params_of_the_default_final_estimator(members):
    stack = StackingMergerRegressor(members)
    stack.set_params(final_estimator__alphas=(1.0, 2.0))
    assert isinstance(stack.final_estimator, RidgeCV)
    assert stack.final_estimator.alphas == (1.0, 2.0)
    assert stack.get_params()["final_estimator__alphas"] == (1.0, 2.0)


def test_chunked_prediction(data, members, linear_members, monkeypatch):
    X_held, y_held, X_test = data[2], data[3], data[4]
    stacks = [
        StackingMergerRegressor(group).fit(X_held, y_held)
        for group in (members, linear_members)
    ]
    whole = [stack.predict(X_test) for stack in stacks]
    monkeypatch.setattr(skmerge._base, "CHUNK_SIZE", 7)
    for stack, expected in zip(stacks, whole, strict=True):
        assert_allclose(stack.predict(X_test), expected, rtol=1e-12)


# Routing ---------------------------------------------------------------------------


def test_metadata_routing_prefit(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_held))
    expected = StackingMergerRegressor(members, Ridge())
    expected.fit(X_held, y_held, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):
        final = Ridge().set_fit_request(sample_weight=True)
        stack = StackingMergerRegressor(members, final)
        stack.fit(X_held, y_held, sample_weight=weights)
        assert_allclose(stack.predict(X_test), expected.predict(X_test))
        with pytest.raises(ValueError, match=r"sample_weight.*Ridge"):
            StackingMergerRegressor(members, Ridge()).fit(
                X_held, y_held, sample_weight=weights
            )
        # No metadata: routing enabled or not, the same stack.
        assert_allclose(
            StackingMergerRegressor(members).fit(X_held, y_held).predict(X_test),
            RidgeCV()
            .fit(_predictions(members, X_held), y_held)
            .predict(_predictions(members, X_test)),
        )


def test_metadata_routing_prefit_false(data):
    X_train, y_train, X_test = data[0], data[1], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_train))
    cv = KFold(3)
    expected = StackingMergerRegressor(_unfitted(), prefit=False, cv=cv)
    expected.fit(X_train, y_train, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):

        def members():
            return [
                (name, est.set_fit_request(sample_weight=True))
                for name, est in _unfitted()
            ]

        final = RidgeCV().set_fit_request(sample_weight=True)
        ours = StackingMergerRegressor(members(), final, prefit=False, cv=cv)
        ours.fit(X_train, y_train, sample_weight=weights)
        theirs = StackingRegressor(members(), final, cv=cv)
        theirs.fit(X_train, y_train, sample_weight=weights)
        assert_allclose(ours.predict(X_test), expected.predict(X_test))
        assert_allclose(ours.predict(X_test), theirs.predict(X_test), rtol=1e-12)


# Errors ------------------------------------------------------------------------


def _assert_fit_raises(stack, X, y, exc, match, **fit_params):
    with pytest.raises(exc, match=match):
        stack.fit(X, y, **fit_params)
    with pytest.raises(NotFittedError):
        check_is_fitted(stack)


class NaNRidge(Ridge):
    def predict(self, X):
        y_pred = super().predict(X)
        y_pred[0] = np.inf
        return y_pred


def test_errors(data, members):
    X_train, y_train, X_held, y_held = data[:4]
    ridge = members[0]
    classifier = LogisticRegression().fit(X_train, y_train > np.median(y_train))
    cases = [
        (
            StackingMergerRegressor([ridge, ("clf", classifier)]),
            ValueError,
            r"Member 'clf' \(LogisticRegression\) is not a regressor",
        ),
        (
            StackingMergerRegressor([ridge], LogisticRegression()),
            ValueError,
            "`final_estimator` must be a regressor; got LogisticRegression",
        ),
        (
            StackingMergerRegressor([ridge, ("new", Lasso())]),
            NotFittedError,
            r"Member 'new' \(Lasso\) is not fitted",
        ),
        (
            StackingMergerRegressor(
                [ridge, ("fewer", Ridge().fit(X_train[:, :4], y_train))]
            ),
            ValueError,
            "Members 'ridge' and 'fewer' disagree on the number of features",
        ),
        (
            StackingMergerRegressor([ridge, ("inf", NaNRidge().fit(X_train, y_train))]),
            ValueError,
            r"Member 'inf' \(NaNRidge\) returned non-finite values .* from predict",
        ),
        (StackingMergerRegressor([]), ValueError, "non-empty list"),
        (
            StackingMergerRegressor([ridge, ("ridge", members[1][1])]),
            ValueError,
            r"Member names must be unique; got duplicates \['ridge'\]",
        ),
        (
            StackingMergerRegressor(members, merge="yes"),
            ValueError,
            "The 'merge' parameter of StackingMergerRegressor must be",
        ),
    ]
    for stack, exc, match in cases:
        _assert_fit_raises(stack, X_held, y_held, exc, match)

    stack = StackingMergerRegressor(members)
    _assert_fit_raises(
        stack, X_held, y_held[:-1], ValueError, "got 149 target values for 150 samples"
    )
    y_nan = y_held.copy()
    y_nan[3] = np.nan
    _assert_fit_raises(stack, X_held, y_nan, ValueError, "Input y contains NaN")
    _assert_fit_raises(
        stack, X_held, y_held.astype(str), ValueError, "dtype='numeric' is not"
    )
    _assert_fit_raises(
        stack,
        X_held,
        y_held,
        ValueError,
        r"sample_weight.shape == \(3,\), expected \(150,\)",
        sample_weight=np.ones(3),
    )
    _assert_fit_raises(
        StackingMergerRegressor(members, passthrough=True),
        np.full(X_held.shape, "a"),
        y_held,
        ValueError,
        "dtype='numeric' is not compatible with arrays of",
    )
    _assert_fit_raises(
        StackingMergerRegressor(_unfitted(), prefit=False, cv=3),
        X_held,
        np.c_[y_held, y_held],
        ValueError,
        "y should be a 1d array",
    )


def test_unfitted_prediction_raises(members):
    stack = StackingMergerRegressor(members)
    for method in ["predict", "transform", "get_feature_names_out"]:
        with pytest.raises(NotFittedError):
            getattr(stack, method)(np.zeros((2, 10)))
    assert not hasattr(stack, "predict_proba")
    assert not hasattr(stack, "decision_function")
