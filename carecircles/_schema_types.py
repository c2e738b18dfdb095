"""Building blocks of the config schema: value types, constants and small validators.

Shared by :mod:`carecircles.schema` and its scorecard section; no model of a whole section here.
"""

from __future__ import annotations

import codecs
import re
import typing
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AllowInfNan,
    ConfigDict,
    Field,
    Strict,
    StrictStr,
)

from carecircles._schema_walk import (
    Allowed,
)
from carecircles.coords import parse_datum
from carecircles.network import _ALL_KNOWN_CLASSES as KNOWN_ROAD_CLASSES
from carecircles.network import DEFAULT_SPEEDS_KMH
from carecircles.standards import FACILITY_TYPES

#: Travel modes with a default speed table (others may be defined under ``speeds``).
MODES = tuple(DEFAULT_SPEEDS_KMH)
#: Kinds of candidate site for siting.
CANDIDATE_KINDS = ("villages", "zone_centres", "road_nodes")
#: New sites proposed when ``k`` is not given, for time standards (distance standards: no limit).
DEFAULT_SITES = 3
#: Standards tested when the config lists none.
DEFAULT_STANDARD_IDS = ("urban-15min", "rural-30min", "village-2.5km")

_FORBID = ConfigDict(extra="forbid", frozen=True)
_FORBID_DC = ConfigDict(extra="forbid")

Number = Annotated[float, Strict(), AllowInfNan(False)]
Text = Annotated[StrictStr, Field(min_length=1)]
#: An input file, relative to the config file.
FilePath = Annotated[Text, Field(description="a file path (text), relative to the config file")]

Speed = Annotated[Number, Field(ge=0, description="a speed in km/h (a number, 0 or more; 0: not usable)")]
#: Road classes a speed may be given for (``*``: classes not listed).
ROAD_CLASSES = ("*", *sorted(set(KNOWN_ROAD_CLASSES) - {"*"}))
RoadClass = Annotated[StrictStr, Allowed(ROAD_CLASSES, name="road class")]
Mode = Annotated[StrictStr, Allowed(MODES, name="mode")]
SpeedTable = Annotated[dict[RoadClass, Speed], Field(description="a mapping {road class: km/h}")]


_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
#: Longest study name, in characters (CJK takes 3 bytes of a 255-byte file name).
MAX_NAME_CHARS = 64


def safe_file_name(text: str, fallback: str = "study") -> str:
    r"""Make ``text`` usable as one file name on Linux, macOS and Windows; keep CJK.

    The rule: Unicode NFKC (so full-width ``／`` becomes ``/``); ``/ \\ : * ? " < > |``,
    control and other invisible characters and line breaks become ``_``; whitespace becomes
    one space; runs of ``_`` and of ``.`` shrink to one; leading dots, spaces and ``_`` and
    trailing dots and spaces go; at most :data:`MAX_NAME_CHARS` characters; a Windows device
    name (``CON``, ``NUL``, ``COM1`` …) gets a ``_``; an empty result is ``fallback``.
    The result has no path separator and cannot be ``.`` or ``..``.

    Examples
    --------
    >>> safe_file_name("../../etc/靖宇县")
    'etc_靖宇县'
    >>> safe_file_name("my-county")
    'my-county'
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join("_" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"_{2,}", "_", text)
    text = text.lstrip(". _").rstrip(". ")
    text = text[:MAX_NAME_CHARS].rstrip(". ")
    if _RESERVED.match(text):
        text += "_"
    return text or fallback


def _doc(text: str) -> dict[str, Any]:
    """Say what a key does, for the README's reference (``description`` says what it takes)."""
    return {"doc": text}


def _encoding(value: str) -> str:
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise ValueError("unknown text encoding") from None


#: A text encoding Python knows (``gbk``, ``gb18030``, ``utf-8`` …), for layers without a .cpg.
Encoding = Annotated[
    StrictStr,
    AfterValidator(_encoding),
    Field(description="a text encoding, e.g. gbk, gb18030 or utf-8"),
]


def _column(what: str) -> Any:
    """Return a column-name option (``None``: the column is found by common names)."""
    return Field(
        default=None, description="a column name (text)", json_schema_extra=_doc(f"the {what} column")
    )


def _encoding_field() -> Any:
    """Return the ``encoding`` option of a layer read by GDAL or pandas."""
    return Field(
        default=None,
        description="a text encoding, e.g. gbk, gb18030 or utf-8",
        json_schema_extra=_doc("the encoding of a layer's text when it has no .cpg (default: detected)"),
    )


def _path_only(value: object) -> object:
    """Read an input given as a bare path string as ``{path: ...}``."""
    return {"path": value} if isinstance(value, str) else value


def _id_only(key: str) -> typing.Callable[[object], object]:
    def wrap(value: object) -> object:
        return {key: value} if isinstance(value, str) else value

    return wrap


def _datum(value: str) -> str:
    datum = parse_datum(value)
    if datum is None or not value.strip():
        raise ValueError("unknown datum")
    return datum


def _candidate_kind(value: str) -> str:
    if value not in CANDIDATE_KINDS:
        raise ValueError("unknown candidate kind")
    return value


def _facility_type(value: str) -> str:
    if value not in FACILITY_TYPES:
        raise ValueError("unknown facility type")
    return value


FacilityType = Annotated[
    StrictStr,
    AfterValidator(_facility_type),
    Allowed(FACILITY_TYPES),
    Field(description="a facility type (" + ", ".join(FACILITY_TYPES) + ")"),
]
CandidateKind = Annotated[
    StrictStr,
    AfterValidator(_candidate_kind),
    Allowed(CANDIDATE_KINDS),
    Field(description="a candidate kind: " + ", ".join(CANDIDATE_KINDS)),
]
_TYPES_WORDS = "a list of facility types (" + ", ".join(FACILITY_TYPES) + ")"
