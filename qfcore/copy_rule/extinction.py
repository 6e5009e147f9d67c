"""Nodes of the copy-rule ensemble: extinction statistics of agent runs (T1.6, Eq. (61)).

An empty beable has nobody to copy, so emptiness is absorbing; :func:`extinction_statistics`
measures how often an agent run empties a beable.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from qfcore._checks import count, positive, seeded
from qfcore.copy_rule.agents import simulate


def extinction_statistics(
    psi0,
    hamiltonian,
    n_systems: int,
    t_end: float,
    *,
    dt: float,
    n_runs: int,
    hbar: float = 1.0,
    rng=None,
) -> xr.Dataset:
    """Fraction of independent agent runs in which some beable is empty at ``t_end`` (Eq. (61)).

    An empty beable has nobody to copy, so emptiness is absorbing (Eq. (61)): a beable empty at
    ``t_end`` was extinct from some t ≤ ``t_end`` on. Each run is :func:`simulate` from the same
    deterministic initial allocation with a fresh seed; only the times 0 and ``t_end`` are
    recorded (extinction needs no more). Runs whose step is refused (copy probability above
    ``MAX_COPY_PROBABILITY``) raise; pass a smaller ``dt``.

    Parameters
    ----------
    psi0, hamiltonian, hbar
        As in :func:`simulate`.
    n_systems : int
        N ≥ 2.
    t_end : float
        Length of every run, > 0, a multiple of ``dt``.
    dt : float
        Time step > 0.
    n_runs : int
        Number of runs ≥ 2.
    rng : numpy.random.Generator, int or None
        Source of the runs' seeds.

    Returns
    -------
    xarray.Dataset
        Dim ``run``: ``extinct`` (bool, some beable empty at ``t_end``), ``seed``; scalars
        ``probability`` (fraction of extinct runs), ``standard_error``
        √(max(p(1 − p), 1/n_runs)/n_runs) (binomial, floored at one run so that p = 0 still
        carries an error), ``initially_empty`` (bool: some beable got no system at t = 0,
        round(N|ψ_a|²) = 0). Attrs: parameters.

    Raises
    ------
    ValueError, TypeError
        As :func:`simulate`, and for ``n_runs < 2`` or ``t_end`` not a positive multiple of dt.

    Examples
    --------
    >>> h = np.array([[0.0, 0.5], [0.5, 0.0]], dtype=complex)
    >>> s = extinction_statistics([1.0, 0.0], h, 10, 1.0, dt=0.01, n_runs=2, rng=0)
    >>> float(s.probability)
    1.0
    """
    n_runs = count(n_runs, "n_runs", 2, " (a probability needs runs)")
    t_end, dt = positive(t_end, "t_end"), positive(dt, "dt")
    gen, seed = seeded(rng)
    seeds = gen.integers(2**31, size=n_runs)
    extinct = np.zeros(n_runs, dtype=bool)
    initially_empty = False
    for k, s in enumerate(seeds):
        ds = simulate(psi0, hamiltonian, n_systems, [0.0, t_end], dt=dt, hbar=hbar, rng=int(s))
        initially_empty = bool((ds.frequency.isel(time=0) == 0).any())
        extinct[k] = bool((ds.frequency.isel(time=-1) == 0).any())
    p = float(extinct.mean())
    se = float(np.sqrt(max(p * (1 - p), 1.0 / n_runs) / n_runs))
    return xr.Dataset(
        {
            "extinct": ("run", extinct),
            "seed": ("run", seeds),
            "probability": p,
            "standard_error": se,
            "initially_empty": initially_empty,
        },
        attrs={
            "n_systems": n_systems,
            "t_end": t_end,
            "dt": dt,
            "hbar": hbar,
            "master_seed": seed,
            "source": "Smolin (2012), Eq. (61); runs of qfcore.copy_rule.simulate",
        },
    )
