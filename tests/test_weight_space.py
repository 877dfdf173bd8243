# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests for weight-space averaging and MLP alignment (skmerge._weight_space)."""

import copy
import functools
import itertools
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris, make_classification
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (
    LogisticRegression,
    Perceptron,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import resample

from skmerge._weight_space import (
    _linear_proba_from_decision,
    _similarity,
    align_mlps,
    average_estimators,
    permute_mlp_hidden,
    weight_space_family,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # Deprecated in scikit-learn 1.8; warns on creation and on deepcopy.
    pytest.mark.filterwarnings(
        "ignore:Class PassiveAggressiveClassifier is deprecated:FutureWarning"
    ),
]

USE_PROBA = 'combine="proba"'
X4 = np.eye(4)  # any 4-feature data
WEIGHTS = np.array([0.5, 0.3, 0.2])


# Data and members -----------------------------------------------------------


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def multiclass():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(params=["binary", "multiclass"])
def data(request):
    return request.getfixturevalue(request.param)


def _passive_aggressive(seed):
    from sklearn import linear_model

    if not hasattr(linear_model, "PassiveAggressiveClassifier"):
        pytest.skip("PassiveAggressiveClassifier was removed in scikit-learn 1.10")
    return linear_model.PassiveAggressiveClassifier(max_iter=20, random_state=seed)


LINEAR = {
    "logistic": lambda seed: LogisticRegression(C=0.3 + seed, max_iter=500),
    "sgd_log": lambda seed: SGDClassifier(
        loss="log_loss", max_iter=30, tol=None, random_state=seed
    ),
    "sgd_huber": lambda seed: SGDClassifier(
        loss="modified_huber", max_iter=30, tol=None, random_state=seed
    ),
    "sgd_hinge": lambda seed: SGDClassifier(max_iter=30, tol=None, random_state=seed),
    "linear_svc": lambda seed: LinearSVC(C=0.1 + seed, max_iter=5000),
    "ridge": lambda seed: RidgeClassifier(alpha=1.0 + seed),
    "perceptron": lambda seed: Perceptron(max_iter=20, random_state=seed),
    "passive_aggressive": _passive_aggressive,
}


def _fit_members(make, X, y, n=3):
    """Fit `n` members on different stratified bootstrap samples."""
    members = []
    for seed in range(n):
        Xb, yb = resample(X, y, stratify=y, random_state=seed)
        members.append(make(seed).fit(Xb, yb))
    return members


def _names(estimators):
    return [f"m{i}" for i in range(len(estimators))]


def _hand_linear(members, weights):
    """A copy of the first member given the plainly averaged parameters."""
    expected = copy.deepcopy(members[0])
    expected.coef_ = sum(w * m.coef_ for w, m in zip(weights, members, strict=True))
    expected.intercept_ = sum(
        w * m.intercept_ for w, m in zip(weights, members, strict=True)
    )
    return expected


def _assert_same_predictions(merged, expected, X):
    np.testing.assert_allclose(
        merged.decision_function(X),
        expected.decision_function(X),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_array_equal(merged.predict(X), expected.predict(X))
    if hasattr(expected, "predict_proba"):
        np.testing.assert_allclose(
            merged.predict_proba(X), expected.predict_proba(X), rtol=1e-12, atol=1e-12
        )


def _mlp(hidden, X, y, seed=0, **params):
    params = {"max_iter": 30, "random_state": seed, **params}
    return MLPClassifier(hidden, **params).fit(X, y)


def _flat(mlp):
    return mlp.coefs_ + mlp.intercepts_


def _distance(a, b):
    return np.sqrt(
        sum(np.sum((p - q) ** 2) for p, q in zip(_flat(a), _flat(b), strict=True))
    )


def _assert_same_weights(a, b):
    for p, q in zip(_flat(a), _flat(b), strict=True):
        np.testing.assert_array_equal(p, q)


# Linear family --------------------------------------------------------------


@pytest.mark.parametrize("kind", list(LINEAR))
def test_linear_average_equals_hand_average(kind, data):
    X, y = data
    members = _fit_members(LINEAR[kind], X, y)
    assert weight_space_family(members, _names(members)) == "linear"

    merged = average_estimators(members, WEIGHTS, _names(members))

    assert type(merged) is type(members[0])
    assert all(merged is not m and merged.coef_ is not m.coef_ for m in members)
    assert merged.coef_.dtype == members[0].coef_.dtype
    assert merged.coef_.shape == members[0].coef_.shape
    _assert_same_predictions(merged, _hand_linear(members, WEIGHTS), X)


@pytest.mark.parametrize("kind", ["logistic", "sgd_log", "sgd_huber"])
def test_linear_proba_from_decision_matches_merged_model(kind, data):
    X, y = data
    members = _fit_members(LINEAR[kind], X, y)
    merged = average_estimators(members, WEIGHTS, _names(members))

    decision = sum(
        w * m.decision_function(X) for w, m in zip(WEIGHTS, members, strict=True)
    )

    np.testing.assert_allclose(
        _linear_proba_from_decision(members[0], decision),
        merged.predict_proba(X),
        rtol=1e-12,
        atol=1e-12,
    )


def test_linear_proba_from_decision_rejects_wrong_width(multiclass):
    X, y = multiclass
    member = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="3 column"):
        _linear_proba_from_decision(member, np.zeros((4, 2)))


@pytest.mark.parametrize("make", [LINEAR["logistic"], LINEAR["sgd_log"]])
def test_identical_members_give_the_member(make, data):
    X, y = data
    member = _fit_members(make, X, y, n=1)[0]
    members = [member, copy.deepcopy(member), copy.deepcopy(member)]

    merged = average_estimators(members, [0.2, 0.3, 0.5], ["a", "b", "c"])

    np.testing.assert_array_equal(merged.coef_, member.coef_)
    np.testing.assert_array_equal(merged.intercept_, member.intercept_)
    np.testing.assert_array_equal(merged.predict_proba(X), member.predict_proba(X))


@pytest.mark.parametrize("zero", [0, 1, 2])
def test_zero_weight_member_has_no_influence(zero, multiclass):
    X, y = multiclass
    members = _fit_members(LINEAR["logistic"], X, y)
    weights = np.array([0.6, 0.4, 0.0])
    weights[[zero, 2]] = weights[[2, zero]]
    kept = [i for i in range(3) if i != zero]

    merged = average_estimators(members, weights, ["a", "b", "c"])
    without = average_estimators([members[i] for i in kept], weights[kept], ["a", "b"])

    np.testing.assert_array_equal(merged.coef_, without.coef_)
    np.testing.assert_array_equal(merged.intercept_, without.intercept_)


def test_zero_weight_member_must_still_be_compatible(multiclass):
    X, y = multiclass
    lr = LogisticRegression().fit(X, y)
    tree = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="member 'tree'"):
        average_estimators([lr, tree], [1.0, 0.0], ["lr", "tree"])


@pytest.mark.parametrize("make", [LINEAR["linear_svc"], LINEAR["ridge"]])
def test_scalar_intercept(make, data):
    """fit_intercept=False stores intercept_ = 0.0; the merge keeps a scalar."""
    X, y = data
    members = _fit_members(lambda s: make(s).set_params(fit_intercept=False), X, y)
    assert all(m.intercept_ == 0.0 and np.ndim(m.intercept_) == 0 for m in members)

    merged = average_estimators(members, WEIGHTS, _names(members))

    assert np.ndim(merged.intercept_) == 0 and merged.intercept_ == 0.0
    _assert_same_predictions(merged, _hand_linear(members, WEIGHTS), X)


def test_scalar_and_array_intercepts_mix(multiclass):
    X, y = multiclass
    members = _fit_members(LINEAR["linear_svc"], X, y)
    members[1] = copy.deepcopy(members[1])
    members[1].intercept_ = 0.0

    merged = average_estimators(members, WEIGHTS, _names(members))

    assert merged.intercept_.shape == (3,)
    _assert_same_predictions(merged, _hand_linear(members, WEIGHTS), X)


def test_dtype_is_kept(multiclass):
    X, y = multiclass
    members = [copy.deepcopy(m) for m in _fit_members(LINEAR["logistic"], X, y)]
    for m in members:
        m.coef_ = m.coef_.astype(np.float32)
        m.intercept_ = m.intercept_.astype(np.float32)

    merged = average_estimators(members, WEIGHTS, _names(members))

    assert merged.coef_.dtype == np.float32 and merged.intercept_.dtype == np.float32
    expected = sum(
        w * m.coef_.astype(np.float64) for w, m in zip(WEIGHTS, members, strict=True)
    )
    np.testing.assert_allclose(merged.coef_, expected, rtol=1e-6)


def test_sparse_coef(multiclass):
    X, y = multiclass
    dense = _fit_members(LINEAR["logistic"], X, y)
    members = [copy.deepcopy(m).sparsify() for m in dense]

    merged = average_estimators(members, WEIGHTS, _names(members))

    assert type(merged.coef_) is type(members[0].coef_)
    _assert_same_predictions(merged, _hand_linear(dense, WEIGHTS), X)


def test_multiclass_class_order_is_aligned(multiclass):
    X, y = multiclass
    a, b = _fit_members(LINEAR["logistic"], X, y, n=2)
    order = np.array([2, 0, 1])
    b_perm = copy.deepcopy(b)
    b_perm.classes_ = b.classes_[order]
    b_perm.coef_ = b.coef_[order]
    b_perm.intercept_ = b.intercept_[order]
    # The hand-built member is the same model with its columns reordered.
    np.testing.assert_allclose(
        b_perm.predict_proba(X), b.predict_proba(X)[:, order], rtol=1e-12
    )

    merged = average_estimators([a, b_perm], [0.7, 0.3], ["a", "b"])

    np.testing.assert_array_equal(merged.classes_, a.classes_)
    _assert_same_predictions(merged, _hand_linear([a, b], [0.7, 0.3]), X)


def test_binary_reversed_class_order_negates(binary):
    X, y = binary
    a, b = _fit_members(LINEAR["logistic"], X, y, n=2)
    b_rev = copy.deepcopy(b)
    b_rev.classes_ = b.classes_[::-1]
    b_rev.coef_ = -b.coef_
    b_rev.intercept_ = -b.intercept_
    np.testing.assert_array_equal(b_rev.predict(X), b.predict(X))

    merged = average_estimators([a, b_rev], [0.7, 0.3], ["a", "b"])

    _assert_same_predictions(merged, _hand_linear([a, b], [0.7, 0.3]), X)


def test_frozen_members_are_unwrapped(multiclass):
    X, y = multiclass
    members = _fit_members(LINEAR["logistic"], X, y)
    frozen = [FrozenEstimator(m) for m in members]

    assert weight_space_family(frozen, _names(frozen)) == "linear"
    merged = average_estimators(frozen, WEIGHTS, _names(frozen))

    assert type(merged) is LogisticRegression
    _assert_same_predictions(merged, _hand_linear(members, WEIGHTS), X)


# Members are never modified --------------------------------------------------


def test_members_are_untouched(multiclass):
    X, y = multiclass
    linear = _fit_members(LINEAR["logistic"], X, y)
    mlps = [_mlp((5, 4), X, y, seed=s) for s in range(3)]
    scaler = StandardScaler().fit(X)
    pipes = [Pipeline([("scaler", copy.deepcopy(scaler)), ("clf", m)]) for m in linear]
    everything = linear + mlps + pipes
    before = [pickle.dumps(m) for m in everything]

    for members in (linear, mlps, pipes):
        weight_space_family(members, _names(members))
        merged = average_estimators(members, WEIGHTS, _names(members))
        assert all(merged is not m for m in members)
    aligned = align_mlps(mlps, _names(mlps))
    permuted = permute_mlp_hidden(mlps[0], [[4, 3, 2, 1, 0], [1, 0, 3, 2]])
    merged_pipe = average_estimators(pipes, WEIGHTS, _names(pipes))

    assert [pickle.dumps(m) for m in everything] == before
    assert all(a is not m for a, m in zip(aligned, mlps, strict=True))
    assert all(
        c is not d for c, d in zip(_flat(aligned[0]), _flat(mlps[0]), strict=True)
    )
    assert permuted is not mlps[0]
    assert merged_pipe[0] is not pipes[0][0]


# MLP family -----------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
def test_mlp_average_equals_hand_average(hidden, data):
    X, y = data
    mlps = [_mlp(hidden, X, y, seed=s) for s in range(3)]
    assert weight_space_family(mlps, _names(mlps)) == "mlp"

    merged = average_estimators(mlps, WEIGHTS, _names(mlps))

    expected = copy.deepcopy(mlps[0])
    expected.coefs_ = [
        sum(w * m.coefs_[i] for w, m in zip(WEIGHTS, mlps, strict=True))
        for i in range(len(hidden) + 1)
    ]
    expected.intercepts_ = [
        sum(w * m.intercepts_[i] for w, m in zip(WEIGHTS, mlps, strict=True))
        for i in range(len(hidden) + 1)
    ]
    for got, want in zip(_flat(merged), _flat(expected), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        merged.predict_proba(X), expected.predict_proba(X), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("order", [[1, 0], [2, 0, 1]])
def test_mlp_class_order_is_aligned(order, binary, multiclass):
    X, y = binary if len(order) == 2 else multiclass
    order = np.array(order)
    a, b = _mlp((4,), X, y, seed=0), _mlp((4,), X, y, seed=1)
    b_perm = copy.deepcopy(b)
    b_perm.classes_ = b.classes_[order]
    b_perm._label_binarizer.classes_ = b.classes_[order]
    if len(order) == 2:  # one logistic output, scoring classes_[1]
        b_perm.coefs_[-1] = -b.coefs_[-1]
        b_perm.intercepts_[-1] = -b.intercepts_[-1]
    else:
        b_perm.coefs_[-1] = b.coefs_[-1][:, order]
        b_perm.intercepts_[-1] = b.intercepts_[-1][order]
    np.testing.assert_allclose(
        b_perm.predict_proba(X), b.predict_proba(X)[:, order], rtol=1e-12
    )

    merged = average_estimators([a, b_perm], [0.6, 0.4], ["a", "b"])
    expected = average_estimators([a, b], [0.6, 0.4], ["a", "b"])

    for got, want in zip(_flat(merged), _flat(expected), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_permute_keeps_function_and_training_state(solver, multiclass):
    X, y = multiclass
    mlp = _mlp((6, 5), X, y, solver=solver, max_iter=5)
    rng = np.random.default_rng(0)
    perms = [rng.permutation(6), rng.permutation(5)]

    permuted = permute_mlp_hidden(mlp, perms)

    assert not np.array_equal(permuted.coefs_[1], mlp.coefs_[1])
    np.testing.assert_array_equal(permuted.coefs_[0], mlp.coefs_[0][:, perms[0]])
    np.testing.assert_array_equal(
        permuted.coefs_[1], mlp.coefs_[1][perms[0]][:, perms[1]]
    )
    np.testing.assert_array_equal(permuted.coefs_[2], mlp.coefs_[2][perms[1]])
    np.testing.assert_allclose(
        permuted.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-12
    )
    # Optimiser state moves with the units: training on goes on identically.
    original = copy.deepcopy(mlp)
    original.partial_fit(X, y)
    permuted.partial_fit(X, y)
    for got, want in zip(
        _flat(permuted), _flat(permute_mlp_hidden(original, perms)), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "perms, match",
    [
        ([[0, 1, 2]], "one permutation per hidden layer"),
        ([[0, 1, 2], [0, 1, 1]], re.escape("perms[1] must be a permutation")),
        ([[0, 1, 2], [0, 1]], re.escape("range(3)")),
        ([[0.0, 1.0, 2.0], [0, 1, 2]], re.escape("perms[0]")),
    ],
)
def test_permute_rejects_bad_perms(perms, match, multiclass):
    X, y = multiclass
    mlp = _mlp((3, 3), X, y, max_iter=2)
    with pytest.raises(ValueError, match=match):
        permute_mlp_hidden(mlp, perms)


def test_permute_rejects_non_mlp(multiclass):
    X, y = multiclass
    with pytest.raises(ValueError, match="LogisticRegression"):
        permute_mlp_hidden(LogisticRegression().fit(X, y), [])


def test_align_recovers_a_permuted_copy(multiclass):
    X, y = multiclass
    mlp = _mlp((8, 6), X, y, max_iter=50)
    rng = np.random.default_rng(1)
    shuffled = permute_mlp_hidden(mlp, [rng.permutation(8), rng.permutation(6)])

    first, aligned = align_mlps([mlp, shuffled], ["original", "shuffled"])

    _assert_same_weights(first, mlp)
    _assert_same_weights(aligned, mlp)
    merged = average_estimators([mlp, aligned], [0.5, 0.5], ["a", "b"])
    np.testing.assert_allclose(
        merged.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-12
    )
    # Without alignment the average is a different network.
    unaligned = average_estimators([mlp, shuffled], [0.5, 0.5], ["a", "b"])
    assert not np.allclose(unaligned.predict_proba(X), mlp.predict_proba(X))


def test_align_independent_mlps_gets_closer_and_keeps_functions(binary):
    X, y = binary
    mlps = [_mlp((10, 8), X, y, seed=s, max_iter=60) for s in range(3)]

    aligned = align_mlps(mlps, _names(mlps))

    _assert_same_weights(aligned[0], mlps[0])
    for before, after in zip(mlps[1:], aligned[1:], strict=True):
        assert _distance(after, mlps[0]) < _distance(before, mlps[0])
        np.testing.assert_allclose(
            after.predict_proba(X), before.predict_proba(X), rtol=0, atol=1e-12
        )


def test_align_reaches_a_coordinate_optimum(multiclass):
    """No single hidden layer's permutation can bring the networks closer."""
    X, y = multiclass
    a, b = _mlp((3, 4), X, y, seed=0), _mlp((3, 4), X, y, seed=1)

    aligned = align_mlps([a, b], ["a", "b"])[1]

    # Recover the permutations applied (units are distinct) ...
    found = [
        [int(np.flatnonzero(b.intercepts_[i] == v)[0]) for v in aligned.intercepts_[i]]
        for i in range(2)
    ]
    _assert_same_weights(permute_mlp_hidden(b, found), aligned)
    best = _similarity(a.coefs_, a.intercepts_, b.coefs_, b.intercepts_, found)
    # ... and try every alternative for one layer at a time.
    for layer, size in enumerate([3, 4]):
        for perm in itertools.permutations(range(size)):
            perms = list(found)
            perms[layer] = list(perm)
            value = _similarity(a.coefs_, a.intercepts_, b.coefs_, b.intercepts_, perms)
            assert value <= best + 1e-12 * abs(best)


def test_align_with_no_hidden_layer(multiclass):
    X, y = multiclass
    a, b = _mlp((), X, y, seed=0), _mlp((), X, y, seed=1)
    first, second = align_mlps([a, b], ["a", "b"])
    _assert_same_weights(second, b)


def test_align_errors(multiclass):
    X, y = multiclass
    mlp = _mlp((4,), X, y)
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"member 'lr' is a LogisticRegression"):
        align_mlps([mlp, lr], ["mlp", "lr"])
    with pytest.raises(ValueError, match=r"member 'raw' is an unfitted"):
        align_mlps([mlp, MLPClassifier()], ["mlp", "raw"])
    with pytest.raises(ValueError, match=r"member 'b'.*layer shapes"):
        align_mlps([mlp, _mlp((5,), X, y)], ["a", "b"])
    with pytest.raises(ValueError, match=r"member 'b'.*activation"):
        align_mlps([mlp, _mlp((4,), X, y, activation="tanh")], ["a", "b"])
    with pytest.raises(ValueError, match="max_iter"):
        align_mlps([mlp, mlp], ["a", "b"], max_iter=0)


# Hypothesis: random small MLPs and random permutations ------------------------


@functools.cache
def _template_mlp(hidden, activation, n_classes):
    X, y = make_classification(
        n_samples=30,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden, activation=activation, max_iter=1).fit(X, y)
    return mlp, X


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    hidden=st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple),
    activation=st.sampled_from(["relu", "tanh", "logistic", "identity"]),
    n_classes=st.sampled_from([2, 3]),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_property_permutation_preserves_function(
    hidden, activation, n_classes, seed, data
):
    template, X = _template_mlp(hidden, activation, n_classes)
    rng = np.random.default_rng(seed)
    mlp = copy.deepcopy(template)  # a random network of that shape
    mlp.coefs_ = [rng.normal(size=c.shape) for c in template.coefs_]
    mlp.intercepts_ = [rng.normal(size=b.shape) for b in template.intercepts_]
    perms = [data.draw(st.permutations(range(n))) for n in hidden]

    permuted = permute_mlp_hidden(mlp, perms)

    np.testing.assert_allclose(
        permuted.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-12
    )
    _assert_same_weights(align_mlps([mlp, permuted], ["a", "b"])[1], mlp)


# Pipelines ------------------------------------------------------------------


def _pipelines(X, y, final, steps=None, n=3):
    """Pipelines sharing one fitted preprocessing (copied), finals differ."""
    steps = steps or [("scaler", StandardScaler())]
    prep = Pipeline(steps).fit(X)
    Xt = prep.transform(X)
    finals = [final(seed).fit(*resample(Xt, y, random_state=seed)) for seed in range(n)]
    pipes = [Pipeline([*copy.deepcopy(prep.steps), ("clf", f)]) for f in finals]
    return pipes, prep, finals


def test_pipeline_of_linear():
    X, y = load_iris(return_X_y=True)
    pipes, prep, finals = _pipelines(X, y, LINEAR["logistic"])
    assert weight_space_family(pipes, _names(pipes)) == "pipeline"

    merged = average_estimators(pipes, WEIGHTS, _names(pipes))

    assert isinstance(merged, Pipeline)
    assert [name for name, _ in merged.steps] == ["scaler", "clf"]
    expected = Pipeline([*prep.steps, ("clf", _hand_linear(finals, WEIGHTS))])
    np.testing.assert_allclose(
        merged.predict_proba(X), expected.predict_proba(X), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(merged.predict(X), expected.predict(X))
    # The fast path works through the pipeline too.
    decision = sum(
        w * p.decision_function(X) for w, p in zip(WEIGHTS, pipes, strict=True)
    )
    np.testing.assert_allclose(
        _linear_proba_from_decision(pipes[0], decision),
        merged.predict_proba(X),
        rtol=1e-12,
        atol=1e-12,
    )


def test_pipeline_of_mlps_with_nan_param_and_random_state():
    X, y = load_iris(return_X_y=True)
    steps = [
        ("impute", SimpleImputer()),  # missing_values=nan: NaN == NaN here
        ("pca", PCA(3, random_state=np.random.RandomState(0))),
    ]
    pipes, prep, finals = _pipelines(
        X, y, lambda s: MLPClassifier((4,), max_iter=20, random_state=s), steps
    )

    merged = average_estimators(pipes, WEIGHTS, _names(pipes))

    expected_final = average_estimators(finals, WEIGHTS, _names(finals))
    expected = Pipeline([*prep.steps, ("clf", expected_final)])
    np.testing.assert_allclose(
        merged.predict_proba(X), expected.predict_proba(X), rtol=1e-12, atol=1e-12
    )


def test_pipeline_with_frozen_final_steps():
    X, y = load_iris(return_X_y=True)
    pipes, prep, finals = _pipelines(X, y, LINEAR["logistic"])
    frozen = [Pipeline([p.steps[0], ("clf", FrozenEstimator(p[-1]))]) for p in pipes]

    merged = average_estimators(frozen, WEIGHTS, _names(frozen))

    assert type(merged[-1]) is LogisticRegression
    expected = Pipeline([*prep.steps, ("clf", _hand_linear(finals, WEIGHTS))])
    np.testing.assert_allclose(
        merged.predict_proba(X), expected.predict_proba(X), rtol=1e-12, atol=1e-12
    )


def test_pipeline_differently_fitted_step():
    X, y = load_iris(return_X_y=True)
    pipes, _, _ = _pipelines(X, y, LINEAR["logistic"])
    pipes[2] = copy.deepcopy(pipes[2])
    pipes[2].steps[0] = ("scaler", StandardScaler().fit(X + 1.0))

    with pytest.raises(ValueError, match="member 'c'") as exc:
        average_estimators(pipes, WEIGHTS, ["a", "b", "c"])
    message = str(exc.value)
    assert "member 'a'" in message
    assert "differently fitted step 'scaler'" in message
    assert "mean_" in message  # the first differing attribute
    assert USE_PROBA in message


@pytest.mark.parametrize(
    "change, match",
    [
        (
            lambda p: Pipeline([("minmax", p[0]), ("clf", p[-1])]),
            r"different steps: \['scaler', 'clf'\] vs \['minmax', 'clf'\]",
        ),
        (
            lambda p: Pipeline([("scaler", MinMaxScaler().fit(X4)), ("clf", p[-1])]),
            "StandardScaler vs MinMaxScaler",
        ),
        (
            lambda p: Pipeline([p.steps[0], ("clf", DecisionTreeClassifier())]),
            "final step 'clf' of member 'b' \\(DecisionTreeClassifier\\)",
        ),
    ],
)
def test_pipeline_mismatch_errors(change, match):
    X, y = load_iris(return_X_y=True)
    pipes, _, _ = _pipelines(X, y, LINEAR["logistic"], n=2)
    pipes[1] = change(pipes[1])
    with pytest.raises(ValueError, match=match) as exc:
        weight_space_family(pipes, ["a", "b"])
    assert "member 'b'" in str(exc.value)
    assert USE_PROBA in str(exc.value)


# Errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        DecisionTreeClassifier(random_state=0),
        HistGradientBoostingClassifier(max_iter=3),
        KNeighborsClassifier(),
        SVC(kernel="linear"),  # coef_ is computed, not stored
        GaussianNB(),
    ],
    ids=lambda est: type(est).__name__,
)
def test_unsupported_members(other, multiclass):
    X, y = multiclass
    lr = LogisticRegression().fit(X, y)
    other = other.fit(X, y)
    name = type(other).__name__
    with pytest.raises(ValueError, match=re.escape(f"member 'odd' ({name})")) as exc:
        weight_space_family([lr, other], ["lr", "odd"])
    assert "MLPClassifier" in str(exc.value)  # says what is supported
    assert USE_PROBA in str(exc.value)
    with pytest.raises(ValueError, match="member 'odd'"):
        average_estimators([lr, other], [0.5, 0.5], ["lr", "odd"])


def test_several_unsupported_members_are_all_named(multiclass):
    X, y = multiclass
    tree = DecisionTreeClassifier().fit(X, y)
    knn = KNeighborsClassifier().fit(X, y)
    with pytest.raises(ValueError, match="member 'tree'.*member 'knn'"):
        weight_space_family([tree, knn], ["tree", "knn"])


def test_unfitted_member_is_unsupported_not_a_crash(multiclass):
    X, y = multiclass
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"member 'raw' \(LogisticRegression\)"):
        weight_space_family([lr, LogisticRegression()], ["lr", "raw"])


@pytest.mark.parametrize(
    "other",
    [
        SGDClassifier(loss="log_loss", random_state=0),
        MLPClassifier((3,), max_iter=5, random_state=0),
    ],
    ids=lambda est: type(est).__name__,
)
def test_mixed_classes(other, multiclass):
    X, y = multiclass
    lr = LogisticRegression().fit(X, y)
    other = other.fit(X, y)
    name = re.escape(f"member 'b' ({type(other).__name__})")
    with pytest.raises(ValueError, match=name) as exc:
        weight_space_family([lr, other], ["a", "b"])
    assert "member 'a' (LogisticRegression)" in str(exc.value)
    assert USE_PROBA in str(exc.value)


def test_mlps_of_different_shapes(multiclass):
    X, y = multiclass
    a, b = _mlp((5, 4), X, y), _mlp((5, 3), X, y)
    with pytest.raises(ValueError, match="member 'a' and member 'b'") as exc:
        average_estimators([a, b], [0.5, 0.5], ["a", "b"])
    assert "[(4, 5), (5, 4), (4, 3)] vs [(4, 5), (5, 3), (3, 3)]" in str(exc.value)
    assert USE_PROBA in str(exc.value)


def test_different_classes(multiclass):
    X, y = multiclass
    a = LogisticRegression().fit(X, y)
    b = LogisticRegression().fit(X[y < 2], y[y < 2])
    with pytest.raises(
        ValueError, match="member 'a' and member 'b' have different classes"
    ):
        weight_space_family([a, b], ["a", "b"])
    c = _mlp((3,), X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="member 'c'.*different classes"):
        weight_space_family([_mlp((3,), X, y), c], ["m", "c"])


def test_different_coef_shapes(multiclass):
    X, y = multiclass
    a = LogisticRegression().fit(X, y)
    b = LogisticRegression().fit(X[:, :3], y)
    with pytest.raises(ValueError, match=r"member 'b' have coef_ of different shapes"):
        weight_space_family([a, b], ["a", "b"])


@pytest.mark.parametrize(
    "weights, match",
    [
        ([0.5, 0.5, 0.0], "got 3 weights, 2 estimators"),
        ([[0.5, 0.5]], "got 2 weights, 2 estimators"),
        ([1.5, -0.5], ">= 0"),
        ([np.nan, 1.0], "finite"),
        ([0.0, 0.0], "sum to 1"),
        ([0.2, 0.2], "sum to 1"),
    ],
)
def test_bad_weights(weights, match, multiclass):
    X, y = multiclass
    members = _fit_members(LINEAR["logistic"], X, y, n=2)
    with pytest.raises(ValueError, match=match):
        average_estimators(members, weights, ["a", "b"])


def test_bad_names_and_empty(multiclass):
    X, y = multiclass
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="got 1 names, 2 estimators"):
        weight_space_family([lr, lr], ["a"])
    with pytest.raises(ValueError, match="at least one"):
        weight_space_family([], [])


def _column_pipeline(C, X, y, dtype_include="number"):
    from sklearn.compose import ColumnTransformer, make_column_selector

    selector = make_column_selector(dtype_include=dtype_include)
    pre = ColumnTransformer([("num", StandardScaler(), selector)])
    return Pipeline([("pre", pre), ("lr", LogisticRegression(C=C, max_iter=2000))]).fit(
        X, y
    )


def test_column_transformers_built_alike_are_fitted_identically():
    # Two ColumnTransformers with their own make_column_selector objects, fitted
    # on the same data: every fitted array is equal, so they are one
    # preprocessing and the pipelines average.
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.assign(kind=pd.Categorical(np.where(y > 0, "a", "b")))
    a, b = _column_pipeline(1.0, X, y), _column_pipeline(0.1, X, y)
    assert a[0].transformers[0][2] is not b[0].transformers[0][2]
    merged = average_estimators([a, b], [0.5, 0.5], ["a", "b"])
    lr_a, lr_b = a[-1], b[-1]
    np.testing.assert_allclose(merged[-1].coef_, (lr_a.coef_ + lr_b.coef_) / 2)
    np.testing.assert_allclose(
        merged.decision_function(X),
        (a.decision_function(X) + b.decision_function(X)) / 2,
    )
    from skmerge import SoupClassifier

    soup = SoupClassifier([a, b], combine="params").fit(X, y)
    np.testing.assert_allclose(soup.merged_estimator_[-1].coef_, merged[-1].coef_)
    # Fitted on other data, the scalers differ: refused, naming the step.
    c = _column_pipeline(1.0, X.iloc[:100], y.iloc[:100])
    with pytest.raises(ValueError, match="differently fitted step 'pre'"):
        average_estimators([a, c], [0.5, 0.5], ["a", "c"])
