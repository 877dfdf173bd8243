# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""``MergeSearch``: which way of combining fitted models is best, found by
cross-validation on held-out data at the cost of predicting each member once.

Every member's output on ``X`` is computed once and laid side by side in one
matrix ``P``. Each member is then stood in for by a
:class:`~skmerge._base.CachedMember` that reads its block of columns of
``P``: a route (a soup, a stack, a calibrated soup) built over the stand-ins
is the very same skmerge estimator as over the members, computing the same
numbers from the same outputs, so
:class:`~sklearn.model_selection.GridSearchCV` over the routes on ``P``
scores each of them exactly as it would score it on ``X`` over the members,
without a member predicting again. The best route is refitted on all of
``P`` and its stand-ins are replaced by the members: an ordinary skmerge
estimator on ``X``.
"""

import copy
import re
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, check_cv
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from skmerge._base import (
    MEMORISED_FINDING,
    CachedClassifier,
    CachedRegressor,
    _MemberPhase,
    check_member_fitted,
    check_members_agree,
    is_drop,
    is_precomputed,
    member_outputs,
    name_members,
    precomputed_members,
    resolve_method,
    warn_if_memorised,
)
from skmerge._calibration import CalibratedClassifier
from skmerge._progress import CallbackSupportMixin, Task, running
from skmerge._soup import SoupClassifier, SoupRegressor
from skmerge._stacking import StackingMerger, StackingMergerRegressor

#: The inverse regularisation strengths of the stacking routes' final
#: LogisticRegression.
STACKING_C = (0.01, 0.1, 1.0, 10.0)
_RECIPES = ["uniform", "greedy", "ensemble_selection", "optimized"]


def _cache(named, X, methods, n_jobs):
    """The members' outputs on ``X``, computed once, as one matrix, and
    their stand-ins (named as the members)."""
    outputs = member_outputs([est for _, est in named], X, methods, n_jobs=n_jobs)
    blocks = [np.asarray(out, dtype=np.float64) for out in outputs]
    blocks = [b.reshape(-1, 1) if b.ndim == 1 else b for b in blocks]
    widths = [b.shape[1] for b in blocks]
    P = np.hstack(blocks)
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    stand_ins = []
    for (name, est), method, start, width in zip(
        named, methods, starts, widths, strict=True
    ):
        kind = CachedClassifier if is_classifier(est) else CachedRegressor
        classes = np.asarray(est.classes_) if is_classifier(est) else None
        cached = kind(int(start), width, method, P.shape[1], classes, name)
        stand_ins.append((name, cached))
    return P, stand_ins


def _chosen_index(refit, results):
    """The candidate a callable ``refit`` picks from ``cv_results_``, checked
    as ``GridSearchCV`` checks it."""
    index = refit(results)
    if not isinstance(index, Integral):
        raise TypeError(
            f"refit returned {index!r}: it must return the index of a candidate "
            "in cv_results_ (an integer)."
        )
    if not 0 <= index < len(results["params"]):
        raise IndexError(
            f"refit returned {index}: cv_results_ has {len(results['params'])} "
            "candidates."
        )
    return int(index)


class _Route(MetaEstimatorMixin, BaseEstimator):
    """One candidate route for GridSearchCV: fits a clone of ``estimator``
    (whose prefit members the clone keeps), with ``sample_weight`` under that
    name, so that GridSearchCV treats it as it treats the route itself."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.estimator_ = clone(self.estimator).fit(X, y, **kwargs)
        return self

    @property
    def classes_(self):
        return self.estimator_.classes_

    def _has(method):
        return lambda self: hasattr(self.estimator, method)

    @available_if(_has("predict"))
    def predict(self, X):
        return self.estimator_.predict(X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X):
        return self.estimator_.predict_log_proba(X)

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = get_tags(self.estimator).estimator_type
        return tags


# The routes ----------------------------------------------------------------------


# Stacks with at most this many coefficients are fitted by Newton's method
# with the exact Hessian (scikit-learn's "newton-cholesky", about
# n_samples * d**2 a step for d coefficients), larger ones by Newton-CG (a few
# n_samples * d products per conjugate-gradient step, and many steps on
# ill-conditioned log-probability columns). Measured on log-probability stacks
# (one thread, tol=1e-10): newton-cholesky 1.8-19x faster at d = 230
# (diamonds: 9 members x 5 classes, 3 200 rows), newton-cg 1.2-3x faster at
# d = 910 (digits: 9 members x 10 classes, 360 rows).
CHOLESKY_COEFFICIENTS = 500


def _stacking_final(members):
    """The stacking routes' final estimator over ``members``: a
    LogisticRegression solved by Newton's method to a gradient of 1e-10 (its
    problem, at most a few hundred stacked columns, is small), so that its
    fit on a fold does not depend on where an iterative solver stopped:
    L-BFGS at scikit-learn's default ``tol=1e-4`` on ill-conditioned
    log-probability columns moves a fold's log loss by 1e-2 between two
    computations of the same outputs that differ by rounding. The solver
    follows the stack's number of coefficients (see
    ``CHOLESKY_COEFFICIENTS``); both reach the same optimum."""
    named = name_members(members)
    classes = getattr(named[0][1], "classes_", None) if named else None
    k = 0 if classes is None else len(classes)
    per_member = k if k > 2 else 1
    d = (len(named) * per_member + 1) * per_member
    solver = "newton-cholesky" if d <= CHOLESKY_COEFFICIENTS else "newton-cg"
    return LogisticRegression(solver=solver, tol=1e-10, max_iter=1000)


def default_routes(classifier, random_state=None, probabilities=True):
    """The default routes: ``(name, factory, param_grid)`` triples, each
    ``factory(members)`` building the route's estimator over the members.

    Classifiers: the best single member (ensemble selection of one step);
    soups over ``combine`` in {"proba", "logit"} and every recipe, without
    and with temperature scaling (pool, then calibrate); the same soups
    calibrated by structured matrix scaling on out-of-fold soup outputs
    (``CalibratedClassifier(soup, method="matrix", prefit=False)``);
    stacking on probabilities and on log-probabilities with a grid of the
    final LogisticRegression's ``C``. When not every member has
    ``predict_proba`` (``probabilities=False``), the soups pool logits only
    and stacking stacks what ``stack_method="auto"`` chooses. Regressors: the
    best member, soups over ``combine`` in {"mean", "median"} and every
    recipe, and stacking with ``RidgeCV``.
    """
    if not classifier:
        return [
            (
                "best member",
                lambda m: SoupRegressor(m, recipe="ensemble_selection", n_iter=1),
                {},
            ),
            (
                "soup",
                lambda m: SoupRegressor(m),
                {"combine": ["mean", "median"], "recipe": _RECIPES},
            ),
            ("stacking", lambda m: StackingMergerRegressor(m, RidgeCV()), {}),
        ]
    combine = ["proba", "logit"] if probabilities else ["logit"]
    stack = ["predict_proba", "predict_log_proba"] if probabilities else ["auto"]
    return [
        (
            "best member",
            lambda m: SoupClassifier(
                m, combine=combine[0], recipe="ensemble_selection", n_iter=1
            ),
            {},
        ),
        (
            "soup",
            lambda m: SoupClassifier(m),
            {"combine": combine, "recipe": _RECIPES, "temperature": [None, "auto"]},
        ),
        (
            "soup+matrix",
            lambda m: CalibratedClassifier(
                SoupClassifier(m),
                method="matrix",
                prefit=False,
                cv=3,
                random_state=random_state,
            ),
            {"estimator__combine": combine, "estimator__recipe": _RECIPES},
        ),
        (
            "stacking",
            lambda m: StackingMerger(m, _stacking_final(m)),
            {"stack_method": stack, "final_estimator__C": list(STACKING_C)},
        ),
    ]


def _route_name(factory, used):
    name = getattr(factory, "__name__", type(factory).__name__).lower()
    name, i = name, 1
    while name in used:
        i += 1
        name = f"{name.rsplit('-', 1)[0]}-{i}"
    return name


def _user_routes(routes):
    """User routes, ``(estimator_class or factory, param_grid)`` pairs or
    ``(name, estimator_class or factory, param_grid)`` triples, as ``(name,
    factory, param_grid)`` triples."""
    triples, used = [], set()
    for i, route in enumerate(routes):
        named = isinstance(route, tuple) and len(route) == 3
        if named:
            name, factory, grid = route
        elif isinstance(route, tuple) and len(route) == 2:
            (factory, grid), name = route, None
        else:
            factory = None
        if factory is None or not callable(factory):
            raise ValueError(
                "`routes` must be 'default' or a list of (estimator_class, "
                "param_grid) pairs or (name, estimator_class, param_grid) "
                f"triples; got {route!r} at position {i}."
            )
        if not isinstance(grid, dict):
            raise ValueError(
                f"The param_grid of route {i} ({getattr(factory, '__name__', factory)})"
                f" must be a dict of parameter lists; got {grid!r}."
            )
        name = _route_name(factory, used) if name is None else str(name)
        if name in used:
            raise ValueError(f"Route names must be unique; got {name!r} twice.")
        used.add(name)
        triples.append((name, factory, grid))
    return triples


def _check_route(name, estimator, grid):
    """Raise, naming the route, for a parameter its estimator does not have."""
    if not (is_classifier(estimator) or is_regressor(estimator)):
        raise ValueError(
            f"Route {name!r} builds a {type(estimator).__name__}, which is neither "
            "a classifier nor a regressor."
        )
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise ValueError(
                f"Route {name!r}: the values of {key!r} must be a list; got {values!r}."
            )
        if not len(values):
            raise ValueError(f"Route {name!r}: no values for {key!r}.")
        try:
            clone(estimator).set_params(**{key: values[0]})
        except ValueError as exc:
            raise ValueError(
                f"Route {name!r} ({type(estimator).__name__}) has no parameter "
                f"{key!r}; its own parameters are "
                f"{sorted(estimator.get_params(deep=False))}."
            ) from exc


# Replacing the stand-ins by the members, in a fitted route --------------------------


def _with_members(fitted, members, X):
    """``fitted`` (over stand-ins) made to use the members themselves on
    ``X``: every list of members, in the parameters and the fitted
    attributes, of it and of the estimators nested in it."""
    by_name = dict(members)
    if hasattr(fitted, "estimators_"):
        named = [(name, by_name[name]) for name, _ in name_members(fitted.estimators)]
        fitted.estimators = named
        kept = [name for name, est in named if not is_drop(est)]
        fitted.estimators_ = [by_name[name] for name in kept]
        fitted.named_estimators_ = Bunch(
            **{
                name: fitted.named_estimators_[name]
                if is_drop(fitted.named_estimators_[name])
                else by_name[name]
                for name in fitted.named_estimators_
            }
        )
        _, n_features, names = check_members_agree(
            [(name, by_name[name]) for name in kept], X, classifier=False
        )
        fitted._set_input_attributes(n_features, names)
    if hasattr(fitted, "estimator_"):
        _with_members(fitted.estimator_, members, X)
        template = clone(fitted.estimator)
        if hasattr(template, "estimators"):
            template.estimators = [
                (name, by_name[name]) for name, _ in name_members(template.estimators)
            ]
        fitted.estimator = template
        fitted._set_input_attributes(
            getattr(fitted.estimator_, "n_features_in_", None),
            getattr(fitted.estimator_, "feature_names_in_", None),
        )
    return fitted


# The search --------------------------------------------------------------------------


def _best_has(attr):
    """Available when the refitted best route has ``attr`` (before fitting:
    for classifiers, whose routes all give probabilities)."""

    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        return is_classifier(self)

    return check


class MergeSearch(
    MetaEstimatorMixin, _MemberPhase, CallbackSupportMixin, BaseEstimator
):
    """The best way to combine fitted models, by cross-validation on
    held-out data, predicting each member once.

    ``fit(X, y)`` computes every member's output on ``X`` once, then scores
    each candidate *route* (a soup, a calibrated soup, a stack, the best
    single member, each with its parameters) by K-fold cross-validation over
    the rows of ``X`` from those cached outputs alone: no member predicts
    again, whatever the number of routes and folds. Each route's scores are
    those :class:`~sklearn.model_selection.GridSearchCV` computes for the
    route's estimator over the same members with the same splits and
    scoring (the same code runs on the same outputs). The best route is then
    refitted on all of ``X``, from the cached outputs, as an ordinary skmerge
    estimator over the members (``best_estimator_``).

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, list of estimators or \
            "precomputed"
        The fitted members: classifiers, or regressors (not both). They are
        never refitted or modified. With ``"precomputed"``, ``X`` *is* the
        members' outputs (probabilities, laid out as
        :meth:`SoupClassifier.transform <skmerge.SoupClassifier.transform>`
        lays them out, or predictions, one column per member): the routes are
        then fitted on them, and ``best_estimator_`` predicts from such
        matrices too. The task is a classifier's when ``y`` holds classes, a
        regressor's when it is continuous.

    routes : "default" or list of (estimator_class, param_grid) pairs, \
            default="default"
        The candidates. ``"default"`` (see :func:`default_routes`):

        - classifiers: the best single member; ``SoupClassifier`` over
          ``combine`` in {"proba", "logit"} and every recipe, without and
          with ``temperature="auto"``; the same soups calibrated by
          structured matrix scaling
          (``CalibratedClassifier(soup, method="matrix", prefit=False,
          cv=3)``); ``StackingMerger`` with ``stack_method`` in
          {"predict_proba", "predict_log_proba"} and a LogisticRegression
          final estimator (Newton's method to ``tol=1e-10``:
          ``"newton-cholesky"`` up to 500 coefficients, ``"newton-cg"``
          beyond) with ``C`` in (0.01, 0.1, 1, 10): 33 candidates;
        - regressors: the best single member; ``SoupRegressor`` over
          ``combine`` in {"mean", "median"} and every recipe;
          ``StackingMergerRegressor`` with ``RidgeCV``: 10 candidates.

        A list of pairs, as ``param_grid``: ``estimator_class(members)``
        builds the route (any callable taking the list of ``(name,
        member)`` pairs, such as a skmerge estimator class or a function
        returning one), and ``param_grid`` is a dict of its parameters'
        values; a triple ``(name, estimator_class, param_grid)`` names the
        route (else it is named after the class). Routes must use the
        members as they are (prefit).

    scoring : str, callable or None, default=None
        The score of the routes (higher is better), as in ``GridSearchCV``;
        None means ``"neg_log_loss"`` for classifiers and
        ``"neg_root_mean_squared_error"`` for regressors.

    cv : int, cross-validation generator or iterable, default=5
        The splits, the same for every route: ``check_cv(cv, y,
        classifier=...)``, so an int is an unshuffled (stratified for
        classifiers) K-fold.

    refit : bool or callable, default=True
        Refit the best route on all of ``X`` as ``best_estimator_``. As in
        ``GridSearchCV``, a callable chooses the route instead of the highest
        mean score: it takes ``cv_results_`` and returns ``best_index_``
        (say, the simplest route within one standard error of the best);
        ``best_score_`` is then not set.

    n_jobs : int, default=None
        Jobs for the members' predictions and for the routes and folds.

    random_state : int, RandomState instance or None, default=None
        Seeds what the routes shuffle (the folds of ``"auto"`` and matrix
        calibration).

    verbose : int, default=0
        Print the search's progress (GridSearchCV's messages) when > 0.

    member_names : list of str, default=None
        With ``estimators="precomputed"``: the members' names, one per block
        of columns of ``X`` (see :class:`SoupClassifier`).

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        One entry per candidate, as ``GridSearchCV``'s: ``route``,
        ``params`` (the route's name under ``"route"`` and its parameters),
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``split{i}_test_score``, ``mean_fit_time``, ``std_fit_time``,
        ``mean_score_time``, ``std_score_time``. Loads into a pandas
        DataFrame as it is.

    best_index_ : int
        The candidate of the highest mean score (the first of ties), or the
        one a callable ``refit`` returns.

    best_score_ : float
        Its mean cross-validated score (not set when ``refit`` is a
        callable).

    best_params_ : dict
        Its parameters, the route's name under ``"route"``.

    best_estimator_ : estimator
        The best route refitted on all of ``X`` over the members (with
        ``refit=True``).

    scorer_ : callable
        The scorer used.

    n_splits_ : int
        The number of splits.

    classes_ : ndarray of shape (n_classes,)
        The classes (classifiers).

    n_features_in_ : int
        Number of features the members expect (when they record it).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names the members saw (when they record them).

    See Also
    --------
    sklearn.model_selection.GridSearchCV : What each route's scores equal,
        at the cost of predicting every member for every candidate and fold.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skmerge import MergeSearch
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_val, y_train, y_val = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> members = [
    ...     make_pipeline(StandardScaler(), LogisticRegression(C=0.01)).fit(
    ...         X_train, y_train),
    ...     GaussianNB().fit(X_train, y_train),
    ...     DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train),
    ... ]
    >>> search = MergeSearch(members, cv=3, random_state=0).fit(X_val, y_val)
    >>> len(search.cv_results_["params"])
    33
    >>> search.best_params_
    {'route': 'soup', 'combine': 'logit', 'recipe': 'greedy', 'temperature': 'auto'}
    >>> round(search.best_score_, 3)
    -0.149
    >>> search.best_estimator_.weights_
    array([1., 0., 0.])
    """

    _parameter_constraints: dict = {
        "estimators": [list, StrOptions({"precomputed"})],
        "member_names": ["array-like", None],
        "routes": [StrOptions({"default"}), list],
        "scoring": [str, callable, None],
        "cv": ["cv_object"],
        "refit": ["boolean", callable],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # The members are prefit: nothing here fits them.
    prefit = True

    def __init__(
        self,
        estimators,
        *,
        routes="default",
        scoring=None,
        cv=5,
        refit=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
        member_names=None,
    ):
        self.estimators = estimators
        self.member_names = member_names
        self.routes = routes
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # Checks -------------------------------------------------------------------------

    def _named_members(self, X, y):
        """The fitted members, all classifiers or all regressors (or, with
        ``"precomputed"``, the stand-ins of the columns of ``X``: a classifier's
        when ``y`` holds classes, a regressor's when it is continuous)."""
        if is_precomputed(self.estimators):
            classifier = type_of_target(y, input_name="y") != "continuous"
            return precomputed_members(
                X, y, classifier=classifier, member_names=self.member_names
            )
        named = [(n, e) for n, e in name_members(self.estimators) if not is_drop(e)]
        if not named:
            raise ValueError("All members are dropped; at least one is required.")
        for name, est in named:
            if not (is_classifier(est) or is_regressor(est)):
                raise ValueError(
                    f"Member {name!r} ({type(est).__name__}) is neither a classifier "
                    "nor a regressor."
                )
            check_member_fitted(name, est)
        first_name, first = named[0]
        for name, est in named[1:]:
            if is_classifier(est) != is_classifier(first):
                kinds = ("classifier", "regressor")
                raise ValueError(
                    f"Members {first_name!r} and {name!r} are not of one kind: "
                    f"{first_name!r} is a {kinds[not is_classifier(first)]}, "
                    f"{name!r} a {kinds[not is_classifier(est)]}."
                )
        return named

    def _methods(self, named):
        """Each member's cached method: its probabilities, or its decision
        function when it has none (classifiers); ``predict`` (regressors)."""
        if not is_classifier(named[0][1]):
            return [resolve_method(n, e, "predict", None) for n, e in named]
        return [
            resolve_method(n, e, "auto", ["predict_proba", "decision_function"])
            for n, e in named
        ]

    def _validate(self, X, y, sample_weight):
        """Everything checked before any member predicts: the plan."""
        named = self._named_members(X, y)
        classifier = is_classifier(named[0][1])
        self._classifier = classifier  # the task, for the tags of a precomputed X
        if self.routes == "default":
            probabilities = all(hasattr(e, "predict_proba") for _, e in named)
            routes = default_routes(classifier, self.random_state, probabilities)
        else:
            routes = _user_routes(self.routes)
        # Every route's parameters are checked now, over stand-ins.
        kind = CachedClassifier if classifier else CachedRegressor
        probes = [(n, kind(classes=getattr(e, "classes_", None))) for n, e in named]
        for name, factory, grid in routes:
            _check_route(name, factory(probes), grid)
        y = self._check_target(X, y)
        sample_weight = self._check_sample_weight(sample_weight, y)
        if classifier:
            classes, _, _ = check_members_agree(named, X)
        else:
            check_members_agree(named, X, classifier=False)
            classes = None
        scoring = self.scoring
        if scoring is None:
            scoring = "neg_log_loss" if classifier else "neg_root_mean_squared_error"
        return Bunch(
            named=named,
            precomputed=is_precomputed(self.estimators),
            classifier=classifier,
            routes=routes,
            methods=self._methods(named),
            y=y,
            sample_weight=sample_weight,
            classes=classes,
            scoring=scoring,
        )

    # Fit ----------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Score every route by cross-validation on the members' cached
        outputs on ``X``, and refit the best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out data, passed to the members unchanged (once).

        y : array-like of shape (n_samples,)
            Targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Passed as ``GridSearchCV`` passes it: to each route's ``fit``
            on the training folds and, where the installed scikit-learn's
            GridSearchCV does so, to the scorer on the test folds.

        Returns
        -------
        self : object
            Fitted search.
        """
        plan = self._validate(X, y, sample_weight)
        progress = Task.root(self, 2 + bool(self.refit))
        with running(progress.subtask("predict members")):
            if plan.precomputed:
                P, stand_ins = check_array(X, dtype=np.float64), plan.named
            else:
                P, stand_ins = _cache(plan.named, X, plan.methods, self.n_jobs)
        # Checked once here, on all of X, rather than in every route's fit.
        warn_if_memorised(
            stand_ins,
            [est.predict(P) for _, est in stand_ins],
            ["predict"] * len(stand_ins),
            plan.y,
        )
        splits = list(
            copy.deepcopy(check_cv(self.cv, plan.y, classifier=plan.classifier)).split(
                P, plan.y
            )
        )
        estimators = [factory(stand_ins) for _, factory, _ in plan.routes]
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=f"(?s).*{re.escape(MEMORISED_FINDING)}"
            )
            with running(progress.subtask("cross-validate routes")):
                search = self._search(plan, estimators, P, splits)
            results, best_index = self._results(plan, search, len(splits))
            if callable(self.refit):
                best_index = _chosen_index(self.refit, results)
            best = None
            if self.refit:
                with running(progress.subtask("refit the best route")):
                    best = self._refit(plan, estimators, results, best_index, P, X)
        self._set_fitted(plan, search, results, best_index, best, len(splits), X)
        progress.end()
        return self

    def _search(self, plan, estimators, P, splits):
        """GridSearchCV over every route on the cached outputs ``P``."""
        grid = [
            {"estimator": [est], **{f"estimator__{k}": list(v) for k, v in g.items()}}
            for est, (_, _, g) in zip(estimators, plan.routes, strict=True)
        ]
        fit_params = {}
        if plan.sample_weight is not None:
            fit_params["sample_weight"] = plan.sample_weight
        search = GridSearchCV(
            _Route(estimators[0]),
            grid,
            scoring=plan.scoring,
            cv=splits,
            refit=False,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            error_score="raise",
        )
        return search.fit(P, plan.y, **fit_params)

    def _results(self, plan, search, n_splits):
        """``cv_results_`` with the routes' names and own parameters, and the
        best candidate."""
        found = search.cv_results_
        names = {}
        for (name, _, _), candidate in zip(plan.routes, search.param_grid, strict=True):
            names[id(candidate["estimator"][0])] = name
        params, routes = [], []
        prefix = len("estimator__")
        for candidate in found["params"]:
            name = names[id(candidate["estimator"])]
            own = {k[prefix:]: v for k, v in candidate.items() if k != "estimator"}
            params.append({"route": name, **own})
            routes.append(name)
        results = {"route": np.asarray(routes, dtype=object), "params": params}
        keys = ["mean_test_score", "std_test_score", "rank_test_score"]
        keys += [f"split{i}_test_score" for i in range(n_splits)]
        keys += ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"]
        for key in keys:
            results[key] = found[key]
        best_index = int(np.flatnonzero(results["rank_test_score"] == 1)[0])
        return results, best_index

    def _refit(self, plan, estimators, results, best_index, P, X):
        """The best route fitted on all of ``P``, over the members."""
        params = dict(results["params"][best_index])
        name = params.pop("route")
        position = [r[0] for r in plan.routes].index(name)
        best = clone(estimators[position]).set_params(**params)
        fit_params = {}
        if plan.sample_weight is not None:
            fit_params["sample_weight"] = plan.sample_weight
        best.fit(P, plan.y, **fit_params)
        if plan.precomputed:
            return best  # it reads the outputs from X, as the search did
        return _with_members(best, plan.named, X)

    def _set_fitted(self, plan, search, results, best_index, best, n_splits, X):
        self.cv_results_ = results
        self.best_index_ = best_index
        if callable(self.refit):
            self.__dict__.pop("best_score_", None)
        else:
            self.best_score_ = float(results["mean_test_score"][best_index])
        self.best_params_ = dict(results["params"][best_index])
        self.scorer_ = check_scoring(search.estimator, plan.scoring)
        self.n_splits_ = n_splits
        if best is not None:
            self.best_estimator_ = best
        elif "best_estimator_" in self.__dict__:
            del self.best_estimator_
        if plan.classes is not None:
            self.classes_ = plan.classes
        _, n_features, names = check_members_agree(plan.named, X, classifier=False)
        self._set_input_attributes(n_features, names)

    # Delegation -----------------------------------------------------------------------

    def _check_refitted(self, method):
        check_is_fitted(self)
        if not self.refit:
            raise AttributeError(
                f"This MergeSearch was fitted with refit=False: {method} is "
                "available only after refitting the best route."
            )

    def predict(self, X):
        """Predict with the best route.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        self._check_refitted("predict")
        return self.best_estimator_.predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the best route.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_refitted("predict_proba")
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of the best route's class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_refitted("predict_log_proba")
        return self.best_estimator_.predict_log_proba(X)

    def score(self, X, y, sample_weight=None):
        """The ``scoring`` of the best route on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        self._check_refitted("score")
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.scorer_(self.best_estimator_, X, y, **kwargs)

    def plot(self, *, top=None, ax=None):
        """Each route's mean cross-validated score with its spread across
        folds, sorted, best marked (needs matplotlib).

        Parameters
        ----------
        top : int, default=None
            Show the ``top`` best candidates only (None: all).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure otherwise.

        Returns
        -------
        display : :class:`~skmerge.plotting.MergeSearchDisplay`
        """
        from skmerge.plotting import MergeSearchDisplay

        return MergeSearchDisplay.from_search(self, top=top, ax=ax)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if is_precomputed(self.estimators):
            # The task is known from y, once fit has seen it.
            classifier = getattr(self, "_classifier", None)
            if classifier is not None:
                tags.estimator_type = "classifier" if classifier else "regressor"
            return tags
        try:
            named = [e for _, e in name_members(self.estimators) if not is_drop(e)]
        except (TypeError, ValueError):
            named = []
        if named and is_classifier(named[0]):
            tags.estimator_type = "classifier"
        elif named and is_regressor(named[0]):
            tags.estimator_type = "regressor"
        return tags
