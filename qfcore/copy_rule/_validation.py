"""Argument checks and the checked ODE integration shared by the copy-rule submodules.

The state ψ0 and the copy exponent q; H and the output times go through :mod:`qfcore._checks`
directly. The messages name the argument and the fix; :func:`_integrate` turns a solver failure
into a ValueError. Private: the public functions of :mod:`qfcore.copy_rule` call these.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from qfcore._checks import complex_array, normalised


def _check_state(psi0, m: int) -> np.ndarray:
    psi = complex_array(psi0, "psi0")
    if psi.shape != (m,):
        raise ValueError(f"psi0 must have shape ({m},) to match the hamiltonian; got {psi.shape}.")
    normalised(float(np.sum(np.abs(psi) ** 2)), "psi0", "sum |psi0|^2")
    return psi


def _integrate(rhs, y0, times, rtol, atol, what: str):
    """DOP853 from 0 to times[-1], output at ``times``; raise ValueError naming ``what``."""
    sol = solve_ivp(
        lambda t, y: rhs(y),
        (0.0, times[-1]),
        y0,
        t_eval=times,
        method="DOP853",
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise ValueError(f"the {what} integration failed: {sol.message}")
    return sol.y
