"""Agent-updates per second of the copy-rule kernel (qfcore.copy_rule._step), one core.

Run: .venv/bin/python benchmarks/bench_copy_rule.py [N]. Each update is one system's phase step
plus one copy proposal (random partner, acceptance test); the goal is >= 1e7 per second per core.
The random numbers (numpy Generator, two per system and step) are timed separately.
"""

import sys
import time

import numpy as np

from qfcore import copy_rule as cr


def ring(m: int) -> np.ndarray:
    h = np.zeros((m, m), dtype=complex)
    for a in range(m):
        h[a, (a + 1) % m] = 0.5 * np.exp(0.2j)
        h[(a + 1) % m, a] = 0.5 * np.exp(-0.2j)
    return h + np.diag(np.linspace(-0.3, 0.3, m))


def bench(n: int, m: int, steps: int = 20) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    omega, rate, delta = cr.couplings(ring(m))
    a = rng.integers(0, m, size=n).astype(np.int32)
    phi = rng.uniform(0, 2 * np.pi, size=n)
    new_a, new_phi, adv = np.empty_like(a), np.empty_like(phi), np.empty_like(phi)
    u = rng.random((2, n))
    cr._step(a, phi, u[0], u[1], omega, rate, delta, 1e-4, 2.0, True, 0.5, new_a, new_phi, adv)
    t0 = time.perf_counter()
    for _ in range(steps):
        cr._step(a, phi, u[0], u[1], omega, rate, delta, 1e-4, 2.0, True, 0.5, new_a, new_phi, adv)
        a, new_a = new_a, a
        phi, new_phi = new_phi, phi
    kernel = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        rng.random((2, n))
    draws = time.perf_counter() - t0
    return n * steps / kernel, n * steps / (kernel + draws)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"{'N':>9} {'M':>3} {'kernel updates/s':>18} {'with RNG updates/s':>20}")
    for m in (2, 8):
        kernel, total = bench(n, m)
        print(f"{n:>9} {m:>3} {kernel:>18.3e} {total:>20.3e}")
