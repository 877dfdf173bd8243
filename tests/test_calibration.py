# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of CalibratedClassifier and its calibration maps, against
independent computations (plain scipy objectives, oracle maps)."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad, minimize
from scipy.special import log_softmax, softmax
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from skmerge import (
    CalibratedClassifier,
    SoupClassifier,
    StackingMerger,
    fit_temperature,
)
from skmerge._calibration import (
    _ets_components,
    _ets_objective,
    _lbfgs,
    _map_log_proba,
    _matrix_hessian,
    _matrix_newton,
    _matrix_objective,
    _vector_objective,
    fit_calibration_map,
)

METHODS = ["temperature", "ets", "vector", "matrix"]


def mean_nll(log_proba, y, w=None):
    """Independent (weighted) mean log loss from log-probabilities."""
    return float(np.average(-log_proba[np.arange(len(y)), y], weights=w))


def sample(logits, rng):
    """Labels drawn from softmax(logits), row by row."""
    p = softmax(logits, axis=1)
    return (p.cumsum(axis=1) > rng.random(len(p))[:, None]).argmax(axis=1)


def tempered(n, k, temperature=3.0, seed=0):
    """Logits over-confident by ``temperature``: y ~ softmax(z / T)."""
    rng = np.random.default_rng(seed)
    true = rng.normal(size=(n, k)) * 1.5
    return true * temperature, sample(true, rng)


def affine(n, k, seed=0):
    """Logits z whose true calibration map is affine: y ~ softmax(A z + c)."""
    rng = np.random.default_rng(seed)
    A = np.diag(rng.uniform(0.3, 1.2, size=k)) + 0.4 * rng.normal(size=(k, k))
    c = rng.normal(size=k)
    z = 2.0 * rng.normal(size=(n, k))
    return z, sample(z @ A.T + c, rng), (A, c)


def map_loss(fitted, z, y, w=None):
    """Independent loss of a fitted map from its parameters alone."""
    if fitted.method == "ets":
        t = fitted.temperature
        mix = fitted.ets_weights @ np.stack(
            [
                softmax(z / t, axis=1),
                softmax(z, axis=1),
                np.full(z.shape, 1 / z.shape[1]),
            ]
        ).reshape(3, -1)
        return mean_nll(np.log(mix.reshape(z.shape)), y, w)
    return mean_nll(log_softmax(z @ fitted.coef.T + fitted.intercept, axis=1), y, w)


@pytest.fixture(scope="module")
def split3():
    X, y = make_classification(
        n_samples=1200, n_classes=3, n_informative=6, random_state=0
    )
    X_train, X_cal, y_train, y_cal = train_test_split(X, y, random_state=0)
    return GaussianNB().fit(X_train, y_train), X_cal, y_cal


# --------------------------------------------------------------------------
# The maps on arrays


@pytest.mark.parametrize("k", [2, 3, 5])
def test_vector_equals_independent_optimum(k):
    z, y, _ = affine(400, k, seed=k)
    fitted = fit_calibration_map(z, y, method="vector")

    def plain(theta):  # an independent objective, numerical gradient in BFGS
        return mean_nll(log_softmax(theta[:k] * z + theta[k:], axis=1), y)

    start = np.concatenate([np.ones(k), np.zeros(k)])
    reference = minimize(plain, start, method="BFGS", options={"gtol": 1e-9}).fun
    ours = map_loss(fitted, z, y)
    assert ours <= reference * (1 + 1e-8)
    assert ours == pytest.approx(reference, rel=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("data", ["tempered", "affine", "binary"])
def test_every_method_nests_temperature(data, seed):
    if data == "tempered":
        z, y = tempered(300, 4, seed=seed)
    elif data == "affine":
        z, y, _ = affine(300, 4, seed=seed)
    else:
        z, y, _ = affine(300, 2, seed=seed)
        z = z[:, 1] - z[:, 0]  # a binary decision function
    w = np.random.default_rng(seed).uniform(0.2, 2.0, size=len(y))
    logits = np.column_stack([np.zeros_like(z), z]) if z.ndim == 1 else z
    t = fit_temperature(z, y, w)
    temperature_loss = mean_nll(log_softmax(logits / t, axis=1), y, w)
    for method in METHODS:
        fitted = fit_calibration_map(z, y, w, method=method)
        assert fitted.temperature == pytest.approx(t, rel=1e-12)
        assert map_loss(fitted, logits, y, w) <= temperature_loss + 1e-12
        # The map used for predictions is the one its parameters describe.
        assert mean_nll(_map_log_proba(fitted, logits), y, w) == pytest.approx(
            map_loss(fitted, logits, y, w), rel=1e-12
        )


def test_matrix_recovers_oracle_test_loss():
    k = 4
    z, y, (A, c) = affine(40_000, k, seed=3)
    train, test = slice(0, 20_000), slice(20_000, None)
    fitted = fit_calibration_map(z[train], y[train], method="matrix")
    oracle = mean_nll(log_softmax(z[test] @ A.T + c, axis=1), y[test])
    ours = map_loss(fitted, z[test], y[test])
    assert ours <= 1.01 * oracle
    temperature = fit_calibration_map(z[train], y[train], method="temperature")
    assert map_loss(temperature, z[test], y[test]) > 1.01 * oracle  # not trivial


def test_auto_picks_temperature_when_data_are_scarce():
    z, y = tempered(60, 5, seed=4)
    fitted = fit_calibration_map(z, y, method="auto", random_state=0)
    assert fitted.method == "temperature"
    assert set(fitted.cv_scores) == {"temperature", "ets", "matrix"}


def test_auto_picks_matrix_when_affine_and_plentiful():
    z, y, _ = affine(6000, 4, seed=5)
    fitted = fit_calibration_map(z, y, method="auto", random_state=0)
    assert fitted.method == "matrix"
    assert fitted.cv_scores["matrix"] == min(fitted.cv_scores.values())


def test_auto_never_picks_the_diverging_vector_scaling():
    # Class 0 is separated from the others by its own logit on the
    # calibration data, but not everywhere: vector scaling's scale for it
    # runs away, and a test sample that breaks the separation costs dearly.
    rng = np.random.default_rng(12)
    k, n = 3, 400
    z = rng.normal(size=(n, k))
    y = rng.integers(1, k, size=n)
    y[:60] = 0
    z[:60, 0] = 4.0 + np.abs(rng.normal(size=60))
    z[60:, 0] = np.minimum(z[60:, 0], 3.5)
    vector = fit_calibration_map(z, y, method="vector")
    matrix = fit_calibration_map(z, y, method="matrix")
    assert vector.coef[0, 0] > 20 * matrix.coef[0, 0]  # diverged
    fitted = fit_calibration_map(z, y, method="auto", random_state=0)
    assert fitted.method != "vector" and "vector" not in fitted.cv_scores
    breaking = np.array([[3.9, 0.0, 0.0]])  # class 1, class 0's logit high
    assert mean_nll(_map_log_proba(vector, breaking), [1]) > 10 * mean_nll(
        _map_log_proba(fitted, breaking), [1]
    )


@pytest.mark.filterwarnings("ignore:The temperature ran to its low bound")
def test_auto_scores_are_sklearn_log_loss_out_of_fold():
    # Logits that separate the classes but for one mislabelled sample: the
    # folds without it are separable, their temperature runs to its bound,
    # and the held-out sample gets probability ~0. Its loss counts as
    # scikit-learn's log_loss counts it (clipped at -log(eps) = 36), and not
    # as the ~1e6 that would decide the choice alone.
    rng = np.random.default_rng(21)
    k, n = 3, 60
    y = np.repeat(np.arange(k), n // k)
    z = rng.normal(size=(n, k)) + 6.0 * np.eye(k)[y]
    y[0] = 1  # logits say class 0
    fitted = fit_calibration_map(z, y, method="auto", random_state=3)
    folds = StratifiedKFold(5, shuffle=True, random_state=3).split(z, y)
    log_proba = {m: np.empty((n, k)) for m in fitted.cv_scores}
    for train, test in folds:
        for method in fitted.cv_scores:
            fold_map = fit_calibration_map(z[train], y[train], method=method)
            log_proba[method][test] = _map_log_proba(fold_map, z[test])
    for method, score in fitted.cv_scores.items():
        expected = log_loss(y, np.exp(log_proba[method]))
        assert score == pytest.approx(expected, rel=1e-9)
    assert -log_proba["temperature"][0, 1] > 1e3  # unclipped
    assert fitted.cv_scores["temperature"] < 40 / n


def test_auto_is_seeded():
    z, y, _ = affine(300, 3, seed=6)
    a = fit_calibration_map(z, y, method="auto", random_state=1)
    b = fit_calibration_map(z, y, method="auto", random_state=1)
    assert a.cv_scores == b.cv_scores and a.method == b.method


def test_gradients_are_exact():
    rng = np.random.default_rng(7)
    k, n = 4, 200
    z = rng.normal(size=(n, k)) * 2
    y = rng.integers(0, k, size=n)
    w = rng.uniform(size=n)
    w /= w.sum()
    zt = np.ascontiguousarray(z.T)
    theta = rng.normal(size=2 * k)
    err = check_grad(
        lambda t: _vector_objective(t, zt, y, w)[0],
        lambda t: _vector_objective(t, zt, y, w)[1],
        theta,
    )
    assert err < 1e-6 * np.linalg.norm(_vector_objective(theta, zt, y, w)[1])
    theta = rng.normal(size=k * k + k) * 0.3
    err = check_grad(
        lambda t: _matrix_objective(t, zt, y, w, 0.1)[0],
        lambda t: _matrix_objective(t, zt, y, w, 0.1)[1],
        theta,
    )
    assert err < 1e-6 * np.linalg.norm(_matrix_objective(theta, zt, y, w, 0.1)[1])
    # The objectives are the plain log loss (plus the ridge).
    W, b = theta[: k * k].reshape(k, k), theta[k * k :]
    expected = mean_nll(log_softmax(z @ (np.eye(k) + W).T + b, axis=1), y, w)
    assert _matrix_objective(theta, zt, y, w, 0.1)[0] == pytest.approx(
        expected + 0.1 * np.sum(W**2), rel=1e-12
    )
    q = np.exp(_ets_components(z, 2.0)[:, np.arange(n), y]).T
    weights = np.array([0.5, 0.3, 0.2])
    assert (
        check_grad(
            lambda v: _ets_objective(v, q, w)[0],
            lambda v: _ets_objective(v, q, w)[1],
            weights,
        )
        < 1e-6
    )
    # Hessian: by differences of the exact gradient.
    eps = 1e-6
    numeric = np.column_stack(
        [
            (
                _ets_objective(weights + eps * e, q, w)[1]
                - _ets_objective(weights, q, w)[1]
            )
            / eps
            for e in np.eye(3)
        ]
    )
    np.testing.assert_allclose(_ets_objective(weights, q, w)[2], numeric, rtol=1e-4)


def test_ets_weights_on_simplex_and_optimal():
    z, y = tempered(500, 3, seed=8)
    fitted = fit_calibration_map(z, y, method="ets")
    assert np.all(fitted.ets_weights >= 0)
    assert fitted.ets_weights.sum() == pytest.approx(1.0)
    # Independent: a fine grid over the simplex does no better.
    best = np.inf
    for a in np.linspace(0, 1, 41):
        for b in np.linspace(0, 1 - a, max(2, int(round((1 - a) * 40)) + 1)):
            fitted.ets_weights = np.array([a, b, max(0.0, 1 - a - b)])
            best = min(best, map_loss(fitted, z, y))
    fitted = fit_calibration_map(z, y, method="ets")
    assert map_loss(fitted, z, y) <= best + 1e-12


def test_float32_logits():
    z, y, _ = affine(500, 3, seed=9)
    for method in METHODS:
        a = fit_calibration_map(z.astype(np.float32), y, method=method)
        b = fit_calibration_map(
            z.astype(np.float32).astype(np.float64), y, method=method
        )
        np.testing.assert_allclose(a.coef, b.coef, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", METHODS)
def test_sample_weight_equals_repeated_rows(method):
    z, y, _ = affine(200, 3, seed=10)
    counts = np.random.default_rng(10).integers(0, 4, size=len(y))
    weighted = fit_calibration_map(z, y, counts, method=method)
    repeated = fit_calibration_map(
        np.repeat(z, counts, axis=0), np.repeat(y, counts), method=method
    )
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        weighted.intercept, repeated.intercept, rtol=1e-5, atol=1e-7
    )
    if method == "ets":
        np.testing.assert_allclose(
            weighted.ets_weights, repeated.ets_weights, atol=1e-6
        )


def test_array_errors():
    z, y, _ = affine(50, 3, seed=11)
    bad = z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fit_calibration_map(bad, y, method="vector")
    with pytest.raises(ValueError, match="2 classes"):
        fit_calibration_map(z, np.zeros(50, dtype=int), method="matrix")


# --------------------------------------------------------------------------
# The classifier


@pytest.mark.parametrize("method", [*METHODS, "auto"])
def test_classifier_matches_the_array_fit(split3, method):
    nb, X, y = split3
    cal = CalibratedClassifier(nb, method=method, random_state=0).fit(X, y)
    logits = np.log(np.clip(nb.predict_proba(X), 1e-12, None))
    fitted = fit_calibration_map(logits, y, method=method, random_state=0)
    assert cal.method_ == fitted.method
    np.testing.assert_allclose(cal.coef_, fitted.coef)
    assert cal.log_loss_after_ == pytest.approx(map_loss(fitted, logits, y))
    assert cal.log_loss_before_ == pytest.approx(
        mean_nll(log_softmax(logits, axis=1), y)
    )
    proba = cal.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), cal.predict_log_proba(X), atol=1e-10)
    if cal.method_ == "temperature":
        np.testing.assert_array_equal(cal.predict(X), nb.predict(X))
    else:
        np.testing.assert_array_equal(cal.predict(X), nb.classes_[proba.argmax(1)])
    assert hasattr(cal, "cv_scores_") == (method == "auto")
    assert hasattr(cal, "ets_weights_") == (cal.method_ == "ets")
    assert cal.n_features_in_ == X.shape[1]


def test_binary_decision_function_is_platt_on_the_logit():
    X, y = make_classification(n_samples=800, random_state=1)
    svc = LinearSVC().fit(X[:400], y[:400])
    cal = CalibratedClassifier(svc, method="vector").fit(X[400:], y[400:])
    d = svc.decision_function(X[400:])
    slope = cal.coef_[1, 1] - cal.coef_[0, 1]
    offset = cal.intercept_[1] - cal.intercept_[0]
    np.testing.assert_allclose(
        cal.predict_proba(X[400:])[:, 1], 1 / (1 + np.exp(-(slope * d + offset)))
    )


def test_string_labels():
    X, y = make_classification(
        n_samples=600, n_classes=3, n_informative=5, random_state=2
    )
    labels = np.array(["cat", "dog", "emu"])[y]
    lr = LogisticRegression().fit(X[:300], labels[:300])
    for method in ["matrix", "auto"]:
        cal = CalibratedClassifier(lr, method=method, random_state=0).fit(
            X[300:], labels[300:]
        )
        assert set(cal.predict(X[300:])) <= set(labels)
        np.testing.assert_array_equal(cal.classes_, lr.classes_)


def test_not_prefit():
    X, y = make_classification(
        n_samples=400, n_classes=3, n_informative=5, random_state=3
    )
    cal = CalibratedClassifier(
        LogisticRegression(), method="vector", prefit=False, cv=3
    ).fit(X, y)
    assert cal.estimator_ is not cal.estimator
    assert cal.predict_proba(X).shape == (400, 3)


class _BrokenLogits(LogisticRegression):
    def decision_function(self, X):
        out = super().decision_function(X)
        out[0, 0] = np.inf
        return out


def test_errors(split3):
    nb, X, y = split3
    with pytest.raises(InvalidParameterError, match="method"):
        CalibratedClassifier(nb, method="beta").fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        CalibratedClassifier(GaussianNB()).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        CalibratedClassifier(nb).fit(X[y == 0], y[y == 0])
    with pytest.raises(ValueError, match="not trained on"):
        CalibratedClassifier(nb).fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="one label per sample"):
        CalibratedClassifier(nb).fit(X, y[:-1])
    broken = _BrokenLogits().fit(X, y)
    cal = CalibratedClassifier(broken, method="matrix")
    with pytest.raises(ValueError, match="non-finite"):
        cal.fit(X, y)
    with pytest.raises(NotFittedError):
        cal.predict(X)
    with pytest.raises(ValueError, match="prefit=False"):
        CalibratedClassifier().fit(X, y)


def test_refit_with_another_method_leaves_no_stale_attributes(split3):
    nb, X, y = split3
    cal = CalibratedClassifier(nb, method="auto", random_state=0).fit(X, y)
    cal.set_params(method="ets").fit(X, y)
    assert hasattr(cal, "ets_weights_")
    cal.set_params(method="vector").fit(X, y)
    assert not hasattr(cal, "cv_scores_") and not hasattr(cal, "ets_weights_")


def test_no_warnings_on_ordinary_data(split3):
    nb, X, y = split3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CalibratedClassifier(nb, method="auto", random_state=0).fit(X, y)


def test_composes_with_a_soup_and_a_stack(split3):
    nb, X, y = split3
    lr = LogisticRegression().fit(X[::2], y[::2])
    for member in (SoupClassifier([nb, lr]).fit(X, y), StackingMerger([nb, lr])):
        before = pickle.dumps(member)
        cal = CalibratedClassifier(member, method="ets")
        if isinstance(member, StackingMerger):
            member.fit(X, y)
            before = pickle.dumps(member)
        cal.fit(X, y)
        assert pickle.dumps(member) == before
        assert cal.log_loss_after_ <= cal.log_loss_before_ + 1e-12


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(20, 120),
    k=st.integers(2, 5),
    scale=st.floats(0.05, 20.0),
)
def test_property_every_method_at_most_temperature(seed, n, k, scale):
    rng = np.random.default_rng(seed)
    z = scale * rng.normal(size=(n, k))
    y = rng.integers(0, k, size=n)
    y[:2] = [0, 1]  # at least two classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # temperatures at their bounds
        t = fit_temperature(z, y)
        temperature_loss = mean_nll(log_softmax(z / t, axis=1), y)
        for method in ["ets", "vector", "matrix"]:
            fitted = fit_calibration_map(z, y, method=method)
            assert map_loss(fitted, z, y) <= temperature_loss + 1e-12


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(20, 400),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**16),
)
def test_matrix_newton_reaches_the_lbfgs_optimum(n, k, seed):
    # The small problems' Newton path and the large problems' L-BFGS path
    # minimise the same convex objective: the same loss, and the Hessian is
    # the gradient's derivative (central differences).
    rng = np.random.default_rng(seed)
    z = 3 * rng.normal(size=(n, k))
    y = np.arange(n) % k
    rng.shuffle(y)
    w = np.full(n, 1.0 / n)
    xt = np.ascontiguousarray(z.T)
    ridge = k * k / n
    newton = _matrix_newton(xt, y, w, ridge)
    lbfgs = _lbfgs(_matrix_objective, np.zeros(k * k + k), (xt, y, w, ridge))
    loss_newton, grad_newton = _matrix_objective(newton, xt, y, w, ridge)
    loss_lbfgs, _ = _matrix_objective(lbfgs, xt, y, w, ridge)
    assert loss_newton <= loss_lbfgs * (1 + 1e-12)
    assert np.abs(grad_newton[:-1]).max() < 1e-8
    theta = 0.1 * rng.normal(size=k * k + k)
    theta[-1] = 0.0
    H = _matrix_hessian(theta, xt, w, ridge)
    eps = 1e-6
    for j in range(k * k + k - 1):
        e = np.zeros(k * k + k)
        e[j] = eps
        column = _matrix_objective(theta + e, xt, y, w, ridge)[1]
        column -= _matrix_objective(theta - e, xt, y, w, ridge)[1]
        np.testing.assert_allclose(H[:, j], column[:-1] / (2 * eps), atol=1e-7)
