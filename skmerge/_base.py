# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""The member machinery every skmerge estimator shares.

- Naming, checks and agreement of members (:func:`name_members`,
  :func:`check_members_agree`, ...).
- Reading a member's output, in row chunks (:func:`row_chunks`,
  :func:`in_chunks`, :func:`member_outputs`), into class columns
  (:func:`to_class_columns`).
- :class:`_MemberPhase`: what every estimator that wraps members does in
  ``fit`` — validate ``y`` and ``sample_weight``, the one ``cv`` policy,
  route fit metadata, compute "the members' outputs on these rows" (prefit:
  predict; otherwise out-of-fold outputs, then refit), set the members'
  fitted attributes — used by the soups, stacking and the calibrators.
- :class:`_BaseMembers`: members as ``(name, estimator)`` pairs or a plain
  list, prefit members that survive ``clone``, members' tags and metadata
  routing, for the soups and stacking.
"""

import copy
import re
import warnings

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.ensemble._base import _BaseHeterogeneousEnsemble, _fit_single_estimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import check_cv
from sklearn.model_selection._validation import _enforce_prediction_order
from sklearn.pipeline import _name_estimators
from sklearn.utils import Bunch, _safe_indexing, gen_batches
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import _safe_split, available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _check_response_method,
    _check_sample_weight,
    _get_feature_names,
    _num_samples,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    indexable,
)

from skmerge._progress import CallbackSupportMixin, leaves, running

# Rows predicted at once per member: bounds the memory a member's prediction
# needs on a large X (its output is still returned whole).
CHUNK_SIZE = 65_536

# log(predict_proba) is clipped at this probability so that logits stay finite.
PROBA_CLIP = 1e-12


# Members: names, checks, agreement ------------------------------------------


def name_members(estimators):
    """Return ``estimators`` as a list of ``(name, estimator)`` pairs.

    ``estimators`` is a list of ``(name, estimator)`` tuples or a plain list of
    estimators, named as :func:`~sklearn.pipeline.make_pipeline` names its
    steps: the lower-cased class, with ``-1``, ``-2``... on repeated names.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> [name for name, _ in name_members(
    ...     [LogisticRegression(), LogisticRegression(), GaussianNB()])]
    ['logisticregression-1', 'logisticregression-2', 'gaussiannb']
    """
    if not isinstance(estimators, list | tuple) or len(estimators) == 0:
        raise ValueError(
            "`estimators` must be a non-empty list of (name, estimator) tuples or "
            f"of estimators; got {estimators!r}."
        )
    pairs = [
        isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)
        for item in estimators
    ]
    for item, pair in zip(estimators, pairs):
        if not pair and isinstance(item, tuple | list):
            raise ValueError(
                "`estimators` must be (name, estimator) tuples, with a str name, "
                f"or estimators; got {item!r}."
            )
    if all(pairs):
        named = [(name, est) for name, est in estimators]
    elif not any(pairs):
        named = _name_estimators(estimators)
    else:
        raise ValueError(
            "`estimators` must be all (name, estimator) tuples or all estimators, "
            "not a mix of both."
        )
    names = [name for name, _ in named]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"Member names must be unique; got duplicates {duplicated}.")
    return named


def is_drop(est):
    return isinstance(est, str) and est == "drop"


def check_member_fitted(name, estimator):
    """Raise a NotFittedError naming ``name`` when ``estimator`` is not fitted."""
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"Member {name!r} ({type(estimator).__name__}) is not fitted. With "
            "prefit=True (the default) members must already be fitted: fit it "
            "first, or pass prefit=False to fit clones of the members on the data "
            "given to fit."
        ) from exc


def resolve_method(name, estimator, method, allowed):
    """The name of the first of ``allowed`` (``method`` itself unless it is
    ``"auto"``) that ``estimator`` has, picked by scikit-learn's
    ``_check_response_method``; a ValueError naming the member otherwise."""
    candidates = allowed if method == "auto" else [method]
    try:
        return _check_response_method(estimator, candidates).__name__
    except AttributeError:
        wanted = " or ".join(f"`{m}`" for m in candidates)
        raise ValueError(
            f"Member {name!r} ({type(estimator).__name__}) has no {wanted}, which "
            "this mode needs."
        ) from None


def _canonical_feature_names(names):
    # LightGBM stores feature names with white space turned into underscores
    # ("mean radius" -> "mean_radius"): the same columns, spelt its way.
    return [re.sub(r"\s", "_", str(name)) for name in names]


def _agreed_classes(named):
    classes, classes_from = None, None
    for name, est in named:
        est_classes = getattr(est, "classes_", None)
        if est_classes is None:
            raise ValueError(
                f"Member {name!r} ({type(est).__name__}) has no `classes_`: skmerge "
                "merges fitted classifiers."
            )
        if classes is None:
            classes, classes_from = np.asarray(est_classes), name
        elif set(np.asarray(est_classes).tolist()) != set(classes.tolist()):
            raise ValueError(
                f"Members {classes_from!r} and {name!r} disagree on their classes: "
                f"{classes_from!r} has class labels {classes.tolist()}, {name!r} has "
                f"{np.asarray(est_classes).tolist()}. Members must be trained on the "
                "same classes."
            )
    return np.unique(classes)


def _agreed_features(named, X_names):
    """The members' common feature count and names (None where none records
    them); names that differ only as LightGBM spells them agree, and are
    then those of ``X`` when it has them, else those of the first member."""
    n_features, n_from, names_in, names_from = None, None, None, None
    for name, est in named:
        n = getattr(est, "n_features_in_", None)
        if n is not None:
            if n_features is None:
                n_features, n_from = int(n), name
            elif int(n) != n_features:
                raise ValueError(
                    f"Members {n_from!r} and {name!r} disagree on the number of "
                    f"features: {n_from!r} expects {n_features} features, {name!r} "
                    f"expects {int(n)}. Members merged together take the same X: "
                    "if each was fitted on its own subset of the columns, make "
                    "each a Pipeline whose first step selects its columns from "
                    "the full X (a ColumnTransformer with remainder='drop')."
                )
        fn = getattr(est, "feature_names_in_", None)
        if fn is None:
            continue
        if names_in is None:
            names_in, names_from = np.asarray(fn, dtype=object), name
        elif len(fn) != len(names_in) or _canonical_feature_names(
            fn
        ) != _canonical_feature_names(names_in):
            raise ValueError(
                f"Members {names_from!r} and {name!r} disagree on feature names: "
                f"{names_from!r} has {list(names_in)}, {name!r} has {list(fn)}."
            )
    if (
        names_in is not None
        and X_names is not None
        and _canonical_feature_names(X_names) == _canonical_feature_names(names_in)
    ):
        names_in = np.asarray(X_names, dtype=object)
    return n_features, names_in


def check_members_agree(named, X=None, *, classifier=True):
    """Check fitted members agree on classes and features.

    Returns ``(classes, n_features_in, feature_names_in)``: the classes sorted
    as :class:`~sklearn.preprocessing.LabelEncoder` sorts them (None for
    regressors), and the feature count and names (``None`` when no member
    records them). Feature names that differ only in the way LightGBM spells
    them (white space as underscores) agree; they are then ``X``'s own.
    """
    classes = _agreed_classes(named) if classifier else None
    return (classes, *_agreed_features(named, _feature_names_of(X)))


def _feature_names_of(X):
    if X is None:
        return None
    try:
        return _get_feature_names(X)
    except (TypeError, ValueError):
        return None


def check_labels_known(y, classes, what="held-out data"):
    """Raise when ``y`` has one class only or labels the members never saw."""
    present = np.unique(y)
    unseen = np.setdiff1d(present, classes)
    if unseen.size:
        raise ValueError(
            f"The {what} has labels the members were not trained on: "
            f"{unseen.tolist()}; the members' classes are {classes.tolist()}."
        )
    if present.size < 2:
        raise ValueError(
            f"The {what} must hold at least 2 classes to learn from; got only "
            f"one class: {present.tolist()}."
        )


# Members given as their outputs (estimators="precomputed") -------------------

#: Tolerance of a precomputed probability: values in [-tol, 1 + tol], rows of
#: a class block summing to 1 within tol.
PROBA_TOLERANCE = 1e-6


def is_precomputed(estimators):
    """Whether ``estimators`` is ``"precomputed"``: ``X`` holds the members'
    outputs."""
    return isinstance(estimators, str) and estimators == "precomputed"


class CachedMember(BaseEstimator):
    """A fitted member stood in for by its output, read from its columns of a
    matrix ``P`` (the members' outputs side by side).

    ``method`` is the member method the columns hold; ``width`` their number.
    The stand-in has that method only (and ``predict``), so that a skmerge
    estimator resolves the same method over it as over the member, and
    computes the same numbers from the same output. A one-column
    ``predict_proba`` (``layout="positive"``) is the probability of
    ``classes[1]``; a one-column decision function or prediction is 1-D.
    With ``check=True`` every read validates ``P`` as scikit-learn validates
    an ``X`` and checks the outputs are finite and probabilities are
    probabilities.
    """

    def __init__(
        self,
        start=0,
        width=1,
        method="predict",
        n_columns=1,
        classes=None,
        name="member",
        check=False,
        feature_names=None,
    ):
        self.start = start
        self.width = width
        self.method = method
        self.n_columns = n_columns
        self.classes = classes
        self.name = name
        self.check = check
        self.feature_names = feature_names

    def fit(self, X, y=None):
        raise TypeError(
            f"Member {self.name!r} is its precomputed output: it cannot be fitted."
        )

    def __sklearn_is_fitted__(self):
        return True

    @property
    def n_features_in_(self):
        return self.n_columns

    @property
    def feature_names_in_(self):
        if self.feature_names is None:
            raise AttributeError("feature_names_in_")
        return self.feature_names

    def _read(self, P):
        columns = slice(self.start, self.start + self.width)
        if hasattr(P, "iloc") and P.ndim == 2 and P.shape[1] == self.n_columns:
            # Only this member's columns of a frame become an array (not the
            # whole frame once per member).
            P = P.iloc[:, columns]
            columns = slice(None)
        elif self.check and not (
            isinstance(P, np.ndarray) and P.dtype == np.float64 and P.ndim == 2
        ):
            # (check_array returns such an array as it is: skipped, as it
            # costs about a millisecond a call, once per member per read.)
            P = check_array(
                P, dtype=np.float64, ensure_all_finite=False, input_name="X"
            )
        P = P.to_numpy() if hasattr(P, "iloc") else np.asarray(P)
        if columns != slice(None) and (P.ndim != 2 or P.shape[1] != self.n_columns):
            raise ValueError(
                f"X has {P.shape[-1] if P.ndim else 0} features, but precomputed is "
                f"expecting {self.n_columns} features as input: the members' outputs "
                "side by side."
            )
        # A contiguous float64 copy, as a member returns its output.
        block = np.array(P[:, columns], dtype=np.float64, order="C")
        if self.check:
            check_outputs(block, self.name, self.start, self.method)
        if self.width == 1:
            column = block[:, 0]
            if self.method == "predict_proba":
                return np.column_stack([1.0 - column, column])
            return column
        return block

    def _has(method):
        return lambda self: self.method == method

    @available_if(_has("predict_proba"))
    def predict_proba(self, P):
        return self._read(P)

    @available_if(_has("decision_function"))
    def decision_function(self, P):
        return self._read(P)


class CachedClassifier(ClassifierMixin, CachedMember):
    @property
    def classes_(self):
        return self.classes

    def predict(self, P):
        """The class of the highest output (the member's argmax)."""
        out = self._read(P)
        if out.ndim == 1:
            return self.classes[(out > 0).astype(np.intp)]
        return self.classes[np.argmax(out, axis=1)]


class CachedRegressor(RegressorMixin, CachedMember):
    def predict(self, P):
        return self._read(P)


def check_outputs(block, name, start, method):
    """Raise, naming the column block, unless ``block`` holds finite outputs
    and, for ``predict_proba``, probabilities: in [0, 1] and (for more than
    one column) rows summing to 1."""
    where = (
        f"column {start}"
        if block.shape[1] == 1
        else f"columns {start}-{start + block.shape[1] - 1}"
    )
    kind = "probabilities" if method == "predict_proba" else "predictions"
    what = f"The precomputed {kind} of member {name!r} ({where})"
    # The extremes are NaN or infinite exactly when some value is.
    low, high = float(block.min(initial=0.0)), float(block.max(initial=0.0))
    if not (np.isfinite(low) and np.isfinite(high)):
        row = int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
        raise ValueError(f"{what} hold NaN or infinity, e.g. in row {row}.")
    if method != "predict_proba":
        return
    if low < -PROBA_TOLERANCE or high > 1 + PROBA_TOLERANCE:
        raise ValueError(
            f"{what} must lie in [0, 1]; got values from {low:.6g} to {high:.6g}."
        )
    if block.shape[1] > 1:
        # (a matrix-vector product: much faster than a sum along short rows)
        sums = block @ np.ones(block.shape[1])
        bad = np.abs(sums - 1.0) > PROBA_TOLERANCE
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{what} must sum to 1 in each row (one column per class); row "
                f"{row} sums to {sums[row]:.6g}."
            )


def _block_names(columns, width, classes):
    """Members' names from the column names of their blocks:
    ``<member>_<class>`` (as ``transform`` names them), else the first column's
    name."""
    names = []
    for j in range(len(columns) // width):
        block = [str(c) for c in columns[j * width : (j + 1) * width]]
        suffixes = [f"_{c}" for c in classes] if width > 1 else []
        if suffixes and all(b.endswith(s) for b, s in zip(block, suffixes)):
            names.append(block[0][: -len(suffixes[0])])
        else:
            names.append(block[0])
    return names


def precomputed_members(X, y, *, classifier, member_names=None):
    """Stand-ins for the members whose outputs are the columns of ``X``.

    Classifiers: probabilities, one block of ``n_classes`` columns per member
    (classes sorted, as :meth:`~skmerge.SoupClassifier.transform` lays them
    out) or, for two classes, one column per member (the probability of the
    second class); regressors: one column of predictions per member. The
    names are ``member_names``, else those of a DataFrame's columns
    (``<member>_<class>`` blocks), else ``member0``, ``member1``...
    """
    columns = _feature_names_of(X)
    P = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name="X")
    n_columns = P.shape[1]
    classes = np.unique(column_or_1d(y)) if classifier else None
    k = len(classes) if classifier else 1
    if member_names is not None:
        m = len(member_names)
        width = n_columns // m if m and n_columns % m == 0 else 0
    elif classifier and k == 2 and columns is not None and n_columns % 2 == 0:
        width = 2 if _block_names(columns, 2, classes) != list(columns[::2]) else 1
    else:
        width = k if n_columns % k == 0 else 1 if k == 2 else 0
    if width not in ((k, 1) if k == 2 else (k,)):
        raise ValueError(
            "With estimators='precomputed', X holds the members' outputs: "
            + (
                f"{k} columns of class probabilities per member"
                + (" (or one, the second class's, for two classes)" if k == 2 else "")
                if classifier
                else "one column of predictions per member"
            )
            + f"; got {n_columns} columns"
            + (f" for {len(member_names)} member_names." if member_names else ".")
        )
    m = n_columns // width
    if member_names is not None:
        names = [str(name) for name in member_names]
    elif columns is not None:
        names = _block_names(columns, width, classes)
    else:
        names = [f"member{j}" for j in range(m)]
    kind = CachedClassifier if classifier else CachedRegressor
    named = [
        (
            name,
            kind(
                start=j * width,
                width=width,
                method="predict_proba" if classifier else "predict",
                n_columns=n_columns,
                classes=classes,
                name=name,
                check=True,
                feature_names=columns,
            ),
        )
        for j, name in enumerate(names)
    ]
    # Every read of a stand-in checks its block, naming it (the fits read
    # each one first: checking here too would scan X twice).
    return named


# Members' outputs, in row chunks --------------------------------------------


def row_chunks(X, chunk_size=None):
    """``(rows, X_rows)`` pairs covering ``X`` in chunks of ``chunk_size`` rows
    (``CHUNK_SIZE``, read at call time, when None); one pair
    ``(slice(None), X)`` when ``X`` is small or has no length."""
    chunk_size = CHUNK_SIZE if chunk_size is None else chunk_size
    try:
        n = _num_samples(X)
    except TypeError:
        n = None
    if n is None or n <= chunk_size:
        yield slice(None), X
        return
    (X,) = indexable(X)  # sparse matrices as CSR, which slices rows
    for rows in gen_batches(n, chunk_size):
        yield rows, _safe_indexing(X, rows)


def in_chunks(func, X, chunk_size=None):
    """``func(X)`` computed on row chunks of ``X`` and written into one array.

    The peak memory is the result plus one chunk's work (collecting the chunks'
    results and concatenating them would hold the result twice).
    """
    result = None
    for rows, X_rows in row_chunks(X, chunk_size):
        part = np.asarray(func(X_rows))
        if rows == slice(None):
            return part
        if result is None:
            result = np.empty((_num_samples(X),) + part.shape[1:], dtype=part.dtype)
        elif not np.can_cast(part.dtype, result.dtype, casting="safe"):
            # e.g. strings: a later chunk's labels may be longer.
            result = result.astype(np.result_type(result.dtype, part.dtype))
        result[rows] = part
    return result


def member_output(estimator, X, method, chunk_size=None, name=None):
    """``estimator``'s ``method`` on ``X``, in row chunks. A ``predict`` of
    shape ``(n, 1)`` (CatBoost's) is read as ``(n,)``. An error raised in the
    member propagates as it is, with a note naming the member."""
    try:
        output = in_chunks(getattr(estimator, method), X, chunk_size)
    except Exception as exc:
        who = (
            type(estimator).__name__
            if name is None
            else f"{name!r} ({type(estimator).__name__})"
        )
        exc.add_note(f"skmerge: raised by member {who} in its {method}.")
        raise
    if method == "predict" and output.ndim == 2 and output.shape[1] == 1:
        return output.reshape(-1)
    return output


def _predict_task(estimator, X, method, chunk_size, task, name):
    with running(task):
        return member_output(estimator, X, method, chunk_size, name)


def member_outputs(
    estimators, X, methods, *, n_jobs=None, chunk_size=None, tasks=None, names=None
):
    """Each member's raw output for ``X``, predicted in row chunks.

    Members run in parallel (threads by default; any joblib backend in a
    ``parallel_config`` context, such as Dask, is used instead). ``tasks``:
    one progress leaf per member (see :mod:`skmerge._progress`), or None;
    ``names``: the members' names, for the note on an error they raise.
    """
    tasks = [None] * len(estimators) if tasks is None else tasks
    names = [None] * len(estimators) if names is None else names
    jobs = list(zip(estimators, methods, tasks, names))
    if len(estimators) == 1 or effective_n_jobs(n_jobs) == 1:
        # A plain loop: joblib's overhead (about a millisecond a call) would
        # show in a grid search that calls this once per candidate and fold.
        return [
            _predict_task(est, X, method, chunk_size, task, name)
            for est, method, task, name in jobs
        ]
    return Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_predict_task)(est, X, method, chunk_size, task, name)
        for est, method, task, name in jobs
    )


def _member_predictions(estimator, output, method):
    """A member's predictions (labels or values) from its raw ``output``."""
    if method == "predict" or not is_classifier(estimator):
        return np.asarray(output).reshape(-1)
    output = np.asarray(output)
    if output.ndim == 1 or output.shape[1] == 1:  # a binary decision function
        column = (output.reshape(-1) > 0).astype(np.intp)
    else:
        column = output.argmax(axis=1)
    return np.asarray(estimator.classes_)[column]


# A perfect record on X is suspicious when a member as good as the best
# imperfect one would make it with at most this probability.
MEMORISED_P = 1e-3
# Regressors: "near-perfect" is R^2 >= 1 - MEMORISED_R2_GAP; "imperfect" is
# R^2 <= 1 - 10 * MEMORISED_R2_GAP.
MEMORISED_R2_GAP = 1e-3
# What the warning concludes (MergeSearch filters its routes' copies by it).
MEMORISED_FINDING = "X looks like (part of) the members' training data"


def warn_if_memorised(named, outputs, methods, y):
    """Warn when some members are near-perfect on ``X`` while another is
    not, as members are on their own training data.

    Classifiers: a member without a single error on the ``n`` samples, when
    a member as accurate as the best member that errs (error rate ``p``)
    would be perfect with probability ``(1 - p)**n <= MEMORISED_P``.
    Regressors: a member with R^2 >= 0.999 while another has R^2 <= 0.99.
    """
    if len(named) < 2 or len(y) == 0:
        return
    predictions = [
        _member_predictions(est, out, method)
        for (_, est), out, method in zip(named, outputs, methods, strict=True)
    ]
    names = [name for name, _ in named]
    if is_classifier(named[0][1]):
        misses = np.array([np.mean(pred != y) for pred in predictions])
        perfect = np.flatnonzero(misses == 0)
        if perfect.size == 0 or perfect.size == len(named):
            return
        p = misses[misses > 0].min()
        if (1 - p) ** len(y) > MEMORISED_P:
            return
        other = names[int(np.flatnonzero(misses == p)[0])]
        found = (
            f"makes no error on the {len(y)} samples of X, while member "
            f"{other!r}, the best of the others, misses {p:.1%} of them"
        )
    else:
        spread = np.var(y)
        if spread == 0:
            return
        r2 = np.array([1 - np.mean((pred - y) ** 2) / spread for pred in predictions])
        perfect = np.flatnonzero(r2 >= 1 - MEMORISED_R2_GAP)
        imperfect = np.flatnonzero(r2 <= 1 - 10 * MEMORISED_R2_GAP)
        if perfect.size == 0 or imperfect.size == 0:
            return
        best = imperfect[np.argmax(r2[imperfect])]
        found = (
            f"fits the {len(y)} samples of X almost exactly (R^2 "
            f"{r2[perfect[0]]:.4f}), while member {names[best]!r}, the best of "
            f"the others, reaches R^2 {r2[best]:.3f}"
        )
    memorised = ", ".join(repr(names[j]) for j in perfect)
    warnings.warn(
        f"Member {memorised} {found}: {MEMORISED_FINDING}. Scored on the rows "
        "they were fitted on, the most "
        "over-fitted members look best and get the weight. Fit on held-out "
        "rows the members did not see (for saved predictions: out-of-fold "
        "predictions), or use prefit=False to cross-validate the members.",
        UserWarning,
        stacklevel=2,
    )


def to_class_columns(output, method, member_classes, classes, order="C"):
    """Put a member's output in the column order of ``classes``.

    ``predict_proba`` and ``decision_function`` outputs become float64 arrays of
    shape ``(n_samples, n_classes)``, in memory ``order``; a binary 1-D
    decision function ``z`` becomes the logits ``(0, z)``. ``predict`` becomes
    one-hot votes.
    """
    member_classes = np.asarray(member_classes)
    if method == "predict":
        output = np.asarray(output).reshape(-1)
        out = np.zeros((len(output), len(classes)))
        out[np.arange(len(output)), np.searchsorted(classes, output)] = 1.0
        return out
    output = np.asarray(output, dtype=np.float64)
    if output.ndim == 1 or output.shape[1] == 1:
        column = output.reshape(-1)
        output = np.column_stack([np.zeros_like(column), column])
    if np.array_equal(member_classes, classes):  # the order already: a copy
        return np.array(output, order=order)
    out = np.empty((output.shape[0], len(classes)), order=order)
    out[:, np.searchsorted(classes, member_classes)] = output
    return out


def softmax_in_place(z):
    """Row-wise softmax of the float array ``z``, written into ``z``.

    The same as :func:`scipy.special.softmax` (used wherever memory does not
    matter), which allocates two more arrays of ``z``'s size: predictions,
    made chunk by chunk, stay within their memory budget with this one.
    """
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def check_finite(output, name, estimator, method, where, why):
    """Raise a ValueError naming the member when ``output`` is not finite."""
    if not np.isfinite(output).all():
        raise ValueError(
            f"Member {name!r} ({type(estimator).__name__}) returned non-finite "
            f"values (NaN or infinity) from {method} on the {where}; {why}."
        )


# Fitting members -------------------------------------------------------------


def _fit_task(estimator, X, y, fit_params, message, task):
    # The callbacks reach the clone in the worker, as in GridSearchCV.
    with running(task, estimator):
        return _fit_single_estimator(
            estimator, X, y, fit_params, message_clsname="skmerge", message=message
        )


def fit_members(named, X, y, fit_params, *, n_jobs=None, verbose=0, tasks=None):
    """Clones of the ``(name, estimator)`` members fitted on ``X, y`` in
    parallel, each with its own ``fit_params[name]``."""
    tasks = [None] * len(named) if tasks is None else tasks
    return Parallel(n_jobs=n_jobs)(
        delayed(_fit_task)(
            clone(est),
            X,
            y,
            fit_params[name],
            f"fitting member {name!r} ({i + 1} of {len(named)})" if verbose else None,
            task,
        )
        for i, ((name, est), task) in enumerate(zip(named, tasks))
    )


def _fold_output(estimator, X, y, train, test, fit_params, method, classes):
    """``estimator`` fitted on the ``train`` rows, its ``method`` on the
    ``test`` rows, as :func:`~sklearn.model_selection.cross_val_predict`
    computes a fold, but fitted on ``y`` itself rather than on label codes:
    a member may be a meta-estimator over prefit members, whose classes are
    its members' labels. Columns of classes absent from ``train`` are filled
    as ``cross_val_predict`` fills them."""
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    X_train, y_train = _safe_split(estimator, X, y, train)
    X_test, _ = _safe_split(estimator, X, y, test, train)
    estimator.fit(X_train, y_train, **fit_params)
    output = getattr(estimator, method)(X_test)
    if classes is None or method == "predict":
        return np.asarray(output)
    codes = np.searchsorted(classes, estimator.classes_)
    return _enforce_prediction_order(codes, output, len(classes), method)


def out_of_fold_outputs(
    named, X, y, methods, splits, fit_params, *, n_jobs=None, verbose=0, tasks=None
):
    """Out-of-fold outputs of clones of the ``(name, estimator)`` members, as
    :func:`~sklearn.model_selection.cross_val_predict` gives them, every
    member on the same ``splits`` (a list of ``(train, test)`` pairs).

    ``tasks``: one progress leaf per member, or None. (The fold fits get no
    callbacks, as in ``cross_val_predict``.)
    """
    tasks = [None] * len(named) if tasks is None else tasks
    X, y = indexable(X, y)
    order = np.empty(_num_samples(X), dtype=np.intp)
    tests = np.concatenate([test for _, test in splits])
    order[tests] = np.arange(len(tests))
    classes = np.unique(y) if is_classifier(named[0][1]) else None
    outputs = []
    for (name, est), method, task in zip(named, methods, tasks):
        if verbose:
            print(f"[skmerge] out-of-fold {method} of member {name!r}")
        with running(task):
            folds = Parallel(n_jobs=n_jobs)(
                delayed(_fold_output)(
                    clone(est), X, y, train, test, fit_params[name], method, classes
                )
                for train, test in splits
            )
        output = np.concatenate(folds)[order]
        if method == "predict" and output.ndim == 2 and output.shape[1] == 1:
            output = output.reshape(-1)
        outputs.append(output)
    return outputs


def clone_keeping_members(estimator, member_param):
    """``clone`` that keeps the fitted members of a prefit meta-estimator.

    All parameters but ``member_param`` are cloned as
    :func:`sklearn.base.clone` does; the members are the same fitted objects
    (never modified by skmerge), as :class:`~sklearn.frozen.FrozenEstimator`
    returns itself from ``__sklearn_clone__``.
    """
    params = estimator.get_params(deep=False)
    members = params.pop(member_param)
    params = {k: clone(v, safe=False) for k, v in params.items()}
    params[member_param] = list(members) if isinstance(members, list) else members
    new = type(estimator)(**params)
    for attr in ("_metadata_request", "_sklearn_output_config"):
        if attr in estimator.__dict__:
            setattr(new, attr, copy.deepcopy(getattr(estimator, attr)))
    if "_skl_callbacks" in estimator.__dict__:
        # As sklearn.base.clone: callbacks are shared by reference.
        new._skl_callbacks = estimator._skl_callbacks
    return new


# The phase every estimator shares --------------------------------------------


class _MemberPhase:
    """What every skmerge estimator does with its members in ``fit``.

    Expects ``prefit``, ``cv`` and ``n_jobs`` parameters (``verbose``
    optional) and, for routing with ``prefit=False``, a
    ``get_metadata_routing`` that routes ``fit`` to each member under its
    name (and ``split`` to a ``splitter``, where it has one).
    """

    def _check_target(self, X, y):
        """``y`` as a 1-D array of one target per sample of ``X``."""
        if is_classifier(self):
            check_classification_targets(y)
            y_type = type_of_target(y, input_name="y")
            if y_type not in ("binary", "multiclass"):
                # As VotingClassifier: a target it cannot take, not a bad value.
                raise NotImplementedError(
                    f"{type(self).__name__} supports binary or multiclass targets "
                    f"only; got a {y_type} target. Multilabel and multi-output "
                    "classification are not supported."
                )
        y = column_or_1d(y, warn=True)
        if not is_classifier(self):
            # As scikit-learn's regressors: numbers, finite (VotingRegressor
            # and StackingRegressor do not support multi-output targets).
            y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y").astype(
                np.float64, copy=False
            )
        try:
            check_consistent_length(X, y)
        except TypeError:
            pass  # an X without a length: its members judge it
        except ValueError as exc:
            what = "label" if is_classifier(self) else "target value"
            raise ValueError(
                f"`y` must hold one {what} per sample of X; got "
                f"{y.shape[0]} {what}s for {_num_samples(X)} samples."
            ) from exc
        return y

    @staticmethod
    def _check_sample_weight(sample_weight, y):
        """Weights of held-out scores and losses: negative ones would make them
        meaningless, all-zero ones undefined."""
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, y, ensure_non_negative=True)
        if not np.any(sample_weight > 0):
            raise ValueError("`sample_weight` must not be all zero.")
        return sample_weight

    def _splits(self, X, y, split_params=None):
        """The ``(train, test)`` pairs of the one ``cv`` policy,
        ``check_cv(cv, y, classifier=is_classifier(self))``, drawn once so
        that every member sees the same folds, from a copy of the splitter
        (the user's, and its random state, stay as they are)."""
        cv = copy.deepcopy(check_cv(self.cv, y, classifier=is_classifier(self)))
        return list(cv.split(X, y, **(split_params or {})))

    def _route_fit(self, named, sample_weight, fit_params):
        """Each member's ``fit`` parameters by name, the splitter's, and all
        that :func:`~sklearn.utils.metadata_routing.process_routing` routed
        (None without routing).

        With metadata routing enabled, what each member requests. Otherwise
        ``fit_params`` go to every member and ``sample_weight`` to those
        whose ``fit`` takes it; the others are warned about, as
        :class:`~sklearn.calibration.CalibratedClassifierCV` does, and
        ``sample_weight`` still weighs what skmerge fits itself.
        """
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            routed = process_routing(self, "fit", **fit_params)
            splitter = routed.get("splitter")
            return (
                {name: dict(routed[name].fit) for name, _ in named},
                {} if splitter is None else dict(splitter.split),
                routed,
            )
        member_params = {}
        for name, est in named:
            params = dict(fit_params)
            if sample_weight is not None:
                if has_fit_parameter(est, "sample_weight"):
                    params["sample_weight"] = sample_weight
                else:
                    warnings.warn(
                        f"Since member {name!r} ({type(est).__name__}) does not "
                        "appear to accept sample_weight, sample weights will only "
                        "be used for what skmerge fits itself, not to fit it.",
                        UserWarning,
                    )
            member_params[name] = params
        return member_params, {}, None

    def _members_outputs(
        self, named, X, y, methods, fit_params, progress, *, split_params=None
    ):
        """The members' outputs on the rows of ``X``, and the fitted members.

        ``prefit=True``: the members themselves and their ``methods`` on ``X``.
        ``prefit=False``: out-of-fold outputs from the ``cv`` splits (when
        ``methods`` is given; None means nothing needs a held-out signal),
        then clones fitted on all of ``X``, as
        :class:`~sklearn.ensemble.StackingClassifier` does.

        Returns ``(fitted, outputs)``; ``outputs`` is None without ``methods``.
        """
        names = [name for name, _ in named]
        n_jobs, verbose = self.n_jobs, getattr(self, "verbose", 0)
        if self.prefit:
            fitted = [est for _, est in named]
            if methods is None:
                return fitted, None
            task = progress.subtask("predict members", len(named)).begin()
            outputs = member_outputs(
                fitted,
                X,
                methods,
                n_jobs=n_jobs,
                tasks=leaves(task, names, "predict"),
                names=names,
            )
            task.end()
            warn_if_memorised(named, outputs, methods, y)
            return fitted, outputs
        outputs = None
        if methods is not None:
            task = progress.subtask("out-of-fold predictions", len(named)).begin()
            outputs = out_of_fold_outputs(
                named,
                X,
                y,
                methods,
                self._splits(X, y, split_params),
                fit_params,
                n_jobs=n_jobs,
                verbose=verbose,
                tasks=leaves(task, names, "out-of-fold"),
            )
            task.end()
        task = progress.subtask("fit members", len(named)).begin()
        fitted = fit_members(
            named,
            X,
            y,
            fit_params,
            n_jobs=n_jobs,
            verbose=verbose,
            tasks=leaves(task, names, "fit"),
        )
        task.end()
        return fitted, outputs

    def _set_input_attributes(self, n_features_in, feature_names_in):
        """``n_features_in_`` and ``feature_names_in_`` as the members record
        them (removed when they do not)."""
        for attr, value in (
            ("n_features_in_", n_features_in),
            ("feature_names_in_", feature_names_in),
        ):
            if value is not None:
                setattr(self, attr, value)
            elif attr in self.__dict__:
                delattr(self, attr)


class _BaseMembers(_MemberPhase, CallbackSupportMixin, _BaseHeterogeneousEnsemble):
    """Estimators over named members (the soups and stacking): members as
    ``(name, estimator)`` pairs or a plain list, prefit members that survive
    ``clone``, members' tags and metadata routing, (scikit-learn >= 1.9)
    ``set_callbacks``, and the members' fitted attributes."""

    @property
    def named_estimators(self):
        """Members by name, as given (not fitted copies).

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(self._given_members()))

    def _given_members(self):
        """``(name, estimator)`` pairs as given (none when precomputed)."""
        if is_precomputed(self.estimators):
            return []
        return name_members(self.estimators)

    def _named_members(self, X=None, y=None):
        """Validated ``(name, estimator)`` pairs, without the dropped ones;
        with ``estimators="precomputed"``, stand-ins reading the columns of
        ``X`` (see :func:`precomputed_members`)."""
        if is_precomputed(self.estimators):
            if not self.prefit:
                raise ValueError(
                    "estimators='precomputed' gives the members' outputs, not "
                    "members to fit: prefit=False does not apply."
                )
            named = precomputed_members(
                X, y, classifier=is_classifier(self), member_names=self.member_names
            )
            self._validate_names([name for name, _ in named])
            return named
        if self.member_names is not None:
            raise ValueError(
                "`member_names` names the columns of X with "
                "estimators='precomputed'; these members have their own names."
            )
        named = name_members(self.estimators)
        self._validate_names([name for name, _ in named])
        named = [(name, est) for name, est in named if not is_drop(est)]
        if not named:
            raise ValueError("All members are dropped; at least one is required.")
        kind, is_kind = (
            ("classifier", is_classifier)
            if is_classifier(self)
            else ("regressor", is_regressor)
        )
        for name, est in named:
            if not (hasattr(est, "fit") and hasattr(est, "get_params")):
                # Checked first: is_classifier raises an AttributeError on
                # objects without __sklearn_tags__ (scikit-learn >= 1.7).
                raise ValueError(
                    f"Member {name!r} ({type(est).__name__}) is not a scikit-learn "
                    f"{kind} (an estimator with fit and get_params), nor "
                    f'"drop"; got {est!r}.'
                )
            if not is_kind(est):
                raise ValueError(
                    f"Member {name!r} ({type(est).__name__}) is not a {kind}."
                )
            if self.prefit:
                check_member_fitted(name, est)
        return named

    def _set_members(self, named, fitted, X):
        """``estimators_``, ``named_estimators_`` and the input attributes
        from the fitted members; returns their classes (None for regressors)."""
        classes, n_features_in, feature_names_in = check_members_agree(
            [(name, est) for (name, _), est in zip(named, fitted, strict=True)],
            X,
            classifier=is_classifier(self),
        )
        by_name = {name: est for (name, _), est in zip(named, fitted, strict=True)}
        self.estimators_ = list(fitted)
        given = self._given_members() or named
        self.named_estimators_ = Bunch(
            **{name: by_name.get(name, "drop") for name, _ in given}
        )
        self._set_input_attributes(n_features_in, feature_names_in)
        return classes

    def get_params(self, deep=True):
        """Get parameters of this estimator and, with ``deep``, of its members.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the members and their parameters as
            ``<member name>__<parameter>``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super(_BaseHeterogeneousEnsemble, self).get_params(deep=False)
        if not deep:
            return out
        try:
            named = name_members(self.estimators)
        except ValueError:
            return out
        for name, est in named:
            out[name] = est
            if hasattr(est, "get_params"):
                for key, value in est.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters of this estimator or of its members.

        Members are replaced by name (``"drop"`` removes one) and their
        parameters set as ``<member name>__<parameter>``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        if "estimators" in params:
            self.estimators = params.pop("estimators")
        try:
            named = name_members(self.estimators)
        except ValueError:
            named = []
        names = {name for name, _ in named}
        replaced = {k: params.pop(k) for k in list(params) if k in names}
        if replaced:
            self.estimators = [(n, replaced.get(n, e)) for n, e in named]
        super(_BaseHeterogeneousEnsemble, self).set_params(**params)
        return self

    def __sklearn_clone__(self):
        if self.prefit:
            return clone_keeping_members(self, "estimators")
        return super().__sklearn_clone__()

    def __sklearn_tags__(self):
        # Plain super(): the Classifier/RegressorMixin, before
        # _BaseHeterogeneousEnsemble in the MRO, sets estimator_type
        # (is_classifier, stratified CV in GridSearchCV); the members' input
        # tags are recomputed just below.
        tags = super().__sklearn_tags__()
        if is_precomputed(self.estimators):
            return tags  # X: the members' outputs, finite numbers, dense
        try:
            members = [e for _, e in self._given_members() if not is_drop(e)]
            tags.input_tags.allow_nan = all(
                get_tags(e).input_tags.allow_nan for e in members
            )
            tags.input_tags.sparse = all(get_tags(e).input_tags.sparse for e in members)
            tags.input_tags.string = any(get_tags(e).input_tags.string for e in members)
        except (ValueError, TypeError, AttributeError):
            # A member that is no estimator (fit says so, naming it): get_tags
            # raises an AttributeError on it, which would break
            # check_is_fitted and is_classifier on the ensemble itself.
            pass
        return tags

    def get_metadata_routing(self):
        """Get metadata routing of this object: ``fit`` metadata goes to each
        member's ``fit`` (used when ``prefit=False``).

        Returns
        -------
        routing : MetadataRouter
        """
        router = MetadataRouter(owner=self)
        for name, est in self._given_members():
            if not is_drop(est):
                router.add(
                    **{name: est},
                    method_mapping=MethodMapping().add(callee="fit", caller="fit"),
                )
        return router
