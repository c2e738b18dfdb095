"""The plan scorecard: every testable promise of the plans in one table.

Each indicator (an access circle, the 2.5 km rule, a presence rule, a resource ratio, the
load of a catchment, capacity-aware access) becomes one row with its target, the actual
figure, pass/fail ("not assessed" when the data cannot say), how many zones pass, and the
plan and wording it comes from. The modules that compute the indicators build their rows
with :func:`indicator_row`, so every row has the same columns.
"""

from __future__ import annotations

import math

import pandas as pd

#: Groups of indicators, in the order the scorecard lists them.
GROUPS = ("circle", "distance", "presence", "ratio", "load", "capacity")

#: Columns of ``scorecard.csv`` (and of every row builder's frame).
SCORECARD_COLUMNS = [
    "group",
    "indicator",
    "name_zh",
    "name_en",
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
        ``True``/``False``, or ``None`` when the data cannot say (not assessed).
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
        "passes": pd.NA if passes is None else bool(passes),
        "zones_passing": pd.NA if zones_passing is None else int(zones_passing),
        "zones_assessed": pd.NA if zones_assessed is None else int(zones_assessed),
        "source": source,
        "wording": wording,
        "note": note,
    }


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
