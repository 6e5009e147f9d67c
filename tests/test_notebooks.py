"""The committed notebooks read as papers: figures stored, tables whole, no progress bars or
timings, every parameter visible to papermill and accepted by ``-p``, every note of the error
budgets used.

These tests read the notebooks as committed (``./reproduce.sh --inplace`` writes them); nbval,
run by the same suite, re-executes them and compares the checked outputs.
"""

import ast
import json
import re
import tomllib
from html.parser import HTMLParser

import nbformat
import papermill
import pytest

from qfcore import runner
from qfcore._paths import budgets_dir

NOTEBOOKS = runner.available_notebooks()
MAX_BYTES = 3_000_000
#: Text a progress bar (tqdm) or a stopwatch leaves in an output.
PROGRESS_OR_TIMING = re.compile(
    r"\d+it/s|s/it\]|\d+%\||\d+/\d+ \[\d\d:\d\d|\b(elapsed|took|wall time)\b"
    r"|\d(\.\d+)?(e[+-]?\d+)? ?(ms|µs|s)\b(?! *[=·/])",
    re.IGNORECASE,
)


def _cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _texts(cell):
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            yield out.name, out.text
        else:
            yield out.output_type, out.get("data", {}).get("text/plain", "")


class _Rows(HTMLParser):
    """Counts the <tr> of each <tbody> and keeps the text of the cells."""

    def __init__(self):
        super().__init__()
        self.body_rows, self.cells, self._in_body, self._in_cell = 0, [], False, False

    def handle_starttag(self, tag, attrs):
        self._in_body |= tag == "tbody"
        self.body_rows += tag == "tr" and self._in_body
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        self._in_body &= tag != "tbody"
        self._in_cell &= tag != "td"

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


def test_there_are_five_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_figure_is_stored(path):
    missing = [
        i
        for i, cell in enumerate(_cells(path))
        if ("save_figure(" in cell.source or "plt.show()" in cell.source)
        and not any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
    ]
    assert not missing, (
        f"{path.name}: code cells {missing} draw a figure but store no image; re-execute with "
        "./reproduce.sh --inplace"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_size_and_no_progress_bars_timings_or_errors(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    for i, cell in enumerate(_cells(path)):
        assert not set(cell.metadata) & {"execution", "papermill"}, f"cell {i} keeps timings"
        for kind, text in _texts(cell):
            assert kind not in ("error", "stderr"), f"cell {i} of {path.name} has {kind}: {text}"
            hit = PROGRESS_OR_TIMING.search(text)
            assert hit is None, f"cell {i} of {path.name} shows {hit.group()!r} in: {text[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_claims_table_is_whole(path):
    last = _cells(path)[-1]
    assert last.source.strip() == "claims.table()", "the last code cell shows the claims table"
    (out,) = last.outputs
    records = out.metadata["qfcore"]["claims"]
    assert records and all(r["notebook"] == path.stem for r in records)
    rows = _Rows()
    rows.feed(out.data["text/html"])
    assert rows.body_rows == len(records)
    assert [r["id"] for r in records] == rows.cells[:: len(rows.cells) // len(records)]
    assert all(r["source"] in rows.cells for r in records if r["source"]), "source shortened"
    text = out.data["text/plain"]
    words = set(text.split())
    for r in records:  # every row, its note unabridged (long cells continue on the next lines)
        assert f"\n{r['id']} " in text and set(r["note"].split()) <= words, r["id"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_no_truncated_table(path):
    """pandas and xarray reprs cut long tables with '...'; every displayed table is whole."""
    for i, cell in enumerate(_cells(path)):
        for out in cell.outputs:
            html_text = out.get("data", {}).get("text/html", "")
            assert "<td>...</td>" not in html_text and "<th>...</th>" not in html_text, i
            assert "pandas" not in json.dumps(out.get("metadata", {})), i


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_parameter_is_visible_to_papermill_and_accepted(path):
    cell = next(c for c in _cells(path) if "parameters" in c.metadata.get("tags", []))
    assigned = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
    }
    declared = papermill.inspect_notebook(str(path))
    assert set(declared) == set(assigned), "papermill cannot parse these parameter lines"
    for name, info in declared.items():
        value = runner.parse_value(info["default"])
        assert value == assigned[name] and type(value) is type(assigned[name]), name
        runner.check_parameters(path, {name: value})


def _recorded_names(path):
    """(target id, claim name as written) of every ledger call with literal ids, in order."""
    names, target = [], None
    for cell in _cells(path):
        calls = [
            node
            for node in ast.walk(ast.parse(cell.source))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ]
        for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            owner, method, first = node.func.value.id, node.func.attr, node.args[:1]
            literal = first[0].value if first and isinstance(first[0], ast.Constant) else None
            if (owner, method) == ("claims", "target"):
                target = literal
            elif owner == "t" and method in (
                "paper",
                "derived",
                "null",
                "erratum",
                "info",
                "check",
            ):
                names.append((target, literal))
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_budget_note_belongs_to_a_claim_of_its_notebook(path):
    budget = budgets_dir() / f"{path.stem}.toml"
    assert budget.is_file(), f"{path.name} has no error budget {budget}"
    notes = {
        (target, name)
        for target, table in tomllib.loads(budget.read_text()).items()
        for name in table
    }
    recorded = set(_recorded_names(path))  # (None, name): a target chosen at run time
    orphans = {(t, n) for t, n in notes if (t, n) not in recorded and (None, n) not in recorded}
    assert not orphans, f"notes in {budget.name} that no call of {path.name} records: {orphans}"
