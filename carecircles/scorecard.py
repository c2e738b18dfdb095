"""The plan scorecard: every testable promise of the plans in one table.

Each indicator (an access circle, the 2.5 km rule, a presence rule, a resource ratio, the
load of a catchment, capacity-aware access) becomes one row with its target, the actual
figure, pass/fail ("not assessed" when the data cannot say), how many zones pass, and the
plan and wording it comes from. The modules that compute the indicators build their rows
with :func:`indicator_row`, so every row has the same columns.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carecircles._encode import decimals_down, percent
from carecircles.assessment import whole_people
from carecircles.capacity import Capacity
from carecircles.plans import INDICATORS, PLANS, RatioTarget
from carecircles.ratios import resource_zh
from carecircles.standards import Standard
from carecircles.summary import standard_name

if TYPE_CHECKING:
    from carecircles.analysis import StudyResult

#: Groups of indicators, in the order the scorecard lists them.
GROUPS = ("circle", "distance", "presence", "ratio", "load", "capacity")

#: Columns of ``scorecard.csv`` (and of every row builder's frame).
SCORECARD_COLUMNS = [
    "group",
    "indicator",
    "name_zh",
    "name_en",
    "status",
    "target",
    "actual",
    "target_value",
    "actual_value",
    "unit",
    "passes",
    "zones_passing",
    "zones_assessed",
    "source",
    "wording",
    "note",
]


def indicator_row(
    group: str,
    indicator: str,
    *,
    name_zh: str,
    name_en: str,
    target: str,
    actual: str,
    target_value: float | None,
    actual_value: float | None,
    unit: str,
    passes: bool | None,
    zones_passing: int | None = None,
    zones_assessed: int | None = None,
    source: str = "",
    wording: str = "",
    note: str = "",
) -> dict[str, object]:
    """One scorecard row.

    Parameters
    ----------
    group
        One of :data:`GROUPS`.
    indicator
        A stable id, e.g. ``rural-30min``, ``presence.township_centre``, ``ratio.beds_per_1000``.
    name_zh, name_en
        What the indicator is, in Chinese and English.
    target, actual
        The figures as shown to a person (honest at their rounding, e.g. ``>99.9%``).
    target_value, actual_value
        The same as numbers (``None`` when there is none, e.g. not assessed).
    unit
        E.g. ``share``, ``per 1000``, ``per 10000``, ``people per bed``, ``zones``.
    passes
        ``True``/``False``, or ``None`` when the data cannot say (not assessed); the row's
        ``status`` column says the same in words (``pass``, ``fail``, ``not assessed``).
    zones_passing, zones_assessed
        For per-zone indicators: zones that pass, and zones tested.
    source
        The plan (file code and title, e.g. ``002 靖宇县“十四五”医疗卫生服务体系规划``).
    wording
        The plan's own words for the promise.
    note
        Why not assessed, what is missing, what the figure includes.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown scorecard group {group!r}")
    return {
        "group": group,
        "indicator": indicator,
        "name_zh": name_zh,
        "name_en": name_en,
        "target": target,
        "actual": actual,
        "target_value": _number(target_value),
        "actual_value": _number(actual_value),
        "unit": unit,
        "status": "not assessed" if passes is None else ("pass" if passes else "fail"),
        "passes": pd.NA if passes is None else bool(passes),
        "zones_passing": pd.NA if zones_passing is None else int(zones_passing),
        "zones_assessed": pd.NA if zones_assessed is None else int(zones_assessed),
        "source": source,
        "wording": wording,
        "note": note,
    }


def study_scorecard(result: StudyResult, lang: str = "zh") -> pd.DataFrame:
    """Every indicator of a finished study, one row each (see :data:`SCORECARD_COLUMNS`)."""
    rows = circle_rows(whole_people(result.zone_results), result.config.standards, lang)
    if result.presence is not None:
        rows += result.presence.rows(lang)
    if result.ratios is not None:
        rows += result.ratios.rows(lang)
    if result.catchments is not None:
        rows += load_rows(result.catchments.table, result.catchments.load_factor, lang)
    if result.capacity is not None:
        targets = result.ratios.targets if result.ratios is not None else {}
        rows += capacity_rows(result.capacity, result.zones, targets, lang)
    elif result.catchments is not None:  # indicators computed, but no resource figures to use
        rows.append(_capacity_not_assessed(result.config.scorecard.capacity.resource, lang))
    return scorecard_frame(rows)


def scorecard_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows in :data:`GROUPS` order (stable within a group), with nullable dtypes."""
    frame = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    if frame.empty:
        return frame
    order = frame["group"].map({g: i for i, g in enumerate(GROUPS)})
    frame = frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    frame["passes"] = frame["passes"].astype("boolean")
    for column in ("zones_passing", "zones_assessed"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def circle_rows(
    zone_results: pd.DataFrame, standards: tuple[Standard, ...], lang: str = "zh"
) -> list[dict[str, object]]:
    """Rows of the access standards (time circles and the village distance rule).

    Pass/fail is the county row's, from people (never from a rounded share); zones passing
    counts the zones the standard applies to.
    """
    rows = []
    for s in standards:
        table = zone_results[zone_results["standard"] == s.id]
        total = table[table["zone_code"] == "ALL"]
        if total.empty:
            continue
        county = total.iloc[0]
        zones = table[table["zone_code"] != "ALL"]
        share = county["covered_share"]
        uncovered = county["population"] - county["covered_population"]
        if s.metric == "time":
            note = f"未覆盖 {uncovered:,.0f} 人" if lang == "zh" else f"{uncovered:,.0f} people outside"
        else:
            n, fixed = int(county["villages"]), int(county["villages_fixed"])
            outreach, none = int(county["villages_outreach_only"]), int(county["villages_none"])
            note = (
                f"{n} 个村: {fixed} 个有固定村卫生室, {outreach} 个仅有巡诊点, {none} 个都没有"
                if lang == "zh"
                else f"{n} villages: {fixed} with a fixed clinic, {outreach} outreach only, {none} neither"
            )
        rows.append(
            indicator_row(
                "circle" if s.metric == "time" else "distance",
                s.id,
                name_zh=standard_name(s, "zh"),
                name_en=standard_name(s, "en"),
                target=f"≥ {percent(s.target_share, 0)}",
                actual="—" if pd.isna(share) else percent(float(share)),
                target_value=s.target_share,
                actual_value=None if pd.isna(share) else float(share),
                unit="share of people" if s.metric == "time" else "share of village people",
                passes=None if pd.isna(county["passes"]) else bool(county["passes"]),
                zones_passing=int(zones["passes"].fillna(False).sum()),
                zones_assessed=int(zones["passes"].notna().sum()),
                source=s.source,
                wording=s.rule,
                note=note,
            )
        )
    return rows


_LOAD_SOURCE = "002 靖宇县“十四五”医疗卫生服务体系规划 (seeds/002_96557450fec43a1c.txt)"
_LOAD_WORDING = "加快推进紧密型县域医共体建设 … 着力推动一般疾病在本县解决"


def load_rows(table: pd.DataFrame, load_factor: float, lang: str = "zh") -> list[dict[str, object]]:
    """Rows of the catchment load: centres whose people per bed or doctor exceed the rule.

    No plan gives a load figure: the rule (``load_factor`` × the county figure of the level)
    is this tool's, stated in the note; the plans ask for the 医共体 catchments themselves.
    A level fails when any centre is high; it passes only when every centre could be judged;
    otherwise it is not assessed, and the note names the centres lacking a figure.
    """
    zh = lang == "zh"
    names = {
        "township": ("乡镇级中心服务负荷", "township-level centre load"),
        "hospital": ("县级医院服务负荷", "county hospital load"),
    }
    sep = "、" if zh else ", "
    rows = []
    for level, part in table.groupby("level", sort=False):
        high = part[part["load"] == "high"]
        open_ = part[part["load"] == "not assessed"]
        judged = len(part) - len(open_)
        passes = False if len(high) else (True if judged and not len(open_) else None)
        name_zh, name_en = names.get(str(level), (str(level), str(level)))
        notes = [_load_note(part, sep.join(high["name"].astype(str)), load_factor, lang)] if judged else []
        if len(open_):
            lacking = sep.join(open_["name"].astype(str))
            notes.append(
                f"无床位或医师数、未评估：{lacking}"
                if zh
                else f"not assessed (no beds or doctors figure): {lacking}"
            )
        rows.append(
            indicator_row(
                "load",
                f"load.{level}",
                name_zh=name_zh,
                name_en=name_en,
                target=f"0 个超过全县 {load_factor:g} 倍"
                if zh
                else f"none above {load_factor:g} × the county",
                actual=(f"{judged} 个中 {len(high)} 个" if zh else f"{len(high)} of {judged}")
                if judged
                else "—",
                target_value=0.0,
                actual_value=float(len(high)) if judged else None,
                unit="facilities above the load rule",
                passes=passes,
                source=_LOAD_SOURCE,
                wording=_LOAD_WORDING,
                note=("；" if zh else "; ").join(notes) if notes else _NOT_ASSESSED[lang],
            )
        )
    return rows


_NOT_ASSESSED = {"zh": "未评估：无床位数和医师数", "en": "not assessed: no beds or doctors figures"}


def _load_note(part: pd.DataFrame, listed: str, factor: float, lang: str) -> str:
    per_bed = part["county_people_per_bed"].iloc[0]
    per_doctor = part["county_people_per_doctor"].iloc[0]
    county = [
        (f"每床 {v:,.0f} 人" if lang == "zh" else f"{v:,.0f} people per bed")
        if i == 0
        else (f"每名医师 {v:,.0f} 人" if lang == "zh" else f"{v:,.0f} people per doctor")
        for i, v in enumerate((per_bed, per_doctor))
        if pd.notna(v)
    ]
    if lang == "zh":
        text = (
            f"规则（本工具设定，规划无此数字）：每床或每名医师服务人口超过全县同级 {factor:g} 倍；"
            f"全县 {'，'.join(county)}"
        )
        return text + (f"；超过：{listed}" if listed else "")
    text = (
        f"rule (this tool's; no plan figure): people per bed or per doctor above {factor:g} × the county "
        f"figure of the level; county: {', '.join(county)}"
    )
    return text + (f"; above: {listed}" if listed else "")


_E2SFCA_SOURCE = "Luo & Qi (2009), Health & Place 15(4): 1100–1107 (E2SFCA)"


def capacity_rows(
    capacity: Capacity, zones: pd.DataFrame, targets: dict[str, RatioTarget], lang: str = "zh"
) -> list[dict[str, object]]:
    """Row of capacity-aware access: every zone's reachable resource per 1,000 against the plan.

    The plan's ratio for the resource (e.g. beds per 1,000) is applied to what people can
    reach within the standard's threshold (E2SFCA), zone by zone: a zone passes when its
    population-weighted mean access meets it. This reading is the tool's; the plans state the
    ratio for the county. Without a plan figure the row has no pass/fail.
    """
    zh = lang == "zh"
    target = next(
        (t for t in targets.values() if INDICATORS[t.indicator].resource == capacity.resource), None
    )
    per_1000 = None if target is None else target.target * 1000.0 / target.per
    people = capacity.zones.people > 0
    mean = capacity.zones.mean
    passing = int((mean[people] >= per_1000 - 1e-9).sum()) if per_1000 is not None else None
    resource = resource_zh(capacity.resource) if zh else capacity.resource
    none = percent(capacity.zones.county_share_zero)
    worst = np.argsort(np.where(people, mean, np.inf))[: min(3, int(people.sum()))]
    lowest = ("、" if zh else ", ").join(
        f"{zones['zone_name'].iloc[i]} {decimals_down(mean[i])}" for i in worst
    )
    note = (
        f"每个区域居民在 {capacity.standard} 时限内可及的{resource}（E2SFCA，距离衰减 Luo & Qi 2009）；"
        f"无任何可及{resource}的人口占 {none}；最低：{lowest}；规划指标按全县给出，逐区域比较为本工具的读法"
        if zh
        else f"{resource} per 1,000 that residents reach within {capacity.standard} (E2SFCA, Luo & Qi 2009 "
        f"decay); people reaching none: {none}; lowest: {lowest}; the plan states the ratio for the county, "
        "comparing zone by zone is this tool's reading"
    )
    if capacity.without_value:
        note += (
            f"；{capacity.without_value} 所机构无{resource}数，未计入"
            if zh
            else f"; {capacity.without_value} facilities without a {resource} figure left out"
        )
    shown = decimals_down(capacity.zones.county_mean)
    return [
        indicator_row(
            "capacity",
            f"capacity.{capacity.resource}",
            name_zh=f"可及{resource}（每千人，{capacity.standard}）",
            name_en=f"reachable {capacity.resource} per 1,000 ({capacity.standard})",
            target="—" if per_1000 is None else f"≥ {per_1000:g} / 1000",
            actual=f"{shown} / 1000",
            target_value=per_1000,
            actual_value=capacity.zones.county_mean,
            unit="per 1000 reachable",
            passes=None if passing is None else passing == int(people.sum()),
            zones_passing=passing,
            zones_assessed=int(people.sum()) if passing is not None else None,
            source=(_target_source(target) + "; " if target is not None else "") + _E2SFCA_SOURCE,
            wording="" if target is None else target.wording,
            note=note,
        )
    ]


def _capacity_not_assessed(resource: str, lang: str) -> dict[str, object]:
    zh = lang == "zh"
    name = resource_zh(resource)
    return indicator_row(
        "capacity",
        f"capacity.{resource}",
        name_zh=f"可及{name}（每千人）",
        name_en=f"reachable {resource} per 1,000",
        target="—",
        actual="—",
        target_value=None,
        actual_value=None,
        unit="per 1000 reachable",
        passes=None,
        source=_E2SFCA_SOURCE,
        note=f"未评估：机构表无{name}数"
        if zh
        else f"not assessed: no {resource} figures in the facility table",
    )


def _target_source(target: RatioTarget) -> str:
    return PLANS[target.plan].source if target.plan else "study config (scorecard.targets)"
