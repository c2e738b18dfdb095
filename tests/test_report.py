"""The report an official reads: summary first, honest figures, one language, readable on a phone."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from carecircles._encode import percent
from carecircles.report import build_report, build_siting_report, share_chart
from carecircles.summary import summary_lines

ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ -][A-Za-z]{2,}){2,}\b")  # three English words in a row
CJK = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="module")
def zones_csv(sample_result, tmp_path_factory):
    from carecircles.outputs import write_outputs

    out = tmp_path_factory.mktemp("tables")
    write_outputs(sample_result, out)
    return pd.read_csv(out / "zones.csv", dtype={"zone_code": str})


@pytest.fixture(scope="module")
def siting(sample_result):
    from carecircles.analysis import load_inputs
    from carecircles.schema import make_siting_options
    from carecircles.siting import site

    return site(load_inputs(sample_result.config), make_siting_options({"standard": "rural-30min", "k": 3}))


def test_summary_opens_the_report_with_the_figures_of_zones_csv(sample_result, zones_csv):
    html, markdown = build_report(sample_result)
    body = markdown.split("## ", 2)
    assert body[1].startswith("结论摘要")  # the first section
    for standard, (_, line) in zip(
        sample_result.config.standards, summary_lines(sample_result, "zh"), strict=True
    ):
        rows = zones_csv[zones_csv["standard"] == standard.id]
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        assessed = rows[(rows["zone_code"] != "ALL") & (rows["population"] > 0)]
        passing = int(assessed["passes"].astype(str).str.lower().eq("true").sum())
        assert f"覆盖率{percent(total['covered_population'] / total['population'])}" in line
        assert f"达标区域{passing}/{len(assessed)}" in line
        if standard.metric == "time":
            assert f"未覆盖{int(total['uncovered_population']):,}人" in line
        assert line in html.replace("&#x27;", "'") and line in markdown
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html


def test_nothing_reads_nan_none_or_the_tools_own_files(sample_result, siting):
    html, markdown = build_report(sample_result, [siting])
    for text in (html, markdown):
        assert not re.search(r"\b(nan|None|NaN)\b|<NA>", text)
        assert "seeds/" not in text
    assert "北京时间" in markdown and "UTC" not in markdown


def test_no_full_share_beside_a_fail(sample_result, siting):
    _, markdown = build_report(sample_result, [siting])
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.split("|")]
        for i, cell in enumerate(cells):  # the verdict that follows a 100.0% (the scenario table has two)
            if cell == "100.0%":
                verdict = next((c for c in cells[i + 1 :] if c in ("达标", "未达标")), None)
                assert verdict != "未达标", line
    summary = build_siting_report(siting)[1]
    assert not any("100.0%" in line and "未达标" in line for line in summary.splitlines())


def test_chinese_report_is_chinese_and_english_report_english(sample_result, siting):
    _, zh = build_report(sample_result, [siting], lang="zh")
    data = set(sample_result.zones["zone_name"]) | set(sample_result.villages["name"])
    data |= set(sample_result.facilities["name"]) | {
        sample_result.config.title,
        sample_result.config.issuing_unit,
    }
    text = zh
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    text = re.sub(r"##.*数据问题.*", "", text, flags=re.S)  # data-issue messages: see test_messages
    assert not ENGLISH_RUN.findall(text.replace("Luo & Qi", "")), ENGLISH_RUN.findall(text)[:5]
    _, en = build_report(sample_result, [siting], lang="en")
    assert "Summary" in en and "结论摘要" not in en and "达标" not in en.split("## Plan scorecard")[0]


def test_chart_axis_separates_90_from_95_and_names_its_start():
    from carecircles.standards import DEFAULT_STANDARDS

    rows = pd.DataFrame(
        {
            "zone_code": ["a", "b"],
            "zone_name": ["甲镇", "乙镇"],
            "population": [100, 100],
            "covered_share": [0.908, 0.949],
            "passes": [False, False],
        }
    )
    svg = share_chart(rows, dataclasses.replace(DEFAULT_STANDARDS["rural-30min"], target_share=0.95), "t")
    widths = [float(w) for w in re.findall(r"<rect x='120' y='[\d.]+' width='([\d.]+)'", svg)]
    assert widths[1] / widths[0] > 1.3  # from 0 the bars would differ by 4.5 %
    assert "横轴从80%开始" in svg and ">90%<" in svg and ">95%<" in svg
    assert "虚线：目标 95%" in svg


def test_value_labels_never_sit_on_the_target_line():
    from carecircles.standards import DEFAULT_STANDARDS

    rows = pd.DataFrame(
        {
            "zone_code": ["a"],
            "zone_name": ["甲"],
            "population": [10],
            "covered_share": [0.985],
            "passes": [False],
        }
    )
    standard = DEFAULT_STANDARDS["rural-30min"]  # target 100 %
    svg = share_chart(rows, standard, "t")
    line_x = float(re.search(r"<line x1='([\d.]+)' x2='[\d.]+' y1='24'", svg).group(1))
    label_x = float(re.search(r"<text x='([\d.]+)' y='[\d.]+' class='value'>98.5%", svg).group(1))
    assert label_x > line_x + 3 or label_x + 40 < line_x - 3


def test_siting_report_has_before_after_outreach_and_upgrades(siting):
    _, markdown = build_siting_report(siting)
    assert "各区域建设前后对比" in markdown and "仍未覆盖的地点" in markdown
    assert "可升级为县域医疗次中心的候选" in markdown
    assert "停止原因：已达到站点数上限（3处）" in markdown
    scenarios = siting.scenarios
    for row in scenarios[scenarios["zone_code"] != "ALL"].itertuples():
        assert f"| {row.zone_name} | {row.population:,.0f} | {percent(row.share_existing)} |" in markdown
    assert "still uncovered" not in markdown  # recommendations in Chinese


def _section_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the tables in the ``## heading...`` section, as cell lists."""
    section = next(s for s in markdown.split("\n## ") if s.startswith(heading))
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines if not line.startswith("| ---")]


def test_long_lists_show_the_largest_and_say_where_the_rest_are(sample_result, monkeypatch):
    import carecircles.report as report

    status = sample_result.villages["village-2.5km_status"]
    outside = sample_result.villages[status != "fixed"].sort_values("population", ascending=False)
    _, markdown = build_report(sample_result)
    rows = _section_rows(markdown, "2.5公里内无村卫生室的村")
    assert [r[0] for r in rows[1:]] == outside["name"].tolist()  # all of them: fewer than the cap
    assert "此处按人口列出前" not in markdown
    monkeypatch.setattr(report, "MAX_LISTED", 3)
    _, markdown = build_report(sample_result)
    rows = _section_rows(markdown, "2.5公里内无村卫生室的村")
    assert [r[0] for r in rows[1:]] == outside["name"].head(3).tolist()
    where = "全部见 villages.csv 和 tables.xlsx 的「村」表"
    assert f"共 {len(outside):,} 个，此处按人口列出前 3 个；{where}" in markdown
    catchments = _section_rows(markdown, "服务范围与负荷")
    township = sample_result.catchments.table.query("level == 'township'")
    listed = township.sort_values("population", ascending=False)["name"].head(3).tolist()
    assert [r[0] for r in catchments[1:4]] == listed
    assert f"共 {len(township)} 个，此处按人口列出前 3 个；全部见 catchments.csv" in markdown
    _, english = build_report(sample_result, lang="en")
    assert f"{len(outside)} in all; the 3 with the most people are listed here" in english


def test_report_embeds_the_map_figure(sample_result, tmp_path):
    from _helpers import tiny_png

    png = tiny_png(tmp_path / "figure-rural-30min.png")
    html, markdown = build_report(sample_result, figures={"rural-30min": png})
    assert html.count("<img src='data:image/png;base64,") == 1
    assert "![农村30分钟就医圈：各乡镇达标情况" in markdown


def test_report_reads_on_a_phone_and_prints_with_page_numbers(sample_result, tmp_path, tmp_path_factory):
    from carecircles.report import write_report

    from _browser import errors, shoot, start_browser

    page, _ = write_report(sample_result, tmp_path)
    driver = start_browser(tmp_path_factory)
    try:
        for width, height in ((1280, 720), (390, 844)):
            driver.set_window_size(width, height)
            driver.get(page.resolve().as_uri())
            scroll, inner = driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner  # wide tables scroll inside their box, not the page
            shoot(driver, f"report-{width}x{height}.png")
        assert errors(driver) == []
        import base64
        import io

        from pypdf import PdfReader

        printed = driver.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        pdf = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
        pages = len(pdf.pages)
        assert pages >= 3
        assert f"1 / {pages}" in pdf.pages[0].extract_text()
    finally:
        driver.quit()


def test_data_issues_are_in_chinese_in_the_chinese_outputs(sample_result):
    table = sample_result.issues.to_frame()
    assert len(table) and (table["message_zh"] != "").all()
    for text in table["message_zh"]:
        assert CJK.search(text), text
        assert not ENGLISH_RUN.findall(text), text
    _, markdown = build_report(sample_result)
    section = markdown.split("## 数据问题")[1]
    assert "已修正" in section and "警告" in section
    for text in table["message"]:
        assert text not in section  # the English message is not shown in the Chinese report
    _, english = build_report(sample_result, lang="en")
    assert table["message"].iloc[0] in english.replace("\\", "")
