"""The lattice of Section V (T1.7, paper 001): copy-rule agents on an open chain.

:func:`lattice_agent_run` runs the agents of :func:`~qfcore.copy_rule.agents.simulate` on the
lattice of Eqs. (54)–(55) and compares their centre and quantum potential with the Schrödinger
lattice; :func:`lattice_quantum_potential` is the ensemble mean of the quantum potential
Eq. (57), and :func:`lattice_quantum_potential_bias` its upward bias from the agents' counting
noise. :func:`lattice_centre` is the exact centre ⟨x⟩(t) of a packet on a lattice (Eqs. (54)–(55)
in either sign convention, and the ħ → 0 scan of Eqs. (56)–(59)).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.integrate import cumulative_trapezoid
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import expm_multiply

from qfcore import _checks, schrodinger
from qfcore._checks import positive
from qfcore.copy_rule._validation import _check_state
from qfcore.copy_rule.agents import _exact_evolution, frequency_standard_error, simulate


def lattice_centre(
    psi0, potential, x, times, *, hbar: float = 1.0, convention: str = "standard"
) -> np.ndarray:
    """Exact centre ⟨x⟩(t) = Σ_a x_a |ψ_a(t)|² of a packet on an open lattice (Section V, T1.7).

    H = ``schrodinger.lattice_hamiltonian(potential(x), ā, hbar=hbar, periodic=False,
    convention=convention)`` with ā = x[1] − x[0] (mass 1): the lattice of Eqs. (54)–(55),
    with the hopping phase δ = π (``"standard"``, the sign-corrected equations) or as printed
    (``"as_printed"``, the packet falls the wrong way). ψ(t) = exp(−iHt/ħ)ψ by scipy's
    ``expm_multiply`` (Krylov-free truncated Taylor series, accurate to double precision).
    On the standard lattice a packet at rest in V = −Fx follows Newton, ⟨x⟩ = ⟨x⟩₀ + Ft²/2,
    up to O(ā²) lattice dispersion.

    Parameters
    ----------
    psi0 : array_like, complex, shape (P,)
        Normalised state at t = 0 (Σ|ψ_a|² = 1).
    potential : callable
        V(x) in energy units, called once on the array ``x`` and returning shape (P,).
    x : array_like, shape (P,)
        Equally spaced, increasing sites (length units), P ≥ 2.
    times : array_like, shape (n_t,)
        Equally spaced output times from 0 (ħ/energy units), n_t ≥ 2.
    hbar : float
        ħ > 0.
    convention : {"standard", "as_printed"}
        Sign of the hopping (as in ``schrodinger.lattice_hamiltonian``).

    Returns
    -------
    ndarray, shape (n_t,)
        ⟨x⟩ at the ``times``.

    Raises
    ------
    ValueError
        If ``x`` has fewer than 2 sites or is not equally spaced and increasing, ``times`` do not
        start at 0 or is not equally spaced (``expm_multiply`` returns an even grid), ``psi0``
        does not have the shape of ``x`` or is not normalised, or ``hbar`` ≤ 0; as
        ``schrodinger.lattice_hamiltonian`` for ``convention``.

    Examples
    --------
    >>> x = np.arange(-10.0, 10.0, 0.1)
    >>> psi = np.exp(-x**2 / 4).astype(complex); psi /= np.linalg.norm(psi)
    >>> t = np.linspace(0.0, 2.0, 5)
    >>> c = lattice_centre(psi, lambda x: -x, x, t)   # V = -F x, F = 1
    >>> bool(np.allclose(c - c[0], t**2 / 2, atol=0.01))   # Newton, up to O(a^2) dispersion
    True
    """
    hbar = positive(hbar, "hbar")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.allclose(np.diff(x), x[1] - x[0], rtol=1e-9, atol=0):
        raise ValueError("x must be an equally spaced 1D grid of >= 2 sites; use np.arange.")
    if x[1] <= x[0]:
        raise ValueError("x must be increasing (spacing x[1] - x[0] > 0).")
    times = _checks.times(times, minimum=2, start="zero")
    if not np.allclose(np.diff(times), times[1], rtol=1e-9, atol=0):
        raise ValueError("times must be equally spaced from 0; use np.linspace(0, t_max, n).")
    psi = _check_state(psi0, x.size)
    h = schrodinger.lattice_hamiltonian(
        potential(x), x[1] - x[0], hbar=hbar, periodic=False, convention=convention
    )
    psi_t = expm_multiply(
        -1j / hbar * csr_matrix(h), psi, start=0.0, stop=times[-1], num=times.size, endpoint=True
    )
    return np.abs(psi_t) ** 2 @ x


def lattice_quantum_potential(
    probability, spacing: float, *, hbar: float = 1.0, mass: float = 1.0
) -> np.ndarray:
    """Ensemble mean of the quantum potential Eq. (57) on an open chain, ⟨V_Q⟩ = Σ_a ρ_a V_Q,a.

    The phase law (38) on the lattice of Eqs. (54)–(55) (hopping phase δ = π, T1.7) splits as
    ħφ̇_a = V_a + V_Q,a + K_a with the kinetic term K_a = (ħ²/2mā²) Σ_b √(ρ_b/ρ_a)(1 − cos(φ_a −
    φ_b)) → (∂S)²/2m and the discrete quantum potential
    V_Q,a = (ħ²/2mā²)[2 − Σ_{b=a±1} √(ρ_b/ρ_a)] → −(ħ²/2m)∂²√ρ/√ρ (standard sign; Eq. (57) as
    printed has the opposite one, T1.7), a missing neighbour at a chain end contributing 0.
    Summed with weights ρ_a, ⟨V_Q⟩ = (ħ²/2mā²)[2 − 2Σ_a √(ρ_aρ_{a+1})] (empty sites drop out),
    which is ħ²/(8mσ²) for a wide Gaussian of standard deviation σ.

    Parameters
    ----------
    probability : array_like, shape (..., P)
        ρ_a ≥ 0 on P ≥ 2 sites, each row summing to 1 (frequencies n_a/N or |ψ_a|²).
    spacing : float
        Lattice spacing ā > 0.
    hbar, mass : float
        ħ > 0 and m > 0.

    Returns
    -------
    ndarray, shape (...)
        ⟨V_Q⟩ in energy units.

    Raises
    ------
    ValueError
        For fewer than 2 sites, negative or non-finite probabilities, rows not summing to 1
        (within 1e-9), or non-positive ``spacing``, ``hbar``, ``mass``.

    Examples
    --------
    >>> x = np.arange(-3, 3, 0.01)
    >>> rho = np.exp(-x**2 / (2 * 0.3**2)); rho /= rho.sum()
    >>> round(float(lattice_quantum_potential(rho, 0.01)) * 8 * 0.3**2, 3)
    1.0
    """
    rho = np.asarray(probability, dtype=float)
    spacing = positive(spacing, "spacing")
    hbar, mass = positive(hbar, "hbar"), positive(mass, "mass")
    if rho.ndim < 1 or rho.shape[-1] < 2:
        raise ValueError(f"probability needs P >= 2 sites on its last axis; got {rho.shape}.")
    if not np.all(np.isfinite(rho)) or np.any(rho < 0):
        raise ValueError("probability must be finite and >= 0.")
    if np.any(np.abs(rho.sum(axis=-1) - 1) > 1e-9):
        raise ValueError("probability must sum to 1 over the sites (last axis).")
    amp = np.sqrt(rho)
    overlap = (amp[..., 1:] * amp[..., :-1]).sum(axis=-1)
    return hbar**2 / (2 * mass * spacing**2) * (2 - 2 * overlap)


def lattice_agent_run(
    psi0,
    potential,
    spacing: float,
    n_systems: int,
    times,
    *,
    dt: float,
    hbar: float = 1.0,
    mass: float = 1.0,
    origin: float = 0.0,
    rng=None,
) -> xr.Dataset:
    """Copy-rule agents on the open lattice of Section V (Eqs. (54)–(55), δ = π), with ⟨x⟩, ⟨V_Q⟩.

    Sites x_a = origin + a·ā; H = ``schrodinger.lattice_hamiltonian(V, ā, convention="standard")``
    (R = ħ/2mā², hopping phase π, E_a = V_a + ħ²/mā²: the sign-corrected Eqs. (54)–(55)), then
    :func:`simulate`. Added to its output: the agents' centre Σ_a x_a n_a/N and the exact
    lattice centre Σ_a x_a|ψ_a(t)|²; the standard error of the agents' centre from the Poisson
    model of :func:`frequency_standard_error` (every copy between neighbours moves one system by
    ā, so var = ā² ∫ Σ_bonds |J_{a,a+1}| dt / N); and the ensemble mean of the quantum potential
    (:func:`lattice_quantum_potential`) from the agents' frequencies and from |ψ(t)|².

    Parameters
    ----------
    psi0 : array_like, complex, shape (P,)
        Normalised initial state.
    potential : array_like, shape (P,)
        V at the sites, energy units, P ≥ 2.
    spacing : float
        ā > 0.
    n_systems, times, dt, hbar, rng
        As in :func:`simulate` (a step refused there is refused here: use a smaller dt).
    mass : float
        m > 0.
    origin : float
        Position of site 0.

    Returns
    -------
    xarray.Dataset
        :func:`simulate`'s variables plus ``centre``, ``exact_centre``, ``centre_standard_error``,
        ``quantum_potential`` and ``exact_quantum_potential`` over time, and the coordinate
        ``position`` over beable.

    Raises
    ------
    ValueError, TypeError
        As :func:`simulate` and ``schrodinger.lattice_hamiltonian``.

    Examples
    --------
    >>> x = np.arange(-1.0, 1.0, 0.1)
    >>> psi = np.exp(-x**2 / 0.18).astype(complex); psi /= np.linalg.norm(psi)
    >>> ds = lattice_agent_run(psi, -x, 0.1, 2000, [0.0, 0.1], dt=0.001, hbar=0.4, origin=-1.0)
    >>> bool(abs(ds.centre[-1] - ds.exact_centre[-1]) < 5 * ds.centre_standard_error[-1] + 1e-3)
    True
    """
    spacing = positive(spacing, "spacing")
    hbar, mass = positive(hbar, "hbar"), positive(mass, "mass")
    h = schrodinger.lattice_hamiltonian(
        potential, spacing, mass=mass, hbar=hbar, periodic=False, convention="standard"
    )
    ds = simulate(psi0, h, n_systems, times, dt=dt, hbar=hbar, rng=rng)
    x = float(origin) + spacing * np.arange(h.shape[0])
    times = ds.time.values
    fine = np.union1d(np.linspace(0.0, times[-1], 2048), times)
    psi_t = _exact_evolution(h, _check_state(psi0, h.shape[0]), fine, hbar)
    bond = 2 / hbar * np.abs(np.imag(psi_t[:, :-1].conj() * np.diag(h, 1) * psi_t[:, 1:]))
    moves = np.concatenate([[0.0], cumulative_trapezoid(bond.sum(axis=1), fine)])
    se = spacing * np.sqrt(moves[np.searchsorted(fine, times)] / ds.attrs["n_systems"])
    freq, exact = ds.frequency.values, ds.exact_probability.values
    return ds.assign_coords(position=("beable", x)).assign(
        centre=("time", freq @ x),
        exact_centre=("time", exact @ x),
        centre_standard_error=("time", se),
        quantum_potential=(
            "time",
            lattice_quantum_potential(freq, spacing, hbar=hbar, mass=mass),
        ),
        exact_quantum_potential=(
            "time",
            lattice_quantum_potential(
                exact / exact.sum(axis=1, keepdims=True), spacing, hbar=hbar, mass=mass
            ),
        ),
    )


def lattice_quantum_potential_bias(
    run: xr.Dataset, potential, spacing: float, *, hbar: float = 1.0, mass: float = 1.0
) -> xr.DataArray:
    """Upward bias of the agents' ⟨V_Q⟩ (:func:`lattice_agent_run`) from their counting noise.

    ⟨V_Q⟩ = (ħ²/2mā²)[2 − 2Σ_a √(ρ_aρ_{a+1})] (:func:`lattice_quantum_potential`) is concave
    in the amplitudes: a frequency n_a/N = ρ_a + ε_a with E ε_a = 0 and var ε_a = se_a² lowers
    E √(n_a/N) by se_a²/(8ρ_a^{3/2}) to second order; summed over the bonds (each site in two,
    √(ρ_aρ_{a±1}) ≈ ρ_a for a smooth packet) this raises ⟨V_Q⟩ on average by about

        bias(t) = (ħ²/2mā²) Σ_a se_a(t)² / (2 ρ_a(t)),

    with se_a from the Poisson model :func:`frequency_standard_error` and ρ_a = |ψ_a(t)|².

    Parameters
    ----------
    run : xarray.Dataset
        Output of :func:`lattice_agent_run` (uses ``time``, ``exact_probability`` and the
        attrs ``psi0_real``, ``psi0_imag``, ``n_systems``).
    potential : array_like, shape (P,)
        V at the sites, the one the run used (energy units).
    spacing : float
        ā > 0, the run's spacing.
    hbar, mass : float
        ħ > 0 and m > 0, the run's.

    Returns
    -------
    xarray.DataArray
        bias(t), dims (time,), energy units.

    Raises
    ------
    ValueError
        For non-positive ``spacing``, ``hbar``, ``mass``; as :func:`frequency_standard_error`
        (e.g. a ``potential`` whose length is not the run's number of sites).

    Examples
    --------
    >>> x = np.arange(-1.0, 1.0, 0.1)
    >>> psi = np.exp(-x**2 / 0.18).astype(complex); psi /= np.linalg.norm(psi)
    >>> ds = lattice_agent_run(psi, -x, 0.1, 2000, [0.0, 0.1], dt=0.001, hbar=0.4, origin=-1.0)
    >>> b = lattice_quantum_potential_bias(ds, -x, 0.1, hbar=0.4)
    >>> float(b[0]), bool(0 < b[1] < ds.exact_quantum_potential[1])
    (0.0, True)
    """
    spacing = positive(spacing, "spacing")
    hbar, mass = positive(hbar, "hbar"), positive(mass, "mass")
    h = schrodinger.lattice_hamiltonian(potential, spacing, mass=mass, hbar=hbar, periodic=False)
    se = frequency_standard_error(
        run.attrs["psi0_real"] + 1j * run.attrs["psi0_imag"],
        h,
        run.attrs["n_systems"],
        run.time.values,
        hbar=hbar,
    )
    return hbar**2 / (2 * mass * spacing**2) * (se**2 / (2 * run.exact_probability)).sum("beable")
