"""Real-world files: no traceback and no silent change of a result (issue 8, part 3).

Each test is named for the case it covers; the README's "Bad input → what carecircles does"
table (Data files) lists the same cases.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from carecircles._crs import project_lonlat, utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles.boundaries import read_zones
from carecircles.config import SAMPLE_CONFIG, load_config
from carecircles.facilities import read_facilities
from carecircles.population import read_population_raster, read_villages, report_zone_overlaps

from _helpers import write_study

DATA = SAMPLE_CONFIG.parent
pytestmark = pytest.mark.filterwarnings("ignore:.crs. was not provided:UserWarning")
SAMPLE_FACILITIES = DATA / "facilities" / "synthetic_jingyu_facilities.csv"


def _issues(issues: DataIssues):
    return issues.to_frame()


def test_standard_without_any_usable_facility_is_zero_percent_with_an_error(tmp_path, flat_result):
    from carecircles.analysis import run_study
    from carecircles.cli import main

    text = SAMPLE_FACILITIES.read_text(encoding="utf-8")
    broken = text.replace("急诊;发热门诊;急救站,126.813595,", "急诊;发热门诊;急救站,abc,")
    assert broken != text
    facilities = tmp_path / "facilities.csv"
    facilities.write_text(broken, encoding="utf-8")
    # on the flat (as the figure compared below): with the DEM the county hospital matters to rural-30min
    study = write_study(
        tmp_path, inputs__facilities={"path": str(facilities)}, inputs__dem=None, terrain=None, scenarios=None
    )
    result = run_study(load_config(study, output_root=tmp_path))

    table = result.zone_results[result.zone_results["standard"] == "emergency-2h"]
    assert len(table) == 13  # 12 zones and ALL
    assert (table["covered_population"] == 0).all() and not table["passes"].any()
    assert table["uncovered_population"].tolist() == pytest.approx(table["population"].tolist())
    issues = _issues(result.issues)
    errors = issues[issues["severity"] == "error"]
    standard = errors[errors["message"].str.contains("emergency-2h")]
    assert len(standard) == 1
    assert standard.iloc[0]["value"] == "county_hospital, emergency_centre"
    assert "no open facility of these types" in standard.iloc[0]["message"]
    assert "0 % covered" in standard.iloc[0]["message"]
    assert standard.iloc[0]["source"].endswith("facilities.csv")
    # the bad row itself is listed too, and the other standards are unchanged
    assert ((errors["row"] == 2) & (errors["value"] == "abc")).any()
    rural = result.zone_results.set_index(["standard", "zone_code"]).loc[("rural-30min", "ALL")]
    before = flat_result.zone_results.set_index(["standard", "zone_code"]).loc[("rural-30min", "ALL")]
    assert rural["covered_population"] == pytest.approx(before["covered_population"], abs=1)
    # and the whole run (tables, report, map) completes
    code = main(
        ["run", str(study), "--quiet", "--out", str(tmp_path / "out"), "--map", str(tmp_path / "m.html")]
    )
    assert code == 0 and (tmp_path / "out" / "data_issues.csv").exists()


# --- helpers -------------------------------------------------------------------------------------

BOX = shapely.box(126.70, 42.30, 126.90, 42.50)


def zones_file(tmp_path: Path, codes, names, boxes, *, name: str = "zones.geojson", **kwargs) -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame(
        {"code": codes, "name": names}, geometry=list(boxes), crs=kwargs.pop("crs", 4326)
    ).to_file(path, **kwargs)
    return path


def raster_file(tmp_path: Path, values: np.ndarray, west: float, north: float, cell: float) -> Path:
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(west, north, cell, cell),
        nodata=-99999.0,
    ) as dst:
        dst.write(values.astype("float32"), 1)
    return path


def local_zones(tmp_path: Path, boxes, codes=("1", "2"), names=("甲镇", "乙镇")):
    issues = DataIssues()
    zones = read_zones(zones_file(tmp_path, list(codes), list(names), boxes), issues)
    return zones, issues


def test_distance_standard_without_any_village_clinic_is_zero_with_an_error(tmp_path):
    from carecircles.analysis import run_study
    from carecircles.standards import classify_facility_type

    sample = load_config(output_root=tmp_path)
    fixed = next(s for s in sample.standards if s.id == "village-2.5km").facility_types
    table = pd.read_csv(SAMPLE_FACILITIES, dtype=str, keep_default_na=False)
    table = table[~table["type"].map(classify_facility_type).isin(fixed)]
    facilities = tmp_path / "facilities.csv"
    table.to_csv(facilities, index=False, encoding="utf-8")
    study = write_study(tmp_path, inputs__facilities={"path": str(facilities)})
    result = run_study(load_config(study, output_root=tmp_path))
    table = result.zone_results[result.zone_results["standard"] == "village-2.5km"]
    assert (table["covered_population"] == 0).all() and not table["passes"].any()
    assert (result.villages["village-2.5km_status"] != "fixed").all()
    issues = result.issues.to_frame()
    error = issues[(issues["severity"] == "error") & issues["message"].str.contains("village-2.5km")]
    assert len(error) == 1 and error.iloc[0]["value"] == ", ".join(sorted(fixed))
    assert "no open facility of these types" in error.iloc[0]["message"]


# --- 2. empty files ------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["facilities", "villages"])
def test_zero_byte_csv_is_a_clear_error_naming_the_file(tmp_path, what):
    path = tmp_path / f"{what}.csv"
    path.write_bytes(b"")
    zones, _ = local_zones(tmp_path, [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    with pytest.raises(InputError) as err:
        if what == "facilities":
            read_facilities(path, DataIssues(), study_area=BOX)
        else:
            read_villages(path, zones, DataIssues())
    assert "file is empty" in str(err.value) and err.value.path == str(path)


def test_csv_with_only_a_header_has_no_rows(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("id,name,type,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="the facility table has no rows") as err:
        read_facilities(path, DataIssues(), study_area=BOX)
    assert err.value.path == str(path)


@pytest.mark.parametrize("name", ["zones.geojson", "roads.geojson", "roads.osm"])
def test_zero_byte_zone_or_road_file_is_a_clear_error_naming_the_file(tmp_path, name):
    from carecircles.roads import read_roads

    path = tmp_path / name
    path.write_bytes(b"\n")
    with pytest.raises(InputError, match="file is empty") as err:
        (read_zones if name.startswith("zones") else read_roads)(path, DataIssues())
    assert err.value.path == str(path)


def test_zero_byte_facility_file_in_a_study_stops_with_the_file(tmp_path):
    from carecircles.analysis import run_study

    path = tmp_path / "facilities.csv"
    path.write_bytes(b"")
    config = load_config(write_study(tmp_path, inputs__facilities={"path": str(path)}), output_root=tmp_path)
    with pytest.raises(InputError, match="the facility file is empty") as err:
        run_study(config)
    assert err.value.path == str(path)


# --- 3. coordinates in metres without .prj ------------------------------------------------------

GK_BOX = shapely.box(40_500_000, 4_700_000, 40_510_000, 4_710_000)  # 3-degree Gauss-Krüger, zone 40
UTM_BOX = shapely.box(500_000, 4_700_000, 510_000, 4_710_000)
MISSING_PRJ = r"coordinates outside ±180/±90: missing \.prj or wrong CRS"


@pytest.mark.parametrize("box", [GK_BOX, UTM_BOX], ids=["gauss-kruger", "utm"])
def test_zones_shapefile_without_prj_in_projected_metres_is_refused(tmp_path, box):
    path = zones_file(tmp_path, ["1"], ["甲镇"], [box], name="zones.shp", crs=None)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputError, match=MISSING_PRJ) as err:
        read_zones(path, DataIssues())
    assert err.value.path == str(path) and err.value.field == "crs"
    assert "no CRS is declared" in str(err.value)


def test_layer_claiming_wgs84_with_metre_coordinates_is_refused(tmp_path):
    path = zones_file(tmp_path, ["1"], ["甲镇"], [GK_BOX], name="zones.geojson", crs=4326)
    with pytest.raises(InputError, match=MISSING_PRJ) as err:
        read_zones(path, DataIssues())
    assert "declares degrees" in str(err.value)


def test_facility_and_village_shapefiles_without_prj_in_metres_are_refused(tmp_path):
    zones, _ = local_zones(tmp_path, [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    points = gpd.GeoDataFrame(
        {"name": ["甲卫生院"], "type": ["乡镇卫生院"], "population": [100]},
        geometry=[shapely.Point(40_505_000, 4_705_000)],
        crs=None,
    )
    path = tmp_path / "points.shp"
    points.to_file(path)
    with pytest.raises(InputError, match=MISSING_PRJ) as err:
        read_facilities(path, DataIssues(), study_area=BOX)
    assert err.value.path == str(path)
    with pytest.raises(InputError, match=MISSING_PRJ):
        read_villages(path, zones, DataIssues())


def test_road_layer_without_prj_in_metres_is_refused(tmp_path):
    from carecircles.roads import read_roads

    path = tmp_path / "roads.shp"
    gpd.GeoDataFrame(
        {"highway": ["primary"]},
        geometry=[shapely.LineString([(40_500_000, 4_700_000), (40_501_000, 4_700_000)])],
        crs=None,
    ).to_file(path)
    with pytest.raises(InputError, match=MISSING_PRJ) as err:
        read_roads(path, DataIssues())
    assert err.value.path == str(path)


def test_village_csv_in_projected_metres_is_refused(tmp_path):
    zones, _ = local_zones(tmp_path, [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    path = tmp_path / "villages.csv"
    path.write_text("name,x,y,population\n甲村,40505000,4705000,100\n乙村,40506000,4706000,50\n")
    with pytest.raises(InputError, match="no village has a longitude/latitude in range") as err:
        read_villages(path, zones, DataIssues())
    assert err.value.path == str(path) and "projected metres" in str(err.value)


# --- 4. overlapping zones ------------------------------------------------------------------------


def test_overlapping_zones_are_reported_and_each_cell_counted_once(tmp_path):
    # two zones of 0.1° overlapping by 0.02° (a 0.02 x 0.1 strip), 100 cells of 0.01° each
    west, north, cell = 126.80, 42.50, 0.01
    first = shapely.box(126.80, 42.40, 126.90, 42.50)
    second = shapely.box(126.88, 42.40, 126.98, 42.50)
    zones, issues = local_zones(tmp_path, [first, second])
    values = np.full((10, 18), 10.0)
    crs = utm_crs(126.9, 42.45)
    cells = read_population_raster(raster_file(tmp_path, values, west, north, cell), zones, crs, issues)
    report_zone_overlaps(zones, cells, crs, "zones.geojson", issues)

    # conserved: 18 columns x 10 rows of 10 people, the overlap's 2 columns counted once
    assert cells.total == pytest.approx(1800.0)
    per_zone = np.bincount(cells.zone, weights=cells.population, minlength=2)
    assert per_zone.tolist() == pytest.approx([800.0, 1000.0])  # the overlap goes to the zone listed last
    table = issues.to_frame()
    overlap = table[table["message"].str.contains("overlap")]
    assert len(overlap) == 1
    row = overlap.iloc[0]
    assert row["severity"] == "warning" and row["row"] == 2 and row["field"] == "geometry"
    strip_km2 = gpd.GeoSeries([first.intersection(second)], crs=4326).to_crs(crs).area.iloc[0] / 1e6
    area, people = row["value"].split(", ")
    assert float(area.removesuffix(" km²")) == pytest.approx(strip_km2, rel=1e-3)
    assert people == "200 people" and "200 people" in row["message"]
    assert "zones 1 甲镇 and 2 乙镇" in row["message"] and "counted once, in 乙镇" in row["message"]


def test_overlapping_zones_villages_go_to_the_zone_listed_last(tmp_path):
    zones, _ = local_zones(
        tmp_path, [shapely.box(126.80, 42.40, 126.90, 42.50), shapely.box(126.88, 42.40, 126.98, 42.50)]
    )
    path = tmp_path / "villages.csv"
    path.write_text("name,lon,lat,population\n甲村,126.82,42.45,100\n重叠村,126.89,42.45,50\n")
    villages = read_villages(path, zones, DataIssues())
    assert villages["zone_code"].tolist() == ["1", "2"] and villages["population"].sum() == 150


# --- 5. raster covering part of the zones, implausible cells -------------------------------------


def test_raster_covering_part_of_the_zones_is_a_warning_with_the_share(tmp_path):
    zones, issues = local_zones(
        tmp_path, [shapely.box(126.80, 42.40, 126.90, 42.50), shapely.box(126.90, 42.40, 127.00, 42.50)]
    )
    # the raster covers the first zone and the western 40 % of the second
    path = raster_file(tmp_path, np.full((10, 14), 5.0), 126.80, 42.50, 0.01)
    cells = read_population_raster(path, zones, utm_crs(126.9, 42.45), issues)
    assert cells.total == pytest.approx(700.0)  # computed on the covered part
    row = issues.to_frame().query("field == 'extent'").iloc[0]
    assert row["severity"] == "warning" and row["source"] == str(path)
    assert float(row["value"]) == pytest.approx(0.3, abs=0.002)  # 60 % of one of two equal zones
    assert "30.0% of the zone area" in row["message"] and "2 乙镇 60%" in row["message"]
    assert "1 甲镇" not in row["message"]


def test_negative_and_implausible_raster_cells_are_counted_and_reported(tmp_path):
    zones, issues = local_zones(tmp_path, [shapely.box(126.80, 42.40, 126.90, 42.50)], ["1"], ["甲镇"])
    values = np.full((10, 10), 5.0)
    values[0, :3] = -7.0
    values[5, 5] = 2.5e6
    path = raster_file(tmp_path, values, 126.80, 42.50, 0.01)
    cells = read_population_raster(path, zones, utm_crs(126.85, 42.45), issues)
    assert cells.total == pytest.approx(5.0 * 96)  # negative and implausible cells count no one
    table = issues.to_frame().set_index("field")
    negative = table[table["message"].str.contains("negative")].iloc[0]
    assert negative["message"].startswith("3 cells") and negative["value"] == "-7"
    # the default limit is 150,000 people per km² times the cell's area (0.01° cells here)
    limit = 150_000 * 0.01 * 0.01 * 111.32**2 * np.cos(np.radians(42.45))
    huge = table[table["message"].str.contains(f"more than {limit:,.0f} people")].iloc[0]
    assert huge["message"].startswith("1 cells") and huge["value"] == "2.5e+06"
    # a higher limit keeps it
    kept = read_population_raster(path, zones, utm_crs(126.85, 42.45), DataIssues(), max_cell_population=3e6)
    assert kept.total == pytest.approx(5.0 * 96 + 2.5e6)


def test_undeclared_nodata_32767_in_a_100m_raster_is_caught_by_the_default_limit(tmp_path):
    # found by review: a fixed 100,000 per cell let 32767 and 65535 through in a 100 m raster
    zones, issues = local_zones(tmp_path, [shapely.box(126.80, 42.40, 126.81, 42.41)], ["1"], ["甲镇"])
    values = np.full((12, 12), 20.0)
    values[3, 4], values[6, 7] = 32767.0, 65535.0
    path = raster_file(tmp_path, values, 126.80, 42.41, 1 / 1200)  # WorldPop's 3 arc-second grid
    cells = read_population_raster(path, zones, utm_crs(126.85, 42.45), issues)
    assert len(cells.population) == 12 * 12 - 2 and cells.total == pytest.approx(20.0 * 142)
    huge = issues.to_frame().query("field == 'value'").iloc[0]
    # a 3 arc-second cell at 42.4° N is 93 m × 68 m: 0.0064 km², so the limit is 953 people
    assert huge["message"].startswith("2 cells inside the zones hold more than 953 people")
    assert huge["value"] == "65535"


def test_raster_with_nodata_over_much_of_the_zones_is_a_warning_with_the_share(tmp_path):
    zones, issues = local_zones(tmp_path, [shapely.box(126.80, 42.40, 126.90, 42.50)], ["1"], ["甲镇"])
    values = np.full((10, 10), 5.0)
    values[:4] = -99999.0  # the raster's nodata value over 40 % of the zone
    path = raster_file(tmp_path, values, 126.80, 42.50, 0.01)
    cells = read_population_raster(path, zones, utm_crs(126.85, 42.45), issues)
    assert cells.total == pytest.approx(300.0)
    row = issues.to_frame().query("field == 'nodata'").iloc[0]
    assert row["severity"] == "warning" and row["value"] == "0.4000"
    assert row["message"].startswith("40 nodata cells inside the zones (40.0% of their cells)")


# --- 6. DBF without .cpg (mojibake) --------------------------------------------------------------


def test_dbf_without_cpg_read_as_mojibake_is_a_warning_and_encoding_gbk_fixes_it(tmp_path):
    names = ["靖宇镇", "城南街道"]
    path = zones_file(
        tmp_path,
        ["1", "2"],
        names,
        [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)],
        name="zones.shp",
        encoding="gbk",
    )
    path.with_suffix(".cpg").unlink(missing_ok=True)
    issues = DataIssues()
    garbled = read_zones(path, issues, type_rule={"镇": "rural", "道": "urban", "": "rural"})
    assert garbled["zone_name"].tolist() != names
    row = issues.to_frame().query("field == 'name'").iloc[0]
    assert row["severity"] == "warning" and row["row"] == 1 and row["source"] == str(path)
    assert "mojibake" in row["message"] and "as gbk it reads '靖宇镇'" in row["message"]
    assert "encoding: gbk" in row["message"]
    issues = DataIssues()
    zones = read_zones(path, issues, encoding="gbk")
    assert zones["zone_name"].tolist() == names and zones["zone_type"].tolist() == ["rural", "urban"]
    assert not issues.to_frame()["message"].str.contains("mojibake").any()


def test_facility_shapefile_without_cpg_is_a_warning_and_encoding_gbk_fixes_it(tmp_path):
    path = tmp_path / "facilities.shp"
    gpd.GeoDataFrame(
        {"name": ["靖宇县人民医院", "花园口镇卫生院"], "type": ["县级综合医院", "乡镇卫生院"]},
        geometry=[shapely.Point(126.8, 42.4), shapely.Point(126.85, 42.45)],
        crs=4326,
    ).to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    issues = DataIssues()
    read_facilities(path, issues, study_area=BOX)
    garbled = issues.to_frame().query("field == 'name'").iloc[0]
    assert "mojibake" in garbled["message"] and "encoding: gbk" in garbled["message"]
    issues = DataIssues()
    frame = read_facilities(path, issues, study_area=BOX, encoding="gbk")
    assert frame["name"].tolist() == ["靖宇县人民医院", "花园口镇卫生院"]
    assert frame["type"].tolist() == ["county_hospital", "thc"]
    assert not issues.to_frame()["message"].str.contains("mojibake").any()


def test_latin_names_are_not_taken_for_mojibake():
    from carecircles._tables import report_mojibake

    issues = DataIssues()
    frame = pd.DataFrame(
        {"name": ["Görlitzer Straße", "Bayreuth", "São Paulo"], "zh": ["³ÇÄÏ½ÖµÀ1ºÅ", "", None]}
    )
    report_mojibake(frame, Path("zones.shp"), issues, "zone")
    table = issues.to_frame()
    assert table["field"].tolist() == ["zh"] and "'城南街道1号'" in table.iloc[0]["message"]


def test_encoding_option_reaches_the_zone_reader_from_the_config(tmp_path):
    study = write_study(
        tmp_path,
        inputs__zones={
            "path": str(DATA / "boundaries" / "synthetic_jingyu_zones.geojson"),
            "encoding": "utf-8",
        },
    )
    config = load_config(study, output_root=tmp_path)
    assert config.reader_options["zones"] == {"encoding": "utf-8"}


def test_max_cell_population_reaches_the_raster_reader_from_the_config(tmp_path):
    from carecircles.analysis import run_study

    population = str(DATA / "population" / "synthetic_jingyu_population_100m.tif")
    study = write_study(tmp_path, inputs__population={"path": population, "max_cell_population": 5})
    result = run_study(load_config(study, output_root=tmp_path))
    table = result.issues.to_frame()
    huge = table[table["message"].str.contains("hold more than 5 people")]
    assert len(huge) == 1 and huge.iloc[0]["source"] == population
    assert result.counts["population"] < 110_000 / 2  # dense cells counted as no one


# --- 7. reserved and null zone codes -------------------------------------------------------------


@pytest.mark.parametrize("code", ["ALL", "all"])
def test_zone_coded_all_is_refused(tmp_path, code):
    path = zones_file(tmp_path, ["1", code], ["甲镇", "乙镇"], [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    with pytest.raises(InputError, match="reserved") as err:
        read_zones(path, DataIssues())
    assert err.value.row == 2 and err.value.field == "code" and err.value.path == str(path)


@pytest.mark.parametrize("code", [None, "", "  "])
def test_null_or_empty_zone_code_is_refused(tmp_path, code):
    path = zones_file(tmp_path, ["1", code], ["甲镇", "乙镇"], [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    with pytest.raises(InputError, match="zone without a code") as err:
        read_zones(path, DataIssues())
    assert err.value.row == 2 and err.value.field == "code" and err.value.path == str(path)


# --- 10. invalid polygons repaired ---------------------------------------------------------------


def test_invalid_zone_polygon_repair_reports_the_area_changed(tmp_path):
    bowtie = shapely.Polygon([(126.8, 42.4), (126.9, 42.5), (126.9, 42.4), (126.8, 42.5)])
    assert not bowtie.is_valid
    issues = DataIssues()
    zones = read_zones(zones_file(tmp_path, ["1"], ["甲镇"], [bowtie]), issues)
    assert zones.geometry.iloc[0].is_valid
    row = issues.to_frame().query("action == 'repaired'").iloc[0]
    local = utm_crs(126.85, 42.45)
    after = gpd.GeoSeries([zones.geometry.iloc[0]], crs=4326).to_crs(local).area.iloc[0] / 1e6
    assert row["row"] == 1 and row["field"] == "geometry" and row["value"] == "甲镇"
    drawn = gpd.GeoSeries([bowtie], crs=4326).to_crs(local).area.iloc[0] / 1e6  # lobes cancel
    assert f"area {drawn:.3f} km² as drawn, {after:.3f} km² after repair" in row["message"]
    assert after > 40  # both lobes of 0.1° x 0.05°


def test_invalid_zone_polygon_repair_reports_the_people_it_moved(tmp_path):
    from carecircles.population import report_zone_repairs

    # a hole reaching outside its shell: make_valid keeps the hole's outer part as zone
    shell, hole = shapely.box(126.8, 42.4, 126.9, 42.5), shapely.box(126.85, 42.45, 126.95, 42.55)
    zone = shapely.Polygon(shell.exterior.coords, [hole.exterior.coords])
    assert not zone.is_valid
    issues = DataIssues()
    zones = read_zones(zones_file(tmp_path, ["1"], ["甲镇"], [zone]), issues)
    path = raster_file(tmp_path, np.full((20, 20), 10.0), 126.80, 42.60, 0.01)
    local = utm_crs(126.85, 42.45)
    cells = read_population_raster(path, zones, local, issues)
    report_zone_repairs(zones, cells, local, "zones.geojson", issues)
    row = issues.to_frame().query("value.str.startswith('+')", engine="python").iloc[0]
    # the hole's L-shaped part outside the shell (0.1° x 0.05° + 0.05° x 0.05°: 75 cells of 10
    # people) came in; none went out
    assert row["message"] == (
        "zone 1 甲镇: repairing its polygon moved 750 people into the zone and 0 out of it into another zone"
    )
    assert row["severity"] == "warning" and row["row"] == 1 and row["value"] == "+750 / -0"


# --- 11. one point-table reader ------------------------------------------------------------------


def test_villages_in_gcj02_give_the_same_results_as_wgs84(tmp_path):
    from carecircles.analysis import run_study
    from carecircles.coords import from_wgs84

    villages = gpd.read_file(DATA / "villages" / "synthetic_jingyu_villages.geojson")
    lon, lat = from_wgs84(villages.geometry.x, villages.geometry.y, "gcj02")
    table = villages.drop(columns="geometry").assign(lon=np.round(lon, 8), lat=np.round(lat, 8))
    shifted = tmp_path / "villages_gcj02.csv"
    table.to_csv(shifted, index=False, encoding="utf-8")
    with_column = tmp_path / "villages_column.csv"
    table.assign(坐标系="GCJ-02").to_csv(with_column, index=False, encoding="utf-8")
    columns = {"id": "village_id", "name": "name", "population": "population"}

    def run(entry):
        study = write_study(tmp_path, inputs__villages=entry)
        return run_study(load_config(study, output_root=tmp_path))

    base = run({"path": str(DATA / "villages" / "synthetic_jingyu_villages.geojson"), "columns": columns})
    local = utm_crs(126.8, 42.4)
    for entry in (
        {"path": str(shifted), "columns": columns, "datum": "gcj02"},
        {"path": str(with_column), "columns": columns},
    ):
        result = run(entry)
        moved = result.villages.geometry.to_crs(local).distance(base.villages.geometry.to_crs(local))
        assert moved.max() < 1.0  # metres
        keep = ["village_id", "zone_code", "village-2.5km_status", "nearest_clinic_id", "rural-30min_minutes"]
        assert result.villages[keep].equals(base.villages[keep])
        assert result.zone_results.equals(base.zone_results)


def test_village_table_read_as_wgs84_would_move_villages(tmp_path):
    """Without the datum, a GCJ-02 table is hundreds of metres off: the option matters."""
    from carecircles.coords import from_wgs84

    zones, _ = local_zones(tmp_path, [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    lon, lat = (float(v) for v in from_wgs84(126.8, 42.4, "gcj02"))
    path = tmp_path / "villages.csv"
    path.write_text(f"name,lng,lat,population\n甲村,{lon:.8f},{lat:.8f},100\n", encoding="utf-8")
    as_gcj = read_villages(path, zones, DataIssues(), datum="gcj02")
    assert as_gcj.geometry.x[0] == pytest.approx(126.8, abs=1e-8)
    assert as_gcj.geometry.y[0] == pytest.approx(42.4, abs=1e-8)
    as_wgs = read_villages(path, zones, DataIssues())
    assert abs(as_wgs.geometry.x[0] - 126.8) > 1e-3


def test_village_rows_get_the_same_checks_as_facility_rows(tmp_path):
    zones, _ = local_zones(tmp_path, [BOX, shapely.box(126.9, 42.3, 127.1, 42.5)])
    path = tmp_path / "villages.csv"
    path.write_text(
        "name,lon,lat,population\n甲村,126.8,42.4,100\n乙村,42.41,126.81,50\n丙村,abc,42.4,10\n丁村,226.8,42.4,10\n",
        encoding="utf-8",
    )
    issues = DataIssues()
    villages = read_villages(path, zones, issues)
    assert villages["name"].tolist() == ["甲村", "乙村"]
    table = issues.to_frame().set_index("row")
    assert "swapped" in table.loc[3, "message"] and table.loc[3, "action"] == "repaired"
    assert table.loc[4, "value"] == "abc" and table.loc[4, "action"] == "excluded"
    assert "out of range" in table.loc[5, "message"]


def test_candidate_file_in_bd09_with_a_bad_row_uses_the_point_reader(tmp_path):
    from carecircles.coords import from_wgs84
    from carecircles.siting import read_candidates

    lon, lat = (float(v) for v in from_wgs84(126.8, 42.4, "bd09"))
    path = tmp_path / "sites.csv"
    path.write_text(f"name,lng,lat,坐标系\n甲,{lon:.8f},{lat:.8f},百度\n乙,,42.4,\n", encoding="utf-8")
    issues = DataIssues()
    sites = read_candidates(path, issues)
    assert sites["name"].tolist() == ["甲"]
    assert sites["lon"][0] == pytest.approx(126.8, abs=1e-8) and sites["lat"][0] == pytest.approx(
        42.4, abs=1e-8
    )
    row = issues.to_frame().iloc[0]
    assert row["row"] == 3 and row["field"] == "lng" and row["action"] == "excluded"


# --- 8. GraphML edges merging several highway classes -------------------------------------------


def _graphml(tmp_path: Path, highway, maxspeed=None) -> Path:
    import networkx as nx
    import osmnx as ox

    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=126.80, y=42.40)
    graph.add_node(2, x=126.80, y=42.409)  # ~1 km north
    graph.add_node(3, x=126.81, y=42.409)
    for u, v, cls in ((1, 2, highway), (2, 1, highway), (2, 3, "primary"), (3, 2, "primary")):
        data = {"highway": cls, "length": 1000.0, "osmid": 1}
        if maxspeed is not None and cls is highway:
            data["maxspeed"] = maxspeed
        graph.add_edge(u, v, **data)
    path = tmp_path / "merged.graphml"
    ox.save_graphml(graph, path)
    return path


@pytest.mark.parametrize(
    "highway", [["primary", "residential"], "['primary', 'residential']"], ids=["list", "text"]
)
def test_graphml_edge_merging_highway_classes_takes_the_slowest_class(tmp_path, highway):
    from carecircles.network import DEFAULT_SPEEDS_KMH, build_network
    from carecircles.roads import read_roads

    issues = DataIssues()
    roads = read_roads(_graphml(tmp_path, highway), issues)
    assert sorted(set(roads.highway)) == ["primary", "primary;residential"]
    crs = utm_crs(126.8, 42.4)
    for mode in ("car", "ebike"):
        network = build_network(roads, mode, crs, DataIssues())
        merged = np.flatnonzero(roads.highway == "primary;residential")[0]
        ends = [roads.u[merged], roads.v[merged]]
        x, y = project_lonlat(roads.node_lon[ends], roads.node_lat[ends], crs)
        (u, v), _ = network.snap(x, y, 1.0)
        slowest = DEFAULT_SPEEDS_KMH[mode]["residential"]
        assert network.seconds[u, v] == pytest.approx(network.metres[u, v] / slowest * 3.6, rel=1e-9)
    row = issues.to_frame().query("field == 'highway'").iloc[0]
    assert row["severity"] == "warning" and row["action"] == "repaired"
    assert row["message"].startswith("2 GraphML edges merge several road classes")
    assert row["value"] == "primary;residential" and row["source"].endswith("merged.graphml")


def test_graphml_merged_edge_with_a_class_a_mode_cannot_use_is_unusable_by_it(tmp_path):
    from carecircles.network import build_network
    from carecircles.roads import read_roads

    roads = read_roads(_graphml(tmp_path, ["residential", "footway"]), DataIssues())
    crs = utm_crs(126.8, 42.4)
    car = build_network(roads, "car", crs, DataIssues())
    walk = build_network(roads, "walk", crs, DataIssues())
    assert car.n_nodes == 2 and walk.n_nodes == 3  # the car cannot take the footway part


# --- 9. road layers classed with Chinese road classes --------------------------------------------

CHINESE_CLASSES = {
    "国道": "trunk",
    "省道": "primary",
    "县道": "secondary",
    "乡道": "tertiary",
    "村道": "unclassified",
    "专用公路": "service",
    "快速路": "trunk",
    "主干路": "primary",
    "次干路": "secondary",
    "支路": "residential",
    "高速公路": "motorway",
    "一级公路": "trunk",
    "二级": "primary",
    "三级公路": "tertiary",
    "四级公路": "unclassified",
    "等外公路": "track",
}


@pytest.mark.parametrize("column", ["道路等级", "技术等级", "等级", "fclass", "class", "type", "highway"])
def test_road_layer_with_chinese_road_classes_is_read_with_documented_speeds(tmp_path, column):
    from carecircles.network import DEFAULT_SPEEDS_KMH, build_network
    from carecircles.roads import read_roads

    # a comb: one east-west spine, one 1 km north-south line per class
    lines = [shapely.LineString([(126.80 + 0.01 * k, 42.40) for k in range(len(CHINESE_CLASSES) + 1)])]
    lines += [
        shapely.LineString([(126.80 + 0.01 * k, 42.40), (126.80 + 0.01 * k, 42.409)])
        for k in range(1, len(CHINESE_CLASSES) + 1)
    ]
    path = tmp_path / "roads.geojson"
    gpd.GeoDataFrame(
        {
            column: ["县道", *CHINESE_CLASSES],
            "名称": ["主线"] + [f"路{k}" for k in range(len(CHINESE_CLASSES))],
        },
        geometry=lines,
        crs=4326,
    ).to_file(path)
    issues = DataIssues()
    roads = read_roads(path, issues)
    assert set(roads.highway) == set(CHINESE_CLASSES.values())
    network = build_network(roads, "car", utm_crs(126.9, 42.4), issues)  # no "not usable by car"
    seconds = network.seconds.tocoo()
    speeds = network.metres.tocoo().data / seconds.data * 3.6
    expected = {DEFAULT_SPEEDS_KMH["car"][c] for c in CHINESE_CLASSES.values()}
    assert set(np.round(speeds, 6)) == expected
    note = issues.to_frame().query("field == @column").iloc[0]
    assert "国道→trunk" in note["message"] and "支路→residential" in note["message"]


def test_graphml_merged_edge_with_several_speed_limits_takes_the_lowest(tmp_path):
    from carecircles.roads import read_roads

    roads = read_roads(
        _graphml(tmp_path, ["primary", "secondary"], maxspeed=["50", "30", "none"]), DataIssues()
    )
    merged = roads.highway == "primary;secondary"
    assert merged.sum() == 2 and (roads.maxspeed_kmh[merged] == 30).all()


def test_road_shapefile_without_cpg_in_gbk_is_a_warning_and_encoding_gbk_reads_its_classes(tmp_path):
    from carecircles.roads import read_roads

    path = tmp_path / "roads.shp"
    gpd.GeoDataFrame(
        {"道路等级": ["县道", "乡道"]},
        geometry=[
            shapely.LineString([(126.80, 42.40), (126.81, 42.40)]),
            shapely.LineString([(126.81, 42.40), (126.82, 42.40)]),
        ],
        crs=4326,
    ).to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    issues = DataIssues()
    with pytest.raises(InputError, match="looks garbled \\(mojibake\\): set encoding: gbk") as err:
        read_roads(path, issues)
    assert err.value.path == str(path)
    header = issues.to_frame().query("field == 'columns'").iloc[0]
    assert "road column names look garbled" in header["message"] and "'道路等级'" in header["message"]
    roads = read_roads(path, DataIssues(), encoding="gbk")
    assert sorted(set(roads.highway)) == ["secondary", "tertiary"]


def test_graphml_without_crs_in_projected_metres_is_refused(tmp_path):
    import networkx as nx
    import osmnx as ox

    graph = nx.MultiDiGraph()
    graph.add_node(1, x=40_500_000.0, y=4_700_000.0)
    graph.add_node(2, x=40_501_000.0, y=4_700_000.0)
    graph.add_edge(1, 2, highway="primary", length=1000.0, osmid=1)
    path = tmp_path / "metres.graphml"
    ox.save_graphml(graph, path)
    from carecircles.roads import read_roads

    with pytest.raises(InputError, match=MISSING_PRJ) as err:
        read_roads(path, DataIssues())
    assert err.value.path == str(path)
