"""The density floor of the regularised division 1/ρ → ρ/(ρ² + δ²), shared by
:func:`qfcore.trajectories.velocity_fields` and
:func:`qfcore.trajectories.quantum_potential_on_grid`."""

from __future__ import annotations

from qfcore._checks import positive

#: Default relative density floor δ/max ρ of the regularised division 1/ρ → ρ/(ρ² + δ²).
DENSITY_FLOOR = 1e-12


def _floor(density_floor) -> float:
    f = positive(density_floor, "density_floor")
    if f >= 1:
        raise ValueError(f"density_floor must lie in (0, 1); got {density_floor!r}.")
    return f
