"""Sympy checks of printed equations of paper 001 (T1.4, T1.5, T1.7).

The copy master equation Eq. (7) (:func:`copy_master_equation`), the alignment potential of
Eq. (43) against its approximation Eq. (47) (:func:`alignment_potential_ratio`), and the sign
of the mass in the fluid equations (56)–(59) of Section V (:func:`lattice_fluid_equations`).
sympy is imported inside each function, so importing the module stays cheap.
"""

from __future__ import annotations

from qfcore._checks import count


def copy_master_equation(n_levels: int = 3) -> tuple:
    """Mean rate of change of n_0 under the copy process, derived and as printed in Eq. (7).

    With Eq. (5)'s convention F_ab = rate at which a system in beable a copies a given system in
    beable b (a the copier), the expected change of n_a sums over ordered pairs of beables
    (x copier, y copied) the rate n_x n_y F_xy times the change of n_a, δ_ay − δ_ax.

    Parameters
    ----------
    n_levels : int
        M ≥ 2 beables.

    Returns
    -------
    (derived, printed) : tuple of sympy.Expr
        ṅ_0 from the process, and Eq. (7) as printed, Σ_b n_0 n_b (F_0b − F_b0).

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``n_levels`` or ``n_levels < 2``.

    Examples
    --------
    >>> import sympy as sp
    >>> derived, printed = copy_master_equation(2)
    >>> sp.simplify(derived / printed)
    -1
    """
    import sympy as sp

    m = count(n_levels, "n_levels", 2, " (copies need two beables)")
    n = sp.symbols(f"n0:{m}", positive=True)
    rate = [[sp.Symbol(f"F_{x}{y}", positive=True) for y in range(m)] for x in range(m)]
    derived = sum(
        n[x] * n[y] * rate[x][y] * (int(y == 0) - int(x == 0)) for x in range(m) for y in range(m)
    )
    printed = sum(n[0] * n[b] * (rate[0][b] - rate[b][0]) for b in range(m))
    return sp.expand(derived), sp.expand(printed)


def alignment_potential_ratio(n_members: int = 3) -> object:
    """Ratio of the Hessians at the aligned state of Eq. (43)'s pair potential and of Eq. (47).

    Eq. (43): U = (f²/2) Σ_I Σ_{J∈a_I} sin²(φ_I − φ_J) (ordered pairs, as printed); Eq. (47):
    U = Σ_I (f²/2) n (φ_I − φ̄)², its small-angle approximation as printed. Both vanish at
    φ_I = φ̄ with zero gradient, so they agree to second order iff their Hessians agree.

    Parameters
    ----------
    n_members : int
        n ≥ 2 systems in one beable.

    Returns
    -------
    sympy.Expr
        c with Hess(43) = c·Hess(47) (sympy solves the n² equations); an empty list is
        returned by :func:`sympy.solve` if the Hessians are not proportional.

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``n_members`` or ``n_members < 2``.

    Examples
    --------
    >>> alignment_potential_ratio(2)
    2
    """
    import sympy as sp

    n = count(n_members, "n_members", 2, " (alignment needs two phases)")
    phi = sp.symbols(f"phi0:{n}", real=True)
    f, c = sp.Symbol("f", positive=True), sp.Symbol("c")
    u43 = f**2 / 2 * sum(sp.sin(phi[i] - phi[j]) ** 2 for i in range(n) for j in range(n))
    mean = sum(phi) / n
    u47 = sum(f**2 / 2 * n * (phi[i] - mean) ** 2 for i in range(n))
    at_zero = dict.fromkeys(phi, 0)
    h43 = sp.hessian(u43, phi).subs(at_zero)
    h47 = sp.hessian(u47, phi).subs(at_zero)
    sol = sp.solve(list(h43 - c * h47), c, dict=True)
    return sol[0][c] if len(sol) == 1 else sol


def lattice_fluid_equations() -> dict:
    """Which sign of the mass each printed equation (56)–(59) of Section V belongs to (sympy).

    Put ψ = √ρ e^{−iS/ħ} (the paper's S_a = ħφ_a and ψ_a = √ρ_a e^{−iφ_a}) into
    iħψ̇ = −(ħ²/2μ)ψ'' + Vψ for a mass μ = ±m: sympy returns ρ̇ and Ṡ. Then each printed equation
    is compared with both: Eq. (58) ρ̇ = (1/m)∂(ρ∂S); Eq. (59) Ṡ = −(∂S)²/2m + V (the ħ → 0
    law); Eq. (57) V_Q = (ħ²/2m)∂²√ρ/√ρ, read as Ṡ = −(∂S)²/2m + V + V_Q; Eq. (56) through its
    Euler–Lagrange equations (variation in S gives the continuity law, in ρ the Hamilton–Jacobi
    law). Finally Newton: with the transport velocity u defined by the printed Eq. (58),
    ρ̇ + ∂(ρu) = 0, i.e. u = −∂S/m, and Ṡ from the printed Eq. (59), the residual
    ∂u/∂t + u∂u/∂x + V'/m of Euler's (Newton's) equation is returned.

    Returns
    -------
    dict
        ``"mass_sign"``: {equation number: +1, −1 or 0 (neither)}; ``"newton_residual"``: the
        sympy expression of ∂u/∂t + u∂u/∂x + V'/m with the printed (58)–(59) (0 for a
        consistent classical limit); ``"newton_residual_consistent"``: the same with Eq. (58)
        and the μ = +m Hamilton–Jacobi law at ħ = 0 (must be 0); ``"madelung"``: {±1: (ρ̇, Ṡ)}.

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> lattice_fluid_equations()["mass_sign"][58]
    1
    """
    import sympy as sp
    from sympy.calculus.euler import euler_equations

    x, t = sp.symbols("x t", real=True)
    m, hbar = sp.symbols("m hbar", positive=True)
    # values at one point: rho > 0 and its x-derivatives, S', S'', V, V' (all real)
    r = sp.Symbol("rho", positive=True)
    r1, r2, s1, s2, v0 = sp.symbols("rho_x rho_xx S_x S_xx V", real=True)
    amp, amp1 = sp.sqrt(r), r1 / (2 * sp.sqrt(r))
    amp2 = r2 / (2 * sp.sqrt(r)) - r1**2 / (4 * r ** sp.Rational(3, 2))
    log1 = amp1 / amp - sp.I * s1 / hbar  # psi'/psi for psi = sqrt(rho) exp(-i S/hbar)
    log2 = log1**2 + amp2 / amp - (amp1 / amp) ** 2 - sp.I * s2 / hbar  # psi''/psi
    madelung = {}
    for sign in (1, -1):
        rate = sp.expand((-(hbar**2) / (2 * sign * m) * log2 + v0) / (sp.I * hbar))
        madelung[sign] = (
            sp.simplify(2 * r * sp.re(rate)),  # psi_t/psi = rho_t/(2 rho) - i S_t/hbar
            sp.simplify(-hbar * sp.im(rate)),
        )

    def match(rho_dot=None, s_dot=None):
        for sign, (r_exact, s_exact) in madelung.items():
            ok = rho_dot is None or sp.simplify(rho_dot - r_exact) == 0
            ok &= s_dot is None or sp.simplify(s_dot - s_exact) == 0
            if ok:
                return sign
        return 0

    q_term = hbar**2 / (2 * m) * amp2 / amp  # Eq. (57) as printed
    eq58 = (r1 * s1 + r * s2) / m
    eq59 = -(s1**2) / (2 * m) + v0
    classical = {g: sp.limit(sd, hbar, 0) for g, (_, sd) in madelung.items()}
    signs = {
        58: match(rho_dot=eq58),
        59: next((g for g, sd in classical.items() if sp.simplify(eq59 - sd) == 0), 0),
        57: match(s_dot=eq59 + q_term),
    }
    # Eq. (56): Euler-Lagrange equations of the printed action, then at one point
    rho_f = sp.Function("rho", positive=True)(x, t)
    s_f = sp.Function("S", real=True)(x, t)
    v_f = sp.Function("V", real=True)(x)
    lagrangian = rho_f * (
        sp.diff(s_f, t)
        + sp.diff(s_f, x) ** 2 / (2 * m)
        - v_f
        - hbar**2 / (2 * m) * sp.diff(sp.sqrt(rho_f), x, 2) / sp.sqrt(rho_f)
    )
    el_s, el_rho = (e.lhs for e in euler_equations(lagrangian, [s_f, rho_f], [x, t]))
    point = [
        (sp.diff(rho_f, x, 2), r2),
        (sp.diff(rho_f, x), r1),
        (sp.diff(s_f, x, 2), s2),
        (sp.diff(s_f, x), s1),
        (v_f, v0),
        (rho_f, r),
    ]
    rho_dot_56 = sp.solve(el_s, sp.diff(rho_f, t))[0].subs(point)
    s_dot_56 = sp.solve(el_rho, sp.diff(s_f, t))[0].subs(point)
    signs[56] = match(rho_dot=rho_dot_56, s_dot=s_dot_56)

    def newton(hj):
        # u = -S_x/m from rho_t + (rho u)_x = 0 and Eq. (58); S_t = hj(S_x, V) at every x, so
        # u_t = -d/dx(hj)/m = -(d hj/d S_x * S_xx + d hj/d V * V')/m
        v1 = sp.Symbol("V_x", real=True)
        u, u_x = -s1 / m, -s2 / m
        u_t = -(sp.diff(hj, s1) * s2 + sp.diff(hj, v0) * v1) / m
        return sp.simplify(u_t + u * u_x + v1 / m)

    return {
        "mass_sign": signs,
        "newton_residual": newton(eq59),
        "newton_residual_consistent": newton(classical[1]),
        "madelung": madelung,
    }
