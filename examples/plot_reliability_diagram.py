# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""
A reliability diagram before and after temperature scaling
==========================================================

A neural network trained until it fits its training data well is
over-confident on new data: when it says 90 %, it is right less often than
that (Guo et al., 2017). Temperature scaling divides its logits by one
number ``T`` fitted on held-out data; predictions do not change, only the
probabilities, which become calibrated.

The figure, ``reliability_diagram.png``, is a multiclass (top-label)
reliability diagram of the network before and after calibration, with the
histogram of its confidences; the legend gives the expected calibration
error (ECE).
"""

# %%
# Data: train on one split, calibrate on a second, test on a third.
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmerge import TemperatureCalibratedClassifier
from skmerge.metrics import calibration_report
from skmerge.plotting import ReliabilityDisplay

X, y = make_classification(
    n_samples=3000,
    n_features=20,
    n_informative=10,
    n_classes=5,
    flip_y=0.05,
    random_state=0,
)
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)

# %%
# An over-fitted network, then temperature scaling on the calibration split.
network = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(128,), alpha=1e-5, max_iter=300, random_state=0),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    network.fit(X_train, y_train)
calibrated = TemperatureCalibratedClassifier(network).fit(X_cal, y_cal)

print(f"temperature T = {calibrated.temperature_:.2f}")
for name, model in [("network", network), ("calibrated", calibrated)]:
    report = calibration_report(y_test, model.predict_proba(X_test))
    print(
        f"{name:<11} accuracy {report['accuracy']:.3f}  log loss "
        f"{report['log_loss']:.3f}  ECE {report['ece']:.3f}"
    )

# %%
# The figure: both diagrams on one axes.
fig, ax = plt.subplots(figsize=(6, 6))
ReliabilityDisplay.from_estimator(network, X_test, y_test, name="network", ax=ax)
ReliabilityDisplay.from_estimator(
    calibrated,
    X_test,
    y_test,
    name=f"+ temperature (T={calibrated.temperature_:.2f})",
    ax=ax,
)
ax.set_title("top-label reliability on the test split")
fig.tight_layout()
fig.savefig("reliability_diagram.png", dpi=100)
print("wrote reliability_diagram.png")
