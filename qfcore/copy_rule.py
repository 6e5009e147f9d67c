"""Smolin's real-ensemble dynamics: N systems that copy each other's beables (paper 001).

L. Smolin, "A real ensemble interpretation of quantum mechanics", Found. Phys. 42, 1239 (2012),
arXiv:1104.2822. Each of N systems carries a beable a_I ∈ {0, …, M−1} and a phase φ_I. Quantum
probabilities are the relative frequencies ρ_a = n_a/N. Two rules move the ensemble:

* **Copy** (stochastic, Eqs. (1), (4), (37)): system I copies system J — a_I → a_J *and*
  φ_I → φ_J, the paper transfers both beables — with a rate P(I copy J) that depends on both
  phases and on the occupation numbers n_I = n_{a_I}, n_J = n_{a_J}.
* **Phase law** (continuous, Eq. (38)):
  φ̇_I = ω_{a_I} + Σ_{J, a_J ≠ a_I} R_{a_I a_J} cos(φ_I − φ_J + δ_{a_I a_J}) / √(n_I n_J).

Target dynamics (T1.4). With H_aa = ħω_a and H_ab = ħR_ab e^{iδ_ab} (Eqs. (35)–(36)), Hermiticity
needs R_ba = R_ab and δ_ba = −δ_ab. Put the paper's ψ_a = √ρ_a e^{−iφ_a} (Eqs. (32)–(33)) into
iħψ̇_a = Σ_b H_ab ψ_b and divide by ψ_a:

    ρ̇_a/(2ρ_a) − iφ̇_a = −iω_a − i Σ_b R_ab √(ρ_b/ρ_a) e^{i(φ_a − φ_b + δ_ab)}.

The real and imaginary parts are

    ρ̇_a = 2 Σ_b √(ρ_aρ_b) R_ab sin(φ_a − φ_b + δ_ab),                               (30')
    φ̇_a = ω_a + Σ_b √(ρ_b/ρ_a) R_ab cos(φ_a − φ_b + δ_ab),                           (31)

i.e. Eq. (31) with r = −½ and Eq. (30) with a factor 2 that the paper lacks.

Which phase comes first in the copy rate. When I (in beable b) copies J (in beable a), one system
moves from b to a. With aligned phases (φ_I = φ_b for every I in b) the total rate of such moves
is n_b n_a P. The corrected rule

    P(I copy J) = 2 R_{a_J a_I} sin₊(φ_J − φ_I + δ_{a_J a_I}) / √(n_I n_J)

(sin₊ = max(sin, 0), Eq. (27)) gives the flow b → a = 2√(n_a n_b) R_ab sin₊(φ_a − φ_b + δ_ab);
with sin₊(θ) − sin₊(−θ) = sin θ the net flow into a, divided by N, is exactly (30'). The rule as
printed in Eq. (37), P = R_{a_I a_J} sin₊(φ_I − φ_J + δ_{a_I a_J})/√(n_I n_J), puts the copier's
own phase first; as δ_ba = −δ_ab its argument is minus the corrected one, and its net flow into
a is −√(n_a n_b) R_ab sin(φ_a − φ_b + δ_ab): the Schrödinger flow reversed and halved. Both are
offered (``rule="corrected"`` or ``"as_printed"``) so that the slip can be shown.

Occupation exponent. The ansatz Eq. (16) weights the rate by (n_a/n_b)^q; at the agent level that
is P(I copy J) ∝ n_I^{−q} n_J^{q−1} (q = ½: 1/√(n_I n_J)), and the mean field is
ρ̇_a = 2 Σ_b R_ab [ρ_a^q ρ_b^{1−q} sin₊θ_ab − ρ_b^q ρ_a^{1−q} sin₊(−θ_ab)], θ_ab = φ_a − φ_b + δ_ab.
Only q = ½ is time-reversal invariant (Eqs. (18)–(21)); :func:`simulate` and
:func:`mean_field_solve` take ``q`` so that this can be shown (T1.3).

Numerical scheme of :func:`simulate` (one step of length dt; all systems see the same old state).
It is a midpoint (second-order) integrator of the continuous-time agent process:

1. Sums. Per beable x: n_x and Z_x = Σ_{I∈x} e^{iφ_I}. Then Σ_{J∈y} cos(φ_I − φ_J + δ_xy) =
   Re[e^{i(φ_I+δ_xy)} conj(Z_y)], so the phase law costs O(1) per system after O(pairs) work,
   and Σ_{I∈x, J∈y} sin(φ_J − φ_I + δ_yx) = Im[e^{iδ_yx} Z_y conj(Z_x)] is the ensemble's
   transfer x → y for aligned phases.
2. Half step. Every phase moves by (dt/2)·φ̇_I (Eq. (38)); the occupations move to their expected
   values n'_x at dt/2 (the transfers of step 1 times dt/2, exact for phases aligned within each
   beable, which the dynamics preserves).
3. Full step. Every phase moves by dt·φ̇_I evaluated at the half-step phases and occupations.
   Each system copies at most once, with probability dt·Σ_J P(I copy J), the rates evaluated at
   the half-step phases and occupations, normalised by the actual members:
   P(I copy J) = c R_xy n'_x^{1−q} n'_y^q sin₊(s·(φ'_J − φ'_I + δ_yx)) / (n_x n_y) for I ∈ x,
   J ∈ y (c = 2, s = +1 corrected; c = 1, s = −1 as printed). A copier takes J's old beable and
   J's new phase.
4. Sampling the copies (proposal + acceptance). For each pair of beables a bound
   b_xy ≥ sin₊(s·(φ'_J − φ'_I + δ_yx)) over all I ∈ x, J ∈ y follows from the range of the phases
   in each beable (b_xy = sin₊ of the common argument when phases are aligned). The proposal
   rate of a system in x is Λ_x = Σ_y λ_xy, λ_xy = c R_xy n'_x^{1−q} n'_y^q b_xy / n_x.
   Each system of x proposes with probability p_x = dt·Λ_x, drawn as geometric gaps between
   proposers (exactly independent Bernoulli trials, one uniform per proposer); a proposer picks
   y with probability λ_xy/Λ_x, J uniformly among the members of y, and accepts with probability
   sin₊(…)/b_xy. So the probability that I copies J in the step is exactly dt·P(I copy J).

The mean frequencies are second-order accurate in dt, up to O(1/N) fluctuation corrections: for
two detuned Rabi problems the scheme's deterministic map is off the exact curve by 3e-6 to 7e-6
at dt = 0.01 over t ≤ 3, where a first-order (Euler) step is off by 5e-3 to 2e-2.

A step whose largest proposal probability max_x p_x (the largest copy probability per step when
phases are aligned, an upper bound otherwise) exceeds ``MAX_COPY_PROBABILITY`` is refused, and so
is one whose expected copy probability at the start of the step does: the Bernoulli step (at
most one copy per system) approximates the Poisson process to order p. Nearly empty
beables have fast per-system rates (∝ √(n_y/n_x)), so a run that approaches a node needs a small
dt — this is the physics of Eq. (37), not a numerical artefact.

Phase alignment under the copy dynamics (T1.5). Linearising Eq. (38) about a beable's mean
phase, a system displaced by ε_I from φ_x has ε̇_I = −ε_I Σ_y √(n_y/n_x) R_xy sin θ_xy
= −ε_I ρ̇_x/(2ρ_x) (with the corrected density law), while copies duplicate members of the target
beable together with their phases. So the spread σ_x of the phases in beable x obeys
σ_x √ρ_x = const to first order: misalignment shrinks where a beable fills and grows where it
empties, and is neither damped nor amplified on average — aligned phases are preserved but not
an attractor (``phase_alignment`` in :func:`simulate` measures this; Section IV's Hamiltonian
model is :func:`phase_alignment_flow`).

Random numbers. One numpy Generator drives everything (the numba kernel consumes it in place,
the same stream as in Python), so a pure-Python reference that consumes ``rng.random()`` in the
same order reproduces every draw. Work is split in fixed chunks, so results do not depend on the
number of threads (``numba.set_num_threads``).

Units: ħ = 1 unless given; H in energy units, times in ħ/energy.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
import xarray as xr
from scipy.integrate import cumulative_trapezoid, solve_ivp

from qfcore._checks import count, hermitian, positive, seeded

__all__ = [
    "MAX_COPY_PROBABILITY",
    "RULES",
    "alignment_potential_ratio",
    "copy_master_equation",
    "couplings",
    "extinction_statistics",
    "frequency_standard_error",
    "lattice_agent_run",
    "lattice_fluid_equations",
    "lattice_quantum_potential",
    "mean_field_rhs",
    "mean_field_solve",
    "phase_alignment_flow",
    "phase_alignment_spectrum",
    "simulate",
]

#: Largest copy (proposal) probability per system and step that :func:`simulate` accepts.
MAX_COPY_PROBABILITY = 0.1
#: Copy rules: the corrected one (default) and the one printed in Eq. (37).
RULES = ("corrected", "as_printed")
#: Systems per work unit of the parallel passes (fixed, so results do not depend on threads).
_CHUNK = 16384
_TWO_PI = 2.0 * np.pi


# ----------------------------------------------------------------------------------------------
# validation


def _check_hamiltonian(hamiltonian) -> np.ndarray:
    h = np.asarray(hamiltonian)
    if h.ndim != 2 or h.shape[0] != h.shape[1] or h.shape[0] < 2:
        raise ValueError(
            f"hamiltonian must be a square M x M matrix with M >= 2 beables; got shape {h.shape}."
        )
    if not np.issubdtype(h.dtype, np.number) or np.issubdtype(h.dtype, np.bool_):
        raise TypeError(f"hamiltonian must be numeric; got dtype {h.dtype}.")
    h = h.astype(complex)
    if not np.all(np.isfinite(h)):
        raise ValueError("hamiltonian holds non-finite entries; pass a finite matrix.")
    hermitian(h, "hamiltonian", 1e-12, "set H[b, a] = conj(H[a, b])")
    return h


def _check_state(psi0, m: int) -> np.ndarray:
    psi = np.asarray(psi0)
    if psi.shape != (m,):
        raise ValueError(f"psi0 must have shape ({m},) to match the hamiltonian; got {psi.shape}.")
    psi = psi.astype(complex)
    if not np.all(np.isfinite(psi)):
        raise ValueError("psi0 holds non-finite entries; pass a finite normalised vector.")
    norm = float(np.sum(np.abs(psi) ** 2))
    if abs(norm - 1) > 1e-6:
        raise ValueError(
            f"psi0 is not normalised: sum |psi0|^2 = {norm:.9g}; divide it by sqrt({norm:.9g})."
        )
    return psi


def _check_q(q) -> float:
    if not isinstance(q, numbers.Real) or isinstance(q, bool):
        raise TypeError(f"q must be a real number; got {type(q).__name__}.")
    if not 0 <= q <= 1:
        raise ValueError(f"q must lie in [0, 1] (Eq. (16); 0.5 is quantum mechanics); got {q!r}.")
    return float(q)


def _check_times(times) -> np.ndarray:
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size < 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"times must be a finite 1D array; got shape {times.shape}.")
    if times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must start at 0 and be strictly increasing; sort them.")
    return times


def _allocate(rho: np.ndarray, n_systems: int) -> np.ndarray:
    """Occupations round(N ρ_a) by largest remainders, summing to exactly N."""
    counts = np.floor(rho * n_systems).astype(np.int64)
    remainder = rho * n_systems - counts
    counts[np.argsort(-remainder, kind="stable")[: n_systems - counts.sum()]] += 1
    return counts


def _integrate(rhs, y0, times, rtol, atol, what: str):
    """DOP853 from 0 to times[-1], output at ``times``; raise ValueError naming ``what``."""
    sol = solve_ivp(
        lambda t, y: rhs(y),
        (0.0, times[-1]),
        y0,
        t_eval=times,
        method="DOP853",
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise ValueError(f"the {what} integration failed: {sol.message}")
    return sol.y


def couplings(hamiltonian, *, hbar: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ω_a, R_ab, δ_ab) of a Hermitian H: H_aa = ħω_a, H_ab = ħR_ab e^{iδ_ab} (Eqs. (35)–(36)).

    Parameters
    ----------
    hamiltonian : array_like, complex, shape (M, M)
        Hermitian H, energy units.
    hbar : float
        ħ > 0.

    Returns
    -------
    omega : ndarray, shape (M,)
        Angular frequencies, 1/time.
    R : ndarray, shape (M, M)
        Non-negative rates, symmetric, zero diagonal, 1/time.
    delta : ndarray, shape (M, M)
        Phases in (−π, π], antisymmetric mod 2π (δ_ba = −δ_ab), zero where R = 0.

    Raises
    ------
    ValueError
        If H is not square, finite and Hermitian, or ``hbar <= 0``.
    """
    h = _check_hamiltonian(hamiltonian)
    hbar = positive(hbar, "hbar")
    off = h - np.diag(np.diag(h))
    return np.diag(h).real / hbar, np.abs(off) / hbar, np.where(off != 0, np.angle(off), 0.0)


def _pair_lists(rate: np.ndarray, delta: np.ndarray):
    """Ordered coupled pairs (x, y), R_xy > 0, grouped by x: CSR pointer, y, R, cos δ, sin δ, δ."""
    x, y = np.nonzero(rate)
    ptr = np.searchsorted(x, np.arange(rate.shape[0] + 1)).astype(np.int64)
    d = delta[x, y]
    return ptr, y.astype(np.int64), rate[x, y], np.cos(d), np.sin(d), d


# ----------------------------------------------------------------------------------------------
# numba kernels of one step (module docstring, "Numerical scheme")


@numba.njit(cache=True, parallel=True)
def _sums(a, phi, m, cos_out, sin_out):
    """Per-chunk occupations and phasor sums Σ e^{iφ}; stores cos φ and sin φ."""
    n = a.size
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    counts = np.zeros((n_chunks, m), dtype=np.int64)
    z_re = np.zeros((n_chunks, m))
    z_im = np.zeros((n_chunks, m))
    for c in numba.prange(n_chunks):
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            x = a[i]
            co = np.cos(phi[i])
            si = np.sin(phi[i])
            cos_out[i] = co
            sin_out[i] = si
            counts[c, x] += 1
            z_re[c, x] += co
            z_im[c, x] += si
    return counts, z_re, z_im


@numba.njit(cache=True, parallel=True)
def _half_pass(
    a, phi, cos0, sin0, omega, k_re, k_im, half_dt, centre, offsets, order, cos_h, sin_h
):
    """Half-step phases (stored as cos, sin), their sums, their range per beable, and the
    members of each beable in index order (``order``, counting sort with per-chunk offsets)."""
    n = a.size
    n_chunks, m = offsets.shape
    zh_re = np.zeros((n_chunks, m))
    zh_im = np.zeros((n_chunks, m))
    lo = np.full((n_chunks, m), np.inf)
    hi = np.full((n_chunks, m), -np.inf)
    for c in numba.prange(n_chunks):
        pos = offsets[c].copy()
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            x = a[i]
            ph = phi[i] + half_dt * (omega[x] + cos0[i] * k_re[x] - sin0[i] * k_im[x])
            co = np.cos(ph)
            si = np.sin(ph)
            cos_h[i] = co
            sin_h[i] = si
            zh_re[c, x] += co
            zh_im[c, x] += si
            d = ph - centre[x]
            d -= _TWO_PI * np.floor((d + np.pi) / _TWO_PI)
            lo[c, x] = min(lo[c, x], d)
            hi[c, x] = max(hi[c, x], d)
            order[pos[x]] = i
            pos[x] += 1
    return zh_re, zh_im, lo, hi


@numba.njit(cache=True, parallel=True)
def _full_pass(a, phi, cos_h, sin_h, omega, k_re, k_im, dt):
    """φ ← φ + dt·φ̇(half-step state), wrapped to [0, 2π)."""
    for i in numba.prange(a.size):
        x = a[i]
        ph = phi[i] + dt * (omega[x] + cos_h[i] * k_re[x] - sin_h[i] * k_im[x])
        phi[i] = ph - _TWO_PI * np.floor(ph / _TWO_PI)


@numba.njit(cache=True)
def _start_pairs(n, z_re, z_im, ptr, py, rate, cd, sd, half_dt, factor, sign, q):
    """Phase-law coefficients K_x = Σ_y R_xy e^{iδ_xy} conj(Z_y)/√(n_x n_y), the expected
    half-step occupations and the largest expected copy probability per step."""
    m = n.size
    k_re = np.zeros(m)
    k_im = np.zeros(m)
    n_half = n.copy()
    p0 = np.zeros(m)
    for x in range(m):
        if n[x] == 0:
            continue
        for e in range(ptr[x], ptr[x + 1]):
            y = py[e]
            if n[y] == 0:
                continue
            g = rate[e] / np.sqrt(n[x] * n[y])
            k_re[x] += g * (cd[e] * z_re[y] + sd[e] * z_im[y])
            k_im[x] += g * (sd[e] * z_re[y] - cd[e] * z_im[y])
            # Σ_{I∈x, J∈y} sin(φ_J − φ_I + δ_yx) = Im[e^{−iδ_xy} Z_y conj(Z_x)]
            zr = z_re[y] * z_re[x] + z_im[y] * z_im[x]
            zi = z_im[y] * z_re[x] - z_re[y] * z_im[x]
            flow = (
                factor
                * rate[e]
                * n[x] ** -q
                * n[y] ** (q - 1)
                * max(sign * (cd[e] * zi - sd[e] * zr), 0.0)
            )
            n_half[x] -= half_dt * flow
            n_half[y] += half_dt * flow
            p0[x] += 2 * half_dt * flow / n[x]
    return n_half, k_re, k_im, p0.max()


@numba.njit(cache=True)
def _max_sin(lo, hi):
    """max of sin over the interval [lo, hi]."""
    if hi - lo >= _TWO_PI:
        return 1.0
    k = np.ceil((lo - 0.5 * np.pi) / _TWO_PI)
    if 0.5 * np.pi + _TWO_PI * k <= hi:
        return 1.0
    return max(np.sin(lo), np.sin(hi))


@numba.njit(cache=True)
def _mid_pairs(
    n,
    n_half,
    zh_re,
    zh_im,
    centre,
    lo,
    hi,
    ptr,
    py,
    rate,
    cd,
    sd,
    delta,
    dt,
    factor,
    sign,
    q,
    kh_re,
    kh_im,
    lam,
    bound,
    total,
):
    """Half-step phase-law coefficients, acceptance bounds b_xy, proposal rates λ_xy and Λ_x;
    returns max_x dt·Λ_x."""
    m = n.size
    p = 0.0
    for x in range(m):
        kh_re[x] = 0.0
        kh_im[x] = 0.0
        total[x] = 0.0
        for e in range(ptr[x], ptr[x + 1]):
            lam[e] = 0.0
            bound[e] = 0.0
            y = py[e]
            if n[x] == 0 or n[y] == 0:
                continue
            g = rate[e] * np.sqrt(n_half[y] / n_half[x]) / n[y]
            kh_re[x] += g * (cd[e] * zh_re[y] + sd[e] * zh_im[y])
            kh_im[x] += g * (sd[e] * zh_re[y] - cd[e] * zh_im[y])
            base = centre[y] - centre[x] - delta[e]
            arg_lo = base + lo[y] - hi[x]
            arg_hi = base + hi[y] - lo[x]
            if sign < 0:
                arg_lo, arg_hi = -arg_hi, -arg_lo
            bound[e] = max(_max_sin(arg_lo, arg_hi), 0.0)
            kappa = factor * rate[e] * n_half[x] ** (1 - q) * n_half[y] ** q / (n[x] * n[y])
            lam[e] = n[y] * kappa * bound[e]
            total[x] += lam[e]
        p = max(p, dt * total[x])
    return p


@numba.njit(cache=True)
def _copies(
    a,
    phi,
    order,
    first,
    n,
    cos_h,
    sin_h,
    ptr,
    py,
    cd,
    sd,
    lam,
    bound,
    total,
    dt,
    sign,
    gen,
    buf_i,
    buf_y,
    buf_phi,
):
    """Draw the copies of one step (module docstring, item 4) and apply them; returns how many."""
    m = n.size
    n_copies = 0
    for x in range(m):
        p = dt * total[x]
        if p <= 0.0:
            continue
        log_stay = np.log1p(-p)
        n_x = int(n[x])
        pos = -1
        while True:
            gap = np.floor(np.log1p(-gen.random()) / log_stay)  # failures before the next proposer
            if pos + 1 + gap >= n_x:
                break
            pos += 1 + int(gap)
            i = order[first[x] + pos]
            target = gen.random() * total[x]
            chosen = -1
            acc = 0.0
            for e in range(ptr[x], ptr[x + 1]):
                if lam[e] > 0.0:
                    chosen = e
                    acc += lam[e]
                    if target < acc:
                        break
            y = py[chosen]
            n_y = int(n[y])
            j = order[first[y] + min(int(gen.random() * n_y), n_y - 1)]
            # sin(φ'_J − φ'_I + δ_yx) with δ_yx = −δ_xy
            s_ji = sin_h[j] * cos_h[i] - cos_h[j] * sin_h[i]
            c_ji = cos_h[j] * cos_h[i] + sin_h[j] * sin_h[i]
            if gen.random() * bound[chosen] < sign * (s_ji * cd[chosen] - c_ji * sd[chosen]):
                buf_i[n_copies] = i
                buf_y[n_copies] = y
                buf_phi[n_copies] = phi[j]
                n_copies += 1
    for k in range(n_copies):
        a[buf_i[k]] = buf_y[k]
        phi[buf_i[k]] = buf_phi[k]
    return n_copies


@numba.njit(cache=True)
def _advance(
    a,
    phi,
    gen,
    n_steps,
    m,
    omega,
    ptr,
    py,
    rate,
    cd,
    sd,
    delta,
    dt,
    factor,
    sign,
    q,
    max_p,
    scratch_f,
    scratch_i,
):
    """``n_steps`` steps in place. Returns (index of a refused step or −1, its probability, the
    largest proposal probability of the accepted steps)."""
    cos0, sin0, cos_h, sin_h = scratch_f[0], scratch_f[1], scratch_f[2], scratch_f[3]
    order, buf_i, buf_y = scratch_i[0], scratch_i[1], scratch_i[2]
    n_pairs = py.size
    kh_re = np.zeros(m)
    kh_im = np.zeros(m)
    lam = np.zeros(n_pairs)
    bound = np.zeros(n_pairs)
    total = np.zeros(m)
    p_seen = 0.0
    for step in range(n_steps):
        counts, z_re_c, z_im_c = _sums(a, phi, m, cos0, sin0)
        n_chunks = counts.shape[0]
        n = np.zeros(m)
        z_re = np.zeros(m)
        z_im = np.zeros(m)
        offsets = np.zeros((n_chunks, m), dtype=np.int64)
        first = np.zeros(m, dtype=np.int64)
        for x in range(m):
            if x > 0:
                first[x] = first[x - 1] + int(n[x - 1])
            for c in range(n_chunks):
                offsets[c, x] = first[x] + int(n[x])
                n[x] += counts[c, x]
                z_re[x] += z_re_c[c, x]
                z_im[x] += z_im_c[c, x]
        n_half, k_re, k_im, p0 = _start_pairs(
            n, z_re, z_im, ptr, py, rate, cd, sd, 0.5 * dt, factor, sign, q
        )
        if p0 > max_p:
            return step, p0, p_seen
        centre = np.arctan2(z_im, z_re)
        zh_re_c, zh_im_c, lo_c, hi_c = _half_pass(
            a, phi, cos0, sin0, omega, k_re, k_im, 0.5 * dt, centre, offsets, order, cos_h, sin_h
        )
        zh_re = np.zeros(m)
        zh_im = np.zeros(m)
        lo = np.full(m, np.inf)
        hi = np.full(m, -np.inf)
        for x in range(m):
            for c in range(n_chunks):
                zh_re[x] += zh_re_c[c, x]
                zh_im[x] += zh_im_c[c, x]
                lo[x] = min(lo[x], lo_c[c, x])
                hi[x] = max(hi[x], hi_c[c, x])
        p = _mid_pairs(
            n,
            n_half,
            zh_re,
            zh_im,
            centre,
            lo,
            hi,
            ptr,
            py,
            rate,
            cd,
            sd,
            delta,
            dt,
            factor,
            sign,
            q,
            kh_re,
            kh_im,
            lam,
            bound,
            total,
        )
        p = max(p, p0)
        if p > max_p:
            return step, p, p_seen
        _full_pass(a, phi, cos_h, sin_h, omega, kh_re, kh_im, dt)
        _copies(
            a,
            phi,
            order,
            first,
            n,
            cos_h,
            sin_h,
            ptr,
            py,
            cd,
            sd,
            lam,
            bound,
            total,
            dt,
            sign,
            gen,
            buf_i,
            buf_y,
            cos0,
        )
        p_seen = max(p_seen, p)
    return -1, 0.0, p_seen


def _exact_evolution(h, psi, times, hbar) -> np.ndarray:
    """ψ(t) = e^{−iHt/ħ}ψ0 by eigendecomposition, shape (n_t, M)."""
    vals, vecs = np.linalg.eigh(h)
    return (vecs * np.exp(-1j * np.outer(times, vals) / hbar)[:, None, :]) @ (vecs.conj().T @ psi)


@numba.njit(cache=True, parallel=True)
def _deviation_sums(a, phi, centre, m):
    """Per-chunk Σ_{I∈x} sin²((φ_I − c_x)/2) about the circular means c_x."""
    n = a.size
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    out = np.zeros((n_chunks, m))
    for c in numba.prange(n_chunks):
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            out[c, a[i]] += np.sin(0.5 * (phi[i] - centre[a[i]])) ** 2
    return out


def _circular_stats(a, phi, m, scratch):
    """Occupations, circular mean phase in [0, 2π), coherence R = |⟨e^{iφ}⟩| and circular
    standard deviation √(−2 ln R) per beable (NaN where empty). 1 − R = (2/n) Σ sin²((φ − c)/2)
    about the circular mean c is summed directly, so aligned phases give R = 1 to rounding."""
    counts, z_re, z_im = _sums(a, phi, m, scratch[0], scratch[1])
    n = counts.sum(axis=0).astype(float)
    centre = np.arctan2(z_im.sum(axis=0), z_re.sum(axis=0))
    occupied = n > 0
    deficit = np.full(m, np.nan)
    deficit[occupied] = 2 * _deviation_sums(a, phi, centre, m).sum(axis=0)[occupied] / n[occupied]
    phase = np.where(occupied, np.mod(centre, _TWO_PI), np.nan)
    return n, phase, 1 - deficit, np.sqrt(-2 * np.log1p(-np.minimum(deficit, 1.0)))


def simulate(
    hamiltonian,
    psi0,
    n_systems: int,
    times,
    *,
    dt: float,
    hbar: float = 1.0,
    rng=None,
    phase_alignment: float | None = None,
    rule: str = "corrected",
    q: float = 0.5,
    per_system: bool = False,
) -> xr.Dataset:
    """Evolve N systems by the copy rule Eq. (37) and the phase law Eq. (38); compare with QM.

    The scheme (midpoint, second order in dt for the mean frequencies; proposal + acceptance
    sampling of the copies with probability exactly dt·P(I copy J)) is described in the module
    docstring.

    Parameters
    ----------
    hamiltonian : array_like, complex, shape (M, M)
        Hermitian H (Eqs. (35)–(36)), energy units, M ≥ 2.
    psi0 : array_like, complex, shape (M,)
        Normalised initial state, ψ_a = √ρ_a e^{−iφ_a} (Eqs. (32)–(33)).
    n_systems : int
        Ensemble size N ≥ 2. Initial beables are allocated deterministically: round(N|ψ_a|²)
        systems in beable a (largest remainders fill up to exactly N), so the initial
        frequencies carry no sampling noise. Every system of beable a starts with φ_a = −arg ψ_a.
    times : array_like, shape (n_t,)
        Output times, increasing from 0, multiples of ``dt`` (within 1e-9 relative).
    dt : float
        Time step > 0, in ħ/energy.
    hbar : float
        ħ > 0.
    rng : numpy.random.Generator, int or None
        Generator or seed. For an int or None the seed used is recorded (None draws one), so
        ``simulate(..., rng=ds.attrs["seed"])`` repeats the run.
    phase_alignment : float, optional
        None (or 0): aligned start, φ_I = φ_a. A spread σ > 0: every phase is displaced by an
        independent normal deviate of standard deviation σ (radians), to measure whether the
        dynamics aligns phases (Section IV, T1.5; to first order σ_a√ρ_a stays constant, see
        the module docstring).
    rule : {"corrected", "as_printed"}
        Copy rule: the corrected P(I copy J) = 2R sin₊(φ_J − φ_I + δ_{a_J a_I})/√(n_I n_J), or
        Eq. (37) as printed, R sin₊(φ_I − φ_J + δ_{a_I a_J})/√(n_I n_J) (module docstring).
    q : float
        Exponent of the ansatz Eq. (16), 0 ≤ q ≤ 1: the copy rate carries n_I^{−q} n_J^{q−1}.
        ½ (the default) is the only time-reversal-invariant choice (Eqs. (18)–(21)).
    per_system : bool
        Also return every system's beable and phase at the output times.

    Returns
    -------
    xarray.Dataset
        Dims ``time``, ``beable`` (and ``system`` if ``per_system``). Variables:
        ``frequency`` n_a/N; ``phase``, the circular mean arg Σ_{I∈a} e^{iφ_I} in [0, 2π) (NaN
        for an empty beable); ``coherence`` |⟨e^{iφ_I}⟩_{I∈a}| (1 = aligned) and
        ``phase_spread`` √(−2 ln coherence), the circular standard deviation of the phases in a
        (radians, 0 = aligned); ``exact_probability`` |ψ_a(t)|² and ``exact_phase``
        −arg ψ_a(t) in [0, 2π) for ψ(t) = e^{−iHt/ħ}ψ0 (eigendecomposition);
        ``max_copy_probability``, the largest copy (proposal) probability per step up to each
        time, the quantity bounded by ``MAX_COPY_PROBABILITY``;
        with ``per_system``, ``system_beable`` and ``system_phase`` over (time, system).
        Attrs: every parameter (H and ψ0 as flat real/imaginary lists, H row-major), the seed,
        the rule, ``source``.

    Raises
    ------
    ValueError
        For a non-Hermitian or malformed ``hamiltonian``, an unnormalised ``psi0``,
        ``n_systems < 2``, ``dt <= 0``, ``hbar <= 0``, times not increasing from 0 or not on the
        dt grid, an unknown ``rule``, q outside [0, 1], a negative ``phase_alignment``, or a
        step whose copy probability exceeds ``MAX_COPY_PROBABILITY`` (the message gives the
        step, the probability and a dt that fixes it).
    TypeError
        If ``n_systems`` is not an int, or ``rng`` is neither a Generator, an int nor None.
    """
    h = _check_hamiltonian(hamiltonian)
    m = h.shape[0]
    psi = _check_state(psi0, m)
    n_systems = count(n_systems, "n_systems", 2, " (an ensemble needs copies)", maximum=2**31)
    dt, hbar = positive(dt, "dt"), positive(hbar, "hbar")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    q = _check_q(q)
    spread = 0.0 if phase_alignment is None else float(phase_alignment)
    if not spread >= 0:
        raise ValueError(f"phase_alignment must be None or a spread >= 0; got {phase_alignment!r}.")
    times = _check_times(times)
    steps = np.rint(times / dt).astype(np.int64)
    if np.any(np.abs(steps * dt - times) > 1e-9 * np.maximum(1.0, np.abs(times))):
        raise ValueError(
            "times must be multiples of dt; choose dt = times[1] / k for an integer k."
        )
    gen, seed = seeded(rng)

    omega, rate, delta = couplings(h, hbar=hbar)
    ptr, py, rate_p, cd, sd, delta_p = _pair_lists(rate, delta)
    a = np.repeat(np.arange(m, dtype=np.int32), _allocate(np.abs(psi) ** 2, n_systems))
    phi = np.mod(-np.angle(psi)[a], _TWO_PI)
    if spread > 0:
        phi = np.mod(phi + gen.normal(0.0, spread, size=n_systems), _TWO_PI)
    factor, sign = (2.0, 1.0) if rule == "corrected" else (1.0, -1.0)
    scratch_f = np.empty((4, n_systems))
    scratch_i = np.empty((3, n_systems), dtype=np.int32)

    n_t = times.size
    frequency = np.zeros((n_t, m))
    phase = np.zeros((n_t, m))
    coherence = np.zeros((n_t, m))
    spread_record = np.zeros((n_t, m))
    p_record = np.zeros(n_t)
    per_a = np.zeros((n_t, n_systems), dtype=np.int32) if per_system else None
    per_phi = np.zeros((n_t, n_systems)) if per_system else None
    p_seen, done = 0.0, 0
    # One chunk of systems: the parallel kernels would only pay thread synchronisation per step
    # (costly when the cores are shared). The results do not depend on the thread count.
    threads = numba.get_num_threads()
    if n_systems <= _CHUNK:
        numba.set_num_threads(1)
    try:
        for k, target in enumerate(steps):
            refused, p, p_max = _advance(
                a,
                phi,
                gen,
                int(target - done),
                m,
                omega,
                ptr,
                py,
                rate_p,
                cd,
                sd,
                delta_p,
                dt,
                factor,
                sign,
                q,
                MAX_COPY_PROBABILITY,
                scratch_f,
                scratch_i,
            )
            if refused >= 0:
                step = done + refused
                k_fix = int(np.ceil(1.1 * p / MAX_COPY_PROBABILITY))
                raise ValueError(
                    f"dt = {dt:.3g} is too large for the copy rates at step {step} "
                    f"(t = {step * dt:.4g}): the copy probability per step reaches {p:.3g} > "
                    f"MAX_COPY_PROBABILITY = {MAX_COPY_PROBABILITY}. Use dt = {dt / k_fix:.3g} "
                    f"(dt/{k_fix}, keeps the times on the grid); nearly empty beables have fast "
                    "per-system rates, ~sqrt(n_b/n_a)."
                )
            done = int(target)
            p_seen = max(p_seen, p_max)
            counts, phase[k], coherence[k], spread_record[k] = _circular_stats(a, phi, m, scratch_f)
            frequency[k] = counts / n_systems
            p_record[k] = p_seen
            if per_system:
                per_a[k], per_phi[k] = a, phi
    finally:
        numba.set_num_threads(threads)

    exact = _exact_evolution(h, psi, times, hbar)
    data = {
        "frequency": (("time", "beable"), frequency),
        "phase": (("time", "beable"), phase),
        "coherence": (("time", "beable"), coherence),
        "phase_spread": (("time", "beable"), spread_record),
        "exact_probability": (("time", "beable"), np.abs(exact) ** 2),
        "exact_phase": (("time", "beable"), np.mod(-np.angle(exact), _TWO_PI)),
        "max_copy_probability": ("time", p_record),
    }
    if per_system:
        data["system_beable"] = (("time", "system"), per_a)
        data["system_phase"] = (("time", "system"), per_phi)
    return xr.Dataset(
        data,
        coords={"time": times, "beable": np.arange(m)},
        attrs={
            "n_systems": n_systems,
            "dt": dt,
            "hbar": hbar,
            "seed": seed,
            "rule": rule,
            "q": q,
            "phase_alignment": spread,
            "per_system": int(per_system),
            "max_copy_probability_allowed": MAX_COPY_PROBABILITY,
            "hamiltonian_real": h.real.ravel(),
            "hamiltonian_imag": h.imag.ravel(),
            "psi0_real": psi.real,
            "psi0_imag": psi.imag,
            "initial_allocation": "deterministic, round(N |psi0_a|^2) by largest remainders",
            "scheme": "midpoint tau-leap, proposal + acceptance (qfcore.copy_rule docstring)",
            "source": "Smolin, Found. Phys. 42, 1239 (2012), Eqs. (30)-(38); copy rule corrected "
            "as in qfcore.copy_rule"
            if rule == "corrected"
            else "Smolin (2012), Eq. (37) as printed",
        },
    )


def mean_field_rhs(
    t,
    y,
    hamiltonian,
    *,
    hbar: float = 1.0,
    r: float = -0.5,
    factor: float = 2.0,
    q: float = 0.5,
):
    """Right-hand side of Eqs. (18)/(30) and (31) for y = (ρ_1…ρ_M, φ_1…φ_M).

    ρ̇_a = factor·Σ_b R_ab [ρ_a^q ρ_b^{1−q} sin₊(θ_ab) − ρ_b^q ρ_a^{1−q} sin₊(−θ_ab)] with
    θ_ab = φ_a − φ_b + δ_ab (the ansatz Eq. (16) with the rate Eq. (28)), which for q = ½ is
    factor·Σ_b √(ρ_aρ_b) R_ab sin θ_ab (Eq. (30)); and φ̇_a = ω_a + Σ_b (ρ_a/ρ_b)^r R_ab cos θ_ab
    (Eq. (31)). ``factor = 2``, ``q = ½`` and ``r = −½`` are the Schrödinger equation (module
    docstring); ``factor = 1`` is Eq. (30) as printed; ``factor = −1`` (with q = ½) is the mean
    field of the copy rule Eq. (37) as printed (``simulate(..., rule="as_printed")``); q ≠ ½
    breaks time-reversal invariance (Eqs. (18)–(21)).

    Parameters
    ----------
    t : float
        Time (unused: the system is autonomous; present for ``solve_ivp``).
    y : ndarray, shape (2M,)
        Densities ρ_a (dimensionless, > 0) then phases φ_a (radians).
    hamiltonian : array_like, complex, shape (M, M)
        Hermitian H, energy units (validated by :func:`couplings`).
    hbar : float
        ħ > 0.
    r : float
        Exponent of (ρ_a/ρ_b) in the phase law Eq. (31).
    factor : float
        Prefactor of the density law.
    q : float
        Exponent of the ansatz Eq. (16).

    Returns
    -------
    ndarray, shape (2M,)
        (ρ̇_a, φ̇_a), 1/time.

    Raises
    ------
    ValueError
        For a malformed or non-Hermitian ``hamiltonian`` or ``hbar <= 0``.
    """
    m = len(y) // 2
    rho, phi = np.clip(y[:m], 1e-300, None), y[m:]
    omega, rate, delta = couplings(hamiltonian, hbar=hbar)
    theta = phi[:, None] - phi[None, :] + delta
    gain = rho[:, None] ** q * rho[None, :] ** (1 - q) * np.maximum(np.sin(theta), 0.0)
    loss = rho[None, :] ** q * rho[:, None] ** (1 - q) * np.maximum(-np.sin(theta), 0.0)
    drho = factor * np.sum(rate * (gain - loss), axis=1)
    dphi = omega + np.sum((rho[:, None] / rho[None, :]) ** r * rate * np.cos(theta), axis=1)
    return np.concatenate([drho, dphi])


def mean_field_solve(
    hamiltonian,
    psi0,
    times,
    *,
    hbar: float = 1.0,
    r: float = -0.5,
    factor: float = 2.0,
    q: float = 0.5,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Integrate the mean-field equations (30)–(31) with scipy (DOP853).

    Parameters
    ----------
    hamiltonian, psi0
        As in :func:`simulate`; every |ψ0_a| must be > 0 (the phase law divides by ρ_a).
    times : array_like, shape (n_t,)
        Increasing output times from 0.
    hbar, r, factor, q
        See :func:`mean_field_rhs`.
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    xarray.Dataset
        ``probability`` ρ_a and ``phase`` φ_a (mod 2π) over (time, beable), and
        ``exact_probability`` |ψ_a(t)|² of e^{−iHt/ħ}ψ0. Attrs: the parameters.

    Raises
    ------
    ValueError
        For a malformed or non-Hermitian H, an unnormalised ψ0, an empty beable, bad times,
        q outside [0, 1], non-finite ``r`` or ``factor``, non-positive tolerances, or a solver
        failure.
    """
    h = _check_hamiltonian(hamiltonian)
    psi = _check_state(psi0, h.shape[0])
    hbar, rtol, atol = positive(hbar, "hbar"), positive(rtol, "rtol"), positive(atol, "atol")
    q = _check_q(q)
    for name, value in (("r", r), ("factor", factor)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite real number; got {value!r}.")
    if np.any(np.abs(psi) == 0):
        raise ValueError(
            "mean_field_solve needs every |psi0_a| > 0 (Eq. (31) divides by rho_a); add a tiny "
            "admixture to the empty beables."
        )
    times = _check_times(times)
    y0 = np.concatenate([np.abs(psi) ** 2, -np.angle(psi)])
    y = _integrate(
        lambda y: mean_field_rhs(0.0, y, h, hbar=hbar, r=r, factor=factor, q=q),
        y0,
        times,
        rtol,
        atol,
        "mean-field",
    )
    m = h.shape[0]
    exact = _exact_evolution(h, psi, times, hbar)
    return xr.Dataset(
        {
            "probability": (("time", "beable"), y[:m].T),
            "phase": (("time", "beable"), np.mod(y[m:].T, 2 * np.pi)),
            "exact_probability": (("time", "beable"), np.abs(exact) ** 2),
        },
        coords={"time": times, "beable": np.arange(m)},
        attrs={"hbar": hbar, "r": r, "factor": factor, "q": q, "rtol": rtol, "atol": atol},
    )


def frequency_standard_error(
    hamiltonian, psi0, n_systems: int, times, *, hbar: float = 1.0, n_quadrature: int = 4096
) -> xr.DataArray:
    """Noise model of :func:`simulate`: standard error of n_a(t)/N from the copies made up to t.

    With the corrected rule and aligned phases, systems move between beables a and b in one
    direction only, at the rate N|J_ab| with J_ab = (2/ħ) Im(ψ_a* H_ab ψ_b) the Schrödinger
    probability current (the gross flow 2R_ab√(ρ_aρ_b)|sin θ_ab| of the module docstring). Each
    move changes n_a by ±1, and the moves are (nearly) independent events, so
    var(n_a(t)) ≈ N ∫_0^t Σ_b |J_ab| dt' and

        se_a(t) = √(∫_0^t Σ_b |J_ab(t')| dt' / N).

    The initial allocation is deterministic (no binomial term). The model neglects the feedback
    of a fluctuation on later rates, which is linear (Schrödinger's flow neither damps nor
    amplifies deviations on average): replicas of the runs of notebook 01 measure 0.6–1.0 of it.

    Parameters
    ----------
    hamiltonian, psi0, hbar
        As in :func:`simulate`.
    n_systems : int
        Ensemble size N ≥ 2.
    times : array_like, shape (n_t,)
        Increasing times from 0.
    n_quadrature : int
        Trapezoid nodes on [0, max(times)] (≥ 16; the integrand has kinks where J_ab changes
        sign, so the error is O(1/n_quadrature²) away from them and O(1/n_quadrature) at them,
        below 1e-4 relative for the default).

    Returns
    -------
    xarray.DataArray
        se_a(t), dims (time, beable), dimensionless.

    Raises
    ------
    ValueError, TypeError
        As :func:`simulate` for H, ψ0, N and times; for ``n_quadrature < 16``.
    """
    h = _check_hamiltonian(hamiltonian)
    psi = _check_state(psi0, h.shape[0])
    hbar = positive(hbar, "hbar")
    n_systems = count(n_systems, "n_systems", 2, " (an ensemble needs copies)")
    n_quadrature = count(n_quadrature, "n_quadrature", 16)
    times = _check_times(times)
    fine = np.union1d(np.linspace(0.0, times[-1], n_quadrature), times)
    psi_t = _exact_evolution(h, psi, fine, hbar)
    off = h - np.diag(np.diag(h))
    current = 2 / hbar * np.imag(psi_t.conj()[:, :, None] * off[None] * psi_t[:, None, :])
    gross = np.abs(current).sum(axis=2)
    moves = np.concatenate([np.zeros((1, h.shape[0])), cumulative_trapezoid(gross, fine, axis=0)])
    at = np.searchsorted(fine, times)
    return xr.DataArray(
        np.sqrt(moves[at] / n_systems),
        dims=("time", "beable"),
        coords={"time": times, "beable": np.arange(h.shape[0])},
        attrs={"n_systems": n_systems, "hbar": hbar, "model": "Poisson count of copies"},
    )


# ----------------------------------------------------------------------------------------------
# Section IV: phase alignment by a Hamiltonian phase dynamics (Eqs. (40)-(51))


def _alignment_setup(hamiltonian, psi0, n_systems, hbar):
    """Beables as in :func:`simulate`, aligned phases, couplings and each system's n_{a_I}."""
    h = _check_hamiltonian(hamiltonian)
    psi = _check_state(psi0, h.shape[0])
    n_systems = count(n_systems, "n_systems", 2, " (an ensemble needs copies)", maximum=2**31)
    omega, rate, delta = couplings(h, hbar=hbar)
    counts = _allocate(np.abs(psi) ** 2, n_systems)
    a = np.repeat(np.arange(h.shape[0]), counts)
    return a, -np.angle(psi)[a], omega, rate, delta, counts[a].astype(float)


def _alignment_rhs(y, a, omega, rate, delta, n_of, f):
    """Hamilton's equations of Eq. (43): φ̇ = π + Ω, π̇ = −∂V/∂φ − Σ_K π_K ∂Ω_K/∂φ."""
    n = a.size
    phi, pi = y[:n], y[n:]
    same = a[:, None] == a[None, :]
    g = np.where(same, 0.0, rate[a][:, a] / np.sqrt(np.outer(n_of, n_of)))
    theta = phi[:, None] - phi[None, :] + delta[a][:, a]
    omega_i = omega[a] + np.sum(g * np.cos(theta), axis=1)
    # dΩ_K/dφ_I: −Σ_J g_KJ sin θ_KJ on the diagonal, + g_KI sin θ_KI off it
    d_omega = g * np.sin(theta)
    d_omega[np.diag_indices(n)] = -np.sum(g * np.sin(theta), axis=1)
    diff = phi[:, None] - phi[None, :]
    d_potential = f**2 * np.sum(np.where(same, np.sin(2 * diff), 0.0), axis=1)
    return np.concatenate([pi + omega_i, -d_potential - d_omega.T @ pi]), omega_i


def _alignment_energy(y, a, omega, rate, delta, n_of, f):
    n = a.size
    phi, pi = y[:n], y[n:]
    _, omega_i = _alignment_rhs(y, a, omega, rate, delta, n_of, f)
    same = a[:, None] == a[None, :]
    potential = 0.5 * f**2 * np.sum(np.where(same, np.sin(phi[:, None] - phi[None, :]) ** 2, 0.0))
    return float(np.sum(0.5 * pi**2 + pi * omega_i) + potential)


def phase_alignment_flow(
    hamiltonian,
    psi0,
    n_systems: int,
    times,
    *,
    f: float,
    spread: float,
    hbar: float = 1.0,
    rng=None,
    rtol: float = 1e-9,
    atol: float = 1e-11,
) -> xr.Dataset:
    """Integrate the phase dynamics of Section IV from misaligned phases (beables held fixed).

    Each system I has a phase φ_I and momentum π_I with Hamiltonian (Eq. (43))
    H = Σ_I [π_I²/2 + π_I Ω_I(φ, n)] + (f²/2) Σ_I Σ_{J∈a_I} sin²(φ_I − φ_J), Ω_I from Eq. (38).
    Hamilton's equations: φ̇_I = π_I + Ω_I and
    π̇_I = −f² Σ_{J∈a_I} sin 2(φ_I − φ_J) − Σ_K π_K ∂Ω_K/∂φ_I (the pair potential counts each pair
    twice, so its force is f² Σ_J sin 2(φ_I − φ_J) = 2f² Σ_J sin cos). Beables are distributed
    as in :func:`simulate` and do not change (Section IV treats the phases alone); phases start
    at φ_a + ``spread``·N(0, 1), momenta at 0. Being Hamiltonian, the flow preserves phase-space
    volume (Liouville), so the aligned set can be at best neutrally stable, never an attractor.

    Parameters
    ----------
    hamiltonian, psi0, hbar
        As in :func:`simulate`.
    n_systems : int
        N ≥ 2 (the right-hand side costs O(N²): keep N ≲ 500).
    times : array_like, shape (n_t,)
        Increasing output times from 0.
    f : float
        Alignment frequency f > 0 (the paper takes f ≫ ω, R).
    spread : float
        Initial standard deviation of the phases about φ_a, radians, ≥ 0.
    rng : numpy.random.Generator, int or None
        Generator or seed of the initial phases (the seed used is recorded as in
        :func:`simulate`).
    rtol, atol : float
        DOP853 tolerances.

    Returns
    -------
    xarray.Dataset
        ``coherence`` |⟨e^{iφ_I}⟩_a| and ``phase_spread`` (circular standard deviation
        √(−2 ln coherence), radians) over (time, beable), NaN for empty beables; ``energy``
        (Eq. (43)) over time, which the flow conserves to solver tolerance;
        ``total_momentum`` Σ_I π_I over time, conserved because H depends on the phases only
        through differences (global phase symmetry).

    Raises
    ------
    ValueError
        For the inputs of :func:`simulate`, ``f <= 0``, ``spread < 0``, bad times, or a solver
        failure.
    TypeError
        For a non-integer ``n_systems`` or a bad ``rng``.
    """
    hbar, f = positive(hbar, "hbar"), positive(f, "f")
    if not spread >= 0:
        raise ValueError(f"spread must be >= 0; got {spread!r}.")
    a, phi0, omega, rate, delta, n_of = _alignment_setup(hamiltonian, psi0, n_systems, hbar)
    times = _check_times(times)
    gen, seed = seeded(rng)
    y0 = np.concatenate([phi0 + spread * gen.normal(size=a.size), np.zeros(a.size)])
    y = _integrate(
        lambda y: _alignment_rhs(y, a, omega, rate, delta, n_of, f)[0],
        y0,
        times,
        rtol,
        atol,
        "phase-alignment",
    )
    m = omega.size
    phases = y[: a.size].T
    coherence = np.stack(
        [np.abs(np.mean(np.exp(1j * phases[:, a == b]), axis=1)) for b in range(m)], axis=1
    )
    coherence[:, np.bincount(a, minlength=m) == 0] = np.nan
    energy = [_alignment_energy(col, a, omega, rate, delta, n_of, f) for col in y.T]
    return xr.Dataset(
        {
            "coherence": (("time", "beable"), coherence),
            "phase_spread": (
                ("time", "beable"),
                np.sqrt(-2 * np.log(np.clip(coherence, 1e-300, 1))),
            ),
            "energy": ("time", np.array(energy)),
            "total_momentum": ("time", y[a.size :].sum(axis=0)),
        },
        coords={"time": times, "beable": np.arange(m)},
        attrs={
            "n_systems": n_systems,
            "f": f,
            "initial_spread": spread,
            "hbar": hbar,
            "seed": seed,
            "rtol": rtol,
            "atol": atol,
            "source": "Smolin (2012), Section IV, Eqs. (40)-(51)",
        },
    )


def phase_alignment_spectrum(hamiltonian, psi0, n_systems: int, *, f: float, hbar: float = 1.0):
    """Eigenvalues of the linearised Section-IV flow at the aligned state (φ_I = φ_a, π = 0).

    The Jacobian of (φ̇, π̇) is formed by central differences (step 1e-6) at the aligned
    configuration of ``psi0``; it is constant in time for stationary states (eigenvectors of H,
    whose relative phases do not change) and the frozen-time linearisation otherwise. Eigenvalues
    with positive real part mean the aligned solution is unstable; purely imaginary ones mean
    neutral stability — misalignment oscillates, it is not damped. Zero modes come from the
    global phase symmetry.

    Parameters
    ----------
    hamiltonian, psi0, n_systems, f, hbar
        As in :func:`phase_alignment_flow`.

    Returns
    -------
    ndarray, complex, shape (2N,)
        Eigenvalues, 1/time, sorted by decreasing real part.

    Raises
    ------
    ValueError
        As :func:`phase_alignment_flow`.
    """
    hbar, f = positive(hbar, "hbar"), positive(f, "f")
    a, phi0, omega, rate, delta, n_of = _alignment_setup(hamiltonian, psi0, n_systems, hbar)
    y0 = np.concatenate([phi0, np.zeros(a.size)])
    eps = 1e-6
    jac = np.empty((y0.size, y0.size))
    for k in range(y0.size):
        step = np.zeros(y0.size)
        step[k] = eps
        plus = _alignment_rhs(y0 + step, a, omega, rate, delta, n_of, f)[0]
        minus = _alignment_rhs(y0 - step, a, omega, rate, delta, n_of, f)[0]
        jac[:, k] = (plus - minus) / (2 * eps)
    eig = np.linalg.eigvals(jac)
    return eig[np.argsort(-eig.real)]


# ----------------------------------------------------------------------------------------------
# nodes: extinction statistics (T1.6)


def extinction_statistics(
    hamiltonian,
    psi0,
    n_systems: int,
    t_end: float,
    *,
    dt: float,
    n_runs: int,
    hbar: float = 1.0,
    rng=None,
) -> xr.Dataset:
    """Fraction of independent agent runs in which some beable is empty at ``t_end`` (Eq. (61)).

    An empty beable has nobody to copy, so emptiness is absorbing (Eq. (61)): a beable empty at
    ``t_end`` was extinct from some t ≤ ``t_end`` on. Each run is :func:`simulate` from the same
    deterministic initial allocation with a fresh seed; only the times 0 and ``t_end`` are
    recorded (extinction needs no more). Runs whose step is refused (copy probability above
    ``MAX_COPY_PROBABILITY``) raise; pass a smaller ``dt``.

    Parameters
    ----------
    hamiltonian, psi0, hbar
        As in :func:`simulate`.
    n_systems : int
        N ≥ 2.
    t_end : float
        Length of every run, > 0, a multiple of ``dt``.
    dt : float
        Time step > 0.
    n_runs : int
        Number of runs ≥ 2.
    rng : numpy.random.Generator, int or None
        Source of the runs' seeds.

    Returns
    -------
    xarray.Dataset
        Dim ``run``: ``extinct`` (bool, some beable empty at ``t_end``), ``seed``; scalars
        ``probability`` (fraction of extinct runs), ``standard_error``
        √(max(p(1 − p), 1/n_runs)/n_runs) (binomial, floored at one run so that p = 0 still
        carries an error), ``initially_empty`` (bool: some beable got no system at t = 0,
        round(N|ψ_a|²) = 0). Attrs: parameters.

    Raises
    ------
    ValueError, TypeError
        As :func:`simulate`, and for ``n_runs < 2`` or ``t_end`` not a positive multiple of dt.

    Examples
    --------
    >>> h = np.array([[0.0, 0.5], [0.5, 0.0]], dtype=complex)
    >>> s = extinction_statistics(h, [1.0, 0.0], 10, 1.0, dt=0.01, n_runs=2, rng=0)
    >>> float(s.probability)
    1.0
    """
    n_runs = count(n_runs, "n_runs", 2, " (a probability needs runs)")
    t_end, dt = positive(t_end, "t_end"), positive(dt, "dt")
    gen, seed = seeded(rng)
    seeds = gen.integers(2**31, size=n_runs)
    extinct = np.zeros(n_runs, dtype=bool)
    initially_empty = False
    for k, s in enumerate(seeds):
        ds = simulate(hamiltonian, psi0, n_systems, [0.0, t_end], dt=dt, hbar=hbar, rng=int(s))
        initially_empty = bool((ds.frequency.isel(time=0) == 0).any())
        extinct[k] = bool((ds.frequency.isel(time=-1) == 0).any())
    p = float(extinct.mean())
    se = float(np.sqrt(max(p * (1 - p), 1.0 / n_runs) / n_runs))
    return xr.Dataset(
        {
            "extinct": ("run", extinct),
            "seed": ("run", seeds),
            "probability": p,
            "standard_error": se,
            "initially_empty": initially_empty,
        },
        attrs={
            "n_systems": n_systems,
            "t_end": t_end,
            "dt": dt,
            "hbar": hbar,
            "master_seed": seed,
            "source": "Smolin (2012), Eq. (61); runs of qfcore.copy_rule.simulate",
        },
    )


# ----------------------------------------------------------------------------------------------
# sympy checks of printed equations (T1.4, T1.5, T1.7)


def copy_master_equation(n_levels: int = 3) -> tuple:
    """Mean rate of change of n_0 under the copy process, derived and as printed in Eq. (7).

    With Eq. (5)'s convention F_ab = rate at which a system in beable a copies a given system in
    beable b (a the copier), the expected change of n_a sums over ordered pairs of beables
    (x copier, y copied) the rate n_x n_y F_xy times the change of n_a, δ_ay − δ_ax.

    Parameters
    ----------
    n_levels : int
        M ≥ 2 beables.

    Returns
    -------
    (derived, printed) : tuple of sympy.Expr
        ṅ_0 from the process, and Eq. (7) as printed, Σ_b n_0 n_b (F_0b − F_b0).

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``n_levels`` or ``n_levels < 2``.

    Examples
    --------
    >>> import sympy as sp
    >>> derived, printed = copy_master_equation(2)
    >>> sp.simplify(derived / printed)
    -1
    """
    import sympy as sp

    m = count(n_levels, "n_levels", 2, " (copies need two beables)")
    n = sp.symbols(f"n0:{m}", positive=True)
    rate = [[sp.Symbol(f"F_{x}{y}", positive=True) for y in range(m)] for x in range(m)]
    derived = sum(
        n[x] * n[y] * rate[x][y] * (int(y == 0) - int(x == 0)) for x in range(m) for y in range(m)
    )
    printed = sum(n[0] * n[b] * (rate[0][b] - rate[b][0]) for b in range(m))
    return sp.expand(derived), sp.expand(printed)


def alignment_potential_ratio(n_members: int = 3) -> object:
    """Ratio of the Hessians at the aligned state of Eq. (43)'s pair potential and of Eq. (47).

    Eq. (43): U = (f²/2) Σ_I Σ_{J∈a_I} sin²(φ_I − φ_J) (ordered pairs, as printed); Eq. (47):
    U = Σ_I (f²/2) n (φ_I − φ̄)², its small-angle approximation as printed. Both vanish at
    φ_I = φ̄ with zero gradient, so they agree to second order iff their Hessians agree.

    Parameters
    ----------
    n_members : int
        n ≥ 2 systems in one beable.

    Returns
    -------
    sympy.Expr
        c with Hess(43) = c·Hess(47) (sympy solves the n² equations); an empty list is
        returned by :func:`sympy.solve` if the Hessians are not proportional.

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``n_members`` or ``n_members < 2``.

    Examples
    --------
    >>> alignment_potential_ratio(2)
    2
    """
    import sympy as sp

    n = count(n_members, "n_members", 2, " (alignment needs two phases)")
    phi = sp.symbols(f"phi0:{n}", real=True)
    f, c = sp.Symbol("f", positive=True), sp.Symbol("c")
    u43 = f**2 / 2 * sum(sp.sin(phi[i] - phi[j]) ** 2 for i in range(n) for j in range(n))
    mean = sum(phi) / n
    u47 = sum(f**2 / 2 * n * (phi[i] - mean) ** 2 for i in range(n))
    at_zero = dict.fromkeys(phi, 0)
    h43 = sp.hessian(u43, phi).subs(at_zero)
    h47 = sp.hessian(u47, phi).subs(at_zero)
    sol = sp.solve(list(h43 - c * h47), c, dict=True)
    return sol[0][c] if len(sol) == 1 else sol


def lattice_fluid_equations() -> dict:
    """Which sign of the mass each printed equation (56)–(59) of Section V belongs to (sympy).

    Put ψ = √ρ e^{−iS/ħ} (the paper's S_a = ħφ_a and ψ_a = √ρ_a e^{−iφ_a}) into
    iħψ̇ = −(ħ²/2μ)ψ'' + Vψ for a mass μ = ±m: sympy returns ρ̇ and Ṡ. Then each printed equation
    is compared with both: Eq. (58) ρ̇ = (1/m)∂(ρ∂S); Eq. (59) Ṡ = −(∂S)²/2m + V (the ħ → 0
    law); Eq. (57) V_Q = (ħ²/2m)∂²√ρ/√ρ, read as Ṡ = −(∂S)²/2m + V + V_Q; Eq. (56) through its
    Euler–Lagrange equations (variation in S gives the continuity law, in ρ the Hamilton–Jacobi
    law). Finally Newton: with the transport velocity u defined by the printed Eq. (58),
    ρ̇ + ∂(ρu) = 0, i.e. u = −∂S/m, and Ṡ from the printed Eq. (59), the residual
    ∂u/∂t + u∂u/∂x + V'/m of Euler's (Newton's) equation is returned.

    Returns
    -------
    dict
        ``"mass_sign"``: {equation number: +1, −1 or 0 (neither)}; ``"newton_residual"``: the
        sympy expression of ∂u/∂t + u∂u/∂x + V'/m with the printed (58)–(59) (0 for a
        consistent classical limit); ``"newton_residual_consistent"``: the same with Eq. (58)
        and the μ = +m Hamilton–Jacobi law at ħ = 0 (must be 0); ``"madelung"``: {±1: (ρ̇, Ṡ)}.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> lattice_fluid_equations()["mass_sign"][58]
    1
    """
    import sympy as sp
    from sympy.calculus.euler import euler_equations

    x, t = sp.symbols("x t", real=True)
    m, hbar = sp.symbols("m hbar", positive=True)
    # values at one point: rho > 0 and its x-derivatives, S', S'', V, V' (all real)
    r = sp.Symbol("rho", positive=True)
    r1, r2, s1, s2, v0 = sp.symbols("rho_x rho_xx S_x S_xx V", real=True)
    amp, amp1 = sp.sqrt(r), r1 / (2 * sp.sqrt(r))
    amp2 = r2 / (2 * sp.sqrt(r)) - r1**2 / (4 * r ** sp.Rational(3, 2))
    log1 = amp1 / amp - sp.I * s1 / hbar  # psi'/psi for psi = sqrt(rho) exp(-i S/hbar)
    log2 = log1**2 + amp2 / amp - (amp1 / amp) ** 2 - sp.I * s2 / hbar  # psi''/psi
    madelung = {}
    for sign in (1, -1):
        rate = sp.expand((-(hbar**2) / (2 * sign * m) * log2 + v0) / (sp.I * hbar))
        madelung[sign] = (
            sp.simplify(2 * r * sp.re(rate)),  # psi_t/psi = rho_t/(2 rho) - i S_t/hbar
            sp.simplify(-hbar * sp.im(rate)),
        )

    def match(rho_dot=None, s_dot=None):
        for sign, (r_exact, s_exact) in madelung.items():
            ok = rho_dot is None or sp.simplify(rho_dot - r_exact) == 0
            ok &= s_dot is None or sp.simplify(s_dot - s_exact) == 0
            if ok:
                return sign
        return 0

    q_term = hbar**2 / (2 * m) * amp2 / amp  # Eq. (57) as printed
    eq58 = (r1 * s1 + r * s2) / m
    eq59 = -(s1**2) / (2 * m) + v0
    classical = {g: sp.limit(sd, hbar, 0) for g, (_, sd) in madelung.items()}
    signs = {
        58: match(rho_dot=eq58),
        59: next((g for g, sd in classical.items() if sp.simplify(eq59 - sd) == 0), 0),
        57: match(s_dot=eq59 + q_term),
    }
    # Eq. (56): Euler-Lagrange equations of the printed action, then at one point
    rho_f = sp.Function("rho", positive=True)(x, t)
    s_f = sp.Function("S", real=True)(x, t)
    v_f = sp.Function("V", real=True)(x)
    lagrangian = rho_f * (
        sp.diff(s_f, t)
        + sp.diff(s_f, x) ** 2 / (2 * m)
        - v_f
        - hbar**2 / (2 * m) * sp.diff(sp.sqrt(rho_f), x, 2) / sp.sqrt(rho_f)
    )
    el_s, el_rho = (e.lhs for e in euler_equations(lagrangian, [s_f, rho_f], [x, t]))
    point = [
        (sp.diff(rho_f, x, 2), r2),
        (sp.diff(rho_f, x), r1),
        (sp.diff(s_f, x, 2), s2),
        (sp.diff(s_f, x), s1),
        (v_f, v0),
        (rho_f, r),
    ]
    rho_dot_56 = sp.solve(el_s, sp.diff(rho_f, t))[0].subs(point)
    s_dot_56 = sp.solve(el_rho, sp.diff(s_f, t))[0].subs(point)
    signs[56] = match(rho_dot=rho_dot_56, s_dot=s_dot_56)

    def newton(hj):
        # u = -S_x/m from rho_t + (rho u)_x = 0 and Eq. (58); S_t = hj(S_x, V) at every x, so
        # u_t = -d/dx(hj)/m = -(d hj/d S_x * S_xx + d hj/d V * V')/m
        v1 = sp.Symbol("V_x", real=True)
        u, u_x = -s1 / m, -s2 / m
        u_t = -(sp.diff(hj, s1) * s2 + sp.diff(hj, v0) * v1) / m
        return sp.simplify(u_t + u * u_x + v1 / m)

    return {
        "mass_sign": signs,
        "newton_residual": newton(eq59),
        "newton_residual_consistent": newton(classical[1]),
        "madelung": madelung,
    }


# ----------------------------------------------------------------------------------------------
# the lattice of Section V (T1.7)


def lattice_quantum_potential(
    probability, spacing: float, *, hbar: float = 1.0, mass: float = 1.0
) -> np.ndarray:
    """Ensemble mean of the quantum potential Eq. (57) on an open chain, ⟨V_Q⟩ = Σ_a ρ_a V_Q,a.

    The phase law (38) on the lattice of Eqs. (54)–(55) (hopping phase δ = π, T1.7) splits as
    ħφ̇_a = V_a + V_Q,a + K_a with the kinetic term K_a = (ħ²/2mā²) Σ_b √(ρ_b/ρ_a)(1 − cos(φ_a −
    φ_b)) → (∂S)²/2m and the discrete quantum potential
    V_Q,a = (ħ²/2mā²)[2 − Σ_{b=a±1} √(ρ_b/ρ_a)] → −(ħ²/2m)∂²√ρ/√ρ (standard sign; Eq. (57) as
    printed has the opposite one, T1.7), a missing neighbour at a chain end contributing 0.
    Summed with weights ρ_a, ⟨V_Q⟩ = (ħ²/2mā²)[2 − 2Σ_a √(ρ_aρ_{a+1})] (empty sites drop out),
    which is ħ²/(8mσ²) for a wide Gaussian of standard deviation σ.

    Parameters
    ----------
    probability : array_like, shape (..., P)
        ρ_a ≥ 0 on P ≥ 2 sites, each row summing to 1 (frequencies n_a/N or |ψ_a|²).
    spacing : float
        Lattice spacing ā > 0.
    hbar, mass : float
        ħ > 0 and m > 0.

    Returns
    -------
    ndarray, shape (...)
        ⟨V_Q⟩ in energy units.

    Raises
    ------
    ValueError
        For fewer than 2 sites, negative or non-finite probabilities, rows not summing to 1
        (within 1e-9), or non-positive ``spacing``, ``hbar``, ``mass``.

    Examples
    --------
    >>> x = np.arange(-3, 3, 0.01)
    >>> rho = np.exp(-x**2 / (2 * 0.3**2)); rho /= rho.sum()
    >>> round(float(lattice_quantum_potential(rho, 0.01)) * 8 * 0.3**2, 3)
    1.0
    """
    rho = np.asarray(probability, dtype=float)
    spacing = positive(spacing, "spacing")
    hbar, mass = positive(hbar, "hbar"), positive(mass, "mass")
    if rho.ndim < 1 or rho.shape[-1] < 2:
        raise ValueError(f"probability needs P >= 2 sites on its last axis; got {rho.shape}.")
    if not np.all(np.isfinite(rho)) or np.any(rho < 0):
        raise ValueError("probability must be finite and >= 0.")
    if np.any(np.abs(rho.sum(axis=-1) - 1) > 1e-9):
        raise ValueError("probability must sum to 1 over the sites (last axis).")
    amp = np.sqrt(rho)
    overlap = (amp[..., 1:] * amp[..., :-1]).sum(axis=-1)
    return hbar**2 / (2 * mass * spacing**2) * (2 - 2 * overlap)


def lattice_agent_run(
    potential,
    spacing: float,
    psi0,
    n_systems: int,
    times,
    *,
    dt: float,
    hbar: float = 1.0,
    mass: float = 1.0,
    origin: float = 0.0,
    rng=None,
) -> xr.Dataset:
    """Copy-rule agents on the open lattice of Section V (Eqs. (54)–(55), δ = π), with ⟨x⟩, ⟨V_Q⟩.

    Sites x_a = origin + a·ā; H = ``schrodinger.lattice_hamiltonian(V, ā, convention="standard")``
    (R = ħ/2mā², hopping phase π, E_a = V_a + ħ²/mā²: the sign-corrected Eqs. (54)–(55)), then
    :func:`simulate`. Added to its output: the agents' centre Σ_a x_a n_a/N and the exact
    lattice centre Σ_a x_a|ψ_a(t)|²; the standard error of the agents' centre from the Poisson
    model of :func:`frequency_standard_error` (every copy between neighbours moves one system by
    ā, so var = ā² ∫ Σ_bonds |J_{a,a+1}| dt / N); and the ensemble mean of the quantum potential
    (:func:`lattice_quantum_potential`) from the agents' frequencies and from |ψ(t)|².

    Parameters
    ----------
    potential : array_like, shape (P,)
        V at the sites, energy units, P ≥ 2.
    spacing : float
        ā > 0.
    psi0 : array_like, complex, shape (P,)
        Normalised initial state.
    n_systems, times, dt, hbar, rng
        As in :func:`simulate` (a step refused there is refused here: use a smaller dt).
    mass : float
        m > 0.
    origin : float
        Position of site 0.

    Returns
    -------
    xarray.Dataset
        :func:`simulate`'s variables plus ``centre``, ``exact_centre``, ``centre_standard_error``,
        ``quantum_potential`` and ``exact_quantum_potential`` over time, and the coordinate
        ``position`` over beable.

    Raises
    ------
    ValueError, TypeError
        As :func:`simulate` and ``schrodinger.lattice_hamiltonian``.

    Examples
    --------
    >>> x = np.arange(-1.0, 1.0, 0.1)
    >>> psi = np.exp(-x**2 / 0.18).astype(complex); psi /= np.linalg.norm(psi)
    >>> ds = lattice_agent_run(-x, 0.1, psi, 2000, [0.0, 0.1], dt=0.001, hbar=0.4, origin=-1.0)
    >>> bool(abs(ds.centre[-1] - ds.exact_centre[-1]) < 5 * ds.centre_standard_error[-1] + 1e-3)
    True
    """
    from qfcore import schrodinger

    spacing = positive(spacing, "spacing")
    hbar, mass = positive(hbar, "hbar"), positive(mass, "mass")
    h = schrodinger.lattice_hamiltonian(
        potential, spacing, mass=mass, hbar=hbar, periodic=False, convention="standard"
    )
    ds = simulate(h, psi0, n_systems, times, dt=dt, hbar=hbar, rng=rng)
    x = float(origin) + spacing * np.arange(h.shape[0])
    times = ds.time.values
    fine = np.union1d(np.linspace(0.0, times[-1], 2048), times)
    psi_t = _exact_evolution(h, _check_state(psi0, h.shape[0]), fine, hbar)
    bond = 2 / hbar * np.abs(np.imag(psi_t[:, :-1].conj() * np.diag(h, 1) * psi_t[:, 1:]))
    moves = np.concatenate([[0.0], cumulative_trapezoid(bond.sum(axis=1), fine)])
    se = spacing * np.sqrt(moves[np.searchsorted(fine, times)] / ds.attrs["n_systems"])
    freq, exact = ds.frequency.values, ds.exact_probability.values
    return ds.assign_coords(position=("beable", x)).assign(
        centre=("time", freq @ x),
        exact_centre=("time", exact @ x),
        centre_standard_error=("time", se),
        quantum_potential=(
            "time",
            lattice_quantum_potential(freq, spacing, hbar=hbar, mass=mass),
        ),
        exact_quantum_potential=(
            "time",
            lattice_quantum_potential(
                exact / exact.sum(axis=1, keepdims=True), spacing, hbar=hbar, mass=mass
            ),
        ),
    )
