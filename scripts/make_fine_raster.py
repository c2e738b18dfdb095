"""Write a fine, mostly empty population raster over the sample county (the bench's fine-raster case).

20,000 × 20,000 cells over the synthetic county's extent (about 4 m × 3.5 m), people only in
small blobs around its villages and township seats: a tiled, compressed GeoTIFF written block by
block, so writing it never holds the whole grid. Deterministic; not committed.

    python scripts/make_fine_raster.py --out /tmp/fine --size 20000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_bounds
from rasterio.windows import Window

DATA = Path(__file__).resolve().parent.parent / "data"
BLOCK = 1024


def write_fine_raster(out: Path, size: int, *, seed: int = 7, blob_cells: int = 20) -> dict[str, float]:
    """Write ``fine_population.tif`` (size × size cells) and a copy of the sample config using it."""
    zones = gpd.read_file(DATA / "boundaries" / "synthetic_jingyu_zones.geojson")
    villages = gpd.read_file(DATA / "villages" / "synthetic_jingyu_villages.geojson")
    west, south, east, north = zones.total_bounds
    transform = from_bounds(west, south, east, north, size, size)
    rng = np.random.default_rng(seed)
    # blob centres in cells: villages, plus random hamlets
    inv = ~transform
    vc, vr = inv * (villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy())
    centres = np.column_stack([np.asarray(vr), np.asarray(vc)])
    centres = np.vstack([centres, rng.uniform(0, size, (400, 2))])
    people = np.concatenate([villages["population"].to_numpy(float), rng.uniform(20, 200, 400)])
    radius = blob_cells
    out.mkdir(parents=True, exist_ok=True)
    path = out / "fine_population.tif"
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": -99999.0,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    total = 0.0
    with rasterio.open(path, "w", **profile) as dst:
        dst.update_tags(SYNTHETIC="yes", SOURCE="scripts/make_fine_raster.py; not real population")
        for r0 in range(0, size, BLOCK):
            h = min(BLOCK, size - r0)
            near = np.abs(centres[:, 0] - (r0 + h / 2)) < h / 2 + 3 * radius
            block = np.full((h, size), -99999.0, dtype=np.float32)
            for (cr, cc), p in zip(centres[near], people[near], strict=True):
                rr0, rr1 = int(max(r0, cr - 3 * radius)), int(min(r0 + h, cr + 3 * radius))
                c0, c1 = int(max(0, cc - 3 * radius)), int(min(size, cc + 3 * radius))
                if rr0 >= rr1 or c0 >= c1:
                    continue
                yy, xx = np.mgrid[rr0:rr1, c0:c1]
                w = np.exp(-((yy - cr) ** 2 + (xx - cc) ** 2) / (2 * radius**2))
                w[w < 0.05] = 0
                norm = 2 * np.pi * radius**2 * 0.95
                add = (p * w / norm).astype(np.float32)
                sub = block[rr0 - r0 : rr1 - r0, c0:c1]
                sub[:] = np.where(add > 0, np.maximum(sub, 0) + add, sub)
            dst.write(block, 1, window=Window(0, r0, size, h))
            total += float(block[block > 0].sum())
    config = (DATA / "synthetic_jingyu.yml").read_text(encoding="utf-8")
    config = config.replace(
        "population: population/synthetic_jingyu_population_100m.tif", f"population: {path}"
    )
    for folder in ("boundaries/", "facilities/", "roads/", "villages/", "dem/"):
        config = config.replace(f" {folder}", f" {DATA}/{folder}")
    (out / "fine.yml").write_text(config, encoding="utf-8")
    return {"cells": float(size) * size, "people": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    print(write_fine_raster(args.out, args.size))


if __name__ == "__main__":
    main()
