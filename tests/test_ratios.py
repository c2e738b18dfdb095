"""Resource columns and ratios against hand counts and a brute-force loop on hand-made studies."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from carecircles._errors import DataIssues
from carecircles.plans import INDICATORS, PLANS, RATIO_TARGETS, plan_targets
from carecircles.ratios import resource_ratios, shown
from carecircles.resources import resource_columns, resource_values
from carecircles.scorecard import scorecard_frame

ZONES = [  # code, name, type, box
    ("101", "甲镇", "rural", (126.00, 42.00, 126.10, 42.10)),
    ("102", "乙镇", "rural", (126.10, 42.00, 126.20, 42.10)),
    ("001", "东街道", "urban", (126.00, 42.10, 126.10, 42.20)),
]
POPULATION = pd.Series({"101": 20_000.0, "102": 10_000.0, "001": 50_000.0})


def zones_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "zone_code": [z[0] for z in ZONES],
            "zone_name": [z[1] for z in ZONES],
            "zone_type": [z[2] for z in ZONES],
        },
        geometry=[shapely.box(*z[3]) for z in ZONES],
        crs=4326,
    )


def facilities_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    frame["facility_id"] = [f"F{i + 1:02d}" for i in range(len(rows))]
    frame["name"] = [r.get("name", f"机构{i + 1}") for i, r in enumerate(rows)]
    frame["type"] = [r.get("type", "thc") for r in rows]
    frame["status"] = [r.get("status", "existing") for r in rows]
    frame["used"] = frame["status"].isin(("existing", "relocating"))
    frame["row"] = np.arange(2, len(rows) + 2)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


# a hand-counted county: 甲镇 300 + 20 beds, 乙镇 10 (+ a closed 100), 东街道 200; one outside
HAND = [
    {
        "name": "县医院",
        "type": "county_hospital",
        "lon": 126.05,
        "lat": 42.15,
        "beds": "200",
        "doctors": "60",
    },
    {"name": "甲镇卫生院", "lon": 126.05, "lat": 42.05, "beds": "300", "doctors": "10"},
    {"name": "甲镇民营医院", "type": "other", "lon": 126.06, "lat": 42.06, "beds": "20", "doctors": "2"},
    {"name": "乙镇卫生院", "lon": 126.15, "lat": 42.05, "beds": "10", "doctors": "3"},
    {"name": "乙镇旧院", "lon": 126.16, "lat": 42.05, "beds": "100", "doctors": "30", "status": "closed"},
    {
        "name": "邻县医院",
        "type": "county_hospital",
        "lon": 126.25,
        "lat": 42.05,
        "beds": "999",
        "doctors": "99",
    },
]


def _hand():
    facilities = facilities_frame([dict(r) for r in HAND])
    for column in ("nurses", "gps", "pharmacists"):
        facilities[column] = "1"
    return facilities


def test_hand_counted_ratios_per_zone_and_county():
    issues = DataIssues()
    ratios = resource_ratios(_hand(), zones_frame(), POPULATION, issues=issues, source="f.csv")
    beds = ratios.table[ratios.table["indicator"] == "beds_per_1000"].set_index("zone_code")
    # by hand: 甲镇 (300 + 20) / 20,000 × 1000 = 16; 乙镇 10 / 10,000 = 1; 东街道 200 / 50,000 = 4
    assert beds["value"].to_dict() == pytest.approx({"101": 16.0, "102": 1.0, "001": 4.0, "ALL": 530 / 80})
    assert beds["amount"].to_dict() == {"101": 320.0, "102": 10.0, "001": 200.0, "ALL": 530.0}
    assert beds["facilities"].to_dict() == {"101": 2, "102": 1, "001": 1, "ALL": 4}
    assert beds["passes"].astype(bool).to_dict() == {"101": True, "102": False, "001": False, "ALL": False}
    doctors = ratios.table[ratios.table["indicator"] == "doctors_per_1000"].set_index("zone_code")
    assert doctors.loc["ALL", "value"] == pytest.approx(75 * 1000 / 80_000)
    gps = ratios.table[ratios.table["indicator"] == "gps_per_10000"].set_index("zone_code")
    assert gps.loc["ALL", "value"] == pytest.approx(4 * 10_000 / 80_000)  # per 10,000, not per 1,000
    # the facility outside every zone is left out, with an info issue naming its row
    found = issues.to_frame()
    assert found["row"].tolist() == [7] and found["severity"].tolist() == ["info"]
    assert ratios.outside == ["邻县医院"]
    card = scorecard_frame(ratios.rows("zh")).set_index("indicator")
    row = card.loc["ratio.beds_per_1000"]
    assert (row["target"], row["actual"], row["passes"]) == ("≥ 7.25 / 1000", "6.62 / 1000", False)
    assert (row["zones_passing"], row["zones_assessed"]) == (1, 3)
    assert row["actual_value"] == pytest.approx(6.625) and row["target_value"] == 7.25
    assert row["source"].startswith("002 靖宇县") and "7.25张左右" in row["wording"]
    assert "研究区外机构未计入：邻县医院" in row["note"]


@pytest.mark.parametrize("seed", range(6))
def test_ratios_match_a_brute_force_loop(seed):
    rng = np.random.default_rng(seed)
    zones = zones_frame()
    n = 30
    rows = []
    for _ in range(n):
        row = {
            "type": str(rng.choice(["county_hospital", "thc", "village_clinic", "private_clinic"])),
            "lon": rng.uniform(125.98, 126.22),
            "lat": rng.uniform(41.98, 42.22),
            "status": str(rng.choice(["existing", "planned", "closed"], p=[0.8, 0.1, 0.1])),
        }
        for resource in ("beds", "doctors", "nurses", "gps", "pharmacists"):
            row[resource] = "" if rng.random() < 0.15 else str(int(rng.integers(0, 60)))
        rows.append(row)
    facilities = facilities_frame(rows)
    population = pd.Series(
        {"101": float(rng.integers(1, 9000)), "102": 0.0, "001": float(rng.integers(1, 9000))}
    )
    ratios = resource_ratios(facilities, zones, population, plan="jishou")
    targets = plan_targets("jishou")
    for indicator in INDICATORS.values():
        table = ratios.table[ratios.table["indicator"] == indicator.id].set_index("zone_code")
        target = targets[indicator.id].target
        units = [(z[0], shapely.box(*z[3]), population[z[0]]) for z in ZONES]
        units.append(("ALL", shapely.union_all([u[1] for u in units]), population.sum()))
        for code, area, people in units:
            amount, lacking = 0.0, 0
            for f in facilities.itertuples():
                if not f.used or not area.contains(f.geometry):
                    continue
                cell = getattr(f, indicator.resource)
                if cell == "":
                    lacking += 1
                else:
                    amount += float(cell)
            got = table.loc[code]
            assert got["amount"] == amount and got["lacking"] == lacking
            if people <= 0:
                assert math.isnan(got["value"]) and pd.isna(got["passes"])
                assert got["status"] == "not assessed"
                continue
            value = amount * indicator.per / people
            assert got["value"] == pytest.approx(value, rel=1e-12)
            if value >= target:
                assert got["passes"] == True and got["status"] == "pass"  # noqa: E712
            elif lacking:
                assert pd.isna(got["passes"]) and got["status"] == "not assessed"
            else:
                assert got["passes"] == False and got["status"] == "fail"  # noqa: E712


# --- unknown is not zero -------------------------------------------------------------------


def test_a_missing_column_is_not_assessed_with_a_data_issue():
    facilities = _hand().drop(columns=["pharmacists", "doctors"])
    issues = DataIssues()
    ratios = resource_ratios(facilities, zones_frame(), POPULATION, issues=issues, source="f.csv")
    assert ratios.missing == ["doctors", "pharmacists"]
    card = scorecard_frame(ratios.rows("en")).set_index("indicator")
    for indicator in ("ratio.doctors_per_1000", "ratio.pharmacists_per_1000"):
        row = card.loc[indicator]
        assert pd.isna(row["passes"]) and row["actual"] == "—" and pd.isna(row["actual_value"])
        assert row["note"].startswith("not assessed: no ")
        assert pd.isna(row["zones_passing"])
    table = ratios.table
    assert table[table["resource"] == "doctors"]["status"].eq("not assessed").all()
    assert table[table["resource"] == "doctors"]["value"].isna().all()  # never 0
    warned = issues.to_frame()
    warned = warned[warned["severity"] == "warning"]
    assert warned["field"].tolist() == ["doctors", "pharmacists"]
    assert warned["message"].str.contains("not assessed").all()


def test_blank_cells_give_a_lower_bound_that_passes_only_when_it_already_meets_the_target():
    facilities = _hand()
    # beds: 530 known; a blank beds cell at 乙镇 makes the county figure a lower bound
    facilities.loc[3, "beds"] = ""
    ratios = resource_ratios(facilities, zones_frame(), POPULATION, targets={"beds_per_1000": 6.0})
    county = ratios.table[
        (ratios.table["indicator"] == "beds_per_1000") & (ratios.table["zone_code"] == "ALL")
    ]
    assert county["lower_bound"].iloc[0] and county["lacking"].iloc[0] == 1
    assert county["value"].iloc[0] == pytest.approx(520 / 80)  # 6.5 ≥ 6: passes already
    assert county["passes"].iloc[0] == True  # noqa: E712
    row = scorecard_frame(ratios.rows()).set_index("indicator").loc["ratio.beds_per_1000"]
    assert row["actual"] == "≥ 6.50 / 1000" and row["passes"] == True  # noqa: E712
    assert "1 个开放机构缺少床位数值（乡镇卫生院 1）：数字为下限，下限已达标" in row["note"]
    # below the target: not assessed (the unknown beds might make up the difference), never a fail
    ratios = resource_ratios(facilities, zones_frame(), POPULATION)
    row = scorecard_frame(ratios.rows("en")).set_index("indicator").loc["ratio.beds_per_1000"]
    assert pd.isna(row["passes"]) and row["actual"] == "≥ 6.50 / 1000"
    assert (
        "1 open facilities (township health centre 1) lack a beds value: a lower bound: not assessed"
        in row["note"]
    )
    # 乙镇 itself: its only facility lacks the value
    zone = ratios.table[(ratios.table["indicator"] == "beds_per_1000") & (ratios.table["zone_code"] == "102")]
    assert zone["amount"].iloc[0] == 0 and zone["lacking"].iloc[0] == 1 and pd.isna(zone["passes"].iloc[0])


def test_chinese_column_names_give_the_same_figures():
    english = _hand()
    chinese = english.rename(
        columns={
            "beds": "床位数",
            "doctors": "执业（助理）医师",
            "nurses": "注册护士",
            "gps": "全科医生",
            "pharmacists": "药师（士）",
        }
    )
    a = resource_ratios(english, zones_frame(), POPULATION).table
    b = resource_ratios(chinese, zones_frame(), POPULATION).table
    pd.testing.assert_frame_equal(a, b)
    assert resource_values(chinese).attrs["missing"] == []


@pytest.mark.parametrize(
    ("names", "resource", "column"),
    [
        (["编制床位", "实有床位"], "beds", "实有床位"),  # actual beds, the statistics' definition
        (["执业(助理)医师数"], "doctors", "执业(助理)医师数"),
        (["执业（助理）医师"], "doctors", "执业（助理）医师"),
        (["医师", "Doctors"], "doctors", "Doctors"),
        (["General_Practitioners"], "gps", "General_Practitioners"),
        (["全科医生数"], "gps", "全科医生数"),
        (["护士"], "nurses", "护士"),
        (["乡村医生"], "doctors", None),  # village doctors are not licensed doctors
    ],
)
def test_resource_column_names(names, resource, column):
    assert resource_columns(["name", *names])[resource] == column


def test_cells_full_width_negative_and_text():
    frame = pd.DataFrame(
        {
            "row": [2, 3, 4, 5, 6, 7, 8],
            "beds": ["３００", " 12 ", "-1", "十张", "", "1,200", "2.5"],
            "nurses": [1, 2.0, None, np.nan, 3, 4, 5],
        }
    )
    issues = DataIssues()
    values = resource_values(frame, issues, "f.csv")
    assert values["beds"].tolist()[:2] == [300.0, 12.0]
    assert (
        np.isnan(values["beds"].iloc[2])
        and np.isnan(values["beds"].iloc[3])
        and np.isnan(values["beds"].iloc[4])
    )
    assert values["beds"].tolist()[5:] == [1200.0, 2.5]
    assert values["nurses"].tolist()[:2] == [1.0, 2.0] and values["nurses"].isna().sum() == 2
    assert values.attrs["missing"] == ["doctors", "gps", "pharmacists"]
    assert values["doctors"].isna().all()  # never 0 for a missing column
    found = issues.to_frame()
    assert found[["row", "field", "value"]].to_numpy().tolist() == [[4, "beds", "-1"], [5, "beds", "十张"]]
    assert found["message"].tolist() == [
        "negative; read as unknown (not 0)",
        "not a number; read as unknown (not 0)",
    ]


# --- population, plans, overrides ---------------------------------------------------------


def test_census_population_replaces_the_study_total_with_the_difference_reported():
    ratios = resource_ratios(_hand(), zones_frame(), POPULATION, census_population=81_000)
    county = ratios.table[
        (ratios.table["zone_code"] == "ALL") & (ratios.table["indicator"] == "beds_per_1000")
    ]
    assert county["population"].iloc[0] == 81_000
    assert county["value"].iloc[0] == pytest.approx(530 * 1000 / 81_000)
    # zones keep the study's own people
    zone = ratios.table[(ratios.table["zone_code"] == "101") & (ratios.table["indicator"] == "beds_per_1000")]
    assert zone["population"].iloc[0] == 20_000
    card = scorecard_frame(ratios.rows("zh")).set_index("indicator")
    assert (
        "人口：普查常住人口 81,000（研究人口 80,000，相差 +1,000，+1.2%）"
        in card.loc["ratio.beds_per_1000", "note"]
    )
    card = scorecard_frame(ratios.rows("en")).set_index("indicator")
    assert (
        "census 81,000 (the study's 80,000; difference +1,000, +1.2%)"
        in card.loc["ratio.nurses_per_1000", "note"]
    )
    plain = scorecard_frame(resource_ratios(_hand(), zones_frame(), POPULATION).rows()).set_index("indicator")
    assert "人口：研究人口 80,000" in plain.loc["ratio.beds_per_1000", "note"]


def test_the_plan_chooses_the_targets():
    # 600 beds for 80,000 people: 7.5 per 1,000 meets Jingyu's 7.25, not Jishou's or Leshan's 9
    facilities = _hand()
    facilities.loc[0, "beds"] = "270"
    results = {}
    for plan in PLANS:
        card = scorecard_frame(resource_ratios(facilities, zones_frame(), POPULATION, plan=plan).rows())
        results[plan] = card.set_index("indicator")
    assert results["jingyu"].loc["ratio.beds_per_1000", "passes"] == True  # noqa: E712
    assert results["jishou"].loc["ratio.beds_per_1000", "passes"] == False  # noqa: E712
    assert results["jishou"].loc["ratio.beds_per_1000", "target"] == "≥ 9 / 1000"
    assert results["jishou"].loc["ratio.gps_per_10000", "target"] == "≥ 3.93 / 10000"
    assert results["jishou"].loc["ratio.beds_per_1000", "source"].startswith("004 吉首市")
    # 003 sets no GP or pharmacist figure: absent (no target, no pass), never zero
    leshan = results["leshan-shizhong"]
    for indicator in ("ratio.gps_per_10000", "ratio.pharmacists_per_1000"):
        assert leshan.loc[indicator, "target"] == "—" and pd.isna(leshan.loc[indicator, "passes"])
        assert pd.isna(leshan.loc[indicator, "target_value"])
    assert "家庭医生不等于全科医生" in leshan.loc["ratio.gps_per_10000", "note"]
    assert leshan.loc["ratio.nurses_per_1000", "target"] == "≥ 4.5 / 1000"
    # the figures of STANDARDS.md §4
    figures = {p: {i: t.target for i, t in RATIO_TARGETS[p].items()} for p in PLANS}
    assert figures == {
        "jingyu": {
            "beds_per_1000": 7.25,
            "doctors_per_1000": 5.25,
            "nurses_per_1000": 5.65,
            "gps_per_10000": 6.0,
            "pharmacists_per_1000": 0.54,
        },
        "jishou": {
            "beds_per_1000": 9.0,
            "doctors_per_1000": 3.5,
            "nurses_per_1000": 4.0,
            "gps_per_10000": 3.93,
            "pharmacists_per_1000": 0.54,
        },
        "leshan-shizhong": {"beds_per_1000": 9.0, "doctors_per_1000": 3.5, "nurses_per_1000": 4.5},
    }


def test_every_plan_wording_is_in_its_seed_text():
    from _helpers import ROOT

    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("../shared/seeds not beside the clone")
    for plan_key, targets in RATIO_TARGETS.items():
        text = (seeds / PLANS[plan_key].file).read_text(encoding="utf-8")
        for target in targets.values():
            if not target.wording.startswith("指标表"):
                assert target.wording in text, (plan_key, target.indicator)
            assert f"{target.target:g}" in text or f"{target.target:.1f}" in text


def test_a_target_override_replaces_the_plans_figure_and_says_so():
    facilities = _hand()
    ratios = resource_ratios(facilities, zones_frame(), POPULATION, targets={"beds_per_1000": 6.5})
    row = scorecard_frame(ratios.rows()).set_index("indicator").loc["ratio.beds_per_1000"]
    assert row["target"] == "≥ 6.5 / 1000" and row["passes"] == True  # noqa: E712
    assert "研究配置设定 6.5（规划原值 7.25）" in row["note"]
    # a target the plan lacks can be added
    ratios = resource_ratios(
        facilities, zones_frame(), POPULATION, plan="leshan-shizhong", targets={"gps_per_10000": 0.4}
    )
    row = scorecard_frame(ratios.rows()).set_index("indicator").loc["ratio.gps_per_10000"]
    assert row["target"] == "≥ 0.4 / 10000" and row["passes"] == True  # noqa: E712
    assert row["source"] == "study config (scorecard.targets)"
    with pytest.raises(KeyError, match="beds_per_100"):
        plan_targets("jingyu", {"beds_per_100": 1.0})


# --- honest rounding --------------------------------------------------------------------------


def test_a_figure_just_below_the_target_is_never_shown_meeting_it():
    # 7.2496 per 1,000 would round to 7.25
    facilities = facilities_frame([{"lon": 126.05, "lat": 42.05, "beds": "72496"}])
    ratios = resource_ratios(
        facilities, zones_frame(), pd.Series({"101": 10_000_000.0, "102": 0.0, "001": 0.0})
    )
    row = scorecard_frame(ratios.rows()).set_index("indicator").loc["ratio.beds_per_1000"]
    assert row["passes"] == False and row["actual"] == "7.24 / 1000"  # noqa: E712


@given(
    value=st.floats(min_value=0, max_value=50, allow_nan=False),
    target=st.integers(min_value=1, max_value=5000).map(lambda n: n / 100),
    lower=st.booleans(),
)
def test_shown_agrees_with_the_comparison(value, target, lower):
    text = shown(value, target, lower_bound=lower)
    number = float(text.removeprefix("≥ "))
    assert (number >= target) == (value >= target)
    assert text.startswith("≥ ") == lower
    if lower:
        assert number <= value  # a lower bound is never rounded up
    assert abs(number - value) < 0.01 + 1e-9


# --- the sample county ------------------------------------------------------------------------


def test_sample_county_ratios_against_the_facility_table(sample_config):
    from carecircles._crs import utm_crs
    from carecircles.boundaries import read_zones
    from carecircles.facilities import open_mask, read_facilities
    from carecircles.population import read_population_raster

    issues = DataIssues()
    zones = read_zones(
        sample_config.zones, issues, code_column="zone_code", name_column="zone_name", type_column="zone_type"
    )
    facilities = read_facilities(
        sample_config.facilities, issues, study_area=shapely.union_all(zones.geometry.to_numpy())
    )
    facilities["used"] = open_mask(facilities["status"], include_planned=False)
    cells = read_population_raster(sample_config.population, zones, utm_crs(126.8, 42.4), DataIssues())
    people = pd.Series(
        np.bincount(cells.zone, weights=cells.population, minlength=len(zones)), index=zones["zone_code"]
    )
    census = sample_config.scorecard.census_population
    assert census == 108_478 and sample_config.scorecard.plan == "jingyu"
    found = DataIssues()
    ratios = resource_ratios(facilities, zones, people, census_population=census, issues=found)
    assert len(found) == 0  # every column present, no blank cell, no facility outside the zones
    # independently: the CSV's open rows (every facility of the sample lies inside the county)
    table = pd.read_csv(sample_config.facilities, dtype=str, keep_default_na=False)
    table = table[table["status"] == "existing"]
    for indicator in INDICATORS.values():
        rows = ratios.table[ratios.table["indicator"] == indicator.id]
        county = rows[rows["zone_code"] == "ALL"].iloc[0]
        amount = table[indicator.resource].astype(float).sum()
        assert county["amount"] == amount and county["facilities"] == len(table)
        assert county["value"] == pytest.approx(amount * indicator.per / census)
        assert rows[rows["zone_code"] != "ALL"]["amount"].sum() == amount  # every facility in one zone
    card = scorecard_frame(ratios.rows()).set_index("indicator")
    # the sample misses Jingyu's 2025 targets except the GP one (8.57 ≥ 6.0 per 10,000)
    assert card["passes"].astype(bool).to_dict() == {
        "ratio.beds_per_1000": False,
        "ratio.doctors_per_1000": False,
        "ratio.nurses_per_1000": False,
        "ratio.gps_per_10000": True,
        "ratio.pharmacists_per_1000": False,
    }
    assert card.loc["ratio.beds_per_1000", "actual"] == "4.80 / 1000"
    assert "普查常住人口 108,478" in card.loc["ratio.beds_per_1000", "note"]
