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
"""

import inspect

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.metrics import roc_auc_score

from skmerge._base import PROBA_CLIP, softmax_in_place, to_class_columns

#: Names accepted by ``scoring``: higher is better, as scikit-learn's scorers.
SCORINGS = ("neg_log_loss", "accuracy", "roc_auc_ovr", "neg_brier_score")

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


def to_pool_space(output, method, member_classes, classes, combine):
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

    Returns
    -------
    space : ndarray of shape (n_samples, n_classes)
    """
    space = to_class_columns(output, method, member_classes, classes)
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
    scoring : str or callable
        One of :data:`SCORINGS`, or a callable ``(y_true, proba) -> float``
        (higher is better) called with the original labels and probabilities
        whose columns follow ``classes``; it also gets ``sample_weight=`` when
        its signature has that parameter and weights were given.
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
        kwargs = {}
        if self.sample_weight is not None and _takes_sample_weight(scoring):
            kwargs["sample_weight"] = self.sample_weight
        return float(scoring(self.classes[y], proba, **kwargs))

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
    ``O(n_samples)``.
    """

    def __init__(self, spaces, scorer, link="identity"):
        self.spaces = spaces
        self.scorer = scorer
        self.link = link
        self.n_members = len(spaces)
        self.shape = np.shape(spaces[0])
        self._fast = scorer.is_log_loss and link == "identity"
        self._true = None
        self._flat = None
        self._buffer = None
        if self._fast:
            self._true_columns()

    def _flat_true(self):
        """Positions of each sample's true class in a raveled (n, k) array."""
        if self._flat is None:
            n, k = self.shape
            self._flat = np.arange(n) * k + self.scorer.y_index
        return self._flat

    def _true_columns(self):
        """Each member's output at each sample's true class: (n_members, n)."""
        if self._true is None:
            n, _ = self.shape
            flat = self._flat_true()
            true = np.empty((self.n_members, n))
            for j, space in enumerate(self.spaces):
                np.take(np.ascontiguousarray(space).reshape(-1), flat, out=true[j])
            self._true = true
        return self._true

    def _source(self, j):
        return self._true[j] if self._fast else self.spaces[j]

    def _buf(self, shape):
        if self._buffer is None or self._buffer.shape != shape:
            self._buffer = np.empty(shape)
        return self._buffer

    def start(self):
        """An empty soup."""
        shape = (self.shape[0],) if self._fast else self.shape
        return _Sum(np.zeros(shape))

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
        log_p = np.take(z.reshape(-1), self._flat_true())
        z -= top[:, np.newaxis]
        np.exp(z, out=z)
        log_p -= np.log(z.sum(axis=1))
        log_p -= top
        np.clip(log_p, np.log(_EPS), np.log1p(-_EPS), out=log_p)
        return float(self.scorer.weights @ log_p)

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

    def log_loss(self, weights):
        """Weighted log loss of the soup with ``weights``."""
        return -self.scorer.neg_log_loss(self.proba(weights))

    def log_loss_and_grad(self, weights):
        """Log loss and its gradient in the (unnormalised) weights, or None
        when the link has no closed-form gradient.

        With the identity link the soup's probability of the true class is
        ``p_i = sum_j w_j a_ij``, so ``dL/dw_j = -sum_i s_i a_ij / p_i``. With
        the softmax link, ``dL/dw_j = -sum_i s_i (z_j[i, y_i] - p_i . z_j[i])``.
        Both losses are convex in ``w``.
        """
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
            mean = np.zeros(self.shape)
            for j, space in enumerate(self.spaces):
                if w[j] != 0:
                    mean += w[j] * space
            log_p = log_softmax(mean, axis=1)
            loss = -float(s @ log_p[np.arange(self.shape[0]), self.scorer.y_index])
            weighted_p = np.exp(log_p)
            weighted_p *= s[:, np.newaxis]
            grad = np.array(
                [
                    float(np.vdot(weighted_p, space)) - float(s @ true[j])
                    for j, space in enumerate(self.spaces)
                ]
            )
            return loss, grad
        return None


class ModelSoups:
    """Candidate soups scored by merging models and predicting.

    For weight-space soups whose prediction is not linear in the members'
    outputs (MLPs): each candidate is merged by ``merge(models, weights)`` and
    predicts its held-out rows.

    Parameters
    ----------
    groups : list of (models, X, rows)
        Members fitted on some data and the held-out ``X`` they predict, with
        ``rows`` the positions of those samples in the held-out labels
        (``None``: all of them). One group for prefit members; one per
        cross-validation fold otherwise.
    merge : callable
        ``merge(models, weights) -> fitted estimator``.
    scorer : Scorer
        Held-out labels, weights and scoring.
    """

    def __init__(self, groups, merge, scorer):
        self.groups = groups
        self.merge = merge
        self.scorer = scorer
        self.n_members = len(groups[0][0])
        self.shape = (scorer.y_index.shape[0], scorer.n_classes)

    def _predict(self, models_to_estimator):
        proba = np.empty(self.shape)
        for models, X, rows in self.groups:
            est = models_to_estimator(models)
            out = est.predict_proba(X)
            part = to_class_columns(
                out, "predict_proba", est.classes_, self.scorer.classes
            )
            if rows is None:
                proba[...] = part
            else:
                proba[rows] = part
        return proba

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

    def member_scores(self):
        return np.array(
            [
                self.scorer(self._predict(lambda models, j=j: models[j]))
                for j in range(self.n_members)
            ]
        )

    def proba(self, weights):
        weights = np.asarray(weights, dtype=np.float64)
        weights = weights / weights.sum()
        return self._predict(lambda models: self.merge(models, weights))

    def log_loss(self, weights):
        return -self.scorer.neg_log_loss(self.proba(weights))

    def log_loss_and_grad(self, weights):
        return None


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
        scores = [soups.score_with(soup, j) for j in range(soups.n_members)]
        j = int(np.argmax(_finite(scores)))
        soups.add(soup, j)
        counts[j] += 1
        path.append((j, float(scores[j])))
        _log(log, j, scores[j])
    return counts / n_iter, path


def optimized_recipe(soups, log=None, max_iter=200):
    """Simplex weights minimising the held-out log loss of the soup.

    SLSQP over ``w >= 0, sum(w) = 1``, started from uniform weights, with the
    analytic gradient when the pooling has one (finite differences
    otherwise). The loss is convex for proba, vote and logit pools (weights
    are then unique up to ties); the result is never worse than the uniform
    start. Weights below 1e-9 are set to zero. The path lists members by
    decreasing weight, each step's score being that of the soup of the
    heaviest members so far (weights renormalised).
    """
    m = soups.n_members
    start = np.full(m, 1.0 / m)
    if m > 1:
        if soups.log_loss_and_grad(start) is not None:
            fun, jac = soups.log_loss_and_grad, True
        else:
            # Finite differences may step just outside the bounds.
            def fun(w):
                return soups.log_loss(np.clip(w, 0.0, None))

            jac = None
        result = minimize(
            fun,
            start,
            jac=jac,
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
        weights = np.clip(result.x, 0.0, None)
        weights[weights < 1e-9] = 0.0
        if weights.sum() > 0:
            weights = weights / weights.sum()
            if not soups.log_loss(weights) <= soups.log_loss(start):
                weights = start
        else:  # pragma: no cover - SLSQP keeps to the simplex
            weights = start
    else:
        weights = np.ones(1)
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
