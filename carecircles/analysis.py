"""One study from inputs to results: read, build networks, compute costs, assess."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from carecircles import assessment
from carecircles._crs import project_lonlat, utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles._forked import ForkedWorker
from carecircles._progress import Progress
from carecircles._tables import read_layer
from carecircles.boundaries import read_zones
from carecircles.capacity import Capacity, Decay, reachable_capacity
from carecircles.catchments import LEVELS, Catchments, catchment_polygons, catchments
from carecircles.facilities import open_mask, read_facilities
from carecircles.nearest import NearestFacilities
from carecircles.network import Network, build_network
from carecircles.population import (
    PopulationCells,
    population_from_villages,
    read_population_raster,
    read_villages,
    report_zone_overlaps,
    report_zone_repairs,
)
from carecircles.presence import Presence, presence
from carecircles.ratios import Ratios, resource_ratios
from carecircles.resources import resource_values
from carecircles.roads import RoadEdges, read_roads
from carecircles.scenarios import ScenarioResult, run_scenarios
from carecircles.terrain import EbikePower, Terrain, make_terrain, read_elevation

if TYPE_CHECKING:
    from carecircles.config import StudyConfig
    from carecircles.standards import Standard


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
    catchments, presence, ratios, capacity
        The plan indicators beyond the circles (when computed): who each township centre and
        county hospital serves and their load; the presence rules; the resource ratios;
        capacity-aware access (E2SFCA).
    cells
        The population places the figures were counted on (local CRS).
    roads
        The road segments read (WGS-84), for the maps' road layer.
    scenarios
        The config's speed scenarios (e.g. winter), assessed on the same inputs, by id.
    timings, peaks
        Seconds per step, and the process's peak memory (GiB) at the end of each.
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
    catchments: Catchments | None = None
    presence: Presence | None = None
    ratios: Ratios | None = None
    capacity: Capacity | None = None
    cells: PopulationCells | None = None
    roads: RoadEdges | None = None
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)

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
    roads
        The road segments read (WGS-84), kept for the maps' road layer.
    terrain
        Elevations and slope models when the config gives a DEM.
    processes
        2: a province's polygons are traced in a second process (:data:`TRACE_APART_PLACES`).
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
    roads: RoadEdges | None = None
    terrain: Terrain | None = None
    processes: int = 1


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
    progress.total = 8 + len(config.scenarios)
    inputs = load_inputs(config, progress)
    result = assess(inputs, progress=progress, indicators=True)
    result.scenarios = run_scenarios(inputs, progress)
    result.timings = dict(progress.timings)  # with the scenarios' steps
    result.peaks = dict(progress.peaks)
    return result


def load_inputs(
    config: StudyConfig,
    progress: Progress | None = None,
    issues: DataIssues | None = None,
    *,
    processes: int = 1,
) -> StudyInputs:
    """Read zones, facilities, roads and population, and build the networks (5 steps).

    The population is read in a thread while the roads are read and the networks built; when
    both fail, the population's error is the one raised (its issues come before the
    networks'), after the networks' step has ended. ``processes=2`` lets the assessments trace
    a province's polygons in a second process (:attr:`StudyInputs.processes`).

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
            county_column=config.zone_columns.get("county"),
            type_rule=config.zone_type_rule,
            encoding=config.reader_options.get("zones", {}).get("encoding"),
        )
        study_area = shapely.union_all(zones.geometry.to_numpy())
        centre = study_area.centroid
        crs = utm_crs(centre.x, centre.y)
        progress.note(
            f"{len(zones)} zones, local CRS {crs.to_string()}",
            zh=f"{len(zones)} 个区域，本地坐标系 {crs.to_string()}",
        )
    with progress.step("Reading facilities"):
        facilities = read_facilities(
            config.facilities,
            issues,
            study_area=study_area,
            columns=config.facility_columns,
            default_datum=config.facility_datum,
            outside_buffer_m=config.options.facility_outside_buffer_m,
            encoding=config.reader_options.get("facilities", {}).get("encoding"),
            sheet=config.reader_options.get("facilities", {}).get("sheet"),
        )
        facilities["used"] = open_mask(facilities["status"], include_planned=config.options.include_planned)
        progress.note(
            f"{len(facilities)} facilities, {int(facilities['used'].sum())} open",
            zh=f"{len(facilities)} 个机构，{int(facilities['used'].sum())} 个在用",
        )
    # the population is read while the roads are read and the networks built (GDAL and numpy
    # release the GIL: a province's population takes as long as the other two together); its
    # data issues, and the networks', are kept apart and added after the roads', the order
    # they always had
    people_issues, network_issues = DataIssues(), DataIssues()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="population") as reader:
        people = reader.submit(_people, config, zones, crs, people_issues)
        try:
            with progress.step("Reading roads"):
                roads = read_roads(config.roads, issues, **config.road_options)
                progress.note(
                    f"{roads.n_nodes:,} nodes, {roads.n_edges:,} segments",
                    zh=f"{roads.n_nodes:,} 个节点，{roads.n_edges:,} 段道路",
                )
            failed: BaseException | None = None
            try:
                with progress.step("Building networks"):
                    terrain = _terrain(config, roads, zones, crs, network_issues)
                    if terrain is not None:
                        progress.note(
                            f"DEM: road elevations {terrain.node_z.min():.0f}–{terrain.node_z.max():.0f} m",
                            zh=f"DEM：道路高程 {terrain.node_z.min():.0f}–{terrain.node_z.max():.0f} 米",
                        )
                    networks = _networks(config, roads, crs, network_issues, terrain)
                    progress.note(
                        ", ".join(f"{m}: {n.n_nodes:,} nodes" for m, n in networks.items()),
                        zh="，".join(f"{m}：{n.n_nodes:,} 个节点" for m, n in networks.items()),
                    )
            except Exception:
                wait([people])
                failed = people.exception()
                if failed is None:
                    raise
            if failed is not None:  # the earlier step's error, as when read in turn (raised here,
                raise failed  # outside the handler, so that its own cause and context stay its own)
            with progress.step("Reading population"):
                villages, cells = people.result()
                progress.note(
                    f"{cells.total:,.0f} people in {len(cells.population):,} places "
                    "(read while the roads were read and the networks built)",
                    zh=(
                        f"{cells.total:,.0f} 人，{len(cells.population):,} 个人口点"
                        "（与读取道路、构建路网同时读取）"
                    ),
                )
        finally:
            wait([people])  # a stop while reading roads still records the population's issues
            issues.items.extend(people_issues.items)
            issues.items.extend(network_issues.items)
    counts = {
        "zones": len(zones),
        "facilities": len(facilities),
        "road_nodes": roads.n_nodes,
        "road_segments": roads.n_edges,
        "population": cells.total,
        "population_places": len(cells.population),
        "villages": 0 if villages is None else len(villages),
    }
    return StudyInputs(
        config, crs, zones, facilities, villages, cells, networks, issues, counts, roads, terrain, processes
    )


def assess(
    inputs: StudyInputs,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    progress: Progress | None = None,
    polygons: bool | NDArray[np.bool_] = True,
    issues: DataIssues | None = None,
    indicators: bool = False,
) -> StudyResult:
    """Assess every standard of the config for a facility set (default: the one read).

    ``facilities`` lets a scenario (planned or proposed sites added) be assessed on the same
    inputs; ``polygons=False`` skips tracing covered and uncovered areas (one flag per zone: traces
    those zones' only); ``issues`` collects
    this assessment's data issues apart from the inputs' (default: together);
    ``indicators=True`` adds the plan indicators beyond the circles (presence rules, resource
    ratios, catchments and load, capacity-aware access).
    """
    progress = progress or Progress(stream=None)
    config, cells = inputs.config, inputs.cells
    issues = inputs.issues if issues is None else issues
    facilities = (inputs.facilities if facilities is None else facilities).copy()
    with progress.step("Travel times (one Dijkstra pass per facility set)"):
        nearest = nearest_facilities(inputs, facilities, issues)
        for s in config.standards:
            if s.metric == "time":
                nearest.report_if_none(s)  # the Dijkstra pass of each facility set, kept by ``nearest``
    drawn = None if isinstance(polygons, bool) else np.asarray(polygons, dtype=bool)
    traced = bool(polygons) if drawn is None else bool(drawn.any())
    tracer = _polygon_worker(cells) if traced and inputs.processes > 1 else None
    try:
        return _assess(
            inputs, nearest, facilities, progress, issues, drawn, traced, tracer, indicators=indicators
        )
    finally:
        if tracer is not None:
            tracer.close()


#: Population places from which gap and catchment polygons are traced in a second process
#: (:class:`carecircles._forked.ForkedWorker`), beside the next standard's costs: a province's
#: 12.7 million cells took 24 s of tracing; a county's take under a second.
TRACE_APART_PLACES = 1_000_000


def _polygon_worker(cells: PopulationCells) -> ForkedWorker | None:
    """Return a forked worker tracing polygons from ``cells`` when they are many raster cells.

    (Beside other threads the worker does not fork: it answers in this process.)
    """
    if cells.grid is None or len(cells.x) < TRACE_APART_PLACES:
        return None
    return ForkedWorker(cells, "tracing polygons")


def _trace_areas(
    cells: PopulationCells,
    standard: Standard,
    zones: gpd.GeoDataFrame,
    cost: NDArray[np.float64],
    drawn: NDArray[np.bool_] | None,
) -> gpd.GeoDataFrame:
    """:func:`assessment.area_polygons` with the cells first (a :class:`ForkedWorker` call)."""
    return assessment.area_polygons(standard, zones, cells, cost, drawn=drawn)


def _assess(
    inputs: StudyInputs,
    nearest: NearestFacilities,
    facilities: gpd.GeoDataFrame,
    progress: Progress,
    issues: DataIssues,
    drawn: NDArray[np.bool_] | None,
    traced: bool,
    tracer: ForkedWorker | None,
    *,
    indicators: bool,
) -> StudyResult:
    """Assess the standards and the plan indicators; polygons traced by ``tracer`` when given."""
    config, zones, cells = inputs.config, inputs.zones, inputs.cells
    villages = inputs.villages
    with progress.step("Assessing standards"):
        tables, areas = [], []
        for standard in config.standards:
            if standard.metric == "time":
                # every cell's costs, one standard at a time (a province: ~0.8 GiB each)
                place = nearest.times(standard, cells.x, cells.y)
                tables.append(assessment.zone_table(standard, zones, cells, place))
                if drawn is not None or traced:  # (some zones drawn: even none, for the columns)
                    args = (standard, zones, place.cost, drawn)
                    areas.append(
                        tracer.submit(_trace_areas, *args)
                        if tracer
                        else _answered(_trace_areas(cells, *args))
                    )
                del place
            elif villages is None or villages.empty:
                issues.add(
                    "warning",
                    config.source,
                    f"{standard.id}: no village points given; standard not tested",
                    zh=f"{standard.id}：未提供村点，该标准未检验",
                    field="inputs.villages",
                    action="skipped",
                )
        if villages is not None and not villages.empty:
            villages, village_tables = assessment.village_results(
                nearest,
                villages,
                zones,
                config.standards,
                road_distance_limit_m=config.options.road_distance_limit_m,
            )
            tables.extend(village_tables)
        if not indicators:
            area_frame = _area_frame(areas)  # the tracing of the last standard waited for here
    zone_results = (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=assessment.ZONE_COLUMNS)
    )
    plan = PlanIndicators()
    if indicators:
        with progress.step("Plan indicators (presence, ratios, catchments and load, capacity)"):
            plan = _plan_indicators(
                inputs, nearest, facilities, villages, issues, polygons=traced, tracer=tracer
            )
            villages = plan.villages
            area_frame = _area_frame(areas)  # traced meanwhile
    facilities["road_distance_m"] = nearest.road_distance_of_facilities()
    facilities["counted"] = facilities["used"] & ~facilities["facility_id"].isin(nearest.unsnapped)
    return StudyResult(
        config=config,
        crs=inputs.crs,
        zones=zones,
        facilities=facilities,
        villages=villages,
        zone_results=zone_results,
        areas=area_frame,
        issues=issues,
        timings=dict(progress.timings),
        peaks=dict(progress.peaks),
        counts={**inputs.counts, "facilities_open": int(facilities["used"].sum())},
        catchments=plan.catchments,
        presence=plan.presence,
        ratios=plan.ratios,
        capacity=plan.capacity,
        cells=cells,
        roads=inputs.roads,
    )


def _answered(answer: gpd.GeoDataFrame) -> Callable[[], gpd.GeoDataFrame]:
    """Return an answer already there in the shape of a :meth:`ForkedWorker.submit` answer."""
    return lambda: answer


def _area_frame(areas: list[Callable[[], object]]) -> gpd.GeoDataFrame:
    """Return the standards' traced areas in one frame, waiting for those traced apart."""
    frames = [area() for area in areas]
    if not frames:
        return gpd.GeoDataFrame(columns=["standard", "status", "geometry"], crs=4326)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


@dataclass
class PlanIndicators:
    """The plan indicators beyond the circles, and the village table with their columns."""

    catchments: Catchments | None = None
    presence: Presence | None = None
    ratios: Ratios | None = None
    capacity: Capacity | None = None
    villages: gpd.GeoDataFrame | None = None


def _plan_indicators(
    inputs: StudyInputs,
    nearest: NearestFacilities,
    facilities: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame | None,
    issues: DataIssues,
    *,
    polygons: bool,
    tracer: ForkedWorker | None = None,
) -> PlanIndicators:
    """Presence rules, resource ratios, catchments and load, capacity-aware access.

    With a ``tracer``, the catchments' polygons are traced by it while capacity is computed.
    """
    config, zones, cells = inputs.config, inputs.zones, inputs.cells
    resources = resource_values(facilities, issues, config.facilities)  # read once, issues once
    present = presence(
        facilities,
        zones,
        villages,
        village_match_m=config.scorecard.village_match_m,
        crs=inputs.crs,
        issues=issues,
        source=config.facilities,
        village_areas=_village_areas(config, inputs.villages),
    )
    people = np.bincount(cells.zone, weights=cells.population, minlength=len(zones))
    ratios = resource_ratios(
        facilities,
        zones,
        pd.Series(people, index=zones["zone_code"].to_numpy()),
        resources=resources,
        plan=config.scorecard.plan,
        targets=config.scorecard.targets,
        census_population=config.scorecard.census_population,
        issues=issues,
        source=config.facilities,
    )
    _check_census(config, float(people.sum()), issues)
    found = catchments(
        nearest,
        cells,
        zones,
        resources,
        mode=catchment_mode(config),
        villages=inputs.villages,
        load_factor=config.scorecard.load_factor,
        polygons=polygons and tracer is None,
    )
    traced = None
    if polygons and tracer is not None:
        traced = tracer.submit(catchment_polygons, found.cell_facility, facilities["facility_id"].to_numpy())
    capacity = _capacity(inputs, nearest, resources, issues)
    if traced is not None:
        found = dataclasses.replace(found, polygons=traced())
    if villages is not None:
        villages = _with_indicators(villages, facilities, found, present)
        if capacity is not None and capacity.village_access is not None:
            villages[f"{capacity.resource}_access_per_1000"] = np.round(capacity.village_access, 3)
    return PlanIndicators(found, present, ratios, capacity, villages)


def catchment_mode(config: StudyConfig) -> str:
    """Travel mode of the catchments: that of the rural time standard counting township centres.

    ``rural-30min``'s e-bike in the default study (the 医共体 is a rural network); else the
    first time standard counting township centres, else the first time standard.
    """
    timed = [s for s in config.standards if s.metric == "time"]
    township = [s for s in timed if set(s.facility_types) & set(LEVELS["township"])]
    rural = [s for s in township if s.zone_type == "rural"]
    return (rural or township or timed)[0].mode if timed else "walk"


def _village_areas(config: StudyConfig, villages: gpd.GeoDataFrame | None) -> gpd.GeoSeries | None:
    """Return the villages' polygons when the village layer holds areas (aligned with ``villages``)."""
    path = config.villages
    if villages is None or path is None or path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return None
    encoding = config.reader_options.get("villages", {}).get("encoding")
    layer = read_layer(path, "village", DataIssues(), encoding=encoding).geometry
    polygonal = layer.geom_type.isin(("Polygon", "MultiPolygon")).to_numpy()
    if not polygonal.any():
        return None
    rows = villages["row"].to_numpy(dtype=int) - 1  # feature numbers, from 1
    areas = gpd.GeoSeries(layer.to_numpy()[rows], crs=4326)
    return areas.where(polygonal[rows], None)


def _check_census(config: StudyConfig, study_people: float, issues: DataIssues) -> None:
    """Warn when the census population is far from the study's own (a typo, 万 for 千 …)."""
    census = config.scorecard.census_population
    if census is None or study_people <= 0 or abs(census / study_people - 1) <= 0.2:
        return
    issues.add(
        "warning",
        config.source,
        f"scorecard.census_population {census:,.0f} differs from the study's population "
        f"{study_people:,.0f} by {census / study_people - 1:+.0%}: the county ratios use it; "
        "check the figure (and the unit: people, not 万人)",
        zh=(
            f"scorecard.census_population {census:,.0f} 与研究区人口 {study_people:,.0f}"
            f" 相差 {census / study_people - 1:+.0%}：全县千人指标使用该数字；请"
            "核对数字及单位（人，而非万人）"
        ),
        field="scorecard.census_population",
        value=census,
    )


def _capacity(
    inputs: StudyInputs, nearest: NearestFacilities, resources: pd.DataFrame, issues: DataIssues
) -> Capacity | None:
    """E2SFCA of the configured resource over the configured (or first) time standard."""
    config = inputs.config
    options = config.scorecard.capacity
    timed = [s for s in config.standards if s.metric == "time"]
    standard = next((s for s in timed if s.id == options.standard), timed[0] if timed else None)
    if standard is None:
        return None
    bands = options.bands(standard.threshold)
    try:
        decay = Decay(
            threshold_s=standard.threshold_seconds,
            bounds_s=tuple(60.0 * minutes for minutes, _ in bands),
            weights=tuple(weight for _, weight in bands),
        )
    except ValueError as exc:
        raise InputError(str(exc), path=config.source, field="scorecard.capacity.decay") from None
    rows = nearest.selection(frozenset(standard.facility_types))
    supply = resources[options.resource].to_numpy(dtype=float)[rows]
    if not np.isfinite(supply).any():
        issues.add(
            "warning",
            config.facilities,
            f"capacity-aware access ({standard.id}) not assessed: no open facility of its types has a "
            f"{options.resource} value"
            + (" (no such column)" if options.resource in resources.attrs.get("missing", ()) else ""),
            zh=f"可及资源（{standard.id}）未评估：该类型的在用机构都没有 {options.resource} 数值"
            + ("（无此列）" if options.resource in resources.attrs.get("missing", ()) else ""),
            field=options.resource,
            action="skipped",
        )
        return None
    villages = inputs.villages
    village_xy = (
        None if villages is None else project_lonlat(villages.geometry.x, villages.geometry.y, inputs.crs)
    )
    found = reachable_capacity(
        inputs.networks[standard.mode],
        (nearest.fx[rows], nearest.fy[rows]),
        supply,
        inputs.cells,
        len(inputs.zones),
        resource=options.resource,
        standard=standard.id,
        decay=decay,
        snap_radius_m=config.options.snap_radius_m,
        facility_snap_radius_m=config.options.facility_snap_radius_m,
        village_xy=village_xy,
    )
    if found.without_value:
        issues.add(
            "warning",
            config.facilities,
            f"capacity-aware access ({standard.id}): {found.without_value} of {found.facilities} open "
            f"facilities of its types have no {options.resource} value and are left out (not counted as 0)",
            zh=(
                f"可及资源（{standard.id}）：{found.facilities} 个该类型在用机构中有 "
                f"{found.without_value} 个没有 {options.resource} 数值，未计"
                "入（不按0计）"
            ),
            field=options.resource,
            action="excluded",
        )
    return found


def _with_indicators(
    villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, found: Catchments, present: Presence
) -> gpd.GeoDataFrame:
    """Add each village's township centre and county hospital, and its own clinic (presence)."""
    out = villages.copy()
    ids, names = facilities["facility_id"].to_numpy(), facilities["name"].to_numpy()
    for level, rows in found.village_facility.items():
        out[f"{level}_catchment_id"] = np.where(rows >= 0, ids[np.maximum(rows, 0)], "")
        out[f"{level}_catchment_name"] = np.where(rows >= 0, names[np.maximum(rows, 0)], "")
    own = present.villages  # in the villages' order
    for column in ("presence", "matched_by", "fixed_facility_ids", "outreach_facility_ids"):
        out[f"own_clinic_{column}" if column != "presence" else "own_clinic"] = own[column].to_numpy()
    return out


def report_horizon_s(config: StudyConfig) -> float:
    """Return the report horizon of travel times (seconds).

    ``options.report_horizon_min``, else twice the largest time threshold. Each standard
    searches to the horizon or its own threshold, whichever is larger.
    """
    horizon = config.options.report_horizon_min
    if horizon is not None:
        return 60.0 * horizon
    return 2.0 * max([s.threshold_seconds for s in config.standards if s.metric == "time"] or [0.0])


def nearest_facilities(
    inputs: StudyInputs, facilities: gpd.GeoDataFrame | None = None, issues: DataIssues | None = None
) -> NearestFacilities:
    """Build the nearest-facility costs of a study's inputs for a facility set (default: the one read)."""
    options = inputs.config.options
    return NearestFacilities(
        inputs.networks,
        inputs.facilities if facilities is None else facilities,
        inputs.crs,
        snap_radius_m=options.snap_radius_m,
        facility_snap_radius_m=options.facility_snap_radius_m,
        horizon_s=report_horizon_s(inputs.config),
        issues=inputs.issues if issues is None else issues,
        source=inputs.config.facilities,
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
        sheet=config.reader_options.get("villages", {}).get("sheet"),
    )
    return villages.merge(zones[["zone_code", "zone_name", "zone_type"]], on="zone_code", how="left")


def _people(
    config: StudyConfig, zones: gpd.GeoDataFrame, crs: CRS, issues: DataIssues
) -> tuple[gpd.GeoDataFrame | None, PopulationCells]:
    """Read the villages and the population places (in a thread of its own)."""
    villages = _villages(config, zones, issues)
    return villages, _population(config, zones, villages, crs, issues)


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
            zh="没有人口栅格：以村人口为人口；无法绘制未覆盖区域",
            field="inputs.population",
        )
        cells = population_from_villages(villages, zones, crs)
    report_zone_overlaps(zones, cells, crs, config.zones, issues)
    report_zone_repairs(zones, cells, crs, config.zones, issues)
    if cells.total <= 0:
        raise InputError("no population inside the zones", path=config.population or config.villages)
    return cells


def _networks(
    config: StudyConfig, roads: RoadEdges, crs: CRS, issues: DataIssues, terrain: Terrain | None
) -> dict[str, Network]:
    modes = {s.mode for s in config.standards if s.metric == "time"}
    if any(s.metric == "distance" for s in config.standards):
        modes.add("walk")
    found = {m: DataIssues() for m in sorted(modes)}  # each mode's issues, added in this order
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="network") as builder:  # 4.5 s, not 6.7
            built = {
                m: builder.submit(
                    build_network, roads, m, crs, found[m], speeds=config.speeds.get(m), terrain=terrain
                )
                for m in found
            }
            return {m: b.result() for m, b in built.items()}
    finally:  # also when a mode cannot be built: the issues that explain it are kept
        for mode_issues in found.values():
            issues.items.extend(mode_issues.items)


def _terrain(
    config: StudyConfig, roads: RoadEdges, zones: gpd.GeoDataFrame, crs: CRS, issues: DataIssues
) -> Terrain | None:
    """Read the DEM over the roads and zone outlines; ``None`` when the config gives none."""
    if not config.dem:
        return None
    outline = shapely.get_coordinates(zones.to_crs(4326).boundary.to_numpy())
    lon = np.concatenate([roads.node_lon, outline[:, 0]])
    lat = np.concatenate([roads.node_lat, outline[:, 1]])
    surface = read_elevation(config.dem, (lon, lat), issues)
    options = config.terrain
    power = options.ebike_power
    return make_terrain(
        surface,
        roads.node_lon,
        roads.node_lat,
        roads.u,
        roads.v,
        roads.structure,
        crs,
        models={"walk": options.walk, "ebike": options.ebike, "car": options.car},
        ebike=EbikePower(power.power_w, power.mass_kg, power.rolling, power.drag_area_m2),
        step_m=options.sample_m,
    )
