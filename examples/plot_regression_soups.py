# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Soups of fitted regressors on the diabetes data
===============================================

Five different regressors are trained on the same split of scikit-learn's
diabetes data: two ridge regressions, k-nearest neighbours, gradient
boosting and a small neural network. Rather than keeping the best of them,
``SoupRegressor`` pools their predictions on a held-out split with each
recipe: all members with equal weights (``uniform``), the greedy soup,
ensemble selection, and ``optimized`` (simplex weights minimising the
held-out squared error, solved exactly), as a mean or as a weighted median;
``StackingMergerRegressor`` fits a RidgeCV on their predictions. A test
split that nothing was fitted on gives the final word.

The figure, ``regression_soups.png``, shows each model's held-out and test
RMSE (the soups' held-out RMSE is optimistic: they chose their weights on
it), and the test predictions of the soup with the best held-out RMSE
against the true targets, next to the best member's.
"""

# %%
# Data: train the members on one split, pool on a second, test on a third.
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import SoupRegressor, StackingMergerRegressor

X, y = load_diabetes(return_X_y=True)
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, random_state=0)
X_held, X_test, y_held, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0
)

# %%
# Five members, fitted as a notebook would fit them. The network learns a
# standardised target (a TransformedTargetRegressor is an ordinary member).
members = [
    ("ridge", make_pipeline(StandardScaler(), Ridge(alpha=1.0))),
    ("ridge strong", make_pipeline(StandardScaler(), Ridge(alpha=100.0))),
    ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(15))),
    ("boosting", HistGradientBoostingRegressor(max_iter=60, random_state=0)),
    (
        "mlp",
        TransformedTargetRegressor(
            make_pipeline(
                StandardScaler(),
                MLPRegressor(
                    hidden_layer_sizes=(32,),
                    alpha=1.0,
                    max_iter=500,
                    random_state=0,
                ),
            ),
            transformer=StandardScaler(),
        ),
    ),
]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    members = [(name, model.fit(X_train, y_train)) for name, model in members]

# %%
# Soups and a stack, each fitted on the held-out split only: no member is
# refitted.
models = dict(members)
for combine in ("mean", "median"):
    for recipe in ("uniform", "greedy", "ensemble_selection", "optimized"):
        soup = SoupRegressor(members, combine=combine, recipe=recipe)
        models[f"{combine} {recipe}"] = soup.fit(X_held, y_held)
models["stacking (RidgeCV)"] = StackingMergerRegressor(members).fit(X_held, y_held)


def rmse(model, X, y):
    return root_mean_squared_error(y, model.predict(X))


held = {name: rmse(model, X_held, y_held) for name, model in models.items()}
test = {name: rmse(model, X_test, y_test) for name, model in models.items()}
print(f"{'model':<26} held-out RMSE  test RMSE")
for name in models:
    print(f"{name:<26} {held[name]:>13.2f}  {test[name]:>9.2f}")

member_names = [name for name, _ in members]
best_member = min(member_names, key=held.get)
soup_names = [name for name in models if name.startswith(("mean", "median"))]
best_soup = min(soup_names, key=held.get)
weights = models["mean optimized"].weights_
print(
    "mean optimized weights:",
    ", ".join(f"{n} {w:.2f}" for n, w in zip(member_names, weights)),
)
print(
    f"best member on held-out: {best_member} (test RMSE {test[best_member]:.2f}); "
    f"best soup on held-out: {best_soup} (test RMSE {test[best_soup]:.2f})"
)

# %%
# The figure: held-out and test RMSE of every model; predicted vs true on
# the test split for the best soup and the best member.
fig, (ax_bars, ax_scatter) = plt.subplots(
    1, 2, figsize=(12, 5.5), gridspec_kw={"width_ratios": [1.4, 1]}
)
names = list(models)
rows = np.arange(len(names))
height = 0.38
ax_bars.barh(rows - height / 2, [held[n] for n in names], height, label="held-out")
ax_bars.barh(rows + height / 2, [test[n] for n in names], height, label="test")
ax_bars.axvline(test[best_member], color="gray", linestyle=":", lw=1.5)
ax_bars.set_yticks(rows, names)
for label in ax_bars.get_yticklabels():
    if label.get_text() == best_soup:
        label.set_fontweight("bold")
ax_bars.invert_yaxis()
values = [*held.values(), *test.values()]
ax_bars.set_xlim(min(values) - 4, max(values) + 2)
ax_bars.set_xlabel("RMSE (lower is better)")
ax_bars.set_title(
    f"members, soups and stack\n(dotted: best member's test RMSE; bold: {best_soup})"
)
ax_bars.legend(loc="lower right")

lim = [min(y_test.min(), 0), y_test.max() + 20]
ax_scatter.plot(lim, lim, color="black", lw=1, label="perfect")
ax_scatter.scatter(
    y_test,
    models[best_member].predict(X_test),
    s=18,
    color="tab:gray",
    alpha=0.6,
    label=f"best member: {best_member} (RMSE {test[best_member]:.1f})",
)
ax_scatter.scatter(
    y_test,
    models[best_soup].predict(X_test),
    s=18,
    color="tab:orange",
    alpha=0.8,
    label=f"best soup: {best_soup} (RMSE {test[best_soup]:.1f})",
)
ax_scatter.set_xlim(lim)
ax_scatter.set_ylim(lim)
ax_scatter.set_aspect("equal")
ax_scatter.set_xlabel("true disease progression (test)")
ax_scatter.set_ylabel("predicted")
ax_scatter.set_title("test predictions")
ax_scatter.legend(loc="upper left", fontsize="small")
fig.tight_layout()
fig.savefig("regression_soups.png", dpi=100)
print("wrote regression_soups.png")
