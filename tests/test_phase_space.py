"""Husimi Q (paper 002, Eqs. (60)–(66)): QuTiP, closed forms, Eq. (63)/(65) residuals, generator."""

import math

import numpy as np
import pytest
import qutip
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from qfcore import phase_space as ps

CHI = 0.7
KERR = {(2, 2): CHI, (1, 1): -4 * CHI, (0, 0): 2 * CHI}  # χ a†²a² = χ n(n−1)
CUBIC = {(3, 0): 1.0, (0, 3): 1.0}  # a³ + a†³, violates Eq. (64)
X_CUBED = {(3, 0): 1.0, (2, 1): 3.0, (1, 2): 3.0, (0, 3): 1.0, (1, 0): -3.0, (0, 1): -3.0}
J_HOP, U_INT = 0.8, 1.3
EPS = np.finfo(float).eps


def bose_hubbard_symbol(j=J_HOP, u=U_INT):
    """Two-site Bose–Hubbard, Eq. (67): −J(a1†a2 + a2†a1) + (U/2) Σ n_i(n_i − 1), anti-Wick."""
    sym = {((1, 0), (0, 1)): -j, ((0, 1), (1, 0)): -j, ((0, 0), (0, 0)): 2 * u}
    for e in ((1, 0), (0, 1)):
        sym[(tuple(2 * x for x in e), tuple(2 * x for x in e))] = u / 2
        sym[(e, e)] = -4 * u / 2
    return sym


def bose_hubbard_matrix(dims, j=J_HOP, u=U_INT):
    a1, a2 = ps.mode_operators(dims)
    n1, n2, eye = a1.T @ a1, a2.T @ a2, np.eye(a1.shape[0])
    return -j * (a1.T @ a2 + a2.T @ a1) + u / 2 * (n1 @ (n1 - eye) + n2 @ (n2 - eye))


def random_ket(rng, d, decay=None):
    psi = rng.normal(size=d) + 1j * rng.normal(size=d)
    if decay is not None:
        psi *= np.exp(-np.arange(d) / decay)
    return psi / np.linalg.norm(psi)


def random_dm(rng, d, rank=None, decay=None):
    a = rng.normal(size=(d, rank or d)) + 1j * rng.normal(size=(d, rank or d))
    if decay is not None:
        a *= np.exp(-np.arange(d) / decay)[:, None]
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


def lowered(rng, d, top):
    """Random ket with its top ``top`` levels empty (for H that leaves the truncated space)."""
    psi = random_ket(rng, d, decay=d / 4)
    psi[d - top :] = 0
    return psi / np.linalg.norm(psi)


def dimer_ket(rng, dims, n_max):
    """Two-mode ket with at most n_max bosons (hopping keeps it inside the space)."""
    v = rng.normal(size=dims) + 1j * rng.normal(size=dims)
    n1, n2 = np.meshgrid(range(dims[0]), range(dims[1]), indexing="ij")
    v[n1 + n2 > n_max] = 0
    return v / np.linalg.norm(v)


def points(rng, n, scale, modes=None):
    shape = (n,) if modes is None else (n, modes)
    return scale * (rng.normal(size=shape) + 1j * rng.normal(size=shape))


# ---------------------------------------------------------------------------------------------
# husimi_q against QuTiP and closed forms


@pytest.mark.parametrize("d", [1, 5, 40, 100])
def test_husimi_q_matches_qutip(d):
    """qutip.qfunc(state, x, y, g=2)[j, k] is Q at α = x[k] + i y[j] with the same 1/π."""
    rng = np.random.default_rng(d)
    x = np.linspace(-np.sqrt(d) - 3, np.sqrt(d) + 3, 37)
    y = np.linspace(-np.sqrt(d) - 2, np.sqrt(d) + 2, 29)
    alpha = x[None, :] + 1j * y[:, None]
    for state in (random_ket(rng, d), random_dm(rng, d)):
        ours = ps.husimi_q(state, alpha)
        ref = qutip.qfunc(qutip.Qobj(state), x, y, g=2)
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-14)
    if d == 100:
        ref = qutip.QFunc(x, y, g=2)(qutip.Qobj(state))
        np.testing.assert_allclose(ps.husimi_q(state, alpha), ref, rtol=0, atol=2e-14)


def test_normalisation_by_quadrature():
    """∫Q d²α = 1: trapezoid rule, spectrally accurate (error ~e^{−π²/h²}) for these entire,
    Gaussian-decaying integrands, so coarse grids suffice."""
    rng = np.random.default_rng(1)
    x = np.linspace(-9, 9, 73)  # h = 0.25
    alpha = x[None, :] + 1j * x[:, None]
    dx = x[1] - x[0]
    for state in (random_ket(rng, 12), random_dm(rng, 12)):
        assert np.sum(ps.husimi_q(state, alpha)) * dx * dx == pytest.approx(1.0, abs=1e-12)
    # two modes, an entangled ket and a mixed state, over C² (h = 0.4)
    x2 = np.linspace(-6, 6, 31)
    a1 = (x2[:, None] + 1j * x2[None, :]).reshape(-1)
    grid = np.stack(np.broadcast_arrays(a1[:, None], a1[None, :]), axis=-1)
    psi = dimer_ket(rng, (3, 4), 3)
    rho = np.einsum("ij,kl->ijkl", psi, psi.conj())
    phi = dimer_ket(rng, (3, 4), 5)
    rho = 0.5 * rho + 0.5 * np.einsum("ij,kl->ijkl", phi, phi.conj())
    for state in (psi, rho):
        q = ps.husimi_q(state, grid, n_modes=2)
        assert np.sum(q) * (x2[1] - x2[0]) ** 4 == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("r2", "d"), [(900, 1200), (1600, 2000)])
def test_coherent_state_large_amplitude(r2, d):
    """|β⟩ with |β|² = 900 (d = 1200) and 1600 (e^{−|β|²/2} underflows): Q = e^{−|α−β|²}/π."""
    rng = np.random.default_rng(2)
    beta = np.sqrt(r2) * np.exp(0.7j)
    coh = ps.coherent_state(beta, d)
    assert np.vdot(coh, coh).real == pytest.approx(1.0, abs=1e-12)  # truncation negligible
    alpha = beta + points(rng, 300, 1.0)
    exact = np.exp(-(np.abs(alpha - beta) ** 2)) / np.pi
    err = np.abs(ps.husimi_q(coh / np.linalg.norm(coh), alpha) - exact)
    # documented bound 2(d+1)ε√(Q/π), doubled: the reference state carries the same recurrence
    assert np.all(err <= 4 * (d + 1) * EPS * np.sqrt(exact / np.pi))
    assert err.max() < 1e-13


def test_coherent_state_matches_qutip():
    for beta in (0.3 - 1.2j, 4.0 + 2.0j):
        ref = qutip.coherent(40, beta, method="analytic").full().ravel()
        np.testing.assert_allclose(ps.coherent_state(beta, 40), ref, rtol=0, atol=1e-15)
    assert ps.coherent_state(np.array([1.0, 2.0j]), 7).shape == (2, 7)


def test_fock_state_1000_closed_form():
    """|n⟩, n = 1000: Q = |α|^{2n} e^{−|α|²}/(π n!), compared in log space (lgamma)."""
    n, d = 1000, 1001
    fock = np.zeros(d)
    fock[n] = 1.0
    rng = np.random.default_rng(3)
    r = np.sqrt(rng.uniform(850, 1150, 200))
    alpha = r * np.exp(2j * np.pi * rng.uniform(size=200))
    exact = np.exp(-(r**2) + 2 * n * np.log(r) - math.lgamma(n + 1)) / np.pi
    np.testing.assert_allclose(ps.husimi_q(fock, alpha), exact, rtol=1e-11)
    # far from the ring Q underflows to (exactly representable) tiny values, never to nan/inf
    q0 = ps.husimi_q(fock, np.array([0.0, 5.0, 60.0]))
    assert np.all(np.isfinite(q0)) and q0[0] == 0.0


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    r=st.floats(0.0, 40.0),
    phase=st.floats(0.0, 2 * np.pi),
    du=st.floats(-2.0, 2.0),
    dv=st.floats(-2.0, 2.0),
)
def test_coherent_closed_form_property(r, phase, du, dv):
    beta = r * np.exp(1j * phase)
    d = int(r * r + 12 * r + 60)
    coh = ps.coherent_state(beta, d)
    coh /= np.linalg.norm(coh)
    alpha = np.array([beta + du + 1j * dv])
    exact = np.exp(-(du * du + dv * dv)) / np.pi
    err = abs(ps.husimi_q(coh, alpha)[0] - exact)
    assert err <= 4 * (d + 1) * EPS * np.sqrt(exact / np.pi)


def test_multi_mode_product_state():
    rng = np.random.default_rng(4)
    k1, k2, k3 = random_ket(rng, 4), random_ket(rng, 6), random_ket(rng, 3)
    r1, r2 = random_dm(rng, 4), random_dm(rng, 6, rank=2)
    alpha = points(rng, 50, 1.5, modes=3)
    q1, q2, q3 = (ps.husimi_q(k, alpha[:, i]) for i, k in enumerate((k1, k2, k3)))
    ket = np.einsum("i,j,k->ijk", k1, k2, k3)
    np.testing.assert_allclose(ps.husimi_q(ket, alpha, n_modes=3), q1 * q2 * q3, rtol=1e-12)
    rho = np.einsum("ik,jl->ijkl", r1, r2)
    expected = ps.husimi_q(r1, alpha[:, 0]) * ps.husimi_q(r2, alpha[:, 1])
    np.testing.assert_allclose(ps.husimi_q(rho, alpha[:, :2], n_modes=2), expected, rtol=1e-11)
    # a two-mode ket and its density matrix agree; output shape is alpha.shape[:-1]
    psi2 = np.einsum("i,j->ij", k1, k2)
    grid = points(rng, 12, 1.0, modes=2).reshape(3, 4, 2)
    q_ket = ps.husimi_q(psi2, grid, n_modes=2)
    q_dm = ps.husimi_q(np.einsum("ij,kl->ijkl", psi2, psi2.conj()), grid, n_modes=2)
    assert q_ket.shape == (3, 4)
    np.testing.assert_allclose(q_dm, q_ket, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# derivatives of Q


def test_derivatives_coherent_closed_form():
    """Q = e^{−|u|²}/π, u = α − β: ∂_{α*}Q = −uQ, ∂_α∂_{α*}Q = (|u|² − 1)Q, ∂²_{α*}Q = u²Q."""
    rng = np.random.default_rng(5)
    beta = 20 * np.exp(0.3j)
    coh = ps.coherent_state(beta, 700)
    coh /= np.linalg.norm(coh)
    alpha = beta + points(rng, 40, 0.8)
    u = alpha - beta
    q = np.exp(-(np.abs(u) ** 2)) / np.pi
    orders = [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 1)]
    der = ps.husimi_derivatives(coh, alpha, orders)
    expected = [q, -u * q, -u.conj() * q, (np.abs(u) ** 2 - 1) * q, u**2 * q]
    expected.append(u.conj() * (2 - np.abs(u) ** 2) * q)  # ∂²_α ∂_{α*} Q
    for (a, b), got, want in zip(orders, der, expected, strict=True):
        # documented round-off bound (d + 1) ε (|α| + √d)^{a+b} / π
        bound = 701 * EPS * (np.abs(alpha) + np.sqrt(700)) ** (a + b) / np.pi
        assert np.all(np.abs(got - want) <= bound)
        assert np.abs(got - want).max() < 1e-11


def test_derivatives_match_finite_differences():
    """Wirtinger ∂_α = (∂_x − i∂_y)/2, ∂_{α*} = (∂_x + i∂_y)/2 by central differences."""
    rng = np.random.default_rng(6)
    h = 1e-4
    rho = random_dm(rng, 15, rank=3)
    alpha = points(rng, 20, 1.5)

    def dx(f, a):
        return (f(a + h) - f(a - h)) / (2 * h)

    def dy(f, a):
        return (f(a + 1j * h) - f(a - 1j * h)) / (2 * h)

    def q(a):
        return ps.husimi_q(rho, a)

    d_a, d_c = ps.husimi_derivatives(rho, alpha, [(1, 0), (0, 1)])
    np.testing.assert_allclose(d_a, (dx(q, alpha) - 1j * dy(q, alpha)) / 2, atol=1e-8)
    np.testing.assert_allclose(d_c, (dx(q, alpha) + 1j * dy(q, alpha)) / 2, atol=1e-8)

    # second order: differences of the exact first derivatives
    def qc(a):
        return ps.husimi_derivatives(rho, a, [(0, 1)])[0]

    d_ac, d_cc = ps.husimi_derivatives(rho, alpha, [(1, 1), (0, 2)])
    np.testing.assert_allclose(d_ac, (dx(qc, alpha) - 1j * dy(qc, alpha)) / 2, atol=1e-8)
    np.testing.assert_allclose(d_cc, (dx(qc, alpha) + 1j * dy(qc, alpha)) / 2, atol=1e-8)

    # two modes: ∂/∂α_2* of a two-mode ket
    psi = dimer_ket(rng, (4, 5), 6)
    a2 = points(rng, 10, 1.0, modes=2)
    e2 = np.array([0, 1])
    got = ps.husimi_derivatives(psi, a2, [((0, 0), (0, 1))], n_modes=2)[0]

    def q2(a):
        return ps.husimi_q(psi, a, n_modes=2)

    fx = (q2(a2 + h * e2) - q2(a2 - h * e2)) / (2 * h)
    fy = (q2(a2 + 1j * h * e2) - q2(a2 - 1j * h * e2)) / (2 * h)
    np.testing.assert_allclose(got, (fx + 1j * fy) / 2, atol=1e-8)


def test_derivatives_conjugate_symmetry():
    rng = np.random.default_rng(7)
    psi = random_ket(rng, 20, decay=6)
    alpha = points(rng, 30, 2.0)
    d = ps.husimi_derivatives(psi, alpha, [(2, 1), (1, 2), (3, 0), (0, 3)])
    np.testing.assert_allclose(d[0], d[1].conj(), atol=1e-14)
    np.testing.assert_allclose(d[2], d[3].conj(), atol=1e-14)


# ---------------------------------------------------------------------------------------------
# exact ∂Q/∂t and the series Eq. (63) / truncation Eq. (65)


def test_anti_wick_operators():
    d = 30
    n = np.arange(d)
    a = np.diag(np.sqrt(np.arange(1, d)), 1)
    kerr = ps.fock_matrix_from_anti_wick(KERR, d)
    np.testing.assert_allclose(kerr, np.diag(CHI * n * (n - 1)), rtol=0, atol=1e-12)
    # Eq. (69) erratum: the −3|α|² of the printed symbol belongs to n², not to n(n−1)
    n_sq = ps.fock_matrix_from_anti_wick({(2, 2): 1.0, (1, 1): -3.0, (0, 0): 1.0}, d)
    np.testing.assert_allclose(n_sq, np.diag(n**2.0), atol=1e-12)
    # (a + a†)³ has H_aw = s³ − 3s, s = α + α*; exact on the retained block
    big = np.diag(np.sqrt(np.arange(1, d + 3)), 1)
    x3 = np.linalg.matrix_power(big + big.T, 3)[:d, :d]
    np.testing.assert_allclose(ps.fock_matrix_from_anti_wick(X_CUBED, d), x3, atol=1e-11)
    a3 = a @ a @ a
    np.testing.assert_allclose(ps.fock_matrix_from_anti_wick(CUBIC, d), a3 + a3.T, atol=1e-12)
    dims = (4, 5)
    np.testing.assert_allclose(
        ps.fock_matrix_from_anti_wick(bose_hubbard_symbol(), dims),
        bose_hubbard_matrix(dims),
        atol=1e-12,
    )


def test_time_derivative_matches_finite_difference_in_time():
    """Q of e^{−iHt}ρe^{iHt}, fourth-order central differences in t (dt = 1e-3, error
    ~dt⁴‖H‖⁵/30 ≈ 1e-10 relative here) vs Q[−i[H, ρ]]."""
    rng = np.random.default_rng(8)
    d, dt = 12, 1e-3
    lad = np.diag(np.sqrt(np.arange(1, d)), 1)
    h = 0.2 * ps.fock_matrix_from_anti_wick(KERR, d) + 0.3 * (lad + lad.T)

    def fd(q_of_state, state, h):
        def at(t):
            u = sla.expm(-1j * h * t)
            return q_of_state(u @ state if state.ndim == 1 else u @ state @ u.conj().T)

        return (8 * (at(dt) - at(-dt)) - (at(2 * dt) - at(-2 * dt))) / (12 * dt)

    alpha = points(rng, 40, 1.5)
    for state in (random_ket(rng, d, decay=4), random_dm(rng, d, rank=3, decay=4)):
        exact = ps.husimi_time_derivative(state, h, alpha)
        approx = fd(lambda s: ps.husimi_q(s, alpha), state, h)
        np.testing.assert_allclose(exact, approx, rtol=0, atol=1e-8 * np.abs(exact).max())
    # two modes (Bose–Hubbard dimer)
    dims = (5, 5)
    hb = bose_hubbard_matrix(dims)
    psi = dimer_ket(rng, dims, 4)
    a2 = points(rng, 20, 1.0, modes=2)
    exact = ps.husimi_time_derivative(psi, hb, a2, n_modes=2)
    approx = fd(lambda s: ps.husimi_q(s.reshape(dims), a2, n_modes=2), psi.reshape(-1), hb)
    np.testing.assert_allclose(exact, approx, rtol=0, atol=1e-8 * np.abs(exact).max())


def test_fokker_planck_exact_for_kerr():
    """Kerr obeys Eq. (64): ∂_t Q − (drift + diffusion) vanishes to round-off (T2.7)."""
    rng = np.random.default_rng(9)
    d = 25
    h = ps.fock_matrix_from_anti_wick(KERR, d)
    alpha = points(rng, 200, 2.0)
    for state in (random_ket(rng, d, decay=6), random_dm(rng, d, rank=4, decay=6)):
        exact = ps.husimi_time_derivative(state, h, alpha)
        fp = ps.fokker_planck_rhs(state, KERR, alpha)
        assert np.abs(exact).max() > 0.05
        np.testing.assert_allclose(fp, exact, rtol=0, atol=1e-13 * np.abs(exact).max() * d)
        # the diffusion term is needed: drift alone is off by O(1)
        drift = ps.husimi_series_term(state, KERR, alpha, 1)
        assert np.abs(exact - drift).max() > 0.1 * np.abs(exact).max()
        assert np.abs(ps.husimi_series_term(state, KERR, alpha, 3)).max() == 0.0


@pytest.mark.parametrize("mixed", [False, True])
def test_fokker_planck_exact_for_bose_hubbard_dimer(mixed):
    rng = np.random.default_rng(10)
    dims = (6, 6)
    h = bose_hubbard_matrix(dims)
    sym = bose_hubbard_symbol()
    psi = dimer_ket(rng, dims, 4)
    state = psi
    if mixed:
        phi = dimer_ket(rng, dims, 4)
        state = 0.6 * np.einsum("ij,kl->ijkl", psi, psi.conj()) + 0.4 * np.einsum(
            "ij,kl->ijkl", phi, phi.conj()
        )
    alpha = points(rng, 100, 1.2, modes=2)
    exact = ps.husimi_time_derivative(state, h, alpha, n_modes=2)
    fp = ps.fokker_planck_rhs(state, sym, alpha, n_modes=2)
    assert np.abs(exact).max() > 1e-3
    np.testing.assert_allclose(fp, exact, rtol=0, atol=1e-12 * np.abs(exact).max())


@pytest.mark.parametrize("symbol", [CUBIC, X_CUBED], ids=["a3+adag3", "x3"])
def test_fokker_planck_residual_is_third_order_term(symbol):
    """Eq. (64) fails: exact − Eq. (65) = T_3 = 2 Im ∂³Q/∂α*³ (≠ 0); the series then stops."""
    rng = np.random.default_rng(11)
    d = 30
    h = ps.fock_matrix_from_anti_wick(symbol, d)
    alpha = points(rng, 150, 1.5)
    for state in (lowered(rng, d, 4), random_dm(rng, d, rank=3, decay=3)):
        if state.ndim == 2:
            state[d - 4 :, :] = state[:, d - 4 :] = 0
            state /= np.trace(state).real
        exact = ps.husimi_time_derivative(state, h, alpha)
        residual = exact - ps.fokker_planck_rhs(state, symbol, alpha)
        t3 = ps.husimi_series_term(state, symbol, alpha, 3)
        closed = 2 * ps.husimi_derivatives(state, alpha, [(0, 3)])[0].imag
        scale = np.abs(exact).max()
        assert np.abs(t3).max() > 0.1 * scale
        np.testing.assert_allclose(t3, closed, atol=1e-13 * scale)
        np.testing.assert_allclose(residual, t3, atol=1e-12 * scale)
        assert np.abs(ps.husimi_series_term(state, symbol, alpha, 4)).max() == 0.0


# ---------------------------------------------------------------------------------------------
# truncated generator (T2.8)


def commutator_superop(h):
    eye = np.eye(h.shape[0])
    return -1j * (np.kron(h, eye) - np.kron(eye, h.T))


def test_generator_equals_exact_when_truncation_holds():
    d = 20
    exact = commutator_superop(ps.fock_matrix_from_anti_wick(KERR, d))
    assert np.abs(ps.truncated_generator(KERR, d).toarray() - exact).max() < 1e-11
    dims = (5, 5)
    gen = ps.truncated_generator(bose_hubbard_symbol(), dims).toarray()
    assert np.abs(gen - commutator_superop(bose_hubbard_matrix(dims))).max() < 1e-11
    # parametric amplifier (T2.9), H = (iκ/2)(a†² − a²): quadratic, so Eq. (65) is exact; its
    # diffusion term is needed (∂²H_aw/∂α² ≠ 0), the Liouville flow alone is not exact
    kappa = 0.6
    amp = {(0, 2): 0.5j * kappa, (2, 0): -0.5j * kappa}
    lad = np.diag(np.sqrt(np.arange(1, d)), 1)
    h_amp = 0.5j * kappa * (lad.T @ lad.T - lad @ lad)
    np.testing.assert_allclose(ps.fock_matrix_from_anti_wick(amp, d), h_amp, atol=1e-14)
    assert (
        np.abs(ps.truncated_generator(amp, d).toarray() - commutator_superop(h_amp)).max() < 1e-12
    )
    assert (
        np.abs(ps.truncated_generator(amp, d, order=1).toarray() - commutator_superop(h_amp)).max()
        > 0.1
    )
    # free oscillator H_aw = ω|α|² (= ω a a†): the Liouville flow (order 1) is already exact (C7)
    free = {(1, 1): 0.9}
    gen1 = ps.truncated_generator(free, d, order=1).toarray()
    assert np.abs(gen1 - commutator_superop(ps.fock_matrix_from_anti_wick(free, d))).max() < 1e-12


def test_generator_all_orders_is_exact_and_truncation_is_not():
    d = 16
    exact = commutator_superop(ps.fock_matrix_from_anti_wick(CUBIC, d))
    full = ps.truncated_generator(CUBIC, d, order=None).toarray()
    assert np.abs(full - exact).max() < 1e-11
    assert np.abs(ps.truncated_generator(CUBIC, d).toarray() - exact).max() > 1.0


def test_generator_acts_like_fokker_planck_on_q():
    """Q[L₂ρ] (superoperator) equals Eq. (65) evaluated pointwise by the product rule."""
    rng = np.random.default_rng(12)
    d = 24
    rho = random_dm(rng, d, rank=2, decay=3)
    rho[d - 4 :, :] = rho[:, d - 4 :] = 0
    rho /= np.trace(rho).real
    l_rho = (ps.truncated_generator(X_CUBED, d) @ rho.reshape(-1)).reshape(d, d)
    assert np.abs(l_rho - l_rho.conj().T).max() < 1e-12  # Hermiticity preserved
    assert abs(np.trace(l_rho)) < 1e-12  # trace preserved (state far from the top)
    alpha = points(rng, 60, 1.5)
    # Q is linear: Q[Lρ] = Σ_k λ_k Q[|v_k⟩⟨v_k|] over the eigen-split of the Hermitian Lρ
    lam, vec = np.linalg.eigh(l_rho)
    q_l = sum(lam[k] * ps.husimi_q(vec[:, k], alpha) for k in range(d) if abs(lam[k]) > 1e-300)
    np.testing.assert_allclose(
        q_l, ps.fokker_planck_rhs(rho, X_CUBED, alpha), atol=1e-12 * np.abs(q_l).max()
    )


def test_truncated_evolution():
    """Kerr: exp(tL₂) reproduces Schrödinger evolution; a³ + a†³: trace kept, states drift apart."""
    rng = np.random.default_rng(13)
    d = 20
    psi = random_ket(rng, d, decay=3)
    rho0 = np.outer(psi, psi.conj())
    times = np.linspace(0, 1.0, 5)
    out = ps.evolve_density_matrix(ps.truncated_generator(KERR, d), rho0, times)
    h = ps.fock_matrix_from_anti_wick(KERR, d)
    for t, rho in zip(times, out, strict=True):
        u = sla.expm(-1j * h * t)
        np.testing.assert_allclose(rho, u @ rho0 @ u.conj().T, atol=1e-10)
    coh = ps.coherent_state(0.5, 40)
    coh /= np.linalg.norm(coh)
    rho0 = np.outer(coh, coh.conj())
    eps = 0.05
    sym = {k: eps * v for k, v in CUBIC.items()}
    trunc = ps.evolve_density_matrix(ps.truncated_generator(sym, 40), rho0, times)
    exact = ps.evolve_density_matrix(ps.truncated_generator(sym, 40, order=None), rho0, times)
    assert np.abs(np.trace(trunc, axis1=1, axis2=2) - 1).max() < 1e-10
    assert np.abs(np.trace(exact, axis1=1, axis2=2) - 1).max() < 1e-10
    assert np.abs(trunc[-1] - exact[-1]).max() > 1e-4
    assert ps.evolve_density_matrix(ps.truncated_generator(KERR, d), rho0[:d, :d], 0.5).shape == (
        1,
        d,
        d,
    )


def test_symbol_from_sympy():
    import sympy

    a, ac = sympy.symbols("a ac")
    chi = sympy.Rational(7, 10)
    got = ps.symbol_from_sympy(chi * (a**2 * ac**2 - 4 * a * ac + 2), [a], [ac])
    assert got == pytest.approx(KERR)
    a1, a2, c1, c2 = sympy.symbols("a1 a2 c1 c2")
    expr = -J_HOP * (c1 * a2 + c2 * a1) + U_INT / 2 * (a1**2 * c1**2 - 4 * a1 * c1 + 2)
    expr += U_INT / 2 * (a2**2 * c2**2 - 4 * a2 * c2 + 2)
    got = ps.symbol_from_sympy(expr, [a1, a2], [c1, c2])
    want = bose_hubbard_symbol()
    assert got.keys() == want.keys()
    assert all(abs(got[k] - want[k]) < 1e-14 for k in want)
    with pytest.raises(ValueError, match="polynomial"):
        ps.symbol_from_sympy(sympy.sin(a), [a], [ac])
    with pytest.raises(ValueError, match="numeric coefficients"):
        ps.symbol_from_sympy(sympy.Symbol("g") * a * ac, [a], [ac])
    with pytest.raises(ValueError, match="same length"):
        ps.symbol_from_sympy(a * ac, [a], [])


def test_mode_operators():
    a1, a2 = ps.mode_operators((3, 4))
    assert a1.shape == (12, 12)
    np.testing.assert_allclose(a1 @ a2, a2 @ a1)
    np.testing.assert_allclose(a1 @ a2.T, a2.T @ a1)
    np.testing.assert_allclose(a2, np.kron(np.eye(3), np.diag(np.sqrt([1.0, 2.0, 3.0]), 1)))


# ---------------------------------------------------------------------------------------------
# errors


def test_state_errors():
    alpha = np.zeros(3)
    with pytest.raises(ValueError, match="not normalised"):
        ps.husimi_q(np.array([1.0, 1.0]), alpha)
    with pytest.raises(ValueError, match="trace"):
        ps.husimi_q(np.eye(2), alpha)
    with pytest.raises(ValueError, match="not Hermitian"):
        ps.husimi_q(np.array([[0.5, 0.3], [0.0, 0.5]]), alpha)
    with pytest.raises(ValueError, match="negative eigenvalue"):
        ps.husimi_q(np.array([[1.5, 0.0], [0.0, -0.5]]), alpha)
    with pytest.raises(ValueError, match="axes"):
        ps.husimi_q(np.ones((2, 2, 2)) / np.sqrt(8), alpha)
    with pytest.raises(ValueError, match="row dimensions"):
        ps.husimi_q(np.ones((2, 3, 2, 4)), np.zeros((1, 2)), n_modes=2)
    with pytest.raises(ValueError, match="empty mode"):
        ps.husimi_q(np.ones((0,)), alpha)
    with pytest.raises(ValueError, match="non-finite"):
        ps.husimi_q(np.array([np.nan, 1.0]), alpha)
    with pytest.raises(TypeError, match="numeric"):
        ps.husimi_q(np.array(["a", "b"]), alpha)
    with pytest.raises(ValueError, match="n_modes"):
        ps.husimi_q(np.array([1.0]), alpha, n_modes=0)
    with pytest.raises(TypeError, match="n_modes"):
        ps.husimi_q(np.array([1.0]), alpha, n_modes=1.5)


def test_alpha_errors():
    psi2 = np.ones((2, 2)) / 2
    with pytest.raises(ValueError, match="trailing axis of length n_modes = 2"):
        ps.husimi_q(psi2, np.zeros((5, 3)), n_modes=2)
    with pytest.raises(ValueError, match="trailing axis"):
        ps.husimi_q(psi2, 0.5, n_modes=2)
    with pytest.raises(ValueError, match="non-finite"):
        ps.husimi_q(np.array([1.0]), np.array([np.inf]))
    with pytest.raises(TypeError, match="alpha"):
        ps.husimi_q(np.array([1.0]), np.array(["x"]))
    with pytest.raises(ValueError, match="dim must be >= 1"):
        ps.coherent_state(1.0, 0)


def test_hamiltonian_symbol_and_order_errors():
    psi = np.array([1.0, 0.0, 0.0])
    alpha = np.zeros(2)
    with pytest.raises(ValueError, match=r"hamiltonian must be a \(3, 3\) matrix"):
        ps.husimi_time_derivative(psi, np.eye(2), alpha)
    with pytest.raises(ValueError, match="hamiltonian is not Hermitian"):
        ps.husimi_time_derivative(psi, np.triu(np.ones((3, 3))), alpha)
    with pytest.raises(TypeError, match="symbol must be a non-empty dict"):
        ps.fokker_planck_rhs(psi, [(1, 1)], alpha)
    with pytest.raises(ValueError, match="symbol key"):
        ps.fokker_planck_rhs(psi, {(1, 1, 1): 1.0}, alpha)
    with pytest.raises(ValueError, match="tuples of length n_modes = 2"):
        ps.fock_matrix_from_anti_wick({(1, 1): 1.0}, (2, 2))
    with pytest.raises(ValueError, match="negative power"):
        ps.fock_matrix_from_anti_wick({(-1, -1): 1.0}, 3)
    with pytest.raises(ValueError, match="not real"):
        ps.truncated_generator({(2, 0): 1.0}, 3)
    with pytest.raises(ValueError, match="coefficient"):
        ps.fock_matrix_from_anti_wick({(1, 1): np.nan}, 3)
    with pytest.raises(ValueError, match="order must be >= 1"):
        ps.husimi_series_term(psi, KERR, alpha, 0)
    with pytest.raises(ValueError, match="order must be >= 1"):
        ps.truncated_generator(KERR, 3, order=0)
    with pytest.raises(ValueError, match="orders entry"):
        ps.husimi_derivatives(psi, alpha, [(1, -1)])
    with pytest.raises(ValueError, match="orders entry"):
        ps.husimi_derivatives(np.ones((1, 1)), np.zeros((1, 2)), [((1, 0), 0)], n_modes=2)
    with pytest.raises(TypeError, match="dims"):
        ps.mode_operators("3")
    with pytest.raises(ValueError, match="dims"):
        ps.mode_operators((3, 0))


def test_evolve_errors():
    gen = ps.truncated_generator(KERR, 3)
    rho = np.diag([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="generator has shape"):
        ps.evolve_density_matrix(gen, np.eye(2) / 2, [0.0, 1.0])
    with pytest.raises(ValueError, match="uniformly spaced"):
        ps.evolve_density_matrix(gen, rho, [0.0, 0.1, 0.5])
    with pytest.raises(ValueError, match="not Hermitian"):
        ps.evolve_density_matrix(gen, np.triu(np.ones((3, 3))), [0.0, 1.0])
    with pytest.raises(ValueError, match="square"):
        ps.evolve_density_matrix(gen, np.ones(3), [0.0, 1.0])
    with pytest.raises(ValueError, match="times"):
        ps.evolve_density_matrix(gen, rho, [-1.0])


# ----------------------------------------------------------------------------------------------
# diagnostics of the truncated theory and the amplifier series


def test_husimi_of_matrix_matches_husimi_q_and_is_linear():
    rng = np.random.default_rng(5)
    m = rng.normal(size=(9, 9)) + 1j * rng.normal(size=(9, 9))
    rho = m @ m.conj().T
    rho /= np.trace(rho).real
    alpha = rng.normal(size=(4, 3)) + 1j * rng.normal(size=(4, 3))
    got = ps.husimi_of_matrix(rho, alpha)
    assert got.shape == alpha.shape
    assert np.abs(got - ps.husimi_q(rho, alpha)).max() < 1e-14
    # an indefinite matrix (not accepted by husimi_q): linearity
    x = rng.normal(size=(9, 9))
    mix = ps.husimi_of_matrix(rho - 2 * x, alpha)
    assert np.abs(mix - (got - 2 * ps.husimi_of_matrix(x, alpha))).max() < 1e-13
    with pytest.raises(ValueError, match="square"):
        ps.husimi_of_matrix(np.ones((2, 3)), 0.1)


def test_generator_taylor_coefficients_closed_form():
    # H_aw = |α|²: H = a a† = n + 1, exact generator; ⟨a⟩(t) = β e^{−it}: c_k = β(−i)^k/k!
    d, beta = 40, 1.2
    gen = ps.truncated_generator({(1, 1): 1.0}, d, order=None)
    psi = ps.coherent_state(beta, d)
    low = np.diag(np.sqrt(np.arange(1, d)), 1)
    c = ps.generator_taylor_coefficients(gen, np.outer(psi, psi.conj()), low, 5)
    want = np.array([beta * (-1j) ** k / math.factorial(k) for k in range(6)])
    assert np.abs(c - want).max() < 1e-12
    with pytest.raises(ValueError, match="k_max"):
        ps.generator_taylor_coefficients(gen, np.outer(psi, psi.conj()), low, -1)
    with pytest.raises(ValueError, match="generator has shape"):
        ps.generator_taylor_coefficients(gen, np.eye(3), np.eye(3), 1)


# H = n + 0.05 (a + a†)⁴ in anti-Wick form (ordering.anti_wick_symbol), violates Eq. (64)
QUARTIC = {
    (4, 0): 0.05, (0, 4): 0.05, (3, 1): 0.2, (1, 3): 0.2, (2, 2): 0.3,
    (2, 0): -0.3, (0, 2): -0.3, (1, 1): 0.4, (0, 0): -0.85,
}  # fmt: skip


def test_unstable_modes_exact_is_neutral_truncated_quartic_grows_at_cutoff():
    d = 12
    full = ps.truncated_generator(QUARTIC, d, order=None)
    exact = ps.unstable_modes(full, d, n_modes=3)
    assert np.abs(exact["rate"]).max() < 1e3 * EPS * np.abs(full).max() * d
    trunc = ps.unstable_modes(ps.truncated_generator(QUARTIC, d, order=2), d, n_modes=3)
    assert trunc["rate"][0] > 10.0
    assert np.allclose(trunc["level_profile"].sum(axis=1), 1.0)
    assert trunc["weight_top4"][0] > 0.99 and trunc["weight_below_half"][0] < 1e-6
    with pytest.raises(ValueError, match="n_modes"):
        ps.unstable_modes(full, d, n_modes=145)
    with pytest.raises(ValueError, match="generator has shape"):
        ps.unstable_modes(np.eye(4), 3)


def test_amplifier_weight_series_against_quadrature():
    from scipy.integrate import quad
    from scipy.special import erf

    c = np.array([0.4, 1.0]) / math.hypot(0.4, 1.0)

    def f(x):
        return ((c[0] + c[1] * math.sqrt(2) * x) * math.exp(-(x**2) / 2)) ** 2 / math.sqrt(math.pi)

    for x0 in (0.0, -c[0] / (c[1] * math.sqrt(2)), 0.5):
        born = quad(f, x0, np.inf, epsabs=1e-14)[0]
        for r in (1.5, 2.5):
            w = sum(
                quad(
                    lambda x, r=r, x0=x0: f(x) * 0.5 * (1 + erf(np.exp(r) * (x - x0))),
                    lo,
                    hi,
                    epsabs=1e-15,
                    limit=200,
                )[0]
                for lo, hi in ((-np.inf, x0), (x0, np.inf))
            )
            terms = ps.amplifier_weight_series([0.4, 1.0], r, n_terms=3, threshold=x0)[0]
            # two terms leave the third (plus the fourth, ~e^{−8r}) as the error
            assert abs(w - born - terms[:2].sum()) <= 2 * abs(terms[2]) + 1e-13
    with pytest.raises(ValueError, match="squeeze"):
        ps.amplifier_weight_series([1.0], -1.0)
    with pytest.raises(ValueError, match="coefficients"):
        ps.amplifier_weight_series([0.0], 1.0)


def test_oscillator_density_and_heterodyne_weight():
    from scipy.integrate import quad

    c = [0.4, 1.0, 0.3j]
    norm = quad(lambda x: ps.oscillator_density(c, x), -np.inf, np.inf, epsabs=1e-14)[0]
    assert abs(norm - 1) < 1e-12
    # closed form for c = (0.4, 1): (c0 + c1 sqrt2 x)^2 e^{-x^2}/sqrt(pi), normalised
    x = np.linspace(-3, 3, 13)
    c0, c1 = np.array([0.4, 1.0]) / math.hypot(0.4, 1.0)
    want = (c0 + c1 * math.sqrt(2) * x) ** 2 * np.exp(-(x**2)) / math.sqrt(math.pi)
    assert np.abs(ps.oscillator_density([0.4, 1.0], x) - want).max() < 1e-14
    # r -> large: W -> P(x > x0); r = 0 for the vacuum: 1/2 at x0 = 0
    p_right = quad(lambda x: ps.oscillator_density([0.4, 1.0], x), 0, np.inf, epsabs=1e-14)[0]
    assert abs(ps.heterodyne_weight([0.4, 1.0], 12.0) - p_right) < 1e-9
    assert abs(ps.heterodyne_weight([1.0], 0.0) - 0.5) < 1e-13
    with pytest.raises(ValueError, match="squeeze"):
        ps.heterodyne_weight([1.0], -0.1)
