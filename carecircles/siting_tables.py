"""The tables of a siting run: ranked sites, scenarios, outreach, catchments, upgrades, exact check."""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import Transformer

from carecircles import assessment
from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues
from carecircles.analysis import StudyInputs, StudyResult, assess, nearest_facilities
from carecircles.covering import Coverage, ExactCover, coverage, exact_max_cover, exact_set_cover
from carecircles.standards import Standard

UPGRADE_TYPES = ("central_thc", "thc", "branch_thc")


def site_table(
    chosen: gpd.GeoDataFrame, gains: Sequence[float], *, baseline: float, total: float
) -> pd.DataFrame:
    """Ranked proposed sites: position, zone, people newly covered, cumulative covered and share.

    ``baseline`` is the population covered before any new site, ``total`` the population.
    """
    cumulative = baseline + np.cumsum(gains) if len(gains) else np.zeros(0)
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "facility_id": [f"NEW-{i + 1:02d}" for i in range(len(chosen))],
            "candidate_id": chosen["site_id"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "source": chosen["source"].to_numpy(),
            "zone_code": chosen["zone_code"].to_numpy(),
            "zone_name": chosen["zone_name"].to_numpy(),
            "lon": chosen.geometry.x.round(6).to_numpy(),
            "lat": chosen.geometry.y.round(6).to_numpy(),
            "newly_covered": np.round(gains, 1),
            "cumulative_covered": np.round(cumulative, 1),
            "cumulative_share": np.round(cumulative / total, 4) if total else np.nan,
        }
    )


def scenario_table(
    inputs: StudyInputs,
    standard: Standard,
    existing: gpd.GeoDataFrame,
    planned: gpd.GeoDataFrame,
    after: StudyResult,
) -> pd.DataFrame:
    """Per zone: covered population with existing facilities, + planned ones, + the proposed sites.

    ``existing`` and ``planned`` are the facility table with ``used`` set for each scenario;
    ``after`` is the assessment with the proposed sites added.
    """
    quiet = DataIssues()
    results = (
        ("existing", assess(inputs, existing, polygons=False, issues=quiet)),
        ("planned", assess(inputs, planned, polygons=False, issues=quiet)),
        ("proposed", after),
    )
    columns = ["zone_code", "zone_name", "zone_type", "population"]
    out: pd.DataFrame | None = None
    for label, result in results:
        rows = result.zone_results[result.zone_results["standard"] == standard.id]
        part = rows[[*columns, "covered_population", "covered_share", "passes"]].rename(
            columns={
                "covered_population": f"covered_{label}",
                "covered_share": f"share_{label}",
                "passes": f"passes_{label}",
            }
        )
        out = part if out is None else out.merge(part, on=columns, how="outer", sort=False)
    assert out is not None
    out["gain_from_planned"] = out["covered_planned"] - out["covered_existing"]
    out["gain_from_proposed"] = out["covered_proposed"] - out["covered_planned"]
    out.insert(0, "standard", standard.id)
    return out


def outreach_table(
    inputs: StudyInputs,
    standard: Standard,
    *,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    zone: NDArray[np.int64],
    population: NDArray[np.float64],
    covered: NDArray[np.bool_],
    reachable: NDArray[np.bool_],
    min_demand: float,
    stop_reason: str,
) -> pd.DataFrame:
    """List what is still uncovered after the proposed sites, and what to do about it.

    The demand places (local CRS) with their zone index and population; ``covered`` after the
    proposed sites; ``reachable`` by some candidate. Distance standards list villages (the
    places are ``inputs.villages``); time standards group the cells left by zone and reason.
    """
    left = ~covered & (population > 0)
    sparse_reason = stop_reason.startswith(("below_outreach", "no_candidate"))
    why = np.full(len(left), "", dtype=object)  # only the places left get their code (a province: millions)
    why[left] = np.where(  # codes, put into words by the writers (carecircles.labels.recommendation_text)
        ~reachable[left],
        "unreachable",
        np.where(
            population[left] < min_demand,
            f"few_people:{min_demand:g}",
            "sparse" if sparse_reason else f"more_sites:{stop_reason}",
        ),
    )
    zone_codes = inputs.zones["zone_code"].to_numpy()
    zone_names = inputs.zones["zone_name"].to_numpy()
    if standard.metric == "distance":
        villages = inputs.villages
        assert villages is not None  # distance standards are sited on village points
        idx = np.flatnonzero(left)
        return pd.DataFrame(
            {
                "kind": "village",
                "id": villages["village_id"].to_numpy()[idx],
                "name": villages["name"].to_numpy()[idx],
                "zone_code": zone_codes[zone[idx]],
                "zone_name": zone_names[zone[idx]],
                "population": population[idx],
                "lon": villages.geometry.x.round(6).to_numpy()[idx],
                "lat": villages.geometry.y.round(6).to_numpy()[idx],
                "recommendation": why[idx],
            }
        ).sort_values("population", ascending=False, ignore_index=True)
    # time standards: group what is left by zone and recommendation
    frame = pd.DataFrame(
        {
            "zone": zone[left],
            "population": population[left],
            "recommendation": why[left],
            "x": x[left] * population[left],
            "y": y[left] * population[left],
        }
    )
    if frame.empty:
        return pd.DataFrame(
            columns=["kind", "zone_code", "zone_name", "population", "lon", "lat", "recommendation"]
        )
    grouped = frame.groupby(["zone", "recommendation"], as_index=False).sum()
    grouped = grouped[grouped["population"] >= 0.05]  # hundredths of a person: rounding
    lon, lat = Transformer.from_crs(inputs.crs, 4326, always_xy=True).transform(
        grouped["x"] / grouped["population"], grouped["y"] / grouped["population"]
    )
    return pd.DataFrame(
        {
            "kind": "area",
            "zone_code": zone_codes[grouped["zone"]],
            "zone_name": zone_names[grouped["zone"]],
            "population": grouped["population"].round(1),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "recommendation": grouped["recommendation"],
        }
    ).sort_values("population", ascending=False, ignore_index=True)


def catchment_polygons(
    inputs: StudyInputs,
    cell: NDArray[np.int64] | None,
    owner: NDArray[np.int64],
    sites: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Polygons of the people each proposed site newly covers (in rank order).

    ``cell`` indexes the demand places into ``inputs.cells`` (``None``: villages, no polygons);
    ``owner`` is the rank of the site that first covers each place (``-1``: none).
    """
    cells = inputs.cells
    if cell is None or cells.grid is None or sites.empty:
        return gpd.GeoDataFrame(
            columns=["facility_id", "population", "geometry"], geometry="geometry", crs=4326
        )
    cell_owner = np.full(len(cells.population), -1, dtype=np.int64)
    cell_owner[cell] = owner
    polygons = assessment.polygons_by_label(cells, cell_owner, per="label")
    polygons["facility_id"] = sites["facility_id"].to_numpy()[polygons["label"]]
    return polygons[["facility_id", "population", "geometry"]]


def upgrade_ranking(
    inputs: StudyInputs,
    standard: Standard,
    facilities: gpd.GeoDataFrame,
    types: Sequence[str] = UPGRADE_TYPES,
    nearest: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None,
) -> pd.DataFrame:
    """Rank township-level centres for upgrading to a county sub-centre (县域医疗次中心).

    The plans' criteria are reach and population (辐射范围广、人口相对集中, plan 004; 人口聚集程度、
    交通条件, plan 002): for each open centre, the people within the standard's threshold of it
    (reach, whoever is nearest) and the people for whom it is the nearest facility of the
    standard within the threshold (catchment). Ranked by reach, then catchment. ``nearest``:
    the cost to, and the index of, the nearest of ``facilities`` from each of the standard's
    cells, when already known.
    """
    centres = facilities[facilities["used"] & facilities["type"].isin(types)].reset_index(drop=True)
    columns = [
        "rank",
        "facility_id",
        "name",
        "type",
        "zone_code",
        "zone_name",
        "beds",
        "reach_population",
        "catchment_population",
    ]
    if centres.empty:
        return pd.DataFrame(columns=columns)
    cells = inputs.cells
    in_scope = np.flatnonzero(assessment.applies(standard, inputs.zones["zone_type"].to_numpy())[cells.zone])
    x, y, population = cells.x[in_scope], cells.y[in_scope], cells.population[in_scope]
    cx, cy = project_lonlat(centres.geometry.x, centres.geometry.y, inputs.crs)
    options = inputs.config.options
    reach = coverage(
        standard,
        inputs.networks[standard.mode],
        cx,
        cy,
        x,
        y,
        snap_radius_m=options.snap_radius_m,
        facility_snap_radius_m=options.facility_snap_radius_m,
    ).site_weights(population)
    if nearest is None:
        costs = nearest_facilities(inputs, facilities, DataIssues()).times(standard, x, y)
        nearest = (costs.cost, costs.facility)
    cost, facility = nearest
    served_by = facilities["facility_id"].to_numpy()[np.maximum(facility, 0)]
    served = assessment.covered_mask(standard, cost) & (facility >= 0)
    catchment = pd.Series(population[served]).groupby(served_by[served]).sum()
    zones = gpd.sjoin(
        centres[["facility_id", "geometry"]],
        inputs.zones[["zone_code", "zone_name", "geometry"]],
        how="left",
        predicate="within",
    ).drop_duplicates("facility_id")
    out = pd.DataFrame(
        {
            "facility_id": centres["facility_id"],
            "name": centres["name"],
            "type": centres["type"],
            "zone_code": zones["zone_code"].to_numpy(),
            "zone_name": zones["zone_name"].to_numpy(),
            "beds": centres.get("beds", ""),
            "reach_population": np.round(reach, 0),
            "catchment_population": np.round(
                catchment.reindex(centres["facility_id"]).fillna(0).to_numpy(), 0
            ),
        }
    )
    out = out.sort_values(["reach_population", "catchment_population"], ascending=False, ignore_index=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[columns]


def exact_report(
    matrix: Coverage,
    weight: NDArray[np.float64],
    chosen: Sequence[int],
    gains: Sequence[float],
    candidate_ids: NDArray[np.str_],
    *,
    time_limit_s: float,
) -> dict[str, object]:
    """Check the proposed sites against the integer programs; say what is proven and what is not.

    ``max_cover``: the best ``k`` sites found (``k`` = the number proposed) by HiGHS, greedy or
    the proposed sites themselves, whichever covers most, with the solver's status, the proven
    upper bound on what ``k`` sites can cover and the gap. ``set_cover``: the fewest sites found
    that cover everyone any candidate reaches, with the proven lower bound. ``greedy_share_of_bound``
    is proven: the proposed sites cover at least that share of the optimum. ``found_by`` is
    ``solver``, ``greedy`` (plain greedy with ``k`` sites) or ``proposed`` (the proposed sites).
    """
    k = max(len(chosen), 1)
    greedy = float(sum(gains))  # greedy's gains are marginal: their sum is what it covers
    mclp = exact_max_cover(matrix, weight, k, time_limit_s=time_limit_s, incumbent=list(chosen))
    lscp = exact_set_cover(matrix, weight, time_limit_s=time_limit_s)
    return {
        "k": k,
        "time_limit_s": time_limit_s,
        "greedy_covered": round(greedy, 1),
        "greedy_share_of_best": _ratio(greedy, mclp.objective),
        "greedy_share_of_bound": _ratio(greedy, mclp.bound),
        "max_cover": {**_solve_summary(mclp, candidate_ids), "covered": round(mclp.objective, 1)},
        "set_cover": {**_solve_summary(lscp, candidate_ids), "sites_needed": len(lscp.chosen)},
    }


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole > 0 else 1.0


def _solve_summary(result: ExactCover, candidate_ids: NDArray[np.str_]) -> dict[str, object]:
    return {
        "status": result.status,
        "proven_optimal": result.proven,
        "note": result.describe(),
        "bound": _shown_bound(result),
        "gap": round(result.gap, 6) if np.isfinite(result.gap) else None,
        "found_by": "proposed" if result.found_by == "given" else result.found_by,
        "seconds": round(result.seconds, 2),
        "parts": result.parts,
        "sites": [str(candidate_ids[c]) for c in result.chosen],
    }


def _shown_bound(result: ExactCover) -> float:
    """Round the bound to one decimal: as the objective when proven, else an upper bound upwards."""
    if result.proven:
        return round(result.objective, 1)
    if result.problem == "MCLP":
        return math.ceil(result.bound * 10 - 1e-6) / 10
    return result.bound  # LSCP: whole sites
