"""Travel time (or road distance) from every node and every place to its nearest facility.

One compiled multi-source Dijkstra pass per facility set (scipy.sparse.csgraph, with a
search limit), on the reversed graph so one-way streets are respected in the direction a
patient travels. Each facility enters through a virtual node whose edge to its nearest road
node costs the off-road walk from the door to that road: no per-facility loop anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from carecircles.network import OFFROAD_WALK_KMH, Network

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
    """

    cost: NDArray[np.float64]
    facility: NDArray[np.int64]
    facility_node: NDArray[np.int64]
    facility_offroad_m: NDArray[np.float64]
    weight: Weight
    limit: float


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
    """

    cost: NDArray[np.float64]
    facility: NDArray[np.int64]
    offroad_m: NDArray[np.float64]
    unreachable: NDArray[np.bool_]
    direct: NDArray[np.bool_]
    door_m: NDArray[np.float64]


def offroad_cost_per_metre(weight: Weight) -> float:
    """Cost of one metre of off-road walking: seconds at walking speed, or one metre."""
    return 3.6 / OFFROAD_WALK_KMH if weight == "seconds" else 1.0


def access_cost(distance_m: NDArray[np.float64], weight: Weight) -> NDArray[np.float64]:
    """Cost of the walk between a facility's door and its road node.

    Never exactly 0, so a facility on a node still counts as the source that reached it.
    """
    return np.maximum(np.asarray(distance_m) * offroad_cost_per_metre(weight), 1e-6)


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
    if len(snapped):
        matrix = network.seconds if weight == "seconds" else network.metres
        reverse = matrix.T.tocoo()  # patients travel node → facility
        k = len(snapped)
        access = access_cost(dist[snapped], weight)
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
) -> PlaceCosts:
    """Cost from places to their nearest facility: off-road walk to the nearest node + network.

    With ``direct_walk``, a facility within the snap radius can also be reached by walking
    straight to it, whichever is quicker (a home next to a clinic does not go round the
    block). Facilities that could not be snapped to the network are not used at all.
    """
    per_m = offroad_cost_per_metre(node_costs.weight)
    node, offroad = network.snap(np.asarray(place_x), np.asarray(place_y), snap_radius_m)
    on_net = node >= 0
    cost = np.full(len(node), np.inf)
    facility = np.full(len(node), -1, dtype=np.int64)
    cost[on_net] = offroad[on_net] * per_m + node_costs.cost[node[on_net]]
    facility[on_net] = node_costs.facility[node[on_net]]
    usable = np.flatnonzero(node_costs.facility_node >= 0)
    walked = np.zeros(len(node), dtype=bool)
    better = np.zeros(len(node), dtype=bool)
    if direct_walk and len(usable) and len(node):
        tree = cKDTree(np.column_stack([facility_x[usable], facility_y[usable]]))
        straight, which = tree.query(
            np.column_stack([place_x, place_y]), distance_upper_bound=snap_radius_m, workers=-1
        )
        walk_cost = straight * per_m
        better = np.isfinite(straight) & (walk_cost <= node_costs.limit) & (walk_cost < cost)
        cost[better] = walk_cost[better]
        facility[better] = usable[which[better]]
        walked = np.isfinite(straight)
    cost[cost > node_costs.limit] = np.inf
    facility[~np.isfinite(cost)] = -1
    unreachable = ~on_net & ~walked
    reached = facility >= 0
    door = np.full(len(node), np.nan)
    door[reached] = node_costs.facility_offroad_m[facility[reached]]
    return PlaceCosts(
        cost=cost,
        facility=facility,
        offroad_m=offroad,
        unreachable=unreachable,
        direct=better & reached,
        door_m=door,
    )
