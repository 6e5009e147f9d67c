"""Convergence of the K-sheet model to its Vlasov–Poisson limit, measured against sampling noise.

The study of T4.8 (notebook 04): K sheets drawn from a Vlasov run's initial f
(:mod:`~qfcore.kinetic.initial_conditions`), integrated exactly (:mod:`~qfcore.kinetic.sheets`)
and compared at every output time with the Vlasov solution and with the noise of K independent
samples of it (:mod:`~qfcore.kinetic.distances`), for several K and independent draws.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from qfcore._checks import count, positive
from qfcore.kinetic.distances import phase_space_distances, sampling_noise
from qfcore.kinetic.initial_conditions import sample_sheets
from qfcore.kinetic.sheets import sheet_model


class SheetConvergence(NamedTuple):
    """Result of :func:`sheet_convergence`."""

    #: Distances of every sheet run from the Vlasov solution: ``w1_x``, ``w1_v`` [, ``l1``] on
    #: (run, time), plus ``energy_error`` (max |ΔE/E|) and ``crossings`` per run; coordinates
    #: ``K`` and ``sample`` on ``run``.
    distances: xr.Dataset
    #: Mean distances of K independent draws of f(t) (:func:`sampling_noise`) on (K, time).
    noise: xr.Dataset
    #: The last sheet run (largest K, last sample), as returned by :func:`sheet_model`.
    last_run: xr.Dataset


def sheet_convergence(vlasov, sheet_numbers, samples, *, seed, coupling, total_mass=1.0,
                      x_edges=None, v_edges=None) -> SheetConvergence:  # fmt: skip
    """K-sheet systems drawn from a Vlasov run's initial f, for several K, and their distances.

    For each K of ``sheet_numbers`` and each of ``samples`` independent draws, K sheets of mass
    ``total_mass``/K are drawn from the Vlasov run's initial f (:func:`sample_sheets`, generator
    ``numpy.random.default_rng([*seed, K, s])``), integrated exactly (:func:`sheet_model`) to
    the Vlasov output times, and compared with it (:func:`phase_space_distances`). The reference
    noise of K independent draws of f(t) (:func:`sampling_noise`) is returned alongside: the
    ratio distance/noise measures how much the dynamics amplifies the initial sampling noise,
    which stays bounded as K grows if the sheets converge to the Vlasov solution at the
    sampling rate K^(−1/2) (Trocheris 1986; Hauray 2013).

    Parameters
    ----------
    vlasov : xarray.Dataset
        Output of :func:`vlasov_poisson_1d` (its first time is the initial condition).
    sheet_numbers : sequence of int
        Numbers of sheets K ≥ 1.
    samples : int or sequence of int
        Independent draws per K (one count, or one per K), each ≥ 1.
    seed : sequence of int
        Non-negative integers prefixed to (K, sample) to seed every draw.
    coupling : float
        g = 2πG > 0, as in the Vlasov run.
    total_mass : float
        Total mass of the sheets (that of f in the Vlasov run), > 0.
    x_edges, v_edges : array_like, optional
        Bin edges for the binned L1 distance (both or neither).

    Returns
    -------
    SheetConvergence

    Raises
    ------
    ValueError
        Bad K or sample counts, lengths that differ, or the errors of the functions called.

    Examples
    --------
    >>> import numpy as np
    >>> from qfcore.kinetic import gaussian_mixture, vlasov_poisson_1d
    >>> x, v = np.linspace(-6, 6, 64), np.linspace(-3, 3, 64)
    >>> f0 = gaussian_mixture(x, v, weights=1.0, x_mean=0.0, sigma_x=1.0, sigma_v=0.5)
    >>> ref = vlasov_poisson_1d(f0, x, v, [0.0, 0.5], coupling=1.0, dt=0.1)
    >>> run = sheet_convergence(ref, [50, 100], 2, seed=(1,), coupling=1.0)
    >>> run.distances.K.values.tolist()
    [50, 50, 100, 100]
    """
    ks = [count(int(k), "sheet_numbers", 1) for k in sheet_numbers]
    per_k = [samples] * len(ks) if np.ndim(samples) == 0 else list(samples)
    if len(per_k) != len(ks):
        raise ValueError(f"samples must be one count or one per K ({len(ks)}); got {per_k}.")
    per_k = [count(int(s), "samples", 1) for s in per_k]
    prefix = [int(s) for s in seed]
    total_mass = positive(total_mass, "total_mass")
    times = vlasov.time.values
    x, v, f0 = vlasov.x.values, vlasov.v.values, vlasov.f.values[0]
    edges = {"x_edges": x_edges, "v_edges": v_edges}
    runs, last = [], None
    for k, n_runs in zip(ks, per_k, strict=True):
        for s in range(n_runs):
            x0, u0 = sample_sheets(f0, x, v, k, rng=np.random.default_rng([*prefix, k, s]))
            last = sheet_model(x0, u0, times, mass=total_mass / k, coupling=coupling)
            d = phase_space_distances(last, vlasov, **edges)
            d["energy_error"] = np.abs(last.energy / last.energy[0] - 1).max()
            d["crossings"] = last.crossings[-1].astype(float)
            runs.append(
                d.expand_dims(run=[len(runs)]).assign_coords(K=("run", [k]), sample=("run", [s]))
            )
    noise = xr.concat([sampling_noise(vlasov, k, **edges) for k in ks], dim="K").assign_coords(K=ks)
    return SheetConvergence(xr.concat(runs, dim="run"), noise, last)
