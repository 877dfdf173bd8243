# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""``CalibratedClassifier``: temperature, vector, matrix and ensemble
temperature scaling of a fitted classifier's logits, or the best of them by
cross-validation.

Every map takes logits ``z`` of shape ``(n, k)`` to probabilities and is
fitted by minimising the sample-weighted mean log loss on the calibration
data with its exact gradient, warm-started from the temperature fit of
:mod:`skmerge._temperature` (the map each method reduces to at its start).
The affine maps (vector, matrix) are convex problems solved by L-BFGS-B,
matrix scaling by Newton's method with its exact Hessian when that is cheap
(``n * (k * (k + 1))**2`` at most ``_NEWTON_BUDGET``): converged to rounding,
its result does not depend on where an iterative solver stopped; the
ensemble weights are a convex problem on the simplex solved by SLSQP.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.base import (
    _fit_context,
)
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.parallel import _get_threadpool_controller
from sklearn.utils.validation import check_is_fitted

from skmerge._base import (
    in_chunks,
    member_output,
    softmax_in_place,
)
from skmerge._progress import running
from skmerge._temperature import _BaseCalibrator, _check_logits, _fit_temperature

# The methods from the simplest to the richest: "auto" breaks ties this way.
METHODS = ("temperature", "ets", "vector", "matrix")
# The candidates of method="auto": every method but the unregularised
# "vector", whose scales diverge when a class is (nearly) separable in its own
# logit, a failure K folds rarely see (see the CalibratedClassifier
# docstring); "matrix" holds every map "vector" fits, shrunk by its ridge.
AUTO_METHODS = ("temperature", "ets", "matrix")
# The ridge strength of "matrix" is MATRIX_RIDGE * k**2 / n (see the docstring).
MATRIX_RIDGE = 1.0
# Folds of the cross-validation of method="auto".
AUTO_FOLDS = 5
# The range of a sample's out-of-fold loss in "auto": scikit-learn's log loss,
# which clips probabilities to [eps, 1 - eps]. A fold whose training rows the
# logits separate sends the temperature to its bound, and one held-out error
# would otherwise cost about 1e5 and decide the choice alone.
_EPS = np.finfo(np.float64).eps
_LOSS_RANGE = (-np.log1p(-_EPS), -np.log(_EPS))
# Samples per block of an objective's pass: a block's scores (k x m floats)
# stay within half a megabyte, in cache.
_BLOCK_ELEMENTS = 1 << 16
_LBFGS_OPTIONS = {"maxiter": 1000, "ftol": 0.0, "gtol": 1e-12, "maxcor": 20}
# "matrix" is fitted by Newton's method when a Hessian costs at most this many
# multiply-adds (n * (k * (k + 1))**2: 10 classes up to about 4 000 samples),
# by L-BFGS otherwise.
_NEWTON_BUDGET = 5e7
_NEWTON_MAX_ITER = 100


# The fits on arrays ------------------------------------------------------------


def _prepare(logits, y, sample_weight):
    """Float64 logits (a 1-D ``z`` as ``(0, z)``), ``y`` as column indices,
    weights summing to 1, and the weights' total (the sample count)."""
    logits, y, w = _check_logits(logits, y, sample_weight)
    if not np.isfinite(logits).all():
        bad = np.flatnonzero(~np.isfinite(logits).all(axis=1))
        raise ValueError(
            f"`logits` must be finite; got NaN or infinite values in {bad.size} "
            f"row(s), e.g. row {bad[0]}."
        )
    total = float(len(y) if sample_weight is None else np.sum(sample_weight))
    return np.asarray(logits, dtype=np.float64), y, w, total


def _affine_loss(zt, y, w, scores, collect):
    """Weighted log loss of ``softmax(scores(z))`` over the samples, and its
    gradient through ``collect``.

    ``zt`` are the logits transposed (classes by samples, shape ``(k, n)``).
    Block by block of samples, ``scores(zt_block)`` gives the ``(k, m)``
    scores ``S``; ``collect(G, zt_block)`` receives the loss's gradient in
    ``S``. In this layout every reduction over classes runs across ``k``
    contiguous rows (reducing short rows of an ``(n, k)`` array is several
    times slower), and a block's work stays in cache: a product over all
    samples at once would also be split across BLAS threads, which for
    these thin products only adds overhead.
    """
    k, n = zt.shape
    step = max(1, _BLOCK_ELEMENTS // k)
    ones = np.ones(k)
    all_rows = np.arange(min(step, n))
    loss = 0.0
    for start in range(0, n, step):
        cols = slice(start, start + step)
        x, y_block, w_block = zt[:, cols], y[cols], w[cols]
        rows = all_rows[: len(y_block)]
        S = scores(x)
        S -= S.max(axis=0)
        s_y = S[y_block, rows]
        np.exp(S, out=S)
        total = ones @ S
        loss += float(w_block @ (np.log(total) - s_y))
        S *= w_block / total
        S[y_block, rows] -= w_block
        collect(S, x)
    return loss


def _vector_objective(theta, zt, y, w):
    """Loss and gradient of ``softmax(a * z + b)`` in ``theta = (a, b)``;
    ``zt`` are the logits transposed, shape ``(k, n)``."""
    k = zt.shape[0]
    a, b = theta[:k, None], theta[k:, None]
    grad = np.zeros(2 * k)

    def collect(G, x):
        grad[:k] += np.einsum("ij,ij->i", G, x)
        grad[k:] += G.sum(axis=1)

    loss = _affine_loss(zt, y, w, lambda x: x * a + b, collect)
    return loss, grad


def _matrix_objective(theta, xt, y, w, ridge):
    """Penalised loss and gradient of ``softmax((I + W) x + b)`` in
    ``theta = (W.ravel(), b)``; ``xt`` are the temperature-scaled logits
    transposed, shape ``(k, n)``."""
    k = xt.shape[0]
    W, b = theta[: k * k].reshape(k, k), theta[k * k :, None]
    M = np.eye(k) + W
    grad = np.zeros(k * k + k)
    grad_W = grad[: k * k].reshape(k, k)

    def collect(G, x):
        grad_W[...] += G @ x.T
        grad[k * k :] += G.sum(axis=1)

    def scores(x):
        S = M @ x
        S += b
        return S

    loss = _affine_loss(xt, y, w, scores, collect)
    grad_W += 2.0 * ridge * W
    return loss + ridge * float(np.sum(W * W)), grad


def _ets_components(z, temperature):
    """Log-probabilities of the three ETS components, shape ``(3, n, k)``."""
    k = z.shape[1]
    return np.stack(
        [
            log_softmax(z / temperature, axis=1),
            log_softmax(z, axis=1),
            np.full(z.shape, -np.log(k)),
        ]
    )


def _ets_objective(weights, q, w):
    """Loss, gradient and Hessian of ``-sum(w * log(q @ weights))``, ``q`` the
    components' probabilities of the true classes, shape ``(n, 3)``."""
    mix = np.maximum(q @ weights, np.finfo(float).tiny)
    r = q / mix[:, None]
    return (
        float(-(w @ np.log(mix))),
        -(w @ r),
        (r * w[:, None]).T @ r,
    )


def _lbfgs(objective, start, args):
    # One BLAS thread, as KMeans does: the thin block products are far
    # slower split across threads (ten times, measured on 2 busy cores).
    with _get_threadpool_controller().limit(limits=1, user_api="blas"):
        result = minimize(
            objective,
            start,
            args=args,
            jac=True,
            method="L-BFGS-B",
            options=_LBFGS_OPTIONS,
        )
    # Keep the start when the search does not improve on it: every method
    # then does at least as well as the temperature fit it starts from.
    if objective(start, *args)[0] < result.fun:  # pragma: no cover
        return start
    return result.x


def _matrix_hessian(theta, xt, w, ridge):
    """Hessian of :func:`_matrix_objective` in ``theta = (W.ravel(), b)``
    without ``b``'s last entry (the loss does not change when every entry of
    ``b`` moves alike: that entry stays 0).

    With ``x~ = (x, 1)`` and ``S_i = diag(p_i) - p_i p_i^T`` the softmax's
    Jacobian at sample ``i``, the data term is
    ``sum_i w_i S_i (kron) x~_i x~_i^T`` over ``[W | b]``; the ridge adds
    ``2 * ridge`` on ``W``'s diagonal.
    """
    k, n = xt.shape
    W, b = theta[: k * k].reshape(k, k), theta[k * k :]
    q = k * (k + 1)
    H = np.zeros((q, q))
    for start in range(0, n, 4096):
        x = xt[:, start : start + 4096].T
        P = softmax_in_place(x @ (np.eye(k) + W).T + b)
        x1 = np.column_stack([x, np.ones(len(x))])
        wb = w[start : start + 4096]
        # diag(p) (kron) x~ x~^T: one (k+1, k+1) block per class.
        blocks = np.einsum("ia,ic,id->acd", P * wb[:, None], x1, x1)
        for a in range(k):
            H[a * (k + 1) : (a + 1) * (k + 1), a * (k + 1) : (a + 1) * (k + 1)] += (
                blocks[a]
            )
        U = (P[:, :, None] * x1[:, None, :]).reshape(len(x), q)
        H -= (U * wb[:, None]).T @ U
    # [W | b] (row a: W[a], b[a]) -> theta's order (W.ravel(), b).
    rows, cols = np.divmod(np.arange(q), k + 1)
    order = np.where(cols < k, rows * k + cols, k * k + rows)
    H_theta = np.empty((q, q))
    H_theta[np.ix_(order, order)] = H
    H_theta[np.arange(k * k), np.arange(k * k)] += 2.0 * ridge
    return H_theta[:-1, :-1]


def _matrix_newton(xt, y, w, ridge):
    """Minimise :func:`_matrix_objective` from ``theta = 0`` (temperature
    scaling) by Newton's method with a backtracking line search, until the
    Newton decrement reaches rounding."""
    k = xt.shape[0]
    theta = np.zeros(k * k + k)
    loss, grad = _matrix_objective(theta, xt, y, w, ridge)
    for _ in range(_NEWTON_MAX_ITER):
        H = _matrix_hessian(theta, xt, w, ridge)
        g = grad[:-1]
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:  # pragma: no cover - H is positive definite
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        decrement = float(g @ step)
        if not decrement > 1e-30:
            break
        t = 1.0
        while t > 1e-12:
            trial = theta.copy()
            trial[:-1] -= t * step
            new_loss, new_grad = _matrix_objective(trial, xt, y, w, ridge)
            if new_loss <= loss - 1e-4 * t * decrement:
                break
            # Near the optimum a full step's decrease is below the loss's
            # rounding: accept it when it shrinks the gradient.
            if (
                t == 1.0
                and decrement < 1e-12 * max(loss, 1e-3)
                and np.abs(new_grad[:-1]).max() < np.abs(g).max()
            ):
                break
            t *= 0.5
        else:
            break
        theta, loss, grad = trial, new_loss, new_grad
    return theta


def _fit_map(logits, y, w, total, method, temperature=None):
    """Fit one method on prepared arrays; return its parameters in a Bunch
    (``method``, ``temperature``, ``coef``, ``intercept``, ``ets_weights``)."""
    k = logits.shape[1]
    if temperature is None:
        temperature = _fit_temperature(logits, y, w)[0]
    fitted = Bunch(
        method=method,
        temperature=temperature,
        coef=np.eye(k) / temperature,
        intercept=np.zeros(k),
        ets_weights=None,
    )
    if method == "vector":
        start = np.concatenate([np.full(k, 1.0 / temperature), np.zeros(k)])
        zt = np.ascontiguousarray(logits.T)
        theta = _lbfgs(_vector_objective, start, (zt, y, w))
        fitted.coef = np.diag(theta[:k])
        fitted.intercept = theta[k:] - theta[k:].mean()
    elif method == "matrix":
        xt = np.ascontiguousarray(logits.T) / temperature
        ridge = MATRIX_RIDGE * k * k / total
        if len(y) * (k * (k + 1)) ** 2 <= _NEWTON_BUDGET:
            theta = _matrix_newton(xt, y, w, ridge)
        else:
            theta = _lbfgs(_matrix_objective, np.zeros(k * k + k), (xt, y, w, ridge))
        W = theta[: k * k].reshape(k, k)
        fitted.coef = (np.eye(k) + W) / temperature
        fitted.intercept = theta[k * k :] - theta[k * k :].mean()
    elif method == "ets":
        rows = np.arange(len(y))
        q = np.exp(_ets_components(logits, temperature)[:, rows, y]).T
        start = np.array([1.0, 0.0, 0.0])
        result = minimize(
            lambda v: _ets_objective(v, q, w)[:2],
            start,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * 3,
            constraints=[
                {
                    "type": "eq",
                    "fun": lambda v: v.sum() - 1.0,
                    "jac": lambda v: np.ones(3),
                }
            ],
            options={"ftol": 1e-15, "maxiter": 200},
        )
        weights = np.clip(result.x, 0.0, None)
        weights /= weights.sum()
        if _ets_objective(start, q, w)[0] < _ets_objective(weights, q, w)[0]:
            weights = start  # pragma: no cover
        fitted.ets_weights = weights
    return fitted


def _map_log_proba(fitted, logits):
    """Log-probabilities of the fitted map on float64 logits."""
    if fitted.method == "ets":
        components = _ets_components(logits, fitted.temperature)
        with np.errstate(divide="ignore"):
            log_weights = np.log(fitted.ets_weights)
        return np.logaddexp.reduce(components + log_weights[:, None, None], axis=0)
    return log_softmax(logits @ fitted.coef.T + fitted.intercept, axis=1)


def _map_loss(fitted, logits, y, w):
    return float(-(w @ _map_log_proba(fitted, logits)[np.arange(len(y)), y]))


def _out_of_fold_losses(logits, y, w, total, random_state):
    """Each candidate of "auto"'s per-sample out-of-fold log loss,
    ``{method: (n,)}``, clipped as scikit-learn's ``log_loss`` clips."""
    n = len(y)
    counts = np.bincount(y[w > 0]) if np.any(w > 0) else np.bincount(y)
    smallest = counts[counts > 0].min()
    if smallest >= 2:
        splitter = StratifiedKFold(
            min(AUTO_FOLDS, smallest), shuffle=True, random_state=random_state
        )
    else:
        splitter = KFold(min(AUTO_FOLDS, n), shuffle=True, random_state=random_state)
    losses = {method: np.empty(n) for method in AUTO_METHODS}
    for train, test in splitter.split(np.zeros(n), y):
        w_train = w[train]
        if not np.any(w_train > 0) or np.unique(y[train][w_train > 0]).size < 2:
            w_train = np.ones(len(train))
        w_train = w_train / w_train.sum()
        temperature = _fit_temperature(logits[train], y[train], w_train)[0]
        total_train = total * len(train) / n
        for method in AUTO_METHODS:
            fitted = _fit_map(
                logits[train], y[train], w_train, total_train, method, temperature
            )
            log_proba = _map_log_proba(fitted, logits[test])
            losses[method][test] = np.clip(
                -log_proba[np.arange(len(test)), y[test]], *_LOSS_RANGE
            )
    return losses


def _simplest_within(losses, w, standard_errors=1.0):
    """``(method, scores)``: the simplest candidate whose mean loss exceeds
    the best's by at most ``standard_errors`` standard errors of the paired
    per-sample differences, and every candidate's mean loss."""
    n = len(w)
    scores = {method: float(w @ losses[method]) for method in AUTO_METHODS}
    best = min(AUTO_METHODS, key=scores.get)
    for method in AUTO_METHODS:
        diff = losses[method] - losses[best]
        mean = w @ diff
        std_error = np.sqrt(max(w @ (diff - mean) ** 2, 0.0) / n)
        if mean <= standard_errors * std_error + 1e-12:
            return method, scores
    return best, scores  # pragma: no cover - best itself always qualifies


def _auto(logits, y, w, total, random_state):
    """Out-of-fold log loss of every method; the simplest method within one
    standard error of the best (see ``CalibratedClassifier``)."""
    return _simplest_within(_out_of_fold_losses(logits, y, w, total, random_state), w)


@validate_params(
    {
        "logits": ["array-like"],
        "y": ["array-like"],
        "sample_weight": ["array-like", None],
        "method": [StrOptions({"auto", *METHODS})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def fit_calibration_map(logits, y, sample_weight=None, *, method, random_state=None):
    """The fitted map of ``method`` on arrays (used by ``CalibratedClassifier``).

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes) or (n_samples,)
        Finite logits; a 1-D ``z`` is the binary ``(0, z)``.

    y : array-like of shape (n_samples,)
        The column of ``logits`` of each sample's label, ``0..n_classes-1``;
        at least two columns must occur.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero, read as frequencies.

    method : {"auto", "temperature", "vector", "matrix", "ets"}
        The map, as in :class:`CalibratedClassifier`.

    random_state : int, RandomState instance or None, default=None
        Seeds the folds of ``method="auto"``.

    Returns
    -------
    fitted : Bunch
        ``method`` (the chosen one for ``"auto"``), ``temperature``,
        ``coef``, ``intercept``, ``ets_weights``, ``cv_scores`` (``"auto"``
        only), and the weighted log losses on these logits before
        (``softmax(z)``) and after the map, ``log_loss_before`` and
        ``log_loss_after`` (from the one validated copy of the logits).
    """
    logits, y, w, total = _prepare(logits, y, sample_weight)
    cv_scores = None
    if method == "auto":
        method, cv_scores = _auto(logits, y, w, total, random_state)
    fitted = _fit_map(logits, y, w, total, method)
    fitted.cv_scores = cv_scores
    rows = np.arange(len(y))
    fitted.log_loss_before = float(-(w @ log_softmax(logits, axis=1)[rows, y]))
    fitted.log_loss_after = _map_loss(fitted, logits, y, w)
    return fitted


# The classifier ----------------------------------------------------------------


class CalibratedClassifier(_BaseCalibrator):
    r"""Post-hoc calibration of a fitted classifier's logits by temperature,
    vector, structured matrix or ensemble temperature scaling.

    The member's logits ``z`` (its ``decision_function``, or else the clipped
    ``log(predict_proba)``; a binary 1-D decision function becomes ``(0, z)``)
    are mapped to probabilities by a map fitted on the data given to
    :meth:`fit`, minimising the (sample-weighted) mean log loss with exact
    gradients. Every method starts from the temperature fit ``T`` of
    :func:`~skmerge.fit_temperature` and nests it, so its training log loss
    is never above temperature scaling's.

    - ``"temperature"``: ``softmax(z / T)``.
    - ``"vector"``: ``softmax(a * z + b)`` with ``a, b`` in :math:`R^k`
      (Guo et al., 2017), unregularised; a convex problem. When the logits
      (nearly) separate a class from the others the optimum is at infinity
      and its scale grows as far as the optimiser goes: prefer
      ``"matrix"`` then (``"auto"`` never picks ``"vector"``).
    - ``"matrix"``: structured matrix scaling: temperature first, then
      ``softmax((I + W) z / T + b)``, minimising

      .. math::

          \sum_i \bar w_i \, \ell\big((I + W) z_i / T + b,\ y_i\big)
          + \lambda \, \|W\|_F^2, \qquad \lambda = \frac{k^2}{n},

      where :math:`\bar w_i` are the sample weights normalised to sum to 1,
      :math:`\ell` the log loss of the softmax, :math:`W` a full
      ``k x k`` matrix (the intercept :math:`b` is not penalised) and
      :math:`n` the number of calibration samples (the sum of
      ``sample_weight`` when given, read as frequencies, as scikit-learn's
      penalised models read them: weights rescaled to sum to 1 would mean
      one sample, and the strongest shrinkage). The ridge shrinks
      the map towards temperature scaling (:math:`W = 0`) as data get scarce
      and fades as :math:`1/n`. This follows the structured matrix scaling
      of the probmetrics package (Berta et al., 2026: matrix scaling
      regularised towards the identity on temperature-scaled logits, with
      ridge strengths that grow with the number of parameters penalised,
      :math:`k(k-1)/n` on the off-diagonal entries); one strength for all
      the :math:`k^2` entries of :math:`W` is skmerge's simplification.
      (:math:`k/n`, tried first, let the matrix over-fit ten-class
      calibration sets of a few hundred samples.) Convex.
    - ``"ets"``: ensemble temperature scaling (Zhang et al., 2020):
      ``w1 softmax(z / T) + w2 softmax(z) + w3 / k`` with ``(w1, w2, w3)``
      on the simplex, ``T`` from the temperature fit, the weights minimising
      the log loss (convex; solved by SLSQP).
    - ``"auto"``: temperature, ets and matrix are scored by their
      out-of-fold log loss on the calibration data (stratified K-fold,
      ``K = min(5, size of the smallest class)``, shuffled with
      ``random_state``; each sample's loss as
      :func:`sklearn.metrics.log_loss` computes it, with probabilities
      clipped to ``[eps, 1 - eps]``, so that a held-out sample which a fold's
      map puts at probability zero costs 36 and not a number that decides the
      choice alone, as when the logits separate a fold's training rows and
      its temperature runs to its bound); the best is chosen, except that
      the simplest method (temperature < ets < matrix) whose mean per-sample
      loss exceeds the best's by at most one standard error of the paired
      per-sample differences wins (the one-standard-error rule). Then the chosen method
      is fitted on all the calibration data. ``"vector"`` is not a
      candidate: unregularised, its scale for a class that the logits
      (nearly) separate from the others grows without bound, and the rare
      held-out sample that breaks the separation then costs a log loss in
      the hundreds, which few folds contain; ``"matrix"`` can fit every
      map ``"vector"`` fits, shrunk by its ridge.

    Binary problems use the logits ``(0, z)``: ``"vector"`` and
    ``"matrix"`` are then affine in ``z`` (Platt scaling of the decision
    function).

    Parameters
    ----------
    estimator : estimator instance, default=None
        The classifier to calibrate. With ``prefit=True`` it must be fitted
        and is never refitted or modified. ``None`` means ``LinearSVC()``,
        only with ``prefit=False``.

    method : {"auto", "temperature", "vector", "matrix", "ets"}, default="auto"
        The calibration map (see above).

    prefit : bool, default=True
        If True, ``estimator`` is already fitted and ``X, y`` given to
        :meth:`fit` are held-out calibration data. If False, out-of-fold
        logits from ``cv`` fit the map, then a clone of ``estimator`` is
        fitted on all the data.

    cv : int, cross-validation generator or iterable, default=5
        The splits of the out-of-fold logits when ``prefit=False``, as in
        :class:`~skmerge.TemperatureCalibratedClassifier` (not the folds of
        ``method="auto"``, which are drawn with ``random_state``).

    response : {"auto", "decision_function", "predict_proba"}, default="auto"
        Where the logits come from: ``"auto"`` takes ``decision_function``
        when the estimator has one, else ``log(predict_proba)``.

    n_jobs : int, default=None
        Jobs for the cross-validation when ``prefit=False``.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffled folds of ``method="auto"``.

    Attributes
    ----------
    estimator_ : estimator instance
        The calibrated classifier: the given one itself when ``prefit=True``.

    method_ : str
        The method fitted (the chosen one for ``method="auto"``).

    cv_scores_ : dict
        With ``method="auto"`` only: the out-of-fold mean log loss of each
        candidate (temperature, ets, matrix), as
        :func:`sklearn.metrics.log_loss` computes it.

    temperature_ : float
        The temperature ``T`` of the temperature fit that every method
        starts from (the one used by ``"temperature"``, ``"matrix"`` and
        ``"ets"``).

    coef_ : ndarray of shape (n_classes, n_classes)
        The matrix ``A`` of the affine map ``A z + intercept_`` on the logits
        (on ``(0, z)`` for binary problems): ``I / T`` for
        ``"temperature"``, ``diag(a)`` for ``"vector"``, ``(I + W) / T`` for
        ``"matrix"``. ``"ets"`` is no affine map: ``coef_`` is ``I / T`` and
        ``intercept_`` zero, the map of its tempered component, and
        ``ets_weights_`` holds the mixture weights.

    intercept_ : ndarray of shape (n_classes,)
        The intercept of the affine map, centred to mean zero (the softmax
        ignores a common shift).

    ets_weights_ : ndarray of shape (3,)
        With ``method_ == "ets"`` only: the weights of ``softmax(z / T)``,
        ``softmax(z)`` and the uniform distribution.

    classes_ : ndarray of shape (n_classes,)
        The classes, in the estimator's order.

    response_ : str
        The estimator method the logits come from.

    log_loss_before_ : float
        Log loss of ``softmax(z)`` on the calibration data.

    log_loss_after_ : float
        Log loss of the fitted map on the calibration data.

    n_features_in_ : int
        Number of features seen by the estimator (when it records it).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator (when it records them).

    See Also
    --------
    TemperatureCalibratedClassifier : Temperature scaling with a fixed or
        fitted temperature.
    sklearn.calibration.CalibratedClassifierCV : Sigmoid, isotonic and
        temperature calibration with cross-validation.

    Notes
    -----
    :meth:`predict` is the estimator's own prediction for ``"temperature"``
    (which never changes the argmax); for the other methods it is the argmax
    of :meth:`predict_proba`, which may differ from the estimator's.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skmerge import CalibratedClassifier
    >>> X, y = make_classification(n_samples=3000, n_classes=3,
    ...                            n_informative=6, random_state=0)
    >>> X_train, X_cal, y_train, y_cal = train_test_split(X, y, random_state=0)
    >>> nb = GaussianNB().fit(X_train, y_train)
    >>> calibrated = CalibratedClassifier(nb, method="matrix").fit(X_cal, y_cal)
    >>> calibrated.coef_.shape
    (3, 3)
    >>> bool(calibrated.log_loss_after_ < calibrated.log_loss_before_)
    True
    """

    _parameter_constraints: dict = {
        **_BaseCalibrator._parameter_constraints,
        "method": [StrOptions({"auto", *METHODS})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="auto",
        prefit=True,
        cv=5,
        response="auto",
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.prefit = prefit
        self.cv = cv
        self.response = response
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the calibration map (and, with ``prefit=False``, the estimator).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Calibration data, passed to the estimator unchanged.

        y : array-like of shape (n_samples,)
            Target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the log loss (and, with ``prefit=False``, of the
            estimator's fit when it takes them).

        **fit_params : dict
            With ``prefit=False``, parameters passed to the estimator's
            ``fit`` (routed when metadata routing is enabled).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        member = self._member_logits(X, y, sample_weight, fit_params, n_phases=1)
        with running(member.progress.subtask(f"fit {self.method} calibration")):
            calibration = fit_calibration_map(
                member.logits,
                member.y_index,
                member.sample_weight,
                method=self.method,
                random_state=self.random_state,
            )
        self._set_map(calibration)
        self._set_member(member)
        member.progress.end()
        return self

    def _set_map(self, calibration):
        """The fitted map's attributes and the losses it reports."""
        self.method_ = calibration.method
        self.temperature_ = float(calibration.temperature)
        self.coef_ = calibration.coef
        self.intercept_ = calibration.intercept
        for attr, value in (
            ("ets_weights_", calibration.ets_weights),
            ("cv_scores_", calibration.cv_scores),
        ):
            if value is not None:
                setattr(self, attr, value)
            elif attr in self.__dict__:
                delattr(self, attr)
        self._map = calibration
        self.log_loss_before_ = calibration.log_loss_before
        self.log_loss_after_ = calibration.log_loss_after

    def _log_proba(self, X_rows):
        logits = np.asarray(self._logits(X_rows), dtype=np.float64)
        return _map_log_proba(self._map, logits)

    def predict_proba(self, X):
        """Calibrated probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the estimator unchanged.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return in_chunks(lambda X_rows: softmax_in_place(self._log_proba(X_rows)), X)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the estimator unchanged.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return in_chunks(self._log_proba, X)

    def predict(self, X):
        """Predicted classes: the estimator's own for ``method_ ==
        "temperature"``, else the argmax of :meth:`predict_proba` (which may
        differ from the estimator's).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the estimator unchanged.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.method_ == "temperature":
            return member_output(self.estimator_, X, "predict")
        return self.classes_[
            in_chunks(lambda X_rows: self._log_proba(X_rows).argmax(axis=1), X)
        ]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "method_")
