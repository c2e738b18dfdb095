"""Benchmark carecircles against the tools users would pick instead, on the same inputs.

In one process, on generated road networks (a county, ~50k nodes; a province, ~1M nodes) with
facilities and a population raster, it times:

1. carecircles: CSR network, one multi-source Dijkstra pass, travel time of every node and
   every population cell (the engine the assessment uses), end to end from the road table;
2. the OSMnx tutorial recipe: ``nx.ego_graph`` per facility per threshold, then the union of
   buffered edges as the isochrone, then the people inside it (county only: hours on a province);
3. pandana (contraction hierarchies, ``nearest_pois``) including its precompute (county only
   unless ``--pandana-province``);
4. a raw ``scipy.sparse.csgraph.dijkstra`` multi-source pass on the same CSR graph: the floor.

It checks that the methods agree where they compute the same thing (node times to the second;
covered node sets), reports peak memory per stage, and prints the ratios. Not part of the tests.

    python scripts/bench.py                 # county + province (a few minutes)
    python scripts/bench.py --quick         # small sizes, a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from scipy.sparse import csgraph

from carecircles._errors import DataIssues
from carecircles.network import build_network
from carecircles.roads import RoadEdges
from carecircles.traveltime import nearest_facility_costs, place_costs

UTM = CRS.from_epsg(32652)
ORIGIN = (500_000.0, 4_690_000.0)  # UTM 52N, near Jingyu
MODE = "ebike"
THRESHOLDS_MIN = (15, 30)
CLASSES = np.array(["secondary", "tertiary", "unclassified", "residential", "track"], dtype=object)
CLASS_SHARE = (0.05, 0.10, 0.35, 0.35, 0.15)


@dataclass(frozen=True)
class Size:
    """One benchmark case."""

    name: str
    nodes: int
    facilities: int
    cells: int
    recipe: bool
    pandana: bool


SIZES = {
    "county": Size("county", 50_000, 30, 300_000, recipe=True, pandana=True),
    "province": Size("province", 1_000_000, 3_000, 10_000_000, recipe=False, pandana=False),
    "county-quick": Size("county-quick", 8_000, 10, 50_000, recipe=True, pandana=True),
    "province-quick": Size("province-quick", 100_000, 300, 1_000_000, recipe=False, pandana=False),
}


class PeakMemory:
    """Sample this process's resident memory every 20 ms; report the peak of each stage."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss() -> int:
        """Return the current resident set size in bytes."""
        with Path("/proc/self/status").open() as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    @contextmanager
    def stage(self, record: dict, key: str):
        """Time a stage into ``record[key]`` and its peak memory into ``record[key + '_peak_gib']``."""
        self.peak = self.rss()
        start = time.perf_counter()
        yield
        record[key] = time.perf_counter() - start
        record[key + "_peak_gib"] = max(self.peak, self.rss()) / 2**30


def make_roads(n_nodes: int, rng: np.random.Generator) -> tuple[RoadEdges, float]:
    """Make a jittered grid, 15 % of links dropped, mixed road classes; return roads and extent (m)."""
    side = int(np.sqrt(n_nodes))
    spacing = 250.0
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    x = ORIGIN[0] + ix.ravel() * spacing + rng.normal(0, spacing * 0.2, side * side)
    y = ORIGIN[1] + iy.ravel() * spacing + rng.normal(0, spacing * 0.2, side * side)
    index = np.arange(side * side).reshape(side, side)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.15
    u, v = u[keep], v[keep]
    lon, lat = Transformer.from_crs(UTM, 4326, always_xy=True).transform(x, y)
    highway = rng.choice(CLASSES, size=len(u), p=CLASS_SHARE)
    roads = RoadEdges(
        node_id=np.arange(side * side),
        node_lon=np.asarray(lon),
        node_lat=np.asarray(lat),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        highway=highway,
        oneway=np.zeros(len(u), dtype=np.int8),
        maxspeed_kmh=np.full(len(u), np.nan),
        source="bench",
    )
    return roads, side * spacing


def make_population(extent: float, n_cells: int, rng: np.random.Generator, path: Path) -> None:
    """Write a UTM GeoTIFF of ~n_cells populated cells over the network: settlements and a thin background."""
    side = int(np.sqrt(n_cells))
    cell = extent / side
    density = np.zeros((side, side), dtype=np.float32)
    for cy, cx in rng.uniform(0, side, size=(max(4, n_cells // 20_000), 2)):  # Gaussian settlements
        sigma = rng.uniform(3, 30)
        r0, r1 = int(max(cy - 4 * sigma, 0)), int(min(cy + 4 * sigma, side))
        c0, c1 = int(max(cx - 4 * sigma, 0)), int(min(cx + 4 * sigma, side))
        rows, cols = np.ogrid[r0:r1, c0:c1]
        density[r0:r1, c0:c1] += np.exp(-((rows - cy) ** 2 + (cols - cx) ** 2) / (2 * sigma**2))
    density += rng.random((side, side), dtype=np.float32) * 0.02  # thin rural background: every cell counts
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=1,
        dtype="float32",
        crs=UTM.to_wkt(),
        transform=from_origin(ORIGIN[0], ORIGIN[1] + extent, cell, cell),
        nodata=-1,
    ) as dst:
        dst.write(density * 50, 1)


def zones_over(extent: float):
    """Return one zone covering the whole generated area."""
    import geopandas as gpd
    import shapely

    box = shapely.box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + extent, ORIGIN[1] + extent)
    return gpd.GeoDataFrame(
        {"zone_code": ["Z"], "zone_name": ["all"], "zone_type": ["rural"]}, geometry=[box], crs=UTM
    ).to_crs(4326)


def run_size(size: Size, memory: PeakMemory, rng: np.random.Generator) -> dict:
    from carecircles.population import read_population_raster

    record: dict = {"size": size.name, "nodes": size.nodes, "facilities": size.facilities}
    roads, extent = make_roads(size.nodes, rng)
    with tempfile.TemporaryDirectory() as tmp:
        raster = Path(tmp) / "pop.tif"
        make_population(extent, size.cells, rng, raster)
        zones = zones_over(extent)
        limit = max(THRESHOLDS_MIN) * 60.0
        # the same population read serves every method: timed apart, part of the full analysis
        with memory.stage(record, "read_population_s"):
            cells = read_population_raster(raster, zones, UTM, DataIssues())
    record["cells"] = int(cells.population.size)

    # 1. carecircles end to end, from the road table to every node and cell
    with memory.stage(record, "carecircles_s"):
        with memory.stage(record, "cc_network_s"):
            network = build_network(roads, MODE, UTM, DataIssues())
        picks = rng.choice(network.n_nodes, size=size.facilities, replace=False)
        fx, fy = network.x[picks], network.y[picks]
        with memory.stage(record, "cc_travel_time_s"):
            node = nearest_facility_costs(network, fx, fy, limit=limit, snap_radius_m=1000)
        with memory.stage(record, "cc_cells_s"):
            place = place_costs(network, node, cells.x, cells.y, fx, fy, snap_radius_m=2000)
    record["network_nodes"] = network.n_nodes

    # 4. the floor: one raw multi-source pass on the same CSR graph
    reverse = network.seconds.T.tocsr()
    with memory.stage(record, "floor_s"):
        floor = csgraph.dijkstra(reverse, indices=picks, limit=limit, min_only=True)
    finite = np.isfinite(floor)
    record["agree_floor_max_s"] = float(np.abs(node.cost[finite] - floor[finite]).max())
    record["agree_floor_same_reach"] = bool((np.isfinite(node.cost) == finite).all())

    if size.recipe:
        _osmnx_recipe(network, picks, cells, place, node, record, memory)
    if size.pandana:
        _pandana(network, picks, cells, node, record, memory, limit)
    record["covered_30min_share"] = float(
        (cells.population * (place.cost <= 30 * 60)).sum() / cells.population.sum()
    )
    return record


def _osmnx_recipe(network, picks, cells, place, node, record: dict, memory: PeakMemory) -> None:
    """nx.ego_graph per facility per threshold, isochrone = union of buffered nodes and edges."""
    import geopandas as gpd
    import networkx as nx
    import shapely

    coo = network.seconds.tocoo()
    graph = nx.DiGraph()
    graph.add_nodes_from((i, {"x": network.x[i], "y": network.y[i]}) for i in range(network.n_nodes))
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="time"
    )
    reverse = graph.reverse(copy=False)
    reached: dict[int, set[int]] = {}
    with memory.stage(record, "osmnx_recipe_s"):
        population = {}
        for minutes in THRESHOLDS_MIN:
            polygons = []
            nodes: set[int] = set()
            for f in picks:
                sub = nx.ego_graph(reverse, int(f), radius=minutes * 60, distance="time")
                nodes.update(sub.nodes)
                points = gpd.GeoSeries(shapely.points(network.x[list(sub.nodes)], network.y[list(sub.nodes)]))
                lines = [
                    shapely.LineString([(network.x[a], network.y[a]), (network.x[b], network.y[b])])
                    for a, b in sub.edges()
                ]
                pieces = list(points.buffer(50)) + list(gpd.GeoSeries(lines).buffer(25))
                polygons.append(shapely.union_all(pieces))
            isochrone = shapely.union_all(polygons)
            inside = shapely.contains_xy(isochrone, cells.x, cells.y)
            population[minutes] = float(cells.population[inside].sum())
            reached[minutes] = nodes
    for minutes in THRESHOLDS_MIN:
        ours = set(np.flatnonzero(node.cost <= minutes * 60 + 1e-6).tolist())
        record[f"agree_recipe_nodes_{minutes}min"] = ours == reached[minutes]
        record[f"recipe_covered_{minutes}min_vs_cells"] = population[minutes] / float(
            cells.population[place.cost <= minutes * 60].sum()
        )


def _pandana(network, picks, cells, node, record: dict, memory: PeakMemory, limit: float) -> None:
    import pandana
    import pandas as pd

    coo = network.seconds.tocoo()
    one_way = coo.row < coo.col  # the network is symmetric: each link once, two-way
    with memory.stage(record, "pandana_s"):
        net = pandana.Network(
            pd.Series(network.x),
            pd.Series(network.y),
            pd.Series(coo.row[one_way]),
            pd.Series(coo.col[one_way]),
            pd.DataFrame({"time": coo.data[one_way]}),
            twoway=True,
        )
        net.precompute(limit)
        net.set_pois("facility", limit, 1, pd.Series(network.x[picks]), pd.Series(network.y[picks]))
        nearest = net.nearest_pois(limit, "facility", num_pois=1)[1].to_numpy()
        cell_nodes = net.get_node_ids(pd.Series(cells.x), pd.Series(cells.y)).to_numpy()
        _ = nearest[cell_nodes]
    reached = nearest < limit
    ours = np.isfinite(node.cost)
    both = reached & ours
    record["agree_pandana_max_s"] = float(np.abs(nearest[both] - node.cost[both]).max())
    record["agree_pandana_same_reach"] = float((reached == ours).mean())


def report(records: list[dict]) -> str:
    lines = []
    for r in records:
        lines.append(
            f"\n== {r['size']}: {r['network_nodes']:,} nodes, {r['facilities']:,} facilities, "
            f"{r['cells']:,} population cells"
        )
        lines.append(
            f"carecircles end to end     {r['carecircles_s']:8.2f} s  (network {r['cc_network_s']:.2f}, "
            f"travel time {r['cc_travel_time_s']:.2f}, cells {r['cc_cells_s']:.2f}); "
            f"peak {r['carecircles_s_peak_gib']:.2f} GiB"
        )
        total = r["read_population_s"] + r["carecircles_s"]
        lines.append(
            f"  with the population raster read ({r['read_population_s']:.2f} s): {total:.2f} s for the "
            "whole analysis"
        )
        lines.append(
            f"raw scipy Dijkstra floor   {r['floor_s']:8.2f} s  -> carecircles travel-time step = "
            f"{r['cc_travel_time_s'] / r['floor_s']:.2f}x the floor"
        )
        lines.append(
            f"  agreement with floor: max |diff| {r['agree_floor_max_s']:.2e} s, same reach: "
            f"{r['agree_floor_same_reach']}"
        )
        if "osmnx_recipe_s" in r:
            lines.append(
                f"OSMnx ego_graph recipe     {r['osmnx_recipe_s']:8.2f} s  -> carecircles is "
                f"{r['osmnx_recipe_s'] / r['carecircles_s']:.0f}x faster; peak "
                f"{r['osmnx_recipe_s_peak_gib']:.2f} GiB"
            )
            for m in THRESHOLDS_MIN:
                lines.append(
                    f"  {m} min: same covered nodes: {r[f'agree_recipe_nodes_{m}min']}; recipe "
                    f"polygons count {r[f'recipe_covered_{m}min_vs_cells']:.1%} of the people "
                    "carecircles counts cell by cell"
                )
        if "pandana_s" in r:
            lines.append(
                f"pandana (incl. precompute) {r['pandana_s']:8.2f} s  -> carecircles is "
                f"{r['pandana_s'] / r['carecircles_s']:.1f}x faster; peak {r['pandana_s_peak_gib']:.2f} GiB"
            )
            lines.append(
                f"  agreement: max |diff| {r['agree_pandana_max_s']:.2f} s on nodes both reach; "
                f"same reach on {r['agree_pandana_same_reach']:.2%} of nodes"
            )
    return "\n".join(lines)


def run_fine_raster(size: int) -> dict:
    """Run the fine-raster case: ``carecircles run`` on the sample with a size × size population raster.

    Run as a child process, so its peak memory is the whole run's (read, assess, winter
    scenario, every output); the raster is written by scripts/make_fine_raster.py.
    """
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_fine_raster import write_fine_raster

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        made = write_fine_raster(out, size)
        fine = _child(
            [
                "run",
                str(out / "fine.yml"),
                "--quiet",
                "--out",
                str(out / "out"),
                "--map",
                str(out / "map.html"),
            ],
            out,
        )
        manifest = json.loads((out / "out" / "manifest.json").read_text(encoding="utf-8"))
    return {
        "size": size,
        "populated_cells": manifest["counts"]["population_places"],
        "people": made["people"],
        "run_s": fine.seconds,
        "peak_gib": fine.tree_gib,
        "steps_s": manifest["timings_s"],
    }


def report_fine(r: dict) -> str:
    """Format the fine-raster row against its targets (60 s, 2 GiB)."""
    return (
        f"fine raster {r['size']:,} x {r['size']:,} ({r['populated_cells']:,} populated cells): whole run "
        f"{r['run_s']:.1f} s (target < 60 s), peak {r['peak_gib']:.2f} GiB (target < 2 GiB)\n  steps: "
        + ", ".join(f"{k.split(' (')[0]} {v:.1f} s" for k, v in r["steps_s"].items())
    )


@dataclass
class ChildRun:
    """A ``carecircles`` command run as a child process: its wall time and peak memory."""

    seconds: float
    own_gib: float  #: the command's own peak resident memory (``VmHWM``)
    tree_gib: float  #: the largest summed PSS of it and its children (Chromium printing the report)


def _child(args: list[str], cwd: Path) -> ChildRun:
    """Run ``carecircles <args>`` as a child process in ``cwd``, output hidden.

    Its memory is read from ``/proc`` every 0.2 s while it runs: its own ``VmHWM`` (``wait4``'s
    ``ru_maxrss`` would start at this process's size when the child was forked: Linux keeps it
    across ``exec``) and the proportional set size summed over it and its descendants, so that
    Chromium printing the report beside the map's writing is counted (shared pages once).
    """
    import subprocess

    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "carecircles.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status, own_kb, tree_kb = Path(f"/proc/{child.pid}/status"), 0, 0
    while child.poll() is None:
        try:
            found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text(encoding="ascii"))
            own_kb = max(own_kb, int(found.group(1)) if found else 0)
        except OSError:
            pass
        tree_kb = max(tree_kb, sum(_pss_kb(pid) for pid in _process_tree(child.pid)))
        time.sleep(0.2)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    return ChildRun(time.perf_counter() - start, own_kb / 2**20, max(own_kb, tree_kb) / 2**20)


def _process_tree(pid: int) -> list[int]:
    """Return ``pid`` and its descendants (from ``/proc/<pid>/task/*/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # ended meanwhile
                todo.extend(int(c) for c in task.read_text(encoding="ascii").split())
    return found


def _pss_kb(pid: int) -> int:
    """Return a process's proportional set size in kB (0 once it has ended)."""
    try:
        found = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def _index_open_s(page: Path) -> float | None:
    """Seconds for headless Chromium to open a map page until its map is built (None: no browser)."""
    import shutil

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return None
    import os

    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    try:
        start = time.perf_counter()
        browser.get(page.as_uri())
        while not browser.execute_script("return !!window.carecirclesMap"):
            time.sleep(0.02)
        return time.perf_counter() - start
    finally:
        browser.quit()


#: Time limit of each integer program of the province siting (``--exact-seconds``).
EXACT_SECONDS = 10

#: Counties of the full province timed by ``carecircles batch`` (throughput is per county).
BATCH_SAMPLE = 6


def run_province(quick: bool) -> dict:
    """Run the province end to end: generate it, ``run`` it whole, ``site`` on it, ``batch`` its counties.

    Each command is a child process: its seconds are wall time, its peak memory is from its
    own manifest (the process's peak resident memory at the end of each step).
    """
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_province import build

    sizes = (
        {
            "counties": 9,
            "townships": 9,
            "nodes": 100_000,
            "cells": 1_000_000,
            "villages": 1_500,
            "facilities": 300,
        }
        if quick
        else {}
    )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        made = build(out, **sizes)
        record: dict = {"made": made}
        run = _child(["run", "province.yml", "--out", "run", "--map", "maps/province.html"], out)
        manifest = json.loads((out / "run" / "manifest.json").read_text(encoding="utf-8"))
        pages = sorted((out / "maps" / "province-counties").glob("*.html"))
        record["run"] = {
            "seconds": run.seconds,
            "peak_gib": run.tree_gib,
            "own_gib": max([run.own_gib, *manifest["peak_rss_gib"].values()]),
            "steps_s": manifest["timings_s"],
            "steps_gib": manifest["peak_rss_gib"],
            "writing_s": manifest.get("writing_s", {}),
            "populated_cells": manifest["counts"]["population_places"],
            "index_mb": (out / "maps" / "province.html").stat().st_size / 1e6,
            "largest_page_mb": max(p.stat().st_size for p in pages) / 1e6,
            "county_pages": len(pages),
            "index_open_s": _index_open_s(out / "maps" / "province.html"),
        }
        one = _child(
            ["run", "province.yml", "--processes", "1", "--out", "run1", "--map", "maps/one.html"], out
        )
        record["run_one_process"] = {"seconds": one.seconds, "peak_gib": one.tree_gib}
        site = _child(
            [
                "site",
                "province.yml",
                "--standard",
                "rural-30min",
                "--spacing",
                "1000",
                "--exact",
                "--exact-seconds",
                str(EXACT_SECONDS),
                "--out",
                "site",
                "--map",
                "maps/site.html",
            ],
            out,
        )
        siting = json.loads((out / "site" / "siting.json").read_text(encoding="utf-8"))
        record["site"] = {
            "seconds": site.seconds,
            "peak_gib": site.tree_gib,
            "exact": siting["exact"],
            "sites": (out / "site" / "sites.csv").read_text(encoding="utf-8").count("\n") - 1,
            "candidates": siting["candidates_considered"],
        }
        # the county configs read the province's files (roads, raster) whole: a county costs
        # about what the province's reading and network cost, so a sample of counties is timed
        counties = sorted(p.name for p in out.glob("county-*.yml"))[: None if quick else BATCH_SAMPLE]
        batch = _child(["batch", *counties, "--out", "batch"], out)
        record["batch"] = {
            "seconds": batch.seconds,
            "counties": len(counties),
            "per_minute": len(counties) / batch.seconds * 60,
        }
    return record


def _exact_words(e: dict) -> str:
    """Say what an exact program proved: its status and its proven gap."""
    if not e:
        return "not run"
    gap = e.get("gap")
    shown = "unbounded" if gap is None else f"{float(gap):.1%}"  # None: nothing found, a bound above 0
    return f"{e.get('status', '?')}, gap {shown}"


def report_province(r: dict) -> str:
    """Format the end-to-end province rows against their targets."""
    run, site, batch, made = r["run"], r["site"], r["batch"], r["made"]
    opened = "no browser" if run["index_open_s"] is None else f"{run['index_open_s']:.2f} s (target < 2 s)"
    lines = [
        f"province end to end ({made['counties']} counties, {made['townships']} townships, "
        f"{made['road_nodes']:,} road nodes, {run['populated_cells']:,} populated cells): "
        f"whole run {run['seconds']:.1f} s (target < 90 s), peak {run['peak_gib']:.2f} GiB with Chromium "
        f"printing the report (target < 4 GiB; carecircles alone {run['own_gib']:.2f} GiB)",
        "  steps: "
        + ", ".join(
            f"{k.split(' (')[0]} {v:.1f} s / {run['steps_gib'].get(k, float('nan')):.1f} GiB"
            for k, v in run["steps_s"].items()
        ),
        "  writing: " + ", ".join(f"{k} {v:.1f} s" for k, v in run["writing_s"].items()),
        f"  in one process (--processes 1): {r['run_one_process']['seconds']:.1f} s, peak "
        f"{r['run_one_process']['peak_gib']:.2f} GiB with Chromium",
        f"  map: index {run['index_mb']:.1f} MB opens in {opened}; {run['county_pages']} county pages, "
        f"largest {run['largest_page_mb']:.1f} MB (target < 15 MB each)",
        f"  site rural-30min (road nodes every 1 km, {site['candidates']:,} candidates, exact check "
        f"{EXACT_SECONDS} s each): {site['seconds']:.1f} s (target < 120 s), peak {site['peak_gib']:.2f} GiB "
        f"(target < 4 GiB), {site['sites']} sites; exact max cover: "
        f"{_exact_words(site['exact'].get('max_cover', {}))}; "
        f"set cover: {_exact_words(site['exact'].get('set_cover', {}))}",
        f"  batch: {batch['counties']} of the {made['counties']} counties in {batch['seconds']:.1f} s on a "
        "2-worker LocalCluster "
        f"= {batch['per_minute']:.1f} counties per minute",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--sizes", nargs="*", help="sizes to run (county, province, …)")
    parser.add_argument("--pandana-province", action="store_true", help="also run pandana on the province")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--fine-size", type=int, help="fine-raster case side in cells (default 20,000; 0: skip)"
    )
    parser.add_argument("--no-province", action="store_true", help="skip the end-to-end province run")
    args = parser.parse_args()
    names = args.sizes or (["county-quick", "province-quick"] if args.quick else ["county", "province"])
    memory = PeakMemory()
    records = []
    for name in names:
        size = SIZES[name]
        if args.pandana_province and not size.recipe:
            size = Size(size.name, size.nodes, size.facilities, size.cells, size.recipe, True)
        print(f"running {name} …", file=sys.stderr, flush=True)
        records.append(run_size(size, memory, np.random.default_rng(20261123)))
    print(report(records))
    fine_size = args.fine_size if args.fine_size is not None else (4_000 if args.quick else 20_000)
    if fine_size:
        print(f"running the fine raster {fine_size:,}² …", file=sys.stderr, flush=True)
        fine = run_fine_raster(fine_size)
        print(report_fine(fine))
        records.append({"fine_raster": fine})
    if not args.no_province:
        print("running the province end to end …", file=sys.stderr, flush=True)
        province = run_province(args.quick)
        print(report_province(province))
        records.append({"province_end_to_end": province})
    if args.json:
        args.json.write_text(json.dumps(records, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
