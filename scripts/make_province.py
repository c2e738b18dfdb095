r"""Write a deterministic synthetic province as real files: the province-scale test of carecircles.

Counties on a grid, each cut into townships (the first of each county an urban 街道, the rest
rural 乡镇) with 6-digit county and 9-digit township codes; a road network as OSM XML (a jittered
grid of ``--nodes`` nodes with national to village classes, a few links missing); a WorldPop-style
100 m population GeoTIFF with about ``--cells`` populated cells (settlements on a thin rural
background); facilities (a county hospital per county, a health centre per township, a fifth of
the rural ones closed so that there are gaps to site, village
clinics); villages with populations; a province study config and one config per county (for
``carecircles batch``). Nothing here is real; every file says so. Not committed: generated in
minutes.

    python scripts/make_province.py --out /tmp/province                   # ~1M nodes, 60 counties
    python scripts/make_province.py --out /tmp/small --counties 4 --townships 4 --nodes 40000 \
        --cells 200000 --villages 400 --facilities 120                    # a small "province"
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import time
from pathlib import Path

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

#: The province's south-west corner (lon, lat) and its UTM zone (generated in metres, written in degrees).
ORIGIN_LONLAT = (124.0, 41.0)
UTM = "EPSG:32651"
CELL_DEG = 1 / 1200  # 3 arc-seconds, WorldPop's grid
CLOSED_SHARE = 0.2  # rural townships whose health centre is closed: the gaps siting closes
PATCH = 6  # cells per step of the background's coarse field (600 m)
CLASSES = ("trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "track")


def build(
    out: Path,
    *,
    counties: int = 60,
    townships: int = 16,
    nodes: int = 1_000_000,
    cells: int = 10_000_000,
    villages: int = 15_000,
    facilities: int = 3_000,
    seed: int = 20261124,
) -> dict[str, float]:
    """Write the province under ``out`` and return what was made."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    side_m = float(np.sqrt(cells)) * 100.0 * 1.25  # 3" cells over it, 42 % populated: ~cells
    to_lonlat = Transformer.from_crs(UTM, 4326, always_xy=True)
    ox, oy = Transformer.from_crs(4326, UTM, always_xy=True).transform(*ORIGIN_LONLAT)
    out.mkdir(parents=True, exist_ok=True)

    # ---- zones: counties on a grid, townships on a grid inside each
    per_side = int(np.ceil(np.sqrt(counties)))
    t_side = int(np.ceil(np.sqrt(townships)))
    county_m = side_m / per_side
    features, seats = [], []
    for c in range(counties):
        cx0, cy0 = (c % per_side) * county_m, (c // per_side) * county_m
        county_code = f"{220100 + c * 100:06d}"
        for t in range(townships):
            tx0 = cx0 + (t % t_side) * county_m / t_side
            ty0 = cy0 + (t // t_side) * county_m / t_side
            box = shapely.box(tx0, ty0, tx0 + county_m / t_side, ty0 + county_m / t_side)
            ring = np.asarray(box.exterior.coords)
            lon, lat = to_lonlat.transform(ring[:, 0] + ox, ring[:, 1] + oy)
            urban = t == 0
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "zone_code": f"{county_code}{t + 1:03d}",
                        "zone_name": f"合成{c + 1}县{t + 1}{'街道' if urban else '镇'}",
                        "zone_type": "urban" if urban else "rural",
                        "county_code": county_code,
                        "synthetic": True,
                    },
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [np.column_stack([lon, lat]).round(6).tolist()],
                    },
                }
            )
            seats.append((box.centroid.x, box.centroid.y, c, t))
    (out / "zones.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), "utf-8"
    )
    seats_xy = np.array([(x, y) for x, y, _, _ in seats])

    # ---- roads: a jittered grid, as OSM XML, one way per run of kept links along a row or column
    grid = int(np.sqrt(nodes))
    spacing = side_m / (grid - 1)
    ix, iy = np.meshgrid(np.arange(grid), np.arange(grid))
    gx = ix.ravel() * spacing + rng.normal(0, spacing * 0.15, grid * grid)
    gy = iy.ravel() * spacing + rng.normal(0, spacing * 0.15, grid * grid)
    lon, lat = to_lonlat.transform(gx + ox, gy + oy)
    _write_osm(out / "roads.osm.gz", np.asarray(lon), np.asarray(lat), grid, rng)

    # ---- population: settlements at township seats and villages, a thin background, 100 m (3")
    west, south = ORIGIN_LONLAT
    east, north = to_lonlat.transform(ox + side_m, oy + side_m)
    width, height = int(np.ceil((east - west) / CELL_DEG)), int(np.ceil((north - south) / CELL_DEG))
    vx, vy = rng.uniform(0, side_m, villages), rng.uniform(0, side_m, villages)
    vpop = rng.integers(150, 2500, villages)
    vlon, vlat = to_lonlat.transform(vx + ox, vy + oy)
    slon, slat = to_lonlat.transform(seats_xy[:, 0] + ox, seats_xy[:, 1] + oy)
    people = _write_population(
        out / "population_100m.tif",
        (west, north, width, height),
        np.concatenate([np.asarray(vlon), np.asarray(slon)]),
        np.concatenate([np.asarray(vlat), np.asarray(slat)]),
        np.concatenate([vpop, np.full(len(seats), 8000)]).astype(float),
        rng,
    )

    # ---- villages and facilities
    vfeatures = [
        {
            "type": "Feature",
            "properties": {
                "village_id": f"V{k + 1:05d}",
                "name": f"合成村{k + 1}",
                "population": int(vpop[k]),
            },
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(vlon[k]), 6), round(float(vlat[k]), 6)],
            },
        }
        for k in range(villages)
    ]
    (out / "villages.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": vfeatures}), "utf-8"
    )
    rows = ["id,name,type,status,lon,lat,beds,doctors"]
    closed = rng.random(len(seats)) < CLOSED_SHARE  # townships left without a working centre
    for k, (x, y, c, t) in enumerate(seats):
        lo, la = to_lonlat.transform(x + ox + 150, y + oy + 150)
        kind = "社区卫生服务中心" if t == 0 else "乡镇卫生院"
        status = "closed" if closed[k] and t > 0 else "existing"
        rows.append(f"T{k + 1:05d},合成{c + 1}县{t + 1}号{kind},{kind},{status},{lo:.6f},{la:.6f},40,12")
        if t == 0:
            lo, la = to_lonlat.transform(x + ox - 300, y + oy - 200)
            rows.append(f"H{c + 1:03d},合成{c + 1}县人民医院,县级综合医院,existing,{lo:.6f},{la:.6f},400,120")
    clinics = max(0, facilities - len(rows) + 1)
    pick = rng.choice(villages, size=min(clinics, villages), replace=False)
    rows += [
        f"C{k + 1:05d},合成村{p + 1}卫生室,村卫生室,existing,{vlon[p]:.6f},{vlat[p]:.6f},0,1"
        for k, p in enumerate(pick)
    ]
    (out / "facilities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    # ---- configs: the province, and one per county (zones filtered by county code)
    _write_configs(out, features)
    return {
        "counties": counties,
        "townships": len(features),
        "road_nodes": grid * grid,
        "raster": f"{width}x{height}",
        "people": people,
        "villages": villages,
        "facilities": len(rows) - 1,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _write_osm(path: Path, lon: np.ndarray, lat: np.ndarray, grid: int, rng: np.random.Generator) -> None:
    index = np.arange(grid * grid).reshape(grid, grid)
    buffer = io.StringIO()
    buffer.write(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- SYNTHETIC province roads (carecircles make_province.py) -->\n"
    )
    buffer.write('<osm version="0.6" generator="carecircles make_province.py">\n')
    buffer.writelines(
        f'<node id="{k + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>\n'
        for k, (lo, la) in enumerate(zip(lon, lat, strict=True))
    )
    way = 0
    for lines in (index, index.T):  # rows, then columns
        for line in lines:
            cls = CLASSES[min(int(rng.exponential(2.2)), len(CLASSES) - 1)]
            keep = rng.random(grid - 1) > 0.08  # a few links missing
            run: list[int] = [int(line[0])]
            for k in range(grid - 1):
                if keep[k]:
                    run.append(int(line[k + 1]))
                    continue
                way = _way(buffer, way, run, cls)
                run = [int(line[k + 1])]
            way = _way(buffer, way, run, cls)
    buffer.write("</osm>\n")
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=3) as f,
    ):
        f.write(buffer.getvalue().encode("utf-8"))


def _way(buffer: io.StringIO, way: int, run: list[int], cls: str) -> int:
    if len(run) < 2:
        return way
    buffer.write(f'<way id="{way + 1}" version="1">')
    buffer.write("".join(f'<nd ref="{k + 1}"/>' for k in run))
    buffer.write(f'<tag k="highway" v="{cls}"/><tag k="source" v="synthetic"/></way>\n')
    return way + 1


def _write_population(
    path: Path,
    frame: tuple[float, float, int, int],
    lon: np.ndarray,
    lat: np.ndarray,
    people: np.ndarray,
    rng,
) -> float:
    west, north, width, height = frame
    total = 0.0
    col = ((lon - west) / CELL_DEG).astype(int)
    row = ((north - lat) / CELL_DEG).astype(int)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, CELL_DEG, CELL_DEG),
        "nodata": -99999.0,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
    }
    step = 512
    # the thin background lives on patches (hamlets, farmsteads, fields between them): a coarse
    # random field, one value per PATCH cells, interpolated and cut at its 58th percentile, so
    # ~42 % of the cells are populated in blobs of a few hundred metres, as in real rasters
    coarse = rng.random((height // PATCH + 2, width // PATCH + 2), dtype=np.float32)
    cut = np.float32(np.quantile(coarse, 0.58))
    with rasterio.open(path, "w", **profile) as dst:
        dst.update_tags(SYNTHETIC="yes", SOURCE="scripts/make_province.py; not real population")
        for r0 in range(0, height, step):
            h = min(step, height - r0)
            block = (rng.random((h, width), dtype=np.float32) * 0.3).astype(np.float32)  # thin background
            block[_smooth(coarse, r0, h, width) <= cut] = 0
            near = (row >= r0 - 12) & (row < r0 + h + 12)
            for rr, cc, p in zip(row[near], col[near], people[near], strict=True):
                r_lo, r_hi = max(rr - 12, r0), min(rr + 13, r0 + h)
                c_lo, c_hi = max(cc - 12, 0), min(cc + 13, width)
                if r_lo >= r_hi or c_lo >= c_hi:
                    continue
                yy, xx = np.mgrid[r_lo:r_hi, c_lo:c_hi]
                w = np.exp(-((yy - rr) ** 2 + (xx - cc) ** 2) / (2 * 4.0**2)).astype(np.float32)
                block[r_lo - r0 : r_hi - r0, c_lo:c_hi] += p * w / (2 * np.pi * 16)
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, width, h))
            total += float(block.sum())
    return total


def _smooth(coarse: np.ndarray, r0: int, h: int, width: int) -> np.ndarray:
    """Rows ``r0 .. r0 + h`` of the coarse field, bilinear at cell resolution (seamless across strips)."""
    fr = (np.arange(r0, r0 + h) + 0.5) / PATCH
    fc = (np.arange(width) + 0.5) / PATCH
    i, j = fr.astype(int), fc.astype(int)
    tr, tc = (fr - i)[:, None].astype(np.float32), (fc - j)[None, :].astype(np.float32)
    top = coarse[i][:, j] * (1 - tc) + coarse[i][:, j + 1] * tc
    bottom = coarse[i + 1][:, j] * (1 - tc) + coarse[i + 1][:, j + 1] * tc
    return top * (1 - tr) + bottom * tr


def _write_configs(out: Path, features: list[dict]) -> None:
    body = """# SYNTHETIC province (scripts/make_province.py): nothing here is real.
study: {{name: {name}, title: "{title}", synthetic: true}}
inputs:
  zones:
    path: {zones}
    columns: {{code: zone_code, name: zone_name, type: zone_type, county: county_code}}
  facilities: facilities.csv
  roads: roads.osm.gz
  population: population_100m.tif
  villages: {{path: villages.geojson, columns: {{id: village_id, name: name, population: population}}}}
standards: [urban-15min, rural-30min, village-2.5km]
"""
    (out / "province.yml").write_text(
        body.format(name="synthetic-province", title="合成省（合成数据）", zones="zones.geojson"), "utf-8"
    )
    counties: dict[str, list[dict]] = {}
    for f in features:
        counties.setdefault(f["properties"]["county_code"], []).append(f)
    folder = out / "counties"
    folder.mkdir(exist_ok=True)
    for code, zones in counties.items():
        (folder / f"{code}.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": zones}), "utf-8"
        )
        text = body.format(
            name=f"county-{code}", title=f"合成县 {code}（合成数据）", zones=f"counties/{code}.geojson"
        )
        (out / f"county-{code}.yml").write_text(text, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--counties", type=int, default=60)
    parser.add_argument("--townships", type=int, default=16, help="per county")
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=10_000_000)
    parser.add_argument("--villages", type=int, default=15_000)
    parser.add_argument("--facilities", type=int, default=3_000)
    args = parser.parse_args()
    made = build(
        args.out,
        counties=args.counties,
        townships=args.townships,
        nodes=args.nodes,
        cells=args.cells,
        villages=args.villages,
        facilities=args.facilities,
    )
    for key, value in made.items():
        print(f"{key}: {value:,.0f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
