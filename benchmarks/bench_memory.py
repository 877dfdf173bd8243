# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: peak memory of predicting on a large X with 10 members.

1 000 000 rows x 20 features (``--quick``: 100 000 rows), 5 classes, 10
fitted members (5 logistic regressions, 5 Gaussian naive Bayes). For each
prediction method, ``tracemalloc`` measures the peak memory allocated during
the call (X exists before the measurement starts) and subtracts what the call
returns, which is inherent. What is left, the *extra* memory, is compared with
the *chunk budget*: the members' outputs for one chunk of rows,
``n_members * CHUNK_SIZE * n_classes * 8`` bytes (``CHUNK_SIZE`` =
``skmerge._base.CHUNK_SIZE``). A method that predicts chunk by chunk keeps
the extra memory at a small multiple of the budget whatever the number of
rows; one that materialises every member's output for all rows needs
``n_members * n_rows * n_classes * 8`` bytes, i.e. ``n_rows / CHUNK_SIZE``
budgets (15 at 1 000 000 rows).

The same run measures scikit-learn's ``VotingClassifier(voting="soft")`` over
the same (frozen) members, which stacks all members' probabilities before
averaging them.

Run ``python benchmarks/bench_memory.py`` (``--quick`` for a smoke run).
"""

import argparse
import os
import platform
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

import skmerge
from skmerge import (
    SoupClassifier,
    StackingMerger,
    TemperatureCalibratedClassifier,
)
from skmerge._base import CHUNK_SIZE

N_FEATURES = 20
N_CLASSES = 5
N_MEMBERS = 10


def make_data(n_rows, seed=0):
    """Gaussian classes; float64 rows."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=1.5, size=(N_CLASSES, N_FEATURES))
    y = rng.integers(0, N_CLASSES, size=n_rows)
    X = centers[y] + rng.normal(size=(n_rows, N_FEATURES))
    return X, y


def make_members(X, y):
    members = []
    for j in range(N_MEMBERS // 2):
        rows = slice(j * 1000, (j + 1) * 1000)
        members.append(
            (f"lr{j}", LogisticRegression(C=10.0 ** (j - 2)).fit(X[rows], y[rows]))
        )
        members.append((f"nb{j}", GaussianNB().fit(X[rows], y[rows])))
    return members


def measure(func, repeats):
    """Median time, and peak memory beyond the returned array (bytes)."""
    times, extras, outs, peaks = [], [], [], []
    for _ in range(repeats):
        tracemalloc.start()
        tracemalloc.reset_peak()
        start = time.perf_counter()
        out = func()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        times.append(elapsed)
        peaks.append(peak)
        outs.append(out.nbytes)
        extras.append(peak - out.nbytes)
        del out
    return (
        float(np.median(times)),
        int(np.median(peaks)),
        int(np.median(outs)),
        int(np.median(extras)),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 000 rows, 1 repeat")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    n_rows = args.rows or (100_000 if args.quick else 1_000_000)
    repeats = args.repeats or (1 if args.quick else 3)

    X_fit, y_fit = make_data(6000, seed=1)
    X_held, y_held = X_fit[5000:], y_fit[5000:]
    members = make_members(X_fit, y_fit)
    X, _ = make_data(n_rows, seed=2)
    lrs = [(name, est) for name, est in members if name.startswith("lr")]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = SoupClassifier(members).fit(X_held, y_held)
        soup_logit = SoupClassifier(members, combine="logit", temperature="auto").fit(
            X_held, y_held
        )
        soup_params = SoupClassifier(lrs, combine="params").fit(X_held, y_held)
        stack = StackingMerger(members).fit(X_held, y_held)
        stack_merged = StackingMerger(lrs, stack_method="decision_function").fit(
            X_held, y_held
        )
        assert stack_merged.merged_estimator_ is not None
        calibrated = TemperatureCalibratedClassifier(members[0][1]).fit(X_held, y_held)
        voting = VotingClassifier(
            [(name, FrozenEstimator(est)) for name, est in members], voting="soft"
        ).fit(X_held, y_held)

    cases = [
        ("Soup proba: predict_proba", N_MEMBERS, soup.predict_proba),
        ("Soup proba: predict", N_MEMBERS, soup.predict),
        ("Soup logit+T: predict_proba", N_MEMBERS, soup_logit.predict_proba),
        ("Soup: contributions", N_MEMBERS, soup.contributions),
        ("Soup: transform", N_MEMBERS, soup.transform),
        ("Soup params (5 LR): predict_proba", 1, soup_params.predict_proba),
        ("Stacking: predict_proba", N_MEMBERS, stack.predict_proba),
        ("Stacking merged (5 LR): predict_proba", 1, stack_merged.predict_proba),
        ("Temperature (1 LR): predict_proba", 1, calibrated.predict_proba),
        ("VotingClassifier soft: predict_proba", N_MEMBERS, voting.predict_proba),
    ]

    mb = 1e6
    print(
        f"Peak memory of prediction: {n_rows:,} rows x {N_FEATURES} features "
        f"(X: {X.nbytes / mb:.0f} MB), {N_CLASSES} classes, {N_MEMBERS} members "
        f"(5 LogisticRegression, 5 GaussianNB); CHUNK_SIZE={CHUNK_SIZE:,}; "
        f"median of {repeats}."
    )
    print(
        f"skmerge {skmerge.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    all_outputs = N_MEMBERS * n_rows * N_CLASSES * 8
    print(
        f"All members' outputs for all rows would be {all_outputs / mb:.0f} MB; "
        "the chunk budget is members x CHUNK_SIZE x classes x 8 bytes."
    )
    header = (
        f"{'method':40s} {'time s':>7s} {'output MB':>10s} {'peak MB':>8s} "
        f"{'extra MB':>9s} {'budget MB':>10s} {'extra/budget':>13s}"
    )
    print(header)
    print("-" * len(header))
    for name, n_members, func in cases:
        budget = n_members * min(CHUNK_SIZE, n_rows) * N_CLASSES * 8
        elapsed, peak, out, extra = measure(lambda f=func: f(X), repeats)
        print(
            f"{name:40s} {elapsed:7.2f} {out / mb:10.1f} {peak / mb:8.1f} "
            f"{extra / mb:9.1f} {budget / mb:10.1f} {extra / budget:13.2f}"
        )


if __name__ == "__main__":
    main()
