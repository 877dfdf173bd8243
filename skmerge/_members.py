# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Members: naming, prefit and clone semantics, checks, outputs computed once.

Everything skmerge knows about the classifiers it merges lives here, shared by
:class:`~skmerge.SoupClassifier` and :class:`~skmerge.StackingMerger` (and, for
the clone semantics, :class:`~skmerge.TemperatureCalibratedClassifier`).
"""

import copy
from collections import Counter

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import ClassifierMixin, clone, is_classifier
from sklearn.ensemble._base import _BaseHeterogeneousEnsemble, _fit_single_estimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted, indexable

from skmerge._progress import CallbackSupportMixin, running

# Rows predicted at once per member: bounds the memory a member's prediction
# needs on a large X (its output is still returned whole).
CHUNK_SIZE = 65_536

# log(predict_proba) is clipped at this probability so that logits stay finite.
PROBA_CLIP = 1e-12


def name_members(estimators):
    """Return ``estimators`` as a list of ``(name, estimator)`` pairs.

    ``estimators`` is a list of ``(name, estimator)`` tuples or a plain list of
    estimators, which are named after their lower-cased class, with ``-1``,
    ``-2``... on repeated names, as :func:`~sklearn.pipeline.make_pipeline`
    does.

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
        names = [type(est).__name__.lower() for est in estimators]
        counts = Counter(names)
        seen = Counter()
        for i, name in enumerate(names):
            if counts[name] > 1:
                seen[name] += 1
                names[i] = f"{name}-{seen[name]}"
        named = list(zip(names, estimators))
    else:
        raise ValueError(
            "`estimators` must be all (name, estimator) tuples or all estimators, "
            "not a mix of both."
        )
    duplicated = sorted(name for name, n in Counter(n for n, _ in named).items() if n > 1)
    if duplicated:
        raise ValueError(f"Member names must be unique; got duplicates {duplicated}.")
    return named


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
    """Return the first method of ``allowed`` (or ``method`` itself) that
    ``estimator`` has, raising an AttributeError-free ValueError naming it."""
    candidates = allowed if method == "auto" else [method]
    for candidate in candidates:
        if hasattr(estimator, candidate):
            return candidate
    wanted = " or ".join(f"`{m}`" for m in candidates)
    raise ValueError(
        f"Member {name!r} ({type(estimator).__name__}) has no {wanted}, which "
        "this mode needs."
    )


def check_members_agree(named):
    """Check fitted members agree on classes and features.

    Returns ``(classes, n_features_in, feature_names_in)``: the classes sorted
    as :class:`~sklearn.preprocessing.LabelEncoder` sorts them, and the feature
    count and names (``None`` when no member records them).
    """
    first_name, first = named[0]
    classes = None
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
    classes = np.unique(classes)

    n_features, names_in, n_from, names_from = None, None, None, None
    for name, est in named:
        n = getattr(est, "n_features_in_", None)
        if n is not None:
            if n_features is None:
                n_features, n_from = int(n), name
            elif int(n) != n_features:
                raise ValueError(
                    f"Members {n_from!r} and {name!r} disagree on the number of "
                    f"features: {n_from!r} expects {n_features} features, {name!r} "
                    f"expects {int(n)}."
                )
        fn = getattr(est, "feature_names_in_", None)
        if fn is not None:
            if names_in is None:
                names_in, names_from = np.asarray(fn, dtype=object), name
            elif len(fn) != len(names_in) or not np.all(np.asarray(fn) == names_in):
                raise ValueError(
                    f"Members {names_from!r} and {name!r} disagree on feature names: "
                    f"{names_from!r} has {list(names_in)}, {name!r} has {list(fn)}."
                )
    return classes, n_features, names_in


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


def in_chunks(func, X, chunk_size=None):
    """``func(X)`` computed on row chunks of ``X`` and written into one array.

    The peak memory is the result plus one chunk's work (collecting the chunks'
    results and concatenating them would hold the result twice).
    ``chunk_size=None`` means ``CHUNK_SIZE``, read at call time.
    """
    if chunk_size is None:
        chunk_size = CHUNK_SIZE
    try:
        n = _num_samples(X)
    except TypeError:
        return np.asarray(func(X))
    if n <= chunk_size:
        return np.asarray(func(X))
    (X,) = indexable(X)  # sparse matrices as CSR, which slices rows
    result = None
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        part = np.asarray(func(_safe_indexing(X, slice(start, stop))))
        if result is None:
            result = np.empty((n,) + part.shape[1:], dtype=part.dtype)
        elif not np.can_cast(part.dtype, result.dtype, casting="safe"):
            # e.g. strings: a later chunk's labels may be longer.
            result = result.astype(np.result_type(result.dtype, part.dtype))
        result[start:stop] = part
    return result


def _predict_chunked(estimator, X, method, chunk_size):
    return in_chunks(getattr(estimator, method), X, chunk_size)


def _predict_task(estimator, X, method, chunk_size, task):
    with running(task):
        return _predict_chunked(estimator, X, method, chunk_size)


def member_outputs(
    estimators, X, methods, *, n_jobs=None, chunk_size=CHUNK_SIZE, tasks=None
):
    """Each member's raw output for ``X``, predicted in row chunks.

    Members run in parallel (threads by default; any joblib backend in a
    ``parallel_config`` context, such as Dask, is used instead). ``tasks``:
    one progress leaf per member (see :mod:`skmerge._progress`), or None.
    """
    tasks = [None] * len(estimators) if tasks is None else tasks
    if len(estimators) == 1 or effective_n_jobs(n_jobs) == 1:
        # A plain loop: joblib's overhead (about a millisecond a call) would
        # show in a grid search that calls this once per candidate and fold.
        return [
            _predict_task(est, X, method, chunk_size, task)
            for est, method, task in zip(estimators, methods, tasks)
        ]
    return Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_predict_task)(est, X, method, chunk_size, task)
        for est, method, task in zip(estimators, methods, tasks)
    )


def to_class_columns(output, method, member_classes, classes):
    """Put a member's output in the column order of ``classes``.

    ``predict_proba`` and ``decision_function`` outputs become float64 arrays of
    shape ``(n_samples, n_classes)``; a binary 1-D decision function ``z``
    becomes the logits ``(0, z)``. ``predict`` becomes one-hot votes.
    """
    member_classes = np.asarray(member_classes)
    index = np.searchsorted(classes, member_classes)
    if method == "predict":
        out = np.zeros((len(output), len(classes)))
        out[np.arange(len(output)), np.searchsorted(classes, output)] = 1.0
        return out
    output = np.asarray(output, dtype=np.float64)
    if output.ndim == 1 or output.shape[1] == 1:
        column = output.reshape(-1)
        output = np.column_stack([np.zeros_like(column), column])
    out = np.empty((output.shape[0], len(classes)))
    out[:, index] = output
    return out


def _fit_task(estimator, X, y, fit_params, message, task):
    # The callbacks reach the clone in the worker, as in GridSearchCV.
    with running(task, estimator):
        return _fit_single_estimator(
            estimator, X, y, fit_params, message_clsname="skmerge", message=message
        )


def fit_members(
    estimators, X, y, *, fit_params=None, n_jobs=None, verbose=0, tasks=None
):
    """Fit clones of ``estimators`` on ``X, y`` in parallel; return them.

    ``tasks``: one progress leaf per member, or None.
    """
    fit_params = fit_params or {}
    tasks = [None] * len(estimators) if tasks is None else tasks
    return Parallel(n_jobs=n_jobs)(
        delayed(_fit_task)(
            clone(est),
            X,
            y,
            fit_params.get(name, {}) if _per_member(fit_params) else fit_params,
            f"fitting member {name!r} ({i + 1} of {len(estimators)})"
            if verbose
            else None,
            task,
        )
        for i, ((name, est), task) in enumerate(zip(estimators, tasks))
    )


def _per_member(fit_params):
    return bool(fit_params) and all(isinstance(v, Bunch) for v in fit_params.values())


def out_of_fold_outputs(
    estimators,
    X,
    y,
    methods,
    *,
    cv,
    fit_params=None,
    n_jobs=None,
    verbose=0,
    tasks=None,
):
    """Out-of-fold outputs of unfitted ``estimators`` from ``cv``, as
    :func:`~sklearn.model_selection.cross_val_predict` gives them.

    ``tasks``: one progress leaf per member, or None. (The fold fits inside
    ``cross_val_predict`` get no callbacks: it does not pass them on.)
    """
    cv = check_cv(cv, y, classifier=True)
    fit_params = fit_params or {}
    tasks = [None] * len(estimators) if tasks is None else tasks
    outputs = []
    for (name, est), method, task in zip(estimators, methods, tasks):
        params = fit_params.get(name, {}) if _per_member(fit_params) else fit_params
        if verbose:
            print(f"[skmerge] out-of-fold {method} of member {name!r}")
        with running(task):
            outputs.append(
                cross_val_predict(
                    clone(est), X, y, cv=cv, method=method, n_jobs=n_jobs,
                    # {} rather than None: scikit-learn 1.6 unpacks it when
                    # metadata routing is enabled.
                    params=dict(params),
                )
            )
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


class _MemberEnsemble(
    ClassifierMixin, CallbackSupportMixin, _BaseHeterogeneousEnsemble
):
    """What SoupClassifier and StackingMerger share: members as named pairs
    or a plain list, prefit members that survive ``clone``, members' tags and
    metadata routing, and (scikit-learn >= 1.9) ``set_callbacks``."""

    @property
    def named_estimators(self):
        """Members by name, as given (not fitted copies).

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(name_members(self.estimators)))

    def _named_members(self):
        """Validated ``(name, estimator)`` pairs, without the dropped ones."""
        named = name_members(self.estimators)
        self._validate_names([name for name, _ in named])
        named = [(name, est) for name, est in named if not _is_drop(est)]
        if not named:
            raise ValueError("All members are dropped; at least one is required.")
        for name, est in named:
            if not (hasattr(est, "fit") and hasattr(est, "get_params")):
                # Checked first: is_classifier raises an AttributeError on
                # objects without __sklearn_tags__ (scikit-learn >= 1.7).
                raise ValueError(
                    f"Member {name!r} ({type(est).__name__}) is not a scikit-learn "
                    "classifier (an estimator with fit and get_params), nor "
                    f'"drop"; got {est!r}.'
                )
            if not is_classifier(est):
                raise ValueError(
                    f"Member {name!r} ({type(est).__name__}) is not a classifier."
                )
            if self.prefit:
                check_member_fitted(name, est)
        return named

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
        # Plain super(): ClassifierMixin, before _BaseHeterogeneousEnsemble in
        # the MRO, sets estimator_type="classifier" (is_classifier, stratified
        # CV in GridSearchCV); its members' tags are recomputed just below.
        tags = super().__sklearn_tags__()
        try:
            members = [e for _, e in name_members(self.estimators) if not _is_drop(e)]
            tags.input_tags.allow_nan = all(get_tags(e).input_tags.allow_nan for e in members)
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
        for name, est in name_members(self.estimators):
            if not _is_drop(est):
                router.add(
                    **{name: est},
                    method_mapping=MethodMapping().add(callee="fit", caller="fit"),
                )
        return router


def _is_drop(est):
    return isinstance(est, str) and est == "drop"
