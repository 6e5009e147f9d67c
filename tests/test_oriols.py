"""Oriols et al.'s centre-of-mass experiment (paper 004, T4.4)."""

import numpy as np
import pytest

from qfcore import oriols

TIMES = np.linspace(0.0, 3.0, 7)
TIGHT = {"method": "DOP853", "rtol": 1e-10, "atol": 1e-12}


def test_draw_ranges_halves_and_seed():
    par, x0 = oriols.draw(5, 400, rng=np.random.default_rng(3))
    assert x0.shape == (400, 5) and all(v.shape == (400, 5) for v in par.values())
    assert par["sigma"].min() >= 0.8 and par["sigma"].max() <= 1.2
    assert par["d"].min() >= 4.0 and par["k"].max() <= 2.5
    z = (x0 - np.where(np.arange(5) < 3, -par["d"], par["d"])) / par["sigma"]
    assert abs(z.mean()) < 5 / np.sqrt(z.size) and abs(z.std() - 1) < 0.05  # packet densities
    again = oriols.draw(5, 400, rng=np.random.default_rng(3))[1]
    assert np.array_equal(x0, again)
    assert np.array_equal(x0, oriols.draw(5, 400, rng=3)[1])  # an int seed is default_rng(seed)
    assert oriols.draw(2, 3)[1].shape == (3, 2)  # rng=None: fresh entropy


def test_one_boson_is_one_distinguishable_particle():
    par, x0 = oriols.draw(1, 3, rng=np.random.default_rng(1))
    b = oriols.centre_of_mass_error(par, x0, 1.0, "bosons", TIMES, **TIGHT)
    d = oriols.centre_of_mass_error(par, x0, 1.0, "distinguishable", TIMES, **TIGHT)
    assert np.allclose(b["deviation"], d["deviation"], atol=1e-9)


def test_force_only_rescales_the_relative_error():
    """Avron-Herbst: integrating at F = 0 and rescaling equals integrating at F = 2."""
    par, x0 = oriols.draw(2, 2, rng=np.random.default_rng(2))
    free = oriols.centre_of_mass_error(par, x0, 0.0, "bosons", TIMES, **TIGHT)
    pushed = oriols.centre_of_mass_error(par, x0, 2.0, "bosons", TIMES, **TIGHT)
    assert np.allclose(free["deviation"], pushed["deviation"], atol=1e-7)
    rescaled = oriols.relative_error(free, 2.0)[1:]
    assert np.allclose(rescaled, pushed["relative_error"][1:], rtol=1e-6)


def test_distinguishable_realisations_are_independent_one_particle_runs():
    par, x0 = oriols.draw(3, 2, rng=np.random.default_rng(4))
    both = oriols.centre_of_mass_error(par, x0, 1.0, "distinguishable", TIMES, **TIGHT)
    one = oriols.centre_of_mass_error(
        {k: v[1:] for k, v in par.items()}, x0[1:], 1.0, "distinguishable", TIMES, **TIGHT
    )
    assert np.allclose(both["deviation"][:, 1], one["deviation"][:, 0], atol=1e-7)


def test_bad_input():
    with pytest.raises(ValueError, match="n must be"):
        oriols.draw(0, 2, rng=np.random.default_rng(0))
    with pytest.raises(TypeError):
        oriols.draw(2, 2, 0)  # rng is keyword-only
    with pytest.raises(TypeError, match="rng must be"):
        oriols.draw(2, 2, rng=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        oriols.draw(2, 2, rng=-3)
    par, x0 = oriols.draw(1, 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="statistics"):
        oriols.centre_of_mass_error(par, x0, 1.0, "fermions", TIMES)
    with pytest.raises(ValueError, match="starting at 0"):
        oriols.centre_of_mass_error(par, x0, 1.0, "bosons", TIMES + 1)


def _runs(numbers, n_realisations):
    runs = {}
    for n in numbers:
        par, x0 = oriols.draw(n, n_realisations, rng=np.random.default_rng(10 + n))
        for s in ("bosons", "distinguishable"):
            runs[s, n] = oriols.centre_of_mass_error(par, x0, 1.0, s, TIMES[:3])
    return runs


def test_summary_is_mean_and_standard_error_of_the_final_values():
    runs = _runs([2, 1], 4)  # keys in any order: N comes out increasing
    table = oriols.summary(runs)
    assert table["N"].values.tolist() == [1, 2]
    assert table.attrs == {"force": 1.0, "duration": 1.0}
    for n in (1, 2):
        for s in ("bosons", "distinguishable"):
            for q in ("deviation", "relative_error"):
                end = oriols.final_values(runs, s, [n], q)
                row = table.sel(N=n, statistics=s, quantity=q)
                assert np.isclose(float(row["mean"]), end.mean(), rtol=1e-14)
                se = end.std(ddof=1) / np.sqrt(end.size)
                assert np.isclose(float(row["standard_error"]), se, rtol=1e-14)
    one = oriols.summary({k: v.isel(realisation=[0]) for k, v in runs.items()})
    assert np.isnan(one["standard_error"]).all()  # one realisation: no standard error


def test_final_values_pool_the_ns_in_order():
    runs = _runs([1, 2], 3)
    pooled = oriols.final_values(runs, "distinguishable", [2, 1], "deviation")
    assert np.array_equal(pooled[:3], runs["distinguishable", 2]["deviation"].values[-1])
    assert np.array_equal(pooled[3:], runs["distinguishable", 1]["deviation"].values[-1])
    with pytest.raises(ValueError, match="quantity must be"):
        oriols.final_values(runs, "bosons", [1], "velocity")
    with pytest.raises(ValueError, match="numbers must"):
        oriols.final_values(runs, "bosons", [])
    with pytest.raises(KeyError, match="no run"):
        oriols.final_values(runs, "bosons", [3])
    with pytest.raises(KeyError, match="no run"):
        oriols.summary({("bosons", 1): runs["bosons", 1]})
    with pytest.raises(ValueError, match="results is empty"):
        oriols.summary({})
