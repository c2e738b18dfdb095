"""Travel-mode networks as compact CSR arrays, with speed profiles by road class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues, InputError

if TYPE_CHECKING:  # only for annotations: the config schema imports this module's speed tables
    from carecircles.roads import RoadEdges
    from carecircles.terrain import Terrain

#: Walking speed (km/h) used off the network: from a home or a facility to the nearest road.
OFFROAD_WALK_KMH = 4.5

#: Default speeds (km/h) by OSM highway class for each mode. A class missing from a mode's
#: table is not usable by that mode; ``"*"`` is the speed for classes not listed.
#: Motor modes are further capped by a road's posted maxspeed.
DEFAULT_SPEEDS_KMH: dict[str, dict[str, float]] = {
    # walking: everything but motorways, slower on steps and rough tracks
    "walk": {
        "*": 4.5,
        "steps": 2.0,
        "track": 4.0,
        "path": 4.0,
        "bridleway": 4.0,
        "motorway": 0.0,
        "motorway_link": 0.0,
    },
    # e-bike / motorcycle: the usual rural means of getting to a clinic
    "ebike": {
        "trunk": 35,
        "trunk_link": 30,
        "primary": 35,
        "primary_link": 30,
        "secondary": 30,
        "secondary_link": 25,
        "tertiary": 30,
        "tertiary_link": 25,
        "unclassified": 25,
        "road": 25,
        "residential": 20,
        "living_street": 10,
        "service": 15,
        "track": 12,
        "cycleway": 18,
        "path": 8,
    },
    # car: rural China speeds, well under the legal limits on hill roads
    "car": {
        "motorway": 100,
        "motorway_link": 60,
        "trunk": 70,
        "trunk_link": 40,
        "primary": 60,
        "primary_link": 40,
        "secondary": 50,
        "secondary_link": 35,
        "tertiary": 40,
        "tertiary_link": 30,
        "unclassified": 30,
        "road": 30,
        "residential": 25,
        "living_street": 10,
        "service": 15,
        "track": 15,
    },
}

_DIRECTED_MODES = frozenset({"ebike", "car"})


def speed_profile(mode: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the speed table of ``mode`` with user overrides applied.

    Raises
    ------
    InputError
        For an unknown mode (with no overrides to define it) or a negative speed.
    """
    if mode not in DEFAULT_SPEEDS_KMH and not overrides:
        raise InputError(
            f"unknown travel mode {mode!r}; known: {sorted(DEFAULT_SPEEDS_KMH)} "
            "(define a new one under 'speeds' in the config)",
            field="mode",
        )
    table = dict(DEFAULT_SPEEDS_KMH.get(mode, {}))
    table.update({str(k): float(v) for k, v in (overrides or {}).items()})
    negative = {k: v for k, v in table.items() if v < 0}
    if negative:
        raise InputError(f"mode {mode!r}: negative speeds {negative}", field="speeds")
    return table


#: An answer for at least this many places (the population) is kept for the next call with them.
KEEP_SNAP_POINTS = 100_000


class KeptForPlaces:
    """The last answer computed for a large set of places, returned again for the same arrays.

    The population places are asked about once per standard, catchment level, indicator and
    re-assessment; their arrays are the same objects each time, so identity is the key. Only
    sets of ``KEEP_SNAP_POINTS`` or more are kept, and their arrays are made read-only.
    """

    def __init__(self) -> None:
        self._kept: tuple | None = None

    def get(self, x: NDArray[np.float64], y: NDArray[np.float64], key: object = None) -> tuple | None:
        """Return what was kept for these arrays (and ``key``), or ``None``."""
        kept = self._kept
        if kept is not None and kept[0] is x and kept[1] is y and kept[2] == key:
            return kept[3]
        return None

    @staticmethod
    def worth_keeping(x: NDArray[np.float64]) -> bool:
        """Whether an answer for these places would be kept (they are ``KEEP_SNAP_POINTS`` or more)."""
        return len(x) >= KEEP_SNAP_POINTS

    def keep(self, x: NDArray[np.float64], y: NDArray[np.float64], key: object, arrays: tuple) -> None:
        """Keep ``arrays`` (made read-only) for these places, when they are many."""
        if not self.worth_keeping(x):
            return
        for array in arrays:
            array.setflags(write=False)
        self._kept = (x, y, key, arrays)


@dataclass(frozen=True)
class Network:
    """One travel mode's routable graph in a local metric CRS.

    Attributes
    ----------
    mode
        Travel mode name.
    x, y
        Node coordinates in metres (local CRS), shape ``(n,)``.
    seconds
        CSR matrix, ``seconds[i, j]`` = travel time of the edge i→j.
    metres
        CSR matrix with the same structure: edge lengths.
    tree
        KD-tree on ``(x, y)`` for snapping points to nodes.
    crs
        The local CRS.
    z
        Node elevations in metres when the run has a DEM, else ``None``.
    terrain
        The run's terrain (:class:`carecircles.terrain.Terrain`), or ``None``: with it the
        off-road walks use the slope between their ends.
    offroad_kmh
        Walking speed off the network (home to road, road to door) on the flat.
    """

    mode: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    seconds: sparse.csr_matrix
    metres: sparse.csr_matrix
    tree: cKDTree
    crs: CRS
    z: NDArray[np.float64] | None = None
    terrain: Terrain | None = None
    offroad_kmh: float = OFFROAD_WALK_KMH
    _kept_snap: KeptForPlaces = field(default_factory=KeptForPlaces, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickle without the kept snap (the population places' nodes: hundreds of MB)."""
        return {**self.__dict__, "_kept_snap": KeptForPlaces()}

    def elevation(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """Terrain elevation at points of the local CRS, or ``None`` without a DEM."""
        if self.terrain is None:
            return None
        return self.terrain.elevation(x, y, self.crs)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    def snap(
        self, x: NDArray[np.float64], y: NDArray[np.float64], max_distance: float
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest node of each point and its straight-line distance.

        Points farther than ``max_distance`` get node ``-1`` and distance ``inf``. The last
        snap of ``KEEP_SNAP_POINTS`` or more is kept (read-only) and returned again when the
        same arrays ask with the same distance.
        """
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        kept = self._kept_snap.get(x, y, max_distance)
        if kept is not None:
            return kept
        dist, node = self.tree.query(np.column_stack([x, y]), distance_upper_bound=max_distance, workers=-1)
        node = np.where(np.isfinite(dist), node, -1).astype(np.int64)
        self._kept_snap.keep(x, y, max_distance, (node, dist))
        return node, dist


def build_network(
    roads: RoadEdges,
    mode: str,
    crs: CRS,
    issues: DataIssues,
    *,
    speeds: Mapping[str, float] | None = None,
    terrain: Terrain | None = None,
    factors: Mapping[str, float] | None = None,
    offroad_kmh: float = OFFROAD_WALK_KMH,
) -> Network:
    """Build the CSR network of one travel mode.

    Edges of classes the mode cannot use are left out, one-way restrictions apply to motor
    modes, parallel edges keep the fastest, and only the largest connected component is
    kept (the rest are reported in ``issues``), so every snapped point can reach the others.

    Parameters
    ----------
    roads
        Road segments from :func:`carecircles.roads.read_roads`.
    mode
        ``walk``, ``ebike``, ``car`` or a mode defined by ``speeds``.
    crs
        Local metric CRS.
    issues
        Collector for unknown classes and dropped fragments.
    speeds
        Overrides of the default speed table (km/h by highway class).
    terrain
        Elevations and slope models: each segment's time in each direction is its flat time
        times the mean of ``1 / factor(slope)`` along it (:func:`carecircles.terrain.edge_factors`).
    factors
        A scenario's speed factors by road class (``*``: the rest; 0 closes a class), applied
        after the speed limit cap. A segment of merged classes takes the smallest factor.
    offroad_kmh
        Walking speed off the network on the flat.

    Raises
    ------
    InputError
        If no edge is usable by the mode.
    """
    table = speed_profile(mode, speeds)
    x_all, y_all = project_lonlat(roads.node_lon, roads.node_lat, crs)
    length = np.hypot(x_all[roads.u] - x_all[roads.v], y_all[roads.u] - y_all[roads.v])
    kmh = _edge_speeds(roads, mode, table, issues, overrides=speeds or {})
    if factors:
        kmh = kmh * _class_values(roads, factors, factors.get("*", 1.0))
    usable = kmh > 0
    if not usable.any():
        raise InputError(f"no road in the network is usable by mode {mode!r}", path=roads.source)
    seconds = np.where(usable, length / np.maximum(kmh, 1e-9) * 3.6, np.inf)
    back_seconds = _slope_times(roads, mode, terrain, x_all, y_all, kmh, usable, seconds, crs)

    if mode in _DIRECTED_MODES:
        forward = usable & (roads.oneway >= 0)
        backward = usable & (roads.oneway <= 0)
    else:
        forward = backward = usable
    rows = np.concatenate([roads.u[forward], roads.v[backward]])
    cols = np.concatenate([roads.v[forward], roads.u[backward]])
    secs = np.concatenate([seconds[forward], back_seconds[backward]])
    lens = np.concatenate([length[forward], length[backward]])
    # scipy would sum parallel edges: keep the fastest of each (row, col) instead
    order = np.lexsort((secs, cols, rows))
    rows, cols, secs, lens = rows[order], cols[order], secs[order], lens[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, secs, lens = rows[first], cols[first], secs[first], lens[first]
    # a zero weight would vanish from a sparse matrix: floor at 1 ms / 1 mm
    secs = np.maximum(secs, 1e-3)
    lens = np.maximum(lens, 1e-3)

    n = roads.n_nodes
    graph = sparse.csr_matrix((secs, (rows, cols)), shape=(n, n))
    keep = _largest_component(graph, roads, mode, issues)
    index = np.full(n, -1, dtype=np.int64)
    index[keep] = np.arange(len(keep))
    inside = (index[rows] >= 0) & (index[cols] >= 0)
    r, c = index[rows[inside]], index[cols[inside]]
    m = len(keep)
    return Network(
        mode=mode,
        x=x_all[keep],
        y=y_all[keep],
        seconds=sparse.csr_matrix((secs[inside], (r, c)), shape=(m, m)),
        metres=sparse.csr_matrix((lens[inside], (r, c)), shape=(m, m)),
        tree=cKDTree(np.column_stack([x_all[keep], y_all[keep]])),
        crs=crs,
        z=None if terrain is None else terrain.node_z[keep],
        terrain=terrain,
        offroad_kmh=offroad_kmh,
    )


def _class_values(roads: RoadEdges, values: Mapping[str, float], default: float) -> NDArray[np.float64]:
    """Per segment, the value of its class (merged classes ``a;b``: the smallest of theirs)."""
    classes, inverse = np.unique(roads.highway.astype(str), return_inverse=True)
    per_class = np.array([min(values.get(p, default) for p in c.split(";")) for c in classes], dtype=float)
    return per_class[inverse.ravel()]


def _slope_times(
    roads: RoadEdges,
    mode: str,
    terrain: Terrain | None,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    kmh: NDArray[np.float64],
    usable: NDArray[np.bool_],
    seconds: NDArray[np.float64],
    crs: CRS,
) -> NDArray[np.float64]:
    """Apply the mode's slope model to ``seconds`` (u→v, in place) and return the v→u times."""
    factor = None if terrain is None else terrain.speed_factor(mode, kmh[usable])
    if terrain is None or factor is None:
        return seconds
    from carecircles.terrain import edge_factors

    structure = None if roads.structure is None else roads.structure[usable]
    fwd, bwd = edge_factors(
        x,
        y,
        terrain.node_z,
        roads.u[usable],
        roads.v[usable],
        structure,
        terrain.surface,
        crs,
        factor,
        terrain.step_m,
    )
    back = seconds.copy()
    seconds[usable] *= fwd
    back[usable] *= bwd
    return back


def _edge_speeds(
    roads: RoadEdges,
    mode: str,
    table: Mapping[str, float],
    issues: DataIssues,
    *,
    overrides: Mapping[str, float],
) -> NDArray[np.float64]:
    classes = np.unique(roads.highway.astype(str))
    default = table.get("*", 0.0)
    parts = sorted({p for c in classes for p in c.split(";")})
    _report_unused_speeds(set(parts), roads.source, mode, overrides, issues)
    unknown = [c for c in parts if c not in table and c not in _ALL_KNOWN_CLASSES]
    if unknown:
        issues.add(
            "info",
            roads.source,
            f"mode {mode}: road classes not in the speed table {unknown[:10]} "
            f"{'use the default speed' if default else 'are not used'}",
            zh=f"出行方式 {mode}：速度表中没有的道路等级 {unknown[:10]}"
            + ("按默认速度" if default else "不使用"),
            field="highway",
        )
    kmh = _class_values(roads, table, default)  # merged classes ("primary;residential"): the slowest
    if mode != "walk":
        capped = np.isfinite(roads.maxspeed_kmh) & (kmh > 0)
        kmh = np.where(capped, np.minimum(kmh, roads.maxspeed_kmh), kmh)
    return kmh


def _report_unused_speeds(
    present: set[str], source: object, mode: str, overrides: Mapping[str, float], issues: DataIssues
) -> None:
    """Warn about a speed set in the config for a road class no road of the network has."""
    for road_class in overrides:
        if road_class == "*" or road_class in present:
            continue
        from carecircles.roads import CHINESE_ROAD_CLASSES

        osm = CHINESE_ROAD_CLASSES.get(road_class)
        hint = (
            f"; Chinese road classes are read as OSM classes ({road_class} → {osm}): set speeds.{mode}.{osm}"
            if osm
            else ""
        )
        issues.add(
            "warning",
            source,
            f"speeds.{mode}.{road_class}: no road of class '{road_class}' in the network, so this speed "
            f"is not used{hint}",
            zh=f"speeds.{mode}.{road_class}：路网中没有 {road_class!r} 等级的道路，该速度未使用{hint}",
            field=f"speeds.{mode}.{road_class}",
            value=overrides[road_class],
            action="skipped",
        )


_ALL_KNOWN_CLASSES = frozenset(
    {c for t in DEFAULT_SPEEDS_KMH.values() for c in t}
    | {"footway", "pedestrian", "steps", "path", "cycleway", "bridleway", "corridor", "crossing"}
)


def _largest_component(
    graph: sparse.csr_matrix, roads: RoadEdges, mode: str, issues: DataIssues
) -> NDArray[np.int64]:
    """Nodes of the largest weakly connected component that has at least one edge."""
    has_edge = np.zeros(graph.shape[0], dtype=bool)
    has_edge[graph.indices] = True
    has_edge[np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))] = True
    _, labels = csgraph.connected_components(graph, directed=True, connection="weak")
    sizes = np.bincount(labels[has_edge])
    biggest = int(np.argmax(sizes))
    keep = np.flatnonzero(labels == biggest)
    dropped = int(has_edge.sum()) - len(keep)
    if dropped:
        fragments = int((sizes > 0).sum()) - 1
        issues.add(
            "info",
            roads.source,
            f"mode {mode}: {fragments} road fragments ({dropped} nodes) not connected to the "
            f"main network ({len(keep)} nodes) were left out",
            zh=(
                f"出行方式 {mode}：{fragments} 段与主路网（{len(keep)} 个节点）"
                f"不相连的道路碎片（{dropped} 个节点）未计入"
            ),
            action="skipped",
        )
    return keep
