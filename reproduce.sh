#!/usr/bin/env bash
# One command to reproduce the companion: build .venv (first run, or when pyproject.toml
# changed), execute every notebook headless, write figures/ and print the claims table.
# See ./reproduce.sh --help.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

usage() {
  cat <<'USAGE'
Usage:
  ./reproduce.sh [--fast] [-p NAME VALUE]... [--inplace] [NOTEBOOK...]
  ./reproduce.sh --test [PYTEST_ARGS...]
  ./reproduce.sh --book [--out DIR]
  ./reproduce.sh --student [NOTEBOOK...] [--out DIR]
  ./reproduce.sh --grade SUBMISSIONS [--timeout SECONDS] [--full] [--out DIR]
  ./reproduce.sh --example-submissions DIR [NOTEBOOK...]
  ./reproduce.sh --help

Builds .venv from pyproject.toml if it is missing or stale, registers its Jupyter kernel
("Python (qfcore)"), then:
  (default)   executes the notebooks in notebooks/ (all, or the NOTEBOOKs named, e.g. 00)
              with papermill into build/notebooks/, writes figures/ (PNG, PDF, NetCDF),
              merges the claims ledgers into figures/claims.json and prints the claims table.
  --fast      runs the notebooks with their parameter fast=True (small ensembles, quick).
  -p NAME VALUE
              overrides a notebook parameter (papermill typing: 3, 0.5, True, text).
              A name the notebook does not declare is an error listing its parameters.
  --inplace   writes the executed notebooks back over notebooks/ (default parameters only).
  --test      runs the test suite: pytest on tests/ plus nbval on the committed notebooks.
  --book      builds the web book (the reading edition) from the committed notebooks, without
              executing them, into build/book/ (or DIR): open its index.html in a browser.
  --student   writes the student edition (nbgrader: solutions replaced by stubs, outputs
              cleared, hidden tests removed) of every notebook, or those named, into
              build/student/ (or DIR).
  --grade SUBMISSIONS
              grades SUBMISSIONS/<student>/<notebook>.ipynb headless with the notebooks'
              fast=True (--full: default parameters), each cell limited to SECONDS (default
              120); writes build/grades/grades.csv, grades.json and the executed submissions.
  --example-submissions DIR
              writes five made-up submissions per notebook (reference, unmodified, wrong,
              raising, looping) into DIR/<student>/, to try --grade on.
  --help      prints this text.
Exit status: 0 when every notebook ran and no claim failed (or the tests passed, the book was
built, the student edition written or the submissions graded), 1 on a failure, 2 on bad
arguments.
USAGE
}

mode=run
run_args=()
test_args=()
book_args=()
teaching_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --test) mode=test; shift; test_args=("$@"); break ;;
    --book) mode=book; shift; book_args=("$@"); break ;;
    --student) mode=teaching; shift; teaching_args=(student "$@"); break ;;
    --grade) mode=teaching; shift; teaching_args=(grade "$@"); break ;;
    --example-submissions) mode=teaching; shift; teaching_args=(examples "$@"); break ;;
    --fast|--inplace) run_args+=("$1"); shift ;;
    -p|--parameter)
      if [ $# -lt 3 ]; then echo "reproduce.sh: $1 needs NAME and VALUE" >&2; usage >&2; exit 2; fi
      run_args+=(-p "$2" "$3"); shift 3 ;;
    --) shift; run_args+=("$@"); break ;;
    -*) echo "reproduce.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) run_args+=("$1"); shift ;;
  esac
done

# --- the virtual environment -------------------------------------------------------------
find_python() {
  local cand
  for cand in "${PYTHON:-}" python3.11 python3.12 python3.13 python3 python; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

venv=.venv
stamp_file=$venv/.qfcore-stamp
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  py=$(find_python) || { echo "reproduce.sh: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
  echo "Creating $venv with $("$py" --version 2>&1) ..."
  rm -rf "$venv"
  "$py" -m venv "$venv" || { echo "reproduce.sh: could not create $venv" >&2; exit 1; }
fi
stamp="$( (cat pyproject.toml; "$venv/bin/python" --version) | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
  echo "Installing qfcore and its dependencies into $venv (first run or pyproject.toml changed) ..."
  "$venv/bin/python" -m pip install --quiet --upgrade pip \
    && "$venv/bin/python" -m pip install --quiet -e ".[notebooks,test,book,teaching]" \
    && "$venv/bin/python" -m ipykernel install --sys-prefix --name qfcore \
         --display-name "Python (qfcore)" >/dev/null \
    || { echo "reproduce.sh: installing into $venv failed (see pip's messages above)" >&2; exit 1; }
  echo "$stamp" > "$stamp_file"
fi

if [ "$mode" = test ]; then
  # no display for the tests' own figures (the notebook runner gives its kernels the inline
  # backend, so that executed notebooks store their figures)
  export MPLBACKEND=Agg
  exec "$venv/bin/python" -m pytest "${test_args[@]}"
fi
if [ "$mode" = book ]; then
  exec "$venv/bin/python" -m qfcore.book "${book_args[@]}"
fi
if [ "$mode" = teaching ]; then
  exec "$venv/bin/python" -m qfcore.teaching "${teaching_args[@]}"
fi
exec "$venv/bin/python" -m qfcore.runner "${run_args[@]}"
