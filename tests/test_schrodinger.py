"""Split-step propagation against closed forms, conservation laws and symmetries."""

import numpy as np
import pytest

from qfcore import grid as qgrid
from qfcore import schrodinger, states


def coherent_state(x, t, *, x0, p0, mass, omega, hbar):
    """Harmonic-oscillator coherent state (up to a global phase): a Gaussian of width
    sqrt(hbar/2 m omega) following the classical orbit (Cohen-Tannoudji, ch. V, complement G)."""
    xc = x0 * np.cos(omega * t) + p0 / (mass * omega) * np.sin(omega * t)
    pc = p0 * np.cos(omega * t) - mass * omega * x0 * np.sin(omega * t)
    psi = np.exp(-mass * omega * (x - xc) ** 2 / (2 * hbar) + 1j * pc * x / hbar)
    return states.normalise(psi, x)


def overlap_error(a, b, x):
    """1 - |<a|b>|: insensitive to a global phase."""
    return 1 - abs(np.vdot(a, b) * (x[1] - x[0]))


@pytest.mark.parametrize(("mass", "hbar"), [(1.0, 1.0), (2.5, 0.6)])
def test_coherent_state_and_second_order(mass, hbar):
    omega, t = 1.3, 2.1
    x = np.linspace(-12, 12, 512, endpoint=False)
    args = dict(x0=1.5, p0=-0.8 * mass, mass=mass, omega=omega, hbar=hbar)
    psi0 = coherent_state(x, 0.0, **args)
    exact = coherent_state(x, t, **args)
    errors = []
    for n in (200, 400, 800):
        psi = schrodinger.split_step(
            psi0, x, 0.5 * mass * omega**2 * x**2, t, n_steps=n, mass=mass, hbar=hbar
        )
        errors.append(np.max(np.abs(np.abs(psi) - np.abs(exact))))
    order = np.log2(errors[0] / errors[1]), np.log2(errors[1] / errors[2])
    assert all(1.8 < o < 2.2 for o in order)  # Strang splitting is second order
    psi = schrodinger.split_step(
        psi0, x, 0.5 * mass * omega**2 * x**2, t, n_steps=6400, mass=mass, hbar=hbar
    )
    assert overlap_error(psi, exact, x) < 1e-8


def test_free_gaussian_spreads_exactly():
    """V = 0: the kinetic step is exact, so sigma(t)^2 = sigma0^2 + (hbar t / 2 m sigma0)^2."""
    hbar, mass, s0, t = 0.7, 1.8, 0.5, 3.0
    x = np.linspace(-30, 30, 1024, endpoint=False)
    psi = schrodinger.split_step(
        states.gaussian_wavepacket(x, 0.0, s0, 1.0, hbar=hbar),
        x,
        0.0,
        t,
        n_steps=1,
        mass=mass,
        hbar=hbar,
    )
    mean, cov = schrodinger.position_moments(psi, x)
    assert abs(cov[0, 0] - (s0**2 + (hbar * t / (2 * mass * s0)) ** 2)) < 1e-10
    assert abs(mean[0] - 1.0 * t / mass) < 1e-10


def test_unitarity_energy_and_time_reversal():
    x = np.linspace(-10, 10, 256, endpoint=False)
    psi0 = states.random_superposition(x, np.random.default_rng(4))
    v = x**4 / 20 - x**2 / 2
    e0 = schrodinger.energy(psi0, x, v)
    psi = schrodinger.split_step(psi0, x, v, 2.0, n_steps=2000)
    assert abs(qgrid.norm(psi, (x,)) - 1) < 1e-12
    e_coarse = schrodinger.energy(psi, x, v)
    psi_fine = schrodinger.split_step(psi0, x, v, 2.0, n_steps=4000)
    e_fine = schrodinger.energy(psi_fine, x, v)
    # energy error is the splitting error: it shrinks ~4x when dt halves
    assert abs(e_fine - e0) < abs(e_coarse - e0) / 3
    back = schrodinger.split_step(psi, x, v, -2.0, n_steps=2000)
    assert np.max(np.abs(back - psi0)) < 1e-10  # the symmetric scheme is exactly reversible


def test_2d_product_stays_product():
    x = np.linspace(-8, 8, 64, endpoint=False)
    y = np.linspace(-6, 6, 48, endpoint=False)
    a = states.gaussian_wavepacket(x, 1.0, 0.7, 0.5)
    b = states.random_superposition(y, np.random.default_rng(2))
    va, vb = 0.5 * x**2, 0.1 * y**4
    psi2 = schrodinger.split_step(
        np.outer(a, b), (x, y), lambda q1, q2: 0.5 * q1**2 + 0.1 * q2**4, 1.0, n_steps=300
    )
    expected = np.outer(
        schrodinger.split_step(a, x, va, 1.0, n_steps=300),
        schrodinger.split_step(b, y, vb, 1.0, n_steps=300),
    )
    assert np.max(np.abs(psi2 - expected)) < 1e-11


def test_von_neumann_coupling_shifts_pointer_by_g_hbar_m_t():
    g, hbar, t, m = 0.8, 1.3, 2.0, 2
    phi = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    q = np.linspace(-20, 20, 512, endpoint=False)
    psi0 = states.normalise(np.outer(np.exp(1j * m * phi), np.exp(-(q**2))), (phi, q))
    psi = schrodinger.split_step(
        psi0, (phi, q), 0.0, t, n_steps=1, hbar=hbar, kinetic=lambda p: g * p[0] * p[1]
    )
    mean, _ = schrodinger.position_moments(psi, (phi, q))
    assert abs(mean[1] - g * hbar * m * t) < 1e-10


def test_frames_are_exact_states():
    x = np.linspace(-10, 10, 128, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 1.0, 0.8)
    evo = schrodinger.split_step(psi0, x, 0.5 * x**2, 1.0, n_steps=30, n_frames=7)
    assert evo.psi.shape == (8, 128) and evo.times.shape == (8,)
    assert evo.times[0] == 0 and abs(evo.times[-1] - 1.0) < 1e-15
    k = 3
    steps = round(k * 30 / 7)
    direct = schrodinger.split_step(psi0, x, 0.5 * x**2, steps / 30, n_steps=steps)
    assert abs(evo.times[k] - steps / 30) < 1e-15
    assert np.max(np.abs(evo.psi[k] - direct)) < 1e-12


def test_momentum_and_expectation():
    hbar, p0 = 0.9, 1.7
    x = np.linspace(-15, 15, 256, endpoint=False)
    psi = states.gaussian_wavepacket(x, 0.0, 1.0, p0, hbar=hbar)
    mean_p = schrodinger.expectation(psi, x, schrodinger.momentum(psi, x, hbar=hbar))
    assert abs(mean_p - p0) < 1e-12
    assert abs(schrodinger.energy(psi, x, 0.0, hbar=hbar) - (p0**2 + hbar**2 / 4) / 2) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"psi0": "unnormalised"}, "not normalised"),
        ({"grid": "nonuniform"}, "not uniformly spaced"),
        ({"psi0": "wrong shape"}, "has shape"),
        ({"potential": 1j * np.ones(64)}, "Hermitian"),
        ({"n_steps": 0}, "n_steps must be >= 1"),
        ({"mass": 0.0}, "mass must be"),
        ({"hbar": -1.0}, "hbar must be"),
        ({"n_frames": 11}, "n_frames must lie"),
        ({"potential": 50.0 * np.linspace(-5, 5, 64, endpoint=False) ** 2}, "too large"),
    ],
)
def test_bad_input(kwargs, match):
    x = np.linspace(-5, 5, 64, endpoint=False)
    args = dict(
        psi0=states.gaussian_wavepacket(x, 0.0, 0.7),
        grid=x,
        potential=0.5 * x**2,
        t=1.0,
        n_steps=10,
    )
    special = {
        "unnormalised": 2 * args["psi0"],
        "wrong shape": args["psi0"][:-1],
        "nonuniform": x**3,
    }
    kwargs = {k: special.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    args |= kwargs
    with pytest.raises(ValueError, match=match):
        schrodinger.split_step(
            args.pop("psi0"), args.pop("grid"), args.pop("potential"), args.pop("t"), **args
        )


def test_suggested_n_steps_fixes_the_coarse_time_step():
    x = np.linspace(-5, 5, 64, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 0.0, 0.7)
    v = 50.0 * x**2
    with pytest.raises(ValueError, match=r"n_steps >= (\d+)") as info:
        schrodinger.split_step(psi0, x, v, 1.0, n_steps=10)
    needed = int(info.value.args[0].split("n_steps >= ")[1].split(",")[0])
    psi = schrodinger.split_step(psi0, x, v, 1.0, n_steps=needed)
    assert abs(qgrid.norm(psi, (x,)) - 1) < 1e-12


@pytest.mark.parametrize(("convention", "sign"), [("standard", 1.0), ("as_printed", -1.0)])
def test_lattice_hamiltonian_band(convention, sign):
    """Ring of P sites: eigenvalues are V0 + sign (hbar^2/m a^2)(1 - cos k a), k = 2 pi j/(P a)."""
    p, spacing, mass, hbar, v0 = 24, 0.3, 1.7, 0.8, 0.25
    h = schrodinger.lattice_hamiltonian(
        np.full(p, v0), spacing, mass=mass, hbar=hbar, convention=convention
    )
    np.testing.assert_allclose(h, h.conj().T)
    k = 2 * np.pi * np.arange(p) / (p * spacing)
    band = v0 + sign * hbar**2 / (mass * spacing**2) * (1 - np.cos(k * spacing))
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(h)), np.sort(band), atol=1e-12)


def test_lattice_hamiltonian_open_chain_and_errors():
    h = schrodinger.lattice_hamiltonian(np.zeros(5), 1.0, periodic=False)
    assert h[0, 4] == 0 and h[0, 1] == -0.5
    with pytest.raises(ValueError, match="convention"):
        schrodinger.lattice_hamiltonian(np.zeros(5), 1.0, convention="other")
    with pytest.raises(ValueError, match="spacing"):
        schrodinger.lattice_hamiltonian(np.zeros(5), 0.0)
    with pytest.raises(ValueError, match="real and finite"):
        schrodinger.lattice_hamiltonian(np.zeros(5) + 1j, 1.0)
