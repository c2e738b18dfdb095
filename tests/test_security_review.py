"""Findings of a security review of hostile and odd input, kept as regression tests.

Each test reproduced one finding on the reviewed code (commit 2debf32) and passes since its fix:
F1 a lone CR split CSV rows, F2 study names and standard ids as paths, F3 escape sequences on
the terminal, F4 missing names shown as "nan", F5 wrong config types as tracebacks, F6 a VRT
input making GDAL fetch a URL, F7 a YAML alias bomb, F8 a zone coded ``ALL``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from carecircles._encode import FORMULA_STARTS
from carecircles.outputs import write_csv

from _helpers import DATA, write_study

ESC = "\x1b]0;PWNED\x07\x1b[2J"  # set the terminal title, clear the screen


def _rows(path: Path) -> list[list[str]]:
    """Rows as a spreadsheet reads them (a CR outside quotes ends a row, as in Excel/WPS/Calc)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _config(tmp_path: Path, **study) -> dict:
    return {**yaml.safe_load(write_study(tmp_path).read_text(encoding="utf-8")), **study}


def _save(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# F1 (high): a bare CR in a text cell is written unquoted, so the row splits and the text after
# the CR starts a new row whose first cell is a live formula (the apostrophe rule is bypassed)


def test_f1_cr_in_a_cell_cannot_split_the_row_and_start_a_formula(tmp_path):
    path = tmp_path / "t.csv"
    # no comma or quote in the cell, so nothing else makes pandas quote it
    write_csv(pd.DataFrame({"name": ["卫生院\r=cmd|' /C calc'!A0"], "n": [1]}), path)
    rows = _rows(path)
    assert len(rows) == 2, rows  # header + one row (fails: 3 rows)
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row), rows


def test_f1_cr_in_a_facility_name_through_the_cli(tmp_path, monkeypatch):
    from carecircles.cli import main

    facilities = pd.read_csv(DATA / "facilities" / "synthetic_jingyu_facilities.csv", dtype=str)
    facilities.loc[0, "name"] = "县医院\r=1+1"
    facilities.to_csv(tmp_path / "facilities.csv", index=False, quoting=csv.QUOTE_ALL)
    config = _config(tmp_path, study={"name": "cr", "title": "cr"})
    config["inputs"]["facilities"]["path"] = str(tmp_path / "facilities.csv")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(_save(config, tmp_path / "s.yml")), "--quiet"]) == 0
    rows = _rows(tmp_path / "output" / "cr" / "facilities.csv")
    assert {len(r) for r in rows} == {len(rows[0])}, "a row was split"
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


# ---------------------------------------------------------------------------------------------
# F2 (medium): the study name (and a standard id) become path components unchecked


def test_f2_study_name_cannot_write_outside_the_output_folders(tmp_path, monkeypatch):
    from carecircles.cli import main

    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    config = _config(tmp_path, study={"name": "../../../escaped", "title": "t"})
    monkeypatch.chdir(work)
    assert main(["run", str(_save(config, tmp_path / "s.yml")), "--quiet"]) == 0
    written = sorted(tmp_path.rglob("escaped*"))
    assert written == [work / "maps" / "escaped.html", work / "output" / "escaped"]


@pytest.mark.parametrize("name", ["靖宇县/抚松县", "nul\x00name"])
def test_f2_odd_study_name_gives_an_error_or_runs_never_a_traceback(tmp_path, monkeypatch, name):
    from carecircles.cli import main

    config = _config(
        tmp_path, study={"name": name, "title": "t"}, siting=[{"standard": "rural-30min", "k": 1}]
    )
    monkeypatch.chdir(tmp_path)
    # was: ValueError "Invalid name '靖宇县/抚松县-siting-rural-30min.html'" (cli.py:130, after all
    # the work is done) and ValueError "embedded null byte" (config.py:176)
    assert main(["run", str(_save(config, tmp_path / "s.yml")), "--quiet"]) in (0, 2)


def test_f2_standard_id_with_a_slash_and_siting_is_not_a_traceback(tmp_path, monkeypatch):
    from carecircles.cli import main

    standard = {
        "id": "a/b",
        "zone_type": "rural",
        "facility_types": ["thc"],
        "metric": "time",
        "threshold": 30,
    }
    config = _config(tmp_path, standards=[standard], siting=[{"standard": "a/b", "k": 1}])
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(_save(config, tmp_path / "s.yml")), "--quiet"]) in (0, 2)


# ---------------------------------------------------------------------------------------------
# F3 (medium): terminal escape sequences from the study name / standard id reach the terminal


def test_f3_run_and_site_print_no_escape_sequence_from_the_study_name(tmp_path, monkeypatch, capsys):
    from carecircles.cli import main

    config = _config(
        tmp_path,
        study={"name": "x" + ESC, "title": "t" + ESC},
        siting=[{"standard": "rural-30min", "k": 1}],
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(_save(config, tmp_path / "s.yml"))]) == 0  # progress on stderr
    out, err = capsys.readouterr()
    assert "\x1b" not in out, [line for line in out.splitlines() if "\x1b" in line][:3]
    assert "\x1b" not in err, [line for line in err.splitlines() if "\x1b" in line][:3]
    assert "t\\x1b]0;PWNED\\x07" in err  # the title, shown with its escapes visible


def test_f3_standard_id_with_an_escape_sequence_is_refused_and_not_echoed(tmp_path, monkeypatch, capsys):
    from carecircles.cli import main

    standard = {"id": "s" + ESC, "zone_type": "rural", "facility_types": ["thc"], "metric": "time"}
    config = _config(tmp_path, standards=["rural-30min", {**standard, "threshold": 30}])
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(_save(config, tmp_path / "s.yml"))]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "standards[1].id" in err


def test_f3_batch_prints_no_escape_sequence_from_the_study_name(tmp_path, monkeypatch, capfd):
    from carecircles.cli import main

    config = _config(tmp_path, study={"name": "x" + ESC, "title": "t"})
    monkeypatch.chdir(tmp_path)
    main(["batch", str(_save(config, tmp_path / "s.yml")), "--workers", "1", "--out", "b"])
    out, err = capfd.readouterr()
    # was: batch.py "[1/1] {study}: ok" (stderr) and cli.py "  {row.study:<24} ..." (stdout)
    assert "\x1b" not in out and "\x1b" not in err


# ---------------------------------------------------------------------------------------------
# F4 (low, honest data): a missing name shows as "nan"; empty facility ids are not numbered


def test_f4_missing_zone_and_village_names_are_not_shown_as_nan(tmp_path, sample_config):
    import dataclasses

    from carecircles.analysis import run_study
    from carecircles.maps import write_map

    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    zones.loc[zones["zone_code"] == "220622104", "zone_name"] = None  # has a zone_type column
    zones.to_file(tmp_path / "zones.geojson")
    villages = gpd.read_file(DATA / "villages" / "synthetic_jingyu_villages.geojson")
    villages["name"] = villages["name"].astype(object)
    villages.loc[:, "name"] = None
    villages.to_file(tmp_path / "villages.geojson")
    config = dataclasses.replace(
        sample_config, zones=tmp_path / "zones.geojson", villages=tmp_path / "villages.geojson"
    )
    page = write_map(run_study(config), tmp_path / "map.html").read_text(encoding="utf-8")
    # was: maps.py f-strings format NaN: popup title "nan (220622104)", tooltip "nan: 未达标",
    # village popup "nan (靖宇镇)"
    assert '"title":"nan' not in page and '"tooltip":"nan' not in page


def test_f4_empty_facility_ids_are_numbered_not_nan(tmp_path):
    from carecircles._errors import DataIssues
    from carecircles.facilities import read_facilities

    path = tmp_path / "f.csv"
    path.write_text(
        "id,name,type,lon,lat\n,甲卫生院,卫生院,126.8,42.4\n,乙卫生院,卫生院,126.9,42.4\n", encoding="utf-8"
    )
    issues = DataIssues()
    ids = read_facilities(path, issues)["facility_id"].tolist()
    # was, under pandas 3: astype(str) keeps NaN, so _ids misses it: [nan, 'nan-2']
    assert ids == ["F0002", "F0003"], ids


# ---------------------------------------------------------------------------------------------
# F5 (low): config values of the wrong type end in a traceback, not an input error


@pytest.mark.parametrize("override", [{"threshold": "30"}, {"target_share": "1"}])
def test_f5_standard_values_of_the_wrong_type_are_input_errors(tmp_path, override):
    from carecircles._errors import InputError
    from carecircles.config import load_config

    config = _config(tmp_path, standards=[{"id": "rural-30min", **override}])
    with pytest.raises(InputError):  # was: TypeError from standards._check_standard
        load_config(_save(config, tmp_path / "s.yml"))


# ---------------------------------------------------------------------------------------------
# held up (kept as regression checks): encoders read back the same


def test_held_csv_quotes_lf_and_crlf(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"name": ["a\n=1+1", "b\r\n@SUM(1)"]}), path)
    assert _rows(path)[1:] == [["a\n=1+1"], ["b\r\n@SUM(1)"]]


# ---------------------------------------------------------------------------------------------
# F6 (medium): a vector "input file" may be a GDAL VRT that makes the offline tool fetch URLs
# (/vsicurl/) or read any other local file into the outputs; read_table and read_zones pass any
# non-CSV suffix to gpd.read_file


def test_f6_an_input_file_cannot_make_carecircles_reach_the_network(tmp_path):
    import http.server
    import threading

    from carecircles._errors import CareCirclesError, DataIssues
    from carecircles.facilities import read_facilities

    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_GET = do_HEAD  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        vrt = tmp_path / "facilities.vrt"
        vrt.write_text(
            "<OGRVRTDataSource><OGRVRTLayer name='f'><SrcDataSource>"
            f"/vsicurl/http://127.0.0.1:{server.server_port}/beacon.csv"
            "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
            encoding="utf-8",
        )
        with pytest.raises(CareCirclesError):
            read_facilities(vrt, DataIssues())
    finally:
        server.shutdown()
    assert requests == [], f"the input file made carecircles fetch {requests}"


# ---------------------------------------------------------------------------------------------
# F7 (low): YAML aliases in the config expand into a huge title (str() of nested lists):
# about 50 more bytes of config multiply it by ten (9 levels: ~12 GB, the run dies)


def test_f7_a_yaml_alias_bomb_is_refused_not_expanded(tmp_path):
    from carecircles._errors import InputError
    from carecircles.config import load_config

    config = _config(tmp_path)
    config.pop("study")
    lines = ["study:", "  name: bomb", "  a0: &a0 [" + ",".join(["xxxxxxxx"] * 10) + "]"]
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 6)]
    lines.append("  title: *a5")
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\n" + yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert path.stat().st_size < 10_000
    try:
        title = load_config(path).title
    except InputError:
        return
    assert len(title) < 100_000, (
        f"{path.stat().st_size} bytes of config gave a {len(title):,}-character title"
    )


# ---------------------------------------------------------------------------------------------
# F8 (medium, integrity): a zone whose code is "ALL" is taken for the county total. The terminal
# summary then reports that one zone as the county (rural-30min: 6,781 covered, 85.0%, instead
# of 62,008, 95.6%), batch totals get two "ALL" rows per standard, and the zone vanishes from
# the map and the report chart (maps.py/report.py/outputs.py filter zone_code != "ALL")


def test_f8_a_zone_coded_all_cannot_pose_as_the_county_total(tmp_path, monkeypatch, capsys):
    from carecircles.cli import main

    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    zones.loc[zones["zone_code"] == "220622104", "zone_code"] = "ALL"
    zones.to_file(tmp_path / "zones.geojson")
    config = _config(tmp_path, study={"name": "all", "title": "all"})
    config["inputs"]["zones"]["path"] = str(tmp_path / "zones.geojson")
    monkeypatch.chdir(tmp_path)
    code = main(["run", str(_save(config, tmp_path / "s.yml")), "--quiet"])
    out = capsys.readouterr().out
    if code == 2:  # refused as a reserved code: fine
        return
    rural = next(line for line in out.splitlines() if line.startswith("rural-30min"))
    assert "62,008" in rural, rural  # the county's covered population, as without the rename
    page = (tmp_path / "maps" / "all.html").read_text(encoding="utf-8")
    assert "(ALL)" in page, "the zone is missing from the map"
