"""One reader for point tables (facilities, villages, candidate sites): CSV or vector points.

Column lookup, datum conversion (WGS-84 / GCJ-02 / BD-09, per row or a default), range
checks, swapped-coordinate repair, row numbering, empty-file and CRS checks happen here
once, so every point input is read by the same rules. Rows are numbered as a planner sees
them: for a CSV, the line in the file (header = 1); for a vector file, the feature number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from carecircles._coordtext import PAIR_NAMES, parse_coordinates, split_pair
from carecircles._errors import DataIssues, InputError
from carecircles._tables import column_lookup, find_column, read_table, report_mojibake
from carecircles.coords import parse_datum, to_wgs84

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "wgs84_lon", "gcj_lon")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬", "wgs84_lat", "gcj_lat")
DATUM_NAMES = ("crs", "datum", "coord_sys", "coordsys", "coordinate_system", "坐标系")


@dataclass(frozen=True)
class PointTable:
    """A point table as read: every row, with WGS-84 positions for the usable ones.

    Attributes
    ----------
    table
        The attribute table, every row (text columns for CSV).
    lon, lat
        WGS-84 degrees; ``nan`` for excluded rows.
    keep
        Rows with a usable position (the others are in the data issues).
    rows
        Row number of each record as a planner counts it.
    datum
        Datum each row was given in (``wgs84``, ``gcj02``, ``bd09``).
    lookup
        Lower-cased column name → column, for further column lookups.
    path
        The file.
    hint
        What to add to a "column not found" message when the text looks garbled.
    """

    table: pd.DataFrame
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    keep: NDArray[np.bool_]
    rows: NDArray[np.int64]
    datum: NDArray[np.object_]
    lookup: dict[str, str]
    path: Path
    hint: str = ""


def read_points(
    path: str | Path,
    issues: DataIssues,
    *,
    what: str,
    lon_column: str | None = None,
    lat_column: str | None = None,
    datum_column: str | None = None,
    default_datum: str = "wgs84",
    study_area: shapely.Geometry | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> PointTable:
    """Read a CSV with lon/lat columns, or a vector point layer, into WGS-84 positions.

    Parameters
    ----------
    path
        CSV (UTF-8 or GB18030, as Chinese Excel saves it), GeoJSON, GPKG, Shapefile or any
        vector file. A vector file's geometry is used unless lon/lat columns are named.
    issues
        Collector for repaired and excluded rows.
    what
        What the rows are ("facility", "village", "candidate"), for messages.
    lon_column, lat_column, datum_column
        Columns to use; found by common names when not given.
    default_datum
        Datum of rows without a datum column value (``wgs84``, ``gcj02``, ``bd09``).
    study_area
        WGS-84 polygon: a point outside it whose swapped lat/lon falls inside is swapped back.
    encoding
        Text encoding of the file (default: UTF-8 or GB18030 for CSV, the layer's own for
        vector files).
    sheet
        The sheet of an .xlsx/.xls workbook (default: the first).

    Returns
    -------
    PointTable

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, no coordinate columns, a vector layer whose
        coordinates are not degrees, or a table in which no row has a position in range.
    """
    path = Path(path)
    table, offset, geometry_lonlat = read_table(path, what, encoding=encoding, issues=issues, sheet=sheet)
    if table.empty:
        raise InputError(f"the {what} table has no rows", path=path)
    hint = report_mojibake(table, path, issues, what) if geometry_lonlat is not None else ""
    lookup = column_lookup(table.columns)
    use_columns = geometry_lonlat is None or lon_column is not None or lat_column is not None
    if use_columns:
        lon, lat, lon_col, lat_col = table_coordinates(
            table, lookup, lon_column, lat_column, path, what, hint
        )
    else:
        assert geometry_lonlat is not None  # use_columns is true otherwise
        lon, lat = (np.asarray(v, dtype=float).copy() for v in geometry_lonlat)
        lon_col = lat_col = "geometry"
    rows = np.arange(len(table), dtype=np.int64) + offset

    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    for i in np.flatnonzero(bad):
        field = lon_col if not np.isfinite(lon[i]) else lat_col
        raw = table[field].iloc[i] if field in table else None
        issues.add(
            "error",
            path,
            f"{what} coordinate missing or not a number",
            zh=f"{what}坐标缺失或不是数字",
            row=int(rows[i]),
            field=field,
            value=raw,
            action="excluded",
        )
    keep = ~bad
    datum = _datums(table, lookup, datum_column, default_datum, rows, path, issues)
    lon, lat = _fix_ranges(lon, lat, keep, study_area, rows, path, issues, (lon_col, lat_col))
    if keep.any() and not np.isfinite(lon[keep]).any():
        raise InputError(
            f"no {what} has a longitude/latitude in range (±180/±90): are the coordinates "
            f"projected metres? give degrees (columns {lon_col}, {lat_col})",
            path=path,
            field=lon_col,
        )
    keep &= np.isfinite(lon) & np.isfinite(lat)
    w_lon, w_lat = np.full(len(lon), np.nan), np.full(len(lat), np.nan)
    w_lon[keep], w_lat[keep] = to_wgs84(lon[keep], lat[keep], datum[keep])
    return PointTable(table, w_lon, w_lat, keep, rows, datum, lookup, path, hint)


def table_coordinates(
    table: pd.DataFrame,
    lookup: dict[str, str],
    lon_column: str | None,
    lat_column: str | None,
    path: Path,
    what: str,
    hint: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], str, str]:
    """Longitude and latitude from two columns, or from one "经纬度" column of pairs.

    Each value may be decimal degrees or degrees-minutes-seconds, in full-width digits too
    (:func:`carecircles._coordtext.parse_coordinate`).

    Raises
    ------
    InputError
        When no column holds coordinates, or no row's value in them is a coordinate: the
        message shows a value and the forms that are read.
    """
    named = lon_column is not None or lat_column is not None
    pair = None if named else find_column(lookup, None, PAIR_NAMES, path, "lonlat", required=False)
    has_two = any(n in lookup for n in LON_NAMES) and any(n in lookup for n in LAT_NAMES)
    if pair is not None and not has_two:
        halves = [split_pair(v) for v in table[pair]]
        lon_text = pd.Series([h[0] if h else None for h in halves], index=table.index, dtype=object)
        lat_text = pd.Series([h[1] if h else None for h in halves], index=table.index, dtype=object)
        lon, lat = parse_coordinates(lon_text), parse_coordinates(lat_text)
        _refuse_unreadable(table[pair], lon, lat, path, pair, what)
        return lon, lat, pair, pair
    lon_col = find_column(lookup, lon_column, LON_NAMES, path, "lon", hint=hint)
    lat_col = find_column(lookup, lat_column, LAT_NAMES, path, "lat", hint=hint)
    assert lon_col is not None and lat_col is not None  # required columns: found or raised
    lon, lat = parse_coordinates(table[lon_col]), parse_coordinates(table[lat_col])
    _refuse_unreadable(table[lon_col], lon, lat, path, lon_col, what)
    _refuse_unreadable(table[lat_col], lat, lon, path, lat_col, what)
    return lon, lat, lon_col, lat_col


_FORMS_EN = "decimal degrees (113.65), degrees-minutes-seconds (113°39′27.5″E, 113度39分27.5秒)"
_FORMS_ZH = "小数度（113.65）或度分秒（113°39′27.5″E、113度39分27.5秒）"


def _refuse_unreadable(
    values: pd.Series, mine: NDArray, other: NDArray, path: Path, column: str, what: str
) -> None:
    """Stop when a coordinate column has values but not one of them reads as a coordinate."""
    given = values.notna().to_numpy() & (values.astype(str).str.strip() != "").to_numpy()
    if not given.any() or np.isfinite(mine[given]).any():
        return
    sample = str(values[given].iloc[0])
    pair = column.strip().lower() in PAIR_NAMES
    if pair:
        en = f"write each cell as longitude,latitude in {_FORMS_EN}, e.g. 113.65,34.76"
        zh = f"每格请写成“经度,纬度”，数值为{_FORMS_ZH}，例如 113.65,34.76"
    else:
        en = f"write {_FORMS_EN}"
        zh = f"请写成{_FORMS_ZH}"
    raise InputError(
        f"no {what} coordinate in column '{column}' can be read (e.g. {sample!r}): {en}",
        path=path,
        field=column,
        zh=f"{column} 列没有一个值能读成坐标（如 {sample!r}）：{zh}",
    )


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
        raise InputError(
            f"unknown default datum {default!r} (wgs84, gcj02 or bd09)", path=path, field="datum"
        )
    col = find_column(lookup, wanted, DATUM_NAMES, path, "datum", required=False)
    if col is None:
        return np.full(len(table), default_datum, dtype=object)
    values = table[col].to_numpy(dtype=object)
    parsed = np.array(
        [parse_datum(v) if not pd.isna(v) and str(v).strip() else default_datum for v in values],
        dtype=object,
    )
    for i in np.flatnonzero(pd.isna(parsed)):
        issues.add(
            "warning",
            path,
            f"unknown datum; read as {default_datum}",
            zh=f"未知坐标系；按 {default_datum} 读取",
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
            zh=f"经纬度似乎颠倒（{lon[i]}, {lat[i]}）；已调换",
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
            zh="坐标超出范围（经度 -180..180，纬度 -90..90，且不为 0,0）",
            row=int(rows[i]),
            field=field,
            value=f"{lon[i]}, {lat[i]}",
            action="excluded",
        )
    lon[~in_range] = np.nan
    lat[~in_range] = np.nan
    return lon, lat
