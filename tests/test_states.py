"""Gaussian packets: on grids and the closed-form evolution in a linear potential."""

import math

import numpy as np
import pytest

from qfcore import schrodinger as sc
from qfcore import states

X = np.linspace(-30.0, 30.0, 2048, endpoint=False)


def test_evolved_gaussian_at_t0_is_the_grid_packet():
    psi, _ = states.evolved_gaussian(X, 0.0, 1.3, 0.8, -0.6)
    assert np.allclose(psi, states.gaussian_wavepacket(X, 1.3, 0.8, -0.6), atol=1e-14)


@pytest.mark.parametrize("force", [0.0, 0.4, -1.0])
def test_evolved_gaussian_solves_schrodinger(force):
    # Strang split-step is second order in dt: the error at 3000 steps is 1/4 of that at 1500,
    # and the closed form agrees with the finer run to that error (free: split-step is exact)
    psi0, _ = states.evolved_gaussian(X, 0.0, 1.0, 0.8, 0.7, force=force)
    exact, _ = states.evolved_gaussian(X, 3.0, 1.0, 0.8, 0.7, force=force)
    errs = []
    for n_steps in (1500, 3000):
        ev = sc.split_step(psi0, X, lambda q, f=force: -f * q, 3.0, n_steps=n_steps).psi[-1]
        errs.append(np.abs(ev - exact).max())
    if force == 0:
        assert max(errs) < 1e-12
    else:
        assert 3.6 < errs[0] / errs[1] < 4.4
        assert errs[1] < 1e-7


def test_evolved_gaussian_moments_and_derivative():
    t, f, m, hbar, s0 = 2.5, 0.3, 2.0, 0.7, 0.9
    psi, dpsi = states.evolved_gaussian(X, t, -1.0, s0, 0.4, force=f, mass=m, hbar=hbar)
    rho = np.abs(psi) ** 2
    dx = X[1] - X[0]
    centre = -1.0 + 0.4 * t / m + f * t**2 / (2 * m)
    width = s0 * math.sqrt(1 + (hbar * t / (2 * m * s0**2)) ** 2)
    assert rho.sum() * dx == pytest.approx(1.0, abs=1e-12)
    assert (X * rho).sum() * dx == pytest.approx(centre, abs=1e-12)
    assert math.sqrt(((X - centre) ** 2 * rho).sum() * dx) == pytest.approx(width, rel=1e-12)
    h = 1e-5
    plus, _ = states.evolved_gaussian(X + h, t, -1.0, s0, 0.4, force=f, mass=m, hbar=hbar)
    minus, _ = states.evolved_gaussian(X - h, t, -1.0, s0, 0.4, force=f, mass=m, hbar=hbar)
    assert np.abs((plus - minus) / (2 * h) - dpsi).max() < 1e-8
    # Bohmian velocity field of the docstring
    v = hbar / m * np.imag(dpsi / psi)
    tau = hbar * t / (2 * m * s0**2)
    expect = 0.4 / m + f * t / m + (X - centre) * tau**2 / (t * (1 + tau**2))
    assert np.allclose(v, expect, atol=1e-12)


def test_evolved_gaussian_broadcasts_orbitals():
    x = np.array([[0.0, 1.0, 2.0]])[..., None]  # (1, 3, 1) positions against 2 packets
    psi, dpsi = states.evolved_gaussian(x, 1.0, np.array([0.0, 1.0]), np.array([1.0, 0.5]))
    assert psi.shape == dpsi.shape == (1, 3, 2)
    single, _ = states.evolved_gaussian(2.0, 1.0, 1.0, 0.5)
    assert psi[0, 2, 1] == pytest.approx(single)


def test_evolved_gaussian_errors():
    with pytest.raises(ValueError, match="width"):
        states.evolved_gaussian(X, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="mass"):
        states.evolved_gaussian(X, 1.0, mass=0.0)
    with pytest.raises(ValueError, match="hbar"):
        states.evolved_gaussian(X, 1.0, hbar=-1.0)
    with pytest.raises(TypeError, match="t must be a real scalar"):
        states.evolved_gaussian(X, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="finite"):
        states.evolved_gaussian(np.array([np.nan]), 1.0)


def test_chirped_gaussian_reduces_to_gaussian_wavepacket():
    psi = states.chirped_gaussian(X, 0.7, 1.1, -0.4, hbar=0.9)
    ref = states.gaussian_wavepacket(X, 0.7, 1.1, -0.4, hbar=0.9)
    assert np.max(np.abs(psi - ref)) < 1e-12


def test_chirped_gaussian_phase_is_the_polynomial():
    psi = states.chirped_gaussian(X, 0.5, 1.0, 0.0, chirp=0.2, cubic=0.05)
    ref = states.gaussian_wavepacket(X, 0.5, 1.0)
    u = X - 0.5
    assert np.max(np.abs(psi - ref * np.exp(1j * (0.2 * u**2 + 0.05 * u**3)))) < 1e-12


def test_chirped_gaussian_rejects_bad_input():
    with pytest.raises(ValueError, match="width"):
        states.chirped_gaussian(X, width=0.0)
    with pytest.raises(ValueError, match="cubic"):
        states.chirped_gaussian(X, cubic=np.nan)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_box_eigenstate_moments(n):
    q = np.linspace(-1.0, 1.0, 8000, endpoint=False)
    psi = states.box_eigenstate(q, n, width=1.5, centre=0.1)
    dq = q[1] - q[0]
    rho = np.abs(psi) ** 2
    assert np.sum(rho) * dq == pytest.approx(1.0, rel=1e-12)
    assert np.all(psi[np.abs(q - 0.1) > 0.75] == 0)
    mean = np.sum(q * rho) * dq
    var = np.sum((q - mean) ** 2 * rho) * dq
    assert mean == pytest.approx(0.1, abs=1e-6)
    assert var == pytest.approx(1.5**2 * (1 / 12 - 1 / (2 * n**2 * math.pi**2)), rel=1e-5)


def test_box_eigenstate_rejects_bad_input():
    q = np.linspace(-1.0, 1.0, 100, endpoint=False)
    with pytest.raises(ValueError, match="inside the grid"):
        states.box_eigenstate(q, 1, width=3.0)
    with pytest.raises(TypeError):
        states.box_eigenstate(q, 1.5)
    with pytest.raises(ValueError):
        states.box_eigenstate(q, 0)


def test_centre_keyword_and_errors_name_it():
    by_keyword = states.gaussian_wavepacket(X, centre=0.7, width=1.1, momentum=-0.4)
    assert np.array_equal(by_keyword, states.gaussian_wavepacket(X, 0.7, 1.1, -0.4))
    psi, _ = states.evolved_gaussian(X, 1.0, centre=0.7, width=1.1)
    assert np.array_equal(psi, states.evolved_gaussian(X, 1.0, 0.7, 1.1)[0])
    chirped = states.chirped_gaussian(X, centre=0.7, width=1.1, chirp=0.1)
    assert np.array_equal(chirped, states.chirped_gaussian(X, 0.7, 1.1, chirp=0.1))
    with pytest.raises(ValueError, match="centre and t must be finite"):
        states.evolved_gaussian(X, 1.0, centre=np.nan)
    with pytest.raises(ValueError, match="centre must be finite"):
        states.chirped_gaussian(X, centre=np.inf)
    with pytest.raises(TypeError, match="center"):
        states.box_eigenstate(np.linspace(-1.0, 1.0, 100), 1, center=0.1)


def test_random_superposition_rng_is_a_keyword_seed_or_generator():
    y = np.linspace(-5.0, 5.0, 64, endpoint=False)
    by_seed = states.random_superposition(X, rng=7)
    by_generator = states.random_superposition(X, rng=np.random.default_rng(7))
    assert np.array_equal(by_seed, by_generator)  # an int seed is default_rng(seed)
    assert np.sum(np.abs(by_seed) ** 2) * (X[1] - X[0]) == pytest.approx(1.0, abs=1e-12)
    two_d = states.random_superposition((y, y), n_packets=2, hbar=0.5, rng=3)
    assert np.array_equal(two_d, states.random_superposition((y, y), n_packets=2, hbar=0.5, rng=3))
    assert states.random_superposition(X).shape == X.shape  # rng=None: fresh entropy
    with pytest.raises(TypeError):
        states.random_superposition(X, 7)  # keyword-only
    with pytest.raises(TypeError, match="rng must be"):
        states.random_superposition(X, rng=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        states.random_superposition(X, rng=-1)
    with pytest.raises(ValueError, match="n_packets"):
        states.random_superposition(X, n_packets=0, rng=1)


def test_random_state_is_normalised_isotropic_and_reproducible():
    psi = states.random_state(5, rng=3)
    assert psi.shape == (5,) and np.linalg.norm(psi) == pytest.approx(1.0, abs=1e-14)
    assert np.array_equal(psi, states.random_state(5, rng=np.random.default_rng(3)))
    # uniform on the sphere of C^n: E|psi_k|^2 = 1/n and |psi_1|^2 ~ Beta(1, n - 1),
    # whose variance is (n - 1)/(n^2 (n + 1)); phases uniform, so E psi_k = 0
    gen = np.random.default_rng(8)
    sample = np.array([states.random_state(3, rng=gen) for _ in range(20_000)])
    p1 = np.abs(sample[:, 0]) ** 2
    assert p1.mean() == pytest.approx(1 / 3, abs=5 * math.sqrt(2 / 36 / 20_000))
    assert p1.var() == pytest.approx(2 / 36, rel=0.05)
    assert abs(sample[:, 1].mean()) < 5 * math.sqrt(1 / 3 / 20_000)


def test_random_state_rejects_bad_input():
    with pytest.raises(ValueError, match="n"):
        states.random_state(0, rng=1)
    with pytest.raises(TypeError, match="rng"):
        states.random_state(3, rng="seed")
