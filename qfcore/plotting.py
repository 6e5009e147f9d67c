"""One figure style for the whole companion, and :func:`save_figure`.

Every figure is written three times: PNG (for notebooks and web viewers), PDF (vector, for
papers and slides) and NetCDF (the xarray data the figure shows, so that a reader can re-plot or
compare numbers without re-running anything).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib as mpl
import numpy as np
import xarray as xr

from qfcore._paths import figures_dir

__all__ = ["STYLE", "save_figure", "use_style"]

#: matplotlib rcParams of the companion's figures (colour-blind-safe Okabe–Ito cycle).
STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
    "axes.prop_cycle": mpl.cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    ),
    "pdf.fonttype": 42,
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib's global rcParams.

    Returns
    -------
    None

    Raises
    ------
    Nothing.
    """
    mpl.rcParams.update(STYLE)


def save_figure(fig, name: str, data=None) -> dict[str, Path]:
    """Write ``fig`` as ``figures/<name>.png`` and ``.pdf``, and ``data`` as ``<name>.nc``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File stem, conventionally ``"<notebook>_<target>_<what>"``, e.g. ``"00_T0.2_gaussian"``.
        Letters, digits, ``_``, ``.`` and ``-`` only.
    data : xarray.Dataset, xarray.DataArray or dict of array_like, optional
        The numbers the figure shows. A dict becomes a Dataset of 1D variables, each on its
        own dimension named after the key. Attributes that NetCDF cannot hold (bool, None,
        dict, list of str) are stored as JSON strings.

    Returns
    -------
    dict
        ``{"png": path, "pdf": path}`` plus ``"nc": path`` when data was given.

    Raises
    ------
    ValueError
        If ``name`` has other characters.
    TypeError
        If ``data`` is of another type.
    """
    if not _NAME_RE.match(name):
        raise ValueError(
            f"name {name!r} may hold only letters, digits, '_', '.' and '-' (no folders)."
        )
    folder = figures_dir()
    paths = {"png": folder / f"{name}.png", "pdf": folder / f"{name}.pdf"}
    fig.savefig(paths["png"])
    fig.savefig(paths["pdf"], metadata={"CreationDate": None, "ModDate": None})
    if data is not None:
        ds = _as_dataset(data)
        paths["nc"] = folder / f"{name}.nc"
        ds.to_netcdf(paths["nc"], engine="scipy")
    return paths


def _as_dataset(data) -> xr.Dataset:
    if isinstance(data, xr.DataArray):
        ds = data.to_dataset(name=data.name or "value")
    elif isinstance(data, xr.Dataset):
        ds = data.copy()
    elif isinstance(data, dict):
        ds = xr.Dataset({k: (f"{k}_index", np.asarray(v).ravel()) for k, v in data.items()})
    else:
        raise TypeError(
            f"data must be an xarray Dataset/DataArray or a dict of arrays; got {type(data)}."
        )
    ds.attrs = _clean_attrs(ds.attrs)
    for name, var in list(ds.variables.items()):
        var.attrs = _clean_attrs(var.attrs)
        if np.iscomplexobj(var.values):
            raise TypeError("NetCDF3 holds no complex data: store real and imaginary parts.")
        if var.dtype.kind in "iu" and var.dtype.itemsize > 4:  # NetCDF3 has no 64-bit integers
            fits = var.size == 0 or np.abs(var.values).max() < 2**31
            converted = var.astype(np.int32 if fits else np.float64)
            ds = (
                ds.assign_coords({name: converted})
                if name in ds.coords
                else ds.assign({name: converted})
            )
    return ds


def _clean_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bool | np.bool_) or v is None or isinstance(v, dict | list | tuple):
            out[k] = json.dumps(v if not isinstance(v, np.bool_) else bool(v))
        elif isinstance(v, np.integer | int):
            out[k] = float(v) if abs(int(v)) > 2**31 - 1 else int(v)
        else:
            out[k] = v
    return out
