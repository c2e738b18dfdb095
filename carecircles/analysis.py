"""One study from inputs to results: read, build networks, compute costs, assess."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from carecircles import assessment
from carecircles._crs import project_lonlat, utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles._progress import Progress
from carecircles.boundaries import read_zones
from carecircles.facilities import read_facilities
from carecircles.network import Network, build_network
from carecircles.population import (
    PopulationCells,
    population_from_villages,
    read_population_raster,
    read_villages,
    report_zone_overlaps,
    report_zone_repairs,
)
from carecircles.roads import RoadEdges, read_roads
from carecircles.traveltime import NodeCosts, PlaceCosts, Weight, nearest_facility_costs, place_costs

if TYPE_CHECKING:
    from carecircles.config import StudyConfig
    from carecircles.standards import Standard

#: Statuses that count as open facilities.
OPEN_STATUSES = ("existing", "relocating")


@dataclass
class StudyResult:
    """Everything a run produces, for the writers and the map.

    Attributes
    ----------
    zone_results
        One row per standard × zone (+ an ``ALL`` row per standard).
    villages
        One row per village: distances to clinics, time per time-standard, 2.5 km status.
    areas
        Covered and uncovered populated areas per time standard (EPSG:4326).
    facilities
        Facilities read (EPSG:4326) with ``used`` and ``road_distance_m``.
    """

    config: StudyConfig
    crs: CRS
    zones: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame | None
    zone_results: pd.DataFrame
    areas: gpd.GeoDataFrame
    issues: DataIssues
    timings: dict[str, float]
    counts: dict[str, float] = field(default_factory=dict)

    @property
    def gaps(self) -> gpd.GeoDataFrame:
        """Uncovered populated areas."""
        return self.areas[self.areas["status"] == "uncovered"].reset_index(drop=True)


@dataclass
class StudyInputs:
    """Everything read and built before any facility set is assessed.

    Attributes
    ----------
    facilities
        Facilities read, with ``used`` (open under the config's status rule).
    cells
        Population places (raster cells or village points) in the local CRS.
    networks
        One network per travel mode the standards need (plus ``walk`` for road distances).
    """

    config: StudyConfig
    crs: CRS
    zones: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame | None
    cells: PopulationCells
    networks: dict[str, Network]
    issues: DataIssues
    counts: dict[str, float] = field(default_factory=dict)


def run_study(config: StudyConfig, progress: Progress | None = None) -> StudyResult:
    """Run a whole study: read the inputs, then assess every standard.

    Parameters
    ----------
    config
        A loaded study config.
    progress
        Where to report steps; quiet when ``None``.

    Raises
    ------
    InputError
        For unusable inputs (with the file, row and field).
    """
    progress = progress or Progress(stream=None)
    progress.total = 7
    inputs = load_inputs(config, progress)
    return assess(inputs, progress=progress)


def load_inputs(
    config: StudyConfig, progress: Progress | None = None, issues: DataIssues | None = None
) -> StudyInputs:
    """Read zones, facilities, roads and population, and build the networks (5 steps).

    ``issues`` collects the data issues (a new collector when ``None``): a caller that keeps a
    reference can still write the issues found so far when reading stops with an error.
    """
    progress = progress or Progress(stream=None)
    issues = DataIssues() if issues is None else issues
    with progress.step("Reading zones"):
        zones = read_zones(
            config.zones,
            issues,
            code_column=config.zone_columns.get("code"),
            name_column=config.zone_columns.get("name"),
            type_column=config.zone_columns.get("type"),
            type_rule=config.zone_type_rule,
            encoding=config.reader_options.get("zones", {}).get("encoding"),
        )
        study_area = shapely.union_all(zones.geometry.to_numpy())
        centre = study_area.centroid
        crs = utm_crs(centre.x, centre.y)
        progress.note(f"{len(zones)} zones, local CRS {crs.to_string()}")
    with progress.step("Reading facilities"):
        facilities = read_facilities(
            config.facilities,
            issues,
            study_area=study_area,
            columns=config.facility_columns,
            default_datum=config.facility_datum,
            outside_buffer_m=config.options.facility_outside_buffer_m,
            encoding=config.reader_options.get("facilities", {}).get("encoding"),
        )
        open_statuses = OPEN_STATUSES + (("planned",) if config.options.include_planned else ())
        facilities["used"] = facilities["status"].isin(open_statuses).to_numpy()
        progress.note(f"{len(facilities)} facilities, {int(facilities['used'].sum())} open")
    with progress.step("Reading roads"):
        roads = read_roads(config.roads, issues, **config.road_options)
        progress.note(f"{roads.n_nodes:,} nodes, {roads.n_edges:,} segments")
    with progress.step("Reading population"):
        villages = _villages(config, zones, issues)
        cells = _population(config, zones, villages, crs, issues)
        progress.note(f"{cells.total:,.0f} people in {len(cells.population):,} places")
    with progress.step("Building networks"):
        networks = _networks(config, roads, crs, issues)
        progress.note(", ".join(f"{m}: {n.n_nodes:,} nodes" for m, n in networks.items()))
    counts = {
        "zones": len(zones),
        "facilities": len(facilities),
        "road_nodes": roads.n_nodes,
        "road_segments": roads.n_edges,
        "population": cells.total,
        "population_places": len(cells.population),
        "villages": 0 if villages is None else len(villages),
    }
    return StudyInputs(config, crs, zones, facilities, villages, cells, networks, issues, counts)


def assess(
    inputs: StudyInputs,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    progress: Progress | None = None,
    polygons: bool = True,
    issues: DataIssues | None = None,
) -> StudyResult:
    """Assess every standard of the config for a facility set (default: the one read).

    ``facilities`` lets a scenario (planned or proposed sites added) be assessed on the same
    inputs; ``polygons=False`` skips tracing covered and uncovered areas; ``issues`` collects
    this assessment's data issues apart from the inputs' (default: together).
    """
    progress = progress or Progress(stream=None)
    config, zones, cells = inputs.config, inputs.zones, inputs.cells
    issues = inputs.issues if issues is None else issues
    facilities = (inputs.facilities if facilities is None else facilities).copy()
    villages = inputs.villages
    with progress.step("Travel times (one Dijkstra pass per facility set)"):
        engine = Engine(inputs.networks, zones, facilities, inputs.crs, config, issues)
        place = {s.id: engine.cells(s, cells) for s in config.standards if s.metric == "time"}
    with progress.step("Assessing standards"):
        tables, areas = [], []
        for standard in config.standards:
            if standard.metric == "time":
                tables.append(assessment.zone_table(standard, zones, cells, place[standard.id]))
                if polygons:
                    areas.append(assessment.area_polygons(standard, zones, cells, place[standard.id]))
            elif villages is None or villages.empty:
                issues.add(
                    "warning",
                    config.source,
                    f"{standard.id}: no village points given; standard not tested",
                    field="inputs.villages",
                    action="skipped",
                )
        if villages is not None and not villages.empty:
            villages, village_tables = engine.villages(villages)
            tables.extend(village_tables)
    zone_results = (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=assessment.ZONE_COLUMNS)
    )
    area_frame = (
        pd.concat(areas, ignore_index=True)
        if areas
        else gpd.GeoDataFrame(columns=["standard", "status", "geometry"], crs=4326)
    )
    facilities["road_distance_m"] = engine.facility_road_distance()
    facilities["counted"] = facilities["used"] & ~facilities["facility_id"].isin(engine.unsnapped)
    return StudyResult(
        config=config,
        crs=inputs.crs,
        zones=zones,
        facilities=facilities,
        villages=villages,
        zone_results=zone_results,
        areas=gpd.GeoDataFrame(area_frame, crs=4326),
        issues=issues,
        timings=dict(progress.timings),
        counts={**inputs.counts, "facilities_open": int(facilities["used"].sum())},
    )


def _villages(config: StudyConfig, zones: gpd.GeoDataFrame, issues: DataIssues) -> gpd.GeoDataFrame | None:
    if config.villages is None:
        return None
    villages = read_villages(
        config.villages,
        zones,
        issues,
        population_column=config.village_columns.get("population"),
        name_column=config.village_columns.get("name"),
        id_column=config.village_columns.get("id"),
        datum=config.reader_options.get("villages", {}).get("datum", "wgs84"),
        encoding=config.reader_options.get("villages", {}).get("encoding"),
    )
    return villages.merge(zones[["zone_code", "zone_name", "zone_type"]], on="zone_code", how="left")


def _population(
    config: StudyConfig,
    zones: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame | None,
    crs: CRS,
    issues: DataIssues,
) -> PopulationCells:
    if config.population is not None:
        limit = config.reader_options.get("population", {}).get("max_cell_population")
        cells = read_population_raster(
            config.population,
            zones,
            crs,
            issues,
            max_cell_population=None if limit is None else float(limit),
        )
    else:
        assert villages is not None  # the config guarantees one of the two
        issues.add(
            "info",
            config.villages,
            "no population raster: village counts are the population; no gap polygons can be drawn",
            field="inputs.population",
        )
        cells = population_from_villages(villages, zones, crs)
    report_zone_overlaps(zones, cells, crs, config.zones, issues)
    report_zone_repairs(zones, cells, crs, config.zones, issues)
    if cells.total <= 0:
        raise InputError("no population inside the zones", path=config.population or config.villages)
    return cells


def _networks(config: StudyConfig, roads: RoadEdges, crs: CRS, issues: DataIssues) -> dict[str, Network]:
    modes = {s.mode for s in config.standards if s.metric == "time"}
    if any(s.metric == "distance" for s in config.standards):
        modes.add("walk")
    return {m: build_network(roads, m, crs, issues, speeds=config.speeds.get(m)) for m in sorted(modes)}


class Engine:
    """Costs for each facility set, computed once and shared by the standards that use it."""

    def __init__(
        self,
        networks: dict[str, Network],
        zones: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        crs: CRS,
        config: StudyConfig,
        issues: DataIssues,
    ) -> None:
        self.networks = networks
        self.zones = zones
        self.facilities = facilities
        self.fx, self.fy = project_lonlat(facilities.geometry.x, facilities.geometry.y, crs)
        self.config = config
        self.issues = issues
        self.crs = crs
        self._node_costs: dict[tuple, tuple[NodeCosts, np.ndarray]] = {}
        self._limits = self._search_limits(config.standards)
        self.unsnapped: set[str] = set()  # ids of facilities too far from any usable road
        self._no_facility_reported: set[str] = set()  # standards with no usable facility

    def _search_limits(self, standards: tuple[Standard, ...]) -> dict[tuple, float]:
        limits: dict[tuple, float] = {}
        for s in standards:
            if s.metric == "time":
                key = (s.mode, frozenset(s.facility_types))
                limits[key] = max(limits.get(key, 0.0), s.threshold_seconds)
        return limits

    def _selection(self, types: frozenset[str]) -> np.ndarray:
        return np.flatnonzero(
            self.facilities["used"].to_numpy() & self.facilities["type"].isin(types).to_numpy()
        )

    def node_costs(
        self, mode: str, types: frozenset[str], weight: Weight, limit: float
    ) -> tuple[NodeCosts, np.ndarray]:
        """Node costs to the nearest open facility of ``types`` (cached per set)."""
        key = (mode, types, weight, limit)
        if key not in self._node_costs:
            chosen = self._selection(types)
            costs = nearest_facility_costs(
                self.networks[mode],
                self.fx[chosen],
                self.fy[chosen],
                limit=limit,
                snap_radius_m=self.config.options.facility_snap_radius_m,
                weight=weight,
            )
            self._report_unsnapped(chosen[costs.facility_node < 0], mode)
            self._node_costs[key] = (costs, chosen)
        return self._node_costs[key]

    def _report_unsnapped(self, rows: np.ndarray, mode: str) -> None:
        radius = self.config.options.facility_snap_radius_m
        for i in rows:
            fid = self.facilities["facility_id"].iloc[i]
            if fid in self.unsnapped:
                continue
            self.unsnapped.add(fid)
            self.issues.add(
                "warning",
                self.config.facilities,
                f"facility is more than {radius:g} m from any road usable by {mode}: left out of "
                "travel times and road distances (straight-line distances still count it)",
                row=int(self.facilities["row"].iloc[i]),
                field="geometry",
                value=self.facilities["name"].iloc[i],
                action="excluded",
            )

    def place(
        self,
        standard: Standard,
        x: np.ndarray,
        y: np.ndarray,
        *,
        weight: Weight = "seconds",
        limit: float | None = None,
        mode: str | None = None,
        direct_walk: bool = True,
        types: frozenset[str] | None = None,
    ) -> PlaceCosts:
        """Costs from places to the nearest facility of a standard (or of ``types``)."""
        mode = mode or standard.mode
        types = frozenset(standard.facility_types) if types is None else types
        limit = limit if limit is not None else self._limits[(mode, types)]
        costs, chosen = self.node_costs(mode, types, weight, limit)
        result = place_costs(
            self.networks[mode],
            costs,
            x,
            y,
            self.fx[chosen],
            self.fy[chosen],
            snap_radius_m=self.config.options.snap_radius_m,
            direct_walk=direct_walk,
        )
        facility = np.full(len(result.facility), -1, dtype=np.int64)
        found = result.facility >= 0
        facility[found] = chosen[result.facility[found]]
        return PlaceCosts(
            cost=result.cost, facility=facility, offroad_m=result.offroad_m, unreachable=result.unreachable
        )

    def cells(self, standard: Standard, cells: PopulationCells) -> PlaceCosts:
        """Travel time of every population place for a time standard.

        A standard none of whose facility types has an open facility near a usable road is
        not an error that stops the run: every place is uncovered (0 %), and an error-level
        data issue names the standard and its facility types.
        """
        costs = self.place(standard, cells.x, cells.y)
        self._report_no_facility(standard)
        return costs

    def _report_no_facility(self, standard: Standard) -> None:
        """Record once per standard that it has no open, reachable facility."""
        if standard.id in self._no_facility_reported:
            return
        types = frozenset(standard.facility_types)
        chosen = self._selection(types)
        if standard.metric == "time":
            costs, _ = self.node_costs(standard.mode, types, "seconds", self._limits[(standard.mode, types)])
            reachable = int((costs.facility_node >= 0).sum())
        else:
            reachable = len(chosen)
        if reachable:
            return
        self._no_facility_reported.add(standard.id)
        why = (
            "no open facility of these types"
            if len(chosen) == 0
            else f"its {len(chosen)} open facilities of these types are all too far from a road "
            f"usable by {standard.mode}"
        )
        self.issues.add(
            "error",
            self.config.facilities,
            f"standard {standard.id}: {why}; every zone fails and everyone is counted uncovered "
            "(0 % covered). Check the facility rows of these types (coordinates, status, type)",
            field="type",
            value=", ".join(sorted(types)),
            action="kept",
        )

    def villages(self, villages: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[pd.DataFrame]]:
        """Village table (times per time standard, distances and status per distance standard)."""
        vx, vy = project_lonlat(villages.geometry.x, villages.geometry.y, self.crs)
        out = villages.copy()
        ids = self.facilities["facility_id"].to_numpy()
        names = self.facilities["name"].to_numpy()
        tables = []
        zone_types = out["zone_type"].to_numpy()
        for s in self.config.standards:
            if s.metric == "time":
                costs = self.place(s, vx, vy)
                minutes = np.round(costs.cost / 60.0, 1)
                applies = assessment.applies(s, zone_types)
                out[f"{s.id}_minutes"] = np.where(applies & np.isfinite(minutes), minutes, np.nan)
                covered = pd.Series(assessment.covered_mask(s, costs.cost), index=out.index)
                out[f"{s.id}_covered"] = covered.astype("boolean").where(applies, pd.NA)
                continue
            self._report_no_facility(s)
            distances = self._village_distances(s, vx, vy)
            status = assessment.village_status(s, distances)
            out["nearest_clinic_id"] = distances.fixed_id
            out["nearest_clinic_name"] = _lookup(names, ids, distances.fixed_id)
            out["clinic_straight_m"] = np.round(distances.fixed_straight_m)
            out["clinic_road_m"] = np.round(distances.fixed_road_m)
            out["nearest_outreach_id"] = distances.outreach_id
            out["outreach_straight_m"] = np.round(distances.outreach_straight_m)
            out["outreach_road_m"] = np.round(distances.outreach_road_m)
            out[f"{s.id}_status"] = status
            tables.append(assessment.village_zone_table(s, self.zones, out, status))
        return out, tables

    def _village_distances(self, s: Standard, vx: np.ndarray, vy: np.ndarray) -> assessment.VillageDistances:
        limit = max(self.config.options.road_distance_limit_m, s.threshold)
        ids = self.facilities["facility_id"].to_numpy()
        found = {}
        for kind, types in (
            ("fixed", frozenset(s.facility_types)),
            ("outreach", frozenset(s.outreach_types)),
        ):
            chosen = self._selection(types)
            straight, nearest = assessment.nearest_straight(vx, vy, self.fx[chosen], self.fy[chosen])
            road = (
                self.place(
                    s, vx, vy, weight="metres", limit=limit, mode="walk", direct_walk=False, types=types
                )
                if len(chosen)
                else None
            )
            found[kind] = (
                np.where(nearest >= 0, ids[chosen[np.maximum(nearest, 0)]] if len(chosen) else "", ""),
                straight,
                road.cost if road is not None else np.full(len(vx), np.inf),
            )
        return assessment.VillageDistances(
            fixed_id=found["fixed"][0],
            fixed_straight_m=found["fixed"][1],
            fixed_road_m=found["fixed"][2],
            outreach_id=found["outreach"][0],
            outreach_straight_m=found["outreach"][1],
            outreach_road_m=found["outreach"][2],
        )

    def facility_road_distance(self) -> np.ndarray:
        """Straight distance from each facility to the nearest walkable road node."""
        network = self.networks.get("walk") or next(iter(self.networks.values()))
        _, dist = network.snap(self.fx, self.fy, np.inf)
        return np.round(dist, 1)


def _lookup(values: np.ndarray, keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    index = pd.Index(keys).get_indexer(wanted)
    return np.where(index >= 0, values[np.maximum(index, 0)], "")
