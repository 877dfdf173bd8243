# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""The member machinery every estimator shares (skmerge/_base.py): naming,
agreement of members, reading their outputs, the one cv policy."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skmerge import SoupClassifier, StackingMerger
from skmerge._base import (
    check_members_agree,
    in_chunks,
    member_output,
    name_members,
    row_chunks,
)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:, :6], y


class UnderscoredNames(LogisticRegression):
    """Spells its feature names as LightGBM does: white space as underscores."""

    def fit(self, X, y):
        super().fit(X, y)
        self.feature_names_in_ = np.array(
            [name.replace(" ", "_") for name in X.columns], dtype=object
        )
        return self

    def predict_proba(self, X):
        return super().predict_proba(np.asarray(X))


class ColumnPredict(DecisionTreeClassifier):
    """Returns its predictions as a column, as CatBoost's multiclass predict."""

    def predict(self, X):
        return super().predict(X).reshape(-1, 1)


def test_plain_lists_are_named_as_make_pipeline_names_its_steps():
    members = [LogisticRegression(), GaussianNB(), LogisticRegression()]
    steps = make_pipeline(*[clone(m) for m in members]).steps
    assert [n for n, _ in name_members(members)] == [n for n, _ in steps]


def test_feature_names_spelt_with_underscores_agree_and_are_those_of_X(cancer):
    X, y = cancer
    assert any(" " in name for name in X.columns)
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    underscored = UnderscoredNames(max_iter=2000).fit(X, y)
    for members in ([plain, underscored], [underscored, plain]):
        named = list(zip(["a", "b"], members))
        _, n_features, names = check_members_agree(named, X)
        assert n_features == X.shape[1]
        assert_array_equal(names, X.columns)
        soup = SoupClassifier(members).fit(X, y)
        assert_array_equal(soup.feature_names_in_, X.columns)
        stack = StackingMerger(members).fit(X, y)
        assert_array_equal(stack.feature_names_in_, X.columns)


def test_truly_reordered_columns_are_still_refused(cancer):
    X, y = cancer
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    reordered = UnderscoredNames(max_iter=2000).fit(X[X.columns[::-1]], y)
    with pytest.raises(ValueError, match="disagree on feature names"):
        SoupClassifier([plain, reordered]).fit(X, y)


def test_a_column_of_predictions_is_read_as_labels(cancer):
    X, y = cancer
    tree = ColumnPredict(max_depth=2, random_state=0).fit(X, y)
    assert tree.predict(X).shape == (len(y), 1)
    assert member_output(tree, X, "predict").shape == (len(y),)
    soup = SoupClassifier([("tree", tree), ("nb", GaussianNB().fit(X, y))])
    soup.set_params(combine="vote").fit(X, y)
    proba = soup.predict_proba(X)
    assert np.all(proba.sum(axis=1) == 1.0)
    expected = (
        np.eye(2)[tree.predict(X).ravel()] + np.eye(2)[soup.estimators_[1].predict(X)]
    ) / 2
    assert_array_equal(proba, expected)


@pytest.mark.parametrize("chunk_size", [1, 7, 100, 1000])
def test_row_chunks_cover_the_rows_once_in_order(chunk_size):
    X = np.arange(200).reshape(100, 2)
    rows = [r for r, _ in row_chunks(X, chunk_size)]
    if chunk_size >= 100:
        assert rows == [slice(None)]
    else:
        covered = np.concatenate([np.arange(100)[r] for r in rows])
        assert_array_equal(covered, np.arange(100))
    assert_array_equal(
        in_chunks(lambda part: part.sum(axis=1), X, chunk_size), X.sum(1)
    )


def test_in_chunks_widens_string_results():
    X = np.arange(10).reshape(-1, 1)
    labels = in_chunks(
        lambda part: np.array(["a" * (int(v) + 1) for v in part[:, 0]]), X, 3
    )
    assert labels[-1] == "a" * 10


@pytest.mark.parametrize("Splitter", [StratifiedKFold, KFold])
def test_splits_are_drawn_once_from_a_copy_of_the_splitter(cancer, Splitter):
    X, y = cancer
    random_state = np.random.RandomState(0)
    state = random_state.get_state()[1].copy()
    cv = Splitter(3, shuffle=True, random_state=random_state)
    soup = SoupClassifier([LogisticRegression(), GaussianNB()], prefit=False, cv=cv)
    splits = soup._splits(X, y)
    # The user's splitter and its random state are left as they are ...
    assert_array_equal(random_state.get_state()[1], state)
    # ... and the splits are those a fresh copy draws, the same for every member.
    expected = Splitter(3, shuffle=True, random_state=np.random.RandomState(0))
    for (train, test), (e_train, e_test) in zip(splits, expected.split(X, y)):
        assert_array_equal(train, e_train)
        assert_array_equal(test, e_test)
