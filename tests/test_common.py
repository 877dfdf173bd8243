# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks on every public estimator, in many
configurations.

Each ``combine`` and each ``recipe`` of :class:`~skmerge.SoupClassifier`,
:class:`~skmerge.StackingMerger` with and without ``passthrough`` (and merged
into one linear model), :class:`~skmerge.TemperatureCalibratedClassifier`, and
a calibrated soup run
:func:`~sklearn.utils.estimator_checks.parametrize_with_checks`. (The other
nestings, a soup of calibrated members and a stack of soups, pass them too,
but for sample-weight equivalence where the members' own cv splits repeated
rows differently from weighted ones; they cost several seconds each in nested
cross-validation, so ``test_ecosystem.py`` checks them against independent
computations instead.)

These instances fit their members (``prefit=False``): the checks fit each
estimator on data of their own making, while prefit members are fitted on
data of ours, with its features and classes, which a prefit estimator
requires (its members are used as they are, never refitted). Prefit
instances therefore run the checks of the estimator API that need no fit
(parameters, clone, repr, tags, not-fitted errors) here; the properties of
fitted prefit estimators (members never modified, clone, search,
persistence) are tested in ``test_properties.py``.

The estimator checks run in this file only.

Expected failures carry their reason; on scikit-learn versions that support
it they are strict, so a reason that stops being true fails the suite.
"""

import inspect
import warnings

import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmerge import (
    CalibratedClassifier,
    SoupClassifier,
    SoupRegressor,
    StackingMerger,
    StackingMergerRegressor,
    TemperatureCalibratedClassifier,
)

SKLEARN_VERSION = tuple(int(part) for part in sklearn.__version__.split(".")[:2])


def _tree():
    return DecisionTreeClassifier(max_depth=3, random_state=0)


def _tree_regressor():
    return DecisionTreeRegressor(max_depth=3, random_state=0)


# cv=2 keeps the many fits of the checks cheap; a seed makes them repeatable.
SOUP = dict(prefit=False, cv=2, random_state=0)
STACK = dict(prefit=False, cv=2)
CALIBRATED = dict(prefit=False, cv=2)

# A member Pipeline takes no `sample_weight` in fit unless metadata routing is
# enabled (then the soup routes it to the steps that request it). Without
# routing the soup warns and fits that member unweighted, as
# CalibratedClassifierCV does, so weights are not equivalent to repetitions.
_UNWEIGHTED_MEMBER = (
    "{} fit takes no sample_weight{}: as CalibratedClassifierCV, skmerge warns "
    "and fits it unweighted, so sample weights are not equivalent to repeated "
    "samples"
)
PIPELINE_MEMBER_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": _UNWEIGHTED_MEMBER.format(
        "a Pipeline member's", " while metadata routing is disabled"
    ),
    "check_sample_weight_equivalence_on_sparse_data": _UNWEIGHTED_MEMBER.format(
        "a Pipeline member's", " while metadata routing is disabled"
    ),
}


def _mlp_member_failures(mlp):
    """MLPClassifier and MLPRegressor take sample_weight from scikit-learn
    1.7 on."""
    return (
        dict.fromkeys(
            [
                "check_sample_weight_equivalence_on_dense_data",
                "check_sample_weight_equivalence_on_sparse_data",
            ],
            _UNWEIGHTED_MEMBER.format(f"{mlp}'s", " before scikit-learn 1.7"),
        )
        if SKLEARN_VERSION < (1, 7)
        else {}
    )


MLP_MEMBER_FAILURES = _mlp_member_failures("MLPClassifier")


def _instances():
    """(estimator, expected failed checks) pairs."""
    return [
        # SoupClassifier: every combine and every recipe -------------------------
        (SoupClassifier([LogisticRegression(), GaussianNB()], **SOUP), {}),
        (
            SoupClassifier(
                [LogisticRegression(), GaussianNB()],
                recipe="optimized",
                temperature="auto",
                **SOUP,
            ),
            {},
        ),
        (
            SoupClassifier(
                [("nb", GaussianNB()), ("tree", _tree())],
                combine="logit",
                recipe="greedy",
                **SOUP,
            ),
            {},
        ),
        (
            # decision functions only: logits are the members' own
            SoupClassifier(
                [RidgeClassifier(alpha=1.0), RidgeClassifier(alpha=30.0)],
                combine="logit",
                recipe="optimized",
                **SOUP,
            ),
            {},
        ),
        (
            SoupClassifier(
                [GaussianNB(), _tree()],
                combine="vote",
                recipe="ensemble_selection",
                n_iter=5,
                **SOUP,
            ),
            {},
        ),
        (
            SoupClassifier(
                [LogisticRegression(C=0.1), LogisticRegression(C=10.0)],
                combine="params",
                weights=[1, 3],
                **SOUP,
            ),
            {},
        ),
        (
            SoupClassifier(
                [
                    MLPClassifier(
                        hidden_layer_sizes=(8,),
                        solver="lbfgs",
                        max_iter=30,
                        random_state=seed,
                    )
                    for seed in (0, 1)
                ],
                combine="params",
                recipe="greedy",
                align="permutation",
                **SOUP,
            ),
            MLP_MEMBER_FAILURES,
        ),
        (
            SoupClassifier(
                [make_pipeline(StandardScaler(), LogisticRegression()), GaussianNB()],
                recipe="greedy",
                scoring="accuracy",
                temperature=2.0,
                **SOUP,
            ),
            PIPELINE_MEMBER_FAILURES,
        ),
        # StackingMerger ----------------------------------------------------------
        (StackingMerger([RidgeClassifier(), _tree()], **STACK), {}),
        (
            StackingMerger(
                [LogisticRegression(), GaussianNB()],
                stack_method="predict_log_proba",
                **STACK,
            ),
            {},
        ),
        (StackingMerger([RidgeClassifier(), _tree()], passthrough=True, **STACK), {}),
        (
            # linear members through decision_function: one merged model
            StackingMerger(
                [RidgeClassifier(), LinearSVC(random_state=0)],
                stack_method="decision_function",
                **STACK,
            ),
            {},
        ),
        (
            StackingMerger(
                [GaussianNB(), _tree()],
                final_estimator=_tree(),
                stack_method="predict",
                **STACK,
            ),
            {},
        ),
        # SoupRegressor: every combine and every recipe --------------------------
        (SoupRegressor([Ridge(), _tree_regressor()], **SOUP), {}),
        (
            SoupRegressor(
                [Ridge(), _tree_regressor(), KNeighborsRegressor(3)],
                combine="median",
                recipe="greedy",
                **SOUP,
            ),
            dict.fromkeys(
                [
                    "check_sample_weight_equivalence_on_dense_data",
                    "check_sample_weight_equivalence_on_sparse_data",
                ],
                _UNWEIGHTED_MEMBER.format("KNeighborsRegressor's", ""),
            ),
        ),
        (
            SoupRegressor(
                [("ridge", Ridge()), ("tree", _tree_regressor())],
                recipe="optimized",
                **SOUP,
            ),
            {
                "check_estimators_nan_inf": "only members with a non-zero weight "
                "predict: on the check's data the optimized weights are all on "
                "the tree, which accepts NaN, so predict does not raise where "
                "the Ridge would"
            },
        ),
        (
            SoupRegressor(
                [Ridge(), _tree_regressor()],
                recipe="ensemble_selection",
                n_iter=4,
                scoring="neg_mean_absolute_error",
                **SOUP,
            ),
            {},
        ),
        (
            SoupRegressor(
                [Ridge(alpha=0.1), Ridge(alpha=10.0)],
                combine="params",
                recipe="optimized",
                **SOUP,
            ),
            {},
        ),
        (
            SoupRegressor(
                [
                    MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=s)
                    for s in (0, 1)
                ],
                combine="params",
                align="permutation",
                **SOUP,
            ),
            dict.fromkeys(
                [
                    "check_regressors_train",
                    "check_regressors_train(readonly_memmap=True)",
                    "check_regressors_train(readonly_memmap=True,X_dtype=float32)",
                ],
                "an MLPRegressor of 20 iterations scores below the check's R^2 "
                "floor of 0.5 on its own (and so does their merged soup); "
                "members that pass it (500 iterations) make these checks 40 s "
                "slower",
            )
            | _mlp_member_failures("MLPRegressor"),
        ),
        # StackingMergerRegressor -------------------------------------------------
        (StackingMergerRegressor([Ridge(), _tree_regressor()], **STACK), {}),
        (
            StackingMergerRegressor(
                [Ridge(), _tree_regressor()], passthrough=True, **STACK
            ),
            {},
        ),
        (
            # linear members and final estimator: one merged model
            StackingMergerRegressor(
                [Ridge(alpha=0.1), LinearRegression()], Ridge(), **STACK
            ),
            {},
        ),
        (
            StackingMergerRegressor(
                [Ridge(), KNeighborsRegressor(3)], _tree_regressor(), **STACK
            ),
            {},
        ),
        # Regressors over precomputed predictions: X is the members' predictions
        # (any finite numbers), so the checks' data are valid input. (Over
        # precomputed probabilities the checks' X is not: see PREFIT.)
        (SoupRegressor("precomputed", combine="median", recipe="optimized"), {}),
        (StackingMergerRegressor("precomputed"), {}),
        # TemperatureCalibratedClassifier -----------------------------------------
        (TemperatureCalibratedClassifier(LogisticRegression(), prefit=False, cv=2), {}),
        (
            TemperatureCalibratedClassifier(
                GaussianNB(), temperature=2.0, prefit=False, cv=2
            ),
            {},
        ),
        (
            TemperatureCalibratedClassifier(
                prefit=False, cv=2, response="decision_function"
            ),
            {},
        ),
        # CalibratedClassifier ----------------------------------------------------
        (CalibratedClassifier(LogisticRegression(), method="matrix", **CALIBRATED), {}),
        (CalibratedClassifier(GaussianNB(), method="vector", **CALIBRATED), {}),
        (CalibratedClassifier(_tree(), method="ets", **CALIBRATED), {}),
        (
            CalibratedClassifier(LogisticRegression(), random_state=0, **CALIBRATED),
            {
                check: "method='auto' chooses by its own seeded K-fold CV on the "
                "calibration data: a repeated row falls in one fold, a weighted "
                "row in one, but their folds differ, so the choice and the fit "
                "may differ"
                for check in (
                    "check_sample_weight_equivalence_on_dense_data",
                    "check_sample_weight_equivalence_on_sparse_data",
                )
            },
        ),
        # Nesting -------------------------------------------------------------------
        (
            # a calibrated soup: pool, then calibrate
            TemperatureCalibratedClassifier(
                SoupClassifier([GaussianNB(), _tree()], **SOUP),
                prefit=False,
                cv=2,
            ),
            {},
        ),
    ]


INSTANCES = _instances()
_EXPECTED = {id(est): failures for est, failures in INSTANCES}

# Strict where scikit-learn offers it (1.8+): an expected failure that passes
# fails the test, so every reason above stays true.
_STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@parametrize_with_checks(
    [est for est, _ in INSTANCES],
    expected_failed_checks=lambda est: _EXPECTED.get(id(est), {}),
    **_STRICT,
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # Convergence and small-fold warnings of members fitted on the
        # checks' tiny data sets are not what is checked.
        warnings.simplefilter("ignore")
        check(estimator)


# Prefit instances: the checks of the API that need no fit ----------------------------

API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_estimators_unfitted",
]


def _prefit_instances():
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    lr = LogisticRegression().fit(X, y)
    nb = GaussianNB().fit(X, y)
    ridge = RidgeClassifier().fit(X, y)
    X_reg, y_reg = make_regression(n_samples=120, n_features=5, random_state=0)
    return {
        "soup-proba": SoupClassifier([lr, nb], recipe="greedy"),
        "soup-params": SoupClassifier(
            [LogisticRegression(C=0.1).fit(X, y), lr], combine="params"
        ),
        "stack": StackingMerger([lr, nb]),
        "stack-merged": StackingMerger(
            [lr, ridge], stack_method="decision_function", merge=True
        ),
        "temperature": TemperatureCalibratedClassifier(nb),
        "calibrated": CalibratedClassifier(nb, method="vector"),
        "calibrated-soup": TemperatureCalibratedClassifier(
            SoupClassifier([lr, nb]).fit(X, y)
        ),
        "soup-regressor": SoupRegressor(
            [Ridge().fit(X_reg, y_reg), _tree_regressor().fit(X_reg, y_reg)],
            recipe="optimized",
        ),
        "soup-regressor-params": SoupRegressor(
            [Ridge(alpha=a).fit(X_reg, y_reg) for a in (0.1, 10.0)], combine="params"
        ),
        "soup-precomputed": SoupClassifier("precomputed", recipe="greedy"),
        "stack-precomputed": StackingMerger(
            "precomputed", stack_method="predict_log_proba"
        ),
        "stack-regressor": StackingMergerRegressor(
            [Ridge().fit(X_reg, y_reg), _tree_regressor().fit(X_reg, y_reg)]
        ),
        "stack-regressor-merged": StackingMergerRegressor(
            [Ridge(alpha=a).fit(X_reg, y_reg) for a in (0.1, 10.0)],
            Ridge(),
            merge=True,
        ),
    }


PREFIT = _prefit_instances()


@pytest.mark.parametrize("check_name", API_CHECKS)
@pytest.mark.parametrize("name", sorted(PREFIT))
def test_prefit_instances_api(name, check_name):
    estimator = PREFIT[name]
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)
    # (That a clone of a prefit estimator holds the same fitted members:
    # test_properties.py::test_clone_keeps_prefit_members_and_clones_the_others.)


# A configuration the list above lacks ---------------------------------------------

MORE_INSTANCES = [
    # combine="params" with recipe="optimized" and temperature="auto"
    SoupClassifier(
        [LogisticRegression(C=0.1), LogisticRegression(C=10.0)],
        combine="params",
        recipe="optimized",
        temperature="auto",
        **SOUP,
    ),
]


@parametrize_with_checks(MORE_INSTANCES, **_STRICT)
def test_sklearn_compatible_more_configurations(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_stacking_instances_merge_as_intended():
    """Of the StackingMerger instances above, those of linear members through
    decision_function predict through one merged model; the others do not."""
    X, y = make_classification(
        n_samples=60, n_classes=3, n_informative=3, random_state=0
    )
    stacks = [est for est, _ in INSTANCES if isinstance(est, StackingMerger)]
    assert stacks
    for stack in stacks:
        merged = clone(stack).fit(X, y).merged_estimator_
        if stack.stack_method == "decision_function":
            assert isinstance(merged, LogisticRegression), stack
        else:
            assert merged is None, stack


def test_stacking_regressor_instances_merge_as_intended():
    """Of the StackingMergerRegressor instances above, the one of linear
    members and a linear final estimator predicts through one merged model."""
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    stacks = [
        est
        for est, _ in INSTANCES
        if isinstance(est, StackingMergerRegressor) and est.estimators != "precomputed"
    ]
    merged = [clone(stack).fit(X, y).merged_estimator_ for stack in stacks]
    assert [type(m).__name__ for m in merged] == [
        "NoneType",
        "NoneType",
        "Ridge",
        "NoneType",
    ]
