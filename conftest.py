"""Shared pytest set-up: figures and ledgers of the tests and doctests go to a temporary folder."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _figures_in_tmp(tmp_path, monkeypatch):
    """Keep tests from writing into the project's figures/ folder."""
    monkeypatch.setenv("QFCORE_FIGURES_DIR", str(tmp_path / "figures"))
