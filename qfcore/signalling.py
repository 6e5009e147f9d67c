"""Signalling with skewed hidden variables: order-averaged outcome probabilities as Shapley values.

In the collapse toy model of Donadi and Hossenfelder (Phys. Rev. A 106, 022212 (2022);
:mod:`qfcore.collapse`) the σ's of Eq. (13) depend on the order in which the construction takes
the levels, and the paper proposes to sum over the orders. For a hidden-variable density whose
|λ|² has the cumulative distribution x^a, a fixed order gives P(K) = S_K^a − S_{K−1}^a, the
marginal contribution of level K to the game v(A) = (Σ_{I∈A}|β_I|²)^a, so the average over
the N! orders is that game's Shapley value: Born's rule for a = 1 and a = 2 only. For the
entangled pair of Eq. (27) this gives Alice's order-averaged up-probability as a function of
Bob's angle, in closed form: whether Bob can signal to Alice (notebook 03, T3.7).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from qfcore import _checks
from qfcore._checks import positive
from qfcore.collapse import PAIR_UP_LEVELS, pair_basis, pair_state

__all__ = ["pair_shapley_up_probability", "power_law_shapley"]


def power_law_shapley(beta, a: float) -> np.ndarray:
    """Shapley value of the game v(A) = (Σ_{I∈A} |β_I|²)^a, by the sum over coalitions.

    For a hidden-variable density whose |λ|² has the CDF x^a (planar density ∝ |λ|^(2a − 2)),
    a fixed level order gives P(K) = S_K^a − S_{K−1}^a (Eq. (22) with P(σ_J ≤ 0) = (S_{J−1}/S_J)^a;
    the product telescopes), the marginal contribution of level K to v. Averaged over the N!
    orders (:func:`qfcore.collapse.order_averaged_probabilities`) this is the Shapley value
    φ_I = Σ_{A ⊆ levels∖{I}} |A|!(N − |A| − 1)!/N! [v(A ∪ {I}) − v(A)] (L. S. Shapley, in
    *Contributions to the Theory of Games II*, Princeton 1953, p. 307), computed here over the
    2^(N−1) coalitions, an independent route. It is Born's rule |β_I|² for a = 1 (v additive)
    and a = 2 (each cross term 2p_Ip_J is split equally: φ_I = p_I Σ_J p_J), not otherwise.

    Parameters
    ----------
    beta : array_like, complex, shape (N,)
        Normalised amplitudes, 2 ≤ N ≤ 16.
    a : float
        Exponent > 0.

    Returns
    -------
    ndarray, float, shape (N,)
        Sums to 1.

    Raises
    ------
    ValueError, TypeError
        For an unnormalised β, N outside 2..16, or a ≤ 0.

    Examples
    --------
    >>> power_law_shapley(np.sqrt([0.5, 0.3, 0.2]), 2.0).round(12)
    array([0.5, 0.3, 0.2])
    >>> power_law_shapley(np.sqrt([0.5, 0.3, 0.2]), 3.0).round(4)
    array([0.47 , 0.312, 0.218])
    """
    p = _checks.born_weights(beta, "beta", "detector states")
    if p.ndim != 1 or p.size > 16:
        raise ValueError(f"beta must be one state of 2..16 levels; got shape {p.shape}.")
    a = positive(a, "a")
    n = p.size
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for coalition in itertools.combinations(others, k):
                s = float(p[list(coalition)].sum())
                phi[i] += weight[k] * ((s + p[i]) ** a - s**a)
    return phi


def pair_shapley_up_probability(q: float, theta_b: float, a: float) -> float:
    """Alice's order-averaged up-probability (along z) for a power-law density, by Shapley values.

    The pair of Eq. (27) in the detector basis of :func:`qfcore.collapse.pair_basis` (Alice at 0,
    Bob at θ_B) has the amplitudes β; for a density of |λ|² with CDF x^a the order-averaged
    outcome probabilities are the Shapley values :func:`power_law_shapley`, and Alice's marginal
    sums her two up levels (:data:`qfcore.collapse.PAIR_UP_LEVELS`). An independent route to
    ``pair_up_probability(q, 0, theta_b, density=lambda r: r**(2a - 2), average_orders=True)``.

    Parameters
    ----------
    q : float
        Weight of Eq. (27), 0 ≤ q ≤ 1.
    theta_b : float
        Bob's axis (radians).
    a : float
        Exponent of the CDF of |λ|², > 0 (planar density ∝ |λ|^(2a − 2)).

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        For q outside [0, 1], a non-finite angle, or a ≤ 0.

    Examples
    --------
    >>> round(pair_shapley_up_probability(0.6, 1.0, 2.0), 12)  # a = 2 keeps Born's rule: q^2
    0.36
    """
    beta = pair_basis(0.0, theta_b).conj().T @ pair_state(q)
    phi = power_law_shapley(beta / np.linalg.norm(beta), a)
    return float(phi[list(PAIR_UP_LEVELS["alice"])].sum())
