"""Population: raster cells (WorldPop-style GeoTIFF, any CRS) or counts on village points."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.windows
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from carecircles._errors import DataIssues, InputError
from carecircles._tables import column_lookup, find_column, read_table
from carecircles.facilities import LAT_NAMES, LON_NAMES

VILLAGE_POP_NAMES = ("population", "pop", "人口", "户籍人口", "常住人口", "resident_pop")
VILLAGE_NAME_NAMES = ("name", "village_name", "名称", "村名", "行政村")
VILLAGE_ID_NAMES = ("village_id", "id", "code", "编码", "区划代码")


@dataclass(frozen=True)
class RasterGrid:
    """Where population cells sit on their raster, for turning cells back into polygons."""

    transform: Affine
    shape: tuple[int, int]
    crs: CRS
    zone_index: NDArray[np.int32]  # per raster cell: zone index, -1 outside every zone


@dataclass(frozen=True)
class PopulationCells:
    """Populated places to count: raster cells (with their grid) or points.

    Attributes
    ----------
    x, y
        Positions in the local metric CRS.
    population
        People per place.
    zone
        Index into the zones table.
    row, col
        Raster position of each cell (``None`` for points).
    grid
        Raster geometry (``None`` for points).
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    population: NDArray[np.float64]
    zone: NDArray[np.int64]
    row: NDArray[np.int64] | None = None
    col: NDArray[np.int64] | None = None
    grid: RasterGrid | None = None

    @property
    def total(self) -> float:
        """Total population."""
        return float(self.population.sum())


def read_population_raster(
    path: str | Path, zones: gpd.GeoDataFrame, local_crs: CRS, issues: DataIssues
) -> PopulationCells:
    """Read the populated cells of a raster that fall in the zones (by cell centre).

    Only the window covering the zones is read, so a national WorldPop file works. Nodata,
    NaN and negative values count as no one. Cells are assigned to zones by rasterising the
    zones onto the raster's own grid; cell centres are then projected to ``local_crs``
    (counts are never resampled).

    Raises
    ------
    InputError
        If the raster is missing, has no CRS, or does not overlap the zones.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("population raster not found", path=path)
    try:
        source = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read raster: {exc}", path=path) from exc
    with source:
        if source.crs is None:
            raise InputError(
                "the raster has no CRS: set one (e.g. gdal_edit.py -a_srs EPSG:4326) before using it",
                path=path,
                field="crs",
            )
        raster_crs = CRS.from_user_input(source.crs)
        if not raster_crs.equals(CRS.from_epsg(4326)) and not raster_crs.equals(local_crs):
            issues.add(
                "info",
                path,
                f"raster CRS {raster_crs.to_string()} differs from the "
                f"study CRS {local_crs.to_string()}; cell centres were reprojected, "
                "counts were not resampled",
                field="crs",
            )
        zones_r = zones.to_crs(raster_crs)
        window = _zone_window(source, zones_r.total_bounds, path)
        band = source.read(1, window=window, masked=True)
        transform = source.window_transform(window)
    values = np.ma.filled(band.astype(float), np.nan)
    nodata_cells = int(np.ma.getmaskarray(band).sum())
    bad = ~np.isfinite(values) | (values < 0)
    values[bad] = 0.0
    zone_index = rasterio.features.rasterize(
        ((geom, i) for i, geom in enumerate(zones_r.geometry)),
        out_shape=values.shape,
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    in_zone = zone_index >= 0
    if nodata_cells:
        inside_nodata = int((np.ma.getmaskarray(band) & in_zone).sum())
        issues.add(
            "info",
            path,
            f"{inside_nodata} nodata cells inside the zones counted as no population",
            field="nodata",
        )
    populated = in_zone & (values > 0)
    rows, cols = np.nonzero(populated)
    cx, cy = rasterio.transform.xy(transform, rows, cols, offset="center")
    x, y = Transformer.from_crs(raster_crs, local_crs, always_xy=True).transform(
        np.asarray(cx, float), np.asarray(cy, float)
    )
    return PopulationCells(
        x=np.asarray(x),
        y=np.asarray(y),
        population=values[rows, cols],
        zone=zone_index[rows, cols].astype(np.int64),
        row=rows.astype(np.int64),
        col=cols.astype(np.int64),
        grid=RasterGrid(transform=transform, shape=values.shape, crs=raster_crs, zone_index=zone_index),
    )


def _zone_window(
    source: rasterio.DatasetReader, bounds: NDArray[np.float64], path: Path
) -> rasterio.windows.Window:
    left, bottom, right, top = source.bounds
    if bounds[0] >= right or bounds[2] <= left or bounds[1] >= top or bounds[3] <= bottom:
        raise InputError(
            f"the raster (bounds {tuple(round(b, 4) for b in source.bounds)}) does not overlap "
            f"the study zones (bounds {tuple(round(b, 4) for b in bounds)}); is it the right "
            "file, and is its CRS right?",
            path=path,
        )
    exact = rasterio.windows.from_bounds(*bounds, transform=source.transform)
    # whole cells covering the bounds: floor the near edges and ceil the far ones
    col0, row0 = np.floor(exact.col_off), np.floor(exact.row_off)
    col1, row1 = np.ceil(exact.col_off + exact.width), np.ceil(exact.row_off + exact.height)
    window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
    full = rasterio.windows.Window(0, 0, source.width, source.height)
    return window.intersection(full)


def read_villages(
    path: str | Path,
    zones: gpd.GeoDataFrame,
    issues: DataIssues,
    *,
    population_column: str | None = None,
    name_column: str | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read village points with a population each and assign them to zones.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village_id``, ``name``, ``population``, ``zone_code``, geometry in EPSG:4326.
        Villages outside every zone are reported and excluded.
    """
    path = Path(path)
    table, offset, lonlat = read_table(path, "village")  # says "village file not found" if missing
    lookup = column_lookup(table.columns)
    if lonlat is None:
        lon_col = find_column(lookup, None, LON_NAMES, path, "lon")
        lat_col = find_column(lookup, None, LAT_NAMES, path, "lat")
        lonlat = (
            pd.to_numeric(table[lon_col], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(table[lat_col], errors="coerce").to_numpy(dtype=float),
        )
    frame = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(*lonlat), crs=4326)
    pop_col = find_column(lookup, population_column, VILLAGE_POP_NAMES, path, "village population")
    name_col = find_column(lookup, name_column, VILLAGE_NAME_NAMES, path, "village name", required=False)
    id_col = find_column(lookup, id_column, VILLAGE_ID_NAMES, path, "village id", required=False)
    population = pd.to_numeric(frame[pop_col], errors="coerce")
    rows = np.arange(len(frame)) + offset
    for i in np.flatnonzero(population.isna() | (population < 0)):
        issues.add(
            "warning",
            path,
            "population missing or negative; set to 0",
            row=int(rows[i]),
            field=pop_col,
            value=frame[pop_col].iloc[i],
            action="repaired",
        )
    out = gpd.GeoDataFrame(
        {
            "village_id": (
                frame[id_col].astype(str) if id_col else pd.Series([f"V{r:04d}" for r in rows])
            ).to_numpy(),
            "name": (frame[name_col].astype(str) if name_col else frame.index.astype(str)).to_numpy(),
            "population": population.fillna(0).clip(lower=0).to_numpy(),
            "row": rows,
        },
        geometry=frame.geometry.to_numpy(),
        crs=4326,
    )
    bad_geom = out.geometry.is_empty | out.geometry.x.isna()
    for i in np.flatnonzero(bad_geom):
        issues.add(
            "error", path, "village has no valid point", row=int(rows[i]), field="geometry", action="excluded"
        )
    out = out[~bad_geom]
    joined = gpd.sjoin(out, zones[["zone_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    outside = joined["zone_code"].isna()
    for i in np.flatnonzero(outside):
        issues.add(
            "warning",
            path,
            "village outside every zone; excluded",
            row=int(joined["row"].iloc[i]),
            field="geometry",
            value=joined["name"].iloc[i],
            action="excluded",
        )
    return joined[~outside].drop(columns="index_right").reset_index(drop=True)


def population_from_villages(
    villages: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, local_crs: CRS
) -> PopulationCells:
    """Use village points with counts as the population (no raster available)."""
    from carecircles._crs import project_lonlat

    x, y = project_lonlat(villages.geometry.x, villages.geometry.y, local_crs)
    index = pd.Index(zones["zone_code"])
    return PopulationCells(
        x=x,
        y=y,
        population=villages["population"].to_numpy(dtype=float),
        zone=index.get_indexer(villages["zone_code"]).astype(np.int64),
    )
