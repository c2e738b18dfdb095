"""The one-line summary of each standard, shared by the report, the map, the figures and the workbook.

"农村30分钟就医圈（30分钟）：覆盖率95.5%，达标区域0/8，未覆盖2,872人": the share (cut, never rounded
up), the zones passing out of those assessed, and who is outside (people for a time standard,
villages without a clinic for a distance one), from :func:`carecircles.assessment.whole_people`,
the figures of ``zones.csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from carecircles import palette
from carecircles._encode import percent
from carecircles.assessment import whole_people
from carecircles.labels import label, people_text, standard_title, threshold_text
from carecircles.standards import Standard

if TYPE_CHECKING:
    from carecircles.analysis import StudyResult


def outside_text(total: pd.Series, s: Standard, lang: str) -> str:
    """Who is outside a standard: people (time), or villages with no fixed clinic (distance)."""
    if s.metric == "time" or pd.isna(total.get("villages_none")):
        return people_text(total["uncovered_population"], lang)
    outreach = total.get("villages_outreach_only")
    n = int(total["villages_none"]) + (0 if pd.isna(outreach) else int(outreach))
    return label("villages_count", lang, n=n)


def summary_lines(
    result: StudyResult, lang: str, *, zone_results: pd.DataFrame | None = None, suffix: str = ""
) -> list[tuple[palette.Verdict, str]]:
    """Return one (class, line) per standard: share, zones passing x/y, people not covered.

    The class is ``pass`` when every assessed zone passes, else the palette class of the
    county-wide share. The same figures as ``zones.csv``, the map's banner and the CLI.
    ``zone_results`` (a scenario's) replaces the study's, and ``suffix`` follows each
    standard's name (the scenario's title).
    """
    people = whole_people(result.zone_results if zone_results is None else zone_results)
    lines: list[tuple[palette.Verdict, str]] = []
    for s in result.config.standards:
        rows = people[people["standard"] == s.id]
        if rows.empty:
            continue
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        zones = rows[(rows["zone_code"] != "ALL") & rows["passes"].notna()]
        passing = int(zones["passes"].astype(bool).sum())
        share = percent(total["covered_share"]) if total["population"] > 0 else "—"
        outside = outside_text(total, s, lang)
        name = standard_name(s, lang) + suffix
        line = label(
            "summary_line",
            lang,
            standard=name,
            share=share,
            passing=passing,
            zones=len(zones),
            outside=outside,
        )
        all_pass = passing == len(zones) and len(zones) > 0
        cls: palette.Verdict = (
            "pass" if all_pass else palette.verdict(False, float(total["covered_share"]), s.target_share)
        )
        lines.append((cls, line))
    return lines


def standard_name(s: Standard, lang: str) -> str:
    """Return a standard's name with its threshold once, e.g. 农村30分钟就医圈（30分钟）."""
    title, threshold = standard_title(s, lang), threshold_text(s, lang)
    if threshold.replace(" ", "") in title.replace(" ", ""):
        return title
    return f"{title}（{threshold}）" if lang == "zh" else f"{title} ({threshold})"
