"""The map's switchable layers: roads, villages, facilities, catchments, proposed sites.

Each layer is a dict read by ``_assets/carecircles.js``: ``id``, ``name``, ``pane``,
``features`` (GeoJSON with ``style``/``marker``/``popup``/``tooltip`` properties), ``legend``
rows drawn as on the map, ``labels`` (village names) and ``show``. Words come from
:mod:`carecircles.labels`; no input string is ever HTML or a template here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from carecircles._encode import GeometryJSON, percent, text
from carecircles._page import feature, point, popup
from carecircles.analysis import StudyResult
from carecircles.assessment import applies
from carecircles.catchments import Catchments
from carecircles.labels import (
    facility_type_name,
    label,
    people_text,
    recommendation_text,
    standard_title,
    threshold_text,
)
from carecircles.roads import road_lines
from carecircles.siting import SitingResult
from carecircles.standards import FACILITY_TYPES, Standard

#: Marker of each facility level: colour and shape, told apart at 1:1 without reading the glyph.
_LEVEL_STYLE = {
    "county": {"background": "#54278f", "shape": "square", "size": 24},
    "sub-centre": {"background": "#7a0177", "shape": "square", "size": 22},
    "township": {"background": "#00441b", "shape": "square", "size": 21},
    "village": {"background": "#238b45", "shape": "round", "size": 18},
    "other": {"background": "#636363", "shape": "round", "size": 16},
}
#: One legible character per facility type (no icon font to download).
GLYPHS = {
    "county_hospital": "医",
    "tcm_hospital": "中",
    "mch_centre": "妇",
    "cdc": "疾",
    "emergency_centre": "急",
    "subcentre": "次",
    "central_thc": "心",
    "thc": "院",
    "branch_thc": "分",
    "chsc": "社",
    "chs_station": "站",
    "village_clinic": "村",
    "outreach_point": "巡",
    "private_clinic": "诊",
    "other": "他",
}
_Z_BY_LEVEL = {"county": 1000, "sub-centre": 800, "township": 600, "village": 200, "other": 0}

#: Villages: beyond the village standard (no clinic / outreach only) drawn large; the rest small.
_VILLAGE_STYLE = {
    "none": {"radius": 8, "color": "#000000", "weight": 2.5, "fillColor": "#d7301f", "fillOpacity": 0.95},
    "outreach_only": {
        "radius": 8,
        "color": "#000000",
        "weight": 2.5,
        "fillColor": "#fdd49e",
        "fillOpacity": 0.95,
    },
    "fixed": {"radius": 3.5, "color": "#252525", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 1.0},
}
_ROAD_STYLE = {
    "major": {"color": "#7f7f7f", "weight": 2.2, "opacity": 0.9},
    "minor": {"color": "#a6a6a6", "weight": 1.0, "opacity": 0.9},
}
#: Catchment fills (qualitative, ColorBrewer Set3): neighbours are told apart by their outlines.
_CATCHMENT_COLOURS = (
    "#8dd3c7",
    "#ffffb3",
    "#bebada",
    "#fb8072",
    "#80b1d3",
    "#fdb462",
    "#b3de69",
    "#fccde5",
    "#d9d9d9",
    "#bc80bd",
    "#ccebc5",
    "#ffed6f",
)
_PROPOSED = {"background": "#e7298a", "shape": "diamond", "size": 26}


class Overlays:
    """The map's switchable layers, each with its features, legend rows and pane."""

    def __init__(
        self,
        result: StudyResult,
        lang: str,
        tolerance: float,
        standards: list[Standard],
        siting: SitingResult | None,
    ) -> None:
        self.result, self.lang, self.tolerance = result, lang, tolerance
        self.standards, self.siting = standards, siting

    def all(self) -> list[dict]:
        """Return the overlays in drawing order: roads, villages, facilities, catchments, siting."""
        layers: list[dict] = []
        roads = self._roads()
        if roads is not None:
            layers.append(roads)
        villages = self._villages()
        if villages is not None:
            layers.append(villages)
        layers.append(self._facilities())
        if self.result.catchments is not None:
            layers.extend(self._catchments(self.result.catchments))
        if self.siting is not None:
            layers.extend(self._siting_layers(self.siting))
        for layer in layers:
            layer.setdefault("show", True)
            layer.setdefault("labels", [])
        return layers

    def _roads(self) -> dict | None:
        roads = self.result.roads
        if roads is None or roads.n_edges == 0:
            return None
        lines = road_lines(roads, self.tolerance / 3)
        features = []
        legend = []
        for group, geometry in zip(lines["group"], _rounded_all(lines.geometry.to_numpy(), 5), strict=True):
            style = {**_ROAD_STYLE[group], "interactive": False}
            features.append(feature(geometry, style=style) | {"minZoom": 0 if group == "major" else 10})
            words = (
                "主要道路"
                if self.lang == "zh" and group == "major"
                else (
                    "其他道路（放大后显示）"
                    if self.lang == "zh"
                    else ("main roads" if group == "major" else "other roads (zoomed in)")
                )
            )
            legend.append({"kind": "line", "color": style["color"], "weight": style["weight"], "text": words})
        return {
            "id": "roads",
            "name": label("roads", self.lang),
            "pane": "cc-roads",
            "features": features,
            "legend": legend,
        }

    def _villages(self) -> dict | None:
        villages = self.result.villages
        if villages is None or villages.empty:
            return None
        lang = self.lang
        status_col = next((c for c in villages.columns if c.endswith("_status")), None)
        village_std = next((s for s in self.standards if f"{s.id}_status" == status_col), None)
        features, names = [], []
        order = np.argsort(-villages["population"].to_numpy(dtype=float), kind="stable")
        for i in order:
            v = villages.iloc[i]
            status = "fixed" if status_col is None else str(v[status_col])
            style = _VILLAGE_STYLE.get(status, _VILLAGE_STYLE["fixed"])
            lines = [] if status == "fixed" or village_std is None else [label(f"clinic_{status}", lang)]
            features.append(
                feature(
                    point(v.geometry.x, v.geometry.y),
                    marker={"kind": "circle", **style},
                    popup=popup(f"{v['name']} ({v['zone_name']})", self._village_rows(v), lines),
                    tooltip=v["name"],
                )
                | {"id": f"v{i}"}
            )
            features[-1]["properties"]["name"] = text(v["name"])
            names.append(
                {
                    "at": [round(v.geometry.x, 6), round(v.geometry.y, 6)],
                    "text": text(v["name"]),
                    "ref": f"v{i}",
                }
            )
        threshold = threshold_text(village_std, lang) if village_std is not None else ""
        legend = []
        present = set(villages[status_col]) if status_col else set()
        for status in ("none", "outreach_only"):
            if status in present:
                st = _VILLAGE_STYLE[status]
                words = (
                    f"{label(f'clinic_{status}', lang)}（{threshold}）"
                    if lang == "zh"
                    else (f"{label(f'clinic_{status}', lang)} (within {threshold})")
                )
                legend.append(
                    {
                        "kind": "circle",
                        "fill": st["fillColor"],
                        "stroke": st["color"],
                        "radius": 7,
                        "text": words,
                    }
                )
        st = _VILLAGE_STYLE["fixed"]
        legend.append(
            {
                "kind": "circle",
                "fill": st["fillColor"],
                "stroke": st["color"],
                "radius": 4,
                "text": label("villages", lang)
                + ("（名称放大后显示）" if lang == "zh" else " (names when zoomed in)"),
            }
        )
        return {
            "id": "villages",
            "name": label("villages", lang),
            "pane": "cc-villages",
            "features": features,
            "legend": legend,
            "labels": names,
            "labelMinZoom": 11,
        }

    def _village_rows(self, v: pd.Series) -> list[tuple[str, str]]:
        lang = self.lang
        rows = [(label("population", lang), people_text(v["population"], lang))]
        clinic = v.get("nearest_clinic_name")
        if clinic is not None and pd.notna(clinic) and str(clinic) != "":
            straight = _metres_text(v.get("clinic_straight_m"), lang)
            road = _metres_text(v.get("clinic_road_m"), lang)
            words = (
                f"{text(clinic)}（{label('straight', lang)}{straight}，{label('road', lang)}{road}）"
                if lang == "zh"
                else f"{text(clinic)} ({label('straight', lang)} {straight}, {label('road', lang)} {road})"
            )
            rows.append((label("nearest_clinic", lang), words))
        for s in self.standards:
            column = f"{s.id}_minutes"
            if s.metric != "time" or column not in v or not applies(s, v["zone_type"]):
                continue
            value = v[column]
            name = v.get(f"{s.id}_facility_name")
            if pd.isna(value):
                shown = label("beyond", lang, d=threshold_text(s, lang))
            else:
                shown = _minutes(float(value), lang) + (
                    f"（{text(name)}）"
                    if lang == "zh" and pd.notna(name)
                    else (f" ({text(name)})" if pd.notna(name) else "")
                )
            rows.append((f"{standard_title(s, lang)}", shown))
        return rows

    def _facilities(self) -> dict:
        lang, result = self.lang, self.result
        facilities = result.facilities
        counted = facilities["counted"] if "counted" in facilities else facilities["used"]
        served = _served(result.catchments)
        features, present = [], []
        for (_, f), active in zip(facilities.iterrows(), counted, strict=True):
            if f["status"] == "proposed":
                continue
            code = f["type"] if f["type"] in FACILITY_TYPES else "other"
            present.append(code)
            rows = [(label("type", lang), facility_type_name(code, lang))]
            original = f.get("type_label")
            if original is not None and pd.notna(original) and text(original) not in ("", rows[0][1]):
                rows.append((label("type_in_file", lang), text(original)))  # the file's own words
            for key in ("beds", "doctors", "nurses"):
                if key in f and pd.notna(f[key]) and str(f[key]) != "":
                    rows.append((label(key, lang), _count_text(f[key])))
            rows.append(
                (
                    label("status", lang),
                    label(f["status"], lang) if f["status"] in _STATUSES else text(f["status"]),
                )
            )
            counts_for = [standard_title(s, lang) for s in self.standards if code in s.facility_types]
            if counts_for and bool(active):
                rows.append(
                    (
                        label("counts_for", lang),
                        "、".join(counts_for) if lang == "zh" else "; ".join(counts_for),
                    )
                )
            elif counts_for:
                rows.append((label("counts_for", lang), label("not_counted", lang)))
            if f["facility_id"] in served:
                rows.append((label("nearest_for", lang), people_text(served[f["facility_id"]], lang)))
            features.append(
                feature(
                    point(f.geometry.x, f.geometry.y),
                    marker=_glyph(code, active=bool(active)),
                    popup=popup(f["name"], rows),
                    tooltip=f["name"],
                )
                | {"id": text(f["facility_id"])}
            )
            features[-1]["properties"]["name"] = text(f["name"])
        legend = [
            {"kind": "glyph", **_glyph(code), "text": facility_type_name(code, lang)}
            for code in FACILITY_TYPES
            if code in set(present)
        ]
        if not counted.all():
            legend.append(
                {"kind": "glyph", **_glyph("other", active=False), "text": label("not_counted", lang)}
            )
        return {
            "id": "facilities",
            "name": label("facilities", lang),
            "pane": "cc-facilities",
            "features": features,
            "legend": legend,
            "spread": True,
        }

    def _catchments(self, catchments: Catchments) -> list[dict]:
        """One layer per level: the cells each centre serves, its figures in the popup (hidden at first)."""
        lang = self.lang
        table = catchments.table.set_index(["level", "facility_id"])
        layers = []
        for level, part in catchments.polygons.groupby("level", sort=False):
            features = []
            shapes = _rounded_all(
                shapely.simplify(part.geometry.to_numpy(), self.tolerance, preserve_topology=True)
            )
            for i, (geometry, fid) in enumerate(zip(shapes, part["facility_id"], strict=True)):
                row = table.loc[(level, fid)]
                colour = _CATCHMENT_COLOURS[i % len(_CATCHMENT_COLOURS)]
                load_key = "load_high_rule" if row["load"] == "high" else f"load_{row['load']}"
                features.append(
                    feature(
                        geometry,
                        style={"color": "#555555", "weight": 1.5, "fillColor": colour, "fillOpacity": 0.45},
                        popup=popup(
                            row["name"],
                            [
                                (label("served", lang), people_text(row["population"], lang)),
                                (label("served_villages", lang), _count_text(row["villages"])),
                                (label("mean_minutes", lang), _decimal(row["mean_minutes"])),
                                (label("beds", lang), _count_text(row["beds"])),
                                (label("doctors", lang), _count_text(row["doctors"])),
                                (
                                    label("per_bed", lang),
                                    _ratio(row["people_per_bed"], row["county_people_per_bed"], lang),
                                ),
                                (
                                    label("per_doctor", lang),
                                    _ratio(row["people_per_doctor"], row["county_people_per_doctor"], lang),
                                ),
                                (
                                    label("load", lang),
                                    label(load_key, lang, f=catchments.load_factor)
                                    if load_key == "load_high_rule"
                                    else label(load_key, lang),
                                ),
                            ],
                            [label(f"catchment_{level}", lang)],
                        ),
                        tooltip=row["name"],
                    )
                )
            name = label(f"catchment_{level}", lang)
            legend = [
                {
                    "kind": "fill",
                    "color": "#555555",
                    "fill": _CATCHMENT_COLOURS[0],
                    "opacity": 0.45,
                    "text": label("served", lang)
                    + ("（每个机构一色）" if lang == "zh" else " (one colour per centre)"),
                }
            ]
            layers.append(
                {
                    "id": f"catchments-{level}",
                    "name": name,
                    "pane": "cc-areas",
                    "features": features,
                    "legend": legend,
                    "show": False,
                }
            )
        return layers

    def _siting_layers(self, siting: SitingResult) -> list[dict]:
        lang = self.lang
        layers = []
        if not siting.catchments.empty:
            style = {"color": "#ae017e", "weight": 1, "fillColor": "#fcc5c0", "fillOpacity": 0.6}
            features = [
                feature(
                    g,
                    style=style,
                    tooltip=f"{label('sites', lang)} {site}: {label('newly', lang)} "
                    f"{people_text(people, lang)}",
                )
                for g, site, people in zip(
                    _rounded_all(
                        shapely.simplify(
                            siting.catchments.geometry.to_numpy(), self.tolerance, preserve_topology=True
                        )
                    ),
                    siting.catchments["facility_id"],
                    siting.catchments["population"],
                    strict=True,
                )
            ]
            legend = [
                {
                    "kind": "fill",
                    "color": style["color"],
                    "fill": style["fillColor"],
                    "opacity": 0.6,
                    "text": label("site_catchments", lang),
                }
            ]
            layers.append(
                {
                    "id": "site-catchments",
                    "name": label("site_catchments", lang),
                    "pane": "cc-areas",
                    "features": features,
                    "legend": legend,
                }
            )
        features = []
        for row in siting.sites.itertuples():
            marker = {
                "kind": "glyph",
                "glyph": str(int(row.rank)),
                "cls": "cc-proposed",
                "border": "2px solid white",
                "color": "#ffffff",
                "z": 3000,
                **_PROPOSED,
            }
            features.append(
                feature(
                    point(row.lon, row.lat),
                    marker=marker,
                    popup=popup(
                        f"{label('sites', lang)} {int(row.rank)}: {row.name}",
                        [
                            (label("zone", lang), row.zone_name),
                            (label("newly", lang), people_text(row.newly_covered, lang)),
                            (label("cumulative", lang), percent(row.cumulative_share)),
                        ],
                    ),
                    tooltip=f"{label('sites', lang)} {int(row.rank)}",
                )
                | {"id": f"site{int(row.rank)}"}
            )
            features[-1]["properties"]["name"] = text(f"{label('sites', lang)} {int(row.rank)} {row.name}")
        rank_words = "（数字为排名）" if lang == "zh" else " (number = rank)"
        legend = [
            {
                "kind": "glyph",
                "glyph": "1",
                "cls": "cc-proposed",
                "border": "2px solid white",
                "color": "#ffffff",
                **_PROPOSED,
                "text": label("sites", lang) + rank_words,
            }
        ]
        layers.append(
            {
                "id": "proposed",
                "name": label("sites", lang),
                "pane": "cc-proposed",
                "features": features,
                "legend": legend,
            }
        )
        outreach = siting.outreach
        if len(outreach):
            style = {"radius": 9, "color": "#e08214", "weight": 3, "fill": False}
            features = [
                feature(
                    point(row.lon, row.lat),
                    marker={"kind": "circle", **style},
                    popup=popup(
                        getattr(row, "name", row.zone_name),
                        [(label("population", lang), people_text(row.population, lang))],
                        [recommendation_text(str(row.recommendation), lang)],
                    ),
                )
                for row in outreach.itertuples()
            ]
            legend = [
                {"kind": "ring", "stroke": style["color"], "radius": 7, "text": label("outreach", lang)}
            ]
            layers.append(
                {
                    "id": "outreach",
                    "name": label("outreach", lang),
                    "pane": "cc-proposed",
                    "features": features,
                    "legend": legend,
                }
            )
        return layers


_STATUSES = ("existing", "planned", "relocating", "closed", "proposed")


def _served(catchments: Catchments | None) -> dict[object, float]:
    if catchments is None:
        return {}
    table = catchments.table
    return dict(zip(table["facility_id"], table["population"], strict=True))


def _glyph(code: str, *, active: bool = True) -> dict:
    """Marker of a facility type: a character on its level's colour and shape (grey when not counted)."""
    kind = FACILITY_TYPES.get(code, FACILITY_TYPES["other"])
    style = _LEVEL_STYLE[kind.level]
    outreach = code == "outreach_point"
    return {
        "kind": "glyph",
        "glyph": GLYPHS.get(code, "他"),
        "cls": f"cc-facility cc-{code} cc-lv-{kind.level}",
        "background": ("#ffffff" if outreach else style["background"]) if active else "#9e9e9e",
        "color": style["background"] if outreach and active else "#ffffff",
        "shape": style["shape"],
        "size": style["size"],
        "border": ("2px dashed #238b45" if outreach else "2px solid white") if active else "2px dashed #555",
        "z": _Z_BY_LEVEL[kind.level],
    }


def _swatch(colour: str, opacity: float, words: str) -> dict:
    return {"kind": "fill", "color": colour, "fill": colour, "opacity": opacity, "text": words}


def _minutes(value: float, lang: str) -> str:
    shown = math.ceil(value * 10 - 1e-9) / 10  # minutes are shown rounded up (never quicker than they are)
    return f"{shown:.1f}{label('minutes', lang)}" if lang == "zh" else f"{shown:.1f} {label('minutes', lang)}"


def _metres_text(value: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    value = float(value)  # type: ignore[arg-type]
    if not np.isfinite(value):
        return label("beyond_10km", lang)
    unit = label("metres", lang)
    return f"{value:,.0f}{unit}" if lang == "zh" else f"{value:,.0f} {unit}"


def _count_text(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text(value)
    return "—" if not np.isfinite(number) else f"{number:,.0f}"


def _decimal(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.1f}"  # type: ignore[arg-type]


def _ratio(value: float, county: float, lang: str) -> str:
    if pd.isna(value):
        return "—"
    shown = "∞" if value == float("inf") else (f"{value:.1f}" if value < 10 else f"{value:,.0f}")
    if pd.isna(county):
        return shown
    words = label("county_level", lang)
    return f"{shown}（{words} {county:,.0f}）" if lang == "zh" else f"{shown} ({words} {county:,.0f})"


def _rounded_all(geometries: Sequence[BaseGeometry] | np.ndarray, digits: int = 6) -> list[GeometryJSON]:
    """Return each geometry's GeoJSON with coordinates to ``digits`` decimals, as JSON text.

    Rounded by numpy and written by GEOS (``shapely.to_geojson``) in one call for all, and kept
    as text (:class:`carecircles._encode.GeometryJSON`): a province's county pages carry
    millions of vertices, and parsing them into Python floats cost more than all the rest.
    """
    shapes = np.asarray(geometries, dtype=object)
    if len(shapes) == 0:
        return []
    rounded = shapely.transform(shapes, lambda xy: np.round(xy, digits))
    return [GeometryJSON(t) for t in shapely.to_geojson(rounded)]
