"""A small generated province (scripts/make_province.py): one province run and the county batch agree."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircles._encode import percent
from carecircles.analysis import run_study
from carecircles.batch import run_batch
from carecircles.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from make_province import build


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    made = build(out, counties=4, townships=4, nodes=10_000, cells=60_000, villages=160, facilities=60)
    return out, made


def test_generated_province_is_what_was_asked(province):
    out, made = province
    zones = json.loads((out / "zones.geojson").read_text(encoding="utf-8"))["features"]
    codes = [z["properties"]["zone_code"] for z in zones]
    assert made["townships"] == len(zones) == 16 and len(set(codes)) == 16
    assert all(
        len(c) == 9 and c[:6] == z["properties"]["county_code"] for c, z in zip(codes, zones, strict=True)
    )
    assert sorted(p.name for p in out.glob("county-*.yml")) == [
        f"county-{220100 + 100 * c:06d}.yml" for c in range(4)
    ]
    # deterministic: the same arguments write the same roads
    again = out.parent / "again"
    build(again, counties=4, townships=4, nodes=10_000, cells=60_000, villages=160, facilities=60)
    assert (again / "roads.osm.gz").read_bytes() == (out / "roads.osm.gz").read_bytes()


def test_province_run_and_county_batch_agree_zone_by_zone(province, tmp_path):
    out, _ = province
    whole = run_study(load_config(out / "province.yml", output_root=tmp_path)).zone_results
    counties = sorted(out.glob("county-*.yml"))
    batch = run_batch(counties, workers=2, output_root=tmp_path, stream=None)
    assert (batch.studies["status"] == "ok").all()
    zones = batch.zones[batch.zones["zone_code"] != "ALL"]
    merged = whole[whole["zone_code"] != "ALL"].merge(
        zones, on=["standard", "zone_code"], suffixes=("", "_c")
    )
    assert len(merged) == len(whole[whole["zone_code"] != "ALL"]) == 4 + 12 + 16  # urban, rural, villages
    for column in ("population", "covered_population", "uncovered_population"):
        assert np.allclose(merged[column], merged[f"{column}_c"], rtol=1e-9, atol=1e-6), column
    assert (merged["passes"].astype(str) == merged["passes_c"].astype(str)).all()
    # the province's totals are the counties' sums
    total = whole[(whole["zone_code"] == "ALL") & (whole["standard"] == "rural-30min")].iloc[0]
    rural = zones[zones["standard"] == "rural-30min"]
    assert total["covered_population"] == pytest.approx(rural["covered_population"].sum())
    assert pd.notna(total["covered_share"])


def page_data(path: Path) -> dict:
    """The data object a map page builds itself from (the argument of ``carecircles.start``)."""
    html = path.read_text(encoding="utf-8")
    found = re.search(r"carecircles\.start\([^,]+, (\{.*\})\);\n", html, re.S)
    assert found, path
    return json.loads(found.group(1))


def test_index_page_county_pages_and_batch_agree_on_every_figure(province, tmp_path):
    from carecircles.assessment import whole_people
    from carecircles.maps import write_map

    out, _ = province
    result = run_study(load_config(out / "province.yml", output_root=tmp_path))
    index = tmp_path / "maps" / "province.html"
    write_map(result, index)
    pages = sorted((tmp_path / "maps" / "province-counties").glob("*.html"))
    assert [p.name for p in pages] == [f"{i + 1:03d}-{220100 + 100 * i}.html" for i in range(4)]
    assert index.stat().st_size < 15e6 and all(p.stat().st_size < 15e6 for p in pages)

    batch = run_batch(sorted(out.glob("county-*.yml")), workers=2, output_root=tmp_path, stream=None)
    people = pd.concat(  # whole people study by study: each ALL row sums its own county's zones
        [whole_people(z.drop(columns="study")).assign(study=s) for s, z in batch.zones.groupby("study")],
        ignore_index=True,
    )
    data = page_data(index)
    assert not data["standards"][0]["areas"] and not data["overlays"][0]["features"]  # no detail
    items = {c["name"]: c for c in data["counties"]["items"]}
    assert sorted(items) == [str(220100 + 100 * i) for i in range(4)]
    for code, item in items.items():
        county = people[people["study"] == f"county-{code}"]
        for _, total in county[county["zone_code"] == "ALL"].iterrows():
            standard = total["standard"]
            assert item["outside"][standard] == total["uncovered_population"], (code, standard)
            assert item["share"][standard] == percent(total["covered_share"])
        assert item["href"] == f"province-counties/{pages[list(items).index(code)].name}"
    # every township on the index and on its county page shows the batch's share
    zone_rows = people[people["zone_code"] != "ALL"].set_index(["standard", "zone_code"])
    for page in [index, *pages]:
        shown = page_data(page)
        if page != index:
            assert shown["back"]["href"] == "../province.html"
            assert len(shown["zones"]) == 4
        for zone in shown["zones"]:
            for standard, share in zone["properties"]["share"].items():
                assert share == percent(zone_rows.loc[(standard, zone["id"]), "covered_share"])


def test_index_page_in_a_browser_ranks_counties_and_links_their_pages(province, tmp_path_factory):
    """The official's view: the ranking is in the banner, worst county first, each a working link;
    the index offers no layer it has nothing for; a county page links back."""
    from carecircles.maps import write_map

    from _browser import errors, open_page, shoot, start_browser

    out, _ = province
    folder = tmp_path_factory.mktemp("browse")
    result = run_study(load_config(out / "province.yml", output_root=folder))
    index = folder / "maps" / "province.html"
    write_map(result, index)
    driver = start_browser(tmp_path_factory)
    try:
        open_page(driver, index)
        shown = driver.execute_script(
            "return [...document.querySelectorAll('.cc-ranking-row')].map(r => ["
            "r.querySelector('a').textContent, r.querySelector('a').href, r.children[1].textContent])"
        )
        data = page_data(index)
        current = driver.execute_script("return window.carecirclesMap.current()")
        items = sorted(data["counties"]["items"], key=lambda c: (-c["outside"][current], c["name"]))
        assert [row[0] for row in shown] == [c["name"] for c in items]
        assert [row[2] for row in shown] == [c["outsideText"][current] for c in items]
        layers = "[...document.querySelectorAll('input[name=cc-overlay]')]"
        offered = driver.execute_script(f"return {layers}.filter(e => e.offsetParent !== null).length")
        assert driver.execute_script(f"return {layers}.length") > 0  # there, but not offered:
        assert offered == 0  # the index carries no detail layer
        shoot(driver, "province-index.png")
        driver.get(shown[0][1])  # the worst county's own page
        open_page(driver, Path(driver.execute_script("return decodeURI(location.pathname)")))
        back = driver.execute_script("return document.querySelector('.cc-back').textContent")
        assert back == "← 返回全省总图"
        assert driver.execute_script(f"return {layers}.filter(e => e.offsetParent !== null).length") > 3
        assert not errors(driver)
    finally:
        driver.quit()


def test_hostile_county_names_are_text_on_the_index_and_never_in_file_names(province, tmp_path):
    from dataclasses import replace

    from carecircles.maps import write_map

    out, _ = province
    result = run_study(load_config(out / "province.yml", output_root=tmp_path))
    hostile = {
        "220100": "</script>{{7*7}}县",
        "220200": "=cmd|' /C calc'!A0",
        "220300": "../../etc",
        "220400": "",
    }
    zones = result.zones.copy()
    zones["county"] = [hostile[c] for c in zones["county"]]
    index = tmp_path / "maps" / "p.html"
    write_map(replace(result, zones=zones), index)
    pages = sorted(p.name for p in (tmp_path / "maps" / "p-counties").iterdir())
    assert pages == ["001-script77.html", "002-cmdCcalcA0.html", "003-etc.html", "004-county.html"]
    assert not list(tmp_path.glob("etc*")) and not (tmp_path / "maps" / "etc").exists()
    items = page_data(index)["counties"]["items"]
    assert sorted(c["name"] for c in items) == sorted(hostile.values())  # as written, as data
    assert all(re.fullmatch(r"p-counties/[0-9A-Za-z_.-]+\.html", c["href"]) for c in items)
    assert "</script>{{" not in index.read_text(encoding="utf-8")  # escaped inside the script


def test_province_siting_map_holds_the_sited_counties_only(province, tmp_path):
    """A province's siting map carries the counties of the proposed sites (zones, traced areas),
    not the province; the siting's own figures stay the province's."""
    from carecircles.analysis import load_inputs
    from carecircles.maps import write_siting_map
    from carecircles.schema import SitingOptions
    from carecircles.siting import site

    out, _ = province
    inputs = load_inputs(load_config(out / "province.yml", output_root=tmp_path))
    result = site(inputs, SitingOptions(standard="urban-15min", k=1, road_node_spacing_m=1000.0))
    assert len(result.sites) == 1
    zones = inputs.zones.set_index("zone_code")
    county = str(zones.loc[result.sites["zone_code"].iloc[0], "county"])
    areas = result.after.areas
    assert len(areas) and set(zones.loc[areas["zone_code"], "county"].astype(str)) == {county}
    path = write_siting_map(result, tmp_path / "site.html")
    data = page_data(path)
    assert {str(zones.loc[z["id"], "county"]) for z in data["zones"]} == {county}
    # the siting's own tables stay the province's
    shown = result.scenarios[result.scenarios["zone_code"] != "ALL"]
    assert zones.loc[shown["zone_code"], "county"].nunique() == 4
