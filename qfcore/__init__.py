"""qfcore: kernels and derivations behind the companion notebooks.

Organised by physics, not by paper (see ``../shared/DESIGN.md``): import the module you need,
e.g. ``from qfcore import epistemic, schrodinger``. Importing ``qfcore`` itself is cheap. The
larger topics are subpackages whose ``__init__`` re-exports their public names
(``qfcore.trajectories``, ``qfcore.kinetic``, ``qfcore.kac_zwanzig``, ``qfcore.copy_rule``), so
``from qfcore import trajectories as tr; tr.nelson_ensemble`` works whichever submodule holds it.

Conventions of the public API
-----------------------------
Units
    ħ = m = 1 unless a parameter says otherwise; ``hbar=1.0`` and ``mass=1.0`` are keyword-only.
Randomness
    ``rng=None``, keyword-only: an int seed or a :class:`numpy.random.Generator`
    (:func:`qfcore._checks.seeded`); ``None`` draws fresh OS entropy and is not reproducible.
    The notebooks derive every seed from their master ``seed`` parameter.
Names
    The field's terms and the papers' symbols where they are standard (Husimi Q function,
    osmotic velocity, Lindblad operator); British spelling, "centre" in every name and keyword.
Argument order
    State, Hamiltonian (or potential), parameters, times.
Results
    A time evolution returns an :class:`xarray.Dataset` with a ``time`` dimension and its
    provenance (seed, parameters) in ``attrs``; a small bundle of values is a
    :class:`~typing.NamedTuple`; a sympy derivation returns its expressions in a NamedTuple or a
    frozen dataclass. The type of a result never depends on the value of an argument.
Validation
    Every argument check goes through :mod:`qfcore._checks` (one tolerance constant each:
    ``NORM_TOL``, ``HERMITIAN_TOL``); an error names the parameter, its value and the fix.
Kernels
    numba kernels are private, ``cache=True``, called through checking wrappers, vectorised
    over ensemble members, and take grouped tuples or arrays rather than long argument lists.

Not yet followed by ``schrodinger.Evolution`` (returned by ``split_step`` and
``trajectories.classical_schrodinger``), a NamedTuple ``(times, psi)`` rather than a Dataset.
"""

__version__ = "0.1.0"

__all__ = [
    "book",
    "claims",
    "collapse",
    "copy_rule",
    "crossing",
    "epistemic",
    "grid",
    "hamilton_jacobi",
    "kac_zwanzig",
    "kinetic",
    "least_action",
    "line_gravity",
    "madelung",
    "ordering",
    "oriols",
    "phase_space",
    "plotting",
    "product_orbitals",
    "runner",
    "schrodinger",
    "signalling",
    "states",
    "statistics",
    "tables",
    "teaching",
    "trajectories",
]
