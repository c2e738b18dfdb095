"""Independent reference computations for the end-to-end tests.

Built straight from the road segments with networkx and geodesic lengths (pyproj.Geod), one
Dijkstra per facility: none of carecircles' network, snapping or Dijkstra code is used.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from carecircles.network import DEFAULT_SPEEDS_KMH, OFFROAD_WALK_KMH

GEOD = Geod(ellps="WGS84")


def reference_graph(roads, mode: str) -> tuple[nx.DiGraph, np.ndarray]:
    """Directed travel-time graph of a mode (largest weak component) and its node indices."""
    table = DEFAULT_SPEEDS_KMH[mode]
    graph = nx.DiGraph()
    _, _, length = GEOD.inv(
        roads.node_lon[roads.u], roads.node_lat[roads.u], roads.node_lon[roads.v], roads.node_lat[roads.v]
    )
    for u, v, h, one, cap, metres in zip(
        roads.u, roads.v, roads.highway, roads.oneway, roads.maxspeed_kmh, length, strict=True
    ):
        kmh = table.get(h, table.get("*", 0.0))
        if kmh <= 0:
            continue
        if mode != "walk" and np.isfinite(cap):
            kmh = min(kmh, cap)
        seconds = metres / (kmh / 3.6)
        directions = [(u, v), (v, u)] if mode == "walk" or one == 0 else ([(u, v)] if one == 1 else [(v, u)])
        for a, b in directions:
            if not graph.has_edge(a, b) or graph[a][b]["t"] > seconds:
                graph.add_edge(int(a), int(b), t=seconds, m=metres)
    main = max(nx.weakly_connected_components(graph), key=len)
    graph = graph.subgraph(main).copy()
    return graph, np.array(sorted(graph.nodes))


def costs_to_facilities(
    roads,
    mode,
    fac_lon,
    fac_lat,
    place_lon,
    place_lat,
    crs,
    *,
    snap_radius,
    fac_snap_radius,
    weight="t",
    direct_walk=True,
):
    """Cost (s or m) from each place to its nearest facility, place by place, the slow way."""
    graph, nodes = reference_graph(roads, mode)
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    nx_, ny_ = to_xy.transform(roads.node_lon[nodes], roads.node_lat[nodes])
    tree = cKDTree(np.column_stack([nx_, ny_]))
    fx, fy = to_xy.transform(np.asarray(fac_lon), np.asarray(fac_lat))
    px, py = to_xy.transform(np.asarray(place_lon), np.asarray(place_lat))
    per_m = 3.6 / OFFROAD_WALK_KMH if weight == "t" else 1.0
    reverse = graph.reverse(copy=False)
    best_node = np.full(len(nodes), np.inf)
    index = {n: i for i, n in enumerate(nodes)}
    usable = []
    for f in range(len(fx)):
        d, i = tree.query([fx[f], fy[f]])
        if d > fac_snap_radius:
            continue
        usable.append(f)
        lengths = nx.single_source_dijkstra_path_length(reverse, int(nodes[i]), weight=weight)
        for n, c in lengths.items():
            k = index[n]
            best_node[k] = min(best_node[k], c + d * per_m)
    d, i = tree.query(np.column_stack([px, py]))
    cost = np.where(d <= snap_radius, d * per_m + best_node[i], np.inf)
    if direct_walk and usable:
        walk, _ = cKDTree(np.column_stack([fx[usable], fy[usable]])).query(np.column_stack([px, py]))
        cost = np.where(walk <= snap_radius, np.minimum(cost, walk * per_m), cost)
    return cost


def costs_by_facility(
    roads, mode, fac_lon, fac_lat, place_lon, place_lat, crs, *, snap_radius, fac_snap_radius
):
    """Travel time (s) from each place to each facility alone: a places × facilities matrix.

    The same route rules as :func:`costs_to_facilities` (walk to the nearest node, network,
    walk to the door; or straight within the snap radius), one networkx Dijkstra per facility.
    Facilities beyond the snap radius of every node have an ``inf`` column.
    """
    graph, nodes = reference_graph(roads, mode)
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    nx_, ny_ = to_xy.transform(roads.node_lon[nodes], roads.node_lat[nodes])
    tree = cKDTree(np.column_stack([nx_, ny_]))
    fx, fy = to_xy.transform(np.asarray(fac_lon), np.asarray(fac_lat))
    px, py = to_xy.transform(np.asarray(place_lon), np.asarray(place_lat))
    per_m = 3.6 / OFFROAD_WALK_KMH
    reverse = graph.reverse(copy=False)
    d_place, i_place = tree.query(np.column_stack([px, py]))
    out = np.full((len(px), len(fx)), np.inf)
    for f in range(len(fx)):
        d, i = tree.query([fx[f], fy[f]])
        if d > fac_snap_radius:
            continue
        lengths = nx.single_source_dijkstra_path_length(reverse, int(nodes[i]), weight="t")
        node_cost = np.array([lengths.get(int(n), np.inf) for n in nodes]) + d * per_m
        by_road = np.where(d_place <= snap_radius, d_place * per_m + node_cost[i_place], np.inf)
        walk = np.hypot(px - fx[f], py - fy[f])
        out[:, f] = np.where(walk <= snap_radius, np.minimum(by_road, walk * per_m), by_road)
    return out
