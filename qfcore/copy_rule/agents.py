"""The agent ensemble: N systems that copy beables and phases by Eqs. (37)–(38) (paper 001).

Which phase comes first in the copy rate. When I (in beable b) copies J (in beable a), one system
moves from b to a. With aligned phases (φ_I = φ_b for every I in b) the total rate of such moves
is n_b n_a P. The corrected rule

    P(I copy J) = 2 R_{a_J a_I} sin₊(φ_J − φ_I + δ_{a_J a_I}) / √(n_I n_J)

(sin₊ = max(sin, 0), Eq. (27)) gives the flow b → a = 2√(n_a n_b) R_ab sin₊(φ_a − φ_b + δ_ab);
with sin₊(θ) − sin₊(−θ) = sin θ the net flow into a, divided by N, is exactly (30') of
:mod:`qfcore.copy_rule.mean_field`. The rule as printed in Eq. (37),
P = R_{a_I a_J} sin₊(φ_I − φ_J + δ_{a_I a_J})/√(n_I n_J), puts the copier's own phase first; as
δ_ba = −δ_ab its argument is minus the corrected one, and its net flow into a is
−√(n_a n_b) R_ab sin(φ_a − φ_b + δ_ab): the Schrödinger flow reversed and halved. Both are offered
(``rule="corrected"`` or ``"as_printed"``) so that the slip can be shown.

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

Random numbers. One numpy Generator drives everything (the numba kernel consumes it in place,
the same stream as in Python), so a pure-Python reference that consumes ``rng.random()`` in the
same order reproduces every draw. Work is split in fixed chunks, so results do not depend on the
number of threads (``numba.set_num_threads``).
"""

from __future__ import annotations

import numba
import numpy as np
import xarray as xr
from scipy.integrate import cumulative_trapezoid

from qfcore import _checks
from qfcore._checks import count, positive, seeded
from qfcore.copy_rule._validation import _check_state

#: Largest copy (proposal) probability per system and step that :func:`simulate` accepts.
MAX_COPY_PROBABILITY = 0.1
#: Copy rules: the corrected one (default) and the one printed in Eq. (37).
RULES = ("corrected", "as_printed")
#: Systems per work unit of the parallel passes (fixed, so results do not depend on threads).
_CHUNK = 16384
_TWO_PI = 2.0 * np.pi


def _allocate(rho: np.ndarray, n_systems: int) -> np.ndarray:
    """Occupations round(N ρ_a) by largest remainders, summing to exactly N."""
    counts = np.floor(rho * n_systems).astype(np.int64)
    remainder = rho * n_systems - counts
    counts[np.argsort(-remainder, kind="stable")[: n_systems - counts.sum()]] += 1
    return counts


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
        If H is not square (M >= 2), finite and Hermitian (within ``qfcore._checks.HERMITIAN_TOL``
        relative), or ``hbar <= 0``.
    TypeError
        If H is not numeric.
    """
    h = _checks.hamiltonian(hamiltonian, minimum=2, what=" (M >= 2 beables)")
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
def _half_pass(a, phi, law, half_dt, centre, offsets, order, scratch_f):
    """Half-step phases (stored as cos, sin in rows 2, 3 of ``scratch_f``; rows 0, 1 hold cos φ,
    sin φ), their sums, their range per beable, and the members of each beable in index order
    (``order``, counting sort with per-chunk offsets). ``law`` = (ω, K_re, K_im)."""
    omega, k_re, k_im = law
    cos0, sin0, cos_h, sin_h = scratch_f[0], scratch_f[1], scratch_f[2], scratch_f[3]
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
def _full_pass(a, phi, law, dt, scratch_f):
    """φ ← φ + dt·φ̇(half-step state), wrapped to [0, 2π); ``law`` = (ω, K'_re, K'_im)."""
    omega, k_re, k_im = law
    cos_h, sin_h = scratch_f[2], scratch_f[3]
    for i in numba.prange(a.size):
        x = a[i]
        ph = phi[i] + dt * (omega[x] + cos_h[i] * k_re[x] - sin_h[i] * k_im[x])
        phi[i] = ph - _TWO_PI * np.floor(ph / _TWO_PI)


@numba.njit(cache=True)
def _start_pairs(n, z_re, z_im, pairs, params):
    """Phase-law coefficients K_x = Σ_y R_xy e^{iδ_xy} conj(Z_y)/√(n_x n_y), the expected
    half-step occupations and the largest expected copy probability per step."""
    ptr, py, rate, cd, sd, _ = pairs
    dt, factor, sign, q = params
    half_dt = 0.5 * dt
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
def _mid_pairs(n, n_half, zh, ranges, pairs, params, kh, proposals):
    """Half-step phase-law coefficients ``kh`` = (K'_re, K'_im), and ``proposals`` = (λ_xy,
    acceptance bounds b_xy, Λ_x), from the half-step sums ``zh`` and the phases' ``ranges`` =
    (circular mean, lowest and highest offset from it) per beable; returns max_x dt·Λ_x."""
    zh_re, zh_im = zh
    centre, lo, hi = ranges
    ptr, py, rate, cd, sd, delta = pairs
    dt, factor, sign, q = params
    kh_re, kh_im = kh
    lam, bound, total = proposals
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
def _copies(a, phi, gen, first, n, pairs, proposals, params, scratch):
    """Draw the copies of one step (module docstring, item 4) and apply them; returns how many.
    The members of beable x are ``order[first[x]:first[x] + n[x]]``."""
    ptr, py, _, cd, sd, _ = pairs
    lam, bound, total = proposals
    dt, _, sign, _ = params
    scratch_f, scratch_i = scratch
    # row 0 (cos φ at the step's start) is no longer needed: it buffers the copied phases
    buf_phi, cos_h, sin_h = scratch_f[0], scratch_f[2], scratch_f[3]
    order, buf_i, buf_y = scratch_i[0], scratch_i[1], scratch_i[2]
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
def _advance(a, phi, gen, n_steps, omega, pairs, params, max_p, scratch):
    """``n_steps`` steps in place. ``pairs``: :func:`_pair_lists`; ``params`` = (dt, c, s, q)
    (module docstring, item 3); ``max_p``: the largest copy probability allowed; ``scratch`` =
    (float rows cos φ, sin φ, cos φ', sin φ'; int rows order, copier, new beable), each of length
    N. Returns (index of a refused step or −1, its probability, the largest proposal
    probability of the accepted steps)."""
    dt = params[0]
    scratch_f, scratch_i = scratch
    cos0, sin0 = scratch_f[0], scratch_f[1]
    order = scratch_i[0]
    m = omega.size
    n_pairs = pairs[1].size
    kh_re = np.zeros(m)
    kh_im = np.zeros(m)
    lam = np.zeros(n_pairs)
    bound = np.zeros(n_pairs)
    total = np.zeros(m)
    proposals = (lam, bound, total)
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
        n_half, k_re, k_im, p0 = _start_pairs(n, z_re, z_im, pairs, params)
        if p0 > max_p:
            return step, p0, p_seen
        centre = np.arctan2(z_im, z_re)
        zh_re_c, zh_im_c, lo_c, hi_c = _half_pass(
            a, phi, (omega, k_re, k_im), 0.5 * dt, centre, offsets, order, scratch_f
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
            n, n_half, (zh_re, zh_im), (centre, lo, hi), pairs, params, (kh_re, kh_im), proposals
        )
        p = max(p, p0)
        if p > max_p:
            return step, p, p_seen
        _full_pass(a, phi, (omega, kh_re, kh_im), dt, scratch_f)
        _copies(a, phi, gen, first, n, pairs, proposals, params, scratch)
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
    psi0,
    hamiltonian,
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
    psi0 : array_like, complex, shape (M,)
        Normalised initial state, ψ_a = √ρ_a e^{−iφ_a} (Eqs. (32)–(33)).
    hamiltonian : array_like, complex, shape (M, M)
        Hermitian H (Eqs. (35)–(36)), energy units, M ≥ 2.
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
        :mod:`qfcore.copy_rule.alignment`).
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
        If ``hamiltonian``, ``psi0`` or ``times`` is not numeric, ``n_systems`` is not an int,
        or ``rng`` is neither a Generator, an int nor None.
    """
    h = _checks.hamiltonian(hamiltonian, minimum=2, what=" (M >= 2 beables)")
    m = h.shape[0]
    psi = _check_state(psi0, m)
    n_systems = count(n_systems, "n_systems", 2, " (an ensemble needs copies)", maximum=2**31)
    dt, hbar = positive(dt, "dt"), positive(hbar, "hbar")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    q = _checks.fraction(q, "q", "Eq. (16); 0.5 is quantum mechanics")
    spread = 0.0 if phase_alignment is None else float(phase_alignment)
    if not spread >= 0:
        raise ValueError(f"phase_alignment must be None or a spread >= 0; got {phase_alignment!r}.")
    times = _checks.times(times, start="zero")
    steps = np.rint(times / dt).astype(np.int64)
    if np.any(np.abs(steps * dt - times) > 1e-9 * np.maximum(1.0, np.abs(times))):
        raise ValueError(
            "times must be multiples of dt; choose dt = times[1] / k for an integer k."
        )
    gen, seed = seeded(rng)

    omega, rate, delta = couplings(h, hbar=hbar)
    pairs = _pair_lists(rate, delta)
    a = np.repeat(np.arange(m, dtype=np.int32), _allocate(np.abs(psi) ** 2, n_systems))
    phi = np.mod(-np.angle(psi)[a], _TWO_PI)
    if spread > 0:
        phi = np.mod(phi + gen.normal(0.0, spread, size=n_systems), _TWO_PI)
    factor, sign = (2.0, 1.0) if rule == "corrected" else (1.0, -1.0)
    params = (dt, factor, sign, q)
    scratch_f = np.empty((4, n_systems))
    scratch = (scratch_f, np.empty((3, n_systems), dtype=np.int32))

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
                a, phi, gen, int(target - done), omega, pairs, params, MAX_COPY_PROBABILITY, scratch
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


def frequency_standard_error(
    psi0, hamiltonian, n_systems: int, times, *, hbar: float = 1.0, n_quadrature: int = 4096
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
    psi0, hamiltonian, hbar
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
    h = _checks.hamiltonian(hamiltonian, minimum=2, what=" (M >= 2 beables)")
    psi = _check_state(psi0, h.shape[0])
    hbar = positive(hbar, "hbar")
    n_systems = count(n_systems, "n_systems", 2, " (an ensemble needs copies)")
    n_quadrature = count(n_quadrature, "n_quadrature", 16)
    times = _checks.times(times, start="zero")
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


def mean_square_deviation(run: xr.Dataset) -> float:
    """Mean of (n_a/N − |ψ_a|²)² over the beables and the output times after t = 0.

    The measure of T1.2 and T1.8: t = 0 is left out because the initial allocation rounds
    N|ψ_a(0)|² (no copy noise yet). Its square root is compared with
    :func:`model_rms_deviation`.

    Parameters
    ----------
    run : xarray.Dataset
        Output of :func:`simulate` (``frequency`` and ``exact_probability``, dims (time,
        beable)) with at least two times.

    Returns
    -------
    float
        The mean square deviation (dimensionless).

    Raises
    ------
    ValueError
        If ``run`` holds fewer than two times (nothing after t = 0 to average).

    Examples
    --------
    >>> h = np.array([[0.8, 0.5], [0.5, -0.8]], dtype=complex)
    >>> run = simulate([0.6, 0.8], h, 10_000, np.linspace(0, 1, 11), dt=0.01, rng=1)
    >>> msd = mean_square_deviation(run)
    >>> model = model_rms_deviation([0.6, 0.8], h, 10_000, np.linspace(0, 1, 11))
    >>> bool(0 < msd**0.5 < 3 * model)
    True
    """
    if run.sizes.get("time", 0) < 2:
        raise ValueError("run needs at least two output times (t = 0 and later); rerun simulate.")
    return float(((run.frequency - run.exact_probability) ** 2).isel(time=slice(1, None)).mean())


def model_rms_deviation(psi0, hamiltonian, n_systems: int, times, *, hbar: float = 1.0) -> float:
    """Poisson-model rms of n_a/N − |ψ_a|² over the beables and the times after t = 0.

    √(mean_{t > 0, a} se_a(t)²) with se_a from :func:`frequency_standard_error`: the model value
    of √:func:`mean_square_deviation`, ∝ N^(−1/2).

    Parameters
    ----------
    psi0, hamiltonian, n_systems, hbar
        As in :func:`frequency_standard_error`.
    times : array_like, shape (n_t,)
        Increasing times from 0, n_t ≥ 2.

    Returns
    -------
    float
        The model rms deviation (dimensionless).

    Raises
    ------
    ValueError, TypeError
        As :func:`frequency_standard_error`; for fewer than two times.

    Examples
    --------
    >>> h = np.array([[0.8, 0.5], [0.5, -0.8]], dtype=complex)
    >>> r = [model_rms_deviation([0.6, 0.8], h, n, [0.0, 0.5, 1.0]) for n in (100, 10_000)]
    >>> round(r[0] / r[1], 6)
    10.0
    """
    times = _checks.times(times, minimum=2, start="zero")
    se = frequency_standard_error(psi0, hamiltonian, n_systems, times, hbar=hbar)
    return float(np.sqrt((se.isel(time=slice(1, None)) ** 2).mean()))
