"""The project's set-up files agree with each other and with the README."""

import ast
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$", req)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_lists_the_pyproject_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= dict(_split(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("python")
    conda.pop("pip")
    # packages conda-forge lacks come from PyPI through the pip: section (not "-e .")
    pip = [r for d in env["dependencies"] if isinstance(d, dict) for r in d.get("pip", [])]
    from_pypi = dict(_split(r) for r in pip if not r.startswith("-"))
    assert not conda.keys() & from_pypi.keys()
    assert conda | from_pypi == wanted


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "./reproduce.sh --test" in readme and "./reproduce.sh\n" in readme
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert commands == ["./reproduce.sh --test"]


# qfcore's companion tools: they import the extras' packages, which is why those are extras
TOOL_MODULES = {"runner": "notebooks", "book": "book", "teaching": "teaching"}
IMPORT_NAMES = {"yaml": "pyyaml"}  # import name -> distribution name, where they differ


def _third_party_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    names -= set(sys.stdlib_module_names) | {"qfcore"}
    return {IMPORT_NAMES.get(n, n) for n in names}


def test_qfcore_depends_on_exactly_what_it_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_split(r)[0] for r in project["dependencies"]}
    imported = set()
    for path in sorted((ROOT / "qfcore").rglob("*.py")):
        names = _third_party_imports(path)
        if path.stem in TOOL_MODULES:
            extra = project["optional-dependencies"][TOOL_MODULES[path.stem]]
            # nbformat and nbclient come with papermill, myst-nb and nbgrader
            names -= {_split(r)[0] for r in extra} | {"nbformat", "nbclient"}
        imported |= names
    assert imported == core


def test_license_is_an_spdx_expression():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
