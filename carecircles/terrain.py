"""Terrain: elevation from DEM files, slopes along roads, and the slope models of each mode.

Walking follows Tobler's hiking function direction by direction; an e-bike keeps its road
speed until a climb needs more power than it has (the bicycle power equation); a car is not
slowed. Every model is a factor on the speed of the flat road, exactly 1 on level ground, so a
flat DEM gives the same times as no DEM.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse.linalg import spsolve

from carecircles._errors import DataIssues, InputError

#: Tobler (1993): walking speed 6·exp(−3.5·|S + 0.05|) km/h on slope S (rise over run).
TOBLER_SCALE = 3.5
TOBLER_OFFSET = 0.05

#: Gravity (m/s²) and air density (kg/m³) of the bicycle power equation.
GRAVITY = 9.81
AIR_DENSITY = 1.2


@dataclass(frozen=True)
class EbikePower:
    """The e-bike climbing model's parameters (an assumption, configurable).

    The speed on a climb is the smaller of the road's speed and the speed at which the
    bicycle power equation (Martin et al. 1998) needs ``power_w``:
    ``P = v · m·g·(S + c_rr) + ½·ρ·CdA·v³`` (small-angle form, S = rise over run).

    Attributes
    ----------
    power_w
        Power at the wheel in watts: 400 W, the rated-power limit of GB 17761-2018 for
        electric bicycles (the rider mostly does not pedal).
    mass_kg
        Rider and bicycle: 55 kg (GB 17761-2018 limit) + a 70 kg rider.
    rolling
        Rolling resistance coefficient ``c_rr`` (0.01: rural asphalt).
    drag_area_m2
        Drag area ``CdA`` of an upright rider (0.6 m²).
    """

    power_w: float = 400.0
    mass_kg: float = 125.0
    rolling: float = 0.01
    drag_area_m2: float = 0.6


def tobler_factor(slope: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the walking speed on ``slope`` over the speed on the flat (Tobler 1993).

    ``exp(−3.5·|S + 0.05|) / exp(−3.5·0.05)``: 1 on the flat, highest (1.19) on a gentle
    5 % descent, 0.70 on a 10 % climb, 1.00 on a 10 % descent. Exactly 1 where ``S = 0``.
    """
    slope = np.asarray(slope, dtype=float)
    flat = np.exp(-TOBLER_SCALE * TOBLER_OFFSET)
    factor = np.exp(-TOBLER_SCALE * np.abs(slope + TOBLER_OFFSET)) / flat
    return np.where(slope == 0, 1.0, factor)


def ebike_factor(
    slope: NDArray[np.float64], road_kmh: NDArray[np.float64], model: EbikePower
) -> NDArray[np.float64]:
    """E-bike speed on ``slope`` over the road's speed ``road_kmh``: at most 1.

    Descents and the flat keep the road's speed (speed limits and brakes, not physics, set it);
    a climb slows the bike once holding the road's speed would need more than
    ``model.power_w`` (:class:`EbikePower`).
    """
    slope = np.asarray(slope, dtype=float)
    v0 = np.asarray(road_kmh, dtype=float) / 3.6
    # P = a·v³ + b·v, solved for v by Cardano (one real root when b > 0, i.e. on any climb)
    a = 0.5 * AIR_DENSITY * model.drag_area_m2
    b = model.mass_kg * GRAVITY * (np.maximum(slope, 0.0) + model.rolling)
    p = model.power_w
    half = p / (2 * a)
    root = np.sqrt(half**2 + (b / (3 * a)) ** 3)
    v = np.cbrt(half + root) + np.cbrt(half - root)
    factor = np.minimum(1.0, v / np.maximum(v0, 1e-9))
    return np.where(slope <= 0, 1.0, factor)


# ---------------------------------------------------------------------------------------------
# the elevation surface


@dataclass(frozen=True)
class Elevation:
    """A DEM on its own grid, interpolated bilinearly between cell centres.

    Attributes
    ----------
    grid
        Elevations in metres, ``(rows, cols)``, no holes (filled when read).
    transform
        Affine transform of ``grid`` in ``crs``.
    crs
        The DEM's CRS.
    cell_m
        The smaller side of a cell, in metres (near the study).
    sources
        The files read.
    """

    grid: NDArray[np.float64]
    transform: object
    crs: CRS
    cell_m: float
    sources: tuple[str, ...]

    def at(self, x: NDArray[np.float64], y: NDArray[np.float64], crs: CRS) -> NDArray[np.float64]:
        """Elevation at points given in ``crs``: bilinear between the four nearest cell centres.

        Written as ``a + t·(b − a)`` so a level surface gives its level exactly.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if len(x) == 0:
            return np.zeros(0)
        gx, gy = Transformer.from_crs(crs, self.crs, always_xy=True).transform(x, y)
        inv = ~self.transform  # type: ignore[operator]
        gx, gy = np.asarray(gx), np.asarray(gy)
        col = inv.a * gx + inv.b * gy + inv.c
        row = inv.d * gx + inv.e * gy + inv.f
        col = np.clip(np.asarray(col) - 0.5, 0, self.grid.shape[1] - 1)
        row = np.clip(np.asarray(row) - 0.5, 0, self.grid.shape[0] - 1)
        c0 = np.minimum(np.floor(col).astype(np.int64), self.grid.shape[1] - 2).clip(0)
        r0 = np.minimum(np.floor(row).astype(np.int64), self.grid.shape[0] - 2).clip(0)
        tc, tr = col - c0, row - r0
        g = self.grid
        c1 = np.minimum(c0 + 1, g.shape[1] - 1)
        r1 = np.minimum(r0 + 1, g.shape[0] - 1)
        top = g[r0, c0] + tc * (g[r0, c1] - g[r0, c0])
        bottom = g[r1, c0] + tc * (g[r1, c1] - g[r1, c0])
        return top + tr * (bottom - top)


def read_elevation(
    paths: Sequence[Path],
    lon_lat_points: tuple[NDArray[np.float64], NDArray[np.float64]],
    issues: DataIssues,
) -> Elevation:
    """Read and merge DEM files over the points the study needs.

    Parameters
    ----------
    paths
        SRTM ``.hgt`` or ``.hgt.zip`` tiles and GeoTIFFs in any CRS (others are warped to the
        first file's CRS). Overlapping tiles (SRTM tiles share their edge row) are merged.
    lon_lat_points
        WGS-84 points the DEM must cover (road nodes, zone outlines).
    issues
        Records nodata holes that were filled from their neighbours.

    Raises
    ------
    InputError
        For a missing or unreadable file, or a DEM that does not cover every point (the
        message names the SRTM tiles that would).
    """
    from rasterio.enums import Resampling
    from rasterio.merge import merge
    from rasterio.vrt import WarpedVRT

    lon, lat = (np.asarray(v, dtype=float) for v in lon_lat_points)
    with ExitStack() as stack:
        datasets = [stack.enter_context(_open_dem(Path(p))) for p in paths]
        target = datasets[0].crs or CRS.from_epsg(4326)
        datasets = [
            ds
            if ds.crs == target
            else stack.enter_context(WarpedVRT(ds, crs=target, resampling=Resampling.bilinear))
            for ds in datasets
        ]
        to_dem = Transformer.from_crs(4326, target, always_xy=True)
        px, py = to_dem.transform(lon, lat)
        px, py = np.asarray(px), np.asarray(py)
        footprint = [ds.bounds for ds in datasets]
        covered = np.zeros(len(px), dtype=bool)
        for b in footprint:
            covered |= (px >= b.left) & (px <= b.right) & (py >= b.bottom) & (py <= b.top)
        if not covered.all():
            _uncovered(lon[~covered], lat[~covered], paths)
        # bounds on the first file's grid, so merging copies cells instead of resampling them
        first = datasets[0].transform
        res_x, res_y = abs(first.a), abs(first.e)
        left = first.c + np.floor((px.min() - first.c) / res_x - 2) * res_x
        right = first.c + np.ceil((px.max() - first.c) / res_x + 2) * res_x
        top = first.f - np.floor((first.f - py.max()) / res_y - 2) * res_y
        bottom = first.f - np.ceil((first.f - py.min()) / res_y + 2) * res_y
        nodata = -32768.0
        mosaic, transform = merge(
            datasets,
            bounds=(left, bottom, right, top),
            res=(res_x, res_y),
            nodata=nodata,
            dtype="float64",
            resampling=Resampling.nearest,
        )
    grid = mosaic[0].astype(float)
    holes = ~np.isfinite(grid) | (grid == nodata) | (grid < -1000)
    inside = _inside_footprint(grid.shape, transform, footprint)
    outside = holes & ~inside
    holes &= inside
    if holes.all() or inside.sum() == 0:
        raise InputError(
            "the DEM has no elevation value over the study area",
            path=str(paths[0]),
            zh="DEM 在研究区内没有高程值",
        )
    if holes.any():
        grid = _fill_holes(grid, holes | outside)
        issues.add(
            "warning",
            str(paths[0]),
            f"{int(holes.sum()):,} DEM cells over the study have no value (nodata); filled from "
            "their neighbours",
            zh=f"研究区内 {int(holes.sum()):,} 个 DEM 像元无值（nodata）；已按相邻像元补全",
            field="dem",
            value=int(holes.sum()),
            action="repaired",
        )
    elif outside.any():
        grid = _fill_holes(grid, outside)
    cell_m = _cell_metres(transform, target, float(np.mean(lat)))
    return Elevation(grid, transform, CRS.from_user_input(target), cell_m, tuple(str(p) for p in paths))


def _open_dem(path: Path) -> Any:  # a rasterio dataset
    import rasterio

    from carecircles._tables import ensure_local_data

    if not path.exists():
        raise InputError("DEM file not found", path=path, zh="找不到 DEM 文件")
    ensure_local_data(path, "DEM")
    target = str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                inner = [n for n in archive.namelist() if n.lower().endswith((".hgt", ".tif", ".tiff"))]
        except zipfile.BadZipFile as exc:
            raise InputError("not a zip file", path=path, zh="不是 zip 文件") from exc
        if len(inner) != 1:
            raise InputError(
                f"the zip must hold one .hgt or .tif file, it holds {inner or 'none'}",
                path=path,
                zh=f"zip 中应只有一个 .hgt 或 .tif 文件，实际为 {inner or '无'}",
            )
        target = f"/vsizip/{path.resolve()}/{inner[0]}"
    try:
        return rasterio.open(target)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read the DEM: {exc}", path=path, zh=f"无法读取 DEM：{exc}") from exc


def srtm_tile(lon: float, lat: float) -> str:
    """Name the SRTM tile holding a point, e.g. ``N49E011`` (its south-west corner)."""
    la, lo = int(np.floor(lat)), int(np.floor(lon))
    return f"{'N' if la >= 0 else 'S'}{abs(la):02d}{'E' if lo >= 0 else 'W'}{abs(lo):03d}"


def _uncovered(lon: NDArray[np.float64], lat: NDArray[np.float64], paths: Sequence[Path]) -> None:
    tiles = sorted({srtm_tile(a, b) for a, b in zip(lon, lat, strict=True)})
    box = f"{lon.min():.4f}–{lon.max():.4f} E, {lat.min():.4f}–{lat.max():.4f} N"
    raise InputError(
        f"the DEM does not cover the study: {len(lon):,} points ({box}) are outside "
        f"{', '.join(Path(p).name for p in paths)}; add the SRTM tiles {', '.join(tiles[:12])} "
        "(or a GeoTIFF that covers them)",
        path=str(paths[0]),
        field="inputs.dem",
        zh=(
            f"DEM 未覆盖研究区：{len(lon):,} 个点（{box}）在 DEM 范围外；"
            f"请补充 SRTM 图幅 {'、'.join(tiles[:12])}（或覆盖这些范围的 GeoTIFF）"
        ),
    )


def _inside_footprint(shape: tuple[int, ...], transform: object, footprint: list) -> NDArray[np.bool_]:
    rows, cols = shape[-2:]
    t = transform  # a north-up grid: x from the column, y from the row
    x = t.c + (np.arange(cols) + 0.5) * t.a  # type: ignore[attr-defined]
    y = t.f + (np.arange(rows) + 0.5) * t.e  # type: ignore[attr-defined]
    inside = np.zeros((rows, cols), dtype=bool)
    for b in footprint:
        inside |= ((y >= b.bottom) & (y <= b.top))[:, None] & ((x >= b.left) & (x <= b.right))[None, :]
    return inside


def _fill_holes(grid: NDArray[np.float64], holes: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Fill holes with the value of the nearest cell that has one."""
    from scipy import ndimage

    _, (r, c) = ndimage.distance_transform_edt(holes, return_indices=True)
    return grid[r, c]


def _cell_metres(transform: object, crs: CRS, lat: float) -> float:
    dx, dy = abs(transform.a), abs(transform.e)  # type: ignore[attr-defined]
    if CRS.from_user_input(crs).is_geographic:
        return float(min(dx * 111_320 * np.cos(np.radians(lat)), dy * 110_574))
    return float(min(dx, dy))


# ---------------------------------------------------------------------------------------------
# elevations of road nodes, and the time factors of edges


def node_elevations(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    structure: NDArray[np.bool_] | None,
    surface: Elevation,
    crs: CRS,
) -> NDArray[np.float64]:
    """Elevation of each road node; nodes on bridges and in tunnels are not on the terrain.

    A node whose every segment is a bridge or tunnel takes the elevation interpolated along
    the structure by distance between the nodes where it meets the ground (the harmonic
    interpolation on the structure's segments, weighted by 1/length: linear along a chain).
    """
    z = surface.at(x, y, crs)
    if structure is None or not structure.any():
        return z
    n = len(x)
    ground_edge = np.zeros(n, dtype=bool)
    ground_edge[u[~structure]] = True
    ground_edge[v[~structure]] = True
    on_structure = np.zeros(n, dtype=bool)
    on_structure[u[structure]] = True
    on_structure[v[structure]] = True
    lifted = on_structure & ~ground_edge
    if not lifted.any():
        return z
    su, sv = u[structure], v[structure]
    w = 1.0 / np.maximum(np.hypot(x[su] - x[sv], y[su] - y[sv]), 1e-3)
    pairs = (np.concatenate([su, sv]), np.concatenate([sv, su]))
    weights = sparse.coo_matrix((np.concatenate([w, w]), pairs), shape=(n, n)).tocsr()
    idx = np.flatnonzero(lifted)
    fixed = ~lifted
    sub = weights[idx]
    degree = np.asarray(sub.sum(axis=1)).ravel()
    # a structure that never touches the ground keeps the terrain under it (tiny pull)
    eps = 1e-9 * degree.max()
    system = sparse.diags(degree + eps) - sub[:, idx]
    rhs = sub[:, np.flatnonzero(fixed)] @ z[fixed] + eps * z[idx]
    z = z.copy()
    z[idx] = spsolve(system.tocsc(), rhs)
    return z


def edge_factors(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    z: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    structure: NDArray[np.bool_] | None,
    surface: Elevation,
    crs: CRS,
    factor: object,
    step_m: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Time multipliers of each segment travelled u→v and v→u.

    Each segment is cut into ``n = ceil(length / step_m)`` equal pieces; the elevations of
    the pieces' ends come from the surface (the segment's own ends from ``z``); a bridge or
    tunnel segment is one piece between its ends. The multiplier of a direction is the
    mean over the pieces of ``1 / factor(slope)``, so the time is the sum of the pieces'
    times; a level segment gives exactly 1.

    Parameters
    ----------
    factor
        Callable ``(slope, edge_index) -> speed factor`` (the edge index lets a model use
        the segment's road speed).
    """
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    pieces = np.maximum(1, np.ceil(length / step_m)).astype(np.int64)
    if structure is not None:
        pieces[structure] = 1
    edge = np.repeat(np.arange(len(u)), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    k = np.arange(len(edge)) - first  # piece number within its edge
    n = pieces[edge]
    t1 = (k + 1) / n
    # elevations at the pieces' ends: the interior ones from the surface
    interior = (k + 1) < n
    zi = np.empty(len(edge))
    ex, ey = x[u[edge]], y[u[edge]]
    dx, dy = x[v[edge]] - ex, y[v[edge]] - ey
    at = t1[interior]
    zi[interior] = surface.at(ex[interior] + at * dx[interior], ey[interior] + at * dy[interior], crs)
    zi[~interior] = z[v[edge[~interior]]]
    z_start = np.where(k == 0, z[u[edge]], np.roll(zi, 1))
    rise = zi - z_start
    run = length[edge] / n
    slope = np.divide(rise, run, out=np.zeros(len(run)), where=run > 0)
    forward = 1.0 / factor(slope, edge)  # type: ignore[operator]
    backward = 1.0 / factor(-slope, edge)  # type: ignore[operator]
    starts = np.cumsum(pieces) - pieces
    fwd = np.add.reduceat(forward, starts) / pieces if len(edge) else np.zeros(0)
    bwd = np.add.reduceat(backward, starts) / pieces if len(edge) else np.zeros(0)
    return fwd, bwd


#: Slope models by name: what each travel mode may use.
SLOPE_MODELS = ("tobler", "ebike_power", "none")
#: The model of each built-in mode when a DEM is given (other modes: none).
DEFAULT_SLOPE_MODELS = {"walk": "tobler", "ebike": "ebike_power", "car": "none"}


@dataclass(frozen=True)
class Terrain:
    """What a run knows of the terrain: the surface, road-node elevations and the models.

    Attributes
    ----------
    surface
        The DEM.
    node_z
        Elevation of every road node (:class:`~carecircles.roads.RoadEdges` order), bridges
        and tunnels interpolated along the structure.
    models
        Slope model per travel mode (``tobler``, ``ebike_power``, ``none``); a mode not
        listed is not slowed.
    ebike
        Parameters of the ``ebike_power`` model.
    step_m
        Sampling step along road segments, metres.
    offroad
        Whether the off-road walks (home to road, road to door) use Tobler on the slope
        between their ends.
    """

    surface: Elevation
    node_z: NDArray[np.float64]
    models: dict[str, str]
    ebike: EbikePower
    step_m: float
    offroad: bool = True
    _recent: list = field(default_factory=list, compare=False, repr=False)

    def elevation(self, x: NDArray[np.float64], y: NDArray[np.float64], crs: CRS) -> NDArray[np.float64]:
        """Surface elevation at points of ``crs``, remembered for the same arrays.

        Every standard asks for the elevations of the same population cells: they are
        sampled once per run, not once per standard.
        """
        for seen_x, seen_y, seen_crs, z in self._recent:
            if seen_x is x and seen_y is y and seen_crs == crs:
                return z
        z = self.surface.at(x, y, crs)
        self._recent.insert(0, (x, y, crs, z))
        del self._recent[4:]
        return z

    def model(self, mode: str) -> str:
        """Slope model of ``mode``."""
        return self.models.get(mode, "none")

    def speed_factor(self, mode: str, road_kmh: NDArray[np.float64]) -> object:
        """``(slope, edge) -> factor`` for :func:`edge_factors`, or ``None`` for no model."""
        name = self.model(mode)
        if name == "tobler":
            return lambda slope, edge: tobler_factor(slope)
        if name == "ebike_power":
            return lambda slope, edge: ebike_factor(slope, road_kmh[edge], self.ebike)
        return None


def make_terrain(
    surface: Elevation,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    structure: NDArray[np.bool_] | None,
    crs: CRS,
    *,
    models: dict[str, str] | None = None,
    ebike: EbikePower | None = None,
    step_m: float | None = None,
) -> Terrain:
    """Elevations of the road nodes and the run's slope models.

    ``step_m`` defaults to half the DEM cell (at least 5 m).
    """
    from carecircles._crs import project_lonlat

    x, y = project_lonlat(lon, lat, crs)
    z = node_elevations(x, y, u, v, structure, surface, crs)
    chosen = {**DEFAULT_SLOPE_MODELS, **(models or {})}
    return Terrain(
        surface=surface,
        node_z=z,
        models=chosen,
        ebike=ebike or EbikePower(),
        step_m=step_m if step_m is not None else max(5.0, surface.cell_m / 2),
        offroad=chosen.get("walk") == "tobler",
    )
