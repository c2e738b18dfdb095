"""Study configuration (YAML): inputs, options and the standards to test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carecircles._errors import InputError
from carecircles.facilities import FacilityColumns
from carecircles.siting import SitingOptions
from carecircles.standards import Standard, StandardSpec, resolve_standard

#: The bundled synthetic sample county (run by ``carecircles run`` with no argument).
SAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "data" / "synthetic_jingyu.yml"

_DEFAULT_STANDARDS = ("urban-15min", "rural-30min", "village-2.5km")
_READER_OPTIONS = ("encoding", "datum", "max_cell_population")


@dataclass(frozen=True)
class Options:
    """Analysis options with their defaults.

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
    """

    snap_radius_m: float = 2000.0
    facility_snap_radius_m: float = 1000.0
    facility_outside_buffer_m: float = 10_000.0
    include_planned: bool = False
    road_distance_limit_m: float = 10_000.0


@dataclass(frozen=True)
class StudyConfig:
    """Everything a run needs, with paths resolved.

    Attributes
    ----------
    name
        Short name used for output files (``maps/<name>.html``).
    title
        Title shown on maps and reports.
    synthetic
        Whether the data is synthetic (said on every output).
    zones, facilities, roads, population, villages
        Input paths (``population`` and ``villages`` may be ``None``, not both).
    standards
        Standards to test.
    speeds
        Speed-table overrides per mode (km/h by road class).
    options
        Analysis options.
    output_dir, map_path
        Where tables and the map go.
    siting
        Siting runs ``carecircles run`` does after the assessment (the ``siting`` section).
    reader_options
        Per input: ``encoding`` (zones, facilities, villages), ``datum`` (villages) and
        ``max_cell_population`` (population), passed to the readers as given.
    source
        The config file itself.
    """

    name: str
    title: str
    zones: Path
    facilities: Path
    roads: Path
    population: Path | None
    villages: Path | None
    standards: tuple[Standard, ...]
    synthetic: bool = False
    zone_columns: Mapping[str, str] = field(default_factory=dict)
    zone_type_rule: Mapping[str, str] | None = None
    facility_columns: FacilityColumns = field(default_factory=FacilityColumns)
    facility_datum: str = "wgs84"
    road_options: Mapping[str, Any] = field(default_factory=dict)
    village_columns: Mapping[str, str] = field(default_factory=dict)
    reader_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    speeds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    output_dir: Path = Path("output")
    map_path: Path = Path("maps/study.html")
    source: Path | None = None
    siting: tuple[SitingOptions, ...] = ()


def load_config(path: str | Path | None = None, *, output_root: Path | None = None) -> StudyConfig:
    """Read a study config; with no path, the bundled synthetic sample.

    Input paths are relative to the config file; output paths are relative to
    ``output_root`` (default: the current directory).

    Raises
    ------
    InputError
        For a missing file, a missing key or an unknown option.
    """
    path = Path(path) if path is not None else SAMPLE_CONFIG
    if not path.exists():
        hint = " (run from a clone of the repository: pip install -e .)" if path == SAMPLE_CONFIG else ""
        raise InputError(f"config file not found{hint}", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path) from exc
    if not isinstance(raw, dict):
        raise InputError("the config must be a mapping", path=path)
    unknown = set(raw) - {"study", "inputs", "options", "speeds", "standards", "output", "siting"}
    if unknown:
        raise InputError(f"unknown sections {sorted(unknown)}", path=path, field=sorted(unknown)[0])
    study = raw.get("study", {})
    inputs = raw.get("inputs", {})
    base = path.parent
    root = output_root or Path.cwd()

    def input_path(key: str, *, required: bool = True) -> Path | None:
        entry = inputs.get(key)
        value = entry.get("path") if isinstance(entry, dict) else entry
        if value is None:
            if required:
                raise InputError(f"inputs.{key} is required", path=path, field=f"inputs.{key}")
            return None
        return (base / str(value)).resolve()

    def input_options(key: str) -> dict[str, Any]:
        entry = inputs.get(key)
        return {k: v for k, v in entry.items() if k != "path"} if isinstance(entry, dict) else {}

    name = str(study.get("name") or path.stem)
    zones, facilities, roads = input_path("zones"), input_path("facilities"), input_path("roads")
    population = input_path("population", required=False)
    villages = input_path("villages", required=False)
    if population is None and villages is None:
        raise InputError(
            "give inputs.population (raster) or inputs.villages (points with counts), or both",
            path=path,
            field="inputs",
        )
    facility_opts = input_options("facilities")
    try:
        options = Options(**raw.get("options", {}))
        columns = FacilityColumns(**facility_opts.get("columns", {}))
    except TypeError as exc:
        raise InputError(f"unknown option: {exc}", path=path, field="options") from exc
    output = raw.get("output", {})
    return StudyConfig(
        name=name,
        title=str(study.get("title") or name),
        synthetic=bool(study.get("synthetic", False)),
        zones=zones,
        facilities=facilities,
        roads=roads,
        population=population,
        villages=villages,
        standards=_standards(raw.get("standards", list(_DEFAULT_STANDARDS)), path),
        zone_columns=input_options("zones").get("columns", {}),
        zone_type_rule=input_options("zones").get("type_rule"),
        facility_columns=columns,
        facility_datum=str(facility_opts.get("datum", "wgs84")),
        road_options=input_options("roads"),
        village_columns=input_options("villages").get("columns", {}),
        reader_options={
            k: {o: v for o, v in input_options(k).items() if o in _READER_OPTIONS}
            for k in ("zones", "facilities", "villages", "population")
        },
        speeds=raw.get("speeds", {}) or {},
        options=options,
        output_dir=(root / output.get("dir", f"output/{name}")).resolve(),
        map_path=(root / output.get("map", f"maps/{name}.html")).resolve(),
        source=path.resolve(),
        siting=_siting(raw.get("siting", []), path),
    )


def _standards(entries: object, path: Path) -> tuple[Standard, ...]:
    if not isinstance(entries, list) or not entries:
        raise InputError("standards must be a non-empty list", path=path, field="standards")
    specs = []
    for entry in entries:
        if isinstance(entry, str):
            specs.append(StandardSpec(entry))
        elif isinstance(entry, dict) and "id" in entry:
            specs.append(StandardSpec(str(entry["id"]), {k: v for k, v in entry.items() if k != "id"}))
        else:
            raise InputError(
                f"each standard is an id or a mapping with an id, not {entry!r}", path=path, field="standards"
            )
    standards = tuple(resolve_standard(s, source=path) for s in specs)
    ids = [s.id for s in standards]
    if len(set(ids)) != len(ids):
        raise InputError(f"standards listed twice: {ids}", path=path, field="standards")
    return standards


def _siting(entries: object, path: Path) -> tuple[SitingOptions, ...]:
    """Read the ``siting`` section: a list of option mappings, one per standard to site for."""
    if not isinstance(entries, list):
        raise InputError("siting must be a list of mappings (standard, k, …)", path=path, field="siting")
    runs = []
    for entry in entries:
        values = dict(entry) if isinstance(entry, dict) else {"standard": entry}
        if "candidates" in values:
            values["candidates"] = tuple(values["candidates"])
        if values.get("candidate_file") is not None:
            values["candidate_file"] = (path.parent / str(values["candidate_file"])).resolve()
        try:
            runs.append(SitingOptions(**values))
        except TypeError as exc:
            raise InputError(f"unknown siting option: {exc}", path=path, field="siting") from exc
    return tuple(runs)
