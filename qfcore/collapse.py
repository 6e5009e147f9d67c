"""Local, deterministic collapse by hidden-variable Lindblad operators (paper 003).

S. Donadi and S. Hossenfelder, "Toy model for local and deterministic wave-function collapse",
Phys. Rev. A 106, 022212 (2022) (arXiv:2010.01327). A state in an N-dimensional Hilbert space is
measured in a detector basis |χ_1⟩ … |χ_N⟩ (the paper's optimal choice is |χ_I⟩ = |I⟩, the
eigenbasis of the measured observable). N − 1 hidden variables λ_2 … λ_N, uniform in the unit
disk and constant in time, fix the signs of

    σ_K = |β_K λ_K|² − (1 − |λ_K|²) Σ_{I<K} |β_I|²,         K = 2 … N,          Eqs. (6), (13)

where β_I = ⟨χ_I|Ψ*(t_d)⟩ are the amplitudes that the *Hamiltonian-only* evolution
Ψ*(t) = e^{−iH(t − t_p)}Ψ(t_p) would have at the detection time t_d (Eqs. (2), (3), (7)). The
σ's are therefore numbers fixed once and for all by the preparation, the Hamiltonian and the
detector setting at t_d (the "future input"); they do not follow the collapsing ρ(t). The
density matrix obeys the Lindblad equation (15) with ħ = 1,

    dρ/dt = −i[H, ρ] + κ Σ_{K>M} (L_KM ρ L_KM† − ½{L_KM† L_KM, ρ}),
    L_KM = θ(σ_K)|χ_K⟩⟨χ_M| + θ(−σ_K)|χ_M⟩⟨χ_K|,            M < K,                 Eq. (14)

(the text extraction of Eqs. (4) and (15) shows daggers on both sides; Eq. (36) of the Appendix
fixes the standard form written here: for σ_K > 0 the operator moves |χ_M⟩ up to |χ_K⟩, for
σ_K < 0 it moves |χ_K⟩ down to |χ_M⟩).

Rate structure (Appendix, Eqs. (36)–(47), re-derived for any N). In the detector basis every
L_KM is a single transition operator |a⟩⟨b|, so with W_ab = 1 for each allowed jump b → a and
Γ_b = Σ_a W_ab the outflow rate of level b,

    dρ_II/dt = κ (Σ_b W_Ib ρ_bb − Γ_I ρ_II) + [Hamiltonian part],
    dρ_IJ/dt = −(κ/2)(Γ_I + Γ_J) ρ_IJ + [Hamiltonian part],      I ≠ J,

which for N = 4 are Eqs. (40)–(43) and (45)–(46), Λ_IJ = Γ_I + Γ_J, with
Γ_I = Σ_{M>I} θ(σ_M) + (I − 1) θ(−σ_I) (:func:`rate_matrix`, :func:`decay_rates`,
:func:`collapse_solution`).

Outcome (Section 2.2). For H = 0 (κ ≫ the energies of H) the absorbing level is K*, the largest
K with σ_K > 0, or level 1 if every σ_K ≤ 0: levels above K* drain downwards (σ_K < 0 sends
|χ_K⟩ to every |χ_M⟩, M < K), levels below K* are lifted to K* by L_{K*M}, and nothing leaves
K*. So ρ(t) → |χ_{K*}⟩⟨χ_{K*}| as κt → ∞ (Eqs. (8)–(9) for N = 2). Since
σ_K > 0 ⟺ |λ_K|² > S_{K−1}/S_K with S_K = Σ_{I≤K}|β_I|², and |λ|² is uniform on [0, 1] for λ
uniform in the disk, P(σ_K > 0) = |β_K|²/S_K, the λ's are independent, and the product

    P(K) = P(σ_N ≤ 0) ⋯ P(σ_{K+1} ≤ 0) P(σ_K > 0) = (S_{N−1}/S_N) ⋯ (S_K/S_{K+1}) |β_K|²/S_K
         = |β_K|²/S_N = |β_K|²                                                      Eq. (22)

telescopes to Born's rule (:func:`born_product` gives it as a sympy expression,
:func:`outcome_probabilities` numerically, also for a non-uniform hidden-variable density).

Conventions of this module.

* Levels are 0-based in arrays: index 0 ↔ |χ_1⟩; ``lam[..., k]`` is λ_{k+2} and
  ``sigmas(...)[..., k]`` is the sign of σ_{k+2}.
* Ties. The paper's θ(0) = 0 would switch both parts of L_KM off at σ_K = 0 (a set of measure
  zero). Here σ_K = 0 counts as negative: :func:`sigmas` returns −1, the outcome is "not K",
  and L_KM = |χ_M⟩⟨χ_K|. With this convention the outcome rule reads "σ_K > 0" exactly as
  Eq. (22) does.
* Lindblad-operator order: pairs (K, M), K > M, in the order in which Eq. (14) adds them,
  (2,1), (3,1), (3,2), (4,1), … (0-based (1,0), (2,0), (2,1), …; :func:`operator_pairs`).
* Amplitudes β are normalised (Σ|β_I|² = 1 within 1e-6); only |β_I|² enters the σ's.

Numerics. :func:`outcome` and :func:`sigmas` are numba kernels (the arithmetic of Eq. (13);
10⁶ samples at N = 8 in about 60–90 ms on two cores). :func:`evolve` integrates Eq. (15) in the
detector basis with scipy's DOP853 (Hairer, Nørsett & Wanner, *Solving Ordinary Differential
Equations I*, 2nd ed., Springer 1993, Section II.10); all samples of a batch are integrated as
one ODE system, so the step-size control acts on the RMS of the local error over all samples
and matrix elements (tests: within 1e-9 of the exact matrix-exponential propagator, 1e-8 of QuTiP's
``mesolve`` at the default tolerances; 1.4e-11 measured against the exact propagator).

Slips of the paper found while re-deriving (notebook 03 records them): after Eq. (9) "λ_2 > 0"
for σ_2 > 0; Eq. (20) "λ_{N−1} < 0" for σ_{N−1} < 0; after Eq. (17) "larger or smaller than
one" for "than zero"; before Eq. (48) "λ_{3,4} ≤ 0" for σ_{3,4} ≤ 0; the labels of Eq. (26)
disagree with Eq. (27) (|1⟩ is defined as ↓↑ but q|↑↓⟩ is written q|1⟩); Eqs. (31) and (33)
print "ρ_12 = ρ_22 = q√(1−q²) e^{−κt/2}" where ρ_12 = ρ_21 = −q√(1−q²) e^{−κt/2} follows from
Eqs. (28) and (61).

Units: ħ = 1; κ and H in energy units, times in 1/energy.
"""

from __future__ import annotations

import itertools
import numbers
from typing import NamedTuple

import numba
import numpy as np
import scipy.linalg
import sympy as sp
import xarray as xr
from scipy.integrate import cumulative_trapezoid, solve_ivp

from qfcore import _checks
from qfcore._checks import (
    NORM_TOL,
    complex_array,
    count,
    hermitian,
    non_negative,
    positive,
    seeded,
)

__all__ = [
    "DENSITY_GRID",
    "MAX_ORDER_LEVELS",
    "PAIR_UP_LEVELS",
    "AppendixEquations",
    "LambdaAverage",
    "appendix_equations",
    "appendix_symbols",
    "born_frequencies",
    "born_product",
    "collapse_solution",
    "decay_rates",
    "dissipator_sympy",
    "evolve",
    "lambda_average",
    "lambda_average_per_order",
    "lindblad_operators",
    "liouvillian",
    "operator_pairs",
    "order_averaged_probabilities",
    "outcome",
    "outcome_probabilities",
    "pair_basis",
    "pair_reduced_state",
    "pair_small_angle_expansion",
    "pair_state",
    "pair_up_population",
    "pair_up_probability",
    "printed_decay_rate",
    "printed_rate_equations",
    "rate_matrix",
    "sample_disk",
    "sigma_values",
    "sigmas",
    "sign_patterns",
    "singlet_average",
    "singlet_density",
    "spin_states",
]

#: Radial grid intervals of a non-uniform hidden-variable density (inverse-CDF sampling).
DENSITY_GRID = 2**14
#: Largest N whose N! level orders :func:`order_averaged_probabilities` enumerates (9! orders
#: of 9 levels hold 26 MB of amplitudes; 10! would hold 290 MB).
MAX_ORDER_LEVELS = 9
#: Samples per chunk in :func:`born_frequencies` (bounds the memory to ~100 MB at N = 8).
_CHUNK = 2**20


# ----------------------------------------------------------------------------------------------
# validation


def _check_lam(lam, n: int | None = None) -> np.ndarray:
    lam = complex_array(lam, "lam")
    if lam.ndim < 1 or lam.shape[-1] < 1:
        raise ValueError(f"lam must have shape (..., N-1) with N >= 2; got shape {lam.shape}.")
    if n is not None and lam.shape[-1] != n - 1:
        raise ValueError(
            f"lam must have last axis N-1 = {n - 1} (one lambda_K per K = 2..N) to match "
            f"N = {n}; got shape {lam.shape}."
        )
    if np.any(np.abs(lam) > 1 + 1e-12):
        raise ValueError(
            f"lam must lie in the closed unit disk |lam| <= 1; got max |lam| = "
            f"{float(np.abs(lam).max()):.6g}. Draw it with sample_disk."
        )
    return lam


def _broadcast(p: np.ndarray, lam: np.ndarray):
    """p (B, N), lam (B, N−1) as 2D arrays over the broadcast leading shape, and that shape."""
    try:
        lead = np.broadcast_shapes(p.shape[:-1], lam.shape[:-1])
    except ValueError:
        raise ValueError(
            f"beta's leading shape {p.shape[:-1]} and lam's {lam.shape[:-1]} do not broadcast; "
            "give beta shape (N,) or the same leading shape as lam."
        ) from None
    n = p.shape[-1]
    if lam.shape[-1] != n - 1:
        raise ValueError(
            f"lam must have last axis N-1 = {n - 1} to match beta's N = {n}; got {lam.shape}."
        )
    size = int(np.prod(lead, dtype=np.int64))
    p2 = np.broadcast_to(p, (*lead, n)).reshape(size, n)
    lam2 = np.ascontiguousarray(np.broadcast_to(lam, (*lead, n - 1)).reshape(size, n - 1))
    return p2, lam2, lead


def _check_sign_vector(sigma) -> np.ndarray:
    s = np.asarray(sigma)
    if not (np.issubdtype(s.dtype, np.number) and not np.issubdtype(s.dtype, np.complexfloating)):
        raise TypeError(f"sigma must be real (the sigma_K or their signs); got dtype {s.dtype}.")
    s = s.astype(float)
    if s.ndim < 1 or s.shape[-1] < 1 or not np.all(np.isfinite(s)):
        raise ValueError(
            f"sigma must be a finite real array of shape (..., N-1), N >= 2; got {s.shape}."
        )
    return s


def _check_basis(basis, n: int) -> np.ndarray:
    if basis is None:
        return np.eye(n, dtype=complex)
    u = complex_array(basis, "basis")
    if u.shape != (n, n):
        raise ValueError(f"basis must have shape ({n}, {n}) (columns |chi_I>); got {u.shape}.")
    if np.abs(u.conj().T @ u - np.eye(n)).max() > NORM_TOL:
        raise ValueError(
            "basis is not unitary (its columns |chi_I> must be orthonormal); orthonormalise it, "
            "e.g. with numpy.linalg.qr."
        )
    return u


def _check_rho(rho0) -> np.ndarray:
    r = complex_array(rho0, "rho0")
    if r.ndim == 1:
        if r.size < 2:
            raise ValueError(f"rho0 must have N >= 2 components; got shape {r.shape}.")
        _checks.normalised(float(np.sum(np.abs(r) ** 2)), "rho0 (a state vector)")
        return np.outer(r, r.conj())
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 2:
        raise ValueError(
            f"rho0 must be a state vector (N,) or a density matrix (N, N), N >= 2; got {r.shape}."
        )
    hermitian(r, "rho0")
    _checks.normalised(float(np.trace(r).real), "rho0", "Tr rho0", squared=False)
    if np.linalg.eigvalsh(r).min() < -NORM_TOL:
        raise ValueError("rho0 has a negative eigenvalue; a density matrix must be positive.")
    return r


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints; got {shape!r}.") from None
    for d in dims:
        count(d, "shape entries", 0)
    return tuple(int(d) for d in dims)


# ----------------------------------------------------------------------------------------------
# hidden variables: σ's and outcomes (Eqs. (6), (13), (22))


@numba.njit(cache=True, parallel=True)
def _sigma_kernel(p, lam, out):
    """σ_K = |λ_K|² p_K − (1 − |λ_K|²) S_{K−1} (Eq. (13)) for K = 2..N, each row."""
    n = p.shape[1]
    for b in numba.prange(p.shape[0]):
        below = p[b, 0]
        for k in range(1, n):
            z = lam[b, k - 1]
            l2 = z.real * z.real + z.imag * z.imag
            out[b, k - 1] = l2 * p[b, k] - (1.0 - l2) * below
            below += p[b, k]


@numba.njit(cache=True, parallel=True)
def _outcome_kernel(p, lam, out):
    """Largest K (0-based) with σ_K > 0, else 0 (Section 2.2); same arithmetic as _sigma_kernel."""
    n = p.shape[1]
    for b in numba.prange(p.shape[0]):
        below = p[b, 0]
        result = 0
        for k in range(1, n):
            z = lam[b, k - 1]
            l2 = z.real * z.real + z.imag * z.imag
            if l2 * p[b, k] - (1.0 - l2) * below > 0.0:
                result = k
            below += p[b, k]
        out[b] = result


def sigma_values(beta, lam) -> np.ndarray:
    """The hidden-variable functions σ_2 … σ_N of Eqs. (6) and (13), as real numbers.

    Parameters
    ----------
    beta : array_like, complex, shape (..., N) or (N,)
        Normalised amplitudes β_I = ⟨χ_I|Ψ*(t_d)⟩ (Eq. (7)); broadcast against ``lam``.
    lam : array_like, complex, shape (..., N−1)
        Hidden variables in the closed unit disk; ``lam[..., k]`` is λ_{k+2}.

    Returns
    -------
    ndarray, float, shape (broadcast leading shape, N−1)
        ``[..., k]`` = σ_{k+2} = |β_{k+2}λ_{k+2}|² − (1 − |λ_{k+2}|²) Σ_{I≤k+1} |β_I|².

    Raises
    ------
    ValueError
        If β is not normalised or has N < 2, λ leaves the unit disk, the last axes disagree or
        the leading shapes do not broadcast.
    TypeError
        For non-numeric input.
    """
    p2, lam2, lead = _broadcast(
        _checks.born_weights(beta, "beta", "detector states"), _check_lam(lam)
    )
    out = np.empty(lam2.shape)
    _sigma_kernel(p2, lam2, out)
    return out.reshape((*lead, lam2.shape[1]))


def sigmas(beta, lam) -> np.ndarray:
    """Signs of the hidden-variable functions σ_2 … σ_N (Eqs. (6), (13)).

    Parameters
    ----------
    beta, lam
        As in :func:`sigma_values`.

    Returns
    -------
    ndarray, float, shape (broadcast leading shape, N−1)
        +1 where σ_K > 0 and −1 where σ_K ≤ 0 (the tie σ_K = 0 has probability zero and
        counts as negative: outcome "not K", L_KM = |χ_M⟩⟨χ_K|; module docstring).

    Raises
    ------
    ValueError, TypeError
        As :func:`sigma_values`.
    """
    return np.where(sigma_values(beta, lam) > 0, 1.0, -1.0)


def outcome(beta, lam) -> np.ndarray:
    """Asymptotic (κt → ∞, H = 0) detector state selected by the hidden variables.

    The largest K with σ_K > 0, or K = 1 if every σ_K ≤ 0 (Section 2.2; module docstring).

    Parameters
    ----------
    beta, lam
        As in :func:`sigma_values`.

    Returns
    -------
    ndarray, int64, shape (broadcast leading shape)
        0-based index of the outcome: 0 ↔ |χ_1⟩, …, N−1 ↔ |χ_N⟩.

    Raises
    ------
    ValueError, TypeError
        As :func:`sigma_values`.
    """
    p2, lam2, lead = _broadcast(
        _checks.born_weights(beta, "beta", "detector states"), _check_lam(lam)
    )
    out = np.empty(lam2.shape[0], dtype=np.int64)
    _outcome_kernel(p2, lam2, out)
    return out.reshape(lead)


def born_product(n: int, k: int) -> sp.Expr:
    """Eq. (22) as a sympy product: P(σ_N ≤ 0) ⋯ P(σ_{K+1} ≤ 0) P(σ_K > 0).

    With p_I = |α_I|² (positive symbols ``p1`` … ``pN``, normalisation *not* imposed) and
    S_J = p_1 + … + p_J, Eq. (18) gives P(σ_J > 0) = p_J/S_J for λ_J uniform in the disk, so
    the expression is Π_{J=K+1}^{N} (1 − p_J/S_J) · p_K/S_K (the factor J = K is absent for
    K = 1, where P(σ_1 > 0) := 1). It telescopes to p_K/S_N, Born's rule once S_N = 1:
    ``sympy.simplify(born_product(n, k) - p_k/S_n) == 0``.

    Parameters
    ----------
    n : int
        Dimension N ≥ 2.
    k : int
        The paper's 1-based label K of the outcome, 1 ≤ K ≤ N.

    Returns
    -------
    sympy.Expr
        The unsimplified product, in the symbols ``sympy.symbols('p1:{n+1}', positive=True)``.

    Raises
    ------
    ValueError, TypeError
        For n < 2 or k outside 1..n.
    """
    n = count(n, "n", 2, " (the model needs two detector states)")
    k = count(k, "k", 1, " (the paper's labels start at 1)", maximum=n + 1)
    p = sp.symbols(f"p1:{n + 1}", positive=True)
    partial = [sum(p[:j]) for j in range(1, n + 1)]  # partial[j-1] = S_j
    expr = sp.Integer(1)
    for j in range(n, k, -1):
        expr *= 1 - p[j - 1] / partial[j - 1]
    if k > 1:
        expr *= p[k - 1] / partial[k - 1]
    return expr


def _radial_cdf(density):
    """(r grid, CDF of |λ| on it) for the planar density p(|λ|) on the unit disk."""
    if not callable(density):
        raise TypeError(f"density must be a callable p(r) on [0, 1]; got {type(density).__name__}.")
    r = np.linspace(0.0, 1.0, DENSITY_GRID + 1)
    try:
        values = np.asarray(density(r), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"density(r) failed on an array r in [0, 1] ({exc}); make it vectorised."
        ) from exc
    values = np.broadcast_to(values, r.shape) if values.ndim == 0 else values
    if values.shape != r.shape or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            "density(r) must return finite values >= 0 of the same shape as r (a planar density "
            "of the radius, unnormalised)."
        )
    cdf = cumulative_trapezoid(r * values, r, initial=0.0)
    if not cdf[-1] > 0:
        raise ValueError("density(r) integrates to 0 over the disk; give it positive mass.")
    return r, cdf / cdf[-1]


def outcome_probabilities(beta, *, density=None) -> np.ndarray:
    """Exact outcome probabilities P(K) of the model, the product of Eq. (22) evaluated.

    P(K) = Π_{J>K} P(σ_J ≤ 0) · P(σ_K > 0) with P(σ_J > 0) = P(|λ_J|² > S_{J−1}/S_J), the λ's
    independent with the planar density ``density`` (uniform if None: then P(K) = |β_K|², the
    telescoping of Eq. (22)). It is not Born's rule for a non-uniform density (Conclusion).

    Parameters
    ----------
    beta : array_like, complex, shape (..., N)
        Normalised amplitudes β_I (Eq. (7)).
    density : callable or None
        Planar density p(r) of each λ as a function of r = |λ| ∈ [0, 1], unnormalised and
        vectorised (see :func:`sample_disk`); None for the uniform disk.

    Returns
    -------
    ndarray, float, shape (..., N)
        P(outcome = index), 0-based. With a density the radial CDF is tabulated on
        ``DENSITY_GRID`` trapezoid intervals: error O(h²) with h = 1/16384 for a density with
        bounded second derivative (below 1e-8).

    Raises
    ------
    ValueError, TypeError
        For an unnormalised β, N < 2, or a bad density.
    """
    p = _checks.born_weights(beta, "beta", "detector states")
    partial = np.cumsum(p, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        threshold = np.where(partial[..., 1:] > 0, partial[..., :-1] / partial[..., 1:], 1.0)
    threshold = np.clip(threshold, 0.0, 1.0)  # |λ|² above this value means σ_K > 0
    if density is None:
        up = 1.0 - threshold
    else:
        r, cdf = _radial_cdf(density)
        up = 1.0 - np.interp(np.sqrt(threshold), r, cdf)
    prob = np.empty_like(p)
    stay = np.ones(p.shape[:-1])  # P(σ_J ≤ 0 for all J above the current K)
    for k in range(p.shape[-1] - 1, 0, -1):
        prob[..., k] = stay * up[..., k - 1]
        stay = stay * (1.0 - up[..., k - 1])
    prob[..., 0] = stay
    return prob


def order_averaged_probabilities(beta, *, density=None) -> np.ndarray:
    """Outcome probabilities averaged over every order of the basis levels.

    The model's σ_K (Eq. 13) depend on the order in which the basis levels are labelled, and
    so do its outcome probabilities unless λ is uniform on the disk. The paper proposes to sum
    over orderings; taking the order as a further hidden variable, uniform over the N! orders,
    gives P̄(K) = (1/N!) Σ_π P_π(K), with P_π from :func:`outcome_probabilities` for the levels
    relabelled by π. For a planar density whose |λ|² has the distribution x^a on [0, 1] (density
    ∝ |λ|^(2a−2)), P_π(K) = S_K^a − S_{K−1}^a with S the partial sums of |β|² in the order π,
    so P̄ is the Shapley value of the game v(A) = (Σ_{I∈A}|β_I|²)^a: Born's rule for a = 1
    (uniform) and a = 2 (density ∝ |λ|²), not in general for other a.

    Parameters
    ----------
    beta : array_like, complex, shape (N,)
        Normalised amplitudes β_I (Eq. 7), 2 ≤ N ≤ :data:`MAX_ORDER_LEVELS`.
    density : callable or None
        Planar density p(r) of each λ, as in :func:`outcome_probabilities`; None for uniform.

    Returns
    -------
    ndarray, float, shape (N,)
        P̄(outcome = index), 0-based, summing to 1. Exact enumeration of the N! orders; the
        only error is that of :func:`outcome_probabilities` (below 1e-8 with a density).

    Raises
    ------
    ValueError
        If ``beta`` is not one state of N ≤ :data:`MAX_ORDER_LEVELS` levels, or for the errors
        of :func:`outcome_probabilities`.
    TypeError
        For a density that is not callable.

    Source: S. Donadi and S. Hossenfelder, Phys. Rev. A 106, 022212 (2022), Eqs. (13), (22) and
    Section 3 (the sum over orderings); L. S. Shapley, in *Contributions to the Theory of
    Games II*, 307 (1953), for the average of marginal contributions.

    Examples
    --------
    >>> beta = np.sqrt([0.5, 0.3, 0.2])
    >>> np.round(order_averaged_probabilities(beta, density=lambda r: r**2), 6)
    array([0.5, 0.3, 0.2])
    >>> np.round(order_averaged_probabilities(beta, density=lambda r: r**4), 4)
    array([0.47 , 0.312, 0.218])
    """
    p = _checks.born_weights(beta, "beta", "detector states")
    if p.ndim != 1:
        raise ValueError(f"beta must be one state, shape (N,); got shape {p.shape}.")
    n = p.size
    if n > MAX_ORDER_LEVELS:
        raise ValueError(
            f"beta has N = {n} levels: enumerating its {n}! orders is too costly above "
            f"N = {MAX_ORDER_LEVELS}; average outcome_probabilities over a seeded sample of "
            "orders instead (each order is beta[perm] for a random permutation perm)."
        )
    orders = np.array(list(itertools.permutations(range(n))))
    per_order = outcome_probabilities(np.sqrt(p)[orders], density=density)
    total = np.zeros(n)
    np.add.at(total, orders, per_order)
    return total / len(orders)


def sample_disk(shape, *, rng=None, density=None) -> np.ndarray:
    """Independent complex samples λ in the closed unit disk.

    Uniform (density None): λ = √u e^{2πiv}, u, v uniform on [0, 1) (exact). Otherwise the planar
    density ∝ p(|λ|): the phase is uniform and r = |λ| has density ∝ r p(r), sampled by
    inverse-CDF interpolation on ``DENSITY_GRID`` trapezoid intervals of [0, 1] (CDF error
    O(h²), h = 1/16384; linear interpolation of the inverse spreads mass uniformly within each
    interval, an error of at most one interval, 6.1e-5, in r).

    Parameters
    ----------
    shape : int or tuple of int
        Output shape, e.g. ``(n_samples, N - 1)`` for :func:`outcome`.
    rng : numpy.random.Generator, int or None
        Generator or seed.
    density : callable or None
        Vectorised p(r) ≥ 0 on [0, 1], unnormalised; p ≡ const is the uniform disk. E.g.
        ``lambda r: r**2`` favours the rim (large |λ|, hence σ_K > 0, hence high outcomes).

    Returns
    -------
    ndarray, complex128, shape ``shape``

    Raises
    ------
    TypeError
        For a bad shape, rng or density type.
    ValueError
        For negative sizes or a density that is negative, non-finite or has no mass.
    """
    dims = _shape(shape)
    gen = seeded(rng)[0]
    u = gen.random(dims)
    phase = np.exp(2j * np.pi * gen.random(dims))
    if density is None:
        return np.sqrt(u) * phase
    r, cdf = _radial_cdf(density)
    return np.interp(u, cdf, r) * phase


def born_frequencies(psi, n_samples: int, *, rng=None, density=None, random_order: bool = False):
    """Monte Carlo outcome frequencies of the model over hidden variables (Born's rule check).

    Parameters
    ----------
    psi : array_like, complex, shape (N,)
        Normalised amplitudes β_I in the detector basis (Eq. (7)).
    n_samples : int
        Number of λ samples (≥ 1); drawn in chunks of 2^20, so memory stays bounded. Only the
        radii |λ_K| are drawn (as in :func:`sample_disk`), since the phases do not enter Eq. (13).
    rng : numpy.random.Generator, int or None
        Generator or seed.
    density : callable or None
        Non-uniform planar λ density (see :func:`sample_disk`); None for uniform (Born's rule).
    random_order : bool
        Draw, for each sample, the order in which the construction takes the levels uniformly
        from the N! orders (the order as a further hidden variable; its exact counterpart is
        :func:`order_averaged_probabilities`). Frequencies are reported for the original labels.

    Returns
    -------
    frequencies : ndarray, float, shape (N,)
        Relative frequency of each outcome index (0-based).
    stderr : ndarray, float, shape (N,)
        Binomial standard errors √(f(1 − f)/n) of the frequencies.

    Raises
    ------
    ValueError, TypeError
        For a non-1D or unnormalised ``psi``, ``n_samples < 1``, or a bad rng / density.
    """
    psi_c = complex_array(psi, "psi")
    if psi_c.ndim != 1:
        raise ValueError(f"psi must be one state vector of shape (N,); got {psi_c.shape}.")
    _checks.born_weights(psi_c, "beta", "detector states")
    n_samples = count(n_samples, "n_samples", 1)
    gen = seeded(rng)[0]
    n = psi_c.size
    table = None if density is None else _radial_cdf(density)
    counts = np.zeros(n, dtype=np.int64)
    done = 0
    while done < n_samples:
        m = min(_CHUNK, n_samples - done)
        # only |λ| enters Eq. (13): draw the radii (real λ = |λ|), not the phases
        u = gen.random((m, n - 1))
        lam = np.sqrt(u) if table is None else np.interp(u, table[1], table[0])
        if random_order:
            perm = np.argsort(gen.random((m, n)), axis=1)  # uniform over the N! orders
            hit = perm[np.arange(m), outcome(psi_c[perm], lam)]
        else:
            hit = outcome(psi_c, lam)
        counts += np.bincount(hit, minlength=n)
        done += m
    freq = counts / n_samples
    return freq, np.sqrt(freq * (1 - freq) / n_samples)


# ----------------------------------------------------------------------------------------------
# Lindblad operators and rates (Eqs. (14), (36)–(47))


def operator_pairs(n: int) -> np.ndarray:
    """0-based index pairs (K, M), K > M, of the Lindblad operators L_KM in Eq. (14)'s order.

    Parameters
    ----------
    n : int
        Dimension N ≥ 2.

    Returns
    -------
    ndarray, int64, shape (N(N−1)/2, 2)
        Rows (1, 0), (2, 0), (2, 1), (3, 0), …: the paper's L_21, L_31, L_32, L_41, …

    Raises
    ------
    ValueError, TypeError
        For n < 2.
    """
    n = count(n, "n", 2, " (the model needs two detector states)")
    return np.array([(k, m) for k in range(1, n) for m in range(k)], dtype=np.int64)


def _jump_matrix(sigma: np.ndarray) -> np.ndarray:
    """W[..., a, b] = 1 for each jump b → a allowed by the signs (module docstring)."""
    n = sigma.shape[-1] + 1
    w = np.zeros((*sigma.shape[:-1], n, n))
    for k, m in operator_pairs(n):
        up = sigma[..., k - 1] > 0
        w[..., k, m] = np.where(up, 1.0, 0.0)
        w[..., m, k] = np.where(up, 0.0, 1.0)
    return w


def lindblad_operators(sigma, basis=None) -> np.ndarray:
    """The N(N−1)/2 Lindblad operators L_KM of Eq. (14).

    Parameters
    ----------
    sigma : array_like, real, shape (..., N−1)
        σ_2 … σ_N or their signs (:func:`sigmas`); only σ_K > 0 versus σ_K ≤ 0 matters.
    basis : array_like, complex, shape (N, N), optional
        Unitary whose columns are the detector states |χ_I⟩ (default: computational basis).

    Returns
    -------
    ndarray, complex, shape (..., N(N−1)/2, N, N)
        L_KM = |χ_K⟩⟨χ_M| if σ_K > 0, else |χ_M⟩⟨χ_K|, ordered as :func:`operator_pairs`.

    Raises
    ------
    ValueError, TypeError
        For a non-real or non-finite σ, or a basis of the wrong shape or not unitary.
    """
    s = _check_sign_vector(sigma)
    n = s.shape[-1] + 1
    u = _check_basis(basis, n)
    pairs = operator_pairs(n)
    ops = np.zeros((*s.shape[:-1], len(pairs), n, n), dtype=complex)
    for i, (k, m) in enumerate(pairs):
        up = s[..., k - 1] > 0
        ops[..., i, k, m] = np.where(up, 1.0, 0.0)
        ops[..., i, m, k] = np.where(up, 0.0, 1.0)
    return u @ ops @ u.conj().T


def liouvillian(hamiltonian, operators, kappa: float) -> np.ndarray:
    """Superoperator of the master equation (15) acting on column-stacked density matrices.

    dρ/dt = −i[H, ρ] + κ Σ_L (LρL† − ½{L†L, ρ}) becomes d vec(ρ)/dt = 𝓛 vec(ρ) with
    vec(AρB) = (Bᵀ ⊗ A) vec(ρ) (column stacking, ``rho.reshape(-1, order="F")``), so that
    ρ(t) = expm(𝓛t) ρ(0) gives an integration-free reference for :func:`evolve`
    (H. P. Breuer and F. Petruccione, *The Theory of Open Quantum Systems*, OUP 2002, §3.2).

    Parameters
    ----------
    hamiltonian : array_like, complex, shape (N, N)
        Hermitian H, energy units (ħ = 1).
    operators : array_like, complex, shape (n_ops, N, N)
        Lindblad operators, e.g. from :func:`lindblad_operators` for one σ.
    kappa : float
        Collapse rate κ > 0, 1/time.

    Returns
    -------
    ndarray, complex, shape (N², N²)

    Raises
    ------
    ValueError
        For a non-Hermitian or non-square H, operators of the wrong shape, or ``kappa <= 0``.
    """
    ops = np.asarray(operators, dtype=complex)
    if ops.ndim != 3 or ops.shape[1] != ops.shape[2]:
        raise ValueError(f"operators must have shape (n_ops, N, N); got {ops.shape}.")
    n = ops.shape[1]
    h = _checks.hamiltonian(hamiltonian, size=n, what=f" to match rho0 of shape {(n, n)}")
    kappa = positive(kappa, "kappa")
    eye = np.eye(n)
    sup = -1j * (np.kron(eye, h) - np.kron(h.T, eye))
    for op in ops:
        ld = op.conj().T @ op
        sup += kappa * (np.kron(op.conj(), op) - 0.5 * np.kron(eye, ld) - 0.5 * np.kron(ld.T, eye))
    return sup


def rate_matrix(sigma) -> np.ndarray:
    """Population rate matrix A of Eqs. (40)–(43) for any N: dp/dt = κ A p when H = 0.

    A = W − diag(Γ), W_ab = 1 for each jump b → a of the L_KM, Γ_b = Σ_a W_ab. For N = 4 its rows
    are Eqs. (40)–(43); each column sums to zero (trace preservation).

    Parameters
    ----------
    sigma : array_like, real, shape (..., N−1)
        σ_2 … σ_N or their signs.

    Returns
    -------
    ndarray, float, shape (..., N, N)

    Raises
    ------
    ValueError, TypeError
        For a non-real or non-finite σ.
    """
    w = _jump_matrix(_check_sign_vector(sigma))
    gamma = w.sum(axis=-2)
    return w - gamma[..., None, :] * np.eye(w.shape[-1])


def decay_rates(sigma) -> np.ndarray:
    """Coherence decay rates Λ_IJ of Eq. (46) for any N: dρ_IJ/dt = −(κ/2) Λ_IJ ρ_IJ (H = 0).

    Λ_IJ = Γ_I + Γ_J with Γ_I = Σ_{M>I} θ(σ_M) + (I − 1) θ(−σ_I) (1-based), the total jump rate
    out of level I in units of κ. Eq. (45) holds for I ≠ J only; the diagonal 2Γ_I is returned
    for completeness but populations obey :func:`rate_matrix`.

    Parameters
    ----------
    sigma : array_like, real, shape (..., N−1)
        σ_2 … σ_N or their signs.

    Returns
    -------
    ndarray, float, shape (..., N, N)

    Raises
    ------
    ValueError, TypeError
        For a non-real or non-finite σ.
    """
    gamma = _jump_matrix(_check_sign_vector(sigma)).sum(axis=-2)
    return gamma[..., :, None] + gamma[..., None, :]


def collapse_solution(rho0, sigma, kappa: float, times) -> np.ndarray:
    """Closed-form ρ(t) of Eq. (15) for H = 0 in the detector basis (Appendix, Eqs. (45)–(59)).

    Populations p(t) = exp(κAt) p(0) with A = :func:`rate_matrix` (matrix exponential, exact to
    rounding); coherences ρ_IJ(t) = ρ_IJ(0) e^{−κΛ_IJ t/2} (Eq. (47)). For N = 2 this is the
    amplitude-damping solution behind Eqs. (8)–(9), (56)–(57) and (61).

    Parameters
    ----------
    rho0 : array_like, complex, shape (N,) or (N, N)
        Initial state vector or density matrix, in the detector basis.
    sigma : array_like, real, shape (N−1,)
        σ_2 … σ_N or their signs.
    kappa : float
        Collapse rate κ > 0 (energy units).
    times : array_like, shape (n_t,)
        Times ≥ 0, increasing.

    Returns
    -------
    ndarray, complex, shape (n_t, N, N)

    Raises
    ------
    ValueError, TypeError
        For a bad state, σ of the wrong length, κ ≤ 0 or bad times.
    """
    rho = _check_rho(rho0)
    n = rho.shape[0]
    s = _check_sign_vector(sigma)
    if s.shape != (n - 1,):
        raise ValueError(f"sigma must have shape ({n - 1},) to match rho0; got {s.shape}.")
    kappa = positive(kappa, "kappa")
    t = _checks.times(times, hint=" (rho0 is the state at t = 0)")
    a = rate_matrix(s)
    lam = decay_rates(s)
    out = rho[None] * np.exp(-0.5 * kappa * lam[None] * t[:, None, None])
    pops = np.stack([scipy.linalg.expm(kappa * ti * a) @ np.diag(rho).real for ti in t])
    idx = np.arange(n)
    out[:, idx, idx] = pops
    return out


def singlet_density(q: float, sigma2: float, kappa: float, times) -> np.ndarray:
    """ρ(t) of the singlet example, Eq. (31) corrected, for one value of σ_2 (Section 4.4).

    Basis |1⟩ … |4⟩ as in Eq. (28) (ρ_11(0) = q², ρ_22(0) = 1 − q², ρ_12(0) = −q√(1 − q²)),
    σ_3, σ_4 < 0 (Eq. (30)):
    ρ_11 = θ(σ_2) q² e^{−κt} + θ(−σ_2)(1 − (1 − q²) e^{−κt}), ρ_22 = 1 − ρ_11,
    ρ_12 = ρ_21 = −q√(1 − q²) e^{−κt/2} (Eq. (61); the print of Eq. (31) has ρ_22 and no sign),
    every other element 0.

    Parameters
    ----------
    q : float
        Amplitude weight, 0 ≤ q ≤ 1.
    sigma2 : float
        σ_2 = |λ_2|² − q² (Eq. (30)) or its sign; σ_2 ≤ 0 counts as negative.
    kappa : float
        κ > 0.
    times : array_like, shape (n_t,)
        Times ≥ 0, increasing.

    Returns
    -------
    ndarray, complex, shape (n_t, 4, 4)

    Raises
    ------
    ValueError, TypeError
        For q outside [0, 1], κ ≤ 0, non-finite σ_2 or bad times.
    """
    q = _checks.fraction(q, "q", "the weight of Eq. (27)")
    s2 = float(_check_sign_vector([sigma2])[0])
    kappa = positive(kappa, "kappa")
    t = _checks.times(times, hint=" (rho0 is the state at t = 0)")
    e = np.exp(-kappa * t)
    rho11 = q**2 * e if s2 > 0 else 1 - (1 - q**2) * e
    out = np.zeros((t.size, 4, 4), dtype=complex)
    out[:, 0, 0] = rho11
    out[:, 1, 1] = 1 - rho11
    out[:, 0, 1] = out[:, 1, 0] = -q * np.sqrt(1 - q**2) * np.sqrt(e)
    return out


def singlet_average(q: float, kappa: float, times) -> np.ndarray:
    """λ-average of :func:`singlet_density` with P(σ_2 > 0) = 1 − q² (Eqs. (32)–(33)).

    Diagonal q², 1 − q² constant in time; ρ_12 = ρ_21 = −q√(1 − q²) e^{−κt/2}.

    Parameters
    ----------
    q, kappa, times
        As in :func:`singlet_density`.

    Returns
    -------
    ndarray, complex, shape (n_t, 4, 4)

    Raises
    ------
    ValueError, TypeError
        As :func:`singlet_density`.
    """
    q = _checks.fraction(q, "q", "the weight of Eq. (27)")
    up = singlet_density(q, 1.0, kappa, times)
    down = singlet_density(q, -1.0, kappa, times)
    return (1 - q**2) * up + q**2 * down


# ----------------------------------------------------------------------------------------------
# the master equation (15)


def _rhs(rho, h, w, decay, kappa):
    """dρ/dt in the detector basis for a batch rho (S, N, N) (module docstring, rate structure)."""
    comm = -1j * (h @ rho - rho @ h)
    pops = np.einsum("sii->si", rho)
    gain = np.einsum("sab,sb->sa", w, pops)
    out = comm - 0.5 * kappa * decay * rho
    idx = np.arange(rho.shape[-1])
    out[:, idx, idx] += kappa * gain
    return out


def _detection_populations(rho, h, u, detection_time) -> np.ndarray:
    """|β_I|² = ⟨χ_I|e^{−iHt_d}ρ0e^{iHt_d}|χ_I⟩, normalised (the default β of :func:`evolve`)."""
    prop = scipy.linalg.expm(-1j * float(detection_time) * h)
    p = np.clip(np.diag(u.conj().T @ prop @ rho @ prop.conj().T @ u).real, 0.0, None)
    return p / p.sum()


def evolve(
    rho0,
    hamiltonian,
    kappa: float,
    lam,
    times,
    *,
    beta=None,
    basis=None,
    detection_time: float = 0.0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Integrate the collapse master equation (15) for one or many hidden-variable samples.

    The σ's are fixed for the whole evolution (they are the future input of Section 3): they are
    computed once from the detection-time amplitudes β_I = ⟨χ_I|e^{−iH t_d}|Ψ(0)⟩ of the
    Hamiltonian-only evolution (Eqs. (2), (7), (13)), not from ρ(t). Without ``beta`` they are
    taken from the populations |β_I|² = ⟨χ_I|e^{−iHt_d} ρ0 e^{iHt_d}|χ_I⟩, which for a pure
    ρ0 = |Ψ⟩⟨Ψ| is exactly Eq. (7) with t_p = 0 and t_d = ``detection_time`` (default 0: the
    amplitudes of ρ0 itself, the paper's κ ≫ H regime). For a mixed ρ0 this choice still gives
    outcome probabilities ⟨χ_I|ρ*(t_d)|χ_I⟩ on average over λ (Eq. (22) only uses |β_I|²).

    Numerical method: DOP853 (scipy ``solve_ivp``) on the complex matrix elements in the detector
    basis, all samples as one system; the local error is controlled in the RMS norm over samples
    and elements with ``rtol``/``atol``; output at ``times`` by the method's 7th-order dense
    output. Measured against the exact matrix-exponential propagator at the defaults: 1.4e-11
    (N = 4, κ = 10, ‖H‖ ~ 1, κt ≤ 20, ``benchmarks/bench_collapse.py``); the tests assert 1e-9.

    Parameters
    ----------
    rho0 : array_like, complex, shape (N,) or (N, N)
        State at t = 0 (computational basis): a normalised vector or a density matrix.
    hamiltonian : array_like, complex, shape (N, N)
        Time-independent Hermitian H (energy units; use zeros for the pure collapse).
    kappa : float
        Collapse rate κ > 0 (energy units).
    lam : array_like, complex, shape (N−1,) or (S, N−1)
        One hidden-variable sample or a batch; ``lam[..., k]`` is λ_{k+2}, |λ| ≤ 1.
    times : array_like, shape (n_t,)
        Output times ≥ 0, strictly increasing (ρ0 is the state at t = 0).
    beta : array_like, complex, shape (N,) or (S, N), optional
        Normalised detection-time amplitudes in the detector basis; overrides the default above.
    basis : array_like, complex, shape (N, N), optional
        Unitary whose columns are |χ_I⟩ (default: computational basis).
    detection_time : float
        t_d ≥ 0 for the default β (ignored when ``beta`` is given).
    rtol, atol : float
        DOP853 tolerances (> 0).

    Returns
    -------
    xarray.Dataset
        ``rho`` (sample, time, row, col), complex, in the computational basis;
        ``sigma`` (sample, k) the signs of σ_K, k = 2..N; ``outcome`` (sample) the asymptotic
        H = 0 outcome index (:func:`outcome`); ``detector_population`` (sample, level) the |β_I|²
        used. Attrs: kappa, rtol, atol, method, detection_time, source.

    Raises
    ------
    ValueError
        For a bad or unnormalised state, a non-Hermitian or mis-shaped H, κ ≤ 0, λ outside the
        disk or of the wrong shape, an unnormalised β, a non-unitary basis, bad times,
        non-positive tolerances, ``detection_time < 0``, or a solver failure.
    TypeError
        For non-numeric input.

    Examples
    --------
    |+⟩ = (|1⟩ + |2⟩)/√2 with H = 0: σ_2 > 0 iff |λ_2|² > 1/2, and then ρ collapses onto
    |χ_2⟩ (outcome index 1), else onto |χ_1⟩ (index 0), at rate κ:

    >>> psi = np.array([1.0, 1.0]) / np.sqrt(2)
    >>> ds = evolve(psi, np.zeros((2, 2)), 1.0, [[0.9], [0.1]], [0.0, 20.0])
    >>> ds.outcome.values.tolist()
    [1, 0]
    >>> populations = np.einsum("sii->si", ds.rho.isel(time=-1).values).real
    >>> bool(np.allclose(populations, [[0.0, 1.0], [1.0, 0.0]], atol=1e-6))
    True
    """
    rho = _check_rho(rho0)
    n = rho.shape[0]
    h = _checks.hamiltonian(hamiltonian, size=n, what=f" to match rho0 of shape {(n, n)}")
    kappa = positive(kappa, "kappa")
    rtol, atol = positive(rtol, "rtol"), positive(atol, "atol")
    lam_c = _check_lam(lam, n)
    if lam_c.ndim > 2:
        raise ValueError(f"lam must have shape (N-1,) or (S, N-1); got {lam_c.shape}.")
    lam2 = lam_c.reshape(-1, n - 1)
    n_samples = lam2.shape[0]
    if n_samples < 1:
        raise ValueError("lam holds no samples; give at least one row.")
    u = _check_basis(basis, n)
    t = _checks.times(times, hint=" (rho0 is the state at t = 0)")
    non_negative(detection_time, "detection_time")
    if beta is None:
        p = _detection_populations(rho, h, u, detection_time)
    else:
        p = _checks.born_weights(beta, "beta", "detector states")
        if p.shape[-1] != n or p.ndim > 2 or (p.ndim == 2 and p.shape[0] not in (1, n_samples)):
            raise ValueError(
                f"beta must have shape ({n},) or ({n_samples}, {n}) to match rho0 and lam; "
                f"got {np.shape(beta)}."
            )
    p2 = np.ascontiguousarray(np.broadcast_to(p, (n_samples, n)))
    sig_val = np.empty((n_samples, n - 1))
    _sigma_kernel(p2, lam2, sig_val)
    sig = np.where(sig_val > 0, 1.0, -1.0)
    outc = np.empty(n_samples, dtype=np.int64)
    _outcome_kernel(p2, lam2, outc)

    w = _jump_matrix(sig)
    gamma = w.sum(axis=-2)
    decay = gamma[:, :, None] + gamma[:, None, :]
    h_chi = u.conj().T @ h @ u
    y0 = np.broadcast_to(u.conj().T @ rho @ u, (n_samples, n, n)).ravel().astype(complex)
    shape = (n_samples, n, n)
    if t[-1] > 0:
        sol = solve_ivp(
            lambda _t, y: _rhs(y.reshape(shape), h_chi, w, decay, kappa).ravel(),
            (0.0, t[-1]),
            y0,
            method="DOP853",
            t_eval=t,
            rtol=rtol,
            atol=atol,
        )
        if not sol.success:
            raise ValueError(f"the master-equation integration failed: {sol.message}")
        traj = sol.y.T.reshape((t.size, *shape))
    else:
        traj = y0.reshape((1, *shape))
    rho_t = u @ traj.transpose(1, 0, 2, 3) @ u.conj().T
    return xr.Dataset(
        {
            "rho": (("sample", "time", "row", "col"), rho_t),
            "sigma": (("sample", "k"), sig),
            "outcome": ("sample", outc),
            "detector_population": (("sample", "level"), p2.copy()),
        },
        coords={
            "sample": np.arange(n_samples),
            "time": t,
            "row": np.arange(n),
            "col": np.arange(n),
            "k": np.arange(2, n + 1),
            "level": np.arange(n),
        },
        attrs={
            "kappa": kappa,
            "rtol": rtol,
            "atol": atol,
            "method": "scipy solve_ivp DOP853, all samples as one system",
            "detection_time": float(detection_time) if beta is None else float("nan"),
            "beta_source": "given" if beta is not None else "populations of exp(-iHt_d) rho0",
            "source": "Donadi & Hossenfelder, Eqs. (13)-(15)",
        },
    )


class LambdaAverage(NamedTuple):
    """Result of :func:`lambda_average`."""

    #: ⟨ρ(t)⟩ over uniform λ, shape (n_t, N, N), computational basis.
    rho: np.ndarray
    #: :func:`evolve`'s Dataset for one λ per sign pattern (``sample`` = pattern).
    patterns: xr.Dataset
    #: Probability of each pattern, shape (n_patterns,), summing to 1.
    weight: np.ndarray


def sign_patterns(beta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sign pattern of σ_2 … σ_N with non-zero probability under uniform λ.

    The λ_K are independent and P(σ_K > 0) = |β_K|²/S_K with S_K = Σ_{I≤K}|β_I|² (Eq. (18)), so a
    pattern's probability is a product. A λ realising it: |λ_K| = 1 gives σ_K = |β_K|² > 0 and
    λ_K = 0 gives σ_K = −S_{K−1} ≤ 0 (counted as negative, as in :func:`sigmas`).

    Parameters
    ----------
    beta : array_like, complex, shape (N,)
        Normalised amplitudes ⟨χ_I|Ψ*(t_d)⟩, N ≥ 2.

    Returns
    -------
    signs : ndarray, float, shape (n_patterns, N−1)
        ±1 per pattern (n_patterns ≤ 2^(N−1)).
    weight : ndarray, shape (n_patterns,)
        Probabilities, summing to 1.
    lam : ndarray, complex, shape (n_patterns, N−1)
        One hidden-variable sample per pattern.

    Raises
    ------
    ValueError, TypeError
        For ``beta`` that is not a normalised finite vector of length ≥ 2.
    """
    p = _checks.born_weights(beta, "beta", "detector states")
    if p.ndim != 1:
        raise ValueError(f"beta must be one vector of shape (N,); got shape {np.shape(beta)}.")
    s = np.cumsum(p)
    up = np.divide(p[1:], s[1:], out=np.zeros(p.size - 1), where=s[1:] > 0)
    signs = np.array(list(itertools.product([1.0, -1.0], repeat=p.size - 1)))
    weight = np.prod(np.where(signs > 0, up, 1 - up), axis=1)
    keep = weight > 0
    return signs[keep], weight[keep], np.where(signs[keep] > 0, 1.0, 0.0).astype(complex)


def lambda_average(
    rho0, hamiltonian, kappa: float, times, *, basis=None, detection_time: float = 0.0
) -> LambdaAverage:
    """Exact average of ρ(t) over uniform hidden variables, as a finite sum over sign patterns.

    ρ(t) depends on λ only through the signs of the σ's (they select the Lindblad operators,
    Eq. (14)), so ⟨ρ(t)⟩_λ = Σ_patterns P(pattern) ρ_pattern(t) with the probabilities of
    :func:`sign_patterns`; each ρ_pattern is integrated once by :func:`evolve`. This replaces a
    Monte Carlo over λ by at most 2^(N−1) integrations, with the solver's error only.

    Parameters
    ----------
    rho0, hamiltonian, kappa, times, basis, detection_time
        As in :func:`evolve`; β is taken from the populations of e^{−iHt_d}ρ0e^{iHt_d} in the
        detector basis (the default of :func:`evolve`).

    Returns
    -------
    LambdaAverage
        (rho, patterns, weight); rho has shape (n_t, N, N).

    Raises
    ------
    ValueError, TypeError
        As :func:`evolve`.
    """
    rho = _check_rho(rho0)
    n = rho.shape[0]
    h = _checks.hamiltonian(hamiltonian, size=n, what=f" to match rho0 of shape {(n, n)}")
    u = _check_basis(basis, n)
    non_negative(detection_time, "detection_time")
    beta = np.sqrt(_detection_populations(rho, h, u, detection_time))
    _, weight, lam = sign_patterns(beta)
    ds = evolve(rho, h, kappa, lam, times, beta=beta, basis=basis)
    return LambdaAverage(np.einsum("s,stij->tij", weight, ds.rho.values), ds, weight)


# ----------------------------------------------------------------------------------------------
# the entangled pair of Section 4.4 (Eqs. (26)-(35)) with rotated detectors

#: Levels of :func:`pair_basis` (0-based, the order of Eq. (27)) in which Alice, Bob find "up".
PAIR_UP_LEVELS = {"alice": (0, 3), "bob": (1, 3)}


def spin_states(theta: float) -> np.ndarray:
    """Spin up and down along the axis at angle θ from z in the x–z plane, as columns.

    Parameters
    ----------
    theta : float
        Polar angle of the measurement axis, radians.

    Returns
    -------
    ndarray, float, shape (2, 2)
        Columns (cos θ/2, sin θ/2) and (−sin θ/2, cos θ/2) in the basis (|↑_z⟩, |↓_z⟩).

    Raises
    ------
    ValueError, TypeError
        For a non-finite or non-real θ.

    Examples
    --------
    >>> spin_states(np.pi).round(12)  # up along -z is |down_z>
    array([[ 0., -1.],
           [ 1.,  0.]])
    """
    t = _angle(theta, "theta")
    return np.array([[np.cos(t / 2), -np.sin(t / 2)], [np.sin(t / 2), np.cos(t / 2)]])


def pair_basis(theta_a: float, theta_b: float) -> np.ndarray:
    """Detector basis of the pair for Alice along θ_A and Bob along θ_B, in Eq. (27)'s order.

    Columns |↑_A↓_B⟩, |↓_A↑_B⟩, |↓_A↓_B⟩, |↑_A↑_B⟩ along the rotated axes (the labels of
    Eq. (27), not those of Eq. (26); see the module docstring), in the computational basis
    |↑↑⟩, |↑↓⟩, |↓↑⟩, |↓↓⟩ (Alice's spin first).

    Parameters
    ----------
    theta_a, theta_b : float
        Alice's and Bob's axes, angles from z in the x–z plane (radians).

    Returns
    -------
    ndarray, float, shape (4, 4)
        Orthogonal matrix; pass it as ``basis`` to :func:`evolve` or :func:`lambda_average`.

    Raises
    ------
    ValueError, TypeError
        For non-finite angles.

    Examples
    --------
    >>> np.abs(pair_basis(0.0, 0.0))  # levels 1..4 are |ud>, |du>, |dd>, |uu>
    array([[0., 0., 0., 1.],
           [1., 0., 0., 0.],
           [0., 1., 0., 0.],
           [0., 0., 1., 0.]])
    """
    ta, tb = _angle(theta_a, "theta_a"), _angle(theta_b, "theta_b")
    (au, ad), (bu, bd) = spin_states(ta).T, spin_states(tb).T
    return np.array([np.kron(au, bd), np.kron(ad, bu), np.kron(ad, bd), np.kron(au, bu)]).T


def pair_state(q: float) -> np.ndarray:
    """The entangled state q|↑_A↓_B⟩ − √(1 − q²)|↓_A↑_B⟩ of Eq. (27), computational basis.

    Parameters
    ----------
    q : float
        Weight, 0 ≤ q ≤ 1 (q = 1/√2 is the singlet).

    Returns
    -------
    ndarray, float, shape (4,)

    Raises
    ------
    ValueError, TypeError
        For q outside [0, 1].

    Examples
    --------
    >>> pair_state(0.6)
    array([ 0. ,  0.6, -0.8,  0. ])
    """
    q = _checks.fraction(q, "q", "the weight of Eq. (27)")
    return np.array([0.0, q, -np.sqrt(1 - q**2), 0.0])


def pair_up_probability(
    q: float,
    theta_a: float,
    theta_b: float,
    *,
    party: str = "alice",
    density=None,
    order=None,
    average_orders: bool = False,
) -> float:
    """Model probability (κt → ∞) that Alice or Bob finds "up" along their axis (Section 4.4).

    The outcome probabilities of the four levels of :func:`pair_basis` come from
    :func:`outcome_probabilities` (levels in the order ``order``) or, with ``average_orders``,
    from :func:`order_averaged_probabilities`; the party's marginal sums its two "up" levels
    (:data:`PAIR_UP_LEVELS`). Quantum mechanics gives Alice q² cos²(θ_A/2) +
    (1 − q²) sin²(θ_A/2), independent of θ_B; so does the model with a uniform density.

    Parameters
    ----------
    q : float
        Weight of Eq. (27), 0 ≤ q ≤ 1.
    theta_a, theta_b : float
        Alice's and Bob's axes (radians).
    party : {"alice", "bob"}
        Whose marginal.
    density : callable or None
        Planar hidden-variable density p(|λ|) (:func:`outcome_probabilities`); None: uniform.
    order : sequence of 4 ints, optional
        The order in which the model's construction takes the levels of :func:`pair_basis`
        (default (0, 1, 2, 3), Eq. (27)'s). Ignored with ``average_orders``.
    average_orders : bool
        Average over all 24 level orders (the paper's proposed sum over orderings).

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        For q outside [0, 1], non-finite angles, an unknown party, an order that is not a
        permutation of 0..3, or a bad density.

    Examples
    --------
    >>> round(pair_up_probability(0.6, 0.0, 1.0), 12)  # uniform: the quantum q^2
    0.36
    >>> round(pair_up_probability(0.6, 0.0, 1.0, density=lambda r: r**2, average_orders=True), 6)
    0.36
    """
    if party not in PAIR_UP_LEVELS:
        raise ValueError(f"party must be 'alice' or 'bob'; got {party!r}.")
    perm = np.arange(4) if order is None else np.asarray(order)
    if sorted(perm.tolist()) != [0, 1, 2, 3]:
        raise ValueError(f"order must be a permutation of (0, 1, 2, 3); got {order!r}.")
    beta = pair_basis(theta_a, theta_b)[:, perm].T @ pair_state(q)
    if average_orders:
        prob = order_averaged_probabilities(beta, density=density)
    else:
        prob = outcome_probabilities(beta, density=density)
    return float(sum(prob[i] for i, level in enumerate(perm) if level in PAIR_UP_LEVELS[party]))


def pair_reduced_state(rho, party: str = "alice") -> np.ndarray:
    """Reduced state of one party of a two-spin density matrix (partial trace over the other).

    Parameters
    ----------
    rho : array_like, complex, shape (..., 4, 4)
        Density matrices in the computational basis |↑↑⟩, |↑↓⟩, |↓↑⟩, |↓↓⟩ (Alice first).
    party : {"alice", "bob"}
        Whose reduced state.

    Returns
    -------
    ndarray, complex, shape (..., 2, 2)
        In the basis (|↑_z⟩, |↓_z⟩).

    Raises
    ------
    ValueError
        For ``rho`` not of shape (..., 4, 4) or an unknown party.

    Examples
    --------
    >>> psi = pair_state(0.6)
    >>> pair_reduced_state(np.outer(psi, psi)).real.round(12)  # Eq. (34): diag(q^2, 1 - q^2)
    array([[0.36, 0.  ],
           [0.  , 0.64]])
    """
    r = np.asarray(rho)
    if r.ndim < 2 or r.shape[-2:] != (4, 4):
        raise ValueError(f"rho must have shape (..., 4, 4); got {r.shape}.")
    if party not in PAIR_UP_LEVELS:
        raise ValueError(f"party must be 'alice' or 'bob'; got {party!r}.")
    split = r.reshape(*r.shape[:-2], 2, 2, 2, 2)
    return np.einsum("...aibi->...ab" if party == "alice" else "...iaib->...ab", split)


def pair_up_population(rho, theta: float = 0.0, party: str = "alice") -> np.ndarray:
    """⟨↑|ρ_X|↑⟩ along ``theta`` for the reduced state ρ_X of one party of a two-spin ρ.

    Parameters
    ----------
    rho : array_like, complex, shape (..., 4, 4)
        Density matrices in the computational basis (:func:`pair_reduced_state`).
    theta : float
        The party's axis (radians from z in the x–z plane).
    party : {"alice", "bob"}
        Trace over the other party.

    Returns
    -------
    ndarray, float, shape (...)

    Raises
    ------
    ValueError
        As :func:`pair_reduced_state`, or for a non-finite θ.

    Examples
    --------
    >>> psi = pair_state(0.6)
    >>> round(float(pair_up_population(np.outer(psi, psi))), 12)
    0.36
    """
    v = spin_states(theta)[:, 0]
    return np.einsum("a,...ab,b->...", v, pair_reduced_state(rho, party), v).real


def pair_small_angle_expansion() -> tuple[sp.Function, sp.Symbol, sp.Symbol, sp.Expr, sp.Expr]:
    """Alice's order-averaged up-probability for Bob near z, to first order in sin²(θ_B/2).

    Alice measures along z, Bob at a small angle θ_B; with η = sin²(θ_B/2) and x = q² the four
    levels of Eq. (27) carry |β|² = (x(1 − η), (1 − x)(1 − η), (1 − x)η, xη). For a hidden-
    variable density whose |λ|² has the cumulative distribution F (an undefined sympy function,
    F(0) = 0 and F(1) = 1 substituted), each order gives P(K) = Π_{J>K} F(S_{J−1}/S_J) ·
    (1 − F(S_{K−1}/S_K)) (Eq. (22) with a general F); the 24 orders are averaged and the sum over
    Alice's two up-levels is expanded, P_A = c₀ + c₁ η + O(η²). No signalling from Bob requires
    c₁ = 0 for every x; Born's rule at θ_B = 0 requires c₀ = x.

    Returns
    -------
    F : sympy.Function
        The undefined CDF of |λ|².
    x, eta : sympy.Symbol
        q² and sin²(θ_B/2).
    c0, c1 : sympy.Expr
        The coefficients, in F(x), F(1 − x) and derivatives of F at x, 1 − x, 0 and 1.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> F, x, eta, c0, c1 = pair_small_angle_expansion()
    >>> sp.simplify(c0.replace(F, sp.Lambda(sp.Symbol("u"), sp.Symbol("u") ** 2)))
    x
    """
    x, eta = sp.symbols("x eta", positive=True)
    F = sp.Function("F")
    weight = [x * (1 - eta), (1 - x) * (1 - eta), (1 - x) * eta, x * eta]
    total = sp.Integer(0)
    for perm in itertools.permutations(range(4)):
        partial = list(itertools.accumulate(weight[i] for i in perm))
        stay = sp.Integer(1)
        for k in range(3, 0, -1):
            if perm[k] in PAIR_UP_LEVELS["alice"]:
                total += stay * (1 - F(partial[k - 1] / partial[k]))
            stay *= F(partial[k - 1] / partial[k])
        if perm[0] in PAIR_UP_LEVELS["alice"]:
            total += stay
    series = sp.series(total / 24, eta, 0, 2).removeO().subs({F(0): 0, F(1): 1})
    return F, x, eta, sp.simplify(series.subs(eta, 0)), sp.simplify(series.coeff(eta, 1))


def _angle(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real angle in radians; got {type(value).__name__}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    return float(value)


# ----------------------------------------------------------------------------------------------
# the master equation in symbols (Appendix, Eqs. (36)-(46))


def appendix_symbols(n: int = 4) -> tuple[dict, sp.Matrix]:
    """Symbols of the Appendix: θ_K = θ(σ_K) ∈ {0, 1} (K = 2..N) and ρ's elements r_IJ.

    θ(−σ_K) is 1 − θ_K (σ_K = 0 has probability zero). Since each θ_K takes the values 0 and 1
    only, an identity checked for all 2^(N−1) assignments is proven.

    Parameters
    ----------
    n : int
        Dimension N ≥ 2.

    Returns
    -------
    theta : dict
        {K: sympy.Symbol ``thetaK``}, K = 2..N (the paper's 1-based labels).
    r : sympy.Matrix, shape (N, N)
        Symbols ``rIJ`` (1-based names).

    Raises
    ------
    ValueError, TypeError
        For n < 2.
    """
    n = count(n, "n", 2, " (the model needs two detector states)")
    theta = {k: sp.Symbol(f"theta{k}", nonnegative=True) for k in range(2, n + 1)}
    return theta, sp.Matrix(n, n, lambda i, j: sp.Symbol(f"r{i + 1}{j + 1}"))


def dissipator_sympy(n: int = 4, *, printed: bool = False) -> sp.Matrix:
    """(1/κ) dρ/dt for H = 0, Eq. (15) with the operators of Eq. (14), in symbols.

    With ``printed=False`` the standard Lindblad form Σ_{K>M} (L ρ L† − ½{L†L, ρ}) with
    L = L_KM = θ_K|K⟩⟨M| + (1 − θ_K)|M⟩⟨K| (real, so L† = Lᵀ): this is what the second line of
    Eq. (36) writes out, and what Eqs. (40)–(46) follow from. With ``printed=True`` the form
    as printed in Eqs. (4), (15) and the first line of (36), Σ (L†ρL† − ½{ρ, L†L†}); since
    L_KM² = θ_K(1 − θ_K)(…) = 0 for θ_K ∈ {0, 1}, its anticommutator term vanishes and it moves no
    population.

    Parameters
    ----------
    n : int
        Dimension N ≥ 2.
    printed : bool
        Use the printed dagger placement.

    Returns
    -------
    sympy.Matrix, shape (N, N)
        In the symbols of :func:`appendix_symbols`.

    Raises
    ------
    ValueError, TypeError
        For n < 2.

    Examples
    --------
    >>> (theta, r), d = appendix_symbols(2), dissipator_sympy(2)
    >>> sp.expand(d[1, 1].subs(theta[2], 1))  # sigma_2 > 0: |1> decays into |2>
    r11
    >>> printed = dissipator_sympy(2, printed=True)  # moves no population, either sign
    >>> [sp.expand(printed[1, 1].subs(theta[2], v)) for v in (0, 1)]
    [0, 0]
    """
    theta, r = appendix_symbols(n)
    out = sp.zeros(n)
    for k in range(2, n + 1):
        for m in range(1, k):
            op = sp.zeros(n)
            op[k - 1, m - 1] = theta[k]
            op[m - 1, k - 1] = 1 - theta[k]
            left, right = (op.T, op.T) if printed else (op, op.T)
            out += left * r * right - (right * left * r + r * right * left) / 2
    return out.applyfunc(sp.expand)


def printed_rate_equations() -> list[sp.Expr]:
    """Right-hand sides of Eqs. (40)–(43), (1/κ) dρ_JJ/dt for N = 4, as printed.

    Returns
    -------
    list of sympy.Expr
        Four expressions in the symbols of :func:`appendix_symbols` (θ(−σ_K) → 1 − θ_K).

    Raises
    ------
    Nothing.
    """
    theta, r = appendix_symbols(4)
    t2, t3, t4 = theta[2], theta[3], theta[4]
    return [
        (1 - t2) * r[1, 1] + (1 - t3) * r[2, 2] + (1 - t4) * r[3, 3] - (t2 + t3 + t4) * r[0, 0],
        t2 * r[0, 0] - ((1 - t2) + t3 + t4) * r[1, 1] + (1 - t3) * r[2, 2] + (1 - t4) * r[3, 3],
        t3 * r[0, 0] + t3 * r[1, 1] - (2 * (1 - t3) + t4) * r[2, 2] + (1 - t4) * r[3, 3],
        t4 * (r[0, 0] + r[1, 1] + r[2, 2]) - 3 * (1 - t4) * r[3, 3],
    ]


def printed_decay_rate(i: int, j: int) -> sp.Expr:
    """Λ_IJ of Eq. (46) as printed, for N = 4 (1-based I ≠ J).

    Λ_IJ = (1 − δ_J4) Σ_{M>J} θ_M + (1 − δ_I4) Σ_{M>I} θ_M + (1 − δ_J1)(J − 1)(1 − θ_J) +
    (1 − δ_I1)(I − 1)(1 − θ_I).

    Parameters
    ----------
    i, j : int
        1-based levels, 1 ≤ I, J ≤ 4, I ≠ J.

    Returns
    -------
    sympy.Expr
        In the symbols of :func:`appendix_symbols`.

    Raises
    ------
    ValueError, TypeError
        For labels outside 1..4 or I = J (Eq. (45) holds for coherences only).
    """
    i = count(i, "i", 1, " (the paper's labels start at 1)", maximum=5)
    j = count(j, "j", 1, " (the paper's labels start at 1)", maximum=5)
    if i == j:
        raise ValueError("Eq. (46) is for coherences: give i != j.")
    th = {1: sp.Integer(0), **appendix_symbols(4)[0]}
    return sp.expand(
        int(j != 4) * sum(th[m] for m in range(j + 1, 5))
        + int(i != 4) * sum(th[m] for m in range(i + 1, 5))
        + int(j != 1) * (j - 1) * (1 - th[j])
        + int(i != 1) * (i - 1) * (1 - th[i])
    )


class AppendixEquations(NamedTuple):
    """Result of :func:`appendix_equations` (symbols of :func:`appendix_symbols`, N = 4)."""

    theta: dict
    r: sp.Matrix
    dissipator: sp.Matrix
    populations: list
    populations_agree: bool
    coherences_agree: bool


def appendix_equations(*, printed: bool = False) -> AppendixEquations:
    """Derive Eqs. (40)–(46) from the Lindblad equation (36) for N = 4 and compare with the print.

    The dissipator (1/κ) dρ/dt of :func:`dissipator_sympy` (H = 0, symbolic step functions
    θ_K = θ(σ_K)) is compared with the printed population equations (40)–(43)
    (:func:`printed_rate_equations`) on the diagonal and with −Λ_IJ ρ_IJ/2 of Eqs. (45)–(46)
    (:func:`printed_decay_rate`) off it. Each θ_K takes the values 0 and 1 only, so agreement
    after ``sympy.expand`` for all 8 assignments of (θ_2, θ_3, θ_4) is a proof.

    Parameters
    ----------
    printed : bool
        Derive from the dagger placement as printed in Eqs. (4), (15) and (36) instead of the
        standard L ρ L† − ½{L†L, ρ} (which moves no population, so nothing agrees).

    Returns
    -------
    AppendixEquations
        ``theta`` {K: θ_K}, ``r`` (4 × 4 symbols r_IJ), ``dissipator`` (sympy.Matrix, 4 × 4),
        ``populations`` (the four printed right-hand sides of Eqs. (40)–(43)), and whether the
        populations and all 12 coherences agree.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> eqs = appendix_equations()
    >>> eqs.populations_agree, eqs.coherences_agree
    (True, True)
    """
    theta, r = appendix_symbols(4)
    rhs, populations = dissipator_sympy(4, printed=printed), printed_rate_equations()
    bits = itertools.product((0, 1), repeat=3)
    binary = [dict(zip(theta.values(), b, strict=True)) for b in bits]
    diag = all(
        sp.expand((rhs[k, k] - populations[k]).subs(b)) == 0 for k in range(4) for b in binary
    )
    off = all(
        sp.expand((rhs[i - 1, j - 1] + printed_decay_rate(i, j) * r[i - 1, j - 1] / 2).subs(b)) == 0
        for i, j in itertools.permutations(range(1, 5), 2)
        for b in binary
    )
    return AppendixEquations(theta, r, rhs, populations, diag, off)


def lambda_average_per_order(
    rho0, hamiltonian, kappa: float, times, *, basis=None, detection_time: float = 0.0
) -> np.ndarray:
    """:func:`lambda_average` for every order in which the construction takes the levels.

    The model's σ's and Lindblad operators (Eqs. (13)–(14)) depend on the order of the detector
    states; relabelling them by a permutation π means using the basis columns in the order π.
    The mean over axis 0 is the λ-averaged ρ(t) of the model with the order as a further hidden
    variable, uniform over the N! orders (the paper's sum over orderings, Section 2.2).

    Parameters
    ----------
    rho0, hamiltonian, kappa, times, basis, detection_time
        As in :func:`lambda_average`; N ≤ 6 (720 orders).

    Returns
    -------
    ndarray, complex, shape (N!, n_t, N, N)
        Computational basis; orders as ``itertools.permutations(range(N))``.

    Raises
    ------
    ValueError, TypeError
        As :func:`lambda_average`, or for N > 6.
    """
    rho = _check_rho(rho0)
    n = rho.shape[0]
    if n > 6:
        raise ValueError(f"rho0 has N = {n} levels; {n}! orders are too many (N <= 6).")
    u = _check_basis(basis, n)
    return np.stack(
        [
            lambda_average(
                rho,
                hamiltonian,
                kappa,
                times,
                basis=u[:, list(perm)],
                detection_time=detection_time,
            ).rho
            for perm in itertools.permutations(range(n))
        ]
    )
