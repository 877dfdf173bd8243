# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Temperature scaling: ``fit_temperature`` and ``TemperatureCalibratedClassifier``.

The log loss of ``softmax(b * z)`` is convex in the inverse temperature
``b = 1 / T``: its derivatives are the mean over samples of
``E_p[z] - z_y`` and ``Var_p[z]`` under the scaled softmax ``p``. One pass over
the logits gives the loss and both derivatives, so a safeguarded Newton method
in ``log b`` converges in a handful of passes, where a derivative-free scalar
search (as in scikit-learn's ``method="temperature"``) needs a few dozen loss
evaluations.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
)
from sklearn.model_selection import check_cv
from sklearn.svm import LinearSVC
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from skmerge._base import (
    PROBA_CLIP,
    _MemberPhase,
    check_finite,
    check_labels_known,
    check_member_fitted,
    clone_keeping_members,
    in_chunks,
    member_output,
    resolve_method,
    softmax_in_place,
)
from skmerge._progress import CallbackSupportMixin, Task, running

# Bounds of the inverse temperature b = 1/T searched, in log space: T in
# [1e-6, 1e6]. Reaching one is reported with a warning.
LOG_B_BOUNDS = (-np.log(1e6), np.log(1e6))
# Largest Newton step in log b (a factor of e**3 in T).
MAX_STEP = 3.0
# Rows of logits per block in one pass: the two float64 work buffers stay
# within a few hundred kilobytes, in cache.
_BLOCK_ELEMENTS = 1 << 16


def _check_logits(logits, y, sample_weight):
    """Validate and lay out the inputs of a temperature fit."""
    logits = np.asarray(logits)
    if logits.dtype not in (np.float32, np.float64):
        if not np.issubdtype(logits.dtype, np.number):
            raise ValueError(f"`logits` must be numeric; got dtype {logits.dtype}.")
        logits = logits.astype(np.float64)
    if logits.ndim == 1:
        logits = np.column_stack([np.zeros_like(logits), logits])
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            "`logits` must have shape (n_samples, n_classes) with n_classes >= 2, "
            f"or (n_samples,) for a binary problem; got shape {logits.shape}."
        )
    n, k = logits.shape
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"`y` must be 1-D with one label per row of `logits`; got shape "
            f"{y.shape} for {n} rows."
        )
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError("`y` must hold integer column indices of `logits`.")
        y = y.astype(np.intp)
    elif y.dtype.kind not in "iub":
        raise ValueError(
            "`y` must hold integer column indices 0..n_classes-1 of `logits`; got "
            f"dtype {y.dtype}. (TemperatureCalibratedClassifier takes any labels.)"
        )
    y = y.astype(np.intp, copy=False)
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(
            f"`y` must hold column indices in [0, {k - 1}]; got values in "
            f"[{y.min()}, {y.max()}]."
        )
    if np.unique(y).size < 2:
        raise ValueError(
            "Temperature scaling needs calibration labels of at least 2 classes; got "
            f"only one class: {np.unique(y).tolist()}."
        )
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if np.any(sample_weight < 0) or not np.all(np.isfinite(sample_weight)):
            raise ValueError("`sample_weight` must be finite and non-negative.")
        if sample_weight.ndim == 1 and not np.any(sample_weight > 0):
            raise ValueError("`sample_weight` must not be all zero.")
    w = _check_sample_weight(sample_weight, logits, dtype=np.float64)
    return np.ascontiguousarray(logits), y, w / w.sum()


def _row_stats(logits, y):
    """Per row: the max, the true logit minus the max, and the mean minus the
    max of the logits (one pass, no softmax); checks finiteness."""
    n, k = logits.shape
    block = max(1, _BLOCK_ELEMENTS // k)
    zmax, zmean = np.empty(n), np.empty(n)
    ones = np.full(k, 1.0 / k)
    for start in range(0, n, block):
        part = logits[start : start + block]
        if not np.isfinite(part).all():
            bad = start + np.flatnonzero(~np.isfinite(part).all(axis=1))
            raise ValueError(
                f"`logits` must be finite; got NaN or infinite values in "
                f"{bad.size} row(s) of the first {start + len(part)}, e.g. row "
                f"{bad[0]}."
            )
        zmax[start : start + block] = part.max(axis=1)
        zmean[start : start + block] = part @ ones.astype(part.dtype)
    dy = logits[np.arange(n), y] - zmax
    return zmax, dy, zmean - zmax


class _LogLoss:
    """Log loss of ``softmax(b * logits)`` and its derivatives in ``b``.

    Each call is one pass over the logits (one softmax), block by block,
    through float work buffers of a block's size: the logits are never
    copied. Per row it forms the moments of ``d = z - max(z)`` under the
    scaled softmax; across rows it accumulates in float64.
    """

    def __init__(self, logits, y, w):
        self.logits, self.y, self.w = logits, y, w
        self.zmax, self.dy, self.dmean = _row_stats(logits, y)
        n, k = logits.shape
        self.block = min(n, max(1, _BLOCK_ELEMENTS // k))
        self.buffers = {}
        self.passes = {"float32": 0.0, "float64": 0.0}
        self.calls = 0
        self.n_rows = n

    def __call__(self, b, rows=None, dtype=np.float64, third=True):
        """Return ``(loss, L_b, L_bb, L_bbb)``: the loss and its first three
        derivatives in ``b``, from one pass at ``b`` (``L_bbb`` is 0 unless
        ``third``).

        ``rows`` (a slice) restricts the pass to a subsample of rows, with the
        weights renormalised over it. ``dtype=np.float32`` computes each
        block's softmax in float32: about three times cheaper, accurate to
        about 1e-6, used only to approach the optimum.
        """
        logits, w, zmax, dy = self.logits, self.w, self.zmax, self.dy
        if rows is not None:
            logits, w, zmax, dy = logits[rows], w[rows], zmax[rows], dy[rows]
            w = w / w.sum()
        dtype = np.dtype(dtype)
        if dtype not in self.buffers:
            shape = (self.block, logits.shape[1])
            self.buffers[dtype] = (
                np.empty(shape, dtype),
                np.empty(shape, dtype),
                np.ones(shape[1], dtype),
            )
        d_buf, e_buf, ones = self.buffers[dtype]
        loss = l1 = l2 = l3 = 0.0
        for start in range(0, logits.shape[0], self.block):
            stop = min(start + self.block, logits.shape[0])
            d, e = d_buf[: stop - start], e_buf[: stop - start]
            np.subtract(
                logits[start:stop], zmax[start:stop, None], out=d, casting="unsafe"
            )
            np.multiply(d, b, out=e)
            np.exp(e, out=e)  # softmax numerators, the largest one exactly 1
            # Row sums as products with a vector of ones (BLAS gemv: several
            # times faster than ndarray.sum(axis=1) on short rows), in the
            # pass's dtype, then float64.
            s0 = (e @ ones).astype(np.float64)
            np.multiply(e, d, out=e)
            s1 = (e @ ones).astype(np.float64)
            np.multiply(e, d, out=e)
            s2 = (e @ ones).astype(np.float64)
            if third:
                np.multiply(e, d, out=e)
                s3 = (e @ ones).astype(np.float64)
            mean = s1 / s0
            m2 = s2 / s0
            var = np.maximum(m2 - mean * mean, 0.0)
            ws = w[start:stop]
            loss += ws @ (np.log(s0) - b * dy[start:stop])
            l1 += ws @ (mean - dy[start:stop])
            l2 += ws @ var
            if third:
                l3 += ws @ (s3 / s0 - 3.0 * mean * m2 + 2.0 * mean**3)
        self.passes[dtype.name] += logits.shape[0] / self.n_rows
        self.calls += 1
        return loss, l1, l2, l3


def _newton_log_b(
    objective,
    u0,
    *,
    rows=None,
    dtype=np.float64,
    halley=True,
    rtol=None,
    xtol=None,
    max_iter=100,
):
    """Minimise ``objective`` over ``u = log b`` by safeguarded Halley steps.

    Returns ``(u, loss, n_iter, status)``, status ``None`` when converged,
    ``"low"`` / ``"high"`` when ``T`` ran to its low / high bound,
    ``"max_iter"`` otherwise.

    With ``halley``, a step uses the first three derivatives of the loss in
    ``u`` from one pass (Halley's method, cubically convergent), falling back
    to Newton's step in ``u`` when the cubic correction is large; otherwise
    it is Newton's step in ``u``; either falls back and to Newton's step
    in ``b`` (where the loss is convex) when the curvature in ``u`` is not
    positive. The bracket ``[lo, hi]`` holds the minimiser: the derivative
    in ``u`` is negative at ``lo`` and positive at ``hi`` once evaluated
    there. A step that leaves it becomes a bisection, or, the first time it
    leaves the search bounds, an evaluation of the bound itself.

    Stops when ``|step| <= xtol``, or, with ``rtol``, when the loss gap left
    after the step is below ``rtol`` times the loss: after a step of size
    ``s`` the error in ``u`` is at most about ``4 s**2`` (quadratic
    convergence at the least), leaving a gap of about ``h_u / 2 (4 s**2)**2``.
    """
    lo, hi = LOG_B_BOUNDS
    lo_known = hi_known = False
    u = float(np.clip(u0, lo, hi))
    for n_iter in range(1, max_iter + 1):
        b = np.exp(u)
        loss, l1, l2, l3 = objective(b, rows, dtype, halley)
        g = b * l1
        h = g + b * b * l2
        t = g + 3.0 * b * b * l2 + b**3 * l3
        if g == 0:
            return u, loss, n_iter, None
        if g > 0:
            if u <= LOG_B_BOUNDS[0]:
                return u, loss, n_iter, "high"
            hi, hi_known = u, True
        else:
            if u >= LOG_B_BOUNDS[1]:
                return u, loss, n_iter, "low"
            lo, lo_known = u, True
        if h > 0:
            step = -g / h
            correction = g * t / (2.0 * h * h)
            if halley and abs(correction) < 0.5:
                step /= 1.0 - correction
            done = (
                abs(step) <= xtol
                if xtol is not None
                else 8.0 * h * step**4 <= rtol * abs(loss)
            )
            if done and lo < u + step < hi:
                return u + step, loss, n_iter, None
        elif l2 > 0:
            step = np.log1p(-l1 / (b * l2))  # Newton step in b; here l1 < 0, upwards
        else:
            step = -np.sign(g) * MAX_STEP
        target = u + float(np.clip(step, -MAX_STEP, MAX_STEP))
        if target >= hi:
            target = 0.5 * (u + hi) if hi_known else hi
        elif target <= lo:
            target = 0.5 * (u + lo) if lo_known else lo
        if (
            lo_known
            and hi_known
            and hi - lo <= 4 * np.finfo(float).eps * max(1.0, abs(u))
        ):
            return target, loss, n_iter, None
        u = target
    return u, loss, max_iter, "max_iter"


# Rows in the subsample that gives the starting point on large inputs.
_N_SUBSAMPLE = 4096


def _fit_temperature(logits, y, sample_weight=None):
    """Fit T; return ``(T, info)`` with the diagnostics in a Bunch.

    Three phases, each starting where the previous one stopped: (1) on
    inputs of more than ``4 * _N_SUBSAMPLE`` rows, the optimum on a strided
    subsample of them; (2) float32 passes over all rows until a step is
    below 0.05 in ``log T``; (3) float64 passes until the loss is exact to
    a few machine epsilons. Only the float64 passes decide convergence.
    """
    logits, y, w = _check_logits(logits, y, sample_weight)
    return _minimise(_LogLoss(logits, y, w))


def _minimise(objective):
    """The three phases of :func:`_fit_temperature` on a built objective."""
    logits, y, w = objective.logits, objective.y, objective.w
    n = logits.shape[0]
    # The derivative of the loss in b rises from sum(w * (mean(d) - d_y)) at
    # b = 0 to -sum(w * d_y) as b -> oo (d = z - max(z)). When it never
    # changes sign the optimum is at a bound, known without any softmax.
    weighted = w > 0
    informative = weighted & (objective.dmean < 0)  # rows not all equal
    status = None
    if not informative.any():
        status, u = "constant", 0.0
    elif np.all(objective.dy[weighted] == 0):
        status, u = "low", LOG_B_BOUNDS[1]
    elif w @ (objective.dmean - objective.dy) >= 0:
        status, u = "high", LOG_B_BOUNDS[0]
    if status is not None:
        return _finish(u, status, objective)
    u = 0.0
    if n > 4 * _N_SUBSAMPLE:
        stride = n // _N_SUBSAMPLE
        rows = slice(0, stride * _N_SUBSAMPLE, stride)
        if w[rows].sum() > 0 and np.unique(y[rows]).size > 1:
            u_sub, _, _, status = _newton_log_b(
                objective, u, rows=rows, dtype=np.float32, xtol=1e-4
            )
            if status is None:
                u = u_sub
    # A float32 step of at most 0.05 leaves an error of about 1e-4 or less (Halley's
    # step is cubically convergent; float32 noise is about as large), from
    # where one float64 pass usually confirms convergence.
    u_32, _, _, status = _newton_log_b(objective, u, dtype=np.float32, xtol=0.05)
    if status != "max_iter":
        u = u_32
    # Near the optimum Newton's step is as good as Halley's for the stopping
    # test (which assumes only quadratic convergence) and needs one product
    # less per element.
    u, _, _, status = _newton_log_b(
        objective, u, dtype=np.float64, halley=False, rtol=4 * np.finfo(float).eps
    )
    return _finish(u, status, objective)


def _finish(u, status, objective):
    temperature = float(np.exp(-u))
    if status in ("low", "high"):
        warnings.warn(
            f"The temperature ran to its {status} bound T={temperature:.3g}: the "
            + (
                "logits rank every calibration label first (the data are "
                "separable), so the log loss keeps falling as T -> 0."
                if status == "low"
                else "logits rank the calibration labels no better than chance, "
                "so the log loss keeps falling as T grows."
            ),
            UserWarning,
        )
    elif status == "max_iter":  # pragma: no cover - not seen on any test case
        warnings.warn("Temperature scaling stopped at max_iter before converging.")
    info = Bunch(
        n_iter=objective.calls,
        passes_float32=objective.passes["float32"],
        passes_float64=objective.passes["float64"],
        n_passes=objective.passes["float32"] + objective.passes["float64"],
        status=status or "converged",
    )
    return temperature, info


def fit_temperature(logits, y, sample_weight=None):
    """Fit the temperature that minimises the log loss of ``softmax(logits / T)``.

    This is temperature scaling (Guo et al., 2017) on arrays, for logits from
    any framework. The (sample-weighted) log loss is convex in ``b = 1 / T``;
    it is minimised by a safeguarded Newton method in ``log b`` that reads the
    logits a few times (one softmax per iteration, block by block, without
    copying them), stopping at a relative tolerance near machine precision.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes) or (n_samples,)
        Unnormalised log-probabilities (float64 or float32). A 1-D array is a
        binary decision function ``z``, meaning the logits ``(0, z)``.

    y : array-like of shape (n_samples,)
        The true classes as column indices ``0..n_classes-1`` of ``logits``.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights. If None, samples are equally weighted.

    Returns
    -------
    temperature : float
        The fitted temperature ``T > 0``; ``T > 1`` softens over-confident
        logits. ``T`` is searched in ``[1e-6, 1e6]``. When the labels are
        separable by the logits the optimum is at ``T -> 0``: a warning says
        so and the bound ``T = 1e-6`` is returned; when the logits rank the
        labels no better than chance it is at ``T -> infinity``: a warning
        says so and the bound ``T = 1e6`` is returned (uniform
        probabilities, to about 1e-6 of the logits' scale).

    See Also
    --------
    TemperatureCalibratedClassifier : Temperature scaling of a classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from skmerge import fit_temperature
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, size=1000)
    >>> logits = rng.normal(size=(1000, 3))
    >>> logits[np.arange(1000), y] += 1.0
    >>> round(fit_temperature(3 * logits, y), 2)  # over-confident by about 3x
    3.02
    """
    return _fit_temperature(logits, y, sample_weight)[0]


def _logits_from(output, method):
    """Member output to (n_samples, n_classes) float logits."""
    output = np.asarray(output)
    if method == "predict_proba":
        return np.log(np.clip(output.astype(np.float64, copy=False), PROBA_CLIP, None))
    if output.ndim == 1 or output.shape[1] == 1:
        z = output.reshape(-1)
        return np.column_stack([np.zeros_like(z), z])
    return output


class _BaseCalibrator(
    ClassifierMixin,
    MetaEstimatorMixin,
    _MemberPhase,
    CallbackSupportMixin,
    BaseEstimator,
):
    """What the calibrators of one member share: the member (prefit, clone
    semantics, default), its logits on the calibration rows (the member phase
    of :mod:`skmerge._base`), routing and tags. Subclasses fit a map on the
    logits."""

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
            None,
        ],
        "prefit": ["boolean"],
        "cv": ["cv_object"],
        "response": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "n_jobs": [Integral, None],
    }

    def __sklearn_clone__(self):
        if self.prefit:
            return clone_keeping_members(self, "estimator")
        return super().__sklearn_clone__()

    def _get_estimator(self):
        if self.estimator is None:
            if self.prefit:
                raise ValueError(
                    "With prefit=True, `estimator` must be a fitted classifier; got "
                    "None. Pass prefit=False to fit the default LinearSVC()."
                )
            return LinearSVC(random_state=0)
        return self.estimator

    def _member_logits(self, X, y, sample_weight, fit_params, n_phases):
        """Validate, then the member's logits on the calibration rows
        (prefit: its own; otherwise out-of-fold, then the member refitted).

        Returns a Bunch: ``fitted``, ``response``, ``logits``, ``y_index``
        (labels as columns of ``fitted.classes_``), ``sample_weight`` and the
        begun ``progress`` root with ``n_phases`` phases after the member's.
        """
        named = [("estimator", self._get_estimator())]
        y = self._check_target(X, y)
        sample_weight = self._check_sample_weight(sample_weight, y)
        response = resolve_method(
            "estimator",
            named[0][1],
            self.response,
            ["decision_function", "predict_proba"],
        )
        if self.prefit:
            _raise_for_params(fit_params, self, "fit")
            check_member_fitted(*named[0])
            check_labels_known(
                y, np.sort(named[0][1].classes_), what="calibration data"
            )
            member_params, split_params = None, None
        else:
            check_labels_known(y, np.unique(y), what="calibration data")
            member_params, split_params, _ = self._route_fit(
                named, sample_weight, fit_params
            )
        progress = Task.root(self, 1 + (not self.prefit) + n_phases)
        (fitted,), (output,) = self._members_outputs(
            named, X, y, [response], member_params, progress, split_params=split_params
        )
        logits = _logits_from(output, response)
        check_finite(
            logits,
            "estimator",
            fitted,
            response,
            "calibration data" if self.prefit else "out-of-fold data",
            "logits must be finite for calibration",
        )
        classes = np.asarray(fitted.classes_)
        order = np.argsort(classes)
        return Bunch(
            fitted=fitted,
            response=response,
            logits=logits,
            y_index=order[np.searchsorted(classes[order], y)],
            sample_weight=sample_weight,
            progress=progress,
        )

    def _set_member(self, member):
        """The member's fitted attributes (after the map's)."""
        self.estimator_ = member.fitted
        self.response_ = member.response
        self.classes_ = np.asarray(member.fitted.classes_)
        self._set_input_attributes(
            getattr(member.fitted, "n_features_in_", None),
            getattr(member.fitted, "feature_names_in_", None),
        )

    def _logits(self, X):
        return _logits_from(
            member_output(self.estimator_, X, self.response_), self.response_
        )

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        With ``prefit=False``, ``fit`` metadata goes to the estimator's
        ``fit`` and to the splitter.

        Returns
        -------
        routing : MetadataRouter
        """
        router = MetadataRouter(owner=self).add(
            estimator=self._get_estimator() if not self.prefit else self.estimator,
            method_mapping=MethodMapping().add(callee="fit", caller="fit"),
        )
        router.add(
            splitter=check_cv(self.cv, classifier=True),
            method_mapping=MethodMapping().add(callee="split", caller="fit"),
        )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator = LinearSVC() if self.estimator is None else self.estimator
        inner = get_tags(estimator).input_tags
        tags.input_tags.sparse = inner.sparse
        tags.input_tags.allow_nan = inner.allow_nan
        tags.input_tags.string = inner.string
        return tags


class TemperatureCalibratedClassifier(_BaseCalibrator):
    """Temperature scaling of a fitted classifier, that tunes without refitting.

    The member's logits ``z`` (its ``decision_function``, or else the clipped
    ``log(predict_proba)``) become ``softmax(z / T)``. ``T`` is fitted on the
    data given to :meth:`fit` to minimise the log loss, or fixed. Predictions
    never change, only probabilities.

    Compared with scikit-learn's
    ``CalibratedClassifierCV(FrozenEstimator(clf), method="temperature")``:
    the member stays prefit by default and survives :func:`~sklearn.base.clone`,
    so ``GridSearchCV(..., {"temperature": [0.5, 1, 2, "auto"]})`` and
    ``cross_validate`` never refit it; ``temperature`` can be fixed; ``predict``
    is the member's own; ``log_loss_before_`` / ``log_loss_after_`` report
    the gain; and the fit is an exact Newton method that reads the logits a
    few times instead of a bounded scalar search over a few dozen loss
    evaluations. For the array-level fit, see :func:`fit_temperature`.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The classifier to calibrate. With ``prefit=True`` it must be fitted
        and is never refitted or modified. ``None`` means ``LinearSVC()``,
        only with ``prefit=False``.

    temperature : "auto" or float > 0, default="auto"
        ``"auto"`` fits ``T``; a float fixes it.

    prefit : bool, default=True
        If True, ``estimator`` is already fitted and ``X, y`` given to
        :meth:`fit` are held-out calibration data. If False, out-of-fold
        logits from ``cv`` fit ``T``, then a clone of ``estimator`` is fitted
        on all the data.

    cv : int, cross-validation generator or iterable, default=5
        The splits of the out-of-fold logits when ``prefit=False``, from
        ``check_cv(cv, y, classifier=True)``, as scikit-learn's
        meta-estimators: an int is an unshuffled
        :class:`~sklearn.model_selection.StratifiedKFold`. The splits are
        drawn once, from a copy of the splitter (yours and its random state
        are left as they are), so every member sees the same folds. Any
        splitter whose test folds partition the samples works
        (:class:`~sklearn.model_selection.LeaveOneOut` included).

    response : {"auto", "decision_function", "predict_proba"}, default="auto"
        Where the logits come from: ``"auto"`` takes ``decision_function``
        when the estimator has one, else ``log(predict_proba)``.

    n_jobs : int, default=None
        Jobs for the cross-validation when ``prefit=False``.

    Attributes
    ----------
    estimator_ : estimator instance
        The calibrated classifier: the given one itself when ``prefit=True``.

    temperature_ : float
        The temperature used.

    classes_ : ndarray of shape (n_classes,)
        The classes, in the estimator's order.

    response_ : str
        The estimator method the logits come from.

    log_loss_before_ : float
        Log loss on the calibration data at ``T = 1``.

    log_loss_after_ : float
        Log loss on the calibration data at ``temperature_``.

    n_features_in_ : int
        Number of features seen by the estimator (when it records it).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator (when it records them).

    See Also
    --------
    fit_temperature : The same fit on arrays of logits.
    sklearn.calibration.CalibratedClassifierCV : Sigmoid, isotonic and
        temperature calibration with cross-validation.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skmerge import TemperatureCalibratedClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_cal, y_train, y_cal = train_test_split(X, y, random_state=0)
    >>> mlp = MLPClassifier(max_iter=300, random_state=0).fit(X_train, y_train)
    >>> calibrated = TemperatureCalibratedClassifier(mlp).fit(X_cal, y_cal)
    >>> round(calibrated.temperature_, 2)
    1.22
    >>> bool(calibrated.log_loss_after_ < calibrated.log_loss_before_)
    True
    >>> bool((calibrated.predict(X_cal) == mlp.predict(X_cal)).all())
    True
    """

    _parameter_constraints: dict = {
        **_BaseCalibrator._parameter_constraints,
        "temperature": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
    }

    def __init__(
        self,
        estimator=None,
        *,
        temperature="auto",
        prefit=True,
        cv=5,
        response="auto",
        n_jobs=None,
    ):
        self.estimator = estimator
        self.temperature = temperature
        self.prefit = prefit
        self.cv = cv
        self.response = response
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the temperature (and, with ``prefit=False``, the estimator).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Calibration data, passed to the estimator unchanged.

        y : array-like of shape (n_samples,)
            Target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the log loss (and, with ``prefit=False``, of the
            estimator's fit when it takes them; otherwise a warning says they
            only weigh the temperature fit, as
            :class:`~sklearn.calibration.CalibratedClassifierCV` does).

        **fit_params : dict
            With ``prefit=False``, parameters passed to the estimator's
            ``fit`` (routed when metadata routing is enabled).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        member = self._member_logits(
            X, y, sample_weight, fit_params, n_phases=self.temperature == "auto"
        )
        # One validated objective serves the fit and both reported losses.
        objective = _LogLoss(
            *_check_logits(member.logits, member.y_index, member.sample_weight)
        )
        if self.temperature == "auto":
            with running(member.progress.subtask("fit temperature")):
                temperature, _ = _minimise(objective)
        else:
            temperature = float(self.temperature)
        self.temperature_ = temperature
        self.log_loss_before_ = float(objective(1.0)[0])
        self.log_loss_after_ = float(objective(1.0 / temperature)[0])
        self._set_member(member)
        member.progress.end()
        return self

    def predict_proba(self, X):
        """Temperature-scaled probabilities ``softmax(logits / T)``.

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
        # Chunk by chunk: the member's logits for all rows are never held.
        return in_chunks(
            lambda X_rows: softmax_in_place(self._logits(X_rows) / self.temperature_),
            X,
        )

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
        return in_chunks(
            lambda X_rows: log_softmax(
                self._logits(X_rows) / self.temperature_, axis=1
            ),
            X,
        )

    def predict(self, X):
        """The estimator's own prediction (temperature never changes it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the estimator unchanged.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return member_output(self.estimator_, X, "predict")

    def __sklearn_is_fitted__(self):
        return hasattr(self, "temperature_")
