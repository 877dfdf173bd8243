# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""skmerge in the scikit-learn ecosystem: composition, data types, metadata
routing and progress.

Every test compares with an independent computation: the same model fitted
by hand, a manual search loop, or the members' own outputs. (Searches over a
prefit estimator's own parameters, clone, persistence and joblib backends,
a Dask cluster among them, are tested over every configuration in
``test_properties.py``.)
"""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    ParameterSampler,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import Bunch

from skmerge import (
    SoupClassifier,
    SoupRegressor,
    StackingMerger,
    StackingMergerRegressor,
    TemperatureCalibratedClassifier,
    fit_temperature,
)

SKLEARN_VERSION = tuple(int(part) for part in sklearn.__version__.split(".")[:2])


# Data and members ---------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    """Three-class data: members train on `train`, skmerge fits on `held`."""
    X, y = make_classification(
        n_samples=420,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    return Bunch(
        X=X[:270],
        y=y[:270],
        X_train=X[:150],
        y_train=y[:150],
        X_held=X[150:270],
        y_held=y[150:270],
        X_test=X[270:],
        y_test=y[270:],
    )


@pytest.fixture(scope="module")
def members(data):
    return [
        ("lr", LogisticRegression().fit(data.X_train, data.y_train)),
        ("nb", GaussianNB().fit(data.X_train, data.y_train)),
        ("knn", KNeighborsClassifier(10).fit(data.X_train, data.y_train)),
    ]


def _prefit_estimators(members):
    """One prefit instance of each estimator (unfitted skmerge estimators)."""
    return {
        "soup": SoupClassifier(members, recipe="greedy", temperature="auto"),
        "stack": StackingMerger(members),
        "temperature": TemperatureCalibratedClassifier(members[0][1]),
    }


def _unfitted_estimators():
    """One prefit=False instance of each estimator, with named members."""
    return {
        "soup": SoupClassifier(
            [("lr", LogisticRegression()), ("nb", GaussianNB())],
            prefit=False,
            cv=3,
            random_state=0,
        ),
        "stack": StackingMerger(
            [("lr", LogisticRegression()), ("nb", GaussianNB())],
            final_estimator=LogisticRegression(),
            prefit=False,
            cv=3,
        ),
        "temperature": TemperatureCalibratedClassifier(
            LogisticRegression(), prefit=False, cv=3
        ),
    }


# Composition --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["soup", "stack", "temperature"])
def test_skmerge_estimator_as_the_last_pipeline_step(data, name):
    est = _unfitted_estimators()[name]
    pipe = make_pipeline(StandardScaler(), clone(est)).fit(data.X, data.y)

    scaler = StandardScaler().fit(data.X)
    by_hand = clone(est).fit(scaler.transform(data.X), data.y)
    assert_allclose(
        pipe.predict_proba(data.X_test),
        by_hand.predict_proba(scaler.transform(data.X_test)),
    )
    assert pipe.score(data.X_test, data.y_test) == by_hand.score(
        scaler.transform(data.X_test), data.y_test
    )


def test_members_that_are_pipelines(data):
    pipes = [
        make_pipeline(StandardScaler(), LogisticRegression(C=0.5)),
        make_pipeline(MinMaxScaler(), KNeighborsClassifier(8)),
    ]
    pipes = [pipe.fit(data.X_train, data.y_train) for pipe in pipes]
    X, y, X_test = data.X_held, data.y_held, data.X_test
    probas = [pipe.predict_proba(X_test) for pipe in pipes]

    soup = SoupClassifier(pipes).fit(X, y)
    assert_allclose(soup.predict_proba(X_test), np.mean(probas, axis=0))

    stack = StackingMerger(pipes, final_estimator=LogisticRegression()).fit(X, y)
    final = LogisticRegression().fit(np.hstack([p.predict_proba(X) for p in pipes]), y)
    assert_allclose(stack.predict_proba(X_test), final.predict_proba(np.hstack(probas)))

    calibrated = TemperatureCalibratedClassifier(pipes[0]).fit(X, y)
    assert calibrated.temperature_ == pytest.approx(
        fit_temperature(pipes[0].decision_function(X), y), rel=1e-9
    )


def _manual_search(make, candidates, X, y, cv):
    """Mean cross-validated accuracy of each candidate, fitted by hand."""
    scores = []
    for params in candidates:
        fold_scores = []
        for train, test in cv.split(X, y):
            est = make().set_params(**params).fit(X[train], y[train])
            fold_scores.append(est.score(X[test], y[test]))
        scores.append(np.mean(fold_scores))
    return np.asarray(scores)


@pytest.mark.parametrize(
    "name, param",
    [("soup", "lr__C"), ("stack", "lr__C"), ("temperature", "estimator__C")],
)
def test_randomized_search_over_members_parameters(data, name, param):
    est = _unfitted_estimators()[name]
    distributions = {param: loguniform(1e-3, 1e2)}
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    search = RandomizedSearchCV(
        est, distributions, n_iter=3, cv=cv, random_state=0
    ).fit(data.X, data.y)

    candidates = list(ParameterSampler(distributions, n_iter=3, random_state=0))
    manual = _manual_search(lambda: clone(est), candidates, data.X, data.y, cv)
    assert_allclose(search.cv_results_["mean_test_score"], manual)
    assert search.best_params_ == candidates[int(np.argmax(manual))]
    fitted_param = search.best_estimator_.get_params()[param]
    assert fitted_param == candidates[int(np.argmax(manual))][param]


def test_grid_search_over_the_member_of_a_pipeline_member(data):
    soup = SoupClassifier(
        [
            ("pipe", make_pipeline(StandardScaler(), LogisticRegression())),
            ("nb", GaussianNB()),
        ],
        prefit=False,
        cv=3,
        random_state=0,
    )
    grid = {
        "pipe__logisticregression__C": [0.01, 10.0],
        "recipe": ["uniform", "greedy"],
    }
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(soup, grid, cv=cv).fit(data.X, data.y)
    candidates = list(ParameterGrid(grid))
    manual = _manual_search(lambda: clone(soup), candidates, data.X, data.y, cv)
    assert_allclose(search.cv_results_["mean_test_score"], manual)
    assert search.best_params_ == candidates[int(np.argmax(manual))]


def test_nesting(data, members):
    X, y, X_test = data.X_held, data.y_held, data.X_test

    # A soup of calibrated members: calibrate, then pool.
    calibrated = [TemperatureCalibratedClassifier(m).fit(X, y) for _, m in members]
    soup = SoupClassifier(calibrated).fit(X, y)
    assert_allclose(
        soup.predict_proba(X_test),
        np.mean([c.predict_proba(X_test) for c in calibrated], axis=0),
    )

    # A calibrated soup: pool, then calibrate, the same as temperature="auto".
    soup = SoupClassifier(members).fit(X, y)
    outer = TemperatureCalibratedClassifier(soup).fit(X, y)
    inner = SoupClassifier(members, temperature="auto").fit(X, y)
    assert outer.response_ == "predict_proba"
    logits = np.log(np.clip(soup.predict_proba(X), 1e-12, None))
    assert outer.temperature_ == pytest.approx(fit_temperature(logits, y), rel=1e-9)
    assert outer.temperature_ == pytest.approx(inner.temperature_, rel=1e-9)
    assert_allclose(outer.predict_proba(X_test), inner.predict_proba(X_test))

    # A stack of soups, and parameters two levels deep.
    soups = [
        ("uniform", SoupClassifier(members).fit(X, y)),
        ("vote", SoupClassifier(members, combine="vote").fit(X, y)),
    ]
    stack = StackingMerger(soups, final_estimator=LogisticRegression()).fit(X, y)
    final = LogisticRegression().fit(
        np.hstack([s.predict_proba(X) for _, s in soups]), y
    )
    assert_allclose(
        stack.predict_proba(X_test),
        final.predict_proba(np.hstack([s.predict_proba(X_test) for _, s in soups])),
    )
    assert stack.get_params()["vote__combine"] == "vote"
    assert stack.get_params()["uniform__lr__C"] == 1.0


def test_soup_as_a_transformer_in_a_pipeline_is_a_stack(data, members):
    # Pipeline.fit calls the soup's fit_transform: the logistic regression
    # learns from the members' probabilities, which is what stacking does.
    pipe = make_pipeline(
        SoupClassifier(members).set_output(transform="pandas"), LogisticRegression()
    ).fit(data.X_held, data.y_held)
    stack = StackingMerger(members, final_estimator=LogisticRegression()).fit(
        data.X_held, data.y_held
    )
    assert_allclose(
        pipe.predict_proba(data.X_test), stack.predict_proba(data.X_test), rtol=1e-6
    )
    assert list(pipe[-1].feature_names_in_) == list(pipe[0].get_feature_names_out())


# Data ---------------------------------------------------------------------------


def _frame(X):
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


@pytest.mark.parametrize("name", ["soup", "stack", "temperature"])
def test_dataframes_feature_names_checked_against_members(data, name):
    train, held, test = _frame(data.X_train), _frame(data.X_held), _frame(data.X_test)
    members = [
        ("lr", LogisticRegression().fit(train, data.y_train)),
        ("nb", GaussianNB().fit(train, data.y_train)),
    ]
    est = _prefit_estimators(members)[name].fit(held, data.y_held)
    assert_array_equal(est.feature_names_in_, train.columns)
    assert est.n_features_in_ == train.shape[1]

    # The frame reaches the members unchanged: they see their own names.
    # Given arrays instead, the members warn, and compute the same values.
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_arrays = clone(est).fit(held.to_numpy(), data.y_held)
        proba = from_arrays.predict_proba(test.to_numpy())
    assert_allclose(est.predict_proba(test), proba)

    # Other names, or the same in another order, are the members' error.
    renamed = held.rename(columns={"x0": "other"})
    reordered = held[held.columns[::-1]]
    for bad in (renamed, reordered):
        with pytest.raises(ValueError, match="feature names"):
            clone(est).fit(bad, data.y_held)
        with pytest.raises(ValueError, match="feature names"):
            est.predict(bad)

    # prefit=False: the refitted members' names.
    refit = _unfitted_estimators()[name].fit(_frame(data.X), data.y)
    assert_array_equal(refit.feature_names_in_, train.columns)


def test_members_disagreeing_on_feature_names_is_an_error(data):
    a = LogisticRegression().fit(_frame(data.X_train), data.y_train)
    renamed = _frame(data.X_train).rename(columns={"x3": "y3"})
    b = GaussianNB().fit(renamed, data.y_train)
    for est in (SoupClassifier([a, b]), StackingMerger([a, b])):
        with pytest.raises(ValueError, match="feature names"):
            est.fit(_frame(data.X_held), data.y_held)


@pytest.mark.parametrize("name", ["soup", "stack"])
def test_set_output_pandas_for_transform(data, members, name):
    est = _prefit_estimators(members)[name].fit(data.X_held, data.y_held)
    X_test = pd.DataFrame(data.X_test, index=np.arange(1000, 1000 + len(data.X_test)))
    plain = est.transform(data.X_test)

    frame = clone(est).set_output(transform="pandas").fit(data.X_held, data.y_held)
    out = frame.transform(X_test)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.get_feature_names_out())
    assert_array_equal(out.index, X_test.index)
    assert_allclose(out.to_numpy(), plain)
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(est.transform(data.X_test), pd.DataFrame)

    # The column names say which member and class each column is.
    names = [n for n, _ in members]
    if name == "soup":
        assert list(out.columns) == [f"{n}_{c}" for n in names for c in (0, 1, 2)]
        assert_allclose(out["nb_1"], members[1][1].predict_proba(data.X_test)[:, 1])
    else:
        assert list(out.columns) == [
            f"stackingmerger_{n}{c}" for n in names for c in (0, 1, 2)
        ]


@pytest.mark.parametrize("name", ["soup", "stack", "temperature"])
@pytest.mark.parametrize("prefit", [True, False])
def test_string_and_integer_labels_give_the_same_model(data, name, prefit):
    names = np.array(["ant", "bee", "cat"])

    def fitted(labels):
        y_train, y_held, y = labels[data.y_train], labels[data.y_held], labels[data.y]
        if not prefit:
            return _unfitted_estimators()[name].fit(data.X, y)
        members = [
            ("lr", LogisticRegression().fit(data.X_train, y_train)),
            ("nb", GaussianNB().fit(data.X_train, y_train)),
        ]
        return _prefit_estimators(members)[name].fit(data.X_held, y_held)

    as_strings, as_integers = fitted(names), fitted(np.array([7, 8, 9]))
    assert_array_equal(as_strings.classes_, names)
    assert_array_equal(as_integers.classes_, [7, 8, 9])
    assert_allclose(
        as_strings.predict_proba(data.X_test), as_integers.predict_proba(data.X_test)
    )
    predicted = as_strings.predict(data.X_test)
    assert predicted.dtype.kind in "OU"
    assert_array_equal(predicted, names[as_integers.predict(data.X_test) - 7])


class SparseOnlyLR(LogisticRegression):
    """A LogisticRegression that fails unless it is given a sparse matrix."""

    def fit(self, X, y, sample_weight=None):
        assert sp.issparse(X), type(X)
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        assert sp.issparse(X), type(X)
        return super().predict_proba(X)

    def decision_function(self, X):
        assert sp.issparse(X), type(X)
        return super().decision_function(X)


def test_sparse_X_reaches_the_members_unchanged(data):
    X_train, X_held, X_test = (
        sp.csr_matrix(data.X_train),
        sp.csr_matrix(data.X_held),
        sp.csr_matrix(data.X_test),
    )
    members = [SparseOnlyLR(C=C).fit(X_train, data.y_train) for C in (0.1, 1.0)]
    probas = [m.predict_proba(X_test) for m in members]

    soup = SoupClassifier(members, recipe="optimized").fit(X_held, data.y_held)
    assert_allclose(
        soup.predict_proba(X_test), np.average(probas, axis=0, weights=soup.weights_)
    )
    params = SoupClassifier(members, combine="params").fit(X_held, data.y_held)
    assert_allclose(
        params.merged_estimator_.coef_, np.mean([m.coef_ for m in members], axis=0)
    )

    stack = StackingMerger(members, passthrough=True).fit(X_held, data.y_held)
    stacked = stack.transform(X_test)
    assert sp.issparse(stacked)
    assert_allclose(stacked[:, 6:].toarray(), data.X_test)
    assert_allclose(stacked[:, :6].toarray(), np.hstack(probas))

    calibrated = TemperatureCalibratedClassifier(members[0]).fit(X_held, data.y_held)
    assert calibrated.temperature_ == pytest.approx(
        fit_temperature(members[0].decision_function(X_held), data.y_held), rel=1e-9
    )

    refit = SoupClassifier(
        [SparseOnlyLR(), SparseOnlyLR(C=0.1)], prefit=False, cv=3, random_state=0
    ).fit(sp.csr_matrix(data.X), data.y)
    assert refit.score(X_test, data.y_test) > 0.5


# Metadata routing ---------------------------------------------------------------


class RecordingLR(LogisticRegression):
    """LogisticRegression that records the metadata given to its fit."""

    def fit(self, X, y, sample_weight=None, metadata=None):
        self.seen_ = {"n_samples": len(y), "metadata": metadata}
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def weights(data):
    return np.random.default_rng(0).uniform(0.2, 3.0, size=len(data.y))


def _routed_estimators(lr, nb):
    return {
        "soup": SoupClassifier(
            [("lr", lr), ("nb", nb)], prefit=False, cv=3, random_state=0
        ),
        "stack": StackingMerger(
            [("lr", lr), ("nb", nb)],
            final_estimator=LogisticRegression(),
            prefit=False,
            cv=3,
        ),
    }


@pytest.mark.parametrize("name", ["soup", "stack"])
def test_without_routing_sample_weight_goes_to_every_member(data, weights, name):
    est = _routed_estimators(LogisticRegression(), GaussianNB())[name]
    est.fit(data.X, data.y, sample_weight=weights)
    lr = LogisticRegression().fit(data.X, data.y, sample_weight=weights)
    nb = GaussianNB().fit(data.X, data.y, sample_weight=weights)
    assert_allclose(est.named_estimators_["lr"].coef_, lr.coef_)
    assert_allclose(est.named_estimators_["nb"].theta_, nb.theta_)

    # Other metadata needs routing, with scikit-learn's own error.
    with pytest.raises(ValueError, match="enable_metadata_routing=True") as ours:
        clone(est).fit(data.X, data.y, metadata=weights)
    voting = VotingClassifier([("lr", LogisticRegression())])
    with pytest.raises(ValueError, match="enable_metadata_routing=True") as theirs:
        voting.fit(data.X, data.y, metadata=weights)
    assert str(ours.value).replace(type(est).__name__, "VotingClassifier") == str(
        theirs.value
    )


def test_temperature_without_routing_passes_sample_weight_to_the_estimator(
    data, weights
):
    est = TemperatureCalibratedClassifier(LogisticRegression(), prefit=False, cv=3)
    est.fit(data.X, data.y, sample_weight=weights)
    by_hand = LogisticRegression().fit(data.X, data.y, sample_weight=weights)
    assert_allclose(est.estimator_.coef_, by_hand.coef_)


@pytest.mark.parametrize("name", ["soup", "stack"])
def test_routing_sends_each_member_what_it_requests(data, weights, name):
    with sklearn.config_context(enable_metadata_routing=True):
        lr = RecordingLR().set_fit_request(sample_weight=True, metadata=True)
        nb = GaussianNB().set_fit_request(sample_weight=False)
        est = _routed_estimators(lr, nb)[name]
        if name == "stack":
            est.final_estimator.set_fit_request(sample_weight=True)
        tags = np.arange(len(data.y))
        est.fit(data.X, data.y, sample_weight=weights, metadata=tags)

        fitted_lr = est.named_estimators_["lr"]
        assert fitted_lr.seen_["n_samples"] == len(data.y)
        assert_array_equal(fitted_lr.seen_["metadata"], tags)
        by_hand = LogisticRegression().fit(data.X, data.y, sample_weight=weights)
        assert_allclose(fitted_lr.coef_, by_hand.coef_)
        unweighted = GaussianNB().fit(data.X, data.y)
        assert_allclose(est.named_estimators_["nb"].theta_, unweighted.theta_)

        # Unrequested metadata is an error, as in VotingClassifier.
        unset = _routed_estimators(LogisticRegression(), GaussianNB())[name]
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            unset.fit(data.X, data.y, sample_weight=weights)
        voting = VotingClassifier([("lr", LogisticRegression())])
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            voting.fit(data.X, data.y, sample_weight=weights)


def test_routing_in_temperature_calibration(data, weights):
    with sklearn.config_context(enable_metadata_routing=True):
        lr = RecordingLR().set_fit_request(sample_weight=True, metadata=True)
        tags = np.arange(len(data.y))
        est = TemperatureCalibratedClassifier(lr, prefit=False, cv=3)
        est.fit(data.X, data.y, sample_weight=weights, metadata=tags)
        assert_array_equal(est.estimator_.seen_["metadata"], tags)
        by_hand = LogisticRegression().fit(data.X, data.y, sample_weight=weights)
        assert_allclose(est.estimator_.coef_, by_hand.coef_)


def test_routing_with_prefit_members(data, members, weights):
    w = weights[: len(data.y_held)]
    with sklearn.config_context(enable_metadata_routing=True):
        # The soup consumes sample_weight itself: weighted held-out scores.
        soup = SoupClassifier(members).fit(data.X_held, data.y_held, sample_weight=w)
        expected = [
            -log_loss(data.y_held, m.predict_proba(data.X_held), sample_weight=w)
            for _, m in members
        ]
        assert_allclose(soup.member_scores_, expected)
        # Prefit members are not fitted: nothing consumes other metadata.
        with pytest.raises(TypeError, match="not routed to any object"):
            SoupClassifier(members).fit(data.X_held, data.y_held, metadata=w)

        # Through a search, the soup asks for its weights like any consumer.
        search = GridSearchCV(
            SoupClassifier(members)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True),
            {"recipe": ["uniform", "greedy"]},
            cv=3,
        ).fit(data.X_held, data.y_held, sample_weight=w)
        by_hand = clone(search.best_estimator_).fit(
            data.X_held, data.y_held, sample_weight=w
        )
        assert_allclose(search.best_estimator_.weights_, by_hand.weights_)
        assert_allclose(search.best_estimator_.member_scores_, expected)


# Progress -----------------------------------------------------------------------


def test_verbose_prints_members_and_recipe_steps(data, capsys):
    soup = SoupClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())],
        prefit=False,
        recipe="greedy",
        cv=3,
        random_state=0,
        verbose=1,
    ).fit(data.X, data.y)
    out = capsys.readouterr().out
    for member in ("lr", "nb"):
        assert f"fitting member {member!r}" in out
        assert f"of member {member!r}" in out  # its out-of-fold predictions
    steps = re.findall(r"\[SoupClassifier\] greedy: '(\w+)'", out)
    assert steps == [name for name, _ in soup.selection_path_]

    StackingMerger(
        [("lr", LogisticRegression()), ("nb", GaussianNB())],
        prefit=False,
        cv=3,
        verbose=1,
    ).fit(data.X, data.y)
    out = capsys.readouterr().out
    for member in ("lr", "nb"):
        assert f"fitting member {member!r}" in out

    SoupClassifier([("lr", LogisticRegression())], prefit=False, cv=3).fit(
        data.X, data.y
    )
    assert capsys.readouterr().out == ""


HAS_CALLBACKS = SKLEARN_VERSION >= (1, 9)
needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACKS, reason="scikit-learn's callback API needs scikit-learn >= 1.9"
)


class TaskTree:
    """An auto-propagated callback that records the task tree of a fit."""

    max_propagation_depth = None

    def __init__(self):
        self.trees = []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        # A sub-estimator's fit is one task with the leaf of its
        # meta-estimator that it was attached to: "<leaf> | <its task>".
        self.trees.append(
            [
                (
                    self._depth(ctx),
                    ctx.estimator_name,
                    " | ".join(filter(None, [ctx.source_task_name, ctx.task_name])),
                    ctx.max_subtasks,
                )
                for ctx in context
            ]
        )

    @staticmethod
    def _depth(ctx):
        depth = 0
        while ctx.parent is not None:
            ctx, depth = ctx.parent, depth + 1
        return depth


@needs_callbacks
def test_callbacks_show_members_predictions_and_recipe_steps(data, members):
    recorder = TaskTree()
    soup = SoupClassifier(members, recipe="greedy", temperature="auto")
    soup.set_callbacks(recorder).fit(data.X_held, data.y_held)
    (tree,) = recorder.trees
    names = [n for n, _ in members]
    steps = [n for n, _ in soup.selection_path_]
    assert tree == (
        [(0, "SoupClassifier", "fit", 3), (1, "SoupClassifier", "predict members", 3)]
        + [(2, "SoupClassifier", f"predict {n}", 0) for n in names]
        + [(1, "SoupClassifier", "recipe greedy", 3)]
        + [(2, "SoupClassifier", f"step {n}", 0) for n in steps]
        + [(1, "SoupClassifier", "fit temperature", 0)]
    )
    # Callbacks follow clones, as scikit-learn's clone passes them on.
    assert clone(soup)._skl_callbacks == [recorder]


@needs_callbacks
def test_callbacks_nest_the_members_own_progress(data):
    recorder = TaskTree()
    soup = SoupClassifier(
        [("lr", LogisticRegression(max_iter=20)), ("nb", GaussianNB())],
        prefit=False,
        recipe="ensemble_selection",
        n_iter=4,
        cv=3,
        random_state=0,
    )
    soup.set_callbacks(recorder).fit(data.X, data.y)
    (tree,) = recorder.trees
    top = [(d, e, t) for d, e, t, _ in tree if d <= 2]
    assert top == [
        (0, "SoupClassifier", "fit"),
        (1, "SoupClassifier", "out-of-fold predictions"),
        (2, "SoupClassifier", "out-of-fold lr"),
        (2, "SoupClassifier", "out-of-fold nb"),
        (1, "SoupClassifier", "fit members"),
        # LogisticRegression supports callbacks: its fit is that leaf, and
        # its solver's iterations are nested under it.
        (2, "LogisticRegression", "fit lr | fit"),
        (2, "SoupClassifier", "fit nb"),
        (1, "SoupClassifier", "recipe ensemble_selection"),
    ] + [(2, "SoupClassifier", f"step {n}") for n, _ in soup.selection_path_]
    iterations = [t for d, e, t, _ in tree if d == 3]
    assert iterations and set(iterations) == {"lbfgs-iter"}
    fitted_lr = soup.named_estimators_["lr"]
    assert not hasattr(fitted_lr, "_skl_callbacks")  # lent for the fit only
    assert not hasattr(fitted_lr, "_parent_callback_ctx")


@needs_callbacks
def test_callbacks_of_stacking_and_temperature(data, members):
    recorder = TaskTree()
    StackingMerger(members).set_callbacks(recorder).fit(data.X_held, data.y_held)
    TemperatureCalibratedClassifier(
        LogisticRegression(max_iter=20), prefit=False, cv=3
    ).set_callbacks(recorder).fit(data.X, data.y)
    stack, temperature = recorder.trees
    assert [(d, e, t) for d, e, t, _ in stack if d <= 1] == [
        (0, "StackingMerger", "fit"),
        (1, "StackingMerger", "predict members"),
        (1, "LogisticRegression", "fit final estimator | fit"),
    ]
    assert [t for d, _, t, _ in stack if d == 2][:3] == [
        f"predict {n}" for n, _ in members
    ]
    assert [(d, e, t) for d, e, t, _ in temperature if d <= 1] == [
        (0, "TemperatureCalibratedClassifier", "fit"),
        (1, "TemperatureCalibratedClassifier", "out-of-fold predictions"),
        (1, "TemperatureCalibratedClassifier", "fit members"),
        (1, "TemperatureCalibratedClassifier", "fit temperature"),
    ]
    # The estimator's own progress nests under its leaf, as in a soup.
    assert (2, "LogisticRegression", "fit estimator | fit") in [
        (d, e, t) for d, e, t, _ in temperature
    ]

    # A stack that is one linear model has a last phase: the merge.
    linear = [LogisticRegression(C=C).fit(data.X_train, data.y_train) for C in (1, 2)]
    merged = StackingMerger(linear, stack_method="decision_function")
    merged.set_callbacks(recorder).fit(data.X_held, data.y_held)
    assert merged.merged_estimator_ is not None
    assert [t for d, _, t, _ in recorder.trees[-1] if d == 1] == [
        "predict members",
        "fit final estimator | fit",
        "merge",
    ]


@needs_callbacks
def test_progress_bar_renders_nested_progress(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    soup = SoupClassifier(
        [("lr", LogisticRegression(max_iter=20)), ("nb", GaussianNB())],
        prefit=False,
        cv=3,
        recipe="greedy",
        random_state=0,
    )
    soup.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(data.X, data.y)
    out = capsys.readouterr().out
    for line in (
        "SoupClassifier - fit",
        "SoupClassifier - fit members",
        "SoupClassifier - recipe greedy",
        "SoupClassifier - fit lr | LogisticRegression - fit",
    ):
        assert line in out, out


@pytest.mark.skipif(HAS_CALLBACKS, reason="tests the absence of the callback API")
def test_no_callback_api_before_scikit_learn_1_9(members):
    for est in _prefit_estimators(members).values():
        assert not hasattr(est, "set_callbacks")


def _without_sample_weight_estimators():
    members = [("lr", LogisticRegression()), ("knn", KNeighborsClassifier())]
    return {
        "soup": SoupClassifier(members, prefit=False, cv=3),
        "soup-greedy": SoupClassifier(members, prefit=False, cv=3, recipe="greedy"),
        "stack": StackingMerger(members, prefit=False, cv=3),
        "temperature": TemperatureCalibratedClassifier(
            KNeighborsClassifier(), prefit=False, cv=3
        ),
    }


@pytest.mark.parametrize("name", list(_without_sample_weight_estimators()))
def test_routing_enabled_without_metadata_fits_as_routing_disabled(data, name):
    # As scikit-learn's meta-estimators: enabling routing and passing nothing
    # changes nothing (members without sample_weight included).
    expected = _without_sample_weight_estimators()[name].fit(data.X, data.y)
    with sklearn.config_context(enable_metadata_routing=True):
        est = _without_sample_weight_estimators()[name].fit(data.X, data.y)
    assert_allclose(est.predict_proba(data.X_test), expected.predict_proba(data.X_test))


@pytest.mark.parametrize("name", list(_without_sample_weight_estimators()))
def test_member_without_sample_weight_is_fitted_unweighted_with_a_warning(
    data, weights, name
):
    # As CalibratedClassifierCV: without routing, a member whose fit takes no
    # sample_weight is warned about and fitted unweighted; the weights still
    # weigh what skmerge fits itself (and the members that take them).
    est = _without_sample_weight_estimators()[name]
    with pytest.warns(UserWarning, match="does not appear to accept sample_weight"):
        est.fit(data.X, data.y, sample_weight=weights)
    if name == "temperature":
        fitted = {"knn": est.estimator_}
    else:
        fitted = est.named_estimators_
    knn = fitted["knn"]
    unweighted = KNeighborsClassifier().fit(data.X, data.y)
    assert_array_equal(
        knn.predict_proba(data.X_test), unweighted.predict_proba(data.X_test)
    )
    if "lr" in fitted:
        weighted = LogisticRegression().fit(data.X, data.y, sample_weight=weights)
        assert_allclose(fitted["lr"].coef_, weighted.coef_)


# Regressors ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression():
    """Regression data: members train on `train`, skmerge fits on `held`."""
    X, y = make_regression(
        n_samples=420, n_features=6, n_informative=4, noise=10.0, random_state=0
    )
    return Bunch(
        X=X[:270],
        y=y[:270],
        X_train=X[:150],
        y_train=y[:150],
        X_held=X[150:270],
        y_held=y[150:270],
        X_test=X[270:],
        y_test=y[270:],
    )


def _regressors(prefit_members=None):
    """The regressors, prefit over ``prefit_members`` or, without them,
    fitting their own (named) members."""
    if prefit_members is not None:
        return {
            "soup": SoupRegressor(prefit_members, recipe="optimized"),
            "stack": StackingMergerRegressor(prefit_members),
        }
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))]
    return {
        "soup": SoupRegressor(members, recipe="greedy", prefit=False, cv=3),
        "stack": StackingMergerRegressor(members, RidgeCV(), prefit=False, cv=3),
    }


REGRESSORS = list(_regressors())


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressor_as_the_last_pipeline_step(regression, name):
    r = regression
    est = _regressors()[name]
    pipe = make_pipeline(StandardScaler(), clone(est)).fit(r.X, r.y)
    scaler = StandardScaler().fit(r.X)
    by_hand = clone(est).fit(scaler.transform(r.X), r.y)
    assert_allclose(pipe.predict(r.X_test), by_hand.predict(scaler.transform(r.X_test)))
    assert pipe.score(r.X_test, r.y_test) == pytest.approx(
        r2_score(r.y_test, by_hand.predict(scaler.transform(r.X_test)))
    )


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressor_grid_search_over_a_member_parameter(regression, name):
    r = regression
    cv = KFold(3)
    candidates = list(ParameterGrid({"ridge__alpha": [0.1, 100.0]}))
    search = GridSearchCV(_regressors()[name], {"ridge__alpha": [0.1, 100.0]}, cv=cv)
    search.fit(r.X, r.y)
    manual = [
        np.mean(
            [
                _regressors()[name]
                .set_params(**params)
                .fit(r.X[train], r.y[train])
                .score(r.X[test], r.y[test])
                for train, test in cv.split(r.X)
            ]
        )
        for params in candidates
    ]
    assert_allclose(search.cv_results_["mean_test_score"], manual)
    scores = cross_validate(_regressors()[name], r.X, r.y, cv=cv)["test_score"]
    assert_allclose(
        scores,
        [
            _regressors()[name].fit(r.X[tr], r.y[tr]).score(r.X[te], r.y[te])
            for tr, te in cv.split(r.X)
        ],
    )


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressor_dataframes_feature_names_and_pandas_output(regression, name):
    r = regression
    train, held, test = _frame(r.X_train), _frame(r.X_held), _frame(r.X_test)
    members = [
        ("ridge", Ridge().fit(train, r.y_train)),
        ("knn", KNeighborsRegressor(5).fit(train, r.y_train)),
    ]
    est = _regressors(members)[name].fit(held, r.y_held)
    assert_array_equal(est.feature_names_in_, train.columns)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(test[test.columns[::-1]])
    out = clone(est).set_output(transform="pandas").fit(held, r.y_held).transform(test)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert_allclose(out.to_numpy(), est.transform(test))
    columns = ["ridge", "knn"]
    if name == "stack":
        columns = [f"stackingmergerregressor_{c}" for c in columns]
    assert list(out.columns) == columns
    assert_allclose(out[columns[1]], members[1][1].predict(test))


class RecordingRidge(Ridge):
    """Ridge that records the metadata given to its fit."""

    def fit(self, X, y, sample_weight=None, metadata=None):
        self.seen_ = {"n_samples": len(y), "metadata": metadata}
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressor_sample_weight_with_and_without_routing(regression, name):
    r = regression
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=len(r.y))
    est = _regressors()[name].fit(r.X, r.y, sample_weight=w)
    by_hand = Ridge().fit(r.X, r.y, sample_weight=w)
    assert_allclose(est.named_estimators_["ridge"].coef_, by_hand.coef_)
    with sklearn.config_context(enable_metadata_routing=True):
        est = _regressors()[name]
        est.set_params(
            ridge=RecordingRidge().set_fit_request(sample_weight=True, metadata=True),
            tree=DecisionTreeRegressor(random_state=0).set_fit_request(
                sample_weight=False
            ),
        )
        if hasattr(est, "final_estimator"):
            est.set_params(
                final_estimator=RidgeCV().set_fit_request(sample_weight=True)
            )
        tags = np.arange(len(r.y))
        est.fit(r.X, r.y, sample_weight=w, metadata=tags)
        ridge = est.named_estimators_["ridge"]
        assert_array_equal(ridge.seen_["metadata"], tags)
        assert_allclose(ridge.coef_, by_hand.coef_)
        unweighted = DecisionTreeRegressor(random_state=0).fit(r.X, r.y)
        assert_allclose(
            est.named_estimators_["tree"].predict(r.X_test),
            unweighted.predict(r.X_test),
        )


def test_soup_regressor_verbose_and_callbacks(regression, capsys):
    r = regression
    soup = SoupRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))],
        prefit=False,
        recipe="greedy",
        cv=3,
        verbose=1,
    ).fit(r.X, r.y)
    out = capsys.readouterr().out
    steps = re.findall(r"\[SoupRegressor\] greedy: '(\w+)'", out)
    assert steps == [name for name, _ in soup.selection_path_]
    if not HAS_CALLBACKS:
        return
    recorder = TaskTree()
    members = list(soup.named_estimators_.items())
    prefit = SoupRegressor(members, recipe="ensemble_selection", n_iter=3)
    prefit.set_callbacks(recorder).fit(r.X_held, r.y_held)
    (tree,) = recorder.trees
    names = [n for n, _ in prefit.selection_path_]
    assert tree == (
        [(0, "SoupRegressor", "fit", 2), (1, "SoupRegressor", "predict members", 2)]
        + [(2, "SoupRegressor", f"predict {n}", 0) for n in ("ridge", "tree")]
        + [(1, "SoupRegressor", "recipe ensemble_selection", 3)]
        + [(2, "SoupRegressor", f"step {n}", 0) for n in names]
    )
