# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's StackingClassifier and StackingRegressor tests, ported to
StackingMerger and StackingMergerRegressor.

Every test of scikit-learn's ``sklearn/ensemble/tests/test_stacking.py`` that
concerns StackingClassifier is ported here, under its own name, with its data,
parameters and assertions. ``StackingMerger(estimators, final_estimator,
prefit=False, cv=cv, stack_method=..., passthrough=...)`` is
``StackingClassifier(estimators, final_estimator, cv=cv, stack_method=...,
passthrough=...)``: each test fits both on the same data with the same splits
and, besides scikit-learn's own assertions (made on StackingMerger), checks
that they agree: ``predict`` exactly, ``predict_proba``,
``decision_function`` and ``transform`` to 1e-10.

Where a scikit-learn assertion needed a change to apply to StackingMerger
(an error message in other words, a seed so that the two stacks can be
compared, fewer trees where only columns are counted), a comment says what
changed. Where StackingMerger differs from StackingClassifier on purpose, the
test as StackingClassifier passes it is an expected failure whose reason
quotes the StackingMerger docstring that documents the difference, and a
companion test (the same name with a suffix) checks StackingMerger's own
behaviour where there is one. A few tests at the end check behaviour that
scikit-learn's tests do not reach (routing without metadata, predict
parameters, a RandomState-seeded splitter).

The StackingRegressor tests (test_stacking_regressor_drop_estimator,
test_stacking_regressor_diabetes, test_stacking_regressor_sparse_passthrough,
test_stacking_regressor_error, and the StackingRegressor cases of the tests
shared by both classes) are ported the same way to
``StackingMergerRegressor(prefit=False)``, in the last section.
"""

import re
from unittest.mock import Mock

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    RidgeCV,
)
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import scale
from sklearn.svm import SVC, LinearSVC, LinearSVR
from sklearn.tests.metadata_routing_common import (
    ConsumingClassifier,
    ConsumingRegressor,
    _Registry,
    check_recorded_metadata,
)
from sklearn.utils._mocking import CheckingClassifier
from sklearn.utils._testing import assert_allclose_dense_sparse
from sklearn.utils.fixes import COO_CONTAINERS, CSC_CONTAINERS, CSR_CONTAINERS

from skmerge import StackingMerger, StackingMergerRegressor

# The stacks fit their members for a few iterations only, as scikit-learn's
# tests do: convergence is not what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

iris = load_iris()
X_iris, y_iris = iris.data, iris.target
X_multilabel, y_multilabel = make_multilabel_classification(
    n_classes=3, random_state=42
)

# How closely StackingMerger(prefit=False) reproduces StackingClassifier.
TOL = dict(rtol=1e-10, atol=1e-10)


def _pair(estimators, final_estimator=None, **params):
    """``(StackingMerger(prefit=False), StackingClassifier)`` with the same
    arguments."""
    ours = StackingMerger(list(estimators), final_estimator, prefit=False, **params)
    theirs = StackingClassifier(list(estimators), final_estimator, **params)
    return ours, theirs


def _assert_same_predictions(ours, theirs, X):
    """StackingMerger predicts as StackingClassifier on ``X``."""
    assert ours.stack_method_ == theirs.stack_method_
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    for method in ("predict_proba", "decision_function"):
        assert hasattr(ours, method) == hasattr(theirs, method), method
        if hasattr(theirs, method):
            assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X), **TOL)
    assert_allclose_dense_sparse(ours.transform(X), theirs.transform(X), **TOL)


def _iris_split():
    # prescale the data to avoid convergence warning without using a pipeline
    # for later assert
    return train_test_split(scale(X_iris), y_iris, stratify=y_iris, random_state=42)


# test_stacking_classifier_iris ------------------------------------------------


@pytest.mark.parametrize(
    "cv", [3, StratifiedKFold(n_splits=3, shuffle=True, random_state=42)]
)
@pytest.mark.parametrize(
    "final_estimator", [None, RandomForestClassifier(random_state=42)]
)
@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_classifier_iris(cv, final_estimator, passthrough):
    X_train, X_test, y_train, y_test = _iris_split()
    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    clf, theirs = _pair(estimators, final_estimator, cv=cv, passthrough=passthrough)
    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    clf.predict(X_test)
    clf.predict_proba(X_test)
    assert clf.score(X_test, y_test) > 0.8

    X_trans = clf.transform(X_test)
    expected_column_count = 10 if passthrough else 6
    assert X_trans.shape[1] == expected_column_count
    if passthrough:
        assert_allclose(X_test, X_trans[:, -4:])
    _assert_same_predictions(clf, theirs, X_test)

    clf.set_params(lr="drop")
    theirs.set_params(lr="drop")
    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    clf.predict(X_test)
    clf.predict_proba(X_test)
    if final_estimator is None:
        # LogisticRegression has decision_function method
        clf.decision_function(X_test)

    X_trans = clf.transform(X_test)
    expected_column_count_drop = 7 if passthrough else 3
    assert X_trans.shape[1] == expected_column_count_drop
    if passthrough:
        assert_allclose(X_test, X_trans[:, -4:])
    # LinearSVC's decision function under a LogisticRegression is one linear
    # model: StackingMerger predicts through merged_estimator_, and still as
    # StackingClassifier.
    assert (clf.merged_estimator_ is not None) == (final_estimator is None)
    _assert_same_predictions(clf, theirs, X_test)


# Dropped columns and members ----------------------------------------------------


def test_stacking_classifier_drop_column_binary_classification():
    # check that a column is dropped in binary classification
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(
        scale(X), y, stratify=y, random_state=42
    )

    # both classifiers implement 'predict_proba' and will both drop one column
    # (10 trees instead of scikit-learn's 100, to keep the test fast: the
    # columns do not depend on them)
    estimators = [
        ("lr", LogisticRegression()),
        ("rf", RandomForestClassifier(n_estimators=10, random_state=42)),
    ]
    clf, theirs = _pair(estimators, cv=3)

    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    X_trans = clf.transform(X_test)
    assert X_trans.shape[1] == 2
    _assert_same_predictions(clf, theirs, X_test)

    # LinearSVC does not implement 'predict_proba' and will not drop one column
    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    clf.set_params(estimators=estimators)
    theirs.set_params(estimators=estimators)

    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    X_trans = clf.transform(X_test)
    assert X_trans.shape[1] == 2
    _assert_same_predictions(clf, theirs, X_test)


def test_stacking_classifier_drop_estimator():
    X_train, X_test, y_train, _ = _iris_split()
    estimators = [("lr", "drop"), ("svc", LinearSVC(random_state=0))]
    rf = RandomForestClassifier(n_estimators=10, random_state=42)
    clf, theirs = _pair([("svc", LinearSVC(random_state=0))], rf, cv=5)
    clf_drop, theirs_drop = _pair(estimators, rf, cv=5)

    for stack in (clf, clf_drop, theirs, theirs_drop):
        stack.fit(X_train, y_train)
    assert_allclose(clf.predict(X_test), clf_drop.predict(X_test))
    assert_allclose(clf.predict_proba(X_test), clf_drop.predict_proba(X_test))
    assert_allclose(clf.transform(X_test), clf_drop.transform(X_test))
    _assert_same_predictions(clf, theirs, X_test)
    _assert_same_predictions(clf_drop, theirs_drop, X_test)


@pytest.mark.parametrize(
    "sparse_container", COO_CONTAINERS + CSC_CONTAINERS + CSR_CONTAINERS
)
def test_stacking_classifier_sparse_passthrough(sparse_container):
    # Check passthrough behavior on a sparse X matrix
    X_train, X_test, y_train, _ = train_test_split(
        sparse_container(scale(X_iris)), y_iris, random_state=42
    )
    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    rf = RandomForestClassifier(n_estimators=10, random_state=42)
    clf, theirs = _pair(estimators, rf, cv=5, passthrough=True)
    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    X_trans = clf.transform(X_test)
    assert_allclose_dense_sparse(X_test, X_trans[:, -4:])
    assert sparse.issparse(X_trans)
    assert X_test.format == X_trans.format
    assert theirs.transform(X_test).format == X_trans.format
    _assert_same_predictions(clf, theirs, X_test)


def test_stacking_classifier_drop_binary_prob():
    # check that classifier will drop one of the probability column for
    # binary classification problem

    # Select only the 2 first classes
    X_, y_ = scale(X_iris[:100]), y_iris[:100]

    # random_state (not in scikit-learn's test) so that the forests of both
    # stacks are the same and their predictions can be compared; 10 trees
    # instead of 100, to keep the test fast (the columns do not depend on them).
    estimators = [
        ("lr", LogisticRegression()),
        ("rf", RandomForestClassifier(n_estimators=10, random_state=0)),
    ]
    clf, theirs = _pair(estimators)
    clf.fit(X_, y_)
    theirs.fit(X_, y_)
    X_meta = clf.transform(X_)
    assert X_meta.shape[1] == 2
    _assert_same_predictions(clf, theirs, X_)


# Errors -------------------------------------------------------------------------


class NoWeightClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.clf = DummyClassifier(strategy="stratified")
        return self.clf.fit(X, y)


class NoWeightProbaClassifier(NoWeightClassifier):
    """NoWeightClassifier with the predict and predict_proba a stacked member
    needs."""

    def predict(self, X):
        return self.clf.predict(X)

    def predict_proba(self, X):
        return self.clf.predict_proba(X)


@pytest.mark.parametrize(
    "y, params, type_err, msg_err, our_msg_err",
    [
        (
            y_iris,
            {"estimators": []},
            ValueError,
            "Invalid 'estimators' attribute,",
            "`estimators` must be a non-empty list",
        ),
        (
            y_iris,
            {
                "estimators": [
                    ("lr", LogisticRegression()),
                    ("svm", SVC(max_iter=50_000)),
                ],
                "stack_method": "predict_proba",
            },
            ValueError,
            "does not implement the method predict_proba",
            r"Member 'svm' \(SVC\) has no `predict_proba`",
        ),
        pytest.param(
            y_iris,
            {
                "estimators": [
                    ("lr", LogisticRegression()),
                    ("cor", NoWeightClassifier()),
                ]
            },
            TypeError,
            "does not support sample weight",
            "sample_weight",
            marks=pytest.mark.xfail(
                strict=True,
                raises=ValueError,
                reason=(
                    "on purpose: StackingMerger documents for stack_method 'A "
                    "member without the method is refused, naming it, before "
                    "any member is fitted.'; StackingClassifier first fits it "
                    "and fails on sample_weight with a TypeError"
                ),
            ),
            id="member-without-sample-weight",
        ),
        pytest.param(
            # scikit-learn's case above, with a member that can be stacked.
            y_iris,
            {
                "estimators": [
                    ("lr", LogisticRegression()),
                    ("cor", NoWeightProbaClassifier()),
                ]
            },
            TypeError,
            "does not support sample weight",
            "sample_weight",
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "StackingMerger.fit: sample_weight goes to 'the fits of the "
                    "members that take it; the others are warned about, as "
                    ":class:`~sklearn.calibration.CalibratedClassifierCV` does'"
                ),
            ),
            id="stackable-member-without-sample-weight",
        ),
        (
            y_iris,
            {
                "estimators": [
                    ("lr", LogisticRegression()),
                    ("cor", LinearSVC(max_iter=50_000)),
                ],
                "final_estimator": NoWeightClassifier(),
            },
            TypeError,
            "does not support sample weight",
            "does not support sample weight",
        ),
    ],
)
def test_stacking_classifier_error(y, params, type_err, msg_err, our_msg_err):
    # StackingClassifier's error, then StackingMerger's: the same exception
    # type, with a message of its own (our_msg_err).
    with pytest.raises(type_err, match=msg_err):
        clf = StackingClassifier(**params, cv=3)
        clf.fit(scale(X_iris), y, sample_weight=np.ones(X_iris.shape[0]))
    with pytest.raises(type_err, match=our_msg_err):
        clf = StackingMerger(**params, prefit=False, cv=3)
        clf.fit(scale(X_iris), y, sample_weight=np.ones(X_iris.shape[0]))


def test_member_without_sample_weight_is_warned_about_and_fitted_unweighted():
    # The companion of the expected failure above: as CalibratedClassifierCV,
    # a warning, then the member is fitted without the weights while the final
    # estimator gets them.
    X, y = scale(X_iris), y_iris
    sample_weight = np.random.RandomState(0).uniform(size=len(y))
    members = [("lr", LogisticRegression()), ("knn", KNeighborsClassifier())]
    cv = StratifiedKFold(3)
    with pytest.warns(UserWarning, match="'knn'.*does not appear to accept"):
        stack = StackingMerger(members, prefit=False, cv=cv).fit(
            X, y, sample_weight=sample_weight
        )
    # By hand: out-of-fold outputs, the LogisticRegression fitted with the
    # weights, the neighbours without; the final estimator with the weights.
    oof = np.hstack(
        [
            cross_val_predict(
                LogisticRegression(),
                X,
                y,
                cv=cv,
                method="predict_proba",
                params={"sample_weight": sample_weight},
            ),
            cross_val_predict(
                KNeighborsClassifier(), X, y, cv=cv, method="predict_proba"
            ),
        ]
    )
    final = LogisticRegression().fit(oof, y, sample_weight=sample_weight)
    assert_allclose(stack.final_estimator_.coef_, final.coef_, **TOL)


# Splits -----------------------------------------------------------------------


def test_stacking_randomness():
    # checking that fixing the random state of the CV will lead to the same
    # results
    X, y = X_iris[:100], y_iris[:100]  # keep only classes 0 and 1
    estimators = [
        ("first", LogisticRegression(random_state=0)),
        ("second", LinearSVC(random_state=0)),
    ]
    transforms = {}
    for Stacker, params in (
        (StackingClassifier, {}),
        (StackingMerger, {"prefit": False}),
    ):
        estimator_full = Stacker(list(estimators), **params)
        estimator_full.set_params(
            cv=KFold(shuffle=True, random_state=np.random.RandomState(0))
        )

        estimator_drop = Stacker(list(estimators), **params)
        estimator_drop.set_params(first="drop")
        estimator_drop.set_params(
            cv=KFold(shuffle=True, random_state=np.random.RandomState(0))
        )

        transforms[Stacker] = estimator_full.fit(X, y).transform(X)
        assert_allclose(
            transforms[Stacker][:, 1:],
            estimator_drop.fit(X, y).transform(X),
        )
    assert_allclose(transforms[StackingMerger], transforms[StackingClassifier], **TOL)


@pytest.mark.parametrize("Splitter", [StratifiedKFold, KFold])
def test_random_state_instance_splitter_same_folds_for_every_member(
    Splitter,
):
    # StackingClassifier deep-copies the splitter for each member: every member
    # sees the folds of the splitter's RandomState as it was given, and that
    # RandomState is left as it was. (test_stacking_randomness does not see
    # this: transform uses the members refitted on all of X, which no split
    # changes.)
    X_train, X_test, y_train, _ = _iris_split()

    def splitter():
        return Splitter(n_splits=3, shuffle=True, random_state=np.random.RandomState(0))

    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    cv = splitter()
    ours = StackingMerger(estimators, prefit=False, cv=cv).fit(X_train, y_train)
    theirs = StackingClassifier(estimators, cv=splitter()).fit(X_train, y_train)
    _assert_same_predictions(ours, theirs, X_test)
    fresh = np.random.RandomState(0).get_state()
    for ours_state, fresh_state in zip(cv.random_state.get_state(), fresh):
        assert_array_equal(ours_state, fresh_state)


def test_stacking_classifier_stratify_default():
    # check that we stratify the classes for the default CV
    estimators = [
        ("lr", LogisticRegression(max_iter=10_000)),
        ("svm", LinearSVC(max_iter=10_000)),
    ]
    clf, theirs = _pair(estimators)
    # since iris is not shuffled, a simple k-fold would not contain the
    # 3 classes during training
    clf.fit(X_iris, y_iris)
    theirs.fit(X_iris, y_iris)
    _assert_same_predictions(clf, theirs, X_iris)


@pytest.mark.xfail(
    strict=True,
    raises=NotFittedError,
    reason="on purpose: StackingMerger's docstring says 'With ``prefit=True`` (the "
    "default) the members are already fitted and never refitted or modified'",
)
def test_stacking_classifier_stratify_default_with_default_prefit():
    # test_stacking_classifier_stratify_default with every default, as
    # StackingClassifier has them: it fits its members.
    estimators = [
        ("lr", LogisticRegression(max_iter=10_000)),
        ("svm", LinearSVC(max_iter=10_000)),
    ]
    theirs = StackingClassifier(estimators).fit(X_iris, y_iris)
    clf = StackingMerger(estimators).fit(X_iris, y_iris)
    _assert_same_predictions(clf, theirs, X_iris)


# Sample weights --------------------------------------------------------------------


def test_stacking_with_sample_weight():
    # check that sample weights has an influence on the fitting
    X, y = load_breast_cancer(return_X_y=True)
    n_half_samples = len(y) // 2
    total_sample_weight = np.array(
        [0.1] * n_half_samples + [0.9] * (len(y) - n_half_samples)
    )
    X_train, X_test, y_train, _, sample_weight_train, _ = train_test_split(
        X, y, total_sample_weight, random_state=42
    )
    stacker, theirs = _pair(
        [("lr", LogisticRegression()), ("svm", LinearSVC(random_state=42))],
        LogisticRegression(),
        cv=KFold(shuffle=True, random_state=42),
    )

    stacker.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    y_pred_no_weight = stacker.predict(X_test)
    _assert_same_predictions(stacker, theirs, X_test)

    stacker.fit(X_train, y_train, sample_weight=np.ones(y_train.shape))
    theirs.fit(X_train, y_train, sample_weight=np.ones(y_train.shape))
    y_pred_unit_weight = stacker.predict(X_test)
    _assert_same_predictions(stacker, theirs, X_test)

    assert_allclose(y_pred_no_weight, y_pred_unit_weight)

    stacker.fit(X_train, y_train, sample_weight=sample_weight_train)
    theirs.fit(X_train, y_train, sample_weight=sample_weight_train)
    y_pred_biased = stacker.predict(X_test)
    _assert_same_predictions(stacker, theirs, X_test)

    assert np.abs(y_pred_no_weight - y_pred_biased).sum() > 0


def test_stacking_classifier_sample_weight_fit_param():
    # check sample_weight is passed to all invocations of fit
    # random_state (not in scikit-learn's test): CheckingClassifier's
    # predict_proba is random, and both stacks must see the same outputs.
    stacker, theirs = _pair(
        [("lr", CheckingClassifier(expected_sample_weight=True, random_state=0))],
        CheckingClassifier(expected_sample_weight=True, random_state=0),
    )
    stacker.fit(X_iris, y_iris, sample_weight=np.ones(X_iris.shape[0]))
    theirs.fit(X_iris, y_iris, sample_weight=np.ones(X_iris.shape[0]))
    _assert_same_predictions(stacker, theirs, X_iris)


def test_stacking_cv_influence():
    # check that the stacking affects the fit of the final estimator but not
    # the fit of the base estimators
    X, y = load_breast_cancer(return_X_y=True)
    estimators = [("lr", LogisticRegression()), ("svm", LinearSVC(random_state=42))]
    stacker_cv_3, theirs_cv_3 = _pair(estimators, LogisticRegression(), cv=3)
    stacker_cv_5, theirs_cv_5 = _pair(estimators, LogisticRegression(), cv=5)

    for stacker in (stacker_cv_3, stacker_cv_5, theirs_cv_3, theirs_cv_5):
        stacker.fit(X, y)

    # the base estimators should be identical
    for est_cv_3, est_cv_5 in zip(stacker_cv_3.estimators_, stacker_cv_5.estimators_):
        assert_allclose(est_cv_3.coef_, est_cv_5.coef_)

    # the final estimator should be different
    with pytest.raises(AssertionError, match="Not equal"):
        assert_allclose(
            stacker_cv_3.final_estimator_.coef_, stacker_cv_5.final_estimator_.coef_
        )
    _assert_same_predictions(stacker_cv_3, theirs_cv_3, X)
    _assert_same_predictions(stacker_cv_5, theirs_cv_5, X)


# Prefit members ----------------------------------------------------------------


def _prefit_split():
    return train_test_split(X_iris, y_iris, random_state=42, test_size=0.5)


def test_stacking_prefit():
    """Check the behaviour of stacking when `cv='prefit'`: StackingMerger's
    ``prefit=True`` (its default)."""
    X_train1, X_train2, y_train1, y_train2 = _prefit_split()
    stack_method = "predict_proba"
    estimators = [
        ("d0", DummyClassifier().fit(X_train1, y_train1)),
        ("d1", DummyClassifier().fit(X_train1, y_train1)),
    ]

    # mock out fit and stack_method to be asserted later
    for _, estimator in estimators:
        estimator.fit = Mock(name="fit")
        stack_func = getattr(estimator, stack_method)
        predict_method_mocked = Mock(side_effect=stack_func)
        # Mocking a method will not provide a `__name__` while Python methods
        # do and we are using it in `_get_response_method`.
        predict_method_mocked.__name__ = stack_method
        setattr(estimator, stack_method, predict_method_mocked)

    stacker = StackingMerger(
        estimators=estimators,
        prefit=True,
        final_estimator=LogisticRegression(random_state=42),
    )
    stacker.fit(X_train2, y_train2)

    assert stacker.estimators_ == [estimator for _, estimator in estimators]
    # fit was not called again
    assert all(estimator.fit.call_count == 0 for estimator in stacker.estimators_)

    # stack method is called with the proper inputs
    for estimator in stacker.estimators_:
        stack_func_mock = getattr(estimator, stack_method)
        stack_func_mock.assert_called_with(X_train2)

    theirs = StackingClassifier(
        estimators=estimators,
        cv="prefit",
        final_estimator=LogisticRegression(random_state=42),
    ).fit(X_train2, y_train2)
    _assert_same_predictions(stacker, theirs, X_train1)


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="on purpose: StackingMerger's docstring says 'prefit : bool, "
    "default=True  Whether the members are already fitted.' and 'cv : int, "
    "cross-validation generator or iterable, default=5  The splits giving the "
    "out-of-fold outputs when ``prefit=False`` (ignored otherwise)'",
)
def test_stacking_prefit_spelled_cv_prefit():
    # StackingClassifier's spelling of prefit members: cv="prefit".
    X_train1, X_train2, y_train1, y_train2 = _prefit_split()
    estimators = [
        ("d0", DummyClassifier().fit(X_train1, y_train1)),
        ("d1", DummyClassifier().fit(X_train1, y_train1)),
    ]
    final = LogisticRegression(random_state=42)
    theirs = StackingClassifier(estimators, final, cv="prefit")
    ours = StackingMerger(estimators, final, cv="prefit")
    theirs.fit(X_train2, y_train2)
    ours.fit(X_train2, y_train2)
    _assert_same_predictions(ours, theirs, X_train1)


@pytest.mark.xfail(
    strict=True,
    reason="on purpose: StackingMerger's docstring says 'a clone keeps the fitted "
    "members, so tuning ``final_estimator__C`` in "
    ":class:`~sklearn.model_selection.GridSearchCV` fits no member'",
)
def test_stacking_prefit_clone_has_unfitted_members():
    # A clone of StackingClassifier(cv="prefit") holds unfitted clones of the
    # members, so fitting it raises NotFittedError.
    X_train1, X_train2, y_train1, y_train2 = _prefit_split()
    estimators = [
        ("d0", DummyClassifier().fit(X_train1, y_train1)),
        ("d1", DummyClassifier().fit(X_train1, y_train1)),
    ]
    with pytest.raises(NotFittedError):
        clone(StackingClassifier(estimators, cv="prefit")).fit(X_train2, y_train2)
    with pytest.raises(NotFittedError):
        clone(StackingMerger(estimators)).fit(X_train2, y_train2)


def test_stacking_prefit_error():
    # check that NotFittedError is raised
    # if base estimators are not fitted when cv="prefit" (prefit=True)
    estimators = [("lr", LogisticRegression()), ("svm", SVC())]
    with pytest.raises(NotFittedError):
        StackingClassifier(estimators=estimators, cv="prefit").fit(X_iris, y_iris)
    with pytest.raises(NotFittedError):
        StackingMerger(estimators=estimators, prefit=True).fit(X_iris, y_iris)


# Attributes ----------------------------------------------------------------------


def test_stacking_without_n_features_in():
    # Stacking supports estimators without `n_features_in_`.

    class MyEstimator(LogisticRegression):
        """Estimator without n_features_in_"""

        def fit(self, X, y):
            super().fit(X, y)
            del self.n_features_in_

    X, y = make_classification(random_state=0, n_samples=100)
    stacker, theirs = _pair([("lr", MyEstimator())])

    # scikit-learn's messages, then StackingMerger's (Python's own).
    msg = "StackingClassifier object has no attribute n_features_in_"
    with pytest.raises(AttributeError, match=msg):
        _ = theirs.n_features_in_
    msg = "'StackingMerger' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = stacker.n_features_in_

    # Does not raise
    stacker.fit(X, y)
    theirs.fit(X, y)

    msg = "'MyEstimator' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = theirs.n_features_in_
    msg = "'StackingMerger' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = stacker.n_features_in_
    _assert_same_predictions(stacker, theirs, X)


# Multilabel targets -------------------------------------------------------------

_MULTILABEL = pytest.mark.xfail(
    strict=True,
    raises=NotImplementedError,
    reason="on purpose: StackingMerger.fit's docstring says 'y : array-like of "
    "shape (n_samples,)  Target labels: binary or multiclass.'",
)


def _multilabel_split():
    return train_test_split(
        X_multilabel, y_multilabel, stratify=y_multilabel, random_state=42
    )


@_MULTILABEL
@pytest.mark.parametrize(
    "estimator",
    [
        # output a 2D array of the probability of the positive class for each output
        MLPClassifier(random_state=42),
        # output a list of 2D array containing the probability of each class
        # for each output
        RandomForestClassifier(random_state=42),
    ],
    ids=["MLPClassifier", "RandomForestClassifier"],
)
def test_stacking_classifier_multilabel_predict_proba(estimator):
    """Check the behaviour for the multilabel classification case and the
    `predict_proba` stacking method."""
    X_train, X_test, y_train, y_test = _multilabel_split()
    n_outputs = 3

    estimators = [("est", estimator)]
    stacker, theirs = _pair(
        estimators, KNeighborsClassifier(), stack_method="predict_proba"
    )
    stacker.fit(X_train, y_train)

    X_trans = stacker.transform(X_test)
    assert X_trans.shape == (X_test.shape[0], n_outputs)
    # we should not have any collinear classes and thus nothing should sum to 1
    assert not any(np.isclose(X_trans.sum(axis=1), 1.0))

    y_pred = stacker.predict(X_test)
    assert y_pred.shape == y_test.shape
    _assert_same_predictions(stacker, theirs.fit(X_train, y_train), X_test)


@_MULTILABEL
def test_stacking_classifier_multilabel_decision_function():
    """Check the behaviour for the multilabel classification case and the
    `decision_function` stacking method. Only `RidgeClassifier` supports this
    case.
    """
    X_train, X_test, y_train, y_test = _multilabel_split()
    n_outputs = 3

    estimators = [("est", RidgeClassifier())]
    stacker, theirs = _pair(
        estimators, KNeighborsClassifier(), stack_method="decision_function"
    )
    stacker.fit(X_train, y_train)

    X_trans = stacker.transform(X_test)
    assert X_trans.shape == (X_test.shape[0], n_outputs)

    y_pred = stacker.predict(X_test)
    assert y_pred.shape == y_test.shape
    _assert_same_predictions(stacker, theirs.fit(X_train, y_train), X_test)


@_MULTILABEL
@pytest.mark.parametrize("stack_method", ["auto", "predict"])
@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_classifier_multilabel_auto_predict(stack_method, passthrough):
    """Check the behaviour for the multilabel classification case for stack methods
    supported for all estimators or automatically picked up.
    """
    X_train, X_test, y_train, y_test = _multilabel_split()
    y_train_before_fit = y_train.copy()
    n_outputs = 3

    estimators = [
        ("mlp", MLPClassifier(random_state=42)),
        ("rf", RandomForestClassifier(random_state=42)),
        ("ridge", RidgeClassifier()),
    ]
    clf, theirs = _pair(
        estimators,
        KNeighborsClassifier(),
        passthrough=passthrough,
        stack_method=stack_method,
    )
    clf.fit(X_train, y_train)

    # make sure we don't change `y_train` inplace
    assert_array_equal(y_train_before_fit, y_train)

    y_pred = clf.predict(X_test)
    assert y_pred.shape == y_test.shape

    if stack_method == "auto":
        expected_stack_methods = ["predict_proba", "predict_proba", "decision_function"]
    else:
        expected_stack_methods = ["predict"] * len(estimators)
    assert clf.stack_method_ == expected_stack_methods

    n_features_X_trans = n_outputs * len(estimators)
    if passthrough:
        n_features_X_trans += X_train.shape[1]
    X_trans = clf.transform(X_test)
    assert X_trans.shape == (X_test.shape[0], n_features_X_trans)

    assert_array_equal(clf.classes_, [np.array([0, 1])] * n_outputs)
    _assert_same_predictions(clf, theirs.fit(X_train, y_train), X_test)


# Feature names -------------------------------------------------------------------

_FEATURE_NAMES_CASES = [
    pytest.param(
        [
            ("lr", LogisticRegression(random_state=0)),
            ("svm", LinearSVC(random_state=0)),
        ],
        X_iris,
        y_iris,
        [
            "stackingclassifier_lr0",
            "stackingclassifier_lr1",
            "stackingclassifier_lr2",
            "stackingclassifier_svm0",
            "stackingclassifier_svm1",
            "stackingclassifier_svm2",
        ],
        id="StackingClassifier_multiclass",
    ),
    pytest.param(
        [
            ("lr", LogisticRegression(random_state=0)),
            ("other", "drop"),
            ("svm", LinearSVC(random_state=0)),
        ],
        X_iris[:100],
        y_iris[:100],  # keep only classes 0 and 1
        [
            "stackingclassifier_lr",
            "stackingclassifier_svm",
        ],
        id="StackingClassifier_binary",
    ),
]


def _fit_for_feature_names(estimators, X, y, passthrough):
    stacker, theirs = _pair(estimators, passthrough=passthrough)
    stacker.fit(scale(X), y)
    theirs.fit(scale(X), y)
    _assert_same_predictions(stacker, theirs, scale(X))
    return stacker, theirs


@pytest.mark.xfail(
    strict=True,
    reason="on purpose: StackingMerger.get_feature_names_out's docstring says "
    "'``stackingmerger_<member><column>`` (no column number for a member with one "
    "column), then the input features with ``passthrough=True``.'",
)
@pytest.mark.parametrize("estimators, X, y, expected_names", _FEATURE_NAMES_CASES)
@pytest.mark.parametrize("passthrough", [True, False])
def test_get_feature_names_out(estimators, X, y, expected_names, passthrough):
    """Check get_feature_names_out works for stacking."""
    feature_names = iris.feature_names
    stacker, _ = _fit_for_feature_names(estimators, X, y, passthrough)

    if passthrough:
        expected_names = np.concatenate((expected_names, feature_names))

    names_out = stacker.get_feature_names_out(feature_names)
    assert_array_equal(names_out, expected_names)


@pytest.mark.parametrize("estimators, X, y, expected_names", _FEATURE_NAMES_CASES)
@pytest.mark.parametrize("passthrough", [True, False])
def test_get_feature_names_out_with_stackingmerger_prefix(
    estimators, X, y, expected_names, passthrough
):
    # test_get_feature_names_out with StackingMerger's prefix.
    feature_names = iris.feature_names
    stacker, theirs = _fit_for_feature_names(estimators, X, y, passthrough)
    expected_names = [
        name.replace("stackingclassifier_", "stackingmerger_")
        for name in expected_names
    ]
    if passthrough:
        expected_names = np.concatenate((expected_names, feature_names))

    names_out = stacker.get_feature_names_out(feature_names)
    assert_array_equal(names_out, expected_names)
    assert_array_equal(
        [name.replace("stackingmerger_", "") for name in names_out],
        [
            name.replace("stackingclassifier_", "")
            for name in theirs.get_feature_names_out(feature_names)
        ],
    )


# Members and final estimator ---------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="on purpose: StackingMerger's docstring says 'estimators : list of "
    "(str, estimator) tuples or list of estimators  The members: fitted "
    "classifiers with ``prefit=True``, classifiers to fit otherwise.'",
)
def test_stacking_classifier_base_regressor():
    """Check that a regressor can be used as the first layer in `StackingClassifier`."""
    X_train, X_test, y_train, y_test = _iris_split()
    clf, theirs = _pair([("ridge", Ridge())])
    clf.fit(X_train, y_train)
    clf.predict(X_test)
    clf.predict_proba(X_test)
    assert clf.score(X_test, y_test) > 0.8
    _assert_same_predictions(clf, theirs.fit(X_train, y_train), X_test)


def test_stacking_final_estimator_attribute_error():
    """Check that we raise the proper AttributeError when the final estimator
    does not implement the `decision_function` method, which is decorated with
    `available_if`.
    """
    X, y = make_classification(random_state=42)

    estimators = [
        ("lr", LogisticRegression()),
        ("rf", RandomForestClassifier(n_estimators=2, random_state=42)),
    ]
    # RandomForestClassifier does not implement 'decision_function' and should raise
    # an AttributeError
    final_estimator = RandomForestClassifier(n_estimators=2, random_state=42)
    clf, theirs = _pair(estimators, final_estimator, cv=3)

    outer_msg = "This 'StackingMerger' has no attribute 'decision_function'"
    with pytest.raises(AttributeError, match=outer_msg) as exec_info:
        clf.fit(X, y).decision_function(X)
    assert isinstance(exec_info.value.__cause__, AttributeError)
    # scikit-learn's inner message is "'RandomForestClassifier' object has no
    # attribute 'decision_function'"; StackingMerger's names the same two things.
    inner_msg = "its final estimator (RandomForestClassifier) does not implement it"
    assert "`decision_function`" in str(exec_info.value.__cause__)
    assert inner_msg in str(exec_info.value.__cause__)
    _assert_same_predictions(clf, theirs.fit(X, y), X)


# Metadata routing ------------------------------------------------------------------


def test_routing_passed_metadata_not_supported():
    """Test that the right error message is raised when metadata is passed while
    not supported when `enable_metadata_routing=False`."""

    with pytest.raises(
        ValueError, match="is only supported if enable_metadata_routing=True"
    ):
        StackingMerger(["clf", ConsumingClassifier()], prefit=False).fit(
            X_iris, y_iris, sample_weight=[1, 1, 1, 1, 1], metadata="a"
        )


@pytest.mark.parametrize("prefit", [False, True])
@config_context(enable_metadata_routing=True)
def test_get_metadata_routing_without_fit(prefit):
    # Test that metadata_routing() doesn't raise when called before fit.
    est = StackingMerger([("sub_est", ConsumingClassifier())], prefit=prefit)
    est.get_metadata_routing()


def _routed_stacks(
    prop,
    final_requests,
    stackers=(StackingMerger, StackingClassifier),
    child=ConsumingClassifier,
):
    """StackingMerger(prefit=False) and StackingClassifier (or the ``stackers``
    given) over ``child`` members that request ``prop`` in fit, and a
    final estimator with ``final_requests``."""

    def stack(Stacker, **params):
        final = child(registry=_Registry())
        for request in final_requests:
            getattr(final, request)(**{prop: True})
        return Stacker(
            [
                (
                    "sub_est1",
                    child(registry=_Registry()).set_fit_request(**{prop: True}),
                ),
                (
                    "sub_est2",
                    child(registry=_Registry()).set_fit_request(**{prop: True}),
                ),
            ],
            final_estimator=final,
            **params,
        )

    ours, theirs = stackers
    return stack(ours, prefit=False), stack(theirs)


def _check_members_recorded_fit(est, prop, prop_value):
    for estimator in est.estimators_:
        registry = estimator.registry
        assert len(registry)
        check_recorded_metadata(
            obj=estimator,
            method="fit",
            parent="fit",
            split_params=(prop,),
            **{prop: prop_value},
        )


_PROPS = pytest.mark.parametrize(
    "prop, prop_value", [("sample_weight", np.ones(X_iris.shape[0])), ("metadata", "a")]
)


@_PROPS
@pytest.mark.xfail(
    strict=True,
    raises=UnsetMetadataPassedError,
    reason="on purpose: StackingMerger.fit's docstring says 'With metadata routing "
    "enabled (``sklearn.set_config(enable_metadata_routing=True)``), any metadata, "
    "routed to the final estimator's ``fit`` and, with ``prefit=False``, the "
    "members' ``fit`` as they request it.' (StackingClassifier passes all fit "
    "metadata to its final estimator's fit, requested or not)",
)
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators(prop, prop_value):
    """Test that metadata is routed correctly for Stacking*."""
    est, _ = _routed_stacks(prop, ["set_predict_request"])

    est.fit(X_iris, y_iris, **{prop: prop_value})
    _check_members_recorded_fit(est, prop, prop_value)

    est.predict(X_iris, **{prop: prop_value})

    registry = est.final_estimator_.registry
    assert len(registry)
    check_recorded_metadata(
        obj=est.final_estimator_,
        method="predict",
        parent="predict",
        split_params=(prop,),
        **{prop: prop_value},
    )


@_PROPS
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators_fit(prop, prop_value):
    # test_metadata_routing_for_stacking_estimators's fit, with a final
    # estimator that requests the metadata in fit (StackingMerger routes it
    # there only then; StackingClassifier always passes it).
    est, theirs = _routed_stacks(prop, ["set_predict_request", "set_fit_request"])

    est.fit(X_iris, y_iris, **{prop: prop_value})
    theirs.fit(X_iris, y_iris, **{prop: prop_value})
    _check_members_recorded_fit(est, prop, prop_value)
    check_recorded_metadata(
        obj=est.final_estimator_, method="fit", parent="fit", **{prop: prop_value}
    )
    assert est.stack_method_ == theirs.stack_method_
    assert_array_equal(est.predict(X_iris), theirs.predict(X_iris))


@_PROPS
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators_predict(prop, prop_value):
    # test_metadata_routing_for_stacking_estimators's predict.
    est, _ = _routed_stacks(prop, ["set_predict_request", "set_fit_request"])
    est.fit(X_iris, y_iris, **{prop: prop_value})

    y_pred = est.predict(X_iris, **{prop: prop_value})

    registry = est.final_estimator_.registry
    assert len(registry)
    check_recorded_metadata(
        obj=est.final_estimator_,
        method="predict",
        parent="predict",
        split_params=(prop,),
        **{prop: prop_value},
    )
    assert y_pred.shape == y_iris.shape


def test_predict_params_reach_the_final_estimator_without_routing():
    # With routing disabled StackingClassifier passes **predict_params to its
    # final estimator's predict as they are.
    X_train, X_test, y_train, _ = _iris_split()
    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    ours, theirs = _pair(estimators, ConsumingClassifier(), cv=3)
    ours.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    y_pred = ours.predict(X_test, metadata="a")
    check_recorded_metadata(
        obj=ours.final_estimator_, method="predict", parent="predict", metadata="a"
    )
    assert_array_equal(y_pred, theirs.predict(X_test, metadata="a"))


@config_context(enable_metadata_routing=True)
def test_metadata_routing_error_for_stacking_estimators():
    """Test that the right error is raised when metadata is not requested."""
    sample_weight, metadata = np.ones(X_iris.shape[0]), "a"

    est = StackingMerger([("sub_est", ConsumingClassifier())], prefit=False)

    error_message = (
        "[sample_weight, metadata] are passed but are not explicitly set as requested"
        " or not requested for ConsumingClassifier.fit"
    )

    with pytest.raises(ValueError, match=re.escape(error_message)):
        est.fit(X_iris, y_iris, sample_weight=sample_weight, metadata=metadata)


@config_context(enable_metadata_routing=True)
def test_routing_enabled_fit_without_metadata():
    # StackingClassifier fits with routing enabled and no metadata, as it does
    # with routing disabled.
    X_train, X_test, y_train, _ = _iris_split()
    estimators = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    ours, theirs = _pair(estimators, cv=3)
    theirs.fit(X_train, y_train)
    ours.fit(X_train, y_train)
    _assert_same_predictions(ours, theirs, X_test)


# StackingRegressor ------------------------------------------------------------------
#
# scikit-learn's StackingRegressor tests (and the StackingRegressor cases of
# the tests shared by both classes, under the shared test's name with
# `_regressor`), ported to StackingMergerRegressor(prefit=False), which is
# StackingRegressor(estimators, final_estimator, cv=cv, passthrough=...):
# each test fits both and, besides scikit-learn's assertions, checks that
# they agree (predict and transform to 1e-10).

diabetes = load_diabetes()
X_diabetes, y_diabetes = diabetes.data, diabetes.target


def _pair_regressor(estimators, final_estimator=None, **params):
    """``(StackingMergerRegressor(prefit=False), StackingRegressor)`` with the
    same arguments."""
    ours = StackingMergerRegressor(
        list(estimators), final_estimator, prefit=False, **params
    )
    theirs = StackingRegressor(list(estimators), final_estimator, **params)
    return ours, theirs


def _assert_same_regression(ours, theirs, X):
    """StackingMergerRegressor predicts as StackingRegressor on ``X``."""
    assert ours.stack_method_ == theirs.stack_method_
    assert_allclose(ours.predict(X), theirs.predict(X), **TOL)
    assert_allclose_dense_sparse(ours.transform(X), theirs.transform(X), **TOL)


def _diabetes_split(X=None):
    # prescale the data to avoid convergence warning without using a pipeline
    # for later assert
    X = scale(X_diabetes) if X is None else X
    return train_test_split(X, y_diabetes, random_state=42)


def test_stacking_regressor_drop_estimator():
    X_train, X_test, y_train, _ = _diabetes_split()
    estimators = [("lr", "drop"), ("ridge", Ridge(alpha=1.0))]
    rf = RandomForestRegressor(n_estimators=10, random_state=42)
    reg, theirs = _pair_regressor([("ridge", Ridge(alpha=1.0))], rf, cv=5)
    reg_drop, theirs_drop = _pair_regressor(estimators, rf, cv=5)

    for stack in (reg, reg_drop, theirs, theirs_drop):
        stack.fit(X_train, y_train)
    assert_allclose(reg.predict(X_test), reg_drop.predict(X_test))
    assert_allclose(reg.transform(X_test), reg_drop.transform(X_test))
    _assert_same_regression(reg, theirs, X_test)
    _assert_same_regression(reg_drop, theirs_drop, X_test)


@pytest.mark.parametrize("cv", [3, KFold(n_splits=3, shuffle=True, random_state=42)])
@pytest.mark.parametrize(
    "final_estimator, predict_params",
    [
        (None, {}),
        (RandomForestRegressor(random_state=42), {}),
        (DummyRegressor(), {"return_std": True}),
    ],
)
@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_regressor_diabetes(cv, final_estimator, predict_params, passthrough):
    X_train, X_test, y_train, _ = _diabetes_split()
    # random_state (not in scikit-learn's test): LinearSVR's solver is random,
    # and both stacks must fit the same members.
    estimators = [("lr", LinearRegression()), ("svr", LinearSVR(random_state=0))]
    reg, theirs = _pair_regressor(
        estimators, final_estimator, cv=cv, passthrough=passthrough
    )
    reg.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    result = reg.predict(X_test, **predict_params)
    expected_result_length = 2 if predict_params else 1
    if predict_params:
        assert len(result) == expected_result_length
        for ours_part, theirs_part in zip(
            result, theirs.predict(X_test, **predict_params), strict=True
        ):
            assert_allclose(ours_part, theirs_part, **TOL)

    X_trans = reg.transform(X_test)
    expected_column_count = 12 if passthrough else 2
    assert X_trans.shape[1] == expected_column_count
    if passthrough:
        assert_allclose(X_test, X_trans[:, -10:])
    # Two linear members under a linear final estimator: one merged model,
    # which predicts as StackingRegressor.
    assert (reg.merged_estimator_ is not None) == (final_estimator is None)
    _assert_same_regression(reg, theirs, X_test)

    reg.set_params(lr="drop")
    theirs.set_params(lr="drop")
    reg.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    reg.predict(X_test)

    X_trans = reg.transform(X_test)
    expected_column_count_drop = 11 if passthrough else 1
    assert X_trans.shape[1] == expected_column_count_drop
    if passthrough:
        assert_allclose(X_test, X_trans[:, -10:])
    _assert_same_regression(reg, theirs, X_test)


@pytest.mark.parametrize(
    "sparse_container", COO_CONTAINERS + CSC_CONTAINERS + CSR_CONTAINERS
)
def test_stacking_regressor_sparse_passthrough(sparse_container):
    # Check passthrough behavior on a sparse X matrix
    X_train, X_test, y_train, _ = _diabetes_split(sparse_container(scale(X_diabetes)))
    # random_state (not in scikit-learn's test), as above.
    estimators = [("lr", LinearRegression()), ("svr", LinearSVR(random_state=0))]
    rf = RandomForestRegressor(n_estimators=10, random_state=42)
    clf, theirs = _pair_regressor(estimators, rf, cv=5, passthrough=True)
    clf.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    X_trans = clf.transform(X_test)
    assert_allclose_dense_sparse(X_test, X_trans[:, -10:])
    assert sparse.issparse(X_trans)
    assert X_test.format == X_trans.format
    assert theirs.transform(X_test).format == X_trans.format
    _assert_same_regression(clf, theirs, X_test)


class NoWeightRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.reg = DummyRegressor()
        return self.reg.fit(X, y)

    def predict(self, X):
        return np.ones(X.shape[0])


@pytest.mark.parametrize(
    "y, params, type_err, msg_err, our_msg_err",
    [
        (
            y_diabetes,
            {"estimators": []},
            ValueError,
            "Invalid 'estimators' attribute,",
            "`estimators` must be a non-empty list",
        ),
        pytest.param(
            y_diabetes,
            {"estimators": [("lr", LinearRegression()), ("cor", NoWeightRegressor())]},
            TypeError,
            "does not support sample weight",
            "sample_weight",
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "StackingMergerRegressor.fit: sample_weight goes to 'the fits "
                    "of the members that take it; the others are warned about, as "
                    ":class:`~sklearn.calibration.CalibratedClassifierCV` does'"
                ),
            ),
            id="member-without-sample-weight",
        ),
        (
            y_diabetes,
            {
                "estimators": [
                    ("lr", LinearRegression()),
                    ("cor", LinearSVR()),
                ],
                "final_estimator": NoWeightRegressor(),
            },
            TypeError,
            "does not support sample weight",
            "does not support sample weight",
        ),
    ],
)
def test_stacking_regressor_error(y, params, type_err, msg_err, our_msg_err):
    # StackingRegressor's error, then StackingMergerRegressor's: the same
    # exception type, with a message of its own (our_msg_err).
    with pytest.raises(type_err, match=msg_err):
        reg = StackingRegressor(**params, cv=3)
        reg.fit(scale(X_diabetes), y, sample_weight=np.ones(X_diabetes.shape[0]))
    with pytest.raises(type_err, match=our_msg_err):
        reg = StackingMergerRegressor(**params, prefit=False, cv=3)
        reg.fit(scale(X_diabetes), y, sample_weight=np.ones(X_diabetes.shape[0]))


def test_regressor_member_without_sample_weight_is_warned_about_and_fitted_unweighted():
    # The companion of the expected failure above: as CalibratedClassifierCV,
    # a warning, then the member is fitted without the weights while the final
    # estimator gets them.
    X, y = scale(X_diabetes), y_diabetes
    sample_weight = np.random.RandomState(0).uniform(size=len(y))
    members = [("lr", LinearRegression()), ("knn", KNeighborsRegressor())]
    cv = KFold(3)
    with pytest.warns(UserWarning, match="'knn'.*does not appear to accept"):
        stack = StackingMergerRegressor(members, prefit=False, cv=cv).fit(
            X, y, sample_weight=sample_weight
        )
    oof = np.column_stack(
        [
            cross_val_predict(
                LinearRegression(),
                X,
                y,
                cv=cv,
                params={"sample_weight": sample_weight},
            ),
            cross_val_predict(KNeighborsRegressor(), X, y, cv=cv),
        ]
    )
    final = RidgeCV().fit(oof, y, sample_weight=sample_weight)
    assert_allclose(stack.final_estimator_.coef_, final.coef_, **TOL)


def test_stacking_randomness_regressor():
    # checking that fixing the random state of the CV will lead to the same
    # results
    X, y = X_diabetes, y_diabetes
    estimators = [("first", Ridge(alpha=1.0)), ("second", Ridge(alpha=1e-6))]
    transforms = {}
    for Stacker, params in (
        (StackingRegressor, {}),
        (StackingMergerRegressor, {"prefit": False}),
    ):
        estimator_full = Stacker(list(estimators), **params)
        estimator_full.set_params(
            cv=KFold(shuffle=True, random_state=np.random.RandomState(0))
        )

        estimator_drop = Stacker(list(estimators), **params)
        estimator_drop.set_params(first="drop")
        estimator_drop.set_params(
            cv=KFold(shuffle=True, random_state=np.random.RandomState(0))
        )

        transforms[Stacker] = estimator_full.fit(X, y).transform(X)
        assert_allclose(
            transforms[Stacker][:, 1:],
            estimator_drop.fit(X, y).transform(X),
        )
    assert_allclose(
        transforms[StackingMergerRegressor], transforms[StackingRegressor], **TOL
    )


def test_stacking_with_sample_weight_regressor():
    # check that sample weights has an influence on the fitting
    X, y = X_diabetes, y_diabetes
    n_half_samples = len(y) // 2
    total_sample_weight = np.array(
        [0.1] * n_half_samples + [0.9] * (len(y) - n_half_samples)
    )
    X_train, X_test, y_train, _, sample_weight_train, _ = train_test_split(
        X, y, total_sample_weight, random_state=42
    )
    stacker, theirs = _pair_regressor(
        [("first", Ridge(alpha=1.0)), ("second", Ridge(alpha=1e-6))],
        LinearRegression(),
        cv=KFold(shuffle=True, random_state=42),
    )

    stacker.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    y_pred_no_weight = stacker.predict(X_test)
    _assert_same_regression(stacker, theirs, X_test)

    stacker.fit(X_train, y_train, sample_weight=np.ones(y_train.shape))
    theirs.fit(X_train, y_train, sample_weight=np.ones(y_train.shape))
    y_pred_unit_weight = stacker.predict(X_test)
    _assert_same_regression(stacker, theirs, X_test)

    assert_allclose(y_pred_no_weight, y_pred_unit_weight)

    stacker.fit(X_train, y_train, sample_weight=sample_weight_train)
    theirs.fit(X_train, y_train, sample_weight=sample_weight_train)
    y_pred_biased = stacker.predict(X_test)
    _assert_same_regression(stacker, theirs, X_test)

    assert np.abs(y_pred_no_weight - y_pred_biased).sum() > 0


def test_stacking_cv_influence_regressor():
    # check that the stacking affects the fit of the final estimator but not
    # the fit of the base estimators
    X, y = X_diabetes, y_diabetes
    estimators = [("ridge1", Ridge(alpha=1.0)), ("ridge2", Ridge(alpha=1e-6))]
    stacker_cv_3, theirs_cv_3 = _pair_regressor(estimators, LinearRegression(), cv=3)
    stacker_cv_5, theirs_cv_5 = _pair_regressor(estimators, LinearRegression(), cv=5)

    for stacker in (stacker_cv_3, stacker_cv_5, theirs_cv_3, theirs_cv_5):
        stacker.fit(X, y)

    # the base estimators should be identical
    for est_cv_3, est_cv_5 in zip(stacker_cv_3.estimators_, stacker_cv_5.estimators_):
        assert_allclose(est_cv_3.coef_, est_cv_5.coef_)

    # the final estimator should be different
    with pytest.raises(AssertionError, match="Not equal"):
        assert_allclose(
            stacker_cv_3.final_estimator_.coef_, stacker_cv_5.final_estimator_.coef_
        )
    _assert_same_regression(stacker_cv_3, theirs_cv_3, X)
    _assert_same_regression(stacker_cv_5, theirs_cv_5, X)


def test_stacking_prefit_regressor():
    """Check the behaviour of stacking when `cv='prefit'`: StackingMergerRegressor's
    ``prefit=True`` (its default)."""
    X_train1, X_train2, y_train1, y_train2 = train_test_split(
        X_diabetes, y_diabetes, random_state=42, test_size=0.5
    )
    stack_method = "predict"
    estimators = [
        ("d0", DummyRegressor().fit(X_train1, y_train1)),
        ("d1", DummyRegressor().fit(X_train1, y_train1)),
    ]

    # mock out fit and stack_method to be asserted later
    for _, estimator in estimators:
        estimator.fit = Mock(name="fit")
        stack_func = getattr(estimator, stack_method)
        predict_method_mocked = Mock(side_effect=stack_func)
        # Mocking a method will not provide a `__name__` while Python methods
        # do and we are using it in `_get_response_method`.
        predict_method_mocked.__name__ = stack_method
        setattr(estimator, stack_method, predict_method_mocked)

    stacker = StackingMergerRegressor(
        estimators=estimators, prefit=True, final_estimator=LinearRegression()
    )
    stacker.fit(X_train2, y_train2)

    assert stacker.estimators_ == [estimator for _, estimator in estimators]
    # fit was not called again
    assert all(estimator.fit.call_count == 0 for estimator in stacker.estimators_)

    # stack method is called with the proper inputs
    for estimator in stacker.estimators_:
        stack_func_mock = getattr(estimator, stack_method)
        stack_func_mock.assert_called_with(X_train2)

    theirs = StackingRegressor(
        estimators=estimators, cv="prefit", final_estimator=LinearRegression()
    ).fit(X_train2, y_train2)
    _assert_same_regression(stacker, theirs, X_train1)


def test_stacking_prefit_error_regressor():
    # check that NotFittedError is raised
    # if base estimators are not fitted when cv="prefit" (prefit=True)
    estimators = [("lr", LinearRegression()), ("svm", LinearSVR())]
    with pytest.raises(NotFittedError):
        StackingRegressor(estimators=estimators, cv="prefit").fit(
            X_diabetes, y_diabetes
        )
    with pytest.raises(NotFittedError):
        StackingMergerRegressor(estimators=estimators, prefit=True).fit(
            X_diabetes, y_diabetes
        )


def test_stacking_without_n_features_in_regressor():
    # Stacking supports estimators without `n_features_in_`.

    class MyEstimator(LinearRegression):
        """Estimator without n_features_in_"""

        def fit(self, X, y):
            super().fit(X, y)
            del self.n_features_in_

    X, y = make_regression(random_state=0, n_samples=100)
    stacker, theirs = _pair_regressor([("lr", MyEstimator())])

    # scikit-learn's messages, then StackingMergerRegressor's (Python's own).
    msg = "StackingRegressor object has no attribute n_features_in_"
    with pytest.raises(AttributeError, match=msg):
        _ = theirs.n_features_in_
    msg = "'StackingMergerRegressor' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = stacker.n_features_in_

    # Does not raise
    stacker.fit(X, y)
    theirs.fit(X, y)

    msg = "'MyEstimator' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = theirs.n_features_in_
    msg = "'StackingMergerRegressor' object has no attribute 'n_features_in_'"
    with pytest.raises(AttributeError, match=msg):
        _ = stacker.n_features_in_
    _assert_same_regression(stacker, theirs, X)


_REGRESSOR_NAMES = ["stackingregressor_lr", "stackingregressor_svm"]


def _fit_regressors_for_feature_names(passthrough):
    estimators = [("lr", LinearRegression()), ("svm", LinearSVR(random_state=0))]
    stacker, theirs = _pair_regressor(estimators, passthrough=passthrough)
    stacker.fit(scale(X_diabetes), y_diabetes)
    theirs.fit(scale(X_diabetes), y_diabetes)
    _assert_same_regression(stacker, theirs, scale(X_diabetes))
    return stacker, theirs


@pytest.mark.xfail(
    strict=True,
    reason="on purpose: StackingMergerRegressor.get_feature_names_out's docstring "
    "says '(``stackingmergerregressor_<member>`` for "
    ":class:`StackingMergerRegressor`, one column per member.)'",
)
@pytest.mark.parametrize("passthrough", [True, False])
def test_get_feature_names_out_regressor(passthrough):
    """Check get_feature_names_out works for stacking."""
    stacker, _ = _fit_regressors_for_feature_names(passthrough)
    expected_names = _REGRESSOR_NAMES
    if passthrough:
        expected_names = np.concatenate((expected_names, diabetes.feature_names))

    names_out = stacker.get_feature_names_out(diabetes.feature_names)
    assert_array_equal(names_out, expected_names)


@pytest.mark.parametrize("passthrough", [True, False])
def test_get_feature_names_out_regressor_with_stackingmergerregressor_prefix(
    passthrough,
):
    # test_get_feature_names_out_regressor with StackingMergerRegressor's prefix.
    stacker, theirs = _fit_regressors_for_feature_names(passthrough)
    expected_names = [
        name.replace("stackingregressor_", "stackingmergerregressor_")
        for name in _REGRESSOR_NAMES
    ]
    if passthrough:
        expected_names = np.concatenate((expected_names, diabetes.feature_names))

    names_out = stacker.get_feature_names_out(diabetes.feature_names)
    assert_array_equal(names_out, expected_names)
    assert_array_equal(
        [name.replace("stackingmergerregressor_", "") for name in names_out],
        [
            name.replace("stackingregressor_", "")
            for name in theirs.get_feature_names_out(diabetes.feature_names)
        ],
    )


def test_routing_passed_metadata_not_supported_regressor():
    """Test that the right error message is raised when metadata is passed while
    not supported when `enable_metadata_routing=False`."""

    with pytest.raises(
        ValueError, match="is only supported if enable_metadata_routing=True"
    ):
        StackingMergerRegressor(["clf", ConsumingRegressor()], prefit=False).fit(
            X_iris, y_iris, sample_weight=[1, 1, 1, 1, 1], metadata="a"
        )


@pytest.mark.parametrize("prefit", [False, True])
@config_context(enable_metadata_routing=True)
def test_get_metadata_routing_without_fit_regressor(prefit):
    # Test that metadata_routing() doesn't raise when called before fit.
    est = StackingMergerRegressor([("sub_est", ConsumingRegressor())], prefit=prefit)
    est.get_metadata_routing()


def _routed_regressor_stacks(prop, final_requests):
    """_routed_stacks for StackingMergerRegressor and StackingRegressor."""
    return _routed_stacks(
        prop,
        final_requests,
        stackers=(StackingMergerRegressor, StackingRegressor),
        child=ConsumingRegressor,
    )


@_PROPS
@pytest.mark.xfail(
    strict=True,
    raises=UnsetMetadataPassedError,
    reason="on purpose: StackingMergerRegressor.fit's docstring says 'With "
    "metadata routing enabled (``sklearn.set_config(enable_metadata_routing=True)"
    "``), any metadata, routed to the final estimator's ``fit`` and, with "
    "``prefit=False``, the members' ``fit`` as they request it.' "
    "(StackingRegressor passes all fit metadata to its final estimator's fit, "
    "requested or not)",
)
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators_regressor(prop, prop_value):
    """Test that metadata is routed correctly for Stacking*."""
    est, _ = _routed_regressor_stacks(prop, ["set_predict_request"])

    est.fit(X_iris, y_iris, **{prop: prop_value})
    _check_members_recorded_fit(est, prop, prop_value)

    est.predict(X_iris, **{prop: prop_value})

    registry = est.final_estimator_.registry
    assert len(registry)
    check_recorded_metadata(
        obj=est.final_estimator_,
        method="predict",
        parent="predict",
        split_params=(prop,),
        **{prop: prop_value},
    )


@_PROPS
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators_regressor_fit(prop, prop_value):
    # The fit of the test above, with a final estimator that requests the
    # metadata in fit (StackingMergerRegressor routes it there only then).
    est, theirs = _routed_regressor_stacks(
        prop, ["set_predict_request", "set_fit_request"]
    )
    est.fit(X_iris, y_iris, **{prop: prop_value})
    theirs.fit(X_iris, y_iris, **{prop: prop_value})
    _check_members_recorded_fit(est, prop, prop_value)
    check_recorded_metadata(
        obj=est.final_estimator_, method="fit", parent="fit", **{prop: prop_value}
    )
    _assert_same_regression(est, theirs, X_iris)


@_PROPS
@config_context(enable_metadata_routing=True)
def test_metadata_routing_for_stacking_estimators_regressor_predict(prop, prop_value):
    # The predict of the test above.
    est, _ = _routed_regressor_stacks(prop, ["set_predict_request", "set_fit_request"])
    est.fit(X_iris, y_iris, **{prop: prop_value})

    y_pred = est.predict(X_iris, **{prop: prop_value})

    registry = est.final_estimator_.registry
    assert len(registry)
    check_recorded_metadata(
        obj=est.final_estimator_,
        method="predict",
        parent="predict",
        split_params=(prop,),
        **{prop: prop_value},
    )
    assert y_pred.shape == y_iris.shape


@config_context(enable_metadata_routing=True)
def test_metadata_routing_error_for_stacking_estimators_regressor():
    """Test that the right error is raised when metadata is not requested."""
    sample_weight, metadata = np.ones(X_iris.shape[0]), "a"

    est = StackingMergerRegressor([("sub_est", ConsumingRegressor())], prefit=False)

    error_message = (
        "[sample_weight, metadata] are passed but are not explicitly set as requested"
        " or not requested for ConsumingRegressor.fit"
    )

    with pytest.raises(ValueError, match=re.escape(error_message)):
        est.fit(X_iris, y_iris, sample_weight=sample_weight, metadata=metadata)
