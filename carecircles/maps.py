"""Interactive map of a study, readable at a glance by an official, offline.

One standard at a time (radio buttons): every township filled by its class on the one colour
scale (:mod:`carecircles.palette`) and labelled with its name and share; the areas that
standard leaves uncovered; the study's own roads and village names, so a gap can be located
with no base map; villages, facilities, catchments and (on a siting map) proposed sites. The
legend is rebuilt from what is visible; panels collapse (collapsed at first on phones); a
search box finds townships, villages and facilities in the map's own data.

No string from input data is placed in a Folium element or in HTML: the map's content goes to
the page as one JSON object and ``_assets/carecircles.js`` builds every layer, label, popup,
legend row and panel with ``textContent`` (see :mod:`carecircles._page`). Words come from the
one label table (:mod:`carecircles.labels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import shapely

from carecircles import palette
from carecircles._encode import html_text, percent, script_json, text
from carecircles._offline import asset_text, make_offline
from carecircles._page import RawMacro, feature, point, popup
from carecircles.analysis import StudyResult
from carecircles.assessment import applies, whole_people
from carecircles.catchments import Catchments
from carecircles.labels import (
    facility_type_name,
    label,
    labels,
    people_text,
    standard_title,
    threshold_text,
    verdict_text,
)
from carecircles.roads import road_lines
from carecircles.siting import SitingResult
from carecircles.standards import FACILITY_TYPES, Standard

#: Amap (Gaode) road tiles, in GCJ-02. Only requested when a user picks this base map.
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: Tianditu (天地图) vector tiles and their annotation layer, Web Mercator; ``tk`` is the user's key.
TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)

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


def build_map(
    result: StudyResult,
    lang: str = "zh",
    simplify_m: float = 30.0,
    siting: SitingResult | None = None,
) -> folium.Map:
    """Build the study map.

    Parameters
    ----------
    result
        A finished study (for a siting map: the study with the proposed sites added).
    lang
        ``zh`` (default) or ``en``: every word on the map.
    simplify_m
        Display-only simplification of polygons and roads (metres), to keep the file small.
    siting
        A siting run: adds proposed sites, their catchments and outreach points, the
        before→after shares in the zone popups, and opens on the siting standard.
    """
    zones = result.zones
    bounds = zones.total_bounds
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=None,
        prefer_canvas=False,  # one SVG per pane: the panes' order holds and clicks reach lower panes
        zoom_control=True,
    )
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    data = MapData(result, lang, simplify_m / 111_000, siting).build()
    _Page(data, lang).add_to(fmap)
    return fmap


class MapData:
    """The map's content as one JSON-ready object, read by ``_assets/carecircles.js``."""

    def __init__(self, result: StudyResult, lang: str, tolerance: float, siting: SitingResult | None) -> None:
        self.result, self.lang, self.tolerance, self.siting = result, lang, tolerance, siting
        self.people = whole_people(result.zone_results)  # the figures of zones.csv, report and CLI
        self.standards = [
            s for s in result.config.standards if not self.people[self.people["standard"] == s.id].empty
        ]

    def build(self) -> dict:
        """Return the map's data: standards, layers with their legends, labels, bases, words."""
        result, lang = self.result, self.lang
        config = result.config
        title = config.title
        first = self.siting.standard.id if self.siting is not None else self._opening_standard()
        return {
            "lang": lang,
            "title": title,
            "synthetic": label("synthetic", lang) if config.synthetic else "",
            "issuedBy": "" if config.issuing_unit is None else config.issuing_unit,
            "siting": "" if self.siting is None else self._siting_title(),
            "words": {
                k: labels(lang)[k]
                for k in (
                    "choose_standard",
                    "layers",
                    "base_map",
                    "legend",
                    "search",
                    "not_found",
                    "show",
                    "hide",
                    "base_offline",
                    "zones_outline",
                    "summary",
                )
            },
            "palette": {
                "colours": palette.COLOURS,
                "text": palette.TEXT_ON,
                "opacity": palette.ZONE_FILL_OPACITY,
                "classes": {v: self._class_words(v) for v in (*palette.CLASSES, "no_people")},
                "notApplicable": label("not_applicable", lang),
                "uncovered": palette.UNCOVERED_COLOUR,
                "uncoveredOpacity": palette.UNCOVERED_OPACITY,
            },
            "standards": [self._standard(s) for s in self.standards],
            "first": first,
            "zones": self._zones(),
            "overlays": self._overlays(),
            "bases": self._bases(),
            "base": config.base_map if config.base_map != "tianditu" or config.tianditu_token else "none",
        }

    # --- standards and zones -------------------------------------------------------------------

    def _opening_standard(self) -> str:
        """Return the rural time standard if any (most of a county's people), else the first one."""
        time_std = [s for s in self.standards if s.metric == "time"]
        for s in time_std:
            if s.zone_type == "rural":
                return s.id
        return (time_std or self.standards)[0].id if self.standards else ""

    def _class_words(self, v: str) -> str:
        if v in ("small_gap", "large_gap"):
            return label(v, self.lang, p=palette.SMALL_GAP_POINTS)
        return label("pass" if v == "pass" else "no_people", self.lang)

    def _standard(self, s: Standard) -> dict:
        lang = self.lang
        rows = self.people[self.people["standard"] == s.id]
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        zones = rows[rows["zone_code"] != "ALL"]
        passing = int(zones["passes"].fillna(False).astype(bool).sum())
        assessed = int(zones["passes"].notna().sum())
        title, threshold = standard_title(s, lang), threshold_text(s, lang)
        if threshold.replace(" ", "") in title.replace(" ", ""):
            name = title
        else:
            name = f"{title}（{threshold}）" if lang == "zh" else f"{title} ({threshold})"
        share = percent(total["covered_share"]) if total["population"] > 0 else "—"
        outside = (
            people_text(total["uncovered_population"], lang)
            if s.metric == "time"
            else self._villages_outside(total)
        )
        summary = label(
            "summary_line", lang, standard=name, share=share, passing=passing, zones=assessed, outside=outside
        )
        passes_all = bool(total["passes"]) if pd.notna(total["passes"]) else False
        return {
            "id": s.id,
            "name": name,
            "summary": summary,
            "verdict": "pass" if passes_all and passing == assessed else "fail",
            "uncoveredLayer": label("uncovered_area", lang, d=threshold_text(s, lang)),
            "bandsLayer": label("covered_band", lang, d=threshold_text(s, lang)),
            "areas": self._areas(s),
            "bands": self._bands(s),
        }

    def _villages_outside(self, total: pd.Series) -> str:
        n = total.get("villages_none", np.nan)
        outreach = total.get("villages_outreach_only", np.nan)
        if pd.isna(n):
            return people_text(total["uncovered_population"], self.lang)
        count = int(n) + (0 if pd.isna(outreach) else int(outreach))
        return f"{count}个村" if self.lang == "zh" else f"{count} villages"

    def _zones(self) -> list[dict]:
        lang, result = self.lang, self.result
        zones = result.zones
        points = zones.geometry.representative_point()
        out = []
        for (_, z), at in zip(zones.iterrows(), points, strict=True):
            classes, shares, rows = {}, {}, []
            for s in self.standards:
                row = self.people[
                    (self.people["standard"] == s.id) & (self.people["zone_code"] == z["zone_code"])
                ]
                if row.empty:
                    continue
                r = row.iloc[0]
                v = palette.verdict(r["passes"], r["covered_share"], s.target_share)
                classes[s.id] = v
                shares[s.id] = "" if r["population"] <= 0 else percent(r["covered_share"])
                rows.append(
                    (f"{standard_title(s, lang)} {threshold_text(s, lang)}", self._zone_line(s, r, v))
                )
            rows.extend(self._siting_rows(z["zone_code"]))
            geometry = shapely.simplify(z.geometry, self.tolerance, preserve_topology=True)
            out.append(
                feature(
                    _rounded(geometry.__geo_interface__),
                    popup=popup(
                        f"{z['zone_name']} ({z['zone_code']})",
                        [
                            (
                                label("population", lang),
                                people_text(self._zone_population(z["zone_code"]), lang),
                            ),
                            *rows,
                        ],
                    ),
                )
                | {"id": text(z["zone_code"])}
            )
            props = out[-1]["properties"]
            props.update(
                {
                    "name": text(z["zone_name"]),
                    "at": [round(at.x, 6), round(at.y, 6)],
                    "cls": classes,
                    "share": shares,
                    "weight": float(self._zone_population(z["zone_code"])),
                }
            )
        return out

    def _zone_population(self, code: object) -> float:
        rows = self.people[self.people["zone_code"] == code]
        return float(rows["population"].max()) if not rows.empty else 0.0

    def _zone_line(self, s: Standard, r: pd.Series, v: str) -> str:
        """One standard in a zone's popup: share, target, people outside, gap, verdict."""
        lang = self.lang
        if r["population"] <= 0:
            return label("no_people", lang)
        share = percent(r["covered_share"])
        target = f"{s.target_share * 100:g}%"
        if s.metric == "time":
            outside = people_text(r["uncovered_population"], lang)
        else:
            outside = self._villages_outside(r)
        gap = ""
        if v in ("small_gap", "large_gap"):
            points = math.ceil((s.target_share - float(r["covered_share"])) * 1000 - 1e-9) / 10
            gap = f"，差{points:.1f}个百分点" if lang == "zh" else f", {points:.1f} points short"
        verdict = verdict_text(r["passes"], lang)
        if lang == "zh":
            return f"{share}（目标{target}），未覆盖{outside}{gap}，{verdict}"
        return f"{share} (target {target}), {outside} not covered{gap}, {verdict}"

    def _siting_rows(self, code: object) -> list[tuple[str, str]]:
        siting = self.siting
        if siting is None:
            return []
        rows = siting.scenarios[siting.scenarios["zone_code"] == code]
        if rows.empty:
            return []
        r = rows.iloc[0]
        steps = [
            f"{label(c, self.lang)} {percent(r[c])}"
            for c in ("share_existing", "share_planned", "share_proposed")
            if c in r and pd.notna(r[c])
        ]
        title = label("before_after", self.lang)
        return [(title, " → ".join(steps))] if steps else []

    def _siting_title(self) -> str:
        """Name the siting run and its county-wide shares: existing → + planned → + proposed."""
        assert self.siting is not None
        s, lang = self.siting.standard, self.lang
        title = f"{label('sites', lang)}：{standard_title(s, lang)} {threshold_text(s, lang)}"
        steps = self._siting_rows("ALL")
        return (
            f"{title}（{steps[0][1]}）"
            if steps and lang == "zh"
            else (f"{title} ({steps[0][1]})" if steps else title)
        )

    def _areas(self, s: Standard) -> list[dict]:
        areas = self.result.areas
        part = areas[(areas["standard"] == s.id) & (areas["status"] == "uncovered")]
        style = {
            "color": palette.UNCOVERED_COLOUR,
            "weight": 0.6,
            "fillColor": palette.UNCOVERED_COLOUR,
            "fillOpacity": palette.UNCOVERED_OPACITY,
        }
        return [
            feature(_rounded(g.__geo_interface__), style=style)
            for g in shapely.simplify(part.geometry.to_numpy(), self.tolerance, preserve_topology=True)
        ]

    def _bands(self, s: Standard) -> dict:
        areas = self.result.areas
        part = areas[(areas["standard"] == s.id) & (areas["status"] == "covered")]
        if part.empty:
            return {"features": [], "legend": []}
        bands = part["band_minutes"].fillna(-1).to_numpy()
        limits = sorted(set(bands[bands > 0]))
        colours = {
            b: palette.BAND_COLOURS[min(i, len(palette.BAND_COLOURS) - 1)] for i, b in enumerate(limits)
        }
        features = []
        for g, b in zip(
            shapely.simplify(part.geometry.to_numpy(), self.tolerance, preserve_topology=True),
            bands,
            strict=True,
        ):
            c = colours.get(b, palette.BAND_COLOURS[-1])
            style = {"color": c, "weight": 0.4, "fillColor": c, "fillOpacity": palette.BAND_OPACITY}
            features.append(feature(_rounded(g.__geo_interface__), style=style))
        legend = [
            _swatch(colours[b], palette.BAND_OPACITY, label("within", self.lang, d=_minutes(b, self.lang)))
            for b in limits
        ]
        return {"features": features, "legend": legend}

    # --- overlays ------------------------------------------------------------------------------

    def _overlays(self) -> list[dict]:
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
        for group, geometry in zip(lines["group"], lines.geometry, strict=True):
            style = {**_ROAD_STYLE[group], "interactive": False}
            features.append(
                feature(_rounded(geometry.__geo_interface__, 5), style=style)
                | {"minZoom": 0 if group == "major" else 10}
            )
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
            for i, (geometry, fid) in enumerate(zip(part.geometry, part["facility_id"], strict=True)):
                row = table.loc[(level, fid)]
                colour = _CATCHMENT_COLOURS[i % len(_CATCHMENT_COLOURS)]
                load_key = "load_high_rule" if row["load"] == "high" else f"load_{row['load']}"
                geometry = shapely.simplify(geometry, self.tolerance, preserve_topology=True)
                features.append(
                    feature(
                        _rounded(geometry.__geo_interface__),
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
                    _rounded(shapely.simplify(g, self.tolerance, preserve_topology=True).__geo_interface__),
                    style=style,
                    tooltip=f"{label('sites', lang)} {site}: {label('newly', lang)} "
                    f"{people_text(people, lang)}",
                )
                for g, site, people in zip(
                    siting.catchments.geometry,
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
                        [text(row.recommendation)],
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

    # --- base maps -----------------------------------------------------------------------------

    def _bases(self) -> list[dict]:
        lang, config = self.lang, self.result.config
        bases: list[dict] = [
            {"id": "none", "name": label("base_none", lang)},
            {
                "id": "osm",
                "name": label("base_osm", lang),
                "layers": [
                    {"url": OSM_TILES, "attribution": "© OpenStreetMap contributors", "subdomains": ""}
                ],
            },
            {
                "id": "amap",
                "name": label("base_gcj", lang),
                "gcj02": True,
                "layers": [{"url": AMAP_TILES, "attribution": "© 高德地图 AutoNavi", "subdomains": "1234"}],
            },
        ]
        if config.tianditu_token:
            token = config.tianditu_token
            bases.append(
                {
                    "id": "tianditu",
                    "name": label("base_tianditu", lang),
                    "token": token,  # appended by the page script, URL-encoded
                    "layers": [
                        {
                            "url": TIANDITU_TILES.replace("{layer}", layer),
                            "attribution": "© 天地图 Tianditu",
                            "subdomains": "01234567",
                        }
                        for layer in ("vec", "cva")
                    ],
                }
            )
        return bases


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


def _rounded(geometry: dict, digits: int = 6) -> dict:
    """Coordinates to ``digits`` decimals (6: 0.1 m), which keeps the page small."""

    def walk(c: object) -> object:
        if isinstance(c, (list, tuple)):
            if c and isinstance(c[0], (int, float)):
                return [round(float(x), digits) for x in c]
            return [walk(x) for x in c]
        return c

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


_CSS_FILE = "carecircles.css"


class _Page(RawMacro):
    """The page's title, styles and scripts, and the call that builds the map from its data."""

    def __init__(self, data: dict, lang: str) -> None:
        super().__init__()
        self._name = "CareCirclesPage"
        self.data, self.lang = data, lang

    def parts(self) -> tuple[str, str, str]:
        """Return the header (title, viewport, styles, scripts), no body, and the start-up script."""
        data = self.data
        title = data["title"] + (f" · {data['synthetic']}" if data["synthetic"] else "")
        library = asset_text("carecircles.js") + asset_text("gcj02.js")
        header = (
            f"<title>{html_text(title)}</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<style>{asset_text(_CSS_FILE)}</style><script>{library}</script>"
        )
        if self._parent is None:
            raise TypeError("the page element must be added to a folium.Map")
        script = f"carecircles.start({self._parent.get_name()}, {script_json(data)});\n"
        return header, "", script


def build_siting_map(siting: SitingResult, lang: str = "zh") -> folium.Map:
    """Map of the study after the proposed sites: before → after per zone, sites on top, what is left."""
    return build_map(siting.after, lang=lang, siting=siting)


def _write(fmap: folium.Map, path: Path, lang: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    html = make_offline(fmap.get_root().render())
    html = html.replace("<html>", f"<html lang='{'zh-CN' if lang == 'zh' else 'en'}'>", 1)
    path.write_text(html, encoding="utf-8")
    return path


def write_siting_map(siting: SitingResult, path: Path, lang: str = "zh") -> Path:
    """Build and save the siting map as one self-contained HTML file."""
    return _write(build_siting_map(siting, lang=lang), path, lang)


def write_map(result: StudyResult, path: Path, lang: str = "zh") -> Path:
    """Build and save the map as one self-contained HTML file (renders with no network)."""
    return _write(build_map(result, lang=lang), path, lang)


__all__: Sequence[str] = ("GLYPHS", "build_map", "build_siting_map", "write_map", "write_siting_map")
