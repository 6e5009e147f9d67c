"""Least action with a free end point on a sphere: the classical example of paper 003, Section 3.1.

A free particle (Lagrangian L = |ẋ|²/2, unit mass) leaves x₁ at t₁ and must lie on a surface Ω
at t₂ = t₁ + Δt. With the end point y held fixed the Euler–Lagrange equation ẍ = 0 gives the
uniformly traversed straight line and the action S(y) = |y − x₁|²/(2Δt); minimising S(y) over
y ∈ Ω then selects the point of Ω nearest to x₁ (S. Donadi and S. Hossenfelder, Phys. Rev. A
106, 022212 (2022), Section 3.1). This module checks the statement without the two-step
argument: the path is cut into n straight segments of equal duration Δτ = Δt/n,

    S = Σ_j |x_{j+1} − x_j|² / (2Δτ),

and S is minimised jointly over the n − 1 interior points and the end point, parametrised by
its polar angles on a sphere (BFGS with the analytic gradient; J. Nocedal and S. J. Wright,
*Numerical Optimization*, 2nd ed., Springer 2006, Section 6.1). For a free particle the
discretisation is exact: the discrete Euler–Lagrange equations x_{j+1} − 2x_j + x_{j−1} = 0 are
solved by the straight line traversed uniformly, whose discrete action equals the continuum one.

Units: mass 1, lengths and times in any consistent units; the action in length²/time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

from qfcore._checks import count, positive, seeded

__all__ = ["LeastActionPath", "discrete_action", "least_action_to_sphere", "sphere_point"]

#: BFGS stopping threshold on the largest gradient component.
GTOL = 1e-10


class LeastActionPath(NamedTuple):
    """Result of :func:`least_action_to_sphere`."""

    #: Path nodes x_0 = x₁ … x_n = y, shape (n + 1, 3).
    path: np.ndarray
    #: End point y on the sphere, shape (3,).
    end: np.ndarray
    #: Discrete action at the minimum.
    action: float
    #: Error bound on the coordinates of the minimiser: 10 × max(gradient reached, GTOL) / the
    #: smallest eigenvalue of the Hessian there.
    tolerance: float


def _vector3(value, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=float)
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be a finite 3-vector; got shape {v.shape}.")
    return v


def sphere_point(centre, radius: float, angles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point of a sphere at polar angles (θ, φ) and its two tangent vectors ∂/∂θ, ∂/∂φ.

    Parameters
    ----------
    centre : array_like, shape (3,)
        Centre of the sphere.
    radius : float
        Radius > 0.
    angles : array_like, shape (2,)
        Polar angle θ (from +z) and azimuth φ, radians.

    Returns
    -------
    point, d_theta, d_phi : ndarray, shape (3,)
        centre + R n(θ, φ), R ∂n/∂θ and R ∂n/∂φ.

    Raises
    ------
    ValueError, TypeError
        For a centre that is not a finite 3-vector, a radius ≤ 0 or angles not of shape (2,).

    Examples
    --------
    >>> sphere_point([0, 0, 0], 2.0, [np.pi / 2, 0.0])[0].round(12)
    array([2., 0., 0.])
    """
    c = _vector3(centre, "centre")
    r = positive(radius, "radius")
    ang = np.asarray(angles, dtype=float)
    if ang.shape != (2,) or not np.all(np.isfinite(ang)):
        raise ValueError(f"angles must be finite (theta, phi); got shape {ang.shape}.")
    th, ph = ang
    n = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    d_th = np.array([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)])
    d_ph = np.array([-np.sin(th) * np.sin(ph), np.sin(th) * np.cos(ph), 0.0])
    return c + r * n, r * d_th, r * d_ph


def discrete_action(z, start, centre, radius: float, dtau: float) -> tuple[float, np.ndarray]:
    """Discretised free-particle action of a path ending on a sphere, and its gradient.

    Parameters
    ----------
    z : array_like, shape (3(n − 1) + 2,)
        The n − 1 interior nodes (flattened, row by row), then the end point's angles (θ, φ).
    start : array_like, shape (3,)
        Fixed start point x₁.
    centre, radius
        The sphere Ω (see :func:`sphere_point`).
    dtau : float
        Duration Δτ > 0 of each segment.

    Returns
    -------
    action : float
        S = Σ_j |x_{j+1} − x_j|²/(2Δτ).
    gradient : ndarray, shape like ``z``
        ∂S/∂z (interior nodes, then ∂S/∂θ and ∂S/∂φ through the tangent vectors).

    Raises
    ------
    ValueError, TypeError
        For a ``z`` whose length is not 3(n − 1) + 2 with n ≥ 1, or bad sphere or Δτ.

    Examples
    --------
    >>> s, g = discrete_action([np.pi / 2, np.pi], [0, 0, 0], [2, 0, 0], 1.0, 1.0)
    >>> round(s, 12)  # one segment to (1, 0, 0): |y - x1|^2 / (2 dtau)
    0.5
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z.size < 2 or (z.size - 2) % 3 or not np.all(np.isfinite(z)):
        raise ValueError(
            f"z must be a finite vector of 3(n-1) interior coordinates plus 2 angles; got shape "
            f"{z.shape}."
        )
    x1 = _vector3(start, "start")
    dtau = positive(dtau, "dtau")
    y, d_th, d_ph = sphere_point(centre, radius, z[-2:])
    pts = np.vstack([x1, z[:-2].reshape(-1, 3), y])
    vel = np.diff(pts, axis=0) / dtau
    grad_pts = np.zeros_like(pts)
    grad_pts[1:] += vel
    grad_pts[:-1] -= vel
    grad = np.concatenate([grad_pts[1:-1].ravel(), [grad_pts[-1] @ d_th, grad_pts[-1] @ d_ph]])
    return 0.5 * dtau * float(np.sum(vel**2)), grad


def least_action_to_sphere(
    start, centre, radius: float, n_path: int, duration: float, *, rng=None
) -> LeastActionPath:
    """Minimise the discretised action over paths from ``start`` to any point of a sphere.

    The minimisation starts from a random wiggly path (interior nodes on the chord to a random
    point of the sphere plus Gaussian noise of standard deviation 0.3) and runs BFGS with the
    analytic gradient to ``GTOL``. Its error is that of the optimiser: the largest gradient
    component reached (at least ``GTOL``) divided by the smallest curvature of S at the minimum
    (Hessian by central differences of the gradient, step 10⁻⁶); ``tolerance`` is 10 times that.

    Parameters
    ----------
    start : array_like, shape (3,)
        Start point x₁ (outside the sphere, so that the nearest point is unique).
    centre : array_like, shape (3,)
        Centre of the sphere Ω at the final time.
    radius : float
        Radius > 0.
    n_path : int
        Number of segments n ≥ 2.
    duration : float
        Δt = t₂ − t₁ > 0.
    rng : numpy.random.Generator, int or None
        Source of the random initial path: a Generator (used as is), a non-negative int seed,
        or None (fresh OS entropy, not reproducible; pass an int seed).

    Returns
    -------
    LeastActionPath
        (path, end, action, tolerance).

    Raises
    ------
    ValueError
        For a start point on or inside the sphere (the nearest point is then not unique or the
        problem is degenerate), n_path < 2, a radius or duration ≤ 0, a negative seed, or if
        BFGS fails.
    TypeError
        For a non-integer n_path, or an ``rng`` that is not a Generator, an int or None.

    Examples
    --------
    >>> res = least_action_to_sphere([0, 0, 0], [3, 0, 0], 1.0, 4, 1.0, rng=1)
    >>> res.end.round(6), round(res.action, 9)  # nearest point (2, 0, 0); S = 2^2 / 2
    (array([2., 0., 0.]), 2.0)
    """
    x1 = _vector3(start, "start")
    c = _vector3(centre, "centre")
    r = positive(radius, "radius")
    n = count(n_path, "n_path", 2, " (at least one interior node)")
    dtau = positive(duration, "duration") / n
    if np.linalg.norm(x1 - c) <= r:
        raise ValueError(
            "start must lie outside the sphere (|start - centre| > radius); move it or shrink "
            "the radius."
        )
    gen = seeded(rng)[0]
    ang0 = np.array([gen.uniform(0.3, 2.8), gen.uniform(-np.pi, np.pi)])
    s = np.linspace(0.0, 1.0, n + 1)[1:-1, None]
    chord = x1 + s * (sphere_point(c, r, ang0)[0] - x1)
    inner0 = chord + 0.3 * gen.normal(size=(n - 1, 3))
    args = (x1, c, r, dtau)
    res = minimize(
        discrete_action,
        np.concatenate([inner0.ravel(), ang0]),
        args=args,
        jac=True,
        method="BFGS",
        options={"gtol": GTOL, "maxiter": 20_000},
    )
    if not np.isfinite(res.fun):
        raise ValueError(f"BFGS did not converge: {res.message}")
    step = 1e-6
    hess = np.array(
        [
            (
                discrete_action(res.x + step * e, *args)[1]
                - discrete_action(res.x - step * e, *args)[1]
            )
            / (2 * step)
            for e in np.eye(res.x.size)
        ]
    )
    curvature = np.linalg.eigvalsh(0.5 * (hess + hess.T)).min()
    if not curvature > 0:
        raise ValueError("the minimum found is not strict (Hessian not positive); rerun.")
    y = sphere_point(c, r, res.x[-2:])[0]
    path = np.vstack([x1, res.x[:-2].reshape(n - 1, 3), y])
    tol = 10 * max(float(np.abs(res.jac).max()), GTOL) / curvature
    return LeastActionPath(path, y, float(res.fun), float(tol))
