# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Calibration metrics for multiclass probabilistic classifiers.

Expected and maximum calibration error (top-label and classwise), the
smooth ECE of Blasiok and Nakkiran, and a one-call report of the usual
probabilistic scores. The argument names follow
:func:`sklearn.calibration.calibration_curve`: ``y_true, y_prob, *, n_bins,
strategy``.
"""

from numbers import Integral

import numpy as np
from scipy.signal import fftconvolve
from sklearn.metrics import accuracy_score, log_loss
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "calibration_report",
    "expected_calibration_error",
    "maximum_calibration_error",
    "smooth_ece",
]

# Probabilities may be off by this much (float32 rounding, a softmax summed in
# float32 then cast to float64) and still be accepted; they are then clipped.
_PROBA_TOL = 1e-4


def _check_calibration_inputs(y_true, y_prob, labels=None, sample_weight=None):
    """Validate the inputs shared by the metrics and the display.

    Returns
    -------
    y_index : ndarray of shape (n_samples,)
        Column of `y_prob` of each sample's true label.
    y_prob : ndarray of shape (n_samples, n_classes)
        Probabilities, clipped to [0, 1]; a 1-D binary input becomes the two
        columns ``(1 - p, p)``.
    classes : ndarray of shape (n_classes,)
        The label of each column.
    sample_weight : ndarray of shape (n_samples,)
        Float weights (ones when None was given).
    """
    y_true = column_or_1d(y_true)
    y_prob = check_array(
        y_prob, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y_prob"
    )
    check_consistent_length(y_true, y_prob)

    binary_1d = y_prob.ndim == 1 or y_prob.shape[1] == 1
    if binary_1d:
        y_prob = y_prob.reshape(-1)
        y_prob = np.column_stack([1 - y_prob, y_prob])

    classes = _check_classes(y_true, labels, y_prob.shape[1], binary_1d)
    y_index = _label_index(y_true, classes)
    y_prob = _check_probabilities(y_prob)
    sample_weight = _check_sample_weight(sample_weight, len(y_true))
    return y_index, y_prob, classes, sample_weight


def _check_classes(y_true, labels, n_columns, binary_1d):
    """The label of each column of `y_prob`, checked against its shape.

    `labels` if given (they must be unique), else the sorted unique labels of
    `y_true`; there must be one per column, and 2 when `binary_1d`.
    """
    if labels is None:
        classes = np.unique(y_true)
        hint = " Pass labels= to name the class of every column of y_prob."
    else:
        classes = column_or_1d(labels)
        hint = ""
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"labels must be unique; got {classes.tolist()}.")

    if binary_1d and len(classes) != 2:
        raise ValueError(
            "A 1-D y_prob holds the probability of the positive class of a "
            f"binary problem, so there must be 2 labels; got {len(classes)}: "
            f"{classes.tolist()}.{hint}"
        )
    if n_columns != len(classes):
        raise ValueError(
            f"y_prob must have one column per label; y_prob has {n_columns} "
            f"columns but there are {len(classes)} labels: {classes.tolist()}."
            f"{hint}"
        )
    return classes


def _label_index(y_true, classes):
    """Position in `classes` of each label of `y_true`; all must be there."""
    position = {label: i for i, label in enumerate(classes.tolist())}
    y_index = np.array([position.get(label, -1) for label in y_true.tolist()])
    if np.any(y_index < 0):
        unknown = np.unique(y_true[y_index < 0].astype(object)).tolist()
        raise ValueError(
            f"Every label in y_true must be in labels; got y_true labels {unknown} "
            f"that are not in {classes.tolist()}."
        )
    return y_index


def _check_probabilities(y_prob):
    """Check that rows of `y_prob` are probabilities (to `_PROBA_TOL`); clip them."""
    low, high = float(y_prob.min()), float(y_prob.max())
    if low < -_PROBA_TOL or high > 1 + _PROBA_TOL:
        raise ValueError(
            "y_prob must hold probabilities in [0, 1]; got values from "
            f"{low:.6g} to {high:.6g}."
        )
    row_sums = y_prob.sum(axis=1)
    if np.any(np.abs(row_sums - 1) > _PROBA_TOL):
        raise ValueError(
            "Each row of y_prob must sum to 1; got row sums from "
            f"{row_sums.min():.6g} to {row_sums.max():.6g}."
        )
    return np.clip(y_prob, 0, 1)


def _check_sample_weight(sample_weight, n_samples):
    """Float weights, one per sample, finite, non-negative, positive sum.

    Ones when `sample_weight` is None.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    sample_weight = column_or_1d(sample_weight).astype(np.float64)
    if len(sample_weight) != n_samples:
        raise ValueError(
            "sample_weight must have one weight per sample; got "
            f"{len(sample_weight)} weights for {n_samples} samples."
        )
    if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
        raise ValueError(
            "sample_weight must be finite and non-negative; got values from "
            f"{np.nanmin(sample_weight):.6g} to {np.nanmax(sample_weight):.6g}."
        )
    if sample_weight.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum; got all zeros.")
    return sample_weight


def _bin_edges(scores, n_bins, strategy):
    """Edges of the bins, shape (n_effective_bins + 1,)."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    # Quantiles of the (unweighted) scores; equal quantiles collapse into one.
    edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, n_bins + 1)))
    if edges.size == 1:  # every score is the same: one bin
        edges = np.repeat(edges, 2)
    return edges


def _reliability_bins(scores, hits, n_bins, strategy, sample_weight=None):
    """Group `scores` into bins and compare them with `hits`, bin by bin.

    Bins are closed on the right, ``(e[b], e[b + 1]]``, except the first, which
    also holds its left edge, as in
    :func:`sklearn.calibration.calibration_curve`. A score of exactly 1.0
    therefore falls in the last uniform bin.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Predicted probabilities (confidences) in [0, 1].
    hits : ndarray of shape (n_samples,)
        1 where the event the score predicts happened, else 0.
    n_bins : int
        Number of bins asked for (quantile bins may merge).
    strategy : {"uniform", "quantile"}
        Equal-width bins on [0, 1], or edges at quantiles of `scores`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the samples; ones if None.

    Returns
    -------
    mean_score : ndarray of shape (n_effective_bins,)
        Weighted mean score in each bin (NaN where the bin weighs nothing).
    frequency : ndarray of shape (n_effective_bins,)
        Weighted frequency of hits in each bin (NaN where it weighs nothing).
    weight : ndarray of shape (n_effective_bins,)
        Total weight (the count, without weights) in each bin.
    edges : ndarray of shape (n_effective_bins + 1,)
        Bin edges.
    """
    scores = np.asarray(scores, dtype=np.float64)
    hits = np.asarray(hits, dtype=np.float64)
    if sample_weight is None:
        sample_weight = np.ones_like(scores)
    edges = _bin_edges(scores, n_bins, strategy)
    n_effective = len(edges) - 1
    bin_ids = np.searchsorted(edges[1:-1], scores)

    weight = np.bincount(bin_ids, weights=sample_weight, minlength=n_effective)
    score_sum = np.bincount(
        bin_ids, weights=sample_weight * scores, minlength=n_effective
    )
    hit_sum = np.bincount(bin_ids, weights=sample_weight * hits, minlength=n_effective)
    nonempty = weight > 0
    mean_score = np.full(n_effective, np.nan)
    frequency = np.full(n_effective, np.nan)
    mean_score[nonempty] = score_sum[nonempty] / weight[nonempty]
    frequency[nonempty] = hit_sum[nonempty] / weight[nonempty]
    return mean_score, frequency, weight, edges


def _ece_mce(scores, hits, n_bins, strategy, sample_weight):
    """Expected and maximum gap between hit frequency and mean score in the bins."""
    mean_score, frequency, weight, _ = _reliability_bins(
        scores, hits, n_bins, strategy, sample_weight
    )
    nonempty = weight > 0
    gaps = np.abs(frequency[nonempty] - mean_score[nonempty])
    weight = weight[nonempty]
    return float(np.sum(weight * gaps) / np.sum(weight)), float(np.max(gaps))


def _top_label(y_index, y_prob):
    """Confidence (max probability) and correctness of each prediction.

    Ties go to the first column with the maximum, as in `np.argmax`.
    """
    predicted = np.argmax(y_prob, axis=1)
    confidence = y_prob[np.arange(len(y_prob)), predicted]
    return confidence, (predicted == y_index).astype(np.float64)


def _calibration_errors(y_true, y_prob, n_bins, strategy, kind, labels, sample_weight):
    """(ECE, MCE) for `kind`; the two public functions pick one."""
    y_index, y_prob, _, sample_weight = _check_calibration_inputs(
        y_true, y_prob, labels=labels, sample_weight=sample_weight
    )
    if kind == "top_label":
        confidence, correct = _top_label(y_index, y_prob)
        return _ece_mce(confidence, correct, n_bins, strategy, sample_weight)
    per_class = [
        _ece_mce(y_prob[:, c], y_index == c, n_bins, strategy, sample_weight)
        for c in range(y_prob.shape[1])
    ]
    eces, mces = np.array(per_class).T
    return float(np.mean(eces)), float(np.max(mces))


_CALIBRATION_ERROR_PARAMS = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"uniform", "quantile"})],
    "kind": [StrOptions({"top_label", "classwise"})],
    "labels": ["array-like", None],
    "sample_weight": ["array-like", None],
}


@validate_params(_CALIBRATION_ERROR_PARAMS, prefer_skip_nested_validation=True)
def expected_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    kind="top_label",
    labels=None,
    sample_weight=None,
):
    """Expected calibration error (ECE) of probabilistic predictions.

    The probabilities are put into bins; in each bin the mean probability is
    compared with how often the predicted event happened. The ECE is the mean
    absolute gap, each bin weighted by its share of the samples:
    ``sum_b (W_b / W) |frequency_b - mean_probability_b|`` over non-empty bins.
    For `kind="classwise"` it is the mean of the ECE of each class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings).

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, one row per sample summing to 1. The columns
        follow `labels` if given, else the sorted unique labels of `y_true`,
        as in :func:`sklearn.metrics.log_loss`. A 1-D array, in a binary
        problem, is the probability of the second (positive) class.

    n_bins : int, default=15
        Number of bins.

    strategy : {"uniform", "quantile"}, default="uniform"
        - `"uniform"`: `n_bins` equal-width bins on [0, 1]. Bins are closed on
          the right, so a probability of exactly 1.0 is in the last bin.
        - `"quantile"`: bin edges at quantiles of the binned probabilities,
          so bins hold about as many samples each (the quantiles ignore
          `sample_weight`); equal edges are merged.

    kind : {"top_label", "classwise"}, default="top_label"
        - `"top_label"`: bin the confidence (the largest probability of each
          row) and compare it with the accuracy of the predicted (argmax)
          class.
        - `"classwise"`: for each class, bin its probability and compare it
          with how often that class is the true one.

    labels : array-like of shape (n_classes,), default=None
        The label of each column of `y_prob`.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    ece : float
        Expected calibration error, in [0, 1]. 0 means calibrated (at the
        resolution of the bins).

    See Also
    --------
    maximum_calibration_error : The largest gap over the bins.
    calibration_report : ECE, MCE, accuracy, log loss and Brier score at once.
    skmerge.plotting.ReliabilityDisplay : The reliability diagram of the bins.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger (2017), "On
       Calibration of Modern Neural Networks", ICML.
    .. [2] M. Kull et al. (2019), "Beyond temperature scaling: Obtaining
       well-calibrated multiclass probabilities with Dirichlet calibration",
       NeurIPS (classwise ECE).

    Examples
    --------
    >>> from skmerge.metrics import expected_calibration_error
    >>> y_true = [0, 1, 2, 2]
    >>> y_prob = [[0.9, 0.05, 0.05],
    ...           [0.6, 0.3, 0.1],
    ...           [0.1, 0.1, 0.8],
    ...           [0.2, 0.2, 0.6]]
    >>> round(expected_calibration_error(y_true, y_prob, n_bins=5), 3)
    0.125
    >>> round(expected_calibration_error(y_true, y_prob, kind="classwise"), 3)
    0.233
    """
    return _calibration_errors(
        y_true, y_prob, n_bins, strategy, kind, labels, sample_weight
    )[0]


@validate_params(_CALIBRATION_ERROR_PARAMS, prefer_skip_nested_validation=True)
def maximum_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    kind="top_label",
    labels=None,
    sample_weight=None,
):
    """Maximum calibration error (MCE) of probabilistic predictions.

    The largest absolute gap, over the non-empty bins, between the mean
    probability in a bin and how often the predicted event happened there.
    For `kind="classwise"` it is the largest over the classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings).

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, one row per sample summing to 1. The columns
        follow `labels` if given, else the sorted unique labels of `y_true`,
        as in :func:`sklearn.metrics.log_loss`. A 1-D array, in a binary
        problem, is the probability of the second (positive) class.

    n_bins : int, default=15
        Number of bins.

    strategy : {"uniform", "quantile"}, default="uniform"
        - `"uniform"`: `n_bins` equal-width bins on [0, 1]. Bins are closed on
          the right, so a probability of exactly 1.0 is in the last bin.
        - `"quantile"`: bin edges at quantiles of the binned probabilities,
          so bins hold about as many samples each (the quantiles ignore
          `sample_weight`); equal edges are merged.

    kind : {"top_label", "classwise"}, default="top_label"
        - `"top_label"`: bin the confidence (the largest probability of each
          row) and compare it with the accuracy of the predicted (argmax)
          class.
        - `"classwise"`: for each class, bin its probability and compare it
          with how often that class is the true one.

    labels : array-like of shape (n_classes,), default=None
        The label of each column of `y_prob`.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    mce : float
        Maximum calibration error, in [0, 1].

    See Also
    --------
    expected_calibration_error : The weighted mean gap over the bins.

    Examples
    --------
    >>> from skmerge.metrics import maximum_calibration_error
    >>> y_true = [0, 1, 2, 2]
    >>> y_prob = [[0.9, 0.05, 0.05],
    ...           [0.6, 0.3, 0.1],
    ...           [0.1, 0.1, 0.8],
    ...           [0.2, 0.2, 0.6]]
    >>> round(maximum_calibration_error(y_true, y_prob, n_bins=5), 3)
    0.2
    """
    return _calibration_errors(
        y_true, y_prob, n_bins, strategy, kind, labels, sample_weight
    )[1]


# The numerics of relplot 1.0 (relplot.metrics.smECE), kept so that the values
# agree: the bisection floor and steps, the density floor of
# ReflectedGaussianKernel.smooth, and the least number of evaluation points.
_SMOOTH_ECE_FLOOR = 1e-3
_SMOOTH_ECE_STEPS = 10
_SMOOTH_ECE_DENSITY_FLOOR = 1e-4
_SMOOTH_ECE_MIN_EVAL = 200


def _smooth_ece_at(scores, residuals, weight, sigma):
    """Smooth ECE at a fixed bandwidth `sigma`, computed as relplot does.

    The weighted residuals and the weights are put on a grid of `n_grid`
    points on [0, 1] (each sample split linearly between its two nearest
    points), reflected once about 0 and about 1, convolved with the Gaussian
    density of scale `sigma` sampled on the same grid over [-1/2, 1/2], read
    off at `n_eval` equally spaced points by linear interpolation, and summed.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Predictions in [0, 1].
    residuals : ndarray of shape (n_samples,)
        ``scores - outcome``.
    weight : ndarray of shape (n_samples,)
        Sample weights, summing to `n_samples`.
    sigma : float
        Bandwidth, in (0, 1].

    Returns
    -------
    smece : float
    """
    n_grid = max(2000, round(20 / sigma)) // 2 + 1
    position = scores * (n_grid - 1)
    left = position.astype(np.intp).clip(0, n_grid - 2)
    right_share = position - left
    masses = np.array(
        [
            np.bincount(left, weights=(1 - right_share) * values, minlength=n_grid)
            + np.bincount(left + 1, weights=right_share * values, minlength=n_grid)
            for values in (weight * residuals, weight)
        ]
    )
    offsets = np.linspace(0, 1, n_grid) - 0.5
    kernel = np.exp(-(offsets**2) / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
    reflected = np.concatenate([masses[:, :0:-1], masses, masses[:, -2::-1]], axis=1)
    start = n_grid // 2
    smoothed = fftconvolve(reflected, kernel[None, :], mode="valid", axes=1)[
        :, start : start + n_grid
    ]

    n_eval = max(round(10 / sigma), _SMOOTH_ECE_MIN_EVAL)
    position = np.linspace(0, 1, n_eval) * (n_grid - 1)
    left = position.astype(np.intp).clip(0, n_grid - 2)
    right_share = position - left
    residual_mass, density = (
        smoothed[:, left] * (1 - right_share) + smoothed[:, left + 1] * right_share
    )
    # relplot's sum(|r_hat| * density) / sum(density), with r_hat =
    # residual_mass / density and the floor on the density.
    density = density + _SMOOTH_ECE_DENSITY_FLOOR
    return float(np.sum(np.abs(residual_mass)) / np.sum(density))


def _smooth_ece_fixed_point(scores, outcomes, sample_weight):
    """relplot's bisection estimate of the fixed point ``sigma* =
    smECE_sigma*`` (the narrowest width tried on (0, 1] whose smooth ECE is
    at most the width; widths below the floor count as too narrow), and the
    smooth ECE there: ``(sigma*, smECE)``."""
    scores = np.asarray(scores, dtype=np.float64)
    residuals = scores - np.asarray(outcomes, dtype=np.float64)
    weight = sample_weight * (len(scores) / np.sum(sample_weight))
    values = {}

    def too_narrow(sigma):
        values[sigma] = _smooth_ece_at(scores, residuals, weight, sigma)
        return sigma < _SMOOTH_ECE_FLOOR or sigma < values[sigma]

    upper, lower = 1.0, 0.0
    if not too_narrow(upper):
        for _ in range(_SMOOTH_ECE_STEPS):
            middle = (upper + lower) / 2
            if too_narrow(middle):
                lower = middle
            else:
                upper = middle
    return upper, values[upper]


def _smooth_ece(scores, outcomes, sample_weight):
    """Smooth ECE at relplot's bisection estimate of the fixed point sigma*."""
    return _smooth_ece_fixed_point(scores, outcomes, sample_weight)[1]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def smooth_ece(y_true, y_prob, *, labels=None, sample_weight=None):
    """Smooth expected calibration error (smooth ECE) of the top label.

    A binning-free calibration error: the residuals of the confidences are
    smoothed with a Gaussian kernel whose width is the error itself. With
    the confidence ``f_i = max_c p_ic`` of each row, ``y_i = 1`` when the
    predicted (argmax) class is the true one, weights ``w_i`` and the
    reflected Gaussian kernel on [0, 1]

    ``K_s(t, f) = phi_s(t - f) + phi_s(t + f) + phi_s(t - (2 - f))``

    (``phi_s`` the normal density of scale ``s``, mirrored at 0 and at 1),

    ``smECE_s = int_0^1 |sum_i w_i K_s(t, f_i) (f_i - y_i)| dt /
    int_0^1 sum_i w_i K_s(t, f_i) dt``,

    that is the mean absolute kernel-smoothed residual ``f - E[y | f]``
    under the kernel density of the confidences. The smooth ECE is
    ``smECE_s*`` at the width where the two agree, ``s* = smECE_s*`` [1]_.

    The numerics are those of the authors' package relplot (1.0,
    ``relplot.smECE``), so that the values agree with it: ``s*`` is found
    by 10 bisection steps on (0, 1], keeping the upper end (the narrowest
    width tried with ``smECE_s <= s``; widths below 0.001 count as too
    narrow); the sums over samples are put on a grid of
    ``max(1000, 10 / s) + 1`` points, the kernel is cut at ``|t - f| <= 1/2``,
    and the integrals are sums over ``max(200, 10 / s)`` equally spaced
    points. Sample weights are rescaled to sum to the number of samples
    (relplot has none; without weights the value is relplot's).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings).

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as for :func:`expected_calibration_error`.
        A 1-D binary input is the probability of the positive class; its
        top-label confidence is ``max(p, 1 - p)``.

    labels : array-like of shape (n_classes,), default=None
        The label of each column of `y_prob`; the sorted unique labels of
        `y_true` if None.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    smece : float
        Smooth ECE, in [0, 1]. 0 means calibrated; for a predictor with one
        confidence ``c`` and accuracy ``a`` it is ``|c - a|``.

    See Also
    --------
    expected_calibration_error : The binned ECE.
    calibration_report : Every score at once, this one included.

    References
    ----------
    .. [1] J. Blasiok and P. Nakkiran (2023), "Smooth ECE: Principled
       Reliability Diagrams via Kernel Smoothing", arXiv:2309.12236.

    Examples
    --------
    >>> from skmerge.metrics import smooth_ece
    >>> y_true = [0, 1, 2, 2]
    >>> y_prob = [[0.9, 0.05, 0.05],
    ...           [0.6, 0.3, 0.1],
    ...           [0.1, 0.1, 0.8],
    ...           [0.2, 0.2, 0.6]]
    >>> round(smooth_ece(y_true, y_prob), 3)
    0.095
    >>> round(smooth_ece([0, 1, 0, 1], [0.3, 0.7, 0.7, 0.7]), 3)
    0.05
    """
    y_index, y_prob, _, sample_weight = _check_calibration_inputs(
        y_true, y_prob, labels=labels, sample_weight=sample_weight
    )
    confidence, correct = _top_label(y_index, y_prob)
    return _smooth_ece(confidence, correct, sample_weight)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def calibration_report(y_true, y_prob, *, n_bins=15, labels=None, sample_weight=None):
    """Accuracy, log loss, Brier score, top-label ECE/MCE and smooth ECE at once.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings).

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as for :func:`expected_calibration_error`.

    n_bins : int, default=15
        Number of uniform bins for the ECE and MCE.

    labels : array-like of shape (n_classes,), default=None
        The label of each column of `y_prob`; the sorted unique labels of
        `y_true` if None.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, used by every score.

    Returns
    -------
    report : dict
        Python floats under the keys:

        - `"accuracy"`: :func:`sklearn.metrics.accuracy_score` of the argmax.
        - `"log_loss"`: :func:`sklearn.metrics.log_loss`.
        - `"brier"`: the Brier score as scikit-learn's
          :func:`~sklearn.metrics.brier_score_loss` computes it (1.7+):
          ``mean_i sum_c (y_ic - p_ic)^2``, halved for binary problems, so
          that it is the usual binary Brier score there.
        - `"ece"`, `"mce"`: top-label, uniform bins.
        - `"smooth_ece"`: :func:`smooth_ece` (top-label, no bins).

    See Also
    --------
    expected_calibration_error, maximum_calibration_error, smooth_ece

    Examples
    --------
    >>> from skmerge.metrics import calibration_report
    >>> y_true = [0, 1, 2, 2]
    >>> y_prob = [[0.9, 0.05, 0.05],
    ...           [0.6, 0.3, 0.1],
    ...           [0.1, 0.1, 0.8],
    ...           [0.2, 0.2, 0.6]]
    >>> report = calibration_report(y_true, y_prob, n_bins=5)
    >>> {key: round(value, 3) for key, value in report.items()}
    {'accuracy': 0.75, 'log_loss': 0.511, 'brier': 0.294, 'ece': 0.125, 'mce': 0.2,
     'smooth_ece': 0.095}
    """
    y_index, y_prob, _, sample_weight = _check_calibration_inputs(
        y_true, y_prob, labels=labels, sample_weight=sample_weight
    )
    n_classes = y_prob.shape[1]
    one_hot = np.eye(n_classes)[y_index]
    # The formula of scikit-learn's multiclass brier_score_loss (1.7+, with its
    # default scale_by_half="auto"), computed here so 1.6 gives the same.
    brier = np.average(np.sum((one_hot - y_prob) ** 2, axis=1), weights=sample_weight)
    if n_classes == 2:
        brier /= 2
    confidence, correct = _top_label(y_index, y_prob)
    ece, mce = _ece_mce(confidence, correct, n_bins, "uniform", sample_weight)
    return {
        "accuracy": float(
            accuracy_score(
                y_index, np.argmax(y_prob, axis=1), sample_weight=sample_weight
            )
        ),
        "log_loss": float(
            log_loss(
                y_index,
                y_prob,
                labels=np.arange(n_classes),
                sample_weight=sample_weight,
            )
        ),
        "brier": float(brier),
        "ece": ece,
        "mce": mce,
        "smooth_ece": _smooth_ece(confidence, correct, sample_weight),
    }
