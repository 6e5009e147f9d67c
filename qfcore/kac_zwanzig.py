"""The Kac–Zwanzig heat bath and its generalised Langevin equation (paper 004, Section 6).

M. Derakhshani, "Semiclassical Newtonian field theories based on stochastic mechanics II" (2022),
Section 6, proposes to model environmental decoherence with the classical Kac–Zwanzig (KZ) model:
a heavy particle coupled bilinearly to n light harmonic oscillators (G. W. Ford, M. Kac and
P. Mazur, J. Math. Phys. 6, 504 (1965); R. Zwanzig, J. Stat. Phys. 9, 215 (1973); R. Zwanzig,
*Nonequilibrium Statistical Mechanics*, OUP 2001, ch. 1), and cites C.-H. Chou, B. L. Hu and
T. Yu, Physica A 387, 432 (2008) for the statement that N identical particles coupled with equal
strength couple to the bath through their centre of mass only. This module derives, computes and
cross-checks both statements.

Convention (derived here; :func:`langevin_derivation` checks every step in sympy). One particle
of mass M at x with momentum p, bath oscillators k = 1 … n of masses m_k, frequencies ω_k > 0 and
couplings c_k, with the counter-term that keeps the bath from renormalising U:

    H = p²/2M + U(x) + Σ_k [ p_k²/2m_k + ½ m_k ω_k² (q_k − c_k x/(m_k ω_k²))² ].

Hamilton's equations are q̈_k = −ω_k² q_k + c_k x/m_k and M ẍ = −U'(x) + Σ_k c_k (q_k −
c_k x/(m_k ω_k²)). Solving the first (variation of constants) and integrating by parts,

    q_k(t) − c_k x(t)/(m_k ω_k²) = (q_k(0) − c_k x(0)/(m_k ω_k²)) cos ω_k t
                                   + p_k(0)/(m_k ω_k) sin ω_k t
                                   − c_k/(m_k ω_k²) ∫_0^t cos ω_k(t − s) ẋ(s) ds,

so that, exactly and for any U,

    M ẍ = −U'(x) − ∫_0^t K(t − s) ẋ(s) ds + ξ(t),                       (GLE)
    K(t) = Σ_k c_k²/(m_k ω_k²) cos ω_k t,
    ξ(t) = Σ_k c_k [ (q_k(0) − c_k x(0)/(m_k ω_k²)) cos ω_k t + p_k(0)/(m_k ω_k) sin ω_k t ].

Spectral density J(ω) = (π/2) Σ_k c_k²/(m_k ω_k) δ(ω − ω_k), hence
K(t) = (2/π) ∫_0^∞ J(ω)/ω cos ωt dω and ∫_0^∞ K(t) dt = lim_{ω→0} J(ω)/ω (the friction η of an
Ohmic bath). In Gibbs equilibrium of H conditioned on x(0) (k_B = 1), the bath variables are
independent Gaussians, q_k(0) − c_k x(0)/(m_k ω_k²) ~ N(0, T/(m_k ω_k²)) and p_k(0) ~
N(0, m_k T), so ξ is a stationary Gaussian process with zero mean and
⟨ξ(t)ξ(s)⟩ = T K(t − s) (fluctuation–dissipation theorem of the second kind).
Closed forms (sympy-checked): Ohmic–Drude J = η ω ω_c²/(ω² + ω_c²) gives K(t) = η ω_c e^{−ω_c t};
Ohmic with exponential cut-off J = η ω e^{−ω/ω_c} gives K(t) = (2/π) η ω_c/(1 + ω_c² t²).
Both integrate to η; as ω_c → ∞ the memory term tends to η ẋ(t) (Markov limit: Langevin
friction η, white noise of strength 2ηT).

Centre-of-mass coupling (Chou, Hu & Yu 2008). N identical particles of mass m with an all-pairs
harmonic interaction (κ/2) Σ_{i<j} (x_i − x_j)², an optional harmonic trap ½ m Ω² Σ_i x_i², and
each coupled with the same c_k, so that x enters the bath term through X = Σ_i x_i (counter-term
c_k² X²/(2 m_k ω_k²) included). In the Oriols coordinates of paper 004, Eqs. (12)–(13),
x_cm = X/N and y_j = x_j − (√N x_cm + x_1)/(√N + 1) (j = 2 … N), the map x ↦ (√N x_cm, y) is
orthogonal and Σ_i ∂x_i/∂y_j = 0, so X = N x_cm identically, Σ_{i<j}(x_i − x_j)² = N Σ_j y_j²
and, with the conjugate momenta P = Σ_i p_i and p_{y_j} = m ẏ_j,

    H = [P²/2Nm + ½ N m Ω² x_cm² + Σ_k (p_k²/2m_k + ½ m_k ω_k² (q_k − N c_k x_cm/(m_k ω_k²))²)]
        + [Σ_j p_{y_j}²/2m + ½ (Nκ + mΩ²) Σ_j y_j²].

The relative coordinates are N − 1 free oscillators of frequency √(Nκ/m + Ω²) that never feel
the bath; the centre of mass is a KZ particle of mass M = Nm with couplings N c_k, hence memory
kernel N² K(t) and noise N ξ(t) (:func:`centre_of_mass_bath`). (A per-particle counter-term
Σ_i c_k² x_i²/(2m_kω_k²) would still leave y decoupled from the bath but shift its frequency.)
:func:`centre_of_mass_coupling` shows this for given N in sympy (Hessian blocks), and
:func:`centre_of_mass_coupling_general_n` proves it for symbolic N.

Algorithms and measured accuracy.

* :func:`discretise_bath`: midpoint frequencies ω_k = (k − ½)Δω, Δω = ω_max/n, and
  c_k² = (2/π) m_k ω_k J(ω_k) Δω, so that the discrete kernel is the midpoint rule of the kernel
  integral on [0, ω_max]. Two errors: the truncated tail (2/π)∫_{ω_max}^∞ J/ω cos ωt dω, whose
  size at t = 0 (``SpectralDensity.truncation``) the function bounds by ``max_truncation``, and
  aliasing: by Poisson summation the midpoint sum of an even integrand is Σ_m (−1)^m K(t + m T_r),
  so the discrete kernel is anti-periodic, K_n(t + T_r) = −K_n(t), with the *recurrence time*
  T_r = 2π/Δω, and carries the images −K(T_r − t) − K(T_r + t) + …. The discrete bath stands
  for the continuum only for t ≪ T_r. Measured for Ohmic–Drude (η = ω_c = 1): the error is
  largest at t = 0, where it equals the tail (2/π) arctan(ω_c/ω_max) plus the images to 1e-7
  (1.2738e-2 for ω_max = 50, n = 100, T_r = 12.6; 6.366e-3 for ω_max = 100, n = 2000).
* :func:`memory_kernel_from_spectral_density`: QUADPACK's QAWF (``scipy.integrate.quad`` with
  ``weight="cos"`` on [0, ∞)) for t > 0 and QAGI for t = 0; error ≤ 2e-14 η ω_c measured against
  both closed forms for 0 ≤ ω_c t ≤ 40, and the returned error estimates (≤ 6e-12) bound it.
* :func:`simulate`: the full Hamiltonian system (particles + bath) with DOP853
  (E. Hairer, S. P. Nørsett and G. Wanner, *Solving ODEs I*, Springer 1993, Sec. II.10),
  vectorised over samples; not symplectic, so energy drifts at the level of the tolerances
  (measured |ΔH|/H = 6.8e-10 over t = 20 with 200 oscillators, rtol = 1e-10, atol = 1e-12).
* :func:`solve_gle`: the GLE on a uniform grid t_n = n h with velocity Verlet for the local
  terms and the trapezoidal rule for the memory integral; the memory term at the new time
  (weight h/2 K(0) v_{n+1}) is treated implicitly, which makes the update explicit (a scalar
  division). Second order in h for a smooth kernel and noise: measured orders 2.002, 2.001
  against :func:`simulate` (h = 0.02 → 0.005, exponential cut-off bath, ω_max h = 0.6 → 0.15,
  max |Δx| = 7.4e-6 at h = 0.005) and 2.003, 2.001, 2.000 for a Drude bath (ω_max h = 0.64 →
  0.08). The noise of a discrete bath holds frequencies up to ω_max, so h ω_max ≲ 0.6 is
  needed to be in this asymptotic regime. Cost O(n_t²) per sample (one matrix–vector product
  per step). With the closed-form Drude kernel and no noise, x(t) tends to that of Langevin
  friction η as ω_c → ∞, with error ∝ 1/ω_c (measured 2.0e-3 at ω_c = 100, M = 5, η = 2).

Units: any consistent set, k_B = 1 (temperature in energy units).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
import sympy as sp
import xarray as xr
from scipy.integrate import IntegrationWarning, quad, solve_ivp

from qfcore._checks import count, positive, seeded
from qfcore.trajectories import oriols_coordinates

__all__ = [
    "SPECTRAL_DENSITIES",
    "BathState",
    "CentreOfMassCoupling",
    "HarmonicBath",
    "KernelQuadrature",
    "LangevinDerivation",
    "SpectralDensity",
    "bath_noise",
    "centre_of_mass_bath",
    "centre_of_mass_coupling",
    "centre_of_mass_coupling_general_n",
    "discretise_bath",
    "langevin_derivation",
    "memory_kernel",
    "memory_kernel_from_spectral_density",
    "ohmic_drude",
    "ohmic_drude_kernel",
    "ohmic_exponential",
    "ohmic_exponential_kernel",
    "simulate",
    "solve_gle",
    "spectral_density",
    "thermal_bath_sample",
]

#: Names accepted by :func:`spectral_density`.
SPECTRAL_DENSITIES = ("ohmic_drude", "ohmic_exponential")
_UNIFORM_RTOL = 1e-9  # relative tolerance on the spacing of a uniform time grid
_CHUNK = 2048  # rows of cos(ω t) built at once


# ----------------------------------------------------------------------------------------------
# validation


def _real(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    return v


def _non_negative(value, name: str, fix: str = "") -> float:
    v = _real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0{fix}; got {value!r}.")
    return v


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


def _check_times(times, name: str = "times", *, minimum: int = 1) -> np.ndarray:
    t = _array(times, name)
    if t.ndim != 1 or t.size < minimum:
        raise ValueError(
            f"{name} must be a 1D array of at least {minimum} output time(s); got shape {t.shape}."
        )
    if t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError(
            f"{name} must be >= 0 and strictly increasing (the bath is prepared at t = 0); "
            "sort them with numpy.unique(times)."
        )
    return t


def _check_bath(bath) -> HarmonicBath:
    if not isinstance(bath, HarmonicBath):
        raise TypeError(
            f"bath must be a HarmonicBath (from discretise_bath); got {type(bath).__name__}."
        )
    return bath


def _check_callable(fn, name: str):
    if fn is not None and not callable(fn):
        raise TypeError(f"{name} must be a callable of x (or None); got {type(fn).__name__}.")
    return fn


# ----------------------------------------------------------------------------------------------
# spectral densities and their kernels


def _omega(omega) -> np.ndarray:
    w = _array(omega, "omega")
    if np.any(w < 0):
        raise ValueError("omega must be >= 0 (J(ω) is defined on ω >= 0; J(−ω) = −J(ω)).")
    return w


def _lag(t) -> np.ndarray:
    return np.abs(_array(t, "t"))


def ohmic_drude(omega, friction, cutoff):
    """Ohmic spectral density with a Drude (Lorentzian) cut-off, J(ω) = η ω ω_c²/(ω² + ω_c²).

    Parameters
    ----------
    omega : float or array_like, any shape
        Angular frequencies ω >= 0 (1/time).
    friction : float
        η > 0, the Markovian friction coefficient lim J(ω)/ω (mass/time).
    cutoff : float
        ω_c > 0 (1/time).

    Returns
    -------
    ndarray, shape of ``omega``
        J(ω) (mass/time²).

    Raises
    ------
    ValueError
        Negative or non-finite ω, η <= 0 or ω_c <= 0.
    TypeError
        Non-numeric input.

    Notes
    -----
    Memory kernel :func:`ohmic_drude_kernel`. Source: U. Weiss, *Quantum Dissipative Systems*,
    4th ed., World Scientific 2012, Sec. 3.1; Zwanzig (2001), ch. 1.
    """
    eta, wc = positive(friction, "friction"), positive(cutoff, "cutoff")
    w = _omega(omega)
    return eta * w * wc**2 / (w**2 + wc**2)


def ohmic_exponential(omega, friction, cutoff):
    """Ohmic spectral density with an exponential cut-off, J(ω) = η ω e^{−ω/ω_c}.

    Parameters
    ----------
    omega : float or array_like, any shape
        Angular frequencies ω >= 0 (1/time).
    friction : float
        η > 0 (mass/time).
    cutoff : float
        ω_c > 0 (1/time).

    Returns
    -------
    ndarray, shape of ``omega``
        J(ω) (mass/time²).

    Raises
    ------
    ValueError, TypeError
        As :func:`ohmic_drude`.

    Notes
    -----
    Memory kernel :func:`ohmic_exponential_kernel`. Source: A. J. Leggett et al., Rev. Mod.
    Phys. 59, 1 (1987), Eq. (1.5); Weiss (2012), Sec. 3.1.
    """
    eta, wc = positive(friction, "friction"), positive(cutoff, "cutoff")
    w = _omega(omega)
    return eta * w * np.exp(-w / wc)


def ohmic_drude_kernel(t, friction, cutoff):
    """Memory kernel of the Ohmic–Drude bath, K(t) = η ω_c e^{−ω_c |t|} (closed form).

    Parameters
    ----------
    t : float or array_like, any shape
        Time lags (time); K is even in t.
    friction, cutoff : float
        η > 0 and ω_c > 0 as in :func:`ohmic_drude`.

    Returns
    -------
    ndarray, shape of ``t``
        K(t) (mass/time²); ∫_0^∞ K dt = η.

    Raises
    ------
    ValueError, TypeError
        Non-finite t, η <= 0 or ω_c <= 0.

    Notes
    -----
    K(t) = (2/π) ∫_0^∞ J(ω)/ω cos ωt dω, checked in sympy by :func:`langevin_derivation`.
    Source: Zwanzig (2001), Sec. 1.6.
    """
    eta, wc = positive(friction, "friction"), positive(cutoff, "cutoff")
    return eta * wc * np.exp(-wc * _lag(t))


def ohmic_exponential_kernel(t, friction, cutoff):
    """Memory kernel of the exponential cut-off bath, K(t) = (2/π) η ω_c/(1 + ω_c² t²).

    Parameters
    ----------
    t : float or array_like, any shape
        Time lags (time).
    friction, cutoff : float
        η > 0 and ω_c > 0 as in :func:`ohmic_exponential`.

    Returns
    -------
    ndarray, shape of ``t``
        K(t) (mass/time²); ∫_0^∞ K dt = η.

    Raises
    ------
    ValueError, TypeError
        Non-finite t, η <= 0 or ω_c <= 0.

    Notes
    -----
    Checked in sympy by :func:`langevin_derivation`. Source: Weiss (2012), Sec. 3.1.
    """
    eta, wc = positive(friction, "friction"), positive(cutoff, "cutoff")
    return 2.0 / np.pi * eta * wc / (1.0 + (wc * _lag(t)) ** 2)


_DENSITIES = {
    "ohmic_drude": (ohmic_drude, ohmic_drude_kernel),
    "ohmic_exponential": (ohmic_exponential, ohmic_exponential_kernel),
}


@dataclass(frozen=True)
class SpectralDensity:
    """A named spectral density J(ω) with its closed-form kernel; callable as ``J(omega)``.

    Build with :func:`spectral_density`. ``truncation(omega_max)`` is the fraction of
    K(0) = (2/π) ∫_0^∞ J/ω dω carried by ω > ω_max (what a bath cut at ω_max misses at t = 0).
    """

    name: str
    friction: float
    cutoff: float

    def __call__(self, omega):
        return _DENSITIES[self.name][0](omega, self.friction, self.cutoff)

    def kernel(self, t):
        """Closed-form memory kernel K(t), shape of ``t``."""
        return _DENSITIES[self.name][1](t, self.friction, self.cutoff)

    def truncation(self, omega_max) -> float:
        """(2/π)∫_{ω_max}^∞ J/ω dω / K(0): 1 − (2/π) arctan(ω_max/ω_c) or e^{−ω_max/ω_c}."""
        r = positive(omega_max, "omega_max") / self.cutoff
        if self.name == "ohmic_drude":
            return float(2.0 / np.pi * np.arctan(1.0 / r))
        return float(np.exp(-r))


def spectral_density(name: str, *, friction, cutoff) -> SpectralDensity:
    """A spectral density by name, with its closed-form kernel and truncation error.

    Parameters
    ----------
    name : str
        One of :data:`SPECTRAL_DENSITIES`: ``"ohmic_drude"`` (:func:`ohmic_drude`) or
        ``"ohmic_exponential"`` (:func:`ohmic_exponential`).
    friction : float
        η > 0 (mass/time).
    cutoff : float
        ω_c > 0 (1/time).

    Returns
    -------
    SpectralDensity
        Callable J(ω); ``.kernel(t)`` closed-form K(t); ``.truncation(omega_max)``.

    Raises
    ------
    ValueError
        Unknown name, η <= 0 or ω_c <= 0.
    TypeError
        Non-string name or non-numeric parameters.

    Notes
    -----
    Source: Weiss (2012), Sec. 3.1; Zwanzig (2001), ch. 1.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {SPECTRAL_DENSITIES}; got {name!r}.")
    if name not in _DENSITIES:
        raise ValueError(f"unknown spectral density {name!r}; choose one of {SPECTRAL_DENSITIES}.")
    return SpectralDensity(name, positive(friction, "friction"), positive(cutoff, "cutoff"))


def _density_over_omega(spectral_density) -> Callable[[float], float]:
    """g(ω) = J(ω)/ω as a scalar function, with g(0) from a tiny ω (0/0 otherwise)."""

    def g(w: float) -> float:
        w = max(w, 1e-300)
        return float(np.asarray(spectral_density(np.asarray(w)))) / w

    return g


def _check_density(spectral_density):
    if not callable(spectral_density):
        raise TypeError(
            "spectral_density must be a callable J(omega), e.g. spectral_density('ohmic_drude', "
            f"friction=1.0, cutoff=5.0); got {type(spectral_density).__name__}."
        )
    return spectral_density


# ----------------------------------------------------------------------------------------------
# the discrete bath


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
        J(ω) >= 0 (mass/time²), vectorised over an array of ω; from :func:`spectral_density`
        or any callable.
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
    :func:`bath_noise` of the result at x_cm(0). Derivation: :func:`centre_of_mass_coupling`.

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
    """
    bath = _check_bath(bath)
    n = count(n_particles, "n_particles", 1)
    return HarmonicBath(bath.frequencies, n * bath.couplings, bath.masses, spacing=bath.spacing)


# ----------------------------------------------------------------------------------------------
# kernels


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
    Source: Zwanzig (2001), Eq. (1.8); the GLE of the module docstring.
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


class KernelQuadrature(NamedTuple):
    """K(t) by quadrature and QUADPACK's absolute error estimate, both of the shape of t."""

    kernel: np.ndarray
    error: np.ndarray


def memory_kernel_from_spectral_density(
    t, spectral_density, *, epsabs=1e-11, limit=200, limlst=200
) -> KernelQuadrature:
    """K(t) = (2/π) ∫_0^∞ J(ω)/ω cos ωt dω by adaptive quadrature.

    For t ≠ 0, QUADPACK's QAWF (``scipy.integrate.quad`` with ``weight="cos"`` on [0, ∞)):
    integration cycle by cycle of cos ω|t| and Wynn's ε-extrapolation of the partial sums;
    for t = 0, QAGI on [0, ∞).

    Parameters
    ----------
    t : float or array_like, any shape
        Time lags (time).
    spectral_density : callable
        J(ω) (mass/time²), e.g. from :func:`spectral_density`; J/ω must be integrable.
    epsabs : float
        Absolute tolerance (> 0) on ∫ J/ω cos ωt dω (QAWF uses only an absolute tolerance).
    limit, limlst : int
        QUADPACK's subinterval and cycle limits (>= 1).

    Returns
    -------
    KernelQuadrature
        ``kernel`` and ``error`` (the estimate times 2/π), ndarrays of the shape of ``t``.

    Raises
    ------
    ValueError
        Non-finite t, epsabs <= 0, limits < 1, or a non-finite integral.
    TypeError
        A non-callable spectral density.

    Notes
    -----
    Measured error against the closed forms <= 2e-14 η ω_c (module docstring). Source:
    R. Piessens et al., *QUADPACK*, Springer 1983, Sec. 3.4 (QAWF); Zwanzig (2001), Eq. (1.24).
    """
    spectral_density = _check_density(spectral_density)
    tt = _lag(t)
    eps = positive(epsabs, "epsabs")
    lim = count(limit, "limit", 1)
    lst = count(limlst, "limlst", 1)
    g = _density_over_omega(spectral_density)
    flat = tt.ravel()
    val = np.empty(flat.size)
    err = np.empty(flat.size)
    for i, ti in enumerate(flat):
        if ti == 0.0:
            v, e = quad(g, 0.0, np.inf, epsabs=eps, epsrel=1e-12, limit=lim)
        else:
            v, e = quad(g, 0.0, np.inf, weight="cos", wvar=ti, epsabs=eps, limit=lim, limlst=lst)
        val[i], err[i] = v, e
    if not np.all(np.isfinite(val)):
        raise ValueError("the kernel integral is not finite; J(ω)/ω must be integrable.")
    return KernelQuadrature(
        (2.0 / np.pi * val).reshape(tt.shape), (2.0 / np.pi * err).reshape(tt.shape)
    )


# ----------------------------------------------------------------------------------------------
# thermal bath and its noise


class BathState(NamedTuple):
    """Initial bath coordinates q and momenta p, shape (n_samples, n), and the seed used
    (an int, or "generator" when a Generator was passed)."""

    q: np.ndarray
    p: np.ndarray
    seed: int | str


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


def thermal_bath_sample(bath, x0, temperature, n_samples, rng=None) -> BathState:
    """Initial bath states from the Gibbs distribution of H conditioned on the system position.

    Given x(0) = x0, the bath part of H is Σ_k [p_k²/2m_k + ½ m_k ω_k² (q_k − c_k x0/(m_kω_k²))²],
    so e^{−H/T} makes q_k ~ N(c_k x0/(m_k ω_k²), T/(m_k ω_k²)) and p_k ~ N(0, m_k T), all
    independent (k_B = 1). T = 0 gives the bath at rest in its x0-shifted minimum.

    Parameters
    ----------
    bath : HarmonicBath
    x0 : float or array_like, shape (n_samples,)
        The coordinate the bath couples to (length): the particle position; for N equally
        coupled particles, Σ_i x_i(0) (or x_cm(0) with :func:`centre_of_mass_bath`).
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
    """
    bath = _check_bath(bath)
    temp = _non_negative(temperature, "temperature", " (k_B = 1: temperature in energy units)")
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
    """
    bath = _check_bath(bath)
    q, p = _bath_arrays(bath, q0, p0)
    x = _positions(x0, "x0", q.shape[0])
    t = _check_times(times)
    w, c, m = bath.frequencies, bath.couplings, bath.masses
    a = c * (q - x[:, None] * (c / (m * w**2)))
    b = c * p / (m * w)
    phase = np.multiply.outer(w, t)
    return a @ np.cos(phase) + b @ np.sin(phase)


# ----------------------------------------------------------------------------------------------
# the full Hamiltonian system


def _evaluate(fn, x: np.ndarray, name: str) -> np.ndarray:
    out = np.asarray(fn(x), dtype=float)
    if out.shape != x.shape:
        out = np.broadcast_to(out, x.shape) if out.ndim == 0 else out
        if out.shape != x.shape:
            raise ValueError(
                f"{name} must return an array of the shape of x, {x.shape}; got {out.shape} "
                "(write it elementwise with numpy)."
            )
    return out


def simulate(
    bath,
    x0,
    v0,
    q0,
    p0,
    times,
    *,
    mass,
    force=None,
    potential=None,
    spring=0.0,
    rtol=1e-10,
    atol=1e-12,
) -> xr.Dataset:
    """Integrate the full Kac–Zwanzig Hamiltonian (particles + bath) with DOP853.

    One particle (x0 of shape (n_samples,)): H of the module docstring. N particles (x0 of shape
    (n_samples, N)): identical particles of mass m, each in the external potential U (force
    F = −U'), an all-pairs spring (κ/2) Σ_{i<j} (x_i − x_j)², and each coupled with the same
    c_k, i.e. through X = Σ_i x_i, with the counter-term:
    H = Σ_i [p_i²/2m + U(x_i)] + (κ/2) Σ_{i<j}(x_i − x_j)²
    + Σ_k [p_k²/2m_k + ½ m_k ω_k² (q_k − c_k X/(m_k ω_k²))²].
    All samples are integrated as one system (one step-size sequence).

    Parameters
    ----------
    bath : HarmonicBath
    x0, v0 : float or array_like, shape (n_samples,) or (n_samples, N)
        Initial positions (length) and velocities (length/time); a scalar or a length-1 axis is
        broadcast over the samples.
    q0, p0 : array_like, shape (n_samples, n), or (n,) for one sample
        Initial bath states, e.g. from :func:`thermal_bath_sample` (conditioned on X(0));
        n_samples is taken from them.
    times : array_like, shape (n_times,)
        Output times, >= 0 and strictly increasing; the run starts at t = 0.
    mass : float
        M > 0 (one particle) or m > 0 (each of N particles).
    force : callable or None
        F(x) = −U'(x), elementwise on an array of positions; None for a free particle.
    potential : callable or None
        U(x), elementwise; needed for ``energy`` when a force is given (None and no force: 0).
    spring : float
        κ >= 0 (mass/time²) between every pair; only for N >= 2.
    rtol, atol : float
        DOP853 tolerances (> 0).

    Returns
    -------
    xarray.Dataset
        One particle: ``x``, ``v`` (time, sample). N particles: ``x``, ``v`` (time, sample,
        particle), ``x_cm``, ``v_cm`` (time, sample) and the Oriols coordinates ``y``, ``w``
        (= ẏ) (time, sample, relative) of :func:`qfcore.trajectories.oriols_coordinates`.
        ``energy`` (time, sample): H, when the potential is known. Attributes ``n_particles``,
        ``mass``, ``spring``, ``rtol``, ``atol``, ``integrator``, ``n_rhs``.

    Raises
    ------
    ValueError
        Shape mismatches, non-finite input, mass <= 0, spring < 0 (or > 0 with one particle),
        times not >= 0 and increasing, a force of the wrong shape, tolerances <= 0, or a failed
        integration.
    TypeError
        Not a HarmonicBath, non-numeric input, non-callable force or potential.

    Notes
    -----
    Source: Zwanzig (2001), Sec. 1.6 (the model); Hairer, Nørsett & Wanner (1993), Sec. II.10
    (DOP853); Chou, Hu & Yu (2008) (N equally coupled particles).
    """
    bath = _check_bath(bath)
    q, p = _bath_arrays(bath, q0, p0)
    ns = q.shape[0]
    xa, va = _array(x0, "x0"), _array(v0, "v0")
    if xa.ndim > 2 or va.ndim > 2:
        raise ValueError("x0 and v0 must be scalars, (n_samples,) or (n_samples, N) arrays.")
    if xa.ndim == 2 or va.ndim == 2:
        shape = (ns, max(a.shape[1] for a in (xa, va) if a.ndim == 2))
        try:
            if xa.ndim == 1 or va.ndim == 1:
                raise ValueError
            x = np.broadcast_to(xa, shape).copy()
            v = np.broadcast_to(va, shape).copy()
        except ValueError:
            raise ValueError(
                f"x0 and v0 must be scalars or broadcast to (n_samples, N) = {shape} (n_samples "
                f"from q0); got shapes {xa.shape} and {va.shape}."
            ) from None
        many = True
    else:
        x = _positions(xa, "x0", ns)[:, None]
        v = _positions(va, "v0", ns)[:, None]
        many = False
    big_n = x.shape[1]
    t = _check_times(times)
    mm = positive(mass, "mass")
    kappa = _non_negative(spring, "spring")
    if kappa > 0 and big_n < 2:
        raise ValueError("spring couples particles: give x0 of shape (n_samples, N) with N >= 2.")
    force = _check_callable(force, "force")
    potential = _check_callable(potential, "potential")
    rt, at = positive(rtol, "rtol"), positive(atol, "atol")
    w, c, m = bath.frequencies, bath.couplings, bath.masses
    n = bath.n
    shift = c / (m * w**2)
    mw2 = m * w**2
    if force is not None:
        _evaluate(force, x, "force")
    width = 2 * big_n + 2 * n
    calls = [0]

    def rhs(_t, y):
        calls[0] += 1
        s = y.reshape(ns, width)
        xs, vs = s[:, :big_n], s[:, big_n : 2 * big_n]
        qs, ps = s[:, 2 * big_n : 2 * big_n + n], s[:, 2 * big_n + n :]
        total = xs.sum(axis=1)
        stretch = qs - total[:, None] * shift  # q_k − c_k X/(m_k ω_k²)
        f = (stretch @ c)[:, None] * np.ones((1, big_n))
        if force is not None:
            f = f + _evaluate(force, xs, "force")
        if kappa > 0:
            f = f - kappa * (big_n * xs - total[:, None])
        out = np.empty_like(s)
        out[:, :big_n] = vs
        out[:, big_n : 2 * big_n] = f / mm
        out[:, 2 * big_n : 2 * big_n + n] = ps / m
        out[:, 2 * big_n + n :] = -mw2 * stretch
        return out.ravel()

    y0 = np.concatenate([x, v, q, p], axis=1).ravel()
    sol = solve_ivp(rhs, (0.0, float(t[-1])), y0, method="DOP853", t_eval=t, rtol=rt, atol=at)
    if not sol.success:
        raise ValueError(f"DOP853 failed: {sol.message}; loosen rtol/atol or shorten times.")
    traj = sol.y.T.reshape(t.size, ns, width)
    xs, vs = traj[..., :big_n], traj[..., big_n : 2 * big_n]
    qs, ps = traj[..., 2 * big_n : 2 * big_n + n], traj[..., 2 * big_n + n :]
    data = {}
    if many:
        x_cm, y = oriols_coordinates(xs)
        v_cm, wy = oriols_coordinates(vs)
        data.update(
            x=(("time", "sample", "particle"), xs),
            v=(("time", "sample", "particle"), vs),
            x_cm=(("time", "sample"), x_cm),
            v_cm=(("time", "sample"), v_cm),
            y=(("time", "sample", "relative"), y),
            w=(("time", "sample", "relative"), wy),
        )
    else:
        data.update(x=(("time", "sample"), xs[..., 0]), v=(("time", "sample"), vs[..., 0]))
    if force is None or potential is not None:
        total = xs.sum(axis=-1)
        stretch = qs - total[..., None] * shift
        energy = (
            0.5 * mm * (vs**2).sum(-1)
            + 0.5 * kappa * (big_n * (xs**2).sum(-1) - total**2)
            + (0.5 * ps**2 / m + 0.5 * mw2 * stretch**2).sum(-1)
        )
        if potential is not None:
            energy = energy + _evaluate(potential, xs, "potential").sum(-1)
        data["energy"] = (("time", "sample"), energy)
    coords = {"time": t, "sample": np.arange(ns)}
    if many:
        coords.update(particle=np.arange(1, big_n + 1), relative=np.arange(2, big_n + 1))
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "n_particles": big_n,
            "mass": mm,
            "spring": kappa,
            "rtol": rt,
            "atol": at,
            "integrator": "DOP853 (scipy.integrate.solve_ivp)",
            "n_rhs": calls[0],
        },
    )


# ----------------------------------------------------------------------------------------------
# the generalised Langevin equation


def solve_gle(times, x0, v0, kernel, noise=None, *, mass, force=None) -> xr.Dataset:
    """Integrate M ẍ = F(x) − ∫_0^t K(t − s) ẋ(s) ds + ξ(t) on a uniform grid (second order).

    With t_n = n h, a_n = ẍ(t_n) and the trapezoidal memory sum
    I_n = h [½ K_n v_0 + Σ_{j=1}^{n−1} K_{n−j} v_j + ½ K_0 v_n]:

        x_{n+1} = x_n + h v_n + ½ h² a_n,
        v_{n+1} = v_n + ½ h (a_n + a_{n+1}),   M a_{n+1} = F(x_{n+1}) − I_{n+1} + ξ_{n+1}.

    I_{n+1} holds v_{n+1} with weight ½ h K_0, so the velocity update is solved exactly:
    v_{n+1} (1 + h² K_0/4M) = v_n + ½ h (a_n + [F(x_{n+1}) + ξ_{n+1} − I'_{n+1}]/M), I' the
    sum without its last term. Global error O(h²) for smooth K and ξ (velocity Verlet and the
    trapezoidal rule are both second order; the measured order is in the module docstring).

    Parameters
    ----------
    times : array_like, shape (n_times,)
        Uniform grid starting at 0, n_times >= 2 (time).
    x0, v0 : float or array_like, shape (n_samples,)
        Initial position (length) and velocity (length/time).
    kernel : array_like, shape (n_times,), or callable
        K at the lags t_n − t_0 (mass/time²), e.g. ``memory_kernel(times, bath)``; or a
        callable K(lag) evaluated there.
    noise : array_like, shape (n_times,) or (n_samples, n_times), or None
        ξ(t_n) (force), e.g. from :func:`bath_noise`; None for no noise.
    mass : float
        M > 0.
    force : callable or None
        F(x), elementwise on an array of shape (n_samples,); None for F = 0.

    Returns
    -------
    xarray.Dataset
        ``x``, ``v`` (time, sample); attributes ``dt``, ``scheme``, ``order`` (= 2), ``mass``.

    Raises
    ------
    ValueError
        Times not starting at 0, not increasing or not uniform (relative spacing deviation
        > 1e-9; the message names the worst step), fewer than 2 times, kernel or noise of the
        wrong shape, non-finite input, mass <= 0, or a force of the wrong shape.
    TypeError
        Non-numeric input or a non-callable force.

    Notes
    -----
    Source: Zwanzig (2001), Eq. (1.10) (the GLE); velocity Verlet, L. Verlet, Phys. Rev. 159,
    98 (1967); trapezoidal memory integral as in e.g. A. D. Baczewski and S. D. Bond,
    J. Chem. Phys. 139, 044107 (2013), Sec. II (direct quadrature of the memory term).
    """
    t = _check_times(times, minimum=2)
    if t[0] != 0:
        raise ValueError(f"times must start at 0 (the bath is prepared at t = 0); got {t[0]!r}.")
    steps = np.diff(t)
    h = float(t[-1] / (t.size - 1))
    worst = int(np.argmax(np.abs(steps - h)))
    if abs(steps[worst] - h) > _UNIFORM_RTOL * h:
        raise ValueError(
            f"times must be a uniform grid (step {worst} is {steps[worst]:.6g}, the mean step "
            f"{h:.6g}); use numpy.linspace(0, t_end, n_times)."
        )
    nt = t.size
    lags = t - t[0]
    if callable(kernel):
        k = _array(kernel(lags), "kernel")
    else:
        k = _array(kernel, "kernel")
    if k.shape != (nt,):
        raise ValueError(f"kernel must have shape (n_times,) = ({nt},); got {k.shape}.")
    mm = positive(mass, "mass")
    force = _check_callable(force, "force")
    xa, va = _array(x0, "x0"), _array(v0, "v0")
    if noise is None:
        xi = None
        sizes = [a.size for a in (xa, va) if a.ndim == 1]
    else:
        xi = _array(noise, "noise")
        if xi.ndim == 1:
            xi = xi[None, :]
        if xi.ndim != 2 or xi.shape[1] != nt:
            raise ValueError(
                f"noise must have shape (n_times,) or (n_samples, n_times) with n_times = {nt}; "
                f"got {np.shape(noise)}."
            )
        sizes = [a.size for a in (xa, va) if a.ndim == 1] + [xi.shape[0]]
    ns = max(sizes, default=1)
    x = _positions(xa, "x0", ns)
    v = _positions(va, "v0", ns)
    if xi is not None:
        if xi.shape[0] not in (1, ns):
            raise ValueError(f"noise must have {ns} rows (one per sample); got {xi.shape[0]}.")
        xi = np.broadcast_to(xi, (ns, nt))
    xi_t = np.zeros((nt, ns)) if xi is None else np.ascontiguousarray(xi.T)

    def f_of(pos):
        return np.zeros(ns) if force is None else _evaluate(force, pos, "force")

    xs = np.empty((nt, ns))
    vs = np.empty((nt, ns))
    xs[0], vs[0] = x, v
    acc = (f_of(x) + xi_t[0]) / mm
    denom = 1.0 + h * h * k[0] / (4.0 * mm)
    for n in range(nt - 1):
        xs[n + 1] = xs[n] + h * vs[n] + 0.5 * h * h * acc
        hist = h * (0.5 * k[n + 1] * vs[0] + k[n:0:-1] @ vs[1 : n + 1])
        rest = f_of(xs[n + 1]) + xi_t[n + 1] - hist
        vs[n + 1] = (vs[n] + 0.5 * h * (acc + rest / mm)) / denom
        acc = (rest - 0.5 * h * k[0] * vs[n + 1]) / mm
    return xr.Dataset(
        {"x": (("time", "sample"), xs), "v": (("time", "sample"), vs)},
        coords={"time": t, "sample": np.arange(ns)},
        attrs={
            "dt": h,
            "mass": mm,
            "scheme": "velocity Verlet + trapezoidal memory (implicit last term)",
            "order": 2,
        },
    )


# ----------------------------------------------------------------------------------------------
# sympy: the derivation of the GLE


class LangevinDerivation(NamedTuple):
    """Residuals of the derivation in the module docstring; each simplifies to 0."""

    #: q̈_k + ω_k² q_k − c_k x/m_k for the variation-of-constants solution q_k(t) (any x(t)).
    oscillator: sp.Expr
    #: R'' + ω² R, R(0), R'(0) for R = c(q − c x/(mω²)) − ξ + ∫K ẋ: R ≡ 0, i.e. the GLE force.
    gle: tuple
    #: ⟨ξ(t)ξ(s)⟩ − T K(t − s) for one oscillator with the conditioned Gibbs variances.
    fluctuation_dissipation: sp.Expr
    #: (2/π)∫ J/ω cos ωt dω − closed form, for Drude and exponential cut-off.
    kernels: tuple
    #: ∫_0^∞ K dt − η for both, and lim_{ω_c→∞} ∫_0^t ω_c e^{−ω_c(t−s)} cos νs ds − cos νt.
    friction: tuple
    markov_limit: sp.Expr


@cache
def langevin_derivation() -> LangevinDerivation:
    """Sympy check of the Kac–Zwanzig derivation of the GLE and the Ohmic kernels.

    For one bath oscillator and an arbitrary trajectory x(t) (an undefined sympy Function):
    the variation-of-constants solution q(t) solves q̈ = −ω² q + c x/m; the difference
    R(t) = c(q − cx/(mω²)) − ξ(t) + ∫_0^t K(t − s) ẋ(s) ds obeys R'' + ω² R = 0 with
    R(0) = R'(0) = 0, hence R ≡ 0: the force of the bath on the particle is exactly
    ξ − ∫K ẋ (summing over oscillators gives the GLE). With the conditioned Gibbs variances
    T/(mω²) of q − cx(0)/(mω²) and p/(mω), ⟨ξ(t)ξ(s)⟩ = T K(t − s). The Drude and exponential
    kernels, their integrals (= η) and the Markov limit of the Drude memory term are computed
    by sympy's integrate / limit.

    Returns
    -------
    LangevinDerivation
        Residuals; ``sympy.simplify`` of each gives 0.

    Notes
    -----
    Takes 4–7 s (cached). Source: Zwanzig (2001), Sec. 1.6; Ford, Kac & Mazur (1965).
    """
    t, s, ts = sp.symbols("t s t_s", real=True)
    w, m, c, temp, eta, wc, nu = sp.symbols("omega_k m_k c_k T eta omega_c nu", positive=True)
    q0, p0 = sp.symbols("q_k0 p_k0", real=True)
    x = sp.Function("x", real=True)

    def kern(lag):
        return c**2 / (m * w**2) * sp.cos(w * lag)

    q = (
        q0 * sp.cos(w * t)
        + p0 / (m * w) * sp.sin(w * t)
        + c / (m * w) * sp.Integral(sp.sin(w * (t - s)) * x(s), (s, 0, t))
    )
    xi = c * ((q0 - c * x(0) / (m * w**2)) * sp.cos(w * t) + p0 / (m * w) * sp.sin(w * t))
    mem = sp.Integral(kern(t - s) * sp.diff(x(s), s), (s, 0, t))
    r = c * (q - c * x(t) / (m * w**2)) - xi + mem
    oscillator = sp.simplify((sp.diff(q, t, 2) + w**2 * q - c * x(t) / m).doit())
    gle = (
        sp.simplify((sp.diff(r, t, 2) + w**2 * r).doit()),
        sp.simplify(r.subs(t, 0).doit()),
        sp.simplify(sp.diff(r, t).subs(t, 0).doit()),
    )
    var = temp / (m * w**2)  # variance of q − c x0/(mω²) and of p/(mω)
    cov = c**2 * var * (sp.cos(w * t) * sp.cos(w * ts) + sp.sin(w * t) * sp.sin(w * ts))
    fdt = sp.simplify(sp.expand_trig(cov - temp * kern(t - ts)))
    om = sp.Symbol("omega", positive=True)
    tp = sp.Symbol("t", positive=True)
    closed = (eta * wc * sp.exp(-wc * tp), 2 * eta * wc / (sp.pi * (1 + wc**2 * tp**2)))
    densities = (eta * om * wc**2 / (om**2 + wc**2), eta * om * sp.exp(-om / wc))
    kernels = tuple(
        sp.simplify(
            (sp.integrate(2 / sp.pi * jd / om * sp.cos(om * tp), (om, 0, sp.oo)) - kc).rewrite(
                sp.exp
            )
        )
        for jd, kc in zip(densities, closed, strict=True)
    )
    friction = tuple(sp.simplify(sp.integrate(kc, (tp, 0, sp.oo)) - eta) for kc in closed)
    conv = sp.integrate(wc * sp.exp(-wc * (tp - s)) * sp.cos(nu * s), (s, 0, tp))
    markov = sp.simplify(sp.limit(conv, wc, sp.oo) - sp.cos(nu * tp))
    return LangevinDerivation(oscillator, gle, fdt, kernels, friction, markov)


# ----------------------------------------------------------------------------------------------
# sympy: centre-of-mass-only coupling (Chou, Hu & Yu 2008)


@dataclass(frozen=True)
class CentreOfMassCoupling:
    """N equally coupled particles + bath, before and after the Oriols transformation.

    Every ``*_residual`` simplifies to zero (a zero matrix) when the statement holds.
    """

    n: int
    #: x_1 … x_N, p_1 … p_N; x_cm, y_2 … y_N, P, p_y2 … p_yN; q_k, p_k (real symbols).
    x: tuple
    p: tuple
    x_cm: sp.Symbol
    y: tuple
    momentum_cm: sp.Symbol
    momenta_y: tuple
    q: tuple
    p_bath: tuple
    #: m, κ, Ω and the bath parameters m_k, ω_k, c_k (positive / real symbols).
    m: sp.Symbol
    spring: sp.Symbol
    trap: sp.Symbol
    bath_masses: tuple
    bath_frequencies: tuple
    couplings: tuple
    #: H(x, p, q, p_k) and H(x_cm, y, P, p_y, q, p_k) (p = Aᵀπ, x = A⁻¹u, u = A x).
    hamiltonian: sp.Expr
    transformed: sp.Expr
    #: ∂²H/∂(y, p_y)∂(q, p_k): shape (2(N − 1), 2n), all zero — no relative–bath coupling.
    relative_bath_hessian: sp.Matrix
    #: ∂²H/∂x_cm∂q_k, shape (1, n): −N c_k.
    cm_bath_hessian: sp.Matrix
    #: H − H_cm − H_rel with H_cm = H|_{y=p_y=0}, H_rel = H|_{x_cm=P=q=p_k=0}: exact split.
    separation_residual: sp.Expr
    #: H_rel − [Σ p_y²/2m + ½ (Nκ + mΩ²) Σ y²] (no bath symbol left in H_rel).
    relative_residual: sp.Expr
    #: H_cm − KZ Hamiltonian of one particle of mass Nm with couplings N c_k.
    cm_residual: sp.Expr
    #: Effective centre-of-mass mass Nm, couplings N c_k, kernel factor N², noise factor N.
    cm_mass: sp.Expr
    cm_couplings: tuple
    kernel_factor: sp.Expr
    noise_factor: sp.Expr


def centre_of_mass_coupling(n_particles: int, n_oscillators: int = 2) -> CentreOfMassCoupling:
    """Show in sympy that N equally coupled identical particles couple to a bath only through
    their centre of mass (Chou, Hu & Yu 2008), in the Oriols coordinates of paper 004.

    H = Σ_i [p_i²/2m + ½ m Ω² x_i²] + (κ/2) Σ_{i<j} (x_i − x_j)²
        + Σ_k [p_k²/2m_k + ½ m_k ω_k² (q_k − c_k X/(m_k ω_k²))²],  X = Σ_i x_i,

    (all-pairs springs κ, a harmonic trap Ω that may be set to 0) is rewritten with
    u = (x_cm, y_2, …, y_N) = A x of Eqs. (12)–(13) and the conjugate momenta π = A⁻ᵀ p (a point
    canonical transformation, p = Aᵀ π). The relative–bath block of the Hessian vanishes, the
    centre-of-mass–bath block is −N c_k, H splits exactly into H_cm + H_rel, H_rel is N − 1 free
    oscillators of frequency² Nκ/m + Ω², and H_cm is the KZ Hamiltonian of a particle of mass
    M = Nm with couplings N c_k (kernel N² K, noise N ξ). For every N at once see
    :func:`centre_of_mass_coupling_general_n`.

    Parameters
    ----------
    n_particles : int
        2 <= N <= 8 (sympy cost grows like N³; N = 6 takes about a second).
    n_oscillators : int
        Number of bath oscillators, 1 <= n <= 6 (the statement is per oscillator).

    Returns
    -------
    CentreOfMassCoupling

    Raises
    ------
    TypeError, ValueError
        Non-integer arguments, or N, n outside their ranges.

    Notes
    -----
    Source: C.-H. Chou, B. L. Hu and T. Yu, Physica A 387, 432 (2008), Sec. 2; paper 004,
    Eqs. (12)–(13) and Section 6.
    """
    big_n = count(n_particles, "n_particles", 2, " (a centre of mass and a y_j)", maximum=9)
    nb = count(n_oscillators, "n_oscillators", 1, maximum=7)
    return _centre_of_mass_coupling(big_n, nb)


@cache
def _centre_of_mass_coupling(big_n: int, nb: int) -> CentreOfMassCoupling:
    x = sp.symbols(f"x1:{big_n + 1}", real=True)
    p = sp.symbols(f"p1:{big_n + 1}", real=True)
    x_cm = sp.Symbol("x_cm", real=True)
    y = sp.symbols(f"y2:{big_n + 1}", real=True)
    pc = sp.Symbol("P", real=True)
    py = sp.symbols(f"p_y2:{big_n + 1}", real=True)
    q = sp.symbols(f"q1:{nb + 1}", real=True)
    pk = sp.symbols(f"p_q1:{nb + 1}", real=True)
    m, kappa, trap = sp.symbols("m kappa Omega", positive=True)
    mk = sp.symbols(f"m_q1:{nb + 1}", positive=True)
    wk = sp.symbols(f"omega1:{nb + 1}", positive=True)
    ck = sp.symbols(f"c1:{nb + 1}", real=True)

    def bath_terms(total, couplings):
        return sp.Add(
            *(
                pk[k] ** 2 / (2 * mk[k])
                + mk[k] * wk[k] ** 2 / 2 * (q[k] - couplings[k] * total / (mk[k] * wk[k] ** 2)) ** 2
                for k in range(nb)
            )
        )

    total = sp.Add(*x)
    h = (
        sp.Add(*(pi**2 / (2 * m) + m * trap**2 * xi**2 / 2 for xi, pi in zip(x, p, strict=True)))
        + kappa
        / 2
        * sp.Add(*((x[i] - x[j]) ** 2 for i in range(big_n) for j in range(i + 1, big_n)))
        + bath_terms(total, ck)
    )
    root = sp.sqrt(big_n)
    cm = total / big_n
    forward = [cm, *(x[j] - (root * cm + x[0]) / (root + 1) for j in range(1, big_n))]
    a = sp.Matrix([[sp.diff(u, xi) for xi in x] for u in forward])
    a_inv = sp.simplify(a.inv())
    u = sp.Matrix([x_cm, *y])
    pi_vec = sp.Matrix([pc, *py])
    x_new = a_inv * u
    p_new = a.T * pi_vec
    subs = {**dict(zip(x, x_new, strict=True)), **dict(zip(p, p_new, strict=True))}
    ht = sp.expand(sp.simplify(sp.expand(h.xreplace(subs))))
    rel_vars = (*y, *py)
    bath_vars = (*q, *pk)
    rel_bath = sp.Matrix([[sp.diff(ht, a_, b_) for b_ in bath_vars] for a_ in rel_vars])
    cm_bath = sp.Matrix([[sp.diff(ht, x_cm, qk) for qk in q]])
    h_cm = ht.subs(dict.fromkeys(rel_vars, 0))
    h_rel = ht.subs(dict.fromkeys((x_cm, pc, *bath_vars), 0))
    h_rel_expected = sp.Add(*(pj**2 / (2 * m) for pj in py)) + (big_n * kappa + m * trap**2) / 2 * (
        sp.Add(*(yj**2 for yj in y))
    )
    big_m = big_n * m
    cm_c = tuple(big_n * ckk for ckk in ck)
    h_cm_expected = pc**2 / (2 * big_m) + big_m * trap**2 * x_cm**2 / 2 + bath_terms(x_cm, cm_c)
    return CentreOfMassCoupling(
        n=big_n,
        x=x,
        p=p,
        x_cm=x_cm,
        y=y,
        momentum_cm=pc,
        momenta_y=py,
        q=q,
        p_bath=pk,
        m=m,
        spring=kappa,
        trap=trap,
        bath_masses=mk,
        bath_frequencies=wk,
        couplings=ck,
        hamiltonian=h,
        transformed=ht,
        relative_bath_hessian=sp.simplify(rel_bath),
        cm_bath_hessian=sp.simplify(cm_bath),
        separation_residual=sp.simplify(ht - h_cm - h_rel),
        relative_residual=sp.simplify(h_rel - h_rel_expected),
        cm_residual=sp.simplify(sp.expand(h_cm - h_cm_expected)),
        cm_mass=big_m,
        cm_couplings=cm_c,
        kernel_factor=sp.Integer(big_n) ** 2,
        noise_factor=sp.Integer(big_n),
    )


def centre_of_mass_coupling_general_n() -> dict[str, sp.Expr]:
    """Centre-of-mass-only coupling for a symbolic number N of particles (a proof for all N).

    The inverse of Eqs. (12)–(13) is x_1 = x_cm − Y/√N, x_j = x_cm + y_j − Y/(N + √N)
    (j = 2 … N), with Y = Σ_j y_j. Sums over the particles need only Y and Q = Σ_j y_j²
    (Σ_{j>=2} x_j = (N − 1)(x_cm − Y/(N + √N)) + Y, and so on), so sympy can do them for a
    symbolic N. Each residual below vanishes identically in x_cm, y_j, Y, Q:

    - ``"inverse_cm"``, ``"inverse_y"``: x_cm(x(u)) − x_cm and y_j(x(u)) − y_j (the inverse);
    - ``"coupling"``: Σ_i x_i − N x_cm. The bath term depends on x only through X = Σ_i x_i, so
      it holds no y_j: ∂²H/∂y_j∂q_k = 0, and the centre of mass couples with N c_k;
    - ``"norm"``: Σ_i x_i² − (N x_cm² + Q): x ↦ (√N x_cm, y) is orthogonal, i.e.
      A⁻ᵀA⁻¹ = diag(N, 1, …, 1), equivalently A Aᵀ = diag(1/N, 1, …, 1), so the kinetic energy
      pᵀp/2m with p = Aᵀπ is P²/2Nm + Σ_j p_{y_j}²/2m and a harmonic trap splits likewise;
    - ``"pairs"``: Σ_{i<j} (x_i − x_j)² − N Q, using Σ_{i<j}(x_i − x_j)² = N Σ_i x_i² − X²:
      the all-pairs spring acts on y only.

    Together: H = H_cm(x_cm, P, q, p_k) + H_rel(y, p_y) for every N, as in
    :func:`centre_of_mass_coupling`.

    Returns
    -------
    dict
        The residual expressions (each simplifies to 0) and the symbols ``"N"``, ``"Y"``,
        ``"Q"``.

    Notes
    -----
    Source: Chou, Hu & Yu (2008), Sec. 2; paper 004, Eqs. (12)–(13).
    """
    big_n = sp.Symbol("N", positive=True, integer=True)
    x_cm, yj, big_y = sp.symbols("x_cm y_j Y", real=True)
    big_q = sp.Symbol("Q", nonnegative=True)
    root = sp.sqrt(big_n)
    first = x_cm - big_y / root
    base = x_cm - big_y / (big_n + root)  # x_j − y_j for every j >= 2
    xj = base + yj
    total = first + (big_n - 1) * base + big_y  # Σ_i x_i
    squares = first**2 + (big_n - 1) * base**2 + 2 * base * big_y + big_q  # Σ_i x_i²
    return {
        "N": big_n,
        "Y": big_y,
        "Q": big_q,
        "inverse_cm": sp.simplify(sp.expand(total / big_n - x_cm)),
        "inverse_y": sp.simplify(sp.expand(xj - (root * total / big_n + first) / (root + 1) - yj)),
        "coupling": sp.simplify(sp.expand(total - big_n * x_cm)),
        "norm": sp.simplify(sp.expand(squares - big_n * x_cm**2 - big_q)),
        "pairs": sp.simplify(sp.expand(big_n * squares - total**2 - big_n * big_q)),
    }
