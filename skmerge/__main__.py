# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""skmerge's main job: a demo on scikit-learn's digits data.

``python -m skmerge [--out reliability.png]`` trains a few members (logistic
regressions, MLPs fine-tuned from one shared parent, a gradient-boosting
model), merges them with every recipe of ``SoupClassifier``, stacks them with
``StackingMerger`` and calibrates with temperature scaling, then prints a table
of test accuracy, log loss, Brier score, ECE and predict time next to the best
member and scikit-learn's soft ``VotingClassifier``, and writes a reliability
diagram (needs matplotlib) of a member before and after calibration.
"""

import argparse
import copy
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import (
    CalibratedClassifier,
    SoupClassifier,
    StackingMerger,
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
    args = parser.parse_args(argv)

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

    rows.extend(_merged_rows(members, X_val, y_val, X_test, y_test))
    rows.append(None)

    mlp_name, mlp = members[0]  # the most mis-calibrated member
    calibrated = TemperatureCalibratedClassifier(mlp).fit(X_val, y_val)
    rows.append(evaluate(f"{mlp_name} (before calibration)", mlp, X_test, y_test))
    rows.append(
        evaluate(
            f"{mlp_name} + temperature (T={calibrated.temperature_:.2f})",
            calibrated,
            X_test,
            y_test,
        )
    )
    auto = CalibratedClassifier(mlp, random_state=0).fit(X_val, y_val)
    rows.append(
        evaluate(
            f"{mlp_name} + CalibratedClassifier ({auto.method_})",
            auto,
            X_test,
            y_test,
        )
    )
    print_table(rows)
    calibrations = [
        (f"{mlp_name} + temperature", calibrated),
        (f"{mlp_name} + {auto.method_} (auto)", auto),
    ]
    _write_diagram(args.out, mlp_name, mlp, calibrations, X_test, y_test)


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
