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

from collections.abc import Sequence
from pathlib import Path

import folium

from carecircles._encode import html_text, script_json
from carecircles._offline import asset_text, make_offline
from carecircles._page import RawMacro
from carecircles.analysis import StudyResult
from carecircles.map_content import MapData
from carecircles.map_overlays import GLYPHS
from carecircles.siting import SitingResult


def build_map(
    result: StudyResult,
    lang: str = "zh",
    simplify_m: float = 30.0,
    siting: SitingResult | None = None,
    extra: dict | None = None,
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
    extra
        Added to the page's data: ``back`` (a county page's link to the province index) or
        ``counties`` (the index's county ranking), see :mod:`carecircles.province`.
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
    data = MapData(result, lang, simplify_m / 111_000, siting).build() | (extra or {})
    _Page(data, lang).add_to(fmap)
    return fmap


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
    """Map of the study after the proposed sites: before → after per zone, sites on top, what is left.

    For a province study, the counties where sites are proposed
    (:func:`carecircles.province.sited_counties`): a whole province's detail would not fit a page.
    """
    from carecircles.province import is_province, sited_counties

    after = siting.after
    if is_province(after.zones):
        after = sited_counties(after, siting.sites["zone_code"].dropna().astype(str).tolist())
    return build_map(after, lang=lang, siting=siting)


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
    """Build and save the map as one self-contained HTML file (renders with no network).

    A province study (zones of two counties or more) gets an index page at ``path`` and one
    page per county beside it (:func:`carecircles.province.write_province_maps`).
    """
    from carecircles.province import is_province, write_province_maps

    if is_province(result.zones):
        write_province_maps(
            result,
            path,
            lambda part, page, extra: _write(build_map(part, lang=lang, extra=extra), page, lang),
            lang,
        )
        return path
    return _write(build_map(result, lang=lang), path, lang)


__all__: Sequence[str] = ("GLYPHS", "build_map", "build_siting_map", "write_map", "write_siting_map")
