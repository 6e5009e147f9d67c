"""Phase-space initial conditions for both sides of the mean-field limit.

Densities f(x, v) on a grid for :func:`~qfcore.kinetic.vlasov.vlasov_poisson_1d`: the isothermal
sheet (a stationary solution) and sums of Gaussian clumps (non-stationary: a cold clump
collapses, two clumps merge); and K sheets drawn from such a gridded f for
:func:`~qfcore.kinetic.sheets.sheet_model`, so that both solvers start from the same state.
Sources are given in each function's docstring.
"""

from __future__ import annotations

import numpy as np

from qfcore._checks import count, positive, seeded
from qfcore.grid import as_grid


def isothermal_sheet(x, v, *, sigma, coupling, mass=1.0) -> np.ndarray:
    """The isothermal self-gravitating sheet (Spitzer 1942; Camm 1950), normalised f(x, v).

    f(x, v) = sech²(x/x₀)/(2x₀) · exp(−v²/(2σ²))/√(2πσ²),  x₀ = 2σ²/(g M),
    a stationary solution of the 1D Vlasov–Poisson system in this package's convention: with
    ρ = ρ₀ sech²(x/x₀), ρ₀ = M/(2x₀), the potential Φ = 2σ² ln cosh(x/x₀) satisfies
    Φ'' = 2gρ (g = 2πG) and ρ ∝ exp(−Φ/σ²). Kinetic energy Mσ²/2, potential energy Mσ²
    (virial theorem for the degree-1 kernel: W = 2T). Sources: L. Spitzer, ApJ 95, 329 (1942);
    G. L. Camm, MNRAS 110, 305 (1950).

    Parameters
    ----------
    x, v : array_like, shape (nx,), (nv,)
        Grid coordinates (need not be uniform).
    sigma : float
        Velocity dispersion σ > 0.
    coupling : float
        g = 2πG > 0.
    mass : float
        Total mass M > 0.

    Returns
    -------
    ndarray, shape (nx, nv)
        f on the grid, normalised on the whole plane (a finite grid holds slightly less).

    Raises
    ------
    ValueError
        sigma, coupling or mass not finite and > 0; x or v not 1D.
    TypeError
        Non-real scalars.

    Examples
    --------
    >>> import numpy as np
    >>> x, v = np.linspace(-10, 10, 401), np.linspace(-4, 4, 161)
    >>> f = isothermal_sheet(x, v, sigma=0.5, coupling=1.0)
    >>> round(float(f.sum() * (x[1] - x[0]) * (v[1] - v[0])), 6)
    1.0
    """
    s = positive(sigma, "sigma")
    g = positive(coupling, "coupling")
    m = positive(mass, "mass")
    xa = np.asarray(x, dtype=float)
    va = np.asarray(v, dtype=float)
    if xa.ndim != 1 or va.ndim != 1:
        raise ValueError("x and v must be 1D coordinate arrays.")
    x0 = 2.0 * s**2 / (g * m)
    fx = 1.0 / (2.0 * x0 * np.cosh(xa / x0) ** 2)
    fv = np.exp(-(va**2) / (2 * s**2)) / np.sqrt(2 * np.pi * s**2)
    return fx[:, None] * fv[None, :]


def gaussian_mixture(x, v, *, weights, x_mean, sigma_x, sigma_v, v_mean=0.0) -> np.ndarray:
    """Sum of Gaussian clumps in phase space, normalised on the grid (Σ f hx hv = 1).

    f(x, v) ∝ Σ_c w_c exp(−(x − x̄_c)²/(2σ_{x,c}²) − (v − v̄_c)²/(2σ_{v,c}²)) / (σ_{x,c} σ_{v,c}),
    so that clump c carries the fraction w_c / Σ w of the mass (up to what its tails put outside
    the grid). A non-stationary initial condition for :func:`vlasov_poisson_1d` and
    :func:`sample_sheets`: one cold clump collapses, two clumps merge.

    Parameters
    ----------
    x, v : array_like, shape (nx,), (nv,)
        Uniform grids.
    weights, x_mean, sigma_x, sigma_v, v_mean : float or array_like, shape (n_clumps,)
        Per clump (scalars broadcast): relative weights > 0, centres, widths > 0, mean velocities.

    Returns
    -------
    ndarray, shape (nx, nv)

    Raises
    ------
    ValueError
        Non-uniform grids, parameters of different lengths, non-positive weights or widths,
        non-finite values, or clumps that lie entirely off the grid (no mass on it).

    Notes
    -----
    A definition (no method to cite): the initial conditions of the T4.8 study of notebook 04.

    Examples
    --------
    Two clumps, the right one twice as heavy:

    >>> import numpy as np
    >>> x, v = np.linspace(-5, 5, 41), np.linspace(-2, 2, 21)
    >>> f = gaussian_mixture(x, v, weights=[1.0, 2.0], x_mean=[-2.0, 2.0], sigma_x=0.5, sigma_v=0.3)
    >>> hx, hv = x[1] - x[0], v[1] - v[0]
    >>> round(float(f.sum() * hx * hv), 12), round(float(f[x > 0].sum() * hx * hv), 3)
    (1.0, 0.667)
    """
    (xg,) = as_grid(x, name="x")
    (vg,) = as_grid(v, name="v")
    try:
        w, xm, sx, sv, vm = np.broadcast_arrays(
            *(
                np.atleast_1d(np.asarray(a, dtype=float))
                for a in (weights, x_mean, sigma_x, sigma_v, v_mean)
            )
        )
    except ValueError:
        raise ValueError(
            "weights, x_mean, sigma_x, sigma_v and v_mean must be scalars or arrays of one "
            "length (one entry per clump)."
        ) from None
    if w.ndim != 1 or not all(np.all(np.isfinite(a)) for a in (w, xm, sx, sv, vm)):
        raise ValueError("clump parameters must be finite scalars or 1D arrays.")
    if np.any(w <= 0) or np.any(sx <= 0) or np.any(sv <= 0):
        raise ValueError("weights, sigma_x and sigma_v must be > 0 for every clump.")
    gx = np.exp(-((xg[None, :] - xm[:, None]) ** 2) / (2 * sx[:, None] ** 2)) / sx[:, None]
    gv = np.exp(-((vg[None, :] - vm[:, None]) ** 2) / (2 * sv[:, None] ** 2)) / sv[:, None]
    f = np.einsum("c,ci,cj->ij", w, gx, gv)
    total = f.sum() * (xg[1] - xg[0]) * (vg[1] - vg[0])
    if not total > 0:
        raise ValueError("the clumps put no mass on the grid; widen the grid or move them.")
    return f / total


def sample_sheets(f, x, v, n_sheets, *, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw K sheets (positions, velocities) from a gridded phase-space density.

    Cell (i, j) is chosen with probability ∝ max(f_ij, 0), and the point is placed uniformly in
    the cell [x_i ± hx/2] × [v_j ± hv/2]: exact sampling of the piecewise-constant density, whose
    distance to a smooth f is O(h²).

    Parameters
    ----------
    f : array_like, shape (len(x), len(v))
        Phase-space density (need not be normalised; negative values count as 0).
    x, v : array_like
        Uniform grids.
    n_sheets : int
        K >= 1.
    rng : numpy.random.Generator, int or None
        Random generator, non-negative seed, or None (fresh entropy, not reproducible).

    Returns
    -------
    positions, velocities : ndarray, shape (K,)

    Raises
    ------
    ValueError
        K < 1, non-uniform grids, wrong shape, f with no positive mass, or a negative seed.
    TypeError
        Non-integer K, or an rng that is neither a Generator, an int nor None.

    Examples
    --------
    >>> import numpy as np
    >>> x, v = np.linspace(-2, 2, 21), np.linspace(-1, 1, 11)
    >>> f = np.exp(-(x[:, None] ** 2) - v[None, :] ** 2)
    >>> pos, vel = sample_sheets(f, x, v, 1000, rng=0)
    >>> pos.shape, bool(np.all(np.abs(pos) <= 2.1) and np.all(np.abs(vel) <= 1.1))
    ((1000,), True)
    """
    k = count(n_sheets, "n_sheets", 1, " (K, the number of sheets)")
    (xg,) = as_grid(x, name="x")
    (vg,) = as_grid(v, name="v")
    fa = np.asarray(f, dtype=float)
    if fa.shape != (xg.size, vg.size):
        raise ValueError(f"f must have shape ({xg.size}, {vg.size}); got {fa.shape}.")
    rng, _ = seeded(rng)
    p = np.clip(fa, 0, None).ravel()
    tot = p.sum()
    if not np.isfinite(tot) or tot <= 0:
        raise ValueError("f holds no positive mass to sample from.")
    cells = rng.choice(p.size, size=k, p=p / tot)
    i, j = np.unravel_index(cells, fa.shape)
    hx = xg[1] - xg[0]
    hv = vg[1] - vg[0]
    pos = xg[i] + (rng.random(k) - 0.5) * hx
    vel = vg[j] + (rng.random(k) - 0.5) * hv
    return pos, vel
