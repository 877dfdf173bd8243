# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reliability diagrams for multiclass classifiers.

matplotlib is imported only when something is drawn, so importing this module
does not need it.
"""

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from skmerge.metrics import (
    _check_calibration_inputs,
    _ece_mce,
    _reliability_bins,
    _top_label,
)

__all__ = ["ReliabilityDisplay"]

# Labels that mark the histogram axes a display made, so that a second
# display drawn on the same axes finds and reuses them.
_HIST_LABEL = "skmerge confidence histogram"
_TWIN_HIST_LABEL = "skmerge confidence histogram (twin)"
_REF_LINE_LABEL = "Perfectly calibrated"


def _find_hist_ax(ax):
    """The histogram axes a display already attached to `ax`, or None."""
    for other in ax.get_shared_x_axes().get_siblings(ax):
        if other is not ax and other.get_label() in (_HIST_LABEL, _TWIN_HIST_LABEL):
            return other
    return None


def _make_axes(plt, ax, show_histogram):
    """The axes for the curve and for the histogram (None if not shown).

    With `ax` None, a new figure with the histogram in a shorter axes below;
    else the histogram axes already attached to `ax`, or a new twin of it
    drawn behind `ax`.
    """
    hist_ax = None
    if ax is None:
        if show_histogram:
            _, (ax, hist_ax) = plt.subplots(
                2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
            )
            hist_ax.set_label(_HIST_LABEL)
        else:
            _, ax = plt.subplots()
    elif show_histogram:
        hist_ax = _find_hist_ax(ax)
        if hist_ax is None:
            hist_ax = ax.twinx()
            hist_ax.set_label(_TWIN_HIST_LABEL)
            # Bars behind the curve: the twin goes below `ax`, whose
            # background is hidden so that the bars show through.
            hist_ax.set_zorder(ax.get_zorder() - 1)
            ax.patch.set_visible(False)
    return ax, hist_ax


def _line_kwargs(name, kwargs):
    """Keyword arguments of the curve: square markers, solid line, the user's."""
    line_kwargs = {"marker": "s", "linestyle": "-"}
    if "ls" in kwargs:
        del line_kwargs["linestyle"]
    if name is not None:
        line_kwargs["label"] = name
    line_kwargs.update(kwargs)
    return line_kwargs


def _set_xlabel(ax):
    """Label the x axis of `ax`, or of the histogram stacked under it."""
    below = _find_hist_ax(ax)
    if below is not None and below.get_label() == _HIST_LABEL:
        below.set(xlabel="Confidence")  # the x label goes under the stack
    else:
        ax.set(xlabel="Confidence")


def _draw_histogram(hist_ax, bin_edges, bin_counts, color):
    """Draw the count of each bin as bars on `hist_ax`."""
    hist_ax.bar(
        bin_edges[:-1],
        bin_counts,
        width=np.diff(bin_edges),
        align="edge",
        color=color,
        alpha=0.5,
    )
    hist_ax.set(ylabel="Count")
    if hist_ax.get_label() == _TWIN_HIST_LABEL:
        # Keep the bars in the bottom quarter, under the curve.
        tallest = max(patch.get_height() for patch in hist_ax.patches)
        hist_ax.set_ylim(0, 4 * max(tallest, 1))


class ReliabilityDisplay:
    """Top-label reliability diagram with a confidence histogram.

    For every bin of confidence (the largest predicted probability of each
    sample) the diagram plots the accuracy of the predictions in the bin
    against their mean confidence; a calibrated classifier lies on the
    diagonal. A histogram of the number of samples per bin is drawn under the
    diagram. Unlike :class:`sklearn.calibration.CalibrationDisplay`, it works
    for any number of classes.

    Prefer :meth:`from_estimator` or :meth:`from_predictions` to build one.
    All parameters are stored as attributes.

    Parameters
    ----------
    prob_true : ndarray of shape (n_nonempty_bins,)
        Accuracy of the predictions in each non-empty bin.

    prob_pred : ndarray of shape (n_nonempty_bins,)
        Mean confidence in each non-empty bin.

    bin_counts : ndarray of shape (n_bins,)
        Number of samples in every bin, empty ones included (zeros).

    bin_edges : ndarray of shape (n_bins + 1,), default=None
        Edges of the bins. If None, `len(bin_counts)` equal-width bins on
        [0, 1].

    ece : float, default=None
        Expected calibration error, shown in the legend when given.

    estimator_name : str, default=None
        Name of the estimator, shown in the legend when given.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The reliability curve.

    ax_ : matplotlib Axes
        Axes with the reliability curve.

    hist_ax_ : matplotlib Axes or None
        Axes with the confidence histogram; None when `show_histogram=False`.

    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    skmerge.metrics.expected_calibration_error : The ECE of the same bins.
    sklearn.calibration.CalibrationDisplay : The binary, one-class version.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skmerge.plotting import ReliabilityDisplay
    >>> disp = ReliabilityDisplay(
    ...     prob_true=[0.5, 0.8, 1.0],
    ...     prob_pred=[0.55, 0.75, 0.95],
    ...     bin_counts=[0, 0, 4, 5, 6],
    ...     bin_edges=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    ...     ece=0.06,
    ...     estimator_name="model",
    ... )
    >>> disp = disp.plot()
    >>> disp.line_.get_label()
    'model (ECE = 0.060)'
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        prob_true,
        prob_pred,
        bin_counts,
        bin_edges=None,
        ece=None,
        estimator_name=None,
    ):
        self.prob_true = prob_true
        self.prob_pred = prob_pred
        self.bin_counts = bin_counts
        self.bin_edges = bin_edges
        self.ece = ece
        self.estimator_name = estimator_name

    def plot(self, *, ax=None, name=None, ref_line=True, show_histogram=True, **kwargs):
        """Draw the reliability diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw the diagram on. If None, a new figure is made with
            the diagram on top and the histogram in a shorter axes below,
            sharing the x axis. If given, the histogram goes in a twin axes
            of `ax` (count on the right y axis, bars along the bottom quarter,
            behind the curve), so the figure's layout is left as it is. A
            second display drawn on the same `ax` adds its curve and its bars
            to the same axes.

        name : str, default=None
            Name in the legend; `estimator_name` if None. The ECE is appended
            when the display has one.

        ref_line : bool, default=True
            Whether to draw the diagonal of a perfectly calibrated classifier
            (once per axes).

        show_histogram : bool, default=True
            Whether to draw the confidence histogram.

        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The display, with `line_`, `ax_`, `hist_ax_` and `figure_` set.
        """
        check_matplotlib_support(f"{self.__class__.__name__}.plot")
        import matplotlib.pyplot as plt

        prob_true, prob_pred, bin_counts, bin_edges = self._check_bins()
        ax, hist_ax = _make_axes(plt, ax, show_histogram)
        line_kwargs = _line_kwargs(self._legend_name(name), kwargs)

        if ref_line and _REF_LINE_LABEL not in ax.get_legend_handles_labels()[1]:
            ax.plot([0, 1], [0, 1], "k--", label=_REF_LINE_LABEL)
        self.line_ = ax.plot(prob_pred, prob_true, **line_kwargs)[0]
        ax.legend(loc="upper left")
        ax.set(ylabel="Accuracy")
        _set_xlabel(ax)

        if hist_ax is not None:
            _draw_histogram(hist_ax, bin_edges, bin_counts, self.line_.get_color())

        self.ax_ = ax
        self.hist_ax_ = hist_ax
        self.figure_ = ax.figure
        return self

    def _check_bins(self):
        """`prob_true`, `prob_pred`, `bin_counts` and `bin_edges` as float arrays.

        Equal-width edges on [0, 1] when `bin_edges` is None.
        """
        prob_true = np.asarray(self.prob_true, dtype=float)
        prob_pred = np.asarray(self.prob_pred, dtype=float)
        bin_counts = np.asarray(self.bin_counts, dtype=float)
        if self.bin_edges is None:
            bin_edges = np.linspace(0.0, 1.0, len(bin_counts) + 1)
        else:
            bin_edges = np.asarray(self.bin_edges, dtype=float)
        if prob_true.shape != prob_pred.shape:
            raise ValueError(
                "prob_true and prob_pred must have one value per non-empty bin "
                f"each; got {prob_true.shape[0]} and {prob_pred.shape[0]}."
            )
        if len(bin_edges) != len(bin_counts) + 1:
            raise ValueError(
                "bin_edges must have one more value than bin_counts; got "
                f"{len(bin_edges)} edges for {len(bin_counts)} counts."
            )
        return prob_true, prob_pred, bin_counts, bin_edges

    def _legend_name(self, name):
        """`name` (or `estimator_name`) with the ECE appended; None if neither."""
        name = self.estimator_name if name is None else name
        if self.ece is not None:
            ece_text = f"ECE = {self.ece:.3f}"
            name = ece_text if name is None else f"{name} ({ece_text})"
        return name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_bins=15,
        strategy="uniform",
        name=None,
        ax=None,
        ref_line=True,
        show_histogram=True,
        **kwargs,
    ):
        """Plot the reliability diagram of a fitted classifier on data.

        Parameters
        ----------
        estimator : estimator instance
            Fitted classifier (or pipeline ending in one) with
            `predict_proba`; its `classes_` name the columns.

        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input values, passed to `estimator.predict_proba` unchanged.

        y : array-like of shape (n_samples,)
            True labels.

        n_bins : int, default=15
            Number of bins.

        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width bins on [0, 1], or bins holding about as many samples
            each (edges at quantiles of the confidences).

        name : str, default=None
            Name in the legend; the estimator's class name if None.

        ax : matplotlib Axes, default=None
            Axes to draw on; see :meth:`plot`.

        ref_line : bool, default=True
            Whether to draw the diagonal of a perfectly calibrated classifier.

        show_histogram : bool, default=True
            Whether to draw the confidence histogram.

        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmerge.plotting import ReliabilityDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
        >>> disp = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=5)
        >>> int(disp.bin_counts.sum()), disp.ax_.get_ylabel()
        (150, 'Accuracy')
        >>> plt.close("all")
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not is_classifier(estimator):
            raise ValueError(
                f"{cls.__name__}.from_estimator needs a fitted classifier; got "
                f"{estimator.__class__.__name__}, which is not a classifier."
            )
        check_is_fitted(estimator)
        if not hasattr(estimator, "predict_proba"):
            raise AttributeError(
                f"{cls.__name__}.from_estimator needs a classifier with "
                f"predict_proba; {estimator.__class__.__name__} has none."
            )
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            n_bins=n_bins,
            strategy=strategy,
            labels=estimator.classes_,
            name=estimator.__class__.__name__ if name is None else name,
            ax=ax,
            ref_line=ref_line,
            show_histogram=show_histogram,
            **kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_prob,
        *,
        n_bins=15,
        strategy="uniform",
        labels=None,
        name=None,
        ax=None,
        ref_line=True,
        show_histogram=True,
        **kwargs,
    ):
        """Plot the reliability diagram of predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.

        y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
            Predicted probabilities, columns in the order of `labels` (the
            sorted unique labels of `y_true` if None); a 1-D array is the
            positive-class probability of a binary problem.

        n_bins : int, default=15
            Number of bins.

        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width bins on [0, 1], or bins holding about as many samples
            each (edges at quantiles of the confidences).

        labels : array-like of shape (n_classes,), default=None
            The label of each column of `y_prob`.

        name : str, default=None
            Name in the legend; "Classifier" if None.

        ax : matplotlib Axes, default=None
            Axes to draw on; see :meth:`plot`.

        ref_line : bool, default=True
            Whether to draw the diagonal of a perfectly calibrated classifier.

        show_histogram : bool, default=True
            Whether to draw the confidence histogram.

        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from skmerge.plotting import ReliabilityDisplay
        >>> y_true = ["cat", "dog", "fox", "fox"]
        >>> y_prob = [[0.9, 0.05, 0.05],
        ...           [0.6, 0.3, 0.1],
        ...           [0.1, 0.1, 0.8],
        ...           [0.2, 0.2, 0.6]]
        >>> disp = ReliabilityDisplay.from_predictions(y_true, y_prob, n_bins=5)
        >>> disp.prob_pred, disp.prob_true
        (array([0.6, 0.8, 0.9]), array([0.5, 1. , 1. ]))
        >>> disp.bin_counts
        array([0., 0., 2., 1., 1.])
        >>> disp.line_.get_label()
        'Classifier (ECE = 0.125)'
        >>> plt.close("all")
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        validate_parameter_constraints(
            {
                "n_bins": [Interval(Integral, 1, None, closed="left")],
                "strategy": [StrOptions({"uniform", "quantile"})],
            },
            {"n_bins": n_bins, "strategy": strategy},
            caller_name=f"{cls.__name__}.from_predictions",
        )
        y_index, y_prob, _, _ = _check_calibration_inputs(y_true, y_prob, labels=labels)
        confidence, correct = _top_label(y_index, y_prob)
        mean_confidence, accuracy, counts, edges = _reliability_bins(
            confidence, correct, n_bins, strategy
        )
        nonempty = counts > 0
        disp = cls(
            prob_true=accuracy[nonempty],
            prob_pred=mean_confidence[nonempty],
            bin_counts=counts,
            bin_edges=edges,
            ece=_ece_mce(confidence, correct, n_bins, strategy, None)[0],
            estimator_name="Classifier" if name is None else name,
        )
        return disp.plot(
            ax=ax, ref_line=ref_line, show_histogram=show_histogram, **kwargs
        )
