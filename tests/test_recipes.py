# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the pooling rules, the held-out scores and the weight recipes."""

import itertools

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import check_grad
from scipy.special import softmax as scipy_softmax
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)
from sklearn.utils.fixes import parse_version

from skmerge._recipes import (
    ModelSoups,
    OutputSoups,
    Scorer,
    ensemble_selection_recipe,
    greedy_recipe,
    link_proba,
    member_proba,
    optimized_recipe,
    pool,
    proba_to_logits,
    to_pool_space,
    uniform_recipe,
)
from skmerge._weight_space import average_estimators

# Data ---------------------------------------------------------------------------


def _random_probas(rng, n_members, n, k, concentration=1.0):
    return np.stack(
        [rng.dirichlet(np.full(k, concentration), size=n) for _ in range(n_members)]
    )


@pytest.fixture(scope="module")
def held_out():
    """Members' probabilities that carry signal about y, and y."""
    rng = np.random.default_rng(0)
    n, k, m = 300, 3, 4
    y = rng.integers(0, k, size=n)
    probas = []
    for j in range(m):
        logits = rng.normal(size=(n, k))
        logits[np.arange(n), y] += 0.5 + 0.5 * j
        probas.append(scipy_softmax((1.0 + j) * logits, axis=1))
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    return np.stack(probas), y, sample_weight


def _scorer(y, k, scoring="neg_log_loss", sample_weight=None):
    return Scorer(scoring, np.arange(k), y, sample_weight)


# Links and pooling -------------------------------------------------------------


finite_logits = arrays(
    np.float64,
    st.tuples(st.integers(1, 20), st.integers(2, 6)),
    elements=st.floats(-1e4, 1e4),
)


def probas_strategy(min_prob=0.0):
    @st.composite
    def draw(draw_):
        m = draw_(st.integers(1, 4))
        n = draw_(st.integers(1, 15))
        k = draw_(st.integers(2, 5))
        raw = draw_(arrays(np.float64, (m, n, k), elements=st.floats(min_prob, 1.0)))
        raw = raw + 1e-3  # no all-zero row
        probas = raw / raw.sum(axis=2, keepdims=True)
        weights = draw_(arrays(np.float64, (m,), elements=st.floats(0.0, 10.0)))
        weights[draw_(st.integers(0, m - 1))] += 0.5  # not all zero
        return probas, weights

    return draw()


@settings(max_examples=60, deadline=None)
@given(probas_strategy())
def test_proba_pool_is_a_weighted_mean_with_rows_summing_to_one(case):
    probas, weights = case
    mean = pool(list(probas), weights)
    np.testing.assert_allclose(mean, np.average(probas, axis=0, weights=weights))
    assert np.all(np.isfinite(mean))
    np.testing.assert_allclose(mean.sum(axis=1), 1.0)


@settings(max_examples=60, deadline=None)
@given(probas_strategy())
def test_logit_pool_is_a_normalised_weighted_geometric_mean(case):
    probas, weights = case
    spaces = [
        to_pool_space(
            p, "predict_proba", np.arange(p.shape[1]), np.arange(p.shape[1]), "logit"
        )
        for p in probas
    ]
    proba = link_proba(pool(spaces, weights), "softmax")
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    w = weights / weights.sum()
    geometric = np.prod(np.clip(probas, 1e-12, None) ** w[:, None, None], axis=0)
    np.testing.assert_allclose(proba, geometric / geometric.sum(axis=1, keepdims=True))


@settings(max_examples=60, deadline=None)
@given(probas_strategy(min_prob=1e-6), st.integers(1, 5))
def test_logit_pool_of_identical_members_is_the_member(case, copies):
    probas, _ = case
    member = probas[0]
    classes = np.arange(member.shape[1])
    spaces = [
        to_pool_space(member, "predict_proba", classes, classes, "logit")
    ] * copies
    proba = link_proba(pool(spaces, np.arange(1.0, copies + 1)), "softmax")
    np.testing.assert_allclose(proba, member, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(finite_logits, st.integers(1, 4))
def test_logit_pool_of_identical_decision_functions_is_their_softmax(z, copies):
    classes = np.arange(z.shape[1])
    spaces = [to_pool_space(z, "decision_function", classes, classes, "logit")] * copies
    proba = link_proba(pool(spaces, np.ones(copies)), "softmax")
    np.testing.assert_allclose(proba, scipy_softmax(z, axis=1), rtol=1e-9, atol=1e-300)


def test_to_pool_space_layouts():
    classes = np.array(["a", "b", "c"])
    proba = np.array([[0.2, 0.3, 0.5]])
    # member classes in another order: columns follow the soup's classes
    out = to_pool_space(proba, "predict_proba", ["c", "a", "b"], classes, "proba")
    np.testing.assert_array_equal(out, [[0.3, 0.5, 0.2]])
    logit = to_pool_space(proba, "predict_proba", classes, classes, "logit")
    np.testing.assert_allclose(logit, np.log(proba))
    assert to_pool_space(
        np.array([[1.0, 0.0]]), "predict_proba", [0, 1], np.array([0, 1]), "logit"
    )[0, 1] == pytest.approx(np.log(1e-12))
    votes = to_pool_space(np.array(["b", "c"]), "predict", classes, classes, "vote")
    np.testing.assert_array_equal(votes, [[0, 1, 0], [0, 0, 1]])
    binary = to_pool_space(
        np.array([2.0, -1.0]), "decision_function", [0, 1], np.array([0, 1]), "logit"
    )
    np.testing.assert_array_equal(binary, [[0, 2.0], [0, -1.0]])


def test_member_proba_and_proba_to_logits():
    z = np.array([[0.0, 1.0], [2.0, -2.0]])
    np.testing.assert_allclose(
        member_proba(z, "decision_function", [0, 1], np.array([0, 1])),
        scipy_softmax(z, axis=1),
    )
    np.testing.assert_array_equal(
        member_proba(np.array([1, 0]), "predict", [0, 1], np.array([0, 1])),
        [[0, 1], [1, 0]],
    )
    np.testing.assert_allclose(proba_to_logits([[0.0, 1.0]]), [[np.log(1e-12), 0.0]])


def test_vote_pool_ties_go_to_first_sorted_class():
    classes = np.array([0, 1, 2])
    votes = [
        to_pool_space(np.array([2]), "predict", classes, classes, "vote"),
        to_pool_space(np.array([1]), "predict", classes, classes, "vote"),
    ]
    share = pool(votes, [1, 1])
    np.testing.assert_array_equal(share, [[0, 0.5, 0.5]])
    assert np.argmax(share, axis=1)[0] == 1


# Scores --------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_scorer_matches_sklearn_metrics(held_out, weighted):
    probas, y, sw = held_out
    sw = sw if weighted else None
    p = probas[1]
    k = p.shape[1]
    assert _scorer(y, k, "neg_log_loss", sw)(p) == pytest.approx(
        -log_loss(y, p, sample_weight=sw), rel=1e-12
    )
    assert _scorer(y, k, "accuracy", sw)(p) == pytest.approx(
        accuracy_score(y, p.argmax(axis=1), sample_weight=sw)
    )
    # scikit-learn >= 1.7 takes multiclass probabilities; its formula (mean
    # over samples of the squared error summed over classes) by hand before.
    if parse_version(sklearn.__version__) >= parse_version("1.7"):
        brier = brier_score_loss(y, p, sample_weight=sw, labels=[0, 1, 2])
    else:
        brier = np.average(((p - np.eye(k)[y]) ** 2).sum(axis=1), weights=sw)
    assert _scorer(y, k, "neg_brier_score", sw)(p) == pytest.approx(-brier)
    assert _scorer(y, k, "roc_auc_ovr", sw)(p) == pytest.approx(
        roc_auc_score(y, p, multi_class="ovr", sample_weight=sw)
    )


def test_scorer_binary_roc_auc_and_callables():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=50)
    p = rng.dirichlet([1, 1], size=50)
    sw = rng.uniform(size=50)
    classes = np.array(["neg", "pos"])
    assert Scorer("roc_auc_ovr", classes, y, sw)(p) == pytest.approx(
        roc_auc_score(y, p[:, 1], sample_weight=sw)
    )
    seen = {}

    def plain(y_true, proba):
        seen["plain"] = y_true
        return 1.0

    def weighted(y_true, proba, sample_weight=None):
        seen["weighted"] = sample_weight
        return 2.0

    assert Scorer(plain, classes, y, sw)(p) == 1.0
    np.testing.assert_array_equal(seen["plain"], classes[y])  # original labels
    assert Scorer(weighted, classes, y, sw)(p) == 2.0
    np.testing.assert_array_equal(seen["weighted"], sw)


# Candidate soups -------------------------------------------------------------------


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy", "neg_brier_score"])
@pytest.mark.parametrize("link", ["identity", "softmax", "callable"])
def test_output_soups_score_running_sums_exactly(held_out, scoring, link):
    probas, y, sw = held_out
    k = probas.shape[2]
    spaces = probas if link == "identity" else np.log(probas)
    if link == "callable":
        link = lambda mean: scipy_softmax(mean, axis=1)  # noqa: E731
    scorer = _scorer(y, k, scoring, sw)
    soups = OutputSoups(list(spaces), scorer, link=link)
    soup = soups.start()
    soups.add(soup, 2)
    soups.add(soup, 0, 3.0)

    def by_hand(weights):
        mean = np.tensordot(np.asarray(weights) / np.sum(weights), spaces, axes=1)
        proba = mean if link == "identity" else scipy_softmax(mean, axis=1)
        return scorer(proba)

    assert soups.score(soup) == pytest.approx(by_hand([3, 0, 1, 0]), rel=1e-10)
    assert soups.score_with(soup, 1, 2.0) == pytest.approx(
        by_hand([3, 2, 1, 0]), rel=1e-10
    )
    assert soups.score_with(soup, 2) == pytest.approx(by_hand([3, 0, 2, 0]), rel=1e-10)
    # scoring a candidate leaves the soup as it was
    assert soups.score(soup) == pytest.approx(by_hand([3, 0, 1, 0]), rel=1e-10)
    np.testing.assert_allclose(
        soups.member_scores(), [by_hand(np.eye(4)[j]) for j in range(4)], rtol=1e-10
    )


@pytest.mark.parametrize("link", ["identity", "softmax"])
def test_log_loss_gradient_matches_finite_differences(held_out, link):
    probas, y, sw = held_out
    spaces = probas if link == "identity" else np.log(probas)
    soups = OutputSoups(list(spaces), _scorer(y, 3, "accuracy", sw), link=link)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    loss, _ = soups.loss_and_grad(w)
    assert loss == pytest.approx(soups.loss(w), rel=1e-10)
    err = check_grad(
        lambda v: soups.loss_and_grad(v)[0],
        lambda v: soups.loss_and_grad(v)[1],
        w,
    )
    assert err < 1e-5


# Recipes ------------------------------------------------------------------------------


def _brute_soup_score(spaces, weights, scorer, link):
    mean = np.tensordot(np.asarray(weights) / np.sum(weights), spaces, axes=1)
    return scorer(mean if link == "identity" else scipy_softmax(mean, axis=1))


@pytest.mark.parametrize("link", ["identity", "softmax"])
def test_greedy_against_a_brute_force_loop(held_out, link):
    probas, y, sw = held_out
    spaces = probas if link == "identity" else np.log(probas)
    scorer = _scorer(y, 3, "neg_log_loss", sw)
    soups = OutputSoups(list(spaces), scorer, link=link)
    scores = soups.member_scores()
    weights, path = greedy_recipe(soups, scores)

    order = sorted(range(4), key=lambda j: -scores[j])
    chosen, best = [order[0]], scores[order[0]]
    for j in order[1:]:
        candidate = _brute_soup_score(
            spaces, np.bincount(chosen + [j], minlength=4), scorer, link
        )
        if candidate > best:
            chosen, best = chosen + [j], candidate
    expected = np.zeros(4)
    expected[chosen] = 1 / len(chosen)
    np.testing.assert_allclose(weights, expected)
    assert [j for j, _ in path] == chosen
    assert path[-1][1] == pytest.approx(best, rel=1e-10)
    assert path[-1][1] >= scores.max()  # never worse than the best member
    assert all(b[1] > a[1] for a, b in itertools.pairwise(path))


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy"])
@pytest.mark.parametrize("link", ["identity", "softmax"])
def test_ensemble_selection_against_a_brute_force_loop(held_out, link, scoring):
    probas, y, sw = held_out
    spaces = probas if link == "identity" else np.log(probas)
    scorer = _scorer(y, 3, scoring, sw)
    n_iter = 7
    soups = OutputSoups(list(spaces), scorer, link=link)
    weights, path = ensemble_selection_recipe(soups, n_iter)

    counts = np.zeros(4)
    for _ in range(n_iter):
        candidates = []
        for j in range(4):
            trial = counts.copy()
            trial[j] += 1
            candidates.append(_brute_soup_score(spaces, trial, scorer, link))
        best = max(candidates)
        # ties (within rounding) go to the lowest index
        counts[min(j for j in range(4) if candidates[j] >= best - 1e-12)] += 1
    np.testing.assert_allclose(weights, counts / n_iter)
    np.testing.assert_allclose(weights * n_iter, np.round(weights * n_iter))
    assert len(path) == n_iter
    assert path[-1][1] == pytest.approx(
        _brute_soup_score(spaces, counts, scorer, link), rel=1e-10
    )


@st.composite
def _logit_soups(draw_):
    """Members' log-probabilities or decision functions (sharp ones reach the
    log loss's clipping), labels, sample weights and a soup's member counts."""
    m, n = draw_(st.integers(1, 5)), draw_(st.integers(1, 30))
    k = draw_(st.integers(2, 5))
    rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1)))
    sharpness = draw_(st.sampled_from([0.1, 1.0, 10.0, 40.0]))
    logits = [sharpness * rng.normal(size=(n, k)) for _ in range(m)]
    if draw_(st.booleans()):  # predict_proba members
        logits = [proba_to_logits(scipy_softmax(z, axis=1)) for z in logits]
    spaces = logits
    if m > 1 and draw_(st.booleans()):
        spaces[-1] = spaces[0].copy()  # a tie
    y = rng.integers(0, k, size=n)
    sw = rng.uniform(0.1, 3.0, size=n) if draw_(st.booleans()) else None
    counts = draw_(arrays(np.int64, (m,), elements=st.integers(0, 6)))
    return spaces, y, k, sw, counts


@settings(max_examples=100, deadline=None)
@given(_logit_soups())
def test_softmax_score_bounds_bound_every_candidate(case):
    # The bounds ensemble selection prunes with are upper bounds of the
    # candidates' exact scores, clipping included (sharp members reach it).
    spaces, y, k, sw, counts = case
    soups = OutputSoups(list(spaces), _scorer(y, k, "neg_log_loss", sw), "softmax")
    soup = soups.start()
    for j, c in enumerate(counts):
        for _ in range(c):
            soups.add(soup, j)
    bounds = soups.score_bounds(soup)
    if counts.sum() == 0:
        assert bounds is None
        return
    for j in range(len(spaces)):
        exact = _brute_soup_score(
            spaces, counts + np.eye(len(spaces))[j], soups.scorer, "softmax"
        )
        assert exact <= bounds[j] + 1e-9 * (1 + abs(exact))


@settings(max_examples=60, deadline=None)
@given(_logit_soups(), st.integers(1, 12))
def test_pruned_ensemble_selection_equals_scoring_every_candidate(case, n_iter):
    spaces, y, k, sw, _ = case
    scorer = _scorer(y, k, "neg_log_loss", sw)
    pruned = ensemble_selection_recipe(
        OutputSoups(list(spaces), scorer, "softmax"), n_iter
    )
    every = OutputSoups(list(spaces), scorer, "softmax")
    every.score_bounds = lambda soup: None
    full = ensemble_selection_recipe(every, n_iter)
    np.testing.assert_array_equal(pruned[0], full[0])
    assert pruned[1] == full[1]


@settings(max_examples=60, deadline=None)
@given(_logit_soups(), st.sampled_from(["identity", "softmax"]))
def test_scores_with_each_member_are_score_with(case, link):
    # The one-array-operation scores ensemble selection uses are exactly those
    # of adding each member in turn.
    spaces, y, k, sw, counts = case
    if link == "identity":
        spaces = [scipy_softmax(z, axis=1) for z in spaces]
    soups = OutputSoups(list(spaces), _scorer(y, k, "neg_log_loss", sw), link)
    soup = soups.start()
    for j, c in enumerate(counts):
        for _ in range(c):
            soups.add(soup, j)
    expected = [soups.score_with(soup, j) for j in range(len(spaces))]
    np.testing.assert_array_equal(soups.scores_with_each(soup), expected)


def test_ensemble_selection_ties_go_to_the_lowest_index():
    p = np.array([[0.7, 0.3], [0.4, 0.6]])
    soups = OutputSoups([p, p, p], _scorer(np.array([0, 1]), 2))
    weights, path = ensemble_selection_recipe(soups, 3)
    np.testing.assert_array_equal(weights, [1, 0, 0])
    assert [j for j, _ in path] == [0, 0, 0]


def _grid_optimum(spaces, scorer, link, step):
    m = len(spaces)
    best = np.inf
    ticks = np.arange(0, 1 + step / 2, step)
    for head in itertools.product(ticks, repeat=m - 1):
        if sum(head) > 1 + 1e-12:
            continue
        w = np.array([*head, max(0.0, 1 - sum(head))])
        best = min(best, -_brute_soup_score(spaces, w, scorer, link))
    return best


@pytest.mark.parametrize("link", ["identity", "softmax"])
@pytest.mark.parametrize("m", [2, 3])
def test_optimized_is_at_least_as_good_as_a_grid_search(held_out, link, m):
    probas, y, sw = held_out
    spaces = (probas if link == "identity" else np.log(probas))[:m]
    scorer = _scorer(y, 3, "accuracy", sw)  # "optimized" minimises log loss anyway
    soups = OutputSoups(list(spaces), scorer, link=link)
    weights, path = optimized_recipe(soups)
    assert weights.sum() == pytest.approx(1.0)
    assert np.all(weights >= 0)
    log_loss_scorer = _scorer(y, 3, "neg_log_loss", sw)
    loss = -_brute_soup_score(spaces, weights, log_loss_scorer, link)
    grid = _grid_optimum(spaces, log_loss_scorer, link, step=0.02 if m == 2 else 0.05)
    assert loss <= grid + 1e-9
    uniform = -_brute_soup_score(spaces, np.ones(m), log_loss_scorer, link)
    assert loss <= uniform + 1e-12
    # the path ends with the whole soup, heaviest member first
    assert path[0][0] == int(np.argmax(weights))
    assert path[-1][1] == pytest.approx(
        scorer(
            (lambda mean: mean if link == "identity" else scipy_softmax(mean, axis=1))(
                np.tensordot(weights, spaces, axes=1)
            )
        )
    )


def test_optimized_drops_a_useless_member():
    rng = np.random.default_rng(3)
    n = 400
    y = rng.integers(0, 2, size=n)
    good = np.where(y[:, None] == np.arange(2), 0.8, 0.2)
    noise = rng.dirichlet([1, 1], size=n)
    soups = OutputSoups([noise, good], _scorer(y, 2))
    weights, path = optimized_recipe(soups)
    np.testing.assert_allclose(weights, [0, 1], atol=1e-9)
    assert [j for j, _ in path] == [1]


def test_uniform_recipe_path_and_user_weights(held_out):
    probas, y, sw = held_out
    scorer = _scorer(y, 3, "neg_log_loss", sw)
    soups = OutputSoups(list(probas), scorer)
    weights, path = uniform_recipe(soups, np.array([2.0, 0.0, 1.0, 1.0]))
    np.testing.assert_allclose(weights, [0.5, 0, 0.25, 0.25])
    assert [j for j, _ in path] == [0, 2, 3]
    assert path[1][1] == pytest.approx(
        _brute_soup_score(probas, [2, 0, 1, 0], scorer, "identity")
    )
    assert path[-1][1] == pytest.approx(
        _brute_soup_score(probas, weights, scorer, "identity")
    )


def test_model_soups_of_linear_models_agree_with_output_soups():
    """Merging logistic regressions and predicting == the softmax of averaged
    decision functions, so both kinds of candidate soups score the same."""
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    models = [
        LogisticRegression(C=C, max_iter=500).fit(X[:150], y[:150])
        for C in (0.01, 0.3, 10.0)
    ]
    names = ["a", "b", "c"]
    scorer = _scorer(y[150:], 3, "neg_log_loss")
    model_soups = ModelSoups(
        [(models, X[150:], None)],
        lambda ms, w: average_estimators(ms, w, names),
        scorer,
    )
    output_soups = OutputSoups(
        [m.decision_function(X[150:]) for m in models], scorer, link="softmax"
    )
    np.testing.assert_allclose(
        model_soups.member_scores(), output_soups.member_scores(), rtol=1e-10
    )
    for recipe in (
        lambda s: greedy_recipe(s, s.member_scores()),
        lambda s: ensemble_selection_recipe(s, 5),
        optimized_recipe,
    ):
        w_model, path_model = recipe(model_soups)
        w_output, path_output = recipe(output_soups)
        np.testing.assert_allclose(w_model, w_output, atol=1e-6)
        assert path_model[-1][1] == pytest.approx(path_output[-1][1], rel=1e-6)


def test_model_soups_assemble_fold_groups():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    folds = [np.arange(0, 60), np.arange(60, 120)]
    groups = []
    for test in folds:
        train = np.setdiff1d(np.arange(120), test)
        groups.append(
            (
                [LogisticRegression(C=C).fit(X[train], y[train]) for C in (0.1, 1.0)],
                X[test],
                test,
            )
        )
    soups = ModelSoups(
        groups, lambda ms, w: average_estimators(ms, w, ["a", "b"]), _scorer(y, 2)
    )
    proba = soups.proba(np.array([1.0, 0.0]))
    for models, X_test, rows in groups:
        np.testing.assert_allclose(proba[rows], models[0].predict_proba(X_test))
