"""``carecircles prepare``: a study's inputs from OpenStreetMap (osmnx), with a ready study YAML.

For a place name (Nominatim), a boundary file or a bounding box, osmnx downloads the road
network (GraphML), health facilities, administrative zones and ``place=*`` villages from an
Overpass server (the public one, or a mirror on the intranet); optional population and DEM
files come from configurable URLs. Responses are cached, so a second run needs no network.
What OpenStreetMap lacks is said plainly, with what the user must supply.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircles._encode import spreadsheet_safe
from carecircles._errors import InputError
from carecircles._progress import Progress
from carecircles.standards import FACILITY_TYPES, classify_facility_type
from carecircles.terrain import srtm_tile

#: Public servers osmnx uses unless told otherwise.
DEFAULT_OVERPASS = "https://overpass-api.de/api"
DEFAULT_NOMINATIM = "https://nominatim.openstreetmap.org/"

#: OSM tags of health facilities (any ``healthcare=*`` too).
HEALTH_TAGS: dict[str, bool | str | list[str]] = {
    "amenity": ["hospital", "clinic", "doctors"],
    "healthcare": True,
}
#: ``place=*`` values read as villages.
PLACE_VALUES = ["town", "village", "hamlet", "suburb", "neighbourhood", "quarter", "isolated_dwelling"]

#: Facility type by OSM tag when the name does not say (an assumption, written into the YAML).
TAG_TYPES = (
    ("hospital", "county_hospital"),
    ("clinic", "private_clinic"),
    ("doctors", "private_clinic"),
    ("doctor", "private_clinic"),
    ("centre", "private_clinic"),
)


@dataclass(frozen=True)
class PrepareOptions:
    """What to download and where to put it.

    Attributes
    ----------
    out
        Folder for the files and ``study.yml``.
    place, boundary, bbox
        The area: a place name (geocoded by Nominatim), a polygon file, or
        ``(west, south, east, north)`` in degrees. Exactly one.
    admin_level
        OSM ``admin_level`` of the zones (8: 乡镇/街道 in China).
    overpass_url, nominatim_url
        The servers (a mirror on an intranet works the same).
    cache
        Folder of cached responses (default ``<out>/cache``).
    population_url, dem_url
        Optional downloads: a population GeoTIFF URL, and an SRTM tile URL template with
        ``{tile}`` (e.g. ``https://mirror/srtm/{tile}.hgt.zip``).
    timeout
        Seconds to wait for a server.
    """

    out: Path
    place: str | None = None
    boundary: Path | None = None
    bbox: tuple[float, float, float, float] | None = None
    admin_level: int = 8
    overpass_url: str = DEFAULT_OVERPASS
    nominatim_url: str = DEFAULT_NOMINATIM
    cache: Path | None = None
    population_url: str | None = None
    dem_url: str | None = None
    timeout: int = 180


@dataclass
class Prepared:
    """What ``prepare`` wrote and what it found missing."""

    config: Path
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)
    report: Path | None = None


def prepare(options: PrepareOptions, progress: Progress | None = None) -> Prepared:
    """Download the inputs of a study and write them with a study YAML.

    Raises
    ------
    InputError
        For no or several areas, a place Nominatim does not find, a server that cannot be
        reached or answers with an error, or an area without a single road.
    """
    progress = progress or Progress(stream=None)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    _configure(options)
    result = Prepared(config=out / "study.yml")
    with progress.step("Study area"):
        area, name = _area(options)
    with progress.step("Roads (OSM)"):
        result.files["roads"] = _roads(area, out, options)
    with progress.step("Health facilities (OSM)"):
        result.files["facilities"], result.counts["facilities"] = _facilities(area, out, options, result)
    with progress.step("Zones and villages (OSM)"):
        result.files["zones"], result.counts["zones"] = _zones(area, name, out, options, result)
        villages, result.counts["villages"], with_people = _villages(area, out, options, result)
        if villages is not None:
            result.files["villages"] = villages
    with progress.step("Population and elevation"):
        population = _download(options.population_url, out / "population" / "population.tif", options)
        if population is not None:
            result.files["population"] = population
        dem = _dem_tiles(area, out, options)
        if dem:
            result.files.update({f"dem{k}": p for k, p in enumerate(dem)})
    if population is None and not with_people:
        result.missing.append(
            (
                "no population: give --population-url (e.g. a WorldPop 100 m GeoTIFF) or put a raster "
                "under inputs.population, or village populations in villages.geojson",
                "没有人口数据：请用 --population-url 下载（如 WorldPop 100 米栅格），或在 inputs.population "
                "中给出栅格，或在 villages.geojson 中填写各村人口",
            )
        )
    _write_config(result, name, options, dem)
    result.report = _write_report(result, name, options)
    return result


def _configure(options: PrepareOptions) -> None:
    import osmnx as ox

    ox.settings.overpass_url = options.overpass_url
    ox.settings.nominatim_url = options.nominatim_url
    ox.settings.use_cache = True
    ox.settings.cache_folder = str(options.cache or options.out / "cache")
    ox.settings.requests_timeout = options.timeout
    ox.settings.log_console = False
    # the public server's slot check; a mirror (a custom URL) has no /status to ask
    ox.settings.overpass_rate_limit = options.overpass_url == DEFAULT_OVERPASS


#: What each download is, in Chinese, for the messages.
_WHAT_ZH = {
    "the place": "地名范围",
    "roads": "道路",
    "health facilities": "医疗机构",
    "administrative boundaries": "行政边界",
    "villages": "村点",
}


def _osm(what: str, url: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an osmnx download, turning network and server failures into plain errors."""
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    zh_what = _WHAT_ZH.get(what, what)
    try:
        return call(*args, **kwargs)
    except requests.exceptions.ConnectionError:
        raise InputError(
            f"cannot reach {url} for {what} (connection refused or no network): check the address, "
            "or point --overpass-url / --nominatim-url at a server you can reach (an intranet mirror)",
            zh=f"无法连接 {url}（下载{zh_what}；连接被拒绝或没有网络）：请检查地址，或用 --overpass-url / "
            "--nominatim-url 指向可访问的服务器（如内网镜像）",
        ) from None
    except requests.exceptions.Timeout:
        raise InputError(
            f"{url} did not answer within the time limit for {what}: try again later or use --timeout",
            zh=f"{url} 在时限内没有响应（下载{zh_what}）：请稍后重试或用 --timeout 延长",
        ) from None
    except ResponseStatusCodeError as exc:
        raise InputError(
            f"{url} answered with an error for {what}: {_short(exc)}",
            zh=f"{url} 返回错误（下载{zh_what}）：{_short(exc)}",
        ) from None
    except InsufficientResponseError as exc:
        raise InputError(
            f"{url} returned nothing for {what} in this area: {_short(exc)}",
            zh=f"{url} 在该范围内没有返回{zh_what}：{_short(exc)}",
        ) from None


def _short(exc: BaseException) -> str:
    return re.sub(r"\s+", " ", str(exc))[:300]


# --- the area ---------------------------------------------------------------------------------


def _area(options: PrepareOptions) -> tuple[shapely.Geometry, str]:
    given = [options.place is not None, options.boundary is not None, options.bbox is not None]
    if sum(given) != 1:
        raise InputError(
            "give exactly one area: a place name, --boundary FILE or --bbox west,south,east,north",
            zh="请只给出一个范围：地名、--boundary 文件或 --bbox 西,南,东,北",
        )
    if options.bbox is not None:
        west, south, east, north = options.bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InputError(
                f"--bbox must be west,south,east,north in degrees, got {options.bbox}",
                field="bbox",
                zh=f"--bbox 应为 西,南,东,北（度），实际为 {options.bbox}",
            )
        return shapely.box(west, south, east, north), f"OSM {west:.3f},{south:.3f},{east:.3f},{north:.3f}"
    if options.boundary is not None:
        from carecircles._tables import read_layer

        layer = read_layer(options.boundary, "boundary", None)
        polygons = layer.to_crs(4326).geometry
        polygons = polygons[polygons.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polygons.empty:
            raise InputError(
                "the boundary file has no polygon", path=options.boundary, zh="边界文件中没有面要素"
            )
        return shapely.union_all(polygons.to_numpy()), options.boundary.stem
    import osmnx as ox

    assert options.place is not None
    from osmnx._errors import InsufficientResponseError

    try:
        found = ox.geocode_to_gdf(options.place)
    except (TypeError, InsufficientResponseError):  # no result, or a point rather than an area
        found = None
    except Exception:  # a network failure: said by _osm in plain words
        found = _osm("the place", options.nominatim_url, ox.geocode_to_gdf, options.place)
    if found is None or found.empty or not found.geometry.iloc[0].geom_type.endswith("Polygon"):
        raise InputError(
            f"Nominatim has no area (polygon) for {options.place!r}: give --boundary FILE or --bbox",
            field="place",
            zh=f"Nominatim 找不到 {options.place!r} 的范围（面）：请改用 --boundary 文件或 --bbox",
        )
    return found.geometry.iloc[0], options.place


# --- roads, facilities, zones, villages -------------------------------------------------------


def _roads(area: shapely.Geometry, out: Path, options: PrepareOptions) -> Path:
    import osmnx as ox

    graph = _osm(
        "roads",
        options.overpass_url,
        ox.graph_from_polygon,
        area,
        network_type="all",
        simplify=True,
        retain_all=True,
        truncate_by_edge=True,
    )
    if graph.number_of_edges() == 0:
        raise InputError("OpenStreetMap has no road in this area", zh="该范围内 OSM 没有道路")
    path = out / "roads" / "roads.graphml"
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, path)
    return path


def _features(area: shapely.Geometry, tags: dict, options: PrepareOptions, what: str) -> gpd.GeoDataFrame:
    """Osmnx features, or an empty frame when the area has none (not an error here)."""
    import osmnx as ox

    return _osm(what, options.overpass_url, _features_or_empty, ox, area, tags)


def _features_or_empty(ox: Any, area: shapely.Geometry, tags: dict) -> gpd.GeoDataFrame:
    from osmnx._errors import InsufficientResponseError

    try:
        return ox.features_from_polygon(area, tags)
    except InsufficientResponseError as exc:
        if "No matching features" in str(exc) or "No data elements" in str(exc):
            return gpd.GeoDataFrame(geometry=[], crs=4326)
        raise


def facility_type(tags: dict[str, Any]) -> tuple[str, str]:
    """Return the facility type of an OSM feature and the rule that chose it.

    The name first (乡镇卫生院, 村卫生室 … by the same patterns as a facility table's type
    column), then ``healthcare`` / ``amenity`` (:data:`TAG_TYPES`: a hospital is taken for a
    county general hospital, a clinic or doctor for a private clinic), else ``other``.
    """
    for key in ("name:zh", "name", "official_name"):
        name = tags.get(key)
        code = classify_facility_type(name) if isinstance(name, str) and name else None
        if code is not None and code in FACILITY_TYPES:
            return code, f"{key}={name}"
    for key in ("healthcare", "amenity"):
        value = str(tags.get(key) or "")
        for tag, code in TAG_TYPES:
            if value == tag:
                return code, f"{key}={value}"
    return "other", "healthcare=" + str(tags.get("healthcare") or tags.get("amenity") or "")


def _facilities(
    area: shapely.Geometry, out: Path, options: PrepareOptions, result: Prepared
) -> tuple[Path, int]:
    found = _features(area, HEALTH_TAGS, options, "health facilities")
    rows = []
    for (kind, osm_id), row in found.iterrows() if not found.empty else []:
        tags = {k: v for k, v in row.drop(labels="geometry").items() if _has(v)}
        code, rule = facility_type(tags)
        point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
        rows.append(
            {
                "id": f"osm-{kind}-{osm_id}",
                "name": tags.get("name:zh") or tags.get("name") or f"{kind} {osm_id}",
                "type": code,
                "status": "existing",
                "lon": round(point.x, 7),
                "lat": round(point.y, 7),
                "type_rule": rule,
                "osm_type": kind,
                "osm_id": str(osm_id),
                "osm_tags": json.dumps(tags, ensure_ascii=False, default=str),
            }
        )
    columns = ["id", "name", "type", "status", "lon", "lat", "type_rule", "osm_type", "osm_id", "osm_tags"]
    frame = pd.DataFrame(rows, columns=columns)
    path = out / "facilities" / "facilities.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    # for Excel: formula-like text (a name "=HYPERLINK(…)") written with a leading apostrophe
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    counted = frame[frame["type"] != "other"]
    if len(counted) < 5:
        types = "、".join(t.zh for t in list(FACILITY_TYPES.values())[:13])
        result.missing.append(
            (
                f"OSM has {len(counted)} health facilities of a counted type here (OSM is sparse in "
                "rural China): add your facility inventory to facilities/facilities.csv (columns id, name, "
                "type, lon, lat, status; type in Chinese or English, e.g. 乡镇卫生院, 村卫生室)",
                f"OSM 中该范围可计入的医疗机构只有 {len(counted)} 个（农村地区 OSM 数据稀少）："
                "请把机构清单补入 facilities/facilities.csv"
                f"（列 id、name、type、lon、lat、status；类型如 {types}）",
            )
        )
    return path, len(frame)


def _has(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return not (isinstance(value, (list, dict)) and not value)


def _zones(
    area: shapely.Geometry, name: str, out: Path, options: PrepareOptions, result: Prepared
) -> tuple[Path, int]:
    found = _features(area, {"boundary": "administrative"}, options, "administrative boundaries")
    level = str(options.admin_level)
    zones = gpd.GeoDataFrame(geometry=[], crs=4326)
    if not found.empty and "admin_level" in found:
        polygons = found[
            (found["admin_level"].astype(str) == level)
            & found.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        ]
        clipped = polygons.geometry.intersection(area)
        size = shapely.area(clipped.to_numpy())  # degrees², only compared with each other
        keep = ~clipped.is_empty & (size > 0.02 * shapely.area(polygons.geometry.to_numpy()))
        zones = polygons[keep].copy()
        zones["geometry"] = clipped[keep]
    if zones.empty:
        result.missing.append(
            (
                f"no administrative boundary at admin_level {level} in OSM here: the whole area is one zone; "
                "replace zones/zones.geojson with your township boundaries (乡镇/街道)",
                f"OSM 中该范围没有 admin_level {level} 的行政边界：整个范围作为一个区域；"
                "请用本地乡镇（街道）边界替换 zones/zones.geojson",
            )
        )
        frame = gpd.GeoDataFrame(
            {"zone_code": ["AREA"], "zone_name": [name], "zone_type": ["rural"]}, geometry=[area], crs=4326
        )
    else:
        names = [_tag(r, "name:zh") or _tag(r, "name") or f"{k[0]} {k[1]}" for k, r in zones.iterrows()]
        codes = [_tag(r, "ref") or _tag(r, "ref:gb") or str(k[1]) for k, r in zones.iterrows()]
        frame = gpd.GeoDataFrame(
            {
                "zone_code": codes,
                "zone_name": names,
                "zone_type": [_zone_type(n) for n in names],
                "osm_id": [f"{k[0]}/{k[1]}" for k in zones.index],
            },
            geometry=zones.geometry.to_numpy(),
            crs=4326,
        )
        if frame["zone_code"].duplicated().any():
            frame["zone_code"] = [
                f"{c}-{i}" if d else c
                for i, (c, d) in enumerate(
                    zip(frame["zone_code"], frame["zone_code"].duplicated(keep=False), strict=True)
                )
            ]
    frame = _with_rest(frame, area, result)
    path = out / "zones" / "zones.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    return path, len(frame)


def _with_rest(frame: gpd.GeoDataFrame, area: shapely.Geometry, result: Prepared) -> gpd.GeoDataFrame:
    """Add the part of the area no boundary covers as one more zone, and say so."""
    rest = shapely.difference(area, shapely.union_all(frame.geometry.to_numpy()))
    share = shapely.area(rest) / max(shapely.area(area), 1e-12)
    if share < 0.02:
        return frame
    result.missing.append(
        (
            f"the OSM boundaries cover {100 - share * 100:.0f} % of the area; the rest is one zone "
            "'REST': replace zones/zones.geojson with your township boundaries",
            f"OSM 行政边界只覆盖该范围的 {100 - share * 100:.0f}%；其余部分作为一个区域 REST："
            "请用本地乡镇（街道）边界替换 zones/zones.geojson",
        )
    )
    extra = gpd.GeoDataFrame(
        {"zone_code": ["REST"], "zone_name": ["范围内其余部分"], "zone_type": ["rural"]},
        geometry=[rest],
        crs=4326,
    )
    return gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs=4326)


def _tag(row: pd.Series, key: str) -> str | None:
    value = row.get(key)
    return str(value) if _has(value) and str(value).strip() else None


def _zone_type(name: str) -> str:
    """街道 → urban; anything else rural (the YAML asks the user to check)."""
    return "urban" if name.endswith("街道") or "街道办" in name else "rural"


def _villages(
    area: shapely.Geometry, out: Path, options: PrepareOptions, result: Prepared
) -> tuple[Path | None, int, bool]:
    found = _features(area, {"place": PLACE_VALUES}, options, "villages")
    if not found.empty:
        found = found[found.geometry.geom_type == "Point"]
    if found.empty:
        result.missing.append(
            (
                "no place=* village points in OSM here: add your village list "
                "(id, name, population, lon, lat) for the 2.5 km rule",
                "OSM 中该范围没有村点（place=*）：村卫生室2.5公里标准需要村清单"
                "（id、name、population、lon、lat）",
            )
        )
        return None, 0, False
    people = pd.to_numeric(
        found.get("population", pd.Series(index=found.index, dtype=object)), errors="coerce"
    )
    frame = gpd.GeoDataFrame(
        {
            "village_id": [f"osm-{k[0]}-{k[1]}" for k in found.index],
            "name": [_tag(r, "name:zh") or _tag(r, "name") or f"{k[0]} {k[1]}" for k, r in found.iterrows()],
            "place": found["place"].astype(str).to_numpy(),
            "population": people.to_numpy(),
        },
        geometry=found.geometry.to_numpy(),
        crs=4326,
    )
    with_people = bool(people.notna().all())
    if not with_people:
        result.missing.append(
            (
                f"{int(people.isna().sum())} of {len(frame)} villages have no population in OSM: fill the "
                "population column of villages/villages.geojson, or give a population raster",
                f"{len(frame)} 个村中 {int(people.isna().sum())} 个在 OSM 中没有人口：请填写 "
                "villages/villages.geojson 的 population 列，或提供人口栅格",
            )
        )
    path = out / "villages" / "villages.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    return path, len(frame), with_people


# --- population and DEM downloads -------------------------------------------------------------


def _download(url: str | None, path: Path, options: PrepareOptions) -> Path | None:
    """Fetch ``url`` to ``path`` (kept in the cache folder: a second run reads it from there)."""
    if url is None:
        return None
    cache = (options.cache or options.out / "cache") / "downloads"
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / re.sub(r"[^A-Za-z0-9._-]", "_", url)[-150:]
    if not cached.exists():
        try:
            with urllib.request.urlopen(url, timeout=options.timeout) as answer:
                data = answer.read()
        except urllib.error.HTTPError as exc:
            raise InputError(
                f"download failed: {url} answered HTTP {exc.code} {exc.reason}",
                zh=f"下载失败：{url} 返回 HTTP {exc.code} {exc.reason}",
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(
                f"download failed: cannot reach {url} ({reason})",
                zh=f"下载失败：无法连接 {url}（{reason}）",
            ) from None
        if not data:
            raise InputError(f"download failed: {url} sent an empty file", zh=f"下载失败：{url} 返回空文件")
        cached.write_bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cached.read_bytes())
    return path


def _dem_tiles(area: shapely.Geometry, out: Path, options: PrepareOptions) -> list[Path]:
    if options.dem_url is None:
        return []
    if "{tile}" not in options.dem_url:
        raise InputError(
            "--dem-url needs {tile} where the SRTM tile name goes, e.g. https://mirror/srtm/{tile}.hgt.zip",
            field="dem-url",
            zh="--dem-url 需含 {tile}（SRTM 图幅名的位置），如 https://mirror/srtm/{tile}.hgt.zip",
        )
    west, south, east, north = area.bounds
    tiles = sorted(
        {
            srtm_tile(lon + 0.5, lat + 0.5)
            for lon in range(int(np.floor(west)), int(np.floor(east)) + 1)
            for lat in range(int(np.floor(south)), int(np.floor(north)) + 1)
        }
    )
    suffix = ".hgt.zip" if options.dem_url.endswith(".zip") else Path(options.dem_url).suffix or ".tif"
    return [
        p
        for tile in tiles
        if (p := _download(options.dem_url.format(tile=tile), out / "dem" / f"{tile}{suffix}", options))
    ]


# --- the study YAML and the report ------------------------------------------------------------


def _write_config(result: Prepared, name: str, options: PrepareOptions, dem: list[Path]) -> None:
    out = options.out
    files = result.files

    def rel(path: Path) -> str:
        return path.relative_to(out).as_posix()

    study_name = re.sub(r"[^\w-]+", "-", name).strip("-").lower() or "osm-study"
    lines = [
        "# Study prepared by `carecircles prepare` from OpenStreetMap: CHECK BEFORE USE.",
        f"# Area: {name}; servers: {options.overpass_url} (Overpass), {options.nominatim_url} (Nominatim).",
        "# What OSM lacks and what to supply: prepare-report.md.",
        "# Facility types come from the name (卫生院, 村卫生室 …) or, failing that, from the tag:",
        "# amenity/healthcare=hospital → county_hospital, clinic/doctors → private_clinic (an",
        "# assumption: correct the type column of facilities.csv; osm_tags keeps the original tags).",
        "# Zone types: 街道 → urban, everything else rural: check zone_type in zones.geojson.",
        "study:",
        f"  name: {json.dumps(study_name, ensure_ascii=False)}",
        f"  title: {json.dumps(name, ensure_ascii=False)}",
        "inputs:",
        "  zones:",
        f"    path: {rel(files['zones'])}",
        "    columns: {code: zone_code, name: zone_name, type: zone_type}",
        f"  facilities: {rel(files['facilities'])}",
        f"  roads: {rel(files['roads'])}",
    ]
    if "population" in files:
        lines.append(f"  population: {rel(files['population'])}")
    if "villages" in files:
        lines += [
            "  villages:",
            f"    path: {rel(files['villages'])}",
            "    columns: {id: village_id, name: name, population: population}",
        ]
    if dem:
        lines.append("  dem: [" + ", ".join(rel(p) for p in dem) + "]")
    standards = ["urban-15min", "rural-30min"]
    if "villages" in files:
        standards.append("village-2.5km")
    lines += ["standards:"] + [f"  - {s}" for s in standards]
    lines += [
        "output:",
        "  data_sources: © OpenStreetMap contributors (ODbL), downloaded by carecircles prepare",
        "",
    ]
    result.config.write_text("\n".join(lines), encoding="utf-8")


def _write_report(result: Prepared, name: str, options: PrepareOptions) -> Path:
    path = options.out / "prepare-report.md"
    lines = [
        f"# carecircles prepare: {name}",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v:,} |" for k, v in result.counts.items()],
        "",
        "## What OpenStreetMap lacks here / OSM 缺少的数据",
        "",
    ]
    lines += [f"- {zh}\n  ({en})" for en, zh in result.missing] or ["- nothing obvious / 未发现明显缺失"]
    lines += ["", f"Study config: `{result.config.name}`. Run: `carecircles run {result.config}`", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
