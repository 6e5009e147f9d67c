"""Newtonian gravity of bodies on a line: which pair kernel, and what its K → ∞ limit is.

Paper 004 (Derakhshani, Sections 4–5) gives K large-N centres of mass on a line the Newtonian
pair potential −G MᵢMₗ/|xᵢ − xₗ| (Eqs. 100, 102, 107, 109, 111) and calls the K → ∞ limit of
the system the Vlasov–Poisson equations with Φ″ = 4πGρ (Eqs. 112–115). The two do not fit:

- 1/|x| is the right pair potential for three-dimensional point masses constrained to a line
  (it is harmonic in three dimensions, ∇²(1/r) = 0 for r > 0), but it is not the Green's
  function of the one-dimensional Poisson equation (114), which is 2πG|x| because
  d²|x|/dx² = 2δ(x); d²(1/|x|)/dx² = 2/|x|³ away from 0 (:func:`kernel_laplacians`).
- The operator of Eq. (114), d²/dx², is the Laplacian of D = 1 dimensions: of the D-dimensional
  Green's functions (|x|, ln|x|, 1/|x| for D = 1, 2, 3) only D = 1's is annihilated by it away
  from the source (:func:`poisson_dimension`), so Eqs. (112)–(115) are the one-dimensional
  Vlasov–Poisson system, not a "2-dimensional" one.
- The mean field ∫ρ(x′)/|x − x′| dx′ of a continuous line density diverges logarithmically at
  x′ = x (:func:`inverse_distance_mean_field`), so the K → ∞ limit of the 1/|x| system is not
  a Vlasov equation with a finite mean field.

The slips in between are checked symbolically: Eqs. (102)/(109) give half the pair force
(:func:`pair_force_ratio`), Eq. (111)'s force has the sign of a repulsion
(:func:`eq111_force`), Eq. (110) streams with p instead of p/M (:func:`transport_coefficient`),
and Eq. (113) integrates a one-argument field of Eq. (114) over x′ (:func:`eq113_potential`).

Units: G = 1 unless given; M the mass of one body.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.integrate
import sympy as sp

from qfcore._checks import count, positive

__all__ = [
    "Eq111Force",
    "Eq113Potential",
    "KernelLaplacians",
    "eq111_force",
    "eq113_potential",
    "inverse_distance_mean_field",
    "kernel_laplacians",
    "pair_force_ratio",
    "poisson_dimension",
    "transport_coefficient",
]

_X = sp.Symbol("x", real=True)
_R = sp.Symbol("r", positive=True)


class KernelLaplacians(NamedTuple):
    """Result of :func:`kernel_laplacians` (sympy expressions)."""

    abs_x_1d: sp.Expr  # d²|x|/dx², = 2 δ(x)
    inverse_distance_1d: sp.Expr  # d²(1/|x|)/dx² at x = r > 0, = 2/r³
    inverse_distance_3d: sp.Expr  # radial ∇²(1/r) in three dimensions for r > 0, = 0


def kernel_laplacians() -> KernelLaplacians:
    """Second derivatives of the two candidate kernels, in one and in three dimensions.

    Returns
    -------
    KernelLaplacians
        ``abs_x_1d`` = d²|x|/dx² (2 DiracDelta(x): |x|/2 is the 1D Green's function);
        ``inverse_distance_1d`` = d²(1/|x|)/dx² at x = r > 0 (2/r³, no delta: not a 1D Green's
        function); ``inverse_distance_3d`` = r⁻²∂ᵣ(r²∂ᵣ(1/r)) (0: 1/r is harmonic in 3D, the
        correct pair potential of 3D bodies, also when they are constrained to a line).

    Notes
    -----
    Source: paper 004, Eqs. (100) and (114); the 1D Green's function of d²/dx² is standard
    (e.g. G. B. Arfken, H. J. Weber, *Mathematical Methods for Physicists*, §10.5).

    Examples
    --------
    >>> kernel_laplacians().inverse_distance_3d
    0
    """
    return KernelLaplacians(
        sp.diff(sp.Abs(_X), _X, 2),
        sp.simplify(sp.diff(1 / _R, _R, 2)),
        sp.simplify(sp.diff(_R**2 * sp.diff(1 / _R, _R), _R) / _R**2),
    )


def poisson_dimension() -> list[int]:
    """The space dimensions D whose Green's function the operator d²/dx² of Eq. (114) fits.

    The fundamental solution of the D-dimensional Laplacian is |x| (D = 1), ln|x| (D = 2) and
    1/|x| (D = 3), each harmonic away from the source in its own dimension. Eq. (114) writes the
    Laplacian as d²/dx²; the D for which d²g_D/dx² vanishes for x > 0 is the dimension of the
    space in which Eq. (114) is Poisson's equation.

    Returns
    -------
    list of int
        The matching dimensions ([1]).

    Examples
    --------
    >>> poisson_dimension()
    [1]
    """
    greens = {1: _R, 2: sp.log(_R), 3: 1 / _R}
    return [d for d, g in greens.items() if sp.simplify(sp.diff(g, _R, 2)) == 0]


def pair_force_ratio(n_bodies: int = 3) -> sp.Expr:
    """Force on body 1 from Eq. (102) divided by Newton's force, −∂(Σₗ Uˡ)/∂x₁, in sympy.

    Eq. (100) gives body l the energy Uˡ = −(Mₗ/2) Σ_{j≠l} M_j/|xₗ − x_j| (the ½ so that the
    total energy Σₗ Uˡ counts each pair once); Eq. (102) takes the force on body i as −∂Uⁱ/∂xᵢ.
    Body i's coordinate also enters every Uˡ with l ≠ i, so the true force is −∂(Σₗ Uˡ)/∂xᵢ.

    Parameters
    ----------
    n_bodies : int
        K ≥ 2.

    Returns
    -------
    sympy.Expr
        The ratio (1/2 for every K and all masses and positions).

    Raises
    ------
    ValueError
        If ``n_bodies`` < 2.

    Examples
    --------
    >>> pair_force_ratio(2)
    1/2
    """
    k = count(n_bodies, "n_bodies", 2, " (a pair force needs two bodies)")
    x = sp.symbols(f"x1:{k + 1}", real=True)
    m = sp.symbols(f"M1:{k + 1}", positive=True)
    energies = [
        -m[i] / 2 * sum(m[j] / sp.Abs(x[i] - x[j]) for j in range(k) if j != i) for i in range(k)
    ]
    return sp.simplify(sp.diff(energies[0], x[0]) / sp.diff(sum(energies), x[0]))


class Eq111Force(NamedTuple):
    """Result of :func:`eq111_force`: forces on a test mass at x = d > 0 from a source at 0."""

    printed: sp.Expr  # −∂ₓ(M²/|x|): Eq. (111) as printed
    newton: sp.Expr  # −∂ₓ(−M²/|x|): the attraction of Eq. (109)


def eq111_force() -> Eq111Force:
    """Force of Eq. (111) on a body at x = d > 0 from a point mass M at the origin, in sympy.

    Eq. (111) writes F = −∂ₓ∫ M²/|x − x′| f dx′dp, i.e. a potential +M²/|x| for a point source,
    whose force points away from the source; the Newtonian potential of Eq. (109) is −M²/|x|.

    Returns
    -------
    Eq111Force
        ``printed`` = M²/d² (> 0 at d > 0: repulsive), ``newton`` = −M²/d² (attractive).

    Examples
    --------
    >>> f = eq111_force()
    >>> bool(f.printed + f.newton == 0)
    True
    """
    d, mass = sp.symbols("d M", positive=True)
    return Eq111Force(
        sp.simplify(-sp.diff(mass**2 / sp.Abs(d), d)), sp.simplify(sp.diff(mass**2 / sp.Abs(d), d))
    )


def transport_coefficient() -> sp.Expr:
    """Coefficient of ∂f/∂x in the Liouville equation of H = p²/2M + V(x), in sympy.

    ∂ₜf + {f, H} = 0 with {f, H} = (∂H/∂p)∂ₓf − V′(x)∂ₚf: the streaming term is (p/M)∂ₓf, as
    Eq. (108) (p = M dx/dt) requires; Eq. (110) prints p ∂ₓf.

    Returns
    -------
    sympy.Expr
        p/M.

    Examples
    --------
    >>> transport_coefficient()
    p/M
    """
    x, p = sp.symbols("x p", real=True)
    mass = sp.Symbol("M", positive=True)
    f, v = sp.Function("f")(x, p), sp.Function("V")(x)
    h = p**2 / (2 * mass) + v
    bracket = sp.diff(f, x) * sp.diff(h, p) - sp.diff(f, p) * sp.diff(h, x)
    return sp.simplify(sp.expand(bracket).coeff(sp.Derivative(f, x)))


class Eq113Potential(NamedTuple):
    """Result of :func:`eq113_potential` (sympy expressions)."""

    printed: sp.Expr  # ∂²ₓ of Eq. (113)'s potential term / (4πM²ρ(x)), Φ from Eq. (114)
    corrected: sp.Expr  # the same for H = p²/2M + MΦ(x): 1
    half_width: sp.Symbol  # L, the half-width of the x′ range


def eq113_potential() -> Eq113Potential:
    """Eq. (113)'s potential term ∫M Φ(x, x′) dx′ against the field Φ of Eq. (114), in sympy.

    Eq. (114) fixes Φ through ∂²ₓΦ = 4πMρ(x), whose right side does not depend on x′. Reading
    Φ(x, x′) of Eq. (113) as that field and integrating it over x′ ∈ [−L, L] gives
    ∂²ₓ∫M Φ dx′ = 2L·4πM²ρ(x): the mean-field force would grow with the range of x′ (and
    diverge on ℝ). The consistent Hamiltonian is H = p²/2M + MΦ(x), ∂²ₓ(MΦ) = 4πM²ρ.

    Returns
    -------
    Eq113Potential
        ``printed`` = 2L, ``corrected`` = 1 (both in units of 4πM²ρ(x)), and the symbol L.

    Examples
    --------
    >>> e = eq113_potential()
    >>> e.printed.subs(e.half_width, 5)
    10
    """
    x, x_prime = sp.symbols("x x'", real=True)
    mass, half = sp.symbols("M L", positive=True)
    rho, phi = sp.Function("rho"), sp.Function("Phi")
    poisson = {sp.Derivative(phi(x), (x, 2)): 4 * sp.pi * mass * rho(x)}
    printed = sp.diff(sp.integrate(mass * phi(x), (x_prime, -half, half)), x, 2).subs(poisson)
    corrected = sp.diff(mass * phi(x), x, 2).subs(poisson)
    unit = 4 * sp.pi * mass**2 * rho(x)
    return Eq113Potential(sp.simplify(printed / unit), sp.simplify(corrected / unit), half)


def inverse_distance_mean_field(rho, x: float, cutoffs, *, reach: float) -> np.ndarray:
    """The 1/|x| mean field of a line density, ∫_{ε<|x′−x|<reach} ρ(x′)/|x − x′| dx′, vs ε.

    For a density continuous at x it grows like 2ρ(x) ln(1/ε) as ε → 0: the mean field of
    Eq. (111) does not exist for a continuous density.

    Parameters
    ----------
    rho : callable
        Vectorised density ρ(x′) (mass per length), negligible beyond ``reach`` from x.
    x : float
        Field point.
    cutoffs : array_like, shape (k,)
        Cut-off distances ε, 0 < ε < reach.
    reach : float
        Outer integration distance > 0.

    Returns
    -------
    ndarray, shape (k,)
        The cut-off mean field for each ε (QUADPACK, relative error ≲ 1e-10).

    Raises
    ------
    TypeError
        If ``rho`` is not callable.
    ValueError
        If a cut-off is not in (0, reach) or ``reach`` is not > 0.

    Examples
    --------
    A uniform density 1/2 on [−1, 1] gives ln(1/ε) at x = 0:

    >>> import math
    >>> v = inverse_distance_mean_field(lambda u: 0.5 + 0 * u, 0.0, [1e-3], reach=1.0)
    >>> round(float(v[0]) - math.log(1e3), 10)
    0.0
    """
    if not callable(rho):
        raise TypeError(f"rho must be a callable density; got {type(rho).__name__}.")
    reach = positive(reach, "reach")
    eps = np.asarray(cutoffs, dtype=float).ravel()
    if not np.all((eps > 0) & (eps < reach)):
        raise ValueError(f"cutoffs must lie in (0, reach = {reach}); got {eps}.")

    def side(e: float, sign: float) -> float:
        return scipy.integrate.quad(
            lambda u: rho(x + sign * u) / u, e, reach, limit=200, epsabs=0, epsrel=1e-11
        )[0]

    return np.array([side(e, 1.0) + side(e, -1.0) for e in eps])
