"""The notebook runner behind ./reproduce.sh: arguments, parameters, failures, exit status."""

import json

import nbformat
import pytest

from qfcore import runner


def _notebook(path, body, params="fast = False\nseed = 1\nsigma = 0.5\n"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def books(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    ok = (
        "from qfcore import claims\n"
        "claims.start('00_ok')\n"
        "claims.record('T0.1-sigma', sigma, 0.5, atol=1e-12, expected_origin='derived')\n"
    )
    _notebook(folder / "00_ok.ipynb", ok)
    _notebook(folder / "01_broken.ipynb", "raise RuntimeError('boom')")
    monkeypatch.setattr(runner, "NOTEBOOKS", folder)
    monkeypatch.setattr(runner, "BUILD", tmp_path / "build")
    monkeypatch.setattr(runner, "KERNEL", "python3")
    return folder


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("0.5", 0.5), ("True", True), ("None", None), ("abc", "abc")]
)
def test_parse_value(text, value):
    assert runner.parse_value(text) == value and type(runner.parse_value(text)) is type(value)


def test_resolve_notebooks(books):
    assert [p.stem for p in runner.resolve_notebooks([], books)] == ["00_ok", "01_broken"]
    assert runner.resolve_notebooks(["01"], books)[0].stem == "01_broken"
    assert runner.resolve_notebooks(["notebooks/00_ok.ipynb"], books)[0].stem == "00_ok"
    with pytest.raises(runner.UsageError, match="available: 00_ok, 01_broken"):
        runner.resolve_notebooks(["07"], books)
    with pytest.raises(runner.UsageError, match="ambiguous"):
        runner.resolve_notebooks(["0"], books)


def test_unknown_parameter_names_the_declared_ones(books, capsys):
    assert runner.main(["00", "-p", "sigmaa", "1"]) == 2
    err = capsys.readouterr().err
    assert "no parameter 'sigmaa'" in err and "fast, seed, sigma" in err


def test_parameter_types_checked(books, capsys):
    assert runner.main(["00", "-p", "fast", "1"]) == 2
    assert runner.main(["00", "-p", "seed", "1.5"]) == 2
    assert runner.main(["00", "-p", "sigma", "abc"]) == 2
    assert runner.main(["--inplace", "--fast"]) == 2


def test_failure_does_not_stop_the_others(books, capsys):
    status = runner.main([])
    out = capsys.readouterr().out
    assert status == 1
    assert "notebooks that failed: 01_broken" in out and "PASS" in out
    merged = json.loads((runner.figures_dir() / "claims.json").read_text())
    assert [r["id"] for r in merged] == ["T0.1-sigma"]


def test_parameters_reach_the_notebook_and_fail_claims(books, capsys):
    assert runner.main(["00", "-p", "sigma", "0.25"]) == 1
    out = capsys.readouterr().out
    assert "claims that failed: T0.1-sigma" in out
    assert runner.main(["00"]) == 0


def test_list_values_and_their_type_check(books, tmp_path):
    assert runner.parse_value("[100, 200]") == [100, 200]
    assert runner.parse_value("[oops") == "[oops"
    path = _notebook(tmp_path / "02_lists.ipynb", "pass", params="sizes = [1, 2]  # K values\n")
    runner.check_parameters(path, {"sizes": [3]})
    with pytest.raises(runner.UsageError, match="takes a list such as"):
        runner.check_parameters(path, {"sizes": 3})


def test_figures_stored_and_no_progress_bars_or_timings(books, monkeypatch):
    """reproduce.sh exports MPLBACKEND=Agg; the kernel must still store figures inline."""
    body = (
        "import matplotlib.pyplot as plt\n"
        "from tqdm import tqdm\n"
        "for _ in tqdm(range(3), desc='bar'):\n"
        "    pass\n"
        "plt.plot([0, 1], [sigma, 1])\n"
        "plt.show()\n"
    )
    _notebook(books / "02_figure.ipynb", body)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert runner.main(["02"]) == 0
    nb = nbformat.read(runner.BUILD / "02_figure.ipynb", as_version=4)
    outputs = nb.cells[-1].outputs
    assert any("image/png" in out.get("data", {}) for out in outputs)
    assert not [out for out in outputs if out.output_type == "stream"], "a progress bar landed"
    assert not any({"execution", "papermill"} & set(c.metadata) for c in nb.cells)
    assert not {"start_time", "end_time", "duration"} & set(nb.metadata.papermill)
    assert runner.os.environ["MPLBACKEND"] == "Agg" and "TQDM_DISABLE" not in runner.os.environ
