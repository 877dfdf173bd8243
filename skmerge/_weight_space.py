# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Weight-space averaging of fitted classifiers and regressors
(``combine="params"``).

Members of one family are averaged parameter by parameter into one new fitted
estimator of that family:

- ``"linear"``: classifiers and regressors whose predictions come from
  ``coef_`` and ``intercept_`` (LogisticRegression, SGDClassifier,
  LinearSVC, RidgeClassifier, Perceptron, LinearRegression, Ridge, Lasso,
  ElasticNet, SGDRegressor, HuberRegressor, ...). Averaging the parameters
  averages the decision functions (a regressor's predictions) exactly.
- ``"mlp"``: :class:`~sklearn.neural_network.MLPClassifier` or
  :class:`~sklearn.neural_network.MLPRegressor` with identical
  layer shapes and activations; ``coefs_`` and ``intercepts_`` are averaged
  layer by layer. Networks trained from different initialisations should be
  aligned first with :func:`align_mlps` (weight matching, Ainsworth et al.
  2023, "Git Re-Basin").
- ``"pipeline"``: :class:`~sklearn.pipeline.Pipeline` members whose steps
  before the final one are fitted identically; their final steps are merged.

Members wrapped in :class:`~sklearn.frozen.FrozenEstimator` are unwrapped;
results are plain, new estimators. The members passed in are never modified.

``_linear_proba_from_decision`` is a private helper for recipes: it turns a
weighted average of linear members' decision functions into the merged
model's probabilities without building the merged model.
"""

import copy
import functools
import types

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, is_regressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
from sklearn.linear_model._stochastic_gradient import BaseSGD
from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron
from sklearn.pipeline import Pipeline

from skmerge._base import to_class_columns

_USE_PROBA = 'Use combine="proba" to average their predicted probabilities instead.'
_USE_MEAN = 'Use combine="mean" to average their predictions instead.'

_SUPPORTED = (
    "averaging parameters needs fitted linear models with coef_ and "
    "intercept_ (such as LogisticRegression, SGDClassifier, LinearSVC, "
    "RidgeClassifier, LinearRegression, Ridge, SGDRegressor), fitted "
    "MLPClassifiers or MLPRegressors, or Pipelines ending in one of them"
)


def _use_instead(estimators):
    """The pooling to suggest instead of averaging parameters."""
    if any(is_regressor(final_step(est)) for est in estimators):
        return _USE_MEAN
    return _USE_PROBA


def weight_space_family(estimators, names):
    """Return the weight-space family shared by fitted members, or raise.

    Parameters
    ----------
    estimators : list of estimators
        Fitted members. :class:`~sklearn.frozen.FrozenEstimator` wrappers are
        unwrapped.
    names : list of str
        One name per member, used in error messages.

    Returns
    -------
    family : {"linear", "mlp", "pipeline"}
        The family of the members.

    Raises
    ------
    ValueError
        If a member is not of a supported family, if members are of different
        classes, or if they are incompatible (classes, parameter shapes,
        activations, differently fitted preprocessing steps). The message
        names the offending member(s), says why, and suggests
        ``combine="proba"`` where it applies.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> a = LogisticRegression(max_iter=500).fit(X, y)
    >>> b = LogisticRegression(C=0.1, max_iter=500).fit(X, y)
    >>> weight_space_family([a, b], ["a", "b"])
    'linear'
    >>> tree = DecisionTreeClassifier().fit(X, y)
    >>> weight_space_family([a, tree], ["a", "tree"])
    Traceback (most recent call last):
        ...
    ValueError: member 'tree' (DecisionTreeClassifier) cannot be averaged ...
    """
    estimators, labels = _unwrap_members(estimators, names)
    return _check_family(estimators, labels)


def average_estimators(estimators, weights, names):
    """Average fitted members in weight space into one new fitted estimator.

    Parameters
    ----------
    estimators : list of estimators
        Fitted members of one family (see :func:`weight_space_family`).
    weights : array-like of shape (n_members,)
        Non-negative weights summing to 1. Members with zero weight do not
        enter the average, but must still be compatible.
    names : list of str
        One name per member, used in error messages.

    Returns
    -------
    merged : estimator
        A new fitted estimator: a deep copy of the first member (unwrapped
        from :class:`~sklearn.frozen.FrozenEstimator`) whose parameters are
        the weighted average of the members' (``coef_``/``intercept_`` for
        linear models, ``coefs_``/``intercepts_`` for MLPs, the final step for
        pipelines), in the first member's class order and dtype. Everything
        else (hyper-parameters, ``n_iter_``, optimiser state, ...) is the
        first member's.

    Raises
    ------
    ValueError
        If the members cannot be averaged (see :func:`weight_space_family`)
        or the weights are invalid.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> a = LogisticRegression(max_iter=500).fit(X, y)
    >>> b = LogisticRegression(C=0.1, max_iter=500).fit(X, y)
    >>> merged = average_estimators([a, b], [0.75, 0.25], ["a", "b"])
    >>> bool(np.allclose(merged.coef_, 0.75 * a.coef_ + 0.25 * b.coef_))
    True
    >>> merged is a
    False
    """
    estimators, labels = _unwrap_members(estimators, names)
    family = _check_family(estimators, labels)
    weights = _check_weights(weights, len(estimators))
    return _average(family, estimators, weights)


def align_mlps(estimators, names, *, max_iter=100):
    """Permute MLPs' hidden units to match the first one's (weight matching).

    Weight matching (Ainsworth et al. 2023, "Git Re-Basin: Merging Models
    modulo Permutation Symmetries", algorithm 1): for each member after the
    first, find one permutation per hidden layer maximising the inner product
    between the first network's weights and the permuted member's weights
    (incoming weights, biases and outgoing weights), i.e. minimising their L2
    distance. It is coordinate descent over the hidden layers, each step an
    assignment problem solved by :func:`scipy.optimize.linear_sum_assignment`,
    repeated until a sweep changes no permutation, at most `max_iter` sweeps.

    The descent starts from whichever is closer to the first network: no
    permutation, or a forward pass matching each hidden layer on its incoming
    weights and biases alone. The second start recovers an exactly permuted
    copy of the first network, and starting from the better of the two means
    the result is never farther from the first network than the unaligned
    member.

    Parameters
    ----------
    estimators : list of MLPClassifier or MLPRegressor
        Fitted MLPs with the same layer shapes, activation and classes.
        :class:`~sklearn.frozen.FrozenEstimator` wrappers are unwrapped.
    names : list of str
        One name per member, used in error messages.
    max_iter : int, default=100
        Maximum number of sweeps over the hidden layers.

    Returns
    -------
    aligned : list of MLPClassifier or MLPRegressor
        New estimators: a copy of the first member, then each other member
        with its hidden units permuted. Each computes the same function as the
        member it comes from (equal up to float rounding).

    Raises
    ------
    ValueError
        If a member is not a fitted MLP, or members differ in layer
        shapes, activations or classes.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neural_network import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mlp = MLPClassifier((6,), max_iter=50, random_state=0).fit(X, y)
    >>> shuffled = permute_mlp_hidden(mlp, [np.array([5, 3, 1, 0, 2, 4])])
    >>> first, second = align_mlps([mlp, shuffled], ["mlp", "shuffled"])
    >>> all(np.array_equal(a, b) for a, b in zip(second.coefs_, mlp.coefs_))
    True
    """
    if (
        not isinstance(max_iter, (int, np.integer))
        or isinstance(max_iter, bool)
        or max_iter < 1
    ):
        raise ValueError(f"max_iter must be an integer >= 1; got {max_iter!r}.")
    estimators, labels = _unwrap_members(estimators, names)
    for est, label in zip(estimators, labels, strict=True):
        if not isinstance(est, BaseMultilayerPerceptron) or not hasattr(est, "coefs_"):
            what = (
                f"an unfitted {type(est).__name__}"
                if isinstance(est, BaseMultilayerPerceptron)
                else f"a {type(est).__name__}"
            )
            raise ValueError(
                'align="permutation" needs fitted MLPClassifier or MLPRegressor '
                f"members; {label} is {what}."
            )
    _check_mlps(estimators, labels)

    ref = estimators[0]
    ref_coefs, ref_intercepts = _mlp_params(ref, _classes(ref))
    aligned = [copy.deepcopy(ref)]
    for est in estimators[1:]:
        coefs, intercepts = _mlp_params(est, _classes(ref))
        perms = _weight_matching(ref_coefs, ref_intercepts, coefs, intercepts, max_iter)
        aligned.append(permute_mlp_hidden(est, perms))
    return aligned


def permute_mlp_hidden(mlp, perms):
    """Return a new MLP with each hidden layer's units reordered.

    Unit ``j`` of hidden layer ``l`` of the result is unit ``perms[l][j]`` of
    `mlp`: the incoming weights and biases and the outgoing weights move
    together, so the network computes the same function. The optimiser state
    kept for ``partial_fit`` and ``warm_start`` is permuted too.

    Parameters
    ----------
    mlp : MLPClassifier or MLPRegressor
        A fitted MLP (a :class:`~sklearn.frozen.FrozenEstimator` wrapper is
        unwrapped). It is not modified.
    perms : list of array-like of int
        One permutation of ``range(hidden_layer_size)`` per hidden layer.

    Returns
    -------
    permuted : MLPClassifier or MLPRegressor
        A new fitted estimator.

    Raises
    ------
    ValueError
        If `mlp` is not a fitted MLP, or `perms` does not hold one
        permutation of the right size per hidden layer.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neural_network import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mlp = MLPClassifier((3,), max_iter=50, random_state=0).fit(X, y)
    >>> permuted = permute_mlp_hidden(mlp, [[2, 0, 1]])
    >>> bool(np.array_equal(permuted.coefs_[0], mlp.coefs_[0][:, [2, 0, 1]]))
    True
    >>> bool(np.allclose(permuted.predict_proba(X), mlp.predict_proba(X)))
    True
    """
    mlp = unwrap(mlp)
    if not isinstance(mlp, BaseMultilayerPerceptron) or not hasattr(mlp, "coefs_"):
        raise ValueError(
            "permute_mlp_hidden needs a fitted MLPClassifier or MLPRegressor; "
            f"got {type(mlp).__name__}."
        )
    sizes = [b.shape[0] for b in mlp.intercepts_[:-1]]
    if len(perms) != len(sizes):
        raise ValueError(
            "perms must hold one permutation per hidden layer; "
            f"got {len(perms)} for {len(sizes)} hidden layers."
        )
    checked = []
    for layer, (perm, size) in enumerate(zip(perms, sizes, strict=True)):
        perm = np.asarray(perm)
        if (
            perm.shape != (size,)
            or not np.issubdtype(perm.dtype, np.integer)
            or not np.array_equal(np.sort(perm), np.arange(size))
        ):
            raise ValueError(
                f"perms[{layer}] must be a permutation of range({size}); got {perm!r}."
            )
        checked.append(perm)

    permuted = copy.deepcopy(mlp)
    permuted.coefs_, permuted.intercepts_ = _permute_params(
        mlp.coefs_, mlp.intercepts_, checked
    )
    if getattr(mlp, "_best_coefs", None) is not None:
        permuted._best_coefs, permuted._best_intercepts = _permute_params(
            mlp._best_coefs, mlp._best_intercepts, checked
        )
    # Optimiser state (Adam moments, SGD velocities) is kept per parameter, in
    # the order coefs_ + intercepts_.
    optimizer = getattr(permuted, "_optimizer", None)
    n_layers = len(mlp.coefs_)
    for attr in ("velocities", "ms", "vs"):
        state = getattr(optimizer, attr, None)
        if isinstance(state, list) and len(state) == 2 * n_layers:
            coefs, intercepts = _permute_params(
                state[:n_layers], state[n_layers:], checked
            )
            setattr(optimizer, attr, coefs + intercepts)
    return permuted


def _linear_proba_from_decision(estimator, decision):
    """Probabilities a linear classifier gives to samples with `decision`.

    Averaging linear members' parameters averages their decision functions
    exactly: with weights ``w`` summing to 1, the merged model's
    ``decision_function(X)`` equals ``sum_j w_j D_j(X)``, where ``D_j`` is
    member ``j``'s decision function with its columns in the first member's
    class order (a binary member whose ``classes_`` are reversed contributes
    ``-D_j``). A recipe can therefore compute the members' decision functions
    once and score many merged candidates by passing their weighted averages
    here, without building the candidates.

    Parameters
    ----------
    estimator : estimator
        A member of the "linear" family, or a Pipeline ending in one (the
        final step is used, the preprocessing being shared), possibly wrapped
        in FrozenEstimator. Its ``coef_`` only fixes the shape; its
        probability mapping (sigmoid, softmax, one-vs-rest normalisation,
        modified Huber, ...) is the merged model's.
    decision : array-like of shape (n_samples,) or (n_samples, n_rows)
        Decision function values, ``n_rows`` being the number of rows of
        ``coef_`` (1 for binary problems).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        What the merged model's ``predict_proba`` returns for those samples.

    Raises
    ------
    AttributeError
        If the estimator has no ``predict_proba`` (LinearSVC, Ridge, ...).
    """
    est = unwrap(estimator)
    if isinstance(est, Pipeline):
        est = unwrap(est.steps[-1][1])
    decision = np.asarray(decision, dtype=np.float64)
    if decision.ndim == 1:
        decision = decision[:, np.newaxis]
    n_rows = _n_rows(est.coef_)
    if decision.ndim != 2 or decision.shape[1] != n_rows:
        raise ValueError(
            f"decision must have {n_rows} column(s), one per row of coef_; "
            f"got shape {decision.shape}."
        )
    # A probe whose decision function is the identity: feeding it the decision
    # values as features runs the estimator's own probability mapping.
    probe = copy.copy(est)
    probe.coef_ = np.eye(n_rows)
    probe.intercept_ = np.zeros(n_rows)
    probe.n_features_in_ = n_rows
    probe.__dict__.pop("feature_names_in_", None)
    return probe.predict_proba(decision)


# Checks ---------------------------------------------------------------------


def _unwrap_members(estimators, names):
    estimators = [unwrap(est) for est in estimators]
    names = list(names)
    if not estimators:
        raise ValueError("Weight-space averaging needs at least one estimator.")
    if len(names) != len(estimators):
        raise ValueError(
            "Number of estimators and names must be equal; "
            f"got {len(names)} names, {len(estimators)} estimators."
        )
    return estimators, [f"member {name!r}" for name in names]


def _check_weights(weights, n_estimators):
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] != n_estimators:
        raise ValueError(
            "Number of estimators and weights must be equal; got "
            f"{weights.size} weights, {n_estimators} estimators."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"weights must be finite and >= 0; got {weights}.")
    if not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-8):
        raise ValueError(f"weights must sum to 1; got sum {weights.sum()!r}.")
    return weights


# The model families: the only place in skmerge that knows them.
# Linear models' predictions are functions of X @ coef_.T + intercept_ alone
# (LogisticRegression, SGDClassifier, RidgeClassifier, LinearSVC, Perceptron,
# LinearDiscriminantAnalysis... and the linear regressors).
_LINEAR = (LinearClassifierMixin, LinearModel, BaseSGD)


def unwrap(est):
    """The estimator inside (nested) FrozenEstimator wrappers."""
    while isinstance(est, FrozenEstimator):
        est = est.estimator
    return est


def final_step(est):
    """A member's model: a Pipeline's last step, FrozenEstimators unwrapped."""
    est = unwrap(est)
    return unwrap(est.steps[-1][1]) if isinstance(est, Pipeline) else est


def linear_parts(est):
    """``(preprocessing steps, last step)`` of a member, FrozenEstimator unwrapped.

    The preprocessing steps are a Pipeline's steps before its last one, without
    ``"passthrough"`` / ``None`` steps; a bare estimator has none.
    """
    est = unwrap(est)
    if isinstance(est, Pipeline):
        pre = [
            (name, unwrap(step))
            for name, step in est.steps[:-1]
            if step is not None
            and not (isinstance(step, str) and step == "passthrough")
        ]
        return pre, unwrap(est.steps[-1][1])
    return [], est


def is_linear(est, *, fitted=True):
    """Whether ``est`` (unwrapped) is a linear model; when ``fitted``, one
    whose ``coef_`` and ``intercept_`` are stored (SVC(kernel="linear")
    computes its coef_ from support vectors, and its one-vs-one votes are not
    linear in X)."""
    if not isinstance(est, _LINEAR):
        return False
    if not fitted:
        return True
    state = vars(est)
    coef = state.get("coef_")
    return (
        "intercept_" in state
        and (sparse.issparse(coef) or isinstance(coef, np.ndarray))
        and np.ndim(coef) in (1, 2)
    )


def _family(est, *, fitted=True):
    """``"pipeline"``, ``"mlp"``, ``"linear"`` or None, for an unwrapped
    member; when ``fitted``, only one fitted as its family needs."""
    if isinstance(est, Pipeline):
        return "pipeline"
    if isinstance(est, BaseMultilayerPerceptron):
        return "mlp" if not fitted or hasattr(est, "coefs_") else None
    if is_linear(est, fitted=fitted):
        return "linear"
    return None


def soup_family(named, *, fitted):
    """The family of the model a weight-space soup of ``named`` members is,
    ``"linear"`` or ``"mlp"`` (a Pipeline's final step decides), or raise.

    Fitted members are checked in full (:func:`weight_space_family`);
    unfitted ones (``prefit=False``) on what their classes and parameters
    tell before any of them is fitted.
    """
    names = [name for name, _ in named]
    members = [est for _, est in named]
    if fitted:
        weight_space_family(members, names)
    else:
        _check_unfitted(named)
    return _family(final_step(members[0]), fitted=False)


def check_alignable(named):
    """Raise unless every member is an MLP (``align="permutation"``)."""
    for name, est in named:
        if not isinstance(unwrap(est), BaseMultilayerPerceptron):
            raise ValueError(
                'align="permutation" needs combine="params" over MLP members '
                "(MLPClassifier or MLPRegressor); "
                f"member {name!r} is a {type(unwrap(est)).__name__}."
            )


def linear_link(reference, classes):
    """A linear soup's probability mapping, on class-column means of its
    members' decision functions (see :func:`_linear_proba_from_decision`).

    LogisticRegression's probabilities are the softmax of its decision
    columns (``(0, z)`` for binary), and members without ``predict_proba``
    get the softmax by skmerge's convention: both are ``"softmax"``. Other
    mappings (SGDClassifier's one-vs-rest normalisation, modified Huber...)
    run the merged model's own code.
    """
    final = final_step(reference)
    if isinstance(final, LogisticRegression) or not hasattr(final, "predict_proba"):
        return "softmax"
    ref_classes = np.asarray(final.classes_)
    index = np.searchsorted(classes, ref_classes)
    binary = final.coef_.shape[0] == 1

    def link(mean):
        decision = mean[:, index[1]] - mean[:, index[0]] if binary else mean[:, index]
        proba = _linear_proba_from_decision(reference, decision)
        return to_class_columns(proba, "predict_proba", ref_classes, classes)

    return link


def _check_unfitted(named):
    labels = [f"member {name!r}" for name, _ in named]
    members = [unwrap(est) for _, est in named]
    for est, label in zip(members, labels, strict=True):
        family = _family(final_step(est), fitted=False)
        if family not in ("linear", "mlp"):
            raise ValueError(
                f"{_describe(est, label)} cannot be averaged in weight space: "
                f"{_SUPPORTED}. {_use_instead(members)}"
            )
    _check_same_class(members, labels)
    first = final_step(members[0])
    if _family(first, fitted=False) == "mlp":
        # Networks of other shapes or activations cannot be averaged: known
        # from their parameters, before any of them is fitted.
        for est, label in zip(members[1:], labels[1:], strict=True):
            for param in ("hidden_layer_sizes", "activation"):
                a, b = first.get_params()[param], final_step(est).get_params()[param]
                if np.atleast_1d(a).tolist() != np.atleast_1d(b).tolist():
                    raise ValueError(
                        f"{labels[0]} and {label} have different {param}: {a!r} vs "
                        f"{b!r}; weight-space averaging needs identical networks. "
                        f"{_use_instead(members)}"
                    )


def _describe(est, label):
    return f"{label} ({type(est).__name__})"


def _check_family(estimators, labels):
    """Check members (already unwrapped) and return their family."""
    unsupported = [
        _describe(est, label)
        for est, label in zip(estimators, labels, strict=True)
        if _family(est) is None
    ]
    if unsupported:
        raise ValueError(
            f"{', '.join(unsupported)} cannot be averaged in weight space: "
            f"{_SUPPORTED}. {_use_instead(estimators)}"
        )
    _check_same_class(estimators, labels)
    family = _family(estimators[0])
    if family == "linear":
        _check_linear(estimators, labels)
    elif family == "mlp":
        _check_mlps(estimators, labels)
    else:
        _check_pipelines(estimators, labels)
    return family


def _check_same_class(estimators, labels):
    first, first_label = estimators[0], labels[0]
    for est, label in zip(estimators[1:], labels[1:], strict=True):
        if type(est) is not type(first):
            raise ValueError(
                f"{_describe(first, first_label)} and {_describe(est, label)} "
                "are of different classes; weight-space averaging needs "
                f"members of one class. {_use_instead(estimators)}"
            )


def _classes(est):
    """A classifier's ``classes_``; None for a regressor (no output order)."""
    return getattr(est, "classes_", None)


def _check_classes(ref, est, ref_label, label):
    if _classes(ref) is None:
        return
    ref_classes, classes = np.asarray(ref.classes_), np.asarray(est.classes_)
    if len(ref_classes) != len(classes) or set(ref_classes.tolist()) != set(
        classes.tolist()
    ):
        raise ValueError(
            f"{ref_label} and {label} have different classes: "
            f"{ref_classes} vs {classes}; members must agree on their class set."
        )


def _check_outputs(n_outputs, est, label, what):
    if _classes(est) is None:
        if n_outputs != 1:
            raise ValueError(
                f"{label} has {what} with {n_outputs} outputs; skmerge merges "
                "regressors of one target."
            )
        return
    n_classes = len(est.classes_)
    if n_outputs != n_classes and not (n_outputs == 1 and n_classes == 2):
        raise ValueError(
            f"{label} has {what} with {n_outputs} output(s) for {n_classes} "
            "classes; expected one per class, or one for two classes."
        )


def _check_linear(estimators, labels):
    ref, ref_label = estimators[0], labels[0]
    for est, label in zip(estimators, labels, strict=True):
        _check_classes(ref, est, ref_label, label)
        if est.coef_.shape != ref.coef_.shape:
            raise ValueError(
                f"{ref_label} and {label} have coef_ of different shapes: "
                f"{ref.coef_.shape} vs {est.coef_.shape}."
            )
        intercept_shape = np.shape(est.intercept_)
        n_rows = _n_rows(est.coef_)
        if intercept_shape not in ((), (n_rows,)):
            raise ValueError(
                f"{label} has intercept_ of shape {intercept_shape} for coef_ "
                f"of shape {est.coef_.shape}."
            )
        _check_outputs(n_rows, est, label, "coef_")


def _check_mlps(estimators, labels):
    ref, ref_label = estimators[0], labels[0]
    ref_shapes = [c.shape for c in ref.coefs_]
    for est, label in zip(estimators, labels, strict=True):
        _check_classes(ref, est, ref_label, label)
        for attr in ("activation", "out_activation_"):
            if getattr(est, attr) != getattr(ref, attr):
                raise ValueError(
                    f"{ref_label} and {label} have different {attr}: "
                    f"{getattr(ref, attr)!r} vs {getattr(est, attr)!r}; "
                    "weight-space averaging needs identical networks. "
                    + _use_instead(estimators)
                )
        shapes = [c.shape for c in est.coefs_]
        if shapes != ref_shapes:
            raise ValueError(
                f"{ref_label} and {label} have different layer shapes: coefs_ "
                f"of shapes {ref_shapes} vs {shapes}; weight-space averaging "
                f"needs identical hidden_layer_sizes. {_use_instead(estimators)}"
            )
        _check_outputs(shapes[-1][1], est, label, "an output layer")


def _check_pipelines(pipelines, labels):
    ref, ref_label = pipelines[0], labels[0]
    ref_names = [name for name, _ in ref.steps]
    for pipe, label in zip(pipelines[1:], labels[1:], strict=True):
        step_names = [name for name, _ in pipe.steps]
        if step_names != ref_names:
            raise ValueError(
                f"{ref_label} and {label} are Pipelines with different steps: "
                f"{ref_names} vs {step_names}. {_use_instead(pipelines)}"
            )
        for (name, ref_step), (_, step) in zip(
            ref.steps[:-1], pipe.steps[:-1], strict=True
        ):
            difference = _fitted_difference(ref_step, step)
            if difference is not None:
                raise ValueError(
                    f"{ref_label} and {label} have differently fitted step "
                    f"{name!r} ({difference}); weight-space averaging needs "
                    "the steps before the final one fitted identically (fit "
                    f"them once and share them). {_use_instead(pipelines)}"
                )
    final = ref_names[-1]
    _check_family(
        [unwrap(pipe.steps[-1][1]) for pipe in pipelines],
        [f"final step {final!r} of {label}" for label in labels],
    )


def _fitted_difference(a, b, path="", _active=None):
    """Compare two objects' fitted state; return None or the first difference.

    Estimators are equal when they are of the same class with equal
    ``get_params(deep=False)`` and equal attributes (fitted ones included),
    compared recursively: arrays element-wise (NaN equal to NaN), containers
    item by item, random states by state, and other objects with ``==`` or,
    failing that, by their attributes.
    """
    if a is b:
        return None
    where = path or "value"
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    # Guard against reference cycles: a pair already being compared is
    # assumed equal here (any difference shows up where it is compared).
    _active = set() if _active is None else _active
    key = (id(a), id(b))
    if key in _active:
        return None
    _active.add(key)
    try:
        return _difference(a, b, path, where, _active)
    finally:
        _active.discard(key)


def _difference(a, b, path, where, active):
    if isinstance(a, BaseEstimator):
        return _fitted_difference(
            a.get_params(deep=False), b.get_params(deep=False), path, active
        ) or _fitted_difference(vars(a), vars(b), path, active)
    if isinstance(a, (dict, list, tuple)):
        return _container_difference(a, b, path, where, active)
    if isinstance(a, np.ndarray) or sparse.issparse(a):
        return _array_difference(a, b, path, where, active)
    if isinstance(a, np.random.RandomState):
        return _fitted_difference(a.get_state(), b.get_state(), path, active)
    if isinstance(a, np.random.Generator):
        return _fitted_difference(
            a.bit_generator.state, b.bit_generator.state, path, active
        )
    if isinstance(a, (float, np.floating, complex, np.complexfloating)):
        if a == b or (np.isnan(a) and np.isnan(b)):
            return None
        return f"{where}: {_show(a)} vs {_show(b)}"
    try:
        if bool(a == b):
            return None
    except Exception:  # noqa: BLE001 - objects whose == is not a truth value
        pass
    # Plain helper objects, callable ones included (make_column_selector),
    # are compared by their attributes; not functions, classes or partials,
    # whose state is not in their __dict__.
    if hasattr(a, "__dict__") and not isinstance(a, _OPAQUE):
        return _fitted_difference(vars(a), vars(b), path, active)
    return f"{where}: {_show(a)} vs {_show(b)}"


def _container_difference(a, b, path, where, active):
    """Dicts key by key, lists and tuples item by item."""

    def join(step):
        return f"{path}.{step}" if path and not step.startswith("[") else path + step

    if isinstance(a, dict):
        if a.keys() != b.keys():
            extra = sorted(map(str, a.keys() ^ b.keys()))
            return f"{where}: keys {extra} in only one of them"
        items = [
            (a[k], b[k], join(str(k) if isinstance(k, str) else f"[{k!r}]")) for k in a
        ]
    else:
        if len(a) != len(b):
            return f"{where}: lengths {len(a)} vs {len(b)}"
        items = [(x, y, join(f"[{i}]")) for i, (x, y) in enumerate(zip(a, b))]
    for x, y, step in items:
        difference = _fitted_difference(x, y, step, active)
        if difference is not None:
            return difference
    return None


def _array_difference(a, b, path, where, active):
    """Arrays element-wise (NaN equal to NaN; objects recursively), sparse
    matrices by their non-zero differences."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return (
            f"{where}: arrays of shape {a.shape} and dtype {a.dtype} vs "
            f"shape {b.shape} and dtype {b.dtype}"
        )
    if sparse.issparse(a):
        equal = (a != b).nnz == 0
    elif a.dtype == object:
        equal = all(
            _fitted_difference(x, y, path, active) is None
            for x, y in zip(a.ravel(), b.ravel(), strict=True)
        )
    else:
        equal = np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return None if equal else f"{where}: different values"


_OPAQUE = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    type,
    functools.partial,
)


def _show(value):
    return repr(value.item() if isinstance(value, np.generic) else value)


# Averaging ------------------------------------------------------------------


def _average(family, estimators, weights):
    if family == "linear":
        return _average_linear(estimators, weights)
    if family == "mlp":
        return _average_mlps(estimators, weights)
    return _average_pipelines(estimators, weights)


def _weighted_mean(arrays, weights, dtype):
    """Weighted mean computed as ``ref + sum_j w_j (a_j - ref)`` in float64.

    ``ref`` is the first array with a non-zero weight: for weights summing to
    1 this is the weighted mean, and it is exactly ``ref`` when the arrays
    are equal. Zero-weight arrays are skipped.
    """
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    used = [(w, a) for w, a in zip(weights, arrays, strict=True) if w > 0]
    ref = np.asarray(used[0][1], dtype=np.float64)
    total = ref.copy()
    for w, a in used[1:]:
        total += w * (np.asarray(a, dtype=np.float64) - ref)
    return total.astype(dtype, copy=False)


def _class_order(classes, ref_classes):
    """Indices ``idx`` with ``classes[idx] == ref_classes``, or None if equal."""
    classes = np.asarray(classes).tolist()
    ref_classes = np.asarray(ref_classes).tolist()
    if classes == ref_classes:
        return None
    position = {c: i for i, c in enumerate(classes)}
    return np.array([position[c] for c in ref_classes])


def _align_outputs(weights, bias, classes, ref_classes, axis):
    """Express an output layer in the class order `ref_classes`.

    One output per class: reorder the outputs. One output for two classes (it
    scores ``classes[1]``): negate it when the order is reversed.
    """
    order = _class_order(classes, ref_classes)
    if order is None:
        return weights, bias
    if weights.shape[axis] == 1:
        return -weights, -bias
    return np.take(weights, order, axis=axis), bias[order]


def _n_rows(coef):
    # RidgeClassifier stores a binary problem's coef_ as 1-D: one row.
    return 1 if np.ndim(coef) == 1 else coef.shape[0]


def coef_intercept(est):
    """A linear model's ``coef_`` as a dense float64 ``(n_outputs,
    n_features)`` array and ``intercept_`` as an ``(n_outputs,)`` array (a
    binary RidgeClassifier's 1-D coef_ is one row; a scalar intercept is
    shared by every row)."""
    coef = est.coef_.toarray() if sparse.issparse(est.coef_) else est.coef_
    coef = np.asarray(coef, dtype=np.float64).reshape(_n_rows(coef), -1)
    intercept = np.asarray(est.intercept_, dtype=np.float64).reshape(-1)
    return coef, np.array(np.broadcast_to(intercept, (coef.shape[0],)))


def _linear_params(est, ref_classes):
    """``coef_`` and ``intercept_`` as :func:`coef_intercept`, in the output
    order of ``ref_classes``."""
    coef, intercept = coef_intercept(est)
    if ref_classes is None:
        return coef, intercept
    return _align_outputs(coef, intercept, est.classes_, ref_classes, axis=0)


def _average_linear(estimators, weights):
    ref = estimators[0]
    params = [_linear_params(est, _classes(ref)) for est in estimators]
    coef = _weighted_mean([c for c, _ in params], weights, ref.coef_.dtype)
    intercept_dtype = np.asarray(ref.intercept_).dtype
    intercept = _weighted_mean([b for _, b in params], weights, intercept_dtype)

    merged = copy.deepcopy(ref)
    if sparse.issparse(ref.coef_):
        merged.coef_ = type(ref.coef_)(coef)
    else:
        merged.coef_ = coef.reshape(ref.coef_.shape)
    if all(np.ndim(est.intercept_) == 0 for est in estimators):
        # fit_intercept=False stores a scalar (all rows share it).
        intercept = intercept[0]
        if isinstance(ref.intercept_, (int, float)):
            intercept = float(intercept)
    merged.intercept_ = intercept
    return merged


def _mlp_params(mlp, ref_classes):
    coefs, intercepts = list(mlp.coefs_), list(mlp.intercepts_)
    if ref_classes is not None:
        coefs[-1], intercepts[-1] = _align_outputs(
            coefs[-1], intercepts[-1], mlp.classes_, ref_classes, axis=1
        )
    return coefs, intercepts


def _average_mlps(estimators, weights):
    ref = estimators[0]
    params = [_mlp_params(est, _classes(ref)) for est in estimators]
    merged = copy.deepcopy(ref)
    merged.coefs_ = [
        _weighted_mean([p[0][i] for p in params], weights, c.dtype)
        for i, c in enumerate(ref.coefs_)
    ]
    merged.intercepts_ = [
        _weighted_mean([p[1][i] for p in params], weights, b.dtype)
        for i, b in enumerate(ref.intercepts_)
    ]
    return merged


def _average_pipelines(pipelines, weights):
    finals = [unwrap(pipe.steps[-1][1]) for pipe in pipelines]
    merged_final = _average(_family(finals[0]), finals, weights)
    merged = copy.deepcopy(pipelines[0])
    merged.steps = [*merged.steps[:-1], (merged.steps[-1][0], merged_final)]
    return merged


# Alignment ------------------------------------------------------------------


def _permute_params(coefs, intercepts, perms):
    """Apply hidden-unit permutations to per-layer lists of arrays."""
    coefs, intercepts = list(coefs), list(intercepts)
    for layer, perm in enumerate(perms):
        coefs[layer] = coefs[layer][:, perm]
        intercepts[layer] = intercepts[layer][perm]
        coefs[layer + 1] = coefs[layer + 1][perm, :]
    return coefs, intercepts


def _similarity(coefs_a, intercepts_a, coefs_b, intercepts_b, perms):
    """Inner product between network A and network B permuted by `perms`."""
    coefs_b, intercepts_b = _permute_params(coefs_b, intercepts_b, perms)
    return sum(
        float(np.vdot(x, y))
        for x, y in zip(coefs_a + intercepts_a, coefs_b + intercepts_b, strict=True)
    )


def _weight_matching(coefs_a, intercepts_a, coefs_b, intercepts_b, max_iter):
    """Permutations of B's hidden units bringing its weights closest to A's."""
    coefs_a = [np.asarray(c, dtype=np.float64) for c in coefs_a]
    coefs_b = [np.asarray(c, dtype=np.float64) for c in coefs_b]
    intercepts_a = [np.asarray(b, dtype=np.float64) for b in intercepts_a]
    intercepts_b = [np.asarray(b, dtype=np.float64) for b in intercepts_b]
    n_hidden = len(coefs_a) - 1

    def cost(layer, perms, outgoing=True):
        # cost[j, k]: similarity of A's unit j and B's unit k in this layer,
        # the neighbouring layers of B being permuted by `perms`.
        incoming = coefs_b[layer] if layer == 0 else coefs_b[layer][perms[layer - 1]]
        result = coefs_a[layer].T @ incoming
        result += np.outer(intercepts_a[layer], intercepts_b[layer])
        if outgoing:
            out = coefs_b[layer + 1]
            if layer + 1 < n_hidden:
                out = out[:, perms[layer + 1]]
            result += coefs_a[layer + 1] @ out.T
        return result

    def similarity(perms):
        return _similarity(coefs_a, intercepts_a, coefs_b, intercepts_b, perms)

    identity = [np.arange(b.shape[0]) for b in intercepts_a[:-1]]
    forward = []
    for layer in range(n_hidden):
        layer_cost = cost(layer, forward, outgoing=False)
        forward.append(linear_sum_assignment(layer_cost, maximize=True)[1])
    perms = forward if similarity(forward) > similarity(identity) else identity
    perms = list(perms)

    for _ in range(max_iter):
        changed = False
        for layer in range(n_hidden):
            layer_cost = cost(layer, perms)
            new = linear_sum_assignment(layer_cost, maximize=True)[1]
            rows = np.arange(layer_cost.shape[0])
            old_value = layer_cost[rows, perms[layer]].sum()
            new_value = layer_cost[rows, new].sum()
            # Accept strict gains only, beyond rounding: this ends the descent.
            if new_value - old_value > 1e-12 * (abs(old_value) + abs(new_value)):
                perms[layer] = new
                changed = True
        if not changed:
            break
    return perms
