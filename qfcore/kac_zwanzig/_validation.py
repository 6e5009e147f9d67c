"""Argument checks shared by the Kac–Zwanzig submodules.

Real arrays, optional callables, the system positions x0 of the samples and the initial bath
states (q0, p0); numbers and output times go through :mod:`qfcore._checks`. The messages name the
argument and the fix. Private: the public functions of :mod:`qfcore.kac_zwanzig` call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qfcore.kac_zwanzig.bath import HarmonicBath


def _array(a, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        raise TypeError(f"{name} must be a real numeric array; got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got a complex array.")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values.")
    return arr


def _check_callable(fn, name: str):
    if fn is not None and not callable(fn):
        raise TypeError(f"{name} must be a callable of x (or None); got {type(fn).__name__}.")
    return fn


def _positions(x0, name: str, n_samples: int | None = None) -> np.ndarray:
    x = _array(x0, name)
    if x.ndim == 0:
        return np.full(1 if n_samples is None else n_samples, float(x))
    if x.ndim != 1 or (n_samples is not None and x.size not in (1, n_samples)):
        want = "a scalar or shape (n_samples,)" + (
            "" if n_samples is None else f" = ({n_samples},)"
        )
        raise ValueError(f"{name} must be {want}; got shape {x.shape}.")
    if n_samples is not None and x.size == 1:
        return np.full(n_samples, float(x[0]))
    return x


def _bath_arrays(bath: HarmonicBath, q0, p0) -> tuple[np.ndarray, np.ndarray]:
    q = _array(q0, "q0")
    p = _array(p0, "p0")
    if q.ndim == 1:
        q = q[None, :]
    if p.ndim == 1:
        p = p[None, :]
    if q.ndim != 2 or q.shape[1] != bath.n:
        raise ValueError(f"q0 must have shape (n_samples, {bath.n}); got {np.shape(q0)}.")
    if p.shape != q.shape:
        raise ValueError(f"p0 must have the shape of q0, {q.shape}; got {np.shape(p0)}.")
    return q, p
