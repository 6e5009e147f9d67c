"""Execute the companion's notebooks headless with papermill and report the claims ledger.

This is the engine of ``./reproduce.sh`` (which first builds ``.venv``); run it directly as
``python -m qfcore.runner --help``. Each selected notebook is executed with its ``parameters``
cell overridden by ``--fast`` and ``-p NAME VALUE``; a parameter name that a notebook does not
declare is an error that lists the names it does declare. A failing notebook does not stop the
others. Afterwards the per-notebook ledgers are merged into ``figures/claims.json`` and the
claims table of the notebooks just run is printed. The exit status is 0 only if every notebook
ran and no claim failed; 2 means bad arguments.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from qfcore import claims
from qfcore._paths import figures_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "notebooks"
KERNEL = "qfcore"
#: Environment of the headless kernel. The inline backend stores every figure in the executed
#: notebook as a PNG output (an inherited ``MPLBACKEND=Agg`` would draw nothing); tqdm's bars
#: are for interactive runs and must not land in a committed notebook.
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "TQDM_DISABLE": "1"}
#: Metadata that records when and how long a cell ran (machine-dependent, not content).
_TIMING_KEYS = ("execution", "papermill")
_NOTEBOOK_TIMING_KEYS = ("start_time", "end_time", "duration")


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


def parse_value(text: str):
    """Papermill's ``-p`` typing (True/False/None, int, float, else the string itself), plus
    list literals such as ``[100, 200]`` for list parameters.

    Parameters
    ----------
    text : str
        The VALUE of ``-p NAME VALUE``.

    Returns
    -------
    bool, None, int, float, list or str

    Raises
    ------
    Nothing: text that is no literal stays a string (the type check rejects it if needed).

    Examples
    --------
    >>> parse_value("0.5"), parse_value("[3, 4]"), parse_value("gaussian")
    (0.5, [3, 4], 'gaussian')
    """
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lstrip().startswith("["):
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(text)
            if isinstance(value, list):
                return value
    return text


def available_notebooks(folder: Path | None = None) -> list[Path]:
    """The notebooks of ``folder`` (default ``notebooks/``) in name order."""
    folder = NOTEBOOKS if folder is None else folder
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def resolve_notebooks(names: list[str], folder: Path | None = None) -> list[Path]:
    """Map user arguments (``00``, a full stem, or a path) to notebook files.

    Raises
    ------
    UsageError
        For a name that matches no notebook, or more than one.
    """
    every = available_notebooks(folder)
    if not names:
        return every
    out = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        hits = [p for p in every if p.stem == stem] or [p for p in every if p.stem.startswith(stem)]
        if len(hits) != 1:
            listing = ", ".join(p.stem for p in every) or "(none)"
            what = "matches no notebook" if not hits else "is ambiguous"
            raise UsageError(f"notebook {name!r} {what}; available: {listing}")
        out.append(hits[0])
    return out


def notebook_parameters(path: Path) -> dict:
    """The parameters a notebook declares in its ``parameters`` cell: name -> papermill info."""
    import papermill

    return papermill.inspect_notebook(str(path))


def check_parameters(path: Path, overrides: dict) -> None:
    """Raise :class:`UsageError` if ``overrides`` names a parameter ``path`` does not declare
    or gives a value whose type cannot replace the default's."""
    declared = notebook_parameters(path)
    for name, value in overrides.items():
        if name not in declared:
            names = ", ".join(sorted(declared)) or "(none: the notebook has no parameters cell)"
            raise UsageError(f"{path.stem} has no parameter {name!r}. Its parameters are: {names}")
        default_type = _declared_type(declared[name])
        if default_type == "bool" and not isinstance(value, bool):
            raise UsageError(f"{path.stem}: parameter {name!r} takes True or False, not {value!r}")
        if default_type in ("int", "float") and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise UsageError(f"{path.stem}: parameter {name!r} takes a number, not {value!r}")
        if default_type == "int" and isinstance(value, float):
            raise UsageError(f"{path.stem}: parameter {name!r} takes an integer, not {value!r}")
        if default_type == "list" and not isinstance(value, list):
            raise UsageError(
                f"{path.stem}: parameter {name!r} takes a list such as "
                f"{declared[name]['default']}, not {value!r}"
            )


def _declared_type(info: dict) -> str:
    """Type name of a parameter: its annotation, else the type of its literal default."""
    if info.get("inferred_type_name", "None") != "None":
        return info["inferred_type_name"]
    try:
        return type(ast.literal_eval(info.get("default", ""))).__name__
    except (ValueError, SyntaxError):
        return "None"


def run_notebook(path: Path, parameters: dict, output: Path) -> tuple[bool, float, str]:
    """Execute one notebook; return (succeeded, seconds, error message).

    The kernel runs with :data:`KERNEL_ENV` (figures stored inline, no progress bars) and the
    written notebook is stripped of timing metadata (:func:`strip_timing`), so that an
    ``--inplace`` run commits content only.
    """
    import papermill

    ledger = figures_dir() / "claims" / f"{path.stem}.json"
    ledger.unlink(missing_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with environment(KERNEL_ENV):
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL,
                cwd=str(path.parent),
                progress_bar=False,
            )
    except Exception as exc:  # papermill wraps cell errors; a kernel crash raises others
        first = str(exc).strip().splitlines()
        return False, time.perf_counter() - t0, first[-1] if first else type(exc).__name__
    finally:
        if output.is_file():
            strip_timing(output)
    return True, time.perf_counter() - t0, ""


def strip_timing(path: Path) -> None:
    """Remove the run's timestamps and durations from an executed notebook, in place.

    Deletes the ``execution`` (nbclient) and ``papermill`` (papermill) metadata of every cell
    and papermill's notebook-level start time, end time and duration. Outputs are untouched.

    Parameters
    ----------
    path : pathlib.Path
        An ``.ipynb`` file.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    nbformat.ValidationError
        If the file is not a valid notebook.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for key in _TIMING_KEYS:
            cell.metadata.pop(key, None)
    for key in _NOTEBOOK_TIMING_KEYS:
        nb.metadata.get("papermill", {}).pop(key, None)
    nbformat.write(nb, path)


@contextlib.contextmanager
def environment(values: dict[str, str]):
    """Set environment variables for the duration of the block (the kernel inherits them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface (mirrors ``./reproduce.sh``)."""
    parser = argparse.ArgumentParser(
        prog="reproduce.sh",
        description="Execute the notebooks headless, write figures/ and the claims table.",
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (e.g. 00); default all")
    parser.add_argument("--fast", action="store_true", help="run with the notebooks' fast=True")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a notebook parameter (repeatable)",
    )
    parser.add_argument(
        "--inplace",
        action="store_true",
        help="write the executed notebooks over notebooks/ (default parameters only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks; return the exit status (0 ok, 1 failure, 2 usage)."""
    args = build_parser().parse_args(argv)
    overrides = {name: parse_value(value) for name, value in args.parameter}
    if args.fast:
        overrides["fast"] = True
    try:
        if args.inplace and overrides:
            raise UsageError(
                "--inplace rewrites the committed notebooks, which must keep their default "
                "outputs: drop --fast and -p, or drop --inplace."
            )
        paths = resolve_notebooks(args.notebooks)
        if not paths:
            raise UsageError(f"no notebooks found in {NOTEBOOKS}")
        for path in paths:
            check_parameters(path, overrides)
    except UsageError as exc:
        print(f"reproduce.sh: {exc}", file=sys.stderr)
        return 2

    failures = []
    for path in paths:
        output = path if args.inplace else BUILD / path.name
        print(f"▶ {path.stem} {json.dumps(overrides) if overrides else ''}", flush=True)
        ok, seconds, message = run_notebook(path, overrides, output)
        print(f"  {'done' if ok else 'FAILED'} in {seconds:.0f} s -> {_show(output)}")
        if not ok:
            print(f"  {message}")
            failures.append(path.stem)

    every = claims.merge(notebooks=[p.stem for p in available_notebooks()])
    (figures_dir() / "claims.json").write_text(json.dumps(every, indent=1) + "\n")
    ran = {p.stem for p in paths}
    records = [r for r in every if r["notebook"] in ran]
    print()
    print(claims.format_table(records))
    failed_claims = [r["id"] for r in records if r["status"] == "fail"]
    print()
    if failures:
        print(f"notebooks that failed: {', '.join(failures)}")
    if failed_claims:
        print(f"claims that failed: {', '.join(failed_claims)}")
    if not failures and not failed_claims:
        print(f"all {len(paths)} notebook(s) ran; no claim failed.")
    print(f"claims ledger: {_show(figures_dir() / 'claims.json')}")
    return 1 if failures or failed_claims else 0


if __name__ == "__main__":
    sys.exit(main())
