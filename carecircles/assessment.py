"""Standards tested zone by zone, villages against the 2.5 km rule, and gap polygons.

All figures come from per-cell (or per-village) costs; polygons are traced from the same
cells, so the map and the tables cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat
from carecircles.nearest import NearestFacilities, Route
from carecircles.population import PopulationCells
from carecircles.standards import Standard
from carecircles.traveltime import PlaceCosts

#: Tolerance on inclusive thresholds, against float round-off in summed edge times.
_EPS = 1e-6

ZONE_COLUMNS = [
    "standard",
    "zone_code",
    "zone_name",
    "zone_type",
    "population",
    "covered_population",
    "covered_share",
    "target_share",
    "passes",
    "uncovered_population",
    "unreachable_population",
    "villages",
    "villages_fixed",
    "villages_outreach_only",
    "villages_none",
]


def applies(standard: Standard, zone_types: NDArray[np.object_] | str) -> NDArray[np.bool_]:
    """Which zones (an array of zone types, or one) a standard applies to."""
    return (np.asarray(zone_types, dtype=object) == standard.zone_type) | (standard.zone_type == "all")


def covered_limit(standard: Standard) -> float:
    """Return the largest cost that counts as covered: the threshold (inclusive) plus round-off."""
    limit = standard.threshold_seconds if standard.metric == "time" else standard.threshold
    return float(limit) + _EPS


def covered_mask(standard: Standard, cost: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Inclusive threshold test (``≤``) in seconds or metres."""
    return cost <= covered_limit(standard)


def zone_table(
    standard: Standard,
    zones: gpd.GeoDataFrame,
    cells: PopulationCells,
    costs: PlaceCosts,
) -> pd.DataFrame:
    """Compute population, covered population, share and pass/fail per zone (time standards).

    Zones the standard does not apply to are left out; a ``ALL`` row sums the zones it
    applies to.
    """
    n = len(zones)
    covered = covered_mask(standard, costs.cost)
    population = np.bincount(cells.zone, weights=cells.population, minlength=n)
    covered_pop = np.bincount(cells.zone, weights=cells.population * covered, minlength=n)
    unreachable = np.bincount(cells.zone, weights=cells.population * costs.unreachable, minlength=n)
    frame = pd.DataFrame(
        {
            "standard": standard.id,
            "zone_code": zones["zone_code"].to_numpy(),
            "zone_name": zones["zone_name"].to_numpy(),
            "zone_type": zones["zone_type"].to_numpy(),
            "population": population,
            "covered_population": covered_pop,
            "unreachable_population": unreachable,
        }
    )
    frame = frame[applies(standard, zones["zone_type"].to_numpy())]
    return finish_table(frame, standard)


def finish_table(frame: pd.DataFrame, standard: Standard) -> pd.DataFrame:
    """Add the total row, shares and pass/fail."""
    total = frame.select_dtypes("number").sum(min_count=1)
    for column in ("population", "covered_population", "unreachable_population"):
        if column in total and pd.isna(total[column]):  # no zone of its type: no one, not unknown
            total[column] = 0.0
    total_row = {
        "standard": standard.id,
        "zone_code": "ALL",
        "zone_name": "全部区域",
        "zone_type": standard.zone_type,
        **total.to_dict(),
    }
    frame = pd.concat([frame, pd.DataFrame([total_row])], ignore_index=True)
    frame["uncovered_population"] = frame["population"] - frame["covered_population"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = frame["covered_population"] / frame["population"]
    frame["covered_share"] = share.where(frame["population"] > 0)
    frame["target_share"] = standard.target_share
    passes = frame["covered_share"] >= standard.target_share - 1e-9
    frame["passes"] = passes.astype("boolean").where(frame["population"] > 0, pd.NA)
    return frame.reindex(columns=ZONE_COLUMNS)


#: The people columns of :func:`whole_people`.
PEOPLE_COLUMNS = (
    "population",
    "covered_population",
    "uncovered_population",
    "unreachable_population",
    "reachable_uncovered_population",
)


def people_as_integers(table: pd.DataFrame) -> pd.DataFrame:
    """Return a :func:`whole_people` table with its people columns as integers (14887, not 14887.0)."""
    out = table.copy()
    for column in PEOPLE_COLUMNS:
        out[column] = out[column].round(0).astype("Int64")
    return out


def whole_people(zone_results: pd.DataFrame) -> pd.DataFrame:
    """Return zone results in whole people, with the accounting exact after rounding.

    ``population = covered_population + uncovered_population`` and ``uncovered_population =
    reachable_uncovered_population + unreachable_population`` (people farther than the snap
    radius from any road are uncovered, and counted apart as unreachable). Population and
    covered population are rounded to whole people; the others are derived from them, so no
    person appears or vanishes in rounding; each ``ALL`` row is the sum of its zone rows.
    ``covered_share`` stays exact (for display with :func:`carecircles._encode.percent`).
    Every output that shows people uses this table.
    """
    table = zone_results.copy()
    table["population"] = table["population"].round(0)
    table["covered_population"] = table["covered_population"].round(0)
    table["uncovered_population"] = table["population"] - table["covered_population"]
    table["unreachable_population"] = np.minimum(
        table["unreachable_population"].round(0), table["uncovered_population"]
    )
    # each ALL row is the sum of its rounded zone rows, so a table never shows a zone with
    # more people outside than its total
    total = table["zone_code"] == "ALL"
    columns = ["population", "covered_population", "uncovered_population", "unreachable_population"]
    sums = table[~total].groupby("standard", sort=False)[columns].sum()
    # a standard no zone is of the type of (urban-15min in an all-rural county) has no one: 0, not blank
    table.loc[total, columns] = sums.reindex(table.loc[total, "standard"], fill_value=0.0).to_numpy()
    position = table.columns.get_loc("unreachable_population")
    table.insert(
        position,
        "reachable_uncovered_population",
        table["uncovered_population"] - table["unreachable_population"],
    )
    return table


@dataclass(frozen=True)
class VillageDistances:
    """Nearest fixed clinic and outreach point of each village, straight and by road."""

    fixed_id: NDArray[np.object_]
    fixed_straight_m: NDArray[np.float64]
    fixed_road_m: NDArray[np.float64]
    outreach_id: NDArray[np.object_]
    outreach_straight_m: NDArray[np.float64]
    outreach_road_m: NDArray[np.float64]


def nearest_straight(
    from_x: NDArray[np.float64],
    from_y: NDArray[np.float64],
    to_x: NDArray[np.float64],
    to_y: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Straight-line distance to, and index of, the nearest target (``inf``/``-1`` if none)."""
    if len(to_x) == 0:
        return np.full(len(from_x), np.inf), np.full(len(from_x), -1, dtype=np.int64)
    dist, index = cKDTree(np.column_stack([to_x, to_y])).query(np.column_stack([from_x, from_y]))
    return dist, index.astype(np.int64)


def village_status(standard: Standard, distances: VillageDistances) -> NDArray[np.object_]:
    """Classify villages: ``fixed`` (a clinic within the radius), ``outreach_only`` or ``none``."""
    if standard.distance_kind == "road":
        fixed, outreach = distances.fixed_road_m, distances.outreach_road_m
    else:
        fixed, outreach = distances.fixed_straight_m, distances.outreach_straight_m
    status = np.full(len(fixed), "none", dtype=object)
    status[covered_mask(standard, outreach)] = "outreach_only"
    status[covered_mask(standard, fixed)] = "fixed"
    return status


def village_zone_table(
    standard: Standard, zones: gpd.GeoDataFrame, villages: pd.DataFrame, status: NDArray[np.object_]
) -> pd.DataFrame:
    """Per zone: villages and village population with a fixed clinic, outreach only, or none.

    ``covered_population`` counts fixed clinics only; outreach is reported apart.
    """
    zone_index = pd.Index(zones["zone_code"]).get_indexer(villages["zone_code"])
    n = len(zones)
    pop = villages["population"].to_numpy(dtype=float)

    def count(mask: NDArray[np.bool_], weights: NDArray | None = None) -> NDArray:
        w = mask.astype(float) if weights is None else weights * mask
        return np.bincount(zone_index, weights=w, minlength=n)

    everyone = np.ones(len(villages), dtype=bool)
    frame = pd.DataFrame(
        {
            "standard": standard.id,
            "zone_code": zones["zone_code"].to_numpy(),
            "zone_name": zones["zone_name"].to_numpy(),
            "zone_type": zones["zone_type"].to_numpy(),
            "population": count(everyone, pop),
            "covered_population": count(status == "fixed", pop),
            "unreachable_population": 0.0,
            "villages": count(everyone),
            "villages_fixed": count(status == "fixed"),
            "villages_outreach_only": count(status == "outreach_only"),
            "villages_none": count(status == "none"),
        }
    )
    frame = frame[applies(standard, zones["zone_type"].to_numpy()) & (frame["villages"] > 0)]
    frame = finish_table(frame, standard)
    for column in ("villages", "villages_fixed", "villages_outreach_only", "villages_none"):
        frame[column] = frame[column].astype("Int64")
    return frame


def tenths_up(seconds: NDArray[np.float64]) -> NDArray[np.float64]:
    """Minutes rounded *up* to the tenth, so a time shown within a threshold is within it.

    (A village at 30 min 2 s shows 30.1, not 30.0 beside "not covered".) ``nan`` stays.
    """
    return np.ceil(np.asarray(seconds, dtype=float) / 6.0 - 1e-6) / 10.0 + 0.0  # + 0.0: no -0.0


def route_minutes(route: Route) -> dict[str, NDArray[np.float64]]:
    """Split each trip into minutes (tenths) that add up exactly to the total shown.

    The total is :func:`tenths_up` of the whole trip; its tenths are shared among the walk to
    the road, the network and the walk to the door by largest remainder.
    """
    total = tenths_up(route.total)
    parts = np.column_stack([route.walk_to_road, route.network, route.walk_to_door]) / 6.0
    reached = np.isfinite(total) & np.isfinite(parts).all(axis=1)
    tenths = np.zeros(parts.shape)
    if reached.any():
        p = parts[reached]
        floor = np.floor(p + 1e-9)
        short = np.round(total[reached] * 10).astype(np.int64) - floor.sum(axis=1).astype(np.int64)
        order = np.argsort(-(p - floor), axis=1, kind="stable")
        rank = np.argsort(order, axis=1)  # 0 for the largest remainder
        floor += rank < short[:, None]
        tenths[reached] = floor
    out = {"total": np.where(reached, total, np.nan)}
    for i, name in enumerate(("walk_to_road", "network", "walk_to_door")):
        out[name] = np.where(reached, tenths[:, i] / 10.0, np.nan)
    return out


def village_results(
    nearest: NearestFacilities,
    villages: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    standards: tuple[Standard, ...],
    *,
    road_distance_limit_m: float,
) -> tuple[gpd.GeoDataFrame, list[pd.DataFrame]]:
    """Village table and per-zone village tables of the distance standards.

    Per time standard: minutes up to the horizon (blank only beyond it or where the standard
    does not apply), covered flag, the facility reached and how the minutes split (walk to
    the road, network, walk to the door) and the mode. Per distance standard: nearest fixed
    clinic and outreach point, straight and by road, and the 2.5 km status.
    """
    vx, vy = project_lonlat(villages.geometry.x, villages.geometry.y, nearest.crs)
    out = villages.copy()
    ids = nearest.facilities["facility_id"].to_numpy()
    names = nearest.facilities["name"].to_numpy()
    tables = []
    zone_types = out["zone_type"].to_numpy()
    for s in standards:
        if s.metric == "time":
            costs = nearest.times(s, vx, vy)
            on = applies(s, zone_types) & np.isfinite(costs.cost)
            minutes = route_minutes(nearest.route(s, costs))
            facility = np.where(on, costs.facility, -1)
            out[f"{s.id}_minutes"] = np.where(on, minutes["total"], np.nan)
            covered = pd.Series(covered_mask(s, costs.cost), index=out.index)
            out[f"{s.id}_covered"] = covered.astype("boolean").where(applies(s, zone_types), pd.NA)
            out[f"{s.id}_facility_id"] = np.where(facility >= 0, ids[np.maximum(facility, 0)], "")
            out[f"{s.id}_facility_name"] = np.where(facility >= 0, names[np.maximum(facility, 0)], "")
            for part in ("walk_to_road", "network", "walk_to_door"):
                out[f"{s.id}_{part}_minutes"] = np.where(on, minutes[part], np.nan)
            out[f"{s.id}_mode"] = np.where(on, np.where(costs.direct, "walk", s.mode), "")
            continue
        nearest.report_if_none(s)
        distances = _village_distances(nearest, s, vx, vy, road_distance_limit_m)
        status = village_status(s, distances)
        out["nearest_clinic_id"] = distances.fixed_id
        out["nearest_clinic_name"] = _lookup(names, ids, distances.fixed_id)
        out["clinic_straight_m"] = np.round(distances.fixed_straight_m)
        out["clinic_road_m"] = np.round(distances.fixed_road_m)
        out["nearest_outreach_id"] = distances.outreach_id
        out["outreach_straight_m"] = np.round(distances.outreach_straight_m)
        out["outreach_road_m"] = np.round(distances.outreach_road_m)
        out[f"{s.id}_status"] = status
        tables.append(village_zone_table(s, zones, out, status))
    return out, tables


def _village_distances(
    nearest: NearestFacilities, s: Standard, vx: NDArray, vy: NDArray, road_limit_m: float
) -> VillageDistances:
    limit = max(road_limit_m, s.threshold)
    ids = nearest.facilities["facility_id"].to_numpy()
    found = {}
    for kind, types in (("fixed", frozenset(s.facility_types)), ("outreach", frozenset(s.outreach_types))):
        chosen = nearest.selection(types)
        straight, near = nearest_straight(vx, vy, nearest.fx[chosen], nearest.fy[chosen])
        road = np.full(len(vx), np.inf)
        if len(chosen):
            by_road = nearest.place(
                vx, vy, mode="walk", types=types, weight="metres", limit=limit, direct_walk=False
            )
            road = by_road.cost
        found[kind] = (
            np.where(near >= 0, ids[chosen[np.maximum(near, 0)]] if len(chosen) else "", ""),
            straight,
            road,
        )
    return VillageDistances(
        fixed_id=found["fixed"][0],
        fixed_straight_m=found["fixed"][1],
        fixed_road_m=found["fixed"][2],
        outreach_id=found["outreach"][0],
        outreach_straight_m=found["outreach"][1],
        outreach_road_m=found["outreach"][2],
    )


def _lookup(values: NDArray, keys: NDArray, wanted: NDArray) -> NDArray:
    index = pd.Index(keys).get_indexer(wanted)
    return np.where(index >= 0, values[np.maximum(index, 0)], "")


def area_polygons(
    standard: Standard,
    zones: gpd.GeoDataFrame,
    cells: PopulationCells,
    cost: NDArray[np.float64],
    bands: int = 3,
    drawn: NDArray[np.bool_] | None = None,
) -> gpd.GeoDataFrame:
    """Covered and uncovered populated areas of a time standard, traced from the cells.

    ``cost``: each cell's seconds to its nearest facility (:attr:`PlaceCosts.cost`);
    ``drawn`` (one flag per zone): trace those zones only (default: all).

    Cells of the zones the standard applies to are grouped into 8-connected regions of the
    same status within the same zone; each region becomes one (multi)polygon carrying its
    population, so polygons and zone figures add up to the same totals.

    Covered cells are further split into ``bands`` equal travel-time bands (e.g. 0–10,
    10–20, 20–30 min), the band's upper limit given in ``band_minutes``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``standard``, ``status`` (covered/uncovered), ``band_minutes`` (covered only),
        ``zone_code``, ``population``, ``cells`` in EPSG:4326.
    """
    columns = ["standard", "status", "band_minutes", "zone_code", "population", "cells", "geometry"]
    if cells.grid is None:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
    in_scope = applies(standard, zones["zone_type"].to_numpy())
    in_scope = (in_scope if drawn is None else in_scope & drawn)[cells.zone]
    covered = covered_mask(standard, cost)
    edges = standard.threshold_seconds * np.arange(1, bands + 1) / bands
    band = np.minimum(np.searchsorted(edges, cost - _EPS), bands - 1).astype(np.int32)
    n_zones = len(zones)
    pieces = []
    for status, mask in (("covered", in_scope & covered), ("uncovered", in_scope & ~covered)):
        if not mask.any():
            continue
        key = cells.zone.astype(np.int32) * np.int32(bands) + (band if status == "covered" else np.int32(0))
        regions = polygons_by_label(cells, np.where(mask, key, np.int32(-1)))  # 32 bits: half the memory
        label = regions.pop("label").to_numpy()
        regions.insert(0, "standard", standard.id)
        regions.insert(1, "status", status)
        minutes = (label % bands + 1) * standard.threshold / bands
        regions.insert(2, "band_minutes", minutes if status == "covered" else np.nan)
        regions["zone_code"] = zones["zone_code"].to_numpy()[np.minimum(label // bands, n_zones - 1)]
        pieces.append(regions[columns])
    if not pieces:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
    return gpd.GeoDataFrame(pd.concat(pieces, ignore_index=True), crs=4326)


def polygons_by_label(
    cells: PopulationCells, label: NDArray[np.int64], *, per: str = "region"
) -> gpd.GeoDataFrame:
    """Trace the regions of cells sharing a label (``-1``: not drawn) as polygons.

    A region is the cells of one label within one 8-connected cluster of drawn cells.
    ``per="region"`` gives one row per region; ``per="label"`` one row per label, its regions
    as the parts of a multipolygon (no two parts share an edge, so no union is needed).

    Returns
    -------
    geopandas.GeoDataFrame
        ``label``, ``population``, ``cells`` and one (multi)polygon per region or label,
        EPSG:4326.
    """
    grid = cells.grid
    if grid is None or cells.row is None or cells.col is None:
        raise ValueError("cells without a raster grid cannot be traced as polygons")
    if per not in ("region", "label"):
        raise ValueError(f"per must be 'region' or 'label', not {per!r}")
    mask = label >= 0
    if not mask.any():
        return gpd.GeoDataFrame(
            {"label": np.zeros(0, dtype=np.int64), "population": [], "cells": np.zeros(0, dtype=np.int64)},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    # 32-bit cell positions and labels: the tracing's memory follows its per-cell arrays
    rows, cols = cells.row[mask].astype(np.int32), cells.col[mask].astype(np.int32)
    labels = label[mask]
    if labels.dtype.itemsize > 4 and len(labels) and int(labels.max()) < 2**31:
        labels = labels.astype(np.int32)
    ids = _regions(grid.shape, rows, cols, labels)
    label_of = np.zeros(int(ids.max(initial=0)) + 1, dtype=np.int64)
    label_of[ids] = labels
    group = ids if per == "region" else labels
    group_index, keys = pd.factorize(group, sort=True)  # np.unique's answer, by hashing
    population = np.bincount(group_index.ravel(), weights=cells.population[mask], minlength=len(keys))
    count = np.bincount(group_index.ravel(), minlength=len(keys))
    del group_index, group, labels, mask
    parts, part_ids = _trace(grid.shape, rows, cols, ids)
    del rows, cols, ids  # before the polygons are copied (each copy: ~0.4 GiB for a province's bands)
    part_group = part_ids if per == "region" else label_of[part_ids]
    geometry = _assemble(parts, np.searchsorted(keys, part_group), len(keys))
    del parts
    geometry = _to_grid_crs(geometry, grid.transform)
    return gpd.GeoDataFrame(
        {
            "label": keys if per == "label" else label_of[keys],
            "population": population,
            "cells": count,
        },
        geometry=geometry,
        crs=grid.crs,
    ).to_crs(4326)


#: Side of the square tiles polygons are traced in (cells): 16 MB of region ids at a time.
TRACE_TILE = 2048


def _regions(
    shape: tuple[int, int], rows: NDArray[np.integer], cols: NDArray[np.integer], label: NDArray[np.integer]
) -> NDArray[np.int64]:
    """Region id (1..k) of each cell: 8-connected components of the cells, split by label.

    Components are labelled tile by tile on dense tiles cropped to their cells (memory
    follows the tile, not the grid), then joined across tile seams through the cells next to
    a seam.
    """
    from scipy import ndimage

    n = len(rows)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    component: NDArray[np.integer] = np.zeros(n, dtype=np.int32 if n < 2**31 else np.int64)
    found = 0
    for at in _tiles(shape, rows, cols):
        r0, c0 = int(rows[at].min()), int(cols[at].min())
        dense = np.zeros((int(rows[at].max()) - r0 + 1, int(cols[at].max()) - c0 + 1), dtype=bool)
        dense[rows[at] - r0, cols[at] - c0] = True
        local, count = ndimage.label(dense, structure=np.ones((3, 3), dtype=bool))
        component[at] = local[rows[at] - r0, cols[at] - c0] + (found - 1)
        found += count
    component = _join_across_seams(shape, rows, cols, component, found)
    split = component.astype(np.int64) * (int(label.max()) + 1)
    split += label
    del component
    first_seen, _ = pd.factorize(split, sort=False)  # numbered by first cell: tiling-free (hashing, no sort)
    del split
    first_seen = first_seen.astype(np.int64, copy=False)
    first_seen += 1
    return first_seen


def _tiles(
    shape: tuple[int, int], rows: NDArray[np.integer], cols: NDArray[np.integer]
) -> list[NDArray[np.int64]]:
    """Return the cells of each ``TRACE_TILE``-square tile of the grid (indices into the cells)."""
    return _runs((rows // TRACE_TILE) * (shape[1] // TRACE_TILE + 1) + cols // TRACE_TILE)


def _runs(key: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """Return the positions of each distinct key (keys in ascending order, positions stable)."""
    if len(key) == 0:
        return []
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
    return np.split(order, starts[1:])


def _join_across_seams(
    shape: tuple[int, int],
    rows: NDArray[np.integer],
    cols: NDArray[np.integer],
    component: NDArray[np.integer],
    count: int,
) -> NDArray[np.integer]:
    """Merge the per-tile components that touch (8-connected) across a tile seam."""
    from scipy import sparse
    from scipy.sparse import csgraph

    edge = (rows % TRACE_TILE == 0) | (rows % TRACE_TILE == TRACE_TILE - 1)
    edge |= (cols % TRACE_TILE == 0) | (cols % TRACE_TILE == TRACE_TILE - 1)
    at = np.flatnonzero(edge)
    if len(at) == 0:
        return component
    width = shape[1]
    key = rows[at].astype(np.int64) * width + cols[at]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    heads, tails = [], []
    for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
        ok = (cols[at] + dc >= 0) & (cols[at] + dc < width)
        wanted = key[ok] + dr * width + dc
        hit_at = np.minimum(np.searchsorted(sorted_key, wanted), len(at) - 1)
        hit = sorted_key[hit_at] == wanted
        heads.append(component[at[ok][hit]])
        tails.append(component[at[order[hit_at[hit]]]])
    a, b = np.concatenate(heads), np.concatenate(tails)
    graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(count, count))
    _, merged = csgraph.connected_components(graph, directed=False)
    return merged.astype(component.dtype)[component]


def _trace(
    shape: tuple[int, int], rows: NDArray[np.integer], cols: NDArray[np.integer], ids: NDArray[np.integer]
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Polygons (in cell coordinates) of the 4-connected pieces of each region.

    Traced tile by tile, each tile cropped to its cells (tracing time follows the area it is
    given). Pieces cut by a tile seam are joined again; 4-connected tracing is used because
    8-connected tracing makes self-touching, invalid rings.
    """
    height, width = shape
    parts: list[NDArray[np.object_]] = []
    values: list[NDArray[np.int64]] = []
    seams: list[NDArray[np.bool_]] = []
    for at in _tiles(shape, rows, cols):
        r0, c0 = int(rows[at].min()), int(cols[at].min())
        h, w = int(rows[at].max()) - r0 + 1, int(cols[at].max()) - c0 + 1
        region = np.zeros((h, w), dtype=np.int32)
        region[rows[at] - r0, cols[at] - c0] = ids[at]
        shapes = list(
            rasterio.features.shapes(
                region, mask=region > 0, connectivity=4, transform=Affine.translation(c0, r0)
            )
        )
        if not shapes:
            continue
        pieces = _polygons([g["coordinates"] for g, _ in shapes])
        parts.append(pieces)
        values.append(np.array([int(v) for _, v in shapes], dtype=np.int64))
        # a piece reaching an inner edge of its tile may go on in the next tile
        top, left = int(rows[at[0]]) // TRACE_TILE * TRACE_TILE, int(cols[at[0]]) // TRACE_TILE * TRACE_TILE
        x0, y0, x1, y1 = shapely.bounds(pieces).T
        seams.append(
            ((x0 == left) & (left > 0))
            | ((x1 == left + TRACE_TILE) & (left + TRACE_TILE < width))
            | ((y0 == top) & (top > 0))
            | ((y1 == top + TRACE_TILE) & (top + TRACE_TILE < height))
        )
    if not parts:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    return _join_seams(np.concatenate(parts), np.concatenate(values), np.concatenate(seams))


def _polygons(rings_of: list[list]) -> NDArray[np.object_]:
    """Polygons from GeoJSON coordinates (per polygon: its shell, then its holes), all at once.

    A third of the time of writing each as GeoJSON text for GEOS to read back.
    """
    rings = [ring for polygon in rings_of for ring in polygon]
    points = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    coords = np.array(list(chain.from_iterable(rings)), dtype=float).reshape(-1, 2)
    linear = shapely.linearrings(coords, indices=np.repeat(np.arange(len(rings)), points))
    counts = np.fromiter((len(polygon) for polygon in rings_of), dtype=np.int64, count=len(rings_of))
    return np.asarray(
        shapely.polygons(linear, indices=np.repeat(np.arange(len(rings_of)), counts)), dtype=object
    )


def _join_seams(
    parts: NDArray[np.object_], ids: NDArray[np.int64], seam: NDArray[np.bool_]
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Union the pieces of each region that touch a tile seam (exact: cell coordinates)."""
    at = np.flatnonzero(seam)
    if len(at) == 0:
        return parts, ids
    joined, joined_ids = [], []
    for group in (at[run] for run in _runs(ids[at])):
        pieces = shapely.get_parts(shapely.union_all(parts[group]) if len(group) > 1 else parts[group])
        joined.append(pieces)
        joined_ids.append(np.full(len(pieces), ids[group[0]], dtype=np.int64))
    return (
        np.concatenate([parts[~seam], *joined]),
        np.concatenate([ids[~seam], *joined_ids]),
    )


def _assemble(parts: NDArray[np.object_], group: NDArray[np.int64], n: int) -> NDArray[np.object_]:
    """One geometry per group: its polygon, or a multipolygon of its parts.

    The parts of a group touch at most at corners, so they are valid multipolygon members.
    """
    order = np.argsort(group, kind="stable")
    geometry = np.asarray(shapely.multipolygons(parts[order], indices=group[order]), dtype=object)
    single = np.bincount(group, minlength=n) == 1
    first = np.zeros(n, dtype=np.int64)
    first[group] = np.arange(len(group))  # the part of each single-part group
    geometry[single] = parts[first[single]]
    return geometry


def _to_grid_crs(geometry: NDArray[np.object_], transform: Affine) -> NDArray[np.object_]:
    """Cell coordinates (column, row) to the grid's CRS by its affine transform."""
    a, b, c, d, e, f = transform[:6]

    def apply(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        col, row = xy[:, 0], xy[:, 1]
        return np.column_stack([a * col + b * row + c, d * col + e * row + f])

    return np.asarray(shapely.transform(geometry, apply), dtype=object)
