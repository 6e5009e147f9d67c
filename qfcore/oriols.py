"""Oriols et al.'s N = 1 … 20 centre-of-mass experiment, as quoted in paper 004, Section 2.

Each particle j has an orbital made of two Gaussian packets that run into each other,
φ_j ∝ g(x; −d_j, σ_j, +k_j) + g(x; +d_j, σ_j, −k_j), in the linear potential U = −F x per
particle (exact solutions, :func:`qfcore.states.evolved_gaussian`). Particle i starts in the
left packet of orbital i for i ≤ ⌈N/2⌉ and in the right packet otherwise. The Bohmian centre of
mass x_cm(t) is compared with the classical path x_cl(t) = x_cm(0) + v_cm(0) t + F t²/2m.

In a linear potential every solution is the free one seen from a uniformly accelerated frame
(Avron–Herbst), so the deviation x_cm − x_cl does not depend on F; F enters the relative error
ε(t) = |x_cm − x_cl| / |x_cl(t) − x_cl(0)| only through the denominator
(:func:`relative_error` recomputes ε for any F from one integration).

Source: X. Oriols, D. Tena, A. Benseny, arXiv:1602.03988 (2016), Fig. 1, as quoted in
M. Derakhshani (2022), Section 2. Units ħ = m = 1.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from qfcore import _checks, states
from qfcore import trajectories as tr
from qfcore._checks import count, seeded

__all__ = [
    "centre_of_mass_error",
    "draw",
    "final_values",
    "relative_error",
    "summary",
    "two_packet_orbitals",
]

_STATISTICS = ("bosons", "distinguishable")
_QUANTITIES = ("deviation", "relative_error")


def draw(n: int, n_realisations: int, *, rng=None):
    """Orbital parameters and starting positions of ``n_realisations`` runs with N = ``n``.

    Parameters
    ----------
    n, n_realisations : int
        Number of particles N ≥ 1 and of independent realisations R ≥ 1.
    rng : numpy.random.Generator, int or None
        Source of all draws: a Generator (used as is), a non-negative int seed, or None (fresh
        OS entropy, not reproducible; pass an int seed, e.g. from the notebook's master seed).

    Returns
    -------
    par : dict of ndarray, each (R, N)
        ``"sigma"`` σ_j ∈ U[0.8, 1.2], ``"d"`` d_j ∈ U[4, 6], ``"k"`` k_j ∈ U[1.5, 2.5].
    x0 : ndarray, (R, N)
        x_i drawn from the left packet's density, N(−d_i, σ_i²), for i < ⌈N/2⌉ (0-based), from
        the right packet's, N(+d_i, σ_i²), otherwise.

    Raises
    ------
    ValueError, TypeError
        For N or R that are not ints ≥ 1, or an ``rng`` that is not a Generator, a
        non-negative int or None.

    Examples
    --------
    >>> par, x0 = draw(3, 2, rng=0)
    >>> x0.shape, bool((x0[:, :2] < 0).all() and (x0[:, 2] > 0).all())
    ((2, 3), True)
    """
    n = count(n, "n", 1)
    n_realisations = count(n_realisations, "n_realisations", 1)
    rng = seeded(rng)[0]
    size = (n_realisations, n)
    par = {
        "sigma": rng.uniform(0.8, 1.2, size),
        "d": rng.uniform(4.0, 6.0, size),
        "k": rng.uniform(1.5, 2.5, size),
    }
    left = np.arange(n) < (n + 1) // 2
    x0 = np.where(left, -par["d"], par["d"]) + par["sigma"] * rng.normal(size=size)
    return par, x0


def two_packet_orbitals(par, force: float):
    """The orbitals φ_j(x, t) = g(x; −d_j, σ_j, +k_j) + g(x; +d_j, σ_j, −k_j) in U = −F x.

    Parameters
    ----------
    par : dict of array_like, each (R, N)
        ``"sigma"``, ``"d"``, ``"k"`` as returned by :func:`draw`.
    force : float
        F = −dU/dx on each particle.

    Returns
    -------
    callable
        ``orbitals(x, t)`` with x of shape (R, N) → ``(phi, dphi)``, complex (R, N, N),
        ``phi[r, i, j]`` = φ_j(x_i, t) of realisation r (the layout of
        :func:`qfcore.trajectories.bohm_many_body`). Each packet is normalised, so φ_j has norm
        √2 up to the packets' overlap (irrelevant for the guidance law).

    Examples
    --------
    >>> par, x0 = draw(2, 1, rng=0)
    >>> phi, dphi = two_packet_orbitals(par, 1.0)(x0, 0.5)
    >>> phi.shape
    (1, 2, 2)
    """
    s, d, k = (np.asarray(par[key], dtype=float)[:, None, :] for key in ("sigma", "d", "k"))

    def orbitals(x, t):
        left = states.evolved_gaussian(x[:, :, None], t, -d, s, k, force=force)
        right = states.evolved_gaussian(x[:, :, None], t, d, s, -k, force=force)
        return left[0] + right[0], left[1] + right[1]

    return orbitals


def relative_error(result: xr.Dataset, force: float) -> xr.DataArray:
    """ε(t) = |x_cm − x_cl| / |x_cl(t) − x_cl(0)| for the force F, from one integration.

    The deviation does not depend on F (Avron–Herbst), and x_cl(t) − x_cl(0) = v_cm(0) t +
    F t²/2, so ε at any F follows from the ``deviation`` and ``v0`` of
    :func:`centre_of_mass_error`. NaN at t = 0 (0/0).
    """
    t = result["time"]
    with np.errstate(invalid="ignore", divide="ignore"):
        return result["deviation"] / np.abs(result["v0"] * t + float(force) * t**2 / 2)


def centre_of_mass_error(par, x0, force: float, statistics: str, times, **solver) -> xr.Dataset:
    """Bohmian centre of mass against the classical path, for every realisation.

    Parameters
    ----------
    par, x0 : from :func:`draw`, (R, N)
    force : float
        F on each particle.
    statistics : {"bosons", "distinguishable"}
        Ψ = perm[φ_j(x_i)] or Π_i φ_i(x_i). Distinguishable particles are independent, so they
        are integrated as R·N one-particle problems.
    times : array_like, (T,)
        Output times from 0, strictly increasing.
    **solver
        ``method``, ``rtol``, ``atol`` of :func:`qfcore.trajectories.bohm_many_body`.

    Returns
    -------
    xarray.Dataset
        ``deviation`` |x_cm(t) − x_cl(t)| (time, realisation), ``relative_error`` ε(t) (same
        dims; NaN at t = 0), ``v0`` v_cm(0) (realisation); attrs ``force``, ``statistics``,
        ``n_velocity_calls``.

    Raises
    ------
    ValueError
        For an unknown ``statistics``, ``times`` not starting at 0, or the errors of
        :func:`qfcore.trajectories.bohm_many_body`.

    Examples
    --------
    >>> par, x0 = draw(1, 2, rng=0)
    >>> out = centre_of_mass_error(par, x0, 1.0, "distinguishable", [0.0, 1.0])
    >>> float(out["deviation"][0].max())
    0.0
    """
    if statistics not in _STATISTICS:
        raise ValueError(f"statistics must be 'bosons' or 'distinguishable'; got {statistics!r}.")
    t = _checks.times(times, minimum=2, start="zero")
    x0 = np.asarray(x0, dtype=float)
    if statistics == "distinguishable":
        flat = {key: np.asarray(v).reshape(-1, 1) for key, v in par.items()}
        paths = tr.bohm_many_body(
            two_packet_orbitals(flat, force), x0.reshape(-1, 1), t,
            statistics=statistics, **solver,
        )  # fmt: skip
        x = paths.values.reshape(t.size, *x0.shape)
    else:
        paths = tr.bohm_many_body(
            two_packet_orbitals(par, force), x0, t, statistics=statistics, **solver
        )
        x = paths.values
    phi, dphi = two_packet_orbitals(par, force)(x0, 0.0)
    v0 = tr.boson_velocities(phi, dphi, statistics=statistics).mean(-1)
    x_cm = x.mean(-1)
    dev = np.abs(x_cm - (x_cm[0] + v0 * t[:, None] + force * t[:, None] ** 2 / 2))
    out = xr.Dataset(
        {
            "deviation": (("time", "realisation"), dev),
            "v0": ("realisation", v0),
        },
        coords={"time": t},
        attrs={
            "force": float(force),
            "statistics": statistics,
            "n_velocity_calls": paths.attrs["n_velocity_calls"],
        },
    )
    out["relative_error"] = relative_error(out, force)
    return out


def _run(results, statistics: str, n) -> xr.Dataset:
    key = (statistics, int(n))
    if key not in results:
        raise KeyError(
            f"results has no run {key!r}; pass the dict of centre_of_mass_error outputs keyed "
            "(statistics, N) for every statistics and N asked for."
        )
    return results[key]


def final_values(results, statistics: str, numbers, quantity: str = "relative_error"):
    """Values of ``quantity`` at the final time, pooled over the realisations of every N given.

    Parameters
    ----------
    results : dict
        :func:`centre_of_mass_error` outputs keyed ``(statistics, N)``.
    statistics : {"bosons", "distinguishable"}
    numbers : iterable of int
        The N to pool.
    quantity : {"relative_error", "deviation"}
        ε(T) (dimensionless) or |x_cm − x_cl|(T) (length).

    Returns
    -------
    ndarray, (Σ_N R_N,)
        The runs of the first N first, then those of the next, and so on.

    Raises
    ------
    ValueError
        For an unknown ``quantity`` or no N.
    KeyError
        For a (statistics, N) missing from ``results``.

    Examples
    --------
    >>> end = [[0.0, 0.0], [0.1, 0.3]]  # two realisations, at t = 0 and T
    >>> run = xr.Dataset({q: (("time", "realisation"), end) for q in _QUANTITIES})
    >>> final_values({("bosons", 1): run, ("bosons", 2): run}, "bosons", [1, 2])
    array([0.1, 0.3, 0.1, 0.3])
    """
    if quantity not in _QUANTITIES:
        raise ValueError(f"quantity must be 'deviation' or 'relative_error'; got {quantity!r}.")
    numbers = list(numbers)
    if not numbers:
        raise ValueError("numbers must hold at least one N.")
    return np.concatenate([_run(results, statistics, n)[quantity].values[-1] for n in numbers])


def summary(results) -> xr.Dataset:
    """Mean and standard error over realisations of the deviation and ε at the final time.

    The table behind Oriols et al.'s Fig. 1: for every N and both statistics, the mean over the
    R realisations of |x_cm − x_cl|(T) and of ε(T), and the standard error s/√R (NaN for R = 1).

    Parameters
    ----------
    results : dict
        :func:`centre_of_mass_error` outputs keyed ``(statistics, N)``, with the same N for
        ``"bosons"`` and ``"distinguishable"`` and the same times and force in each.

    Returns
    -------
    xarray.Dataset
        ``mean`` and ``standard_error`` on dims (N, statistics, quantity), N increasing,
        statistics ("bosons", "distinguishable"), quantity ("deviation", "relative_error");
        attrs ``force`` F and ``duration`` T.

    Raises
    ------
    ValueError
        For empty ``results``.
    KeyError
        If an N is run for one statistics only.

    Examples
    --------
    >>> end = [[0.0, 0.0], [0.1, 0.3]]  # two realisations, at t = 0 and T = 2
    >>> run = xr.Dataset(
    ...     {q: (("time", "realisation"), end) for q in _QUANTITIES},
    ...     coords={"time": [0.0, 2.0]},
    ...     attrs={"force": 1.0},
    ... )
    >>> table = summary({(s, 1): run for s in _STATISTICS}).sel(N=1, statistics="bosons")
    >>> table["mean"].values.round(6), table["standard_error"].values.round(6), table.attrs
    (array([0.2, 0.2]), array([0.1, 0.1]), {'force': 1.0, 'duration': 2.0})
    """
    if not results:
        raise ValueError("results is empty; pass the centre_of_mass_error outputs.")
    numbers = np.array(sorted({int(n) for _, n in results}))
    mean = np.full((numbers.size, len(_STATISTICS), len(_QUANTITIES)), np.nan)
    se = np.full_like(mean, np.nan)
    for i, n in enumerate(numbers):
        for j, s in enumerate(_STATISTICS):
            run = _run(results, s, n)
            for k, q in enumerate(_QUANTITIES):
                end = run[q].values[-1]
                mean[i, j, k] = end.mean()
                if end.size > 1:
                    se[i, j, k] = end.std(ddof=1) / math.sqrt(end.size)
    first = next(iter(results.values()))
    dims = ("N", "statistics", "quantity")
    return xr.Dataset(
        {"mean": (dims, mean), "standard_error": (dims, se)},
        coords={"N": numbers, "statistics": list(_STATISTICS), "quantity": list(_QUANTITIES)},
        attrs={"force": first.attrs["force"], "duration": float(first["time"].values[-1])},
    )
