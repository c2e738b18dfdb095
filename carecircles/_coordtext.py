"""Coordinates as planners type them: decimal, degrees-minutes-seconds, full-width, one "经纬度" column.

Pure text → number functions; :mod:`carecircles.points` decides what a failure means.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: Column names holding "lon,lat" pairs in one cell.
PAIR_NAMES = (
    "经纬度",
    "经纬度坐标",
    "坐标",
    "lonlat",
    "lnglat",
    "lon_lat",
    "lng_lat",
    "location",
    "坐标(经度,纬度)",
)

_NEGATIVE = ("S", "W", "南纬", "西经", "南", "西")
_HEMISPHERE = re.compile(r"^(北纬|南纬|东经|西经|[NSEW北南东西])?(.*?)([NSEW北南东西])?$", re.IGNORECASE)
# degrees, then optional minutes and seconds, with any of the usual marks (after NFKC)
_DMS = re.compile(
    r"^(?P<sign>[-+])?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|º|度|d|\s)\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:'|′|’|分|m|\s)?\s*)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|”|''|′′|秒|s)?\s*)?$",
    re.IGNORECASE,
)
_DECIMAL = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def normalise(text: object) -> str:
    """NFKC (full-width digits, points, commas, minus and spaces become ASCII) and trimmed."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    value = unicodedata.normalize("NFKC", str(text)).strip()
    return value.replace("−", "-").replace("－", "-").replace("，", ",").replace("。", ".")


def parse_coordinate(text: object) -> float:
    """One coordinate in decimal degrees, or ``nan`` when the text is not one.

    Accepts ``113.65``, ``１１３．６５``, ``113°39'27.5"E``, ``113°39′27.5″``, ``113度39分27.5秒``,
    ``东经113°39'27.5"``, degrees and decimal minutes (``113°39.458'``), ``N``/``S``/``E``/``W``
    or 北纬/南纬/东经/西经 before or after (south and west are negative).
    """
    value = normalise(text)
    if not value:
        return float("nan")
    if _DECIMAL.match(value):
        return float(value)
    found = _HEMISPHERE.match(value)
    if found is None:
        return float("nan")
    before, body, after = found.group(1), found.group(2).strip(), found.group(3)
    if before and after:
        return float("nan")
    hemisphere = (before or after or "").upper()
    if _DECIMAL.match(body):
        number = float(body)
    else:
        parts = _DMS.match(body.replace("''", '"').replace("′′", '"'))
        if parts is None or not (parts.group("m") or parts.group("s") or "°" in body or "度" in body):
            return float("nan")
        minutes = float(parts.group("m") or 0)
        seconds = float(parts.group("s") or 0)
        if minutes >= 60 or seconds >= 60 or (parts.group("s") and "." in (parts.group("m") or "")):
            return float("nan")
        number = float(parts.group("d")) + minutes / 60 + seconds / 3600
        if parts.group("sign") == "-":
            number = -number
    if hemisphere in _NEGATIVE or hemisphere.lower() in ("s", "w"):
        number = -abs(number)
    return number


def parse_coordinates(values: pd.Series) -> NDArray[np.float64]:
    """:func:`parse_coordinate` over a column (plain numbers take the fast path)."""
    fast = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, copy=True)
    slow = np.flatnonzero(np.isnan(fast) & values.notna().to_numpy())
    for i in slow:
        fast[i] = parse_coordinate(values.iloc[i])
    return fast


def split_pair(text: object) -> tuple[str, str] | None:
    """Split a "lon,lat" cell (comma, full-width comma, semicolon, slash or spaces) in two.

    Returned as (longitude, latitude): a cell written latitude first with its hemispheres
    marked (``北纬34°45′ 东经113°39′``, ``34.75N 113.65E``) is put in that order.
    """
    halves = _split(text)
    if halves is None:
        return None
    a, b = halves
    if _hemisphere_kind(a) == "lat" and _hemisphere_kind(b) == "lon":
        return b, a
    return a, b


def _hemisphere_kind(text: str) -> str:
    found = _HEMISPHERE.match(normalise(text))
    mark = ((found.group(1) or found.group(3) or "") if found else "").upper()
    if mark in ("N", "S", "北纬", "南纬", "北", "南"):
        return "lat"
    if mark in ("E", "W", "东经", "西经", "东", "西"):
        return "lon"
    return ""


def _split(text: object) -> tuple[str, str] | None:
    value = normalise(text)
    if not value:
        return None
    for separator in (",", ";", "/", "|"):
        if value.count(separator) == 1:
            a, b = value.split(separator)
            return a.strip(), b.strip()
    parts = value.split()
    if len(parts) == 2:
        return parts[0], parts[1]
    # DMS with spaces inside: split after the first hemisphere letter or seconds mark
    cut = re.match(r"^(.*?[\"″秒NSEWnsew北南东西])\s+(.+)$", value)
    if cut:
        return cut.group(1).strip(), cut.group(2).strip()
    return None
