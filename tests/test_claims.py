"""The claims ledger: status rules, files written, merging and the table."""

import json

import numpy as np
import pytest

from qfcore import claims


@pytest.fixture
def ledger():
    return claims.start("99_test")


def test_pass_fail_and_info(ledger):
    assert claims.record("T0.1-a", 0.5004, 0.5, atol=1e-3).status == "pass"
    assert claims.record("T0.1-b", 0.51, 0.5, atol=1e-3).status == "fail"
    assert claims.record("T0.1-c", 1.0001, 1.0, rtol=2e-4).status == "pass"
    assert claims.record("T0.1-d", 3.0).status == "info"
    assert claims.record("T0.1-e", [1.0, 2.0], [1.0, 2.0001], atol=1e-3).status == "pass"
    assert claims.record("T0.1-f", True, True).status == "pass"
    assert claims.record("T0.1-g", "a", "b").status == "fail"
    assert claims.record("T0.1-h", 1.0, 1.0, kind="beyond").status == "pass"


def test_erratum_confirmed_only_when_values_differ(ledger):
    assert claims.record("T0.2-x", 4.0, 3.0, atol=1e-9, kind="erratum").status == "erratum"
    assert claims.record("T0.2-y", 3.0, 3.0, atol=1e-9, kind="erratum").status == "fail"


def test_file_written_and_replaced_on_rerun(ledger):
    claims.record("T0.1-a", 1.0, 1.0)
    claims.record("T0.1-a", 2.0, 1.0)
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
    claims.record("T0.1-np", np.float64(0.25), np.array(0.25))
    claims.record("T0.1-arr", np.arange(3), [0, 1, 2])
    data = json.loads(ledger.read_text())
    assert data[0]["computed"] == 0.25 and data[1]["computed"] == [0.0, 1.0, 2.0]


def test_merge_and_table(ledger):
    claims.record("T0.1-a", 1.0, 1.0, atol=0.1, source="Eq. (1)")
    claims.start("98_other")
    claims.record("T1.1-b", 2.0, 3.0, kind="erratum", source="Eq. (2)")
    merged = claims.merge()
    assert [r["id"] for r in merged] == ["T1.1-b", "T0.1-a"]
    text = claims.format_table(merged)
    assert "ERRATUM" in text and "PASS" in text and "Eq. (2)" in text
    assert text.splitlines()[-1].startswith("1 pass, 0 fail, 1 erratum, 0 info")
    assert list(claims.table().columns[:2]) == ["id", "source"]


def test_repr_rounds_to_tolerance(ledger):
    c = claims.record("T0.1-r", 0.123456789, 0.1235, atol=1e-3)
    assert "0.123 " in repr(c) and "PASS" in repr(c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"claim_id": "bad-id"}, "target id"),
        ({"kind": "maybe"}, "kind must be"),
        ({"atol": -1.0}, "atol must be"),
        ({"kind": "erratum", "expected": None}, "printed in the paper"),
    ],
)
def test_bad_input(ledger, kwargs, match):
    args = {"claim_id": "T0.1-z", "computed": 1.0, "expected": 1.0} | kwargs
    with pytest.raises(ValueError, match=match):
        claims.record(args.pop("claim_id"), args.pop("computed"), args.pop("expected"), **args)


def test_complex_rejected_and_start_required(ledger, monkeypatch):
    with pytest.raises(TypeError, match="complex"):
        claims.record("T0.1-c", 1j, 0.0)
    monkeypatch.setattr(claims, "_LEDGER", None)
    with pytest.raises(RuntimeError, match="start"):
        claims.record("T0.1-a", 1.0)
    with pytest.raises(ValueError, match="bare notebook name"):
        claims.start("notebooks/00.ipynb")


def test_summary_counts_and_targets(ledger):
    claims.record("T2.1-a", 1.0, 1.0, atol=0.1)
    claims.record("T10.1-b", 1.0, 2.0, atol=0.1)  # fail
    claims.record("T2.3-c", 1.0, 2.0, atol=0.1, kind="erratum")
    claims.record("T2.4-d", 1.0)  # info only: not a covered target
    text = claims.summary()
    assert text.splitlines()[0] == "1 pass, 1 fail, 1 erratum, 1 info"
    assert text.splitlines()[1] == "targets with a passing or erratum record: T2.1, T2.3"
