"""A province study: one map page per county, and an index page that ranks the counties.

A study whose zones carry a county (``inputs.zones.columns.county``, or a ``county_code`` /
``county`` column found by name) with two or more counties is a province study. Its map is
then split, so that no page carries every gap polygon of a province:

- the **index page** (the config's map path) shows every township filled by its class and
  labelled, the county outlines, the province summary, and a panel ranking the counties by
  people outside the chosen standard, each linking to its county page;
- one **county page** per county (``<map stem>-counties/NNN-<code>.html``) with the detail:
  gap areas and covered bands, villages, facilities, catchments, roads, and a link back.

Every figure on a county page and on the index is the township row of the one study
(:func:`carecircles.assessment.whole_people`), so the index, the county pages, ``zones.csv``
and a ``carecircles batch`` over the counties agree zone by zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircles import palette
from carecircles._encode import percent
from carecircles.analysis import StudyResult
from carecircles.assessment import ZONE_COLUMNS, finish_table, whole_people
from carecircles.catchments import Catchments
from carecircles.labels import label, people_text
from carecircles.presence import facility_zones
from carecircles.roads import RoadEdges
from carecircles.standards import Standard
from carecircles.summary import outside_text

#: Column of ``zones`` holding each zone's county (see :func:`carecircles.boundaries.read_zones`).
COUNTY = "county"

#: Margin (degrees, ~2 km) around a county kept of the roads on its page.
ROAD_MARGIN_DEG = 0.02


def counties(zones: gpd.GeoDataFrame) -> list[str]:
    """Return the counties of the zones in the order they first appear (``[]``: no county column)."""
    if COUNTY not in zones:
        return []
    return list(dict.fromkeys(str(c) for c in zones[COUNTY]))


def is_province(zones: gpd.GeoDataFrame) -> bool:
    """Return whether the zones make a province study (two counties or more)."""
    return len(counties(zones)) >= 2


def county_result(
    result: StudyResult, county: str | Sequence[str], facility_zone: pd.Series | None = None
) -> StudyResult:
    """Return the study restricted to one county's zones (or several counties'), with their totals.

    Zone rows are the study's own; each standard's ``ALL`` row is recomputed over the
    counties' zones. Facilities are those counted in those zones (``facility_zone``: each
    facility's zone code, when already found); roads those with an end within
    ``ROAD_MARGIN_DEG`` of the counties.
    """
    chosen = [county] if isinstance(county, str) else list(county)
    zones = result.zones[result.zones[COUNTY].astype(str).isin(chosen)]
    codes = set(zones["zone_code"])
    config = result.config
    title = f"{config.title} · {'、'.join(chosen)}"
    facilities = result.facilities
    if facility_zone is None:
        facility_zone = facility_zones(facilities, result.zones)["zone_code"]
    inside = facility_zone.isin(codes).to_numpy()
    ids = set(facilities.loc[inside, "facility_id"])
    villages = result.villages
    if villages is not None and "zone_code" in villages:
        villages = villages[villages["zone_code"].isin(codes)]
    return replace(
        result,
        config=replace(config, title=title),
        zones=zones,
        zone_results=county_zone_results(result.zone_results, codes, config.standards),
        areas=_in_zones(result.areas, codes),
        facilities=facilities[inside],
        villages=villages,
        catchments=_catchments_of(result.catchments, ids),
        roads=_roads_near(result.roads, [part.total_bounds for _, part in zones.groupby(COUNTY, sort=False)]),
        scenarios={
            key: replace(
                s,
                zone_results=county_zone_results(s.zone_results, codes, config.standards),
                areas=_in_zones(s.areas, codes),
            )
            for key, s in result.scenarios.items()
        },
    )


def sited_counties(result: StudyResult, zone_codes: Sequence[str]) -> StudyResult:
    """Return a province study restricted to the counties holding the given zones (a siting map's).

    A province's siting map shows the counties where sites are proposed, in detail; the
    province index of ``carecircles run`` shows the rest.
    """
    zones = result.zones
    wanted = zones.loc[zones["zone_code"].isin(set(zone_codes)), COUNTY].astype(str)
    chosen = [c for c in counties(zones) if c in set(wanted)]
    return county_result(result, chosen) if chosen else result


def county_zone_results(
    zone_results: pd.DataFrame, codes: set, standards: Sequence[Standard]
) -> pd.DataFrame:
    """Return the zone rows of ``codes`` with each standard's ``ALL`` row over them alone."""
    tables = []
    for s in standards:
        rows = zone_results[(zone_results["standard"] == s.id) & (zone_results["zone_code"] != "ALL")]
        if rows.empty and not (zone_results["standard"] == s.id).any():
            continue  # the study did not assess it (no villages given): neither does the county
        tables.append(finish_table(rows[rows["zone_code"].isin(codes)], s))
    if not tables:
        return pd.DataFrame(columns=ZONE_COLUMNS)
    return pd.concat(tables, ignore_index=True)


@dataclass(frozen=True)
class CountyPage:
    """One county's map page and its figures per standard (whole people)."""

    county: str
    path: Path
    population: float
    outside: dict[str, float]
    shares: dict[str, float]
    classes: dict[str, str]
    texts: dict[str, str]  # who is outside, in words (people, or villages for 2.5 km)


def county_folder(index_path: Path) -> Path:
    """Return the folder of the county pages: beside the index, named after it."""
    return index_path.with_name(f"{index_path.stem}-counties")


def write_province_maps(
    result: StudyResult,
    index_path: Path,
    write: Callable[[StudyResult, Path, dict], Path],
    lang: str = "zh",
) -> list[CountyPage]:
    """Write one page per county and the index page ranking them.

    ``write(result, path, extra)`` builds and writes one map page, ``extra`` added to the
    page's data (the link back to the index; the county ranking on the index).
    """
    folder = county_folder(index_path)
    pages = []
    back = {"back": {"href": f"../{quote(index_path.name)}", "text": label("back_to_index", lang)}}
    facility_zone = facility_zones(result.facilities, result.zones)["zone_code"]  # once, not per county
    for i, county in enumerate(counties(result.zones)):
        path = folder / f"{i + 1:03d}-{_slug(county)}.html"
        part = county_result(result, county, facility_zone)
        write(part, path, back)
        pages.append(_page(part, county, path, lang))
    overview = replace(
        result,
        areas=result.areas.iloc[0:0],
        villages=None,
        catchments=None,
        roads=None,
        facilities=result.facilities.iloc[0:0],
        scenarios={},
    )
    write(overview, index_path, {"counties": county_ranking(result, pages, lang)})
    return pages


def county_ranking(result: StudyResult, pages: list[CountyPage], lang: str) -> dict:
    """Return the index page's county data: outlines, links and figures per standard."""
    outlines = result.zones.dissolve(by=COUNTY, sort=False)
    tolerance = 50 / 111_000
    rows = []
    for page in pages:
        shape = shapely.simplify(outlines.geometry.loc[page.county], tolerance, preserve_topology=True)
        at = shape.representative_point()
        rows.append(
            {
                "name": page.county,
                "href": _href(page.path),
                "at": [round(at.x, 6), round(at.y, 6)],
                "geometry": shapely.geometry.mapping(shapely.set_precision(shape, 1e-6)),
                "population": people_text(page.population, lang),
                "outside": {k: float(v) for k, v in page.outside.items()},
                "outsideText": page.texts,
                "share": {k: percent(v) for k, v in page.shares.items()},  # cut, never rounded up
                "cls": page.classes,
            }
        )
    return {
        "title": label("county_ranking", lang),
        "open": label("open_county", lang),
        "outlines": label("county_outlines", lang),
        "items": rows,
    }


def _page(part: StudyResult, county: str, path: Path, lang: str) -> CountyPage:
    people = whole_people(part.zone_results)
    totals = people[people["zone_code"] == "ALL"].set_index("standard")
    outside, shares, classes, texts = {}, {}, {}, {}
    for s in part.config.standards:
        if s.id not in totals.index:
            continue
        row = totals.loc[s.id]
        outside[s.id] = float(row["uncovered_population"])
        texts[s.id] = outside_text(row, s, lang)
        shares[s.id] = float(row["covered_share"]) if row["population"] > 0 else float("nan")
        zones = people[(people["standard"] == s.id) & (people["zone_code"] != "ALL")]
        failing = zones["passes"].notna() & ~zones["passes"].fillna(True).astype(bool)
        if row["population"] <= 0:
            classes[s.id] = "no_people"
        elif not failing.any():
            classes[s.id] = "pass"
        else:
            classes[s.id] = palette.verdict(False, row["covered_share"], s.target_share)
    population = float(people.loc[people["zone_code"] == "ALL", "population"].max())
    return CountyPage(county, path, population, outside, shares, classes, texts)


def _in_zones(areas: gpd.GeoDataFrame, codes: set) -> gpd.GeoDataFrame:
    return areas[areas["zone_code"].isin(codes)] if "zone_code" in areas else areas


def _catchments_of(found: Catchments | None, ids: set) -> Catchments | None:
    if found is None:
        return None
    return replace(
        found,
        table=found.table[found.table["facility_id"].isin(ids)],
        polygons=found.polygons[found.polygons["facility_id"].isin(ids)],
    )


def _roads_near(roads: RoadEdges | None, boxes: Sequence[np.ndarray]) -> RoadEdges | None:
    """Return the roads with an end within ``ROAD_MARGIN_DEG`` of any of the boxes (one per county)."""
    if roads is None:
        return None
    m = ROAD_MARGIN_DEG
    near = np.zeros(len(roads.node_lon), dtype=bool)
    for west, south, east, north in boxes:
        near |= (
            (roads.node_lon >= west - m)
            & (roads.node_lon <= east + m)
            & (roads.node_lat >= south - m)
            & (roads.node_lat <= north + m)
        )
    keep = near[roads.u] | near[roads.v]
    return replace(
        roads,
        u=roads.u[keep],
        v=roads.v[keep],
        highway=roads.highway[keep],
        oneway=roads.oneway[keep],
        maxspeed_kmh=roads.maxspeed_kmh[keep],
        structure=None if roads.structure is None else roads.structure[keep],
    )


def _slug(county: str) -> str:
    """Return the county as a file-name part: ASCII letters, digits, ``-`` and ``_`` only."""
    return re.sub(r"[^0-9A-Za-z_-]+", "", county)[:40] or "county"


def _href(path: Path) -> str:
    """Return a county page's link from the index beside its folder (relative, URL-safe by construction)."""
    href = f"{quote(path.parent.name)}/{quote(path.name)}"
    if not re.fullmatch(r"[0-9A-Za-z_.%/-]+", href) or any(p in ("", ".", "..") for p in href.split("/")):
        raise ValueError(f"unsafe map link {href!r}")  # names are built here: never from input
    return href
