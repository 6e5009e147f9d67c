"""Tests of qfcore.madelung: Madelung recasting, Theorems 1-3 of paper 000, ξ-averages.

Everything is exact symbolic algebra: an identity passes iff ``sympy.simplify`` reduces the
residual to 0, so there are no tolerances. Each derivation is also checked against something
computed another way: known exact solutions, sympy's own Euler-Lagrange operator, the paper's
written-out equations, or a direct average over a two-point ξ.
"""

import numpy as np
import pytest
import sympy as sp
from sympy.calculus.euler import euler_equations

from qfcore import madelung as M
from qfcore import trajectories as tr

HBAR = sp.Symbol("hbar", positive=True)


def is_zero(expr) -> bool:
    return sp.simplify(expr) == 0


def real_part(expr):
    """Re of an expression built from real symbols and real functions, I explicit."""
    return sp.expand(expr + expr.subs(sp.I, -sp.I)) / 2


def on_state(expr, f, rho, s, **functions):
    """Substitute explicit ρ(q, t), S(q, t) (and V, A_i given by name) and evaluate."""
    subs = {f.rho: rho, f.S: s}
    subs |= {fn: functions[fn.func.__name__] for fn in (f.V, *f.A) if fn.func.__name__ in functions}
    return sp.simplify(expr.subs(subs).doit())


# ---------------------------------------------------------------------------------------------
# fields and the Madelung recasting


def test_madelung_fields_bundle():
    f = M.madelung_fields(2, vector_potential=True)
    assert f.q == sp.symbols("q1 q2", real=True) and f.hbar == HBAR
    assert is_zero(f.psi * sp.conjugate(f.psi) - f.rho)
    assert len(f.A) == 2 and M.madelung_fields(2).A == ()
    assert M.madelung_fields(2).vector_potential == (0, 0)
    assert M.madelung_fields(2) is M.madelung_fields(2)  # cached: same symbols everywhere
    named = M.madelung_fields(2, coordinates=["x", "y"])
    assert [str(c) for c in named.q] == ["x", "y"]
    h = M.measurement_hamiltonian()
    assert h.fields.q == h.coordinates and h.hamiltonian.free_symbols >= {*h.momenta, h.g}


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_identity_eq24(dim):
    assert M.identity_eq24(dim).applyfunc(sp.simplify).is_zero_matrix


@pytest.mark.parametrize("dim", [1, 2])
def test_quantum_potential_in_the_form_of_eq24(dim):
    """Q = −(ħ²/2m)[∇²ρ/2ρ − (∇ρ)²/4ρ²]: the trace of Eq. (24), written with ρ only."""
    f = M.madelung_fields(dim)
    lap = sum(sp.diff(f.rho, q, 2) for q in f.q)
    grad2 = sum(sp.diff(f.rho, q) ** 2 for q in f.q)
    expected = -(f.hbar**2) / (2 * f.m) * (lap / (2 * f.rho) - grad2 / (4 * f.rho**2))
    assert is_zero(M.quantum_potential(dim) - expected)


@pytest.mark.parametrize(("dim", "with_a"), [(1, False), (1, True), (2, True), (3, True)])
def test_madelung_equations_and_inverse(dim, with_a):
    continuity, qhj = M.madelung_equations(dim, vector_potential=with_a)
    assert is_zero(continuity - M.continuity_equation(dim, vector_potential=with_a))
    assert is_zero(qhj - M.hamilton_jacobi_equation(dim, vector_potential=with_a, quantum=True))
    assert is_zero(M.schrodinger_residual(dim, vector_potential=with_a))
    # the classical HJ equation is NOT the real part: they differ by the quantum potential
    classical = M.hamilton_jacobi_equation(dim, vector_potential=with_a)
    assert is_zero(qhj - classical - M.quantum_potential(dim))
    assert not is_zero(qhj - classical)


def test_madelung_equations_on_exact_solutions():
    """Oscillator ground state and a plane wave in a constant vector potential."""
    f = M.madelung_fields(1, vector_potential=True)
    (x,), t, m, hbar = f.q, f.t, f.m, f.hbar
    omega, k, a = sp.symbols("omega k a", positive=True)
    continuity = M.continuity_equation(1, vector_potential=True)
    qhj = M.hamilton_jacobi_equation(1, vector_potential=True, quantum=True)
    hj = M.hamilton_jacobi_equation(1, vector_potential=True)
    # ground state: ρ = e^{−mωx²/ħ}, S = −ħωt/2, V = mω²x²/2, A = 0
    ground = {"rho": sp.exp(-m * omega * x**2 / hbar), "s": -hbar * omega * t / 2}
    pot = {"V": m * omega**2 * x**2 / 2, "A1": 0}
    assert on_state(continuity, f, **ground, **pot) == 0
    assert on_state(qhj, f, **ground, **pot) == 0
    assert on_state(hj, f, **ground, **pot) != 0  # only the quantum potential binds it
    # plane wave e^{i(kx − Et)/ħ}, E = (k − a)²/2m: ρ = 1 has no quantum potential
    plane = {"rho": sp.S.One, "s": k * x - (k - a) ** 2 / (2 * m) * t}
    for eq in (continuity, qhj, hj):
        assert on_state(eq, f, **plane, V=0, A1=a) == 0


# ---------------------------------------------------------------------------------------------
# the epistemic restriction and ξ-averages


def test_xi_average_known_polynomials():
    xi, mu3, mu4 = sp.Symbol("xi", real=True), sp.Symbol("mu3"), sp.Symbol("mu4")
    a, b = sp.symbols("a b")
    assert M.xi_average(a + b * xi + xi**2, xi) == a + HBAR**2
    assert M.xi_average((a + xi) ** 4, xi, {3: 0, 4: mu4}) == sp.expand(
        a**4 + 6 * a**2 * HBAR**2 + mu4
    )
    assert M.xi_average((a + xi) ** 3, xi, {3: mu3}) == sp.expand(a**3 + 3 * a * HBAR**2 + mu3)
    assert M.xi_average(xi**2, xi, {2: b}) == b  # a given moment overrides the default
    x1, x2 = sp.symbols("xi1 xi2", real=True)
    assert M.xi_average(x1 * x2 + x1**2, [x1, x2]) == HBAR**2  # independent: <xi1 xi2> = 0
    assert M.xi_average(x1**2 * x2**2, (x1, x2)) == HBAR**4


def test_xi_average_agrees_with_a_two_point_distribution():
    """ξ = ±ħ with probability ½ has moments 0, ħ², 0, ħ⁴, ...: average directly."""
    xi, a, b = sp.Symbol("xi", real=True), sp.Symbol("a"), sp.Symbol("b")
    poly = (a + b * xi) ** 4 + 3 * xi**3 - xi
    direct = (poly.subs(xi, HBAR) + poly.subs(xi, -HBAR)) / 2
    assert is_zero(M.xi_average(poly, xi, {3: 0, 4: HBAR**4}) - direct)


@pytest.mark.parametrize("separable", [False, True])
def test_epistemic_momenta_mean_and_variance(separable):
    """⟨p_i⟩_ξ = ∂_iS and Var p_i = ħ²(∂_iρ/2ρ)² (Eqs. (6)-(7), (35))."""
    f = M.madelung_fields(2)
    momenta, xis = M.epistemic_momenta(f, separable=separable)
    assert len(xis) == (2 if separable else 1)
    for p, q in zip(momenta, f.q, strict=True):
        assert is_zero(M.xi_average(p, xis) - sp.diff(f.S, q))
        var = M.xi_average(p**2, xis) - sp.diff(f.S, q) ** 2
        assert is_zero(var - f.hbar**2 * (sp.diff(f.rho, q) / (2 * f.rho)) ** 2)


@pytest.mark.parametrize(("dim", "with_a"), [(1, False), (2, True), (3, False)])
def test_energy_density_eq40_and_eq14(dim, with_a):
    f = M.madelung_fields(dim, vector_potential=with_a)
    h, ps = M.classical_hamiltonian(f)
    kinetic = sum((sp.diff(f.S, q) - a) ** 2 for q, a in zip(f.q, f.vector_potential, strict=True))
    classical = f.rho * (kinetic / (2 * f.m) + f.V)  # Eq. (14)
    fisher = f.hbar**2 * sum(sp.diff(f.rho, q) ** 2 for q in f.q) / (8 * f.m * f.rho)
    for separable in (False, True):  # a sum of one-body terms does not see the correlations
        e = M.ensemble_energy_density(h, f, momenta_symbols=ps, separable=separable)
        assert is_zero(e - classical - fisher)  # Eq. (40)
    e0 = M.ensemble_energy_density(h, f, momenta_symbols=ps, epistemic=False)
    assert is_zero(e0 - classical)


def test_separable_xi_drops_the_quantum_cross_term():
    """ρ⟨p1 p2⟩: a shared ξ adds ħ²∂1ρ∂2ρ/4ρ = −ħ²ρ∂1∂2√ρ/√ρ + divergence; separable ξ's don't."""
    f = M.madelung_fields(2)
    p1, p2 = sp.symbols("p1 p2", real=True)
    shared = M.ensemble_energy_density(p1 * p2, f, momenta_symbols=(p1, p2))
    apart = M.ensemble_energy_density(p1 * p2, f, momenta_symbols=(p1, p2), separable=True)
    classical = f.rho * sp.diff(f.S, f.q[0]) * sp.diff(f.S, f.q[1])
    assert is_zero(apart - classical)
    extra = shared - classical
    assert not is_zero(extra)
    r, (x, y) = sp.sqrt(f.rho), f.q
    quantum_term = -(f.hbar**2) * f.rho * sp.diff(r, x, y) / r
    assert is_zero(extra - quantum_term - f.hbar**2 * sp.diff(r * sp.diff(r, y), x))


# ---------------------------------------------------------------------------------------------
# Theorems 1 and 3: energy conservation


@pytest.mark.parametrize(("dim", "with_a"), [(1, False), (1, True), (2, True), (3, True)])
def test_theorems_1_and_3(dim, with_a):
    f = M.madelung_fields(dim, vector_potential=with_a)
    h, ps = M.classical_hamiltonian(f)
    classical = M.energy_conservation(h, f, momenta_symbols=ps, epistemic=False)
    quantum = M.energy_conservation(h, f, momenta_symbols=ps, epistemic=True)
    continuity = M.continuity_equation(dim, vector_potential=with_a)
    for balance in (classical, quantum):
        assert is_zero(balance.residual)  # the split of d<H>/dt is an identity
        assert is_zero(balance.continuity - continuity)  # Eqs. (13), (38)
        for v, q, a in zip(balance.velocity, f.q, f.vector_potential, strict=True):
            assert is_zero(v - (sp.diff(f.S, q) - a) / f.m)
    hj = M.hamilton_jacobi_equation(dim, vector_potential=with_a)
    qhj = M.hamilton_jacobi_equation(dim, vector_potential=with_a, quantum=True)
    assert is_zero(classical.equation - hj)  # Theorem 1, Eq. (16)
    assert is_zero(quantum.equation - qhj)  # Theorem 3, Eq. (44)
    assert not is_zero(quantum.equation - hj)


def test_classical_hamiltonian_closed_form():
    f = M.madelung_fields(2, vector_potential=True)
    h, (p1, p2) = M.classical_hamiltonian(f)
    a1, a2 = f.A
    assert is_zero(h - ((p1 - a1) ** 2 + (p2 - a2) ** 2) / (2 * f.m) - f.V)
    # Hamilton's equations: dq_i/dt = ∂H/∂p_i = (p_i − A_i)/m, and the mass matrix is 1/m.
    assert is_zero(sp.diff(h, p1) - (p1 - a1) / f.m)
    assert sp.hessian(h, (p1, p2)) == sp.eye(2) / f.m
    assert all(p.is_real for p in (p1, p2)) and {p1, p2}.isdisjoint(f.q)
    h0, (p,) = M.classical_hamiltonian(M.madelung_fields(1))
    assert is_zero(h0.subs(p, 0) - M.madelung_fields(1).V)  # no vector potential: A = 0


def test_classical_hamiltonian_rejects_other_fields():
    with pytest.raises(TypeError, match="fields must come from madelung_fields"):
        M.classical_hamiltonian((sp.Symbol("q"),))


@pytest.mark.parametrize(("dim", "with_a"), [(1, True), (2, False)])
def test_bracket_is_the_functional_derivative(dim, with_a):
    """B − ∂_tS = δE/δρ, computed independently with sympy's Euler-Lagrange operator."""
    f = M.madelung_fields(dim, vector_potential=with_a)
    h, ps = M.classical_hamiltonian(f)
    balance = M.energy_conservation(h, f, momenta_symbols=ps)
    (el_rho, _) = euler_equations(balance.energy_density, [f.rho, f.S], [*f.q, f.t])
    assert is_zero(balance.equation - sp.diff(f.S, f.t) - el_rho.lhs)


def test_energy_conservation_quadratic_cross_terms():
    """H = p1 p2 + c(q) p1: d<H>/dt split still an identity, and B = ∂_tS + δE/δρ with the
    shared-ξ cross term ħ²∂1ρ∂2ρ/4ρ contributing −ħ²∂1∂2√ρ/√ρ."""
    f = M.madelung_fields(2)
    p1, p2 = sp.symbols("p1 p2", real=True)
    c = sp.Function("c", real=True)(*f.q)
    balance = M.energy_conservation(p1 * p2 + c * p1, f, momenta_symbols=(p1, p2))
    assert is_zero(balance.residual)
    s1, s2 = (sp.diff(f.S, q) for q in f.q)
    r = sp.sqrt(f.rho)
    expected = sp.diff(f.S, f.t) + s1 * s2 + c * s1 - f.hbar**2 * sp.diff(r, *f.q) / r
    assert is_zero(balance.equation - expected)


# ---------------------------------------------------------------------------------------------
# measurement of angular momentum


def test_measurement_equations_47_53_57():
    h = M.measurement_hamiltonian()
    f, g = h.fields, h.g
    x, y, qs = f.q
    m = M.measurement_derivation()
    assert m.nonseparable_matches_eq53 and m.separable_matches_eq57 and m.schrodinger_recast
    # Eq. (53) written out here independently of the module, with R = √ρ
    r = sp.sqrt(f.rho)
    sx, sy, ss = (sp.diff(f.S, c) for c in f.q)
    eq57 = sp.diff(f.S, f.t) + g * (x * sy - y * sx) * ss
    eq53 = eq57 - g * f.hbar**2 * (x * sp.diff(r, y, qs) - y * sp.diff(r, x, qs)) / r
    assert is_zero(m.nonseparable - eq53) and is_zero(m.separable - eq57)
    assert not is_zero(m.nonseparable - m.separable)  # the ħ² term is the quantum potential
    # the velocity field of Eq. (47) and the residual of the energy split
    balance = M.energy_conservation(h.hamiltonian, f, momenta_symbols=h.momenta)
    assert is_zero(balance.residual)
    expected_v = (-g * y * ss, g * x * ss, g * (x * sy - y * sx))
    assert all(is_zero(v - w) for v, w in zip(balance.velocity, expected_v, strict=True))


def test_measurement_recast_is_the_schrodinger_equation():
    """(iħψ_t − g l̂_z p̂_Σ ψ)/ψ = −B + (iħ/2ρ)·continuity, with the operators applied here."""
    h = M.measurement_hamiltonian()
    f = h.fields
    x, y, qs = f.q
    m = M.measurement_derivation()
    balance = M.energy_conservation(h.hamiltonian, f, momenta_symbols=h.momenta)
    p_sigma_psi = -sp.I * f.hbar * sp.diff(f.psi, qs)
    lz_p_psi = -sp.I * f.hbar * (x * sp.diff(p_sigma_psi, y) - y * sp.diff(p_sigma_psi, x))
    lhs = (sp.I * f.hbar * sp.diff(f.psi, f.t) - h.g * lz_p_psi) / f.psi
    rhs = -m.nonseparable + sp.I * f.hbar / (2 * f.rho) * balance.continuity
    assert is_zero(lhs - rhs)
    # with the separable (classical) law the recasting fails: the quantum potential is missing
    assert not is_zero(lhs + m.separable - sp.I * f.hbar / (2 * f.rho) * balance.continuity)


# ---------------------------------------------------------------------------------------------
# Theorem 2 and the fourth moment


@pytest.mark.parametrize("dim", [1, 2])
def test_theorem2(dim):
    d = M.theorem2_derivation(dim)
    assert is_zero(d.real_residual) and is_zero(d.imaginary_residual)
    assert is_zero(M.theorem2_residual(dim))
    # the densities differ pointwise: only their integrals agree
    assert not is_zero(real_part(d.quantum) - d.ensemble)
    # closed forms of the flux: Re F_i = −(ħ²/4) g_ij ∂_jρ, Im F_i = −(ħ/2) ρ g_ij (∂_jS − A_j)
    rho = d.R**2
    for i, fi in enumerate(d.flux):
        re_f = -(HBAR**2) / 4 * sum(d.g[i, j] * sp.diff(rho, d.q[j]) for j in range(dim))
        im_f = (
            -HBAR
            / 2
            * rho
            * sum(d.g[i, j] * (sp.diff(d.S, qj) - d.A[j]) for j, qj in enumerate(d.q))
        )
        assert is_zero(fi - re_f - sp.I * im_f)


def test_theorem2_real_part_is_eq27():
    """Re ψ*Ôψ equals the integrand of the paper's Eq. (27)/(31) pointwise (d = 2)."""
    d = M.theorem2_derivation(2)
    q, r, g = d.q, d.R, d.g
    pairs = [(i, j) for i in range(2) for j in range(2)]
    kinetic = sum(
        g[i, j] / 2 * (sp.diff(d.S, q[i]) - d.A[i]) * (sp.diff(d.S, q[j]) - d.A[j])
        for i, j in pairs
    )
    quantum = sum(
        g[i, j] * sp.diff(r, q[i], q[j]) / r + sp.diff(g[i, j], q[i]) * sp.diff(r, q[j]) / r
        for i, j in pairs
    )
    eq27 = (kinetic + d.V - HBAR**2 / 2 * quantum) * r**2
    assert is_zero(real_part(d.quantum) - eq27)


def test_fourth_moment_depends_on_mu4():
    avg = M.fourth_moment_dependence()
    f = M.madelung_fields(1)
    (x,) = f.q
    mu4 = sp.Symbol("mu4", positive=True)
    w = sp.diff(f.rho, x) / (2 * f.rho)
    s1 = sp.diff(f.S, x)
    assert is_zero(avg - (s1**4 + 6 * HBAR**2 * s1**2 * w**2 + mu4 * w**4))
    assert not is_zero(avg.subs(mu4, HBAR**4) - avg.subs(mu4, 3 * HBAR**4))


def test_no_mu4_reproduces_p4():
    """The Euler-Lagrange expression of the difference vanishes for no μ4, and two states
    need different μ4: a real Gaussian needs ⟨ξ⁴⟩ = ħ⁴, a real Lorentzian 1/(1+q²) another."""
    c = M.fourth_moment_comparison()
    f, mu4 = c.fields, c.mu4
    (x,) = f.q
    # 1) no μ4 makes the Euler-Lagrange expression vanish identically
    jet = {sp.diff(f.rho, x, k): sp.Symbol(f"r{k}") for k in range(4, 0, -1)}
    jet |= {sp.diff(f.S, x, k): sp.Symbol(f"s{k}") for k in range(4, 0, -1)}
    numerator = sp.numer(sp.together(c.euler_rho.subs(jet)))
    coefficients = sp.Poly(numerator, *jet.values(), f.rho).coeffs()
    assert sp.solve(coefficients, mu4, dict=True) == []
    assert not is_zero(c.euler_S)
    # 2) the integrated difference for two real states (S = 0)

    def needed_mu4(amplitude):
        integrand = c.difference.subs({f.rho: amplitude**2, f.S: 0}).doit()
        total = sp.integrate(sp.simplify(integrand), (x, -sp.oo, sp.oo))
        return sp.solve(total, mu4)

    assert needed_mu4(sp.exp(-(x**2) / 4)) == [HBAR**4]
    lorentzian = needed_mu4(1 / (1 + x**2))
    assert lorentzian == [4 * HBAR**4]


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_dim_and_fields():
    with pytest.raises(ValueError, match="dim must be"):
        M.madelung_fields(0)
    with pytest.raises(TypeError, match="dim must be"):
        M.madelung_fields(1.5)
    with pytest.raises(TypeError, match="dim must be"):
        M.continuity_equation(True)
    with pytest.raises(ValueError, match="dim must be"):
        M.theorem2_derivation(-1)
    with pytest.raises(TypeError, match="vector_potential"):
        M.madelung_fields(1, vector_potential="yes")
    with pytest.raises(ValueError, match="distinct names"):
        M.madelung_fields(2, coordinates=("x", "x"))
    with pytest.raises(ValueError, match="clash"):
        M.madelung_fields(2, coordinates=("x", "t"))
    with pytest.raises(TypeError, match="identifier"):
        M.madelung_fields(1, coordinates=(1,))
    with pytest.raises(TypeError, match="fields must come from"):
        M.epistemic_momenta("not fields")


def test_bad_xi_average():
    xi = sp.Symbol("xi", real=True)
    with pytest.raises(ValueError, match="xi\\^4"):
        M.xi_average(xi**4, xi)
    with pytest.raises(ValueError, match="xi\\^3"):
        M.xi_average(xi**3 + xi**2, xi)
    with pytest.raises(ValueError, match="polynomial"):
        M.xi_average(sp.exp(xi), xi)
    with pytest.raises(ValueError, match="polynomial"):
        M.xi_average(1 / xi, xi)
    with pytest.raises(TypeError, match="xi must be"):
        M.xi_average(xi, "xi")
    with pytest.raises(TypeError, match="moments keys"):
        M.xi_average(xi, xi, {"4": 1})
    with pytest.raises(ValueError, match="moments keys"):
        M.xi_average(xi, xi, {0: 2})


def test_bad_hamiltonian():
    f = M.madelung_fields(1)
    p = sp.Symbol("p1", real=True)
    with pytest.raises(ValueError, match="quadratic"):
        M.energy_conservation(p**3, f, momenta_symbols=(p,))
    with pytest.raises(ValueError, match="quadratic"):
        M.ensemble_energy_density(p**4 + p**2, f, momenta_symbols=(p,))
    with pytest.raises(ValueError, match="polynomial"):
        M.energy_conservation(sp.cosh(p), f, momenta_symbols=(p,))
    with pytest.raises(ValueError, match="one symbol per coordinate"):
        M.energy_conservation(p**2, f, momenta_symbols=(p, sp.Symbol("p2")))
    with pytest.raises(TypeError, match="distinct sympy Symbols"):
        M.energy_conservation(p**2, f, momenta_symbols=("p",))
    with pytest.raises(ValueError, match="differ from the coordinates"):
        M.energy_conservation(f.q[0] ** 2, f, momenta_symbols=f.q)
    with pytest.raises(ValueError, match="time-independent"):
        M.energy_conservation(p**2 * f.t, f, momenta_symbols=(p,))
    with pytest.raises(TypeError, match="fields must come from"):
        M.energy_conservation(p**2, None, momenta_symbols=(p,))


# ---------------------------------------------------------------------------------------------
# discrete basis (paper 001, Eqs. (30)-(37))


@pytest.fixture(scope="module")
def discrete3():
    return M.discrete_madelung(3)


def test_discrete_madelung_matches_hand_derived_laws(discrete3):
    dm = discrete3
    for a in range(3):
        theta = [dm.phi[a] - dm.phi[b] + dm.delta[a][b] for b in range(3)]
        rho_law = 2 * sum(
            sp.sqrt(dm.rho[a] * dm.rho[b]) * dm.rate[a][b] * sp.sin(theta[b]) for b in range(3)
        )
        phi_law = dm.omega[a] + sum(
            sp.sqrt(dm.rho[b] / dm.rho[a]) * dm.rate[a][b] * sp.cos(theta[b]) for b in range(3)
        )
        assert sp.simplify(dm.rho_dot[a] - rho_law) == 0
        assert sp.simplify(dm.phi_dot[a] - phi_law) == 0
        # Eq. (30) as printed (no factor 2) is not the Schrodinger density law
        assert sp.simplify(dm.rho_dot[a] - rho_law / 2) != 0
    assert sp.simplify(sum(dm.rho_dot)) == 0  # probability is conserved


def test_discrete_madelung_against_numbers():
    """Symbolic laws evaluated at random numbers vs d|psi|^2/dt of a random Hermitian H."""
    dm = M.discrete_madelung(2)
    rng = np.random.default_rng(5)
    psi = rng.normal(size=2) + 1j * rng.normal(size=2)
    psi /= np.linalg.norm(psi)
    omega, r, delta = rng.normal(size=2), 0.7, 0.4
    h = np.array([[omega[0], r * np.exp(-1j * delta)], [r * np.exp(1j * delta), omega[1]]])
    subs = {dm.rate[1][0]: r, dm.delta[1][0]: delta, dm.hbar: 1}
    subs.update({dm.omega[a]: omega[a] for a in range(2)})
    funcs = {dm.rho[a]: abs(psi[a]) ** 2 for a in range(2)}
    funcs.update({dm.phi[a]: -np.angle(psi[a]) for a in range(2)})
    psi_dot = -1j * h @ psi
    exact = 2 * np.real(np.conj(psi) * psi_dot)
    got = [float(dm.rho_dot[a].subs(funcs).subs(subs)) for a in range(2)]
    np.testing.assert_allclose(got, exact, atol=1e-12)


def test_copy_rule_mean_flow_directions(discrete3):
    dm = discrete3
    corrected = M.copy_rule_mean_flow(dm, "corrected")
    printed = M.copy_rule_mean_flow(dm, "as_printed")
    for a in range(3):
        assert sp.simplify(corrected[a] - dm.rho_dot[a]) == 0
        assert sp.simplify(printed[a] + dm.rho_dot[a] / 2) == 0  # reversed and halved


def test_discrete_madelung_errors():
    with pytest.raises(ValueError, match="n_levels must be >= 2"):
        M.discrete_madelung(1)
    with pytest.raises(TypeError, match="n_levels must be an int"):
        M.discrete_madelung(2.0)
    with pytest.raises(ValueError, match="rule must be"):
        M.copy_rule_mean_flow(M.discrete_madelung(2), "backwards")


# ---------------------------------------------------------------------------------------------
# Oriols centre-of-mass coordinates (paper 004, Eqs. (12)-(13), (36))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_oriols_transformation_splits_the_laplacian(n):
    o = M.oriols_transformation(n)
    assert o.metric_residual.is_zero_matrix
    assert o.metric[0, 0] == sp.Rational(1, n)
    assert o.inverse_residual.is_zero_matrix
    assert sp.simplify(o.kinetic_residual) == 0
    assert o.pair_residual.is_zero_matrix
    assert o.norm_residual == 0


def test_oriols_kinetic_residual_fails_with_the_wrong_mass():
    # the residual is not trivially zero: with M = m instead of Nm it is (N - 1) hbar^2 k_cm^2/2Nm
    o = M.oriols_transformation(3)
    wrong = (
        o.kinetic_residual
        + M.HBAR**2 * o.k[0] ** 2 / (2 * 3 * o.m)
        - M.HBAR**2 * o.k[0] ** 2 / (2 * o.m)
    )
    assert sp.simplify(wrong) != 0


def test_oriols_transformation_matches_the_numerical_map():
    o = M.oriols_transformation(4)
    values = [0.3, -1.2, 2.0, 0.7]
    sub = dict(zip(o.x, values, strict=True))
    x_cm, y = tr.oriols_coordinates(np.array(values))
    assert float(o.forward[0].subs(sub)) == pytest.approx(x_cm)
    assert [float(e.subs(sub)) for e in o.forward[1:]] == pytest.approx(list(y))


def test_oriols_general_n():
    g = M.oriols_general_n()
    assert g["cm_cm"] == 1 / g["N"]
    assert g["cm_y"] == 0 and g["y_y_offset"] == 0


def test_oriols_transformation_errors():
    with pytest.raises(ValueError, match="n_particles"):
        M.oriols_transformation(1)
    with pytest.raises(TypeError, match="n_particles"):
        M.oriols_transformation(2.0)


def test_wallstrom_local_solution_solves_the_measurement_equations():
    w = M.wallstrom_local_solution()
    assert w.continuity_residual == 0
    assert w.hamilton_jacobi_residual == 0
    g = M.measurement_hamiltonian().g
    assert sp.simplify(w.pointer_velocity - g * M.HBAR * w.nu) == 0
    # the phase is multivalued: going once around the origin adds 2πħν to S
    x, y = M.measurement_hamiltonian().coordinates[:2]
    assert sp.simplify(sp.diff(w.S, y).subs({x: 1, y: 0})) == M.HBAR * w.nu


@pytest.mark.parametrize("n", [2, 3, 4])
def test_centre_of_mass_velocities_carry_the_total_mass(n):
    c = M.centre_of_mass_velocities(n)
    assert sp.simplify(c.current * n * c.m) == 1
    assert sp.simplify(c.osmotic * n * c.m) == 1
    assert sp.simplify(c.kinetic - n * c.m / 4) == 0


def test_centre_of_mass_velocity_by_substitution_into_an_explicit_phase():
    # independent route: substitute the inverse Oriols map into an explicit S(x) and
    # differentiate in x_cm; current * dS/dx_cm must equal the particles' mean velocity
    o = M.oriols_transformation(3)
    x = o.x
    s = x[0] ** 2 / 2 + 3 * x[1] - x[0] * x[2] + sp.sin(x[1] - x[2])
    mean_velocity = sum(sp.diff(s, xi) for xi in x) / (3 * o.m)
    ds_cm = sp.diff(s.subs(dict(zip(x, o.inverse, strict=True))), o.x_cm)
    ds_cm = ds_cm.subs(dict(zip((o.x_cm, *o.y), o.forward, strict=True)))
    c = M.centre_of_mass_velocities(3)
    assert sp.simplify(c.current * ds_cm - mean_velocity) == 0


def test_centre_of_mass_velocities_reject_one_particle():
    with pytest.raises(ValueError, match="n_particles"):
        M.centre_of_mass_velocities(1)


def test_kinetic_term_needs_its_square_to_be_an_energy():
    from sympy.physics import units as u

    d = M.kinetic_term_dimensions()
    assert d.squared == d.time_derivative == u.kilogram * u.meter**2 / u.second**2
    assert d.unsquared == u.meter / u.second
