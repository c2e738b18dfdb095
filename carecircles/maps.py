"""Interactive Folium map of a study.

Compliance by zone, covered and uncovered areas, villages beyond 2.5 km, facilities by type.
Popups in Chinese by default. No string from input data is placed in a Folium element: the
layers go to the page as JSON and their popups, tooltips and glyphs are built with
``textContent`` by ``_assets/carecircles.js`` (see :mod:`carecircles._page`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from carecircles._encode import html_text, percent, script_json, text
from carecircles._offline import asset_text, make_offline
from carecircles._page import DataLayer, RawMacro, feature, point, popup
from carecircles.analysis import StudyResult
from carecircles.assessment import applies, whole_people
from carecircles.catchments import Catchments
from carecircles.siting import SitingResult
from carecircles.standards import FACILITY_TYPES, Standard

#: Colour by facility level.
_LEVEL_COLOUR = {
    "county": "#b2182b",
    "sub-centre": "#d6604d",
    "township": "#2166ac",
    "village": "#1b7837",
    "other": "#7f7f7f",
}
_LABELS = {
    "zh": {
        "lang": "zh",
        "result": "结果",
        "covered": "已覆盖",
        "uncovered": "未覆盖",
        "population": "人口",
        "share": "覆盖率",
        "target": "目标",
        "pass": "达标",
        "fail": "未达标",
        "na": "无人口",
        "facilities": "医疗机构",
        "villages": "超出2.5公里的村",
        "none": "无村卫生室/巡诊点",
        "outreach_only": "仅有巡诊点",
        "type": "类型",
        "beds": "床位",
        "status": "状态",
        "zone": "区域",
        "synthetic": "合成示例数据，非真实数据",
        "uncovered_pop": "未覆盖人口",
        "distance": "最近村卫生室直线距离",
        "road": "道路距离",
        "legend": "图例",
        "fullscreen": "全屏",
        "fullscreen_exit": "退出全屏",
        "base_none": "无底图（离线）",
        "base_gcj": "高德地图（GCJ-02）",
        "minutes": "分钟",
        "band": "时间段",
        "existing": "现有",
        "planned": "规划",
        "relocating": "迁建",
        "closed": "已撤销",
        "beyond": "超过",
        "proposed": "拟建站点",
        "catchments": "拟建站点新增覆盖范围",
        "newly": "新增覆盖人口",
        "cumulative": "累计覆盖率",
        "outreach": "建议巡诊/巡回医疗",
        "meters": "米",
        "level_county": "县级医院",
        "level_sub-centre": "次中心",
        "level_township": "乡镇卫生院/社区中心",
        "level_village": "村卫生室/服务站",
        "level_other": "其他",
        "catchment_township": "服务范围：最近的乡镇卫生院/社区中心",
        "catchment_hospital": "服务范围：最近的县级医院",
        "served": "服务人口",
        "served_villages": "服务村数",
        "doctors": "执业(助理)医师",
        "per_bed": "每床服务人口",
        "per_doctor": "每名医师服务人口",
        "load": "负荷",
        "load_high": "偏高（超过全县同级 {f:g} 倍）",
        "load_ok": "正常",
        "load_not assessed": "未评估（无床位/医师数）",
        "county_level": "全县同级",
        "mean_minutes": "平均用时",
    },
    "en": {
        "lang": "en",
        "result": "result",
        "covered": "covered",
        "uncovered": "not covered",
        "population": "population",
        "share": "covered share",
        "target": "target",
        "pass": "passes",
        "fail": "fails",
        "na": "no population",
        "facilities": "facilities",
        "villages": "villages beyond 2.5 km",
        "none": "no clinic or outreach",
        "outreach_only": "outreach point only",
        "type": "type",
        "beds": "beds",
        "status": "status",
        "zone": "zone",
        "synthetic": "SYNTHETIC sample data, not real",
        "uncovered_pop": "uncovered population",
        "distance": "straight distance to nearest clinic",
        "road": "road distance",
        "legend": "legend",
        "fullscreen": "Full screen",
        "fullscreen_exit": "Exit full screen",
        "base_none": "No base map (offline)",
        "base_gcj": "Amap (GCJ-02)",
        "minutes": "min",
        "band": "band",
        "beyond": "over",
        "proposed": "proposed sites",
        "catchments": "people newly covered by proposed sites",
        "newly": "newly covered",
        "cumulative": "cumulative share",
        "outreach": "outreach recommended",
        "meters": "m",
        "level_county": "county hospital",
        "level_sub-centre": "sub-centre",
        "level_township": "township / community centre",
        "level_village": "village clinic / station",
        "level_other": "other",
        "catchment_township": "catchments: nearest township / community centre",
        "catchment_hospital": "catchments: nearest county hospital",
        "served": "people served",
        "served_villages": "villages served",
        "doctors": "doctors",
        "per_bed": "people per bed",
        "per_doctor": "people per doctor",
        "load": "load",
        "load_high": "high (above {f:g} × the county figure)",
        "load_ok": "normal",
        "load_not assessed": "not assessed (no beds or doctors figure)",
        "county_level": "county, same level",
        "mean_minutes": "mean travel time",
    },
}


def build_map(
    result: StudyResult,
    lang: str = "zh",
    simplify_m: float = 30.0,
    extra_layers: Callable[[folium.Map], None] | None = None,
) -> folium.Map:
    """Build the study map.

    Parameters
    ----------
    result
        A finished study.
    lang
        ``zh`` (default) or ``en`` for popups, tooltips and the legend.
    simplify_m
        Display-only simplification of polygons (metres), to keep the file small.
    extra_layers
        Adds more layers (e.g. proposed sites) before the layer control is built.
    """
    t = _LABELS[lang]
    zones = result.zones
    bounds = zones.total_bounds
    fmap = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        tiles=None,
        prefer_canvas=True,
    )
    _base_layers(fmap, t)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.plugins.Fullscreen(title=t["fullscreen"], title_cancel=t["fullscreen_exit"]).add_to(fmap)
    tolerance = simplify_m / 111_000

    # on opening, show the first time standard for urban and for rural zones (county-wide
    # standards only when there are neither); the rest are a click away in the layer control
    kinds = {s.zone_type for s in result.config.standards if s.metric == "time"}
    shown: set[str] = set() if kinds & {"urban", "rural"} else {"urban", "rural"}
    if kinds & {"urban", "rural"}:
        shown.add("all")
    people = whole_people(result.zone_results)  # the figures of zones.csv, report and CLI
    for standard in result.config.standards:
        rows = people[(people["standard"] == standard.id) & (people["zone_code"] != "ALL")]
        if rows.empty:
            continue
        show = standard.metric == "time" and standard.zone_type not in shown
        if show:
            shown.add(standard.zone_type)
        _zone_layer(fmap, zones, rows, standard, t, tolerance, show=show)
        areas = result.areas[result.areas["standard"] == standard.id]
        if not areas.empty:
            _area_layer(fmap, areas, standard, t, tolerance, show=show)
    if result.catchments is not None:
        _catchment_layers(fmap, result.catchments, t, tolerance)
    if result.villages is not None:
        _village_layer(fmap, result, t)
    _facility_layer(fmap, result.facilities, t, lang)
    if extra_layers is not None:
        extra_layers(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _Page(result, t, lang).add_to(fmap)
    return fmap


#: Covered travel-time bands, quickest darkest.
_BAND_COLOURS = ("#08519c", "#4292c6", "#9ecae1")

#: Amap (Gaode) road tiles, in GCJ-02. Only requested when a user picks this base map.
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)


def _base_layers(fmap: folium.Map, t: dict[str, str]) -> None:
    """None (the offline default), OpenStreetMap, and Amap in GCJ-02."""
    folium.FeatureGroup(name=t["base_none"], overlay=False, show=True).add_to(fmap)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=False, show=False).add_to(fmap)
    folium.TileLayer(
        AMAP_TILES,
        name=t["base_gcj"],
        attr="© 高德地图 AutoNavi",
        subdomains="1234",
        overlay=False,
        show=False,
    ).add_to(fmap)


def _layer(fmap: folium.Map, name: str, features: list[dict], *, show: bool) -> None:
    """Add a named overlay (its name escaped: Leaflet's layer control shows it as HTML)."""
    group = folium.FeatureGroup(name=html_text(name), show=show)
    DataLayer(features).add_to(group)
    group.add_to(fmap)


def _standard_name(standard: Standard, lang: str) -> str:
    return standard.title_zh if lang == "zh" else standard.title_en


def _zone_layer(
    fmap: folium.Map,
    zones: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    standard: Standard,
    t: dict[str, str],
    tolerance: float,
    *,
    show: bool,
) -> None:
    merged = zones.merge(
        rows[["zone_code", "population", "covered_share", "passes", "uncovered_population"]], on="zone_code"
    )
    title = f"{_standard_name(standard, t['lang'])} {standard.label}"
    features = []
    for z in merged.itertuples():
        share = z.covered_share
        verdict = t["na"] if pd.isna(z.passes) else (t["pass"] if z.passes else t["fail"])
        share_text = "" if pd.isna(share) else f"{percent(share)}"
        features.append(
            feature(
                z.geometry.simplify(tolerance).__geo_interface__,
                style={
                    "color": "#333333",
                    "weight": 1.2,
                    "fillColor": _share_colour(share, standard.target_share),
                    "fillOpacity": 0.35,
                },
                popup=popup(
                    f"{z.zone_name} ({z.zone_code})",
                    [
                        (t["population"], f"{z.population:,.0f}"),
                        (t["share"], f"{share_text} ({t['target']} {standard.target_share:.0%})"),
                        (t["result"], verdict),
                        (t["uncovered_pop"], f"{z.uncovered_population:,.0f}"),
                    ],
                    [title],
                ),
                tooltip=f"{z.zone_name}: {verdict}",
            )
        )
    _layer(fmap, f"{title} · {t['zone']}", features, show=show)


def _share_colour(share: float, target: float) -> str:
    if pd.isna(share):
        return "#cccccc"
    if share >= target - 1e-9:
        return "#1a9850"
    if share >= target - 0.05:
        return "#fee08b"
    if share >= target - 0.15:
        return "#fc8d59"
    return "#d73027"


def _area_layer(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    standard: Standard,
    t: dict[str, str],
    tolerance: float,
    *,
    show: bool,
) -> None:
    title = f"{_standard_name(standard, t['lang'])} {standard.label}"
    for status in ("covered", "uncovered"):
        part = areas[areas["status"] == status]
        if part.empty:
            continue
        bands = part["band_minutes"].fillna(-1).to_numpy()
        limits = sorted(set(bands[bands > 0]))
        colours = {b: _BAND_COLOURS[min(i, len(_BAND_COLOURS) - 1)] for i, b in enumerate(limits)}
        features = []
        for geometry, band, people in zip(
            part.geometry.simplify(tolerance), bands, part["population"].to_numpy(), strict=True
        ):
            colour = colours.get(band, "#d73027")
            band_text = f"≤ {band:g} {t['minutes']}" if band > 0 else f"> {standard.label}"
            features.append(
                feature(
                    geometry.__geo_interface__,
                    style={"color": colour, "weight": 0.5, "fillColor": colour, "fillOpacity": 0.5},
                    tooltip=f"{band_text} · {t[status]} {t['population']} {people:,.0f}",
                )
            )
        _layer(fmap, f"{title} · {t[status]}", features, show=show and status == "uncovered")


#: Catchment fills (qualitative, ColorBrewer Set3): neighbours are told apart by their outlines.
_CATCHMENT_COLOURS = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip


def _catchment_layers(fmap: folium.Map, catchments: Catchments, t: dict[str, str], tolerance: float) -> None:
    """One layer per level: the cells each centre serves, its figures in the popup (hidden at first)."""
    table = catchments.table.set_index(["level", "facility_id"])
    for level, part in catchments.polygons.groupby("level", sort=False):
        features = []
        for i, (geometry, fid) in enumerate(
            zip(part.geometry.simplify(tolerance), part["facility_id"], strict=True)
        ):
            row = table.loc[(level, fid)]
            colour = _CATCHMENT_COLOURS[i % len(_CATCHMENT_COLOURS)]
            load = t[f"load_{row['load']}"].format(f=catchments.load_factor)
            features.append(
                feature(
                    geometry.__geo_interface__,
                    style={"color": "#555555", "weight": 1.5, "fillColor": colour, "fillOpacity": 0.45},
                    popup=popup(
                        row["name"],
                        [
                            (t["served"], f"{row['population']:,.0f}"),
                            (t["served_villages"], f"{row['villages']:,.0f}"),
                            (t["mean_minutes"], _minutes_text(row["mean_minutes"], t)),
                            (t["beds"], _count(row["beds"])),
                            (t["doctors"], _count(row["doctors"])),
                            (t["per_bed"], _ratio(row["people_per_bed"], row["county_people_per_bed"], t)),
                            (
                                t["per_doctor"],
                                _ratio(row["people_per_doctor"], row["county_people_per_doctor"], t),
                            ),
                            (t["load"], load),
                        ],
                        [t[f"catchment_{level}"]],
                    ),
                    tooltip=f"{row['name']}: {t['served']} {row['population']:,.0f}",
                )
            )
        _layer(fmap, t[f"catchment_{level}"], features, show=False)


def _count(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:,.0f}"


def _minutes_text(value: float, t: dict[str, str]) -> str:
    return "—" if pd.isna(value) else f"{value:.1f} {t['minutes']}"


def _ratio(value: float, county: float, t: dict[str, str]) -> str:
    if pd.isna(value):
        return "—"
    shown = "∞" if value == float("inf") else (f"{value:.1f}" if value < 10 else f"{value:,.0f}")
    if pd.isna(county):
        return shown
    return (
        f"{shown}（{t['county_level']} {county:,.0f}）"
        if t["lang"] == "zh"
        else f"{shown} ({t['county_level']} {county:,.0f})"
    )


def _village_layer(fmap: folium.Map, result: StudyResult, t: dict[str, str]) -> None:
    villages = result.villages
    status_cols = [] if villages is None else [c for c in villages.columns if c.endswith("_status")]
    if villages is None or not status_cols:
        return
    status = villages[status_cols[0]]
    features = []
    for (_, v), s in zip(villages.iterrows(), status, strict=True):
        if s == "fixed":
            continue
        times = [
            (_standard_name(std, t["lang"]), _minutes(v, std, t))
            for std in result.config.standards
            if std.metric == "time" and f"{std.id}_minutes" in v and applies(std, v["zone_type"])
        ]
        features.append(
            feature(
                point(v.geometry.x, v.geometry.y),
                marker={  # a plain Leaflet circle marker: no extra plug-in to ship offline
                    "kind": "circle",
                    "radius": 8,
                    "color": "#000000",
                    "weight": 2.5,
                    "fill": True,
                    "fillColor": "#d73027" if s == "none" else "#fd8d3c",
                    "fillOpacity": 0.9,
                },
                popup=popup(
                    f"{v['name']} ({v['zone_name']})",
                    [
                        (t["population"], f"{v['population']:,.0f}"),
                        (t["distance"], f"{v['clinic_straight_m']:,.0f} {t['meters']}"),
                        (t["road"], _metres(v["clinic_road_m"], t)),
                        *times,
                    ],
                    [t[s]],
                ),
                tooltip=v["name"],
            )
        )
    _layer(fmap, t["villages"], features, show=True)


def _minutes(village: pd.Series, standard: Standard, t: dict[str, str]) -> str:
    value = village[f"{standard.id}_minutes"]
    if pd.isna(value):
        return f"{t['beyond']} {standard.threshold:g} {t['minutes']}"
    return f"{value:.1f} {t['minutes']}"


def _metres(value: float, t: dict[str, str]) -> str:
    return "> 10 km" if not np.isfinite(value) else f"{value:,.0f} {t['meters']}"


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
_GLYPH_SIZE = {"county": 22, "sub-centre": 20, "township": 19, "village": 15, "other": 14}


def _glyph(code: str, *, active: bool = True) -> dict:
    """Marker of a facility type: one character on the level's colour (dashed when not counted)."""
    kind = FACILITY_TYPES.get(code, FACILITY_TYPES["other"])
    return {
        "kind": "glyph",
        "text": GLYPHS.get(code, "他"),
        "cls": f"cc-facility cc-{code}",
        "background": _LEVEL_COLOUR[kind.level] if active else "#9e9e9e",
        "size": _GLYPH_SIZE[kind.level],
        "border": "2px solid white" if active else "2px dashed #555",
        "z": _Z_BY_LEVEL[kind.level],  # higher levels drawn on top
    }


def _glyph_html(code: str) -> str:
    """Return the same glyph as static HTML, for the legend (no data in it)."""
    g = _glyph(code)
    size = g["size"]
    return (
        f"<div class='cc-legend-glyph cc-{code}' style='background:{g['background']};border:{g['border']};"
        f"width:{size}px;height:{size}px;line-height:{size - 4}px;font-size:{size - 8}px'>{g['text']}</div>"
    )


def _facility_layer(fmap: folium.Map, facilities: gpd.GeoDataFrame, t: dict[str, str], lang: str) -> None:
    counted = facilities["counted"] if "counted" in facilities else facilities["used"]
    features = []
    for (_, f), active in zip(facilities.iterrows(), counted, strict=True):
        if f["status"] == "proposed":
            continue
        kind = FACILITY_TYPES.get(f["type"], FACILITY_TYPES["other"])
        label = kind.zh if lang == "zh" else kind.en
        features.append(
            feature(
                point(f.geometry.x, f.geometry.y),
                marker=_glyph(f["type"], active=bool(active)),
                popup=popup(
                    f["name"],
                    [
                        (t["type"], f"{label} ({text(f['type_label'])})"),
                        (t["beds"], text(f.get("beds", ""))),
                        (t["status"], t.get(f["status"], f["status"])),
                    ],
                ),
                tooltip=f["name"],
            )
        )
    _layer(fmap, t["facilities"], features, show=True)


_CSS = (
    ".cc-icon{background:none;border:none}"
    ".cc-facility,.cc-legend-glyph{color:white;border-radius:4px;text-align:center;font-weight:bold;"
    "font-family:sans-serif;box-shadow:0 0 2px #333;box-sizing:content-box}"
    ".cc-popup-title{font-weight:bold;margin-bottom:2px}.cc-popup-key{color:#555}"
    ".cc-popup span,.cc-popup div{white-space:pre-wrap;overflow-wrap:anywhere}.cc-tooltip{white-space:pre}"
    "#cc-title{position:fixed;top:10px;left:50px;z-index:9999;background:white;padding:6px 10px;"
    "border:1px solid #999;border-radius:4px;font:14px sans-serif;max-width:45%}"
    "#cc-title .cc-synthetic{color:#b2182b;font-weight:bold}"
    "#cc-legend{position:fixed;bottom:30px;left:10px;z-index:9999;background:white;padding:6px 8px;"
    "border:1px solid #999;border-radius:4px;font:12px sans-serif;max-height:70%;overflow:auto}"
    "#cc-legend .cc-row{display:flex;align-items:center;gap:4px;margin:1px 0}"
    "#cc-legend .cc-dot{display:inline-block;width:10px;height:10px;border-radius:6px;"
    "border:2px solid black}"
)


class _Page(RawMacro):
    """Page title, legend, metric scale, and the GCJ-02 display shift.

    Built in Python with every data string escaped for its HTML context, and added to the
    page as raw text (never compiled as a template).
    """

    def __init__(self, result: StudyResult, t: dict[str, str], lang: str) -> None:
        super().__init__()
        self._name = "CareCirclesPage"
        self.result, self.t, self.lang = result, t, lang

    def parts(self) -> tuple[str, str, str]:
        """Return the header (title, styles, scripts), the title box and legend, the set-up script."""
        t, result = self.t, self.result
        title = result.config.title + (f" · {t['synthetic']}" if result.config.synthetic else "")
        library = asset_text("carecircles.js") + asset_text("gcj02.js")
        header = f"<title>{html_text(title)}</title><style>{_CSS}</style><script>{library}</script>"
        synthetic = f"<div class='cc-synthetic'>{t['synthetic']}</div>" if result.config.synthetic else ""
        present = [c for c in FACILITY_TYPES if c in set(result.facilities["type"])]
        names = {c: FACILITY_TYPES[c].zh if self.lang == "zh" else FACILITY_TYPES[c].en for c in present}
        legend_rows = "".join(
            f"<div class='cc-row'>{_glyph_html(code)}<span>{html_text(names[code])}</span></div>"
            for code in present
        )
        body = (
            f"<div id='cc-title'><b>{html_text(result.config.title)}</b>{synthetic}</div>"
            f"<div id='cc-legend'><b>{t['legend']}</b>"
            f"<div style='background:#1a9850;color:white;padding:0 4px'>{t['pass']}</div>"
            f"<div style='background:#fee08b;padding:0 4px'>{t['fail']} (≤5%)</div>"
            f"<div style='background:#fc8d59;padding:0 4px'>{t['fail']} (5–15%)</div>"
            f"<div style='background:#d73027;color:white;padding:0 4px'>{t['fail']} (>15%)</div>"
            f"<div style='border:2px solid #d73027;padding:0 4px'>{t['uncovered']}</div>"
            f"<div class='cc-row'><span class='cc-dot' style='background:#d73027'></span>{t['none']}</div>"
            f"<div class='cc-row'><span class='cc-dot' style='background:#fd8d3c'></span>"
            f"{t['outreach_only']}</div>{legend_rows}</div>"
        )
        if self._parent is None:
            raise TypeError("the page element must be added to a folium.Map")
        map_name = self._parent.get_name()
        script = (
            f"L.control.scale({{imperial: false}}).addTo({map_name});\n"
            f"carecirclesGcj02({map_name}, {script_json(html_text(t['base_gcj']))});\n"
        )
        return header, body, script


def build_siting_map(siting: SitingResult, lang: str = "zh") -> folium.Map:
    """Map of the study after the proposed sites: sites, their catchments, what is left."""
    return build_map(siting.after, lang=lang, extra_layers=lambda fmap: _siting_layers(fmap, siting, lang))


def _siting_layers(fmap: folium.Map, siting: SitingResult, lang: str) -> None:
    t = _LABELS[lang]
    catchments = siting.catchments
    if not catchments.empty:
        features = [
            feature(
                geometry.__geo_interface__,
                style={"color": "#762a83", "weight": 1, "fillColor": "#c2a5cf", "fillOpacity": 0.55},
                tooltip=f"{t['proposed']} {site}: {t['newly']} {people:,.0f}",
            )
            for geometry, site, people in zip(
                catchments.geometry.simplify(30 / 111_000),
                catchments["facility_id"],
                catchments["population"],
                strict=True,
            )
        ]
        _layer(fmap, t["catchments"], features, show=True)
    features = [
        feature(
            point(row.lon, row.lat),
            marker={
                "kind": "glyph",
                "text": str(int(row.rank)),
                "cls": "cc-proposed",
                "background": "#762a83",
                "size": 24,
                "border": "2px solid white",
                "z": 2000,
            },
            popup=popup(
                f"{row.facility_id} {row.name}",
                [
                    (t["zone"], row.zone_name),
                    (t["newly"], f"{row.newly_covered:,.0f}"),
                    (t["cumulative"], f"{percent(row.cumulative_share)}"),
                ],
            ),
            tooltip=f"{row.facility_id} {row.name}",
        )
        for row in siting.sites.itertuples()
    ]
    _layer(fmap, t["proposed"], features, show=True)
    outreach = siting.outreach
    if len(outreach):
        features = [
            feature(
                point(row.lon, row.lat),
                marker={"kind": "circle", "radius": 6, "color": "#e08214", "weight": 3, "fill": False},
                popup=popup(
                    getattr(row, "name", row.zone_name),
                    [(t["population"], f"{row.population:,.0f}")],
                    [row.recommendation],
                ),
            )
            for row in outreach.itertuples()
        ]
        _layer(fmap, t["outreach"], features, show=True)


def write_siting_map(siting: SitingResult, path: Path, lang: str = "zh") -> Path:
    """Build and save the siting map as one self-contained HTML file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_offline(build_siting_map(siting, lang=lang).get_root().render()), encoding="utf-8")
    return path


def write_map(result: StudyResult, path: Path, lang: str = "zh") -> Path:
    """Build and save the map as one self-contained HTML file (renders with no network)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_offline(build_map(result, lang=lang).get_root().render()), encoding="utf-8")
    return path
