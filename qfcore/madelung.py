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
- the ordering identity behind its Theorem 2 (Eqs. (20)–(32)) and the identity Eq. (24).

Conventions: coordinates q1…qd and time t are real symbols, m and ħ (``hbar``) positive symbols,
ρ(q, t) > 0 and S(q, t) real functions, V(q) and A_i(q) real functions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import sympy as sp

__all__ = [
    "EnergyBalance",
    "MadelungFields",
    "MeasurementDerivation",
    "continuity_equation",
    "energy_conservation",
    "ensemble_energy_density",
    "epistemic_momenta",
    "fourth_moment_dependence",
    "hamilton_jacobi_equation",
    "identity_eq24",
    "madelung_equations",
    "madelung_fields",
    "measurement_derivation",
    "quantum_potential",
    "schrodinger_residual",
    "theorem2_residual",
    "xi_average",
]


@dataclass(frozen=True)
class MadelungFields:
    """Symbols and fields of a d-dimensional Madelung problem."""

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


@dataclass(frozen=True)
class EnergyBalance:
    """The split d/dt ∫e dq = ∫[∂_tρ · B + ∇·F] dq of an energy-conservation derivation."""

    #: ξ-averaged velocity field ⟨∂H/∂p_i⟩_ξ (tuple of expressions).
    velocity: tuple
    #: Continuity equation ∂_tρ + ∇·(ρv) (vanishes).
    continuity: sp.Expr
    #: Energy density e = ρ⟨H⟩_ξ.
    energy_density: sp.Expr
    #: Integrand ∂_t e of d⟨H⟩/dt.
    integrand: sp.Expr
    #: Flux F_i whose divergence integrates to zero.
    flux: tuple
    #: B = ∂_tS + δE/δρ: conservation of ⟨H⟩ for every ∂_tρ forces B = 0 (the dynamical law).
    equation: sp.Expr
    #: integrand − ∂_tρ·B − ∇·F + ∂_tS·(continuity): must simplify to 0 (the proof).
    residual: sp.Expr


@dataclass(frozen=True)
class MeasurementDerivation:
    """Theorem 3 for the von Neumann coupling H_I = g (x p_y − y p_x) p_Σ (Eqs. (46)–(57))."""

    coordinates: tuple
    hamiltonian: sp.Expr
    #: B for a shared ξ: Eq. (53).
    nonseparable: sp.Expr
    #: B for independent ξ's per degree of freedom: Eq. (57).
    separable: sp.Expr
    nonseparable_matches_eq53: bool
    separable_matches_eq57: bool
    #: Eq. (53) + continuity are the Madelung form of iħ∂_tψ = g l̂_z p̂_Σ ψ (Eqs. (54)–(55)).
    schrodinger_recast: bool


def _check_dim(dim) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        raise ValueError(f"dim must be an integer >= 1; got {dim!r}.")
    return dim


@cache
def madelung_fields(dim: int, *, vector_potential: bool = False) -> MadelungFields:
    """Symbols q1…qd, t, m, ħ and the fields ρ, S, V, A_i, ψ = √ρ e^{iS/ħ} in ``dim`` dimensions.

    Raises
    ------
    ValueError
        If ``dim`` is not an integer ≥ 1.
    """
    dim = _check_dim(dim)
    t = sp.Symbol("t", real=True)
    q = sp.symbols(f"q1:{dim + 1}", real=True)
    m, hbar = sp.symbols("m hbar", positive=True)
    rho = sp.Function("rho", positive=True)(*q, t)
    s_field = sp.Function("S", real=True)(*q, t)
    v = sp.Function("V", real=True)(*q)
    a = (
        tuple(sp.Function(f"A{i + 1}", real=True)(*q) for i in range(dim))
        if vector_potential
        else ()
    )
    psi = sp.sqrt(rho) * sp.exp(sp.I * s_field / hbar)
    return MadelungFields(t, q, m, hbar, rho, s_field, v, a, psi)


def _div(flux, q) -> sp.Expr:
    return sp.Add(*(sp.diff(f, qi) for f, qi in zip(flux, q, strict=True)))


def quantum_potential(dim: int) -> sp.Expr:
    """Q = −(ħ²/2m) ∇²√ρ / √ρ (Bohm's quantum potential), in terms of ρ."""
    f = madelung_fields(dim)
    r = sp.sqrt(f.rho)
    return -(f.hbar**2) / (2 * f.m) * sp.Add(*(sp.diff(r, qi, 2) for qi in f.q)) / r


def continuity_equation(dim: int, *, vector_potential: bool = False) -> sp.Expr:
    """∂_tρ + Σ_i ∂_i(ρ(∂_iS − A_i)/m), which vanishes (paper 000, Eqs. (13), (38))."""
    f = madelung_fields(dim, vector_potential=vector_potential)
    flux = [
        f.rho * (sp.diff(f.S, qi) - ai) / f.m
        for qi, ai in zip(f.q, f.vector_potential, strict=True)
    ]
    return sp.diff(f.rho, f.t) + _div(flux, f.q)


def hamilton_jacobi_equation(
    dim: int, *, vector_potential: bool = False, quantum: bool = False
) -> sp.Expr:
    """∂_tS + Σ(∂_iS − A_i)²/2m + V (+ Q if ``quantum``), which vanishes (Eqs. (16), (44))."""
    f = madelung_fields(dim, vector_potential=vector_potential)
    hj = (
        sp.diff(f.S, f.t)
        + sp.Add(
            *((sp.diff(f.S, qi) - ai) ** 2 for qi, ai in zip(f.q, f.vector_potential, strict=True))
        )
        / (2 * f.m)
        + f.V
    )
    return hj + quantum_potential(dim) if quantum else hj


def _hamiltonian_on_psi(f: MadelungFields, psi: sp.Expr) -> sp.Expr:
    """Ĥψ = Σ(−iħ∂_i − A_i)²ψ/2m + Vψ."""
    out = f.V * psi
    for qi, ai in zip(f.q, f.vector_potential, strict=True):
        inner = -sp.I * f.hbar * sp.diff(psi, qi) - ai * psi
        out += (-sp.I * f.hbar * sp.diff(inner, qi) - ai * inner) / (2 * f.m)
    return out


def _split_real_imag(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Real and imaginary parts of an expression linear in I with real building blocks."""
    e = sp.expand(expr)
    imag = e.coeff(sp.I)
    return sp.expand(e - sp.I * imag), sp.expand(imag)


def madelung_equations(dim: int, *, vector_potential: bool = False) -> tuple[sp.Expr, sp.Expr]:
    """(continuity, quantum HJ) obtained from the Schrödinger equation with ψ = √ρ e^{iS/ħ}.

    (iħ∂_tψ − Ĥψ)/ψ = −(quantum HJ) + (iħ/2ρ)(continuity); the two returned expressions are
    −Re(…) and (2ρ/ħ) Im(…), which equal :func:`hamilton_jacobi_equation` (``quantum=True``) and
    :func:`continuity_equation` identically.
    """
    f = madelung_fields(dim, vector_potential=vector_potential)
    ratio = (sp.I * f.hbar * sp.diff(f.psi, f.t) - _hamiltonian_on_psi(f, f.psi)) / f.psi
    real, imag = _split_real_imag(ratio)
    return sp.expand(2 * f.rho / f.hbar * imag), -real


def schrodinger_residual(dim: int, *, vector_potential: bool = False) -> sp.Expr:
    """(iħ∂_tψ − Ĥψ)/ψ + (quantum HJ) − (iħ/2ρ)(continuity): zero, so for ρ > 0 the Schrödinger
    equation (paper 000, Eq. (45)) holds iff continuity and quantum HJ hold."""
    f = madelung_fields(dim, vector_potential=vector_potential)
    ratio = (sp.I * f.hbar * sp.diff(f.psi, f.t) - _hamiltonian_on_psi(f, f.psi)) / f.psi
    return (
        ratio
        + hamilton_jacobi_equation(dim, vector_potential=vector_potential, quantum=True)
        - sp.I * f.hbar / (2 * f.rho) * continuity_equation(dim, vector_potential=vector_potential)
    )


def identity_eq24(dim: int) -> sp.Matrix:
    """∂_i∂_j√ρ/√ρ − [½ ∂_i∂_jρ/ρ − ¼ ∂_iρ ∂_jρ/ρ²] for all i, j (paper 000, Eq. (24)): zero."""
    f = madelung_fields(dim)
    r = sp.sqrt(f.rho)

    def entry(i, j):
        qi, qj = f.q[i], f.q[j]
        rhs = sp.diff(f.rho, qi, qj) / (2 * f.rho) - sp.diff(f.rho, qi) * sp.diff(f.rho, qj) / (
            4 * f.rho**2
        )
        return sp.diff(r, qi, qj) / r - rhs

    return sp.Matrix(dim, dim, entry)


def xi_average(expr: sp.Expr, xi, moments: dict | None = None) -> sp.Expr:
    """Average a polynomial in ξ (or in several independent ξ's) over their distribution.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in the ξ symbol(s).
    xi : sympy.Symbol or sequence of sympy.Symbol
        The random variable(s); several are taken as independent and identically distributed.
    moments : dict, optional
        Power k → ⟨ξ^k⟩ (default {1: 0, 2: ħ²}, Eq. (7), with ħ the symbol ``hbar``). Higher
        moments are not fixed by the theory: pass them (a symbol such as ``mu4`` is fine).

    Raises
    ------
    ValueError
        If ``expr`` is not a polynomial in ξ, or a power occurs whose moment was not given.
    """
    xis = (xi,) if isinstance(xi, sp.Symbol) else tuple(xi)
    hbar = sp.Symbol("hbar", positive=True)
    table = {0: sp.S.One, 1: sp.S.Zero, 2: hbar**2} if moments is None else {0: sp.S.One, **moments}
    try:
        poly = sp.Poly(sp.expand(expr), *xis)
    except sp.PolynomialError as err:
        raise ValueError(f"expr must be a polynomial in {xis}: {err}") from None
    total = sp.S.Zero
    for powers, coeff in poly.terms():
        factor = sp.S.One
        for k in powers:
            if k not in table:
                raise ValueError(
                    f"<xi^{k}> is needed but not given: pass moments={{..., {k}: value}} "
                    "(Eq. (7) fixes only the first two moments)."
                )
            factor *= table[k]
        total += coeff * factor
    return sp.expand(total)


def epistemic_momenta(f: MadelungFields, *, separable: bool = False) -> tuple[tuple, tuple]:
    """p_i = ∂_iS + (ξ/2)∂_iρ/ρ (Eq. (6)); returns (momenta, xi symbols).

    One shared ξ (the paper's nonseparable ontic extension), or one ξ_i per degree of freedom
    when ``separable``.
    """
    d = len(f.q)
    xis = sp.symbols(f"xi1:{d + 1}", real=True) if separable else (sp.Symbol("xi", real=True),)
    momenta = tuple(
        sp.diff(f.S, qi) + (xis[i] if separable else xis[0]) / 2 * sp.diff(f.rho, qi) / f.rho
        for i, qi in enumerate(f.q)
    )
    return momenta, xis


def _check_quadratic(hamiltonian: sp.Expr, momenta_symbols) -> None:
    poly = sp.Poly(sp.expand(hamiltonian), *momenta_symbols)
    if poly.total_degree() > 2:
        raise ValueError(
            "hamiltonian must be at most quadratic in the momenta (Theorems 1-3 of paper 000 are "
            f"stated only up to second order); its degree is {poly.total_degree()}."
        )


def ensemble_energy_density(
    hamiltonian: sp.Expr,
    f: MadelungFields,
    *,
    momenta_symbols,
    separable: bool = False,
    epistemic: bool = True,
) -> sp.Expr:
    """ρ⟨H(p, q)⟩_ξ: Eq. (40) with the restriction (``epistemic``), else ρ H(∇S, q) (Eq. (14)).

    Raises
    ------
    ValueError
        If ``hamiltonian`` is not a polynomial of degree ≤ 2 in ``momenta_symbols``.
    """
    _check_quadratic(hamiltonian, momenta_symbols)
    if epistemic:
        momenta, xis = epistemic_momenta(f, separable=separable)
        subs = dict(zip(momenta_symbols, momenta, strict=True))
        return sp.expand(f.rho * xi_average(hamiltonian.subs(subs), xis))
    subs = {p: sp.diff(f.S, qi) for p, qi in zip(momenta_symbols, f.q, strict=True)}
    return sp.expand(f.rho * hamiltonian.subs(subs))


def energy_conservation(
    hamiltonian: sp.Expr,
    f: MadelungFields,
    *,
    momenta_symbols,
    separable: bool = False,
    epistemic: bool = True,
) -> EnergyBalance:
    """Derive the dynamical law from conservation of probability and of ⟨H⟩ (Theorems 1 and 3).

    With e(ρ, ∇ρ, ∇S, q) = ρ⟨H⟩_ξ, the product rule gives
    ∂_t e = ∂_tρ [∂e/∂ρ − ∇·∂e/∂∇ρ] + ∇·F − ∂_tS ∇·(∂e/∂∇S), with ∂e/∂(∂_iS) = ρ v_i, and the
    continuity equation ∂_tρ = −∇·(ρv) turns the last term into ∂_tS ∂_tρ. So ∫∂_t e dq =
    ∫∂_tρ · B dq with B = ∂_tS + δE/δρ, and ⟨H⟩ is conserved for every ∂_tρ iff B = 0.

    Parameters
    ----------
    hamiltonian : sympy expression
        H(p, q) in ``momenta_symbols`` and the coordinates ``f.q`` (degree ≤ 2 in p).
    f : MadelungFields
        From :func:`madelung_fields`.
    momenta_symbols : sequence of sympy.Symbol
        p_1…p_d, in the order of ``f.q``.
    separable : bool
        Independent ξ_i per degree of freedom instead of one shared ξ.
    epistemic : bool
        Use the restriction p = ∇S + (ξ/2)∇ρ/ρ (Theorem 3); False gives p = ∇S (Theorem 1).

    Returns
    -------
    EnergyBalance

    Raises
    ------
    ValueError
        If ``hamiltonian`` is of degree > 2 in the momenta, or ``momenta_symbols`` does not
        have one symbol per coordinate.
    """
    if len(momenta_symbols) != len(f.q):
        raise ValueError(
            f"momenta_symbols needs one symbol per coordinate ({len(f.q)}); "
            f"got {len(momenta_symbols)}."
        )
    e = ensemble_energy_density(
        hamiltonian, f, momenta_symbols=momenta_symbols, separable=separable, epistemic=epistemic
    )
    d = len(f.q)
    r0 = sp.Dummy("r0", positive=True)
    r = sp.symbols(f"_r1:{d + 1}", cls=sp.Dummy)
    s = sp.symbols(f"_s1:{d + 1}", cls=sp.Dummy)
    to_sym = {sp.diff(f.rho, qi): ri for qi, ri in zip(f.q, r, strict=True)}
    to_sym |= {sp.diff(f.S, qi): si for qi, si in zip(f.q, s, strict=True)}
    e_sym = e.subs(to_sym).subs(f.rho, r0)
    if e_sym.has(f.rho) or e_sym.has(f.S):
        raise ValueError("the energy density depends on more than rho, grad rho and grad S.")
    back = {v: k for k, v in to_sym.items()} | {r0: f.rho}

    def partial(symbol):
        return sp.diff(e_sym, symbol).subs(back)

    e_rho = partial(r0)
    e_grad_rho = [partial(ri) for ri in r]
    e_grad_s = [partial(si) for si in s]
    velocity = tuple(sp.expand(x / f.rho) for x in e_grad_s)
    rho_t, s_t = sp.diff(f.rho, f.t), sp.diff(f.S, f.t)
    continuity = rho_t + _div(e_grad_s, f.q)
    equation = s_t + e_rho - _div(e_grad_rho, f.q)
    flux = tuple(er * rho_t + es * s_t for er, es in zip(e_grad_rho, e_grad_s, strict=True))
    integrand = sp.diff(e, f.t)
    residual = integrand - rho_t * equation - _div(flux, f.q) + s_t * continuity
    return EnergyBalance(velocity, continuity, e, integrand, flux, equation, residual)


def theorem2_residual(dim: int) -> sp.Expr:
    """ψ*Ôψ − ρ⟨O⟩_ξ − ∇·F for O = ½Σg_ij(p_i − A_i)(p_j − A_j) + V (paper 000, Eqs. (20)–(32)).

    Ô = ½Σ(p̂_i − A_i) g_ij (p̂_j − A_j) + V with the metric sandwiched (Eq. (28)), g_ij(q) a
    general symmetric matrix of functions, and F_i = −(iħ/2) ψ* Σ_j g_ij (p̂_j − A_j)ψ. The
    residual vanishes identically, so ∫ρ⟨O⟩_ξ = ⟨ψ|Ô|ψ⟩ (Theorem 2, real part) and Im ψ*Ôψ is a
    pure divergence (Eq. (32)).
    """
    dim = _check_dim(dim)
    q = sp.symbols(f"q1:{dim + 1}", real=True)
    hbar = sp.Symbol("hbar", positive=True)
    amp = sp.Function("R", positive=True)(*q)
    phase = sp.Function("S", real=True)(*q)
    v = sp.Function("V", real=True)(*q)
    a = [sp.Function(f"A{i + 1}", real=True)(*q) for i in range(dim)]
    g = [[None] * dim for _ in range(dim)]
    for i, j in itertools.combinations_with_replacement(range(dim), 2):
        g[i][j] = g[j][i] = sp.Function(f"g{i + 1}{j + 1}", real=True)(*q)
    psi = amp * sp.exp(sp.I * phase / hbar)
    psi_c = amp * sp.exp(-sp.I * phase / hbar)

    def kinetic_momentum(j, field):
        return -sp.I * hbar * sp.diff(field, q[j]) - a[j] * field

    pi_psi = [kinetic_momentum(j, psi) for j in range(dim)]
    inner = [sp.Add(*(g[i][j] * pi_psi[j] for j in range(dim))) for i in range(dim)]
    o_psi = sp.Add(*(kinetic_momentum(i, inner[i]) for i in range(dim))) / 2 + v * psi
    quantum = psi_c * o_psi
    rho = amp**2
    xi = sp.Symbol("xi", real=True)
    p = [sp.diff(phase, q[i]) + xi / 2 * sp.diff(rho, q[i]) / rho for i in range(dim)]
    classical = (
        sp.Add(*(g[i][j] * (p[i] - a[i]) * (p[j] - a[j]) for i in range(dim) for j in range(dim)))
        / 2
        + v
    )
    ensemble = rho * xi_average(classical, xi)
    flux = [-sp.I * hbar / 2 * psi_c * inner[i] for i in range(dim)]
    return sp.expand(quantum - ensemble - _div(flux, q))


def fourth_moment_dependence() -> sp.Expr:
    """E_ξ[p⁴] at a point q, for one degree of freedom, with ⟨ξ³⟩ = 0 and ⟨ξ⁴⟩ = μ4 left free.

    Returns (∂S)⁴ + 6ħ²(∂S)²w² + μ4 w⁴ with w = ∂ρ/2ρ written out (μ4 the symbol ``mu4``):
    beyond second order the ensemble average depends on the shape of μ(ξ), which Eq. (7) leaves
    free.
    """
    f = madelung_fields(1)
    (p,), (xi,) = epistemic_momenta(f)
    mu4 = sp.Symbol("mu4", positive=True)
    return sp.collect(xi_average(p**4, xi, {1: 0, 2: f.hbar**2, 3: 0, 4: mu4}), mu4)


def measurement_derivation() -> MeasurementDerivation:
    """Theorem 3 for the measurement of l_z by a pointer, H_I = g (x p_y − y p_x) p_Σ.

    Coordinates (x, y, q_Σ) are q1, q2, q3 of :func:`madelung_fields` (3). Checks that a shared ξ
    gives Eq. (53), ∂_tS + g(x∂_yS − y∂_xS)∂_ΣS − għ²(x∂_y∂_Σ√ρ − y∂_x∂_Σ√ρ)/√ρ = 0, that
    independent ξ's give the classical Eq. (57) (the ħ² term drops), and that Eq. (53) with its
    continuity equation is the Madelung form of iħ∂_tψ = g l̂_z p̂_Σ ψ (Eqs. (54)–(55)).
    """
    f = madelung_fields(3)
    x, y, qs = f.q
    g = sp.Symbol("g", real=True)
    px, py, ps = sp.symbols("p_x p_y p_Sigma", real=True)
    h_int = g * (x * py - y * px) * ps
    shared = energy_conservation(h_int, f, momenta_symbols=(px, py, ps))
    apart = energy_conservation(h_int, f, momenta_symbols=(px, py, ps), separable=True)
    r = sp.sqrt(f.rho)
    s_x, s_y, s_s = (sp.diff(f.S, c) for c in f.q)
    classical = sp.diff(f.S, f.t) + g * (x * s_y - y * s_x) * s_s
    eq53 = classical - g * f.hbar**2 * (x * sp.diff(r, y, qs) - y * sp.diff(r, x, qs)) / r

    def lz_p(field):
        p_hat = [-sp.I * f.hbar * sp.diff(field, c) for c in f.q]
        lz = x * p_hat[1] - y * p_hat[0]
        return g * (-sp.I * f.hbar) * sp.diff(lz, qs)

    ratio = (sp.I * f.hbar * sp.diff(f.psi, f.t) - lz_p(f.psi)) / f.psi
    recast = ratio + shared.equation - sp.I * f.hbar / (2 * f.rho) * shared.continuity
    return MeasurementDerivation(
        coordinates=f.q,
        hamiltonian=h_int,
        nonseparable=shared.equation,
        separable=apart.equation,
        nonseparable_matches_eq53=sp.simplify(shared.equation - eq53) == 0,
        separable_matches_eq57=sp.simplify(apart.equation - classical) == 0,
        schrodinger_recast=sp.simplify(recast) == 0,
    )
