"""The claims ledger: status rules, files written, merging and the table."""

import json

import numpy as np
import pytest

from qfcore import claims


@pytest.fixture
def ledger():
    return claims.start("99_test")


def test_pass_fail_and_info(ledger):
    assert claims.record("T0.1-a", 0.5004, 0.5, atol=1e-3, expected_origin="paper").status == "pass"
    assert claims.record("T0.1-b", 0.51, 0.5, atol=1e-3, expected_origin="derived").status == "fail"
    assert claims.record("T0.1-c", 1.0001, 1.0, rtol=2e-4, expected_origin="paper").status == "pass"
    assert claims.record("T0.1-d", 3.0).status == "info"
    assert (
        claims.record(
            "T0.1-e", [1.0, 2.0], [1.0, 2.0001], atol=1e-3, expected_origin="derived"
        ).status
        == "pass"
    )
    assert claims.record("T0.1-f", True, True, expected_origin="null").status == "pass"
    assert claims.record("T0.1-g", "a", "b", expected_origin="paper").status == "fail"
    assert (
        claims.record("T0.1-h", 1.0, 1.0, kind="beyond", expected_origin="derived").status == "pass"
    )


def test_erratum_confirmed_only_when_values_differ(ledger):
    assert claims.record("T0.2-x", 4.0, 3.0, atol=1e-9, kind="erratum").status == "erratum"
    assert claims.record("T0.2-y", 3.0, 3.0, atol=1e-9, kind="erratum").status == "fail"


def test_file_written_and_replaced_on_rerun(ledger):
    claims.record("T0.1-a", 1.0, 1.0, expected_origin="paper")
    claims.record("T0.1-a", 2.0, 1.0, expected_origin="paper")
    data = json.loads(ledger.read_text())
    assert len(data) == 1
    rec = data[0]
    assert set(rec) >= {
        "id",
        "notebook",
        "source",
        "kind",
        "computed",
        "expected",
        "rtol",
        "atol",
        "status",
    }
    assert rec["notebook"] == "99_test" and rec["status"] == "fail" and rec["computed"] == 2.0


def test_numpy_scalars_and_arrays_are_json(ledger):
    claims.record("T0.1-np", np.float64(0.25), np.array(0.25), expected_origin="derived")
    claims.record("T0.1-arr", np.arange(3), [0, 1, 2], expected_origin="derived")
    data = json.loads(ledger.read_text())
    assert data[0]["computed"] == 0.25 and data[1]["computed"] == [0.0, 1.0, 2.0]


def test_merge_and_table(ledger):
    claims.record("T0.1-a", 1.0, 1.0, atol=0.1, source="Eq. (1)", expected_origin="paper")
    claims.start("98_other")
    claims.record("T1.1-b", 2.0, 3.0, kind="erratum", source="Eq. (2)")
    merged = claims.merge()
    assert [r["id"] for r in merged] == ["T1.1-b", "T0.1-a"]
    text = claims.format_table(merged)
    assert "ERRATUM" in text and "PASS" in text and "Eq. (2)" in text
    assert text.splitlines()[-1].startswith("1 pass, 0 fail, 1 erratum, 0 info")
    assert list(claims.table().columns[:2]) == ["id", "source"]


def test_repr_rounds_to_tolerance(ledger):
    c = claims.record("T0.1-r", 0.123456789, 0.1235, atol=1e-3, expected_origin="paper")
    assert "0.123 " in repr(c) and "PASS" in repr(c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"claim_id": "bad-id"}, "target id"),
        ({"kind": "maybe"}, "kind must be"),
        ({"atol": -1.0}, "atol must be"),
        ({"kind": "erratum", "expected": None}, "printed in the paper"),
        ({"expected_origin": None}, "say where the expected value comes from"),
        ({"expected_origin": "guess"}, "say where the expected value comes from"),
        ({"expected": None}, "there is no expected value"),
        ({"kind": "erratum", "expected_origin": "derived"}, "must be 'paper'"),
    ],
)
def test_bad_input(ledger, kwargs, match):
    args = {"claim_id": "T0.1-z", "computed": 1.0, "expected": 1.0, "expected_origin": "paper"}
    args |= kwargs
    with pytest.raises(ValueError, match=match):
        claims.record(args.pop("claim_id"), args.pop("computed"), args.pop("expected"), **args)


def test_complex_rejected_and_start_required(ledger, monkeypatch):
    with pytest.raises(TypeError, match="complex"):
        claims.record("T0.1-c", 1j, 0.0, expected_origin="derived")
    monkeypatch.setattr(claims, "_LEDGER", None)
    with pytest.raises(RuntimeError, match="start"):
        claims.record("T0.1-a", 1.0)
    with pytest.raises(ValueError, match="bare notebook name"):
        claims.start("notebooks/00.ipynb")


def test_summary_counts_and_targets(ledger):
    claims.record("T2.1-a", 1.0, 1.0, atol=0.1, expected_origin="paper")
    claims.record("T10.1-b", 1.0, 2.0, atol=0.1, expected_origin="paper")  # fail
    claims.record("T2.3-c", 1.0, 2.0, atol=0.1, kind="erratum")
    claims.record("T2.4-d", 1.0)  # info only: not a covered target
    text = claims.summary()
    assert text.splitlines()[0] == "1 pass, 1 fail, 1 erratum, 1 info"
    assert text.splitlines()[1] == "targets with a passing or erratum record: T2.1, T2.3"


def test_expected_origin_labels_the_columns(ledger):
    paper = claims.record("T0.1-p", 0.5, 0.5, atol=0.01, expected_origin="paper")
    derived = claims.record("T0.1-d", 0.5, 0.5, atol=0.01, expected_origin="derived")
    null = claims.record("T0.1-n", 0.3, 0.0, atol=5.0, expected_origin="null")
    info = claims.record("T0.1-i", 7.0)
    erratum = claims.record("T0.1-e", 4.0, 3.0, atol=0.1, kind="erratum")
    assert [c.expected_origin for c in (paper, derived, null, info, erratum)] == [
        "paper",
        "derived",
        "null",
        "none",
        "paper",
    ]
    rows = {c.id: claims.display_row(c) for c in claims.current()}
    assert (rows["T0.1-p"]["paper"], rows["T0.1-p"]["reference"]) == ("0.50", "—")
    assert (rows["T0.1-d"]["paper"], rows["T0.1-d"]["reference"]) == ("—", "0.50 (derived)")
    assert (rows["T0.1-n"]["paper"], rows["T0.1-n"]["reference"]) == ("—", "0 (null)")
    assert (rows["T0.1-i"]["paper"], rows["T0.1-i"]["reference"]) == ("—", "—")
    assert " | derived 0.50 | " in repr(derived) and " | paper 0.50 | " in repr(paper)
    assert " | — | " in repr(info)
    assert json.loads(claims._LEDGER.path.read_text())[1]["expected_origin"] == "derived"


def test_target_block_records_what_record_records(ledger, capsys):
    with claims.target("T0.2", "Eq. (10)") as t:
        a = t.paper("product", 0.5001, 0.5, atol=1e-3, note="4 se")
        b = t.derived("sigma", 0.71, 0.7071, atol=1e-3, source="Eq. (9)")
        c = t.null("z", 0.3, 0.0, atol=4.0, kind="beyond")
        d = t.erratum("sign", -1.0, 1.0)
        e = t.info("width", 2.5)
    printed = capsys.readouterr().out  # no kernel here: the block's table is printed
    stored = {r["id"]: r for r in json.loads(ledger.read_text())}
    assert [x.status for x in (a, b, c, d, e)] == ["pass", "fail", "pass", "erratum", "info"]
    assert [x.expected_origin for x in (a, b, c, d, e)] == [
        "paper",
        "derived",
        "null",
        "paper",
        "none",
    ]
    assert (a.source, b.source, c.kind, d.kind) == ("Eq. (10)", "Eq. (9)", "beyond", "erratum")
    assert stored["T0.2-product"]["note"] == "4 se"
    claims.start("99_test")
    reference = claims.record(
        "T0.2-product",
        0.5001,
        0.5,
        atol=1e-3,
        source="Eq. (10)",
        expected_origin="paper",
        note="4 se",
    )
    assert reference == a
    lines = printed.splitlines()
    assert lines[0].split() == [*claims.TABLE_COLUMNS, "note"]
    assert [line.split()[0] for line in lines[2:]] == [x.id for x in (a, b, c, d, e)]
    assert lines[3].split()[-1] == "FAIL"


@pytest.fixture
def budget(tmp_path):
    path = tmp_path / "99_budget.toml"
    path.write_text(
        '["T3.3"]\n'
        '"born-N{n}" = "{samples} samples, {run.size} runs, {width[narrow]:.2f}"\n'
        '"static" = "4 standard errors {{of the mean}}"\n'
    )
    return path


def test_notes_come_from_the_budget_filled_like_an_f_string(budget):
    claims.start("99_budget", budget=budget)
    run = np.zeros(3)  # read by the note template, as an f-string would
    width = {"narrow": 0.25}
    with claims.target("T3.3", "Eq. (22)") as t:
        for n in (3, 4):
            t.null("born-N{n}", 0.1, 0.0, atol=4.0, n=n, samples=20_000, width=width)
        t.derived("static", 1.0, 1.0)
        t.derived("unbudgeted", 1.0, 1.0)
        t.derived("inline", 1.0, 1.0, note="given {as is}")
    notes = {c.id: c.note for c in claims.current()}
    assert notes == {
        "T3.3-born-N3": "20000 samples, 3 runs, 0.25",
        "T3.3-born-N4": "20000 samples, 3 runs, 0.25",
        "T3.3-static": "4 standard errors {of the mean}",
        "T3.3-unbudgeted": "",
        "T3.3-inline": "given {as is}",
    }
    assert t.table().columns[-1] == "note" and t.table().rows[0][-1] == notes["T3.3-born-N3"]
    del run
    with pytest.raises(ValueError, match="'run', which is neither a keyword"):
        t.null("born-N{n}", 0.1, 0.0, atol=4.0, n=5, samples=1, width=width)
    with pytest.raises(ValueError, match=r"the name 'x-\{k\}' names 'k'"):
        t.derived("x-{k}", 1.0, 1.0)
    with pytest.raises(TypeError, match=r"\['samples'\] fill no field"):
        t.derived("static", 1.0, 1.0, samples=3)


def test_a_malformed_or_missing_budget_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('["T3"]\n"x" = "note"\n')
    with pytest.raises(ValueError, match="target tables"):
        claims.start("99_budget", budget=bad)
    bad.write_text('["T3.3"]\n"x" = 3\n')
    with pytest.raises(ValueError, match=r"T3\.3-x must be a string"):
        claims.start("99_budget", budget=bad)
    with pytest.raises(FileNotFoundError):
        claims.start("99_budget", budget=tmp_path / "absent.toml")


def test_target_rerun_replaces_and_errors_show_nothing(ledger, capsys):
    t = claims.target("T1.3")
    t.derived("a", 1.0, 2.0, atol=0.1)
    t.derived("a", 2.0, 2.0, atol=0.1)
    assert [c.status for c in t.claims] == ["pass"]
    assert [r.split()[-1] for r in repr(t).splitlines()[2:]] == ["PASS"]
    with pytest.raises(ZeroDivisionError), claims.target("T1.4") as u:
        u.derived("b", 1.0, 1.0)
        raise ZeroDivisionError("a failing cell")
    assert capsys.readouterr().out == ""  # the failing block displays nothing
    assert [c.id for c in claims.current()] == ["T1.3-a", "T1.4-b"]  # but kept its record


@pytest.mark.parametrize("bad", ["T0", "0.2", "T0.2-x", "t0.2"])
def test_target_rejects_malformed_ids(ledger, bad):
    with pytest.raises(ValueError, match="target_id"):
        claims.target(bad)


def test_target_methods_raise_as_record(ledger):
    t = claims.target("T0.5")
    with pytest.raises(ValueError, match="rtol"):
        t.derived("x", 1.0, 1.0, rtol=-1.0)
    with pytest.raises(ValueError, match="kind"):
        t.paper("x", 1.0, 1.0, kind="erratum-ish")
