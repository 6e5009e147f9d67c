"""Trajectory ensembles of stochastic mechanics and de Broglie–Bohm theory, boson velocities,
centre-of-mass (Oriols) coordinates and forces, and the quantum potential (paper 004).

Source: M. Derakhshani, "Semiclassical Newtonian field theories based on stochastic mechanics
II" (2022), Sections 2–3, Eqs. (9)–(13), (40)–(57), (72); X. Oriols et al., the centre-of-mass
scheme it imports (its Eqs. (12)–(13) transformation).

Submodules (every public name is re-exported here):

- :mod:`~qfcore.trajectories.ensembles`: Nelson and Bohm ensembles guided by frames of ψ on a 1D
  grid (:func:`velocity_fields`, :func:`nelson_ensemble`, :func:`bohm_ensemble`), Eqs. (9)–(11);
  their Gaussian increments come from the counter-based generator of
  :mod:`~qfcore.trajectories._random`.
- :mod:`~qfcore.trajectories.bosons`: permanents and their row derivatives by Glynn's formula,
  boson and product-state velocities, many-body Bohmian trajectories in given orbitals
  (:func:`permanent_row_derivatives`, :func:`boson_velocities`,
  :func:`distinguishable_velocities`, :func:`bohm_many_body`).
- :mod:`~qfcore.trajectories.centre_of_mass`: Oriols coordinates, Eqs. (12)–(13), and the forces
  on the centre of mass, Eq. (47) (:func:`oriols_coordinates`, :func:`from_oriols_coordinates`,
  :func:`centre_of_mass_forces`, :func:`product_state_forces`).
- :mod:`~qfcore.trajectories.dust`: the quantum potential on a grid and the classical nonlinear
  Schrödinger equation, Eq. (72), solved by characteristics (:func:`quantum_potential_on_grid`,
  :func:`classical_schrodinger`).

Units: ħ = m = 1 unless given; positions in the grid's length unit, time in m·length²/ħ.
"""

from qfcore.trajectories._validation import DENSITY_FLOOR
from qfcore.trajectories.bosons import (
    bohm_many_body,
    boson_velocities,
    distinguishable_velocities,
    permanent_row_derivatives,
)
from qfcore.trajectories.centre_of_mass import (
    centre_of_mass_forces,
    from_oriols_coordinates,
    oriols_coordinates,
    product_state_forces,
)
from qfcore.trajectories.dust import classical_schrodinger, quantum_potential_on_grid
from qfcore.trajectories.ensembles import (
    MAX_STEP_CONTRACTION,
    bohm_ensemble,
    nelson_ensemble,
    velocity_fields,
)

__all__ = [
    "DENSITY_FLOOR",
    "MAX_STEP_CONTRACTION",
    "bohm_ensemble",
    "bohm_many_body",
    "boson_velocities",
    "centre_of_mass_forces",
    "classical_schrodinger",
    "distinguishable_velocities",
    "from_oriols_coordinates",
    "nelson_ensemble",
    "oriols_coordinates",
    "permanent_row_derivatives",
    "product_state_forces",
    "quantum_potential_on_grid",
    "velocity_fields",
]
