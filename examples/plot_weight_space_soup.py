# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""
A weight-space soup of fine-tuned MLPs
======================================

Model soups (Wortsman et al., 2022) average the *weights* of networks
fine-tuned from one pretrained parent: the soup is a single network, as cheap
to run as one member, and often more accurate than any of them. Here a
parent ``MLPClassifier`` is trained on part of scikit-learn's digits, then
fine-tuned several times with other seeds, learning rates and bootstrap
samples; ``SoupClassifier(combine="params")`` averages them uniformly and
with the greedy recipe, which adds a member only if held-out accuracy
improves.

The figure, ``weight_space_soup.png``, shows the test accuracy of each
fine-tuned member next to the soups.
"""

# %%
# Data: fine-tune on one split, choose the soup on a second, test on a third.
import copy
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import SoupClassifier

X, y = load_digits(return_X_y=True)
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_held, X_test, y_held, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)

# %%
# A parent network, then fine-tuned children: each continues from the
# parent's weights (warm_start) with its own seed, learning rate and bootstrap
# sample. They share the preprocessing, fitted once.
scaler = StandardScaler().fit(X_train)
Xs = scaler.transform(X_train)
rng = np.random.default_rng(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    parent = MLPClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0)
    parent.fit(Xs, y_train)
    members = []
    for i in range(6):
        child = copy.deepcopy(parent).set_params(
            warm_start=True,
            max_iter=15,
            random_state=i + 1,
            learning_rate_init=float(np.exp(rng.uniform(np.log(1e-3), np.log(1e-2)))),
        )
        sample = rng.integers(0, len(y_train), size=len(y_train))
        child.fit(Xs[sample], y_train[sample])
        members.append((f"fine-tune {i + 1}", make_pipeline(scaler, child)))

# %%
# Soups: one averaged network each, chosen on the held-out split.
uniform = SoupClassifier(members, combine="params").fit(X_held, y_held)
greedy = SoupClassifier(
    members, combine="params", recipe="greedy", scoring="accuracy"
).fit(X_held, y_held)
averaged_predictions = SoupClassifier(members).fit(X_held, y_held)

accuracy = {name: model.score(X_test, y_test) for name, model in members}
soups = {
    "uniform soup": uniform.score(X_test, y_test),
    "greedy soup": greedy.score(X_test, y_test),
    "ensemble (proba)": averaged_predictions.score(X_test, y_test),
}
for name, value in {**accuracy, **soups}.items():
    print(f"{name:<18} test accuracy {value:.4f}")
print("greedy soup members:", [name for name, _ in greedy.selection_path_])
network = greedy.merged_estimator_[-1]  # the pipeline's averaged final step
n_hidden = network.coefs_[0].shape[1]
print(f"the greedy soup is one {type(network).__name__}, {n_hidden} hidden units")

# %%
# The figure: accuracy of each member against the soups.
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(list(accuracy), list(accuracy.values()), color="tab:gray", label="members")
styles = {
    "uniform soup": ("tab:blue", "--"),
    "greedy soup": ("tab:orange", ":"),
    "ensemble (proba)": ("tab:green", "-."),
}
for name, value in soups.items():
    color, line = styles[name]
    ax.axhline(value, color=color, linestyle=line, lw=2, label=f"{name} {value:.3f}")
values = list(accuracy.values()) + list(soups.values())
ax.set_ylim(min(values) - 0.02, max(values) + 0.02)
ax.set_ylabel("test accuracy")
ax.set_title("fine-tuned MLPs and their weight-space soups")
ax.tick_params(axis="x", labelrotation=30)
ax.legend(loc="upper center", ncol=2, fontsize="small")
fig.tight_layout()
fig.savefig("weight_space_soup.png", dpi=100)
print("wrote weight_space_soup.png")
