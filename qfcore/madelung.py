"""Symbolic derivations on the Madelung variables ψ = √ρ e^{iS/ħ} (sympy).

Every function returns sympy expressions; a *residual* is an expression that must simplify to 0
for the stated identity or derivation to hold, so a notebook or a test can show the algebra and
check it in one line (``sympy.simplify(residual) == 0``).

Covered:

- the Madelung recasting of the Schrödinger equation with scalar and vector potential into the
  continuity equation and the quantum Hamilton–Jacobi equation, and back
  (E. Madelung, Z. Phys. 40, 322 (1927); D. Bohm, Phys. Rev. 85, 166 (1952));
- the epistemic restriction p_i = ∂_iS + (ξ/2)∂_iρ/ρ of A. Budiyono and D. Rohrlich,
  Nat. Commun. 8, 1306 (2017) (paper 000), Eqs. (6)–(7), and averages over ξ;
- the energy-conservation derivations of its Theorems 1 and 3 (Methods, Eqs. (12)–(16) and
  (38)–(45)) for any Hamiltonian at most quadratic in p, including the von Neumann measurement
  coupling of Eqs. (46)–(57);
- its Theorem 2 (Eqs. (20)–(32)): ensemble averages of quadratic observables are quantum
  expectation values with the metric sandwiched between the momenta, the identity Eq. (24), and
  the failure of the same statement at fourth order in p;
- the centre-of-mass coordinates of X. Oriols et al. used by M. Derakhshani (2022, paper 004),
  Eqs. (12)–(13), which split the N-particle Laplacian without cross terms and give the
  Schrödinger equation (36) with M = Nm.

Conventions: coordinates q1…qd and time t are real symbols, m and ħ (``hbar``) positive symbols,
ρ(q, t) > 0 and S(q, t) real functions, V(q) and A_i(q) real functions. Units are carried
symbolically (no ħ = m = 1): every result holds for any positive m and ħ.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import sympy as sp
from sympy.calculus.euler import euler_equations

from qfcore._checks import count

__all__ = [
    "CentreOfMassVelocities",
    "DiscreteMadelung",
    "EnergyBalance",
    "EpistemicMomenta",
    "FourthMomentComparison",
    "KineticTermDimensions",
    "MadelungFields",
    "MeasurementDerivation",
    "MeasurementHamiltonian",
    "OriolsTransformation",
    "Theorem2Derivation",
    "WallstromLocalSolution",
    "centre_of_mass_velocities",
    "classical_hamiltonian",
    "continuity_equation",
    "copy_rule_mean_flow",
    "discrete_madelung",
    "energy_conservation",
    "ensemble_energy_density",
    "epistemic_momenta",
    "fourth_moment_comparison",
    "fourth_moment_dependence",
    "hamilton_jacobi_equation",
    "identity_eq24",
    "kinetic_term_dimensions",
    "madelung_equations",
    "madelung_fields",
    "measurement_derivation",
    "measurement_hamiltonian",
    "oriols_general_n",
    "oriols_transformation",
    "quantum_potential",
    "schrodinger_residual",
    "theorem2_derivation",
    "theorem2_residual",
    "wallstrom_local_solution",
    "xi_average",
]

#: The Planck constant symbol shared by every function of this module (and the default
#: variance ⟨ξ²⟩ = ħ² of :func:`xi_average`).
HBAR = sp.Symbol("hbar", positive=True)
#: Names that coordinates may not take: they are the time, the mass, ħ and the ξ's.
_RESERVED = ("t", "m", "hbar", "xi")
#: The fourth moment ⟨ξ⁴⟩, which Eq. (7) leaves free.
_MU4 = sp.Symbol("mu4", positive=True)
#: Coordinate names of the measurement model, Eq. (46): system (x_S, y_S) and pointer q_Σ.
_MEASUREMENT_COORDINATES = ("x_S", "y_S", "q_Sigma")


# ---------------------------------------------------------------------------------------------
# bundles


@dataclass(frozen=True)
class MadelungFields:
    """Symbols and fields of a d-dimensional Madelung problem (see :func:`madelung_fields`)."""

    t: sp.Symbol
    q: tuple
    m: sp.Symbol
    hbar: sp.Symbol
    rho: sp.Expr
    S: sp.Expr
    V: sp.Expr
    A: tuple
    psi: sp.Expr

    @property
    def vector_potential(self) -> tuple:
        """A_i, or zeros when the problem has no vector potential."""
        return self.A if self.A else (sp.S.Zero,) * len(self.q)


class EpistemicMomenta(NamedTuple):
    """Momenta p_i of Eq. (6) and the ξ symbol(s) they contain."""

    #: p_i = ∂_iS + (ξ_(i)/2) ∂_iρ/ρ, one per coordinate.
    momenta: tuple
    #: (ξ,) when nonseparable, (ξ1, …, ξd) when separable.
    xi: tuple


@dataclass(frozen=True)
class EnergyBalance:
    """The split d/dt ∫e dq = ∫[∂_tρ · B + ∇·F] dq of an energy-conservation derivation."""

    #: ξ-averaged velocity field v_i = ⟨∂H/∂p_i⟩_ξ (tuple of expressions).
    velocity: tuple
    #: Continuity equation ∂_tρ + ∇·(ρv) (vanishes).
    continuity: sp.Expr
    #: Energy density e = ρ⟨H⟩_ξ (or ρH(∇S, q) without the restriction).
    energy_density: sp.Expr
    #: Integrand ∂_t e of d⟨H⟩/dt.
    integrand: sp.Expr
    #: Flux F_i whose divergence integrates to zero.
    flux: tuple
    #: B = ∂_tS + δE/δρ: conservation of ⟨H⟩ for every ∂_tρ forces B = 0 (the dynamical law).
    equation: sp.Expr
    #: integrand − ∂_tρ·B − ∇·F + ∂_tS·(continuity): vanishes identically (the proof).
    residual: sp.Expr


class MeasurementHamiltonian(NamedTuple):
    """The von Neumann coupling H_I = g (x_S p_y − y_S p_x) p_Σ of Eq. (46)."""

    hamiltonian: sp.Expr
    #: (x_S, y_S, q_Σ), the coordinates of ``fields``.
    coordinates: tuple
    #: (p_x, p_y, p_Σ).
    momenta: tuple
    #: The coupling constant g (real symbol).
    g: sp.Symbol

    @property
    def fields(self) -> MadelungFields:
        """The Madelung fields on (x_S, y_S, q_Σ), for :func:`energy_conservation`."""
        return madelung_fields(3, coordinates=_MEASUREMENT_COORDINATES)


@dataclass(frozen=True)
class MeasurementDerivation:
    """Theorem 3 for the von Neumann coupling H_I = g (x p_y − y p_x) p_Σ (Eqs. (46)–(57))."""

    coordinates: tuple
    hamiltonian: sp.Expr
    #: B for a shared ξ, as derived by :func:`energy_conservation`.
    nonseparable: sp.Expr
    #: B for independent ξ's per degree of freedom, as derived.
    separable: sp.Expr
    #: Eq. (53) written out: ∂_tS + g(x∂_yS − y∂_xS)∂_ΣS − għ²(x∂_y∂_ΣR − y∂_x∂_ΣR)/R, R = √ρ.
    eq53: sp.Expr
    #: Eq. (57) written out: ∂_tS + g(x∂_yS − y∂_xS)∂_ΣS.
    eq57: sp.Expr
    #: (iħ∂_tψ − g l̂_z p̂_Σ ψ)/ψ + B − (iħ/2ρ)(continuity), B and continuity for a shared ξ.
    recast_residual: sp.Expr
    nonseparable_matches_eq53: bool
    separable_matches_eq57: bool
    #: Eq. (53) + continuity are the Madelung form of iħ∂_tψ = g l̂_z p̂_Σ ψ (Eqs. (54)–(55)).
    schrodinger_recast: bool


@dataclass(frozen=True)
class Theorem2Derivation:
    """Theorem 2 of paper 000 for O = ½ g_ij (p_i − A_i)(p_j − A_j) + V (Eqs. (20)–(32))."""

    q: tuple
    #: Amplitude R(q) = √ρ > 0 and phase S(q).
    R: sp.Expr
    S: sp.Expr
    #: Symmetric metric g_ij(q) (sympy Matrix of Functions).
    g: sp.Matrix
    A: tuple
    V: sp.Expr
    psi: sp.Expr
    #: ψ*Ôψ with Ô = ½(p̂ − A)_i g_ij (p̂ − A)_j + V (Eqs. (28)–(29)); complex.
    quantum: sp.Expr
    #: ρ⟨O⟩_ξ with p from Eq. (6) and ⟨ξ⟩ = 0, ⟨ξ²⟩ = ħ² (Eqs. (22)–(23)).
    ensemble: sp.Expr
    #: F_i = −(iħ/2) ψ* Σ_j g_ij (p̂_j − A_j)ψ, so that ψ*Ôψ = ρ⟨O⟩_ξ + ∇·F; complex.
    flux: tuple
    #: Re ψ*Ôψ − ρ⟨O⟩_ξ − ∇·Re F: vanishes (Theorem 2, Eq. (8)).
    real_residual: sp.Expr
    #: Im ψ*Ôψ − ∇·Im F: vanishes, so Im⟨ψ|Ô|ψ⟩ = 0 (Eq. (32)).
    imaginary_residual: sp.Expr


@dataclass(frozen=True)
class FourthMomentComparison:
    """ρ⟨p⁴⟩_ξ against Re ψ* p̂⁴ ψ in one dimension (see :func:`fourth_moment_comparison`)."""

    fields: MadelungFields
    #: The fourth moment ⟨ξ⁴⟩, a free positive symbol ``mu4``.
    mu4: sp.Symbol
    #: ρ⟨p⁴⟩_ξ with ⟨ξ⟩ = ⟨ξ³⟩ = 0, ⟨ξ²⟩ = ħ², ⟨ξ⁴⟩ = μ4.
    ensemble: sp.Expr
    #: Re ψ* p̂⁴ ψ = ħ⁴ Re ψ* ∂⁴ψ.
    quantum: sp.Expr
    #: quantum − ensemble.
    difference: sp.Expr
    #: Euler–Lagrange expressions of ``difference`` with respect to ρ and S: both vanish
    #: identically iff ``difference`` is a total derivative, i.e. iff the two averages agree for
    #: every state; they do not, for any μ4.
    euler_rho: sp.Expr
    euler_S: sp.Expr


# ---------------------------------------------------------------------------------------------
# validation and small helpers


def _check_names(coordinates, dim: int) -> tuple:
    if coordinates is None:
        return tuple(f"q{i + 1}" for i in range(dim))
    names = tuple(coordinates)
    if not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise TypeError(f"coordinates must be identifier strings such as 'x'; got {coordinates!r}.")
    if len(names) != dim or len(set(names)) != dim:
        raise ValueError(f"coordinates must be {dim} distinct names (one per dim); got {names!r}.")
    clash = [n for n in names if n in _RESERVED or n.startswith("xi")]
    if clash:
        raise ValueError(
            f"coordinates {clash} clash with the names t, m, hbar, xi…; choose other names."
        )
    return names


def _check_fields(fields) -> MadelungFields:
    if not isinstance(fields, MadelungFields):
        raise TypeError(f"fields must come from madelung_fields(dim); got {type(fields).__name__}.")
    return fields


def _check_hamiltonian(hamiltonian, fields: MadelungFields, momenta_symbols) -> tuple:
    """Validate H(p, q) and its momentum symbols; return the momenta as a tuple."""
    ps = tuple(momenta_symbols)
    if len(ps) != len(fields.q):
        raise ValueError(
            f"momenta_symbols needs one symbol per coordinate ({len(fields.q)}); got {len(ps)}."
        )
    if not all(isinstance(p, sp.Symbol) for p in ps) or len(set(ps)) != len(ps):
        raise TypeError(f"momenta_symbols must be distinct sympy Symbols; got {ps!r}.")
    if set(ps) & {*fields.q, fields.t, fields.m, fields.hbar}:
        raise ValueError("momenta_symbols must differ from the coordinates, t, m and hbar.")
    h = sp.sympify(hamiltonian)
    if h.has(fields.t) or h.has(fields.rho) or h.has(fields.S):
        raise ValueError(
            "hamiltonian must be a time-independent H(p, q) free of rho and S (energy is "
            "conserved only for time-independent H, Theorems 1 and 3)."
        )
    try:
        degree = sp.Poly(sp.expand(h), *ps).total_degree()
    except sp.PolynomialError:
        raise ValueError(
            "hamiltonian must be a polynomial of degree <= 2 in momenta_symbols (Theorems 1-3 "
            f"of paper 000 are stated only up to second order); got {h}."
        ) from None
    if degree > 2:
        raise ValueError(
            "hamiltonian must be at most quadratic in the momenta (Theorems 1-3 of paper 000 are "
            f"stated only up to second order); its degree is {degree}."
        )
    return ps


def _div(flux, q) -> sp.Expr:
    """Σ_i ∂_i F_i."""
    return sp.Add(*(sp.diff(f, qi) for f, qi in zip(flux, q, strict=True)))


def _real_imag(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Real and imaginary parts of an expression that, expanded, is linear in I with real
    building blocks (real symbols and real Functions, the e^{±iS/ħ} factors cancelled)."""
    e = sp.expand(expr)
    imag = e.coeff(sp.I)
    return sp.expand(e - sp.I * imag), imag


def _minus_i_hbar_d(field: sp.Expr, coordinate) -> sp.Expr:
    """p̂ f = −iħ ∂f."""
    return -sp.I * HBAR * sp.diff(field, coordinate)


def _schrodinger_ratio(f: MadelungFields, apply_h: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """(iħ∂_tψ − Ĥψ)/ψ for the Madelung ψ of ``f``."""
    return (sp.I * f.hbar * sp.diff(f.psi, f.t) - apply_h(f.psi)) / f.psi


def _recast_residual(
    f: MadelungFields, apply_h: Callable[[sp.Expr], sp.Expr], hj: sp.Expr, continuity: sp.Expr
) -> sp.Expr:
    """(iħ∂_tψ − Ĥψ)/ψ + (HJ) − (iħ/2ρ)(continuity): zero iff the pair is the Madelung form."""
    return _schrodinger_ratio(f, apply_h) + hj - sp.I * f.hbar / (2 * f.rho) * continuity


def _standard_h_on(f: MadelungFields) -> Callable[[sp.Expr], sp.Expr]:
    """ψ ↦ Σ(−iħ∂_i − A_i)²ψ/2m + Vψ (paper 000, Eq. (45))."""

    def apply_h(psi: sp.Expr) -> sp.Expr:
        out = f.V * psi
        for qi, ai in zip(f.q, f.vector_potential, strict=True):
            inner = _minus_i_hbar_d(psi, qi) - ai * psi
            out += (_minus_i_hbar_d(inner, qi) - ai * inner) / (2 * f.m)
        return out

    return apply_h


# ---------------------------------------------------------------------------------------------
# Madelung recasting


def madelung_fields(
    dim: int, *, vector_potential: bool = False, coordinates=None
) -> MadelungFields:
    """Symbols and fields of a Madelung problem in ``dim`` dimensions.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.
    vector_potential : bool
        Include real functions A_1(q)…A_d(q); otherwise ``A`` is ``()`` and
        :attr:`MadelungFields.vector_potential` gives zeros.
    coordinates : sequence of str, optional
        Names of the d coordinates (default ``q1``…``qd``); identifiers other than t, m, hbar
        and xi….

    Returns
    -------
    MadelungFields
        t (real), q (tuple of real symbols), m and hbar (positive symbols), rho = ρ(q, t)
        (positive Function), S = S(q, t) and V = V(q) (real Functions), A (tuple of real
        Functions A_i(q), or ()), psi = √ρ e^{iS/ħ}. Equal arguments give the same object.

    Raises
    ------
    TypeError
        If ``dim`` is not an integer, ``vector_potential`` not a bool, or a coordinate name not
        an identifier string.
    ValueError
        If ``dim`` < 1, or the coordinate names are not ``dim`` distinct, unreserved names.

    Notes
    -----
    Source: ψ = √ρ e^{iS/ħ}, paper 000 Eqs. (9), (19); Madelung (1927).
    """
    d = count(dim, "dim", 1)
    if not isinstance(vector_potential, bool):
        raise TypeError(f"vector_potential must be True or False; got {vector_potential!r}.")
    return _fields(d, vector_potential, _check_names(coordinates, d))


@cache
def _fields(dim: int, vector_potential: bool, names: tuple) -> MadelungFields:
    t = sp.Symbol("t", real=True)
    q = tuple(sp.Symbol(n, real=True) for n in names)
    m = sp.Symbol("m", positive=True)
    rho = sp.Function("rho", positive=True)(*q, t)
    s_field = sp.Function("S", real=True)(*q, t)
    v = sp.Function("V", real=True)(*q)
    components = range(dim) if vector_potential else ()
    a = tuple(sp.Function(f"A{i + 1}", real=True)(*q) for i in components)
    psi = sp.sqrt(rho) * sp.exp(sp.I * s_field / HBAR)
    return MadelungFields(t, q, m, HBAR, rho, s_field, v, a, psi)


def quantum_potential(dim: int) -> sp.Expr:
    """Bohm's quantum potential Q = −(ħ²/2m) ∇²√ρ / √ρ.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.

    Returns
    -------
    sympy.Expr
        Q in terms of ρ(q, t) of :func:`madelung_fields` (``dim``); units of energy.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields` for a bad ``dim``.

    Notes
    -----
    Source: D. Bohm, Phys. Rev. 85, 166 (1952); paper 000, the ħ² term of Eq. (44).
    """
    f = madelung_fields(dim)
    r = sp.sqrt(f.rho)
    return -(f.hbar**2) / (2 * f.m) * sp.Add(*(sp.diff(r, qi, 2) for qi in f.q)) / r


def continuity_equation(dim: int, *, vector_potential: bool = False) -> sp.Expr:
    """The continuity equation ∂_tρ + Σ_i ∂_i(ρ(∂_iS − A_i)/m), which vanishes.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.
    vector_potential : bool
        Include A_i(q).

    Returns
    -------
    sympy.Expr
        The left-hand side (units of ρ per time), in the fields of :func:`madelung_fields`.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields`.

    Notes
    -----
    Source: paper 000, Eqs. (13) and (38).
    """
    f = madelung_fields(dim, vector_potential=vector_potential)
    flux = [
        f.rho * (sp.diff(f.S, qi) - ai) / f.m
        for qi, ai in zip(f.q, f.vector_potential, strict=True)
    ]
    return sp.diff(f.rho, f.t) + _div(flux, f.q)


def hamilton_jacobi_equation(
    dim: int, *, vector_potential: bool = False, quantum: bool = False
) -> sp.Expr:
    """The (quantum) Hamilton–Jacobi equation ∂_tS + Σ(∂_iS − A_i)²/2m + V (+ Q), which vanishes.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.
    vector_potential : bool
        Include A_i(q).
    quantum : bool
        Add the quantum potential Q of :func:`quantum_potential`.

    Returns
    -------
    sympy.Expr
        The left-hand side (units of energy).

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields`.

    Notes
    -----
    Source: paper 000, Eq. (16) (classical) and Eq. (44) (quantum).
    """
    f = madelung_fields(dim, vector_potential=vector_potential)
    kinetic = sp.Add(
        *((sp.diff(f.S, qi) - ai) ** 2 for qi, ai in zip(f.q, f.vector_potential, strict=True))
    )
    hj = sp.diff(f.S, f.t) + kinetic / (2 * f.m) + f.V
    return hj + quantum_potential(dim) if quantum else hj


def madelung_equations(dim: int, *, vector_potential: bool = False) -> tuple[sp.Expr, sp.Expr]:
    """Continuity and quantum Hamilton–Jacobi equations derived from the Schrödinger equation.

    Substitutes ψ = √ρ e^{iS/ħ} into iħ∂_tψ = Σ(−iħ∂_i − A_i)²ψ/2m + Vψ, divides by ψ and
    splits r = (iħ∂_tψ − Ĥψ)/ψ into real and imaginary parts.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.
    vector_potential : bool
        Include A_i(q).

    Returns
    -------
    (continuity, quantum_hj) : tuple of sympy.Expr
        (2ρ/ħ) Im r and −Re r, as derived (unsimplified); they equal
        :func:`continuity_equation` and :func:`hamilton_jacobi_equation` (``quantum=True``)
        identically.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields`.

    Notes
    -----
    Source: E. Madelung, Z. Phys. 40, 322 (1927); paper 000, Eqs. (38), (44), (45).
    """
    f = madelung_fields(dim, vector_potential=vector_potential)
    real, imag = _real_imag(_schrodinger_ratio(f, _standard_h_on(f)))
    return sp.expand(2 * f.rho / f.hbar * imag), -real


def schrodinger_residual(dim: int, *, vector_potential: bool = False) -> sp.Expr:
    """(iħ∂_tψ − Ĥψ)/ψ + (quantum HJ) − (iħ/2ρ)(continuity), which vanishes identically.

    So (iħ∂_tψ − Ĥψ)/ψ = −(quantum HJ) + (iħ/2ρ)(continuity), and for ρ > 0 the Schrödinger
    equation holds iff both the continuity and the quantum Hamilton–Jacobi equation hold.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.
    vector_potential : bool
        Include A_i(q).

    Returns
    -------
    sympy.Expr
        The residual (units of energy); ``sympy.simplify`` gives 0.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields`.

    Notes
    -----
    Source: paper 000, Eq. (45) from Eqs. (38) and (44).
    """
    f = madelung_fields(dim, vector_potential=vector_potential)
    return _recast_residual(
        f,
        _standard_h_on(f),
        hamilton_jacobi_equation(dim, vector_potential=vector_potential, quantum=True),
        continuity_equation(dim, vector_potential=vector_potential),
    )


def identity_eq24(dim: int) -> sp.Matrix:
    """Residuals ∂_i∂_j√ρ/√ρ − [½ ∂_i∂_jρ/ρ − ¼ ∂_iρ ∂_jρ/ρ²] for all i, j, which vanish.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.

    Returns
    -------
    sympy.Matrix, shape (dim, dim)
        Entry (i, j) is the residual for ∂_i∂_j.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields`.

    Notes
    -----
    Source: paper 000, Eq. (24).
    """
    f = madelung_fields(dim)
    r = sp.sqrt(f.rho)

    def entry(i, j):
        qi, qj = f.q[i], f.q[j]
        rhs = sp.diff(f.rho, qi, qj) / (2 * f.rho) - sp.diff(f.rho, qi) * sp.diff(f.rho, qj) / (
            4 * f.rho**2
        )
        return sp.diff(r, qi, qj) / r - rhs

    return sp.Matrix(dim, dim, entry)


# ---------------------------------------------------------------------------------------------
# the epistemic restriction and ξ-averages


def xi_average(expr: sp.Expr, xi, moments: dict | None = None) -> sp.Expr:
    """Average a polynomial in ξ (or in several independent ξ's) over their distribution.

    Each monomial ξ1^k1 ξ2^k2 … is replaced by ⟨ξ^k1⟩⟨ξ^k2⟩…: the ξ's are independent and
    identically distributed.

    Parameters
    ----------
    expr : sympy.Expr
        Polynomial in the ξ symbol(s); its coefficients may be anything free of them.
    xi : sympy.Symbol or sequence of sympy.Symbol
        The random variable(s).
    moments : dict, optional
        Power k ≥ 1 → ⟨ξ^k⟩, merged over the defaults {1: 0, 2: ħ²} of Eq. (7) (ħ the symbol
        ``hbar``). Higher moments are not fixed by the theory: pass them (a symbol such as
        ``mu4`` is fine).

    Returns
    -------
    sympy.Expr
        The expanded average.

    Raises
    ------
    TypeError
        If ``xi`` is not a Symbol or a sequence of distinct Symbols, or ``moments`` has keys
        that are not integers.
    ValueError
        If ``expr`` is not a polynomial in ξ, a key of ``moments`` is < 1, or a power of ξ occurs
        whose moment is not given (the message names the power).

    Notes
    -----
    Source: paper 000, Eq. (7) and the ξ-integrations of Eqs. (22)–(23), (40), (50).
    """
    xis = (xi,) if isinstance(xi, sp.Basic) else tuple(xi)
    if not xis or not all(isinstance(x, sp.Symbol) for x in xis) or len(set(xis)) != len(xis):
        raise TypeError(f"xi must be a sympy Symbol or a sequence of distinct Symbols; got {xi!r}.")
    given = dict(moments or {})
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in given):
        raise TypeError(f"moments keys must be integer powers k >= 1; got {list(given)}.")
    if any(k < 1 for k in given):
        raise ValueError(f"moments keys must be powers k >= 1 (<xi^0> = 1); got {list(given)}.")
    table = {0: sp.S.One, 1: sp.S.Zero, 2: HBAR**2} | given
    try:
        poly = sp.Poly(sp.expand(expr), *xis)
    except sp.PolynomialError:
        raise ValueError(f"expr must be a polynomial in {xis}; got {expr}.") from None
    total = sp.S.Zero
    for powers, coeff in poly.terms():
        missing = [k for k in powers if k not in table]
        if missing:
            k = missing[0]
            raise ValueError(
                f"<xi^{k}> is needed but not given: pass moments={{..., {k}: value}} "
                "(Eq. (7) fixes only the first two moments)."
            )
        total += coeff * sp.Mul(*(table[k] for k in powers))
    return sp.expand(total)


def epistemic_momenta(fields: MadelungFields, *, separable: bool = False) -> EpistemicMomenta:
    """The restricted momenta p_i = ∂_iS + (ξ/2)∂_iρ/ρ of Eq. (6).

    Parameters
    ----------
    fields : MadelungFields
        From :func:`madelung_fields`.
    separable : bool
        One independent ξ_i per degree of freedom (⟨ξ_iξ_j⟩ = ħ²δ_ij) instead of the paper's
        single shared, nonseparable ξ.

    Returns
    -------
    EpistemicMomenta
        (momenta, xi): the d expressions p_i (units of ħ/length) and the real symbols (ξ,) or
        (ξ1, …, ξd).

    Raises
    ------
    TypeError
        If ``fields`` is not a :class:`MadelungFields`.

    Notes
    -----
    Source: paper 000, Eqs. (6)–(7); separable variant, Methods before Eq. (56).
    """
    f = _check_fields(fields)
    d = len(f.q)
    xis = sp.symbols(f"xi1:{d + 1}", real=True) if separable else (sp.Symbol("xi", real=True),)
    per_dof = xis if separable else xis * d
    momenta = tuple(
        sp.diff(f.S, qi) + x / 2 * sp.diff(f.rho, qi) / f.rho
        for qi, x in zip(f.q, per_dof, strict=True)
    )
    return EpistemicMomenta(momenta, tuple(xis))


def _phase_space_average(
    expr: sp.Expr, f: MadelungFields, ps: tuple, *, separable: bool, epistemic: bool
) -> sp.Expr:
    """⟨expr(p, q)⟩_ξ at p from Eq. (6), or expr(∇S, q) without the restriction (quadratic)."""
    if epistemic:
        momenta, xis = epistemic_momenta(f, separable=separable)
        return xi_average(expr.subs(dict(zip(ps, momenta, strict=True))), xis)
    return sp.expand(expr.subs({p: sp.diff(f.S, qi) for p, qi in zip(ps, f.q, strict=True)}))


def ensemble_energy_density(
    hamiltonian: sp.Expr,
    fields: MadelungFields,
    *,
    momenta_symbols,
    separable: bool = False,
    epistemic: bool = True,
) -> sp.Expr:
    """The ensemble energy density ρ⟨H(p, q)⟩_ξ, or ρ H(∇S, q) without the restriction.

    Parameters
    ----------
    hamiltonian : sympy.Expr
        H(p, q): a polynomial of degree ≤ 2 in ``momenta_symbols`` whose coefficients may depend
        on the coordinates (e.g. V(q), A_i(q)) and constants; not on t, ρ or S.
    fields : MadelungFields
        From :func:`madelung_fields`.
    momenta_symbols : sequence of sympy.Symbol
        p_1…p_d, in the order of ``fields.q``.
    separable : bool
        Independent ξ_i per degree of freedom (see :func:`epistemic_momenta`).
    epistemic : bool
        Use the restriction of Eq. (6) (Theorem 3); False gives the classical p = ∇S.

    Returns
    -------
    sympy.Expr
        The expanded density (energy per volume). For H = Σ(p − A)²/2m + V it is
        ρ[Σ(∂S − A)²/2m + V] + ħ²(∇ρ)²/(8mρ).

    Raises
    ------
    TypeError
        If ``fields`` is not a MadelungFields or the momenta are not distinct Symbols.
    ValueError
        If ``hamiltonian`` is not a polynomial of degree ≤ 2 in the momenta, depends on t, ρ
        or S, or the number of momenta differs from ``dim``.

    Notes
    -----
    Source: paper 000, Eq. (14) (classical) and Eq. (40) (restricted); separable ξ, Eq. (56).
    """
    f = _check_fields(fields)
    ps = _check_hamiltonian(hamiltonian, f, momenta_symbols)
    avg = _phase_space_average(
        sp.sympify(hamiltonian), f, ps, separable=separable, epistemic=epistemic
    )
    return sp.expand(f.rho * avg)


def classical_hamiltonian(fields: MadelungFields) -> tuple[sp.Expr, tuple]:
    """The classical H(p, q) = Σ_i (p_i − A_i)²/2m + V of a charged particle, with fresh momenta.

    Parameters
    ----------
    fields : MadelungFields
        From :func:`madelung_fields` (its q, m, V and A; A = 0 without a vector potential).

    Returns
    -------
    hamiltonian : sympy.Expr
        H(p, q), quadratic in the momenta: the input of :func:`energy_conservation`.
    momenta : tuple of sympy.Symbol
        Real symbols p1…pd, one per coordinate of ``fields.q``.

    Raises
    ------
    TypeError
        If ``fields`` does not come from :func:`madelung_fields`.

    Notes
    -----
    Source: paper 000, Eq. (12), the Hamiltonian of Theorems 1 and 3.

    Examples
    --------
    >>> h, (p1,) = classical_hamiltonian(madelung_fields(1))
    >>> h
    V(q1) + p1**2/(2*m)
    """
    f = _check_fields(fields)
    ps = sp.symbols(f"p1:{len(f.q) + 1}", real=True)
    kinetic = sum((pi - ai) ** 2 for pi, ai in zip(ps, f.vector_potential, strict=True))
    return kinetic / (2 * f.m) + f.V, ps


def energy_conservation(
    hamiltonian: sp.Expr,
    fields: MadelungFields,
    *,
    momenta_symbols,
    separable: bool = False,
    epistemic: bool = True,
) -> EnergyBalance:
    """Derive the dynamical law from conservation of probability and of ⟨H⟩ (Theorems 1 and 3).

    The energy density e = ρ⟨H⟩_ξ depends on ρ, ∇ρ, ∇S and q. The product rule gives, with
    e_ρ = ∂e/∂ρ, e_i = ∂e/∂(∂_iρ) and ∂e/∂(∂_iS) = ρ⟨∂H/∂p_i⟩_ξ = ρ v_i,

        ∂_t e = ∂_tρ · B + ∇·F − ∂_tS · [∂_tρ + ∇·(ρv)],
        B = ∂_tS + e_ρ − Σ_i ∂_i e_i    (= ∂_tS + δE/δρ at fixed S),
        F_i = e_i ∂_tρ + ρ v_i ∂_tS,

    identically in ρ and S. With the continuity equation the last bracket vanishes, so
    d⟨H⟩/dt = ∫∂_tρ · B dq, and ⟨H⟩ is conserved for every ∂_tρ iff B = 0.

    Parameters
    ----------
    hamiltonian : sympy.Expr
        H(p, q), degree ≤ 2 in ``momenta_symbols``, time-independent.
    fields : MadelungFields
        From :func:`madelung_fields`.
    momenta_symbols : sequence of sympy.Symbol
        p_1…p_d, in the order of ``fields.q``.
    separable : bool
        Independent ξ_i per degree of freedom instead of one shared ξ.
    epistemic : bool
        Use the restriction p = ∇S + (ξ/2)∇ρ/ρ (Theorem 3); False gives p = ∇S (Theorem 1).

    Returns
    -------
    EnergyBalance
        velocity v_i = ⟨∂H/∂p_i⟩_ξ (computed directly, not from e), continuity ∂_tρ + ∇·(ρv),
        energy_density e, integrand ∂_t e, flux F, equation B, and residual
        ∂_t e − ∂_tρ·B − ∇·F + ∂_tS·(continuity), which simplifies to 0 (the proof).

    Raises
    ------
    TypeError, ValueError
        As :func:`ensemble_energy_density`; in particular ValueError for a Hamiltonian of
        degree > 2 in the momenta, for which the theorems are not stated.

    Notes
    -----
    Source: paper 000, Methods: Theorem 1, Eqs. (12)–(16); Theorem 3, Eqs. (38)–(44);
    measurement, Eqs. (47)–(53) and (56)–(57).
    """
    f = _check_fields(fields)
    ps = _check_hamiltonian(hamiltonian, f, momenta_symbols)
    h = sp.sympify(hamiltonian)
    e = sp.expand(f.rho * _phase_space_average(h, f, ps, separable=separable, epistemic=epistemic))
    velocity = tuple(
        _phase_space_average(sp.diff(h, p), f, ps, separable=separable, epistemic=epistemic)
        for p in ps
    )
    rho_t, s_t = sp.diff(f.rho, f.t), sp.diff(f.S, f.t)
    continuity = rho_t + _div([f.rho * v for v in velocity], f.q)

    # e as an ordinary function of independent symbols ρ, ∂_iρ, ∂_iS (q kept explicit)
    d = len(f.q)
    r0 = sp.Dummy("rho0", positive=True)
    r = sp.symbols(f"rho_1:{d + 1}", cls=sp.Dummy)
    s = sp.symbols(f"S_1:{d + 1}", cls=sp.Dummy)
    to_sym = {sp.diff(f.rho, qi): ri for qi, ri in zip(f.q, r, strict=True)}
    to_sym |= {sp.diff(f.S, qi): si for qi, si in zip(f.q, s, strict=True)}
    e_sym = e.subs(to_sym).subs(f.rho, r0)
    back = {v: k for k, v in to_sym.items()} | {r0: f.rho}

    def partial(symbol):
        return sp.diff(e_sym, symbol).subs(back)

    e_grad_rho = [partial(ri) for ri in r]
    equation = s_t + partial(r0) - _div(e_grad_rho, f.q)
    flux = tuple(er * rho_t + f.rho * v * s_t for er, v in zip(e_grad_rho, velocity, strict=True))
    integrand = sp.diff(e, f.t)
    residual = integrand - rho_t * equation - _div(flux, f.q) + s_t * continuity
    return EnergyBalance(velocity, continuity, e, integrand, flux, equation, residual)


# ---------------------------------------------------------------------------------------------
# measurement of angular momentum (Eqs. (46)-(57))


def measurement_hamiltonian() -> MeasurementHamiltonian:
    """The von Neumann coupling H_I = g l_z p_Σ = g (x_S p_y − y_S p_x) p_Σ of Eq. (46).

    Returns
    -------
    MeasurementHamiltonian
        (hamiltonian, coordinates, momenta, g): H_I, the coordinates (x_S, y_S, q_Σ) of
        ``.fields`` (= ``madelung_fields(3, coordinates=("x_S", "y_S", "q_Sigma"))``), the
        momenta (p_x, p_y, p_Σ) and the real coupling g (units of energy/(ħ·momentum)).

    Notes
    -----
    Source: paper 000, Eq. (46); J. von Neumann, *Mathematical Foundations of Quantum
    Mechanics* (1932), ch. VI.
    """
    x, y, qs = madelung_fields(3, coordinates=_MEASUREMENT_COORDINATES).q
    g = sp.Symbol("g", real=True)
    px, py, ps = sp.symbols("p_x p_y p_Sigma", real=True)
    return MeasurementHamiltonian(g * (x * py - y * px) * ps, (x, y, qs), (px, py, ps), g)


def measurement_derivation() -> MeasurementDerivation:
    """Theorem 3 for the measurement of l_z by a pointer, H_I = g (x p_y − y p_x) p_Σ.

    Runs :func:`energy_conservation` with a shared ξ and with separable ξ's and compares B with
    Eq. (53), ∂_tS + g(x∂_yS − y∂_xS)∂_ΣS − għ²(x∂_y∂_Σ√ρ − y∂_x∂_Σ√ρ)/√ρ, and with the
    classical Eq. (57) (no ħ² term). Also checks that Eq. (53) with its continuity equation
    (48) is the Madelung form of iħ∂_tψ = g l̂_z p̂_Σ ψ, l̂_z = −iħ(x∂_y − y∂_x), p̂_Σ = −iħ∂_Σ.

    Returns
    -------
    MeasurementDerivation
        The derived and the written-out equations, the recast residual, and the three checks
        (``sympy.simplify(difference) == 0``) as bools.

    Notes
    -----
    Source: paper 000, Methods, Eqs. (46)–(57). Eq. (53) is re-derived here: the extracted
    text of the paper is garbled. Its ħ² term is −(għ²/R)(x∂_y∂_Σ − y∂_x∂_Σ)R with R = √ρ,
    from δ/δρ ∫ għ²(x ∂_yR ∂_ΣR − y ∂_xR ∂_ΣR) dq.
    """
    h = measurement_hamiltonian()
    f = h.fields
    x, y, qs = f.q
    shared = energy_conservation(h.hamiltonian, f, momenta_symbols=h.momenta)
    apart = energy_conservation(h.hamiltonian, f, momenta_symbols=h.momenta, separable=True)
    r = sp.sqrt(f.rho)
    s_x, s_y, s_s = (sp.diff(f.S, c) for c in f.q)
    eq57 = sp.diff(f.S, f.t) + h.g * (x * s_y - y * s_x) * s_s
    eq53 = eq57 - h.g * f.hbar**2 * (x * sp.diff(r, y, qs) - y * sp.diff(r, x, qs)) / r

    def lz_p_sigma(field):
        p_sigma = _minus_i_hbar_d(field, qs)
        return h.g * (x * _minus_i_hbar_d(p_sigma, y) - y * _minus_i_hbar_d(p_sigma, x))

    recast = _recast_residual(f, lz_p_sigma, shared.equation, shared.continuity)
    return MeasurementDerivation(
        coordinates=f.q,
        hamiltonian=h.hamiltonian,
        nonseparable=shared.equation,
        separable=apart.equation,
        eq53=eq53,
        eq57=eq57,
        recast_residual=recast,
        nonseparable_matches_eq53=sp.simplify(shared.equation - eq53) == 0,
        separable_matches_eq57=sp.simplify(apart.equation - eq57) == 0,
        schrodinger_recast=sp.simplify(recast) == 0,
    )


class WallstromLocalSolution(NamedTuple):
    """A multivalued-phase solution of the measurement equations (48) and (53) (Wallstrom)."""

    #: ρ = P(x² + y²) F(q_Σ − gνħt)² (P, F arbitrary positive functions).
    rho: sp.Expr
    #: S = ħν atan2(y, x) + σ(q_Σ − gνħt): multivalued for non-integer ν (winding 2πħν).
    S: sp.Expr
    #: The winding ν (real symbol).
    nu: sp.Symbol
    #: Continuity equation (48) evaluated on (ρ, S), simplified (0: it is solved).
    continuity_residual: sp.Expr
    #: Eq. (53) (the derived B for a shared ξ) evaluated on (ρ, S), simplified.
    hamilton_jacobi_residual: sp.Expr
    #: Pointer velocity g(x∂_yS − y∂_xS) = g l_z of every trajectory: gνħ, simplified.
    pointer_velocity: sp.Expr


def wallstrom_local_solution() -> WallstromLocalSolution:
    """The paper's local measurement dynamics solved by a non-single-valued ψ (Wallstrom).

    Substitutes ρ = P(x² + y²) F(q_Σ − gνħt)², S = ħν atan2(y, x) + σ(q_Σ − gνħt) into the
    continuity equation and Eq. (53) derived by :func:`energy_conservation` for the coupling
    H_I = g l_z p_Σ with a shared ξ. Both vanish identically for every real ν: the local
    equations, which only see ∇S, admit the multivalued phase ħνφ, and every trajectory's
    pointer moves with velocity g l_z = gνħ, so after a time T the pointer has moved by gνħT
    (not to an integer multiple of għT). Single-valuedness of e^{iS/ħ} (ν integer) is an extra
    condition that the local equations do not impose.

    Returns
    -------
    WallstromLocalSolution

    Notes
    -----
    Source: T. C. Wallstrom, Phys. Rev. A 49, 1613 (1994); paper 000, Eqs. (46)–(53) and the
    last paragraph of "Derivation of Born's rule".
    """
    h = measurement_hamiltonian()
    f = h.fields
    x, y, qs = f.q
    nu = sp.Symbol("nu", real=True)
    u = qs - h.g * nu * f.hbar * f.t
    p_fun = sp.Function("P", positive=True)
    f_fun = sp.Function("F", positive=True)
    sigma = sp.Function("sigma", real=True)
    rho = p_fun(x**2 + y**2) * f_fun(u) ** 2
    s_field = f.hbar * nu * sp.atan2(y, x) + sigma(u)
    balance = energy_conservation(h.hamiltonian, f, momenta_symbols=h.momenta)
    subs = {f.rho: rho, f.S: s_field}

    def on_solution(expr):
        return sp.simplify(expr.subs(subs).doit())

    velocity = h.g * (x * sp.diff(s_field, y) - y * sp.diff(s_field, x))
    return WallstromLocalSolution(
        rho=rho,
        S=s_field,
        nu=nu,
        continuity_residual=on_solution(balance.continuity),
        hamilton_jacobi_residual=on_solution(balance.equation),
        pointer_velocity=sp.simplify(velocity),
    )


# ---------------------------------------------------------------------------------------------
# Theorem 2 and the fourth moment


def theorem2_derivation(dim: int) -> Theorem2Derivation:
    """Theorem 2: ψ*Ôψ and ρ⟨O⟩_ξ differ by an explicit divergence, for any quadratic O.

    O = ½ Σ g_ij(q)(p_i − A_i)(p_j − A_j) + V with g_ij a general symmetric matrix of real
    functions, and Ô = ½ Σ(p̂_i − A_i) g_ij (p̂_j − A_j) + V (metric sandwiched, Eq. (28)).
    With π̂_j = p̂_j − A_j and f_i = ½ Σ_j g_ij π̂_jψ, the rule ψ*(π̂_i f) = −iħ∂_i(ψ* f) + (π̂_iψ)* f
    gives ψ*Ôψ = ½ Σ g_ij (π̂_iψ)*(π̂_jψ) + ρV + ∇·F with F_i = −iħ ψ* f_i. The first two terms are
    real and equal ρ⟨O⟩_ξ, because (π̂_jψ)/ψ = (∂_jS − A_j) − iħ ∂_jR/R and ⟨ξ²⟩/4 (∂ρ/ρ)² =
    ħ² (∂R/R)². Hence ∫ρ⟨O⟩_ξ = Re⟨ψ|Ô|ψ⟩ and Im ψ*Ôψ = ∇·Im F integrates to zero.

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1 (d ≤ 2 simplifies in well under a second).

    Returns
    -------
    Theorem2Derivation
        Time-independent amplitude R(q) > 0 and phase S(q), ψ = R e^{iS/ħ}, the densities, the
        flux and the real and imaginary residuals (both simplify to 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields` for a bad ``dim``.

    Notes
    -----
    Source: paper 000, Methods, proof of Theorem 2, Eqs. (20)–(32) (the flux replaces the
    paper's integrations by parts with Eq. (24)).
    """
    return _theorem2(count(dim, "dim", 1))


@cache
def _theorem2(d: int) -> Theorem2Derivation:
    q = sp.symbols(f"q1:{d + 1}", real=True)
    amp = sp.Function("R", positive=True)(*q)
    phase = sp.Function("S", real=True)(*q)
    v = sp.Function("V", real=True)(*q)
    a = tuple(sp.Function(f"A{i + 1}", real=True)(*q) for i in range(d))
    g = sp.zeros(d, d)
    for i, j in itertools.combinations_with_replacement(range(d), 2):
        g[i, j] = g[j, i] = sp.Function(f"g{i + 1}{j + 1}", real=True)(*q)
    psi = amp * sp.exp(sp.I * phase / HBAR)
    psi_c = amp * sp.exp(-sp.I * phase / HBAR)

    def kinetic_momentum(j, field):
        return _minus_i_hbar_d(field, q[j]) - a[j] * field

    pi_psi = [kinetic_momentum(j, psi) for j in range(d)]
    g_pi_psi = [sp.Add(*(g[i, j] * pi_psi[j] for j in range(d))) for i in range(d)]
    o_psi = sp.Add(*(kinetic_momentum(i, g_pi_psi[i]) for i in range(d))) / 2 + v * psi
    quantum = sp.expand(psi_c * o_psi)

    # the ensemble side, built from the classical O and the restriction of Eq. (6)
    ps = sp.symbols(f"p1:{d + 1}", real=True)
    observable = (
        sp.Add(*(g[i, j] * (ps[i] - a[i]) * (ps[j] - a[j]) for i in range(d) for j in range(d))) / 2
        + v
    )
    xi = sp.Symbol("xi", real=True)
    rho = amp**2
    restricted = {ps[i]: sp.diff(phase, q[i]) + xi / 2 * sp.diff(rho, q[i]) / rho for i in range(d)}
    ensemble = sp.expand(rho * xi_average(observable.subs(restricted), xi))

    flux = tuple(sp.expand(-sp.I * HBAR / 2 * psi_c * g_pi_psi[i]) for i in range(d))
    flux_re, flux_im = zip(*(_real_imag(fi) for fi in flux), strict=True)
    quantum_re, quantum_im = _real_imag(quantum)
    return Theorem2Derivation(
        q=q,
        R=amp,
        S=phase,
        g=g,
        A=a,
        V=v,
        psi=psi,
        quantum=quantum,
        ensemble=ensemble,
        flux=flux,
        real_residual=sp.expand(quantum_re - ensemble - _div(flux_re, q)),
        imaginary_residual=sp.expand(quantum_im - _div(flux_im, q)),
    )


def theorem2_residual(dim: int) -> sp.Expr:
    """Re ψ*Ôψ − ρ⟨O⟩_ξ − ∇·Re F, which vanishes (Theorem 2; see :func:`theorem2_derivation`).

    Parameters
    ----------
    dim : int
        Number of coordinates d ≥ 1.

    Returns
    -------
    sympy.Expr
        The real residual of :func:`theorem2_derivation`; ``sympy.simplify`` gives 0.

    Raises
    ------
    TypeError, ValueError
        As :func:`madelung_fields` for a bad ``dim``.

    Notes
    -----
    Source: paper 000, Eqs. (8), (20)–(32).
    """
    return theorem2_derivation(dim).real_residual


def fourth_moment_dependence() -> sp.Expr:
    """⟨p⁴⟩_ξ at a point q for one degree of freedom, with ⟨ξ⁴⟩ = μ4 left free.

    Returns
    -------
    sympy.Expr
        (∂S)⁴ + 6ħ²(∂S)²w² + μ4 w⁴ with w = ∂ρ/2ρ written out, ⟨ξ³⟩ = 0, μ4 the positive symbol
        ``mu4`` (units of ħ⁴), collected in μ4: beyond second order the ensemble average
        depends on the shape of μ(ξ), which Eq. (7) leaves free.

    Notes
    -----
    Source: paper 000, Eqs. (6)–(8); Theorem 2 is stated only up to second order in p.
    """
    (p,), xis = epistemic_momenta(madelung_fields(1))
    return sp.collect(xi_average(p**4, xis, {3: 0, 4: _MU4}), _MU4)


@cache
def fourth_moment_comparison() -> FourthMomentComparison:
    """ρ⟨p⁴⟩_ξ against the quantum Re ψ* p̂⁴ ψ in one dimension: no μ4 makes them agree.

    A density is a total derivative iff its Euler–Lagrange expressions vanish identically
    (I. M. Gelfand and S. V. Fomin, *Calculus of Variations* (1963), §4), so the two averages
    agree for every state iff both Euler–Lagrange expressions of their difference vanish. Its
    ħ⁴ ∂⁴ρ part, from ħ⁴ (∂²√ρ)², carries no μ4, so no value of μ4 cancels it.

    Returns
    -------
    FourthMomentComparison
        Fields (d = 1), μ4, both densities, their difference and its Euler–Lagrange expressions
        with respect to ρ and S (with ⟨ξ³⟩ = 0 and ⟨ξ²⟩ = ħ²).

    Notes
    -----
    Source: paper 000, Theorem 2 (Eq. (8)) holds only up to second order in p; this is the
    fourth-order counterexample.
    """
    f = madelung_fields(1)
    ensemble = sp.expand(f.rho * fourth_moment_dependence())
    (q,) = f.q
    quantum, _ = _real_imag(sp.conjugate(f.psi) * HBAR**4 * sp.diff(f.psi, q, 4))
    difference = quantum - ensemble
    euler_rho, euler_s = (eq.lhs for eq in euler_equations(difference, [f.rho, f.S], [q, f.t]))
    return FourthMomentComparison(f, _MU4, ensemble, quantum, difference, euler_rho, euler_s)


# ---------------------------------------------------------------------------------------------
# Madelung variables on a discrete basis: Smolin's mean-field copy dynamics (paper 001)


@dataclass(frozen=True)
class DiscreteMadelung:
    """Schrödinger dynamics of ψ_a = √ρ_a e^{−iφ_a} on M levels (see :func:`discrete_madelung`).

    H_aa = ħω_a and H_ab = ħR_ab e^{iδ_ab} for a ≠ b, with R_ab = R_ba ≥ 0 and δ_ba = −δ_ab
    (Hermiticity); ``rate[a][b]`` and ``delta[a][b]`` are those symbols (0 on the diagonal).
    """

    #: ρ_a(t) and φ_a(t), length-M tuples of functions of ``t``.
    rho: tuple
    phi: tuple
    t: sp.Symbol
    hbar: sp.Symbol
    #: ω_a, length M.
    omega: tuple
    #: R_ab and δ_ab as M×M nested tuples (symmetric and antisymmetric).
    rate: tuple
    delta: tuple
    #: dρ_a/dt and dφ_a/dt implied by iħψ̇ = Hψ.
    rho_dot: tuple
    phi_dot: tuple


def _discrete_symbols(m: int):
    t = sp.Symbol("t", real=True)
    rho = tuple(sp.Function(f"rho_{a}", positive=True)(t) for a in range(m))
    phi = tuple(sp.Function(f"phi_{a}", real=True)(t) for a in range(m))
    omega = tuple(sp.Symbol(f"omega_{a}", real=True) for a in range(m))
    r_sym = {(a, b): sp.Symbol(f"R_{a}{b}", nonnegative=True) for a in range(m) for b in range(a)}
    d_sym = {(a, b): sp.Symbol(f"delta_{a}{b}", real=True) for a in range(m) for b in range(a)}
    rate = tuple(
        tuple(sp.S.Zero if a == b else r_sym[max(a, b), min(a, b)] for b in range(m))
        for a in range(m)
    )
    delta = tuple(
        tuple(sp.S.Zero if a == b else (d_sym[a, b] if a > b else -d_sym[b, a]) for b in range(m))
        for a in range(m)
    )
    return t, rho, phi, omega, rate, delta


def discrete_madelung(n_levels: int) -> DiscreteMadelung:
    """Density and phase laws of iħψ̇ = Hψ for ψ_a = √ρ_a e^{−iφ_a} (Smolin, Eqs. (30)–(36)).

    Dividing iħψ̇_a = Σ_b H_ab ψ_b by ψ_a gives ρ̇_a/(2ρ_a) − iφ̇_a = −iω_a −
    i Σ_b R_ab √(ρ_b/ρ_a) e^{iθ_ab} with θ_ab = φ_a − φ_b + δ_ab; its real and imaginary parts are
    returned as computed by sympy (no hand algebra), to be compared with the printed laws:
    ρ̇_a = 2 Σ_b √(ρ_aρ_b) R_ab sin θ_ab and φ̇_a = ω_a + Σ_b √(ρ_b/ρ_a) R_ab cos θ_ab.

    L. Smolin, Found. Phys. 42, 1239 (2012), arXiv:1104.2822 (paper 001), Eqs. (30)–(36).

    Parameters
    ----------
    n_levels : int
        Number of levels (beables) M ≥ 2. Sympy's cost grows as M²; M ≤ 4 is instant.

    Returns
    -------
    DiscreteMadelung

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``n_levels`` or ``n_levels < 2``.
    """
    m = count(n_levels, "n_levels", 2, " (the copy dynamics needs two beables)")
    t, rho, phi, omega, rate, delta = _discrete_symbols(m)
    psi = [sp.sqrt(rho[a]) * sp.exp(-sp.I * phi[a]) for a in range(m)]
    ratio = [
        -sp.I
        / HBAR
        * (
            HBAR * omega[a] * psi[a]
            + sum(
                HBAR * rate[a][b] * sp.exp(sp.I * delta[a][b]) * psi[b] for b in range(m) if b != a
            )
        )
        / psi[a]
        for a in range(m)
    ]
    rho_dot, phi_dot = [], []
    for a in range(m):
        re, im = sp.expand(ratio[a]).as_real_imag()
        rho_dot.append(sp.simplify(2 * rho[a] * re))
        phi_dot.append(sp.simplify(-im))
    return DiscreteMadelung(rho, phi, t, HBAR, omega, rate, delta, tuple(rho_dot), tuple(phi_dot))


def _sin_plus(x: sp.Expr) -> sp.Expr:
    """sin₊(x) = max(sin x, 0) = (sin x + |sin x|)/2 (Smolin, Eq. (27))."""
    return (sp.sin(x) + sp.Abs(sp.sin(x))) / 2


def copy_rule_mean_flow(dm: DiscreteMadelung, rule: str = "corrected") -> tuple:
    """Net rate of change of ρ_a = n_a/N under the copy rule, for phases aligned in each beable.

    With n_x systems in beable x, all at phase φ_x, and P(I copy J) the probability per unit time
    that I (in x) copies J (in y), the systems moving from x to y per unit time number
    n_x n_y P(x→y). ``"as_printed"`` is Eq. (37) as printed, P = R_xy sin₊(φ_x − φ_y + δ_xy)/
    √(n_x n_y) (the copier's phase first); ``"corrected"`` is P = 2R_yx sin₊(φ_y − φ_x + δ_yx)/
    √(n_x n_y) (the copied system's phase first, factor 2). Dividing by N gives a law for ρ_a
    to compare with :attr:`DiscreteMadelung.rho_dot` (sin₊ is written (sin + |sin|)/2 so that
    sympy can use sin₊(θ) − sin₊(−θ) = sin θ).

    Parameters
    ----------
    dm : DiscreteMadelung
        From :func:`discrete_madelung` (its symbols are reused).
    rule : {"corrected", "as_printed"}

    Returns
    -------
    tuple of sympy.Expr, length M
        dρ_a/dt of the copy dynamics (mean field).

    Raises
    ------
    ValueError
        For an unknown ``rule``.
    """
    if rule not in ("corrected", "as_printed"):
        raise ValueError(f"rule must be 'corrected' or 'as_printed'; got {rule!r}.")
    m = len(dm.rho)
    n = sp.Symbol("N", positive=True)
    occupation = [n * r for r in dm.rho]

    def per_pair(x, y):  # probability per unit time that one system of x copies one of y
        if rule == "corrected":
            arg, c = dm.phi[y] - dm.phi[x] + dm.delta[y][x], 2 * dm.rate[y][x]
        else:
            arg, c = dm.phi[x] - dm.phi[y] + dm.delta[x][y], dm.rate[x][y]
        return c * _sin_plus(arg) / sp.sqrt(occupation[x] * occupation[y])

    flow = []
    for a in range(m):
        gain = sum(occupation[b] * occupation[a] * per_pair(b, a) for b in range(m) if b != a)
        loss = sum(occupation[a] * occupation[b] * per_pair(a, b) for b in range(m) if b != a)
        flow.append(sp.simplify(sp.expand((gain - loss) / n)))
    return tuple(flow)


# ---------------------------------------------------------------------------------------------
# centre-of-mass (Oriols) coordinates, paper 004 Eqs. (12)-(13), (36)


@dataclass(frozen=True)
class OriolsTransformation:
    """The coordinates of Eqs. (12)–(13) for N particles and the identities they satisfy.

    Every ``*_residual`` simplifies to zero (a matrix of zeros) when the identity holds.
    """

    n: int
    #: Particle coordinates x_1 … x_N and the new coordinates x_cm, y_2 … y_N (real symbols).
    x: tuple
    x_cm: sp.Symbol
    y: tuple
    #: x_cm(x) and y_j(x) (Eqs. (12)–(13)), and the inverse x_i(x_cm, y).
    forward: tuple
    inverse: tuple
    #: J = ∂(x_cm, y_2, …, y_N)/∂(x_1, …, x_N) and the inverse metric G = J Jᵀ.
    jacobian: sp.Matrix
    metric: sp.Matrix
    #: G − diag(1/N, 1, …, 1): zero means Σ_i ∂²_{x_i} = (1/N)∂²_{x_cm} + Σ_j ∂²_{y_j}.
    metric_residual: sp.Matrix
    #: inverse(forward(x)) − x.
    inverse_residual: sp.Matrix
    #: The kinetic operators of Eqs. (37) and (36), with M = Nm, applied to e^{k·u}.
    kinetic_residual: sp.Expr
    #: ∂(x_j − x_k)/∂x_cm at fixed y for every pair (a pair potential exerts no force on x_cm).
    pair_residual: sp.Matrix
    #: Σ_i x_i² − (N x_cm² + Σ_j y_j²): the map x ↦ (√N x_cm, y) is orthogonal.
    norm_residual: sp.Expr
    #: Wave numbers k_cm, k_2 … k_N of the test function e^{k·u} and the masses m, M = Nm.
    k: tuple
    m: sp.Symbol


@cache
def oriols_transformation(n_particles: int) -> OriolsTransformation:
    """The Oriols centre-of-mass transformation for N particles, Eqs. (12)–(13), in sympy.

    x_cm = (1/N) Σ_i x_i and y_j = x_j − (√N x_cm + x_1)/(√N + 1) for j = 2 … N. The map
    u = (x_cm, y) = A x is linear, so for any f, Σ_i ∂²_{x_i} f = Σ_ab (A Aᵀ)_ab ∂_a∂_b f:
    the Laplacian has no cross terms and becomes (1/N)∂²_{x_cm} + Σ_j ∂²_{y_j} exactly when
    A Aᵀ = diag(1/N, 1, …, 1) (``metric_residual``). The same identity is checked on
    e^{k·u} with symbolic k (for a constant-coefficient operator this fixes its symbol, so it
    is a complete proof): −(ħ²/2m)Σ_i ∂²_{x_i} = −(ħ²/2M)∂²_{x_cm} − (ħ²/2m)Σ_j ∂²_{y_j} with
    M = Nm, the kinetic term of Eq. (36) (``kinetic_residual``). Also returned: the inverse map
    (x_1 = x_cm − Y/√N, x_j = x_cm + y_j − Y/(N + √N), Y = Σ_j y_j), the invariance of every
    difference x_j − x_k under a shift of x_cm (so U_int exerts no force on x_cm, Eq. (30)) and
    the orthogonality Σ x_i² = N x_cm² + Σ y_j². For all N at once see :func:`oriols_general_n`.

    Parameters
    ----------
    n_particles : int
        N ≥ 2. Sympy's cost grows like N³; N ≤ 8 takes seconds.

    Returns
    -------
    OriolsTransformation

    Raises
    ------
    TypeError, ValueError
        For a non-integer N or N < 2.

    Notes
    -----
    Source: paper 004, Eqs. (12)–(13), (36)–(37), and X. Oriols, D. Tena and A. Benseny,
    arXiv:1602.03988 (2016), Appendix A.1.
    """
    n = count(n_particles, "n_particles", 2, " (one centre of mass and at least one y_j)")
    x = sp.symbols(f"x1:{n + 1}", real=True)
    x_cm = sp.Symbol("x_cm", real=True)
    y = sp.symbols(f"y2:{n + 1}", real=True)
    m = sp.Symbol("m", positive=True)
    root = sp.sqrt(n)
    cm = sp.Add(*x) / n
    forward = (cm, *(x[j] - (root * cm + x[0]) / (root + 1) for j in range(1, n)))
    total = sp.Add(*y)
    inverse = (
        x_cm - total / root,
        *(x_cm + y[j - 1] - total / (n + root) for j in range(1, n)),
    )
    jac = sp.Matrix([[sp.diff(u, xi) for xi in x] for u in forward])
    metric = sp.simplify(jac * jac.T)
    target = sp.diag(sp.Rational(1, n), *([1] * (n - 1)))
    back = sp.Matrix(
        [sp.expand(e.subs(dict(zip((x_cm, *y), forward, strict=True)))) for e in inverse]
    )
    k = sp.symbols(f"k_cm k2:{n + 1}", real=True)
    wave = sp.exp(sp.I * sp.Add(*(ki * ui for ki, ui in zip(k, forward, strict=True))))
    big_m = n * m
    kinetic_x = -(HBAR**2) / (2 * m) * sp.Add(*(sp.diff(wave, xi, 2) for xi in x))
    kinetic_u = (
        HBAR**2 * k[0] ** 2 / (2 * big_m) + HBAR**2 / (2 * m) * sp.Add(*(q**2 for q in k[1:]))
    ) * wave
    kinetic = sp.simplify((kinetic_x - kinetic_u) / wave)
    pairs = [inverse[a] - inverse[b] for a in range(n) for b in range(a + 1, n)]
    pair = sp.Matrix([sp.diff(d, x_cm) for d in pairs])
    norm = sp.expand(sp.Add(*(e**2 for e in inverse)) - n * x_cm**2 - sp.Add(*(q**2 for q in y)))
    return OriolsTransformation(
        n=n,
        x=x,
        x_cm=x_cm,
        y=y,
        forward=forward,
        inverse=inverse,
        jacobian=jac,
        metric=metric,
        metric_residual=sp.simplify(metric - target),
        inverse_residual=sp.simplify(back - sp.Matrix(x)),
        kinetic_residual=kinetic,
        pair_residual=pair,
        norm_residual=sp.simplify(norm),
        k=k,
        m=m,
    )


def oriols_general_n() -> dict[str, sp.Expr]:
    """The entries of the inverse metric A Aᵀ of Eqs. (12)–(13) for a symbolic N.

    With ∂x_cm/∂x_i = 1/N and ∂y_j/∂x_i = δ_ij − c − d δ_i1, c = 1/(N + √N), d = 1/(√N + 1)
    (j ≥ 2), the entries are sums over i = 1 … N that sympy does in closed form:

    - ``"cm_cm"``: Σ_i (1/N)² = 1/N;
    - ``"cm_y"``: Σ_i (1/N)(δ_ij − c − dδ_i1) = (1 − Nc − d)/N, which must vanish;
    - ``"y_y_offset"``: Σ_i (δ_ij − c − dδ_i1)(δ_ik − c − dδ_i1) − δ_jk
      = −2c + Nc² + 2cd + d², which must vanish (same for j = k and j ≠ k, both ≥ 2).

    Together they prove the Laplacian splitting of :func:`oriols_transformation` for every N.

    Returns
    -------
    dict
        The three simplified expressions and the symbol ``"N"`` (positive integer).

    Notes
    -----
    Source: paper 004, Eqs. (12)–(13); X. Oriols, D. Tena and A. Benseny, arXiv:1602.03988
    (2016), Appendix A.1.
    """
    big_n = sp.Symbol("N", positive=True, integer=True)
    c = 1 / (big_n + sp.sqrt(big_n))
    d = 1 / (sp.sqrt(big_n) + 1)
    return {
        "N": big_n,
        "cm_cm": sp.simplify(big_n * (1 / big_n) ** 2),
        "cm_y": sp.simplify((1 - big_n * c - d) / big_n),
        "y_y_offset": sp.simplify(-2 * c + big_n * c**2 + 2 * c * d + d**2),
    }


class CentreOfMassVelocities(NamedTuple):
    """Result of :func:`centre_of_mass_velocities` (sympy expressions, N particles of mass m)."""

    #: v_cm / ∂_{x_cm}S: the coefficient of the current velocity, 1/(Nm) = 1/M.
    current: sp.Expr
    #: u_cm / ((ħ/2)∂_{x_cm} ln ρ): the coefficient of the osmotic velocity, 1/(Nm) = 1/M.
    osmotic: sp.Expr
    #: κ such that κ[(b_cm)² + (b_cm*)²] = ½M(v_cm² + u_cm²) with b = v ± u (Eq. 14): M/4.
    kinetic: sp.Expr
    #: The particle mass m and N (as used in the three coefficients).
    m: sp.Symbol
    n: int


def centre_of_mass_velocities(n_particles: int) -> CentreOfMassVelocities:
    """The centre of mass's current and osmotic velocities in Oriols coordinates, in sympy.

    dx_cm/dt = (1/N) Σ_i dx_i/dt, and each particle's current and osmotic velocities are
    (1/m)∂_iS and (ħ/2m)∂_i ln ρ (Eqs. 5–6). In the coordinates of Eqs. (12)–(13), x_i depends
    on x_cm at fixed y with ∂x_i/∂x_cm = 1 (the inverse map of :func:`oriols_transformation`),
    so ∂_{x_cm} = Σ_i ∂_{x_i} and

        v_cm = (1/N) Σ_i (1/m)∂_iS = ∂_{x_cm}S / (Nm),   u_cm = (ħ/2Nm) ∂_{x_cm} ln ρ.

    The coefficients are computed for generic S and ρ (undefined sympy functions of x_1 … x_N).
    With b = v + u and b* = v − u, b² + b*² = 2(v² + u²), so the kinetic term of Eq. (14),
    κ[(D̃x_cm)² + (D̃_*x_cm)²], equals ½M(v² + u²) for κ = M/4.

    Parameters
    ----------
    n_particles : int
        N ≥ 2.

    Returns
    -------
    CentreOfMassVelocities
        ``current`` and ``osmotic`` (1/(N m)), ``kinetic`` (N m/4), the symbol m and N.

    Raises
    ------
    TypeError, ValueError
        For a non-integer N or N < 2.

    Notes
    -----
    Source: paper 004, Eqs. (14)–(16) (printed with m where M = Nm is meant; Eq. (24) has M)
    and Eqs. (5)–(6), (12)–(13).

    Examples
    --------
    >>> c = centre_of_mass_velocities(3)
    >>> c.current * c.m
    1/3
    """
    o = oriols_transformation(n_particles)
    n, m = o.n, o.m
    shift = {xi: e for xi, e in zip(o.x, o.inverse, strict=True)}
    s = sp.Function("S")(*o.x)
    log_rho = sp.Function("L")(*o.x)

    def cm_derivative(f: sp.Expr) -> sp.Expr:  # ∂/∂x_cm at fixed y, by the chain rule
        return sp.Add(*(sp.diff(f, xi) * sp.diff(shift[xi], o.x_cm) for xi in o.x))

    mean = lambda g: sp.Add(*(sp.diff(g, xi) for xi in o.x)) / (n * m)  # noqa: E731
    current = sp.simplify(mean(s) / cm_derivative(s))
    osmotic = sp.simplify(mean(log_rho) / cm_derivative(log_rho))
    v, u, kappa = sp.symbols("v u kappa", real=True)
    (kinetic,) = sp.solve(
        sp.expand(kappa * ((v + u) ** 2 + (v - u) ** 2) - n * m / 2 * (v**2 + u**2)).coeff(v, 2),
        kappa,
    )
    return CentreOfMassVelocities(current, osmotic, sp.simplify(kinetic), m, n)


class KineticTermDimensions(NamedTuple):
    """Result of :func:`kinetic_term_dimensions`: SI dimensions (sympy unit expressions)."""

    unsquared: sp.Expr  # (1/2M) ∂S/∂x: a velocity, m/s
    squared: sp.Expr  # (1/2M) (∂S/∂x)²: an energy, kg m²/s²
    time_derivative: sp.Expr  # ∂S/∂t, the term every term of a Hamilton–Jacobi equation matches


def kinetic_term_dimensions() -> KineticTermDimensions:
    """Dimensions of the kinetic term of a Hamilton–Jacobi equation, with and without its square.

    S is an action (J·s), x a length (m), M a mass (kg). Every term of ∂S/∂t + (1/2M)(∂S/∂x)²
    + U + Q = 0 must be an energy; (1/2M)∂S/∂x, as paper 004's Eq. (74) prints the centre-of-mass
    kinetic term, is a velocity.

    Returns
    -------
    KineticTermDimensions
        Each in base SI units (sympy.physics.units).

    Notes
    -----
    Source: paper 004, Eq. (74) against its Eqs. (35) and (91).

    Examples
    --------
    >>> d = kinetic_term_dimensions()
    >>> d.squared == d.time_derivative
    True
    """
    from sympy.physics import units as u

    base = [u.meter, u.second, u.kilogram]
    action, length, mass = u.joule * u.second, u.meter, u.kilogram
    return KineticTermDimensions(
        u.convert_to(action / length / mass, base),
        u.convert_to((action / length) ** 2 / mass, base),
        u.convert_to(action / u.second, base),
    )
