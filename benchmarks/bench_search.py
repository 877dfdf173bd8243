# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: MergeSearch against GridSearchCV over the same routes.

The demo's members on digits (``skmerge.__main__.build_members``: three
logistic regressions, five fine-tuned MLPs, a gradient-boosting model), the
demo's held-out rows. In the same run:

- ``MergeSearch(members, cv=5)`` over its 33 default routes;
- what a user runs without it: one ``GridSearchCV`` per default route over
  the live members, with the same splits and scoring.

Reports the wall time of each (one repeat each: the GridSearchCV loop takes
minutes), their ratio, the number of member prediction calls each made, and
the largest difference between their fold scores, per route.

Run ``python benchmarks/bench_search.py`` (``--quick``: 3 folds, the first two
routes).
"""

import argparse
import os
import platform
import time
import warnings
from collections import Counter

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

import skmerge
from skmerge import MergeSearch
from skmerge.__main__ import build_members
from skmerge._search import default_routes

CALLS = Counter()


def count_calls(members):
    """Count the members' prediction calls (wrapping their bound methods;
    the user's objects are restored afterwards)."""
    originals = []
    for _, member in members:
        for method in ("predict", "predict_proba", "decision_function"):
            if hasattr(member, method):
                func = getattr(member, method)

                def counted(X, _func=func, _method=method):
                    CALLS[_method] += 1
                    return _func(X)

                counted.__name__ = method
                originals.append((member, method))
                setattr(member, method, counted)
    return originals


def restore(originals):
    for member, method in originals:
        delattr(member, method)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_splits = 3 if args.quick else 5

    X, y = load_digits(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    X_val, _, y_val, _ = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
    )
    members = build_members(X_train, y_train)
    cv = StratifiedKFold(n_splits)
    routes = default_routes(True, random_state=0)[: 2 if args.quick else None]
    print(
        f"skmerge {skmerge.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        f"digits: {len(members)} members, {len(y_val)} held-out rows, "
        f"{n_splits}-fold CV, {len(routes)} routes\n"
    )
    originals = count_calls(members)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CALLS.clear()
            start = time.perf_counter()
            search = MergeSearch(
                members,
                routes=routes,
                cv=cv,
                random_state=0,
            ).fit(X_val, y_val)
            ours_time, ours_calls = time.perf_counter() - start, sum(CALLS.values())

            CALLS.clear()
            start = time.perf_counter()
            references = [
                GridSearchCV(factory(members), grid, cv=cv, scoring="neg_log_loss").fit(
                    X_val, y_val
                )
                for _, factory, grid in routes
            ]
            theirs_time, theirs_calls = time.perf_counter() - start, sum(CALLS.values())
    finally:
        restore(originals)

    print(f"{'':<36} {'seconds':>8} {'member calls':>13}")
    print(f"{'MergeSearch':<36} {ours_time:8.1f} {ours_calls:13d}")
    label = "GridSearchCV per route, live members"
    print(f"{label:<36} {theirs_time:8.1f} {theirs_calls:13d}")
    print(f"ratio: GridSearchCV / MergeSearch = {theirs_time / ours_time:.1f}x\n")

    print(f"{'route':<14} {'candidates':>10} {'max |fold score difference|':>28}")
    start = 0
    for (name, _, _), reference in zip(routes, references, strict=True):
        n = len(reference.cv_results_["params"])
        rows = slice(start, start + n)
        start += n
        diff = max(
            np.max(
                np.abs(
                    search.cv_results_[f"split{i}_test_score"][rows]
                    - reference.cv_results_[f"split{i}_test_score"]
                )
            )
            for i in range(n_splits)
        )
        print(f"{name:<14} {n:>10d} {diff:>28.2e}")
    print(f"\nchosen: {search.best_params_} (CV log loss {-search.best_score_:.4f})")


if __name__ == "__main__":
    main()
