"""The shared argument checkers of qfcore._checks: messages name the parameter, valid input
passes through unchanged."""

import numpy as np
import pytest

from qfcore import _checks as ck


def test_positive_and_non_negative():
    assert ck.positive(2, "mass") == 2.0
    assert ck.non_negative(0, "coupling") == 0.0
    assert ck.non_negative(np.float64(1.5), "squeeze") == 1.5
    with pytest.raises(ValueError, match="mass must be a finite number > 0; got 0"):
        ck.positive(0, "mass")
    with pytest.raises(TypeError, match="mass must be a real number"):
        ck.positive(True, "mass")
    with pytest.raises(ValueError, match=r"coupling must be finite and >= 0 \(g = 2 pi G\); got"):
        ck.non_negative(-1.0, "coupling", " (g = 2 pi G)")
    with pytest.raises(ValueError, match="squeeze must be finite and >= 0"):
        ck.non_negative(float("inf"), "squeeze")
    with pytest.raises(TypeError, match="squeeze must be a real number; got str"):
        ck.non_negative("1", "squeeze")


def test_times_accepts_and_returns_float_view():
    t = np.array([0.0, 0.5, 2.0])
    assert ck.times(t) is t  # a float64 array comes back as is
    out = ck.times([0, 1, 3])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(ck.times([-2.0, -1.0], start=None), [-2.0, -1.0])
    np.testing.assert_array_equal(ck.times([0.0, 1.0], minimum=2, start="zero"), [0.0, 1.0])


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, r"t_out must be a non-empty 1D array"),
        ([[0.0, 1.0]], {}, ValueError, r"t_out must be a non-empty 1D array"),
        ([0.0], {"minimum": 2}, ValueError, r"t_out must be .* at least 2 time"),
        ([0.0, np.nan], {}, ValueError, "t_out holds non-finite values"),
        ([-1.0, 0.0], {"hint": " (x0 is at t = 0)"}, ValueError, r"t_out must be >= 0.*\(x0"),
        ([-1.0, 0.0], {}, ValueError, "start at t >= 0"),
        ([0.5, 1.0], {"start": "zero"}, ValueError, "t_out must be output times starting at 0"),
        ([0.0, 0.0], {}, ValueError, "t_out must be strictly increasing; sort them"),
        ([1.0, 0.5], {"start": None}, ValueError, "t_out must be strictly increasing"),
        ([0.0, 1j], {}, TypeError, "t_out must be real"),
        (["a"], {}, TypeError, "t_out must be a real numeric array"),
        ([True, False], {}, TypeError, "t_out must be a real numeric array"),
    ],
)
def test_times_errors(values, kwargs, error, match):
    with pytest.raises(error, match=match):
        ck.times(values, "t_out", **kwargs)


def test_complex_array():
    a = [[1, 2], [3, 4]]
    out = ck.complex_array(a, "psi")
    assert out.dtype == np.complex128
    np.testing.assert_array_equal(out, np.array(a, dtype=complex))
    c = np.array([1j, 2.0])
    assert ck.complex_array(c, "psi") is not c  # always a copy
    with pytest.raises(TypeError, match="psi must be a numeric array"):
        ck.complex_array(["a"], "psi")
    with pytest.raises(TypeError, match="psi must be a numeric array"):
        ck.complex_array([True], "psi")
    with pytest.raises(ValueError, match="psi holds non-finite entries"):
        ck.complex_array([np.inf], "psi")


def test_hermitian_and_hamiltonian():
    h = np.array([[1.0, 2j], [-2j, 3.0]])
    ck.hermitian(h, "rho0")
    ck.hermitian(h + 1e-11 * np.triu(np.ones((2, 2)), 1), "rho0")  # within HERMITIAN_TOL
    out = ck.hamiltonian(h, size=2)
    np.testing.assert_array_equal(out, h)
    assert out.dtype == np.complex128 and out is not h
    assert ck.hamiltonian([[0, 1], [1, 0]], "H").shape == (2, 2)
    with pytest.raises(ValueError, match=r"rho0 is not Hermitian \(\|A - A\^dagger\| > 1e-10 "):
        ck.hermitian(h + 1e-9 * np.triu(np.ones((2, 2)), 1), "rho0")  # one tolerance, no rtol
    with pytest.raises(ValueError, match=r"rho0 is not Hermitian .*or fix it\."):
        ck.hermitian(np.triu(np.ones((2, 2))), "rho0", fix="fix it")
    with pytest.raises(ValueError, match=r"H is not Hermitian.*set H\[j, i\] = conj\(H\[i, j\]\)"):
        ck.hamiltonian([[0, 1], [0, 0]], "H")
    with pytest.raises(ValueError, match=r"H must be a \(3, 3\) matrix to match psi; got shape"):
        ck.hamiltonian(h, "H", size=3, what=" to match psi")
    with pytest.raises(ValueError, match=r"H must be a square \(n, n\) matrix with n >= 2"):
        ck.hamiltonian([[1.0]], "H", minimum=2)
    with pytest.raises(ValueError, match="H must be a square"):
        ck.hamiltonian(np.zeros((2, 3)), "H")
    with pytest.raises(ValueError, match="H holds non-finite"):
        ck.hamiltonian([[np.nan]], "H")


def test_normalised():
    ck.normalised(1.0 + 0.5 * ck.NORM_TOL, "psi0")
    ck.normalised(np.ones((3, 2)), "beta")
    with pytest.raises(ValueError, match=r"psi0 is not normalised: sum \|psi\|\^2 = 2 .*sqrt\(2\)"):
        ck.normalised(2.0, "psi0")
    with pytest.raises(ValueError, match=r"rho0 is not normalised: Tr rho0 = 3 .*divide it by 3\."):
        ck.normalised(3.0, "rho0", "Tr rho0", squared=False)
    with pytest.raises(ValueError, match=r"= 0\.5 "):  # the worst entry is reported
        ck.normalised([1.0, 0.9, 0.5], "beta")
