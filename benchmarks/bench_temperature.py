# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: skmerge.fit_temperature against scikit-learn's temperature scaling.

Synthetic over-confident logits of several shapes, float64 and float32. For
each, in the same run and with medians of repeats:

- the time of ``fit_temperature(logits, y)``;
- the time of ``CalibratedClassifierCV(FrozenEstimator(m), method="temperature")
  .fit(X, y)`` where ``m`` is a fitted model whose ``decision_function`` returns
  the logits (``X`` holds row indices), i.e. what a user runs today; and of
  scikit-learn's bare optimiser ``_TemperatureScaling().fit(logits, y)``;
- the log loss at each fitted T (computed the same way, in float64), its
  relative difference, the number of passes over the logits (softmax
  evaluations; a subsample counts as its fraction of the rows) and the peak
  extra memory measured by ``tracemalloc``, as a multiple of the logits' size.

Run ``python benchmarks/bench_temperature.py`` (``--quick`` for a smoke run).
Needs scikit-learn >= 1.8.
"""

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np
import scipy
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _TemperatureScaling
from sklearn.frozen import FrozenEstimator

import skmerge
from skmerge._temperature import _fit_temperature


class LogitsModel(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier whose decision function is a lookup of logits."""

    def __init__(self, logits=None):
        self.logits = logits

    def fit(self, X, y):
        self.classes_ = np.arange(self.logits.shape[1])
        self.n_features_in_ = 1
        return self

    def decision_function(self, X):
        return self.logits[np.asarray(X, dtype=np.intp).ravel()]

    def predict(self, X):
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def make_logits(n, k, dtype, seed=0):
    """Logits of a model about 3x over-confident: T* is near 2.7."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    logits *= 4.0
    return logits.astype(dtype), y


def log_loss_at(logits, y, temperature):
    """Mean log loss of softmax(logits / T), in float64, block by block."""
    total = 0.0
    for start in range(0, len(y), 65536):
        z = logits[start : start + 65536].astype(np.float64) / temperature
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        total += (lse - z[np.arange(len(z)), y[start : start + 65536]]).sum()
    return total / len(y)


def timed(func, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def peak_memory(func):
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run(shapes, repeats):
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} "
        f"{os.cpu_count()} cpus, {platform.system()} {platform.release()}; "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"skmerge {skmerge.__version__}; medians of {repeats} repeats"
    )
    header = (
        f"{'shape':>16} {'dtype':>7} | {'skmerge s':>9} {'CCV s':>8} {'ratio':>6} "
        f"{'bare s':>8} {'ratio':>6} | {'T skmerge':>10} {'NLL rel diff':>12} | "
        f"{'passes':>6} {'f32+f64':>11} | {'mem x':>5} {'CCV mem x':>9}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for n, k in shapes:
        for dtype in (np.float64, np.float32):
            logits, y = make_logits(n, k, dtype)
            X = np.arange(n).reshape(-1, 1)
            model = LogitsModel(logits).fit(X, y)

            t_ours, (temperature, info) = timed(
                lambda: _fit_temperature(logits, y), repeats
            )
            t_ccv, ccv = timed(
                lambda: CalibratedClassifierCV(
                    FrozenEstimator(model), method="temperature"
                ).fit(X, y),
                repeats,
            )
            t_bare, bare = timed(lambda: _TemperatureScaling().fit(logits, y), repeats)
            t_sklearn = 1.0 / float(ccv.calibrated_classifiers_[0].calibrators[0].beta_)
            nll_ours = log_loss_at(logits, y, temperature)
            nll_sklearn = log_loss_at(logits, y, t_sklearn)
            mem_ours = peak_memory(lambda: _fit_temperature(logits, y)) / logits.nbytes
            mem_ccv = (
                peak_memory(
                    lambda: CalibratedClassifierCV(
                        FrozenEstimator(model), method="temperature"
                    ).fit(X, y)
                )
                / logits.nbytes
            )
            row = dict(
                shape=f"({n}, {k})",
                dtype=np.dtype(dtype).name,
                t_ours=t_ours,
                t_ccv=t_ccv,
                t_bare=t_bare,
                temperature=temperature,
                nll_rel=(nll_ours - nll_sklearn) / nll_sklearn,
                passes=info.n_passes,
                p32=info.passes_float32,
                p64=info.passes_float64,
                mem=mem_ours,
                mem_ccv=mem_ccv,
            )
            rows.append(row)
            print(
                f"{row['shape']:>16} {row['dtype']:>7} | {t_ours:9.3f} {t_ccv:8.3f} "
                f"{t_ccv / t_ours:5.1f}x {t_bare:8.3f} {t_bare / t_ours:5.1f}x | "
                f"{temperature:10.6f} {row['nll_rel']:12.1e} | {info.n_passes:6.2f} "
                f"{info.passes_float32:5.2f}+{info.passes_float64:4.2f} | "
                f"{mem_ours:5.2f} {mem_ccv:9.2f}",
                flush=True,
            )
    print(
        "\nratio: scikit-learn's time / skmerge's time (higher is better for "
        "skmerge). CCV: CalibratedClassifierCV(FrozenEstimator(m), "
        "method='temperature').fit; bare: sklearn.calibration._TemperatureScaling"
        ".fit on the same array. NLL rel diff: (skmerge - scikit-learn) / "
        "scikit-learn, negative means skmerge's T is better. passes: softmax "
        "evaluations over the logits (float32 + float64 ones). mem x: peak "
        "extra memory during the fit / size of the logits."
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 1 repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        run([(2000, 10), (5000, 20)], repeats=1)
    else:
        run([(20_000, 10), (100_000, 100), (1_000_000, 10)], repeats=args.repeats)


if __name__ == "__main__":
    main()
