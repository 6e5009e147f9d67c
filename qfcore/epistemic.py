"""The epistemically restricted ensemble of Budiyono & Rohrlich (paper 000).

A. Budiyono and D. Rohrlich, "Quantum mechanics as classical statistical mechanics with an ontic
extension and an epistemic restriction", Nat. Commun. 8, 1306 (2017).

Given ψ = √ρ e^{iS/ħ}, every trajectory through q carries the momentum (Eqs. (6), (17))

    p_i(q; ξ) = ∂_i S(q) + ξ ∂_i ρ(q) / (2 ρ(q)),

where ξ is a global ("nonseparable") random variable with E[ξ] = 0 and E[ξ²] = ħ² (Eq. (7)).
The phase-space average of a classical quantity O(p, q) (Eq. (8)) is

    ⟨O⟩ = ∫ dq ρ(q) E_ξ[O(p(q; ξ), q)].

Theorem 2 of the paper states that for O quadratic in p (Eq. (20)) this equals ⟨ψ|Ô|ψ⟩ with the
ordering of Eq. (28). Here ⟨O⟩ is evaluated by Monte Carlo over ξ and quadrature (Σ ΔV) over a
uniform grid; :func:`conditional_averages` gives the exact ξ-conditional averages, so that for a
quadratic O the ξ-average can also be taken exactly.

Units: ħ = 1 unless ``hbar`` is given; momenta in ħ/length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.integrate import simpson, solve_ivp

from qfcore import grid as _grid
from qfcore import schrodinger as _schrodinger
from qfcore._checks import HERMITIAN_TOL, count, positive, seeded

__all__ = [
    "XI_KINDS",
    "EnsembleAverage",
    "FourthMomentParts",
    "MomentumField",
    "UncertaintyMoments",
    "conditional_averages",
    "ensemble_average",
    "example_quadratic_coefficients",
    "fisher_information",
    "fourth_moment_parts",
    "momentum_field",
    "momentum_moments",
    "ordered_quadratic_expectation",
    "quadratic_observable",
    "restricted_density",
    "sample_phase_space",
    "sample_xi",
    "two_point_average",
    "uncertainty_moments",
    "von_neumann_pointer",
    "winding_principal_value",
    "winding_weights",
    "xi_fourth_moment",
]

#: Distributions of ξ offered by :func:`sample_xi`; all have mean 0 and variance ħ².
XI_KINDS = ("gaussian", "two_point", "uniform")
#: E[ξ⁴]/ħ⁴ of each kind: Gaussian 3, ±ħ 1, uniform on [−√3ħ, √3ħ] (√3)⁴/5 = 9/5.
_FOURTH_MOMENT = {"gaussian": 3.0, "two_point": 1.0, "uniform": 9.0 / 5.0}
#: Points where both |ψ|² and |∇ψ|² are at or below RHO_FLOOR times their maxima (far tails)
#: get zero momentum field: there ψ'/ψ would be dominated by the round-off of the derivative
#: (~1e-16 max|ψ'|), harmless for quadratic observables (ρ·w² ≤ |ψ'|²) but explosive for higher
#: powers of p, while the true contribution of such tails to any average is ~1e-24. Nodes and
#: hard walls keep their field (|∇ψ| is large there and ρ·w² = (∂√ρ)² is finite).
RHO_FLOOR = 1e-24
#: Float64 values per momentum array in one batch of ξ's (8 MiB): a 256×256 grid gets 16 ξ's
#: per batch, which keeps a quadratic observable in two dimensions well below 200 MB.
_BATCH_ELEMENTS = 2**20
_DERIVATIVES = ("spectral", "central")


class MomentumField(NamedTuple):
    """The two parts of p_i(q; ξ) = phase_gradient_i + ξ·osmotic_i (one array per axis)."""

    phase_gradient: tuple[np.ndarray, ...]
    osmotic: tuple[np.ndarray, ...]


class FourthMomentParts(NamedTuple):
    """The ξ-independent and ξ⁴ parts of the ensemble ⟨p⁴⟩ and the quantum ⟨ψ|p̂⁴|ψ⟩ (1D)."""

    #: ∫ρ[(∂S)⁴ + 6ħ²(∂S)²w²] dq, w = ∂ρ/2ρ (units (ħ/length)⁴).
    phase: float
    #: ∫ρw⁴ dq (units 1/length⁴): ⟨p⁴⟩_ξ = phase + ⟨ξ⁴⟩·osmotic.
    osmotic: float
    #: ⟨ψ|p̂⁴|ψ⟩ = ∫|p̂²ψ|² dq (units (ħ/length)⁴).
    quantum: float


class EnsembleAverage(NamedTuple):
    """Monte Carlo estimate of ⟨O⟩ and its standard error."""

    mean: float
    stderr: float


# ----------------------------------------------------------------------------------------------
# validation helpers


def _check_kind(kind, name: str) -> str:
    if not isinstance(kind, str) or kind not in XI_KINDS:
        raise ValueError(f"{name} must be one of {XI_KINDS}; got {kind!r}.")
    return kind


def _check_derivative(derivative) -> str:
    if derivative not in _DERIVATIVES:
        raise ValueError(
            f"derivative must be 'spectral' (smooth states negligible at the grid's edges) or "
            f"'central' (states with hard walls or kinks); got {derivative!r}."
        )
    return derivative


def _normalised_state(psi, grid) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    _grid.check_normalised(psi, axes)
    return psi, axes


def _coefficients(metric, vector_potential, potential, *, grid_shape=None, real: bool):
    """Validate g_ij, A_i, V of Eq. (20); return them as arrays (A, V may be None).

    A must always be real; ``real=False`` lets a complex metric or potential through, to be
    caught by the imaginary part of ⟨ψ|Ô|ψ⟩.
    """
    g = np.asarray(metric)
    if g.ndim < 2 or g.shape[0] != g.shape[1] or g.shape[0] == 0:
        raise ValueError(
            f"metric must have shape (d, d) or (d, d, *grid_shape); got shape {g.shape}."
        )
    d = g.shape[0]
    arrays = {"metric": g}
    a = None
    if vector_potential is not None:
        a = np.asarray(vector_potential)
        if a.ndim < 1 or a.shape[0] != d:
            raise ValueError(
                f"vector_potential must have shape ({d},) or ({d}, *grid_shape) to match the "
                f"{d}x{d} metric; got shape {a.shape}."
            )
        arrays["vector_potential"] = a
    v = None
    if potential is not None:
        v = np.asarray(potential)
        arrays["potential"] = v
    shapes = {}
    for name, arr in arrays.items():
        if not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite values.")
        if (real or name == "vector_potential") and np.iscomplexobj(arr):
            raise ValueError(
                f"{name} must be real: O(p, q) of Eq. (20) is a real function on phase space "
                f"and p − A must be Hermitian; pass numpy.real({name}) if its imaginary part "
                "is round-off."
            )
        lead = {"metric": 2, "vector_potential": 1, "potential": 0}[name]
        if arr.ndim > lead:
            shapes[name] = arr.shape[lead:]
    scale = np.max(np.abs(g))
    if np.max(np.abs(g - g.swapaxes(0, 1))) > HERMITIAN_TOL * scale:
        raise ValueError("metric must be symmetric, g_ij = g_ji; pass (g + g.swapaxes(0, 1)) / 2.")
    for name, shape in shapes.items():
        if len(shape) != d or (grid_shape is not None and shape != grid_shape):
            want = grid_shape if grid_shape is not None else f"a {d}-dimensional grid shape"
            raise ValueError(
                f"{name} has grid part of shape {shape}; it must be {want} (or drop the grid "
                "part for a constant)."
            )
    if len(set(shapes.values())) > 1:
        raise ValueError(f"metric, vector_potential and potential disagree on the grid: {shapes}.")
    return g, a, v


# ----------------------------------------------------------------------------------------------
# the random variable ξ


def sample_xi(n, kind: str = "gaussian", *, hbar: float = 1.0, n_dof=None, rng=None):
    """Draw the nonseparable random variable ξ of Eq. (7): mean 0, variance ħ².

    Parameters
    ----------
    n : int
        Number of draws, ≥ 1.
    kind : {"gaussian", "two_point", "uniform"}
        ``"gaussian"``: N(0, ħ²); ``"two_point"``: ±ħ with probability ½ each; ``"uniform"``:
        uniform on [−√3ħ, √3ħ]. The paper fixes only the first two moments (Eq. (7)); the
        kinds differ from the fourth moment on (see :func:`xi_fourth_moment`).
    hbar : float
        Reduced Planck constant ħ > 0 (units of action).
    n_dof : int or None
        None: one ξ per draw (nonseparable, as in the paper). An int ≥ 1: n_dof independent
        ξ_i per draw (the separable variant discussed after Theorem 2).
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for ``numpy.random.default_rng``.

    Returns
    -------
    ndarray, shape (n,) or (n, n_dof), units of action

    Raises
    ------
    ValueError
        If ``n < 1``, ``n_dof < 1``, ``hbar <= 0`` or ``kind`` is unknown.
    TypeError
        If ``n`` or ``n_dof`` is not an int, or ``rng`` is neither a Generator, an int nor None.

    Source: Budiyono & Rohrlich, Nat. Commun. 8, 1306 (2017), Eq. (7).
    """
    count(n, "n", 1)
    kind = _check_kind(kind, "kind")
    hbar = positive(hbar, "hbar")
    if n_dof is None:
        size: tuple[int, ...] = (int(n),)
    else:
        count(n_dof, "n_dof", 1, " (or None for a single ξ)")
        size = (int(n), int(n_dof))
    gen = seeded(rng)[0]
    if kind == "gaussian":
        return gen.normal(0.0, hbar, size=size)
    if kind == "two_point":
        return hbar * (2.0 * gen.integers(0, 2, size=size) - 1.0)
    half_width = np.sqrt(3.0) * hbar
    return gen.uniform(-half_width, half_width, size=size)


def xi_fourth_moment(kind: str, hbar: float = 1.0) -> float:
    """E[ξ⁴] of a kind of ξ: 3ħ⁴ (Gaussian), ħ⁴ (two-point), 9ħ⁴/5 (uniform).

    Parameters
    ----------
    kind : {"gaussian", "two_point", "uniform"}
        See :func:`sample_xi`.
    hbar : float
        Reduced Planck constant ħ > 0.

    Returns
    -------
    float, units of action⁴

    Raises
    ------
    ValueError
        For an unknown ``kind`` or ``hbar <= 0``.

    Source: moments of the normal, Rademacher and uniform distributions.
    """
    return _FOURTH_MOMENT[_check_kind(kind, "kind")] * positive(hbar, "hbar") ** 4


# ----------------------------------------------------------------------------------------------
# momentum field and phase-space averages


def momentum_field(psi, grid, *, hbar: float = 1.0, derivative: str = "spectral") -> MomentumField:
    """The two parts of the momentum field p_i(q; ξ) = ∂_iS + ξ ∂_iρ/(2ρ) of ψ = √ρ e^{iS/ħ}.

    phase_gradient_i = ∂_iS = ħ Im(ψ*∂_iψ)/|ψ|² and osmotic_i = ∂_iρ/(2ρ) = Re(ψ*∂_iψ)/|ψ|²,
    so p_i = phase_gradient_i + ξ·osmotic_i (Nelson's osmotic velocity is (ħ/m)·osmotic_i).
    Both are set to 0 where |ψ|² = 0 (exact nodes, which have zero weight in every ρ-weighted
    average) and in far tails, where |ψ|² and |∇ψ|² are both ≤ ``RHO_FLOOR`` times their maxima
    and the derivative's round-off would dominate ψ'/ψ.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
        Wavefunction (it need not be normalised).
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid (see :func:`qfcore.grid.as_grid`), length units.
    hbar : float
        Reduced Planck constant ħ > 0.
    derivative : {"spectral", "central"}
        How ∂_iψ is computed (:func:`qfcore.grid.gradient`): ``"spectral"`` for smooth states
        negligible at the grid's edges, ``"central"`` (second order) for states with hard walls.

    Returns
    -------
    MomentumField
        ``phase_gradient`` (units ħ/length) and ``osmotic`` (units 1/length): tuples with one
        array of the grid's shape per degree of freedom.

    Raises
    ------
    ValueError
        For a non-uniform grid, a shape mismatch, non-finite ψ, ``hbar <= 0`` or an unknown
        ``derivative``.

    Source: Budiyono & Rohrlich (2017), Eqs. (6), (9) and (17).
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    hbar = positive(hbar, "hbar")
    method = _check_derivative(derivative)
    rho = np.abs(psi) ** 2
    gradients = _grid.gradient(psi, axes, method=method)
    grad2 = sum(np.abs(g) ** 2 for g in gradients)
    resolved = (rho > RHO_FLOOR * rho.max()) | (grad2 > RHO_FLOOR * grad2.max())
    occupied = (rho > 0) & resolved
    inv_rho = np.divide(1.0, rho, out=np.zeros_like(rho), where=occupied)
    phase, osmotic = [], []
    for dpsi in gradients:
        current = np.conj(psi) * dpsi * inv_rho
        phase.append(hbar * current.imag)
        osmotic.append(current.real)
    return MomentumField(tuple(phase), tuple(osmotic))


def _check_xi(xi, d: int) -> np.ndarray:
    x = np.asarray(xi, dtype=float)
    if x.ndim == 0 or x.ndim > 2 or (x.ndim == 2 and x.shape[1] != d) or x.shape[0] == 0:
        raise ValueError(
            f"xi must have shape (n,) (one nonseparable ξ per draw) or (n, {d}) (separable: "
            f"one ξ_i per degree of freedom); got shape {x.shape}."
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("xi holds non-finite values.")
    return x


def _conditional(observable, psi, axes, xi, hbar, derivative) -> np.ndarray:
    """A(ξ_k) = Σ_q O(p(q; ξ_k), q) ρ(q) ΔV for validated input, in batches of ξ's."""
    field = momentum_field(psi, axes, hbar=hbar, derivative=derivative)
    rho = np.abs(psi) ** 2
    rho_flat = rho.ravel() * _grid.cell_volume(axes)
    q = _grid.mesh(axes)
    shape, d = rho.shape, len(axes)
    expand = (slice(None),) + (None,) * d
    batch = max(1, _BATCH_ELEMENTS // rho.size)
    out = np.empty(xi.shape[0])
    for start in range(0, xi.shape[0], batch):
        chunk = xi[start : start + batch]
        p = tuple(
            s + (chunk if chunk.ndim == 1 else chunk[:, i])[expand] * u
            for i, (s, u) in enumerate(zip(field.phase_gradient, field.osmotic, strict=True))
        )
        value = np.asarray(observable(p, q))
        if np.iscomplexobj(value) or not np.issubdtype(value.dtype, np.number):
            raise TypeError(
                f"observable must return real numbers (a classical O(p, q)); got dtype "
                f"{value.dtype}."
            )
        try:
            value = np.broadcast_to(value, (chunk.shape[0], *shape))
        except ValueError:
            raise ValueError(
                f"observable returned shape {value.shape}, not broadcastable to "
                f"{(chunk.shape[0], *shape)} = (batch, *grid_shape); build it from p[i] and q[i]."
            ) from None
        out[start : start + chunk.shape[0]] = value.reshape(chunk.shape[0], -1) @ rho_flat
    return out


def _check_observable(observable) -> None:
    if not callable(observable):
        raise TypeError(
            f"observable must be a callable O(p, q), e.g. lambda p, q: p[0]**2 / 2; got "
            f"{type(observable).__name__}."
        )


def conditional_averages(
    observable: Callable,
    psi,
    grid,
    xi,
    *,
    hbar: float = 1.0,
    derivative: str = "spectral",
) -> np.ndarray:
    """ξ-conditional phase-space averages A(ξ_k) = Σ_q O(p(q; ξ_k), q) ρ(q) ΔV.

    The integrand of Eq. (8) before the average over ξ; for O quadratic in p, A(ξ) is a
    quadratic polynomial in ξ (Eq. (22)), and its average with E[ξ] = 0, E[ξ²] = ħ² is
    Theorem 2's ⟨ψ|Ô|ψ⟩.

    Parameters
    ----------
    observable : callable
        ``observable(p, q)``: p and q are tuples with one array per degree of freedom; p[i] has
        shape (batch, *grid_shape) (units ħ/length), q[i] the grid's shape. It returns real
        values broadcastable to (batch, *grid_shape), e.g. ``lambda p, q: p[0]**2 / 2``.
    psi : array_like, complex, shape of the grid
        Normalised wavefunction (Σ|ψ|²ΔV = 1).
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid, length units.
    xi : array_like, shape (n_xi,) or (n_xi, d)
        Values of ξ (units of action): shape (n_xi,) for the nonseparable ξ of the paper,
        (n_xi, d) for the separable variant with one ξ_i per degree of freedom.
    hbar : float
        Reduced Planck constant ħ > 0.
    derivative : {"spectral", "central"}
        See :func:`momentum_field`.

    Returns
    -------
    ndarray, shape (n_xi,)
        In the units of O. The ξ's are processed in batches of about 2²⁰/grid-size, so memory
        stays bounded (≈ 100 MB for a quadratic observable on 256×256).

    Raises
    ------
    ValueError
        If ψ is not normalised, the grid is not uniform, shapes disagree, ``xi`` has the wrong
        shape or non-finite values, ``hbar <= 0``, ``derivative`` is unknown, or the observable
        returns a wrongly shaped result.
    TypeError
        If ``observable`` is not callable or returns complex (or non-numeric) values.

    Source: Budiyono & Rohrlich (2017), Eqs. (6), (8) and (22).
    """
    _check_observable(observable)
    psi, axes = _normalised_state(psi, grid)
    hbar = positive(hbar, "hbar")
    _check_derivative(derivative)
    xi = _check_xi(xi, len(axes))
    return _conditional(observable, psi, axes, xi, hbar, derivative)


def two_point_average(
    observable: Callable, psi, grid, *, hbar: float = 1.0, derivative: str = "spectral"
) -> float:
    """The ξ-average of Eq. (8) taken exactly for the two-point μ(ξ): ½[A(ħ) + A(−ħ)].

    For O quadratic in p, A(ξ) is a parabola in ξ (Eq. (22)), so this is the exact average
    over every μ with E[ξ] = 0, E[ξ²] = ħ², i.e. Theorem 2's ⟨ψ|Ô|ψ⟩, without Monte Carlo noise.

    Parameters
    ----------
    observable, psi, grid, hbar, derivative
        As in :func:`conditional_averages`.

    Returns
    -------
    float
        ½ Σ_± Σ_q O(p(q; ±ħ), q) ρ(q) ΔV, in the units of O.

    Raises
    ------
    ValueError, TypeError
        As :func:`conditional_averages`.

    Source: Budiyono & Rohrlich (2017), Eqs. (7), (8) and (22).

    Examples
    --------
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = np.exp(-q**2 / 4) / (2 * np.pi) ** 0.25  # σ_q = 1, so ⟨p²⟩ = ħ²/4
    >>> round(two_point_average(lambda p, q: p[0] ** 2, psi, q), 12)
    0.25
    """
    hbar = positive(hbar, "hbar")
    xi = np.array([hbar, -hbar])
    averages = conditional_averages(observable, psi, grid, xi, hbar=hbar, derivative=derivative)
    return float(averages.mean())


def ensemble_average(
    observable: Callable,
    psi,
    grid,
    *,
    hbar: float = 1.0,
    xi: str = "gaussian",
    n_xi: int = 2048,
    separable: bool = False,
    rng=None,
    derivative: str = "spectral",
) -> EnsembleAverage:
    """Phase-space average ⟨O⟩ = ∫dq ρ(q) E_ξ[O(p(q; ξ), q)] of the epistemic ensemble.

    Monte Carlo over ``n_xi`` independent draws of ξ (:func:`sample_xi`), quadrature Σ ΔV
    over the grid for each draw (:func:`conditional_averages`).

    Parameters
    ----------
    observable : callable
        ``observable(p, q)``, see :func:`conditional_averages`.
    psi : array_like, complex, shape of the grid
        Normalised wavefunction ψ = √ρ e^{iS/ħ} (Eq. (9)).
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid, length units.
    hbar : float
        Reduced Planck constant ħ > 0; the variance of ξ is ħ² (Eq. (7)).
    xi : {"gaussian", "two_point", "uniform"}
        Distribution of ξ.
    n_xi : int
        Number of draws, ≥ 2.
    separable : bool
        False (the paper's model): one ξ shared by all degrees of freedom. True: independent
        ξ_i per degree of freedom, which loses the quantum correlations (discussion after
        Theorem 2).
    rng : numpy.random.Generator, int or None
        Source of randomness or seed.
    derivative : {"spectral", "central"}
        See :func:`momentum_field`.

    Returns
    -------
    EnsembleAverage
        ``mean``: the sample mean of A(ξ_k); ``stderr``: sample standard deviation
        (ddof = 1) / √n_xi. Both in the units of O.

    Raises
    ------
    ValueError
        If ψ is not normalised, the grid is not uniform, shapes disagree, ``xi`` is not a known
        kind, ``n_xi < 2``, ``hbar <= 0`` or ``derivative`` is unknown.
    TypeError
        If ``observable`` is not callable, ``n_xi`` is not an int, or ``rng`` has a wrong type.

    Source: Budiyono & Rohrlich (2017), Eq. (8).
    """
    _check_observable(observable)
    psi, axes = _normalised_state(psi, grid)
    hbar = positive(hbar, "hbar")
    kind = _check_kind(xi, "xi")
    _check_derivative(derivative)
    count(n_xi, "n_xi", 2, " to estimate a standard error")
    draws = sample_xi(
        n_xi, kind, hbar=hbar, n_dof=len(axes) if separable else None, rng=seeded(rng)[0]
    )
    values = _conditional(observable, psi, axes, draws, hbar, derivative)
    return EnsembleAverage(float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size)))


def momentum_moments(
    psi,
    grid,
    *,
    hbar: float = 1.0,
    xi: str = "gaussian",
    n_xi: int = 2048,
    rng=None,
    derivative: str = "spectral",
) -> tuple[EnsembleAverage, EnsembleAverage]:
    """Monte Carlo ⟨p⟩ and ⟨p²⟩ of a one-dimensional ensemble, so σ_p² = ⟨p²⟩ − ⟨p⟩².

    Two calls of :func:`ensemble_average` on the same generator, ⟨p⟩ first: each moment has
    its own ``n_xi`` draws of ξ, so their errors are independent.

    Parameters
    ----------
    psi : array_like, complex, shape (n,)
        Normalised wavefunction on ``grid``.
    grid : ndarray, shape (n,)
        Uniform 1D grid, length units.
    hbar, xi, n_xi, rng, derivative
        As in :func:`ensemble_average` (``rng`` is converted to one generator first, so a
        seed gives two different samples).

    Returns
    -------
    first, second : EnsembleAverage
        ⟨p⟩ (units ħ/length) and ⟨p²⟩ (units (ħ/length)²), each with its standard error.

    Raises
    ------
    ValueError, TypeError
        As :func:`ensemble_average`; ValueError also for a grid with more than one axis.

    Source: Budiyono & Rohrlich (2017), Eqs. (6)-(8).

    Examples
    --------
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = np.exp(-q**2 / 4) / (2 * np.pi) ** 0.25  # σ_q = 1: σ_p = ħ/2
    >>> m1, m2 = momentum_moments(psi, q, xi="two_point", n_xi=64, rng=0)
    >>> round(float(np.sqrt(m2.mean - m1.mean**2)), 9)
    0.5
    """
    if len(_grid.as_grid(grid)) != 1:
        raise ValueError("grid must be one 1D axis: pass the positions of one degree of freedom.")
    options = {"hbar": hbar, "xi": xi, "n_xi": n_xi, "derivative": derivative}
    rng, _ = seeded(rng)
    first = ensemble_average(lambda p, q: p[0], psi, grid, rng=rng, **options)
    second = ensemble_average(lambda p, q: p[0] ** 2, psi, grid, rng=rng, **options)
    return first, second


def sample_phase_space(
    psi,
    grid,
    n: int,
    *,
    hbar: float = 1.0,
    xi: str = "gaussian",
    separable: bool = False,
    rng=None,
    derivative: str = "spectral",
) -> tuple[np.ndarray, np.ndarray]:
    """Draw n phase-space points (q, p) of the epistemic ensemble of ψ (Eqs. (6), (9)).

    Each point is a grid point q drawn with probability ρ(q)ΔV, then a ξ drawn from μ, then
    p_i = ∂_iS(q) + ξ ∂_iρ/(2ρ) (one ξ per point, or one per degree of freedom if
    ``separable``). Positions are grid points, not jittered: the sample is exact for the
    discretised ensemble whose averages :func:`ensemble_average` computes.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
        Normalised wavefunction.
    grid : ndarray, shape (n_1,), or tuple of ndarray
        Uniform grid, length units.
    n : int
        Number of points, ≥ 1.
    hbar, xi, separable, rng, derivative
        As in :func:`ensemble_average`.

    Returns
    -------
    q, p : ndarray, shape (n, d)
        Positions (length units) and momenta (ħ/length).

    Raises
    ------
    ValueError
        As :func:`ensemble_average`, and for ``n < 1``.
    TypeError
        If ``n`` is not an int or ``rng`` has a wrong type.

    Source: Budiyono & Rohrlich (2017), Eqs. (6), (9).
    """
    psi, axes = _normalised_state(psi, grid)
    hbar = positive(hbar, "hbar")
    kind = _check_kind(xi, "xi")
    _check_derivative(derivative)
    count(n, "n", 1)
    rng = seeded(rng)[0]
    field = momentum_field(psi, axes, hbar=hbar, derivative=derivative)
    rho = np.abs(psi).ravel() ** 2
    flat = rng.choice(rho.size, size=n, p=rho / rho.sum())
    idx = np.unravel_index(flat, psi.shape)
    d = len(axes)
    draws = sample_xi(n, kind, hbar=hbar, n_dof=d if separable else None, rng=rng)
    draws = draws if separable else np.repeat(draws[:, None], d, axis=1)
    q = np.stack([axes[i][idx[i]] for i in range(d)], axis=1)
    p = np.stack(
        [field.phase_gradient[i][idx] + draws[:, i] * field.osmotic[i][idx] for i in range(d)],
        axis=1,
    )
    return q, p


# ----------------------------------------------------------------------------------------------
# Theorem 2: quadratic observables


def quadratic_observable(metric, *, vector_potential=None, potential=None) -> Callable:
    """The classical quantity O(p, q) = ½ Σ_ij g_ij(q)(p_i − A_i(q))(p_j − A_j(q)) + V(q).

    Parameters
    ----------
    metric : array_like, real, shape (d, d) or (d, d, *grid_shape)
        Symmetric g_ij (units 1/mass), constant or sampled on the grid.
    vector_potential : array_like, real, shape (d,) or (d, *grid_shape), optional
        A_i (units of momentum); default 0.
    potential : array_like, real, scalar or grid_shape, optional
        V (units of energy); default 0.

    Returns
    -------
    callable
        ``O(p, q)`` in the calling convention of :func:`ensemble_average` (p a tuple of d
        arrays of shape (batch, *grid_shape); q unused, the coefficients are already sampled).

    Raises
    ------
    ValueError
        If the metric is not square or not symmetric, a coefficient is complex or non-finite,
        or the shapes disagree.
    TypeError
        If a coefficient is not numeric.

    Source: Budiyono & Rohrlich (2017), Eq. (20).
    """
    g, a, v = _coefficients(metric, vector_potential, potential, real=True)
    d = g.shape[0]

    def observable(p, q):
        if len(p) != d:
            raise ValueError(f"observable built for {d} degrees of freedom got {len(p)}.")
        dp = [p[i] if a is None else p[i] - a[i] for i in range(d)]
        total = 0.0 if v is None else v
        for i in range(d):
            total = total + 0.5 * g[i, i] * dp[i] ** 2
            for j in range(i + 1, d):
                total = total + g[i, j] * dp[i] * dp[j]
        return total

    return observable


def ordered_quadratic_expectation(
    psi, grid, metric, *, vector_potential=None, potential=None, hbar: float = 1.0
) -> float:
    """⟨ψ|Ô|ψ⟩ for Ô = ½ Σ_ij (p̂_i − A_i) g_ij (p̂_j − A_j) + V, with g sandwiched (Eq. (28)).

    Computed as ½ Σ_ij ⟨(p̂_i − A_i)ψ| g_ij |(p̂_j − A_j)ψ⟩ + ⟨ψ|V|ψ⟩ with p̂_j = −iħ∂_j taken
    spectrally (:func:`qfcore.grid.gradient`) and Σ ΔV for the integrals: the quantum side of
    Theorem 2, independent of the ξ-ensemble.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
        Normalised wavefunction, smooth and negligible at the grid's edges.
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid with d axes, length units.
    metric : array_like, shape (d, d) or (d, d, *grid_shape)
        Symmetric g_ij(q) (units 1/mass).
    vector_potential : array_like, real, shape (d,) or (d, *grid_shape), optional
        A_i(q) (units of momentum); default 0.
    potential : array_like, scalar or grid-shaped, optional
        V(q) (units of energy); default 0.
    hbar : float
        Reduced Planck constant ħ > 0.

    Returns
    -------
    float
        The expectation value (units of energy).

    Raises
    ------
    ValueError
        If ψ is not normalised, the grid is not uniform, shapes disagree, the metric is not
        symmetric, the vector potential is complex, ``hbar <= 0``, or the result has an
        imaginary part beyond round-off (a complex metric or potential makes Ô non-Hermitian).

    Source: Budiyono & Rohrlich (2017), Eqs. (28)–(32).
    """
    psi, axes = _normalised_state(psi, grid)
    hbar = positive(hbar, "hbar")
    g, a, v = _coefficients(metric, vector_potential, potential, grid_shape=psi.shape, real=False)
    d = g.shape[0]
    if d != len(axes):
        raise ValueError(f"metric is {d}x{d} but the grid has {len(axes)} axes; they must agree.")
    dpsi = _grid.gradient(psi, axes, method="spectral")
    phi = [-1j * hbar * dpsi[i] - (0.0 if a is None else a[i] * psi) for i in range(d)]
    rho = np.abs(psi) ** 2
    value = 0.0 if v is None else np.sum(v * rho)
    scale = 0.0 if v is None else np.sum(np.abs(v) * rho)
    for i in range(d):
        for j in range(d):
            value = value + 0.5 * np.sum(np.conj(phi[i]) * g[i, j] * phi[j])
            scale = scale + 0.5 * np.sum(np.abs(phi[i]) * np.abs(g[i, j]) * np.abs(phi[j]))
    dv = _grid.cell_volume(axes)
    value, scale = value * dv, scale * dv
    # Round-off on a sum of n terms bounded by `scale` is far below HERMITIAN_TOL·scale.
    if abs(np.imag(value)) > HERMITIAN_TOL * scale:
        raise ValueError(
            f"<psi|O|psi> has imaginary part {np.imag(value):.3g} (scale {scale:.3g}): the "
            "operator is not Hermitian; metric, vector_potential and potential must be real."
        )
    return float(np.real(value))


# ----------------------------------------------------------------------------------------------
# uncertainty relation and the density allowed by the epistemic restriction


def example_quadratic_coefficients(grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth, position-dependent metric g^ij(q), vector potential A_i(q) and potential V(q).

    Test coefficients for Theorem 2 in one or two dimensions, periodic in the box of length
    L = q_max − q_min with k = 2π/L (plus a confining V):

    * d = 1: g = 1 + 0.4 cos kq, A = 0.5 sin kq, V = 0.05 q²;
    * d = 2: g11 = 1 + 0.3 cos kq₁, g22 = 0.8 + 0.2 sin kq₂, g12 = 0.25 cos k(q₁ − q₂),
      A = (0.3 sin kq₂, −0.2 sin kq₁), V = 0.05 (q₁² + q₂²).

    The metric is positive definite everywhere (its smallest eigenvalue exceeds 0.2).

    Parameters
    ----------
    grid : ndarray, shape (n,), or tuple of one or two ndarray
        Uniform grid, length units (k uses the extent of the first axis).

    Returns
    -------
    metric : ndarray, shape (d, d, *grid_shape)
        g^ij (units 1/mass, m = 1).
    vector_potential : ndarray, shape (d, *grid_shape)
        A_i (units ħ/length).
    potential : ndarray, grid_shape
        V (units of energy).

    Raises
    ------
    ValueError
        If the grid is not uniform or has more than two dimensions (pass one or two axes).

    Source: Budiyono & Rohrlich (2017), Eq. (20) (the general quadratic O of Theorem 2).

    Examples
    --------
    >>> q = np.linspace(-8, 8, 64, endpoint=False)
    >>> g, a, v = example_quadratic_coefficients(q)
    >>> g.shape, a.shape, v.shape
    ((1, 1, 64), (1, 64), (64,))
    """
    axes = _grid.as_grid(grid)
    if len(axes) > 2:
        raise ValueError(f"grid must have one or two axes; got {len(axes)}.")
    mesh = _grid.mesh(axes)
    k = 2 * np.pi / (axes[0][-1] - axes[0][0])
    if len(axes) == 1:
        (q1,) = mesh
        metric = np.array([[1.0 + 0.4 * np.cos(k * q1)]])
        return metric, np.array([0.5 * np.sin(k * q1)]), 0.05 * q1**2
    q1, q2 = mesh
    g11, g22 = 1.0 + 0.3 * np.cos(k * q1), 0.8 + 0.2 * np.sin(k * q2)
    g12 = 0.25 * np.cos(k * (q1 - q2))
    metric = np.array([[g11, g12], [g12, g22]])
    vector_potential = np.array([0.3 * np.sin(k * q2), -0.2 * np.sin(k * q1)])
    return metric, vector_potential, 0.05 * (q1**2 + q2**2)


def fourth_moment_parts(psi, q, *, hbar: float = 1.0) -> FourthMomentParts:
    """Split the ensemble ⟨p⁴⟩ into its ξ-free and ⟨ξ⁴⟩ parts, next to the quantum ⟨p̂⁴⟩.

    With p = ∂S + ξw, w = ∂ρ/2ρ, E[ξ] = E[ξ³] = 0 and E[ξ²] = ħ², the ξ-average of p⁴ is
    ρ-averaged to ⟨p⁴⟩_ξ = ∫ρ[(∂S)⁴ + 6ħ²(∂S)²w²] + E[ξ⁴] ∫ρw⁴: unlike a quadratic O it
    depends on μ(ξ) beyond its variance. For a real Gaussian ψ, quantum = ħ⁴·osmotic
    (the two-point μ), but no single μ works for every state.

    Parameters
    ----------
    psi : array_like, complex, shape (n,)
        Normalised wavefunction on ``q``, negligible at the grid's edges (spectral derivatives).
    q : ndarray, shape (n,)
        Uniform 1D grid, length units.
    hbar : float
        ħ > 0.

    Returns
    -------
    FourthMomentParts
        (phase, osmotic, quantum) as floats; quantum = ∫|p̂²ψ|² dq.

    Raises
    ------
    ValueError
        For a grid that is not one uniform axis, a shape mismatch or ``hbar <= 0``.

    Source: beyond paper 000 (its Theorem 2 stops at second order); the symbolic form is
    :func:`qfcore.madelung.fourth_moment_dependence`.

    Examples
    --------
    >>> q = np.linspace(-12, 12, 256, endpoint=False)
    >>> psi = np.exp(-q**2 / 4) / (2 * np.pi) ** 0.25  # real Gaussian, σ_q = 1
    >>> parts = fourth_moment_parts(psi, q)
    >>> round(parts.phase, 12), round(parts.quantum / parts.osmotic, 9)
    (0.0, 1.0)
    """
    axes = _grid.as_grid(q, name="q")
    if len(axes) != 1:
        raise ValueError(f"q must be one 1D grid; got {len(axes)} axes.")
    (x,) = axes
    f = momentum_field(psi, x, hbar=hbar)
    rho, s1, w1 = np.abs(psi) ** 2, f.phase_gradient[0], f.osmotic[0]
    p2psi = _schrodinger.momentum(_schrodinger.momentum(psi, x, hbar=hbar), x, hbar=hbar)
    dx = x[1] - x[0]
    return FourthMomentParts(
        float(np.sum(rho * (s1**4 + 6 * hbar**2 * s1**2 * w1**2)) * dx),
        float(np.sum(rho * w1**4) * dx),
        float(np.sum(np.abs(p2psi) ** 2) * dx),
    )


def fisher_information(psi, grid, *, derivative: str = "spectral") -> np.ndarray:
    """Fisher information I_i = ∫ (∂_iρ)²/ρ dq of ρ = |ψ|², one value per degree of freedom.

    Evaluated as 4 Σ osmotic_i² ρ ΔV with the osmotic field of :func:`momentum_field`. For the
    epistemic ensemble σ_{p_i}² = ∫(∂_iS − ⟨p_i⟩)²ρ dq + ħ² I_i/4 ≥ ħ² I_i/4 ≥ ħ²/(4σ_{q_i}²)
    (the last step is the Cramér–Rao/Cauchy–Schwarz bound of Eq. (33)).

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
        Normalised wavefunction.
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid, length units.
    derivative : {"spectral", "central"}
        See :func:`momentum_field`.

    Returns
    -------
    ndarray, shape (d,)
        Units 1/length².

    Raises
    ------
    ValueError
        If ψ is not normalised, the grid is not uniform, shapes disagree or ``derivative`` is
        unknown.

    Source: Budiyono & Rohrlich (2017), Eqs. (33)–(36).
    """
    psi, axes = _normalised_state(psi, grid)
    field = momentum_field(psi, axes, derivative=derivative)
    weight = np.abs(psi) ** 2 * _grid.cell_volume(axes)
    return np.array([4.0 * np.sum(u**2 * weight) for u in field.osmotic])


def restricted_density(
    osmotic: Callable,
    q,
    *,
    q0=None,
    rtol: float = 1e-11,
    atol: float = 1e-12,
) -> np.ndarray:
    """The density ρ(q) that the epistemic restriction allows for a given momentum field.

    For p(q; ξ) = p̄(q) + ξ·osmotic(q), Eq. (17) forces ∂ρ/(2ρ) = osmotic(q): this solves
    d ln ρ/dq = 2·osmotic(q) with ``scipy.integrate.solve_ivp`` (DOP853) from ``q0`` outward in
    both directions, then normalises ρ on q with Simpson's rule. Examples of the paper's Methods:
    osmotic = −q/(2σ²) gives a Gaussian of variance σ², osmotic = −π tan(πq) on (−½, ½) gives
    the box ground state 2cos²(πq), osmotic = 0 gives a uniform ρ.

    Parameters
    ----------
    osmotic : callable
        osmotic(q) for a float q (units 1/length), finite on [q[0], q[-1]].
    q : array_like, shape (n,)
        Strictly increasing positions, n ≥ 3 (length units).
    q0 : float, optional
        Starting point in [q[0], q[-1]]; default the middle, (q[0] + q[-1])/2.
    rtol, atol : float
        Tolerances of the ODE solver, > 0.

    Returns
    -------
    ndarray, shape (n,)
        ρ at q (units 1/length) with Simpson integral 1 over [q[0], q[-1]].

    Raises
    ------
    TypeError
        If ``osmotic`` is not callable.
    ValueError
        If q is not 1D, strictly increasing and finite with ≥ 3 points, q0 lies outside q,
        a tolerance is not positive, or the integration fails (osmotic singular or not finite
        on [q[0], q[-1]]).

    Source: Budiyono & Rohrlich (2017), Methods, "Statistical interpretation of the epistemic
    restriction".
    """
    if not callable(osmotic):
        raise TypeError(
            f"osmotic must be a callable of q, e.g. lambda q: -q / 2; got {type(osmotic).__name__}."
        )
    x = np.asarray(q, dtype=float)
    if x.ndim != 1 or x.size < 3 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError(
            "q must be a 1D, finite, strictly increasing array with at least 3 points; got "
            f"shape {x.shape}."
        )
    start = 0.5 * (x[0] + x[-1]) if q0 is None else float(q0)
    if not x[0] <= start <= x[-1]:
        raise ValueError(f"q0 = {start} lies outside [q[0], q[-1]] = [{x[0]}, {x[-1]}].")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol and atol must be > 0; got rtol={rtol}, atol={atol}.")

    def rhs(t, y):
        return [2.0 * osmotic(t)]

    log_rho = np.zeros_like(x)
    for outward, end in (
        (np.flatnonzero(x > start), x[-1]),
        (np.flatnonzero(x < start)[::-1], x[0]),
    ):
        if outward.size == 0:
            continue
        sol = solve_ivp(
            rhs, (start, end), [0.0], method="DOP853", t_eval=x[outward], rtol=rtol, atol=atol
        )
        if not sol.success:
            raise ValueError(
                f"integrating 2·osmotic from q0 = {start} to {end} failed ({sol.message}): "
                "osmotic must be finite on [q[0], q[-1]]; leave singular points (e.g. hard "
                "walls) out of q."
            )
        log_rho[outward] = sol.y[0]
    rho = np.exp(log_rho - log_rho.max())
    return rho / simpson(rho, x=x)


# ---------------------------------------------------------------------------------------------
# Uncertainty relation (T0.7) and Wallstrom's objection (T0.11)


class UncertaintyMoments(NamedTuple):
    """Second moments of the epistemic ensemble of a 1D state (ξ-average taken exactly)."""

    #: Position spread σ_q (length).
    sigma_q: float
    #: Momentum spread σ_p of the ensemble (ħ/length).
    sigma_p: float
    #: Symmetrised covariance ⟨qp⟩ − ⟨q⟩⟨p⟩ of the ensemble (ħ).
    cov_qp: float
    #: Fisher information I = ∫(∂ρ)²/ρ dq (1/length²).
    fisher: float


def uncertainty_moments(
    psi, grid, *, hbar: float = 1.0, derivative: str = "spectral"
) -> UncertaintyMoments:
    """σ_q, σ_p, cov(q, p) and the Fisher information of the ξ-ensemble of a 1D state.

    The ξ-averages are taken exactly: every quantity is at most quadratic in ξ, so the average
    over ξ = ±ħ (two evaluations) equals the average over any μ with E[ξ] = 0, E[ξ²] = ħ²
    (Theorem 2). By Theorem 2 the results are also the quantum σ_q, σ_p and ½⟨{q̂, p̂}⟩ − ⟨q̂⟩⟨p̂⟩.

    Parameters
    ----------
    psi : array_like, complex, shape (n,)
        Normalised wavefunction.
    grid : ndarray, shape (n,)
        Uniform grid, length units.
    hbar : float
        Reduced Planck constant ħ > 0.
    derivative : {"spectral", "central"}
        See :func:`momentum_field` (``"central"`` for states with hard walls).

    Returns
    -------
    UncertaintyMoments
        (sigma_q, sigma_p, cov_qp, fisher). Kennard: σ_qσ_p ≥ ħ/2; Schrödinger–Robertson:
        σ_q²σ_p² − cov_qp² ≥ ħ²/4, an equality for every Gaussian with a quadratic phase.

    Raises
    ------
    ValueError
        If the grid is not one-dimensional and uniform, ψ is not normalised, ``hbar <= 0`` or
        ``derivative`` is unknown.

    Source: Budiyono & Rohrlich (2017), Eq. (10) and Eqs. (33)–(36).

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore import epistemic, states
    >>> q = np.linspace(-12, 12, 512, endpoint=False)
    >>> m = epistemic.uncertainty_moments(states.gaussian_wavepacket(q, 0.0, 0.8), q)
    >>> round(m.sigma_q * m.sigma_p, 10)
    0.5
    """
    axes = _grid.as_grid(grid)
    if len(axes) != 1:
        raise ValueError(f"grid must be one-dimensional; got {len(axes)} axes.")
    psi, axes = _normalised_state(psi, axes)
    hbar = positive(hbar, "hbar")
    _check_derivative(derivative)
    xi = np.array([hbar, -hbar])

    def avg(observable):
        return float(_conditional(observable, psi, axes, xi, hbar, derivative).mean())

    rho_dq = np.abs(psi) ** 2 * _grid.cell_volume(axes)
    q = axes[0]
    mean_q = float(np.sum(q * rho_dq))
    var_q = float(np.sum((q - mean_q) ** 2 * rho_dq))
    mean_p = avg(lambda p, qq: p[0])
    var_p = avg(lambda p, qq: p[0] ** 2) - mean_p**2
    cov = avg(lambda p, qq: qq[0] * p[0]) - mean_q * mean_p
    fisher = float(fisher_information(psi, axes, derivative=derivative)[0])
    return UncertaintyMoments(float(np.sqrt(var_q)), float(np.sqrt(max(var_p, 0.0))), cov, fisher)


def _check_winding(nu) -> float:
    if isinstance(nu, bool) or not np.isscalar(nu) or not np.isfinite(float(nu)):
        raise ValueError(f"nu must be a finite real number (the winding ν); got {nu!r}.")
    return float(nu)


def winding_weights(nu, m, *, n_grid: int | None = None) -> np.ndarray:
    """Born weights |c_m|² of ψ = e^{iνφ}/√2π read as a single-valued function on the circle.

    Single-valued on [0, 2π) (with a jump at φ = 0 ≡ 2π for non-integer ν), ψ has Fourier
    coefficients c_m = e^{iπ(ν−m)} sinc(ν − m), so |c_m|² = sinc²(ν − m) = sin²(πν)/(π²(ν−m)²)
    (``np.sinc`` convention, sinc x = sin πx/πx). On an n-point periodic grid the discrete
    Fourier weights are the Dirichlet-kernel values sin²(πν)/(n² sin²(π(ν−m)/n)), evaluated
    here as a DFT so that integer ν gives exactly δ_{mν}.

    Parameters
    ----------
    nu : float
        Winding ν (the "angular momentum" of the non-single-valued state, in units of ħ).
    m : array_like of int
        Outcomes l_z/ħ. With ``n_grid`` they must lie in [−n/2, n/2).
    n_grid : int, optional
        Number of grid points of a periodic φ grid; None gives the continuum weights.

    Returns
    -------
    ndarray, shape of ``m``
        Probabilities; they sum to 1 over all m (over the n grid values with ``n_grid``).

    Raises
    ------
    ValueError
        If ``nu`` is not finite, ``m`` is not integer-valued, ``n_grid`` < 2, or an ``m`` lies
        outside the grid's range.

    Source: Wallstrom, Phys. Rev. A 49, 1613 (1994); paper 000, Methods ("Derivation of Born's
    rule", last paragraph).

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore import epistemic
    >>> bool(np.isclose(epistemic.winding_weights(0.5, np.array([0]))[0], 4 / np.pi**2))
    True
    """
    nu = _check_winding(nu)
    m_arr = np.asarray(m)
    if m_arr.size and not np.all(np.equal(np.mod(m_arr, 1), 0)):
        raise ValueError("m must hold integers (the outcomes l_z/ħ).")
    m_int = m_arr.astype(np.int64)
    if n_grid is None:
        return np.sinc(nu - m_int) ** 2
    n = count(n_grid, "n_grid", 2)
    if np.any(m_int < -(n // 2)) or np.any(m_int >= n - n // 2):
        raise ValueError(f"m must lie in [{-(n // 2)}, {n - n // 2}) for n_grid = {n}.")
    phi = 2 * np.pi * np.arange(n) / n
    weights = np.abs(np.fft.fft(np.exp(1j * nu * phi)) / n) ** 2
    return weights[np.mod(m_int, n)]


def winding_principal_value(nu) -> float:
    """Symmetric (principal-value) mean Σ_m m·sinc²(ν − m) = ν − sin(2πν)/2π of the outcomes.

    The series Σ|m| sinc²(ν − m) diverges logarithmically for non-integer ν (weights ∝ 1/m²),
    so the outcomes of measuring l_z on e^{iνφ} have no mean; the symmetric partial sums
    converge to this value (from Σ_m 1/(ν − m) = π cot πν). It is also the limit of ⟨l̂_z⟩/ħ
    computed with any consistent periodic derivative on a grid of spacing h → 0.

    Parameters
    ----------
    nu : float
        Winding ν.

    Returns
    -------
    float
        Dimensionless (units of ħ).

    Raises
    ------
    ValueError
        If ``nu`` is not finite.

    Examples
    --------
    >>> from qfcore import epistemic
    >>> round(epistemic.winding_principal_value(0.3), 6)
    0.148635
    """
    nu = _check_winding(nu)
    return float(nu - np.sin(2 * np.pi * nu) / (2 * np.pi))


def von_neumann_pointer(psi, phi, q_pointer, *, coupling: float, duration: float, hbar=1.0):
    """Pointer density after the von Neumann coupling H_I = g l_z p_Σ acts for a time T.

    H_I is diagonal in the joint momentum basis, so the evolution is exact:
    ψ̂(k_φ, k_Σ) → ψ̂ exp(−i g ħ k_φ k_Σ T) (a spectral translation of the pointer by g ħ k_φ T
    for each system component). Both axes are periodic windows of their grids: on a φ grid
    of length 2π the system's l_z has the integer spectrum of the circle; on a longer φ window
    (a piece of the circle's covering space) it has the spectrum of a particle on a line.

    Parameters
    ----------
    psi : array_like, complex, shape (n_phi, n_pointer)
        Initial state of system ⊗ pointer, normalised on the grid (φ, q_Σ).
    phi : ndarray, shape (n_phi,)
        Uniform angle grid (radians).
    q_pointer : ndarray, shape (n_pointer,)
        Uniform pointer grid (length).
    coupling : float
        g (1/(ħ·time) in units where ħ carries the action).
    duration : float
        T ≥ 0.
    hbar : float
        ħ > 0.

    Returns
    -------
    ndarray, shape (n_pointer,)
        Pointer density ∫|ψ(φ, q_Σ, T)|² dφ (1/length), normalised on ``q_pointer``.

    Raises
    ------
    ValueError
        For non-uniform grids, a shape mismatch, an unnormalised ψ, non-finite ``coupling``,
        negative ``duration`` or ``hbar <= 0``.

    Source: paper 000, Eqs. (46)–(58); J. von Neumann, *Mathematical Foundations of Quantum
    Mechanics* (1932), ch. VI.
    """
    axes = _grid.as_grid((phi, q_pointer))
    psi, axes = _normalised_state(psi, axes)
    hbar = positive(hbar, "hbar")
    if not np.isfinite(coupling):
        raise ValueError(f"coupling must be finite; got {coupling!r}.")
    if not (np.isfinite(duration) and duration >= 0):
        raise ValueError(f"duration must be finite and >= 0; got {duration!r}.")
    dphi, dq = (a[1] - a[0] for a in axes)
    k_phi = 2 * np.pi * np.fft.fftfreq(axes[0].size, dphi)
    k_q = 2 * np.pi * np.fft.fftfreq(axes[1].size, dq)
    phase = np.exp(-1j * coupling * hbar * duration * np.outer(k_phi, k_q))
    out = np.fft.ifft2(np.fft.fft2(psi) * phase)
    return np.sum(np.abs(out) ** 2, axis=0) * dphi
