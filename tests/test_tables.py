"""Tables shown whole: every row and cell in HTML and text, status colours, metadata, errors."""

import math
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from qfcore.tables import STATUS_COLOURS, Table, whole


def test_every_row_and_cell_is_shown_in_html_and_text():
    rows = [[f"T0.{i}-claim", f"Eq. ({i})", "1.0"] for i in range(200)]  # pandas would cut this
    table = Table(["id", "source", "value"], rows, caption="all of them")
    html = table._repr_html_()
    assert html.count("<tr>") == 201 and "<caption>all of them</caption>" in html
    text = repr(table)
    assert text.splitlines()[0] == "all of them" and len(text.splitlines()) == 203
    assert all(f"T0.{i}-claim" in text for i in range(200)) and "..." not in text


def test_long_cells_wrap_in_text_and_stay_whole():
    values = ", ".join(str(k) for k in range(60))
    text = repr(Table(["id", "values"], [["T0.11-born-weights", values]], wrap=30))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= len("T0.11-born-weights") + 2 + 30
    assert re.sub(r"\s+", " ", " ".join(line[20:] for line in lines[2:])).strip() == values


def test_html_escapes_and_colours_the_status_column():
    table = Table(["id", "status"], [["<b>x</b>", "FAIL"], ["y", "PASS"]], status=["fail", "pass"])
    html = table._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert f"background: {STATUS_COLOURS['fail']}" in html and 'class="status-pass"' in html
    assert html.count("background:") == 2  # the status cells only


def test_metadata_travels_in_the_mimebundle():
    data, metadata = Table(
        ["a"], [["1"]], metadata={"claims": [{"id": "T0.1-a"}]}
    )._repr_mimebundle_()
    assert set(data) == {"text/plain", "text/html"}
    assert metadata == {"qfcore": {"claims": [{"id": "T0.1-a"}]}}
    assert Table(["a"], [["1"]])._repr_mimebundle_()[1] == {}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rows": [["1", "2"]]}, ValueError, "rows\\[0\\] has 2 cells"),
        ({"status": ["pass", "pass"]}, ValueError, "status has 2 entries"),
        ({"status": ["great"]}, ValueError, "unknown"),
        ({"wrap": 3}, ValueError, "wrap must be at least 8"),
        ({"metadata": {"x": object()}}, TypeError, "not JSON serializable"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"columns": ["a"], "rows": [["1"]]} | kwargs
    with pytest.raises(error, match=match):
        Table(args.pop("columns"), args.pop("rows"), **args)


def test_whole_frame_with_index_multiindex_columns_and_nan():
    ds = xr.Dataset(
        {"mean": (("N", "kind"), [[0.5, 0.25], [math.nan, 0.125]])},
        coords={"N": [1, 20], "kind": ["bosons", "distinguishable"]},
    )
    table = whole(ds.to_dataframe().unstack("kind"), float_format="{:.2f}")
    assert table.columns == ["N", "mean bosons", "mean distinguishable"]
    assert table.rows == [["1", "0.50", "0.25"], ["20", "—", "0.12"]]
    plain = whole(pd.DataFrame({"x": [np.float64(1 / 3)]}))
    assert plain.columns == ["x"] and plain.rows == [["0.333333"]]
    assert whole(ds.sel(N=1)).rows[0][0] == "bosons"
    with pytest.raises(TypeError, match="DataFrame or xarray Dataset"):
        whole([[1, 2]])
