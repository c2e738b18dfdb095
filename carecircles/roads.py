"""Road readers: OSM (.osm.pbf/.osm/.osm.gz/.osm.bz2), osmnx GraphML and line layers.

Every reader returns the same :class:`RoadEdges` table, one row per straight segment between
consecutive vertices, so the network builder never needs to know where roads came from.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from carecircles._crs import project_lonlat, utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles._tables import check_degrees, is_empty_file, read_layer, report_mojibake

#: highway values that are not usable roads.
_NOT_ROADS = frozenset(
    {
        "proposed",
        "construction",
        "abandoned",
        "disused",
        "platform",
        "raceway",
        "bus_stop",
        "elevator",
        "escape",
        "emergency_bay",
        "rest_area",
        "services",
        "razed",
        "no",
    }
)
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".xml", ".osm.xml")
_CLASS_COLUMNS = (
    "highway",
    "fclass",
    "road_class",
    "class",
    "roadclass",
    "type",
    "kind",
    "道路等级",
    "行政等级",
    "技术等级",
    "公路等级",
    "等级",
)

#: Chinese road classes → the OSM class whose speeds they take (network.DEFAULT_SPEEDS_KMH):
#: administrative classes of highways (行政等级), technical grades (技术等级, JTG B01) and
#: urban road classes (CJJ 37). The README's speed table lists them.
CHINESE_ROAD_CLASSES: dict[str, str] = {
    # administrative
    "国道": "trunk",
    "省道": "primary",
    "县道": "secondary",
    "乡道": "tertiary",
    "村道": "unclassified",
    "专用公路": "service",
    # technical grade (design speed 一级 60-100, 二级 60-80, 三级 30-40, 四级 20-30 km/h)
    "高速公路": "motorway",
    "高速": "motorway",
    "一级公路": "trunk",
    "一级": "trunk",
    "二级公路": "primary",
    "二级": "primary",
    "三级公路": "tertiary",
    "三级": "tertiary",
    "四级公路": "unclassified",
    "四级": "unclassified",
    "等外公路": "track",
    "等外": "track",
    # urban roads
    "城市快速路": "trunk",
    "快速路": "trunk",
    "主干路": "primary",
    "主干道": "primary",
    "次干路": "secondary",
    "次干道": "secondary",
    "支路": "residential",
}
_SPEED_COLUMNS = ("maxspeed", "max_speed", "speed", "speed_kmh", "speed_limit", "限速")


@dataclass(frozen=True)
class RoadEdges:
    """Road segments in WGS-84, before any travel mode is applied.

    Attributes
    ----------
    node_id
        Vertex ids (OSM node ids for OSM input; generated for other formats).
    node_lon, node_lat
        Vertex coordinates (degrees), shape ``(n_nodes,)``.
    u, v
        Segment end vertices as indices into the node arrays, shape ``(n_edges,)``.
    highway
        OSM-style road class per segment (``"unclassified"`` where unknown).
    oneway
        ``0`` both ways, ``1`` only u→v, ``-1`` only v→u (motor modes only).
    maxspeed_kmh
        Posted speed limit, ``nan`` when unknown.
    source
        File the roads were read from.
    structure
        True for a segment on a bridge or in a tunnel (not draped over the terrain);
        ``None`` when the source does not say.
    """

    node_id: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    highway: NDArray[np.object_]
    oneway: NDArray[np.int8]
    maxspeed_kmh: NDArray[np.float64]
    source: str
    structure: NDArray[np.bool_] | None = None

    @property
    def n_nodes(self) -> int:
        """Number of vertices."""
        return len(self.node_lon)

    @property
    def n_edges(self) -> int:
        """Number of segments."""
        return len(self.u)


def read_roads(
    path: str | Path,
    issues: DataIssues,
    *,
    class_column: str | None = None,
    speed_column: str | None = None,
    speed_unit: str = "auto",
    join_tolerance_m: float = 0.0,
    encoding: str | None = None,
) -> RoadEdges:
    """Read roads from any supported format, chosen by file name.

    Parameters
    ----------
    path
        OSM file (``.osm.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2``), osmnx GraphML
        (``.graphml``) or any line layer geopandas reads (GeoJSON, GPKG, Shapefile …).
    issues
        Collector for skipped features and repaired values.
    class_column, speed_column, speed_unit, join_tolerance_m
        For line layers only: the road-class and speed columns (found by common names
        when not given), the speed unit (``kmh``, ``ms``, ``mph`` or ``auto``) and the
        distance within which line ends are joined (0: only where they coincide).
    encoding
        For line layers: text encoding of the attributes (e.g. ``gbk`` for a .dbf without
        .cpg whose Chinese road classes would otherwise be garbled).

    Raises
    ------
    InputError
        If the file is missing or unreadable, or holds no usable road.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("road file not found", path=path)
    if is_empty_file(path):
        raise InputError("the road file is empty (0 bytes or only blank lines)", path=path)
    name = path.name.lower()
    if name.endswith(_OSM_SUFFIXES):
        roads = read_osm(path, issues)
    elif name.endswith(".graphml"):
        roads = read_graphml(path, issues)
    else:
        roads = read_line_layer(
            path,
            issues,
            class_column=class_column,
            speed_column=speed_column,
            speed_unit=speed_unit,
            join_tolerance_m=join_tolerance_m,
            encoding=encoding,
        )
    if roads.n_edges == 0:
        raise InputError("the road network is empty: no usable road segment was found", path=path)
    return roads


def read_osm(path: str | Path, issues: DataIssues) -> RoadEdges:
    """Read every ``highway=*`` way of an OSM file with pyosmium (XML, gz, bz2 or PBF)."""
    import osmium

    path = Path(path)
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    way_lengths: list[int] = []
    highways: list[str] = []
    oneways: list[int] = []
    speeds: list[float] = []
    structures: list[bool] = []
    missing_locations = 0
    try:
        for way in processor:
            tags = way.tags
            highway = tags.get("highway") or ""
            if highway in _NOT_ROADS or tags.get("area") == "yes" or tags.get("access") == "no":
                continue
            oneway = _parse_oneway(tags.get("oneway"), highway, tags.get("junction"))
            speed = parse_speed(tags.get("maxspeed"))
            # a way leaving the extract is split into its runs of located vertices
            runs, missing = _located_runs(way.nodes)  # type: ignore[union-attr]  # ways only
            missing_locations += missing
            for run_refs, run_lons, run_lats in runs:
                if len(run_refs) < 2:
                    continue
                refs.extend(run_refs)
                lons.extend(run_lons)
                lats.extend(run_lats)
                way_lengths.append(len(run_refs))
                highways.append(highway)
                oneways.append(oneway)
                speeds.append(speed)
                structures.append(is_structure(tags.get("bridge"), tags.get("tunnel")))
    except RuntimeError as exc:  # libosmium reports unreadable files this way
        raise InputError(f"cannot read OSM file: {exc}", path=path) from exc
    if missing_locations:
        issues.add(
            "info",
            path,
            f"{missing_locations} way vertices reference nodes outside the extract; skipped",
            zh=f"{missing_locations} 个道路顶点引用了数据范围外的节点；已跳过",
            field="nd",
            action="skipped",
        )
    return _edges_from_polylines(
        np.asarray(refs, dtype=np.int64),
        np.asarray(lons, dtype=float),
        np.asarray(lats, dtype=float),
        np.asarray(way_lengths, dtype=np.int64),
        np.asarray(highways, dtype=object),
        np.asarray(oneways, dtype=np.int8),
        np.asarray(speeds, dtype=float),
        str(path),
        np.asarray(structures, dtype=bool),
    )


def is_structure(bridge: object, tunnel: object) -> bool:
    """Whether OSM ``bridge``/``tunnel`` values put a road off the ground (``culvert`` does not)."""
    b = str(bridge).strip().lower() if bridge is not None else "no"
    t = str(tunnel).strip().lower() if tunnel is not None else "no"
    return b not in _NOT_STRUCTURE or t not in (*_NOT_STRUCTURE, "culvert")


_NOT_STRUCTURE = ("no", "", "nan", "none", "false", "0")


def _located_runs(
    nodes: Iterable[Any],
) -> tuple[list[tuple[list[int], list[float], list[float]]], int]:
    """Split a way's node list at nodes without a location; count those nodes.

    Returns each run as its node ids, longitudes and latitudes, and the number of nodes
    without a location. One pass over the nodes: pyosmium builds a Python object per node
    reference, and a province holds millions of them.
    """
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    runs = [(refs, lons, lats)]
    missing = 0
    for node in nodes:
        location = node.location
        if location.valid():
            refs.append(node.ref)
            lons.append(location.lon)
            lats.append(location.lat)
        else:
            missing += 1
            if refs:
                refs, lons, lats = [], [], []
                runs.append((refs, lons, lats))
    return runs, missing


def _edges_from_polylines(
    refs: NDArray[np.int64],
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    lengths: NDArray[np.int64],
    highway: NDArray[np.object_],
    oneway: NDArray[np.int8],
    maxspeed: NDArray[np.float64],
    source: str,
    structure: NDArray[np.bool_] | None = None,
) -> RoadEdges:
    """Turn concatenated polylines (vertex ids + per-line attributes) into segments."""
    if len(refs) == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=float)
        return RoadEdges(
            empty_i,
            empty_f,
            empty_f,
            empty_i,
            empty_i,
            np.zeros(0, dtype=object),
            np.zeros(0, dtype=np.int8),
            empty_f,
            source,
        )
    unique_refs, first, node_index = np.unique(refs, return_index=True, return_inverse=True)
    line_of_vertex = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.ones(len(refs), dtype=bool)
    starts[np.cumsum(lengths) - 1] = False  # vertex k starts a segment unless it ends a line
    seg = np.flatnonzero(starts)
    u = node_index[seg]
    v = node_index[seg + 1]
    keep = u != v
    line = line_of_vertex[seg][keep]
    return RoadEdges(
        node_id=unique_refs.astype(np.int64),
        node_lon=lons[first],
        node_lat=lats[first],
        u=u[keep].astype(np.int64),
        v=v[keep].astype(np.int64),
        highway=highway[line],
        oneway=oneway[line],
        maxspeed_kmh=maxspeed[line],
        source=source,
        structure=None if structure is None else structure[line],
    )


def _parse_oneway(value: str | None, highway: str, junction: str | None) -> int:
    if value is not None:
        text = str(value).strip().lower()
        if text in _ONEWAY_FORWARD:
            return 1
        if text in _ONEWAY_BACKWARD:
            return -1
        if text in ("no", "false", "0"):
            return 0
    if junction in ("roundabout", "circular") or highway in ("motorway", "motorway_link"):
        return 1
    return 0


_SPEED_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_speed(value: object) -> float:
    """Parse an OSM ``maxspeed`` value to km/h; ``nan`` when absent or symbolic.

    Examples
    --------
    >>> parse_speed("60"), parse_speed("30 mph")
    (60.0, 48.28032)
    """
    if value is None:
        return float("nan")
    if isinstance(value, (int, float, np.number)):
        return float(value) if np.isfinite(value) and value > 0 else float("nan")
    text = str(value).split(";")[0]
    match = _SPEED_RE.match(text)
    if not match:
        return float("nan")
    speed = float(match.group(1))
    if match.group(2) and match.group(2).lower() == "mph":
        speed *= 1.609344
    return speed if speed > 0 else float("nan")


def read_graphml(path: str | Path, issues: DataIssues) -> RoadEdges:
    """Read an osmnx GraphML file; edge geometries are split at their vertices.

    osmnx graphs are directed (two-way roads appear as two edges), so each edge is read
    as one-way u→v; walking ignores direction anyway.
    """
    import osmnx as ox

    path = Path(path)
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # osmnx/networkx raise a variety of parse errors
        raise InputError(f"cannot read GraphML: {exc}", path=path) from exc
    node_ids = {n: i for i, n in enumerate(graph.nodes)}
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)], dtype=float)
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)], dtype=float)
    ends: list[tuple[int, int]] = []
    interiors: list[np.ndarray] = []
    highways: list[str] = []
    speeds: list[float] = []
    structures: list[bool] = []
    for u, v, data in graph.edges(data=True):
        geometry = data.get("geometry")
        interiors.append(np.asarray(geometry.coords)[1:-1] if geometry is not None else np.zeros((0, 2)))
        ends.append((node_ids[u], node_ids[v]))
        highways.append(road_class_text(data.get("highway", "unclassified")))
        posted = [parse_speed(m) for m in _listed(data.get("maxspeed"))]
        speeds.append(min((v for v in posted if np.isfinite(v)), default=np.nan))  # merged: the lowest
        structures.append(
            any(is_structure(b, None) for b in _listed(data.get("bridge")))
            or any(is_structure(None, t) for t in _listed(data.get("tunnel")))
        )
    # interior vertices get ids by position, so the two directions of a road share them
    counts = np.array([len(c) for c in interiors], dtype=np.int64)
    inner = np.concatenate(interiors) if counts.sum() else np.zeros((0, 2))
    _, inner_ids = np.unique(np.round(inner * 1e7).astype(np.int64), axis=0, return_inverse=True)
    inner_ids = inner_ids.ravel() + len(node_ids)
    line_refs: list[int] = []
    lines_lon: list[float] = []
    lines_lat: list[float] = []
    offset = 0
    for (a, b), inside in zip(ends, interiors, strict=True):
        k = len(inside)
        line_refs.extend([a, *inner_ids[offset : offset + k].tolist(), b])
        lines_lon.extend([xs[a], *inside[:, 0], xs[b]])
        lines_lat.extend([ys[a], *inside[:, 1], ys[b]])
        offset += k
    lengths = (counts + 2).tolist()
    if graph.graph.get("crs") and str(graph.graph["crs"]).upper() not in ("EPSG:4326", "WGS84"):
        raise InputError(
            f"GraphML is projected ({graph.graph['crs']}); save the unprojected graph",
            path=path,
        )
    if len(xs):
        check_degrees(
            np.array([xs.min(), ys.min(), xs.max(), ys.max()]), path, assumed=not graph.graph.get("crs")
        )
    issues.add(
        "info",
        path,
        f"read {len(lengths)} directed edges from GraphML",
        action="kept",
        zh=f"从 GraphML 读取 {len(lengths)} 条有向边",
    )
    _report_merged(np.asarray(highways, dtype=object), path, issues, "GraphML edges")
    return _edges_from_polylines(
        np.asarray(line_refs, dtype=np.int64),
        np.asarray(lines_lon, dtype=float),
        np.asarray(lines_lat, dtype=float),
        np.asarray(lengths, dtype=np.int64),
        np.asarray(highways, dtype=object),
        np.ones(len(lengths), dtype=np.int8),
        np.asarray(speeds, dtype=float),
        str(path),
        np.asarray(structures, dtype=bool),
    )


def read_line_layer(
    path: str | Path,
    issues: DataIssues,
    *,
    class_column: str | None = None,
    speed_column: str | None = None,
    speed_unit: str = "auto",
    join_tolerance_m: float = 0.0,
    encoding: str | None = None,
) -> RoadEdges:
    """Read a line layer with a road-class and/or speed column.

    Lines are joined where they share a vertex (to ~1 cm), and line ends closer than
    ``join_tolerance_m`` are merged (lane-level data often stops short of the junction);
    non-line features are skipped and recorded. Speeds are read in km/h unless ``speed_unit``
    says otherwise; with ``auto``, a column whose values never exceed 42 is taken as m/s (and a
    warning says so).
    """
    path = Path(path)
    layer = read_layer(path, "road", issues, encoding=encoding)
    hint = report_mojibake(layer, path, issues, "road")
    is_line = layer.geometry.geom_type.isin(["LineString", "MultiLineString"])
    if (~is_line).any():
        kinds = layer.geometry.geom_type[~is_line].value_counts().to_dict()
        issues.add(
            "info",
            path,
            f"{int((~is_line).sum())} non-line features skipped: {kinds}",
            zh=f"跳过 {int((~is_line).sum())} 个非线要素：{kinds}",
            field="geometry",
            action="skipped",
        )
    layer = layer[is_line].explode(index_parts=False).reset_index(drop=True)
    columns = {c.lower(): c for c in layer.columns}
    class_col = _pick_column(columns, class_column, _CLASS_COLUMNS, path, "class_column")
    speed_col = _pick_column(columns, speed_column, _SPEED_COLUMNS, path, "speed_column")
    if class_col is None and speed_col is None:
        raise InputError(
            f"no road-class column ({', '.join(_CLASS_COLUMNS)}) and no speed column "
            f"({', '.join(_SPEED_COLUMNS)}); columns are {list(layer.columns)}{hint}",
            path=path,
            field="highway",
        )
    highway = (
        road_classes(layer[class_col].to_numpy(dtype=object), path, issues, class_col)
        if class_col
        else np.full(len(layer), "unclassified", dtype=object)
    )
    speeds = _layer_speeds(layer, speed_col, speed_unit, path, issues)
    oneway_col = columns.get("oneway")
    oneway = (
        np.array(
            [_parse_oneway(str(v), h, None) for v, h in zip(layer[oneway_col], highway, strict=True)],
            dtype=np.int8,
        )
        if oneway_col
        else np.zeros(len(layer), dtype=np.int8)
    )
    coords, line_index = _line_coords(layer.geometry)
    key = np.round(coords * 1e7).astype(np.int64)
    _, refs = np.unique(key, axis=0, return_inverse=True)
    refs = refs.ravel()
    lengths = np.bincount(line_index, minlength=len(layer))
    if join_tolerance_m > 0:
        refs = _join_line_ends(coords, refs, lengths, join_tolerance_m, path, issues)
    return _edges_from_polylines(
        refs.astype(np.int64),
        coords[:, 0],
        coords[:, 1],
        lengths,
        highway,
        oneway,
        speeds,
        str(path),
    )


def _listed(value: object) -> list[str]:
    """Values of an attribute that may be a list, or a list saved as text ("['a', 'b']")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, (list, tuple)):
            return [str(v).strip() for v in parsed if str(v).strip()]
    return [text] if text else []


def road_class_text(value: object) -> str:
    """One road class per edge: Chinese classes mapped to OSM ones, merged classes joined.

    An edge that merges several classes (osmnx simplification gives ``['primary',
    'residential']``, also saved as that text) becomes ``"primary;residential"``; the
    network builder gives it the slowest of its classes for each mode.

    Examples
    --------
    >>> road_class_text("['primary', 'residential']"), road_class_text("县道")
    ('primary;residential', 'secondary')
    """
    classes = [CHINESE_ROAD_CLASSES.get(c.replace(" ", ""), c) for c in _listed(value)]
    return ";".join(dict.fromkeys(classes)) or "unclassified"


def road_classes(
    values: NDArray[np.object_], path: Path, issues: DataIssues, field: str
) -> NDArray[np.object_]:
    """Road class of every line of a layer (see :func:`road_class_text`), one look-up per value."""
    labels = pd.Series(values, dtype=object)
    labels = labels.where(labels.notna(), "").astype(str)
    unique = labels.unique()
    mapped = pd.Series([road_class_text(v) for v in unique], index=unique)
    classes = labels.map(mapped).to_numpy(dtype=object)
    chinese = sorted({v for v in unique if v.replace(" ", "") in CHINESE_ROAD_CLASSES})
    if chinese:
        issues.add(
            "info",
            path,
            "Chinese road classes read as OSM classes: "
            + ", ".join(f"{c}→{CHINESE_ROAD_CLASSES[c.replace(' ', '')]}" for c in chinese),
            zh="中文道路等级按 OSM 等级读取："
            + "，".join(f"{c}→{CHINESE_ROAD_CLASSES[c.replace(' ', '')]}" for c in chinese),
            field=field,
        )
    _report_merged(classes, path, issues, "lines")
    return classes


def _report_merged(classes: NDArray[np.object_], path: Path, issues: DataIssues, what: str) -> None:
    merged = pd.Series(classes, dtype=object).str.contains(";", regex=False).to_numpy(dtype=bool)
    if merged.any():
        example = classes[np.flatnonzero(merged)[0]]
        issues.add(
            "warning",
            path,
            f"{int(merged.sum())} {what} merge several road classes (e.g. {example}); each gets "
            "the slowest of its classes for every travel mode",
            zh=(
                f"{int(merged.sum())} 条{what}合并了多个道路等级（如 {example}"
                "）；各出行方式均取其中最慢的等级"
            ),
            field="highway",
            value=example,
            action="repaired",
        )


def _pick_column(
    columns: dict[str, str], wanted: str | None, candidates: tuple[str, ...], path: Path, option: str
) -> str | None:
    if wanted is not None:
        if wanted.lower() not in columns:
            raise InputError(
                f"{option} '{wanted}' not found; columns are {list(columns.values())}",
                path=path,
                field=wanted,
            )
        return columns[wanted.lower()]
    return next((columns[c] for c in candidates if c in columns), None)


def _layer_speeds(
    layer: gpd.GeoDataFrame, speed_col: str | None, unit: str, path: Path, issues: DataIssues
) -> NDArray[np.float64]:
    if speed_col is None:
        return np.full(len(layer), np.nan)
    speeds = np.array([parse_speed(v) for v in layer[speed_col]], dtype=float)
    if unit == "auto":
        top = np.nanmax(speeds) if np.isfinite(speeds).any() else np.nan
        unit = "ms" if np.isfinite(top) and top <= 42 else "kmh"
        if unit == "ms":
            issues.add(
                "warning",
                path,
                f"speeds in '{speed_col}' never exceed {top:g}: read as m/s "
                "(set speed_unit: kmh in the config if they are km/h)",
                zh=(
                    f"列 {speed_col!r} 的速度都不超过 {top:g}：按米/秒读取（若是公"
                    "里/小时，请在配置中设置 speed_unit: kmh）"
                ),
                field=speed_col,
                action="repaired",
            )
    factor = {"kmh": 1.0, "ms": 3.6, "mph": 1.609344}.get(unit)
    if factor is None:
        raise InputError(f"speed_unit must be kmh, ms, mph or auto, not {unit!r}", path=path)
    return speeds * factor


def _join_line_ends(
    coords: NDArray[np.float64],
    refs: NDArray[np.int64],
    lengths: NDArray[np.int64],
    tolerance_m: float,
    path: Path,
    issues: DataIssues,
) -> NDArray[np.int64]:
    """Give line ends closer than ``tolerance_m`` one shared vertex id."""
    from scipy import sparse
    from scipy.sparse import csgraph
    from scipy.spatial import cKDTree

    stops = np.cumsum(lengths)
    nonempty = lengths > 0
    ends = np.unique(np.concatenate([(stops - lengths)[nonempty], (stops - 1)[nonempty]]))
    lon, lat = coords[ends, 0], coords[ends, 1]
    x, y = project_lonlat(lon, lat, utm_crs(float(lon.mean()), float(lat.mean())))
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(tolerance_m, output_type="ndarray")
    if len(pairs) == 0:
        return refs
    end_refs = refs[ends]
    n = int(refs.max()) + 1
    links = sparse.coo_matrix(
        (np.ones(len(pairs)), (end_refs[pairs[:, 0]], end_refs[pairs[:, 1]])), shape=(n, n)
    )
    _, label = csgraph.connected_components(links, directed=False)
    merged = len(np.unique(end_refs)) - len(np.unique(label[end_refs]))
    issues.add(
        "info",
        path,
        f"{merged} line ends joined to a neighbour within {tolerance_m:g} m",
        zh=f"{merged} 个线端点与 {tolerance_m:g} 米内的相邻线连接",
        field="geometry",
        action="repaired",
    )
    return label[refs].astype(np.int64)


def _line_coords(geometry: gpd.GeoSeries) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    import shapely

    coords, index = shapely.get_coordinates(geometry.to_numpy(), return_index=True)
    return coords, index


def roads_frame(roads: RoadEdges) -> pd.DataFrame:
    """Segments as a plain table (for debugging and tests)."""
    return pd.DataFrame(
        {
            "u": roads.u,
            "v": roads.v,
            "highway": roads.highway,
            "oneway": roads.oneway,
            "maxspeed_kmh": roads.maxspeed_kmh,
        }
    )


#: Road classes drawn at every zoom on the maps (the others only when zoomed in).
MAJOR_ROAD_CLASSES = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary"}
    | {f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary", "tertiary")}
)


def major_segments(roads: RoadEdges) -> NDArray[np.bool_]:
    """Whether each segment is a main road (of ``MAJOR_ROAD_CLASSES``; ``a;b`` when any is)."""
    which, names = pd.factorize(pd.Series(roads.highway, dtype=object).astype(str))
    is_major = np.array([any(p in MAJOR_ROAD_CLASSES for p in c.split(";")) for c in names], dtype=bool)
    return is_major[which]


def road_lines(roads: RoadEdges, tolerance_deg: float = 0.0) -> gpd.GeoDataFrame:
    """Segments merged into display lines, one row per class group (``major``, ``minor``).

    For maps only (WGS-84): contiguous segments of a group are joined into lines
    (:func:`chains`) and simplified by ``tolerance_deg``; a segment of several classes
    (``a;b``) is major when any of them is.
    """
    import shapely

    major = major_segments(roads)
    rows = []
    for group, mask in (("major", major), ("minor", ~major)):
        if not mask.any():
            continue
        nodes, line = chains(roads.u[mask], roads.v[mask])
        xy = np.column_stack([roads.node_lon[nodes], roads.node_lat[nodes]])
        merged = shapely.multilinestrings(shapely.linestrings(xy, indices=line))
        if tolerance_deg > 0:  # each line on its own (topology-preserving is quadratic here)
            merged = shapely.simplify(merged, tolerance_deg, preserve_topology=False)
        rows.append({"group": group, "segments": int(mask.sum()), "geometry": merged})
    return gpd.GeoDataFrame(rows, columns=["group", "segments", "geometry"], geometry="geometry", crs=4326)


def chains(u: NDArray[np.integer], v: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Join segments ``u[i]``–``v[i]`` into the longest chains through nodes met by exactly two.

    What ``shapely.line_merge`` does for a map's roads, in whole-array steps: it took 15 s of a
    province's map for 2 million segments. A closed loop of such nodes is opened at one node.

    Returns
    -------
    nodes, line
        The chains' nodes in order, all chains one after another, and the chain of each.
    """
    if len(u) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ends = np.empty(2 * len(u), dtype=np.int64)  # half-edge h: segment h // 2 entered at node ends[h]
    ends[0::2], ends[1::2] = u, v
    order = np.argsort(ends, kind="stable")
    degree = np.bincount(ends)
    cut = np.zeros(len(degree), dtype=bool)  # nodes where a closed loop is opened
    nxt = _next_half_edges(ends, order, degree, cut)
    last, rank, looped = _follow(nxt)
    if looped.any():  # closed loops: open each at one of its nodes, and follow again
        cut[ends[_loop_starts(nxt, looped)]] = True
        nxt = _next_half_edges(ends, order, degree, cut)
        last, rank, looped = _follow(nxt)
    # each chain is walked both ways: keep the walk whose first half-edge is below its reverse's
    by_walk = np.lexsort((-rank, last))
    walk_of = last[by_walk]
    first = np.r_[True, walk_of[1:] != walk_of[:-1]]
    first_of_walk = np.repeat(by_walk[first], np.diff(np.r_[np.flatnonzero(first), len(by_walk)]))
    keep = first_of_walk < (walk_of ^ 1)
    kept, starts = by_walk[keep], first[keep]
    line_of = np.cumsum(starts) - 1
    n_lines = int(starts.sum())
    nodes = np.empty(len(kept) + n_lines, dtype=np.int64)
    at = np.arange(len(kept)) + line_of + 1  # each line's first node goes before its first segment
    nodes[at] = ends[kept ^ 1]
    nodes[at[starts] - 1] = ends[kept[starts]]
    line = np.empty(len(nodes), dtype=np.int64)
    line[at] = line_of
    line[at[starts] - 1] = line_of[starts]
    return nodes, line


def _next_half_edges(
    ends: NDArray[np.int64], order: NDArray[np.int64], degree: NDArray[np.int64], cut: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """For each half-edge, the half-edge the chain goes on with after its segment, or -1."""
    partner = np.full(len(ends), -1, dtype=np.int64)
    first = np.r_[0, np.cumsum(degree)[:-1]]
    through = np.flatnonzero((degree == 2) & ~cut)
    a, b = order[first[through]], order[first[through] + 1]
    partner[a], partner[b] = b, a
    return partner[np.arange(len(ends)) ^ 1]


def _loop_starts(nxt: NDArray[np.int64], looped: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Return one half-edge of each closed loop (both ways round count as one loop)."""
    from scipy import sparse
    from scipy.sparse import csgraph

    h = np.flatnonzero(looped)
    n = len(nxt)
    links = sparse.coo_matrix((np.ones(2 * len(h)), (np.r_[h, h], np.r_[nxt[h], h ^ 1])), shape=(n, n))
    _, label = csgraph.connected_components(links, directed=False)
    loop = label[h]
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, loop, h)
    return first[np.unique(loop)]


def _follow(nxt: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Follow ``nxt`` to the end by pointer jumping: each half-edge's last, its steps to it, looped."""
    last = np.where(nxt >= 0, nxt, np.arange(len(nxt)))
    rank = (nxt >= 0).astype(np.int64)
    ptr = nxt.copy()
    for _ in range(int(np.ceil(np.log2(max(len(nxt), 2)))) + 1):
        active = np.flatnonzero(ptr >= 0)
        if len(active) == 0:
            break
        to = ptr[active]
        rank[active] += rank[to]
        last[active] = last[to]
        ptr[active] = ptr[to]
    return last, rank, ptr >= 0
