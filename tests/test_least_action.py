"""Least action with a free end point (paper 003, Section 3.1): nearest point, straight path,
the analytic gradient against finite differences, and bad input."""

import numpy as np
import pytest

from qfcore import least_action as la


def test_sphere_point_lies_on_sphere_with_orthogonal_tangents():
    centre = np.array([1.0, -2.0, 0.5])
    for ang in ([0.3, 1.0], [2.0, -2.5], [np.pi / 2, 0.0]):
        y, d_th, d_ph = la.sphere_point(centre, 1.7, ang)
        assert np.linalg.norm(y - centre) == pytest.approx(1.7, abs=1e-14)
        assert d_th @ (y - centre) == pytest.approx(0.0, abs=1e-13)
        assert d_ph @ (y - centre) == pytest.approx(0.0, abs=1e-13)
        assert d_th @ d_ph == pytest.approx(0.0, abs=1e-13)


def test_discrete_action_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.normal(size=3 * 4), [1.1, 0.4]])
    args = ([0.0, 0.0, 0.0], [2.0, 1.0, 0.0], 0.8, 0.2)
    _, grad = la.discrete_action(z, *args)
    h = 1e-6
    numeric = [
        (la.discrete_action(z + h * e, *args)[0] - la.discrete_action(z - h * e, *args)[0])
        / (2 * h)
        for e in np.eye(z.size)
    ]
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_straight_uniform_path_has_continuum_action():
    x1, centre, radius, n, dt = np.zeros(3), np.array([0.0, 0.0, 4.0]), 1.0, 6, 2.0
    ang = np.array([np.pi, 0.0])  # the south pole (0, 0, 3), nearest to the origin
    y = la.sphere_point(centre, radius, ang)[0]
    inner = x1 + np.linspace(0, 1, n + 1)[1:-1, None] * (y - x1)
    s, grad = la.discrete_action(np.concatenate([inner.ravel(), ang]), x1, centre, radius, dt / n)
    assert s == pytest.approx(np.sum((y - x1) ** 2) / (2 * dt), rel=1e-14)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)  # a stationary point


@pytest.mark.parametrize("seed", [0, 1])
def test_minimiser_reaches_nearest_point_by_a_straight_uniform_path(seed):
    x1, centre, radius, dt, n = np.zeros(3), np.array([2.0, 1.0, 1.5]), 1.0, 1.0, 12
    res = la.least_action_to_sphere(x1, centre, radius, n, dt, rng=seed)
    nearest = centre + radius * (x1 - centre) / np.linalg.norm(x1 - centre)
    assert res.tolerance < 1e-5
    np.testing.assert_allclose(res.end, nearest, atol=res.tolerance)
    assert res.action == pytest.approx(np.sum(nearest**2) / (2 * dt), abs=res.tolerance)
    straight = np.linspace(0, 1, n + 1)[:, None] * nearest
    np.testing.assert_allclose(res.path, straight, atol=res.tolerance)


def test_centre_keyword_and_seed():
    by_keyword = la.least_action_to_sphere([0, 0, 0], centre=[3, 0, 0], radius=1.0, n_path=4,
                                           duration=1.0, rng=2)  # fmt: skip
    by_generator = la.least_action_to_sphere(
        [0, 0, 0], [3, 0, 0], 1.0, 4, 1.0, rng=np.random.default_rng(2)
    )
    np.testing.assert_array_equal(by_keyword.path, by_generator.path)
    y = la.sphere_point(centre=[1, 0, 0], radius=1.0, angles=[0.0, 0.0])[0]
    np.testing.assert_allclose(y, [1.0, 0.0, 1.0], atol=1e-15)


def test_errors():
    with pytest.raises(ValueError, match="outside the sphere"):
        la.least_action_to_sphere([0, 0, 0], [0.5, 0, 0], 1.0, 4, 1.0, rng=0)
    with pytest.raises(ValueError, match="n_path must be >= 2"):
        la.least_action_to_sphere([0, 0, 0], [3, 0, 0], 1.0, 1, 1.0, rng=0)
    with pytest.raises(TypeError, match="n_path must be an int"):
        la.least_action_to_sphere([0, 0, 0], [3, 0, 0], 1.0, 4.0, 1.0, rng=0)
    with pytest.raises(TypeError):
        la.least_action_to_sphere([0, 0, 0], [3, 0, 0], 1.0, 4, 1.0, 0)  # rng keyword-only
    with pytest.raises(TypeError, match="rng must be"):
        la.least_action_to_sphere([0, 0, 0], [3, 0, 0], 1.0, 4, 1.0, rng=0.5)
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        la.sphere_point([0, 0, 0], -1.0, [0.0, 0.0])
    with pytest.raises(ValueError, match="centre must be a finite 3-vector"):
        la.sphere_point([0, 0], 1.0, [0.0, 0.0])
    with pytest.raises(ValueError, match="angles must be finite"):
        la.sphere_point([0, 0, 0], 1.0, [0.0])
    with pytest.raises(ValueError, match="z must be a finite vector"):
        la.discrete_action(np.zeros(4), [0, 0, 0], [3, 0, 0], 1.0, 0.1)
    with pytest.raises(ValueError, match="dtau must be a finite number > 0"):
        la.discrete_action(np.zeros(2), [0, 0, 0], [3, 0, 0], 1.0, 0.0)
