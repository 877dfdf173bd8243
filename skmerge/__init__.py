# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Merge fitted scikit-learn classifiers or regressors into one better,
calibrated predictor.

- :class:`SoupClassifier`: model soups over fitted members (probability,
  logit, vote or weight-space averaging) with uniform, greedy, ensemble
  selection and optimised recipes; :class:`SoupRegressor` the same for
  regressors (mean, median or weight-space averaging).
- :class:`StackingMerger`: a meta-learner over members' outputs, prefit or
  cross-validated, merged into one linear model when that is exact;
  :class:`StackingMergerRegressor` the same for regressors.
- :class:`TemperatureCalibratedClassifier` and :func:`fit_temperature`:
  exact, fast temperature scaling.
- :class:`CalibratedClassifier`: temperature, vector, structured matrix or
  ensemble temperature scaling, or the best of them by cross-validation.
- :class:`MergeSearch`: which of these routes is best, by cross-validation
  on held-out data at the cost of predicting each member once.
- :mod:`skmerge.metrics` and :mod:`skmerge.plotting`: calibration metrics and
  a multiclass reliability diagram.
"""

from skmerge._calibration import CalibratedClassifier
from skmerge._search import MergeSearch
from skmerge._soup import SoupClassifier, SoupRegressor
from skmerge._stacking import StackingMerger, StackingMergerRegressor
from skmerge._temperature import TemperatureCalibratedClassifier, fit_temperature

__version__ = "0.1.0.dev0"

__all__ = [
    "CalibratedClassifier",
    "MergeSearch",
    "SoupClassifier",
    "SoupRegressor",
    "StackingMerger",
    "StackingMergerRegressor",
    "TemperatureCalibratedClassifier",
    "fit_temperature",
    "__version__",
]
