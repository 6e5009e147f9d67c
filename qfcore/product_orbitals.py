"""N bosons in one orbital: configurations from |Ψ|² and the exact size of the centre-of-mass force.

For the product state Ψ = Π_i φ(x_i) (the one product state that paper 004 counts as a
"wavefunction full of particles", text after its Eq. (46)) a configuration drawn from |Ψ|² is
N independent draws from |φ|². The forces of Eq. (47) then depend only on the first three
derivatives aᵢ, bᵢ, cᵢ of ln φ at the xᵢ (``trajectories.product_state_forces``); in
particular F_cm = (ħ²/2M)(C + 2AB) with A = Σaᵢ, B = Σbᵢ, C = Σcᵢ and M = Nm.

- :func:`sample_orbital` draws configurations and the derivatives for two orbitals of a
  Pöschl–Teller and a harmonic well: φ ∝ sech((x − x̄)/w) (generic: F_rel ≠ 0) and the
  Gaussian (special: b constant, c = 0, so F_rel ≡ 0).
- :func:`quantum_force_rms` gives ⟨F_cm²⟩ (and ⟨F_rel²⟩) exactly at every finite N, from
  one-particle moments of (a, b, c) under |φ|²: for an orbital symmetric about x̄ (a, c odd, b even),

      ⟨(C + 2AB)²⟩ = N⟨c²⟩ + 4[N⟨cab⟩ + N(N−1)⟨ca⟩b̄]
          + 4[N⟨a²b²⟩ + N(N−1)(⟨a²⟩⟨b²⟩ + 2⟨a²b⟩b̄) + N(N−1)(N−2)⟨a²⟩b̄²],

  and ⟨F_cm²⟩ = (ħ²/m)²⟨(C + 2AB)²⟩/(4N²), with b̄ = ⟨b⟩ (pairings of the iid sums; every
  term with an odd factor alone vanishes). So ⟨F_cm²⟩ = αN + β + γ/N: the local exponent of
  rms F_cm differs from ½ at finite N, and a fit over a window of N inherits that bias. For
  the Gaussian orbital the sum is N³⟨a²⟩b̄² and rms F_cm = ħ²√N/(4mσ³) exactly.

Units: ħ = m = 1 unless given; lengths in the orbital's unit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.integrate

from qfcore._checks import count, positive, seeded

__all__ = ["ORBITALS", "OrbitalSample", "QuantumForceRms", "quantum_force_rms", "sample_orbital"]

#: The orbitals this module knows.
ORBITALS = ("sech", "gauss")


class OrbitalSample(NamedTuple):
    """Result of :func:`sample_orbital`."""

    #: Configurations, shape ``shape`` (length).
    x: np.ndarray
    #: (ln φ)′, (ln φ)″, (ln φ)‴ at x, shape (3, *shape) (1/length, 1/length², 1/length³).
    log_derivatives: np.ndarray


def _check(kind: str, width) -> float:
    if kind not in ORBITALS:
        raise ValueError(f"kind must be one of {ORBITALS}; got {kind!r}.")
    return positive(width, "width")


def _log_derivatives(kind: str, z: np.ndarray, width: float) -> np.ndarray:
    """(ln φ)′, ″, ‴ at x = x̄ + width·z."""
    if kind == "sech":
        th, s2 = np.tanh(z), 1 / np.cosh(z) ** 2
        return np.stack([-th / width, -s2 / width**2, 2 * s2 * th / width**3])
    return np.stack([-z / (2 * width), np.full(z.shape, -1 / (2 * width**2)), np.zeros(z.shape)])


def sample_orbital(kind: str, shape, *, centre: float = 0.0, width: float = 1.0, rng=None):
    """Configurations iid from |φ|² and the derivatives of ln φ at them.

    Parameters
    ----------
    kind : {"sech", "gauss"}
        φ ∝ sech((x − x̄)/w) (|φ|² has standard deviation πw/√12; drawn by inverting its
        distribution function, z = artanh(2u − 1)) or φ ∝ exp(−(x − x̄)²/4σ²) (|φ|² normal with
        standard deviation σ).
    shape : int or tuple of int
        Shape of the configurations, e.g. (n_configurations, N).
    centre : float
        x̄ (length).
    width : float
        w for "sech", σ for "gauss" (length, > 0).
    rng : numpy.random.Generator, int or None
        Source of the draws: a Generator (used as is), a non-negative int seed, or None (fresh
        OS entropy, not reproducible; pass an int seed).

    Returns
    -------
    OrbitalSample

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``width`` ≤ 0 or a negative seed.
    TypeError
        For an ``rng`` that is not a Generator, an int or None.

    Examples
    --------
    >>> s = sample_orbital("gauss", (4, 3), width=2.0, rng=1)
    >>> s.x.shape, s.log_derivatives.shape
    ((4, 3), (3, 4, 3))
    """
    width = _check(kind, width)
    gen, _ = seeded(rng)
    if kind == "sech":
        z = np.arctanh(2 * gen.random(shape) - 1)
        return OrbitalSample(centre + width * z, _log_derivatives(kind, z, width))
    z = gen.normal(size=shape)
    return OrbitalSample(centre + width * z, _log_derivatives(kind, z, width))


def _density(kind: str, z: float) -> float:
    """|φ|² in the reduced variable z = (x − x̄)/width (normalised in z)."""
    if kind == "sech":
        return 0.5 / math.cosh(z) ** 2
    return math.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)


class QuantumForceRms(NamedTuple):
    """Result of :func:`quantum_force_rms`: exact rms forces, each of shape ``n_particles``."""

    centre_of_mass: np.ndarray  # sqrt⟨F_cm²⟩
    relative: np.ndarray  # sqrt⟨F_rel²⟩


def quantum_force_rms(kind: str, n_particles, *, width: float = 1.0, mass: float = 1.0,
                      hbar: float = 1.0) -> QuantumForceRms:  # fmt: skip
    """Exact root-mean-square F_cm and F_rel of Eq. (47) for N bosons in one orbital, at finite N.

    The one-particle moments of (a, b, c) under |φ|² are integrated by quadrature (relative
    error ≲ 1e-10) and combined by the pairing formula of the module docstring. For F_rel
    = (ħ²/2m)D − F_cm with D = Σdᵢ, dᵢ = cᵢ + 2aᵢbᵢ (⟨d⟩ = 0 for a symmetric orbital):
    ⟨F_rel²⟩ = (ħ²/m)²[⟨D²⟩/4 − ⟨D(C + 2AB)⟩/(2N)] + ⟨F_cm²⟩ with ⟨D²⟩ = N⟨d²⟩ and
    ⟨D(C + 2AB)⟩ = N⟨dc⟩ + 2N⟨dab⟩ + 2N(N−1)⟨da⟩b̄.

    Parameters
    ----------
    kind : {"sech", "gauss"}
        The orbital (see :func:`sample_orbital`).
    n_particles : int or array_like of int
        N ≥ 1.
    width : float
        w for "sech", σ for "gauss" (length, > 0).
    mass, hbar : float
        Particle mass m > 0 (M = Nm) and ħ > 0.

    Returns
    -------
    QuantumForceRms
        sqrt⟨F_cm²⟩ and sqrt⟨F_rel²⟩ (energy/length), shape of ``n_particles``.

    Raises
    ------
    ValueError
        For an unknown ``kind``, N < 1, or non-positive ``width``, ``mass``, ``hbar``.

    Notes
    -----
    Source: paper 004 Eqs. (47), (55)–(58); ``trajectories.product_state_forces`` for the
    forces. The Gaussian case reproduces the corrected Eq. (55), ħ²√N/(4mσ³), and F_rel = 0.

    Examples
    --------
    >>> r = quantum_force_rms("gauss", 16, width=0.5)
    >>> round(float(r.centre_of_mass), 10), round(float(r.relative), 6)
    (8.0, 0.0)
    """
    width = _check(kind, width)
    mass, hbar = positive(mass, "mass"), positive(hbar, "hbar")
    n_arr = np.asarray(n_particles)
    for n_i in n_arr.ravel():
        count(int(n_i), "n_particles", 1)
    n = n_arr.astype(float)

    def moment(f) -> float:
        def integrand(z):
            a, b, c = _log_derivatives(kind, np.array(z), width)
            return f(a, b, c) * _density(kind, z)

        return scipy.integrate.quad(integrand, -40, 40, epsabs=0, epsrel=1e-12, limit=200)[0]

    c2, cab, ca = (moment(f) for f in (lambda a, b, c: c * c, lambda a, b, c: c * a * b,
                                        lambda a, b, c: c * a))  # fmt: skip
    b_mean, a2, b2 = (moment(f) for f in (lambda a, b, c: b, lambda a, b, c: a * a,
                                           lambda a, b, c: b * b))  # fmt: skip
    a2b, a2b2 = moment(lambda a, b, c: a * a * b), moment(lambda a, b, c: (a * b) ** 2)
    cm_sum = (
        n * c2
        + 4 * (n * cab + n * (n - 1) * ca * b_mean)
        + 4 * (n * a2b2 + n * (n - 1) * (a2 * b2 + 2 * a2b * b_mean))
        + 4 * n * (n - 1) * (n - 2) * a2 * b_mean**2
    )
    d2 = moment(lambda a, b, c: (c + 2 * a * b) ** 2)
    dc, dab, da = (moment(f) for f in (lambda a, b, c: (c + 2 * a * b) * c,
                                        lambda a, b, c: (c + 2 * a * b) * a * b,
                                        lambda a, b, c: (c + 2 * a * b) * a))  # fmt: skip
    cross = n * dc + 2 * n * dab + 2 * n * (n - 1) * da * b_mean
    cm_sq = cm_sum / (4 * n**2)
    rel_sq = np.clip(n * d2 / 4 - cross / (2 * n) + cm_sq, 0.0, None)
    scale = hbar**2 / mass
    return QuantumForceRms(scale * np.sqrt(cm_sq), scale * np.sqrt(rel_sq))
