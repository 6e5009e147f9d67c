"""Distances between sheet ensembles and gridded phase-space densities, and their noise floor.

How far K sheets (:mod:`~qfcore.kinetic.sheets`) are from a Vlasov solution
(:mod:`~qfcore.kinetic.vlasov`), or two Vlasov runs from each other: the Wasserstein-1 distance
of the position and velocity marginals (:func:`marginal_wasserstein`,
:func:`density_wasserstein`) and the L1 distance of binned phase-space masses
(:func:`sheet_density`, :func:`binned_mass`, :func:`binned_l1`), at every output time with
:func:`phase_space_distances`. The mean of each distance for K *independent* samples of the
density (:func:`expected_sampling_wasserstein`, :func:`expected_sampling_l1`,
:func:`sampling_noise`, exact via the binomial mean absolute deviation) is the noise floor against
which the distance of K interacting sheets is measured. Sources are given in each function's
docstring.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.special import gammaln, xlog1py, xlogy

from qfcore._checks import count
from qfcore.grid import as_grid
from qfcore.kinetic._validation import _check_vector
from qfcore.statistics import grid_cdf


def _edges(e, name):
    a = np.asarray(e, dtype=float)
    if a.ndim != 1 or a.size < 2 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
        raise ValueError(f"{name} must be a finite, strictly increasing 1D array of >= 2 edges.")
    return a


def sheet_density(positions, velocities, x_edges, v_edges) -> xr.DataArray:
    """Phase-space histogram of a sheet ensemble, as a density comparable with f(x, v).

    Each sheet carries weight 1/K; density = counts / (K · bin area), so Σ density · area is the
    fraction of sheets inside the bins.

    Parameters
    ----------
    positions, velocities : array_like, shape (K,)
    x_edges, v_edges : array_like
        Strictly increasing bin edges.

    Returns
    -------
    xarray.DataArray, dims ("x", "v")
        Coordinates are the bin centres.

    Raises
    ------
    ValueError
        Empty ensemble, mismatched lengths or bad edges.
    """
    pos = _check_vector(positions, "positions")
    if pos.size < 1:
        raise ValueError("positions must hold at least one sheet (K >= 1).")
    vel = _check_vector(velocities, "velocities", pos.size)
    xe = _edges(x_edges, "x_edges")
    ve = _edges(v_edges, "v_edges")
    counts, _, _ = np.histogram2d(pos, vel, bins=(xe, ve))
    area = np.diff(xe)[:, None] * np.diff(ve)[None, :]
    return xr.DataArray(
        counts / (pos.size * area),
        dims=("x", "v"),
        coords={"x": 0.5 * (xe[1:] + xe[:-1]), "v": 0.5 * (ve[1:] + ve[:-1])},
        name="density",
    )


def _cell_overlap(edges: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """O[b, i] = |[e_b, e_{b+1}] ∩ [x_i − h/2, x_i + h/2]| / h (fraction of cell i in bin b)."""
    h = grid[1] - grid[0]
    lo = np.maximum(edges[:-1, None], grid[None, :] - 0.5 * h)
    hi = np.minimum(edges[1:, None], grid[None, :] + 0.5 * h)
    return np.clip(hi - lo, 0.0, None) / h


def binned_mass(f, x, v, x_edges, v_edges) -> xr.DataArray:
    """Mass of a gridded phase-space density in each bin of a histogram.

    The density is read as piecewise constant, f_ij hx hv spread uniformly on the cell
    [x_i ± hx/2] × [v_j ± hv/2] (the density :func:`sample_sheets` draws from), and each cell's
    mass is split between the bins by overlap, so bins need not align with the grid and two
    densities on different grids can be compared bin by bin (e.g. two resolutions of
    :func:`vlasov_poisson_1d`: Σ |P_a − P_b| is their distance in the metric of
    :func:`binned_l1`). f is used as given (not clipped, not renormalised).

    Parameters
    ----------
    f : array_like, shape (len(x), len(v))
    x, v : array_like
        Uniform grids of f.
    x_edges, v_edges : array_like
        Strictly increasing bin edges.

    Returns
    -------
    xarray.DataArray, dims ("x", "v"), shape (len(x_edges) − 1, len(v_edges) − 1)
        Bin masses; coordinates are the bin centres.

    Raises
    ------
    ValueError
        f of the wrong shape, non-uniform grids or bad edges.

    Notes
    -----
    Source: conservative remapping of a piecewise-constant (finite-volume) density by cell
    overlap, e.g. R. J. LeVeque, *Finite Volume Methods for Hyperbolic Problems* (CUP 2002), ch. 4.
    """
    (xg,) = as_grid(x, name="x")
    (vg,) = as_grid(v, name="v")
    fa = np.asarray(f, dtype=float)
    if fa.shape != (xg.size, vg.size):
        raise ValueError(f"f must have shape ({xg.size}, {vg.size}); got {fa.shape}.")
    xe = _edges(x_edges, "x_edges")
    ve = _edges(v_edges, "v_edges")
    w = fa * (xg[1] - xg[0]) * (vg[1] - vg[0])
    return xr.DataArray(
        _cell_overlap(xe, xg) @ w @ _cell_overlap(ve, vg).T,
        dims=("x", "v"),
        coords={"x": 0.5 * (xe[1:] + xe[:-1]), "v": 0.5 * (ve[1:] + ve[:-1])},
        name="mass",
    )


def binned_l1(positions, velocities, f, x, v, x_edges, v_edges) -> float:
    """L1 distance Σ_bins |P_sheets(bin) − P_f(bin)| between a sheet ensemble and f(x, v).

    P_f(bin) is the mass of the piecewise-constant density that puts f_ij hx hv uniformly on the
    cell [x_i ± hx/2] × [v_j ± hv/2] (the density :func:`sample_sheets` draws from), split
    between bins by overlap (:func:`binned_mass`), so bins need not align with the grid. The
    value lies in [0, 2]; for K independent samples of f its mean is
    :func:`expected_sampling_l1`, which falls like K^(−1/2) (≈ Σ_b √(2 P_b / (π K)) for many
    sheets per bin) until a real difference of the binned densities dominates.

    Parameters
    ----------
    positions, velocities : array_like, shape (K,)
    f : array_like, shape (len(x), len(v))
        Normalised density (e.g. ``ds.f.sel(time=t)`` from :func:`vlasov_poisson_1d`).
    x, v : array_like
        Uniform grids of f.
    x_edges, v_edges : array_like
        Bin edges.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`sheet_density`, or f of the wrong shape, or non-uniform grids.
    """
    hist = sheet_density(positions, velocities, x_edges, v_edges)
    pf = binned_mass(f, x, v, x_edges, v_edges).values
    xe = np.asarray(x_edges, dtype=float)
    ve = np.asarray(v_edges, dtype=float)
    area = np.diff(xe)[:, None] * np.diff(ve)[None, :]
    return float(np.abs(hist.values * area - pf).sum())


def _abs_linear_integral(a, b, length) -> float:
    """Σ ∫ |d| over intervals of the given lengths on which d is linear from a to b."""
    same = a * b >= 0
    absum = np.abs(a) + np.abs(b)
    safe = np.where(absum > 0, absum, 1.0)
    part = np.where(same, 0.5 * absum, 0.5 * (a * a + b * b) / safe)
    return float(np.sum(length * part))


def marginal_wasserstein(positions, x, rho) -> float:
    """Wasserstein-1 distance between sheet positions and a gridded density ρ(x).

    W₁ = ∫ |F_K(x) − F(x)| dx, with F_K the empirical distribution function of the K sheets
    (weight 1/K each) and F the distribution function of ρ normalised to 1, piecewise linear
    between the nodes (trapezoid cumulative sum: exact for a density constant on each cell at
    the mean of its end values; O(h²) from the smooth ρ). Computed exactly over the merged
    breakpoints. For K independent samples of a fixed ρ, W₁ ∝ K^(−1/2) (mean:
    :func:`expected_sampling_wasserstein`).

    Parameters
    ----------
    positions : array_like, shape (K,)
    x : array_like, shape (nx,)
        Uniform grid.
    rho : array_like, shape (nx,)
        Density on the grid (any normalisation; negative values count as 0).

    Returns
    -------
    float
        W₁ in length units.

    Raises
    ------
    ValueError
        Empty ensemble, ρ of the wrong shape or with no positive mass, non-uniform grid.

    Examples
    --------
    One sheet at the centre of a standard Gaussian: W₁ = E|X| = √(2/π) = 0.7979 (up to the grid).

    >>> import numpy as np
    >>> x = np.linspace(-8, 8, 1601)
    >>> round(marginal_wasserstein([0.0], x, np.exp(-(x**2) / 2)), 4)
    0.7979
    """
    pos = np.sort(_check_vector(positions, "positions"))
    if pos.size < 1:
        raise ValueError("positions must hold at least one sheet (K >= 1).")
    cdf = grid_cdf(x, rho)
    xg, cum = cdf.x, cdf.values
    pts = np.union1d(xg, pos)
    lo = min(pts[0], xg[0])
    hi = max(pts[-1], xg[-1])
    pts = np.union1d(pts, [lo, hi])
    big_f = np.interp(pts, xg, cum, left=0.0, right=1.0)
    emp = np.searchsorted(pos, pts, side="right") / pos.size  # F_K on [pts_k, pts_{k+1})
    return _abs_linear_integral(emp[:-1] - big_f[:-1], emp[:-1] - big_f[1:], np.diff(pts))


def density_wasserstein(x_a, rho_a, x_b, rho_b) -> float:
    """Wasserstein-1 distance between two gridded densities (grids may differ).

    W₁ = ∫ |F_a(x) − F_b(x)| dx with each distribution function built as in
    :func:`marginal_wasserstein` (ρ clipped at 0, normalised to 1, trapezoid cumulative sum,
    piecewise linear between its nodes, 0 and 1 outside its grid). F_a − F_b is linear between
    the merged nodes, so the integral is exact. Use it for the error of a solver in the metric
    of :func:`marginal_wasserstein`: the distance between two resolutions of
    :func:`vlasov_poisson_1d` bounds how much the solver's error can shift a sheet–Vlasov
    distance (triangle inequality). Shifting a density by s gives exactly s.

    Parameters
    ----------
    x_a, rho_a : array_like, shape (n_a,)
        Uniform grid and density (any normalisation; negative values count as 0).
    x_b, rho_b : array_like, shape (n_b,)
        The same for the second density.

    Returns
    -------
    float
        W₁ in length units.

    Raises
    ------
    ValueError
        Non-uniform grids, ρ of the wrong shape or with no positive mass.

    Notes
    -----
    Source: W₁ = ∫|F_a − F_b| dx on the line, S. S. Vallender, Theory Probab. Appl. 18, 784
    (1973); C. Villani, *Optimal Transport* (Springer 2009), ch. 6.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-5, 5, 101)
    >>> rho = np.exp(-(x**2) / 2)
    >>> density_wasserstein(x, rho, x, rho)
    0.0
    >>> round(density_wasserstein(x, rho, x + 0.3, rho), 12)
    0.3
    """
    fa, fb = grid_cdf(x_a, rho_a), grid_cdf(x_b, rho_b)
    pts = np.union1d(fa.x, fb.x)
    d = fa(pts) - fb(pts)
    return _abs_linear_integral(d[:-1], d[1:], np.diff(pts))


def _binomial_mad(k: int, p, nu=None) -> np.ndarray:
    """E|N/k − p| for N ~ Binomial(k, p): 2 ν (1 − p) P(N = ν) / k, ν = ⌊k p⌋ + 1 (de Moivre).

    ``nu`` overrides ν: on p ∈ [j/k, (j + 1)/k] the formula with ν = j + 1 is one polynomial in
    p, continuous at both ends (where ⌊k p⌋ jumps), which Simpson's rule needs. P(N = ν) is
    evaluated in logarithms (scipy's ``binom.pmf`` overflows for p ~ 1e-307).
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    nu = np.broadcast_to(np.floor(k * p) + 1.0 if nu is None else nu, p.shape)
    inside = nu <= k  # ν = k + 1 only at p = 1, where the deviation is 0
    n = np.where(inside, nu, k)
    log_pmf = gammaln(k + 1.0) - gammaln(n + 1.0) - gammaln(k - n + 1.0)
    log_pmf = log_pmf + xlogy(n, p) + xlog1py(k - n, -p)
    return np.where(inside, 2.0 * n * (1.0 - p) * np.exp(log_pmf) / k, 0.0)


def expected_sampling_wasserstein(x, rho, n_sheets) -> float:
    """Mean of :func:`marginal_wasserstein` for K independent samples of ρ: the sampling noise.

    E W₁ = ∫ E|F_K(x) − F(x)| dx = ∫ m_K(F(x)) dx, where K F_K(x) ~ Binomial(K, F(x)) and
    m_K(p) = E|N/K − p| = 2ν(1 − p) P(N = ν)/K with ν = ⌊Kp⌋ + 1 (de Moivre's mean absolute
    deviation of the binomial). F is the piecewise-linear distribution function of
    :func:`marginal_wasserstein`; the integral is split at the grid nodes and at the points
    where F = j/K (where m_K has kinks) and done by Simpson's rule on each piece (relative
    error < 1e-5 against a 4·10⁶-point trapezoid rule, K = 1 … 2·10⁴). For large K,
    E W₁ → K^(−1/2) ∫ √(2F(1 − F)/π) dx, approached from below (0.988 of it at K = 100 for a
    Gaussian, 0.996 at K = 1000); for K = 1 it is ∫ 2F(1 − F) dx, the mean distance of two
    independent draws. Compared with the distance of K interacting sheets to the Vlasov solution
    at the same time, it separates the noise of a sample of K from what the dynamics adds
    (correlations between the sheets).

    Parameters
    ----------
    x : array_like, shape (nx,)
        Uniform grid.
    rho : array_like, shape (nx,)
        Density on the grid (any normalisation; negative values count as 0).
    n_sheets : int
        K >= 1.

    Returns
    -------
    float
        E W₁ in length units.

    Raises
    ------
    ValueError
        K < 1, ρ of the wrong shape or with no positive mass, non-uniform grid.
    TypeError
        Non-integer K.

    Notes
    -----
    Source: de Moivre's closed form of the binomial mean absolute deviation, P. Diaconis and
    S. Zabell, Statist. Sci. 6, 284 (1991); E W₁ of the empirical measure, E. del Barrio,
    E. Giné and C. Matrán, Ann. Probab. 27, 1009 (1999).

    Examples
    --------
    For K = 1 it is the mean distance E|X − Y| = 2/√π = 1.1284 of two draws of a standard Gaussian:

    >>> import numpy as np
    >>> x = np.linspace(-8, 8, 1601)
    >>> round(expected_sampling_wasserstein(x, np.exp(-(x**2) / 2), 1), 4)
    1.1284
    """
    k = count(n_sheets, "n_sheets", 1, " (K, the number of sheets)")
    cdf = grid_cdf(x, rho)
    xg, cum = cdf.x, cdf.values
    inner = np.arange(1, k) / k
    # x where F = j/K by inverse interpolation; inside a flat run of F (ρ = 0) no level is
    # crossed, so keep only the two ends of each run (np.interp needs xp non-decreasing)
    keep = np.ones(cum.size, dtype=bool)
    keep[1:-1] = (cum[2:] > cum[1:-1]) | (cum[1:-1] > cum[:-2])
    levels_x = np.interp(inner, cum[keep], xg[keep])
    pts = np.union1d(xg, levels_x)
    fv = np.interp(pts, xg, cum)
    fm = np.interp(0.5 * (pts[1:] + pts[:-1]), xg, cum)
    nu = np.floor(k * fm) + 1.0  # the piece's ν, from its midpoint (F crosses no level inside)
    ends = _binomial_mad(k, fv[:-1], nu) + _binomial_mad(k, fv[1:], nu)
    return float(np.sum(np.diff(pts) / 6.0 * (ends + 4.0 * _binomial_mad(k, fm, nu))))


def expected_sampling_l1(f, x, v, x_edges, v_edges, n_sheets) -> float:
    """Mean of :func:`binned_l1` for K independent samples of f: the sampling noise.

    Σ_b E|N_b/K − P_b| with N_b ~ Binomial(K, P_b) (de Moivre's mean absolute deviation, exact),
    where P_b is the bin mass (:func:`binned_mass`) of max(f, 0) normalised to 1, the density
    :func:`sample_sheets` draws from. For many sheets per bin it is ≈ Σ_b √(2P_b(1 − P_b)/(πK)),
    a K^(−1/2) law; with few sheets per bin it is smaller than that and bends towards
    2 Σ_b P_b (1 − P_b)^K, so a power-law fit of binned L1 distances over small K is biased.

    Parameters
    ----------
    f : array_like, shape (len(x), len(v))
    x, v : array_like
        Uniform grids of f.
    x_edges, v_edges : array_like
        Bin edges.
    n_sheets : int
        K >= 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        K < 1, f of the wrong shape or with no positive mass, non-uniform grids, bad edges.
    TypeError
        Non-integer K.

    Notes
    -----
    Source: P. Diaconis and S. Zabell, Statist. Sci. 6, 284 (1991) (binomial mean absolute
    deviation).
    """
    k = count(n_sheets, "n_sheets", 1, " (K, the number of sheets)")
    fa = np.clip(np.asarray(f, dtype=float), 0, None)
    (xg,) = as_grid(x, name="x")
    (vg,) = as_grid(v, name="v")
    if fa.shape != (xg.size, vg.size):
        raise ValueError(f"f must have shape ({xg.size}, {vg.size}); got {fa.shape}.")
    tot = fa.sum() * (xg[1] - xg[0]) * (vg[1] - vg[0])
    if not np.isfinite(tot) or tot <= 0:
        raise ValueError("f holds no positive mass.")
    pb = binned_mass(fa / tot, xg, vg, x_edges, v_edges).values
    return float(_binomial_mad(k, pb).sum())


def _distance_times(a: xr.Dataset, b: xr.Dataset) -> np.ndarray:
    if "time" not in a.coords or "time" not in b.coords:
        raise ValueError("both datasets need a 'time' coordinate (outputs of this module).")
    ta, tb = a.time.values, b.time.values
    if ta.shape != tb.shape or not np.allclose(ta, tb, rtol=0, atol=1e-12):
        raise ValueError(
            f"the two runs must have the same output times; got {ta.tolist()} and {tb.tolist()}."
        )
    return ta


def _velocity_marginal(vlasov: xr.Dataset) -> np.ndarray:
    """∫ f dx on the v grid, shape (time, nv)."""
    return vlasov.f.values.sum(axis=1) * float(vlasov.x[1] - vlasov.x[0])


def phase_space_distances(a, b, *, x_edges=None, v_edges=None) -> xr.Dataset:
    """Distances between a sheet run or a Vlasov run and a Vlasov run, at every output time.

    ``w1_x`` and ``w1_v``: Wasserstein-1 distances of the position and velocity marginals
    (:func:`marginal_wasserstein` for sheets, :func:`density_wasserstein` for two Vlasov runs,
    whose grids may differ); ``l1`` (only with ``x_edges`` and ``v_edges``): the phase-space
    binned L1 distance (:func:`binned_l1`, or Σ |P_a − P_b| of :func:`binned_mass` for two
    Vlasov runs). The variable names are those of :func:`sampling_noise`, so that
    ``phase_space_distances(sheets, vlasov) / sampling_noise(vlasov, K)`` is the factor by
    which the K-body dynamics exceeds the noise of K independent samples of the Vlasov f at the
    same time. Two Vlasov runs at different resolutions give the solver's error in the same
    metrics (their difference bounds the error of the coarser one and, by the triangle
    inequality, how much it can shift a sheet–Vlasov distance).

    Parameters
    ----------
    a : xarray.Dataset
        Output of :func:`sheet_model` (variables ``x``, ``v`` (time, sheet)) or of
        :func:`vlasov_poisson_1d`.
    b : xarray.Dataset
        Output of :func:`vlasov_poisson_1d` with the same output times.
    x_edges, v_edges : array_like, optional
        Bin edges for ``l1`` (both or neither).

    Returns
    -------
    xarray.Dataset
        ``w1_x``, ``w1_v`` [, ``l1``] on the ``time`` dimension.

    Raises
    ------
    ValueError
        Different output times, datasets that are not outputs of these solvers, one edge array
        without the other, or the errors of the distance functions.

    Notes
    -----
    Source: built on :func:`marginal_wasserstein`, :func:`density_wasserstein`,
    :func:`binned_l1` and :func:`binned_mass` (see their sources).
    """
    if (x_edges is None) != (v_edges is None):
        raise ValueError("give both x_edges and v_edges (for l1) or neither.")
    for name, ds in (("a", a), ("b", b)):
        if not isinstance(ds, xr.Dataset):
            raise TypeError(f"{name} must be an xarray.Dataset from this module.")
    if not {"f", "rho"} <= set(b.data_vars):
        raise ValueError("b must be an output of vlasov_poisson_1d (variables f and rho).")
    times = _distance_times(a, b)
    xb, vb = b.x.values, b.v.values
    fv_b = _velocity_marginal(b)
    sheets = "sheet" in a.dims
    if not sheets and not {"f", "rho"} <= set(a.data_vars):
        raise ValueError("a must be an output of sheet_model or of vlasov_poisson_1d.")
    if not sheets:
        fv_a = _velocity_marginal(a)
    out = {"w1_x": np.empty(times.size), "w1_v": np.empty(times.size)}
    if x_edges is not None:
        out["l1"] = np.empty(times.size)
    for i in range(times.size):
        fb = b.f.values[i]
        if sheets:
            xs, vs = a.x.values[i], a.v.values[i]
            out["w1_x"][i] = marginal_wasserstein(xs, xb, b.rho.values[i])
            out["w1_v"][i] = marginal_wasserstein(vs, vb, fv_b[i])
            if x_edges is not None:
                out["l1"][i] = binned_l1(xs, vs, fb, xb, vb, x_edges, v_edges)
        else:
            xa, va = a.x.values, a.v.values
            out["w1_x"][i] = density_wasserstein(xa, a.rho.values[i], xb, b.rho.values[i])
            out["w1_v"][i] = density_wasserstein(va, fv_a[i], vb, fv_b[i])
            if x_edges is not None:
                pa = binned_mass(a.f.values[i], xa, va, x_edges, v_edges)
                pb = binned_mass(fb, xb, vb, x_edges, v_edges)
                out["l1"][i] = float(np.abs(pa - pb).sum())
    return xr.Dataset(
        {k: ("time", val) for k, val in out.items()},
        coords={"time": times},
        attrs={"a": "sheets" if sheets else "vlasov", "b": "vlasov"},
    )


def sampling_noise(vlasov, n_sheets, *, x_edges=None, v_edges=None) -> xr.Dataset:
    """Mean distances of K independent samples of a Vlasov solution to it, at every output time.

    ``w1_x``, ``w1_v``: :func:`expected_sampling_wasserstein` of ρ(x, t) and of ∫ f dx;
    ``l1`` (with edges): :func:`expected_sampling_l1`. Same variables as
    :func:`phase_space_distances`: the distance that K sheets would have from f(t) if they
    were K independent draws from it, i.e. if the K-body flow were the mean-field flow.

    Parameters
    ----------
    vlasov : xarray.Dataset
        Output of :func:`vlasov_poisson_1d`.
    n_sheets : int
        K >= 1.
    x_edges, v_edges : array_like, optional
        Bin edges for ``l1`` (both or neither).

    Returns
    -------
    xarray.Dataset
        ``w1_x``, ``w1_v`` [, ``l1``] on the ``time`` dimension; attribute ``n_sheets``.

    Raises
    ------
    ValueError
        Not a Vlasov output, K < 1, one edge array without the other.
    TypeError
        Non-integer K.

    Notes
    -----
    Source: :func:`expected_sampling_wasserstein` and :func:`expected_sampling_l1`.
    """
    k = count(n_sheets, "n_sheets", 1, " (K, the number of sheets)")
    if (x_edges is None) != (v_edges is None):
        raise ValueError("give both x_edges and v_edges (for l1) or neither.")
    if not isinstance(vlasov, xr.Dataset) or not {"f", "rho"} <= set(vlasov.data_vars):
        raise ValueError("vlasov must be an output of vlasov_poisson_1d (variables f and rho).")
    x, v = vlasov.x.values, vlasov.v.values
    fv = _velocity_marginal(vlasov)
    nt = vlasov.time.size
    out = {
        "w1_x": [expected_sampling_wasserstein(x, vlasov.rho.values[i], k) for i in range(nt)],
        "w1_v": [expected_sampling_wasserstein(v, fv[i], k) for i in range(nt)],
    }
    if x_edges is not None:
        out["l1"] = [
            expected_sampling_l1(vlasov.f.values[i], x, v, x_edges, v_edges, k) for i in range(nt)
        ]
    return xr.Dataset(
        {name: ("time", np.array(val)) for name, val in out.items()},
        coords={"time": vlasov.time.values},
        attrs={"n_sheets": k},
    )
