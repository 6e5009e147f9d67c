"""The reading edition: a static web book of the committed notebooks (Sphinx, myst-nb).

``./reproduce.sh --book`` (or ``python -m qfcore.book``) builds ``build/book/index.html`` from
the notebooks *as committed*, without executing them:

1. Each notebook's closing claims table (``claims.table()``) stores the full ledger records in
   its output metadata (``output.metadata["qfcore"]["claims"]``); :func:`notebook_claims` reads
   them.
2. :func:`evidence_cells` finds, for each claim, the cell that shows its evidence: the code cell
   that printed ``"<id>: computed …"`` (``print(claims.record(...))``), else the code cell whose
   source names the id, else the heading of the claim's target section.
3. :func:`stage` copies the notebooks into a source folder with a markdown cell of MyST targets
   ``(claim-…)=`` before each evidence cell (outputs untouched), and writes the claims ledger
   (:func:`ledger_page`) and errata (:func:`errata_page`) pages, whose ``{ref}`` links Sphinx
   checks.
4. :func:`build` runs Sphinx with ``book/`` as the configuration folder, warnings as errors,
   and publishes the HTML only when the build succeeded.

Nothing here writes into ``notebooks/`` or ``book/``.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from qfcore import claims
from qfcore.runner import NOTEBOOKS, ROOT, available_notebooks

__all__ = [
    "BOOK",
    "BookBuildError",
    "Chapter",
    "MissingClaimsError",
    "build",
    "claim_label",
    "errata_page",
    "evidence_cells",
    "exercise_label",
    "exercise_tasks",
    "exercises_page",
    "ledger_page",
    "main",
    "notebook_claims",
    "papers_list",
    "read_chapter",
    "stage",
]

#: Sphinx configuration, landing page and static files of the book.
BOOK = ROOT / "book"
#: Default output folder (``index.html`` lands here) and staging folder.
OUT_DIR = ROOT / "build" / "book"
WORK_DIR = ROOT / "build" / "book-src"
#: Folder of the notebook pages inside the book (their docnames are ``notebooks/<name>``).
NOTEBOOK_FOLDER = "notebooks"

_TARGET_HEADING = re.compile(r"^#{1,6}\s+(T\d+\.\d+)(?!\d)[\s—–:-]*(.*)$", re.MULTILINE)
_TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)
_PAPER = re.compile(r"^\*\*Paper\.\*\*\s*(.+?)(?:\n\s*\n|\Z)", re.MULTILINE | re.DOTALL)
#: Characters of a claim id (``qfcore.claims``): an id inside a longer one is no match.
_ID_CHARS = r"[A-Za-z0-9_.+=-]"
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


class MissingClaimsError(ValueError):
    """A committed notebook has no claims table with the ledger records in its metadata."""


class BookBuildError(RuntimeError):
    """Sphinx failed or warned (warnings are errors); its messages were printed above."""


@dataclass(frozen=True)
class Chapter:
    """One notebook as a chapter of the book.

    Attributes
    ----------
    name : str
        Notebook file name without ``.ipynb``, e.g. ``"00_ontic_extension_epistemic_restriction"``.
    title : str
        The notebook's ``# `` heading (its page title).
    citation : str
        The markdown after ``**Paper.**`` in the notebook's opening, ``""`` if there is none.
    targets : dict of str to str
        Target id -> title of its section (``"T0.1"`` -> ``"The epistemic-restriction sampler
        (Eqs. 6, 7, 17)"``).
    claims : list of dict
        The ledger records stored by the notebook's claims table, in recording order.
    evidence : dict of str to int
        Claim id -> index of the cell that shows its evidence (:func:`evidence_cells`).
    notebook : nbformat.NotebookNode
        The notebook as read.
    """

    name: str
    title: str
    citation: str
    targets: dict[str, str]
    claims: list[dict]
    evidence: dict[str, int]
    notebook: nbformat.NotebookNode = field(repr=False)

    @property
    def docname(self) -> str:
        """The notebook's page in the book, e.g. ``"notebooks/00_…"``."""
        return f"{NOTEBOOK_FOLDER}/{self.name}"


def notebook_claims(nb: nbformat.NotebookNode, name: str) -> list[dict]:
    """The ledger records stored by a notebook's closing claims table.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook whose last code cell displays ``claims.table()``.
    name : str
        The notebook's name (file name without ``.ipynb``), for the error message.

    Returns
    -------
    list of dict
        ``output.metadata["qfcore"]["claims"]`` of the last code cell: one dict per claim with
        the keys of :class:`qfcore.claims.Claim`.

    Raises
    ------
    MissingClaimsError
        If the last code cell has no output with that metadata (a notebook executed before
        ``claims.table()`` stored it, or not executed at all); the message names the notebook
        and the command that refreshes it.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("claims.table()")])
    >>> notebook_claims(nb, "00_example")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qfcore.book.MissingClaimsError: notebook 00_example has no claims table ... --inplace 00
    """
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for output in code[-1].get("outputs", []) if code else []:
        records = output.get("metadata", {}).get("qfcore", {}).get("claims")
        if records is not None:
            return list(records)
    raise MissingClaimsError(
        f"notebook {name} has no claims table with ledger records: its last code cell must "
        "display claims.table(), whose output metadata ['qfcore']['claims'] holds the records. "
        f"Re-execute it with ./reproduce.sh --inplace {name.split('_')[0]}"
    )


def evidence_cells(nb: nbformat.NotebookNode, claim_ids: Iterable[str]) -> dict[str, int]:
    """Where each claim's evidence is shown: the index of a cell of ``nb``.

    In order of preference: the code cell that shows the claim — a row of a
    :func:`qfcore.claims.target` block's table (an HTML cell holding exactly the id; the closing
    ledger table, which shows every claim, does not count) or a standard-output line starting
    with ``"<id>: computed "`` (what ``print(claims.record(...))`` prints); the last such cell
    if the claim was recorded again —, then the last code cell whose source names the id, then
    the markdown cell whose heading starts with the claim's target id (``## T0.3 — …``).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    claim_ids : iterable of str
        Ledger ids such as ``"T0.3-box-product"``.

    Returns
    -------
    dict of str to int
        Claim id -> cell index. A claim found nowhere is left out.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> import nbformat
    >>> v4 = nbformat.v4
    >>> nb = v4.new_notebook(cells=[
    ...     v4.new_markdown_cell("## T0.3 — Particle in a box"),
    ...     v4.new_code_cell("x = 1", outputs=[v4.new_output(
    ...         "stream", name="stdout", text="T0.3-a: computed 1 | paper 1 | exact | PASS\\n")]),
    ...     v4.new_code_cell('claims.record("T0.3-b", x)')])
    >>> evidence_cells(nb, ["T0.3-a", "T0.3-b", "T0.3-c", "T0.4-d"])
    {'T0.3-a': 1, 'T0.3-b': 2, 'T0.3-c': 0}
    """
    claim_ids = list(claim_ids)
    printed: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                for line in output.get("text", "").splitlines():
                    claim_id, sep, _ = line.partition(": computed ")
                    if sep:
                        printed[claim_id] = index
            elif "claims" not in output.get("metadata", {}).get("qfcore", {}):
                html = output.get("data", {}).get("text/html", "")
                for claim_id in claim_ids:
                    if f">{claim_id}</td>" in html:
                        printed[claim_id] = index
    headings = _target_headings(nb)
    found = {}
    for claim_id in claim_ids:
        if claim_id in printed:
            found[claim_id] = printed[claim_id]
            continue
        named = re.compile(rf"(?<!{_ID_CHARS}){re.escape(claim_id)}(?!{_ID_CHARS})")
        in_source = [
            index
            for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and named.search(cell.source)
        ]
        target = claim_id.split("-", 1)[0]
        if in_source:
            found[claim_id] = in_source[-1]
        elif target in headings:
            found[claim_id] = headings[target][0]
    return found


def read_chapter(path: Path) -> Chapter:
    """Read a committed notebook as a chapter: title, citation, targets, claims, evidence.

    Parameters
    ----------
    path : pathlib.Path
        An executed ``.ipynb`` file.

    Returns
    -------
    Chapter

    Raises
    ------
    MissingClaimsError
        If the notebook has no claims table with ledger records (:func:`notebook_claims`).
    ValueError
        If the notebook has no ``# `` title, or a claim's evidence is nowhere to be found
        (:func:`evidence_cells`).
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> chapter = read_chapter(NOTEBOOKS / "02_time_symmetric_liouville_husimi.ipynb")
    ... # doctest: +SKIP
    >>> chapter.docname, chapter.targets["T2.1"]  # doctest: +SKIP
    ('notebooks/02_time_symmetric_liouville_husimi', "Watanabe's argument (Section II)")
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    title = next((m.group(1).strip() for s in markdown if (m := _TITLE.search(s))), None)
    if title is None:
        raise ValueError(f"notebook {path.stem} has no '# title' heading in a markdown cell.")
    paper = next((m for s in markdown if (m := _PAPER.search(s))), None)
    records = notebook_claims(nb, path.stem)
    evidence = evidence_cells(nb, [r["id"] for r in records])
    missing = [r["id"] for r in records if r["id"] not in evidence]
    if missing:
        raise ValueError(
            f"notebook {path.stem}: no evidence found for {', '.join(missing)}: no cell prints "
            "'<id>: computed …', no code cell names the id, and its target has no section "
            "heading ('## T0.3 — …')."
        )
    return Chapter(
        name=path.stem,
        title=title,
        citation=" ".join(paper.group(1).split()) if paper else "",
        targets={target: heading for target, (_, heading) in _target_headings(nb).items()},
        claims=records,
        evidence=evidence,
        notebook=nb,
    )


def claim_label(claim_id: str) -> str:
    """The Sphinx label (and HTML anchor id) of a claim's evidence cell.

    Parameters
    ----------
    claim_id : str
        A ledger id.

    Returns
    -------
    str
        ``"claim-"`` followed by the id in lower case, each run of other characters than
        letters and digits replaced by one hyphen.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> claim_label("T0.3-box-product")
    'claim-t0-3-box-product'
    """
    return "claim-" + re.sub(r"[^a-z0-9]+", "-", claim_id.lower()).strip("-")


def ledger_page(chapters: list[Chapter]) -> str:
    """The claims ledger page (MyST markdown): every claim, by notebook and target.

    Parameters
    ----------
    chapters : list of Chapter
        The notebooks, in book order.

    Returns
    -------
    str
        One section per notebook (its title, a link to its page, the status counts), one
        subsection per target (``T0.1 — <title of the target's section>``, targets in numerical
        order) holding a table ``qfcore-ledger`` with the columns of
        :data:`qfcore.claims.TABLE_COLUMNS`, cells from :func:`qfcore.claims.display_row`, each
        id a ``{ref}`` link to its evidence cell (:func:`claim_label`) and the status coloured.

    Raises
    ------
    KeyError
        If a record lacks a ledger key.

    Examples
    --------
    >>> page = ledger_page([read_chapter(p) for p in available_notebooks()])  # doctest: +SKIP
    >>> page.splitlines()[0]  # doctest: +SKIP
    '# Claims ledger'
    """
    out = [
        "# Claims ledger",
        "",
        "Every claim the notebooks check, as stored in their closing claims tables, target by "
        "target. Values are rounded to their tolerance. *paper* is a value printed in the paper "
        "(for an erratum, the printed value that is wrong); *reference* is an expected value "
        "that the paper does not print: derived by us (a closed form, an independent method) "
        "or the value of a statistical null hypothesis. Each id links to the cell of the "
        "notebook that shows the evidence.",
    ]
    for chapter in chapters:
        out += [
            "",
            f"## {chapter.title}",
            "",
            f"{{doc}}`The notebook <{chapter.docname}>` records "
            + _md_text(claims.summary(chapter.claims).splitlines()[0])
            + ".",
        ]
        by_target: dict[str, list[dict]] = {}
        for record in chapter.claims:
            by_target.setdefault(record["id"].split("-", 1)[0], []).append(record)
        for target in sorted(by_target, key=_target_key):
            title = chapter.targets.get(target)
            rows = []
            for record in by_target[target]:
                shown = claims.display_row(record)
                rows.append(
                    [
                        _claim_link(record["id"]),
                        *(_md_text(shown[column]) for column in claims.TABLE_COLUMNS[1:-1]),
                        f"[{shown['status']}]{{.status-{record['status']}}}",
                    ]
                )
            out += ["", f"### {target} — {title}" if title else f"### {target}", ""]
            out += _list_table("qfcore-ledger", list(claims.TABLE_COLUMNS), rows)
    return "\n".join(out) + "\n"


def errata_page(chapters: list[Chapter]) -> str:
    """The errata page (MyST markdown): every record with status ``erratum``, by paper.

    Parameters
    ----------
    chapters : list of Chapter
        The notebooks, in book order.

    Returns
    -------
    str
        One section per notebook: its title, the paper's citation (:attr:`Chapter.citation`),
        a link to its page and a table ``qfcore-errata`` with one row per erratum: the claim id
        (a ``{ref}`` link to its evidence cell), the equation (the record's ``source``), what the
        paper prints (``expected``) and what is correct (``computed``), both formatted by
        :func:`qfcore.claims.display_row`, and the record's note.

    Raises
    ------
    KeyError
        If a record lacks a ledger key.

    Examples
    --------
    >>> page = errata_page([read_chapter(p) for p in available_notebooks()])  # doctest: +SKIP
    >>> page.count("{ref}`T2.5-")  # doctest: +SKIP
    2
    """
    out = [
        "# Errata",
        "",
        "The slips found in the papers, each confirmed by computation: the value printed in the "
        "paper is refuted beyond the tolerance and the correct one is computed (a number, or "
        "text built from a sympy result). Each id links to the cell of the notebook that shows "
        "the evidence; the notebooks' *Errata and limits* sections discuss them.",
    ]
    for chapter in chapters:
        errata = sorted(
            (r for r in chapter.claims if r["status"] == "erratum"),
            key=lambda r: _target_key(r["id"]),
        )
        out += ["", f"## {chapter.title}", ""]
        if chapter.citation:
            out += [f"Paper: {chapter.citation}", ""]
        out.append(f"{{doc}}`The notebook <{chapter.docname}>` shows the evidence.")
        if not errata:
            out += ["", "No errata recorded."]
            continue
        rows = []
        for record in errata:
            shown = claims.display_row(record)
            rows.append(
                [
                    _claim_link(record["id"]),
                    _md_text(shown["source"]),
                    _md_text(shown["paper"]),
                    _md_text(shown["computed"]),
                    _md_text(record["note"]),
                ]
            )
        out.append("")
        out += _list_table(
            "qfcore-errata",
            ["claim", "equation", "printed in the paper", "correct", "note"],
            rows,
        )
    return "\n".join(out) + "\n"


def papers_list(chapters: list[Chapter]) -> str:
    """The landing page's list of papers (MyST markdown, included by ``book/index.md``).

    Parameters
    ----------
    chapters : list of Chapter
        The notebooks, in book order.

    Returns
    -------
    str
        One bullet per notebook: a ``{doc}`` link to its page (titled by the notebook's title)
        and the paper's reference as the notebook gives it (:attr:`Chapter.citation`).

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> print(papers_list([read_chapter(p) for p in available_notebooks()[:1]]))
    ... # doctest: +SKIP
    - {doc}`notebooks/00_ontic_extension_epistemic_restriction` — A. Budiyono and D. Rohrlich, …
    """
    return "".join(
        f"- {{doc}}`{chapter.docname}`"
        + (f" — {chapter.citation}" if chapter.citation else "")
        + "\n"
        for chapter in chapters
    )


_EXERCISE = re.compile(r"^### (Exercise (\d\d)\.(\d+) — .+)$", re.MULTILINE)


def exercise_tasks(notebook) -> list[tuple[int, str, str]]:
    """The exercise task cells of a notebook: (cell index, ``"NN.k"``, heading text).

    A task cell is a markdown cell whose nbgrader ``grade_id`` ends in ``-task`` and whose
    heading reads ``### Exercise NN.k — title (P points)`` (see :mod:`qfcore.teaching`).

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    list of tuple
        In notebook order.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> cell = nbformat.v4.new_markdown_cell("### Exercise 00.1 — Twice (2 points)\\nDo it.")
    >>> cell.metadata["nbgrader"] = {"grade_id": "ex00-1-task"}
    >>> exercise_tasks(nbformat.v4.new_notebook(cells=[cell]))
    [(0, '00.1', 'Exercise 00.1 — Twice (2 points)')]
    """
    tasks = []
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        match = _EXERCISE.search(cell.source) if cell.cell_type == "markdown" else None
        if grade_id.endswith("-task") and match:
            tasks.append((index, f"{match[2]}.{match[3]}", match[1]))
    return tasks


def exercise_label(number: str) -> str:
    """MyST target name of an exercise's task cell: ``"00.1"`` -> ``"exercise-00-1"``."""
    return "exercise-" + number.replace(".", "-")


def exercises_page(chapters: list[Chapter]) -> str:
    """The exercises page (MyST markdown): every exercise's task, by notebook.

    Parameters
    ----------
    chapters : list of Chapter
        The notebooks, in book order.

    Returns
    -------
    str
        One section per notebook with, per exercise, its heading (number, title, points), a
        ``{ref}`` link to the task in the notebook and the task's text as the notebook states
        it; a notebook without exercises says so. The solutions stay in the notebooks.

    Raises
    ------
    Nothing.
    """
    out = [
        "# Exercises",
        "",
        "Graded exercises, placed in the notebooks beside the results they build on. Each has "
        "a reference solution that the companion runs (so it is tested) and an autograded "
        "check; one per notebook asks for a short written answer graded by hand. Teachers "
        "generate the student edition and grade submissions with `./reproduce.sh --student` "
        "and `./reproduce.sh --grade` (see the README).",
    ]
    for chapter in chapters:
        out += ["", f"## {chapter.title}", ""]
        tasks = exercise_tasks(chapter.notebook)
        if not tasks:
            out.append("This notebook has no exercises.")
        for index, number, heading in tasks:
            body = _EXERCISE.sub("", chapter.notebook.cells[index].source, count=1).strip()
            out += [
                f"### {heading}",
                "",
                f"In the notebook: {{ref}}`{heading.split(' — ')[0]} <{exercise_label(number)}>`.",
                "",
                body,
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def stage(chapters: list[Chapter], source_dir: Path) -> None:
    """Write the Sphinx source folder: landing page, notebooks with claim targets, ledger, errata.

    Parameters
    ----------
    chapters : list of Chapter
        The notebooks (:func:`read_chapter`), in book order.
    source_dir : pathlib.Path
        Folder to (re)create; its previous content is deleted.

    Returns
    -------
    None

    Raises
    ------
    OSError
        If the folder cannot be written.

    Notes
    -----
    The pages are the ``*.md`` of ``book/`` (the landing page), ``papers.inc``
    (:func:`papers_list`, which the landing page includes), ``ledger.md`` (:func:`ledger_page`),
    ``errata.md`` (:func:`errata_page`) and ``exercises.md`` (:func:`exercises_page`). Each
    notebook is written to ``<source_dir>/notebooks/<name>.ipynb`` with, before every evidence
    cell, a new markdown cell of MyST targets ``(claim-…)=``, one per claim of that cell, and
    before every exercise's task cell the target ``(exercise-NN-k)=``. Docutils moves a target's
    id onto the element that follows it (the code cell, or the section of a heading), which
    makes it the anchor of the ``{ref}`` links of the ledger and errata pages. Every other
    cell, and every output, is kept as committed.
    """
    if source_dir.exists():
        shutil.rmtree(source_dir)
    (source_dir / NOTEBOOK_FOLDER).mkdir(parents=True)
    for page in BOOK.glob("*.md"):
        shutil.copy2(page, source_dir / page.name)
    for chapter in chapters:
        nb = copy.deepcopy(chapter.notebook)
        labels: dict[int, list[str]] = {}
        for record in chapter.claims:
            labels.setdefault(chapter.evidence[record["id"]], []).append(claim_label(record["id"]))
        for index, number, _ in exercise_tasks(nb):
            labels.setdefault(index, []).append(exercise_label(number))
        for index in sorted(labels, reverse=True):
            targets = "\n".join(f"({label})=" for label in labels[index])
            cell = nbformat.v4.new_markdown_cell(targets, id=f"qfcore-claims-{index}")
            nb.cells.insert(index, cell)
        nbformat.write(nb, source_dir / NOTEBOOK_FOLDER / f"{chapter.name}.ipynb")
    (source_dir / "papers.inc").write_text(papers_list(chapters), encoding="utf-8")
    (source_dir / "ledger.md").write_text(ledger_page(chapters), encoding="utf-8")
    (source_dir / "errata.md").write_text(errata_page(chapters), encoding="utf-8")
    (source_dir / "exercises.md").write_text(exercises_page(chapters), encoding="utf-8")


def build(
    out_dir: Path = OUT_DIR, work_dir: Path = WORK_DIR, notebooks_dir: Path = NOTEBOOKS
) -> Path:
    """Build the web book from the committed notebooks, without executing them.

    Parameters
    ----------
    out_dir : pathlib.Path
        Where the HTML goes (default ``build/book``); replaced only when the build succeeded.
    work_dir : pathlib.Path
        Staging folder (default ``build/book-src``), recreated: ``source/`` (what Sphinx
        reads), ``html/``, ``doctrees/`` and ``jupyter_execute/`` (images extracted by myst-nb).
        Deleted after a successful build, kept for inspection when Sphinx fails.
    notebooks_dir : pathlib.Path
        Folder of the notebooks (default ``notebooks/``).

    Returns
    -------
    pathlib.Path
        ``out_dir / "index.html"``.

    Raises
    ------
    MissingClaimsError
        If a notebook has no claims table with ledger records.
    ValueError
        If a notebook has no title or a claim has no evidence (:func:`read_chapter`), or
        ``notebooks_dir`` holds no notebook.
    BookBuildError
        If Sphinx reports an error or a warning (a broken link, a missing image, …).

    Examples
    --------
    >>> index = build()  # doctest: +SKIP
    >>> index.relative_to(ROOT)  # doctest: +SKIP
    PosixPath('build/book/index.html')
    """
    out_dir, work_dir = Path(out_dir), Path(work_dir)
    paths = available_notebooks(Path(notebooks_dir))
    if not paths:
        raise ValueError(f"no notebooks in {notebooks_dir}.")
    chapters = [read_chapter(p) for p in paths]
    if work_dir.exists():
        shutil.rmtree(work_dir)
    stage(chapters, work_dir / "source")
    html = work_dir / "html"
    command = [
        sys.executable, "-m", "sphinx",
        "--builder", "html",
        "--conf-dir", str(BOOK),
        "--doctree-dir", str(work_dir / "doctrees"),
        "--fail-on-warning", "--keep-going", "--quiet",
        str(work_dir / "source"), str(html),
    ]  # fmt: skip
    if subprocess.run(command, check=False).returncode != 0:
        raise BookBuildError(
            "sphinx-build failed (its warnings, which count as errors, are printed above); "
            f"the sources it read are in {work_dir / 'source'}."
        )
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(html, out_dir)
    shutil.rmtree(work_dir)
    return out_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m qfcore.book [--out DIR]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the book was built, 1 when it was not (the reason is printed on stderr).

    Raises
    ------
    SystemExit
        For bad arguments or ``--help`` (argparse).
    """
    parser = argparse.ArgumentParser(
        prog="python -m qfcore.book",
        description="Build the web book (the reading edition) from the committed notebooks, "
        "without executing them.",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})"
    )
    args = parser.parse_args(argv)
    print("Building the web book from the committed notebooks (nothing is executed) ...")
    t0 = time.perf_counter()
    try:
        index = build(out_dir=args.out)
    except (ValueError, BookBuildError) as exc:
        print(f"qfcore.book: {exc}", file=sys.stderr)
        return 1
    print(f"Built the book in {time.perf_counter() - t0:.0f} s. Open {index} in a browser.")
    return 0


# -- helpers -------------------------------------------------------------------------------------


def _target_headings(nb: nbformat.NotebookNode) -> dict[str, tuple[int, str]]:
    """Target id -> (index of the markdown cell of its first heading, the heading's title)."""
    headings: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for match in _TARGET_HEADING.finditer(cell.source):
                headings.setdefault(match.group(1), (index, match.group(2).strip()))
    return headings


def _target_key(claim_id: str) -> tuple[int, int]:
    """Numerical order of target ids (T0.9 before T0.11), for a target or a claim id."""
    paper, number = claim_id.split("-", 1)[0][1:].split(".")
    return int(paper), int(number)


def _md_text(text: str) -> str:
    """Text as literal MyST markdown on one line (every ASCII punctuation backslash-escaped)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def _claim_link(claim_id: str) -> str:
    return f"{{ref}}`{claim_id} <{claim_label(claim_id)}>`"


def _list_table(css_class: str, header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["```{list-table}", ":header-rows: 1", f":class: {css_class}", ""]
    for row in [header, *rows]:
        lines += [f"* - {row[0]}", *(f"  - {cell}" for cell in row[1:])]
    return [*lines, "```"]


if __name__ == "__main__":
    sys.exit(main())
