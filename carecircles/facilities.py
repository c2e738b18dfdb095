"""Facility tables (CSV / GeoJSON / GPKG): coordinates found, datums converted, types mapped.

Every row either becomes a facility or appears in the data-issues table with the reason.
Rows are numbered as a planner sees them: for a CSV, the line in the file (header = 1);
for a vector file, the feature number (first = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from carecircles._errors import DataIssues, InputError
from carecircles._tables import column_lookup, find_column, read_table
from carecircles.coords import parse_datum, to_wgs84
from carecircles.standards import FACILITY_TYPES, classify_facility_type

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "wgs84_lon", "gcj_lon")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬", "wgs84_lat", "gcj_lat")
DATUM_NAMES = ("crs", "datum", "coord_sys", "coordsys", "coordinate_system", "坐标系")
TYPE_NAMES = ("type", "facility_type", "category", "kind", "类型", "机构类型", "机构类别")
ID_NAMES = ("id", "facility_id", "code", "编码", "机构编码", "机构代码")
NAME_NAMES = ("name", "facility_name", "名称", "机构名称")
STATUS_NAMES = ("status", "状态")

_STATUS = {
    "existing": "existing",
    "current": "existing",
    "open": "existing",
    "现有": "existing",
    "已建": "existing",
    "运营": "existing",
    "planned": "planned",
    "proposed": "planned",
    "规划": "planned",
    "拟建": "planned",
    "在建": "planned",
    "新建": "planned",
    "relocating": "relocating",
    "迁建": "relocating",
    "搬迁": "relocating",
    "closed": "closed",
    "关闭": "closed",
    "撤销": "closed",
}


@dataclass(frozen=True)
class FacilityColumns:
    """Column names to use; ``None`` means find them by common names."""

    lon: str | None = None
    lat: str | None = None
    datum: str | None = None
    type: str | None = None
    id: str | None = None
    name: str | None = None
    status: str | None = None


def read_facilities(
    path: str | Path,
    issues: DataIssues,
    *,
    study_area: shapely.Geometry | None = None,
    columns: FacilityColumns | None = None,
    default_datum: str = "wgs84",
    outside_buffer_m: float = 10_000.0,
) -> gpd.GeoDataFrame:
    """Read a facility table and return valid facilities as WGS-84 points.

    Parameters
    ----------
    path
        CSV (UTF-8 or GB18030, as Chinese Excel saves it), GeoJSON, GPKG or any vector file.
    issues
        Collector for repaired and excluded rows.
    study_area
        WGS-84 polygon of the study area: used to detect swapped lat/lon and facilities
        outside it. Facilities outside but within ``outside_buffer_m`` are kept (people
        cross boundaries to get care); farther ones are excluded.
    columns
        Explicit column names, where automatic detection is not wanted.
    default_datum
        Datum of rows without a datum column value (``wgs84``, ``gcj02``, ``bd09``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``type``, ``type_label``, ``status``, ``row``,
        ``datum`` plus every input column, geometry in EPSG:4326.

    Raises
    ------
    InputError
        If the file cannot be read or has no usable coordinate columns.
    """
    path = Path(path)
    columns = columns or FacilityColumns()
    table, row_offset, geometry_lonlat = read_table(path, "facility")
    if table.empty:
        raise InputError("the facility table has no rows", path=path)
    lookup = column_lookup(table.columns)

    lon_col = find_column(lookup, columns.lon, LON_NAMES, path, "lon", required=geometry_lonlat is None)
    lat_col = find_column(lookup, columns.lat, LAT_NAMES, path, "lat", required=geometry_lonlat is None)
    if lon_col and lat_col:
        lon = pd.to_numeric(table[lon_col], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(table[lat_col], errors="coerce").to_numpy(dtype=float)
    else:
        lon, lat = geometry_lonlat
        lon_col, lat_col = "geometry", "geometry"
    rows = np.arange(len(table)) + row_offset
    keep = np.ones(len(table), dtype=bool)

    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    for i in np.flatnonzero(bad):
        field = lon_col if not np.isfinite(lon[i]) else lat_col
        raw = table[field].iloc[i] if field in table else None
        issues.add(
            "error",
            path,
            "coordinate missing or not a number",
            row=int(rows[i]),
            field=field,
            value=raw,
            action="excluded",
        )
    keep &= ~bad

    datum = _datums(table, lookup, columns.datum, default_datum, rows, path, issues)
    lon, lat = _fix_ranges(lon, lat, keep, study_area, rows, path, issues, (lon_col, lat_col))
    keep &= np.isfinite(lon) & np.isfinite(lat)

    w_lon, w_lat = np.full(len(lon), np.nan), np.full(len(lat), np.nan)
    w_lon[keep], w_lat[keep] = to_wgs84(lon[keep], lat[keep], datum[keep])

    out = table.copy()
    out["row"] = rows
    out["datum"] = datum
    out["facility_id"] = _ids(table, lookup, columns.id, rows, path, issues)
    name_col = find_column(lookup, columns.name, NAME_NAMES, path, "name", required=False)
    out["name"] = table[name_col].astype(str) if name_col else out["facility_id"]
    out["type_label"], out["type"] = _types(table, lookup, columns.type, name_col, rows, path, issues)
    out["status"] = _statuses(table, lookup, columns.status, rows, path, issues)
    frame = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(w_lon, w_lat), crs=4326)
    frame = frame[keep]
    if study_area is not None and len(frame):
        frame = _check_study_area(frame, study_area, outside_buffer_m, path, issues)
    return frame.reset_index(drop=True)


def _datums(
    table: pd.DataFrame,
    lookup: dict[str, str],
    wanted: str | None,
    default: str,
    rows: NDArray,
    path: Path,
    issues: DataIssues,
) -> NDArray[np.object_]:
    default_datum = parse_datum(default)
    if default_datum is None:
        raise InputError(f"unknown default datum {default!r}", path=path, field="datum")
    col = find_column(lookup, wanted, DATUM_NAMES, path, "datum", required=False)
    if col is None:
        return np.full(len(table), default_datum, dtype=object)
    values = table[col].to_numpy(dtype=object)
    parsed = np.array(
        [parse_datum(v) if v is not None and str(v).strip() else default_datum for v in values], dtype=object
    )
    for i in np.flatnonzero(pd.isna(parsed)):
        issues.add(
            "warning",
            path,
            f"unknown datum; read as {default_datum}",
            row=int(rows[i]),
            field=col,
            value=values[i],
            action="repaired",
        )
        parsed[i] = default_datum
    return parsed


def _fix_ranges(
    lon: NDArray,
    lat: NDArray,
    keep: NDArray,
    study_area: shapely.Geometry | None,
    rows: NDArray,
    path: Path,
    issues: DataIssues,
    fields: tuple[str, str],
) -> tuple[NDArray, NDArray]:
    """Swap lat/lon back where that is clearly what happened; exclude out-of-range rows."""
    lon, lat = lon.copy(), lat.copy()
    in_range = (np.abs(lon) <= 180) & (np.abs(lat) <= 90) & ~((lon == 0) & (lat == 0))
    swapped_ok = (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
    if study_area is not None:
        box = shapely.box(*shapely.buffer(study_area, 0.5).bounds)
        inside = shapely.contains_xy(box, lon, lat)
        swapped_inside = shapely.contains_xy(box, lat, lon)
        swap = keep & ~inside & swapped_inside
    else:
        swap = keep & ~in_range & swapped_ok
    for i in np.flatnonzero(swap):
        issues.add(
            "warning",
            path,
            f"longitude and latitude look swapped ({lon[i]}, {lat[i]}); swapped back",
            row=int(rows[i]),
            field=f"{fields[0]}/{fields[1]}",
            value=f"{lon[i]}, {lat[i]}",
            action="repaired",
        )
    lon[swap], lat[swap] = lat[swap], lon[swap].copy()
    in_range = (np.abs(lon) <= 180) & (np.abs(lat) <= 90) & ~((lon == 0) & (lat == 0))
    for i in np.flatnonzero(keep & ~in_range):
        field = fields[0] if abs(lon[i]) > 180 or lon[i] == 0 else fields[1]
        issues.add(
            "error",
            path,
            "coordinate out of range (longitude -180..180, latitude -90..90, not 0,0)",
            row=int(rows[i]),
            field=field,
            value=f"{lon[i]}, {lat[i]}",
            action="excluded",
        )
    lon[~in_range] = np.nan
    lat[~in_range] = np.nan
    return lon, lat


def _ids(
    table: pd.DataFrame,
    lookup: dict[str, str],
    wanted: str | None,
    rows: NDArray,
    path: Path,
    issues: DataIssues,
) -> NDArray[np.object_]:
    col = find_column(lookup, wanted, ID_NAMES, path, "id", required=False)
    if col is None:
        issues.add("info", path, "no id column: facilities numbered F0001… by row", field="id")
        return np.array([f"F{r:04d}" for r in rows], dtype=object)
    ids = table[col].astype(str).str.strip().to_numpy(dtype=object)
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in ("", "nan"):
            ids[i] = value = f"F{rows[i]:04d}"
            issues.add(
                "warning", path, f"empty id; set to {value}", row=int(rows[i]), field=col, action="repaired"
            )
        if value in seen:
            seen[value] += 1
            ids[i] = f"{value}-{seen[value]}"
            issues.add(
                "warning",
                path,
                f"duplicate id {value!r}; renamed {ids[i]}",
                row=int(rows[i]),
                field=col,
                value=value,
                action="repaired",
            )
        else:
            seen[value] = 1
    return ids


def _types(
    table: pd.DataFrame,
    lookup: dict[str, str],
    wanted: str | None,
    name_col: str | None,
    rows: NDArray,
    path: Path,
    issues: DataIssues,
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    col = find_column(lookup, wanted, TYPE_NAMES, path, "type", required=False)
    source = col or name_col
    if source is None:
        raise InputError(
            f"no facility type column (one of {', '.join(TYPE_NAMES)}) and no name to infer it from",
            path=path,
            field="type",
        )
    labels = table[source].astype(str).to_numpy(dtype=object)
    codes = np.array([classify_facility_type(v) for v in labels], dtype=object)
    for i in np.flatnonzero(pd.isna(codes)):
        issues.add(
            "warning",
            path,
            "facility type not recognised; counted as 'other' "
            f"(known: {', '.join(t.zh for t in FACILITY_TYPES.values())})",
            row=int(rows[i]),
            field=source,
            value=labels[i],
            action="repaired",
        )
        codes[i] = "other"
    return labels, codes


def _statuses(
    table: pd.DataFrame,
    lookup: dict[str, str],
    wanted: str | None,
    rows: NDArray,
    path: Path,
    issues: DataIssues,
) -> NDArray[np.object_]:
    col = find_column(lookup, wanted, STATUS_NAMES, path, "status", required=False)
    if col is None:
        return np.full(len(table), "existing", dtype=object)
    raw = table[col].fillna("").astype(str).str.strip()
    status = raw.str.lower().map(_STATUS).to_numpy(dtype=object)
    for i in np.flatnonzero(pd.isna(status)):
        if raw.iloc[i]:
            issues.add(
                "warning",
                path,
                "status not recognised; read as existing",
                row=int(rows[i]),
                field=col,
                value=raw.iloc[i],
                action="repaired",
            )
        status[i] = "existing"
    return status


def _check_study_area(
    frame: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    buffer_m: float,
    path: Path,
    issues: DataIssues,
) -> gpd.GeoDataFrame:
    from carecircles._crs import utm_crs

    centre = study_area.centroid
    local = utm_crs(centre.x, centre.y)
    area = gpd.GeoSeries([study_area], crs=4326).to_crs(local).iloc[0]
    points = frame.geometry.to_crs(local)
    distance = points.distance(area).to_numpy()
    far = distance > buffer_m
    near = (distance > 0) & ~far
    for i in np.flatnonzero(near):
        issues.add(
            "info",
            path,
            f"facility {distance[i] / 1000:.1f} km outside the study area; "
            "kept (people cross boundaries for care)",
            row=int(frame["row"].iloc[i]),
            field="geometry",
            value=frame["name"].iloc[i],
        )
    for i in np.flatnonzero(far):
        issues.add(
            "warning",
            path,
            f"facility {distance[i] / 1000:.1f} km outside the study area "
            f"(more than {buffer_m / 1000:g} km); excluded",
            row=int(frame["row"].iloc[i]),
            field="geometry",
            value=frame["name"].iloc[i],
            action="excluded",
        )
    return frame[~far]
