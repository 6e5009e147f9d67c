"""Do two trajectories cross? Sign changes of their gap and the times at which it vanishes.

Paper 004, Section 4, contrasts the trajectories of one particle in a superposition (its
de Broglie–Bohm paths never cross: the velocity field is single valued) with those of two
large-N centres of mass (which can). For two paths x₁(t), x₂(t) sampled at common times, a
crossing is a sign change of the gap x₂ − x₁; its time is located by linear interpolation
between the two samples that bracket it (error O(Δt²·|gap″|/|gap′|)).
"""

from __future__ import annotations

import numpy as np

from qfcore import _checks

__all__ = ["count_crossings", "crossing_times"]


def _gap(paths) -> np.ndarray:
    p = np.asarray(paths, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 2:
        raise ValueError(f"paths must have shape (n_times >= 2, 2); got {p.shape}.")
    if not np.all(np.isfinite(p)):
        raise ValueError("paths must be finite.")
    return p[:, 1] - p[:, 0]


def count_crossings(paths) -> int:
    """Number of sign changes of x₂ − x₁ along two sampled trajectories.

    Parameters
    ----------
    paths : array_like, shape (n_times, 2)
        x₁(t), x₂(t) at common times (length).

    Returns
    -------
    int
        Number of crossings (a touch without a sign change is not counted).

    Raises
    ------
    ValueError
        For a bad shape or non-finite values.

    Examples
    --------
    >>> count_crossings([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    2
    """
    sign = np.sign(_gap(paths))
    sign = sign[sign != 0]
    return int(np.sum(sign[1:] != sign[:-1]))


def crossing_times(times, paths) -> np.ndarray:
    """Times at which x₂ − x₁ changes sign, by linear interpolation of the gap.

    Parameters
    ----------
    times : array_like, shape (n_times,)
        Increasing sample times.
    paths : array_like, shape (n_times, 2)
        x₁(t), x₂(t) (length).

    Returns
    -------
    ndarray, shape (n_crossings,)

    Raises
    ------
    ValueError
        For bad shapes, non-finite values or times that do not increase strictly.

    Examples
    --------
    >>> crossing_times([0.0, 1.0, 2.0], [[0.0, 1.0], [0.0, 0.5], [0.0, -0.5]])
    array([1.5])
    """
    gap = _gap(paths)
    t = _checks.times(times, start=None)
    if t.shape != gap.shape:
        raise ValueError(f"times must have shape {gap.shape} (one per path row); got {t.shape}.")
    nz = np.flatnonzero(gap != 0)  # a crossing: opposite signs at consecutive nonzero samples
    i, j = nz[:-1], nz[1:]
    flip = np.sign(gap[i]) != np.sign(gap[j])
    i, j = i[flip], j[flip]
    # adjacent samples: interpolate; zeros in between: the first sample where the gap is zero
    lin = t[i] - gap[i] * (t[j] - t[i]) / (gap[j] - gap[i])
    return np.where(j == i + 1, lin, t[np.minimum(i + 1, t.size - 1)])
