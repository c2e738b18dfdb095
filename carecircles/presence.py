"""Presence rules: every township, sub-district, county and village has the facility the plans promise.

The rules and their sources are :data:`carecircles.plans.PRESENCE_RULES` (STANDARDS.md §2).
Only open facilities count (``used``; planned ones are named in the missing text, not
counted). A facility belongs to the zone that contains its point; one outside every zone
(kept by the reader because people cross boundaries) counts for no zone and not for the
county, and is named where it would have made a difference.

Villages are matched to their clinics first by a village column on the facility (id or
name, see :data:`VILLAGE_LINK_COLUMNS`), then by location: a village clinic or outreach point
without a usable village value serves the nearest village point within ``match_m`` metres
(one village per clinic, so a clinic between two villages is not counted twice).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat, utm_crs
from carecircles._errors import DataIssues
from carecircles.facilities import open_mask
from carecircles.plans import PRESENCE_RULES, VILLAGE_MATCH_M, PresenceRule
from carecircles.standards import FACILITY_TYPES

#: An open emergency centre this close to a central township health centre is its station.
COLOCATED_M = 500.0

#: Facility columns naming the village a clinic belongs to (id or name), in order of preference.
VILLAGE_LINK_COLUMNS = (
    "village_id",
    "村编码",
    "行政村编码",
    "村代码",
    "village",
    "village_name",
    "所在村",
    "所属村",
    "行政村",
    "村名",
)
#: Facility columns listing services (an emergency station is one).
SERVICE_COLUMNS = ("services", "service", "服务", "服务项目", "服务内容", "科室", "功能", "特色服务")
#: Words in a services cell that mean an emergency station (急诊, an emergency department, does not).
STATION_WORDS = ("急救", "emergency station", "ambulance")

#: Open facilities of these types near a rule's types are named when a unit fails (not counted).
_NEAR_MISS = {
    "presence.township_centre": ("branch_thc", "chsc"),
    "presence.community_centre": ("chs_station", "central_thc", "thc", "branch_thc"),
}

DETAIL_COLUMNS = [
    "rule",
    "scope",
    "zone_code",
    "zone_name",
    "unit_id",
    "unit_name",
    "passes",
    "facility_ids",
    "facility_names",
    "missing_zh",
    "missing_en",
]
ZONE_COLUMNS = [
    "zone_code",
    "zone_name",
    "zone_type",
    "rules_assessed",
    "rules_passing",
    "passes",
    "missing_zh",
    "missing_en",
]
VILLAGE_COLUMNS = [
    "village_id",
    "name",
    "zone_code",
    "zone_name",
    "has_fixed_clinic",
    "has_outreach",
    "presence",
    "matched_by",
    "fixed_facility_ids",
    "outreach_facility_ids",
]


@dataclass
class Presence:
    """The presence rules' results.

    Attributes
    ----------
    detail
        One row per rule × unit (zone, ``ALL`` for the county, village, central township
        health centre): see :data:`DETAIL_COLUMNS`. ``passes`` is ``<NA>`` when not assessed.
    villages
        One row per village (:data:`VILLAGE_COLUMNS`), for ``villages.csv``; ``presence`` is
        ``fixed``, ``outreach_only`` or ``none``; empty when no villages were given.
    zones
        One row per zone: rules assessed and passing, ``passes`` (all assessed rules pass)
        and what is missing (``missing_zh``, ``missing_en``).
    notes
        Per rule, why it was not assessed (``zh``, ``en``), when it was not.
    """

    detail: pd.DataFrame
    villages: pd.DataFrame
    zones: pd.DataFrame
    notes: dict[str, tuple[str, str]]

    def rows(self, lang: str = "zh") -> list[dict[str, object]]:
        """Scorecard rows (group ``presence``), one per rule."""
        return presence_rows(self, lang)


def presence(
    facilities: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame | None = None,
    *,
    village_match_m: float = VILLAGE_MATCH_M,
    crs: CRS | None = None,
    issues: DataIssues | None = None,
    source: object = None,
    village_areas: gpd.GeoSeries | None = None,
) -> Presence:
    """Test every presence rule of :data:`carecircles.plans.PRESENCE_RULES`.

    Parameters
    ----------
    facilities
        Facilities as read (EPSG:4326) with ``type``, ``status``, ``used`` (open; when absent,
        status ``existing``/``relocating``) and their input columns.
    zones
        Zones (EPSG:4326) with ``zone_code``, ``zone_name``, ``zone_type``.
    villages
        Village points (EPSG:4326) with ``village_id``, ``name`` and ``zone_code``; the
        village rule is not assessed without them.
    village_match_m
        A clinic with no usable village value serves the nearest village point within this.
    crs
        Local metric CRS for distances (default: the UTM zone of the zones' centre).
    issues, source
        Where data issues go, and the facility file they name.
    village_areas
        The villages' own areas (EPSG:4326, aligned with ``villages``; ``None`` where a village
        is only a point), when the village layer holds polygons: see :func:`village_presence`.
    """
    crs = crs or _local_crs(zones)
    where = facility_zones(facilities, zones)
    used = is_open(facilities)
    detail = [
        _zone_rule(rule, facilities, zones, where, used)
        for rule in PRESENCE_RULES.values()
        if rule.scope == "zone"
    ]
    detail += [
        _county_rule(rule, facilities, where, used)
        for rule in PRESENCE_RULES.values()
        if rule.scope == "county"
    ]
    notes: dict[str, tuple[str, str]] = {}
    village_table = pd.DataFrame(columns=VILLAGE_COLUMNS)
    rule = PRESENCE_RULES["presence.village_clinic"]
    if villages is None or villages.empty:
        notes[rule.id] = ("未评估：未提供行政村点位", "not assessed: no village points given")
    else:
        village_table = village_presence(
            facilities,
            villages,
            zones,
            match_m=village_match_m,
            crs=crs,
            issues=issues,
            source=source,
            areas=village_areas,
        )
        detail.append(_village_detail(rule, village_table))
    stations, note = _emergency_stations(facilities, where, used, crs=crs, issues=issues, source=source)
    detail.append(stations)
    if note:
        notes["presence.emergency_station"] = note
    frame = pd.concat([d for d in detail if len(d)], ignore_index=True).reindex(columns=DETAIL_COLUMNS)
    frame["passes"] = frame["passes"].astype("boolean")
    return Presence(frame, village_table, _zone_summary(frame, zones), notes)


def facility_zones(facilities: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Zone code and name of the zone containing each facility (``""`` outside every zone).

    A facility in two overlapping zones goes to the zone listed last (the readers' rule).
    """
    if facilities.empty:
        return pd.DataFrame({"zone_code": [], "zone_name": []}, index=facilities.index, dtype=object)
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=facilities.geometry.to_numpy(), crs=facilities.crs),
        zones[["zone_code", "zone_name", "geometry"]].to_crs(facilities.crs),
        how="left",
        predicate="within",
    )
    joined = joined.sort_values("index_right", ascending=False, kind="stable")
    joined = joined[~joined.index.duplicated()].sort_index()
    out = joined[["zone_code", "zone_name"]].fillna("").astype(str)
    out.index = facilities.index
    return out


def is_open(facilities: pd.DataFrame) -> np.ndarray:
    """Which facilities count: ``used`` when present, else status existing or relocating."""
    if "used" in facilities:
        return facilities["used"].fillna(False).to_numpy(dtype=bool)
    if "status" in facilities:
        return open_mask(facilities["status"], include_planned=False)
    return np.ones(len(facilities), dtype=bool)


def _local_crs(zones: gpd.GeoDataFrame) -> CRS:
    west, south, east, north = zones.to_crs(4326).total_bounds
    return utm_crs((west + east) / 2, (south + north) / 2)


def _zone_rule(
    rule: PresenceRule,
    facilities: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    where: pd.DataFrame,
    used: np.ndarray,
) -> pd.DataFrame:
    types = facilities["type"].to_numpy()
    zone_of = where["zone_code"].to_numpy()
    planned = facilities["status"].to_numpy() == "planned" if "status" in facilities else ~used
    rows = []
    for zone in zones[zones["zone_type"] == rule.zone_type].itertuples():
        here = zone_of == zone.zone_code
        found = here & used & np.isin(types, rule.facility_types)
        missing = ("", "")
        if not found.any():
            instead = here & used & np.isin(types, _NEAR_MISS.get(rule.id, ()))
            soon = here & ~used & planned & np.isin(types, rule.facility_types)
            missing = _with_instead(rule.missing_zh, rule.missing_en, facilities, instead, soon)
        rows.append(
            _detail(
                rule,
                zone.zone_code,
                zone.zone_name,
                zone.zone_code,
                zone.zone_name,
                found,
                facilities,
                missing,
                bool(found.any()),
            )
        )
    return pd.DataFrame(rows, columns=DETAIL_COLUMNS)


def _detail(
    rule: PresenceRule,
    zone_code: str,
    zone_name: str,
    unit_id: str,
    unit_name: str,
    found: np.ndarray,
    facilities: pd.DataFrame,
    missing: tuple[str, str],
    passes: bool | None,
) -> dict[str, object]:
    return {
        "rule": rule.id,
        "scope": rule.scope,
        "zone_code": zone_code,
        "zone_name": zone_name,
        "unit_id": unit_id,
        "unit_name": unit_name,
        "passes": pd.NA if passes is None else passes,
        "facility_ids": ";".join(facilities["facility_id"].astype(str).to_numpy()[found]),
        "facility_names": "、".join(facilities["name"].astype(str).to_numpy()[found]),
        "missing_zh": missing[0],
        "missing_en": missing[1],
    }


def _with_instead(
    zh: str, en: str, facilities: pd.DataFrame, instead: np.ndarray, planned: np.ndarray
) -> tuple[str, str]:
    """Add what a failing unit has instead: near-miss types (not counted) and planned ones."""
    names = facilities["name"].astype(str).to_numpy()
    types = facilities["type"].to_numpy()
    extra_zh, extra_en = [], []
    if instead.any():
        pairs = list(zip(names[instead], types[instead], strict=True))
        extra_zh.append("有但不计入：" + "、".join(f"{n}（{FACILITY_TYPES[t].zh}）" for n, t in pairs))
        extra_en.append("not counted: " + ", ".join(f"{n} ({FACILITY_TYPES[t].en})" for n, t in pairs))
    if planned.any():
        extra_zh.append("规划：" + "、".join(names[planned]))
        extra_en.append("planned: " + ", ".join(names[planned]))
    if not extra_zh:
        return zh, en
    return f"{zh}（{'；'.join(extra_zh)}）", f"{en} ({'; '.join(extra_en)})"


def _county_rule(
    rule: PresenceRule, facilities: gpd.GeoDataFrame, where: pd.DataFrame, used: np.ndarray
) -> pd.DataFrame:
    of_type = used & np.isin(facilities["type"].to_numpy(), rule.facility_types)
    found = of_type & (where["zone_code"].to_numpy() != "")
    missing = ("", "")
    if not found.any():
        missing = (rule.missing_zh, rule.missing_en)
        if of_type.any():
            outside = "、".join(facilities["name"].astype(str).to_numpy()[of_type])
            missing = (
                f"{rule.missing_zh}（研究区外有：{outside}，未计入）",
                f"{rule.missing_en} (outside the study area, not counted: {outside})",
            )
    return pd.DataFrame(
        [_detail(rule, "ALL", "", "ALL", "", found, facilities, missing, bool(found.any()))],
        columns=DETAIL_COLUMNS,
    )


# --- villages ----------------------------------------------------------------------------------


def village_presence(
    facilities: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    match_m: float = VILLAGE_MATCH_M,
    crs: CRS | None = None,
    issues: DataIssues | None = None,
    source: object = None,
    areas: gpd.GeoSeries | None = None,
) -> pd.DataFrame:
    """Which villages have an open village clinic (fixed) or outreach point, and how it was matched.

    Parameters
    ----------
    facilities
        Facilities as read (EPSG:4326); village clinics and community stations count as
        fixed, outreach points as outreach.
    villages
        Village points (EPSG:4326) with ``village_id``, ``name``, ``zone_code`` (and
        ``zone_name``, else taken from ``zones``).
    zones
        Zones, for village names that occur in several zones and for ``zone_name``.
    match_m
        A clinic without a usable village value serves the nearest village point within this
        many metres (straight line).
    crs
        Local metric CRS (default: the UTM zone of the villages' centre).
    issues, source
        Data issues: village values matching no village or several, clinics matched to none.
    areas
        Village polygons (EPSG:4326) aligned with ``villages``, ``None`` for a village given as
        a point. A clinic not matched by column that lies inside a village's area serves that
        village (``area``); only the others fall back to the nearest point within ``match_m``.

    Returns
    -------
    pandas.DataFrame
        :data:`VILLAGE_COLUMNS`, one row per village in the order given. ``matched_by`` is
        ``id``, ``name``, ``area``, ``location`` or several joined by ``+`` (``""``: nothing
        found); facility ids are joined by ``;``.
    """
    fixed_types = PRESENCE_RULES["presence.village_clinic"].facility_types
    kind = np.where(facilities["type"].to_numpy() == "outreach_point", "outreach", "fixed")
    clinics = np.flatnonzero(is_open(facilities) & np.isin(facilities["type"].to_numpy(), fixed_types))
    village_of = np.full(len(facilities), -1)
    how = np.full(len(facilities), "", dtype=object)
    _link_by_column(facilities, villages, zones, clinics, village_of, how, issues, source)
    crs = crs or (_local_crs(zones) if zones is not None else _points_crs(villages))
    if areas is not None:
        _link_by_area(facilities, areas, clinics, village_of, how)
    _link_by_location(facilities, villages, clinics, village_of, how, match_m, crs, issues, source)
    ids = facilities["facility_id"].astype(str).to_numpy()
    fixed_ids: list[list[str]] = [[] for _ in range(len(villages))]
    outreach_ids: list[list[str]] = [[] for _ in range(len(villages))]
    methods: list[set[str]] = [set() for _ in range(len(villages))]
    for i in clinics:
        v = village_of[i]
        if v >= 0:
            (outreach_ids if kind[i] == "outreach" else fixed_ids)[v].append(ids[i])
            methods[v].add(how[i])
    has_fixed = np.array([bool(f) for f in fixed_ids])
    has_outreach = np.array([bool(o) for o in outreach_ids])
    zone_name = _village_zone_names(villages, zones)
    return pd.DataFrame(
        {
            "village_id": villages["village_id"].astype(str).to_numpy(),
            "name": villages["name"].astype(str).to_numpy(),
            "zone_code": villages["zone_code"].astype(str).to_numpy(),
            "zone_name": zone_name,
            "has_fixed_clinic": has_fixed,
            "has_outreach": has_outreach,
            "presence": np.where(has_fixed, "fixed", np.where(has_outreach, "outreach_only", "none")),
            "matched_by": ["+".join(m for m in _MATCH_ORDER if m in s) for s in methods],
            "fixed_facility_ids": [";".join(f) for f in fixed_ids],
            "outreach_facility_ids": [";".join(o) for o in outreach_ids],
        },
        columns=VILLAGE_COLUMNS,
    )


#: How a clinic was matched to its village, in the order the matches are tried.
_MATCH_ORDER = ("id", "name", "area", "location")


def _points_crs(points: gpd.GeoDataFrame) -> CRS:
    west, south, east, north = points.to_crs(4326).total_bounds
    return utm_crs((west + east) / 2, (south + north) / 2)


def _village_zone_names(villages: pd.DataFrame, zones: pd.DataFrame | None) -> np.ndarray:
    if "zone_name" in villages:
        return villages["zone_name"].fillna("").astype(str).to_numpy()
    if zones is None:
        return np.full(len(villages), "", dtype=object)
    names = dict(zip(zones["zone_code"], zones["zone_name"], strict=True))
    return villages["zone_code"].map(names).fillna("").astype(str).to_numpy()


def _key(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _link_column(columns: pd.Index) -> str | None:
    lookup: dict[str, str] = {}
    for column in columns:
        lookup.setdefault(_key(column), str(column))
    return next((lookup[_key(n)] for n in VILLAGE_LINK_COLUMNS if _key(n) in lookup), None)


def _link_by_column(
    facilities: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    clinics: np.ndarray,
    village_of: np.ndarray,
    how: np.ndarray,
    issues: DataIssues | None,
    source: object,
) -> None:
    """Match clinics whose village column names a village (id first, then name)."""
    column = _link_column(facilities.columns)
    if column is None or not len(clinics):
        return
    by_id: dict[str, int] = {}
    for v, value in enumerate(villages["village_id"].astype(str)):
        by_id.setdefault(_key(value), v)
    by_name: dict[str, list[int]] = {}
    for v, value in enumerate(villages["name"].astype(str)):
        for variant in {_key(value), _key(value).removesuffix("村")}:
            by_name.setdefault(variant, []).append(v)
    village_zone = villages["zone_code"].astype(str).to_numpy()
    facility_zone = (
        facility_zones(facilities, zones)["zone_code"].to_numpy()
        if zones is not None
        else np.full(len(facilities), "", dtype=object)
    )
    rows = facilities["row"].to_numpy() if "row" in facilities else np.arange(1, len(facilities) + 1)
    for i in clinics:
        raw = facilities[column].iloc[i]
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw).strip():
            continue
        key = _key(raw)
        if key in by_id:
            village_of[i], how[i] = by_id[key], "id"
            continue
        named = sorted(set(by_name.get(key, []) + by_name.get(key.removesuffix("村"), [])))
        if len(named) > 1:
            named = [v for v in named if village_zone[v] == facility_zone[i]]
        if len(named) == 1:
            village_of[i], how[i] = named[0], "name"
            continue
        if issues is not None:
            problem = "matches several villages" if named else "matches no village id or name"
            issues.add(
                "warning",
                source,
                f"village value {problem}; the clinic is matched by location instead",
                zh=("村名/编号对应多个村" if named else "村名/编号找不到对应的村") + "；改按位置匹配村卫生室",
                row=int(rows[i]),
                field=column,
                value=raw,
            )


def _link_by_area(
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoSeries,
    clinics: np.ndarray,
    village_of: np.ndarray,
    how: np.ndarray,
) -> None:
    """Clinics not matched by column that lie inside a village's area serve that village."""
    left = clinics[village_of[clinics] < 0]
    polygons = gpd.GeoDataFrame(geometry=areas.to_numpy(), crs=4326).reset_index(drop=True)
    polygons = polygons[polygons.geometry.notna() & ~polygons.geometry.is_empty]
    if not len(left) or polygons.empty:
        return
    points = gpd.GeoDataFrame(geometry=facilities.geometry.to_crs(4326).to_numpy()[left], crs=4326)
    inside = gpd.sjoin(points, polygons, how="inner", predicate="within")
    inside = inside[~inside.index.duplicated(keep="last")]  # overlapping areas: the one listed last
    village_of[left[inside.index.to_numpy()]] = inside["index_right"].to_numpy()
    how[left[inside.index.to_numpy()]] = "area"


def _link_by_location(
    facilities: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    clinics: np.ndarray,
    village_of: np.ndarray,
    how: np.ndarray,
    match_m: float,
    crs: CRS,
    issues: DataIssues | None,
    source: object,
) -> None:
    """Clinics not matched by column serve the nearest village point within ``match_m``."""
    left = clinics[village_of[clinics] < 0]
    if not len(left) or villages.empty:
        return
    points = facilities.geometry.to_crs(4326)
    fx, fy = project_lonlat(points.x.to_numpy()[left], points.y.to_numpy()[left], crs)
    vpoints = villages.geometry.to_crs(4326)
    vx, vy = project_lonlat(vpoints.x, vpoints.y, crs)
    distance, nearest = cKDTree(np.column_stack([vx, vy])).query(np.column_stack([fx, fy]))
    close = distance <= match_m
    village_of[left[close]] = nearest[close]
    how[left[close]] = "location"
    rows = facilities["row"].to_numpy() if "row" in facilities else np.arange(1, len(facilities) + 1)
    for k in np.flatnonzero(~close):
        i = left[k]
        # a community health station serves an urban neighbourhood, usually without a village point
        if issues is not None and facilities["type"].iloc[i] != "chs_station":
            issues.add(
                "info",
                source,
                f"{FACILITY_TYPES[facilities['type'].iloc[i]].en} serves no village point: the nearest is "
                f"{distance[k] / 1000:.1f} km away (scorecard.village_match_m: {match_m:g} m)",
                zh=(
                    f"{FACILITY_TYPES[facilities['type'].iloc[i]].zh}没有对应的村点"
                    f"：最近的村在 {distance[k] / 1000:.1f} 公里外（scorecard.vill"
                    f"age_match_m：{match_m:g} 米）"
                ),
                row=int(rows[i]),
                field="geometry",
                value=facilities["name"].iloc[i],
            )


def _village_detail(rule: PresenceRule, table: pd.DataFrame) -> pd.DataFrame:
    ok = (table["presence"] != "none").to_numpy()
    ids = [
        ";".join(p for p in pair if p)
        for pair in zip(table["fixed_facility_ids"], table["outreach_facility_ids"], strict=True)
    ]
    return pd.DataFrame(
        {
            "rule": rule.id,
            "scope": rule.scope,
            "zone_code": table["zone_code"],
            "zone_name": table["zone_name"],
            "unit_id": table["village_id"],
            "unit_name": table["name"],
            "passes": ok,
            "facility_ids": ids,
            "facility_names": "",
            "missing_zh": np.where(ok, "", rule.missing_zh),
            "missing_en": np.where(ok, "", rule.missing_en),
        },
        columns=DETAIL_COLUMNS,
    )


# --- emergency stations ---------------------------------------------------------------------


def _service_column(columns: pd.Index) -> str | None:
    lookup: dict[str, str] = {}
    for column in columns:
        lookup.setdefault(_key(column), str(column))
    return next((lookup[_key(n)] for n in SERVICE_COLUMNS if _key(n) in lookup), None)


def has_station_words(cell: object) -> bool:
    """Whether a services cell names an emergency station (急救…, emergency station, ambulance).

    Examples
    --------
    >>> has_station_words("急诊;发热门诊;急救站"), has_station_words("急诊")
    (True, False)
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return False
    text = unicodedata.normalize("NFKC", str(cell)).lower()
    return any(word in text for word in STATION_WORDS)


def _emergency_stations(
    facilities: gpd.GeoDataFrame,
    where: pd.DataFrame,
    used: np.ndarray,
    *,
    crs: CRS,
    issues: DataIssues | None = None,
    source: object = None,
) -> tuple[pd.DataFrame, tuple[str, str] | None]:
    """Test whether every open central township health centre in a zone hosts an emergency station.

    A station is named in the centre's services, or is an open emergency centre within
    :data:`COLOCATED_M`. Without a services column, a centre with no co-located station is not
    assessed (and a data issue says so). Returns the detail rows and, when nothing could be
    assessed, why (Chinese, English).
    """
    rule = PRESENCE_RULES["presence.emergency_station"]
    types = facilities["type"].to_numpy()
    hosts = np.flatnonzero(used & np.isin(types, rule.host_types) & (where["zone_code"].to_numpy() != ""))
    if not len(hosts):
        return pd.DataFrame(columns=DETAIL_COLUMNS), (
            "不适用：无开放的中心卫生院",
            "not applicable: no open central centre",
        )
    column = _service_column(facilities.columns)
    if column is None and issues is not None:
        issues.add(
            "warning",
            source,
            "no services column (services, 服务项目 …): emergency stations at central township health "
            "centres not assessed",
            zh="没有服务项目列（services、服务项目等）：中心卫生院急救站未评估",
            field="services",
            action="skipped",
        )
    stations = np.flatnonzero(used & np.isin(types, rule.facility_types))
    points = facilities.geometry.to_crs(4326)
    x, y = project_lonlat(points.x.to_numpy(), points.y.to_numpy(), crs)
    rows = []
    for i in hosts:
        listed = column is not None and has_station_words(facilities[column].iloc[i])
        found = np.zeros(len(facilities), dtype=bool)
        found[stations[np.hypot(x[stations] - x[i], y[stations] - y[i]) <= COLOCATED_M]] = True
        found[i] = listed or found.any()
        passes: bool | None = bool(found[i])
        missing = ("", "")
        if not passes:
            missing = (rule.missing_zh, rule.missing_en)
            if column is None:
                passes = None
                missing = ("未评估：无服务项目列", "not assessed: no services column")
        rows.append(
            _detail(
                rule,
                where["zone_code"].iloc[i],
                where["zone_name"].iloc[i],
                str(facilities["facility_id"].iloc[i]),
                str(facilities["name"].iloc[i]),
                found,
                facilities,
                missing,
                passes=passes,
            )
        )
    frame = pd.DataFrame(rows, columns=DETAIL_COLUMNS)
    note = None
    if frame["passes"].isna().all():
        note = ("未评估：设施表无服务项目列", "not assessed: the facility table has no services column")
    return frame, note


# --- per zone, and the scorecard ------------------------------------------------------------


def label(row: pd.Series | dict, lang: str = "zh") -> str:
    """Say what a failing unit of the detail table lacks, e.g. ``花园口镇: 无乡镇卫生院``."""
    missing = row["missing_zh" if lang == "zh" else "missing_en"]
    if row["scope"] == "county":
        return str(missing)
    if row["scope"] == "zone":
        return f"{row['zone_name']}: {missing}"
    return f"{row['zone_name']} {row['unit_name']}: {missing}"


def _zone_summary(detail: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Per zone: rules assessed and passing, and what is missing (villages counted together)."""
    out = []
    by_zone = dict(tuple(detail.groupby("zone_code", sort=False)))  # once, not one filter per zone
    for zone in zones.itertuples():
        here = by_zone.get(zone.zone_code, detail.iloc[0:0])
        rules = here.dropna(subset=["passes"]).groupby("rule", sort=False)["passes"].all()
        texts: dict[str, list[str]] = {"zh": [], "en": []}
        for rule_id, part in here[here["passes"].eq(False).fillna(False)].groupby("rule", sort=False):
            names = list(part["unit_name"].astype(str))
            if rule_id == "presence.village_clinic":
                texts["zh"].append(f"{len(names)} 个行政村无村卫生室或巡诊点（{'、'.join(names)}）")
                plural = "village" if len(names) == 1 else "villages"
                texts["en"].append(
                    f"{len(names)} {plural} without a clinic or outreach point ({', '.join(names)})"
                )
            elif PRESENCE_RULES[str(rule_id)].scope == "facility":
                texts["zh"].extend(f"{n}{m}" for n, m in zip(names, part["missing_zh"], strict=True))
                texts["en"].extend(f"{n}: {m}" for n, m in zip(names, part["missing_en"], strict=True))
            else:
                texts["zh"].extend(part["missing_zh"])
                texts["en"].extend(part["missing_en"])
        out.append(
            {
                "zone_code": zone.zone_code,
                "zone_name": zone.zone_name,
                "zone_type": zone.zone_type,
                "rules_assessed": len(rules),
                "rules_passing": int(rules.sum()),
                "passes": bool(rules.all()) if len(rules) else pd.NA,
                "missing_zh": f"{zone.zone_name}: {'；'.join(texts['zh'])}" if texts["zh"] else "",
                "missing_en": f"{zone.zone_name}: {'; '.join(texts['en'])}" if texts["en"] else "",
            }
        )
    frame = pd.DataFrame(out, columns=ZONE_COLUMNS)
    frame["passes"] = frame["passes"].astype("boolean")
    return frame


_LIST_AT_MOST = 12


def _listing(items: list[str], zh: bool, total: int) -> str:
    """Join the first :data:`_LIST_AT_MOST` items and say how many there are in all (``total``)."""
    sep = "；" if zh else "; "
    text = sep.join(items[:_LIST_AT_MOST])
    if total > _LIST_AT_MOST:
        text += f"{sep}等共 {total} 项" if zh else f"{sep}… {total} in all"
    return text


def presence_rows(result: Presence, lang: str = "zh") -> list[dict[str, object]]:
    """Scorecard rows (group ``presence``) of a :class:`Presence`, one per rule.

    Per-zone and village rules carry zones passing / zones assessed (a zone passes a village
    rule when all its villages do); the note names every missing item (the first
    :data:`_LIST_AT_MOST`), then the rule's reading of which facility types count.
    """
    from carecircles.scorecard import indicator_row

    zh = lang == "zh"
    rows = []
    for rule in PRESENCE_RULES.values():
        part = result.detail[result.detail["rule"] == rule.id]
        assessed = part[part["passes"].notna()]
        n, ok = len(assessed), int(assessed["passes"].astype(bool).sum())
        target, unit = _target(rule, zh)
        actual_value = float(ok) if rule.scope != "county" else float(_count(part))
        actual = (
            f"{ok} / {n}" if rule.scope != "county" else (f"{_count(part)} 所" if zh else str(_count(part)))
        )
        zones_passing = zones_assessed = None
        if rule.scope in ("zone", "village") and n:
            by_zone = assessed.groupby("zone_code")["passes"].all()
            zones_passing, zones_assessed = int(by_zone.sum()), len(by_zone)
        parts = [_why(result, rule, part, zh)]
        if rule.scope == "village" and n:
            parts.append(_village_counts(result.villages, zh))
        failing = part[part["passes"].eq(False).fillna(False)]
        named = [label(r, lang) for _, r in failing.iloc[:_LIST_AT_MOST].iterrows()]  # those listed
        parts += [_listing(named, zh, len(failing)), rule.note if zh else rule.note_en]
        rows.append(
            indicator_row(
                "presence",
                rule.id,
                name_zh=rule.name_zh,
                name_en=rule.name_en,
                target=target,
                actual=actual if n else "—",
                target_value=1.0 if rule.scope == "county" else (float(n) if n else None),
                actual_value=actual_value if n else None,
                unit=unit,
                passes=(ok == n) if n else None,
                zones_passing=zones_passing,
                zones_assessed=zones_assessed,
                source=rule.source,
                wording=rule.wording,
                note=("；" if zh else "; ").join(p for p in parts if p),
            )
        )
    return rows


def _count(part: pd.DataFrame) -> int:
    return sum(1 for i in str(part["facility_ids"].iloc[0]).split(";") if i) if len(part) else 0


def _target(rule: PresenceRule, zh: bool) -> tuple[str, str]:
    """Return the target as shown and the unit of a rule."""
    if rule.scope == "county":
        return ("至少 1 所" if zh else "at least 1"), "facilities"
    if rule.scope == "zone":
        rural = rule.zone_type == "rural"
        words = ("全部乡镇", "every township") if rural else ("全部街道", "every sub-district")
        return words[0 if zh else 1], "zones"
    if rule.scope == "village":
        return ("全部行政村" if zh else "every village"), "villages"
    return ("全部中心卫生院" if zh else "every central township health centre"), "centres"


def _why(result: Presence, rule: PresenceRule, part: pd.DataFrame, zh: bool) -> str:
    """Say why a rule has nothing assessed (no zones of its type, no villages …), else ``""``."""
    if rule.id in result.notes:
        return result.notes[rule.id][0 if zh else 1]
    if part["passes"].notna().any():
        return ""
    if rule.scope == "zone":
        rural = rule.zone_type == "rural"
        if zh:
            return f"不适用：研究区无{'乡镇' if rural else '街道'}（{rule.zone_type}）"
        return f"not applicable: no {rule.zone_type} zone in the study"
    return "未评估" if zh else "not assessed"


def _village_counts(villages: pd.DataFrame, zh: bool) -> str:
    fixed = int((villages["presence"] == "fixed").sum())
    outreach = int((villages["presence"] == "outreach_only").sum())
    none = int((villages["presence"] == "none").sum())
    if zh:
        return f"{len(villages)} 个村: {fixed} 个有固定村卫生室, {outreach} 个仅有巡诊点, {none} 个都没有"
    return f"{len(villages)} villages: {fixed} with a fixed clinic, {outreach} outreach only, {none} neither"
