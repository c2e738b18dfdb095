"""Speed scenarios (winter) beside the base case, and a flat DEM that changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from carecircles._errors import DataIssues, InputError
from carecircles.analysis import load_inputs, run_study
from carecircles.config import load_config
from carecircles.map_content import MapData
from carecircles.network import DEFAULT_SPEEDS_KMH, build_network
from carecircles.outputs import SCENARIO_COLUMNS, write_outputs, zone_report
from carecircles.scenarios import class_factors, scenario_networks

from _helpers import write_study


def test_winter_lowers_rural_coverage_side_by_side_in_zones_csv(sample_result, tmp_path):
    assert list(sample_result.scenarios) == ["winter"]
    table = zone_report(sample_result)
    for column in SCENARIO_COLUMNS:
        assert f"winter_{column}" in table
    rural = table[(table["standard"] == "rural-30min") & (table["zone_code"] == "ALL")].iloc[0]
    assert rural["winter_covered_share"] < rural["covered_share"] - 0.05
    assert rural["winter_uncovered_population"] > rural["uncovered_population"]
    # people are conserved zone by zone in the scenario too
    time = table[table["standard"].isin(["rural-30min", "urban-15min", "emergency-2h"])]
    assert (
        time["winter_covered_population"] + time["winter_uncovered_population"] == time["population"]
    ).all()
    # road distances do not depend on speeds: the 2.5 km standard is the same in winter
    village = table[table["standard"] == "village-2.5km"]
    assert (village["winter_covered_population"] == village["covered_population"]).all()
    paths = write_outputs(sample_result, tmp_path, documents=False)
    written = pd.read_csv(paths["zones"], dtype={"zone_code": str})
    assert written["winter_covered_share"].equals(table["winter_covered_share"])


def test_workbook_has_the_winter_columns(sample_result):
    from carecircles.handover import workbook_tables

    zones = workbook_tables(sample_result, "zh")["zones"]
    table = zone_report(sample_result)
    rural = table[(table["standard"] == "rural-30min") & (table["zone_code"] == "ALL")].iloc[0]
    row = zones[(zones["区域代码"] == "ALL") & zones["标准"].str.startswith("农村30分钟")].iloc[0]
    assert row["未覆盖人口（冬季积雪）"] == rural["winter_uncovered_population"]
    assert row["结果（冬季积雪）"] == "未达标"


def test_report_and_map_show_the_winter_case(sample_result):
    from carecircles.report import build_report

    _, markdown = build_report(sample_result, lang="zh")
    section = markdown[markdown.index("## 情景比较") :]
    assert "冬季积雪：步行速度 ×0.8；电动车/摩托车 其余道路 ×0.7，track ×0.5" in section
    tracks = int((sample_result.roads.highway == "track").sum())  # counted here from the roads read
    assert sample_result.scenarios["winter"].closed_segments == tracks > 0
    assert f"封闭道路 track（{tracks:,} 段）" in section
    people = zone_report(sample_result)
    rural = people[(people["standard"] == "rural-30min") & (people["zone_code"] == "ALL")].iloc[0]
    base = f"{np.floor(rural['covered_share'] * 1000) / 10:.1f}%"
    winter = f"{np.floor(rural['winter_covered_share'] * 1000) / 10:.1f}%"
    line = next(x for x in section.splitlines() if x.startswith("| 全部区域") and winter in x)
    more = rural["winter_uncovered_population"] - rural["uncovered_population"]
    assert base in line and f"+{more:,}" in line
    data = MapData(sample_result, "zh", 1e-4, None).build()
    ids = [s["id"] for s in data["standards"]]
    assert "rural-30min@winter" in ids and "village-2.5km@winter" not in ids
    choice = data["standards"][ids.index("rural-30min@winter")]
    assert choice["name"].endswith("（冬季积雪）") and winter in choice["summary"]
    assert len(choice["areas"]) == (
        (sample_result.scenarios["winter"].gaps["standard"] == "rural-30min").sum()
    )
    zone = next(z for z in data["zones"] if z["id"] == "220622101")
    assert {"rural-30min", "rural-30min@winter"} <= set(zone["properties"]["cls"])


def test_scenario_networks_are_the_default_speeds_times_the_factors(sample_config):
    inputs = load_inputs(sample_config)
    winter = sample_config.scenarios[0]
    assert class_factors(winter, "ebike")["track"] == 0.0  # closed
    assert class_factors(winter, "walk") == {"*": 0.8, "track": 0.0}
    networks = scenario_networks(inputs, winter, DataIssues())
    slowed = {c: v * (0.0 if c == "track" else 0.7) for c, v in DEFAULT_SPEEDS_KMH["ebike"].items()}
    manual = build_network(
        inputs.roads, "ebike", inputs.crs, DataIssues(), speeds=slowed, terrain=inputs.terrain
    )
    got = networks["ebike"].seconds
    assert got.shape == manual.seconds.shape
    assert np.allclose(got.toarray()[got.toarray() > 0], manual.seconds.toarray()[got.toarray() > 0])
    assert networks["walk"].offroad_kmh == pytest.approx(4.5 * 0.8)


def test_a_flat_dem_reproduces_the_results_without_one_exactly(tmp_path):
    """A level GeoTIFF in UTM (not the sample DEM's degrees): every figure as without a DEM."""
    crs = "EPSG:32652"
    dem = tmp_path / "flat.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=1100,
        height=900,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(270_000, 4_740_000, 100.0, 100.0),
        nodata=-32768,
    ) as dst:
        dst.write(np.full((900, 1100), 612.5, dtype="float32"), 1)
    base = tmp_path / "base"
    base.mkdir()
    flat = tmp_path / "flat"
    flat.mkdir()
    without = run_study(load_config(write_study(base, scenarios=None, terrain=None, inputs__dem=None)))
    with_flat = run_study(load_config(write_study(flat, scenarios=None, inputs__dem=str(dem))))
    pd.testing.assert_frame_equal(without.zone_results, with_flat.zone_results, check_exact=True)
    pd.testing.assert_frame_equal(
        without.villages.drop(columns="geometry"),
        with_flat.villages.drop(columns="geometry"),
        check_exact=True,
    )


def test_the_sample_dem_slows_the_rural_circle(tmp_path):
    shares = []
    for name, changes in (("flat", {"terrain": None, "inputs__dem": None}), ("dem", {})):
        folder = tmp_path / name
        folder.mkdir()
        rows = run_study(load_config(write_study(folder, scenarios=None, **changes))).zone_results
        rural = rows[(rows["standard"] == "rural-30min") & (rows["zone_code"] == "ALL")]
        shares.append(float(rural["covered_share"].iloc[0]))
    assert shares[1] < shares[0] - 0.01


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"terrain": {"walk": "tobler"}, "inputs__dem": None}, "terrain section needs a DEM"),
        ({"terrain": {"walk": "toblr"}}, "did you mean 'tobler'"),
        ({"scenarios": [{"id": "winter", "closed": ["trak"]}]}, "did you mean 'track'"),
        ({"scenarios": [{"id": "winter", "speed_factor": {}}]}, "did you mean 'speed_factors'"),
        ({"scenarios": [{"id": "winter", "speed_factors": {"ebik": 0.5}}]}, "did you mean 'ebike'"),
        ({"scenarios": [{"id": "winter", "walk_factor": 0}]}, "greater than 0"),
        ({"scenarios": [{"id": "w"}, {"id": "w"}]}, "listed twice"),
        ({"inputs__dem": []}, "dem"),
    ],
)
def test_terrain_and_scenario_typos_are_errors(tmp_path, change, words):
    with pytest.raises(InputError) as caught:
        load_config(write_study(tmp_path, **change))
    assert words in str(caught.value)


def test_a_missing_dem_file_is_a_clear_error(tmp_path):
    config = load_config(write_study(tmp_path, inputs__dem=str(tmp_path / "nope.tif")))
    with pytest.raises(InputError) as caught:
        run_study(config)
    assert "DEM file not found" in str(caught.value) and "nope.tif" in str(caught.value)


def test_check_reads_the_dem_as_a_run_does(tmp_path):
    from carecircles.check import check_config

    from _helpers import shared_file

    items = check_config(write_study(tmp_path))
    dem = [i for i in items if i.what == "dem"]
    assert [i.status for i in dem] == ["ok", "ok"] and "466" in dem[1].zh
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    items = check_config(write_study(wrong, inputs__dem=str(shared_file("N50E011.hgt.zip"))))
    coverage = next(i for i in items if i.what == "dem" and i.aspect == "coverage")
    assert coverage.status == "fail" and "N42E126" in coverage.en and "N42E127" in coverage.en
