# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Guardrails: the mistakes of the competition workflow get a message that says
what happened and what to do, and the README's uses stay silent."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from skmerge import SoupClassifier, StackingMerger


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlps = [
            MLPClassifier((32,), max_iter=200, random_state=seed).fit(X_train, y_train)
            for seed in range(3)
        ]
    return mlps, X_train, y_train, X_val, y_val


def test_unaligned_mlp_soup_that_loses_to_its_best_member_warns(digits):
    mlps, _, _, X_val, y_val = digits
    with pytest.warns(UserWarning, match=r"clearly below its best member.*align="):
        SoupClassifier(mlps, combine="params").fit(X_val, y_val)
    # The README's uses: greedy weight-space soups, aligned soups, pools.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SoupClassifier(mlps, combine="params", recipe="greedy").fit(X_val, y_val)
        SoupClassifier(mlps, combine="params", align="permutation").fit(X_val, y_val)
        SoupClassifier(mlps).fit(X_val, y_val)


class Failing(GaussianNB):
    def predict_proba(self, X):
        raise ArithmeticError("the member's own failure")


def test_an_error_inside_a_member_names_the_member(digits):
    _, X_train, y_train, X_val, y_val = digits
    members = [
        ("lr", LogisticRegression(max_iter=200).fit(X_train, y_train)),
        ("bad", Failing().fit(X_train, y_train)),
    ]
    for est in (SoupClassifier(members), StackingMerger(members)):
        with pytest.raises(ArithmeticError, match="the member's own failure") as info:
            est.fit(X_val, y_val)
        assert any(
            "member 'bad' (Failing) in its predict_proba" in note
            for note in info.value.__notes__
        )
    # At prediction too (the member fails once the soup is fitted).
    soup = SoupClassifier([members[0], ("nb", GaussianNB().fit(X_train, y_train))])
    soup.fit(X_val, y_val)
    soup.estimators_[1] = Failing().fit(X_train, y_train)
    with pytest.raises(ArithmeticError) as info:
        soup.predict_proba(X_val)
    assert any("member 'nb' (Failing)" in note for note in info.value.__notes__)


def test_passthrough_with_string_columns_says_what_to_do():
    X = pd.DataFrame({"x": np.arange(40.0), "city": ["a", "b"] * 20})
    y = np.arange(40) % 2
    member = make_pipeline(
        make_column_transformer(("passthrough", ["x"])), LogisticRegression()
    ).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"passthrough=True hands the columns of X.*"
        r"non-numeric columns.*passthrough=False",
    ):
        StackingMerger([member], passthrough=True).fit(X, y)
    StackingMerger([member]).fit(X, y)  # without passthrough: fine


def test_members_on_different_columns_are_pointed_to_a_column_selector(digits):
    _, X_train, y_train, X_val, y_val = digits
    a = LogisticRegression(max_iter=200).fit(X_train[:, :32], y_train)
    b = LogisticRegression(max_iter=200).fit(X_train, y_train)
    with pytest.raises(
        ValueError,
        match=r"disagree on the number of features.*"
        r"first step selects its columns.*ColumnTransformer",
    ):
        SoupClassifier([a, b]).fit(X_val, y_val)


def one_hot_members(y, misses, k):
    """Saved probabilities of members that are confidently right except on
    their first ``misses[j]`` samples (member j), where they pick the next
    class: ``(n, m * k)`` blocks, as ``SoupClassifier.transform`` lays them."""
    blocks = []
    for miss in misses:
        predicted = y.copy()
        predicted[:miss] = (y[:miss] + 1) % k
        proba = np.full((len(y), k), 0.1 / (k - 1))
        proba[np.arange(len(y)), predicted] = 0.9
        blocks.append(proba)
    return np.hstack(blocks)


@pytest.mark.parametrize("n, misses", [(300, 3), (700, 7), (150, 8), (1000, 5)])
def test_memorised_members_warn_when_a_perfect_record_is_implausible(n, misses):
    # Member "a" is perfect; "b" misses `misses` of n. A member as accurate as
    # "b" is perfect on n samples with probability (1 - misses/n)**n.
    y = np.arange(n) % 3
    P = one_hot_members(y, [0, misses], 3)
    implausible = (1 - misses / n) ** n <= 1e-3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SoupClassifier("precomputed", member_names=["a", "b"]).fit(P, y)
    messages = [str(w.message) for w in caught if "training data" in str(w.message)]
    assert len(messages) == implausible
    if implausible:
        assert f"'a' makes no error on the {n} samples" in messages[0]
        assert f"'b', the best of the others, misses {misses / n:.1%}" in messages[0]


def test_members_fitted_on_x_warn_and_held_out_rows_stay_silent(digits):
    from sklearn.ensemble import RandomForestClassifier

    from skmerge import MergeSearch

    _, X_train, y_train, X_val, y_val = digits
    members = [
        ("rf", RandomForestClassifier(30, random_state=0).fit(X_train, y_train)),
        ("lr", LogisticRegression(C=0.1, max_iter=300).fit(X_train, y_train)),
    ]
    search = MergeSearch(
        members, cv=3, routes=[(SoupClassifier, {"recipe": ["greedy"]})]
    )
    for est in (SoupClassifier(members), StackingMerger(members), search):
        with pytest.warns(UserWarning, match="looks like .* members' training data"):
            est.fit(X_train, y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            est.fit(X_val, y_val)
    # MergeSearch says it once, not once per route and fold.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X_train, y_train)
    assert sum("training data" in str(w.message) for w in caught) == 1


def test_a_regressor_that_interpolates_x_warns():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    from skmerge import SoupRegressor, StackingMergerRegressor

    X, y = load_diabetes(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    members = [
        ("tree", DecisionTreeRegressor(random_state=0).fit(X_train, y_train)),
        ("ridge", Ridge(0.1).fit(X_train, y_train)),
    ]
    for est in (SoupRegressor(members), StackingMergerRegressor(members)):
        with pytest.warns(UserWarning, match=r"'tree' fits the 331 samples of X"):
            est.fit(X_train, y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            est.fit(X_val, y_val)
