# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark of SoupRegressor and StackingMergerRegressor.

Run ``python benchmarks/bench_regression.py`` (several minutes) or with
``--quick`` (a small smoke run). Four tables, each against what a user would
pick instead, in the same run:

1. ``predict`` time of a weight-space soup (``combine="params"``) of 10 Ridge
   and of 10 MLPRegressor members vs one member, vs the mean soup and vs
   ``VotingRegressor`` over ``FrozenEstimator`` members.
2. ``predict`` time of a merged stack of 10 linear members
   (``StackingMergerRegressor``, ``merged_estimator_``) vs the same stack
   unmerged (``merge=False``) vs scikit-learn's ``StackingRegressor`` over
   ``FrozenEstimator`` members (prefit semantics), with the largest
   difference between their predictions.
3. Recipe time for 50 members x 100 000 rows (greedy, ensemble selection,
   optimized by the exact simplex QP, optimized for the mean absolute error
   by Powell's method, greedy median), on synthetic predictions through the
   code path the estimator uses, vs computing 50 Ridge members' predictions
   once; and each recipe's peak extra memory (tracemalloc).
4. Quality on two real data sets, ``load_diabetes`` (scikit-learn) and the
   RAND Health Insurance Experiment (``statsmodels.datasets.randhie``,
   shipped inside statsmodels: ``pip install statsmodels``, or the ``bench``
   extra): members trained on a train split, skmerge fitted on a held-out
   split, test RMSE / MAE / R2 and predict time of the best member,
   ``VotingRegressor``, ``StackingRegressor`` (cv=5, refitting the members on
   train + held-out; and, to tell what it gains from the extra rows alone, the
   best member refitted on train + held-out), every soup and the prefit stack,
   over split seeds.

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
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_regression
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
    VotingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import (
    ElasticNet,
    HuberRegressor,
    Lasso,
    LinearRegression,
    Ridge,
    RidgeCV,
    SGDRegressor,
)
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import KFold, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skmerge
from skmerge._base import member_outputs
from skmerge._recipes import (
    MedianSoups,
    OutputSoups,
    RegressionScorer,
    ensemble_selection_recipe,
    greedy_recipe,
    optimized_recipe,
)
from skmerge._soup import SoupRegressor
from skmerge._stacking import StackingMergerRegressor

# Helpers ----------------------------------------------------------------------------


def machine():
    blas = sorted(
        {f"{i['internal_api']}:{i['num_threads']}" for i in threadpool_info()}
    )
    load = (
        " | load average at start " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        if hasattr(os, "getloadavg")
        else ""
    )
    return (
        f"{platform.platform()} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs | Python {platform.python_version()} | numpy "
        f"{np.__version__} | scipy {scipy.__version__} | scikit-learn "
        f"{sklearn.__version__} | skmerge {skmerge.__version__} | thread pools "
        f"{', '.join(blas)}{load}"
    )


def timed(contenders, repeats):
    """Median seconds of each zero-argument callable, measured in turn, after
    one warm-up call each."""
    times = {name: [] for name in contenders}
    for round_ in range(repeats + 1):
        for name, func in contenders.items():
            start = time.perf_counter()
            func()
            if round_:
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
        print(
            "  ".join(
                str(c).ljust(w) for c, w in zip(row, widths, strict=True)
            ).rstrip()
        )


def frozen(members):
    return [(name, FrozenEstimator(est)) for name, est in members]


def prefit_cv():
    """``cv`` giving scikit-learn's StackingRegressor prefit semantics over
    FrozenEstimator members: ``"prefit"`` where the installed version still
    accepts it, else any splitter (a FrozenEstimator ignores ``fit``, so its
    "out-of-fold" predictions are its predictions)."""
    options = StackingRegressor._parameter_constraints["cv"]
    if any(getattr(o, "options", ()) and "prefit" in o.options for o in options):
        return "prefit"
    return KFold(5)


# Members ----------------------------------------------------------------------------


def ridge_members(X, y, n_members, *, subset=2000, random_state=0):
    """Ridges on bootstrap subsets with alpha on a log grid."""
    rng = np.random.default_rng(random_state)
    members = []
    for alpha in np.logspace(-2, 2, n_members):
        rows = rng.choice(len(y), size=min(subset, len(y)), replace=True)
        members.append(Ridge(alpha=alpha).fit(X[rows], y[rows]))
    return members


def fine_tuned_mlps(X, y, n_members, *, parent_iter=10, child_iter=3, random_state=0):
    """MLPRegressors fine-tuned from one parent (warm start, own seed,
    learning rate and bootstrap sample), as a weight-space soup needs them."""
    rng = np.random.default_rng(random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        parent = MLPRegressor(
            hidden_layer_sizes=(64,), max_iter=parent_iter, random_state=random_state
        ).fit(X, y)
        members = []
        for i in range(n_members):
            child = copy.deepcopy(parent).set_params(
                warm_start=True,
                max_iter=child_iter,
                learning_rate_init=float(
                    np.exp(rng.uniform(np.log(1e-3), np.log(1e-2)))
                ),
                random_state=random_state + 1 + i,
            )
            rows = rng.choice(len(y), size=len(y), replace=True)
            members.append(child.fit(X[rows], y[rows]))
    return members


# 1. Params soup predict cost --------------------------------------------------------


def bench_predict(quick, repeats):
    n_features = 50
    n_pred = 5_000 if quick else 50_000
    X, y = make_regression(
        n_samples=12_000 + n_pred,
        n_features=n_features,
        n_informative=30,
        noise=10.0,
        random_state=0,
    )
    y = (y - y.mean()) / y.std()
    X_fit, y_fit = X[:10_000], y[:10_000]
    X_val, y_val = X[10_000:12_000], y[10_000:12_000]
    X_pred = X[12_000:]
    print(
        f"\n[1] predict on {n_pred} x {n_features} features (make_regression, "
        f"standardised target); 10 members fitted on 10 000 rows, soups on 2 000 "
        f"held-out rows; median of {repeats} repeats"
    )
    rows = []
    for family in ("Ridge", "MLPRegressor"):
        if family == "Ridge":
            members = ridge_members(X_fit, y_fit, 10)
        else:
            members = fine_tuned_mlps(X_fit, y_fit, 10)
        named = [(f"m{i}", est) for i, est in enumerate(members)]
        params = SoupRegressor(named, combine="params").fit(X_val, y_val)
        mean = SoupRegressor(named).fit(X_val, y_val)
        voting = VotingRegressor(frozen(named)).fit(X_val[:200], y_val[:200])
        times = timed(
            {
                "one member": lambda: members[0].predict(X_pred),
                "params soup": lambda: params.predict(X_pred),
                "mean soup": lambda: mean.predict(X_pred),
                "VotingRegressor": lambda: voting.predict(X_pred),
            },
            repeats,
        )
        diff = np.abs(params.predict(X_pred) - mean.predict(X_pred)).max()
        rows.append(
            (
                family,
                len(members),
                f"{1e3 * times['one member']:.2f}",
                f"{1e3 * times['params soup']:.2f}",
                f"{1e3 * times['mean soup']:.2f}",
                f"{1e3 * times['VotingRegressor']:.2f}",
                f"{times['params soup'] / times['one member']:.2f}",
                f"{times['VotingRegressor'] / times['params soup']:.1f}",
                f"{diff:.1e}",
            )
        )
    table(
        "predict time (ms); targets: params/one <= 1.2, voting/params >= 8; "
        "|params - mean|: max difference of the two soups' predictions (equal for "
        "linear members, not for MLPs)",
        [
            "members",
            "n",
            "one member",
            "params soup",
            "mean soup",
            "VotingRegressor",
            "params/one",
            "voting/params",
            "|params - mean|",
        ],
        rows,
    )
    return rows


# 2. Merged stack predict cost -------------------------------------------------------


def bench_stacking(quick, repeats):
    n_features = 50
    n_rows = 20_000 if quick else 200_000
    X, y = make_regression(
        n_samples=40_000 + n_rows,
        n_features=n_features,
        n_informative=25,
        noise=20.0,
        random_state=1,
    )
    X_train, y_train = X[:20_000], y[:20_000]
    X_held, y_held = X[20_000:40_000], y[20_000:40_000]
    X_pred = X[40_000:]
    linear = [
        ("ols", LinearRegression()),
        ("ridge_0.1", Ridge(alpha=0.1)),
        ("ridge_100", Ridge(alpha=100.0)),
        ("ridge_10000", Ridge(alpha=10_000.0)),
        ("lasso_0.1", Lasso(alpha=0.1)),
        ("lasso_3", Lasso(alpha=3.0)),
        ("enet_0.1", ElasticNet(alpha=0.1)),
        ("enet_1", ElasticNet(alpha=1.0)),
        ("sgd", SGDRegressor(random_state=0)),
        ("huber", HuberRegressor(max_iter=500)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _, est in linear:
            est.fit(X_train, y_train)
    merged = StackingMergerRegressor(linear).fit(X_held, y_held)
    unmerged = StackingMergerRegressor(linear, merge=False).fit(X_held, y_held)
    assert merged.merged_estimator_ is not None
    cv = prefit_cv()
    sklearn_stack = StackingRegressor(frozen(linear), RidgeCV(), cv=cv).fit(
        X_held, y_held
    )
    routes = {
        'skmerge merged (merge="auto")': merged,
        "skmerge unmerged (merge=False)": unmerged,
        f"sklearn StackingRegressor(FrozenEstimator, cv={cv!r})": sklearn_stack,
    }
    times = timed(
        {label: (lambda est=est: est.predict(X_pred)) for label, est in routes.items()},
        repeats,
    )
    reference = unmerged.predict(X_pred)
    merged_seconds = times['skmerge merged (merge="auto")']
    rows = []
    diffs = {}
    for label, est in routes.items():
        diffs[label] = np.abs(est.predict(X_pred) - reference).max()
        rows.append(
            (
                label,
                f"{1e3 * times[label]:.1f}",
                f"{times[label] / merged_seconds:.1f}",
                f"{diffs[label]:.1e}",
            )
        )
    table(
        f"[2] predict on X {X_pred.shape}: a stack of {len(linear)} linear members "
        "(LinearRegression, 3 Ridge, 2 Lasso, 2 ElasticNet, SGDRegressor, "
        "HuberRegressor) fitted on 20 000 rows, RidgeCV final estimator fitted on "
        f"20 000 held-out rows; target std {y.std():.0f}; median of {repeats} "
        "repeats; targets: unmerged/merged >= 5, |difference| <= 1e-8",
        ["route", "median ms", "time / merged", "max |pred - unmerged|"],
        rows,
    )
    return times, diffs


# 3. Recipe cost ---------------------------------------------------------------------


def synthetic_predictions(m, n, rng):
    """Members' predictions of a target ``y``: a shared error (members are
    correlated, as in a real pool), a bias and an own error growing with the
    member's index, and a few wild predictions."""
    y = rng.standard_normal(n)
    shared = rng.standard_normal(n)
    predictions = []
    for j in range(m):
        own = rng.standard_normal(n) * (0.3 + j / m)
        pred = y + 0.4 * shared + 0.1 * rng.standard_normal() + own
        wild = rng.random(n) < 0.01
        pred[wild] += rng.standard_normal(wild.sum()) * 10
        predictions.append(pred)
    return predictions, y


RECIPE_RUNS = {
    # name: (pool, scoring, recipe)
    "greedy (mean, RMSE)": ("mean", "neg_root_mean_squared_error", "greedy"),
    "ensemble_selection (mean, RMSE)": (
        "mean",
        "neg_root_mean_squared_error",
        "ensemble_selection",
    ),
    "optimized (mean, RMSE: exact simplex QP)": (
        "mean",
        "neg_root_mean_squared_error",
        "optimized",
    ),
    "optimized (mean, MAE: Powell)": ("mean", "neg_mean_absolute_error", "optimized"),
    "greedy (median, RMSE)": ("median", "neg_root_mean_squared_error", "greedy"),
}


def run_recipe(name, predictions, y, n_iter):
    """What SoupRegressor.fit runs on the cached predictions: the candidate
    soups, the member scores, the recipe."""
    pool, scoring, recipe = RECIPE_RUNS[name]
    scorer = RegressionScorer(scoring, y)
    if pool == "median":
        soups = MedianSoups(predictions, scorer)
    else:
        soups = OutputSoups(predictions, scorer)
    scores = soups.member_scores()
    if recipe == "greedy":
        return greedy_recipe(soups, scores)
    if recipe == "ensemble_selection":
        return ensemble_selection_recipe(soups, n_iter)
    return optimized_recipe(soups)


def bench_recipes(quick, repeats):
    m, n, steps = (10, 10_000, 5) if quick else (50, 100_000, 25)
    n_features = 20
    rng = np.random.default_rng(0)
    predictions, y = synthetic_predictions(m, n, rng)
    outputs_mb = m * n * 8 / 1e6
    print(
        f"\n[3] recipes on {m} members x {n} rows (synthetic predictions), "
        f"ensemble selection {steps} steps; median of {repeats} repeats "
        "(Powell: see its row)"
    )
    X, y_lr = make_regression(
        n_samples=n + 5_000, n_features=n_features, noise=1.0, random_state=0
    )
    members = ridge_members(X[n:], y_lr[n:], m, subset=5_000)
    X_outputs = X[:n]
    baseline = f"{m} Ridge members' predictions ({n_features} features)"
    contenders = {
        baseline: lambda: member_outputs(members, X_outputs, ["predict"] * m),
    }
    slow = "optimized (mean, MAE: Powell)"
    for name in RECIPE_RUNS:
        if name != slow:
            contenders[name] = lambda name=name: run_recipe(name, predictions, y, steps)
    times = timed(contenders, repeats)
    # Powell's method costs seconds to minutes here: fewer repeats.
    powell_repeats = 1 if quick else min(repeats, 2)
    times.update(
        timed(
            {slow: lambda: run_recipe(slow, predictions, y, steps)},
            powell_repeats,
        )
    )

    results, peaks = {}, {}
    for name in RECIPE_RUNS:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        results[name] = run_recipe(name, predictions, y, steps)
        peaks[name] = (tracemalloc.get_traced_memory()[1] - base) / 1e6
        tracemalloc.stop()

    rmse = {
        j: root_mean_squared_error(y, p) for j, p in enumerate(predictions)
    }  # the members' own errors, for the "held-out RMSE" column
    best_member = min(rmse.values())
    rows = [(baseline, f"{times[baseline]:.3f}", "1.00", "", "", "")]
    for name in RECIPE_RUNS:
        weights, _ = results[name]
        pool = RECIPE_RUNS[name][0]
        if pool == "median":
            soup = MedianSoups(predictions, RegressionScorer("r2", y)).mean(weights)
        else:
            soup = np.average(predictions, axis=0, weights=weights)
        rows.append(
            (
                name,
                f"{times[name]:.3f}",
                f"{times[name] / times[baseline]:.2f}",
                f"{peaks[name]:.1f} MB ({peaks[name] / outputs_mb:.2f}x)",
                int(np.count_nonzero(weights)),
                f"{root_mean_squared_error(y, soup):.4f}",
            )
        )
    table(
        f"time (s) vs computing the members' predictions once; the predictions "
        f"hold {outputs_mb:.0f} MB; best member's RMSE {best_member:.4f}",
        [
            "step",
            "seconds",
            "vs predictions",
            "peak extra memory (x predictions)",
            "members used",
            "soup RMSE",
        ],
        rows,
    )
    return times


# 4. Quality on real data ------------------------------------------------------------


def load_randhie():
    """The RAND Health Insurance Experiment (statsmodels' bundled copy):
    outpatient visits ``mdvis`` from 9 covariates, 20 190 rows."""
    from statsmodels.datasets import randhie

    data = randhie.load_pandas()
    return data.exog.to_numpy(dtype=np.float64), data.endog.to_numpy(np.float64)


def member_pool(quick):
    """Ridge (3 alphas), kNN, random forest, gradient boosting and an MLP,
    with scaling (and a scaled target for the MLP)."""
    n_trees = 30 if quick else 100

    def ridge(alpha):
        return make_pipeline(StandardScaler(), Ridge(alpha=alpha))

    return [
        ("ridge_0.1", ridge(0.1)),
        ("ridge_10", ridge(10.0)),
        ("ridge_1000", ridge(1000.0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(15))),
        (
            "forest",
            RandomForestRegressor(
                n_estimators=n_trees, min_samples_leaf=5, random_state=0
            ),
        ),
        ("hgb", HistGradientBoostingRegressor(max_iter=100, random_state=0)),
        (
            "mlp",
            TransformedTargetRegressor(
                make_pipeline(
                    StandardScaler(),
                    MLPRegressor(
                        hidden_layer_sizes=(64,),
                        max_iter=300,
                        early_stopping=True,
                        random_state=0,
                    ),
                ),
                transformer=StandardScaler(),
            ),
        ),
    ]


LINEAR = ("ridge_0.1", "ridge_10", "ridge_1000")


def quality_routes(members, X_held, y_held, X_fit_all, y_fit_all, quick):
    """Every contender as a fitted estimator (and the best member's name)."""
    held_rmse = [
        root_mean_squared_error(y_held, est.predict(X_held)) for _, est in members
    ]
    best_name, best = members[int(np.argmin(held_rmse))]
    routes = {"best member on held-out": best}
    routes["VotingRegressor (uniform)"] = VotingRegressor(frozen(members)).fit(
        X_held, y_held
    )
    routes["StackingRegressor (cv=5, refits)"] = StackingRegressor(
        [(name, sklearn.base.clone(est)) for name, est in members], cv=5
    ).fit(X_fit_all, y_fit_all)
    # What StackingRegressor's members gain from the held-out rows alone.
    routes["best member refitted on train + held-out"] = sklearn.base.clone(best).fit(
        X_fit_all, y_fit_all
    )
    for combine in ("mean", "median"):
        for recipe in ("uniform", "greedy", "ensemble_selection", "optimized"):
            routes[f"soup {combine} / {recipe}"] = SoupRegressor(
                members, combine=combine, recipe=recipe
            ).fit(X_held, y_held)
    ridges = [(name, est) for name, est in members if name in LINEAR]
    routes["soup params / optimized (3 Ridge)"] = SoupRegressor(
        ridges, combine="params", recipe="optimized"
    ).fit(X_held, y_held)
    routes["StackingMergerRegressor (prefit)"] = StackingMergerRegressor(members).fit(
        X_held, y_held
    )
    return best_name, routes


def bench_quality(quick, repeats):
    datasets = {"diabetes": load_diabetes(return_X_y=True)}
    try:
        datasets["randhie"] = load_randhie()
    except ImportError:
        print("\n[4] statsmodels is not installed: randhie skipped")
    seeds = (0,) if quick else (0, 1, 2)
    summaries = {}
    for data_name, (X, y) in datasets.items():
        if quick and data_name == "randhie":
            rows = np.random.default_rng(0).choice(len(y), 4_000, replace=False)
            X, y = X[rows], y[rows]
        print(
            f"\n[4] {data_name} {X.shape}: train 50% / held-out 25% / test 25%, "
            f"shuffled; seeds {list(seeds)}; predict time on the test split, "
            f"median of {repeats}"
        )
        scores = {}
        best_names, parity = [], []
        for seed in seeds:
            X_train, X_rest, y_train, y_rest = train_test_split(
                X, y, test_size=0.5, random_state=seed
            )
            X_held, X_test, y_held, y_test = train_test_split(
                X_rest, y_rest, test_size=0.5, random_state=seed
            )
            members = [
                (name, est.fit(X_train, y_train)) for name, est in member_pool(quick)
            ]
            X_fit_all = np.concatenate([X_train, X_held])
            y_fit_all = np.concatenate([y_train, y_held])
            best_name, routes = quality_routes(
                members, X_held, y_held, X_fit_all, y_fit_all, quick
            )
            best_names.append(best_name)
            times = timed(
                {
                    label: (lambda est=est: est.predict(X_test))
                    for label, est in routes.items()
                },
                repeats,
            )
            for label, est in routes.items():
                pred = est.predict(X_test)
                scores.setdefault(label, []).append(
                    (
                        root_mean_squared_error(y_test, pred),
                        mean_absolute_error(y_test, pred),
                        r2_score(y_test, pred),
                        times[label],
                    )
                )
            # StackingMergerRegressor(prefit=False) is StackingRegressor.
            ours = StackingMergerRegressor(
                [(name, sklearn.base.clone(est)) for name, est in members],
                prefit=False,
                cv=5,
            ).fit(X_fit_all, y_fit_all)
            theirs = routes["StackingRegressor (cv=5, refits)"]
            parity.append(np.abs(ours.predict(X_test) - theirs.predict(X_test)).max())
        best_rmse = np.array([s[0] for s in scores["best member on held-out"]])
        rows = []
        for label, values in scores.items():
            values = np.array(values)
            wins = int(np.sum(values[:, 0] < best_rmse))
            rows.append(
                (
                    label,
                    " ".join(f"{v:.3f}" for v in values[:, 0]),
                    f"{values[:, 0].mean():.3f}",
                    f"{values[:, 1].mean():.3f}",
                    f"{values[:, 2].mean():.4f}",
                    ""
                    if label == "best member on held-out"
                    else f"{wins}/{len(seeds)}",
                    f"{1e3 * values[:, 3].mean():.2f}",
                )
            )
        table(
            f"{data_name}: members ridge x3, knn, forest, hgb, mlp; best member on "
            f"held-out per seed: {', '.join(best_names)}; "
            "StackingMergerRegressor(prefit=False, cv=5) vs StackingRegressor(cv=5): "
            f"max |difference| {max(parity):.1e}",
            [
                "model",
                "test RMSE per seed",
                "RMSE",
                "MAE",
                "R2",
                "RMSE < best member",
                "predict ms",
            ],
            rows,
        )
        summaries[data_name] = scores, parity
    return summaries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads (default 1: stable timings on a shared machine; "
        "0 leaves the libraries' defaults)",
    )
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    limits = threadpool_limits(args.threads) if args.threads else nullcontext()
    with limits, warnings.catch_warnings():
        # MLPs stopping at max_iter, lasso/enet on the largest penalties
        warnings.simplefilter("ignore", ConvergenceWarning)
        print("Regression benchmark" + (" (--quick)" if args.quick else ""))
        print(machine())
        start = time.perf_counter()
        predict_rows = bench_predict(args.quick, repeats)
        stack_times, stack_diffs = bench_stacking(args.quick, repeats)
        bench_recipes(args.quick, min(repeats, 3 if args.quick else 5))
        quality = bench_quality(args.quick, min(repeats, 5))

        print("\nTargets")
        for row in predict_rows:
            family, ratio_one, ratio_voting = row[0], float(row[6]), float(row[7])
            print(
                f"- {family} params soup: {ratio_one:.2f}x one member "
                f"({'met' if ratio_one <= 1.2 else 'MISSED'}: <= 1.2), "
                f"{ratio_voting:.1f}x faster than VotingRegressor "
                f"({'met' if ratio_voting >= 8 else 'MISSED'}: >= 8)"
            )
        labels = list(stack_times)
        speedup = stack_times[labels[1]] / stack_times[labels[0]]
        diff = stack_diffs[labels[0]]
        print(
            f"- merged stack {speedup:.1f}x faster than unmerged "
            f"({'met' if speedup >= 5 else 'MISSED'}: >= 5), max |difference| "
            f"{diff:.1e} ({'met' if diff <= 1e-8 else 'MISSED'}: <= 1e-8)"
        )
        for data_name, (scores, parity) in quality.items():
            best = np.mean([s[0] for s in scores["best member on held-out"]])
            soups = {
                label: np.mean([s[0] for s in scores[label]])
                for label in ("soup mean / greedy", "soup mean / optimized")
            }
            winner = min(soups, key=soups.get)
            print(
                f"- {data_name}: {winner} mean test RMSE {soups[winner]:.3f} vs best "
                f"member {best:.3f} "
                f"({'met' if soups[winner] <= best else 'MISSED'}: no worse); "
                f"StackingMergerRegressor(prefit=False) vs StackingRegressor "
                f"{max(parity):.1e} ({'met' if max(parity) <= 1e-10 else 'MISSED'}: "
                "<= 1e-10)"
            )
        print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
