"""Uniform Cartesian grids: validation, cell volume, wavenumbers and derivatives.

Every grid-based routine of qfcore takes ``grid`` either as a 1D array (one degree of freedom)
or as a tuple of 1D arrays (one per degree of freedom, ``indexing="ij"`` order), and a field of
shape ``tuple(len(axis) for axis in grid)``. This module is the single place where such grids
are checked and differentiated, so that every public function raises the same clear errors.

Spectral derivatives treat the grid as periodic (the field is assumed smooth and periodic, or
negligibly small at both ends of every axis); see L. N. Trefethen, *Spectral Methods in MATLAB*
(SIAM, 2000), ch. 3. Central differences are second order, one-sided (second order) at the
edges; see B. Fornberg, Math. Comp. 51, 699 (1988).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qfcore import _checks

__all__ = [
    "as_grid",
    "cell_volume",
    "check_field",
    "check_normalised",
    "gradient",
    "mesh",
    "norm",
    "spacings",
    "wavenumbers",
]

#: Relative tolerance on the spacing of a grid that is still called uniform.
UNIFORM_RTOL = 1e-6


def as_grid(grid, *, name: str = "grid") -> tuple[np.ndarray, ...]:
    """Validate a uniform grid and return it as a tuple of 1D float arrays.

    Parameters
    ----------
    grid : array_like, shape (n,), or sequence of array_like, shapes (n_1,), (n_2,), ...
        Coordinates of a uniform grid: one 1D array per degree of freedom.
    name : str
        Name of the parameter, used in error messages.

    Returns
    -------
    tuple of ndarray
        One float64 array per axis.

    Raises
    ------
    ValueError
        If an axis is not one-dimensional, has fewer than 2 points, holds non-finite values,
        is not increasing, or is not uniformly spaced (relative tolerance ``UNIFORM_RTOL``).

    Examples
    --------
    >>> axes = as_grid((np.linspace(0, 1, 5), np.arange(3)))
    >>> len(axes), [a.dtype.name for a in axes]
    (2, ['float64', 'float64'])
    """
    if isinstance(grid, np.ndarray) and grid.ndim == 1:
        axes: Sequence = (grid,)
    elif isinstance(grid, tuple | list) and len(grid) > 0 and np.ndim(grid[0]) == 1:
        axes = grid
    else:
        arr = np.asarray(grid, dtype=float)
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be a 1D array of coordinates or a tuple of 1D arrays (one per "
                f"degree of freedom); got an array of shape {arr.shape}."
            )
        axes = (arr,)
    out = []
    for i, axis in enumerate(axes):
        a = np.asarray(axis, dtype=float)
        label = f"{name}[{i}]" if len(axes) > 1 else name
        if a.ndim != 1:
            raise ValueError(f"{label} must be one-dimensional; got shape {a.shape}.")
        if a.size < 2:
            raise ValueError(f"{label} needs at least 2 points; got {a.size}.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{label} holds non-finite coordinates.")
        d = np.diff(a)
        if np.any(d <= 0):
            raise ValueError(f"{label} must be strictly increasing.")
        if np.max(np.abs(d - d.mean())) > UNIFORM_RTOL * abs(d.mean()):
            raise ValueError(
                f"{label} is not uniformly spaced (spacings from {d.min():.6g} to {d.max():.6g}); "
                "use numpy.linspace(start, stop, n, endpoint=False) or numpy.arange."
            )
        out.append(a)
    return tuple(out)


def spacings(grid) -> tuple[float, ...]:
    """Grid spacing Δq_i of each axis (length units).

    Parameters
    ----------
    grid : tuple of ndarray
        A grid validated by :func:`as_grid` (one uniform 1D array per degree of freedom).

    Returns
    -------
    tuple of float
        One spacing per axis.

    Raises
    ------
    IndexError
        If an axis has fewer than 2 points (:func:`as_grid` rejects such grids first).
    """
    return tuple(float(a[1] - a[0]) for a in grid)


def cell_volume(grid) -> float:
    """Volume element ΔV = Π Δq_i (length^d).

    Parameters
    ----------
    grid : tuple of ndarray
        A grid validated by :func:`as_grid` (one uniform 1D array per degree of freedom).

    Returns
    -------
    float

    Raises
    ------
    IndexError
        As :func:`spacings`.
    """
    return float(np.prod(spacings(grid)))


def mesh(grid) -> tuple[np.ndarray, ...]:
    """Coordinate arrays of the grid's shape (``numpy.meshgrid`` with ``indexing="ij"``).

    Parameters
    ----------
    grid : tuple of ndarray
        A grid validated by :func:`as_grid` (one uniform 1D array per degree of freedom).

    Returns
    -------
    tuple of ndarray
        d arrays, each of shape ``tuple(len(a) for a in grid)``.

    Raises
    ------
    ValueError
        Only as ``numpy.meshgrid`` does for malformed input.
    """
    return tuple(np.meshgrid(*grid, indexing="ij"))


def wavenumbers(grid) -> tuple[np.ndarray, ...]:
    """Angular wavenumbers k = 2π·fftfreq(n, Δq) of each axis (unshifted FFT order, 1/length).

    Source: the discrete Fourier transform conventions of ``numpy.fft``; momenta are p = ħk.

    Parameters
    ----------
    grid : tuple of ndarray
        A grid validated by :func:`as_grid` (one uniform 1D array per degree of freedom).

    Returns
    -------
    tuple of ndarray
        One array of shape (n_i,) per axis.

    Raises
    ------
    IndexError
        As :func:`spacings`.

    Examples
    --------
    >>> q = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    >>> np.round(wavenumbers(as_grid(q))[0], 12).tolist()  # k_j = 2πj/L, in FFT order
    [0.0, 1.0, 2.0, 3.0, -4.0, -3.0, -2.0, -1.0]
    """
    return tuple(2.0 * np.pi * np.fft.fftfreq(a.size, d=a[1] - a[0]) for a in grid)


def check_field(field, grid, *, name: str = "psi", dtype=complex) -> np.ndarray:
    """Return ``field`` as an array of the grid's shape, or raise.

    Parameters
    ----------
    field : array_like
    grid : tuple of ndarray
        Validated grid.
    name : str
        Parameter name for the message.
    dtype : numpy dtype
        Conversion type (complex by default).

    Returns
    -------
    ndarray
        ``field`` as ``dtype``, shape ``tuple(len(a) for a in grid)``.

    Raises
    ------
    ValueError
        If the shape differs from ``tuple(len(a) for a in grid)`` or the field is not finite.
    """
    arr = np.asarray(field, dtype=dtype)
    shape = tuple(a.size for a in grid)
    if arr.shape != shape:
        raise ValueError(
            f"{name} has shape {arr.shape} but the grid has shape {shape}; "
            "sample it on numpy.meshgrid(*grid, indexing='ij')."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values.")
    return arr


def norm(psi: np.ndarray, grid) -> float:
    """Σ |ψ|² ΔV, the discrete norm of ψ on the grid (dimensionless for ψ in length^{−d/2}).

    Parameters
    ----------
    psi : ndarray, shape of the grid
    grid : tuple of ndarray
        Validated grid.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Only if ``psi`` and the grid do not broadcast (use :func:`check_field` first).

    Examples
    --------
    >>> q = np.linspace(-10, 10, 256, endpoint=False)
    >>> psi = (2 * np.pi) ** -0.25 * np.exp(-(q**2) / 4)  # Gaussian, σ = 1
    >>> round(norm(psi, as_grid(q)), 6)
    1.0
    """
    return float(np.sum(np.abs(psi) ** 2) * cell_volume(grid))


def check_normalised(psi: np.ndarray, grid, *, name: str = "psi") -> None:
    """Check |Σ |ψ|² ΔV − 1| ≤ ``qfcore._checks.NORM_TOL`` (1e-6).

    Parameters
    ----------
    psi : ndarray, shape of the grid
    grid : tuple of ndarray
        Validated grid.
    name : str
        Parameter name for the message.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ψ is not normalised; the message gives the norm and the factor to divide by.

    Examples
    --------
    >>> q = as_grid(np.linspace(-10, 10, 256, endpoint=False))
    >>> psi = (2 * np.pi) ** -0.25 * np.exp(-(q[0] ** 2) / 4)
    >>> check_normalised(psi, q)  # silent: Σ|ψ|²Δq = 1
    >>> check_normalised(2 * psi, q)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: psi is not normalised: ...
    """
    _checks.normalised(norm(psi, grid), name, f"sum |{name}|^2 dV")


def gradient(field: np.ndarray, grid, *, method: str = "spectral") -> tuple[np.ndarray, ...]:
    """Partial derivatives ∂f/∂q_i of a field on a validated grid.

    Parameters
    ----------
    field : ndarray, shape of the grid
        Real or complex samples.
    grid : tuple of ndarray
        Validated grid (see :func:`as_grid`).
    method : {"spectral", "central"}
        ``"spectral"``: exact for band-limited periodic fields (FFT; the Nyquist mode of an
        even-length axis is dropped). ``"central"``: second-order finite differences
        (``numpy.gradient`` with second-order one-sided edges), for fields with kinks or
        hard walls where a spectral derivative rings.

    Returns
    -------
    tuple of ndarray
        One array of the field's shape per axis.

    Raises
    ------
    ValueError
        For an unknown ``method``.

    Examples
    --------
    >>> q = as_grid(np.linspace(0, 2 * np.pi, 32, endpoint=False))
    >>> (d_spectral,) = gradient(np.sin(q[0]), q)
    >>> (d_central,) = gradient(np.sin(q[0]), q, method="central")
    >>> bool(np.allclose(d_spectral, np.cos(q[0]))), bool(np.allclose(d_central, np.cos(q[0])))
    (True, False)
    """
    if method == "central":
        if len(grid) == 1:
            return (np.gradient(field, grid[0], edge_order=2),)
        return tuple(np.gradient(field, *grid, edge_order=2))
    if method != "spectral":
        raise ValueError(f"method must be 'spectral' or 'central'; got {method!r}.")
    out = []
    real = np.isrealobj(field)
    ks = wavenumbers(grid)
    for axis, k in enumerate(ks):
        n = k.size
        kk = 1j * k.copy()
        if n % 2 == 0:
            kk[n // 2] = 0.0
        shape = [1] * field.ndim
        shape[axis] = n
        d = np.fft.ifft(np.fft.fft(field, axis=axis) * kk.reshape(shape), axis=axis)
        out.append(d.real if real else d)
    return tuple(out)
