"""The Kac–Zwanzig heat bath and its generalised Langevin equation (paper 004, Section 6).

M. Derakhshani, "Semiclassical Newtonian field theories based on stochastic mechanics II" (2022),
Section 6, proposes to model environmental decoherence with the classical Kac–Zwanzig (KZ) model:
a heavy particle coupled bilinearly to n light harmonic oscillators (G. W. Ford, M. Kac and
P. Mazur, J. Math. Phys. 6, 504 (1965); R. Zwanzig, J. Stat. Phys. 9, 215 (1973); R. Zwanzig,
*Nonequilibrium Statistical Mechanics*, OUP 2001, ch. 1), and cites C.-H. Chou, B. L. Hu and
T. Yu, Physica A 387, 432 (2008) for the statement that N identical particles coupled with equal
strength couple to the bath through their centre of mass only. This package derives, computes and
cross-checks both statements.

One concept per submodule (everything public is re-exported here):

* :mod:`qfcore.kac_zwanzig.derivations`: the convention — the Hamiltonian H, the GLE with its
  memory kernel K and noise ξ — and centre-of-mass-only coupling, derived and checked in sympy
  (:func:`langevin_derivation`, :func:`centre_of_mass_coupling`,
  :func:`centre_of_mass_coupling_general_n`).
* :mod:`qfcore.kac_zwanzig.spectral`: spectral densities J(ω) (:func:`spectral_density`, the
  Ohmic closed forms) and the continuum kernel by quadrature
  (:func:`memory_kernel_from_spectral_density`).
* :mod:`qfcore.kac_zwanzig.bath`: the discrete bath (:class:`HarmonicBath`,
  :func:`discretise_bath`, :func:`centre_of_mass_bath`) and its kernel :func:`memory_kernel`.
* :mod:`qfcore.kac_zwanzig.thermal`: Gibbs initial bath states (:func:`thermal_bath_sample`) and
  the noise ξ(t) (:func:`bath_noise`).
* :mod:`qfcore.kac_zwanzig.dynamics`: the full Hamiltonian system (:func:`simulate`) and the GLE
  (:func:`solve_gle`).

Units: any consistent set, k_B = 1 (temperature in energy units).
"""

from qfcore.kac_zwanzig.bath import (
    HarmonicBath,
    centre_of_mass_bath,
    discretise_bath,
    memory_kernel,
)
from qfcore.kac_zwanzig.derivations import (
    CentreOfMassCoupling,
    LangevinDerivation,
    centre_of_mass_coupling,
    centre_of_mass_coupling_general_n,
    langevin_derivation,
)
from qfcore.kac_zwanzig.dynamics import (
    simulate,
    solve_gle,
)
from qfcore.kac_zwanzig.spectral import (
    SPECTRAL_DENSITIES,
    KernelQuadrature,
    SpectralDensity,
    memory_kernel_from_spectral_density,
    ohmic_drude,
    ohmic_drude_kernel,
    ohmic_exponential,
    ohmic_exponential_kernel,
    spectral_density,
)
from qfcore.kac_zwanzig.thermal import (
    BathState,
    bath_noise,
    thermal_bath_sample,
)

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
