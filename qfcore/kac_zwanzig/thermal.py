"""Thermal initial states of the Kac–Zwanzig bath and the noise ξ(t) they give.

In Gibbs equilibrium of H (:mod:`qfcore.kac_zwanzig.derivations`) conditioned on x(0) (k_B = 1),
the bath variables are independent Gaussians, q_k(0) − c_k x(0)/(m_k ω_k²) ~ N(0, T/(m_k ω_k²))
and p_k(0) ~ N(0, m_k T) (:func:`thermal_bath_sample`), so the noise ξ of the GLE
(:func:`bath_noise`) is a stationary Gaussian process with zero mean and
⟨ξ(t)ξ(s)⟩ = T K(t − s) (fluctuation–dissipation theorem of the second kind; checked in sympy
by :func:`~qfcore.kac_zwanzig.derivations.langevin_derivation`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from qfcore import _checks
from qfcore._checks import count, non_negative, seeded
from qfcore.kac_zwanzig._validation import _bath_arrays, _positions
from qfcore.kac_zwanzig.bath import _check_bath


class BathState(NamedTuple):
    """Initial bath coordinates q and momenta p, shape (n_samples, n), and the seed used
    (an int, or "generator" when a Generator was passed)."""

    q: np.ndarray
    p: np.ndarray
    seed: int | str


def thermal_bath_sample(bath, x0, temperature, n_samples, *, rng=None) -> BathState:
    """Initial bath states from the Gibbs distribution of H conditioned on the system position.

    Given x(0) = x0, the bath part of H is Σ_k [p_k²/2m_k + ½ m_k ω_k² (q_k − c_k x0/(m_kω_k²))²],
    so e^{−H/T} makes q_k ~ N(c_k x0/(m_k ω_k²), T/(m_k ω_k²)) and p_k ~ N(0, m_k T), all
    independent (k_B = 1). T = 0 gives the bath at rest in its x0-shifted minimum.

    Parameters
    ----------
    bath : HarmonicBath
    x0 : float or array_like, shape (n_samples,)
        The coordinate the bath couples to (length): the particle position; for N equally
        coupled particles, Σ_i x_i(0) (or x_cm(0) with
        :func:`~qfcore.kac_zwanzig.bath.centre_of_mass_bath`).
    temperature : float
        T >= 0 (energy).
    n_samples : int
        Number of independent draws, >= 1.
    rng : numpy.random.Generator, int or None
        Source of randomness or seed (None: fresh entropy; the seed is returned).

    Returns
    -------
    BathState
        ``q``, ``p`` of shape (n_samples, n); ``seed``.

    Raises
    ------
    ValueError
        T < 0, n_samples < 1, x0 of the wrong shape, a negative seed.
    TypeError
        Not a HarmonicBath, non-numeric input, or an invalid rng.

    Notes
    -----
    Source: Zwanzig (2001), Sec. 1.6 (the initial bath ensemble behind Eq. (1.11)).

    Examples
    --------
    At T = 0 the bath rests at q_k = c_k x0/(m_k ω_k²):

    >>> from qfcore.kac_zwanzig import HarmonicBath
    >>> bath = HarmonicBath([1.0, 2.0], [0.5, 1.0], [1.0, 1.0])
    >>> thermal_bath_sample(bath, 2.0, 0.0, 1, rng=0).q
    array([[1. , 0.5]])
    """
    bath = _check_bath(bath)
    temp = non_negative(temperature, "temperature", " (k_B = 1: temperature in energy units)")
    ns = count(n_samples, "n_samples", 1)
    x = _positions(x0, "x0", ns)
    gen, seed = seeded(rng)
    w, c, m = bath.frequencies, bath.couplings, bath.masses
    centre = x[:, None] * (c / (m * w**2))[None, :]
    z = gen.standard_normal((2, ns, bath.n))
    q = centre + z[0] * np.sqrt(temp / (m * w**2))
    p = z[1] * np.sqrt(m * temp)
    return BathState(q, p, seed)


def bath_noise(bath, x0, q0, p0, times) -> np.ndarray:
    """The noise of the GLE for given initial bath states (exact, no time stepping).

    ξ(t) = Σ_k c_k [(q_k(0) − c_k x(0)/(m_k ω_k²)) cos ω_k t + p_k(0)/(m_k ω_k) sin ω_k t].

    Parameters
    ----------
    bath : HarmonicBath
    x0 : float or array_like, shape (n_samples,)
        x(0), the coordinate the bath couples to (length).
    q0, p0 : array_like, shape (n_samples, n) or (n,)
        Initial bath coordinates and momenta, e.g. from :func:`thermal_bath_sample`.
    times : array_like, shape (n_times,)
        Times >= 0, strictly increasing (time).

    Returns
    -------
    ndarray, shape (n_samples, n_times)
        ξ(t) (force).

    Raises
    ------
    ValueError
        Shape mismatches, non-finite input, times not >= 0 and increasing.
    TypeError
        Not a HarmonicBath or non-numeric input.

    Notes
    -----
    Source: Zwanzig (2001), Eq. (1.9); module docstring.

    Examples
    --------
    One oscillator (ω = 2, c = m = 1) displaced to q(0) = 1 at rest, x(0) = 0: ξ(t) = cos 2t.

    >>> from qfcore.kac_zwanzig import HarmonicBath
    >>> bath_noise(HarmonicBath([2.0], [1.0], [1.0]), 0.0, [1.0], [0.0], [0.0, np.pi / 2])
    array([[ 1., -1.]])
    """
    bath = _check_bath(bath)
    q, p = _bath_arrays(bath, q0, p0)
    x = _positions(x0, "x0", q.shape[0])
    t = _checks.times(times, hint=" (the bath is prepared at t = 0)")
    w, c, m = bath.frequencies, bath.couplings, bath.masses
    a = c * (q - x[:, None] * (c / (m * w**2)))
    b = c * p / (m * w)
    phase = np.multiply.outer(w, t)
    return a @ np.cos(phase) + b @ np.sin(phase)
