"""``carecircles check``: a config and its input files, checked in seconds without any analysis.

Each check is one line of a checklist (✓ passed, ✗ failed, ! worth a look). Tables are read
with the readers' own column lookups (the ``*_NAMES`` tuples and
:func:`carecircles._tables.find_column`), so a column the check finds is the column a run
uses; large inputs are only opened: the road file's first bytes or layer header, the
raster's header and bounds (no pixels).
"""

from __future__ import annotations

import bz2
import gzip
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from carecircles._encode import percent, terminal_text
from carecircles._errors import CareCirclesError, DataIssues, InputError
from carecircles._tables import column_lookup, ensure_local_data, find_column, read_table
from carecircles._yaml import load_yaml
from carecircles.config import SAMPLE_CONFIG, StudyConfig, study_config
from carecircles.schema import validate_config

Status = Literal["ok", "fail", "warn"]

_MARK = {"ok": "✓", "fail": "✗", "warn": "!"}
_LABELS = {
    "config": ("配置文件", "config"),
    "zones": ("区域边界", "zones"),
    "facilities": ("医疗机构", "facilities"),
    "roads": ("路网", "roads"),
    "population": ("人口栅格", "population raster"),
    "villages": ("行政村", "villages"),
    "dem": ("高程（DEM）", "elevation (DEM)"),
    "output": ("输出文件夹", "output folders"),
}
_ASPECTS = {
    "valid": ("内容", "content"),
    "encoding": ("编码", "encoding"),
    "file": ("文件", "file"),
    "crs": ("坐标系", "CRS"),
    "columns": ("字段", "columns"),
    "coverage": ("覆盖范围", "coverage"),
    "format": ("格式", "format"),
    "writable": ("可写", "writable"),
}


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist.

    Attributes
    ----------
    what, aspect
        Which input (``zones``, ``facilities`` …) and which check (``file``, ``crs`` …).
    status
        ``ok``, ``fail`` or ``warn`` (a warning does not fail the check).
    zh, en
        The finding in Chinese and in English (messages from the readers are in English).
    """

    what: str
    aspect: str
    status: Status
    zh: str
    en: str = ""

    @property
    def ok(self) -> bool:
        """Whether the item passed (warnings pass)."""
        return self.status != "fail"


def _item(what: str, aspect: str, status: Status, zh: str, en: str | None = None) -> CheckItem:
    return CheckItem(what, aspect, status, zh, zh if en is None else en)


def _failure(what: str, aspect: str, exc: Exception) -> CheckItem:
    text = exc.message if isinstance(exc, InputError) else str(exc)
    where = f" ({exc.field})" if isinstance(exc, InputError) and exc.field else ""
    return _item(what, aspect, "fail", text + where)


def check_config(path: str | Path | None = None) -> list[CheckItem]:
    """Check a study config and its inputs; with no path, the bundled sample.

    Returns
    -------
    list of CheckItem
        Every check made, in order; the config's own failure stops the rest.
    """
    path = Path(path) if path is not None else SAMPLE_CONFIG
    items: list[CheckItem] = []
    try:
        if not path.is_file():
            raise InputError("config file not found", path=path)
        raw, lines, encoding = load_yaml(path)
        config = study_config(validate_config(raw, path, lines), path, encoding=encoding)
    except CareCirclesError as exc:
        return [_item("config", "valid", "fail", str(exc))]
    ids = ", ".join(s.id for s in config.standards)
    items.append(_item("config", "valid", "ok", f"有效；标准：{ids}", f"valid; standards: {ids}"))
    if encoding != "utf-8":
        items.append(
            _item(
                "config",
                "encoding",
                "warn",
                f"按 {encoding} 读取；建议另存为 UTF-8",
                f"read as {encoding}; UTF-8 is safer",
            )
        )
    zone_bounds: tuple[float, ...] | None = None

    def zones(path: Path) -> list[CheckItem]:
        nonlocal zone_bounds
        zone_items, zone_bounds = _check_zones(config)
        return zone_items

    checks: dict[str, tuple[Path | None, Callable[[Path], list[CheckItem]]]] = {
        "zones": (config.zones, zones),
        "facilities": (
            config.facilities,
            lambda p: _check_points(
                "facilities",
                p,
                _facility_columns(config),
                _encoding(config, "facilities"),
                config.reader_options.get("facilities", {}).get("sheet"),
            ),
        ),
        "roads": (config.roads, lambda p: _check_roads(p, config.road_options)),
        "population": (config.population, lambda p: _check_raster(p, zone_bounds)),
        "villages": (
            config.villages,
            lambda p: _check_points(
                "villages",
                p,
                _village_columns(config),
                _encoding(config, "villages"),
                config.reader_options.get("villages", {}).get("sheet"),
            ),
        ),
    }
    for what, (file, run) in checks.items():
        if file is None:
            continue
        item = _file_item(what, file)
        items.append(item)
        if item.ok:
            items.extend(run(file))
    if config.dem:
        found = [_file_item("dem", file) for file in config.dem]
        items.extend(found)
        if all(item.ok for item in found):
            items.append(_check_dem(config.dem, zone_bounds))
    items.extend(_check_outputs(config.output_dir, config.map_path))
    return items


def format_checklist(items: list[CheckItem], lang: str = "zh") -> str:
    """Return the checklist as text: one line per item and a closing count."""
    zh = lang == "zh"
    lines = []
    for item in items:
        label = f"{_LABELS[item.what][0 if zh else 1]} · {_ASPECTS[item.aspect][0 if zh else 1]}"
        lines.append(f"{_MARK[item.status]} {label}: {terminal_text(item.zh if zh else item.en)}")
    failed = sum(not item.ok for item in items)
    warned = sum(item.status == "warn" for item in items)
    look = (f"，{warned} 项值得一看（!）" if zh else f", {warned} worth a look (!)") if warned else ""
    if failed:
        lines.append((f"{failed} 项未通过" if zh else f"{failed} of {len(items)} checks failed") + look)
    else:
        lines.append((f"全部 {len(items)} 项通过" if zh else f"all {len(items)} checks passed") + look)
    return "\n".join(lines)


# --- files -----------------------------------------------------------------------------------


def _file_item(what: str, path: Path) -> CheckItem:
    if not path.exists():
        return _item(what, "file", "fail", f"找不到文件 {path}", f"file not found: {path}")
    if path.is_dir():
        return _item(what, "file", "fail", f"这是文件夹，不是文件：{path}", f"a folder, not a file: {path}")
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as exc:
        return _item(
            what, "file", "fail", f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}"
        )
    if path.stat().st_size == 0:
        return _item(
            what, "file", "fail", f"文件是空的（0 字节）：{path}", f"the file is empty (0 bytes): {path}"
        )
    try:
        ensure_local_data(path, what)
    except InputError as exc:
        return _item(what, "file", "fail", f"不是本地数据文件（VRT或网络地址）：{path}", exc.message)
    size = path.stat().st_size / 1e6
    return _item(what, "file", "ok", f"{path.name}（{size:.1f} MB）", f"{path.name} ({size:.1f} MB)")


def _encoding(config: StudyConfig, what: str) -> str | None:
    """Return the ``encoding`` option of an input (``None``: detected, as a run does)."""
    return config.reader_options.get(what, {}).get("encoding")


def _text_encoding(path: Path) -> str | None:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "UTF-8" if encoding == "utf-8-sig" else "GB18030"
    return None


def degrees_problem(crs: object, bounds: tuple[float, float, float, float] | None) -> str | None:
    """Why coordinates that claim (or are assumed) to be degrees cannot be, else ``None``.

    A layer without a CRS is read as WGS-84 degrees; coordinates outside ±180/±90 then mean a
    missing ``.prj`` (e.g. Gauss-Krüger metres) or a wrong CRS.
    """
    from pyproj import CRS

    if bounds is None or any(b is None for b in bounds):
        return None
    if crs is not None and not CRS.from_user_input(crs).is_geographic:
        return None
    west, south, east, north = bounds
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        return None
    claim = "has no CRS (read as degrees)" if crs is None else "claims degrees"
    return (
        f"the layer {claim} but its coordinates reach ({west:.0f}, {south:.0f}, {east:.0f}, {north:.0f}), "
        "outside ±180/±90: missing .prj or wrong CRS"
    )


def _vector_items(what: str, path: Path, encoding: str | None = None) -> tuple[list[CheckItem], bool]:
    """CRS sanity and text encoding of a vector layer; ``False`` when it cannot be used."""
    import pyogrio

    items = []
    try:
        info = pyogrio.read_info(path, force_total_bounds=True)
    except Exception as exc:  # pyogrio raises several error types
        return [_item(what, "format", "fail", f"cannot read the layer: {exc}")], False
    problem = degrees_problem(info.get("crs"), info.get("total_bounds"))
    if problem:
        return [_item(what, "crs", "fail", problem)], False
    crs = info.get("crs") or "无（按 WGS-84 读取）"
    crs_en = info.get("crs") or "none (read as WGS-84)"
    items.append(_item(what, "crs", "ok" if info.get("crs") else "warn", f"{crs}", f"{crs_en}"))
    if encoding is not None:
        items.append(
            _item(what, "encoding", "ok", f"{encoding}（配置指定）", f"{encoding} (set in the config)")
        )
    elif path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        items.append(
            _item(
                what,
                "encoding",
                "warn",
                f"没有 .cpg 文件：属性文字按 {info.get('encoding')} 读取，可能是乱码",
                f"no .cpg file: text read as {info.get('encoding')}, may be mojibake",
            )
        )
    return items, True


# --- zones -----------------------------------------------------------------------------------


def _check_zones(config: StudyConfig) -> tuple[list[CheckItem], tuple[float, ...] | None]:
    from carecircles.boundaries import CODE_NAMES, NAME_NAMES, TYPE_NAMES, read_zones

    path = config.zones
    encoding = _encoding(config, "zones")
    items, usable = _vector_items("zones", path, encoding)
    if not usable:
        return items, None
    columns = config.zone_columns
    try:
        zones = read_zones(
            path,
            DataIssues(),
            code_column=columns.get("code"),
            name_column=columns.get("name"),
            type_column=columns.get("type"),
            type_rule=config.zone_type_rule,
            encoding=encoding,
        )
        import pyogrio

        lookup = column_lookup(pyogrio.read_info(path, encoding=encoding)["fields"])
        found = {
            role: find_column(lookup, columns.get(role), names, path, role, required=False)
            for role, names in (("code", CODE_NAMES), ("name", NAME_NAMES), ("type", TYPE_NAMES))
        }
    except InputError as exc:
        return [*items, _failure("zones", "columns", exc)], None
    counts = zones["zone_type"].value_counts().to_dict()
    used = ", ".join(f"{role}={col or '—'}" for role, col in found.items())
    items.append(
        _item(
            "zones",
            "columns",
            "ok",
            f"{len(zones)} 个区域（城区 {counts.get('urban', 0)}，农村 {counts.get('rural', 0)}）；{used}",
            f"{len(zones)} zones ({counts.get('urban', 0)} urban, {counts.get('rural', 0)} rural); {used}",
        )
    )
    return items, tuple(zones.total_bounds)


# --- point tables ----------------------------------------------------------------------------


def _facility_columns(config: StudyConfig) -> dict[str, tuple[str | None, tuple[str, ...], bool]]:
    from carecircles.facilities import DATUM_NAMES, LAT_NAMES, LON_NAMES, NAME_NAMES, STATUS_NAMES, TYPE_NAMES

    given = config.facility_columns
    return {
        "lon": (given.lon, LON_NAMES, True),
        "lat": (given.lat, LAT_NAMES, True),
        "type": (given.type, TYPE_NAMES, False),
        "name": (given.name, NAME_NAMES, False),
        "status": (given.status, STATUS_NAMES, False),
        "datum": (given.datum, DATUM_NAMES, False),
    }


def _village_columns(config: StudyConfig) -> dict[str, tuple[str | None, tuple[str, ...], bool]]:
    from carecircles.facilities import LAT_NAMES, LON_NAMES
    from carecircles.population import VILLAGE_ID_NAMES, VILLAGE_NAME_NAMES, VILLAGE_POP_NAMES

    given = config.village_columns
    return {
        "lon": (None, LON_NAMES, True),
        "lat": (None, LAT_NAMES, True),
        "population": (given.get("population"), VILLAGE_POP_NAMES, True),
        "name": (given.get("name"), VILLAGE_NAME_NAMES, False),
        "id": (given.get("id"), VILLAGE_ID_NAMES, False),
    }


def _check_points(
    what: str,
    path: Path,
    roles: dict[str, tuple[str | None, tuple[str, ...], bool]],
    encoding: str | None = None,
    sheet: str | None = None,
) -> list[CheckItem]:
    import numpy as np

    from carecircles.points import table_coordinates

    items: list[CheckItem] = []
    is_csv = path.suffix.lower() in (".csv", ".txt", ".tsv")
    is_sheet = path.suffix.lower() in (".xlsx", ".xlsm", ".xls")
    if is_csv and encoding is None:
        found_encoding = _text_encoding(path)
        if found_encoding is None:
            return [
                _item(
                    what,
                    "encoding",
                    "fail",
                    "既不是 UTF-8 也不是 GB18030 文本",
                    "neither UTF-8 nor GB18030 text",
                )
            ]
        items.append(_item(what, "encoding", "ok", found_encoding))
    elif not is_csv and not is_sheet:
        vector_items, usable = _vector_items(what, path, encoding)
        items.extend(vector_items)
        if not usable:
            return items
    try:
        table, _, lonlat = read_table(path, what, encoding=encoding, sheet=sheet)
        if table.empty:
            raise InputError("the table has no rows", path=path)
        lookup = column_lookup(table.columns)
        found: dict[str, str | None] = {}
        if lonlat is None or roles["lon"][0] or roles["lat"][0]:  # columns, as a run reads them
            lon, lat, found["lon"], found["lat"] = table_coordinates(
                table, lookup, roles["lon"][0], roles["lat"][0], path, what, ""
            )
        for role, (wanted, names, required) in roles.items():
            if role in ("lon", "lat"):
                found.setdefault(role, "geometry")
                continue
            found[role] = find_column(lookup, wanted, names, path, role, required=required)
    except InputError as exc:
        return [*items, _failure(what, "columns", exc)]
    used = ", ".join(f"{role}={col or '—'}" for role, col in found.items())
    items.append(_item(what, "columns", "ok", f"{len(table)} 行；{used}", f"{len(table)} rows; {used}"))
    if lonlat is None:
        swapped = int(((np.abs(lat) > 90) & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)).sum())
        outside = int(((np.abs(lon) > 180) | (np.abs(lat) > 90)).sum()) - swapped
        if swapped:
            items.append(
                _item(
                    what,
                    "crs",
                    "warn",
                    f"{swapped} 行经纬度似乎互换（运行时会换回并记入数据问题表）",
                    f"{swapped} rows look like swapped lon/lat (a run swaps them back, with a data issue)",
                )
            )
        if outside:
            items.append(
                _item(
                    what,
                    "crs",
                    "fail" if outside == len(table) else "warn",
                    f"{outside} 行坐标超出 ±180/±90，不是经纬度（投影坐标？）",
                    f"{outside} rows have coordinates outside ±180/±90: not degrees (projected metres?)",
                )
            )
    return items


# --- roads and raster ------------------------------------------------------------------------


def _check_roads(path: Path, options: Mapping[str, Any]) -> list[CheckItem]:
    name = path.name.lower()
    opener = gzip.open if name.endswith(".gz") else bz2.open if name.endswith(".bz2") else open
    try:
        if name.endswith((".osm.pbf", ".pbf")):
            head = path.read_bytes()[:64]
            ok, kind = b"OSMHeader" in head, "OSM PBF"
        elif name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml", ".osm.xml")):
            with opener(path, "rb") as stream:
                head = stream.read(4096)
            ok, kind = b"<osm" in head, "OSM XML"
        elif name.endswith(".graphml"):
            ok, kind = b"<graphml" in path.read_bytes()[:4096], "GraphML"
        else:
            return _check_road_layer(path, options)
    except (OSError, EOFError) as exc:
        return [_item("roads", "format", "fail", f"cannot read: {exc}")]
    if not ok:
        return [_item("roads", "format", "fail", f"不像 {kind} 文件", f"does not look like {kind}")]
    return [_item("roads", "format", "ok", kind)]


def _check_road_layer(path: Path, options: Mapping[str, Any]) -> list[CheckItem]:
    import pyogrio

    from carecircles.roads import _CLASS_COLUMNS, _SPEED_COLUMNS

    items, usable = _vector_items("roads", path, options.get("encoding"))
    if not usable:
        return items
    info = pyogrio.read_info(path, encoding=options.get("encoding"))
    geometry = str(info.get("geometry_type"))
    if "line" not in geometry.lower() and geometry != "Unknown":  # Unknown: mixed types (lines are kept)
        return [*items, _item("roads", "format", "fail", f"not a line layer: {geometry}")]
    columns = {str(c).lower(): c for c in info["fields"]}
    found = []
    for option, names in (("class_column", _CLASS_COLUMNS), ("speed_column", _SPEED_COLUMNS)):
        wanted = options.get(option)
        if wanted is not None and wanted.lower() not in columns:
            return [
                *items,
                _item(
                    "roads",
                    "columns",
                    "fail",
                    f"{option} '{wanted}' not found; columns are {list(columns.values())}",
                ),
            ]
        col = (
            columns.get(wanted.lower()) if wanted else next((columns[n] for n in names if n in columns), None)
        )
        found.append(f"{option.split('_')[0]}={col or '—'}")
    if found == ["class=—", "speed=—"]:
        return [*items, _item("roads", "columns", "fail", "no road-class or speed column")]
    return [*items, _item("roads", "format", "ok", f"line layer; {', '.join(found)}")]


def _check_dem(paths: tuple[Path, ...], zone_bounds: tuple[float, ...] | None) -> CheckItem:
    """Read the DEM over the zones' extent as a run does: it must cover it."""
    import numpy as np

    from carecircles._errors import DataIssues
    from carecircles.terrain import read_elevation

    if zone_bounds is None:
        return _item(
            "dem", "coverage", "warn", "区域未读出，未检查覆盖范围", "zones not read: coverage not checked"
        )
    west, south, east, north = zone_bounds
    lon, lat = np.meshgrid(np.linspace(west, east, 9), np.linspace(south, north, 9))
    try:
        surface = read_elevation(paths, (lon.ravel(), lat.ravel()), DataIssues())
    except InputError as exc:
        return _failure("dem", "coverage", exc)
    low, high = float(surface.grid.min()), float(surface.grid.max())
    return _item(
        "dem",
        "coverage",
        "ok",
        f"覆盖全部区域范围；高程 {low:.0f}–{high:.0f} 米",
        f"covers the zones' extent; elevation {low:.0f}–{high:.0f} m",
    )


def _check_raster(path: Path, zone_bounds: tuple[float, ...] | None) -> list[CheckItem]:
    import rasterio
    import rasterio.warp

    try:
        with rasterio.open(path) as source:
            crs, bounds = source.crs, tuple(source.bounds)
    except rasterio.errors.RasterioIOError as exc:
        return [_item("population", "format", "fail", f"cannot read the raster: {exc}")]
    if crs is None:
        return [_item("population", "crs", "fail", "栅格没有坐标系", "the raster has no CRS")]
    problem = degrees_problem(crs.to_wkt(), bounds)
    if problem:
        return [_item("population", "crs", "fail", problem)]
    items = [_item("population", "crs", "ok", crs.to_string())]
    if zone_bounds is None:
        return items
    west, south, east, north = rasterio.warp.transform_bounds(crs, "EPSG:4326", *bounds)
    zw, zs, ze, zn = zone_bounds
    overlap = max(0.0, min(east, ze) - max(west, zw)) * max(0.0, min(north, zn) - max(south, zs))
    share = overlap / max((ze - zw) * (zn - zs), 1e-12)
    if share >= 0.999:
        items.append(_item("population", "coverage", "ok", "覆盖全部区域", "covers every zone"))
    elif share <= 0:
        items.append(
            _item(
                "population",
                "coverage",
                "fail",
                "与区域完全不重叠（文件或坐标系不对？）",
                "does not overlap the zones (wrong file or CRS?)",
            )
        )
    else:
        items.append(
            _item(
                "population",
                "coverage",
                "fail",
                f"只覆盖区域范围的 {percent(share, 0)}",
                f"covers only {percent(share, 0)} of the zones' extent",
            )
        )
    return items


def _check_outputs(out_dir: Path, map_path: Path) -> list[CheckItem]:
    items = []
    for folder in dict.fromkeys((out_dir, map_path.parent)):
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            items.append(
                _item("output", "writable", "fail", f"无法写入 {folder}", f"cannot write to {folder}")
            )
        else:
            items.append(_item("output", "writable", "ok", str(folder)))
    return items
