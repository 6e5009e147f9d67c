"""Scalar argument checks shared by qfcore's public functions (one wording everywhere)."""

from __future__ import annotations

import numbers

import numpy as np


def positive(value, name: str) -> float:
    """``float(value)``; TypeError if not a real number, ValueError unless finite and > 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return v


def count(value, name: str, minimum: int, why: str = "", maximum: int | None = None) -> int:
    """``int(value)`` for an integer in [minimum, maximum), else ``TypeError`` / ``ValueError``.

    ``why`` is appended to the lower-bound message, e.g. ``" to estimate a standard error"``.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}{why}; got {value}.")
    if maximum is not None and value >= maximum:
        raise ValueError(f"{name} must be < {maximum}; got {value}.")
    return int(value)


def seeded(rng) -> tuple[np.random.Generator, int | str]:
    """The generator to use and the seed to record: an int (drawn from fresh entropy for None, so
    the run can be replayed with ``rng=seed``), or "generator" if a Generator was passed.
    TypeError for anything else; ValueError for a negative seed."""
    if isinstance(rng, np.random.Generator):
        return rng, "generator"
    if rng is None:
        seed = int(np.random.SeedSequence().entropy % 2**31)
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        seed = int(rng)
        if seed < 0:
            raise ValueError(f"rng must be a non-negative int seed; got {seed}.")
    else:
        raise TypeError(
            f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}."
        )
    return np.random.default_rng(seed), seed


def hermitian(matrix: np.ndarray, name: str, rtol: float, fix: str = "") -> None:
    """ValueError unless max|A − A†| ≤ rtol·max|A| (relative, so that any units pass)."""
    scale = max(float(np.abs(matrix).max()), 1e-300)
    if np.abs(matrix - matrix.conj().T).max() > rtol * scale:
        raise ValueError(
            f"{name} is not Hermitian (|A - A^dagger| > {rtol:g} max|A|); use (A + A^dagger)/2"
            + (f" or {fix}." if fix else ".")
        )
