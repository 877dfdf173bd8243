# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of skmerge's documentation.

Build (warnings are errors; the gallery's examples are executed)::

    python -m sphinx -W -b html doc doc/_build/html

Offline: no intersphinx inventory is fetched; scikit-learn is linked by URL.
"""

import os
import re
import sys
from pathlib import Path

from docutils import nodes

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent
sys.path.insert(0, str(ROOT))  # this checkout's skmerge, installed or not

# Examples draw on the Agg backend (no display needed), one BLAS thread each.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

import skmerge  # noqa: E402

threadpool_limits(1)  # the examples fit small models; extra threads only contend

project = "skmerge"
author = "The skmerge developers"
copyright = "The skmerge developers"
release = skmerge.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference ---------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc renders the docstrings; the class template lists the methods.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- gallery ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # "Examples using ..." on each API page.
    "doc_module": ("skmerge",),
    "backreferences_dir": "generated/backreferences",
    # Every example is executed; its open figures are scraped (the scripts
    # also save them with fig.savefig, as a user running them would).
    "filename_pattern": "/plot_",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    # Run every example at every build, even one unchanged since the last.
    "run_stale_examples": True,
    "plot_gallery": "True",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 5,
}

# -- HTML ------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmerge {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "header_links_before_dropdown": 5,
}
html_sidebars = {"index": []}


# -- benchmark tables ------------------------------------------------------
# The user guide includes the recorded tables of benchmarks/RESULTS.md with
# literalinclude between markers; a table fenced as markdown code keeps its
# fence lines (```) inside the markers, which are dropped here.
def _strip_markdown_fences(app, doctree):
    for block in doctree.findall(nodes.literal_block):
        if not str(block.get("source", "")).endswith("RESULTS.md"):
            continue
        lines = block.astext().strip("\n").splitlines()
        if lines and lines[0].startswith("```"):
            lines = lines[1:]
        if lines and lines[-1].startswith("```"):
            lines = lines[:-1]
        text = "\n".join(lines)
        block.children = []
        block += nodes.Text(text)
        block.rawsource = text


# -- methods inherited from scikit-learn -------------------------------------
# Their docstrings cross-reference scikit-learn's own user guide and glossary,
# which this offline build has no inventory of: those references are shown as
# plain text (scikit-learn's documentation has the linked pages).
_SKLEARN_REF = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^>]*>)?`")


def _sklearn_refs_as_text(app, what, name, obj, options, lines):
    if not getattr(obj, "__module__", "").startswith("sklearn"):
        return
    lines[:] = [_SKLEARN_REF.sub(r"\1", line) for line in lines]


# -- links to scikit-learn ----------------------------------------------------
# Without its inventory (nothing is fetched), a reference to a scikit-learn
# class or function is linked to its page by URL.
_SKLEARN_API = "https://scikit-learn.org/stable/modules/generated/{}.html"


def _link_sklearn(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or node.get("reftype") not in {
        "class",
        "func",
        "obj",
    }:
        return None
    if not target.startswith("sklearn.") or target.count(".") != 2:
        return None  # sklearn.<module>.<name> only: no methods, no modules
    reference = nodes.reference(
        "", "", internal=False, refuri=_SKLEARN_API.format(target), reftitle=target
    )
    reference += contnode
    return reference


def setup(app):
    app.connect("doctree-read", _strip_markdown_fences)
    app.connect("autodoc-process-docstring", _sklearn_refs_as_text)
    app.connect("missing-reference", _link_sklearn)
