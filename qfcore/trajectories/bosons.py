"""Bohmian velocities of N bosons from permanents and their row derivatives (Glynn's formula),
and many-body Bohmian trajectories in given orbitals (paper 004 Sec. 2, after Oriols et al.).

Bosons. For N identical bosons in orbitals φ_j, Ψ(x_1…x_N) = perm A, A_ij = φ_j(x_i). Permanents
are linear in each row, so ∂_{x_i}Ψ = perm of A with row i replaced by B_i, B_ij = φ_j'(x_i)
(= Σ_j B_ij perm(minor_ij)). Glynn's formula (D. G. Glynn, Eur. J. Combin. 31, 1887 (2010))

    perm A = 2^{1−N} Σ_{δ∈{±1}^N, δ_1=1} (Π_k δ_k) Π_i r_i(δ),   r_i(δ) = Σ_j δ_j A_ij,

is multilinear in the rows as well, so replacing row i by B_i gives, term by term,

    ∂_{x_i}Ψ = 2^{1−N} Σ_δ (Π_k δ_k) s_i(δ) Π_{k≠i} r_k(δ),       s_i(δ) = Σ_j δ_j B_ij.

Enumerating δ in Gray-code order (A. Nijenhuis, H. S. Wilf, *Combinatorial Algorithms*, 2nd ed.
1978, ch. 23) flips one δ_j per term, so r and s are updated in O(N); the N products
Π_{k≠i} r_k come from prefix and suffix products in O(N) (no division, so zeros of r are
harmless). One pass of 2^{N−1} terms gives perm A and all N row derivatives: O(2^N N) work per
configuration, against (N + 1) separate permanents for the naive route. The Bohmian velocity is
v_i = (ħ/m) Im(∂_{x_i}Ψ/Ψ).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from qfcore import _checks
from qfcore._checks import positive

#: Gray-code terms per lane and work unit of the permanent kernel, and lanes per work unit (SIMD
#: width and more; fixed, so results do not depend on the number of threads).
_PERM_CHUNK_BITS = 12
_PERM_LANES = 32


@numba.njit(cache=True, fastmath={"contract"})
def _glynn_lanes(ar, ai, br, bi, k_first, chunk, lanes, active, out):
    """One work unit of :func:`_glynn_rows`: ``lanes`` Gray-code runs of ``chunk`` terms each.

    Lane l runs the terms k_first + l·chunk … k_first + (l + 1)·chunk − 1; lanes ≥ ``active``
    carry weight 0 (for N so small that 2^(N−1) < lanes). All lanes flip the same column at the
    same step, so the state (row sums r_i, s_i and the prefix products, real and imaginary parts
    apart) is laid out (N, lanes) and every inner loop runs over lanes: independent operations
    that the compiler turns into SIMD instructions (a runtime trip count, so LLVM's loop
    vectoriser versions the loops instead of unrolling them). ``ar[c, i]`` = Re A[i, c] (columns
    contiguous), likewise ``ai``, ``br``, ``bi``. Writes the partial sums into ``out`` (N + 1):
    [0] the permanent's, [1 + i] row derivative i's, both before the factor 2^(1−N).
    """
    n = ar.shape[0]
    rr, ri = np.zeros((n, lanes)), np.zeros((n, lanes))
    sr, si = np.zeros((n, lanes)), np.zeros((n, lanes))
    delta = np.ones((n, lanes))
    sign = np.ones(lanes)
    for lane in range(lanes):
        if lane >= active:
            sign[lane] = 0.0
        k0 = k_first + lane * chunk
        g = k0 ^ (k0 >> 1)
        for jb in range(n - 1):
            if (g >> jb) & 1:
                delta[jb + 1, lane] = -1.0
                sign[lane] = -sign[lane]
    for c in range(n):
        for i in range(n):
            for lane in range(lanes):
                d = delta[c, lane]
                rr[i, lane] += d * ar[c, i]
                ri[i, lane] += d * ai[c, i]
                sr[i, lane] += d * br[c, i]
                si[i, lane] += d * bi[c, i]
    pr, pi = np.empty((n + 1, lanes)), np.empty((n + 1, lanes))
    ur, ui = np.empty(lanes), np.empty(lanes)
    acc_r, acc_i = np.zeros((n + 1, lanes)), np.zeros((n + 1, lanes))
    twice = np.empty(lanes)
    for m in range(chunk):
        # prefix products sign·r_0 ⋯ r_{i-1}; the permanent's term is the last one
        pr[0, :] = sign
        pi[0, :] = 0.0
        for i in range(n):
            p_r, p_i, q_r, q_i, x_r, x_i = pr[i], pi[i], pr[i + 1], pi[i + 1], rr[i], ri[i]
            for lane in range(lanes):
                q_r[lane] = p_r[lane] * x_r[lane] - p_i[lane] * x_i[lane]
                q_i[lane] = p_r[lane] * x_i[lane] + p_i[lane] * x_r[lane]
        a_r, a_i, e_r, e_i = acc_r[0], acc_i[0], pr[n], pi[n]
        for lane in range(lanes):
            a_r[lane] += e_r[lane]
            a_i[lane] += e_i[lane]
            ur[lane] = 1.0
            ui[lane] = 0.0
        # row derivative i: s_i times the product of all r but r_i (prefix · suffix)
        for i in range(n - 1, -1, -1):
            p_r, p_i, s_r, s_i, x_r, x_i = pr[i], pi[i], sr[i], si[i], rr[i], ri[i]
            a_r, a_i = acc_r[i + 1], acc_i[i + 1]
            for lane in range(lanes):
                x = s_r[lane] * p_r[lane] - s_i[lane] * p_i[lane]
                y = s_r[lane] * p_i[lane] + s_i[lane] * p_r[lane]
                u_r, u_i = ur[lane], ui[lane]
                a_r[lane] += x * u_r - y * u_i
                a_i[lane] += x * u_i + y * u_r
                ur[lane] = u_r * x_r[lane] - u_i * x_i[lane]
                ui[lane] = u_r * x_i[lane] + u_i * x_r[lane]
        if m + 1 < chunk:
            # Gray code: the bit that flips between m and m+1 is the lowest set bit of m+1
            # (the same in every lane, since each lane starts at a multiple of chunk)
            kk, jb = m + 1, 0
            while (kk & 1) == 0:
                kk >>= 1
                jb += 1
            col = jb + 1
            dcol = delta[col]
            for lane in range(lanes):
                twice[lane] = 2.0 * dcol[lane]
                dcol[lane] = -dcol[lane]
                sign[lane] = -sign[lane]
            for i in range(n):
                c_ar, c_ai, c_br, c_bi = ar[col, i], ai[col, i], br[col, i], bi[col, i]
                x_r, x_i, s_r, s_i = rr[i], ri[i], sr[i], si[i]
                for lane in range(lanes):
                    x_r[lane] -= twice[lane] * c_ar
                    x_i[lane] -= twice[lane] * c_ai
                    s_r[lane] -= twice[lane] * c_br
                    s_i[lane] -= twice[lane] * c_bi
    for i in range(n + 1):
        t_r, t_i = 0.0, 0.0
        for lane in range(lanes):
            t_r += acc_r[i, lane]
            t_i += acc_i[i, lane]
        out[i] = t_r + 1j * t_i


@numba.njit(cache=True, parallel=True)
def _glynn_rows(a, b, chunk_bits, lanes):
    """Glynn sums of perm(A) and of the N row replacements A[i] -> B[i], per (batch, unit).

    Returns an array (batch, n_units, N + 1): [..., 0] the permanent's partial sum, [..., 1 + i]
    the partial sum of row derivative i (both before the factor 2^{1-N}). Work units of
    ``lanes`` × 2^chunk_bits Gray-code terms (:func:`_glynn_lanes`) run in parallel. ``lanes``
    must be a power of two, so that the units and lanes tile the 2^(N−1) terms in runs whose
    length is a power of two (the Gray-code step rule of :func:`_glynn_lanes` needs that).
    """
    if lanes < 1 or lanes & (lanes - 1):
        raise ValueError("lanes must be a power of two")
    n_batch, n = a.shape[0], a.shape[1]
    n_terms = 1 << (n - 1)
    active = min(lanes, n_terms)
    n_units = max(1, n_terms // (active << chunk_bits))
    chunk = n_terms // (active * n_units)
    ar, ai = np.empty((n_batch, n, n)), np.empty((n_batch, n, n))
    br, bi = np.empty((n_batch, n, n)), np.empty((n_batch, n, n))
    for q in range(n_batch):
        for i in range(n):
            for c in range(n):
                ar[q, c, i], ai[q, c, i] = a[q, i, c].real, a[q, i, c].imag
                br[q, c, i], bi[q, c, i] = b[q, i, c].real, b[q, i, c].imag
    acc = np.zeros((n_batch, n_units, n + 1), dtype=np.complex128)
    for task in numba.prange(n_batch * n_units):
        q, unit = task // n_units, task % n_units
        _glynn_lanes(ar[q], ai[q], br[q], bi[q], unit * active * chunk, chunk, lanes, active,
                     acc[q, unit])  # fmt: skip
    return acc


def _square_stack(arr, name, dtype=complex):
    x = np.asarray(arr)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} must have shape (..., N, N) with {name}[..., i, j] the orbital j at particle "
            f"i's position; got {x.shape}."
        )
    if x.shape[-1] < 1:
        raise ValueError(f"N must be >= 1 particles; {name} has shape {x.shape}.")
    if x.shape[-1] > 30:
        raise ValueError(f"N = {x.shape[-1]} is too large for 2^N terms; use N <= 30.")
    x = x.astype(dtype)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds non-finite values.")
    return x


def permanent_row_derivatives(matrix, row_replacements) -> tuple[np.ndarray, np.ndarray]:
    """perm A and perm(A with row i replaced by B_i) for every i, in one Glynn/Gray-code pass.

    Parameters
    ----------
    matrix : array_like, complex, shape (..., N, N)
        A; leading axes are a batch.
    row_replacements : array_like, complex, shape (..., N, N)
        B, same shape.

    Returns
    -------
    perm : ndarray, complex, shape (...)
    row_derivatives : ndarray, complex, shape (..., N)
        ``row_derivatives[..., i]`` = perm(A with row i → B_i) = Σ_j B_ij perm(minor_ij A).

    Raises
    ------
    ValueError
        If the arrays are not stacks of square matrices of equal shape, N < 1, N > 30, or they
        hold non-finite values.

    Notes
    -----
    O(2^N N) operations per matrix (module docstring). Glynn's formula, Eur. J. Combin. 31, 1887
    (2010), in Gray-code order (Nijenhuis & Wilf, 1978). Round-off: relative error ~ 1e-15 ·
    (Σ_δ |terms|)/|perm|, small for matrices without strong cancellation (e.g. positive or
    nearly positive entries), up to 1e-10 relative seen for random complex 12×12 matrices.

    Examples
    --------
    perm of the all-ones 3×3 matrix is 3! = 6; replacing row i by e_i leaves the 2×2 minor, 2:

    >>> perm, rows = permanent_row_derivatives(np.ones((3, 3)), np.eye(3))
    >>> round(float(perm.real), 9), np.round(rows.real, 9).tolist()
    (6.0, [2.0, 2.0, 2.0])
    """
    a = _square_stack(matrix, "matrix")
    b = _square_stack(row_replacements, "row_replacements")
    if a.shape != b.shape:
        raise ValueError(
            f"matrix and row_replacements must have the same shape; got {a.shape} and {b.shape}."
        )
    lead, n = a.shape[:-2], a.shape[-1]
    a2 = np.ascontiguousarray(a.reshape(-1, n, n))
    b2 = np.ascontiguousarray(b.reshape(-1, n, n))
    if a2.shape[0] == 0:
        return np.zeros(lead, dtype=complex), np.zeros((*lead, n), dtype=complex)
    acc = _glynn_rows(a2, b2, _PERM_CHUNK_BITS, _PERM_LANES).sum(axis=1) * 2.0 ** (1 - n)
    return acc[:, 0].reshape(lead), acc[:, 1:].reshape(*lead, n)


def boson_velocities(
    orbitals,
    orbital_derivatives,
    *,
    mass: float = 1.0,
    hbar: float = 1.0,
    statistics: str = "bosons",
) -> np.ndarray:
    """Bohmian velocities v_i = (ħ/m) Im(∂_{x_i}Ψ/Ψ) of N particles in orbitals φ_j.

    ``statistics="bosons"``: Ψ = perm[φ_j(x_i)] (unnormalised symmetrised product);
    ``"distinguishable"``: Ψ = Π_i φ_i(x_i) (particle i in orbital i), v_i = (ħ/m) Im(φ_i'/φ_i).

    Parameters
    ----------
    orbitals : array_like, complex, shape (..., N, N)
        ``orbitals[..., i, j]`` = φ_j(x_i); leading axes are a batch of configurations.
    orbital_derivatives : array_like, complex, shape (..., N, N)
        φ_j'(x_i) in the same layout (1/length times the orbitals' unit).
    mass, hbar : float
        m > 0, ħ > 0.
    statistics : {"bosons", "distinguishable"}

    Returns
    -------
    ndarray, float, shape (..., N)
        Velocities (length/time). NaN or ±inf where Ψ = 0 exactly (a node of the many-body
        wavefunction, where the guidance law is singular).

    Raises
    ------
    ValueError
        For shapes that are not (..., N, N) or differ, N < 1, N > 30, non-finite input, bad
        ``mass``/``hbar``, or an unknown ``statistics``.

    Notes
    -----
    Bosons: one Glynn/Gray-code pass per configuration gives Ψ and all ∂_{x_i}Ψ (module
    docstring), O(2^N N) work, parallel over configurations and Gray-code chunks. Source: the
    boson guidance law of paper 004 Sec. 2 (after Oriols et al.), Eqs. (5), (9).

    Examples
    --------
    Two particles in plane waves e^{ikx}, k = 1 and 3: distinguishable ones move with their
    own k, bosons (Ψ = 2 e^{i(k₁+k₂)(x₁+x₂)/2} cos((k₁−k₂)(x₁−x₂)/2)) both with the mean, 2:

    >>> x, k = np.array([0.3, 1.1]), np.array([1.0, 3.0])
    >>> phi = np.exp(1j * np.outer(x, k))  # phi[i, j] = φ_j(x_i)
    >>> np.round(boson_velocities(phi, 1j * k * phi), 9).tolist()
    [2.0, 2.0]
    >>> np.round(boson_velocities(phi, 1j * k * phi, statistics="distinguishable"), 9).tolist()
    [1.0, 3.0]
    """
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    if statistics == "distinguishable":
        return distinguishable_velocities(orbitals, orbital_derivatives, mass=mass, hbar=hbar)
    if statistics != "bosons":
        raise ValueError(f"statistics must be 'bosons' or 'distinguishable'; got {statistics!r}.")
    perm, rows = permanent_row_derivatives(orbitals, orbital_derivatives)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return hbar / mass * np.imag(rows / perm[..., None])


def distinguishable_velocities(
    orbitals, orbital_derivatives, *, mass: float = 1.0, hbar: float = 1.0
) -> np.ndarray:
    """Velocities (ħ/m) Im(φ_i'(x_i)/φ_i(x_i)) of the product state Ψ = Π_i φ_i(x_i).

    Parameters, returns and errors are those of :func:`boson_velocities` (only the diagonal
    ``orbitals[..., i, i]`` = φ_i(x_i) is used).
    """
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    a = _square_stack(orbitals, "orbitals")
    b = _square_stack(orbital_derivatives, "orbital_derivatives")
    if a.shape != b.shape:
        raise ValueError(
            f"orbitals and orbital_derivatives must have the same shape; got {a.shape} and "
            f"{b.shape}."
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (
            hbar
            / mass
            * np.imag(np.diagonal(b, axis1=-2, axis2=-1) / np.diagonal(a, axis1=-2, axis2=-1))
        )


# ----------------------------------------------------------------------------------------------
# many-body Bohmian trajectories in given orbitals


def bohm_many_body(
    orbitals: Callable,
    x0,
    times,
    *,
    statistics: str = "bosons",
    mass: float = 1.0,
    hbar: float = 1.0,
    method: str = "DOP853",
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> xr.DataArray:
    """Bohmian trajectories of N non-interacting particles whose orbitals are known in closed form.

    Integrates dx_i/dt = (ħ/m) Im(∂_{x_i}Ψ/Ψ) for a batch of configurations, with
    Ψ = perm[φ_j(x_i, t)] for bosons or Ψ = Π_i φ_i(x_i, t) for distinguishable particles
    (:func:`boson_velocities`: one Glynn/Gray-code pass per configuration and velocity call,
    O(2^N N)). The orbitals solve the one-particle Schrödinger equation (e.g. Gaussian packets
    in a linear potential, :func:`qfcore.states.evolved_gaussian`), so the velocity field is
    exact and the only error is the ODE solver's: scipy's adaptive Dormand–Prince pairs DOP853
    (order 8) or RK45 (order 5) (E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary
    Differential Equations I*, Springer 1993, Sec. II.5 and II.10) on all configurations at
    once, with local tolerances ``rtol``, ``atol`` applied in scipy's RMS norm over all
    coordinates (so check the accuracy by rerunning with smaller tolerances). Near nodes of Ψ the
    velocity is large and the steps are small; a trial step that lands on a node gives a
    non-finite velocity and is rejected by the step-size control. At loose tolerances RK45 needs
    fewer velocity calls than DOP853 (measured for 8 particles in two-packet orbitals: 536 calls
    and a centre-of-mass error 4e-3 at rtol = 1e-5, against 1074 calls and 5e-3 for DOP853).

    Parameters
    ----------
    orbitals : callable
        ``orbitals(x, t)`` with x of shape (B, N) → ``(phi, dphi)``, each complex of shape
        (B, N, N): ``phi[b, i, j]`` = φ_j(x_i, t) of configuration b and ``dphi`` = ∂_xφ_j(x_i, t).
        Configurations may have their own orbitals (per-configuration parameters).
    x0 : array_like, shape (B, N)
        Initial configurations at ``times[0]`` (length).
    times : array_like, shape (T,)
        Output times, strictly increasing (T ≥ 2).
    statistics : {"bosons", "distinguishable"}
    mass, hbar : float
        m > 0, ħ > 0.
    method : {"DOP853", "RK45"}
        scipy integrator.
    rtol, atol : float
        Integrator tolerances, > 0.

    Returns
    -------
    xarray.DataArray
        Positions, dims ``(time, configuration, particle)``. Attrs: ``statistics``, ``mass``,
        ``hbar``, ``method``, ``rtol``, ``atol``, ``n_velocity_calls`` (right-hand-side
        evaluations).

    Raises
    ------
    ValueError
        If ``x0`` is not (B, N) and finite, ``times`` is not strictly increasing with ≥ 2
        entries, ``orbitals`` returns the wrong shapes, the velocity is not finite at the
        initial configurations (a node of Ψ: move them), or a parameter is out of range.
    TypeError
        If ``orbitals`` is not callable or ``times`` is not a real numeric array.
    RuntimeError
        If the integration fails (e.g. the step size collapses at a node of Ψ).

    Notes
    -----
    Source: the N-body guidance law of de Broglie–Bohm theory (D. Bohm, Phys. Rev. 85, 166
    (1952)); paper 004 Sec. 2 after Oriols et al. (arXiv:1602.03988), whose Figure 1 experiment
    this reproduces (T4.4).

    Examples
    --------
    Two bosons in the plane waves of :func:`boson_velocities` move together at velocity 2:

    >>> k = np.array([1.0, 3.0])
    >>> def plane_waves(x, t):
    ...     phi = np.exp(1j * (x[..., None] * k - 0.5 * k**2 * t))
    ...     return phi, 1j * k * phi
    >>> x = bohm_many_body(plane_waves, [[0.3, 1.1]], [0.0, 1.0])
    >>> x.dims, np.round(x[-1, 0].values, 6).tolist()
    (('time', 'configuration', 'particle'), [2.3, 3.1])
    """
    if not callable(orbitals):
        raise TypeError("orbitals must be a callable (x, t) -> (phi, dphi).")
    if statistics not in ("bosons", "distinguishable"):
        raise ValueError(f"statistics must be 'bosons' or 'distinguishable'; got {statistics!r}.")
    if method not in ("DOP853", "RK45"):
        raise ValueError(f"method must be 'DOP853' or 'RK45'; got {method!r}.")
    x = np.array(x0, dtype=float)
    if x.ndim != 2 or x.shape[1] < 1 or x.shape[0] < 1:
        raise ValueError(f"x0 must have shape (B, N) with B, N >= 1; got {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 holds non-finite positions.")
    t = _checks.times(times, start=None, minimum=2)
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    rtol, atol = positive(rtol, "rtol"), positive(atol, "atol")
    shape = x.shape
    calls = 0

    def rhs(time, flat):
        nonlocal calls
        calls += 1
        pos = flat.reshape(shape)
        phi, dphi = orbitals(pos, time)
        phi, dphi = np.asarray(phi), np.asarray(dphi)
        want = (*shape, shape[1])
        if phi.shape != want or dphi.shape != want:
            raise ValueError(
                f"orbitals must return (phi, dphi) of shape {want}; got {phi.shape}, {dphi.shape}."
            )
        vel = boson_velocities(phi, dphi, mass=mass, hbar=hbar, statistics=statistics)
        return vel.ravel()  # non-finite at a node: the integrator rejects the trial step

    start = rhs(t[0], x.ravel()).reshape(shape)
    if not np.all(np.isfinite(start)):
        bad = int(np.argmax(~np.all(np.isfinite(start), axis=1)))
        raise ValueError(
            f"x0[{bad}] sits on a node of the many-body wavefunction (the guidance velocity is "
            "singular there); move its positions."
        )
    sol = solve_ivp(rhs, (t[0], t[-1]), x.ravel(), method=method, t_eval=t, rtol=rtol,
                    atol=atol)  # fmt: skip
    if sol.status != 0 or not np.all(np.isfinite(sol.y)):
        raise RuntimeError(
            f"solve_ivp failed ({sol.message}); a trajectory may have run into a node of the "
            "wavefunction: move the initial positions or loosen the tolerances."
        )
    out = sol.y.T.reshape(t.size, *shape)
    return xr.DataArray(
        out,
        dims=("time", "configuration", "particle"),
        coords={"time": t},
        name="x",
        attrs={
            "statistics": statistics,
            "mass": mass,
            "hbar": hbar,
            "method": method,
            "rtol": rtol,
            "atol": atol,
            "n_velocity_calls": calls,
        },
    )
