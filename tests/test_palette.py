"""The one colour scale: its classes stay apart for colour-blind readers and in greyscale print."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert

from carecircles import palette

CLASSES = palette.CLASSES


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def _seen(rgb: np.ndarray, vision: str) -> np.ndarray:
    """The colour as seen with a colour-vision deficiency (Machado 2009, full severity) or in grey."""
    if vision == "normal":
        return rgb
    if vision == "greyscale":  # print in grey: only lightness (CIECAM02 J) is left
        lightness = cspace_convert(rgb, "sRGB1", "JCh")[0]
        return np.clip(cspace_convert([lightness, 0, 0], "JCh", "sRGB1"), 0, 1)
    space = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Perceptual distance (CAM02-UCS ΔE; about 1 is just noticeable, 20 clearly different)."""
    return float(
        np.linalg.norm(cspace_convert(a, "sRGB1", "CAM02-UCS") - cspace_convert(b, "sRGB1", "CAM02-UCS"))
    )


@pytest.mark.parametrize("vision", ["normal", "deuteranomaly", "protanomaly", "tritanomaly", "greyscale"])
@pytest.mark.parametrize("opacity", [1.0, palette.ZONE_FILL_OPACITY], ids=["report", "map"])
def test_classes_stay_apart(vision, opacity):
    seen = {c: _seen(_rgb(palette.blend(palette.COLOURS[c], opacity)), vision) for c in CLASSES}
    for a, b in itertools.combinations(CLASSES, 2):
        assert _distance(seen[a], seen[b]) >= 15, (vision, opacity, a, b)


def test_lightness_orders_the_classes_for_grey_print():
    lightness = {c: cspace_convert(_rgb(palette.COLOURS[c]), "sRGB1", "JCh")[0] for c in CLASSES}
    assert lightness["small_gap"] > lightness["pass"] > lightness["large_gap"]


def test_a_simulated_red_green_pair_really_collapses():
    # the check itself can fail: the old pass-green and worst-red are close under deuteranopia
    green, red = _rgb("#1a9850"), _rgb("#d73027")
    assert _distance(green, red) > 40
    assert _distance(_seen(green, "deuteranomaly"), _seen(red, "deuteranomaly")) < 15


@pytest.mark.parametrize(
    ("passes", "share", "target", "expected"),
    [
        (True, 1.0, 1.0, "pass"),
        (True, 0.9, 0.85, "pass"),
        (False, 0.80, 0.85, "small_gap"),  # exactly 5 points short
        (False, 0.7999, 0.85, "large_gap"),
        (False, 0.9999, 1.0, "small_gap"),  # one person short is a fail, never a pass
        (None, float("nan"), 1.0, "no_people"),
    ],
)
def test_verdict_comes_from_people_then_the_gap(passes, share, target, expected):
    assert palette.verdict(passes, share, target) == expected


def test_blend_is_what_is_drawn_over_white():
    assert palette.blend("#000000", 0.6) == "#666666"
    assert palette.blend("#2c7bb6", 1.0) == "#2c7bb6"
    assert palette.blend("#2c7bb6", 0.0) == "#ffffff"
