"""Encoders for every place a string from input data or config lands in an output.

Each function takes any value and returns text that the target reads as *that text*, never as
code: HTML (also when it passes through a Jinja template), JSON inside ``<script>``, Markdown,
a spreadsheet cell, and a terminal line.
"""

from __future__ import annotations

import html
import json
import math
import re
import secrets
from dataclasses import dataclass

import pandas as pd

#: Characters that must not appear literally in JSON inside a ``<script>`` element.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}

#: A cell starting with one of these is read as a formula by Excel, LibreOffice or WPS.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: ASCII punctuation that Markdown (CommonMark, GitHub tables, template-driven site builders) may
#: read as syntax inside a heading or a table cell. Characters that matter only at the start of a
#: line (``-``, ``+``, ``=``, ``1.``) or after one of these (``(`` after ``]``, ``!`` before ``[``)
#: are left as they are, so codes like ``rural-30min`` stay readable in the raw file.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~<>&$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def text(value: object) -> str:
    """Return a value as display text: ``""`` for missing values, ``str`` otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def html_text(value: object) -> str:
    """Escape a value for HTML text or a quoted attribute, template delimiters included.

    ``{`` and ``}`` become character references, so the text can pass through a Jinja
    template (as Folium layer names do) without ever being read as template code.
    """
    return html.escape(text(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


#: What JSON text from GEOS (a GeoJSON geometry) may hold: numbers (or ``null``), brackets and
#: GeoJSON's own quoted words; no parentheses, no ``=``, no other string.
_GEOMETRY_CHARS = re.compile(r'\{[\[\]{}":,0-9eE+\-.A-Za-z]*\}')
_QUOTED = re.compile(r'"([^"]*)"')
_GEOMETRY_WORDS = frozenset(
    {"type", "coordinates", "geometries", "Point", "LineString", "Polygon", "MultiPoint"}
    | {"MultiLineString", "MultiPolygon", "GeometryCollection"}
)
_BARE_LETTERS = re.compile(r"[A-DF-Za-df-z]")  # outside quotes only ``null`` (and exponents' e)


def _is_geometry_json(text: str) -> bool:
    """Whether ``text`` holds only what GEOS writes for a geometry (a few passes, no backtracking)."""
    if not _GEOMETRY_CHARS.fullmatch(text):
        return False
    words = _QUOTED.findall(text)
    if text.count('"') != 2 * len(words) or not _GEOMETRY_WORDS.issuperset(words):
        return False
    return _BARE_LETTERS.search(_QUOTED.sub("", text).replace("null", "")) is None


@dataclass(frozen=True)
class GeometryJSON:
    """A GeoJSON geometry already encoded as JSON text (by GEOS): written by :func:`script_json` as is.

    A province's map pages hold millions of vertices; parsing GEOS's text into Python floats only
    to encode them again took most of the map's time. The text is checked to hold only what a
    geometry's JSON holds: numbers, ``null``, brackets and GeoJSON's own quoted words (no other
    string, no ``<``, ``>`` or ``&``).
    """

    text: str

    def __post_init__(self) -> None:
        if not _is_geometry_json(self.text):
            raise ValueError("not the JSON text of a geometry")


def script_json(value: object) -> str:
    r"""Encode a value as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\u`` escapes (no ``</script>`` or ``<!--`` can end
    or change the script), as are the line separators U+2028 and U+2029. NaN is refused.
    A :class:`GeometryJSON` is written as its text.
    """
    geometries: list[str] = []
    nonce = secrets.token_hex(16)  # unknowable to any input: no input string can pose as a slot

    def slot(item: object) -> str:
        if not isinstance(item, GeometryJSON):
            raise TypeError(f"{type(item).__name__} is not JSON")
        geometries.append(item.text)
        return f"\0{nonce}:{len(geometries) - 1}"

    encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=slot)
    for char, escape in _SCRIPT_ESCAPES.items():
        encoded = encoded.replace(char, escape)
    if geometries:
        encoded = re.sub(rf'"\\u0000{nonce}:(\d+)"', lambda m: geometries[int(m.group(1))], encoded)
    return encoded


def markdown_text(value: object, *, newline: str = "<br>") -> str:
    """Escape a value for Markdown text (a paragraph, a heading or a table cell).

    Every ASCII punctuation character Markdown may read as syntax is backslash-escaped (an
    escaped character is always literal in CommonMark), so ``<script>``, ``**``, ``[a](b)`` and
    ``|`` show as written. Line breaks become ``newline`` (``<br>`` in a table cell, where a
    line break would end the row; pass ``" "`` for a heading). Leading and trailing white space
    is dropped, as Markdown itself drops it.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text(value).strip())
    return _NEWLINES.sub(newline, escaped)


def spreadsheet_cell(value: object) -> object:
    """Neutralise a text cell a spreadsheet would run as a formula; other values unchanged.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (the OWASP rule for CSV injection): Excel, LibreOffice and WPS then show the text
    and never evaluate it. Numbers are not text and stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a table with every text cell (and column name) neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(spreadsheet_cell)
    out.columns = [spreadsheet_cell(c) for c in out.columns]
    return out


def terminal_text(value: object, *, lines: bool = False) -> str:
    r"""Show a value on a terminal: control characters (escape sequences) made visible.

    With ``lines``, line breaks are kept (a message of several lines); otherwise they are
    shown as ``\x0a`` too, so a name cannot break a table row.
    """
    pattern = _CONTROL_BUT_NEWLINE if lines else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text(value))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: object) -> str:
    r"""Text for an XML document (Word, Excel): characters XML cannot hold shown as ``\xNN``.

    XML 1.0 has no way to write NUL or most control characters, so they are made visible, as
    :func:`terminal_text` does, instead of dropped or refused.
    """
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text(value))


def percent(share: float, digits: int = 1, *, up: bool = False) -> str:
    """Format a share as a percentage that is honest at its rounding: cut, never rounded up.

    A share is shown no higher than it is, so a zone at 84.96 % against an 85 % target reads
    ``84.9%`` and everyone-but-one reads ``99.9%``, never ``100.0%``. A share above 0 never
    shows as ``0.0%``: it reads ``<0.1%`` (at one decimal). With ``up``, for a share of
    something bad (people outside, a gap), it is rounded up instead: never shown smaller.
    A share that is not a number (a standard with no one it applies to) reads ``—``.

    Examples
    --------
    >>> percent(0.0004), percent(0.99996), percent(1.0), percent(0.5), percent(0.84996)
    ('<0.1%', '99.9%', '100.0%', '50.0%', '84.9%')
    >>> percent(0.2996, up=True), percent(0.0004, up=True), percent(0.99996, up=True)
    ('30.0%', '0.1%', '>99.9%')
    """
    if share is None or not math.isfinite(float(share)):
        return "—"
    step = 10.0**-digits
    value = share * 100
    scale = 10**digits
    if up:
        shown = math.ceil(value * scale * (1 - 1e-12)) / scale
        if value < 100 and shown >= 100:
            return f">{100 - step:.{digits}f}%"
        return f"{shown:.{digits}f}%"
    shown = math.floor(value * scale * (1 + 1e-12)) / scale
    if value > 0 and shown == 0:
        return f"<{step:.{digits}f}%"
    return f"{shown:.{digits}f}%"


def decimals_down(value: float, digits: int = 2) -> str:
    """Format a figure cut (not rounded) to ``digits`` decimals, so it never reads higher than it is.

    ``—`` for a missing or infinite value.

    Examples
    --------
    >>> decimals_down(7.249), decimals_down(4.0), decimals_down(float("nan"))
    ('7.24', '4.00', '—')
    """
    if not math.isfinite(value):
        return "—"
    step = 10**digits
    return f"{math.floor(value * step + 1e-9) / step:.{digits}f}"
