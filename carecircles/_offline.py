"""Make a Folium page self-contained: vendored JS/CSS inlined, unused CDN assets dropped."""

from __future__ import annotations

import base64
import re
from importlib import resources

from carecircles._errors import CareCirclesError

_ASSETS = resources.files("carecircles") / "_assets"

#: CDN URL pattern → vendored file. Leaflet is pinned to the vendored version whatever folium asks.
_INLINE = (
    (re.compile(r"/leaflet@[\d.]+/dist/leaflet\.js$"), "leaflet.js"),
    (re.compile(r"/leaflet@[\d.]+/dist/leaflet\.css$"), "leaflet.css"),
    (re.compile(r"/jquery-3\.[\d.]+(\.min)?\.js$"), "jquery.min.js"),
    (re.compile(r"/leaflet\.fullscreen@[\d.]+/Control\.FullScreen(\.min)?\.js$"), "Control.FullScreen.js"),
    (re.compile(r"/leaflet\.fullscreen@[\d.]+/Control\.FullScreen\.css$"), "Control.FullScreen.css"),
)
#: Folium defaults the maps do not use (Bootstrap, Font Awesome, awesome-markers).
_DROP = re.compile(r"bootstrap|glyphicons|fontawesome|awesome-markers|awesome\.rotate")
_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/>')
_CSS_URL = re.compile(r"url\((images/[\w.-]+\.png|icon-fullscreen\.svg)\)")


def asset_text(name: str) -> str:
    """Text of a vendored asset."""
    return (_ASSETS / name).read_text(encoding="utf-8")


def _data_uri(match: re.Match[str]) -> str:
    name = match.group(1)
    mime = "image/svg+xml" if name.endswith(".svg") else "image/png"
    data = base64.b64encode((_ASSETS / name).read_bytes()).decode("ascii")
    return f"url(data:{mime};base64,{data})"


def _inline(url: str, kind: str) -> str:
    for pattern, name in _INLINE:
        if pattern.search(url):
            text = asset_text(name)
            if kind == "css":
                return f"<style>/* {name} */\n{_CSS_URL.sub(_data_uri, text)}</style>"
            return f"<script>/* {name} */\n{text}</script>"
    if _DROP.search(url):
        return ""
    raise CareCirclesError(f"map asset {url} is not vendored: the map would need the internet")


def make_offline(html: str) -> str:
    """Inline every script and style sheet a Folium page loads from a CDN.

    Raises
    ------
    CareCirclesError
        If the page loads an asset that is neither vendored nor known to be unused.
    """
    html = _SCRIPT.sub(lambda m: _inline(m.group(1), "js"), html)
    return _STYLE.sub(lambda m: _inline(m.group(1), "css"), html)
