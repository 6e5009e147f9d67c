"""Smolin's real-ensemble dynamics: N systems that copy each other's beables (paper 001).

L. Smolin, "A real ensemble interpretation of quantum mechanics", Found. Phys. 42, 1239 (2012),
arXiv:1104.2822. Each of N systems carries a beable a_I ∈ {0, …, M−1} and a phase φ_I. Quantum
probabilities are the relative frequencies ρ_a = n_a/N. Two rules move the ensemble:

* **Copy** (stochastic, Eqs. (1), (4), (37)): system I copies system J — a_I → a_J *and*
  φ_I → φ_J, the paper transfers both beables — with a rate P(I copy J) that depends on both
  phases and on the occupation numbers n_I = n_{a_I}, n_J = n_{a_J}.
* **Phase law** (continuous, Eq. (38)):
  φ̇_I = ω_{a_I} + Σ_{J, a_J ≠ a_I} R_{a_I a_J} cos(φ_I − φ_J + δ_{a_I a_J}) / √(n_I n_J).

One concept per submodule:

* :mod:`qfcore.copy_rule.agents`: the agent ensemble. :func:`couplings` (ω, R, δ of H), the copy
  rate (the corrected rule and Eq. (37) as printed, the occupation exponent q), the numerical
  scheme of :func:`simulate`, its noise model :func:`frequency_standard_error`, and the
  deviation from Born's rule, :func:`mean_square_deviation` against :func:`model_rms_deviation`.
* :mod:`qfcore.copy_rule.mean_field`: the target dynamics (T1.4), Eqs. (30)–(31), in
  :func:`mean_field_rhs` and :func:`mean_field_solve`.
* :mod:`qfcore.copy_rule.alignment`: phase alignment (T1.5) under the copy dynamics and by the
  Hamiltonian phase dynamics of Section IV (:func:`phase_alignment_flow`,
  :func:`phase_alignment_spectrum`).
* :mod:`qfcore.copy_rule.extinction`: nodes, :func:`extinction_statistics` (T1.6).
* :mod:`qfcore.copy_rule.derivations`: sympy checks of printed equations (T1.4, T1.5, T1.7).
* :mod:`qfcore.copy_rule.lattice`: the lattice of Section V (T1.7): exact centre
  :func:`lattice_centre`, agents :func:`lattice_agent_run`, quantum potential and its noise bias.

Units: ħ = 1 unless given; H in energy units, times in ħ/energy.
"""

from qfcore.copy_rule.agents import (
    MAX_COPY_PROBABILITY,
    RULES,
    couplings,
    frequency_standard_error,
    mean_square_deviation,
    model_rms_deviation,
    simulate,
)
from qfcore.copy_rule.alignment import phase_alignment_flow, phase_alignment_spectrum
from qfcore.copy_rule.derivations import (
    alignment_potential_ratio,
    copy_master_equation,
    lattice_fluid_equations,
)
from qfcore.copy_rule.extinction import extinction_statistics
from qfcore.copy_rule.lattice import (
    lattice_agent_run,
    lattice_centre,
    lattice_quantum_potential,
    lattice_quantum_potential_bias,
)
from qfcore.copy_rule.mean_field import mean_field_rhs, mean_field_solve

__all__ = [
    "MAX_COPY_PROBABILITY",
    "RULES",
    "alignment_potential_ratio",
    "copy_master_equation",
    "couplings",
    "extinction_statistics",
    "frequency_standard_error",
    "lattice_agent_run",
    "lattice_centre",
    "lattice_fluid_equations",
    "lattice_quantum_potential",
    "lattice_quantum_potential_bias",
    "mean_field_rhs",
    "mean_field_solve",
    "mean_square_deviation",
    "model_rms_deviation",
    "phase_alignment_flow",
    "phase_alignment_spectrum",
    "simulate",
]
