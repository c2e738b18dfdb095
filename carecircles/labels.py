"""The one label table of carecircles: every word a person reads, in Chinese and English.

The map, the report, the printed figure, the CLI and the spreadsheets take their words from
here, so one key means one thing everywhere. Statuses and stop reasons travel through the code
as codes (``pass``, ``small_gap``, ``k_reached`` …) and are turned into words only by the writers,
with :func:`label`. Thresholds in labels come from the standard (:func:`threshold_text`), never
typed in a string.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd

from carecircles.standards import FACILITY_TYPES, Standard

Lang = Literal["zh", "en"]

#: key → (Chinese, English). Placeholders in braces are filled with ``str.format``.
LABELS: dict[str, tuple[str, str]] = {
    # verdicts and classes
    "pass": ("达标", "passes"),
    "fail": ("未达标", "fails"),
    "no_people": ("无人口（不评估）", "no population (not assessed)"),
    "not_assessed": ("未评估", "not assessed"),
    "not_applicable": ("此标准不适用", "standard does not apply"),
    "small_gap": ("未达标：差距不超过目标{p:g}个百分点", "fails by at most {p:g} percentage points"),
    "large_gap": ("未达标：差距超过目标{p:g}个百分点", "fails by more than {p:g} percentage points"),
    # people and shares
    "population": ("人口", "population"),
    "people": ("{n}人", "{n} people"),
    "people_wan": ("{n}万人", "{n} people"),
    "covered_people": ("覆盖人口", "people covered"),
    "uncovered_people": ("未覆盖人口", "people not covered"),
    "share": ("覆盖率", "covered share"),
    "target": ("目标", "target"),
    "result": ("结果", "result"),
    "gap_points": ("差距（百分点）", "gap (percentage points)"),
    "zones_passing": ("达标区域", "zones passing"),
    "zone": ("区域", "zone"),
    "zone_code": ("区域代码", "zone code"),
    "zones_outline": ("乡镇（街道）边界", "township boundaries"),
    "county_outlines": ("区县边界", "county boundaries"),
    "county_ranking": ("各区县未覆盖人口排名", "Counties ranked by people not covered"),
    "open_county": ("打开区县详图", "open the county map"),
    "back_to_index": ("← 返回全省总图", "← back to the province map"),
    "all_zones": ("全部区域", "all zones"),
    "urban": ("城区", "urban"),
    "rural": ("农村", "rural"),
    "all": ("全域", "whole county"),
    # standards and modes
    "standard": ("标准", "standard"),
    "threshold": ("阈值", "threshold"),
    "minutes": ("分钟", "min"),
    "metres": ("米", "m"),
    "km": ("公里", "km"),
    "walk": ("步行", "walking"),
    "ebike": ("电动车/摩托车", "e-bike/motorcycle"),
    "car": ("汽车", "car"),
    "straight": ("直线距离", "straight line"),
    "road": ("道路距离", "by road"),
    "within": ("{d}以内", "within {d}"),
    "beyond": ("超过{d}", "over {d}"),
    "covered_band": ("{d}以内可达", "reached within {d}"),
    "uncovered_area": ("{d}内不可达的区域", "areas not reached within {d}"),
    # villages
    "village": ("村", "village"),
    "villages": ("村", "villages"),
    "villages_count": ("{n}个村", "{n} villages"),
    "villages_beyond": ("{d}内无村卫生室的村", "villages with no clinic within {d}"),
    "village_names": ("村名", "village names"),
    "clinic_none": ("无村卫生室或巡诊点", "no clinic or outreach point"),
    "clinic_outreach_only": ("仅有巡诊点", "outreach point only"),
    "clinic_fixed": ("有固定村卫生室", "fixed clinic"),
    "nearest_clinic": ("最近的村卫生室", "nearest fixed clinic"),
    "straight_m": ("直线距离(米)", "straight (m)"),
    "road_m": ("道路距离(米)", "by road (m)"),
    "beyond_10km": ("超过10公里", "over 10 km"),
    "village_counts": (
        "{n}个村中{fixed}个有固定村卫生室，{outreach}个仅有巡诊点，{none}个都没有",
        "of {n} villages, {fixed} have a fixed clinic, {outreach} an outreach point only, {none} neither",
    ),
    # facilities
    "facilities": ("医疗机构", "facilities"),
    "facility": ("机构", "facility"),
    "type": ("类型", "type"),
    "type_in_file": ("表中类型", "type in the file"),
    "beds": ("床位", "beds"),
    "doctors": ("执业(助理)医师", "doctors"),
    "nurses": ("护士", "nurses"),
    "status": ("状态", "status"),
    "existing": ("现有", "existing"),
    "planned": ("规划", "planned"),
    "relocating": ("迁建", "relocating"),
    "closed": ("已撤销", "closed"),
    "proposed": ("拟建", "proposed"),
    "counts_for": ("计入标准", "counts for"),
    "nearest_for": ("以其为最近机构的人口", "people for whom it is the nearest"),
    "not_counted": ("不计入（状态或类型）", "not counted (status or type)"),
    "level_county": ("县级医院", "county hospital"),
    "level_sub-centre": ("县域医疗次中心", "county sub-centre"),
    "level_township": ("乡镇卫生院/社区卫生服务中心", "township / community health centre"),
    "level_village": ("村卫生室/社区卫生服务站", "village clinic / community station"),
    "level_other": ("其他", "other"),
    # catchments and load
    "catchments": ("服务范围与负荷（医共体）", "Catchments and load"),
    "catchment_township": (
        "服务范围：最近的乡镇卫生院/社区卫生服务中心",
        "catchments: nearest township / community centre",
    ),
    "catchment_hospital": ("服务范围：最近的县级医院", "catchments: nearest county hospital"),
    "catchments_intro": (
        "每个栅格和村按{mode}用时分配到最近的乡镇级中心和最近的县级医院（不设时间上限）。"
        "负荷偏高：每床或每名医师服务人口超过全县同级的 {f:g} 倍（本工具设定的规则，规划未给出数字）。",
        "Every cell and village is assigned to its nearest township-level centre and its nearest county "
        "hospital by {mode} travel time (no time limit). High load: people per bed or per doctor above "
        "{f:g} × the county figure of the level (this tool's rule; the plans give no figure).",
    ),
    "catchment_level_township": (
        "乡镇卫生院/社区卫生服务中心",
        "township health centres / community health centres",
    ),
    "catchment_level_hospital": ("县级医院", "county hospitals"),
    "served": ("服务人口", "people served"),
    "served_villages": ("服务村数", "villages served"),
    "mean_minutes": ("平均用时(分钟)", "mean travel time (min)"),
    "per_bed": ("每床服务人口", "people per bed"),
    "per_doctor": ("每名医师服务人口", "people per doctor"),
    "county_level": ("全县同级", "county, same level"),
    "load": ("负荷", "load"),
    "load_high": ("偏高", "high"),
    "load_high_rule": ("偏高（超过全县同级 {f:g} 倍）", "high (above {f:g} × the county figure)"),
    "load_ok": ("正常", "normal"),
    "load_not assessed": ("未评估（无床位/医师数）", "not assessed (no beds or doctors figure)"),
    "unassigned": ("无道路可达（未分配）人口：{n}", "people with no road access (not assigned): {n}"),
    # capacity
    "capacity": ("可及资源（E2SFCA）", "Capacity-aware access (E2SFCA)"),
    "capacity_intro": (
        "每个区域居民在{standard}时限内可及的{resource}（每千人），按两步移动搜索法（E2SFCA）计算："
        "每个机构的{resource}数除以其时限内（按 Luo & Qi 2009 距离衰减加权）的人口，"
        "再按衰减加权累加到每个栅格。",
        "{resource} per 1,000 that each zone's residents reach within {standard}, by the enhanced two-step "
        "floating catchment (E2SFCA): each facility's {resource} divided by the people within its threshold "
        "(weighted by the Luo & Qi 2009 decay), summed back to every cell with the same weights.",
    ),
    "access": ("每千人可及", "per 1,000 reachable"),
    "share_none": ("无可及人口占比", "people reaching none"),
    # siting
    "sites": ("拟建站点", "Proposed sites"),
    "rank": ("排名", "rank"),
    "name": ("名称", "name"),
    "newly": ("新增覆盖人口", "newly covered"),
    "cumulative": ("累计覆盖率", "cumulative share"),
    "site_catchments": ("拟建站点新增覆盖范围", "people newly covered by proposed sites"),
    "outreach": ("建议巡诊/巡回医疗", "outreach recommended"),
    "outreach_list": (
        "仍未覆盖的地点（建议巡诊或增设站点）",
        "Places still not covered (outreach or more sites)",
    ),
    "upgrades": ("可升级为县域医疗次中心的候选", "Candidates for upgrade to county sub-centre"),
    "reach_population": ("{d}内可达人口", "people within {d}"),
    "before_after": ("各区域建设前后对比", "Before and after, zone by zone"),
    "scenarios": ("情景比较", "Speed scenarios"),
    "scenario_intro": (
        "同一研究区、同一批机构，按不同出行速度重新计算；下表并列基准情况与各情景。",
        "The same study and facilities with other travel speeds: the base case and each scenario "
        "side by side.",
    ),
    "base_case": ("基准", "base"),
    "more_outside": ("未覆盖人口增加", "more people outside"),
    "walk_factor": ("步行速度", "walking speed"),
    "closed_roads": ("封闭道路", "closed roads"),
    "other_roads": ("其余道路", "other roads"),
    "terrain_note": (
        "出行时间考虑地形坡度（DEM）：步行按 Tobler 登山函数，电动车按功率模型。",
        "Travel times follow the slope of the terrain (DEM): Tobler's hiking function for walking, "
        "a power model for e-bikes.",
    ),
    "share_existing": ("现有机构", "existing"),
    "share_planned": ("+ 规划机构", "+ planned"),
    "share_proposed": ("+ 拟建站点", "+ proposed"),
    "stop_k_reached": ("已达到站点数上限（{n}处）", "{n} sites reached (the number asked for)"),
    "stop_target_reached": ("已达到目标覆盖率", "the target share was reached"),
    "stop_below_outreach": (
        "最佳候选点新增覆盖少于{n}人，建议巡诊",
        "the best remaining site adds fewer than {n} people: outreach",
    ),
    "stop_no_candidate": ("没有能新增覆盖的候选点", "no candidate covers anyone more"),
    "stop_all_covered": ("全部可达人口已覆盖", "everyone coverable is covered"),
    "stop_reason": ("停止原因", "stopped because"),
    "rec_unreachable": (
        "没有候选点能到达：建议巡诊（巡诊点/巡回医疗）",
        "no candidate site reaches it: outreach",
    ),
    "rec_few_people": ("不足{n}人：建议巡诊（巡诊点/巡回医疗）", "fewer than {n} people: outreach"),
    "rec_sparse": (
        "人口太少，不宜设固定站点：建议巡诊（巡诊点/巡回医疗）",
        "too few people for a fixed site: outreach",
    ),
    "rec_more_sites": (
        "仍未覆盖（{why}）：增设站点或巡诊",
        "still uncovered ({why}): more sites or outreach",
    ),
    "recommendation": ("建议", "recommendation"),
    "left_in_zone": ("区域内其余未覆盖人口", "the rest of the zone"),
    "gain": ("新增覆盖", "gain"),
    "exact_check": ("精确解核对（整数规划）", "Exact check (integer programs)"),
    "axis_from": ("横轴从{p}开始", "axis starts at {p}"),
    "village_table": ("各区域村卫生室覆盖（{d}）", "Village clinics by zone ({d})"),
    "villages_total": ("村数", "villages"),
    "share_villages": ("有固定村卫生室的村占比", "villages with a fixed clinic"),
    "beijing_time": ("北京时间", "Beijing time"),
    "figure_caption": (
        "{standard}：各乡镇达标情况（A4 图，见 {file}）",
        "{standard}: townships by result (A4 figure: {file})",
    ),
    # report and page
    "report": ("就医圈达标评估报告", "Access standards report"),
    "siting_report": ("新建站点选址报告", "Siting report"),
    "summary": ("结论摘要", "Summary"),
    "summary_line": (
        "{standard}：覆盖率{share}，达标区域{passing}/{zones}，未覆盖{outside}",
        "{standard}: {share} covered, {passing} of {zones} zones pass, {outside} not covered",
    ),
    "synthetic": ("合成示例数据，非真实数据", "SYNTHETIC sample data, not real"),
    "generated": ("生成时间", "generated"),
    "issued_by": ("编制单位", "issued by"),
    "data_sources": ("数据来源", "data sources"),
    "standards": ("评估标准及来源", "Standards and sources"),
    "id": ("编号", "id"),
    "rule": ("规划原文", "plan wording"),
    "source": ("来源", "source"),
    "test": ("检验方法", "test"),
    "zones": ("各区域达标情况", "Zones"),
    "chart": ("各区域覆盖率", "Covered share by zone"),
    "chart_key_target": ("虚线：目标", "dashed line: target"),
    "issues": ("数据问题", "Data issues"),
    "severity": ("级别", "severity"),
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "info": ("提示", "note"),
    "action_kept": ("保留", "kept"),
    "action_repaired": ("已修正", "repaired"),
    "action_excluded": ("已排除", "excluded"),
    "action_skipped": ("未计入", "skipped"),
    "file": ("文件", "file"),
    "row": ("行", "row"),
    "field": ("字段", "field"),
    "message": ("说明", "message"),
    "action": ("处理", "action"),
    "no_issues": ("无", "none"),
    "listed_first": (
        "共 {total:,} 个，此处按人口列出前 {n:,} 个；全部见 {file} 和 tables.xlsx 的「{sheet}」表",
        "{total:,} in all; the {n:,} with the most people are listed here, all of them in {file} and "
        "the '{sheet}' sheet of tables.xlsx",
    ),
    "more_issues": ("其余 {n} 条见 data_issues.csv", "{n} more in data_issues.csv"),
    "scorecard": ("规划指标记分卡", "Plan scorecard"),
    "indicator": ("指标", "indicator"),
    "actual": ("实际", "actual"),
    "note": ("说明", "note"),
    "page": ("第{n}页", "page {n}"),
    "map_figure": ("达标情况图", "Map"),
    # workbook
    "sheet_summary": ("摘要", "summary"),
    "sheet_scorecard": ("记分卡", "scorecard"),
    "sheet_zones": ("各区域达标", "zones"),
    "sheet_villages": ("村", "villages"),
    "sheet_facilities": ("医疗机构", "facilities"),
    "sheet_catchments": ("服务范围", "catchments"),
    "sheet_capacity": ("可及资源", "capacity"),
    "sheet_issues": ("数据问题", "data issues"),
    "unreachable_people": ("无道路可达人口", "people with no road access"),
    "reachable_uncovered": ("有道路但未覆盖人口", "people reached by road but not covered"),
    "value": ("值", "value"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    # map
    "legend": ("图例", "Legend"),
    "layers": ("图层", "Layers"),
    "choose_standard": ("选择标准", "Standard shown"),
    "search": ("搜索乡镇、村或机构", "Search township, village or facility"),
    "not_found": ("未找到", "not found"),
    "fullscreen": ("全屏", "Full screen"),
    "fullscreen_exit": ("退出全屏", "Exit full screen"),
    "base_map": ("底图", "Base map"),
    "base_none": ("无底图（离线）", "No base map (offline)"),
    "base_osm": ("OpenStreetMap（需联网）", "OpenStreetMap (online)"),
    "base_gcj": ("高德地图（GCJ-02，需联网）", "Amap (GCJ-02, online)"),
    "base_tianditu": ("天地图（需联网）", "Tianditu (online)"),
    "base_offline": (
        "底图无法加载（可能未联网）。地图其余内容不受影响。",
        "The base map cannot load (no internet?). The rest of the map still works.",
    ),
    "roads": ("道路", "roads"),
    "show": ("显示", "show"),
    "hide": ("隐藏", "hide"),
}


_STOP_KEYS = {
    "k_reached": "stop_k_reached",
    "target_reached": "stop_target_reached",
    "no_candidate": "stop_no_candidate",
    "below_outreach": "stop_below_outreach",
}


def stop_reason_text(reason: str, lang: Lang | str) -> str:
    """Return a siting stop reason code (``k_reached:3``, ``below_outreach:50`` …) in words."""
    code, _, value = reason.partition(":")
    key = _STOP_KEYS.get(code)
    return reason if key is None else label(key, lang, n=value)


def recommendation_text(recommendation: str, lang: Lang | str) -> str:
    """Return an outreach recommendation code (``unreachable``, ``few_people:200`` …) in words."""
    code, _, value = recommendation.partition(":")
    if code == "unreachable":
        return label("rec_unreachable", lang)
    if code == "few_people":
        return label("rec_few_people", lang, n=value)
    if code == "sparse":
        return label("rec_sparse", lang)
    if code == "more_sites":
        return label("rec_more_sites", lang, why=stop_reason_text(value, lang))
    return recommendation


def label(key: str, lang: Lang | str, **values: object) -> str:
    """Return the words for ``key`` in ``lang`` (``zh`` or ``en``), placeholders filled.

    Raises
    ------
    KeyError
        If the key is not in :data:`LABELS` (a typo is an error, never a silent English word).
    """
    zh, en = LABELS[key]
    words = zh if lang == "zh" else en
    return words.format(**values) if values else words


def labels(lang: Lang | str) -> dict[str, str]:
    """Return every label in one language (placeholders left unfilled)."""
    i = 0 if lang == "zh" else 1
    return {key: pair[i] for key, pair in LABELS.items()}


def threshold_text(standard: Standard, lang: Lang | str) -> str:
    """Return a standard's threshold in words, e.g. ``15分钟`` / ``15 min``, ``2.5公里`` / ``2.5 km``."""
    if standard.metric == "time":
        value, unit = f"{standard.threshold:g}", label("minutes", lang)
    else:
        value, unit = f"{standard.threshold / 1000:g}", label("km", lang)
    return f"{value}{unit}" if lang == "zh" else f"{value} {unit}"


def standard_title(standard: Standard, lang: Lang | str) -> str:
    """Return the standard's name, e.g. ``城区15分钟就医圈``."""
    return standard.title_zh if lang == "zh" else standard.title_en


def facility_type_name(code: str, lang: Lang | str) -> str:
    """Return the name of a facility type code."""
    kind = FACILITY_TYPES.get(code, FACILITY_TYPES["other"])
    return kind.zh if lang == "zh" else kind.en


def verdict_text(passes: object, lang: Lang | str) -> str:
    """Return 达标 / 未达标 / 无人口 for a zone's pass/fail (NA: no people)."""
    if passes is None or pd.isna(passes):
        return label("no_people", lang)
    return label("pass" if bool(passes) else "fail", lang)


def people_text(n: float, lang: Lang | str) -> str:
    """Return a whole number of people for a reader: ``1,234人``, ``10.8万人`` from 100,000 up.

    ``—`` when unknown.
    """
    if n is None or not math.isfinite(float(n)):
        return "—"
    whole = round(float(n))
    if lang == "zh" and whole >= 100_000:
        return label("people_wan", lang, n=f"{whole / 10_000:.1f}")
    return label("people", lang, n=f"{whole:,}")
