"""Putting data into a Folium page safely: as JSON data, never as template or HTML source.

Folium and branca render every element's script through Jinja twice: ``MacroElement.render``
wraps its output in ``Element(output)``, which compiles that output as a *new template*. A name
such as ``{{ 7*7 }}`` placed in any Folium element therefore runs as template code, and folium's
``Tooltip`` places text inside a JavaScript template literal, where a backtick or ``${`` breaks
out. So carecircles places no string from input data in a Folium element:

- data layers go to the page as JSON (:func:`script_json`) through :class:`DataLayer`, whose
  output is added to the page as is (:class:`Raw`), never compiled; the page's own script
  (``_assets/carecircles.js``) builds popups, tooltips and marker glyphs with ``textContent``;
- the few strings that Leaflet itself places as HTML (layer names in the layer control) are
  HTML-escaped with the template delimiters encoded too (:func:`html_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import Element, Figure, MacroElement

from carecircles._encode import GeometryJSON, script_json, text


class Raw(Element):
    """Text placed in the page exactly as given: never compiled as a template."""

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.content = content

    def render(self, **kwargs: object) -> str:
        """Return the content unchanged."""
        return self.content


class RawMacro(MacroElement):
    """A page element whose header, body and script parts are built in Python.

    Unlike branca's ``MacroElement``, the parts are added to the page as :class:`Raw` text, so
    data in them is never evaluated as a template. Subclasses override :meth:`parts`.
    """

    def parts(self) -> tuple[str, str, str]:
        """Return the (header, body HTML, script) parts; empty strings are skipped."""
        raise NotImplementedError

    def render(self, **kwargs: object) -> str:
        """Add the parts to the figure as raw text (nothing is rendered in place)."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a RawMacro must be inside a Figure (add it to a folium.Map)")
        header, body, script = self.parts()
        name = self.get_name()
        if header:
            figure.header.add_child(Raw(header), name=name)
        if body:
            figure.html.add_child(Raw(body), name=name)
        if script:
            figure.script.add_child(Raw(script), name=name)
        return ""


class DataLayer(RawMacro):
    """GeoJSON features added to their parent layer by ``carecircles.addGeoJson``.

    Parameters
    ----------
    features
        GeoJSON features whose properties follow ``_assets/carecircles.js``: ``style``,
        ``marker``, ``popup`` and ``tooltip``.
    """

    def __init__(self, features: list[dict]) -> None:
        super().__init__()
        self._name = "DataLayer"
        self.features = features

    def parts(self) -> tuple[str, str, str]:
        """Return the script that adds the features to the parent layer."""
        collection = {"type": "FeatureCollection", "features": self.features}
        parent = self._parent.get_name() if self._parent is not None else "map"
        return "", "", f"carecircles.addGeoJson({parent}, {script_json(collection)});\n"


def feature(
    geometry: dict | GeometryJSON,
    *,
    style: dict | None = None,
    marker: dict | None = None,
    popup: dict | None = None,
    tooltip: object = None,
) -> dict:
    """One GeoJSON feature for a :class:`DataLayer`."""
    properties: dict[str, object] = {}
    if style is not None:
        properties["style"] = style
    if marker is not None:
        properties["marker"] = marker
    if popup is not None:
        properties["popup"] = popup
    if tooltip is not None:
        properties["tooltip"] = text(tooltip)
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def popup(title: object, rows: Sequence[tuple[str, object]] = (), lines: Sequence[object] = ()) -> dict:
    """Describe a popup: a title, ``label: value`` rows and free lines, all shown as text."""
    return {
        "title": text(title),
        "rows": [[text(label), text(value)] for label, value in rows],
        "lines": [text(line) for line in lines],
    }


def point(lon: float, lat: float) -> dict:
    """Return a GeoJSON point geometry."""
    return {"type": "Point", "coordinates": [round(float(lon), 7), round(float(lat), 7)]}
