"""Agent-updates per second of the copy-rule ensemble (qfcore.copy_rule.simulate).

Run: .venv/bin/python benchmarks/bench_copy_rule.py [N] [steps]

One agent-update is one system advanced by one time step: its two phase half-steps (Eq. (38)),
its share of the per-beable sums, and its copy trial (random numbers included). The ensemble is
an M-level tight-binding ring with aligned phases, the case of every run in notebook 01; the
first call compiles (or loads the numba cache) and is not timed. Each configuration runs with
one thread and with all threads (``numba.set_num_threads``); the goal is >= 1e7 updates per
second per core.
"""

import sys
import time

import numba
import numpy as np

from qfcore import copy_rule as cr


def ring(m: int) -> np.ndarray:
    """Ring of M sites, hopping 0.5 e^{0.2i}, on-site energies spread over [-0.3, 0.3]."""
    h = np.diag(np.linspace(-0.3, 0.3, m)).astype(complex)
    for a in range(m):
        h[a, (a + 1) % m] += 0.5 * np.exp(0.2j)
        h[(a + 1) % m, a] += 0.5 * np.exp(-0.2j)
    return h


def updates_per_second(n: int, m: int, steps: int, dt: float = 0.01) -> tuple[float, int]:
    """Agent-updates per second of ``simulate`` over ``steps`` steps, and the copies made."""
    psi = np.exp(1j * np.arange(m)) / np.sqrt(m)  # uniform occupation, phase gradient
    times = np.array([0.0, steps * dt])
    cr.simulate(psi, ring(m), n, [0.0, dt], dt=dt, rng=0)  # warm-up: compile or load the cache
    t0 = time.perf_counter()
    ds = cr.simulate(psi, ring(m), n, times, dt=dt, rng=1, per_system=True)
    elapsed = time.perf_counter() - t0
    copied = int(np.sum(ds.system_beable[0] != ds.system_beable[-1]))
    return n * steps / elapsed, copied


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    most = numba.config.NUMBA_NUM_THREADS
    print(f"numba {numba.__version__}, up to {most} threads")
    print(f"{'N':>9} {'M':>3} {'threads':>7} {'updates/s':>11} {'per thread':>11} {'moved':>8}")
    for m in (2, 8):
        for threads in sorted({1, most}):
            numba.set_num_threads(threads)
            rate, moved = updates_per_second(n, m, steps)
            print(f"{n:>9} {m:>3} {threads:>7} {rate:>11.3e} {rate / threads:>11.3e} {moved:>8}")
    print(f"threading layer: {numba.threading_layer()}")
