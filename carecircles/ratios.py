"""Resource ratios per zone and for the county (beds, doctors, nurses, pharmacists per 1,000, GPs per 10,000).

The rules, each a choice where the plans are silent:

- **Which facilities.** Every open facility (``used``), public or private: the plans'
  每千人口医疗卫生机构床位数 counts all 医疗卫生机构. A facility counts for the zone containing its
  point. Facilities outside every zone (kept by the reader because people cross boundaries)
  belong to a neighbour: they are left out of the zone figures and the county figure, and
  listed as data issues.
- **Which people.** Per zone, the study's own people in the zone (``zone_population``); for
  the county, the study's total or, when given, the census figure (``census_population``),
  with the difference to the study's total in the note.
- **Unknown is not zero.** A missing resource column leaves the indicator not assessed (with
  a data issue). Blank cells make the figure a lower bound from the facilities that have a
  value: it passes only when the lower bound already meets the target, and is otherwise not
  assessed, with the count of facilities lacking the value in the note.
- **Pass/fail is the county's**, against the plan's county-wide target; zones are compared to
  the same figure for reference (a county hospital's beds all sit in the zone around it).
- **Honest rounding.** Figures show two decimals, never rounded up to the target when below
  it; a lower bound is rounded down and shown as ``≥``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircles._errors import DataIssues
from carecircles.plans import ABSENT_NOTES, DEFAULT_PLAN, INDICATORS, PLANS, RatioTarget, plan_targets
from carecircles.presence import facility_zones, is_open
from carecircles.resources import RESOURCE_COLUMNS, resource_values
from carecircles.standards import FACILITY_TYPES

__all__ = ["RATIO_COLUMNS", "Ratios", "ratio_rows", "resource_ratios", "shown"]

RATIO_COLUMNS = [
    "indicator",
    "resource",
    "per",
    "zone_code",
    "zone_name",
    "population",
    "facilities",
    "amount",
    "lacking",
    "value",
    "lower_bound",
    "target",
    "passes",
    "status",
]


@dataclass
class Ratios:
    """Resource ratios of a study against one plan's targets.

    Attributes
    ----------
    table
        One row per indicator × zone, plus an ``ALL`` row per indicator (the county): see
        :data:`RATIO_COLUMNS`. ``amount`` sums the facilities with a value, ``lacking`` counts
        open facilities in the zone without one, ``value`` is per ``per`` people (a lower
        bound when ``lower_bound``), ``status`` is ``pass``, ``fail``, ``not assessed`` or
        ``no target``.
    plan
        The plan's key (:data:`carecircles.plans.PLANS`).
    targets
        The targets used (the plan's, with the study's overrides).
    county_population, study_population
        People of the county figures, and the study's own total (they differ when a census
        figure is given).
    missing
        Resources with no column in the facility table.
    outside
        Open facilities outside every zone (left out), by name.
    lacking_types
        Per resource, the facility types (code → count) of the open counted facilities
        without a value.

    """

    table: pd.DataFrame
    plan: str
    targets: dict[str, RatioTarget]
    county_population: float
    study_population: float
    missing: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    lacking_types: dict[str, dict[str, int]] = field(default_factory=dict)

    def rows(self, lang: str = "zh") -> list[dict[str, object]]:
        """Scorecard rows (group ``ratio``), one per indicator."""
        return ratio_rows(self, lang)


def resource_ratios(
    facilities: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    zone_population: pd.Series,
    *,
    resources: pd.DataFrame | None = None,
    plan: str = DEFAULT_PLAN,
    targets: Mapping[str, float] | None = None,
    census_population: float | None = None,
    issues: DataIssues | None = None,
    source: object = None,
) -> Ratios:
    """Compute beds, doctors, nurses, pharmacists per 1,000 and GPs per 10,000, per zone and county.

    Parameters
    ----------
    facilities
        Facilities as read (EPSG:4326) with ``type``, ``used`` (open; when absent, status
        ``existing``/``relocating``), ``row`` and their input columns.
    zones
        Zones (EPSG:4326) with ``zone_code`` and ``zone_name``.
    zone_population
        People per zone (indexed by ``zone_code``): the study's own population.
    resources
        Per facility resources (:func:`carecircles.resources.resource_values`), aligned with
        ``facilities``; read here when ``None``. Pass the frame other steps use, so bad cells
        are reported once.
    plan
        Whose targets: a key of :data:`carecircles.plans.PLANS`.
    targets
        Overrides by indicator id (the config's ``scorecard.targets``).
    census_population
        People of the county figures instead of the study's total (e.g. the 2020 census).
    issues, source
        Data issues (missing columns, facilities outside every zone) and the file they name.
    """
    if resources is None:
        resources = resource_values(facilities, issues, source)
    missing = list(resources.attrs.get("missing", [r for r in RESOURCE_COLUMNS if r not in resources]))
    chosen = plan_targets(plan, targets)
    used = is_open(facilities)
    zone_code = facility_zones(facilities, zones)["zone_code"].to_numpy()
    outside = used & (zone_code == "")
    _report(facilities, outside, missing, issues, source)
    counted = used & ~outside
    population = zone_population.reindex(zones["zone_code"]).to_numpy(dtype=float)
    study = float(np.nansum(zone_population.to_numpy(dtype=float)))
    county = float(census_population) if census_population is not None else study
    units = [
        (c, n, p, zone_code == c)
        for c, n, p in zip(zones["zone_code"], zones["zone_name"], population, strict=True)
    ]
    units.append(("ALL", "", county, np.ones(len(facilities), dtype=bool)))
    rows = []
    for indicator in INDICATORS.values():
        column = (
            resources[indicator.resource].to_numpy(dtype=float) if indicator.resource in resources else None
        )
        target = chosen.get(indicator.id)
        for code, name, people, here in units:
            rows.append(
                _figure(
                    indicator.id,
                    code,
                    name,
                    people,
                    None if indicator.resource in missing or column is None else column[counted & here],
                    int((counted & here).sum()),
                    None if target is None else target.target,
                )
            )
    table = pd.DataFrame(rows, columns=RATIO_COLUMNS)
    table["passes"] = table["passes"].astype("boolean")
    table["lacking"] = table["lacking"].astype("Int64")
    names = facilities["name"].astype(str).to_numpy()[outside].tolist()
    lacking = {
        r: _lacking_types(
            facilities["type"].to_numpy()[counted & ~np.isfinite(resources[r].to_numpy(dtype=float))]
        )
        for r in RESOURCE_COLUMNS
        if r in resources and r not in missing
    }
    return Ratios(table, plan, chosen, county, study, missing, names, lacking)


def _lacking_types(types: np.ndarray) -> dict[str, int]:
    counts = pd.Series(types, dtype=object).value_counts()
    return {str(t): int(n) for t, n in counts.items()}


def _report(
    facilities: pd.DataFrame,
    outside: np.ndarray,
    missing: list[str],
    issues: DataIssues | None,
    source: object,
) -> None:
    if issues is None:
        return
    rows = facilities["row"].to_numpy() if "row" in facilities else np.arange(1, len(facilities) + 1)
    for i in np.flatnonzero(outside):
        issues.add(
            "info",
            source,
            "open facility outside every zone: left out of the resource ratios (zones and county)",
            zh="在用机构不在任何区域内：不计入千人指标（区域和全县）",
            row=int(rows[i]),
            field="geometry",
            value=facilities["name"].iloc[i],
        )
    for resource in missing:
        ids = [i for i in INDICATORS.values() if i.resource == resource]
        issues.add(
            "warning",
            source,
            f"no {resource} column (one of: {', '.join(RESOURCE_COLUMNS[resource])}): "
            f"{', '.join(i.id for i in ids)} not assessed",
            zh=(
                f"没有 {resource} 列（可用列名：{'、'.join(RESOURCE_COLUMNS[resource])}"
                f"）：{'、'.join(i.id for i in ids)} 未评估"
            ),
            field=resource,
            action="skipped",
        )


def _figure(
    indicator: str,
    code: str,
    name: str,
    people: float,
    values: np.ndarray | None,
    facilities: int,
    target: float | None,
) -> dict[str, object]:
    """One indicator in one zone (or the county): value, lower bound, pass/fail."""
    per = INDICATORS[indicator].per
    row: dict[str, object] = {
        "indicator": indicator,
        "resource": INDICATORS[indicator].resource,
        "per": per,
        "zone_code": code,
        "zone_name": name,
        "population": people,
        "facilities": facilities,
        "amount": np.nan,
        "lacking": pd.NA,
        "value": np.nan,
        "lower_bound": False,
        "target": np.nan if target is None else target,
        "passes": pd.NA,
        "status": "not assessed",
    }
    if values is None:
        return row
    known = np.isfinite(values)
    amount = float(values[known].sum())
    lacking = int((~known).sum())
    row.update(amount=amount, lacking=lacking, lower_bound=lacking > 0)
    if not (people > 0):
        return row
    row["value"] = amount * per / people
    if target is None:
        row["status"] = "no target"
        return row
    if meets_target(amount, per, people, target):
        row.update(passes=True, status="pass")
    elif lacking == 0:
        row.update(passes=False, status="fail")
    return row


def meets_target(amount: float, per: int, people: float, target: float) -> bool:
    """Whether ``amount`` per ``per`` people of ``people`` meets ``target``, decided exactly.

    Decimal arithmetic on the target as written (``7.25``, ``5.65``), so 725 beds for 100,000
    people meet 7.25 per 1,000 and 564.99 nurses do not meet 5.65.
    """
    return Decimal(repr(float(amount))) * per >= Decimal(repr(float(target))) * Decimal(repr(float(people)))


def shown(
    value: float, target: float | None = None, *, lower_bound: bool = False, meets: bool | None = None
) -> str:
    """Show a ratio at two decimals, honest against its target.

    A value is rounded, except that a value below the target is never shown at or above it
    (it is cut instead); a value meeting a target with more decimals gets the decimals it
    needs; a lower bound is always cut and shown as ``≥``. ``meets`` is the decision
    (default: ``value >= target``), so a figure whose division lost a last bit still shows on
    the side it was decided on.

    Examples
    --------
    >>> shown(7.2496, 7.25), shown(0.258, 0.54), shown(7.255, 7.255), shown(4.128, lower_bound=True)
    ('7.24', '0.26', '7.255', '≥ 4.12')
    """
    if not math.isfinite(value):
        return "—"
    if target is not None and meets is None:
        meets = value >= target
    text = _cut(value, 2) if lower_bound else f"{value:.2f}"
    if target is not None and not meets and float(text) >= target:
        text = _cut(value, 2)  # rounding would cross the target: cut instead
    for digits in range(3, 9):
        if target is None or (float(text) >= target) == meets:
            break
        text = _cut(value, digits) if lower_bound or not meets else f"{value:.{digits}f}"
    return f"≥ {text}" if lower_bound else text


def _cut(value: float, digits: int) -> str:
    """Round down to ``digits`` decimals (on the shortest decimal form of ``value``)."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_FLOOR))


# --- the scorecard ---------------------------------------------------------------------------


def ratio_rows(ratios: Ratios, lang: str = "zh") -> list[dict[str, object]]:
    """Scorecard rows (group ``ratio``) of :class:`Ratios`, one per indicator.

    Pass/fail is the county's; zones passing counts zones whose own figure meets the target,
    of the zones with a decision (not assessed and zero-population zones left out).
    """
    from carecircles.scorecard import indicator_row

    zh = lang == "zh"
    rows = []
    for indicator in INDICATORS.values():
        table = ratios.table[ratios.table["indicator"] == indicator.id]
        county = table[table["zone_code"] == "ALL"].iloc[0]
        zones = table[table["zone_code"] != "ALL"]
        target = ratios.targets.get(indicator.id)
        decided = zones["passes"].dropna()
        value = float(county["value"])
        per = f"/ {indicator.per}"
        figure = shown(
            value,
            target.target if target else None,
            lower_bound=bool(county["lower_bound"]),
            meets=None if pd.isna(county["passes"]) else bool(county["passes"]),
        )

        rows.append(
            indicator_row(
                "ratio",
                f"ratio.{indicator.id}",
                name_zh=indicator.name_zh,
                name_en=indicator.name_en,
                target=f"≥ {target.target:g} {per}" if target else "—",
                actual=f"{figure} {per}" if math.isfinite(value) else "—",
                target_value=target.target if target else None,
                actual_value=value if math.isfinite(value) else None,
                unit=f"per {indicator.per}",
                passes=None if pd.isna(county["passes"]) else bool(county["passes"]),
                zones_passing=int(decided.sum()) if len(decided) else None,
                zones_assessed=len(decided) if len(decided) else None,
                source=_source(ratios, target),
                wording=target.wording if target else "",
                note=_note(ratios, indicator.id, county, target, zh),
            )
        )
    return rows


def _source(ratios: Ratios, target: RatioTarget | None) -> str:
    if target is not None and not target.plan:
        return "study config (scorecard.targets)"
    return PLANS[ratios.plan].source


def _note(ratios: Ratios, indicator: str, county: pd.Series, target: RatioTarget | None, zh: bool) -> str:
    resource = INDICATORS[indicator].resource
    parts: list[str] = []
    if resource in ratios.missing:
        names = ", ".join(RESOURCE_COLUMNS[resource][:3])
        parts.append(
            f"未评估：设施表无{resource_zh(resource)}列（{names} …）"
            if zh
            else f"not assessed: no {resource} column ({names} …)"
        )
    else:
        lacking = int(county["lacking"])
        if lacking:
            passed = not pd.isna(county["passes"]) and bool(county["passes"])
            kinds = _kinds(ratios.lacking_types.get(resource, {}), zh)
            if zh:
                verdict = "，下限已达标" if passed else "，未评估"
                parts.append(
                    f"{lacking} 个开放机构缺少{resource_zh(resource)}数值（{kinds}）：数字为下限{verdict}"
                )
            else:
                verdict = ", and it meets the target" if passed else ": not assessed"
                parts.append(
                    f"{lacking} open facilities ({kinds}) lack a {resource} value: a lower bound{verdict}"
                )
        parts.append(_people(ratios, zh))

    if target is None:
        absent = ABSENT_NOTES.get((ratios.plan, indicator))
        default = (f"{PLANS[ratios.plan].code} 未设此指标", f"plan {PLANS[ratios.plan].code} sets no target")
        parts.append((absent or default)[0 if zh else 1])
    else:
        plan_note = target.note if zh else target.note_en
        if plan_note:
            parts.append(plan_note)
    if ratios.outside:
        listed = "、".join(ratios.outside)
        parts.append(f"研究区外机构未计入：{listed}" if zh else f"left out (outside every zone): {listed}")
    parts.append(
        "按全县判定；分区数字供参考（县级医院的资源都计在其所在区域）"
        if zh
        else "pass/fail is the county's; zone figures are for reference (hospitals count in their zone)"
    )
    return ("；" if zh else "; ").join(p for p in parts if p)


_RESOURCE_ZH = {
    "beds": "床位",
    "doctors": "执业（助理）医师",
    "nurses": "注册护士",
    "gps": "全科医生",
    "pharmacists": "药师",
}


def resource_zh(resource: str) -> str:
    """Chinese name of a resource (``beds`` → 床位)."""
    return _RESOURCE_ZH.get(resource, resource)


def _kinds(counts: dict[str, int], zh: bool) -> str:
    def label(code: str) -> str:
        known = FACILITY_TYPES.get(code)
        return code if known is None else (known.zh if zh else known.en)

    return ("、" if zh else ", ").join(f"{label(t)} {n}" for t, n in counts.items())


def _people(ratios: Ratios, zh: bool) -> str:
    county, study = ratios.county_population, ratios.study_population
    if county == study:
        return f"人口：研究人口 {study:,.0f}" if zh else f"people: the study's {study:,.0f}"
    diff = county - study
    share = f"{diff / study:+.1%}" if study > 0 else "—"
    if zh:
        return f"人口：普查常住人口 {county:,.0f}（研究人口 {study:,.0f}，相差 {diff:+,.0f}，{share}）"
    return f"people: census {county:,.0f} (the study's {study:,.0f}; difference {diff:+,.0f}, {share})"
