"""Tables shown whole in a notebook: every row, every column, as HTML and as plain text.

pandas and xarray cut long tables to their first and last rows and shorten wide cells, which is
right for exploring data and wrong for an executable paper, whose tables are part of the text.
:class:`Table` renders every cell as given (the caller formats the numbers), as an HTML table
for JupyterLab, code-hosting viewers and the web book, and as aligned plain text for terminals
and nbval. Rows may carry a status (``pass``, ``fail``, ``erratum``, ``info``) that colours the
row in HTML and is spelt out in the text, so nothing rests on colour alone.
"""

from __future__ import annotations

import html
import json
import math
import textwrap

__all__ = ["STATUS_COLOURS", "Table", "whole"]

#: Background colours of status cells (light tints of the Okabe–Ito palette of the figures).
STATUS_COLOURS = {
    "pass": "#d4ecd9",
    "fail": "#f6cfc0",
    "erratum": "#fbe3b4",
    "info": "#dcebf5",
}


class Table:
    """A table displayed whole, with optional per-row status and machine-readable metadata.

    Parameters
    ----------
    columns : sequence of str
        Column headers, length ``n_columns``.
    rows : sequence of sequence
        ``n_rows`` rows of ``n_columns`` cells each; every cell is shown as ``str(cell)``.
    status : sequence of str, optional
        One status per row (a key of :data:`STATUS_COLOURS`); the row's ``status`` column, if
        any, is coloured by it in HTML.
    caption : str, optional
        A caption above the table.
    css_class : str
        Extra CSS class of the ``<table>`` element (it always has ``qfcore-table``).
    metadata : dict, optional
        JSON-serialisable data attached to the notebook output (``output.metadata``), where
        tools read it without parsing the HTML; it is not displayed.
    wrap : int
        In the plain text, cells after the first column that are longer than ``wrap``
        characters continue on the following lines (nothing is cut).

    Raises
    ------
    ValueError
        If a row or ``status`` has the wrong length, a status is unknown, or ``wrap < 8``.
    TypeError
        If ``metadata`` is not JSON-serialisable.

    Examples
    --------
    >>> t = Table(["quantity", "value"], [["sigma_q", "0.707"], ["sigma_p", "0.707"]])
    >>> print(repr(t))
    quantity  value
    --------  -----
    sigma_q   0.707
    sigma_p   0.707
    """

    def __init__(
        self, columns, rows, *, status=None, caption=None, css_class="", metadata=None, wrap=40
    ) -> None:
        self.columns = [str(c) for c in columns]
        self.rows = [[str(cell) for cell in row] for row in rows]
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"rows[{i}] has {len(row)} cells but there are {len(self.columns)} columns."
                )
        self.status = None if status is None else [str(s) for s in status]
        if self.status is not None:
            if len(self.status) != len(self.rows):
                raise ValueError(
                    f"status has {len(self.status)} entries for {len(self.rows)} rows."
                )
            unknown = sorted(set(self.status) - set(STATUS_COLOURS))
            if unknown:
                raise ValueError(f"status {unknown} unknown; use one of {list(STATUS_COLOURS)}.")
        if int(wrap) < 8:
            raise ValueError(f"wrap must be at least 8 characters; got {wrap!r}.")
        self.wrap = int(wrap)
        self.caption = caption
        self.css_class = css_class
        # a JSON round trip: a value a notebook cannot store fails here, not when saving
        self.metadata = json.loads(json.dumps(metadata)) if metadata else {}

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        lines = [[self._lines(cell, j) for j, cell in enumerate(row)] for row in self.rows]
        widths = [
            max([len(h), *(len(x) for row in lines for x in row[j])])
            for j, h in enumerate(self.columns)
        ]
        out = [self.caption] if self.caption else []
        out.append("  ".join(h.ljust(w) for h, w in zip(self.columns, widths, strict=True)))
        out.append("  ".join("-" * w for w in widths))
        for row in lines:
            for k in range(max(len(cell) for cell in row)):
                parts = [
                    (cell[k] if k < len(cell) else "").ljust(w)
                    for cell, w in zip(row, widths, strict=True)
                ]
                out.append("  ".join(parts).rstrip())
        return "\n".join(out)

    def _lines(self, cell: str, column: int) -> list[str]:
        text = " ".join(cell.split())
        if column == 0 or len(text) <= self.wrap:
            return [text]
        return textwrap.wrap(text, self.wrap, break_on_hyphens=False) or [""]

    def _repr_html_(self) -> str:
        status_col = self.columns.index("status") if "status" in self.columns else None
        classes = " ".join(filter(None, ["qfcore-table", self.css_class]))
        parts = [f'<table class="{classes}" style="border-collapse: collapse; font-size: 0.9em">']
        if self.caption:
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
        head = "".join(
            f'<th style="text-align: left; padding: 2px 8px">{html.escape(h)}</th>'
            for h in self.columns
        )
        parts.append(f"<thead><tr>{head}</tr></thead><tbody>")
        for i, row in enumerate(self.rows):
            state = self.status[i] if self.status else None
            row_attr = f' class="status-{state}"' if state else ""
            cells = []
            for j, cell in enumerate(row):
                style = "text-align: left; vertical-align: top; padding: 2px 8px"
                if state and j == status_col:
                    style += f"; background: {STATUS_COLOURS[state]}; font-weight: bold"
                cells.append(f'<td style="{style}">{html.escape(cell)}</td>')
            parts.append(f"<tr{row_attr}>{''.join(cells)}</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/plain": repr(self), "text/html": self._repr_html_()}
        return data, ({"qfcore": self.metadata} if self.metadata else {})


def whole(frame, *, float_format=None, caption=None) -> Table:
    """A pandas DataFrame (or xarray Dataset) as a :class:`Table` shown whole.

    Parameters
    ----------
    frame : pandas.DataFrame or xarray.Dataset
        ``n_rows`` rows; a Dataset is converted with ``to_dataframe()``. Index levels become
        leading columns; a column MultiIndex is joined with ``" "``.
    float_format : str or callable, optional
        Format of float cells, e.g. ``"{:.3g}"`` or ``"{:.4f}".format`` (default ``repr`` of
        the float rounded to 6 significant digits). NaN is shown as ``—``.
    caption : str, optional

    Returns
    -------
    Table

    Raises
    ------
    TypeError
        If ``frame`` is neither a DataFrame nor a Dataset.

    Examples
    --------
    >>> import pandas as pd
    >>> t = whole(pd.DataFrame({"N": [1, 20], "error": [0.451, 0.0172]}), float_format="{:.2%}")
    >>> t.rows
    [['1', '45.10%'], ['20', '1.72%']]
    """
    import pandas as pd

    if hasattr(frame, "to_dataframe") and not isinstance(frame, pd.DataFrame):
        frame = frame.to_dataframe()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame or xarray Dataset; got {type(frame)}.")
    fmt = float_format.format if isinstance(float_format, str) else float_format
    has_index = not isinstance(frame.index, pd.RangeIndex)
    flat = frame.reset_index() if has_index else frame
    columns = [
        " ".join(str(p) for p in c if str(p)) if isinstance(c, tuple) else str(c)
        for c in flat.columns
    ]

    def cell(v):
        if isinstance(v, float):
            if math.isnan(v):
                return "—"
            return fmt(v) if fmt else f"{v:.6g}"
        return str(v)

    rows = [[cell(v) for v in row] for row in flat.itertuples(index=False, name=None)]
    return Table(columns, rows, caption=caption)
