"""Small statistical tools behind the claims: fits with errors, goodness-of-fit, two-sample tests.

Every claim of a notebook states its error. These functions return the error together with the
estimate, in one convention for all notebooks:

- :func:`power_law_fit` — an exponent ``a`` of ``y ∝ n^a`` with its standard error, from a
  weighted log–log fit whose error is inflated when the points scatter more than their errors;
- :func:`rms_with_error` — a root mean square and its delta-method standard error;
- :func:`two_sample_z` — the z-score of the difference of two sample means;
- :func:`pearson_chi2` — Pearson's χ² of observed frequencies against probabilities;
- :func:`effect_z_score` — the z-score of a Monte Carlo effect and its prediction, refusing a
  sample too small to resolve the effect;
- :func:`ks_root_n`, :func:`ks_critical` — √n times the Kolmogorov–Smirnov distance and its
  asymptotic quantile (Kolmogorov's distribution), the test behind every "distributed as |ψ|²";
- :func:`grid_cdf` — the distribution function of a density sampled on a uniform grid;
- :func:`grid_mean_and_width` — mean and standard deviation of densities on a uniform grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.stats

from qfcore._checks import count, positive, seeded
from qfcore.grid import as_grid

__all__ = [
    "GridCDF",
    "GridMoments",
    "PowerLaw",
    "effect_z_score",
    "grid_cdf",
    "grid_mean_and_width",
    "ks_critical",
    "ks_root_n",
    "pearson_chi2",
    "power_law_fit",
    "rms_with_error",
    "two_sample_z",
]


class PowerLaw(NamedTuple):
    """Result of :func:`power_law_fit`: ``values ≈ exp(intercept) · n**exponent``."""

    exponent: float
    standard_error: float
    intercept: float
    reduced_chi2: float


def _sample(a, name: str, minimum: int) -> np.ndarray:
    arr = np.asarray(a, dtype=float).ravel()
    count(arr.size, f"{name}.size", minimum, " to estimate a standard error")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; drop or fix the non-finite entries.")
    return arr


def power_law_fit(n, values, errors) -> PowerLaw:
    """Fit ``values ∝ n**a`` by weighted least squares in log–log coordinates.

    The weight of point i is ``values[i] / errors[i]``, the inverse standard error of
    ``log values[i]`` to first order. The exponent's standard error is the formal one, inflated
    by ``sqrt(chi2/dof)`` when the points scatter more than their errors say (never deflated).

    Parameters
    ----------
    n : array_like, shape (k,)
        Positive abscissae (ensemble sizes, particle numbers), k ≥ 3.
    values : array_like, shape (k,)
        Positive measured values.
    errors : array_like, shape (k,)
        Positive standard errors of ``values``.

    Returns
    -------
    PowerLaw
        ``(exponent, standard_error, intercept, reduced_chi2)``; ``reduced_chi2`` is
        chi²/(k − 2).

    Raises
    ------
    ValueError
        If the shapes differ, fewer than 3 points are given (no degree of freedom left for the
        error), or any input is not finite and > 0.

    Notes
    -----
    The weighted linear fit and its covariance are :func:`numpy.polyfit` with
    ``cov="unscaled"``; the inflation is the usual Birge-ratio rule (Birge, Phys. Rev. 40, 207
    (1932)).

    Examples
    --------
    >>> n = np.array([1.0, 2.0, 4.0, 8.0])
    >>> fit = power_law_fit(n, 3 * n**-0.5, 0.01 * n**-0.5)
    >>> round(fit.exponent, 6)
    -0.5
    """
    arrays = [np.asarray(a, dtype=float) for a in (n, values, errors)]
    names = ("n", "values", "errors")
    if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
        raise ValueError("n, values and errors must be 1-d arrays of the same length.")
    count(arrays[0].size, "len(n)", 3, " to estimate the exponent's error")
    for a, name in zip(arrays, names, strict=True):
        if not np.all(np.isfinite(a) & (a > 0)):
            raise ValueError(f"{name} must be finite and > 0 everywhere (a log-log fit).")
    x, y, w = np.log(arrays[0]), np.log(arrays[1]), arrays[1] / arrays[2]
    coef, cov = np.polyfit(x, y, 1, w=w, cov="unscaled")
    chi2 = float(np.sum(((y - np.polyval(coef, x)) * w) ** 2)) / (x.size - 2)
    se = math.sqrt(cov[0, 0] * max(1.0, chi2))
    return PowerLaw(float(coef[0]), se, float(coef[1]), chi2)


def rms_with_error(a) -> tuple[float, float]:
    """Root mean square of a sample and its standard error (delta method).

    Parameters
    ----------
    a : array_like
        The sample (any shape, flattened), at least 2 entries.

    Returns
    -------
    rms, standard_error : float
        ``sqrt(mean(a²))`` and ``std(a²) / (2 rms sqrt(n))``; ``(0.0, 0.0)`` for an all-zero
        sample.

    Raises
    ------
    ValueError
        For fewer than 2 entries or non-finite entries.

    Examples
    --------
    >>> rms, se = rms_with_error(np.random.default_rng(1).normal(size=100_000))
    >>> abs(rms - 1) < 5 * se
    True
    """
    sq = _sample(a, "a", 2) ** 2
    ms = float(sq.mean())
    if ms == 0:
        return 0.0, 0.0
    rms = math.sqrt(ms)
    return rms, float(sq.std(ddof=1) / math.sqrt(sq.size) / (2 * rms))


def two_sample_z(a, b) -> float:
    """z-score of ``mean(a) − mean(b)`` for two independent samples (Welch's standard error).

    Parameters
    ----------
    a, b : array_like
        The two samples (flattened), each with at least 2 entries.

    Returns
    -------
    float
        ``(mean(a) − mean(b)) / sqrt(var(a)/n_a + var(b)/n_b)``, sample variances with ddof 1.

    Raises
    ------
    ValueError
        For fewer than 2 entries in a sample, non-finite entries, or two constant samples (no
        standard error).

    Examples
    --------
    >>> round(two_sample_z([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), 12)
    0.0
    """
    x, y = _sample(a, "a", 2), _sample(b, "b", 2)
    se = math.hypot(x.std(ddof=1) / math.sqrt(x.size), y.std(ddof=1) / math.sqrt(y.size))
    if se == 0:
        raise ValueError("a and b are both constant: the difference has no standard error.")
    return float((x.mean() - y.mean()) / se)


def pearson_chi2(freq, prob, n: int) -> tuple[float, int]:
    """Pearson's χ² of observed outcome frequencies against their probabilities.

    χ² = n Σ_k (f_k − p_k)²/p_k over the outcomes with p_k > 0 (an outcome of probability zero
    carries no degree of freedom); under the hypothesis it is asymptotically χ²-distributed with
    (number of such outcomes − 1) degrees of freedom, mean dof and standard deviation √(2 dof).

    Parameters
    ----------
    freq : array_like, shape (k,)
        Observed relative frequencies (counts / n).
    prob : array_like, shape (k,)
        Probabilities of the outcomes, ≥ 0, at least two of them > 0.
    n : int
        Number of trials, ≥ 1.

    Returns
    -------
    chi2 : float
    dof : int

    Raises
    ------
    ValueError
        If the shapes differ, a probability is negative or not finite, fewer than two outcomes
        have p > 0, or n < 1.

    Notes
    -----
    K. Pearson, Philos. Mag. 50, 157 (1900).

    Examples
    --------
    >>> chi2, dof = pearson_chi2(np.array([0.26, 0.74]), np.array([0.25, 0.75]), 10_000)
    >>> round(chi2, 9), dof
    (5.333333333, 1)
    """
    f, p = np.asarray(freq, dtype=float), np.asarray(prob, dtype=float)
    n = count(n, "n", 1, " (the number of trials)")
    if f.shape != p.shape or p.ndim != 1:
        raise ValueError(f"freq and prob must be 1-d of one shape; got {f.shape}, {p.shape}.")
    if not np.all(np.isfinite(p) & (p >= 0)):
        raise ValueError("prob must be finite and >= 0 (probabilities).")
    keep = p > 0
    count(int(keep.sum()), "number of outcomes with prob > 0", 2, " for a degree of freedom")
    return float(n * np.sum((f[keep] - p[keep]) ** 2 / p[keep])), int(keep.sum() - 1)


def effect_z_score(
    mean: float, se: float, exact: float, null: float, *, resolved=5.0, margin=3.0
) -> tuple[float, float]:
    """z-score of a Monte Carlo estimate against the value without the effect, and its prediction.

    The measured z = |mean − null|/se scatters by about 1 around the predicted
    |exact − null|/se, so a claim accepts it within ``margin``. That proves the effect only if
    the prediction exceeds ``resolved + margin``: then a pass means z > ``resolved``. A sample
    too small for that is refused before anything is recorded.

    Parameters
    ----------
    mean : float
        Monte Carlo estimate of the effect.
    se : float
        Its standard error, > 0.
    exact : float
        The exact value of the effect.
    null : float
        The value without the effect (e.g. 0 for "no signal").
    resolved : float
        The z that a pass must guarantee (default 5).
    margin : float
        Accepted |z − predicted z| (default 3).

    Returns
    -------
    z, z_predicted : float

    Raises
    ------
    ValueError
        If se, resolved or margin is not > 0, or the predicted z is below ``resolved + margin``
        (increase the number of samples).

    Examples
    --------
    >>> z, z_pred = effect_z_score(0.52, 0.01, 0.5, 0.4)
    >>> round(z, 9), round(z_pred, 9)
    (12.0, 10.0)
    """
    se, resolved, margin = (
        positive(se, "se"),
        positive(resolved, "resolved"),
        positive(margin, "margin"),
    )
    z_pred = abs(exact - null) / se
    if z_pred < resolved + margin:
        raise ValueError(
            f"predicted z = {z_pred:.1f} < resolved + margin = {resolved + margin:g}: the sample "
            "cannot resolve the effect; increase the number of samples."
        )
    return float(abs(mean - null) / se), float(z_pred)


def ks_root_n(samples, cdf) -> float:
    """√n times the Kolmogorov–Smirnov distance between a sample and a distribution function.

    Under the hypothesis that the n samples are drawn from ``cdf`` this is asymptotically
    Kolmogorov-distributed, independently of n; compare with :func:`ks_critical`.

    Parameters
    ----------
    samples : array_like
        The sample (flattened), at least 2 entries.
    cdf : callable
        Vectorised distribution function, e.g. ``scipy.stats.norm(0, 1).cdf`` or a
        :class:`GridCDF`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For fewer than 2 samples or non-finite samples.

    Examples
    --------
    >>> x = np.random.default_rng(2).normal(size=10_000)
    >>> ks_root_n(x, scipy.stats.norm().cdf) < ks_critical(1e-3)
    True
    """
    x = _sample(samples, "samples", 2)
    return math.sqrt(x.size) * float(scipy.stats.kstest(x, cdf).statistic)


def ks_critical(p_value: float) -> float:
    """Quantile of Kolmogorov's distribution: P(√n·D > ks_critical(p)) → p for large n.

    Parameters
    ----------
    p_value : float
        False-alarm probability in (0, 1), e.g. ``1e-3``.

    Returns
    -------
    float
        ``scipy.stats.kstwobign.isf(p_value)`` (1.9495 for 10⁻³).

    Raises
    ------
    ValueError
        Unless 0 < p_value < 1.

    Examples
    --------
    >>> round(ks_critical(1e-3), 4)
    1.9495
    """
    if not 0 < p_value < 1:
        raise ValueError(f"p_value must lie in (0, 1); got {p_value!r}.")
    return float(scipy.stats.kstwobign.isf(p_value))


@dataclass(frozen=True)
class GridCDF:
    """Distribution function of a density on a uniform grid (see :func:`grid_cdf`).

    Attributes
    ----------
    x : ndarray, shape (n,)
        The grid.
    values : ndarray, shape (n,)
        F at the grid nodes, from 0 to 1.

    Calling it evaluates F by linear interpolation (0 left of the grid, 1 right of it).
    """

    x: np.ndarray
    values: np.ndarray

    def __call__(self, q):
        return np.interp(q, self.x, self.values, left=0.0, right=1.0)

    def inverse(self, u):
        """Quantile function: positions with F = u, for inverse-transform sampling."""
        return np.interp(u, self.values, self.x)

    def sample(self, n: int, rng) -> np.ndarray:
        """n independent draws by inverse-transform sampling, ``inverse(rng.random(n))``.

        ``rng`` is a :class:`numpy.random.Generator` or an int seed; ValueError for n < 1.
        """
        gen, _ = seeded(rng)
        return self.inverse(gen.random(count(n, "n", 1)))


def grid_cdf(x, rho) -> GridCDF:
    """Normalised distribution function of a density sampled on a uniform grid.

    F(x_k) is the trapezoid integral of max(ρ, 0) from the first node to x_k, divided by the
    total, so that F runs from 0 to 1; negative values (round-off of a numerical density) are
    clipped.

    Parameters
    ----------
    x : array_like, shape (n,)
        Uniform grid, increasing.
    rho : array_like, shape (n,)
        Density at the grid nodes (any normalisation).

    Returns
    -------
    GridCDF
        Callable ``F(q)``; ``F.inverse(u)`` samples by inversion.

    Raises
    ------
    ValueError
        If the grid is not uniform and increasing, the shapes differ, or ρ holds no positive
        mass.

    Examples
    --------
    >>> x = np.linspace(-10, 10, 2001)
    >>> F = grid_cdf(x, np.exp(-(x**2) / 2))
    >>> round(float(F(0.0)), 6)
    0.5
    """
    (xg,) = as_grid(x, name="x")
    r = np.clip(np.asarray(rho, dtype=float), 0, None)
    if r.shape != xg.shape:
        raise ValueError(f"rho must have shape {xg.shape}; got {r.shape}.")
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * np.diff(xg))])
    if not cum[-1] > 0:
        raise ValueError("rho holds no positive mass.")
    return GridCDF(xg, cum / cum[-1])


class GridMoments(NamedTuple):
    """Result of :func:`grid_mean_and_width`, each of shape ``rho.shape[:-1]``."""

    mean: np.ndarray
    width: np.ndarray


def grid_mean_and_width(x, rho) -> GridMoments:
    """Mean and standard deviation of densities sampled on a uniform grid (last axis).

    Riemann sums over the nodes, Σ x ρ / Σ ρ (spectrally accurate for smooth densities that
    vanish at the grid's ends), for every leading index at once, e.g. all frames of |ψ(x, t)|².

    Parameters
    ----------
    x : array_like, shape (n,)
        Uniform grid, increasing.
    rho : array_like, shape (..., n)
        Non-negative densities (any normalisation).

    Returns
    -------
    GridMoments
        ``mean`` and ``width`` (standard deviation), shape ``rho.shape[:-1]``.

    Raises
    ------
    ValueError
        If the grid is not uniform, the last axis does not match it, or a density is negative
        somewhere or holds no mass.

    Examples
    --------
    >>> x = np.linspace(-20, 20, 2001)
    >>> m = grid_mean_and_width(x, np.exp(-((x - 1) ** 2) / 8))
    >>> round(float(m.mean), 6), round(float(m.width), 6)
    (1.0, 2.0)
    """
    (xg,) = as_grid(x, name="x")
    r = np.asarray(rho, dtype=float)
    if r.shape[-1:] != xg.shape:
        raise ValueError(f"rho's last axis must have length {xg.size}; got shape {r.shape}.")
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("rho must be finite and >= 0 (a density).")
    total = r.sum(-1)
    if np.any(total <= 0):
        raise ValueError("every density in rho must hold positive mass.")
    mean = (r * xg).sum(-1) / total
    var = (r * (xg - mean[..., None]) ** 2).sum(-1) / total
    return GridMoments(mean, np.sqrt(var))
