"""Road readers on the real OSM extracts, GraphML and a real line layer."""

import bz2
import gzip
import itertools
import shutil

import numpy as np
import osmium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from carecircles._errors import DataIssues, InputError
from carecircles.network import build_network
from carecircles.roads import _NOT_ROADS, chains, parse_speed, read_roads

from _helpers import shared_file


def edge_set(roads):
    a, b = roads.node_id[roads.u], roads.node_id[roads.v]
    return set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))


@pytest.fixture(scope="module")
def bayreuth_xml(tmp_path_factory):
    path = tmp_path_factory.mktemp("osm") / "north-bayreuth.osm"
    with gzip.open(shared_file("north-bayreuth.osm.gz"), "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_osm_reader_matches_osmnx_edges(tmp_path):
    name = "north-bayreuth.osm.gz"
    import osmnx as ox

    plain = tmp_path / name.removesuffix(".gz")
    with gzip.open(shared_file(name), "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    ours = read_roads(shared_file(name), DataIssues())
    graph = ox.graph_from_xml(plain, bidirectional=True, simplify=False, retain_all=True)
    reference = set()
    for u, v, data in graph.edges(data=True):
        highway = data.get("highway")
        highway = highway[0] if isinstance(highway, list) else highway
        if (
            highway is None
            or highway in _NOT_ROADS
            or data.get("area") == "yes"
            or data.get("access") == "no"
        ):
            continue
        reference.add((min(u, v), max(u, v)))
    mine = edge_set(ours)
    # osmnx's own XML parser (every way, filtered here like ours) gives the same segments
    assert len(mine) > 5000
    assert len(mine ^ reference) / len(mine) < 0.002


def test_clipped_extract_is_split_not_bridged():
    """campo-grande is clipped: ways leave the extract (osmnx refuses such a file).

    Reference: the XML parsed with ElementTree; a segment exists only between consecutive
    way nodes that are both present in the file.
    """
    import xml.etree.ElementTree as ET

    path = shared_file("campo-grande.osm.gz")
    issues = DataIssues()
    roads = read_roads(path, issues)
    assert any("outside the extract" in i.message for i in issues.items)
    with gzip.open(path) as stream:
        root = ET.parse(stream).getroot()
    present = {int(n.get("id")) for n in root.iter("node")}
    expected = set()
    skipped = 0  # vertices of the read ways whose node is not in the file
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if (
            "highway" not in tags
            or tags["highway"] in _NOT_ROADS
            or tags.get("area") == "yes"
            or tags.get("access") == "no"
        ):
            continue
        refs = [int(nd.get("ref")) for nd in way.iter("nd")]
        skipped += sum(ref not in present for ref in refs)
        for a, b in itertools.pairwise(refs):
            if a in present and b in present and a != b:
                expected.add((min(a, b), max(a, b)))
    assert edge_set(roads) == expected
    assert [i.message for i in issues.items if "outside the extract" in i.message] == [
        f"{skipped} way vertices reference nodes outside the extract; skipped"
    ]


def test_every_osm_encoding_reads_the_same(bayreuth_xml, tmp_path):
    reference = edge_set(read_roads(bayreuth_xml, DataIssues()))
    bz = tmp_path / "north-bayreuth.osm.bz2"
    bz.write_bytes(bz2.compress(bayreuth_xml.read_bytes()))
    pbf = tmp_path / "north-bayreuth.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(bayreuth_xml)):
            writer.add(obj)
    gz = shared_file("north-bayreuth.osm.gz")
    for path in (gz, bz, pbf):
        assert edge_set(read_roads(path, DataIssues())) == reference, path.name


def test_graphml_round_trip_gives_same_network(bayreuth_xml, tmp_path):
    import osmnx as ox

    graph = ox.graph_from_xml(bayreuth_xml, simplify=False, retain_all=True)
    graph.remove_edges_from(
        [(u, v, k) for u, v, k, h in graph.edges(keys=True, data="highway") if h is None or h in _NOT_ROADS]
    )
    graph = ox.simplify_graph(graph)  # edges now carry their vertices as geometry
    path = tmp_path / "bayreuth.graphml"
    ox.save_graphml(graph, path)
    crs = CRS.from_epsg(32632)
    from_graphml = build_network(read_roads(path, DataIssues()), "walk", crs, DataIssues())
    from_osm = build_network(read_roads(bayreuth_xml, DataIssues()), "walk", crs, DataIssues())
    # same roads, split at the same vertices: same total length and (nearly) the same nodes
    assert from_graphml.metres.sum() == pytest.approx(from_osm.metres.sum(), rel=0.01)
    assert from_graphml.n_nodes == pytest.approx(from_osm.n_nodes, rel=0.01)


def test_line_layer_wuhan_speeds_classes_and_joins():
    path = shared_file("wuhan-optics-valley-roads.geojson")
    issues = DataIssues()
    roads = read_roads(path, issues)
    messages = " ".join(i.message for i in issues.items)
    assert "non-line features skipped" in messages
    assert "m/s" in messages
    assert np.nanmax(roads.maxspeed_kmh) == pytest.approx(70.0, abs=0.1)  # 19.44 m/s
    assert {"trunk", "primary", "residential"} <= set(roads.highway)
    crs = CRS.from_epsg(32650)
    loose = build_network(roads, "car", crs, DataIssues())
    joined_roads = read_roads(path, DataIssues(), join_tolerance_m=10)
    joined = build_network(joined_roads, "car", crs, DataIssues())
    # lane-level lines stop short of junctions: unjoined, most of the network falls apart
    assert loose.n_nodes / roads.n_nodes < 0.5
    assert joined.n_nodes / joined_roads.n_nodes > 0.9


def test_line_layer_in_kmh_when_told():
    path = shared_file("wuhan-optics-valley-roads.geojson")
    roads = read_roads(path, DataIssues(), speed_unit="kmh")
    assert np.nanmax(roads.maxspeed_kmh) == pytest.approx(19.44, abs=0.01)


def test_missing_and_empty_road_files(tmp_path):
    with pytest.raises(InputError, match="road file not found") as err:
        read_roads(tmp_path / "none.osm.pbf", DataIssues())
    assert "none.osm.pbf" in str(err.value)
    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'><node id='1' lat='1' lon='1'/></osm>")
    with pytest.raises(InputError, match="empty") as err:
        read_roads(empty, DataIssues())
    assert "empty.osm" in str(err.value)


def test_line_layer_without_class_or_speed(tmp_path):
    path = tmp_path / "lines.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},'
        '"geometry":{"type":"LineString","coordinates":[[126.8,42.4],[126.81,42.4]]}}]}'
    )
    with pytest.raises(InputError, match="no road-class column") as err:
        read_roads(path, DataIssues())
    assert err.value.field == "highway" and "lines.geojson" in str(err.value)


@pytest.mark.parametrize(
    ("value", "kmh"),
    [("60", 60.0), ("30 mph", 48.28032), ("50;60", 50.0), ("CN:urban", np.nan), (None, np.nan), (40, 40.0)],
)
def test_parse_speed(value, kmh):
    result = parse_speed(value)
    assert (np.isnan(result) and np.isnan(kmh)) or result == pytest.approx(kmh)


def _canonical(nodes: list[int]) -> tuple:
    """A line as a node sequence, the same whichever way round (and wherever a loop starts)."""
    if len(nodes) > 2 and nodes[0] == nodes[-1]:
        ring = nodes[:-1]
        turns = [tuple(r[k:] + r[:k]) for r in (ring, ring[::-1]) for k in range(len(ring))]
        return ("loop", min(turns))
    return ("line", min(tuple(nodes), tuple(nodes[::-1])))


@given(
    st.integers(2, 9).flatmap(
        lambda n: st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]),
            min_size=1,
            max_size=14,
        )
    )
)
@settings(max_examples=300, deadline=None)
def test_chains_are_the_lines_shapely_line_merge_makes(segments):
    """Chains through two-segment nodes (loops, repeated segments included) as GEOS merges them."""
    import shapely

    u, v = (np.array(x) for x in zip(*segments, strict=True))
    nodes, line = chains(u, v)
    ours = sorted(_canonical(nodes[line == i].tolist()) for i in np.unique(line))
    spots = np.column_stack([np.arange(10) % 4, np.arange(10) // 4]).astype(float)  # node i at spots[i]
    merged = shapely.line_merge(
        shapely.multilinestrings(shapely.linestrings(np.stack([spots[u], spots[v]], 1)))
    )
    at = {tuple(p): i for i, p in enumerate(spots.tolist())}
    reference = sorted(
        _canonical([at[tuple(p)] for p in shapely.get_coordinates(g).tolist()])
        for g in shapely.get_parts(merged)
    )
    assert ours == reference
    steps = sorted(
        tuple(sorted(p)) for i in np.unique(line) for p in itertools.pairwise(nodes[line == i].tolist())
    )
    assert steps == sorted(tuple(sorted(e)) for e in segments)  # every segment once


def test_chains_of_nothing_are_empty():
    nodes, line = chains(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert len(nodes) == 0 and len(line) == 0


def test_chains_of_a_grid_and_of_one_long_road():
    """A 600 × 600 grid (the province's size of segments) and a single road through 360,000 nodes."""
    side = 600
    ids = np.arange(side * side).reshape(side, side)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    nodes, line = chains(u, v)
    # only the 4 corners have 2 segments: every other segment is a line of its own
    assert line.max() + 1 == len(u) - 4 and len(nodes) == 2 * len(u) - 4
    path = np.arange(side * side)  # one long snake: a single chain through every node
    nodes, line = chains(path[:-1], path[1:])
    assert line.max() == 0
    assert np.array_equal(nodes, path) or np.array_equal(nodes, path[::-1])
