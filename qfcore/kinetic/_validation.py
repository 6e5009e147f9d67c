"""Input check shared by the sheet model and the distances of this package.

Real vectors with one entry per sheet (:func:`_check_vector`): returns the checked float array,
or raises TypeError / ValueError with a message that says what to pass instead. The coupling,
output times and normalisation go through :mod:`qfcore._checks`.
"""

from __future__ import annotations

import numpy as np


def _check_vector(a, name: str, k: int | None = None) -> np.ndarray:
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_):
        raise TypeError(f"{name} must be a real numeric array; got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got a complex array.")
    arr = arr.astype(float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one entry per sheet); got {arr.shape}.")
    if k is not None and arr.size != k:
        raise ValueError(f"{name} must have length {k} (one entry per sheet); got {arr.size}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values.")
    return arr
