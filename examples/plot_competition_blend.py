# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Blending saved predictions, the competition way
===============================================

After a sweep, a competitor keeps prediction matrices, not models: each
model's out-of-fold probabilities on the training rows and its probabilities
on the test rows. ``MergeSearch("precomputed")`` takes those matrices as
``X`` and finds, by cross-validation on the out-of-fold rows, which way of
combining them is best (a soup, a calibrated soup, a stack...); the chosen
route then blends the test matrices into the submission.

Members: gradient boosting from XGBoost and LightGBM when they are installed
(scikit-learn's HistGradientBoosting otherwise), a random forest and a
logistic regression, on scikit-learn's digits data.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import MergeSearch


def models():
    """The sweep's models: boosting from the libraries that are installed."""
    found = {}
    try:
        from xgboost import XGBClassifier

        found["xgb"] = XGBClassifier(
            n_estimators=60, max_depth=3, learning_rate=0.2, n_jobs=1, random_state=0
        )
    except ImportError:
        pass
    try:
        from lightgbm import LGBMClassifier

        found["lgbm"] = LGBMClassifier(
            n_estimators=60, num_leaves=15, n_jobs=1, random_state=0, verbose=-1
        )
    except ImportError:
        pass
    if not found:
        found["hgb"] = HistGradientBoostingClassifier(max_iter=60, random_state=0)
    found["rf"] = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    found["lr"] = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))
    return found


# %%
# The saved predictions
# ---------------------
# Out-of-fold probabilities on the training rows (5 folds), and each model,
# refitted on all of them, predicting the test rows: the matrices a notebook
# leaves behind, with columns ``<model>_<class>``.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, random_state=0, stratify=y
)
classes = np.unique(y_train)
folds = StratifiedKFold(5, shuffle=True, random_state=0)
oof, test = {}, {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name, model in models().items():
        oof[name] = cross_val_predict(
            model, X_train, y_train, cv=folds, method="predict_proba"
        )
        test[name] = model.fit(X_train, y_train).predict_proba(X_test)
columns = [f"{name}_{c}" for name in oof for c in classes]
oof = pd.DataFrame(np.hstack(list(oof.values())), columns=columns)
test = pd.DataFrame(np.hstack(list(test.values())), columns=columns)

# %%
# Which blend?
# ------------
# The default routes, each scored by 5-fold cross-validation on the
# out-of-fold rows. No model exists any more: the routes read the matrices.
search = MergeSearch("precomputed", cv=5, random_state=0).fit(oof, y_train)
print(f"chosen route: {search.best_params_}")
print(f"its CV log loss on the out-of-fold rows: {-search.best_score_:.4f}\n")

submission = search.predict_proba(test)  # the blend of the test matrices
rows = []
for name in search.best_estimator_.named_estimators_:
    block = test[[f"{name}_{c}" for c in classes]].to_numpy(dtype=np.float64)
    block = block / block.sum(axis=1, keepdims=True)  # float32 sums: 1 +- 1e-7
    rows.append((name, log_loss(y_test, block, labels=classes)))
rows.append(("MergeSearch's blend", log_loss(y_test, submission, labels=classes)))
print(f"{'test log loss':<22}")
for name, loss in rows:
    print(f"{name:<22} {loss:.4f}")

# %%
# The routes, and who drove the predictions
# -----------------------------------------
fig, (left, right) = plt.subplots(
    1, 2, figsize=(14, 9), gridspec_kw={"width_ratios": [3, 2]}
)
search.plot(top=20, ax=left)
best = search.best_estimator_
if hasattr(best, "contributions"):
    shares = best.contributions(test.iloc[:12])
    bottom = np.zeros(len(shares))
    for j, name in enumerate(best.named_estimators_):
        right.barh(np.arange(len(shares)), shares[:, j], left=bottom, label=name)
        bottom += shares[:, j]
    right.set_yticks(np.arange(len(shares)), [f"test row {i}" for i in range(12)])
    right.invert_yaxis()
    right.set_xlabel("share of the predicted class's probability")
    right.set_title("members' shares, first 12 test rows")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4)
else:
    right.axis("off")
fig.tight_layout()
fig.savefig("competition_blend.png", dpi=90, bbox_inches="tight")
print("\nfigure written to competition_blend.png")
