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


def test_map_initialises_offline_with_layers_and_legend(browser, sample_map):
    assert sample_map.stat().st_size < 5_000_000
    open_page(browser, sample_map)
    labels = layer_labels(browser)
    for expected in (
        "无底图（离线）",
        "OpenStreetMap",
        "高德地图（GCJ-02）",
        "医疗机构",
        "超出2.5公里的村",
        "农村30分钟就医圈 30 min · 区域",
        "农村30分钟就医圈 30 min · 未覆盖",
    ):
        assert expected in labels, expected
    legend = browser.find_element("id", "cc-legend").text
    assert "图例" in legend and "村卫生室" in legend and "达标" in legend
    assert "合成示例数据" in browser.find_element("id", "cc-title").text
    scale = [e.text for e in browser.find_elements("css selector", ".leaflet-control-scale-line")]
    assert len(scale) == 1 and scale[0].endswith(("m", "km")) and "ft" not in scale[0]  # metric only
    assert browser.find_elements("css selector", ".leaflet-control-zoom-fullscreen")
    # drawn: zone polygons on the canvas and one marker per facility shown
    markers = browser.find_elements("css selector", ".leaflet-marker-pane .cc-facility")
    assert len(markers) > 100
    assert errors(browser) == []
    shoot(browser, "map.png")


def test_clicking_a_facility_opens_its_popup(browser, sample_map):
    open_page(browser, sample_map)
    zoom_to(browser, 126.8136, 42.3914, 17)  # as a person would: into the county seat
    browser.find_element("css selector", ".leaflet-marker-pane .cc-county_hospital").click()
    popup = _popup_text(browser)
    assert (
        "靖宇县人民医院" in popup
        and "床位: 300" in popup
        and "县级综合医院" in popup
        and "状态: 现有" in popup
    )
    assert errors(browser) == []
    shoot(browser, "map-popup.png")


def zoom_to(driver, lon: float, lat: float, zoom: int) -> None:
    driver.execute_script(
        "const map = Object.values(window).find(v => v instanceof L.Map);"
        "map.setView([arguments[1], arguments[0]], arguments[2], {animate: false});",
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
        "const map = Object.values(window).find(v => v instanceof L.Map); let out = null;"
        "map.eachLayer(l => { if (l.feature && l.getLatLng && l.feature.properties.popup"
        " && l.feature.properties.popup.title === '靖宇县人民医院') out = l.getLatLng(); });"
        "return out && [out.lat, out.lng];"
    )
    before = browser.execute_script(find)
    assert before == pytest.approx([hospital.y, hospital.x], abs=1e-9)
    _choose_base(browser, "高德地图（GCJ-02）")
    shifted = browser.execute_script(find)
    g_lon, g_lat = wgs84_to_gcj02(hospital.x, hospital.y)
    assert shifted == pytest.approx([float(g_lat), float(g_lon)], abs=1e-9)  # same formula in JS and Python
    _choose_base(browser, "无底图（离线）")
    assert browser.execute_script(find) == pytest.approx(before, abs=1e-12)


def _choose_base(driver, name: str) -> None:
    for label in driver.find_elements("css selector", ".leaflet-control-layers-base label"):
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
    browser.find_element("css selector", ".leaflet-marker-pane .cc-county_hospital").click()
    assert "<script>alert(1)</script>" in _popup_text(browser)
    zoom_to(browser, 126.80, 42.38, 16)
    browser.find_element("css selector", ".leaflet-marker-pane .cc-thc").click()
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
    assert "seeds/004" in browser.page_source
    assert errors(browser) == []
    shoot(browser, "report.png")
    page = write_siting_map(siting, tmp_path / "siting.html")
    open_page(browser, page)
    labels = layer_labels(browser)
    assert "拟建站点" in labels and "拟建站点新增覆盖范围" in labels
    assert errors(browser) == []
    shoot(browser, "siting-map.png")
