"""Generate the SYNTHETIC sample county modelled on Jingyu County (靖宇县), deterministically.

Nothing here is real data: the boundary, roads, villages, population and facility positions
are invented (seeded random numbers); only the facility names and bed counts follow the
Jingyu plan (../shared/STANDARDS.md §3). Staff figures are invented too, spread by level so
the county's totals come near the plan's 2020 ratios (see :data:`STAFF`). Every file name
carries ``synthetic``.

Run from the repository root::

    python scripts/make_sample_county.py            # writes data/... (committed)
    python scripts/make_sample_county.py --out DIR  # elsewhere
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

SEED = 220622  # Jingyu's administrative code
CENTRE_LONLAT = (126.81, 42.39)  # near Jingyu's county seat
UTM = "EPSG:32652"
TARGET_AREA_KM2 = 3000.0
TARGET_POPULATION = 110_000
CELL_DEG = 1 / 1200  # 3 arc-seconds, WorldPop's 100 m grid
NODATA = -99999.0
NODE_SPACING_M = 80.0

TOWNSHIPS = [  # name, code, angle (deg), distance (km), health centre, its type
    ("靖宇镇", "220622100", 0, 0, "靖宇镇卫生院", "乡镇卫生院"),
    ("三道湖镇", "220622101", 20, 19, "三道湖镇卫生院", "乡镇卫生院"),
    ("龙泉镇", "220622102", 75, 17, "龙泉镇中心卫生院", "中心卫生院"),
    ("那尔轰镇", "220622103", 135, 20, "那尔轰镇卫生院", "乡镇卫生院"),
    ("花园口镇", "220622104", 185, 18, "花园口镇中心卫生院", "中心卫生院"),
    ("景山镇", "220622105", 235, 19, "景山镇中心卫生院", "中心卫生院"),
    ("赤松镇", "220622106", 285, 18, "赤松镇卫生院", "乡镇卫生院"),
    ("濛江乡", "220622200", 330, 21, "濛江乡卫生院", "乡镇卫生院"),
]
BEDS = {  # 编制床位 2020 from plan 002
    "靖宇镇卫生院": 2,
    "濛江乡卫生院": 3,
    "赤松镇卫生院": 4,
    "那尔轰镇卫生院": 5,
    "景山镇中心卫生院": 4,
    "龙泉镇中心卫生院": 6,
    "花园口镇中心卫生院": 6,
    "三道湖镇卫生院": 5,
    "保安卫生院": 2,
    "西南岔卫生院": 4,
    "榆树川卫生院": 3,
    "燕平卫生院": 2,
}
BRANCHES = {"保安卫生院": 1, "西南岔卫生院": 4, "榆树川卫生院": 6, "燕平卫生院": 7}  # township idx
# Services of the township centres: 004 asks every 中心卫生院 to host a 急救站; in the sample two
# of the three do, so the scorecard has a pass and a failure to show.
CENTRE_SERVICES = {
    "龙泉镇中心卫生院": "急救站;中医馆",
    "花园口镇中心卫生院": "急救站",
    "景山镇中心卫生院": "中医馆;发热哨点",
}
# Staff per facility type (执业(助理)医师, 注册护士, 全科医生, 药师), jittered ±15 % by a random
# stream of its own (so positions, types and populations do not change). Chosen so the county's
# totals come near plan 002's 2020 figures for ~108,000 people: 1.88 doctors and 2.01 nurses
# per 1,000, 8.45 GPs per 10,000, 0.26 pharmacists per 1,000. Village clinics are staffed by
# 乡村医生 (village doctors), who are not 执业(助理)医师: they count 0 doctors and 1–2
# village_doctors; outreach points have no staff of their own (township doctors do the rounds).
# Facilities without inpatient beds (village clinics, stations, clinics, CDC) have 0 beds.
STAFF = {
    "县级综合医院（二级）": (62, 95, 10, 9),
    "中医医院": (38, 42, 4, 6),
    "妇幼保健院": (12, 14, 0, 1),
    "疾控中心": (8, 2, 0, 0),
    "社区卫生服务中心": (8, 6, 6, 1),
    "社区卫生服务站": (1, 1, 1, 0),
    "诊所": (1, 1, 0, 0),
    "门诊部": (3, 2, 0, 1),
    "中心卫生院": (8, 6, 7, 1),
    "乡镇卫生院": (6, 4, 5, 1),
    "乡镇卫生院分院": (2, 1, 2, 0),
    "村卫生室": (0, 0, 0, 0),
    "医疗巡诊点": (0, 0, 0, 0),
}
STREETS = [
    ("城东街道", "220622001"),
    ("城北街道", "220622002"),
    ("城西街道", "220622003"),
    ("城南街道", "220622004"),
]
NAME_A = list("东西南北前后上中下新老大小红青白金长永兴太平福和安顺丰荣")
NAME_B = list("兴安河沟岗岭屯山泉甸川台营堡林源湾")


@dataclass
class Roads:
    """Nodes and ways being built, in UTM metres."""

    xy: list[tuple[float, float]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)

    def node(self, x: float, y: float) -> int:
        """Add a node; return its index."""
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def path(
        self, points: np.ndarray, tags: dict[str, str], start: int | None = None, end: int | None = None
    ) -> list[int]:
        """Add a way through ``points``; its ends may be existing nodes."""
        ids = [self.node(x, y) for x, y in points]
        if start is not None:
            ids[0] = start
        if end is not None:
            ids[-1] = end
        self.ways.append((ids, tags))
        return ids


def wiggle(
    p0: np.ndarray,
    p1: np.ndarray,
    rng: np.random.Generator,
    amp: float = 0.07,
    spacing: float = NODE_SPACING_M,
) -> np.ndarray:
    """Return a valley-like path from p0 to p1: a straight line plus a smooth meander."""
    d = p1 - p0
    length = float(np.hypot(*d))
    n = max(2, int(length / spacing) + 1)
    t = np.linspace(0, 1, n)
    normal = np.array([-d[1], d[0]]) / max(length, 1e-9)
    k1, k2 = rng.uniform(0.6, 1.6), rng.uniform(1.8, 3.5)
    lateral = (
        np.sin(np.pi * t)
        * length
        * amp
        * (
            np.sin(2 * np.pi * k1 * t + rng.uniform(0, 6.3))
            + 0.5 * np.sin(2 * np.pi * k2 * t + rng.uniform(0, 6.3))
        )
    )
    return p0 + np.outer(t, d) + np.outer(lateral, normal)


def county_polygon(rng: np.random.Generator) -> shapely.Polygon:
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    radius = 1 + 0.14 * np.sin(2 * angles + 0.7) + 0.07 * np.sin(3 * angles + 2.1) + 0.04 * np.sin(7 * angles)
    radius *= 1 + 0.02 * rng.standard_normal(len(angles)).cumsum() / 6
    shape = shapely.Polygon(np.column_stack([1.15 * radius * np.cos(angles), 0.9 * radius * np.sin(angles)]))
    scale = np.sqrt(TARGET_AREA_KM2 * 1e6 / shape.area)
    return shapely.affinity.translate(shapely.affinity.scale(shape, scale, scale, origin=(0, 0)), 1500, -800)


def build(out: Path) -> dict[str, float]:
    rng = np.random.default_rng(SEED)
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    to_wgs = Transformer.from_crs(UTM, 4326, always_xy=True)
    ox, oy = to_utm.transform(*CENTRE_LONLAT)
    county = county_polygon(rng)
    seats = np.array(
        [
            [d * 1000 * np.cos(np.radians(a)), d * 1000 * np.sin(np.radians(a))]
            for _, _, a, d, _, _ in TOWNSHIPS
        ]
    )
    seats[1:] += rng.normal(0, 1200, size=(len(seats) - 1, 2))

    # ---- zones: Voronoi townships, the seat's core split into four 街道
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seats), extend_to=county.buffer(5000))
    township_polys = []
    for seat in seats:
        cell = next(c for c in cells.geoms if c.contains(shapely.Point(seat)))
        township_polys.append(cell.intersection(county))
    urban = shapely.affinity.rotate(shapely.affinity.scale(shapely.Point(0, 0).buffer(1000), 2.6, 2.0), 12)
    township_polys[0] = township_polys[0].difference(urban)
    # east, north, west and south 街道: the urban core cut along its diagonals
    wedge = [
        shapely.Polygon([(0, 0), (1e5, -1e5), (1e5, 1e5)]),
        shapely.Polygon([(0, 0), (1e5, 1e5), (-1e5, 1e5)]),
        shapely.Polygon([(0, 0), (-1e5, 1e5), (-1e5, -1e5)]),
        shapely.Polygon([(0, 0), (-1e5, -1e5), (1e5, -1e5)]),
    ]
    street_polys = [urban.intersection(w) for w in wedge]

    # ---- roads
    roads = Roads()
    grid_nodes: dict[tuple[int, int], int] = {}
    step = 250.0
    for i in range(-12, 13):
        for j in range(-10, 11):
            p = (i * step, j * step)
            if urban.buffer(-60).contains(shapely.Point(p)):
                grid_nodes[(i, j)] = roads.node(*p)
    for i in range(-12, 13):  # north-south streets
        col = [grid_nodes[(i, j)] for j in range(-10, 11) if (i, j) in grid_nodes]
        if len(col) > 1:
            tags = {"highway": "tertiary" if i == 0 else "residential", "name": f"合成{abs(i)}号路"}
            if i == 3:
                tags["oneway"] = "yes"
            roads.ways.append((col, tags))
    for j in range(-10, 11):  # east-west streets
        row = [grid_nodes[(i, j)] for i in range(-12, 13) if (i, j) in grid_nodes]
        if len(row) > 1:
            tags = {
                "highway": "tertiary" if j == 0 else "residential",
                "name": f"合成{abs(j)}号街",
                "maxspeed": "40",
            }
            if j == -2:
                tags["oneway"] = "-1"
            roads.ways.append((row, tags))
    grid_ids = np.array(list(grid_nodes.values()))
    grid_xy = np.array([roads.xy[k] for k in grid_ids])

    def grid_exit(direction: np.ndarray) -> int:
        return int(grid_ids[np.argmax(grid_xy @ direction)])

    seat_nodes = [-1] * len(seats)
    for k in range(1, len(seats)):  # small township-seat grids
        cx, cy = seats[k]
        local = {}
        for i in range(-2, 3):
            for j in range(-2, 3):
                local[(i, j)] = roads.node(cx + i * 180, cy + j * 180)
        for i in range(-2, 3):
            roads.ways.append(([local[(i, j)] for j in range(-2, 3)], {"highway": "residential"}))
            roads.ways.append(([local[(j, i)] for j in range(-2, 3)], {"highway": "residential"}))
        seat_nodes[k] = local[(0, 0)]

    def main_road(a: int, b: int, tags: dict[str, str]) -> list[int]:
        pa = seats[a] if a else np.array(roads.xy[grid_exit(seats[b] / np.hypot(*seats[b]))])
        start = seat_nodes[a] if a else grid_exit(seats[b] / np.hypot(*seats[b]))
        return roads.path(wiggle(pa, seats[b], rng, amp=0.05), tags, start=start, end=seat_nodes[b])

    routes: list[list[int]] = []
    for b, cls, ref in [
        (1, "trunk", "G201"),
        (5, "trunk", "G201"),
        (2, "secondary", "S302"),
        (4, "secondary", "S211"),
        (7, "secondary", "S303"),
        (3, "tertiary", "X101"),
        (6, "tertiary", "X102"),
    ]:
        tags = {"highway": cls, "ref": ref, "name": f"{ref}（合成）"}
        if cls == "trunk":
            tags["maxspeed"] = "60"
        routes.append(main_road(0, b, tags))
    for a, b in [(1, 2), (5, 6), (3, 4)]:
        routes.append(main_road(a, b, {"highway": "tertiary", "ref": "X2", "name": "县道（合成）"}))
    for end in (1, 5):  # the national road runs on to the county border
        d = seats[end] / np.hypot(*seats[end])
        far = seats[end] + d * 30000
        border = shapely.LineString([seats[end], far]).intersection(county.exterior)
        target = np.array(shapely.get_coordinates(border)[0]) + d * 2000
        roads.path(
            wiggle(seats[end], target, rng, amp=0.03),
            {"highway": "trunk", "ref": "G201"},
            start=seat_nodes[end],
        )

    # ---- villages: along the main valleys and up branch valleys from each township seat
    villages: list[dict] = []
    used_names: set[str] = set()

    def village_name() -> str:
        while True:
            name = rng.choice(NAME_A) + rng.choice(NAME_B) + "村"
            if name not in used_names:
                used_names.add(name)
                return name

    def add_village(x: float, y: float, anchor: int, remote: bool, township: int) -> None:
        if not county.buffer(-300).contains(shapely.Point(x, y)) or urban.buffer(800).contains(
            shapely.Point(x, y)
        ):
            return
        spur = wiggle(np.array(roads.xy[anchor]), np.array([x, y]), rng, amp=0.1, spacing=60)
        vnode = roads.path(spur, {"highway": "track" if remote else "unclassified"}, start=anchor)[-1]
        pop = float(np.clip(rng.lognormal(np.log(300 if remote else 420), 0.45), 60, 1500))
        villages.append(
            {
                "name": village_name(),
                "x": x,
                "y": y,
                "node": vnode,
                "pop": pop,
                "remote": remote,
                "township": township,
            }
        )

    for route in routes:
        for pos in range(25, len(route) - 20, int(rng.integers(28, 42))):
            node = route[pos]
            x, y = roads.xy[node]
            side = rng.choice([-1, 1]) * rng.uniform(250, 700)
            nx_, ny_ = np.array(roads.xy[route[pos + 1]]) - np.array(roads.xy[route[pos - 1]])
            norm = np.hypot(nx_, ny_) or 1.0
            add_village(
                x - ny_ / norm * side,
                y + nx_ / norm * side,
                node,
                False,
                int(np.argmin(np.hypot(*(seats - [x, y]).T))),
            )
    for k in range(1, len(seats)):
        outward = np.arctan2(*seats[k][::-1])
        for b in range(int(rng.integers(2, 4))):
            angle = outward + rng.uniform(-1.5, 1.5) + (b - 1) * 0.8
            length = rng.uniform(7000, 15000)
            end = seats[k] + length * np.array([np.cos(angle), np.sin(angle)])
            while not county.buffer(-800).contains(shapely.Point(end)) and length > 3000:
                length *= 0.85
                end = seats[k] + length * np.array([np.cos(angle), np.sin(angle)])
            pts = wiggle(seats[k], end, rng, amp=0.08)
            cum = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
            split = int(np.searchsorted(cum, 7000))  # the last stretch of a long valley is a track
            first = roads.path(
                pts[: max(split, 2)], {"highway": "unclassified", "name": "乡道（合成）"}, start=seat_nodes[k]
            )
            ids = first
            if split < len(pts) - 1:
                ids = first + roads.path(pts[max(split, 2) - 1 :], {"highway": "track"}, start=first[-1])[1:]
            for dist in np.arange(rng.uniform(1800, 3000), cum[-1] + 1, rng.uniform(2200, 3600)):
                pos = min(int(np.searchsorted(cum, dist)), len(ids) - 1)
                x, y = roads.xy[ids[pos]]
                add_village(x + rng.normal(0, 250), y + rng.normal(0, 250), ids[pos], dist > 7000, k)
    for _ in range(4):  # forestry tracks not connected to anything (read and reported, not used)
        p = seats[int(rng.integers(1, len(seats)))] + rng.normal(0, 6000, 2)
        roads.path(wiggle(p, p + rng.normal(0, 2500, 2), rng), {"highway": "track", "name": "林道（合成）"})

    # ---- population raster (WorldPop style: EPSG:4326, 3 arc-seconds, float32)
    min_lon, min_lat, max_lon, max_lat = _bounds_lonlat(county, ox, oy, to_wgs)
    west = np.floor(min_lon / CELL_DEG) * CELL_DEG
    north = np.ceil(max_lat / CELL_DEG) * CELL_DEG
    width = int(np.ceil((max_lon - west) / CELL_DEG))
    height = int(np.ceil((north - min_lat) / CELL_DEG))
    transform = from_origin(west, north, CELL_DEG, CELL_DEG)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    lon = west + (cols + 0.5) * CELL_DEG
    lat = north - (rows + 0.5) * CELL_DEG
    gx, gy = to_utm.transform(lon, lat)
    gx, gy = gx - ox, gy - oy
    inside = shapely.contains_xy(county, gx, gy)
    density = np.zeros_like(gx)

    def blob(cx: float, cy: float, sigma: float, people: float) -> None:
        near = (np.abs(gx - cx) < 4 * sigma) & (np.abs(gy - cy) < 4 * sigma)
        w = np.exp(-((gx[near] - cx) ** 2 + (gy[near] - cy) ** 2) / (2 * sigma**2))
        density[near] += people * w / w.sum()

    in_urban = shapely.contains_xy(urban, gx, gy)
    urban_w = np.where(in_urban, np.exp(-(gx**2 + gy**2) / (2 * 1300.0**2)) + 0.15, 0)
    density += 47000 * urban_w / urban_w.sum()
    for k in range(1, len(seats)):
        blob(*seats[k], 450, float(rng.uniform(2200, 3600)))
    for v in villages:
        blob(v["x"], v["y"], 220, v["pop"])
    road_xy = np.array(roads.xy)
    from scipy.spatial import cKDTree

    near_road, _ = cKDTree(road_xy).query(np.column_stack([gx[inside], gy[inside]]))
    valley = np.zeros_like(gx)
    valley[inside] = np.where(near_road < 400, rng.gamma(0.6, 1.0, near_road.shape), 0)
    density += 4000 * valley / valley.sum()
    density *= TARGET_POPULATION / density[inside].sum()
    raster = np.where(inside, density, NODATA).astype("float32")
    _write_tif(
        out / "population" / "synthetic_jingyu_population_100m.tif", raster, transform, NODATA, "population"
    )

    def lonlat(x: float | np.ndarray, y: float | np.ndarray) -> tuple:
        return to_wgs.transform(np.asarray(x) + ox, np.asarray(y) + oy)

    # ---- roads as OSM XML
    xy = np.array(roads.xy)
    node_lon, node_lat = lonlat(xy[:, 0], xy[:, 1])
    (out / "roads").mkdir(parents=True, exist_ok=True)
    osm_path = out / "roads" / "synthetic_jingyu_roads.osm.gz"
    # mtime=0 and no file name in the gzip header: the same bytes on every run
    with (
        osm_path.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8") as f,
    ):
        f.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        f.write("<!-- SYNTHETIC road network for the carecircles sample county; not real data -->\n")
        f.write('<osm version="0.6" generator="carecircles make_sample_county.py">\n')
        for k in range(len(xy)):
            f.write(f'  <node id="{k + 1}" version="1" lat="{node_lat[k]:.7f}" lon="{node_lon[k]:.7f}"/>\n')
        for w, (ids, tags) in enumerate(roads.ways):
            f.write(f'  <way id="{w + 1}" version="1">\n')
            f.writelines(f'    <nd ref="{k + 1}"/>\n' for k in ids)
            for key, value in {**tags, "source": "synthetic"}.items():
                f.write(f"    <tag k={quoteattr(key)} v={quoteattr(value)}/>\n")
            f.write("  </way>\n")
        f.write("</osm>\n")

    # ---- zones
    zone_features = []
    for (name, code), poly in zip(STREETS, street_polys, strict=True):
        zone_features.append((code, name, "urban", poly))
    for (name, code, *_), poly in zip(TOWNSHIPS, township_polys, strict=True):
        zone_features.append((code, name, "rural", poly))
    features = []
    for code, name, kind, poly in zone_features:
        ring = shapely.transform(poly.simplify(30), lambda c: np.column_stack(lonlat(c[:, 0], c[:, 1])))
        features.append(
            {
                "type": "Feature",
                "properties": {"zone_code": code, "zone_name": name, "zone_type": kind, "synthetic": True},
                "geometry": shapely.geometry.mapping(ring),
            }
        )
    _write_geojson(out / "boundaries" / "synthetic_jingyu_zones.geojson", features, 6)

    # ---- village points (population from the same kernels as the raster, rounded)
    vfeatures = []
    scale = TARGET_POPULATION / (47000 + sum(v["pop"] for v in villages) + 4000 + 20000)
    for k, v in enumerate(villages):
        lo, la = lonlat(v["x"], v["y"])
        vfeatures.append(
            {
                "type": "Feature",
                "properties": {
                    "village_id": f"V{k + 1:03d}",
                    "name": v["name"],
                    "population": round(v["pop"] * scale),
                    "township": TOWNSHIPS[v["township"]][0],
                    "synthetic": True,
                },
                "geometry": {"type": "Point", "coordinates": [round(float(lo), 6), round(float(la), 6)]},
            }
        )
    _write_geojson(out / "villages" / "synthetic_jingyu_villages.geojson", vfeatures, 6)

    _write_dem(out, roads, to_utm, ox, oy, (min_lon, min_lat, max_lon, max_lat))

    # ---- facilities
    facilities = _facilities(rng, seats, villages, lonlat)
    _write_facilities(out / "facilities" / "synthetic_jingyu_facilities.csv", facilities)
    return {
        "villages": len(villages),
        "nodes": len(xy),
        "ways": len(roads.ways),
        "population": float(raster[raster > 0].sum()),
        "area_km2": county.area / 1e6,
        "facilities": len(facilities),
        "raster": f"{width}x{height}",
    }


def _write_dem(out: Path, roads: Roads, to_utm: Transformer, ox: float, oy: float, bounds: tuple) -> None:
    """Write a synthetic SRTM-like DEM (3 arc-seconds) whose valleys are the roads' valleys.

    The valley floor rises 1.5 m per 100 m away from the county seat (460 m there); the
    hillsides rise up to 320 m above it within a few kilometres of the nearest road, with
    ridges from a few smooth waves. Its own random generator: the other files do not change.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(SEED + 1)
    margin = 0.05  # the trunk road runs on 2 km past the border
    west = np.floor((bounds[0] - margin) / CELL_DEG) * CELL_DEG
    north = np.ceil((bounds[3] + margin) / CELL_DEG) * CELL_DEG
    width = int(np.ceil((bounds[2] + margin - west) / CELL_DEG))
    height = int(np.ceil((north - bounds[1] + margin) / CELL_DEG))
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    gx, gy = to_utm.transform(west + (cols + 0.5) * CELL_DEG, north - (rows + 0.5) * CELL_DEG)
    gx, gy = np.asarray(gx) - ox, np.asarray(gy) - oy
    # the valleys: every road, densified to 20 m
    xy = np.array(roads.xy)
    points = [xy]
    for ids, _ in roads.ways:
        a, b = xy[ids[:-1]], xy[ids[1:]]
        n = np.maximum(1, (np.hypot(*(b - a).T) // 20).astype(int))
        t = np.concatenate([np.arange(k) / k for k in n])
        points.append(np.repeat(a, n, axis=0) + t[:, None] * np.repeat(b - a, n, axis=0))
    near, _ = cKDTree(np.concatenate(points)).query(np.column_stack([gx.ravel(), gy.ravel()]), workers=-1)
    near = near.reshape(gx.shape)
    floor = 460.0 + 0.015 * np.hypot(gx, gy)
    phase = rng.uniform(0, 2 * np.pi, 3)
    waves = np.sin(gx / 2300 + phase[0]) * np.cos(gy / 1900 + phase[1])
    ridges = waves + 0.5 * np.sin((gx + gy) / 1100 + phase[2])
    hills = (1 - np.exp(-near / 900)) * (240 + 55 * ridges)
    dem = (floor + hills).astype("float32")
    transform = from_origin(west, north, CELL_DEG, CELL_DEG)
    _write_tif(out / "dem" / "synthetic_jingyu_dem_90m.tif", dem, transform, -32768, "elevation")


def _write_tif(path: Path, data: np.ndarray, transform: object, nodata: float, what: str) -> None:
    """Write a float32 EPSG:4326 GeoTIFF tagged as synthetic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=nodata,
        compress="deflate",
        predictor=3,
    ) as dst:
        dst.write(data.astype("float32"), 1)
        dst.update_tags(SYNTHETIC="yes", SOURCE=f"scripts/make_sample_county.py; not real {what}")


def _bounds_lonlat(county: shapely.Polygon, ox: float, oy: float, to_wgs: Transformer) -> tuple:
    c = shapely.get_coordinates(county.buffer(2000))
    lon, lat = to_wgs.transform(c[:, 0] + ox, c[:, 1] + oy)
    return min(lon), min(lat), max(lon), max(lat)


def _facilities(rng: np.random.Generator, seats: np.ndarray, villages: list[dict], lonlat) -> list[dict]:
    rows: list[dict] = []
    for k, v in enumerate(villages):
        v["id"] = f"V{k + 1:03d}"  # as in the village file

    def add(
        name: str,
        kind: str,
        x: float,
        y: float,
        beds: int | str = "",
        status: str = "existing",
        services: str = "",
        village: str = "",
    ) -> None:
        rows.append(
            {
                "name": name,
                "type": kind,
                "x": x,
                "y": y,
                "beds": beds,
                "status": status,
                "services": services,
                "village_id": village,
            }
        )

    add("靖宇县人民医院", "县级综合医院（二级）", 300, 150, 300, services="急诊;发热门诊;急救站")
    add("靖宇县中医院", "中医医院", -420, -260, 130, services="中医馆;急诊")
    add("靖宇县妇幼保健院", "妇幼保健院", 520, -380, 5)
    add("靖宇县疾病预防控制中心", "疾控中心", -150, 480)
    for (name, _), (dx, dy) in zip(
        STREETS, [(1500, 200), (-100, 1300), (-1700, -150), (200, -1200)], strict=True
    ):
        add(f"{name[:2]}社区卫生服务中心", "社区卫生服务中心", dx, dy, 10)
    add("东关社区卫生服务站", "社区卫生服务站", 900, 700)
    add("西关社区卫生服务站", "社区卫生服务站", -1000, 600)
    add("仁和诊所", "诊所", 120, -90)
    add("康泰门诊部", "门诊部", -650, 180)
    for k, (_, _, _, _, centre, kind) in enumerate(TOWNSHIPS):
        x, y = (seats[k] + [2600, 1900]) if k == 0 else seats[k] + rng.normal(0, 120, 2)
        add(centre, kind, x, y, BEDS[centre], services=CENTRE_SERVICES.get(centre, ""))
    by_township: dict[int, list[dict]] = {}
    for v in villages:
        by_township.setdefault(v["township"], []).append(v)
    for branch, k in BRANCHES.items():  # branch centres sit in the farthest village of a township
        far = max(by_township.get(k, []), key=lambda v: np.hypot(v["x"] - seats[k][0], v["y"] - seats[k][1]))
        far["branch"] = True
        add(branch, "乡镇卫生院分院", far["x"] + 90, far["y"] - 60, BEDS[branch])
    order = rng.permutation(len(villages))
    lacking = 0
    outreach = 0
    for k in order:
        v = villages[k]
        chance = 0.55 if v["remote"] else 0.93
        if v.get("branch") or rng.random() < chance:
            x, y = v["x"] + rng.normal(0, 80), v["y"] + rng.normal(0, 80)
            add(f"{v['name']}卫生室", "村卫生室", x, y, village=v["id"])
        elif v["remote"] and outreach < 5:
            add(f"{v['name']}医疗巡诊点", "医疗巡诊点", v["x"] + 40, v["y"] + 30, village=v["id"])
            outreach += 1
        else:
            lacking += 1
    # planned projects (status=planned): a new branch centre and two village clinics
    remote = [v for v in villages if v["remote"] and not v.get("branch")]
    add("三道湖镇新建分院（规划）", "乡镇卫生院分院", remote[0]["x"], remote[0]["y"] + 100, 10, status="规划")
    add(
        f"{remote[1]['name']}卫生室（规划）",
        "村卫生室",
        remote[1]["x"] + 50,
        remote[1]["y"],
        status="planned",
        village=remote[1]["id"],
    )
    add(
        f"{remote[2]['name']}卫生室（规划）",
        "村卫生室",
        remote[2]["x"] - 50,
        remote[2]["y"],
        status="planned",
        village=remote[2]["id"],
    )
    _staff(rows)
    for k, row in enumerate(rows):
        row["id"] = f"SYN-{k + 1:03d}"
        lon, lat = lonlat(row["x"], row["y"])
        row["lon"], row["lat"], row["crs"] = float(lon), float(lat), "WGS84"
    # some rows as exported from Amap (GCJ-02) and one from Baidu (BD-09)
    from carecircles.coords import from_wgs84

    for k in rng.choice(len(rows), size=len(rows) // 6, replace=False):
        rows[k]["lon"], rows[k]["lat"] = (
            float(c) for c in from_wgs84(rows[k]["lon"], rows[k]["lat"], "gcj02")
        )
        rows[k]["crs"] = "GCJ-02"
    bd = next(r for r in rows if r["crs"] == "WGS84" and r["type"] == "村卫生室")
    bd["lon"], bd["lat"] = (float(c) for c in from_wgs84(bd["lon"], bd["lat"], "bd09"))
    bd["crs"] = "BD-09"
    swapped = next(r for r in reversed(rows) if r["crs"] == "WGS84" and r["type"] == "村卫生室")
    swapped["lon"], swapped["lat"] = swapped["lat"], swapped["lon"]  # a typical entry mistake
    return rows


def _staff(rows: list[dict]) -> None:
    """Add doctors, nurses, GPs, pharmacists and village doctors; 0 beds where there are none.

    A random stream of its own (seeded from SEED), so nothing the main stream draws changes.
    """
    rng = np.random.default_rng([SEED, 2])
    for row in rows:
        base = STAFF[row["type"]]
        doctors, nurses, gps, pharmacists = (max(0, round(n * rng.uniform(0.85, 1.15))) for n in base)
        row["doctors"], row["nurses"] = doctors, nurses
        row["gps"], row["pharmacists"] = min(gps, doctors), pharmacists
        row["village_doctors"] = int(rng.integers(1, 3)) if row["type"] == "村卫生室" else 0
        if row["beds"] == "":
            row["beds"] = 0


FACILITY_COLUMNS = [  # services stays just before lon (a test edits the row text there)
    "id",
    "name",
    "type",
    "beds",
    "doctors",
    "nurses",
    "gps",
    "pharmacists",
    "village_doctors",
    "village_id",
    "status",
    "services",
    "lon",
    "lat",
    "crs",
]


def _write_facilities(path: Path, rows: list[dict]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FACILITY_COLUMNS)
        for r in rows:
            cells = {**r, "lon": f"{r['lon']:.6f}", "lat": f"{r['lat']:.6f}"}
            writer.writerow([cells[c] for c in FACILITY_COLUMNS])


def _write_geojson(path: Path, features: list[dict], precision: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    collection = {
        "type": "FeatureCollection",
        "name": path.stem,
        "description": "SYNTHETIC sample data generated by scripts/make_sample_county.py",
        "features": features,
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    path.write_text(_round_floats(text, precision), encoding="utf-8")


def _round_floats(text: str, precision: int) -> str:
    import re

    return re.sub(rf"-?\d+\.\d{{{precision + 1},}}", lambda m: f"{float(m.group()):.{precision}f}", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data")
    args = parser.parse_args()
    summary = build(args.out)
    print("synthetic sample county written to", args.out)
    for key, value in summary.items():
        print(f"  {key}: {value:,.0f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
