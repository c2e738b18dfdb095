"""Interactive Folium map of a study.

Compliance by zone, covered and uncovered areas, villages beyond 2.5 km, facilities by type.
Popups in Chinese by default; every string from input data is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from carecircles._offline import asset_text, make_offline
from carecircles.analysis import StudyResult
from carecircles.assessment import applies
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
    },
    "en": {
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
    },
}


def esc(value: object) -> str:
    """HTML-escape any value for a popup or tooltip (quotes included)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


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
    for standard in result.config.standards:
        rows = result.zone_results[
            (result.zone_results["standard"] == standard.id) & (result.zone_results["zone_code"] != "ALL")
        ]
        if rows.empty:
            continue
        show = standard.metric == "time" and standard.zone_type not in shown
        if show:
            shown.add(standard.zone_type)
        _zone_layer(fmap, zones, rows, standard, t, tolerance, show=show)
        areas = result.areas[result.areas["standard"] == standard.id]
        if not areas.empty:
            _area_layer(fmap, areas, standard, t, tolerance, show=show)
    if result.villages is not None:
        _village_layer(fmap, result, t)
    _facility_layer(fmap, result.facilities, result, t, lang)
    if extra_layers is not None:
        extra_layers(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _MapExtras(t["base_gcj"]).add_to(fmap)
    _title(fmap, result, t, lang)
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


class _MapExtras(MacroElement):
    """A metric scale bar, and overlays shifted to GCJ-02 while the GCJ-02 base map is chosen."""

    _template = Template(
        "{% macro header(this, kwargs) %}<script>{{ this.library }}</script>{% endmacro %}"
        "{% macro script(this, kwargs) %}{% set map = this._parent.get_name() %}"
        "L.control.scale({imperial: false}).addTo({{ map }});"
        "carecirclesGcj02({{ map }}, {{ this.layer_name|tojson }});{% endmacro %}"
    )

    def __init__(self, layer_name: str) -> None:
        super().__init__()
        self._name = "MapExtras"
        self.layer_name = layer_name
        self.library = asset_text("gcj02.js")


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
    layer = folium.FeatureGroup(name=f"{standard.title_zh} {standard.label} · {t['zone']}", show=show)
    merged = zones.merge(
        rows[["zone_code", "population", "covered_share", "passes", "uncovered_population"]], on="zone_code"
    )
    for _, z in merged.iterrows():
        share = z["covered_share"]
        colour = _share_colour(share, standard.target_share)
        verdict = t["na"] if pd.isna(z["passes"]) else (t["pass"] if z["passes"] else t["fail"])
        popup = (
            f"<b>{esc(z['zone_name'])}</b> ({esc(z['zone_code'])})<br>{esc(standard.title_zh)} "
            f"{esc(standard.label)}<br>{t['population']}: {z['population']:,.0f}<br>"
            f"{t['share']}: {'' if pd.isna(share) else f'{share:.1%}'} ({t['target']} "
            f"{standard.target_share:.0%}) — <b>{verdict}</b><br>{t['uncovered_pop']}: "
            f"{z['uncovered_population']:,.0f}"
        )
        folium.GeoJson(
            z.geometry.simplify(tolerance).__geo_interface__,
            style_function=lambda _, c=colour: {
                "color": "#333333",
                "weight": 1.2,
                "fillColor": c,
                "fillOpacity": 0.35,
            },
            tooltip=folium.Tooltip(f"{esc(z['zone_name'])}: {verdict}"),
            popup=folium.Popup(popup, max_width=320),
        ).add_to(layer)
    layer.add_to(fmap)


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
    for status in ("covered", "uncovered"):
        part = areas[areas["status"] == status]
        if part.empty:
            continue
        layer = folium.FeatureGroup(
            name=f"{standard.title_zh} {standard.label} · {t[status]}", show=show and status == "uncovered"
        )
        bands = part["band_minutes"].fillna(-1).to_numpy()
        limits = sorted(set(bands[bands > 0]))
        colours = {b: _BAND_COLOURS[min(i, len(_BAND_COLOURS) - 1)] for i, b in enumerate(limits)}
        display = gpd.GeoDataFrame(
            {
                "population": part["population"].round(0).astype(int),
                "band": [f"≤ {b:g} {t['minutes']}" if b > 0 else f"> {standard.label}" for b in bands],
                "colour": [colours.get(b, "#d73027") for b in bands],
            },
            geometry=part.geometry.simplify(tolerance),
            crs=4326,
        )
        folium.GeoJson(
            display.to_json(drop_id=True),
            style_function=lambda feature: {
                "color": feature["properties"]["colour"],
                "weight": 0.5,
                "fillColor": feature["properties"]["colour"],
                "fillOpacity": 0.5,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["band", "population"], aliases=[t["band"], f"{t[status]} {t['population']}"]
            ),
        ).add_to(layer)
        layer.add_to(fmap)


def _village_layer(fmap: folium.Map, result: StudyResult, t: dict[str, str]) -> None:
    villages = result.villages
    status_cols = [c for c in villages.columns if c.endswith("_status")]
    if not status_cols:
        return
    status = villages[status_cols[0]]
    layer = folium.FeatureGroup(name=t["villages"], show=True)
    for (_, v), s in zip(villages.iterrows(), status, strict=True):
        if s == "fixed":
            continue
        colour = "#d73027" if s == "none" else "#fd8d3c"
        times = "".join(
            f"<br>{esc(std.title_zh if t is _LABELS['zh'] else std.title_en)}: {_minutes(v, std, t)}"
            for std in result.config.standards
            if std.metric == "time" and f"{std.id}_minutes" in v and applies(std, v["zone_type"])
        )
        popup = (
            f"<b>{esc(v['name'])}</b> ({esc(v['zone_name'])})<br>{t['population']}: {v['population']:,.0f}"
            f"<br>{t[s]}<br>{t['distance']}: {v['clinic_straight_m']:,.0f} {t['meters']}"
            f"<br>{t['road']}: {_metres(v['clinic_road_m'], t)}{times}"
        )
        folium.CircleMarker(  # a plain Leaflet marker: no extra plug-in to ship offline
            [v.geometry.y, v.geometry.x],
            radius=8,
            color="#000000",
            weight=2.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            popup=folium.Popup(popup, max_width=300),
            tooltip=esc(v["name"]),
        ).add_to(layer)
    layer.add_to(fmap)


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


def _glyph_html(code: str, *, active: bool = True, css_class: str = "cc-facility") -> str:
    kind = FACILITY_TYPES.get(code, FACILITY_TYPES["other"])
    colour = _LEVEL_COLOUR[kind.level] if active else "#9e9e9e"
    size = _GLYPH_SIZE[kind.level]
    border = "2px solid white" if active else "2px dashed #555"
    return (
        f"<div class='{css_class} cc-{code}' style='background:{colour};color:white;border:{border};"
        f"border-radius:4px;width:{size}px;height:{size}px;line-height:{size - 4}px;text-align:center;"
        f"font:bold {size - 8}px sans-serif;box-shadow:0 0 2px #333'>{GLYPHS.get(code, '他')}</div>"
    )


def _facility_layer(
    fmap: folium.Map, facilities: gpd.GeoDataFrame, result: StudyResult, t: dict[str, str], lang: str
) -> None:
    layer = folium.FeatureGroup(name=t["facilities"], show=True)
    counted = facilities["counted"] if "counted" in facilities else facilities["used"]
    for (_, f), active in zip(facilities.iterrows(), counted, strict=True):
        if f["status"] == "proposed":
            continue
        kind = FACILITY_TYPES.get(f["type"], FACILITY_TYPES["other"])
        label = kind.zh if lang == "zh" else kind.en
        popup = (
            f"<b>{esc(f['name'])}</b><br>{t['type']}: {esc(label)} ({esc(f['type_label'])})"
            f"<br>{t['beds']}: {esc(f.get('beds', ''))}"
            f"<br>{t['status']}: {esc(t.get(f['status'], f['status']))}"
        )
        size = _GLYPH_SIZE[kind.level]
        folium.Marker(
            [f.geometry.y, f.geometry.x],
            icon=folium.DivIcon(
                html=_glyph_html(f["type"], active=bool(active)),
                icon_size=(size, size),
                icon_anchor=(size // 2, size // 2),
            ),
            popup=folium.Popup(popup, max_width=300),
            tooltip=esc(f["name"]),
            z_index_offset=_Z_BY_LEVEL[kind.level],  # higher levels drawn on top
        ).add_to(layer)
    layer.add_to(fmap)


def _title(fmap: folium.Map, result: StudyResult, t: dict[str, str], lang: str) -> None:
    synthetic = (
        f"<div style='color:#b2182b;font-weight:bold'>{t['synthetic']}</div>"
        if result.config.synthetic
        else ""
    )
    present = [c for c in FACILITY_TYPES if c in set(result.facilities["type"])]
    names = {c: FACILITY_TYPES[c].zh if lang == "zh" else FACILITY_TYPES[c].en for c in present}
    legend_rows = "".join(
        f"<div style='display:flex;align-items:center;gap:4px;margin:1px 0'>"
        f"{_glyph_html(code, css_class='cc-legend-glyph')}<span>{esc(names[code])}</span></div>"
        for code in present
    )
    box = (
        "<div id='cc-title' style='position:fixed;top:10px;left:50px;z-index:9999;background:white;"
        "padding:6px 10px;border:1px solid #999;border-radius:4px;font:14px sans-serif;max-width:45%'>"
        f"<b>{esc(result.config.title)}</b>{synthetic}</div>"
        "<div id='cc-legend' style='position:fixed;bottom:30px;left:10px;z-index:9999;background:white;"
        "padding:6px 8px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-height:70%;"
        f"overflow:auto'><b>{t['legend']}</b>"
        f"<div style='background:#1a9850;color:white;padding:0 4px'>{t['pass']}</div>"
        f"<div style='background:#fee08b;padding:0 4px'>{t['fail']} (≤5%)</div>"
        f"<div style='background:#fc8d59;padding:0 4px'>{t['fail']} (5–15%)</div>"
        f"<div style='background:#d73027;color:white;padding:0 4px'>{t['fail']} (>15%)</div>"
        f"<div style='border:2px solid #d73027;padding:0 4px'>{t['uncovered']}</div>"
        f"<div style='margin:2px 0'><span style='display:inline-block;width:10px;height:10px;"
        f"border-radius:6px;border:2px solid black;background:#d73027'></span> {t['none']}</div>"
        f"<div style='margin:2px 0'><span style='display:inline-block;width:10px;height:10px;"
        f"border-radius:6px;border:2px solid black;background:#fd8d3c'></span> {t['outreach_only']}</div>"
        f"{legend_rows}</div>"
    )
    fmap.get_root().html.add_child(folium.Element(box))


def build_siting_map(siting: SitingResult, lang: str = "zh") -> folium.Map:
    """Map of the study after the proposed sites: sites, their catchments, what is left."""
    return build_map(siting.after, lang=lang, extra_layers=lambda fmap: _siting_layers(fmap, siting, lang))


def _siting_layers(fmap: folium.Map, siting: SitingResult, lang: str) -> None:
    t = _LABELS[lang]
    catchments = siting.catchments
    if not catchments.empty:
        layer = folium.FeatureGroup(name=t["catchments"], show=True)
        display = gpd.GeoDataFrame(
            {"site": catchments["facility_id"], "population": catchments["population"].round(0).astype(int)},
            geometry=catchments.geometry.simplify(30 / 111_000),
            crs=4326,
        )
        folium.GeoJson(
            display.to_json(drop_id=True),
            style_function=lambda _: {
                "color": "#762a83",
                "weight": 1,
                "fillColor": "#c2a5cf",
                "fillOpacity": 0.55,
            },
            tooltip=folium.GeoJsonTooltip(fields=["site", "population"], aliases=[t["proposed"], t["newly"]]),
        ).add_to(layer)
        layer.add_to(fmap)
    layer = folium.FeatureGroup(name=t["proposed"], show=True)
    for row in siting.sites.itertuples():
        popup = (
            f"<b>{esc(row.facility_id)} {esc(row.name)}</b><br>{t['zone']}: {esc(row.zone_name)}"
            f"<br>{t['newly']}: {row.newly_covered:,.0f}<br>{t['cumulative']}: {row.cumulative_share:.1%}"
        )
        folium.Marker(
            [row.lat, row.lon],
            icon=folium.DivIcon(
                html=f"<div style='background:#762a83;color:white;border:2px solid white;border-radius:12px;"
                f"width:24px;height:24px;line-height:20px;text-align:center;font:bold 13px sans-serif'>"
                f"{int(row.rank)}</div>",
                icon_size=(24, 24),
                icon_anchor=(12, 12),
            ),
            popup=folium.Popup(popup, max_width=300),
            tooltip=esc(f"{row.facility_id} {row.name}"),
        ).add_to(layer)
    layer.add_to(fmap)
    outreach = siting.outreach
    if len(outreach):
        layer = folium.FeatureGroup(name=t["outreach"], show=True)
        for row in outreach.itertuples():
            folium.CircleMarker(
                [row.lat, row.lon],
                radius=6,
                color="#e08214",
                weight=3,
                fill=False,
                popup=folium.Popup(
                    f"{esc(getattr(row, 'name', row.zone_name))}<br>{t['population']}: {row.population:,.0f}"
                    f"<br>{esc(row.recommendation)}",
                    max_width=300,
                ),
            ).add_to(layer)
        layer.add_to(fmap)


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
