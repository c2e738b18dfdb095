"""Choosing the local metric CRS and projecting WGS-84 coordinates into it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer


def utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS-84 UTM zone containing ``(lon, lat)``."""
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def project_lonlat(
    lon: ArrayLike, lat: ArrayLike, crs: CRS
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS-84 degrees to ``crs`` metres (vectorised)."""
    transformer = Transformer.from_crs(4326, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
