"""Centre-of-mass (Oriols) coordinates and the three forces on the centre of mass, Eqs. (12)–(13),
(40)–(57) of paper 004 (X. Oriols et al., the centre-of-mass scheme it imports).

Oriols coordinates (Eqs. (12)–(13)): x_cm = (1/N) Σ_i x_i and
y_j = x_j − (√N x_cm + x_1)/(√N + 1), j = 2…N. The Jacobian rows satisfy Σ_i (∂_i x_cm)² = 1/N,
Σ_i ∂_i x_cm ∂_i y_j = 0 and Σ_i ∂_i y_j ∂_i y_k = δ_jk, so Σ_i ∂²_{x_i} = (1/N)∂²_{x_cm} +
Σ_j ∂²_{y_j} (the map x ↦ (√N x_cm, y) is orthogonal). The inverse is x_1 = x_cm − Y/√N,
x_j = x_cm + y_j − Y/(N + √N) (j ≥ 2), Y = Σ_j y_j; every x_i moves by the same amount when
x_cm does (∂x_i/∂x_cm = 1, as the paper uses below Eq. (32)).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from qfcore._checks import positive


def _configurations(x, name="x") -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError(
            f"{name} must have shape (..., N) with N >= 1 particle positions; got {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite positions.")
    return arr


def oriols_coordinates(x) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass and Oriols relative coordinates, Eqs. (12)–(13).

    x_cm = (1/N) Σ_i x_i,   y_j = x_j − (√N x_cm + x_1)/(√N + 1),  j = 2 … N.

    Parameters
    ----------
    x : array_like, shape (..., N)
        Particle positions, N ≥ 1.

    Returns
    -------
    x_cm : ndarray, shape (...)
    y : ndarray, shape (..., N − 1)
        y_2 … y_N (empty for N = 1).

    Raises
    ------
    ValueError
        If ``x`` has no particle axis or N < 1, or holds non-finite values.

    Notes
    -----
    The map x ↦ (√N x_cm, y) is orthogonal, so Σ_i ∂²_{x_i} = (1/N)∂²_{x_cm} + Σ_j ∂²_{y_j}
    and Σ_i x_i² = N x_cm² + Σ_j y_j² (module docstring); inverse :func:`from_oriols_coordinates`.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 4.0])
    >>> x_cm, y = oriols_coordinates(x)
    >>> round(float(x_cm), 6), y.shape
    (2.333333, (2,))
    >>> round(float(np.sum(x**2)), 9), round(float(3 * x_cm**2 + np.sum(y**2)), 9)  # orthogonal
    (21.0, 21.0)
    """
    arr = _configurations(x)
    n = arr.shape[-1]
    x_cm = arr.mean(axis=-1)
    root = math.sqrt(n)
    shift = (root * x_cm + arr[..., 0]) / (root + 1.0)
    return x_cm, arr[..., 1:] - shift[..., None]


def from_oriols_coordinates(x_cm, y) -> np.ndarray:
    """Inverse of :func:`oriols_coordinates`: x_1 = x_cm − Y/√N, x_j = x_cm + y_j − Y/(N + √N).

    Parameters
    ----------
    x_cm : array_like, shape (...)
    y : array_like, shape (..., N − 1)
        y_2 … y_N; N − 1 ≥ 0.

    Returns
    -------
    ndarray, shape (..., N)

    Raises
    ------
    ValueError
        If the shapes do not match or values are not finite.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(4, 5))  # 4 configurations of 5 particles
    >>> back = from_oriols_coordinates(*oriols_coordinates(x))
    >>> back.shape, bool(np.allclose(back, x, rtol=0, atol=1e-12))
    ((4, 5), True)
    """
    c = np.asarray(x_cm, dtype=float)
    yy = np.asarray(y, dtype=float)
    if yy.ndim < 1 or yy.shape[:-1] != c.shape:
        raise ValueError(
            f"y must have shape x_cm.shape + (N - 1,) = {c.shape} + (N - 1,); got {yy.shape}."
        )
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(yy))):
        raise ValueError("x_cm and y must be finite.")
    n = yy.shape[-1] + 1
    root = math.sqrt(n)
    total = yy.sum(axis=-1)
    first = c - total / root
    rest = c[..., None] + yy - (total / (n + root))[..., None]
    return np.concatenate([first[..., None], rest], axis=-1)


def _external_force_sum(external_force, arr: np.ndarray) -> np.ndarray:
    """F_U = Σ_i F_ext(x_i) (Eq. (48)) for configurations ``arr`` (..., N); 0 for None."""
    if external_force is None:
        return np.zeros(arr.shape[:-1])
    if not callable(external_force):
        raise TypeError("external_force must be None or a callable F_ext(x).")
    f = np.asarray(external_force(arr), dtype=float)
    if f.shape != arr.shape:
        raise ValueError(f"external_force must return the shape of its input {arr.shape}.")
    return f.sum(axis=-1)


def centre_of_mass_forces(
    amplitude: Callable,
    x,
    *,
    step: float,
    external_force: Callable | None = None,
    mass: float = 1.0,
    hbar: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three forces of Eq. (47), M ẍ_cm = F_U + F_cm + F_rel, at configurations x.

    F_U = Σ_i F_ext(x_i) (Eq. (48)); F_cm = −∂_{x_cm} Q_cm with Q_cm = −(ħ²/2M) ∂²_{x_cm}R/R
    (Eqs. (40), (55)); F_rel = −∂_{x_cm} Σ_j Q_j (Eqs. (41), (56)), with M = Nm and R = |Ψ|.
    For a Gaussian of width σ_cm, Q_cm = (ħ²/4Mσ_cm²)[1 − (x − x̄)²/(2σ_cm²)] and
    F_cm ≈ ħ²√N/(4mσ³): the paper's Eqs. (54)–(55) print ħ for ħ², 2M for 4M and drop the 2 in
    the bracket (an erratum for notebook 04).
    As ∂x_i/∂x_cm = 1 at fixed y, ∂_{x_cm} is the derivative along (1, …, 1); as the Laplacian
    splits (Eqs. (12)–(13)), Σ_j Q_j = Q − Q_cm with Q = −(ħ²/2m) Σ_i ∂²_{x_i}R/R. All
    derivatives are central finite differences of ``amplitude`` with spacing ``step``:
    g(s) = R(x + s·1) on 5 points for Q_cm (error O(step²)), and the N second differences of
    Q at x ± step·1 for F_rel (error O(step²)); round-off grows as ε/step³, so choose step ~
    1e-3 of the smallest length on which R varies.

    Parameters
    ----------
    amplitude : callable
        ``amplitude(X)`` with X of shape (..., N) → R(X) = |Ψ(X)| of shape (...) (any
        normalisation; e.g. |perm| of the orbitals).
    x : array_like, shape (..., N)
        Configurations.
    step : float
        Finite-difference spacing (length), > 0.
    external_force : callable, optional
        F_ext(x) = −U_ext'(x) per particle, elementwise; None for U_ext = 0.
    mass, hbar : float
        Particle mass m > 0 (M = Nm) and ħ > 0.

    Returns
    -------
    F_U, F_cm, F_rel : ndarray, shape (...)

    Raises
    ------
    ValueError
        If x is not (..., N) with N ≥ 1 and finite, parameters are out of range, or
        ``amplitude`` returns the wrong shape or vanishes at a stencil point.
    TypeError
        If ``amplitude`` or ``external_force`` is not callable.
    """
    if not callable(amplitude):
        raise TypeError("amplitude must be a callable R(X) of configurations X (..., N).")
    arr = _configurations(x)
    f_u = _external_force_sum(external_force, arr)
    h = positive(step, "step")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    n = arr.shape[-1]
    big_m = n * mass
    eye = np.eye(n)
    ones = np.ones(n)
    # stencil points: 5 along the cm direction, and for s = +-h the 2N axis neighbours
    pts = [arr + k * h * ones for k in (-2, -1, 0, 1, 2)]
    for sgn in (-1.0, 1.0):
        base = arr + sgn * h * ones
        pts += [base + h * eye[i] for i in range(n)] + [base - h * eye[i] for i in range(n)]
    stack = np.stack(pts, axis=-2)
    vals = np.asarray(amplitude(stack), dtype=float)
    if vals.shape != stack.shape[:-1]:
        raise ValueError(
            f"amplitude must map configurations of shape (..., N) to shape (...); got "
            f"{vals.shape} for input {stack.shape}."
        )
    if np.any(vals == 0) or not np.all(np.isfinite(vals)):
        raise ValueError("amplitude vanishes or is not finite at a stencil point; move x or step.")
    gm2, gm1, g0, gp1, gp2 = (vals[..., k] for k in range(5))
    d1 = (gp1 - gm1) / (2 * h)
    d2 = (gp1 - 2 * g0 + gm1) / h**2
    d3 = (gp2 - 2 * gp1 + 2 * gm1 - gm2) / (2 * h**3)
    f_cm = hbar**2 / (2 * big_m) * (d3 / g0 - d2 * d1 / g0**2)

    def q_total(offset, centre, centre_val):
        plus = vals[..., offset : offset + n]
        minus = vals[..., offset + n : offset + 2 * n]
        lap = (plus + minus - 2 * centre_val[..., None]).sum(axis=-1) / h**2
        return -(hbar**2) / (2 * mass) * lap / centre_val

    q_minus = q_total(5, None, gm1)
    q_plus = q_total(5 + 2 * n, None, gp1)
    f_rel = -(q_plus - q_minus) / (2 * h) - f_cm
    return f_u, f_cm, f_rel


def product_state_forces(
    x,
    log_amplitude_derivatives,
    *,
    external_force: Callable | None = None,
    mass: float = 1.0,
    hbar: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forces of Eq. (47) in closed form for a product amplitude R = Π_i R_i(x_i).

    With a_i, b_i, c_i the first three derivatives of ln R_i at x_i and A = Σa_i, B = Σb_i,
    C = Σc_i: ∂_{x_cm} moves every x_i by the same amount, so ∂_{x_cm} ln R = A and
    Q_cm = −(ħ²/2M)(B + A²), F_cm = −∂_{x_cm}Q_cm = (ħ²/2M)(C + 2AB) (M = Nm); the total
    quantum potential Q = Σ_i Q_i with Q_i = −(ħ²/2m)(b_i + a_i²), so
    F_rel = −∂_{x_cm}(Q − Q_cm) = (ħ²/2m) Σ_i (c_i + 2a_ib_i) − F_cm (Eqs. (40)–(41), (47)).
    For Gaussian orbitals of one width (b_i constant, c_i = 0), F_rel = 0 identically; for any
    other orbital it fluctuates from configuration to configuration (T4.3). This is the exact
    counterpart of the finite-difference :func:`centre_of_mass_forces` (the tests compare them).

    Parameters
    ----------
    x : array_like, shape (..., N)
        Configurations (length).
    log_amplitude_derivatives : array_like, shape (3, ..., N)
        (ln R_i)', (ln R_i)'', (ln R_i)''' at x_i (1/length, 1/length², 1/length³).
    external_force : callable, optional
        F_ext(x) = −U_ext'(x) per particle, elementwise; None for U_ext = 0.
    mass, hbar : float
        Particle mass m > 0 (M = Nm) and ħ > 0.

    Returns
    -------
    F_U, F_cm, F_rel : ndarray, shape (...)
        Forces (energy/length): F_U = Σ_i F_ext(x_i) (Eq. (48)).

    Raises
    ------
    ValueError
        If the shapes do not match, values are not finite, or ``mass``/``hbar`` ≤ 0.
    TypeError
        If ``external_force`` is not callable.

    Notes
    -----
    Source: paper 004 Eqs. (40)–(57); X. Oriols, D. Tena and A. Benseny, arXiv:1602.03988 (2016).
    """
    arr = _configurations(x)
    d = np.asarray(log_amplitude_derivatives, dtype=float)
    if d.shape != (3, *arr.shape):
        raise ValueError(
            "log_amplitude_derivatives must have shape (3, *x.shape) = "
            f"{(3, *arr.shape)} (first, second, third derivative of ln R_i); got {d.shape}."
        )
    if not np.all(np.isfinite(d)):
        raise ValueError("log_amplitude_derivatives holds non-finite values.")
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    a, b, c = d
    big_a, big_b, big_c = a.sum(-1), b.sum(-1), c.sum(-1)
    big_m = arr.shape[-1] * mass
    f_cm = hbar**2 / (2 * big_m) * (big_c + 2 * big_a * big_b)
    f_rel = hbar**2 / (2 * mass) * (c + 2 * a * b).sum(-1) - f_cm
    f_u = _external_force_sum(external_force, arr)
    return f_u, f_cm, f_rel
