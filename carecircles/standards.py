"""Access standards from the source plans and the facility hierarchy they refer to.

Every standard carries the plan wording and file it comes from (``../shared/STANDARDS.md``).
No plan states a travel mode or speed: the mode of each default standard is a documented
choice of this tool, overridable in the study config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from carecircles._errors import InputError

ZoneType = Literal["urban", "rural", "all"]
Metric = Literal["time", "distance"]


@dataclass(frozen=True)
class FacilityType:
    """One level of the facility hierarchy."""

    code: str
    zh: str
    en: str
    level: str


#: The hierarchy of STANDARDS.md §3, most specific first.
FACILITY_TYPES: dict[str, FacilityType] = {
    t.code: t
    for t in (
        FacilityType("county_hospital", "县级综合医院", "county general hospital", "county"),
        FacilityType("tcm_hospital", "中医医院", "TCM hospital", "county"),
        FacilityType("mch_centre", "妇幼保健院", "maternal and child health centre", "county"),
        FacilityType("cdc", "疾病预防控制中心", "disease control centre", "county"),
        FacilityType("emergency_centre", "急救中心（站）", "emergency centre", "county"),
        FacilityType("subcentre", "县域医疗次中心", "county sub-centre", "sub-centre"),
        FacilityType("central_thc", "中心卫生院", "central township health centre", "township"),
        FacilityType("thc", "乡镇卫生院", "township health centre", "township"),
        FacilityType("branch_thc", "卫生院分院", "township branch health centre", "township"),
        FacilityType("chsc", "社区卫生服务中心", "community health service centre", "township"),
        FacilityType("chs_station", "社区卫生服务站", "community health station", "village"),
        FacilityType("village_clinic", "村卫生室", "village clinic", "village"),
        FacilityType("outreach_point", "医疗巡诊点", "outreach point", "village"),
        FacilityType("private_clinic", "诊所/门诊部", "private clinic", "other"),
        FacilityType("other", "其他医疗机构", "other facility", "other"),
    )
}

# (substring, code), tested in order on the lower-cased label: specific before general.
_TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("巡诊", "outreach_point"),
    ("巡回", "outreach_point"),
    ("outreach", "outreach_point"),
    ("次中心", "subcentre"),
    ("社区医院", "subcentre"),
    ("sub-centre", "subcentre"),
    ("subcentre", "subcentre"),
    ("社区卫生服务中心", "chsc"),
    ("community health service centre", "chsc"),
    ("community health centre", "chsc"),
    ("社区卫生服务站", "chs_station"),
    ("community health station", "chs_station"),
    ("村卫生室", "village_clinic"),
    ("卫生室", "village_clinic"),
    ("village clinic", "village_clinic"),
    ("中心卫生院", "central_thc"),
    ("central township", "central_thc"),
    ("分院", "branch_thc"),
    ("branch", "branch_thc"),
    ("卫生院", "thc"),
    ("township health", "thc"),
    ("中医", "tcm_hospital"),
    ("tcm", "tcm_hospital"),
    ("妇幼", "mch_centre"),
    ("maternal", "mch_centre"),
    ("疾控", "cdc"),
    ("疾病预防", "cdc"),
    ("急救", "emergency_centre"),
    ("emergency", "emergency_centre"),
    ("人民医院", "county_hospital"),
    ("综合医院", "county_hospital"),
    ("hospital", "county_hospital"),
    ("医院", "county_hospital"),
    ("诊所", "private_clinic"),
    ("门诊部", "private_clinic"),
    ("clinic", "private_clinic"),
)


def classify_facility_type(label: object) -> str | None:
    """Map a free-text facility type (Chinese or English, or a code) to a type code.

    Returns ``None`` when nothing matches, so the caller can record a data issue.

    Examples
    --------
    >>> classify_facility_type("龙泉镇中心卫生院")
    'central_thc'
    >>> classify_facility_type("村卫生室")
    'village_clinic'
    """
    if label is None:
        return None
    text = str(label).strip().lower()
    if not text or text == "nan":
        return None
    if text in FACILITY_TYPES:
        return text
    for pattern, code in _TYPE_PATTERNS:
        if pattern in text:
            return code
    return None


HOSPITALS = ("county_hospital", "tcm_hospital", "mch_centre", "subcentre")
TOWNSHIP_CENTRES = ("central_thc", "thc", "branch_thc")
VILLAGE_FIXED = ("village_clinic", "chs_station")


@dataclass(frozen=True)
class Standard:
    """One testable access standard.

    Attributes
    ----------
    id
        Short identifier, e.g. ``"rural-30min"``.
    title_zh, title_en
        Labels for tables and maps.
    rule
        The plan's original wording.
    source
        Plan file and name the rule comes from.
    zone_type
        Zones the standard applies to (``urban``, ``rural`` or ``all``).
    facility_types
        Facility type codes that count as meeting it.
    metric
        ``time`` (threshold in minutes) or ``distance`` (threshold in metres).
    mode
        Travel mode for ``time`` standards (``walk``, ``ebike``, ``car``).
    threshold
        Minutes for ``time``, metres for ``distance``; inclusive.
    target_share
        Share of population (or of villages for distance standards) that must be covered.
    distance_kind
        For ``distance`` standards: ``straight`` (service radius) or ``road``.
    outreach_types
        Facility types that count as outreach coverage, reported apart from fixed coverage.
    note
        Why the mode or target was chosen where the plan is silent.
    """

    id: str
    title_zh: str
    title_en: str
    rule: str
    source: str
    zone_type: ZoneType
    facility_types: tuple[str, ...]
    metric: Metric
    threshold: float
    target_share: float = 1.0
    mode: str = "walk"
    distance_kind: str = "straight"
    outreach_types: tuple[str, ...] = ()
    note: str = ""

    @property
    def threshold_seconds(self) -> float:
        """Threshold in seconds (time standards only)."""
        return self.threshold * 60.0

    @property
    def label(self) -> str:
        """Human-readable threshold, e.g. ``15 min`` or ``2.5 km``."""
        if self.metric == "time":
            return f"{self.threshold:g} min"
        return f"{self.threshold / 1000:g} km"


_SRC_004 = "004 吉首市卫生健康“十四五”规划 (seeds/004_8fac2466e21989cb.txt)"
_SRC_003 = "003 乐山市市中区“十四五”卫生健康发展规划 (seeds/003_6a972f5fde8bb99b.txt)"
_SRC_002 = "002 靖宇县“十四五”医疗卫生服务体系规划 (seeds/002_96557450fec43a1c.txt)"

#: The standards of STANDARDS.md §1 with this tool's default modes.
DEFAULT_STANDARDS: dict[str, Standard] = {
    s.id: s
    for s in (
        Standard(
            id="urban-15min",
            title_zh="城区15分钟就医圈",
            title_en="Urban 15-minute circle",
            rule="城区15分钟就医圈，以“三区四院五中心”为网底",
            source=_SRC_004,
            zone_type="urban",
            facility_types=(*HOSPITALS, "chsc", *TOWNSHIP_CENTRES),
            metric="time",
            threshold=15,
            mode="walk",
            note="Plan states no mode; walking is the default for the urban circle.",
        ),
        Standard(
            id="rural-30min",
            title_zh="农村30分钟就医圈",
            title_en="Rural 30-minute circle",
            rule="以乡镇（中心）卫生院、村卫生室为网络的农村30分钟就医圈",
            source=_SRC_004,
            zone_type="rural",
            facility_types=(*HOSPITALS, *TOWNSHIP_CENTRES),
            metric="time",
            threshold=30,
            mode="ebike",
            note=(
                "Plan states no mode; e-bike/motorcycle, the usual rural means, is the default. "
                "Village clinics are left out (add 'village_clinic' to count them)."
            ),
        ),
        Standard(
            id="village-2.5km",
            title_zh="村卫生室2.5公里服务半径",
            title_en="Village clinic within 2.5 km",
            rule="科学统筹村卫生室布局，原则上以2.5公里服务半径为宜",
            source=_SRC_004,
            zone_type="all",
            facility_types=(*VILLAGE_FIXED, *TOWNSHIP_CENTRES, "chsc"),
            metric="distance",
            threshold=2500,
            distance_kind="straight",
            outreach_types=("outreach_point",),
            note=(
                "A guideline (原则上…为宜): distances are reported straight-line and by road; "
                "township health centres also serve their own village. Outreach points "
                "(巡诊点) are counted apart from fixed clinics."
            ),
        ),
        Standard(
            id="all-15min-100pct",
            title_zh="居民15分钟到达医疗卫生机构",
            title_en="All residents within 15 minutes of any facility",
            rule="居民15分钟到达医疗卫生机构的比例达到100%",
            source=_SRC_003,
            zone_type="all",
            facility_types=tuple(c for c in FACILITY_TYPES if c not in ("cdc", "outreach_point")),
            metric="time",
            threshold=15,
            mode="ebike",
            note="Plan states no mode; e-bike/motorcycle is the default.",
        ),
        Standard(
            id="tcm-15min",
            title_zh="中医服务15分钟可及圈",
            title_en="TCM services within 15 minutes",
            rule="积极构建“中医服务在身边”和“15分钟可及圈”",
            source=_SRC_003,
            zone_type="all",
            facility_types=("tcm_hospital",),
            metric="time",
            threshold=15,
            mode="ebike",
            note="Facilities with a TCM service (中医馆) should be added via facility_types.",
        ),
        Standard(
            id="emergency-2h",
            title_zh="县内2小时救援全覆盖",
            title_en="Emergency rescue within 2 hours",
            rule="实现县内2小时内救援全覆盖",
            source=_SRC_002,
            zone_type="all",
            facility_types=("county_hospital", "emergency_centre"),
            metric="time",
            threshold=120,
            mode="car",
            note="Emergency base defaults to the county hospital (no 急救站 inventory given).",
        ),
    )
}

_OVERRIDABLE = {
    "title_zh",
    "title_en",
    "rule",
    "source",
    "zone_type",
    "facility_types",
    "metric",
    "threshold",
    "target_share",
    "mode",
    "distance_kind",
    "outreach_types",
    "note",
}


@dataclass(frozen=True)
class StandardSpec:
    """A standard as written in a study config: a known id plus overrides, or a full entry."""

    id: str
    overrides: Mapping[str, Any] = field(default_factory=dict)


def resolve_standard(spec: StandardSpec, *, source: object = "config") -> Standard:
    """Build a :class:`Standard` from a default id plus overrides, or from a full definition.

    Raises
    ------
    InputError
        For an unknown key, an unknown facility type or an out-of-range value.
    """
    unknown = set(spec.overrides) - _OVERRIDABLE
    if unknown:
        raise InputError(
            f"standard '{spec.id}': unknown keys {sorted(unknown)}; allowed: {sorted(_OVERRIDABLE)}",
            path=source,
            field="standards",
        )
    values = dict(spec.overrides)
    for key in ("facility_types", "outreach_types"):
        if key in values:
            values[key] = tuple(values[key])
    if spec.id in DEFAULT_STANDARDS:
        standard = replace(DEFAULT_STANDARDS[spec.id], **values)
    else:
        required = {"zone_type", "facility_types", "metric", "threshold"}
        missing = required - set(values)
        if missing:
            raise InputError(
                f"standard '{spec.id}' is not a default standard; it needs {sorted(missing)}",
                path=source,
                field="standards",
            )
        values.setdefault("title_zh", spec.id)
        values.setdefault("title_en", spec.id)
        values.setdefault("rule", "")
        values.setdefault("source", "user-supplied")
        standard = Standard(id=spec.id, **values)
    _check_standard(standard, source)
    return standard


def _check_standard(s: Standard, source: object) -> None:
    bad_types = [t for t in (*s.facility_types, *s.outreach_types) if t not in FACILITY_TYPES]
    problems = []
    if bad_types:
        problems.append(f"unknown facility types {bad_types} (known: {sorted(FACILITY_TYPES)})")
    if s.zone_type not in ("urban", "rural", "all"):
        problems.append(f"zone_type must be urban, rural or all, not {s.zone_type!r}")
    if s.metric not in ("time", "distance"):
        problems.append(f"metric must be time or distance, not {s.metric!r}")
    if not s.threshold > 0:
        problems.append(f"threshold must be positive, not {s.threshold!r}")
    if not 0 <= s.target_share <= 1:
        problems.append(f"target_share must be between 0 and 1, not {s.target_share!r}")
    if s.distance_kind not in ("straight", "road"):
        problems.append(f"distance_kind must be straight or road, not {s.distance_kind!r}")
    if problems:
        raise InputError(f"standard '{s.id}': " + "; ".join(problems), path=source, field="standards")
