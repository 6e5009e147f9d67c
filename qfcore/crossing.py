"""Do two trajectories cross? Sign changes of their gap and the times at which it vanishes.

Paper 004, Section 4, contrasts the trajectories of one particle in a superposition (its
de Broglie–Bohm paths never cross: the velocity field is single valued) with those of two
large-N centres of mass (which can). For two paths x₁(t), x₂(t) sampled at common times, a
crossing is a sign change of the gap x₂ − x₁; its time is located by linear interpolation
between the two samples that bracket it (error O(Δt²·|gap″|/|gap′|)).
:func:`gaussian_orbitals` gives the free Gaussian orbitals of a two- (or N-) particle crossing
test, in the layout of :func:`qfcore.trajectories.bohm_many_body`.
"""

from __future__ import annotations

import numpy as np

from qfcore import _checks, states

__all__ = ["count_crossings", "crossing_times", "gaussian_orbitals"]


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


def gaussian_orbitals(centres, width: float, momenta):
    """Free Gaussian orbitals φ_j(x, t) = g(x, t; x_j, σ, p_j), one per particle.

    Parameters
    ----------
    centres, momenta : array_like, (N,)
        Initial centres x_j (length) and momenta p_j (ħ = m = 1) of the N orbitals.
    width : float
        σ > 0 of every |φ_j(x, 0)|² (length).

    Returns
    -------
    callable
        ``orbitals(x, t)`` with x of shape (R, N) → ``(phi, dphi)``, complex (R, N, N),
        ``phi[r, i, j]`` = φ_j(x_i, t) (exact free evolution,
        :func:`qfcore.states.evolved_gaussian`), the layout of
        :func:`qfcore.trajectories.bohm_many_body`.

    Raises
    ------
    ValueError
        If ``centres`` and ``momenta`` are not 1-D of the same length, or σ is not positive.

    Examples
    --------
    >>> phi, dphi = gaussian_orbitals([-5.0, 5.0], 1.0, [2.0, -2.0])(np.array([[-5.0, 5.0]]), 0.0)
    >>> phi.shape, bool(np.isclose(abs(phi[0, 0, 0]), abs(phi[0, 1, 1])))
    ((1, 2, 2), True)
    """
    x0 = np.asarray(centres, dtype=float)
    p0 = np.asarray(momenta, dtype=float)
    if x0.ndim != 1 or x0.shape != p0.shape:
        raise ValueError(
            f"centres and momenta must be 1-D of the same length (one per orbital); got shapes "
            f"{x0.shape} and {p0.shape}."
        )
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"width must be a positive length; got {width!r}.")
    return lambda x, t: states.evolved_gaussian(x[:, :, None], t, x0, width, p0)
