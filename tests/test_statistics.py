"""Tests of qfcore.statistics: closed forms, null distributions, and errors on bad input."""

import math

import numpy as np
import pytest
import scipy.stats

from qfcore import statistics as st


def test_power_law_fit_recovers_exponent_and_its_error():
    # 400 synthetic fits with 1 % Gaussian noise: the mean exponent is unbiased and the quoted
    # standard error matches the scatter of the fitted exponents (to 10 %, 400 samples).
    gen = np.random.default_rng(11)
    n = 2.0 ** np.arange(6)
    truth = 2.0 * n**-0.5
    err = 0.01 * truth
    fits = [st.power_law_fit(n, truth + err * gen.normal(size=n.size), err) for _ in range(400)]
    exps = np.array([f.exponent for f in fits])
    formal = np.median([f.standard_error for f in fits])
    assert abs(exps.mean() + 0.5) < 5 * exps.std() / math.sqrt(exps.size)
    assert exps.std() == pytest.approx(formal, rel=0.15)
    assert np.mean([f.reduced_chi2 for f in fits]) == pytest.approx(1.0, rel=0.1)


def test_power_law_fit_inflates_error_when_points_scatter():
    n = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    values = n**1.0 * np.array([1.0, 1.3, 0.8, 1.25, 0.9])
    tiny = st.power_law_fit(n, values, 1e-6 * values)
    assert tiny.reduced_chi2 > 1e6
    # the inflated error reflects the scatter, not the tiny stated errors
    assert tiny.standard_error > 0.02


def test_power_law_fit_exact_data():
    n = np.array([1.0, 3.0, 9.0])
    fit = st.power_law_fit(n, 5 * n**1.5, 0.1 * n**1.5)
    assert fit.exponent == pytest.approx(1.5, abs=1e-12)
    assert math.exp(fit.intercept) == pytest.approx(5.0, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.0, 2.0], [1.0, 2.0], [0.1, 0.1]), "len"),
        (([1.0, 2.0, 3.0], [1.0, -2.0, 3.0], [0.1, 0.1, 0.1]), "values"),
        (([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.1, 0.0, 0.1]), "errors"),
        (([1.0, 2.0, 3.0], [1.0, 2.0], [0.1, 0.1]), "same length"),
    ],
)
def test_power_law_fit_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        st.power_law_fit(*args)


def test_rms_with_error_normal_sample():
    # for N(0, 1): rms -> 1 and se -> sqrt(var(x^2)/n)/2 = sqrt(2/n)/2
    x = np.random.default_rng(3).normal(size=200_000)
    rms, se = st.rms_with_error(x)
    assert se == pytest.approx(math.sqrt(2 / x.size) / 2, rel=0.02)
    assert abs(rms - 1) < 5 * se
    assert st.rms_with_error(np.zeros(5)) == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"a\.size"):
        st.rms_with_error([1.0])


def test_two_sample_z_is_standard_normal_under_the_null():
    gen = np.random.default_rng(5)
    z = np.array([st.two_sample_z(gen.normal(size=50), gen.normal(size=80)) for _ in range(2000)])
    assert abs(z.mean()) < 5 / math.sqrt(z.size)
    assert z.std() == pytest.approx(1.0, abs=0.06)
    shifted = st.two_sample_z(gen.normal(1.0, 1.0, 400), gen.normal(size=400))
    assert shifted > 10  # a 1-sigma shift with 400 + 400 samples: z ~ 14
    with pytest.raises(ValueError, match="constant"):
        st.two_sample_z([1.0, 1.0], [2.0, 2.0])


def test_ks_root_n_null_quantile():
    # under the null, P(sqrt(n) D > ks_critical(0.05)) ~ 0.05 (binomial error of 500 trials)
    gen = np.random.default_rng(7)
    crit = st.ks_critical(0.05)
    hits = sum(
        st.ks_root_n(gen.random(2000), lambda q: np.clip(q, 0, 1)) > crit for _ in range(500)
    )
    assert abs(hits / 500 - 0.05) < 5 * math.sqrt(0.05 * 0.95 / 500)
    assert st.ks_critical(1e-3) == pytest.approx(1.9495, abs=1e-4)
    with pytest.raises(ValueError, match="p_value"):
        st.ks_critical(1.0)


def test_grid_cdf_matches_normal_and_inverts():
    x = np.linspace(-12, 12, 4801)
    cdf = st.grid_cdf(x, 7.0 * np.exp(-((x - 1) ** 2) / 2))  # unnormalised
    q = np.linspace(-3, 4, 50)
    assert np.abs(cdf(q) - scipy.stats.norm(1, 1).cdf(q)).max() < 1e-5  # trapezoid, dx = 0.005
    assert cdf(-100.0) == 0.0 and cdf(100.0) == 1.0
    u = np.linspace(0.01, 0.99, 21)
    assert np.abs(cdf(cdf.inverse(u)) - u).max() < 1e-12


@pytest.mark.parametrize(
    ("x", "rho", "match"),
    [
        (np.linspace(0, 1, 5), np.zeros(5), "no positive mass"),
        (np.linspace(0, 1, 5), np.ones(4), "shape"),
        (np.array([0.0, 0.1, 0.5, 1.0]), np.ones(4), "uniform"),
    ],
)
def test_grid_cdf_rejects_bad_input(x, rho, match):
    with pytest.raises(ValueError, match=match):
        st.grid_cdf(x, rho)


def test_grid_cdf_sample_is_distributed_as_the_density():
    x = np.linspace(-12, 12, 4001)
    F = st.grid_cdf(x, np.exp(-((x - 1.0) ** 2) / 2))
    draws = F.sample(100_000, np.random.default_rng(8))
    assert st.ks_root_n(draws, scipy.stats.norm(1.0, 1.0).cdf) < st.ks_critical(1e-3)
    np.testing.assert_array_equal(F.sample(10, 5), F.sample(10, 5))  # seeded
    with pytest.raises(ValueError, match="n"):
        F.sample(0, 1)


def test_grid_mean_and_width_of_gaussians_in_one_call():
    x = np.linspace(-30, 30, 3001)
    means, widths = np.array([-2.0, 0.5, 3.0]), np.array([0.5, 1.0, 2.5])
    rho = np.exp(-((x - means[:, None]) ** 2) / (2 * widths[:, None] ** 2))
    m = st.grid_mean_and_width(x, rho)
    np.testing.assert_allclose(m.mean, means, atol=1e-10)
    np.testing.assert_allclose(m.width, widths, rtol=1e-10)


def test_grid_mean_and_width_bad_input():
    x = np.linspace(0, 1, 11)
    with pytest.raises(ValueError, match="last axis"):
        st.grid_mean_and_width(x, np.ones(5))
    with pytest.raises(ValueError, match=">= 0"):
        st.grid_mean_and_width(x, -np.ones(11))
    with pytest.raises(ValueError, match="positive mass"):
        st.grid_mean_and_width(x, np.zeros((2, 11)))


def test_pearson_chi2_closed_form_and_null_distribution():
    # two outcomes: chi^2 = n (f - p)^2 / (p (1 - p)), the square of the binomial z-score
    chi2, dof = st.pearson_chi2(np.array([0.3, 0.7]), np.array([0.25, 0.75]), 1000)
    assert dof == 1 and chi2 == pytest.approx(1000 * 0.05**2 / (0.25 * 0.75), rel=1e-12)
    # zero-probability outcomes carry no degree of freedom
    assert st.pearson_chi2(np.array([0.5, 0.0, 0.5]), np.array([0.5, 0.0, 0.5]), 10) == (0.0, 1)
    # under the hypothesis the mean over many multinomial draws is dof
    gen = np.random.default_rng(5)
    prob = np.array([0.1, 0.2, 0.3, 0.4])
    counts = gen.multinomial(5000, prob, size=2000)
    stats = [st.pearson_chi2(c / 5000, prob, 5000)[0] for c in counts]
    assert np.mean(stats) == pytest.approx(3.0, abs=5 * math.sqrt(6 / 2000))


def test_pearson_chi2_rejects_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        st.pearson_chi2(np.ones(3) / 3, np.ones(2) / 2, 10)
    with pytest.raises(ValueError, match="prob must be finite"):
        st.pearson_chi2(np.array([0.5, 0.5]), np.array([-0.5, 1.5]), 10)
    with pytest.raises(ValueError, match="prob > 0"):
        st.pearson_chi2(np.array([1.0, 0.0]), np.array([1.0, 0.0]), 10)
    with pytest.raises(ValueError, match="n"):
        st.pearson_chi2(np.array([0.5, 0.5]), np.array([0.5, 0.5]), 0)


def test_effect_z_score_values_and_refusal():
    z, z_pred = st.effect_z_score(-0.3, 0.02, -0.25, 0.0)
    assert z == pytest.approx(15.0) and z_pred == pytest.approx(12.5)
    # symmetric in the sign of the effect
    assert st.effect_z_score(0.3, 0.02, 0.25, 0.0) == pytest.approx((z, z_pred))
    with pytest.raises(ValueError, match="increase the number of samples"):
        st.effect_z_score(0.1, 0.02, 0.1, 0.0)  # predicted z = 5 < 8
    assert st.effect_z_score(0.1, 0.02, 0.1, 0.0, resolved=2.0)[1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="se"):
        st.effect_z_score(0.1, 0.0, 0.1, 0.0)
