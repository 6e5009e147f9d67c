"""Shapley values of the order-averaged collapse model (notebook 03, T3.7): three routes to the
power-law order average, Born's rule for a = 1, 2 only, and the pair's no-signalling values."""

import itertools

import numpy as np
import pytest

from qfcore import collapse as cl
from qfcore import signalling, states


def _shapley_reference(p, a):
    """Average over orders of the marginal contributions to v(A) = (sum_A p)^a (slow loops)."""
    phi = np.zeros(len(p))
    orders = list(itertools.permutations(range(len(p))))
    for order in orders:
        before = 0.0
        for i in order:
            phi[i] += (before + p[i]) ** a - before**a
            before += p[i]
    return phi / len(orders)


@pytest.mark.parametrize("a", [1.0, 1.5, 2.0, 3.0])
def test_power_law_shapley_three_ways(a):
    rng = np.random.default_rng(int(10 * a))
    psi = states.random_state(4, rng=rng)
    born = np.abs(psi) ** 2
    phi = signalling.power_law_shapley(psi, a)
    np.testing.assert_allclose(phi, _shapley_reference(born, a), atol=1e-13)
    dens = lambda r: r ** (2 * a - 2)  # noqa: E731  |lambda|^2 then has the CDF x^a
    np.testing.assert_allclose(cl.order_averaged_probabilities(psi, density=dens), phi, atol=1e-7)
    assert phi.sum() == pytest.approx(1.0, abs=1e-13)
    assert bool(np.abs(phi - born).max() < 1e-13) == (a in (1.0, 2.0))
    with pytest.raises(ValueError, match="a must be a finite number > 0"):
        signalling.power_law_shapley(psi, 0.0)


@pytest.mark.parametrize("a", [1.5, 2.0, 3.0])
def test_pair_shapley_up_probability_matches_order_average(a):
    # the Shapley route against the order average of outcome_probabilities with the density
    # r^(2a - 2); a = 2 (like a = 1) keeps Born's rule, hence q^2 for every theta_B: no signal
    for theta_b in (0.0, 0.7, np.pi / 2, np.pi):
        shap = signalling.pair_shapley_up_probability(0.6, theta_b, a)
        dens = lambda r, a=a: r ** (2 * a - 2)  # noqa: E731
        avg = cl.pair_up_probability(0.6, 0.0, theta_b, density=dens, average_orders=True)
        assert shap == pytest.approx(avg, abs=1e-7)
        if a == 2.0:
            assert shap == pytest.approx(0.36, abs=1e-13)
    # theta_B = 0 and pi are the same axis with Bob's labels swapped: the average is symmetric
    assert signalling.pair_shapley_up_probability(0.6, 0.0, a) == pytest.approx(
        signalling.pair_shapley_up_probability(0.6, np.pi, a), abs=1e-13
    )


def test_pair_shapley_up_probability_rejects_bad_input():
    with pytest.raises(ValueError, match="a must be a finite number > 0"):
        signalling.pair_shapley_up_probability(0.6, 0.3, -1.0)
    with pytest.raises(ValueError, match="q"):
        signalling.pair_shapley_up_probability(1.5, 0.3, 2.0)
    with pytest.raises(TypeError, match="theta"):
        signalling.pair_shapley_up_probability(0.6, "up", 2.0)
