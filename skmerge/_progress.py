# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Progress of a fit as scikit-learn's callback API (1.9+) sees it.

A fit is a tree of tasks. The root is the estimator's ``fit``; its children
are phases (predicting the members, fitting them, the recipe, the
temperature...), and a phase has one leaf task per member or recipe step.
A member that skmerge fits itself (``prefit=False``) and that supports
callbacks receives the auto-propagated ones (such as ``ProgressBar``) and
hangs its own tasks (say, LogisticRegression's iterations) under its leaf, as
:class:`~sklearn.pipeline.Pipeline` does for its steps: nested progress.
Prefit members are never touched: their leaves are the predictions skmerge
makes with them.

Before scikit-learn 1.9 there is no callback API: the estimators have no
``set_callbacks`` and every task here does nothing.
"""

from contextlib import contextmanager

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stands in for scikit-learn's mixin where it does not exist (< 1.9)."""


class Task:
    """One task of a fit: a callback context, or None without callbacks.

    Parameters
    ----------
    estimator : estimator instance
        The skmerge estimator whose fit this task belongs to (passed to the
        hooks as scikit-learn's own meta-estimators pass themselves).

    context : CallbackContext or None
        The task's context; None when the installed scikit-learn has no
        callback API.
    """

    def __init__(self, estimator, context=None):
        self.estimator = estimator
        self.context = context

    @classmethod
    def root(cls, estimator, n_subtasks):
        """The root task of ``estimator``'s fit, begun: ``n_subtasks`` phases.

        Call it inside a fit decorated with ``_fit_context``, which tears the
        callbacks down (scikit-learn >= 1.9) whether the fit succeeds or not.
        """
        init = getattr(estimator, "_init_callback_context", None)
        task = cls(estimator, None if init is None else init(max_subtasks=n_subtasks))
        task.begin()
        return task

    def subtask(self, name, n_subtasks=0):
        """A child task (a leaf when ``n_subtasks`` is 0); not begun."""
        if self.context is None:
            return Task(self.estimator)
        return Task(
            self.estimator,
            self.context.subcontext(task_name=name, max_subtasks=n_subtasks),
        )

    def begin(self):
        if self.context is not None:
            self.context.call_on_fit_task_begin(estimator=self.estimator)
        return self

    def end(self):
        if self.context is not None:
            self.context.call_on_fit_task_end(estimator=self.estimator)

    @contextmanager
    def running(self, sub_estimator=None):
        """Run the task: begin, the body, end.

        With ``sub_estimator`` (an estimator fitted in the body) that
        supports callbacks, the auto-propagated callbacks are passed to it
        for the duration and its own task tree is attached under this leaf.
        """
        if self.context is None:
            yield
            return
        if sub_estimator is not None and hasattr(sub_estimator, "set_callbacks"):
            with self.context.propagate_callback_context(sub_estimator):
                self.begin()
                yield
                self.end()
        else:
            self.begin()
            yield
            self.end()


def leaves(task, names, prefix):
    """One leaf task per name under ``task`` (``None`` task: no-op leaves).

    Leaves handed to parallel workers are made here, beforehand, in the
    calling thread, as :class:`~sklearn.model_selection.GridSearchCV` does.
    """
    if task is None:
        return [None] * len(names)
    return [task.subtask(f"{prefix} {name}") for name in names]


@contextmanager
def running(task, sub_estimator=None):
    """``task.running(sub_estimator)``, or nothing when ``task`` is None."""
    if task is None:
        yield
    else:
        with task.running(sub_estimator):
            yield
