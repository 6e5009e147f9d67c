"""Sympy derivations: the generalised Langevin equation and centre-of-mass-only coupling.

Convention (derived here; :func:`langevin_derivation` checks every step in sympy). One particle
of mass M at x with momentum p, bath oscillators k = 1 … n of masses m_k, frequencies ω_k > 0 and
couplings c_k, with the counter-term that keeps the bath from renormalising U:

    H = p²/2M + U(x) + Σ_k [ p_k²/2m_k + ½ m_k ω_k² (q_k − c_k x/(m_k ω_k²))² ].

Hamilton's equations are q̈_k = −ω_k² q_k + c_k x/m_k and M ẍ = −U'(x) + Σ_k c_k (q_k −
c_k x/(m_k ω_k²)). Solving the first (variation of constants) and integrating by parts,

    q_k(t) − c_k x(t)/(m_k ω_k²) = (q_k(0) − c_k x(0)/(m_k ω_k²)) cos ω_k t
                                   + p_k(0)/(m_k ω_k) sin ω_k t
                                   − c_k/(m_k ω_k²) ∫_0^t cos ω_k(t − s) ẋ(s) ds,

so that, exactly and for any U,

    M ẍ = −U'(x) − ∫_0^t K(t − s) ẋ(s) ds + ξ(t),                       (GLE)
    K(t) = Σ_k c_k²/(m_k ω_k²) cos ω_k t,
    ξ(t) = Σ_k c_k [ (q_k(0) − c_k x(0)/(m_k ω_k²)) cos ω_k t + p_k(0)/(m_k ω_k) sin ω_k t ].

The spectral density, the Ohmic kernels and the Markov limit are in
:mod:`qfcore.kac_zwanzig.spectral`, the statistics of ξ (fluctuation–dissipation) in
:mod:`qfcore.kac_zwanzig.thermal`; :func:`langevin_derivation` checks those steps as well.

Centre-of-mass coupling (Chou, Hu & Yu 2008). N identical particles of mass m with an all-pairs
harmonic interaction (κ/2) Σ_{i<j} (x_i − x_j)², an optional harmonic trap ½ m Ω² Σ_i x_i², and
each coupled with the same c_k, so that x enters the bath term through X = Σ_i x_i (counter-term
c_k² X²/(2 m_k ω_k²) included). In the Oriols coordinates of paper 004, Eqs. (12)–(13),
x_cm = X/N and y_j = x_j − (√N x_cm + x_1)/(√N + 1) (j = 2 … N), the map x ↦ (√N x_cm, y) is
orthogonal and Σ_i ∂x_i/∂y_j = 0, so X = N x_cm identically, Σ_{i<j}(x_i − x_j)² = N Σ_j y_j²
and, with the conjugate momenta P = Σ_i p_i and p_{y_j} = m ẏ_j,

    H = [P²/2Nm + ½ N m Ω² x_cm² + Σ_k (p_k²/2m_k + ½ m_k ω_k² (q_k − N c_k x_cm/(m_k ω_k²))²)]
        + [Σ_j p_{y_j}²/2m + ½ (Nκ + mΩ²) Σ_j y_j²].

The relative coordinates are N − 1 free oscillators of frequency √(Nκ/m + Ω²) that never feel
the bath; the centre of mass is a KZ particle of mass M = Nm with couplings N c_k, hence memory
kernel N² K(t) and noise N ξ(t) (:func:`~qfcore.kac_zwanzig.bath.centre_of_mass_bath`). (A
per-particle counter-term Σ_i c_k² x_i²/(2m_kω_k²) would still leave y decoupled from the bath
but shift its frequency.)
:func:`centre_of_mass_coupling` shows this for given N in sympy (Hessian blocks), and
:func:`centre_of_mass_coupling_general_n` proves it for symbolic N.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import sympy as sp

from qfcore._checks import count

# ----------------------------------------------------------------------------------------------
# sympy: the derivation of the GLE


class LangevinDerivation(NamedTuple):
    """Residuals of the derivation in the module docstring; each simplifies to 0."""

    #: q̈_k + ω_k² q_k − c_k x/m_k for the variation-of-constants solution q_k(t) (any x(t)).
    oscillator: sp.Expr
    #: R'' + ω² R, R(0), R'(0) for R = c(q − c x/(mω²)) − ξ + ∫K ẋ: R ≡ 0, i.e. the GLE force.
    gle: tuple
    #: ⟨ξ(t)ξ(s)⟩ − T K(t − s) for one oscillator with the conditioned Gibbs variances.
    fluctuation_dissipation: sp.Expr
    #: (2/π)∫ J/ω cos ωt dω − closed form, for Drude and exponential cut-off.
    kernels: tuple
    #: ∫_0^∞ K dt − η for both, and lim_{ω_c→∞} ∫_0^t ω_c e^{−ω_c(t−s)} cos νs ds − cos νt.
    friction: tuple
    markov_limit: sp.Expr


@cache
def langevin_derivation() -> LangevinDerivation:
    """Sympy check of the Kac–Zwanzig derivation of the GLE and the Ohmic kernels.

    For one bath oscillator and an arbitrary trajectory x(t) (an undefined sympy Function):
    the variation-of-constants solution q(t) solves q̈ = −ω² q + c x/m; the difference
    R(t) = c(q − cx/(mω²)) − ξ(t) + ∫_0^t K(t − s) ẋ(s) ds obeys R'' + ω² R = 0 with
    R(0) = R'(0) = 0, hence R ≡ 0: the force of the bath on the particle is exactly
    ξ − ∫K ẋ (summing over oscillators gives the GLE). With the conditioned Gibbs variances
    T/(mω²) of q − cx(0)/(mω²) and p/(mω), ⟨ξ(t)ξ(s)⟩ = T K(t − s). The Drude and exponential
    kernels, their integrals (= η) and the Markov limit of the Drude memory term are computed
    by sympy's integrate / limit.

    Returns
    -------
    LangevinDerivation
        Residuals; ``sympy.simplify`` of each gives 0.

    Notes
    -----
    Takes 4–7 s (cached). Source: Zwanzig (2001), Sec. 1.6; Ford, Kac & Mazur (1965).
    """
    t, s, ts = sp.symbols("t s t_s", real=True)
    w, m, c, temp, eta, wc, nu = sp.symbols("omega_k m_k c_k T eta omega_c nu", positive=True)
    q0, p0 = sp.symbols("q_k0 p_k0", real=True)
    x = sp.Function("x", real=True)

    def kern(lag):
        return c**2 / (m * w**2) * sp.cos(w * lag)

    q = (
        q0 * sp.cos(w * t)
        + p0 / (m * w) * sp.sin(w * t)
        + c / (m * w) * sp.Integral(sp.sin(w * (t - s)) * x(s), (s, 0, t))
    )
    xi = c * ((q0 - c * x(0) / (m * w**2)) * sp.cos(w * t) + p0 / (m * w) * sp.sin(w * t))
    mem = sp.Integral(kern(t - s) * sp.diff(x(s), s), (s, 0, t))
    r = c * (q - c * x(t) / (m * w**2)) - xi + mem
    oscillator = sp.simplify((sp.diff(q, t, 2) + w**2 * q - c * x(t) / m).doit())
    gle = (
        sp.simplify((sp.diff(r, t, 2) + w**2 * r).doit()),
        sp.simplify(r.subs(t, 0).doit()),
        sp.simplify(sp.diff(r, t).subs(t, 0).doit()),
    )
    var = temp / (m * w**2)  # variance of q − c x0/(mω²) and of p/(mω)
    cov = c**2 * var * (sp.cos(w * t) * sp.cos(w * ts) + sp.sin(w * t) * sp.sin(w * ts))
    fdt = sp.simplify(sp.expand_trig(cov - temp * kern(t - ts)))
    om = sp.Symbol("omega", positive=True)
    tp = sp.Symbol("t", positive=True)
    closed = (eta * wc * sp.exp(-wc * tp), 2 * eta * wc / (sp.pi * (1 + wc**2 * tp**2)))
    densities = (eta * om * wc**2 / (om**2 + wc**2), eta * om * sp.exp(-om / wc))
    kernels = tuple(
        sp.simplify(
            (sp.integrate(2 / sp.pi * jd / om * sp.cos(om * tp), (om, 0, sp.oo)) - kc).rewrite(
                sp.exp
            )
        )
        for jd, kc in zip(densities, closed, strict=True)
    )
    friction = tuple(sp.simplify(sp.integrate(kc, (tp, 0, sp.oo)) - eta) for kc in closed)
    conv = sp.integrate(wc * sp.exp(-wc * (tp - s)) * sp.cos(nu * s), (s, 0, tp))
    markov = sp.simplify(sp.limit(conv, wc, sp.oo) - sp.cos(nu * tp))
    return LangevinDerivation(oscillator, gle, fdt, kernels, friction, markov)


# ----------------------------------------------------------------------------------------------
# sympy: centre-of-mass-only coupling (Chou, Hu & Yu 2008)


@dataclass(frozen=True)
class CentreOfMassCoupling:
    """N equally coupled particles + bath, before and after the Oriols transformation.

    Every ``*_residual`` simplifies to zero (a zero matrix) when the statement holds.
    """

    n: int
    #: x_1 … x_N, p_1 … p_N; x_cm, y_2 … y_N, P, p_y2 … p_yN; q_k, p_k (real symbols).
    x: tuple
    p: tuple
    x_cm: sp.Symbol
    y: tuple
    momentum_cm: sp.Symbol
    momenta_y: tuple
    q: tuple
    p_bath: tuple
    #: m, κ, Ω and the bath parameters m_k, ω_k, c_k (positive / real symbols).
    m: sp.Symbol
    spring: sp.Symbol
    trap: sp.Symbol
    bath_masses: tuple
    bath_frequencies: tuple
    couplings: tuple
    #: H(x, p, q, p_k) and H(x_cm, y, P, p_y, q, p_k) (p = Aᵀπ, x = A⁻¹u, u = A x).
    hamiltonian: sp.Expr
    transformed: sp.Expr
    #: ∂²H/∂(y, p_y)∂(q, p_k): shape (2(N − 1), 2n), all zero — no relative–bath coupling.
    relative_bath_hessian: sp.Matrix
    #: ∂²H/∂x_cm∂q_k, shape (1, n): −N c_k.
    cm_bath_hessian: sp.Matrix
    #: H − H_cm − H_rel with H_cm = H|_{y=p_y=0}, H_rel = H|_{x_cm=P=q=p_k=0}: exact split.
    separation_residual: sp.Expr
    #: H_rel − [Σ p_y²/2m + ½ (Nκ + mΩ²) Σ y²] (no bath symbol left in H_rel).
    relative_residual: sp.Expr
    #: H_cm − KZ Hamiltonian of one particle of mass Nm with couplings N c_k.
    cm_residual: sp.Expr
    #: Effective centre-of-mass mass Nm, couplings N c_k, kernel factor N², noise factor N.
    cm_mass: sp.Expr
    cm_couplings: tuple
    kernel_factor: sp.Expr
    noise_factor: sp.Expr


def centre_of_mass_coupling(n_particles: int, n_oscillators: int = 2) -> CentreOfMassCoupling:
    """Show in sympy that N equally coupled identical particles couple to a bath only through
    their centre of mass (Chou, Hu & Yu 2008), in the Oriols coordinates of paper 004.

    H = Σ_i [p_i²/2m + ½ m Ω² x_i²] + (κ/2) Σ_{i<j} (x_i − x_j)²
        + Σ_k [p_k²/2m_k + ½ m_k ω_k² (q_k − c_k X/(m_k ω_k²))²],  X = Σ_i x_i,

    (all-pairs springs κ, a harmonic trap Ω that may be set to 0) is rewritten with
    u = (x_cm, y_2, …, y_N) = A x of Eqs. (12)–(13) and the conjugate momenta π = A⁻ᵀ p (a point
    canonical transformation, p = Aᵀ π). The relative–bath block of the Hessian vanishes, the
    centre-of-mass–bath block is −N c_k, H splits exactly into H_cm + H_rel, H_rel is N − 1 free
    oscillators of frequency² Nκ/m + Ω², and H_cm is the KZ Hamiltonian of a particle of mass
    M = Nm with couplings N c_k (kernel N² K, noise N ξ). For every N at once see
    :func:`centre_of_mass_coupling_general_n`.

    Parameters
    ----------
    n_particles : int
        2 <= N <= 8 (sympy cost grows like N³; N = 6 takes about a second).
    n_oscillators : int
        Number of bath oscillators, 1 <= n <= 6 (the statement is per oscillator).

    Returns
    -------
    CentreOfMassCoupling

    Raises
    ------
    TypeError, ValueError
        Non-integer arguments, or N, n outside their ranges.

    Notes
    -----
    Source: C.-H. Chou, B. L. Hu and T. Yu, Physica A 387, 432 (2008), Sec. 2; paper 004,
    Eqs. (12)–(13) and Section 6.

    Examples
    --------
    >>> c = centre_of_mass_coupling(2, 1)
    >>> c.relative_bath_hessian.is_zero_matrix, c.cm_bath_hessian, c.cm_mass
    (True, Matrix([[-2*c1]]), 2*m)
    """
    big_n = count(n_particles, "n_particles", 2, " (a centre of mass and a y_j)", maximum=9)
    nb = count(n_oscillators, "n_oscillators", 1, maximum=7)
    return _centre_of_mass_coupling(big_n, nb)


@cache
def _centre_of_mass_coupling(big_n: int, nb: int) -> CentreOfMassCoupling:
    x = sp.symbols(f"x1:{big_n + 1}", real=True)
    p = sp.symbols(f"p1:{big_n + 1}", real=True)
    x_cm = sp.Symbol("x_cm", real=True)
    y = sp.symbols(f"y2:{big_n + 1}", real=True)
    pc = sp.Symbol("P", real=True)
    py = sp.symbols(f"p_y2:{big_n + 1}", real=True)
    q = sp.symbols(f"q1:{nb + 1}", real=True)
    pk = sp.symbols(f"p_q1:{nb + 1}", real=True)
    m, kappa, trap = sp.symbols("m kappa Omega", positive=True)
    mk = sp.symbols(f"m_q1:{nb + 1}", positive=True)
    wk = sp.symbols(f"omega1:{nb + 1}", positive=True)
    ck = sp.symbols(f"c1:{nb + 1}", real=True)

    def bath_terms(total, couplings):
        return sp.Add(
            *(
                pk[k] ** 2 / (2 * mk[k])
                + mk[k] * wk[k] ** 2 / 2 * (q[k] - couplings[k] * total / (mk[k] * wk[k] ** 2)) ** 2
                for k in range(nb)
            )
        )

    total = sp.Add(*x)
    h = (
        sp.Add(*(pi**2 / (2 * m) + m * trap**2 * xi**2 / 2 for xi, pi in zip(x, p, strict=True)))
        + kappa
        / 2
        * sp.Add(*((x[i] - x[j]) ** 2 for i in range(big_n) for j in range(i + 1, big_n)))
        + bath_terms(total, ck)
    )
    root = sp.sqrt(big_n)
    cm = total / big_n
    forward = [cm, *(x[j] - (root * cm + x[0]) / (root + 1) for j in range(1, big_n))]
    a = sp.Matrix([[sp.diff(u, xi) for xi in x] for u in forward])
    a_inv = sp.simplify(a.inv())
    u = sp.Matrix([x_cm, *y])
    pi_vec = sp.Matrix([pc, *py])
    x_new = a_inv * u
    p_new = a.T * pi_vec
    subs = {**dict(zip(x, x_new, strict=True)), **dict(zip(p, p_new, strict=True))}
    ht = sp.expand(sp.simplify(sp.expand(h.xreplace(subs))))
    rel_vars = (*y, *py)
    bath_vars = (*q, *pk)
    rel_bath = sp.Matrix([[sp.diff(ht, a_, b_) for b_ in bath_vars] for a_ in rel_vars])
    cm_bath = sp.Matrix([[sp.diff(ht, x_cm, qk) for qk in q]])
    h_cm = ht.subs(dict.fromkeys(rel_vars, 0))
    h_rel = ht.subs(dict.fromkeys((x_cm, pc, *bath_vars), 0))
    h_rel_expected = sp.Add(*(pj**2 / (2 * m) for pj in py)) + (big_n * kappa + m * trap**2) / 2 * (
        sp.Add(*(yj**2 for yj in y))
    )
    big_m = big_n * m
    cm_c = tuple(big_n * ckk for ckk in ck)
    h_cm_expected = pc**2 / (2 * big_m) + big_m * trap**2 * x_cm**2 / 2 + bath_terms(x_cm, cm_c)
    return CentreOfMassCoupling(
        n=big_n,
        x=x,
        p=p,
        x_cm=x_cm,
        y=y,
        momentum_cm=pc,
        momenta_y=py,
        q=q,
        p_bath=pk,
        m=m,
        spring=kappa,
        trap=trap,
        bath_masses=mk,
        bath_frequencies=wk,
        couplings=ck,
        hamiltonian=h,
        transformed=ht,
        relative_bath_hessian=sp.simplify(rel_bath),
        cm_bath_hessian=sp.simplify(cm_bath),
        separation_residual=sp.simplify(ht - h_cm - h_rel),
        relative_residual=sp.simplify(h_rel - h_rel_expected),
        cm_residual=sp.simplify(sp.expand(h_cm - h_cm_expected)),
        cm_mass=big_m,
        cm_couplings=cm_c,
        kernel_factor=sp.Integer(big_n) ** 2,
        noise_factor=sp.Integer(big_n),
    )


def centre_of_mass_coupling_general_n() -> dict[str, sp.Expr]:
    """Centre-of-mass-only coupling for a symbolic number N of particles (a proof for all N).

    The inverse of Eqs. (12)–(13) is x_1 = x_cm − Y/√N, x_j = x_cm + y_j − Y/(N + √N)
    (j = 2 … N), with Y = Σ_j y_j. Sums over the particles need only Y and Q = Σ_j y_j²
    (Σ_{j>=2} x_j = (N − 1)(x_cm − Y/(N + √N)) + Y, and so on), so sympy can do them for a
    symbolic N. Each residual below vanishes identically in x_cm, y_j, Y, Q:

    - ``"inverse_cm"``, ``"inverse_y"``: x_cm(x(u)) − x_cm and y_j(x(u)) − y_j (the inverse);
    - ``"coupling"``: Σ_i x_i − N x_cm. The bath term depends on x only through X = Σ_i x_i, so
      it holds no y_j: ∂²H/∂y_j∂q_k = 0, and the centre of mass couples with N c_k;
    - ``"norm"``: Σ_i x_i² − (N x_cm² + Q): x ↦ (√N x_cm, y) is orthogonal, i.e.
      A⁻ᵀA⁻¹ = diag(N, 1, …, 1), equivalently A Aᵀ = diag(1/N, 1, …, 1), so the kinetic energy
      pᵀp/2m with p = Aᵀπ is P²/2Nm + Σ_j p_{y_j}²/2m and a harmonic trap splits likewise;
    - ``"pairs"``: Σ_{i<j} (x_i − x_j)² − N Q, using Σ_{i<j}(x_i − x_j)² = N Σ_i x_i² − X²:
      the all-pairs spring acts on y only.

    Together: H = H_cm(x_cm, P, q, p_k) + H_rel(y, p_y) for every N, as in
    :func:`centre_of_mass_coupling`.

    Returns
    -------
    dict
        The residual expressions (each simplifies to 0) and the symbols ``"N"``, ``"Y"``,
        ``"Q"``.

    Notes
    -----
    Source: Chou, Hu & Yu (2008), Sec. 2; paper 004, Eqs. (12)–(13).

    Examples
    --------
    >>> r = centre_of_mass_coupling_general_n()
    >>> [r[k] for k in ("inverse_cm", "inverse_y", "coupling", "norm", "pairs")]
    [0, 0, 0, 0, 0]
    """
    big_n = sp.Symbol("N", positive=True, integer=True)
    x_cm, yj, big_y = sp.symbols("x_cm y_j Y", real=True)
    big_q = sp.Symbol("Q", nonnegative=True)
    root = sp.sqrt(big_n)
    first = x_cm - big_y / root
    base = x_cm - big_y / (big_n + root)  # x_j − y_j for every j >= 2
    xj = base + yj
    total = first + (big_n - 1) * base + big_y  # Σ_i x_i
    squares = first**2 + (big_n - 1) * base**2 + 2 * base * big_y + big_q  # Σ_i x_i²
    return {
        "N": big_n,
        "Y": big_y,
        "Q": big_q,
        "inverse_cm": sp.simplify(sp.expand(total / big_n - x_cm)),
        "inverse_y": sp.simplify(sp.expand(xj - (root * total / big_n + first) / (root + 1) - yj)),
        "coupling": sp.simplify(sp.expand(total - big_n * x_cm)),
        "norm": sp.simplify(sp.expand(squares - big_n * x_cm**2 - big_q)),
        "pairs": sp.simplify(sp.expand(big_n * squares - total**2 - big_n * big_q)),
    }
