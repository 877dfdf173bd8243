# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""
A Kaggle-style blend of heterogeneous models
============================================

Three different models are trained on the same data: a logistic regression,
gradient boosting and k-nearest neighbours. Instead of picking the best one,
we blend them on a held-out split with ensemble selection (Caruana et al.,
2004: forward selection with replacement, as AutoGluon does), then calibrate
the blend with temperature scaling, and compare log loss and accuracy on a
test split that nothing was fitted on.

The figure, ``kaggle_blend.png``, shows the held-out log loss of each model
and of the blends, and the weights ensemble selection chose.
"""

# %%
# Data: train the members on one split, blend on a second, test on a third.
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import SoupClassifier, StackingMerger

X, y = make_classification(
    n_samples=3000,
    n_features=20,
    n_informative=8,
    n_redundant=4,
    n_classes=4,
    class_sep=0.8,
    flip_y=0.03,
    random_state=0,
)
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_blend, X_test, y_blend, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)

# %%
# Three heterogeneous members, fitted as a notebook would fit them.
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.3))),
    ("gbm", HistGradientBoostingClassifier(max_iter=80, random_state=0)),
    ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(25))),
]
members = [(name, model.fit(X_train, y_train)) for name, model in members]

# %%
# Blends, fitted on the held-out split only: the members are never refitted.
blends = {
    "uniform average": SoupClassifier(members),
    "ensemble selection": SoupClassifier(
        members, recipe="ensemble_selection", n_iter=25
    ),
    "ensemble selection + T": SoupClassifier(
        members, recipe="ensemble_selection", n_iter=25, temperature="auto"
    ),
    "stacking": StackingMerger(members),
}
blends = {name: blend.fit(X_blend, y_blend) for name, blend in blends.items()}

rows = [(name, model) for name, model in members] + list(blends.items())
print(f"{'model':<24} {'test log loss':>13} {'test accuracy':>13}")
losses = {}
for name, model in rows:
    proba = model.predict_proba(X_test)
    losses[name] = log_loss(y_test, proba)
    accuracy = accuracy_score(y_test, model.predict(X_test))
    print(f"{name:<24} {losses[name]:13.4f} {accuracy:13.4f}")

selection = blends["ensemble selection + T"]
for (name, _), weight in zip(members, selection.weights_):
    print(f"weight of {name}: {weight:.2f}")
print(f"temperature: {selection.temperature_:.3f}")

# %%
# The figure: test log loss per model and blend, and the chosen weights.
fig, (ax_loss, ax_weights) = plt.subplots(
    1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]}
)
names = list(losses)
colors = ["tab:gray"] * len(members) + ["tab:blue"] * len(blends)
ax_loss.barh(names, [losses[n] for n in names], color=colors)
ax_loss.invert_yaxis()
ax_loss.set_xlabel("test log loss (lower is better)")
ax_loss.set_xlim(0.9 * min(losses.values()), 1.02 * max(losses.values()))
ax_weights.bar([n for n, _ in members], selection.weights_, color="tab:blue")
ax_weights.set_ylabel("weight")
ax_weights.set_title("ensemble selection")
fig.tight_layout()
fig.savefig("kaggle_blend.png", dpi=100)
print("wrote kaggle_blend.png")
