"""Chinese map datums (GCJ-02, BD-09) to and from WGS-84, vectorised with numpy.

GCJ-02 is the obfuscated datum every map licensed in mainland China uses (Amap/Gaode,
Tencent); BD-09 is Baidu's further offset of it. Points exported from those maps are
100-700 m away from their WGS-84 position. The forward transform is the published
formula; its inverse has no closed form and is solved by fixed-point iteration to
better than a millimetre. Outside mainland China both datums equal WGS-84.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Datum = Literal["wgs84", "gcj02", "bd09"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

_DATUM_ALIASES: dict[str, Datum] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "火星坐标": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
}


def parse_datum(label: object) -> Datum | None:
    """Return the datum a free-text label names, or ``None`` when it is not recognised.

    Empty labels (``None``, NaN, "") mean WGS-84.
    """
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return "wgs84"
    text = str(label).strip().lower()
    if not text:
        return "wgs84"
    return _DATUM_ALIASES.get(text)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Rough mainland-China box outside which GCJ-02 applies no offset."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """GCJ-02 offset (degrees) to add to a WGS-84 position."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    d_lon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by fixed-point iteration.

    The iteration ``w <- w - (gcj(w) - g)`` converges in a handful of steps because the
    offset field varies slowly; ``tolerance_deg`` of 1e-10 degrees is ~0.01 mm.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    return _invert(wgs84_to_gcj02, g_lon, g_lat, (g_lon, g_lat), tolerance_deg, max_iter)


def _invert(
    forward: Callable[[NDArray, NDArray], tuple[NDArray, NDArray]],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    start: tuple[NDArray[np.float64], NDArray[np.float64]],
    tolerance_deg: float,
    max_iter: int,
) -> tuple[NDArray, NDArray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration ``x <- x - (forward(x) - target)``."""
    x_lon, x_lat = start[0].copy(), start[1].copy()
    for _ in range(max_iter):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        x_lon = x_lon - e_lon
        x_lat = x_lat - e_lat
        if np.nanmax(np.abs(np.concatenate([e_lon.ravel(), e_lat.ravel(), [0.0]]))) < tolerance_deg:
            break
    return x_lon, x_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 to Baidu's BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-10, max_iter: int = 10
) -> tuple[NDArray, NDArray]:
    """Convert Baidu's BD-09 to GCJ-02.

    Starts from the usual closed-form approximation (error ~0.1 m) and refines it by
    fixed-point iteration on the exact forward formula.
    """
    b_lon = np.asarray(lon, dtype=float)
    b_lat = np.asarray(lat, dtype=float)
    x = b_lon - 0.0065
    y = b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    start = (z * np.cos(theta), z * np.sin(theta))
    return _invert(gcj02_to_bd09, b_lon, b_lat, start, tolerance_deg, max_iter)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, datum: ArrayLike | str) -> tuple[NDArray, NDArray]:
    """Convert positions given in any mix of datums to WGS-84.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees.
    datum
        One datum for all points, or one per point (``"wgs84"``, ``"gcj02"``, ``"bd09"``).

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.
    """
    lon = np.asarray(lon, dtype=float).copy()
    lat = np.asarray(lat, dtype=float).copy()
    datum = np.broadcast_to(np.asarray(datum, dtype=object), lon.shape)
    bd = datum == "bd09"
    if bd.any():
        lon[bd], lat[bd] = bd09_to_gcj02(lon[bd], lat[bd])
    gcj = bd | (datum == "gcj02")
    if gcj.any():
        lon[gcj], lat[gcj] = gcj02_to_wgs84(lon[gcj], lat[gcj])
    return lon, lat


def from_wgs84(lon: ArrayLike, lat: ArrayLike, datum: Datum) -> tuple[NDArray, NDArray]:
    """Convert WGS-84 positions to ``datum`` (e.g. to draw them on GCJ-02 tiles)."""
    if datum == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    return (g_lon, g_lat) if datum == "gcj02" else gcj02_to_bd09(g_lon, g_lat)
