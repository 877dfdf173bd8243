# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""XGBoost, LightGBM and CatBoost classifiers and regressors as ordinary
members.

Each library's classifier is merged with a scikit-learn pipeline member on
load_breast_cancer (binary) and load_iris (multiclass), as numpy arrays and
as DataFrames, and every result is checked against a computation made here by
hand or by scikit-learn itself (VotingClassifier over FrozenEstimator members,
StackingClassifier given the same splits). A library that is not installed
skips its cases. Their regressors join a Ridge pipeline on load_diabetes,
checked against computations by hand, VotingRegressor and StackingRegressor.
Install them with ``pip install skmerge[test-members]``.
"""

import functools
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

from skmerge import (
    SoupClassifier,
    SoupRegressor,
    StackingMerger,
    StackingMergerRegressor,
    TemperatureCalibratedClassifier,
)

SKLEARN_HAS_TEMPERATURE = parse_version(sklearn.__version__) >= parse_version("1.8")

# log(predict_proba) is clipped here before it is pooled or scaled.
PROBA_CLIP = 1e-12
# sklearn.metrics.log_loss clips probabilities at machine epsilon.
EPS = np.finfo(np.float64).eps


# Members ------------------------------------------------------------------------------


def xgboost_member():
    xgboost = pytest.importorskip("xgboost", reason="XGBoost is not installed")
    return xgboost.XGBClassifier(
        n_estimators=8, max_depth=2, learning_rate=0.3, n_jobs=1, random_state=0
    )


def lightgbm_member():
    lightgbm = pytest.importorskip("lightgbm", reason="LightGBM is not installed")
    return lightgbm.LGBMClassifier(
        n_estimators=8,
        max_depth=2,
        num_leaves=4,
        min_child_samples=5,
        n_jobs=1,
        random_state=0,
        verbose=-1,
    )


def catboost_member():
    catboost = pytest.importorskip("catboost", reason="CatBoost is not installed")
    return catboost.CatBoostClassifier(
        iterations=8,
        depth=2,
        thread_count=1,
        random_seed=0,
        verbose=0,
        allow_writing_files=False,
    )


LIBRARIES = {
    "xgboost": xgboost_member,
    "lightgbm": lightgbm_member,
    "catboost": catboost_member,
}


def lr_member():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


# Data ---------------------------------------------------------------------------------

LOADERS = {"breast_cancer": load_breast_cancer, "iris": load_iris}
DATASETS = [
    ("breast_cancer", False),
    ("breast_cancer", True),
    ("iris", False),
    ("iris", True),
]


@functools.cache
def load(dataset, frame):
    """Train (members), held-out (fit of the merger) and test rows."""
    X, y = LOADERS[dataset](return_X_y=True, as_frame=frame)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=0.4, stratify=y, random_state=0
    )
    X_held, X_test, y_held, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=0
    )
    return X_train, y_train, X_held, y_held, X_test, y_test


def fresh_members(lib, dataset, frame):
    """The pipeline member and the library's member, fitted on the train rows."""
    X_train, y_train = load(dataset, frame)[:2]
    return [
        ("lr", lr_member().fit(X_train, y_train)),
        (lib, LIBRARIES[lib]().fit(X_train, y_train)),
    ]


# Shared between tests (skmerge never modifies them); a missing library raises
# the skip each time, as the cache keeps only results.
fitted_members = functools.cache(fresh_members)


def case_id(lib, dataset, frame):
    return f"{lib}-{dataset}-{'frame' if frame else 'array'}"


# Enough to see each library on a DataFrame and on a multiclass problem, for the
# slower tests.
SOME_DATASETS = (("breast_cancer", True), ("iris", False))


def cases(*, datasets=DATASETS):
    """(lib, dataset, frame) cases: each library on each data set."""
    return [
        pytest.param(lib, dataset, frame, id=case_id(lib, dataset, frame))
        for lib in LIBRARIES
        for dataset, frame in datasets
    ]


def extended(case, *values):
    """A case of :func:`cases` with more parameter values (and the same marks)."""
    suffix = "-".join(str(v) for v in values)
    return pytest.param(
        *case.values, *values, marks=case.marks, id=f"{case.id}-{suffix}"
    )


# Independent computations -------------------------------------------------------------


def member_probas(members, X):
    return [np.asarray(est.predict_proba(X), dtype=np.float64) for _, est in members]


def member_votes(members, X, classes):
    """One-hot votes of each member's predict, read as shape (n,)."""
    return [
        (np.ravel(est.predict(X))[:, None] == classes[None, :]).astype(np.float64)
        for _, est in members
    ]


def spaces_of(members, X, combine, classes):
    if combine == "vote":
        return member_votes(members, X, classes)
    probas = member_probas(members, X)
    if combine == "logit":
        return [np.log(np.clip(p, PROBA_CLIP, None)) for p in probas]
    return probas


def pooled_proba(spaces, weights, combine):
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    mean = sum(w * s for s, w in zip(spaces, weights) if w > 0)
    return softmax(mean, axis=1) if combine == "logit" else mean


def log_loss_by_hand(y_index, proba):
    p = np.clip(proba[np.arange(len(y_index)), y_index], EPS, 1 - EPS)
    return -np.mean(np.log(p))


def greedy_weights_by_hand(spaces, y_index, combine):
    """The greedy soup of two or more members, from its definition."""
    scores = [
        -log_loss_by_hand(y_index, pooled_proba([s], [1], combine)) for s in spaces
    ]
    order = np.argsort(-np.asarray(scores), kind="stable")
    chosen, best = [order[0]], scores[order[0]]
    for j in order[1:]:
        trial = chosen + [j]
        score = -log_loss_by_hand(
            y_index, pooled_proba([spaces[i] for i in trial], [1] * len(trial), combine)
        )
        if score > best:
            chosen, best = trial, score
    weights = np.zeros(len(spaces))
    weights[chosen] = 1 / len(chosen)
    return weights, scores


def check_probabilities(proba, n_classes, atol=1e-12):
    assert proba.shape[1] == n_classes
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)


def pickled(members):
    return [pickle.dumps(est) for _, est in members]


# Soups --------------------------------------------------------------------------------


def soup_cases():
    return [
        extended(case, combine, recipe)
        for combine in ("proba", "logit", "vote")
        for recipe in ("uniform", "greedy")
        for case in cases()
    ]


@pytest.mark.parametrize(("lib", "dataset", "frame", "combine", "recipe"), soup_cases())
def test_soup_matches_computation_by_hand(lib, dataset, frame, combine, recipe):
    members = fitted_members(lib, dataset, frame)
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    classes = np.unique(y_held)
    y_index = np.searchsorted(classes, np.asarray(y_held))

    soup = SoupClassifier(members, combine=combine, recipe=recipe).fit(X_held, y_held)

    held_spaces = spaces_of(members, X_held, combine, classes)
    if recipe == "uniform":
        weights = np.full(len(members), 1 / len(members))
    else:
        weights, scores = greedy_weights_by_hand(held_spaces, y_index, combine)
        np.testing.assert_allclose(soup.member_scores_, scores, rtol=1e-9)
    np.testing.assert_array_equal(soup.weights_, weights)

    test_spaces = spaces_of(members, X_test, combine, classes)
    expected = pooled_proba(test_spaces, weights, combine)
    proba = soup.predict_proba(X_test)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(soup.classes_, classes)
    predictions = soup.predict(X_test)
    assert predictions.shape == (len(expected),)
    np.testing.assert_array_equal(predictions, classes[np.argmax(expected, axis=1)])

    # Probabilities: within [0, 1], rows summing to 1 as exactly as the members'
    # own (XGBoost's are float32: its rows sum to 1 within about 1e-7).
    if combine == "proba":
        row_sums = [p.sum(axis=1) for p in member_probas(members, X_test)]
        check_probabilities(proba, len(classes), atol=1e-6)
        np.testing.assert_allclose(
            proba.sum(axis=1), np.average(row_sums, axis=0, weights=weights), atol=1e-12
        )
    else:
        check_probabilities(proba, len(classes))


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases())
@pytest.mark.parametrize("recipe", ["uniform", "greedy"])
def test_proba_soup_matches_voting_classifier(lib, dataset, frame, recipe):
    # scikit-learn's soft vote over the same fitted (frozen) members that the
    # recipe keeps, with its weights.
    members = fitted_members(lib, dataset, frame)
    X_train, y_train, X_held, y_held, X_test, _ = load(dataset, frame)
    soup = SoupClassifier(members, recipe=recipe).fit(X_held, y_held)
    kept = [(n, FrozenEstimator(e)) for (n, e), w in zip(members, soup.weights_) if w]
    voting = VotingClassifier(
        kept, voting="soft", weights=[w for w in soup.weights_ if w]
    ).fit(X_train, y_train)
    np.testing.assert_allclose(
        soup.predict_proba(X_test), voting.predict_proba(X_test), rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(soup.predict(X_test), voting.predict(X_test))


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases())
def test_vote_shares_sum_to_one(lib, dataset, frame):
    members = fitted_members(lib, dataset, frame)
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    # A third member, so that the weights are not powers of two.
    members = members + [("lr2", clone(members[0][1]).fit(*load(dataset, frame)[2:4]))]
    soup = SoupClassifier(members, combine="vote").fit(X_held, y_held)
    shares = soup.predict_proba(X_test)
    check_probabilities(shares, len(soup.classes_))
    expected = np.mean(member_votes(members, X_test, soup.classes_), axis=0)
    np.testing.assert_allclose(shares, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases(datasets=SOME_DATASETS))
def test_soup_prefit_false_matches_voting_classifier(lib, dataset, frame):
    X_train, y_train, _, _, X_test, _ = load(dataset, frame)
    members = [("lr", lr_member()), (lib, LIBRARIES[lib]())]
    soup = SoupClassifier(members, prefit=False).fit(X_train, y_train)
    voting = VotingClassifier(members, voting="soft").fit(X_train, y_train)
    np.testing.assert_allclose(
        soup.predict_proba(X_test), voting.predict_proba(X_test), rtol=0, atol=1e-12
    )
    for ours, theirs in zip(soup.estimators_, voting.estimators_, strict=True):
        np.testing.assert_array_equal(
            ours.predict_proba(X_test), theirs.predict_proba(X_test)
        )


# Stacking -----------------------------------------------------------------------------


def stacked_columns(probas):
    if probas[0].shape[1] == 2:
        return np.column_stack([p[:, 1] for p in probas])
    return np.column_stack(probas)


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases())
def test_stacking_prefit_matches_computation_by_hand(lib, dataset, frame):
    members = fitted_members(lib, dataset, frame)
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    merger = StackingMerger(members).fit(X_held, y_held)

    final = LogisticRegression().fit(
        stacked_columns(member_probas(members, X_held)), y_held
    )
    meta_test = stacked_columns(member_probas(members, X_test))
    proba = merger.predict_proba(X_test)
    np.testing.assert_allclose(
        proba, final.predict_proba(meta_test), rtol=0, atol=1e-10
    )
    np.testing.assert_array_equal(merger.predict(X_test), final.predict(meta_test))
    np.testing.assert_allclose(merger.transform(X_test), meta_test, rtol=0, atol=1e-12)
    check_probabilities(proba, len(merger.classes_))


@pytest.mark.parametrize(
    ("lib", "dataset", "frame"), cases(datasets=(DATASETS[0], *SOME_DATASETS))
)
def test_stacking_prefit_false_matches_stacking_classifier(lib, dataset, frame):
    X_train, y_train, _, _, X_test, _ = load(dataset, frame)
    members = [("lr", lr_member()), (lib, LIBRARIES[lib]())]
    # The same explicit splits for both.
    cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X_train, y_train))
    merger = StackingMerger(members, prefit=False, cv=cv).fit(X_train, y_train)
    theirs = StackingClassifier(members, cv=cv).fit(X_train, y_train)
    proba = merger.predict_proba(X_test)
    np.testing.assert_allclose(proba, theirs.predict_proba(X_test), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(merger.predict(X_test), theirs.predict(X_test))
    np.testing.assert_allclose(
        merger.final_estimator_.coef_, theirs.final_estimator_.coef_, atol=1e-10
    )
    check_probabilities(proba, len(merger.classes_))


# Temperature scaling ------------------------------------------------------------------


def nll_at(logits, y_index, temperature):
    return log_loss_by_hand(y_index, softmax(logits / temperature, axis=1))


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases())
def test_temperature_over_member_matches_computation_by_hand(lib, dataset, frame):
    member = fitted_members(lib, dataset, frame)[1][1]
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    calibrated = TemperatureCalibratedClassifier(member).fit(X_held, y_held)

    classes = np.asarray(member.classes_)
    y_index = np.searchsorted(classes, np.asarray(y_held))
    logits = np.log(
        np.clip(member_probas([(lib, member)], X_held)[0], PROBA_CLIP, None)
    )
    best = minimize_scalar(
        lambda u: nll_at(logits, y_index, np.exp(u)),
        bounds=(-6.0, 6.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert calibrated.temperature_ == pytest.approx(np.exp(best.x), rel=1e-4)
    assert nll_at(logits, y_index, calibrated.temperature_) <= best.fun * (1 + 1e-12)
    assert calibrated.log_loss_before_ == pytest.approx(nll_at(logits, y_index, 1.0))

    test_logits = np.log(
        np.clip(member_probas([(lib, member)], X_test)[0], PROBA_CLIP, None)
    )
    proba = calibrated.predict_proba(X_test)
    np.testing.assert_allclose(
        proba, softmax(test_logits / calibrated.temperature_, axis=1), atol=1e-12
    )
    check_probabilities(proba, len(classes))
    # Feature names as CalibratedClassifierCV records them (the member's own:
    # LightGBM's have underscores for spaces), or none.
    theirs = CalibratedClassifierCV(FrozenEstimator(member)).fit(
        X_held, np.asarray(y_held)
    )
    assert calibrated.n_features_in_ == theirs.n_features_in_
    if hasattr(theirs, "feature_names_in_"):
        np.testing.assert_array_equal(
            calibrated.feature_names_in_, theirs.feature_names_in_
        )
    else:
        assert not hasattr(calibrated, "feature_names_in_")


@pytest.mark.skipif(not SKLEARN_HAS_TEMPERATURE, reason="needs scikit-learn >= 1.8")
@pytest.mark.parametrize(("lib", "dataset", "frame"), cases(datasets=SOME_DATASETS))
def test_temperature_matches_calibrated_classifier_cv(lib, dataset, frame):
    member = fitted_members(lib, dataset, frame)[1][1]
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    ours = TemperatureCalibratedClassifier(member).fit(X_held, y_held)
    theirs = CalibratedClassifierCV(FrozenEstimator(member), method="temperature")
    # (a numpy y: scikit-learn 1.9 reads y[0], a label, from a Series)
    theirs.fit(X_held, np.asarray(y_held))
    y_index = np.searchsorted(ours.classes_, np.asarray(y_held))
    loss_ours = log_loss_by_hand(y_index, ours.predict_proba(X_held))
    loss_theirs = log_loss_by_hand(
        y_index, np.asarray(theirs.predict_proba(X_held), dtype=np.float64)
    )
    # XGBoost's probabilities are float32, and so is scikit-learn's fit of the
    # temperature on them: skmerge (float64) gets the lower loss and differs
    # from it by up to about 1e-4; the other libraries agree to 1e-6.
    assert loss_ours <= loss_theirs + 1e-12
    assert loss_ours == pytest.approx(loss_theirs, rel=1e-6)
    atol = 2e-4 if lib == "xgboost" else 1e-6
    np.testing.assert_allclose(
        ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=atol
    )


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases())
def test_temperature_predict_is_members_prediction(lib, dataset, frame):
    member = fitted_members(lib, dataset, frame)[1][1]
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    calibrated = TemperatureCalibratedClassifier(member).fit(X_held, y_held)
    predictions = calibrated.predict(X_test)
    assert predictions.shape == (X_test.shape[0],)
    np.testing.assert_array_equal(predictions, np.ravel(member.predict(X_test)))
    # Temperature never changes the argmax.
    np.testing.assert_array_equal(
        predictions, calibrated.classes_[np.argmax(calibrated.predict_proba(X_test), 1)]
    )


# Members are never modified; clones keep them -----------------------------------------


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases(datasets=SOME_DATASETS))
def test_members_never_modified(lib, dataset, frame):
    members = fresh_members(lib, dataset, frame)
    _, _, X_held, y_held, X_test, y_test = load(dataset, frame)
    before = pickled(members)
    merged = [
        SoupClassifier(members, combine="proba", recipe="greedy"),
        SoupClassifier(members, combine="logit"),
        SoupClassifier(members, combine="vote"),
        StackingMerger(members),
        TemperatureCalibratedClassifier(members[1][1]),
    ]
    for est in merged:
        est.fit(X_held, y_held)
        est.predict(X_test)
        est.predict_proba(X_test)
        est.score(X_test, y_test)
    assert pickled(members) == before
    # ...and they are the very members given, not copies.
    for est in merged[:-1]:
        for (_, given), fitted in zip(members, est.estimators_):
            assert fitted is given
    assert merged[-1].estimator_ is members[1][1]


def merged_estimators(members):
    return {
        "soup": SoupClassifier(members, recipe="greedy"),
        "stacking": StackingMerger(members),
        "temperature": TemperatureCalibratedClassifier(members[1][1]),
    }


@pytest.mark.parametrize(
    ("lib", "dataset", "frame", "kind"),
    [
        extended(case, kind)
        for kind in ("soup", "stacking", "temperature")
        for case in cases(datasets=SOME_DATASETS)
    ],
)
def test_clone_keeps_fitted_members(lib, dataset, frame, kind):
    members = fresh_members(lib, dataset, frame)
    _, _, X_held, y_held, X_test, _ = load(dataset, frame)
    before = pickled(members)
    est = merged_estimators(members)[kind].fit(X_held, y_held)

    copy = clone(est)
    if kind == "temperature":
        assert copy.estimator is members[1][1]
    else:
        assert all(a is b for (_, a), (_, b) in zip(copy.estimators, members))
    copy.fit(X_held, y_held)
    np.testing.assert_array_equal(copy.predict_proba(X_test), est.predict_proba(X_test))
    assert pickled(members) == before


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases(datasets=DATASETS[:1]))
def test_model_selection_over_prefit_members(lib, dataset, frame):
    # Model selection clones the merger for every split and candidate: the
    # clones keep the fitted members, and no member is refitted or modified.
    members = fresh_members(lib, dataset, frame)
    _, _, X_held, y_held, _, _ = load(dataset, frame)
    before = pickled(members)
    search = GridSearchCV(
        StackingMerger(members), {"final_estimator__C": [0.1, 1.0]}, cv=3
    ).fit(X_held, y_held)
    assert search.best_params_["final_estimator__C"] in (0.1, 1.0)
    assert search.best_estimator_.estimators_[1] is members[1][1]
    results = cross_validate(
        TemperatureCalibratedClassifier(members[1][1]), X_held, y_held, cv=3
    )
    assert np.all(results["test_score"] > 0.8)
    results = cross_validate(
        SoupClassifier(members, recipe="greedy"), X_held, y_held, cv=3
    )
    assert np.all(results["test_score"] > 0.8)
    assert pickled(members) == before


# Feature names of DataFrames ----------------------------------------------------------


@pytest.mark.parametrize("lightgbm_first", [True, False])
@pytest.mark.parametrize("kind", ["soup", "stacking"])
def test_lightgbm_among_dataframe_members_keeps_column_names(kind, lightgbm_first):
    members = fitted_members("lightgbm", "breast_cancer", True)
    if lightgbm_first:
        members = members[::-1]
    _, _, X_held, y_held, X_test, _ = load("breast_cancer", True)
    est = (SoupClassifier if kind == "soup" else StackingMerger)(members)
    est.fit(X_held, y_held)
    np.testing.assert_array_equal(est.feature_names_in_, X_held.columns)
    assert est.n_features_in_ == X_held.shape[1]
    if kind == "soup":
        expected = np.mean(member_probas(members, X_test), axis=0)
    else:
        final = LogisticRegression().fit(
            stacked_columns(member_probas(members, X_held)), y_held
        )
        expected = final.predict_proba(stacked_columns(member_probas(members, X_test)))
    np.testing.assert_allclose(est.predict_proba(X_test), expected, atol=1e-10)


@pytest.mark.parametrize(
    ("reordered", "other"),
    [("lightgbm", "lr"), ("lr", "lightgbm"), ("lightgbm", "lightgbm"), ("lr", "lr")],
)
@pytest.mark.parametrize("kind", ["soup", "stacking"])
def test_member_on_reordered_columns_is_refused(kind, reordered, other):
    makers = {"lightgbm": LIBRARIES["lightgbm"], "lr": lr_member}
    X_train, y_train, X_held, y_held, _, _ = load("breast_cancer", True)
    shuffled = X_train[X_train.columns[::-1]]
    members = [
        ("original", makers[other]().fit(X_train, y_train)),
        ("reordered", makers[reordered]().fit(shuffled, y_train)),
    ]
    before = pickled(members)
    est = (SoupClassifier if kind == "soup" else StackingMerger)(members)
    with pytest.raises(ValueError, match="feature"):
        est.fit(X_held, y_held)
    assert not hasattr(est, "classes_")
    assert pickled(members) == before


@pytest.mark.parametrize(("lib", "dataset", "frame"), cases(datasets=DATASETS[1::2]))
def test_dataframe_soup_keeps_column_names(lib, dataset, frame):
    members = fitted_members(lib, dataset, frame)
    _, _, X_held, y_held, _, _ = load(dataset, frame)
    with warnings.catch_warnings():
        # A DataFrame with the members' feature names: no warning from them.
        warnings.simplefilter("error", UserWarning)
        soup = SoupClassifier(members).fit(X_held, y_held)
        soup.predict_proba(X_held)
    np.testing.assert_array_equal(soup.feature_names_in_, X_held.columns)


# Regressors ------------------------------------------------------------------------


def _regressor(lib):
    if lib == "xgboost":
        xgboost = pytest.importorskip("xgboost", reason="XGBoost is not installed")
        return xgboost.XGBRegressor(
            n_estimators=20, max_depth=2, learning_rate=0.3, n_jobs=1, random_state=0
        )
    if lib == "lightgbm":
        lightgbm = pytest.importorskip("lightgbm", reason="LightGBM is not installed")
        return lightgbm.LGBMRegressor(
            n_estimators=20,
            max_depth=2,
            num_leaves=4,
            min_child_samples=5,
            n_jobs=1,
            random_state=0,
            verbose=-1,
        )
    catboost = pytest.importorskip("catboost", reason="CatBoost is not installed")
    return catboost.CatBoostRegressor(
        iterations=20,
        depth=2,
        thread_count=1,
        random_seed=0,
        verbose=0,
        allow_writing_files=False,
    )


@functools.cache
def load_regression(frame):
    """Diabetes: train (members), held-out (fit of the merger) and test rows."""
    X, y = load_diabetes(return_X_y=True, as_frame=frame)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=0.4, random_state=0
    )
    X_held, X_test, y_held, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, random_state=0
    )
    return X_train, y_train, X_held, y_held, X_test, y_test


@functools.cache
def fitted_regressors(lib, frame):
    X_train, y_train = load_regression(frame)[:2]
    return [
        ("ridge", make_pipeline(StandardScaler(), Ridge()).fit(X_train, y_train)),
        (lib, _regressor(lib).fit(X_train, y_train)),
    ]


def regression_cases():
    return [
        pytest.param(lib, frame, id=f"{lib}-{'frame' if frame else 'array'}")
        for lib in LIBRARIES
        for frame in (False, True)
    ]


@pytest.mark.parametrize(("lib", "frame"), regression_cases())
@pytest.mark.parametrize("combine", ["mean", "median"])
@pytest.mark.parametrize("recipe", ["uniform", "greedy", "optimized"])
def test_regressor_soup_matches_computation_by_hand(lib, frame, combine, recipe):
    members = fitted_regressors(lib, frame)
    _, _, X_held, y_held, X_test, _ = load_regression(frame)
    before = pickled(members)
    soup = SoupRegressor(members, combine=combine, recipe=recipe).fit(X_held, y_held)
    assert pickled(members) == before

    held = np.column_stack([np.ravel(est.predict(X_held)) for _, est in members])
    test = np.column_stack([np.ravel(est.predict(X_test)) for _, est in members])
    rmse = [np.sqrt(np.mean((held[:, j] - np.asarray(y_held)) ** 2)) for j in (0, 1)]
    np.testing.assert_allclose(soup.member_scores_, -np.asarray(rmse), rtol=1e-9)
    if recipe == "optimized" and combine == "mean":
        # Two members: the best mixture on the segment, in closed form.
        d = held[:, 0] - held[:, 1]
        t = np.clip(np.dot(np.asarray(y_held) - held[:, 1], d) / np.dot(d, d), 0, 1)
        np.testing.assert_allclose(soup.weights_, [t, 1 - t], atol=1e-9)
    weights = soup.weights_
    # Two members: the weighted median is the heavier one's prediction, or
    # the midpoint at equal weights, i.e. the weighted mean.
    if combine == "median" and weights[0] != weights[1]:
        expected = test[:, int(np.argmax(weights))]
    else:
        expected = test @ weights
    np.testing.assert_allclose(soup.predict(X_test), expected, rtol=1e-9)


@pytest.mark.parametrize(("lib", "frame"), regression_cases())
def test_regressor_soup_prefit_false_matches_voting_regressor(lib, frame):
    X_train, y_train, _, _, X_test, _ = load_regression(frame)
    members = [("ridge", Ridge()), (lib, _regressor(lib))]
    soup = SoupRegressor(members, weights=[1, 3], prefit=False).fit(X_train, y_train)
    voting = VotingRegressor(members, weights=[1, 3]).fit(X_train, y_train)
    np.testing.assert_allclose(soup.predict(X_test), voting.predict(X_test), rtol=1e-9)


@pytest.mark.parametrize(("lib", "frame"), regression_cases())
def test_stacking_regressor_matches_computation_by_hand(lib, frame):
    members = fitted_regressors(lib, frame)
    _, _, X_held, y_held, X_test, _ = load_regression(frame)
    stack = StackingMergerRegressor(members).fit(X_held, y_held)
    held = np.column_stack([np.ravel(est.predict(X_held)) for _, est in members])
    test = np.column_stack([np.ravel(est.predict(X_test)) for _, est in members])
    final = RidgeCV().fit(held, y_held)
    np.testing.assert_allclose(stack.predict(X_test), final.predict(test), rtol=1e-9)
    assert stack.merged_estimator_ is None  # a boosted member is not linear


@pytest.mark.parametrize(("lib", "frame"), regression_cases())
def test_stacking_regressor_prefit_false_matches_stacking_regressor(lib, frame):
    X_train, y_train, _, _, X_test, _ = load_regression(frame)
    members = [("ridge", Ridge()), (lib, _regressor(lib))]
    ours = StackingMergerRegressor(members, prefit=False, cv=3).fit(X_train, y_train)
    theirs = StackingRegressor(members, cv=KFold(3)).fit(X_train, y_train)
    np.testing.assert_allclose(ours.predict(X_test), theirs.predict(X_test), rtol=1e-9)
