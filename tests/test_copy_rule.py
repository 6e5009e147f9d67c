"""Copy-rule ensemble (paper 001): kernel vs reference, conservation, agreement with QM, errors."""

import math

import numpy as np
import pytest

from qfcore import copy_rule as cr

RABI = np.array([[0.5, 0.8], [0.8, -0.5]])  # detuned: rho_0 stays above ~0.55


def rabi_state():
    psi = np.array([1.0, 0.3j])
    return psi / np.linalg.norm(psi)


def reference_step(a, phi, u_partner, u_accept, omega, rate, delta, dt, corrected):
    """Slow transcription of the rules (module docstring), one system at a time."""
    n, m = len(a), len(omega)
    factor = 2.0 if corrected else 1.0
    counts = [sum(1 for x in a if x == b) for b in range(m)]
    advanced = []
    for i in range(n):
        x = a[i]
        v = omega[x]
        for j in range(n):
            y = a[j]
            if y != x:
                v += (
                    rate[x, y]
                    * math.cos(phi[i] - phi[j] + delta[x, y])
                    / math.sqrt(counts[x] * counts[y])
                )
        advanced.append(phi[i] + v * dt)
    new_a, new_phi = list(a), list(advanced)
    for i in range(n):
        j = min(int(u_partner[i] * n), n - 1)
        x, y = a[i], a[j]
        if x == y:
            continue
        arg = phi[j] - phi[i] + delta[y, x] if corrected else phi[i] - phi[j] + delta[x, y]
        prob = (
            factor
            * n
            * dt
            * rate[x, y]
            * max(math.sin(arg), 0.0)
            / math.sqrt(counts[x] * counts[y])
        )
        if u_accept[i] < prob:
            new_a[i], new_phi[i] = y, advanced[j]
    return np.array(new_a), np.array(new_phi)


@pytest.mark.parametrize("corrected", [True, False])
def test_kernel_matches_slow_reference(corrected):
    rng = np.random.default_rng(5)
    h = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    h = h + h.conj().T
    omega, rate, delta = cr.couplings(h)
    n = 40
    a = rng.integers(0, 3, size=n)
    phi = rng.uniform(0, 2 * np.pi, size=n)
    ref_a, ref_phi = a.copy(), phi.copy()
    new_a, new_phi, adv = np.empty_like(a), np.empty_like(phi), np.empty_like(phi)
    copies = 0
    for _ in range(30):
        u = rng.random((2, n))
        cr._step(
            a,
            phi,
            u[0],
            u[1],
            omega,
            rate,
            delta,
            0.01,
            2.0 if corrected else 1.0,
            corrected,
            0.5,
            new_a,
            new_phi,
            adv,
        )
        ref_a, ref_phi = reference_step(
            ref_a, ref_phi, u[0], u[1], omega, rate, delta, 0.01, corrected
        )
        copies += np.sum(new_a != a)
        a, phi = new_a.copy(), new_phi.copy()
        np.testing.assert_array_equal(a, ref_a)
        np.testing.assert_allclose(phi, ref_phi, rtol=0, atol=1e-12)
    assert copies > 5  # the comparison exercised the copy branch


def test_conservation_and_alignment_preserved():
    # a 3-level chain whose populations stay above ~0.1 for t <= 1 (mean-field check)
    h = np.array([[0.2, 0.5, 0.0], [0.5, 0.0, 0.4j], [0.0, -0.4j, -0.3]])
    psi = np.array([0.6, 0.55, 0.58j])
    psi /= np.linalg.norm(psi)
    assert cr.mean_field_solve(h, psi, np.linspace(0, 1, 11)).probability.min() > 0.1
    ds = cr.simulate(h, psi, 2001, np.linspace(0, 1, 11), dt=0.002, rng=3, per_system=True)
    assert np.all(ds.system_beable.isin([0, 1, 2]))
    counts = ds.frequency.values * 2001
    np.testing.assert_allclose(counts, np.rint(counts), atol=1e-9)
    np.testing.assert_allclose(ds.frequency.sum("beable"), 1.0, atol=1e-12)
    # aligned phases stay aligned: every system in a beable has the same phase velocity
    np.testing.assert_allclose(ds.coherence.values, 1.0, atol=1e-12)
    scattered = cr.simulate(h, psi, 2001, [0.0, 0.5], dt=0.002, rng=3, phase_alignment=1.0)
    assert np.all(scattered.coherence.values[0] < 0.8)


def test_agrees_with_schrodinger_at_large_n():
    """N = 1e5: binomial error sqrt(p(1-p)/N) <= 1.6e-3; the first-order scheme's bias at
    dt = 1e-3 stays below 2 dt over t <= 2 (halving dt halves it, measured 2e-3 per 1e-3)."""
    n, dt = 100_000, 0.001
    ds = cr.simulate(RABI, rabi_state(), n, np.linspace(0, 2, 5), dt=dt, rng=11)
    p = ds.exact_probability.values
    tol = 4 * np.sqrt(p * (1 - p) / n) + 2 * dt
    assert np.all(np.abs(ds.frequency.values - p) <= tol)
    assert ds.frequency.values[-1, 0] < ds.frequency.values[0, 0] - 0.2  # it really moved


def test_printed_rule_runs_backwards_at_half_speed():
    t = np.array([0.0, 0.1])
    fixed = cr.simulate(RABI, rabi_state(), 200_000, t, dt=0.001, rng=1)
    printed = cr.simulate(RABI, rabi_state(), 200_000, t, dt=0.001, rng=1, rule="as_printed")
    change = fixed.exact_probability.values[1, 0] - fixed.exact_probability.values[0, 0]
    se = np.sqrt(2 * 0.25 / 200_000)
    assert abs(fixed.frequency.values[1, 0] - fixed.frequency.values[0, 0] - change) < 4 * se
    assert abs(printed.frequency.values[1, 0] - printed.frequency.values[0, 0] + change / 2) < (
        4 * se + 0.1 * abs(change)  # O(dt) bias of the short run
    )


def test_mean_field_equations():
    psi = np.array([0.8, 0.6 * np.exp(0.4j)])
    t = np.linspace(0, 5, 11)
    mf = cr.mean_field_solve(RABI, psi, t)
    np.testing.assert_allclose(mf.probability, mf.exact_probability, atol=1e-8)
    printed = cr.mean_field_solve(RABI, psi, t, factor=1.0)
    assert np.abs(printed.probability - printed.exact_probability).max() > 0.05


def test_couplings_of_a_hermitian_matrix():
    h = np.array([[1.0, 2 * np.exp(0.3j)], [2 * np.exp(-0.3j), -1.0]])
    omega, rate, delta = cr.couplings(h, hbar=2.0)
    np.testing.assert_allclose(omega, [0.5, -0.5])
    np.testing.assert_allclose(rate, [[0, 1], [1, 0]])
    np.testing.assert_allclose(delta, [[0, 0.3], [-0.3, 0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hamiltonian": np.array([[0, 1], [0, 0]])}, "not Hermitian"),
        ({"psi0": np.array([1.0, 1.0])}, "not normalised"),
        ({"n_systems": 1}, "n_systems must be >= 2"),
        ({"dt": 0.5}, "too large for the rates"),
        ({"times": [0.0, 0.015]}, "multiples of dt"),
        ({"rule": "other"}, "rule must be"),
        ({"dt": -1.0}, "dt must be"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(hamiltonian=RABI, psi0=rabi_state(), n_systems=1000, times=[0.0, 1.0], dt=0.01)
    args |= kwargs
    with pytest.raises(ValueError, match=match):
        cr.simulate(
            args.pop("hamiltonian"),
            args.pop("psi0"),
            args.pop("n_systems"),
            args.pop("times"),
            **args,
        )


def test_mean_field_needs_occupied_beables():
    with pytest.raises(ValueError, match="tiny admixture"):
        cr.mean_field_solve(RABI, np.array([1.0, 0.0]), [0.0, 1.0])


def test_phase_alignment_flow_is_hamiltonian_and_never_attracting():
    """Section IV: energy (Eq. 43) conserved; aligned phases stay aligned; misalignment of an
    eigenstate oscillates instead of decaying (a Hamiltonian flow has no attractors)."""
    _, vecs = np.linalg.eigh(RABI)
    eigen = vecs[:, 0].astype(complex)
    t = np.linspace(0, 4, 41)
    ds = cr.phase_alignment_flow(RABI, eigen, 16, t, f=3.0, spread=0.3, rng=2)
    energy = ds.energy.values
    assert np.ptp(energy) < 1e-5 * np.abs(energy).max()  # DOP853 at rtol 1e-9
    assert np.all(ds.spread.values[-10:] > 0.1 * ds.spread.values[0])
    aligned = cr.phase_alignment_flow(RABI, rabi_state(), 16, t, f=3.0, spread=0.0)
    np.testing.assert_allclose(aligned.coherence.values, 1.0, atol=1e-9)


def test_phase_alignment_spectrum():
    _, vecs = np.linalg.eigh(RABI)
    eig = cr.phase_alignment_spectrum(RABI, vecs[:, 1].astype(complex), 12, f=3.0)
    assert eig.shape == (24,)
    assert np.abs(eig.real).max() < 1e-5  # neutral: central differences are accurate to ~1e-6
    assert abs(eig.real.sum()) < 1e-6  # the Jacobian of a Hamiltonian flow is traceless
    frozen = cr.phase_alignment_spectrum(RABI, rabi_state(), 12, f=3.0)
    assert abs(frozen.real.sum()) < 1e-6
    with pytest.raises(ValueError, match="f must be"):
        cr.phase_alignment_spectrum(RABI, rabi_state(), 12, f=0.0)
    with pytest.raises(ValueError, match="spread must be"):
        cr.phase_alignment_flow(RABI, rabi_state(), 12, [0.0, 1.0], f=1.0, spread=-1.0)


def test_only_q_half_is_time_reversal_invariant():
    """Eqs. (16)-(21): evolve T, reverse (phi -> -phi, H -> H*), evolve T: q = 1/2 returns."""
    h = RABI * np.exp(0.4j * np.array([[0, 1], [-1, 0]]))  # complex off-diagonal: delta != 0
    psi = rabi_state()
    t = np.array([0.0, 1.0])
    returned = {}
    for q in (0.5, 0.4, 0.6):  # q >= 0.7 makes this flow stiff near small populations
        fwd = cr.mean_field_solve(h, psi, t, q=q)
        rho, phi = fwd.probability.values[-1], fwd.phase.values[-1]
        reversed_state = np.sqrt(rho) * np.exp(1j * phi)  # psi_a = sqrt(rho) e^{-i(-phi)}
        back = cr.mean_field_solve(
            h.conj(), reversed_state / np.linalg.norm(reversed_state), t, q=q
        )
        returned[q] = np.abs(back.probability.values[-1] - np.abs(psi) ** 2).max()
    assert returned[0.5] < 1e-8  # solver tolerance
    assert returned[0.4] > 1e-2 and returned[0.6] > 1e-2  # measured 0.036, 0.017


def test_agent_level_q_follows_the_mean_field_law():
    """simulate(q) realises the ansatz Eq. (16): N = 1e5 follows mean_field_solve(q) for q = 0.3
    (binomial error <= 1.6e-3, first-order bias <= 2 dt), and not the Schroedinger curve."""
    t = np.linspace(0, 1, 3)
    mf = cr.mean_field_solve(RABI, rabi_state(), t, q=0.3)
    ds = cr.simulate(RABI, rabi_state(), 100_000, t, dt=0.001, rng=4, q=0.3)
    p = mf.probability.values
    assert np.all(np.abs(ds.frequency.values - p) <= 4 * np.sqrt(p * (1 - p) / 1e5) + 0.002)
    assert np.abs(ds.frequency.values - ds.exact_probability.values).max() > 0.02
