# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""The bad-input matrix: every mistake a user can make (wrong parameters,
members and data) on every estimator it applies to.

Each row builds an estimator (or calls :func:`~skmerge.fit_temperature`) with
one mistake and checks that

- the error is scikit-learn's usual exception type (exactly), with a message
  that names the argument or member and says what was expected;
- no member was predicted or fitted before the error (members count their
  calls), except for the rows whose mistake can only be seen in a member's
  output (non-finite values);
- the estimator is left unfitted, and none of the user's members changed.
"""

import pickle
import warnings
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import get_scorer
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skmerge._calibration import CalibratedClassifier, fit_calibration_map
from skmerge._soup import SoupClassifier, SoupRegressor
from skmerge._stacking import StackingMerger, StackingMergerRegressor
from skmerge._temperature import TemperatureCalibratedClassifier, fit_temperature

# Members that count their calls ---------------------------------------------------

#: Calls of fit / predict* / decision_function by any counting member (clones
#: included: the counter is global, and prefit=False fits run in-process).
CALLS = Counter()

_COUNTED = ("fit", "predict", "predict_proba", "predict_log_proba", "decision_function")


def _counted(method, func):
    def wrapper(self, *args, **kwargs):
        CALLS[f"{type(self).__name__}.{method}"] += 1
        return func(self, *args, **kwargs)

    wrapper.__name__ = method
    wrapper.__doc__ = func.__doc__
    return wrapper


def _counting(base):
    """A subclass of ``base`` counting calls of the methods ``base`` has (and
    no others: LinearSVC stays without predict_proba)."""
    namespace = {"__module__": __name__}
    for method in _COUNTED:
        if hasattr(base, method):
            namespace[method] = _counted(method, getattr(base, method))
    return type(f"Counting{base.__name__}", (base,), namespace)


class OnlyPredict(ClassifierMixin, BaseEstimator):
    """A classifier with predict only (neither predict_proba nor
    decision_function)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class NonFinite(LogisticRegression):
    """A logistic regression whose outputs hold NaN / infinity in row 0."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[0, 0] = np.nan
        return proba

    def decision_function(self, X):
        decision = np.array(super().decision_function(X), dtype=np.float64)
        decision[0, ...] = np.inf
        return decision


class NonFiniteRegressor(Ridge):
    """A ridge regression whose prediction is NaN in row 0."""

    def predict(self, X):
        prediction = np.array(super().predict(X), dtype=np.float64)
        prediction[0] = np.nan
        return prediction


CountingLogisticRegression = _counting(LogisticRegression)
CountingLinearSVC = _counting(LinearSVC)
CountingGaussianNB = _counting(GaussianNB)
CountingDecisionTreeClassifier = _counting(DecisionTreeClassifier)
CountingMLPClassifier = _counting(MLPClassifier)
CountingOnlyPredict = _counting(OnlyPredict)
CountingNonFinite = _counting(NonFinite)

CountingRidge = _counting(Ridge)
CountingLasso = _counting(Lasso)
CountingDecisionTreeRegressor = _counting(DecisionTreeRegressor)
CountingMLPRegressor = _counting(MLPRegressor)
CountingNonFiniteRegressor = _counting(NonFiniteRegressor)

LR = CountingLogisticRegression
MLP = CountingMLPClassifier


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


# Data and members ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ctx():
    X, y = make_classification(
        n_samples=240, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    X_train, y_train, X_held, y_held = X[:150], y[:150], X[150:], y[150:]
    columns = list("abcde")
    df_train = pd.DataFrame(X_train, columns=columns)
    df_other = pd.DataFrame(X_train, columns=["f0", "f1", "f2", "f3", "f4"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLPs stop early: convergence warnings
        c = SimpleNamespace(
            X=X_held,
            y=y_held,
            X_df=pd.DataFrame(X_held, columns=columns),
            lr_a=LR(C=1.0).fit(X_train, y_train),
            lr_b=LR(C=0.1).fit(X_train, y_train),
            svc=CountingLinearSVC().fit(X_train, y_train),
            nb=CountingGaussianNB().fit(X_train, y_train),
            tree_a=CountingDecisionTreeClassifier(max_depth=3, random_state=0).fit(
                X_train, y_train
            ),
            tree_b=CountingDecisionTreeClassifier(max_depth=3, random_state=1).fit(
                X_train, y_train
            ),
            mlp4=MLP((4,), max_iter=20, random_state=0).fit(X_train, y_train),
            mlp5=MLP((5,), max_iter=20, random_state=0).fit(X_train, y_train),
            mlp4_tanh=MLP((4,), activation="tanh", max_iter=20, random_state=0).fit(
                X_train, y_train
            ),
            lr_binary=LR().fit(X_train, y_train % 2),
            lr_4_features=LR().fit(X_train[:, :4], y_train),
            lr_df=LR().fit(df_train, y_train),
            lr_df_other=LR().fit(df_other, y_train),
            only_predict=CountingOnlyPredict().fit(X_train, y_train),
            non_finite=CountingNonFinite().fit(X_train, y_train),
            pipe_std=make_pipeline(StandardScaler(), LR()).fit(X_train, y_train),
            pipe_minmax=make_pipeline(MinMaxScaler(), LR()).fit(X_train, y_train),
        )
    _add_regression(c)
    c.logits = np.array([[0.0, 1.0], [2.0, 0.5], [1.0, 1.5]])
    c.logit_y = np.array([1, 0, 0])
    return c


def _add_regression(c):
    """Held-out regression data (``Xr``, ``yr``) and fitted regressors."""
    X, y = make_regression(n_samples=240, n_features=5, noise=5.0, random_state=0)
    X_train, y_train = X[:150], y[:150]
    c.Xr, c.yr = X[150:], y[150:]
    c.Xr_df = pd.DataFrame(c.Xr, columns=list("abcde"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLPs stop early: convergence warnings
        c.ridge_a = CountingRidge(alpha=1.0).fit(X_train, y_train)
        c.ridge_b = CountingRidge(alpha=10.0).fit(X_train, y_train)
        c.lasso = CountingLasso(alpha=0.1).fit(X_train, y_train)
        c.tree_r = CountingDecisionTreeRegressor(max_depth=3, random_state=0).fit(
            X_train, y_train
        )
        c.mlp_r4 = CountingMLPRegressor(
            hidden_layer_sizes=(4,), max_iter=20, random_state=0
        ).fit(X_train, y_train)
        c.mlp_r5 = CountingMLPRegressor(
            hidden_layer_sizes=(5,), max_iter=20, random_state=0
        ).fit(X_train, y_train)
        c.ridge_4_features = CountingRidge().fit(X_train[:, :4], y_train)
        c.ridge_df = CountingRidge().fit(
            pd.DataFrame(X_train, columns=list("abcde")), y_train
        )
        c.ridge_df_other = CountingRidge().fit(
            pd.DataFrame(X_train, columns=["f0", "f1", "f2", "f3", "f4"]), y_train
        )
        c.non_finite_r = CountingNonFiniteRegressor().fit(X_train, y_train)


def _fit(est, X, y, **fit_params):
    return est, lambda: est.fit(X, y, **fit_params)


def S(c, members, *, X=None, y=None, fit_params=None, **params):
    """SoupClassifier(members, **params).fit(X, y) on the held-out data."""
    return _fit(
        SoupClassifier(members, **params),
        c.X if X is None else X,
        c.y if y is None else y,
        **(fit_params or {}),
    )


def K(c, members, *, X=None, y=None, fit_params=None, **params):
    """StackingMerger(members, **params).fit(X, y)."""
    return _fit(
        StackingMerger(members, **params),
        c.X if X is None else X,
        c.y if y is None else y,
        **(fit_params or {}),
    )


def R(c, members, *, X=None, y=None, fit_params=None, **params):
    """SoupRegressor(members, **params).fit(X, y) on held-out regression data."""
    return _fit(
        SoupRegressor(members, **params),
        c.Xr if X is None else X,
        c.yr if y is None else y,
        **(fit_params or {}),
    )


def KR(c, members, *, X=None, y=None, fit_params=None, **params):
    """StackingMergerRegressor(members, **params).fit(X, y) on regression data."""
    return _fit(
        StackingMergerRegressor(members, **params),
        c.Xr if X is None else X,
        c.yr if y is None else y,
        **(fit_params or {}),
    )


def T(c, estimator, *, X=None, y=None, fit_params=None, **params):
    """TemperatureCalibratedClassifier(estimator, **params).fit(X, y)."""
    return _fit(
        TemperatureCalibratedClassifier(estimator, **params),
        c.X if X is None else X,
        c.y if y is None else y,
        **(fit_params or {}),
    )


def C(c, estimator, *, X=None, y=None, fit_params=None, **params):
    """CalibratedClassifier(estimator, **params).fit(X, y)."""
    return _fit(
        CalibratedClassifier(estimator, **params),
        c.X if X is None else X,
        c.y if y is None else y,
        **(fit_params or {}),
    )


def M(logits, y, sample_weight=None, **params):
    """fit_calibration_map(logits, y, sample_weight, **params): no estimator."""
    return None, lambda: fit_calibration_map(logits, y, sample_weight, **params)


def F(logits, y, sample_weight=None):
    """fit_temperature(logits, y, sample_weight): no estimator to check."""
    return None, lambda: fit_temperature(logits, y, sample_weight)


# The matrix ---------------------------------------------------------------------
#
# (id, build(ctx) -> (estimator or None, call), exception type, message regex,
#  whether members may run before the error).

_UNFITTED = r"Member '{}' \(.*\) is not fitted.*fit it first, or pass prefit=False"
_PARAM = r"The '{}' parameter of {} must be {}"
_NO_METHOD = r"Member '{}' \({}\) has no `{}`, which this mode needs"
_CLASSES = r"Members '{}' and '{}' disagree on their classes"
_N_FEATURES = r"Members '{}' and '{}' disagree on the number of features"
_FEATURE_NAMES = r"Members '{}' and '{}' disagree on feature names"
_UNSEEN = r"has labels the members were not trained on: \[7\]"
_ONE_CLASS = r"at least 2 classes.*got only one class: \[0\]"
_LABEL_TYPE = r"Unknown label type: continuous"
_USE_PROBA = r'Use combine="proba"'
# scikit-learn >= 1.7 checks all-zero weights itself; skmerge, on older ones.
_SW_ZERO = (
    r"(Sample weights must contain at least one non-zero number"
    r"|`sample_weight` must not be all zero)"
)
_SW_LENGTH = r"sample_weight\.shape == \(45,\), expected \(90,\)"

# fmt: off
ROWS = [
    # -- the member list ----------------------------------------------------------
    ("soup-empty", lambda c: S(c, []), ValueError,
     r"`estimators` must be a non-empty list", False),
    ("soup-empty-prefit-false", lambda c: S(c, [], prefit=False), ValueError,
     r"`estimators` must be a non-empty list", False),
    ("stacking-empty", lambda c: K(c, []), ValueError,
     r"`estimators` must be a non-empty list", False),
    ("soup-all-dropped", lambda c: S(c, [("a", "drop")]), ValueError,
     r"All members are dropped; at least one is required", False),
    ("stacking-all-dropped", lambda c: K(c, [("a", "drop")]), ValueError,
     r"All members are dropped; at least one is required", False),
    ("soup-duplicate-names", lambda c: S(c, [("a", c.lr_a), ("a", c.lr_b)]),
     ValueError, r"Member names must be unique; got duplicates \['a'\]", False),
    ("stacking-duplicate-names", lambda c: K(c, [("a", c.lr_a), ("a", c.lr_b)]),
     ValueError, r"Member names must be unique; got duplicates \['a'\]", False),
    ("soup-name-with-double-underscore",
     lambda c: S(c, [("a__b", c.lr_a), ("c", c.lr_b)]), ValueError,
     r"Estimator names must not contain __: got \['a__b'\]", False),
    ("soup-name-clashes-with-parameter",
     lambda c: S(c, [("weights", c.lr_a), ("c", c.lr_b)]), ValueError,
     r"Estimator names conflict with constructor arguments: \['weights'\]", False),
    ("soup-mixed-pairs-and-estimators", lambda c: S(c, [("a", c.lr_a), c.lr_b]),
     ValueError, r"`estimators` must be all \(name, estimator\) tuples or all "
     r"estimators", False),
    ("soup-three-tuple", lambda c: S(c, [("a", c.lr_a, 1.0), ("b", c.lr_b, 1.0)]),
     ValueError, r"`estimators` must be \(name, estimator\) tuples.*"
     r"got \('a', CountingLogisticRegression\(\), 1\.0\)", False),
    ("soup-string-member", lambda c: S(c, [c.lr_a, "logreg"]), ValueError,
     r"Member 'logreg' \(str\) is not a scikit-learn classifier.*got 'logreg'",
     False),
    ("stacking-none-member", lambda c: K(c, [("a", c.lr_a), ("b", None)]),
     ValueError, r"Member 'b' \(NoneType\) is not a scikit-learn classifier", False),
    ("soup-string-member-prefit-false",
     lambda c: S(c, [LR(), "logreg"], prefit=False), ValueError,
     r"Member 'logreg' \(str\) is not a scikit-learn classifier", False),
    ("soup-regressor-member",
     lambda c: S(c, [c.lr_a, LinearRegression().fit(c.X, c.y)]), ValueError,
     r"Member 'linearregression' \(LinearRegression\) is not a classifier", False),
    ("stacking-regressor-member",
     lambda c: K(c, [c.lr_a, LinearRegression().fit(c.X, c.y)]), ValueError,
     r"Member 'linearregression' \(LinearRegression\) is not a classifier", False),
    ("stacking-regressor-final-estimator",
     lambda c: K(c, [c.lr_a, c.lr_b], final_estimator=LinearRegression()),
     ValueError, r"`final_estimator` must be a classifier; got LinearRegression",
     False),
    ("temperature-regressor", lambda c: T(c, LinearRegression().fit(c.X, c.y)),
     InvalidParameterError,
     _PARAM.format("estimator", "TemperatureCalibratedClassifier",
                   r"an object implementing 'fit' and 'predict_proba'"), False),
    ("temperature-none-prefit", lambda c: T(c, None), ValueError,
     r"With prefit=True, `estimator` must be a fitted classifier; got None", False),
    # -- SoupRegressor ---------------------------------------------------------
    ("soupregressor-empty", lambda c: R(c, []), ValueError,
     r"`estimators` must be a non-empty list", False),
    ("soupregressor-all-dropped", lambda c: R(c, [("a", "drop")]), ValueError,
     r"All members are dropped; at least one is required", False),
    ("soupregressor-duplicate-names",
     lambda c: R(c, [("a", c.ridge_a), ("a", c.ridge_b)]), ValueError,
     r"Member names must be unique; got duplicates \['a'\]", False),
    ("soupregressor-classifier-member",
     lambda c: R(c, [("a", c.ridge_a), ("lr", c.lr_a)]), ValueError,
     r"Member 'lr' \(CountingLogisticRegression\) is not a regressor", False),
    ("soupregressor-classifier-member-prefit-false",
     lambda c: R(c, [("a", CountingRidge()), ("lr", LR())], prefit=False),
     ValueError, r"Member 'lr' \(CountingLogisticRegression\) is not a regressor",
     False),
    ("soupregressor-string-member", lambda c: R(c, [c.ridge_a, "ridge"]),
     ValueError, r"Member 'ridge' \(str\) is not a scikit-learn regressor", False),
    ("soupregressor-unfitted", lambda c: R(c, [("a", c.ridge_a), ("b", Ridge())]),
     NotFittedError, _UNFITTED.format("b"), False),
    ("soupregressor-feature-count",
     lambda c: R(c, [("a", c.ridge_a), ("b", c.ridge_4_features)]), ValueError,
     _N_FEATURES.format("a", "b") + r": 'a' expects 5 features, 'b' expects 4",
     False),
    ("soupregressor-feature-names",
     lambda c: R(c, [("a", c.ridge_df), ("b", c.ridge_df_other)], X=c.Xr_df),
     ValueError, _FEATURE_NAMES.format("a", "b"), False),
    ("soupregressor-y-length", lambda c: R(c, [c.ridge_a, c.ridge_b], y=c.yr[:-1]),
     ValueError, r"`y` must hold one target value per sample of X; got 89 target "
     r"values for 90 samples", False),
    ("soupregressor-y-nan",
     lambda c: R(c, [c.ridge_a, c.ridge_b], y=np.r_[np.nan, c.yr[1:]]),
     ValueError, r"Input y contains NaN", False),
    ("soupregressor-y-strings",
     lambda c: R(c, [c.ridge_a, c.ridge_b], y=np.array(["a"] * 90)), ValueError,
     r"bytes/strings|could not convert|Unable to convert", False),
    ("soupregressor-weights-length",
     lambda c: R(c, [c.ridge_a, c.ridge_b], weights=[1.0]), ValueError,
     r"Number of `estimators` and weights must be equal; got 1 weights, 2 "
     r"estimators", False),
    ("soupregressor-weights-negative",
     lambda c: R(c, [c.ridge_a, c.ridge_b], weights=[1.0, -1.0]), ValueError,
     r"`weights` must be non-negative", False),
    ("soupregressor-weights-nan",
     lambda c: R(c, [c.ridge_a, c.ridge_b], weights=[1.0, np.nan]), ValueError,
     r"`weights` must not contain NaN", False),
    ("soupregressor-weights-zero",
     lambda c: R(c, [c.ridge_a, c.ridge_b], weights=[0.0, 0.0]), ValueError,
     r"At least one member must have a positive weight", False),
    ("soupregressor-combine-proba",
     lambda c: R(c, [c.ridge_a, c.ridge_b], combine="proba"), InvalidParameterError,
     _PARAM.format("combine", "SoupRegressor", r"a str among"), False),
    ("soupregressor-n-iter-zero",
     lambda c: R(c, [c.ridge_a, c.ridge_b], n_iter=0), InvalidParameterError,
     _PARAM.format("n_iter", "SoupRegressor", r"an int in the range \[1, inf\)"),
     False),
    ("soupregressor-classification-scoring",
     lambda c: R(c, [c.ridge_a, c.ridge_b], scoring="accuracy"),
     InvalidParameterError, _PARAM.format("scoring", "SoupRegressor", ""), False),
    ("soupregressor-classification-scorer",
     lambda c: R(c, [c.ridge_a, c.ridge_b], scoring=get_scorer("neg_log_loss")),
     ValueError, r"`scoring` must score a regressor's predict; got a scorer on "
     r"'predict_proba'", False),
    ("soupregressor-params-tree",
     lambda c: R(c, [("a", c.ridge_a), ("t", c.tree_r)], combine="params"),
     ValueError, r"member 't' \(CountingDecisionTreeRegressor\) cannot be averaged "
     r'in weight space.*Use combine="mean"', False),
    ("soupregressor-params-mixed-classes",
     lambda c: R(c, [("a", c.ridge_a), ("l", c.lasso)], combine="params"),
     ValueError, r"member 'a' \(CountingRidge\) and member 'l' \(CountingLasso\) "
     r'are of different classes.*Use combine="mean"', False),
    ("soupregressor-params-mlp-shapes",
     lambda c: R(c, [("a", c.mlp_r4), ("b", c.mlp_r5)], combine="params"),
     ValueError, r"member 'a' and member 'b' have different layer shapes", False),
    ("soupregressor-params-mixed-prefit-false",
     lambda c: R(c, [("a", CountingRidge()), ("t", CountingDecisionTreeRegressor())],
                 combine="params", prefit=False),
     ValueError, r"member 't' \(CountingDecisionTreeRegressor\) cannot be averaged",
     False),
    ("soupregressor-align-linear",
     lambda c: R(c, [("a", c.ridge_a), ("b", c.ridge_b)], combine="params",
                 align="permutation"), ValueError,
     r"align=\"permutation\" needs combine=\"params\" over MLP members", False),
    ("soupregressor-align-without-params",
     lambda c: R(c, [c.mlp_r4, c.mlp_r5], align="permutation"), ValueError,
     r"align=\"permutation\" applies to combine=\"params\" only", False),
    ("soupregressor-sample-weight-length",
     lambda c: R(c, [c.ridge_a, c.ridge_b], fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("soupregressor-sample-weight-negative",
     lambda c: R(c, [c.ridge_a, c.ridge_b],
                 fit_params={"sample_weight": np.r_[-1.0, np.ones(89)]}),
     ValueError, r"Negative values in data passed to `sample_weight`", False),
    ("soupregressor-non-finite",
     lambda c: R(c, [("a", c.ridge_a), ("b", c.non_finite_r)], recipe="greedy"),
     ValueError, r"Member 'b' \(CountingNonFiniteRegressor\) returned non-finite "
     r"values \(NaN or infinity\) from predict", True),
    # -- StackingMergerRegressor -------------------------------------------------
    ("stackingregressor-empty", lambda c: KR(c, []), ValueError,
     r"`estimators` must be a non-empty list", False),
    ("stackingregressor-duplicate-names",
     lambda c: KR(c, [("a", c.ridge_a), ("a", c.ridge_b)]), ValueError,
     r"Member names must be unique; got duplicates \['a'\]", False),
    ("stackingregressor-classifier-member",
     lambda c: KR(c, [("a", c.ridge_a), ("lr", c.lr_a)]), ValueError,
     r"Member 'lr' \(CountingLogisticRegression\) is not a regressor", False),
    ("stackingregressor-classifier-final-estimator",
     lambda c: KR(c, [c.ridge_a, c.ridge_b], final_estimator=LogisticRegression()),
     ValueError, r"`final_estimator` must be a regressor; got LogisticRegression",
     False),
    ("stackingregressor-unfitted",
     lambda c: KR(c, [("a", c.ridge_a), ("b", Ridge())]), NotFittedError,
     _UNFITTED.format("b"), False),
    ("stackingregressor-feature-count",
     lambda c: KR(c, [("a", c.ridge_a), ("b", c.ridge_4_features)]), ValueError,
     _N_FEATURES.format("a", "b"), False),
    ("stackingregressor-feature-names",
     lambda c: KR(c, [("a", c.ridge_df), ("b", c.ridge_df_other)], X=c.Xr_df),
     ValueError, _FEATURE_NAMES.format("a", "b"), False),
    ("stackingregressor-y-length",
     lambda c: KR(c, [c.ridge_a, c.ridge_b], y=c.yr[:-1]), ValueError,
     r"`y` must hold one target value per sample of X", False),
    ("stackingregressor-y-nan",
     lambda c: KR(c, [c.ridge_a, c.ridge_b], y=np.r_[np.nan, c.yr[1:]]),
     ValueError, r"Input y contains NaN", False),
    ("stackingregressor-merge-true-tree",
     lambda c: KR(c, [("a", c.ridge_a), ("t", c.tree_r)], merge=True), ValueError,
     r"merge=True needs a stack that is one linear model.*"
     r"'t' \(CountingDecisionTreeRegressor\)", False),
    ("stackingregressor-sample-weight-length",
     lambda c: KR(c, [c.ridge_a, c.ridge_b], fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("stackingregressor-non-finite",
     lambda c: KR(c, [("a", c.ridge_a), ("b", c.non_finite_r)]), ValueError,
     r"Member 'b' \(CountingNonFiniteRegressor\) returned non-finite values", True),
    # -- a member without the method a mode needs ---------------------------------
    ("soup-proba-without-predict-proba", lambda c: S(c, [c.lr_a, c.svc]),
     ValueError, _NO_METHOD.format("countinglinearsvc", "CountingLinearSVC",
                                   "predict_proba"), False),
    ("soup-proba-without-predict-proba-prefit-false",
     lambda c: S(c, [LR(), CountingLinearSVC()], prefit=False), ValueError,
     _NO_METHOD.format("countinglinearsvc", "CountingLinearSVC", "predict_proba"),
     False),
    ("soup-logit-with-predict-only",
     lambda c: S(c, [c.lr_a, c.only_predict], combine="logit"), ValueError,
     _NO_METHOD.format("countingonlypredict", "CountingOnlyPredict",
                       r"predict_proba` or `decision_function"), False),
    ("soup-logit-with-predict-only-prefit-false",
     lambda c: S(c, [LR(), CountingOnlyPredict()], combine="logit", prefit=False),
     ValueError, _NO_METHOD.format("countingonlypredict", "CountingOnlyPredict",
                                   r"predict_proba` or `decision_function"), False),
    ("stacking-forced-predict-proba",
     lambda c: K(c, [c.lr_a, c.svc], stack_method="predict_proba"), ValueError,
     _NO_METHOD.format("countinglinearsvc", "CountingLinearSVC", "predict_proba"),
     False),
    ("stacking-forced-predict-proba-prefit-false",
     lambda c: K(c, [LR(), CountingLinearSVC()], stack_method="predict_proba",
                 prefit=False), ValueError,
     _NO_METHOD.format("countinglinearsvc", "CountingLinearSVC", "predict_proba"),
     False),
    ("stacking-forced-decision-function",
     lambda c: K(c, [c.lr_a, c.nb], stack_method="decision_function"), ValueError,
     _NO_METHOD.format("countinggaussiannb", "CountingGaussianNB",
                       "decision_function"), False),
    ("stacking-merge-true-over-a-tree",
     lambda c: K(c, [c.lr_a, c.tree_a], stack_method="predict_proba", merge=True),
     ValueError, r"merge=True needs a stack that is one linear model.*but member "
     r"'countinglogisticregression' \(CountingLogisticRegression\) is used "
     r"through predict_proba, which is not linear in X; pass "
     r"stack_method='decision_function'", False),
    ("stacking-merge-true-over-a-tree-decision",
     lambda c: K(c, [c.lr_a, c.svc, c.tree_a], merge=True,
                 stack_method="predict"), ValueError,
     r"merge=True needs a stack that is one linear model.*but member "
     r"'countinglogisticregression' \(CountingLogisticRegression\) is used "
     r"through predict", False),
    ("temperature-forced-predict-proba",
     lambda c: T(c, c.svc, response="predict_proba"), ValueError,
     _NO_METHOD.format("estimator", "CountingLinearSVC", "predict_proba"), False),
    ("temperature-forced-predict-proba-prefit-false",
     lambda c: T(c, CountingLinearSVC(), response="predict_proba", prefit=False),
     ValueError, _NO_METHOD.format("estimator", "CountingLinearSVC",
                                   "predict_proba"), False),
    ("temperature-forced-decision-function",
     lambda c: T(c, c.nb, response="decision_function"), ValueError,
     _NO_METHOD.format("estimator", "CountingGaussianNB", "decision_function"),
     False),
    ("temperature-predict-only", lambda c: T(c, c.only_predict),
     InvalidParameterError,
     _PARAM.format("estimator", "TemperatureCalibratedClassifier",
                   r"an object implementing 'fit' and 'predict_proba', an object "
                   r"implementing 'fit' and 'decision_function'"), False),
    # -- an unfitted member with prefit=True --------------------------------------
    ("soup-unfitted", lambda c: S(c, [("a", c.lr_a), ("b", LR())]), NotFittedError,
     _UNFITTED.format("b"), False),
    ("soup-unfitted-frozen",
     lambda c: S(c, [("a", c.lr_a), ("b", FrozenEstimator(LR()))]),
     NotFittedError, _UNFITTED.format("b"), False),
    ("stacking-unfitted", lambda c: K(c, [("a", c.lr_a), ("b", LR())]),
     NotFittedError, _UNFITTED.format("b"), False),
    ("temperature-unfitted", lambda c: T(c, LR()), NotFittedError,
     _UNFITTED.format("estimator"), False),
    # -- members that disagree ----------------------------------------------------
    ("soup-classes", lambda c: S(c, [("a", c.lr_a), ("b", c.lr_binary)]),
     ValueError, _CLASSES.format("a", "b") + r".*'a' has class labels \[0, 1, 2\], "
     r"'b' has \[0, 1\]", False),
    ("stacking-classes", lambda c: K(c, [("a", c.lr_a), ("b", c.lr_binary)]),
     ValueError, _CLASSES.format("a", "b"), False),
    ("soup-feature-count", lambda c: S(c, [("a", c.lr_a), ("b", c.lr_4_features)]),
     ValueError, _N_FEATURES.format("a", "b") + r": 'a' expects 5 features, 'b' "
     r"expects 4", False),
    ("stacking-feature-count",
     lambda c: K(c, [("a", c.lr_a), ("b", c.lr_4_features)]), ValueError,
     _N_FEATURES.format("a", "b"), False),
    ("soup-feature-names",
     lambda c: S(c, [("a", c.lr_df), ("b", c.lr_df_other)], X=c.X_df), ValueError,
     _FEATURE_NAMES.format("a", "b") + r": 'a' has \['a', 'b'", False),
    ("stacking-feature-names",
     lambda c: K(c, [("a", c.lr_df), ("b", c.lr_df_other)], X=c.X_df), ValueError,
     _FEATURE_NAMES.format("a", "b"), False),
    # -- the labels ---------------------------------------------------------------
    ("soup-unseen-labels",
     lambda c: S(c, [c.lr_a, c.lr_b], y=np.where(c.y == 2, 7, c.y)), ValueError,
     r"The held-out data " + _UNSEEN + r"; the members' classes are \[0, 1, 2\]",
     False),
    ("stacking-unseen-labels",
     lambda c: K(c, [c.lr_a, c.lr_b], y=np.where(c.y == 2, 7, c.y)), ValueError,
     r"The data given to fit " + _UNSEEN, False),
    ("temperature-unseen-labels",
     lambda c: T(c, c.lr_a, y=np.where(c.y == 2, 7, c.y)), ValueError,
     r"The calibration data " + _UNSEEN, False),
    ("soup-one-class", lambda c: S(c, [c.lr_a, c.lr_b], y=np.zeros_like(c.y)),
     ValueError, r"held-out data must hold " + _ONE_CLASS, False),
    ("soup-one-class-prefit-false",
     lambda c: S(c, [LR(), LR(C=0.1)], y=np.zeros_like(c.y), prefit=False),
     ValueError, r"training data must hold " + _ONE_CLASS, False),
    ("stacking-one-class", lambda c: K(c, [c.lr_a, c.lr_b], y=np.zeros_like(c.y)),
     ValueError, r"data given to fit must hold " + _ONE_CLASS, False),
    ("stacking-one-class-prefit-false",
     lambda c: K(c, [LR(), LR(C=0.1)], y=np.zeros_like(c.y), prefit=False),
     ValueError, r"training data must hold " + _ONE_CLASS, False),
    ("temperature-one-class", lambda c: T(c, c.lr_a, y=np.zeros_like(c.y)),
     ValueError, r"calibration data must hold " + _ONE_CLASS, False),
    ("temperature-one-class-prefit-false",
     lambda c: T(c, LR(), y=np.zeros_like(c.y), prefit=False), ValueError,
     r"calibration data must hold " + _ONE_CLASS, False),
    ("fit-temperature-one-class", lambda c: F(c.logits, [0, 0, 0]), ValueError,
     r"calibration labels of " + _ONE_CLASS, False),
    ("soup-y-length", lambda c: S(c, [c.lr_a, c.lr_b], y=c.y[:45]), ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("soup-y-length-prefit-false",
     lambda c: S(c, [LR(), LR(C=0.1)], y=c.y[:45], prefit=False), ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("stacking-y-length", lambda c: K(c, [c.lr_a, c.lr_b], y=c.y[:45]),
     ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("stacking-y-length-prefit-false",
     lambda c: K(c, [LR(), LR(C=0.1)], y=c.y[:45], prefit=False), ValueError,
     r"`y` must hold one label per sample of X", False),
    ("temperature-y-length", lambda c: T(c, c.lr_a, y=c.y[:45]), ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("temperature-y-length-prefit-false",
     lambda c: T(c, LR(), y=c.y[:45], prefit=False), ValueError,
     r"`y` must hold one label per sample of X", False),
    ("fit-temperature-y-length", lambda c: F(c.logits, [0, 1]), ValueError,
     r"`y` must be 1-D with one label per row of `logits`; got shape \(2,\) for "
     r"3 rows", False),
    ("fit-temperature-y-out-of-range", lambda c: F(c.logits, [0, 1, 2]),
     ValueError, r"`y` must hold column indices in \[0, 1\]; got values in "
     r"\[0, 2\]", False),
    ("soup-continuous-y", lambda c: S(c, [c.lr_a, c.lr_b], y=c.y + 0.5),
     ValueError, _LABEL_TYPE, False),
    ("stacking-continuous-y", lambda c: K(c, [c.lr_a, c.lr_b], y=c.y + 0.5),
     ValueError, _LABEL_TYPE, False),
    ("temperature-continuous-y", lambda c: T(c, c.lr_a, y=c.y + 0.5), ValueError,
     _LABEL_TYPE, False),
    # a multi-output target is one a classifier cannot take, as in
    # VotingClassifier: NotImplementedError
    ("soup-2d-y", lambda c: S(c, [c.lr_a, c.lr_b], y=np.c_[c.y, c.y]),
     NotImplementedError, r"SoupClassifier supports binary or multiclass targets "
     r"only; got a multiclass-multioutput target", False),
    ("stacking-2d-y", lambda c: K(c, [c.lr_a, c.lr_b], y=np.c_[c.y, c.y]),
     NotImplementedError, r"StackingMerger supports binary or multiclass targets "
     r"only; got a multiclass-multioutput target", False),
    # -- weights ----------------------------------------------------------------
    ("soup-weights-length", lambda c: S(c, [c.lr_a, c.lr_b], weights=[1.0]),
     ValueError, r"Number of `estimators` and weights must be equal; got 1 "
     r"weights, 2 estimators", False),
    ("soup-weights-length-prefit-false",
     lambda c: S(c, [LR(), LR(C=0.1)], weights=[1, 2, 3], prefit=False),
     ValueError, r"Number of `estimators` and weights must be equal; got 3 "
     r"weights, 2 estimators", False),
    ("soup-weights-2d", lambda c: S(c, [c.lr_a, c.lr_b], weights=[[1.0, 2.0]]),
     ValueError, r"`weights` must be 1-D, one weight per estimator; got shape "
     r"\(1, 2\) for 2 estimators", False),
    ("soup-weights-negative", lambda c: S(c, [c.lr_a, c.lr_b], weights=[1, -1]),
     ValueError, r"`weights` must be non-negative; got \[1\.0, -1\.0\]", False),
    ("soup-weights-all-zero", lambda c: S(c, [c.lr_a, c.lr_b], weights=[0, 0]),
     ValueError, r"At least one member must have a positive weight; got weights "
     r"\[0\.0, 0\.0\]", False),
    ("soup-weights-zero-after-drop",
     lambda c: S(c, [("a", "drop"), ("b", c.lr_b)], weights=[1, 0]), ValueError,
     r"positive weight.*\(dropped members excluded\)", False),
    ("soup-weights-nan", lambda c: S(c, [c.lr_a, c.lr_b], weights=[1, np.nan]),
     ValueError, r"`weights` must not contain NaN; got \[1\.0, nan\]", False),
    ("soup-weights-inf", lambda c: S(c, [c.lr_a, c.lr_b], weights=[1, np.inf]),
     ValueError, r"`weights` must be finite; got \[1\.0, inf\]", False),
    ("soup-weights-not-numbers",
     lambda c: S(c, [c.lr_a, c.lr_b], weights=["a", "b"]), ValueError,
     r"`weights` must be numbers, one per estimator", False),
    # -- sample weights -----------------------------------------------------------
    ("soup-sample-weight-length",
     lambda c: S(c, [c.lr_a, c.lr_b], fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("soup-sample-weight-negative",
     lambda c: S(c, [c.lr_a, c.lr_b],
                 fit_params={"sample_weight": np.r_[-1.0, np.ones(89)]}),
     ValueError, r"Negative values in data passed to `sample_weight`", False),
    ("soup-sample-weight-negative-prefit-false",
     lambda c: S(c, [LR(), LR(C=0.1)], prefit=False,
                 fit_params={"sample_weight": np.r_[-1.0, np.ones(89)]}),
     ValueError, r"Negative values in data passed to `sample_weight`", False),
    ("soup-sample-weight-zero",
     lambda c: S(c, [c.lr_a, c.lr_b], fit_params={"sample_weight": np.zeros(90)}),
     ValueError, _SW_ZERO, False),
    ("soup-sample-weight-nan",
     lambda c: S(c, [c.lr_a, c.lr_b],
                 fit_params={"sample_weight": np.r_[np.nan, np.ones(89)]}),
     ValueError, r"Input sample_weight contains NaN", False),
    ("stacking-sample-weight-length",
     lambda c: K(c, [c.lr_a, c.lr_b], fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("temperature-sample-weight-length",
     lambda c: T(c, c.lr_a, fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("temperature-sample-weight-negative",
     lambda c: T(c, c.lr_a, fit_params={"sample_weight": np.r_[-1.0, np.ones(89)]}),
     ValueError, r"Negative values in data passed to `sample_weight`", False),
    ("temperature-sample-weight-zero",
     lambda c: T(c, c.lr_a, fit_params={"sample_weight": np.zeros(90)}),
     ValueError, _SW_ZERO, False),
    ("fit-temperature-sample-weight-negative",
     lambda c: F(c.logits, c.logit_y, [1.0, -1.0, 1.0]), ValueError,
     r"`sample_weight` must be finite and non-negative", False),
    ("fit-temperature-sample-weight-zero",
     lambda c: F(c.logits, c.logit_y, [0.0, 0.0, 0.0]), ValueError,
     r"`sample_weight` must not be all zero", False),
    # -- combine="params" and align -----------------------------------------------
    ("soup-params-mixed-families",
     lambda c: S(c, [("a", c.lr_a), ("b", c.svc)], combine="params"), ValueError,
     r"member 'a' \(CountingLogisticRegression\) and member 'b' "
     r"\(CountingLinearSVC\) are of different classes.*" + _USE_PROBA, False),
    ("soup-params-mixed-families-prefit-false",
     lambda c: S(c, [("a", LR()), ("b", CountingLinearSVC())], combine="params",
                 prefit=False), ValueError,
     r"member 'a' \(CountingLogisticRegression\) and member 'b' "
     r"\(CountingLinearSVC\) are of different classes.*" + _USE_PROBA, False),
    ("soup-params-unsupported",
     lambda c: S(c, [("a", c.lr_a), ("b", c.nb)], combine="params"), ValueError,
     r"member 'b' \(CountingGaussianNB\) cannot be averaged in weight space.*"
     + _USE_PROBA, False),
    ("soup-params-trees",
     lambda c: S(c, [("a", c.tree_a), ("b", c.tree_b)], combine="params"),
     ValueError, r"member 'a' \(CountingDecisionTreeClassifier\), member 'b' "
     r"\(CountingDecisionTreeClassifier\) cannot be averaged in weight space.*"
     + _USE_PROBA, False),
    ("soup-params-trees-prefit-false",
     lambda c: S(c, [("a", CountingDecisionTreeClassifier()),
                     ("b", CountingDecisionTreeClassifier())], combine="params",
                 prefit=False), ValueError,
     r"member 'a' \(CountingDecisionTreeClassifier\) cannot be averaged in weight "
     r"space.*" + _USE_PROBA, False),
    ("soup-params-mlp-shapes",
     lambda c: S(c, [("a", c.mlp4), ("b", c.mlp5)], combine="params"), ValueError,
     r"member 'a' and member 'b' have different layer shapes.*identical "
     r"hidden_layer_sizes.*" + _USE_PROBA, False),
    ("soup-params-mlp-shapes-prefit-false",
     lambda c: S(c, [("a", MLP((4,))), ("b", MLP((5,)))], combine="params",
                 prefit=False), ValueError,
     r"member 'a' and member 'b' have different hidden_layer_sizes: \(4,\) vs "
     r"\(5,\).*"
     + _USE_PROBA, False),
    ("soup-params-mlp-activation",
     lambda c: S(c, [("a", c.mlp4), ("b", c.mlp4_tanh)], combine="params"),
     ValueError, r"member 'a' and member 'b' have different activation: 'relu' "
     r"vs 'tanh'.*" + _USE_PROBA, False),
    ("soup-params-mlp-activation-prefit-false",
     lambda c: S(c, [("a", MLP((4,))), ("b", MLP((4,), activation="tanh"))],
                 combine="params", prefit=False), ValueError,
     r"member 'a' and member 'b' have different activation: 'relu' vs 'tanh'.*"
     + _USE_PROBA, False),
    ("soup-params-pipelines-fitted-differently",
     lambda c: S(c, [("a", c.pipe_std), ("b", c.pipe_minmax)], combine="params"),
     ValueError, r"member 'a' and member 'b' are Pipelines with different steps.*"
     + _USE_PROBA, False),
    ("soup-align-linear",
     lambda c: S(c, [("a", c.lr_a), ("b", c.lr_b)], combine="params",
                 align="permutation"), ValueError,
     r'align="permutation" needs combine="params" over MLP members '
     r"\(MLPClassifier or MLPRegressor\); "
     r"member 'a' is a CountingLogisticRegression", False),
    ("soup-align-linear-prefit-false",
     lambda c: S(c, [("a", LR()), ("b", LR())], combine="params",
                 align="permutation", prefit=False), ValueError,
     r'align="permutation" needs combine="params" over MLP members',
     False),
    ("soup-align-without-params",
     lambda c: S(c, [c.mlp4, c.mlp4_tanh], align="permutation"), ValueError,
     r'align="permutation" applies to combine="params" only; got '
     r"combine='proba'", False),
    # -- non-finite outputs and logits (seen only once a member has run) ----------
    ("soup-proba-non-finite",
     lambda c: S(c, [("a", c.lr_a), ("b", c.non_finite)]), ValueError,
     r"Member 'b' \(CountingNonFinite\) returned non-finite values \(NaN or "
     r"infinity\) from predict_proba", True),
    ("soup-logit-non-finite",
     lambda c: S(c, [("a", c.lr_a), ("b", c.non_finite)], combine="logit"),
     ValueError, r"Member 'b' \(CountingNonFinite\) returned non-finite values", True),
    ("soup-non-finite-prefit-false",
     # recipe="greedy": a uniform soup of unfitted members needs no held-out
     # outputs (each member is fitted once, as VotingClassifier fits it)
     lambda c: S(c, [("a", LR()), ("b", CountingNonFinite())], prefit=False,
                 recipe="greedy"),
     ValueError, r"Member 'b' \(CountingNonFinite\) returned non-finite values", True),
    ("stacking-non-finite",
     lambda c: K(c, [("a", c.lr_a), ("b", c.non_finite)]), ValueError,
     r"Member 'b' \(CountingNonFinite\) returned non-finite values \(NaN or "
     r"infinity\) from predict_proba", True),
    ("stacking-non-finite-decision-function",
     lambda c: K(c, [("a", c.lr_a), ("b", c.non_finite)],
                 stack_method="decision_function"), ValueError,
     r"Member 'b' \(CountingNonFinite\) returned non-finite values \(NaN or "
     r"infinity\) from decision_function", True),
    ("stacking-non-finite-prefit-false",
     lambda c: K(c, [("a", LR()), ("b", CountingNonFinite())], prefit=False),
     ValueError, r"Member 'b' \(CountingNonFinite\) returned non-finite values",
     True),
    ("temperature-non-finite", lambda c: T(c, c.non_finite), ValueError,
     r"Member 'estimator' \(CountingNonFinite\) returned non-finite values \(NaN "
     r"or infinity\) from decision_function", True),
    ("temperature-non-finite-proba",
     lambda c: T(c, c.non_finite, response="predict_proba"), ValueError,
     r"Member 'estimator' \(CountingNonFinite\) returned non-finite values \(NaN "
     r"or infinity\) from predict_proba", True),
    ("fit-temperature-inf",
     lambda c: F(np.array([[0.0, np.inf], [1.0, 0.0]]), [0, 1]), ValueError,
     r"`logits` must be finite; got NaN or infinite values in 1 row\(s\)", False),
    ("fit-temperature-nan",
     lambda c: F(np.array([[0.0, 1.0], [np.nan, 0.0]]), [0, 1]), ValueError,
     r"`logits` must be finite; got NaN or infinite values in 1 row\(s\).*row 1",
     False),
    ("fit-temperature-float32-inf",
     lambda c: F(np.array([[0.0, -np.inf], [1.0, 0.0]], dtype=np.float32), [0, 1]),
     ValueError, r"`logits` must be finite", False),
    ("fit-temperature-bad-shape", lambda c: F(np.zeros((3, 1)), [0, 0, 0]),
     ValueError, r"`logits` must have shape \(n_samples, n_classes\) with "
     r"n_classes >= 2", False),
    # -- parameters: temperature, n_iter, scoring and the rest --------------------
    ("soup-temperature-zero", lambda c: S(c, [c.lr_a, c.lr_b], temperature=0),
     InvalidParameterError, _PARAM.format("temperature", "SoupClassifier",
                                          r".*range \(0\.0, inf\)"), False),
    ("soup-temperature-negative",
     lambda c: S(c, [c.lr_a, c.lr_b], temperature=-1.0), InvalidParameterError,
     _PARAM.format("temperature", "SoupClassifier", r".*range \(0\.0, inf\)"),
     False),
    ("soup-temperature-nan",
     lambda c: S(c, [c.lr_a, c.lr_b], temperature=float("nan")),
     InvalidParameterError,
     _PARAM.format("temperature", "SoupClassifier", r".*range \(0\.0, inf\)"),
     False),
    ("soup-temperature-unknown-string",
     lambda c: S(c, [c.lr_a, c.lr_b], temperature="fit"), InvalidParameterError,
     _PARAM.format("temperature", "SoupClassifier", r"a str among \{'auto'\}"),
     False),
    ("temperature-temperature-zero", lambda c: T(c, c.lr_a, temperature=0.0),
     InvalidParameterError,
     _PARAM.format("temperature", "TemperatureCalibratedClassifier",
                   r".*range \(0\.0, inf\)"), False),
    ("temperature-temperature-negative", lambda c: T(c, c.lr_a, temperature=-2),
     InvalidParameterError,
     _PARAM.format("temperature", "TemperatureCalibratedClassifier",
                   r".*range \(0\.0, inf\)"), False),
    ("soup-n-iter-zero",
     lambda c: S(c, [c.lr_a, c.lr_b], recipe="ensemble_selection", n_iter=0),
     InvalidParameterError,
     _PARAM.format("n_iter", "SoupClassifier", r"an int in the range \[1, inf\)"),
     False),
    ("soup-n-iter-negative", lambda c: S(c, [c.lr_a, c.lr_b], n_iter=-3),
     InvalidParameterError,
     _PARAM.format("n_iter", "SoupClassifier", r"an int in the range \[1, inf\)"),
     False),
    ("soup-n-iter-float", lambda c: S(c, [c.lr_a, c.lr_b], n_iter=2.5),
     InvalidParameterError,
     _PARAM.format("n_iter", "SoupClassifier", r"an int in the range \[1, inf\)"),
     False),
    ("soup-scoring-unknown", lambda c: S(c, [c.lr_a, c.lr_b], scoring="f2"),
     InvalidParameterError,
     _PARAM.format("scoring", "SoupClassifier", r"a str among .*'neg_log_loss'"),
     False),
    ("soup-scoring-regression",
     lambda c: S(c, [c.lr_a, c.lr_b], scoring="r2"), InvalidParameterError,
     _PARAM.format("scoring", "SoupClassifier", r"a str among .*'roc_auc_ovr'"),
     False),
    ("soup-scoring-binary-on-three-classes-prefit-false",
     lambda c: S(c, [LR(), LR(C=0.1)], scoring="roc_auc", prefit=False),
     ValueError, r"`scoring`='roc_auc' cannot score this problem \(3 classes\)",
     False),
    ("soup-scoring-regression-scorer",
     lambda c: S(c, [c.lr_a, c.lr_b], scoring=get_scorer("r2")), ValueError,
     r"`scoring` must score a classifier's predictions or probabilities", False),
    ("soup-combine-unknown", lambda c: S(c, [c.lr_a, c.lr_b], combine="mean"),
     InvalidParameterError,
     _PARAM.format("combine", "SoupClassifier", r"a str among"), False),
    ("soup-recipe-unknown", lambda c: S(c, [c.lr_a, c.lr_b], recipe="best"),
     InvalidParameterError,
     _PARAM.format("recipe", "SoupClassifier", r"a str among"), False),
    ("soup-align-unknown",
     lambda c: S(c, [c.mlp4, c.mlp4], combine="params", align="sort"),
     InvalidParameterError,
     _PARAM.format("align", "SoupClassifier", r"a str among \{'permutation'\}"),
     False),
    ("soup-cv-one-fold",
     lambda c: S(c, [LR(), LR(C=0.1)], prefit=False, cv=1), InvalidParameterError,
     _PARAM.format("cv", "SoupClassifier", r"an int in the range \[2, inf\)"),
     False),
    ("soup-estimators-not-a-list", lambda c: S(c, c.lr_a), InvalidParameterError,
     _PARAM.format("estimators", "SoupClassifier", r"an instance of 'list'"),
     False),
    ("stacking-stack-method-unknown",
     lambda c: K(c, [c.lr_a, c.lr_b], stack_method="proba"), InvalidParameterError,
     _PARAM.format("stack_method", "StackingMerger", r"a str among"), False),
    ("stacking-merge-unknown", lambda c: K(c, [c.lr_a, c.lr_b], merge="yes"),
     InvalidParameterError,
     _PARAM.format("merge", "StackingMerger", r"a str among \{'auto'\}"), False),
    ("stacking-cv-one-fold",
     lambda c: K(c, [LR(), LR(C=0.1)], prefit=False, cv=1), InvalidParameterError,
     _PARAM.format("cv", "StackingMerger", r"an int in the range \[2, inf\)"),
     False),
    ("temperature-response-unknown",
     lambda c: T(c, c.lr_a, response="logits"), InvalidParameterError,
     _PARAM.format("response", "TemperatureCalibratedClassifier",
                   r"a str among"), False),
    # -- CalibratedClassifier and fit_calibration_map -------------------------------
    ("calibrated-unfitted", lambda c: C(c, LR()), NotFittedError,
     _UNFITTED.format("estimator"), False),
    ("calibrated-unfitted-frozen", lambda c: C(c, FrozenEstimator(LR())),
     NotFittedError, _UNFITTED.format("estimator"), False),
    ("calibrated-none-prefit", lambda c: C(c, None), ValueError,
     r"With prefit=True, `estimator` must be a fitted classifier; got None", False),
    ("calibrated-regressor", lambda c: C(c, LinearRegression().fit(c.X, c.y)),
     InvalidParameterError,
     _PARAM.format("estimator", "CalibratedClassifier",
                   r"an object implementing 'fit' and 'predict_proba'"), False),
    ("calibrated-predict-only", lambda c: C(c, c.only_predict),
     InvalidParameterError,
     _PARAM.format("estimator", "CalibratedClassifier",
                   r"an object implementing 'fit' and 'predict_proba', an object "
                   r"implementing 'fit' and 'decision_function'"), False),
    ("calibrated-method-unknown", lambda c: C(c, c.lr_a, method="beta"),
     InvalidParameterError,
     _PARAM.format("method", "CalibratedClassifier", r"a str among") + r".*"
     r"Got 'beta' instead", False),
    ("calibrated-method-unknown-prefit-false",
     lambda c: C(c, LR(), method="dirichlet", prefit=False), InvalidParameterError,
     _PARAM.format("method", "CalibratedClassifier", r"a str among"), False),
    ("calibrated-method-none", lambda c: C(c, c.lr_a, method=None),
     InvalidParameterError,
     _PARAM.format("method", "CalibratedClassifier", r"a str among"), False),
    ("calibrated-response-unknown", lambda c: C(c, c.lr_a, response="logits"),
     InvalidParameterError,
     _PARAM.format("response", "CalibratedClassifier", r"a str among"), False),
    ("calibrated-random-state-bad", lambda c: C(c, c.lr_a, random_state="seed"),
     InvalidParameterError,
     _PARAM.format("random_state", "CalibratedClassifier", r"an int in the range"),
     False),
    ("calibrated-cv-one-fold", lambda c: C(c, LR(), prefit=False, cv=1),
     InvalidParameterError,
     _PARAM.format("cv", "CalibratedClassifier", r"an int in the range \[2, inf\)"),
     False),
    ("calibrated-forced-predict-proba",
     lambda c: C(c, c.svc, response="predict_proba"), ValueError,
     _NO_METHOD.format("estimator", "CountingLinearSVC", "predict_proba"), False),
    ("calibrated-forced-predict-proba-prefit-false",
     lambda c: C(c, CountingLinearSVC(), response="predict_proba", prefit=False),
     ValueError, _NO_METHOD.format("estimator", "CountingLinearSVC",
                                   "predict_proba"), False),
    ("calibrated-forced-decision-function",
     lambda c: C(c, c.nb, response="decision_function"), ValueError,
     _NO_METHOD.format("estimator", "CountingGaussianNB", "decision_function"),
     False),
    ("calibrated-one-class", lambda c: C(c, c.lr_a, y=np.zeros_like(c.y)),
     ValueError, r"calibration data must hold " + _ONE_CLASS, False),
    ("calibrated-one-class-prefit-false",
     lambda c: C(c, LR(), y=np.zeros_like(c.y), prefit=False), ValueError,
     r"calibration data must hold " + _ONE_CLASS, False),
    ("calibrated-unseen-labels",
     lambda c: C(c, c.lr_a, y=np.where(c.y == 2, 7, c.y)), ValueError,
     r"The calibration data " + _UNSEEN + r"; the members' classes are \[0, 1, 2\]",
     False),
    ("calibrated-continuous-y", lambda c: C(c, c.lr_a, y=c.y + 0.5), ValueError,
     _LABEL_TYPE, False),
    ("calibrated-y-length", lambda c: C(c, c.lr_a, y=c.y[:45]), ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("calibrated-y-length-prefit-false",
     lambda c: C(c, LR(), y=c.y[:45], prefit=False), ValueError,
     r"`y` must hold one label per sample of X; got 45 labels for 90 samples",
     False),
    ("calibrated-sample-weight-length",
     lambda c: C(c, c.lr_a, fit_params={"sample_weight": np.ones(45)}),
     ValueError, _SW_LENGTH, False),
    ("calibrated-sample-weight-negative",
     lambda c: C(c, c.lr_a, fit_params={"sample_weight": np.r_[-1.0, np.ones(89)]}),
     ValueError, r"Negative values in data passed to `sample_weight`", False),
    ("calibrated-sample-weight-zero",
     lambda c: C(c, c.lr_a, fit_params={"sample_weight": np.zeros(90)}),
     ValueError, _SW_ZERO, False),
    ("calibrated-sample-weight-nan",
     lambda c: C(c, c.lr_a, fit_params={"sample_weight": np.r_[np.nan, np.ones(89)]}),
     ValueError, r"Input sample_weight contains NaN", False),
    ("calibrated-non-finite", lambda c: C(c, c.non_finite), ValueError,
     r"Member 'estimator' \(CountingNonFinite\) returned non-finite values \(NaN "
     r"or infinity\) from decision_function", True),
    ("calibrated-non-finite-proba",
     lambda c: C(c, c.non_finite, response="predict_proba", method="matrix"),
     ValueError,
     r"Member 'estimator' \(CountingNonFinite\) returned non-finite values \(NaN "
     r"or infinity\) from predict_proba", True),
    ("calibrated-non-finite-prefit-false",
     lambda c: C(c, CountingNonFinite(), prefit=False, method="vector"), ValueError,
     r"Member 'estimator' \(CountingNonFinite\) returned non-finite values", True),
    ("fit-calibration-map-method-unknown",
     lambda c: M(c.logits, c.logit_y, method="beta"), InvalidParameterError,
     _PARAM.format("method", "fit_calibration_map", r"a str among"), False),
    ("fit-calibration-map-random-state-bad",
     lambda c: M(c.logits, c.logit_y, method="auto", random_state="seed"),
     InvalidParameterError,
     _PARAM.format("random_state", "fit_calibration_map", r"an int in the range"),
     False),
    ("fit-calibration-map-inf",
     lambda c: M(np.array([[0.0, np.inf], [1.0, 0.0]]), [0, 1], method="matrix"),
     ValueError, r"`logits` must be finite; got NaN or infinite values in 1 "
     r"row\(s\)", False),
    ("fit-calibration-map-nan",
     lambda c: M(np.array([[0.0, 1.0], [np.nan, 0.0]]), [0, 1], method="auto"),
     ValueError, r"`logits` must be finite; got NaN or infinite values in 1 "
     r"row\(s\).*row 1", False),
    ("fit-calibration-map-float32-inf",
     lambda c: M(np.array([[0.0, -np.inf], [1.0, 0.0]], dtype=np.float32), [0, 1],
                 method="ets"), ValueError, r"`logits` must be finite", False),
    ("fit-calibration-map-bad-shape",
     lambda c: M(np.zeros((3, 1)), [0, 0, 0], method="vector"), ValueError,
     r"`logits` must have shape \(n_samples, n_classes\) with n_classes >= 2",
     False),
    ("fit-calibration-map-one-class",
     lambda c: M(c.logits, [0, 0, 0], method="ets"), ValueError,
     r"calibration labels of " + _ONE_CLASS, False),
    ("fit-calibration-map-y-length", lambda c: M(c.logits, [0, 1], method="matrix"),
     ValueError, r"`y` must be 1-D with one label per row of `logits`; got shape "
     r"\(2,\) for 3 rows", False),
    ("fit-calibration-map-y-out-of-range",
     lambda c: M(c.logits, [0, 1, 2], method="matrix"), ValueError,
     r"`y` must hold column indices in \[0, 1\]; got values in \[0, 2\]", False),
    ("fit-calibration-map-string-y",
     lambda c: M(c.logits, ["a", "b", "a"], method="vector"), ValueError,
     r"`y` must hold integer column indices 0..n_classes-1 of `logits`", False),
    ("fit-calibration-map-sample-weight-length",
     lambda c: M(c.logits, c.logit_y, [1.0, 1.0], method="matrix"), ValueError,
     r"sample_weight\.shape == \(2,\), expected \(3,\)", False),
    ("fit-calibration-map-sample-weight-negative",
     lambda c: M(c.logits, c.logit_y, [1.0, -1.0, 1.0], method="matrix"),
     ValueError, r"`sample_weight` must be finite and non-negative", False),
    ("fit-calibration-map-sample-weight-nan",
     lambda c: M(c.logits, c.logit_y, [1.0, np.nan, 1.0], method="auto"),
     ValueError, r"`sample_weight` must be finite and non-negative", False),
    ("fit-calibration-map-sample-weight-zero",
     lambda c: M(c.logits, c.logit_y, [0.0, 0.0, 0.0], method="matrix"),
     ValueError, r"`sample_weight` must not be all zero", False),
]
# fmt: on


def _fingerprints(c):
    return {
        name: pickle.dumps(value)
        for name, value in vars(c).items()
        if isinstance(value, BaseEstimator)
    }


@pytest.mark.parametrize(
    "build, exc, match, may_run_members",
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_bad_input(ctx, build, exc, match, may_run_members):
    est, call = build(ctx)
    before = _fingerprints(ctx)
    CALLS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match) as excinfo:
            call()
    # scikit-learn's usual type, not a subclass of it (NotFittedError and
    # InvalidParameterError are expected only where the row says so).
    assert excinfo.type is exc
    if not may_run_members:
        assert not CALLS, f"members ran before the error: {dict(CALLS)}"
    if est is not None:
        # A failed fit leaves a fresh estimator unfitted.
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
        with pytest.raises(NotFittedError):
            est.predict(ctx.X)
        fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
        assert not fitted, f"fitted attributes left behind: {fitted}"
    assert _fingerprints(ctx) == before, "a member of the user's changed"


def test_every_estimator_is_in_the_matrix():
    prefixes = Counter(row[0].split("-")[0] for row in ROWS)
    assert set(prefixes) == {
        "soup",
        "soupregressor",
        "stacking",
        "stackingregressor",
        "temperature",
        "calibrated",
        "fit",
    }
    assert all(count >= 5 for count in prefixes.values())
    assert len({row[0] for row in ROWS}) == len(ROWS), "duplicate row ids"


# A failed refit -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, bad",
    [
        pytest.param(
            lambda c: SoupClassifier(
                [c.lr_a, c.lr_b], recipe="greedy", temperature="auto"
            ),
            lambda c: {"weights": [1.0, -1.0], "recipe": "uniform"},
            id="soup-bad-weights",
        ),
        pytest.param(
            lambda c: SoupClassifier([c.lr_a, c.lr_b], combine="logit"),
            lambda c: {"combine": "params", "estimators": [c.tree_a, c.tree_b]},
            id="soup-params-over-trees",
        ),
        pytest.param(
            lambda c: SoupClassifier([c.lr_a, c.lr_b]),
            lambda c: {"estimators": [c.lr_a, c.non_finite]},
            id="soup-non-finite-member",
        ),
        pytest.param(
            lambda c: StackingMerger([c.lr_a, c.nb]),
            lambda c: {"stack_method": "decision_function"},
            id="stacking-missing-method",
        ),
        pytest.param(
            lambda c: TemperatureCalibratedClassifier(c.lr_a),
            lambda c: {"estimator": c.non_finite},
            id="temperature-non-finite",
        ),
    ],
)
def test_failed_refit_keeps_the_previous_fit_whole(ctx, make, bad):
    """A refit that fails leaves the previous fit untouched and self-consistent:
    nothing of the failed attempt is used by later calls."""
    est = make(ctx).fit(ctx.X, ctx.y)
    state = {k: pickle.dumps(v) for k, v in vars(est).items() if k.endswith("_")}
    proba = est.predict_proba(ctx.X)
    est.set_params(**bad(ctx))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            est.fit(ctx.X, ctx.y)
    after = {k: pickle.dumps(v) for k, v in vars(est).items() if k.endswith("_")}
    assert after == state
    np.testing.assert_array_equal(est.predict_proba(ctx.X), proba)
