"""Siting: greedy against exact and brute force, coverage against the engine, the sample's figures."""

import itertools
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from carecircles._errors import DataIssues, InputError
from carecircles.analysis import assess, load_inputs, nearest_facilities
from carecircles.candidates import candidate_sites
from carecircles.covering import coverage_matrix, exact_max_cover, exact_set_cover, greedy_max_cover
from carecircles.siting import SitingOptions, _demand, _locked, site


def covered_weight(matrix, weight, chosen):
    if not chosen:
        return 0.0
    return float(weight[np.asarray(matrix[chosen].sum(axis=0)).ravel() > 0].sum())


def brute_force_best(matrix, weight, k):
    n = matrix.shape[0]
    return max(covered_weight(matrix, weight, list(c)) for c in itertools.combinations(range(n), min(k, n)))


@st.composite
def instances(draw):
    n_c = draw(st.integers(1, 8))
    n_d = draw(st.integers(1, 15))
    cells = draw(st.lists(st.booleans(), min_size=n_c * n_d, max_size=n_c * n_d))
    weight = np.array(draw(st.lists(st.integers(0, 100), min_size=n_d, max_size=n_d)), dtype=float)
    k = draw(st.integers(1, 4))
    return sparse.csr_matrix(np.array(cells, dtype=float).reshape(n_c, n_d)), weight, k


@settings(max_examples=40, deadline=None)
@given(instances())
def test_greedy_within_one_minus_one_over_e_of_exact(case):
    matrix, weight, k = case
    chosen, gains, _ = greedy_max_cover(matrix, weight, k=k)
    assert covered_weight(matrix, weight, chosen) == pytest.approx(sum(gains))
    best = brute_force_best(matrix, weight, k)
    exact = exact_max_cover(matrix, weight, k)
    assert exact.objective == pytest.approx(best)  # the integer program is right
    assert exact.proven and exact.bound == pytest.approx(best)
    assert sum(gains) >= (1 - 1 / np.e) * best - 1e-9
    assert sum(gains) <= best + 1e-9


def test_greedy_equals_exact_on_disjoint_sets():
    # candidates cover disjoint groups: greedy is optimal
    matrix = sparse.csr_matrix(np.kron(np.eye(4), np.ones((1, 3))))
    weight = np.array([5, 5, 5, 1, 1, 1, 9, 9, 9, 2, 2, 2], dtype=float)
    chosen, gains, _ = greedy_max_cover(matrix, weight, k=2)
    assert chosen == [2, 0] and gains == [27.0, 15.0]
    exact = exact_max_cover(matrix, weight, 2)
    assert exact.objective == 42.0 and sorted(exact.chosen) == [0, 2] and exact.proven


def test_greedy_stops_and_groups():
    matrix = sparse.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float))
    weight = np.array([100, 100, 30, 10], dtype=float)
    chosen, _, reason = greedy_max_cover(matrix, weight, k=None, min_gain=20)
    assert chosen == [0, 1] and reason == "below_outreach:20"
    chosen, _, reason = greedy_max_cover(matrix, weight, k=None, stop_at=200)
    assert chosen == [0] and reason == "target_reached"
    # one per group first: group 1 (candidate 2) gets a site although it is the weakest
    chosen, _, _ = greedy_max_cover(matrix, weight, k=2, groups=np.array([0, 0, 1]), required_groups=[1])
    assert chosen == [2, 0]


def test_set_cover_is_minimal():
    matrix = sparse.csr_matrix(
        np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], dtype=float)
    )
    result = exact_set_cover(matrix, np.ones(4))
    chosen = list(result.chosen)
    assert len(chosen) == 2 and result.objective == 2 and result.proven
    assert (np.asarray(matrix[chosen].sum(axis=0)).ravel() > 0).all()


@pytest.fixture(scope="module")
def inputs(sample_config):
    return load_inputs(sample_config)


def every_pair(inputs, standard, network, candidates, demand):
    """The coverage matrix of every candidate and every demand place (no pruning)."""
    return coverage_matrix(
        standard,
        network,
        candidates["x"].to_numpy(),
        candidates["y"].to_numpy(),
        demand.x,
        demand.y,
        snap_radius_m=inputs.config.options.snap_radius_m,
        facility_snap_radius_m=inputs.config.options.facility_snap_radius_m,
    )


@pytest.mark.parametrize("standard_id", ["rural-30min", "urban-15min", "village-2.5km"])
def test_matrix_of_the_gaps_is_the_full_matrix_on_uncovered_places(inputs, standard_id):
    """Pruning (covered places, candidates out of reach) drops nothing a site could gain."""
    from carecircles.siting import _coverage_of_uncovered, reach_bound_m

    standard = next(s for s in inputs.config.standards if s.id == standard_id)
    options = SitingOptions(standard=standard_id)
    demand = _demand(inputs, standard, _locked(inputs.facilities, True), options)
    network = inputs.networks[standard.mode if standard.metric == "time" else "walk"]
    candidates, _ = candidate_sites(inputs, network, options)
    study = inputs.config.options
    full = every_pair(inputs, standard, network, candidates, demand)
    expected = (full @ sparse.diags((~demand.covered).astype(float))).tocsr()
    expected.eliminate_zeros()
    pruned = _coverage_of_uncovered(standard, network, candidates, demand, study).matrix()
    assert pruned.shape == full.shape and expected.nnz > 50
    assert (pruned != expected).nnz == 0
    # the bound is a bound: no covered pair is farther apart in a straight line
    pairs = full.tocoo()
    apart = np.hypot(
        candidates["x"].to_numpy()[pairs.row] - demand.x[pairs.col],
        candidates["y"].to_numpy()[pairs.row] - demand.y[pairs.col],
    )
    assert apart.max() <= reach_bound_m(standard, network, study)


@pytest.mark.slow
@pytest.mark.parametrize("standard_id", ["rural-30min", "urban-15min"])
def test_coverage_matrix_rows_equal_the_engine(inputs, standard_id):
    """Each candidate's row = the places the assessment engine covers with that site added."""
    standard = next(s for s in inputs.config.standards if s.id == standard_id)
    options = SitingOptions(standard=standard_id)
    locked = _locked(inputs.facilities, True)
    demand = _demand(inputs, standard, locked, options)
    network = inputs.networks[standard.mode]
    candidates, _ = candidate_sites(inputs, network, options)
    matrix = every_pair(inputs, standard, network, candidates, demand)
    assert matrix.nnz < 0.2 * matrix.shape[0] * matrix.shape[1]  # sparse, not dense
    rng = np.random.default_rng(1)
    picks = rng.choice(len(candidates), size=8, replace=False)
    for c in picks:
        alone = gpd.GeoDataFrame(
            {
                "facility_id": ["X"],
                "name": ["x"],
                "type": [standard.facility_types[0]],
                "status": ["existing"],
                "used": [True],
                "row": [1],
            },
            geometry=candidates.geometry.to_numpy()[[c]],
            crs=4326,
        )
        engine = nearest_facilities(inputs, alone, DataIssues())
        costs = engine.times(standard, demand.x, demand.y)
        expected = np.flatnonzero(costs.cost <= standard.threshold_seconds + 1e-6)
        row = np.sort(matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]])
        np.testing.assert_array_equal(row, expected)


@pytest.mark.slow
def test_three_township_clinics_raise_rural_share_as_recomputed(inputs):
    result = site(inputs, SitingOptions(standard="rural-30min", k=3, exact=True))
    assert len(result.sites) == 3
    before, total = result.baseline_covered, result.total_population
    gained = result.sites["newly_covered"].sum()
    assert gained > 500
    # brute-force recomputation: assess again from scratch with the proposed sites as facilities
    proposed = result.after.facilities[result.after.facilities["status"] == "proposed"]
    locked = _locked(inputs.facilities, True)
    again = assess(
        inputs, pd.concat([locked, proposed], ignore_index=True), polygons=False, issues=DataIssues()
    )
    row = again.zone_results[
        (again.zone_results["standard"] == "rural-30min") & (again.zone_results["zone_code"] == "ALL")
    ].iloc[0]
    assert row["covered_population"] == pytest.approx(before + gained, abs=0.5)
    assert result.sites["cumulative_share"].iloc[-1] == pytest.approx(
        row["covered_population"] / total, abs=1e-4
    )
    # scenarios: existing <= planned <= proposed in every zone
    sc = result.scenarios
    assert (sc["covered_planned"] >= sc["covered_existing"] - 1e-6).all()
    assert (sc["covered_proposed"] >= sc["covered_planned"] - 1e-6).all()
    exact = result.exact
    best, cover_all = exact["max_cover"], exact["set_cover"]
    assert best["status"] == "optimal" and best["proven_optimal"] and best["gap"] == 0
    assert best["covered"] == best["bound"] >= exact["greedy_covered"] == pytest.approx(gained, abs=0.5)
    assert exact["greedy_share_of_bound"] >= 1 - 1 / np.e
    assert cover_all["proven_optimal"] and cover_all["sites_needed"] == len(cover_all["sites"]) >= 3
    # the catchments carry exactly the people each site newly covers
    np.testing.assert_allclose(
        result.catchments.set_index("facility_id")["population"].sort_index(),
        result.sites.set_index("facility_id")["newly_covered"].sort_index(),
        atol=0.1,
    )


@pytest.mark.slow
def test_village_clinics_cover_every_village_above_n(inputs):
    n = 200
    result = site(
        inputs,
        SitingOptions(
            standard="village-2.5km", k=None, min_demand=n, outreach_below=0, candidates=("villages",)
        ),
    )
    proposed = result.after.facilities[result.after.facilities["status"] == "proposed"]
    assert (proposed["type"] == "village_clinic").all()
    villages = result.after.villages
    big = villages["population"] >= n
    assert (villages.loc[big, "village-2.5km_status"] == "fixed").all()
    rest = villages[~(villages["village-2.5km_status"] == "fixed")]
    assert set(rest["village_id"]) == set(result.outreach["id"])
    assert (result.outreach["population"] < n).all()
    from carecircles.labels import recommendation_text

    codes = result.outreach["recommendation"]
    assert codes.str.match(r"^(unreachable|few_people:\d+|sparse|more_sites:\w+)").all()  # codes
    assert all("巡诊" in recommendation_text(c, "zh") for c in codes)  # and in words for a reader
    assert not any(recommendation_text(c, "en") == c for c in codes)


@pytest.mark.slow
def test_one_site_per_zone_and_candidate_file(inputs, tmp_path):
    from carecircles.coords import from_wgs84

    lon, lat = from_wgs84(126.60, 42.30, "gcj02")
    path = tmp_path / "candidates.csv"
    path.write_text(
        f"name,lng,lat,crs\n花园口候选,{float(lon):.7f},{float(lat):.7f},gcj02\n县外,131.0,45.0,wgs84\n",
        encoding="utf-8",
    )
    result = site(
        inputs,
        SitingOptions(
            standard="rural-30min",
            k=8,
            one_per_zone=True,
            outreach_below=1,
            candidates=("zone_centres",),
            candidate_file=path,
        ),
    )
    gaps = result.scenarios[
        (result.scenarios["zone_code"] != "ALL")
        & (result.scenarios["covered_planned"] < result.scenarios["population"] - 1)
    ]
    helped = set(result.sites["zone_code"])
    # every zone with people left uncovered got a site, if any candidate there added someone
    assert len(helped & set(gaps["zone_code"])) >= min(len(gaps), 5)
    assert result.candidates_excluded >= 1  # the point outside the county
    assert any("outside the study area" in i.message for i in inputs.issues.items)


def test_unknown_standard_is_a_clear_error(inputs):
    with pytest.raises(InputError, match="not in the study config"):
        site(inputs, SitingOptions(standard="nope"))


@pytest.mark.slow
def test_cli_site(tmp_path):
    out, page = tmp_path / "out", tmp_path / "site.html"
    done = subprocess.run(
        [sys.executable, "-m", "carecircles.cli", "site", "--k", "2", "--out", str(out), "--map", str(page)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "花园口镇" in done.stdout and "→" in done.stdout
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert len(sites) == 2 and sites["newly_covered"].is_monotonic_decreasing
    assert page.exists() and "NEW-02" in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_run_with_a_siting_section(tmp_path):
    from _helpers import write_study

    config = write_study(
        tmp_path,
        siting=[
            {
                "standard": "village-2.5km",
                "k": None,
                "min_demand": 200,
                "outreach_below": 0,
                "candidates": ["villages"],
            }
        ],
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "carecircles.cli",
            "run",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--map",
            str(tmp_path / "m.html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "村卫生室2.5公里服务半径" in done.stdout and "[10/11] 选址：village-2.5km" in done.stderr
    sites = pd.read_csv(tmp_path / "out" / "siting-village-2.5km" / "sites.csv", encoding="utf-8-sig")
    assert len(sites) >= 5
    # the siting map sits beside the study map, named after the study and the standard
    assert (tmp_path / "synthetic-jingyu-siting-village-2.5km.html").exists()


@pytest.mark.slow
def test_upgrade_ranking_reach_equals_engine_alone(inputs):
    from carecircles.siting_tables import upgrade_ranking

    standard = next(s for s in inputs.config.standards if s.id == "rural-30min")
    locked = _locked(inputs.facilities, True)
    ranking = upgrade_ranking(inputs, standard, locked)
    assert set(ranking["type"]) <= {"central_thc", "thc", "branch_thc"}
    assert ranking["reach_population"].is_monotonic_decreasing
    assert (ranking["catchment_population"] <= ranking["reach_population"] + 0.5).all()
    top = ranking.iloc[0]
    alone = locked[locked["facility_id"] == top["facility_id"]]
    engine = nearest_facilities(inputs, alone, DataIssues())
    cells = inputs.cells
    rural = (inputs.zones["zone_type"].to_numpy() == "rural")[cells.zone]
    costs = engine.times(standard, cells.x[rural], cells.y[rural])
    reach = cells.population[rural][costs.cost <= standard.threshold_seconds + 1e-6].sum()
    assert top["reach_population"] == pytest.approx(reach, abs=0.5)
