"""The engine against independent references: networkx Dijkstra and brute force."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from scipy import sparse
from scipy.spatial import cKDTree

from carecircles._errors import DataIssues
from carecircles.network import OFFROAD_WALK_KMH, Network, build_network
from carecircles.roads import RoadEdges
from carecircles.traveltime import (
    NodeReach,
    nearest_facility_costs,
    node_reach,
    pair_costs,
    pairs_within,
    place_costs,
    sub_network,
)

UTM = CRS.from_epsg(32652)


def make_network(n, edges, x, y):
    rows, cols, w = zip(*edges, strict=True) if edges else ((), (), ())
    m = sparse.csr_matrix((np.array(w, float), (np.array(rows, int), np.array(cols, int))), shape=(n, n))
    return Network(
        mode="test", x=x, y=y, seconds=m, metres=m.copy(), tree=cKDTree(np.column_stack([x, y])), crs=UTM
    )


def two_weight_network(n, edges, x, y):
    """A test network whose metres differ from its seconds (3.7 ×), so a mix-up would show."""
    metres = [(u, v, 3.7 * w) for u, v, w in edges]
    network = make_network(n, edges, x, y)
    return (
        Network(
            mode="test",
            x=x,
            y=y,
            seconds=network.seconds,
            metres=make_network(n, metres, x, y).seconds,
            tree=network.tree,
            crs=UTM,
        ),
        metres,
    )


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 30))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4 * n))
    edges = {}
    for u, v in pairs:
        if u != v:
            edges[(u, v)] = draw(st.floats(1.0, 500.0))
    # distinct node positions: a place equidistant from two nodes has no single nearest node
    xy = draw(
        st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=n, max_size=n, unique=True)
    )
    x, y = np.array(xy, dtype=float).T
    k = draw(st.integers(1, 4))
    fx = (
        np.array(draw(st.lists(st.integers(0, 5000), min_size=k, max_size=k)), dtype=float) + 0.2718281828
    )  # generic offsets: no exact ties
    fy = np.array(draw(st.lists(st.integers(0, 5000), min_size=k, max_size=k)), dtype=float) + 0.3141592653
    limit = draw(st.sampled_from([np.inf, 300.0, 1500.0]))
    return n, [(u, v, w) for (u, v), w in edges.items()], x, y, fx, fy, limit


def reference_node_costs(n, edges, x, y, fx, fy, snap_radius, limit):
    """Per facility, networkx Dijkstra from every node to the facility's node; then the minimum."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(edges)
    per_m = 3.6 / OFFROAD_WALK_KMH
    best = np.full(n, np.inf)
    for f in range(len(fx)):
        d = np.hypot(x - fx[f], y - fy[f])
        node = int(np.argmin(d))
        if d[node] > snap_radius:
            continue
        to_f = nx.single_source_dijkstra_path_length(g.reverse(copy=True), node)
        for v, t in to_f.items():
            best[v] = min(best[v], t + max(d[node] * per_m, 1e-6))
    best[best > limit] = np.inf
    return best


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_multi_source_pass_equals_networkx(case):
    n, edges, x, y, fx, fy, limit = case
    network = make_network(n, edges, x, y)
    costs = nearest_facility_costs(network, fx, fy, limit=limit, snap_radius_m=2000)
    expected = reference_node_costs(n, edges, x, y, fx, fy, 2000, limit)
    np.testing.assert_allclose(costs.cost, expected, rtol=1e-9, atol=1e-6)
    # the reported facility really is (one of) the nearest
    reached = np.isfinite(costs.cost)
    assert (costs.facility[reached] >= 0).all()
    assert (costs.facility[~reached] == -1).all()
    for v in np.flatnonzero(reached):
        alone = nearest_facility_costs(
            network, fx[[costs.facility[v]]], fy[[costs.facility[v]]], limit=np.inf, snap_radius_m=2000
        )
        assert alone.cost[v] == pytest.approx(costs.cost[v], abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(graphs(), st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=20))
def test_place_costs_equal_brute_force(case, places):
    n, edges, x, y, fx, fy, limit = case
    network = make_network(n, edges, x, y)
    radius = 800.0
    costs = nearest_facility_costs(network, fx, fy, limit=limit, snap_radius_m=radius)
    px, py = np.array(places, dtype=float).T + np.array([[0.1414213562], [0.1732050807]])
    result = place_costs(network, costs, px, py, fx, fy, snap_radius_m=radius)
    per_m = 3.6 / OFFROAD_WALK_KMH
    node_costs = reference_node_costs(n, edges, x, y, fx, fy, radius, np.inf)
    snapped = [int(np.argmin(np.hypot(x - fx[f], y - fy[f]))) for f in range(len(fx))]
    usable = [f for f in range(len(fx)) if np.hypot(x[snapped[f]] - fx[f], y[snapped[f]] - fy[f]) <= radius]
    for i in range(len(px)):
        d = np.hypot(x - px[i], y - py[i])
        node = int(np.argmin(d))
        expected = d[node] * per_m + node_costs[node] if d[node] <= radius else np.inf
        for f in usable:
            walk = np.hypot(fx[f] - px[i], fy[f] - py[i])
            if walk <= radius:
                expected = min(expected, walk * per_m)
        if expected > limit:
            expected = np.inf
        assert result.cost[i] == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # asking only the places near some facility (what NearestFacilities does for the population
    # places) changes nothing; asking none drops exactly the straight walks
    near = np.hypot(px[:, None] - fx[None, :], py[:, None] - fy[None, :]).min(axis=1) <= radius
    asked = place_costs(network, costs, px, py, fx, fy, snap_radius_m=radius, maybe_near=near)
    for field in ("cost", "facility", "direct", "to_road", "offroad_m"):
        np.testing.assert_array_equal(getattr(asked, field), getattr(result, field))
    none = place_costs(
        network, costs, px, py, fx, fy, snap_radius_m=radius, maybe_near=np.zeros(len(px), bool)
    )
    assert not none.direct.any()
    np.testing.assert_array_equal(none.cost[~result.direct], result.cost[~result.direct])


def reference_pair_costs(n, edges, x, y, sx, sy, px, py, *, weight, limit, radius, source_radius, direct):
    """Per source, networkx Dijkstra to its road node; then each place's walk legs, by hand."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(edges)
    back = g.reverse(copy=True)
    per_m = 3.6 / OFFROAD_WALK_KMH if weight == "seconds" else 1.0
    expected = {}
    for s in range(len(sx)):
        d = np.hypot(x - sx[s], y - sy[s])
        node = int(np.argmin(d))
        if d[node] > source_radius:
            continue  # a source off the network is not used, not even on foot
        to_s = nx.single_source_dijkstra_path_length(back, node)
        door = max(d[node] * per_m, 1e-6)
        for i in range(len(px)):
            dp = np.hypot(x - px[i], y - py[i])
            pnode = int(np.argmin(dp))
            cost = np.inf
            if dp[pnode] <= radius and pnode in to_s:
                cost = dp[pnode] * per_m + to_s[pnode] + door
            walk = np.hypot(sx[s] - px[i], sy[s] - py[i])
            if direct and walk <= radius:
                cost = min(cost, walk * per_m)
            if np.isfinite(cost) and cost <= limit:
                expected[(s, i)] = cost
    return expected


@settings(max_examples=120, deadline=None)
@given(
    graphs(),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=25),
    st.sampled_from(["seconds", "metres"]),
    st.booleans(),
)
def test_pair_costs_equal_networkx_per_source(case, places, weight, direct):
    n, edges, x, y, sx, sy, limit = case
    network, metres = two_weight_network(n, edges, x, y)
    px, py = np.array(places, dtype=float).T + np.array([[0.1414213562], [0.1732050807]])
    limit = limit if weight == "seconds" else 3.7 * limit
    rows, cols, cost = pair_costs(
        network,
        sx,
        sy,
        px,
        py,
        weight=weight,
        limit=limit,
        snap_radius_m=800.0,
        facility_snap_radius_m=600.0,
        direct_walk=direct,
    )
    expected = reference_pair_costs(
        n,
        metres if weight == "metres" else edges,
        x,
        y,
        sx,
        sy,
        px,
        py,
        weight=weight,
        limit=limit,
        radius=800.0,
        source_radius=600.0,
        direct=direct,
    )
    got = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, cost, strict=True)}
    assert len(got) == len(rows)  # one entry per pair
    assert set(got) == set(expected)
    for pair, value in expected.items():
        assert got[pair] == pytest.approx(value, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(graphs(), st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=20))
def test_pair_costs_minimum_is_the_nearest_facility_cost(case, places):
    """The cheapest pair of each place is what place_costs reports for the facility set."""
    n, edges, x, y, fx, fy, limit = case
    network = make_network(n, edges, x, y)
    px, py = np.array(places, dtype=float).T + np.array([[0.1414213562], [0.1732050807]])
    costs = nearest_facility_costs(network, fx, fy, limit=limit, snap_radius_m=700.0)
    nearest = place_costs(network, costs, px, py, fx, fy, snap_radius_m=900.0)
    _, cols, cost = pair_costs(
        network, fx, fy, px, py, limit=limit, snap_radius_m=900.0, facility_snap_radius_m=700.0
    )
    best = np.full(len(px), np.inf)
    np.minimum.at(best, cols, cost)
    np.testing.assert_allclose(best, nearest.cost, rtol=1e-9, atol=1e-6)


def test_pair_costs_many_sources_in_chunks(monkeypatch):
    """A chunk of one source at a time gives the same pairs as one pass; duplicates stay apart."""
    import carecircles.traveltime as tt

    rng = np.random.default_rng(7)
    n = 60
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    edges = [
        (u, v, float(rng.uniform(20, 200)))
        for u in range(n)
        for v in range(n)
        if u != v and rng.random() < 0.08
    ]
    network = make_network(n, edges, x, y)
    sx, sy = rng.uniform(0, 3000, 12), rng.uniform(0, 3000, 12)
    sx[5], sy[5] = sx[2], sy[2]  # two sources at the same place: both get their pairs
    px, py = rng.uniform(0, 3000, 200), rng.uniform(0, 3000, 200)
    kwargs = {"limit": 900.0, "snap_radius_m": 400.0, "facility_snap_radius_m": 400.0}

    def by_pair(result):
        rows, cols, cost = result
        order = np.lexsort((cols, rows))
        return rows[order], cols[order], cost[order]

    whole = by_pair(pair_costs(network, sx, sy, px, py, **kwargs))
    monkeypatch.setattr(tt, "_CHUNK_CELLS", n)  # one source per Dijkstra call
    chunked = by_pair(pair_costs(network, sx, sy, px, py, **kwargs))
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_array_equal(a, b)
    expected = reference_pair_costs(
        n,
        edges,
        x,
        y,
        sx,
        sy,
        px,
        py,
        weight="seconds",
        limit=900.0,
        radius=400.0,
        source_radius=400.0,
        direct=True,
    )
    assert sorted(expected) == list(zip(chunked[0].tolist(), chunked[1].tolist(), strict=True))
    np.testing.assert_allclose(chunked[2], [expected[p] for p in sorted(expected)], rtol=1e-12)
    assert len(whole[0]) > 100
    np.testing.assert_array_equal(whole[1][whole[0] == 2], whole[1][whole[0] == 5])
    np.testing.assert_array_equal(whole[2][whole[0] == 2], whole[2][whole[0] == 5])


@pytest.mark.parametrize("weight", ["seconds", "metres"])
def test_pair_costs_on_local_sub_networks_equal_networkx(monkeypatch, weight):
    """A road grid much wider than a source's reach: each chunk's Dijkstra runs on the nodes
    its limit can reach, and the pairs are networkx's on the whole network."""
    import carecircles.traveltime as tt

    rng = np.random.default_rng(11)
    side, step = 30, 250.0  # 7.5 km square, 900 nodes
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = gx.ravel() * step + rng.uniform(-40, 40, side * side)
    y = gy.ravel() * step + rng.uniform(-40, 40, side * side)
    edges = []
    for a in range(side * side):
        for b in (a + 1, a + side):
            if (b == a + 1 and b % side == 0) or b >= side * side:
                continue
            metres = float(np.hypot(x[a] - x[b], y[a] - y[b])) * rng.uniform(1.0, 1.3)  # bends
            speed = rng.choice([5.0, 8.0, 15.0])  # m/s
            cost = metres / speed if weight == "seconds" else metres
            edges += [(a, b, cost), (b, a, cost * (1.2 if weight == "seconds" else 1.0))]
    network = make_network(side * side, edges, x, y)
    limit = 150.0 if weight == "seconds" else 1500.0
    assert tt.network_reach_m(network, weight, limit) < 2500  # a fraction of the grid
    sx, sy = rng.uniform(0, 7250, 40), rng.uniform(0, 7250, 40)
    px, py = rng.uniform(0, 7250, 3000), rng.uniform(0, 7250, 3000)
    monkeypatch.setattr(tt, "_CHUNK_CELLS", 2000)  # small chunks on small sub-networks
    seen = []
    real = tt._nodes_near
    monkeypatch.setattr(tt, "_nodes_near", lambda *a: seen.append(len(real(*a))) or real(*a))
    direct = weight == "seconds"  # road distances are measured on the road only
    where = (sx, sy, px, py)
    radii = {"snap_radius_m": 300.0, "facility_snap_radius_m": 300.0}
    rows, cols, cost = pair_costs(network, *where, weight=weight, limit=limit, direct_walk=direct, **radii)
    assert seen and np.median(seen) < 0.5 * side * side  # the searches were local
    by_hand = {"radius": 300.0, "source_radius": 300.0, "direct": direct}
    expected = reference_pair_costs(side * side, edges, x, y, *where, weight=weight, limit=limit, **by_hand)
    found = dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), cost.tolist(), strict=True))
    assert len(expected) > 300 and sorted(found) == sorted(expected)
    np.testing.assert_allclose([found[p] for p in sorted(expected)], [expected[p] for p in sorted(expected)])


def pairs_of_node_reach(reach: NodeReach, limit: float) -> dict[tuple[int, int], float]:
    """Expand per-node reach into per-place pairs, place by place: the cheaper of road and foot."""
    at_node: dict[int, list[int]] = {}
    for p, node in enumerate(reach.place_node.tolist()):
        if node >= 0:
            at_node.setdefault(node, []).append(p)
    found: dict[tuple[int, int], float] = {}
    for s, node, via in zip(reach.source.tolist(), reach.node.tolist(), reach.via.tolist(), strict=True):
        for p in at_node.get(node, []):
            cost = via + float(reach.place_cost[p])
            if cost <= limit:
                assert (s, p) not in found  # one entry per (source, node)
                found[(s, p)] = cost
    for s, p, walk in zip(
        reach.walk_source.tolist(), reach.walk_place.tolist(), reach.walk_cost.tolist(), strict=True
    ):
        found[(s, p)] = min(found.get((s, p), np.inf), walk)
    return found


@settings(max_examples=120, deadline=None)
@given(
    graphs(),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=25),
    st.sampled_from(["seconds", "metres"]),
    st.booleans(),
    st.sampled_from(["places", "sources"]),
)
def test_node_reach_equals_networkx_from_either_side(case, places, weight, direct, side):
    """Searching from the places' nodes or from the sources: the pairs of networkx, by hand."""
    n, edges, x, y, sx, sy, limit = case
    network, metres = two_weight_network(n, edges, x, y)
    px, py = np.array(places, dtype=float).T + np.array([[0.1414213562], [0.1732050807]])
    limit = limit if weight == "seconds" else 3.7 * limit
    radii = {"snap_radius_m": 800.0, "facility_snap_radius_m": 600.0}
    reach = node_reach(
        network, sx, sy, px, py, weight=weight, limit=limit, direct_walk=direct, search_from=side, **radii
    )
    assert reach.searched_from == side
    found = pairs_of_node_reach(reach, limit)
    expected = reference_pair_costs(
        n,
        metres if weight == "metres" else edges,
        x,
        y,
        sx,
        sy,
        px,
        py,
        weight=weight,
        limit=limit,
        radius=800.0,
        source_radius=600.0,
        direct=direct,
    )
    assert set(found) == set(expected)
    for pair, value in expected.items():
        assert found[pair] == pytest.approx(value, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("side", ["places", "sources", "auto"])
def test_node_reach_on_local_sub_networks_equals_pair_costs(monkeypatch, side):
    """A grid much wider than the reach, many places on few nodes: the searches stay local
    and give pair_costs' pairs and costs (themselves networkx's, above)."""
    import carecircles.traveltime as tt

    rng = np.random.default_rng(5)
    side_n, step = 30, 250.0
    gx, gy = np.meshgrid(np.arange(side_n), np.arange(side_n))
    x = gx.ravel() * step + rng.uniform(-40, 40, side_n * side_n)
    y = gy.ravel() * step + rng.uniform(-40, 40, side_n * side_n)
    edges = []
    for a in range(side_n * side_n):
        for b in (a + 1, a + side_n):
            if (b == a + 1 and b % side_n == 0) or b >= side_n * side_n:
                continue
            cost = float(np.hypot(x[a] - x[b], y[a] - y[b])) / rng.choice([5.0, 8.0, 15.0])
            edges += [(a, b, cost), (b, a, cost * 1.2)]
    network = make_network(side_n * side_n, edges, x, y)
    sx, sy = rng.uniform(0, 7250, 300), rng.uniform(0, 7250, 300)  # more source nodes than place nodes
    px, py = rng.uniform(2000, 3500, 2000), rng.uniform(2000, 3500, 2000)
    kwargs = {"weight": "seconds", "limit": 150.0, "snap_radius_m": 300.0, "facility_snap_radius_m": 300.0}
    monkeypatch.setattr(tt, "_CHUNK_CELLS", 2000)
    seen = []
    real = tt._nodes_near
    monkeypatch.setattr(tt, "_nodes_near", lambda *a: seen.append(len(real(*a))) or real(*a))
    reach = node_reach(network, sx, sy, px, py, search_from=side, **kwargs)
    assert reach.searched_from == ("places" if side == "auto" else side)
    assert seen and np.median(seen) < 0.5 * side_n * side_n  # the searches were local
    found = pairs_of_node_reach(reach, kwargs["limit"])
    rows, cols, cost = pair_costs(network, sx, sy, px, py, **kwargs)
    expected = dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), cost.tolist(), strict=True))
    assert len(expected) > 1000 and sorted(found) == sorted(expected)
    np.testing.assert_allclose([found[p] for p in sorted(expected)], [expected[p] for p in sorted(expected)])
    assert len(reach.source) < len(expected) / 3  # kept per node, not per place


def test_inclusive_threshold_and_limit():
    # two nodes 900 s apart; a facility exactly on node 0
    network = make_network(2, [(0, 1, 900.0), (1, 0, 900.0)], np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    costs = nearest_facility_costs(
        network, np.array([0.0]), np.array([0.0]), limit=900.0 + 1e-5, snap_radius_m=10
    )
    assert costs.cost[1] == pytest.approx(900.0, abs=1e-5)
    cut = nearest_facility_costs(network, np.array([0.0]), np.array([0.0]), limit=899.0, snap_radius_m=10)
    assert np.isinf(cut.cost[1]) and cut.facility[1] == -1


def test_places_beyond_snap_radius_are_unreachable_not_dropped():
    network = make_network(2, [(0, 1, 60.0), (1, 0, 60.0)], np.array([0.0, 100.0]), np.array([0.0, 0.0]))
    costs = nearest_facility_costs(network, np.array([0.0]), np.array([0.0]), limit=np.inf, snap_radius_m=50)
    result = place_costs(
        network,
        costs,
        np.array([100.0, 5000.0]),
        np.array([10.0, 5000.0]),
        np.array([0.0]),
        np.array([0.0]),
        snap_radius_m=50,
    )
    assert len(result.cost) == 2
    assert np.isfinite(result.cost[0]) and not result.unreachable[0]
    assert np.isinf(result.cost[1]) and result.unreachable[1]


def roads_from(segments, coords, highway, oneway=None):
    u, v = np.array(segments).T
    lon, lat = np.array(coords).T
    n = len(segments)
    return RoadEdges(
        node_id=np.arange(len(coords)),
        node_lon=lon,
        node_lat=lat,
        u=u,
        v=v,
        highway=np.array(highway, dtype=object),
        oneway=np.array(oneway if oneway is not None else [0] * n, dtype=np.int8),
        maxspeed_kmh=np.full(n, np.nan),
        source="test",
    )


def test_oneway_respected_by_car_not_by_walk():
    # a triangle: 0->1 one-way, 1-2 and 2-0 two-way
    coords = [(126.80, 42.40), (126.81, 42.40), (126.805, 42.41)]
    roads = roads_from([(0, 1), (1, 2), (2, 0)], coords, ["residential"] * 3, [1, 0, 0])
    car = build_network(roads, "car", UTM, DataIssues())
    walk = build_network(roads, "walk", UTM, DataIssues())
    assert car.seconds[0, 1] > 0 and car.seconds[1, 0] == 0
    assert walk.seconds[0, 1] > 0 and walk.seconds[1, 0] > 0
    # travelling 1 -> 0 by car must go round via 2
    costs = nearest_facility_costs(car, car.x[[0]], car.y[[0]], limit=np.inf, snap_radius_m=1)
    assert costs.cost[1] == pytest.approx(car.seconds[1, 2] + car.seconds[2, 0], abs=1e-3)


def test_parallel_edges_keep_the_fastest_and_speeds_follow_class():
    coords = [(126.80, 42.40), (126.81, 42.40)]
    roads = roads_from([(0, 1), (0, 1)], coords, ["track", "primary"])
    car = build_network(roads, "car", UTM, DataIssues())
    length = car.metres[0, 1]
    assert car.seconds[0, 1] == pytest.approx(length / (60 / 3.6), rel=1e-9)
    walk = build_network(roads, "walk", UTM, DataIssues())
    assert walk.seconds[0, 1] == pytest.approx(length / (4.5 / 3.6), rel=1e-9)


def test_only_largest_component_kept_and_reported():
    coords = [(126.80, 42.40), (126.81, 42.40), (126.82, 42.40), (126.90, 42.50), (126.91, 42.50)]
    roads = roads_from([(0, 1), (1, 2), (3, 4)], coords, ["residential"] * 3)
    issues = DataIssues()
    net = build_network(roads, "walk", UTM, issues)
    assert net.n_nodes == 3
    assert "not connected" in issues.items[0].message


def test_motorway_not_walkable_footway_not_drivable():
    coords = [(126.80, 42.40), (126.81, 42.40), (126.82, 42.40)]
    roads = roads_from([(0, 1), (1, 2)], coords, ["motorway", "footway"])
    assert build_network(roads, "walk", UTM, DataIssues()).n_nodes == 2
    assert build_network(roads, "car", UTM, DataIssues()).n_nodes == 2


@pytest.mark.parametrize("side", ["places", "sources"])
def test_node_cover_is_the_pairs_within_the_threshold_with_places_reached_on_foot_alone(side):
    """NodeCover.from_reach: road prefixes per node, and places some source covers only on
    foot (far from their road, near the source) in runs of their own; as a matrix, exactly
    the pairs of pair_costs within the cut."""
    from carecircles.node_cover import NodeCover

    rng = np.random.default_rng(21)
    n = 80
    x, y = rng.uniform(0, 6000, n), rng.uniform(0, 6000, n)
    edges = [
        (u, v, float(np.hypot(x[u] - x[v], y[u] - y[v])) / rng.uniform(3, 12))
        for u in range(n)
        for v in range(n)
        if u != v and np.hypot(x[u] - x[v], y[u] - y[v]) < 1200 and rng.random() < 0.7
    ]
    network = make_network(n, edges, x, y)
    sx, sy = rng.uniform(0, 6000, 25), rng.uniform(0, 6000, 25)
    px, py = rng.uniform(0, 6000, 1500), rng.uniform(0, 6000, 1500)
    kwargs = {
        "weight": "seconds",
        "limit": 1200.001,
        "snap_radius_m": 1500.0,
        "facility_snap_radius_m": 800.0,
    }
    cut = 1200.0
    reach = node_reach(network, sx, sy, px, py, search_from=side, **kwargs)
    cover = NodeCover.from_reach(reach, len(sx), cut)
    rows, cols, cost = pair_costs(network, sx, sy, px, py, **kwargs)
    ok = cost <= cut
    expected = sparse.csr_matrix((np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(len(sx), len(px)))
    got = cover.matrix()
    assert expected.nnz > 1000 and (got != expected).nnz == 0
    via = dict(
        zip(zip(reach.source.tolist(), reach.node.tolist(), strict=True), reach.via.tolist(), strict=True)
    )
    foot_only = {
        p
        for s, p, walk in zip(
            reach.walk_source.tolist(), reach.walk_place.tolist(), reach.walk_cost.tolist(), strict=True
        )
        if walk <= cut and not via.get((s, int(reach.place_node[p])), np.inf) + reach.place_cost[p] <= cut
    }
    assert len(foot_only) > 5  # the case is there
    sizes = np.diff(cover.run_start)
    run_of = np.full(len(px), -1)
    run_of[cover.order] = np.repeat(np.arange(cover.n_runs), sizes)
    assert all(sizes[run_of[p]] == 1 for p in foot_only)  # each alone in its run
    assert cover.n_runs < len(np.unique(cols))  # and places share runs


def test_a_large_snap_is_kept_for_the_same_places_and_read_only(monkeypatch):
    """The population places are snapped once per network; other points are snapped anew."""
    import carecircles.network as network_module

    monkeypatch.setattr(network_module, "KEEP_SNAP_POINTS", 50)
    rng = np.random.default_rng(3)
    n = 40
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    network = make_network(n, [(i, i + 1, 30.0) for i in range(n - 1)], x, y)
    px, py = rng.uniform(-300, 2300, 500), rng.uniform(-300, 2300, 500)
    node, dist = network.snap(px, py, 250.0)
    again = network.snap(px, py, 250.0)
    assert again[0] is node and again[1] is dist  # kept
    assert not node.flags.writeable and not dist.flags.writeable
    reference_dist, reference_node = cKDTree(np.column_stack([x, y])).query(
        np.column_stack([px, py]), distance_upper_bound=250.0
    )
    np.testing.assert_array_equal(node, np.where(np.isfinite(reference_dist), reference_node, -1))
    np.testing.assert_array_equal(dist, reference_dist)
    # another radius, or equal values in other arrays: snapped anew, the same answer
    wider = network.snap(px, py, 400.0)
    assert wider[0] is not node and (wider[0] >= 0).sum() > (node >= 0).sum()
    cx, cy = px.copy(), py.copy()
    copied = network.snap(cx, cy, 250.0)
    assert copied[0] is not node
    np.testing.assert_array_equal(copied[0], node)
    few = network.snap(px[:10], py[:10], 250.0)  # too few to keep: the kept one stays
    assert few[0].flags.writeable
    assert network.snap(cx, cy, 250.0)[0] is copied[0]
    import pickle

    unpickled = pickle.loads(pickle.dumps(network))
    assert unpickled._kept_snap.get(cx, cy, 250.0) is None  # not carried along
    assert network._kept_snap.get(cx, cy, 250.0) is not None
    np.testing.assert_array_equal(unpickled.snap(cx, cy, 250.0)[0], node)


def _every_pair(sx, sy, px, py, radius):
    """The reference: both point sets in trees, every pair within the radius, sorted."""
    found = cKDTree(np.column_stack([sx, sy])).sparse_distance_matrix(
        cKDTree(np.column_stack([px, py])), radius, output_type="coo_matrix"
    )
    order = np.lexsort((found.col, found.row))
    return found.row[order], found.col[order], found.data[order]


@pytest.mark.parametrize(
    ("extent_m", "radius", "n_places"),
    [
        (20_000, 500.0, 200_000),
        (600_000, 500.0, 200_000),
        (600_000, 1.0, 200_000),  # a grid of over 2**22 cells of the radius: coarser cells
        (3_000, 0.0, 200_000),
        (5_000, 8_000.0, 2_000),  # every place near every source
        (60_000, 2_000.0, 1_300_000),  # places looked up a million at a time: past the first million
    ],
)
def test_pairs_within_finds_every_pair_of_a_whole_tree(extent_m, radius, n_places):
    rng = np.random.default_rng(int(radius) + extent_m)
    sx, sy = rng.random(300) * extent_m + 400_000, rng.random(300) * extent_m + 3_000_000
    # places on a 100 m raster, and some exactly the radius from a source (along x, y and both)
    px = np.r_[rng.integers(0, extent_m // 100, n_places) * 100.0 + 400_050, sx[:40] + radius, sx[40:80]]
    py = np.r_[rng.integers(0, extent_m // 100, n_places) * 100.0 + 3_000_050, sy[:40], sy[40:80] - radius]
    px[:5] = np.nan  # unplaced places never pair
    rows, cols, distance = pairs_within(sx, sy, px, py, radius)
    ref_rows, ref_cols, ref_distance = _every_pair(sx, sy, px[5:], py[5:], radius)
    assert np.array_equal(rows, ref_rows) and np.array_equal(cols, ref_cols + 5)
    assert np.array_equal(distance, ref_distance)  # the same bits
    assert len(rows) >= 80  # the places set at exactly the radius are among them
    # brute force on a few sources: the same places, by plain distances
    for i in (0, 41, 299):
        d = np.hypot(px - sx[i], py - sy[i])
        assert set(cols[rows == i]) == set(np.flatnonzero(d <= radius * (1 + 1e-12)))


@pytest.mark.parametrize("cells", [1, 4, 7, 1000])
@pytest.mark.parametrize("radius", [100.0, 0.3, 2500.0])
def test_pairs_within_sources_a_whole_number_of_cells_apart(cells, radius):
    """Sources spanning exactly ``cells`` grid cells (the cell is radius × (1 + 1e-6) + 1e-6):
    the grid must hold the last source's neighbours however the division rounds."""
    cell = radius * (1 + 1e-6) + 1e-6
    for nudge in (-1, 0, 1):
        width = np.nextafter(cells * cell, np.inf * nudge) if nudge else cells * cell
        sx, sy = np.array([500_000.0, 500_000.0 + width]), np.array([3_000_000.0, 3_000_000.0 + width])
        px = np.r_[sx, sx + radius, sx - radius, sx + cell]
        py = np.r_[sy, sy, sy + radius, sy]
        got = pairs_within(sx, sy, px, py, radius)
        want = _every_pair(sx, sy, px, py, radius)
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


def test_pairs_within_an_unbounded_radius_is_every_pair():
    sx, sy = np.array([0.0, 400.000404]), np.array([0.0, 0.0])
    px, py = np.array([5.0, -3e6, 7e6, np.nan]), np.array([0.0, 2e6, 1.0, 0.0])
    rows, cols, distance = pairs_within(sx, sy, px, py, np.inf)
    assert rows.tolist() == [0, 0, 0, 1, 1, 1] and cols.tolist() == [0, 1, 2] * 2
    assert np.allclose(distance, np.hypot(px[cols] - sx[rows], py[cols] - sy[rows]))


def test_pairs_within_skips_unplaced_sources_and_empty_inputs():
    sx, sy = np.array([np.nan, 0.0, 10.0]), np.array([0.0, 0.0, np.inf])
    rows, cols, distance = pairs_within(sx, sy, np.array([3.0, 50.0]), np.array([4.0, 0.0]), 5.0)
    assert rows.tolist() == [1] and cols.tolist() == [0] and distance.tolist() == [5.0]
    for empty in (
        pairs_within(sx[:0], sy[:0], np.ones(3), np.ones(3), 5.0),
        pairs_within(sx, sy, [], [], 5.0),
    ):
        assert all(len(a) == 0 for a in empty)


def _triplets(matrix):
    coo = matrix.tocoo()
    order = np.lexsort((coo.data, coo.col, coo.row))
    return coo.row[order], coo.col[order], coo.data[order]


@pytest.mark.parametrize("share", [0.0, 0.05, 0.4, 1.0])
def test_sub_network_is_scipys_fancy_indexing(share):
    rng = np.random.default_rng(int(share * 100))
    n = 3_000
    matrix = sparse.random(n, n, density=0.002, random_state=rng, format="csr") * 100
    nodes = np.flatnonzero(rng.random(n) < share)
    position = np.full(n, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    mine, theirs = sub_network(matrix, nodes, position), matrix[nodes][:, nodes]
    assert mine.shape == theirs.shape
    for a, b in zip(_triplets(mine), _triplets(theirs), strict=True):
        assert np.array_equal(a, b)
    if len(nodes):  # and the searches on them agree to the bit
        starts = np.arange(min(5, len(nodes)))
        assert np.array_equal(
            sparse.csgraph.dijkstra(mine, indices=starts, limit=150.0),
            sparse.csgraph.dijkstra(theirs, indices=starts, limit=150.0),
        )


def test_node_index_finds_the_nodes_in_any_box_even_one_beside_them():
    """_NodeIndex.inside against a plain filter, for boxes inside, across and wholly outside
    the nodes (above, below, left, right: no rows or columns of the grid at all)."""
    from carecircles.traveltime import _NodeIndex

    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 50_000, 3000), rng.uniform(0, 30_000, 3000)
    index = _NodeIndex(make_network(3000, [], x, y), 2_000.0)
    boxes = [(0, 50_000, 0, 30_000), (1_000, 9_000, 25_000, 40_000), (-9e4, -1e4, 0, 3e4)]
    boxes += [(0, 5e4, 4e4, 6e4), (0, 5e4, -6e4, -4e4), (6e4, 9e4, 0, 3e4), (7e3, 7e3, 7e3, 7e3)]
    boxes += [(-1e20, 1e20, -1e20, 1e20), (-1e20, 1e20, 0, 1e4)]  # an absurd reach: only the grid's cells
    boxes += [
        tuple(np.sort(rng.uniform(-5e3, 5.5e4, 2))) + tuple(np.sort(rng.uniform(-5e3, 3.5e4, 2)))
        for _ in range(50)
    ]
    for x0, x1, y0, y1 in boxes:
        want = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        assert np.array_equal(index.inside(x0, x1, y0, y1), want)
