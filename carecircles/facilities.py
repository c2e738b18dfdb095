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
from carecircles._tables import find_column, text_values
from carecircles.points import DATUM_NAMES, LAT_NAMES, LON_NAMES, read_points
from carecircles.standards import FACILITY_TYPES, classify_facility_type

__all__ = ["DATUM_NAMES", "LAT_NAMES", "LON_NAMES", "FacilityColumns", "read_facilities"]

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


#: Statuses that count as open facilities (``planned`` too when a study or scenario says so).
OPEN_STATUSES = ("existing", "relocating")


def open_mask(status: pd.Series, *, include_planned: bool) -> NDArray[np.bool_]:
    """Which facilities are open: existing or relocating, and planned ones when asked."""
    statuses = OPEN_STATUSES + (("planned",) if include_planned else ())
    return status.isin(statuses).to_numpy()


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
    encoding: str | None = None,
    sheet: str | None = None,
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
    encoding
        Text encoding of the file (default: UTF-8 or GB18030 for CSV; the layer's own, or
        Latin-1 for a .dbf without .cpg, for vector files).
    sheet
        The sheet of an .xlsx/.xls workbook (default: the first).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``type``, ``type_label``, ``status``, ``row``,
        ``datum`` plus every input column, geometry in EPSG:4326.

    Raises
    ------
    InputError
        If the file is missing, empty or unreadable, has no usable coordinate columns, or
        is a vector layer whose coordinates are not degrees (see
        :func:`carecircles.points.read_points`, which reads the rows).
    """
    columns = columns or FacilityColumns()
    points = read_points(
        path,
        issues,
        what="facility",
        lon_column=columns.lon,
        lat_column=columns.lat,
        datum_column=columns.datum,
        default_datum=default_datum,
        study_area=study_area,
        encoding=encoding,
        sheet=sheet,
    )
    path, table, lookup, rows, keep = points.path, points.table, points.lookup, points.rows, points.keep
    out = table.copy()
    out["row"] = rows
    out["datum"] = points.datum
    out["facility_id"] = _ids(table, lookup, columns.id, rows, path, issues)
    name_col = find_column(lookup, columns.name, NAME_NAMES, path, "name", required=False)
    out["name"] = (
        text_values(
            table[name_col],
            out["facility_id"],
            issues=issues,
            path=path,
            rows=rows,
            field=name_col,
            what="facility name",
        )
        if name_col
        else out["facility_id"]
    )
    out["type_label"], out["type"] = _types(table, lookup, columns.type, name_col, rows, path, issues)
    out["status"] = _statuses(table, lookup, columns.status, rows, path, issues)
    frame = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(points.lon, points.lat), crs=4326)
    frame = frame[keep]
    if study_area is not None and len(frame):
        frame = _check_study_area(frame, study_area, outside_buffer_m, path, issues)
    return frame.reset_index(drop=True)


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
        issues.add(
            "info",
            path,
            "no id column: facilities numbered F0001… by row",
            field="id",
            zh="没有编号列：机构按行编为 F0001…",
        )
        return np.array([f"F{r:04d}" for r in rows], dtype=object)
    ids = text_values(table[col], [""] * len(table), strip=True)
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value == "":
            ids[i] = value = f"F{rows[i]:04d}"
            issues.add(
                "warning",
                path,
                f"empty id; set to {value}",
                row=int(rows[i]),
                field=col,
                action="repaired",
                zh=f"编号为空；设为 {value}",
            )
        if value in seen:
            seen[value] += 1
            ids[i] = f"{value}-{seen[value]}"
            issues.add(
                "warning",
                path,
                f"duplicate id {value!r}; renamed {ids[i]}",
                zh=f"编号 {value!r} 重复；改为 {ids[i]}",
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
            zh="机构类型无法识别；按“其他”计（已知类型："
            + "、".join(t.zh for t in FACILITY_TYPES.values())
            + "）",
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
                zh="状态无法识别；按“现有”读取",
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
            zh=f"机构位于研究区外 {distance[i] / 1000:.1f} 公里；保留（群众跨界就医）",
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
            zh=f"机构位于研究区外 {distance[i] / 1000:.1f} 公里（超过 {buffer_m / 1000:g} 公里）；已排除",
            row=int(frame["row"].iloc[i]),
            field="geometry",
            value=frame["name"].iloc[i],
            action="excluded",
        )
    return frame[~far]
