"""Boson ordering and symbols (paper 002): closed forms, Fock-space checks, the Husimi equation,
the truncation condition Eq. (64), the diffusion matrix in both coordinates, and input errors."""

import itertools
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.physics.quantum import Dagger
from sympy.physics.quantum.boson import BosonOp
from sympy.physics.quantum.operatorordering import normal_ordered_form

from qfcore import ordering as od

HYPO = settings(max_examples=40, deadline=None, derandomize=True)
J, U, MU = sp.symbols("J U mu")
(A1, A2, A3), (C1, C2, C3) = od.phase_space_symbols(3)
OPS = od.boson_operators(3)


def op_equal(x, y):
    """Two noncommutative sympy expressions are literally equal after expansion."""
    return sp.expand(x - y) == 0


# ---------------------------------------------------------------------------------------------
# independent references: Fock-space matrices, exact ket action, Husimi functions


def ladder(v, k, creation):
    """a_k (or a_k†) applied along axis k of an array of truncated Fock amplitudes."""
    dim = v.shape[k]
    shape = [1] * v.ndim
    shape[k] = dim - 1
    out = np.zeros_like(v)
    src = [slice(None)] * v.ndim
    dst = [slice(None)] * v.ndim
    if creation:  # a†|n⟩ = √(n+1)|n+1⟩
        src[k], dst[k] = slice(0, dim - 1), slice(1, dim)
    else:  # a|n⟩ = √n|n−1⟩
        src[k], dst[k] = slice(1, dim), slice(0, dim - 1)
    out[tuple(dst)] = v[tuple(src)] * np.sqrt(np.arange(1, dim)).reshape(shape)
    return out


def fock_matrix(expr, n_modes, dim, cols):
    """Columns ``cols`` of the truncated Fock matrix of a boson polynomial, applying each word
    right to left to the basis vectors (exact while occupations stay below ``dim``)."""
    size = dim**n_modes
    basis = np.eye(size, dtype=complex)[:, cols].reshape((dim,) * n_modes + (len(cols),))
    total = np.zeros_like(basis)
    for term in sp.Add.make_args(sp.expand(expr)):
        c, nc = term.args_cnc()
        v = basis * complex(sp.Mul(*c))
        for f in reversed(nc):
            base, power = (f.base, int(f.exp)) if isinstance(f, sp.Pow) else (f, 1)
            k = int(str(base.name)[2:]) - 1
            for _ in range(power):
                v = ladder(v, k, not base.is_annihilation)
        total += v
    return total.reshape(size, len(cols))


def low_columns(n_modes, dim, kmax):
    """Indices of Fock states with every occupation <= kmax (exact columns of fock_matrix)."""
    return [
        int(np.ravel_multi_index(n, (dim,) * n_modes))
        for n in itertools.product(range(kmax + 1), repeat=n_modes)
    ]


def apply_exact(expr, ket):
    """Exact action of a boson polynomial on a ket {occupation tuple: amplitude} (sympy)."""
    out = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        c, nc = term.args_cnc()
        state = dict(ket)
        letters = []
        for f in nc:
            base, power = (f.base, int(f.exp)) if isinstance(f, sp.Pow) else (f, 1)
            letters += [base] * power
        for letter in reversed(letters):
            k = int(str(letter.name)[2:]) - 1
            new = {}
            for n, amp in state.items():
                n = list(n)
                if letter.is_annihilation:
                    if n[k] == 0:
                        continue
                    factor, n[k] = sp.sqrt(n[k]), n[k] - 1
                else:
                    factor, n[k] = sp.sqrt(n[k] + 1), n[k] + 1
                new[tuple(n)] = new.get(tuple(n), 0) + amp * factor
            state = new
        for n, amp in state.items():
            out[n] = out.get(n, 0) + sp.Mul(*c) * amp
    return out


def bargmann(ket, n_modes, conj):
    """Σ_n ψ_n Π α_i*^{n_i}/√n_i! (conj=False: ⟨α|ψ⟩ e^{|α|²/2}) or its conjugate polynomial."""
    alphas, conjs = od.phase_space_symbols(n_modes)
    var = alphas if conj else conjs
    total = 0
    for n, amp in ket.items():
        mono = sp.Mul(*(v**k / sp.sqrt(math.factorial(k)) for v, k in zip(var, n, strict=True)))
        total += (sp.conjugate(amp) if conj else amp) * mono
    return sp.expand(total)


def husimi(u, v, n_modes):
    """Q of |u⟩⟨v| up to 1/π^N: e^{−Σ|α|²} ⟨α|u⟩⟨v|α⟩ with α, α* independent."""
    alphas, conjs = od.phase_space_symbols(n_modes)
    gauss = sp.exp(-sum(a * c for a, c in zip(alphas, conjs, strict=True)))
    return gauss * bargmann(u, n_modes, False) * bargmann(v, n_modes, True)


def strip_gaussian(expr, n_modes):
    """expr · e^{Σ|α|²}, expanded: a polynomial when expr = e^{−Σ|α|²} × polynomial."""
    alphas, conjs = od.phase_space_symbols(n_modes)
    s = sum(a * c for a, c in zip(alphas, conjs, strict=True))
    return sp.expand(sp.powsimp(sp.expand(expr * sp.exp(s))))


# ---------------------------------------------------------------------------------------------
# single-mode closed forms


def test_single_mode_identities():
    a = OPS[0]
    ad = Dagger(a)
    n = ad * a
    assert op_equal(od.normal_order(a * ad), ad * a + 1)
    assert op_equal(od.anti_normal_order(ad * a), a * ad - 1)
    assert sp.expand(od.anti_wick_symbol(n) - (A1 * C1 - 1)) == 0
    assert sp.expand(od.wick_symbol(a * ad) - (A1 * C1 + 1)) == 0
    assert op_equal(od.anti_normal_order(n * n), a**2 * ad**2 - 3 * a * ad + 1)
    assert op_equal(od.normal_order((ad * a) ** 2), ad**2 * a**2 + ad * a)
    assert op_equal(od.anti_normal_order(n * (n - 1)), a**2 * ad**2 - 4 * a * ad + 2)
    # already ordered input is returned unchanged; constants pass through
    assert op_equal(od.anti_normal_order(3 * a**2 * ad), 3 * a**2 * ad)
    assert od.anti_wick_symbol(sp.Integer(7)) == 7
    assert od.wick_symbol(5) == 5


@pytest.mark.parametrize("k", range(1, 7))
def test_laguerre_ordering_formulas(k):
    """a†^k a^k = Σ_j (−1)^j C(k,j)² j! a^{k−j} a†^{k−j}; a^k a†^k = Σ_j C(k,j)² j! a†^{k−j}a^{k−j}.

    (Laguerre-type reordering formulas, e.g. Blasiak, Penson & Solomon, Phys. Lett. A 309, 198
    (2003).)"""
    a = OPS[0]
    ad = Dagger(a)
    anti = sum(
        (-1) ** j * math.comb(k, j) ** 2 * math.factorial(j) * a ** (k - j) * ad ** (k - j)
        for j in range(k + 1)
    )
    normal = sum(
        math.comb(k, j) ** 2 * math.factorial(j) * ad ** (k - j) * a ** (k - j)
        for j in range(k + 1)
    )
    assert op_equal(od.anti_normal_order(ad**k * a**k), anti)
    assert op_equal(od.normal_order(a**k * ad**k), normal)


def test_operators_of_other_modes_commute():
    a1, a2 = OPS[:2]
    expr = a2 * Dagger(a1) * a1 * Dagger(a2)
    assert sp.expand(od.wick_symbol(expr) - (A1 * C1 * A2 * C2 + A1 * C1)) == 0
    assert sp.expand(od.anti_wick_symbol(expr) - (A1 * C1 * A2 * C2 - A2 * C2)) == 0


def test_modes_argument_maps_foreign_operators():
    b, c = BosonOp("b"), BosonOp("c")
    expr = b * Dagger(c) * Dagger(b) * c
    assert sp.expand(od.wick_symbol(expr, modes=(b, c)) - (A1 * C1 * A2 * C2 + A2 * C2)) == 0
    assert sp.expand(od.anti_wick_symbol(Dagger(b) * b, modes=[b]) - (A1 * C1 - 1)) == 0


# ---------------------------------------------------------------------------------------------
# Bose–Hubbard, T2.5


def test_bose_hubbard_anti_wick_symbol_and_erratum():
    """(U/2)n(n−1) ↦ (U/2)(|α|⁴ − 4|α|² + 2); n² ↦ |α|⁴ − 3|α|² + 1 (the −3 of Eq. (69))."""
    a = OPS[0]
    n = Dagger(a) * a
    assert (
        sp.expand(
            od.anti_wick_symbol(U / 2 * n * (n - 1)) - U / 2 * (A1**2 * C1**2 - 4 * A1 * C1 + 2)
        )
        == 0
    )
    assert sp.expand(od.anti_wick_symbol(n * n) - (A1**2 * C1**2 - 3 * A1 * C1 + 1)) == 0
    printed = U / 2 * (A1**2 * C1**2 - 3 * A1 * C1)  # Eq. (69), per site, up to a constant
    diff = sp.expand(od.anti_wick_symbol(U / 2 * n * (n - 1)) - printed)
    assert sp.expand(diff - diff.subs({A1: 0, C1: 0})) == -U / 2 * A1 * C1


def test_bose_hubbard_symbol_three_sites():
    h = od.bose_hubbard(3, J, U, MU, periodic=True)
    expected = -J * (A1 * C2 + C1 * A2 + A2 * C3 + C2 * A3 + A3 * C1 + C3 * A1)
    for a, c in zip((A1, A2, A3), (C1, C2, C3), strict=True):
        expected += U / 2 * (a**2 * c**2 - 4 * a * c + 2) - MU * (a * c - 1)
    assert sp.expand(od.anti_wick_symbol(h) - expected) == 0
    # Eq. (68): the anti-normal form, hopping a_j a_i† (i ≠ j) and a²a†² − 4aa† + 2 per site
    ad = [Dagger(x) for x in OPS]
    eq68 = -J * sum(OPS[j] * ad[i] + OPS[i] * ad[j] for i, j in ((0, 1), (1, 2), (2, 0)))
    eq68 += sum(
        U / 2 * (x**2 * y**2 - 4 * x * y + 2) - MU * (x * y - 1)
        for x, y in zip(OPS, ad, strict=True)
    )
    assert op_equal(od.anti_normal_order(h), eq68)
    # the open chain lacks the (3, 1) bond
    open_sym = od.anti_wick_symbol(od.bose_hubbard(3, J, U, MU))
    assert sp.expand(open_sym - expected - J * (A3 * C1 + C3 * A1)) == 0


def test_anti_wick_symbol_averages_against_husimi():
    """⟨k|A|k⟩ = ∫ A_aw Q_k d²α, Q_k = |α|^{2k} e^{−|α|²}/(π k!), in polar coordinates; the
    printed −3|α|² of Eq. (69) fails for every constant c."""
    r = sp.Symbol("r", positive=True)
    c = sp.Symbol("c")
    a = OPS[0]
    n = Dagger(a) * a

    def average(symbol, k):
        radial = sp.expand(symbol.subs({A1: r, C1: r}))  # depends on |α| only
        integrand = radial * r ** (2 * k) * sp.exp(-(r**2)) / math.factorial(k) * 2 * r
        return sp.simplify(sp.integrate(integrand, (r, 0, sp.oo)))

    for k in (0, 1, 2, 3):
        assert average(od.anti_wick_symbol(n * (n - 1)), k) == k * (k - 1)
        assert average(od.anti_wick_symbol(n * n), k) == k * k
        assert average(od.anti_wick_symbol(n), k) == k
    printed = A1**2 * C1**2 - 3 * A1 * C1 + c
    sol = sp.solve([average(printed, 1) - 0, average(printed, 2) - 2], c, dict=True)
    assert sol == []


def test_kerr_is_one_site_bose_hubbard():
    w = sp.Symbol("omega")
    assert op_equal(od.kerr(U, w), od.bose_hubbard(1, 0, U, -w))
    expected = U / 2 * (A1**2 * C1**2 - 4 * A1 * C1 + 2) + w * (A1 * C1 - 1)
    assert sp.expand(od.anti_wick_symbol(od.kerr(U, w)) - expected) == 0


# ---------------------------------------------------------------------------------------------
# random polynomials: round trips, Fock-space equality, sympy agreement


@st.composite
def boson_polynomials(draw, max_modes=3, max_degree=4, max_terms=4):
    n_modes = draw(st.integers(1, max_modes))
    letters = [x for a in OPS[:n_modes] for x in (a, Dagger(a))]
    terms = []
    for _ in range(draw(st.integers(1, max_terms))):
        word = draw(st.lists(st.sampled_from(letters), max_size=max_degree))
        coeff = draw(st.integers(-3, 3)) + sp.I * draw(st.integers(-2, 2))
        terms.append(coeff * sp.Mul(*word))
    return sp.Add(*terms), n_modes


@HYPO
@given(boson_polynomials())
def test_round_trip_operator_symbol_operator(data):
    expr, n_modes = data
    dim, kmax = 7, 2  # words of length <= 4 acting on occupations <= 2 stay below 7
    cols = low_columns(n_modes, dim, kmax)
    target = fock_matrix(expr, n_modes, dim, cols)
    for to_symbol, to_operator, order in (
        (od.anti_wick_symbol, od.operator_from_anti_wick, od.anti_normal_order),
        (od.wick_symbol, od.operator_from_wick, od.normal_order),
    ):
        symbol = to_symbol(expr)
        back = to_operator(symbol, n_modes=n_modes)
        np.testing.assert_allclose(fock_matrix(back, n_modes, dim, cols), target, atol=1e-9)
        np.testing.assert_allclose(fock_matrix(order(expr), n_modes, dim, cols), target, atol=1e-9)
        assert sp.expand(to_symbol(back) - symbol) == 0


@HYPO
@given(boson_polynomials())
def test_wick_and_anti_wick_symbols_related_by_heat_operator(data):
    expr, n_modes = data
    aw, w = od.anti_wick_symbol(expr), od.wick_symbol(expr)
    assert sp.expand(od.wick_from_anti_wick(aw, n_modes=n_modes) - w) == 0
    assert sp.expand(od.anti_wick_from_wick(w, n_modes=n_modes) - aw) == 0


@HYPO
@given(boson_polynomials(max_modes=2))
def test_normal_order_agrees_with_sympy(data):
    expr, _ = data
    ref = normal_ordered_form(sp.expand(expr), independent=True)
    sub = {}
    for a, al, ac in zip(OPS, (A1, A2, A3), (C1, C2, C3), strict=True):
        sub[Dagger(a)] = ac
        sub[a] = al
    ref_symbol = sp.expand(ref.xreplace(sub))
    assert ref_symbol.is_commutative  # sympy's result was fully normal ordered
    assert sp.expand(od.wick_symbol(expr) - ref_symbol) == 0


def test_sympy_limitation_power_of_product():
    """sympy's normal_ordered_form leaves (a†a)² untouched; normal_order expands it."""
    a = OPS[0]
    expr = (Dagger(a) * a) ** 2
    assert normal_ordered_form(expr) == expr
    assert op_equal(od.normal_order(expr), normal_ordered_form(sp.expand(expr)))


def test_coherent_state_expectation_is_wick_symbol():
    """⟨β|A|β⟩ = A_w(β, β*), with the coherent state expanded in the Fock basis."""
    a1, a2 = OPS[:2]
    expr = a1 * Dagger(a2) * a2 * Dagger(a1) ** 2 + 2 * Dagger(a2) * a1 * a1
    beta = np.array([0.3 - 0.2j, -0.25 + 0.1j])
    dim = 25
    ket = np.ones(1, dtype=complex)
    for b in beta:
        k = np.arange(dim)
        single = (
            np.exp(-(abs(b) ** 2) / 2) * b**k / np.sqrt([float(math.factorial(int(x))) for x in k])
        )
        ket = np.kron(ket, single)
    value = ket.conj() @ fock_matrix(expr, 2, dim, list(range(dim**2))) @ ket
    symbol = od.wick_symbol(expr)
    expected = complex(
        symbol.subs({A1: beta[0], C1: beta[0].conjugate(), A2: beta[1], C2: beta[1].conjugate()})
    )
    assert abs(value - expected) < 1e-12


# ---------------------------------------------------------------------------------------------
# Husimi evolution, Eq. (63): exact against the Schrödinger equation


def schrodinger_husimi_rate(h_op, psi, n_modes):
    """∂Q/∂t = −i (Q[Hψ, ψ] − Q[ψ, Hψ]) for ρ = |ψ⟩⟨ψ| and Hermitian H (up to 1/π^N)."""
    h_psi = apply_exact(h_op, psi)
    return -sp.I * (husimi(h_psi, psi, n_modes) - husimi(psi, h_psi, n_modes))


CASES = {
    "kerr": (od.kerr(sp.Rational(3, 2), 2), 1, {(0,): 1, (1,): 1 - 2 * sp.I, (2,): sp.I}),
    "dimer": (
        od.bose_hubbard(2, sp.Rational(1, 3), 2, sp.Rational(1, 2)),
        2,
        {(1, 0): 1, (0, 1): sp.I, (2, 1): -2, (0, 0): 1 + sp.I},
    ),
    "cubic": (od.cubic_coupling(1, 1), 3, {(0, 0, 0): 1, (1, 0, 1): 2 - sp.I, (0, 1, 0): 1}),
    "higgs": (od.higgs_like(1, 1), 2, {(0, 0): 1, (1, 1): sp.I, (0, 2): 2}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_husimi_generator_is_schrodinger_equation(name):
    h_op, n_modes, psi = CASES[name]
    q = husimi(psi, psi, n_modes)
    exact = schrodinger_husimi_rate(h_op, psi, n_modes)
    symbol = od.anti_wick_symbol(h_op)
    full = od.husimi_generator(symbol, q, n_modes=n_modes)
    assert strip_gaussian(full - exact, n_modes) == 0
    truncated = od.husimi_generator(symbol, q, max_order=2, n_modes=n_modes)
    beyond = strip_gaussian(exact - truncated, n_modes)
    remainder = od.husimi_generator(symbol, q, min_order=3, n_modes=n_modes)
    assert sp.expand(beyond - strip_gaussian(remainder, n_modes)) == 0
    assert (beyond == 0) == bool(od.satisfies_fp_truncation(symbol))


def test_husimi_generator_orders():
    symbol = od.anti_wick_symbol(od.kerr(1))
    q = sp.Function("Q")(A1, C1)
    drift = od.husimi_generator(symbol, min_order=1, max_order=1)
    # first order is the Liouville term with α̇ = −i ∂h/∂α*
    liouville = -sp.diff(-sp.I * sp.diff(symbol, C1) * q, A1) - sp.diff(
        sp.I * sp.diff(symbol, A1) * q, C1
    )
    assert sp.expand(drift - liouville) == 0
    assert od.husimi_generator(symbol, min_order=3) == 0
    assert sp.expand(od.husimi_generator(symbol) - od.husimi_generator(symbol, max_order=2)) == 0


# ---------------------------------------------------------------------------------------------
# truncation condition, Eq. (64), T2.6


def test_truncation_passes_bose_hubbard_and_kerr():
    bh = od.anti_wick_symbol(od.bose_hubbard(4, J, U, MU, periodic=True))
    result = od.satisfies_fp_truncation(bh)
    assert result and result.ok and result.offending == () and result.order == 2
    kerr = od.anti_wick_symbol(od.kerr(U))
    assert od.satisfies_fp_truncation(kerr)
    # mixed third derivatives are nonzero and do not matter: only pure ones enter Eq. (63)
    assert sp.diff(kerr, A1, A1, C1) != 0
    # and the free quadratic part of any model passes (C7 setting)
    assert od.satisfies_fp_truncation(A1 * C1 + A2 * C2)


def test_truncation_fails_higgs_like():
    m, lam = sp.symbols("m lambda", positive=True)
    symbol = od.anti_wick_symbol(od.higgs_like(m, lam))
    result = od.satisfies_fp_truncation(symbol)
    assert not result and result.order == 4
    found = {triple: d for triple, d in result.offending}
    assert set(found) == {(A1, A1, A2), (A1, A2, A2), (C1, C1, C2), (C1, C2, C2)}
    assert sp.simplify(found[(A1, A1, A2)] - lam * (C1 + A2) / m**2) == 0
    assert sp.simplify(found[(C1, C1, C2)] - lam * (A1 + C2) / m**2) == 0
    # ordering changes only quadratic terms: the classical function Eq. (72) fails identically
    classical = od.wick_symbol(od.higgs_like(m, lam))
    assert od.satisfies_fp_truncation(classical).offending == result.offending
    # the free part is m(|α|² + |β|²) (C7) and the quartic one is Eq. (72)
    quartic = (A1 * C1 + A2 * C2 + A1 * A2 + C1 * C2) ** 2 * lam / (4 * m**2)
    assert sp.expand(classical - m * (A1 * C1 + A2 * C2) - quartic) == 0


def test_truncation_fails_cubic_coupling_but_not_three_wave_mixing():
    g, w = sp.symbols("g omega", positive=True)
    result = od.satisfies_fp_truncation(od.anti_wick_symbol(od.cubic_coupling(g, w)))
    assert not result and result.order == 3
    expected = g / (2 * w) ** sp.Rational(3, 2)
    assert [t for t, _ in result.offending] == [(A1, A2, A3), (C1, C2, C3)]
    assert all(sp.simplify(d - expected) == 0 for _, d in result.offending)
    a1, a2, a3 = OPS
    three_wave = g * (Dagger(a1) * a2 * a3 + Dagger(a3) * Dagger(a2) * a1)
    assert od.satisfies_fp_truncation(od.anti_wick_symbol(three_wave))


def test_truncation_fails_gauge_like_with_mixed_mode_derivatives_only():
    symbol = od.anti_wick_symbol(od.gauge_like(sp.Symbol("g"), 1))
    result = od.satisfies_fp_truncation(symbol)
    assert not result and result.order == 4
    alphas, conjs = od.phase_space_symbols(6)
    poly = sp.Poly(symbol, *alphas, *conjs)
    # no single mode amplitude above power two (Section V.C) ...
    assert all(m[i] + m[6 + i] <= 2 for m in poly.monoms() for i in range(6))
    # ... yet pure third derivatives across different modes are nonzero
    assert all(len({str(v)[:7] for v in triple}) >= 2 for triple, _ in result.offending)
    assert (alphas[0], alphas[2], alphas[3]) in {t for t, _ in result.offending}


# ---------------------------------------------------------------------------------------------
# diffusion matrix, T2.2–T2.3


def generic_symbol(n_modes, degree, seed):
    """A real (swap-symmetric under α ↔ α* with conjugated coefficients) random polynomial."""
    rng = np.random.default_rng(seed)
    alphas, conjs = od.phase_space_symbols(n_modes)
    gens = alphas + conjs
    s = 0
    for exps in itertools.product(range(degree + 1), repeat=2 * n_modes):
        if sum(exps) <= degree:
            c = int(rng.integers(-3, 4)) + sp.I * int(rng.integers(-3, 4))
            s += c * sp.Mul(*(v**e for v, e in zip(gens, exps, strict=True)))
    swap = dict(zip(gens, conjs + alphas, strict=True))
    return sp.expand(s + _conj(s, swap))


def _conj(expr, swap):
    poly = sp.Poly(expr, *swap)
    gens = list(swap)
    return sp.Add(
        *(
            sp.conjugate(c) * sp.Mul(*(swap[g] ** e for g, e in zip(gens, m, strict=True)))
            for m, c in poly.terms()
        )
    )


def real_derivatives(n_modes):
    qs, ps = od.real_phase_space_symbols(n_modes)

    def d_alpha(i, f):
        return (sp.diff(f, qs[i]) - sp.I * sp.diff(f, ps[i])) / sp.sqrt(2)

    def d_conj(i, f):
        return (sp.diff(f, qs[i]) + sp.I * sp.diff(f, ps[i])) / sp.sqrt(2)

    return qs, ps, d_alpha, d_conj


@pytest.mark.parametrize("seed", [0, 1])
def test_complex_and_real_diffusion_agree_for_generic_quartic(seed):
    n = 2
    h = generic_symbol(n, 4, seed)
    assert sp.expand(h - _conj(h, dict(zip((A1, A2, C1, C2), (C1, C2, A1, A2), strict=True)))) == 0
    c = sp.Symbol("C", real=True)
    dr = od.diffusion_matrix(h, form="real", C=c)
    complex_op = od.diffusion_term(h, form="complex", C=c)
    real_op = od.diffusion_term(h, form="real", C=c)
    assert complex_op != 0
    assert sp.expand(complex_op - real_op) == 0
    # an independent construction of the complex-form operator, by hand
    qs, ps, d_alpha, d_conj = real_derivatives(n)
    rho = sp.Function("rho")(*qs, *ps)
    dc = od.diffusion_matrix(h, form="complex", C=c)
    by_hand = sum(
        d_alpha(i, d_alpha(j, od.to_real_coordinates(dc[i, j], n_modes=n) * rho))
        + d_conj(i, d_conj(j, od.to_real_coordinates(dc[n + i, n + j], n_modes=n) * rho))
        for i in range(n)
        for j in range(n)
    )
    assert sp.expand(sp.I / 2 * by_hand - complex_op) == 0
    # and both are real (for a real H) and the real form is symmetric and traceless
    assert dr == dr.T and sp.expand(dr.trace()) == 0
    assert all(sp.expand(sp.im(x)) == 0 for x in dr)
    jm = od.symplectic_matrix(n)
    assert (dr * jm + jm * dr).applyfunc(sp.expand) == sp.zeros(2 * n)


def test_complex_diffusion_is_second_order_husimi_term():
    h = generic_symbol(2, 4, 3)
    alphas, conjs = od.phase_space_symbols(2)
    z = alphas + conjs
    q = sp.Function("Q")(*z)
    d = od.diffusion_matrix(h)
    assert d[:2, 2:] == sp.zeros(2) and d[2:, :2] == sp.zeros(2)  # Eq. (35)
    fp = sp.I / 2 * sum(sp.diff(d[a, b] * q, z[a], z[b]) for a in range(4) for b in range(4))
    second = od.husimi_generator(h, min_order=2, max_order=2)
    assert sp.expand(fp - second) == 0


def test_energy_conservation_fixes_conjugate_derivatives():
    """Eq. (39): Σ_ab ∂_a∂_b H · D_ab = 0 for D of diffusion_matrix, not for D^{αα} ∝ H_αα."""
    h = generic_symbol(2, 4, 4)
    alphas, conjs = od.phase_space_symbols(2)
    z = alphas + conjs
    d = od.diffusion_matrix(h)
    hess = sp.hessian(h, z)
    assert sp.expand(sum(hess[a, b] * d[a, b] for a in range(4) for b in range(4))) == 0
    wrong = sum(
        hess[i, j] * hess[i, j] - hess[2 + i, 2 + j] * hess[2 + i, 2 + j]
        for i in range(2)
        for j in range(2)
    )
    assert sp.expand(wrong) != 0


@pytest.mark.parametrize("n_modes", [1, 2, 3])
def test_real_diffusion_on_random_symmetric_hessians(n_modes):
    """H = ½ zᵀ S z with random symmetric S: D = ½[S, J], traceless, DJ = −JD, ±λ pairs."""
    rng = np.random.default_rng(10 + n_modes)
    size = 2 * n_modes
    s_int = rng.integers(-5, 6, size=(size, size))
    s = sp.Matrix((s_int + s_int.T).tolist())
    qs, ps = od.real_phase_space_symbols(n_modes)
    alphas, conjs = od.phase_space_symbols(n_modes)
    back = {}
    for q, p, a, c in zip(qs, ps, alphas, conjs, strict=True):
        back[q] = (a + c) / sp.sqrt(2)
        back[p] = (a - c) / (sp.sqrt(2) * sp.I)
    zvec = sp.Matrix(qs + ps)
    h = sp.expand((zvec.T * s * zvec)[0, 0].xreplace(back) / 2)
    d = od.diffusion_matrix(h, form="real")
    jm = od.symplectic_matrix(n_modes)
    assert d == (s * jm - jm * s) / 2
    dn = np.array(d.evalf(), dtype=float)
    jn = np.array(jm, dtype=float)
    assert abs(np.trace(dn)) < 1e-12
    np.testing.assert_allclose(dn @ jn + jn @ dn, 0, atol=1e-12)
    eig = np.sort(np.linalg.eigvalsh(dn))
    np.testing.assert_allclose(eig, -eig[::-1], atol=1e-10)
    # with S ∝ identity (free modes with C7 scales) there is no diffusion
    free = sum(a * c for a, c in zip(alphas, conjs, strict=True))
    assert od.diffusion_matrix(free, form="real") == sp.zeros(size)
    assert od.diffusion_matrix(free) == sp.zeros(size)


def test_real_form_of_kerr():
    """Kerr (U/2)|α|⁴: D = (1/2)[H̃″, J] in closed form (Eqs. (A14)–(A16))."""
    (q,), (p,) = od.real_phase_space_symbols(1)
    d = od.diffusion_matrix(od.anti_wick_symbol(od.kerr(U)), form="real")
    # H = (U/8)(Q²+P²)² − U(Q²+P²) + U: A = H_QQ − H_PP = U(Q² − P²), B = 2H_QP = 2UQP
    expected = sp.Matrix([[-U * q * p, U * (q**2 - p**2) / 2], [U * (q**2 - p**2) / 2, U * q * p]])
    assert (d - expected).applyfunc(sp.expand) == sp.zeros(2)


def test_diffusion_from_hessian_symbolic_matches_diffusion_matrix_and_c7():
    h = generic_symbol(2, 3, 5)
    qs, ps = od.real_phase_space_symbols(2)
    c = sp.Symbol("C", real=True)
    hess = sp.hessian(od.to_real_coordinates(h), qs + ps)
    assert od.diffusion_from_hessian(hess, C=c) == od.diffusion_matrix(h, form="real", C=c)
    # C7: a free mode in scaled coordinates diffuses unless ell = 1/sqrt(omega)
    omega, ell = sp.symbols("omega ell", positive=True)
    (q,), (p,) = od.real_phase_space_symbols(1)
    d = od.diffusion_from_hessian(sp.hessian(((omega * ell * q) ** 2 + (p / ell) ** 2) / 2, (q, p)))
    assert sp.expand(d[0, 1] - (omega**2 * ell**2 - 1 / ell**2) / 2) == 0
    assert d[0, 0] == d[1, 1] == 0
    assert sp.solve(d[0, 1], ell) == [1 / sp.sqrt(omega)]


@pytest.mark.parametrize("n_modes", [1, 2, 4])
def test_diffusion_from_hessian_numeric_spectrum(n_modes):
    """Eq. (53): D symmetric, traceless, DJ = −JD, eigenvalues in ± pairs; agrees with sympy."""
    rng = np.random.default_rng(n_modes)
    m = rng.standard_normal((2 * n_modes, 2 * n_modes))
    hess = m + m.T
    d = od.diffusion_from_hessian(hess, C=3.0)
    jn = np.array(od.symplectic_matrix(n_modes), dtype=float)
    np.testing.assert_array_equal(d, d.T)
    assert abs(np.trace(d)) < 1e-12
    np.testing.assert_allclose(d @ jn + jn @ d, 0, atol=1e-12)
    lam = np.sort(np.linalg.eigvalsh(d))
    np.testing.assert_allclose(lam, -lam[::-1], atol=1e-12)
    exact = od.diffusion_from_hessian(sp.Matrix(hess), C=3)
    np.testing.assert_allclose(d, np.array(exact, dtype=float), rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(od.diffusion_from_hessian(np.eye(2 * n_modes)), 0.0)


def test_diffusion_from_hessian_errors():
    with pytest.raises(ValueError, match="square 2N x 2N"):
        od.diffusion_from_hessian(np.eye(3))
    with pytest.raises(ValueError, match="square 2N x 2N"):
        od.diffusion_from_hessian(np.ones((2, 4)))
    with pytest.raises(ValueError, match="symmetric"):
        od.diffusion_from_hessian(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        od.diffusion_from_hessian(sp.Matrix([[0, 1], [0, 0]]))
    with pytest.raises(ValueError, match="finite"):
        od.diffusion_from_hessian(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="finite real C"):
        od.diffusion_from_hessian(np.eye(2), C=1j)
    with pytest.raises(TypeError, match="C must be"):
        od.diffusion_from_hessian(sp.eye(2), C="one")


def test_energy_change_selects_conjugate_derivatives():
    """Eq. (39): zero for diffusion_matrix, nonzero for the literal pairing D^{αα} ∝ H_αα."""
    h = generic_symbol(2, 4, 6)
    c = sp.Symbol("C", real=True)
    assert od.energy_change(od.diffusion_matrix(h, C=c), h) == 0
    alphas, conjs = od.phase_space_symbols(2)
    literal = sp.zeros(4)
    for i in range(2):
        for j in range(2):
            literal[i, j] = sp.diff(h, alphas[i], alphas[j])
            literal[2 + i, 2 + j] = -sp.diff(h, conjs[i], conjs[j])
    assert od.energy_change(literal, h) != 0
    # a one-mode symbol against a two-mode matrix: the missing mode contributes nothing
    assert od.energy_change(od.diffusion_matrix(A1**2 * C1**2, n_modes=2), A1**2 * C1**2) == 0


def test_energy_change_errors():
    with pytest.raises(ValueError, match="d_matrix must be a square 2N x 2N sympy Matrix"):
        od.energy_change(np.zeros((2, 2)), A1 * C1)
    with pytest.raises(ValueError, match="d_matrix must be a square"):
        od.energy_change(sp.zeros(3), A1 * C1)
    with pytest.raises(ValueError, match="n_modes = 1 but h contains mode 2"):
        od.energy_change(sp.zeros(2), A2 * C2)
    with pytest.raises(TypeError, match="h contains operators"):
        od.energy_change(sp.zeros(2), OPS[0])


def test_anti_wick_coefficients_fock_matrices():
    from qfcore import phase_space as ps

    (a,) = od.boson_operators(1)
    number = od.anti_wick_coefficients(Dagger(a) * a)
    assert number == {(1, 1): 1.0, (0, 0): -1.0}
    np.testing.assert_allclose(ps.fock_matrix_from_anti_wick(number, (6,)), np.diag(range(6)))
    kerr = od.anti_wick_coefficients(od.kerr(U), values={U: 1})
    levels = np.arange(8)
    np.testing.assert_allclose(
        ps.fock_matrix_from_anti_wick(kerr, (8,)), np.diag(levels * (levels - 1) / 2), atol=1e-12
    )
    dimer = od.anti_wick_coefficients(od.bose_hubbard(2, J, U, MU), values={J: 1, U: 0, MU: 0})
    assert dimer == {((1, 0), (0, 1)): -1.0, ((0, 1), (1, 0)): -1.0}
    assert set(od.anti_wick_coefficients(Dagger(a) * a, n_modes=2)) == {
        ((1, 0), (1, 0)),
        ((0, 0), (0, 0)),
    }


def test_anti_wick_coefficients_errors():
    with pytest.raises(ValueError, match="substitute parameters first"):
        od.anti_wick_coefficients(od.kerr(U))
    with pytest.raises(TypeError, match="values must be a dict"):
        od.anti_wick_coefficients(od.kerr(U), values=[(U, 1)])


def test_random_real_symbol_is_real_and_consumes_one_draw():
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    h = od.random_real_symbol(2, rng, degree=3)
    assert sp.expand(h - _conj(h, dict(zip((A1, A2, C1, C2), (C1, C2, A1, A2), strict=True)))) == 0
    assert (
        sp.Poly(h, A1, A2, C1, C2).total_degree() <= 3 and h.subs({A1: 0, A2: 0, C1: 0, C2: 0}) == 0
    )
    n_monomials = math.comb(3 + 4, 4) - 1  # exponent tuples of 4 variables with 1 <= sum <= 3
    twin.integers(-3, 4, size=(n_monomials, 2))
    assert rng.random() == twin.random()
    assert od.random_real_symbol(2, np.random.default_rng(3), degree=3) == h


def test_random_real_symbol_errors():
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        od.random_real_symbol(1, 3)
    with pytest.raises(ValueError, match="degree"):
        od.random_real_symbol(1, np.random.default_rng(0), degree=0)


# ---------------------------------------------------------------------------------------------
# errors


def test_errors_modes_and_forms():
    with pytest.raises(ValueError, match="n_modes must be >= 1"):
        od.phase_space_symbols(0)
    with pytest.raises(TypeError, match="n_modes must be an int"):
        od.boson_operators(1.5)
    with pytest.raises(ValueError, match="n_modes must be >= 1"):
        od.symplectic_matrix(0)
    with pytest.raises(ValueError, match="form must be one of"):
        od.diffusion_matrix(A1 * C1, form="polar")
    with pytest.raises(ValueError, match="pass n_modes >= 2"):
        od.operator_from_wick(A2 * C2, n_modes=1)
    with pytest.raises(TypeError, match="C must be a number"):
        od.diffusion_matrix(A1 * C1, C="one")


def test_errors_not_polynomial():
    a = OPS[0]
    for bad in (1 / A1, sp.exp(A1), sp.sqrt(C1) * A1):
        with pytest.raises(ValueError, match="not a polynomial"):
            od.satisfies_fp_truncation(bad)
        with pytest.raises(ValueError, match="not a polynomial"):
            od.operator_from_anti_wick(bad)
    with pytest.raises(ValueError, match="not a polynomial in the boson operators"):
        od.anti_wick_symbol(a**-1)
    with pytest.raises(ValueError, match="not a polynomial in the boson operators"):
        od.normal_order(a ** sp.Symbol("k"))
    with pytest.raises(TypeError, match="not a boson operator"):
        od.anti_wick_symbol(sp.Symbol("x", commutative=False) * a)
    with pytest.raises(TypeError, match="sympy expression"):
        od.wick_symbol("a_1")


def test_errors_wrong_kind_of_input():
    a = OPS[0]
    with pytest.raises(TypeError, match="anti_wick_symbol"):
        od.satisfies_fp_truncation(Dagger(a) * a)
    with pytest.raises(TypeError, match="operator_from_anti_wick"):
        od.anti_wick_symbol(A1 * C1)
    with pytest.raises(ValueError, match="boson_operators"):
        od.anti_wick_symbol(Dagger(BosonOp("b")) * BosonOp("b"))
    with pytest.raises(TypeError, match="annihilation BosonOp"):
        od.wick_symbol(a, modes=(Dagger(a),))
    with pytest.raises(ValueError, match="twice"):
        od.wick_symbol(a, modes=(a, a))
    with pytest.raises(ValueError, match="not in modes"):
        od.wick_symbol(OPS[1], modes=(a,))
    with pytest.raises(ValueError, match="max_order must be >= 3"):
        od.husimi_generator(A1**2 * C1**2, min_order=3, max_order=2)


def test_errors_example_hamiltonians():
    with pytest.raises(ValueError, match="n_sites >= 3"):
        od.bose_hubbard(2, 1, 1, periodic=True)
    with pytest.raises(ValueError, match="n_sites must be >= 1"):
        od.bose_hubbard(0, 1, 1)
    with pytest.raises(TypeError, match="periodic must be a bool"):
        od.bose_hubbard(3, 1, 1, periodic=1)
    with pytest.raises(TypeError, match="U must be a number"):
        od.bose_hubbard(3, 1, "big")
    with pytest.raises(TypeError, match="J must be a commutative scalar"):
        od.bose_hubbard(3, OPS[0], 1)
    with pytest.raises(ValueError, match="m must be > 0"):
        od.higgs_like(-1, 1)
    with pytest.raises(ValueError, match="omega must be > 0"):
        od.cubic_coupling(1, 0)
    with pytest.raises(ValueError, match="omega must be > 0"):
        od.gauge_like(1, -2)


def test_diffusion_term_errors():
    (a,), (ac,) = od.phase_space_symbols(1)
    with pytest.raises(ValueError, match="form must be one of"):
        od.diffusion_term(a**2 * ac**2, form="polar")
    with pytest.raises(TypeError):
        od.diffusion_term(od.boson_operators(1)[0])


# ---------------------------------------------------------------------------------------------
# Eq. (35) from C3 + C4 (+ C5), the adjoint generator and coherent averages


def test_offdiagonal_block_c3_c4_leave_one_family_and_c5_removes_it():
    out = od.derive_offdiagonal_diffusion(2, degree=3)
    sol = out["real_coefficients"]
    u1, u2, u3, u4 = sp.symbols("u1:5", real=True)
    # C3 + C4 (Eqs. 17, 33) with real coefficients leave D_ij = u (H_{i*j*} − H_{ij})
    assert out["free_parameters"] == [u2]
    assert sol[u1] == -u2 and sol[u3] == 0 and sol[u4] == 0
    # the surviving block is symmetric and purely imaginary for a real H: check on a real point
    block = out["block_real"]
    assert sp.expand(block - block.T) == sp.zeros(2)
    point = {A1: 0.3 + 0.2j, C1: 0.3 - 0.2j, A2: -0.7 + 1.1j, C2: -0.7 - 1.1j, u2: 1.0}
    values = np.array(block.subs(point).evalf(), dtype=complex)
    assert np.abs(values.real).max() < 1e-12 and np.abs(values.imag).max() > 1e-3
    # energy conservation (C5) forces it to zero: Eq. (35)
    assert out["block_with_energy_conservation"] == sp.zeros(2)
    assert set(out["with_energy_conservation"].values()) == {0}


def test_offdiagonal_derivation_errors():
    with pytest.raises(ValueError, match="n_modes"):
        od.derive_offdiagonal_diffusion(1)
    with pytest.raises(ValueError, match="degree"):
        od.derive_offdiagonal_diffusion(2, degree=1)


def test_adjoint_generator_free_and_exact_against_fock():
    a, ac = A1, C1
    # free oscillator h = ω|α|²: dα/dt = −iωα, d|α|²/dt = 0 at every order
    w = sp.Rational(3, 2)
    assert od.adjoint_generator(w * a * ac, a) == -sp.I * w * a
    assert od.adjoint_generator(w * a * ac, a * ac) == 0
    # exact (all orders): d⟨a a†⟩/dt = ⟨i[H, a a†]⟩ for H = a†³ + a³ (symbol α*³ + α³), Fock check
    h = a**3 + ac**3
    rate = od.adjoint_generator(h, a * ac)  # anti-Wick symbol of i[H, a a†]
    d = 30
    low = np.diag(np.sqrt(np.arange(1, d)), 1)
    hm = np.linalg.matrix_power(low.T, 3) + np.linalg.matrix_power(low, 3)
    big = d + 3
    lowb = np.diag(np.sqrt(np.arange(1, big)), 1)
    hb = np.linalg.matrix_power(lowb.T, 3) + np.linalg.matrix_power(lowb, 3)
    obs = lowb @ lowb.T
    comm = 1j * (hb @ obs - obs @ hb)
    beta = 0.6 + 0.3j
    psi = np.array([beta**k / math.sqrt(math.factorial(k)) for k in range(big)]) * np.exp(
        -(abs(beta) ** 2) / 2
    )
    fock = np.vdot(psi, comm @ psi).real
    assert hm.shape == (d, d)
    sym_value = complex(od.coherent_average(rate, sp.nsimplify(0.6) + sp.I * sp.nsimplify(0.3)))
    assert abs(sym_value - fock) < 1e-10 * max(1.0, abs(fock))
    # the Fokker–Planck truncation drops the third-order term: it differs for this cubic h
    third = od.adjoint_generator(h, ac**3) - od.adjoint_generator(h, ac**3, max_order=2)
    assert third == 6 * sp.I  # −i(−1)³/3! · ∂³_α h · ∂³_{α*} α*³ = i·6·6/6


def test_coherent_average_closed_forms():
    a, ac = A1, C1
    b = sp.Rational(1, 2) + sp.I
    assert od.coherent_average(a * ac, 2) == 5  # ⟨a a†⟩ = |β|² + 1
    assert (
        sp.simplify(od.coherent_average(a**2 * ac**2, b) - (abs(b) ** 4 + 4 * abs(b) ** 2 + 2)) == 0
    )
    assert od.coherent_average(a**3, b) == sp.expand(b**3)
    assert od.coherent_average(A1 * C2, [1, 2]) == 2  # independent modes: β₁ β₂* (no δ term)
    with pytest.raises(ValueError, match="one amplitude per mode"):
        od.coherent_average(A1 * C2, [1])
