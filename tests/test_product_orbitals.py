"""Tests of qfcore.product_orbitals: samplers against |phi|^2, exact F_cm against Monte Carlo."""

import math

import numpy as np
import pytest
import scipy.stats

from qfcore import product_orbitals as po
from qfcore import statistics as st
from qfcore import trajectories as tr


def test_sech_sample_is_distributed_as_sech_squared():
    s = po.sample_orbital("sech", 200_000, centre=1.0, width=2.0, rng=3)
    cdf = lambda x: (1 + np.tanh((x - 1.0) / 2.0)) / 2  # noqa: E731  of sech^2(z)/(2w)
    assert st.ks_root_n(s.x, cdf) < st.ks_critical(1e-3)
    assert s.x.std() == pytest.approx(math.pi * 2.0 / math.sqrt(12), rel=0.01)


def test_gauss_sample_is_normal_with_sigma():
    s = po.sample_orbital("gauss", 200_000, centre=-1.0, width=0.7, rng=4)
    assert st.ks_root_n(s.x, scipy.stats.norm(-1.0, 0.7).cdf) < st.ks_critical(1e-3)


@pytest.mark.parametrize("kind", po.ORBITALS)
def test_rng_seed_generator_and_none(kind):
    by_seed = po.sample_orbital(kind, (3, 4), rng=9)
    by_generator = po.sample_orbital(kind, (3, 4), rng=np.random.default_rng(9))
    assert np.array_equal(by_seed.x, by_generator.x)
    assert po.sample_orbital(kind, 5).x.shape == (5,)  # rng=None: fresh entropy


@pytest.mark.parametrize("kind", po.ORBITALS)
def test_log_derivatives_match_finite_differences_of_log_phi(kind):
    s = po.sample_orbital(kind, 50, centre=0.5, width=1.3, rng=5)
    log_phi = {
        "sech": lambda x: -np.log(np.cosh((x - 0.5) / 1.3)),
        "gauss": lambda x: -((x - 0.5) ** 2) / (4 * 1.3**2),
    }[kind]
    h = 1e-3
    pts = [log_phi(s.x + k * h) for k in (-2, -1, 0, 1, 2)]
    d1 = (pts[3] - pts[1]) / (2 * h)
    d2 = (pts[3] - 2 * pts[2] + pts[1]) / h**2
    d3 = (pts[4] - 2 * pts[3] + 2 * pts[1] - pts[0]) / (2 * h**3)
    np.testing.assert_allclose(s.log_derivatives[0], d1, atol=1e-6)
    np.testing.assert_allclose(s.log_derivatives[1], d2, atol=1e-5)
    np.testing.assert_allclose(s.log_derivatives[2], d3, atol=1e-4)


def test_gaussian_rms_force_is_corrected_eq55_and_no_relative_force():
    sigma = 0.8
    n = np.array([1, 7, 100])
    r = po.quantum_force_rms("gauss", n, width=sigma)
    np.testing.assert_allclose(r.centre_of_mass, np.sqrt(n) / (4 * sigma**3))
    np.testing.assert_allclose(r.relative, 0.0, atol=1e-6 * r.centre_of_mass.max())


def test_one_particle_has_no_relative_force():
    assert float(po.quantum_force_rms("sech", 1).relative) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("kind", po.ORBITALS)
@pytest.mark.parametrize("n", [1, 3, 32])
def test_exact_rms_force_agrees_with_monte_carlo(kind, n):
    s = po.sample_orbital(kind, (40_000, n), width=1.1, rng=100 + n)
    _, f_cm, f_rel = tr.product_state_forces(s.x, s.log_derivatives)
    exact = po.quantum_force_rms(kind, n, width=1.1)
    rms, se = st.rms_with_error(f_cm)
    assert abs(rms - float(exact.centre_of_mass)) < 4 * se
    if kind == "sech" and n > 1:
        rms, se = st.rms_with_error(f_rel)
        assert abs(rms - float(exact.relative)) < 4 * se


def test_rms_force_scales_with_hbar_squared_over_mass():
    base = po.quantum_force_rms("sech", 5)
    scaled = po.quantum_force_rms("sech", 5, hbar=2.0, mass=0.5)
    assert scaled.centre_of_mass == pytest.approx(8 * base.centre_of_mass)
    assert scaled.relative == pytest.approx(8 * base.relative)


def test_bad_input():
    with pytest.raises(ValueError, match="kind"):
        po.sample_orbital("lorentz", 3, rng=1)
    with pytest.raises(ValueError, match="width"):
        po.sample_orbital("sech", 3, width=0.0, rng=1)
    with pytest.raises(TypeError):
        po.sample_orbital("sech", 3, 1)  # rng is keyword-only
    with pytest.raises(TypeError, match="rng must be"):
        po.sample_orbital("sech", 3, rng="seed")
    with pytest.raises(ValueError, match="n_particles"):
        po.quantum_force_rms("sech", [0, 2])
