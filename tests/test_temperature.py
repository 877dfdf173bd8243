# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of fit_temperature and TemperatureCalibratedClassifier.

The properties every estimator has (members never modified, clone, searches,
chunked prediction, determinism, persistence) are tested in
``test_properties.py``, scikit-learn's estimator checks in ``test_common.py``.
"""

import warnings

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    KFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.fixes import parse_version

from skmerge import TemperatureCalibratedClassifier, fit_temperature
from skmerge._temperature import _fit_temperature

SKLEARN_HAS_TEMPERATURE = parse_version(sklearn.__version__) >= parse_version("1.8")


def nll(logits, y, temperature, w=None):
    """Independent log loss of softmax(logits / T), with scipy."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        logits = np.column_stack([np.zeros_like(logits), logits])
    losses = -log_softmax(logits / temperature, axis=1)[np.arange(len(y)), y]
    return np.average(losses, weights=w)


def grid_optimum(logits, y, w=None):
    """Brute force: nested grids in log T, each around the previous best."""
    best, half_width = 0.0, np.log(1e3)
    for points in (61, 61, 101, 41):
        grid = best + np.linspace(-half_width, half_width, points)
        best = grid[np.argmin([nll(logits, y, np.exp(t), w) for t in grid])]
        half_width = 2 * half_width / (points - 1)
    return float(np.exp(best))


def overconfident_logits(n, k, scale=4.0, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    return (scale * logits).astype(dtype), y


@pytest.fixture(scope="module")
def digits_split():
    X, y = make_classification(
        n_samples=600, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


# --------------------------------------------------------------------------
# fit_temperature: the optimum


@pytest.mark.parametrize(
    "n, k, scale, seed",
    [(200, 2, 3.0, 0), (500, 3, 4.0, 1), (2000, 10, 0.3, 2), (17_000, 3, 6.0, 3)],
)
def test_fit_temperature_matches_brute_force(n, k, scale, seed):
    logits, y = overconfident_logits(n, k, scale, seed)
    temperature = fit_temperature(logits, y)
    t_grid = grid_optimum(logits, y)
    assert temperature == pytest.approx(t_grid, rel=5e-5)
    assert nll(logits, y, temperature) <= nll(logits, y, t_grid) * (1 + 1e-12)


def test_fit_temperature_sample_weight_equals_repetition():
    logits, y = overconfident_logits(300, 4, seed=5)
    w = np.random.default_rng(0).integers(0, 4, size=300)
    weighted = fit_temperature(logits, y, sample_weight=w)
    repeated = fit_temperature(np.repeat(logits, w, axis=0), np.repeat(y, w))
    assert weighted == pytest.approx(repeated, rel=1e-9)
    assert weighted == pytest.approx(grid_optimum(logits, y, w), rel=5e-5)


def test_fit_temperature_binary_1d_means_zero_and_z():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=400)
    z = 5 * (rng.normal(size=400) + (2 * y - 1))
    two_columns = np.column_stack([np.zeros(400), z])
    assert fit_temperature(z, y) == pytest.approx(
        fit_temperature(two_columns, y), rel=1e-12
    )
    assert fit_temperature(z, y) == pytest.approx(grid_optimum(z, y), rel=5e-5)


def test_fit_temperature_float32_and_huge_logits():
    logits, y = overconfident_logits(3000, 6, scale=4.0, seed=7)
    t64 = fit_temperature(logits, y)
    t32 = fit_temperature(logits.astype(np.float32), y)
    assert t32 == pytest.approx(t64, rel=1e-6)
    # Logits of size 1e4: same optimum, scaled.
    big = logits * 2500.0
    assert np.abs(big).max() > 1e4
    assert fit_temperature(big, y) == pytest.approx(2500.0 * t64, rel=1e-8)


def test_fit_temperature_exact_zero_probabilities():
    # log(clip(p)) of one-hot-ish probabilities: many logits at log(1e-12).
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=500)
    proba = np.full((500, 3), 0.0)
    pred = np.where(rng.random(500) < 0.8, y, (y + 1) % 3)
    proba[np.arange(500), pred] = 1.0
    logits = np.log(np.clip(proba, 1e-12, None))
    temperature = fit_temperature(logits, y)
    assert np.isfinite(temperature) and temperature > 1
    assert temperature == pytest.approx(grid_optimum(logits, y), rel=5e-5)


def test_fit_temperature_pass_count_on_large_input():
    logits, y = overconfident_logits(100_000, 20, seed=3)
    temperature, info = _fit_temperature(logits, y)
    assert info.status == "converged"
    assert info.n_passes <= 5
    assert info.passes_float64 >= 1  # convergence is decided in float64
    assert nll(logits, y, temperature) <= nll(logits, y, temperature * (1 + 1e-6))
    assert nll(logits, y, temperature) <= nll(logits, y, temperature * (1 - 1e-6))


def test_fit_temperature_separable_warns_at_bound():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=200)
    logits = rng.normal(size=(200, 3))
    logits[np.arange(200), y] += 10.0  # every label ranked first
    with pytest.warns(UserWarning, match="separable"):
        temperature, info = _fit_temperature(logits, y)
    assert np.isfinite(temperature) and 0 < temperature <= 1e-5
    assert info.status == "low" and info.n_iter < 30


def test_fit_temperature_uninformative_warns_at_high_bound():
    y = np.array([0, 1] * 50)
    logits = np.column_stack([np.zeros(100), np.where(y == 1, -1.0, 1.0)])
    with pytest.warns(UserWarning, match="high bound.*no better than chance"):
        temperature = fit_temperature(logits, y)
    assert np.isfinite(temperature) and temperature >= 1e5


def test_fit_temperature_constant_logits_is_one():
    y = np.array([0, 1, 2] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_temperature(np.ones((30, 3)), y) == 1.0


@pytest.mark.skipif(not SKLEARN_HAS_TEMPERATURE, reason="needs scikit-learn >= 1.8")
@pytest.mark.parametrize(
    "n, k, seed", [(300, 2, 0), (1000, 3, 1), (5000, 10, 2), (40_000, 4, 3)]
)
def test_fit_temperature_matches_scikit_learn(n, k, seed):
    from sklearn.calibration import _TemperatureScaling

    logits, y = overconfident_logits(n, k, seed=seed)
    w = np.random.default_rng(seed).random(n)
    for weights in (None, w):
        ours = fit_temperature(logits, y, sample_weight=weights)
        theirs = 1.0 / float(_TemperatureScaling().fit(logits, y, weights).beta_)
        nll_ours, nll_theirs = (
            nll(logits, y, ours, weights),
            nll(logits, y, theirs, weights),
        )
        assert nll_ours == pytest.approx(nll_theirs, rel=1e-10)
        assert nll_ours <= nll_theirs * (1 + 1e-14)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 120),
    k=st.integers(2, 6),
    scale=st.floats(0.01, 50.0),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_fit_temperature_is_a_local_optimum_or_at_a_bound(n, k, scale, seed, dtype):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    y[:2] = [0, 1]
    logits = (scale * rng.normal(size=(n, k))).astype(dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        temperature, info = _fit_temperature(logits, y)
    assert np.isfinite(temperature) and 1e-6 * 0.999 <= temperature <= 1e6 * 1.001
    if info.status in ("low", "high"):
        assert any("bound" in str(w.message) for w in caught)
        return
    assert info.status == "converged"
    here = nll(logits, y, temperature)
    for factor in (1 - 1e-4, 1 + 1e-4):
        assert here <= nll(logits, y, temperature * factor) + 1e-13 * abs(here)


@pytest.mark.parametrize(
    "logits, y, weights, match",
    [
        ([[0.0, np.nan], [1.0, 0.0]], [0, 1], None, "must be finite"),
        ([[0.0, np.inf], [1.0, 0.0]], [0, 1], None, "must be finite"),
        ([[0.0, 1.0], [1.0, 0.0]], [1, 1], None, "at least 2 classes"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, 2], None, r"column indices in \[0, 1\]"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, 1, 1], None, "one label per row"),
        ([[0.0, 1.0], [1.0, 0.0]], ["a", "b"], None, "integer column indices"),
        ([[0.0, 1.0], [1.0, 0.0]], [0.5, 1.0], None, "integer column indices"),
        ([[0.0], [1.0]], [0, 1], None, "n_classes >= 2"),
        (np.zeros((2, 2, 2)), [0, 1], None, "n_classes >= 2"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, 1], [-1.0, 2.0], "non-negative"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, 1], [0.0, 0.0], "all zero"),
    ],
)
def test_fit_temperature_errors(logits, y, weights, match):
    with pytest.raises(ValueError, match=match):
        fit_temperature(np.asarray(logits, dtype=float), y, sample_weight=weights)


# --------------------------------------------------------------------------
# TemperatureCalibratedClassifier


@pytest.fixture(scope="module")
def fitted_models(digits_split):
    X_train, _, y_train, _ = digits_split
    return {
        "lr": LogisticRegression(C=100.0, max_iter=1000).fit(X_train, y_train),
        "nb": GaussianNB().fit(X_train, y_train),
        "svc": LinearSVC(C=10.0).fit(X_train, y_train),
    }


@pytest.mark.parametrize(
    "name, method",
    [
        ("lr", "decision_function"),
        ("nb", "predict_proba"),
        ("svc", "decision_function"),
    ],
)
def test_classifier_against_hand_computation(fitted_models, digits_split, name, method):
    _, X_cal, _, y_cal = digits_split
    member = fitted_models[name]
    calibrated = TemperatureCalibratedClassifier(member).fit(X_cal, y_cal)
    assert calibrated.response_ == method
    raw = getattr(member, method)(X_cal)
    logits = raw if method == "decision_function" else np.log(np.clip(raw, 1e-12, None))
    temperature = fit_temperature(logits, np.searchsorted(member.classes_, y_cal))
    assert calibrated.temperature_ == temperature
    np.testing.assert_allclose(
        calibrated.predict_proba(X_cal),
        softmax(logits / temperature, axis=1),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        calibrated.predict_log_proba(X_cal),
        log_softmax(logits / temperature, axis=1),
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_array_equal(calibrated.predict(X_cal), member.predict(X_cal))
    assert calibrated.log_loss_before_ == pytest.approx(
        log_loss(y_cal, softmax(logits, axis=1)), rel=1e-9
    )
    assert calibrated.log_loss_after_ == pytest.approx(
        log_loss(y_cal, calibrated.predict_proba(X_cal)), rel=1e-9
    )
    assert calibrated.log_loss_after_ <= calibrated.log_loss_before_


def test_binary_decision_function_is_sigmoid_of_z_over_t():
    X, y = make_classification(n_samples=300, random_state=1)
    svc = LinearSVC(C=5.0).fit(X[:150], y[:150])
    calibrated = TemperatureCalibratedClassifier(svc).fit(X[150:], y[150:])
    z = svc.decision_function(X[150:])
    expected = 1.0 / (1.0 + np.exp(-z / calibrated.temperature_))
    np.testing.assert_allclose(
        calibrated.predict_proba(X[150:])[:, 1], expected, rtol=1e-12
    )
    assert calibrated.temperature_ == pytest.approx(fit_temperature(z, y[150:]))


@pytest.mark.skipif(not SKLEARN_HAS_TEMPERATURE, reason="needs scikit-learn >= 1.8")
@pytest.mark.parametrize("name", ["lr", "nb", "svc"])
def test_classifier_matches_calibrated_classifier_cv(fitted_models, digits_split, name):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    _, X_cal, _, y_cal = digits_split
    member = fitted_models[name]
    ours = TemperatureCalibratedClassifier(member).fit(X_cal, y_cal)
    theirs = CalibratedClassifierCV(FrozenEstimator(member), method="temperature")
    theirs.fit(X_cal, y_cal)
    loss_ours = log_loss(y_cal, ours.predict_proba(X_cal))
    loss_theirs = log_loss(y_cal, theirs.predict_proba(X_cal))
    assert loss_ours == pytest.approx(loss_theirs, rel=1e-10)
    np.testing.assert_allclose(
        ours.predict_proba(X_cal), theirs.predict_proba(X_cal), atol=1e-6
    )


def test_string_labels_and_sample_weight(digits_split, fitted_models):
    X_train, X_cal, y_train, y_cal = digits_split
    names = np.array(["ant", "bee", "cat"])
    member = LogisticRegression(C=100.0, max_iter=1000).fit(X_train, names[y_train])
    w = np.random.default_rng(0).random(len(y_cal))
    calibrated = TemperatureCalibratedClassifier(member).fit(
        X_cal, names[y_cal], sample_weight=w
    )
    assert list(calibrated.classes_) == ["ant", "bee", "cat"]
    logits = member.decision_function(X_cal)
    assert calibrated.temperature_ == pytest.approx(
        grid_optimum(logits, y_cal, w), rel=5e-5
    )
    np.testing.assert_array_equal(calibrated.predict(X_cal), member.predict(X_cal))
    assert calibrated.score(X_cal, names[y_cal]) == member.score(X_cal, names[y_cal])


def test_fixed_temperature(fitted_models, digits_split):
    _, X_cal, _, y_cal = digits_split
    member = fitted_models["lr"]
    calibrated = TemperatureCalibratedClassifier(member, temperature=2.5).fit(
        X_cal, y_cal
    )
    assert calibrated.temperature_ == 2.5
    np.testing.assert_allclose(
        calibrated.predict_proba(X_cal),
        softmax(member.decision_function(X_cal) / 2.5, axis=1),
        rtol=1e-12,
    )


def test_response_forced(fitted_models, digits_split):
    _, X_cal, _, y_cal = digits_split
    forced = TemperatureCalibratedClassifier(
        fitted_models["lr"], response="predict_proba"
    )
    forced.fit(X_cal, y_cal)
    assert forced.response_ == "predict_proba"
    logits = np.log(fitted_models["lr"].predict_proba(X_cal))
    assert forced.temperature_ == pytest.approx(
        fit_temperature(logits, y_cal), rel=1e-12
    )
    with pytest.raises(
        ValueError, match=r"'estimator' \(GaussianNB\) has no `decision_function`"
    ):
        TemperatureCalibratedClassifier(
            fitted_models["nb"], response="decision_function"
        ).fit(X_cal, y_cal)


def test_prefit_false_uses_out_of_fold_logits(digits_split):
    X_train, _, y_train, _ = digits_split
    cv = KFold(3, shuffle=True, random_state=0)
    lr = LogisticRegression(C=100.0, max_iter=1000)
    calibrated = TemperatureCalibratedClassifier(lr, prefit=False, cv=cv).fit(
        X_train, y_train
    )
    oof = cross_val_predict(lr, X_train, y_train, cv=cv, method="decision_function")
    assert calibrated.temperature_ == pytest.approx(
        fit_temperature(oof, y_train), rel=1e-12
    )
    refit = clone(lr).fit(X_train, y_train)
    np.testing.assert_allclose(calibrated.estimator_.coef_, refit.coef_)


def test_dataframe_records_feature_names(digits_split):
    pd = pytest.importorskip("pandas")
    X_train, X_cal, y_train, y_cal = digits_split
    columns = [f"f{i}" for i in range(X_train.shape[1])]
    member = LogisticRegression(max_iter=1000).fit(
        pd.DataFrame(X_train, columns=columns), y_train
    )
    calibrated = TemperatureCalibratedClassifier(member).fit(
        pd.DataFrame(X_cal, columns=columns), y_cal
    )
    assert list(calibrated.feature_names_in_) == columns
    assert calibrated.n_features_in_ == len(columns)


def test_errors_before_any_work(fitted_models, digits_split):
    X_train, X_cal, y_train, y_cal = digits_split
    with pytest.raises(
        NotFittedError,
        match=r"'estimator' \(LogisticRegression\) is not fitted.*prefit=False",
    ):
        TemperatureCalibratedClassifier(LogisticRegression()).fit(X_cal, y_cal)
    with pytest.raises(
        ValueError, match="labels the members were not trained on: \\[7\\]"
    ):
        TemperatureCalibratedClassifier(fitted_models["lr"]).fit(X_cal[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="at least 2 classes"):
        TemperatureCalibratedClassifier(fitted_models["lr"]).fit(X_cal[:3], [1, 1, 1])
    with pytest.raises(ValueError, match="one label per sample"):
        TemperatureCalibratedClassifier(fitted_models["lr"]).fit(X_cal, y_cal[:-1])
    with pytest.raises(InvalidParameterError, match="temperature"):
        TemperatureCalibratedClassifier(fitted_models["lr"], temperature=0.0).fit(
            X_cal, y_cal
        )
    with pytest.raises(InvalidParameterError, match="temperature"):
        TemperatureCalibratedClassifier(fitted_models["lr"], temperature=-1).fit(
            X_cal, y_cal
        )
    with pytest.raises(ValueError, match="prefit=True, `estimator` must be a fitted"):
        TemperatureCalibratedClassifier().fit(X_cal, y_cal)
    # A failed fit leaves the estimator unfitted.
    calibrated = TemperatureCalibratedClassifier(fitted_models["lr"])
    with pytest.raises(ValueError):
        calibrated.fit(X_cal[:3], [1, 1, 1])
    with pytest.raises(NotFittedError):
        calibrated.predict_proba(X_cal)


def test_estimator_prefit_nonfinite_logits_error(digits_split):
    _, X_cal, _, y_cal = digits_split

    class BrokenLR(LogisticRegression):
        def decision_function(self, X):
            out = super().decision_function(X)
            out[0, 0] = np.nan
            return out

    member = BrokenLR(max_iter=1000).fit(X_cal, y_cal)
    with pytest.raises(ValueError, match="must be finite"):
        TemperatureCalibratedClassifier(member).fit(X_cal, y_cal)


def test_naive_bayes_on_digits_is_softened():
    X, y = load_digits(return_X_y=True)
    X_train, X_cal, y_train, y_cal = train_test_split(X, y, random_state=0, stratify=y)
    member = GaussianNB().fit(X_train, y_train)
    calibrated = TemperatureCalibratedClassifier(member).fit(X_cal, y_cal)
    assert calibrated.response_ == "predict_proba"
    assert calibrated.temperature_ > 1  # naive Bayes is over-confident
    assert calibrated.log_loss_after_ < 0.5 * calibrated.log_loss_before_
    np.testing.assert_allclose(calibrated.predict_proba(X_cal).sum(axis=1), 1.0)
