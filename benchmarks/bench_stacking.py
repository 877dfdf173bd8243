# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark StackingMerger against scikit-learn's StackingClassifier.

1. Tuning the final estimator over fitted members: ``GridSearchCV`` over
   ``final_estimator__C`` (5 values, 5 folds) on held-out data, with 5 members
   fitted on a training split. skmerge: ``StackingMerger(members)``.
   scikit-learn 1.6+: ``StackingClassifier`` over ``FrozenEstimator`` members,
   with ``cv="prefit"`` and with ``cv=5`` (a FrozenEstimator ignores ``fit``, so
   its "out-of-fold" outputs are its outputs on the data; plain fitted members
   with ``cv="prefit"`` fail: ``clone`` unfits them). Counts member ``fit``
   calls.
2. Prediction: ``predict_proba`` of a stack of 10 linear members used through
   ``decision_function``, merged into one model (``merge="auto"``) vs the same
   stack unmerged (``merge=False``) and vs ``StackingClassifier`` over the
   frozen members, with the largest difference between their probabilities.

Run ``python benchmarks/bench_stacking.py`` (``--quick`` for a smoke run).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from contextlib import nullcontext

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from skmerge._stacking import StackingMerger

C_GRID = [0.01, 0.1, 1.0, 10.0, 100.0]


def machine_info():
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}",
        f"{platform.system()} {platform.machine()}",
    ]
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (line.split(":", 1)[1].strip() for line in f if "model name" in line),
                None,
            )
        if model:
            lines.append(model)
    except OSError:
        pass
    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    lines.append(f"usable CPUs: {n_cpus or os.cpu_count()}")
    try:
        from threadpoolctl import threadpool_info

        blas = [
            f"{p['internal_api']} ({p['num_threads']} threads)"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
        if blas:
            lines.append("BLAS: " + ", ".join(blas))
    except ImportError:
        pass
    if hasattr(os, "getloadavg"):
        lines.append(
            "load average at start (1, 5, 15 min): "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            + " (the machine may be shared)"
        )
    return lines


def time_routes(routes, repeats, wrap=None):
    """``{label: (median s, all times, last result, wrapper)}`` over ``repeats``
    timed calls of each route after one warm-up call each.

    The routes take turns (one call of each per round), so that a burst of load
    from other processes on a shared machine hits all of them alike.
    ``wrap(label)`` gives a context manager entered around each call of that
    route (returned, to read what it counted).
    """
    times = {label: [] for label in routes}
    results, wrappers = {}, {}
    for round_ in range(repeats + 1):
        for label, func in routes.items():
            wrapper = wrappers.setdefault(label, wrap(label) if wrap else None)
            start = time.perf_counter()
            if wrapper is None:
                results[label] = func()
            else:
                with wrapper:
                    results[label] = func()
            if round_:  # round 0 is the warm-up
                times[label].append(time.perf_counter() - start)
    return {
        label: (statistics.median(t), t, results[label], wrappers[label])
        for label, t in times.items()
    }


def table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*["-" * w for w in widths])]
    out += [line.format(*map(str, row)) for row in rows]
    return "\n".join(out)


class FitCounter:
    """Counts calls to the members' ``fit`` (wrapping each member's bound
    method for the duration of a ``with`` block)."""

    def __init__(self, members):
        self.members = members
        self.calls = 0  # over every call of the route, warm-up included

    def __enter__(self):
        for est in self.members:
            bound = est.fit

            def counting(*args, _bound=bound, **kwargs):
                self.calls += 1
                return _bound(*args, **kwargs)

            est.fit = counting
        return self

    def __exit__(self, *exc):
        for est in self.members:
            del est.fit


def bench_grid_search(n_samples, n_features, repeats, quick):
    X, y = make_classification(
        n_samples=2 * n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=3,
        random_state=0,
    )
    X_train, y_train = X[:n_samples], y[:n_samples]
    X_held, y_held = X[n_samples:], y[n_samples:]
    n_trees = 20 if quick else 100
    members = [
        ("lr", LogisticRegression(max_iter=1000)),
        ("hgb", HistGradientBoostingClassifier(max_iter=n_trees, random_state=0)),
        ("rf", RandomForestClassifier(n_estimators=n_trees, random_state=0)),
        ("knn", KNeighborsClassifier(n_neighbors=15)),
        ("mlp", MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=0)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _, est in members:
            est.fit(X_train, y_train)

    def search(estimator):
        return GridSearchCV(
            estimator, {"final_estimator__C": C_GRID}, cv=5, scoring="neg_log_loss"
        ).fit(X_held, y_held)

    frozen = [(name, FrozenEstimator(est)) for name, est in members]
    routes = {
        "skmerge StackingMerger(members)": lambda: search(
            StackingMerger(members, LogisticRegression())
        ),
        'sklearn StackingClassifier(FrozenEstimator, cv="prefit")': lambda: search(
            StackingClassifier(frozen, LogisticRegression(), cv="prefit")
        ),
        "sklearn StackingClassifier(FrozenEstimator, cv=5)": lambda: search(
            StackingClassifier(frozen, LogisticRegression(), cv=5)
        ),
    }
    results = time_routes(
        routes, repeats, wrap=lambda label: FitCounter([est for _, est in members])
    )
    ours = results["skmerge StackingMerger(members)"]
    rows = []
    for label, (seconds, times, searched, counter) in results.items():
        diff = np.abs(
            searched.predict_proba(X_held) - ours[2].predict_proba(X_held)
        ).max()
        rows.append(
            [
                label,
                f"{seconds:.3f}",
                f"{min(times):.3f}-{max(times):.3f}",
                f"{seconds / ours[0]:.2f}",
                counter.calls,
                searched.best_params_["final_estimator__C"],
                f"{diff:.1e}",
            ]
        )
    print(
        f"\n1. GridSearchCV over final_estimator__C ({len(C_GRID)} values, 5 folds; "
        f"{len(C_GRID) * 5} fits + 1 refit), 5 prefit members "
        f"({', '.join(name for name, _ in members)}) fitted on {X_train.shape}, "
        f"search on held-out X {X_held.shape}, 3 classes; median of {repeats}"
    )
    print(
        table(
            [
                "route",
                "median s",
                "range s",
                "time / skmerge",
                "member fit calls",
                "best C",
                "max |proba - skmerge|",
            ],
            rows,
        )
    )
    return results


def bench_predict(n_rows, n_features, repeats):
    X, y = make_classification(
        n_samples=40_000 + n_rows,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=3,
        random_state=1,
    )
    X_train, y_train = X[:20_000], y[:20_000]
    X_held, y_held = X[20_000:40_000], y[20_000:40_000]
    X_pred = X[40_000:]
    linear = [
        LogisticRegression(C=0.01),
        LogisticRegression(C=0.1),
        LogisticRegression(C=1.0),
        LogisticRegression(C=10.0),
        LinearSVC(C=0.01, random_state=0),
        LinearSVC(C=1.0, random_state=0),
        RidgeClassifier(alpha=0.1),
        RidgeClassifier(alpha=10.0),
        SGDClassifier(loss="log_loss", random_state=0),
        SGDClassifier(loss="hinge", random_state=0),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in linear:
            est.fit(X_train, y_train)

    params = dict(stack_method="decision_function")
    merged = StackingMerger(linear, **params).fit(X_held, y_held)
    unmerged = StackingMerger(linear, merge=False, **params).fit(X_held, y_held)
    assert merged.merged_estimator_ is not None
    sklearn_stack = StackingClassifier(
        [(f"m{i}", FrozenEstimator(est)) for i, est in enumerate(linear)],
        LogisticRegression(),
        cv="prefit",
        **params,
    ).fit(X_held, y_held)

    routes = {
        'skmerge merged (merge="auto")': merged,
        "skmerge unmerged (merge=False)": unmerged,
        'sklearn StackingClassifier(FrozenEstimator, cv="prefit")': sklearn_stack,
    }
    timed = time_routes(
        {
            label: (lambda est=est: est.predict_proba(X_pred))
            for label, est in routes.items()
        },
        repeats,
    )
    reference = timed["skmerge unmerged (merge=False)"][2]
    merged_seconds = timed['skmerge merged (merge="auto")'][0]
    rows = []
    for label, (seconds, times, proba, _) in timed.items():
        rows.append(
            [
                label,
                f"{seconds:.4f}",
                f"{min(times):.4f}-{max(times):.4f}",
                f"{seconds / merged_seconds:.1f}",
                f"{np.abs(proba - reference).max():.1e}",
                f"{np.mean(proba.argmax(1) == reference.argmax(1)):.4f}",
            ]
        )
    print(
        f"\n2. predict_proba on X {X_pred.shape}, 3 classes: a stack of "
        f"{len(linear)} linear members (4 LogisticRegression, 2 LinearSVC, "
        "2 RidgeClassifier, 2 SGDClassifier; stack_method='decision_function') "
        f"and a LogisticRegression final estimator; median of {repeats}"
    )
    print(
        table(
            [
                "route",
                "median s",
                "range s",
                "time / merged",
                "max |proba - unmerged|",
                "same argmax",
            ],
            rows,
        )
    )
    return timed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="limit native thread pools (BLAS, OpenMP) to this many threads, 0 for "
        "no limit (default 1: on a small shared machine, OpenMP and BLAS pools "
        "spin against each other and other processes, and a grid search takes "
        "10x longer, for every route alike)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        grid_samples, grid_features, grid_repeats = 1_000, 20, 1
        pred_rows, pred_features, pred_repeats = 20_000, 50, 3
    else:
        grid_samples, grid_features, grid_repeats = 5_000, 20, 3
        pred_rows, pred_features, pred_repeats = 200_000, 50, 7
    if args.repeats:
        grid_repeats = pred_repeats = args.repeats

    print("bench_stacking.py" + (" --quick" if args.quick else ""))
    print("\n".join(machine_info()))
    print(
        "native thread pools limited to "
        + (f"{args.threads} thread(s)" if args.threads else "nothing (no limit)")
        + "; routes timed in turns (one call of each per round) after a warm-up"
    )
    limits = threadpool_limits(limits=args.threads) if args.threads else nullcontext()
    with limits, warnings.catch_warnings():
        # lbfgs stopping at max_iter on the largest C values of the grid
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid = bench_grid_search(grid_samples, grid_features, grid_repeats, args.quick)
        timed = bench_predict(pred_rows, pred_features, pred_repeats)

    ours = grid["skmerge StackingMerger(members)"]
    ours_calls = ours[3].calls
    fastest_sklearn = min(
        seconds for label, (seconds, *_) in grid.items() if label.startswith("sklearn")
    )
    speedup = (
        timed["skmerge unmerged (merge=False)"][0]
        / timed['skmerge merged (merge="auto")'][0]
    )
    diff = np.abs(
        timed["skmerge unmerged (merge=False)"][2]
        - timed['skmerge merged (merge="auto")'][2]
    ).max()
    print("\nTargets")
    print(
        f"- grid search no slower than the fastest FrozenEstimator route: "
        f"{ours[0]:.3f} s vs {fastest_sklearn:.3f} s "
        f"({'met' if ours[0] <= fastest_sklearn else 'MISSED'}); member fit calls "
        f"in skmerge's searches: {ours_calls} "
        f"({'met' if ours_calls == 0 else 'MISSED'})"
    )
    print(
        f"- merged stack >= 5x faster than unmerged: {speedup:.1f}x "
        f"({'met' if speedup >= 5 else 'MISSED'}); max |proba difference| "
        f"{diff:.1e} ({'met' if diff <= 1e-8 else 'MISSED'}: <= 1e-8)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
