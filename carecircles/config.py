"""Study configuration (YAML): inputs, options and the standards to test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from carecircles._errors import InputError
from carecircles._schema_terrain import ScenarioEntry, TerrainOptions
from carecircles._yaml import load_yaml
from carecircles.facilities import FacilityColumns
from carecircles.schema import (
    ConfigFile,
    Inputs,
    Options,
    ScorecardOptions,
    SitingOptions,
    safe_file_name,
    validate_config,
)
from carecircles.standards import Standard, StandardSpec, resolve_standard

__all__ = ["SAMPLE_CONFIG", "Options", "ScorecardOptions", "StudyConfig", "load_config", "study_config"]

#: The bundled synthetic sample county (run by ``carecircles run`` with no argument).
SAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "data" / "synthetic_jingyu.yml"


@dataclass(frozen=True)
class StudyConfig:
    """Everything a run needs, with paths resolved.

    Attributes
    ----------
    name
        Short name used for output files (``maps/<name>.html``): the config's study name made
        file-name safe (:func:`carecircles.schema.safe_file_name`).
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
    scorecard
        The plan indicators' options (the ``scorecard`` section): the plan whose targets
        count (default ``jingyu``, plan 002, whose table sets all five ratios), a census
        population, target overrides, the village match distance, the load factor and the
        capacity-aware access options.
    reader_options
        Per input: ``encoding`` (zones, facilities, villages), ``datum`` (villages) and
        ``max_cell_population`` (population), passed to the readers as given.
    source
        The config file itself.
    encoding
        The text encoding the config file was read in (``utf-8`` or ``gb18030``).
    issuing_unit, data_sources
        Printed on the map figure and the report (``output`` section); ``None`` when not given.
    base_map, tianditu_token
        The map's opening base map (``none``, ``osm``, ``amap``, ``tianditu``) and the user's
        Tianditu key (the Tianditu base map is offered only with one).
    dem, terrain
        DEM files (empty: no terrain) and the slope models (the ``terrain`` section).
    scenarios
        Speed scenarios run beside the base case (the ``scenarios`` section).
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
    speeds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    output_dir: Path = Path("output")
    map_path: Path = Path("maps/study.html")
    source: Path | None = None
    siting: tuple[SitingOptions, ...] = ()
    scorecard: ScorecardOptions = field(default_factory=ScorecardOptions)
    encoding: str = "utf-8"
    reader_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    issuing_unit: str | None = None
    data_sources: str | None = None
    base_map: str = "none"
    tianditu_token: str | None = None
    dem: tuple[Path, ...] = ()
    terrain: TerrainOptions = field(default_factory=TerrainOptions)
    scenarios: tuple[ScenarioEntry, ...] = ()


def load_config(path: str | Path | None = None, *, output_root: Path | None = None) -> StudyConfig:
    """Read and validate a study config; with no path, the bundled synthetic sample.

    Input paths are relative to the config file; output paths are relative to
    ``output_root`` (default: the current directory).

    Raises
    ------
    InputError
        For a missing or unreadable file, bad YAML (duplicate keys, alias bombs) or anything
        the schema (:mod:`carecircles.schema`) refuses: the message names the key path.
    """
    path = Path(path) if path is not None else SAMPLE_CONFIG
    if not path.exists():
        hint = " (run from a clone of the repository: pip install -e .)" if path == SAMPLE_CONFIG else ""
        raise InputError(f"config file not found{hint}", path=path, zh="找不到配置文件" + hint)
    if path.is_dir():
        raise InputError(
            "this is a folder: give the study config file (YAML)",
            path=path,
            zh="这是一个文件夹：请给出研究配置文件（YAML）",
        )
    raw, lines, encoding = load_yaml(path)
    spec = validate_config(raw, path, lines)
    return study_config(spec, path, output_root=output_root, encoding=encoding)


def study_config(
    spec: ConfigFile, path: Path, *, output_root: Path | None = None, encoding: str = "utf-8"
) -> StudyConfig:
    """Resolve a validated config: paths, standards, column names, siting runs.

    Parameters
    ----------
    spec
        The validated config (:func:`carecircles.schema.validate_config`).
    path
        The config file: input paths are relative to its folder.
    output_root
        Folder output paths are relative to (default: the current directory).
    encoding
        The encoding the file was read in (recorded on the result).
    """
    base = path.parent
    root = output_root or Path.cwd()
    inputs = spec.inputs
    name = safe_file_name(spec.study.name or path.stem)
    standards = tuple(
        resolve_standard(
            StandardSpec(entry.id, entry.model_dump(exclude_unset=True, exclude={"id"})), source=path
        )
        for entry in spec.standards
    )
    siting = tuple(
        replace(run, candidate_file=(base / run.candidate_file).resolve())
        if run.candidate_file is not None
        else run
        for run in spec.siting
    )
    return StudyConfig(
        name=name,
        title=spec.study.title or spec.study.name or name,
        synthetic=spec.study.synthetic,
        zones=(base / inputs.zones.path).resolve(),
        facilities=(base / inputs.facilities.path).resolve(),
        roads=(base / inputs.roads.path).resolve(),
        population=(base / inputs.population.path).resolve() if inputs.population else None,
        villages=(base / inputs.villages.path).resolve() if inputs.villages else None,
        standards=standards,
        zone_columns=inputs.zones.columns.model_dump(exclude_none=True),
        zone_type_rule=inputs.zones.type_rule,
        facility_columns=FacilityColumns(**inputs.facilities.columns.model_dump()),
        facility_datum=inputs.facilities.datum,
        road_options=inputs.roads.model_dump(exclude={"path"}, exclude_unset=True),
        reader_options=_reader_options(inputs),
        village_columns=inputs.villages.columns.model_dump(exclude_none=True) if inputs.villages else {},
        speeds=spec.speeds,
        options=spec.options,
        output_dir=(root / (spec.output.dir or f"output/{name}")).resolve(),
        map_path=(root / (spec.output.map or f"maps/{name}.html")).resolve(),
        source=path.resolve(),
        siting=siting,
        scorecard=spec.scorecard,
        encoding=encoding,
        issuing_unit=spec.output.issuing_unit,
        data_sources=spec.output.data_sources,
        base_map=spec.output.base_map,
        tianditu_token=spec.output.tianditu_token,
        dem=tuple((base / p).resolve() for p in inputs.dem or ()),
        terrain=spec.terrain,
        scenarios=tuple(spec.scenarios),
    )


def _reader_options(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per input, the reader options that are not columns: encoding, datum, cell limit."""
    options: dict[str, dict[str, Any]] = {
        "zones": {"encoding": inputs.zones.encoding},
        "facilities": {"encoding": inputs.facilities.encoding, "sheet": inputs.facilities.sheet},
    }
    if inputs.villages is not None:
        options["villages"] = {
            "encoding": inputs.villages.encoding,
            "datum": inputs.villages.datum,
            "sheet": inputs.villages.sheet,
        }
    if inputs.population is not None:
        options["population"] = {"max_cell_population": inputs.population.max_cell_population}
    return options
