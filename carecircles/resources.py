"""Facility resources (beds, doctors, nurses, GPs, pharmacists) from columns in Chinese or English.

A figure is a number or nothing: a missing column, a blank cell or a cell that is not a
number is ``NaN``, never 0 (a facility whose beds are unknown is not a facility without beds).
Cells that are not numbers, or negative, are listed in the data issues with their row and
column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from carecircles._errors import DataIssues
from carecircles.plans import RESOURCES

__all__ = ["RESOURCES", "RESOURCE_COLUMNS", "resource_columns", "resource_values"]

#: Column names read for each resource, in order of preference (compared after Unicode NFKC,
#: so full-width brackets ``（）`` match ``()``, lower case, spaces removed).
RESOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "beds": ("beds", "bed", "床位", "床位数", "实有床位", "实有床位数", "编制床位", "编制床位数"),
    "doctors": (
        "doctors",
        "physicians",
        "执业(助理)医师",
        "执业(助理)医师数",
        "执业助理医师",
        "执业医师",
        "执业医师数",
        "医师",
        "医师数",
    ),
    "nurses": ("nurses", "注册护士", "注册护士数", "护士", "护士数"),
    "gps": ("gps", "general_practitioners", "general practitioners", "全科医生", "全科医生数", "全科医师"),
    "pharmacists": ("pharmacists", "药师", "药师(士)", "药师(士)数", "药师数"),
}

# a plain number, or one with thousands separators (1,200); nothing else
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _key(name: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).lower()


def resource_columns(columns: Iterable[object]) -> dict[str, str | None]:
    """Return, for each resource, the table column it is read from (``None``: no such column).

    The first of :data:`RESOURCE_COLUMNS` present wins.

    Examples
    --------
    >>> resource_columns(["name", "编制床位", "执业（助理）医师"])["doctors"]
    '执业（助理）医师'
    """
    lookup: dict[str, str] = {}
    for column in columns:
        lookup.setdefault(_key(column), str(column))
    return {
        resource: next((lookup[_key(n)] for n in names if _key(n) in lookup), None)
        for resource, names in RESOURCE_COLUMNS.items()
    }


def resource_values(
    facilities: pd.DataFrame, issues: DataIssues | None = None, source: object = None
) -> pd.DataFrame:
    """Read each facility's beds, doctors, nurses, GPs and pharmacists.

    Parameters
    ----------
    facilities
        Facilities as read (:func:`carecircles.facilities.read_facilities`), with their input
        columns and ``row`` (the row a planner sees in the file).
    issues
        Where to record cells that are not numbers or negative, and a column chosen among
        several candidates.
    source
        The facility file, for the issues.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``facilities``' index; float columns ``beds, doctors, nurses, gps,
        pharmacists``, ``NaN`` where the column is missing or the cell blank or unusable.
        Full-width digits are read (``３００``), as are thousands separators (``1,200``).
        ``.attrs["missing"]`` lists the resources with no column, ``.attrs["columns"]``
        the column each resource was read from.
    """
    found = resource_columns(facilities.columns)
    rows = facilities["row"].to_numpy() if "row" in facilities else np.arange(1, len(facilities) + 1)
    out = pd.DataFrame(index=facilities.index)
    for resource in RESOURCES:
        column = found[resource]
        if column is None:
            out[resource] = np.nan
            continue
        _note_alternatives(facilities.columns, resource, column, issues, source)
        out[resource] = _numbers(facilities[column], rows, column, issues, source)
    out.attrs["missing"] = [r for r in RESOURCES if found[r] is None]
    out.attrs["columns"] = {r: c for r, c in found.items() if c is not None}
    return out


def _numbers(
    cells: pd.Series, rows: np.ndarray, column: str, issues: DataIssues | None, source: object
) -> np.ndarray:
    values = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells.to_numpy(dtype=object)):
        value, problem = _number(cell)
        if problem and issues is not None:
            issues.add(
                "warning",
                source,
                f"{problem}; read as unknown (not 0)",
                zh=f"{problem}；按未知读取（不按0计）",
                row=int(rows[i]),
                field=column,
                value=cell,
                action="repaired",
            )
        values[i] = value
    return values


def _number(cell: object) -> tuple[float, str]:
    """Return a cell's value and, when it cannot be used, why (blank: unknown, no problem)."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        return math.nan, ""
    if isinstance(cell, bool | np.bool_):
        return math.nan, "not a number"
    if isinstance(cell, int | float | np.integer | np.floating):
        value = float(cell)
    else:
        text = unicodedata.normalize("NFKC", str(cell)).strip()
        if not text:
            return math.nan, ""
        if not _NUMBER.fullmatch(text):
            return math.nan, "not a number"
        value = float(text.replace(",", ""))
    if not math.isfinite(value):
        return math.nan, "not a finite number"
    if value < 0:
        return math.nan, "negative"
    return value, ""


def _note_alternatives(
    columns: Iterable[object], resource: str, chosen: str, issues: DataIssues | None, source: object
) -> None:
    names = {_key(n) for n in RESOURCE_COLUMNS[resource]}
    others = [str(c) for c in columns if _key(c) in names and str(c) != chosen]
    if others and issues is not None:
        issues.add(
            "info",
            source,
            f"{resource} read from column '{chosen}'; also present, not used: {', '.join(others)}",
            zh=f"{resource} 取自列 {chosen!r}；另有未使用的列：{'、'.join(others)}",
            field=chosen,
        )
