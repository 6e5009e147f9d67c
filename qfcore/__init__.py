"""qfcore: kernels and derivations behind the companion notebooks.

Organised by physics, not by paper (see ``../shared/DESIGN.md``): import the submodule you
need, e.g. ``from qfcore import epistemic, schrodinger``. Importing ``qfcore`` itself is cheap.
"""

__version__ = "0.1.0"

__all__ = [
    "claims",
    "collapse",
    "copy_rule",
    "epistemic",
    "grid",
    "hamilton_jacobi",
    "kac_zwanzig",
    "kinetic",
    "madelung",
    "ordering",
    "phase_space",
    "plotting",
    "runner",
    "schrodinger",
    "states",
    "trajectories",
]
