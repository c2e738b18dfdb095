"""Bad input: a clear message naming file, row and field, or a data-issue row; nothing silent."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from carecircles._errors import DataIssues, InputError
from carecircles.boundaries import read_zones
from carecircles.config import SAMPLE_CONFIG, load_config
from carecircles.coords import from_wgs84
from carecircles.facilities import read_facilities

from _helpers import write_study

DATA = SAMPLE_CONFIG.parent
AREA = shapely.box(126.70, 42.30, 126.90, 42.50)
HEADER = "id,name,type,lon,lat\n"


def facilities_csv(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "facilities.csv"
    path.write_bytes((header + body).encode(encoding))
    return path


def issues_of(issues: DataIssues):
    return issues.to_frame()


def test_missing_coordinate_column_names_file_and_field(tmp_path):
    path = facilities_csv(tmp_path, "a,甲卫生院,乡镇卫生院,126.8\n", header="id,name,type,lon\n")
    with pytest.raises(InputError) as err:
        read_facilities(path, DataIssues(), study_area=AREA)
    message = str(err.value)
    assert "facilities.csv" in message and "lat" in message and "纬度" in message
    assert err.value.field == "lat"


def test_chinese_column_names_and_gb18030(tmp_path):
    path = facilities_csv(
        tmp_path,
        "a,甲卫生院,乡镇卫生院,126.8,42.4\n",
        header="编码,机构名称,机构类型,经度,纬度\n",
        encoding="gb18030",
    )
    frame = read_facilities(path, DataIssues(), study_area=AREA)
    assert frame.loc[0, "name"] == "甲卫生院" and frame.loc[0, "type"] == "thc"
    assert frame.loc[0, "facility_id"] == "a"


def test_unparseable_and_out_of_range_rows_are_listed_not_dropped_silently(tmp_path):
    body = (
        "a,甲卫生院,乡镇卫生院,126.8,42.4\n"
        "b,乙卫生室,村卫生室,abc,42.4\n"
        "c,丙卫生室,村卫生室,226.8,42.4\n"
        "d,丁卫生室,村卫生室,0,0\n"
    )
    issues = DataIssues()
    frame = read_facilities(facilities_csv(tmp_path, body), issues, study_area=AREA)
    assert frame["facility_id"].tolist() == ["a"]
    table = issues_of(issues)
    excluded = table[table["action"] == "excluded"].set_index("row")
    # rows as a spreadsheet shows them: header is line 1
    assert excluded.loc[3, "field"] == "lon" and excluded.loc[3, "value"] == "abc"
    assert "out of range" in excluded.loc[4, "message"]
    assert 5 in excluded.index
    assert (table["source"].str.endswith("facilities.csv")).all()


def test_swapped_lat_lon_repaired_with_a_warning(tmp_path):
    issues = DataIssues()
    frame = read_facilities(
        facilities_csv(tmp_path, "a,甲卫生院,乡镇卫生院,42.41,126.81\n"), issues, study_area=AREA
    )
    assert frame.geometry.x[0] == pytest.approx(126.81) and frame.geometry.y[0] == pytest.approx(42.41)
    row = issues_of(issues).iloc[0]
    assert row["severity"] == "warning" and row["action"] == "repaired" and row["row"] == 2
    assert "swapped" in row["message"]


def test_gcj02_and_bd09_rows_converted(tmp_path):
    lon, lat = 126.81, 42.41
    g_lon, g_lat = (float(v) for v in from_wgs84(lon, lat, "gcj02"))
    b_lon, b_lat = (float(v) for v in from_wgs84(lon, lat, "bd09"))
    body = (
        f"a,甲,村卫生室,{lon},{lat},WGS84\nb,乙,村卫生室,{g_lon:.8f},{g_lat:.8f},GCJ-02\n"
        f"c,丙,村卫生室,{b_lon:.8f},{b_lat:.8f},百度\n"
    )
    frame = read_facilities(
        facilities_csv(tmp_path, body, header="id,name,type,lng,lat,crs\n"), DataIssues(), study_area=AREA
    )
    local = frame.to_crs(32652)
    spread = local.distance(local.geometry.iloc[0])
    assert spread.max() < 0.01  # the same place, metres apart at most


def test_unknown_type_status_and_duplicate_ids(tmp_path):
    body = "a,甲,疗养院,126.8,42.4,现有\na,乙,村卫生室,126.81,42.41,规划\nb,丙,村卫生室,126.82,42.42,maybe\n"
    issues = DataIssues()
    frame = read_facilities(
        facilities_csv(tmp_path, body, header="id,name,type,lon,lat,status\n"), issues, study_area=AREA
    )
    assert frame["type"].tolist() == ["other", "village_clinic", "village_clinic"]
    assert frame["facility_id"].tolist() == ["a", "a-2", "b"]
    assert frame["status"].tolist() == ["existing", "planned", "existing"]
    fields = set(issues_of(issues)["field"])
    assert {"type", "id", "status"} <= fields


def test_facility_outside_study_area(tmp_path):
    body = "near,近,村卫生室,126.92,42.40\nfar,远,村卫生室,128.5,42.40\n"
    issues = DataIssues()
    frame = read_facilities(facilities_csv(tmp_path, body), issues, study_area=AREA)
    assert frame["facility_id"].tolist() == ["near"]
    table = issues_of(issues).set_index("row")
    assert table.loc[2, "action"] == "kept" and table.loc[3, "action"] == "excluded"
    assert "outside the study area" in table.loc[3, "message"]


def test_geojson_facilities(tmp_path):
    path = tmp_path / "f.geojson"
    gpd.GeoDataFrame(
        {"name": ["甲村卫生室"], "type": ["村卫生室"]}, geometry=[shapely.Point(126.8, 42.4)], crs=4326
    ).to_file(path)
    frame = read_facilities(path, DataIssues(), study_area=AREA)
    assert frame.loc[0, "type"] == "village_clinic" and frame.loc[0, "row"] == 1


def test_zone_without_type_and_duplicate_codes(tmp_path):
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"code": ["1", "2"], "name": ["甲街道", "乙地区"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4326,
    ).to_file(path)
    with pytest.raises(InputError) as err:
        read_zones(path, DataIssues())
    assert err.value.row == 2 and "乙地区" in str(err.value) and "zones.geojson" in str(err.value)
    gpd.GeoDataFrame(
        {"code": ["1", "1"], "name": ["甲街道", "乙镇"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4326,
    ).to_file(path)
    with pytest.raises(InputError, match="duplicate zone codes"):
        read_zones(path, DataIssues())


def test_zone_codes_stay_strings(tmp_path):
    path = tmp_path / "zones.csv.geojson"
    gpd.GeoDataFrame(
        {"code": ["012", "013"], "name": ["甲街道", "乙镇"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4326,
    ).to_file(path)
    zones = read_zones(path, DataIssues())
    assert zones["zone_code"].tolist() == ["012", "013"]
    assert zones["zone_type"].tolist() == ["urban", "rural"]


def test_facility_far_from_any_road_is_excluded_and_listed(tmp_path):
    from carecircles.analysis import run_study

    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    # a spot inside the county far from every road: the farthest populated-free interior point
    from carecircles.roads import read_roads

    roads = read_roads(DATA / "roads" / "synthetic_jingyu_roads.osm.gz", DataIssues())
    county = shapely.union_all(zones.geometry.to_numpy())
    grid = np.array([(x, y) for x in np.linspace(126.45, 127.25, 60) for y in np.linspace(42.15, 42.6, 40)])
    inside = grid[shapely.contains_xy(county, grid[:, 0], grid[:, 1])]
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.column_stack([roads.node_lon, roads.node_lat * 1.35])).query(
        np.column_stack([inside[:, 0], inside[:, 1] * 1.35])
    )
    lon, lat = inside[np.argmax(d)]
    csv = tmp_path / "fac.csv"
    csv.write_text(
        HEADER + f"h1,县医院,县级综合医院,126.8136,42.3914\nlost,山里卫生院,乡镇卫生院,{lon},{lat}\n",
        encoding="utf-8",
    )
    config = load_config(write_study(tmp_path, inputs__facilities={"path": str(csv)}), output_root=tmp_path)
    result = run_study(config)
    table = result.issues.to_frame()
    lost = table[(table["value"] == "山里卫生院") & (table["action"] == "excluded")]
    assert len(lost) == 1 and lost.iloc[0]["row"] == 3 and "from any road" in lost.iloc[0]["message"]
    counted = result.facilities.set_index("facility_id")["counted"]
    assert counted["h1"] and not counted["lost"]


def test_empty_road_network_in_a_study(tmp_path):
    from carecircles.analysis import run_study

    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    config = load_config(write_study(tmp_path, inputs__roads=str(empty)), output_root=tmp_path)
    with pytest.raises(InputError, match="road network is empty") as err:
        run_study(config)
    assert "empty.osm" in str(err.value)


def test_config_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("study: {name: x}\ninputs: {zones: z.geojson}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"inputs\.facilities is required"):
        load_config(bad)
    bad.write_text("inputs: {zones: a, facilities: b, roads: c, population: d}\nstandards: [nope-5min]\n")
    with pytest.raises(InputError, match="not a default standard"):
        load_config(bad)
    bad.write_text(
        "inputs: {zones: a, facilities: b, roads: c, population: d}\n"
        "standards: [{id: rural-30min, threshold: -3}]\n"
    )
    with pytest.raises(InputError, match=r"standards\[0\]\.threshold must be a number of minutes greater"):
        load_config(bad)
    bad.write_text("inputs: {zones: a, facilities: b, roads: c, population: d}\noptions: {snap: 3}\n")
    with pytest.raises(InputError, match="unknown key 'snap' in options"):
        load_config(bad)
