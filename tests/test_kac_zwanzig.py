"""Kac–Zwanzig bath and generalised Langevin equation (paper 004, Section 6): the sympy
derivation, closed-form kernels against quadrature and the discrete bath, fluctuation–
dissipation by Monte Carlo, the full Hamiltonian simulation against the GLE solver (agreement and
second-order convergence), the Markov limit, centre-of-mass-only coupling (sympy and numerics)
and every error."""

import importlib

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from qfcore import kac_zwanzig as kz

# ----------------------------------------------------------------------------------------------
# shared set-up: a smooth (exponential cut-off) bath, resolved by h * omega_max <= 0.6

M = 5.0  # heavy particle


def force(x):
    return -2.0 * x - x**3


def potential(x):
    return x**2 + x**4 / 4


@pytest.fixture(scope="module")
def smooth_bath():
    density = kz.spectral_density("ohmic_exponential", friction=1.0, cutoff=5.0)
    return kz.discretise_bath(density, 100, 30.0)  # truncation e^-6, T_r = 20.9


@pytest.fixture(scope="module")
def reference(smooth_bath):
    """Full Hamiltonian run of two samples (different x0) of one thermal bath draw."""
    x0 = np.array([1.0, -0.5])
    state = kz.thermal_bath_sample(smooth_bath, x0, 0.5, 2, rng=1)
    times = np.linspace(0.0, 10.0, 101)
    sim = kz.simulate(
        x0, 0.0, state.q, state.p, smooth_bath, times, mass=M, force=force, potential=potential
    )
    return x0, state, sim


# ----------------------------------------------------------------------------------------------
# the package: every public name of the submodules is re-exported


def test_the_package_re_exports_every_public_name():
    submodules = ("bath", "derivations", "dynamics", "spectral", "thermal")
    found = {}
    for sub in submodules:
        module = importlib.import_module(f"qfcore.kac_zwanzig.{sub}")
        for name, obj in vars(module).items():
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__:
                found[name] = obj
    found["SPECTRAL_DENSITIES"] = kz.spectral.SPECTRAL_DENSITIES
    assert sorted(kz.__all__) == sorted(found)
    assert all(getattr(kz, name) is obj for name, obj in found.items())


# ----------------------------------------------------------------------------------------------
# derivation and kernels


def test_sympy_derivation_of_the_gle_and_the_kernels():
    d = kz.langevin_derivation()
    residuals = (
        d.oscillator,
        *d.gle,
        d.fluctuation_dissipation,
        *d.kernels,
        *d.friction,
        d.markov_limit,
    )
    assert all(sp.simplify(r) == 0 for r in residuals)


def test_spectral_densities_and_closed_form_kernels():
    eta, wc = 0.7, 3.0
    w = np.array([0.0, 0.5, 3.0, 10.0])
    np.testing.assert_allclose(kz.ohmic_drude(w, eta, wc), eta * w * wc**2 / (w**2 + wc**2))
    np.testing.assert_allclose(kz.ohmic_exponential(w, eta, wc), eta * w * np.exp(-w / wc))
    for name in kz.SPECTRAL_DENSITIES:
        j = kz.spectral_density(name, friction=eta, cutoff=wc)
        # Ohmic: J/ω -> η at low frequency; the kernel integrates to η and is even
        assert j(1e-8) / 1e-8 == pytest.approx(eta, rel=1e-6)
        assert quad(j.kernel, 0, np.inf)[0] == pytest.approx(eta, rel=1e-8)
        np.testing.assert_allclose(j.kernel(-w), j.kernel(w))
        assert j(np.ones((2, 3))).shape == (2, 3)
    assert kz.ohmic_drude_kernel(0.0, eta, wc) == pytest.approx(eta * wc)
    assert kz.ohmic_exponential_kernel(0.0, eta, wc) == pytest.approx(2 / np.pi * eta * wc)


def test_quadrature_kernel_matches_the_closed_forms():
    t = np.array([0.0, 0.05, 0.3, 1.0, 2.5, 7.0, 20.0])
    for name in kz.SPECTRAL_DENSITIES:
        j = kz.spectral_density(name, friction=1.3, cutoff=2.0)
        kq = kz.memory_kernel_from_spectral_density(t, j)
        err = np.abs(kq.kernel - j.kernel(t))
        assert err.max() < 1e-10  # measured 2e-14
        assert np.all(err <= kq.error + 1e-14)  # QUADPACK's estimate bounds the true error
    # any callable J(ω), any shape of t
    kq = kz.memory_kernel_from_spectral_density(
        t.reshape(7, 1), lambda w: kz.ohmic_drude(w, 1.3, 2.0)
    )
    assert kq.kernel.shape == (7, 1)
    np.testing.assert_allclose(kq.kernel[:, 0], kz.ohmic_drude_kernel(t, 1.3, 2.0), atol=1e-10)


def test_discrete_drude_kernel_within_truncation_plus_alias():
    """Midpoint bath: error = missed tail (2/π)∫_{ω_max}^∞ J/ω cos ωt (≤ its t = 0 value) plus
    the Poisson-summation image −K(T_r − t); the bound is attained at t = 0."""
    j = kz.spectral_density("ohmic_drude", friction=1.0, cutoff=1.0)
    bath = kz.discretise_bath(j, 100, 50.0)
    t_r = bath.recurrence_time
    assert t_r == pytest.approx(2 * np.pi * 100 / 50.0)
    t = np.linspace(0, t_r / 2, 801)
    k_disc = kz.memory_kernel(t, bath)
    err = np.abs(k_disc - j.kernel(t))
    images = sum(j.kernel(k * t_r - t) + j.kernel(k * t_r + t) for k in (1, 2, 3))
    bound = j.truncation(50.0) * j.kernel(0.0) + images
    assert np.all(err <= bound * (1 + 1e-5))
    assert err[0] > 0.9999 * bound[0]  # 1.2738e-2: the bound is the real error, not a loose one
    assert err[1:].max() < 0.5 * err[0]  # the tail's cos ωt averages out for t > 0
    # beyond the recurrence time the discrete bath is anti-periodic, K(t + T_r) = −K(t)
    np.testing.assert_allclose(kz.memory_kernel(t + t_r, bath), -k_disc, atol=1e-12)
    assert kz.memory_kernel(t_r, bath) == pytest.approx(-k_disc[0])
    # the kernel does not depend on the bath masses; the spectral weights equal J Δω
    heavy = kz.discretise_bath(j, 100, 50.0, bath_mass=7.0)
    np.testing.assert_allclose(kz.memory_kernel(t, heavy), k_disc, rtol=1e-12)
    w, c, m = heavy.frequencies, heavy.couplings, heavy.masses
    np.testing.assert_allclose(np.pi / 2 * c**2 / (m * w), j(w) * heavy.spacing, rtol=1e-12)
    np.testing.assert_allclose(np.diff(w), heavy.spacing)
    assert w[0] == pytest.approx(heavy.spacing / 2)


def test_discretise_bath_accepts_any_callable_and_checks_its_tail():
    j = kz.spectral_density("ohmic_exponential", friction=1.0, cutoff=2.0)
    named = kz.discretise_bath(j, 50, 20.0)
    plain = kz.discretise_bath(lambda w: kz.ohmic_exponential(w, 1.0, 2.0), 50, 20.0)
    np.testing.assert_allclose(plain.couplings, named.couplings)
    with pytest.raises(ValueError, match="raise omega_max"):
        kz.discretise_bath(lambda w: kz.ohmic_exponential(w, 1.0, 2.0), 50, 4.0)


# ----------------------------------------------------------------------------------------------
# thermal bath and fluctuation–dissipation


def test_thermal_sample_is_the_conditioned_gibbs_state(smooth_bath):
    b, temp, x0, ns = smooth_bath, 0.8, 0.6, 40000
    state = kz.thermal_bath_sample(b, x0, temp, ns, rng=11)
    assert state.q.shape == state.p.shape == (ns, b.n) and state.seed == 11
    w, c, m = b.frequencies, b.couplings, b.masses
    centre, var_q, var_p = c * x0 / (m * w**2), temp / (m * w**2), m * temp
    z_mean = (state.q.mean(0) - centre) / np.sqrt(var_q / ns)
    z_var_q = (state.q.var(0) / var_q - 1) / np.sqrt(2 / ns)
    z_var_p = (state.p.var(0) / var_p - 1) / np.sqrt(2 / ns)
    assert max(np.abs(z_mean).max(), np.abs(z_var_q).max(), np.abs(z_var_p).max()) < 4.5
    # T = 0: the bath at rest in its shifted minimum; the same seed replays the draw
    cold = kz.thermal_bath_sample(b, x0, 0.0, 3, rng=2)
    np.testing.assert_allclose(cold.q, np.broadcast_to(centre, (3, b.n)))
    assert np.all(cold.p == 0)
    again = kz.thermal_bath_sample(b, x0, temp, ns, rng=11)
    np.testing.assert_array_equal(again.q, state.q)


def test_fluctuation_dissipation_by_monte_carlo(smooth_bath):
    """⟨ξ(t)ξ(s)⟩ = T K(t − s), zero mean, stationary: z-scores with the sample error."""
    temp, ns = 0.7, 50000
    state = kz.thermal_bath_sample(smooth_bath, 0.3, temp, ns, rng=7)
    lags = np.array([0.0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    xi = kz.bath_noise(smooth_bath, 0.3, state.q, state.p, lags + 1.0)  # origin s = 1
    prod = xi * xi[:, :1]
    z = (prod.mean(0) - temp * kz.memory_kernel(lags, smooth_bath)) / (
        prod.std(0, ddof=1) / np.sqrt(ns)
    )
    z_mean = xi.mean(0) / (xi.std(0, ddof=1) / np.sqrt(ns))
    assert np.abs(z).max() < 4.0  # measured max 1.49
    assert np.abs(z_mean).max() < 4.0
    # a factor 2 in the temperature would be seen at z ~ 100
    assert np.abs(prod.mean(0)[0] / (temp * kz.memory_kernel(0.0, smooth_bath)) - 1) < 0.03


# ----------------------------------------------------------------------------------------------
# full simulation and the GLE


def test_simulate_conserves_energy(reference):
    _, _, sim = reference
    e = sim.energy.values
    assert sim.x.dims == ("time", "sample") and sim.x.shape == (101, 2)
    assert np.abs(e - e[0]).max() < 5e-9 * np.abs(e[0]).max()  # measured 4e-10
    # the particle is damped: it does not come back to its initial amplitude
    assert np.abs(sim.x.values[-20:, 0]).max() < 0.8


def test_gle_agrees_with_simulate_and_is_second_order(smooth_bath, reference):
    x0, state, sim = reference
    errors = []
    for n_t in (501, 1001, 2001):  # h = 0.02, 0.01, 0.005 (h ω_max = 0.6 … 0.15)
        t = np.linspace(0.0, 10.0, n_t)
        gle = kz.solve_gle(
            x0,
            0.0,
            kz.memory_kernel(t, smooth_bath),
            t,
            kz.bath_noise(smooth_bath, x0, state.q, state.p, t),
            mass=M,
            force=force,
        )
        step = (n_t - 1) // 100
        errors.append(np.abs(gle.x.values[::step] - sim.x.values).max())
    errors = np.array(errors)
    orders = np.log2(errors[:-1] / errors[1:])
    np.testing.assert_allclose(orders, 2.0, atol=0.1)  # measured 2.002, 2.001
    # the finest run agrees with the full simulation to its predicted O(h^2) error
    assert errors[-1] < 1.2 * errors[1] / 4  # measured 7.4e-6
    assert errors[-1] < 1e-5


def test_gle_markov_limit_is_langevin_friction():
    """Drude kernel with ω_c -> ∞, no noise: M ẍ = −kx − ηẋ (damped oscillator), error ∝ 1/ω_c."""
    eta, k, x0 = 2.0, 4.0, 1.0
    t_exact = np.linspace(0, 4, 41)
    g = eta / (2 * M)
    om = np.sqrt(k / M - g**2)
    exact = x0 * np.exp(-g * t_exact) * (np.cos(om * t_exact) + g / om * np.sin(om * t_exact))
    errors = []
    for wc in (25.0, 50.0, 100.0):
        t = np.linspace(0, 4, int(40 * wc) + 1)  # ω_c h = 0.1
        gle = kz.solve_gle(
            x0,
            0.0,
            lambda lag, wc=wc: kz.ohmic_drude_kernel(lag, eta, wc),
            t,
            mass=M,
            force=lambda x: -k * x,
        )
        errors.append(np.abs(gle.x.values[:: int(wc), 0] - exact).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.1)  # first order in 1/ω_c: 2.05, 1.92
    assert errors[-1] < 2.5e-3  # measured 2.0e-3 at ω_c = 100


# ----------------------------------------------------------------------------------------------
# centre-of-mass-only coupling


@pytest.mark.parametrize("n_particles", [2, 3, 5])
def test_sympy_centre_of_mass_coupling(n_particles):
    res = kz.centre_of_mass_coupling(n_particles, 2)
    assert res.relative_bath_hessian.shape == (2 * (n_particles - 1), 4)
    assert res.relative_bath_hessian.is_zero_matrix
    assert res.cm_bath_hessian == sp.Matrix([[-n_particles * c for c in res.couplings]])
    assert res.separation_residual == 0
    assert res.relative_residual == 0
    assert res.cm_residual == 0
    h_rel = res.transformed.subs(dict.fromkeys((res.x_cm, res.momentum_cm, *res.q, *res.p_bath), 0))
    bath_symbols = {*res.q, *res.p_bath, *res.couplings, *res.bath_frequencies, *res.bath_masses}
    assert h_rel.free_symbols.isdisjoint(bath_symbols) and h_rel != 0
    assert res.cm_mass == n_particles * res.m
    assert res.kernel_factor == n_particles**2 and res.noise_factor == n_particles
    # the original Hamiltonian couples every particle to the bath
    assert all(sp.diff(res.hamiltonian, xi, res.q[0]) == -res.couplings[0] for xi in res.x)


def test_sympy_centre_of_mass_coupling_for_every_n():
    res = kz.centre_of_mass_coupling_general_n()
    assert res["N"].is_positive and res["N"].is_integer
    for key in ("inverse_cm", "inverse_y", "coupling", "norm", "pairs"):
        assert sp.simplify(res[key]) == 0, key


def test_relative_coordinates_do_not_feel_the_bath(smooth_bath):
    n, m, kappa, trap = 4, 1.0, 0.5, 1.0
    rng = np.random.default_rng(3)
    x0 = 2.0 + rng.normal(scale=0.3, size=(2, n))
    v0 = rng.normal(scale=0.3, size=(2, n))
    cm_bath = kz.centre_of_mass_bath(smooth_bath, n)
    np.testing.assert_allclose(
        kz.memory_kernel([0.0, 0.7], cm_bath), n**2 * kz.memory_kernel([0.0, 0.7], smooth_bath)
    )
    state = kz.thermal_bath_sample(cm_bath, x0.mean(1), 0.0, 2, rng=4)
    # conditioned on Σ x_i with the original couplings: the same bath state
    same = kz.thermal_bath_sample(smooth_bath, x0.sum(1), 0.0, 2, rng=4)
    np.testing.assert_allclose(same.q, state.q)
    t = np.linspace(0.0, 10.0, 101)
    sim = kz.simulate(
        x0, v0, state.q, state.p, smooth_bath, t, mass=m, spring=kappa,
        force=lambda x: -m * trap**2 * x, potential=lambda x: 0.5 * m * trap**2 * x**2,
    )  # fmt: skip
    y, w = sim.y.values, sim.w.values
    e_rel = 0.5 * m * (w**2).sum(-1) + 0.5 * (n * kappa + m * trap**2) * (y**2).sum(-1)
    e_cm = 0.5 * n * m * (sim.v_cm.values**2 + trap**2 * sim.x_cm.values**2)
    assert np.abs(e_rel - e_rel[0]).max() < 1e-12 * e_rel[0].max()  # measured 2e-15
    assert np.all(e_cm[-1] < 0.02 * e_cm[0])  # measured 0.008: the CM is damped
    # y moves as free oscillators of frequency sqrt(Nκ/m + Ω²)
    wr = np.sqrt(n * kappa / m + trap**2)
    free = y[0] * np.cos(wr * t)[:, None, None] + w[0] / wr * np.sin(wr * t)[:, None, None]
    np.testing.assert_allclose(y, free, atol=1e-10)
    # the CM obeys the GLE with mass Nm, kernel N²K and noise Nξ
    tg = np.linspace(0.0, 10.0, 2001)
    gle = kz.solve_gle(
        x0.mean(1), v0.mean(1), kz.memory_kernel(tg, cm_bath), tg,
        kz.bath_noise(cm_bath, x0.mean(1), state.q, state.p, tg), mass=n * m,
        force=lambda x: -n * m * trap**2 * x,
    )  # fmt: skip
    assert np.abs(gle.x.values[::20] - sim.x_cm.values).max() < 3e-5  # measured 1.2e-5
    # control: an anharmonic trap couples CM and relative motion, and e_rel is then not conserved
    anh = kz.simulate(
        x0, v0, state.q, state.p, smooth_bath, t, mass=m, spring=kappa,
        force=lambda x: -m * trap**2 * x - x**3,
    )  # fmt: skip
    y, w = anh.y.values, anh.w.values
    e_anh = 0.5 * m * (w**2).sum(-1) + 0.5 * (n * kappa + m * trap**2) * (y**2).sum(-1)
    assert np.abs(e_anh - e_anh[0]).max() > 0.05 * e_anh[0].max()


# ----------------------------------------------------------------------------------------------
# errors


def _drude(w):
    return kz.ohmic_drude(w, 1.0, 1.0)


def _bath():
    return kz.discretise_bath(kz.spectral_density("ohmic_exponential", friction=1, cutoff=2), 4, 20)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: kz.spectral_density("lorentz", friction=1, cutoff=1), ValueError, "unknown"),
        (lambda: kz.spectral_density(3, friction=1, cutoff=1), TypeError, "name must be a str"),
        (lambda: kz.ohmic_drude(1.0, -1.0, 1.0), ValueError, "friction"),
        (lambda: kz.ohmic_exponential(1.0, 1.0, 0.0), ValueError, "cutoff"),
        (lambda: kz.ohmic_drude(-1.0, 1.0, 1.0), ValueError, "omega must be >= 0"),
        (lambda: kz.ohmic_drude_kernel([np.nan], 1.0, 1.0), ValueError, "t holds non-finite"),
        (
            lambda: kz.discretise_bath(
                kz.spectral_density("ohmic_drude", friction=1, cutoff=1), 10, 10.0
            ),
            ValueError,
            r"too small for the cutoff.*omega_max >= 31\.8",
        ),
        (lambda: kz.discretise_bath(lambda w: w, 0, 10.0), ValueError, "n_oscillators"),
        (lambda: kz.discretise_bath(lambda w: w, 2.5, 10.0), TypeError, "n_oscillators"),
        (lambda: kz.discretise_bath("ohmic_drude", 10, 10.0), TypeError, "callable J"),
        (lambda: kz.discretise_bath(lambda w: w, 10, -1.0), ValueError, "omega_max"),
        (lambda: kz.discretise_bath(lambda w: -np.exp(-w), 10, 9), ValueError, "finite and > 0"),
        (lambda: kz.discretise_bath(lambda w: w, 10, 9), ValueError, "give J a cut-off"),
        (lambda: kz.discretise_bath(lambda w: np.sum(w * np.exp(-w)), 9, 40), ValueError,
         "one value"),
        (
            lambda: kz.discretise_bath(_drude, 10, 1e3, bath_mass=0),
            ValueError,
            "bath_mass",
        ),
        (
            lambda: kz.discretise_bath(_drude, 10, 1e3, max_truncation=1),
            ValueError,
            "max_truncation",
        ),
        (lambda: kz.HarmonicBath([1.0, 0.0], [1, 1], [1, 1]), ValueError, "frequencies must be >"),
        (lambda: kz.HarmonicBath([1.0, 2.0], [1, 1], [1, -1]), ValueError, "masses must be > 0"),
        (lambda: kz.HarmonicBath([1.0, 2.0], [1], [1, 1]), ValueError, "couplings must have"),
        (lambda: kz.HarmonicBath([], [], []), ValueError, "n >= 1"),
        (lambda: kz.memory_kernel(1.0, "bath"), TypeError, "HarmonicBath"),
        (lambda: kz.centre_of_mass_bath(_bath(), 0), ValueError, "n_particles"),
        (lambda: kz.memory_kernel_from_spectral_density(1.0, 5), TypeError, "callable"),
        (
            lambda: kz.memory_kernel_from_spectral_density(1.0, lambda w: w, epsabs=0),
            ValueError,
            "epsabs",
        ),
        (lambda: kz.thermal_bath_sample(_bath(), 0.0, -1.0, 3, rng=0), ValueError, "temperature"),
        (lambda: kz.thermal_bath_sample(_bath(), 0.0, 1.0, 0, rng=0), ValueError, "n_samples"),
        (lambda: kz.thermal_bath_sample(_bath(), [0, 1], 1.0, 3, rng=0), ValueError, "x0 must be"),
        (lambda: kz.thermal_bath_sample(_bath(), 0.0, 1.0, 3, rng="x"), TypeError, "rng"),
        (lambda: kz.thermal_bath_sample(_bath(), 0.0, 1.0, 3, 0), TypeError, "positional"),
        (lambda: kz.bath_noise(_bath(), 0, np.zeros((2, 3)), np.zeros((2, 3)), [0]), ValueError,
         r"q0 must have shape \(n_samples, 4\)"),
        (lambda: kz.bath_noise(_bath(), 0, np.zeros((2, 4)), np.zeros((3, 4)), [0]), ValueError,
         "p0 must have the shape"),
        (lambda: kz.bath_noise(_bath(), 0, np.zeros(4), np.zeros(4), [1, 0]), ValueError,
         "strictly increasing"),
        (lambda: kz.bath_noise(_bath(), 0, np.zeros(4), np.zeros(4), [-1, 0]), ValueError,
         ">= 0"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=0), ValueError,
         "mass"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=1, spring=1),
         ValueError, "N >= 2"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=1, spring=-1),
         ValueError, "spring"),
        (lambda: kz.simulate(np.zeros((1, 3)), np.zeros(1), np.zeros(4), np.zeros(4), _bath(), [1],
                             mass=1), ValueError, "broadcast to"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=1, force=3),
         TypeError, "force must be a callable"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=1,
                             force=lambda x: np.zeros(5)), ValueError, "shape of x"),
        (lambda: kz.simulate(0, 0, np.zeros(4), np.zeros(4), _bath(), [1], mass=1, rtol=0),
         ValueError, "rtol"),
        (lambda: kz.solve_gle(0, 0, np.ones(3), [0, 1, 3], mass=1), ValueError, "uniform grid"),
        (lambda: kz.solve_gle(0, 0, np.ones(3), [1, 2, 3], mass=1), ValueError, "starting at 0"),
        (lambda: kz.solve_gle(0, 0, np.ones(3), [0, 2, 1], mass=1), ValueError, "increasing"),
        (lambda: kz.solve_gle(0, 0, np.ones(1), [0.0], mass=1), ValueError, "at least 2"),
        (lambda: kz.solve_gle(0, 0, np.ones(4), [0, 1, 2], mass=1), ValueError, "kernel must"),
        (lambda: kz.solve_gle(0, 0, np.ones(3), [0, 1, 2], np.ones((2, 4)), mass=1), ValueError,
         "noise must have shape"),
        (lambda: kz.solve_gle([0, 0, 0], 0, np.ones(3), [0, 1, 2], np.ones((2, 3)), mass=1),
         ValueError, "noise must have 3 rows"),
        (lambda: kz.solve_gle([0, 0], [0, 0, 0], np.ones(3), [0, 1, 2], mass=1), ValueError,
         "x0 must be"),
        (lambda: kz.solve_gle(0, 0, np.ones(3), [0, 1, 2], mass=-2), ValueError, "mass"),
        (lambda: kz.solve_gle(0, 0, ["a", "b", "c"], [0, 1, 2], mass=1), TypeError, "kernel"),
        (lambda: kz.centre_of_mass_coupling(1), ValueError, "n_particles"),
        (lambda: kz.centre_of_mass_coupling(3, 0), ValueError, "n_oscillators"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
