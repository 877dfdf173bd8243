# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reliability diagrams for multiclass classifiers, and the routes of a
MergeSearch.

matplotlib is imported only when something is drawn, so importing this module
does not need it.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtri
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
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
    _smooth_ece_fixed_point,
    _top_label,
)

__all__ = ["MergeSearchDisplay", "ReliabilityDisplay"]

# Labels that mark the histogram axes a display made, so that a second
# display drawn on the same axes finds and reuses them.
_HIST_LABEL = "skmerge confidence histogram"
_TWIN_HIST_LABEL = "skmerge confidence histogram (twin)"
_REF_LINE_LABEL = "Perfectly calibrated"
# Label (hidden from the legend) of the markers sized by the bins' counts.
_COUNTS_LABEL = "_skmerge bin counts"
# Label of the diagram axes of a figure a display made itself.
_OWN_AX_LABEL = "skmerge reliability diagram"


def _find_hist_ax(ax):
    """The histogram axes a display already attached to `ax`, or None."""
    for other in ax.get_shared_x_axes().get_siblings(ax):
        if other is not ax and other.get_label() in (_HIST_LABEL, _TWIN_HIST_LABEL):
            return other
    return None


def _make_axes(plt, ax, show_histogram):
    """The axes for the curve and for the histogram (None if not shown).

    With `ax` None, a new figure (constrained layout, which makes room for
    the legend above the axes) with the histogram in a shorter axes below;
    else the histogram axes already attached to `ax`, or a new twin of it
    drawn behind `ax`.
    """
    hist_ax = None
    if ax is None:
        if show_histogram:
            _, (ax, hist_ax) = plt.subplots(
                2,
                1,
                sharex=True,
                gridspec_kw={"height_ratios": [3, 1]},
                layout="constrained",
            )
            hist_ax.set_label(_HIST_LABEL)
        else:
            _, ax = plt.subplots(layout="constrained")
        ax.set_label(_OWN_AX_LABEL)
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


def _line_kwargs(name, kwargs, show_counts):
    """Keyword arguments of the curve: solid line, the user's (`kwargs`,
    aliases such as `ls` already normalised to `linestyle`).

    Square markers, unless `show_counts` draws them separately (sized by
    count); a `marker` the user gives is kept on the line either way.
    """
    if show_counts:
        # A thin, faint line: the sized markers carry the bins, and a steep
        # segment to a sparse bin's point must not draw the eye.
        line_kwargs = {"marker": "None", "linestyle": "-", "linewidth": 1, "alpha": 0.6}
    else:
        line_kwargs = {"marker": "s", "linestyle": "-"}
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


def _place_legend(ax, title):
    """Put the legend of `ax` outside it, where it covers no curve.

    Above the axes of a figure the display made (its constrained layout makes
    room; a title then belongs in ``figure_.suptitle``); below the x label of
    an axes the user gave, so that it clears the user's title. The offset
    below the axes is that of the tick labels and the x label, in points.
    """
    legend_kwargs = {
        "borderaxespad": 0,
        "fontsize": "small",
        "title": title,
        "title_fontsize": "small",
    }
    if ax.get_label() == _OWN_AX_LABEL:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), **legend_kwargs)
        return
    from matplotlib.transforms import offset_copy

    tick = ax.xaxis.get_major_ticks()[0]
    offset = (
        max(tick.tick1line.get_markersize(), 0)
        + tick.get_pad()
        + 1.2 * tick.label1.get_size()
        + ax.xaxis.labelpad
        + 1.2 * ax.xaxis.label.get_size()
        + 4
    )
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-offset, units="points")
    ax.legend(
        loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below, **legend_kwargs
    )


def _size_count_markers(ax):
    """Give every count marker on `ax` an area proportional to its bin's count.

    One scale for all the displays drawn on `ax`, so that their markers
    compare: the fullest bin of any of them gets `_MAX_MARKER_AREA`.
    """
    markers = [c for c in ax.collections if c.get_label() == _COUNTS_LABEL]
    largest = max(m.skmerge_bin_counts.max() for m in markers)
    for m in markers:
        m.set_sizes(_MAX_MARKER_AREA * m.skmerge_bin_counts / largest)


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


# Area, in points^2, of the marker of the fullest bin when `show_counts=True`.
_MAX_MARKER_AREA = 200.0


def _normal_quantile(confidence_level):
    """The two-sided normal quantile ``z`` of a confidence level (1.96 for
    0.95): ``Phi^-1((1 + confidence_level) / 2)``."""
    return float(ndtri(0.5 + 0.5 * confidence_level))


def _wilson_interval(accuracy, counts, confidence_level=0.95):
    """Wilson score interval of a binomial proportion (Wilson 1927).

    With ``p`` the observed accuracy of ``n`` samples and ``z`` the two-sided
    normal quantile of `confidence_level`, the bounds are the two roots in
    ``q`` of ``(p - q)**2 = z**2 * q * (1 - q) / n``::

        (p + z**2 / (2 n) -+ z * sqrt(p (1 - p) / n + z**2 / (4 n**2)))
        / (1 + z**2 / n)

    Unlike the normal (Wald) interval it stays in [0, 1] and does not shrink
    to a point when ``p`` is 0 or 1, so a bin of three samples that are all
    right still gets a wide interval.
    """
    accuracy = np.asarray(accuracy, dtype=float)
    counts = np.asarray(counts, dtype=float)
    z = _normal_quantile(confidence_level)
    z2 = z * z
    denominator = 1.0 + z2 / counts
    centre = (accuracy + z2 / (2.0 * counts)) / denominator
    half = (
        z
        * np.sqrt(accuracy * (1.0 - accuracy) / counts + z2 / (4.0 * counts**2))
        / denominator
    )
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _bootstrap_interval(
    accuracy, counts, n_bootstraps, random_state, confidence_level=0.95
):
    """Percentile bootstrap interval of each bin's accuracy, at
    `confidence_level` (the 2.5 and 97.5 percentiles for 0.95).

    Resampling the ``n`` samples of a bin with replacement gives a number of
    correct predictions distributed as ``Binomial(n, accuracy)``, so each
    bootstrap replicate is drawn from that binomial (bin membership fixed).
    """
    rng = check_random_state(random_state)
    counts = np.asarray(counts).astype(np.int64)
    hits = rng.binomial(counts, accuracy, size=(n_bootstraps, len(counts)))
    replicates = hits / counts
    tail = 50.0 * (1.0 - confidence_level)
    return np.percentile(replicates, tail, axis=0), np.percentile(
        replicates, 100.0 - tail, axis=0
    )


def _smooth_ece_bandwidth(confidence, correct):
    """The kernel width at which :func:`~skmerge.metrics.smooth_ece` is
    evaluated for these samples: its fixed point ``s* = smECE_s*``, found as
    ``smooth_ece`` and relplot find it (the narrowest width tried, by
    bisection on (0, 1], whose smooth ECE is at most the width; widths below
    0.001 count as too narrow). relplot draws its smoothed reliability
    diagram at this width. About ten passes over a grid of a few thousand
    points, whatever the number of samples.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    return _smooth_ece_fixed_point(confidence, correct, np.ones_like(confidence))[0]


def _kernel_smooth(confidence, correct, grid, bandwidth):
    """Nadaraya-Watson regression of `correct` on `confidence` at `grid`.

    ``m(x) = sum_i K((x - c_i) / h) y_i / sum_i K((x - c_i) / h)`` with the
    Gaussian kernel ``K(u) = exp(-u**2 / 2)`` and bandwidth ``h``. Each grid
    point's weights are shifted by their largest exponent before ``exp``, so
    no row underflows to 0 / 0. Computed a block of grid points at a time
    (about a million kernel values per block).
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    grid = np.asarray(grid, dtype=float)
    smoothed = np.empty_like(grid)
    step = max(1, 1_000_000 // max(len(confidence), 1))
    for start in range(0, len(grid), step):
        u = (grid[start : start + step, None] - confidence[None, :]) / bandwidth
        exponent = -0.5 * u * u
        exponent -= exponent.max(axis=1, keepdims=True)
        weights = np.exp(exponent)
        smoothed[start : start + step] = (weights @ correct) / weights.sum(axis=1)
    return smoothed


def _legend_title(show_counts, interval, confidence_level=0.95):
    """What the markers and the shading mean, or None if neither is drawn."""
    notes = []
    if show_counts:
        notes.append("marker area ∝ bin count")
    if interval is not None:
        kind = "Wilson" if interval == "wilson" else interval
        notes.append(f"shaded: {100 * confidence_level:.4g}% {kind} interval")
    return "; ".join(notes) or None


# The parameters of ReliabilityDisplay.plot checked as scikit-learn checks an
# estimator's.
_PLOT_CONSTRAINTS = {
    "show_counts": ["boolean"],
    "interval": [StrOptions({"wilson", "bootstrap"}), None],
    "confidence_level": [Interval(Real, 0, 1, closed="neither")],
    "n_bootstraps": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "smooth": ["boolean"],
    "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
}


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

    confidence : ndarray of shape (n_samples,), default=None
        Confidence of every sample; needed only for `smooth=True`.

    correct : ndarray of shape (n_samples,), default=None
        1 where the sample's top-label prediction is right, else 0; needed
        only for `smooth=True`.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The reliability curve.

    markers_ : matplotlib PathCollection or None
        The bins' markers, of area proportional to their counts; None when
        `show_counts=False`.

    interval_ : ndarray of shape (2, n_nonempty_bins) or None
        Lower and upper bounds of the interval of each bin's accuracy, at
        the `confidence_level` of :meth:`plot`; None when `interval=None`.

    band_ : matplotlib BarContainer or None
        The shaded intervals, one bar per non-empty bin spanning the bin;
        None when `interval=None`.

    smooth_line_ : matplotlib Line2D or None
        The smoothed reliability curve; None when `smooth=False`.

    bandwidth_ : float or None
        The kernel bandwidth of the smoothed curve (the `bandwidth` given
        to :meth:`plot`, or the one it chose); None when `smooth=False`.

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
        confidence=None,
        correct=None,
    ):
        self.prob_true = prob_true
        self.prob_pred = prob_pred
        self.bin_counts = bin_counts
        self.bin_edges = bin_edges
        self.ece = ece
        self.estimator_name = estimator_name
        self.confidence = confidence
        self.correct = correct

    def plot(
        self,
        *,
        ax=None,
        name=None,
        ref_line=True,
        show_histogram=True,
        show_counts=True,
        interval="wilson",
        confidence_level=0.95,
        n_bootstraps=1000,
        random_state=None,
        smooth=False,
        bandwidth=None,
        **kwargs,
    ):
        """Draw the reliability diagram.

        How many samples stand behind each point is shown twice: the marker
        area is proportional to the bin's count, and a shaded bar spanning
        the bin covers the interval of its accuracy (95% by default), so a bin of three
        samples shows as a small marker in a tall band rather than as a
        finding. The legend title says which of the two is drawn. The
        legend goes outside the axes so that it covers no curve: above them
        in a figure the display makes (put a title in ``figure_.suptitle``),
        below the x label of an `ax` you pass (make room with
        ``layout="constrained"`` or ``tight_layout``).

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

        show_counts : bool, default=True
            Whether to mark each bin with a marker whose area is proportional
            to the bin's count, on one scale for all the displays drawn on
            the same axes (the fullest bin of any of them gets 200 points^2).
            The curve is then thin, faint and without markers of its own
            unless `marker` is passed in `kwargs`.

        interval : {"wilson", "bootstrap"} or None, default="wilson"
            Interval of each bin's accuracy at `confidence_level`, shaded
            over the bin. "wilson": the Wilson score interval of a binomial
            proportion,
            ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``
            with ``z`` the two-sided normal quantile of `confidence_level`
            (1.96 for 0.95), ``n`` the bin's count and ``p`` its accuracy;
            it stays wide for small bins even when all their predictions
            are right. "bootstrap": the ``(1 - confidence_level) / 2`` and
            ``(1 + confidence_level) / 2`` quantiles (2.5% and 97.5% for
            0.95) of the accuracy of `n_bootstraps` resamples of the bin's
            samples (with replacement, bin membership fixed); it is zero
            wide for a bin that is all right or all wrong, however small,
            so prefer "wilson" for sparse bins. None: no interval.

        confidence_level : float in (0, 1), default=0.95
            Confidence level of the intervals; the legend title states it.

        n_bootstraps : int, default=1000
            Number of bootstrap resamples for `interval="bootstrap"`.

        random_state : int, RandomState instance or None, default=None
            Seeds the resamples of `interval="bootstrap"`.

        smooth : bool, default=False
            Whether to add the smoothed reliability curve: the Nadaraya-Watson
            kernel regression of correctness on confidence,
            ``m(x) = sum_i K((x - c_i)/h) y_i / sum_i K((x - c_i)/h)`` with a
            Gaussian kernel ``K`` and bandwidth ``h`` (`bandwidth`), drawn on
            200 points between the smallest and the largest confidence. It
            needs the display's `confidence` and `correct`, which
            :meth:`from_estimator` and :meth:`from_predictions` store.

        bandwidth : float > 0, default=None
            The bandwidth ``h`` of the smoothed curve, on the confidence
            scale. None: the width at which
            :func:`~skmerge.metrics.smooth_ece` is computed for these
            samples, its fixed point ``h = smECE_h`` (Blasiok & Nakkiran
            2023; relplot draws its smoothed diagram at this width): narrow
            for a well calibrated model with many samples, wider for few
            samples or a poorly calibrated one, never below 0.001. The
            width used is stored in `bandwidth_`.

        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The display, with `line_`, `markers_`, `interval_`, `band_`,
            `smooth_line_`, `bandwidth_`, `ax_`, `hist_ax_` and `figure_`
            set.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from skmerge.plotting import ReliabilityDisplay
        >>> disp = ReliabilityDisplay(
        ...     prob_true=[1.0, 0.7], prob_pred=[0.55, 0.85], bin_counts=[3, 300]
        ... ).plot()
        >>> disp.interval_.round(3)  # the 3-sample bin's interval is wide
        array([[0.439, 0.646],
               [1.   , 0.749]])
        >>> disp.markers_.get_sizes()  # area proportional to count
        array([  2., 200.])
        >>> plt.close("all")
        """
        check_matplotlib_support(f"{self.__class__.__name__}.plot")
        validate_parameter_constraints(
            _PLOT_CONSTRAINTS,
            {
                "show_counts": show_counts,
                "interval": interval,
                "confidence_level": confidence_level,
                "n_bootstraps": n_bootstraps,
                "random_state": random_state,
                "smooth": smooth,
                "bandwidth": bandwidth,
            },
            caller_name=f"{self.__class__.__name__}.plot",
        )
        import matplotlib.pyplot as plt
        from matplotlib.cbook import normalize_kwargs
        from matplotlib.lines import Line2D

        kwargs = normalize_kwargs(kwargs, Line2D)
        prob_true, prob_pred, bin_counts, bin_edges = self._check_bins()
        if smooth and (self.confidence is None or self.correct is None):
            raise ValueError(
                "smooth=True needs the confidence and correctness of every "
                "sample; build the display with from_estimator or "
                "from_predictions, or pass confidence and correct; got None."
            )
        ax, hist_ax = _make_axes(plt, ax, show_histogram)
        line_kwargs = _line_kwargs(self._legend_name(name), kwargs, show_counts)

        if ref_line and _REF_LINE_LABEL not in ax.get_legend_handles_labels()[1]:
            ax.plot([0, 1], [0, 1], "k--", label=_REF_LINE_LABEL)
        self.line_ = ax.plot(prob_pred, prob_true, **line_kwargs)[0]
        color = self.line_.get_color()

        nonempty = bin_counts > 0
        self._draw_interval(
            ax,
            interval,
            confidence_level,
            bin_edges,
            nonempty,
            n_bootstraps,
            random_state,
        )
        self._draw_counts(ax, show_counts, bin_counts[nonempty], kwargs)
        self._draw_smooth(ax, smooth, bandwidth, name)

        ax.set(xlim=(0, 1), ylim=(-0.03, 1.03), ylabel="Accuracy")
        _set_xlabel(ax)
        _place_legend(ax, _legend_title(show_counts, interval, confidence_level))

        if hist_ax is not None:
            _draw_histogram(hist_ax, bin_edges, bin_counts, color)

        self.ax_ = ax
        self.hist_ax_ = hist_ax
        self.figure_ = ax.figure
        return self

    def _draw_interval(
        self, ax, interval, level, bin_edges, nonempty, n_bootstraps, seed
    ):
        """A shaded bar per non-empty bin spanning its accuracy's interval."""
        self.interval_ = self.band_ = None
        if interval is None:
            return
        prob_true = np.asarray(self.prob_true, dtype=float)
        counts = np.asarray(self.bin_counts, dtype=float)[nonempty]
        if interval == "wilson":
            lower, upper = _wilson_interval(prob_true, counts, level)
        else:
            lower, upper = _bootstrap_interval(
                prob_true, counts, n_bootstraps, seed, level
            )
        self.interval_ = np.array([lower, upper])
        self.band_ = ax.bar(
            bin_edges[:-1][nonempty],
            upper - lower,
            width=np.diff(bin_edges)[nonempty],
            bottom=lower,
            align="edge",
            color=self.line_.get_color(),
            alpha=0.2,
            linewidth=0,
            zorder=self.line_.get_zorder() - 0.5,
        )

    def _draw_counts(self, ax, show_counts, counts, kwargs):
        """Markers whose area is proportional to their bin's count."""
        self.markers_ = None
        if not show_counts:
            return
        self.markers_ = ax.scatter(
            np.asarray(self.prob_pred, dtype=float),
            np.asarray(self.prob_true, dtype=float),
            marker=kwargs.get("marker", "s"),
            color=self.line_.get_color(),
            zorder=self.line_.get_zorder() + 0.5,
            label=_COUNTS_LABEL,
            clip_on=False,  # a bin at accuracy 1 keeps its whole marker
        )
        self.markers_.skmerge_bin_counts = counts
        _size_count_markers(ax)

    def _draw_smooth(self, ax, smooth, bandwidth, name):
        """The kernel-smoothed reliability curve, with ``smooth=True``."""
        self.smooth_line_ = self.bandwidth_ = None
        if not smooth:
            return
        confidence = np.asarray(self.confidence, dtype=float)
        if bandwidth is None:
            bandwidth = _smooth_ece_bandwidth(confidence, self.correct)
        self.bandwidth_ = float(bandwidth)
        grid = np.linspace(confidence.min(), confidence.max(), 200)
        base_name = self.estimator_name if name is None else name
        self.smooth_line_ = ax.plot(
            grid,
            _kernel_smooth(confidence, self.correct, grid, self.bandwidth_),
            color=self.line_.get_color(),
            linewidth=2.5,
            alpha=0.6,
            label="Kernel smoothed"
            if base_name is None
            else f"{base_name}, kernel smoothed",
        )[0]

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
        show_counts=True,
        interval="wilson",
        confidence_level=0.95,
        n_bootstraps=1000,
        random_state=None,
        smooth=False,
        bandwidth=None,
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

        show_counts : bool, default=True
            Whether the marker area is proportional to the bin's count; see
            :meth:`plot`.

        interval : {"wilson", "bootstrap"} or None, default="wilson"
            Interval of each bin's accuracy, shaded; see :meth:`plot`.

        confidence_level : float in (0, 1), default=0.95
            Confidence level of the intervals.

        n_bootstraps : int, default=1000
            Number of resamples for `interval="bootstrap"`.

        random_state : int, RandomState instance or None, default=None
            Seeds the resamples of `interval="bootstrap"`.

        smooth : bool, default=False
            Whether to add the kernel-smoothed reliability curve; see
            :meth:`plot`.

        bandwidth : float > 0, default=None
            Bandwidth of the smoothed curve; None: the width of the smooth
            ECE's fixed point for these predictions. See :meth:`plot`.

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
            show_counts=show_counts,
            interval=interval,
            confidence_level=confidence_level,
            n_bootstraps=n_bootstraps,
            random_state=random_state,
            smooth=smooth,
            bandwidth=bandwidth,
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
        show_counts=True,
        interval="wilson",
        confidence_level=0.95,
        n_bootstraps=1000,
        random_state=None,
        smooth=False,
        bandwidth=None,
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

        show_counts : bool, default=True
            Whether the marker area is proportional to the bin's count; see
            :meth:`plot`.

        interval : {"wilson", "bootstrap"} or None, default="wilson"
            Interval of each bin's accuracy, shaded; see :meth:`plot`.

        confidence_level : float in (0, 1), default=0.95
            Confidence level of the intervals.

        n_bootstraps : int, default=1000
            Number of resamples for `interval="bootstrap"`.

        random_state : int, RandomState instance or None, default=None
            Seeds the resamples of `interval="bootstrap"`.

        smooth : bool, default=False
            Whether to add the kernel-smoothed reliability curve; see
            :meth:`plot`.

        bandwidth : float > 0, default=None
            Bandwidth of the smoothed curve; None: the width of the smooth
            ECE's fixed point for these predictions. See :meth:`plot`.

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
            confidence=confidence,
            correct=correct,
        )
        return disp.plot(
            ax=ax,
            ref_line=ref_line,
            show_histogram=show_histogram,
            show_counts=show_counts,
            interval=interval,
            confidence_level=confidence_level,
            n_bootstraps=n_bootstraps,
            random_state=random_state,
            smooth=smooth,
            bandwidth=bandwidth,
            **kwargs,
        )


class MergeSearchDisplay:
    """The routes of a :class:`~skmerge.MergeSearch`: each candidate's mean
    cross-validated score with its spread across folds, sorted, the best
    marked.

    Create it with :meth:`from_search` (or ``MergeSearch.plot``).

    Parameters
    ----------
    labels : list of str
        One label per candidate: its route and parameters.
    mean_scores : ndarray of shape (n_candidates,)
    fold_scores : ndarray of shape (n_candidates, n_splits)
    best_index : int
    scoring : str
        What the scores are, for the axis label.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skmerge import MergeSearch, SoupClassifier
    >>> from skmerge.plotting import MergeSearchDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> members = [GaussianNB().fit(X[:200], y[:200]),
    ...            DecisionTreeClassifier(max_depth=3, random_state=0).fit(
    ...                X[:200], y[:200])]
    >>> routes = [(SoupClassifier, {"recipe": ["uniform", "greedy"]})]
    >>> search = MergeSearch(members, routes=routes, cv=3).fit(X[200:], y[200:])
    >>> display = MergeSearchDisplay.from_search(search)
    >>> search.best_params_
    {'route': 'soupclassifier', 'recipe': 'uniform'}
    >>> [t.get_text() for t in display.ax_.get_yticklabels()]  # best first
    ['soupclassifier: recipe=uniform', 'soupclassifier: recipe=greedy']
    """

    def __init__(self, labels, mean_scores, fold_scores, best_index, scoring):
        self.labels = labels
        self.mean_scores = mean_scores
        self.fold_scores = fold_scores
        self.best_index = best_index
        self.scoring = scoring

    @classmethod
    def from_search(cls, search, *, top=None, ax=None):
        """Plot the routes of a fitted :class:`~skmerge.MergeSearch`.

        Parameters
        ----------
        search : MergeSearch
            A fitted search.
        top : int, default=None
            Show the ``top`` best candidates only (None: all).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure sized to the candidates otherwise.

        Returns
        -------
        display : MergeSearchDisplay
        """
        check_is_fitted(search, "cv_results_")
        results = search.cv_results_
        labels = [_route_label(params) for params in results["params"]]
        folds = np.column_stack(
            [results[f"split{i}_test_score"] for i in range(search.n_splits_)]
        )
        scoring = search.scoring
        if scoring is None:
            scoring = (
                "neg_log_loss"
                if is_classifier(search)
                else "neg_root_mean_squared_error"
            )
        display = cls(
            labels,
            np.asarray(results["mean_test_score"]),
            folds,
            search.best_index_,
            scoring if isinstance(scoring, str) else "score",
        )
        return display.plot(top=top, ax=ax)

    def plot(self, *, top=None, ax=None):
        """Draw the candidates, best at the top.

        Parameters
        ----------
        top : int, default=None
            Show the ``top`` best candidates only (None: all).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure otherwise.

        Returns
        -------
        display : MergeSearchDisplay
        """
        check_matplotlib_support("MergeSearchDisplay.plot")
        import matplotlib.pyplot as plt

        order = np.argsort(-self.mean_scores, kind="stable")[:top]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 1.2 + 0.28 * len(order)))
        rows = np.arange(len(order))[::-1]  # the best at the top
        folds = self.fold_scores[order]
        for row, scores in zip(rows, folds, strict=True):
            ax.plot(scores, np.full(len(scores), row), "|", color="0.6", ms=8)
        spread = folds.std(axis=1)
        best = order == self.best_index
        colors = np.where(best, "C3", "C0")
        for mask, color in ((~best, "C0"), (best, "C3")):
            ax.errorbar(
                self.mean_scores[order][mask],
                rows[mask],
                xerr=spread[mask],
                fmt="none",
                ecolor=color,
                elinewidth=1.5,
                capsize=3,
            )
        ax.scatter(self.mean_scores[order], rows, c=list(colors), zorder=3)
        ax.set_yticks(rows, [self.labels[i] for i in order])
        ax.set_xlabel(f"{self.scoring} (mean ± std over folds; | = one fold)")
        ax.set_title("MergeSearch: routes by cross-validated score (best in red)")
        ax.grid(axis="x", alpha=0.3)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _route_label(params):
    """``route: param=value, ...`` with a calibrated soup's ``estimator__``
    prefixes dropped."""
    params = dict(params)
    route = params.pop("route")
    shown = ", ".join(f"{k.removeprefix('estimator__')}={v}" for k, v in params.items())
    return f"{route}: {shown}" if shown else route
