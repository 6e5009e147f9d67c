"""Schrödinger evolution on uniform grids by the split-operator Fourier method.

The propagator over one step dt is Strang's symmetric splitting

    e^{−iĤdt/ħ} ≈ e^{−iV dt/2ħ} e^{−iT(p̂) dt/ħ} e^{−iV dt/2ħ} + O(dt³),

with T(p̂) applied in momentum space by FFT (periodic grid, p = ħk). The scheme is unitary,
time-reversible and second order; when T and V commute (e.g. V = 0, or a Hamiltonian that is a
function of the momenta only, such as the von Neumann coupling g p_φ p_Σ) it is exact.

Sources: M. D. Feit, J. A. Fleck Jr., A. Steiger, J. Comput. Phys. 47, 412 (1982);
G. Strang, SIAM J. Numer. Anal. 5, 506 (1968).

Units: ħ = m = 1 unless given; time in m·length²/ħ for the default kinetic energy.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.fft as _fft

from qfcore import grid as _grid
from qfcore._checks import positive

__all__ = [
    "Evolution",
    "energy",
    "expectation",
    "lattice_hamiltonian",
    "momentum",
    "position_moments",
    "split_step",
]


class Evolution(NamedTuple):
    """Frames of a split-step evolution."""

    #: Frame times, shape (n_frames + 1,).
    times: np.ndarray
    #: ψ at the frame times, shape (n_frames + 1, *grid_shape).
    psi: np.ndarray


def _potential_array(potential, axes) -> np.ndarray:
    shape = tuple(a.size for a in axes)
    values = potential(*_grid.mesh(axes)) if callable(potential) else potential
    arr = np.asarray(values)
    if np.iscomplexobj(arr) and np.any(arr.imag != 0):
        raise ValueError(
            "the Hamiltonian must be Hermitian: potential must be real (use a Lindblad or "
            "absorbing-boundary method for non-Hermitian dynamics)."
        )
    try:
        arr = np.broadcast_to(np.real(arr).astype(float), shape)
    except ValueError:
        raise ValueError(
            f"potential has shape {arr.shape}; it must be a scalar or broadcast to the grid's "
            f"shape {shape}."
        ) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError("potential holds non-finite values; clip it or shrink the grid.")
    return arr


def _kinetic_array(kinetic, axes, mass, hbar) -> np.ndarray:
    momenta = tuple(hbar * k for k in np.meshgrid(*_grid.wavenumbers(axes), indexing="ij"))
    if kinetic is None:
        return sum(p**2 for p in momenta) / (2 * mass)
    if not callable(kinetic):
        raise TypeError("kinetic must be None or a callable of the momentum arrays (p_1, ...).")
    arr = np.asarray(kinetic(momenta))
    if np.iscomplexobj(arr) and np.any(arr.imag != 0):
        raise ValueError("the Hamiltonian must be Hermitian: kinetic(p) must be real.")
    shape = momenta[0].shape
    try:
        arr = np.broadcast_to(np.real(arr).astype(float), shape)
    except ValueError:
        raise ValueError(f"kinetic(p) returned shape {arr.shape}; expected {shape}.") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError("kinetic(p) holds non-finite values.")
    return arr


def _check_time_step(v: np.ndarray, t: float, n_steps: int, hbar: float) -> None:
    """The potential kick per step must stay resolvable: phase jump ≤ π/2 between neighbours.

    A kick e^{−iV dt/ħ} whose phase changes by φ between neighbouring points shifts the local
    wavenumber by φ/Δq; φ > π/2 is more than half the Nyquist wavenumber π/Δq per step, which
    the periodic FFT aliases (Nyquist sampling of the kick's phase, with a factor 2 margin).
    """
    jumps = [float(np.max(np.abs(np.diff(v, axis=axis)))) for axis in range(v.ndim)]
    axis = int(np.argmax(jumps))

    def phase(n: int) -> float:
        return abs(t) / n * jumps[axis] / hbar

    if phase(n_steps) <= np.pi / 2:
        return
    needed = max(n_steps + 1, int(np.ceil(abs(t) * jumps[axis] / hbar / (np.pi / 2))))
    while phase(needed) > np.pi / 2:  # guard against rounding in the division above
        needed += 1
    raise ValueError(
        f"time step dt = t/n_steps = {abs(t) / n_steps:.3g} is too large for this grid: the "
        f"potential phase dt*|V(q_j+1) - V(q_j)|/hbar reaches {phase(n_steps):.3g} rad between "
        f"neighbouring points of axis {axis} (it must be <= pi/2, else the kick aliases past the "
        f"grid's momenta). Use n_steps >= {needed}, or a finer grid."
    )


def split_step(
    psi0,
    grid,
    potential,
    t: float,
    *,
    n_steps: int,
    mass: float = 1.0,
    hbar: float = 1.0,
    kinetic: Callable | None = None,
    n_frames: int = 1,
) -> Evolution:
    """Evolve ψ by iħ∂_tψ = [T(p̂) + V(q)]ψ with second-order split-operator FFT steps.

    Parameters
    ----------
    psi0 : array_like, complex, shape (n,) or (n_1, n_2, ...)
        Normalised initial state on the grid (Σ|ψ|²ΔV = 1 within 1e-6).
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform periodic grid, one 1D array per degree of freedom (``indexing="ij"``).
    potential : array_like or callable
        Real V on the grid (scalar or broadcastable array), or ``potential(*mesh)`` of the
        coordinate arrays. Energy units.
    t : float
        Final time (negative evolves backwards).
    n_steps : int
        Number of Strang steps (≥ 1); dt = t / n_steps.
    mass : float
        Mass m > 0 in T = Σp²/2m (ignored when ``kinetic`` is given).
    hbar : float
        Reduced Planck constant ħ > 0.
    kinetic : callable, optional
        ``kinetic(p)`` with ``p`` a tuple of momentum arrays p_i = ħk_i on the grid's shape,
        returning the real momentum-space part of Ĥ, e.g. ``lambda p: g * p[0] * p[1]`` for the
        von Neumann coupling H = g p_φ p_Σ. Default Σ p_i²/2m.
    n_frames : int
        Number of frames after the initial one, 1 ≤ n_frames ≤ n_steps (default 1: ψ(0) and
        ψ(t) only).

    Returns
    -------
    Evolution
        ``Evolution(times, psi)``: ``times`` of shape (n_frames + 1,) and ``psi`` of shape
        (n_frames + 1, *psi0.shape), frame j after round(j·n_steps/n_frames) steps; the final
        state is ``psi[-1]``.

    Raises
    ------
    ValueError
        If the grid is not uniform, shapes disagree, ψ0 is not normalised, V or T is not real
        or finite, ``n_steps < 1``, ``mass <= 0``, ``hbar <= 0``, ``t`` is not finite,
        ``n_frames`` is out of range, or dt is too large for the grid (the potential phase
        between neighbouring points exceeds π/2 per step; the message gives the n_steps needed).
    TypeError
        If ``t`` is not a real scalar, ``n_steps`` or ``n_frames`` is not an int, or
        ``kinetic`` is not callable.

    Examples
    --------
    A free packet keeps its norm, its centre moves by p₀t/m and its variance grows to
    σ²(1 + (ħt/2mσ²)²):

    >>> from qfcore import states
    >>> q = np.linspace(-20, 20, 256, endpoint=False)
    >>> psi0 = states.gaussian_wavepacket(q, centre=-5.0, width=1.0, momentum=2.0)
    >>> psi_t = split_step(psi0, q, 0.0, 3.0, n_steps=30).psi[-1]
    >>> mean, cov = position_moments(psi_t, q)
    >>> round(float(np.sum(np.abs(psi_t) ** 2) * (q[1] - q[0])), 6), round(float(mean[0]), 6)
    (1.0, 1.0)
    >>> round(float(cov[0, 0]), 6)
    3.25
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi0, axes, name="psi0")
    _grid.check_normalised(psi, axes, name="psi0")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    if not isinstance(n_steps, numbers.Integral):
        raise TypeError(f"n_steps must be an int; got {type(n_steps).__name__}.")
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1; got {n_steps}.")
    if np.ndim(t) != 0 or not np.isrealobj(t):
        raise TypeError(f"t must be a real scalar (the final time); got {t!r}.")
    t = float(t)
    if not np.isfinite(t):
        raise ValueError(f"t must be finite; got {t}.")
    if not isinstance(n_frames, numbers.Integral):
        raise TypeError(f"n_frames must be an int; got {type(n_frames).__name__}.")
    if not 1 <= n_frames <= n_steps:
        raise ValueError(f"n_frames must lie in [1, n_steps = {n_steps}]; got {n_frames}.")
    v = _potential_array(potential, axes)
    _check_time_step(v, t, n_steps, hbar)
    t_kin = _kinetic_array(kinetic, axes, mass, hbar)
    dt = t / n_steps
    half_kick = np.exp(-0.5j * dt * v / hbar)
    full_kick = half_kick * half_kick
    drift = np.exp(-1j * dt * t_kin / hbar)
    fft_axes = tuple(range(psi.ndim))

    def advance(state: np.ndarray, steps: int) -> np.ndarray:
        # Consecutive half kicks merge into full kicks; the state returned is never half-kicked.
        # The first product makes a fresh array, so the in-place updates never touch the input.
        state = state * half_kick
        for k in range(steps):
            state = _fft.fftn(state, axes=fft_axes, overwrite_x=True)
            state *= drift
            state = _fft.ifftn(state, axes=fft_axes, overwrite_x=True)
            state *= full_kick if k < steps - 1 else half_kick
        return state

    marks = np.rint(np.arange(n_frames + 1) * n_steps / n_frames).astype(int)
    frames = np.empty((n_frames + 1, *psi.shape), dtype=complex)
    frames[0] = psi
    for j in range(1, n_frames + 1):
        frames[j] = advance(frames[j - 1], int(marks[j] - marks[j - 1]))
    return Evolution(times=marks * dt, psi=frames)


def momentum(psi, grid, *, axis: int = 0, hbar: float = 1.0) -> np.ndarray:
    """p̂_axis ψ = −iħ ∂ψ/∂q_axis, spectrally (periodic grid).

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
    grid : ndarray or tuple of ndarray
        Uniform grid.
    axis : int
        Degree of freedom, 0 ≤ axis < d.
    hbar : float
        ħ > 0.

    Returns
    -------
    ndarray, complex, shape of ψ (units ħ/length times ψ's).

    Raises
    ------
    ValueError
        For a non-uniform grid, a shape mismatch, an axis out of range or ``hbar <= 0``.

    Examples
    --------
    >>> from qfcore import states
    >>> q = np.linspace(-20, 20, 256, endpoint=False)
    >>> psi = states.gaussian_wavepacket(q, momentum=1.5)
    >>> round(expectation(psi, q, momentum(psi, q)).real, 6)  # ⟨p̂⟩ = p₀
    1.5
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    hbar = positive(hbar, "hbar")
    if not 0 <= axis < len(axes):
        raise ValueError(f"axis must lie in [0, {len(axes)}); got {axis}.")
    return -1j * hbar * _grid.gradient(psi, axes)[axis]


def expectation(psi, grid, op_psi) -> complex:
    """⟨ψ|Ô|ψ⟩ = Σ ψ* (Ôψ) ΔV, given ``op_psi`` = Ôψ on the same grid.

    Parameters
    ----------
    psi, op_psi : array_like, complex, shape of the grid
    grid : ndarray or tuple of ndarray
        Uniform grid.

    Returns
    -------
    complex
        In the units of Ô (real for Hermitian Ô up to round-off).

    Raises
    ------
    ValueError
        For a non-uniform grid or shapes that differ from the grid's.
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    op_psi = _grid.check_field(op_psi, axes, name="op_psi")
    return complex(np.vdot(psi, op_psi) * _grid.cell_volume(axes))


def energy(
    psi,
    grid,
    potential,
    *,
    mass: float = 1.0,
    hbar: float = 1.0,
    kinetic: Callable | None = None,
) -> float:
    """⟨Ĥ⟩ with the conventions of :func:`split_step` (kinetic part by Parseval, exact on the grid).

    Parameters are those of :func:`split_step`; ψ need not be normalised (⟨Ĥ⟩ is divided by
    Σ|ψ|²ΔV).

    Returns
    -------
    float
        Energy units.

    Raises
    ------
    ValueError
        As :func:`split_step` for the grid, shapes, potential, ``mass`` and ``hbar``; also if ψ
        vanishes.

    Examples
    --------
    The harmonic ground state (σ² = ħ/2mω) has ⟨Ĥ⟩ = ħω/2; a free packet has
    p₀²/2m + ħ²/(8mσ²):

    >>> from qfcore import states
    >>> q = np.linspace(-20, 20, 256, endpoint=False)
    >>> round(energy(states.gaussian_wavepacket(q, width=np.sqrt(0.5)), q, 0.5 * q**2), 6)
    0.5
    >>> round(energy(states.gaussian_wavepacket(q, momentum=2.0), q, 0.0), 6)
    2.125
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    v = _potential_array(potential, axes)
    t_kin = _kinetic_array(kinetic, axes, mass, hbar)
    weight = np.abs(psi) ** 2
    total = weight.sum()
    if total == 0:
        raise ValueError("psi vanishes on the whole grid.")
    spectrum = np.abs(np.fft.fftn(psi)) ** 2
    return float(np.sum(spectrum * t_kin) / spectrum.sum() + np.sum(weight * v) / total)


def position_moments(psi, grid) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the position density |ψ|²/Σ|ψ|²ΔV.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
    grid : ndarray or tuple of ndarray
        Uniform grid.

    Returns
    -------
    mean : ndarray, shape (d,)
        Length units.
    covariance : ndarray, shape (d, d)
        Length² units.

    Raises
    ------
    ValueError
        For a non-uniform grid, a shape mismatch, or ψ ≡ 0.

    Examples
    --------
    >>> from qfcore import states
    >>> grid = (np.linspace(-8, 8, 64, endpoint=False), np.linspace(-8, 8, 64, endpoint=False))
    >>> psi = states.gaussian_wavepacket(grid, centre=(1.0, -2.0), width=(0.5, 1.0))
    >>> mean, cov = position_moments(psi, grid)
    >>> np.round(mean, 6).tolist(), np.round(np.diag(cov), 6).tolist()  # centres, σ_i²
    ([1.0, -2.0], [0.25, 1.0])
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    w = np.abs(psi) ** 2
    if w.sum() == 0:
        raise ValueError("psi vanishes on the whole grid.")
    w = w / w.sum()
    q = np.stack([m.ravel() for m in _grid.mesh(axes)])
    mean = q @ w.ravel()
    dq = q - mean[:, None]
    return mean, (dq * w.ravel()) @ dq.T


def lattice_hamiltonian(
    potential,
    spacing: float,
    *,
    mass: float = 1.0,
    hbar: float = 1.0,
    periodic: bool = True,
    convention: str = "standard",
) -> np.ndarray:
    """Tight-binding Hamiltonian of a particle on a 1D lattice of P sites (nearest neighbours).

    ``"standard"``: the second-order discretisation of p²/2m + V,
    H_aa = V_a + ħ²/(mā²), H_{a,a±1} = −ħ²/(2mā²), whose band E(k) = V + (ħ²/mā²)(1 − cos kā)
    ≈ V + ħ²k²/2m near k = 0. In the notation of Smolin's Eqs. (35)–(36), (54) this is
    R_{a,a±1} = ħ/(2mā²) with hopping phase δ = π. ``"as_printed"``: Smolin's Eqs. (54)–(55)
    read literally, δ = 0 and E_a = V_a − ħ²/(mā²), i.e. H_{a,a±1} = +ħ²/(2mā²); its band is
    V − (ħ²/mā²)(1 − cos kā) ≈ V − ħ²k²/2m near k = 0 (a negative kinetic energy).

    Parameters
    ----------
    potential : array_like, shape (P,)
        V at the sites, energy units (P ≥ 2).
    spacing : float
        Lattice spacing ā > 0.
    mass, hbar : float
        m > 0 and ħ > 0.
    periodic : bool
        Ring (site P−1 couples to site 0) or open chain.
    convention : {"standard", "as_printed"}

    Returns
    -------
    ndarray, complex, shape (P, P)
        Hermitian H.

    Raises
    ------
    ValueError
        For fewer than 2 sites, a non-finite or complex potential, non-positive ``spacing``,
        ``mass`` or ``hbar``, or an unknown ``convention``.

    Examples
    --------
    On a free ring of P sites the spectrum is the band (ħ²/mā²)(1 − cos kā), k = 2πj/(Pā):

    >>> h = lattice_hamiltonian(np.zeros(8), 1.0)
    >>> band = 1 - np.cos(2 * np.pi * np.arange(8) / 8)
    >>> h.shape, bool(np.allclose(h, h.conj().T))
    ((8, 8), True)
    >>> bool(np.allclose(np.linalg.eigvalsh(h), np.sort(band)))
    True
    """
    v = np.asarray(potential)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"potential must be a 1D array of >= 2 site energies; got {v.shape}.")
    if np.iscomplexobj(v) or not np.all(np.isfinite(v)):
        raise ValueError("potential must be real and finite (the Hamiltonian must be Hermitian).")
    spacing = positive(spacing, "spacing")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    if convention not in ("standard", "as_printed"):
        raise ValueError(f"convention must be 'standard' or 'as_printed'; got {convention!r}.")
    hop = hbar**2 / (2 * mass * spacing**2)
    sign = -1.0 if convention == "standard" else 1.0
    p = v.size
    h = np.diag(v.astype(float) - 2 * sign * hop).astype(complex)
    for a in range(p - 1 if not periodic else p):
        b = (a + 1) % p
        h[a, b] += sign * hop
        h[b, a] += sign * hop
    return h
