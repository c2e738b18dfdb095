"""Run report in HTML and Markdown, and the report of a siting run.

The report opens with a summary (one line per standard: share, zones passing, people not
covered), then the scorecard, the standards and their sources, per standard a chart, the map
figure and the zone table, the villages, catchments, capacity, proposed sites and data issues.
Self-contained (inline CSS, SVG and images, no script), Chinese by default, readable on a phone,
printable on A4 with page numbers. Words come from :mod:`carecircles.labels`, colours from
:mod:`carecircles.palette`, people from :func:`carecircles.assessment.whole_people`.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from carecircles import __version__, palette
from carecircles._encode import decimals_down, html_text, markdown_text, percent
from carecircles.analysis import StudyResult
from carecircles.assessment import whole_people
from carecircles.catchments import Catchments
from carecircles.labels import (
    label,
    labels,
    people_text,
    recommendation_text,
    standard_title,
    stop_reason_text,
    threshold_text,
    verdict_text,
)
from carecircles.scorecard import study_scorecard
from carecircles.siting import SitingResult
from carecircles.standards import Standard
from carecircles.summary import standard_name, summary_lines

_MAX_ISSUES = 50
#: Rows of a long list (villages beyond a clinic, facilities' catchments) shown in the report,
#: the largest first; the tables hold them all. A county has fewer; a province's 8,536 villages
#: made a 421-page PDF whose printing took Chromium 3.9 GiB (about 27 kB per table cell).
MAX_LISTED = 500
#: China Standard Time: the report's clock, whatever the machine's time zone.
BEIJING = timezone(timedelta(hours=8))

_e = html_text  # HTML text and attributes
_m = markdown_text  # Markdown text and table cells


class _Doc:
    """The report being written, in HTML and Markdown at once."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.t = labels(lang)
        self.h: list[str] = []
        self.md: list[str] = []

    def heading(self, level: int, words: str) -> None:
        self.h.append(f"<h{level}>{_e(words)}</h{level}>")
        self.md.append(f"{'#' * level} {_m(words, newline=' ')}\n")

    def para(self, words: str, css: str = "") -> None:
        opening = f"<p class='{css}'>" if css else "<p>"
        self.h.append(f"{opening}{_e(words)}</p>")
        self.md.append(f"{_m(words)}\n")

    def html(self, fragment: str) -> None:
        """Add HTML built by this module (data in it already escaped)."""
        self.h.append(fragment)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        numeric: set[int],
        classes: Sequence[str] | None = None,
        table_class: str = "",
    ) -> None:
        head = "".join(f"<th>{_e(x)}</th>" for x in headers)
        body = []
        for i, row in enumerate(rows):
            cls = f" class='{classes[i]}'" if classes and classes[i] else ""
            cells = "".join(
                f"<td{' class=num' if j in numeric else ''}>{_e(v)}</td>" for j, v in enumerate(row)
            )
            body.append(f"<tr{cls}>{cells}</tr>")
        css = f" {table_class}" if table_class else ""
        self.h.append(
            f"<div class='wrap'><table class='data{css}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
        self.md.append("| " + " | ".join(_m(x) for x in headers) + " |")
        self.md.append("|" + "|".join("---:" if j in numeric else "---" for j in range(len(headers))) + "|")
        self.md.extend("| " + " | ".join(_m(v) for v in row) + " |" for row in rows)
        self.md.append("")

    def page(self, title: str) -> tuple[str, str]:
        lang = "zh-CN" if self.lang == "zh" else "en"
        html = (
            f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{''.join(self.h)}</body></html>"
        )
        return html, "\n".join(self.md) + "\n"


def build_report(
    result: StudyResult,
    sitings: Sequence[SitingResult] = (),
    lang: str = "zh",
    figures: Mapping[str, Path] | None = None,
) -> tuple[str, str]:
    """Return the report as (HTML, Markdown).

    Parameters
    ----------
    result
        A finished study.
    sitings
        Siting runs to report after the assessment.
    lang
        ``zh`` (default) or ``en``.
    figures
        A4 map figure (PNG) per standard id, embedded after that standard's chart.
    """
    doc = _Doc(lang)
    config = result.config
    title = f"{config.title} · {label('report', lang)}"
    _front(doc, result, title)
    _summary_section(doc, result)
    _scorecard_section(doc, result)
    _standards_section(doc, config.standards)
    if config.dem:
        doc.para(label("terrain_note", lang))
    _zone_sections(doc, result, figures or {})
    if result.scenarios:
        _scenario_section(doc, result)
    _village_section(doc, result)
    if result.catchments is not None:
        _catchment_section(doc, result.catchments)
    if result.capacity is not None:
        _capacity_section(doc, result)
    for siting in sitings:
        _siting_section(doc, siting, level=2)
    _issue_section(doc, result)
    return doc.page(title)


def _front(doc: _Doc, result: StudyResult, title: str) -> None:
    config, lang = result.config, doc.lang
    doc.heading(1, title)
    if config.synthetic:
        doc.para(label("synthetic", lang), "synthetic")
    stamp = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    meta = f"carecircles {__version__} · {label('generated', lang)} {stamp}（{label('beijing_time', lang)}）"
    if lang != "zh":
        meta = (
            f"carecircles {__version__} · {label('generated', lang)} {stamp} ({label('beijing_time', lang)})"
        )
    if config.issuing_unit:
        meta += f" · {label('issued_by', lang)}: {config.issuing_unit}"
    doc.para(meta, "meta")


def _summary_section(doc: _Doc, result: StudyResult) -> None:
    doc.heading(2, label("summary", doc.lang))
    items = []
    for cls, line in summary_lines(result, doc.lang):
        mark = "✓" if cls == "pass" else "✗"
        colour = palette.COLOURS[cls if cls != "no_people" else "small_gap"]
        items.append(
            f"<li><span class='mark' style='background:{colour};color:{palette.TEXT_ON[cls]}'>{mark}</span>"
            f"{_e(line)}</li>"
        )
        doc.md.append(f"- {mark} {_m(line)}")
    doc.html(f"<ul class='summary'>{''.join(items)}</ul>")
    doc.md.append("")


def _scorecard_section(doc: _Doc, result: StudyResult) -> None:
    lang, t = doc.lang, doc.t
    card = study_scorecard(result, lang)
    doc.heading(2, t["scorecard"])
    rows, classes = [], []
    for r in card.itertuples():
        passes = None if pd.isna(r.passes) else bool(r.passes)
        zones = "" if pd.isna(r.zones_assessed) else f"{r.zones_passing}/{r.zones_assessed}"
        verdict = t["not_assessed"] if passes is None else verdict_text(passes, lang)
        source = _plain_source(r.source)
        source = f"{source}：“{r.wording}”" if r.wording else source
        name = r.name_zh if lang == "zh" else r.name_en
        rows.append([name, r.target, r.actual, verdict, zones, source, _blank(r.note)])
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
    doc.table(headers, rows, {2, 4}, classes, table_class="scorecard")


_SEED_FILE = re.compile(r"\s*\(seeds/[^()]*?\.txt\)")


def _plain_source(source: object) -> str:
    """Return a plan's name without the internal file it was read from (``(seeds/…txt)``)."""
    return _SEED_FILE.sub("", _blank(source))


def _blank(value: object) -> str:
    """Text of a value, empty for a missing one (never "nan" or "None")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _standards_section(doc: _Doc, standards: Sequence[Standard]) -> None:
    t, lang = doc.t, doc.lang
    doc.heading(2, t["standards"])
    rows = [
        [s.id, standard_title(s, lang), s.rule, _plain_source(s.source), _test(s, lang)] for s in standards
    ]
    doc.table([t["id"], t["name"], t["rule"], t["source"], t["test"]], rows, set())


def _test(s: Standard, lang: str) -> str:
    how = label(s.mode, lang) if s.metric == "time" else label(s.distance_kind, lang)
    zone = label(s.zone_type, lang)
    target = f"{s.target_share * 100:g}%"
    if lang == "zh":
        return f"{zone}，{how}{threshold_text(s, lang)}以内，目标{target}"
    return f"{zone}, {how} within {threshold_text(s, lang)}, target {target}"


def _zone_sections(doc: _Doc, result: StudyResult, figures: Mapping[str, Path]) -> None:
    lang, t = doc.lang, doc.t
    people = whole_people(result.zone_results)
    doc.heading(2, t["zones"])
    for s in result.config.standards:
        rows = people[people["standard"] == s.id]
        if rows.empty:
            continue
        name = standard_name(s, lang)
        doc.heading(3, name)
        zones = rows[rows["zone_code"] != "ALL"]
        doc.html(
            share_chart(zones, s, f"{t['chart']}：{name}" if lang == "zh" else f"{t['chart']}: {name}", lang)
        )
        if s.id in figures:
            _figure(doc, figures[s.id], name)
        table = [
            [
                r.zone_name,
                r.zone_code,
                _people(r.population),
                _people(r.covered_population),
                "" if r.population <= 0 else percent(r.covered_share),
                _people(r.uncovered_population),
                verdict_text(r.passes, lang),
            ]
            for r in rows.itertuples()
        ]
        table[-1][0] = t["all_zones"] if rows.iloc[-1]["zone_code"] == "ALL" else table[-1][0]
        classes = ["" if pd.isna(r.passes) else ("pass" if r.passes else "fail") for r in rows.itertuples()]
        headers = [
            t["zone"],
            t["zone_code"],
            t["population"],
            t["covered_people"],
            t["share"],
            t["uncovered_people"],
            t["result"],
        ]
        doc.table(headers, table, {2, 3, 4, 5}, classes)
        if s.metric == "distance" and zones["villages"].notna().any():
            _village_counts(doc, rows, s)


def _scenario_section(doc: _Doc, result: StudyResult) -> None:
    """Per time standard and zone: the base case and every scenario side by side."""
    lang, t = doc.lang, doc.t
    doc.heading(2, t["scenarios"])
    doc.para(t["scenario_intro"])
    for spec in result.config.scenarios:
        found = result.scenarios[spec.id]
        zh = lang == "zh"
        comma = "，" if zh else ", "
        parts = [f"{t['walk_factor']} ×{spec.walk_factor:g}"]
        for mode, factors in spec.speed_factors.items():
            given = factors if isinstance(factors, dict) else {"*": factors}
            roads = [f"{t['other_roads'] if k == '*' else k} ×{v:g}" for k, v in given.items()]
            parts.append(f"{t.get(mode, mode)} {comma.join(roads)}")
        if spec.closed:
            count = f"（{found.closed_segments:,} 段）" if zh else f" ({found.closed_segments:,} segments)"
            parts.append(f"{t['closed_roads']} {comma.join(spec.closed)}{count}")
        colon, semicolon = ("：", "；") if lang == "zh" else (": ", "; ")
        doc.para(found.title + colon + semicolon.join(parts))
    base = whole_people(result.zone_results)
    others = {k: whole_people(v.zone_results) for k, v in result.scenarios.items()}
    for s in result.config.standards:
        if s.metric != "time":
            continue
        rows = base[base["standard"] == s.id]
        if rows.empty:
            continue
        doc.heading(3, standard_name(s, lang))
        headers = [t["zone"], t["population"], f"{t['share']} ({t['base_case']})", t["result"]]
        for found in result.scenarios.values():
            headers += [f"{t['share']} ({found.title})", t["result"], f"{t['more_outside']} ({found.title})"]
        table = []
        for r in rows.itertuples():
            name = t["all_zones"] if r.zone_code == "ALL" else r.zone_name
            line = [name, _people(r.population), _share(r), verdict_text(r.passes, lang)]
            for other in others.values():
                match = other[(other["standard"] == s.id) & (other["zone_code"] == r.zone_code)]
                o = next(match.itertuples()) if len(match) else None
                if o is None:
                    line += ["—", "—", "—"]
                    continue
                more = o.uncovered_population - r.uncovered_population
                line += [_share(o), verdict_text(o.passes, lang), f"{more:+,.0f}" if more else "0"]
            table.append(line)
        numeric = {1, 2} | {4 + 3 * k for k in range(len(others))} | {6 + 3 * k for k in range(len(others))}
        doc.table(headers, table, numeric)


def _share(row: Any) -> str:  # a row of itertuples()
    population = getattr(row, "population", 0)
    return "" if not population or population <= 0 else percent(row.covered_share)


def _people(value: object) -> str:
    """Format a whole number (people, beds, metres) with separators; ``—`` when missing."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return "—" if _blank(value) == "" else _blank(value)
    return "∞" if number == float("inf") else f"{number:,.0f}"


def _village_counts(doc: _Doc, rows: pd.DataFrame, s: Standard) -> None:
    """Per zone: villages, with a fixed clinic, outreach point only, neither (the 2.5 km rule)."""
    lang, t = doc.lang, doc.t
    doc.para(label("village_table", lang, d=threshold_text(s, lang)), "caption")
    table = []
    for r in rows.itertuples():
        if pd.isna(r.villages):
            continue
        name = t["all_zones"] if r.zone_code == "ALL" else r.zone_name
        n = int(r.villages)
        fixed = int(r.villages_fixed)
        share = "—" if n == 0 else percent(fixed / n)
        table.append(
            [name, f"{n}", f"{fixed}", f"{int(r.villages_outreach_only)}", f"{int(r.villages_none)}", share]
        )
    headers = [
        t["zone"],
        t["villages_total"],
        t["clinic_fixed"],
        t["clinic_outreach_only"],
        t["clinic_none"],
        t["share_villages"],
    ]
    doc.table(headers, table, {1, 2, 3, 4, 5})


def _figure(doc: _Doc, png: Path, name: str) -> None:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    caption = label("figure_caption", doc.lang, standard=name, file=png.name)
    doc.html(
        f"<figure class='map'><img src='data:image/png;base64,{data}' alt='{_e(caption)}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )
    doc.md.append(f"![{_m(caption)}]({png.name})\n")


def share_chart(rows: pd.DataFrame, standard: Standard, title: str, lang: str = "zh") -> str:
    """Horizontal bars (inline SVG) of each zone's covered share, coloured by the palette class.

    The axis starts at a round value below the lowest share and the target (said under the
    axis), so 90 % and 95 % look different; ticks are labelled; the target is a dashed line named
    in the key; a value label never sits on the target line.
    """
    rows = rows[(rows["zone_code"] != "ALL") & (rows["population"] > 0)]
    target = standard.target_share
    shares = [float(x) for x in rows["covered_share"]]
    low = min([*shares, target]) if shares else target
    start = max(0.0, math.floor((low - 0.02) * 10) / 10)
    span = 1.0 - start
    step = 0.05 if span <= 0.3 else (0.1 if span <= 0.6 else 0.2)
    left, bar, row_h, top = 120, 420, 22, 30
    width = left + bar + 70
    height = top + row_h * len(rows) + 30 + 17 * 4

    def x(share: float) -> float:
        return left + bar * (share - start) / span

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' class='chart' role='img' "
        f"aria-label='{_e(title)}'>",
        f"<text x='0' y='16' class='title'>{_e(title)}</text>",
    ]
    tick = start
    while tick <= 1.0 + 1e-9:
        tx = x(tick)
        parts.append(
            f"<line x1='{tx:.1f}' x2='{tx:.1f}' y1='{top - 4}' y2='{top + row_h * len(rows)}' class='grid'/>"
        )
        parts.append(
            f"<text x='{tx:.1f}' y='{top + row_h * len(rows) + 14}' text-anchor='middle' class='tick'>"
            f"{tick * 100:.0f}%</text>"
        )
        tick = round(tick + step, 6)
    target_x = x(target)
    for i, (r, share) in enumerate(zip(rows.itertuples(), shares, strict=True)):
        y = top + i * row_h
        cls = palette.verdict(r.passes, share, target)
        end = x(share)
        shown = percent(share)
        parts.append(f"<text x='{left - 6}' y='{y + 15}' text-anchor='end'>{_e(r.zone_name)}</text>")
        parts.append(
            f"<rect x='{left}' y='{y + 3}' width='{max(end - left, 0):.1f}' height='{row_h - 6}' "
            f"fill='{palette.COLOURS[cls]}'><title>{_e(r.zone_name)} {shown}</title></rect>"
        )
        label_w = 7.5 * len(shown)
        lx = end + 4
        if lx <= target_x + 3 and lx + label_w >= target_x - 3:  # would sit on the target line
            lx = target_x + 5 if end < target_x else end + 4
        if lx + label_w > width:
            parts.append(
                f"<text x='{end - 4:.1f}' y='{y + 15}' text-anchor='end' fill='{palette.TEXT_ON[cls]}' "
                f"class='value'>{shown}</text>"
            )
        else:
            parts.append(f"<text x='{lx:.1f}' y='{y + 15}' class='value'>{shown}</text>")
    parts.append(
        f"<line x1='{target_x:.1f}' x2='{target_x:.1f}' y1='{top - 6}' y2='{top + row_h * len(rows) + 2}' "
        "stroke='#111' stroke-width='1.5' stroke-dasharray='5 3'/>"
    )
    present = {palette.verdict(r.passes, s, target) for r, s in zip(rows.itertuples(), shares, strict=True)}
    keys = [
        (
            f"<rect x='0' y='{{y}}' width='14' height='12' fill='{palette.COLOURS[cls]}'/>",
            label(cls, lang, p=palette.SMALL_GAP_POINTS) if cls != "pass" else label("pass", lang),
        )
        for cls in palette.CLASSES
        if cls in present
    ]
    keys.append(
        (
            "<line x1='0' x2='14' y1='{y6}' y2='{y6}' stroke='#111' stroke-dasharray='5 3'/>",
            f"{label('chart_key_target', lang)} {target * 100:g}%",
        )
    )
    key_y = top + row_h * len(rows) + 24
    for i, (symbol, words) in enumerate(keys):
        y = key_y + 17 * i
        parts.append(symbol.format(y=y, y6=y + 6))
        parts.append(f"<text x='20' y='{y + 11}' class='key'>{_e(words)}</text>")
    if start > 0:
        note = label("axis_from", lang, p=f"{start * 100:.0f}%")
        parts.append(f"<text x='{width}' y='{key_y + 11}' text-anchor='end' class='key'>{_e(note)}</text>")
    parts.append("</svg>")
    return "".join(parts)


_CSS = (
    "body{font:15px/1.55 'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;margin:1.5em auto;"
    "max-width:1100px;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
    "h3{font-size:1.1em}.wrap{overflow-x:auto;max-width:100%}"
    "table.data{border-collapse:collapse;margin:.5em 0 1.2em;font-size:14px}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}td.num{text-align:right;"
    "white-space:nowrap}th{background:#f0f0f0}"
    f"tr.fail td:last-child{{color:{palette.COLOURS['large_gap']};font-weight:bold}}"
    f"tr.pass td:last-child{{color:{palette.COLOURS['pass']};font-weight:bold}}"
    ".synthetic{color:#b2182b;font-weight:bold}.meta{color:#555}.caption{font-weight:bold;margin-bottom:0}"
    "ul.summary{list-style:none;padding:0;font-size:16px}ul.summary li{margin:.3em 0;display:flex;gap:.5em;"
    "align-items:baseline}.mark{display:inline-block;min-width:1.4em;text-align:center;border-radius:3px;"
    "font-weight:bold}"
    ".scorecard td:first-child{min-width:12em}.scorecard td:nth-child(2),.scorecard td:nth-child(3),"
    ".scorecard td:nth-child(4){white-space:nowrap}.scorecard td:nth-child(6),.scorecard td:nth-child(7){"
    "font-size:12px;color:#555}"
    f".scorecard tr.fail td:nth-child(4){{color:{palette.COLOURS['large_gap']};font-weight:bold}}"
    f".scorecard tr.pass td:nth-child(4){{color:{palette.COLOURS['pass']};font-weight:bold}}"
    ".scorecard tr td:last-child{color:#555;font-weight:normal}"
    "svg.chart{width:100%;max-width:760px;height:auto;font:13px sans-serif;display:block;margin:.5em 0}"
    "svg.chart .title{font-weight:bold;font-size:14px}svg.chart .grid{stroke:#ddd}svg.chart .tick,"
    "svg.chart .key{font-size:12px;fill:#333}svg.chart .value{font-weight:bold}"
    "figure.map{margin:1em 0}figure.map img{width:100%;max-width:1000px;border:1px solid #ccc}"
    "figcaption{font-size:13px;color:#555}"
    "@media (max-width:600px){body{font-size:14px;padding:0 .6em}h1{font-size:1.3em}"
    "table.data{font-size:13px}table.data td:first-child,table.data td:nth-child(2),table.data th,"
    "td.num{white-space:nowrap}}"
    "@page{size:A4;margin:16mm 14mm 18mm;@bottom-center{content:counter(page) ' / ' counter(pages);"
    "font:10px sans-serif;color:#555}}"
    "@media print{body{margin:0;max-width:none;font-size:11pt}.wrap{overflow:visible}h1,h2,h3,.caption{"
    "break-after:avoid;page-break-after:avoid}tr,svg.chart,figure.map,ul.summary li{break-inside:avoid;"
    "page-break-inside:avoid}thead{display:table-header-group}}"
)


def _village_section(doc: _Doc, result: StudyResult) -> None:
    villages = result.villages
    if villages is None:
        return
    status_col = next((c for c in villages.columns if c.endswith("_status")), None)
    if status_col is None:
        return
    lang, t = doc.lang, doc.t
    standard = next((s for s in result.config.standards if f"{s.id}_status" == status_col), None)
    distance = threshold_text(standard, lang) if standard is not None else ""
    outside = villages[villages[status_col] != "fixed"].sort_values("population", ascending=False)
    doc.heading(
        2,
        f"{label('villages_beyond', lang, d=distance)}（{len(outside)}）"
        if lang == "zh"
        else f"{label('villages_beyond', lang, d=distance)} ({len(outside)})",
    )
    outside = _listed(doc, outside, "villages")
    road = outside["clinic_road_m"].to_numpy(dtype=float)
    rows = [
        [
            v.name,
            v.zone_name,
            _people(v.population),
            label(f"clinic_{status}", lang),
            _people(v.clinic_straight_m),
            f"{r:,.0f}" if pd.notna(r) and r != float("inf") else label("beyond_10km", lang),
        ]
        for v, status, r in zip(outside.itertuples(), outside[status_col], road, strict=True)
    ]
    headers = [t["village"], t["zone"], t["population"], t["status"], t["straight_m"], t["road_m"]]
    doc.table(headers, rows, {2, 4, 5})


def _listed(doc: _Doc, rows: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return the first :data:`MAX_LISTED` rows, saying where the rest are when there are more."""
    if len(rows) <= MAX_LISTED:
        return rows
    doc.para(
        label(
            "listed_first",
            doc.lang,
            n=MAX_LISTED,
            total=len(rows),
            file=f"{table}.csv",
            sheet=label(f"sheet_{table}", doc.lang),
        )
    )
    return rows.head(MAX_LISTED)


def _catchment_section(doc: _Doc, found: Catchments) -> None:
    lang, t = doc.lang, doc.t
    doc.heading(2, t["catchments"])
    doc.para(label("catchments_intro", lang, mode=label(found.mode, lang), f=found.load_factor))
    for level, part in found.table.groupby("level", sort=False):
        doc.heading(3, label(f"catchment_level_{level}", lang))
        rows = [
            [
                r.name,
                r.zone_name,
                _people(r.population),
                _people(r.villages),
                "—" if pd.isna(r.mean_minutes) else f"{r.mean_minutes:.1f}",
                _people(r.beds),
                _people(r.doctors),
                _ratio(r.people_per_bed),
                _ratio(r.people_per_doctor),
                t["load_high"]
                if r.load == "high"
                else (t["load_ok"] if r.load == "ok" else t["not_assessed"]),
            ]
            for r in _listed(doc, part.sort_values("population", ascending=False), "catchments").itertuples()
        ]
        headers = [
            t["facility"],
            t["zone"],
            t["served"],
            t["served_villages"],
            t["mean_minutes"],
            t["beds"],
            t["doctors"],
            t["per_bed"],
            t["per_doctor"],
            t["load"],
        ]
        classes = ["fail" if r[-1] == t["load_high"] else "" for r in rows]
        doc.table(headers, rows, {2, 3, 4, 5, 6, 7, 8}, classes)
        if found.unassigned.get(str(level), 0) >= 0.5:
            doc.para(label("unassigned", lang, n=people_text(found.unassigned[str(level)], lang)))


def _capacity_section(doc: _Doc, result: StudyResult) -> None:
    found = result.capacity
    assert found is not None
    lang, t = doc.lang, doc.t
    doc.heading(2, t["capacity"])
    resource = t.get(found.resource, found.resource)
    doc.para(label("capacity_intro", lang, standard=found.standard, resource=resource))
    zones = result.zones
    rows = [
        [name, code, _people(people), decimals_down(mean), percent(share, up=True) if people > 0 else "—"]
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
        [
            t["all_zones"],
            "ALL",
            _people(found.zones.people.sum()),
            decimals_down(found.zones.county_mean),
            percent(found.zones.county_share_zero, up=True),
        ]
    )
    headers = [t["zone"], t["zone_code"], t["population"], t["access"], t["share_none"]]
    doc.table(headers, rows, {2, 3, 4})


def _ratio(value: float) -> str:
    """People per bed or doctor: whole people, one decimal below 10 (0.4 is not 0)."""
    if pd.isna(value):
        return "—"
    return "∞" if value == float("inf") else (f"{value:.1f}" if value < 10 else f"{value:,.0f}")


def _siting_section(doc: _Doc, siting: SitingResult, level: int) -> None:
    """Proposed sites, per-zone before → after, what is left for outreach, upgrade candidates."""
    lang, t = doc.lang, doc.t
    s = siting.standard
    doc.heading(
        level,
        f"{t['sites']}：{standard_name(s, lang)}"
        if lang == "zh"
        else f"{t['sites']}: {standard_name(s, lang)}",
    )
    total, before = siting.total_population, siting.baseline_covered
    after = before + float(siting.sites["newly_covered"].sum())
    if total > 0:
        change = f"{percent(before / total)} → {percent(after / total)}"
        n = len(siting.sites)
        doc.para(
            f"新增{n}处站点后，覆盖率 {change}，新增覆盖{people_text(after - before, lang)}。"
            f"{t['stop_reason']}：{stop_reason_text(siting.stop_reason, lang)}。"
            if lang == "zh"
            else f"With {n} new sites the covered share goes {change}, {people_text(after - before, lang)} "
            f"newly covered. {t['stop_reason']}: {stop_reason_text(siting.stop_reason, lang)}."
        )
    rows = [
        [
            int(r.rank),
            r.name,
            r.zone_name,
            f"{r.lon:.5f}, {r.lat:.5f}",
            _people(r.newly_covered),
            percent(r.cumulative_share),
        ]
        for r in siting.sites.itertuples()
    ]
    lonlat = "经度, 纬度" if lang == "zh" else "lon, lat"
    doc.table([t["rank"], t["name"], t["zone"], lonlat, t["newly"], t["cumulative"]], rows, {0, 4, 5})
    _before_after(doc, siting)
    if len(siting.outreach):
        doc.heading(level + 1, t["outreach_list"])
        rows = [
            [
                _blank(getattr(r, "name", "")) or t["left_in_zone"],
                r.zone_name,
                _people(r.population),
                recommendation_text(str(r.recommendation), lang),
            ]
            for r in siting.outreach.sort_values("population", ascending=False).itertuples()
        ]
        doc.table([t["name"], t["zone"], t["population"], t["recommendation"]], rows, {2})
    if not siting.upgrades.empty:
        doc.heading(level + 1, t["upgrades"])
        rows = [
            [
                int(r.rank),
                r.name,
                r.zone_name,
                _people(r.beds),
                _people(r.reach_population),
                _people(r.catchment_population),
            ]
            for r in siting.upgrades.itertuples()
        ]
        headers = [
            t["rank"],
            t["facility"],
            t["zone"],
            t["beds"],
            label("reach_population", lang, d=threshold_text(s, lang)),
            t["served"],
        ]
        doc.table(headers, rows, {0, 3, 4, 5})
    if siting.exact:
        from carecircles.outputs import exact_lines

        doc.heading(level + 1, t["exact_check"])
        for line in exact_lines(siting.exact, lang == "zh"):
            doc.para(line)


def _before_after(doc: _Doc, siting: SitingResult) -> None:
    t = doc.t
    doc.para(t["before_after"], "caption")
    rows, classes = [], []
    for r in siting.scenarios.itertuples():
        name = t["all_zones"] if r.zone_code == "ALL" else r.zone_name
        rows.append(
            [
                name,
                _people(r.population),
                percent(r.share_existing),
                percent(r.share_planned),
                percent(r.share_proposed),
                _people(r.gain_from_proposed),
                verdict_text(r.passes_proposed, doc.lang),
            ]
        )
        classes.append("" if pd.isna(r.passes_proposed) else ("pass" if r.passes_proposed else "fail"))
    headers = [
        t["zone"],
        t["population"],
        t["share_existing"],
        t["share_planned"],
        t["share_proposed"],
        t["newly"],
        t["result"],
    ]
    doc.table(headers, rows, {1, 2, 3, 4, 5}, classes)


def _issue_section(doc: _Doc, result: StudyResult) -> None:
    lang, t = doc.lang, doc.t
    issues = result.issues.to_frame()
    doc.heading(2, f"{t['issues']}（{len(issues)}）" if lang == "zh" else f"{t['issues']} ({len(issues)})")
    if issues.empty:
        doc.para(t["no_issues"])
        return
    order = issues["severity"].map({"error": 0, "warning": 1, "info": 2})
    issues = issues.assign(_o=order).sort_values("_o", kind="stable").head(_MAX_ISSUES)
    rows = [
        [
            t.get(str(r.severity), str(r.severity)),
            Path(str(r.source)).name,
            "" if pd.isna(r.row) else r.row,
            _blank(r.field),
            r.message_zh if lang == "zh" and r.message_zh else r.message,
            t.get(f"action_{r.action}", _blank(r.action)),
        ]
        for r in issues.itertuples()
    ]
    doc.table([t["severity"], t["file"], t["row"], t["field"], t["message"], t["action"]], rows, {2})
    if len(result.issues) > _MAX_ISSUES:
        doc.para(label("more_issues", lang, n=len(result.issues) - _MAX_ISSUES))


def write_report(
    result: StudyResult,
    out_dir: Path,
    sitings: Sequence[SitingResult] = (),
    lang: str = "zh",
    figures: Mapping[str, Path] | None = None,
) -> tuple[Path, Path]:
    """Write report.html and report.md; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page, markdown = build_report(result, sitings, lang, figures)
    html_path, md_path = out_dir / "report.html", out_dir / "report.md"
    html_path.write_text(page, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path


def build_siting_report(siting: SitingResult, lang: str = "zh") -> tuple[str, str]:
    """Return the report of one siting run as (HTML, Markdown)."""
    doc = _Doc(lang)
    config = siting.after.config
    title = f"{config.title} · {label('siting_report', lang)}"
    _front(doc, siting.after, title)
    _siting_section(doc, siting, level=2)
    return doc.page(title)


def write_siting_report(siting: SitingResult, out_dir: Path, lang: str = "zh") -> tuple[Path, Path]:
    """Write siting-report.html and siting-report.md into a siting run's folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page, markdown = build_siting_report(siting, lang)
    html_path, md_path = out_dir / "siting-report.html", out_dir / "siting-report.md"
    html_path.write_text(page, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path
