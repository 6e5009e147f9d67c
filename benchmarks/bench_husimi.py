"""Husimi Q on a phase-space grid: qfcore.phase_space.husimi_q against QuTiP (qfunc, QFunc).

Run: .venv/bin/python benchmarks/bench_husimi.py [grid_points]

Same states and grids for every method: a random ket and a random full-rank density matrix of
Fock dimension d (amplitudes damped as e^{-k/(2 d)} so that the grid holds the state), on a
square grid of ``grid_points``² points (default 401²) covering |Re α|, |Im α| <= √d + 3.
QuTiP is called with g = 2, so that its grid point x + iy is α itself; ``QFunc`` is timed with
its grid precomputed (its intended use: many states, one grid) and the precomputation is shown
apart. The first call of each method is a warm-up (numba compiles or loads its cache) and is not
timed; each time is the best of ``REPEAT`` calls. Accuracy at large Fock dimension against closed
forms: coherent states (|β|² = 700, d = 1000; |β|² = 1600, d = 2000) and the Fock state |999⟩.
QuTiP 5.3 switches from factorials to Gosper's approximation of n! above n = 170 (its fix of
issue #2932), which costs it ~1e-9 absolute accuracy, and its e^{−|α|²/2} prefactor underflows
to 0 (NaN in Q) for |α|² > 1490.
"""

import math
import sys
import time
import warnings

import numba
import numpy as np
import qutip

from qfcore import phase_space as ps

REPEAT = 3


def best_time(fn) -> tuple[float, np.ndarray]:
    out = fn()  # warm-up
    best = np.inf
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def random_states(d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    damp = np.exp(-np.arange(d) / (2 * d))
    psi = (rng.normal(size=d) + 1j * rng.normal(size=d)) * damp
    psi /= np.linalg.norm(psi)
    a = (rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))) * damp[:, None]
    rho = a @ a.conj().T
    return psi, rho / np.trace(rho).real


def compare(d: int, points: int) -> None:
    psi, rho = random_states(d)
    x = np.linspace(-(np.sqrt(d) + 3), np.sqrt(d) + 3, points)
    alpha = x[None, :] + 1j * x[:, None]  # [j, k] = x[k] + i x[j], QuTiP's layout
    t_pre0 = time.perf_counter()
    qf = qutip.QFunc(x, x, g=2, memory=4096)
    qf(qutip.Qobj(psi))  # builds QFunc's cache of coherent amplitudes
    t_pre = time.perf_counter() - t_pre0
    for name, state in (("ket", psi), ("dm", rho)):
        obj = qutip.Qobj(state)
        t_ours, q_ours = best_time(lambda state=state: ps.husimi_q(state, alpha))
        t_qf, q_qf = best_time(lambda obj=obj: qutip.qfunc(obj, x, x, g=2))
        t_cls, q_cls = best_time(lambda obj=obj: qf(obj))
        err = max(np.abs(q_ours - q_qf).max(), np.abs(q_ours - q_cls).max())
        print(
            f"{d:>5} {name:>4} {points}x{points} {t_ours:>9.4f} {t_qf:>9.4f} {t_cls:>9.4f} "
            f"{t_qf / t_ours:>8.1f} {t_cls / t_ours:>8.1f} {err:>10.2e}"
        )
    print(f"      (QFunc grid precomputation for d = {d}: {t_pre:.3f} s, not in its times)")


def large_dimension() -> None:
    """Accuracy and time where QuTiP leaves factorials for Gosper's formula (n > 170) and where
    its prefactor e^{−|α|²/2} underflows (|α|² > 1490): closed-form references."""
    cases = []
    for r2, d in ((700, 1000), (1600, 2000)):
        beta = np.sqrt(r2) * np.exp(0.4j)
        coh = ps.coherent_state(beta, d)
        coh /= np.linalg.norm(coh)  # truncation error < 1e-20 for these d
        off = np.linspace(-3, 3, 61)
        x, y = beta.real + off, beta.imag + off
        alpha = x[None, :] + 1j * y[:, None]
        exact = np.exp(-(np.abs(alpha - beta) ** 2)) / np.pi
        cases.append((f"coherent |b|^2={r2}, d={d}", coh, x, y, exact))
    n = 999
    fock = np.zeros(n + 1)
    fock[n] = 1.0
    x, y = np.linspace(np.sqrt(n) - 3, np.sqrt(n) + 3, 61), np.linspace(-3, 3, 61)
    r = np.abs(x[None, :] + 1j * y[:, None])
    exact = np.exp(-(r**2) + 2 * n * np.log(r) - math.lgamma(n + 1)) / np.pi
    cases.append((f"Fock |{n}>, d={n + 1}", fock, x, y, exact))
    print("\nLarge Fock dimension, 61x61 grids around the state; error = max|Q - exact|")
    print(f"{'state':>28} {'method':>16} {'time [s]':>9} {'error':>10} {'max Q':>9}")
    for label, state, x, y, exact in cases:
        alpha = x[None, :] + 1j * y[:, None]
        methods = [
            ("husimi_q ket", lambda state=state, alpha=alpha: ps.husimi_q(state, alpha)),
            (
                "qutip.qfunc ket",
                lambda state=state, x=x, y=y: qutip.qfunc(qutip.Qobj(state), x, y, g=2),
            ),
        ]
        if "coherent" in label and "700" in label:
            rho = np.outer(state, state.conj())
            methods.append(("husimi_q dm", lambda rho=rho, alpha=alpha: ps.husimi_q(rho, alpha)))
            methods.append(
                (
                    "qutip.qfunc dm",
                    lambda rho=rho, x=x, y=y: qutip.qfunc(qutip.Qobj(rho), x, y, g=2),
                )
            )
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, fn in methods:
                t, q = best_time(fn)
                bad = int(np.sum(~np.isfinite(q)))
                err = f"{np.abs(q - exact).max():10.2e}" if bad == 0 else f"{bad:>5} NaN"
                print(f"{label:>28} {name:>16} {t:>9.4f} {err:>10} {exact.max():>9.2e}")


if __name__ == "__main__":
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 401
    print(f"numpy {np.__version__}, numba {numba.__version__} ({numba.get_num_threads()} threads),")
    print(f"qutip {qutip.__version__}; times in s, best of {REPEAT}")
    print(
        f"{'d':>5} {'kind':>4} {'grid':>7} {'ours':>9} {'qfunc':>9} {'QFunc':>9} "
        f"{'x qfunc':>8} {'x QFunc':>8} {'max diff':>10}"
    )
    for d in (32, 100):
        compare(d, points)
    large_dimension()
