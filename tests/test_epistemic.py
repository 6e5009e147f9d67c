"""Tests of qfcore.epistemic: the ξ-ensemble of Budiyono & Rohrlich, Nat. Commun. 8, 1306 (2017).

Monte Carlo tolerances are 4 standard errors (5 for the moments of ξ) with fixed seeds; a
failure of a correct implementation would need a ≥ 4σ fluctuation (probability < 1e-4 per
check). The grids resolve every state spectrally, so quadrature and derivative errors are at
round-off unless a test says otherwise.
"""

import numpy as np
import pytest

from qfcore import epistemic as ep
from qfcore import grid as G
from qfcore import states

# ---------------------------------------------------------------------------------------------
# fixtures


def _grid_1d():
    return np.linspace(-10.0, 10.0, 256, endpoint=False)


def _grid_2d():
    # Δ = 0.125: the narrowest packet of random_superposition (σ = L/60 = 0.2 = 1.6Δ) has
    # |ψ̂| ~ exp(−σ²k²) ≈ 1e-11 at the Nyquist wavenumber π/Δ.
    return (np.linspace(-6.0, 6.0, 96, endpoint=False), np.linspace(-5.0, 5.0, 80, endpoint=False))


def _coefficients(axes):
    """A non-constant symmetric positive-definite metric, a vector potential and a potential."""
    q = G.mesh(axes)
    if len(axes) == 1:
        (x,) = q
        return (
            (1.0 + 0.5 * np.cos(0.7 * x))[None, None],
            (0.4 * np.sin(0.5 * x))[None],
            0.3 * x**2 + 0.1 * x,
        )
    x, y = q
    g12 = 0.3 * np.sin(x + y)  # |g12| < 0.3 and g11·g22 ≥ 0.8: positive definite
    metric = np.array([[1.5 + 0.5 * np.sin(x), g12], [g12, 1.2 + 0.4 * np.cos(y)]])
    return metric, np.array([0.5 * np.sin(y), 0.3 * x]), 0.5 * (x**2 + y**2) + 0.2 * x * y


def _entangled_gaussian(axes, precision):
    """Real ψ with ρ ∝ exp(−qᵀΛq/2) (so S = 0)."""
    x, y = G.mesh(axes)
    quad = precision[0, 0] * x**2 + 2 * precision[0, 1] * x * y + precision[1, 1] * y**2
    return states.normalise(np.exp(-quad / 4.0), axes)


# ---------------------------------------------------------------------------------------------
# the random variable ξ


@pytest.mark.parametrize("kind", ep.XI_KINDS)
def test_sample_xi_moments(kind):
    hbar, n = 1.7, 200_000
    xi = ep.sample_xi(n, kind, hbar=hbar, rng=np.random.default_rng(11))
    assert xi.shape == (n,)
    assert abs(xi.mean()) < 5 * hbar / np.sqrt(n)
    var_err = np.std(xi**2) / np.sqrt(n)  # standard error of the sample second moment
    if kind == "two_point":
        np.testing.assert_array_equal(xi**2, hbar**2)  # variance exact draw by draw
    else:
        assert var_err > 0
        assert abs(np.mean(xi**2) - hbar**2) < 5 * var_err
    m4 = np.mean(xi**4)
    m4_err = np.std(xi**4) / np.sqrt(n)
    assert abs(m4 - ep.xi_fourth_moment(kind, hbar)) < 5 * m4_err + 1e-12 * m4
    # The kinds share two moments but are told apart by the fourth.
    for other in ep.XI_KINDS:
        if other != kind:
            assert abs(m4 - ep.xi_fourth_moment(other, hbar)) > 20 * m4_err


def test_fourth_moments_closed_forms():
    h = 1.3
    assert ep.xi_fourth_moment("gaussian", h) == pytest.approx(3 * h**4, rel=1e-15)
    assert ep.xi_fourth_moment("two_point", h) == pytest.approx(h**4, rel=1e-15)
    assert ep.xi_fourth_moment("uniform", h) == pytest.approx(9 * h**4 / 5, rel=1e-15)


def test_sample_xi_separable_and_seeding():
    n = 100_000
    xi = ep.sample_xi(n, "uniform", hbar=0.5, n_dof=3, rng=5)
    assert xi.shape == (n, 3)
    assert np.all(np.abs(xi) <= np.sqrt(3) * 0.5)
    # Independent components: sample correlations are N(0, 1/n).
    corr = np.corrcoef(xi.T)
    assert np.all(np.abs(corr[np.triu_indices(3, 1)]) < 5 / np.sqrt(n))
    np.testing.assert_array_equal(xi, ep.sample_xi(n, "uniform", hbar=0.5, n_dof=3, rng=5))


# ---------------------------------------------------------------------------------------------
# momentum field


def test_momentum_field_closed_form():
    # ψ = Gaussian packet with mean momentum p0: ∂S = p0, ∂ρ/(2ρ) = −(q − c)/(2σ²).
    hbar, c, sigma, p0 = 0.6, 0.3, 0.8, 1.1  # |ψ| < 1e-15 at the edges: no periodic wrap
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, c, sigma, p0, hbar=hbar)
    field = ep.momentum_field(psi, q, hbar=hbar)
    # FFT round-off in ∂ψ is ~1e-15·max|∂ψ|; dividing by ψ amplifies it by 1/|ψ|, which is
    # below e^{25/4} ≈ 500 within 5σ: 1e-11 leaves a margin.
    inside = np.abs(q - c) < 5 * sigma
    np.testing.assert_allclose(field.phase_gradient[0][inside], p0, rtol=1e-11)
    np.testing.assert_allclose(
        field.osmotic[0][inside], -(q[inside] - c) / (2 * sigma**2), rtol=1e-11, atol=1e-11
    )


def test_momentum_field_zero_density_is_masked():
    q = np.linspace(-1.0, 1.0, 64, endpoint=False)
    psi = np.where(np.abs(q) < 0.5, np.cos(np.pi * q) ** 2, 0.0).astype(complex)
    with np.errstate(all="raise"):
        field = ep.momentum_field(psi, q, derivative="central")
    assert np.all(field.osmotic[0][np.abs(q) > 0.55] == 0.0)
    assert np.all(field.phase_gradient[0] == 0.0)  # real ψ: S = 0 wherever it is defined


# ---------------------------------------------------------------------------------------------
# Gaussian state: σ_p = ħ/(2σ_q)


@pytest.mark.parametrize("kind", ep.XI_KINDS)
def test_gaussian_uncertainty(kind):
    hbar, sigma = 0.7, 0.8
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, 0.0, sigma, hbar=hbar)
    res = ep.ensemble_average(lambda p, q: p[0] ** 2, psi, q, hbar=hbar, xi=kind, rng=7)
    exact = hbar**2 / (4 * sigma**2)
    # Monte Carlo error 4σ; 1e-12 covers the (spectral) quadrature when stderr = 0 (two_point).
    assert abs(res.mean - exact) <= 4 * res.stderr + 1e-12 * exact
    assert (res.stderr == 0) == (kind == "two_point") or res.stderr < 1e-14 * exact
    mean_p = ep.ensemble_average(lambda p, q: p[0], psi, q, hbar=hbar, xi=kind, rng=7)
    assert abs(mean_p.mean) < 1e-12  # ∂S = 0 and Σ ∂ρ ΔV = 0: ⟨p⟩ vanishes for every ξ
    sigma_q = np.sqrt(ep.ensemble_average(lambda p, q: q[0] ** 2, psi, q, n_xi=2).mean)
    assert sigma_q == pytest.approx(sigma, rel=1e-12)
    # σ_q σ_p = ħ/2 within the propagated Monte Carlo error of sqrt(⟨p²⟩).
    sigma_p = np.sqrt(res.mean)
    assert abs(sigma_q * sigma_p - hbar / 2) <= sigma_q * 2 * res.stderr / sigma_p + 1e-12


# ---------------------------------------------------------------------------------------------
# Theorem 2


@pytest.mark.parametrize("kind", ep.XI_KINDS)
@pytest.mark.parametrize("dim", [1, 2])
def test_theorem2_monte_carlo(dim, kind):
    hbar = 0.7
    axes = (_grid_1d(),) if dim == 1 else _grid_2d()
    psi = states.random_superposition(axes, hbar=hbar, rng=np.random.default_rng(20 + dim))
    metric, a, v = _coefficients(axes)
    obs = ep.quadratic_observable(metric, vector_potential=a, potential=v)
    res = ep.ensemble_average(obs, psi, axes, hbar=hbar, xi=kind, n_xi=4096, rng=3)
    quantum = ep.ordered_quadratic_expectation(
        psi, axes, metric, vector_potential=a, potential=v, hbar=hbar
    )
    assert res.stderr > 0
    # 1e-10 relative: round-off of the exact discrete identity (see the deterministic test).
    assert abs(res.mean - quantum) <= 4 * res.stderr + 1e-10 * abs(quantum)


@pytest.mark.parametrize("dim", [1, 2])
def test_theorem2_deterministic(dim):
    hbar = 1.4
    axes = (_grid_1d(),) if dim == 1 else _grid_2d()
    psi = states.random_superposition(axes, hbar=hbar, rng=np.random.default_rng(30 + dim))
    metric, a, v = _coefficients(axes)
    obs = ep.quadratic_observable(metric, vector_potential=a, potential=v)
    # 700 ξ's: several batches on the 2D grid (batch = 2**20 // 7680 = 136).
    xi = np.linspace(-3.0, 3.0, 700) * hbar
    values = ep.conditional_averages(obs, psi, axes, xi, hbar=hbar)
    nodes = [0, 350, 699]
    c0, c1, c2 = np.linalg.solve(np.vander(xi[nodes], 3, increasing=True), values[nodes])
    # A(ξ) = c0 + c1 ξ + c2 ξ² exactly (Eq. (22)): prediction error at round-off.
    scale = np.max(np.abs(values))
    np.testing.assert_allclose(c0 + c1 * xi + c2 * xi**2, values, rtol=0, atol=1e-11 * scale)
    assert abs(c1) > 1e-3 * scale  # the linear term is really there (S ≠ 0, A ≠ 0)
    quantum = ep.ordered_quadratic_expectation(
        psi, axes, metric, vector_potential=a, potential=v, hbar=hbar
    )
    # E[ξ] = 0, E[ξ²] = ħ²: Theorem 2 holds on the grid up to round-off (the spectral gradient
    # is shared by both sides, and the integrand identity is pointwise).
    assert c0 + c2 * hbar**2 == pytest.approx(quantum, rel=1e-11)


def test_ordered_expectation_kinetic_energy_in_fourier_space():
    # Independent check: g = I/m, A = 0 gives Σ_k ħ²k²/(2m) |ψ̂_k|² (Parseval).
    hbar, mass = 0.9, 1.7
    axes = _grid_2d()
    psi = states.random_superposition(axes, hbar=hbar, rng=np.random.default_rng(4))
    k1, k2 = np.meshgrid(*G.wavenumbers(axes), indexing="ij")
    weights = np.abs(np.fft.fft2(psi)) ** 2
    kinetic = np.sum(hbar**2 * (k1**2 + k2**2) / (2 * mass) * weights) / np.sum(weights)
    value = ep.ordered_quadratic_expectation(psi, axes, np.eye(2) / mass, hbar=hbar)
    assert value == pytest.approx(kinetic, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# nonseparability of ξ


def test_separable_vs_nonseparable_correlation():
    hbar = 1.3
    precision = np.array([[2.0, 0.8], [0.8, 1.5]])
    axes = (np.linspace(-7, 7, 96, endpoint=False), np.linspace(-7, 7, 80, endpoint=False))
    psi = _entangled_gaussian(axes, precision)
    quantum = hbar**2 * precision[0, 1] / 4

    def p1p2(p, q):
        return p[0] * p[1]

    ordered = ep.ordered_quadratic_expectation(psi, axes, [[0.0, 1.0], [1.0, 0.0]], hbar=hbar)
    assert ordered == pytest.approx(quantum, rel=1e-10)  # spectral, Gaussian resolved
    nonsep = ep.ensemble_average(p1p2, psi, axes, hbar=hbar, xi="gaussian", rng=8)
    assert abs(nonsep.mean - quantum) <= 4 * nonsep.stderr
    sep = ep.ensemble_average(p1p2, psi, axes, hbar=hbar, xi="gaussian", separable=True, rng=8)
    assert abs(sep.mean) <= 4 * sep.stderr  # classical ∫∂1S ∂2S ρ = 0
    assert quantum > 10 * max(sep.stderr, nonsep.stderr)  # the two are told apart
    # two-point ξ: ξ² = ħ² exactly, so the nonseparable value is exact draw by draw.
    exact = ep.ensemble_average(p1p2, psi, axes, hbar=hbar, xi="two_point", rng=8)
    assert exact.mean == pytest.approx(quantum, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# Fisher information and the uncertainty chain


def test_fisher_information_gaussians():
    q = _grid_1d()
    sigma = 1.0  # ψ ≈ e^{-25} at the grid's edges: periodic wrap-around below round-off
    psi = states.gaussian_wavepacket(q, 0.0, sigma, 2.0)
    np.testing.assert_allclose(ep.fisher_information(psi, q), [1 / sigma**2], rtol=1e-11)
    # Correlated 2D Gaussian with precision Λ: I_i = (Λ Σ Λ)_ii = Λ_ii.
    precision = np.array([[2.0, 0.8], [0.8, 1.5]])
    axes = (np.linspace(-7, 7, 96, endpoint=False), np.linspace(-7, 7, 80, endpoint=False))
    psi2 = _entangled_gaussian(axes, precision)
    np.testing.assert_allclose(ep.fisher_information(psi2, axes), np.diag(precision), rtol=1e-10)


@pytest.mark.parametrize("dim", [1, 2])
def test_uncertainty_chain_random_states(dim):
    hbar = 0.8
    axes = (_grid_1d(),) if dim == 1 else _grid_2d()
    for seed in range(3):
        psi = states.random_superposition(axes, hbar=hbar, rng=np.random.default_rng(seed))
        rho = np.abs(psi) ** 2 * G.cell_volume(axes)
        field = ep.momentum_field(psi, axes, hbar=hbar)
        fisher = ep.fisher_information(psi, axes)
        for i, qi in enumerate(G.mesh(axes)):
            mean_p = np.sum(field.phase_gradient[i] * rho)
            metric = np.zeros((dim, dim))
            metric[i, i] = 2.0  # ½·2·(p_i − ⟨p_i⟩)²
            shift = np.zeros(dim)
            shift[i] = mean_p
            var_p = ep.ordered_quadratic_expectation(
                psi, axes, metric, vector_potential=shift, hbar=hbar
            )
            var_q = np.sum(qi**2 * rho) - np.sum(qi * rho) ** 2
            classical = np.sum((field.phase_gradient[i] - mean_p) ** 2 * rho)
            # σ_p² = ∫(∂S − ⟨p⟩)²ρ + ħ²I/4 exactly (Eq. (36) with Eq. (7)).
            assert var_p == pytest.approx(classical + hbar**2 * fisher[i] / 4, rel=1e-10)
            assert classical > 1e-3 * var_p  # random states carry a phase: strict first step
            assert fisher[i] * var_q > 1.0 + 1e-3  # Cramér–Rao, strict for non-Gaussian ρ
            assert var_p * var_q > hbar**2 / 4


# ---------------------------------------------------------------------------------------------
# density allowed by the epistemic restriction (Methods)


def test_restricted_density_gaussian():
    sigma = 0.7
    q = np.linspace(-8 * sigma, 8 * sigma, 801) + 0.3
    rho = ep.restricted_density(lambda x: -x / (2 * sigma**2), q)
    exact = np.exp(-(q**2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)
    # Mass outside ±8σ (≈1e-15) and Simpson's O(Δ⁴) error are far below the tolerance.
    np.testing.assert_allclose(rho, exact, rtol=0, atol=1e-9)
    # The start point only fixes the (discarded) constant of integration.
    rho_edge = ep.restricted_density(lambda x: -x / (2 * sigma**2), q, q0=q[0])
    np.testing.assert_allclose(rho_edge, exact, rtol=0, atol=1e-9)


def test_restricted_density_box_ground_state():
    n = 2001
    q = np.linspace(-0.5, 0.5, n)[1:-1]  # the walls themselves, where tan diverges, are left out
    rho = ep.restricted_density(lambda x: -np.pi * np.tan(np.pi * x), q)
    # Left out: 2·∫_0^Δ 2 sin²(πu) du ≈ 4π²Δ³/3 ≈ 1.6e-9 of the mass (Δ = 5e-4).
    np.testing.assert_allclose(rho, 2 * np.cos(np.pi * q) ** 2, rtol=0, atol=1e-8)


def test_restricted_density_uniform():
    q = np.linspace(-2.0, 3.0, 11)
    np.testing.assert_allclose(ep.restricted_density(lambda x: 0.0, q), 0.2, rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# particle in a box with central differences


def _box_variance(n, hbar, *, both_walls):
    if both_walls:
        q = np.linspace(-0.5, 0.5, n + 1)
        psi = np.sqrt(2) * np.cos(np.pi * q) + 0j
        psi[[0, -1]] = 0.0  # exact zeros: zero weight
    else:
        # Periodic grid: holds the wall q = −½ (image of +½), where ψ ~ 1e-16; the uniform
        # weights are then exact for the periodic integrand 2π²ħ² sin²(πq).
        q = np.linspace(-0.5, 0.5, n, endpoint=False)
        psi = np.sqrt(2) * np.cos(np.pi * q) + 0j
    psi = states.normalise(psi, q)
    res = ep.ensemble_average(
        lambda p, q: p[0] ** 2, psi, q, hbar=hbar, xi="two_point", derivative="central", rng=0
    )
    return res.mean, 1.0 / n


def test_box_momentum_variance_second_order():
    hbar = 0.8
    sizes = [100, 200, 400, 800]
    errors = [_box_variance(n, hbar, both_walls=False)[0] - np.pi**2 * hbar**2 for n in sizes]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.85) and np.all(orders < 2.15)
    # Leading error of the central difference (ψ' + Δ²ψ'''/6, ψ''' = −π²ψ'): −π⁴ħ²Δ²/3.
    assert errors[-1] * sizes[-1] ** 2 == pytest.approx(-(np.pi**4) * hbar**2 / 3, rel=0.03)


def test_box_both_walls_zero_weight():
    # With ψ = 0 exactly on both walls, those points drop out (no NaN), and the sum misses the
    # wall value 2π²ħ² of the integrand with weight Δ: error −2π²ħ²Δ − π⁴ħ²Δ²/3 + O(Δ³)
    # (the second term is the central-difference error of the test above).
    hbar = 1.0
    for n in (200, 400):
        value, dq = _box_variance(n, hbar, both_walls=True)
        assert np.isfinite(value)
        remainder = value - np.pi**2 * hbar**2 + 2 * np.pi**2 * hbar**2 * dq
        assert remainder / dq**2 == pytest.approx(-(np.pi**4) * hbar**2 / 3, rel=0.03)


# ---------------------------------------------------------------------------------------------
# observables beyond quadratic forms, shapes


def test_position_only_observables():
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, 0.5, 1.2, 0.3)
    assert ep.ensemble_average(lambda p, q: 1.0, psi, q, rng=1).mean == pytest.approx(1.0)
    res = ep.ensemble_average(lambda p, q: q[0], psi, q, rng=1)
    assert res.mean == pytest.approx(0.5, rel=1e-12)
    assert res.stderr < 1e-15  # the same A(ξ) for every ξ, up to summation order


# ---------------------------------------------------------------------------------------------
# errors


def _state():
    q = _grid_1d()
    return states.gaussian_wavepacket(q, 0.0, 1.0), q


def _kinetic(p, q):
    return p[0] ** 2 / 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"xi": "cauchy"}, "xi must be one of"),
        ({"n_xi": 1}, "n_xi must be >= 2"),
        ({"hbar": 0.0}, "hbar must be"),
        ({"hbar": -1.0}, "hbar must be"),
        ({"derivative": "fourier"}, "derivative must be"),
    ],
)
def test_ensemble_average_bad_parameters(kwargs, match):
    psi, q = _state()
    with pytest.raises(ValueError, match=match):
        ep.ensemble_average(_kinetic, psi, q, **kwargs)


def test_ensemble_average_bad_state_and_grid():
    psi, q = _state()
    with pytest.raises(ValueError, match="not normalised"):
        ep.ensemble_average(_kinetic, 2 * psi, q)
    with pytest.raises(ValueError, match="not uniformly spaced"):
        ep.ensemble_average(_kinetic, psi, q + 1e-3 * q**2)
    with pytest.raises(ValueError, match="shape"):
        ep.ensemble_average(_kinetic, psi[:-1], q)
    with pytest.raises(TypeError, match="observable must be a callable"):
        ep.ensemble_average(2.0, psi, q)
    with pytest.raises(TypeError, match="n_xi must be an int"):
        ep.ensemble_average(_kinetic, psi, q, n_xi=10.0)
    with pytest.raises(TypeError, match="rng must be"):
        ep.ensemble_average(_kinetic, psi, q, rng="seed")


def test_conditional_averages_errors():
    psi, q = _state()
    with pytest.raises(ValueError, match="xi must have shape"):
        ep.conditional_averages(_kinetic, psi, q, np.ones((3, 2)))
    with pytest.raises(ValueError, match="xi holds non-finite"):
        ep.conditional_averages(_kinetic, psi, q, [np.nan])
    with pytest.raises(TypeError, match="real numbers"):
        ep.conditional_averages(lambda p, q: 1j * p[0], psi, q, [1.0])
    with pytest.raises(ValueError, match="not broadcastable"):
        ep.conditional_averages(lambda p, q: np.ones(3), psi, q, [1.0])
    with pytest.raises(ValueError, match="not normalised"):
        ep.conditional_averages(_kinetic, 0.5 * psi, q, [1.0])


def test_sample_xi_errors():
    with pytest.raises(ValueError, match="kind must be one of"):
        ep.sample_xi(3, "cauchy")
    with pytest.raises(ValueError, match="n must be >= 1"):
        ep.sample_xi(0)
    with pytest.raises(TypeError, match="n must be an int"):
        ep.sample_xi(2.5)
    with pytest.raises(ValueError, match="n_dof must be >= 1"):
        ep.sample_xi(3, n_dof=0)
    with pytest.raises(ValueError, match="hbar must be"):
        ep.sample_xi(3, hbar=-1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        ep.xi_fourth_moment("lorentzian")


def test_quadratic_observable_errors():
    with pytest.raises(ValueError, match="symmetric"):
        ep.quadratic_observable([[1.0, 0.2], [0.1, 1.0]])
    with pytest.raises(ValueError, match=r"shape \(d, d\)"):
        ep.quadratic_observable(np.ones((2, 3)))
    with pytest.raises(ValueError, match="vector_potential must have shape"):
        ep.quadratic_observable(np.eye(2), vector_potential=np.ones(3))
    with pytest.raises(ValueError, match="must be real"):
        ep.quadratic_observable(np.eye(1), potential=1j * np.ones(5))
    with pytest.raises(ValueError, match="disagree on the grid"):
        ep.quadratic_observable(np.ones((1, 1, 5)), potential=np.ones(6))
    with pytest.raises(ValueError, match="non-finite"):
        ep.quadratic_observable([[np.inf]])
    obs = ep.quadratic_observable(np.eye(2))
    with pytest.raises(ValueError, match="2 degrees of freedom got 1"):
        obs((np.ones(3),), (np.ones(3),))


def test_ordered_expectation_errors():
    psi, q = _state()
    n = q.size
    # Complex potential or vector potential: non-Hermitian Ô, complex ⟨ψ|Ô|ψ⟩.
    with pytest.raises(ValueError, match="not Hermitian"):
        ep.ordered_quadratic_expectation(psi, q, np.eye(1), potential=1j * q**2)
    with pytest.raises(ValueError, match="not Hermitian"):
        ep.ordered_quadratic_expectation(psi, q, 1j * np.eye(1))
    # A complex A would be conjugated silently on the bra side: rejected up front.
    with pytest.raises(ValueError, match="vector_potential must be real"):
        ep.ordered_quadratic_expectation(psi, q, np.eye(1), vector_potential=[1j * np.ones(n)])
    # A complex dtype with zero imaginary part is fine.
    real = ep.ordered_quadratic_expectation(psi, q, np.eye(1), potential=q**2)
    assert ep.ordered_quadratic_expectation(
        psi, q, np.eye(1), potential=q**2 + 0j
    ) == pytest.approx(real, rel=1e-14)
    with pytest.raises(ValueError, match="metric is 2x2 but the grid has 1 axes"):
        ep.ordered_quadratic_expectation(psi, q, np.eye(2))
    with pytest.raises(ValueError, match="potential has grid part"):
        ep.ordered_quadratic_expectation(psi, q, np.eye(1), potential=np.ones(n - 1))
    with pytest.raises(ValueError, match="not normalised"):
        ep.ordered_quadratic_expectation(3 * psi, q, np.eye(1))


def test_fisher_and_field_errors():
    psi, q = _state()
    with pytest.raises(ValueError, match="not normalised"):
        ep.fisher_information(2 * psi, q)
    with pytest.raises(ValueError, match="derivative must be"):
        ep.momentum_field(psi, q, derivative="upwind")
    with pytest.raises(ValueError, match="hbar must be"):
        ep.momentum_field(psi, q, hbar=0)


def test_restricted_density_errors():
    q = np.linspace(-1, 1, 11)
    with pytest.raises(TypeError, match="osmotic must be a callable"):
        ep.restricted_density(0.0, q)
    with pytest.raises(ValueError, match="strictly increasing"):
        ep.restricted_density(lambda x: 0.0, q[::-1])
    with pytest.raises(ValueError, match="at least 3 points"):
        ep.restricted_density(lambda x: 0.0, q[:2])
    with pytest.raises(ValueError, match=r"q0 = 2\.0 lies outside"):
        ep.restricted_density(lambda x: 0.0, q, q0=2.0)
    with pytest.raises(ValueError, match="rtol and atol must be > 0"):
        ep.restricted_density(lambda x: 0.0, q, rtol=0.0)
    with pytest.raises(ValueError, match="osmotic must be finite"):
        ep.restricted_density(lambda x: np.nan if x > 0.3 else 0.0, q)


def test_sample_phase_space_matches_ensemble_moments():
    """Sampled (q, p) reproduce <q>, <p> and <p^2> of the ensemble within 5 standard errors."""
    x = np.linspace(-10, 10, 256, endpoint=False)
    psi = states.random_superposition(x, rng=np.random.default_rng(11))
    q, p = ep.sample_phase_space(psi, x, 40_000, xi="uniform", rng=np.random.default_rng(3))
    assert q.shape == p.shape == (40_000, 1)
    rho = np.abs(psi) ** 2 * (x[1] - x[0])
    assert abs(q.mean() - np.sum(x * rho)) < 5 * q.std() / np.sqrt(q.size)
    exact_p = ep.ensemble_average(lambda pp, qq: pp[0], psi, x, xi="two_point", n_xi=2)
    exact_p2 = ep.conditional_averages(lambda pp, qq: pp[0] ** 2, psi, x, np.array([1.0, -1.0]))
    assert abs(p.mean() - exact_p.mean) < 5 * p.std() / np.sqrt(p.size)
    assert abs(np.mean(p**2) - exact_p2.mean()) < 5 * np.std(p**2) / np.sqrt(p.size)


def test_sample_phase_space_separable_2d_and_errors():
    y = np.linspace(-8, 8, 64, endpoint=False)
    sigma = 0.7  # psi ~ 1e-14 at the edges: spectral derivatives exact to ~1e-12
    psi = states.gaussian_wavepacket((y, y), 0.0, sigma)
    q, p = ep.sample_phase_space(psi, (y, y), 500, xi="two_point", separable=True, rng=1)
    assert q.shape == p.shape == (500, 2)
    # S = 0 and two-point xi: p_i = ±q_i/(2σ²) with independent signs per degree of freedom.
    keep = np.all(q != 0, axis=1)
    ratio = p[keep] / (-q[keep] / (2 * sigma**2))
    np.testing.assert_allclose(np.abs(ratio), 1.0, atol=1e-9)
    assert 0.4 < np.mean(np.sign(ratio[:, 0]) == np.sign(ratio[:, 1])) < 0.6
    with pytest.raises(ValueError, match="n must be >= 1"):
        ep.sample_phase_space(psi, (y, y), 0)
    with pytest.raises(ValueError, match="normalised"):
        ep.sample_phase_space(2 * psi, (y, y), 5)


# ---------------------------------------------------------------------------------------------
# uncertainty moments (T0.7) and Wallstrom's winding state (T0.11)

_Q = np.linspace(-12.0, 12.0, 512, endpoint=False)


@pytest.mark.parametrize("width, p0", [(0.5, 0.0), (0.9, 1.3), (1.4, -0.7)])
def test_uncertainty_moments_gaussian_saturates_kennard(width, p0):
    m = ep.uncertainty_moments(
        states.gaussian_wavepacket(_Q, 0.4, width, p0, hbar=1.3), _Q, hbar=1.3
    )
    assert m.sigma_q == pytest.approx(width, rel=1e-12)
    assert m.sigma_q * m.sigma_p == pytest.approx(1.3 / 2, rel=1e-10)
    assert m.cov_qp == pytest.approx(0.0, abs=1e-10)
    assert m.fisher == pytest.approx(1 / width**2, rel=1e-10)


@pytest.mark.parametrize("chirp", [-0.3, 0.1, 0.25])
def test_uncertainty_moments_chirped_gaussian_closed_forms(chirp):
    s = 0.8
    m = ep.uncertainty_moments(states.chirped_gaussian(_Q, 0.2, s, 0.5, chirp=chirp), _Q)
    assert m.sigma_q * m.sigma_p == pytest.approx(0.5 * np.sqrt(1 + 16 * chirp**2 * s**4), 1e-10)
    # covariance of q with the local momentum 2ħc u: 2ħcσ²; Schrödinger–Robertson equality
    assert m.cov_qp == pytest.approx(2 * chirp * s**2, rel=1e-10)
    assert m.sigma_q**2 * m.sigma_p**2 - m.cov_qp**2 == pytest.approx(0.25, rel=1e-10)


def test_uncertainty_moments_cubic_chirp_and_box_states():
    s, c3 = 0.9, 0.15
    m = ep.uncertainty_moments(states.chirped_gaussian(_Q, 0.0, s, cubic=c3), _Q)
    assert m.sigma_q * m.sigma_p == pytest.approx(0.5 * np.sqrt(1 + 72 * c3**2 * s**6), 1e-10)
    qb = np.linspace(-0.5, 0.5, 4000, endpoint=False)
    for n in (1, 2, 3):
        mb = ep.uncertainty_moments(states.box_eigenstate(qb, n), qb, derivative="central")
        # second-order differences at the kinks: O(h) relative error near the walls
        assert mb.sigma_q * mb.sigma_p == pytest.approx(
            0.5 * np.sqrt(n**2 * np.pi**2 / 3 - 2), 1e-3
        )


def test_uncertainty_moments_agree_with_quantum_operators():
    psi = states.random_superposition(_Q, n_packets=3, rng=np.random.default_rng(5))
    m = ep.uncertainty_moments(psi, _Q)
    p2 = ep.ordered_quadratic_expectation(psi, _Q, np.array([[2.0]]))  # ½·2·p̂² = p̂²
    (dpsi,) = G.gradient(psi, (_Q,))
    mean_p = float(np.sum(np.conj(psi) * -1j * dpsi).real * (_Q[1] - _Q[0]))
    assert m.sigma_p**2 == pytest.approx(p2 - mean_p**2, rel=1e-10)
    assert m.sigma_q * m.sigma_p > 0.5


def test_uncertainty_moments_rejects_bad_input():
    with pytest.raises(ValueError, match="one-dimensional"):
        ep.uncertainty_moments(np.ones((4, 4)), (np.arange(4.0), np.arange(4.0)))
    with pytest.raises(ValueError):
        ep.uncertainty_moments(np.ones(8), np.arange(8.0))  # not normalised


@pytest.mark.parametrize("nu", [0.3, 0.5, 0.77, 2.0])
def test_winding_weights_sum_and_grid_limit(nu):
    m = np.arange(-20000, 20001)
    w = ep.winding_weights(nu, m)
    assert w.sum() == pytest.approx(1.0, abs=2e-4)  # tail ~ 2 sin²(πν)/(π² M)
    grid = ep.winding_weights(nu, np.arange(-32, 32), n_grid=64)
    assert grid.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.max(np.abs(grid[28:36] - ep.winding_weights(nu, np.arange(-4, 4)))) < 1e-3
    if float(nu).is_integer():
        assert w[m == nu] == pytest.approx(1.0) and grid[32 + int(nu)] == pytest.approx(1.0)


@pytest.mark.parametrize("nu", [0.3, 0.5, 1.2])
def test_winding_principal_value_is_symmetric_sum(nu):
    big = 10**6
    m = np.arange(-big, big + 1)
    assert np.sum(m * ep.winding_weights(nu, m)) == pytest.approx(
        ep.winding_principal_value(nu), abs=1e-5
    )
    assert ep.winding_principal_value(0.5) == pytest.approx(0.5, abs=1e-15)


def test_winding_rejects_bad_input():
    with pytest.raises(ValueError, match="nu"):
        ep.winding_weights(np.nan, [0])
    with pytest.raises(ValueError, match="integers"):
        ep.winding_weights(0.3, [0.5])
    with pytest.raises(ValueError, match="lie in"):
        ep.winding_weights(0.3, [40], n_grid=64)
    with pytest.raises(ValueError, match="nu"):
        ep.winding_principal_value(True)


def _pointer_setup(phi, nu, sigma=0.4):
    q = np.linspace(-100.0, 100.0, 4096, endpoint=False)  # holds every peak 5m, |m| <= 16
    psi = np.outer(np.exp(1j * nu * phi), np.exp(-(q**2) / (4 * sigma**2)))
    return states.normalise(psi, (phi, q)), q


def test_von_neumann_pointer_circle_gives_born_weights_at_integers():
    phi = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    psi, q = _pointer_setup(phi, 0.3)
    ptr = ep.von_neumann_pointer(psi, phi, q, coupling=1.0, duration=5.0)
    dq = q[1] - q[0]
    assert np.sum(ptr) * dq == pytest.approx(1.0, rel=1e-12)
    for m in (-1, 0, 1):
        window = np.abs(q - 5.0 * m) < 2.5  # 6.25 σ: Gaussian tails ~ 1e-9
        assert np.sum(ptr[window]) * dq == pytest.approx(
            ep.winding_weights(0.3, [m], n_grid=32)[0], abs=1e-6
        )


def test_von_neumann_pointer_on_the_covering_line_moves_by_g_nu_hbar_t():
    # a φ window of 32 turns with a broad envelope: the spectrum of a line, p_φ ≈ ħν
    phi = np.linspace(-32 * np.pi, 32 * np.pi, 4096, endpoint=False)
    q = np.linspace(-40.0, 40.0, 1024, endpoint=False)
    env = np.exp(-(phi**2) / (4 * 12.0**2))  # exp(-17) at the window edges
    psi = states.normalise(np.outer(env * np.exp(1j * 0.3 * phi), np.exp(-(q**2) / 0.64)), (phi, q))
    ptr = ep.von_neumann_pointer(psi, phi, q, coupling=1.5, duration=2.0, hbar=0.8)
    dq = q[1] - q[0]
    assert np.sum(q * ptr) * dq == pytest.approx(1.5 * 0.3 * 0.8 * 2.0, abs=1e-10)


def test_von_neumann_pointer_rejects_bad_input():
    phi = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    psi, q = _pointer_setup(phi, 0.3)
    with pytest.raises(ValueError, match="duration"):
        ep.von_neumann_pointer(psi, phi, q, coupling=1.0, duration=-1.0)
    with pytest.raises(ValueError, match="coupling"):
        ep.von_neumann_pointer(psi, phi, q, coupling=np.inf, duration=1.0)


# ---------------------------------------------------------------------------------------------
# helpers of notebook 00: exact two-point average, test coefficients, p⁴ parts, ⟨p⟩ and ⟨p²⟩


@pytest.mark.parametrize("dim", [1, 2])
def test_two_point_average_is_theorem2_exactly(dim):
    hbar = 0.8
    axes = (_grid_1d(),) if dim == 1 else _grid_2d()
    psi = states.random_superposition(axes, hbar=hbar, rng=np.random.default_rng(40 + dim))
    metric, a, v = ep.example_quadratic_coefficients(axes)
    obs = ep.quadratic_observable(metric, vector_potential=a, potential=v)
    quantum = ep.ordered_quadratic_expectation(
        psi, axes, metric, vector_potential=a, potential=v, hbar=hbar
    )
    exact = ep.two_point_average(obs, psi, axes, hbar=hbar)
    assert isinstance(exact, float)
    assert abs(exact - quantum) <= 1e-10 * abs(quantum)
    # the same as the mean of A(ξ) over a symmetric Gauss-Hermite rule with E[ξ²] = ħ²
    nodes, weights = np.polynomial.hermite_e.hermegauss(5)
    gauss = ep.conditional_averages(obs, psi, axes, hbar * nodes, hbar=hbar) @ weights
    assert abs(exact - gauss / weights.sum()) <= 1e-10 * abs(quantum)


def test_two_point_average_of_a_cubic_is_not_the_gaussian_one():
    """Beyond quadratic O the two-point μ is just one μ: ⟨p⁴⟩ differs from the Gaussian-ξ value."""
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, 0.0, 1.0)
    parts = ep.fourth_moment_parts(psi, q)
    two_point = ep.two_point_average(lambda p, q: p[0] ** 4, psi, q)
    assert two_point == pytest.approx(parts.phase + 1.0 * parts.osmotic, rel=1e-10)
    assert two_point == pytest.approx(parts.quantum, rel=1e-9)  # Gaussian: two-point is right


def test_two_point_average_rejects_bad_hbar():
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, 0.0, 1.0)
    with pytest.raises(ValueError, match="hbar"):
        ep.two_point_average(lambda p, q: p[0] ** 2, psi, q, hbar=-1.0)


@pytest.mark.parametrize("dim", [1, 2])
def test_example_quadratic_coefficients(dim):
    axes = (_grid_1d(),) if dim == 1 else _grid_2d()
    shape = tuple(a.size for a in axes)
    metric, a, v = ep.example_quadratic_coefficients(axes)
    assert metric.shape == (dim, dim, *shape) and a.shape == (dim, *shape) and v.shape == shape
    g = np.moveaxis(metric, (0, 1), (-2, -1))
    np.testing.assert_array_equal(g, np.swapaxes(g, -1, -2))  # symmetric
    assert np.linalg.eigvalsh(g).min() > 0.2  # positive definite, as documented
    np.testing.assert_allclose(v, 0.05 * sum(m**2 for m in G.mesh(axes)), rtol=1e-15)
    # periodic in the first axis' extent: shifting q₁ by L leaves g and A unchanged
    length = axes[0][-1] - axes[0][0]
    shifted = (axes[0] + length, *axes[1:])
    g_shift, a_shift, _ = ep.example_quadratic_coefficients(shifted)
    np.testing.assert_allclose(g_shift, metric, atol=1e-12)
    np.testing.assert_allclose(a_shift, a, atol=1e-12)


def test_example_quadratic_coefficients_rejects_three_axes():
    axis = np.linspace(-1.0, 1.0, 8, endpoint=False)
    with pytest.raises(ValueError, match="one or two axes"):
        ep.example_quadratic_coefficients((axis, axis, axis))


def test_fourth_moment_parts_moving_gaussian_closed_form():
    """ψ = Gaussian × e^{ip₀q/ħ}: ⟨p⁴⟩ = p₀⁴ + 6p₀²σ_p² + 3σ_p⁴ with σ_p = ħ/2σ."""
    hbar, sigma, p0 = 0.9, 1.1, 1.3
    q = np.linspace(-15.0, 15.0, 512, endpoint=False)
    psi = states.gaussian_wavepacket(q, 0.4, sigma, p0, hbar=hbar)
    parts = ep.fourth_moment_parts(psi, q, hbar=hbar)
    sp_ = hbar / (2 * sigma)
    assert parts.quantum == pytest.approx(p0**4 + 6 * p0**2 * sp_**2 + 3 * sp_**4, rel=1e-10)
    assert parts.phase == pytest.approx(p0**4 + 6 * p0**2 * sp_**2, rel=1e-10)
    assert parts.osmotic == pytest.approx(3 / (16 * sigma**4), rel=1e-10)  # ∫ρ(q/2σ²)⁴
    # and the ensemble ⟨p⁴⟩ for the two-point μ (⟨ξ⁴⟩ = ħ⁴) is the quantum value
    assert parts.phase + hbar**4 * parts.osmotic == pytest.approx(parts.quantum, rel=1e-10)


def test_fourth_moment_parts_bimodal_needs_another_mu():
    q = _grid_1d()
    psi = states.normalise(
        states.gaussian_wavepacket(q, -1.0, 0.5) + 0.6 * states.gaussian_wavepacket(q, 1.0, 0.7),
        q,
    )
    parts = ep.fourth_moment_parts(psi, q)
    assert abs(parts.phase) < 1e-12  # a real state has S = const
    assert abs(parts.quantum / parts.osmotic - 1.0) > 1e-3  # not the two-point μ


def test_fourth_moment_parts_rejects_2d_grid():
    axes = _grid_2d()
    psi = states.random_superposition(axes, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="one 1D grid"):
        ep.fourth_moment_parts(psi, axes)


def test_momentum_moments_are_two_ensemble_averages_in_order():
    q = _grid_1d()
    psi = states.random_superposition(q, rng=np.random.default_rng(5))
    m1, m2 = ep.momentum_moments(psi, q, xi="uniform", n_xi=256, rng=np.random.default_rng(9))
    rng = np.random.default_rng(9)
    r1 = ep.ensemble_average(lambda p, q: p[0], psi, q, xi="uniform", n_xi=256, rng=rng)
    r2 = ep.ensemble_average(lambda p, q: p[0] ** 2, psi, q, xi="uniform", n_xi=256, rng=rng)
    assert (m1, m2) == (r1, r2)


def test_momentum_moments_gaussian_minimum_uncertainty():
    hbar, sigma = 1.3, 0.8
    q = _grid_1d()
    psi = states.gaussian_wavepacket(q, 0.5, sigma, 0.7, hbar=hbar)
    m1, m2 = ep.momentum_moments(psi, q, hbar=hbar, xi="two_point", n_xi=64, rng=2)
    assert m1.mean == pytest.approx(0.7, rel=1e-10)
    assert np.sqrt(m2.mean - m1.mean**2) == pytest.approx(hbar / (2 * sigma), rel=1e-9)


def test_momentum_moments_rejects_2d_grid():
    axes = _grid_2d()
    psi = states.random_superposition(axes, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="one 1D axis"):
        ep.momentum_moments(psi, axes)
