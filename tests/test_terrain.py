"""Terrain: DEM reading, Tobler walking and the e-bike model, direction by direction.

The reference for the real network is written here from the papers' formulas: the SRTM tiles
read as raw big-endian integers, scipy's RegularGridInterpolator in degrees, geodesic lengths
and a networkx Dijkstra per direction. None of carecircles' DEM, sampling or routing code.
"""

from __future__ import annotations

import gzip
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import rasterio
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from scipy.interpolate import RegularGridInterpolator
from scipy.optimize import brentq

from carecircles._crs import utm_crs
from carecircles._errors import DataIssues, InputError
from carecircles.network import DEFAULT_SPEEDS_KMH, build_network
from carecircles.roads import read_roads
from carecircles.terrain import EbikePower, make_terrain, read_elevation, tobler_factor
from carecircles.traveltime import nearest_facility_costs, place_costs

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TILES = [DATA / "N49E011.hgt.zip", DATA / "N50E011.hgt.zip"]
BAYREUTH = DATA / "north-bayreuth.osm.gz"
needs_data = pytest.mark.skipif(
    not all(p.exists() for p in [*TILES, BAYREUTH]), reason="../shared/data (SRTM tiles, OSM) not present"
)
STEP_M = 30.0
GEOD = Geod(ellps="WGS84")


def tobler_kmh(slope: np.ndarray) -> np.ndarray:
    """Tobler (1993): W = 6 exp(-3.5 |S + 0.05|) km/h."""
    return 6.0 * np.exp(-3.5 * np.abs(slope + 0.05))


# --- the formulas -----------------------------------------------------------------------------


def test_tobler_factor_is_the_hiking_function_over_its_flat_value():
    slopes = np.array([-0.3, -0.1, -0.05, 0.0, 0.05, 0.1, 0.3])
    assert np.allclose(tobler_factor(slopes), tobler_kmh(slopes) / tobler_kmh(np.zeros(1)))
    assert tobler_factor(np.zeros(3)).tolist() == [1.0, 1.0, 1.0]  # exactly: a flat DEM changes nothing
    # the fastest walk is a gentle descent (5 %), and 10 % down is as quick as the flat
    assert np.argmax(tobler_factor(np.linspace(-0.2, 0.2, 401))) == 150
    assert tobler_factor(np.array([-0.1]))[0] == pytest.approx(1.0)


# --- a tilted plane: one road, uphill against downhill ---------------------------------------


def _write_osm(path: Path, nodes: list[tuple[float, float]], ways: list[tuple[list[int], dict]]) -> Path:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6">']
    lines += [
        f'<node id="{k + 1}" version="1" lat="{lat:.8f}" lon="{lon:.8f}"/>'
        for k, (lon, lat) in enumerate(nodes)
    ]
    for w, (ids, tags) in enumerate(ways):
        lines.append(f'<way id="{w + 1}" version="1">')
        lines += [f'<nd ref="{k + 1}"/>' for k in ids]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path


def _write_dem(path: Path, crs: CRS, west: float, north: float, cell: float, z: np.ndarray) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, cell, cell),
        nodata=-32768,
    ) as dst:
        dst.write(z.astype("float32"), 1)
    return path


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    """An east-west road 2 km long on a plane rising 10 % to the east, DEM in UTM (not the roads' CRS)."""
    folder = tmp_path_factory.mktemp("plane")
    crs = CRS.from_epsg(32650)
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0 = 500_000.0, 4_000_000.0
    xs = x0 + np.arange(0, 2001, 100.0)
    lon, lat = to_lonlat.transform(xs, np.full(len(xs), y0))
    road = _write_osm(
        folder / "road.osm.gz",
        list(zip(lon, lat, strict=True)),
        [(list(range(len(xs))), {"highway": "residential"})],
    )
    cols, rows = np.meshgrid(np.arange(60), np.arange(20))
    cx = x0 - 500 + (cols + 0.5) * 50.0
    dem = _write_dem(folder / "plane.tif", crs, x0 - 500, y0 + 500, 50.0, 300 + 0.1 * (cx - x0) + 0 * rows)
    issues = DataIssues()
    roads = read_roads(road, issues)
    surface = read_elevation([dem], (roads.node_lon, roads.node_lat), issues)
    return roads, surface, crs, xs


def test_uphill_and_downhill_differ_as_tobler_says(plane):
    roads, surface, crs, _ = plane
    terrain = make_terrain(surface, roads.node_lon, roads.node_lat, roads.u, roads.v, roads.structure, crs)
    flat = build_network(roads, "walk", crs, DataIssues())
    hilly = build_network(roads, "walk", crs, DataIssues(), terrain=terrain)
    order = np.argsort(hilly.x)
    east, west = order[-1], order[0]
    up = _route_seconds(hilly, west, east)
    down = _route_seconds(hilly, east, west)
    level = _route_seconds(flat, west, east)
    assert level == pytest.approx(2000 / (4.5 / 3.6), rel=1e-3)
    assert up == pytest.approx(level * tobler_kmh(np.zeros(1))[0] / tobler_kmh(np.array([0.1]))[0], rel=1e-6)
    assert down == pytest.approx(
        level * tobler_kmh(np.zeros(1))[0] / tobler_kmh(np.array([-0.1]))[0], rel=1e-6
    )
    assert up / down == pytest.approx(np.exp(3.5 * 0.1), rel=1e-6)  # 10 % up vs down: e^0.35


def test_ebike_climbs_at_the_speed_its_power_allows(plane):
    roads, surface, crs, _ = plane
    terrain = make_terrain(surface, roads.node_lon, roads.node_lat, roads.u, roads.v, roads.structure, crs)
    net = build_network(roads, "ebike", crs, DataIssues(), terrain=terrain)
    order = np.argsort(net.x)
    v0 = DEFAULT_SPEEDS_KMH["ebike"]["residential"] / 3.6
    m = EbikePower()
    # P = v·m·g·(S + Crr) + ½·ρ·CdA·v³ at S = 0.1, solved numerically
    v_up = brentq(
        lambda v: v * m.mass_kg * 9.81 * (0.1 + m.rolling) + 0.5 * 1.2 * m.drag_area_m2 * v**3 - m.power_w,
        0.01,
        30,
    )
    length = np.hypot(net.x[order[-1]] - net.x[order[0]], net.y[order[-1]] - net.y[order[0]])
    assert _route_seconds(net, order[0], order[-1]) == pytest.approx(length / min(v0, v_up), rel=1e-4)
    assert _route_seconds(net, order[-1], order[0]) == pytest.approx(
        length / v0, rel=1e-6
    )  # no faster downhill
    assert v_up < v0  # the 10 % climb does slow a 20 km/h e-bike


def test_offroad_walk_follows_the_slope_between_its_ends(plane):
    roads, surface, crs, xs = plane
    terrain = make_terrain(surface, roads.node_lon, roads.node_lat, roads.u, roads.v, roads.structure, crs)
    net = build_network(roads, "walk", crs, DataIssues(), terrain=terrain)
    # a facility on the road's west end; a place 30 m north of the road, 400 m east of it
    fx, fy = np.array([xs[0]]), np.array([4_000_000.0])
    costs = nearest_facility_costs(net, fx, fy, limit=1e5, snap_radius_m=50)
    px, py = np.array([xs[0] + 400.0]), np.array([4_000_000.0 + 30.0])
    found = place_costs(net, costs, px, py, fx, fy, snap_radius_m=50, direct_walk=False)
    # the place walks 30 m south to the road on the level (the plane rises to the east only)
    assert found.to_road[0] == pytest.approx(30 / (4.5 / 3.6), rel=1e-3)
    # the facility walks downhill 400 m west along the road: Tobler at −10 % is the flat speed
    assert found.cost[0] == pytest.approx(found.to_road[0] + 400 / (4.5 / 3.6), rel=1e-3)


def _route_seconds(net, a: int, b: int) -> float:
    from scipy.sparse.csgraph import dijkstra

    return float(dijkstra(net.seconds, directed=True, indices=[a])[0, b])


# --- bridges, coverage, holes, formats ---------------------------------------------------------


def test_bridge_nodes_are_interpolated_between_the_ground(tmp_path):
    """A bridge way between two ground roads: its inner nodes lie on the straight line between."""
    crs = CRS.from_epsg(32650)
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0 = 500_000.0, 4_000_000.0
    xs = x0 + np.arange(0, 1201, 50.0)
    lon, lat = to_lonlat.transform(xs, np.full(len(xs), y0))
    n = len(xs)
    ways = [
        (list(range(0, 5)), {"highway": "residential"}),  # 0–200 m on the ground
        (list(range(4, n - 4)), {"highway": "residential", "bridge": "yes"}),
        (list(range(n - 5, n)), {"highway": "residential"}),
    ]
    road = _write_osm(tmp_path / "b.osm.gz", list(zip(lon, lat, strict=True)), ways)
    cols, rows = np.meshgrid(np.arange(80), np.arange(30))
    cx = x0 - 300 + (cols + 0.5) * 25.0
    z = 300 + 0.02 * (cx - x0) - 80 * np.exp(-(((cx - (x0 + 600)) / 200) ** 2)) + 0 * rows
    dem = _write_dem(tmp_path / "b.tif", crs, x0 - 300, y0 + 400, 25.0, z)
    issues = DataIssues()
    roads = read_roads(road, issues)
    surface = read_elevation([dem], (roads.node_lon, roads.node_lat), issues)
    terrain = make_terrain(surface, roads.node_lon, roads.node_lat, roads.u, roads.v, roads.structure, crs)
    order = np.argsort(roads.node_lon)
    zb = terrain.node_z[order]
    # the deck: straight from the abutment at 200 m to the one at 1000 m
    line = np.interp(xs, [xs[4], xs[n - 5]], [zb[4], zb[n - 5]])
    assert np.allclose(zb[4 : n - 4], line[4 : n - 4], atol=1e-6)
    ground = surface.at(*Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat), crs)
    assert (zb[10:15] - ground[10:15]).min() > 30  # the deck is well above the valley floor
    # walking over the deck: one constant slope, not the valley's down and up
    net = build_network(roads, "walk", crs, DataIssues(), terrain=terrain)
    flat = build_network(roads, "walk", crs, DataIssues())
    a, b = np.argsort(net.x)[4], np.argsort(net.x)[n - 5]
    deck = (zb[n - 5] - zb[4]) / 800.0
    assert _route_seconds(net, a, b) == pytest.approx(
        _route_seconds(flat, a, b) / tobler_factor(np.array([deck]))[0], rel=1e-6
    )


def test_dem_that_misses_the_study_names_the_tiles_to_add():
    if not BAYREUTH.exists():
        pytest.skip("../shared/data not present")
    issues = DataIssues()
    roads = read_roads(BAYREUTH, issues)
    with pytest.raises(InputError) as caught:
        read_elevation([TILES[0]], (roads.node_lon, roads.node_lat), issues)
    text = str(caught.value)
    assert "does not cover" in text and "N50E011" in text and "N49E011" not in text.split("add")[1]
    assert "N50E011" in caught.value.in_lang("zh")


def test_nodata_holes_are_filled_from_neighbours_and_reported(tmp_path, plane):
    roads, _, crs, _ = plane
    x0, y0 = 500_000.0, 4_000_000.0
    z = np.full((20, 60), 300.0)
    z[8:12, 20:24] = -32768  # a hole under the road
    dem = _write_dem(tmp_path / "hole.tif", crs, x0 - 500, y0 + 500, 50.0, z)
    issues = DataIssues()
    surface = read_elevation([dem], (roads.node_lon, roads.node_lat), issues)
    assert np.isfinite(surface.grid).all() and surface.grid.min() == 300.0
    frame = issues.to_frame()
    assert frame["message"].str.contains("nodata").any()
    assert frame["message_zh"].str.contains("补全").any()


@needs_data
def test_unzipped_hgt_reads_the_same_as_the_zip(tmp_path):
    with zipfile.ZipFile(TILES[1]) as archive:
        name = archive.namelist()[0]
        with archive.open(name) as src, (tmp_path / Path(name).name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    lon, lat = np.array([11.5, 11.6]), np.array([50.2, 50.4])
    a = read_elevation([TILES[1]], (lon, lat), DataIssues())
    b = read_elevation([tmp_path / Path(name).name], (lon, lat), DataIssues())
    assert np.array_equal(a.grid, b.grid)


# --- the real network across the SRTM seam ----------------------------------------------------


def _raw_tile(path: Path) -> np.ndarray:
    with zipfile.ZipFile(path) as archive:
        data = archive.read(archive.namelist()[0])
    return np.frombuffer(data, dtype=">i2").reshape(1201, 1201).astype(float)


@pytest.fixture(scope="module")
def bayreuth():
    if not all(p.exists() for p in [*TILES, BAYREUTH]):
        pytest.skip("../shared/data not present")
    issues = DataIssues()
    roads = read_roads(BAYREUTH, issues)
    assert roads.structure is not None and roads.structure.sum() > 20  # bridges and tunnels are read
    roads = replace(roads, structure=None)  # the reference drapes every road: so does this run
    crs = utm_crs(float(roads.node_lon.mean()), float(roads.node_lat.mean()))
    surface = read_elevation(TILES, (roads.node_lon, roads.node_lat), issues)
    terrain = make_terrain(
        surface, roads.node_lon, roads.node_lat, roads.u, roads.v, None, crs, step_m=STEP_M
    )
    return roads, crs, terrain


def _reference_surface() -> RegularGridInterpolator:
    """The two tiles stacked (the shared 50° N row once), bilinear in degrees, pixel-is-point."""
    south, north = _raw_tile(TILES[0]), _raw_tile(TILES[1])
    grid = np.vstack([north, south[1:]])[::-1]  # rows from 49° N up to 51° N
    lats = 49.0 + np.arange(grid.shape[0]) / 1200
    lons = 11.0 + np.arange(1201) / 1200
    return RegularGridInterpolator((lats, lons), grid, method="linear")


def test_real_tiles_merge_without_a_seam(bayreuth):
    roads, crs, terrain = bayreuth
    reference = _reference_surface()
    expected = reference(np.column_stack([roads.node_lat, roads.node_lon]))
    assert np.abs(terrain.node_z - expected).max() < 1e-6
    crossing = (roads.node_lat[roads.u] - 50.0) * (roads.node_lat[roads.v] - 50.0) < 0
    assert crossing.sum() > 10  # the extract does cross the tiles' edge
    # along a meridian through the seam the surface is continuous
    lat = np.linspace(49.995, 50.005, 101)
    z = terrain.surface.at(
        *Transformer.from_crs(4326, crs, always_xy=True).transform(np.full(101, 11.55), lat), crs
    )
    assert np.abs(np.diff(z)).max() < 2.0
    assert np.allclose(z, reference(np.column_stack([lat, np.full(101, 11.55)])), atol=1e-6)


def _reference_walk_graph(roads, reference) -> nx.DiGraph:
    """Tobler per direction on pieces of at most STEP_M metres (geodesic), networkx edges."""
    table = DEFAULT_SPEEDS_KMH["walk"]
    graph = nx.DiGraph()
    for u, v, h in zip(roads.u, roads.v, roads.highway, strict=True):
        kmh = table.get(h, table["*"])
        if kmh <= 0:
            continue
        lon0, lat0, lon1, lat1 = roads.node_lon[u], roads.node_lat[u], roads.node_lon[v], roads.node_lat[v]
        length = GEOD.inv(lon0, lat0, lon1, lat1)[2]
        n = max(1, int(np.ceil(length / STEP_M)))
        t = np.linspace(0, 1, n + 1)
        z = reference(np.column_stack([lat0 + t * (lat1 - lat0), lon0 + t * (lon1 - lon0)]))
        slope = np.diff(z) / (length / n)
        flat = tobler_kmh(np.zeros(1))[0]
        piece = length / n / (kmh / 3.6)
        forward = float(np.sum(piece * flat / tobler_kmh(slope)))
        backward = float(np.sum(piece * flat / tobler_kmh(-slope)))
        for a, b, sec in ((u, v, forward), (v, u, backward)):
            if not graph.has_edge(a, b) or graph[a][b]["t"] > sec:
                graph.add_edge(int(a), int(b), t=sec)
    main = max(nx.weakly_connected_components(graph), key=len)
    return graph.subgraph(main).copy()


def test_walking_times_agree_with_networkx_tobler_to_the_second(bayreuth):
    roads, crs, terrain = bayreuth
    graph = _reference_walk_graph(roads, _reference_surface())
    net = build_network(roads, "walk", crs, DataIssues(), terrain=terrain)
    rng = np.random.default_rng(7)
    nodes = np.array(sorted(graph.nodes))
    sources = rng.choice(nodes, 4, replace=False)
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    fx, fy = (np.asarray(a) for a in to_xy.transform(roads.node_lon[sources], roads.node_lat[sources]))
    costs = nearest_facility_costs(net, fx, fy, limit=3600.0, snap_radius_m=1.0)
    expected = nx.multi_source_dijkstra_path_length(
        graph.reverse(copy=False), set(sources.tolist()), weight="t"
    )
    x, y = (np.asarray(a) for a in to_xy.transform(roads.node_lon[nodes], roads.node_lat[nodes]))
    index, dist = net.snap(x, y, 0.01)
    assert (index >= 0).all() and dist.max() < 0.01
    got = costs.cost[index]
    want = np.array([expected.get(int(n), np.inf) for n in nodes])
    within = np.isfinite(want) & (want < 3500)
    assert within.sum() > 2000
    assert np.array_equal(np.isfinite(got[within]), np.ones(within.sum(), dtype=bool))
    assert np.abs(got[within] - want[within]).max() < 1.0  # to the second over up to an hour
    # and the terrain matters here: the times are not the flat ones
    flat = nearest_facility_costs(
        build_network(roads, "walk", crs, DataIssues()), fx, fy, limit=3600.0, snap_radius_m=1.0
    )
    assert np.abs(flat.cost[index][within] - got[within]).max() > 30
