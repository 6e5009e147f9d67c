"""The claims ledger: every checked statement of a notebook, with its tolerance and status.

A notebook calls :func:`start` once, then records each claim, usually in a block per target that
reads like the statements it checks and shows its own table at the end::

    with claims.target("T0.2", "Eq. (10)") as t:
        t.paper("product", sigma_q * sigma_p, hbar / 2, atol=4 * err)
        t.derived("sigma-p", sigma_p, hbar / (2 * sigma_q), atol=4 * err)

(:func:`target`; :func:`record` is the same record one call at a time). The note of each claim,
the error estimate behind its tolerance, comes from the notebook's error budget
``notebooks/budgets/<notebook>.toml`` (``"product" = "4 standard errors of {n} draws"`` under
``["T0.2"]``), filled like an f-string where the claim is recorded. Records are written to
``figures/claims/<notebook>.json`` after every call (so a crashed run still leaves what it
checked); ``./reproduce.sh`` merges the files with :func:`merge` into ``figures/claims.json`` and
prints :func:`format_table`.

Status rules
------------
``kind="check"`` or ``"beyond"``
    ``pass`` when ``computed`` agrees with ``expected`` within ``atol + rtol·|expected|``
    (elementwise, as :func:`numpy.isclose`), ``fail`` otherwise, ``info`` when no ``expected``.
``kind="erratum"``
    ``expected`` is the value *printed in the paper*, ``computed`` the corrected one. The status
    is ``erratum`` when the two disagree beyond the tolerance (the slip is confirmed) and
    ``fail`` when they agree (the paper was right after all, and the erratum is wrong).

Booleans and strings are compared exactly.
"""

from __future__ import annotations

import collections
import importlib
import json
import math
import os
import re
import string
import sys
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qfcore._paths import budgets_dir, figures_dir
from qfcore.tables import Table

__all__ = [
    "TABLE_COLUMNS",
    "Claim",
    "current",
    "display_row",
    "format_table",
    "merge",
    "record",
    "start",
    "summary",
    "table",
    "target",
]

KINDS = ("check", "erratum", "beyond")
#: Where an expected value comes from: printed in the paper, derived by us (a closed form or a
#: value we computed independently), a statistical null hypothesis; "none" without one.
ORIGINS = ("paper", "derived", "null", "none")
STATUSES = ("pass", "fail", "erratum", "info")
#: The columns of every claims table (terminal, notebook, web book).
TABLE_COLUMNS = ("id", "source", "paper", "reference", "computed", "tolerance", "status")
_ID_RE = re.compile(r"^T\d+\.\d+(-[A-Za-z0-9_.+=-]+)?$")


@dataclass
class Claim:
    """One ledger record (the JSON object written for it has exactly these keys)."""

    id: str
    notebook: str
    source: str
    kind: str
    computed: object
    expected: object
    rtol: float | None
    atol: float | None
    status: str
    note: str = ""
    expected_origin: str = "none"

    def __repr__(self) -> str:
        tol = _tolerance_text(self.rtol, self.atol)
        digits_tol = _abs_tolerance(self.expected, self.rtol, self.atol)
        comp = _fmt(self.computed, digits_tol)
        exp = (
            "—"
            if self.expected is None
            else f"{self.expected_origin} {_fmt(self.expected, digits_tol)}"
        )
        return f"{self.id}: computed {comp} | {exp} | {tol} | {self.status.upper()}"


class _Ledger:
    def __init__(self, notebook: str, path: Path, budget: dict[str, dict[str, str]]):
        self.notebook = notebook
        self.path = path
        self.budget = budget
        self.claims: dict[str, Claim] = {}

    def write(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps([asdict(c) for c in self.claims.values()], indent=1) + "\n")
        os.replace(tmp, self.path)


_LEDGER: _Ledger | None = None


def start(notebook: str, *, budget: str | Path | None = None) -> Path:
    """Begin the ledger of one notebook run, discarding its earlier records.

    Parameters
    ----------
    notebook : str
        Notebook name without extension, e.g. ``"00_ontic_extension_epistemic_restriction"``.
    budget : str or pathlib.Path, optional
        The notebook's error budget, a TOML file holding the note of each claim recorded
        through :func:`target` (see there). Default ``notebooks/budgets/<notebook>.toml``
        (:func:`qfcore._paths.budgets_dir`); a notebook without that file records no notes
        but those given in the calls.

    Returns
    -------
    pathlib.Path
        The ledger file, ``figures/claims/<notebook>.json``.

    Raises
    ------
    ValueError
        If ``notebook`` is empty or contains a path separator, or if the budget is not a table
        of targets (``["T0.2"]``) holding one string per claim name.
    FileNotFoundError
        If ``budget`` is given and does not exist.
    """
    global _LEDGER
    if not notebook or "/" in notebook or "\\" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(
            f"notebook must be a bare notebook name without folder or '.ipynb'; got {notebook!r}."
        )
    if budget is None:
        default = budgets_dir() / f"{notebook}.toml"
        notes = _read_budget(default) if default.is_file() else {}
    else:
        notes = _read_budget(Path(budget))
    folder = figures_dir() / "claims"
    folder.mkdir(parents=True, exist_ok=True)
    _LEDGER = _Ledger(notebook, folder / f"{notebook}.json", notes)
    _LEDGER.write()
    return _LEDGER.path


def _read_budget(path: Path) -> dict[str, dict[str, str]]:
    """The notes of a budget file, ``{target id: {claim name template: note template}}``."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    for target_id, notes in data.items():
        if not re.match(r"^T\d+\.\d+$", target_id) or not isinstance(notes, dict):
            raise ValueError(
                f'{path}: top-level keys must be target tables such as ["T0.2"]; got {target_id!r}.'
            )
        for name, note in notes.items():
            if not isinstance(note, str):
                raise ValueError(f"{path}: the note of {target_id}-{name} must be a string.")
    return data


def current() -> list[Claim]:
    """The claims recorded since the last :func:`start`, in order.

    Returns
    -------
    list of Claim
        Empty if :func:`start` was never called.

    Raises
    ------
    Nothing.
    """
    if _LEDGER is None:
        return []
    return list(_LEDGER.claims.values())


def record(
    claim_id: str,
    computed,
    expected=None,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    source: str = "",
    kind: str = "check",
    expected_origin: str | None = None,
    note: str = "",
) -> Claim:
    """Record one claim in the current notebook's ledger and return it.

    Parameters
    ----------
    claim_id : str
        Starts with the target id of ``../shared/TARGETS.md``, e.g. ``"T0.3-box-sigma-q"``.
        Recording an id again replaces the earlier record (re-running a cell).
    computed : float, int, bool, str, or array_like of float
        What this companion computed.
    expected : same type as ``computed``, optional
        The paper's value (for ``kind="erratum"``, the value as printed in the paper).
    rtol, atol : float, optional
        Relative and absolute tolerance; omitted means 0. They must be justified by the stated
        error of ``computed`` (say how in ``note``).
    source : str
        Equation, figure or section of the paper, e.g. ``"Eq. (10)"``.
    kind : {"check", "erratum", "beyond"}
        See the module docstring.
    expected_origin : {"paper", "derived", "null"}, optional
        Where ``expected`` comes from: ``"paper"`` — printed in the paper; ``"derived"`` — a
        closed form or value derived or computed independently by us; ``"null"`` — the value
        of a statistical null hypothesis (a z-score's 0, a χ² test's ``True``). Required
        whenever ``expected`` is given, except for an erratum, whose ``expected`` is always
        the printed value (``"paper"``). Tables show only ``"paper"`` values as the paper's.
    note : str
        The error estimate behind the tolerance, or what the record means.

    Returns
    -------
    Claim

    Raises
    ------
    RuntimeError
        If :func:`start` was not called first.
    ValueError
        For a malformed id, an unknown kind, a negative tolerance, an erratum without the
        printed value, an expected value without its origin (or an origin without an expected
        value, or an erratum whose expected value is not the paper's), or values that cannot
        be compared.
    TypeError
        For complex or non-numeric values other than bool and str.
    """
    if _LEDGER is None:
        raise RuntimeError("call qfcore.claims.start('<notebook name>') before recording claims.")
    if not _ID_RE.match(claim_id):
        raise ValueError(
            f"claim_id {claim_id!r} must start with a target id such as 'T0.3' and continue with "
            "'-words', e.g. 'T0.3-box-sigma-q'."
        )
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}.")
    for label, tol in (("rtol", rtol), ("atol", atol)):
        if tol is not None and not (tol >= 0 and math.isfinite(tol)):
            raise ValueError(f"{label} must be a finite number >= 0; got {tol!r}.")
    if kind == "erratum" and expected is None:
        raise ValueError("an erratum needs expected=<the value printed in the paper>.")
    origin = _expected_origin(expected, expected_origin, kind)
    comp = _jsonable(computed, "computed")
    exp = None if expected is None else _jsonable(expected, "expected")
    if exp is None:
        status = "info"
    else:
        agree = _agree(comp, exp, rtol or 0.0, atol or 0.0)
        if kind == "erratum":
            status = "fail" if agree else "erratum"
        else:
            status = "pass" if agree else "fail"
    claim = Claim(
        id=claim_id,
        notebook=_LEDGER.notebook,
        source=source,
        kind=kind,
        computed=comp,
        expected=exp,
        rtol=None if rtol is None else float(rtol),
        atol=None if atol is None else float(atol),
        status=status,
        note=note,
        expected_origin=origin,
    )
    _LEDGER.claims[claim_id] = claim
    _LEDGER.write()
    return claim


class Target:
    """The claims of one target, recorded with a shared source and shown as one table.

    Made by :func:`target`; see there. Each method records one claim with id
    ``f"{target}-{name}"`` through :func:`record` and returns it; ``source`` defaults to the
    target's source, the note to the notebook's error budget.
    """

    def __init__(self, target_id: str, source: str) -> None:
        if not re.match(r"^T\d+\.\d+$", target_id):
            raise ValueError(f"target_id must look like 'T0.2'; got {target_id!r}.")
        self.id = target_id
        self.source = source
        self.claims: list[Claim] = []

    def _record(
        self,
        name,
        computed,
        expected,
        origin,
        kind,
        /,
        *,
        source=None,
        rtol=None,
        atol=None,
        note=None,
        **fields,
    ) -> Claim:
        if _LEDGER is None:
            raise RuntimeError(
                "call qfcore.claims.start('<notebook name>') before recording claims."
            )
        template = _LEDGER.budget.get(self.id, {}).get(name, "")
        unused = sorted(set(fields) - _field_names(name) - _field_names(template))
        if unused:
            raise TypeError(
                f"claim {self.id}-{name}: keyword(s) {unused} fill no field of its name or of "
                "its budget note; give tolerances as rtol/atol and remove the others."
            )
        namespace = collections.ChainMap(fields, *_caller_namespace())
        if note is None:
            note = _fill(template, namespace, "budget note")
        claim = record(
            f"{self.id}-{_fill(name, namespace, 'name')}",
            computed,
            expected,
            kind=kind,
            expected_origin=origin,
            source=self.source if source is None else source,
            note=note,
            rtol=rtol,
            atol=atol,
        )
        self.claims = [c for c in self.claims if c.id != claim.id] + [claim]
        return claim

    def check(self, name, computed, expected, /, *, origin, kind="check", **kw) -> Claim:
        """A claim against ``expected``, whose origin is ``"paper"``, ``"derived"`` or ``"null"``.

        :meth:`paper`, :meth:`derived` and :meth:`null` are this with the origin in the name.
        """
        return self._record(name, computed, expected, origin, kind, **kw)

    def paper(self, name, computed, expected, /, **kw) -> Claim:
        """A claim against a value printed in the paper (``expected_origin="paper"``)."""
        return self.check(name, computed, expected, origin="paper", **kw)

    def derived(self, name, computed, expected, /, **kw) -> Claim:
        """A claim against a value derived or computed independently by us."""
        return self.check(name, computed, expected, origin="derived", **kw)

    def null(self, name, computed, expected, /, **kw) -> Claim:
        """A claim against the value of a statistical null hypothesis (a z-score's 0, …)."""
        return self.check(name, computed, expected, origin="null", **kw)

    def erratum(self, name, computed, printed, /, **kw) -> Claim:
        """A slip: ``computed`` is the corrected value, ``printed`` the paper's."""
        return self._record(name, computed, printed, "paper", "erratum", **kw)

    def info(self, name, computed, /, *, kind="check", **kw) -> Claim:
        """A measured value with nothing to compare it with (status ``info``); a tolerance
        given here is the value's stated error."""
        return self._record(name, computed, None, None, kind, **kw)

    def table(self) -> Table:
        """The block's claims, columns :data:`TABLE_COLUMNS` plus ``note`` (the error budget)."""
        records = _records(self.claims)
        return Table(
            [*TABLE_COLUMNS, "note"],
            [[*display_row(r).values(), r["note"]] for r in records],
            status=[r["status"] for r in records],
            css_class="qfcore-target-claims",  # "qfcore-claims" is the closing ledger table
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.table()._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        return repr(self.table())

    def __enter__(self) -> Target:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.claims:
            _show(self.table())


def _show(obj) -> None:
    """Display ``obj`` in a running IPython kernel (HTML and text), else print its text."""
    ipython = sys.modules.get("IPython")  # loaded by every kernel; not a dependency of qfcore
    if ipython is not None and ipython.get_ipython() is not None:
        importlib.import_module("IPython.display").display(obj)
    else:
        print(repr(obj))


def target(target_id: str, source: str = "") -> Target:
    """Record the claims of one target in a block that shows them as a table at its end.

    Parameters
    ----------
    target_id : str
        A target of ``../shared/TARGETS.md``, e.g. ``"T0.2"``; claim ids are
        ``f"{target_id}-{name}"``.
    source : str
        Equation, figure or section of the paper shared by the block's claims (a claim may
        override it with ``source=``).

    Returns
    -------
    Target
        Use it as a context manager; its methods record one claim each and return it:
        ``paper``, ``derived``, ``null`` (a check against an expected value from the paper,
        derived by us, or a statistical null), ``erratum`` (corrected value, printed value) and
        ``info`` (no expected value). Keywords ``rtol``, ``atol``, ``note`` and ``kind``
        (``"check"`` or ``"beyond"``) are :func:`record`'s; any other keyword fills a field
        of the claim's name or note (below). When the block ends without an exception its
        claims are displayed as one table (rows as :func:`display_row`, then the note);
        outside a notebook the table is printed.

    Notes
    -----
    **Error budget.** The note of a claim, the error estimate behind its tolerance, is read
    from the notebook's budget file (:func:`start`): the string under the target's table and
    the claim's name as written in the call, so the notebook's code states only what is
    checked and the table below it shows why the tolerance is what it is. Name and note are
    :meth:`str.format` templates, filled like an f-string evaluated where the claim is
    recorded: a field names a variable there (``{n}``, ``{run.times.size}``, ``{d[key]}``),
    or a value given as an extra keyword of the call (which takes precedence). With the
    budget ::

        ["T3.3"]
        "born-N{n}" = "{samples} samples; 4 standard deviations of chi^2"

    the call ``t.null("born-N{n}", z, 0.0, atol=4, samples=20000)`` in a loop over ``n``
    records ``T3.3-born-N3``, … with the note ``"20000 samples; 4 standard deviations of
    chi^2"``. A
    ``note=`` given in the call is recorded as it is instead (no budget lookup, no fields).

    Raises
    ------
    ValueError
        If ``target_id`` is not of the form ``"T<paper>.<n>"``; from the methods, for a field
        of the name or budget note that the call does not fill, and as :func:`record`.
    TypeError
        From the methods, for a keyword that fills no field of the name or budget note.
    RuntimeError
        From the methods, if :func:`start` was not called first.

    Examples
    --------
    >>> path = start("99_example")
    >>> with target("T0.2", "Eq. (10)") as t:  # doctest: +NORMALIZE_WHITESPACE
    ...     _ = t.paper("product", 0.5001, 0.5, atol=1e-3, note="Monte Carlo, 4 se")
    ...     _ = t.erratum("sign", -1.0, 1.0, source="Eq. (11)")
    id            source    paper  reference  computed  tolerance   status   note
    ------------  --------  -----  ---------  --------  ----------  -------  -----------------
    T0.2-product  Eq. (10)  0.500  —          0.500     atol 0.001  PASS     Monte Carlo, 4 se
    T0.2-sign     Eq. (11)  1      —          -1        exact       ERRATUM
    """
    return Target(target_id, source)


def table(claims: list[Claim] | list[dict] | None = None) -> Table:
    """The claims as a table shown whole: every row, full source text, status coloured.

    Parameters
    ----------
    claims : list of Claim or list of dict, optional
        Default: those of the current notebook.

    Returns
    -------
    qfcore.tables.Table
        Columns :data:`TABLE_COLUMNS` plus ``note``, one row per claim, values rounded to
        their tolerance (:func:`display_row`). Displayed in a notebook it renders as HTML and
        plain text, and its output metadata ``["qfcore"]["claims"]`` holds the full records
        (what the web book's ledger and errata pages are built from).

    Raises
    ------
    KeyError
        If a dict record lacks a ledger key.

    Examples
    --------
    >>> path = start("99_example")
    >>> _ = record("T0.2-product", 0.5001, 0.5, atol=1e-3, source="Eq. (10)",
    ...            expected_origin="paper")
    >>> table().rows[0][:7]
    ['T0.2-product', 'Eq. (10)', '0.500', '—', '0.500', 'atol 0.001', 'PASS']
    """
    records = _records(claims)
    rows = [[*display_row(r).values(), r["note"]] for r in records]
    return Table(
        [*TABLE_COLUMNS, "note"],
        rows,
        status=[r["status"] for r in records],
        css_class="qfcore-claims",
        metadata={"claims": records},
    )


def display_row(record: Claim | dict) -> dict[str, str]:
    """One claim as the strings every claims table shows, rounded to the claim's tolerance.

    Parameters
    ----------
    record : Claim or dict
        A ledger record.

    Returns
    -------
    dict
        Keys :data:`TABLE_COLUMNS`: ``id``, ``source``, ``paper`` (the expected value when the
        paper prints it, else ``—``), ``reference`` (an expected value derived by us or a
        statistical null, followed by ``(derived)`` or ``(null)``, else ``—``), ``computed``,
        ``tolerance`` (``rtol …, atol …`` or ``exact``) and ``status`` (upper case). Numbers
        are printed to the last digit their tolerance resolves, so noise below the tolerance
        (parallel reductions) never changes the text.

    Raises
    ------
    KeyError
        If a dict record lacks a ledger key.

    Examples
    --------
    >>> display_row({"id": "T0.3-product", "source": "Methods", "expected": 0.567862,
    ...              "expected_origin": "paper", "computed": 0.56786205, "rtol": None,
    ...              "atol": 5e-7, "status": "pass"})  # doctest: +NORMALIZE_WHITESPACE
    {'id': 'T0.3-product', 'source': 'Methods', 'paper': '0.5678620', 'reference': '—',
     'computed': '0.5678621', 'tolerance': 'atol 5e-07', 'status': 'PASS'}
    """
    r = asdict(record) if isinstance(record, Claim) else record
    abs_tol = _abs_tolerance(r["expected"], r["rtol"], r["atol"])
    origin = r["expected_origin"]
    expected = "—" if r["expected"] is None else _fmt(r["expected"], abs_tol)
    return {
        "id": r["id"],
        "source": r["source"],
        "paper": expected if origin == "paper" else "—",
        "reference": f"{expected} ({origin})" if origin in ("derived", "null") else "—",
        "computed": _fmt(r["computed"], abs_tol),
        "tolerance": _tolerance_text(r["rtol"], r["atol"]),
        "status": r["status"].upper(),
    }


def _records(claims) -> list[dict]:
    return [asdict(c) if isinstance(c, Claim) else dict(c) for c in (claims or current())]


def summary(claims: list[Claim] | list[dict] | None = None) -> str:
    """Two lines for a notebook's end: the count of each status, and the targets covered.

    Parameters
    ----------
    claims : list of Claim or list of dict, optional
        Default: those of the current notebook.

    Returns
    -------
    str
        "<n> pass, <n> fail, <n> erratum, <n> info" and "targets with a passing or erratum
        record: T0.1, …" (targets in numerical order).

    Raises
    ------
    KeyError
        If a dict record lacks a key of :func:`table`.
    """
    records = _records(claims)
    line = ", ".join(f"{sum(r['status'] == s for r in records)} {s}" for s in STATUSES)
    targets = sorted({r["id"].split("-")[0] for r in records}, key=lambda k: int(k.split(".")[1]))
    covered = [
        k
        for k in targets
        if any(r["id"].startswith(k + "-") and r["status"] in ("pass", "erratum") for r in records)
    ]
    return f"{line}\ntargets with a passing or erratum record: {', '.join(covered)}"


def merge(folder: Path | None = None, notebooks: list[str] | None = None) -> list[dict]:
    """Concatenate the per-notebook ledgers of ``folder`` (default ``figures/claims``).

    Parameters
    ----------
    folder : pathlib.Path, optional
        Folder holding ``<notebook>.json`` files.
    notebooks : list of str, optional
        Only these notebook names (default: every ledger in the folder), in this order.

    Returns
    -------
    list of dict
        The records, notebook by notebook.

    Raises
    ------
    json.JSONDecodeError
        If a ledger file is corrupt.
    """
    folder = Path(folder) if folder is not None else figures_dir() / "claims"
    names = notebooks if notebooks is not None else sorted(p.stem for p in folder.glob("*.json"))
    out: list[dict] = []
    for name in names:
        path = folder / f"{name}.json"
        if path.is_file():
            out.extend(json.loads(path.read_text()))
    return out


def format_table(records: list[dict]) -> str:
    """A plain-text claims table: id, source, paper value, computed value, tolerance, status.

    Values are rounded to the digit of their tolerance (:func:`display_row`); long cells
    continue on the next lines (:class:`qfcore.tables.Table`); the last line counts the
    statuses.

    Parameters
    ----------
    records : list of dict
        Ledger records (:func:`merge`).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If a record lacks a ledger key.
    """
    rows = [list(display_row(r).values()) for r in records]
    counts = ", ".join(f"{sum(r['status'] == s for r in records)} {s}" for s in STATUSES)
    return f"{Table(TABLE_COLUMNS, rows)!r}\n{counts}"


# -- helpers -------------------------------------------------------------------------------------


def _field_names(template: str) -> set[str]:
    """The names of the replacement fields of a :meth:`str.format` template."""
    fields = (f for _, f, _, _ in string.Formatter().parse(template) if f is not None)
    return {re.split(r"[.\[]", f, maxsplit=1)[0] for f in fields}


def _caller_namespace() -> tuple[dict, dict]:
    """Local and global variables of the code that called the :class:`Target` method."""
    frame = sys._getframe(1)
    while frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_locals, frame.f_globals


def _fill(template: str, namespace, what: str) -> str:
    """``template.format_map(namespace)``, with an error naming the missing field."""
    try:
        return template.format_map(namespace)
    except (KeyError, IndexError, AttributeError) as exc:
        raise ValueError(
            f"the {what} {template!r} names {exc}, which is neither a keyword of the call nor "
            "a variable where the claim is recorded; define it or pass it, e.g. n=n_samples."
        ) from None


def _expected_origin(expected, origin, kind) -> str:
    if expected is None:
        if origin not in (None, "none"):
            raise ValueError(f"expected_origin={origin!r} given, but there is no expected value.")
        return "none"
    if kind == "erratum":
        if origin not in (None, "paper"):
            raise ValueError(
                "an erratum's expected value is the value printed in the paper: "
                f"expected_origin must be 'paper' (or omitted), not {origin!r}."
            )
        return "paper"
    if origin not in ORIGINS[:3]:
        raise ValueError(
            "say where the expected value comes from: expected_origin='paper' (printed in the "
            "paper), 'derived' (a closed form or value we derived) or 'null' (a statistical "
            f"null hypothesis); got {origin!r}."
        )
    return origin


def _jsonable(value, name):
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return value
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} is complex; record its real and imaginary parts separately.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a number, bool, str or array of numbers; got {value!r}.")
    if arr.ndim == 0:
        return int(arr) if arr.dtype.kind in "iu" else float(arr)
    return arr.astype(float).tolist()


def _agree(comp, exp, rtol, atol) -> bool:
    if isinstance(comp, bool | str) or isinstance(exp, bool | str):
        if type(comp) is not type(exp):
            raise ValueError(f"cannot compare computed {comp!r} with expected {exp!r}.")
        return comp == exp
    a, b = np.asarray(comp, dtype=float), np.asarray(exp, dtype=float)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"computed has shape {a.shape} and expected {b.shape}: they must broadcast."
        ) from None
    return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=False)))


def _abs_tolerance(expected, rtol, atol) -> float:
    tol = atol or 0.0
    if rtol and expected is not None and not isinstance(expected, bool | str):
        tol += rtol * float(np.max(np.abs(np.asarray(expected, dtype=float))))
    return tol


def _tolerance_text(rtol, atol) -> str:
    parts = []
    if rtol:
        parts.append(f"rtol {rtol:.2g}")
    if atol:
        parts.append(f"atol {atol:.2g}")
    return ", ".join(parts) if parts else "exact"


def _fmt(value, tol: float) -> str:
    """Format a value rounded to the digit of its tolerance (stable under sub-tolerance noise)."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v, tol) for v in value) + "]"
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if tol > 0:
        decimals = min(12, max(0, math.ceil(-math.log10(tol))))
        return f"{v:.{decimals}f}"
    return f"{v:.10g}"
