"""The one colour scale of carecircles: pass, small gap, large gap.

Map fills, the map legend, report charts and the printed figure all take their colours from
here. The three classes stay apart for readers with deuteranopia or protanopia and in greyscale
print: blue, orange and dark red differ in lightness as well as hue (checked in
``tests/test_palette.py`` with simulated colour-vision deficiency, CAM02-UCS distances). Zones
with no people are not a class: they are drawn unfilled with a dashed outline.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

Verdict = Literal["pass", "small_gap", "large_gap", "no_people"]

#: Gap classes, in order.
CLASSES: tuple[Verdict, ...] = ("pass", "small_gap", "large_gap")

#: Fill colour of each class (sRGB hex).
COLOURS: dict[Verdict, str] = {
    "pass": "#2c7bb6",
    "small_gap": "#fdae61",
    "large_gap": "#7f0000",
    "no_people": "#ffffff",
}
#: Text colour readable on each fill.
TEXT_ON: dict[Verdict, str] = {
    "pass": "#ffffff",
    "small_gap": "#222222",
    "large_gap": "#ffffff",
    "no_people": "#222222",
}

#: A failing zone whose share is at most this many percentage points below its target has a small gap.
SMALL_GAP_POINTS = 5.0

#: Opacity of the zone fills on the interactive map (the legend draws its swatches at the same).
ZONE_FILL_OPACITY = 0.6

#: Uncovered areas: a dark hatch-like fill over the zone colour, and covered travel-time bands.
UNCOVERED_COLOUR = "#222222"
UNCOVERED_OPACITY = 0.45
BAND_COLOURS = ("#08306b", "#2171b5", "#6baed6")
BAND_OPACITY = 0.45


def verdict(passes: object, covered_share: float, target_share: float) -> Verdict:
    """Class of one zone under one standard.

    Parameters
    ----------
    passes
        The zone's pass/fail, decided from people (never from a rounded share); NA when the
        zone has no people.
    covered_share
        Covered people over all people.
    target_share
        The standard's target share.
    """
    if passes is None or pd.isna(passes):
        return "no_people"
    if bool(passes):
        return "pass"
    gap_points = (target_share - covered_share) * 100.0
    return "small_gap" if gap_points <= SMALL_GAP_POINTS + 1e-9 else "large_gap"


def blend(colour: str, opacity: float, background: str = "#ffffff") -> str:
    """Return the colour seen when ``colour`` is drawn at ``opacity`` over ``background``."""
    fg = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    bg = [int(background[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(opacity * f + (1 - opacity) * b) for f, b in zip(fg, bg, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mixed)
