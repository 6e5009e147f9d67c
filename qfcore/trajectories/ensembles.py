"""Nelson (stochastic-mechanics) and de Broglie–Bohm trajectory ensembles guided by frames of ψ
on a 1D grid (paper 004, Eqs. (5), (9)–(11)).

Stochastic mechanics (Eqs. (9)–(11)). With ψ = √ρ e^{iS/ħ} on a 1D grid, the current velocity
v = ∂_xS/m = (ħ/m) Im(ψ'/ψ) and the osmotic velocity u = (ħ/2m) ρ'/ρ = (ħ/m) Re(ψ'/ψ) drive the
forward process dX = (v + u) dt + dW, E[dW²] = (ħ/m) dt. Its Fokker–Planck equation
∂_tρ = −∂_x[ρ(v + u)] + (ħ/2m)∂²_xρ is the continuity equation ∂_tρ = −∂_x(ρv), because
ρu = (ħ/2m)∂_xρ: an ensemble drawn from |ψ(t0)|² stays distributed as |ψ(t)|² (equivariance).
Eq. (10) is the backward process, with drift b_* = v − u and noise independent of the future;
it is simulated in reversed time τ = t_F − t, where dX = (u − v) dτ + dW (:func:`nelson_ensemble`
with ``direction="backward"``). The de Broglie–Bohm guidance law is dX/dt = v.

Fields and interpolation. v and u are formed on the grid at every frame from the spectral (or
central) derivative of ψ (:func:`qfcore.grid.gradient`) and interpolated linearly in time
between frames and linearly in space between grid points, inside the numba kernels: once per
integration step the field is interpolated in time to the step's two (RK4: three) times and
tabulated per cell as value and increment, so each particle needs one 1D look-up per drift
evaluation (the same bilinear interpolant, evaluated in a different order of operations). The
division by ρ is regularised as 1/ρ → ρ/(ρ² + δ²), δ = ``density_floor``·max ρ: exact where
ρ ≫ δ, smoothly switched off where ρ ≪ δ (far tails and exact nodes, where the velocities are
dominated by round-off). Interpolation errors: O(Δx² ∂²_x b) in space, O(Δt_f² ∂²_t b) in time
(Δt_f the frame spacing); a field linear in x (free or harmonic Gaussian packets) is
interpolated exactly in space.

Integrators. Stochastic Heun for additive noise (predictor X̃ = X + b dt + σΔW, corrector
X' = X + ½[b(X, t) + b(X̃, t + dt)] dt + σΔW): strong order 1, weak order 2 (W. Rümelin, SIAM J.
Numer. Anal. 19, 604 (1982); P. E. Kloeden, E. Platen, *Numerical Solution of Stochastic
Differential Equations*, Springer 1992, §15.1); Euler–Maruyama (strong and weak order 1 for
additive noise) on request. Bohm trajectories use classical RK4 (order 4 for smooth fields; with
the piecewise-linear field the interpolation error above dominates). Gaussian increments come
from the counter-based generator of :mod:`qfcore.trajectories._random`.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import xarray as xr

from qfcore import _checks
from qfcore import grid as _grid
from qfcore._checks import count, positive, seeded
from qfcore.trajectories._random import _BLOCK, _fill_normals
from qfcore.trajectories._validation import DENSITY_FLOOR, _floor

#: Largest accepted dt·⟨|∂_x b|⟩_ρ per integration step (see :func:`nelson_ensemble`).
MAX_STEP_CONTRACTION = 0.5
_DIRECTIONS = ("forward", "backward")
_SCHEMES = ("heun", "euler")


# ----------------------------------------------------------------------------------------------
# validation helpers


def _frames(psi_t, grid, times):
    """Validated (axis, psi frames (n_frames, n), times) of a 1D evolution."""
    axes = _grid.as_grid(grid)
    if len(axes) != 1:
        raise ValueError(
            f"grid must be one 1D array (trajectories are one-dimensional); got {len(axes)} axes."
        )
    (axis,) = axes
    psi = np.asarray(psi_t, dtype=complex)
    if psi.ndim != 2 or psi.shape[1] != axis.size:
        raise ValueError(
            f"psi_t must have shape (n_frames, {axis.size}) (frames of psi on the grid, e.g. "
            f"Evolution.psi); got {psi.shape}."
        )
    t = _checks.times(times, start=None, minimum=2)
    if t.size != psi.shape[0]:
        raise ValueError(
            f"times must have one entry per frame of psi_t ({psi.shape[0]}); got {t.size}."
        )
    if not np.all(np.isfinite(psi)):
        raise ValueError("psi_t holds non-finite values.")
    norms = np.sum(np.abs(psi) ** 2, axis=1) * (axis[1] - axis[0])
    _checks.normalised(norms, "psi_t", "sum |psi|^2 dx")
    return axis, psi, t


def _positions(x0, axis: np.ndarray) -> np.ndarray:
    x = np.array(x0, dtype=float, copy=True)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x0 must be a non-empty 1D array of positions; got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 holds non-finite positions.")
    lo, hi = float(x.min()), float(x.max())
    if lo < axis[0] or hi > axis[-1]:
        raise ValueError(
            f"x0 spans [{lo:.6g}, {hi:.6g}], outside the grid [{axis[0]:.6g}, {axis[-1]:.6g}]; "
            "widen the grid or draw x0 from |psi_t[0]|^2 on it."
        )
    return x


def velocity_fields(psi, grid, *, mass=1.0, hbar=1.0, density_floor=DENSITY_FLOOR,
                    method="spectral"):  # fmt: skip
    """Current and osmotic velocities v = (ħ/m) Im(ψ'/ψ), u = (ħ/2m) ∂_x ln|ψ|² on a 1D grid.

    Parameters
    ----------
    psi : array_like, complex, shape (n,) or (n_frames, n)
        ψ on the grid (one frame or a stack of frames); need not be normalised.
    grid : ndarray, shape (n,)
        Uniform 1D grid.
    mass, hbar : float
        m > 0 and ħ > 0.
    density_floor : float
        Relative floor δ/max ρ (per frame) of the regularised 1/ρ → ρ/(ρ² + δ²), in (0, 1).
    method : {"spectral", "central"}
        Derivative of ψ, see :func:`qfcore.grid.gradient`.

    Returns
    -------
    v, u : ndarray, float, shape of ``psi``
        Velocities in length/time (Eqs. (5)–(6), (9)).

    Raises
    ------
    ValueError
        For a non-uniform or multi-dimensional grid, a shape mismatch, non-finite ψ, ψ ≡ 0 in
        a frame, bad ``mass``, ``hbar``, ``density_floor`` or ``method``.

    Examples
    --------
    For a Gaussian centred at 0 with mean momentum p₀, v = p₀/m and u = −(ħ/2m) x/σ²:

    >>> from qfcore import states
    >>> q = np.linspace(-16, 16, 256, endpoint=False)
    >>> v, u = velocity_fields(states.gaussian_wavepacket(q, width=1.0, momentum=2.0), q)
    >>> i = np.argmin(np.abs(q - 1.0))
    >>> round(float(v[i]), 6), round(float(u[i]), 6)
    (2.0, -0.5)
    """
    axes = _grid.as_grid(grid)
    if len(axes) != 1:
        raise ValueError("grid must be one 1D array.")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    floor = _floor(density_floor)
    arr = np.asarray(psi, dtype=complex)
    frames = arr[None] if arr.ndim == 1 else arr
    if frames.ndim != 2:
        raise ValueError(f"psi must have shape (n,) or (n_frames, n); got {arr.shape}.")
    v = np.empty(frames.shape)
    u = np.empty(frames.shape)
    for k, frame in enumerate(frames):
        f = _grid.check_field(frame, axes)
        d = _grid.gradient(f, axes, method=method)[0]
        rho = np.abs(f) ** 2
        top = rho.max()
        if top == 0:
            raise ValueError(f"psi vanishes on the whole grid (frame {k}).")
        inv = rho / (rho**2 + (floor * top) ** 2)
        z = np.conj(f) * d
        v[k] = hbar / mass * z.imag * inv
        u[k] = hbar / mass * z.real * inv
    return (v[0], u[0]) if arr.ndim == 1 else (v, u)


def _check_contraction(drift, axis, psi, dts, substeps) -> None:
    """dt_j ⟨|∂_x b|⟩_ρ ≤ MAX_STEP_CONTRACTION on both frames of every interval."""
    dx = axis[1] - axis[0]
    rho = np.abs(psi) ** 2
    slope = np.abs(np.gradient(drift, dx, axis=1))
    rate = np.sum(rho * slope, axis=1) * dx
    worst = np.maximum(rate[:-1], rate[1:]) * dts
    j = int(np.argmax(worst))
    if worst[j] > MAX_STEP_CONTRACTION:
        raise ValueError(
            f"time step {dts[j]:.3g} is too large for these fields: dt * <|d b/dx|>_rho = "
            f"{worst[j]:.3g} > {MAX_STEP_CONTRACTION} in frame interval {j}: the diffusion length "
            f"per step exceeds the packet's width. Use substeps >= "
            f"{int(np.ceil(worst[j] / MAX_STEP_CONTRACTION * substeps))} or denser frames."
        )


# ----------------------------------------------------------------------------------------------
# numba kernels: trajectory steps


@numba.njit(cache=True, inline="always")
def _interp(field, j, w, x, x_first, inv_dx, n_grid):
    """Bilinear interpolation of field[(j, j+1), :] at time weight w and position x (reference
    form; the kernels evaluate the same interpolant as :func:`_time_row` + :func:`_lookup`)."""
    s = (x - x_first) * inv_dx
    i = math.floor(s)
    if i < 0:
        i = 0
    elif i > n_grid - 2:
        i = n_grid - 2
    f = s - i
    a = field[j, i] + f * (field[j, i + 1] - field[j, i])
    b = field[j + 1, i] + f * (field[j + 1, i + 1] - field[j + 1, i])
    return a + w * (b - a)


@numba.njit(cache=True, inline="always")
def _time_row(field, j, w):
    """field between frames j and j+1 at time weight w, tabulated per cell i as (value at grid
    point i, increment to point i+1): the time half of the bilinear interpolant, done once per
    step for all particles, which then need one 1D look-up (:func:`_lookup`) each."""
    n = field.shape[1]
    tab = np.empty((n, 2))
    for i in range(n):
        tab[i, 0] = field[j, i] + w * (field[j + 1, i] - field[j, i])
    for i in range(n - 1):
        tab[i, 1] = tab[i + 1, 0] - tab[i, 0]
    tab[n - 1, 1] = 0.0
    return tab


@numba.njit(cache=True, inline="always")
def _lookup(tab, x, x_first, inv_dx, top):
    """Linear interpolation in x of a :func:`_time_row` table (cell clamped to [0, top])."""
    s = (x - x_first) * inv_dx
    i = min(max(math.floor(s), 0), top)
    return tab[i, 0] + (s - i) * tab[i, 1]


@numba.njit(cache=True, parallel=True)
def _sde_step(x, drift, j, w0, w1, dt, amp, key, base, heun, x_first, x_last, inv_dx):
    """One step of dX = b dt + amp dW for every particle (noise: draws base + p of stream key);
    returns how many particles left the grid. Work units of _BLOCK particles: their normal
    variates first (:func:`_fill_normals`), then the step, a loop that vectorises (gathers from
    the two :func:`_time_row` tables)."""
    top = drift.shape[1] - 2
    row0 = _time_row(drift, j, w0)
    row1 = _time_row(drift, j, w1)
    n = x.size
    out = 0
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):
        lo = blk * _BLOCK
        nb = min(_BLOCK, n - lo)
        g = np.empty(_BLOCK)
        pb = np.empty(_BLOCK)
        idx = np.empty(_BLOCK, np.int64)
        _fill_normals(key, base + np.uint64(lo), g, pb, idx, nb)
        left = 0
        for k in range(nb):
            p = np.uint64(lo + k)  # unsigned: no negative-index wrap-around, which blocks SIMD
            xi = x[p]
            kick = amp * g[k]
            b0 = _lookup(row0, xi, x_first, inv_dx, top)
            xn = xi + b0 * dt + kick
            if heun:
                b1 = _lookup(row1, xn, x_first, inv_dx, top)
                xn = xi + 0.5 * (b0 + b1) * dt + kick
            x[p] = xn
            left += (xn < x_first) | (xn > x_last)
        out += left
    return out


@numba.njit(cache=True, parallel=True)
def _rk4_step(x, vel, j, w0, w1, dt, x_first, x_last, inv_dx):
    """One RK4 step of dX/dt = v(X, t) for every particle; returns how many left the grid."""
    top = vel.shape[1] - 2
    row0 = _time_row(vel, j, w0)
    rowm = _time_row(vel, j, 0.5 * (w0 + w1))
    row1 = _time_row(vel, j, w1)
    out = 0
    for p in numba.prange(x.size):
        xi = x[p]
        k1 = _lookup(row0, xi, x_first, inv_dx, top)
        k2 = _lookup(rowm, xi + 0.5 * dt * k1, x_first, inv_dx, top)
        k3 = _lookup(rowm, xi + 0.5 * dt * k2, x_first, inv_dx, top)
        k4 = _lookup(row1, xi + dt * k3, x_first, inv_dx, top)
        xn = xi + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        x[p] = xn
        out += (xn < x_first) | (xn > x_last)
    return out


def _left_grid(x, axis, t) -> ValueError:
    lo, hi = float(x.min()), float(x.max())
    need_lo = max(0.0, axis[0] - lo)
    need_hi = max(0.0, hi - axis[-1])
    side = []
    if need_lo > 0:
        side.append(f"{2 * need_lo:.3g} on the left")
    if need_hi > 0:
        side.append(f"{2 * need_hi:.3g} on the right")
    return ValueError(
        f"particles left the grid [{axis[0]:.6g}, {axis[-1]:.6g}] at t = {t:.6g} (reached "
        f"[{lo:.6g}, {hi:.6g}]); add a margin of at least {' and '.join(side)} to the grid "
        "(and recompute psi_t on it)."
    )


def _run(kind, psi_t, grid, times, x0, *, mass, hbar, rng, direction, substeps, scheme,
         density_floor, method, record_every):  # fmt: skip
    axis, psi, t = _frames(psi_t, grid, times)
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    substeps = count(substeps, "substeps", 1)
    record_every = count(record_every, "record_every", 1)
    floor = _floor(density_floor)
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'forward' or 'backward'; got {direction!r}.")
    if kind == "nelson" and scheme not in _SCHEMES:
        raise ValueError(f"scheme must be 'heun' or 'euler'; got {scheme!r}.")
    x = _positions(x0, axis)
    gen, seed = seeded(rng) if kind == "nelson" else (None, "none")
    v, u = velocity_fields(psi, axis, mass=mass, hbar=hbar, density_floor=floor, method=method)
    forward = direction == "forward"
    if kind == "nelson":
        field = v + u if forward else u - v
    else:
        field = v if forward else -v
    if not forward:  # reversed time tau = t_F - t: frames run from the last to the first
        field, psi_r = field[::-1].copy(), psi[::-1]
    else:
        psi_r = psi
    field = np.ascontiguousarray(field)
    gaps = np.abs(np.diff(t))
    if not forward:
        gaps = gaps[::-1]
    dts = gaps / substeps
    _check_contraction(field, axis, psi_r, dts, substeps)

    n_frames = t.size
    stride_idx = np.arange(0, n_frames, record_every)
    order = np.arange(n_frames) if forward else np.arange(n_frames)[::-1]
    keep = {int(k): r for r, k in enumerate(stride_idx)}
    out = np.empty((stride_idx.size, x.size))
    x_first, x_last = float(axis[0]), float(axis[-1])
    inv_dx = 1.0 / float(axis[1] - axis[0])
    amp_unit = math.sqrt(hbar / mass)
    key = np.uint64(gen.integers(0, 2**63)) if kind == "nelson" else None
    step_index = 0
    frame0 = int(order[0])
    if frame0 in keep:
        out[keep[frame0]] = x
    for j in range(n_frames - 1):
        dt = float(dts[j])
        for s in range(substeps):
            w0, w1 = s / substeps, (s + 1) / substeps
            if kind == "nelson":
                base = np.uint64(step_index * x.size)
                step_index += 1
                left = _sde_step(x, field, j, w0, w1, dt, amp_unit * math.sqrt(dt), key, base,
                                 scheme == "heun", x_first, x_last, inv_dx)  # fmt: skip
            else:
                left = _rk4_step(x, field, j, w0, w1, dt, x_first, x_last, inv_dx)
            if left:
                frame = int(order[j + 1]) if s == substeps - 1 else None
                now = t[order[j]] + (1 if forward else -1) * dt * (s + 1)
                raise _left_grid(x, axis, now if frame is None else t[frame])
        frame = int(order[j + 1])
        if frame in keep:
            out[keep[frame]] = x
    attrs = {
        "mass": mass,
        "hbar": hbar,
        "direction": direction,
        "substeps": substeps,
        "density_floor": floor,
        "derivative": method,
        "record_every": record_every,
        "n_particles": int(x.size),
        "grid_start": x_first,
        "grid_stop": x_last,
        "grid_points": int(axis.size),
        "interpolation": "linear in time and space",
    }
    if kind == "nelson":
        attrs.update(
            seed=seed,
            scheme=scheme,
            equation="dX = (v + u) dt + sqrt(hbar/m) dW (Eq. 9)"
            if forward
            else "backward: dX = (v - u) dt + sqrt(hbar/m) dW_* (Eq. 10), run in reversed time",
            source="paper 004 Eqs. (9)-(11); stochastic Heun: Kloeden & Platen (1992) sec. 15.1",
        )
    else:
        attrs.update(scheme="rk4", equation="dX/dt = v = (hbar/m) Im(psi'/psi)",
                     source="de Broglie-Bohm guidance law; paper 004 Eq. (5)")  # fmt: skip
    return xr.DataArray(
        out,
        dims=("time", "particle"),
        coords={"time": t[stride_idx], "particle": np.arange(x.size)},
        name="x",
        attrs=attrs,
    )


def nelson_ensemble(
    psi_t,
    grid,
    times,
    x0,
    *,
    mass: float = 1.0,
    hbar: float = 1.0,
    rng=None,
    direction: str = "forward",
    substeps: int = 1,
    scheme: str = "heun",
    density_floor: float = DENSITY_FLOOR,
    method: str = "spectral",
    record_every: int = 1,
) -> xr.DataArray:
    """Ensemble of Nelson (stochastic-mechanics) trajectories guided by frames of ψ, Eqs. (9)–(11).

    ``direction="forward"``: dX = (v + u) dt + √(ħ/m) dW from ``x0`` at ``times[0]`` (Eq. (9)).
    ``direction="backward"``: the backward process of Eq. (10), b_* = v − u, from ``x0`` at
    ``times[-1]`` run back to ``times[0]`` as dX = (u − v) dτ + √(ħ/m) dW in τ = t_F − t. Both
    are equivariant: x0 drawn from |ψ|² at the starting frame stays |ψ(t)|²-distributed.

    Parameters
    ----------
    psi_t : array_like, complex, shape (n_frames, n)
        ψ at ``times`` on the grid, each frame normalised (e.g. ``Evolution.psi`` of
        :func:`qfcore.schrodinger.split_step`).
    grid : ndarray, shape (n,)
        Uniform 1D grid (length units). Particles must stay inside [grid[0], grid[-1]].
    times : array_like, shape (n_frames,)
        Strictly increasing frame times (e.g. ``Evolution.times``), n_frames ≥ 2.
    x0 : array_like, shape (n_particles,)
        Initial positions (at ``times[0]``, or ``times[-1]`` when backward), inside the grid.
    mass, hbar : float
        m > 0, ħ > 0; the noise variance is (ħ/m) dt (Eq. (11)).
    rng : numpy.random.Generator, int or None
        Generator or seed; an int or None is recorded in ``attrs["seed"]`` (None draws one).
    direction : {"forward", "backward"}
    substeps : int
        Integration steps per frame interval (dt = Δt_frame/substeps), ≥ 1.
    scheme : {"heun", "euler"}
        Stochastic Heun (strong order 1, weak order 2 for this additive noise) or
        Euler–Maruyama (weak order 1).
    density_floor : float
        Relative floor of the regularised 1/ρ (see :func:`velocity_fields`).
    method : {"spectral", "central"}
        Derivative of ψ for the velocity fields.
    record_every : int
        Keep every k-th frame of ``times`` (memory: n_kept × n_particles doubles).

    Returns
    -------
    xarray.DataArray
        Positions, dims ``(time, particle)``, coords ``time`` = ``times[::record_every]``.
        Attrs: every parameter, ``seed``, ``scheme``, ``equation``, ``source``.

    Raises
    ------
    ValueError
        If a frame is not normalised, shapes or times are inconsistent, ``x0`` is outside the
        grid, a particle leaves the grid (the message gives the margin to add on each side),
        a step is too large (dt·⟨|∂_x b|⟩_ρ > ``MAX_STEP_CONTRACTION``: the diffusion length per
        step would exceed the packet's width; the message gives the substeps needed), or a
        parameter is out of range.
    TypeError
        If ``rng`` is not a Generator, an int or None, ``substeps``/``record_every`` is not
        an int, or ``times`` is not a real numeric array.

    Notes
    -----
    Errors: the scheme's (weak O(dt²) for Heun), plus the interpolation of the drift,
    O(Δx²) in space and O(Δt_frame²) in time (module docstring). Source: paper 004, Eqs. (9)–(11);
    E. Nelson, Phys. Rev. 150, 1079 (1966).

    Examples
    --------
    Particles drawn from |ψ(0)|² of a free packet (centre −5, p₀ = 2, σ = 1) stay distributed
    as |ψ(t)|²: at t = 3 the mean is near −5 + p₀t/m = 1:

    >>> from qfcore import schrodinger, states
    >>> q = np.linspace(-20, 20, 256, endpoint=False)
    >>> psi0 = states.gaussian_wavepacket(q, centre=-5.0, momentum=2.0)
    >>> ev = schrodinger.split_step(psi0, q, 0.0, 3.0, n_steps=30, n_frames=30)
    >>> x0 = np.random.default_rng(0).normal(-5.0, 1.0, size=2000)
    >>> x = nelson_ensemble(ev.psi, q, ev.times, x0, rng=0)
    >>> x.shape, bool(abs(float(x[-1].mean()) - 1.0) < 0.1)
    ((31, 2000), True)
    """
    return _run("nelson", psi_t, grid, times, x0, mass=mass, hbar=hbar, rng=rng,
                direction=direction, substeps=substeps, scheme=scheme,
                density_floor=density_floor, method=method, record_every=record_every)  # fmt: skip


def bohm_ensemble(
    psi_t,
    grid,
    times,
    x0,
    *,
    mass: float = 1.0,
    hbar: float = 1.0,
    direction: str = "forward",
    substeps: int = 1,
    density_floor: float = DENSITY_FLOOR,
    method: str = "spectral",
    record_every: int = 1,
) -> xr.DataArray:
    """Ensemble of de Broglie–Bohm trajectories dX/dt = v = (ħ/m) Im(ψ'/ψ), by RK4.

    Same interface and output as :func:`nelson_ensemble` (no noise, no ``rng``/``scheme``);
    ``direction="backward"`` integrates dX/dτ = −v from ``x0`` at ``times[-1]``.

    Returns
    -------
    xarray.DataArray
        Positions, dims ``(time, particle)``; attrs as :func:`nelson_ensemble`'s (``scheme`` =
        ``"rk4"``).

    Raises
    ------
    ValueError, TypeError
        As :func:`nelson_ensemble`.

    Notes
    -----
    RK4 is fourth order in dt for a smooth field; the linear interpolation of v (O(Δx²) in
    space, exact for v linear in x, and O(Δt_frame²) in time) sets the accuracy. Source: the
    guidance law of D. Bohm, Phys. Rev. 85, 166 (1952); paper 004 Eq. (5).

    Examples
    --------
    Bohm trajectories of a free packet scale with its width: x(t) = c(t) + (x0 − c0) σ(t)/σ,
    here c(3) = 1 and σ(3) = √3.25 ≈ 1.80:

    >>> from qfcore import schrodinger, states
    >>> q = np.linspace(-20, 20, 256, endpoint=False)
    >>> psi0 = states.gaussian_wavepacket(q, centre=-5.0, momentum=2.0)
    >>> ev = schrodinger.split_step(psi0, q, 0.0, 3.0, n_steps=30, n_frames=30)
    >>> np.round(bohm_ensemble(ev.psi, q, ev.times, [-5.0, -4.0])[-1].values, 2).tolist()
    [1.0, 2.8]
    """
    return _run("bohm", psi_t, grid, times, x0, mass=mass, hbar=hbar, rng=None,
                direction=direction, substeps=substeps, scheme="rk4",
                density_floor=density_floor, method=method, record_every=record_every)  # fmt: skip
