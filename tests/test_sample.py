"""End to end on the bundled synthetic county, checked against independent computations."""

import json
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from carecircles._errors import DataIssues
from carecircles.outputs import sha256, write_outputs
from carecircles.population import read_population_raster
from carecircles.roads import read_roads

from _reference import costs_to_facilities

pytestmark = pytest.mark.slow


def rows(result, standard):
    table = result.zone_results
    return table[(table["standard"] == standard) & (table["zone_code"] != "ALL")].set_index("zone_code")


def test_sample_run_is_fast(sample_config):
    from carecircles.analysis import run_study

    start = time.perf_counter()
    run_study(sample_config)
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("standard_id", ["rural-30min", "urban-15min"])
def test_zone_figures_agree_with_networkx_reference(flat_result, flat_config, standard_id):
    sample_result, sample_config = flat_result, flat_config  # the reference is flat: no DEM
    standard = next(s for s in sample_config.standards if s.id == standard_id)
    facilities = sample_result.facilities
    chosen = facilities[facilities["used"] & facilities["type"].isin(standard.facility_types)]
    roads = read_roads(sample_config.roads, DataIssues())
    cells = read_population_raster(
        sample_config.population, sample_result.zones, sample_result.crs, DataIssues()
    )
    lon, lat = _cell_lonlat(cells, sample_result.crs)
    reference = costs_to_facilities(
        roads,
        standard.mode,
        chosen.geometry.x,
        chosen.geometry.y,
        lon,
        lat,
        sample_result.crs,
        snap_radius=sample_config.options.snap_radius_m,
        fac_snap_radius=sample_config.options.facility_snap_radius_m,
    )
    covered = reference <= standard.threshold * 60
    zones = sample_result.zones
    expected = pd.Series(
        np.bincount(cells.zone, weights=cells.population * covered, minlength=len(zones)),
        index=zones["zone_code"],
    )
    ours = rows(sample_result, standard_id)["covered_population"]
    # geodesic vs UTM lengths differ by ~1e-4: only cells within seconds of the threshold may differ
    diff = (ours - expected[ours.index]).abs()
    assert (diff <= 0.002 * rows(sample_result, standard_id)["population"] + 1).all(), diff
    assert ours.sum() > 0 and (rows(sample_result, standard_id)["covered_share"] < 1).any()


def _cell_lonlat(cells, crs):
    from pyproj import Transformer

    return Transformer.from_crs(crs, 4326, always_xy=True).transform(cells.x, cells.y)


def test_village_straight_distances_brute_force(sample_result):
    villages = sample_result.villages
    facilities = sample_result.facilities
    fixed = facilities[
        facilities["used"]
        & facilities["type"].isin(
            ["village_clinic", "chs_station", "central_thc", "thc", "branch_thc", "chsc"]
        )
    ]
    geod = Geod(ellps="WGS84")
    vlon, vlat = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    flon, flat = fixed.geometry.x.to_numpy(), fixed.geometry.y.to_numpy()
    _, _, dist = geod.inv(
        np.repeat(vlon, len(flon)),
        np.repeat(vlat, len(flon)),
        np.tile(flon, len(vlon)),
        np.tile(flat, len(vlon)),
    )
    nearest = dist.reshape(len(vlon), len(flon)).min(axis=1)
    # UTM scale error near the zone's edge is < 0.1 %; distances are rounded to 1 m
    np.testing.assert_allclose(villages["clinic_straight_m"], nearest, rtol=1e-3, atol=1.0)
    beyond = nearest > 2500 * 1.001
    status = villages["village-2.5km_status"].to_numpy()
    assert (status[beyond] != "fixed").all()
    assert (status[nearest < 2500 * 0.999] == "fixed").all()


def test_village_road_distances_networkx(sample_result, sample_config):
    villages = sample_result.villages
    facilities = sample_result.facilities
    fixed = facilities[
        facilities["used"]
        & facilities["type"].isin(
            ["village_clinic", "chs_station", "central_thc", "thc", "branch_thc", "chsc"]
        )
    ]
    roads = read_roads(sample_config.roads, DataIssues())
    reference = costs_to_facilities(
        roads,
        "walk",
        fixed.geometry.x,
        fixed.geometry.y,
        villages.geometry.x,
        villages.geometry.y,
        sample_result.crs,
        snap_radius=sample_config.options.snap_radius_m,
        fac_snap_radius=sample_config.options.facility_snap_radius_m,
        weight="m",
        direct_walk=False,
    )
    reference = np.where(reference <= sample_config.options.road_distance_limit_m, reference, np.inf)
    ours = villages["clinic_road_m"].to_numpy(dtype=float)
    finite = np.isfinite(reference)
    assert (np.isfinite(ours) == finite).all()
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=2e-3, atol=1.0)
    # by road is never shorter than in a straight line
    assert (ours[finite] >= villages["clinic_straight_m"].to_numpy()[finite] - 1).all()


def test_sample_has_real_gaps(sample_result):
    table = sample_result.zone_results.set_index(["standard", "zone_code"])
    assert table.loc[("rural-30min", "ALL"), "covered_share"] < 0.99
    assert table.loc[("urban-15min", "ALL"), "covered_share"] < 0.99
    status = sample_result.villages["village-2.5km_status"].value_counts()
    assert status.get("none", 0) >= 3 and status.get("outreach_only", 0) >= 1 and status["fixed"] > 80
    assert 105_000 < sample_result.counts["population"] < 115_000
    assert 100 <= len(sample_result.villages) <= 120


def test_gap_polygons_carry_the_table_figures(sample_result):
    """The map's polygons and the tables come from the same cells: their sums agree."""
    areas = sample_result.areas
    for standard in ("rural-30min", "urban-15min"):
        table = rows(sample_result, standard)
        for status, column in (("uncovered", "uncovered_population"), ("covered", "covered_population")):
            part = areas[(areas["standard"] == standard) & (areas["status"] == status)]
            by_zone = part.groupby("zone_code")["population"].sum().reindex(table.index, fill_value=0)
            np.testing.assert_allclose(by_zone, table[column], rtol=1e-9, atol=1e-6)
        gaps = areas[(areas["standard"] == standard) & (areas["status"] == "uncovered")]
        assert gaps.geometry.is_valid.all() and (gaps.to_crs(sample_result.crs).area > 0).all()


def test_outreach_kept_apart_from_fixed(sample_result):
    table = rows(sample_result, "village-2.5km")
    villages = sample_result.villages
    fixed_pop = villages[villages["village-2.5km_status"] == "fixed"].groupby("zone_code")["population"].sum()
    np.testing.assert_allclose(table["covered_population"], fixed_pop.reindex(table.index, fill_value=0))
    assert (
        table["villages_fixed"] + table["villages_outreach_only"] + table["villages_none"]
        == table["villages"]
    ).all()


def test_data_issues_include_the_repaired_swap(sample_result):
    table = sample_result.issues.to_frame()
    swap = table[table["message"].str.contains("swapped")]
    assert len(swap) == 1 and swap.iloc[0]["row"] > 1


def test_outputs_written_and_manifest_checksums(sample_result, sample_config, tmp_path):
    paths = write_outputs(sample_result, tmp_path / "out")
    zones = pd.read_csv(paths["zones"], encoding="utf-8-sig", dtype={"zone_code": str})
    assert {"urban-15min", "rural-30min", "village-2.5km"} <= set(zones["standard"])
    assert zones["zone_code"].str.startswith("2206").sum() > 10
    villages = pd.read_csv(paths["villages"], encoding="utf-8-sig")
    assert len(villages) == len(sample_result.villages)
    gaps = gpd.read_file(paths["gaps"])
    assert len(gaps) > 0 and gaps.crs.to_epsg() == 4326
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    for entry in manifest["inputs"].values():
        assert entry["sha256"] == sha256(__import__("pathlib").Path(entry["path"]))
    assert {s["id"] for s in manifest["standards"]} >= {"urban-15min", "rural-30min", "village-2.5km"}
    assert all("seeds/" in s["source"] for s in manifest["standards"])
    assert manifest["versions"]["scipy"]
    issues = pd.read_csv(paths["data_issues"], encoding="utf-8-sig")
    assert len(issues) == len(sample_result.issues)


def test_cli_runs_the_sample(tmp_path):
    out, page = tmp_path / "out", tmp_path / "maps" / "sample.html"
    done = subprocess.run(
        [sys.executable, "-m", "carecircles.cli", "run", "--out", str(out), "--map", str(page)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "rural-30min" in done.stdout and "覆盖率" in done.stdout
    assert "指标" in done.stdout and "乡镇级中心服务负荷" in done.stdout  # the scorecard
    assert not [line for line in done.stdout.splitlines() if "100.0%" in line and "未达标" in line]
    assert (out / "scorecard.csv").exists() and (out / "catchments.csv").exists()
    assert "[10/10]" in done.stderr and "合成数据" in done.stderr
    for name in ("report.pdf", "report.docx", "tables.xlsx", "figures.pdf", "figure-rural-30min.png"):
        assert (out / name).exists(), name  # the hand-over files (CI has chromium and CJK fonts)
    assert page.exists() and (out / "zones.csv").exists()
    html = page.read_text(encoding="utf-8")
    assert "合成示例数据" in html and "leaflet" in html.lower()


def test_cli_reports_bad_config_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "carecircles.cli", "run", str(tmp_path / "missing.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "missing.yml" in done.stderr and "Traceback" not in done.stderr


def test_covered_bands_match_cell_times(sample_result, sample_config):
    """Each band polygon's people are the cells whose time falls in that band (0-10-20-30 min)."""
    from carecircles.analysis import load_inputs, nearest_facilities

    inputs = load_inputs(sample_config)
    standard = next(s for s in sample_config.standards if s.id == "rural-30min")
    engine = nearest_facilities(inputs, sample_result.facilities, DataIssues())
    costs = engine.times(standard, inputs.cells.x, inputs.cells.y)
    rural = (inputs.zones["zone_type"].to_numpy() == "rural")[inputs.cells.zone]
    minutes = costs.cost[rural] / 60
    people = inputs.cells.population[rural]
    areas = sample_result.areas
    covered = areas[(areas["standard"] == "rural-30min") & (areas["status"] == "covered")]
    by_band = covered.groupby("band_minutes")["population"].sum()
    assert list(by_band.index) == [10.0, 20.0, 30.0]
    for low, high in ((0, 10), (10, 20), (20, 30)):
        expected = people[(minutes > low + 1e-9 if low else minutes >= 0) & (minutes <= high + 1e-8)].sum()
        assert by_band[float(high)] == pytest.approx(expected, rel=1e-6)


def _marking(monkeypatch, fail_roads: bool) -> list[str]:
    """Wrap the two readers so that each adds a marker issue, and say which thread ran each."""
    import threading

    import carecircles.analysis as analysis

    threads: list[str] = []
    read_people, read_roads_ = analysis._people, analysis.read_roads

    def people(config, zones, crs, issues):
        threads.append(f"people:{threading.current_thread().name}")
        time.sleep(0.3)  # still reading when the roads are done (or fail)
        issues.add("info", "population", "people marker", zh="人口标记")
        return read_people(config, zones, crs, issues)

    def roads(path, issues, **options):
        threads.append(f"roads:{threading.current_thread().name}")
        issues.add("info", "roads", "roads marker", zh="道路标记")
        if fail_roads:
            raise analysis.InputError("the road file is broken", path=path)
        return read_roads_(path, issues, **options)

    monkeypatch.setattr(analysis, "_people", people)
    monkeypatch.setattr(analysis, "read_roads", roads)
    return threads


def test_population_is_read_beside_the_roads_and_its_issues_follow_theirs(sample_config, monkeypatch):
    from carecircles.analysis import load_inputs

    threads = _marking(monkeypatch, fail_roads=False)
    inputs = load_inputs(sample_config)
    assert sorted(t.split(":")[0] for t in threads) == ["people", "roads"]
    assert "roads:MainThread" in threads and "people:MainThread" not in threads
    messages = [i.message for i in inputs.issues.items]
    assert messages.index("roads marker") < messages.index("people marker")
    assert inputs.cells.total > 0


def test_a_stop_while_reading_roads_keeps_the_populations_issues(sample_config, monkeypatch):
    from carecircles.analysis import InputError, load_inputs

    _marking(monkeypatch, fail_roads=True)
    issues = DataIssues()
    with pytest.raises(InputError, match="road file is broken"):
        load_inputs(sample_config, issues=issues)
    messages = [i.message for i in issues.items]
    assert messages.index("roads marker") < messages.index("people marker")  # waited for, then kept


def test_the_kept_near_facility_places_give_the_same_times(sample_config, monkeypatch):
    """Straight walks looked up only for places near some facility: every time as before."""
    import carecircles.network as network_module
    from carecircles.analysis import load_inputs, nearest_facilities

    inputs = load_inputs(sample_config)
    cells = inputs.cells
    found = {}
    for keep in (10**12, 1_000):  # never kept / kept for the sample's cells
        monkeypatch.setattr(network_module, "KEEP_SNAP_POINTS", keep)
        nearest = nearest_facilities(inputs, inputs.facilities, DataIssues())
        found[keep] = [
            nearest.times(s, cells.x, cells.y) for s in inputs.config.standards if s.metric == "time"
        ]
        assert (nearest._kept_near.get(cells.x, cells.y) is not None) == (keep == 1_000)
    assert len(cells.x) > 1_000
    for plain, kept in zip(found[10**12], found[1_000], strict=True):
        np.testing.assert_array_equal(plain.cost, kept.cost)
        np.testing.assert_array_equal(plain.facility, kept.facility)
        assert plain.direct.any()  # straight walks happen in the sample: the lookup matters


def test_a_mode_that_cannot_be_built_keeps_the_issues_that_explain_it(sample_config):
    """Networks are built in threads: when one fails, every mode's issues still reach the run's."""
    from types import SimpleNamespace

    from carecircles._crs import utm_crs
    from carecircles.analysis import InputError, _networks
    from carecircles.roads import read_roads

    roads = read_roads(sample_config.roads, DataIssues(), **sample_config.road_options)
    config = SimpleNamespace(
        standards=[SimpleNamespace(mode="walk", metric="time"), SimpleNamespace(mode="zbus", metric="time")],
        speeds={"zbus": {"nosuchclass": 30.0}},  # a mode no road of the sample can carry
    )
    issues = DataIssues()
    with pytest.raises(InputError):
        _networks(config, roads, utm_crs(126.8, 42.4), issues, None)  # the sample county's UTM zone
    assert any("nosuchclass" in i.message for i in issues.items)
