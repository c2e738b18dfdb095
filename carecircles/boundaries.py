"""Study zones (街道 / 乡镇): codes kept as strings, a zone type for every zone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from carecircles._crs import utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles._tables import (
    column_lookup,
    find_column,
    is_empty_file,
    read_layer,
    report_mojibake,
    text_values,
)

CODE_NAMES = ("zone_code", "code", "adcode", "xzqdm", "区划代码", "代码", "id")
NAME_NAMES = ("zone_name", "name", "xzqmc", "名称", "乡镇", "街道")
TYPE_NAMES = ("zone_type", "type", "urban_rural", "城乡", "类型")
COUNTY_NAMES = ("county_code", "county", "county_name", "区县", "所属区县", "县区")

#: Codes no zone may have: the total row of every zone table is coded ``ALL``.
RESERVED_CODES = frozenset({"ALL"})

#: Default rule: zone type from the end of the zone name.
DEFAULT_TYPE_RULE: dict[str, str] = {
    "街道": "urban",
    "社区": "urban",
    "城区": "urban",
    "办事处": "urban",
    "镇": "rural",
    "乡": "rural",
    "苏木": "rural",
    "村": "rural",
}
_TYPE_VALUES = {
    "urban": "urban",
    "城区": "urban",
    "城市": "urban",
    "城镇": "urban",
    "街道": "urban",
    "rural": "rural",
    "农村": "rural",
    "乡村": "rural",
    "乡镇": "rural",
}


def read_zones(
    path: str | Path,
    issues: DataIssues,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    type_column: str | None = None,
    type_rule: Mapping[str, str] | None = None,
    encoding: str | None = None,
    county_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read zone polygons with a code, a name and a type (``urban``/``rural``) each.

    Parameters
    ----------
    path
        Any polygon layer geopandas reads.
    issues
        Collector for repaired geometries, inferred types and garbled text.
    code_column, name_column, type_column, county_column
        Columns to use; found by common names when not given (the county is optional: with
        it, zones of several counties make a province study, mapped county by county).
    type_rule
        Name-suffix → type rule used where there is no type column (default: 街道 urban,
        镇/乡 rural).
    encoding
        Text encoding of the attributes, e.g. ``gbk`` for a shapefile whose .dbf has no
        .cpg (read as Latin-1 otherwise: names then look garbled, and a warning says so).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_code`` (str), ``zone_name``, ``zone_type``, ``county`` (text; only when the
        layer has a county column) and geometry in EPSG:4326, in the order of the file
        (where zones overlap, the zone listed last counts the people).

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, a missing column, coordinates that are not
        degrees though no other CRS is declared, a null, empty, duplicate or reserved
        (``ALL``) code, or a zone whose type cannot be told.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found", path=path)
    if is_empty_file(path):
        raise InputError("the boundary file is empty (0 bytes or only blank lines)", path=path)
    frame = read_layer(path, "boundary", issues, encoding=encoding)
    if frame.empty:
        raise InputError("the boundary layer has no zones", path=path)
    hint = report_mojibake(frame, path, issues, "zone")
    lookup = column_lookup(frame.columns)

    code_col = find_column(lookup, code_column, CODE_NAMES, path, "zone code", hint=hint)
    assert code_col is not None  # a required column: found or raised
    name_col = find_column(lookup, name_column, NAME_NAMES, path, "zone name", required=False)
    codes = _codes(frame[code_col], path, code_col)
    names = codes
    if name_col:
        filled = text_values(
            frame[name_col], codes, issues=issues, path=path, field=name_col, what="zone name"
        )
        names = pd.Series(filled, index=frame.index)

    types = _zone_types(frame, lookup, type_column, type_rule, names, path, issues)
    county_col = find_column(lookup, county_column, COUNTY_NAMES, path, "county", required=False)
    geometry = _repaired(frame.geometry, names, path, issues)
    is_area = geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])
    if not is_area.all():
        bad = int((~is_area).idxmax())
        raise InputError("zone geometry is not a polygon", path=path, row=bad + 1, field="geometry")
    zones = gpd.GeoDataFrame(
        {"zone_code": codes.to_numpy(), "zone_name": names.to_numpy(), "zone_type": types},
        geometry=geometry.to_numpy(),
        crs=4326,
    )
    if county_col:
        county = text_values(
            frame[county_col],
            [""] * len(frame),
            issues=issues,
            path=path,
            field=county_col,
            what="county",
            strip=True,
        )
        zones.insert(3, "county", np.asarray(county, dtype=object))
    invalid = np.flatnonzero(~frame.geometry.is_valid.to_numpy())
    # polygons as drawn before repair, by zone position: population.report_zone_repairs counts
    # the people the repair moved
    zones.attrs[AS_DRAWN] = {int(i): frame.geometry.iloc[i] for i in invalid}
    return zones


#: Key of ``zones.attrs`` holding the invalid polygons as drawn, by zone position.
AS_DRAWN = "carecircles_as_drawn"


def _codes(column: pd.Series, path: Path, field: str) -> pd.Series:
    """Zone codes as text; null, empty, duplicate and reserved codes are refused."""
    codes = column.map(_code_text).where(column.notna(), "")
    empty = np.flatnonzero(codes.str.len().to_numpy() == 0)
    if len(empty):
        raise InputError(
            f"zone without a code ({len(empty)} in all): every zone needs one",
            path=path,
            row=int(empty[0]) + 1,
            field=field,
        )
    reserved = np.flatnonzero(codes.str.upper().isin(RESERVED_CODES).to_numpy())
    if len(reserved):
        value = codes.iloc[reserved[0]]
        raise InputError(
            f"zone code {value!r} is reserved (the total row of every table uses ALL): "
            "give the zone another code",
            path=path,
            row=int(reserved[0]) + 1,
            field=field,
        )
    duplicated = codes[codes.duplicated()].unique().tolist()
    if duplicated:
        first = int(np.flatnonzero(codes.duplicated().to_numpy())[0]) + 1
        raise InputError(f"duplicate zone codes {duplicated}", path=path, row=first, field=field)
    return codes


def _repaired(geometry: gpd.GeoSeries, names: pd.Series, path: Path, issues: DataIssues) -> gpd.GeoSeries:
    """Repair invalid polygons (make_valid) and report each one's area before and after."""
    invalid = np.flatnonzero(~geometry.is_valid.to_numpy())
    repaired = gpd.GeoSeries(shapely.make_valid(geometry.to_numpy()), crs=4326)
    if len(invalid):
        centre = shapely.union_all(repaired.to_numpy()).centroid
        local = utm_crs(centre.x, centre.y)
        before = geometry.iloc[invalid].to_crs(local).area.to_numpy() / 1e6
        after = repaired.iloc[invalid].to_crs(local).area.to_numpy() / 1e6
        for i, old, new in zip(invalid, before, after, strict=True):
            issues.add(
                "warning",
                path,
                f"invalid polygon repaired (make_valid): area {old:.3f} km² as drawn, {new:.3f} km² "
                f"after repair ({new - old:+.3f} km²); people in the changed part move with it",
                zh=(
                    f"无效多边形已修复（make_valid）：原面积 {old:.3f} 平方公里，修复后 {new:.3f}"
                    f" 平方公里（{new - old:+.3f}）；变动部分的人口随之归属"
                ),
                row=int(i) + 1,
                field="geometry",
                value=names.iloc[i],
                action="repaired",
            )
    return repaired


def zone_overlaps(zones: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Pairs of zones whose areas overlap, with the overlap's area.

    Parameters
    ----------
    zones
        Zones as returned by :func:`read_zones` (EPSG:4326).
    crs
        Local metric CRS for areas.

    Returns
    -------
    geopandas.GeoDataFrame
        ``first``, ``second`` (zone positions, ``first < second``), ``first_code``,
        ``second_code``, ``area_km2`` and the overlap's polygons in ``crs``.
    """
    local = zones.geometry.to_crs(crs).to_numpy()
    left, right = shapely.STRtree(local).query(local, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    shared = shapely.intersection(local[left], local[right])
    shared = np.array([_polygonal(g) for g in shared], dtype=object)
    area = shapely.area(shared)
    big = area > 0
    codes = zones["zone_code"].to_numpy()
    return gpd.GeoDataFrame(
        {
            "first": left[big],
            "second": right[big],
            "first_code": codes[left[big]],
            "second_code": codes[right[big]],
            "area_km2": area[big] / 1e6,
        },
        geometry=shared[big],
        crs=crs,
    )


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Return the polygon parts of an intersection (shared edges and corners have no area)."""
    parts = shapely.get_parts(geometry)
    polygons = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    return shapely.union_all(polygons) if len(polygons) else shapely.Polygon()


def _code_text(value: object) -> str:
    """Codes are strings; a float from a numeric column loses its '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _zone_types(
    frame: gpd.GeoDataFrame,
    lookup: dict[str, str],
    type_column: str | None,
    type_rule: Mapping[str, str] | None,
    names: pd.Series,
    path: Path,
    issues: DataIssues,
) -> list[str]:
    col = find_column(lookup, type_column, TYPE_NAMES, path, "zone type", required=False)
    rule = dict(type_rule or DEFAULT_TYPE_RULE)
    types: list[str] = []
    for i, name in enumerate(names):
        value = frame[col].iloc[i] if col else None
        text = _TYPE_VALUES.get(str(value).strip().lower()) if value is not None else None
        if text is None:
            text = next((t for suffix, t in rule.items() if str(name).endswith(suffix)), None)
            if text is None:
                raise InputError(
                    f"cannot tell whether zone {name!r} is urban or rural: add a zone_type "
                    "column (urban/rural) or inputs.zones.type_rule in the config",
                    path=path,
                    row=i + 1,
                    field=col or "zone_type",
                )
            if col is not None:
                issues.add(
                    "warning",
                    path,
                    f"zone type {value!r} not recognised; {text} from the name",
                    zh=f"区域类型 {value!r} 无法识别；按名称判为 {text}",
                    row=i + 1,
                    field=col,
                    value=value,
                    action="repaired",
                )
        types.append(text)
    return types
