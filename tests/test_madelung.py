"""Symbolic derivations: Madelung recasting, Theorems 1-3 of paper 000, xi-averages."""

import pytest
import sympy as sp

from qfcore import madelung as M


def is_zero(expr) -> bool:
    return sp.simplify(expr) == 0


def standard_hamiltonian(f):
    ps = sp.symbols(f"p1:{len(f.q) + 1}", real=True)
    h = sum((p - a) ** 2 for p, a in zip(ps, f.vector_potential, strict=True)) / (2 * f.m) + f.V
    return h, ps


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_identity_eq24(dim):
    assert M.identity_eq24(dim).applyfunc(sp.simplify).is_zero_matrix


@pytest.mark.parametrize(("dim", "with_a"), [(1, False), (2, True), (3, True)])
def test_madelung_equations_and_inverse(dim, with_a):
    continuity, qhj = M.madelung_equations(dim, vector_potential=with_a)
    assert is_zero(continuity - M.continuity_equation(dim, vector_potential=with_a))
    assert is_zero(qhj - M.hamilton_jacobi_equation(dim, vector_potential=with_a, quantum=True))
    assert is_zero(M.schrodinger_residual(dim, vector_potential=with_a))
    # the classical HJ equation is NOT the real part: they differ by the quantum potential
    assert is_zero(
        qhj - M.hamilton_jacobi_equation(dim, vector_potential=with_a) - M.quantum_potential(dim)
    )
    assert not is_zero(qhj - M.hamilton_jacobi_equation(dim, vector_potential=with_a))


@pytest.mark.parametrize(("dim", "with_a"), [(1, True), (2, False), (3, True)])
def test_theorems_1_and_3(dim, with_a):
    f = M.madelung_fields(dim, vector_potential=with_a)
    h, ps = standard_hamiltonian(f)
    classical = M.energy_conservation(h, f, momenta_symbols=ps, epistemic=False)
    quantum = M.energy_conservation(h, f, momenta_symbols=ps, epistemic=True)
    for balance in (classical, quantum):
        assert is_zero(balance.residual)
        assert is_zero(balance.continuity - M.continuity_equation(dim, vector_potential=with_a))
    hj = M.hamilton_jacobi_equation(dim, vector_potential=with_a)
    qhj = M.hamilton_jacobi_equation(dim, vector_potential=with_a, quantum=True)
    assert is_zero(classical.equation - hj)  # Theorem 1, Eq. (16)
    assert is_zero(quantum.equation - qhj)  # Theorem 3, Eq. (44)
    assert not is_zero(quantum.equation - hj)


def test_energy_density_eq40():
    f = M.madelung_fields(2, vector_potential=True)
    h, ps = standard_hamiltonian(f)
    e = M.ensemble_energy_density(h, f, momenta_symbols=ps)
    grad_rho2 = sum(sp.diff(f.rho, q) ** 2 for q in f.q)
    expected = f.rho * (
        sum((sp.diff(f.S, q) - a) ** 2 for q, a in zip(f.q, f.A, strict=True)) / (2 * f.m) + f.V
    ) + f.hbar**2 * grad_rho2 / (8 * f.m * f.rho)
    assert is_zero(e - expected)


def test_separable_xi_drops_the_quantum_cross_term():
    """<p1 p2>: shared xi adds hbar^2 d1rho d2rho / 4rho^2 = -hbar^2 d1d2R/R + divergence."""
    f = M.madelung_fields(2)
    p1, p2 = sp.symbols("p1 p2", real=True)
    shared = M.ensemble_energy_density(p1 * p2, f, momenta_symbols=(p1, p2))
    apart = M.ensemble_energy_density(p1 * p2, f, momenta_symbols=(p1, p2), separable=True)
    classical = f.rho * sp.diff(f.S, f.q[0]) * sp.diff(f.S, f.q[1])
    assert is_zero(apart - classical)
    extra = f.hbar**2 * sp.diff(f.rho, f.q[0]) * sp.diff(f.rho, f.q[1]) / (4 * f.rho)
    assert is_zero(shared - classical - extra)


def test_measurement_equations_53_and_57():
    m = M.measurement_derivation()
    assert m.nonseparable_matches_eq53 and m.separable_matches_eq57 and m.schrodinger_recast
    assert not is_zero(m.nonseparable - m.separable)
    assert m.nonseparable.has(sp.Symbol("hbar", positive=True))
    assert not m.separable.has(sp.Symbol("hbar", positive=True))


@pytest.mark.parametrize("dim", [1, 2])
def test_theorem2_ordering_identity(dim):
    assert is_zero(M.theorem2_residual(dim))


def test_xi_average():
    xi, hbar, mu4 = sp.Symbol("xi", real=True), sp.Symbol("hbar", positive=True), sp.Symbol("mu4")
    a, b = sp.symbols("a b")
    assert M.xi_average(a + b * xi + xi**2, xi) == a + hbar**2
    assert M.xi_average((a + xi) ** 4, xi, {1: 0, 2: hbar**2, 3: 0, 4: mu4}) == sp.expand(
        a**4 + 6 * a**2 * hbar**2 + mu4
    )
    x1, x2 = sp.symbols("xi1 xi2", real=True)
    assert M.xi_average(x1 * x2 + x1**2, [x1, x2]) == hbar**2  # independent: <xi1 xi2> = 0
    with pytest.raises(ValueError, match="xi\\^4"):
        M.xi_average(xi**4, xi)
    with pytest.raises(ValueError, match="polynomial"):
        M.xi_average(sp.exp(xi), xi)


def test_fourth_moment_depends_on_mu4():
    avg = M.fourth_moment_dependence()
    mu4 = sp.Symbol("mu4", positive=True)
    assert avg.has(mu4) and not is_zero(avg.subs(mu4, 1) - avg.subs(mu4, 3))


def test_bad_input():
    with pytest.raises(ValueError, match="dim must be"):
        M.madelung_fields(0)
    f = M.madelung_fields(1)
    p = (sp.Symbol("p1", real=True),)
    with pytest.raises(ValueError, match="quadratic"):
        M.energy_conservation(p[0] ** 3, f, momenta_symbols=p)
    with pytest.raises(ValueError, match="one symbol per coordinate"):
        M.energy_conservation(p[0] ** 2, f, momenta_symbols=(*p, sp.Symbol("p2")))
