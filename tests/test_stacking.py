# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests for StackingMerger, against independent computations and against
scikit-learn's StackingClassifier.

The properties every estimator has (members never modified, clone, searches,
chunked prediction, determinism, persistence) are tested in
``test_properties.py``, scikit-learn's estimator checks in ``test_common.py``.
"""

import copy
import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import StackingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeClassifier
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skmerge._stacking import StackingMerger

# Fixtures ------------------------------------------------------------------


def _split(n_classes, seed=0):
    X, y = make_classification(
        n_samples=360,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=seed,
    )
    return X[:160], y[:160], X[160:280], y[160:280], X[280:], y[280:]


@pytest.fixture(scope="module", params=[2, 3], ids=["binary", "multiclass"])
def data(request):
    """(X_train, y_train, X_held, y_held, X_test, y_test)."""
    return _split(request.param)


@pytest.fixture(scope="module")
def members(data):
    """Fitted members of three kinds: probabilities, a tree, a decision function."""
    X_train, y_train = data[:2]
    return [
        ("lr", LogisticRegression(C=0.5).fit(X_train, y_train)),
        (
            "tree",
            DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train),
        ),
        ("svc", LinearSVC(C=0.1).fit(X_train, y_train)),
    ]


@pytest.fixture(scope="module")
def linear_members(data):
    X_train, y_train = data[:2]
    return [
        ("lr", LogisticRegression(C=0.5).fit(X_train, y_train)),
        ("svc", LinearSVC(C=0.1).fit(X_train, y_train)),
        ("ridge", RidgeClassifier(alpha=3.0).fit(X_train, y_train)),
    ]


def _stack_by_hand(members, X, n_classes):
    """The stacked features, computed member by member as documented."""
    columns = []
    for _, est in members:
        if hasattr(est, "predict_proba"):
            proba = est.predict_proba(X)
            columns.append(proba[:, 1:] if n_classes == 2 else proba)
        else:
            columns.append(est.decision_function(X).reshape(len(X), -1))
    return np.hstack(columns)


CALLS = Counter()


class CountingLR(LogisticRegression):
    """LogisticRegression counting its fit and prediction calls in CALLS."""

    def fit(self, X, y, sample_weight=None):
        CALLS["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight)

    def decision_function(self, X):
        CALLS["decision_function"] += 1
        return super().decision_function(X)

    def predict_proba(self, X):
        # (LogisticRegression.predict_proba calls decision_function too.)
        CALLS["predict_proba"] += 1
        return super().predict_proba(X)


def _n_predictions():
    return CALLS["decision_function"] + CALLS["predict_proba"]


def _flipped(est):
    """An equivalent copy of a fitted linear classifier whose ``classes_`` are
    in reverse order (its coefficients permuted, or negated for two classes)."""
    flipped = copy.deepcopy(est)
    flipped.classes_ = est.classes_[::-1].copy()
    if est.coef_.shape[0] == 1:
        flipped.coef_ = -est.coef_
        flipped.intercept_ = -np.asarray(est.intercept_)
    else:
        flipped.coef_ = est.coef_[::-1].copy()
        flipped.intercept_ = np.asarray(est.intercept_)[::-1].copy()
    return flipped


# Prefit stacking -------------------------------------------------------------


def test_prefit_equals_final_estimator_fitted_by_hand(data, members):
    X_train, y_train, X_held, y_held, X_test, _ = data
    n_classes = len(np.unique(y_train))
    stack = StackingMerger(members, LogisticRegression(C=2.0)).fit(X_held, y_held)

    by_hand = LogisticRegression(C=2.0).fit(
        _stack_by_hand(members, X_held, n_classes), y_held
    )
    Z_test = _stack_by_hand(members, X_test, n_classes)
    assert stack.stack_method_ == [
        "predict_proba",
        "predict_proba",
        "decision_function",
    ]
    assert_allclose(stack.transform(X_test), Z_test)
    assert_allclose(stack.final_estimator_.coef_, by_hand.coef_)
    assert_allclose(stack.predict_proba(X_test), by_hand.predict_proba(Z_test))
    assert_allclose(stack.decision_function(X_test), by_hand.decision_function(Z_test))
    assert_array_equal(stack.predict(X_test), by_hand.predict(Z_test))
    assert stack.score(X_test, data[5]) == pytest.approx(by_hand.score(Z_test, data[5]))
    assert stack.merged_estimator_ is None  # probabilities are not linear in X

    # The fitted attributes, as StackingClassifier's.
    assert all(stack.estimators_[i] is est for i, (_, est) in enumerate(members))
    assert list(stack.named_estimators_) == ["lr", "tree", "svc"]
    assert_array_equal(stack.classes_, np.unique(y_train))
    assert stack.n_features_in_ == X_train.shape[1]
    assert not hasattr(stack, "feature_names_in_")


@pytest.mark.parametrize("stack_method", ["predict_proba", "decision_function"])
def test_members_are_predicted_once_per_fit(data, linear_members, stack_method):
    X_train, y_train, X_held, y_held = data[:4]
    counting = ("counting", CountingLR().fit(X_train, y_train))
    if stack_method == "predict_proba":
        tree = DecisionTreeClassifier(max_depth=3, random_state=0)
        members = [counting, ("tree", tree.fit(X_train, y_train))]
    else:
        members = [counting] + linear_members[1:]  # merged
    CALLS.clear()
    stack = StackingMerger(members, stack_method=stack_method).fit(X_held, y_held)
    assert CALLS[stack_method] == 1
    assert (stack.merged_estimator_ is None) == (stack_method == "predict_proba")


def test_plain_list_of_members_is_named_after_classes(data, members):
    X_held, y_held = data[2:4]
    stack = StackingMerger([est for _, est in members]).fit(X_held, y_held)
    assert list(stack.named_estimators_) == [
        "logisticregression",
        "decisiontreeclassifier",
        "linearsvc",
    ]
    width = 1 if len(stack.classes_) == 2 else 3
    names = stack.get_feature_names_out()
    assert len(names) == stack.transform(X_held).shape[1] == 2 * width + width
    assert names[-1].startswith("stackingmerger_linearsvc")


def test_member_class_order_is_aligned(data, linear_members):
    """A member whose classes_ are in another order stacks the same columns."""
    X_held, y_held, X_test = data[2], data[3], data[4]
    lr = linear_members[0][1]
    flipped = _flipped(lr)
    assert_array_equal(flipped.predict(X_test), lr.predict(X_test))

    for stack_method in ["auto", "decision_function"]:
        reference = StackingMerger(
            [("a", lr), ("b", linear_members[1][1])], stack_method=stack_method
        ).fit(X_held, y_held)
        aligned = StackingMerger(
            [("a", flipped), ("b", linear_members[1][1])], stack_method=stack_method
        ).fit(X_held, y_held)
        assert_allclose(
            aligned.transform(X_test), reference.transform(X_test), atol=1e-12
        )
        assert_allclose(
            aligned.predict_proba(X_test), reference.predict_proba(X_test), atol=1e-10
        )
    assert aligned.merged_estimator_ is not None


def test_frozen_members(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    frozen = [(name, FrozenEstimator(est)) for name, est in members]
    assert_allclose(
        StackingMerger(frozen).fit(X_held, y_held).predict_proba(X_test),
        StackingMerger(members).fit(X_held, y_held).predict_proba(X_test),
    )


def test_drop_a_member(data, members):
    X_held, y_held = data[2:4]
    stack = StackingMerger(members).set_params(tree="drop").fit(X_held, y_held)
    assert len(stack.estimators_) == 2
    assert stack.named_estimators_["tree"] == "drop"
    assert not any("tree" in name for name in stack.get_feature_names_out())


def test_dataframe_feature_names(data, linear_members):
    pd = pytest.importorskip("pandas")
    X_train, y_train, X_held, y_held, X_test, _ = data
    columns = [f"f{i}" for i in range(X_train.shape[1])]
    df = lambda X: pd.DataFrame(X, columns=columns)  # noqa: E731
    fitted = [
        (name, clone(est).fit(df(X_train), y_train)) for name, est in linear_members
    ]
    stack = StackingMerger(fitted, stack_method="decision_function", passthrough=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X has feature names" warning
        stack.fit(df(X_held), y_held)
        proba = stack.predict_proba(df(X_test))
    assert_array_equal(stack.feature_names_in_, columns)
    assert_array_equal(stack.merged_estimator_.feature_names_in_, columns)
    assert_array_equal(stack.get_feature_names_out()[-6:], columns)
    unmerged = clone(stack).set_params(merge=False).fit(df(X_held), y_held)
    assert_allclose(proba, unmerged.predict_proba(df(X_test)), rtol=0, atol=1e-8)


# prefit=False: StackingClassifier --------------------------------------------


def _unfitted():
    return [
        ("lr", LogisticRegression(C=0.5)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("svc", LinearSVC(C=0.1)),
    ]


@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize("stack_method", ["auto", "predict"])
def test_prefit_false_equals_stacking_classifier(data, passthrough, stack_method):
    X_train, y_train, _, _, X_test, _ = data
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    params = dict(cv=cv, passthrough=passthrough, stack_method=stack_method)
    ours = StackingMerger(_unfitted(), LogisticRegression(), prefit=False, **params)
    theirs = StackingClassifier(_unfitted(), LogisticRegression(), **params)
    ours.fit(X_train, y_train)
    theirs.fit(X_train, y_train)

    assert ours.stack_method_ == theirs.stack_method_
    assert_allclose(ours.final_estimator_.coef_, theirs.final_estimator_.coef_)
    assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test))
    assert_allclose(ours.decision_function(X_test), theirs.decision_function(X_test))
    assert_array_equal(ours.predict(X_test), theirs.predict(X_test))
    assert_allclose(ours.transform(X_test), theirs.transform(X_test))
    assert_array_equal(
        [name.replace("stackingmerger", "") for name in ours.get_feature_names_out()],
        [
            name.replace("stackingclassifier", "")
            for name in theirs.get_feature_names_out()
        ],
    )
    # Members refitted on all of X, as StackingClassifier's.
    for mine, sklearns in zip(ours.estimators_, theirs.estimators_, strict=True):
        assert_array_equal(
            mine.predict(X_test), theirs.classes_[sklearns.predict(X_test)]
        )


def test_prefit_false_with_sample_weight_equals_stacking_classifier(data):
    X_train, y_train, _, _, X_test, _ = data
    weights = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y_train))
    cv = StratifiedKFold(3)
    ours = StackingMerger(_unfitted(), prefit=False, cv=cv)
    theirs = StackingClassifier(_unfitted(), cv=cv)
    ours.fit(X_train, y_train, sample_weight=weights)
    theirs.fit(X_train, y_train, sample_weight=weights)
    assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test))
    unweighted = StackingMerger(_unfitted(), prefit=False, cv=cv).fit(X_train, y_train)
    assert not np.allclose(ours.predict_proba(X_test), unweighted.predict_proba(X_test))


def test_prefit_false_sparse_passthrough_equals_stacking_classifier(data):
    X_train, y_train, _, _, X_test, _ = data
    members = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    ours = StackingMerger(members, prefit=False, cv=3, passthrough=True)
    theirs = StackingClassifier(members, cv=3, passthrough=True)
    ours.fit(sp.csr_matrix(X_train), y_train)
    theirs.fit(sp.csr_matrix(X_train), y_train)
    Z = ours.transform(sp.csr_matrix(X_test))
    assert sp.issparse(Z)
    assert_allclose(Z.toarray(), theirs.transform(sp.csr_matrix(X_test)).toarray())
    assert_allclose(
        ours.predict_proba(sp.csr_matrix(X_test)),
        theirs.predict_proba(sp.csr_matrix(X_test)),
    )


def test_shuffling_cv_without_seed_gives_every_member_the_same_splits(data):
    X_train, y_train = data[:2]
    cv = KFold(3, shuffle=True)
    twins = [("a", LogisticRegression()), ("b", LogisticRegression())]
    stack = StackingMerger(twins, prefit=False, cv=cv).fit(X_train, y_train)
    # Identical members on identical splits give identical stacked columns,
    # which an L2-penalised final estimator weighs equally.
    coef = stack.final_estimator_.coef_
    half = coef.shape[1] // 2
    assert_allclose(coef[:, :half], coef[:, half:], rtol=1e-6)
    assert cv.random_state is None  # the user's splitter is left alone


# Merging -----------------------------------------------------------------------


@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize(
    "final",
    [
        LogisticRegression(C=3.0),
        LinearSVC(),
        RidgeClassifier(),
        RidgeClassifier(fit_intercept=False),
    ],
    ids=["lr", "linearsvc", "ridge", "ridge-no-intercept"],
)
def test_merged_stack_predicts_as_the_stack(data, linear_members, passthrough, final):
    X_held, y_held, X_test = data[2], data[3], data[4]
    params = dict(stack_method="decision_function", passthrough=passthrough)
    merged = StackingMerger(linear_members, final, **params).fit(X_held, y_held)
    stacked = StackingMerger(linear_members, final, merge=False, **params)
    stacked.fit(X_held, y_held)

    assert type(merged.merged_estimator_) is type(final)
    assert stacked.merged_estimator_ is None
    assert np.atleast_2d(merged.merged_estimator_.coef_).shape[1] == X_held.shape[1]
    assert merged.merged_estimator_.n_features_in_ == X_held.shape[1]
    assert_array_equal(merged.merged_estimator_.classes_, merged.classes_)
    for method in ["decision_function", "predict_proba"]:
        if hasattr(final, method):
            assert_allclose(
                getattr(merged, method)(X_test),
                getattr(stacked, method)(X_test),
                rtol=0,
                atol=1e-8,
            )
    assert_array_equal(merged.predict(X_test), stacked.predict(X_test))
    # transform still gives the stacked features.
    assert_allclose(merged.transform(X_test), stacked.transform(X_test))


def test_merged_weights_by_hand(data, linear_members):
    """coef = sum_j C_j W_j + C_p, intercept = sum_j C_j b_j + c."""
    X_held, y_held = data[2:4]
    members = [est for _, est in linear_members if not isinstance(est, LinearSVC)]
    stack = StackingMerger(members, stack_method="decision_function", passthrough=True)
    stack.fit(X_held, y_held)
    C = stack.final_estimator_.coef_
    width = members[0].coef_.shape[0]  # 1 for two classes, else one per class
    coef, intercept = C[:, 2 * width :], stack.final_estimator_.intercept_
    for j, est in enumerate(members):
        W, b = np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_)
        coef = coef + C[:, j * width : (j + 1) * width] @ W
        intercept = intercept + C[:, j * width : (j + 1) * width] @ b
    assert_allclose(stack.merged_estimator_.coef_, coef, rtol=1e-12)
    assert_allclose(stack.merged_estimator_.intercept_, intercept, rtol=1e-12)


def test_merge_float32_members(data):
    """Members fitted on float32 data (float32 coef_ and outputs) still merge."""
    X_train, y_train, X_held, y_held, X_test, _ = (
        a.astype(np.float32) if a.dtype.kind == "f" else a for a in data
    )
    members = [
        LogisticRegression().fit(X_train, y_train),
        RidgeClassifier().fit(X_train, y_train),
    ]
    # LogisticRegression keeps float32 coef_ from scikit-learn 1.7, Ridge before.
    assert any(m.coef_.dtype == np.float32 for m in members)
    params = dict(stack_method="decision_function")
    merged = StackingMerger(members, merge=True, **params).fit(X_held, y_held)
    stacked = StackingMerger(members, merge=False, **params).fit(X_held, y_held)
    assert_allclose(
        merged.predict_proba(X_test), stacked.predict_proba(X_test), atol=1e-5
    )


def test_merged_stack_predicts_without_members(data, linear_members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    counting = CountingLR(C=0.5).fit(*data[:2])
    members = [("counting", counting)] + linear_members[1:]
    stack = StackingMerger(members, stack_method="decision_function").fit(
        X_held, y_held
    )
    CALLS.clear()
    stack.predict_proba(X_test)
    stack.predict(X_test)
    assert _n_predictions() == 0


def _shared_scaler_pipelines(X_train, y_train, shared=True):
    scaler = StandardScaler().fit(X_train)
    Xs = scaler.transform(X_train)
    members = []
    for name, est in [
        ("lr", LogisticRegression(C=0.5)),
        ("svc", LinearSVC(C=0.1)),
        ("ridge", RidgeClassifier()),
    ]:
        step = scaler if shared else StandardScaler().fit(X_train)
        members.append(
            (name, Pipeline([("scaler", step), ("clf", est.fit(Xs, y_train))]))
        )
    return members


@pytest.mark.parametrize("shared", [True, False], ids=["same-object", "equal-state"])
def test_merged_pipelines_of_shared_preprocessing(data, shared):
    X_train, y_train, X_held, y_held, X_test, _ = data
    members = _shared_scaler_pipelines(X_train, y_train, shared=shared)
    params = dict(stack_method="decision_function")
    merged = StackingMerger(members, merge=True, **params).fit(X_held, y_held)
    stacked = StackingMerger(members, merge=False, **params).fit(X_held, y_held)
    pipeline = merged.merged_estimator_
    assert isinstance(pipeline, Pipeline)
    assert pipeline.steps[0][1] is members[0][1].steps[0][1]
    assert isinstance(pipeline.steps[-1][1], LogisticRegression)
    assert_allclose(
        merged.predict_proba(X_test), stacked.predict_proba(X_test), rtol=0, atol=1e-8
    )
    assert_array_equal(merged.predict(X_test), stacked.predict(X_test))


def test_merge_prefit_false_pipelines(data):
    X_train, y_train, X_test = data[0], data[1], data[4]
    members = [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
        ("svc", make_pipeline(StandardScaler(), LinearSVC())),
    ]
    params = dict(stack_method="decision_function", prefit=False, cv=3)
    merged = StackingMerger(members, merge=True, **params).fit(X_train, y_train)
    stacked = StackingMerger(members, merge=False, **params).fit(X_train, y_train)
    assert isinstance(merged.merged_estimator_, Pipeline)
    assert_allclose(
        merged.predict_proba(X_test), stacked.predict_proba(X_test), rtol=0, atol=1e-8
    )


def test_merge_auto_does_not_merge_differently_fitted_preprocessing(data):
    X_train, y_train, X_held, y_held = data[:4]
    members = _shared_scaler_pipelines(X_train, y_train)
    other = StandardScaler().fit(X_held)
    members[1] = ("svc", Pipeline([("scaler", other), ("clf", members[1][1][-1])]))
    stack = StackingMerger(members, stack_method="decision_function")
    assert stack.fit(X_held, y_held).merged_estimator_ is None
    with pytest.raises(
        ValueError, match=r"members 'lr' and 'svc' do not share their preprocessing"
    ):
        stack.set_params(merge=True).fit(X_held, y_held)


def test_merge_true_prefit_false_checks_preprocessing_before_fitting(data):
    members = [
        ("lr", make_pipeline(StandardScaler(), CountingLR())),
        ("svc", make_pipeline(MinMaxScaler(), LinearSVC())),
    ]
    stack = StackingMerger(
        members, stack_method="decision_function", merge=True, prefit=False
    )
    CALLS.clear()
    with pytest.raises(
        ValueError,
        match=r"members 'lr' and 'svc' do not share their preprocessing \(step "
        r"'standardscaler' is a StandardScaler, step 'minmaxscaler' a MinMaxScaler\)",
    ):
        stack.fit(*data[:2])
    assert CALLS["fit"] == 0


def test_merge_frozen_linear_members(data, linear_members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    frozen = [(name, FrozenEstimator(est)) for name, est in linear_members]
    params = dict(stack_method="decision_function")
    merged = StackingMerger(frozen, merge=True, **params).fit(X_held, y_held)
    stacked = StackingMerger(linear_members, merge=False, **params).fit(X_held, y_held)
    assert_allclose(
        merged.predict_proba(X_test), stacked.predict_proba(X_test), rtol=0, atol=1e-8
    )


def test_merge_auto_needs_decision_functions(data, linear_members):
    # With stack_method="auto", LogisticRegression stacks its probabilities.
    stack = StackingMerger(linear_members).fit(*data[2:4])
    assert stack.stack_method_[0] == "predict_proba"
    assert stack.merged_estimator_ is None


def test_merge_false_never_merges(data, linear_members):
    stack = StackingMerger(
        linear_members, stack_method="decision_function", merge=False
    )
    assert stack.fit(*data[2:4]).merged_estimator_ is None


def _impossible_merge(case, X_train, y_train):
    """(members, parameters) of a stack that is not one linear model."""
    counting = CountingLR(C=0.5).fit(X_train, y_train)
    svc = LinearSVC().fit(X_train, y_train)
    params = dict(stack_method="decision_function", merge=True)
    if case == "tree-member":
        tree = DecisionTreeClassifier().fit(X_train, y_train)
        members = [("tree", tree), ("lr", counting), ("svc", svc)]
        params["stack_method"] = "auto"
    elif case == "probabilities":
        members = [("svc", svc), ("lr", counting)]
        params["stack_method"] = "auto"
    elif case == "tree-final":
        members = [("lr", counting), ("svc", svc)]
        params["final_estimator"] = DecisionTreeClassifier()
    else:
        members = _shared_scaler_pipelines(X_train, y_train)
        members[0] = ("lr", Pipeline([("scaler", members[1][1][0]), ("clf", counting)]))
        params["passthrough"] = True
    return counting, members, params


@pytest.mark.parametrize(
    "case, match",
    [
        (
            "tree-member",
            r"merge=True .* but member 'tree' \(DecisionTreeClassifier\) is not a "
            "linear classifier",
        ),
        (
            "probabilities",
            r"but member 'lr' \(CountingLR\) is used through predict_proba, "
            "which is not linear in X; pass stack_method='decision_function'",
        ),
        (
            "tree-final",
            r"but the final estimator \(DecisionTreeClassifier\) is not a linear",
        ),
        ("passthrough-preprocessing", r"but passthrough=True appends the raw"),
    ],
)
def test_merge_true_impossible_raises_before_any_work(data, case, match):
    X_train, y_train, X_held, y_held = data[:4]
    counting, members, params = _impossible_merge(case, X_train, y_train)
    stack = StackingMerger(members, **params)
    before = pickle.dumps(counting)
    CALLS.clear()
    with pytest.raises(ValueError, match=match):
        stack.fit(X_held, y_held)
    assert _n_predictions() == 0
    assert pickle.dumps(counting) == before
    with pytest.raises(NotFittedError):
        check_is_fitted(stack)
    # merge="auto" fits the same stack, unmerged.
    assert stack.set_params(merge="auto").fit(X_held, y_held).merged_estimator_ is None


# Sample weights and metadata routing -------------------------------------------


def test_sample_weight_reaches_the_final_estimator(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_held))
    n_classes = len(np.unique(y_held))
    stack = StackingMerger(members).fit(X_held, y_held, sample_weight=weights)
    by_hand = LogisticRegression().fit(
        _stack_by_hand(members, X_held, n_classes), y_held, sample_weight=weights
    )
    assert_allclose(
        stack.predict_proba(X_test),
        by_hand.predict_proba(_stack_by_hand(members, X_test, n_classes)),
    )


def test_metadata_routing_prefit(data, members):
    X_held, y_held, X_test = data[2], data[3], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_held))
    expected = StackingMerger(members).fit(X_held, y_held, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):
        final = LogisticRegression().set_fit_request(sample_weight=True)
        # Prefit members are never fitted: they need no request.
        stack = StackingMerger(members, final).fit(
            X_held, y_held, sample_weight=weights
        )
        assert_allclose(stack.predict_proba(X_test), expected.predict_proba(X_test))
        with pytest.raises(ValueError, match=r"sample_weight.*LogisticRegression"):
            StackingMerger(members, LogisticRegression()).fit(
                X_held, y_held, sample_weight=weights
            )


def test_metadata_routing_prefit_false(data):
    X_train, y_train, X_test = data[0], data[1], data[4]
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y_train))
    cv = StratifiedKFold(3)
    expected = StackingMerger(_unfitted(), prefit=False, cv=cv)
    expected.fit(X_train, y_train, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):

        def members():
            return [
                (name, est.set_fit_request(sample_weight=True))
                for name, est in _unfitted()
            ]

        final = LogisticRegression().set_fit_request(sample_weight=True)
        ours = StackingMerger(members(), final, prefit=False, cv=cv)
        ours.fit(X_train, y_train, sample_weight=weights)
        theirs = StackingClassifier(members(), final, cv=cv)
        theirs.fit(X_train, y_train, sample_weight=weights)
        assert_allclose(ours.predict_proba(X_test), expected.predict_proba(X_test))
        assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test))
        # A member that did not say whether it wants sample_weight.
        unset = [("lr", LogisticRegression())] + members()[1:]
        with pytest.raises(ValueError, match=r"sample_weight.*LogisticRegression"):
            StackingMerger(unset, final, prefit=False).fit(
                X_train, y_train, sample_weight=weights
            )


def test_other_metadata_needs_routing(data, members):
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing"):
        StackingMerger(members).fit(*data[2:4], groups=np.zeros(len(data[3])))


# Errors ------------------------------------------------------------------------


def _assert_fit_raises(stack, X, y, exc, match, **fit_params):
    with pytest.raises(exc, match=match):
        stack.fit(X, y, **fit_params)
    with pytest.raises(NotFittedError):
        check_is_fitted(stack)


def test_errors(data, members):
    X_train, y_train, X_held, y_held = data[:4]
    n_classes = len(np.unique(y_train))

    _assert_fit_raises(StackingMerger([]), X_held, y_held, ValueError, "non-empty list")
    _assert_fit_raises(
        StackingMerger([("a", members[0][1]), ("a", members[1][1])]),
        X_held,
        y_held,
        ValueError,
        r"Member names must be unique; got duplicates \['a'\]",
    )
    _assert_fit_raises(
        StackingMerger([("lr", members[0][1]), ("new", GaussianNB())]),
        X_held,
        y_held,
        NotFittedError,
        r"Member 'new' \(GaussianNB\) is not fitted",
    )
    other_classes = LogisticRegression().fit(X_train, y_train + 1)
    _assert_fit_raises(
        StackingMerger([members[0], ("shifted", other_classes)]),
        X_held,
        y_held,
        ValueError,
        "Members 'lr' and 'shifted' disagree on their classes",
    )
    fewer = LogisticRegression().fit(X_train[:, :4], y_train)
    _assert_fit_raises(
        StackingMerger([members[0], ("fewer", fewer)]),
        X_held,
        y_held,
        ValueError,
        "Members 'lr' and 'fewer' disagree on the number of features",
    )
    _assert_fit_raises(
        StackingMerger(members, stack_method="predict_proba"),
        X_held,
        y_held,
        ValueError,
        r"Member 'svc' \(LinearSVC\) has no `predict_proba`",
    )
    _assert_fit_raises(
        StackingMerger(members, stack_method="decision_function"),
        X_held,
        y_held,
        ValueError,
        r"Member 'tree' \(DecisionTreeClassifier\) has no `decision_function`",
    )
    y_unseen = y_held.copy()
    y_unseen[0] = 7
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        y_unseen,
        ValueError,
        r"labels the members were not trained on: \[7\]",
    )
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        np.ones_like(y_held),
        ValueError,
        "at least 2 classes",
    )
    _assert_fit_raises(
        StackingMerger(_unfitted(), prefit=False),
        X_held,
        np.ones_like(y_held),
        ValueError,
        "at least 2 classes",
    )
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        y_held[:-1],
        ValueError,
        r"one label per sample of X; got 119 labels for 120 samples",
    )
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        y_held + 0.5,
        ValueError,
        "Unknown label type",
    )
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        np.eye(n_classes)[y_held],
        NotImplementedError,
        r"binary or multiclass targets only; got a multilabel-indicator target",
    )
    _assert_fit_raises(
        StackingMerger(members, LinearRegression()),
        X_held,
        y_held,
        ValueError,
        "`final_estimator` must be a classifier; got LinearRegression",
    )
    # An error raised by the final estimator's fit, after the members' outputs.
    _assert_fit_raises(
        StackingMerger(members, KNeighborsClassifier()),
        X_held,
        y_held,
        TypeError,
        "KNeighborsClassifier does not support sample weights",
        sample_weight=np.ones(len(y_held)),
    )
    _assert_fit_raises(
        StackingMerger(members, merge="yes"),
        X_held,
        y_held,
        InvalidParameterError,
        "The 'merge' parameter of StackingMerger must be",
    )
    _assert_fit_raises(
        StackingMerger(members),
        X_held,
        y_held,
        ValueError,
        r"sample_weight.shape == \(3,\), expected \(120,\)",
        sample_weight=np.ones(3),
    )
    _assert_fit_raises(
        StackingMerger(members, passthrough=True),
        np.full(X_held.shape, "a"),
        y_held,
        ValueError,
        "dtype='numeric' is not compatible with arrays of",
    )


def test_methods_the_final_estimator_lacks_are_hidden(data, members):
    stack = StackingMerger(members, LinearSVC()).fit(*data[2:4])
    assert not hasattr(stack, "predict_proba")
    with pytest.raises(AttributeError, match="has no attribute 'predict_proba'") as exc:
        stack.predict_proba(data[4])
    assert "its final estimator (LinearSVC) does not implement it" in str(
        exc.value.__cause__
    )
    assert stack.decision_function(data[4]).shape[0] == len(data[4])


def test_unfitted_prediction_raises(members):
    stack = StackingMerger(members)
    for method in ["predict", "predict_proba", "decision_function", "transform"]:
        with pytest.raises(NotFittedError):
            getattr(stack, method)(np.zeros((2, 6)))


# stack_method="predict_log_proba" ------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("prefit", [True, False])
def test_predict_log_proba_stacks_clipped_log_probabilities(n_classes, prefit):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    X_train, y_train, X_fit, y_fit, X_test = (
        X[:100],
        y[:100],
        X[100:220],
        y[100:220],
        X[220:],
    )
    members = [
        ("lr", LogisticRegression(C=0.5)),
        ("nb", GaussianNB()),
        # a tree gives probabilities of exactly 0: clipped at 1e-12
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]

    def features(outputs):
        return np.hstack([np.log(np.clip(p, 1e-12, None)) for p in outputs])

    cv = StratifiedKFold(3)
    if prefit:
        members = [(n, clone(m).fit(X_train, y_train)) for n, m in members]
        stack = StackingMerger(members, stack_method="predict_log_proba")
        train_features = features([m.predict_proba(X_fit) for _, m in members])
        fitted = [m for _, m in members]
    else:
        stack = StackingMerger(
            members, stack_method="predict_log_proba", prefit=False, cv=cv
        )
        train_features = features(
            [
                cross_val_predict(clone(m), X_fit, y_fit, cv=cv, method="predict_proba")
                for _, m in members
            ]
        )
        fitted = [clone(m).fit(X_fit, y_fit) for _, m in members]
    stack.fit(X_fit, y_fit)
    assert stack.stack_method_ == ["predict_log_proba"] * 3
    assert stack.merged_estimator_ is None
    final = LogisticRegression().fit(train_features, y_fit)
    test_features = features([m.predict_proba(X_test) for m in fitted])
    assert_allclose(stack.transform(X_test), test_features, rtol=1e-12)
    assert stack.transform(X_test).shape[1] == 3 * n_classes  # every class
    assert_allclose(
        stack.predict_proba(X_test), final.predict_proba(test_features), rtol=1e-8
    )
    assert np.isfinite(stack.transform(X_test)).all()


def test_predict_log_proba_needs_predict_proba():
    from sklearn.datasets import make_classification
    from sklearn.svm import LinearSVC

    X, y = make_classification(n_samples=80, random_state=0)
    members = [("lr", LogisticRegression().fit(X, y)), ("svc", LinearSVC().fit(X, y))]
    with pytest.raises(
        ValueError, match=r"Member 'svc' \(LinearSVC\) has no `predict_proba`"
    ):
        StackingMerger(members, stack_method="predict_log_proba").fit(X, y)
