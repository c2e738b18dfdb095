"""Run report in HTML and Markdown: standards and sources, zone tables, a chart, villages, issues.

Self-contained (inline CSS and SVG, no script), Chinese by default, printable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from carecircles import __version__
from carecircles._encode import decimals_down, html_text, markdown_text, percent
from carecircles.analysis import StudyResult
from carecircles.assessment import whole_people
from carecircles.catchments import Catchments
from carecircles.scorecard import study_scorecard
from carecircles.siting import SitingResult
from carecircles.standards import Standard

_T = {
    "zh": {
        "lang": "zh",
        "report": "就医圈达标评估报告",
        "synthetic": "合成示例数据，非真实数据",
        "generated": "生成时间",
        "standards": "评估标准及来源",
        "id": "编号",
        "rule": "规划原文",
        "source": "来源",
        "test": "检验方法",
        "zones": "各区域达标情况",
        "zone": "区域",
        "population": "人口",
        "covered": "覆盖人口",
        "share": "覆盖率",
        "target": "目标",
        "result": "结果",
        "pass": "达标",
        "fail": "未达标",
        "na": "无人口",
        "uncovered": "未覆盖人口",
        "chart": "各区域覆盖率",
        "villages": "超出2.5公里的村",
        "village": "村",
        "status": "状况",
        "straight": "直线距离(米)",
        "road": "道路距离(米)",
        "none": "无村卫生室或巡诊点",
        "outreach_only": "仅有巡诊点",
        "issues": "数据问题",
        "severity": "级别",
        "file": "文件",
        "row": "行",
        "field": "字段",
        "message": "说明",
        "action": "处理",
        "sites": "拟建站点",
        "rank": "排名",
        "name": "名称",
        "newly": "新增覆盖",
        "cumulative": "累计覆盖率",
        "walk": "步行",
        "ebike": "电动车/摩托车",
        "car": "汽车",
        "straight_km": "直线距离",
        "road_km": "道路距离",
        "all": "全部区域",
        "urban": "城区",
        "rural": "农村",
        "no_issues": "无",
        "more": "其余 {n} 条见 data_issues.csv",
        "scorecard": "规划指标记分卡",
        "indicator": "指标",
        "actual": "实际",
        "zones_passing": "达标区域",
        "na_assessed": "未评估",
        "note": "说明",
        "catchments": "服务范围与负荷（医共体）",
        "catchments_intro": "每个栅格和村按{mode}用时分配到最近的乡镇级中心和最近的县级医院（不设时间上限）。"
        "负荷偏高：每床或每名医师服务人口超过全县同级的 {f:g} 倍（本工具设定的规则，规划未给出数字）。",
        "level_township": "乡镇卫生院/社区卫生服务中心",
        "level_hospital": "县级医院",
        "facility": "机构",
        "served": "服务人口",
        "served_villages": "服务村数",
        "mean_minutes": "平均用时(分钟)",
        "beds": "床位",
        "doctors": "医师",
        "per_bed": "每床人口",
        "per_doctor": "每医师人口",
        "load": "负荷",
        "load_high": "偏高",
        "load_ok": "正常",
        "load_not assessed": "未评估",
        "unassigned": "无道路可达（未分配）人口：{n}",
        "capacity": "可及资源（E2SFCA）",
        "capacity_intro": "每个区域居民在{standard}时限内可及的{resource}（每千人），"
        "按两步移动搜索法（E2SFCA）计算：每个机构的{resource}数"
        "除以其时限内（按 Luo & Qi 2009 距离衰减加权）的人口，"
        "再按衰减加权累加到每个栅格。",
        "access": "每千人可及",
        "share_none": "无可及人口占比",
    },
    "en": {
        "lang": "en",
        "report": "Access standards report",
        "synthetic": "SYNTHETIC sample data, not real",
        "generated": "generated",
        "standards": "Standards and sources",
        "id": "id",
        "rule": "plan wording",
        "source": "source",
        "test": "test",
        "zones": "Zones",
        "zone": "zone",
        "population": "population",
        "covered": "covered",
        "share": "share",
        "target": "target",
        "result": "result",
        "pass": "passes",
        "fail": "fails",
        "na": "no population",
        "uncovered": "uncovered",
        "chart": "Covered share by zone",
        "villages": "Villages beyond 2.5 km",
        "village": "village",
        "status": "status",
        "straight": "straight (m)",
        "road": "by road (m)",
        "none": "no clinic or outreach",
        "outreach_only": "outreach point only",
        "issues": "Data issues",
        "severity": "severity",
        "file": "file",
        "row": "row",
        "field": "field",
        "message": "message",
        "action": "action",
        "sites": "Proposed sites",
        "rank": "rank",
        "name": "name",
        "newly": "newly covered",
        "cumulative": "cumulative share",
        "walk": "walking",
        "ebike": "e-bike/motorcycle",
        "car": "car",
        "straight_km": "straight line",
        "road_km": "by road",
        "all": "all zones",
        "urban": "urban",
        "rural": "rural",
        "no_issues": "none",
        "more": "{n} more in data_issues.csv",
        "scorecard": "Plan scorecard",
        "indicator": "indicator",
        "actual": "actual",
        "zones_passing": "zones passing",
        "na_assessed": "not assessed",
        "note": "note",
        "catchments": "Catchments and load (医共体)",
        "catchments_intro": "Every cell and village is assigned to its nearest township-level centre and its "
        "nearest county hospital by {mode} travel time (no time limit). High load: people per bed or per "
        "doctor above {f:g} × the county figure of the level (this tool's rule; the plans give no figure).",
        "level_township": "township health centres / community health centres",
        "level_hospital": "county hospitals",
        "facility": "facility",
        "served": "people served",
        "served_villages": "villages",
        "mean_minutes": "mean minutes",
        "beds": "beds",
        "doctors": "doctors",
        "per_bed": "people per bed",
        "per_doctor": "people per doctor",
        "load": "load",
        "load_high": "high",
        "load_ok": "normal",
        "load_not assessed": "not assessed",
        "unassigned": "people with no road access (not assigned): {n}",
        "capacity": "Capacity-aware access (E2SFCA)",
        "capacity_intro": "{resource} per 1,000 that each zone's residents reach within {standard}, by the "
        "enhanced two-step floating catchment (E2SFCA): each facility's {resource} divided by the people "
        "within its threshold (weighted by the Luo & Qi 2009 decay), summed back to every cell with the "
        "same weights.",
        "access": "per 1,000 reachable",
        "share_none": "people reaching none",
    },
}
_MAX_ISSUES = 50


_e = html_text  # HTML text and attributes
_m = markdown_text  # Markdown text and table cells


def _test(s: Standard, t: dict[str, str]) -> str:
    how = t.get(s.mode, s.mode) if s.metric == "time" else t[f"{s.distance_kind}_km"]
    return f"{t[s.zone_type]}, {how} ≤ {s.label}, {t['target']} {s.target_share:.0%}"


def _verdict(passes: object, t: dict[str, str]) -> str:
    return t["na"] if pd.isna(passes) else (t["pass"] if passes else t["fail"])


def share_chart(rows: pd.DataFrame, target: float, title: str) -> str:
    """Horizontal bar chart (inline SVG) of covered share per zone, with the target line."""
    rows = rows[rows["zone_code"] != "ALL"]
    bar, left, height = 320, 110, 18
    total_h = 28 + height * len(rows)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + bar + 70}' height='{total_h}' role='img' "
        f"aria-label='{_e(title)}' style='font:12px sans-serif'>",
        f"<text x='0' y='14' font-weight='bold'>{_e(title)}</text>",
    ]
    for i, row in enumerate(rows.itertuples()):
        y = 24 + i * height
        share = 0.0 if pd.isna(row.covered_share) else float(row.covered_share)
        colour = "#1a9850" if share >= target - 1e-9 else ("#fc8d59" if share >= target - 0.15 else "#d73027")
        parts.append(f"<text x='{left - 4}' y='{y + 12}' text-anchor='end'>{_e(row.zone_name)}</text>")
        parts.append(
            f"<rect x='{left}' y='{y + 2}' width='{bar * share:.1f}' height='{height - 4}' "
            f"fill='{colour}'><title>{_e(row.zone_name)} {percent(share)}</title></rect>"
        )
        parts.append(f"<text x='{left + bar * share + 4:.1f}' y='{y + 12}'>{percent(share)}</text>")
    x = left + bar * target
    parts.append(
        f"<line x1='{x:.1f}' x2='{x:.1f}' y1='20' y2='{total_h}' stroke='#333' stroke-dasharray='4 2'/>"
    )
    parts.append("</svg>")
    return "".join(parts)


def build_report(
    result: StudyResult, sitings: Sequence[SitingResult] = (), lang: str = "zh"
) -> tuple[str, str]:
    """Return the report as (HTML, Markdown)."""
    t = _T[lang]
    config = result.config
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    h: list[str] = []
    md: list[str] = []
    title = f"{config.title} · {t['report']}"
    h.append(f"<h1>{_e(title)}</h1>")
    md.append(f"# {_m(title, newline=' ')}\n")
    if config.synthetic:
        h.append(f"<p class='synthetic'>{t['synthetic']}</p>")
        md.append(f"**{t['synthetic']}**\n")
    h.append(f"<p class='meta'>carecircles {__version__} · {t['generated']} {stamp}</p>")
    md.append(f"carecircles {__version__} · {t['generated']} {stamp}\n")

    _scorecard_section(study_scorecard(result, lang), t, lang, h, md)
    _standards_section(config.standards, t, h, md)
    _zone_sections(result, t, h, md)
    _village_section(result, t, h, md)
    if result.catchments is not None:
        _catchment_section(result.catchments, t, h, md)
    if result.capacity is not None:
        _capacity_section(result, t, h, md)
    for siting in sitings:
        _siting_section(siting, t, h, md)
    _issue_section(result, t, h, md)
    page = (
        f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{''.join(h)}</body></html>"
    )
    return page, "\n".join(md) + "\n"


_CSS = (
    "body{font:14px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:1100px;"
    "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;"
    "padding:3px 8px;text-align:left}td.num{text-align:right}th{background:#f0f0f0}.fail{color:#b2182b;"
    "font-weight:bold}.pass{color:#1a9850}.synthetic{color:#b2182b;font-weight:bold}.meta{color:#666}"
    ".scorecard td{font-weight:normal;color:#222}.scorecard td:first-child{min-width:12em}"
    ".scorecard td:nth-child(2),.scorecard td:nth-child(3),.scorecard td:nth-child(4){white-space:nowrap}"
    ".scorecard tr.fail td:nth-child(4){color:#b2182b;font-weight:bold}"
    ".scorecard tr.pass td:nth-child(4){color:#1a9850;font-weight:bold}"
    ".scorecard td:nth-child(6),.scorecard td:nth-child(7){font-size:12px;color:#555}"
    "@media print{body{margin:0}}"
)


def _table(
    headers: list[str],
    rows: Sequence[Sequence[object]],
    numeric: set[int],
    h: list[str],
    md: list[str],
    classes: list[str] | None = None,
    table_class: str = "",
) -> None:
    head = "".join(f"<th>{_e(x)}</th>" for x in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f" class='{classes[i]}'" if classes and classes[i] else ""
        cells = "".join(f"<td{' class=num' if j in numeric else ''}>{_e(v)}</td>" for j, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    opening = f"<table class='{table_class}'>" if table_class else "<table>"
    h.append(f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    md.append("| " + " | ".join(_m(x) for x in headers) + " |")
    md.append("|" + "|".join("---:" if j in numeric else "---" for j in range(len(headers))) + "|")
    md.extend("| " + " | ".join(_m(v) for v in row) + " |" for row in rows)
    md.append("")


def _scorecard_section(card: pd.DataFrame, t: dict[str, str], lang: str, h: list[str], md: list[str]) -> None:
    h.append(f"<h2>{t['scorecard']}</h2>")
    md.append(f"## {t['scorecard']}\n")
    rows, classes = [], []
    for r in card.itertuples():
        passes = None if pd.isna(r.passes) else bool(r.passes)
        zones = "" if pd.isna(r.zones_assessed) else f"{r.zones_passing}/{r.zones_assessed}"
        verdict = t["na_assessed"] if passes is None else _verdict(passes, t)
        source = f"{r.source}：“{r.wording}”" if r.wording else r.source
        name = r.name_zh if lang == "zh" else r.name_en
        rows.append([name, r.target, r.actual, verdict, zones, source, r.note])
        classes.append("" if passes is None else ("pass" if passes else "fail"))
    headers = [
        t["indicator"],
        t["target"],
        t["actual"],
        t["result"],
        t["zones_passing"],
        t["source"],
        t["note"],
    ]
    _table(headers, rows, {2, 4}, h, md, classes, table_class="scorecard")


def _catchment_section(found: Catchments, t: dict[str, str], h: list[str], md: list[str]) -> None:
    h.append(f"<h2>{t['catchments']}</h2>")
    md.append(f"## {t['catchments']}\n")
    intro = t["catchments_intro"].format(mode=t.get(found.mode, found.mode), f=found.load_factor)
    h.append(f"<p>{_e(intro)}</p>")
    md.append(f"{_m(intro)}\n")
    for level, part in found.table.groupby("level", sort=False):
        h.append(f"<h3>{_e(t[f'level_{level}'])}</h3>")
        md.append(f"### {_m(t[f'level_{level}'])}\n")
        rows = [
            [
                r.name,
                r.zone_name,
                f"{r.population:,.0f}",
                f"{r.villages:,.0f}",
                "" if pd.isna(r.mean_minutes) else f"{r.mean_minutes:.1f}",
                _whole(r.beds),
                _whole(r.doctors),
                _ratio(r.people_per_bed),
                _ratio(r.people_per_doctor),
                t[f"load_{r.load}"],
            ]
            for r in part.sort_values("population", ascending=False).itertuples()
        ]
        headers = [
            t["facility"], t["zone"], t["served"], t["served_villages"], t["mean_minutes"],
            t["beds"], t["doctors"], t["per_bed"], t["per_doctor"], t["load"],
        ]  # fmt: skip
        classes = ["fail" if r[-1] == t["load_high"] else "" for r in rows]
        _table(headers, rows, {2, 3, 4, 5, 6, 7, 8}, h, md, classes)
        if found.unassigned.get(str(level), 0) >= 0.5:
            note = t["unassigned"].format(n=f"{found.unassigned[str(level)]:,.0f}")
            h.append(f"<p>{_e(note)}</p>")
            md.append(f"{_m(note)}\n")


def _capacity_section(result: StudyResult, t: dict[str, str], h: list[str], md: list[str]) -> None:
    found = result.capacity
    assert found is not None
    h.append(f"<h2>{t['capacity']}</h2>")
    md.append(f"## {t['capacity']}\n")
    resource = t.get(found.resource, found.resource)
    intro = t["capacity_intro"].format(standard=found.standard, resource=resource)
    h.append(f"<p>{_e(intro)}</p>")
    md.append(f"{_m(intro)}\n")
    zones = result.zones
    rows = [
        [name, code, f"{people:,.0f}", decimals_down(mean), percent(share) if people > 0 else "—"]
        for name, code, people, mean, share in zip(
            zones["zone_name"],
            zones["zone_code"],
            found.zones.people,
            found.zones.mean,
            found.zones.share_zero,
            strict=True,
        )
    ]
    rows.append(
        [t["all"], "ALL", f"{found.zones.people.sum():,.0f}", decimals_down(found.zones.county_mean),
         percent(found.zones.county_share_zero)]
    )  # fmt: skip
    headers = [t["zone"], t["id"], t["population"], t["access"], t["share_none"]]
    _table(headers, rows, {2, 3, 4}, h, md)


def _ratio(value: float) -> str:
    """People per bed or doctor: whole people, one decimal below 10 (0.4 is not 0)."""
    if pd.isna(value):
        return "—"
    return "∞" if value == float("inf") else (f"{value:.1f}" if value < 10 else f"{value:,.0f}")


def _whole(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:,.0f}"


def _title(standard: Standard, t: dict[str, str]) -> str:
    return standard.title_zh if t["lang"] == "zh" else standard.title_en


def _standards_section(standards: Sequence[Standard], t: dict[str, str], h: list[str], md: list[str]) -> None:
    h.append(f"<h2>{t['standards']}</h2>")
    md.append(f"## {t['standards']}\n")
    rows = [[s.id, _title(s, t), s.rule, s.source, _test(s, t)] for s in standards]
    _table([t["id"], t["name"], t["rule"], t["source"], t["test"]], rows, set(), h, md)


def _zone_sections(result: StudyResult, t: dict[str, str], h: list[str], md: list[str]) -> None:
    people = whole_people(result.zone_results)
    h.append(f"<h2>{t['zones']}</h2>")
    md.append(f"## {t['zones']}\n")
    for s in result.config.standards:
        rows = people[people["standard"] == s.id]
        if rows.empty:
            continue
        h.append(f"<h3>{_e(_title(s, t))} ({_e(s.label)})</h3>")
        md.append(f"### {_m(_title(s, t), newline=' ')} ({s.label})\n")
        if s.metric == "time":
            h.append(share_chart(rows, s.target_share, f"{t['chart']}: {_title(s, t)}"))
        table = [
            [
                r.zone_name,
                r.zone_code,
                f"{r.population:,.0f}",
                f"{r.covered_population:,.0f}",
                "" if pd.isna(r.covered_share) else f"{percent(r.covered_share)}",
                f"{r.uncovered_population:,.0f}",
                _verdict(r.passes, t),
            ]
            for r in rows.itertuples()
        ]
        classes = ["" if pd.isna(r.passes) else ("pass" if r.passes else "fail") for r in rows.itertuples()]
        headers = [t["zone"], t["id"], t["population"], t["covered"], t["share"], t["uncovered"], t["result"]]
        _table(headers, table, {2, 3, 4, 5}, h, md, classes)


def _village_section(result: StudyResult, t: dict[str, str], h: list[str], md: list[str]) -> None:
    villages = result.villages
    if villages is None:
        return
    status_col = next((c for c in villages.columns if c.endswith("_status")), None)
    if status_col is None:
        return
    outside = villages[villages[status_col] != "fixed"].sort_values("population", ascending=False)
    h.append(f"<h2>{t['villages']} ({len(outside)})</h2>")
    md.append(f"## {t['villages']} ({len(outside)})\n")
    road = outside["clinic_road_m"].to_numpy(dtype=float)
    rows = [
        [
            v.name,
            v.zone_name,
            f"{v.population:,.0f}",
            t[status],
            f"{v.clinic_straight_m:,.0f}",
            f"{r:,.0f}" if pd.notna(r) and r != float("inf") else "",
        ]
        for v, status, r in zip(outside.itertuples(), outside[status_col], road, strict=True)
    ]
    headers = [t["village"], t["zone"], t["population"], t["status"], t["straight"], t["road"]]
    _table(headers, rows, {2, 4, 5}, h, md)


def _siting_section(siting: SitingResult, t: dict[str, str], h: list[str], md: list[str]) -> None:
    title = f"{t['sites']}: {_title(siting.standard, t)} ({siting.standard.label})"
    h.append(f"<h2>{_e(title)}</h2>")
    md.append(f"## {_m(title, newline=' ')}\n")
    rows = [
        [
            r.rank,
            r.name,
            r.zone_name,
            f"{r.lon:.5f}, {r.lat:.5f}",
            f"{r.newly_covered:,.0f}",
            f"{percent(r.cumulative_share)}",
        ]
        for r in siting.sites.itertuples()
    ]
    headers = [t["rank"], t["name"], t["zone"], "lon, lat", t["newly"], t["cumulative"]]
    _table(headers, rows, {0, 4, 5}, h, md)


def _issue_section(result: StudyResult, t: dict[str, str], h: list[str], md: list[str]) -> None:
    issues = result.issues.to_frame()
    h.append(f"<h2>{t['issues']} ({len(issues)})</h2>")
    md.append(f"## {t['issues']} ({len(issues)})\n")
    if issues.empty:
        h.append(f"<p>{t['no_issues']}</p>")
        md.append(f"{t['no_issues']}\n")
        return
    order = issues["severity"].map({"error": 0, "warning": 1, "info": 2})
    issues = issues.assign(_o=order).sort_values("_o", kind="stable").head(_MAX_ISSUES)
    rows = [
        [
            r.severity,
            Path(str(r.source)).name,
            "" if pd.isna(r.row) else r.row,
            r.field or "",
            r.message,
            r.action,
        ]
        for r in issues.itertuples()
    ]
    headers = [t["severity"], t["file"], t["row"], t["field"], t["message"], t["action"]]
    _table(headers, rows, {2}, h, md)
    if len(result.issues) > _MAX_ISSUES:
        note = t["more"].format(n=len(result.issues) - _MAX_ISSUES)
        h.append(f"<p>{note}</p>")
        md.append(f"{note}\n")


def write_report(
    result: StudyResult, out_dir: Path, sitings: Sequence[SitingResult] = (), lang: str = "zh"
) -> tuple[Path, Path]:
    """Write report.html and report.md; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page, markdown = build_report(result, sitings, lang)
    html_path, md_path = out_dir / "report.html", out_dir / "report.md"
    html_path.write_text(page, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path
