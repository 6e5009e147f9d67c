"""Trajectory ensembles, boson velocities, Oriols coordinates and Eq. (72) (paper 004)."""

import math

import numba
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import ndtri
from thewalrus import perm

from qfcore import schrodinger as sc
from qfcore import states
from qfcore import trajectories as tr
from qfcore.trajectories import _random, bosons, ensembles

X = np.linspace(-25.0, 25.0, 1024, endpoint=False)
SIGMA0, P0 = 1.0, 0.5


def free_packet(t_final=3.0, n_frames=60):
    psi0 = states.gaussian_wavepacket(X, 0.0, SIGMA0, P0)
    return sc.split_step(psi0, X, 0.0, t_final, n_steps=4 * n_frames, n_frames=n_frames)


def width(t):
    """σ(t) of a free Gaussian packet, ħ = m = 1."""
    return SIGMA0 * math.sqrt(1 + (t / (2 * SIGMA0**2)) ** 2)


@pytest.fixture(scope="module")
def free():
    return free_packet()


# ---------------------------------------------------------------------------------------------
# random numbers


def test_normal_quantile_matches_scipy():
    u = np.concatenate([np.random.default_rng(0).random(2000), [1e-300, 1e-20, 0.5, 1 - 1e-16]])
    mine = np.array([_random._ppnd16(v) for v in u])
    assert np.allclose(mine, ndtri(u), rtol=1e-14, atol=1e-15)


def test_counter_stream_is_standard_normal():
    out = np.empty(200_000)
    _random._normals(np.uint64(123456789), np.uint64(0), out)
    assert stats.kstest(out, "norm").pvalue > 1e-3
    shifted = np.empty(1000)
    _random._normals(np.uint64(123456789), np.uint64(500), shifted)
    assert np.array_equal(shifted, out[500:1500])  # draw i depends only on (key, i)


# ---------------------------------------------------------------------------------------------
# Nelson and Bohm ensembles


def test_nelson_forward_equivariance(free):
    n = 40_000
    x0 = np.random.default_rng(1).normal(0.0, SIGMA0, n)
    ens = tr.nelson_ensemble(free.psi, X, free.times, x0, rng=5, substeps=2)
    assert ens.dims == ("time", "particle") and ens.shape == (free.times.size, n)
    assert ens.attrs["seed"] == 5 and ens.attrs["direction"] == "forward"
    bound = 1.63 / math.sqrt(n)  # 99% Kolmogorov quantile
    for k in (20, 40, 60):
        t = float(free.times[k])
        res = stats.kstest(ens[k].values, "norm", args=(P0 * t, width(t)))
        assert res.statistic < bound, (t, res)
    # the noise is real: trajectories are not the deterministic Bohm ones
    bohm = tr.bohm_ensemble(free.psi, X, free.times, x0)
    assert np.std(ens[-1].values - bohm[-1].values) > 0.5


def test_nelson_backward_equivariance(free):
    n = 40_000
    t_f = float(free.times[-1])
    xf = np.random.default_rng(2).normal(P0 * t_f, width(t_f), n)
    ens = tr.nelson_ensemble(free.psi, X, free.times, xf, rng=6, direction="backward", substeps=2)
    assert np.array_equal(ens[-1].values, xf)
    res = stats.kstest(ens[0].values, "norm", args=(0.0, SIGMA0))
    assert res.statistic < 1.63 / math.sqrt(n)


def test_nelson_reproducible_and_thread_independent(free):
    x0 = np.random.default_rng(3).normal(0.0, 1.0, 3000)
    a = tr.nelson_ensemble(free.psi, X, free.times, x0, rng=11, record_every=20)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = tr.nelson_ensemble(free.psi, X, free.times, x0, rng=11, record_every=20)
    finally:
        numba.set_num_threads(threads)
    c = tr.nelson_ensemble(free.psi, X, free.times, x0, rng=12, record_every=20)
    assert np.array_equal(a.values, b.values)
    assert not np.allclose(a.values[-1], c.values[-1])
    assert list(a.time.values) == list(free.times[::20])


def test_euler_scheme_also_equivariant(free):
    n = 20_000
    x0 = np.random.default_rng(4).normal(0.0, SIGMA0, n)
    ens = tr.nelson_ensemble(free.psi, X, free.times, x0, rng=8, scheme="euler", substeps=4)
    t = float(free.times[-1])
    assert stats.kstest(ens[-1].values, "norm", args=(P0 * t, width(t))).statistic < 1.63 / n**0.5


def test_bohm_matches_analytic_gaussian_trajectories(free):
    # x(t) = x0 σ(t)/σ0 + p t; v is linear in x (exact spatial interpolation), so the error is
    # the linear interpolation in time, O(Δt_frame²): halving the frame spacing quarters it
    x0 = np.linspace(-3, 3, 25)
    errors = []
    for ev in (free_packet(n_frames=30), free):
        ens = tr.bohm_ensemble(ev.psi, X, ev.times, x0, substeps=2)
        t = float(ev.times[-1])
        errors.append(np.max(np.abs(ens[-1].values - (x0 * width(t) / SIGMA0 + P0 * t))))
    assert errors[1] < 5e-4
    assert 3.8 < errors[0] / errors[1] < 4.2


def test_bohm_backward_retraces(free):
    x0 = np.linspace(-2, 2, 9)
    fwd = tr.bohm_ensemble(free.psi, X, free.times, x0, substeps=2)
    back = tr.bohm_ensemble(free.psi, X, free.times, fwd[-1].values, direction="backward",
                            substeps=2)  # fmt: skip
    assert np.max(np.abs(back[0].values - x0)) < 1e-6


def test_nelson_coherent_state_equivariance():
    # harmonic oscillator, omega = 1: the coherent state keeps width 1/sqrt(2), centre x0 cos t
    psi0 = states.gaussian_wavepacket(X, 2.0, math.sqrt(0.5), 0.0)
    ev = sc.split_step(psi0, X, lambda q: 0.5 * q**2, 3.0, n_steps=300, n_frames=60)
    n = 20_000
    x0 = np.random.default_rng(9).normal(2.0, math.sqrt(0.5), n)
    ens = tr.nelson_ensemble(ev.psi, X, ev.times, x0, rng=3, substeps=4)
    t = float(ev.times[-1])
    res = stats.kstest(ens[-1].values, "norm", args=(2.0 * math.cos(t), math.sqrt(0.5)))
    assert res.statistic < 1.63 / math.sqrt(n)


def test_velocity_fields_of_gaussian():
    psi = states.gaussian_wavepacket(X, 1.0, 1.5, 0.7)
    v, u = tr.velocity_fields(psi, X, mass=2.0, hbar=1.0)
    core = np.abs(X - 1.0) < 6
    assert np.allclose(v[core], 0.7 / 2.0, atol=1e-9)
    assert np.allclose(u[core], -(X[core] - 1.0) / (2 * 1.5**2) / 2.0, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# permanents and boson velocities


def random_complex(rng, shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_permanent_row_derivatives_vs_thewalrus(n):
    rng = np.random.default_rng(n)
    a, b = random_complex(rng, (n, n)), random_complex(rng, (n, n))
    p, rows = tr.permanent_row_derivatives(a, b)
    assert abs(p - perm(a)) < 1e-12 * max(1.0, abs(perm(a)))
    for i in range(n):
        replaced = a.copy()
        replaced[i] = b[i]
        assert abs(rows[i] - perm(replaced)) < 1e-11
        # minor expansion: sum_j B_ij perm(minor_ij)
        minors = [perm(np.delete(np.delete(a, i, 0), j, 1)) if n > 1 else 1.0 for j in range(n)]
        assert abs(rows[i] - np.dot(b[i], minors)) < 1e-11


def gaussian_orbitals(x, centres, momenta, widths):
    """φ_j(x_i) and φ_j'(x_i) for Gaussian orbitals (arrays (..., N, N))."""
    d = x[..., :, None] - centres
    phi = np.exp(-(d**2) / (4 * widths**2) + 1j * momenta * x[..., :, None])
    return phi, phi * (-d / (2 * widths**2) + 1j * momenta)


@pytest.mark.parametrize("n", [2, 4, 6])
def test_boson_velocities_vs_finite_difference_of_permanent(n):
    rng = np.random.default_rng(10 + n)
    centres, momenta = rng.normal(0, 1, n), rng.normal(0, 1, n)
    widths = rng.uniform(0.8, 1.5, n)
    x = rng.normal(0, 1, n)
    phi, dphi = gaussian_orbitals(x, centres, momenta, widths)
    vel = tr.boson_velocities(phi, dphi, mass=2.0, hbar=1.5)
    h = 1e-5
    for i in range(n):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        up = perm(gaussian_orbitals(xp, centres, momenta, widths)[0])
        down = perm(gaussian_orbitals(xm, centres, momenta, widths)[0])
        dlog = (np.log(up) - np.log(down)) / (2 * h)
        assert abs(vel[i] - 1.5 / 2.0 * dlog.imag) < 1e-6


def test_single_boson_is_single_orbital_velocity():
    x = np.array([[0.3], [-1.2]])
    phi, dphi = gaussian_orbitals(x, np.array([0.1]), np.array([0.8]), np.array([1.0]))
    vel = tr.boson_velocities(phi, dphi)
    assert vel.shape == (2, 1)
    assert np.allclose(vel, 0.8)


def test_boson_velocities_permutation_symmetry_and_batch():
    rng = np.random.default_rng(21)
    n = 5
    centres, momenta, widths = rng.normal(0, 2, n), rng.normal(0, 1, n), np.full(n, 1.0)
    x = rng.normal(0, 2, (3, n))
    phi, dphi = gaussian_orbitals(x, centres, momenta, widths)
    vel = tr.boson_velocities(phi, dphi)
    single = np.stack([tr.boson_velocities(phi[k], dphi[k]) for k in range(3)])
    assert np.allclose(vel, single, rtol=0, atol=1e-13)
    sigma = rng.permutation(n)
    # permuting the particles permutes the velocities
    assert np.allclose(tr.boson_velocities(phi[:, sigma], dphi[:, sigma]), vel[:, sigma])
    # permuting the orbitals leaves them unchanged
    assert np.allclose(tr.boson_velocities(phi[..., sigma], dphi[..., sigma]), vel)


def test_large_n_gray_code_runs():
    # N = 14: 2^13 terms in 32 SIMD lanes of 256 terms each; compare with thewalrus
    rng = np.random.default_rng(5)
    n = 14
    a = rng.uniform(0.5, 1.5, (n, n)) + 0.1j * rng.normal(size=(n, n))
    b = rng.uniform(-1, 1, (n, n)) + 0.0j
    p, rows = tr.permanent_row_derivatives(a, b)
    assert abs(p / perm(a) - 1) < 1e-11
    replaced = a.copy()
    replaced[3] = b[3]
    assert abs(rows[3] - perm(replaced)) < 1e-11 * abs(p)


@pytest.mark.parametrize(("chunk_bits", "lanes"), [(0, 1), (1, 2), (2, 4), (12, 32), (0, 256)])
def test_glynn_work_units_and_lanes_do_not_change_the_sums(chunk_bits, lanes):
    # many work units (small chunks), and more lanes than the 2^(N-1) = 128 terms (the surplus
    # lanes carry weight 0)
    rng = np.random.default_rng(8)
    n = 8
    a, b = random_complex(rng, (2, n, n)), random_complex(rng, (2, n, n))
    sums = bosons._glynn_rows(a, b, chunk_bits, lanes).sum(axis=1) * 2.0 ** (1 - n)
    for q in range(2):
        assert abs(sums[q, 0] / perm(a[q]) - 1) < 1e-12
        for i in (0, 5):
            replaced = a[q].copy()
            replaced[i] = b[q, i]
            assert abs(sums[q, 1 + i] / perm(replaced) - 1) < 1e-12


def test_glynn_lanes_must_be_a_power_of_two():
    a = np.ones((1, 4, 4), dtype=complex)
    with pytest.raises(ValueError, match="power of two"):
        bosons._glynn_rows(a, a, 2, 3)


def test_distinguishable_velocities_use_own_orbital():
    rng = np.random.default_rng(7)
    n = 4
    centres, momenta, widths = rng.normal(0, 1, n), rng.normal(0, 1, n), np.full(n, 1.2)
    x = rng.normal(0, 1, n)
    phi, dphi = gaussian_orbitals(x, centres, momenta, widths)
    vel = tr.boson_velocities(phi, dphi, statistics="distinguishable", mass=0.5)
    assert np.allclose(vel, momenta / 0.5)
    assert np.allclose(tr.distinguishable_velocities(phi, dphi, mass=0.5), vel)


# ---------------------------------------------------------------------------------------------
# Oriols coordinates and centre-of-mass forces


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=12))
def test_oriols_round_trip_and_norm(xs):
    x = np.array(xs)
    x_cm, y = tr.oriols_coordinates(x)
    assert y.shape == (x.size - 1,)
    assert np.allclose(tr.from_oriols_coordinates(x_cm, y), x, atol=1e-9)
    # x -> (sqrt(N) x_cm, y) is orthogonal: sum x_i^2 = N x_cm^2 + sum y_j^2
    assert np.isclose(np.sum(x**2), x.size * x_cm**2 + np.sum(y**2), rtol=1e-9, atol=1e-6)


def test_oriols_jacobian_splits_the_laplacian():
    for n in (1, 2, 5, 9):
        # columns: images of the unit vectors e_i (the map is linear)
        jac = np.stack([np.r_[tr.oriols_coordinates(e)[0], tr.oriols_coordinates(e)[1]]
                        for e in np.eye(n)], axis=1)  # fmt: skip
        # metric g = J J^T = diag(1/N, 1, ..., 1)
        assert np.allclose(jac @ jac.T, np.diag([1.0 / n] + [1.0] * (n - 1)), atol=1e-14)
        # x_cm moves every particle by the same amount
        assert np.allclose(tr.from_oriols_coordinates(1.0, np.zeros(n - 1)), np.ones(n))


def test_centre_of_mass_forces_product_gaussian():
    n, sigma, centre, m, hbar = 4, 0.7, 0.3, 2.0, 1.3

    def amplitude(q):
        return np.exp(-np.sum((q - centre) ** 2, axis=-1) / (4 * sigma**2))

    x = np.array([[0.1, 0.9, -0.4, 0.6], [0.5, 0.2, 0.0, 1.1]])
    f_u, f_cm, f_rel = tr.centre_of_mass_forces(
        amplitude, x, step=1e-3, external_force=lambda q: -2.0 + 0 * q, mass=m, hbar=hbar
    )
    x_cm = x.mean(axis=-1)
    assert np.allclose(f_u, -2.0 * n)  # F_U = N F for a linear potential, Eq. (49)
    exact = hbar**2 * n * (x_cm - centre) / (4 * m * sigma**4)  # -d/dx_cm of Q_cm, Eq. (54)
    assert np.allclose(f_cm, exact, rtol=1e-4, atol=1e-6)
    assert np.allclose(f_rel, 0.0, atol=1e-4)  # separable R: no relative force


# ---------------------------------------------------------------------------------------------
# classical nonlinear Schrödinger equation, Eq. (72)


def moments(psi, grid=X):
    return sc.position_moments(psi, grid)


def test_quantum_potential_on_grid_of_gaussian():
    s = 1.3
    psi = states.gaussian_wavepacket(X, 0.4, s, 0.0)
    q = tr.quantum_potential_on_grid(psi, X, mass=3.0)
    core = np.abs(X - 0.4) < 5
    exact = 1 / (4 * 3.0 * s**2) * (1 - (X[core] - 0.4) ** 2 / (2 * s**2))
    assert np.allclose(q[core], exact, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# errors


def test_errors_nelson(free):
    x0 = np.zeros(10)
    with pytest.raises(ValueError, match="not normalised"):
        tr.nelson_ensemble(2 * free.psi, X, free.times, x0, rng=0)
    with pytest.raises(ValueError, match="margin"):
        narrow = np.linspace(-6, 6, 256, endpoint=False)
        psi0 = states.gaussian_wavepacket(narrow, 0.0, 1.0, 3.0)
        ev = sc.split_step(psi0, narrow, 0.0, 3.0, n_steps=60, n_frames=30)
        tr.bohm_ensemble(ev.psi, narrow, ev.times, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="substeps >="):
        tight = states.gaussian_wavepacket(X, 0.0, 0.2, 0.0)
        tr.nelson_ensemble(np.stack([tight, tight]), X, [0.0, 1.0], x0, rng=0)
    with pytest.raises(ValueError, match="outside the grid"):
        tr.nelson_ensemble(free.psi, X, free.times, [100.0], rng=0)
    with pytest.raises(ValueError, match="one entry per frame"):
        tr.nelson_ensemble(free.psi, X, free.times[:-1], x0, rng=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        tr.nelson_ensemble(free.psi, X, free.times[::-1], x0, rng=0)
    with pytest.raises(ValueError, match="direction"):
        tr.nelson_ensemble(free.psi, X, free.times, x0, rng=0, direction="sideways")
    with pytest.raises(ValueError, match="scheme"):
        tr.nelson_ensemble(free.psi, X, free.times, x0, rng=0, scheme="milstein")
    with pytest.raises(TypeError, match="rng"):
        tr.nelson_ensemble(free.psi, X, free.times, x0, rng="seed")
    with pytest.raises(ValueError, match="substeps"):
        tr.nelson_ensemble(free.psi, X, free.times, x0, rng=0, substeps=0)
    with pytest.raises(ValueError, match="density_floor"):
        tr.bohm_ensemble(free.psi, X, free.times, x0, density_floor=2.0)


def test_errors_bosons_and_coordinates():
    with pytest.raises(ValueError, match="N must be >= 1"):
        tr.boson_velocities(np.zeros((0, 0)), np.zeros((0, 0)))
    with pytest.raises(ValueError, match=r"\(\.\.\., N, N\)"):
        tr.boson_velocities(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        tr.boson_velocities(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="statistics"):
        tr.boson_velocities(np.ones((2, 2)), np.ones((2, 2)), statistics="fermions")
    with pytest.raises(ValueError, match="N >= 1"):
        tr.oriols_coordinates(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="N - 1"):
        tr.from_oriols_coordinates(np.zeros(3), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="amplitude"):
        tr.centre_of_mass_forces(None, np.zeros(3), step=1e-3)
    with pytest.raises(ValueError, match="step"):
        tr.centre_of_mass_forces(lambda q: np.ones(q.shape[:-1]), np.zeros(3), step=0.0)


# ---------------------------------------------------------------------------------------------
# classical nonlinear Schrödinger equation, Eq. (72), by characteristics

XS = sympy.Symbol("x")


def test_classical_schrodinger_free_fall_keeps_its_shape():
    # U = 2x, F = -2: every label moves by p0 t/M - t^2/M and keeps J = 1 (S0 = p0 x), so the
    # dust falls rigidly; p = p0 - 2t and the action A = int (p^2/2M - 2q) dt is
    # p0^2 t/2M - 2 p0 t^2/M + 4t^3/3M - 2 q0 t, so psi = R0(x - x_c) exp(i(p0 q0 + A)).
    mass, x0, p0 = 2.0, 4.0, 1.0
    psi0 = states.gaussian_wavepacket(X, x0, 1.0, p0)
    ev = tr.classical_schrodinger(psi0, X, 2 * XS, 3.0, mass=mass, n_frames=6)
    assert isinstance(ev, sc.Evolution)
    assert np.allclose(ev.times, np.linspace(0, 3, 7))
    for t, psi in zip(ev.times, ev.psi, strict=True):
        centre = x0 + p0 * t / mass - t**2 / mass
        q0 = X - p0 * t / mass + t**2 / mass
        action = p0**2 * t / (2 * mass) - 2 * p0 * t**2 / mass + 4 * t**3 / (3 * mass) - 2 * q0 * t
        exact = states.gaussian_wavepacket(X, centre, 1.0, 0.0).real * np.exp(
            1j * (p0 * q0 + action)
        )
        # error budget: |psi| < 1e-8 max|psi| zeroed (threshold 1e-16) plus Hermite interpolation
        assert np.max(np.abs(psi - exact)) < 2e-8, t
        mean, cov = moments(psi)
        assert abs(mean[0] - centre) < 1e-9, t
        assert abs(math.sqrt(cov[0, 0]) - 1.0) < 5e-8, t  # no dispersion
        assert abs(np.sum(np.abs(psi) ** 2) * (X[1] - X[0]) - 1) < 2e-8, t
    callable_form = tr.classical_schrodinger(
        psi0, X, lambda q: 2 * q, 3.0, force=lambda q: -2.0,
        force_derivatives=lambda q: (0.0, 0.0), mass=mass,
    ).psi[-1]  # fmt: skip
    assert np.max(np.abs(callable_form - ev.psi[-1])) < 1e-12
    # the linear Schroedinger equation spreads: sigma(t) = sqrt(1 + (hbar t / 2 M sigma0^2)^2)
    quantum = sc.split_step(psi0, X, lambda q: 2.0 * q, 3.0, n_steps=300, mass=mass).psi[-1]
    mean, cov = moments(quantum)
    assert abs(mean[0] - (x0 + p0 * 3 / mass - 9 / mass)) < 1e-6  # Ehrenfest: same centre
    assert abs(math.sqrt(cov[0, 0]) - 1.25) < 1e-6


def test_classical_schrodinger_oscillator_breathes_until_the_caustic():
    # U = x^2/2, M = omega = 1, S0 = p0 x: q = q0 cos t + p0 sin t, J = cos t, so the density
    # is rho0((x - p0 sin t)/cos t)/cos t (width sigma0 cos t) and p = -q0 sin t + p0 cos t
    x0, p0 = 1.0, 0.5
    psi0 = states.gaussian_wavepacket(X, x0, 1.0, p0)
    ev = tr.classical_schrodinger(psi0, X, XS**2 / 2, 1.5, n_frames=5)
    for t, psi in zip(ev.times, ev.psi, strict=True):
        mean, cov = moments(psi)
        assert abs(mean[0] - (x0 * math.cos(t) + p0 * math.sin(t))) < 1e-9, t
        assert abs(math.sqrt(cov[0, 0]) - math.cos(t)) < 5e-8, t
        assert abs(np.sum(np.abs(psi) ** 2) * (X[1] - X[0]) - 1) < 2e-8, t
        if math.cos(t) < 0.3:  # packet narrower than 6 grid steps: spectral v is less accurate
            continue
        v, _ = tr.velocity_fields(psi, X)
        core = np.abs(psi) ** 2 > 1e-3 * np.max(np.abs(psi) ** 2)
        labels = (X[core] - p0 * math.sin(t)) / math.cos(t)
        assert np.max(np.abs(v[core] - (-labels * math.sin(t) + p0 * math.cos(t)))) < 1e-6, t
    # the first caustic is at T/4 = pi/2 for every label; the far-tail labels (rho0 ~ 1e-16 max)
    # carry round-off in p0' ~ 1e-5 and fold that much earlier unless a higher threshold drops them
    with pytest.raises(ValueError, match=r"first caustic at t = 1\.5707"):
        tr.classical_schrodinger(psi0, X, XS**2 / 2, 1.6)
    with pytest.raises(ValueError, match=r"first caustic at t = 1\.570796"):
        tr.classical_schrodinger(psi0, X, XS**2 / 2, 1.6, threshold=1e-12)
    # a converging chirp S0 = -x^2/2: J = cos t - sin t folds at pi/4
    chirp = states.gaussian_wavepacket(X, 0.0, 1.0, 0.0) * np.exp(-0.5j * X**2)
    with pytest.raises(ValueError, match=r"first caustic at t = 0\.785398"):
        tr.classical_schrodinger(chirp, X, XS**2 / 2, 1.0, threshold=1e-12)


def test_classical_schrodinger_coherent_state_is_not_a_classical_solution():
    # The quantum coherent state (width sqrt(hbar/2 M omega)) keeps its width; the same initial
    # (rho, S) as classical dust, Eq. (72), breathes as sigma0 |cos omega t| and folds at T/4.
    mass, hbar, omega = 4.0, 0.5, 0.5
    grid = np.linspace(-12.0, 12.0, 2048, endpoint=False)
    sigma0 = math.sqrt(hbar / (2 * mass * omega))
    psi0 = states.gaussian_wavepacket(grid, 2.0, sigma0, 0.3, hbar=hbar)
    potential = mass * omega**2 * XS**2 / 2
    t_end = 1.2 / omega
    ev = tr.classical_schrodinger(psi0, grid, potential, t_end, mass=mass, hbar=hbar, n_frames=4)
    quantum = sc.split_step(
        psi0, grid, sympy.lambdify(XS, potential), t_end, n_steps=800, mass=mass, hbar=hbar,
        n_frames=4,
    )  # fmt: skip
    for t, psi, psi_q in zip(ev.times, ev.psi, quantum.psi, strict=True):
        (mean, cov), (mean_q, cov_q) = moments(psi, grid), moments(psi_q, grid)
        assert abs(mean[0] - mean_q[0]) < 1e-6, t  # same centre (Ehrenfest, quadratic U)
        assert abs(math.sqrt(cov_q[0, 0]) - sigma0) < 1e-6, t  # quantum: no dispersion
        assert abs(math.sqrt(cov[0, 0]) - sigma0 * math.cos(omega * t)) < 5e-8, t  # breathes
    assert math.sqrt(moments(ev.psi[-1], grid)[1][0, 0]) < 0.4 * sigma0
    with pytest.raises(ValueError, match=r"first caustic at t = 3\.14"):  # T/4 = pi/2 omega
        tr.classical_schrodinger(psi0, grid, potential, 3.2, mass=mass, hbar=hbar)


def test_classical_schrodinger_solves_eq72():
    # independent check: the characteristic solution satisfies the PDE (72) itself, with
    # d/dt by a fourth-order difference of five solutions and d^2/dx^2 and Q spectrally
    mass, hbar, t, d = 1.5, 0.7, 0.5, 1e-2
    potential = sympy.cos(XS) / 2 + XS
    psi0 = states.gaussian_wavepacket(X, 0.5, 1.0, 0.3, hbar=hbar)
    frames = [
        tr.classical_schrodinger(psi0, X, potential, t + j * d, mass=mass, hbar=hbar).psi[-1]
        for j in (-2, -1, 0, 1, 2)
    ]
    dpsi = (frames[0] - 8 * frames[1] + 8 * frames[3] - frames[4]) / (12 * d)
    psi = frames[2]
    k = 2 * np.pi * np.fft.fftfreq(X.size, X[1] - X[0])
    kinetic = hbar**2 / (2 * mass) * np.fft.ifft(k**2 * np.fft.fft(psi))
    q = tr.quantum_potential_on_grid(psi, X, mass=mass, hbar=hbar)
    linear = 1j * hbar * dpsi - kinetic - sympy.lambdify(XS, potential)(X) * psi
    core = np.abs(psi) ** 2 > 1e-3 * np.max(np.abs(psi) ** 2)
    scale = np.max(np.abs(psi))
    assert np.max(np.abs(linear + q * psi)[core]) < 1e-6 * scale  # Eq. (72) holds
    assert np.max(np.abs(linear)[core]) > 1e-2 * scale  # the linear equation does not


def test_errors_classical_schrodinger():
    psi0 = states.gaussian_wavepacket(X, 0.0, 1.0, 0.0)
    u = 2 * XS
    with pytest.raises(ValueError, match="not normalised"):
        tr.classical_schrodinger(2 * psi0, X, u, 1.0)
    with pytest.raises(ValueError, match="one 1D array"):
        tr.classical_schrodinger(np.ones((4, 4)) / 4, (X[:4], X[:4]), u, 1.0)
    with pytest.raises(TypeError, match="potential must be a callable"):
        tr.classical_schrodinger(psi0, X, 3.0, 1.0)
    with pytest.raises(ValueError, match="needs force"):
        tr.classical_schrodinger(psi0, X, lambda q: 2 * q, 1.0)
    with pytest.raises(ValueError, match="mind the sign"):
        tr.classical_schrodinger(psi0, X, lambda q: 2 * q, 1.0, force=lambda q: 2.0,
                                 force_derivatives=lambda q: (0.0, 0.0))  # fmt: skip
    with pytest.raises(ValueError, match=r"force_derivatives\[0\] does not match"):
        tr.classical_schrodinger(psi0, X, lambda q: q**2 / 2, 1.0, force=lambda q: -q,
                                 force_derivatives=lambda q: (1.0, 0.0))  # fmt: skip
    with pytest.raises(ValueError, match="pair"):
        tr.classical_schrodinger(psi0, X, lambda q: 2 * q, 1.0, force=lambda q: -2.0,
                                 force_derivatives=lambda q: 0.0 * q)  # fmt: skip
    with pytest.raises(TypeError, match="force must be a callable"):
        tr.classical_schrodinger(psi0, X, lambda q: 2 * q, 1.0, force=-2.0,
                                 force_derivatives=lambda q: (0.0, 0.0))  # fmt: skip
    with pytest.raises(ValueError, match="derived from a sympy potential"):
        tr.classical_schrodinger(psi0, X, u, 1.0, force=lambda q: -2.0)
    with pytest.raises(ValueError, match="position symbol only"):
        tr.classical_schrodinger(psi0, X, sympy.Symbol("g") * XS, 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        tr.classical_schrodinger(psi0, X, u, -1.0)
    with pytest.raises(TypeError, match="real scalar"):
        tr.classical_schrodinger(psi0, X, u, "1.0")
    with pytest.raises(ValueError, match="n_frames must be >= 1"):
        tr.classical_schrodinger(psi0, X, u, 1.0, n_frames=0)
    with pytest.raises(ValueError, match="mass must be"):
        tr.classical_schrodinger(psi0, X, u, 1.0, mass=0.0)
    with pytest.raises(ValueError, match="left the grid"):
        tr.classical_schrodinger(psi0, X, u, 5.0)  # centre at -25
    with pytest.raises(ValueError, match="not resolved by the grid"):
        tr.classical_schrodinger(psi0, X, XS**2 / 2, 1.555)  # width 0.016 < grid step 0.05
    still = tr.classical_schrodinger(psi0, X, u, 0.0, n_frames=2)  # t = 0: every frame is psi0
    assert np.array_equal(still.times, np.zeros(3)) and np.array_equal(still.psi[0], still.psi[2])
    assert np.max(np.abs(still.psi[-1] - psi0)) < 1e-8


# ---------------------------------------------------------------------------------------------
# vectorised kernels: block normal generator, fdlibm log, tabulated drift


def test_block_normals_equal_scalar_draws_and_the_exact_quantile():
    # the kernels' block generator (central rational for all draws, tails compacted) gives
    # exactly the scalar draw _normal(key, i), across block edges and for a base off the blocks
    key, base, n = np.uint64(987654321), np.uint64(1234567), 3 * _random._BLOCK + 17
    out = np.empty(n)
    _random._normals(key, base, out)
    scalar = np.array([_random._normal(key, base + np.uint64(i)) for i in range(n)])
    assert np.array_equal(out, scalar)
    u = np.array([_random._uniform(key, base + np.uint64(i)) for i in range(n)])
    assert np.all((u > 0) & (u < 1))
    assert np.mean(np.abs(u - 0.5) > 0.425) > 0.1  # the tail path is exercised
    assert np.allclose(out, ndtri(u), rtol=1e-14, atol=1e-15)


def test_fdlibm_log_is_within_one_ulp():
    rng = np.random.default_rng(7)
    k = rng.integers(0, 2**53, 200_000)
    special = [0.075, 0.5 - 2**-53, 1.0, 2.0, 1e-300]
    x = np.concatenate([(k + 0.5) * 2.0**-53, (np.arange(1000) + 0.5) * 2.0**-53,
                        2.0 ** -np.arange(1.0, 60.0), special])  # fmt: skip
    mine = np.array([_random._log(v) for v in x])
    ref = np.log(x)
    assert np.max(np.abs(mine - ref) / np.spacing(np.abs(ref) + 1e-300)) <= 1.0  # libm: ≤ ½ ulp
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for v, m in zip(x[::500], mine[::500], strict=True):
        exact = mpmath.log(mpmath.mpf(float(v)))
        assert abs(float((mpmath.mpf(float(m)) - exact) / float(np.spacing(abs(m) + 1e-300)))) < 1


def test_tabulated_drift_is_the_bilinear_interpolant():
    rng = np.random.default_rng(8)
    field = rng.normal(size=(5, 64))
    x_first, dx = -3.0, 0.1
    top = field.shape[1] - 2
    xs = rng.uniform(x_first - 0.5, x_first + 64 * dx + 0.5, 500)  # includes extrapolation
    for j, w in ((0, 0.0), (1, 0.25), (3, 1.0)):
        tab = ensembles._time_row(field, j, w)
        for xi in xs:
            ref = ensembles._interp(field, j, w, xi, x_first, 1 / dx, field.shape[1])
            assert abs(ensembles._lookup(tab, xi, x_first, 1 / dx, top) - ref) < 1e-13


@pytest.mark.parametrize("heun", [True, False])
def test_sde_and_rk4_kernels_match_a_scalar_reference(free, heun):
    # one step of the blocked, vectorised kernels against the scalar formulas (_interp, _normal)
    v, u = tr.velocity_fields(free.psi[:2], X)
    field = np.ascontiguousarray(v + u)
    n = 2 * _random._BLOCK + 5
    x0 = np.random.default_rng(9).normal(0.0, 1.5, n)
    x0[:2] = [X[0] - 5.0, X[-1] + 5.0]  # two particles off the grid
    j, w0, w1, dt, amp = 0, 0.25, 0.75, 0.02, 0.3
    key, base = np.uint64(42), np.uint64(10**9)
    inv_dx = 1 / (X[1] - X[0])

    def b(xi, w):
        return ensembles._interp(field, j, w, xi, X[0], inv_dx, X.size)

    x = x0.copy()
    left = ensembles._sde_step(x, field, j, w0, w1, dt, amp, key, base, heun, X[0], X[-1], inv_dx)
    for p in range(n):
        kick = amp * _random._normal(key, base + np.uint64(p))
        xn = x0[p] + b(x0[p], w0) * dt + kick
        if heun:
            xn = x0[p] + 0.5 * (b(x0[p], w0) + b(xn, w1)) * dt + kick
        assert abs(x[p] - xn) < 1e-12
    assert left == np.sum((x < X[0]) | (x > X[-1])) >= 2
    x = x0.copy()
    left = ensembles._rk4_step(x, field, j, w0, w1, dt, X[0], X[-1], inv_dx)
    wm = 0.5 * (w0 + w1)
    for p in range(n):
        k1 = b(x0[p], w0)
        k2 = b(x0[p] + 0.5 * dt * k1, wm)
        k3 = b(x0[p] + 0.5 * dt * k2, wm)
        k4 = b(x0[p] + dt * k3, w1)
        assert abs(x[p] - (x0[p] + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))) < 1e-12
    assert left == np.sum((x < X[0]) | (x > X[-1])) >= 2


# ---------------------------------------------------------------------------------------------
# product-state forces (closed form) and many-body Bohmian trajectories


def _sech_configurations(n, n_conf, seed):
    rng = np.random.default_rng(seed)
    width = rng.uniform(0.7, 1.3, n)
    centre = rng.uniform(-1.0, 1.0, n)
    x = centre + width * np.arctanh(2 * rng.random((n_conf, n)) - 1)
    z = (x - centre) / width
    th, s2 = np.tanh(z), 1 / np.cosh(z) ** 2
    d = np.stack([-th / width, -s2 / width**2, 2 * s2 * th / width**3])
    amp = lambda q: np.prod(1 / np.cosh((q - centre) / width), axis=-1)  # noqa: E731
    return x, d, amp


@pytest.mark.parametrize("n", [1, 3, 7])
def test_product_state_forces_match_finite_differences(n):
    # two independent routes: closed form vs central differences (error O(h^2): Richardson)
    x, d, amp = _sech_configurations(n, 20, n)
    force = lambda q: 0.3 - 0.2 * q  # noqa: E731
    exact = tr.product_state_forces(x, d, external_force=force, mass=1.7, hbar=0.8)
    coarse, fine = (tr.centre_of_mass_forces(amp, x, step=h, external_force=force, mass=1.7,
                                             hbar=0.8) for h in (2e-3, 1e-3))  # fmt: skip
    assert np.array_equal(exact[0], fine[0])
    for k in (1, 2):
        estimate = np.abs(coarse[k] - fine[k]).max() / 3 + 1e-9  # Richardson, O(h^2)
        assert np.abs(exact[k] - fine[k]).max() < 2 * estimate


def test_product_state_forces_gaussian_closed_forms():
    # equal Gaussians: F_rel = 0 identically and F_cm = hbar^2 N (x_cm - xbar) / (4 m sigma^4)
    rng = np.random.default_rng(3)
    sigma, xbar, n = 0.8, 1.5, 12
    x = xbar + sigma * rng.normal(size=(100, n))
    d = np.stack([-(x - xbar) / (2 * sigma**2), np.full_like(x, -1 / (2 * sigma**2)),
                  np.zeros_like(x)])  # fmt: skip
    _, f_cm, f_rel = tr.product_state_forces(x, d, hbar=1.3, mass=0.9)
    assert np.abs(f_rel).max() < 1e-13 * np.abs(f_cm).max()
    assert np.allclose(f_cm, 1.3**2 * n * (x.mean(-1) - xbar) / (4 * 0.9 * sigma**4), rtol=1e-12)


def test_product_state_forces_errors():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="shape"):
        tr.product_state_forces(x, np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        tr.product_state_forces(x, np.full((3, 4, 3), np.nan))
    with pytest.raises(TypeError, match="callable"):
        tr.product_state_forces(x, np.zeros((3, 4, 3)), external_force=1.0)
    with pytest.raises(ValueError, match="mass"):
        tr.product_state_forces(x, np.zeros((3, 4, 3)), mass=-1.0)


def _packets(centres, widths, momenta, force=0.0):
    def orbitals(x, t):
        return states.evolved_gaussian(x[..., :, None], t, centres, widths, momenta, force=force)

    return orbitals


def test_bohm_many_body_single_gaussian_is_analytic():
    # x(t) = x_c(t) + (x0 - x_c(0)) sigma(t)/sigma(0) for a packet in a linear potential
    times = np.linspace(0.0, 3.0, 7)
    x0 = np.array([[-1.0], [0.2], [1.5]])
    out = tr.bohm_many_body(_packets(0.3, 0.7, 0.5, force=0.4), x0, times, rtol=1e-10,
                            atol=1e-12)  # fmt: skip
    width = 0.7 * np.sqrt(1 + (times / (2 * 0.7**2)) ** 2)
    centre = 0.3 + 0.5 * times + 0.2 * times**2
    expect = centre[:, None] + (x0[:, 0] - 0.3)[None, :] * width[:, None] / 0.7
    assert out.dims == ("time", "configuration", "particle")
    assert np.abs(out.values[:, :, 0] - expect).max() < 1e-8
    assert out.attrs["n_velocity_calls"] > 0


def test_bohm_many_body_bosons_in_one_orbital_and_exchange_symmetry():
    times = np.linspace(0.0, 2.0, 5)
    same = _packets(np.zeros(3), np.ones(3), np.zeros(3))
    x0 = np.array([[-0.5, 0.1, 0.9]])
    b = tr.bohm_many_body(same, x0, times, statistics="bosons")
    d = tr.bohm_many_body(same, x0, times, statistics="distinguishable")
    assert np.allclose(b.values, d.values, atol=1e-9)  # perm of equal columns = N! product
    two = _packets(np.array([-2.0, 2.0]), np.array([0.8, 1.1]), np.array([1.0, -1.5]))
    start = np.array([[-1.7, 2.3], [2.3, -1.7]])  # the second configuration is the swap
    out = tr.bohm_many_body(two, start, times, statistics="bosons", method="RK45", rtol=1e-9,
                            atol=1e-11).values  # fmt: skip
    assert np.allclose(out[:, 0, ::-1], out[:, 1], atol=1e-6)


def test_bohm_many_body_errors():
    times = np.linspace(0.0, 1.0, 3)
    orb = _packets(0.0, 1.0, 0.0)
    with pytest.raises(TypeError, match="callable"):
        tr.bohm_many_body(1.0, np.zeros((1, 1)), times)
    with pytest.raises(ValueError, match="statistics"):
        tr.bohm_many_body(orb, np.zeros((1, 1)), times, statistics="fermions")
    with pytest.raises(ValueError, match="method"):
        tr.bohm_many_body(orb, np.zeros((1, 1)), times, method="euler")
    with pytest.raises(ValueError, match="x0"):
        tr.bohm_many_body(orb, np.zeros(3), times)
    with pytest.raises(ValueError, match="times"):
        tr.bohm_many_body(orb, np.zeros((1, 1)), [0.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        tr.bohm_many_body(lambda x, t: (np.ones((1, 2, 2)),) * 2, np.zeros((1, 1)), times)
    with pytest.raises(ValueError, match="node"):  # Psi = 0 at the start
        tr.bohm_many_body(lambda x, t: (np.zeros((1, 1, 1)), np.ones((1, 1, 1))), np.zeros((1, 1)),
                          times)  # fmt: skip
