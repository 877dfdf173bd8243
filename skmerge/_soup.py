# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""SoupClassifier and SoupRegressor: pooled soups, weight-space soups and
their recipes."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import TransformerMixin, _fit_context, clone
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metadata_routing import _raise_for_params, process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_method_params,
    _num_samples,
    check_is_fitted,
    indexable,
)

from skmerge._base import (
    _BaseMembers,
    check_finite,
    check_labels_known,
    check_members_agree,
    in_chunks,
    is_drop,
    member_output,
    member_outputs,
    resolve_method,
    row_chunks,
    softmax_in_place,
    to_class_columns,
)
from skmerge._progress import Task, running
from skmerge._recipes import (
    CLASSIFICATION_SCORINGS,
    RECIPES,
    REGRESSION_SCORINGS,
    MedianSoups,
    ModelSoups,
    OutputSoups,
    RegressionScorer,
    Scorer,
    member_proba,
    pool,
    proba_to_logits,
    to_pool_space,
    weighted_median,
)
from skmerge._temperature import fit_temperature
from skmerge._weight_space import (
    align_mlps,
    average_estimators,
    check_alignable,
    linear_link,
    soup_family,
    weight_space_family,
)


class _BaseSoup(TransformerMixin, _BaseMembers):
    """What :class:`SoupClassifier` and :class:`SoupRegressor` share: the
    checks, the held-out soups, the recipe, weight-space merging and the
    fitted attributes. Each subclass says what its task changes
    (``_task_plan``, ``_output_soups``, ``_pooled``)."""

    _parameter_constraints: dict = {
        "estimators": [list, StrOptions({"precomputed"})],
        "member_names": ["array-like", None],
        "recipe": [
            StrOptions({"uniform", "greedy", "ensemble_selection", "optimized"})
        ],
        "weights": ["array-like", None],
        "prefit": ["boolean"],
        "cv": ["cv_object"],
        "align": [StrOptions({"permutation"}), None],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # Checks (before any member is predicted or fitted) -----------------------

    def _check_weights(self, keep, n_estimators):
        """User weights of the kept (not dropped) members, or None."""
        if self.weights is None:
            return None
        try:
            weights = np.asarray(self.weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"`weights` must be numbers, one per estimator; got {self.weights!r}."
            ) from exc
        if weights.ndim != 1:
            raise ValueError(
                "`weights` must be 1-D, one weight per estimator; got shape "
                f"{weights.shape} for {n_estimators} estimators."
            )
        if weights.shape[0] != n_estimators:
            raise ValueError(
                "Number of `estimators` and weights must be equal; got "
                f"{weights.size} weights, {n_estimators} estimators."
            )
        if np.isnan(weights).any():
            raise ValueError(f"`weights` must not contain NaN; got {weights.tolist()}.")
        if not np.isfinite(weights).all():
            raise ValueError(f"`weights` must be finite; got {weights.tolist()}.")
        if (weights < 0).any():
            raise ValueError(f"`weights` must be non-negative; got {weights.tolist()}.")
        weights = weights[keep]
        if not (weights > 0).any():
            raise ValueError(
                "At least one member must have a positive weight; got weights "
                f"{np.asarray(self.weights, dtype=float).tolist()}"
                + (" (dropped members excluded)." if len(keep) < n_estimators else ".")
            )
        return weights

    def _validate(self, X, y, sample_weight, fit_params):
        """Everything checked before any member predicts or fits: the plan
        of this fit."""
        named = self._named_members(X, y)
        given = self._given_members() or named
        user_weights = self._check_weights(
            [i for i, (_, e) in enumerate(given) if not is_drop(e)], len(given)
        )
        if self.weights is not None and self.recipe != "uniform":
            warnings.warn(
                f"`weights` is used by recipe='uniform' only; recipe={self.recipe!r} "
                "chooses its own weights and ignores them.",
                UserWarning,
            )
        if self.align is not None and self.combine != "params":
            raise ValueError(
                'align="permutation" applies to combine="params" only; got '
                f"combine={self.combine!r}."
            )
        y = self._check_target(X, y)
        sample_weight = self._check_sample_weight(sample_weight, y)
        family = None
        if self.combine == "params":
            family = soup_family(named, fitted=self.prefit)
            if self.align is not None:
                check_alignable(named)
        task = self._task_plan(named, X, y, sample_weight, family)
        if self.prefit:
            # Nothing consumes fit metadata (prefit members are not fitted):
            # routing raises its error naming them.
            if fit_params:
                process_routing(self, "fit", **fit_params)
            member_params, split_params = None, None
        else:
            member_params, split_params, _ = self._route_fit(
                named, sample_weight, fit_params
            )
        return Bunch(
            named=named,
            names=[name for name, _ in named],
            y=y,
            sample_weight=sample_weight,
            family=family,
            user_weights=user_weights,
            member_params=member_params,
            split_params=split_params,
            # With prefit=False, recipe="uniform" and nothing calibrated
            # nothing needs a held-out signal: each member is fitted once, as
            # VotingClassifier and VotingRegressor fit it.
            held_out=self.prefit or self.recipe != "uniform" or task["calibrate"],
            **task,
        )

    def _log(self, message):
        if self.verbose:
            print(f"[{type(self).__name__}] {message}")

    # Fit -----------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, fit_params):
        """validate -> members' held-out outputs -> recipe -> temperature ->
        merge -> attributes."""
        # Everything is checked before any member predicts or fits, and
        # computed into locals: a fit that fails sets no fitted attribute.
        _raise_for_params(fit_params, self, "fit")
        plan = self._validate(X, y, sample_weight, fit_params)
        progress = Task.root(self, self._n_phases(plan))
        fitted, aligned, soups = self._held_out_soups(plan, X, progress)
        weights, path, member_scores = self._run_recipe(plan, soups, progress)
        self._warn_if_averaging_hurts(plan, path, member_scores)
        temperature = self._fit_temperature(plan, soups, weights, progress)
        del soups
        merged = None
        if plan.family is not None:
            merged = average_estimators(aligned or fitted, weights, plan.names)
        self._set_fitted(
            plan, X, fitted, weights, path, member_scores, temperature, merged
        )
        progress.end()
        return self

    def _warn_if_averaging_hurts(self, plan, path, member_scores):
        """Warn when an unaligned weight-space soup of MLPs scores clearly
        (5%) below its best member on the held-out data: networks trained
        from independent initialisations order their hidden units
        differently, and averaging them mixes unrelated units."""
        if plan.family != "mlp" or self.align or np.isnan(member_scores).all():
            return
        best = int(np.nanargmax(member_scores))
        soup, top = path[-1][1], member_scores[best]
        if soup < top - 0.05 * abs(top):
            warnings.warn(
                f"The weight-space soup scores {soup:.4g} ({self.scoring}) on the "
                f"held-out data, clearly below its best member "
                f"{plan.names[best]!r} ({top:.4g}): averaging the parameters of "
                "networks trained from independent initialisations mixes "
                "unaligned hidden units. Try align='permutation', a recipe that "
                "keeps only members that help (recipe='greedy'), or a pool of "
                "their outputs (combine='proba' or 'mean').",
                UserWarning,
            )

    def _n_phases(self, plan):
        """The phases of this fit, for progress callbacks."""
        if self.prefit:
            members = plan.family != "mlp"  # MLP soups merge, never predict
        else:
            members = 1 + plan.held_out  # (out-of-fold or fold fits,) fits
        return members + plan.held_out + plan.calibrate

    def _held_out_soups(self, plan, X, progress):
        """Fitted members, their aligned copies (``align``) and the candidate
        soups on held-out outputs, computed once (None when nothing needs
        them)."""
        merger = _merger(plan.names)
        if plan.family == "mlp" and not self.prefit and plan.held_out:
            # Merged MLPs are scored by merging members fitted on each fold.
            with running(progress.subtask("fit members on folds")):
                groups = self._fold_models(plan, X)
            fitted, _ = self._members_outputs(
                plan.named, X, plan.y, None, plan.member_params, progress
            )
            weight_space_family(fitted, plan.names)
            aligned = align_mlps(fitted, plan.names) if self.align else None
            return fitted, aligned, ModelSoups(groups, merger, plan.scorer)
        methods = plan.pool_methods if plan.held_out and plan.family != "mlp" else None
        if methods is not None:
            self._log(
                f"{'predicting' if self.prefit else 'cross-validating'} "
                f"{len(plan.named)} members on {len(plan.y)} samples"
            )
        fitted, outputs = self._members_outputs(
            plan.named,
            X,
            plan.y,
            methods,
            plan.member_params,
            progress,
            split_params=plan.split_params,
        )
        if plan.family is not None and not self.prefit:
            weight_space_family(fitted, plan.names)
        aligned = align_mlps(fitted, plan.names) if self.align else None
        if plan.family == "mlp" and plan.held_out:
            return (
                fitted,
                aligned,
                ModelSoups([(aligned or fitted, X, None)], merger, plan.scorer),
            )
        if outputs is None:
            return fitted, aligned, None
        return fitted, aligned, self._output_soups(outputs, plan, fitted)

    def _run_recipe(self, plan, soups, progress):
        """``(weights, path, member_scores)`` of the recipe on the soups."""
        if soups is None:
            # VotingClassifier's fit: the user's weights, nothing scored.
            m = len(plan.named)
            weights = np.ones(m) if plan.user_weights is None else plan.user_weights
            weights = weights / weights.sum()
            path = [(int(j), np.nan) for j in np.flatnonzero(weights)]
            return weights, path, np.full(m, np.nan)
        member_scores = soups.member_scores()
        n_steps = (
            self.n_iter if self.recipe == "ensemble_selection" else len(plan.named)
        )
        task = progress.subtask(f"recipe {self.recipe}", n_steps).begin()

        def log(j, score):
            task.subtask(f"step {plan.names[j]}").begin().end()
            self._log(f"{self.recipe}: {plan.names[j]!r} -> {score:.6g}")

        options = Bunch(
            weights=plan.user_weights, member_scores=member_scores, n_iter=self.n_iter
        )
        weights, path = RECIPES[self.recipe](soups, options, log)
        task.end()
        return weights, path, member_scores

    def _fit_temperature(self, plan, soups, weights, progress):
        """The temperature of the pooled soup (none for regressors)."""
        return None

    def _set_fitted(
        self, plan, X, fitted, weights, path, member_scores, temperature, merged
    ):
        """Every fitted attribute, all at once."""
        self._set_members(plan.named, fitted, X)
        self.weights_ = weights
        self.member_scores_ = member_scores
        self.selection_path_ = [(plan.names[j], float(score)) for j, score in path]
        if merged is not None:
            self.merged_estimator_ = merged
        elif "merged_estimator_" in self.__dict__:
            del self.merged_estimator_
        self._combine = self.combine
        self._names = plan.names
        self._pool_methods = plan.pool_methods

    def _fold_models(self, plan, X):
        """Members fitted on each training fold (for merged candidates)."""
        (X,) = indexable(X)
        splits = self._splits(X, plan.y, plan.split_params)
        jobs = [(f, name, est) for f in range(len(splits)) for name, est in plan.named]
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_on_rows)(
                est, X, plan.y, splits[f][0], plan.member_params[name]
            )
            for f, name, est in jobs
        )
        m, groups = len(plan.named), []
        for f, (_, test) in enumerate(splits):
            models = fitted[f * m : (f + 1) * m]
            weight_space_family(models, plan.names)
            if self.align:
                models = align_mlps(models, plan.names)
            groups.append((models, _safe_indexing(X, test), test))
        return groups

    # Prediction ----------------------------------------------------------------

    def _outputs(self, X, indices, methods):
        """Raw outputs of the members at ``indices``, chunk by chunk."""
        members = [self.estimators_[j] for j in indices]
        names = [self._names[j] for j in indices]
        for rows, X_rows in row_chunks(X):
            yield (
                rows,
                members,
                member_outputs(
                    members, X_rows, methods, n_jobs=self.n_jobs, names=names
                ),
            )

    # Metadata and display -------------------------------------------------------------

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        The soup consumes ``sample_weight`` itself (held-out scores and
        losses, a classifier's temperature) and, with ``prefit=False``,
        routes ``fit`` metadata to each member's ``fit``.

        Returns
        -------
        routing : MetadataRouter
        """
        router = super().get_metadata_routing()
        router.add_self_request(self)
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _sk_visual_block_(self):
        given = self._given_members()
        if not given:  # precomputed: no member to draw
            return _VisualBlock("single", self, names=type(self).__name__)
        names, estimators = zip(*given, strict=True)
        return _VisualBlock("parallel", estimators, names=names)


class SoupClassifier(ClassifierMixin, _BaseSoup):
    """Merge fitted classifiers into one soup: pooled predictions or one model.

    A *soup* combines its members' predictions with weights (``combine``) that
    a *recipe* chooses on held-out data. With ``prefit=True`` (the default)
    the members are already fitted and are never refitted or modified: the
    ``X, y`` given to :meth:`fit` are held-out data for the recipe and the
    temperature. A prefit soup survives :func:`~sklearn.base.clone` with the
    same fitted members, so ``GridSearchCV(SoupClassifier(models),
    {"recipe": [...], "combine": [...]})`` never refits a member.

    Members' outputs on the held-out data are computed once per fit; every
    recipe step reuses them (running sums, see
    :class:`~skmerge._recipes.OutputSoups`).

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, list of estimators or \
            "precomputed"
        The members. A plain list is named after the classes
        (``logisticregression-1``, ...). A member can be set to ``"drop"``
        with :meth:`set_params`. With ``"precomputed"`` (as scikit-learn's
        ``metric="precomputed"``) the ``X`` given to :meth:`fit` and the
        predictions *is* the members' outputs, laid out as :meth:`transform`
        lays them out: one block of ``n_classes`` probability columns per
        member (classes sorted) or, for two classes, one column per member
        (the second class's probability). Probabilities that are not (NaN,
        outside [0, 1], rows not summing to 1) are an error naming the block.
        Everything else is unchanged, but ``combine="params"`` (no model to
        average) and ``prefit=False`` (no member to fit).

    combine : {"proba", "logit", "vote", "params"}, default="proba"
        How members are pooled:

        - ``"proba"``: weighted arithmetic mean of ``predict_proba``;
        - ``"logit"``: weighted mean of log-probabilities (clipped at 1e-12),
          or of decision functions for members without ``predict_proba``
          (a binary 1-D decision function ``z`` meaning the logits
          ``(0, z)``), then softmax: the weighted geometric mean;
        - ``"vote"``: weighted hard vote of ``predict``; probabilities are the
          weighted vote shares, ties go to the first class in sorted order;
        - ``"params"``: weight-space soup. Members of one family (linear
          classifiers with ``coef_``/``intercept_``, ``MLPClassifier``, or
          Pipelines whose non-final steps are fitted identically) are
          averaged parameter by parameter into one fitted estimator,
          ``merged_estimator_``, which makes every prediction (one member's
          cost). Other members are an error suggesting ``"proba"``.

    recipe : {"uniform", "greedy", "ensemble_selection", "optimized"}, \
            default="uniform"
        How weights are chosen on the held-out data:

        - ``"uniform"``: all members, with ``weights`` (default equal);
        - ``"greedy"``: greedy soup (Wortsman et al. 2022): members sorted by
          their held-out score, best first; start from the best, try each
          other member once and keep it only if the soup's score strictly
          improves; chosen members get equal weights. Never worse than the
          best member on the held-out data;
        - ``"ensemble_selection"``: Caruana et al. (2004): ``n_iter`` forward
          steps with replacement from an empty soup, each adding the member
          that scores best (ties: the first member); weights are
          counts / ``n_iter``;
        - ``"optimized"``: weights on the simplex minimising the held-out log
          loss of the soup (SLSQP from uniform weights, analytic gradients
          for proba, vote, logit and linear-params soups), never worse than
          uniform weights.

        For ``combine="params"`` the recipes score merged candidates (for
        linear members, exactly, from their cached decision functions).

    weights : array-like of shape (n_estimators,), default=None
        Weights of ``recipe="uniform"`` (one per entry of ``estimators``,
        non-negative, not all zero; normalised). Ignored, with a warning, by
        the other recipes. ``None`` means equal weights.

    scoring : str, scorer or callable, default="neg_log_loss"
        Held-out score (higher is better) of ``member_scores_`` and of the
        greedy and ensemble-selection steps, computed from the cached
        outputs (no member predicts again): any scikit-learn scorer name
        that applies to a classifier (``"neg_log_loss"``, ``"accuracy"``,
        ``"roc_auc"``, ``"f1"``, ``"balanced_accuracy"``,
        ``"neg_brier_score"``, ...) or scorer object (its metric applied to
        the soup's probabilities, or to their argmax for metrics of
        ``predict``), or a callable ``scoring(y_true, y_score)`` with
        scikit-learn's metric convention: the original labels and the
        probabilities in the order of ``classes_`` or, for two classes, the
        second class's column (and ``sample_weight=`` when it takes it and
        weights were given). ``"optimized"`` always minimises the log
        loss.

    temperature : "auto", float > 0 or None, default=None
        Temperature scaling after pooling: probabilities become
        ``softmax(log p / T)``. ``None`` means ``T = 1``; ``"auto"`` fits
        ``T`` on the same held-out data with
        :func:`~skmerge.fit_temperature` (pool, then calibrate). Predictions
        never change, only probabilities.

    prefit : bool, default=True
        If True, members are fitted; ``fit`` uses them as they are. If False,
        out-of-fold outputs from ``cv`` choose the weights and temperature,
        then clones of the members are fitted on all the data given to
        :meth:`fit` (in parallel with ``n_jobs``). With ``recipe="uniform"``
        and no fitted temperature nothing needs out-of-fold outputs: each
        member is fitted once, as :class:`~sklearn.ensemble.VotingClassifier`
        fits it.

    cv : int, cross-validation generator or iterable, default=5
        Splits of the out-of-fold outputs when ``prefit=False``, from
        ``check_cv(cv, y, classifier=True)``, as scikit-learn's
        meta-estimators: an int is an unshuffled
        :class:`~sklearn.model_selection.StratifiedKFold`. The splits are
        drawn once, from a copy of the splitter (yours and its random state
        are left as they are), so every member sees the same folds. Any
        splitter whose test folds partition the samples works
        (:class:`~sklearn.model_selection.LeaveOneOut` included).

    align : {"permutation"} or None, default=None
        Only with ``combine="params"`` over ``MLPClassifier`` members:
        ``"permutation"`` permutes each member's hidden units to match the
        first member's before averaging (weight matching, Ainsworth et al.
        2023). A permuted network computes the same function.

    n_iter : int >= 1, default=25
        Steps of ``recipe="ensemble_selection"``.

    n_jobs : int, default=None
        Jobs for the members' predictions and, with ``prefit=False``, fits.

    random_state : int, RandomState instance or None, default=None
        Seeds what is random in skmerge itself; the recipes are
        deterministic, and the folds are the splitter's (see ``cv``).

    verbose : int, default=0
        Print fitting progress and the recipe's steps when > 0.

    member_names : list of str, default=None
        With ``estimators="precomputed"``: the members' names, one per block
        of columns of ``X``. None: from a DataFrame's column names
        (``<member>_<class>`` blocks, or one column each), else ``member0``,
        ``member1``...

    Attributes
    ----------
    estimators_ : list of classifiers
        The members used, not dropped: the given objects themselves when
        ``prefit=True``, fitted clones otherwise.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        Members by name (a dropped one as ``"drop"``).

    classes_ : ndarray of shape (n_classes,)
        The sorted class labels.

    weights_ : ndarray of shape (n_members,)
        One weight per member of ``estimators_``, summing to 1; zero for a
        member the recipe left out.

    member_scores_ : ndarray of shape (n_members,)
        Each member's held-out ``scoring`` (higher is better, so
        ``neg_log_loss`` is minus the log loss). Out-of-fold scores when
        ``prefit=False``; NaN where nothing needed them (``prefit=False``,
        ``recipe="uniform"``, no fitted temperature).

    selection_path_ : list of (str, float)
        The soup built step by step: ``(member name, held-out score of the
        soup after the step)``. ``"uniform"``: members in order (zero weights
        skipped), each step the soup of the members so far with their
        weights; ``"greedy"``: the accepted members; ``"ensemble_selection"``:
        the member added at each of the ``n_iter`` steps (with repeats);
        ``"optimized"``: members by decreasing weight. The last score is the
        soup's held-out ``scoring`` before temperature scaling.

    temperature_ : float
        The temperature used (1.0 when ``temperature=None``).

    merged_estimator_ : estimator
        With ``combine="params"``: the single fitted estimator making the
        predictions. Absent otherwise.

    n_features_in_ : int
        Number of features the members expect (when they record it).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names the members saw (when they record them).

    See Also
    --------
    sklearn.ensemble.VotingClassifier : Soft or hard voting of classifiers it
        fits itself, with fixed weights.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skmerge._soup import SoupClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_val, y_train, y_val = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> members = [
    ...     LogisticRegression(max_iter=5000).fit(X_train, y_train),
    ...     GaussianNB().fit(X_train, y_train),
    ...     KNeighborsClassifier(10).fit(X_train, y_train),
    ... ]
    >>> soup = SoupClassifier(members, recipe="greedy").fit(X_val, y_val)
    >>> soup.member_scores_.round(3)
    array([-0.121, -0.061, -0.069])
    >>> soup.weights_.round(2)
    array([0. , 0.5, 0.5])
    >>> [(name, round(score, 3)) for name, score in soup.selection_path_]
    [('gaussiannb', -0.061), ('kneighborsclassifier', -0.059)]
    >>> soup.set_params(recipe="ensemble_selection").fit(X_val, y_val).weights_
    array([0.  , 0.72, 0.28])
    >>> soup.predict_proba(X_val[[24, 11]]).round(2)
    array([[0.  , 0.59, 0.41],
           [0.  , 0.13, 0.87]])
    >>> soup.contributions(X_val[[24, 11]]).round(2)
    array([[0.  , 0.9 , 0.1 ],
           [0.  , 0.81, 0.19]])

    A weight-space soup is one model:

    >>> linear = [
    ...     LogisticRegression(C=C, max_iter=5000).fit(X_train, y_train)
    ...     for C in (0.1, 1.0, 10.0)
    ... ]
    >>> merged = SoupClassifier(linear, combine="params").fit(X_val, y_val)
    >>> type(merged.merged_estimator_).__name__
    'LogisticRegression'
    >>> round(merged.score(X_val, y_val), 2)
    1.0
    """

    _parameter_constraints: dict = {
        **_BaseSoup._parameter_constraints,
        "combine": [StrOptions({"proba", "logit", "vote", "params"})],
        "scoring": [StrOptions(set(CLASSIFICATION_SCORINGS)), callable],
        "temperature": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
            None,
        ],
    }

    def __init__(
        self,
        estimators,
        *,
        combine="proba",
        recipe="uniform",
        weights=None,
        scoring="neg_log_loss",
        temperature=None,
        prefit=True,
        cv=5,
        align=None,
        n_iter=25,
        n_jobs=None,
        random_state=None,
        verbose=0,
        member_names=None,
    ):
        super().__init__(estimators=estimators)
        self.member_names = member_names
        self.combine = combine
        self.recipe = recipe
        self.weights = weights
        self.scoring = scoring
        self.temperature = temperature
        self.prefit = prefit
        self.cv = cv
        self.align = align
        self.n_iter = n_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _methods_for(self, named, family):
        """Each member's method for pooling, and for its probabilities."""
        pool_methods, proba_methods = [], []
        for name, est in named:
            if self.combine == "proba" or family == "mlp":
                method = resolve_method(name, est, "predict_proba", None)
            elif self.combine == "logit":
                method = resolve_method(
                    name, est, "auto", ["predict_proba", "decision_function"]
                )
            elif self.combine == "vote":
                method = resolve_method(name, est, "predict", None)
            else:
                method = resolve_method(name, est, "decision_function", None)
            pool_methods.append(method)
            if self.combine == "params":
                proba_methods.append(
                    "predict_proba"
                    if hasattr(est, "predict_proba")
                    else "decision_function"
                )
            else:
                proba_methods.append(method)
        return pool_methods, proba_methods

    def _task_plan(self, named, X, y, sample_weight, family):
        """Classes, labels as column indices, each member's methods, the
        scorer, and whether a temperature is fitted."""
        if self.prefit:
            classes, _, _ = check_members_agree(named, X)
            check_labels_known(y, classes)
        else:
            classes = np.unique(y)
            check_labels_known(y, classes, what="training data")
        pool_methods, proba_methods = self._methods_for(named, family)
        y_index = np.searchsorted(classes, y)
        return dict(
            classes=classes,
            y_index=y_index,
            pool_methods=pool_methods,
            proba_methods=proba_methods,
            scorer=Scorer(self.scoring, classes, y_index, sample_weight),
            calibrate=self.temperature == "auto",
        )

    @_fit_context(
        # members in `estimators` are not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Choose the members' weights (and temperature) on held-out data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out data when ``prefit=True``, training data otherwise;
            passed to the members unchanged.

        y : array-like of shape (n_samples,)
            Target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the held-out scores, of the ``"optimized"`` log loss and
            of the temperature fit; with ``prefit=False`` also passed to the
            members' ``fit`` that take it (routed when metadata routing is
            enabled; members whose ``fit`` does not take it are warned about,
            as :class:`~sklearn.calibration.CalibratedClassifierCV` does).

        **fit_params : dict
            Other metadata for the members' ``fit`` with ``prefit=False``,
            only with metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``): each
            member gets what it requests, as in
            :class:`~sklearn.ensemble.VotingClassifier`.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(X, y, sample_weight, fit_params)

    def _fit_temperature(self, plan, soups, weights, progress):
        """Pool, then calibrate: the temperature of the pooled soup."""
        if self.temperature is None:
            return 1.0
        if self.temperature != "auto":
            return float(self.temperature)
        with running(progress.subtask("fit temperature")):
            if self.combine == "logit":
                logits = log_softmax(soups.mean(weights), axis=1)
            else:
                logits = proba_to_logits(soups.proba(weights))
            return float(fit_temperature(logits, plan.y_index, plan.sample_weight))

    def _set_fitted(
        self, plan, X, fitted, weights, path, member_scores, temperature, merged
    ):
        super()._set_fitted(
            plan, X, fitted, weights, path, member_scores, temperature, merged
        )
        self.classes_ = plan.classes
        self.temperature_ = temperature
        self._proba_methods = plan.proba_methods

    def _output_soups(self, raw, plan, fitted):
        """Members' raw outputs -> pooling spaces (converted one at a time)."""
        # cross_val_predict lays columns out in the sorted classes.
        member_classes = (
            [est.classes_ for est in fitted]
            if self.prefit
            else [plan.classes] * len(fitted)
        )
        if self.combine == "logit":
            link = "softmax"
        elif plan.family == "linear":
            link = linear_link(fitted[0], plan.classes)
        else:
            link = "identity"
        # Made in the memory layout OutputSoups holds them in.
        order = OutputSoups.layout(link)
        spaces = []
        for j, method in enumerate(plan.pool_methods):
            space = to_pool_space(
                raw[j], method, member_classes[j], plan.classes, self.combine, order
            )
            raw[j] = None
            check_finite(
                space,
                plan.names[j],
                plan.named[j][1],
                method,
                "data given to fit",
                "a soup can only pool finite outputs",
            )
            spaces.append(space)
        return OutputSoups(spaces, plan.scorer, link=link)

    # Prediction ----------------------------------------------------------------

    def _pooled(self, X):
        """``("proba", p)`` or ``("logit", z)``: the soup's pooled output on
        the rows of ``X`` (one chunk: callers go through ``in_chunks``)."""
        classes = self.classes_
        if self._combine == "params":
            merged = self.merged_estimator_
            method = (
                "predict_proba"
                if hasattr(merged, "predict_proba")
                else "decision_function"
            )
            out = member_output(merged, X, method)
            if method == "decision_function":
                return "logit", to_class_columns(out, method, merged.classes_, classes)
            if np.array_equal(merged.classes_, classes):  # no reordering copy
                return "proba", np.asarray(out, dtype=np.float64)
            return "proba", to_class_columns(out, method, merged.classes_, classes)
        active = np.flatnonzero(self.weights_)
        methods = [self._pool_methods[j] for j in active]
        members = [self.estimators_[j] for j in active]
        names = [self._names[j] for j in active]
        outputs = member_outputs(members, X, methods, n_jobs=self.n_jobs, names=names)
        spaces = [
            to_pool_space(out, method, est.classes_, classes, self._combine)
            for out, method, est in zip(outputs, methods, members, strict=True)
        ]
        del outputs
        space = "logit" if self._combine == "logit" else "proba"
        return space, pool(spaces, self.weights_[active])

    def _logits(self, X):
        """The soup's logits on the rows of ``X``, divided by ``temperature_``
        (None for an unscaled probability pool, whose probabilities are the
        pool itself)."""
        space, values = self._pooled(X)
        if space == "proba" and self.temperature_ == 1.0:
            return values, None
        logits = values if space == "logit" else proba_to_logits(values)
        if self.temperature_ != 1.0:
            logits /= self.temperature_  # our own array
        return None, logits

    def _proba(self, X, log=False):
        proba, logits = self._logits(X)
        if logits is not None:
            return log_softmax(logits, axis=1) if log else softmax_in_place(logits)
        if not log:
            return proba
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def predict(self, X):
        """Predict class labels: the argmax of the pooled soup.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self._combine == "params":
            return self.merged_estimator_.predict(X)
        # Chunk by chunk: the pooled (n_samples, n_classes) values are not kept.
        return self.classes_[
            in_chunks(lambda rows: np.argmax(self._pooled(rows)[1], axis=1), X)
        ]

    def predict_proba(self, X):
        """Pooled class probabilities, temperature-scaled.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return in_chunks(self._proba, X)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return in_chunks(lambda rows: self._proba(rows, log=True), X)

    def _check_decision_function(self):
        if self.combine == "logit":
            return True
        if self.combine == "params":
            merged = getattr(self, "merged_estimator_", None)
            if merged is not None:
                available = hasattr(merged, "decision_function")
            else:
                try:
                    given = self._given_members()
                    available = bool(given) and all(
                        hasattr(est, "decision_function")
                        for _, est in given
                        if not is_drop(est)
                    )
                except (TypeError, ValueError):
                    available = False
            if available:
                return True
        raise AttributeError(
            "decision_function is available with combine='logit', or "
            "combine='params' over members that have a decision_function; got "
            f"combine={self.combine!r}."
        )

    @available_if(_check_decision_function)
    def decision_function(self, X):
        """The soup's logits: pooled (``"logit"``) or the merged model's
        decision function (``"params"``), divided by ``temperature_``.

        With ``combine="logit"`` (and linear-``"params"`` soups of logistic
        regressions), :meth:`predict_proba` is their softmax.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Binary problems give shape ``(n_samples,)``, the logit of
            ``classes_[1]`` against ``classes_[0]``.
        """
        check_is_fitted(self)
        return in_chunks(self._decision_function, X)

    def _decision_function(self, X):
        if self._combine == "params":
            merged = self.merged_estimator_
            out = member_output(merged, X, "decision_function")
            logits = to_class_columns(
                out, "decision_function", merged.classes_, self.classes_
            )
        else:
            _, logits = self._pooled(X)
        if self.temperature_ != 1.0:
            logits /= self.temperature_
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    # Reading the soup ---------------------------------------------------------------

    def _member_probas(self, X, indices):
        """Probabilities of the members at ``indices``: (n_members, n, k)."""
        methods = [self._proba_methods[j] for j in indices]
        result = None
        for rows, members, outputs in self._outputs(X, indices, methods):
            part = np.stack(
                [
                    member_proba(out, method, est.classes_, self.classes_)
                    for out, method, est in zip(outputs, methods, members, strict=True)
                ]
            )
            if rows == slice(None):
                result = part
            else:
                if result is None:
                    result = np.empty(
                        (len(indices), _num_samples(X), len(self.classes_))
                    )
                result[:, rows] = part
        return result

    def transform(self, X):
        """Members' probabilities side by side.

        Member probabilities are its ``predict_proba`` (the softmax of its
        decision function when it has none; one-hot votes with
        ``combine="vote"``), columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        probas : ndarray of shape (n_samples, n_members * n_classes)
            Member by member, in the order of ``estimators_``; see
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        m, k = len(self.estimators_), len(self.classes_)
        methods = self._proba_methods
        result = None
        # Chunk by chunk, each member's probabilities written in place.
        for rows, members, outputs in self._outputs(X, np.arange(m), methods):
            if result is None:
                n = len(outputs[0]) if rows == slice(None) else _num_samples(X)
                result = np.empty((n, m * k))
            for j, (out, method, est) in enumerate(
                zip(outputs, methods, members, strict=True)
            ):
                result[rows, j * k : (j + 1) * k] = member_proba(
                    out, method, est.classes_, self.classes_
                )
        return result

    def get_feature_names_out(self, input_features=None):
        """Names of :meth:`transform`'s columns: ``<member>_<class>``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used, present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(
            [f"{name}_{cls}" for name in self._names for cls in self.classes_],
            dtype=object,
        )

    def contributions(self, X):
        """Each member's share of the predicted class's pooled probability.

        ``w_j p_j(y_hat | x) / sum_k w_k p_k(y_hat | x)``, where ``y_hat`` is
        the soup's prediction and ``p_j`` member ``j``'s probabilities (as in
        :meth:`transform`): which member drove which prediction. Members with
        zero weight contribute 0. (Should every weighted probability of
        ``y_hat`` underflow to 0, the row is the weights themselves.)

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_members)
            Rows sum to 1; columns in the order of ``estimators_``.
        """
        check_is_fitted(self)
        # Chunk by chunk: the members' probabilities of one chunk at a time.
        result = None
        for rows, X_rows in row_chunks(X):
            part = self._contributions(X_rows)
            if rows == slice(None):
                return part
            if result is None:
                result = np.empty((_num_samples(X), len(self.estimators_)))
            result[rows] = part
        return result

    def _contributions(self, X):
        active = np.flatnonzero(self.weights_)
        weights = self.weights_[active]
        classes = self.classes_
        if self._combine == "params":
            predicted = np.searchsorted(classes, self.predict(X))
            n = predicted.shape[0]
            taken = self._member_probas(X, active)[:, np.arange(n), predicted].T
        else:
            # Each member's probability of the predicted class, member by
            # member: (n, n_members), never all members' probabilities at once.
            methods = [self._pool_methods[j] for j in active]
            parts = []
            for _, members, outputs in self._outputs(X, active, methods):
                spaces = [
                    to_pool_space(out, method, est.classes_, classes, self._combine)
                    for out, method, est in zip(outputs, methods, members, strict=True)
                ]
                top = np.argmax(pool(spaces, weights), axis=1)
                del spaces
                rows = np.arange(top.shape[0])
                parts.append(
                    np.column_stack(
                        [
                            member_proba(out, method, est.classes_, classes)[rows, top]
                            for out, method, est in zip(
                                outputs, methods, members, strict=True
                            )
                        ]
                    )
                )
            taken = np.concatenate(parts)
            n = taken.shape[0]
        share = taken * weights
        total = share.sum(axis=1, keepdims=True)
        share = np.divide(share, total, out=np.tile(weights, (n, 1)), where=total > 0)
        result = np.zeros((n, len(self.estimators_)))
        result[:, active] = share
        return result


class SoupRegressor(RegressorMixin, _BaseSoup):
    """Merge fitted regressors into one soup: pooled predictions or one model.

    The regression twin of :class:`SoupClassifier`: the same members,
    ``prefit`` and :func:`~sklearn.base.clone` semantics, recipes and
    attributes, on predictions. With ``prefit=True`` (the default) the
    members are already fitted and never refitted or modified: the ``X, y``
    given to :meth:`fit` are held-out data for the recipe, and
    ``GridSearchCV(SoupRegressor(models), {"recipe": [...]})`` never refits
    a member. Members' predictions on the held-out data are computed once
    per fit; every recipe step reuses them.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, list of estimators or \
            "precomputed"
        The members: regressors (any, a
        :class:`~sklearn.compose.TransformedTargetRegressor` included). A
        plain list is named after the classes (``ridge-1``, ...). A member
        can be set to ``"drop"`` with :meth:`set_params`. With
        ``"precomputed"``, ``X`` *is* the members' predictions, one column
        per member (as :meth:`transform` returns them).

    combine : {"mean", "median", "params"}, default="mean"
        How members are pooled:

        - ``"mean"``: weighted mean of the members' predictions;
        - ``"median"``: weighted median (the smallest prediction whose
          members hold at least half the weight; the midpoint where they
          hold exactly half, so equal weights give the median), robust to
          one member's wild predictions;
        - ``"params"``: weight-space soup. Members of one family (linear
          regressors with ``coef_``/``intercept_`` such as LinearRegression,
          Ridge, Lasso, ElasticNet, SGDRegressor, HuberRegressor;
          ``MLPRegressor``; or Pipelines whose non-final steps are fitted
          identically) are averaged parameter by parameter into one fitted
          estimator, ``merged_estimator_``, which makes every prediction.
          For linear members this equals ``combine="mean"`` exactly.

    recipe : {"uniform", "greedy", "ensemble_selection", "optimized"}, \
            default="uniform"
        How weights are chosen on the held-out data, as in
        :class:`SoupClassifier`: ``"uniform"`` (with ``weights``),
        ``"greedy"`` (greedy soup, never below its best member on the
        held-out data), ``"ensemble_selection"`` (``n_iter`` forward steps
        with replacement) or ``"optimized"``: weights on the simplex
        minimising minus the held-out ``scoring``. For the squared-error
        scorings (``neg_mean_squared_error``,
        ``neg_root_mean_squared_error``, ``r2``) this is a least-squares
        problem on the simplex, solved exactly
        (:func:`~skmerge._recipes.simplex_least_squares`); other scorings
        and ``combine="median"`` use a derivative-free search (Powell) from
        uniform weights. Never worse than uniform weights.

    weights : array-like of shape (n_estimators,), default=None
        Weights of ``recipe="uniform"`` (one per entry of ``estimators``,
        non-negative, not all zero; normalised). Ignored, with a warning, by
        the other recipes. ``None`` means equal weights.

    scoring : str, scorer or callable, default="neg_root_mean_squared_error"
        Held-out score (higher is better) of ``member_scores_`` and of the
        recipes: a scikit-learn regression scorer name
        (``neg_root_mean_squared_error``, ``neg_mean_squared_error``,
        ``neg_mean_absolute_error``, ``r2``, ``neg_mean_squared_log_error``,
        ...), a scorer object on ``predict`` (for a pinball loss,
        ``make_scorer(mean_pinball_loss, alpha=0.9,
        greater_is_better=False)``), whose metric is applied to the cached
        predictions, or a callable ``scoring(y_true, y_pred) -> float``
        (higher is better), given ``sample_weight=`` when it takes it and
        weights were given.

    prefit : bool, default=True
        If True, members are fitted; ``fit`` uses them as they are. If False,
        out-of-fold predictions from ``cv`` choose the weights, then clones
        of the members are fitted on all the data given to :meth:`fit`. With
        ``recipe="uniform"`` nothing needs out-of-fold predictions: each
        member is fitted once, and ``combine="mean"`` is
        :class:`~sklearn.ensemble.VotingRegressor`.

    cv : int, cross-validation generator or iterable, default=5
        Splits of the out-of-fold predictions when ``prefit=False``, from
        ``check_cv(cv, y, classifier=False)``: an int is an unshuffled
        :class:`~sklearn.model_selection.KFold`, as in
        :class:`~sklearn.ensemble.StackingRegressor`. Drawn once, from a
        copy of the splitter, so every member sees the same folds.

    align : {"permutation"} or None, default=None
        Only with ``combine="params"`` over ``MLPRegressor`` members:
        permute each member's hidden units to match the first member's
        before averaging (weight matching, Ainsworth et al. 2023).

    n_iter : int >= 1, default=25
        Steps of ``recipe="ensemble_selection"``.

    n_jobs : int, default=None
        Jobs for the members' predictions and, with ``prefit=False``, fits.

    random_state : int, RandomState instance or None, default=None
        Seeds what is random in skmerge itself; the recipes are
        deterministic, and the folds are the splitter's (see ``cv``).

    verbose : int, default=0
        Print fitting progress and the recipe's steps when > 0.

    member_names : list of str, default=None
        With ``estimators="precomputed"``: the members' names, one per block
        of columns of ``X``. None: from a DataFrame's column names
        (``<member>_<class>`` blocks, or one column each), else ``member0``,
        ``member1``...

    Attributes
    ----------
    estimators_ : list of regressors
        The members used, not dropped: the given objects themselves when
        ``prefit=True``, fitted clones otherwise.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        Members by name (a dropped one as ``"drop"``).

    weights_ : ndarray of shape (n_members,)
        One weight per member of ``estimators_``, summing to 1; zero for a
        member the recipe left out.

    member_scores_ : ndarray of shape (n_members,)
        Each member's held-out ``scoring`` (out-of-fold with
        ``prefit=False``; NaN where nothing needed them).

    selection_path_ : list of (str, float)
        The soup built step by step, ``(member name, held-out score of the
        soup after the step)``, as in :class:`SoupClassifier`.

    merged_estimator_ : estimator
        With ``combine="params"``: the single fitted estimator making the
        predictions. Absent otherwise.

    n_features_in_ : int
        Number of features the members expect (when they record it).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names the members saw (when they record them).

    See Also
    --------
    SoupClassifier : The same for classifiers.
    sklearn.ensemble.VotingRegressor : Averages regressors it fits itself,
        with fixed weights.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skmerge import SoupRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    >>> members = [
    ...     Ridge(alpha=0.1).fit(X_train, y_train),
    ...     KNeighborsRegressor(20).fit(X_train, y_train),
    ...     HistGradientBoostingRegressor(max_iter=50, random_state=0).fit(
    ...         X_train, y_train),
    ... ]
    >>> soup = SoupRegressor(members, recipe="optimized").fit(X_val, y_val)
    >>> soup.member_scores_.round(1)
    array([-56. , -56.2, -61.4])
    >>> soup.weights_.round(2)
    array([0.55, 0.45, 0.  ])
    >>> round(soup.selection_path_[-1][1], 1)
    -55.4
    >>> soup.predict(X_val[:2]).round(1)
    array([232. , 229.5])
    >>> soup.contributions(X_val[:2]).round(1)
    array([[128.2, 103.8,   0. ],
           [132.7,  96.8,   0. ]])

    A weight-space soup of linear regressors is one linear model:

    >>> ridges = [Ridge(alpha=a).fit(X_train, y_train) for a in (0.01, 0.1, 1.0)]
    >>> merged = SoupRegressor(ridges, combine="params").fit(X_val, y_val)
    >>> type(merged.merged_estimator_).__name__
    'Ridge'
    """

    _parameter_constraints: dict = {
        **_BaseSoup._parameter_constraints,
        "combine": [StrOptions({"mean", "median", "params"})],
        "scoring": [StrOptions(set(REGRESSION_SCORINGS)), callable],
    }

    def __init__(
        self,
        estimators,
        *,
        combine="mean",
        recipe="uniform",
        weights=None,
        scoring="neg_root_mean_squared_error",
        prefit=True,
        cv=5,
        align=None,
        n_iter=25,
        n_jobs=None,
        random_state=None,
        verbose=0,
        member_names=None,
    ):
        super().__init__(estimators=estimators)
        self.member_names = member_names
        self.combine = combine
        self.recipe = recipe
        self.weights = weights
        self.scoring = scoring
        self.prefit = prefit
        self.cv = cv
        self.align = align
        self.n_iter = n_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _task_plan(self, named, X, y, sample_weight, family):
        """Each member's method (``predict``) and the scorer."""
        if self.prefit:
            check_members_agree(named, X, classifier=False)
        methods = [resolve_method(name, est, "predict", None) for name, est in named]
        return dict(
            pool_methods=methods,
            scorer=RegressionScorer(self.scoring, y, sample_weight),
            calibrate=False,
        )

    @_fit_context(
        # members in `estimators` are not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Choose the members' weights on held-out data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out data when ``prefit=True``, training data otherwise;
            passed to the members unchanged.

        y : array-like of shape (n_samples,)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the held-out scores and of the ``"optimized"``
            objective; with ``prefit=False`` also passed to the members'
            ``fit`` that take it (routed when metadata routing is enabled;
            members whose ``fit`` does not take it are warned about).

        **fit_params : dict
            Other metadata for the members' ``fit`` with ``prefit=False``,
            only with metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), as in
            :class:`~sklearn.ensemble.VotingRegressor`.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(X, y, sample_weight, fit_params)

    def _output_soups(self, raw, plan, fitted):
        """Members' predictions -> candidate soups (mean or median)."""
        predictions = []
        for j, method in enumerate(plan.pool_methods):
            prediction = np.asarray(raw[j], dtype=np.float64).reshape(-1)
            raw[j] = None
            check_finite(
                prediction,
                plan.names[j],
                plan.named[j][1],
                method,
                "data given to fit",
                "a soup can only pool finite predictions",
            )
            predictions.append(prediction)
        if self.combine == "median":
            return MedianSoups(predictions, plan.scorer)
        # Linear members' parameters average to their predictions' mean.
        return OutputSoups(predictions, plan.scorer)

    # Prediction ----------------------------------------------------------------

    def _member_predictions(self, X, indices):
        """Predictions of the members at ``indices`` on the rows of ``X``
        (one chunk): shape (len(indices), n_samples)."""
        members = [self.estimators_[j] for j in indices]
        methods = [self._pool_methods[j] for j in indices]
        names = [self._names[j] for j in indices]
        outputs = member_outputs(members, X, methods, n_jobs=self.n_jobs, names=names)
        return np.array(
            [np.asarray(out, dtype=np.float64).reshape(-1) for out in outputs]
        ).reshape(len(indices), -1)

    def _pooled(self, X):
        """The soup's prediction on the rows of ``X`` (one chunk)."""
        if self._combine == "params":
            return np.asarray(self.merged_estimator_.predict(X), dtype=np.float64)
        active = np.flatnonzero(self.weights_)
        predictions = self._member_predictions(X, active)
        if self._combine == "median":
            return weighted_median(predictions, self.weights_[active])
        return pool(predictions, self.weights_[active])

    def predict(self, X):
        """Predict: the pooled soup, or the merged model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return in_chunks(self._pooled, X)

    def transform(self, X):
        """Members' predictions side by side.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_members)
            Columns in the order of ``estimators_``; see
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        everyone = np.arange(len(self.estimators_))
        return in_chunks(lambda rows: self._member_predictions(rows, everyone).T, X)

    def get_feature_names_out(self, input_features=None):
        """Names of :meth:`transform`'s columns: the members' names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used, present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(self._names, dtype=object)

    def contributions(self, X):
        """Each member's weighted prediction ``w_j f_j(x)``.

        With ``combine="mean"`` (and ``"params"`` over linear members, whose
        merged model predicts the weighted mean exactly) the row sums are
        the soup's predictions; with ``"median"`` and merged MLPs they show
        the weighted members behind a prediction but do not add up to it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input passed to the members unchanged.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_members)
            Columns in the order of ``estimators_``; zero for members with
            zero weight.
        """
        check_is_fitted(self)
        active = np.flatnonzero(self.weights_)

        def weighted(rows):
            part = self._member_predictions(rows, active).T
            result = np.zeros((part.shape[0], len(self.estimators_)))
            result[:, active] = part * self.weights_[active]
            return result

        return in_chunks(weighted, X)


# Helpers ---------------------------------------------------------------------------


def _fit_on_rows(estimator, X, y, rows, fit_params):
    params = _check_method_params(X, dict(fit_params), rows)
    return clone(estimator).fit(_safe_indexing(X, rows), y[rows], **params)


def _merger(names):
    def merge(models, weights):
        return average_estimators(models, weights, names)

    return merge
