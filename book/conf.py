"""Sphinx configuration of the reading edition (``./reproduce.sh --book``).

``qfcore.book.build`` runs Sphinx with this folder as the configuration directory and a staged
source folder (``build/book-src/source``) holding ``index.md``, the committed notebooks and the
generated ledger and errata pages. The notebooks are rendered with their stored outputs, never
executed. Warnings are errors (``-W``).
"""

import importlib.metadata

from qfcore.tables import STATUS_COLOURS

project = "qfcore"
author = "the qfcore authors"
release = importlib.metadata.version("qfcore")
html_title = "qfcore — a reading edition"

extensions = [
    "sphinx.ext.mathjax",
    "myst_nb",
    # MathJax 3 copied into _static/mathjax: the book renders its mathematics offline
    "sphinx-mathjax-offline",
]

# myst-nb: show the committed outputs as they are
nb_execution_mode = "off"
# $…$ and $$…$$ as in Jupyter; [PASS]{.status-pass} status labels; {{ release }} in index.md
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_inline", "substitution"]
myst_substitutions = {"release": release}
nitpicky = True
# values, notes and code-like text are shown as written: no curly quotes for ' and "
smartquotes = False

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # the staged notebooks carry the inserted evidence anchors, so they are not offered for
    # download (nor copied into _sources): readers get the notebooks from the repository
    "use_download_button": False,
}
html_copy_source = False
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
html_css_files = ["qfcore.css"]
html_context = {
    # light or dark as the reader's system prefers (an unset mode logs a console error)
    "default_mode": "auto",
    # qfcore.css.jinja colours the status labels like the notebooks' claims tables
    "status_colours": STATUS_COLOURS,
}
html_show_sphinx = False
