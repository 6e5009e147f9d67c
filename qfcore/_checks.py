"""Argument checks shared by qfcore's public functions (one wording and one tolerance everywhere).

Every checker takes the parameter's name and puts it in its message, together with the fix.
The checkers only validate: the array they return is what the modules computed before
(``np.asarray(x, dtype=float)`` for times, a complex128 copy for complex arrays).
"""

from __future__ import annotations

import numbers

import numpy as np

#: Tolerance on |Σ|ψ|² − 1| (or |Tr ρ − 1|, |∫ρ − 1|) for a state to count as normalised.
NORM_TOL = 1e-6
#: Tolerance, relative to max|A|, on max|A − A†| for a matrix to count as Hermitian. Round-off
#: of products of a few well-conditioned matrices (U ρ U†, np.kron of mode operators) stays
#: below ~1e-13 relative, while any deliberate non-Hermitian part is many orders larger.
HERMITIAN_TOL = 1e-10


def positive(value, name: str) -> float:
    """A real scalar that is finite and > 0, as a float.

    Parameters
    ----------
    value : real number
        The argument to check (any units).
    name : str
        Parameter name, used in the messages.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bools are refused).
    ValueError
        If ``value`` is not finite or not > 0.

    Examples
    --------
    >>> positive(2, "mass")
    2.0
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return v


def non_negative(value, name: str, hint: str = "") -> float:
    """A real scalar that is finite and >= 0, as a float.

    Parameters
    ----------
    value : real number
        The argument to check (any units).
    name : str
        Parameter name, used in the messages.
    hint : str
        Appended to the range in the ValueError, e.g. ``" (0 = free streaming)"``.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bools are refused).
    ValueError
        If ``value`` is not finite or is negative: ``"{name} must be finite and >= 0{hint};
        got {value!r}."``.

    Examples
    --------
    >>> non_negative(0, "coupling")
    0.0
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0{hint}; got {value!r}.")
    return v


def count(value, name: str, minimum: int, why: str = "", maximum: int | None = None) -> int:
    """An integer in [minimum, maximum), as an int.

    Parameters
    ----------
    value : int
        The argument to check.
    name : str
        Parameter name, used in the messages.
    minimum : int
        Smallest value accepted.
    why : str
        Appended to the lower-bound message, e.g. ``" to estimate a standard error"``.
    maximum : int, optional
        First value refused (no upper bound if None).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer (bools are refused).
    ValueError
        If ``value`` is out of range.

    Examples
    --------
    >>> count(3, "n_modes", 1)
    3
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}{why}; got {value}.")
    if maximum is not None and value >= maximum:
        raise ValueError(f"{name} must be < {maximum}; got {value}.")
    return int(value)


def seeded(rng) -> tuple[np.random.Generator, int | str]:
    """The generator to use and the seed to record.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A generator (used as is), a non-negative seed, or None (a seed drawn from fresh
        entropy, so that the run can be replayed with ``rng=seed``).

    Returns
    -------
    tuple
        (generator, seed), the seed being an int, or ``"generator"`` if a Generator was passed.

    Raises
    ------
    TypeError
        For anything else.
    ValueError
        For a negative seed.

    Examples
    --------
    >>> seeded(7)[1]
    7
    """
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


def times(values, name: str = "times", *, minimum: int = 1, start="non-negative", hint=""):
    """Output times: a finite, strictly increasing 1D real array.

    Parameters
    ----------
    values : array_like, shape (n,)
        The times (units of the caller).
    name : str
        Parameter name, used in the messages.
    minimum : int
        Fewest times accepted.
    start : {"non-negative", "zero", None}
        Whether ``values[0]`` must be >= 0, exactly 0, or is free.
    hint : str
        Why they must start there, appended to that message, e.g. ``" (rho0 is at t = 0)"``.

    Returns
    -------
    ndarray, float64, shape (n,)
        ``np.asarray(values, dtype=float)`` (no copy for a float64 array).

    Raises
    ------
    TypeError
        If ``values`` is complex, boolean or not numeric.
    ValueError
        ``"{name} must be a non-empty 1D array of at least {minimum} time(s); got shape ..."``,
        ``"{name} holds non-finite values; ..."``, ``"{name} must be >= 0; got {name}[0] = ...
        They must start at t >= 0{hint}."`` (or ``"{name} must be output times starting at
        0{hint}; ..."``), or
        ``"{name} must be strictly increasing; sort them and drop duplicates."``.

    Examples
    --------
    >>> times([0, 0.5, 1.0])
    array([0. , 0.5, 1. ])
    """
    a = np.asarray(values)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.number) or a.dtype == object):
        raise TypeError(f"{name} must be a real numeric array; got dtype {a.dtype}.")
    if np.iscomplexobj(a):
        raise TypeError(f"{name} must be real; got a complex array.")
    t = np.asarray(a, dtype=float)
    if t.ndim != 1 or t.size < max(minimum, 1):
        raise ValueError(
            f"{name} must be a non-empty 1D array of at least {minimum} time(s); got shape "
            f"{t.shape}."
        )
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} holds non-finite values; pass finite times.")
    if start == "non-negative" and t[0] < 0:
        raise ValueError(
            f"{name} must be >= 0; got {name}[0] = {t[0]:g}. They must start at t >= 0{hint}."
        )
    if start == "zero" and t[0] != 0:
        raise ValueError(
            f"{name} must be output times starting at 0{hint}; got {name}[0] = {t[0]:g}."
        )
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing; sort them and drop duplicates.")
    return t


def complex_array(values, name: str) -> np.ndarray:
    """A finite numeric array as a new complex128 array.

    Parameters
    ----------
    values : array_like
        Real or complex numbers, any shape.
    name : str
        Parameter name, used in the messages.

    Returns
    -------
    ndarray, complex128, shape of ``values``
        A copy (``astype(complex)``), so callers may modify it.

    Raises
    ------
    TypeError
        If the dtype is not numeric (bools are refused).
    ValueError
        If an entry is not finite.

    Examples
    --------
    >>> complex_array([1, 2j], "psi")
    array([1.+0.j, 0.+2.j])
    """
    a = np.asarray(values)
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.bool_):
        raise TypeError(f"{name} must be a numeric array; got dtype {a.dtype}.")
    a = a.astype(np.complex128)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} holds non-finite entries; pass finite numbers.")
    return a


def hermitian(matrix: np.ndarray, name: str, fix: str = "") -> None:
    """Check max|A − A†| ≤ ``HERMITIAN_TOL``·max|A| (relative, so that any units pass).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        The matrix (any units).
    name : str
        Parameter name, used in the message.
    fix : str
        A second remedy, e.g. ``"set H[j, i] = conj(H[i, j])"``.

    Raises
    ------
    ValueError
        ``"{name} is not Hermitian (|A - A^dagger| > 1e-10 max|A|); use (A + A^dagger)/2 or
        {fix}."``

    Examples
    --------
    >>> hermitian(np.array([[1, 1j], [-1j, 2]]), "hamiltonian")
    """
    scale = max(float(np.abs(matrix).max()), 1e-300)
    if np.abs(matrix - matrix.conj().T).max() > HERMITIAN_TOL * scale:
        raise ValueError(
            f"{name} is not Hermitian (|A - A^dagger| > {HERMITIAN_TOL:g} max|A|); use "
            "(A + A^dagger)/2" + (f" or {fix}." if fix else ".")
        )


def hamiltonian(
    matrix, name: str = "hamiltonian", *, size: int | None = None, minimum: int = 1, what=""
) -> np.ndarray:
    """A finite, square, Hermitian matrix as a new complex128 array.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        The Hamiltonian (energy units).
    name : str
        Parameter name, used in the messages.
    size : int, optional
        Required n (e.g. the dimension of the state); any n >= ``minimum`` if None.
    minimum : int
        Smallest n accepted when ``size`` is None.
    what : str
        Appended to the shape message, e.g. ``" to match rho0"``.

    Returns
    -------
    ndarray, complex128, shape (n, n)
        As :func:`complex_array`.

    Raises
    ------
    TypeError
        As :func:`complex_array`.
    ValueError
        For non-finite entries, ``"{name} must be a (n, n) matrix{what}; got shape ..."`` (or
        ``"a square (n, n) matrix with n >= {minimum}"``), or as :func:`hermitian`.

    Examples
    --------
    >>> hamiltonian([[0, 1], [1, 0]], size=2)
    array([[0.+0.j, 1.+0.j],
           [1.+0.j, 0.+0.j]])
    """
    h = complex_array(matrix, name)
    if size is not None and h.shape != (size, size):
        raise ValueError(f"{name} must be a ({size}, {size}) matrix{what}; got shape {h.shape}.")
    if h.ndim != 2 or h.shape[0] != h.shape[1] or h.shape[0] < minimum:
        raise ValueError(
            f"{name} must be a square (n, n) matrix with n >= {minimum}{what}; got shape {h.shape}."
        )
    hermitian(h, name, fix=f"set {name}[j, i] = conj({name}[i, j])")
    return h


def normalised(norm, name: str, quantity: str = "sum |psi|^2", *, squared: bool = True) -> None:
    """Check |norm − 1| ≤ ``NORM_TOL`` for one norm or an array of norms.

    Parameters
    ----------
    norm : float or array_like
        The computed norm(s), e.g. Σ|ψ|²ΔV or Tr ρ (dimensionless).
    name : str
        Parameter name, used in the message.
    quantity : str
        How the norm was computed, for the message.
    squared : bool
        True if the norm is quadratic in the argument (divide by its square root to fix),
        False if linear (a density or a density matrix: divide by the norm itself).

    Raises
    ------
    ValueError
        ``"{name} is not normalised: {quantity} = {norm} (tolerance 1e-06); divide it by
        sqrt({norm})."`` for the worst entry.

    Examples
    --------
    >>> normalised(1 + 1e-9, "psi0")
    """
    dev = np.abs(np.asarray(norm, dtype=float) - 1.0)
    if np.any(dev > NORM_TOL):
        worst = float(np.asarray(norm, dtype=float).flat[int(np.argmax(dev))])
        div = f"sqrt({worst:.9g})" if squared else f"{worst:.9g}"
        raise ValueError(
            f"{name} is not normalised: {quantity} = {worst:.9g} (tolerance {NORM_TOL:g}); "
            f"divide it by {div}."
        )


def born_weights(amplitudes, name: str, what: str = "levels") -> np.ndarray:
    """The Born weights |a_I|² of normalised amplitudes, shape (..., N) with N ≥ 2.

    Parameters
    ----------
    amplitudes : array_like, complex, shape (..., N)
        State vector(s) in a basis of N ≥ 2 levels (the last axis); Σ_I |a_I|² = 1.
    name : str
        Parameter name, used in the messages.
    what : str
        What the N basis states are, for the message (e.g. ``"detector states"``).

    Returns
    -------
    ndarray, float, shape (..., N)

    Raises
    ------
    ValueError
        If the last axis is missing or shorter than 2, or a state is not normalised
        (:func:`normalised`); TypeError as :func:`complex_array`.

    Examples
    --------
    >>> born_weights([0.6, 0.8j], "beta")
    array([0.36, 0.64])
    """
    a = complex_array(amplitudes, name)
    if a.ndim < 1 or a.shape[-1] < 2:
        raise ValueError(
            f"{name} must have shape (..., N) with N >= 2 {what}; got shape {a.shape}."
        )
    weights = np.abs(a) ** 2
    normalised(weights.sum(axis=-1), name, f"sum |{name}_I|^2")
    return weights


def fraction(value, name: str, meaning: str = "") -> float:
    """Check a real number in the closed interval [0, 1] (a weight or a probability).

    Parameters
    ----------
    value : float
        The number to check.
    name : str
        Parameter name, used in the messages.
    meaning : str
        What the number is, for the message (e.g. ``"the weight of Eq. (27)"``).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bool included).
    ValueError
        If it lies outside [0, 1].

    Examples
    --------
    >>> fraction(0.5, "q")
    0.5
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    if not 0 <= value <= 1:
        why = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must lie in [0, 1]{why}; got {value!r}.")
    return float(value)
