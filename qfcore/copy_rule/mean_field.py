"""Mean field of the copy rule and the target dynamics it must reach (T1.4, paper 001).

Target dynamics (T1.4). With H_aa = ħω_a and H_ab = ħR_ab e^{iδ_ab} (Eqs. (35)–(36)), Hermiticity
needs R_ba = R_ab and δ_ba = −δ_ab. Put the paper's ψ_a = √ρ_a e^{−iφ_a} (Eqs. (32)–(33)) into
iħψ̇_a = Σ_b H_ab ψ_b and divide by ψ_a:

    ρ̇_a/(2ρ_a) − iφ̇_a = −iω_a − i Σ_b R_ab √(ρ_b/ρ_a) e^{i(φ_a − φ_b + δ_ab)}.

The real and imaginary parts are

    ρ̇_a = 2 Σ_b √(ρ_aρ_b) R_ab sin(φ_a − φ_b + δ_ab),                               (30')
    φ̇_a = ω_a + Σ_b √(ρ_b/ρ_a) R_ab cos(φ_a − φ_b + δ_ab),                           (31)

i.e. Eq. (31) with r = −½ and Eq. (30) with a factor 2 that the paper lacks.

The agents' copy rate and its mean field, corrected and as printed, are derived in
:mod:`qfcore.copy_rule.agents`.
"""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from qfcore import _checks
from qfcore._checks import positive
from qfcore.copy_rule._validation import _check_state, _integrate
from qfcore.copy_rule.agents import _exact_evolution, couplings


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
    TypeError
        For a non-numeric ``hamiltonian``.
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
    psi0,
    hamiltonian,
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
    psi0, hamiltonian
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
    TypeError
        If H, ψ0 or ``times`` is not numeric, or q is not a real number.
    """
    h = _checks.hamiltonian(hamiltonian, minimum=2, what=" (M >= 2 beables)")
    psi = _check_state(psi0, h.shape[0])
    hbar, rtol, atol = positive(hbar, "hbar"), positive(rtol, "rtol"), positive(atol, "atol")
    q = _checks.fraction(q, "q", "Eq. (16); 0.5 is quantum mechanics")
    for name, value in (("r", r), ("factor", factor)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite real number; got {value!r}.")
    if np.any(np.abs(psi) == 0):
        raise ValueError(
            "mean_field_solve needs every |psi0_a| > 0 (Eq. (31) divides by rho_a); add a tiny "
            "admixture to the empty beables."
        )
    times = _checks.times(times, start="zero")
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
