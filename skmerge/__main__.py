# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""skmerge's main job: a demo on scikit-learn's digits and diabetes data.

``python -m skmerge [--out reliability.png]``:

- classification (digits): trains a few members (logistic regressions, MLPs
  fine-tuned from one shared parent, a gradient-boosting model), merges them
  with every recipe of ``SoupClassifier``, stacks them with ``StackingMerger``
  and calibrates with temperature scaling and ``CalibratedClassifier``, then
  lets ``MergeSearch`` choose the route by cross-validation on the held-out
  data; prints a table of test accuracy, log loss, Brier score, ECE and
  predict time next to the best member and scikit-learn's
  ``VotingClassifier`` and ``StackingClassifier``, and writes a reliability
  diagram (needs matplotlib) of a member before and after calibration;
- regression (diabetes): the same with ``SoupRegressor``,
  ``StackingMergerRegressor`` and ``MergeSearch`` next to the best member,
  ``VotingRegressor`` and ``StackingRegressor``: test RMSE, MAE, R² and
  predict time.
"""

import argparse
import copy
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import KFold, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import (
    CalibratedClassifier,
    MergeSearch,
    SoupClassifier,
    SoupRegressor,
    StackingMerger,
    StackingMergerRegressor,
    TemperatureCalibratedClassifier,
)
from skmerge.metrics import calibration_report


def build_members(X_train, y_train, random_state=0):
    """Members as a sweep leaves them: several logistic regressions, MLPs
    fine-tuned from one parent with different seeds and data orders, and a
    gradient-boosting model."""
    rng = np.random.default_rng(random_state)
    scaler = StandardScaler().fit(X_train)
    members = []
    for C in (0.01, 0.1, 1.0):
        lr = LogisticRegression(C=C, max_iter=2000)
        pipe = make_pipeline(copy.deepcopy(scaler), lr)
        lr.fit(scaler.transform(X_train), y_train)
        members.append((f"lr_C{C:g}", pipe))
    # MLPs fine-tuned from one parent (Wortsman et al. 2022): each continues
    # with warm_start for a few epochs with its own seed (mini-batch order),
    # learning rate and bootstrap sample of the data.
    Xs = scaler.transform(X_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        parent = MLPClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0)
        parent.fit(Xs, y_train)
        for i in range(5):
            child = copy.deepcopy(parent).set_params(
                warm_start=True,
                max_iter=15,
                random_state=i + 1,
                learning_rate_init=float(
                    np.exp(rng.uniform(np.log(1e-3), np.log(1e-2)))
                ),
            )
            sample = rng.integers(0, len(y_train), size=len(y_train))
            child.fit(Xs[sample], y_train[sample])
            members.append(
                (f"mlp_{i + 1}", make_pipeline(copy.deepcopy(scaler), child))
            )
    hgb = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(
        X_train, y_train
    )
    members.append(("hgb", hgb))
    return members


def evaluate(name, model, X_test, y_test):
    start = time.perf_counter()
    proba = model.predict_proba(X_test)
    seconds = time.perf_counter() - start
    report = calibration_report(y_test, proba, labels=model.classes_)
    return dict(name=name, predict_ms=1e3 * seconds, **report)


def print_table(rows):
    header = (
        f"{'model':<44} {'accuracy':>8} {'log loss':>8} {'Brier':>7} "
        f"{'ECE':>7} {'predict ms':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if row is None:
            print()
            continue
        print(
            f"{row['name']:<44} {row['accuracy']:8.4f} {row['log_loss']:8.4f} "
            f"{row['brier']:7.4f} {row['ece']:7.4f} {row['predict_ms']:10.2f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skmerge", description=__doc__)
    parser.add_argument(
        "--out", default="reliability.png", help="reliability diagram PNG"
    )
    parser.add_argument(
        "--routes-out",
        default="merge_search.png",
        help="PNG of MergeSearch's routes on digits",
    )
    args = parser.parse_args(argv)

    classification_demo(args)
    regression_demo()


def classification_demo(args):
    """Soups, stacks, calibration and MergeSearch of classifiers on digits."""
    X, y = load_digits(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
    )
    print(
        f"digits: {len(y_train)} rows to train members, {len(y_val)} held out to "
        f"merge and calibrate, {len(y_test)} to test\n"
    )
    members = build_members(X_train, y_train)
    rows = [evaluate(name, m, X_test, y_test) for name, m in members]
    rows.append(None)

    voting = VotingClassifier(
        [(name, FrozenEstimator(m)) for name, m in members], voting="soft"
    ).fit(X_val, y_val)
    rows.append(
        evaluate("sklearn VotingClassifier(voting='soft')", voting, X_test, y_test)
    )
    sk_stack = StackingClassifier(
        [(name, FrozenEstimator(m)) for name, m in members],
        LogisticRegression(max_iter=1000),
    ).fit(X_val, y_val)
    rows.append(evaluate("sklearn StackingClassifier", sk_stack, X_test, y_test))

    rows.extend(_merged_rows(members, X_val, y_val, X_test, y_test))
    rows.append(None)

    mlp_name, mlp = members[0]  # the most mis-calibrated member
    calibrations = _calibrations(mlp_name, mlp, X_val, y_val)
    rows.append(evaluate(f"{mlp_name} (before calibration)", mlp, X_test, y_test))
    rows.extend(evaluate(label, cal, X_test, y_test) for label, cal in calibrations)
    rows.append(None)
    search_row, search = _search_row(members, X_val, y_val, X_test, y_test)
    rows.append(search_row)
    print_table(rows)
    _write_diagram(args.out, mlp_name, mlp, calibrations, X_test, y_test)
    _write_routes(args.routes_out, search)


def _calibrations(name, member, X_val, y_val):
    """The member calibrated by temperature scaling and by the method
    CalibratedClassifier chooses, with their labels."""
    temperature = TemperatureCalibratedClassifier(member).fit(X_val, y_val)
    auto = CalibratedClassifier(member, random_state=0).fit(X_val, y_val)
    return [
        (f"{name} + temperature (T={temperature.temperature_:.2f})", temperature),
        (f"{name} + CalibratedClassifier ({auto.method_})", auto),
    ]


def _search_row(members, X_val, y_val, X_test, y_test):
    """MergeSearch's choice among the 33 default routes, by 5-fold CV on the
    held-out data."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = MergeSearch(members, random_state=0).fit(X_val, y_val)
    seconds = time.perf_counter() - start
    params = ", ".join(
        f"{k.removeprefix('estimator__')}={v}"
        for k, v in search.best_params_.items()
        if k != "route"
    )
    print(
        f"MergeSearch: {len(search.cv_results_['params'])} routes x "
        f"{search.n_splits_} folds in {seconds:.1f} s, each member predicted once; "
        f"chose {search.best_params_['route']} ({params})"
    )
    row = evaluate("MergeSearch (its chosen route)", search, X_test, y_test)
    return row, search


def regression_members(X_train, y_train):
    """Regressors as a sweep leaves them."""
    scaler = StandardScaler().fit(X_train)
    members = [
        (f"ridge_a{a:g}", make_pipeline(scaler, Ridge(alpha=a)).fit(X_train, y_train))
        for a in (0.1, 10.0)
    ]
    members.append(
        ("knn", make_pipeline(scaler, KNeighborsRegressor(15)).fit(X_train, y_train))
    )
    members.append(
        (
            "hgb",
            HistGradientBoostingRegressor(
                max_iter=100, learning_rate=0.05, random_state=0
            ).fit(X_train, y_train),
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor(
            hidden_layer_sizes=(32,),
            learning_rate_init=0.01,
            max_iter=300,
            random_state=0,
        )
        members.append(("mlp", make_pipeline(scaler, mlp).fit(X_train, y_train)))
    return members


def evaluate_regressor(name, model, X_test, y_test):
    start = time.perf_counter()
    pred = model.predict(X_test)
    seconds = time.perf_counter() - start
    return dict(
        name=name,
        rmse=root_mean_squared_error(y_test, pred),
        mae=mean_absolute_error(y_test, pred),
        r2=r2_score(y_test, pred),
        predict_ms=1e3 * seconds,
    )


def print_regression_table(rows):
    header = f"{'model':<44} {'RMSE':>8} {'MAE':>8} {'R2':>7} {'predict ms':>10}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if row is None:
            print()
            continue
        print(
            f"{row['name']:<44} {row['rmse']:8.2f} {row['mae']:8.2f} "
            f"{row['r2']:7.4f} {row['predict_ms']:10.2f}"
        )


def regression_demo():
    """Soups, stacks and MergeSearch of regressors on diabetes."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.5, random_state=0
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=0
    )
    print(
        f"\ndiabetes: {len(y_train)} rows to train members, {len(y_val)} held out "
        f"to merge, {len(y_test)} to test\n"
    )
    members = regression_members(X_train, y_train)
    rows = [evaluate_regressor(n, m, X_test, y_test) for n, m in members]
    rows.append(None)
    frozen = [(n, FrozenEstimator(m)) for n, m in members]
    for label, model in (
        ("sklearn VotingRegressor", VotingRegressor(frozen)),
        ("sklearn StackingRegressor", StackingRegressor(frozen, cv=KFold(5))),
    ):
        rows.append(evaluate_regressor(label, model.fit(X_val, y_val), X_test, y_test))
    rows.extend(_merged_regressor_rows(members, X_val, y_val, X_test, y_test))
    print_regression_table(rows)


def _merged_regressor_rows(members, X_val, y_val, X_test, y_test):
    ridges = [(n, m) for n, m in members if n.startswith("ridge")]
    models = [
        (f"soup mean, {recipe}", SoupRegressor(members, recipe=recipe))
        for recipe in ("uniform", "greedy", "ensemble_selection", "optimized")
    ]
    models += [
        ("soup median, uniform", SoupRegressor(members, combine="median")),
        ("soup params (ridges), uniform", SoupRegressor(ridges, combine="params")),
        ("stacking (RidgeCV on predictions)", StackingMergerRegressor(members)),
        ("stacking of ridges (merged into one)", StackingMergerRegressor(ridges)),
    ]
    rows = [
        evaluate_regressor(label, model.fit(X_val, y_val), X_test, y_test)
        for label, model in models
    ]
    search = MergeSearch(members, random_state=0).fit(X_val, y_val)
    params = ", ".join(
        f"{k}={v}" for k, v in search.best_params_.items() if k != "route"
    )
    print(
        f"MergeSearch: {len(search.cv_results_['params'])} routes x "
        f"{search.n_splits_} folds; chose {search.best_params_['route']} ({params})"
    )
    rows.append(None)
    rows.append(
        evaluate_regressor("MergeSearch (its chosen route)", search, X_test, y_test)
    )
    return rows


def _merged_rows(members, X_val, y_val, X_test, y_test):
    """Soups and stacks over the members."""
    rows = []
    mlps = [(n, m) for n, m in members if n.startswith("mlp")]
    soups = [
        ("soup proba, uniform", members, dict(recipe="uniform")),
        ("soup proba, greedy", members, dict(recipe="greedy")),
        ("soup proba, ensemble_selection", members, dict(recipe="ensemble_selection")),
        ("soup proba, optimized", members, dict(recipe="optimized")),
        (
            "soup logit, ensemble_selection + T",
            members,
            dict(combine="logit", recipe="ensemble_selection", temperature="auto"),
        ),
        ("soup params (MLPs), uniform", mlps, dict(combine="params")),
        ("soup params (MLPs), greedy", mlps, dict(combine="params", recipe="greedy")),
    ]
    for label, group, params in soups:
        soup = SoupClassifier(group, random_state=0, **params).fit(X_val, y_val)
        rows.append(evaluate(label, soup, X_test, y_test))
    stack = StackingMerger(members).fit(X_val, y_val)
    rows.append(
        evaluate("stacking (LogisticRegression on probas)", stack, X_test, y_test)
    )
    linear = [(n, m) for n, m in members if n.startswith("lr")]
    merged = StackingMerger(
        linear,
        LogisticRegression(max_iter=5000),
        stack_method="decision_function",
    ).fit(X_val, y_val)
    kind = "merged" if merged.merged_estimator_ is not None else "unmerged"
    rows.append(
        evaluate(f"stacking of LRs ({kind} into one model)", merged, X_test, y_test)
    )
    return rows


def _write_routes(path, search):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no routes plot written to {path}")
        return
    display = search.plot()
    display.figure_.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(display.figure_)
    print(f"MergeSearch's routes written to {path}")


def _write_diagram(path, name, member, calibrations, X_test, y_test):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            f"\nmatplotlib is not installed: no reliability diagram written to {path}"
        )
        return
    from skmerge.plotting import ReliabilityDisplay

    fig, ax = plt.subplots(figsize=(6, 6))
    ReliabilityDisplay.from_estimator(member, X_test, y_test, name=name, ax=ax)
    for label, calibrated in calibrations:
        ReliabilityDisplay.from_estimator(calibrated, X_test, y_test, name=label, ax=ax)
    ax.set_title("digits, test data: top-label reliability")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"\nreliability diagram written to {path}")


if __name__ == "__main__":
    main()
