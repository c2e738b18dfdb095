"""Siting new facilities: the demand to cover, greedy selection, and what it changes.

Coverage of every candidate is computed with the assessment's own rules (off-road walk to the
road, network time, direct walk within the snap radius, inclusive threshold), so the people a
proposed site is said to cover are exactly those a re-assessment with the site added counts.
Candidates come from :mod:`carecircles.candidates`, the coverage and the covering
algorithms from :mod:`carecircles.covering`, the result tables from
:mod:`carecircles.siting_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from carecircles import assessment
from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues, InputError
from carecircles.analysis import StudyInputs, StudyResult, assess, nearest_facilities
from carecircles.candidates import candidate_sites, read_candidates
from carecircles.covering import coverage, first_cover, greedy_max_cover
from carecircles.facilities import open_mask
from carecircles.network import Network
from carecircles.node_cover import NodeCover
from carecircles.province import COUNTY, is_province
from carecircles.schema import Options, SitingOptions
from carecircles.siting_tables import (
    catchment_polygons,
    exact_report,
    outreach_table,
    scenario_table,
    site_table,
    upgrade_ranking,
)
from carecircles.standards import FACILITY_TYPES, Standard
from carecircles.terrain import TOBLER_OFFSET, tobler_factor
from carecircles.traveltime import network_reach_m

__all__ = [
    "SitingOptions",
    "SitingResult",
    "candidate_sites",
    "read_candidates",
    "site",
    "upgrade_ranking",
]


@dataclass
class SitingResult:
    """Proposed sites, before/after figures per zone, outreach recommendations.

    Attributes
    ----------
    sites
        Ranked proposed sites: coordinates, zone, people newly covered, cumulative share.
    scenarios
        Per zone: population and covered population/share with existing facilities, with
        planned ones added, and with the proposed sites added.
    outreach
        Places left uncovered, with their population and a recommendation.
    catchments
        Polygons of the people each proposed site newly covers (raster population only).
    exact
        When asked, the integer-programming check (:func:`carecircles.siting_tables.exact_report`):
        the best ``k`` sites found and the set cover, each with the solver status, the proven
        bound and gap, and whether it is proven optimal within the time limit.
    after
        Full assessment with the proposed sites added (for the map).
    upgrades
        Existing township-level centres ranked for upgrading to a sub-centre (time standards).
    """

    standard: Standard
    options: SitingOptions
    sites: pd.DataFrame
    scenarios: pd.DataFrame
    outreach: pd.DataFrame
    catchments: gpd.GeoDataFrame
    candidates_considered: int
    candidates_excluded: int
    baseline_covered: float
    total_population: float
    stop_reason: str
    after: StudyResult
    upgrades: pd.DataFrame = field(default_factory=pd.DataFrame)
    exact: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Demand:
    """Places whose coverage counts for the standard, in the local CRS."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    weight: NDArray[np.float64]  # people (0 for places below min_demand: not targets)
    population: NDArray[np.float64]
    zone: NDArray[np.int64]
    covered: NDArray[np.bool_]  # by the locked-in facilities
    cell: NDArray[np.int64] | None  # index into inputs.cells (time standards)
    # time standards: the cost to, and index of, the nearest locked-in facility of each cell
    nearest: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None


def site(inputs: StudyInputs, options: SitingOptions) -> SitingResult:
    """Propose new sites for one standard.

    Raises
    ------
    InputError
        For an unknown standard, no usable candidate, or a distance standard without villages.
    """
    config = inputs.config
    standard = next((s for s in config.standards if s.id == options.standard), None)
    if standard is None:
        raise InputError(
            f"standard {options.standard!r} is not in the study config "
            f"({', '.join(s.id for s in config.standards)})",
            path=config.source,
            field="standards",
        )
    k = options.max_sites(standard.metric)
    options = replace(options, k=k)  # the number used, as written to siting.json
    site_type = options.site_type or ("thc" if standard.metric == "time" else "village_clinic")
    one = replace(inputs, config=replace(config, standards=(standard,)))
    locked = _locked(inputs.facilities, options.lock_planned)
    demand = _demand(one, standard, locked, options)
    mode = standard.mode if standard.metric == "time" else "walk"
    network = inputs.networks[mode]
    candidates, excluded = candidate_sites(inputs, network, options)
    cover = _coverage_of_uncovered(standard, network, candidates, demand, config.options)
    chosen, gains, stop_reason = _select(cover, demand, candidates, inputs.zones, options, k)

    proposed = _proposed_facilities(candidates.iloc[chosen], site_type, standard)
    quiet = DataIssues()
    drawn = _drawn_zones(inputs.zones, candidates.iloc[chosen])
    after = assess(one, pd.concat([locked, proposed], ignore_index=True), issues=quiet, polygons=drawn)
    baseline = float((demand.population * demand.covered).sum())
    total = float(demand.population.sum())
    sites = site_table(candidates.iloc[chosen], gains, baseline=baseline, total=total)
    existing, planned = _locked(inputs.facilities, False), _locked(inputs.facilities, True)
    scenarios = scenario_table(one, standard, existing, planned, after)
    owner = first_cover(cover, demand.covered, chosen)
    outreach = outreach_table(
        one,
        standard,
        x=demand.x,
        y=demand.y,
        zone=demand.zone,
        population=demand.population,
        covered=demand.covered | (owner >= 0),
        reachable=cover.reachable(),
        min_demand=options.min_demand,
        stop_reason=stop_reason,
    )
    result = SitingResult(
        standard=standard,
        options=options,
        sites=sites,
        scenarios=scenarios,
        outreach=outreach,
        catchments=catchment_polygons(inputs, demand.cell, owner, sites),
        candidates_considered=len(candidates),
        candidates_excluded=excluded,
        baseline_covered=baseline,
        total_population=total,
        stop_reason=stop_reason,
        after=after,
        upgrades=(
            upgrade_ranking(one, standard, locked, nearest=demand.nearest)
            if standard.metric == "time"
            else pd.DataFrame()
        ),
    )
    if options.exact:
        result.exact = exact_report(
            cover,
            _uncovered_weight(demand),
            chosen,
            gains,
            candidates["site_id"].to_numpy(),
            time_limit_s=options.exact_time_limit_s,
        )
    return result


def _coverage_of_uncovered(
    standard: Standard, network: Network, candidates: pd.DataFrame, demand: _Demand, options: Options
) -> NodeCover:
    """Coverage (candidates × demand places) computed for the places still uncovered only.

    The places the locked-in facilities cover are already counted: no site gains from them,
    so they are left out; candidates farther (in a straight line) from every uncovered place
    than anything can travel within the threshold (:func:`reach_bound_m`) are not searched.
    Both are exact, and they keep a province's coverage to the gaps.
    """
    n_c = len(candidates)
    todo = np.flatnonzero(~demand.covered)
    cx, cy = candidates["x"].to_numpy(dtype=float), candidates["y"].to_numpy(dtype=float)
    rows = np.zeros(0, dtype=np.int64)
    if len(todo) and n_c:
        bound = reach_bound_m(standard, network, options)
        gap, _ = cKDTree(np.column_stack([demand.x[todo], demand.y[todo]])).query(
            np.column_stack([cx, cy]), distance_upper_bound=bound
        )
        rows = np.flatnonzero(np.isfinite(gap))
    if not len(rows):  # nothing left to cover, or no candidate near it
        return NodeCover.from_matrix(sparse.csr_matrix((n_c, len(demand.x))))
    sub = coverage(
        standard,
        network,
        cx[rows],
        cy[rows],
        demand.x[todo],
        demand.y[todo],
        snap_radius_m=options.snap_radius_m,
        facility_snap_radius_m=options.facility_snap_radius_m,
    )
    return NodeCover.from_entries(
        n_c, len(demand.x), todo[sub.order], sub.run_start, rows[sub.site], sub.run, sub.count
    )


def _drawn_zones(zones: gpd.GeoDataFrame, chosen: gpd.GeoDataFrame) -> bool | NDArray[np.bool_]:
    """Return the zones whose areas are traced after siting.

    All of them; in a province, those of the counties of the proposed sites (the siting map
    shows those: :func:`carecircles.maps.build_siting_map`).
    """
    if not is_province(zones):
        return True
    county = zones[COUNTY].astype(str)
    sited = set(county[zones["zone_code"].isin(set(chosen["zone_code"].dropna()))])
    return county.isin(sited).to_numpy()


def reach_bound_m(standard: Standard, network: Network, options: Options) -> float:
    """Straight-line distance nothing can exceed between a site and a place it covers (metres).

    Time: the threshold at the fastest speed anywhere (any road segment across the map, in
    either direction: :func:`carecircles.traveltime.network_reach_m`; the off-road walk at
    Tobler's downhill peak); road distance: the threshold plus both snap walks; straight: the
    radius.
    """
    margin = 1.0
    if standard.metric == "time":
        limit = standard.threshold_seconds
        walk = network.offroad_kmh / 3.6 * float(tobler_factor(np.array(-TOBLER_OFFSET)))  # downhill peak
        return max(network_reach_m(network, "seconds", limit), limit * walk) + margin
    if standard.distance_kind == "straight":
        return standard.threshold + margin
    return standard.threshold + options.snap_radius_m + options.facility_snap_radius_m + margin


def _uncovered_weight(demand: _Demand) -> NDArray[np.float64]:
    """Weight still to cover: people of target places the locked-in facilities do not cover."""
    return np.where(demand.covered, 0.0, demand.weight)


def _locked(facilities: gpd.GeoDataFrame, lock_planned: bool) -> gpd.GeoDataFrame:
    out = facilities.copy()
    out["used"] = open_mask(out["status"], include_planned=lock_planned)
    return out


def _demand(
    inputs: StudyInputs, standard: Standard, locked: gpd.GeoDataFrame, options: SitingOptions
) -> _Demand:
    nearest = nearest_facilities(inputs, locked, DataIssues())
    zone_types = inputs.zones["zone_type"].to_numpy()
    if standard.metric == "time":
        cells = inputs.cells
        in_scope = np.flatnonzero(assessment.applies(standard, zone_types)[cells.zone])
        costs = nearest.times(standard, cells.x[in_scope], cells.y[in_scope])
        population = cells.population[in_scope]
        return _Demand(
            x=cells.x[in_scope],
            y=cells.y[in_scope],
            weight=np.where(population >= options.min_demand, population, 0.0),
            population=population,
            zone=cells.zone[in_scope],
            covered=assessment.covered_mask(standard, costs.cost),
            cell=in_scope,
            nearest=(costs.cost, costs.facility),
        )
    villages = inputs.villages
    if villages is None or villages.empty:
        raise InputError(f"{standard.id} needs village points (inputs.villages)", path=inputs.config.source)
    table, _ = assessment.village_results(
        nearest,
        villages,
        inputs.zones,
        (standard,),
        road_distance_limit_m=inputs.config.options.road_distance_limit_m,
    )
    x, y = project_lonlat(villages.geometry.x, villages.geometry.y, inputs.crs)
    population = villages["population"].to_numpy(dtype=float)
    return _Demand(
        x=x,
        y=y,
        weight=np.where(population >= options.min_demand, population, 0.0),
        population=population,
        zone=pd.Index(inputs.zones["zone_code"]).get_indexer(villages["zone_code"]).astype(np.int64),
        covered=(table[f"{standard.id}_status"] == "fixed").to_numpy(),
        cell=None,
    )


def _select(
    cover: NodeCover,
    demand: _Demand,
    candidates: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    options: SitingOptions,
    k: int | None,
) -> tuple[list[int], list[float], str]:
    weight = _uncovered_weight(demand)
    stop_at = None
    if options.target_share is not None:
        needed = options.target_share * demand.population.sum() - (demand.population * demand.covered).sum()
        stop_at = max(needed, 0.0)
    groups = pd.Index(zones["zone_code"]).get_indexer(candidates["zone_code"])
    required = sorted(set(demand.zone[weight > 0].tolist())) if options.one_per_zone else []
    return greedy_max_cover(
        cover,
        weight,
        k=k,
        min_gain=options.outreach_below,
        stop_at=stop_at,
        groups=groups,
        required_groups=required,
    )


def _proposed_facilities(chosen: gpd.GeoDataFrame, site_type: str, standard: Standard) -> gpd.GeoDataFrame:
    kind = FACILITY_TYPES[site_type]
    ids = [f"NEW-{i + 1:02d}" for i in range(len(chosen))]
    return gpd.GeoDataFrame(
        {
            "facility_id": ids,
            "name": [f"拟建{kind.zh} {i + 1}（{n}）" for i, n in enumerate(chosen["name"])],
            "type": site_type,
            "type_label": kind.zh,
            "status": "proposed",
            "used": True,
            "row": pd.array([pd.NA] * len(chosen), dtype="Int64"),
            "datum": "wgs84",
        },
        geometry=chosen.geometry.to_numpy(),
        crs=4326,
    )
