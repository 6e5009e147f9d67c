"""The quantum potential on a grid, and the classical nonlinear Schrödinger equation, Eq. (72)
of paper 004, solved as pressureless dust by characteristics.

Quantum potential Q = −(ħ²/2m)∇²|ψ|/|ψ| of a ψ on a grid (:func:`quantum_potential_on_grid`;
the symbolic Q is :func:`qfcore.madelung.quantum_potential`), the term that the classical
nonlinear Schrödinger equation, Eq. (72), subtracts. With ψ = √ρ e^{iS/ħ}, Eq. (72) is exactly
the classical pair ∂_tρ = −∂_x(ρ ∂_xS/M), ∂_tS + (∂_xS)²/2M + U = 0 (a pressureless "dust"), so
:func:`classical_schrodinger` solves it by characteristics instead of on the grid (a split-step
solver that re-evaluates −Q from |ψ| every step is unstable where |ψ| is tiny):
:func:`qfcore.hamilton_jacobi.classical_flow` carries the labels q0 with q̇ = p/M, ṗ = −U'(q)
and J = ∂q/∂q0, the action is integrated alongside, Ṡ = p²/2M − U(q), and
ρ(q(t)) = ρ0(q0)/J. ψ is rebuilt on the grid by cubic Hermite interpolation in the moved labels
(values and exact derivatives), up to the first caustic (J = 0), where the dust folds and the
solution of Eq. (72) ceases to exist. Dust in U = 2x with a uniform momentum field keeps its
shape (J ≡ 1); dust in a harmonic well always folds within half a period
(J = cos ωt + p0'(q0) sin ωt/Mω vanishes), so its width breathes as σ0|cos ωt| for S0 = p0 x,
unlike the non-dispersing quantum coherent state.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np
import scipy.fft as _fft
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicHermiteSpline

from qfcore import _checks
from qfcore import grid as _grid
from qfcore import hamilton_jacobi as _hj
from qfcore import schrodinger as _schrodinger
from qfcore._checks import count, positive
from qfcore.trajectories._validation import DENSITY_FLOOR, _floor


def quantum_potential_on_grid(psi, grid, *, mass: float = 1.0, hbar: float = 1.0,
                      density_floor: float = DENSITY_FLOOR) -> np.ndarray:  # fmt: skip
    """Q = −(ħ²/2m) ∇²|ψ|/|ψ| on a uniform grid (spectral Laplacian), regularised in the tails.

    Computed as −(ħ²/2m) R ∇²R/(R² + δ²), R = |ψ|, δ² = ``density_floor``·max R²: exact where
    |ψ|² ≫ δ², → 0 where |ψ|² ≪ δ² (far tails, where R is round-off). Spectrally accurate for
    smooth R negligible at the grid's ends; singular (and floored) at nodes of ψ.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
    grid : ndarray or tuple of ndarray
        Uniform grid.
    mass, hbar : float
        m > 0 (the mass in the kinetic term; M for the centre of mass) and ħ > 0.
    density_floor : float
        In (0, 1).

    Returns
    -------
    ndarray, float, shape of the grid (energy units)

    Raises
    ------
    ValueError
        For a bad grid, shape, non-finite or vanishing ψ, or parameters out of range.

    Examples
    --------
    For a Gaussian of width σ, Q = ħ²/(4mσ²)(1 − x²/2σ²): 1 at x = 0 and −1 at x = 1 for σ = ½:

    >>> from qfcore import states
    >>> q = np.linspace(-10, 10, 200, endpoint=False)
    >>> Q = quantum_potential_on_grid(states.gaussian_wavepacket(q, width=0.5), q)
    >>> round(float(Q[np.argmin(np.abs(q))]), 6), round(float(Q[np.argmin(np.abs(q - 1))]), 6)
    (1.0, -1.0)
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    floor = _floor(density_floor)
    k2 = sum(k**2 for k in np.meshgrid(*_grid.wavenumbers(axes), indexing="ij"))
    r = np.abs(psi)
    if r.max() == 0:
        raise ValueError("psi vanishes on the whole grid.")
    return _q_from_amplitude(r, k2, mass, hbar, floor)


def _q_from_amplitude(r, k2, mass, hbar, floor):
    lap = _fft.ifftn(-k2 * _fft.fftn(r)).real
    return -(hbar**2) / (2 * mass) * r * lap / (r**2 + floor * np.max(r) ** 2)


# ----------------------------------------------------------------------------------------------
# classical nonlinear Schrödinger equation, Eq. (72), by characteristics

#: Relative tolerance of the check force = −U', force_derivatives = (F', F'') (finite differences).
_DERIVATIVE_RTOL = 1e-6


def _real_values(fn, q: np.ndarray, name: str) -> np.ndarray:
    """``fn(q)`` as a real float array of q's shape (scalars broadcast), or ValueError."""
    arr = np.asarray(fn(q))
    if np.iscomplexobj(arr):
        if np.any(arr.imag != 0):
            raise ValueError(f"{name} must be real; it returned complex values.")
        arr = arr.real
    try:
        arr = np.broadcast_to(arr.astype(float), q.shape)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must return numbers of the shape of its argument {q.shape} (or a scalar)."
        ) from err
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} returned non-finite values where the ensemble starts.")
    return arr


def _check_derivative(g, claimed, q, h, g_name: str, claimed_name: str) -> None:
    """Check ``claimed`` = g'(q) against fourth-order central differences of step h."""
    vals = [_real_values(g, q + k * h, g_name) for k in (-2, -1, 1, 2)]
    fd = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
    scale = max(float(np.max(np.abs(v))) for v in vals)
    err = float(np.max(np.abs(claimed - fd)))
    tol = _DERIVATIVE_RTOL * float(np.max(np.abs(claimed))) + 1e3 * np.finfo(float).eps * scale / h
    if err > tol:
        raise ValueError(
            f"{claimed_name} does not match the finite-difference derivative of {g_name} on the "
            f"initial support (largest difference {err:.3g}, tolerance {tol:.3g}); "
            "give force(x) = -dU/dx (mind the sign) and force_derivatives(x) = "
            "(dF/dx, d2F/dx2), or pass potential as a sympy expression to have them derived."
        )


def _potential_functions(potential, force, force_derivatives, labels: np.ndarray, dx: float):
    """Callables U, F = −U' and (F', F'') from a sympy expression or from validated callables."""
    if isinstance(potential, sp.Expr):
        if force is not None or force_derivatives is not None:
            raise ValueError(
                "force and force_derivatives are derived from a sympy potential; leave them None "
                "(or pass potential as a callable)."
            )
        free = sorted(potential.free_symbols, key=str)
        if len(free) > 1:
            raise ValueError(
                "a sympy potential must depend on the position symbol only (substitute numbers "
                f"for the parameters); its free symbols are {[str(s) for s in free]}."
            )
        x = free[0] if free else sp.Symbol("x")
        exprs = [potential] + [-sp.diff(potential, x, k) for k in (1, 2, 3)]
        u, f, d1, d2 = (sp.lambdify(x, e, modules="numpy") for e in exprs)
        _real_values(u, labels, "potential")
        return u, f, lambda q: (d1(q), d2(q))
    if not callable(potential):
        raise TypeError(
            "potential must be a callable U(x) of a position ndarray (with force= and "
            f"force_derivatives=) or a sympy expression in one symbol; got {potential!r}."
        )
    if force is None or force_derivatives is None:
        raise ValueError(
            "a callable potential needs force=F (F(x) = -dU/dx) and force_derivatives=G "
            "(G(x) = (dF/dx, d2F/dx2)); or pass potential as a sympy expression."
        )
    for fn, name in ((force, "force"), (force_derivatives, "force_derivatives")):
        if not callable(fn):
            raise TypeError(f"{name} must be a callable of a position ndarray; got {fn!r}.")
    pair = tuple(force_derivatives(labels))
    if len(pair) != 2:
        raise ValueError("force_derivatives must return a pair (dF/dx, d2F/dx2).")
    d1 = _real_values(lambda q: pair[0], labels, "force_derivatives[0]")
    d2 = _real_values(lambda q: pair[1], labels, "force_derivatives[1]")
    h = dx / 4
    _check_derivative(potential, -_real_values(force, labels, "force"), labels, h,
                      "potential", "force")  # fmt: skip
    _check_derivative(force, d1, labels, h, "force", "force_derivatives[0]")
    first = lambda q: force_derivatives(q)[0]  # noqa: E731
    _check_derivative(first, d2, labels, h, "force_derivatives[0]", "force_derivatives[1]")
    return potential, force, force_derivatives


def _action(q0, p0, times, potential, force, mass, rtol, atol) -> np.ndarray:
    """∫_0^t [p²/2M − U(q)] dt along every label's trajectory, shape (len(times), len(q0))."""
    n = q0.size
    if times[-1] == 0.0:
        return np.zeros((times.size, n))

    def rhs(_t, y):
        q, p = y[:n], y[n : 2 * n]
        u = _real_values(potential, q, "potential")
        f = _real_values(force, q, "force")
        return np.concatenate([p / mass, f, p**2 / (2 * mass) - u])

    y0 = np.concatenate([q0, p0, np.zeros(n)])
    sol = solve_ivp(rhs, (0.0, times[-1]), y0, method="DOP853", t_eval=times, rtol=rtol, atol=atol)
    if sol.status != 0:
        raise RuntimeError(f"solve_ivp failed on the action: {sol.message}")
    return sol.y[2 * n :].T


def classical_schrodinger(
    psi0,
    grid,
    potential,
    t: float,
    *,
    force: Callable | None = None,
    force_derivatives: Callable | None = None,
    mass: float = 1.0,
    hbar: float = 1.0,
    n_frames: int = 1,
    threshold: float = 1e-16,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> _schrodinger.Evolution:
    """Solve the classical nonlinear Schrödinger equation, Eq. (72), by characteristics.

    iħ∂_tψ = [−(ħ²/2M)∂²_x + U − Q[|ψ|]]ψ, Q = −(ħ²/2M)∂²_x|ψ|/|ψ|, is, for ψ = √ρ e^{iS/ħ},
    the continuity equation with velocity ∂_xS/M and the classical Hamilton–Jacobi equation
    ∂_tS + (∂_xS)²/2M + U = 0. Both are solved along characteristics (module docstring):

    1. :func:`qfcore.hamilton_jacobi.initial_data` gives ρ0, p0 = ∂_xS0 and their derivatives
       (spectral) on the labels q0 where ρ0 > ``threshold``·max ρ0; S0 = ħ arg ψ0 (unwrapped);
    2. :func:`qfcore.hamilton_jacobi.classical_flow` integrates q̇ = p/M, ṗ = F(q) = −U'(q)
       with the variational equations for J = ∂q/∂q0 and J2 = ∂²q/∂q0² (DOP853) and locates
       the first caustic (min J = 0);
    3. a second DOP853 solve of (q, p, A) gives the action A = ∫ (p²/2M − U(q)) dt, so
       S(q(t), t) = S0(q0) + A;
    4. at each output time R = √ρ0/√J and S, with their exact x-derivatives
       ∂_xR = (R0' − R0 J2/2J)/J^{3/2} and ∂_xS = p, are interpolated from the moved labels
       q(t; q0) (increasing in q0 while J > 0) to the grid by cubic Hermite splines, and
       ψ = R e^{iS/ħ}; ψ = 0 outside [q(t; q0_min), q(t; q0_max)].

    Accuracy: the ODE error is set by ``rtol``/``atol`` (per-step local tolerances of DOP853,
    applied to q, p, J, K, J2, K2 and A); the Hermite interpolation error is
    ≤ h⁴ max|f''''|/384 for f = R, S with h = max_labels J Δx (zero for S when S is quadratic in
    x, as for Gaussian dust in U linear or quadratic); dropping the labels below ``threshold``
    sets |ψ| to 0 where it was below √threshold · max|ψ0|. Measured (tests, Δx ≈ 0.05, σ0 = 1,
    default tolerances): ψ agrees with the closed-form dust solution in U = 2x to 7e-9 in
    max|Δψ| (6e-9 of it the threshold truncation at t = 0), the norm stays 1 to 6e-9, the width
    to 1e-8; the breathing width in U = x²/2 to 6e-9; ψ satisfies Eq. (72) to 7e-8 of max|ψ|
    (residual with a finite-difference ∂_t, which limits it). One call takes 0.05–0.4 s for
    ~350 labels. The caustic time is the event root of min J (to ~rtol), but the far-tail
    labels carry round-off in p0' and fold earlier than the bulk: measured 1e-5 to 4e-5 early
    at ``threshold`` = 1e-16 (σ0 = 1 and 0.35), 1e-7 at 1e-12.

    Caustics: the density ρ0/J is singular where J = 0 and multivalued after; there the dust
    has no single-valued (ρ, S) and Eq. (72) no smooth solution. Every label counts, also
    those of negligible weight in the tails (raise ``threshold`` to drop them). Near a caustic
    the packet also becomes narrower than the grid resolves; the norm on the grid then leaves
    1 and the call is refused as well.

    Parameters
    ----------
    psi0 : array_like, complex, shape (n,)
        Normalised initial state (Σ|ψ0|²Δx = 1 within 1e-6) without nodes in its support,
        smooth and negligible at both ends of the grid, with phase step < π per cell.
    grid : ndarray, shape (n,)
        Uniform 1D grid (length units).
    potential : sympy.Expr or callable
        The external potential U (time independent, energy units). A sympy expression in one
        symbol (e.g. ``2*x`` with ``x = sympy.Symbol("x")``) is differentiated for you (the
        robust choice). A callable ``potential(x)`` of a position ndarray needs ``force`` and
        ``force_derivatives``; they are checked against fourth-order central differences of
        ``potential`` on the initial labels (relative tolerance 1e-6).
    t : float
        Final time, ≥ 0; must precede the first caustic.
    force : callable, optional
        ``force(x)`` → F = −dU/dx (only with a callable ``potential``).
    force_derivatives : callable, optional
        ``force_derivatives(x)`` → (dF/dx, d²F/dx²) (only with a callable ``potential``).
    mass : float
        The mass M > 0 in Eq. (72) (M = Nm for the centre of mass).
    hbar : float
        ħ > 0 (a free parameter of Eq. (72): ρ and S do not depend on it, ψ's phase S/ħ does).
    n_frames : int
        Number of frames after the initial one, ≥ 1: ψ at the n_frames + 1 times
        ``numpy.linspace(0, t, n_frames + 1)`` (default 1: ψ(0) and ψ(t) only).
    threshold : float
        Relative density below which initial labels are dropped, in (0, 1)
        (:func:`qfcore.hamilton_jacobi.initial_data`).
    rtol, atol : float
        DOP853 tolerances, > 0.

    Returns
    -------
    qfcore.schrodinger.Evolution
        ``Evolution(times, psi)`` with ``psi`` complex of shape (n_frames + 1, n), as
        :func:`qfcore.schrodinger.split_step`; the final state is ``psi[-1]``.

    Raises
    ------
    ValueError
        If the grid is not a uniform 1D array, ψ0 has the wrong shape or is not normalised,
        ``t`` < 0 or not finite, ``mass``, ``hbar``, ``rtol``, ``atol`` are
        not > 0, ``threshold`` is outside (0, 1), ``n_frames`` < 1, the potential functions
        return wrong shapes, complex or non-finite values or are inconsistent
        (F ≠ −U' etc.), both a sympy potential and force callables are given, a callable
        potential comes without ``force``/``force_derivatives``, the flow reaches a caustic
        at or before ``t`` (the message gives its time), or the packet leaves the grid or
        becomes too narrow for it (norm on the grid off by more than 1e-6).
    TypeError
        If ``potential`` is neither a sympy expression nor callable, ``force`` or
        ``force_derivatives`` is not callable, ``t`` is not a real scalar, or ``n_frames`` is
        not an int.
    RuntimeError
        If an integration fails.

    Notes
    -----
    Source: paper 004 Eq. (72) and the Madelung form it comes from (Eqs. (65), (67));
    method of characteristics for the Hamilton–Jacobi and continuity equations (Goldstein,
    *Classical Mechanics*, ch. 10); cubic Hermite interpolation (de Boor, *A Practical Guide to
    Splines*, ch. IV). The paper reports (from Oriols et al.) that solutions of Eq. (72) do not
    disperse in U = 2x and U = x²/2. In U = 2x that holds for a uniform momentum field (J ≡ 1).
    In U = ½Mω²x² it needs care: J = cos ωt + (p0'/Mω) sin ωt vanishes within every half period,
    so any such dust folds; with S0 = p0 x its width is σ0|cos ωt| and it collapses at
    T/4 = π/2ω, also for the coherent-state width σ0 = √(ħ/2Mω), whose linear Schrödinger
    evolution keeps σ0 (tests).

    Examples
    --------
    Dust with uniform momentum p0 = 1 in U = 2x falls without spreading: at t = 2 its centre
    is p0t/M − t²/M = −2 and its variance still σ0² = 1 (a quantum packet would spread):

    >>> from qfcore import states
    >>> from qfcore.schrodinger import position_moments
    >>> q = np.linspace(-15, 15, 600, endpoint=False)
    >>> psi0 = states.gaussian_wavepacket(q, width=1.0, momentum=1.0)
    >>> ev = classical_schrodinger(psi0, q, 2 * sp.Symbol("x"), 2.0)
    >>> mean, cov = position_moments(ev.psi[-1], q)
    >>> round(float(mean[0]), 6), round(float(cov[0, 0]), 6)
    (-2.0, 1.0)
    """
    axes = _grid.as_grid(grid)
    if len(axes) != 1:
        raise ValueError(
            f"grid must be one 1D array (Eq. (72) is solved for one coordinate); got {len(axes)}."
        )
    (axis,) = axes
    psi = _grid.check_field(psi0, axes, name="psi0")
    _grid.check_normalised(psi, axes, name="psi0")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    rtol, atol = positive(rtol, "rtol"), positive(atol, "atol")
    if not isinstance(t, numbers.Real) or isinstance(t, bool):
        raise TypeError(f"t must be a real scalar (the final time); got {t!r}.")
    t = float(t)
    if not np.isfinite(t) or t < 0:
        raise ValueError(
            f"t must be finite and >= 0 (the classical flow runs forward from psi0); got {t}."
        )
    n_frames = count(n_frames, "n_frames", 1)
    # at t = 0 every frame is psi0: flow the labels to t = 0 once and repeat the frame
    times = np.linspace(0.0, t, n_frames + 1) if t > 0 else np.zeros(1)
    dx = float(axis[1] - axis[0])
    q0, rho0, grad_s0 = _hj.initial_data(psi, axis, hbar=hbar, threshold=threshold)
    u, f, df = _potential_functions(potential, force, force_derivatives, q0, dx)

    flow = _hj.classical_flow(
        q0, rho0, grad_s0, times, force=f, force_derivatives=df, mass=mass, rtol=rtol, atol=atol
    )
    caustic = _hj.first_caustic_time(flow)
    jac = flow.J.values
    if caustic is not None or np.any(jac <= 0):
        when = f"t = {caustic:.9g}" if caustic is not None else f"or before t = {t:.9g}"
        raise ValueError(
            f"the classical flow reaches its first caustic at {when} (trajectories cross, "
            "the density rho0/J is singular and then multivalued, and Eq. (72) has no smooth "
            f"solution beyond); choose t below it."
        )
    i0 = int(np.searchsorted(axis, q0[0]))
    s0 = hbar * np.unwrap(np.angle(psi[i0 : i0 + q0.size]))
    action = _action(q0, grad_s0[0], times, u, f, mass, rtol, atol)

    amp, damp = flow.amplitude.values, flow.amplitude_gradient.values
    weight = flow.weight.values
    out = np.zeros((times.size, axis.size), dtype=complex)
    for k in range(times.size):
        q, p, j1, j2 = flow.q.values[k], flow.p.values[k], jac[k], flow.J2.values[k]
        lost = float(weight[(q < axis[0]) | (q > axis[-1])].sum())
        if lost > _checks.NORM_TOL:
            raise ValueError(
                f"at t = {times[k]:.6g} a weight {lost:.3g} of the ensemble has left the grid "
                f"[{axis[0]:.6g}, {axis[-1]:.6g}]; widen the grid or shorten t."
            )
        r = amp / np.sqrt(j1)
        dr = (damp - amp * j2 / (2 * j1)) / j1**1.5
        inside = (axis >= q[0]) & (axis <= q[-1])
        x = axis[inside]
        phase = CubicHermiteSpline(q, s0 + action[k], p)(x) / hbar
        out[k, inside] = CubicHermiteSpline(q, r, dr)(x) * np.exp(1j * phase)
        total = _grid.norm(out[k], axes)
        if abs(total - 1.0) > _checks.NORM_TOL:
            raise ValueError(
                f"at t = {times[k]:.6g} the classical packet is not resolved by the grid "
                f"(norm on the grid {total:.9g}; min J = {j1.min():.3g}, close to a caustic if "
                "small); use a finer grid or a t further from the caustic."
            )
    if t == 0:
        times, out = np.zeros(n_frames + 1), np.repeat(out, n_frames + 1, axis=0)
    return _schrodinger.Evolution(times=times, psi=out)
