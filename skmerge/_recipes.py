# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pooling rules and weight recipes of :class:`~skmerge.SoupClassifier`.

A soup pools its members' outputs in one of three *spaces*, each an array of
shape ``(n_samples, n_classes)`` per member, columns in the sorted classes:

- probabilities (``combine="proba"``), or one-hot votes (``"vote"``): the soup
  is the weighted mean, its probabilities the mean itself (link
  ``"identity"``);
- logits (``"logit"``): clipped log-probabilities, or decision functions for
  members without ``predict_proba``; the soup's probabilities are the
  ``softmax`` of the weighted mean (link ``"softmax"``), i.e. the weighted
  geometric mean of the members' probabilities;
- decision functions of linear members (``"params"``): averaging linear
  models' parameters averages their decision functions exactly, so the link
  is the merged model's own probability mapping.

The recipes choose the weights on held-out data. They never recompute a
member's output: :class:`OutputSoups` scores a candidate soup from the cached
outputs and a running sum of the members already in the soup (one
``(n_samples, n_classes)`` buffer per candidate). For models that must be
merged to be scored (MLPs), :class:`ModelSoups` builds each candidate.

Regressors' soups (:class:`~skmerge.SoupRegressor`) pool predictions, shape
``(n_samples,)`` per member: their weighted mean in :class:`OutputSoups`, or
their weighted median in :class:`MedianSoups`, scored by a
:class:`RegressionScorer`.
"""

import inspect

import numpy as np
import scipy.linalg
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.metrics import get_scorer, get_scorer_names, roc_auc_score
from sklearn.metrics._scorer import _BaseScorer

from skmerge._base import PROBA_CLIP, softmax_in_place, to_class_columns

#: Scorings computed here from the probabilities, without the metrics' input
#: validation (recipes score many candidates).
SCORINGS = ("neg_log_loss", "accuracy", "roc_auc_ovr", "neg_brier_score")


def _is_classification_scorer(scorer):
    func = getattr(scorer, "_score_func", None)
    return getattr(func, "__module__", "") in (
        "sklearn.metrics._classification",
        "sklearn.metrics._ranking",
    )


#: Every scikit-learn scorer name that applies to a binary or multiclass
#: classifier's predictions or probabilities (higher is better).
CLASSIFICATION_SCORINGS = tuple(
    name
    for name in get_scorer_names()
    if _is_classification_scorer(get_scorer(name)) and not name.endswith("_samples")
)

# Probabilities are clipped here before their log in the log loss, as
# sklearn.metrics.log_loss does for float64 input.
_EPS = np.finfo(np.float64).eps


# Links between pooling spaces and probabilities ------------------------------


def proba_to_logits(proba):
    """Log-probabilities clipped at ``PROBA_CLIP`` (1e-12) so they stay finite.

    Examples
    --------
    >>> import numpy as np
    >>> proba_to_logits(np.array([[1.0, 0.0]])).round(1)
    array([[  0. , -27.6]])
    """
    return np.log(np.clip(np.asarray(proba, dtype=np.float64), PROBA_CLIP, None))


def to_pool_space(output, method, member_classes, classes, combine, order="C"):
    """A member's raw output as its ``(n_samples, n_classes)`` pooling space.

    Parameters
    ----------
    output : ndarray
        What ``method`` of the member returned.
    method : {"predict_proba", "decision_function", "predict"}
        The member's method.
    member_classes : array-like
        The member's ``classes_``, in its own order.
    classes : ndarray
        The soup's sorted classes.
    combine : {"proba", "logit", "vote", "params"}
        The pooling rule: ``"logit"`` takes clipped log-probabilities of a
        ``predict_proba`` output; every other output is used as it is
        (probabilities, one-hot votes, decision functions with a binary 1-D
        ``z`` laid out as the logits ``(0, z)``).
    order : {"C", "F"}, default="C"
        The memory layout of the result.

    Returns
    -------
    space : ndarray of shape (n_samples, n_classes)
    """
    space = to_class_columns(output, method, member_classes, classes, order)
    if combine == "logit" and method == "predict_proba":
        np.clip(space, PROBA_CLIP, None, out=space)
        np.log(space, out=space)
    return space


def member_proba(output, method, member_classes, classes):
    """A member's probabilities from its raw output: ``predict_proba`` as it is,
    the softmax of a decision function, or one-hot votes from ``predict``."""
    columns = to_class_columns(output, method, member_classes, classes)
    if method == "decision_function":
        return softmax_in_place(columns)
    return columns


def link_proba(mean, link, *, copy=True):
    """Probabilities of a pooled mean under ``link``.

    ``"identity"``: the mean itself; ``"softmax"``: its softmax; a callable:
    ``link(mean)``.
    """
    if link == "identity":
        return np.array(mean, copy=copy)
    if link == "softmax":
        return softmax_in_place(np.array(mean, dtype=np.float64, copy=copy))
    return np.asarray(link(mean), dtype=np.float64)


def pool(spaces, weights):
    """Weighted mean of members' pooling spaces, skipping zero weights.

    Parameters
    ----------
    spaces : sequence of ndarray of shape (n_samples, n_classes)
        One per member.
    weights : array-like of shape (n_members,)
        Non-negative, not all zero; normalised here.

    Returns
    -------
    mean : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.2, 0.8]])
    >>> b = np.array([[0.6, 0.4]])
    >>> pool([a, b], [3, 1]).round(2)
    array([[0.3, 0.7]])
    """
    # The weighted sum, divided by the weights' sum accumulated in the same
    # order: where every member gives 1.0 the mean is exactly 1.0 (and no
    # value exceeds 1), as with numpy.average, which VotingClassifier uses.
    weights = np.asarray(weights, dtype=np.float64)
    mean, total = None, 0.0
    for space, w in zip(spaces, weights, strict=True):
        if w == 0:
            continue
        total += w
        if mean is None:
            mean = np.multiply(space, w, dtype=np.float64)
        else:
            mean += w * np.asarray(space, dtype=np.float64)
    mean /= total
    return mean


# Scoring ----------------------------------------------------------------------


class Scorer:
    """Score probabilities against held-out labels: higher is better.

    Parameters
    ----------
    scoring : str, scorer or callable
        One of :data:`CLASSIFICATION_SCORINGS`, a scikit-learn scorer object
        (its metric applied to the soup's probabilities, or to the class of
        highest probability for metrics of ``predict``, as the scorer applies
        it to an estimator), or a callable ``(y_true, y_score) -> float``
        (higher is better) with scikit-learn's metric convention: the
        original labels, and the probabilities whose columns follow
        ``classes`` or, for two classes, the second class's column (as
        :func:`~sklearn.metrics.roc_auc_score` expects). The metric gets
        ``sample_weight=`` when its signature has that parameter and weights
        were given.
    classes : ndarray of shape (n_classes,)
        The sorted classes.
    y_index : ndarray of shape (n_samples,)
        The labels as column indices into ``classes``.
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights.
    """

    def __init__(self, scoring, classes, y_index, sample_weight=None):
        self.scoring = scoring
        self.classes = np.asarray(classes)
        self.y_index = np.asarray(y_index, dtype=np.intp)
        self.sample_weight = sample_weight
        n = self.y_index.shape[0]
        if sample_weight is None:
            self.weights = np.full(n, 1.0 / n)
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            self.weights = sample_weight / sample_weight.sum()
        self.is_log_loss = scoring == "neg_log_loss"
        self._rows = np.arange(n)
        self._scorer = None
        if isinstance(scoring, str) and scoring not in SCORINGS:
            scoring = get_scorer(scoring)
        if isinstance(scoring, _BaseScorer):
            if not _is_classification_scorer(scoring):
                raise ValueError(
                    "`scoring` must score a classifier's predictions or "
                    f"probabilities; got {scoring!r}."
                )
            self._scorer = scoring
            self._check_applies()

    def _check_applies(self):
        """Score the perfect probabilities once, so that a scorer that cannot
        score this problem (``"f1"`` on three classes...) fails now, before
        any member predicts, naming itself."""
        perfect = np.zeros((self.y_index.shape[0], self.n_classes))
        perfect[self._rows, self.y_index] = 1.0
        try:
            self._score_with_scorer(perfect)
        except ValueError as exc:
            raise ValueError(
                f"`scoring`={self.scoring!r} cannot score this problem "
                f"({self.n_classes} classes): {exc}"
            ) from exc

    #: Whether the soups are probabilities (``OutputSoups`` then has the
    #: log loss's gradient).
    classification = True

    @property
    def n_classes(self):
        return len(self.classes)

    def __call__(self, proba):
        """Score probabilities of shape (n_samples, n_classes)."""
        scoring, y, k = self.scoring, self.y_index, self.n_classes
        if scoring == "neg_log_loss":
            return self.neg_log_loss_true(proba[self._rows, y])
        if scoring == "accuracy":
            return float(self.weights @ (np.argmax(proba, axis=1) == y))
        if scoring == "neg_brier_score":
            # scikit-learn's brier_score_loss (whose multiclass form, `labels`
            # included, needs scikit-learn 1.7+): the weighted mean squared
            # distance to the one-hot labels, halved for two classes.
            diff = np.array(proba, dtype=np.float64)
            diff[self._rows, y] -= 1.0
            brier = float(self.weights @ np.einsum("ij,ij->i", diff, diff))
            return -(brier / 2 if k == 2 else brier)
        if scoring == "roc_auc_ovr":
            if k == 2:
                return float(
                    roc_auc_score(y, proba[:, 1], sample_weight=self.sample_weight)
                )
            return float(
                roc_auc_score(
                    y,
                    proba,
                    multi_class="ovr",
                    labels=np.arange(k),
                    sample_weight=self.sample_weight,
                )
            )
        if self._scorer is not None:
            return self._score_with_scorer(proba)
        kwargs = {}
        if self.sample_weight is not None and _takes_sample_weight(scoring):
            kwargs["sample_weight"] = self.sample_weight
        y_score = proba[:, 1] if k == 2 else proba
        return float(scoring(self.classes[y], y_score, **kwargs))

    def _score_with_scorer(self, proba):
        """A scikit-learn scorer's metric on the soup's output, as the scorer
        computes it from an estimator: the class of highest probability for
        metrics of ``predict``, else the probabilities (for two classes, the
        positive class's column)."""
        scorer = self._scorer
        response = scorer._response_method
        kwargs = dict(scorer._kwargs)
        if self.sample_weight is not None:
            kwargs["sample_weight"] = self.sample_weight
        if response == "predict":
            y_score = self.classes[np.argmax(proba, axis=1)]
        elif self.n_classes == 2:
            pos_label = scorer._get_pos_label()
            column = (
                1
                if pos_label is None
                else int(np.flatnonzero(self.classes == pos_label)[0])
            )
            y_score = proba[:, column]
        else:
            y_score = proba
        y_true = self.classes[self.y_index]
        return scorer._sign * float(scorer._score_func(y_true, y_score, **kwargs))

    def neg_log_loss_true(self, p_true):
        """Minus the weighted log loss, from each sample's probability of its
        true class (clipped at machine epsilon as
        :func:`sklearn.metrics.log_loss` does). ``p_true`` is overwritten."""
        p_true = np.asarray(p_true, dtype=np.float64)
        np.clip(p_true, _EPS, 1 - _EPS, out=p_true)
        np.log(p_true, out=p_true)
        return float(self.weights @ p_true)

    def neg_log_loss(self, proba):
        """Minus the weighted log loss of full probabilities."""
        return self.neg_log_loss_true(proba[self._rows, self.y_index])

    def objective(self, proba):
        """What ``recipe="optimized"`` minimises: the weighted log loss,
        whatever the ``scoring``."""
        return -self.neg_log_loss(proba)


def _is_regression_scorer(scorer):
    func = getattr(scorer, "_score_func", None)
    return (
        getattr(scorer, "_response_method", None) == "predict"
        and getattr(func, "__module__", "") == "sklearn.metrics._regression"
    )


#: scikit-learn's scorer names for regression: those computing a metric of
#: ``sklearn.metrics`` on ``predict`` (higher is better).
REGRESSION_SCORINGS = tuple(
    name for name in get_scorer_names() if _is_regression_scorer(get_scorer(name))
)

# Regression scorings that decrease with the weighted squared error alone:
# "optimized" minimises that error exactly (a least-squares problem).
_SQUARED_ERROR = ("neg_mean_squared_error", "neg_root_mean_squared_error", "r2")


def _neg_mse(y, pred, w):
    diff = y - pred
    return -float(w @ (diff * diff))


def _r2(y, pred, w):
    diff = y - pred
    centred = y - w @ y
    total = float(w @ (centred * centred))
    residual = float(w @ (diff * diff))
    if total == 0.0:  # as r2_score: perfect 1.0, else 0.0
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


# The common regression scorings, computed here from the normalised sample
# weights: the metric's formula without its input validation, which costs
# several times the arithmetic when a recipe scores many candidates.
_FAST_REGRESSION = {
    "neg_mean_squared_error": _neg_mse,
    "neg_root_mean_squared_error": lambda y, p, w: -np.sqrt(-_neg_mse(y, p, w)),
    "neg_mean_absolute_error": lambda y, p, w: -float(w @ np.abs(y - p)),
    "r2": _r2,
}


class RegressionScorer:
    """Score predictions against held-out targets: higher is better.

    Parameters
    ----------
    scoring : str, scorer or callable
        One of :data:`REGRESSION_SCORINGS`, a scikit-learn scorer object on
        ``predict`` (such as ``make_scorer(mean_pinball_loss, alpha=0.9,
        greater_is_better=False)``), whose metric is then applied to the
        cached predictions, or a callable ``(y_true, y_pred) -> float``
        (higher is better). The metric gets ``sample_weight=`` when its
        signature has that parameter and weights were given.
    y : array-like of shape (n_samples,)
        The held-out targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Sample weights.
    """

    classification = False
    is_log_loss = False

    def __init__(self, scoring, y, sample_weight=None):
        self.scoring = scoring
        self.y = np.asarray(y, dtype=np.float64)
        self.sample_weight = sample_weight
        n = self.y.shape[0]
        if sample_weight is None:
            self.weights = np.full(n, 1.0 / n)
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            self.weights = sample_weight / sample_weight.sum()
        self.least_squares = isinstance(scoring, str) and scoring in _SQUARED_ERROR
        if isinstance(scoring, str):
            scoring = get_scorer(scoring)
        if isinstance(scoring, _BaseScorer):
            if getattr(scoring, "_response_method", None) != "predict":
                raise ValueError(
                    "`scoring` must score a regressor's predict; got a scorer on "
                    f"{scoring._response_method!r}: {scoring!r}."
                )
            self._func, self._sign = scoring._score_func, scoring._sign
            self._kwargs = dict(scoring._kwargs)
        else:
            self._func, self._sign, self._kwargs = scoring, 1, {}
        if sample_weight is not None and _takes_sample_weight(self._func):
            self._kwargs["sample_weight"] = sample_weight

    def __call__(self, pred):
        """Score predictions of shape (n_samples,)."""
        fast = (
            _FAST_REGRESSION.get(self.scoring)
            if isinstance(self.scoring, str)
            else None
        )
        if fast is not None:
            return fast(self.y, np.asarray(pred, dtype=np.float64), self.weights)
        return self._sign * float(self._func(self.y, pred, **self._kwargs))

    def objective(self, pred):
        """What ``recipe="optimized"`` minimises: minus the score."""
        return -self(pred)


def _takes_sample_weight(func):
    try:
        return "sample_weight" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


# Candidate soups --------------------------------------------------------------


class _Sum:
    """A soup under construction: the weighted sum of its members' outputs
    (or, for :class:`ModelSoups`, of their weights) and its total weight."""

    def __init__(self, total, mass=0.0):
        self.total = total
        self.mass = mass


class OutputSoups:
    """Candidate soups of cached member outputs, scored with running sums.

    Parameters
    ----------
    spaces : sequence of ndarray of shape (n_samples, n_classes)
        The members' pooling spaces, computed once (a list or a 3-D array).
    scorer : Scorer
        Held-out labels, weights and scoring.
    link : {"identity", "softmax"} or callable, default="identity"
        From a pooled mean to probabilities (see :func:`link_proba`).

    Notes
    -----
    Adding member ``j`` to a soup holding the sum ``S`` of total weight ``t``
    gives the mean ``(S + X_j) / (t + 1)``: scoring a candidate costs one
    ``(n_samples, n_classes)`` addition and one scoring, never a member's
    prediction. When scoring by log loss an identity-link pool, only each
    sample's probability of its true class matters: those columns are
    gathered once per member (an ``(n_members, n_samples)`` array, a
    ``1 / n_classes`` fraction of the outputs), and a candidate then costs
    ``O(n_samples)``. With the softmax link the spaces are held column-major
    (the same ``(n_samples, n_classes)`` arrays, in Fortran order): the
    softmax's maximum and sum over the classes of each sample are then
    element-wise operations on contiguous columns, several times faster than
    reductions along short rows.
    """

    def __init__(self, spaces, scorer, link="identity"):
        self.link = link
        self._order = self.layout(link)
        if self._order == "F":
            spaces = [np.asfortranarray(space) for space in spaces]
        self.spaces = spaces
        self.scorer = scorer
        self.n_members = len(spaces)
        self.shape = np.shape(spaces[0])
        self._fast = scorer.is_log_loss and link == "identity"
        self._true = None
        self._flat = None
        self._gap = None
        self._buffer = None
        if self._fast:
            self._true_columns()

    @staticmethod
    def layout(link):
        """The memory order ``link``'s spaces are held in ("F" for the
        softmax, else "C"): spaces made in it are used without a copy."""
        return "F" if link == "softmax" else "C"

    def _flat_true(self):
        """Positions of each sample's true class in an (n, k) array of the
        spaces' layout, raveled in memory order."""
        if self._flat is None:
            n, k = self.shape
            rows, y = np.arange(n), self.scorer.y_index
            self._flat = rows * k + y if self._order == "C" else y * n + rows
        return self._flat

    def _raveled(self, z):
        """``z`` (in the spaces' layout) as a 1-D view in memory order."""
        return np.asarray(z, order=self._order).ravel(order=self._order)

    def _true_columns(self):
        """Each member's output at each sample's true class: (n_members, n)."""
        if self._true is None:
            n, _ = self.shape
            flat = self._flat_true()
            true = np.empty((self.n_members, n))
            for j, space in enumerate(self.spaces):
                np.take(self._raveled(space), flat, out=true[j])
            self._true = true
        return self._true

    def _source(self, j):
        return self._true[j] if self._fast else self.spaces[j]

    def _buf(self, shape):
        if self._buffer is None or self._buffer.shape != shape:
            self._buffer = np.empty(shape, order=self._order)
        return self._buffer

    def start(self):
        """An empty soup."""
        shape = (self.shape[0],) if self._fast else self.shape
        return _Sum(np.zeros(shape, order=self._order))

    def add(self, soup, j, weight=1.0):
        """Add member ``j`` with ``weight`` to ``soup`` (in place)."""
        source = self._source(j)
        if weight == 1.0:
            soup.total += source
        else:
            buf = self._buf(soup.total.shape)
            np.multiply(source, weight, out=buf)
            soup.total += buf
        soup.mass += weight

    def score_with(self, soup, j, weight=1.0):
        """Score of ``soup`` with member ``j`` added (``soup`` unchanged)."""
        buf = self._buf(soup.total.shape)
        if weight == 1.0:
            np.add(soup.total, self._source(j), out=buf)
        else:
            np.multiply(self._source(j), weight, out=buf)
            buf += soup.total
        return self._score_sum(buf, soup.mass + weight)

    def score(self, soup):
        """Score of ``soup``."""
        buf = self._buf(soup.total.shape)
        buf[...] = soup.total
        return self._score_sum(buf, soup.mass)

    def _score_sum(self, buf, mass):
        buf /= mass
        if self._fast:
            return self.scorer.neg_log_loss_true(buf)
        if self.scorer.is_log_loss and self.link == "softmax":
            return self._softmax_log_loss(buf)
        return self.scorer(link_proba(buf, self.link, copy=False))

    def _softmax_log_loss(self, z):
        """Minus the log loss of ``softmax(z)`` from ``z_y - logsumexp(z)``,
        clipped as :meth:`Scorer.neg_log_loss_true` clips (``z`` is
        overwritten)."""
        top = z.max(axis=1)
        log_p = np.take(self._raveled(z), self._flat_true())
        z -= top[:, np.newaxis]
        np.exp(z, out=z)
        log_p -= np.log(z.sum(axis=1))
        log_p -= top
        np.clip(log_p, np.log(_EPS), np.log1p(-_EPS), out=log_p)
        return float(self.scorer.weights @ log_p)

    def scores_with_each(self, soup):
        """Scores of ``soup`` with each member added, shape (n_members,):
        :meth:`score_with` for every member, in one array operation on the
        log loss's true-class columns (the same numbers)."""
        if not self._fast:
            return np.array([self.score_with(soup, j) for j in range(self.n_members)])
        means = np.add(self._true, soup.total)
        means /= soup.mass + 1.0
        np.clip(means, _EPS, 1 - _EPS, out=means)
        np.log(means, out=means)
        return np.array([float(self.scorer.weights @ row) for row in means])

    def score_bounds(self, soup):
        """Upper bounds on the scores of ``soup`` with each member added,
        shape (n_members,), or None where there are none.

        Scoring by log loss a softmax-link pool: a sample's log-probability
        ``x(z) = z_y - logsumexp(z)`` is concave in the pooled logits ``z``,
        so with ``z0`` the soup's mean and ``z = z0 + d`` a candidate's,
        ``x(z) <= x(z0) + (e_y - softmax(z0)) . d``: one dot product per
        member instead of a softmax. The bound holds where the log loss's
        clipping at ``log(eps)`` cannot act; samples where it might (their
        log-probability could fall below ``log(eps)`` for some candidate,
        by ``x(z) >= z_y - max(z) - log(n_classes)``) are bounded by 0.
        """
        if not (self.link == "softmax" and self.scorer.is_log_loss and soup.mass):
            return None
        n, k = self.shape
        t = soup.mass
        true = self._true_columns()
        if self._gap is None:
            # min over members of z_y - max(z): (n,)
            self._gap = np.min(
                [true[j] - space.max(axis=1) for j, space in enumerate(self.spaces)],
                axis=0,
            )
        z0 = soup.total / t
        z0_true = np.take(self._raveled(z0), self._flat_true())
        top = z0.max(axis=1)
        safe = (t * (z0_true - top) + self._gap) / (t + 1) - np.log(k) >= np.log(_EPS)
        s = np.where(safe, self.scorer.weights, 0.0)
        p0 = np.exp(z0 - top[:, np.newaxis])
        lse = np.log(p0.sum(axis=1))
        p0 /= np.exp(lse)[:, np.newaxis]
        x0 = z0_true - top - lse
        sp0 = self._raveled(p0 * s[:, np.newaxis])
        # sum_i s_i (e_y - p0_i) . (space_j - z0)_i, for every member j
        slope = true @ s - np.array(
            [sp0 @ self._raveled(space) for space in self.spaces]
        )
        slope -= s @ z0_true - sp0 @ self._raveled(z0)
        return s @ x0 + slope / (t + 1)

    def member_scores(self):
        """Each member's own score, shape (n_members,)."""
        empty = self.start()
        return np.array([self.score_with(empty, j) for j in range(self.n_members)])

    def mean(self, weights):
        """The soup's pooled mean for ``weights``."""
        return pool(self.spaces, weights)

    def proba(self, weights):
        """The soup's probabilities for ``weights``."""
        return link_proba(self.mean(weights), self.link, copy=False)

    def loss(self, weights):
        """The objective of ``recipe="optimized"`` (the scorer's) for the
        soup with ``weights``."""
        return self.scorer.objective(self.proba(weights))

    def least_squares(self):
        """``[A, b]`` (one array) with the soup's objective a decreasing
        function of ``||A w - b||^2`` for weights ``w`` on the simplex, or
        None: the members' predictions and the targets, rows scaled by the
        square roots of the sample weights, when the scorer is a squared
        error."""
        if not getattr(self.scorer, "least_squares", False):
            return None
        root = np.sqrt(self.scorer.weights)
        # [A, b] filled in place: simplex_least_squares factors it in place.
        Ab = np.empty((self.shape[0], self.n_members + 1), order="F")
        for j, space in enumerate(self.spaces):
            np.multiply(space, root, out=Ab[:, j])
        np.multiply(self.scorer.y, root, out=Ab[:, -1])
        return Ab

    def loss_and_grad(self, weights):
        """Log loss and its gradient in the (unnormalised) weights, or None
        when the link (or a regression soup) has no closed-form gradient.

        With the identity link the soup's probability of the true class is
        ``p_i = sum_j w_j a_ij``, so ``dL/dw_j = -sum_i s_i a_ij / p_i``. With
        the softmax link, ``dL/dw_j = -sum_i s_i (z_j[i, y_i] - p_i . z_j[i])``.
        Both losses are convex in ``w``.
        """
        if not self.scorer.classification:
            return None
        s = self.scorer.weights
        w = np.asarray(weights, dtype=np.float64)
        true = self._true_columns()
        if self.link == "identity":
            p = w @ true
            active = p > _EPS
            clipped = np.where(active, p, _EPS)
            loss = -float(s @ np.log(clipped))
            grad = -(true @ np.where(active, s / clipped, 0.0))
            return loss, grad
        if self.link == "softmax":
            mean = np.zeros(self.shape, order=self._order)
            for j, space in enumerate(self.spaces):
                if w[j] != 0:
                    mean += w[j] * space
            log_p = np.asarray(log_softmax(mean, axis=1), order=self._order)
            loss = -float(s @ np.take(self._raveled(log_p), self._flat_true()))
            weighted_p = np.exp(log_p)
            weighted_p *= s[:, np.newaxis]
            weighted_p = self._raveled(weighted_p)
            grad = np.array(
                [
                    float(weighted_p @ self._raveled(space)) - float(s @ true[j])
                    for j, space in enumerate(self.spaces)
                ]
            )
            return loss, grad
        return None


class _WeightSoups:
    """Candidate soups held as weight vectors, each scored by computing the
    soup's output from scratch (``proba(weights)``): for pooling rules
    without a running sum."""

    def start(self):
        return _Sum(np.zeros(self.n_members))

    def add(self, soup, j, weight=1.0):
        soup.total[j] += weight
        soup.mass += weight

    def score_with(self, soup, j, weight=1.0):
        total = soup.total.copy()
        total[j] += weight
        return self.scorer(self.proba(total))

    def score(self, soup):
        return self.scorer(self.proba(soup.total))

    def scores_with_each(self, soup):
        return np.array([self.score_with(soup, j) for j in range(self.n_members)])

    def score_bounds(self, soup):
        return None

    def member_scores(self):
        return np.array(
            [
                self.scorer(self.proba(np.eye(self.n_members)[j]))
                for j in range(self.n_members)
            ]
        )

    def loss(self, weights):
        return self.scorer.objective(self.proba(weights))

    def loss_and_grad(self, weights):
        return None

    def least_squares(self):
        return None


class ModelSoups(_WeightSoups):
    """Candidate soups scored by merging models and predicting.

    For weight-space soups whose prediction is not linear in the members'
    outputs (MLPs): each candidate is merged by ``merge(models, weights)`` and
    predicts its held-out rows (probabilities in the scorer's classes, or a
    regressor's predictions).

    Parameters
    ----------
    groups : list of (models, X, rows)
        Members fitted on some data and the held-out ``X`` they predict, with
        ``rows`` the positions of those samples in the held-out labels
        (``None``: all of them). One group for prefit members; one per
        cross-validation fold otherwise.
    merge : callable
        ``merge(models, weights) -> fitted estimator``.
    scorer : Scorer or RegressionScorer
        Held-out labels, weights and scoring.
    """

    def __init__(self, groups, merge, scorer):
        self.groups = groups
        self.merge = merge
        self.scorer = scorer
        self.n_members = len(groups[0][0])
        if scorer.classification:
            self.shape = (scorer.y_index.shape[0], scorer.n_classes)
        else:
            self.shape = scorer.y.shape

    def _output(self, est, X):
        if not self.scorer.classification:
            return est.predict(X)
        out = est.predict_proba(X)
        return to_class_columns(out, "predict_proba", est.classes_, self.scorer.classes)

    def proba(self, weights):
        """The merged soup's held-out output for ``weights`` (a member alone
        for a one-hot vector)."""
        weights = np.asarray(weights, dtype=np.float64)
        weights = weights / weights.sum()
        used = np.flatnonzero(weights)
        result = np.empty(self.shape)
        for models, X, rows in self.groups:
            est = models[used[0]] if len(used) == 1 else self.merge(models, weights)
            result[slice(None) if rows is None else rows] = self._output(est, X)
        return result


def weighted_median(values, weights):
    """Weighted median of members' predictions, sample by sample.

    The smallest value whose members hold at least half the total weight;
    where they hold exactly half, the mean of it and the next value (so that
    equal weights give :func:`numpy.median`).

    Parameters
    ----------
    values : ndarray of shape (n_members, n_samples)
    weights : array-like of shape (n_members,)
        Non-negative, not all zero.

    Returns
    -------
    median : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[1.0, 5.0], [2.0, 6.0], [10.0, 0.0]])
    >>> weighted_median(values, [1, 1, 1])
    array([2., 5.])
    >>> weighted_median(values, [1, 1, 2])
    array([6. , 2.5])
    """
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, axis=0, kind="stable")
    return _sorted_median(
        np.take_along_axis(values, order, axis=0),
        np.asarray(weights, dtype=np.float64)[order],
    )


def _sorted_median(sorted_values, sorted_weights):
    """:func:`weighted_median` of values sorted along axis 0, with their
    weights in the same order."""
    cumulative = np.cumsum(sorted_weights, axis=0)
    total = cumulative[-1]
    half, tol = total / 2, 1e-12 * total
    columns = np.arange(sorted_values.shape[1])
    first = np.argmax(cumulative >= half - tol, axis=0)
    lower = sorted_values[first, columns]
    # Exactly half the weight at or below `lower`: average with the next
    # value that carries weight.
    after = np.argmax(cumulative > half + tol, axis=0)
    exact = cumulative[first, columns] <= half + tol
    return np.where(exact, (lower + sorted_values[after, columns]) / 2, lower)


class MedianSoups(_WeightSoups):
    """Candidate soups of regressors pooled by their weighted median
    (``combine="median"``), from predictions computed once.

    The predictions are sorted sample by sample once; a candidate then costs
    a gather and a cumulative sum of its weights, ``O(n_members n_samples)``.

    Parameters
    ----------
    predictions : sequence of ndarray of shape (n_samples,)
        The members' held-out predictions.
    scorer : RegressionScorer
        Held-out targets, weights and scoring.
    """

    def __init__(self, predictions, scorer):
        values = np.asarray(predictions, dtype=np.float64)
        self.n_members = values.shape[0]
        self.shape = values.shape[1:]
        self.scorer = scorer
        self._order = np.argsort(values, axis=0, kind="stable")
        self._sorted = np.take_along_axis(values, self._order, axis=0)

    def mean(self, weights):
        """The soup's pooled value: the weighted median."""
        weights = np.asarray(weights, dtype=np.float64)
        return _sorted_median(self._sorted, weights[self._order])

    proba = mean


# Recipes ----------------------------------------------------------------------


def _finite(scores):
    """Scores with NaN (undefined) ranked below everything."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.where(np.isnan(scores), -np.inf, scores)


def uniform_recipe(soups, weights=None, log=None):
    """All members, with ``weights`` (default equal), normalised.

    The path adds members in their order (zero weights skipped), each step's
    score being that of the soup of the members so far.
    """
    m = soups.n_members
    weights = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    weights = weights / weights.sum()
    soup, path = soups.start(), []
    for j in np.flatnonzero(weights):
        score = soups.score_with(soup, j, weights[j])
        soups.add(soup, j, weights[j])
        path.append((int(j), score))
        _log(log, j, score)
    return weights, path


def greedy_recipe(soups, member_scores, log=None):
    """Greedy soup (Wortsman et al. 2022).

    Members sorted by their own score, best first (ties: lower index first);
    start from the best; try the others once each, keeping a member only if
    the soup's score strictly improves. Chosen members get equal weights, so
    the soup never scores below its best member.
    """
    order = np.argsort(-_finite(member_scores), kind="stable")
    soup, first = soups.start(), int(order[0])
    soups.add(soup, first)
    best = float(member_scores[first])
    chosen, path = [first], [(first, best)]
    _log(log, first, best)
    for j in order[1:]:
        score = soups.score_with(soup, j)
        if score > best:
            soups.add(soup, j)
            best = score
            chosen.append(int(j))
            path.append((int(j), score))
            _log(log, j, score)
    weights = np.zeros(soups.n_members)
    weights[chosen] = 1.0 / len(chosen)
    return weights, path


def ensemble_selection_recipe(soups, n_iter, log=None):
    """Ensemble selection (Caruana et al. 2004).

    ``n_iter`` forward steps with replacement from an empty soup: each step
    adds the member whose addition scores best (ties: lowest index). Weights
    are counts / ``n_iter``.
    """
    counts = np.zeros(soups.n_members)
    soup, path = soups.start(), []
    for _ in range(n_iter):
        j, score = _best_addition(soups, soup)
        soups.add(soup, j)
        counts[j] += 1
        path.append((j, score))
        _log(log, j, score)
    return counts / n_iter, path


def _best_addition(soups, soup):
    """``(j, score)``: the member whose addition to ``soup`` scores best
    (ties: lowest index) and that score.

    Where the soups bound each candidate's score from above
    (:meth:`OutputSoups.score_bounds`), candidates are scored in decreasing
    order of their bounds, stopping at the first bound below the best score
    so far (less a relative 1e-9 for rounding): the same member and score as
    scoring every candidate.
    """
    bounds = soups.score_bounds(soup)
    if bounds is None:
        scores = soups.scores_with_each(soup)
        j = int(np.argmax(_finite(scores)))
        return j, float(scores[j])
    best_j, best = -1, -np.inf
    for j in np.argsort(-bounds, kind="stable"):
        if bounds[j] < best - 1e-9 * (1.0 + abs(best)):
            break
        score = float(_finite([soups.score_with(soup, j)])[0])
        if best_j < 0 or score > best or (score == best and j < best_j):
            best_j, best = int(j), score
    return best_j, best


def simplex_least_squares(A, b=None, *, max_iter=None):
    """Exact minimiser of ``||A w - b||^2`` over the simplex
    (``w >= 0``, ``sum(w) = 1``).

    A primal active-set method (Nocedal & Wright 2006, algorithm 16.3) on the
    triangular factor of ``A``: ``||A w - b||^2 = ||R w - Q^T b||^2 +
    const`` with ``A = Q R``, so each step solves a small least-squares
    problem in ``R``'s columns (``[R, Q^T b]`` is the triangular factor of
    ``[A, b]``, one QR pass over the data; never the normal equations, whose condition
    number is the square of ``A``'s: members' predictions are often nearly
    collinear). It starts from the best single member and ends when the
    Karush-Kuhn-Tucker conditions hold, which for this convex problem makes
    the result a global minimum.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_members)
        Or, with ``b=None``, ``[A, b]`` of shape ``(n_samples, n_members +
        1)``, overwritten (factored in place: no copy of the data).
    b : ndarray of shape (n_samples,), default=None
    max_iter : int, default=None
        Active-set changes allowed (default ``10 * n_members + 10``).

    Returns
    -------
    w : ndarray of shape (n_members,)
        On the simplex. (Should the iteration limit be reached, which only
        degenerate ties can cause, the best point found.)

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> simplex_least_squares(A, np.array([1.0, 0.5]))
    array([0.75, 0.25])
    """
    if b is None:
        Ab, overwrite = A, True
    else:
        Ab, overwrite = np.column_stack([A, b]).astype(np.float64), True
    m = Ab.shape[1] - 1
    # [A, b] = Q [R, c]: the triangular factor alone, computed in place
    # (LAPACK's Householder form; Q is never formed).
    (householder, _), *_ = scipy.linalg.qr(
        Ab, mode="raw", overwrite_a=overwrite, check_finite=False
    )
    factor = np.triu(householder[: m + 1])
    R, c = factor[:, :m], factor[:, m]
    residual_scale = max(float(np.abs(R).max(initial=0.0)), 1e-300)
    tol = 1e-12 * residual_scale * max(residual_scale, float(np.linalg.norm(c)))
    # Start at the best vertex: the member with the least error.
    w = np.zeros(m)
    w[int(np.argmin(((R - c[:, np.newaxis]) ** 2).sum(axis=0)))] = 1.0
    free = w > 0
    for _ in range(10 * m + 10 if max_iter is None else max_iter):
        target = _equality_least_squares(R, c, free)
        step = target - w
        shrinking = free & (step < 0)
        if shrinking.any():
            ratios = w[shrinking] / -step[shrinking]
            alpha = min(1.0, float(ratios.min()))
        else:
            alpha = 1.0
        w = np.clip(w + alpha * step, 0.0, None)
        if alpha < 1.0:
            # A member's weight reached zero: it leaves the free set.
            blocking = np.flatnonzero(shrinking)[np.argmin(ratios)]
            w[blocking] = 0.0
            free[blocking] = False
            w /= w.sum()
            continue
        w /= w.sum()
        # The gradient 2 R^T (R w - c); on the free set it equals -mu (the
        # sum constraint's multiplier); a bound's multiplier is g_i + mu.
        gradient = R.T @ (R @ w - c)
        mu = -float(gradient[free].mean())
        multipliers = np.where(free, np.inf, gradient + mu)
        entering = int(np.argmin(multipliers))
        if multipliers[entering] >= -tol:
            return w
        free[entering] = True
    return w


def _equality_least_squares(R, c, free):
    """Minimiser of ``||R w - c||^2`` with ``sum(w) = 1`` and ``w`` zero off
    ``free``: ``w = e_f + Z z`` with ``Z``'s columns ``e_i - e_f``, which
    leaves an unconstrained least-squares problem in ``z``."""
    indices = np.flatnonzero(free)
    first, others = indices[0], indices[1:]
    w = np.zeros(R.shape[1])
    w[first] = 1.0
    if others.size:
        Z = R[:, others] - R[:, [first]]
        z = np.linalg.lstsq(Z, c - R[:, first], rcond=None)[0]
        w[others] = z
        w[first] = 1.0 - z.sum()
    return w


def _simplex_minimum(soups, start, max_iter):
    """Weights on the simplex minimising ``soups.loss``: exactly for a
    least-squares objective; by SLSQP with the analytic gradient where the
    soups have one; otherwise by a derivative-free search (Powell) over
    weights ``|v| / sum |v|``."""
    problem = soups.least_squares()
    if problem is not None:
        return simplex_least_squares(problem)
    m = len(start)
    if soups.loss_and_grad(start) is not None:
        result = minimize(
            soups.loss_and_grad,
            start,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * m,
            constraints=[
                {
                    "type": "eq",
                    "fun": lambda w: w.sum() - 1.0,
                    "jac": lambda w: np.ones(m),
                }
            ],
            options={"maxiter": max_iter, "ftol": 1e-12},
        )
        return np.clip(result.x, 0.0, None)

    def loss(v):
        v = np.abs(v)
        total = v.sum()
        return soups.loss(v / total) if total > 0 else np.inf

    result = minimize(
        loss, start, method="Powell", options={"maxiter": max_iter, "xtol": 1e-6}
    )
    return np.abs(result.x)


def optimized_recipe(soups, log=None, max_iter=200):
    """Simplex weights minimising the soups' objective on held-out data.

    Classifiers' soups minimise the log loss: SLSQP over ``w >= 0,
    sum(w) = 1``, started from uniform weights, with the analytic gradient
    when the pooling has one (convex for proba, vote and logit pools; weights
    are then unique up to ties). Regressors' soups minimise minus their
    scorer: exactly for the squared-error scorers
    (:func:`simplex_least_squares`), by a derivative-free search otherwise.
    The result is never worse than uniform weights. Weights below 1e-9 are
    set to zero. The path lists members by decreasing weight, each step's
    score being that of the soup of the heaviest members so far (weights
    renormalised).
    """
    m = soups.n_members
    start = np.full(m, 1.0 / m)
    weights = np.ones(1)
    if m > 1:
        weights = _simplex_minimum(soups, start, max_iter)
        weights[weights < 1e-9] = 0.0
        if weights.sum() > 0:
            weights = weights / weights.sum()
            if not soups.loss(weights) <= soups.loss(start):
                weights = start
        else:  # pragma: no cover - the searches keep to the simplex
            weights = start
    soup, path = soups.start(), []
    for j in np.argsort(-weights, kind="stable"):
        if weights[j] == 0:
            break
        score = soups.score_with(soup, j, weights[j])
        soups.add(soup, j, weights[j])
        path.append((int(j), score))
        _log(log, j, score)
    return weights, path


#: The recipes by name, each called as ``recipe(soups, options, log)`` with
#: ``options`` holding the user's ``weights``, the ``member_scores`` and
#: ``n_iter``.
RECIPES = {
    "uniform": lambda soups, o, log: uniform_recipe(soups, o.weights, log=log),
    "greedy": lambda soups, o, log: greedy_recipe(soups, o.member_scores, log=log),
    "ensemble_selection": lambda soups, o, log: ensemble_selection_recipe(
        soups, o.n_iter, log=log
    ),
    "optimized": lambda soups, o, log: optimized_recipe(soups, log=log),
}


def _log(log, j, score):
    if log is not None:
        log(int(j), float(score))
