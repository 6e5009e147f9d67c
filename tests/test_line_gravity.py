"""Tests of qfcore.line_gravity: Green's functions, pair forces and the 1/|x| mean field."""

import math

import numpy as np
import pytest
import sympy as sp

from qfcore import line_gravity as lg


def test_abs_x_is_the_1d_green_function_and_inverse_distance_is_3d():
    k = lg.kernel_laplacians()
    x = sp.Symbol("x", real=True)
    assert k.abs_x_1d == 2 * sp.DiracDelta(x)
    r = sp.Symbol("r", positive=True)
    assert sp.simplify(k.inverse_distance_1d - 2 / r**3) == 0
    assert k.inverse_distance_3d == 0
    # integrating d^2|x|/dx^2 against a test function gives twice its value at 0
    assert sp.integrate(k.abs_x_1d * sp.exp(-(x**2)), (x, -sp.oo, sp.oo)) == 2


def test_poisson_operator_of_eq114_is_one_dimensional():
    assert lg.poisson_dimension() == [1]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_eq102_gives_half_the_pair_force_for_any_number_of_bodies(k):
    assert lg.pair_force_ratio(k) == sp.Rational(1, 2)


def test_pair_force_ratio_rejects_a_single_body():
    with pytest.raises(ValueError, match="n_bodies"):
        lg.pair_force_ratio(1)


def test_eq111_force_is_repulsive_and_newton_attractive():
    f = lg.eq111_force()
    d, m = sp.symbols("d M", positive=True)
    assert f.printed.subs({d: 2, m: 1}) == sp.Rational(1, 4)
    assert f.newton.subs({d: 2, m: 1}) == -sp.Rational(1, 4)


def test_transport_coefficient_is_velocity():
    p, m = sp.Symbol("p", real=True), sp.Symbol("M", positive=True)
    assert sp.simplify(lg.transport_coefficient() - p / m) == 0


def test_eq113_potential_grows_with_the_x_prime_range():
    e = lg.eq113_potential()
    assert e.corrected == 1
    assert sp.simplify(e.printed - 2 * e.half_width) == 0


def test_mean_field_grows_like_2_rho_log_inverse_cutoff():
    # unit Gaussian at x = 0: the difference between two cut-offs is 2 rho(0) ln(eps1/eps2)
    # up to O(eps^2) (independent closed-form check)
    rho = lambda u: np.exp(-(u**2) / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    eps = np.array([1e-4, 1e-7])
    v = lg.inverse_distance_mean_field(rho, 0.0, eps, reach=40.0)
    assert v[1] - v[0] == pytest.approx(2 * rho(0.0) * math.log(1e3), rel=1e-8)


def test_mean_field_uniform_density_closed_form():
    v = lg.inverse_distance_mean_field(lambda u: 0.5 + 0 * u, 0.0, [0.1, 1e-5], reach=1.0)
    assert v == pytest.approx([math.log(10.0), math.log(1e5)], rel=1e-10)


def test_mean_field_bad_input():
    with pytest.raises(TypeError, match="rho"):
        lg.inverse_distance_mean_field(1.0, 0.0, [0.1], reach=1.0)
    with pytest.raises(ValueError, match="cutoffs"):
        lg.inverse_distance_mean_field(lambda u: u, 0.0, [2.0], reach=1.0)
    with pytest.raises(ValueError, match="reach"):
        lg.inverse_distance_mean_field(lambda u: u, 0.0, [0.1], reach=-1.0)
