# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Merge fitted scikit-learn classifiers into one better, calibrated predictor."""

from skmerge._temperature import TemperatureCalibratedClassifier, fit_temperature

__version__ = "0.1.0.dev0"

__all__ = [
    "TemperatureCalibratedClassifier",
    "fit_temperature",
    "__version__",
]
