"""Boson operator ordering, Wick and anti-Wick symbols, and the Husimi Fokker–Planck structure.

Paper 002: "Can quantum field theory be recovered from time-symmetric stochastic mechanics?
Part I: Generalizing the Liouville equation" (Sections III–V and Appendix A). The module gives
the symbolic machinery behind its claims, as functions that return sympy expressions:

- exact normal and anti-normal ordering of polynomials in any number of boson modes with
  [a_i, a_j†] = δ_ij (:func:`normal_order`, :func:`anti_normal_order`);
- the Wick (normal) and anti-Wick (anti-normal) symbols, a → α, a† → α*, and their inverses
  (:func:`wick_symbol`, :func:`anti_wick_symbol`, :func:`operator_from_wick`,
  :func:`operator_from_anti_wick`), and the maps between the two symbols
  (:func:`wick_from_anti_wick`, :func:`anti_wick_from_wick`);
- the Husimi evolution equation written with the anti-Wick symbol, Eq. (63), order by order
  (:func:`husimi_generator`), its truncation condition Eq. (64) (:func:`satisfies_fp_truncation`)
  and the generalised diffusion matrix in complex and real coordinates, Eqs. (35), (40)–(42),
  (52) and Appendix A (:func:`diffusion_matrix`, :func:`diffusion_from_hessian`), with the
  energy balance of constraint C5, Eq. (39) (:func:`energy_change`);
- the bridge to the numerics of :mod:`qfcore.phase_space` (:func:`anti_wick_coefficients`) and
  random real test symbols (:func:`random_real_symbol`);
- the paper's example Hamiltonians: Bose–Hubbard Eq. (67) (:func:`bose_hubbard`, :func:`kerr`),
  the single-mode complex scalar ("Higgs-like") field of Eqs. (70)–(72) (:func:`higgs_like`), a
  homogeneous SU(2) gauge field (:func:`gauge_like`) and a cubic mode coupling
  (:func:`cubic_coupling`).

Conventions. ħ = κ = 1, so α_i is the eigenvalue of a_i and, with Eq. (48),
α_i = (Q_i + iP_i)/√2 in the dimensionless real coordinates Q_i, P_i of Eq. (46). Operators are
``sympy.physics.quantum.boson.BosonOp`` objects from :func:`boson_operators` (mode i is
``a_i``, i = 1…N); symbols are polynomials in the independent commuting symbols α_i, α_i* of
:func:`phase_space_symbols`. Any other commutative sympy symbol (J, U, λ, …) is a parameter.

Ordering algorithm. Operators of different modes commute, so a word factorises into one word
per mode. A single-mode word is multiplied in from the left, one operator at a time, onto a
polynomial kept in the target order, with the exact rules
a†^k a^l · a† = a†^{k+1} a^l + l a†^k a^{l−1} (normal order) and
a^l a†^k · a = a^{l+1} a†^k − k a^l a†^{k−1} (anti-normal order); the per-mode results are
multiplied as commuting polynomials. Integer arithmetic only, so the result is exact; the cost
is linear in the word length times the number of terms. sympy's
``operatorordering.normal_ordered_form`` gives the same normal order (the tests check it) but
does not expand powers of products such as (a†a)², and sympy has no anti-normal ordering, so
the algorithm above is used for both orders.

Symbols. For a polynomial operator A the anti-Wick symbol A_aw is the function whose
anti-Wick (Berezin–Toeplitz) quantisation ∫ A_aw(α) |α⟩⟨α| d²α/π^N is A (Eq. (62)), so that
⟨A⟩ = ∫ A_aw Q d²α with the Husimi function Q = ⟨α|ρ|α⟩/π^N (Eqs. (60)–(61)); the Wick symbol
A_w(α) = ⟨α|A|α⟩ is the coherent-state expectation value. They are related by the heat
operator, A_w = exp(Σ_i ∂²/∂α_i∂α_i*) A_aw (F. A. Berezin, Math. USSR Izv. 8, 1109 (1974);
G. S. Agarwal and E. Wolf, Phys. Rev. D 2, 2161 (1970)).

Husimi evolution (re-derived here; ħ = 1). With a ρ ↔ (α + ∂_{α*}) Q, a† ρ ↔ α* Q,
ρ a ↔ α Q and ρ a† ↔ (α* + ∂_α) Q one finds, for H with anti-Wick symbol h,

    ∂Q/∂t = −i Σ_{|m|≥1} (1/m!) [∂^m_{α*}((∂^m_α h) Q) − ∂^m_α((∂^m_{α*} h) Q)],     (63)

with multi-indices m. Only *pure* derivatives ∂^m_α h and ∂^m_{α*} h occur, so the series
stops at second order (Fokker–Planck form, Eq. (65)) if and only if every third derivative of
h with respect to three α's, and every one with respect to three α*'s, vanishes — that is
Eq. (64); mixed derivatives such as ∂³h/∂α²∂α* (nonzero for |α|⁴) do not matter. The
series stops after order max(deg_α h, deg_{α*} h), the total degrees in the α's and α*'s;
the paper's sentence after Eq. (63), that degree ≤ d in each variable separately cuts it at
|m| ≤ d, holds for one mode only (α_1 α_2 α_3 has degree 1 in each variable but a third-order
term).

Diffusion matrix (re-derived with sympy; ħ = κ = 1 unless stated). Write the second-order
part of the evolution as ∂_tρ = (i/2) Σ_{a,b} ∂_{z_a}∂_{z_b}(D_ab ρ) with z = (α, α*). The
Husimi equation gives D^{αα}_ij = C ∂²H/∂α_i*∂α_j* (the *conjugate* derivatives multiply
∂²/∂α_i∂α_j), D^{α*α*}_ij = −C ∂²H/∂α_i∂α_j, D^{αα*} = D^{α*α} = 0 (Eqs. (35), (40)–(42)),
with C = 1 (Eq. (66)). The conjugate derivatives are forced by energy conservation, Eq. (39):
Σ_ij [H_{α_iα_j} D^{αα}_ij − c.c.] = 0 holds for D^{αα} = C H_{α*α*} with real C but not for
D^{αα} = C H_{αα}; Appendix A (Eqs. (A3)–(A4)) also uses the conjugate derivatives. In real
dimensionless coordinates z = (Q_1…Q_N, P_1…P_N), writing ∂_tρ = (1/2) Σ ∂_{z_a}∂_{z_b}(D_ab ρ),
the same term is D = (ħC/(2κ²)) [H̃″, J] (Eq. (52), Appendix A), i.e. D = (C/2)[H̃″, J] here,
with H̃″ the Hessian of H in (Q, P) and J = [[0, I], [−I, 0]] (Eq. (51)). The blocks are
D_QQ = −(C/2)B, D_PP = (C/2)B, D_QP = D_PQ = (C/2)A with A = H̃″_QQ − H̃″_PP,
B = H̃″_QP + H̃″_PQ (Eqs. (A14)–(A16)). Consequently Tr D = 0 (Eq. (53)) and DJ = −JD.
"""

from __future__ import annotations

import itertools
import math
import numbers
import random
import re
from collections import defaultdict
from functools import cache
from typing import NamedTuple

import numpy as np
import sympy as sp
from sympy.physics.quantum import Dagger
from sympy.physics.quantum.boson import BosonOp

from qfcore._checks import count

__all__ = [
    "TruncationCheck",
    "adjoint_generator",
    "anti_normal_order",
    "anti_wick_coefficients",
    "anti_wick_from_wick",
    "anti_wick_symbol",
    "bose_hubbard",
    "boson_operators",
    "coherent_average",
    "cubic_coupling",
    "derive_offdiagonal_diffusion",
    "diffusion_from_hessian",
    "diffusion_matrix",
    "diffusion_term",
    "energy_change",
    "gauge_like",
    "higgs_like",
    "husimi_generator",
    "kerr",
    "normal_order",
    "operator_from_anti_wick",
    "operator_from_wick",
    "phase_space_symbols",
    "random_real_symbol",
    "real_phase_space_symbols",
    "satisfies_fp_truncation",
    "symplectic_matrix",
    "to_real_coordinates",
    "wick_from_anti_wick",
    "wick_symbol",
]

_OP_NAME = re.compile(r"a_([1-9][0-9]*)")
_ALPHA_NAME = re.compile(r"alpha_([1-9][0-9]*)(\^\*)?")
_ORDERINGS = ("anti_wick", "wick")
_FORMS = ("complex", "real")


# ---------------------------------------------------------------------------------------------
# symbols and operators


@cache
def _alpha(i: int) -> sp.Symbol:
    return sp.Symbol(f"alpha_{i}")


@cache
def _alpha_conj(i: int) -> sp.Symbol:
    return sp.Symbol(f"alpha_{i}^*")


@cache
def _op(i: int) -> BosonOp:
    return BosonOp(f"a_{i}")


def phase_space_symbols(n_modes: int) -> tuple[tuple, tuple]:
    """The phase-space symbols every Wick / anti-Wick symbol of this module is written in.

    Parameters
    ----------
    n_modes : int
        Number of boson modes N ≥ 1.

    Returns
    -------
    (alphas, alpha_conjs) : tuple of tuple of sympy.Symbol
        ``alphas[i-1]`` is α_i and ``alpha_conjs[i-1]`` is α_i*, i = 1…N: independent commuting
        complex symbols (Wirtinger variables), named ``alpha_i`` and ``alpha_i^*``. The same
        objects are returned on every call.

    Raises
    ------
    TypeError, ValueError
        If ``n_modes`` is not an int ≥ 1.
    """
    n = count(n_modes, "n_modes", 1)
    return tuple(_alpha(i) for i in range(1, n + 1)), tuple(_alpha_conj(i) for i in range(1, n + 1))


def boson_operators(n_modes: int) -> tuple:
    """Annihilation operators a_1…a_N matching :func:`phase_space_symbols`.

    Parameters
    ----------
    n_modes : int
        Number of boson modes N ≥ 1.

    Returns
    -------
    tuple of sympy.physics.quantum.boson.BosonOp
        ``BosonOp("a_i")``, i = 1…N; creation operators are ``Dagger(a_i)``. Mode i pairs with
        α_i (a_i → α_i, a_i† → α_i* in the symbols).

    Raises
    ------
    TypeError, ValueError
        If ``n_modes`` is not an int ≥ 1.
    """
    n = count(n_modes, "n_modes", 1)
    return tuple(_op(i) for i in range(1, n + 1))


def real_phase_space_symbols(n_modes: int) -> tuple[tuple, tuple]:
    """Real dimensionless coordinates (Q_1…Q_N), (P_1…P_N) of Eq. (46), α_i = (Q_i + iP_i)/√2.

    Parameters
    ----------
    n_modes : int
        Number of modes N ≥ 1.

    Returns
    -------
    (Qs, Ps) : tuple of tuple of sympy.Symbol
        Real symbols ``Q_i``, ``P_i``.

    Raises
    ------
    TypeError, ValueError
        If ``n_modes`` is not an int ≥ 1.
    """
    n = count(n_modes, "n_modes", 1)
    return (
        tuple(sp.Symbol(f"Q_{i}", real=True) for i in range(1, n + 1)),
        tuple(sp.Symbol(f"P_{i}", real=True) for i in range(1, n + 1)),
    )


def symplectic_matrix(n_modes: int) -> sp.Matrix:
    """The 2N × 2N symplectic matrix J = [[0, I_N], [−I_N, 0]] of Eq. (51).

    Parameters
    ----------
    n_modes : int
        Number of modes N ≥ 1.

    Returns
    -------
    sympy.Matrix
        J in the coordinate order (Q_1…Q_N, P_1…P_N); J² = −I.

    Raises
    ------
    TypeError, ValueError
        If ``n_modes`` is not an int ≥ 1.
    """
    n = count(n_modes, "n_modes", 1)
    eye, zero = sp.eye(n), sp.zeros(n)
    return sp.Matrix(sp.BlockMatrix([[zero, eye], [-eye, zero]]))


def to_real_coordinates(symbol, *, n_modes: int | None = None) -> sp.Expr:
    """A phase-space function of (α, α*) rewritten in (Q, P): α_i = (Q_i + iP_i)/√2 (Eq. (48)).

    Parameters
    ----------
    symbol : sympy expression
        Polynomial in the symbols of :func:`phase_space_symbols`.
    n_modes : int, optional
        Number of modes (default: the largest mode index in ``symbol``, at least 1).

    Returns
    -------
    sympy.Expr
        Expanded expression in the symbols of :func:`real_phase_space_symbols`.

    Raises
    ------
    TypeError, ValueError
        As :func:`satisfies_fp_truncation` for an argument that is not a polynomial symbol.
    """
    expr, n = _symbol_input(symbol, n_modes, "symbol")
    alphas, conjs = phase_space_symbols(n)
    qs, ps = real_phase_space_symbols(n)
    sub = {}
    for a, ac, q, p in zip(alphas, conjs, qs, ps, strict=True):
        sub[a] = (q + sp.I * p) / sp.sqrt(2)
        sub[ac] = (q - sp.I * p) / sp.sqrt(2)
    return sp.expand(expr.xreplace(sub))


# ---------------------------------------------------------------------------------------------
# input checks


def _mode_index(op, modes: dict | None) -> tuple[int, bool]:
    """(mode index, is_creation) of a BosonOp, or ValueError naming the fix."""
    if not isinstance(op, BosonOp):
        raise TypeError(
            f"expr contains {op!r} ({type(op).__name__}), which is not a boson operator; "
            "build operators from boson_operators(n_modes) and Dagger (call .doit() on "
            "commutators first)."
        )
    creation = not op.is_annihilation
    base = BosonOp(op.name)
    if modes is not None:
        if base not in modes:
            raise ValueError(
                f"operator {base} is not in modes; add it to modes or build the expression "
                "from boson_operators(n_modes)."
            )
        return modes[base], creation
    match = _OP_NAME.fullmatch(str(op.name))
    if match is None or _op(int(match.group(1))) != base:
        raise ValueError(
            f"operator {base} is not one of boson_operators(n_modes) (named a_1, a_2, …); "
            "build the expression from boson_operators(n_modes) or pass modes=(…)."
        )
    return int(match.group(1)), creation


def _phase_space_symbols_in(expr) -> dict:
    """{symbol: (mode index, is_conjugate)} for the α / α* symbols that occur in expr."""
    found = {}
    for s in expr.free_symbols:
        match = _ALPHA_NAME.fullmatch(s.name) if isinstance(s, sp.Symbol) else None
        if match is None:
            continue
        i, conj = int(match.group(1)), match.group(2) is not None
        if s == (_alpha_conj(i) if conj else _alpha(i)):
            found[s] = (i, conj)
    return found


def _sympify(expr, name: str) -> sp.Expr:
    if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, numbers.Number)):
        raise TypeError(
            f"{name} must be a sympy expression (or a number); got {type(expr).__name__}."
        )
    return sp.sympify(expr)


def _mode_map(modes) -> dict | None:
    if modes is None:
        return None
    if isinstance(modes, BosonOp):
        modes = (modes,)
    try:
        ops = list(modes)
    except TypeError:
        raise TypeError("modes must be a sequence of BosonOp annihilation operators.") from None
    out = {}
    for k, op in enumerate(ops, start=1):
        if not isinstance(op, BosonOp) or not op.is_annihilation:
            raise TypeError(
                f"modes[{k - 1}] must be an annihilation BosonOp (not its Dagger); got {op!r}."
            )
        if op in out:
            raise ValueError(f"modes lists {op} twice; each mode must appear once.")
        out[op] = k
    if not out:
        raise ValueError("modes must list at least one annihilation operator.")
    return out


def _operator_terms(expr, name: str, modes=None):
    """Parse a boson polynomial into [(coefficient, [(mode, is_creation, power), …]), …]."""
    expr = _sympify(expr, name)
    mode_map = _mode_map(modes)
    if _phase_space_symbols_in(expr):
        raise TypeError(
            f"{name} contains phase-space symbols α/α*; it is a symbol, not an operator: "
            "use operator_from_anti_wick / operator_from_wick to turn it into an operator."
        )
    terms = []
    for term in sp.Add.make_args(sp.expand(expr)):
        c_part, nc_part = term.args_cnc()
        coeff = sp.Mul(*c_part)
        if any(isinstance(a, BosonOp) for a in sp.preorder_traversal(coeff)):
            raise ValueError(f"{name}: a boson operator occurs inside a commutative factor.")
        word = []
        for factor in nc_part:
            base, power = (factor.base, factor.exp) if isinstance(factor, sp.Pow) else (factor, 1)
            if not (isinstance(power, (int, sp.Integer)) and int(power) >= 0):
                raise ValueError(
                    f"{name} is not a polynomial in the boson operators: it contains {factor} "
                    "(only non-negative integer powers are allowed)."
                )
            mode, creation = _mode_index(base, mode_map)
            word.append((mode, creation, int(power)))
        terms.append((coeff, word))
    n_max = max((m for _, w in terms for m, _, _ in w), default=0)
    n_modes = len(mode_map) if mode_map is not None else max(n_max, 1)
    return terms, n_modes


def _symbol_input(symbol, n_modes, name: str):
    """(expanded expression, N) for a polynomial phase-space symbol, else TypeError/ValueError."""
    expr = _sympify(symbol, name)
    if any(isinstance(a, BosonOp) for a in sp.preorder_traversal(expr)) or not expr.is_commutative:
        raise TypeError(
            f"{name} contains operators; pass its symbol instead, e.g. anti_wick_symbol(H)."
        )
    found = _phase_space_symbols_in(expr)
    n_found = max((i for i, _ in found.values()), default=1)
    if n_modes is None:
        n = n_found
    else:
        n = count(n_modes, "n_modes", 1)
        if n < n_found:
            raise ValueError(
                f"n_modes = {n} but {name} contains mode {n_found}; pass n_modes >= {n_found}."
            )
    alphas, conjs = phase_space_symbols(n)
    gens = alphas + conjs
    if expr.free_symbols & set(gens) and expr.as_poly(*gens) is None:
        raise ValueError(
            f"{name} is not a polynomial in the phase-space symbols α, α* "
            "(negative, fractional or transcendental dependence); the ordering maps are "
            "defined here for polynomials only."
        )
    return sp.expand(expr), n


# ---------------------------------------------------------------------------------------------
# ordering kernels (exact integer arithmetic on {(p, k): c} = Σ c α^p α*^k)


def _single_mode(word, anti: bool) -> dict:
    """Order one mode's word [(is_creation, power), …]; {(p, k): int} with p = #a, k = #a†."""
    poly = {(0, 0): 1}
    for creation, power in word:
        for _ in range(power):
            new: dict = defaultdict(int)
            for (p, k), c in poly.items():
                if anti and creation:  # a^p a†^k · a†
                    new[(p, k + 1)] += c
                elif anti:  # a^p a†^k · a = a^{p+1} a†^k − k a^p a†^{k−1}
                    new[(p + 1, k)] += c
                    if k:
                        new[(p, k - 1)] -= k * c
                elif creation:  # a†^k a^p · a† = a†^{k+1} a^p + p a†^k a^{p−1}
                    new[(p, k + 1)] += c
                    if p:
                        new[(p - 1, k)] += p * c
                else:  # a†^k a^p · a
                    new[(p + 1, k)] += c
            poly = {key: c for key, c in new.items() if c}
    return poly


def _ordered_symbol(expr, anti: bool, name: str, modes=None) -> tuple[sp.Expr, int]:
    terms, n = _operator_terms(expr, name, modes)
    alphas, conjs = phase_space_symbols(n)
    out = []
    for coeff, word in terms:
        per_mode: dict = defaultdict(list)
        for mode, creation, power in word:
            per_mode[mode].append((creation, power))
        product = coeff
        for mode, mode_word in per_mode.items():
            poly = _single_mode(mode_word, anti)
            a, ac = alphas[mode - 1], conjs[mode - 1]
            product *= sp.Add(*(c * a**p * ac**k for (p, k), c in poly.items()))
        out.append(product)
    return sp.expand(sp.Add(*out)), n


def _operator_from_symbol(symbol, anti: bool, n_modes, name: str) -> sp.Expr:
    expr, n = _symbol_input(symbol, n_modes, name)
    alphas, conjs = phase_space_symbols(n)
    ops = boson_operators(n)
    poly = sp.Poly(expr, *alphas, *conjs)
    out = []
    for monom, coeff in poly.terms():
        ann = [ops[i] ** monom[i] for i in range(n) if monom[i]]
        cre = [Dagger(ops[i]) ** monom[n + i] for i in range(n) if monom[n + i]]
        out.append(sp.Mul(coeff, *(ann + cre if anti else cre + ann)))
    return sp.Add(*out)


# ---------------------------------------------------------------------------------------------
# public ordering API


def anti_wick_symbol(expr, *, modes=None) -> sp.Expr:
    """Anti-Wick symbol of a boson polynomial: anti-normal order, then a_i → α_i, a_i† → α_i*.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in the operators of :func:`boson_operators` and their ``Dagger``, with
        commutative coefficients (numbers or parameter symbols).
    modes : sequence of BosonOp, optional
        Annihilation operators to use as modes 1, 2, … when ``expr`` is built from other
        ``BosonOp`` objects.

    Returns
    -------
    sympy.Expr
        Expanded polynomial in the symbols of :func:`phase_space_symbols`. It is the function
        A_aw with ⟨A⟩ = ∫ A_aw(α, α*) Q(α) d²ᴺα for the Husimi function Q (Eqs. (61)–(62)).
        Exact (integer commutator arithmetic).

    Raises
    ------
    TypeError
        If ``expr`` is not a sympy expression, or contains something that is not a boson
        operator, or contains phase-space symbols.
    ValueError
        If ``expr`` has negative or symbolic powers of operators, or operators outside
        :func:`boson_operators` / ``modes``.
    """
    return _ordered_symbol(expr, True, "expr", modes)[0]


def anti_wick_coefficients(expr, *, values=None, n_modes: int | None = None) -> dict:
    """The anti-Wick symbol of an operator as the coefficient dict of :mod:`qfcore.phase_space`.

    :func:`anti_wick_symbol` followed by ``phase_space.symbol_from_sympy`` with the symbols of
    :func:`phase_space_symbols`: the form {(p, q): c} (one mode) or {((p_1…), (q_1…)): c}
    taken by ``phase_space.fock_matrix_from_anti_wick``, ``husimi_series_term``,
    ``fokker_planck_rhs`` and ``truncated_generator``.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in the boson operators of :func:`boson_operators`.
    values : dict, optional
        Numbers for the parameters of ``expr`` (e.g. ``{U: 1}``), substituted into the
        operator before it is ordered; the dict form needs numeric coefficients.
    n_modes : int, optional
        Number of modes (default: the largest mode index in ``expr``, at least 1).

    Returns
    -------
    dict
        ``{(p, q): complex}`` for one mode, ``{((p_1…p_N), (q_1…q_N)): complex}`` otherwise.

    Raises
    ------
    TypeError, ValueError
        As :func:`anti_wick_symbol`; ValueError if a parameter is left without a value (the
        message says to substitute the parameters first).

    Examples
    --------
    >>> (a,) = boson_operators(1)
    >>> anti_wick_coefficients(Dagger(a) * a)  # a†a = aa† − 1 ↔ |α|² − 1
    {(1, 1): (1+0j), (0, 0): (-1+0j)}
    """
    from qfcore.phase_space import symbol_from_sympy  # local: numerics only needed here

    if values is not None:
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict {{parameter: number}}; got {type(values)}.")
        expr = _sympify(expr, "expr").subs(values)
    symbol, n = _symbol_input(anti_wick_symbol(expr), n_modes, "expr")
    return symbol_from_sympy(symbol, *phase_space_symbols(n))


def wick_symbol(expr, *, modes=None) -> sp.Expr:
    """Wick (normal-order) symbol of a boson polynomial: A_w(α, α*) = ⟨α|A|α⟩.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in boson operators (see :func:`anti_wick_symbol`).
    modes : sequence of BosonOp, optional
        As in :func:`anti_wick_symbol`.

    Returns
    -------
    sympy.Expr
        Expanded polynomial in α, α* obtained by normal ordering (creators left) and
        a_i → α_i, a_i† → α_i*. Exact.

    Raises
    ------
    TypeError, ValueError
        As :func:`anti_wick_symbol`.
    """
    return _ordered_symbol(expr, False, "expr", modes)[0]


def anti_normal_order(expr, *, modes=None) -> sp.Expr:
    """Exact anti-normal order: every annihilator left of every creator, [a_i, a_j†] = δ_ij.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in boson operators (see :func:`anti_wick_symbol`).
    modes : sequence of BosonOp, optional
        As in :func:`anti_wick_symbol`.

    Returns
    -------
    sympy.Expr
        Σ c · a_1^{l_1}…a_N^{l_N} a_1†^{k_1}…a_N†^{k_N}, in the operators of
        :func:`boson_operators` (mode order 1…N within each block), equal to ``expr`` as an
        operator. Example: a a† stays, a† a → a a† − 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`anti_wick_symbol`.
    """
    symbol, n = _ordered_symbol(expr, True, "expr", modes)
    return _operator_from_symbol(symbol, True, n, "expr")


def normal_order(expr, *, modes=None) -> sp.Expr:
    """Exact normal order: every creator left of every annihilator, [a_i, a_j†] = δ_ij.

    Unlike ``sympy.physics.quantum.operatorordering.normal_order`` (which only moves the
    operators, as inside :…:), the commutator terms are kept, as in sympy's
    ``normal_ordered_form``; powers of products such as (a†a)² are expanded first.

    Parameters
    ----------
    expr : sympy expression
        Polynomial in boson operators (see :func:`anti_wick_symbol`).
    modes : sequence of BosonOp, optional
        As in :func:`anti_wick_symbol`.

    Returns
    -------
    sympy.Expr
        Σ c · a_1†^{k_1}…a_N†^{k_N} a_1^{l_1}…a_N^{l_N}, equal to ``expr`` as an operator.

    Raises
    ------
    TypeError, ValueError
        As :func:`anti_wick_symbol`.
    """
    symbol, n = _ordered_symbol(expr, False, "expr", modes)
    return _operator_from_symbol(symbol, False, n, "expr")


def operator_from_anti_wick(symbol, *, n_modes: int | None = None) -> sp.Expr:
    """The operator whose anti-Wick symbol is ``symbol`` (anti-Wick quantisation, Eq. (62)).

    Parameters
    ----------
    symbol : sympy expression
        Polynomial in the symbols of :func:`phase_space_symbols`.
    n_modes : int, optional
        Number of modes (default: the largest mode index in ``symbol``, at least 1).

    Returns
    -------
    sympy.Expr
        α_i^l α_i*^k → a_i^l a_i†^k, annihilators left, in :func:`boson_operators`.

    Raises
    ------
    TypeError
        If ``symbol`` is not a sympy expression or contains operators.
    ValueError
        If ``symbol`` is not a polynomial in α, α*, or ``n_modes`` is smaller than the largest
        mode index in it.
    """
    return _operator_from_symbol(symbol, True, n_modes, "symbol")


def operator_from_wick(symbol, *, n_modes: int | None = None) -> sp.Expr:
    """The operator whose Wick symbol is ``symbol`` (normal-order quantisation).

    Parameters
    ----------
    symbol : sympy expression
        Polynomial in the symbols of :func:`phase_space_symbols`.
    n_modes : int, optional
        Number of modes (default: the largest mode index in ``symbol``, at least 1).

    Returns
    -------
    sympy.Expr
        α_i^l α_i*^k → a_i†^k a_i^l, creators left, in :func:`boson_operators`.

    Raises
    ------
    TypeError, ValueError
        As :func:`operator_from_anti_wick`.
    """
    return _operator_from_symbol(symbol, False, n_modes, "symbol")


def _heat(symbol, n_modes, sign: int, name: str) -> sp.Expr:
    expr, n = _symbol_input(symbol, n_modes, name)
    alphas, conjs = phase_space_symbols(n)
    term, total, k = expr, expr, 0
    while term != 0:
        k += 1
        term = sp.expand(sum(sp.diff(term, a, ac) for a, ac in zip(alphas, conjs, strict=True)))
        total += sp.Integer(sign) ** k * term / math.factorial(k)
    return sp.expand(total)


def wick_from_anti_wick(symbol, *, n_modes: int | None = None) -> sp.Expr:
    """A_w = exp(Σ_i ∂²/∂α_i∂α_i*) A_aw: the Gaussian smoothing that maps the anti-Wick to the
    Wick symbol (exact: the series is finite for polynomials).

    Parameters
    ----------
    symbol : sympy expression
        Anti-Wick symbol, polynomial in α, α*.
    n_modes : int, optional
        Number of modes (default: from ``symbol``).

    Returns
    -------
    sympy.Expr
        The Wick symbol of the same operator.

    Raises
    ------
    TypeError, ValueError
        As :func:`operator_from_anti_wick`.
    """
    return _heat(symbol, n_modes, +1, "symbol")


def anti_wick_from_wick(symbol, *, n_modes: int | None = None) -> sp.Expr:
    """A_aw = exp(−Σ_i ∂²/∂α_i∂α_i*) A_w, the inverse of :func:`wick_from_anti_wick`.

    Parameters
    ----------
    symbol : sympy expression
        Wick symbol, polynomial in α, α*.
    n_modes : int, optional
        Number of modes (default: from ``symbol``).

    Returns
    -------
    sympy.Expr
        The anti-Wick symbol of the same operator.

    Raises
    ------
    TypeError, ValueError
        As :func:`operator_from_anti_wick`.
    """
    return _heat(symbol, n_modes, -1, "symbol")


# ---------------------------------------------------------------------------------------------
# Husimi evolution, truncation, diffusion


class TruncationCheck(NamedTuple):
    """Verdict of :func:`satisfies_fp_truncation`; truthy when Eq. (64) holds."""

    #: True when every pure third derivative (three α's or three α*'s) vanishes.
    ok: bool
    #: ((variables, derivative), …): the nonzero pure third derivatives, e.g.
    #: ((α_1, α_1, α_2), 2·α_1*·…); variables sorted, α's before α*'s.
    offending: tuple
    #: The highest order |m| with a nonzero term in Eq. (63): max of the total degrees of the
    #: symbol in the α's and in the α*'s (2 or less when ``ok``).
    order: int

    def __bool__(self) -> bool:
        return self.ok


def satisfies_fp_truncation(symbol, *, n_modes: int | None = None) -> TruncationCheck:
    """Check the truncation condition Eq. (64) of the Husimi evolution at Fokker–Planck order.

    Eq. (63) contains only the pure derivatives ∂^m_α h and ∂^m_{α*} h of the anti-Wick
    symbol h (module docstring), so the evolution of Q is of Fokker–Planck form exactly when
    ∂³h/∂α_i∂α_j∂α_k = 0 and ∂³h/∂α_i*∂α_j*∂α_k* = 0 for all i, j, k (then all higher pure
    derivatives vanish as well). Mixed derivatives such as ∂³|α|⁴/∂α²∂α* = 4α* are allowed.

    Parameters
    ----------
    symbol : sympy expression
        Anti-Wick symbol H_aw, a polynomial in the symbols of :func:`phase_space_symbols`.
    n_modes : int, optional
        Number of modes (default: from ``symbol``).

    Returns
    -------
    TruncationCheck
        ``(ok, offending, order)``; ``bool(result)`` is ``ok``.

    Raises
    ------
    TypeError
        If ``symbol`` contains boson operators (pass ``anti_wick_symbol(H)``) or is not a sympy
        expression.
    ValueError
        If ``symbol`` is not a polynomial in α, α*.
    """
    expr, n = _symbol_input(symbol, n_modes, "symbol")
    alphas, conjs = phase_space_symbols(n)
    offending = []
    for variables in (alphas, conjs):
        for triple in itertools.combinations_with_replacement(variables, 3):
            d = sp.expand(sp.diff(expr, *triple))
            if d != 0:
                offending.append((triple, d))
    return TruncationCheck(not offending, tuple(offending), _degree(expr, n))


def _degree(expr, n: int) -> int:
    """max(total degree in the α's, total degree in the α*'s) of a polynomial symbol."""
    if expr == 0:
        return 0
    alphas, conjs = phase_space_symbols(n)
    poly = sp.Poly(expr, *alphas, *conjs)
    return max(max(sum(m[:n]), sum(m[n:])) for m in poly.monoms())


def _multi_indices(n: int, order: int):
    """Multi-indices m ∈ ℕ^n with |m| = order."""
    for combo in itertools.combinations_with_replacement(range(n), order):
        m = [0] * n
        for i in combo:
            m[i] += 1
        yield tuple(m)


def husimi_generator(
    symbol,
    Q=None,
    *,
    min_order: int = 1,
    max_order: int | None = None,
    n_modes: int | None = None,
) -> sp.Expr:
    """Right-hand side of the Husimi evolution ∂Q/∂t, Eq. (63), from the anti-Wick symbol.

    ∂Q/∂t = −i Σ_{min ≤ |m| ≤ max} (1/m!) [∂^m_{α*}((∂^m_α h) Q) − ∂^m_α((∂^m_{α*} h) Q)]
    (ħ = 1; multi-indices m, m! = Π m_i!). Order 1 is the Liouville drift (Eq. (9)), order 2
    the traceless diffusion of Eq. (65) (= (i/2) Σ ∂_a∂_b(D_ab Q) with D from
    :func:`diffusion_matrix`), orders ≥ 3 the terms that Eq. (64) removes. The full series
    (``max_order=None``) is exact: it is the Schrödinger equation ∂ρ/∂t = −i[H, ρ] in the
    coherent-state representation (derivation in the module docstring).

    Parameters
    ----------
    symbol : sympy expression
        Anti-Wick symbol h = H_aw, polynomial in the symbols of :func:`phase_space_symbols`.
    Q : sympy expression, optional
        The Husimi function, any expression in α, α* (default: the undefined function
        ``Q(alpha_1, …, alpha_N, alpha_1^*, …)``, so the result shows the derivatives of Q).
    min_order, max_order : int
        Orders |m| kept, 1 ≤ min_order ≤ max_order (default: all orders, up to the degree of
        h; ``min_order=3`` gives the beyond-Fokker–Planck remainder).
    n_modes : int, optional
        Number of modes (default: from ``symbol``).

    Returns
    -------
    sympy.Expr
        The right-hand side (unsimplified; derivatives of an undefined Q stay unevaluated).

    Raises
    ------
    TypeError, ValueError
        As :func:`satisfies_fp_truncation`; also for orders that are not ints with
        1 ≤ min_order ≤ max_order.
    """
    expr, n = _symbol_input(symbol, n_modes, "symbol")
    alphas, conjs = phase_space_symbols(n)
    lo = count(min_order, "min_order", 1)
    degree = _degree(expr, n)
    hi = degree if max_order is None else count(max_order, "max_order", lo, f" (min_order={lo})")
    if Q is None:
        Q = sp.Function("Q")(*alphas, *conjs)
    else:
        Q = _sympify(Q, "Q")
    total = sp.S.Zero
    for order in range(lo, min(hi, degree) + 1):
        for m in _multi_indices(n, order):
            a_vars = [v for v, k in zip(alphas, m, strict=True) for _ in range(k)]
            c_vars = [v for v, k in zip(conjs, m, strict=True) for _ in range(k)]
            weight = sp.Integer(math.prod(math.factorial(k) for k in m))
            d_a, d_c = sp.diff(expr, *a_vars), sp.diff(expr, *c_vars)
            part = sp.S.Zero
            if d_a != 0:
                part += sp.diff(d_a * Q, *c_vars)
            if d_c != 0:
                part -= sp.diff(d_c * Q, *a_vars)
            total += -sp.I * part / weight
    return total


def diffusion_matrix(
    symbol, *, form: str = "complex", C=1, n_modes: int | None = None
) -> sp.Matrix:
    """The generalised (traceless) diffusion matrix of Eqs. (35), (40)–(42) and (52).

    ``form="complex"``: 2N × 2N matrix in the variable order z = (α_1…α_N, α_1*…α_N*), for
    the convention ∂_tρ ⊃ (i/2) Σ_{a,b} ∂_{z_a}∂_{z_b}(D_ab ρ) (ħ = 1, Eq. (10)):
    D^{αα}_ij = C ∂²H/∂α_i*∂α_j*, D^{α*α*}_ij = −C ∂²H/∂α_i∂α_j, D^{αα*} = D^{α*α} = 0.
    (The coefficient of ∂²/∂α_i∂α_j is built from the *conjugate* derivatives of H, as
    energy conservation Eq. (39) and Appendix A require; see the module docstring.)

    ``form="real"``: 2N × 2N matrix in z = (Q_1…Q_N, P_1…P_N) of
    :func:`real_phase_space_symbols`, for ∂_tρ ⊃ (1/2) Σ_{a,b} ∂_{z_a}∂_{z_b}(D_ab ρ):
    D = (C/2)[H̃″, J] with H̃″ the Hessian of H(α = (Q + iP)/√2) in (Q, P) and J of
    :func:`symplectic_matrix`. With ħ and κ restored the prefactor is ħC/(2κ²). Both forms give
    the same differential operator, which is the second-order term of :func:`husimi_generator`
    when C = 1 (Eq. (66)). Tr D = 0 and DJ = −JD (Eq. (53)).

    Parameters
    ----------
    symbol : sympy expression
        Phase-space Hamiltonian H (for the Husimi equation its anti-Wick symbol), polynomial in
        the symbols of :func:`phase_space_symbols`.
    form : {"complex", "real"}
        Coordinates of the result.
    C : number or sympy expression, default 1
        The global constant of Eq. (42); C = 1 reproduces quantum mechanics (Eq. (66)).
    n_modes : int, optional
        Number of modes (default: from ``symbol``).

    Returns
    -------
    sympy.Matrix
        Shape (2N, 2N), symmetric, entries in (α, α*) or in (Q, P).

    Raises
    ------
    ValueError
        If ``form`` is not "complex" or "real", or ``symbol`` is not a polynomial in α, α*.
    TypeError
        If ``symbol`` contains operators, or ``C`` is not a number or sympy expression.
    """
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}; got {form!r}.")
    c = _parameter(C, "C")
    expr, n = _symbol_input(symbol, n_modes, "symbol")
    alphas, conjs = phase_space_symbols(n)
    if form == "complex":
        d = sp.zeros(2 * n)
        for i in range(n):
            for j in range(n):
                d[i, j] = c * sp.diff(expr, conjs[i], conjs[j])
                d[n + i, n + j] = -c * sp.diff(expr, alphas[i], alphas[j])
        return d.applyfunc(sp.expand)
    qs, ps = real_phase_space_symbols(n)
    return diffusion_from_hessian(sp.hessian(to_real_coordinates(expr, n_modes=n), qs + ps), C=c)


def diffusion_from_hessian(hessian, *, C=1):
    """The real-form diffusion matrix D = (C/2)(H″J − JH″) of Eq. (52) from a Hessian H″.

    The Hessian is taken in the coordinate order (Q_1…Q_N, P_1…P_N) with J of
    :func:`symplectic_matrix`; :func:`diffusion_matrix` with ``form="real"`` applies it to the
    Hessian of a symbol. Use it directly for a Hamiltonian already written in (scaled) real
    coordinates, or for numeric Hessians. D is symmetric, traceless and anticommutes with J
    (Eq. (53)), so its eigenvalues come in ± pairs.

    Parameters
    ----------
    hessian : sympy.Matrix or array_like, shape (2N, 2N)
        Symmetric Hessian ∂²H/∂z_a∂z_b, z = (Q, P) (energy units, ħ = κ = 1). A sympy matrix
        gives an exact result; anything else is converted to a float array.
    C : number or sympy expression, default 1
        The global constant of Eq. (42) (a real number for a numeric Hessian).

    Returns
    -------
    sympy.Matrix or numpy.ndarray, shape (2N, 2N)
        D, expanded entry by entry for a sympy input, float array otherwise.

    Raises
    ------
    ValueError
        If ``hessian`` is not a non-empty square matrix of even size, is not symmetric, or a
        numeric ``hessian`` or ``C`` is not finite and real.
    TypeError
        If ``C`` is not a number or sympy expression (sympy ``hessian``).

    Examples
    --------
    >>> (q,), (p,) = real_phase_space_symbols(1)
    >>> diffusion_from_hessian(sp.hessian((2 * q**2 + p**2) / 2, (q, p)))  # ω² = 2, ℓ = 1
    Matrix([
    [  0, 1/2],
    [1/2,   0]])
    >>> diffusion_from_hessian(np.eye(2))  # H″ ∝ 1: no diffusion (C7)
    array([[0., 0.],
           [0., 0.]])
    """
    symbolic = isinstance(hessian, sp.MatrixBase)
    h = hessian if symbolic else np.asarray(hessian, dtype=float)
    if len(h.shape) != 2 or h.shape[0] != h.shape[1] or h.shape[0] % 2 or h.shape[0] == 0:
        raise ValueError(
            f"hessian must be a square 2N x 2N matrix in (Q_1..Q_N, P_1..P_N); got shape "
            f"{tuple(h.shape)}."
        )
    j = symplectic_matrix(h.shape[0] // 2)
    if symbolic:
        if (h - h.T).applyfunc(sp.expand) != sp.zeros(*h.shape):
            raise ValueError("hessian must be symmetric (a matrix of second derivatives).")
        return (_parameter(C, "C") / 2 * (h * j - j * h)).applyfunc(sp.expand)
    c = float(C) if isinstance(C, numbers.Real) and not isinstance(C, bool) else None
    if c is None or not np.isfinite(c) or not np.all(np.isfinite(h)):
        raise ValueError(
            f"a numeric hessian needs finite entries and a finite real C; got C={C!r}."
        )
    if not np.allclose(h, h.T, rtol=1e-12, atol=1e-12 * np.abs(h).max()):
        raise ValueError("hessian must be symmetric (a matrix of second derivatives).")
    j = np.array(j, dtype=float)
    return c / 2 * (h @ j - j @ h)


def energy_change(d_matrix, h) -> sp.Expr:
    """Σ_ab D_ab ∂²H/∂z_a∂z_b over z = (α_1…α_N, α_1*…α_N*): the diffusive energy change.

    Integrating by parts, the diffusion term (i/2) Σ ∂_{z_a}∂_{z_b}(D_ab ρ) changes ⟨H⟩ at the
    rate (i/2) ∫ ρ Σ_ab D_ab ∂_a∂_b H; energy conservation, constraint C5 (Eq. (39)), demands
    that this integrand vanish identically. It does for the complex-form D of
    :func:`diffusion_matrix` (built from the *conjugate* derivatives of H, Eqs. (40)–(42)) and
    fails for D^{αα} ∝ ∂²H/∂α∂α.

    Parameters
    ----------
    d_matrix : sympy.Matrix, shape (2N, 2N)
        Diffusion matrix in the complex variables z = (α, α*) of :func:`phase_space_symbols`.
    h : sympy expression
        Phase-space Hamiltonian H(α, α*), a polynomial with at most N modes.

    Returns
    -------
    sympy.Expr
        The expanded sum; 0 when D conserves the energy of H.

    Raises
    ------
    ValueError
        If ``d_matrix`` is not a square sympy matrix of even size, or ``h`` has more modes than
        ``d_matrix`` or is not a polynomial in α, α*.
    TypeError
        If ``h`` contains operators or is not a sympy expression.

    Examples
    --------
    >>> (a,), (ac,) = phase_space_symbols(1)
    >>> h = a**2 * ac**2
    >>> energy_change(diffusion_matrix(h), h)
    0
    >>> energy_change(sp.diag(sp.diff(h, a, a), -sp.diff(h, ac, ac)), h)
    -4*alpha_1**4 + 4*alpha_1^***4
    """
    shape = getattr(d_matrix, "shape", ())
    if (
        not isinstance(d_matrix, sp.MatrixBase)
        or shape[0] != shape[1]
        or shape[0] % 2
        or not shape[0]
    ):
        raise ValueError(
            f"d_matrix must be a square 2N x 2N sympy Matrix over (alpha, alpha*); got {shape}."
        )
    expr, n = _symbol_input(h, shape[0] // 2, "h")
    alphas, conjs = phase_space_symbols(n)
    z = alphas + conjs
    return sp.expand(
        sum(d_matrix[a, b] * sp.diff(expr, z[a], z[b]) for a in range(2 * n) for b in range(2 * n))
    )


def random_real_symbol(n_modes: int, rng, *, degree: int = 4) -> sp.Expr:
    """A random real polynomial symbol H(α, α*) with small Gaussian-integer coefficients.

    Every monomial α^j α*^k of total degree 1…``degree`` (exponent tuples in lexicographic
    order over (α_1…α_N, α_1*…α_N*)) gets a coefficient u + iv with u, v drawn uniformly from
    −3…3 (one ``rng.integers(-3, 4, size=(M, 2))`` call); the complex conjugate (α ↔ α*) is
    added, so H is real. A generic test input for identities such as Eqs. (40)–(42) vs (52).

    Parameters
    ----------
    n_modes : int
        Number of modes N ≥ 1.
    rng : numpy.random.Generator
        Source of the coefficients (consumed by exactly one draw).
    degree : int, default 4
        Largest total degree (≥ 1).

    Returns
    -------
    sympy.Expr
        Expanded polynomial, invariant under complex conjugation with α ↔ α*.

    Raises
    ------
    TypeError
        If ``rng`` is not a numpy Generator, or ``n_modes``/``degree`` not ints.
    ValueError
        If ``n_modes`` < 1 or ``degree`` < 1.

    Examples
    --------
    >>> random_real_symbol(1, np.random.default_rng(0), degree=1)  # (2 − 3i)α + c.c.
    2*alpha_1 - 3*I*alpha_1 + 2*alpha_1^* + 3*I*alpha_1^*
    """
    n = count(n_modes, "n_modes", 1)
    deg = count(degree, "degree", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}.")
    alphas, conjs = phase_space_symbols(n)
    z = alphas + conjs
    monomials = [
        sp.Mul(*(v**e for v, e in zip(z, powers, strict=True)))
        for powers in itertools.product(range(deg + 1), repeat=2 * n)
        if 0 < sum(powers) <= deg
    ]
    weights = rng.integers(-3, 4, size=(len(monomials), 2))
    h = sum((int(u) + sp.I * int(v)) * m for (u, v), m in zip(weights, monomials, strict=True))
    return sp.expand(h + _swap_conjugation(h, n))


def diffusion_term(symbol, *, form: str = "real", C=1, n_modes: int | None = None) -> sp.Expr:
    """The diffusion term of the density equation applied to a generic density ρ(Q, P).

    Builds the second-order part of ∂_tρ from :func:`diffusion_matrix` in the chosen
    coordinates and writes it in the real coordinates (Q, P) of
    :func:`real_phase_space_symbols`, with ∂_α = (∂_Q − i∂_P)/√2 and ∂_α* = (∂_Q + i∂_P)/√2:
    ``"complex"`` gives (i/2) Σ ∂_{z_a}∂_{z_b}(D_ab ρ) over z = (α, α*), ``"real"`` gives
    (1/2) Σ ∂_{z_a}∂_{z_b}(D_ab ρ) over z = (Q, P). The two are the same expression for every
    real H (Eqs. (40)–(42) versus Eq. (52) and Appendix A), which is what this function is for.

    Parameters
    ----------
    symbol, C, n_modes
        As in :func:`diffusion_matrix`.
    form : {"real", "complex"}
        Which diffusion matrix to start from.

    Returns
    -------
    sympy.Expr
        Expanded expression in Q_i, P_i, the parameters of ``symbol`` and derivatives of the
        function ``rho(Q_1, …, P_N)``.

    Raises
    ------
    ValueError, TypeError
        As :func:`diffusion_matrix`.
    """
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}; got {form!r}.")
    expr, n = _symbol_input(symbol, n_modes, "symbol")
    qs, ps = real_phase_space_symbols(n)
    rho = sp.Function("rho")(*qs, *ps)
    d = diffusion_matrix(expr, form=form, C=C, n_modes=n)
    if form == "real":
        z = qs + ps
        return sp.expand(
            sum(sp.diff(d[a, b] * rho, z[a], z[b]) for a in range(2 * n) for b in range(2 * n)) / 2
        )

    def derivative(a, f):  # ∂/∂α_a for a < n, ∂/∂α*_{a−n} otherwise, in (Q, P)
        i, sign = (a, -1) if a < n else (a - n, 1)
        return (sp.diff(f, qs[i]) + sign * sp.I * sp.diff(f, ps[i])) / sp.sqrt(2)

    total = 0
    for a in range(2 * n):
        for b in range(2 * n):
            if d[a, b] != 0:
                entry = to_real_coordinates(d[a, b], n_modes=n)
                total += derivative(a, derivative(b, entry * rho))
    return sp.expand(sp.I / 2 * total)


# ---------------------------------------------------------------------------------------------
# example Hamiltonians


def _parameter(value, name: str, *, positive: bool = False) -> sp.Expr:
    """A commutative scalar parameter: a real/complex number or a sympy expression."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Number, sp.Expr)):
        raise TypeError(f"{name} must be a number or a sympy expression; got {type(value)}.")
    v = sp.sympify(value)
    if not v.is_commutative or any(isinstance(a, BosonOp) for a in sp.preorder_traversal(v)):
        raise TypeError(f"{name} must be a commutative scalar, not an operator.")
    if v.is_number and not v.is_finite:
        raise ValueError(f"{name} must be finite; got {value!r}.")
    if positive and v.is_positive is False:
        raise ValueError(f"{name} must be > 0; got {value!r}.")
    return v


def bose_hubbard(n_sites: int, J, U, mu=0, *, periodic: bool = False) -> sp.Expr:
    """Bose–Hubbard Hamiltonian on a chain, Eq. (67), as a boson-operator polynomial.

    H = −J Σ_{⟨i,j⟩} (a_i† a_j + a_j† a_i) + (U/2) Σ_i n_i(n_i − 1) − μ Σ_i n_i, n_i = a_i† a_i,
    with nearest-neighbour bonds (i, i+1) of an open chain (plus (N, 1) when periodic). Its
    anti-Wick symbol is −J Σ (α_i* α_j + c.c.) + (U/2) Σ (|α_i|⁴ − 4|α_i|² + 2) − μ Σ (|α_i|² − 1):
    the −4|α|² (not the −3|α|² printed in Eq. (69), which is the symbol of n², not n(n−1)).

    Parameters
    ----------
    n_sites : int
        Number of sites N ≥ 1 (modes a_1…a_N of :func:`boson_operators`).
    J, U, mu : number or sympy expression
        Tunnelling amplitude, on-site interaction, chemical potential (energy units, ħ = 1).
    periodic : bool, default False
        Close the chain with the bond (N, 1); needs N ≥ 3.

    Returns
    -------
    sympy.Expr
        The Hamiltonian operator.

    Raises
    ------
    TypeError
        If ``n_sites`` is not an int, a coupling is not a scalar, or ``periodic`` not a bool.
    ValueError
        If ``n_sites`` < 1, or ``periodic`` with fewer than 3 sites (the bond would double).
    """
    n = count(n_sites, "n_sites", 1)
    j, u, m = _parameter(J, "J"), _parameter(U, "U"), _parameter(mu, "mu")
    if not isinstance(periodic, bool):
        raise TypeError(f"periodic must be a bool; got {type(periodic).__name__}.")
    if periodic and n < 3:
        raise ValueError(f"periodic=True needs n_sites >= 3 (got {n}); use periodic=False.")
    ops = boson_operators(n)
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic else [])
    hop = sp.Add(*(Dagger(ops[i]) * ops[k] + Dagger(ops[k]) * ops[i] for i, k in bonds))
    num = [Dagger(a) * a for a in ops]
    onsite = sp.Add(*(nk * (nk - 1) for nk in num))
    return sp.expand(-j * hop + u / 2 * onsite - m * sp.Add(*num))


def kerr(U, omega=0) -> sp.Expr:
    """Single Kerr mode H = ω a†a + (U/2) a†a†aa (the one-site Bose–Hubbard model).

    Parameters
    ----------
    U : number or sympy expression
        Kerr nonlinearity.
    omega : number or sympy expression, default 0
        Mode frequency.

    Returns
    -------
    sympy.Expr
        Operator in a_1 of :func:`boson_operators`; anti-Wick symbol
        (U/2)(|α|⁴ − 4|α|² + 2) + ω(|α|² − 1).

    Raises
    ------
    TypeError
        If a parameter is not a scalar.
    """
    return bose_hubbard(1, 0, U, -_parameter(omega, "omega"))


def higgs_like(m=1, lam=1) -> sp.Expr:
    """Single-mode complex scalar field with quartic self-coupling, Eqs. (70)–(72).

    H = π*π + m² |φ|² + λ |φ|⁴ with φ = (α + β*)/√(2m), π = i√(m/2)(α* − β) (Eq. (71); α is
    mode 1, β mode 2), so that the free part is m(|α|² + |β|²) (C7 holds) and
    |φ|⁴ = (|α|² + |β|² + αβ + α*β*)²/(4m²) (Eq. (72)). λ multiplies |φ|⁴ directly (the
    normalisation of λ in Eq. (70) only rescales it). The operator is the normal-ordered
    (Wick) quantisation of this function, the usual QFT convention; another ordering changes
    only the quadratic and constant terms of the anti-Wick symbol, not its offending third
    derivatives (terms α²α*β, αβ², … of Eq. (72)).

    Parameters
    ----------
    m : positive number or sympy expression, default 1
        Mass (= mode frequency).
    lam : number or sympy expression, default 1
        Coefficient of |φ|⁴.

    Returns
    -------
    sympy.Expr
        Operator in a_1, a_2 of :func:`boson_operators`.

    Raises
    ------
    TypeError
        If a parameter is not a scalar.
    ValueError
        If ``m`` is not positive.
    """
    mass, lam_ = _parameter(m, "m", positive=True), _parameter(lam, "lam")
    (a, b), (ac, bc) = phase_space_symbols(2)
    phi, phic = (a + bc) / sp.sqrt(2 * mass), (ac + b) / sp.sqrt(2 * mass)
    pi, pic = sp.I * sp.sqrt(mass / 2) * (ac - b), -sp.I * sp.sqrt(mass / 2) * (a - bc)
    h = pic * pi + mass**2 * phic * phi + lam_ * (phic * phi) ** 2
    return operator_from_wick(sp.expand(h), n_modes=2)


def gauge_like(g=1, omega=1) -> sp.Expr:
    """Homogeneous SU(2) gauge field in two directions: a quartic gauge-like mode coupling.

    Colour c = 1, 2, 3 and direction i = 1, 2 give six modes, mode index 2(c−1) + i, with
    A^c_i = (a + a†)/√(2ω). H = ω Σ a†a + (1/2) Σ_c (B^c)², B^c = g ε^{cde} A^d_1 A^e_2 (the
    field strength F_12 of spatially constant fields, Eq. (74) without derivatives), normal
    ordered. Antisymmetry keeps every single mode at power ≤ 2, yet mixed pure third
    derivatives such as ∂³/∂α_1∂α_3∂α_4 are nonzero (Section V.C).

    Parameters
    ----------
    g : number or sympy expression, default 1
        Gauge coupling.
    omega : positive number or sympy expression, default 1
        Frequency of the free part (mode scale of C7).

    Returns
    -------
    sympy.Expr
        Operator in a_1…a_6 of :func:`boson_operators`.

    Raises
    ------
    TypeError
        If a parameter is not a scalar.
    ValueError
        If ``omega`` is not positive.
    """
    g_, w = _parameter(g, "g"), _parameter(omega, "omega", positive=True)
    alphas, conjs = phase_space_symbols(6)
    A = [
        [(alphas[2 * c + i] + conjs[2 * c + i]) / sp.sqrt(2 * w) for i in range(2)]
        for c in range(3)
    ]
    b_field = [
        g_
        * sp.Add(*(sp.LeviCivita(c, d, e) * A[d][0] * A[e][1] for d in range(3) for e in range(3)))
        for c in range(3)
    ]
    h = w * sp.Add(*(a * ac for a, ac in zip(alphas, conjs, strict=True)))
    h += sp.Add(*(bc**2 for bc in b_field)) / 2
    return operator_from_wick(sp.expand(h), n_modes=6)


def cubic_coupling(g=1, omega=1) -> sp.Expr:
    """Three modes with a cubic coupling of their field quadratures: H = ω Σ a†a + g x_1x_2x_3.

    x_k = (a_k + a_k†)/√(2ω) (different modes commute, so no ordering ambiguity). The term
    a_1a_2a_3 gives the nonzero pure third derivative ∂³/∂α_1∂α_2∂α_3 = g/(2ω)^{3/2}
    (and its conjugate): a cubic vertex violates Eq. (64). (A number-conserving three-wave
    coupling a_1†a_2a_3 + h.c. would satisfy it.)

    Parameters
    ----------
    g : number or sympy expression, default 1
        Cubic coupling.
    omega : positive number or sympy expression, default 1
        Mode frequency.

    Returns
    -------
    sympy.Expr
        Operator in a_1, a_2, a_3 of :func:`boson_operators`.

    Raises
    ------
    TypeError
        If a parameter is not a scalar.
    ValueError
        If ``omega`` is not positive.
    """
    g_, w = _parameter(g, "g"), _parameter(omega, "omega", positive=True)
    ops = boson_operators(3)
    x = [(a + Dagger(a)) / sp.sqrt(2 * w) for a in ops]
    return sp.expand(w * sp.Add(*(Dagger(a) * a for a in ops)) + g_ * x[0] * x[1] * x[2])


# ---------------------------------------------------------------------------------------------
# the off-diagonal diffusion block (Eq. 35) and moments of the Husimi evolution


def _swap_conjugation(expr, n: int) -> sp.Expr:
    """Complex conjugate of an expression in α, α* treated as independent: swap α_i ↔ α_i*."""
    alphas, conjs = phase_space_symbols(n)
    swap = dict(zip(alphas, conjs, strict=True)) | dict(zip(conjs, alphas, strict=True))
    return (
        sp.conjugate(expr)
        .subs({sp.conjugate(v): v for v in (*alphas, *conjs)}, simultaneous=True)
        .subs(swap, simultaneous=True)
    )


def derive_offdiagonal_diffusion(n_modes: int = 2, *, seed: int = 0, degree: int = 4) -> dict:
    """Derive D^{αα*} = 0 (Eq. 35) from C3 (local Hamiltonian dependence) and C4 (time reversal).

    Ansatz (C3, built from second derivatives of H only, same index structure i, j):
    D^{αα*}_ij = x₁ ∂²H/∂α_i∂α_j + x₂ ∂²H/∂α_i*∂α_j* + x₃ ∂²H/∂α_i∂α_j* + x₄ ∂²H/∂α_i*∂α_j,
    x_k = u_k + i v_k complex. Conditions, as identities in α, α* for real Hamiltonians that are
    invariant under α ↔ α* (Eq. 20): skew-Hermiticity (D^{αα*}_ij)* = −D^{αα*}_ji (Eq. 17,
    from the reality of the equation) and time reversal D^{αα*}_ij(α, α*) = −D^{αα*}_ji(α*, α)
    (Eq. 33, from C4). The conditions are linear in (u, v); they are imposed for ``3`` random
    integer Hamiltonians of the given degree (generic: a further Hamiltonian adds no equation).

    Parameters
    ----------
    n_modes : int, default 2
        Number of modes (≥ 2 so that i ≠ j occurs).
    seed : int, default 0
        Seed of the random integer coefficients of the test Hamiltonians.
    degree : int, default 4
        Total degree of the test Hamiltonians (≥ 2).

    Returns
    -------
    dict
        ``"ansatz"``: the n×n matrix D^{αα*} (sympy Matrix in u1…u4, v1…v4) for the first test
        Hamiltonian; ``"real_coefficients"``: the solution of Eqs. (17) and (33) with C3's "no
        explicit factor of i" (v = 0), {symbol: value}; ``"block_real"``: the ansatz with it
        substituted; ``"free_parameters"``: the unknowns left free in it. The result is
        u1 = −u2, u3 = u4 = 0: D^{αα*}_ij = u(∂²H/∂α_i*∂α_j* − ∂²H/∂α_i∂α_j) survives (the
        paper's argument, Section III.B, only considers the mixed derivatives).
        ``"with_energy_conservation"`` and ``"block_with_energy_conservation"``: the same with
        C5 (Eq. 39) for this block, Σ_ij D^{αα*}_ij ∂²H/∂α_i∂α_j* = 0 identically, which
        forces u = 0 and hence Eq. (35).

    Raises
    ------
    ValueError
        If n_modes < 2 or degree < 2.

    Examples
    --------
    >>> out = derive_offdiagonal_diffusion()
    >>> out["free_parameters"]
    [u2]
    >>> out["block_with_energy_conservation"] == sp.zeros(2)
    True
    """
    n = count(n_modes, "n_modes", 2)
    deg = count(degree, "degree", 2)
    alphas, conjs = phase_space_symbols(n)
    u = sp.symbols("u1:5", real=True)
    v = sp.symbols("v1:5", real=True)
    x = [u[k] + sp.I * v[k] for k in range(4)]
    rng = random.Random(seed)

    def test_hamiltonian():
        h = sp.S.Zero
        for total in range(2, deg + 1):
            for combo in itertools.combinations_with_replacement((*alphas, *conjs), total):
                mono = sp.Mul(*combo)
                swapped = mono.subs(
                    dict(zip(alphas, conjs, strict=True)) | dict(zip(conjs, alphas, strict=True)),
                    simultaneous=True,
                )
                h += rng.randint(-3, 3) * (mono + swapped)  # real and swap-invariant
        return sp.expand(h)

    def block(h):
        return sp.Matrix(
            n,
            n,
            lambda i, j: (
                x[0] * sp.diff(h, alphas[i], alphas[j])
                + x[1] * sp.diff(h, conjs[i], conjs[j])
                + x[2] * sp.diff(h, alphas[i], conjs[j])
                + x[3] * sp.diff(h, conjs[i], alphas[j])
            ),
        )

    equations = []
    swap = dict(zip(alphas, conjs, strict=True)) | dict(zip(conjs, alphas, strict=True))
    hamiltonians = [test_hamiltonian() for _ in range(3)]
    for h in hamiltonians:
        d = block(h)
        for i in range(n):
            for j in range(n):
                skew = _swap_conjugation(d[i, j], n) + d[j, i]
                reversal = d[i, j] + d[j, i].subs(swap, simultaneous=True)
                for cond in (skew, reversal):
                    cond = sp.expand(cond)
                    if cond == 0:
                        continue
                    for coeff in sp.Poly(cond, *alphas, *conjs).coeffs():
                        equations.extend(
                            e for e in (sp.re(coeff), sp.im(coeff)) if sp.expand(e) != 0
                        )
    unknowns = [*u, *v]
    real = sp.solve(equations + list(v), unknowns, dict=True)[0]
    energy = []
    for h in hamiltonians:
        d = block(h)
        rate = sp.expand(
            sum(d[i, j] * sp.diff(h, alphas[i], conjs[j]) for i in range(n) for j in range(n))
        )
        if rate != 0:
            for coeff in sp.Poly(rate, *alphas, *conjs).coeffs():
                energy.extend(e for e in (sp.re(coeff), sp.im(coeff)) if sp.expand(e) != 0)
    with_c5 = sp.solve(equations + list(v) + energy, unknowns, dict=True)[0]
    d0 = block(hamiltonians[0])
    block_real = sp.expand(d0.subs(real))
    free = sorted(block_real.free_symbols & set(unknowns), key=str)
    return {
        "ansatz": d0,
        "real_coefficients": real,
        "block_real": block_real,
        "free_parameters": free,
        "with_energy_conservation": with_c5,
        "block_with_energy_conservation": sp.expand(d0.subs(with_c5)),
    }


def adjoint_generator(symbol, f, *, max_order: int | None = None, n_modes: int | None = None):
    """L†f: the Husimi generator of Eq. (63) moved onto a test function f by parts.

    d/dt ∫ f Q d²ⁿα = ∫ (L†f) Q d²ⁿα with
    L†f = −i Σ_{1 ≤ |m| ≤ max} ((−1)^{|m|}/m!) [(∂^m_α h)(∂^m_{α*} f) − (∂^m_{α*} h)(∂^m_α f)]
    (boundary terms vanish for a polynomial f and a Q that decays like a Gaussian). With
    ``max_order=None`` this is the exact quantum evolution of the anti-Wick average of f;
    ``max_order=2`` is the Fokker–Planck truncation (Eq. 65), 1 the Liouville drift.

    Parameters
    ----------
    symbol : sympy expression
        Anti-Wick symbol h, polynomial in the symbols of :func:`phase_space_symbols`.
    f : sympy expression
        Test function, polynomial in the same symbols.
    max_order : int, optional
        Highest |m| kept (default: all).
    n_modes : int, optional
        Number of modes (default: from ``symbol`` and ``f``).

    Returns
    -------
    sympy.Expr
        L†f, expanded.

    Raises
    ------
    TypeError, ValueError
        As :func:`satisfies_fp_truncation`; ``max_order`` < 1.

    Examples
    --------
    >>> (a,), (ac,) = phase_space_symbols(1)
    >>> adjoint_generator(a * ac, a)   # free oscillator: dα/dt = −iα
    -I*alpha_1
    """
    expr, n_h = _symbol_input(symbol, n_modes, "symbol")
    g, n_f = _symbol_input(f, n_modes, "f")
    n = max(n_h, n_f)
    alphas, conjs = phase_space_symbols(n)
    degree = max(_degree(expr, n), 1)
    hi = degree if max_order is None else count(max_order, "max_order", 1)
    total = sp.S.Zero
    for order in range(1, min(hi, degree) + 1):
        for m in _multi_indices(n, order):
            a_vars = [v for v, k in zip(alphas, m, strict=True) for _ in range(k)]
            c_vars = [v for v, k in zip(conjs, m, strict=True) for _ in range(k)]
            weight = sp.Integer(math.prod(math.factorial(k) for k in m))
            part = sp.diff(expr, *a_vars) * sp.diff(g, *c_vars) - sp.diff(expr, *c_vars) * sp.diff(
                g, *a_vars
            )
            total += -sp.I * (-1) ** order * part / weight
    return sp.expand(total)


def coherent_average(poly, beta, *, n_modes: int | None = None):
    """∫ poly(α, α*) Q_β(α) d²ⁿα for the coherent state |β⟩, Q_β = e^{−|α−β|²}/πⁿ.

    With α = β + z, z a standard complex Gaussian (⟨z^j z*^k⟩ = δ_jk k!), exactly.

    Parameters
    ----------
    poly : sympy expression
        Polynomial in the symbols of :func:`phase_space_symbols`.
    beta : number or sequence of numbers (sympy or Python), one per mode
        The coherent amplitudes.
    n_modes : int, optional
        Number of modes (default: from ``poly``, or the length of ``beta``).

    Returns
    -------
    sympy.Expr
        The average (exact for exact ``beta``).

    Raises
    ------
    TypeError, ValueError
        As :func:`satisfies_fp_truncation`; a ``beta`` of the wrong length.

    Examples
    --------
    >>> (a,), (ac,) = phase_space_symbols(1)
    >>> coherent_average(a * ac, 2)   # ⟨a a†⟩ = |β|² + 1
    5
    """
    betas = list(beta) if isinstance(beta, list | tuple) else [beta]
    expr, n = _symbol_input(poly, n_modes, "poly")
    if n_modes is None and len(betas) > n:
        n = len(betas)
    if len(betas) != n:
        raise ValueError(f"beta needs one amplitude per mode ({n}); got {len(betas)}.")
    alphas, conjs = phase_space_symbols(n)
    if expr == 0:
        return sp.S.Zero
    poly_ = sp.Poly(expr, *alphas, *conjs)
    z = sp.symbols(f"z1:{n + 1}")
    zc = sp.symbols(f"zc1:{n + 1}")
    total = sp.S.Zero
    for mono, coeff in poly_.terms():
        term = coeff
        for k in range(n):
            b = sp.nsimplify(betas[k]) if isinstance(betas[k], float) else sp.sympify(betas[k])
            shifted = sp.Poly(
                sp.expand((b + z[k]) ** mono[k] * (sp.conjugate(b) + zc[k]) ** mono[n + k]),
                z[k],
                zc[k],
            )
            term *= sum(c * math.factorial(j) for (j, jc), c in shifted.terms() if j == jc)
        total += term
    return sp.expand(total)
