"""Where generated outputs go: the project's ``figures/`` folder.

``QFCORE_FIGURES_DIR`` overrides it (used by the tests); otherwise it is ``figures/`` beside the
``qfcore`` package when that sits in a source checkout (editable install), else ``./figures``.
"""

from __future__ import annotations

import os
from pathlib import Path


def figures_dir() -> Path:
    """Return (and create) the folder that receives figures, data and claims ledgers."""
    env = os.environ.get("QFCORE_FIGURES_DIR")
    if env:
        path = Path(env)
    else:
        root = Path(__file__).resolve().parent.parent
        path = root / "figures" if (root / "pyproject.toml").is_file() else Path.cwd() / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def budgets_dir() -> Path:
    """Return the folder of the notebooks' error budgets, ``notebooks/budgets/``.

    Beside the ``qfcore`` package when that sits in a source checkout (editable install), else
    ``./budgets`` (a notebook runs in its own folder).
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root / "notebooks" / "budgets"
    return Path.cwd() / "budgets"
