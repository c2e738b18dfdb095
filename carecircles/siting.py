"""Siting new facilities: candidate sites, sparse coverage, greedy and exact maximal covering.

Coverage of every candidate is computed with the assessment's own rules (off-road walk to the
road, network time, direct walk within the snap radius, inclusive threshold), so the people a
proposed site is said to cover are exactly those a re-assessment with the site added counts.
The candidate × demand coverage is a sparse matrix built from chunked multi-source Dijkstra
passes with a search limit: it never grows with the square of the county.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from carecircles import assessment
from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues, InputError
from carecircles._tables import find_column, text_values
from carecircles.analysis import StudyInputs, StudyResult, assess, nearest_facilities
from carecircles.covering import exact_max_cover, exact_set_cover, greedy_max_cover
from carecircles.facilities import NAME_NAMES, open_mask
from carecircles.network import Network
from carecircles.points import read_points
from carecircles.schema import CANDIDATE_KINDS, SitingOptions
from carecircles.standards import FACILITY_TYPES, Standard
from carecircles.traveltime import Weight, access_cost, offroad_cost_per_metre

_EPS = 1e-6
_CHUNK_CELLS = 10_000_000  # Dijkstra rows × nodes held at once (80 MB of float64)


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
        Integer-programming results when asked: optimum, greedy objective, ratio, set cover.
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
    matrix = coverage_matrix(standard, network, candidates, demand, config.options)
    chosen, gains, stop_reason = _select(matrix, demand, candidates, inputs.zones, options, k)

    proposed = _proposed_facilities(candidates.iloc[chosen], site_type, standard)
    quiet = DataIssues()
    after = assess(one, pd.concat([locked, proposed], ignore_index=True), issues=quiet)
    sites = _site_table(candidates.iloc[chosen], gains, demand)
    scenarios = _scenarios(one, inputs.facilities, proposed, standard, after)
    owner = _first_cover(matrix, demand.covered, chosen)
    outreach = _outreach(one, standard, demand, matrix, owner, options, stop_reason)
    catchments = _catchments(inputs, demand, owner, sites)
    result = SitingResult(
        standard=standard,
        options=options,
        sites=sites,
        scenarios=scenarios,
        outreach=outreach,
        catchments=catchments,
        candidates_considered=len(candidates),
        candidates_excluded=excluded,
        baseline_covered=float((demand.population * demand.covered).sum()),
        total_population=float(demand.population.sum()),
        stop_reason=stop_reason,
        after=after,
        upgrades=upgrade_ranking(one, standard, locked) if standard.metric == "time" else pd.DataFrame(),
    )
    if options.exact:
        result.exact = _exact_report(matrix, demand, chosen, gains, options)
    return result


def _first_cover(
    matrix: sparse.csr_matrix, covered: NDArray[np.bool_], chosen: list[int]
) -> NDArray[np.int64]:
    """Rank of the proposed site that first covers each demand place (``-1``: none does)."""
    owner = np.full(matrix.shape[1], -1, dtype=np.int64)
    taken = covered.copy()
    for rank, c in enumerate(chosen):
        row = matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]]
        new = row[~taken[row]]
        taken[new] = True
        owner[new] = rank
    return owner


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


def candidate_sites(
    inputs: StudyInputs, network: Network, options: SitingOptions
) -> tuple[gpd.GeoDataFrame, int]:
    """Candidate sites inside the study area and near a road, with their zone.

    Returns
    -------
    tuple
        Candidates (``site_id``, ``name``, ``source``, ``zone_code``, ``zone_name``, ``x``,
        ``y`` in the local CRS, geometry in EPSG:4326) and the number excluded; each exclusion
        reason is recorded in the inputs' data issues.
    """
    pieces = []
    for kind in options.candidates:
        if kind not in CANDIDATE_KINDS:
            raise InputError(f"unknown candidate kind {kind!r}; known: {', '.join(CANDIDATE_KINDS)}")
        pieces.append(_CANDIDATE_MAKERS[kind](inputs, network, options))
    if options.candidate_file is not None:
        pieces.append(read_candidates(options.candidate_file, inputs.issues))
    frame = pd.concat([p for p in pieces if len(p)], ignore_index=True) if pieces else pd.DataFrame()
    if frame.empty:
        raise InputError("no candidate sites: choose candidate kinds or give a candidate file")
    frame = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)
    frame["x"], frame["y"] = project_lonlat(frame["lon"], frame["lat"], inputs.crs)
    joined = gpd.sjoin(
        frame, inputs.zones[["zone_code", "zone_name", "geometry"]], how="left", predicate="within"
    )
    frame = joined[~joined.index.duplicated()].drop(columns="index_right")
    radius = inputs.config.options.facility_snap_radius_m
    _, road = network.snap(frame["x"].to_numpy(), frame["y"].to_numpy(), radius)
    outside = frame["zone_code"].isna().to_numpy()
    far = ~outside & ~np.isfinite(road)
    key = np.round(frame[["x", "y"]].to_numpy()).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    duplicate = np.ones(len(frame), dtype=bool)
    duplicate[first] = False
    for mask, why in ((outside, "outside the study area"), (far, f"more than {radius:g} m from a road")):
        if mask.any():
            inputs.issues.add(
                "info",
                "siting",
                f"{int(mask.sum())} candidate sites {why}: not considered",
                value=", ".join(frame["name"].to_numpy()[mask][:5].astype(str)),
                action="excluded",
            )
    keep = ~outside & ~far & ~duplicate
    out = frame[keep].reset_index(drop=True)
    out["site_id"] = [f"C{i + 1:05d}" for i in range(len(out))]
    if out.empty:
        raise InputError("every candidate site is outside the study area or far from a road")
    return out, int((~keep).sum())


def _village_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    villages = inputs.villages
    if villages is None or villages.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "name": villages["name"].to_numpy(),
            "source": "village",
            "lon": villages.geometry.x.to_numpy(),
            "lat": villages.geometry.y.to_numpy(),
        }
    )


def _zone_centre_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    cells = inputs.cells
    order = np.lexsort((-cells.population, cells.zone))
    first = order[np.r_[True, cells.zone[order][1:] != cells.zone[order][:-1]]]
    lon, lat = Transformer.from_crs(inputs.crs, 4326, always_xy=True).transform(
        cells.x[first], cells.y[first]
    )
    names = inputs.zones["zone_name"].to_numpy()[cells.zone[first]]
    return pd.DataFrame(
        {"name": [f"{n}驻地（人口最密处）" for n in names], "source": "zone_centre", "lon": lon, "lat": lat}
    )


def _road_node_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    spacing = options.road_node_spacing_m
    cells = np.floor(np.column_stack([network.x, network.y]) / spacing).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    lon, lat = Transformer.from_crs(inputs.crs, 4326, always_xy=True).transform(
        network.x[first], network.y[first]
    )
    names = [f"路网点 {i}" for i in first]
    villages = inputs.villages
    if villages is not None and not villages.empty:  # name a road point after the nearest village
        vx, vy = project_lonlat(villages.geometry.x, villages.geometry.y, inputs.crs)
        points = np.column_stack([network.x[first], network.y[first]])
        dist, near = cKDTree(np.column_stack([vx, vy])).query(points)
        village = villages["name"].to_numpy()[near]
        names = [f"{v}附近路网点（{d / 1000:.1f} km）" for v, d in zip(village, dist, strict=True)]
    return pd.DataFrame({"name": names, "source": "road_node", "lon": lon, "lat": lat})


_CANDIDATE_MAKERS = {
    "villages": _village_candidates,
    "zone_centres": _zone_centre_candidates,
    "road_nodes": _road_node_candidates,
}


def read_candidates(path: Path, issues: DataIssues | None = None) -> pd.DataFrame:
    """Read user candidate sites: lon/lat (any datum column) or points, and an optional name.

    Read by the shared point reader (:func:`carecircles.points.read_points`); rows without
    a usable position are excluded and recorded in ``issues``.
    """
    issues = DataIssues() if issues is None else issues
    points = read_points(path, issues, what="candidate")
    table, offset = points.table, int(points.rows[0])
    name_col = find_column(points.lookup, None, NAME_NAMES, points.path, "name", required=False)
    numbered = [f"候选点 {i + offset}" for i in range(len(table))]
    names = text_values(table[name_col], numbered) if name_col else numbered
    frame = pd.DataFrame({"name": list(names), "source": "file", "lon": points.lon, "lat": points.lat})
    return frame[points.keep].reset_index(drop=True)


def coverage_matrix(
    standard: Standard,
    network: Network,
    candidates: gpd.GeoDataFrame,
    demand: _Demand,
    options: object,
) -> sparse.csr_matrix:
    """Sparse boolean matrix: candidate ``i`` covers demand place ``j``.

    Time standards (and road-distance ones): one Dijkstra per chunk of candidates on the
    reversed graph, limited to the threshold; a place is covered when its walk to its road
    node + the network cost + the candidate's walk from its road is within the threshold, or
    when it can walk straight to the candidate within the snap radius. Straight-distance
    standards: pairs within the radius.
    """
    cx, cy = candidates["x"].to_numpy(), candidates["y"].to_numpy()
    n_c, n_d = len(cx), len(demand.x)
    if standard.metric == "distance" and standard.distance_kind == "straight":
        pairs = cKDTree(np.column_stack([cx, cy])).sparse_distance_matrix(
            cKDTree(np.column_stack([demand.x, demand.y])),
            standard.threshold + _EPS,
            output_type="coo_matrix",
        )
        return _boolean(pairs.row, pairs.col, (n_c, n_d))
    weight: Weight = "seconds" if standard.metric == "time" else "metres"
    budget = (standard.threshold_seconds if standard.metric == "time" else standard.threshold) + _EPS
    per_m = offroad_cost_per_metre(weight)
    snap = getattr(options, "snap_radius_m", 2000.0)
    fac_snap = getattr(options, "facility_snap_radius_m", 1000.0)
    rows, cols = _network_pairs(network, cx, cy, demand, weight, budget, per_m, snap, fac_snap)
    if weight == "seconds":  # the assessment lets people walk straight to a facility nearby
        reach = min(snap, budget / per_m)
        direct = cKDTree(np.column_stack([cx, cy])).sparse_distance_matrix(
            cKDTree(np.column_stack([demand.x, demand.y])), reach, output_type="coo_matrix"
        )
        rows, cols = np.concatenate([rows, direct.row]), np.concatenate([cols, direct.col])
    return _boolean(rows, cols, (n_c, n_d))


def _network_pairs(
    network: Network,
    cx: NDArray[np.float64],
    cy: NDArray[np.float64],
    demand: _Demand,
    weight: Weight,
    budget: float,
    per_m: float,
    snap: float,
    fac_snap: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    cnode, cdist = network.snap(cx, cy, fac_snap)
    access = access_cost(cdist, weight)
    dnode, doff = network.snap(demand.x, demand.y, snap)
    dcost = doff * per_m
    usable = np.flatnonzero((dnode >= 0) & (dcost <= budget))
    order = usable[np.lexsort((dcost[usable], dnode[usable]))]
    sorted_node, sorted_cost = dnode[order], dcost[order]
    span = budget + 1.0  # keys node*span + cost keep each node's places together, by cost
    keys = sorted_node * span + sorted_cost
    start = np.searchsorted(sorted_node, np.arange(network.n_nodes))
    matrix = network.seconds if weight == "seconds" else network.metres
    reverse = matrix.T.tocsr()
    chunk = max(1, _CHUNK_CELLS // max(network.n_nodes, 1))
    out_rows, out_cols = [], []
    valid = np.flatnonzero(cnode >= 0)
    for lo in range(0, len(valid), chunk):
        block = valid[lo : lo + chunk]
        dist = csgraph.dijkstra(reverse, directed=True, indices=cnode[block], limit=budget)
        b, node = np.nonzero(np.isfinite(dist))
        left = budget - dist[b, node] - access[block][b]
        ok = left >= 0
        b, node, left = b[ok], node[ok], left[ok]
        end = np.searchsorted(keys, node * span + left, side="right")
        count = end - start[node]
        total = int(count.sum())
        if total == 0:
            continue
        shift = np.repeat(start[node] - (np.cumsum(count) - count), count)
        out_rows.append(np.repeat(block[b], count))
        out_cols.append(order[shift + np.arange(total)])
    if not out_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_rows), np.concatenate(out_cols)


def _boolean(rows: NDArray, cols: NDArray, shape: tuple[int, int]) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _select(
    matrix: sparse.csr_matrix,
    demand: _Demand,
    candidates: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    options: SitingOptions,
    k: int | None,
) -> tuple[list[int], list[float], str]:
    weight = np.where(demand.covered, 0.0, demand.weight)
    stop_at = None
    if options.target_share is not None:
        needed = options.target_share * demand.population.sum() - (demand.population * demand.covered).sum()
        stop_at = max(needed, 0.0)
    groups = pd.Index(zones["zone_code"]).get_indexer(candidates["zone_code"])
    required = sorted(set(demand.zone[weight > 0].tolist())) if options.one_per_zone else []
    return greedy_max_cover(
        matrix,
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


def _site_table(chosen: gpd.GeoDataFrame, gains: list[float], demand: _Demand) -> pd.DataFrame:
    total = demand.population.sum()
    base = (demand.population * demand.covered).sum()
    cumulative = base + np.cumsum(gains) if gains else np.zeros(0)
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


def _scenarios(
    inputs: StudyInputs,
    facilities: gpd.GeoDataFrame,
    proposed: gpd.GeoDataFrame,
    standard: Standard,
    after: StudyResult,
) -> pd.DataFrame:
    """Per zone: covered population with existing, + planned, + proposed facilities."""
    quiet = DataIssues()
    existing = assess(inputs, _locked(facilities, False), polygons=False, issues=quiet)
    planned = assess(inputs, _locked(facilities, True), polygons=False, issues=quiet)
    columns = ["zone_code", "zone_name", "zone_type", "population"]
    out: pd.DataFrame | None = None
    for label, result in (("existing", existing), ("planned", planned), ("proposed", after)):
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


def _outreach(
    inputs: StudyInputs,
    standard: Standard,
    demand: _Demand,
    matrix: sparse.csr_matrix,
    owner: NDArray[np.int64],
    options: SitingOptions,
    stop_reason: str,
) -> pd.DataFrame:
    """List what is still uncovered after the proposed sites, and what to do about it."""
    covered = demand.covered | (owner >= 0)
    reachable = np.asarray(matrix.sum(axis=0)).ravel() > 0
    left = ~covered & (demand.population > 0)
    sparse_reason = "best remaining site" in stop_reason or "no candidate" in stop_reason
    why = np.where(
        ~reachable,
        "no candidate site reaches it: outreach (巡诊点/巡回医疗)",
        np.where(
            demand.population < options.min_demand,
            f"fewer than {options.min_demand:g} people: outreach (巡诊点/巡回医疗)",
            "outreach (巡诊点/巡回医疗): too few people for a fixed site"
            if sparse_reason
            else f"still uncovered ({stop_reason}): more sites or outreach",
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
                "zone_code": zone_codes[demand.zone[idx]],
                "zone_name": zone_names[demand.zone[idx]],
                "population": demand.population[idx],
                "lon": villages.geometry.x.round(6).to_numpy()[idx],
                "lat": villages.geometry.y.round(6).to_numpy()[idx],
                "recommendation": why[idx],
            }
        ).sort_values("population", ascending=False, ignore_index=True)
    # time standards: group what is left by zone and recommendation
    frame = pd.DataFrame(
        {
            "zone": demand.zone[left],
            "population": demand.population[left],
            "recommendation": why[left],
            "x": demand.x[left] * demand.population[left],
            "y": demand.y[left] * demand.population[left],
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


def _catchments(
    inputs: StudyInputs,
    demand: _Demand,
    owner: NDArray[np.int64],
    sites: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Polygons of the people each proposed site newly covers (in rank order)."""
    cells = inputs.cells
    if demand.cell is None or cells.grid is None or sites.empty:
        return gpd.GeoDataFrame(
            columns=["facility_id", "population", "geometry"], geometry="geometry", crs=4326
        )
    cell_owner = np.full(len(cells.population), -1, dtype=np.int64)
    cell_owner[demand.cell] = owner
    polygons = assessment.polygons_by_label(cells, cell_owner)
    polygons["facility_id"] = sites["facility_id"].to_numpy()[polygons["label"]]
    return polygons.dissolve(by="facility_id", aggfunc={"population": "sum"}, as_index=False)[
        ["facility_id", "population", "geometry"]
    ]


UPGRADE_TYPES = ("central_thc", "thc", "branch_thc")


def upgrade_ranking(
    inputs: StudyInputs,
    standard: Standard,
    facilities: gpd.GeoDataFrame,
    types: Sequence[str] = UPGRADE_TYPES,
) -> pd.DataFrame:
    """Rank township-level centres for upgrading to a county sub-centre (县域医疗次中心).

    The plans' criteria are reach and population (辐射范围广、人口相对集中, plan 004; 人口聚集程度、
    交通条件, plan 002): for each open centre, the people within the standard's threshold of it
    (reach, whoever is nearest) and the people for whom it is the nearest facility of the
    standard within the threshold (catchment). Ranked by reach, then catchment.
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
    network = inputs.networks[standard.mode]
    cells = inputs.cells
    in_scope = np.flatnonzero(assessment.applies(standard, inputs.zones["zone_type"].to_numpy())[cells.zone])
    demand = _Demand(
        x=cells.x[in_scope],
        y=cells.y[in_scope],
        weight=cells.population[in_scope],
        population=cells.population[in_scope],
        zone=cells.zone[in_scope],
        covered=np.zeros(len(in_scope), dtype=bool),
        cell=in_scope,
    )
    frame = centres.copy()
    frame["x"], frame["y"] = project_lonlat(centres.geometry.x, centres.geometry.y, inputs.crs)
    reach = coverage_matrix(standard, network, frame, demand, inputs.config.options) @ demand.population
    costs = nearest_facilities(inputs, facilities, DataIssues()).times(standard, demand.x, demand.y)
    nearest = facilities["facility_id"].to_numpy()[np.maximum(costs.facility, 0)]
    served = assessment.covered_mask(standard, costs.cost) & (costs.facility >= 0)
    catchment = pd.Series(demand.population[served]).groupby(nearest[served]).sum()
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


def _exact_report(
    matrix: sparse.csr_matrix, demand: _Demand, chosen: list[int], gains: list[float], options: SitingOptions
) -> dict[str, object]:
    weight = np.where(demand.covered, 0.0, demand.weight)
    k = max(len(chosen), 1)
    greedy_value = float(sum(gains))  # greedy's gains are marginal: their sum is what it covers
    best, best_value = exact_max_cover(matrix, weight, k, time_limit_s=options.exact_time_limit_s)
    cover_all = exact_set_cover(matrix, weight, time_limit_s=options.exact_time_limit_s)
    return {
        "k": k,
        "greedy_covered": round(greedy_value, 1),
        "optimal_covered": round(best_value, 1),
        "greedy_over_optimal": round(greedy_value / best_value, 4) if best_value else 1.0,
        "optimal_sites": [int(c) for c in best],
        "sites_to_cover_all_coverable": len(cover_all),
    }
