"""Speed of the 1D gravitational kinetic solvers (qfcore.kinetic).

Run: .venv/bin/python benchmarks/bench_kinetic.py [n_sheets] [n_grid]

Sheet model: crossings per second of the exact event-driven integrator (each crossing is one
quadratic root, one swap and two heap updates) for K sheets drawn from the isothermal sheet, a
warm equilibrium in which crossings are frequent; the energy error after the run shows that speed
is not bought with accuracy. Vlasov–Poisson: seconds per Strang step (two streamings, one kick,
cubic B-spline interpolation) on an n_grid × n_grid phase-space grid. Units g = M = 1. The first
call of each compiles (or loads the numba cache) and is not timed.
"""

import sys
import time

import numpy as np

from qfcore import kinetic as kn


def phase_grid(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Isothermal sheet (sigma = 0.5) on [-6, 6] x [-3, 3] with n points per axis."""
    x, v = np.linspace(-6, 6, n), np.linspace(-3, 3, n)
    return kn.isothermal_sheet(x, v, sigma=0.5, coupling=1.0), x, v


def sheets(n_sheets: int, t_end: float = 1.0) -> tuple[float, float, int]:
    """(crossings per second, max relative energy error, crossings) of one sheet-model run."""
    f, x, v = phase_grid(257)
    x0, v0 = kn.sample_sheets(f, x, v, n_sheets, rng=1)
    kn.sheet_model(x0[:50], v0[:50], [0.0, 0.1], mass=1 / 50, coupling=1.0)  # compile
    t0 = time.perf_counter()
    ds = kn.sheet_model(x0, v0, [0.0, t_end], mass=1.0 / n_sheets, coupling=1.0)
    elapsed = time.perf_counter() - t0
    crossings = int(ds.crossings[-1])
    drift = float(np.abs(ds.energy / ds.energy[0] - 1).max())
    return crossings / elapsed, drift, crossings


def vlasov(n_grid: int, steps: int = 20, dt: float = 0.05) -> float:
    """Seconds per Strang step of vlasov_poisson_1d on an n_grid x n_grid grid."""
    f, x, v = phase_grid(n_grid)
    kn.vlasov_poisson_1d(f, x, v, [0.0, dt], coupling=1.0, dt=dt)  # compile
    t0 = time.perf_counter()
    kn.vlasov_poisson_1d(f, x, v, [0.0, steps * dt], coupling=1.0, dt=dt)
    return (time.perf_counter() - t0) / steps


if __name__ == "__main__":
    n_sheets = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    n_grid = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    rate, drift, crossings = sheets(n_sheets)
    print(f"sheet model, K = {n_sheets}: {crossings} crossings, {rate:.3g} crossings/s, "
          f"max |dE/E| = {drift:.1e}")  # fmt: skip
    print(f"Vlasov-Poisson, {n_grid} x {n_grid}: {vlasov(n_grid) * 1e3:.1f} ms per step")
