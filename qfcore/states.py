"""Wavefunctions on uniform grids: Gaussian packets and random non-Gaussian superpositions.

Units: ħ = 1 unless ``hbar`` is given; positions in the grid's units, momenta in ħ/length.
"""

from __future__ import annotations

import numpy as np

from qfcore import grid as _grid

__all__ = ["gaussian_wavepacket", "normalise", "random_superposition"]


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
    """
    axes = _grid.as_grid(grid)
    psi = _grid.check_field(psi, axes)
    n = _grid.norm(psi, axes)
    if n == 0.0:
        raise ValueError("psi vanishes on the whole grid and cannot be normalised.")
    return psi / np.sqrt(n)


def gaussian_wavepacket(grid, center=0.0, width=1.0, momentum=0.0, *, hbar: float = 1.0):
    """Normalised Gaussian ψ(q) ∝ Π_i exp(−(q_i−c_i)²/(4σ_i²) + i p_i q_i/ħ).

    ``width`` σ_i is the standard deviation of |ψ|² along axis i (so σ_p = ħ/(2σ)).

    Parameters
    ----------
    grid : ndarray, shape (n,), or tuple of ndarray
        Uniform grid (see :func:`qfcore.grid.as_grid`).
    center, width, momentum : float or sequence of float
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
    """
    axes = _grid.as_grid(grid)
    if hbar <= 0:
        raise ValueError(f"hbar must be > 0; got {hbar}.")
    d = len(axes)
    c, s, p = (np.broadcast_to(np.asarray(v, dtype=float), (d,)) for v in (center, width, momentum))
    if np.any(s <= 0):
        raise ValueError(f"width must be > 0 on every axis; got {s}.")
    mesh = _grid.mesh(axes)
    phase = sum(
        -((x - ci) ** 2) / (4 * si**2) + 1j * pi * x / hbar
        for x, ci, si, pi in zip(mesh, c, s, p, strict=True)
    )
    return normalise(np.exp(phase), axes)


def random_superposition(grid, rng, *, n_packets: int = 3, hbar: float = 1.0) -> np.ndarray:
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
    rng : numpy.random.Generator
        Source of randomness (seed it for reproducibility).
    n_packets : int
        Number of packets, ≥ 1.
    hbar : float
        Reduced Planck constant, > 0.

    Returns
    -------
    ndarray, complex, shape of the grid

    Raises
    ------
    ValueError
        If ``n_packets < 1`` or ``hbar <= 0``.
    TypeError
        If ``rng`` is not a numpy Generator.
    """
    axes = _grid.as_grid(grid)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(1).")
    if n_packets < 1:
        raise ValueError(f"n_packets must be >= 1; got {n_packets}.")
    if hbar <= 0:
        raise ValueError(f"hbar must be > 0; got {hbar}.")
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
