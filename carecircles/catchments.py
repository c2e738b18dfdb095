"""Catchments and load: who each township centre and county hospital serves (the 医共体 picture).

Every population cell and village is assigned to its nearest open township-level centre and to
its nearest county hospital by travel time, with no time limit (a county's people all belong
to some centre, however far). Per facility: the people and villages it serves, people per bed
and per doctor, and a flag when its load is far above the county's. Catchment polygons are
traced from the same cells as the figures, so the map and the table cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from carecircles.assessment import polygons_by_label
from carecircles.nearest import NearestFacilities
from carecircles.plans import LOAD_FACTOR
from carecircles.population import PopulationCells
from carecircles.presence import facility_zones

#: Facility types of each catchment level. Township level: the centres that run a 医共体's
#: primary care (次中心, 中心卫生院, 乡镇卫生院 and its branches, 社区卫生服务中心 in towns);
#: county level: the general and the TCM hospital, the two that lead a 医共体 in the plans
#: (002: 公立二级以上中医院牵头组建紧密型医共体). A 妇幼保健院 serves a specialty, not a catchment.
LEVELS: dict[str, tuple[str, ...]] = {
    "township": ("subcentre", "central_thc", "thc", "branch_thc", "chsc"),
    "hospital": ("county_hospital", "tcm_hospital"),
}


CATCHMENT_COLUMNS = [
    "level",
    "facility_id",
    "name",
    "type",
    "zone_code",
    "zone_name",
    "population",
    "villages",
    "village_population",
    "mean_minutes",
    "max_minutes",
    "beds",
    "doctors",
    "people_per_bed",
    "people_per_doctor",
    "county_people_per_bed",
    "county_people_per_doctor",
    "load",
    "village_names",
]


@dataclass
class Catchments:
    """Catchments of one facility set.

    Attributes
    ----------
    table
        One row per (level, open facility of that level): see :data:`CATCHMENT_COLUMNS`.
        ``load`` is ``high`` (people per bed or per doctor above ``load_factor`` × the
        county's), ``ok``, or ``not assessed`` (no beds and no doctors figure).
    cell_facility, village_facility
        Per level, the facility row (into the facility table) each cell / village is
        assigned to; ``-1``: no road within the snap radius, so no travel time.
    unassigned
        Per level, people in cells with no travel time to any centre of the level.
    polygons
        One (multi)polygon per (level, facility) of the cells it serves (EPSG:4326), with
        ``population``; empty when the population is not a raster.
    mode
        The travel mode used.
    load_factor
        The flag rule's factor.
    """

    table: pd.DataFrame
    cell_facility: dict[str, NDArray[np.int64]]
    village_facility: dict[str, NDArray[np.int64]]
    unassigned: dict[str, float]
    polygons: gpd.GeoDataFrame
    mode: str
    load_factor: float


def catchments(
    nearest: NearestFacilities,
    cells: PopulationCells,
    zones: gpd.GeoDataFrame,
    resources: pd.DataFrame,
    *,
    mode: str,
    villages: gpd.GeoDataFrame | None = None,
    load_factor: float = LOAD_FACTOR,
    polygons: bool = True,
) -> Catchments:
    """Assign every cell and village to its nearest centre of each level, and measure load.

    Parameters
    ----------
    nearest
        Nearest-facility costs of the facility set (its ``used`` facilities are the centres).
    cells
        Population places (raster cells or village points), local CRS.
    zones
        Zones (for each facility's zone).
    resources
        ``beds`` and ``doctors`` per facility, aligned with ``nearest.facilities`` (``nan``
        where unknown, never 0 for unknown).
    mode
        Travel mode of the assignment.
    villages
        Village points (EPSG:4326) with ``village_id``, ``name``, ``population``; optional.
    load_factor
        A facility is flagged ``high`` when its people per bed or per doctor exceed this
        times the county figure of its level (all its level's people over all its beds).
    polygons
        Trace catchment polygons (raster cells only).
    """
    facilities = nearest.facilities
    zone_of = facility_zones(facilities, zones)
    tables, cell_owner, village_owner, unassigned = [], {}, {}, {}
    if villages is not None and len(villages):
        vx, vy = nearest_xy(nearest, villages)
    for level, types in LEVELS.items():
        found = nearest.place(cells.x, cells.y, mode=mode, types=frozenset(types), limit=np.inf)
        owner = found.facility
        cell_owner[level] = owner
        unassigned[level] = float(cells.population[owner < 0].sum())
        rows = nearest.selection(frozenset(types))
        people = np.bincount(
            owner[owner >= 0], weights=cells.population[owner >= 0], minlength=len(facilities)
        )
        weighted = np.bincount(
            owner[owner >= 0],
            weights=(cells.population * np.where(np.isfinite(found.cost), found.cost, 0.0))[owner >= 0],
            minlength=len(facilities),
        )
        longest = np.zeros(len(facilities))
        np.maximum.at(longest, owner[owner >= 0], np.where(cells.population > 0, found.cost, 0.0)[owner >= 0])
        del found  # a province's 12.7 million costs (~0.6 GiB): not kept while the next level's are found
        frame = pd.DataFrame(
            {
                "level": level,
                "facility_id": facilities["facility_id"].to_numpy()[rows],
                "name": facilities["name"].to_numpy()[rows],
                "type": facilities["type"].to_numpy()[rows],
                "zone_code": zone_of["zone_code"].to_numpy()[rows],
                "zone_name": zone_of["zone_name"].to_numpy()[rows],
                "population": people[rows],
                "mean_minutes": np.where(
                    people[rows] > 0, weighted[rows] / np.maximum(people[rows], 1e-12) / 60, np.nan
                ),
                "max_minutes": np.where(people[rows] > 0, longest[rows] / 60, np.nan),
                "beds": resources["beds"].to_numpy(dtype=float)[rows],
                "doctors": resources["doctors"].to_numpy(dtype=float)[rows],
            }
        )
        frame["villages"], frame["village_population"], frame["village_names"] = 0, 0.0, ""
        if villages is not None and len(villages):
            served = nearest.place(vx, vy, mode=mode, types=frozenset(types), limit=np.inf).facility
            village_owner[level] = served
            _add_villages(frame, rows, served, villages)
        tables.append(_load(frame, load_factor))
    table = pd.concat(tables, ignore_index=True).reindex(columns=CATCHMENT_COLUMNS)
    ids = facilities["facility_id"].to_numpy()
    polygon_frame = catchment_polygons(cells, cell_owner if polygons else {}, ids)
    return Catchments(
        table=table,
        cell_facility=cell_owner,
        village_facility=village_owner,
        unassigned=unassigned,
        polygons=polygon_frame,
        mode=mode,
        load_factor=load_factor,
    )


def catchment_polygons(
    cells: PopulationCells, owners: dict[str, NDArray[np.int64]], facility_ids: NDArray
) -> gpd.GeoDataFrame:
    """Trace each level's catchments: one (multi)polygon per facility, from its cells.

    ``owners``: per level, each cell's facility (an index into ``facility_ids``; ``-1``: none),
    :attr:`Catchments.cell_facility`. Cells without a raster grid give no polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        ``level``, ``facility_id``, ``population`` and the polygon, EPSG:4326.
    """
    shapes = []
    for level, owner in owners.items():
        if cells.grid is None or not (owner >= 0).any():
            continue
        merged = polygons_by_label(cells, owner, per="label")
        merged["facility_id"] = facility_ids[merged["label"].to_numpy()]
        merged.insert(0, "level", level)
        shapes.append(merged[["level", "facility_id", "population", "geometry"]])
    if not shapes:
        return gpd.GeoDataFrame(
            columns=["level", "facility_id", "population", "geometry"], geometry="geometry", crs=4326
        )
    return gpd.GeoDataFrame(pd.concat(shapes, ignore_index=True), crs=4326)


def nearest_xy(nearest: NearestFacilities, points: gpd.GeoDataFrame) -> tuple[NDArray, NDArray]:
    """Points (EPSG:4326) in the local CRS of the networks."""
    from carecircles._crs import project_lonlat

    return project_lonlat(points.geometry.x, points.geometry.y, nearest.crs)


def _add_villages(
    frame: pd.DataFrame, rows: NDArray[np.int64], served: NDArray[np.int64], villages: gpd.GeoDataFrame
) -> None:
    position = pd.Series(np.arange(len(rows)), index=rows)
    ok = served >= 0
    where = position.reindex(served[ok]).to_numpy()
    count = np.bincount(where, minlength=len(rows))
    people = np.bincount(where, weights=villages["population"].to_numpy(dtype=float)[ok], minlength=len(rows))
    names = pd.Series(villages["name"].astype(str).to_numpy()[ok]).groupby(where).agg("、".join)
    frame["villages"] = count
    frame["village_population"] = people
    frame["village_names"] = names.reindex(np.arange(len(rows))).fillna("").to_numpy()


def _load(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    """People per bed and per doctor, the level's county figure, and the load flag.

    A resource counts for a level when any of its facilities has a figure for it. A facility
    is ``high`` when a ratio it has a figure for exceeds ``factor`` × the county figure (a
    figure of 0 with people to serve is an infinite ratio); ``ok`` only when it has every
    counted figure and none is high; otherwise ``not assessed`` (never judged on the other
    figure alone).
    """
    high = np.zeros(len(frame), dtype=bool)
    complete = np.ones(len(frame), dtype=bool)
    people = frame["population"].to_numpy(dtype=float)
    for resource, column in (("beds", "people_per_bed"), ("doctors", "people_per_doctor")):
        amount = frame[resource].to_numpy(dtype=float)
        known = np.isfinite(amount)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(
                known & (amount > 0), people / amount, np.where(known & (people > 0), np.inf, 0.0)
            )
        frame[column] = np.where(known, ratio, np.nan)
        total = amount[known].sum()
        county = people[known].sum() / total if total > 0 else np.nan
        frame[f"county_{column}"] = county
        if known.any():
            complete &= known
            high |= known & (ratio > factor * county)
    assessed = complete & np.isfinite(frame[["beds", "doctors"]].to_numpy(dtype=float)).any(axis=1)
    frame["load"] = np.where(high, "high", np.where(assessed, "ok", "not assessed"))
    return frame
