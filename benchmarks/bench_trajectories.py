"""Particle-steps per second of nelson_ensemble, and boson_velocities' cost against N.

Run: .venv/bin/python benchmarks/bench_trajectories.py [n_particles] [n_frames]

One particle-step is one particle advanced by one stochastic Heun step (two bilinear drift
look-ups and one counter-based normal variate). The free Gaussian packet is evolved once by
split_step; the first call compiles (or loads the numba cache) and is not timed; then REPEATS
full calls are timed (the first of them also pays the page faults of its fresh arrays), and
the table gives their minimum and median and the best per thread. Goal: >= 5e7 particle-steps
per second per core.

Measured on a 2-core Xeon VM (AVX-512, numba 0.68.1), 1e6 particles, 20 frames, medians of 3
calls in 6 runs while other jobs kept the load average at 1.3-2.9: 1 thread 8.1e7-1.24e8
(minimum 6.6e7); before the blocked, vectorised kernel 4.1e7-6.7e7 (minimum 2.5e7). 2 threads:
2.1e8 in all when the other jobs paused, 4.7e7-1.1e8 while they held a core (a parallel step
waits for its slowest thread). The kernel alone (1 thread): 1.35e8 per second, of which the
normal variates take 4.1-4.4 ns per draw (10-11 ns before).

The second table times boson_velocities (one Glynn/Gray-code pass, O(2^N N)) for one
configuration of N Gaussian orbitals against N + 1 calls of thewalrus.perm (the permanent and
its N row-replaced variants), and prints time / (2^N N) to show the scaling law.
"""

import os
import statistics
import sys
import time

import numba
import numpy as np
from thewalrus import perm

from qfcore import schrodinger as sc
from qfcore import states
from qfcore import trajectories as tr

REPEATS = 3


def particle_steps_per_second(n: int, n_frames: int, repeats: int = REPEATS) -> list[float]:
    """Rates of ``repeats`` successive full nelson_ensemble calls (the first one cold)."""
    x = np.linspace(-40, 40, 2048, endpoint=False)
    psi0 = states.gaussian_wavepacket(x, 0.0, 1.0, 0.5)
    ev = sc.split_step(psi0, x, 0.0, 4.0, n_steps=4 * n_frames, n_frames=n_frames)
    x0 = np.random.default_rng(0).normal(0.0, 1.0, n)
    tr.nelson_ensemble(ev.psi[:2], x, ev.times[:2], x0[:10], rng=0)  # warm-up
    rates = []
    for k in range(repeats):
        t0 = time.perf_counter()
        tr.nelson_ensemble(ev.psi, x, ev.times, x0, rng=1 + k, record_every=n_frames)
        rates.append(n * n_frames / (time.perf_counter() - t0))
    return rates


def boson_timing(n: int) -> tuple[float, float]:
    rng = np.random.default_rng(n)
    xs = rng.normal(0, 1, n)
    c = rng.normal(0, 1, n)
    d = xs[:, None] - c
    phi = np.exp(-(d**2) / 4 + 1j * xs[:, None])
    dphi = phi * (-d / 2 + 1j)
    tr.boson_velocities(phi[:1, :1], dphi[:1, :1])
    t0 = time.perf_counter()
    tr.boson_velocities(phi, dphi)
    mine = time.perf_counter() - t0
    t0 = time.perf_counter()
    perm(phi)
    for i in range(n):
        rep = phi.copy()
        rep[i] = dphi[i]
        perm(rep)
    return mine, time.perf_counter() - t0


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_frames = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    most = numba.config.NUMBA_NUM_THREADS
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"numba {numba.__version__}, up to {most} threads, load average {load}")
    print(f"steps/s of {REPEATS} calls: min, median and best / threads")
    print(f"{'particles':>10} {'threads':>7} {'min':>11} {'median':>11} {'best/thread':>11}")
    for threads in sorted({1, most}):
        numba.set_num_threads(threads)
        rates = particle_steps_per_second(n, n_frames)
        lo, mid, hi = min(rates), statistics.median(rates), max(rates)
        print(f"{n:>10} {threads:>7} {lo:>11.3e} {mid:>11.3e} {hi / threads:>11.3e}")
    numba.set_num_threads(most)
    print(f"{'N':>3} {'glynn pass s':>13} {'s/(2^N N)':>11} {'thewalrus x(N+1) s':>19}")
    for k in (4, 8, 12, 16, 18, 20):
        mine, ref = boson_timing(k)
        print(f"{k:>3} {mine:>13.3e} {mine / (2**k * k):>11.3e} {ref:>19.3e}")
    print(f"threading layer: {numba.threading_layer()}")
