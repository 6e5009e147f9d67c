"""The web book (``./reproduce.sh --book``): built from the notebooks without executing them, with
every page, figure, formula and claims table, a ledger and an errata page that are complete and
link to the evidence, and nothing loaded from the network.

A synthetic notebook, made here with ``qfcore.claims`` so that its outputs have the real format,
tests the builder's pieces and a whole build. The committed notebooks are built once per session
too (a committed notebook without the claims table metadata fails, naming the command that
refreshes it). The browser tests drive the system Chromium
with Playwright over a local HTTP server (as a hosted book is read), plus one page from a
``file://`` URL (as ``build/book/index.html`` is opened); they skip when Chromium or Playwright is
missing.
"""

import base64
import functools
import http.server
import io
import re
import shutil
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag

import matplotlib.pyplot as plt
import nbformat
import pytest
import sympy

from qfcore import book, claims
from qfcore.runner import available_notebooks

SYNTHETIC = "90_synthetic"
v4 = nbformat.v4
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# -- a synthetic notebook in the companion's format ------------------------------------------------


def _png() -> str:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _synthetic_notebook(folder: Path) -> Path:
    """An executed notebook as ./reproduce.sh writes one: title and paper, two target sections,
    a figure, a sympy formula, printed claims, a claim recorded silently under a computed id,
    and the closing claims table with the records in its output metadata."""
    claims.start(SYNTHETIC)
    printed = claims.record(
        "T9.1-printed", 0.5001, 0.5, atol=1e-3, source="Eq. (1)", expected_origin="paper"
    )
    claims.record("T9.1-named", 2, 2, source="Eq. (2)", expected_origin="derived")
    claims.record(
        "T9.2-sign",
        -4,
        -3,
        kind="erratum",
        source="Eq. (3) *as printed*",
        note="the sign of *x* is [wrong] <b>twice</b> `here`",
    )
    table_data, table_metadata = claims.table()._repr_mimebundle_()
    x = sympy.Symbol("x")
    formula = rf"\int {sympy.latex(x**2)}\, dx = {sympy.latex(sympy.integrate(x**2, x))}"
    cells = [
        v4.new_markdown_cell(
            "# A synthetic paper\n\n"
            '**Paper.** A. Author, "A title",\n*J. Test.* **1**, 2 (2020).\n\n'
            "Markdown mathematics as in Jupyter: $E = mc^2$."
        ),
        v4.new_markdown_cell("## T9.1 — The first target (Eqs. 1–2)"),
        v4.new_code_cell(
            'print(claims.record("T9.1-printed", 0.5001, 0.5, atol=1e-3, source="Eq. (1)"))',
            outputs=[
                v4.new_output("stream", name="stdout", text=f"{printed!r}\n"),
                v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
            ],
        ),
        v4.new_code_cell('claims.record("T9.1-named", 2, 2, source="Eq. (2)")'),
        v4.new_markdown_cell("## T9.2 — The second target"),
        v4.new_code_cell(
            'for name in ["sign"]:\n    claims.record(f"T9.2-{name}", -4, -3, kind="erratum")\n'
            "display(Math(formula))",
            outputs=[
                v4.new_output(
                    "display_data",
                    data={"text/latex": f"$\\displaystyle {formula}$", "text/plain": formula},
                )
            ],
        ),
        v4.new_code_cell(
            "claims.table()",
            execution_count=1,
            outputs=[
                v4.new_output(
                    "execute_result", data=table_data, metadata=table_metadata, execution_count=1
                )
            ],
        ),
    ]
    path = folder / f"{SYNTHETIC}.ipynb"
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    nbformat.write(v4.new_notebook(cells=cells, metadata=metadata), path)
    return path


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QFCORE_FIGURES_DIR", str(tmp_path_factory.mktemp("figures")))
        _synthetic_notebook(folder)
    return folder


@pytest.fixture
def synthetic(synthetic_folder):
    return nbformat.read(synthetic_folder / f"{SYNTHETIC}.ipynb", as_version=4)


# -- the builder's pieces --------------------------------------------------------------------------


def test_notebook_claims_are_the_records_of_the_closing_table(synthetic):
    records = book.notebook_claims(synthetic, SYNTHETIC)
    assert [r["id"] for r in records] == ["T9.1-printed", "T9.1-named", "T9.2-sign"]
    assert [r["status"] for r in records] == ["pass", "pass", "erratum"]
    assert set(records[0]) == set(claims.Claim.__dataclass_fields__)


def test_a_notebook_without_the_metadata_is_refused_with_the_fix(synthetic):
    synthetic.cells[-1].outputs[0].metadata = {}
    with pytest.raises(book.MissingClaimsError) as error:
        book.notebook_claims(synthetic, SYNTHETIC)
    message = str(error.value)
    assert SYNTHETIC in message and "./reproduce.sh --inplace 90" in message


def test_evidence_is_found_by_output_then_source_then_heading(synthetic):
    ids = ["T9.1-printed", "T9.1-named", "T9.2-sign"]
    assert book.evidence_cells(synthetic, ids) == {
        "T9.1-printed": 2,  # its printed "T9.1-printed: computed …" line
        "T9.1-named": 3,  # the id in the cell's source
        "T9.2-sign": 4,  # an f-string id: the "## T9.2 — …" heading
    }


def test_evidence_is_the_cell_of_a_target_block_table_not_the_closing_table():
    claims.start("99_evidence")
    with claims.target("T9.3", "Eq. (1)") as t:
        t.paper("shown-in-a-table", 1.0, 1.0)
    block, block_meta = t.table()._repr_mimebundle_()
    closing, closing_meta = claims.table()._repr_mimebundle_()
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("## T9.3 — A section"),
            v4.new_code_cell(
                "t", outputs=[v4.new_output("execute_result", block, metadata=block_meta)]
            ),
            v4.new_code_cell(
                "claims.table()",
                outputs=[v4.new_output("display_data", closing, metadata=closing_meta)],
            ),
        ]
    )
    assert book.evidence_cells(nb, ["T9.3-shown-in-a-table"]) == {"T9.3-shown-in-a-table": 1}


def test_evidence_matches_whole_ids_and_whole_target_ids():
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("## T9.10 — Not the section of T9.1"),
            v4.new_code_cell('claims.record("T9.1-named-longer", 1)'),
            v4.new_code_cell(
                "pass",
                outputs=[v4.new_output("stream", name="stdout", text="T9.1-nam: computed 1\n")],
            ),
        ]
    )
    assert book.evidence_cells(nb, ["T9.1-named", "T9.10-x"]) == {"T9.10-x": 0}


def test_a_claim_without_evidence_is_an_error(synthetic, tmp_path):
    synthetic.cells[4].source = "## Another section"
    path = tmp_path / f"{SYNTHETIC}.ipynb"
    nbformat.write(synthetic, path)
    with pytest.raises(ValueError, match=r"no evidence found for T9\.2-sign"):
        book.read_chapter(path)


def test_chapter_title_citation_and_targets(synthetic_folder):
    chapter = book.read_chapter(synthetic_folder / f"{SYNTHETIC}.ipynb")
    assert chapter.title == "A synthetic paper"
    assert chapter.citation == 'A. Author, "A title", *J. Test.* **1**, 2 (2020).'
    assert chapter.targets == {"T9.1": "The first target (Eqs. 1–2)", "T9.2": "The second target"}
    assert chapter.docname == f"notebooks/{SYNTHETIC}"


def test_claim_labels_are_anchor_ids():
    assert book.claim_label("T0.3-box-product") == "claim-t0-3-box-product"
    assert book.claim_label("T2.5-fock2_average+x=1") == "claim-t2-5-fock2-average-x-1"


def test_ledger_page_groups_by_notebook_and_target(synthetic_folder):
    page = book.ledger_page([book.read_chapter(synthetic_folder / f"{SYNTHETIC}.ipynb")])
    assert "## A synthetic paper" in page
    assert page.index("### T9.1 — The first target (Eqs. 1–2)") < page.index(
        "### T9.2 — The second target"
    )
    assert page.count("{ref}`T9.") == 3
    assert "{ref}`T9.2-sign <claim-t9-2-sign>`" in page
    assert "[ERRATUM]{.status-erratum}" in page


def test_errata_page_lists_each_erratum_with_its_paper(synthetic_folder):
    page = book.errata_page([book.read_chapter(synthetic_folder / f"{SYNTHETIC}.ipynb")])
    assert page.count("{ref}`") == 1
    assert 'Paper: A. Author, "A title", *J. Test.* **1**, 2 (2020).' in page


def test_staging_adds_targets_and_keeps_every_cell_and_output(synthetic_folder, tmp_path):
    chapter = book.read_chapter(synthetic_folder / f"{SYNTHETIC}.ipynb")
    book.stage([chapter], tmp_path)
    staged = nbformat.read(tmp_path / "notebooks" / f"{SYNTHETIC}.ipynb", as_version=4)
    added = [c for c in staged.cells if c.get("id", "").startswith("qfcore-claims-")]
    kept = [c for c in staged.cells if c not in added]
    assert kept == chapter.notebook.cells
    assert [c.source for c in added] == [
        "(claim-t9-1-printed)=",
        "(claim-t9-1-named)=",
        "(claim-t9-2-sign)=",
    ]
    assert [staged.cells.index(c) + 1 for c in added] == [
        staged.cells.index(kept[i]) for i in (2, 3, 4)
    ]
    assert {p.name for p in tmp_path.iterdir()} == {
        "index.md",
        "papers.inc",
        "ledger.md",
        "errata.md",
        "exercises.md",
        "notebooks",
    }


# -- whole builds: the synthetic notebook, and the committed notebooks ----------------------------


@dataclass
class Built:
    root: Path
    chapters: dict[str, list[dict]]  # notebook name -> its ledger records
    titles: dict[str, str]  # notebook name -> its "# " title

    @property
    def records(self) -> list[dict]:
        return [r for records in self.chapters.values() for r in records]

    def pages(self) -> dict[str, str]:
        """Page path (relative to the root) -> expected h1 text."""
        index_title = (book.BOOK / "index.md").read_text().splitlines()[0].removeprefix("# ")
        return {
            "index.html": index_title,
            **{f"notebooks/{name}.html": title for name, title in self.titles.items()},
            "ledger.html": "Claims ledger",
            "errata.html": "Errata",
            "exercises.html": "Exercises",
        }


@pytest.fixture(scope="session", params=["synthetic", "committed"])
def built(request, tmp_path_factory):
    if request.param == "synthetic":
        folder = request.getfixturevalue("synthetic_folder")
    else:
        folder = book.NOTEBOOKS
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in available_notebooks(folder)}
    records = {name: book.notebook_claims(nb, name) for name, nb in notebooks.items()}
    titles = {
        name: next(c.source for c in nb.cells if c.cell_type == "markdown")
        .splitlines()[0]
        .removeprefix("# ")
        for name, nb in notebooks.items()
    }
    out = tmp_path_factory.mktemp(f"book-{request.param}")
    index = book.build(out_dir=out / "book", work_dir=out / "work", notebooks_dir=folder)
    assert index == out / "book" / "index.html"
    return Built(out / "book", records, titles)


class _Page(HTMLParser):
    """What the tests read of a page: the first h1, ids, links, loaded resources, table rows."""

    def __init__(self, path: Path):
        super().__init__()
        self.h1, self.ids, self.links, self.loads, self.images = "", set(), [], [], []
        self.rows: dict[str, list[list[str]]] = {}  # table class -> body rows (cell texts)
        self._h1 = self._headerlink = self._body = self._cell = False
        self._seen_h1 = False
        self._table: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "h1" and not self._seen_h1:
            self._h1 = self._seen_h1 = True
        elif tag == "a":
            self._headerlink = "headerlink" in (a.get("class") or "")
            if "href" in a:
                self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a.get("src", ""))
            self.loads.append(a.get("src", ""))
        elif (tag in ("script", "iframe") and "src" in a) or (tag == "link" and "href" in a):
            self.loads.append(a.get("src") or a.get("href"))
        elif tag == "table":
            self._table = (a.get("class") or "").split()
        elif tag == "tbody":
            self._body = True
        elif tag == "tr" and self._body:
            for css_class in self._table:
                self.rows.setdefault(css_class, []).append([])
        elif tag == "td" and self._body:
            self._cell = True
            for css_class in self._table:
                self.rows[css_class][-1].append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._h1 = False
        elif tag == "a":
            self._headerlink = False
        elif tag == "tbody":
            self._body = False
        elif tag == "td":
            self._cell = False

    def handle_data(self, data):
        if self._h1 and not self._headerlink:
            self.h1 += data
        if self._cell:
            for css_class in self._table:
                self.rows[css_class][-1][-1] += data


@functools.cache
def _parsed(path: Path) -> _Page:
    return _Page(path)


def _texts(rows: list[list[str]]) -> list[list[str]]:
    return [[" ".join(cell.split()) for cell in row] for row in rows]


def test_every_page_exists_with_its_title(built):
    for page, title in built.pages().items():
        assert _parsed(built.root / page).h1.strip() == title, page


def test_every_image_is_on_disk(built):
    pages = sorted(built.root.rglob("*.html"))
    images = [(page, src) for page in pages for src in _parsed(page).images]
    assert sum(src.startswith("../_images/") for _, src in images) >= 1  # the notebooks' figures
    for page, src in images:
        assert (page.parent / src).is_file(), f"{page.name}: image {src} missing"


def test_nothing_is_loaded_from_the_network(built):
    remote = re.compile(r"^(https?:)?//", re.IGNORECASE)
    for page in built.root.rglob("*.html"):
        assert not [u for u in _parsed(page).loads if remote.match(u)], page.name
    css_import = re.compile(r"url\(\s*['\"]?(https?:)?//|@import\s+['\"]?(https?:)?//", re.I)
    for sheet in built.root.rglob("*.css"):
        assert not css_import.search(sheet.read_text(encoding="utf-8")), sheet.name
    assert (built.root / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_notebook_pages_show_the_whole_claims_table(built):
    for name, records in built.chapters.items():
        rows = _parsed(built.root / "notebooks" / f"{name}.html").rows.get("qfcore-claims", [])
        assert len(rows) == len(records), name


def _assert_links_resolve(built, page: str, records: list[dict]) -> None:
    """Each record's id links, from ``page``, to the anchor of its evidence on its notebook page."""
    links = {}
    for href in _parsed(built.root / page).links:
        target, anchor = urldefrag(href)
        if anchor.startswith("claim-"):
            links[anchor] = target
    assert set(links) == {book.claim_label(r["id"]) for r in records}
    for record in records:
        anchor = book.claim_label(record["id"])
        assert links[anchor] == f"notebooks/{record['notebook']}.html"
        assert anchor in _parsed(built.root / links[anchor]).ids, record["id"]


def test_ledger_has_every_claim_as_displayed_linked_to_its_evidence(built):
    rows = _texts(_parsed(built.root / "ledger.html").rows["qfcore-ledger"])
    shown = {
        r["id"]: [" ".join(v.split()) for v in claims.display_row(r).values()]
        for r in built.records
    }
    assert len(rows) == len(built.records)
    assert {row[0]: row for row in rows} == shown
    _assert_links_resolve(built, "ledger.html", built.records)


def test_errata_page_has_every_erratum_linked_to_its_evidence(built):
    errata = [r for r in built.records if r["status"] == "erratum"]
    rows = _texts(_parsed(built.root / "errata.html").rows.get("qfcore-errata", []))
    assert len(rows) == len(errata)
    expected = {}
    for r in errata:
        shown = claims.display_row(r)
        cells = [r["id"], shown["source"], shown["paper"], shown["computed"], r["note"]]
        expected[r["id"]] = [" ".join(c.split()) for c in cells]
    assert {row[0]: row for row in rows} == expected
    _assert_links_resolve(built, "errata.html", errata)


# -- in a browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip(
            "Chromium not found: install it with `apt-get install chromium` (Debian/Ubuntu) "
            "to run the browser tests"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url(built):
    handler = functools.partial(_QuietHandler, directory=str(built.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def errors():
    """What went wrong in the browser: console errors, page errors, failed loads."""
    return []


@pytest.fixture
def page(chromium, errors):
    """A fresh browser page whose problems are collected in ``errors``.

    Tests open pages with ``wait_until="networkidle"``: leaving a page while it still loads
    (MathJax fetches its fonts lazily) would abort those requests and count as failures.
    """
    context = chromium.new_context()
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and errors.append(f"console: {m.text} ({m.location})"),
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} ({r.failure})"))
    yield page
    context.close()


_VISIBLE_TEXT = """() => {
    const copy = document.querySelector("main").cloneNode(true);
    copy.querySelectorAll("pre, code, script, style, mjx-container").forEach(e => e.remove());
    return copy.textContent;
}"""


def _typeset(page) -> int:
    """Wait for MathJax (when the page loads it) and return how many formulas the page has."""
    formulas = page.locator(".math").count()
    if page.locator("script[src*='mathjax']").count():
        page.wait_for_function("() => window.MathJax?.startup?.promise")
        page.evaluate("() => MathJax.startup.promise")
    return formulas


def test_every_page_reads_whole_in_the_browser(built, base_url, page, errors):
    expected_rows = {f"notebooks/{name}.html": len(r) for name, r in built.chapters.items()}
    expected_rows["ledger.html"] = len(built.records)
    expected_rows["errata.html"] = sum(r["status"] == "erratum" for r in built.records)
    table_class = {"ledger.html": "qfcore-ledger", "errata.html": "qfcore-errata"}
    notebook_formulas = 0
    for path, title in built.pages().items():
        page.goto(base_url + path, wait_until="networkidle")
        formulas = _typeset(page)
        notebook_formulas += formulas if path.startswith("notebooks/") else 0
        assert page.locator("h1").first.inner_text().rstrip("#").strip() == title, path
        unloaded = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert unloaded == [], path
        assert page.locator("mjx-container").count() >= formulas, path
        assert page.locator("mjx-merror").count() == 0, path
        assert not re.search(r"\$[^$\n]+\$", page.evaluate(_VISIBLE_TEXT)), path
        if path in expected_rows:
            rows = page.locator(f"table.{table_class.get(path, 'qfcore-claims')} tbody tr")
            assert rows.count() == expected_rows[path], path
            if expected_rows[path]:
                assert rows.first.is_visible(), path
    assert notebook_formulas > 0  # the notebooks' sympy results and markdown mathematics
    assert errors == []


def test_a_ledger_link_lands_on_the_evidence(built, base_url, page, errors):
    from playwright.sync_api import expect

    record = built.records[-1]
    page.goto(base_url + "ledger.html", wait_until="networkidle")
    page.get_by_role("link", name=record["id"], exact=True).click()
    anchor = book.claim_label(record["id"])
    page.wait_for_url(re.compile(rf"notebooks/{record['notebook']}\.html#{anchor}$"))
    _typeset(page)  # formulas above the anchor take their final height
    expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()
    assert errors == []


def test_math_and_fonts_load_from_a_file_url(built, page, errors):
    """Opened straight from disk (file://), MathJax still typesets and loads its fonts."""
    with_math = [
        path
        for path in sorted((built.root / "notebooks").glob("*.html"))
        if "math notranslate" in path.read_text(encoding="utf-8")
    ]
    page.goto(with_math[0].as_uri(), wait_until="networkidle")
    formulas = _typeset(page)
    assert page.locator("mjx-container").count() >= formulas > 0
    fonts = page.evaluate(
        "() => [...document.fonts].filter(f => f.family.startsWith('MJX')).map(f => f.status)"
    )
    assert "loaded" in fonts and "error" not in fonts
    assert errors == []


def test_exercises_page_links_every_task_of_the_committed_notebooks():
    chapters = [book.read_chapter(p) for p in book.available_notebooks()]
    page = book.exercises_page(chapters)
    for chapter in chapters:
        tasks = book.exercise_tasks(chapter.notebook)
        assert len(tasks) >= 3, chapter.name
        for _, number, heading in tasks:
            assert f"### {heading}\n" in page
            assert f"<{book.exercise_label(number)}>`" in page
