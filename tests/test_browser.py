"""Maps and report in a real headless Chromium with the network off.

Needs Debian's chromium and chromium-driver (``make test`` installs them when run as root, as
CI is). Outside CI the tests skip when they are missing; in CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import time

import pytest

from carecircles.coords import wgs84_to_gcj02

from _browser import errors, layer_labels, open_page, shoot, start_browser

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_browser(tmp_path_factory)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sample_map(sample_result, tmp_path_factory):
    from carecircles.maps import write_map

    return write_map(sample_result, tmp_path_factory.mktemp("map") / "sample.html")


SIZES = ((1600, 1000), (1280, 720), (390, 844))
_STATE = """
const s = window.carecirclesMap;
const visible = el => { const r = el.getBoundingClientRect(); const c = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && c.visibility !== 'hidden' && c.display !== 'none'; };
const fills = [...document.querySelectorAll('.leaflet-cc-zones-pane path')]
  .filter(p => parseFloat(p.getAttribute('fill-opacity') || '0') > 0).map(p => p.getAttribute('fill'));
return {
  current: s.current(),
  checked: [...document.querySelectorAll('input[name=cc-standard]')].filter(i => i.checked).length,
  fills: fills,
  labels: [...document.querySelectorAll('.cc-label-zone')].filter(visible).map(e => e.textContent),
  legend: [...document.querySelectorAll('#cc-legend .cc-legend-text')].filter(visible)
    .map(e => e.textContent),
  banner: [...document.querySelectorAll('.cc-summary-line')].map(e => e.textContent),
  panelOpen: !document.getElementById('cc-panel').classList.contains('cc-collapsed'),
  legendOpen: !document.getElementById('cc-legend').classList.contains('cc-collapsed'),
  title: document.title,
  overlays: s.overlays(),
};
"""


def state(driver) -> dict:
    return driver.execute_script(_STATE)


def settle(driver) -> None:
    driver.execute_script("window.carecirclesMap.refresh()")
    time.sleep(0.15)


def test_map_opens_offline_small_and_fast(browser, sample_map):
    assert sample_map.stat().st_size < 2_000_000
    browser.set_window_size(1600, 1000)
    started = time.perf_counter()
    open_page(browser, sample_map)
    browser.execute_script("return window.carecirclesMap.current()")
    assert time.perf_counter() - started < 2.0
    assert errors(browser) == []
    scale = [e.text for e in browser.find_elements("css selector", ".leaflet-control-scale-line")]
    assert len(scale) == 1 and scale[0].endswith(("m", "km")) and "ft" not in scale[0]  # metric only


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_standard_at_a_time_labelled_with_its_shares(browser, sample_map, sample_result, size):
    from carecircles._encode import percent
    from carecircles.assessment import whole_people
    from carecircles.palette import COLOURS, verdict

    browser.set_window_size(*size)
    open_page(browser, sample_map)
    people = whole_people(sample_result.zone_results)
    for standard in sample_result.config.standards:
        browser.execute_script("window.carecirclesMap.select(arguments[0])", standard.id)
        settle(browser)
        shown = state(browser)
        assert shown["current"] == standard.id and shown["checked"] == 1
        rows = people[(people["standard"] == standard.id) & (people["zone_code"] != "ALL")]
        expected = sorted(
            COLOURS[verdict(r.passes, r.covered_share, standard.target_share)]
            for r in rows.itertuples()
            if r.population > 0
        )
        assert sorted(shown["fills"]) == expected  # one zone layer: this standard's classes only
        assert shown["labels"], "township labels are shown without interaction"
        shares = {f"{r.zone_name}{percent(r.covered_share)}" for r in rows.itertuples() if r.population > 0}
        names = set(sample_result.zones["zone_name"])
        for text in shown["labels"]:
            assert text in shares or text in names, text
        assert standard.title_zh in shown["title"]
    shoot(browser, f"map-{size[0]}x{size[1]}.png")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_summary_banner_matches_zones_csv(browser, sample_map, sample_result, tmp_path, size):
    import pandas as pd

    from carecircles._encode import percent
    from carecircles.outputs import write_outputs

    write_outputs(sample_result, tmp_path)
    zones = pd.read_csv(tmp_path / "zones.csv", dtype={"zone_code": str})
    browser.set_window_size(*size)
    open_page(browser, sample_map)
    banner = state(browser)["banner"]
    standards = sample_result.config.standards
    views = [(s, "", "") for s in standards] + [  # then each time standard in each scenario
        (s, f"{key}_", found.title)
        for key, found in sample_result.scenarios.items()
        for s in standards
        if s.metric == "time"
    ]
    for (standard, prefix, title), line in zip(views, banner, strict=True):
        rows = zones[zones["standard"] == standard.id]
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        zone_rows = rows[rows["zone_code"] != "ALL"]
        assessed = zone_rows[zone_rows["population"] > 0]
        passing = int(assessed[f"{prefix}passes"].astype(str).str.lower().eq("true").sum())
        assert standard.title_zh in line and title in line
        assert f"覆盖率{percent(total[f'{prefix}covered_population'] / total['population'])}" in line
        assert f"达标区域{passing}/{len(assessed)}" in line
        if standard.metric == "time":
            assert f"未覆盖{int(total[f'{prefix}uncovered_population']):,}人" in line, line


def test_no_full_share_beside_a_fail(browser, sample_map):
    browser.set_window_size(1280, 720)
    open_page(browser, sample_map)
    popups = browser.execute_script(
        "const out = []; window.carecirclesMap.map.eachLayer(l => { if (l.getPopup && l.getPopup()) {"
        " l.openPopup(); const el = l.getPopup().getElement(); if (el) out.push("
        " [...el.querySelectorAll('.cc-popup-row, .cc-popup-line')].map(r => r.textContent));"
        " l.closePopup(); } }); return out;"
    )
    assert len(popups) > 100
    for rows in popups:
        for line in rows:
            assert not ("100.0%" in line and "未达标" in line), line
    body = browser.execute_script("return document.body.innerText")
    assert not any("100.0%" in line and "未达标" in line for line in body.splitlines())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_villages_stay_clickable_after_any_toggle(browser, sample_map, sample_result, size):
    browser.set_window_size(*size)
    open_page(browser, sample_map)
    driver_map = "window.carecirclesMap"
    for item in state(browser)["overlays"]:
        browser.execute_script(
            f"{driver_map}.setOverlay(arguments[0], !arguments[1])", item["id"], item["on"]
        )
        browser.execute_script(f"{driver_map}.setOverlay(arguments[0], arguments[1])", item["id"], item["on"])
    for standard in reversed(sample_result.config.standards):
        browser.execute_script(f"{driver_map}.select(arguments[0])", standard.id)
    browser.execute_script(f"{driver_map}.setOverlay('bands', true)")
    browser.execute_script(f"{driver_map}.setOverlay('catchments-township', true)")
    villages = sample_result.villages
    lonely = villages[villages["village-2.5km_status"] == "none"].iloc[0]
    zoom_to(browser, lonely.geometry.x, lonely.geometry.y, 15)
    circle = _element_at(browser, lonely.geometry.x, lonely.geometry.y)
    assert circle["pane"] == "cc-villages"  # the topmost thing under the village is the village
    browser.execute_script(
        "const p = window.carecirclesMap.map.latLngToContainerPoint([arguments[1], arguments[0]]);"
        "const r = window.carecirclesMap.map.getContainer().getBoundingClientRect();"
        "document.elementFromPoint(r.left + p.x, r.top + p.y).dispatchEvent(new MouseEvent('click',"
        " {bubbles: true, clientX: r.left + p.x, clientY: r.top + p.y}));",
        lonely.geometry.x,
        lonely.geometry.y,
    )
    assert _popup_text(browser).startswith(f"{lonely['name']} (")


def _element_at(driver, lon: float, lat: float) -> dict:
    return driver.execute_script(
        "const m = window.carecirclesMap.map;"
        "const p = m.latLngToContainerPoint([arguments[1], arguments[0]]);"
        "const r = m.getContainer().getBoundingClientRect();"
        "const el = document.elementFromPoint(r.left + p.x, r.top + p.y);"
        "const pane = el.closest('.leaflet-pane'); return {tag: el.tagName,"
        " pane: pane ? [...pane.classList].find(c => c.startsWith('leaflet-cc-')).slice(8, -5) : null};",
        lon,
        lat,
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_legend_lists_exactly_the_visible_layers(browser, sample_map, sample_result, size):
    from carecircles.labels import facility_type_name

    browser.set_window_size(*size)
    open_page(browser, sample_map)
    if not state(browser)["legendOpen"]:  # collapsed at first on a phone
        browser.find_element("css selector", "#cc-legend .cc-toggle").click()
    types = {facility_type_name(t, "zh") for t in sample_result.facilities["type"]}
    legend = set(state(browser)["legend"])
    assert types <= legend  # every facility type drawn is named
    assert any("30分钟内不可达的区域" in t for t in legend)
    assert not any("服务范围" in t or "服务人口" in t for t in legend)  # catchments hidden: not listed
    browser.execute_script("window.carecirclesMap.setOverlay('facilities', false)")
    legend = set(state(browser)["legend"])
    assert not types & legend
    browser.execute_script("window.carecirclesMap.setOverlay('catchments-township', true)")
    browser.execute_script("window.carecirclesMap.setOverlay('uncovered', false)")
    browser.execute_script("window.carecirclesMap.setOverlay('bands', true)")
    legend = state(browser)["legend"]
    assert any("服务人口" in t for t in legend)
    assert not any("不可达" in t for t in legend)
    assert any(t.endswith("以内") and "分钟" in t for t in legend)  # the travel-time bands
    drawn = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-cc-facilities-pane .cc-facility')].length"
    )
    assert drawn == 0


def test_panels_collapse_and_start_collapsed_on_phones(browser, sample_map, sample_result):
    browser.set_window_size(390, 844)
    open_page(browser, sample_map)
    shown = state(browser)
    assert not shown["panelOpen"] and not shown["legendOpen"]
    standards = sample_result.config.standards
    time_standards = sum(s.metric == "time" for s in standards)
    lines = len(standards) + len(sample_result.scenarios) * time_standards  # 4 + winter's 3
    assert len([line for line in shown["banner"] if line]) == lines
    browser.find_element("css selector", "#cc-legend .cc-toggle").click()
    assert state(browser)["legendOpen"]
    shoot(browser, "map-390x844-legend.png")
    browser.set_window_size(1600, 1000)
    open_page(browser, sample_map)
    assert state(browser)["legendOpen"] and state(browser)["panelOpen"]
    browser.find_element("css selector", "#cc-panel .cc-toggle").click()
    assert not state(browser)["panelOpen"]


def test_search_finds_a_village_and_opens_it(browser, sample_map, sample_result):
    browser.set_window_size(390, 844)
    open_page(browser, sample_map)
    name = sample_result.villages["name"].iloc[5]
    box = browser.find_element("css selector", ".cc-search")
    box.send_keys(name)
    results = browser.find_elements("css selector", ".cc-results .cc-result")
    assert name in [r.text for r in results]
    next(r for r in results if r.text == name).click()
    time.sleep(0.4)
    assert _popup_text(browser).startswith(f"{name} (")
    shoot(browser, "map-390x844-search.png")


def test_an_online_base_map_offline_says_so(browser, sample_map):
    browser.set_window_size(1280, 720)
    open_page(browser, sample_map)
    notice = browser.find_element("id", "cc-notice")
    assert not notice.is_displayed()
    _choose_base(browser, "OpenStreetMap（需联网）")
    deadline = time.time() + 10
    while time.time() < deadline and not notice.is_displayed():
        time.sleep(0.2)
    assert notice.is_displayed() and "底图无法加载" in notice.text
    _choose_base(browser, "无底图（离线）")
    assert not notice.is_displayed()


def test_english_map_has_no_chinese_words_of_its_own(browser, sample_result, tmp_path):
    import re

    from carecircles.maps import GLYPHS, write_map

    page = write_map(sample_result, tmp_path / "en.html", lang="en")
    browser.set_window_size(1600, 1000)
    open_page(browser, page)
    text = browser.execute_script("return document.body.innerText")
    data = set(sample_result.zones["zone_name"]) | set(sample_result.villages["name"])
    data |= set(sample_result.facilities["name"]) | {
        sample_result.config.title,
        sample_result.config.issuing_unit,
    }
    data |= {found.title for found in sample_result.scenarios.values()}  # the config's own words
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    for glyph in GLYPHS.values():  # the facility symbols: one character each, named in the legend
        text = text.replace(glyph, "")
    assert not re.findall(r"[\u4e00-\u9fff]+", text), text
    assert "Standard shown" in text and "Legend" in text


def zoom_to(driver, lon: float, lat: float, zoom: int) -> None:
    driver.execute_script(
        "window.carecirclesMap.map.setView([arguments[1], arguments[0]], arguments[2], {animate: false});",
        lon,
        lat,
        zoom,
    )
    time.sleep(0.3)


def _popup_text(driver) -> str:
    deadline = time.time() + 5
    while time.time() < deadline:
        found = driver.find_elements("css selector", ".leaflet-popup-content")
        if found and found[0].text:
            return found[0].text
        time.sleep(0.1)
    raise AssertionError("no popup opened")


def test_gcj02_base_map_shifts_overlays_for_display(browser, sample_map, sample_result):
    open_page(browser, sample_map)
    hospital = sample_result.facilities.set_index("name").loc["靖宇县人民医院"].geometry
    find = (
        "const map = window.carecirclesMap.map; let out = null;"
        "map.eachLayer(l => { if (l.feature && l.getLatLng && l.feature.properties.popup"
        " && l.feature.properties.popup.title === '靖宇县人民医院') out = l.getLatLng(); });"
        "return out && [out.lat, out.lng];"
    )
    before = browser.execute_script(find)
    assert before == pytest.approx([hospital.y, hospital.x], abs=1e-9)
    _choose_base(browser, "高德地图（GCJ-02，需联网）")
    shifted = browser.execute_script(find)
    g_lon, g_lat = wgs84_to_gcj02(hospital.x, hospital.y)
    assert shifted == pytest.approx([float(g_lat), float(g_lon)], abs=1e-9)  # same formula in JS and Python
    _choose_base(browser, "无底图（离线）")
    assert browser.execute_script(find) == pytest.approx(before, abs=1e-12)


def _choose_base(driver, name: str) -> None:
    if not state(driver)["panelOpen"]:
        driver.find_element("css selector", "#cc-panel .cc-toggle").click()
    for label in driver.find_elements("css selector", ".cc-choice"):
        if label.text.strip() == name:
            label.find_element("css selector", "input").click()
            return
    raise AssertionError(f"no base layer {name}")


def test_names_from_input_show_as_text(browser, tmp_path):
    from carecircles.analysis import run_study
    from carecircles.config import load_config
    from carecircles.maps import write_map

    from _helpers import write_study

    csv = tmp_path / "fac.csv"
    csv.write_text(
        "id,name,type,lon,lat\n"
        "x1,<script>alert(1)</script>,县级综合医院,126.8136,42.3914\n"
        'x2,"<img src=x onerror=window.__pwned=1> O\'Brien ""clinic""",乡镇卫生院,126.80,42.38\n',
        encoding="utf-8",
    )
    config = load_config(write_study(tmp_path, inputs__facilities={"path": str(csv)}), output_root=tmp_path)
    page = write_map(run_study(config), tmp_path / "hostile.html")
    open_page(browser, page)
    zoom_to(browser, 126.8136, 42.3914, 16)
    browser.find_element("css selector", ".leaflet-cc-facilities-pane .cc-county_hospital").click()
    assert "<script>alert(1)</script>" in _popup_text(browser)
    browser.execute_script("window.carecirclesMap.map.closePopup();")  # as a user closes it
    zoom_to(browser, 126.80, 42.38, 16)
    browser.find_element("css selector", ".leaflet-cc-facilities-pane .cc-thc").click()
    assert 'O\'Brien "clinic"' in _popup_text(browser)
    assert browser.execute_script("return window.__pwned === undefined")
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert errors(browser) == []


def test_report_and_siting_map_render(browser, sample_result, tmp_path):
    from carecircles.analysis import load_inputs
    from carecircles.maps import write_siting_map
    from carecircles.report import write_report
    from carecircles.siting import SitingOptions, site

    siting = site(load_inputs(sample_result.config), SitingOptions(standard="rural-30min", k=2))
    report, markdown = write_report(sample_result, tmp_path, [siting])
    assert "## 拟建站点" in markdown.read_text(encoding="utf-8")
    browser.get_log("browser")
    browser.get(report.resolve().as_uri())
    assert "就医圈达标评估报告" in browser.find_element("css selector", "h1").text
    assert len(browser.find_elements("css selector", "svg rect")) >= 12  # one bar per zone and standard
    assert "seeds/004" not in browser.page_source  # plans named, not the tool's own files
    assert errors(browser) == []
    shoot(browser, "report.png")
    page = write_siting_map(siting, tmp_path / "siting.html")
    browser.set_window_size(1280, 720)
    open_page(browser, page)
    labels = layer_labels(browser)
    assert "拟建站点" in labels and "拟建站点新增覆盖范围" in labels
    banner = browser.find_element("id", "cc-banner").text
    assert "拟建站点：农村30分钟就医圈 30分钟" in banner and "→ + 拟建站点" in banner
    legend = state(browser)["legend"]
    assert any(t.startswith("拟建站点") for t in legend) and "拟建站点新增覆盖范围" in legend
    outlines = browser.execute_script(
        "return document.querySelectorAll('.leaflet-cc-outline-pane path').length"
    )
    assert outlines == len(sample_result.zones)  # the boundaries are drawn
    order = browser.execute_script(
        "const z = n => +getComputedStyle(document.querySelector('.leaflet-' + n + '-pane')).zIndex;"
        "return [z('cc-facilities'), z('cc-proposed'), z('cc-labels')];"
    )
    assert order == sorted(order)  # proposed sites above existing glyphs, labels above both
    assert errors(browser) == []
    shoot(browser, "siting-map.png")


def test_tianditu_base_map_takes_the_key_as_data(browser, sample_result, tmp_path):
    import dataclasses

    from carecircles.maps import write_map

    key = 'k"ey</script>${x}&tk=1'
    config = dataclasses.replace(sample_result.config, tianditu_token=key, base_map="tianditu")
    page = write_map(dataclasses.replace(sample_result, config=config), tmp_path / "tianditu.html")
    assert key not in page.read_text(encoding="utf-8")  # only JSON-escaped
    browser.set_window_size(1280, 720)
    open_page(browser, page)
    urls = browser.execute_script(
        "const out = []; window.carecirclesMap.map.eachLayer(l => { if (l._url) out.push(l._url); });"
        "return out;"
    )
    assert len(urls) == 2 and all("tianditu.gov.cn" in u for u in urls)
    assert all(u.endswith("&tk=" + "k%22ey%3C%2Fscript%3E%24%7Bx%7D%26tk%3D1") for u in urls)
    assert browser.execute_script("return window.__pwned === undefined")
    assert [e for e in errors(browser) if "ERR_INTERNET_DISCONNECTED" not in e] == []  # tiles: offline


def test_map_prints_on_one_landscape_page_with_title_and_legend(browser, sample_map):
    import base64
    import io

    from pypdf import PdfReader

    browser.set_window_size(1600, 1000)
    open_page(browser, sample_map)
    printed = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    pdf = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    words = pdf.pages[0].extract_text()
    assert "农村30分钟就医圈" in words and "图例" in words
