"""Classical ensembles of trajectories in one degree of freedom, evolved by characteristics.

A classical ensemble in the sense of Budiyono & Rohrlich, Nat. Commun. 8, 1306 (2017) (paper 000),
Theorem 1, is a pair (ρ, S): a density ρ(q) and a momentum field p = ∂_q S. Its average energy
is Eq. (14), ⟨H⟩ = ∫ ρ [(∂_q S)²/2m + V] dq, and the pair evolves by the Hamilton–Jacobi
equation (16) together with the continuity equation (13). Both are solved exactly by the method
of characteristics (H. Goldstein, *Classical Mechanics*, 3rd ed., ch. 10): every label q0 of
the initial grid is a trajectory with p(0) = ∂_q S0(q0), carried by Hamilton's equations

    q̇ = p/m,    ṗ = F(q) = −V'(q).

The density and its gradient on the moving points follow from the first and second variational
equations (E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary Differential Equations I*,
2nd ed., §I.14) for J = ∂q/∂q0, K = ∂p/∂q0, J2 = ∂²q/∂q0², K2 = ∂²p/∂q0²:

    J̇ = K/m,  K̇ = F'(q) J,  J̇2 = K2/m,  K̇2 = F''(q) J² + F'(q) J2,

from J = 1, K = p0'(q0), J2 = 0, K2 = p0''(q0). Then ρ_t(q(q0)) = ρ0(q0)/|J| and
∂_q ln ρ_t = (ρ0'/ρ0 − J2/J)/J, so the Fisher information of ρ_t is

    I(t) = ∫ ρ_t (∂_q ln ρ_t)² dq = ∫ (2R0' − R0 J2/J)² / J² dq0,    R0 = √ρ0,

written with the amplitude R0 so that no label divides by a tiny ρ0. This holds while the map
q0 ↦ q is one-to-one, i.e. J has one strict sign over all labels. Where J changes sign (a fold,
or caustic) the density is a sum over branches with inverse-square-root singularities, and its
Fisher information is infinite.

Paper 000's epistemic-ensemble energy, Eq. (40), adds ħ²I/8m to Eq. (14). Schrödinger evolution
(its Theorem 3, Eq. (44)) conserves the sum; the classical evolution of the same initial (ρ, S)
conserves only Eq. (14), so the sum drifts. :func:`ensemble_energy` evaluates both parts on a
classically evolved ensemble.

Units: ħ = m = 1 unless given; q in the grid's length unit, p in ħ/length, t in m·length²/ħ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from qfcore import _checks
from qfcore import grid as _grid
from qfcore._checks import positive

__all__ = [
    "classical_flow",
    "density",
    "ensemble_energy",
    "first_caustic_time",
    "initial_data",
    "quantum_potential_power",
    "superposition_residual",
]

_SOURCE = (
    "Method of characteristics for the Hamilton-Jacobi and continuity equations "
    "(Goldstein, Classical Mechanics, ch. 10) with first and second variational equations "
    "(Hairer, Norsett, Wanner, vol. I, sec. I.14); paper 000 Eqs. (13), (14), (16)."
)


def _callable(f, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name} must be a callable of the positions q (ndarray); got {f!r}.")


def _field_and_derivatives(value, axes, *, name: str, order: int, method: str):
    """Samples of a field on the label grid and its first ``order`` derivatives.

    ``value`` is either an array (derivatives by :func:`qfcore.grid.gradient` with ``method``)
    or a tuple of ``order + 1`` arrays (the field and its analytic derivatives).
    """
    if isinstance(value, tuple):
        if len(value) != order + 1:
            raise ValueError(
                f"{name} given as a tuple must hold {order + 1} arrays (the field and its first "
                f"{order} derivative(s) on q0); got {len(value)}."
            )
        return [
            _grid.check_field(v, axes, name=f"{name}[{i}]", dtype=float)
            for i, v in enumerate(value)
        ]
    out = [_grid.check_field(value, axes, name=name, dtype=float)]
    for _ in range(order):
        out.append(_grid.gradient(out[-1], axes, method=method)[0])
    return out


def _on_positions(values, q: np.ndarray, name: str) -> np.ndarray:
    """A user callable's values at positions ``q``, scalars broadcast (e.g. a zero force)."""
    try:
        return np.broadcast_to(np.asarray(values, dtype=float), q.shape)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must return numbers of the shape of its argument {q.shape} (or a scalar)."
        ) from err


def initial_data(psi, q, *, hbar: float = 1.0, threshold: float = 1e-16):
    """The classical ensemble (ρ0, ∂S0) of a wavefunction, ready for :func:`classical_flow`.

    ψ = √ρ e^{iS/ħ} gives ρ0 = |ψ|² and p0 = ∂_qS = ħ Im(ψ'/ψ), with the derivatives
    ρ0' = 2 Re(ψ*ψ'), p0' = ħ Im(ψ''/ψ − (ψ'/ψ)²) and p0'' = ħ Im(ψ'''/ψ − 3ψ''ψ'/ψ² + 2(ψ'/ψ)³)
    taken from spectral derivatives of ψ on the whole (periodic) grid, then restricted to the
    labels where ρ0 exceeds ``threshold``·max ρ0: far-tail labels carry no weight, their p0 is
    dominated by round-off, and they would fold first. ρ0 is renormalised on the kept labels.

    Parameters
    ----------
    psi : ndarray, complex, shape (n,)
        Normalised wavefunction on ``q``, smooth and negligible at both ends.
    q : ndarray, shape (n,)
        Uniform grid.
    hbar : float
        Reduced Planck constant, > 0.
    threshold : float
        Relative density below which labels are dropped, in (0, 1).

    Returns
    -------
    q0 : ndarray, shape (k,)
        The kept labels (a contiguous, uniform sub-grid of ``q``).
    rho0 : tuple (ρ0, ρ0') of ndarray, shape (k,)
    grad_s0 : tuple (p0, p0', p0'') of ndarray, shape (k,)

    Raises
    ------
    ValueError
        If ``q`` is not uniform, shapes differ, ψ is not normalised, or ``hbar``/``threshold``
        are out of range.

    Examples
    --------
    A Gaussian with mean momentum 2 is an ensemble of unit weight with p0 = ∂_qS0 = 2:

    >>> from qfcore import states
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = states.gaussian_wavepacket(q, momentum=2.0)
    >>> q0, (rho0, drho0), (p0, dp0, d2p0) = initial_data(psi, q)
    >>> dq = q0[1] - q0[0]
    >>> round(float(np.sum(rho0) * dq), 6), round(float(np.sum(rho0 * p0) * dq), 6)
    (1.0, 2.0)
    """
    (axis,) = _grid.as_grid(q, name="q")
    psi = _grid.check_field(psi, (axis,))
    _grid.check_normalised(psi, (axis,))
    hbar = positive(hbar, "hbar")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1); got {threshold!r}.")
    d1 = _grid.gradient(psi, (axis,))[0]
    d2 = _grid.gradient(d1, (axis,))[0]
    d3 = _grid.gradient(d2, (axis,))[0]
    rho = np.abs(psi) ** 2
    kept = np.flatnonzero(rho > threshold * rho.max())
    keep = slice(kept[0], kept[-1] + 1)
    z = psi[keep]
    r1, r2, r3 = d1[keep] / z, d2[keep] / z, d3[keep] / z
    scale = 1.0 / (rho[keep].sum() * (axis[1] - axis[0]))
    rho0 = rho[keep] * scale
    drho0 = 2 * np.real(np.conj(z) * d1[keep]) * scale
    p0 = hbar * np.imag(r1)
    dp0 = hbar * np.imag(r2 - r1**2)
    d2p0 = hbar * np.imag(r3 - 3 * r2 * r1 + 2 * r1**3)
    return axis[keep], (rho0, drho0), (p0, dp0, d2p0)


def classical_flow(
    q0,
    rho0,
    grad_s0,
    times,
    *,
    force: Callable,
    force_derivatives: Callable,
    mass: float = 1.0,
    method: str = "spectral",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Evolve a classical ensemble (ρ0, ∂S0) by characteristics with variational equations.

    All labels form one system of 6n ODEs integrated by ``scipy.integrate.solve_ivp`` (DOP853)
    from t = 0; the first time at which some J vanishes (the first caustic) is located as a root
    of min_labels J on the 7th-order step interpolant and stored in
    ``attrs["first_caustic_time"]``. A fold among labels of negligible weight counts too, so
    the label grid should cover only the region the ensemble really occupies.

    Parameters
    ----------
    q0 : ndarray, shape (n,)
        Uniform grid of labels (initial positions), length units.
    rho0 : ndarray, shape (n,), or tuple (ρ0, ρ0') of two such arrays
        Initial density on ``q0``, ≥ 0 and normalised (|Σ ρ0 Δq0 − 1| ≤ 1e-6), 1/length.
        Given as an array, ρ0' is not formed: the amplitude R0 = √ρ0 is differentiated with
        ``method``, which keeps the Fisher information accurate in the tails. Given as a tuple,
        the analytic ρ0' is used (R0' = ρ0'/(2√ρ0), 0 where ρ0 = 0).
    grad_s0 : ndarray, shape (n,), or tuple (p0, p0', p0'') of three such arrays
        Initial momentum field p0 = ∂_q S0 on ``q0``, ħ/length. Given as an array, p0' and p0''
        are obtained by applying ``method`` once and twice; given as a tuple, the analytic
        derivatives are used.
    times : array_like, shape (n_t,)
        Output times, strictly increasing, ``times[0] >= 0``.
    force : callable
        ``force(q)`` → F(q) = −V'(q), same shape as the ndarray ``q`` (a scalar is broadcast).
    force_derivatives : callable
        ``force_derivatives(q)`` → (F'(q), F''(q)), each of the shape of ``q`` or scalar.
    mass : float
        Particle mass m > 0.
    method : {"spectral", "central"}
        Differentiation of array inputs, see :func:`qfcore.grid.gradient`. ``"spectral"`` is
        exponentially accurate for smooth fields that are periodic on the grid or negligible
        at both ends (a Gaussian amplitude, a constant momentum); it is wrong for a momentum
        field that grows across the grid (a chirp p0 = a q), where ``"central"`` (second order,
        exact for p0 polynomial of degree ≤ 2) or the tuple form must be used. Tuple inputs
        are not differentiated. The tuple form is the most accurate and should be preferred
        whenever the derivatives are known in closed form.
    rtol, atol : float
        Tolerances of DOP853 (applied to every component: q, p, J, K, J2, K2).

    Returns
    -------
    xarray.Dataset
        Dims ``(time, label)``; coords ``time`` (= ``times``) and ``label`` (= ``q0``).
        Variables ``q``, ``p``, ``J``, ``K``, ``J2``, ``K2`` (time, label); ``weight`` = ρ0 Δq0,
        ``amplitude`` = R0 and ``amplitude_gradient`` = R0' (label). Attrs: ``mass``,
        ``label_spacing``, ``rtol``, ``atol``, ``integrator``, ``derivatives``, ``nfev``,
        ``first_caustic_time`` (NaN if J stays > 0 up to ``times[-1]``), ``source``.

    Raises
    ------
    ValueError
        If ``q0`` is not a uniform 1D grid, a field's shape differs from ``q0``'s or holds
        non-finite values, ``rho0`` is negative somewhere or not normalised, ``mass`` is not
        > 0, ``times`` is not strictly increasing from ≥ 0, ``method`` is unknown, or a
        callable returns an array of the wrong shape.
    TypeError
        If ``force`` or ``force_derivatives`` is not callable.
    RuntimeError
        If the integrator fails (e.g. the force blows up).

    Notes
    -----
    Source: paper 000, Theorem 1 and Eqs. (13), (14), (16); Goldstein, ch. 10; Hairer, Nørsett,
    Wanner, vol. I, §I.14.

    Examples
    --------
    An ensemble at rest in V = q²/2 (F = −q) moves as q(t) = q0 cos t, so J = cos t and every
    label meets at the origin at the first caustic, t = π/2:

    >>> q0 = np.linspace(-6, 6, 64, endpoint=False)
    >>> rho0 = np.exp(-(q0**2) / 2) / np.sqrt(2 * np.pi)
    >>> flow = classical_flow(q0, rho0, np.zeros_like(q0), [0.0, 1.0, 2.0], force=lambda q: -q,
    ...                       force_derivatives=lambda q: (-1.0, 0.0))
    >>> bool(np.allclose(flow.J.sel(time=1.0), np.cos(1.0)))
    True
    >>> round(flow.attrs["first_caustic_time"], 6), round(np.pi / 2, 6)
    (1.570796, 1.570796)
    """
    axes = _grid.as_grid(q0, name="q0")
    if len(axes) != 1:
        raise ValueError(
            f"q0 must be one 1D array (this module has one degree of freedom); got {len(axes)}."
        )
    mass = positive(mass, "mass")
    if method not in ("spectral", "central"):
        raise ValueError(f"method must be 'spectral' or 'central'; got {method!r}.")
    _callable(force, "force")
    _callable(force_derivatives, "force_derivatives")
    t = _checks.times(times, hint=" (the initial data are at t = 0)")
    labels = axes[0]
    dq0 = _grid.cell_volume(axes)

    if isinstance(rho0, tuple):
        rho, drho = _field_and_derivatives(rho0, axes, name="rho0", order=1, method=method)
    else:
        rho = _grid.check_field(rho0, axes, name="rho0", dtype=float)
    if np.any(rho < 0):
        raise ValueError(
            f"rho0 must be >= 0; its minimum is {rho.min():.3g}. Use |psi|^2, or clip round-off."
        )
    _checks.normalised(float(np.sum(rho) * dq0), "rho0", "sum rho0 dq0", squared=False)
    amp = np.sqrt(rho)
    if isinstance(rho0, tuple):
        damp = np.divide(drho, 2.0 * amp, out=np.zeros_like(amp), where=amp > 0)
    else:
        damp = _grid.gradient(amp, axes, method=method)[0]
    p0, dp0, ddp0 = _field_and_derivatives(grad_s0, axes, name="grad_s0", order=2, method=method)
    derivatives = ", ".join(
        f"{name}: {'given' if isinstance(v, tuple) else method}"
        for name, v in (("rho0", rho0), ("grad_s0", grad_s0))
    )

    n = labels.size

    def forces(q):
        derivs = tuple(force_derivatives(q))
        if len(derivs) != 2:
            raise ValueError("force_derivatives must return a pair (F'(q), F''(q)).")
        names = ("force", "force_derivatives[0]", "force_derivatives[1]")
        return (_on_positions(v, q, k) for v, k in zip((force(q), *derivs), names, strict=True))

    def rhs(_t, y):
        q, p, jac, k, jac2, k2 = y.reshape(6, n)
        f, d1, d2 = forces(q)
        return np.concatenate([p / mass, f, k / mass, d1 * jac, k2 / mass, d2 * jac**2 + d1 * jac2])

    def min_jacobian(_t, y):
        return np.min(y[2 * n : 3 * n])

    min_jacobian.direction = -1.0
    y0 = np.concatenate([labels, p0, np.ones(n), dp0, np.zeros(n), ddp0])
    if t[-1] == 0.0:  # only the initial data were asked for
        y, nfev, t_caustic = y0[:, None], 0, np.nan
    else:
        sol = solve_ivp(
            rhs, (0.0, t[-1]), y0, method="DOP853", t_eval=t, events=min_jacobian,
            rtol=rtol, atol=atol,
        )  # fmt: skip
        if sol.status != 0:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        y, nfev = sol.y, int(sol.nfev)
        t_caustic = float(sol.t_events[0][0]) if sol.t_events[0].size else np.nan

    names = ("q", "p", "J", "K", "J2", "K2")
    data = {
        name: (("time", "label"), y[i * n : (i + 1) * n].T.copy()) for i, name in enumerate(names)
    }
    data["weight"] = ("label", rho * dq0)
    data["amplitude"] = ("label", amp)
    data["amplitude_gradient"] = ("label", damp)
    return xr.Dataset(
        data,
        coords={"time": t, "label": labels},
        attrs={
            "mass": mass,
            "label_spacing": dq0,
            "rtol": float(rtol),
            "atol": float(atol),
            "integrator": "scipy.integrate.solve_ivp DOP853",
            "derivatives": derivatives,
            "nfev": nfev,
            "first_caustic_time": t_caustic,
            "source": _SOURCE,
        },
    )


def _check_flow(flow) -> None:
    if not isinstance(flow, xr.Dataset) or "first_caustic_time" not in flow.attrs:
        raise TypeError("flow must be the xarray.Dataset returned by classical_flow.")


def first_caustic_time(flow: xr.Dataset) -> float | None:
    """First time at which some label's J = ∂q/∂q0 vanishes (trajectories cross).

    Parameters
    ----------
    flow : xarray.Dataset
        Result of :func:`classical_flow`.

    Returns
    -------
    float or None
        The root of min_labels J(t) located by the integrator's event finder (accurate to about
        the ODE tolerance), or None if J stays > 0 on [0, ``times[-1]``].

    Raises
    ------
    TypeError
        If ``flow`` is not a result of :func:`classical_flow`.

    Notes
    -----
    Source: Goldstein, *Classical Mechanics*, ch. 10 (caustics of the Hamilton–Jacobi flow).
    """
    _check_flow(flow)
    t = float(flow.attrs["first_caustic_time"])
    return None if np.isnan(t) else t


def density(flow: xr.Dataset) -> xr.DataArray:
    """Density ρ_t = ρ0(q0)/|J| carried by each label, at the position ``flow.q``.

    Parameters
    ----------
    flow : xarray.Dataset
        Result of :func:`classical_flow`.

    Returns
    -------
    xarray.DataArray, dims (time, label), 1/length
        ρ_t(q(t, q0)). At caustic times (J changes sign over labels) this is the contribution of
        one branch only; the density at a point is then the sum over the labels that reach it.

    Raises
    ------
    TypeError
        If ``flow`` is not a result of :func:`classical_flow`.

    Notes
    -----
    Source: continuity equation, paper 000 Eq. (13), solved along characteristics
    (Goldstein, ch. 10).
    """
    _check_flow(flow)
    with np.errstate(divide="ignore"):
        return (flow.amplitude**2 / abs(flow.J)).transpose("time", "label").rename("density")


def ensemble_energy(
    flow: xr.Dataset, potential: Callable, *, hbar: float = 1.0, mass: float | None = None
) -> xr.Dataset:
    """Classical energy, Fisher information and paper 000's Eq. (40) on a classical flow.

    Parameters
    ----------
    flow : xarray.Dataset
        Result of :func:`classical_flow`.
    potential : callable
        ``potential(q)`` → V(q) (energy units), vectorised over an ndarray ``q``; it must be the
        potential whose force −V' drove ``flow`` (not checked).
    hbar : float
        ħ > 0 in the quantum (Fisher) term.
    mass : float or None
        m > 0; None takes ``flow.attrs["mass"]``. A value that differs from the flow's mass
        (relative 1e-12) is an error.

    Returns
    -------
    xarray.Dataset, dim ``time``
        ``classical`` = Σ ρ0Δq0 [p²/2m + V(q)] (Eq. (14)); ``fisher`` = I(t) =
        Σ Δq0 (2R0' − R0 J2/J)²/J², +inf where ``caustic``; ``quantum_term`` = ħ² I/8m;
        ``total`` = classical + quantum_term (Eq. (40) on the classically evolved ensemble);
        ``caustic`` (bool) = J does not have one strict sign over the labels, where the
        density is multivalued with integrable square-root singularities and I = ∞.

    Raises
    ------
    TypeError
        If ``flow`` is not a result of :func:`classical_flow` or ``potential`` not callable.
    ValueError
        If ``hbar`` or ``mass`` is not > 0, ``mass`` differs from the flow's, or ``potential``
        returns the wrong shape.

    Notes
    -----
    Source: paper 000, Eqs. (14) and (40); the Fisher information along characteristics is
    derived in this module's docstring.
    """
    _check_flow(flow)
    _callable(potential, "potential")
    hbar = positive(hbar, "hbar")
    m = float(flow.attrs["mass"])
    if mass is not None and abs(positive(mass, "mass") - m) > 1e-12 * m:
        raise ValueError(
            f"mass = {mass} differs from the flow's mass {m}; leave mass=None to use the flow's."
        )
    q = flow.q.values
    v = xr.DataArray(_on_positions(potential(q), q, "potential"), dims=("time", "label"))
    classical = (flow.weight * (flow.p**2 / (2 * m) + v)).sum("label")
    caustic = ~((flow.J > 0).all("label") | (flow.J < 0).all("label"))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (2 * flow.amplitude_gradient - flow.amplitude * flow.J2 / flow.J) / flow.J
        fisher = (score**2).sum("label") * flow.attrs["label_spacing"]
    fisher = fisher.where(~caustic, np.inf)
    quantum = hbar**2 * fisher / (8 * m)
    return xr.Dataset(
        {
            "classical": classical,
            "fisher": fisher,
            "quantum_term": quantum,
            "total": classical + quantum,
            "caustic": caustic,
        },
        attrs={"hbar": hbar, "mass": m, "source": "paper 000 Eqs. (14), (40)"},
    )


def quantum_potential_power(psi, q, *, hbar: float = 1.0, mass: float = 1.0) -> float:
    """Rate at which the classical flow of (ρ, S) changes paper 000's ensemble energy, Eq. (40).

    Under the Hamilton–Jacobi flow (no quantum potential) the classical part of Eq. (40) is
    conserved, so d⟨H⟩_ξ/dt = (ħ²/8m) dI/dt. With the same continuity equation, the quantum
    flow conserves ⟨H⟩_ξ because the quantum force −∂_qQ does exactly the opposite work; the
    rate is therefore the power of the dropped quantum-potential term,

        P = ∫ ρ v ∂_qQ dq = −∫ Q ∂_t ρ dq = (ħ²/2m) ∫ (R''/R) ∂_q j dq,

    with Q = −(ħ²/2m) R''/R, R = |ψ|, v = j/ρ and j = (ħ/m) Im(ψ*ψ'). It is evaluated with
    spectral derivatives through R''/R = Re(ψ''/ψ) + Im(ψ'/ψ)² and ∂_q j = (ħ/m) Im(ψ*ψ''), so
    nothing divides by ρ except where ρ > ``epistemic.RHO_FLOOR``·max ρ (the far tails, whose
    weight is ~1e-24, are dropped).

    Parameters
    ----------
    psi : array_like, complex, shape (n,)
        ψ = √ρ e^{iS/ħ} on a uniform periodic grid, negligible at its edges (normalised).
    q : ndarray, shape (n,)
        Uniform grid (length).
    hbar, mass : float
        ħ > 0 and m > 0.

    Returns
    -------
    float
        d⟨H⟩_ξ/dt at the instant of ψ for the classical flow (energy/time).

    Raises
    ------
    ValueError
        If the grid is not 1D and uniform, ψ is not normalised, or ``hbar``/``mass`` is not > 0.

    Notes
    -----
    Source: paper 000, Eqs. (40) and (44) (the term Q that Theorem 3 adds to Eq. (16)); the
    identity P = (ħ²/8m) dI/dt follows from ∂_tρ = −∂_q j and I = 4∫R'² dq.

    Examples
    --------
    A Gaussian of width σ with velocity field v = a q spreads as σe^{at}, so I = e^{−2at}/σ²
    and P = −aħ²/(4mσ²):

    >>> import numpy as np
    >>> from qfcore import hamilton_jacobi, states
    >>> q = np.linspace(-12, 12, 512, endpoint=False)
    >>> psi = states.chirped_gaussian(q, width=0.8, chirp=0.5 / 2)  # S = a q²/2, a = 0.5
    >>> round(hamilton_jacobi.quantum_potential_power(psi, q), 10) == round(-0.5 / (4 * 0.64), 10)
    True
    """
    from qfcore.epistemic import RHO_FLOOR

    axes = _grid.as_grid(q)
    if len(axes) != 1:
        raise ValueError(f"q must be a one-dimensional grid; got {len(axes)} axes.")
    psi = _grid.check_field(psi, axes)
    _grid.check_normalised(psi, axes)
    hbar = positive(hbar, "hbar")
    mass = positive(mass, "mass")
    (d1,) = _grid.gradient(psi, axes)
    (d2,) = _grid.gradient(d1, axes)
    rho = np.abs(psi) ** 2
    keep = rho > RHO_FLOOR * rho.max()
    inv = np.divide(1.0, psi, out=np.zeros_like(psi), where=keep)
    r2_over_r = (d2 * inv).real + ((d1 * inv).imag) ** 2
    dj = hbar / mass * (np.conj(psi) * d2).imag
    dq = axes[0][1] - axes[0][0]
    return float(hbar**2 / (2 * mass) * np.sum(np.where(keep, r2_over_r * dj, 0.0)) * dq)


def superposition_residual(psi_a, psi_b, q, *, hbar: float = 1.0, mass: float = 1.0) -> np.ndarray:
    """Residual of the classical Schrödinger equation for a sum of two of its solutions.

    Eq. (72) of paper 004, iħ∂ₜψ = [−(ħ²/2M)∂²_q + U − Q[|ψ|]]ψ with
    Q[|ψ|] = −(ħ²/2M)∂²_q|ψ|/|ψ|, is the Hamilton–Jacobi/continuity pair of this module written
    for ψ = √ρ e^{iS/ħ}. If ψ_a and ψ_b solve it, ψ_a + ψ_b solves it exactly when the terms
    the linear part leaves over cancel:

        r = −Q[|ψ_a + ψ_b|](ψ_a + ψ_b) + Q[|ψ_a|]ψ_a + Q[|ψ_b|]ψ_b.

    r vanishes where the packets do not overlap (up to their far tails) and is of the size of
    Qψ where they do.

    Parameters
    ----------
    psi_a, psi_b : array_like, complex, shape (n,)
        Two solutions at the same instant on a uniform periodic grid.
    q : ndarray, shape (n,)
        Uniform grid (length).
    hbar, mass : float
        ħ > 0 and the mass M > 0 of Eq. (72).

    Returns
    -------
    ndarray, complex, shape (n,)
        r (energy × amplitude), with Q from
        :func:`qfcore.trajectories.quantum_potential_on_grid` (spectral, floored in the far tails).

    Raises
    ------
    ValueError
        For a bad grid or shapes, or ``hbar``/``mass`` ≤ 0.

    Notes
    -----
    Source: paper 004, Eq. (72) and Section 3.3 (solutions cannot be superposed).

    Examples
    --------
    Two far-apart Gaussians superpose (r ≈ 0):

    >>> import numpy as np
    >>> from qfcore import states
    >>> q = np.linspace(-40, 40, 1024, endpoint=False)
    >>> a = states.gaussian_wavepacket(q, -15.0, 1.0, 0.0)
    >>> b = states.gaussian_wavepacket(q, 15.0, 1.0, 0.0)
    >>> bool(np.abs(superposition_residual(a, b, q)).max() < 1e-8)
    True
    """
    from qfcore.trajectories import quantum_potential_on_grid  # trajectories imports this module

    axes = _grid.as_grid(q)
    a, b = (_grid.check_field(p, axes) for p in (psi_a, psi_b))
    kw = {"hbar": positive(hbar, "hbar"), "mass": positive(mass, "mass")}
    return (
        -quantum_potential_on_grid(a + b, q, **kw) * (a + b)
        + quantum_potential_on_grid(a, q, **kw) * a
        + quantum_potential_on_grid(b, q, **kw) * b
    )
