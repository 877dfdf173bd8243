# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of SoupClassifier against independent computations.

The properties every estimator has (members never modified, clone, searches,
chunked prediction, determinism, persistence) are tested in
``test_properties.py``, scikit-learn's estimator checks in ``test_common.py``.
"""

import copy
import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize  # noqa: F401 - loads its BLAS before the thread limit
from numpy.testing import assert_allclose
from scipy.special import softmax as scipy_softmax
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import (
    KFold,
    cross_val_predict,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skmerge._soup import SoupClassifier
from skmerge._temperature import TemperatureCalibratedClassifier, fit_temperature
from skmerge._weight_space import permute_mlp_hidden

# Data and members ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=5,
        n_redundant=1,
        n_classes=3,
        class_sep=0.8,
        random_state=0,
    )
    return X[:300], y[:300], X[300:450], y[300:450], X[450:], y[450:]


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=300, n_features=6, random_state=1)
    return X[:150], y[:150], X[150:], y[150:]


@pytest.fixture(scope="module")
def lrs(data):
    X, y = data[:2]
    return [
        LogisticRegression(C=C, max_iter=1000).fit(X, y) for C in (0.01, 0.1, 1.0, 10.0)
    ]


@pytest.fixture(scope="module")
def mixed(data):
    X, y = data[:2]
    return [
        ("lr", LogisticRegression(max_iter=1000).fit(X, y)),
        ("nb", GaussianNB().fit(X, y)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)),
    ]


def _mlp(**params):
    defaults = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=200)
    return MLPClassifier(**{**defaults, **params})


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


class PredictOnly(ClassifierMixin, BaseEstimator):
    """A classifier with predict only (no predict_proba, no decision_function)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return np.where(np.asarray(X)[:, 0] > 0, self.classes_[-1], self.classes_[0])


class ReversedClasses(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose classes_ (and columns) are in reverse order."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_[::-1]
        self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)[:, ::-1]

    def predict(self, X):
        return self.estimator_.predict(X)


def _weighted(probas, weights):
    weights = np.asarray(weights, dtype=float)
    return np.tensordot(weights / weights.sum(), np.asarray(probas), axes=1)


def _averaged_lr(models, weights, classes):
    """A LogisticRegression given the averaged coef_ and intercept_ by hand."""
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    ref = LogisticRegression()
    ref.coef_ = sum(w * m.coef_ for w, m in zip(weights, models, strict=True))
    ref.intercept_ = sum(w * m.intercept_ for w, m in zip(weights, models, strict=True))
    ref.classes_ = classes
    ref.n_features_in_ = models[0].n_features_in_
    return ref


# Combination rules vs hand-computed pools ----------------------------------------


def test_proba_is_the_weighted_mean_of_predict_proba(data, mixed):
    _, _, X_val, y_val, X_test, _ = data
    soup = SoupClassifier(mixed, weights=[1, 2, 3]).fit(X_val, y_val)
    expected = _weighted([m.predict_proba(X_test) for _, m in mixed], [1, 2, 3])
    np.testing.assert_allclose(soup.predict_proba(X_test), expected)
    np.testing.assert_array_equal(soup.predict(X_test), expected.argmax(axis=1))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(soup.predict_log_proba(X_test), np.log(expected))
    np.testing.assert_allclose(soup.weights_, [1 / 6, 2 / 6, 3 / 6])
    assert soup.temperature_ == 1.0
    assert soup.score(X_test, data[5]) == accuracy_score(
        data[5], expected.argmax(axis=1)
    )
    assert not hasattr(soup, "decision_function")
    assert not hasattr(soup, "merged_estimator_")


def test_logit_is_the_softmax_of_weighted_logits(data):
    X, y, X_val, y_val, X_test, _ = data
    lr = LogisticRegression(max_iter=1000).fit(X, y)
    svc = LinearSVC(C=0.1).fit(X, y)  # no predict_proba: its decision function
    nb = GaussianNB().fit(X, y)
    soup = SoupClassifier(
        [("lr", lr), ("svc", svc), ("nb", nb)], combine="logit", weights=[2, 1, 1]
    ).fit(X_val, y_val)
    logits = (
        2 * np.log(np.clip(lr.predict_proba(X_test), 1e-12, None))
        + svc.decision_function(X_test)
        + np.log(np.clip(nb.predict_proba(X_test), 1e-12, None))
    ) / 4
    expected = scipy_softmax(logits, axis=1)
    np.testing.assert_allclose(soup.predict_proba(X_test), expected, rtol=1e-10)
    np.testing.assert_array_equal(soup.predict(X_test), logits.argmax(axis=1))
    np.testing.assert_allclose(soup.decision_function(X_test), logits, rtol=1e-10)
    np.testing.assert_allclose(
        soup.predict_log_proba(X_test), np.log(expected), rtol=1e-9
    )


def test_logit_binary_decision_function_is_one_dimensional(binary_data):
    X, y, X_val, y_val = binary_data
    lr = LogisticRegression().fit(X, y)
    svc = LinearSVC().fit(X, y)
    soup = SoupClassifier([lr, svc], combine="logit").fit(X_val, y_val)
    z = (
        np.log(np.clip(lr.predict_proba(X_val), 1e-12, None))
        + np.column_stack([np.zeros(len(X_val)), svc.decision_function(X_val)])
    ) / 2
    decision = soup.decision_function(X_val)
    assert decision.shape == (len(X_val),)
    np.testing.assert_allclose(decision, z[:, 1] - z[:, 0], rtol=1e-10)
    np.testing.assert_allclose(soup.predict_proba(X_val), scipy_softmax(z, axis=1))


def test_vote_is_a_weighted_hard_vote_with_ties_to_the_first_class(data, mixed):
    _, _, X_val, y_val, X_test, _ = data
    soup = SoupClassifier(mixed, combine="vote", weights=[1, 1, 2]).fit(X_val, y_val)
    votes = np.stack([m.predict(X_test) for _, m in mixed], axis=1)
    share = np.zeros((len(X_test), 3))
    for j, w in enumerate([1, 1, 2]):
        share[np.arange(len(X_test)), votes[:, j]] += w / 4
    np.testing.assert_allclose(soup.predict_proba(X_test), share)
    np.testing.assert_array_equal(soup.predict(X_test), share.argmax(axis=1))
    # two equal voters who disagree: the smaller class wins
    pair = SoupClassifier(mixed[:2], combine="vote").fit(X_val, y_val)
    disagree = votes[:, 0] != votes[:, 1]
    assert disagree.any()
    np.testing.assert_array_equal(
        pair.predict(X_test)[disagree], votes[disagree, :2].min(axis=1)
    )


def test_params_soup_of_logistic_regressions_is_the_averaged_model(data, lrs):
    _, _, X_val, y_val, X_test, _ = data
    weights = [1, 1, 2, 0]
    soup = SoupClassifier(lrs, combine="params", weights=weights).fit(X_val, y_val)
    expected = _averaged_lr(lrs, weights, lrs[0].classes_)
    merged = soup.merged_estimator_
    assert type(merged) is LogisticRegression
    assert all(merged is not m for m in lrs)
    np.testing.assert_allclose(merged.coef_, expected.coef_)
    np.testing.assert_allclose(
        soup.predict_proba(X_test), expected.predict_proba(X_test)
    )
    np.testing.assert_array_equal(soup.predict(X_test), expected.predict(X_test))
    np.testing.assert_allclose(
        soup.decision_function(X_test), expected.decision_function(X_test)
    )
    # the recipe's cached scoring is the merged model's held-out score
    assert soup.selection_path_[-1][1] == pytest.approx(
        -log_loss(y_val, expected.predict_proba(X_val)), rel=1e-10
    )


@pytest.mark.parametrize("recipe", ["greedy", "ensemble_selection"])
def test_params_recipes_score_merged_candidates(data, lrs, recipe):
    """Brute force: build each candidate LogisticRegression by hand."""
    _, _, X_val, y_val, _, _ = data
    soup = SoupClassifier(lrs, combine="params", recipe=recipe, n_iter=4)
    soup.fit(X_val, y_val)

    def score(counts):
        model = _averaged_lr(lrs, counts, lrs[0].classes_)
        return -log_loss(y_val, model.predict_proba(X_val))

    member_scores = [score(np.eye(4)[j]) for j in range(4)]
    np.testing.assert_allclose(soup.member_scores_, member_scores, rtol=1e-10)
    counts = np.zeros(4)
    if recipe == "greedy":
        order = np.argsort(member_scores)[::-1]
        counts[order[0]], best = 1, member_scores[order[0]]
        for j in order[1:]:
            trial = counts + np.eye(4)[j]
            if score(trial) > best:
                counts, best = trial, score(trial)
        expected = counts / counts.sum()
    else:
        for _ in range(4):
            scores = [score(counts + np.eye(4)[j]) for j in range(4)]
            counts[int(np.argmax(scores))] += 1
        expected = counts / 4
    np.testing.assert_allclose(soup.weights_, expected)


def test_params_soup_of_sgd_uses_the_merged_models_own_probabilities(data):
    X, y, X_val, y_val, _, _ = data
    members = [
        SGDClassifier(loss="log_loss", alpha=a, random_state=0).fit(X, y)
        for a in (1e-3, 1e-2, 1e-1)
    ]
    soup = SoupClassifier(
        members, combine="params", recipe="ensemble_selection", n_iter=3
    ).fit(X_val, y_val)
    # one-vs-rest probabilities, not a softmax: the cached scores use the
    # merged SGDClassifier's own mapping
    assert soup.selection_path_[-1][1] == pytest.approx(
        -log_loss(y_val, soup.merged_estimator_.predict_proba(X_val)), rel=1e-9
    )


def test_params_soup_of_linear_svcs_binary(binary_data):
    X, y, X_val, y_val = binary_data
    members = [LinearSVC(C=C).fit(X, y) for C in (0.01, 1.0)]
    soup = SoupClassifier(members, combine="params").fit(X_val, y_val)
    z = (members[0].decision_function(X_val) + members[1].decision_function(X_val)) / 2
    np.testing.assert_allclose(soup.decision_function(X_val), z)
    np.testing.assert_allclose(
        soup.predict_proba(X_val),
        scipy_softmax(np.column_stack([np.zeros_like(z), z]), axis=1),
    )


def test_params_soup_of_pipelines(data):
    X, y, X_val, y_val, X_test, _ = data
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    pipes = [
        Pipeline([("scale", scaler), ("lr", LogisticRegression(C=C).fit(Xs, y))])
        for C in (0.1, 1.0)
    ]
    soup = SoupClassifier(pipes, combine="params", recipe="optimized").fit(X_val, y_val)
    merged = soup.merged_estimator_
    assert isinstance(merged, Pipeline)
    expected = _averaged_lr([p[-1] for p in pipes], soup.weights_, pipes[0].classes_)
    np.testing.assert_allclose(
        soup.predict_proba(X_test), expected.predict_proba(scaler.transform(X_test))
    )


@pytest.mark.parametrize("combine", ["proba", "logit", "vote", "params"])
def test_soup_of_identical_members_is_the_member(data, lrs, combine):
    _, _, X_val, y_val, X_test, _ = data
    member = lrs[2]
    soup = SoupClassifier(
        [member, copy.deepcopy(member), member], combine=combine, recipe="greedy"
    ).fit(X_val, y_val)
    expected = member.predict_proba(X_test)
    if combine == "vote":
        expected = np.eye(3)[member.predict(X_test)]
    np.testing.assert_allclose(soup.predict_proba(X_test), expected, rtol=1e-9)
    np.testing.assert_array_equal(soup.predict(X_test), member.predict(X_test))


def test_members_classes_in_another_order_are_aligned(data, lrs):
    X, y, X_val, y_val, X_test, _ = data
    reversed_member = ReversedClasses(LogisticRegression(C=1.0, max_iter=1000)).fit(
        X, y
    )
    soup = SoupClassifier([lrs[2], reversed_member]).fit(X_val, y_val)
    np.testing.assert_array_equal(soup.classes_, [0, 1, 2])
    np.testing.assert_allclose(
        soup.predict_proba(X_test), lrs[2].predict_proba(X_test), rtol=1e-9
    )


# Recipes ------------------------------------------------------------------------------


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy"])
def test_greedy_is_never_below_its_best_member(data, mixed, scoring):
    _, _, X_val, y_val, _, _ = data
    soup = SoupClassifier(mixed, recipe="greedy", scoring=scoring).fit(X_val, y_val)

    def held_out(proba):
        if scoring == "accuracy":
            return accuracy_score(y_val, proba.argmax(axis=1))
        return -log_loss(y_val, proba)

    member_scores = [held_out(m.predict_proba(X_val)) for _, m in mixed]
    np.testing.assert_allclose(soup.member_scores_, member_scores, rtol=1e-10)
    soup_score = held_out(soup.predict_proba(X_val))
    assert soup_score == pytest.approx(soup.selection_path_[-1][1], rel=1e-10)
    assert soup_score >= max(member_scores)
    assert soup.selection_path_[0][0] == mixed[int(np.argmax(member_scores))][0]
    chosen = soup.weights_ > 0
    np.testing.assert_allclose(soup.weights_[chosen], 1 / chosen.sum())


def test_ensemble_selection_weights_by_brute_force(data, mixed):
    _, _, X_val, y_val, _, _ = data
    n_iter = 6
    soup = SoupClassifier(mixed, recipe="ensemble_selection", n_iter=n_iter)
    soup.fit(X_val, y_val)
    probas = [m.predict_proba(X_val) for _, m in mixed]
    counts = np.zeros(3)
    for _ in range(n_iter):
        losses = [
            log_loss(y_val, _weighted(probas, counts + np.eye(3)[j])) for j in range(3)
        ]
        counts[int(np.argmin(losses))] += 1
    np.testing.assert_allclose(soup.weights_, counts / n_iter)
    np.testing.assert_allclose(soup.weights_ * n_iter, np.round(soup.weights_ * n_iter))
    assert len(soup.selection_path_) == n_iter
    assert soup.selection_path_[-1][1] == pytest.approx(
        -log_loss(y_val, soup.predict_proba(X_val)), rel=1e-10
    )


@pytest.mark.parametrize("combine", ["proba", "logit"])
def test_optimized_beats_uniform_and_a_grid_search(data, mixed, combine):
    _, _, X_val, y_val, _, _ = data
    soup = SoupClassifier(mixed, combine=combine, recipe="optimized").fit(X_val, y_val)
    uniform = SoupClassifier(mixed, combine=combine).fit(X_val, y_val)
    loss = log_loss(y_val, soup.predict_proba(X_val))
    assert loss <= log_loss(y_val, uniform.predict_proba(X_val)) + 1e-12
    probas = np.stack([m.predict_proba(X_val) for _, m in mixed])
    if combine == "logit":
        probas = np.log(np.clip(probas, 1e-12, None))
    best = np.inf
    for a, b in itertools.product(np.linspace(0, 1, 21), repeat=2):
        if a + b <= 1 + 1e-12:
            pooled = _weighted(probas, [a, b, max(0.0, 1 - a - b)])
            if combine == "logit":
                pooled = scipy_softmax(pooled, axis=1)
            best = min(best, log_loss(y_val, pooled))
    assert loss <= best + 1e-9
    assert loss == pytest.approx(best, abs=0.02)  # the grid is close, not exact


# Weight-space soups of MLPs --------------------------------------------------------


def test_permutation_alignment_recovers_a_shuffled_network(data):
    X, y, X_val, y_val, X_test, _ = data
    mlp = _fit_quietly(_mlp(random_state=0), X, y)
    perm = np.random.default_rng(0).permutation(6)
    shuffled = permute_mlp_hidden(mlp, [perm])
    np.testing.assert_allclose(
        shuffled.predict_proba(X_test), mlp.predict_proba(X_test)
    )
    aligned = SoupClassifier(
        [mlp, shuffled], combine="params", align="permutation"
    ).fit(X_val, y_val)
    np.testing.assert_allclose(aligned.weights_, [0.5, 0.5])
    np.testing.assert_allclose(
        aligned.predict_proba(X_test), mlp.predict_proba(X_test), rtol=1e-12
    )
    naive = SoupClassifier([mlp, shuffled], combine="params").fit(X_val, y_val)
    assert not np.allclose(naive.predict_proba(X_test), mlp.predict_proba(X_test))


def test_greedy_params_soup_of_fine_tuned_mlps(data):
    X, y, X_val, y_val, X_test, y_test = data
    parent = _fit_quietly(_mlp(solver="adam", max_iter=200, random_state=0), X, y)
    children = []
    for seed in range(3):
        child = copy.deepcopy(parent).set_params(
            warm_start=True, max_iter=20, random_state=seed + 1
        )
        order = np.random.default_rng(seed).permutation(len(X))
        children.append(_fit_quietly(child, X[order], y[order]))
    soup = SoupClassifier(children, combine="params", recipe="greedy").fit(X_val, y_val)
    assert isinstance(soup.merged_estimator_, MLPClassifier)
    assert soup.selection_path_[-1][1] == pytest.approx(
        -log_loss(y_val, soup.predict_proba(X_val)), rel=1e-10
    )
    assert soup.selection_path_[-1][1] >= soup.member_scores_.max()
    assert not hasattr(soup, "decision_function")


# Frozen members -----------------------------------------------------------------------


def test_frozen_members(data, lrs):
    _, _, X_val, y_val, X_test, _ = data
    frozen = [FrozenEstimator(m) for m in lrs[:2]]
    for combine in ("proba", "params"):
        soup = SoupClassifier(frozen, combine=combine).fit(X_val, y_val)
        if combine == "proba":
            expected = _weighted([m.predict_proba(X_test) for m in lrs[:2]], [1, 1])
        else:
            expected = _averaged_lr(lrs[:2], [1, 1], lrs[0].classes_).predict_proba(
                X_test
            )
        np.testing.assert_allclose(soup.predict_proba(X_test), expected)


# prefit=False -------------------------------------------------------------------------


def test_prefit_false_equals_prefit_soup_of_refitted_members(data):
    X, y, _, _, X_test, _ = data
    members = [LogisticRegression(C=C, max_iter=1000) for C in (0.1, 1.0)] + [
        GaussianNB()
    ]
    soup = SoupClassifier(members, prefit=False, cv=3, random_state=0).fit(X, y)
    refitted = [clone(m).fit(X, y) for m in members]
    prefit = SoupClassifier(refitted).fit(X, y)
    np.testing.assert_allclose(soup.predict_proba(X_test), prefit.predict_proba(X_test))


def test_prefit_false_recipe_uses_out_of_fold_outputs(data):
    X, y, _, _, _, _ = data
    members = [
        ("lr", LogisticRegression(C=0.01, max_iter=1000)),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
    ]
    cv = KFold(3)
    soup = SoupClassifier(members, prefit=False, cv=cv, recipe="greedy").fit(X, y)
    oof = [
        cross_val_predict(m, X, y, cv=cv, method="predict_proba") for _, m in members
    ]
    member_scores = [-log_loss(y, p) for p in oof]
    np.testing.assert_allclose(soup.member_scores_, member_scores, rtol=1e-10)
    assert soup.selection_path_[-1][1] == pytest.approx(
        -log_loss(y, _weighted(oof, soup.weights_)), rel=1e-10
    )


def test_prefit_false_mlp_params_scores_merged_fold_models(data):
    X, y, _, _, _, _ = data
    members = [_mlp(random_state=s, max_iter=60) for s in (0, 1)]
    cv = KFold(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # temperature="auto" needs held-out scores: the uniform soup of
        # unfitted members is then scored on merged fold models.
        soup = SoupClassifier(
            members,
            prefit=False,
            cv=cv,
            combine="params",
            align="permutation",
            temperature="auto",
        ).fit(X, y)
        # by hand: per fold, align the fold models, average them, predict
        from skmerge._weight_space import align_mlps, average_estimators

        proba = np.empty((len(y), 3))
        for train, test in cv.split(X):
            fold = [clone(m).fit(X[train], y[train]) for m in members]
            fold = align_mlps(fold, ["a", "b"])
            merged = average_estimators(fold, [0.5, 0.5], ["a", "b"])
            proba[test] = merged.predict_proba(X[test])
    assert soup.selection_path_[-1][1] == pytest.approx(-log_loss(y, proba), rel=1e-9)
    assert isinstance(soup.merged_estimator_, MLPClassifier)


def test_prefit_false_passes_sample_weight_to_members(data):
    X, y, _, _, _, _ = data
    sw = np.random.default_rng(0).uniform(0.1, 2, size=len(y))
    soup = SoupClassifier([LogisticRegression()], prefit=False, cv=3).fit(
        X, y, sample_weight=sw
    )
    expected = LogisticRegression().fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(soup.estimators_[0].coef_, expected.coef_)


def test_metadata_routing_routes_sample_weight_to_members_that_request_it(data):
    X, y, _, _, _, _ = data
    sw = np.random.default_rng(0).uniform(0.1, 2, size=len(y))
    with config_context(enable_metadata_routing=True):
        members = [
            ("w", LogisticRegression().set_fit_request(sample_weight=True)),
            ("u", LogisticRegression().set_fit_request(sample_weight=False)),
        ]
        soup = SoupClassifier(members, prefit=False, cv=3)
        soup.set_fit_request(sample_weight=True)
        soup.fit(X, y, sample_weight=sw)
    weighted = LogisticRegression().fit(X, y, sample_weight=sw)
    unweighted = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(soup.named_estimators_["w"].coef_, weighted.coef_)
    np.testing.assert_allclose(soup.named_estimators_["u"].coef_, unweighted.coef_)


# Sample weights, temperature ----------------------------------------------------------


@pytest.mark.parametrize("recipe", ["greedy", "ensemble_selection", "optimized"])
def test_zero_sample_weights_equal_removing_samples(data, mixed, recipe):
    _, _, X_val, y_val, _, _ = data
    sw = np.ones(len(y_val))
    sw[::3] = 0
    kwargs = dict(recipe=recipe, n_iter=5, temperature="auto")
    weighted = SoupClassifier(mixed, **kwargs).fit(X_val, y_val, sample_weight=sw)
    subset = SoupClassifier(mixed, **kwargs).fit(X_val[sw > 0], y_val[sw > 0])
    np.testing.assert_allclose(weighted.weights_, subset.weights_, atol=1e-7)
    np.testing.assert_allclose(weighted.member_scores_, subset.member_scores_)
    assert weighted.temperature_ == pytest.approx(subset.temperature_, rel=1e-6)


@pytest.mark.parametrize("combine", ["proba", "logit", "params"])
def test_temperature_auto_calibrates_the_pooled_soup(data, lrs, combine):
    _, _, X_val, y_val, X_test, _ = data
    raw = SoupClassifier(lrs[1:], combine=combine).fit(X_val, y_val)
    soup = SoupClassifier(lrs[1:], combine=combine, temperature="auto").fit(
        X_val, y_val
    )
    log_p = np.log(raw.predict_proba(X_val))
    expected_t = fit_temperature(log_p, y_val)
    assert soup.temperature_ == pytest.approx(expected_t, rel=1e-6)
    expected = scipy_softmax(
        np.log(raw.predict_proba(X_test)) / soup.temperature_, axis=1
    )
    np.testing.assert_allclose(soup.predict_proba(X_test), expected, rtol=1e-6)
    np.testing.assert_array_equal(soup.predict(X_test), raw.predict(X_test))
    assert log_loss(y_val, soup.predict_proba(X_val)) <= log_loss(
        y_val, raw.predict_proba(X_val)
    )


def test_fixed_temperature(data, mixed):
    _, _, X_val, y_val, X_test, _ = data
    raw = SoupClassifier(mixed).fit(X_val, y_val)
    soup = SoupClassifier(mixed, temperature=2.0).fit(X_val, y_val)
    assert soup.temperature_ == 2.0
    log_p = np.log(np.clip(raw.predict_proba(X_test), 1e-12, None))
    np.testing.assert_allclose(
        soup.predict_proba(X_test), scipy_softmax(log_p / 2, axis=1), rtol=1e-10
    )
    np.testing.assert_allclose(
        np.exp(soup.predict_log_proba(X_test)), soup.predict_proba(X_test), rtol=1e-10
    )
    np.testing.assert_array_equal(soup.predict(X_test), raw.predict(X_test))


def test_nesting_with_temperature_calibrated_classifier(data, lrs, mixed):
    _, _, X_val, y_val, X_test, _ = data
    # calibrate, then pool
    calibrated = [TemperatureCalibratedClassifier(m).fit(X_val, y_val) for m in lrs]
    soup = SoupClassifier(calibrated, recipe="greedy").fit(X_val, y_val)
    expected = _weighted([c.predict_proba(X_test) for c in calibrated], soup.weights_)
    np.testing.assert_allclose(soup.predict_proba(X_test), expected)
    # pool, then calibrate outside
    inner = SoupClassifier(mixed, combine="logit").fit(X_val, y_val)
    outer = TemperatureCalibratedClassifier(inner).fit(X_val, y_val)
    t = fit_temperature(inner.decision_function(X_val), y_val)
    assert outer.temperature_ == pytest.approx(t, rel=1e-6)
    np.testing.assert_array_equal(outer.predict(X_test), inner.predict(X_test))
    proba_soup = SoupClassifier(mixed).fit(X_val, y_val)
    outer = TemperatureCalibratedClassifier(proba_soup).fit(X_val, y_val)
    assert outer.response_ == "predict_proba"


# Reading the soup ---------------------------------------------------------------------


def test_transform_feature_names_and_contributions(data, mixed):
    _, _, X_val, y_val, X_test, _ = data
    soup = SoupClassifier(mixed, recipe="ensemble_selection", n_iter=4)
    soup.fit(X_val, y_val)
    probas = [m.predict_proba(X_test) for _, m in mixed]
    np.testing.assert_allclose(soup.transform(X_test), np.hstack(probas))
    assert list(soup.get_feature_names_out()) == [
        f"{name}_{c}" for name, _ in mixed for c in (0, 1, 2)
    ]
    contributions = soup.contributions(X_test)
    predicted = soup.predict(X_test)
    rows = np.arange(len(X_test))
    share = np.stack(
        [w * p[rows, predicted] for w, p in zip(soup.weights_, probas, strict=True)], 1
    )
    np.testing.assert_allclose(contributions, share / share.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(contributions.sum(axis=1), 1.0)
    assert np.all(contributions[:, soup.weights_ == 0] == 0)


@pytest.mark.parametrize("combine", ["logit", "vote", "params"])
def test_contributions_rows_sum_to_one(data, lrs, combine):
    _, _, X_val, y_val, X_test, _ = data
    soup = SoupClassifier(lrs, combine=combine, weights=[1, 0, 2, 1]).fit(X_val, y_val)
    contributions = soup.contributions(X_test)
    assert contributions.shape == (len(X_test), 4)
    np.testing.assert_allclose(contributions.sum(axis=1), 1.0)
    assert np.all(contributions[:, 1] == 0)
    assert soup.transform(X_test).shape == (len(X_test), 12)


def test_set_output_pandas_and_dataframe_input(data):
    X, y, X_val, y_val, X_test, _ = data
    columns = [f"f{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    labels = np.array(["ant", "bee", "cat"])[y]
    members = [LogisticRegression(C=C).fit(frame, labels) for C in (0.1, 1.0)]
    val_labels = np.array(["ant", "bee", "cat"])[y_val]
    soup = SoupClassifier(members).fit(pd.DataFrame(X_val, columns=columns), val_labels)
    np.testing.assert_array_equal(soup.feature_names_in_, columns)
    assert soup.n_features_in_ == 8
    np.testing.assert_array_equal(soup.classes_, ["ant", "bee", "cat"])
    out = soup.set_output(transform="pandas").transform(
        pd.DataFrame(X_test, columns=columns)
    )
    assert list(out.columns) == [
        f"logisticregression-{i}_{c}" for i in (1, 2) for c in ("ant", "bee", "cat")
    ]
    assert set(soup.predict(pd.DataFrame(X_test, columns=columns))) <= set(labels)


def test_drop_and_named_estimators(data, mixed):
    _, _, X_val, y_val, X_test, _ = data
    soup = SoupClassifier(mixed, weights=[1, 5, 3]).set_params(nb="drop")
    soup.fit(X_val, y_val)
    assert soup.named_estimators_["nb"] == "drop"
    assert soup.named_estimators_["lr"] is mixed[0][1]
    assert len(soup.estimators_) == 2
    np.testing.assert_allclose(soup.weights_, [0.25, 0.75])
    expected = _weighted(
        [mixed[0][1].predict_proba(X_test), mixed[2][1].predict_proba(X_test)], [1, 3]
    )
    np.testing.assert_allclose(soup.predict_proba(X_test), expected)


def test_single_member_soup_is_the_member_and_html_repr(data, lrs):
    _, _, X_val, y_val, X_test, _ = data
    for params in (dict(combine="params", recipe="optimized"), dict(recipe="greedy")):
        soup = SoupClassifier(lrs[:1], **params).fit(X_val, y_val)
        np.testing.assert_allclose(soup.weights_, [1.0])
        np.testing.assert_allclose(
            soup.predict_proba(X_test), lrs[0].predict_proba(X_test)
        )
    assert "logisticregression" in SoupClassifier(lrs)._repr_html_()


def test_verbose_prints_the_steps(data, mixed, capsys):
    _, _, X_val, y_val, _, _ = data
    SoupClassifier(mixed, recipe="greedy", verbose=1).fit(X_val, y_val)
    out = capsys.readouterr().out
    assert "[SoupClassifier] greedy:" in out


def test_weights_are_ignored_with_a_warning_by_other_recipes(data, mixed):
    _, _, X_val, y_val, _, _ = data
    with pytest.warns(UserWarning, match="used by recipe='uniform' only"):
        SoupClassifier(mixed, weights=[1, 2, 3], recipe="greedy").fit(X_val, y_val)


# Errors -------------------------------------------------------------------------------


def _errors(data, lrs, mixed):
    X, y = data[:2]
    unfitted = LogisticRegression()
    other_classes = LogisticRegression().fit(X[y < 2], y[y < 2])
    other_features = LogisticRegression().fit(X[:, :5], y)
    mlp_small = _fit_quietly(_mlp(hidden_layer_sizes=(3,), random_state=0), X, y)
    mlp_big = _fit_quietly(_mlp(hidden_layer_sizes=(4,), random_state=0), X, y)
    svc = LinearSVC().fit(X, y)
    predict_only = PredictOnly().fit(X, y)
    tree = mixed[2][1]
    sgd = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    return [
        (
            dict(estimators=[lrs[0], unfitted]),
            NotFittedError,
            "'logisticregression-2'.*not fitted.*prefit=False",
        ),
        (
            dict(estimators=[("a", lrs[0]), ("b", other_classes)]),
            ValueError,
            "'a' and 'b' disagree on their class",
        ),
        (
            dict(estimators=[("a", lrs[0]), ("b", other_features)]),
            ValueError,
            "'a' and 'b' disagree on the number of features",
        ),
        (dict(estimators=[]), ValueError, "non-empty list"),
        (dict(estimators=[("a", lrs[0]), ("a", lrs[1])]), ValueError, "unique.*'a'"),
        (dict(estimators=[lrs[0], svc]), ValueError, "'linearsvc'.*no `predict_proba`"),
        (
            dict(estimators=[lrs[0], predict_only], combine="logit"),
            ValueError,
            "'predictonly'.*no `predict_proba` or `decision_function`",
        ),
        (
            dict(estimators=lrs[:2], weights=[1, 2, 3]),
            ValueError,
            "Number of `estimators` and weights must be equal; "
            "got 3 weights, 2 estimators",
        ),
        (
            dict(estimators=lrs[:2], weights=[1, -1]),
            ValueError,
            "non-negative; got \\[1.0, -1.0\\]",
        ),
        (
            dict(estimators=lrs[:2], weights=[1, np.nan]),
            ValueError,
            "must not contain NaN",
        ),
        (
            dict(estimators=lrs[:2], weights=[0, 0]),
            ValueError,
            "At least one member must have a positive weight",
        ),
        (
            dict(estimators=[("lr", lrs[0]), ("tree", tree)], combine="params"),
            ValueError,
            "'tree' \\(DecisionTreeClassifier\\) cannot be averaged.*combine=\"proba\"",
        ),
        (
            dict(estimators=[("lr", lrs[0]), ("sgd", sgd)], combine="params"),
            ValueError,
            'different classes.*combine="proba"',
        ),
        (
            dict(estimators=[("s", mlp_small), ("b", mlp_big)], combine="params"),
            ValueError,
            "different layer shapes",
        ),
        (
            dict(estimators=lrs[:2], combine="params", align="permutation"),
            ValueError,
            'align="permutation" needs combine="params" over MLP members'
            ".*LogisticRegression",
        ),
        (
            dict(estimators=lrs[:2], align="permutation"),
            ValueError,
            'applies to combine="params" only',
        ),
        (dict(estimators=lrs[:2], n_iter=0), ValueError, "'n_iter' parameter"),
        (dict(estimators=lrs[:2], scoring="f2"), ValueError, "'scoring' parameter"),
        (
            dict(estimators=lrs[:2], scoring="f1"),
            ValueError,
            r"`scoring`='f1' cannot score this problem \(3 classes\): Target is "
            "multiclass but average='binary'",
        ),
        (
            dict(estimators=lrs[:2], temperature=0.0),
            ValueError,
            "'temperature' parameter",
        ),
        (
            dict(estimators=lrs[:2], temperature=-1),
            ValueError,
            "'temperature' parameter",
        ),
        (dict(estimators=lrs[:2], combine="mean"), ValueError, "'combine' parameter"),
        (
            dict(
                estimators=[("lr", lrs[0]), ("tree", tree)],
                combine="params",
                prefit=False,
            ),
            ValueError,
            "'tree' \\(DecisionTreeClassifier\\) cannot be averaged",
        ),
        (
            dict(
                estimators=[("lr", LogisticRegression()), ("sgd", SGDClassifier())],
                combine="params",
                prefit=False,
            ),
            ValueError,
            "different classes",
        ),
    ]


def test_errors_are_raised_before_any_work(data, lrs, mixed):
    _, _, X_val, y_val, _, _ = data
    for params, error, match in _errors(data, lrs, mixed):
        members = [e[1] if isinstance(e, tuple) else e for e in params["estimators"]]
        fitted = [e for e in members if hasattr(e, "classes_")]
        before = [pickle.dumps(e) for e in fitted]
        soup = SoupClassifier(**params)
        with pytest.raises(error, match=match):
            soup.fit(X_val, y_val)
        with pytest.raises(NotFittedError):  # never half-fitted
            soup.predict(X_val)
        assert [pickle.dumps(e) for e in fitted] == before


@pytest.mark.parametrize(
    "y_change, match",
    [
        (lambda y: np.zeros_like(y), "at least 2 classes"),
        (
            lambda y: np.where(y == 2, 7, y),
            "labels the members were not trained on: \\[7\\]",
        ),
        (lambda y: y[:-1], "one label per sample of X; got 149 labels for 150 samples"),
        (lambda y: y + 0.5, "Unknown label type"),
    ],
)
def test_bad_held_out_labels(data, lrs, y_change, match):
    _, _, X_val, y_val, _, _ = data
    soup = SoupClassifier(lrs[:2])
    with pytest.raises(ValueError, match=match):
        soup.fit(X_val, y_change(y_val))
    with pytest.raises(NotFittedError):
        soup.predict_proba(X_val)


def test_non_finite_member_outputs(data, lrs):
    X, y, X_val, y_val, _, _ = data

    class Infinite(LinearSVC):
        def decision_function(self, X):
            out = super().decision_function(X)
            out[0, 0] = np.inf
            return out

    bad = Infinite().fit(X, y)
    match = r"'bad' \(Infinite\) returned non-finite values"
    with pytest.raises(ValueError, match=match):
        SoupClassifier([("good", lrs[0]), ("bad", bad)], combine="logit").fit(
            X_val, y_val
        )


def test_decision_function_only_where_meaningful(data, lrs, mixed):
    X, y, X_val, y_val, _, _ = data
    mlps = [_fit_quietly(_mlp(random_state=s), X, y) for s in (0, 1)]
    for soup in (
        SoupClassifier(mixed),
        SoupClassifier(mixed, combine="vote"),
        SoupClassifier(mlps, combine="params"),
    ):
        assert not hasattr(soup, "decision_function")
        with pytest.raises(AttributeError, match="decision_function") as exc:
            soup.decision_function(X_val)
        assert "available with combine='logit', or combine='params'" in str(
            exc.value.__cause__
        )
    assert hasattr(SoupClassifier(lrs, combine="params"), "decision_function")
    assert hasattr(SoupClassifier(mixed, combine="logit"), "decision_function")


def test_unfitted_soup_raises_not_fitted(data, lrs):
    X_test = data[4]
    soup = SoupClassifier(lrs)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "transform",
        "contributions",
    ):
        with pytest.raises(NotFittedError):
            getattr(soup, method)(X_test)


# Every scikit-learn classification scorer, on the cached outputs ------------------


def _scorer_data(n_classes):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=1,
    )
    y = np.array(["a", "b", "c"])[y] if n_classes == 3 else y
    members = [
        LogisticRegression(C=0.05).fit(X[:150], y[:150]),
        GaussianNB().fit(X[:150], y[:150]),
        DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[:150], y[:150]),
    ]
    return members, X[150:], y[150:]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_classification_scorer_scores_as_scikit_learn(n_classes):
    from sklearn.metrics import get_scorer

    from skmerge._recipes import CLASSIFICATION_SCORINGS

    members, X, y = _scorer_data(n_classes)
    sw = np.linspace(0.5, 1.5, len(y))
    checked = 0
    for name in CLASSIFICATION_SCORINGS:
        scorer = get_scorer(name)
        # A member's score is the scorer's on its probabilities (the cached
        # outputs), as on a soup of that member alone (a classifier without
        # a decision function for metrics that prefer one).
        alone = [SoupClassifier([m]).fit(X, y) for m in members]
        try:
            expected = [scorer(a, X, y, sample_weight=sw) for a in alone]
        except (ValueError, TypeError):
            # scikit-learn cannot score this problem with it (binary-only
            # metrics on three classes); the soup says so before any work,
            # or (scikit-learn 1.6's average_precision on string labels,
            # which its scorer refuses for their pos_label) computes it.
            try:
                SoupClassifier(members, scoring=name).fit(X, y, sample_weight=sw)
            except ValueError as exc:
                assert "cannot score this problem" in str(exc), name
            continue
        soup = SoupClassifier(members, recipe="greedy", scoring=name)
        soup.fit(X, y, sample_weight=sw)
        assert_allclose(soup.member_scores_, expected, rtol=1e-10, err_msg=name)
        # The soup's last path score is the scorer's on the fitted soup.
        final = scorer(soup, X, y, sample_weight=sw)
        assert soup.selection_path_[-1][1] == pytest.approx(final, rel=1e-10), name
        checked += 1
    assert checked >= (28 if n_classes == 2 else 12)


def test_callables_follow_scikit_learn_metric_convention():
    from sklearn.metrics import roc_auc_score

    members, X, y = _scorer_data(2)
    soup = SoupClassifier(members, recipe="greedy", scoring=roc_auc_score).fit(X, y)
    expected = [roc_auc_score(y, m.predict_proba(X)[:, 1]) for m in members]
    assert_allclose(soup.member_scores_, expected)
