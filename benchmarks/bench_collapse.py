"""Speed and accuracy of the collapse toy model (qfcore.collapse).

Run: .venv/bin/python benchmarks/bench_collapse.py [n_samples]

1. ``outcome``: hidden-variable samples per second (σ recursion of Eq. (13) and the outcome rule
   of Section 2.2) for N = 2 and N = 8, with one thread and with all threads; the goal is 10⁶
   samples at N = 8 in well under a second. λ sampling (``sample_disk``) is timed separately.
2. ``born_frequencies``: the whole Born-rule Monte Carlo (sampling + outcomes), N = 8.
3. ``evolve``: a batch of S hidden-variable samples, N = 4, random H with ‖H‖ ~ 1, κ = 10,
   to κt = 20 with the default tolerances; its largest deviation from the exact
   matrix-exponential propagator of the Liouvillian built from ``lindblad_operators``.

The first call of each kernel compiles (or loads the numba cache) and is not timed.
"""

import sys
import time

import numba
import numpy as np
import scipy.linalg

from qfcore import collapse as cl


def random_state(rng, n):
    psi = rng.normal(size=n) + 1j * rng.normal(size=n)
    return psi / np.linalg.norm(psi)


def outcome_rate(n: int, n_samples: int) -> tuple[float, float]:
    """(samples/s of outcome, samples/s of sample_disk) at dimension n."""
    rng = np.random.default_rng(n)
    psi = random_state(rng, n)
    cl.outcome(psi, cl.sample_disk((10, n - 1), rng=0))  # warm-up
    t0 = time.perf_counter()
    lam = cl.sample_disk((n_samples, n - 1), rng=rng)
    t1 = time.perf_counter()
    cl.outcome(psi, lam)
    t2 = time.perf_counter()
    return n_samples / (t2 - t1), n_samples / (t1 - t0)


def evolve_check(n_batch: int) -> tuple[float, float]:
    """(seconds for evolve of n_batch samples, max |ρ − ρ_exact|)."""
    rng = np.random.default_rng(1)
    n, kappa = 4, 10.0
    psi = random_state(rng, n)
    h = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    h = (h + h.conj().T) / 4
    lam = cl.sample_disk((n_batch, n - 1), rng=rng)
    times = np.linspace(0, 2.0, 21)
    t0 = time.perf_counter()
    ds = cl.evolve(psi, h, kappa, lam, times)
    elapsed = time.perf_counter() - t0
    rho0 = np.outer(psi, psi.conj()).reshape(-1, order="F")
    worst = 0.0
    for s in range(min(n_batch, 32)):
        sup = cl.liouvillian(h, cl.lindblad_operators(ds.sigma.values[s]), kappa)
        for i, t in enumerate(times):
            exact = (scipy.linalg.expm(sup * t) @ rho0).reshape(n, n, order="F")
            worst = max(worst, float(np.abs(ds.rho.values[s, i] - exact).max()))
    return elapsed, worst


if __name__ == "__main__":
    n_samples = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    most = numba.config.NUMBA_NUM_THREADS
    print(f"numba {numba.__version__}, up to {most} threads")
    print(f"{'N':>3} {'threads':>7} {'outcome/s':>11} {'t(1e6) ms':>10} {'sample_disk/s':>14}")
    for n in (2, 8):
        for threads in sorted({1, most}):
            numba.set_num_threads(threads)
            rate, draw = outcome_rate(n, n_samples)
            print(f"{n:>3} {threads:>7} {rate:>11.3e} {1e9 / rate:>10.1f} {draw:>14.3e}")
    numba.set_num_threads(most)
    t0 = time.perf_counter()
    cl.born_frequencies(random_state(np.random.default_rng(3), 8), n_samples, rng=4)
    print(f"born_frequencies N=8, {n_samples} samples: {time.perf_counter() - t0:.3f} s")
    for batch in (1, 64, 512):
        elapsed, worst = evolve_check(batch)
        print(
            f"evolve N=4 kappa=10 to t=2, S={batch:>4}: {elapsed:.3f} s, "
            f"max |rho - expm| = {worst:.1e}"
        )
    print(f"threading layer: {numba.threading_layer()}")
