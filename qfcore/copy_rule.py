"""Smolin's real-ensemble dynamics: N systems that copy each other's beables (paper 001).

L. Smolin, "A real ensemble interpretation of quantum mechanics", Found. Phys. 42, 1239 (2012),
arXiv:1104.2822. Each of N systems carries a beable a_I ∈ {0, …, M−1} and a phase φ_I. Quantum
probabilities are the relative frequencies n_a/N. Two rules move the ensemble:

* **Copy** (stochastic, Eqs. (1), (4), (37)): system I copies system J — a_I → a_J and φ_I → φ_J —
  with a rate P(I copy J) that depends on both phases and on the occupation numbers n_I = n_{a_I},
  n_J = n_{a_J}.
* **Phase law** (continuous, Eq. (38)):
  φ̇_I = ω_{a_I} + Σ_{J, a_J ≠ a_I} R_{a_I a_J} cos(φ_I − φ_J + δ_{a_I a_J}) / √(n_I n_J).

Target dynamics. With H_aa = ħω_a and H_ab = ħR_ab e^{iδ_ab} (Eqs. (35)–(36), Hermiticity:
R_ba = R_ab, δ_ba = −δ_ab) and the paper's ψ_a = √ρ_a e^{−iφ_a} (Eqs. (32)–(33)), iħψ̇ = Hψ is

    ρ̇_a = 2 Σ_b √(ρ_aρ_b) R_ab sin(φ_a − φ_b + δ_ab),                               (30')
    φ̇_a = ω_a + Σ_b √(ρ_b/ρ_a) R_ab cos(φ_a − φ_b + δ_ab)                            (31)

(ψ̇_a/ψ_a = ρ̇_a/2ρ_a − iφ̇_a = −(i/ħ)Σ_b H_ab ψ_b/ψ_a; take real and imaginary parts). The
paper's Eq. (30) lacks the factor 2.

Which phase comes first in the copy rate. When I (in b) copies J (in a), one system moves from b
to a. With aligned phases the total rate of such moves is n_b n_a P. The corrected rule

    P(I copy J) = 2 R_{a_J a_I} sin₊(φ_J − φ_I + δ_{a_J a_I}) / √(n_I n_J)

gives the flow b → a = 2√(n_a n_b) R_ab sin₊(φ_a − φ_b + δ_ab), and the net flow, using
sin₊(θ) − sin₊(−θ) = sin θ, is exactly (30'). The rule as printed in Eq. (37),
P = R_{a_I a_J} sin₊(φ_I − φ_J + δ_{a_I a_J})/√(n_I n_J), puts the copier's own phase first: its
net flow into a is −√(n_a n_b) R_ab sin(φ_a − φ_b + δ_ab), the Schrödinger flow reversed and
halved. Both are offered (``rule="corrected"`` or ``"as_printed"``) so the slip can be shown.

Numerical scheme (one step of length dt, all systems updated synchronously from the old state):
per-beable counts n_b and sums Z_b = Σ_{J∈b} e^{iφ_J} make the phase law O(M) per system
(Σ_{J∈b} cos(φ_I − φ_J + δ) = Re[e^{i(φ_I+δ)} Z̄_b]); the phase is advanced by explicit Euler.
For the copy, a partner J is proposed uniformly among all N systems and accepted with
probability N·P(I copy J)·dt, so the copy rate is exactly Σ_J P(I copy J) to first order in dt;
a copying system takes J's old beable and J's advanced phase. The per-step acceptance
probability is bounded by p_max = c·N·dt·max R_ab n_a^{−q} n_b^{q−1} (c = 2 corrected, 1 as
printed; q = ½ gives 1/√(n_a n_b)) over occupied pairs, a the copier's beable; a step with
p_max > ``MAX_COPY_PROBABILITY`` is refused, since the Bernoulli step's bias is of order p_max.
The scheme is first order: the bias of the frequencies is O(dt) (measured ≈ 2·dt per unit time
for a detuned Rabi problem).

Occupation exponent. The paper's ansatz Eq. (16) weights the copy rate by (n_a/n_b)^q; at the
agent level that is P(I copy J) ∝ n_I^{−q} n_J^{q−1}, i.e. ρ̇_a ∝ Σ_b [ρ_a^q ρ_b^{1−q} sin₊θ_ab −
ρ_b^q ρ_a^{1−q} sin₊(−θ_ab)]. Only q = ½ is time-reversal invariant (Eqs. (18)–(21)); both
:func:`simulate` and :func:`mean_field_solve` take ``q`` so that this can be shown.

Random numbers. Uniform deviates are drawn by numpy's Generator in the wrapper and passed to the
numba kernel, so a pure-Python reference can consume the very same draws.

Units: ħ = 1 unless given; H in energy units, times in ħ/energy.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

__all__ = [
    "MAX_COPY_PROBABILITY",
    "RULES",
    "couplings",
    "mean_field_rhs",
    "mean_field_solve",
    "phase_alignment_flow",
    "phase_alignment_spectrum",
    "simulate",
]

#: Largest copy probability per system and step that :func:`simulate` accepts.
MAX_COPY_PROBABILITY = 0.1
#: Copy rules: the corrected one (default) and the one printed in Eq. (37).
RULES = ("corrected", "as_printed")


def _check_hamiltonian(hamiltonian) -> np.ndarray:
    h = np.asarray(hamiltonian, dtype=complex)
    if h.ndim != 2 or h.shape[0] != h.shape[1] or h.shape[0] < 1:
        raise ValueError(f"hamiltonian must be a square M x M matrix; got shape {h.shape}.")
    if not np.all(np.isfinite(h)):
        raise ValueError("hamiltonian holds non-finite entries.")
    scale = max(np.abs(h).max(), 1e-300)
    if np.abs(h - h.conj().T).max() > 1e-12 * scale:
        raise ValueError(
            "hamiltonian is not Hermitian (|H - H^dagger| > 1e-12 max|H|); use (H + H^dagger)/2 "
            "or fix the off-diagonal elements so that H[b, a] = conj(H[a, b])."
        )
    return h


def _check_state(psi0, m: int) -> np.ndarray:
    psi = np.asarray(psi0, dtype=complex)
    if psi.shape != (m,):
        raise ValueError(f"psi0 must have shape ({m},) to match the hamiltonian; got {psi.shape}.")
    norm = float(np.sum(np.abs(psi) ** 2))
    if abs(norm - 1) > 1e-6:
        raise ValueError(
            f"psi0 is not normalised: sum |psi0|^2 = {norm:.9g}; divide it by sqrt({norm:.9g})."
        )
    return psi


def _positive(value, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return v


def _check_times(times) -> np.ndarray:
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size < 1 or times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a 1D increasing array starting at 0.")
    return times


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

    Returns
    -------
    omega : ndarray, shape (M,)
        Angular frequencies, 1/time.
    R : ndarray, shape (M, M)
        Non-negative rates, symmetric, zero diagonal, 1/time.
    delta : ndarray, shape (M, M)
        Phases, antisymmetric (δ_ba = −δ_ab), zero where R = 0.

    Raises
    ------
    ValueError
        If H is not square, finite and Hermitian, or ``hbar <= 0``.
    """
    h = _check_hamiltonian(hamiltonian)
    hbar = _positive(hbar, "hbar")
    off = h - np.diag(np.diag(h))
    return np.diag(h).real / hbar, np.abs(off) / hbar, np.where(off != 0, np.angle(off), 0.0)


@numba.njit(cache=True)
def _step(
    a,
    phi,
    u_partner,
    u_accept,
    omega,
    rate,
    delta,
    dt,
    factor,
    corrected,
    q,
    new_a,
    new_phi,
    advanced,
):
    """One synchronous step for all systems (see the module docstring); returns p_max."""
    n = a.size
    m = omega.size
    counts = np.zeros(m)
    z_re = np.zeros(m)
    z_im = np.zeros(m)
    cos_phi = np.empty(n)
    sin_phi = np.empty(n)
    for i in range(n):
        cos_phi[i] = np.cos(phi[i])
        sin_phi[i] = np.sin(phi[i])
        counts[a[i]] += 1.0
        z_re[a[i]] += cos_phi[i]
        z_im[a[i]] += sin_phi[i]
    # per ordered pair (x, y): coefficients of cos φ_I and sin φ_I in the phase velocity,
    # R_xy Re[e^{i(φ+δ_xy)} conj(Z_y)]/sqrt(n_x n_y) = A_xy cos φ + B_xy sin φ
    coef_c = np.zeros((m, m))
    coef_s = np.zeros((m, m))
    accept_scale = np.zeros((m, m))  # N·P(I copy J)·dt / sin₊(…) for beables (a_I, a_J)
    p_max = 0.0
    for x in range(m):
        for y in range(m):
            if x != y and counts[x] > 0 and counts[y] > 0:
                g = rate[x, y] / np.sqrt(counts[x] * counts[y])
                cd, sd = np.cos(delta[x, y]), np.sin(delta[x, y])
                coef_c[x, y] = g * (cd * z_re[y] + sd * z_im[y])
                coef_s[x, y] = g * (cd * z_im[y] - sd * z_re[y])
                # N·dt·factor·R_xy n_x^{-q} n_y^{q-1} (x copier, y copied; q = 1/2: 1/sqrt(n_x n_y))
                accept_scale[x, y] = (
                    factor * n * dt * rate[x, y] * counts[x] ** -q * counts[y] ** (q - 1)
                )
                p_max = max(p_max, accept_scale[x, y])
    # phases: explicit Euler step of Eq. (38)
    for i in range(n):
        x = a[i]
        velocity = omega[x]
        for y in range(m):
            velocity += coef_c[x, y] * cos_phi[i] + coef_s[x, y] * sin_phi[i]
        advanced[i] = phi[i] + velocity * dt
    # copies: propose J uniformly, accept with probability N·P(I copy J)·dt
    for i in range(n):
        j = min(int(u_partner[i] * n), n - 1)
        x, y = a[i], a[j]
        new_a[i] = x
        new_phi[i] = advanced[i]
        if x == y:
            continue
        arg = phi[j] - phi[i] + delta[y, x] if corrected else phi[i] - phi[j] + delta[x, y]
        if u_accept[i] < accept_scale[x, y] * np.sin(arg):
            new_a[i] = y
            new_phi[i] = advanced[j]
    return p_max


def _exact_evolution(h, psi, times, hbar) -> np.ndarray:
    """ψ(t) = e^{−iHt/ħ}ψ0 by eigendecomposition, shape (n_t, M)."""
    vals, vecs = np.linalg.eigh(h)
    return (vecs * np.exp(-1j * np.outer(times, vals) / hbar)[:, None, :]) @ (vecs.conj().T @ psi)


def _phase_sums(a, phi, m):
    counts = np.bincount(a, minlength=m).astype(float)
    z = np.bincount(a, weights=np.cos(phi), minlength=m) + 1j * np.bincount(
        a, weights=np.sin(phi), minlength=m
    )
    return counts, z


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
    """Evolve N systems by the copy rule and the phase law; compare with the Schrödinger evolution.

    Parameters
    ----------
    hamiltonian : array_like, complex, shape (M, M)
        Hermitian H (Eqs. (35)–(36)), energy units.
    psi0 : array_like, complex, shape (M,)
        Normalised initial state, ψ_a = √ρ_a e^{−iφ_a}.
    n_systems : int
        Ensemble size N ≥ 2. Initial beables: round(N|ψ_a|²) systems in beable a (largest
        remainders fill up to N), so the initial frequencies carry no sampling noise.
    times : array_like, shape (n_t,)
        Output times, increasing from 0, multiples of ``dt`` (within 1e-9 relative).
    dt : float
        Time step > 0 (first-order scheme: bias O(p_max) per unit time, see module docstring).
    hbar : float
        ħ > 0.
    rng : numpy.random.Generator, int or None
        Source of randomness or seed (recorded in the attrs).
    phase_alignment : float, optional
        None: every system starts with its beable's phase φ_a (aligned). A number σ ≥ 0: each
        phase is scattered by a normal deviate of standard deviation σ (radians) around φ_a, to
        study whether the dynamics aligns phases (Section IV); the variable ``coherence``
        records |⟨e^{iφ_I}⟩| within each beable (1 = aligned).
    rule : {"corrected", "as_printed"}
        Copy rule (module docstring).
    q : float
        Exponent of the occupation factors of the copy rate, n_I^{−q} n_J^{q−1} (the ansatz
        Eq. (16)); ½ (the default, 1/√(n_I n_J)) is the only time-reversal-invariant choice
        (Eqs. (18)–(21)) and the only one that reproduces quantum mechanics.
    per_system : bool
        Also return ``beable`` and ``system_phase`` per system (dims time, system).

    Returns
    -------
    xarray.Dataset
        Dims ``time``, ``beable`` (and ``system``). Variables ``frequency`` (n_a/N), ``phase``
        (circular mean of φ_I over systems in a, NaN where empty), ``coherence``,
        ``exact_probability`` and ``exact_phase`` (−arg ψ_a(t) of the exact evolution e^{−iHt/ħ}ψ0),
        and ``max_copy_probability`` (p_max over the steps up to each time). Attrs: every
        parameter, the seed, the rule.

    Raises
    ------
    ValueError
        For a non-Hermitian or malformed ``hamiltonian``, an unnormalised ``psi0``,
        ``n_systems < 2``, ``dt <= 0``, ``hbar <= 0``, times not increasing from 0 or not on the
        dt grid, an unknown ``rule``, a negative ``phase_alignment``, or a step whose copy
        probability exceeds ``MAX_COPY_PROBABILITY`` (the message gives the dt that fixes it).
    TypeError
        If ``n_systems`` is not an int.
    """
    h = _check_hamiltonian(hamiltonian)
    m = h.shape[0]
    psi = _check_state(psi0, m)
    if not isinstance(n_systems, numbers.Integral) or isinstance(n_systems, bool):
        raise TypeError(f"n_systems must be an int; got {type(n_systems).__name__}.")
    if n_systems < 2:
        raise ValueError(f"n_systems must be >= 2 (an ensemble needs copies); got {n_systems}.")
    dt, hbar = _positive(dt, "dt"), _positive(hbar, "hbar")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    if phase_alignment is not None and not phase_alignment >= 0:
        raise ValueError(f"phase_alignment must be None or a spread >= 0; got {phase_alignment!r}.")
    times = _check_times(times)
    steps = np.rint(times / dt).astype(np.int64)
    if np.any(np.abs(steps * dt - times) > 1e-9 * np.maximum(1.0, np.abs(times))):
        raise ValueError(
            "times must be multiples of dt; choose dt = times[1] / k for an integer k."
        )
    if isinstance(rng, np.random.Generator):
        seed_attr = "generator"
        gen = rng
    else:
        seed = int(np.random.SeedSequence().entropy % 2**63) if rng is None else int(rng)
        seed_attr = seed
        gen = np.random.default_rng(seed)

    omega, rate, delta = couplings(h, hbar=hbar)
    rho0 = np.abs(psi) ** 2
    phase0 = -np.angle(psi)
    counts0 = np.floor(rho0 * n_systems).astype(np.int64)
    remainder = rho0 * n_systems - counts0
    counts0[np.argsort(-remainder)[: n_systems - counts0.sum()]] += 1
    a = np.repeat(np.arange(m), counts0).astype(np.int32)
    phi = phase0[a].copy()
    if phase_alignment:
        phi += gen.normal(0.0, phase_alignment, size=n_systems)
    factor = 2.0 if rule == "corrected" else 1.0

    n_t = times.size
    frequency = np.zeros((n_t, m))
    phase = np.full((n_t, m), np.nan)
    coherence = np.full((n_t, m), np.nan)
    p_record = np.zeros(n_t)
    per_a = np.zeros((n_t, n_systems), dtype=np.int32) if per_system else None
    per_phi = np.zeros((n_t, n_systems)) if per_system else None
    new_a, new_phi, advanced = np.empty_like(a), np.empty_like(phi), np.empty_like(phi)
    p_seen, step = 0.0, 0
    for k, target in enumerate(steps):
        while step < target:
            u = gen.random((2, n_systems))
            p = _step(
                a,
                phi,
                u[0],
                u[1],
                omega,
                rate,
                delta,
                dt,
                factor,
                rule == "corrected",
                q,
                new_a,
                new_phi,
                advanced,
            )
            if p > MAX_COPY_PROBABILITY:
                raise ValueError(
                    f"dt = {dt:.3g} is too large for the rates at step {step} "
                    f"(t = {step * dt:.4g}): "
                    f"the copy probability per step reaches {p:.3g} > {MAX_COPY_PROBABILITY}. "
                    f"Use dt <= {dt * MAX_COPY_PROBABILITY / p:.3g} (a nearly empty beable has "
                    "fast per-system rates)."
                )
            p_seen = max(p_seen, p)
            a, new_a = new_a, a
            phi, new_phi = np.mod(new_phi, 2 * np.pi), phi
            step += 1
        counts, z = _phase_sums(a, phi, m)
        frequency[k] = counts / n_systems
        occupied = counts > 0
        phase[k, occupied] = np.mod(np.angle(z[occupied]), 2 * np.pi)
        coherence[k, occupied] = np.abs(z[occupied]) / counts[occupied]
        p_record[k] = p_seen
        if per_system:
            per_a[k], per_phi[k] = a, phi

    exact = _exact_evolution(h, psi, times, hbar)
    data = {
        "frequency": (("time", "beable"), frequency),
        "phase": (("time", "beable"), phase),
        "coherence": (("time", "beable"), coherence),
        "exact_probability": (("time", "beable"), np.abs(exact) ** 2),
        "exact_phase": (("time", "beable"), np.mod(-np.angle(exact), 2 * np.pi)),
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
            "seed": seed_attr,
            "rule": rule,
            "q": q,
            "phase_alignment": "aligned" if phase_alignment is None else float(phase_alignment),
            "hamiltonian_real": h.real.tolist(),
            "hamiltonian_imag": h.imag.tolist(),
            "psi0_real": psi.real.tolist(),
            "psi0_imag": psi.imag.tolist(),
            "source": "Smolin, Found. Phys. 42, 1239 (2012), Eqs. (30)-(38), corrected as in "
            "qfcore.copy_rule",
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
    (Eq. (31)). ``factor = 2``, ``q = ½`` and ``r = −½`` are the Schrödinger equation;
    ``factor = 1`` is Eq. (30) as printed; q ≠ ½ breaks time-reversal invariance (Eqs. (18)–(21)).

    Parameters
    ----------
    t : float
        Time (unused: the system is autonomous; present for ``solve_ivp``).
    y : ndarray, shape (2M,)
    hamiltonian : ndarray, shape (M, M)
        Hermitian (not re-validated here: :func:`mean_field_solve` validates).
    hbar, r, factor, q : float
        See above.

    Returns
    -------
    ndarray, shape (2M,)
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
        ``probability`` and ``phase`` (mod 2π) over (time, beable), and ``exact_probability``.

    Raises
    ------
    ValueError
        For a malformed or non-Hermitian H, an unnormalised ψ0, an empty beable, bad times, or a
        solver failure.
    """
    h = _check_hamiltonian(hamiltonian)
    psi = _check_state(psi0, h.shape[0])
    hbar = _positive(hbar, "hbar")
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


# ----------------------------------------------------------------------------------------------
# Section IV: phase alignment by a Hamiltonian phase dynamics (Eqs. (40)-(51))


def _alignment_setup(hamiltonian, psi0, n_systems, hbar):
    h = _check_hamiltonian(hamiltonian)
    psi = _check_state(psi0, h.shape[0])
    if not isinstance(n_systems, numbers.Integral) or isinstance(n_systems, bool):
        raise TypeError(f"n_systems must be an int; got {type(n_systems).__name__}.")
    if n_systems < 2:
        raise ValueError(f"n_systems must be >= 2; got {n_systems}.")
    omega, rate, delta = couplings(h, hbar=hbar)
    rho0 = np.abs(psi) ** 2
    counts = np.floor(rho0 * n_systems).astype(np.int64)
    counts[np.argsort(-(rho0 * n_systems - counts))[: n_systems - counts.sum()]] += 1
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
    rtol, atol : float
        DOP853 tolerances.

    Returns
    -------
    xarray.Dataset
        ``coherence`` |⟨e^{iφ_I}⟩_a| and ``spread`` (circular standard deviation
        √(−2 ln coherence)) over (time, beable); ``energy`` (Eq. (43)) over time, which the
        flow conserves to solver tolerance.

    Raises
    ------
    ValueError
        For the inputs of :func:`simulate`, ``f <= 0``, ``spread < 0``, bad times, or a solver
        failure.
    """
    hbar, f = _positive(hbar, "hbar"), _positive(f, "f")
    if not spread >= 0:
        raise ValueError(f"spread must be >= 0; got {spread!r}.")
    a, phi0, omega, rate, delta, n_of = _alignment_setup(hamiltonian, psi0, n_systems, hbar)
    times = _check_times(times)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
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
    energy = [_alignment_energy(col, a, omega, rate, delta, n_of, f) for col in y.T]
    return xr.Dataset(
        {
            "coherence": (("time", "beable"), coherence),
            "spread": (("time", "beable"), np.sqrt(-2 * np.log(np.clip(coherence, 1e-300, 1)))),
            "energy": ("time", np.array(energy)),
        },
        coords={"time": times, "beable": np.arange(m)},
        attrs={
            "n_systems": n_systems,
            "f": f,
            "initial_spread": spread,
            "hbar": hbar,
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
    hbar, f = _positive(hbar, "hbar"), _positive(f, "f")
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
