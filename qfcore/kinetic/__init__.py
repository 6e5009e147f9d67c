"""1D self-gravitating sheets and their Vlasov–Poisson mean-field limit (paper 004, Section 5).

M. Derakhshani, "Semiclassical Newtonian field theories based on stochastic mechanics II" (2022).
Section 4 gives K large-N centre-of-mass "particles" classical Newtonian equations of motion
(Eqs. (100)–(102)); Section 5 scales the pair potential by 1/K (Eqs. (107), (109)), writes the
Vlasov equation for the empirical measure (Eqs. (110)–(111)) and states that K → ∞ gives the
1D Vlasov–Poisson system (Eqs. (112)–(115)). This package provides both sides of that limit in a
form that is consistent in one dimension, so that the convergence can be measured (T4.7, T4.8).

Submodules (every public name is re-exported here):

- :mod:`~qfcore.kinetic.sheets`: the force convention (g = 2πG, pair force g m_i m_j
  sign(x_j − x_i)), why the paper's 1/|x| kernel is not Poisson-consistent (T4.7), and the exact
  event-driven integration of K sheets (:func:`sheet_model`).
- :mod:`~qfcore.kinetic.vlasov`: the mean field and the semi-Lagrangian Strang-splitting solver
  of the 1D Vlasov–Poisson system (:func:`vlasov_poisson_1d`, ``INTERPOLATIONS``,
  ``MAX_OMEGA_DT``).
- :mod:`~qfcore.kinetic.initial_conditions`: the isothermal sheet, Gaussian clumps and K sheets
  drawn from a gridded f (:func:`isothermal_sheet`, :func:`gaussian_mixture`,
  :func:`sample_sheets`).
- :mod:`~qfcore.kinetic.distances`: Wasserstein-1 and binned L1 distances between sheets and
  gridded densities, and their mean for K independent samples (:func:`sheet_density`,
  :func:`binned_mass`, :func:`binned_l1`, :func:`marginal_wasserstein`,
  :func:`density_wasserstein`, :func:`expected_sampling_wasserstein`,
  :func:`expected_sampling_l1`, :func:`phase_space_distances`, :func:`sampling_noise`).
- :mod:`~qfcore.kinetic.convergence`: distances of K-sheet runs from a Vlasov run against the
  sampling noise, for several K (:func:`sheet_convergence`, :class:`SheetConvergence`; T4.8).

Units: any consistent set; the package never uses ħ. ``coupling`` g = 2πG, masses per sheet.
"""

from qfcore.kinetic.convergence import SheetConvergence, sheet_convergence
from qfcore.kinetic.distances import (
    binned_l1,
    binned_mass,
    density_wasserstein,
    expected_sampling_l1,
    expected_sampling_wasserstein,
    marginal_wasserstein,
    phase_space_distances,
    sampling_noise,
    sheet_density,
)
from qfcore.kinetic.initial_conditions import gaussian_mixture, isothermal_sheet, sample_sheets
from qfcore.kinetic.sheets import sheet_model
from qfcore.kinetic.vlasov import INTERPOLATIONS, MAX_OMEGA_DT, vlasov_poisson_1d

__all__ = [
    "INTERPOLATIONS",
    "MAX_OMEGA_DT",
    "SheetConvergence",
    "binned_l1",
    "binned_mass",
    "density_wasserstein",
    "expected_sampling_l1",
    "expected_sampling_wasserstein",
    "gaussian_mixture",
    "isothermal_sheet",
    "marginal_wasserstein",
    "phase_space_distances",
    "sample_sheets",
    "sampling_noise",
    "sheet_convergence",
    "sheet_density",
    "sheet_model",
    "vlasov_poisson_1d",
]
