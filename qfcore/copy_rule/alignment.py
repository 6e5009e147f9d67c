"""Phase alignment (T1.5, paper 001): under the copy dynamics, and by Section IV's phase dynamics.

Phase alignment under the copy dynamics (T1.5). Linearising Eq. (38) about a beable's mean
phase, a system displaced by ε_I from φ_x has ε̇_I = −ε_I Σ_y √(n_y/n_x) R_xy sin θ_xy
= −ε_I ρ̇_x/(2ρ_x) (with the corrected density law), while copies duplicate members of the target
beable together with their phases. So the spread σ_x of the phases in beable x obeys
σ_x √ρ_x = const to first order: misalignment shrinks where a beable fills and grows where it
empties, and is neither damped nor amplified on average — aligned phases are preserved but not
an attractor (``phase_alignment`` in :func:`~qfcore.copy_rule.agents.simulate` measures this;
Section IV's Hamiltonian model is :func:`phase_alignment_flow`).

Section IV aligns the phases by a Hamiltonian phase dynamics (Eqs. (40)–(51)):
:func:`phase_alignment_flow` integrates it from misaligned phases, and
:func:`phase_alignment_spectrum` linearises it at the aligned state.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from qfcore import _checks
from qfcore._checks import count, positive, seeded
from qfcore.copy_rule._validation import _check_state, _integrate
from qfcore.copy_rule.agents import _allocate, couplings


def _alignment_setup(hamiltonian, psi0, n_systems, hbar):
    """Beables as in :func:`simulate`, aligned phases, couplings and each system's n_{a_I}."""
    h = _checks.hamiltonian(hamiltonian, minimum=2, what=" (M >= 2 beables)")
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
    psi0,
    hamiltonian,
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
    psi0, hamiltonian, hbar
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
        For a non-numeric H, ψ0 or ``times``, a non-integer ``n_systems`` or a bad ``rng``.
    """
    hbar, f = positive(hbar, "hbar"), positive(f, "f")
    if not spread >= 0:
        raise ValueError(f"spread must be >= 0; got {spread!r}.")
    a, phi0, omega, rate, delta, n_of = _alignment_setup(hamiltonian, psi0, n_systems, hbar)
    times = _checks.times(times, start="zero")
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


def phase_alignment_spectrum(psi0, hamiltonian, n_systems: int, *, f: float, hbar: float = 1.0):
    """Eigenvalues of the linearised Section-IV flow at the aligned state (φ_I = φ_a, π = 0).

    The Jacobian of (φ̇, π̇) is formed by central differences (step 1e-6) at the aligned
    configuration of ``psi0``; it is constant in time for stationary states (eigenvectors of H,
    whose relative phases do not change) and the frozen-time linearisation otherwise. Eigenvalues
    with positive real part mean the aligned solution is unstable; purely imaginary ones mean
    neutral stability — misalignment oscillates, it is not damped. Zero modes come from the
    global phase symmetry.

    Parameters
    ----------
    psi0, hamiltonian, n_systems, f, hbar
        As in :func:`phase_alignment_flow`.

    Returns
    -------
    ndarray, complex, shape (2N,)
        Eigenvalues, 1/time, sorted by decreasing real part.

    Raises
    ------
    ValueError, TypeError
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
