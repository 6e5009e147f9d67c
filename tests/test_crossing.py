"""Tests of qfcore.crossing: straight lines with known crossing times, and bad input."""

import numpy as np
import pytest

from qfcore import crossing, states


def test_two_free_particles_cross_once_at_d_over_v():
    t = np.linspace(0.0, 5.0, 51)
    paths = np.stack([-5.0 + 2.0 * t, 5.0 - 2.0 * t], axis=1)
    assert crossing.count_crossings(paths) == 1
    np.testing.assert_allclose(crossing.crossing_times(t, paths), [2.5], atol=1e-12)


def test_oscillating_gap_crosses_at_its_zeros():
    t = np.linspace(0.0, 10.0, 20001)
    paths = np.stack([np.zeros_like(t), np.cos(t)], axis=1)
    zeros = np.pi / 2 + np.pi * np.arange(3)
    assert crossing.count_crossings(paths) == 3
    np.testing.assert_allclose(crossing.crossing_times(t, paths), zeros, atol=1e-7)


def test_touching_is_not_crossing():
    paths = [[0.0, 1.0], [0.0, 0.0], [0.0, 1.0]]
    assert crossing.count_crossings(paths) == 0
    assert crossing.crossing_times([0.0, 1.0, 2.0], paths).size == 0
    through = [[0.0, 1.0], [0.0, 0.0], [0.0, -1.0]]
    np.testing.assert_array_equal(crossing.crossing_times([0.0, 1.0, 2.0], through), [1.0])


def test_bad_input():
    with pytest.raises(ValueError, match="paths"):
        crossing.count_crossings(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="times"):
        crossing.crossing_times([0.0, 0.0], [[0.0, 1.0], [1.0, 0.0]])


def test_gaussian_orbitals_are_the_exact_free_packets_in_bohm_layout():
    orbitals = crossing.gaussian_orbitals([-5.0, 5.0], 0.7, [2.0, -2.0])
    x = np.array([[-4.0, 4.5], [0.3, -0.2]])
    phi, dphi = orbitals(x, 1.3)
    assert phi.shape == dphi.shape == (2, 2, 2)
    for j, (c, p) in enumerate(((-5.0, 2.0), (5.0, -2.0))):
        exact, d_exact = states.evolved_gaussian(x, 1.3, c, 0.7, p)
        np.testing.assert_allclose(phi[:, :, j], exact, rtol=1e-14)
        np.testing.assert_allclose(dphi[:, :, j], d_exact, rtol=1e-14)
    # mirror symmetry: orbital 2 at -x equals orbital 1 at x (up to complex conjugation of k)
    mirrored, _ = orbitals(-x, 1.3)
    np.testing.assert_allclose(np.abs(mirrored[:, :, 1]), np.abs(phi[:, :, 0]), rtol=1e-12)
    with pytest.raises(ValueError, match="same length"):
        crossing.gaussian_orbitals([0.0, 1.0], 1.0, [1.0])
    with pytest.raises(ValueError, match="width must be"):
        crossing.gaussian_orbitals([0.0], 0.0, [1.0])
