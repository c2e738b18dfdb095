"""The strict config schema, the YAML reader, `carecircles check` and the CLI's safety nets.

Every test is named for the bad input it feeds; each asserts the file, the key path and the
message a planner sees.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from carecircles import cli
from carecircles._errors import DataIssues, InputError
from carecircles.boundaries import read_zones
from carecircles.check import check_config, format_checklist
from carecircles.config import SAMPLE_CONFIG, load_config
from carecircles.facilities import FacilityColumns
from carecircles.population import read_villages
from carecircles.roads import read_roads
from carecircles.schema import (
    DEFAULT_SITES,
    ConfigFile,
    FacilityColumnsSpec,
    RoadsInput,
    SitingOptions,
    VillageColumns,
    ZoneColumns,
    config_reference,
    make_siting_options,
    safe_file_name,
)

from _helpers import DATA, ROOT, write_study

BASE = """\
inputs:
  zones: z.geojson
  facilities: f.csv
  roads: r.osm
  population: p.tif
"""


def config_error(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> InputError:
    path = tmp_path / "study.yml"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as caught:
        load_config(path, output_root=tmp_path)
    assert caught.value.path == str(path)
    return caught.value


def loaded(tmp_path: Path, text: str, *, encoding: str = "utf-8"):
    path = tmp_path / "study.yml"
    path.write_bytes(text.encode(encoding))
    return load_config(path, output_root=tmp_path)


# --- unknown keys: file, key path, line, suggestion -------------------------------------------


def test_typo_daturn_in_inputs_facilities_is_an_error_with_suggestion(tmp_path):
    text = BASE.replace("facilities: f.csv", "facilities: {path: f.csv, daturn: bd09}")
    error = config_error(tmp_path, text)
    assert error.field == "inputs.facilities.daturn"
    assert error.message == (
        "unknown key 'daturn' in inputs.facilities (line 3); did you mean 'datum'? "
        "(allowed keys: path, columns, datum, encoding, sheet)"
    )
    assert str(error).startswith(f"{tmp_path / 'study.yml'}, field 'inputs.facilities.daturn': ")


def test_output_dirr_typo(tmp_path):
    error = config_error(tmp_path, BASE + "output: {dirr: out}\n")
    assert error.field == "output.dirr"
    assert error.message == (
        "unknown key 'dirr' in output (line 6); did you mean 'dir'? "
        "(allowed keys: dir, map, issuing_unit, data_sources, base_map, tianditu_token)"
    )


def test_road_reader_unknown_option(tmp_path):
    error = config_error(tmp_path, BASE.replace("roads: r.osm", "roads: {path: r.gpkg, speed_units: ms}"))
    assert error.field == "inputs.roads.speed_units"
    assert "unknown key 'speed_units' in inputs.roads (line 4); did you mean 'speed_unit'?" in error.message
    assert "allowed keys: path, class_column, speed_column, speed_unit, join_tolerance_m" in error.message


def test_unknown_key_in_study_and_zone_columns(tmp_path):
    error = config_error(tmp_path, BASE + "study: {nmae: x}\n")
    assert error.field == "study.nmae" and "did you mean 'name'?" in error.message
    text = BASE.replace("zones: z.geojson", "zones: {path: z.geojson, columns: {cod: xzqdm}}")
    error = config_error(tmp_path, text)
    assert error.field == "inputs.zones.columns.cod" and "did you mean 'code'?" in error.message


def test_unknown_top_level_section_suggests(tmp_path):
    error = config_error(tmp_path, BASE + "standard: [urban-15min]\n")
    assert error.field == "standard"
    assert error.message.startswith(
        "unknown key 'standard' in the config (line 6); did you mean 'standards'?"
    )


def test_unknown_speed_class_primay_suggests_primary(tmp_path):
    error = config_error(tmp_path, BASE + "speeds:\n  car: {primay: 50}\n")
    assert error.field == "speeds.car.primay"
    assert error.message.startswith(
        "unknown road class 'primay' under speeds.car (line 7); did you mean 'primary'?"
    )


def test_unknown_mode_e_bike(tmp_path):
    error = config_error(tmp_path, BASE + "speeds:\n  e-bike: {track: 10}\n")
    assert error.field == "speeds.e-bike"
    assert error.message.startswith(
        "unknown travel mode 'e-bike' under speeds (line 7); did you mean 'ebike'?"
    )


def test_unknown_mode_cars(tmp_path):
    error = config_error(tmp_path, BASE + "speeds:\n  cars: {primary: 50}\n")
    assert error.field == "speeds.cars" and "did you mean 'car'?" in error.message


def test_new_mode_under_speeds_is_allowed_when_a_standard_uses_it(tmp_path):
    text = BASE + (
        "speeds:\n  tractor: {track: 8, unclassified: 12}\nstandards: [{id: rural-30min, mode: tractor}]\n"
    )
    config = loaded(tmp_path, text)
    assert config.speeds == {"tractor": {"track": 8, "unclassified": 12}}
    assert config.standards[0].mode == "tractor"


# --- wrong types and ranges: what was expected, in words --------------------------------------


def test_quoted_boolean_include_planned_refused(tmp_path):
    error = config_error(tmp_path, BASE + 'options: {include_planned: "false"}\n')
    assert error.field == "options.include_planned"
    assert error.message == "options.include_planned must be true or false (not quoted), got 'false' (line 6)"


def test_threshold_15fen_zhong_is_refused_with_words(tmp_path):
    error = config_error(
        tmp_path, BASE + "standards:\n  - urban-15min\n  - {id: rural-30min, threshold: 15分钟}\n"
    )
    assert error.field == "standards[1].threshold"
    assert error.message == (
        "standards[1].threshold must be a number of minutes greater than 0, got '15分钟' (line 8)"
    )


def test_distance_threshold_in_km_text_refused_in_metres(tmp_path):
    error = config_error(tmp_path, BASE + "standards: [{id: village-2.5km, threshold: 2.5km}]\n")
    assert error.message.startswith(
        "standards[0].threshold must be a number of metres greater than 0, got '2.5km'"
    )


def test_snap_radius_2km_refused(tmp_path):
    error = config_error(tmp_path, BASE + "options: {snap_radius_m: 2km}\n")
    assert error.field == "options.snap_radius_m"
    assert error.message == (
        "options.snap_radius_m must be a distance in metres greater than 0, got '2km' (line 6)"
    )


def test_negative_snap_radius_refused(tmp_path):
    error = config_error(tmp_path, BASE + "options: {snap_radius_m: -500}\n")
    assert error.message == (
        "options.snap_radius_m must be a distance in metres greater than 0, got -500 (line 6)"
    )


def test_speed_12kmh_refused(tmp_path):
    error = config_error(tmp_path, BASE + "speeds:\n  ebike: {track: 12km/h}\n")
    assert error.field == "speeds.ebike.track"
    assert error.message == (
        "speeds.ebike.track must be a speed in km/h (a number, 0 or more; 0: not usable), got "
        "'12km/h' (line 7)"
    )


def test_target_share_95_refused(tmp_path):
    error = config_error(tmp_path, BASE + "standards: [{id: rural-30min, target_share: 95}]\n")
    assert error.message == (
        "standards[0].target_share must be a share between 0 and 1 (e.g. 0.95), got 95 (line 6)"
    )


def test_unknown_facility_type_suggests(tmp_path):
    error = config_error(
        tmp_path, BASE + "standards: [{id: rural-30min, facility_types: [thc, vilage_clinic]}]\n"
    )
    assert error.field == "standards[0].facility_types[1]"
    assert error.message.startswith(
        "standards[0].facility_types[1] must be a facility type (county_hospital, "
    )
    assert error.message.endswith("got 'vilage_clinic' (line 6); did you mean 'village_clinic'?")


def test_unknown_zone_type_and_datum_suggest(tmp_path):
    error = config_error(tmp_path, BASE + "standards: [{id: rural-30min, zone_type: rual}]\n")
    assert error.message == (
        "standards[0].zone_type must be urban, rural or all, got 'rual' (line 6); did you mean 'rural'?"
    )
    error = config_error(
        tmp_path, BASE.replace("facilities: f.csv", "facilities: {path: f.csv, datum: bd-9}")
    )
    assert error.field == "inputs.facilities.datum" and error.message.endswith("did you mean 'bd-09'?")


def test_datum_aliases_accepted_and_normalised(tmp_path):
    config = loaded(tmp_path, BASE.replace("facilities: f.csv", "facilities: {path: f.csv, datum: 百度}"))
    assert config.facility_datum == "bd09"


def test_unknown_standard_id(tmp_path):
    error = config_error(tmp_path, BASE + "standards: [nope-5min]\n")
    assert error.field == "standards[0]"
    assert error.message.startswith(
        "standard 'nope-5min' is not a default standard and a new standard needs zone_type, facility_types, "
        "metric, threshold (line 6)"
    )


def test_standard_mode_bike_suggests_ebike(tmp_path):
    error = config_error(tmp_path, BASE + "standards: [{id: rural-30min, mode: bike}]\n")
    assert error.field == "standards[0].mode"
    assert error.message.startswith(
        "standards[0].mode 'bike' is not a travel mode (line 6); did you mean 'ebike'?"
    )


def test_standard_id_with_dotdot_refused(tmp_path):
    text = BASE + (
        "standards: [{id: ../x, zone_type: all, facility_types: [thc], metric: time, threshold: 5}]\n"
    )
    error = config_error(tmp_path, text)
    assert error.field == "standards[0].id" and "usable as a file name" in error.message


def test_siting_standard_not_listed(tmp_path):
    error = config_error(tmp_path, BASE + "siting: [rual-30min]\n")
    assert error.field == "siting[0].standard"
    assert error.message.startswith(
        "siting[0].standard 'rual-30min' is not one of the standards (line 6); did you mean 'rural-30min'?"
    )


def test_siting_zero_sites_and_unknown_candidate_refused(tmp_path):
    error = config_error(tmp_path, BASE + "siting: [{standard: rural-30min, k: 0}]\n")
    assert error.field == "siting[0].k" and "a whole number of sites (1 or more)" in error.message
    error = config_error(tmp_path, BASE + "siting: [{standard: rural-30min, candidates: [vilages]}]\n")
    assert error.field == "siting[0].candidates[0]" and error.message.endswith("did you mean 'villages'?")


def test_map_path_not_html_refused(tmp_path):
    error = config_error(tmp_path, BASE + "output: {map: maps/x.png}\n")
    assert error.message == "output.map must be an .html file path (text), got 'maps/x.png' (line 6)"


def test_no_population_and_no_villages_refused(tmp_path):
    error = config_error(tmp_path, "inputs: {zones: a, facilities: b, roads: c}\n")
    assert error.field == "inputs" and "give inputs.population (raster) or inputs.villages" in error.message


def test_several_problems_are_listed_together(tmp_path):
    error = config_error(tmp_path, BASE + "options: {snap_radius_m: 2km, include_planned: 'no', foo: 1}\n")
    assert error.message.startswith("3 problems in the config:\n")
    assert "  - options.include_planned must be true or false" in error.message
    assert "  - unknown key 'foo' in options (line 6)" in error.message


def test_no_raw_pydantic_dump_reaches_the_user(tmp_path):
    error = config_error(tmp_path, BASE + "siting: [{standard: rural-30min, k: yes}]\n")
    assert "validation error" not in error.message and "pydantic" not in error.message
    assert "type=" not in error.message
    assert error.message.endswith("got true (line 6)")


# --- YAML: duplicates, aliases, encodings ----------------------------------------------------


def test_duplicate_yaml_key_refused(tmp_path):
    error = config_error(tmp_path, BASE + "options: {snap_radius_m: 500}\noptions: {snap_radius_m: 600}\n")
    assert error.message == "key 'options' is given twice (lines 6 and 7): keep one"
    error = config_error(tmp_path, BASE + "options:\n  snap_radius_m: 500\n  snap_radius_m: 600\n")
    assert error.message == "key 'snap_radius_m' is given twice (lines 7 and 8): keep one"


def test_yaml_alias_bomb_refused(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    error = config_error(tmp_path, BASE + "\n".join(levels) + "\n")
    assert error.message.startswith(
        "the config expands to more than 10,000 values (through YAML aliases): refused"
    )


def test_more_than_100_aliases_refused(tmp_path):
    error = config_error(tmp_path, BASE + "x: &x 1\ny: [" + ", ".join(["*x"] * 101) + "]\n")
    assert error.message.startswith("more than 100 YAML aliases (*name): refused")


def test_recursive_alias_refused(tmp_path):
    error = config_error(tmp_path, BASE + "x: &x [1, *x]\n")
    assert error.message.startswith("a YAML alias refers to itself: refused")


def test_a_few_aliases_and_merge_keys_are_fine(tmp_path):
    text = BASE + (
        "standards: [&u urban-15min, rural-30min]\n"
        "siting: [&base {standard: rural-30min, k: 2}, {<<: *base, k: 4}, *u]\n"
    )
    runs = loaded(tmp_path, text).siting
    assert [(r.standard, r.k) for r in runs] == [
        ("rural-30min", 2),
        ("rural-30min", 4),
        ("urban-15min", "auto"),
    ]


def test_gbk_config_read(tmp_path):
    text = write_study(tmp_path).read_text(encoding="utf-8")
    assert "靖宇县" in text
    utf8 = loaded(tmp_path, text)
    gbk = loaded(tmp_path, text, encoding="gbk")
    assert gbk.encoding == "gb18030" and utf8.encoding == "utf-8"
    assert gbk.title == utf8.title == "靖宇县（合成示例数据）Synthetic Jingyu County"
    assert (gbk.standards, gbk.options, gbk.zones) == (utf8.standards, utf8.options, utf8.zones)


def test_utf16_config_refused_with_save_as_utf8(tmp_path):
    error = config_error(tmp_path, "\ufeff" + BASE, encoding="utf-16-le")
    assert error.message == "the config is saved as UTF-16: save it as UTF-8"
    path = tmp_path / "binary.yml"
    path.write_bytes(b"inputs: \x81\x30\xff\xff\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GB18030 text: save it as UTF-8"):
        load_config(path)


# --- the study name and output paths ---------------------------------------------------------


def test_study_name_with_dotdot_becomes_safe_file_name(tmp_path):
    config = loaded(tmp_path, BASE + "study: {name: ../../etc/靖宇县}\n")
    assert config.name == "etc_靖宇县"
    assert config.title == "../../etc/靖宇县"
    assert config.output_dir == (tmp_path / "output" / "etc_靖宇县").resolve()
    assert config.map_path == (tmp_path / "maps" / "etc_靖宇县.html").resolve()
    assert config.output_dir.is_relative_to(tmp_path / "output")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("my-county", "my-county"),
        ("靖宇县 2024", "靖宇县 2024"),
        ("..", "study"),
        ("../", "study"),
        (".hidden", "hidden"),
        ("a\x00b\nc\u202ed", "a_b_c_d"),
        ("a\\b", "a_b"),
        ("／etc／passwd", "etc_passwd"),
        ("a..b", "a.b"),
        ("CON", "CON_"),
        ("x" * 100, "x" * 64),
    ],
)
def test_safe_file_name_rule(name, safe):
    assert safe_file_name(name) == safe
    assert "/" not in safe and "\\" not in safe and ".." not in safe and not safe.startswith(".")


def test_output_paths_stay_where_the_user_said(tmp_path):
    config = loaded(tmp_path, BASE + "output: {dir: ../shared-out/x, map: m/y.html}\n")
    assert config.output_dir == (tmp_path / "../shared-out/x").resolve()
    assert config.map_path == (tmp_path / "m" / "y.html").resolve()


# --- the schema as a module ------------------------------------------------------------------


def test_schema_imports_no_analysis_modules():
    code = (
        "import carecircles.schema, sys; print(sorted(m for m in sys.modules if m.startswith('carecircles')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # constant tables only: standards (facility types), coords (datum names), network (speed tables),
    # plans (plan names, indicator ids, resources)
    assert eval(out) == [
        "carecircles",
        "carecircles._crs",
        "carecircles._errors",
        "carecircles._schema_scorecard",
        "carecircles._schema_terrain",
        "carecircles._schema_types",
        "carecircles._schema_walk",
        "carecircles.coords",
        "carecircles.network",
        "carecircles.plans",
        "carecircles.schema",
        "carecircles.standards",
    ]


def test_config_imports_neither_siting_nor_analysis():
    code = (
        "import carecircles.config, sys; print(sorted(m for m in sys.modules if m.startswith('carecircles')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded_modules = set(eval(out))
    assert not loaded_modules & {"carecircles.siting", "carecircles.analysis", "carecircles.assessment"}


def test_schema_options_match_the_readers():
    roads = set(inspect.signature(read_roads).parameters) - {"path", "issues"}
    assert set(RoadsInput.model_fields) - {"path"} == roads
    assert set(FacilityColumnsSpec.model_fields) == set(FacilityColumns.__dataclass_fields__)
    villages = {
        p.removesuffix("_column")
        for p in inspect.signature(read_villages).parameters
        if p.endswith("_column")
    }
    assert set(VillageColumns.model_fields) == villages
    zones = {
        p.removesuffix("_column") for p in inspect.signature(read_zones).parameters if p.endswith("_column")
    }
    assert set(ZoneColumns.model_fields) == zones == {"code", "name", "type", "county"}


def test_default_number_of_sites_lives_in_the_schema():
    assert SitingOptions().k == "auto"
    assert SitingOptions().max_sites("time") == DEFAULT_SITES == 3
    assert SitingOptions().max_sites("distance") is None
    assert SitingOptions(k=5).max_sites("distance") == 5 and SitingOptions(k=None).max_sites("time") is None


def test_site_command_options_are_validated_by_the_schema():
    with pytest.raises(InputError) as caught:
        make_siting_options({"candidates": ("vilages",)})
    assert caught.value.path == "command line" and caught.value.field == "candidates[0]"
    assert caught.value.message == (
        "candidates[0] must be a candidate kind: villages, zone_centres, road_nodes, got 'vilages'; "
        "did you mean 'villages'?"
    )


def test_sample_config_validates_with_its_values():
    config = load_config(SAMPLE_CONFIG)
    assert config.name == "synthetic-jingyu" and config.synthetic
    assert [s.id for s in config.standards] == ["urban-15min", "rural-30min", "village-2.5km", "emergency-2h"]
    assert config.options.snap_radius_m == 2000 and config.options.include_planned is False
    assert config.zone_columns == {"code": "zone_code", "name": "zone_name", "type": "zone_type"}
    assert config.facility_datum == "wgs84" and config.road_options == {} and config.siting == ()


def test_zone_type_error_names_the_real_config_key(tmp_path):
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"code": ["1"], "name": ["某某片区"]}, geometry=[shapely.box(126, 42, 126.1, 42.1)], crs=4326
    ).to_file(path)
    with pytest.raises(InputError, match=r"inputs\.zones\.type_rule in the config"):
        read_zones(path, DataIssues())
    config = loaded(
        tmp_path, BASE.replace("zones: z.geojson", "zones: {path: z.geojson, type_rule: {片区: urban}}")
    )
    assert config.zone_type_rule == {"片区": "urban"}


# --- scorecard: the plan, targets and the indicators' options ------------------------------


def test_scorecard_defaults_when_the_section_is_absent_or_empty(tmp_path):
    config = loaded(tmp_path, BASE)
    assert config.scorecard.plan == "jingyu" and config.scorecard.targets == {}
    assert config.scorecard.census_population is None and config.scorecard.village_match_m == 1000
    assert config.scorecard.load_factor == 1.5 and config.scorecard.capacity.resource == "beds"
    assert loaded(tmp_path, BASE + "scorecard:\n").scorecard == config.scorecard


def test_scorecard_plan_typo_jinyu_suggests_jingyu(tmp_path):
    error = config_error(tmp_path, BASE + "scorecard:\n  plan: jinyu\n")
    assert error.field == "scorecard.plan"
    assert error.message == (
        "scorecard.plan must be a plan: jingyu, jishou, leshan-shizhong, got 'jinyu' (line 7); "
        "did you mean 'jingyu'?"
    )


def test_scorecard_unknown_target_id_suggests_the_indicator(tmp_path):
    error = config_error(tmp_path, BASE + "scorecard:\n  targets:\n    beds_per_100: 7.25\n")
    assert error.field == "scorecard.targets.beds_per_100"
    assert error.message == (
        "unknown indicator 'beds_per_100' under scorecard.targets (line 8); did you mean 'beds_per_1000'? "
        "(indicators: beds_per_1000, doctors_per_1000, nurses_per_1000, gps_per_10000, pharmacists_per_1000)"
    )
    error = config_error(tmp_path, BASE + "scorecard: {targets: {gp_per_10000: 4}}\n")
    assert "did you mean 'gps_per_10000'?" in error.message


def test_scorecard_unknown_key_suggests(tmp_path):
    error = config_error(tmp_path, BASE + "scorecard: {census_populaton: 108478}\n")
    assert error.field == "scorecard.census_populaton"
    assert "did you mean 'census_population'?" in error.message


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("{targets: {beds_per_1000: '7.25'}}", "scorecard.targets.beds_per_1000", "a number greater than 0"),
        ("{targets: {beds_per_1000: 0}}", "scorecard.targets.beds_per_1000", "a number greater than 0"),
        ("{census_population: '108,478'}", "scorecard.census_population", "a number of people (more than 0)"),
        ("{census_population: -5}", "scorecard.census_population", "a number of people (more than 0)"),
        ("{village_match_m: 1km}", "scorecard.village_match_m", "a distance in metres greater than 0"),
        ("{load_factor: true}", "scorecard.load_factor", "a number greater than 0"),
        ("{plan: 2}", "scorecard.plan", "a plan: jingyu, jishou, leshan-shizhong"),
        ("{capacity: {resource: bed}}", "scorecard.capacity.resource", "a resource: beds, doctors"),
        (
            "{capacity: {decay: [[10, 1.5], [30, 0.2]]}}",
            "scorecard.capacity.decay[0][1]",
            "a weight greater than 0",
        ),
        (
            "{capacity: {decay: [[-1, 1], [30, 0.2]]}}",
            "scorecard.capacity.decay[0][0]",
            "a number of minutes",
        ),
        ("{capacity: {decay: [[10, 1, 3]]}}", "scorecard.capacity.decay[0]", "a band [minutes, weight]"),
        ("{capacity: {decay: 30}}", "scorecard.capacity.decay", "a list of [minutes, weight] bands"),
    ],
)
def test_scorecard_wrong_types_say_what_was_expected(tmp_path, text, field, expected):
    error = config_error(tmp_path, BASE + f"scorecard: {text}\n")
    assert error.field == field
    assert error.message.startswith(f"{field} must be {expected}")


def test_scorecard_capacity_standard_must_be_a_time_standard_of_the_study(tmp_path):
    error = config_error(tmp_path, BASE + "scorecard: {capacity: {standard: rural-30}}\n")
    assert error.field == "scorecard.capacity.standard"
    assert error.message == (
        "scorecard.capacity.standard 'rural-30' is not one of the standards; it must be a time standard "
        "(line 6); did you mean 'rural-30min'? (time standards: urban-15min, rural-30min)"
    )
    error = config_error(tmp_path, BASE + "scorecard: {capacity: {standard: village-2.5km}}\n")
    assert "'village-2.5km' is a distance standard" in error.message


@pytest.mark.parametrize(
    ("decay", "message"),
    [
        ("[[10, 1], [5, 0.5], [30, 0.2]]", "the minutes must increase, got [10.0, 5.0, 30.0]"),
        ("[[10, 0.5], [20, 0.6], [30, 0.2]]", "the weights must not increase with time"),
        (
            "[[10, 1], [20, 0.5], [25, 0.2]]",
            "the last band must end at the threshold of rural-30min (30 min)",
        ),
        ("[]", "needs at least one [minutes, weight] band"),
    ],
)
def test_scorecard_decay_bands_are_checked_against_the_standard(tmp_path, decay, message):
    error = config_error(
        tmp_path, BASE + f"scorecard: {{capacity: {{standard: rural-30min, decay: {decay}}}}}\n"
    )
    assert error.field == "scorecard.capacity.decay" and message in error.message


def test_scorecard_section_is_read_into_the_study_config(tmp_path):
    text = BASE + (
        "scorecard:\n"
        "  plan: leshan-shizhong\n"
        "  census_population: 108478\n"
        "  targets: {gps_per_10000: 4, beds_per_1000: 8.5}\n"
        "  village_match_m: 800\n"
        "  load_factor: 2\n"
        "  capacity: {resource: doctors, standard: rural-30min, decay: [[15, 1], [30, 0.5]]}\n"
    )
    scorecard = loaded(tmp_path, text).scorecard
    assert scorecard.plan == "leshan-shizhong" and scorecard.census_population == 108478
    assert scorecard.targets == {"gps_per_10000": 4.0, "beds_per_1000": 8.5}
    assert (scorecard.village_match_m, scorecard.load_factor) == (800, 2)
    assert scorecard.capacity.resource == "doctors" and scorecard.capacity.standard == "rural-30min"
    assert scorecard.capacity.bands(30) == ((15.0, 1.0), (30.0, 0.5))
    assert loaded(tmp_path, BASE).scorecard.capacity.bands(30) == ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


# --- the README is generated from the schema -------------------------------------------------


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_config_reference_is_generated_from_schema():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import config_reference as script
    finally:
        sys.path.pop(0)
    text = readme()
    assert script.updated(text) == text, (
        "README config reference is stale: run python scripts/config_reference.py"
    )
    assert config_reference() in text


def test_every_schema_key_is_in_the_readme_table_and_back():
    table = readme().partition("<!-- config-reference")[2].partition("<!-- end of config-reference")[0]
    readme_keys = set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))
    schema_keys = {row.split("`")[1] for row in config_reference().splitlines()[2:]}
    assert readme_keys == schema_keys
    for key in (
        "inputs.facilities.datum",
        "speeds.<mode>.<road class>",
        "standards[].threshold",
        "siting[].k",
    ):
        assert key in readme_keys
    assert {k.split(".")[0].split("[")[0] for k in readme_keys} == set(ConfigFile.model_fields)


def test_readme_example_config_validates(tmp_path):
    example = readme().partition("### A study config\n\n```yaml\n")[2].partition("```")[0]
    config = loaded(tmp_path, example)
    assert config.name == "my-county" and config.facility_datum == "gcj02"
    assert config.standards[1].mode == "car" and config.standards[1].target_share == 0.95


# --- carecircles check -----------------------------------------------------------------------


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_command_passes_on_sample(capsys, monkeypatch):
    import carecircles.analysis

    monkeypatch.setattr(
        carecircles.analysis, "load_inputs", lambda *a, **k: pytest.fail("check ran the analysis")
    )
    code, out, _ = run_cli("check", str(SAMPLE_CONFIG), capsys=capsys)
    assert code == 0
    assert "✓ 配置文件 · 内容: 有效；标准：urban-15min, rural-30min, village-2.5km, emergency-2h" in out
    assert (
        "✓ 区域边界 · 字段: 12 个区域（城区 4，农村 8）；code=zone_code, name=zone_name, type=zone_type"
    ) in out
    assert "! 医疗机构 · 坐标系: 1 行经纬度似乎互换" in out  # the sample's swapped row
    assert "✓ 人口栅格 · 覆盖范围: 覆盖全部区域" in out
    assert "✓ 高程（DEM） · 覆盖范围: 覆盖全部区域范围" in out  # the sample's synthetic DEM
    assert out.rstrip().endswith("全部 20 项通过，1 项值得一看（!）") and "✗" not in out  # the swapped row


def test_check_command_english(capsys):
    code, out, _ = run_cli("check", str(SAMPLE_CONFIG), "--lang", "en", capsys=capsys)
    assert code == 0
    assert (
        "✓ facilities · columns: 121 rows; lon=lon, lat=lat, type=type, name=name, status=status, datum=crs"
    ) in out
    assert "✓ roads · format: OSM XML" in out and out.rstrip().endswith(
        "all 20 checks passed, 1 worth a look (!)"
    )


def test_check_command_bad_config(tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text(
        BASE.replace("facilities: f.csv", "facilities: {path: f.csv, daturn: bd09}"), encoding="utf-8"
    )
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    assert out.splitlines()[0] == (
        f"✗ config · content: {path}, field 'inputs.facilities.daturn': unknown key 'daturn' in "
        "inputs.facilities (line 3); did you mean 'datum'? "
        "(allowed keys: path, columns, datum, encoding, sheet)"
    )


def test_check_command_shows_escape_sequences_from_the_config_as_text(tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text(BASE + 'scorecard: {"load_f\\e[31macter": 2}\n', encoding="utf-8")
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    assert "\x1b" not in out and "load_f\\x1b[31macter" in out


def test_check_command_missing_and_empty_files(tmp_path, capsys):
    (tmp_path / "f.csv").write_bytes(b"")
    path = write_study(
        tmp_path, inputs__facilities={"path": str(tmp_path / "f.csv")}, inputs__roads="none.osm"
    )
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    assert f"✗ facilities · file: the file is empty (0 bytes): {tmp_path / 'f.csv'}" in out
    assert f"✗ roads · file: file not found: {(tmp_path / 'none.osm').resolve()}" in out


def test_check_command_shapefile_without_prj_in_metres(tmp_path, capsys):
    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson").to_crs(4527)  # CGCS2000 GK
    zones.to_file(tmp_path / "zones.shp", encoding="utf-8")
    (tmp_path / "zones.prj").unlink()
    path = write_study(tmp_path, inputs__zones={"path": str(tmp_path / "zones.shp")})
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    line = next(x for x in out.splitlines() if x.startswith("✗ zones · CRS"))
    assert "has no CRS (read as degrees)" in line and line.endswith("missing .prj or wrong CRS")


def test_check_command_csv_in_projected_metres(tmp_path, capsys):
    csv = tmp_path / "f.csv"
    csv.write_text("name,type,x,y\n甲卫生院,乡镇卫生院,41512345.1,4695432.2\n", encoding="gbk")
    path = write_study(tmp_path, inputs__facilities={"path": str(csv)})
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    assert "✓ facilities · encoding: GB18030" in out
    assert (
        "✗ facilities · CRS: 1 rows have coordinates outside ±180/±90: not degrees (projected metres?)"
    ) in out


def test_check_command_missing_column(tmp_path, capsys):
    csv = tmp_path / "f.csv"
    csv.write_text("name,type,east,north\n甲卫生院,乡镇卫生院,126.8,42.3\n", encoding="utf-8")
    path = write_study(tmp_path, inputs__facilities={"path": str(csv)})
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    line = next(x for x in out.splitlines() if x.startswith("✗ facilities · columns"))
    assert "no lon column: expected one of lon, lng" in line


def test_check_command_raster_not_covering_the_zones(tmp_path, capsys):
    raster = tmp_path / "pop.tif"
    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    west, south, east, north = zones.total_bounds
    half = (west + east) / 2
    with rasterio.open(
        raster, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs="EPSG:4326",
        transform=from_origin(west, north, (half - west) / 10, (north - south) / 10),
    ) as dst:  # fmt: skip
        dst.write(np.ones((1, 10, 10), dtype="float32"))
    path = write_study(tmp_path, inputs__population=str(raster))
    code, out, _ = run_cli("check", str(path), capsys=capsys)
    assert code == 2
    assert "✗ 人口栅格 · 覆盖范围: 只覆盖区域范围的 50%" in out


def test_check_command_unwritable_output(tmp_path):
    (tmp_path / "afile").write_text("x")
    path = write_study(tmp_path, output={"dir": str(tmp_path / "afile" / "out")})
    items = check_config(path)
    bad = [i for i in items if not i.ok]
    assert [(i.what, i.aspect) for i in bad] == [("output", "writable")]
    assert (
        format_checklist(items, "en").splitlines()[-1]
        == f"1 of {len(items)} checks failed, 1 worth a look (!)"
    )


# --- the CLI: output folders first, data issues on stop ---------------------------------------


def test_unwritable_output_folder_fails_before_analysis(tmp_path, capsys, monkeypatch):
    import carecircles.analysis

    monkeypatch.setattr(carecircles.analysis, "load_inputs", lambda *a, **k: pytest.fail("analysis started"))
    (tmp_path / "afile").write_text("x")
    path = write_study(tmp_path)
    out = tmp_path / "afile" / "out"
    code, _, err = run_cli("run", str(path), "--out", str(out), "--quiet", "--lang", "en", capsys=capsys)
    assert code == 2
    assert err.strip() == (
        f"carecircles: error: field '--out': cannot write to the folder {out}: Not a directory; "
        "choose another with --out"
    )


def test_unwritable_map_folder_from_config_fails_before_analysis(tmp_path, capsys, monkeypatch):
    import carecircles.analysis

    monkeypatch.setattr(carecircles.analysis, "load_inputs", lambda *a, **k: pytest.fail("analysis started"))
    (tmp_path / "afile").write_text("x")
    path = write_study(
        tmp_path, output={"dir": str(tmp_path / "out"), "map": str(tmp_path / "afile" / "m.html")}
    )
    code, _, err = run_cli("run", str(path), "--quiet", "--lang", "en", capsys=capsys)
    assert code == 2
    assert err.startswith(f"carecircles: error: {path}, field 'output.map': cannot write to the folder ")


def test_data_issues_written_when_run_stops(tmp_path, capsys):
    empty = tmp_path / "roads.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    path = write_study(tmp_path, inputs__roads=str(empty), output={"dir": str(tmp_path / "out")})
    code, _, err = run_cli("run", str(path), "--quiet", "--lang", "en", capsys=capsys)
    assert code == 2
    issues_csv = tmp_path / "out" / "data_issues-stopped.csv"
    frame = gpd.pd.read_csv(issues_csv, encoding="utf-8-sig")
    assert f"the run stopped; {len(frame)} data issues found so far are in {issues_csv}" in err
    assert "carecircles: error:" in err and str(empty) in err
    assert frame["message"].str.contains("longitude and latitude look swapped").any()  # facilities
    # the population, read while the roads were, is finished and its issues kept too
    assert frame["message"].str.contains("nodata cells inside the zones").any()


def test_sample_config_siting_examples_validate(tmp_path):
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace("# siting:", "siting:").replace("#   - {standard", "  - {standard")
    path = tmp_path / "study.yml"
    path.write_text(text.replace("path: ", f"path: {DATA}/"), encoding="utf-8")
    runs = load_config(path, output_root=tmp_path).siting
    assert [(r.standard, r.k, r.exact) for r in runs] == [
        ("rural-30min", 3, True),
        ("village-2.5km", None, False),
    ]
    assert runs[1].candidates == ("villages",) and runs[1].min_demand == 200


def test_check_command_gbk_config_is_read_with_a_note(tmp_path, capsys):
    path = tmp_path / "study.yml"
    path.write_bytes(write_study(tmp_path).read_text(encoding="utf-8").encode("gb18030"))
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 0
    assert "! config · encoding: read as gb18030; UTF-8 is safer" in out


def test_check_command_road_line_layer_and_raster_elsewhere(tmp_path, capsys):
    from _helpers import shared_file

    roads = shared_file("wuhan-optics-valley-roads.geojson")
    raster = shared_file("worldpop-wuhan-age30-34-male-100m.tif")
    path = write_study(
        tmp_path, inputs__roads={"path": str(roads), "speed_unit": "kmh"}, inputs__population=str(raster)
    )
    code, out, _ = run_cli("check", str(path), "--lang", "en", capsys=capsys)
    assert code == 2
    assert "✓ roads · format: line layer; class=highway, speed=max_speed" in out
    assert "✗ population raster · coverage: does not overlap the zones (wrong file or CRS?)" in out


def test_check_command_uses_the_encoding_option_of_a_gbk_shapefile(tmp_path, capsys):
    # a GBK shapefile without .cpg, with Chinese column names: `run` reads it with encoding: gbk,
    # so `check` must read it the same way (found by review: check ignored the option)
    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    zones = zones.rename(columns={"zone_code": "区划代码", "zone_name": "名称", "zone_type": "类型"})
    path = tmp_path / "zones.shp"
    zones.to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    entry = {
        "path": str(path),
        "encoding": "gbk",
        "columns": {"code": "区划代码", "name": "名称", "type": "类型"},
    }
    study = write_study(tmp_path, inputs__zones=entry)
    code, out, _ = run_cli("check", str(study), "--lang", "en", capsys=capsys)
    assert code == 0, out
    line = next(x for x in out.splitlines() if x.startswith("✓ zones · columns"))
    assert "code=区划代码, name=名称, type=类型" in line
    assert "✓ zones · encoding: gbk (set in the config)" in out
    without = write_study(tmp_path, inputs__zones={k: v for k, v in entry.items() if k != "encoding"})
    code, out, _ = run_cli("check", str(without), "--lang", "en", capsys=capsys)
    assert code == 2 and "encoding: gbk" in out


@pytest.mark.parametrize("standard", ["rural-30mn", "../../x"])
def test_site_with_an_unknown_standard_stops_before_reading_or_writing(
    tmp_path, capsys, monkeypatch, standard
):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("site", "--standard", standard, capsys=capsys)
    assert code == 2
    assert f"--standard '{standard}' is not one of the study's standards (urban-15min, rural-30min" in err
    assert ("did you mean 'rural-30min'?" in err) == (standard == "rural-30mn")
    assert list(tmp_path.iterdir()) == []  # no folder made, nothing read


def test_a_stopped_run_does_not_mix_its_issues_with_an_earlier_runs_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    good = write_study(tmp_path, output={"dir": str(out), "map": str(tmp_path / "m.html")})
    assert run_cli("run", str(good), "--quiet", capsys=capsys)[0] == 0
    before = (out / "data_issues.csv").read_bytes()
    empty = tmp_path / "roads.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    bad = write_study(tmp_path, inputs__roads=str(empty), output={"dir": str(out)})
    bad = bad.rename(tmp_path / "bad.yml")
    good = write_study(tmp_path, output={"dir": str(out), "map": str(tmp_path / "m.html")})
    code, _, err = run_cli("run", str(bad), "--quiet", capsys=capsys)
    assert code == 2 and "are from an earlier run" in err
    assert (out / "data_issues.csv").read_bytes() == before  # the finished run's file is untouched
    assert (out / "data_issues-stopped.csv").exists()
    assert run_cli("run", str(good), "--quiet", capsys=capsys)[0] == 0
    assert not (out / "data_issues-stopped.csv").exists()  # superseded by the finished run


def test_speed_for_a_class_of_ones_own_road_layer_is_used(tmp_path):
    # found by review: every class outside the OSM list was refused, so a line layer's own
    # classes (expressway, 1, 2 …) could get no speed; now only near-misses of a known class stop
    from carecircles._crs import utm_crs
    from carecircles.network import build_network

    path = tmp_path / "lines.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"class":"expressway"},'
        '"geometry":{"type":"LineString","coordinates":[[126.8,42.4],[126.9,42.4]]}}]}',
        encoding="utf-8",
    )
    config = load_config(write_study(tmp_path, speeds={"car": {"expressway": 80}}), output_root=tmp_path)
    issues = DataIssues()
    roads = read_roads(path, issues)
    network = build_network(roads, "car", utm_crs(126.85, 42.4), issues, speeds=config.speeds["car"])
    np.testing.assert_allclose(network.metres.data / network.seconds.data, 80 / 3.6)
    assert not issues.to_frame()["message"].str.contains("speeds.car").any()


def test_speed_for_a_class_no_road_has_is_a_warning_with_the_osm_class_to_use(tmp_path):
    from carecircles.analysis import load_inputs

    config = load_config(write_study(tmp_path, speeds={"car": {"县道": 40}}), output_root=tmp_path)
    table = load_inputs(config).issues.to_frame()
    row = table[table["field"] == "speeds.car.县道"].iloc[0]
    assert row["severity"] == "warning" and row["action"] == "skipped"
    assert "no road of class '县道'" in row["message"] and "set speeds.car.secondary" in row["message"]


def test_errors_are_chinese_by_default(tmp_path, capsys):
    missing = tmp_path / "no-such.yml"
    code, _, err = run_cli("run", str(missing), "--quiet", capsys=capsys)
    assert code == 2
    assert err.strip() == f"carecircles：错误：文件 {missing}：找不到配置文件"
    path = write_study(tmp_path, output={"dirr": "out"})
    code, _, err = run_cli("run", str(path), "--quiet", capsys=capsys)
    assert code == 2 and err.startswith("carecircles：错误：文件 ") and "配置有误：unknown key 'dirr'" in err


def test_help_is_chinese_by_default_and_english_on_request():
    from carecircles.cli import _parser

    parser = _parser(zh=True)
    commands = parser._subparsers._group_actions[0].choices
    for each in (parser, *commands.values()):
        text = each.format_help()
        assert "显示帮助并退出" in text and "show this help" not in text
    assert "运行一项研究" in parser.format_help()
    english = _parser(zh=False).format_help()
    assert "run a study" in english and "显示" not in english
