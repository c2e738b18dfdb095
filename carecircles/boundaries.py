"""Study zones (街道 / 乡镇): codes kept as strings, a zone type for every zone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from carecircles._errors import DataIssues, InputError
from carecircles._tables import column_lookup, find_column

CODE_NAMES = ("zone_code", "code", "adcode", "xzqdm", "区划代码", "代码", "id")
NAME_NAMES = ("zone_name", "name", "xzqmc", "名称", "乡镇", "街道")
TYPE_NAMES = ("zone_type", "type", "urban_rural", "城乡", "类型")

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
) -> gpd.GeoDataFrame:
    """Read zone polygons with a code, a name and a type (``urban``/``rural``) each.

    Parameters
    ----------
    path
        Any polygon layer geopandas reads.
    issues
        Collector for repaired geometries and inferred types.
    code_column, name_column, type_column
        Columns to use; found by common names when not given.
    type_rule
        Name-suffix → type rule used where there is no type column (default: 街道 urban,
        镇/乡 rural).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_code`` (str), ``zone_name``, ``zone_type`` and geometry in EPSG:4326.

    Raises
    ------
    InputError
        For a missing file or column, duplicate codes, or a zone whose type cannot be told.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found", path=path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(f"cannot read boundaries: {exc}", path=path) from exc
    if frame.empty:
        raise InputError("the boundary layer has no zones", path=path)
    if frame.crs is None:
        issues.add("warning", path, "layer has no CRS; assumed WGS-84", field="crs")
        frame = frame.set_crs(4326)
    frame = frame.to_crs(4326)
    lookup = column_lookup(frame.columns)

    code_col = find_column(lookup, code_column, CODE_NAMES, path, "zone code")
    name_col = find_column(lookup, name_column, NAME_NAMES, path, "zone name", required=False)
    codes = frame[code_col].map(_code_text)
    names = frame[name_col].astype(str) if name_col else codes
    duplicated = codes[codes.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"duplicate zone codes {duplicated}", path=path, field=code_col)

    types = _zone_types(frame, lookup, type_column, type_rule, names, path, issues)
    geometry = frame.geometry
    invalid = ~geometry.is_valid
    for i in invalid[invalid].index:
        issues.add(
            "warning",
            path,
            "invalid polygon repaired (make_valid)",
            row=int(i) + 1,
            field="geometry",
            value=names.iloc[i],
            action="repaired",
        )
    geometry = gpd.GeoSeries(shapely.make_valid(geometry.to_numpy()), crs=4326)
    is_area = geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])
    if not is_area.all():
        bad = int((~is_area).idxmax())
        raise InputError("zone geometry is not a polygon", path=path, row=bad + 1, field="geometry")
    return gpd.GeoDataFrame(
        {"zone_code": codes.to_numpy(), "zone_name": names.to_numpy(), "zone_type": types},
        geometry=geometry.to_numpy(),
        crs=4326,
    )


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
                    row=i + 1,
                    field=col,
                    value=value,
                    action="repaired",
                )
        types.append(text)
    return types
