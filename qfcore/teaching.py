"""The teaching edition: graded exercises, student notebooks and headless grading, on nbgrader.

Every notebook holds exercises written with nbgrader's cell metadata (``metadata["nbgrader"]``,
schema 3), so a course that runs nbgrader imports the notebooks as they are. One exercise is

1. a **task** cell (markdown, locked, ``grade_id`` ``exNN-k-task``) whose heading reads
   ``### Exercise NN.k — title (P points)`` and names the variables the answer goes in;
2. one or more **solution** cells (code, ``solution: true``) holding the reference solution
   between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the companion executes them, so the
   reference solution is tested on every run;
3. an **autograded check** cell (code, ``grade: true``, locked, ``points``), plain asserts
   with a tolerance justified like any claim, optionally followed by hidden tests between
   ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
4. optionally a **manually graded** answer cell (markdown, ``grade: true, solution: true``)
   holding the reference written answer.

:func:`student_edition` applies nbgrader's own preprocessors (``ClearSolutions``,
``ClearOutput``, ``ClearHiddenTests``, ``ClearMarkScheme``, ``LockCells``,
``ComputeChecksums``) without a course database: solutions become ``# YOUR CODE HERE`` /
``raise NotImplementedError()``, answers ``YOUR ANSWER HERE``, outputs and hidden tests go.

:func:`grade` grades a folder ``<submissions>/<student>/<notebook>.ipynb`` the way nbgrader's
``autograde`` does, without its database: each submission's check cells are replaced by the
companion's (hidden tests restored, tampering undone), the notebook is executed headless with
its ``fast`` parameter, every cell under a time limit (a cell that runs over is interrupted and
the rest still run), and each check cell earns its points when it raises nothing
(``nbgrader.utils.determine_grade``). A check cell deleted from the submission earns 0;
manual answers are left for the teacher (points empty). The submissions are only read.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from qfcore import runner

__all__ = [
    "EXAMPLE_STUDENTS",
    "GRADE_COLUMNS",
    "GradedCell",
    "example_submissions",
    "grade",
    "grade_submission",
    "graded_cells",
    "main",
    "student_edition",
    "write_student_editions",
]

#: Columns of ``grades.csv`` (and keys of each record of ``grades.json``).
GRADE_COLUMNS = ("student", "notebook", "exercise", "part", "points", "max_points", "reason")
STUDENT_DIR = runner.ROOT / "build" / "student"
GRADES_DIR = runner.ROOT / "build" / "grades"
_GRADE_ID = re.compile(r"^ex(\d\d)-(\d+)-(task|solution|check|answer)\d*$")
_UNANSWERED = "YOUR ANSWER HERE"


class GradedCell(NamedTuple):
    """One graded cell of a notebook: an autograded check or a manually graded answer."""

    #: ``"NN.k"``, the exercise's number.
    exercise: str
    #: nbgrader's ``grade_id``, e.g. ``"ex02-1-check"``.
    grade_id: str
    #: ``"autograded"`` (code checks) or ``"manual"`` (written answers).
    part: str
    #: The points the cell is worth.
    max_points: float


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_cells(notebook) -> list[GradedCell]:
    """The graded cells of a notebook, in order.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook with nbgrader cell metadata.

    Returns
    -------
    list of GradedCell

    Raises
    ------
    ValueError
        If a graded cell's ``grade_id`` is not of the form ``exNN-k-check`` /
        ``exNN-k-answer``, its ``points`` are missing or negative, or two cells share an id.

    Examples
    --------
    >>> from nbformat import v4
    >>> check = v4.new_code_cell("assert answer == 42")
    >>> check.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2,
    ...                               "grade_id": "ex00-1-check"}
    >>> graded_cells(v4.new_notebook(cells=[check]))
    [GradedCell(exercise='00.1', grade_id='ex00-1-check', part='autograded', max_points=2.0)]
    """
    found, seen = [], set()
    for cell in notebook.cells:
        meta = _nbgrader(cell)
        if not meta.get("grade"):
            continue
        grade_id = meta.get("grade_id", "")
        match = _GRADE_ID.match(grade_id)
        if match is None or match.group(3) not in ("check", "answer"):
            raise ValueError(
                f"graded cell with grade_id {grade_id!r}: name it exNN-k-check (code) or "
                "exNN-k-answer (markdown), NN the notebook, k the exercise."
            )
        points = meta.get("points")
        if not isinstance(points, int | float) or points < 0:
            raise ValueError(f"graded cell {grade_id} needs points >= 0; got {points!r}.")
        if grade_id in seen:
            raise ValueError(f"two graded cells share grade_id {grade_id}.")
        seen.add(grade_id)
        part = "autograded" if cell.cell_type == "code" else "manual"
        found.append(GradedCell(f"{match[1]}.{match[2]}", grade_id, part, float(points)))
    return found


def student_edition(notebook):
    """The student edition of a notebook: nbgrader's release preprocessors, headless.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The companion's notebook (reference solutions, outputs); not modified.

    Returns
    -------
    nbformat.NotebookNode
        Solutions replaced by stubs, outputs cleared, hidden tests and mark schemes removed,
        graded and task cells locked, nbgrader checksums computed.

    Raises
    ------
    nbgrader.preprocessors.CheckCellMetadata's errors
        For inconsistent nbgrader metadata (e.g. a graded cell without a ``grade_id``).

    Notes
    -----
    The preprocessors of nbgrader's ``generate_assignment`` (nbgrader documentation,
    "Creating and grading assignments"), in its order, without the course database.

    Examples
    --------
    >>> from nbformat import v4
    >>> cell = v4.new_code_cell("### BEGIN SOLUTION\\nanswer = 42\\n### END SOLUTION")
    >>> cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
    ...                              "grade_id": "ex00-1-solution", "schema_version": 3}
    >>> nb = v4.new_notebook(cells=[cell], metadata={"kernelspec": {"name": "python3",
    ...     "display_name": "Python 3", "language": "python"}})
    >>> print(student_edition(nb).cells[0].source)
    # YOUR CODE HERE
    raise NotImplementedError()
    """
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb = copy.deepcopy(notebook)
    resources: dict = {}
    for step in (
        CheckCellMetadata,
        ClearSolutions,
        ClearOutput,
        ClearHiddenTests,
        ClearMarkScheme,
        LockCells,
        ComputeChecksums,
    ):
        nb, resources = step().preprocess(nb, resources)
    return nb


def write_student_editions(notebooks=None, folder: str | Path | None = None) -> list[Path]:
    """Write the student edition of the companion's notebooks.

    Parameters
    ----------
    notebooks : list of str, optional
        Notebook names or number prefixes (``"00"``); default all.
    folder : str or pathlib.Path, optional
        Default ``build/student/``; one ``<notebook>.ipynb`` per notebook, same file names.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    qfcore.runner.UsageError
        For a name that matches no notebook.
    ValueError
        For a notebook without exercises.

    Examples
    --------
    >>> write_student_editions(["02"])  # doctest: +SKIP
    [PosixPath('.../build/student/02_time_symmetric_liouville_husimi.ipynb')]
    """
    import nbformat

    out = Path(folder) if folder is not None else STUDENT_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in runner.resolve_notebooks(list(notebooks or [])):
        nb = nbformat.read(path, as_version=4)
        if not graded_cells(nb):
            raise ValueError(f"{path.name} has no graded exercise (no cell with grade: true).")
        target = out / path.name
        nbformat.write(student_edition(nb), target)
        written.append(target)
    return written


#: The submissions :func:`example_submissions` writes, and what each does to exercise 1.
EXAMPLE_STUDENTS = {
    "reference": "the companion's reference solutions",
    "unmodified": "the student edition handed in untouched",
    "wrong": "exercise 1's answer changed (its last assigned variable x becomes 1.5 x + 1)",
    "raising": "exercise 1's solution raises RuntimeError",
    "looping": "exercise 1's solution never ends",
}


def example_submissions(folder: str | Path, notebooks=None) -> list[Path]:
    """Write five made-up submissions per notebook, to try grading on (:data:`EXAMPLE_STUDENTS`).

    ``<folder>/<student>/<notebook>.ipynb`` for each of the students ``reference`` (the
    companion's notebook), ``unmodified`` (the student edition) and ``wrong``, ``raising``,
    ``looping`` (the reference with exercise 1's first solution cell changed as described).

    Parameters
    ----------
    folder : str or pathlib.Path
        Created if needed.
    notebooks : list of str, optional
        Notebook names or number prefixes; default all.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    qfcore.runner.UsageError
        For a name that matches no notebook.
    ValueError
        If a notebook has no exercise 1 or its reference solution assigns no variable
        (``wrong`` cannot be made).

    Examples
    --------
    >>> len(example_submissions("subs", ["02"]))  # doctest: +SKIP
    5
    """
    import ast

    import nbformat

    written = []
    for path in runner.resolve_notebooks(list(notebooks or [])):
        source = nbformat.read(path, as_version=4)
        index = next(  # exercise 1's (first) solution cell, wherever the exercise sits
            (
                i
                for i, c in enumerate(source.cells)
                if re.fullmatch(r"ex\d\d-1-solution", _nbgrader(c).get("grade_id", ""))
            ),
            None,
        )
        if index is None:
            raise ValueError(f"{path.name} has no cell with grade_id exNN-1-solution.")
        first = source.cells[index]
        names = [
            node.id
            for statement in ast.parse(first.source).body
            if isinstance(statement, ast.Assign)
            for target in statement.targets
            for node in ast.walk(target)
            if isinstance(node, ast.Name)
        ]
        if not names:
            raise ValueError(f"{path.name}: exercise 1's solution assigns no variable.")
        broken = {
            "wrong": f"{first.source}\n{names[-1]} = 1.5 * {names[-1]} + 1",
            "raising": 'raise RuntimeError("a bug in the submission")',
            "looping": "while True:\n    pass",
        }
        for student in EXAMPLE_STUDENTS:
            if student == "reference":
                nb = copy.deepcopy(source)
            elif student == "unmodified":
                nb = student_edition(source)
            else:
                nb = copy.deepcopy(source)
                nb.cells[index].source = broken[student]
            target = Path(folder) / student / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            written.append(target)
    return written


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _why(cell, timeout: float) -> str:
    """The first error of an executed cell, as one line."""
    err = _errors(cell)[0]
    if err.get("ename") == "KeyboardInterrupt":
        return f"timed out after {timeout:g} s"
    text = str(err.get("evalue", "")).strip().splitlines()
    return f"{err.get('ename', 'Error')}: {text[0] if text else ''}".rstrip(": ")


def grade_submission(
    submission, source, *, timeout: float = 120.0, parameters: dict | None = None
) -> tuple[list[dict], object]:
    """Grade one submitted notebook against the companion's notebook it was made from.

    Parameters
    ----------
    submission : nbformat.NotebookNode
        The student's notebook (not modified).
    source : nbformat.NotebookNode
        The companion's notebook: its check cells (with hidden tests) replace the student's.
    timeout : float
        Seconds each cell may run (> 0); a cell that runs over is interrupted, earns nothing
        for its exercise, and the following cells still run.
    parameters : dict, optional
        Injected into the notebook's ``parameters`` cell (papermill's rules); default
        ``{"fast": True}`` when the notebook has that parameter.

    Returns
    -------
    rows : list of dict
        One per graded cell of ``source``: ``exercise``, ``part``, ``points`` (None for a
        manual answer, left to the teacher), ``max_points``, ``reason`` (why points were
        lost; empty when full).
    executed : nbformat.NotebookNode
        The graded notebook as executed (feedback for the student).

    Raises
    ------
    ValueError
        If ``timeout`` <= 0.

    Notes
    -----
    Follows nbgrader's ``autograde`` (nbgrader documentation, "Autograde assignments":
    locked check cells are overwritten from the source, then the notebook is executed and
    ``nbgrader.utils.determine_grade`` scores each graded cell), without its database.

    Examples
    --------
    >>> import nbformat  # doctest: +SKIP
    >>> source = nbformat.read("notebooks/02_time_symmetric_liouville_husimi.ipynb", 4)
    ... # doctest: +SKIP
    >>> rows, _ = grade_submission(student_edition(source), source)  # doctest: +SKIP
    >>> rows[0]["points"], rows[0]["reason"]  # doctest: +SKIP
    (0.0, 'solution: NotImplementedError')
    """
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade

    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds; got {timeout!r}.")
    graded = graded_cells(source)
    master = {_nbgrader(c).get("grade_id"): c for c in source.cells if _nbgrader(c)}
    nb = copy.deepcopy(submission)
    present = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        original = master.get(_nbgrader(cell).get("grade_id"))
        if original is None or original.cell_type != cell.cell_type:
            continue  # a graded cell turned into another type counts as removed
        meta = _nbgrader(original)
        present.add(meta["grade_id"])
        if meta.get("grade") and not meta.get("solution"):  # a check: the companion's source
            cell.source = original.source  # hidden tests back, tampering undone
            cell.metadata["nbgrader"] = copy.deepcopy(meta)
    nb = _with_parameters(nb, source, parameters)
    aborted = ""
    with tempfile.TemporaryDirectory(prefix="qfcore-grade-") as work:
        env = {**runner.KERNEL_ENV, "QFCORE_FIGURES_DIR": work}
        try:
            with runner.environment(env):
                NotebookClient(
                    nb,
                    timeout=timeout,
                    kernel_name=runner.KERNEL,
                    allow_errors=True,
                    interrupt_on_timeout=True,
                    resources={"metadata": {"path": work}},
                ).execute()
        except Exception as exc:  # a dead or unresponsive kernel: grade what ran
            aborted = f"the notebook stopped: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    executed = {_nbgrader(c).get("grade_id"): c for c in nb.cells if _nbgrader(c)}
    rows = []
    for g in graded:
        row = {"exercise": g.exercise, "part": g.part, "points": 0.0, "max_points": g.max_points}
        cell = executed.get(g.grade_id)
        if g.grade_id not in present or cell is None:
            row["reason"] = f"{'check' if g.part == 'autograded' else 'answer'} cell removed"
        elif g.part == "manual":
            unanswered = cell.source.strip() in ("", _UNANSWERED)
            row["points"] = 0.0 if unanswered else None
            row["reason"] = "no answer" if unanswered else "graded by hand"
        elif _errors(cell):
            row["reason"] = _reason(nb, g, cell, timeout)
        elif cell.execution_count is None:
            row["reason"] = aborted or "not executed"
        else:
            row["points"], row["reason"] = float(determine_grade(cell)[0]), ""
        rows.append(row)
    return rows, nb


def _reason(nb, g: GradedCell, check, timeout: float) -> str:
    """Why a check failed: the error of the exercise's own solution cell first, if any."""
    solution = g.grade_id.rsplit("-", 1)[0] + "-solution"  # exNN-k-solution, …-solution2
    for cell in nb.cells:
        if _nbgrader(cell).get("grade_id", "").startswith(solution) and _errors(cell):
            return f"solution: {_why(cell, timeout)}"
    return f"check: {_why(check, timeout)}"


def _with_parameters(nb, source, parameters):
    """``nb`` with ``parameters`` set in a cell after its ``parameters`` cell (as papermill
    injects them); by default fast=True where the companion's notebook declares ``fast``."""
    import nbformat

    def tagged(notebook):
        return [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]

    declared = tagged(source)
    if parameters is None:
        fast = declared and re.search(r"^fast\s*(:[^=]*)?=", declared[0].source, re.MULTILINE)
        parameters = {"fast": True} if fast else {}
    if not parameters:
        return nb
    lines = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(f"# Parameters injected by the grader\n{lines}")
    cell.metadata["tags"] = ["injected-parameters"]
    where = tagged(nb)  # a submission that lost its parameters cell gets them first
    nb.cells.insert(nb.cells.index(where[0]) + 1 if where else 0, cell)
    return nb


def grade(
    submissions: str | Path,
    *,
    folder: str | Path | None = None,
    timeout: float = 120.0,
    parameters: dict | None = None,
    sources: str | Path | None = None,
) -> list[dict]:
    """Grade every ``<submissions>/<student>/<notebook>.ipynb`` and write the grades.

    Parameters
    ----------
    submissions : str or pathlib.Path
        Folder with one sub-folder per student holding submitted notebooks named as in the
        student edition; only read.
    folder : str or pathlib.Path, optional
        Where ``grades.csv``, ``grades.json`` and the executed submissions
        (``<student>/<notebook>.ipynb``, feedback) go; default ``build/grades/``.
    timeout : float
        Seconds each cell may run.
    parameters : dict, optional
        As :func:`grade_submission` (default fast=True).
    sources : str or pathlib.Path, optional
        Folder of the companion's notebooks; default ``notebooks/``.

    Returns
    -------
    list of dict
        The rows of ``grades.csv`` (:data:`GRADE_COLUMNS`), sorted by student, notebook and
        exercise. A notebook that is not one of the companion's is listed with reason
        ``"unknown notebook"``; a notebook a student did not submit is not listed.

    Raises
    ------
    FileNotFoundError
        If ``submissions`` is not a folder.
    ValueError
        If it holds no ``<student>/<notebook>.ipynb``.

    Examples
    --------
    >>> rows = grade("subs", timeout=60)  # doctest: +SKIP
    >>> sorted({r["student"] for r in rows})  # doctest: +SKIP
    ['looping', 'raising', 'reference', 'unmodified', 'wrong']
    """
    import nbformat

    root = Path(submissions)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {root} does not exist.")
    files = sorted(root.glob("*/*.ipynb"))
    if not files:
        raise ValueError(f"{root} holds no <student>/<notebook>.ipynb file.")
    source_dir = Path(sources) if sources is not None else runner.NOTEBOOKS
    out = Path(folder) if folder is not None else GRADES_DIR
    rows = []
    for path in files:
        student, name = path.parent.name, path.stem
        base = {"student": student, "notebook": name}
        source_path = source_dir / path.name
        if not source_path.is_file():
            rows.append(
                {
                    **base,
                    "exercise": "",
                    "part": "",
                    "points": 0.0,
                    "max_points": 0.0,
                    "reason": "unknown notebook",
                }
            )
            continue
        source = nbformat.read(source_path, as_version=4)
        submission = nbformat.read(path, as_version=4)
        graded, executed = grade_submission(
            submission, source, timeout=timeout, parameters=parameters
        )
        rows += [{**base, **row} for row in graded]
        feedback = out / student / path.name
        feedback.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, feedback)
    rows.sort(key=lambda r: (r["student"], r["notebook"], r["exercise"], r["part"]))
    _write_grades(rows, out)
    return rows


def _write_grades(rows: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "grades.csv.tmp"
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=GRADE_COLUMNS)
        writer.writeheader()
        writer.writerows({k: ("" if r[k] is None else r[k]) for k in GRADE_COLUMNS} for r in rows)
    os.replace(tmp, out / "grades.csv")
    tmp = out / "grades.json.tmp"
    tmp.write_text(json.dumps([{k: r[k] for k in GRADE_COLUMNS} for r in rows], indent=1) + "\n")
    os.replace(tmp, out / "grades.json")


def _summary(rows: list[dict]) -> str:
    """Points per student and notebook, autograded parts only, as text lines."""
    totals: dict = {}
    for r in rows:
        if r["part"] != "manual":
            got, most = totals.get((r["student"], r["notebook"]), (0.0, 0.0))
            totals[r["student"], r["notebook"]] = (
                got + (r["points"] or 0.0),
                most + r["max_points"],
            )
    lines = [f"{'student':20s} {'notebook':45s} autograded points"]
    for (student, notebook), (got, most) in sorted(totals.items()):
        lines.append(f"{student:20s} {notebook:45s} {got:g} / {most:g}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``./reproduce.sh --student [NN...]`` and ``./reproduce.sh --grade DIR``; exit status."""
    parser = argparse.ArgumentParser(
        prog="reproduce.sh", description="The teaching edition: student notebooks and grading."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write build/student/")
    student.add_argument("notebooks", nargs="*", help="notebooks (e.g. 00); default all")
    student.add_argument("--out", help="folder (default build/student/)")
    examples = sub.add_parser("examples", help="write five made-up submissions per notebook")
    examples.add_argument("folder")
    examples.add_argument("notebooks", nargs="*", help="notebooks (e.g. 02); default all")
    grading = sub.add_parser("grade", help="grade SUBMISSIONS/<student>/<notebook>.ipynb")
    grading.add_argument("submissions")
    grading.add_argument("--out", help="folder (default build/grades/)")
    grading.add_argument("--timeout", type=float, default=120.0, help="seconds per cell")
    grading.add_argument("--full", action="store_true", help="default parameters, not fast")
    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            for path in write_student_editions(args.notebooks, args.out):
                print(f"  student edition -> {path}")
            return 0
        if args.command == "examples":
            for path in example_submissions(args.folder, args.notebooks):
                print(f"  example submission -> {path}")
            return 0
        rows = grade(
            args.submissions,
            folder=args.out,
            timeout=args.timeout,
            parameters={} if args.full else None,
        )
    except (ValueError, FileNotFoundError, runner.UsageError) as exc:
        print(f"reproduce.sh: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else GRADES_DIR
    print(_summary(rows))
    print(f"grades -> {out / 'grades.csv'} and {out / 'grades.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
