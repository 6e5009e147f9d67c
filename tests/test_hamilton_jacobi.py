"""Tests of qfcore.hamilton_jacobi: classical ensembles evolved by characteristics.

Tolerances: DOP853 at rtol = 1e-10 leaves a global error of a few 1e-10 (relative) on q, p, J
over the few periods used here (measured: ≤ 5e-10); quantities built from them (I(t) ∝ 1/J²,
energies) inherit that, so 1e-8 leaves a margin of > 10 without hiding an O(h²) or an O(1)
mistake. Quadratures over labels are trapezoidal sums of smooth, decaying integrands on wide
grids, exponentially accurate (≤ 1e-14).
"""

import numpy as np
import pytest
import xarray as xr

from qfcore import grid as qgrid
from qfcore import hamilton_jacobi as hj
from qfcore import states
from qfcore import trajectories as tr
from qfcore.hamilton_jacobi import (
    classical_flow,
    density,
    ensemble_energy,
    first_caustic_time,
    initial_data,
    quantum_potential_power,
)

RTOL = 1e-8  # see module docstring


def gaussian(q, mean, sigma):
    return np.exp(-((q - mean) ** 2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)


def free(q):
    return 0.0


def free_derivatives(q):
    return 0.0, 0.0


# ---------------------------------------------------------------- harmonic oscillator
M, OMEGA, SIGMA, CENTRE, PBAR = 2.0, 1.5, 0.4, 0.3, 0.7


def ho_force(q):
    return -M * OMEGA**2 * q


def ho_force_derivatives(q):
    return -M * OMEGA**2, 0.0


def ho_potential(q):
    return 0.5 * M * OMEGA**2 * q**2


@pytest.fixture(scope="module")
def ho():
    """Gaussian ρ0, S0 = PBAR q (arrays: derivatives spectral), up to past the focus at π/2ω."""
    q0 = np.linspace(-4, 4, 256, endpoint=False)
    # Avoid |cos ωt| small, where the relative error of I ∝ 1/cos² is amplified.
    times = np.array([0.0, 0.3, 0.6, 0.9, 1.5, 2.5, 4.0])
    flow = classical_flow(
        q0, gaussian(q0, CENTRE, SIGMA), np.full_like(q0, PBAR), times,
        force=ho_force, force_derivatives=ho_force_derivatives, mass=M,
    )  # fmt: skip
    return flow


def test_harmonic_trajectories_and_jacobians(ho):
    t = ho.time.values[:, None]
    q0 = ho.label.values[None, :]
    c, s = np.cos(OMEGA * t), np.sin(OMEGA * t)
    q_exact = q0 * c + PBAR / (M * OMEGA) * s
    np.testing.assert_allclose(ho.q, q_exact, rtol=0, atol=RTOL * np.abs(q0).max())
    np.testing.assert_allclose(ho.J, np.broadcast_to(c, ho.J.shape), rtol=0, atol=RTOL)
    np.testing.assert_allclose(ho.K, np.broadcast_to(-M * OMEGA * s, ho.K.shape), atol=RTOL)
    # S0 linear and F'' = 0: the second variations vanish identically.
    assert np.all(ho.J2 == 0) and np.all(ho.K2 == 0)


def test_harmonic_energy_and_fisher(ho):
    energy = ensemble_energy(ho, ho_potential, hbar=0.7)
    c = np.cos(OMEGA * ho.time.values)
    fisher = 1 / (SIGMA**2 * c**2)  # ρ_t Gaussian with σ_t = σ|cos ωt|
    classical = 0.5 * M * OMEGA**2 * (SIGMA**2 + CENTRE**2) + PBAR**2 / (2 * M)
    assert not energy.caustic.any()  # J = cos ωt has one sign over all labels at every time
    np.testing.assert_allclose(energy.fisher, fisher, rtol=RTOL)
    np.testing.assert_allclose(energy.classical, classical, rtol=RTOL)
    np.testing.assert_allclose(energy.quantum_term, 0.7**2 * fisher / (8 * M), rtol=RTOL)
    np.testing.assert_allclose(energy.total, energy.classical + energy.quantum_term, rtol=1e-15)
    assert energy.attrs["mass"] == M


def test_harmonic_first_caustic_is_the_focus(ho):
    # Every label reaches J = cos ωt = 0 at ωt = π/2; the event is found on the dense output.
    assert abs(first_caustic_time(ho) - np.pi / (2 * OMEGA)) < RTOL


def test_harmonic_density(ho):
    t = ho.time.values[:, None]
    mean = CENTRE * np.cos(OMEGA * t) + PBAR / (M * OMEGA) * np.sin(OMEGA * t)
    sigma_t = SIGMA * np.abs(np.cos(OMEGA * t))
    exact = gaussian(ho.q.values, mean, sigma_t)
    np.testing.assert_allclose(density(ho), exact, rtol=0, atol=RTOL * exact.max())


def test_equation_40_is_the_quantum_energy_at_t0():
    """At t = 0, Eq. (40) on (|ψ|², ħ∂arg ψ) is ⟨ψ|H|ψ⟩ = Σ [ħ²|ψ'|²/2m + V|ψ|²] Δq.

    Non-Gaussian ψ; both sides use spectral derivatives of smooth decaying fields (error ≲ 1e-13).
    """
    hbar, mass, k = 0.8, 1.3, 0.1
    q = np.linspace(-20, 20, 1024, endpoint=False)
    psi = states.random_superposition(q, rng=np.random.default_rng(3), hbar=hbar)
    dpsi = qgrid.gradient(psi, (q,))[0]
    rho = np.abs(psi) ** 2
    # ρ p² = ħ² Im(ψ*ψ')²/ρ stays accurate where ψ is tiny even though p itself does not.
    p = hbar * np.imag(np.conj(psi) * dpsi) / np.maximum(rho, 1e-300)
    flow = classical_flow(
        q, rho, p, [0.0], force=lambda x: -k * x, force_derivatives=lambda x: (-k, 0.0), mass=mass
    )
    energy = ensemble_energy(flow, lambda x: 0.5 * k * x**2, hbar=hbar)
    expected = np.sum(hbar**2 * np.abs(dpsi) ** 2 / (2 * mass) + 0.5 * k * q**2 * rho) * (
        q[1] - q[0]
    )
    assert abs(energy.total.item() - expected) < 1e-10 * expected
    assert energy.quantum_term.item() > 0.01 * expected  # the Fisher term matters here


# ---------------------------------------------------------------- free particle
def test_free_chirp_closed_form():
    """S0 = a q²/2: q = q0 (1 + a t/m), I(t) = 1/(σ²(1 + a t/m)²), focus at t = −m/a.

    ρ0' is given analytically and p0 = a q0 is differentiated by central differences, which are
    exact for a linear field (the spectral method is not: a q0 is not periodic).
    """
    a, mass, sigma = -0.8, 1.2, 0.5
    q0 = np.linspace(-5, 5, 200, endpoint=False)
    rho0 = gaussian(q0, 0.0, sigma)
    times = np.array([0.0, 0.5, 1.0, 1.4, 2.0, 3.0, 5.0])  # focus at t = 1.5
    flow = classical_flow(
        q0, (rho0, -q0 / sigma**2 * rho0), a * q0, times,
        force=free, force_derivatives=free_derivatives, mass=mass, method="central",
    )  # fmt: skip
    assert flow.attrs["derivatives"] == "rho0: given, grad_s0: central"
    stretch = 1 + a * times / mass
    np.testing.assert_allclose(flow.J, np.broadcast_to(stretch[:, None], flow.J.shape), atol=RTOL)
    np.testing.assert_allclose(flow.J2, 0.0, atol=RTOL)
    energy = ensemble_energy(flow, lambda q: 0 * q, mass=mass)
    # After the focus every J < 0: the map is one-to-one again (an inverted Gaussian), no caustic.
    assert not energy.caustic.any()
    np.testing.assert_allclose(energy.fisher, 1 / (sigma**2 * stretch**2), rtol=RTOL)
    np.testing.assert_allclose(energy.classical, a**2 * sigma**2 / (2 * mass), rtol=RTOL)
    assert abs(first_caustic_time(flow) - (-mass / a)) < RTOL


def _free_nonlinear(times, b=0.4, mass=0.9):
    """Free flow of a Gaussian mixture with p0 = −b sin q0: J = 1 − b t cos(q0)/m."""
    q0 = np.linspace(-6, 6, 600, endpoint=False)  # holds q0 = 0, where cos q0 = 1
    rho0 = 0.7 * gaussian(q0, -0.6, 0.5) + 0.3 * gaussian(q0, 0.9, 0.4)
    drho0 = 0.7 * (-(q0 + 0.6) / 0.25) * gaussian(q0, -0.6, 0.5) + 0.3 * (
        -(q0 - 0.9) / 0.16
    ) * gaussian(q0, 0.9, 0.4)
    p0 = (-b * np.sin(q0), -b * np.cos(q0), b * np.sin(q0))
    flow = classical_flow(
        q0, (rho0, drho0), p0, times, force=free, force_derivatives=free_derivatives, mass=mass
    )
    return flow, b, mass


def test_free_fisher_against_density_on_a_uniform_grid():
    """Independent check of I(t) with J2 ≠ 0: invert q = q0 + t p0(q0)/m by Newton on a uniform
    q grid, form ρ_t = ρ0/J there and evaluate 4 Σ (∂_q √ρ_t)² Δq spectrally (exponentially
    accurate for this smooth decaying density; Newton converges to round-off)."""
    t = 1.5  # before the fold at m/b = 2.25
    flow, b, mass = _free_nonlinear([0.0, t])
    energy = ensemble_energy(flow, lambda q: 0 * q)
    assert not energy.caustic.any()
    np.testing.assert_allclose(flow.J2.sel(time=t), b * t * np.sin(flow.label) / mass, atol=RTOL)

    q = np.linspace(-7, 7, 700, endpoint=False)
    label = q.copy()
    for _ in range(50):
        label -= (label - b * t * np.sin(label) / mass - q) / (1 - b * t * np.cos(label) / mass)
    jac = 1 - b * t * np.cos(label) / mass
    rho0 = 0.7 * gaussian(label, -0.6, 0.5) + 0.3 * gaussian(label, 0.9, 0.4)
    amp = np.sqrt(rho0 / jac)
    fisher = 4 * np.sum(qgrid.gradient(amp, (q,))[0] ** 2) * (q[1] - q[0])
    assert abs(energy.fisher.sel(time=t).item() - fisher) < RTOL * fisher
    assert energy.fisher.sel(time=t) > 1.5 * energy.fisher.sel(time=0.0)  # I(t) drifts


def test_fold_gives_caustic_and_infinite_fisher():
    flow, b, mass = _free_nonlinear([0.0, 1.0, 3.0])
    assert abs(first_caustic_time(flow) - mass / b) < RTOL  # min J = 1 − b t/m at q0 = 0
    energy = ensemble_energy(flow, lambda q: 0 * q)
    np.testing.assert_array_equal(energy.caustic, [False, False, True])
    assert np.isinf(energy.fisher[2]) and np.isinf(energy.total[2])
    assert np.isfinite(energy.classical).all()  # the phase-space average stays defined
    # Free motion conserves every momentum, hence the classical energy exactly.
    np.testing.assert_allclose(energy.classical, energy.classical[0], rtol=1e-14)


def test_no_caustic_is_none():
    flow = _free_nonlinear([0.0, 1.0])[0]
    assert first_caustic_time(flow) is None
    assert np.isnan(flow.attrs["first_caustic_time"])


# ---------------------------------------------------------------- anharmonic
@pytest.fixture(scope="module")
def quartic():
    """V = q⁴/4, a bimodal ρ0 and S0 = a q²/2 − b cos q, analytic derivatives."""
    a, b = 0.4, 0.5
    q0 = np.linspace(-3, 3, 2400, endpoint=False)
    parts = [(0.6, -0.5, 0.35), (0.4, 0.8, 0.25)]
    rho0 = sum(c * gaussian(q0, mu, s) for c, mu, s in parts)
    drho0 = sum(-c * (q0 - mu) / s**2 * gaussian(q0, mu, s) for c, mu, s in parts)
    p0 = (a * q0 + b * np.sin(q0), a + b * np.cos(q0), -b * np.sin(q0))
    return classical_flow(
        q0, (rho0, drho0), p0, np.linspace(0.0, 8.0, 9),
        force=lambda q: -(q**3), force_derivatives=lambda q: (-3 * q**2, -6 * q),
    )  # fmt: skip


def test_quartic_classical_energy_conserved(quartic):
    energy = ensemble_energy(quartic, lambda q: q**4 / 4)
    e = energy.classical.values
    # Every trajectory's energy is conserved to the solver's tolerance (measured drift ~1e-14).
    np.testing.assert_allclose(e, e[0], rtol=RTOL)
    # The ensemble folds (anharmonic shear), so Eq. (40) is not conserved: it becomes infinite.
    assert energy.caustic.any() and np.isinf(energy.total).any()


@pytest.mark.parametrize(("derivative", "of"), [("J", "q"), ("K", "p"), ("J2", "J"), ("K2", "K")])
def test_quartic_variations_match_neighbouring_labels(quartic, derivative, of):
    """Variational J, K, J2, K2 agree with a 4th-order finite difference across labels.

    The labels share one step sequence, so the solver error is smooth in q0 and cancels in the
    difference; what remains is the O(h⁴) truncation of the stencil. Measured at t = 1, 2 and
    h = 0.0025: ≤ 1.5e-8 relative, and 16.0× larger at 2h (every other label of the same flow).
    """
    sub = quartic.sel(time=[1.0, 2.0])

    def error(stride):
        x = sub[of].values[:, ::stride]
        exact = sub[derivative].values[:, ::stride][:, 2:-2]
        fd = -x[:, 4:] + 8 * x[:, 3:-1] - 8 * x[:, 1:-3] + x[:, :-4]
        fd /= 12 * stride * quartic.attrs["label_spacing"]
        inner = np.abs(sub.label.values[::stride][2:-2]) < 1.5
        return np.abs(fd - exact)[:, inner].max() / np.abs(exact[:, inner]).max()

    fine, coarse = error(1), error(2)
    assert fine < 1e-7
    assert 14 < coarse / fine < 18  # fourth-order convergence: the variations are the limit


# ---------------------------------------------------------------- errors
@pytest.fixture
def inputs():
    q0 = np.linspace(-6, 6, 64, endpoint=False)
    return q0, gaussian(q0, 0.0, 1.0), np.zeros_like(q0)


def flow_of(q0, rho0, grad_s0, times=(0.0, 1.0), **kw):
    kw = {"force": free, "force_derivatives": free_derivatives, **kw}
    return classical_flow(q0, rho0, grad_s0, times, **kw)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"q0": np.geomspace(1, 2, 64)}, "q0 is not uniformly spaced"),
        ({"q0": (np.arange(64.0), np.arange(64.0))}, "one 1D array"),
        ({"rho0": np.ones(63)}, "rho0 has shape"),
        ({"grad_s0": np.zeros(65)}, "grad_s0 has shape"),
        ({"grad_s0": (np.zeros(64), np.zeros(64))}, "grad_s0 given as a tuple must hold 3"),
        ({"rho0": "negative"}, "rho0 must be >= 0"),
        ({"rho0": "double"}, "rho0 is not normalised"),
        ({"rho0": "nan"}, "rho0 holds non-finite"),
        ({"mass": 0.0}, "mass must be a finite number > 0"),
        ({"mass": -1.0}, "mass must be a finite number > 0"),
        ({"times": [1.0, 0.5]}, "strictly increasing"),
        ({"times": [0.0, 0.0]}, "strictly increasing"),
        ({"times": [-0.1, 1.0]}, "start at t >= 0"),
        ({"times": []}, "non-empty 1D"),
        ({"times": [[0.0, 1.0]]}, "non-empty 1D"),
        ({"times": [0.0, np.inf]}, "non-finite"),
        ({"method": "fft"}, "method must be"),
        ({"force": lambda q: np.zeros(3)}, "force must return"),
        ({"force_derivatives": lambda q: (0.0, 0.0, 0.0)}, "must return a pair"),
    ],
)
def test_classical_flow_errors(inputs, change, match):
    q0, rho0, grad_s0 = inputs
    args = {"q0": q0, "rho0": rho0, "grad_s0": grad_s0, "times": (0.0, 1.0)}
    special = {"negative": rho0 - 1e-3 * (q0 > 5), "double": 2 * rho0, "nan": rho0 * np.nan}
    if isinstance(change.get("rho0"), str):
        change = {"rho0": special[change["rho0"]]}
    args |= change
    with pytest.raises(ValueError, match=match):
        flow_of(**args)


@pytest.mark.parametrize("name", ["force", "force_derivatives"])
def test_classical_flow_rejects_non_callables(inputs, name):
    with pytest.raises(TypeError, match=name):
        flow_of(*inputs, **{name: 1.0})


def test_classical_flow_reports_solver_failure():
    q0 = np.linspace(-8, 8, 64, endpoint=False)
    with pytest.raises(RuntimeError, match="solve_ivp failed"):
        flow_of(
            q0, gaussian(q0, 0.0, 1.0), np.zeros(64), (0.0, 10.0),
            force=lambda q: q**3, force_derivatives=lambda q: (3 * q**2, 6 * q),
        )  # fmt: skip  # q̈ = q³ blows up in finite time


def test_energy_and_caustic_errors(inputs):
    flow = flow_of(*inputs)
    with pytest.raises(TypeError, match="flow must be"):
        ensemble_energy(xr.Dataset(), lambda q: q)
    with pytest.raises(TypeError, match="potential"):
        ensemble_energy(flow, 0.0)
    with pytest.raises(ValueError, match="hbar"):
        ensemble_energy(flow, lambda q: q, hbar=0.0)
    with pytest.raises(ValueError, match="differs from the flow's mass"):
        ensemble_energy(flow, lambda q: q, mass=2.0)
    with pytest.raises(ValueError, match="potential must return"):
        ensemble_energy(flow, lambda q: np.zeros(5))
    with pytest.raises(TypeError, match="flow must be"):
        first_caustic_time({"first_caustic_time": 1.0})
    with pytest.raises(TypeError, match="flow must be"):
        density(xr.Dataset())


def test_initial_data_of_a_chirped_gaussian_is_exact():
    """Chirped Gaussian: p0 = k + 2aq, p0' = 2a, p0'' = 0, to spectral accuracy."""
    hbar, c, s, k, a = 0.7, 0.4, 0.6, 1.1, 0.3
    q = np.linspace(-10, 10, 400, endpoint=False)
    psi = np.exp(-((q - c) ** 2) / (4 * s**2) + 1j * (k * q + a * q**2) / hbar)
    psi /= np.sqrt(np.sum(np.abs(psi) ** 2) * (q[1] - q[0]))
    q0, (rho0, drho0), (p0, dp0, d2p0) = initial_data(psi, q, hbar=hbar)
    gauss = np.exp(-((q0 - c) ** 2) / (2 * s**2)) / np.sqrt(2 * np.pi * s**2)
    # Labels kept where rho > 1e-16 max: the interval spans ~±8.6 sigma around c.
    assert np.all(np.abs(q0 - c) < 8.7 * s) and np.abs(q0 - c).max() > 8.0 * s
    assert np.max(np.abs(rho0 - gauss)) < 1e-9
    assert np.max(np.abs(drho0 + (q0 - c) / s**2 * gauss)) < 1e-8
    # Relative error of psi'/psi grows like 1e-16/|psi| at the kept edge (|psi| ~ 1e-8 max).
    assert np.max(np.abs(p0 - (k + 2 * a * q0))) < 1e-6
    assert np.max(np.abs(dp0 - 2 * a)) < 1e-4
    assert np.max(np.abs(d2p0)) < 1e-2


def test_initial_data_errors():
    q = np.linspace(-5, 5, 64, endpoint=False)
    psi = np.exp(-(q**2)) + 0j
    with pytest.raises(ValueError, match="not normalised"):
        initial_data(psi, q)
    psi /= np.sqrt(np.sum(np.abs(psi) ** 2) * (q[1] - q[0]))
    with pytest.raises(ValueError, match="threshold"):
        initial_data(psi, q, threshold=2.0)
    with pytest.raises(ValueError, match="hbar"):
        initial_data(psi, q, hbar=-1.0)


# ---------------------------------------------------------------------------------------------
# quantum_potential_power: d<H>_xi/dt of the classical flow


@pytest.mark.parametrize("a, sigma, mass, hbar", [(0.5, 0.8, 1.0, 1.0), (-0.3, 1.2, 2.0, 0.7)])
def test_quantum_potential_power_gaussian_closed_form(a, sigma, mass, hbar):
    q = np.linspace(-15, 15, 1024, endpoint=False)
    # S = m a q²/2 (velocity a q): phase S/ħ = (m a / 2ħ) q²
    psi = states.chirped_gaussian(q, width=sigma, chirp=mass * a / (2 * hbar), hbar=hbar)
    power = quantum_potential_power(psi, q, hbar=hbar, mass=mass)
    assert power == pytest.approx(-a * hbar**2 / (4 * mass * sigma**2), rel=1e-10)


def test_quantum_potential_power_zero_for_real_state():
    q = np.linspace(-15, 15, 512, endpoint=False)
    psi = states.normalise(
        states.gaussian_wavepacket(q, -1, 0.6) + 0.5 * states.gaussian_wavepacket(q, 1, 0.9), q
    )
    assert abs(quantum_potential_power(psi, q)) < 1e-12


def test_quantum_potential_power_is_slope_of_classical_flow_energy():
    q = np.linspace(-12, 12, 1024, endpoint=False)
    psi = states.normalise(
        states.gaussian_wavepacket(q, -1.0, 0.6, 0.8)
        + 0.8 * np.exp(0.5j) * states.gaussian_wavepacket(q, 1.2, 0.5, -0.3),
        q,
    )
    h = 1e-3
    flow = classical_flow(
        *initial_data(psi, q),
        np.array([0.0, h, 2 * h]),
        force=lambda x: -x,
        force_derivatives=lambda x: (-np.ones_like(x), np.zeros_like(x)),
    )
    total = ensemble_energy(flow, lambda x: x**2 / 2).total.values
    slope = (-3 * total[0] + 4 * total[1] - total[2]) / (2 * h)  # O(h²) ~ 1e-6 relative
    assert slope == pytest.approx(quantum_potential_power(psi, q), rel=1e-4)


def test_quantum_potential_power_rejects_bad_input():
    q = np.linspace(-5, 5, 64, endpoint=False)
    with pytest.raises(ValueError):
        quantum_potential_power(np.ones(64), q)
    psi = states.gaussian_wavepacket(q, 0.0, 1.0)
    with pytest.raises(ValueError, match="mass"):
        quantum_potential_power(psi, q, mass=0.0)


def test_superposition_residual_vanishes_apart_and_not_on_overlap():
    q = np.linspace(-40, 40, 2048, endpoint=False)
    apart = [states.gaussian_wavepacket(q, c, 1.0, 0.0) for c in (-15.0, 15.0)]
    overlap = [states.gaussian_wavepacket(q, c, 1.0, k) for c, k in ((-0.5, 2.0), (0.5, -2.0))]
    scale = np.abs(tr.quantum_potential_on_grid(overlap[0], q) * overlap[0]).max()
    assert np.abs(hj.superposition_residual(*apart, q)).max() < 1e-8 * scale
    assert np.abs(hj.superposition_residual(*overlap, q)).max() > 0.5 * scale


def test_superposition_residual_of_a_packet_with_itself():
    # psi + psi = 2 psi has the same |psi| shape, so Q[2|psi|] = Q[|psi|] and r = 0 exactly
    q = np.linspace(-20, 20, 1024, endpoint=False)
    psi = states.gaussian_wavepacket(q, 1.0, 0.8, 1.5)
    np.testing.assert_allclose(hj.superposition_residual(psi, psi, q), 0.0, atol=1e-10)
    with pytest.raises(ValueError, match="mass"):
        hj.superposition_residual(psi, psi, q, mass=0.0)
