"""The plans' own figures: resource-ratio targets and presence rules, each with its source.

Plain constant tables (no analysis code), so the config schema can check plan names and
indicator ids against them. Every figure was checked against the plan text in
``../shared/seeds/`` (digest: ``../shared/STANDARDS.md`` §2 and §4); the wording quoted is the
plan's own. Ratios are per 1,000 (or, for general practitioners, per 10,000) resident people
(常住人口): the plans write 每千(常住)人口 / 每万(常住)人口, the statistics yearbooks' base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

#: Facility resources a table may carry (read by :mod:`carecircles.resources`).
RESOURCES = ("beds", "doctors", "nurses", "gps", "pharmacists")

Kind = Literal["预期性", "约束性", ""]


@dataclass(frozen=True)
class Plan:
    """One source plan."""

    key: str
    code: str
    title: str
    place: str
    file: str
    baseline_year: int
    target_year: int

    @property
    def source(self) -> str:
        """Plan code, title and file, as every scorecard row quotes it."""
        return f"{self.code} {self.title} (seeds/{self.file})"


PLANS: dict[str, Plan] = {
    p.key: p
    for p in (
        Plan(
            "jingyu",
            "002",
            "靖宇县“十四五”医疗卫生服务体系规划",
            "靖宇县 Jingyu County, Jilin (220622)",
            "002_96557450fec43a1c.txt",
            2020,
            2025,
        ),
        Plan(
            "jishou",
            "004",
            "吉首市卫生健康“十四五”规划",
            "吉首市 Jishou City, Hunan (433101)",
            "004_8fac2466e21989cb.txt",
            2020,
            2025,
        ),
        Plan(
            "leshan-shizhong",
            "003",
            "乐山市市中区“十四五”卫生健康发展规划（征求意见稿）",
            "乐山市市中区 Shizhong District, Leshan, Sichuan (511102)",
            "003_6a972f5fde8bb99b.txt",
            2020,
            2025,
        ),
    )
}

#: The plan whose targets a study uses when its config names none: Jingyu (002), the county
#: the sample is modelled on and the plan with the fullest target table (all five ratios).
DEFAULT_PLAN = "jingyu"


@dataclass(frozen=True)
class Indicator:
    """One resource ratio: which resource, per how many residents."""

    id: str
    resource: str
    per: int
    name_zh: str
    name_en: str
    unit_zh: str


#: The resource ratios, by the id used in ``scorecard.targets`` (scorecard: ``ratio.<id>``).
INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in (
        Indicator(
            "beds_per_1000", "beds", 1000, "每千常住人口医疗卫生机构床位数", "beds per 1,000 residents", "张"
        ),
        Indicator(
            "doctors_per_1000",
            "doctors",
            1000,
            "每千常住人口执业（助理）医师数",
            "licensed (assistant) doctors per 1,000 residents",
            "人",
        ),
        Indicator(
            "nurses_per_1000",
            "nurses",
            1000,
            "每千常住人口注册护士数",
            "registered nurses per 1,000 residents",
            "人",
        ),
        Indicator(
            "gps_per_10000",
            "gps",
            10_000,
            "每万常住人口全科医生数",
            "general practitioners per 10,000 residents",
            "人",
        ),
        Indicator(
            "pharmacists_per_1000",
            "pharmacists",
            1000,
            "每千常住人口药师（士）数",
            "pharmacists per 1,000 residents",
            "人",
        ),
    )
}


@dataclass(frozen=True)
class RatioTarget:
    """A plan's figure for one ratio: baseline, target and the plan's words.

    Attributes
    ----------
    plan
        The plan's key (:data:`PLANS`); ``""`` for a study's own override.
    indicator
        Id in :data:`INDICATORS`.
    target
        The figure for the plan's target year, read as a floor (≥).
    baseline
        The plan's figure for its baseline year (``None`` when it gives none).
    kind
        预期性 (expected) or 约束性 (binding), as the plan's table says.
    wording
        The plan's own words.
    note, note_en
        What a reader should know (inconsistencies in the plan, the choice made).
    """

    plan: str
    indicator: str
    target: float
    baseline: float | None
    kind: Kind
    wording: str
    note: str = ""
    note_en: str = ""

    @property
    def per(self) -> int:
        """Residents the figure is per (1,000 or 10,000)."""
        return INDICATORS[self.indicator].per


_JINGYU_STAFF = (
    "到2025年，全县每千人口注册护士数5.65人，每千人口执业（助理）医师数5.25人（其中中医类别1.08人），"
    "医护比1：1.20，每万人口全科医生数600人"
)
_JINGYU_BASELINE = (
    "基线取规划正文（2020年每千常住人口医师1.88人、护士2.01人，每万人口全科医生8.45人）；"
    "同一规划指标表的2020年数值为5.23、5.64、5.98，两处不一致"
)

_JINGYU_BASELINE_EN = (
    "baseline from the plan's text (doctors 2.84 → 1.88, nurses 2.35 → 2.01 per 1,000, GPs 1.03 → 8.45 "
    "per 10,000 in 2015–2020); the same plan's table gives 5.23, 5.64 and 5.98 for 2020: inconsistent"
)
_JISHOU_GOALS = (
    "每千常住人口执业（助理)医师数达到3.5名、每千常住人口医疗卫生床位数达到9张、每千常住人口注册护士数4人、"
    "每万常住人口全科医生3.93名以上"
)
_LESHAN_GOALS = (
    "2025年，每千人执业（助理）医师数不低于3.5人，每千人注册护士数不低于4.5人，每万人拥有家庭医生数5人，"
    "每千人床位数达到9张"
)

#: Per plan, the ratio targets it sets (an indicator the plan does not set is absent, never 0).
RATIO_TARGETS: dict[str, dict[str, RatioTarget]] = {
    "jingyu": {
        t.indicator: t
        for t in (
            RatioTarget(
                "jingyu",
                "beds_per_1000",
                7.25,
                2.88,
                "预期性",
                "到2025年，全县每千人口医疗卫生机构床位数的预期性指标值为7.25张左右",
                "指标表：每千人口医疗卫生机构床位数（张）2.88 → 7.25左右（预期性）",
                "the plan's table: beds per 1,000 people 2.88 → about 7.25 (expected)",
            ),
            RatioTarget(
                "jingyu",
                "doctors_per_1000",
                5.25,
                1.88,
                "预期性",
                _JINGYU_STAFF,
                _JINGYU_BASELINE,
                _JINGYU_BASELINE_EN,
            ),
            RatioTarget(
                "jingyu",
                "nurses_per_1000",
                5.65,
                2.01,
                "预期性",
                _JINGYU_STAFF,
                _JINGYU_BASELINE,
                _JINGYU_BASELINE_EN,
            ),
            RatioTarget(
                "jingyu",
                "gps_per_10000",
                6.0,
                8.45,
                "预期性",
                "指标表：每万人口全科医生数（人）5.98 → 6.0（预期性）",
                "正文写作“每万人口全科医生数600人”，按指标表取 6.0（每万人）；" + _JINGYU_BASELINE,
                "the text says 每万人口全科医生数600人 (600 per 10,000), read as the table's 6.0; "
                + _JINGYU_BASELINE_EN,
            ),
            RatioTarget(
                "jingyu",
                "pharmacists_per_1000",
                0.54,
                0.26,
                "预期性",
                "大力推进药师队伍建设，加强药师人员配备使用，到2025年，每千人口药师（士）数量增长到0.54人",
            ),
        )
    },
    "jishou": {
        t.indicator: t
        for t in (
            RatioTarget(
                "jishou",
                "beds_per_1000",
                9.0,
                3.16,
                "预期性",
                _JISHOU_GOALS,
                "另：按照每千常住人口不低于1.5张床位为社会办医院预留规划空间",
                "also: at least 1.5 beds per 1,000 residents reserved for private hospitals",
            ),
            RatioTarget("jishou", "doctors_per_1000", 3.5, 2.63, "预期性", _JISHOU_GOALS),
            RatioTarget("jishou", "nurses_per_1000", 4.0, 3.31, "预期性", _JISHOU_GOALS),
            RatioTarget("jishou", "gps_per_10000", 3.93, 2.36, "约束性", _JISHOU_GOALS),
            RatioTarget(
                "jishou",
                "pharmacists_per_1000",
                0.54,
                0.32,
                "预期性",
                "指标表：每千常住人口药师（士）数（人）0.32 → 0.54（预期性）",
            ),
        )
    },
    "leshan-shizhong": {
        t.indicator: t
        for t in (
            RatioTarget(
                "leshan-shizhong",
                "beds_per_1000",
                9.0,
                8.0,
                "",
                _LESHAN_GOALS,
                "基线：区境内医疗机构共设置床位8433张，每千常住人口床位数达8张",
                "baseline: 8,433 beds, 8 per 1,000 residents",
            ),
            RatioTarget(
                "leshan-shizhong",
                "doctors_per_1000",
                3.5,
                2.77,
                "",
                _LESHAN_GOALS,
                "基线：每千常住人口执业（助理）医师数2.77人",
                "baseline: 2.77 doctors per 1,000 residents",
            ),
            RatioTarget(
                "leshan-shizhong",
                "nurses_per_1000",
                4.5,
                4.06,
                "",
                _LESHAN_GOALS,
                "基线：注册护士数4.06人",
                "baseline: 4.06 nurses per 1,000 residents",
            ),
        )
    },
}

#: Why a plan has no target for an indicator (Chinese, English).
ABSENT_NOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("leshan-shizhong", "gps_per_10000"): (
        "003 未设全科医生指标（只有“每万人拥有家庭医生数5人”，家庭医生不等于全科医生）",
        "plan 003 sets no GP figure (only 5 family doctors per 10,000; a family doctor is not a GP)",
    ),
    ("leshan-shizhong", "pharmacists_per_1000"): ("003 未设药师指标", "plan 003 sets no pharmacist figure"),
}


def plan_targets(plan: str, overrides: Mapping[str, float] | None = None) -> dict[str, RatioTarget]:
    """Return the ratio targets of a plan's target year, with a study's overrides applied.

    Parameters
    ----------
    plan
        A key of :data:`PLANS`.
    overrides
        Indicator id → figure (the config's ``scorecard.targets``). An override replaces the
        plan's figure (its wording is kept and the note says so) or adds a target the plan
        does not set.

    Raises
    ------
    KeyError
        For an unknown plan or indicator (the config schema checks both first).

    Examples
    --------
    >>> plan_targets("jingyu")["beds_per_1000"].target
    7.25
    >>> "gps_per_10000" in plan_targets("leshan-shizhong")
    False
    """
    if plan not in PLANS:
        raise KeyError(f"unknown plan {plan!r}; plans: {', '.join(PLANS)}")
    targets = dict(RATIO_TARGETS[plan])
    for indicator, value in (overrides or {}).items():
        if indicator not in INDICATORS:
            raise KeyError(f"unknown indicator {indicator!r}; indicators: {', '.join(INDICATORS)}")
        known = targets.get(indicator)
        if known is None:
            code = PLANS[plan].code
            targets[indicator] = RatioTarget(
                "",
                indicator,
                float(value),
                None,
                "",
                "",
                f"研究配置设定（{code} 未设此指标）",
                f"set in the study config (plan {code} sets none)",
            )
        else:
            targets[indicator] = replace(
                known,
                target=float(value),
                note=f"研究配置设定 {float(value):g}（规划原值 {known.target:g}）",
                note_en=f"set in the study config to {float(value):g} (the plan's figure: {known.target:g})",
            )
    return {i: targets[i] for i in INDICATORS if i in targets}


# ---------------------------------------------------------------------------------------------
# presence rules (STANDARDS.md §2)

#: Default distance (m) within which a village clinic with no village id serves a village point.
#: A village point is the village seat (村委会), and 002 asks that the clinic be built beside it
#: (村卫生室与农村养老大院…毗邻建设); 1 km allows for geocoding at village level (a few hundred
#: metres for Amap/Baidu addresses) and stays well under the spacing of village seats implied by
#: the 2.5 km service radius; a clinic serves only its nearest village, so none counts twice.
VILLAGE_MATCH_M = 1000.0

#: Default factor of the catchment load flag: people per bed or per doctor above this many
#: times the county figure of the level (this tool's rule; no plan states one).
LOAD_FACTOR = 1.5


@dataclass(frozen=True)
class PresenceRule:
    """One presence rule: which unit must have which facility, and where the rule comes from.

    Attributes
    ----------
    id
        Scorecard id (``presence.<...>``).
    scope
        ``zone`` (every zone of ``zone_type``), ``county`` (the study as a whole), ``village``
        (every village point) or ``facility`` (every open facility of ``host_types``).
    facility_types
        Open facility types that satisfy the rule.
    missing_zh, missing_en
        What a failing unit lacks, e.g. 无乡镇卫生院.
    note, note_en
        The tool's reading of the rule where the plan leaves room (which types count).
    """

    id: str
    scope: Literal["zone", "county", "village", "facility"]
    name_zh: str
    name_en: str
    facility_types: tuple[str, ...]
    missing_zh: str
    missing_en: str
    source: str
    wording: str
    zone_type: Literal["urban", "rural"] | None = None
    host_types: tuple[str, ...] = ()
    note: str = ""
    note_en: str = ""


_SRC = {key: plan.source for key, plan in PLANS.items()}

#: The presence rules, in scorecard order.
PRESENCE_RULES: dict[str, PresenceRule] = {
    r.id: r
    for r in (
        PresenceRule(
            "presence.township_centre",
            "zone",
            "每个乡镇1所乡镇卫生院",
            "a township health centre in every township",
            ("subcentre", "central_thc", "thc"),
            "无乡镇卫生院",
            "no township health centre",
            _SRC["jingyu"],
            "政府在每个乡镇办好1所乡镇卫生院",
            zone_type="rural",
            note=(
                "计入：县域医疗次中心、中心卫生院、乡镇卫生院；卫生院分院不计入"
                "（分院由另一乡镇的卫生院领办，不是本乡镇的卫生院）"
            ),
            note_en=(
                "counted: county sub-centres, central and ordinary township health centres; a branch "
                "(分院) is not: it is run by another township's centre"
            ),
        ),
        PresenceRule(
            "presence.community_centre",
            "zone",
            "每个街道1所社区卫生服务中心",
            "a community health service centre in every sub-district",
            ("chsc", "subcentre"),
            "无社区卫生服务中心",
            "no community health service centre",
            f"{_SRC['leshan-shizhong']}; {_SRC['jishou']}",
            "社区卫生服务中心（站）、乡镇卫生院、村卫生室实现全覆盖；居民社区卫生服务覆盖率100%（003）；"
            "每所乡镇卫生院、街道社区卫生服务中心配备4名以上全科医生（004）",
            zone_type="urban",
            note="计入：社区卫生服务中心、社区医院（次中心）；社区卫生服务站不计入（站不是中心）",
            note_en=(
                "counted: community health service centres and community hospitals; a station is not a centre"
            ),
        ),
        PresenceRule(
            "presence.county_general_hospital",
            "county",
            "县办综合医院",
            "a county general hospital",
            ("county_hospital",),
            "无县办综合医院",
            "no county general hospital",
            _SRC["jingyu"],
            "县级区域原则上设置1个县办综合医院、1个县办中医医院和1个县办妇幼保健机构",
        ),
        PresenceRule(
            "presence.county_tcm_hospital",
            "county",
            "县办中医医院",
            "a county TCM hospital",
            ("tcm_hospital",),
            "无县办中医医院",
            "no county TCM hospital",
            _SRC["jingyu"],
            "县级区域原则上设置1个县办综合医院、1个县办中医医院和1个县办妇幼保健机构",
        ),
        PresenceRule(
            "presence.county_mch_centre",
            "county",
            "县办妇幼保健机构",
            "a county maternal and child health centre",
            ("mch_centre",),
            "无县办妇幼保健机构",
            "no county maternal and child health centre",
            _SRC["jingyu"],
            "县级区域原则上设置1个县办综合医院、1个县办中医医院和1个县办妇幼保健机构",
        ),
        PresenceRule(
            "presence.village_clinic",
            "village",
            "每个行政村有村卫生室或巡诊点",
            "a village clinic or outreach point in every village",
            ("village_clinic", "chs_station", "outreach_point"),
            "无村卫生室或巡诊点",
            "no village clinic or outreach point",
            _SRC["jishou"],
            "为基本消除行政村空白村卫生室，在大力兴建卫生室的基础上，在无村医的27个村配备医疗巡诊点，"
            "确保偏远村寨医疗服务全覆盖；持续实现乡村医疗卫生机构和人员“空白点”动态清零",
            note="固定（村卫生室、社区卫生服务站）与巡诊点分开报告",
            note_en="fixed clinics (village clinics, community stations) and outreach points reported apart",
        ),
        PresenceRule(
            "presence.emergency_station",
            "facility",
            "中心乡镇卫生院建设急救站",
            "an emergency station at every central township health centre",
            ("emergency_centre",),
            "无急救站",
            "no emergency station",
            _SRC["jishou"],
            "推进院前急救体系一体化管理，市公立医院建立院前急救分中心，中心乡镇卫生院建设急救站",
            host_types=("central_thc",),
            note=(
                "急救站：服务项目含“急救”（急救站、急救分站…），或同址（500 米内）有开放的急救中心（站）；"
                "急诊不算"
            ),
            note_en=(
                "a station: the centre's services name one (急救站, 急救 …, emergency station, ambulance), "
                "or an open emergency centre lies within 500 m; an emergency department (急诊) is not one"
            ),
        ),
    )
}
