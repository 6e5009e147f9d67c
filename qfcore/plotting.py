"""One figure style for the whole companion, and :func:`save_figure`.

Every figure is written three times: PNG (for notebooks and web viewers), PDF (vector, for
papers and slides) and NetCDF (the xarray data the figure shows, so that a reader can re-plot or
compare numbers without re-running anything). Before it is written, :func:`figure_problems`
checks that a reader can decode it: every colour-coded panel has a labelled colorbar or a
legend.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib as mpl
import numpy as np
import xarray as xr

from qfcore._paths import figures_dir

__all__ = ["STYLE", "colorbar", "figure_problems", "save_figure", "use_style"]

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


def colorbar(mappable, label: str, ax=None, **kwargs):
    """A labelled colorbar for a colour-coded panel, with the panel's grid switched off.

    Parameters
    ----------
    mappable : matplotlib.cm.ScalarMappable
        What ``imshow``, ``pcolormesh``, ``contourf`` or ``scatter(c=...)`` returned, or a
        bare ``ScalarMappable(norm, cmap)`` for a family of curves coloured by a parameter.
    label : str
        The quantity and its unit, e.g. ``"|ψ|² (1/length)"``.
    ax : matplotlib.axes.Axes or list of Axes, optional
        The panel(s) the colorbar takes its room from (default: the mappable's own axes).
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.colorbar` (``shrink``, ``pad``, …).

    Returns
    -------
    matplotlib.colorbar.Colorbar

    Raises
    ------
    ValueError
        If ``label`` is empty, or neither ``ax`` nor the mappable's axes is known.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, numpy as np
    >>> fig, ax = plt.subplots()
    >>> cb = colorbar(ax.imshow(np.eye(3)), "ρ (1/length²)")
    >>> cb.ax.get_ylabel(), ax.xaxis._major_tick_kw.get("gridOn")
    ('ρ (1/length²)', False)
    """
    if not str(label).strip():
        raise ValueError("label must name the quantity and its unit, e.g. 'ρ (1/length)'.")
    ax = ax if ax is not None else getattr(mappable, "axes", None)
    if ax is None:
        raise ValueError("ax is needed for a mappable that belongs to no axes.")
    panels = ax if isinstance(ax, list | tuple | np.ndarray) else [ax]
    if getattr(mappable, "axes", None) is not None:
        mappable.axes.grid(False)
    return panels[0].figure.colorbar(mappable, ax=ax, label=label, **kwargs)


def figure_problems(fig) -> list[str]:
    """What keeps a reader from decoding the colours of ``fig``; empty when nothing does.

    Three rules, each for a panel (axes) that is not itself a colorbar:

    1. Every colour-mapped artist (``imshow``, ``pcolormesh``, ``contourf``, a ``scatter`` or
       ``LineCollection`` coloured by an array) is explained by a colorbar: its own, or one
       of the figure's colorbars with the same colormap and limits (a shared colorbar).
       Single-colour line contours drawn over another plot are exempt.
    2. Every colorbar has a label (the quantity and its unit).
    3. Curves drawn in two or more colours without labels (a family coloured by a
       parameter) are explained by a legend on the panel or the figure, or by a colorbar.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    list of str
        One sentence per problem, naming the panel by its title (or its index).

    Raises
    ------
    Nothing.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, numpy as np
    >>> fig, ax = plt.subplots()
    >>> im = ax.imshow(np.eye(3))
    >>> figure_problems(fig)
    ['panel 0: AxesImage is colour-coded but has no colorbar; add fig.colorbar(..., label=...)']
    >>> fig.colorbar(im, ax=ax, label="density ρ (1/length)")  # doctest: +ELLIPSIS
    <matplotlib.colorbar.Colorbar object at ...>
    >>> figure_problems(fig)
    []
    """
    colorbars = [ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]
    bar_axes = {id(cb.ax) for cb in colorbars}
    problems = []
    for cb in colorbars:
        label = cb.ax.get_ylabel() if cb.orientation == "vertical" else cb.ax.get_xlabel()
        if not label.strip():
            problems.append("a colorbar has no label; give the quantity and its unit (label=...)")
    panels = [ax for ax in fig.axes if id(ax) not in bar_axes]
    for i, ax in enumerate(panels):
        name = f"panel {ax.get_title()!r}" if ax.get_title() else f"panel {i}"
        for artist in [*ax.images, *ax.collections]:
            if _colour_mapped(artist) and not _explained(artist, colorbars):
                problems.append(
                    f"{name}: {type(artist).__name__} is colour-coded but has no colorbar; "
                    "add fig.colorbar(..., label=...)"
                )
        unlabelled = {
            mpl.colors.to_hex(line.get_color())
            for line in ax.get_lines()
            if line.get_label().startswith("_") and np.size(line.get_xdata()) > 2
        }
        if len(unlabelled) > 1 and ax.get_legend() is None and not fig.legends and not colorbars:
            problems.append(
                f"{name}: curves in {len(unlabelled)} colours without labels; add a legend "
                "(label=...) or a colorbar for the parameter that colours them"
            )
    return problems


def _colour_mapped(artist) -> bool:
    if not isinstance(artist, mpl.cm.ScalarMappable) or artist.get_array() is None:
        return False
    if isinstance(artist, mpl.contour.ContourSet) and not artist.filled:
        return len({mpl.colors.to_hex(c) for c in artist.get_edgecolor()}) > 1
    return True


def _explained(artist, colorbars) -> bool:
    if getattr(artist, "colorbar", None) is not None:
        return True
    limits = (artist.norm.vmin, artist.norm.vmax)
    return any(
        cb.mappable.get_cmap().name == artist.get_cmap().name
        and np.allclose((cb.mappable.norm.vmin, cb.mappable.norm.vmax), limits)
        for cb in colorbars
    )


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
        If ``name`` has other characters, or the figure fails :func:`figure_problems`.
    TypeError
        If ``data`` is of another type.
    """
    if not _NAME_RE.match(name):
        raise ValueError(
            f"name {name!r} may hold only letters, digits, '_', '.' and '-' (no folders)."
        )
    problems = figure_problems(fig)
    if problems:
        raise ValueError(f"figure {name!r} cannot be read: " + "; ".join(problems) + ".")
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
