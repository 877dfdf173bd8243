# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark of SoupClassifier: prediction cost, recipe cost, quality on digits.

Run ``python benchmarks/bench_soup.py`` (a few minutes) or with ``--quick``
(a small smoke run). Three tables, each against what a user would pick
instead, in the same run:

1. ``predict_proba`` time of a weight-space soup (``combine="params"``) of 10
   and 50 LogisticRegression / MLP members vs one member and vs soft voting
   (``VotingClassifier(voting="soft")`` over ``FrozenEstimator`` members).
2. Recipe time (greedy, ensemble selection) for 50 members x 100 000 rows x
   10 classes x 25 steps, on synthetic probabilities through the code path
   the estimator uses, vs computing 50 LogisticRegression members' outputs
   once; and the recipe's peak extra memory (tracemalloc) vs the outputs'.
3. Quality on ``load_digits``: each recipe vs the best member vs soft voting,
   and a greedy weight-space soup of MLPs fine-tuned from one parent
   (:func:`fine_tuned_mlps`) vs the median member.

Timings are medians of repeats, the contenders measured in turn within each
repeat.
"""

import argparse
import copy
import os
import platform
import time
import tracemalloc
import warnings
from contextlib import nullcontext

import numpy as np
import scipy
import sklearn
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import skmerge
from skmerge._base import member_outputs
from skmerge._recipes import (
    OutputSoups,
    Scorer,
    ensemble_selection_recipe,
    greedy_recipe,
)
from skmerge._soup import SoupClassifier

# Members ------------------------------------------------------------------------


def fine_tuned_mlps(
    X,
    y,
    n_members=10,
    *,
    hidden_layer_sizes=(64,),
    parent_iter=20,
    child_iter=15,
    learning_rates=(1e-3, 1e-2),
    bootstrap=True,
    random_state=0,
):
    """MLPs fine-tuned from one shared parent, as a model soup needs them.

    A parent ``MLPClassifier`` (adam) is fitted for ``parent_iter`` epochs.
    Each member is a copy of it that continues (``warm_start=True``) for
    ``child_iter`` more epochs with its own ``random_state`` (mini-batch
    order), its own ``learning_rate_init`` (log-uniform in
    ``learning_rates``) and its own bootstrap resample of the data (a
    shuffled copy when ``bootstrap=False``) -- the recipe of Wortsman et al.
    (2022): one pre-trained model, fine-tuned with varied hyper-parameters.
    Members share the parent's basin, so their weights can be averaged
    without alignment.

    Returns ``(parent, members)``; convergence warnings are silenced.
    """
    rng = np.random.default_rng(random_state)
    low, high = np.log(learning_rates[0]), np.log(learning_rates[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parent = MLPClassifier(
            hidden_layer_sizes=hidden_layer_sizes,
            max_iter=parent_iter,
            random_state=random_state,
        ).fit(X, y)
        members = []
        for i in range(n_members):
            child = copy.deepcopy(parent).set_params(
                warm_start=True,
                max_iter=child_iter,
                learning_rate_init=float(np.exp(rng.uniform(low, high))),
                random_state=random_state + 1 + i,
            )
            if bootstrap:
                rows = rng.choice(len(y), size=len(y), replace=True)
            else:
                rows = rng.permutation(len(y))
            members.append(child.fit(X[rows], y[rows]))
    return parent, members


def logistic_members(X, y, n_members, *, subset=2000, random_state=0):
    """LogisticRegressions on bootstrap subsets with C on a log grid."""
    rng = np.random.default_rng(random_state)
    members = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for C in np.logspace(-2, 1, n_members):
            rows = rng.choice(len(y), size=min(subset, len(y)), replace=True)
            members.append(LogisticRegression(C=C, max_iter=100).fit(X[rows], y[rows]))
    return members


# Helpers --------------------------------------------------------------------------


def machine():
    blas = sorted(
        {f"{i['internal_api']}:{i['num_threads']}" for i in threadpool_info()}
    )
    return (
        f"{platform.platform()} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs | Python {platform.python_version()} | numpy "
        f"{np.__version__} | scipy {scipy.__version__} | scikit-learn "
        f"{sklearn.__version__} | skmerge {skmerge.__version__} | thread pools "
        f"{', '.join(blas)}"
    )


def timed(contenders, repeats):
    """Median seconds of each zero-argument callable, measured in turn."""
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, func in contenders.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def table(title, header, rows):
    print(f"\n{title}")
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)
    ]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


# 1. Prediction cost ----------------------------------------------------------------


def bench_predict(quick, repeats):
    n_features, n_classes = 50, 10
    n_pred = 5_000 if quick else 50_000
    X, y = make_classification(
        n_samples=12_000 + n_pred,
        n_features=n_features,
        n_informative=30,
        n_classes=n_classes,
        random_state=0,
    )
    X_fit, y_fit = X[:10_000], y[:10_000]
    X_val, y_val = X[10_000:12_000], y[10_000:12_000]
    X_pred = X[12_000:]
    print(
        f"\n[1] predict_proba on {n_pred} x {n_features} features, {n_classes} "
        f"classes; median of {repeats} repeats"
    )
    sizes = (10,) if quick else (10, 50)
    rows = []
    for family in ("LogisticRegression", "MLPClassifier"):
        for m in sizes:
            if family == "LogisticRegression":
                members = logistic_members(X_fit, y_fit, m)
            else:
                _, members = fine_tuned_mlps(
                    X_fit, y_fit, m, parent_iter=10, child_iter=2
                )
            soup = SoupClassifier(members, combine="params").fit(X_val, y_val)
            proba_soup = SoupClassifier(members).fit(X_val, y_val)
            voting = VotingClassifier(
                [(f"m{i}", FrozenEstimator(e)) for i, e in enumerate(members)],
                voting="soft",
            ).fit(X_val[:200], y_val[:200])
            times = timed(
                {
                    "one member": lambda members=members: members[0].predict_proba(
                        X_pred
                    ),
                    "params soup": lambda soup=soup: soup.predict_proba(X_pred),
                    "proba soup": lambda s=proba_soup: s.predict_proba(X_pred),
                    "soft voting": lambda v=voting: v.predict_proba(X_pred),
                },
                repeats,
            )
            rows.append(
                (
                    family,
                    m,
                    f"{1e3 * times['one member']:.1f}",
                    f"{1e3 * times['params soup']:.1f}",
                    f"{1e3 * times['proba soup']:.1f}",
                    f"{1e3 * times['soft voting']:.1f}",
                    f"{times['params soup'] / times['one member']:.2f}",
                    f"{times['soft voting'] / times['params soup']:.1f}",
                )
            )
    table(
        "predict_proba time (ms); targets: params/one <= 1.2, voting/params >= 8 "
        "(10 members)",
        [
            "members",
            "n",
            "one member",
            "params soup",
            "proba soup",
            "soft voting",
            "params/one",
            "voting/params",
        ],
        rows,
    )


# 2. Recipe cost ----------------------------------------------------------------------


def synthetic_probas(m, n, k, rng):
    """Members' probabilities with some signal about y, as float64 arrays."""
    y = rng.integers(0, k, size=n)
    probas = []
    for j in range(m):
        logits = rng.standard_normal((n, k))
        logits[np.arange(n), y] += 1.0 + 1.5 * j / m
        probas.append(softmax(logits, axis=1))
    return probas, y


def run_recipe(name, probas, y, n_iter, link="identity"):
    """What SoupClassifier.fit runs on cached outputs: candidate soups with
    running sums, member scores, the recipe."""
    k = probas[0].shape[1]
    soups = OutputSoups(probas, Scorer("neg_log_loss", np.arange(k), y), link=link)
    scores = soups.member_scores()
    if name == "greedy":
        return greedy_recipe(soups, scores)
    return ensemble_selection_recipe(soups, n_iter)


def bench_recipes(quick, repeats):
    m, n, k, steps = (10, 10_000, 10, 5) if quick else (50, 100_000, 10, 25)
    n_features = 20
    rng = np.random.default_rng(0)
    probas, y = synthetic_probas(m, n, k, rng)
    outputs_mb = m * n * k * 8 / 1e6
    buffer_mb = n * k * 8 / 1e6
    print(
        f"\n[2] recipes on {m} members x {n} rows x {k} classes, {steps} steps "
        f"(scoring neg_log_loss); median of {repeats} repeats"
    )

    X, y_lr = make_classification(
        n_samples=n + 5_000,
        n_features=n_features,
        n_informative=10,
        n_classes=k,
        random_state=0,
    )
    members = logistic_members(X[n:], y_lr[n:], m, subset=5_000)
    X_outputs = X[:n]

    def outputs():
        return member_outputs(members, X_outputs, ["predict_proba"] * m)

    baseline_name = (
        f"{m} LogisticRegression outputs (predict_proba, {n_features} features)"
    )
    contenders = {
        baseline_name: outputs,
        "greedy (proba pool)": lambda: run_recipe("greedy", probas, y, steps),
        "ensemble_selection (proba pool)": lambda: run_recipe(
            "ensemble_selection", probas, y, steps
        ),
    }
    times = timed(contenders, repeats)
    logit_probas = None
    if not quick:
        # For information: a logit pool needs a softmax per candidate.
        logit_probas = [np.log(p) for p in probas]
        times.update(
            timed(
                {
                    "ensemble_selection (logit pool)": lambda: run_recipe(
                        "ensemble_selection", logit_probas, y, steps, link="softmax"
                    )
                },
                1,
            )
        )

    peaks = {}
    for name in ("greedy", "ensemble_selection"):
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run_recipe(name, probas, y, steps)
        peaks[name] = (tracemalloc.get_traced_memory()[1] - base) / 1e6
        tracemalloc.stop()

    baseline = times[next(iter(contenders))]
    rows = []
    for name, t in times.items():
        key = "greedy" if name.startswith("greedy") else "ensemble_selection"
        peak = (
            f"{peaks[key]:.0f} MB ({peaks[key] / buffer_mb:.1f} (n, k) buffers)"
            if "proba pool" in name
            else ""
        )
        rows.append((name, f"{t:.3f}", f"{t / baseline:.2f}", peak))
    table(
        f"time (s) vs computing the members' outputs once; outputs hold "
        f"{outputs_mb:.0f} MB, one (n, k) buffer {buffer_mb:.0f} MB",
        ["step", "seconds", "vs outputs", "peak extra memory"],
        rows,
    )


# 3. Quality on digits -----------------------------------------------------------------


def digits_pool(X, y):
    def lr(C):
        return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))

    members = [
        ("lr_0.01", lr(0.01)),
        ("lr_1", lr(1.0)),
        ("nb", GaussianNB()),
        ("knn", KNeighborsClassifier(5)),
        ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
        ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
        (
            "mlp",
            make_pipeline(
                StandardScaler(), MLPClassifier((64,), max_iter=300, random_state=0)
            ),
        ),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(name, est.fit(X, y)) for name, est in members]


def evaluate(proba, y):
    return accuracy_score(y, proba.argmax(axis=1)), log_loss(y, proba)


def bench_digits(quick):
    X, y = load_digits(return_X_y=True)
    seeds = (0,) if quick else (0, 1, 2)
    print(
        f"\n[3] load_digits {X.shape}: train 50% / held-out 25% / test 25%, "
        f"stratified; seeds {list(seeds)}"
    )
    pool_rows, mlp_rows, best_names = {}, {}, []
    for seed in seeds:
        X_train, X_rest, y_train, y_rest = train_test_split(
            X, y, test_size=0.5, stratify=y, random_state=seed
        )
        X_val, X_test, y_val, y_test = train_test_split(
            X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=seed
        )
        members = digits_pool(X_train, y_train)
        val_losses = [log_loss(y_val, m.predict_proba(X_val)) for _, m in members]
        best_name, best = members[int(np.argmin(val_losses))]
        best_names.append(best_name)
        results = {"best member on held-out": best.predict_proba(X_test)}
        voting = VotingClassifier(
            [(n, FrozenEstimator(e)) for n, e in members], voting="soft"
        ).fit(X_val, y_val)
        results["soft voting (VotingClassifier)"] = voting.predict_proba(X_test)
        for combine in ("proba", "logit"):
            for recipe in ("uniform", "greedy", "ensemble_selection", "optimized"):
                soup = SoupClassifier(members, combine=combine, recipe=recipe)
                results[f"{combine} / {recipe}"] = soup.fit(X_val, y_val).predict_proba(
                    X_test
                )
        soup = SoupClassifier(members, recipe="ensemble_selection", temperature="auto")
        results["proba / ensemble_selection + T auto"] = soup.fit(
            X_val, y_val
        ).predict_proba(X_test)
        for name, proba in results.items():
            pool_rows.setdefault(name, []).append(evaluate(proba, y_test))

        X_train_s = StandardScaler().fit(X_train)
        scale = X_train_s.transform
        n_children = 4 if quick else 10
        parent, children = fine_tuned_mlps(
            scale(X_train),
            y_train,
            n_children,
            random_state=seed,
        )
        member_scores = [
            evaluate(c.predict_proba(scale(X_test)), y_test) for c in children
        ]
        mlp_results = {
            "parent MLP": evaluate(parent.predict_proba(scale(X_test)), y_test),
            "median member (medians)": tuple(
                np.median(np.array(member_scores), axis=0)
            ),
            "best member (test accuracy)": max(
                member_scores, key=lambda s: (s[0], -s[1])
            ),
        }
        for combine, recipe in (
            ("params", "uniform"),
            ("params", "greedy"),
            ("proba", "ensemble_selection"),
        ):
            soup = SoupClassifier(children, combine=combine, recipe=recipe)
            soup.fit(scale(X_val), y_val)
            mlp_results[f"{combine} / {recipe}"] = evaluate(
                soup.predict_proba(scale(X_test)), y_test
            )
        for name, value in mlp_results.items():
            mlp_rows.setdefault(name, []).append(value)

    def rows(results):
        out = []
        for name, values in results.items():
            values = np.array(values)
            out.append(
                (
                    name,
                    " ".join(f"{a:.4f}" for a in values[:, 0]),
                    f"{np.median(values[:, 0]):.4f}",
                    " ".join(f"{b:.4f}" for b in values[:, 1]),
                    f"{np.median(values[:, 1]):.4f}",
                )
            )
        return out

    header = [
        "model",
        "test acc per seed",
        "median",
        "test log loss per seed",
        "median",
    ]
    table(
        "digits, heterogeneous members (LR x2, NB, kNN, tree, forest, MLP); "
        "target: ensemble_selection log loss <= best member's; best member on "
        f"held-out per seed: {', '.join(best_names)}",
        header,
        rows(pool_rows),
    )
    table(
        f"digits, MLPs fine-tuned from one parent ({n_children} members, weight "
        "space); target: params / greedy accuracy >= median member's",
        header,
        rows(mlp_rows),
    )


class Idle(ClassifierMixin, BaseEstimator):
    """A classifier that learns and computes nothing: GridSearchCV over it
    times the search's own work (splitting and copying the rows, cloning,
    scoring), the floor under any estimator's search on the same data."""

    def __init__(self, candidate=0):
        self.candidate = candidate

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def bench_precomputed_search(quick, repeats):
    """GridSearchCV over a soup of saved predictions (estimators="precomputed"):
    20 candidates x 5 folds, 10 members x 10 000 rows x 10 classes, against
    the same search over live members (LogisticRegression members predicting
    the same rows)."""
    m, n, k = (4, 2_000, 5) if quick else (10, 10_000, 10)
    rng = np.random.default_rng(0)
    X, y = make_classification(
        n_samples=2 * n, n_features=20, n_informative=12, n_classes=k, random_state=0
    )
    members = [
        LogisticRegression(C=10.0 ** (j % 5 - 3), max_iter=300).fit(
            X[n:][rng.permutation(n)[: n // 2]], y[n:][: n // 2]
        )
        for j in range(m)
    ]
    X, y = X[:n], y[:n]
    P = np.hstack([est.predict_proba(X) for est in members])
    grid = [
        {
            "recipe": ["uniform", "greedy", "ensemble_selection", "optimized"],
            "combine": ["proba", "logit"],
            "temperature": [None, "auto"],
        },
        {"recipe": ["ensemble_selection"], "n_iter": [5, 10, 50, 100]},
    ]
    cv = 5
    print(
        f"\n[4] GridSearchCV, 20 candidates x 5 folds, {m} members x {n} rows x "
        f"{k} classes; median of {repeats} repeats"
    )

    def search(estimators, data):
        splits = StratifiedKFold(cv)
        return GridSearchCV(SoupClassifier(estimators), grid, cv=splits).fit(data, y)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = timed(
            {
                "precomputed (saved predictions)": lambda: search("precomputed", P),
                "live members": lambda: search(members, X),
                "floor: GridSearchCV over Idle()": lambda: GridSearchCV(
                    Idle(), {"candidate": range(20)}, cv=StratifiedKFold(cv)
                ).fit(P, y),
            },
            repeats,
        )
    for name, seconds in times.items():
        print(f"{name:<34} {seconds:8.2f} s")
    live = times["live members"] / times["precomputed (saved predictions)"]
    print(f"live / precomputed: {live:.2f}x (target for precomputed: < 1 s)")
    print(
        "floor: the same search's splitting, copying, cloning and scoring over an "
        "estimator that computes nothing (the same matrix and splits, 20 candidates)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = search("precomputed", P).cv_results_
    cost = cv * (results["mean_fit_time"] + results["mean_score_time"])
    table(
        "where the precomputed search's time goes (one more run): each "
        "candidate's fits + scores over the 5 folds, most expensive first",
        ["candidate", "seconds"],
        [
            (str(results["params"][i]), f"{cost[i]:.3f}")
            for i in np.argsort(-cost, kind="stable")
        ]
        + [
            (
                "sum (the search's wall time less this: splitting, cloning, refit)",
                f"{cost.sum():.2f}",
            )
        ],
    )
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads (default 1: stable timings on a shared machine; "
        "0 leaves the libraries' defaults)",
    )
    parts = {
        "predict": lambda: bench_predict(args.quick, repeats),
        "recipes": lambda: bench_recipes(
            args.quick, min(repeats, 3 if args.quick else 5)
        ),
        "digits": lambda: bench_digits(args.quick),
        "search": lambda: bench_precomputed_search(args.quick, min(repeats, 3)),
    }
    parser.add_argument(
        "--only", choices=list(parts), default=None, help="run one table only"
    )
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    limits = threadpool_limits(args.threads) if args.threads else nullcontext()
    with limits:
        print("SoupClassifier benchmark" + (" (--quick)" if args.quick else ""))
        print(machine())
        start = time.perf_counter()
        for name, part in parts.items():
            if args.only in (None, name):
                part()
        print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
