"""What the map shows, as one JSON-ready object: standards, zones, overlays, base maps, words.

:class:`MapData` gathers it from a finished study (and a siting run); ``_assets/carecircles.js``
draws it. The figures are those of ``zones.csv``, the report and the CLI
(:func:`carecircles.assessment.whole_people`), shares shown with :func:`carecircles._encode.percent`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from carecircles import palette
from carecircles._encode import percent, text
from carecircles._page import feature, popup
from carecircles.analysis import StudyResult
from carecircles.assessment import whole_people
from carecircles.labels import label, labels, people_text, standard_title, threshold_text, verdict_text
from carecircles.map_overlays import Overlays, _minutes, _rounded_all, _swatch
from carecircles.siting import SitingResult
from carecircles.standards import Standard
from carecircles.summary import outside_text, standard_name, summary_lines

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


def _first_rows(rows: pd.DataFrame) -> dict[object, pd.Series]:
    """Return each zone code's first row of ``rows``."""
    first: dict[object, int] = {}
    for i, code in enumerate(rows["zone_code"]):
        first.setdefault(code, i)
    return {code: rows.iloc[i] for code, i in first.items()}


@dataclass(frozen=True)
class _View:
    """One choice of the map: a standard in the base case, or in a speed scenario."""

    key: str  # the standard's id, or <id>@<scenario>
    standard: Standard
    people: pd.DataFrame
    areas: gpd.GeoDataFrame
    suffix: str  # after the standard's name: the scenario's title
    summary: tuple[str, str]


class MapData:
    """The map's content as one JSON-ready object, read by ``_assets/carecircles.js``."""

    def __init__(self, result: StudyResult, lang: str, tolerance: float, siting: SitingResult | None) -> None:
        self.result, self.lang, self.tolerance, self.siting = result, lang, tolerance, siting
        self.people = whole_people(result.zone_results)  # the figures of zones.csv, report and CLI
        self.standards = [
            s for s in result.config.standards if not self.people[self.people["standard"] == s.id].empty
        ]
        lines = summary_lines(result, lang)
        self.views = [
            _View(s.id, s, self.people, result.areas, "", line)
            for s, line in zip(self.standards, lines, strict=True)
        ]
        for scenario in result.scenarios.values() if siting is None else ():
            suffix = f"（{scenario.title}）" if lang == "zh" else f" ({scenario.title})"
            people = whole_people(scenario.zone_results)
            found = summary_lines(result, lang, zone_results=scenario.zone_results, suffix=suffix)
            self.views += [
                _View(f"{s.id}@{scenario.id}", s, people, scenario.areas, suffix, line)
                for s, line in zip(self.standards, found, strict=True)
                if s.metric == "time"
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
            "standards": [self._standard(v) for v in self.views],
            "first": first,
            "zones": self._zones(),
            "overlays": Overlays(result, lang, self.tolerance, self.standards, self.siting).all(),
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

    def _standard(self, v: _View) -> dict:
        lang, s = self.lang, v.standard
        return {
            "id": v.key,
            "name": standard_name(s, lang) + v.suffix,
            "summary": v.summary[1],
            "verdict": "pass" if v.summary[0] == "pass" else "fail",
            "uncoveredLayer": label("uncovered_area", lang, d=threshold_text(s, lang)) + v.suffix,
            "bandsLayer": label("covered_band", lang, d=threshold_text(s, lang)) + v.suffix,
            "areas": self._areas(v),
            # a scenario's covered bands would double the page for little: its gaps are what differ
            "bands": self._bands(v) if v.key == s.id else {"features": [], "legend": []},
        }

    def _zones(self) -> list[dict]:
        lang, result = self.lang, self.result
        zones = result.zones
        points = zones.geometry.representative_point()
        shapes = _rounded_all(
            shapely.simplify(zones.geometry.to_numpy(), self.tolerance, preserve_topology=True)
        )
        # each view's rows by zone code, found once: an index page holds a province's zones
        found = [
            (view, _first_rows(view.people[view.people["standard"] == view.standard.id]))
            for view in self.views
        ]
        population = self.people.groupby("zone_code", sort=False)["population"].max()
        out = []
        for (_, z), at, shape in zip(zones.iterrows(), points, shapes, strict=True):
            classes, shares, rows = {}, {}, []
            people_here = float(population.get(z["zone_code"], 0.0))
            for view, first in found:
                s = view.standard
                r = first.get(z["zone_code"])
                if r is None:
                    continue
                v = palette.verdict(r["passes"], r["covered_share"], s.target_share)
                classes[view.key] = v
                shares[view.key] = "" if r["population"] <= 0 else percent(r["covered_share"])
                name = f"{standard_title(s, lang)} {threshold_text(s, lang)}{view.suffix}"
                rows.append((name, self._zone_line(s, r, v)))
            rows.extend(self._siting_rows(z["zone_code"]))
            out.append(
                feature(
                    shape,
                    popup=popup(
                        f"{z['zone_name']} ({z['zone_code']})",
                        [
                            (
                                label("population", lang),
                                people_text(people_here, lang),
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
                    "weight": people_here,
                }
            )
        return out

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
            outside = outside_text(r, s, lang)
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

    def _areas(self, view: _View) -> list[dict]:
        areas = view.areas
        part = areas[(areas["standard"] == view.standard.id) & (areas["status"] == "uncovered")]
        style = {
            "color": palette.UNCOVERED_COLOUR,
            "weight": 0.6,
            "fillColor": palette.UNCOVERED_COLOUR,
            "fillOpacity": palette.UNCOVERED_OPACITY,
        }
        return [
            feature(g, style=style)
            for g in _rounded_all(
                shapely.simplify(part.geometry.to_numpy(), self.tolerance, preserve_topology=True)
            )
        ]

    def _bands(self, view: _View) -> dict:
        areas = view.areas
        part = areas[(areas["standard"] == view.standard.id) & (areas["status"] == "covered")]
        if part.empty:
            return {"features": [], "legend": []}
        bands = part["band_minutes"].fillna(-1).to_numpy()
        limits = sorted(set(bands[bands > 0]))
        colours = {
            b: palette.BAND_COLOURS[min(i, len(palette.BAND_COLOURS) - 1)] for i, b in enumerate(limits)
        }
        features = []
        shapes = _rounded_all(
            shapely.simplify(part.geometry.to_numpy(), self.tolerance, preserve_topology=True)
        )
        for g, b in zip(shapes, bands, strict=True):
            c = colours.get(b, palette.BAND_COLOURS[-1])
            style = {"color": c, "weight": 0.4, "fillColor": c, "fillOpacity": palette.BAND_OPACITY}
            features.append(feature(g, style=style))
        legend = [
            _swatch(colours[b], palette.BAND_OPACITY, label("within", self.lang, d=_minutes(b, self.lang)))
            for b in limits
        ]
        return {"features": features, "legend": legend}

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
