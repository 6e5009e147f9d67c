"""The discrete Kac–Zwanzig bath: n harmonic oscillators standing for a spectral density.

A :class:`HarmonicBath` holds the frequencies ω_k, couplings c_k and masses m_k of the
Hamiltonian of :mod:`qfcore.kac_zwanzig.derivations`; its memory kernel is
K(t) = Σ_k c_k²/(m_k ω_k²) cos ω_k t (:func:`memory_kernel`). :func:`centre_of_mass_bath` is the
bath seen by the centre of mass of N equally coupled particles (couplings N c_k).

Algorithm and measured accuracy. :func:`discretise_bath`: midpoint frequencies
ω_k = (k − ½)Δω, Δω = ω_max/n, and c_k² = (2/π) m_k ω_k J(ω_k) Δω, so that the discrete kernel
is the midpoint rule of the kernel integral on [0, ω_max]
(:mod:`qfcore.kac_zwanzig.spectral`). Two errors: the truncated tail
(2/π)∫_{ω_max}^∞ J/ω cos ωt dω, whose size at t = 0 (``SpectralDensity.truncation``) the
function bounds by ``max_truncation``, and aliasing: by Poisson summation the midpoint sum of an
even integrand is Σ_m (−1)^m K(t + m T_r), so the discrete kernel is anti-periodic,
K_n(t + T_r) = −K_n(t), with the *recurrence time* T_r = 2π/Δω, and carries the images
−K(T_r − t) − K(T_r + t) + …. The discrete bath stands for the continuum only for t ≪ T_r.
Measured for Ohmic–Drude (η = ω_c = 1): the error is largest at t = 0, where it equals the tail
(2/π) arctan(ω_c/ω_max) plus the images to 1e-7 (1.2738e-2 for ω_max = 50, n = 100,
T_r = 12.6; 6.366e-3 for ω_max = 100, n = 2000).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import IntegrationWarning, quad

from qfcore._checks import count, positive
from qfcore.kac_zwanzig._validation import _array
from qfcore.kac_zwanzig.spectral import SpectralDensity, _check_density, _density_over_omega

_CHUNK = 2048  # rows of cos(ω t) built at once


def _check_bath(bath) -> HarmonicBath:
    if not isinstance(bath, HarmonicBath):
        raise TypeError(
            f"bath must be a HarmonicBath (from discretise_bath); got {type(bath).__name__}."
        )
    return bath


@dataclass(frozen=True, eq=False)
class HarmonicBath:
    """n bath oscillators: frequencies ω_k > 0 (1/time), couplings c_k (mass/time²) and masses
    m_k > 0, arrays of shape (n,). ``spacing`` is Δω for a uniform midpoint discretisation
    (:func:`discretise_bath`), else None; ``recurrence_time`` = 2π/Δω (inf without spacing).

    Raises ValueError on construction for mismatched shapes, n < 1, ω_k <= 0, m_k <= 0 or
    non-finite values.
    """

    frequencies: np.ndarray
    couplings: np.ndarray
    masses: np.ndarray
    spacing: float | None = None

    def __post_init__(self):
        w = _array(self.frequencies, "frequencies")
        c = _array(self.couplings, "couplings")
        m = _array(self.masses, "masses")
        if w.ndim != 1 or w.size < 1:
            raise ValueError(f"frequencies must be 1D with n >= 1 entries; got shape {w.shape}.")
        for arr, nm in ((c, "couplings"), (m, "masses")):
            if arr.shape != w.shape:
                raise ValueError(
                    f"{nm} must have the shape of frequencies, {w.shape}; got {arr.shape}."
                )
        if np.any(w <= 0):
            raise ValueError("frequencies must be > 0 (a zero mode has no restoring force).")
        if np.any(m <= 0):
            raise ValueError("masses must be > 0 for every oscillator.")
        if self.spacing is not None:
            object.__setattr__(self, "spacing", positive(self.spacing, "spacing"))
        for nm, arr in (("frequencies", w), ("couplings", c), ("masses", m)):
            arr.setflags(write=False)
            object.__setattr__(self, nm, arr)

    @property
    def n(self) -> int:
        return int(self.frequencies.size)

    @property
    def recurrence_time(self) -> float:
        return np.inf if self.spacing is None else 2.0 * np.pi / self.spacing

    @property
    def kernel_weights(self) -> np.ndarray:
        """c_k²/(m_k ω_k²), the amplitudes of K(t) = Σ_k (…) cos ω_k t."""
        return self.couplings**2 / (self.masses * self.frequencies**2)


def discretise_bath(
    spectral_density, n_oscillators, omega_max, *, bath_mass=1.0, max_truncation=0.02
) -> HarmonicBath:
    """n oscillators whose discrete spectral density reproduces J(ω) on [0, ω_max].

    ω_k = (k − ½)Δω, Δω = ω_max/n, m_k = ``bath_mass`` and c_k = √((2/π) m_k ω_k J(ω_k) Δω),
    so (π/2) c_k²/(m_k ω_k) = J(ω_k)Δω: each oscillator carries the spectral weight of its
    frequency bin, and the discrete kernel is the midpoint rule of K(t) = (2/π) ∫ J/ω cos ωt.
    The discrete bath behaves like the continuum only for t well below the recurrence time
    T_r = 2π/Δω = 2πn/ω_max: the discrete kernel is anti-periodic, K(t + T_r) = −K(t), and
    carries the aliases −K(T_r ∓ t) (module docstring). Choose n ≫ ω_max t_max/(2π).

    Parameters
    ----------
    spectral_density : SpectralDensity or callable
        J(ω) >= 0 (mass/time²), vectorised over an array of ω; from
        :func:`~qfcore.kac_zwanzig.spectral.spectral_density` or any callable.
    n_oscillators : int
        n >= 1.
    omega_max : float
        Highest frequency ω_max > 0 (1/time).
    bath_mass : float
        m_k > 0 for every oscillator (mass); K(t) and the noise statistics do not depend on it.
    max_truncation : float
        Largest accepted fraction of K(0) = (2/π) ∫_0^∞ J/ω dω carried by ω > ω_max
        (0 < max_truncation < 1). Closed form for a :class:`SpectralDensity` (Drude:
        (2/π) arctan(ω_c/ω_max), so the default 0.02 needs ω_max >= 31.8 ω_c; exponential:
        e^{−ω_max/ω_c}, ω_max >= 3.9 ω_c); by quadrature for any other callable.

    Returns
    -------
    HarmonicBath
        With ``spacing`` = Δω and ``recurrence_time`` = 2π/Δω.

    Raises
    ------
    ValueError
        n < 1, ω_max <= 0, bath_mass <= 0, max_truncation outside (0, 1), J negative or
        non-finite on the grid, J/ω not integrable, or ω_max too small for the cut-off (the
        message gives the truncated fraction and what to raise ω_max to).
    TypeError
        A non-callable spectral density or non-numeric parameters.

    Notes
    -----
    Source: Zwanzig (2001), Sec. 1.6 (discrete J); the midpoint discretisation and its
    recurrence are standard in system–bath simulations, e.g. I. R. Craig and D. E. Manolopoulos,
    J. Chem. Phys. 122, 084106 (2005), Sec. IV.

    Examples
    --------
    The discrete kernel at t = 0 against K(0) = (2/π) ∫_0^∞ J/ω dω of the continuum:

    >>> from qfcore.kac_zwanzig import spectral_density
    >>> j = spectral_density("ohmic_exponential", friction=1.0, cutoff=2.0)
    >>> bath = discretise_bath(j, 200, 40.0)
    >>> bath.n, round(bath.recurrence_time, 4)
    (200, 31.4159)
    >>> round(float(memory_kernel(0.0, bath)), 3), round(float(j.kernel(0.0)), 3)
    (1.273, 1.273)
    """
    spectral_density = _check_density(spectral_density)
    n = count(n_oscillators, "n_oscillators", 1, " (the bath needs an oscillator)")
    w_max = positive(omega_max, "omega_max")
    m = positive(bath_mass, "bath_mass")
    tol = positive(max_truncation, "max_truncation")
    if tol >= 1:
        raise ValueError(f"max_truncation must lie in (0, 1); got {max_truncation!r}.")
    if isinstance(spectral_density, SpectralDensity):
        frac = spectral_density.truncation(w_max)
        if frac > tol:
            need = (
                spectral_density.cutoff / np.tan(np.pi * tol / 2)
                if spectral_density.name == "ohmic_drude"
                else spectral_density.cutoff * np.log(1 / tol)
            )
            raise ValueError(
                f"omega_max = {w_max:g} is too small for the cutoff {spectral_density.cutoff:g}: "
                f"the bath would miss {frac:.3g} of K(0) (> max_truncation = {tol:g}); use "
                f"omega_max >= {need:.4g} or raise max_truncation."
            )
    else:
        g = _density_over_omega(spectral_density)
        with warnings.catch_warnings():
            warnings.simplefilter("error", IntegrationWarning)
            try:
                total, _ = quad(g, 0.0, np.inf, limit=200)
                tail, _ = quad(g, w_max, np.inf, limit=200)
            except IntegrationWarning:
                total = np.nan
        if not np.isfinite(total) or total <= 0:
            raise ValueError(
                "∫_0^∞ J(ω)/ω dω must be finite and > 0 (K(0) finite); give J a cut-off."
            )
        frac = tail / total
        if frac > tol:
            raise ValueError(
                f"omega_max = {w_max:g} is too small for this spectral density: the bath would "
                f"miss {frac:.3g} of K(0) (> max_truncation = {tol:g}); raise omega_max."
            )
    dw = w_max / n
    w = (np.arange(n) + 0.5) * dw
    jw = np.asarray(spectral_density(w), dtype=float)
    if jw.shape != w.shape:
        raise ValueError(
            f"spectral_density must return one value per frequency (shape {w.shape}); "
            f"got {jw.shape}; vectorise it with numpy."
        )
    if not np.all(np.isfinite(jw)) or np.any(jw < 0):
        raise ValueError("spectral_density must be finite and >= 0 on (0, omega_max].")
    masses = np.full(n, m)
    couplings = np.sqrt(2.0 / np.pi * masses * w * jw * dw)
    return HarmonicBath(w, couplings, masses, spacing=dw)


def centre_of_mass_bath(bath, n_particles) -> HarmonicBath:
    """The bath as seen by the centre of mass of N identical, equally coupled particles.

    Couplings N c_k (frequencies and masses unchanged): the CM obeys the GLE with mass Nm,
    kernel N² K(t) (:func:`memory_kernel` of the result) and noise N ξ, i.e.
    :func:`~qfcore.kac_zwanzig.thermal.bath_noise` of the result at x_cm(0). Derivation:
    :func:`~qfcore.kac_zwanzig.derivations.centre_of_mass_coupling`.

    Parameters
    ----------
    bath : HarmonicBath
        Couplings c_k of each particle.
    n_particles : int
        N >= 1.

    Returns
    -------
    HarmonicBath

    Raises
    ------
    TypeError, ValueError
        Not a HarmonicBath, or N not an int >= 1.

    Notes
    -----
    Source: Chou, Hu & Yu, Physica A 387, 432 (2008), Sec. 2.

    Examples
    --------
    >>> bath = HarmonicBath([1.0, 2.0], [0.5, 1.0], [1.0, 1.0])
    >>> float(memory_kernel(0.0, centre_of_mass_bath(bath, 3)) / memory_kernel(0.0, bath))
    9.0
    """
    bath = _check_bath(bath)
    n = count(n_particles, "n_particles", 1)
    return HarmonicBath(bath.frequencies, n * bath.couplings, bath.masses, spacing=bath.spacing)


def memory_kernel(t, bath) -> np.ndarray:
    """Memory kernel of a discrete bath, K(t) = Σ_k c_k²/(m_k ω_k²) cos ω_k t.

    Parameters
    ----------
    t : float or array_like, any shape
        Time lags (time).
    bath : HarmonicBath

    Returns
    -------
    ndarray, shape of ``t``
        K(t) (mass/time²).

    Raises
    ------
    TypeError, ValueError
        Not a HarmonicBath; non-numeric or non-finite t.

    Notes
    -----
    Source: Zwanzig (2001), Eq. (1.8); the GLE of :mod:`qfcore.kac_zwanzig.derivations`.
    """
    bath = _check_bath(bath)
    tt = _array(t, "t")
    flat = tt.ravel()
    out = np.empty(flat.size)
    amp = bath.kernel_weights
    for i in range(0, flat.size, _CHUNK):
        out[i : i + _CHUNK] = (
            np.cos(np.multiply.outer(flat[i : i + _CHUNK], bath.frequencies)) @ amp
        )
    return out.reshape(tt.shape)
