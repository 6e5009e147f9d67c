"""Collapse toy model (paper 003): σ's and outcomes vs loops, Born's rule, the master equation
against closed forms, the exact propagator and QuTiP, the Appendix rates, and bad input."""

import itertools

import numpy as np
import pytest
import qutip
import scipy.linalg
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qfcore import collapse as cl
from qfcore import signalling, states


def random_hermitian(rng, n, scale=1.0):
    h = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return scale * (h + h.conj().T) / 2


def random_unitary(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


# ----------------------------------------------------------------------------------------------
# slow references, transcribed from the paper sample by sample


def reference_sigma(beta, lam):
    """Eq. (13) with plain Python floats: σ_K = |β_K λ_K|² − Σ_{I<K} |β_I|² (1 − |λ_K|²)."""
    p = [abs(b) ** 2 for b in beta]
    out = []
    below = p[0]
    for k in range(1, len(p)):
        l2 = lam[k - 1].real ** 2 + lam[k - 1].imag ** 2
        out.append(l2 * p[k] - (1.0 - l2) * below)
        below += p[k]
    return out


def reference_outcome(beta, lam):
    """Section 2.2: from K = N down, the first K with σ_K > 0; else K = 1 (0-based)."""
    sig = reference_sigma(beta, lam)
    for k in range(len(beta) - 1, 0, -1):
        if sig[k - 1] > 0:
            return k
    return 0


def reference_asymptote(sig):
    """Absorbing level of the jump graph of Eq. (14) found by following jumps (H = 0)."""
    n = len(sig) + 1
    jumps = {b: [] for b in range(n)}
    for k in range(1, n):
        for m in range(k):
            if sig[k - 1] > 0:
                jumps[m].append(k)
            else:
                jumps[k].append(m)
    absorbing = [b for b in range(n) if not jumps[b]]
    assert len(absorbing) == 1
    # every level reaches it
    for start in range(n):
        seen, todo = {start}, [start]
        while todo:
            for a in jumps[todo.pop()]:
                if a not in seen:
                    seen.add(a)
                    todo.append(a)
        assert absorbing[0] in seen
    return absorbing[0]


def exact_rho(rho0, h, ops, kappa, times):
    sup = cl.liouvillian(h, ops, kappa)
    vec = rho0.reshape(-1, order="F")
    n = rho0.shape[0]
    return np.stack([(scipy.linalg.expm(sup * t) @ vec).reshape(n, n, order="F") for t in times])


# ----------------------------------------------------------------------------------------------
# σ's and outcomes


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_sigmas_and_outcome_match_loops(n):
    rng = np.random.default_rng(n)
    beta = np.array([states.random_state(n, rng=rng) for _ in range(300)])
    lam = cl.sample_disk((300, n - 1), rng=rng)
    values = cl.sigma_values(beta, lam)
    ref = np.array([reference_sigma(b, x) for b, x in zip(beta, lam, strict=True)])
    # the kernel may fuse multiply-adds (LLVM), so values agree to rounding, not bitwise
    np.testing.assert_allclose(values, ref, rtol=0, atol=1e-15)
    assert np.abs(ref).min() > 1e-12  # no near-ties, so the signs must agree exactly
    np.testing.assert_array_equal(cl.sigmas(beta, lam), np.where(ref > 0, 1.0, -1.0))
    out = cl.outcome(beta, lam)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(
        out, [reference_outcome(b, x) for b, x in zip(beta, lam, strict=True)]
    )
    # the outcome is the absorbing level of the jump graph
    sig = cl.sigmas(beta, lam)
    assert all(reference_asymptote(s) == o for s, o in zip(sig[:50], out[:50], strict=True))


def test_broadcasting_over_leading_axes():
    rng = np.random.default_rng(1)
    beta = states.random_state(4, rng=rng)
    lam = cl.sample_disk((3, 5, 3), rng=rng)
    out = cl.outcome(beta, lam)
    assert out.shape == (3, 5)
    assert cl.sigmas(beta, lam).shape == (3, 5, 3)
    flat = cl.outcome(np.broadcast_to(beta, (15, 4)), lam.reshape(15, 3))
    np.testing.assert_array_equal(out.ravel(), flat)
    betas = np.array([states.random_state(4, rng=rng) for _ in range(5)])  # (5, 4) vs (3, 5, 3)
    np.testing.assert_array_equal(
        cl.outcome(betas, lam)[2],
        [reference_outcome(b, x) for b, x in zip(betas, lam[2], strict=True)],
    )
    assert cl.outcome(beta, lam[0, 0]).shape == ()


def test_sigma_threshold_form_eq18():
    """σ_K > 0 ⟺ |λ_K|² > S_{K−1}/S_K (Eqs. (11), (18)); σ_2 = |λ_2|² − q² for Eq. (27)."""
    rng = np.random.default_rng(2)
    beta = states.random_state(6, rng=rng)
    lam = cl.sample_disk((2000, 5), rng=rng)
    s = np.cumsum(np.abs(beta) ** 2)
    np.testing.assert_array_equal(cl.sigmas(beta, lam) > 0, np.abs(lam) ** 2 > s[:-1] / s[1:])
    q = 0.6
    singlet = np.array([q, -np.sqrt(1 - q**2), 0, 0])
    lam4 = cl.sample_disk((100, 3), rng=rng)
    expected = np.stack([np.abs(lam4[:, 0]) ** 2 - q**2, *(np.abs(lam4[:, 1:].T) ** 2 - 1)], 1)
    np.testing.assert_allclose(cl.sigma_values(singlet, lam4), expected, atol=1e-15)


def test_tie_sigma_zero_counts_as_negative():
    beta = np.array([0.0, 1.0])
    assert cl.sigma_values(beta, [0.0])[0] == 0.0
    assert cl.sigmas(beta, [0.0])[0] == -1.0
    assert cl.outcome(beta, [0.0]) == 0
    ops = cl.lindblad_operators([0.0])
    np.testing.assert_array_equal(ops[0], [[0, 1], [0, 0]])  # |χ_1⟩⟨χ_2|: down


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 7),
    seed=st.integers(0, 2**31 - 1),
    zeros=st.lists(st.booleans(), min_size=7, max_size=7),
)
def test_outcome_matches_loop_property(n, seed, zeros):
    """Also with vanishing amplitudes (empty levels are never selected unless all below vanish)."""
    rng = np.random.default_rng(seed)
    beta = states.random_state(n, rng=rng)
    beta[np.array(zeros[:n])] = 0
    if not np.any(beta):
        beta[-1] = 1
    beta = beta / np.linalg.norm(beta)
    lam = cl.sample_disk((20, n - 1), rng=rng)
    out = cl.outcome(beta, lam)
    np.testing.assert_array_equal(out, [reference_outcome(beta, x) for x in lam])
    assert np.all(np.abs(beta[out]) > 0)
    prob = cl.outcome_probabilities(beta)
    np.testing.assert_allclose(prob, np.abs(beta) ** 2, atol=1e-14)


# ----------------------------------------------------------------------------------------------
# Born's rule and Eq. (22)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8])
def test_born_frequencies_within_four_standard_errors(n):
    rng = np.random.default_rng(100 + n)
    psi = states.random_state(n, rng=rng)
    n_samples = 200_000
    freq, err = cl.born_frequencies(psi, n_samples, rng=rng)
    born = np.abs(psi) ** 2
    se = np.sqrt(born * (1 - born) / n_samples)
    assert np.all(np.abs(freq - born) < 4 * se)
    np.testing.assert_allclose(err, se, rtol=0.05)
    assert freq.sum() == pytest.approx(1.0)


def test_born_two_levels_eq12_sweep():
    """P(|2⟩) = |α_2|² for a sweep of |α_2|² (Eqs. (10)–(12)), chi-square over the sweep."""
    rng = np.random.default_rng(5)
    chi2 = 0.0
    p2 = np.linspace(0.05, 0.95, 10)
    for p in p2:
        freq, _ = cl.born_frequencies([np.sqrt(1 - p), np.sqrt(p) * 1j], 50_000, rng=rng)
        chi2 += (freq[1] - p) ** 2 / (p * (1 - p) / 50_000)
    assert stats.chi2.sf(chi2, df=len(p2)) > 1e-3


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_telescoping_product_eq22_sympy(n):
    p = sp.symbols(f"p1:{n + 1}", positive=True)
    for k in range(1, n + 1):
        assert sp.simplify(cl.born_product(n, k) - p[k - 1] / sum(p)) == 0
    # the factors are probabilities that sum to one
    assert sp.simplify(sum(cl.born_product(n, k) for k in range(1, n + 1)) - 1) == 0


def test_telescoping_product_eq22_numerically():
    rng = np.random.default_rng(7)
    for n in range(2, 9):
        beta = states.random_state(n, rng=rng)
        p = np.abs(beta) ** 2
        s = np.cumsum(p)
        for k in range(n):  # 0-based K − 1
            product = np.prod([1 - p[j] / s[j] for j in range(k + 1, n)])
            product *= p[k] / s[k] if k > 0 else 1.0
            assert product == pytest.approx(p[k], rel=1e-12)
        np.testing.assert_allclose(cl.outcome_probabilities(beta), p, rtol=1e-12)
    value = cl.born_product(4, 2).subs(
        dict(zip(sp.symbols("p1:5", positive=True), p[:4], strict=True))
    )
    assert float(value) == pytest.approx(p[1] / p[:4].sum(), rel=1e-12)


def test_basis_order_changes_outcomes_not_distribution():
    rng = np.random.default_rng(8)
    psi = states.random_state(5, rng=rng)
    perm = np.array([3, 0, 4, 1, 2])
    lam = cl.sample_disk((200_000, 4), rng=rng)
    a = cl.outcome(psi, lam)
    b = perm[cl.outcome(psi[perm], lam)]
    assert np.mean(a != b) > 0.1  # individual λ give different results
    fa = np.bincount(a, minlength=5) / a.size
    fb = np.bincount(b, minlength=5) / b.size
    se = np.sqrt(2 * np.abs(psi) ** 2 * (1 - np.abs(psi) ** 2) / a.size)
    assert np.all(np.abs(fa - fb) < 4 * se + 1e-12)


# ----------------------------------------------------------------------------------------------
# hidden-variable densities


def test_sample_disk_uniform():
    lam = cl.sample_disk((50_000,), rng=11)
    assert lam.shape == (50_000,) and lam.dtype == complex
    assert np.all(np.abs(lam) <= 1)
    assert stats.kstest(np.abs(lam) ** 2, "uniform").pvalue > 1e-3
    assert stats.kstest(np.angle(lam), stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 1e-3
    assert cl.sample_disk(3, rng=0).shape == (3,)
    np.testing.assert_array_equal(cl.sample_disk((2, 4), rng=5), cl.sample_disk((2, 4), rng=5))


def test_sample_disk_with_density():
    a = 3.0
    lam = cl.sample_disk(100_000, rng=12, density=lambda r: r**a)
    r = np.abs(lam)
    # planar density r^a: the radius has pdf (a+2) r^(a+1), CDF r^(a+2)
    assert stats.kstest(r, lambda x: np.clip(x, 0, 1) ** (a + 2)).pvalue > 1e-3
    flat = cl.sample_disk(100_000, rng=12, density=lambda r: np.ones_like(r))
    assert stats.kstest(np.abs(flat) ** 2, "uniform").pvalue > 1e-3


def test_outcome_probabilities_with_density_match_monte_carlo():
    """Skewed λ break Born's rule (Conclusion); exact probabilities agree with sampling."""
    rng = np.random.default_rng(13)
    psi = states.random_state(4, rng=rng)

    def density(r):
        return np.exp(3 * r)

    prob = cl.outcome_probabilities(psi, density=density)
    assert prob.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.abs(prob - np.abs(psi) ** 2).max() > 0.05

    # closed form for exp(3r): radial CDF ∝ ∫ r e^{3r} dr
    def radial_cdf(x):
        f = lambda s: np.exp(3 * s) * (3 * s - 1) / 9  # noqa: E731
        return (f(x) - f(0)) / (f(1) - f(0))

    p = np.abs(psi) ** 2
    s = np.cumsum(p)
    up = 1 - radial_cdf(np.sqrt(s[:-1] / s[1:]))
    exact = [np.prod(1 - up)] + [up[k - 1] * np.prod(1 - up[k:]) for k in range(1, 4)]
    np.testing.assert_allclose(prob, exact, atol=1e-8)
    freq, _ = cl.born_frequencies(psi, 200_000, rng=rng, density=density)
    se = np.sqrt(prob * (1 - prob) / 200_000)
    assert np.all(np.abs(freq - prob) < 4 * se)


# ----------------------------------------------------------------------------------------------
# Lindblad operators and the Appendix rates


def test_lindblad_operators_structure():
    rng = np.random.default_rng(20)
    n = 5
    sig = np.array([1.0, -1.0, -1.0, 1.0])
    ops = cl.lindblad_operators(sig)
    pairs = cl.operator_pairs(n)
    assert ops.shape == (n * (n - 1) // 2, n, n)
    assert [tuple(x) for x in pairs[:4]] == [(1, 0), (2, 0), (2, 1), (3, 0)]
    for op, (k, m) in zip(ops, pairs, strict=True):
        expected = np.zeros((n, n))
        if sig[k - 1] > 0:
            expected[k, m] = 1
        else:
            expected[m, k] = 1
        np.testing.assert_array_equal(op, expected)
    u = random_unitary(rng, n)
    rotated = cl.lindblad_operators(sig, basis=u)
    for op, rot, (k, m) in zip(ops, rotated, pairs, strict=True):
        np.testing.assert_allclose(rot, u @ op @ u.conj().T, atol=1e-14)
        src, dst = (m, k) if sig[k - 1] > 0 else (k, m)
        np.testing.assert_allclose(rot @ u[:, src], u[:, dst], atol=1e-14)  # |χ_src⟩ → |χ_dst⟩
    assert cl.lindblad_operators(np.ones((3, 2, 4))).shape == (3, 2, 10, 5, 5)


def theta(x):
    return 1.0 if x > 0 else 0.0


def test_rate_matrix_is_eqs_40_to_43_and_decay_rates_eq_46():
    for signs in np.array(np.meshgrid(*[[-1.0, 1.0]] * 3)).T.reshape(-1, 3):
        s2, s3, s4 = signs
        t, tm = theta, lambda x: theta(-x)
        eqs = np.array(
            [
                [-(t(s2) + t(s3) + t(s4)), tm(s2), tm(s3), tm(s4)],
                [t(s2), -(tm(s2) + t(s3) + t(s4)), tm(s3), tm(s4)],
                [t(s3), t(s3), -(2 * tm(s3) + t(s4)), tm(s4)],
                [t(s4), t(s4), t(s4), -3 * tm(s4)],
            ]
        )
        np.testing.assert_array_equal(cl.rate_matrix(signs), eqs)
        sig = {2: s2, 3: s3, 4: s4}
        lam = cl.decay_rates(signs)
        for i in range(1, 5):
            for j in range(1, 5):
                if i == j:
                    continue
                eq46 = sum(t(sig[m]) for m in range(j + 1, 5)) + sum(
                    t(sig[m]) for m in range(i + 1, 5)
                )
                eq46 += (j - 1) * tm(sig[j]) if j > 1 else 0
                eq46 += (i - 1) * tm(sig[i]) if i > 1 else 0
                assert lam[i - 1, j - 1] == eq46


def test_collapse_solution_matches_exact_propagator():
    rng = np.random.default_rng(21)
    n = 4
    psi = states.random_state(n, rng=rng)
    rho0 = np.outer(psi, psi.conj())
    times = np.linspace(0, 3, 7)
    for sig in ([1.0, -1.0, 1.0], [-1.0, -1.0, -1.0], [1.0, 1.0, -1.0]):
        ops = cl.lindblad_operators(sig)
        ref = exact_rho(rho0, np.zeros((n, n)), ops, 0.7, times)
        np.testing.assert_allclose(cl.collapse_solution(psi, sig, 0.7, times), ref, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# the master equation


def test_evolve_two_level_asymptotes_eqs_8_9():
    psi = np.array([0.6, 0.8j])
    lam = np.array([[0.5], [0.9]])  # |λ|² = 0.25 < 0.36 (σ_2 < 0), 0.81 > 0.36 (σ_2 > 0)
    ds = cl.evolve(psi, np.zeros((2, 2)), 2.0, lam, [0.0, 1.0, 20.0])
    np.testing.assert_array_equal(ds.sigma.values[:, 0], [-1.0, 1.0])
    np.testing.assert_allclose(ds.rho.values[0, -1], [[1, 0], [0, 0]], atol=1e-9)
    np.testing.assert_allclose(ds.rho.values[1, -1], [[0, 0], [0, 1]], atol=1e-9)
    # the amplitude-damping closed form at an intermediate time (Eqs. (56)–(57), (47))
    for s, sig in enumerate([-1.0, 1.0]):
        np.testing.assert_allclose(
            ds.rho.values[s], cl.collapse_solution(psi, [sig], 2.0, [0.0, 1.0, 20.0]), atol=1e-10
        )
    assert ds.rho.dims == ("sample", "time", "row", "col")
    assert ds.attrs["kappa"] == 2.0 and ds.attrs["rtol"] == 1e-10


def test_evolve_general_n_asymptote_is_the_outcome():
    rng = np.random.default_rng(30)
    n = 6
    psi = states.random_state(n, rng=rng)
    lam = cl.sample_disk((12, n - 1), rng=rng)
    ds = cl.evolve(psi, np.zeros((n, n)), 1.0, lam, [0.0, 60.0])
    out = cl.outcome(psi, lam)
    np.testing.assert_array_equal(ds.outcome.values, out)
    final = ds.rho.values[:, -1]
    for s in range(12):
        target = np.zeros((n, n))
        target[out[s], out[s]] = 1
        np.testing.assert_allclose(final[s], target, atol=1e-9)


def test_evolve_preserves_trace_hermiticity_positivity():
    rng = np.random.default_rng(31)
    n = 4
    psi = states.random_state(n, rng=rng)
    mixed = 0.7 * np.outer(psi, psi.conj()) + 0.3 * np.eye(n) / n
    lam = cl.sample_disk((8, n - 1), rng=rng)
    ds = cl.evolve(mixed, random_hermitian(rng, n, 2.0), 1.5, lam, np.linspace(0, 5, 26))
    rho = ds.rho.values
    np.testing.assert_allclose(np.einsum("stii->st", rho), 1.0, atol=1e-9)
    np.testing.assert_allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), atol=1e-9)
    herm = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2
    assert np.linalg.eigvalsh(herm).min() > -1e-9


def test_evolve_matches_exact_propagator_for_a_batch():
    rng = np.random.default_rng(32)
    n = 3
    psi = states.random_state(n, rng=rng)
    h = random_hermitian(rng, n)
    u = random_unitary(rng, n)
    lam = cl.sample_disk((16, n - 1), rng=rng)
    times = np.linspace(0, 4, 9)
    ds = cl.evolve(psi, h, 0.8, lam, times, basis=u, detection_time=1.3)
    # σ's from the Hamiltonian-only amplitudes at t_d in the detector basis (Eq. (7))
    beta = u.conj().T @ scipy.linalg.expm(-1.3j * h) @ psi
    np.testing.assert_array_equal(ds.sigma.values, cl.sigmas(beta, lam))
    rho0 = np.outer(psi, psi.conj())
    for s in range(16):
        ops = cl.lindblad_operators(ds.sigma.values[s], basis=u)
        ref = exact_rho(rho0, h, ops, 0.8, times)
        np.testing.assert_allclose(ds.rho.values[s], ref, atol=1e-9)


def test_evolve_matches_qutip_mesolve():
    rng = np.random.default_rng(33)
    n = 4
    psi = states.random_state(n, rng=rng)
    h = random_hermitian(rng, n)
    lam = cl.sample_disk(n - 1, rng=rng)
    beta = states.random_state(n, rng=rng)
    times = np.linspace(0, 3, 13)
    ds = cl.evolve(psi, h, 1.2, lam, times, beta=beta)
    ops = cl.lindblad_operators(cl.sigmas(beta, lam))
    res = qutip.mesolve(
        qutip.Qobj(h),
        qutip.ket2dm(qutip.Qobj(psi.reshape(-1, 1))),
        times,
        c_ops=[np.sqrt(1.2) * qutip.Qobj(op) for op in ops],
        options={"rtol": 1e-11, "atol": 1e-13, "nsteps": 100_000},
    )
    ref = np.stack([state.full() for state in res.states])
    np.testing.assert_allclose(ds.rho.values[0], ref, atol=1e-8)


def test_singlet_closed_forms_eqs_31_33():
    q = 0.6
    rho0 = np.zeros((4, 4))
    rho0[0, 0], rho0[1, 1] = q**2, 1 - q**2
    rho0[0, 1] = rho0[1, 0] = -q * np.sqrt(1 - q**2)  # Eq. (28)
    times = np.linspace(0, 4, 9)
    psi = np.array([q, -np.sqrt(1 - q**2), 0, 0])  # Eq. (27) in the paper's labels
    lam = np.array([[0.5, 0.9, 0.3], [0.7, 0.2, 0.99]])  # σ_2 = |λ_2|² − q² < 0, > 0
    ds = cl.evolve(rho0, np.zeros((4, 4)), 1.0, lam, times)
    np.testing.assert_array_equal(ds.sigma.values, [[-1, -1, -1], [1, -1, -1]])
    for s, sig in enumerate([-1.0, 1.0]):
        np.testing.assert_allclose(
            ds.rho.values[s], cl.singlet_density(q, sig, 1.0, times), atol=1e-10
        )
    avg = cl.singlet_average(q, 1.0, times)
    np.testing.assert_allclose(avg[:, 0, 0], q**2, atol=1e-15)
    np.testing.assert_allclose(avg[:, 1, 1], 1 - q**2, atol=1e-15)
    np.testing.assert_allclose(avg[:, 0, 1], -q * np.sqrt(1 - q**2) * np.exp(-times / 2))
    # λ-average by Monte Carlo over the closed form agrees with Eq. (33)
    sig2 = cl.sigmas(psi, cl.sample_disk((100_000, 3), rng=3))[:, 0]
    frac_up = np.mean(sig2 > 0)
    assert abs(frac_up - (1 - q**2)) < 4 * np.sqrt(q**2 * (1 - q**2) / 100_000)


# ----------------------------------------------------------------------------------------------
# errors


def test_errors():
    psi = np.array([0.6, 0.8])
    with pytest.raises(ValueError, match="unit disk"):
        cl.sigmas(psi, [1.5])
    with pytest.raises(ValueError, match="not normalised"):
        cl.outcome([1.0, 1.0], [0.1])
    with pytest.raises(ValueError, match="N-1"):
        cl.outcome(psi, [0.1, 0.2])
    with pytest.raises(ValueError, match="broadcast"):
        cl.outcome(np.tile(psi, (3, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="N >= 2"):
        cl.sigmas([1.0], [0.1])
    with pytest.raises(ValueError, match="non-finite"):
        cl.sigmas(psi, [np.nan])
    with pytest.raises(TypeError, match="numeric"):
        cl.sigmas(psi, ["a"])
    with pytest.raises(ValueError, match="kappa"):
        cl.evolve(psi, np.zeros((2, 2)), 0.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="Hermitian"):
        cl.evolve(psi, [[0, 1], [0, 0]], 1.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="shape \\(2, 2\\)"):
        cl.evolve(psi, np.zeros((3, 3)), 1.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="not normalised"):
        cl.evolve([1.0, 1.0], np.zeros((2, 2)), 1.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="Tr rho0"):
        cl.evolve(np.eye(2), np.zeros((2, 2)), 1.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="negative eigenvalue"):
        cl.evolve([[1.5, 0], [0, -0.5]], np.zeros((2, 2)), 1.0, [0.1], [0, 1])
    with pytest.raises(ValueError, match="unit disk"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [1.1j], [0, 1])
    with pytest.raises(ValueError, match="N-1 = 1"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1, 0.1], [0, 1])
    with pytest.raises(ValueError, match="beta must have shape"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1], [0, 1], beta=[1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="unitary"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1], [0, 1], basis=2 * np.eye(2))
    with pytest.raises(ValueError, match="strictly increasing"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1], [1, 0])
    with pytest.raises(ValueError, match="detection_time"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1], [0, 1], detection_time=-1.0)
    with pytest.raises(ValueError, match="rtol"):
        cl.evolve(psi, np.zeros((2, 2)), 1.0, [0.1], [0, 1], rtol=0)
    with pytest.raises(ValueError, match="n_samples"):
        cl.born_frequencies(psi, 0)
    with pytest.raises(TypeError, match="n_samples"):
        cl.born_frequencies(psi, 10.0)
    with pytest.raises(ValueError, match="not normalised"):
        cl.born_frequencies([1.0, 1.0], 10)
    with pytest.raises(TypeError, match="rng"):
        cl.sample_disk(3, rng="seed")
    with pytest.raises(ValueError, match="shape entries"):
        cl.sample_disk((3, -1))
    with pytest.raises(TypeError, match="callable"):
        cl.sample_disk(3, density=2.0)
    with pytest.raises(ValueError, match=">= 0"):
        cl.sample_disk(3, density=lambda r: r - 0.5)
    with pytest.raises(ValueError, match="integrates to 0"):
        cl.sample_disk(3, density=lambda r: 0 * r)
    with pytest.raises(TypeError, match="real"):
        cl.lindblad_operators([1j])
    with pytest.raises(ValueError, match="shape \\(3, 3\\)"):
        cl.lindblad_operators([1.0, 1.0], basis=np.eye(2))
    with pytest.raises(ValueError, match="sigma must have shape"):
        cl.collapse_solution(psi, [1.0, 1.0], 1.0, [0, 1])
    with pytest.raises(ValueError, match="q must lie"):
        cl.singlet_density(1.5, 1.0, 1.0, [0, 1])
    with pytest.raises(ValueError, match="k must be"):
        cl.born_product(3, 4)
    with pytest.raises(ValueError, match="n must be"):
        cl.operator_pairs(1)


def test_liouvillian_matches_qutip_and_preserves_trace():
    rng = np.random.default_rng(11)
    n = 3
    m = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    h = m + m.conj().T
    ops = cl.lindblad_operators(np.array([1.0, -1.0]))
    sup = cl.liouvillian(h, ops, 0.7)
    ref = qutip.liouvillian(qutip.Qobj(h), [np.sqrt(0.7) * qutip.Qobj(op) for op in ops])
    np.testing.assert_allclose(sup, ref.full(), atol=1e-13)  # QuTiP stacks columns too
    # trace preservation: vec(1)^T L = 0
    np.testing.assert_allclose(np.eye(n).reshape(-1, order="F") @ sup, 0, atol=1e-13)


def test_liouvillian_errors():
    ops = cl.lindblad_operators(np.array([1.0]))
    with pytest.raises(ValueError, match="operators must have shape"):
        cl.liouvillian(np.eye(2), ops[0], 1.0)
    with pytest.raises(ValueError, match="kappa must be"):
        cl.liouvillian(np.eye(2), ops, 0.0)
    with pytest.raises(ValueError, match="Hermitian"):
        cl.liouvillian(np.array([[0, 1], [0, 0]]), ops, 1.0)


def test_sign_patterns_realise_their_signs_and_weights():
    beta = states.random_state(4, rng=4)
    signs, weight, lam = cl.sign_patterns(beta)
    np.testing.assert_array_equal(cl.sigmas(beta, lam), signs)
    assert weight.sum() == pytest.approx(1.0, abs=1e-14)
    # P(outcome K) = P(sigma_K > 0 and sigma_M <= 0 for M > K): Eq. (22) in closed form
    outcomes = cl.outcome(beta, lam)
    by_outcome = np.bincount(outcomes, weights=weight, minlength=4)
    np.testing.assert_allclose(by_outcome, cl.outcome_probabilities(beta), atol=1e-14)


def test_lambda_average_collapses_to_born_populations():
    """H = 0: the averaged state ends diagonal with Born weights (every pattern collapses to its
    outcome, weighted as in Eq. (22)); at t = 0 it is rho0."""
    psi = states.random_state(3, rng=8)
    res = cl.lambda_average(psi, np.zeros((3, 3)), 1.0, [0.0, 60.0])
    np.testing.assert_allclose(res.rho[0], np.outer(psi, psi.conj()), atol=1e-12)
    np.testing.assert_allclose(res.rho[-1], np.diag(np.abs(psi) ** 2), atol=1e-9)
    assert res.patterns.sizes["sample"] == res.weight.size <= 4


def test_sign_patterns_errors():
    with pytest.raises(ValueError, match="one vector"):
        cl.sign_patterns(np.eye(2))
    with pytest.raises(ValueError, match="not normalised"):
        cl.sign_patterns([1.0, 1.0])


@pytest.mark.parametrize("n", [3, 4, 6])
def test_order_average_gives_born_for_uniform_and_r2_densities_only(n):
    rng = np.random.default_rng(300 + n)
    for _ in range(3):
        psi = states.random_state(n, rng=rng)
        born = np.abs(psi) ** 2
        uniform = cl.order_averaged_probabilities(psi)
        np.testing.assert_allclose(uniform, born, atol=1e-13)
        r2 = cl.order_averaged_probabilities(psi, density=lambda r: r**2)
        np.testing.assert_allclose(r2, born, atol=1e-7)  # radial CDF tabulation error ~1e-8
        # a fixed order with the same density is not Born: the average is what restores it
        assert np.abs(cl.outcome_probabilities(psi, density=lambda r: r**2) - born).max() > 1e-2
        # |λ|² ~ x³ for density ∝ r⁴: the Shapley value of (Σ p)³, which is not Born
        r4 = cl.order_averaged_probabilities(psi, density=lambda r: r**4)
        np.testing.assert_allclose(r4, signalling.power_law_shapley(psi, 3), atol=1e-7)
        assert np.abs(r4 - born).max() > 1e-3
        assert r4.sum() == pytest.approx(1.0, abs=1e-12)


def test_order_average_refuses_batches_and_too_many_levels():
    with pytest.raises(ValueError, match="one state"):
        cl.order_averaged_probabilities(np.full((2, 2), np.sqrt(0.5)))
    n = cl.MAX_ORDER_LEVELS + 1
    with pytest.raises(ValueError, match="too costly above"):
        cl.order_averaged_probabilities(np.full(n, 1 / np.sqrt(n)))
    with pytest.raises(TypeError, match="callable"):
        cl.order_averaged_probabilities(np.sqrt([0.5, 0.5]), density=2.0)


# ----------------------------------------------------------------------------------------------
# the pair of Section 4.4 with rotated detectors


def quantum_up(q, theta, party):
    """Quantum marginal of Eq. (27): Alice up along z with q^2, Bob with 1 - q^2."""
    w = q**2 if party == "alice" else 1 - q**2
    return w * np.cos(theta / 2) ** 2 + (1 - w) * np.sin(theta / 2) ** 2


def test_pair_basis_is_orthogonal_and_in_eq27_order():
    for ta, tb in [(0.0, 0.0), (0.4, 2.1), (np.pi, 1.0)]:
        u = cl.pair_basis(ta, tb)
        np.testing.assert_allclose(u.T @ u, np.eye(4), atol=1e-14)
    beta = cl.pair_basis(0.0, 0.0).T @ cl.pair_state(0.6)
    np.testing.assert_allclose(beta, [0.6, -0.8, 0.0, 0.0], atol=1e-15)  # q|1> - s|2>, Eq. (27)
    np.testing.assert_allclose(cl.spin_states(0.7).T @ cl.spin_states(0.7), np.eye(2), atol=1e-15)


@pytest.mark.parametrize("party", ["alice", "bob"])
def test_pair_marginals_are_quantum_for_uniform_and_r2_averaged(party):
    rng = np.random.default_rng(11)
    for _ in range(4):
        q, ta, tb = rng.uniform(0.1, 0.9), rng.uniform(0, np.pi), rng.uniform(0, np.pi)
        own = ta if party == "alice" else tb
        expected = quantum_up(q, own, party)
        assert cl.pair_up_probability(q, ta, tb, party=party) == pytest.approx(expected, abs=1e-13)
        psi = cl.pair_state(q)
        assert cl.pair_up_population(np.outer(psi, psi), own, party) == pytest.approx(
            expected, abs=1e-13
        )
        avg = cl.pair_up_probability(
            q, ta, tb, party=party, density=lambda r: r**2, average_orders=True
        )
        assert avg == pytest.approx(expected, abs=1e-7)


def test_pair_bob_at_pi_is_a_relabelling_of_bob_at_zero():
    # columns of pair_basis(0, pi) are +-columns [3, 2, 1, 0] of pair_basis(0, 0)
    np.testing.assert_allclose(
        np.abs(cl.pair_basis(0.0, np.pi)),
        np.abs(cl.pair_basis(0.0, 0.0)[:, [3, 2, 1, 0]]),
        atol=1e-15,
    )
    relabel = np.array([3, 2, 1, 0])
    dens = lambda r: r**3  # noqa: E731
    for order in itertools.permutations(range(4)):
        at_pi = cl.pair_up_probability(0.6, 0.0, np.pi, density=dens, order=order)
        at_zero = cl.pair_up_probability(0.6, 0.0, 0.0, density=dens, order=relabel[list(order)])
        assert at_pi == pytest.approx(at_zero, abs=1e-12)
    # the fixed order of Eq. (27) gives different numbers at 0 and pi; the order average does not
    fixed = [cl.pair_up_probability(0.6, 0.0, t, density=dens) for t in (0.0, np.pi)]
    assert abs(fixed[1] - fixed[0]) > 0.05
    avg = [
        cl.pair_up_probability(0.6, 0.0, t, density=dens, average_orders=True) for t in (0, np.pi)
    ]
    assert avg[1] == pytest.approx(avg[0], abs=1e-12)


def test_small_angle_expansion_selects_affine_densities():
    F, x, eta, c0, c1 = cl.pair_small_angle_expansion()
    u = sp.Symbol("u")
    for cdf, born, silent in [
        (u, True, True),
        (u**2, True, True),
        (u + sp.Rational(1, 3) * (u**2 - u), True, True),  # planar density affine in |lambda|^2
        (u**3, False, False),
    ]:
        f = sp.Lambda(u, cdf)
        assert (sp.simplify(c0.replace(F, f).doit() - x) == 0) is born
        assert (sp.simplify(c1.replace(F, f).doit()) == 0) is silent
    # the expansion agrees with the exact order average at a small angle (independent method)
    q, eta_val = 0.6, 1e-4
    dens = lambda r: r**4  # noqa: E731  |lambda|^2 has CDF u^3
    exact = cl.pair_up_probability(
        q, 0.0, 2 * np.arcsin(np.sqrt(eta_val)), density=dens, average_orders=True
    )
    series = (c0 + eta * c1).replace(F, sp.Lambda(u, u**3)).doit().subs({x: q**2, eta: eta_val})
    assert exact == pytest.approx(float(series), abs=1e-7)


def test_pair_errors():
    with pytest.raises(ValueError, match="party must be"):
        cl.pair_up_probability(0.6, 0.0, 0.0, party="carol")
    with pytest.raises(ValueError, match="permutation"):
        cl.pair_up_probability(0.6, 0.0, 0.0, order=(0, 0, 1, 2))
    with pytest.raises(ValueError, match="q must lie in"):
        cl.pair_state(1.5)
    with pytest.raises(ValueError, match="theta must be finite"):
        cl.spin_states(np.nan)
    with pytest.raises(TypeError, match="theta_b must be a real angle"):
        cl.pair_basis(0.0, "z")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4, 4\)"):
        cl.pair_up_population(np.eye(2))


# ----------------------------------------------------------------------------------------------
# the Appendix in symbols


def _assignments(theta):
    keys = list(theta.values())
    return [dict(zip(keys, bits, strict=True)) for bits in itertools.product((0, 1), repeat=3)]


def test_appendix_equations_derive_eqs_40_to_46():
    eqs = cl.appendix_equations()
    assert eqs.populations_agree and eqs.coherences_agree
    assert eqs.dissipator.shape == (4, 4) and len(eqs.populations) == 4
    # the Lindblad equation preserves the trace for every sign pattern: the populations sum to 0
    for b in _assignments(eqs.theta):
        assert sp.expand(sum(eqs.populations).subs(b)) == 0
    # sigma_2 > 0 only (theta_2 = 1): Eq. (40) drains level 1 at rate 1 into level 2
    only2 = {eqs.theta[2]: 1, eqs.theta[3]: 0, eqs.theta[4]: 0}
    assert sp.expand(eqs.dissipator[0, 0].subs(only2)).coeff(eqs.r[0, 0]) == -1
    # the printed dagger placement moves no population, so Eqs. (40)-(43) do not follow from it
    wrong = cl.appendix_equations(printed=True)
    assert not wrong.populations_agree and not wrong.coherences_agree


def test_dissipator_sympy_matches_numeric_liouvillian():
    theta, r = cl.appendix_symbols(3)
    rng = np.random.default_rng(4)
    psi = states.random_state(3, rng=rng)
    rho = np.outer(psi, psi.conj())
    rhs = cl.dissipator_sympy(3)
    for signs in itertools.product((1.0, -1.0), repeat=2):
        sub = {theta[2]: int(signs[0] > 0), theta[3]: int(signs[1] > 0)}
        sub.update({r[i, j]: rho[i, j] for i in range(3) for j in range(3)})
        symbolic = np.array(rhs.subs(sub).evalf(), dtype=complex)
        sup = cl.liouvillian(np.zeros((3, 3)), cl.lindblad_operators(signs), 1.0)
        numeric = (sup @ rho.reshape(-1, order="F")).reshape(3, 3, order="F")
        np.testing.assert_allclose(symbolic, numeric, atol=1e-13)


def test_printed_dagger_placement_moves_no_population():
    theta = cl.appendix_symbols(4)[0]
    printed = cl.dissipator_sympy(4, printed=True)
    standard = cl.dissipator_sympy(4)
    for b in _assignments(theta):
        assert all(sp.expand(printed[k, k].subs(b)) == 0 for k in range(4))
        assert any(sp.expand(standard[k, k].subs(b)) != 0 for k in range(4))


def test_appendix_errors():
    with pytest.raises(ValueError, match="n must be >= 2"):
        cl.appendix_symbols(1)
    with pytest.raises(ValueError, match="coherences"):
        cl.printed_decay_rate(2, 2)
    with pytest.raises(ValueError, match="i must be < 5"):
        cl.printed_decay_rate(5, 1)


def test_lambda_average_per_order_collapses_to_born_for_every_order():
    rng = np.random.default_rng(21)
    psi = states.random_state(3, rng=rng)
    per_order = cl.lambda_average_per_order(psi, np.zeros((3, 3)), 1.0, [0.0, 1.0, 40.0])
    assert per_order.shape == (6, 3, 3, 3)
    pops = np.einsum("otii->oti", per_order).real
    np.testing.assert_allclose(pops[:, 0], np.broadcast_to(np.abs(psi) ** 2, (6, 3)), atol=1e-12)
    np.testing.assert_allclose(pops[:, -1], np.broadcast_to(np.abs(psi) ** 2, (6, 3)), atol=1e-9)
    assert np.ptp(pops[:, 1], axis=0).max() > 1e-3  # the transient depends on the order
    with pytest.raises(ValueError, match="too many"):
        cl.lambda_average_per_order(np.full(7, 7**-0.5), np.zeros((7, 7)), 1.0, [0.0])


def test_born_frequencies_with_random_order_match_order_average():
    psi = np.sqrt([0.5, 0.2, 0.3])
    dens = lambda r: r**4  # noqa: E731
    n = 400_000
    freq, se = cl.born_frequencies(psi, n, rng=3, density=dens, random_order=True)
    exact = cl.order_averaged_probabilities(psi, density=dens)
    assert np.all(np.abs(freq - exact) < 4 * se)
    fixed = cl.outcome_probabilities(psi, density=dens)
    assert np.abs(fixed - exact).max() > 20 * se.max()  # the random order is resolved
