"""Travel time (or road distance) from every node and every place to its nearest facility.

One compiled multi-source Dijkstra pass per facility set (scipy.sparse.csgraph, with a
search limit), on the reversed graph so one-way streets are respected in the direction a
patient travels. Each facility enters through a virtual node whose edge to its nearest road
node costs the off-road walk from the door to that road: no per-facility loop anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from carecircles.network import Network
from carecircles.terrain import tobler_factor

Weight = Literal["seconds", "metres"]


@dataclass(frozen=True)
class NodeCosts:
    """Cost from each network node to its nearest facility.

    Attributes
    ----------
    cost
        Seconds or metres per node; ``inf`` where no facility is within ``limit``.
    facility
        Index (into the facility arrays passed in) of the nearest facility; ``-1`` if none.
    facility_node
        Road node each facility was snapped to; ``-1`` if it is beyond the snap radius.
    facility_offroad_m
        Straight distance from each facility to that node.
    weight, limit
        What ``cost`` measures and the search limit used.
    facility_door
        Cost of the walk from each facility's road node to its door (:func:`door_costs`);
        ``nan`` for a facility beyond the snap radius.
    """

    cost: NDArray[np.float64]
    facility: NDArray[np.int64]
    facility_node: NDArray[np.int64]
    facility_offroad_m: NDArray[np.float64]
    weight: Weight
    limit: float
    facility_door: NDArray[np.float64]


@dataclass(frozen=True)
class PlaceCosts:
    """Cost from each place (population cell, village) to its nearest facility.

    Attributes
    ----------
    cost
        Seconds or metres; ``inf`` when unreachable or beyond the search limit.
    facility
        Index of the nearest facility, ``-1`` if none within the limit.
    offroad_m
        Straight distance from the place to its road node (``inf`` beyond the snap radius).
    unreachable
        True where the place is farther than the snap radius from every road and no
        facility is within walking reach: such places are reported, never dropped.
    direct
        True where the place walks straight to its facility (no road).
    door_m
        Straight distance from the facility reached to its own road node (the walk from the
        road to the door); ``nan`` where none is reached.
    to_road, door
        Cost of the walk from the place to its road node, and of the walk from the facility's
        road node to its door (``nan`` where none is reached); with a DEM these follow the
        slope between their ends.
    """

    cost: NDArray[np.float64]
    facility: NDArray[np.int64]
    offroad_m: NDArray[np.float64]
    unreachable: NDArray[np.bool_]
    direct: NDArray[np.bool_]
    door_m: NDArray[np.float64]
    to_road: NDArray[np.float64]
    door: NDArray[np.float64]


def walk_cost(
    network: Network,
    weight: Weight,
    distance_m: NDArray[np.float64],
    z_from: NDArray[np.float64] | None,
    z_to: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    """Cost of off-road walks of ``distance_m`` from elevation ``z_from`` to ``z_to``.

    At the network's ``offroad_kmh`` on the flat; with a DEM (and Tobler
    for walking) divided by :func:`~carecircles.terrain.tobler_factor` of the slope between
    the two ends. Road distance (``metres``) ignores the slope.
    """
    distance = np.asarray(distance_m, dtype=float)
    base = distance * (3.6 / network.offroad_kmh if weight == "seconds" else 1.0)
    if z_from is None or z_to is None or not _slope_walks(network, weight):
        return base
    ok = (distance > 0) & np.isfinite(distance)
    slope = np.divide(np.asarray(z_to) - np.asarray(z_from), distance, out=np.zeros(len(base)), where=ok)
    return base / tobler_factor(slope)


def _slope_walks(network: Network, weight: Weight) -> bool:
    return weight == "seconds" and network.terrain is not None and network.terrain.offroad


def _node_z(network: Network, node: NDArray[np.int64]) -> NDArray[np.float64] | None:
    """Elevation of road nodes (``nan`` for ``-1``), or ``None`` without a DEM."""
    if network.z is None:
        return None
    return np.where(node >= 0, network.z[np.maximum(node, 0)], np.nan)


def _place_z(
    network: Network, weight: Weight, x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """Terrain elevation at places when walks follow the slope, else ``None``."""
    if not _slope_walks(network, weight):
        return None
    return network.elevation(np.asarray(x, float), np.asarray(y, float))


def door_costs(
    network: Network,
    weight: Weight,
    distance_m: NDArray[np.float64],
    node: NDArray[np.int64],
    door_x: NDArray[np.float64],
    door_y: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Cost of the walk from each facility's road node to its door.

    Never exactly 0, so a facility on a node still counts as the source that reached it.
    """
    z_door = _place_z(network, weight, door_x, door_y)
    z_node = _node_z(network, node) if z_door is not None else None
    cost = walk_cost(network, weight, distance_m, z_node, z_door)
    return np.maximum(cost, 1e-6)


def nearest_facility_costs(
    network: Network,
    facility_x: NDArray[np.float64],
    facility_y: NDArray[np.float64],
    *,
    limit: float,
    snap_radius_m: float,
    weight: Weight = "seconds",
) -> NodeCosts:
    """Cost from every node to its nearest facility in one multi-source Dijkstra pass.

    Parameters
    ----------
    network
        Network of the travel mode.
    facility_x, facility_y
        Facility positions in the network's CRS (metres).
    limit
        Search limit in the units of ``weight``: nodes beyond it get ``inf``.
    snap_radius_m
        Facilities farther than this from every road node are not connected.
    weight
        ``seconds`` (travel time) or ``metres`` (road distance).

    Returns
    -------
    NodeCosts
    """
    n = network.n_nodes
    node, dist = network.snap(np.asarray(facility_x), np.asarray(facility_y), snap_radius_m)
    snapped = np.flatnonzero(node >= 0)
    cost = np.full(n, np.inf)
    nearest = np.full(n, -1, dtype=np.int64)
    door = np.full(len(node), np.nan)
    if len(snapped):
        matrix = network.seconds if weight == "seconds" else network.metres
        reverse = matrix.T.tocoo()  # patients travel node → facility
        k = len(snapped)
        fx, fy = np.asarray(facility_x, float), np.asarray(facility_y, float)
        access = door_costs(network, weight, dist[snapped], node[snapped], fx[snapped], fy[snapped])
        door[snapped] = access
        rows = np.concatenate([reverse.row, np.arange(n, n + k)])
        cols = np.concatenate([reverse.col, node[snapped]])
        data = np.concatenate([reverse.data, access])
        graph = sparse.csr_matrix((data, (rows, cols)), shape=(n + k, n + k))
        found, _, source = csgraph.dijkstra(
            graph,
            directed=True,
            indices=np.arange(n, n + k),
            limit=limit,
            min_only=True,
            return_predecessors=True,
        )
        cost = found[:n]
        reached = source[:n] >= n
        nearest[reached] = snapped[source[:n][reached] - n]
    return NodeCosts(
        cost=cost,
        facility=nearest,
        facility_node=node,
        facility_offroad_m=dist,
        weight=weight,
        limit=limit,
        facility_door=door,
    )


def place_costs(
    network: Network,
    node_costs: NodeCosts,
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    facility_x: NDArray[np.float64],
    facility_y: NDArray[np.float64],
    *,
    snap_radius_m: float,
    direct_walk: bool = True,
    maybe_near: NDArray[np.bool_] | None = None,
) -> PlaceCosts:
    """Cost from places to their nearest facility: off-road walk to the nearest node + network.

    With ``direct_walk``, a facility within the snap radius can also be reached by walking
    straight to it, whichever is quicker (a home next to a clinic does not go round the
    block). Facilities that could not be snapped to the network are not used at all.
    ``maybe_near``: the places that may lie within the radius of one of the facilities (a
    superset); only these are looked up for a straight walk (``None``: all).
    """
    weight = node_costs.weight
    node, offroad = network.snap(np.asarray(place_x), np.asarray(place_y), snap_radius_m)
    on_net = node >= 0
    cost = np.full(len(node), np.inf)
    facility = np.full(len(node), -1, dtype=np.int64)
    z_place = _place_z(network, weight, place_x, place_y)
    z_node = _node_z(network, node) if z_place is not None else None
    to_road = np.full(len(node), np.inf)
    to_road[on_net] = walk_cost(
        network,
        weight,
        offroad[on_net],
        None if z_place is None else z_place[on_net],
        None if z_node is None else z_node[on_net],
    )
    cost[on_net] = to_road[on_net] + node_costs.cost[node[on_net]]
    facility[on_net] = node_costs.facility[node[on_net]]
    usable = np.flatnonzero(node_costs.facility_node >= 0)
    walked = np.zeros(len(node), dtype=bool)
    better = np.zeros(len(node), dtype=bool)
    if direct_walk and len(usable) and len(node):
        tree = cKDTree(np.column_stack([facility_x[usable], facility_y[usable]]))
        asked = np.arange(len(node)) if maybe_near is None else np.flatnonzero(maybe_near)
        straight, which = tree.query(  # for the places asked only: a province's are a quarter
            np.column_stack([place_x[asked], place_y[asked]]), distance_upper_bound=snap_radius_m, workers=-1
        )
        found = np.isfinite(straight)
        near = asked[found]  # places within the radius of a facility, and their facility
        which = which[found]
        z_door = _place_z(network, weight, facility_x[usable], facility_y[usable])
        walk = walk_cost(
            network,
            weight,
            straight[found],
            None if z_place is None else z_place[near],
            None if z_door is None else z_door[which],
        )
        del straight, found
        quicker = (walk <= node_costs.limit) & (walk < cost[near])
        cost[near[quicker]] = walk[quicker]
        facility[near[quicker]] = usable[which[quicker]]
        better[near[quicker]] = True
        walked[near] = True
    cost[cost > node_costs.limit] = np.inf
    facility[~np.isfinite(cost)] = -1
    unreachable = ~on_net & ~walked
    reached = facility >= 0
    door_m = np.full(len(node), np.nan)
    door_m[reached] = node_costs.facility_offroad_m[facility[reached]]
    door = np.full(len(node), np.nan)
    door[reached] = node_costs.facility_door[facility[reached]]
    return PlaceCosts(
        cost=cost,
        facility=facility,
        offroad_m=offroad,
        unreachable=unreachable,
        direct=better & reached,
        door_m=door_m,
        to_road=to_road,
        door=door,
    )


_CHUNK_CELLS = 10_000_000  # Dijkstra rows × nodes held at once by pair_costs (80 MB of float64)

_Pairs = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


@dataclass(frozen=True)
class _Ends:
    """Both ends of source–place pairs: snapped nodes, the walks to them, and walks between them."""

    network: Network
    weight: Weight
    sx: NDArray[np.float64]
    sy: NDArray[np.float64]
    px: NDArray[np.float64]
    py: NDArray[np.float64]
    snode: NDArray[np.int64]  # each source's road node, -1 beyond its snap radius
    usable: NDArray[np.int64]  # the sources with a road node
    access: NDArray[np.float64]  # from a source's road node to its door
    pnode: NDArray[np.int64]  # each place's road node, -1 beyond its snap radius
    pcost: NDArray[np.float64]  # from a place to its road node
    z_place: NDArray[np.float64] | None
    z_source: NDArray[np.float64] | None

    @classmethod
    def of(
        cls,
        network: Network,
        weight: Weight,
        source_x: NDArray[np.float64],
        source_y: NDArray[np.float64],
        place_x: NDArray[np.float64],
        place_y: NDArray[np.float64],
        snap_radius_m: float,
        facility_snap_radius_m: float,
    ) -> _Ends:
        sx, sy = np.asarray(source_x, dtype=float), np.asarray(source_y, dtype=float)
        px, py = np.asarray(place_x, dtype=float), np.asarray(place_y, dtype=float)
        snode, sdist = network.snap(sx, sy, facility_snap_radius_m)
        pnode, poff = network.snap(px, py, snap_radius_m)
        z_place = _place_z(network, weight, px, py)
        z_pnode = _node_z(network, pnode) if z_place is not None else None
        return cls(
            network=network,
            weight=weight,
            sx=sx,
            sy=sy,
            px=px,
            py=py,
            snode=snode,
            usable=np.flatnonzero(snode >= 0),
            access=door_costs(network, weight, sdist, snode, sx, sy),
            pnode=pnode,
            pcost=walk_cost(network, weight, poff, z_place, z_pnode),
            z_place=z_place,
            z_source=_place_z(network, weight, sx, sy),
        )

    def on_foot(
        self, source: NDArray[np.int64], place: NDArray[np.int64], straight: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Cost of walking straight from places to sources ``straight`` metres away."""
        return walk_cost(
            self.network,
            self.weight,
            straight,
            None if self.z_place is None else self.z_place[place],
            None if self.z_source is None else self.z_source[source],
        )

    def walks(self, limit: float, snap_radius_m: float) -> _Pairs:
        """Every (usable source, place) pair walked straight within ``limit``, strictly within the radius."""
        usable = self.usable
        if not len(usable) or not len(self.px):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        row, col, straight = pairs_within(self.sx[usable], self.sy[usable], self.px, self.py, snap_radius_m)
        walk = self.on_foot(usable[row], col, straight)
        ok = (straight < snap_radius_m) & (walk <= limit)  # as place_costs: strictly within the radius
        return usable[row[ok]], col[ok], walk[ok]


def pairs_within(
    source_x: NDArray[np.float64],
    source_y: NDArray[np.float64],
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    radius: float,
) -> _Pairs:
    """Every (source, place) pair at most ``radius`` apart, sorted by source, then place.

    The pairs and distances of ``cKDTree.sparse_distance_matrix`` (the same computation, so
    the same bits), but only the places in a grid cell next to a source's are put in a tree
    (cells a little wider than ``radius``, so no pair is missed): indexing a province's 12.7
    million cells took 4–11 s, for the few hundred thousand near its facilities. Sources and
    places with a NaN or infinite coordinate are in no pair; an infinite ``radius`` pairs
    every source with every place.

    Returns
    -------
    tuple
        ``rows`` (source index), ``cols`` (place index), ``distance``.
    """
    sx, sy = np.asarray(source_x, dtype=float), np.asarray(source_y, dtype=float)
    px, py = np.asarray(place_x, dtype=float), np.asarray(place_y, dtype=float)
    known = np.isfinite(sx) & np.isfinite(sy)
    if not known.any() or not len(px) or not radius >= 0:
        return _no_pairs()
    x0, y0 = float(sx[known].min()), float(sy[known].min())
    width, height = float(sx[known].max()) - x0, float(sy[known].max()) - y0
    # a little over the radius: a pair's cells are then at most one apart, whatever the rounding
    cell = max(radius * (1 + 1e-6) + 1e-6, np.sqrt((width + 1.0) * (height + 1.0) / 2**22))
    # the grid is sized from the sources' cell numbers themselves, not from width / cell, which
    # may round the other way
    c = _cell_numbers(sx[known], x0, cell).astype(np.int64)
    r = _cell_numbers(sy[known], y0, cell).astype(np.int64)
    columns, rows = int(c.max()) + 2, int(r.max()) + 2
    near = np.zeros((columns, rows), dtype=bool)
    for dc in (-1, 0, 1):
        for dr in (-1, 0, 1):
            near[c + dc, r + dr] = True
    candidate = _in_marked_cells(px, py, x0, y0, cell, near)
    if not len(candidate):
        return _no_pairs()
    kept = np.flatnonzero(known)
    found = cKDTree(np.column_stack([sx[kept], sy[kept]])).sparse_distance_matrix(
        cKDTree(np.column_stack([px[candidate], py[candidate]])), radius, output_type="coo_matrix"
    )
    source, place = kept[found.row], candidate[found.col]
    order = np.lexsort((place, source))
    return source[order], place[order], found.data[order]


def _cell_numbers(v: NDArray[np.float64], origin: float, cell: float) -> NDArray[np.float64]:
    """Grid cell numbers along one axis, from 1: a margin of one cell before the first (NaN stays NaN)."""
    with np.errstate(invalid="ignore"):
        return (v - origin) // cell + 1


def _in_marked_cells(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    x0: float,
    y0: float,
    cell: float,
    marked: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Return the points in a ``marked`` grid cell (:func:`_cell_numbers` of x and y), ascending.

    A million points at a time: a province's 12.7 million would need several 100 MB arrays at
    once. Points with a NaN coordinate, or off the grid, are in no cell.
    """
    columns, rows = marked.shape
    found = []
    for lo in range(0, len(x), 1 << 20):
        fx, fy = (
            _cell_numbers(x[lo : lo + (1 << 20)], x0, cell),
            _cell_numbers(y[lo : lo + (1 << 20)], y0, cell),
        )
        inside = np.flatnonzero((fx >= 0) & (fx < columns) & (fy >= 0) & (fy < rows))  # NaN: neither
        hit = marked[fx[inside].astype(np.int64), fy[inside].astype(np.int64)]
        found.append(lo + inside[hit])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def pair_costs(
    network: Network,
    source_x: NDArray[np.float64],
    source_y: NDArray[np.float64],
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    *,
    weight: Weight = "seconds",
    limit: float,
    snap_radius_m: float,
    facility_snap_radius_m: float,
    direct_walk: bool = True,
) -> _Pairs:
    """Cost of every (source, place) pair within ``limit``: one entry per pair, not only the nearest.

    A source is a facility or a candidate site. The cost of a pair is what :func:`place_costs`
    gives that place with that source alone: the place's off-road walk to its nearest road node
    (within ``snap_radius_m``) + the network from there to the source's road node + the walk
    from that node to the source's door (:func:`door_costs`); with ``direct_walk``, the
    straight walk to the source instead when the source is closer than ``snap_radius_m`` and
    that is cheaper. Sources farther than ``facility_snap_radius_m`` from every node are not
    used at all (as in :func:`nearest_facility_costs`).

    One Dijkstra per chunk of sources on the reversed graph (patients travel towards the
    source), limited to ``limit``; memory grows with what the sources reach, not with
    sources × places.

    Parameters
    ----------
    network
        Network of the travel mode.
    source_x, source_y, place_x, place_y
        Positions in the network's CRS (metres).
    weight
        ``seconds`` (travel time) or ``metres`` (road distance).
    limit
        Largest cost kept (inclusive), in the units of ``weight``.
    snap_radius_m, facility_snap_radius_m
        Snap radii of places and of sources.
    direct_walk
        Whether a place may walk straight to a source closer than ``snap_radius_m``.

    Returns
    -------
    tuple
        ``rows`` (source index), ``cols`` (place index) and ``cost``, one entry per pair within
        ``limit``, in no particular order.
    """
    ends = _Ends.of(
        network, weight, source_x, source_y, place_x, place_y, snap_radius_m, facility_snap_radius_m
    )
    sx, sy, px, py = ends.sx, ends.sy, ends.px, ends.py
    snode, pnode, pcost, access = ends.snode, ends.pnode, ends.pcost, ends.access
    # sources in spatial order: each chunk's Dijkstra runs on the sub-network it can reach
    reach_m = network_reach_m(network, weight, limit)
    usable = ends.usable[_spatial_order(network, snode[ends.usable], reach_m)]
    rank = np.full(len(sx), -1, dtype=np.int64)
    rank[usable] = np.arange(len(usable))
    walks = None
    if direct_walk:
        source, place, walk = ends.walks(limit, snap_radius_m)
        by_source = np.argsort(rank[source], kind="stable")  # in the order sources are searched
        walks = (source[by_source], place[by_source], walk[by_source])
        walk_rank = rank[walks[0]]
    out: list[_Pairs] = []
    for lo, hi, reach, (rows, cols, cost) in _road_pairs(
        network, snode, access, pnode, pcost, usable, weight, limit, reach_m
    ):
        if walks is None:
            out.append((rows, cols, cost))
            continue
        # pairs reached by road and on foot within the radius: the cheaper way
        straight = np.hypot(sx[rows] - px[cols], sy[rows] - py[cols])
        foot = ends.on_foot(rows, cols, straight)
        walked = (straight < snap_radius_m) & (foot < cost)
        cost = np.where(walked, foot, cost)
        out.append((rows, cols, cost))
        # pairs reached on foot only: the road route (same sums as _road_pairs) is beyond the limit
        first = np.searchsorted(walk_rank, lo, side="left")  # walks are in search order
        last = np.searchsorted(walk_rank, hi - 1, side="right")
        w_row, w_col, w_cost = (w[first:last] for w in walks)
        node = pnode[w_col]
        road = np.full(len(w_row), np.inf)
        on = node >= 0
        road[on] = (reach(rank[w_row[on]] - lo, node[on]) + access[w_row[on]]) + pcost[w_col[on]]
        only = ~(np.isfinite(road) & (road <= limit))
        out.append((w_row[only], w_col[only], w_cost[only]))
    if not out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (
        np.concatenate([o[0] for o in out]),
        np.concatenate([o[1] for o in out]),
        np.concatenate([o[2] for o in out]),
    )


def _road_pairs(
    network: Network,
    snode: NDArray[np.int64],
    access: NDArray[np.float64],
    pnode: NDArray[np.int64],
    pcost: NDArray[np.float64],
    usable: NDArray[np.int64],
    weight: Weight,
    limit: float,
    reach_m: float,
) -> Iterator[tuple[int, int, Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray], _Pairs]]:
    """Per chunk of sources ``usable[lo:hi]``: ``lo``, ``hi``, their network costs, the pairs by road.

    A pair by road: place → its node (``pcost``) → network → source node → door (``access``),
    within ``limit``. Each chunk's Dijkstra runs on the nodes within ``reach_m`` of its sources
    in a straight line (:func:`network_reach_m`; nothing beyond is reached within ``limit``), so a
    province costs what the sources reach, not sources × nodes. The costs come as a function
    of (chunk row, node), ``inf`` beyond the limit.
    """
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    on_road = np.flatnonzero((pnode >= 0) & (pcost <= limit))
    # places sorted by road node, then by their walk to it: a node's places are one run, cheapest first
    order = on_road[np.lexsort((pcost[on_road], pnode[on_road]))]
    del on_road  # (a province's per-place arrays are 100 MB each: as few at once as can be)
    sorted_node, sorted_cost = pnode[order], pcost[order]
    start = np.searchsorted(sorted_node, np.arange(network.n_nodes))
    span = float(sorted_cost.max()) + 1.0 if len(order) else 1.0  # keys node·span + walk: runs in order
    keys = sorted_node * span
    keys += sorted_cost  # the same sums, in place
    del sorted_node
    slack = 8.0 * np.spacing(float(keys[-1]) + span) if len(keys) else 0.0  # the search may take more
    matrix = network.seconds if weight == "seconds" else network.metres
    reverse = matrix.T.tocsr()
    spare = np.full(network.n_nodes, -1, dtype=np.int64)  # node → sub-network index, reset per chunk
    index = _NodeIndex(network, _index_cell(reach_m))
    for lo, hi, nodes in _local_groups(network, snode[usable], reach_m, index):
        block = usable[lo:hi]
        local, position = reverse, None
        if nodes is not None:
            position = spare
            position[nodes] = np.arange(len(nodes))
            local = sub_network(reverse, nodes, position)
        sources = snode[block] if position is None else position[snode[block]]
        dist = csgraph.dijkstra(local, directed=True, indices=sources, limit=limit)

        def reach(
            row: NDArray[np.int64],
            node: NDArray[np.int64],
            dist: NDArray[np.float64] = dist,
            position: NDArray[np.int64] | None = position,
        ) -> NDArray[np.float64]:
            if position is None:
                return dist[row, node]
            at = position[node]
            return np.where(at >= 0, dist[row, np.maximum(at, 0)], np.inf)

        b, column = np.nonzero(np.isfinite(dist))
        node = column if nodes is None else nodes[column]
        via = dist[b, column] + access[block][b]  # from the node to the source's door
        left = limit - via  # what is left for the walk from the place to the node
        ok = left >= 0
        b, node, via, left = b[ok], node[ok], via[ok], left[ok]
        end = np.searchsorted(keys, node * span + np.minimum(left, span - 0.5) + slack, side="right")
        count = end - start[node]
        if int(count.sum()) == 0:
            yield lo, hi, reach, empty
        else:
            at = ranges(start[node], count)
            cost = np.repeat(via, count) + sorted_cost[at]
            keep = cost <= limit  # exactly: the key search above only narrows
            yield lo, hi, reach, (np.repeat(block[b], count)[keep], order[at][keep], cost[keep])
        if nodes is not None:
            spare[nodes] = -1  # the caller is done with this chunk's costs


@dataclass(frozen=True)
class NodeReach:
    """Which sources each road node reaches within a limit, and the places at those nodes.

    A place is reached by road from a source when ``via`` of (source, the place's node) plus
    ``place_cost`` is within the limit: the same sums, in the same order, as
    :func:`pair_costs`. So the places a source reaches at a node are the cheapest walks
    there, and a province's pairs are kept per node, not per place.

    Attributes
    ----------
    place_node, place_cost
        Each place's road node (``-1`` beyond the snap radius) and the cost of its walk there.
    source, node, via
        One entry per (source, road node of a place) with ``via``, the network cost from the
        node to the source's road node plus the walk from there to its door, leaving room
        for the cheapest place at the node within the limit.
    walk_source, walk_place, walk_cost
        With ``direct_walk``: the pairs walked straight (strictly within the snap radius),
        within the limit, whether or not the road is quicker.
    searched_from
        ``places`` (one Dijkstra per place node, on the graph) or ``sources`` (one per
        source node, on the reversed graph): whichever has fewer nodes, unless asked.
    """

    place_node: NDArray[np.int64]
    place_cost: NDArray[np.float64]
    source: NDArray[np.int64]
    node: NDArray[np.int64]
    via: NDArray[np.float64]
    walk_source: NDArray[np.int64]
    walk_place: NDArray[np.int64]
    walk_cost: NDArray[np.float64]
    searched_from: str


def node_reach(
    network: Network,
    source_x: NDArray[np.float64],
    source_y: NDArray[np.float64],
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    *,
    weight: Weight = "seconds",
    limit: float,
    snap_radius_m: float,
    facility_snap_radius_m: float,
    direct_walk: bool = True,
    search_from: Literal["auto", "places", "sources"] = "auto",
) -> NodeReach:
    """Find what :func:`pair_costs` finds, kept per (source, road node), not per (source, place).

    Searching from the places' nodes (on the graph: patients travel away from them) is the
    cheaper way when the places to cover sit on fewer nodes than the sources: siting a
    province's gaps searches from the gaps' ~20,000 nodes, not from ~160,000 candidates.
    Each chunk's Dijkstra runs on the nodes within reach (:func:`network_reach_m`).
    Parameters as in :func:`pair_costs`.
    """
    ends = _Ends.of(
        network, weight, source_x, source_y, place_x, place_y, snap_radius_m, facility_snap_radius_m
    )
    pnode, pcost, snode, usable = ends.pnode, ends.pcost, ends.snode, ends.usable
    on_road = (pnode >= 0) & (pcost <= limit)
    cheapest = np.full(network.n_nodes, np.inf)  # the cheapest walk to each node from a place
    np.minimum.at(cheapest, pnode[on_road], pcost[on_road])
    targets = np.flatnonzero(np.isfinite(cheapest))
    source_nodes = np.unique(snode[usable])
    if search_from == "auto":
        search_from = "places" if len(targets) < len(source_nodes) else "sources"
    matrix = network.seconds if weight == "seconds" else network.metres
    from_places = search_from == "places"
    graph = matrix.tocsr() if from_places else matrix.T.tocsr()
    rows, wanted = (targets, source_nodes) if from_places else (source_nodes, targets)
    is_wanted = np.zeros(network.n_nodes, dtype=bool)
    is_wanted[wanted] = True
    at_node = NodeGroups(snode[usable], usable)
    reach_m = network_reach_m(network, weight, limit)
    rows = rows[_spatial_order(network, rows, reach_m)]
    out: list[_Pairs] = []
    spare = np.full(network.n_nodes, -1, dtype=np.int64)
    for lo, hi, nodes in _local_groups(network, rows, reach_m, _NodeIndex(network, _index_cell(reach_m))):
        if nodes is None:
            local, starts, keep = graph, rows[lo:hi], is_wanted
        else:
            spare[nodes] = np.arange(len(nodes))
            local, starts, keep = sub_network(graph, nodes, spare), spare[rows[lo:hi]], is_wanted[nodes]
            spare[nodes] = -1
        dist = csgraph.dijkstra(local, directed=True, indices=starts, limit=limit)
        b, column = np.nonzero(np.isfinite(dist) & keep)
        reached = column if nodes is None else nodes[column]
        place_at, source_at = (rows[lo + b], reached) if from_places else (reached, rows[lo + b])
        pair, source = at_node.at(source_at)
        via = dist[b, column][pair] + ends.access[source]
        place_at = place_at[pair]
        ok = via + cheapest[place_at] <= limit
        out.append((source[ok], place_at[ok], via[ok]))
    walks = ends.walks(limit, snap_radius_m) if direct_walk else _no_pairs()
    found = [np.concatenate([o[i] for o in out]) for i in range(3)] if out else _no_pairs()
    return NodeReach(
        place_node=pnode,
        place_cost=pcost,
        source=found[0],
        node=found[1],
        via=found[2],
        walk_source=walks[0],
        walk_place=walks[1],
        walk_cost=walks[2],
        searched_from=search_from,
    )


def sub_network(
    matrix: sparse.csr_matrix, nodes: NDArray[np.int64], position: NDArray[np.int64]
) -> sparse.csr_matrix:
    """Return ``matrix[nodes][:, nodes]``: the edges among ``nodes``, renumbered by their position.

    ``position`` maps every node of ``matrix`` to its index in ``nodes``, ``-1`` elsewhere.
    The same edges with the same weights as scipy's fancy indexing, whose column step was a
    tenth of a province's E2SFCA.
    """
    first, last = matrix.indptr[nodes], matrix.indptr[nodes + 1]
    at = ranges(first.astype(np.int64), (last - first).astype(np.int64))
    column = position[matrix.indices[at]]
    kept = column >= 0
    row = np.repeat(np.arange(len(nodes)), last - first)[kept]
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(nodes)), out=indptr[1:])
    return sparse.csr_matrix((matrix.data[at][kept], column[kept], indptr), shape=(len(nodes), len(nodes)))


def ranges(first: NDArray[np.int64], size: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return ``first[i] : first[i] + size[i]`` for every ``i``, one after the other (sizes ≥ 0)."""
    return np.repeat(first - (np.cumsum(size) - size), size) + np.arange(int(size.sum()))


def _no_pairs() -> _Pairs:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


class NodeGroups:
    """Items grouped by their road node, to list the items at many nodes at once."""

    def __init__(self, node: NDArray[np.int64], item: NDArray[np.int64]) -> None:
        order = np.argsort(node, kind="stable")
        self.node, self.item = node[order], item[order]

    def at(self, nodes: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Return, for every item at each of ``nodes``: the position in ``nodes`` and the item."""
        first = np.searchsorted(self.node, nodes, side="left")
        count = np.searchsorted(self.node, nodes, side="right") - first
        return np.repeat(np.arange(len(nodes)), count), self.item[ranges(first, count)]


def network_reach_m(network: Network, weight: Weight, limit: float) -> float:
    """Straight-line distance (in the network's CRS) no route within ``limit`` can cover.

    The limit at the fastest any segment moves across the map: its ends' straight-line
    distance over its cost (seconds or metres), so projection scale, terrain and odd segments
    are all accounted for. ``inf`` when a segment moves at no cost, or for an infinite limit.
    """
    matrix = network.seconds if weight == "seconds" else network.metres
    if not np.isfinite(limit) or matrix.nnz == 0:
        return np.inf if not np.isfinite(limit) else 0.0
    u = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    v = matrix.indices
    moved = np.hypot(network.x[u] - network.x[v], network.y[u] - network.y[v])
    cost = matrix.data
    if np.any((cost <= 0) & (moved > 0)):
        return np.inf
    moving = cost > 0
    fastest = float((moved[moving] / cost[moving]).max(initial=0.0))
    return float(limit) * fastest


def _spatial_order(network: Network, source_node: NDArray[np.int64], reach: float) -> NDArray[np.int64]:
    """Order sources tile by tile (tiles as wide as the reach), so a chunk's reach is compact."""
    if not len(source_node) or not np.isfinite(reach):
        return np.arange(len(source_node))
    x, y = network.x[source_node], network.y[source_node]
    tx = np.floor((x - x.min()) / max(reach, 1.0)).astype(np.int64)
    ty = np.floor((y - y.min()) / max(reach, 1.0)).astype(np.int64)
    return np.lexsort((x, tx, ty))


def _index_cell(reach: float) -> float:
    """Grid cell of the node index: a fraction of the reach, so a box is a few cells of few nodes."""
    return float(np.clip(reach / 4, 500.0, 20_000.0)) if np.isfinite(reach) else 20_000.0


class _NodeIndex:
    """Nodes in grid cells (``cell`` metres wide), to find those in a box by a few slices."""

    def __init__(self, network: Network, cell: float) -> None:
        self.x0, self.y0 = float(network.x.min(initial=0.0)), float(network.y.min(initial=0.0))
        self.cell = cell
        ix, iy = self._cells(network.x, network.y)
        self.rows, self.columns = int(iy.max(initial=0)) + 1, int(ix.max(initial=0)) + 1
        key = ix * self.rows + iy
        self.order = np.argsort(key, kind="stable")
        self.key = key[self.order]
        self.x, self.y = network.x[self.order], network.y[self.order]

    def _cells(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        ix = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.int64)
        return ix, iy

    def inside(self, x0: float, x1: float, y0: float, y1: float) -> NDArray[np.int64]:
        """Return the nodes with ``x0 ≤ x ≤ x1`` and ``y0 ≤ y ≤ y1``, sorted."""
        (c0, c1), (r0, r1) = self._cells(np.array([x0, x1]), np.array([y0, y1]))
        r0, r1 = max(int(r0), 0), min(int(r1), self.rows - 1)
        columns = np.arange(max(int(c0), 0), min(int(c1), self.columns - 1) + 1) * self.rows
        first = np.searchsorted(self.key, columns + r0, side="left")
        last = np.searchsorted(self.key, columns + r1, side="right")
        at = ranges(first, np.maximum(last - first, 0))  # none when the box misses every row
        x, y = self.x[at], self.y[at]
        return np.sort(self.order[at][(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)])


def _local_groups(
    network: Network, source_node: NDArray[np.int64], reach: float, index: _NodeIndex
) -> Iterator[tuple[int, int, NDArray[np.int64] | None]]:
    """Chunks ``lo:hi`` of the (spatially ordered) sources and the nodes they can reach.

    The nodes are those within ``reach`` of the chunk's bounding box (``None``: all of them,
    when that is most of the network). Chunks hold at most ``_CHUNK_CELLS`` costs.
    """
    n, lo = len(source_node), 0
    whole = max(1, _CHUNK_CELLS // max(network.n_nodes, 1))  # sources per whole-network search
    while lo < n:
        hi, nodes = min(n, lo + whole), None
        if np.isfinite(reach):
            # grow the chunk while its box's nodes × sources stay within the budget
            nodes = _nodes_near(network, source_node[lo:hi], reach, index)
            step = max(1, _CHUNK_CELLS // max(len(nodes), 1))
            while hi < n and hi - lo < step:
                wider = min(n, lo + step)
                found = _nodes_near(network, source_node[lo:wider], reach, index)
                if (wider - lo) * len(found) > _CHUNK_CELLS:
                    break
                hi, nodes = wider, found
                step *= 2
            if len(nodes) > 0.5 * network.n_nodes:
                nodes = None
        yield lo, hi, nodes
        lo = hi


def _nodes_near(
    network: Network, source_node: NDArray[np.int64], reach: float, index: _NodeIndex
) -> NDArray[np.int64]:
    """Return the nodes inside the sources' bounding box widened by ``reach`` (sorted)."""
    x, y = network.x[source_node], network.y[source_node]
    return index.inside(x.min() - reach, x.max() + reach, y.min() - reach, y.max() + reach)
