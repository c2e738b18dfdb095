"""The study config schema: every section and key, with types, ranges, defaults and errors.

This module is the single place that defines what a study config may hold. It imports no
analysis code, only pydantic, the error type and constant tables (facility types from
``standards``, datum names from ``coords``, speed tables from ``network``), so every other
module may import it. :func:`validate_config` turns a parsed YAML document into a :class:`ConfigFile` or
stops with an :class:`~carecircles._errors.InputError` naming the file, the key path (e.g.
``inputs.facilities.daturn``), what was expected in plain words and, for a typo, the key or
value that was probably meant. Nothing is coerced silently: ``"false"`` is not a boolean and
``"2km"`` is not a number.
"""

from __future__ import annotations

import difflib
import itertools
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from carecircles._errors import InputError
from carecircles._schema_scorecard import (
    ScorecardOptions,
)
from carecircles._schema_terrain import ScenarioEntry, TerrainOptions
from carecircles._schema_types import (
    _FORBID,
    _FORBID_DC,
    _TYPES_WORDS,
    CANDIDATE_KINDS,
    DEFAULT_SITES,
    DEFAULT_STANDARD_IDS,
    MODES,
    ROAD_CLASSES,
    CandidateKind,
    Encoding,
    FacilityType,
    FilePath,
    Mode,
    Number,
    SpeedTable,
    Text,
    _column,
    _datum,
    _doc,
    _encoding_field,
    _id_only,
    _path_only,
    safe_file_name,
)
from carecircles._schema_walk import (
    Allowed,
    dotted,
    line_of,
    problem,
    reference_markdown,
    show,
    suggest,
    translate,
)
from carecircles.coords import _DATUM_ALIASES
from carecircles.plans import INDICATORS
from carecircles.standards import DEFAULT_STANDARDS, FACILITY_TYPES

# ---------------------------------------------------------------------------------------------
# study, inputs, output


class Study(BaseModel):
    """The ``study`` section."""

    model_config = _FORBID

    name: Text | None = Field(
        default=None,
        description="a short name for file names (text, made file-name safe)",
        json_schema_extra={"default_text": "the config file's name"},
    )
    title: Text | None = Field(
        default=None,
        description="the title on maps and reports (text)",
        json_schema_extra={"default_text": "the name"},
    )
    synthetic: StrictBool = Field(
        default=False,
        description="true or false",
        json_schema_extra=_doc("the data is synthetic (said on every output)"),
    )


class ZoneColumns(BaseModel):
    """Columns of the zone layer (found by common names when not given)."""

    model_config = _FORBID

    code: Text | None = _column("zone-code")
    name: Text | None = _column("zone-name")
    type: Text | None = _column("urban/rural")
    county: Text | None = _column("county (code or name; a province study gets one map page per county)")


class ZonesInput(BaseModel):
    """``inputs.zones``: a path, or a mapping with the path and the reader's options."""

    model_config = _FORBID

    path: FilePath
    columns: ZoneColumns = Field(default=ZoneColumns(), description="a mapping: code, name, type")
    type_rule: (
        dict[Text, Annotated[Literal["urban", "rural"], Field(description="urban or rural")]] | None
    ) = Field(
        default=None,
        description="a mapping from the end of a zone name to urban or rural, e.g. {街道: urban, 镇: rural}",
    )
    encoding: Encoding | None = _encoding_field()


_SHEET = Field(
    default=None,
    description="a sheet name (text) of an .xlsx/.xls workbook",
    json_schema_extra={"default_text": "the first sheet"},
)


class FacilityColumnsSpec(BaseModel):
    """Columns of the facility table (found by common names when not given)."""

    model_config = _FORBID

    lon: Text | None = _column("longitude")
    lat: Text | None = _column("latitude")
    datum: Text | None = _column("per-row datum")
    type: Text | None = _column("facility-type")
    id: Text | None = _column("facility-id")
    name: Text | None = _column("facility-name")
    status: Text | None = _column("status")


_DATUM_WORDS = (
    "wgs84, gcj02 or bd09 (or "
    + ", ".join(a for a in _DATUM_ALIASES if a not in ("wgs84", "gcj02", "bd09"))
    + ")"
)


#: A datum name: WGS-84, GCJ-02 or BD-09 in any spelling ``coords.parse_datum`` knows.
Datum = Annotated[
    StrictStr, AfterValidator(_datum), Allowed(_DATUM_ALIASES), Field(description=f"a datum: {_DATUM_WORDS}")
]


class FacilitiesInput(BaseModel):
    """``inputs.facilities``."""

    model_config = _FORBID

    path: FilePath
    columns: FacilityColumnsSpec = Field(
        default=FacilityColumnsSpec(), description="a mapping: lon, lat, datum, type, id, name, status"
    )
    datum: Datum = "wgs84"
    encoding: Encoding | None = _encoding_field()
    sheet: Text | None = _SHEET


class RoadsInput(BaseModel):
    """``inputs.roads``: options of :func:`carecircles.roads.read_roads` (line layers only)."""

    model_config = _FORBID

    path: FilePath
    class_column: Text | None = Field(
        default=None,
        description="a column name (text)",
        json_schema_extra=_doc("the road-class column of a line layer"),
    )
    speed_column: Text | None = Field(
        default=None,
        description="a column name (text)",
        json_schema_extra=_doc("the speed column of a line layer"),
    )
    speed_unit: Literal["auto", "kmh", "ms", "mph"] = Field(
        default="auto",
        description="auto, kmh, ms or mph",
        json_schema_extra=_doc("the unit of the speed column"),
    )
    join_tolerance_m: Number = Field(
        default=0.0,
        ge=0,
        description="a distance in metres (a number, 0 or more) within which line ends are joined",
    )
    encoding: Encoding | None = _encoding_field()


class PopulationInput(BaseModel):
    """``inputs.population``: a GeoTIFF."""

    model_config = _FORBID

    path: FilePath
    max_cell_population: Number | None = Field(
        default=None,
        gt=0,
        description="a number of people (more than 0)",
        json_schema_extra={
            **_doc("cells above this are counted as 0 and reported (an undeclared nodata value)"),
            "default_text": "150,000 per km² times the cell area (1,500 for a 100 m cell)",
        },
    )


class VillageColumns(BaseModel):
    """Columns of the village table (found by common names when not given)."""

    model_config = _FORBID

    id: Text | None = _column("village-id")
    name: Text | None = _column("village-name")
    population: Text | None = _column("village-population")


class VillagesInput(BaseModel):
    """``inputs.villages``."""

    model_config = _FORBID

    path: FilePath
    columns: VillageColumns = Field(default=VillageColumns(), description="a mapping: id, name, population")
    datum: Datum = "wgs84"
    encoding: Encoding | None = _encoding_field()
    sheet: Text | None = _SHEET


_INPUT = "a file path (text) or a mapping with path and options"


class Inputs(BaseModel):
    """The ``inputs`` section (paths relative to the config file)."""

    model_config = _FORBID

    zones: Annotated[ZonesInput, BeforeValidator(_path_only)] = Field(description=f"{_INPUT}: zone polygons")
    facilities: Annotated[FacilitiesInput, BeforeValidator(_path_only)] = Field(
        description=f"{_INPUT}: facility table"
    )
    roads: Annotated[RoadsInput, BeforeValidator(_path_only)] = Field(description=f"{_INPUT}: road network")
    population: Annotated[PopulationInput, BeforeValidator(_path_only)] | None = Field(
        default=None, description=f"{_INPUT}: population raster (give population, villages or both)"
    )
    villages: Annotated[VillagesInput, BeforeValidator(_path_only)] | None = Field(
        default=None, description=f"{_INPUT}: village points with population"
    )
    dem: Annotated[list[FilePath], Field(min_length=1)] | None = Field(
        default=None,
        description="a file path or a list of them: SRTM .hgt / .hgt.zip tiles or GeoTIFFs (any CRS)",
        json_schema_extra=_doc("elevation, for the slope models of the terrain section"),
    )

    @field_validator("dem", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Output(BaseModel):
    """The ``output`` section (paths relative to the directory carecircles runs in)."""

    model_config = _FORBID

    dir: Text | None = Field(
        default=None, description="a folder path (text)", json_schema_extra={"default_text": "output/<name>"}
    )
    map: Text | None = Field(
        default=None,
        description="an .html file path (text)",
        json_schema_extra={"default_text": "maps/<name>.html"},
    )

    issuing_unit: Text | None = Field(
        default=None,
        description="text: the unit issuing the maps and report (e.g. 某某县卫生健康局), printed on them",
    )
    data_sources: Text | None = Field(
        default=None,
        description="text: the data sources printed on the map figure and report",
        json_schema_extra={"default_text": "the input files' names"},
    )
    base_map: Literal["none", "osm", "amap", "tianditu"] = Field(
        default="none",
        description="base map shown when the map opens: none (offline), osm, amap (GCJ-02) or "
        "tianditu (needs tianditu_token); the others stay one click away",
    )
    tianditu_token: Text | None = Field(
        default=None,
        description="text: your Tianditu (天地图) key; without it the Tianditu base map is not offered",
    )

    @model_validator(mode="after")
    def _token_for_tianditu(self) -> Output:
        if self.base_map == "tianditu" and self.tianditu_token is None:
            raise ValueError("base_map: tianditu needs tianditu_token (a key from console.tianditu.gov.cn)")
        return self

    @field_validator("map")
    @classmethod
    def _html(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith((".html", ".htm")):
            raise ValueError("not an html file")
        return value


# ---------------------------------------------------------------------------------------------
# options, speeds, standards, siting


@dataclass(frozen=True, config=_FORBID_DC)
class Options:
    """Analysis options (the ``options`` section) with their defaults.

    Attributes
    ----------
    snap_radius_m
        Population cells and villages farther than this from any road are unreachable.
    facility_snap_radius_m
        Facilities farther than this from any road are excluded (and reported).
    facility_outside_buffer_m
        Facilities outside the study area but within this distance are kept.
    include_planned
        Count facilities with status ``planned`` as if they existed.
    road_distance_limit_m
        Search limit for road distances to village clinics (reported up to this).
    report_horizon_min
        Travel times are searched (and reported) up to this many minutes; default twice the
        largest time threshold of the study.
    """

    snap_radius_m: Number = Field(
        default=2000.0,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra=_doc("places farther from a road are unreachable"),
    )
    facility_snap_radius_m: Number = Field(
        default=1000.0,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra=_doc("facilities farther from a road are left out (and listed)"),
    )
    facility_outside_buffer_m: Number = Field(
        default=10_000.0,
        ge=0,
        description="a distance in metres (0 or more)",
        json_schema_extra=_doc("facilities this far outside the zones are kept"),
    )
    include_planned: StrictBool = Field(
        default=False,
        description="true or false (not quoted)",
        json_schema_extra=_doc("count planned facilities as open"),
    )
    road_distance_limit_m: Number = Field(
        default=10_000.0,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra=_doc("road distances to village clinics are searched up to this"),
    )
    report_horizon_min: Number | None = Field(
        default=None,
        gt=0,
        description="a number of minutes greater than 0",
        json_schema_extra={
            "default_text": "2 × the largest threshold",
            **_doc("travel times are reported up to this (blank only beyond it)"),
        },
    )


class StandardEntry(BaseModel):
    """One entry of ``standards``: a default standard's id plus overrides, or a new standard."""

    model_config = _FORBID

    id: Text = Field(
        description="a standard id usable as a file name (letters, digits, CJK, - _ .): "
        + ", ".join(DEFAULT_STANDARDS)
        + " or a new one",
        json_schema_extra={"allowed": list(DEFAULT_STANDARDS)},
    )
    title_zh: Text | None = Field(default=None, description="the Chinese title (text)")
    title_en: Text | None = Field(default=None, description="the English title (text)")
    rule: StrictStr | None = Field(default=None, description="the plan's wording (text)")
    source: StrictStr | None = Field(default=None, description="the plan the rule comes from (text)")
    note: StrictStr | None = Field(default=None, description="why the mode or target was chosen (text)")
    zone_type: Literal["urban", "rural", "all"] | None = Field(
        default=None,
        description="urban, rural or all",
        json_schema_extra=_doc("the zones the standard applies to"),
    )
    facility_types: tuple[FacilityType, ...] | None = Field(default=None, description=_TYPES_WORDS)
    outreach_types: tuple[FacilityType, ...] | None = Field(
        default=None, description=_TYPES_WORDS + " counted as outreach, apart from fixed coverage"
    )
    metric: Literal["time", "distance"] | None = Field(
        default=None, description="time (minutes) or distance (metres)"
    )
    mode: Mode | None = Field(
        default=None, description="a travel mode: walk, ebike, car (or one defined under speeds)"
    )
    threshold: Number | None = Field(
        default=None, gt=0, description="a number of minutes greater than 0 (metres for distance standards)"
    )
    target_share: Number | None = Field(
        default=None, ge=0, le=1, description="a share between 0 and 1 (e.g. 0.95)"
    )
    distance_kind: Literal["straight", "road"] | None = Field(
        default=None, description="straight or road (distance standards)"
    )

    @field_validator("id")
    @classmethod
    def _file_name_id(cls, value: str) -> str:
        if safe_file_name(value) != value:
            raise ValueError("not usable as a file name")
        return value


@dataclass(frozen=True, config=_FORBID_DC)
class SitingOptions:
    """What to site and when to stop (one entry of ``siting``; ``carecircles site`` options).

    Attributes
    ----------
    standard
        Id of the standard whose gaps the new sites should close.
    k
        Most new sites: a number, ``None`` for no limit (stop on the other rules), or
        ``"auto"``: :data:`DEFAULT_SITES` for time standards, no limit for distance standards
        (see :meth:`max_sites`).
    target_share
        Stop once this share of the standard's population is covered.
    outreach_below
        Stop when the best remaining site would newly cover fewer people than this: what is
        left is recommended for outreach (巡诊点 / 巡回医疗), as the plans say for sparse areas.
    min_demand
        Places (villages, cells) with fewer people are not targets of fixed sites; if left
        uncovered they are listed for outreach.
    candidates
        Kinds of candidate: ``villages``, ``zone_centres`` (the densest cell of each zone, the
        township seat), ``road_nodes`` (network nodes thinned to ``road_node_spacing_m``).
    candidate_file
        A CSV/GeoJSON/GPKG of user candidates (lon/lat or points, optional name).
    road_node_spacing_m
        Spacing of road-node candidates.
    one_per_zone
        First give every zone with uncovered people a site of its own (where one helps).
    lock_planned
        Count planned facilities as built (existing ones always are).
    site_type
        Facility type of the new sites (default: township health centre for time standards,
        village clinic for distance standards).
    exact
        Also solve the maximal-covering and set-covering integer programs (HiGHS, through
        ``scipy.optimize.milp``) to show how close greedy came.
    exact_time_limit_s
        Time limit of each integer program.
    """

    standard: Text = Field(default="rural-30min", description="the id of a standard listed under standards")
    k: Annotated[StrictInt, Field(ge=1)] | Literal["auto"] | None = Field(
        default="auto",
        description=f"a whole number of sites (1 or more), null for no limit, or auto ({DEFAULT_SITES} for "
        "time standards, no limit for distance standards)",
    )
    target_share: Number | None = Field(
        default=None, ge=0, le=1, description="a share between 0 and 1, or null"
    )
    outreach_below: Number = Field(
        default=50.0,
        ge=0,
        description="a number of people (0 or more)",
        json_schema_extra=_doc("stop when the best site adds fewer people; the rest is listed for outreach"),
    )
    min_demand: Number = Field(
        default=0.0,
        ge=0,
        description="a number of people (0 or more)",
        json_schema_extra=_doc("places with fewer people are left to outreach, not fixed sites"),
    )
    candidates: tuple[CandidateKind, ...] = Field(
        default=CANDIDATE_KINDS, description="a list of candidate kinds: " + ", ".join(CANDIDATE_KINDS)
    )
    candidate_file: Path | None = Field(
        default=None, description="a file path (text) of candidate sites, relative to the config file"
    )
    road_node_spacing_m: Number = Field(
        default=1000.0,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra=_doc("spacing of road-node candidates"),
    )
    one_per_zone: StrictBool = Field(
        default=False,
        description="true or false",
        json_schema_extra=_doc("first give every zone with a gap a site"),
    )
    lock_planned: StrictBool = Field(
        default=True, description="true or false", json_schema_extra=_doc("count planned facilities as built")
    )
    site_type: FacilityType | None = Field(
        default=None,
        description="a facility type (" + ", ".join(FACILITY_TYPES) + ")",
        json_schema_extra={"default_text": "thc (time standards), village_clinic (distance standards)"},
    )
    exact: StrictBool = Field(
        default=False,
        description="true or false",
        json_schema_extra=_doc("also solve the integer programs (HiGHS)"),
    )
    exact_time_limit_s: Number = Field(default=60.0, gt=0, description="a number of seconds greater than 0")

    @field_validator("candidates", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("candidate_file", mode="before")
    @classmethod
    def _path_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str | Path):
            raise ValueError("not a path")
        return value

    def max_sites(self, metric: str) -> int | None:
        """Most new sites for a standard of ``metric`` (resolves ``k="auto"``)."""
        if self.k == "auto":
            return None if metric == "distance" else DEFAULT_SITES
        return self.k


class ConfigFile(BaseModel):
    """A whole study config as written in YAML, validated (paths not yet resolved)."""

    model_config = _FORBID

    study: Study = Field(default=Study(), description="a mapping: name, title, synthetic")
    inputs: Inputs = Field(description="a mapping: zones, facilities, roads, population, villages")
    options: Options = Field(default=Options(), description="a mapping of analysis options")
    speeds: dict[Mode, SpeedTable] = Field(
        default={},
        description="a mapping from a travel mode (walk, ebike, car) to {road class: km/h}",
        json_schema_extra=_doc("override default speeds (README: default speeds)"),
    )
    standards: list[Annotated[StandardEntry, BeforeValidator(_id_only("id"))]] = Field(
        default=[StandardEntry(id=i) for i in DEFAULT_STANDARD_IDS],
        min_length=1,
        description="a non-empty list of standard ids or mappings with an id and overrides",
        json_schema_extra={"default_text": ", ".join(DEFAULT_STANDARD_IDS), **_doc("the standards to test")},
    )
    siting: list[Annotated[SitingOptions, BeforeValidator(_id_only("standard"))]] = Field(
        default=[], description="a list of siting runs (a standard id, or a mapping of siting options)"
    )
    output: Output = Field(
        default=Output(),
        description="a mapping: dir, map, issuing_unit, data_sources, base_map, tianditu_token",
    )
    scorecard: ScorecardOptions = Field(
        default=ScorecardOptions(),
        description="a mapping: plan, census_population, targets, village_match_m, load_factor, capacity",
        json_schema_extra=_doc("the plan indicators: presence rules, resource ratios, load, capacity"),
    )
    terrain: TerrainOptions = Field(
        default=TerrainOptions(),
        description="a mapping: walk, ebike, car, ebike_power, sample_m",
        json_schema_extra=_doc("slope models, used when inputs.dem is given (README: terrain)"),
    )
    scenarios: list[ScenarioEntry] = Field(
        default=[],
        description="a list of scenarios, each a mapping: id, title, walk_factor, speed_factors, closed",
        json_schema_extra=_doc("speed scenarios (e.g. winter) run beside the base case"),
    )


# ---------------------------------------------------------------------------------------------
# validation with planner-readable errors

_OPTIONAL_SECTIONS = (
    "study",
    "options",
    "speeds",
    "standards",
    "siting",
    "output",
    "scorecard",
    "terrain",
    "scenarios",
)


def validate_config(
    raw: object, path: Path, lines: dict[tuple[object, ...], int] | None = None
) -> ConfigFile:
    """Validate a parsed config document.

    Parameters
    ----------
    raw
        The YAML document (``None`` for an empty file).
    path
        The config file, for messages.
    lines
        Key path → line in the file (from :func:`carecircles._yaml.load_yaml`), for messages.

    Raises
    ------
    InputError
        For any unknown key, wrong type, out-of-range value or inconsistency, with the file,
        the key path as ``field`` and what was expected.
    """
    lines = lines or {}
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise InputError(
            f"the config must be a mapping of sections ({', '.join(ConfigFile.model_fields)}), "
            f"got {show(raw)}",
            path=path,
        )
    raw = {k: v for k, v in raw.items() if not (v is None and k in _OPTIONAL_SECTIONS)}
    try:
        config = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise translate(exc, ConfigFile, raw, path, lines, _expected) from None
    _check_consistency(config, path, lines)
    return config


def make_siting_options(values: dict[str, Any], *, source: str = "command line") -> SitingOptions:
    """Build :class:`SitingOptions` from keyword values, with the schema's messages on error.

    Raises
    ------
    InputError
        Naming the option (e.g. ``candidates[0]``), what it takes and the closest allowed value.
    """
    try:
        return SitingOptions(**values)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key, message, hint = problem(error, ConfigFile, ("siting", 0), values, _expected)
        key, message = key.removeprefix("siting[0]."), message.replace("siting[0].", "")
        raise InputError(message + hint, path=source, field=key) from None


def _expected(keys: list[object], expected: str, raw: object) -> str:
    """Say a threshold's unit, which depends on its standard's metric."""
    if keys[-1:] == ["threshold"]:
        unit = "metres" if _metric_of(raw, keys) == "distance" else "minutes"
        return f"a number of {unit} greater than 0"
    if len(keys) == 5 and keys[:3] == ["scorecard", "capacity", "decay"]:
        return (
            "a number of minutes greater than 0" if keys[4] == 0 else "a weight greater than 0 and at most 1"
        )
    return expected


def _metric_of(raw: object, parts: list[object]) -> str:
    entry: Any = raw
    for part in parts[:-1]:
        try:
            entry = entry[part]
        except (KeyError, IndexError, TypeError):
            return "time"
    if isinstance(entry, dict):
        if entry.get("metric") in ("time", "distance"):
            return str(entry["metric"])
        known = DEFAULT_STANDARDS.get(str(entry.get("id")))
        if known is not None:
            return known.metric
    return "time"


# --- rules across keys -----------------------------------------------------------------------


def _check_scenarios(
    config: ConfigFile, used_modes: set[str], stop: typing.Callable[..., typing.NoReturn]
) -> None:
    """Scenario ids once each; known modes; road classes that are not near-misses of known ones."""
    seen: set[str] = set()
    for i, scenario in enumerate(config.scenarios):
        if scenario.id in seen:
            stop(("scenarios", i, "id"), f"scenario '{scenario.id}' is listed twice")
        seen.add(scenario.id)
        classes: list[tuple[tuple[object, ...], str]] = [
            (("scenarios", i, "closed", k), c) for k, c in enumerate(scenario.closed)
        ]
        for mode, factors in scenario.speed_factors.items():
            if mode not in MODES and mode not in used_modes and mode not in config.speeds:
                stop(
                    ("scenarios", i, "speed_factors", mode),
                    f"unknown travel mode '{mode}' under scenarios[{i}].speed_factors",
                    f"{suggest(mode, MODES)} (modes: {', '.join(MODES)})",
                )
            if isinstance(factors, dict):
                classes += [(("scenarios", i, "speed_factors", mode, c), c) for c in factors]
        for where, road_class in classes:
            near = difflib.get_close_matches(road_class, ROAD_CLASSES, n=1, cutoff=0.8)
            if road_class not in ROAD_CLASSES and near:
                stop(where, f"unknown road class '{road_class}'", f"; did you mean '{near[0]}'?")


def _check_consistency(config: ConfigFile, path: Path, lines: dict) -> None:
    def stop(parts: tuple[object, ...], message: str, hint: str = "") -> typing.NoReturn:
        line = line_of(lines, list(parts))
        where = f" (line {line})" if line else ""
        raise InputError(message + where + hint, path=path, field=dotted(parts))

    inputs = config.inputs
    if inputs.population is None and inputs.villages is None:
        stop(("inputs",), "give inputs.population (raster) or inputs.villages (points with counts), or both")
    used_modes = {s.mode for s in config.standards if s.mode is not None}
    classes = ROAD_CLASSES
    for mode, table in config.speeds.items():
        if mode not in MODES and mode not in used_modes:
            stop(
                ("speeds", mode),
                f"unknown travel mode '{mode}' under speeds",
                f"{suggest(mode, MODES)} (modes: {', '.join(MODES)}; a new mode must be a standard's mode)",
            )
        for road_class in table:
            # a class of the user's own line layer is welcome (a run warns if no road has it);
            # one a letter or two away from a known class is a typo
            near = difflib.get_close_matches(road_class, classes, n=1, cutoff=0.8)
            if road_class not in classes and near:
                stop(
                    ("speeds", mode, road_class),
                    f"unknown road class '{road_class}' under speeds.{mode}",
                    f"; did you mean '{near[0]}'? (road classes: {', '.join(classes)}; a class of your "
                    "own road layer is accepted when it is not this close to a known one)",
                )
    if "terrain" in config.model_fields_set and inputs.dem is None:
        stop(("terrain",), "the terrain section needs a DEM: give inputs.dem (or remove terrain)")
    _check_scenarios(config, used_modes, stop)
    ids: list[str] = []
    for i, entry in enumerate(config.standards):
        _check_standard(entry, i, config, stop)
        if entry.id in ids:
            stop(("standards", i, "id"), f"standard '{entry.id}' is listed twice")
        ids.append(entry.id)
    for i, run in enumerate(config.siting):
        if run.standard not in ids:
            stop(
                ("siting", i, "standard"),
                f"siting[{i}].standard '{run.standard}' is not one of the standards",
                f"{suggest(run.standard, ids)} (standards: {', '.join(ids)})",
            )
    _check_scorecard(config, stop)


def _check_scorecard(config: ConfigFile, stop: typing.Callable[..., typing.NoReturn]) -> None:
    scorecard = config.scorecard
    for key in scorecard.targets:
        if key not in INDICATORS:
            stop(
                ("scorecard", "targets", key),
                f"unknown indicator '{key}' under scorecard.targets",
                f"{suggest(key, INDICATORS)} (indicators: {', '.join(INDICATORS)})",
            )
    capacity = scorecard.capacity
    thresholds = _time_thresholds(config.standards)
    if capacity.standard is not None and capacity.standard not in thresholds:
        listed = [e.id for e in config.standards]
        kind = "a distance standard" if capacity.standard in listed else "not one of the standards"
        stop(
            ("scorecard", "capacity", "standard"),
            f"scorecard.capacity.standard '{capacity.standard}' is {kind}; it must be a time standard",
            f"{suggest(capacity.standard, thresholds)} (time standards: {', '.join(thresholds) or 'none'})",
        )
    if capacity.decay is None:
        return
    decay = ("scorecard", "capacity", "decay")
    if not capacity.decay:
        stop(decay, "scorecard.capacity.decay needs at least one [minutes, weight] band (or null)")
    if not thresholds:
        stop(decay, "scorecard.capacity.decay needs a time standard under standards")
    threshold = thresholds[capacity.standard or next(iter(thresholds))]
    minutes = [m for m, _ in capacity.decay]
    weights = [w for _, w in capacity.decay]
    if any(b <= a for a, b in itertools.pairwise(minutes)):
        stop(decay, f"scorecard.capacity.decay: the minutes must increase, got {minutes}")
    if any(b > a for a, b in itertools.pairwise(weights)):
        stop(decay, f"scorecard.capacity.decay: the weights must not increase with time, got {weights}")
    if minutes[-1] != threshold:
        standard = capacity.standard or next(iter(thresholds))
        stop(
            decay,
            f"scorecard.capacity.decay: the last band must end at the threshold of {standard} "
            f"({threshold:g} min), got {minutes[-1]:g}",
        )


def _time_thresholds(entries: list[StandardEntry]) -> dict[str, float]:
    """Return the time standards of a config, each with its threshold (minutes), in order."""
    out = {}
    for entry in entries:
        default = DEFAULT_STANDARDS.get(entry.id)
        metric = entry.metric or (default.metric if default else "time")
        threshold = (
            entry.threshold if entry.threshold is not None else (default.threshold if default else None)
        )
        if metric == "time" and threshold is not None:
            out[entry.id] = threshold
    return out


def _check_standard(
    entry: StandardEntry, i: int, config: ConfigFile, stop: typing.Callable[..., typing.NoReturn]
) -> None:
    default = DEFAULT_STANDARDS.get(entry.id)
    if default is None:
        given = entry.model_fields_set
        missing = [k for k in ("zone_type", "facility_types", "metric", "threshold") if k not in given]
        if missing:
            stop(
                ("standards", i),
                f"standard '{entry.id}' is not a default standard and a new standard needs "
                f"{', '.join(missing)}",
                f"{suggest(entry.id, DEFAULT_STANDARDS)} (default standards: {', '.join(DEFAULT_STANDARDS)})",
            )
    metric = entry.metric or (default.metric if default else "time")
    mode = entry.mode or (default.mode if default else "walk")
    if metric == "time" and mode not in MODES and mode not in config.speeds:
        stop(
            ("standards", i, "mode"),
            f"standards[{i}].mode '{mode}' is not a travel mode",
            f"{suggest(mode, (*MODES, *config.speeds))} (modes: {', '.join(MODES)}, or one under speeds)",
        )


def config_reference() -> str:
    """Return the config reference table (Markdown) the README carries, from this schema."""
    return reference_markdown(ConfigFile)
