"""Wavefunctions: Gaussian packets on grids and in closed form, random non-Gaussian superpositions,
random state vectors of an N-level system.

Units: ħ = m = 1 unless ``hbar``/``mass`` are given; positions in the grid's units, momenta in
ħ/length, forces in energy/length.
"""

from __future__ import annotations

import numpy as np

from qfcore import grid as _grid
from qfcore._checks import count, positive, seeded

__all__ = [
    "box_eigenstate",
    "chirped_gaussian",
    "evolved_gaussian",
    "gaussian_wavepacket",
    "normalise",
    "random_state",
    "random_superposition",
]


def normalise(psi, grid) -> np.ndarray:
    """Return ψ / sqrt(Σ|ψ|²ΔV) on a uniform grid.

    Parameters
    ----------
    psi : array_like, complex, shape of the grid
    grid : ndarray or tuple of ndarray
        Uniform grid (see :func:`qfcore.grid.as_grid`).

    Returns
    -------
    ndarray, complex, shape of the grid
        Normalised so that Σ|ψ|²ΔV = 1.

    Raises
    ------
    ValueError
        If the grid is not uniform, the shapes differ, or ψ vanishes identically.

    Examples
    --------
    >>> q = np.linspace(-10, 10, 200, endpoint=False)
    >>> psi = normalise(3.0 * np.exp(-(q**2)), q)
    >>> round(float(np.sum(np.abs(psi) ** 2) * (q[1] - q[0])), 6)
    1.0
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    n = _grid.norm(psi, axes)
    if n == 0.0:
        raise ValueError("psi vanishes on the whole grid and cannot be normalised.")
    return psi / np.sqrt(n)


def gaussian_wavepacket(grid, centre=0.0, width=1.0, momentum=0.0, *, hbar: float = 1.0):
    """Normalised Gaussian ψ(q) ∝ Π_i exp(−(q_i−c_i)²/(4σ_i²) + i p_i q_i/ħ).

    ``width`` σ_i is the standard deviation of |ψ|² along axis i (so σ_p = ħ/(2σ)).

    Parameters
    ----------
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid (see :func:`qfcore.grid.as_grid`).
    centre, width, momentum : float or sequence of float
        Per-axis centre c_i, position spread σ_i > 0 and mean momentum p_i.
    hbar : float
        Reduced Planck constant, > 0.

    Returns
    -------
    ndarray, complex, shape of the grid
        Normalised on the grid (Σ|ψ|²ΔV = 1).

    Raises
    ------
    ValueError
        If a width or ``hbar`` is not positive, or a per-axis sequence has the wrong length.

    Examples
    --------
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = gaussian_wavepacket(q, centre=1.0, width=0.5, momentum=2.0)
    >>> rho = np.abs(psi) ** 2 * (q[1] - q[0])
    >>> round(float(rho.sum()), 6), round(float(np.sum(q * rho)), 6)  # norm, centre
    (1.0, 1.0)
    """
    axes = _grid.as_grid(grid)
    positive(hbar, "hbar")
    d = len(axes)
    c, s, p = (np.broadcast_to(np.asarray(v, dtype=float), (d,)) for v in (centre, width, momentum))
    if np.any(s <= 0):
        raise ValueError(f"width must be > 0 on every axis; got {s}.")
    mesh = _grid.mesh(axes)
    phase = sum(
        -((x - ci) ** 2) / (4 * si**2) + 1j * pi * x / hbar
        for x, ci, si, pi in zip(mesh, c, s, p, strict=True)
    )
    return normalise(np.exp(phase), axes)


def random_state(n: int, *, rng=None) -> np.ndarray:
    """A state vector of C^n drawn uniformly from the unit sphere (the Haar measure).

    The real and imaginary parts of the n components are independent standard normals, drawn
    in that order (n real parts, then n imaginary parts); the normalised vector is then uniform
    on the sphere S^(2n−1), i.e. distributed as the first column of a Haar-random unitary.

    Parameters
    ----------
    n : int
        Dimension, ≥ 1.
    rng : numpy.random.Generator, int or None
        Generator (used as is, 2n normal draws), seed, or None (fresh entropy).

    Returns
    -------
    ndarray, complex, shape (n,)
        Unit norm.

    Raises
    ------
    ValueError, TypeError
        For n < 1 or a bad ``rng``.

    Notes
    -----
    M. E. Muller, Commun. ACM 2, 19 (1959) (Gaussian vectors are isotropic); for C^n see
    F. Mezzadri, Notices AMS 54, 592 (2007).

    Examples
    --------
    >>> psi = random_state(4, rng=1)
    >>> psi.shape, round(float(np.linalg.norm(psi)), 12)
    ((4,), 1.0)
    """
    n = count(n, "n", 1, " (the dimension of the state space)")
    gen, _ = seeded(rng)
    psi = gen.normal(size=n) + 1j * gen.normal(size=n)
    return psi / np.linalg.norm(psi)


def random_superposition(grid, *, n_packets: int = 3, hbar: float = 1.0, rng=None) -> np.ndarray:
    """A random normalised non-Gaussian state: a superposition of Gaussian packets.

    Each packet has a random centre in the middle 30% of every axis, random widths between
    1/60 and 1/36 of the axis length (so ψ is far below 1e-10 at the grid's edges), a random
    correlated (entangling) covariance in more than one dimension, a random mean momentum well
    below the grid's Nyquist momentum, and a random complex weight. Generic draws have no exact
    nodes in 1D and a non-trivial phase S(q).

    Parameters
    ----------
    grid : ndarray or tuple of ndarray
        Uniform grid.
    n_packets : int
        Number of packets, ≥ 1.
    hbar : float
        Reduced Planck constant, > 0.
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator (used as is), a non-negative int seed, or None
        (fresh OS entropy, not reproducible; pass an int seed).

    Returns
    -------
    ndarray, complex, shape of the grid

    Raises
    ------
    ValueError
        If ``n_packets < 1``, ``hbar <= 0`` or ``rng`` is a negative seed.
    TypeError
        If ``n_packets`` is not an int, or ``rng`` is not a Generator, an int or None.

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore import states
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = states.random_superposition(q, rng=1)
    >>> bool(np.isclose(np.sum(np.abs(psi) ** 2) * (q[1] - q[0]), 1.0))
    True
    """
    axes = _grid.as_grid(grid)
    rng = seeded(rng)[0]
    count(n_packets, "n_packets", 1)
    positive(hbar, "hbar")
    mesh = np.stack(_grid.mesh(axes), axis=-1)  # (..., d)
    lo = np.array([a[0] for a in axes])
    length = np.array([a[-1] - a[0] for a in axes])
    dq = np.array(_grid.spacings(axes))
    p_max = 0.15 * np.pi * hbar / dq  # 15% of the Nyquist momentum
    d = len(axes)
    psi = np.zeros(mesh.shape[:-1], dtype=complex)
    for _ in range(n_packets):
        centre = lo + length * rng.uniform(0.35, 0.65, size=d)
        sig = length * rng.uniform(1 / 60, 1 / 36, size=d)
        corr = np.eye(d)
        if d > 1:
            a = rng.uniform(-0.6, 0.6, size=(d, d))
            corr = np.eye(d) + 0.5 * (a + a.T) * (1 - np.eye(d))
            corr = corr + max(0.0, 0.1 - np.linalg.eigvalsh(corr).min()) * np.eye(d)
        cov = corr * np.outer(sig, sig)
        prec = np.linalg.inv(cov)
        x = mesh - centre
        mom = rng.uniform(-1, 1, size=d) * np.minimum(p_max, 3 * hbar / sig)
        expo = -0.25 * np.einsum("...i,ij,...j->...", x, prec, x) + 1j * (x @ mom) / hbar
        weight = rng.normal() + 1j * rng.normal()
        psi += weight * np.exp(expo)
    return normalise(psi, axes)


def evolved_gaussian(
    x,
    t,
    centre=0.0,
    width=1.0,
    momentum=0.0,
    *,
    force=0.0,
    mass: float = 1.0,
    hbar: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact ψ(x, t) and ∂_xψ of a Gaussian packet in the linear potential U(x) = −F x.

    At t = 0, ψ is the normalised packet of :func:`gaussian_wavepacket`,
    ψ(x, 0) = (2πσ²)^(−1/4) exp(−(x − x₀)²/(4σ²) + i p₀ x/ħ). With τ = ħt/(2mσ²), the free
    solution is ψ_free(x, t) = (2πσ²)^(−1/4) (1 + iτ)^(−1/2)
    exp(−(x − x₀ − p₀t/m)²/(4σ²(1 + iτ)) + i p₀ x/ħ − i p₀² t/(2mħ)), and the uniform force
    enters through the Avron–Herbst transformation
    ψ(x, t) = ψ_free(x − Ft²/2m, t) exp(i(F t x − F² t³/6m)/ħ) (check: substitute into
    iħ∂_tψ = −(ħ²/2m)∂²_xψ − F x ψ). So |ψ|² is a Gaussian of centre x₀ + p₀t/m + Ft²/2m and
    width σ(t) = σ√(1 + τ²), and the Bohmian velocity (ħ/m) Im(∂_xψ/ψ) is
    p₀/m + Ft/m + (x − centre) τ²/(t(1 + τ²)).

    Parameters
    ----------
    x : array_like, float, any shape
        Positions (length).
    t : float
        Time (≥ 0 or < 0: the formula holds both ways).
    centre, width, momentum : float or array_like
        x₀, σ > 0 (the standard deviation of |ψ(x, 0)|²) and p₀; arrays broadcast against ``x``
        (one packet per element, e.g. shape (N,) against x of shape (..., N)).
    force : float or array_like
        F = −dU/dx (energy/length); 0 for a free packet. Broadcasts like ``centre``.
    mass, hbar : float
        m > 0, ħ > 0.

    Returns
    -------
    psi, dpsi_dx : ndarray, complex, the broadcast shape of the inputs
        ψ(x, t) (normalised on the real line) and its exact x-derivative.

    Raises
    ------
    ValueError
        If a width, ``mass`` or ``hbar`` is not > 0, or inputs are not finite.
    TypeError
        If ``t``, ``mass`` or ``hbar`` is not a real scalar.

    Notes
    -----
    Source: the free packet, e.g. C. Cohen-Tannoudji, B. Diu, F. Laloë, *Quantum Mechanics*,
    vol. 1, complement G_I; the uniform force, J. E. Avron and I. W. Herbst, Commun. Math. Phys.
    52, 239 (1977), and P. R. Holland, *The Quantum Theory of Motion* (CUP 1993), sec. 4.7.

    Examples
    --------
    At t = 2 a packet with p₀ = 1 under F = 0.5 is centred at x₀ + p₀t/m + Ft²/2m = 3, with
    σ(t)² = σ²(1 + τ²) = 2 for σ = 1:

    >>> x = np.linspace(-20, 26, 1024, endpoint=False)
    >>> psi, dpsi = evolved_gaussian(x, 2.0, momentum=1.0, force=0.5)
    >>> rho = np.abs(psi) ** 2 * (x[1] - x[0])
    >>> mean = float(np.sum(x * rho))
    >>> round(float(rho.sum()), 6), round(mean, 6), round(float(np.sum((x - mean) ** 2 * rho)), 6)
    (1.0, 3.0, 2.0)
    """
    m, hb = positive(mass, "mass"), positive(hbar, "hbar")
    if isinstance(t, bool) or not np.isscalar(t) or not np.isreal(t):
        raise TypeError(f"t must be a real scalar (the time); got {t!r}.")
    t = float(t)
    xa, c, s, p, f = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (x, centre, width, momentum, force))
    )
    for name, arr in (("x", xa), ("centre", c), ("width", s), ("momentum", p), ("force", f)):
        if not np.all(np.isfinite(arr)) or not np.isfinite(t):
            raise ValueError(f"{name} and t must be finite.")
    if np.any(s <= 0):
        raise ValueError(f"width must be > 0 (the packet's position spread); got min {s.min()}.")
    z = 1.0 + 1j * hb * t / (2.0 * m * s**2)
    xi = xa - f * t**2 / (2.0 * m)
    d = xi - c - p * t / m
    log_psi = (
        -0.25 * np.log(2.0 * np.pi * s**2)
        - 0.5 * np.log(z)
        - d**2 / (4.0 * s**2 * z)
        + 1j * p * xi / hb
        - 1j * p**2 * t / (2.0 * m * hb)
        + 1j * (f * t * xa - f**2 * t**3 / (6.0 * m)) / hb
    )
    psi = np.exp(log_psi)
    dlog = -d / (2.0 * s**2 * z) + 1j * p / hb + 1j * f * t / hb
    return psi, psi * dlog


def chirped_gaussian(
    q, centre=0.0, width=1.0, momentum=0.0, *, chirp=0.0, cubic=0.0, hbar: float = 1.0
) -> np.ndarray:
    """Normalised 1D Gaussian envelope with a polynomial phase on a uniform grid.

    ψ(q) ∝ exp(−u²/(4σ²) + i p₀q/ħ + i c u² + i c₃ u³),  u = q − q₀.

    A quadratic phase (``chirp`` c, a linear chirp: local momentum linear in q) keeps ρ Gaussian
    and gives σ_qσ_p = (ħ/2)√(1 + 16c²σ⁴); a cubic phase c₃ gives (ħ/2)√(1 + 72c₃²σ⁶) (the
    local momentum 3ħc₃u² has variance 18ħ²c₃²σ⁴). Only c = c₃ = 0 reaches ħ/2.

    Parameters
    ----------
    q : ndarray, shape (n,)
        Uniform grid (length).
    centre, width, momentum : float
        q₀ (length), σ > 0 (length), p₀ (ħ/length).
    chirp : float
        c (1/length²).
    cubic : float
        c₃ (1/length³).
    hbar : float
        ħ > 0.

    Returns
    -------
    ndarray, complex, shape (n,)
        Normalised on the grid (Σ|ψ|²Δq = 1).

    Raises
    ------
    ValueError
        If the grid is not 1D and uniform, ``width`` or ``hbar`` is not > 0, or a parameter is
        not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore import states
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = states.chirped_gaussian(q, width=1.0, chirp=0.1)
    >>> bool(np.isclose(np.sum(np.abs(psi) ** 2) * (q[1] - q[0]), 1.0))
    True
    """
    axes = _grid.as_grid(q)
    if len(axes) != 1:
        raise ValueError(f"q must be a one-dimensional grid; got {len(axes)} axes.")
    width = positive(width, "width")
    hbar = positive(hbar, "hbar")
    for name, value in (("centre", centre), ("momentum", momentum), ("chirp", chirp)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite; got {value!r}.")
    if not np.isfinite(cubic):
        raise ValueError(f"cubic must be finite; got {cubic!r}.")
    u = axes[0] - centre
    psi = np.exp(
        -(u**2) / (4 * width**2) + 1j * (momentum * axes[0] / hbar + chirp * u**2 + cubic * u**3)
    )
    return normalise(psi, axes)


def box_eigenstate(q, n: int = 1, *, width: float = 1.0, centre: float = 0.0) -> np.ndarray:
    """Normalised eigenstate n of the infinite square well |q − q₀| ≤ L/2, zero outside.

    ψ_n(q) = √(2/L) sin(nπ(q − q₀ + L/2)/L) inside the box. Its spreads are
    σ_q² = L²(1/12 − 1/(2n²π²)) and σ_p = nπħ/L, so σ_qσ_p = (ħ/2)√(n²π²/3 − 2) (> ħ/2 for
    every n; n = 1 gives paper 000's box example). It has kinks at the walls: differentiate it
    with ``derivative="central"``.

    Parameters
    ----------
    q : ndarray, shape (n_points,)
        Uniform grid (length) covering the box.
    n : int
        Quantum number ≥ 1.
    width : float
        L > 0.
    centre : float
        q₀ (length), the middle of the box.

    Returns
    -------
    ndarray, complex, shape (n_points,)
        Normalised on the grid.

    Raises
    ------
    ValueError
        If the grid is not 1D and uniform, ``n`` < 1, ``width`` is not > 0 or the box is not
        inside the grid.
    TypeError
        If ``n`` is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore import states
    >>> q = np.linspace(-0.5, 0.5, 1000, endpoint=False)
    >>> psi = states.box_eigenstate(q, 1)
    >>> bool(np.isclose(np.sum(np.abs(psi) ** 2) * (q[1] - q[0]), 1.0))
    True
    """
    axes = _grid.as_grid(q)
    if len(axes) != 1:
        raise ValueError(f"q must be a one-dimensional grid; got {len(axes)} axes.")
    n = count(n, "n", 1)
    width = positive(width, "width")
    x = axes[0]
    lo, hi = centre - width / 2, centre + width / 2
    if lo < x[0] - 1e-12 * width or hi > x[-1] + (x[1] - x[0]) + 1e-12 * width:
        raise ValueError(f"the box [{lo}, {hi}] must lie inside the grid [{x[0]}, {x[-1]}].")
    inside = (x >= lo) & (x <= hi)
    psi = np.where(inside, np.sin(n * np.pi * (x - lo) / width), 0.0).astype(complex)
    return normalise(psi, axes)
