"""Split-step propagation against closed forms, conservation laws and symmetries.

Round-off budget used below: one split step costs an FFT pair and two products, each
relatively accurate to a few ε ≈ 2e-16 on a normalised state, so n steps stay within ~n·1e-15
(1e-12 for the 1e3-step runs here); spectral grid errors of the smooth states used are
below 1e-13 (the Gaussians are < 1e-20 at the box edges and at the Nyquist wavenumber).
"""

import numpy as np
import pytest

from qfcore import grid as qgrid
from qfcore import schrodinger, states


def coherent_state(x, t, *, x0, p0, mass, omega, hbar):
    """Harmonic-oscillator coherent state with its exact phase (Cohen-Tannoudji, ch. V, G):
    ψ = (mω/πħ)^{1/4} exp[−mω(x−x_c)²/2ħ + i p_c x/ħ − i x_c p_c/2ħ − iωt/2], (x_c, p_c) the
    classical orbit. (Check: d/dt(−x_c p_c/2) = −L(x_c, p_c), the zero-point phase is −ωt/2.)"""
    xc = x0 * np.cos(omega * t) + p0 / (mass * omega) * np.sin(omega * t)
    pc = p0 * np.cos(omega * t) - mass * omega * x0 * np.sin(omega * t)
    return (mass * omega / (np.pi * hbar)) ** 0.25 * np.exp(
        -mass * omega * (x - xc) ** 2 / (2 * hbar)
        + 1j * pc * x / hbar
        - 0.5j * xc * pc / hbar
        - 0.5j * omega * t
    )


def free_gaussian(x, t, *, width, momentum, mass, hbar):
    """Free evolution of ψ0 ∝ exp(−x²/4σ² + i k0 x) (k0 = p0/ħ) solved in k space:
    ψ = (2πσ²)^{-1/4} (1 + iτ)^{-1/2} exp[(−x²/4σ² + i k0 x − i ħ t k0²/2m)/(1 + iτ)],
    τ = ħt/(2mσ²)."""
    k0, tau = momentum / hbar, hbar * t / (2 * mass * width**2)
    expo = -(x**2) / (4 * width**2) + 1j * k0 * x - 0.5j * hbar * t * k0**2 / mass
    return (2 * np.pi * width**2) ** -0.25 / np.sqrt(1 + 1j * tau) * np.exp(expo / (1 + 1j * tau))


def l2(a, x):
    return np.sqrt(np.sum(np.abs(a) ** 2) * (x[1] - x[0]))


@pytest.mark.parametrize(("mass", "hbar"), [(1.0, 1.0), (2.5, 0.6)])
def test_coherent_state_converges_at_second_order(mass, hbar):
    omega, t = 1.3, 2.1
    x = np.linspace(-12, 12, 256, endpoint=False)
    args = dict(x0=1.5, p0=-0.8 * mass, mass=mass, omega=omega, hbar=hbar)
    psi0, exact = coherent_state(x, 0.0, **args), coherent_state(x, t, **args)
    v = 0.5 * mass * omega**2 * x**2

    def error(n):  # no global phase to align: the exact phase is part of the comparison
        psi = schrodinger.split_step(psi0, x, v, t, n_steps=n, mass=mass, hbar=hbar).psi[-1]
        return l2(psi - exact, x)

    steps = np.array([100, 200, 400])
    errors = np.array([error(n) for n in steps])
    order = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert 1.8 <= order <= 2.2  # Strang splitting is second order (seen: 2.000)
    # the error is C/n² with C = errors·n² (seen: 2.94 and 9.50), so 40000 steps give ≤ 6e-9
    assert error(40_000) < 1e-8


def test_free_gaussian_is_exact_for_any_step():
    """V = 0: the kinetic factor is the exact propagator on the grid, whatever n_steps."""
    hbar, mass, s0, p0, t = 0.7, 1.8, 0.5, 1.0, 3.0
    x = np.linspace(-30, 30, 1024, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 0.0, s0, p0, hbar=hbar)
    psi = schrodinger.split_step(psi0, x, 0.0, t, n_steps=1, mass=mass, hbar=hbar).psi[-1]
    exact = free_gaussian(x, t, width=s0, momentum=p0, mass=mass, hbar=hbar)
    assert np.max(np.abs(psi - exact)) < 1e-12  # grid error < 1e-13 (module docstring)
    mean, cov = schrodinger.position_moments(psi, x)
    assert abs(cov[0, 0] - (s0**2 + (hbar * t / (2 * mass * s0)) ** 2)) < 1e-10
    assert abs(mean[0] - p0 * t / mass) < 1e-10
    many = schrodinger.split_step(psi0, x, 0.0, t, n_steps=7, mass=mass, hbar=hbar).psi[-1]
    assert np.max(np.abs(many - psi)) < 1e-13  # 7 exact steps = 1 exact step, up to round-off


def test_constant_potential_is_a_global_phase():
    """V = c adds exactly e^{−ict/ħ} (also checks the sign of the potential kick)."""
    hbar, c, t = 0.8, 0.37, 1.9
    x = np.linspace(-10, 10, 128, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 0.5, 0.9, -0.4, hbar=hbar)
    free = schrodinger.split_step(psi0, x, 0.0, t, n_steps=1, hbar=hbar).psi[-1]
    shifted = schrodinger.split_step(psi0, x, lambda q: c, t, n_steps=5, hbar=hbar).psi[-1]
    assert np.max(np.abs(shifted - free * np.exp(-1j * c * t / hbar))) < 1e-13


def test_unitarity_energy_conservation_and_time_reversal():
    x = np.linspace(-10, 10, 256, endpoint=False)
    psi0 = states.random_superposition(x, rng=np.random.default_rng(4))
    v = x**4 / 20 - x**2 / 2  # double well
    e0 = schrodinger.energy(psi0, x, v)
    steps = np.array([250, 500, 1000])
    finals = [schrodinger.split_step(psi0, x, v, 2.0, n_steps=n).psi[-1] for n in steps]
    for psi in finals:
        assert abs(qgrid.norm(psi, (x,)) - 1) < 1e-12  # unitary up to round-off (~n·1e-15)
    # Strang conserves a modified Hamiltonian H + O(dt²): <H> drifts by O(dt²) only
    drift = np.array([abs(schrodinger.energy(psi, x, v) - e0) for psi in finals])
    assert drift[-1] < 1e-6  # seen: 3.5e-7 (and 5.5e-6 at 250 steps)
    order = -np.polyfit(np.log(steps), np.log(drift), 1)[0]
    assert 1.8 <= order <= 2.2
    # the symmetric step's inverse is the step with -dt: exact reversal up to round-off
    back = schrodinger.split_step(finals[-1], x, v, -2.0, n_steps=1000).psi[-1]
    assert np.max(np.abs(back - psi0)) < 1e-12  # seen: 4e-14


def test_2d_product_stays_product():
    x = np.linspace(-8, 8, 64, endpoint=False)
    y = np.linspace(-6, 6, 48, endpoint=False)  # unequal sizes: catches swapped axes
    a = states.gaussian_wavepacket(x, 1.0, 0.7, 0.5)
    b = states.random_superposition(y, rng=np.random.default_rng(2))
    psi2 = schrodinger.split_step(
        np.outer(a, b), (x, y), lambda q1, q2: 0.5 * q1**2 + 0.1 * q2**4, 1.0, n_steps=300
    ).psi[-1]
    expected = np.outer(
        schrodinger.split_step(a, x, 0.5 * x**2, 1.0, n_steps=300).psi[-1],
        schrodinger.split_step(b, y, 0.1 * y**4, 1.0, n_steps=300).psi[-1],
    )
    # e^{-i(V1+V2)dt} and the 2D FFT factorise exactly: only round-off separates the two
    assert np.max(np.abs(psi2 - expected)) < 1e-11


def test_von_neumann_coupling_translates_each_branch_by_g_hbar_m_t():
    """H = g p_φ p_Σ: the l_z = ħm branch of the pointer moves rigidly by g ħ m t."""
    g, hbar, t, sigma = 0.8, 1.3, 2.0, 0.5
    ms, weights = np.array([-1, 0, 2]), np.array([0.6, 0.3j, -0.5 + 0.2j])
    phi = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    q = np.linspace(-20, 20, 512, endpoint=False)

    def state(shift):
        return sum(
            c * np.outer(np.exp(1j * m * phi), np.exp(-((q - shift(m)) ** 2) / (4 * sigma**2)))
            for c, m in zip(weights, ms, strict=True)
        )

    norm = np.sqrt(qgrid.norm(state(lambda m: 0.0), (phi, q)))
    psi = schrodinger.split_step(
        state(lambda m: 0.0) / norm,
        (phi, q),
        0.0,
        t,
        n_steps=1,
        hbar=hbar,
        kinetic=lambda p: g * p[0] * p[1],
    ).psi[-1]
    exact = state(lambda m: g * hbar * m * t) / norm
    assert np.max(np.abs(psi - exact)) < 1e-12  # H is a function of p only: exact on the grid
    single = states.normalise(np.outer(np.exp(2j * phi), np.exp(-(q**2))), (phi, q))
    moved = schrodinger.split_step(
        single, (phi, q), 0.0, t, n_steps=3, hbar=hbar, kinetic=lambda p: g * p[0] * p[1]
    ).psi[-1]
    mean, _ = schrodinger.position_moments(moved, (phi, q))
    assert abs(mean[1] - g * hbar * 2 * t) < 1e-10


def test_frames_are_exact_states():
    x = np.linspace(-10, 10, 128, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 1.0, 0.8)
    n_steps, n_frames, t = 30, 7, 1.0
    evo = schrodinger.split_step(psi0, x, 0.5 * x**2, t, n_steps=n_steps, n_frames=n_frames)
    assert evo.psi.shape == (n_frames + 1, 128) and evo.times.shape == (n_frames + 1,)
    assert evo.times[0] == 0 and abs(evo.times[-1] - t) < 1e-15
    assert np.array_equal(evo.psi[0], psi0)
    for k in range(1, n_frames + 1):
        steps = round(k * n_steps / n_frames)
        assert abs(evo.times[k] - steps * t / n_steps) < 1e-15
        direct = schrodinger.split_step(psi0, x, 0.5 * x**2, evo.times[k], n_steps=steps).psi[-1]
        # a half-kicked frame would be off by |1 - e^{-iV dt/2}| ~ 1e-1; round-off is ~1e-14
        assert np.max(np.abs(evo.psi[k] - direct)) < 1e-12


def test_momentum_expectation_energy_and_moments():
    hbar, mass, p0, s = 0.9, 1.4, 1.7, 1.1
    x = np.linspace(-15, 15, 256, endpoint=False)
    psi = states.gaussian_wavepacket(x, 0.3, s, p0, hbar=hbar)
    p_psi = schrodinger.momentum(psi, x, hbar=hbar)
    # spectral derivatives of this band-limited Gaussian are exact to round-off
    assert abs(schrodinger.expectation(psi, x, p_psi) - p0) < 1e-12
    free = (p0**2 + hbar**2 / (4 * s**2)) / (2 * mass)  # <p²>/2m, σ_p = ħ/2σ
    assert abs(schrodinger.energy(psi, x, 0.0, mass=mass, hbar=hbar) - free) < 1e-12
    # kinetic=... in energy(): Parseval weights vs the operator p̂² applied in position space
    p2 = schrodinger.expectation(psi, x, schrodinger.momentum(p_psi, x, hbar=hbar))
    custom = schrodinger.energy(psi, x, 0.0, hbar=hbar, kinetic=lambda p: p[0] ** 2)
    assert abs(custom - p2.real) < 1e-12
    # harmonic ground state: <H> = ħω/2, and energy() divides by the norm
    omega = 1.7
    ground = states.gaussian_wavepacket(x, 0.0, np.sqrt(hbar / (2 * mass * omega)), hbar=hbar)
    v = 0.5 * mass * omega**2 * x**2
    assert (
        abs(schrodinger.energy(3 * ground, x, v, mass=mass, hbar=hbar) - hbar * omega / 2) < 1e-12
    )
    # 2D position moments of a product Gaussian: mean = centre, covariance = diag(σ²)
    y = np.linspace(-8, 8, 96, endpoint=False)
    psi2 = states.gaussian_wavepacket((x, y), (0.3, -0.5), (s, 0.6))
    mean, cov = schrodinger.position_moments(psi2, (x, y))
    np.testing.assert_allclose(mean, [0.3, -0.5], atol=1e-12)
    np.testing.assert_allclose(cov, np.diag([s**2, 0.36]), atol=1e-12)


X = np.linspace(-5, 5, 64, endpoint=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"psi0": "unnormalised"}, "psi0 is not normalised"),
        ({"grid": X**3}, "grid is not uniformly spaced"),
        ({"psi0": "wrong shape"}, "psi0 has shape"),
        ({"potential": 1j * np.ones(64)}, "Hamiltonian must be Hermitian: potential must be real"),
        ({"potential": lambda q: q**2 + 0.1j}, "Hermitian"),
        ({"potential": np.where(X > 0, np.inf, 0.0)}, "potential holds non-finite"),
        ({"potential": np.ones(5)}, "potential has shape"),
        ({"kinetic": lambda p: 1j * p[0]}, "kinetic"),
        ({"n_steps": 0}, "n_steps must be >= 1"),
        ({"mass": 0.0}, "mass must be"),
        ({"mass": -2.0}, "mass must be"),
        ({"hbar": -1.0}, "hbar must be"),
        ({"hbar": 0.0}, "hbar must be"),
        ({"t": np.nan}, "t must be finite"),
        ({"n_frames": 11}, "n_frames must lie"),
        ({"n_frames": 0}, "n_frames must lie"),
        ({"potential": 50.0 * X**2}, "too large"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    args = dict(
        psi0=states.gaussian_wavepacket(X, 0.0, 0.7),
        grid=X,
        potential=0.5 * X**2,
        t=1.0,
        n_steps=10,
    )
    special = {"unnormalised": 2 * args["psi0"], "wrong shape": args["psi0"][:-1]}
    args |= {k: special.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    psi0, grid, potential, t = (args.pop(k) for k in ("psi0", "grid", "potential", "t"))
    with pytest.raises(ValueError, match=match):
        schrodinger.split_step(psi0, grid, potential, t, **args)


@pytest.mark.parametrize(
    "kwargs", [{"n_steps": 10.0}, {"n_frames": 2.5}, {"kinetic": "p**2"}, {"t": 1.0 + 0j}]
)
def test_bad_types_raise_type_error(kwargs):
    args = dict(t=1.0, n_steps=10) | kwargs
    with pytest.raises(TypeError):
        schrodinger.split_step(states.gaussian_wavepacket(X, 0.0, 0.7), X, 0.5 * X**2, **args)


@pytest.mark.parametrize("t", [1.0, -1.0])
def test_suggested_n_steps_is_the_minimum_that_fixes_the_coarse_time_step(t):
    psi0 = states.gaussian_wavepacket(X, 0.0, 0.7)
    v = 50.0 * X**2
    with pytest.raises(ValueError, match=r"axis 0.*n_steps >= (\d+)") as info:
        schrodinger.split_step(psi0, X, v, t, n_steps=10)
    needed = int(info.value.args[0].split("n_steps >= ")[1].split(",")[0])
    psi = schrodinger.split_step(psi0, X, v, t, n_steps=needed).psi[-1]
    assert abs(qgrid.norm(psi, (X,)) - 1) < 1e-12
    with pytest.raises(ValueError, match="too large"):
        schrodinger.split_step(psi0, X, v, t, n_steps=needed - 1)


def test_coarse_time_step_names_the_offending_axis_and_fixes_both():
    y = np.linspace(-2, 2, 32, endpoint=False)
    psi0 = states.gaussian_wavepacket((X, y), 0.0, (0.7, 0.3))

    def v(q1, q2):  # the steeper axis 1 decides; axis 0 alone would need fewer steps
        return 2.0 * q1**2 + 80.0 * q2**2

    with pytest.raises(ValueError, match=r"axis 1.*n_steps >= (\d+)") as info:
        schrodinger.split_step(psi0, (X, y), v, 0.5, n_steps=4)
    needed = int(info.value.args[0].split("n_steps >= ")[1].split(",")[0])
    psi = schrodinger.split_step(psi0, (X, y), v, 0.5, n_steps=needed).psi[-1]
    assert abs(qgrid.norm(psi, (X, y)) - 1) < 1e-12


def test_helpers_reject_bad_input():
    psi = states.gaussian_wavepacket(X, 0.0, 0.7)
    with pytest.raises(ValueError, match="axis must lie"):
        schrodinger.momentum(psi, X, axis=1)
    with pytest.raises(ValueError, match="hbar must be"):
        schrodinger.momentum(psi, X, hbar=0.0)
    with pytest.raises(ValueError, match="op_psi has shape"):
        schrodinger.expectation(psi, X, psi[:-1])
    with pytest.raises(ValueError, match="mass must be"):
        schrodinger.energy(psi, X, 0.0, mass=-1.0)
    with pytest.raises(ValueError, match="Hermitian"):
        schrodinger.energy(psi, X, 1j * X)
    with pytest.raises(ValueError, match="vanishes"):
        schrodinger.position_moments(0 * psi, X)


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
