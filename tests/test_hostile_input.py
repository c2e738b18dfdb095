"""Hostile names stay text in every output: map, siting map, report (HTML and Markdown), CSV.

Names are drawn from an alphabet rich in template, script, Markdown and spreadsheet syntax
(``{ } % # $ ` \\ < > " ' & = + - @``), line breaks, CJK and emoji, and placed in facility,
zone, village, standard and study names and in facility attributes. The pages are opened in
headless Chromium with the network off: no dialog opens, no script of a name runs, the console
has no error, and each name is shown exactly as written.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from carecircles._encode import (
    FORMULA_STARTS,
    GeometryJSON,
    html_text,
    markdown_text,
    script_json,
    spreadsheet_cell,
)
from carecircles.outputs import write_csv, write_outputs

from _browser import dialogs, errors, layer_labels, open_page, start_browser
from _helpers import DATA, write_study

#: The cases of issue 8, each a name a township might send.
PAYLOADS = (
    "{{7*7}}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').makedirs('pwned-jinja') }}",
    "{% raw %}开始",
    "{# 注释",
    "`${window.__pwned=1}`",
    "back\\slash\\",
    "</script><script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "=cmd|' /C calc'!A0",
    "+86 医院",
    "-2+3",
    "@SUM(1+1)",
    "\t制表符",
    'O\'Brien "clinic" & co',
    "第一行\n第二行",
    "**粗体** [链接](http://x) | 竖线 #标题",
    "卫生院😀🏥",
)

HOSTILE = st.text(
    alphabet=st.sampled_from(
        [*"{}%#$`\\<>\"'&=+-@|*_[]()!~ \n\t", "医", "院", "村", "镇", "😀", "🏥", "a", "7"]
    ),
    min_size=1,
    max_size=16,
).filter(lambda s: s.strip())

SITE_ZONE = "220622104"  # a rural zone shown on opening (rural-30min)


# ---------------------------------------------------------------------------------------------
# the encoders, against independent readers of each format


@given(HOSTILE)
def test_script_json_cannot_end_the_script_and_reads_back_the_same(value):
    encoded = script_json({"name": value})
    assert not set(encoded) & set("<>&")
    assert "\u2028" not in encoded and "\u2029" not in encoded
    assert json.loads(encoded) == {"name": value}


@given(HOSTILE, st.integers(0, 3))
def test_geometry_text_goes_in_as_is_and_no_name_can_pose_as_a_geometry(value, i):
    """Geometries are written as GEOS's JSON text; a name shaped like a geometry's slot stays a name."""
    import shapely

    shapes = [shapely.box(126 + k, 42, 126.5 + k, 42.5) for k in range(4)]
    names = [value, f"\0{'0' * 32}:{i}", "\0", f'"\\u0000:{i}"']  # slot-like texts
    data = {"names": names, "shapes": [GeometryJSON(shapely.to_geojson(g)) for g in shapes]}
    encoded = script_json(data)
    assert not set(encoded) & set("<>&")
    back = json.loads(encoded)
    assert back["names"] == names
    assert len(back["shapes"]) == 4
    assert all(
        shapely.geometry.shape(g).equals_exact(s, 0) for g, s in zip(back["shapes"], shapes, strict=True)
    )


@pytest.mark.parametrize(
    "bad",
    [
        '{"type":"Point","coordinates":[1,2]}</script>',
        '"a&b"',
        '{"coordinates":[NaN,1]}',
        "Infinity",
        '"',  # a lone quote: with a name between two, the name would become code
        '{"type":"Point","coordinates":[1,2],"x":"alert(1)"}',
        '{"a":1}',  # a string that is not a GeoJSON word
        '{"type":"Point","coordinates":[1,nulx]}',  # a bare word that is not null
        '{"type":"Point" "}',  # quotes that do not pair into words
        "",
    ],
)
def test_geometry_text_holds_only_what_a_geometry_holds(bad):
    with pytest.raises(ValueError):
        GeometryJSON(bad)


def test_every_kind_of_geometry_geos_writes_is_accepted():
    import shapely

    shapes = [
        shapely.Point(126.1, 42.2),
        shapely.LineString([(1e-7, -2.5e10), (3, 4)]),
        shapely.box(0, 0, 1, 1).difference(shapely.box(0.2, 0.2, 0.4, 0.4)),
        shapely.MultiPoint([(0, 0), (1, 1)]),
        shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
        shapely.GeometryCollection([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]),
        shapely.Polygon(),
        shapely.Point(float("nan"), 1.0),  # GEOS writes null
    ]
    for shape in shapes:
        text = shapely.to_geojson(shape)
        assert json.loads(script_json(GeometryJSON(text))) == json.loads(text)


@given(HOSTILE)
def test_html_text_has_no_markup_or_template_delimiters_and_unescapes_to_the_same(value):
    encoded = html_text(value)
    assert not set(encoded) & set("<>\"'{}")
    assert html.unescape(encoded) == value


def _markdown_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def _text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", rendered)))


def _markdown_to_text(markdown: str) -> str:
    return _text_of(_markdown_html(markdown))


def _one_line(value: str) -> str:
    return re.sub(r"\r\n|\r|\n", " ", value).strip()


@settings(deadline=None)  # the first call imports the Markdown parser
@given(HOSTILE)
def test_markdown_text_renders_as_the_same_text(value):
    # by an independent CommonMark + GFM-table parser: a table cell keeps line breaks as <br>,
    # a heading gets them as spaces; Markdown trims the ends of both
    rendered = _markdown_html(f"| a |\n|---|\n| {markdown_text(value)} |\n")
    cells = [_text_of(c) for c in re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)]
    assert cells == [re.sub(r"\r\n|\r", "\n", value).strip()]
    heading = _markdown_html(f"# {markdown_text(value, newline=' ')}\n")
    assert heading.startswith("<h1>") and _text_of(heading).strip() == _one_line(value)


def test_spreadsheet_formulas_are_neutralised_and_numbers_untouched(tmp_path):
    frame = pd.DataFrame({"name": list(PAYLOADS), "n": range(len(PAYLOADS)), "x": [-1.5] * len(PAYLOADS)})
    path = tmp_path / "t.csv"
    write_csv(frame, path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for row, name in zip(rows, PAYLOADS, strict=True):
        expected = "'" + name if name.startswith(FORMULA_STARTS) else name
        assert row["name"] == expected
        assert row["x"] == "-1.5"  # a number is not a formula
    assert spreadsheet_cell("=1+1") == "'=1+1" and spreadsheet_cell(-3) == -3


# ---------------------------------------------------------------------------------------------
# the outputs of a study whose names are hostile


def hostile_copy(result, names: dict[str, str]):
    """The sample result with names replaced (the numbers do not depend on names)."""
    facilities = result.facilities.copy()
    hospital = facilities["name"] == "靖宇县人民医院"
    facilities.loc[hospital, "name"] = names["facility"]
    facilities.loc[hospital, "type_label"] = names["attribute"]
    facilities["beds"] = facilities["beds"].astype(object)
    facilities.loc[hospital, "beds"] = names["attribute"]
    zones = result.zones.copy()
    zones.loc[zones["zone_code"] == SITE_ZONE, "zone_name"] = names["zone"]
    zone_results = result.zone_results.copy()
    zone_results.loc[zone_results["zone_code"] == SITE_ZONE, "zone_name"] = names["zone"]
    villages = result.villages.copy()
    if "village" in names:
        shown = villages.index[villages["village-2.5km_status"] != "fixed"][0]  # drawn on the map
        villages.loc[shown, "name"] = names["village"]
    villages.loc[villages["zone_code"] == SITE_ZONE, "zone_name"] = names["zone"]
    standards = tuple(
        dataclasses.replace(s, title_zh=names["standard"]) if s.id == "rural-30min" else s
        for s in result.config.standards
    )
    config = dataclasses.replace(result.config, title=names["title"], standards=standards)
    return dataclasses.replace(
        result,
        config=config,
        facilities=facilities,
        zones=zones,
        zone_results=zone_results,
        villages=villages,
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_browser(tmp_path_factory)
    yield driver
    driver.quit()


_COLLECT = """
const map = Object.values(window).find(v => v instanceof L.Map);
const out = {popups: [], tooltips: []};
map.eachLayer(l => {
  if (l.getPopup && l.getPopup()) {
    l.openPopup();
    const el = l.getPopup().getElement();
    if (el) out.popups.push(el.querySelector('.leaflet-popup-content').textContent);
    l.closePopup();
  }
  if (l.getTooltip && l.getTooltip()) {
    l.openTooltip();
    const el = l.getTooltip().getElement();
    if (el) out.tooltips.push(el.textContent);
    l.closeTooltip();
  }
});
out.title = document.getElementById('cc-banner').textContent;
out.documentTitle = document.title;
out.pwned = window.__pwned !== undefined;
return out;
"""


def _html_parsed(value: str) -> str:
    """Text as an HTML parser gives it back (CR and CRLF become LF)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def check_map(browser, page: Path, names: dict[str, str]) -> dict:
    open_page(browser, page)
    shown = browser.execute_script(_COLLECT)
    assert not shown["pwned"] and dialogs(browser) == []
    assert errors(browser) == []
    popups, tooltips = shown["popups"], shown["tooltips"]
    assert names["facility"] in tooltips  # the tooltip is the name, exactly
    assert any(p.startswith(names["facility"]) and names["attribute"] in p for p in popups)
    assert any(p.startswith(f"{names['zone']} ({SITE_ZONE})") for p in popups)
    if "village" in names:
        assert any(p.startswith(f"{names['village']} (") for p in popups)
    assert _html_parsed(names["title"]) in shown["title"]
    assert " ".join(names["title"].split()) in shown["documentTitle"]
    assert any(_html_parsed(names["standard"]).strip() in label for label in layer_labels(browser))
    return shown


def check_report(browser, out_dir: Path, names: dict[str, str]) -> None:
    report = out_dir / "report.html"
    browser.get(report.resolve().as_uri())
    body = browser.execute_script("return document.body.textContent")
    for key in ("zone", "village", "title", "standard"):
        assert _html_parsed(names[key]) in body, key
    assert browser.execute_script("return window.__pwned === undefined") and dialogs(browser) == []
    assert errors(browser) == []
    text = _markdown_to_text((out_dir / "report.md").read_text(encoding="utf-8"))
    for key in ("zone", "village"):  # table cells: line breaks kept as <br>
        assert names[key].replace("\r\n", "\n").replace("\r", "\n").strip() in text, key
    assert _one_line(names["title"]) in text.replace("\n", " ")  # headings: one line


def check_csv(out_dir: Path, names: dict[str, str]) -> None:
    def cell(value: str) -> str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value

    def rows(name: str) -> list[dict[str, str]]:
        with (out_dir / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    assert cell(names["facility"]) in [r["name"] for r in rows("facilities.csv")]
    assert cell(names["village"]) in [r["name"] for r in rows("villages.csv")]
    assert cell(names["zone"]) in [r["zone_name"] for r in rows("zones.csv")]
    tables = sorted(p.name for p in out_dir.glob("*.csv"))
    assert {"facilities.csv", "villages.csv", "zones.csv", "data_issues.csv", "scorecard.csv"} <= set(tables)
    for name in tables:  # every table, the scorecard, catchments and capacity ones too
        for row in rows(name):
            for value in row.values():
                assert not (value or "").startswith(FORMULA_STARTS), (name, value)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # a browser run per example: no shrinking
)
@example(names=dict(facility="7", attribute="7", zone=" 7", village="7", title="7"))
@given(st.fixed_dictionaries({k: HOSTILE for k in ("facility", "attribute", "zone", "village", "title")}))
def test_hostile_names_show_as_written_in_map_report_and_csv(browser, sample_result, tmp_path_factory, names):
    from carecircles.maps import write_map
    from carecircles.report import write_report

    names = {**names, "standard": names["zone"] + names["title"]}
    out = tmp_path_factory.mktemp("hostile")
    result = hostile_copy(sample_result, names)
    check_map(browser, write_map(result, out / "map.html"), names)
    write_outputs(result, out)
    write_report(result, out)
    check_report(browser, out, names)
    check_csv(out, names)


def test_issue_payloads_in_every_name_of_a_siting_map(browser, sample_result, tmp_path):
    from carecircles.analysis import load_inputs
    from carecircles.maps import write_siting_map
    from carecircles.siting import SitingOptions, site

    names = dict(
        zip(("facility", "attribute", "zone", "village", "title", "standard"), PAYLOADS[:6], strict=True)
    )
    siting = site(load_inputs(sample_result.config), SitingOptions(standard="rural-30min", k=2))
    names.pop("village")  # the map after siting shows the siting standard's layers only
    siting.sites["name"] = PAYLOADS[6:8]
    siting.sites["zone_name"] = PAYLOADS[8:10]
    siting = dataclasses.replace(siting, after=hostile_copy(siting.after, names))
    page = write_siting_map(siting, tmp_path / "siting.html")
    shown = check_map(browser, page, names)
    for name in PAYLOADS[6:8]:
        assert any(name in p for p in shown["popups"])
    assert any(PAYLOADS[8] in p for p in shown["popups"])


def test_hostile_files_through_the_cli_run_no_code_and_write_nothing_outside_outputs(
    browser, tmp_path, monkeypatch
):
    """The issue's payloads in the input files themselves, through ``carecircles run``."""
    from carecircles.cli import main

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    facilities = pd.read_csv(DATA / "facilities" / "synthetic_jingyu_facilities.csv", dtype=str)
    facilities.loc[: len(PAYLOADS) - 1, "name"] = PAYLOADS
    facilities.loc[0, "services"] = PAYLOADS[0]
    facilities.to_csv(inputs / "facilities.csv", index=False)
    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    zones.loc[zones["zone_code"] == SITE_ZONE, "zone_name"] = "{{7*7}}镇 </script>"
    zones.to_file(inputs / "zones.geojson")
    villages = gpd.read_file(DATA / "villages" / "synthetic_jingyu_villages.geojson")
    villages.loc[villages["village_id"] == "V021", "name"] = "`${window.__pwned=1}`村"
    villages.to_file(inputs / "villages.geojson")
    config = yaml.safe_load(write_study(tmp_path).read_text(encoding="utf-8"))
    config["inputs"]["facilities"]["path"] = str(inputs / "facilities.csv")
    config["inputs"]["zones"]["path"] = str(inputs / "zones.geojson")
    config["inputs"]["villages"]["path"] = str(inputs / "villages.geojson")
    config["study"] = {"name": "hostile", "title": "{% raw %}{{7*7}}<b>县</b>`${1}`"}
    config_path = inputs / "study.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(config_path), "--quiet"]) == 0
    written = {p.relative_to(work).parts[0] for p in work.rglob("*")}
    assert written == {"output", "maps"}
    assert not list(tmp_path.rglob("pwned-jinja")) and not Path("pwned-jinja").exists()
    names = {
        "facility": PAYLOADS[0],  # row 0: the county hospital
        "attribute": "县级综合医院（二级）",
        "zone": "{{7*7}}镇 </script>",
        "village": "`${window.__pwned=1}`村",
        "title": config["study"]["title"],
        "standard": "农村30分钟就医圈",
    }
    shown = check_map(browser, work / "maps" / "hostile.html", names)
    for name in PAYLOADS:
        assert name in shown["tooltips"], name
    out = work / "output" / "hostile"
    check_report(browser, out, names)
    check_csv(out, names)
    with (out / "catchments.csv").open(encoding="utf-8-sig", newline="") as f:
        served = {row["name"] for row in csv.DictReader(f)}
    assert PAYLOADS[0] in served  # the county hospital's catchment, its name as written


def test_terminal_escape_sequences_in_names_are_made_visible(capsys):
    from carecircles._encode import terminal_text
    from carecircles.cli import main

    assert terminal_text("镇\x1b[2J\x1b]0;pwn\x07\n") == "镇\\x1b[2J\\x1b]0;pwn\\x07\\x0a"
    assert main(["run", "/nonexistent/\x1b[31mred.yml", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31mred.yml" in err


def test_error_messages_keep_their_lines_but_not_escape_sequences():
    from carecircles._encode import terminal_text

    assert terminal_text("a\nb\x1b[2J", lines=True) == "a\nb\\x1b[2J"
    assert terminal_text("a\\x0a") == "a\\x0a"  # text that looks like an escape stays as typed


def test_geojson_outputs_keep_hostile_text_as_written(tmp_path):
    """gaps.geojson and catchments.geojson: every text reads back the same, GDAL reads the rest."""
    import json

    import shapely

    from carecircles.outputs import write_geojson

    frame = gpd.GeoDataFrame(
        {"zone_code": PAYLOADS, "population": [float(i) for i in range(len(PAYLOADS))]},
        geometry=[shapely.box(126 + i / 100, 42, 126.005 + i / 100, 42.005) for i in range(len(PAYLOADS))],
        crs=4326,
    )
    path = tmp_path / "gaps.geojson"
    path.write_text("old", encoding="utf-8")  # a previous run's file is replaced
    write_geojson(frame, path)
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["zone_code"] for f in features] == list(PAYLOADS)
    for feature, expected in zip(features, frame.geometry, strict=True):
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.normalize().equals_exact(expected.normalize(), 1e-7)  # to 7 decimals
        assert shapely.is_ccw(shape.exterior)  # RFC 7946: outer rings anticlockwise
    # GDAL reads the file as written: the same names, numbers and shapes
    back = gpd.read_file(path, engine="pyogrio")
    assert back["zone_code"].tolist() == list(PAYLOADS)
    assert back["population"].tolist() == frame["population"].tolist()
    pairs = zip(back.geometry, frame.geometry, strict=True)
    assert all(a.normalize().equals_exact(b.normalize(), 1e-7) for a, b in pairs)


def test_geojson_writes_missing_values_as_null_and_turns_rings_anticlockwise(tmp_path):
    import json

    import numpy as np
    import shapely

    from carecircles.outputs import write_geojson

    clockwise = shapely.Polygon([(126, 42), (126, 42.01), (126.01, 42.01), (126.01, 42)])
    holed = shapely.box(126, 42, 126.1, 42.1).difference(shapely.box(126.02, 42.02, 126.03, 42.03))
    frame = gpd.GeoDataFrame(
        {
            "band_minutes": [np.nan, 15.0],
            "cells": np.array([3, 4], dtype=np.int64),
            "passes": [True, False],
        },
        geometry=[clockwise, holed],
        crs=4326,
    )
    path = tmp_path / "areas.geojson"
    write_geojson(frame.to_crs(32651), path)  # written in WGS-84 whatever it comes in
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert [f["properties"] for f in features] == [
        {"band_minutes": None, "cells": 3, "passes": True},
        {"band_minutes": 15.0, "cells": 4, "passes": False},
    ]
    first, second = (shapely.geometry.shape(f["geometry"]) for f in features)
    assert shapely.is_ccw(first.exterior) and not shapely.is_ccw(clockwise.exterior)
    assert first.normalize().equals_exact(clockwise.normalize(), 2e-7)
    assert shapely.is_ccw(second.exterior) and not shapely.is_ccw(second.interiors[0])  # holes clockwise
    coordinates = shapely.get_coordinates(second)
    assert np.array_equal(coordinates, np.round(coordinates, 7))  # 7 decimals


def test_geojson_writes_infinite_numbers_dates_and_empty_shapes_as_valid_json(tmp_path):
    import json

    import numpy as np
    import pandas as pd
    import shapely

    from carecircles.outputs import write_geojson

    frame = gpd.GeoDataFrame(
        {"minutes": [np.inf, -np.inf, 3.5], "day": pd.to_datetime(["2026-12-02", None, "2026-01-01"])},
        geometry=[shapely.Polygon(), None, shapely.Point(126, 42)],
        crs=4326,
    )
    path = tmp_path / "odd.geojson"
    path.write_text("old", encoding="utf-8")
    write_geojson(frame, path)
    text = path.read_text(encoding="utf-8")
    features = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))["features"]
    assert [f["properties"]["minutes"] for f in features] == [None, None, 3.5]
    assert [f["properties"]["day"] for f in features] == ["2026-12-02T00:00:00", None, "2026-01-01T00:00:00"]
    assert [f["geometry"] for f in features][:2] == [None, None]  # RFC 7946: an unlocated feature
    assert not list(tmp_path.glob("*.part"))  # written aside, then moved into place
    assert len(gpd.read_file(path, engine="pyogrio")) == 3
    frame["what"] = [object(), None, None]  # a value no JSON holds: the earlier file stays whole
    with pytest.raises(TypeError, match="is not JSON"):
        write_geojson(frame, path)
    assert path.read_text(encoding="utf-8") == text and not list(tmp_path.glob("*.part"))
