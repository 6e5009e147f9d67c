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
