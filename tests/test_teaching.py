"""The teaching edition: exercises in every notebook, the student edition, headless grading."""

import copy
import csv
import hashlib
import json
import re

import nbformat
import pytest
from nbformat import v4

from qfcore import runner, teaching

NOTEBOOKS = runner.available_notebooks()
HEADING = re.compile(r"^### Exercise (\d\d)\.(\d+) — .+ \((\d+) points?\)", re.MULTILINE)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)


def _cell(kind, source, **nbgrader):
    cell = v4.new_code_cell(source) if kind == "code" else v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {
            "grade": False,
            "solution": False,
            "locked": False,
            "task": False,
            "schema_version": 3,
            **nbgrader,
        }
    return cell


def _course_notebook():
    """Two exercises: one autograded with hidden tests, one autograded plus a written answer."""
    parameters = _cell("code", "fast = False\nscale = 1.0")
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        parameters,
        _cell("code", "base = 21 * scale"),
        _cell(
            "markdown", "### Exercise 99.1 — Twice (2 points)", locked=True, grade_id="ex99-1-task"
        ),
        _cell(
            "code",
            "### BEGIN SOLUTION\nanswer = 2 * base\n### END SOLUTION",
            solution=True,
            grade_id="ex99-1-solution",
        ),
        _cell(
            "code",
            'assert answer == 42, "twice 21"\n### BEGIN HIDDEN TESTS\n'
            'assert isinstance(answer, float), "a float"\n### END HIDDEN TESTS',
            grade=True,
            locked=True,
            points=2,
            grade_id="ex99-1-check",
        ),
        _cell(
            "markdown", "### Exercise 99.2 — Square (3 points)", locked=True, grade_id="ex99-2-task"
        ),
        _cell(
            "code",
            "### BEGIN SOLUTION\nsquare = base**2\n### END SOLUTION",
            solution=True,
            grade_id="ex99-2-solution",
        ),
        _cell(
            "code",
            "assert square == 441",
            grade=True,
            locked=True,
            points=1,
            grade_id="ex99-2-check",
        ),
        _cell(
            "markdown",
            "Because 21² = 441.",
            grade=True,
            solution=True,
            points=2,
            grade_id="ex99-2-answer",
        ),
    ]
    kernelspec = {"name": runner.KERNEL, "display_name": "Python (qfcore)", "language": "python"}
    return v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec})


def _with_solution(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return nb


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.ipynb")}


def test_student_edition_strips_solutions_outputs_and_hidden_tests():
    source = _course_notebook()
    source.cells[1].outputs = [v4.new_output("stream", text="21.0\n")]
    student = teaching.student_edition(source)
    texts = [c.source for c in student.cells]
    assert texts[3] == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert texts[4] == 'assert answer == 42, "twice 21"'  # visible test kept, hidden one gone
    assert texts[8] == "YOUR ANSWER HERE"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert all(
        c.metadata["nbgrader"]["locked"]
        for c in student.cells
        if "nbgrader" in c.metadata
        and c.metadata["nbgrader"]["grade"]
        and not c.metadata["nbgrader"]["solution"]
    )
    assert source.cells[3].source.startswith("### BEGIN SOLUTION")  # the source is untouched


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade eight submissions of the course notebook once; return the rows by student."""
    root = tmp_path_factory.mktemp("course")
    sources, submissions, out = root / "sources", root / "submissions", root / "grades"
    sources.mkdir()
    source = _course_notebook()
    nbformat.write(source, sources / "99_course.ipynb")
    student = teaching.student_edition(source)
    removed = copy.deepcopy(source)
    removed.cells = [
        c for c in removed.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex99-1-check"
    ]
    tampered = _with_solution(
        _with_solution(source, "ex99-1-solution", "answer = 0.0"), "ex99-1-check", "pass"
    )
    for name, nb in {
        "reference": source,
        "unmodified": student,
        "wrong": _with_solution(student, "ex99-1-solution", "answer = 2 * base + 1"),
        "hidden": _with_solution(source, "ex99-1-solution", "answer = 42"),
        "raising": _with_solution(student, "ex99-1-solution", 'raise RuntimeError("oops")'),
        "looping": _with_solution(source, "ex99-1-solution", "while True:\n    pass"),
        "removed": removed,
        "tampered": tampered,
    }.items():
        (submissions / name).mkdir(parents=True)
        nbformat.write(nb, submissions / name / "99_course.ipynb")
    before = _digest(submissions)
    rows = teaching.grade(submissions, folder=out, timeout=5, sources=sources)
    assert _digest(submissions) == before, "grading modified the submissions"
    by_student = {}
    for r in rows:
        by_student.setdefault(r["student"], {})[r["exercise"], r["part"]] = (
            r["points"],
            r["reason"],
        )
    return by_student, rows, out


@pytest.mark.parametrize(
    ("student", "expected"),
    [
        (
            "reference",
            {
                ("99.1", "autograded"): (2.0, ""),
                ("99.2", "autograded"): (1.0, ""),
                ("99.2", "manual"): (None, "graded by hand"),
            },
        ),
        (
            "unmodified",
            {
                ("99.1", "autograded"): (0.0, "solution: NotImplementedError"),
                ("99.2", "autograded"): (0.0, "solution: NotImplementedError"),
                ("99.2", "manual"): (0.0, "no answer"),
            },
        ),
        ("wrong", {("99.1", "autograded"): (0.0, "check: AssertionError: twice 21")}),
        (
            "hidden",
            {
                ("99.1", "autograded"): (0.0, "check: AssertionError: a float"),
                ("99.2", "autograded"): (1.0, ""),
            },
        ),
        ("raising", {("99.1", "autograded"): (0.0, "solution: RuntimeError: oops")}),
        (
            "looping",
            {
                ("99.1", "autograded"): (0.0, "solution: timed out after 5 s"),
                ("99.2", "autograded"): (1.0, ""),
            },
        ),
        (
            "removed",
            {
                ("99.1", "autograded"): (0.0, "check cell removed"),
                ("99.2", "autograded"): (1.0, ""),
            },
        ),
        ("tampered", {("99.1", "autograded"): (0.0, "check: AssertionError: twice 21")}),
    ],
)
def test_grades_and_reasons(graded, student, expected):
    by_student, _, _ = graded
    for key, value in expected.items():
        assert by_student[student][key] == value, (student, key)


def test_grades_files(graded):
    _, rows, out = graded
    with (out / "grades.csv").open() as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0]) == teaching.GRADE_COLUMNS
    assert len(table) == len(rows) == 8 * 3
    assert json.loads((out / "grades.json").read_text()) == [
        {k: r[k] for k in teaching.GRADE_COLUMNS} for r in rows
    ]
    assert (out / "looping" / "99_course.ipynb").is_file()  # the executed submission: feedback


def test_grading_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        teaching.grade(tmp_path / "absent")
    with pytest.raises(ValueError, match="holds no"):
        teaching.grade(tmp_path)
    with pytest.raises(ValueError, match="timeout"):
        teaching.grade_submission(_course_notebook(), _course_notebook(), timeout=0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_notebook_has_three_exercises_with_points(path):
    nb = nbformat.read(path, as_version=4)
    graded = teaching.graded_cells(nb)
    headings = {
        f"{m[1]}.{m[2]}": float(m[3])
        for c in nb.cells
        if c.cell_type == "markdown"
        for m in HEADING.finditer(c.source)
    }
    assert len(headings) >= 3, f"{path.name}: {len(headings)} exercises"
    assert {k[:2] for k in headings} == {path.name[:2]}
    assert any(g.part == "manual" for g in graded), "one written answer graded by hand"
    for number, points in headings.items():
        assert points == sum(g.max_points for g in graded if g.exercise == number), number
        assert any(g.part == "autograded" and g.exercise == number for g in graded), number


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_student_edition_of_every_notebook(path):
    source = nbformat.read(path, as_version=4)
    student = teaching.student_edition(source)
    given = "\n".join(  # what the student is given anyway: tasks, checks, the paper's code
        c.source for c in source.cells if not c.metadata.get("nbgrader", {}).get("solution")
    )
    solution_lines = {
        line.strip()
        for c in source.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
        for block in SOLUTION.findall(c.source)
        for line in block.splitlines()
        if line.strip() and line.strip() not in given
    }
    assert solution_lines, "the reference solutions have lines of their own"
    text = "\n".join(c.source for c in student.cells)
    leaked = [line for line in solution_lines if line in text]
    assert not leaked, f"solution lines in the student edition: {leaked[:3]}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    checks = [g.grade_id for g in teaching.graded_cells(source)]
    assert [g.grade_id for g in teaching.graded_cells(student)] == checks


def test_grading_example_submissions_of_a_real_notebook(tmp_path):
    """Notebook 02 (fast): the student edition earns 0 on every autograded exercise, the
    companion's reference solutions every point, a wrong exercise 1 loses exactly its points.
    (Raising and looping submissions are graded above, on the small course notebook.)"""
    written = teaching.example_submissions(tmp_path / "in", ["02"])
    assert sorted(p.parent.name for p in written) == sorted(teaching.EXAMPLE_STUDENTS)
    for student in ("raising", "looping"):
        (tmp_path / "in" / student / written[0].name).unlink()
    rows = teaching.grade(tmp_path / "in", folder=tmp_path / "out", timeout=300)
    auto = [r for r in rows if r["part"] == "autograded"]
    first = min(r["exercise"] for r in auto)
    assert len({r["exercise"] for r in auto}) >= 3
    for r in auto:
        full = {"reference": True, "unmodified": False, "wrong": r["exercise"] != first}
        assert r["points"] == (r["max_points"] if full[r["student"]] else 0.0), r
    reasons = {(r["student"], r["exercise"]): r["reason"] for r in auto}
    assert reasons["unmodified", first] == "solution: NotImplementedError"
    assert reasons["wrong", first].startswith("check: ")
