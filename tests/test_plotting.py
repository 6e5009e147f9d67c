"""save_figure writes PNG, PDF and NetCDF that read back."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from qfcore import plotting


def test_save_figure_writes_three_files(tmp_path):
    plotting.use_style()
    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 11)
    ax.plot(x, x**2)
    data = xr.Dataset({"y": ("x", x**2)}, coords={"x": x}, attrs={"fast": True, "n": 3})
    paths = plotting.save_figure(fig, "00_T0.0_test", data)
    plt.close(fig)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    back = xr.open_dataset(paths["nc"], engine="scipy")
    np.testing.assert_array_equal(back["y"].values, x**2)
    assert back.attrs["fast"] == "true" and back.attrs["n"] == 3
    back.close()


def test_dict_data_and_bad_input():
    fig = plt.figure()
    paths = plotting.save_figure(fig, "t", {"a": [1.0, 2.0]})
    assert xr.open_dataset(paths["nc"], engine="scipy")["a"].size == 2
    with pytest.raises(ValueError, match="letters, digits"):
        plotting.save_figure(fig, "../escape")
    with pytest.raises(TypeError, match="xarray Dataset"):
        plotting.save_figure(fig, "t2", [1, 2])
    plt.close(fig)


def test_int64_coordinates_are_stored():
    fig = plt.figure()
    ds = xr.Dataset({"v": ("state", np.arange(3.0))}, coords={"state": np.arange(3)})
    path = plotting.save_figure(fig, "ints", ds)["nc"]
    back = xr.open_dataset(path, engine="scipy")
    np.testing.assert_array_equal(back["state"].values, [0, 1, 2])
    back.close()
    plt.close(fig)


def _problems(draw):
    fig, axes = plt.subplots(1, 2)
    draw(fig, axes)
    problems = plotting.figure_problems(fig)
    plt.close(fig)
    return problems


def test_colour_coded_panels_need_a_labelled_colorbar():
    img = np.outer(np.arange(4.0), np.arange(5.0))
    assert len(_problems(lambda f, a: (a[0].imshow(img), a[1].pcolormesh(img)))) == 2
    assert _problems(lambda f, a: a[0].contourf(img))  # QuadContourSet without colorbar
    assert _problems(lambda f, a: a[0].scatter([0, 1], [0, 1], c=[0.0, 1.0]))
    assert not _problems(lambda f, a: plotting.colorbar(a[0].imshow(img), "ρ (1/length²)"))
    unlabelled = _problems(lambda f, a: f.colorbar(a[0].imshow(img), ax=a[0]))
    assert unlabelled == ["a colorbar has no label; give the quantity and its unit (label=...)"]

    def shared(fig, axes):  # one colorbar for two panels on the same scale
        norm = plt.Normalize(0.0, 12.0)
        first = axes[0].imshow(img, norm=norm)
        axes[1].imshow(img[::-1], norm=norm)
        plotting.colorbar(first, "Q(α)", ax=list(axes))

    assert not _problems(shared)

    def own_scale(fig, axes):  # the second panel's colours mean something else
        plotting.colorbar(axes[0].imshow(img), "Q(α)", ax=list(axes))
        axes[1].imshow(2 * img)

    assert len(_problems(own_scale)) == 1
    assert not _problems(lambda f, a: a[0].contour(img, colors="k"))  # single-colour overlay


def test_families_of_curves_need_a_legend_or_colorbar():
    x = np.linspace(0.0, 1.0, 5)

    def family(fig, axes, legend=False, bar=False):
        for k in range(3):
            axes[0].plot(
                x, k * x, color=plt.cm.viridis(k / 2), label=f"k = {k}" if legend else None
            )
        if bar:
            mappable = plt.cm.ScalarMappable(plt.Normalize(0, 2), "viridis")
            plotting.colorbar(mappable, "k (dimensionless)", ax=axes[0])

    assert "curves in 3 colours" in _problems(family)[0]
    assert not _problems(lambda f, a: family(f, a, legend=True) or a[0].legend())
    assert not _problems(lambda f, a: family(f, a, bar=True))
    same_colour = _problems(lambda f, a: [a[0].plot(x, k * x, color="C0") for k in range(3)])
    assert not same_colour  # a bundle of trajectories in one colour needs no legend


def test_save_figure_refuses_an_unreadable_figure_and_colorbar_needs_a_label():
    fig, ax = plt.subplots()
    image = ax.imshow(np.eye(3))
    with pytest.raises(ValueError, match="has no colorbar"):
        plotting.save_figure(fig, "unreadable")
    with pytest.raises(ValueError, match="label must name the quantity"):
        plotting.colorbar(image, " ")
    with pytest.raises(ValueError, match="ax is needed"):
        plotting.colorbar(plt.cm.ScalarMappable(), "N")
    plt.close(fig)
