"""Presence rules against brute-force computations on small hand-made studies.

Zones are boxes in degrees; facilities and villages are points. The reference loops over
every zone and facility with shapely's own ``contains`` and measures distances on the
ellipsoid (pyproj.Geod), independently of the module's spatial join and local projection.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from carecircles._errors import DataIssues
from carecircles.plans import PRESENCE_RULES
from carecircles.presence import VILLAGE_MATCH_M, has_station_words, presence, village_presence
from carecircles.scorecard import SCORECARD_COLUMNS, scorecard_frame
from carecircles.standards import FACILITY_TYPES

GEOD = Geod(ellps="WGS84")

ZONES = [  # code, name, type, (west, south, east, north)
    ("101", "甲镇", "rural", (126.00, 42.00, 126.10, 42.10)),
    ("102", "乙镇", "rural", (126.10, 42.00, 126.20, 42.10)),
    ("103", "丙乡", "rural", (126.20, 42.00, 126.30, 42.10)),
    ("001", "东街道", "urban", (126.00, 42.10, 126.10, 42.20)),
    ("002", "西街道", "urban", (126.10, 42.10, 126.20, 42.20)),
]


def zones_frame(spec=ZONES) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "zone_code": [z[0] for z in spec],
            "zone_name": [z[1] for z in spec],
            "zone_type": [z[2] for z in spec],
        },
        geometry=[shapely.box(*z[3]) for z in spec],
        crs=4326,
    )


def facilities_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Facilities as read_facilities returns them (plus whatever columns the rows carry)."""
    frame = pd.DataFrame(rows)
    frame["facility_id"] = [r.get("facility_id", f"F{i + 1:02d}") for i, r in enumerate(rows)]
    frame["name"] = [r.get("name", f"机构{i + 1}") for i, r in enumerate(rows)]
    frame["status"] = [r.get("status", "existing") for r in rows]
    frame["used"] = frame["status"].isin(("existing", "relocating"))
    frame["row"] = np.arange(2, len(rows) + 2)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def villages_frame(rows: list[tuple[str, str, float, float]], zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    points = gpd.GeoDataFrame(
        {"village_id": [r[0] for r in rows], "name": [r[1] for r in rows], "population": 100.0},
        geometry=gpd.points_from_xy([r[2] for r in rows], [r[3] for r in rows]),
        crs=4326,
    )
    code = [next(z.zone_code for z in zones.itertuples() if z.geometry.contains(p)) for p in points.geometry]
    points["zone_code"] = code
    return points.merge(zones[["zone_code", "zone_name", "zone_type"]], on="zone_code", how="left")


def offset(lon: float, lat: float, metres: float, azimuth: float = 90.0) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return float(x), float(y)


# --- the per-zone and county rules against a brute-force loop --------------------------------


def _brute_force_zone(facilities: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, rule_id: str) -> dict[str, bool]:
    rule = PRESENCE_RULES[rule_id]
    out = {}
    for zone in zones.itertuples():
        if zone.zone_type != rule.zone_type:
            continue
        out[zone.zone_code] = any(
            f.used and f.type in rule.facility_types and zone.geometry.contains(f.geometry)
            for f in facilities.itertuples()
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_zone_and_county_rules_match_a_brute_force_loop(seed):
    rng = np.random.default_rng(seed)
    zones = zones_frame()
    n = 25
    types = rng.choice(list(FACILITY_TYPES), size=n)
    rows = [
        {
            "type": t,
            "lon": rng.uniform(125.98, 126.32),  # some outside every zone
            "lat": rng.uniform(41.98, 42.22),
            "status": rng.choice(["existing", "planned", "closed", "relocating"], p=[0.6, 0.15, 0.1, 0.15]),
            "services": "",
        }
        for t in types
    ]
    facilities = facilities_frame(rows)
    result = presence(facilities, zones)
    detail = result.detail
    for rule_id in ("presence.township_centre", "presence.community_centre"):
        ours = detail[detail["rule"] == rule_id].set_index("unit_id")["passes"].astype(bool).to_dict()
        assert ours == _brute_force_zone(facilities, zones, rule_id)
    county = shapely.union_all(zones.geometry.to_numpy())
    for rule_id in (
        "presence.county_general_hospital",
        "presence.county_tcm_hospital",
        "presence.county_mch_centre",
    ):
        rule = PRESENCE_RULES[rule_id]
        expected = [
            f.facility_id
            for f in facilities.itertuples()
            if f.used and f.type in rule.facility_types and county.contains(f.geometry)
        ]
        row = detail[detail["rule"] == rule_id].iloc[0]
        assert bool(row["passes"]) == bool(expected)
        assert row["facility_ids"] == ";".join(expected)
    # the scorecard counts what the detail says
    card = scorecard_frame(result.rows()).set_index("indicator")
    township = _brute_force_zone(facilities, zones, "presence.township_centre")
    assert card.loc["presence.township_centre", "zones_passing"] == sum(township.values())
    assert card.loc["presence.township_centre", "zones_assessed"] == 3
    assert card.loc["presence.township_centre", "passes"] == all(township.values())


def _study():
    """A hand-made county: one township lacks its centre, one sub-district its CHSC, the MCH is outside."""
    zones = zones_frame()
    rows = [
        {"facility_id": "T1", "name": "甲镇卫生院", "type": "thc", "lon": 126.05, "lat": 42.05},
        {"facility_id": "B2", "name": "乙镇分院", "type": "branch_thc", "lon": 126.15, "lat": 42.05},
        {
            "facility_id": "P2",
            "name": "乙镇卫生院（规划）",
            "type": "thc",
            "lon": 126.16,
            "lat": 42.06,
            "status": "planned",
        },
        {"facility_id": "C3", "name": "丙乡中心卫生院", "type": "central_thc", "lon": 126.25, "lat": 42.05},
        {"facility_id": "S1", "name": "东街道社区卫生服务中心", "type": "chsc", "lon": 126.05, "lat": 42.15},
        {
            "facility_id": "S2",
            "name": "西关社区卫生服务站",
            "type": "chs_station",
            "lon": 126.15,
            "lat": 42.15,
        },
        {"facility_id": "H1", "name": "县人民医院", "type": "county_hospital", "lon": 126.06, "lat": 42.16},
        {"facility_id": "H2", "name": "县中医院", "type": "tcm_hospital", "lon": 126.16, "lat": 42.16},
        {"facility_id": "H3", "name": "县妇幼保健院", "type": "mch_centre", "lon": 126.35, "lat": 42.05},
    ]
    for row in rows:
        row.setdefault("services", "")
    return zones, rows


def test_a_zone_without_its_facility_fails_with_the_missing_item_named():
    zones, rows = _study()
    result = presence(facilities_frame(rows), zones)
    summary = result.zones.set_index("zone_code")
    assert summary.loc["102", "passes"] == False  # noqa: E712
    assert summary.loc["102", "missing_zh"] == (
        "乙镇: 无乡镇卫生院（有但不计入：乙镇分院（卫生院分院）；规划：乙镇卫生院（规划））"
    )
    assert summary.loc["102", "missing_en"].startswith(
        "乙镇: no township health centre (not counted: 乙镇分院"
    )
    assert (
        summary.loc["002", "missing_zh"]
        == "西街道: 无社区卫生服务中心（有但不计入：西关社区卫生服务站（社区卫生服务站））"
    )
    assert summary.loc["101", "passes"] == True  # noqa: E712
    assert summary.loc["101", "missing_zh"] == ""
    card = scorecard_frame(result.rows("zh")).set_index("indicator")
    assert list(scorecard_frame(result.rows("zh")).columns) == SCORECARD_COLUMNS
    row = card.loc["presence.township_centre"]
    assert (row["actual"], row["zones_passing"], row["zones_assessed"], row["passes"]) == (
        "2 / 3",
        2,
        3,
        False,
    )
    assert "乙镇: 无乡镇卫生院" in row["note"]
    assert card.loc["presence.community_centre", "actual"] == "1 / 2"
    mch = card.loc["presence.county_mch_centre"]
    assert mch["passes"] == False  # noqa: E712
    assert mch["actual"] == "0 所"
    assert "研究区外有：县妇幼保健院，未计入" in mch["note"]
    assert card.loc["presence.county_general_hospital", "passes"] == True  # noqa: E712
    assert card.loc["presence.county_tcm_hospital", "actual"] == "1 所"
    # no villages given: the village rule is not assessed, never a pass
    assert pd.isna(card.loc["presence.village_clinic", "passes"])
    assert card.loc["presence.village_clinic", "note"].startswith("未评估：未提供行政村点位")
    # every rule has its plan and wording
    assert (card["source"].str.match(r"00[234] ")).all() and (card["wording"] != "").all()


def test_a_long_list_of_missing_items_names_the_first_and_counts_them_all(monkeypatch):
    from carecircles import presence as presence_module

    zones, rows = _study()
    # no facility at all: every zone misses its centre, three zones' worth
    rows = [r for r in rows if r["type"] not in ("thc", "central_thc", "chsc")]
    result = presence(facilities_frame(rows), zones)
    failing = result.detail[
        (result.detail["rule"] == "presence.township_centre") & result.detail["passes"].eq(False)
    ]
    assert len(failing) == 3
    monkeypatch.setattr(presence_module, "_LIST_AT_MOST", 2)
    zh = scorecard_frame(result.rows("zh")).set_index("indicator").loc["presence.township_centre", "note"]
    en = scorecard_frame(result.rows("en")).set_index("indicator").loc["presence.township_centre", "note"]
    first, second, third = (presence_module.label(r, "zh") for _, r in failing.iterrows())
    assert f"{first}；{second}；等共 3 项" in zh and third not in zh
    assert "… 3 in all" in en


def test_a_planned_centre_counts_once_the_study_counts_planned_facilities_as_open():
    zones, rows = _study()
    facilities = facilities_frame(rows)
    facilities.loc[facilities["facility_id"] == "P2", "used"] = True  # include_planned
    result = presence(facilities, zones)
    township = result.detail[result.detail["rule"] == "presence.township_centre"].set_index("unit_id")
    assert township["passes"].all()
    assert township.loc["102", "facility_ids"] == "P2"


def test_a_branch_centre_alone_does_not_make_a_township_pass():
    zones, rows = _study()
    rows = [r for r in rows if r["facility_id"] != "P2"]
    result = presence(facilities_frame(rows), zones)
    row = result.detail[
        (result.detail["rule"] == "presence.township_centre") & (result.detail["unit_id"] == "102")
    ]
    assert not row["passes"].iloc[0]
    assert row["missing_zh"].iloc[0] == "无乡镇卫生院（有但不计入：乙镇分院（卫生院分院））"


def test_no_urban_zone_makes_the_community_rule_not_applicable_not_a_pass():
    zones = zones_frame(ZONES[:3])
    _, rows = _study()
    card = scorecard_frame(presence(facilities_frame(rows[:4]), zones).rows("en")).set_index("indicator")
    row = card.loc["presence.community_centre"]
    assert pd.isna(row["passes"]) and row["actual"] == "—"
    assert row["note"].startswith("not applicable: no urban zone")


# --- emergency stations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("急诊;发热门诊;急救站", True),
        ("急救分站", True),
        ("Emergency Station; fever clinic", True),
        ("急诊", False),  # an emergency department is not a station
        ("emergency department", False),
        ("", False),
        (np.nan, False),
    ],
)
def test_station_words(cell, expected):
    assert has_station_words(cell) is expected


def _centres(services: list[str] | None, colocated: bool = False):
    zones = zones_frame()
    rows = [
        {
            "facility_id": f"C{k}",
            "name": f"{z[1]}中心卫生院",
            "type": "central_thc",
            "lon": z[3][0] + 0.05,
            "lat": 42.05,
        }
        for k, z in enumerate(ZONES[:3])
    ]
    if services is not None:
        for row, cell in zip(rows, services, strict=True):
            row["服务项目"] = cell
    if colocated:
        lon, lat = offset(rows[1]["lon"], rows[1]["lat"], 300)
        rows.append(
            {"facility_id": "E1", "name": "乙镇急救站", "type": "emergency_centre", "lon": lon, "lat": lat}
        )
    return zones, facilities_frame(rows)


def test_emergency_stations_from_a_chinese_services_column():
    zones, facilities = _centres(["急救站;中医馆", "急诊", ""])
    result = presence(facilities, zones)
    detail = result.detail[result.detail["rule"] == "presence.emergency_station"].set_index("unit_id")
    assert detail["passes"].tolist() == [True, False, False]
    assert detail.loc["C1", "missing_zh"] == "无急救站"
    row = scorecard_frame(result.rows()).set_index("indicator").loc["presence.emergency_station"]
    assert (row["actual"], row["passes"]) == ("1 / 3", False)
    assert "乙镇 乙镇中心卫生院: 无急救站" in row["note"] and "丙乡 丙乡中心卫生院: 无急救站" in row["note"]
    assert result.zones.set_index("zone_code").loc["102", "missing_zh"] == "乙镇: 乙镇中心卫生院无急救站"


def test_a_colocated_emergency_centre_is_the_station():
    zones, facilities = _centres(["", "", ""], colocated=True)
    detail = presence(facilities, zones).detail
    detail = detail[detail["rule"] == "presence.emergency_station"].set_index("unit_id")
    assert detail["passes"].tolist() == [False, True, False]
    assert detail.loc["C1", "facility_ids"] == "C1;E1"


def test_no_services_column_is_not_assessed_with_a_data_issue():
    zones, facilities = _centres(None)
    issues = DataIssues()
    result = presence(facilities, zones, issues=issues, source="f.csv")
    row = scorecard_frame(result.rows()).set_index("indicator").loc["presence.emergency_station"]
    assert pd.isna(row["passes"]) and row["actual"] == "—"
    assert row["note"].startswith("未评估：设施表无服务项目列")
    table = issues.to_frame()
    assert len(table) == 1 and table.iloc[0]["field"] == "services" and table.iloc[0]["action"] == "skipped"
    # a co-located station is still seen without the column; the other centres stay not assessed
    zones, facilities = _centres(None, colocated=True)
    detail = presence(facilities, zones).detail
    detail = detail[detail["rule"] == "presence.emergency_station"]
    assert detail["passes"].isna().tolist() == [True, False, True]
    assert detail["passes"].iloc[1] == True  # noqa: E712


# --- villages ----------------------------------------------------------------------------------


def test_villages_matched_by_id_then_name_then_location():
    zones = zones_frame()
    villages = villages_frame(
        [
            ("V1", "一村", 126.02, 42.02),
            ("V2", "二村", 126.06, 42.06),
            ("V3", "三村", 126.15, 42.02),
            ("V4", "四村", 126.22, 42.02),
            ("V5", "五村", 126.27, 42.08),
            ("V6", "六村", 126.12, 42.08),
        ],
        zones,
    )
    near_v2 = offset(126.06, 42.06, 300)
    near_v3 = offset(126.15, 42.02, 200, azimuth=0)
    far_v4 = offset(126.22, 42.02, 1500)
    rows = [
        {
            "facility_id": "K1",
            "type": "village_clinic",
            "lon": 126.08,
            "lat": 42.09,
            "所在村": "V1",
        },  # far, by id
        {"facility_id": "K2", "type": "village_clinic", "lon": near_v2[0], "lat": near_v2[1], "所在村": ""},
        {"facility_id": "O3", "type": "outreach_point", "lon": near_v3[0], "lat": near_v3[1], "所在村": None},
        {"facility_id": "K4", "type": "village_clinic", "lon": far_v4[0], "lat": far_v4[1], "所在村": ""},
        {
            "facility_id": "K5",
            "type": "village_clinic",
            "lon": 126.21,
            "lat": 42.09,
            "所在村": "五",
        },  # by name
        {
            "facility_id": "K6",
            "type": "village_clinic",
            "lon": 126.12,
            "lat": 42.08,
            "所在村": "",
            "status": "closed",
        },
    ]
    facilities = facilities_frame(rows)
    issues = DataIssues()
    table = village_presence(facilities, villages, zones, issues=issues, source="f.csv").set_index(
        "village_id"
    )
    assert table["presence"].to_dict() == {
        "V1": "fixed",
        "V2": "fixed",
        "V3": "outreach_only",
        "V4": "none",
        "V5": "fixed",
        "V6": "none",  # its clinic is closed
    }
    assert table["matched_by"].to_dict() == {
        "V1": "id",
        "V2": "location",
        "V3": "location",
        "V4": "",
        "V5": "name",
        "V6": "",
    }
    assert table.loc["V1", "fixed_facility_ids"] == "K1" and table.loc["V3", "outreach_facility_ids"] == "O3"
    assert table.loc["V3", "has_outreach"] and not table.loc["V3", "has_fixed_clinic"]
    # the clinic 1.5 km from 四村 serves no village, and says so
    found = issues.to_frame()
    assert found["row"].tolist() == [5] and "1.5 km away" in found["message"].iloc[0]
    # a larger match distance takes it
    wide = village_presence(facilities, villages, zones, match_m=2000).set_index("village_id")
    assert wide.loc["V4", "presence"] == "fixed"
    # the scorecard: 4 of 6 villages, per zone and counted by kind
    result = presence(facilities, zones, villages)
    row = scorecard_frame(result.rows()).set_index("indicator").loc["presence.village_clinic"]
    assert (row["actual"], row["passes"], row["zones_passing"], row["zones_assessed"]) == (
        "4 / 6",
        False,
        1,
        3,
    )
    assert row["note"].startswith("6 个村: 3 个有固定村卫生室, 1 个仅有巡诊点, 2 个都没有")
    assert "丙乡 四村: 无村卫生室或巡诊点" in row["note"]


def test_a_village_value_matching_nothing_is_reported_and_the_clinic_matched_by_location():
    zones = zones_frame()
    villages = villages_frame([("V1", "一村", 126.02, 42.02), ("V2", "一村", 126.12, 42.02)], zones)
    near = offset(126.12, 42.02, 100)
    rows = [
        {"facility_id": "K1", "type": "village_clinic", "lon": near[0], "lat": near[1], "village_id": "V9"},
        {"facility_id": "K2", "type": "village_clinic", "lon": 126.03, "lat": 42.03, "village_id": "一村"},
    ]
    issues = DataIssues()
    table = village_presence(facilities_frame(rows), villages, zones, issues=issues, source="f.csv")
    assert table.set_index("village_id")["matched_by"].to_dict() == {"V1": "name", "V2": "location"}
    found = issues.to_frame()
    assert found["value"].tolist() == ["V9"] and found["field"].tolist() == ["village_id"]
    assert "matches no village id or name" in found["message"].iloc[0]
    # 一村 names two villages: the clinic's own zone decides (甲镇 for K2)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_location_matching_matches_a_geodesic_brute_force(seed):
    rng = np.random.default_rng(seed)
    zones = zones_frame()
    vil = [(f"V{k}", f"村{k}", rng.uniform(126.0, 126.3), rng.uniform(42.0, 42.1)) for k in range(30)]
    villages = villages_frame(vil, zones)
    vlon, vlat = [v[2] for v in vil], [v[3] for v in vil]
    rows, expected = [], {"fixed": {v[0]: set() for v in vil}, "outreach": {v[0]: set() for v in vil}}
    for k in range(60):
        v = vil[int(rng.integers(len(vil)))]
        lon, lat = offset(v[2], v[3], rng.uniform(0, 2500), azimuth=rng.uniform(0, 360))
        kind = str(rng.choice(["village_clinic", "outreach_point", "thc"], p=[0.6, 0.3, 0.1]))
        _, _, d = GEOD.inv([lon] * len(vil), [lat] * len(vil), vlon, vlat)
        d = np.sort(np.asarray(d)), np.argsort(np.asarray(d))
        # the module measures in UTM, the reference on the ellipsoid (~1e-4 apart): no knife edges
        if abs(d[0][0] - VILLAGE_MATCH_M) < 2 or d[0][1] - d[0][0] < 2:
            continue
        rows.append({"facility_id": f"F{k}", "type": kind, "lon": lon, "lat": lat})
        if kind != "thc" and d[0][0] <= VILLAGE_MATCH_M:
            expected["outreach" if kind == "outreach_point" else "fixed"][vil[d[1][0]][0]].add(f"F{k}")
    table = village_presence(facilities_frame(rows), villages, zones).set_index("village_id")
    for v in vil:
        assert set(filter(None, table.loc[v[0], "fixed_facility_ids"].split(";"))) == expected["fixed"][v[0]]
        assert (
            set(filter(None, table.loc[v[0], "outreach_facility_ids"].split(";")))
            == expected["outreach"][v[0]]
        )
        assert table.loc[v[0], "has_fixed_clinic"] == bool(expected["fixed"][v[0]])
    assert sum(len(s) for s in expected["fixed"].values()) > 5  # the test has something to check
    assert sum(len(s) for s in expected["fixed"].values()) < len(rows)  # and something left out


# --- the sample county ------------------------------------------------------------------------


def test_sample_county_presence(sample_config):
    from carecircles.analysis import _villages
    from carecircles.boundaries import read_zones
    from carecircles.facilities import open_mask, read_facilities

    issues = DataIssues()
    zones = read_zones(
        sample_config.zones,
        issues,
        code_column="zone_code",
        name_column="zone_name",
        type_column="zone_type",
    )
    facilities = read_facilities(
        sample_config.facilities, issues, study_area=shapely.union_all(zones.geometry.to_numpy())
    )
    facilities["used"] = open_mask(facilities["status"], include_planned=False)
    villages = _villages(sample_config, zones, issues)
    result = presence(facilities, zones, villages, issues=DataIssues())
    card = scorecard_frame(result.rows()).set_index("indicator")
    for rule in ("township_centre", "community_centre", "county_general_hospital", "county_tcm_hospital"):
        assert card.loc[f"presence.{rule}", "passes"] == True  # noqa: E712
    # every clinic of the sample names its village: matched by id, never by location
    matched = result.villages[result.villages["presence"] != "none"]
    assert set(matched["matched_by"]) == {"id"}
    # some central centres host an emergency station, some do not
    stations = result.detail[result.detail["rule"] == "presence.emergency_station"]
    assert 0 < stations["passes"].sum() < len(stations)


def test_a_clinic_inside_a_village_area_serves_it_before_any_nearer_point():
    zones = zones_frame()
    villages = villages_frame([("V1", "一村", 126.02, 42.02), ("V2", "二村", 126.05, 42.02)], zones)
    # V1's area reaches 2 km east; a clinic 1.5 km east of V1 is inside it but 1 km from V2's point
    east = offset(126.02, 42.02, 1500)
    area = shapely.box(126.005, 42.005, offset(126.02, 42.02, 2000)[0], 42.035)
    rows = [{"facility_id": "K1", "type": "village_clinic", "lon": east[0], "lat": east[1]}]
    areas = gpd.GeoSeries([area, None], crs=4326)
    by_point = village_presence(facilities_frame(rows), villages, zones, match_m=1200)
    assert by_point.set_index("village_id")["presence"].to_dict() == {"V1": "none", "V2": "fixed"}
    by_area = village_presence(facilities_frame(rows), villages, zones, match_m=1200, areas=areas)
    table = by_area.set_index("village_id")
    assert table["presence"].to_dict() == {"V1": "fixed", "V2": "none"}
    assert table.loc["V1", "matched_by"] == "area" and table.loc["V1", "fixed_facility_ids"] == "K1"


def test_village_areas_read_from_a_polygon_layer_end_to_end(tmp_path):
    from carecircles.analysis import run_study
    from carecircles.config import load_config

    from _helpers import DATA, write_study

    points = gpd.read_file(DATA / "villages" / "synthetic_jingyu_villages.geojson")
    areas = points.copy()
    areas["geometry"] = points.to_crs(32652).buffer(900).to_crs(4326)
    path = tmp_path / "villages.gpkg"
    areas.to_file(path)
    entry = {"path": str(path), "columns": {"id": "village_id", "name": "name", "population": "population"}}
    table = pd.read_csv(DATA / "facilities" / "synthetic_jingyu_facilities.csv", dtype=str)
    table.drop(columns="village_id").to_csv(tmp_path / "facilities.csv", index=False)  # no column link
    facilities = {"path": str(tmp_path / "facilities.csv")}
    config = write_study(tmp_path, inputs__villages=entry, inputs__facilities=facilities)
    result = run_study(load_config(config))
    matched = result.villages["own_clinic_matched_by"]
    assert (matched.str.contains("area")).sum() > 0.5 * (matched != "").sum()
