# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""StackingMerger and StackingMergerRegressor: stacking over fitted members,
collapsed into one linear model when the whole stack is linear.

Both share :class:`_BaseStacking` (validate → members' outputs → stacked
columns → fit the final estimator → merge → set attributes, and prediction,
``transform``, parameters, tags and routing); each subclass supplies a few
hooks: its default final estimator, a member's output as stacked columns,
the members' classes, and the response that is linear in ``X``
(``decision_function`` for classifiers, ``predict`` for regressors).

The stacked features are laid out as in
:class:`sklearn.ensemble.StackingClassifier` and
:class:`~sklearn.ensemble.StackingRegressor`: each member's output (a
classifier's ``predict_proba`` without the redundant first column for two
classes, its ``decision_function``, or its ``predict`` as a class index; a
regressor's ``predict`` as one column) side by side, then ``X`` itself with
``passthrough=True``.

When every member is linear (``X W_jᵀ + b_j``: a classifier used through
``decision_function``, or a regressor through ``predict``, or a Pipeline of
shared fitted preprocessing and such a model) and the final estimator is
linear too, the stack's response is

    Σ_j (X G_j + h_j) C_jᵀ + X C_pᵀ + c  =  X (Σ_j C_j G_jᵀ + C_p)ᵀ + (Σ_j C_j h_j + c)

where ``G_j, h_j`` are member ``j``'s weights and intercepts put in the stacked
column layout (for a classifier a class permutation, or a sign for two
classes; for a regressor ``W_jᵀ, b_j`` themselves), ``C_j`` the final
estimator's coefficients for those columns, ``C_p`` those for the
passed-through features and ``c`` its intercept: one linear model,
``merged_estimator_``.
"""

import copy
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.ensemble._base import _fit_single_estimator
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    _num_samples,
    check_array,
    check_is_fitted,
)

from skmerge._base import (
    PROBA_CLIP,
    _BaseMembers,
    check_finite,
    check_labels_known,
    check_members_agree,
    in_chunks,
    is_drop,
    member_outputs,
    resolve_method,
    to_class_columns,
)
from skmerge._progress import Task, running
from skmerge._weight_space import (
    _fitted_difference,
    coef_intercept,
    is_linear,
    linear_parts,
    unwrap,
)

# Methods tried, in this order, by stack_method="auto" (as StackingClassifier).
_STACK_METHODS = ["predict_proba", "decision_function", "predict"]


def _called(methods):
    """The members' methods that compute the stacked ``methods``:
    ``"predict_log_proba"`` stacks clipped logs of ``predict_proba``."""
    return [
        "predict_proba" if method == "predict_log_proba" else method
        for method in methods
    ]


# Rows of the data given to fit on which a merged model is checked against the
# stack it replaces (a guard against a member or final estimator that is not
# what its class says: the composition itself is exact).
_CHECK_ROWS = 2048


def _stack_columns(output, method, member_classes, classes):
    """A member's raw output as its stacked columns, laid out as
    :class:`~sklearn.ensemble.StackingClassifier` lays them out.

    ``predict_proba`` and ``decision_function`` columns follow the sorted
    ``classes`` whatever the member's own class order; two-class probabilities
    keep only the second column, and a one-column decision function stays one
    column (the score of ``classes[1]``). ``predict`` becomes the index of the
    predicted class in ``classes`` (StackingClassifier stacks the labels it
    encoded as these indices).

    For ``decision_function`` this map is linear in ``output``, so it also
    puts a member's ``coef_.T`` and ``intercept_`` in the stacked layout.
    ``predict_log_proba`` columns are the clipped logs of ``predict_proba``
    ``output``, one per class.
    """
    if method == "predict_log_proba":
        columns = to_class_columns(output, "predict_proba", member_classes, classes)
        np.clip(columns, PROBA_CLIP, None, out=columns)
        return np.log(columns, out=columns)
    if method == "predict":
        index = np.searchsorted(classes, np.asarray(output))
        return index.reshape(-1, 1).astype(np.float64)
    output = np.asarray(output)
    one_column = method == "decision_function" and (
        output.ndim == 1 or output.shape[1] == 1
    )
    if np.array_equal(member_classes, classes):
        # Already in the order of classes (the usual case): no reordering copy.
        columns = output.astype(np.float64, copy=False)
        if one_column:
            return columns.reshape(-1, 1)
    else:
        columns = to_class_columns(output, method, member_classes, classes)
        if one_column:
            # to_class_columns made it (0, z) in the member's class order.
            return columns[:, 1:] - columns[:, :1]
    if method == "predict_proba" and len(classes) == 2:
        return columns[:, 1:]
    return columns


def _regression_columns(output, method, member_classes, classes):
    """A regressor's ``predict`` as its stacked column(s), as
    :class:`~sklearn.ensemble.StackingRegressor` stacks it: a 1-D prediction
    is one column. Linear in ``output``, so it also puts a member's
    ``coef_.T`` and ``intercept_`` in the stacked layout."""
    output = np.asarray(output, dtype=np.float64)
    return output.reshape(output.shape[0], -1)


def _classes_of(est):
    """A member's ``classes_``; None for a regressor."""
    return getattr(est, "classes_", None)


def _describe(name, est):
    return f"member {name!r} ({type(est).__name__})"


def _head(X, n_rows):
    """The first ``n_rows`` rows of ``X`` (all of it when that is all there is,
    or when ``X`` cannot be sliced)."""
    if n_rows >= _num_samples(X):
        return X
    if sparse.issparse(X):
        return X.tocsr()[:n_rows]
    try:
        return _safe_indexing(X, slice(0, n_rows))
    except (TypeError, KeyError, IndexError):
        return X


def _precision(outputs):
    """The largest machine epsilon of the members' floating-point outputs."""
    return max(
        (
            np.finfo(np.asarray(output).dtype).eps
            for output in outputs
            if np.issubdtype(np.asarray(output).dtype, np.floating)
        ),
        default=np.finfo(np.float64).eps,
    )


def _final_has(attr):
    """``available_if`` check: the final estimator has ``attr``."""

    def check(self):
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = self._unfitted_final_estimator()
        if not hasattr(final, attr):
            raise AttributeError(
                f"This {type(self).__name__} has no `{attr}`: its final estimator "
                f"({type(final).__name__}) does not implement it."
            )
        return True

    return check


class _BaseStacking(TransformerMixin, _BaseMembers):
    """What :class:`StackingMerger` and :class:`StackingMergerRegressor` share.

    The fit (validate → members' outputs → stacked columns → fit the final
    estimator → merge → set attributes), ``passthrough``, the merge, prediction
    in row chunks, ``transform``, ``get_feature_names_out``, parameters with
    ``final_estimator__*``, tags and metadata routing. A subclass supplies:

    - ``_default_final_estimator()``: the final estimator used when
      ``final_estimator=None``;
    - ``_methods(named)``: the method stacked for each member;
    - ``_target_classes(named, X, y)``: the classes the stacked columns are
      laid out in (None for regressors), after checking the members agree
      and ``y`` holds what they were trained on;
    - ``_columns(output, method, member_classes, classes)``: a member's output
      as its stacked columns (linear in the output for ``_linear_response``);
    - ``_linear_response``: the response of a linear member and of the final
      estimator that is linear in ``X`` (merged and checked through it), and
      ``_linear_kind``/``_linear_final``: what a linear member and a linear
      final estimator are, for error messages.
    """

    _parameter_constraints: dict = {
        "estimators": [list, StrOptions({"precomputed"})],
        "member_names": ["array-like", None],
        "final_estimator": [None, HasMethods("fit")],
        "passthrough": ["boolean"],
        "merge": [StrOptions({"auto"}), "boolean"],
        "prefit": ["boolean"],
        "cv": ["cv_object"],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        passthrough=False,
        merge="auto",
        prefit=True,
        cv=5,
        n_jobs=None,
        verbose=0,
        member_names=None,
    ):
        self.estimators = estimators
        self.member_names = member_names
        self.final_estimator = final_estimator
        self.passthrough = passthrough
        self.merge = merge
        self.prefit = prefit
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose

    # Fit -------------------------------------------------------------------

    def _unfitted_final_estimator(self):
        """``final_estimator``, or the default one."""
        if self.final_estimator is None:
            return self._default_final_estimator()
        return self.final_estimator

    @_fit_context(
        # members and the final estimator are validated when they are fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, **fit_params):
        """Fit the final estimator on the members' outputs.

        With ``prefit=True`` the members are used as they are; with
        ``prefit=False`` their out-of-fold outputs from ``cv`` train the final
        estimator, then clones of them are fitted on all of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data, passed to the members unchanged (held-out data with
            ``prefit=True``).

        y : array-like of shape (n_samples,)
            Target labels: binary or multiclass. (For
            :class:`StackingMergerRegressor`: target values, numeric and
            finite.)

        **fit_params : dict
            ``sample_weight``: weights for the final estimator's fit (and, with
            ``prefit=False``, the fits of the members that take it; the others
            are warned about, as
            :class:`~sklearn.calibration.CalibratedClassifierCV` does). With
            metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), any
            metadata, routed to the final estimator's ``fit`` and, with
            ``prefit=False``, the members' ``fit`` as they request it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # sample_weight is always accepted (scikit-learn 1.6 has no `allow=`).
        _raise_for_params(
            {k: v for k, v in fit_params.items() if k != "sample_weight"}, self, "fit"
        )
        plan = self._validate(X, y, fit_params)
        progress = Task.root(self, (1 if self.prefit else 2) + 1 + plan.merging)
        fitted, outputs = self._members_outputs(
            plan.named,
            X,
            plan.y,
            _called(plan.methods),
            plan.member_params,
            progress,
            split_params=plan.split_params,
        )
        columns = self._stack_outputs(plan, fitted, outputs)
        X_meta = self._concatenate(columns, plan.X_features)
        final = plan.final
        with running(progress.subtask("fit final estimator"), final):
            _fit_single_estimator(final, X_meta, plan.y, plan.final_params)
        merged = None
        if plan.merging:
            with running(progress.subtask("merge")):
                merged = self._merged(plan, fitted, X, X_meta, columns, outputs)
        self._set_fitted(plan, X, fitted, final, columns, merged)
        progress.end()
        return self

    def _validate(self, X, y, fit_params):
        """Everything checked before any member is predicted or fitted."""
        named = self._named_members(X, y)
        final = self._checked_final_estimator()
        y = self._check_target(X, y)
        X_features = self._check_passthrough(X) if self.passthrough else None
        fit_params = dict(fit_params)
        sample_weight = fit_params.pop("sample_weight", None)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        classes = self._target_classes(named, X, y)
        methods = self._methods(named)
        merge = "auto" if isinstance(self.merge, str) else bool(self.merge)
        blocker = (
            None
            if merge is False
            else self._merge_blocker(named, methods, final, fitted=self.prefit)
        )
        if merge is True and blocker is not None:
            raise ValueError(
                "merge=True needs a stack that is one linear model (linear members "
                f"used through {self._linear_response}, sharing any preprocessing, "
                f"and a linear final estimator), but {blocker}."
            )
        member_params, split_params, routed = self._route_fit(
            [] if self.prefit else named, sample_weight, fit_params
        )
        if routed is not None:
            final_params = dict(routed.final_estimator_.fit)
        else:
            final_params = (
                {} if sample_weight is None else {"sample_weight": sample_weight}
            )
        return Bunch(
            named=named,
            y=y,
            final=final,
            X_features=X_features,
            classes=classes,
            methods=methods,
            merge=merge,
            merging=merge is not False and blocker is None,
            member_params=member_params,
            split_params=split_params,
            final_params=final_params,
        )

    def _checked_final_estimator(self):
        """An unfitted clone of the final estimator, of the stack's own kind."""
        final = clone(self._unfitted_final_estimator())
        kind, is_kind = (
            ("classifier", is_classifier)
            if is_classifier(self)
            else ("regressor", is_regressor)
        )
        if not is_kind(final):
            raise ValueError(
                f"`final_estimator` must be a {kind}; got {type(final).__name__}."
            )
        return final

    def _stack_outputs(self, plan, fitted, outputs):
        """The members' outputs as stacked columns, checked finite."""
        # cross_val_predict lays columns out in the sorted classes.
        output_classes = (
            [_classes_of(est) for est in fitted]
            if self.prefit
            else [plan.classes] * len(fitted)
        )
        columns = []
        for (name, est), method, output, classes in zip(
            plan.named, plan.methods, outputs, output_classes, strict=True
        ):
            column = self._columns(output, method, classes, plan.classes)
            check_finite(
                column,
                name,
                est,
                method,
                "data given to fit" if self.prefit else "out-of-fold data",
                "the final estimator can only learn from finite outputs",
            )
            columns.append(column)
        return columns

    def _merged(self, plan, fitted, X, X_meta, columns, outputs):
        """The stack as one linear model, or None (an error with merge=True)."""
        named = [(name, est) for (name, _), est in zip(plan.named, fitted, strict=True)]
        merged, why_not = self._merge(
            named,
            plan.methods,
            plan.classes,
            plan.final,
            X,
            X_meta,
            [column.shape[1] for column in columns],
            _precision(outputs),
        )
        if merged is None and plan.merge is True:
            raise ValueError(f"merge=True, but {why_not}.")
        return merged

    def _set_fitted(self, plan, X, fitted, final, columns, merged):
        """Every fitted attribute, all at once, now that nothing can fail."""
        self._member_classes = self._set_members(plan.named, fitted, X)
        self.final_estimator_ = final
        self.stack_method_ = plan.methods
        self._n_feature_outs = [column.shape[1] for column in columns]
        self.merged_estimator_ = merged

    def _check_passthrough(self, X):
        # passthrough=True hands X to the final estimator: it must be numeric.
        try:
            return check_array(
                X,
                accept_sparse=True,
                dtype="numeric",
                ensure_all_finite=False,
                input_name="X",
            )
        except ValueError as exc:
            raise ValueError(
                "passthrough=True hands the columns of X to the final estimator "
                "beside the members' outputs, and it needs numbers; X has "
                "non-numeric columns. Encode them in the members' pipelines and "
                "pass passthrough=False, or give X with numeric columns only. "
                f"({exc})"
            ) from exc

    def _concatenate(self, columns, X_features):
        X_meta = np.hstack(columns)
        if X_features is None:
            return X_meta
        if sparse.issparse(X_features):
            return sparse.hstack([X_meta, X_features], format=X_features.format)
        return np.hstack([X_meta, X_features])

    # Merging ---------------------------------------------------------------

    def _merge_blocker(self, named, methods, final, *, fitted):
        """Why the stack is not one linear model (a clause naming what
        prevents it), or None. ``fitted``: whether the members are fitted, so
        that their preprocessing can be compared."""
        ref_name, ref_pre = None, None
        for (name, est), method in zip(named, methods, strict=True):
            pre, last = linear_parts(est)
            if not is_linear(last, fitted=fitted):
                return f"{_describe(name, est)} is not a {self._linear_kind}"
            if method != self._linear_response:
                return (
                    f"{_describe(name, est)} is used through {method}, which is "
                    f"not linear in X; pass stack_method='{self._linear_response}'"
                )
            if ref_pre is None:
                ref_name, ref_pre = name, pre
                continue
            difference = self._preprocessing_difference(ref_pre, pre, fitted)
            if difference is not None:
                return (
                    f"members {ref_name!r} and {name!r} do not share their "
                    f"preprocessing ({difference}): fit the steps before the "
                    "linear one once and share them"
                )
        if self.passthrough and ref_pre:
            return (
                "passthrough=True appends the raw features of X while the members' "
                "linear steps see preprocessed features (Pipeline steps "
                f"{[step_name for step_name, _ in ref_pre]}); pass "
                "passthrough=False"
            )
        if not is_linear(final, fitted=False):
            return (
                f"the final estimator ({type(final).__name__}) is not a "
                f"{self._linear_final}"
            )
        return None

    @staticmethod
    def _preprocessing_difference(ref_pre, pre, fitted):
        if len(pre) != len(ref_pre):
            return f"{len(ref_pre)} vs {len(pre)} preprocessing steps"
        for (ref_step_name, ref_step), (step_name, step) in zip(
            ref_pre, pre, strict=True
        ):
            if type(ref_step) is not type(step):
                return (
                    f"step {ref_step_name!r} is a {type(ref_step).__name__}, step "
                    f"{step_name!r} a {type(step).__name__}"
                )
            if fitted:
                difference = _fitted_difference(ref_step, step)
                if difference is not None:
                    return (
                        f"steps {ref_step_name!r} and {step_name!r} are fitted "
                        f"differently: {difference}"
                    )
        return None

    def _merge(self, named, methods, classes, final, X, X_meta, widths, eps):
        """``(merged estimator, None)``, or ``(None, why not)``.

        ``eps``: the machine epsilon of the members' outputs, which bounds how
        closely the stack computes what the composed model computes."""
        if not self.prefit:
            # Refitted members: their preprocessing can be compared only now.
            blocker = self._merge_blocker(named, methods, final, fitted=True)
            if blocker is not None:
                return None, blocker
        merged = self._compose(named, classes, final, widths)
        why_not = self._composition_error(
            merged, named, methods, classes, final, X, X_meta, eps
        )
        return (None, why_not) if why_not is not None else (merged, None)

    def _compose(self, named, classes, final, widths):
        """The linear model ``X (Σ_j C_j G_jᵀ + C_p)ᵀ + (Σ_j C_j h_j + c)``: a
        copy of the fitted final estimator with that ``coef_`` and
        ``intercept_``, inside the members' shared preprocessing."""
        parts = [linear_parts(est) for _, est in named]
        C, c = coef_intercept(final)
        blocks = np.split(C, np.cumsum(widths), axis=1)
        coef = blocks[-1] if self.passthrough else 0.0
        intercept = c
        for (_, last), block in zip(parts, blocks[:-1], strict=True):
            W, b = coef_intercept(last)
            response, last_classes = self._linear_response, _classes_of(last)
            G = self._columns(W.T, response, last_classes, classes)
            h = self._columns(b.reshape(1, -1), response, last_classes, classes)
            coef = coef + block @ G.T
            intercept = intercept + block @ h[0]

        linear = copy.deepcopy(final)
        linear.coef_ = coef.reshape(-1) if np.ndim(final.coef_) == 1 else coef
        if np.ndim(final.intercept_) == 0 and intercept.size == 1:
            intercept = intercept[0]  # a scalar intercept_ (RidgeClassifier, Ridge)
        linear.intercept_ = intercept
        linear.n_features_in_ = coef.shape[1]
        first_last = parts[0][1]
        if hasattr(first_last, "feature_names_in_"):
            linear.feature_names_in_ = first_last.feature_names_in_
        elif "feature_names_in_" in linear.__dict__:
            del linear.feature_names_in_
        pre, _ = parts[0]
        if not pre:
            return linear
        pipeline = unwrap(named[0][1])
        merged = copy.copy(pipeline)
        merged.steps = list(pipeline.steps[:-1]) + [(pipeline.steps[-1][0], linear)]
        return merged

    def _composition_error(
        self, merged, named, methods, classes, final, X, X_meta, eps
    ):
        """Guard: why the composed model does not reproduce the stack it
        replaces on the first rows of the data given to fit, or None."""
        n_rows = min(_num_samples(X_meta), _CHECK_ROWS)
        head = _head(X, n_rows)
        if self.prefit:
            stacked = getattr(final, self._linear_response)(_head(X_meta, n_rows))
        else:
            outputs = member_outputs([est for _, est in named], head, methods)
            columns = [
                self._columns(output, method, _classes_of(est), classes)
                for output, method, (_, est) in zip(
                    outputs, methods, named, strict=True
                )
            ]
            X_head = self._check_passthrough(head) if self.passthrough else None
            stacked = getattr(final, self._linear_response)(
                self._concatenate(columns, X_head)
            )
        composed = getattr(merged, self._linear_response)(head)
        # Rounding differences are of order eps; a non-linearity is not.
        scale = max(1.0, float(np.max(np.abs(stacked), initial=0.0)))
        if np.allclose(composed, stacked, rtol=0, atol=np.sqrt(eps) * scale):
            return None
        return (
            f"the composed linear model does not reproduce the stack's "
            f"{self._linear_response} on the data given to fit (max abs difference "
            f"{np.max(np.abs(composed - stacked)):.3g}): a member or the final "
            "estimator is not exactly linear in its coef_ and intercept_"
        )

    # Prediction ------------------------------------------------------------

    def _stack(self, X):
        names = [n for n, e in self.named_estimators_.items() if not is_drop(e)]
        outputs = member_outputs(
            self.estimators_,
            X,
            _called(self.stack_method_),
            n_jobs=self.n_jobs,
            names=names,
        )
        columns = [
            self._columns(output, method, _classes_of(est), self._member_classes)
            for output, method, est in zip(
                outputs, self.stack_method_, self.estimators_, strict=True
            )
        ]
        X_features = self._check_passthrough(X) if self.passthrough else None
        return self._concatenate(columns, X_features)

    def _predict(self, method, X, params=None):
        """``method`` of the fitted model that predicts, on row chunks of ``X``:
        the members' outputs and stacked features of one chunk at a time, so
        that memory stays bounded on a large ``X``.

        With ``params`` (routed metadata, which may be per sample, or a
        parameter such as ``return_std``) the final estimator predicts from
        the stacked features of the whole ``X`` and its result is returned as
        it is: its parameters are about the stacked features, which the merged
        model does not see."""
        if params:
            return getattr(self.final_estimator_, method)(self._stack(X), **params)
        if self.merged_estimator_ is not None:
            return in_chunks(getattr(self.merged_estimator_, method), X)
        final = getattr(self.final_estimator_, method)
        return in_chunks(lambda X_rows: final(self._stack(X_rows)), X)

    def transform(self, X):
        """The stacked features: the members' outputs side by side (then ``X``
        with ``passthrough=True``), as the final estimator sees them.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        X_stacked : {ndarray, sparse matrix} of shape (n_samples, n_stacked_features)
            The stacked features (sparse only with ``passthrough=True`` and a
            sparse ``X``).
        """
        check_is_fitted(self)
        return self._stack(X)

    @available_if(_final_has("predict"))
    def predict(self, X, **predict_params):
        """Predict with the final estimator (or ``merged_estimator_``).

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The input samples.

        **predict_params : dict
            Parameters of the final estimator's ``predict``, as in
            :meth:`sklearn.ensemble.StackingClassifier.predict`: passed to it
            as they are, or, with metadata routing enabled, as it requests
            them. The final estimator then predicts from the stacked features
            (never through ``merged_estimator_``).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The predicted classes (:class:`StackingMerger`) or target values
            (:class:`StackingMergerRegressor`); with ``predict_params``,
            whatever the final estimator's ``predict`` returns (a tuple
            ``(y_pred, y_std)`` for ``return_std=True``, for instance).
        """
        check_is_fitted(self)
        if _routing_enabled():
            routed = process_routing(self, "predict", **predict_params)
            predict_params = dict(routed.final_estimator_.predict)
        return self._predict("predict", X, predict_params)

    def get_feature_names_out(self, input_features=None):
        """Names of the stacked features returned by :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, used only with ``passthrough=True``; as in
            :meth:`sklearn.ensemble.StackingClassifier.get_feature_names_out`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``stackingmerger_<member><column>`` (no column number for a
            member with one column), then the input features with
            ``passthrough=True``. (``stackingmergerregressor_<member>`` for
            :class:`StackingMergerRegressor`, one column per member.)
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(
            self, input_features, generate_names=self.passthrough
        )
        prefix = type(self).__name__.lower()
        names = [
            name for name, est in self.named_estimators_.items() if not is_drop(est)
        ]
        out = []
        for name, width in zip(names, self._n_feature_outs, strict=True):
            if width == 1:
                out.append(f"{prefix}_{name}")
            else:
                out.extend(f"{prefix}_{name}{i}" for i in range(width))
        if self.passthrough:
            return np.concatenate([np.asarray(out, dtype=object), input_features])
        return np.asarray(out, dtype=object)

    # Parameters, tags and routing ----------------------------------------------

    def get_params(self, deep=True):
        """Get parameters of this estimator and, with ``deep``, of its members
        and final estimator.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the members' parameters as
            ``<member name>__<parameter>`` and the final estimator's as
            ``final_estimator__<parameter>``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super().get_params(deep=deep)
        if deep and hasattr(self.final_estimator, "get_params"):
            # _MemberEnsemble.get_params goes deep into the members only.
            for key, value in self.final_estimator.get_params(deep=True).items():
                out[f"final_estimator__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters of this estimator, its members or final estimator.

        Setting ``final_estimator__<parameter>`` while ``final_estimator`` is
        None first makes the default final estimator explicit (a
        ``LogisticRegression()`` for :class:`StackingMerger`, a ``RidgeCV()``
        for :class:`StackingMergerRegressor`), so
        ``GridSearchCV(StackingMerger(models), {"final_estimator__C": [...]})``
        works without naming the final estimator.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        if params.get("final_estimator", self.final_estimator) is None and any(
            key.startswith("final_estimator__") for key in params
        ):
            params["final_estimator"] = self._default_final_estimator()
        if "final_estimator" in params:
            self.final_estimator = params.pop("final_estimator")
        return super().set_params(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.passthrough:
            # X reaches the final estimator too, as numbers.
            final_tags = get_tags(self._unfitted_final_estimator()).input_tags
            tags.input_tags.string = False
            tags.input_tags.allow_nan = (
                tags.input_tags.allow_nan and final_tags.allow_nan
            )
            tags.input_tags.sparse = tags.input_tags.sparse and final_tags.sparse
        return tags

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``fit`` metadata goes to the final estimator's ``fit`` and, with
        ``prefit=False``, to each member's ``fit``; ``predict`` metadata to the
        final estimator's ``predict``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        # Prefit members are never fitted: nothing is routed to them.
        router = (
            MetadataRouter(owner=self)
            if self.prefit
            else super().get_metadata_routing()
        )
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = self._unfitted_final_estimator()
        router.add(
            final_estimator_=final,
            method_mapping=MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="predict", callee="predict"),
        )
        return router


class StackingMerger(ClassifierMixin, _BaseStacking):
    """Stacking over fitted classifiers, merged into one model when it is linear.

    A final estimator (a meta-learner) is fitted on the members' outputs. With
    ``prefit=True`` (the default) the members are already fitted and never
    refitted or modified: the final estimator learns from their outputs for the
    held-out ``X, y`` given to :meth:`fit`, and a clone keeps the fitted
    members, so tuning ``final_estimator__C`` in
    :class:`~sklearn.model_selection.GridSearchCV` fits no member. With
    ``prefit=False`` it is :class:`~sklearn.ensemble.StackingClassifier`:
    out-of-fold outputs from ``cv`` train the final estimator, then clones of
    the members are fitted on all of ``X``.

    When every member is linear (a classifier with ``coef_`` and
    ``intercept_``, or a Pipeline of identically fitted preprocessing ending in
    one) and used through ``decision_function``, and the final estimator is
    linear, the whole stack is one linear model: ``merge`` composes it into
    ``merged_estimator_``, whose predictions equal the stack's (to float
    rounding) at the cost of one model.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, list of estimators or \
            "precomputed"
        The members: fitted classifiers with ``prefit=True``, classifiers to
        fit otherwise. A plain list is named after the members' classes
        (``logisticregression-1``, ...). A member can be set to ``"drop"``
        with :meth:`set_params`. With ``"precomputed"``, ``X`` *is* the
        members' probabilities, laid out as
        :meth:`SoupClassifier.transform <skmerge.SoupClassifier.transform>`
        lays them out (one block of ``n_classes`` columns per member, or one
        column per member for two classes), and they are stacked as
        ``predict_proba`` (or ``predict_log_proba``) outputs.

    final_estimator : classifier, default=None
        The meta-learner fitted on the stacked outputs; a clone of it is
        fitted. ``None`` means :class:`~sklearn.linear_model.LogisticRegression`.

    stack_method : {"auto", "predict_proba", "predict_log_proba", \
            "decision_function", "predict"}, default="auto"
        The member output that is stacked: with ``"auto"``, for each member,
        ``predict_proba`` if it has one, else ``decision_function``, else
        ``predict``. With two classes, probabilities keep only the second
        class's column. ``"predict_log_proba"`` stacks the logs of the
        members' ``predict_proba``, clipped at 1e-12 so that they stay
        finite, one column per class (two classes included): a logistic
        regression on them pools the members geometrically, with learnt
        weights. ``predict`` stacks the index of the predicted class in
        ``classes_``, as StackingClassifier does. A member without the method
        is refused, naming it, before any member is fitted.

    passthrough : bool, default=False
        Whether the final estimator also gets the features of ``X`` (which
        must then be numeric, dense or sparse), after the members' outputs.

    merge : "auto" or bool, default="auto"
        Whether to compose a linear stack into ``merged_estimator_`` and
        predict through it. ``"auto"`` merges when the composition is exact;
        ``True`` requires it and raises a ValueError naming what prevents it
        (before any member is used); ``False`` never merges.

    prefit : bool, default=True
        Whether the members are already fitted. See above.

    cv : int, cross-validation generator or iterable, default=5
        The splits giving the out-of-fold outputs when ``prefit=False``
        (ignored otherwise), from
        ``check_cv(cv, y, classifier=True)``, as scikit-learn's
        meta-estimators: an int is an unshuffled
        :class:`~sklearn.model_selection.StratifiedKFold`. The splits are
        drawn once, from a copy of the splitter (yours and its random state
        are left as they are), so every member sees the same folds. Any
        splitter whose test folds partition the samples works
        (:class:`~sklearn.model_selection.LeaveOneOut` included).

    n_jobs : int, default=None
        Number of jobs for the members' predictions and, with
        ``prefit=False``, their fits. ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context.

    verbose : int, default=0
        Verbosity of the members' fits.

    member_names : list of str, default=None
        With ``estimators="precomputed"``: the members' names, one per block
        of columns of ``X``. None: from a DataFrame's column names, else
        ``member0``, ``member1``...

    Attributes
    ----------
    estimators_ : list of estimators
        The members used, without the dropped ones: the user's fitted objects
        themselves with ``prefit=True``, fitted clones otherwise.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The members by name (``"drop"`` for dropped ones).

    final_estimator_ : classifier
        The final estimator fitted on the stacked outputs.

    merged_estimator_ : classifier or None
        The stack composed into one fitted classifier of the final estimator's
        class (inside the members' shared preprocessing Pipeline when they
        are Pipelines), used by ``predict``, ``predict_proba`` and
        ``decision_function``; ``None`` when the stack is not merged.

    classes_ : ndarray of shape (n_classes,)
        The class labels of the data given to fit, sorted.

    stack_method_ : list of str
        The method used for each member.

    n_features_in_ : int
        Number of features seen by the members. Only defined if the members
        record it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen by the members. Only defined if the members
        record them.

    See Also
    --------
    sklearn.ensemble.StackingClassifier : Stacking with members fitted inside.

    Notes
    -----
    With ``prefit=True``, fit on data the members were not trained on: the
    final estimator learns how far to trust each member from their outputs on
    it.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.svm import LinearSVC
    >>> from skmerge._stacking import StackingMerger
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_held, y_train, y_held = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0)
    >>> members = [
    ...     LogisticRegression(max_iter=1000).fit(X_train, y_train),
    ...     forest.fit(X_train, y_train),
    ... ]
    >>> stack = StackingMerger(members).fit(X_held, y_held)
    >>> stack.stack_method_
    ['predict_proba', 'predict_proba']
    >>> print(stack.merged_estimator_)
    None
    >>> print(stack.transform(X_held[:2]).round(2))
    [[0.97 0.03 0.   1.   0.   0.  ]
     [0.97 0.03 0.   1.   0.   0.  ]]
    >>> stack.get_feature_names_out()[:3]
    array(['stackingmerger_logisticregression0',
           'stackingmerger_logisticregression1',
           'stackingmerger_logisticregression2'], dtype=object)

    Linear members stacked through their decision functions collapse into one
    logistic regression:

    >>> linear = [
    ...     LogisticRegression(C=0.1, max_iter=1000).fit(X_train, y_train),
    ...     LinearSVC().fit(X_train, y_train),
    ... ]
    >>> merged = StackingMerger(linear, stack_method="decision_function")
    >>> merged = merged.fit(X_held, y_held)
    >>> merged.merged_estimator_
    LogisticRegression()
    >>> merged.merged_estimator_.coef_.shape
    (3, 4)
    >>> unmerged = StackingMerger(linear, stack_method="decision_function", merge=False)
    >>> unmerged = unmerged.fit(X_held, y_held)
    >>> diff = merged.predict_proba(X) - unmerged.predict_proba(X)
    >>> bool(abs(diff).max() < 1e-8)
    True
    """

    _parameter_constraints: dict = {
        **_BaseStacking._parameter_constraints,
        "stack_method": [
            StrOptions(set(_STACK_METHODS) | {"auto", "predict_log_proba"})
        ],
    }

    _linear_response = "decision_function"
    _linear_kind = (
        "linear classifier (one with coef_ and intercept_, such as "
        "LogisticRegression, LinearSVC or RidgeClassifier, or a Pipeline ending "
        "in one)"
    )
    _linear_final = (
        "linear classifier with coef_ and intercept_, such as LogisticRegression"
    )

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        stack_method="auto",
        passthrough=False,
        merge="auto",
        prefit=True,
        cv=5,
        n_jobs=None,
        verbose=0,
        member_names=None,
    ):
        super().__init__(
            estimators,
            final_estimator,
            passthrough=passthrough,
            merge=merge,
            prefit=prefit,
            cv=cv,
            n_jobs=n_jobs,
            verbose=verbose,
            member_names=member_names,
        )
        self.stack_method = stack_method

    # Hooks of _BaseStacking ------------------------------------------------------

    def _default_final_estimator(self):
        return LogisticRegression()

    def _methods(self, named):
        if self.stack_method == "predict_log_proba":
            for name, est in named:
                resolve_method(name, est, "predict_proba", None)
            return ["predict_log_proba"] * len(named)
        return [
            resolve_method(name, est, self.stack_method, _STACK_METHODS)
            for name, est in named
        ]

    def _target_classes(self, named, X, y):
        if self.prefit:
            classes, _, _ = check_members_agree(named, X)
            check_labels_known(y, classes, what="data given to fit")
        else:
            classes = np.unique(y)
            check_labels_known(y, classes, what="training data")
        return classes

    _columns = staticmethod(_stack_columns)

    def _set_fitted(self, plan, X, fitted, final, columns, merged):
        super()._set_fitted(plan, X, fitted, final, columns, merged)
        self.classes_ = np.unique(plan.y)

    # Prediction ------------------------------------------------------------

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities for X, from the final estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The class probabilities, in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self._predict("predict_proba", X)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X):
        """The final estimator's decision function for X.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The decision function; one column (the score of ``classes_[1]``)
            for two classes.
        """
        check_is_fitted(self)
        return self._predict("decision_function", X)


class StackingMergerRegressor(RegressorMixin, _BaseStacking):
    """Stacking over fitted regressors, merged into one model when it is linear.

    A final estimator (a meta-learner, by default
    :class:`~sklearn.linear_model.RidgeCV`) is fitted on the members'
    predictions, one column per member. With ``prefit=True`` (the default) the
    members are already fitted and never refitted or modified: the final
    estimator learns from their predictions for the held-out ``X, y`` given to
    :meth:`fit`, and a clone keeps the fitted members, so tuning
    ``final_estimator__alpha`` in
    :class:`~sklearn.model_selection.GridSearchCV` fits no member. With
    ``prefit=False`` it is :class:`~sklearn.ensemble.StackingRegressor`:
    out-of-fold predictions from ``cv`` train the final estimator, then clones
    of the members are fitted on all of ``X``.

    When every member is a linear regressor (one with ``coef_`` and
    ``intercept_``, such as :class:`~sklearn.linear_model.LinearRegression`,
    :class:`~sklearn.linear_model.Ridge`, :class:`~sklearn.linear_model.Lasso`,
    :class:`~sklearn.linear_model.ElasticNet`,
    :class:`~sklearn.linear_model.SGDRegressor` or
    :class:`~sklearn.linear_model.HuberRegressor`, or a Pipeline of identically
    fitted preprocessing ending in one) and the final estimator is linear, the
    whole stack is one linear model: ``merge`` composes it into
    ``merged_estimator_``, whose predictions equal the stack's (to float
    rounding) at the cost of one model.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples or list of estimators
        The members: fitted regressors with ``prefit=True``, regressors to fit
        otherwise. A plain list is named after the members' classes
        (``ridge-1``, ...). A member can be set to ``"drop"`` with
        :meth:`set_params`. A classifier is refused, naming it. With
        ``"precomputed"``, ``X`` *is* the members' predictions, one column
        per member.

    final_estimator : regressor, default=None
        The meta-learner fitted on the stacked predictions; a clone of it is
        fitted. ``None`` means :class:`~sklearn.linear_model.RidgeCV`. A
        classifier is refused.

    passthrough : bool, default=False
        Whether the final estimator also gets the features of ``X`` (which
        must then be numeric, dense or sparse), after the members' predictions.

    merge : "auto" or bool, default="auto"
        Whether to compose a linear stack into ``merged_estimator_`` and
        predict through it. ``"auto"`` merges when the composition is exact;
        ``True`` requires it and raises a ValueError naming what prevents it
        (before any member is used); ``False`` never merges.

    prefit : bool, default=True
        Whether the members are already fitted. See above.

    cv : int, cross-validation generator or iterable, default=5
        The splits giving the out-of-fold predictions when ``prefit=False``
        (ignored otherwise), from ``check_cv(cv, y, classifier=False)``, as
        scikit-learn's meta-estimators: an int is an unshuffled
        :class:`~sklearn.model_selection.KFold`. The splits are drawn once,
        from a copy of the splitter (yours and its random state are left as
        they are), so every member sees the same folds. Any splitter whose
        test folds partition the samples works.

    n_jobs : int, default=None
        Number of jobs for the members' predictions and, with
        ``prefit=False``, their fits. ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context.

    verbose : int, default=0
        Verbosity of the members' fits.

    member_names : list of str, default=None
        With ``estimators="precomputed"``: the members' names, one per block
        of columns of ``X``. None: from a DataFrame's column names, else
        ``member0``, ``member1``...

    Attributes
    ----------
    estimators_ : list of estimators
        The members used, without the dropped ones: the user's fitted objects
        themselves with ``prefit=True``, fitted clones otherwise.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The members by name (``"drop"`` for dropped ones).

    final_estimator_ : regressor
        The final estimator fitted on the stacked predictions.

    merged_estimator_ : regressor or None
        The stack composed into one fitted regressor of the final estimator's
        class (inside the members' shared preprocessing Pipeline when they are
        Pipelines), used by ``predict``; ``None`` when the stack is not merged.
        Only its ``coef_``, ``intercept_`` and input attributes describe the
        merged model: other fitted attributes it copied from the final
        estimator (``alpha_``, ``sigma_``...) are the final estimator's, about
        the stacked features.

    stack_method_ : list of str
        The method used for each member: ``"predict"``.

    n_features_in_ : int
        Number of features seen by the members. Only defined if the members
        record it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen by the members. Only defined if the members
        record them.

    See Also
    --------
    StackingMerger : The same for classifiers.
    sklearn.ensemble.StackingRegressor : Stacking with members fitted inside.
    sklearn.ensemble.VotingRegressor : Averages members' predictions.

    Notes
    -----
    With ``prefit=True``, fit on data the members were not trained on: the
    final estimator learns how far to trust each member from their
    predictions on it.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Lasso, LinearRegression, Ridge
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skmerge import StackingMergerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_held, y_train, y_held = train_test_split(X, y, random_state=0)
    >>> tree = DecisionTreeRegressor(max_depth=3, random_state=0)
    >>> members = [
    ...     ("ridge", Ridge(alpha=0.1).fit(X_train, y_train)),
    ...     ("tree", tree.fit(X_train, y_train)),
    ... ]
    >>> stack = StackingMergerRegressor(members).fit(X_held, y_held)
    >>> stack.get_feature_names_out()
    array(['stackingmergerregressor_ridge', 'stackingmergerregressor_tree'],
          dtype=object)
    >>> stack.transform(X_held[:3]).shape
    (3, 2)
    >>> print(stack.merged_estimator_)
    None

    Linear members under the default RidgeCV collapse into one linear
    regressor:

    >>> linear = [
    ...     ("ols", LinearRegression().fit(X_train, y_train)),
    ...     ("lasso", Lasso(alpha=0.1).fit(X_train, y_train)),
    ... ]
    >>> merged = StackingMergerRegressor(linear).fit(X_held, y_held)
    >>> merged.merged_estimator_
    RidgeCV()
    >>> merged.merged_estimator_.coef_.shape
    (10,)
    >>> unmerged = StackingMergerRegressor(linear, merge=False).fit(X_held, y_held)
    >>> diff = merged.predict(X) - unmerged.predict(X)
    >>> bool(abs(diff).max() < 1e-8)
    True
    """

    _linear_response = "predict"
    _linear_kind = (
        "linear regressor (one with coef_ and intercept_, such as "
        "LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor or "
        "HuberRegressor, or a Pipeline ending in one)"
    )
    _linear_final = "linear regressor with coef_ and intercept_, such as RidgeCV"

    # Hooks of _BaseStacking ------------------------------------------------------

    def _default_final_estimator(self):
        return RidgeCV()

    def _methods(self, named):
        # Refuses a member without predict, naming it, before any work.
        return [
            resolve_method(name, est, "predict", ["predict"]) for name, est in named
        ]

    def _target_classes(self, named, X, y):
        if self.prefit:
            check_members_agree(named, X, classifier=False)  # on their features
        return None

    _columns = staticmethod(_regression_columns)
