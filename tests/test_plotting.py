# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of skmerge.plotting.ReliabilityDisplay."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.utils._param_validation import InvalidParameterError

from skmerge.metrics import _reliability_bins, expected_calibration_error, smooth_ece
from skmerge.plotting import ReliabilityDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris_model():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    return LogisticRegression(max_iter=1000).fit(X, names[y]), X, names[y]


@pytest.fixture(scope="module")
def binary_model():
    X, y = make_classification(n_samples=200, random_state=0)
    return LogisticRegression().fit(X, y), X, y


def expected_bins(y_true, y_prob, classes, n_bins=15, strategy="uniform"):
    """Top-label bins computed here from the metrics helper."""
    y_prob = np.asarray(y_prob)
    confidence = y_prob.max(axis=1)
    correct = classes[np.argmax(y_prob, axis=1)] == np.asarray(y_true)
    return _reliability_bins(confidence, correct, n_bins, strategy)


def bar_heights(hist_ax, index=-1):
    return np.array([bar.get_height() for bar in hist_ax.containers[index]])


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_from_predictions_multiclass(strategy):
    rng = np.random.default_rng(0)
    y_prob = rng.dirichlet([1, 1, 1, 1], size=120)
    y_true = rng.integers(4, size=120)
    disp = ReliabilityDisplay.from_predictions(
        y_true, y_prob, n_bins=8, strategy=strategy, name="model"
    )
    mean_conf, accuracy, counts, edges = expected_bins(
        y_true, y_prob, np.arange(4), n_bins=8, strategy=strategy
    )
    nonempty = counts > 0
    np.testing.assert_allclose(disp.line_.get_xdata(), mean_conf[nonempty])
    np.testing.assert_allclose(disp.line_.get_ydata(), accuracy[nonempty])
    np.testing.assert_allclose(disp.prob_pred, mean_conf[nonempty])
    np.testing.assert_allclose(disp.prob_true, accuracy[nonempty])

    np.testing.assert_allclose(bar_heights(disp.hist_ax_), counts)
    assert bar_heights(disp.hist_ax_).sum() == 120
    bars = disp.hist_ax_.containers[-1]
    np.testing.assert_allclose([bar.get_x() for bar in bars], edges[:-1])
    np.testing.assert_allclose([bar.get_width() for bar in bars], np.diff(edges))

    ece = expected_calibration_error(y_true, y_prob, n_bins=8, strategy=strategy)
    assert disp.ece == pytest.approx(ece)
    assert disp.line_.get_label() == f"model (ECE = {ece:.3f})"
    legend_texts = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    assert legend_texts == ["Perfectly calibrated", f"model (ECE = {ece:.3f})"]


def test_layout_without_ax():
    disp = ReliabilityDisplay.from_predictions([0, 1, 1], [0.2, 0.7, 0.9])
    assert disp.figure_ is disp.ax_.figure
    assert disp.figure_.axes == [disp.ax_, disp.hist_ax_]
    # The histogram is below the diagram, shorter, and shares its x axis.
    top, bottom = disp.ax_.get_position(), disp.hist_ax_.get_position()
    assert bottom.y1 < top.y0
    assert bottom.height < top.height
    assert disp.hist_ax_ in disp.ax_.get_shared_x_axes().get_siblings(disp.ax_)
    assert disp.hist_ax_.get_xlabel() == "Confidence"
    assert disp.hist_ax_.get_ylabel() == "Count"
    assert disp.ax_.get_ylabel() == "Accuracy"
    ref_line = disp.ax_.lines[0]
    assert ref_line.get_label() == "Perfectly calibrated"
    assert ref_line.get_linestyle() == "--"
    np.testing.assert_allclose(ref_line.get_xydata(), [[0, 0], [1, 1]])


def test_binary_1d_and_2d_draw_the_same(binary_model):
    clf, X, y = binary_model
    proba = clf.predict_proba(X)
    disp_1d = ReliabilityDisplay.from_predictions(y, proba[:, 1])
    disp_2d = ReliabilityDisplay.from_predictions(y, proba)
    np.testing.assert_allclose(disp_1d.line_.get_xydata(), disp_2d.line_.get_xydata())
    np.testing.assert_allclose(
        bar_heights(disp_1d.hist_ax_), bar_heights(disp_2d.hist_ax_)
    )
    # Top-label confidences of a binary problem are at least 0.5.
    assert disp_1d.line_.get_xdata().min() >= 0.5
    assert disp_1d.line_.get_label().startswith("Classifier (ECE = ")


def test_from_estimator_binary(binary_model):
    clf, X, y = binary_model
    disp = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=10)
    expected = ReliabilityDisplay.from_predictions(
        y, clf.predict_proba(X), n_bins=10, name="LogisticRegression"
    )
    np.testing.assert_allclose(disp.line_.get_xydata(), expected.line_.get_xydata())
    np.testing.assert_allclose(bar_heights(disp.hist_ax_), expected.bin_counts)
    ece = expected_calibration_error(y, clf.predict_proba(X), n_bins=10)
    assert disp.line_.get_label() == f"LogisticRegression (ECE = {ece:.3f})"


def test_from_estimator_multiclass_uses_classes_order(iris_model):
    clf, X, y = iris_model
    disp = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=6, name="lr")
    mean_conf, accuracy, counts, _ = expected_bins(
        y, clf.predict_proba(X), clf.classes_, n_bins=6
    )
    nonempty = counts > 0
    np.testing.assert_allclose(disp.line_.get_xdata(), mean_conf[nonempty])
    np.testing.assert_allclose(disp.line_.get_ydata(), accuracy[nonempty])
    np.testing.assert_allclose(bar_heights(disp.hist_ax_), counts)
    ece = expected_calibration_error(y, clf.predict_proba(X), n_bins=6)
    assert disp.line_.get_label() == f"lr (ECE = {ece:.3f})"


def test_two_displays_share_the_created_axes(iris_model):
    clf, X, y = iris_model
    nb = GaussianNB().fit(X, y)
    first = ReliabilityDisplay.from_estimator(clf, X, y)
    second = ReliabilityDisplay.from_estimator(nb, X, y, ax=first.ax_)
    assert second.ax_ is first.ax_
    assert second.hist_ax_ is first.hist_ax_
    assert second.figure_ is first.figure_
    assert len(first.figure_.axes) == 2
    labels = [line.get_label() for line in first.ax_.lines]
    assert labels.count("Perfectly calibrated") == 1
    assert labels[1].startswith("LogisticRegression (ECE")
    assert labels[2].startswith("GaussianNB (ECE")
    assert len(first.hist_ax_.containers) == 2
    np.testing.assert_allclose(bar_heights(first.hist_ax_, 0), first.bin_counts)
    np.testing.assert_allclose(bar_heights(first.hist_ax_, 1), second.bin_counts)
    # The x label stays under the histogram, not between the two axes.
    assert first.ax_.get_xlabel() == ""


def test_user_ax_gets_a_twin_histogram(iris_model):
    clf, X, y = iris_model
    nb = GaussianNB().fit(X, y)
    fig, (ax, other) = plt.subplots(1, 2)
    first = ReliabilityDisplay.from_estimator(clf, X, y, ax=ax)
    second = ReliabilityDisplay.from_estimator(nb, X, y, ax=ax)
    assert first.ax_ is ax and second.ax_ is ax
    assert first.figure_ is fig
    # One twin of `ax`, same place, shared x; `other` is left alone.
    assert first.hist_ax_ is second.hist_ax_
    assert len(fig.axes) == 3
    assert first.hist_ax_.get_position().bounds == ax.get_position().bounds
    assert first.hist_ax_ in ax.get_shared_x_axes().get_siblings(ax)
    assert not other.lines and not other.patches
    # Bars behind the curves, in the bottom quarter.
    assert first.hist_ax_.get_zorder() < ax.get_zorder()
    tallest = max(first.bin_counts.max(), second.bin_counts.max())
    assert first.hist_ax_.get_ylim() == pytest.approx((0, 4 * tallest))
    np.testing.assert_allclose(bar_heights(first.hist_ax_, 0), first.bin_counts)
    np.testing.assert_allclose(bar_heights(first.hist_ax_, 1), second.bin_counts)
    assert ax.get_xlabel() == "Confidence"
    assert [line.get_label() for line in ax.lines].count("Perfectly calibrated") == 1


def test_show_histogram_false(iris_model):
    clf, X, y = iris_model
    disp = ReliabilityDisplay.from_estimator(clf, X, y, show_histogram=False)
    assert disp.hist_ax_ is None
    assert disp.figure_.axes == [disp.ax_]
    assert disp.ax_.get_xlabel() == "Confidence"

    fig, ax = plt.subplots()
    disp = ReliabilityDisplay.from_estimator(clf, X, y, ax=ax, show_histogram=False)
    assert disp.hist_ax_ is None
    assert fig.axes == [ax]


def test_ref_line_false_and_line_kwargs(binary_model):
    clf, X, y = binary_model
    disp = ReliabilityDisplay.from_estimator(
        clf, X, y, ref_line=False, color="red", ls=":", marker="o"
    )
    assert len(disp.ax_.lines) == 1
    assert disp.line_.get_color() == "red"
    assert disp.line_.get_linestyle() == ":"
    assert disp.line_.get_marker() == "o"


def test_plot_from_init():
    disp = ReliabilityDisplay(
        prob_true=[0.5, 0.8], prob_pred=[0.45, 0.9], bin_counts=[0, 3, 0, 5], ece=0.1
    )
    assert disp.plot(name="m") is disp
    assert disp.line_.get_label() == "m (ECE = 0.100)"
    bars = disp.hist_ax_.containers[-1]
    np.testing.assert_allclose([bar.get_x() for bar in bars], [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(bar_heights(disp.hist_ax_), [0, 3, 0, 5])

    disp = ReliabilityDisplay(prob_true=[0.5], prob_pred=[0.5], bin_counts=[2])
    disp.plot()
    assert disp.line_.get_label().startswith("_")  # no legend entry
    disp = ReliabilityDisplay(
        prob_true=[0.5], prob_pred=[0.5], bin_counts=[2], ece=0.0
    ).plot()
    assert disp.line_.get_label() == "ECE = 0.000"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"prob_true": [0.5, 0.6], "prob_pred": [0.5], "bin_counts": [1, 1]},
            "one value per non-empty bin each; got 2 and 1",
        ),
        (
            {
                "prob_true": [0.5],
                "prob_pred": [0.5],
                "bin_counts": [1, 1],
                "bin_edges": [0, 1],
            },
            "bin_edges must have one more value than bin_counts; got 2 edges for 2",
        ),
    ],
)
def test_plot_bad_attributes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReliabilityDisplay(**kwargs).plot()


def test_from_estimator_errors(binary_model):
    _, X, y = binary_model
    with pytest.raises(ValueError, match="needs a fitted classifier; got "):
        ReliabilityDisplay.from_estimator(LinearRegression().fit(X, y), X, y)
    with pytest.raises(NotFittedError):
        ReliabilityDisplay.from_estimator(LogisticRegression(), X, y)
    with pytest.raises(AttributeError, match="RidgeClassifier has none"):
        ReliabilityDisplay.from_estimator(RidgeClassifier().fit(X, y), X, y)


def test_from_predictions_errors():
    y_prob = [[0.2, 0.8], [0.6, 0.4]]
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        ReliabilityDisplay.from_predictions([0, 1], y_prob, n_bins=0)
    with pytest.raises(InvalidParameterError, match="'strategy' parameter"):
        ReliabilityDisplay.from_predictions([0, 1], y_prob, strategy="equal")
    with pytest.raises(ValueError, match="y_prob has 2 columns but there are 3"):
        ReliabilityDisplay.from_predictions([0, 1], y_prob, labels=[0, 1, 2])


def test_save_png(iris_model, tmp_path):
    clf, X, y = iris_model
    disp = ReliabilityDisplay.from_estimator(clf, X, y)
    path = tmp_path / "reliability.png"
    disp.figure_.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_does_not_import_matplotlib():
    code = "import sys, skmerge.plotting; assert 'matplotlib' not in sys.modules"
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1]
    )


# How many samples stand behind each point: sized markers, intervals, and the
# kernel-smoothed curve.

Z_95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def sparse_and_dense(n_sparse=3, n_dense=300, sparse_right=3, dense_right=210):
    """Binary data: `n_sparse` samples at confidence 0.55, `n_dense` at 0.85."""
    confidence = np.r_[np.full(n_sparse, 0.55), np.full(n_dense, 0.85)]
    correct = np.r_[
        np.arange(n_sparse) < sparse_right, np.arange(n_dense) < dense_right
    ]
    return np.where(correct, 0, 1), np.c_[confidence, 1 - confidence]


def wilson_by_quadratic(p, n, z=Z_95):
    """Wilson bounds: the roots in q of (p - q)**2 = z**2 q (1 - q) / n."""
    roots = np.roots([1 + z**2 / n, -(2 * p + z**2 / n), p**2])
    return np.sort(roots.real)


def test_wilson_interval_matches_hand_computation():
    disp = ReliabilityDisplay(
        prob_true=[1.0, 0.7, 0.0], prob_pred=[0.3, 0.8, 0.95], bin_counts=[3, 300, 1]
    ).plot()
    expected = np.array(
        [wilson_by_quadratic(p, n) for p, n in [(1.0, 3), (0.7, 300), (0.0, 1)]]
    ).T
    np.testing.assert_allclose(disp.interval_, expected, atol=1e-12)
    # By hand: with all 3 right the bounds are 3 / (3 + z^2) and 1.
    assert disp.interval_[:, 0] == pytest.approx([3 / (3 + Z_95**2), 1.0])
    assert disp.interval_[:, 2] == pytest.approx([0.0, Z_95**2 / (1 + Z_95**2)])
    # One shaded bar per non-empty bin, over the bin, spanning the interval.
    bars = list(disp.band_)
    np.testing.assert_allclose([bar.get_x() for bar in bars], [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose([bar.get_width() for bar in bars], [1 / 3] * 3)
    np.testing.assert_allclose([bar.get_y() for bar in bars], expected[0])
    np.testing.assert_allclose(
        [bar.get_height() for bar in bars], expected[1] - expected[0]
    )


@pytest.mark.parametrize("interval", ["wilson", "bootstrap"])
def test_sparse_bin_band_is_wider(interval):
    # Same accuracy (2/3 and 200/300), 3 samples against 300.
    y_true, y_prob = sparse_and_dense(sparse_right=2, dense_right=200)
    disp = ReliabilityDisplay.from_predictions(
        y_true, y_prob, n_bins=10, interval=interval, random_state=0
    )
    np.testing.assert_allclose(disp.bin_counts[[5, 8]], [3, 300])
    widths = disp.interval_[1] - disp.interval_[0]
    assert widths[0] > 3 * widths[1]
    assert np.all(disp.interval_[0] <= disp.prob_true)
    assert np.all(disp.prob_true <= disp.interval_[1])
    # The 300-sample bin: close to the normal approximation's width.
    wald = 2 * Z_95 * np.sqrt(2 / 3 * 1 / 3 / 300)
    assert widths[1] == pytest.approx(wald, rel=0.1)


def test_bootstrap_is_seeded():
    y_true, y_prob = sparse_and_dense(sparse_right=1)
    first = ReliabilityDisplay.from_predictions(
        y_true, y_prob, interval="bootstrap", n_bootstraps=2000, random_state=3
    )
    second = ReliabilityDisplay.from_predictions(
        y_true, y_prob, interval="bootstrap", n_bootstraps=2000, random_state=3
    )
    np.testing.assert_array_equal(first.interval_, second.interval_)
    # 1 right of 3: P(0 right) = 8/27 and P(3 right) = 1/27 in a resample,
    # both above 2.5%, so the interval is all of [0, 1].
    np.testing.assert_allclose(first.interval_[:, 0], [0.0, 1.0])
    # The 300-sample bin: as a resampling of its own samples gives.
    rng = np.random.default_rng(0)
    samples = np.arange(300) < 210
    means = rng.choice(samples, size=(4000, 300)).mean(axis=1)
    np.testing.assert_allclose(
        first.interval_[:, 1], np.percentile(means, [2.5, 97.5]), atol=0.015
    )


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_wilson_interval_at_a_confidence_level(level):
    from scipy.stats import norm

    disp = ReliabilityDisplay(
        prob_true=[1.0, 0.7, 0.0], prob_pred=[0.3, 0.8, 0.95], bin_counts=[3, 300, 1]
    ).plot(confidence_level=level)
    z = norm.ppf(0.5 + level / 2)
    expected = np.array(
        [wilson_by_quadratic(p, n, z) for p, n in [(1.0, 3), (0.7, 300), (0.0, 1)]]
    ).T
    np.testing.assert_allclose(disp.interval_, expected, atol=1e-12)
    title = disp.ax_.get_legend().get_title().get_text()
    assert title.endswith(f"shaded: {level * 100:g}% Wilson interval")


def test_intervals_widen_with_the_confidence_level():
    y_true, y_prob = sparse_and_dense(sparse_right=1)
    for interval in ["wilson", "bootstrap"]:
        widths = [
            np.diff(
                ReliabilityDisplay.from_predictions(
                    y_true,
                    y_prob,
                    interval=interval,
                    confidence_level=level,
                    random_state=0,
                ).interval_,
                axis=0,
            )[0]
            for level in [0.5, 0.8, 0.95, 0.999]
        ]
        assert np.all(np.diff(widths, axis=0) >= 0)
        assert np.all(widths[-1] > widths[0])


def test_bootstrap_interval_at_a_confidence_level():
    y_true, y_prob = sparse_and_dense()
    disp = ReliabilityDisplay.from_predictions(
        y_true,
        y_prob,
        interval="bootstrap",
        confidence_level=0.8,
        n_bootstraps=4000,
        random_state=0,
    )
    # The 300-sample bin: the 10th and 90th percentiles of resampled means.
    rng = np.random.default_rng(0)
    means = rng.choice(np.arange(300) < 210, size=(4000, 300)).mean(axis=1)
    np.testing.assert_allclose(
        disp.interval_[:, 1], np.percentile(means, [10, 90]), atol=0.01
    )
    title = disp.ax_.get_legend().get_title().get_text()
    assert title.endswith("shaded: 80% bootstrap interval")


def test_marker_area_proportional_to_count():
    rng = np.random.default_rng(1)
    y_prob = rng.dirichlet([2, 1, 1], size=400)
    y_true = rng.integers(3, size=400)
    disp = ReliabilityDisplay.from_predictions(y_true, y_prob, n_bins=12)
    counts = disp.bin_counts[disp.bin_counts > 0]
    sizes = disp.markers_.get_sizes()
    np.testing.assert_allclose(sizes / counts, sizes[0] / counts[0])
    assert sizes.max() == pytest.approx(200)
    np.testing.assert_allclose(
        disp.markers_.get_offsets(), np.c_[disp.prob_pred, disp.prob_true]
    )
    assert disp.markers_.get_facecolor()[0] == pytest.approx(
        matplotlib.colors.to_rgba(disp.line_.get_color())
    )
    # The curve itself has no markers, so no fixed-size ones hide the areas.
    assert disp.line_.get_marker() == "None"


def test_show_counts_and_interval_off_give_the_plain_curve(binary_model):
    clf, X, y = binary_model
    disp = ReliabilityDisplay.from_estimator(
        clf, X, y, show_counts=False, interval=None
    )
    assert disp.markers_ is None and disp.interval_ is None and disp.band_ is None
    assert disp.smooth_line_ is None
    assert disp.line_.get_marker() == "s"
    assert not disp.ax_.collections and not disp.ax_.containers
    assert disp.ax_.get_legend().get_title().get_text() == ""


def nadaraya_watson(x, c, y, h):
    """Gaussian-kernel Nadaraya-Watson estimate at each x, one at a time."""
    from scipy.stats import norm

    return np.array([np.average(y, weights=norm.pdf((xi - c) / h)) for xi in x])


def test_smoothed_curve_is_nadaraya_watson(iris_model):
    clf, X, y = iris_model
    proba = clf.predict_proba(X)
    disp = ReliabilityDisplay.from_estimator(
        clf, X, y, smooth=True, bandwidth=0.05, name="lr"
    )
    confidence = proba.max(axis=1)
    correct = clf.classes_[proba.argmax(axis=1)] == y
    grid = disp.smooth_line_.get_xdata()
    assert len(grid) == 200
    assert (grid[0], grid[-1]) == pytest.approx((confidence.min(), confidence.max()))
    np.testing.assert_allclose(
        disp.smooth_line_.get_ydata(),
        nadaraya_watson(grid, confidence, correct, 0.05),
        rtol=1e-10,
    )
    assert disp.bandwidth_ == 0.05
    assert disp.smooth_line_.get_label() == "lr, kernel smoothed"
    assert disp.smooth_line_.get_color() == disp.line_.get_color()


def smooth_ece_case(n, seed):
    """Binary predictions over-confident by a temperature of 2."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n) * 2
    y = (rng.random(n) < 1 / (1 + np.exp(-z / 2))).astype(int)
    return y, 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("n, seed", [(60, 0), (2000, 1)])
def test_default_bandwidth_is_the_smooth_ece_fixed_point(n, seed):
    from skmerge.metrics import _smooth_ece_at

    y_true, y_prob = smooth_ece_case(n, seed)
    disp = ReliabilityDisplay.from_predictions(y_true, y_prob, smooth=True)
    h = disp.bandwidth_
    confidence, correct = disp.confidence, disp.correct
    np.testing.assert_allclose(
        disp.smooth_line_.get_ydata(),
        nadaraya_watson(disp.smooth_line_.get_xdata(), confidence, correct, h),
        rtol=1e-10,
    )
    # smooth_ece is the smooth ECE at this width ...
    residuals = confidence - correct
    at_h = _smooth_ece_at(confidence, residuals, np.ones(n), h)
    assert smooth_ece(y_true, y_prob) == pytest.approx(at_h, rel=1e-12)
    # ... and the width is its fixed point, to the bisection's resolution
    # (2**-10): at most the smooth ECE there, which exceeds a narrower width.
    assert at_h <= h
    narrower = h - 2.0**-10
    assert narrower < _smooth_ece_at(confidence, residuals, np.ones(n), narrower)
    # Fewer samples, a wider kernel.
    if n == 60:
        assert h > 0.05


def test_default_bandwidth_is_relplots():
    relplot = pytest.importorskip("relplot")
    y_true, y_prob = smooth_ece_case(500, 2)
    disp = ReliabilityDisplay.from_predictions(y_true, y_prob, smooth=True)
    _, width = relplot.smECE(disp.confidence, disp.correct, return_width=True)
    assert disp.bandwidth_ == pytest.approx(width, abs=1e-12)


def test_bandwidth_changes_only_the_smoothed_curve():
    y_true, y_prob = smooth_ece_case(400, 3)
    narrow = ReliabilityDisplay.from_predictions(
        y_true, y_prob, smooth=True, bandwidth=0.01
    )
    wide = ReliabilityDisplay.from_predictions(
        y_true, y_prob, smooth=True, bandwidth=0.3
    )
    assert (narrow.bandwidth_, wide.bandwidth_) == (0.01, 0.3)
    np.testing.assert_array_equal(narrow.line_.get_ydata(), wide.line_.get_ydata())
    # A wider kernel gives a flatter curve.
    assert np.ptp(wide.smooth_line_.get_ydata()) < np.ptp(
        narrow.smooth_line_.get_ydata()
    )
    plain = ReliabilityDisplay.from_predictions(y_true, y_prob)
    assert plain.smooth_line_ is None and plain.bandwidth_ is None


def test_kernel_smooth_in_blocks_and_far_from_data():
    from skmerge.plotting import _kernel_smooth

    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, size=20_000)  # 50 grid points a block
    correct = rng.random(20_000) < confidence
    grid = np.linspace(0.5, 1.0, 200)
    np.testing.assert_allclose(
        _kernel_smooth(confidence, correct, grid, 0.05),
        nadaraya_watson(grid, confidence, correct, 0.05),
        rtol=1e-10,
    )
    # Far from every sample the weights would underflow; the nearest wins.
    far = _kernel_smooth([0.0, 0.1], [1.0, 0.0], [0.9, 5.0], 0.05)
    np.testing.assert_allclose(far, [0.0, 0.0], atol=1e-12)


def test_smooth_needs_the_samples():
    disp = ReliabilityDisplay(prob_true=[0.5], prob_pred=[0.5], bin_counts=[2])
    with pytest.raises(ValueError, match="smooth=True needs the confidence"):
        disp.plot(smooth=True)


def test_plot_option_errors():
    disp = ReliabilityDisplay(prob_true=[0.5], prob_pred=[0.5], bin_counts=[2])
    with pytest.raises(InvalidParameterError, match="'interval' parameter"):
        disp.plot(interval="wald")
    with pytest.raises(InvalidParameterError, match="'n_bootstraps' parameter"):
        disp.plot(interval="bootstrap", n_bootstraps=0)
    with pytest.raises(InvalidParameterError, match="'smooth' parameter"):
        ReliabilityDisplay.from_predictions([0, 1], [0.3, 0.6], smooth="yes")
    for level in [0, 1, 95, -0.5]:
        with pytest.raises(
            InvalidParameterError,
            match=r"'confidence_level' parameter .* must be a float in the range "
            r"\(0(\.0)?, 1(\.0)?\)",
        ):
            disp.plot(confidence_level=level)
    for bandwidth in [0, -0.1, "auto"]:
        with pytest.raises(InvalidParameterError, match="'bandwidth' parameter"):
            ReliabilityDisplay.from_predictions(
                [0, 1], [0.3, 0.6], smooth=True, bandwidth=bandwidth
            )


def legend_texts(ax):
    legend = ax.get_legend()
    return legend.get_title().get_text(), [t.get_text() for t in legend.get_texts()]


def test_legend_above_the_figure_it_makes():
    y_true, y_prob = sparse_and_dense()
    disp = ReliabilityDisplay.from_predictions(y_true, y_prob, smooth=True)
    disp.figure_.canvas.draw()
    legend_box = disp.ax_.get_legend().get_window_extent()
    assert legend_box.y0 >= disp.ax_.get_window_extent().y1  # covers nothing
    assert legend_box.y1 <= disp.figure_.bbox.y1  # and is not cut off
    title, texts = legend_texts(disp.ax_)
    assert title == "marker area ∝ bin count; shaded: 95% Wilson interval"
    assert texts[0] == "Perfectly calibrated"
    assert texts[2] == "Classifier, kernel smoothed"


@pytest.mark.parametrize("show_histogram", [True, False])
def test_legend_below_a_user_axes_clears_its_labels(show_histogram):
    y_true, y_prob = sparse_and_dense()
    fig, ax = plt.subplots(layout="constrained")
    ax.set_title("a title the legend must not cover")
    disp = ReliabilityDisplay.from_predictions(
        y_true, y_prob, ax=ax, show_histogram=show_histogram, interval="bootstrap"
    )
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.y1 <= ax.xaxis.label.get_window_extent().y0
    assert legend_box.y1 <= ax.xaxis.get_tightbbox().y0
    assert legend_box.y0 >= fig.bbox.y0  # constrained layout made room
    assert legend_texts(ax)[0] == (
        "marker area ∝ bin count; shaded: 95% bootstrap interval"
    )
    assert disp.ax_ is ax


def test_marker_areas_share_one_scale_on_one_axes():
    y_true, y_prob = sparse_and_dense()  # bins of 3 and 300
    small_true, small_prob = sparse_and_dense(n_sparse=6, n_dense=30)
    first = ReliabilityDisplay.from_predictions(y_true, y_prob)
    second = ReliabilityDisplay.from_predictions(small_true, small_prob, ax=first.ax_)
    # 200 points^2 for the fullest bin of either, 2 per 3 samples for all.
    np.testing.assert_allclose(first.markers_.get_sizes(), [2, 200])
    np.testing.assert_allclose(second.markers_.get_sizes(), [4, 20])
    assert first.ax_.get_legend_handles_labels()[1] == [
        "Perfectly calibrated",
        first.line_.get_label(),
        second.line_.get_label(),
    ]
