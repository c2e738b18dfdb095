import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecircles.coords import from_wgs84, gcj02_to_wgs84, parse_datum, to_wgs84, wgs84_to_gcj02

# Published test vectors of the eviltransform project: (wgs lat, wgs lon, gcj lat, gcj lon).
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def metres(lon1, lat1, lon2, lat2):
    """Haversine distance in metres."""
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), REFERENCE)
def test_wgs_to_gcj_matches_published_vectors(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert metres(lon, lat, glon, glat) < 0.01


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), REFERENCE)
def test_gcj_to_wgs_inverts_published_vectors(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01


china = st.tuples(st.floats(74, 134), st.floats(18, 53))


@settings(max_examples=300, deadline=None)
@given(st.lists(china, min_size=1, max_size=50), st.sampled_from(["gcj02", "bd09"]))
def test_round_trip_under_one_metre(points, datum):
    lon, lat = np.array(points).T
    shifted = from_wgs84(lon, lat, datum)
    back_lon, back_lat = to_wgs84(*shifted, datum)
    assert metres(back_lon, back_lat, lon, lat).max() < 1.0
    # and the datums really are offset (otherwise a no-op would pass): over the test box the
    # GCJ-02 offset is at least 17 m (tens of metres in the far west, ~400 m typically)
    assert metres(*shifted, lon, lat).min() > 10


def test_bd09_matches_closed_form_inverse_within_a_metre():
    # the common closed-form BD-09 -> GCJ-02 inverse is good to ~0.1 m; ours refines it
    lon, lat = np.array([120.019809, 116.404, 126.81]), np.array([29.199786, 39.915, 42.39])
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * np.pi * 3000 / 180)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * np.pi * 3000 / 180)
    rough = gcj02_to_wgs84(z * np.cos(theta), z * np.sin(theta))
    exact = to_wgs84(lon, lat, "bd09")
    assert metres(*rough, *exact).max() < 1.0


def test_no_offset_outside_china():
    lon, lat = wgs84_to_gcj02([11.5, -54.5], [50.0, -20.5])
    np.testing.assert_array_equal(lon, [11.5, -54.5])
    np.testing.assert_array_equal(lat, [50.0, -20.5])


def test_mixed_datums_vectorised():
    lon, lat = np.array([126.8, 126.8, 126.8]), np.array([42.4, 42.4, 42.4])
    g = from_wgs84(lon[:1], lat[:1], "gcj02")
    b = from_wgs84(lon[:1], lat[:1], "bd09")
    mixed_lon = np.array([lon[0], g[0][0], b[0][0]])
    mixed_lat = np.array([lat[0], g[1][0], b[1][0]])
    out_lon, out_lat = to_wgs84(mixed_lon, mixed_lat, np.array(["wgs84", "gcj02", "bd09"], dtype=object))
    assert metres(out_lon, out_lat, lon, lat).max() < 0.01


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("WGS84", "wgs84"),
        ("GCJ-02", "gcj02"),
        ("高德", "gcj02"),
        ("BD-09", "bd09"),
        ("百度", "bd09"),
        ("", "wgs84"),
        (None, "wgs84"),
        ("EPSG:3857", None),
    ],
)
def test_parse_datum(label, expected):
    assert parse_datum(label) == expected
