# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""The user guide's code runs: every ``>>>`` line of doc/user_guide/*.rst is a
doctest, run with the options of the docstring examples (setup.cfg).

Each page is one doctest namespace (its examples build on each other), run
on small data sets: the whole guide takes seconds.
"""

import doctest
import warnings
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

import skmerge  # noqa: F401  (loads numpy's and scipy's BLAS before the limit)

GUIDE = Path(__file__).resolve().parents[1] / "doc" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def test_the_guide_has_its_pages():
    names = {page.stem for page in PAGES}
    assert {
        "members",
        "soups",
        "stacking",
        "calibration",
        "which_route",
        "competition",
        "regression",
    } <= names


def test_every_public_name_has_an_api_page():
    import skmerge.metrics
    import skmerge.plotting

    listed = set((GUIDE.parent / "api.rst").read_text(encoding="utf-8").split())
    public = [name for name in skmerge.__all__ if name != "__version__"]
    public += skmerge.metrics.__all__ + skmerge.plotting.__all__
    assert sorted(set(public) - listed) == []


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_user_guide_page_doctests(page):
    pytest.importorskip("matplotlib")
    # One BLAS thread (as conftest.py sets, but for the libraries the pages
    # load themselves); warnings are not part of the pages' output.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of small examples
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
            raise_on_error=False,
            report=True,
            verbose=False,
            encoding="utf-8",
        )
    assert result.failed == 0, f"{result.failed} of {result.attempted} failed"
