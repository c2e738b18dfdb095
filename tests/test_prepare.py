"""`carecircles prepare` against a local Overpass/Nominatim that answers from the real OSM extracts.

Never the internet: the server (tests/_overpass.py) interprets osmnx's queries on the elements
of ../shared/data/campo-grande.osm.gz (urban grid, 2 hospitals, suburb/neighbourhood places, no
admin boundaries) and north-bayreuth.osm.gz (rural, villages and hamlets, admin_level 8
boundaries, no health facility).
"""

from __future__ import annotations

import io
import json
import socket

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from _overpass import FakeOsmServer, OsmStore
from rasterio.transform import from_origin

from carecircles.cli import main
from carecircles.config import load_config
from carecircles.prepare import facility_type

from _helpers import shared_file


def _store(name: str) -> OsmStore:
    path = shared_file(name)
    if path is None:
        pytest.skip(f"../shared/data/{name} not present")
    return OsmStore(path)


def _population_tif(bounds: tuple[float, float, float, float]) -> bytes:
    """A WorldPop-style raster over the extract: 10 people per 3″ cell (made here, served as a download)."""
    west, south, east, north = bounds
    cell = 1 / 1200
    width, height = int((east - west) / cell) + 2, int((north - south) / cell) + 2
    buffer = io.BytesIO()
    with rasterio.MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=width,
            height=height,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=from_origin(west - cell, north + cell, cell, cell),
            nodata=-99999,
        ) as dst:
            dst.write(np.full((height, width), 10.0, dtype="float32"), 1)
        buffer.write(memory.read())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def campo():
    store = _store("campo-grande.osm.gz")
    west, south, east, north = store.bounds()
    area = shapely.box(west, south, east, north)
    server = FakeOsmServer(
        store, {"Campo Grande, Brasil": area}, {"pop.tif": _population_tif(store.bounds())}
    )
    yield server, store
    server.stop()


@pytest.fixture(scope="module")
def bayreuth():
    store = _store("north-bayreuth.osm.gz")
    files = {}
    for tile in ("N49E011", "N50E011"):
        path = shared_file(f"{tile}.hgt.zip")
        if path is not None:
            files[f"srtm/{tile}.hgt.zip"] = path.read_bytes()
    west, south, east, north = store.bounds()
    server = FakeOsmServer(store, {"Bayreuth Nord": shapely.box(west, south, east, north)}, files)
    yield server, store
    server.stop()


def _prepare(server, *args: str) -> int:
    return main(["prepare", *args, "--overpass-url", server.url, "--nominatim-url", server.url, "--quiet"])


def test_prepare_by_place_then_run_end_to_end(campo, tmp_path, capsys):
    server, _ = campo
    out = tmp_path / "campo"
    code = _prepare(
        server, "Campo Grande, Brasil", "--out", str(out), "--population-url", f"{server.url}/files/pop.tif"
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "study.yml" in printed and "可计入的医疗机构只有 2 个" in printed
    facilities = pd.read_csv(out / "facilities" / "facilities.csv", dtype=str)
    assert len(facilities) == 2 and set(facilities["type"]) == {"county_hospital"}
    tags = [json.loads(t) for t in facilities["osm_tags"]]
    assert all(t["amenity"] == "hospital" for t in tags)  # the original tags travel with the row
    # the rule is said: the name when it names a type ("Hospital …"), else the tag
    assert set(facilities["type_rule"]) == {"name=Hospital Unimed Miguel Couto", "amenity=hospital"}
    config = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    assert config["inputs"]["population"] == "population/population.tif"
    # the user runs it as written
    assert (
        main(
            [
                "run",
                str(out / "study.yml"),
                "--out",
                str(tmp_path / "run"),
                "--map",
                str(tmp_path / "m.html"),
                "--quiet",
            ]
        )
        == 0
    )
    zones = pd.read_csv(tmp_path / "run" / "zones.csv", dtype={"zone_code": str})
    rural = zones[(zones["standard"] == "rural-30min") & (zones["zone_code"] == "ALL")].iloc[0]
    assert rural["population"] > 0
    report = (out / "prepare-report.md").read_text(encoding="utf-8")
    assert "admin_level 8" in report and "facilities/facilities.csv" in report


def test_prepare_by_bbox_answers_from_the_cache_when_the_server_is_gone(campo, tmp_path):
    server, store = campo
    west, south, east, north = store.bounds()
    box = f"--bbox={west},{south},{east},{north}"
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    assert _prepare(server, box, "--out", str(first), "--cache", str(cache)) == 0
    asked = len(server.queries)
    with socket.socket() as spare:  # a port nobody listens on
        spare.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{spare.getsockname()[1]}"
    second = tmp_path / "second"
    code = main(
        [
            "prepare",
            box,
            "--out",
            str(second),
            "--cache",
            str(cache),
            "--overpass-url",
            server.url,
            "--nominatim-url",
            dead,
            "--quiet",
        ]
    )
    assert code == 0 and len(server.queries) == asked  # nothing asked again
    for name in ("facilities/facilities.csv", "villages/villages.geojson", "zones/zones.geojson"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    config = load_config(second / "study.yml")  # a valid study config as written
    assert config.roads.name == "roads.graphml"


def test_rural_extract_zones_villages_dem_and_what_is_missing(bayreuth, tmp_path, capsys):
    server, _ = bayreuth
    out = tmp_path / "bt"
    code = _prepare(
        server, "Bayreuth Nord", "--out", str(out), "--dem-url", f"{server.url}/files/srtm/{{tile}}.hgt.zip"
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "可计入的医疗机构只有 0 个" in printed  # no health facility in this extract
    villages = json.loads((out / "villages" / "villages.geojson").read_text(encoding="utf-8"))["features"]
    places = {f["properties"]["place"] for f in villages}
    assert len(villages) >= 60 and {"village", "hamlet"} <= places
    zones = json.loads((out / "zones" / "zones.geojson").read_text(encoding="utf-8"))["features"]
    # the admin_level 8 boundary whose ring the extract holds whole, and the rest of the area as one zone
    assert [z["properties"]["zone_name"] for z in zones] == ["Heinersreuth", "范围内其余部分"]
    assert all(z["properties"]["zone_type"] == "rural" for z in zones)
    assert "REST" in (out / "prepare-report.md").read_text(encoding="utf-8")
    config = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    assert config["inputs"]["dem"] == ["dem/N49E011.hgt.zip", "dem/N50E011.hgt.zip"]
    assert (out / "dem" / "N50E011.hgt.zip").read_bytes() == shared_file("N50E011.hgt.zip").read_bytes()


@pytest.mark.parametrize(
    ("mode", "words"),
    [("error", "answered with an error"), ("empty", "returned nothing")],
)
def test_server_errors_and_empty_answers_are_plain_errors(campo, tmp_path, capsys, mode, words):
    server, store = campo
    west, south, east, north = store.bounds()
    server.mode = mode
    try:
        code = main(
            [
                "prepare",
                f"--bbox={west},{south},{east},{north}",
                "--out",
                str(tmp_path / "x"),
                "--overpass-url",
                server.url,
                "--lang",
                "en",
                "--quiet",
                "--cache",
                str(tmp_path / "c"),
            ]
        )
    finally:
        server.mode = "ok"
    err = capsys.readouterr().err
    assert code == 2 and words in err and server.url in err and "Traceback" not in err


def test_unreachable_server_and_unknown_place(campo, tmp_path, capsys):
    server, _ = campo
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{spare.getsockname()[1]}"
    code = main(
        [
            "prepare",
            "--bbox=10,50,10.01,50.01",
            "--out",
            str(tmp_path / "a"),
            "--overpass-url",
            dead,
            "--quiet",
            "--cache",
            str(tmp_path / "c"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "无法连接" in err and dead in err
    code = _prepare(server, "Nowhere Town", "--out", str(tmp_path / "b"), "--cache", str(tmp_path / "c2"))
    err = capsys.readouterr().err
    assert code == 2 and "Nowhere Town" in err and "--bbox" in err
    code = _prepare(server, "--out", str(tmp_path / "c"))
    assert code == 2 and "只给出一个范围" in capsys.readouterr().err
    code = main(["prepare", "--bbox=1,2,3", "--out", str(tmp_path / "d")])
    assert code == 2 and "--bbox" in capsys.readouterr().err


def test_failed_download_names_the_url(campo, tmp_path, capsys):
    server, store = campo
    west, south, east, north = store.bounds()
    code = _prepare(
        server,
        f"--bbox={west},{south},{east},{north}",
        "--out",
        str(tmp_path / "x"),
        "--population-url",
        f"{server.url}/files/missing.tif",
        "--cache",
        str(tmp_path / "c"),
    )
    err = capsys.readouterr().err
    assert code == 2 and "404" in err and "missing.tif" in err


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({"amenity": "hospital", "name": "靖宇县人民医院"}, "county_hospital"),
        ({"amenity": "clinic", "name": "龙泉镇卫生院"}, "thc"),
        ({"amenity": "doctors", "name": "红旗村卫生室"}, "village_clinic"),
        ({"healthcare": "clinic", "name": "Dr. Meier"}, "private_clinic"),
        ({"amenity": "hospital"}, "county_hospital"),
        ({"healthcare": "pharmacy", "name": "大药房"}, "other"),
    ],
)
def test_osm_tags_map_to_the_facility_hierarchy(tags, code):
    assert facility_type(tags)[0] == code


def test_prepare_by_boundary_file(campo, tmp_path):
    server, store = campo
    west, south, east, north = store.bounds()
    half = shapely.box(west, south, (west + east) / 2, north)  # the western half only
    boundary = tmp_path / "county.geojson"
    boundary.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "西半部"},
                        "geometry": shapely.geometry.mapping(half),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "west"
    assert (
        _prepare(server, "--boundary", str(boundary), "--out", str(out), "--cache", str(tmp_path / "c")) == 0
    )
    zones = json.loads((out / "zones" / "zones.geojson").read_text(encoding="utf-8"))["features"]
    assert len(zones) == 1 and shapely.geometry.shape(zones[0]["geometry"]).equals_exact(half, 1e-9)
    villages = json.loads((out / "villages" / "villages.geojson").read_text(encoding="utf-8"))["features"]
    assert villages and all(v["geometry"]["coordinates"][0] <= (west + east) / 2 for v in villages)


def test_hostile_osm_names_stay_text(tmp_path):
    store = _store("campo-grande.osm.gz")
    west, south, east, north = store.bounds()
    hostile = {
        1: '=HYPERLINK("http://x","点我")',
        2: "{{7*7}} ${x} `y` </script><script>alert(1)</script>",
        3: "=cmd|' /C calc'!A0",
    }
    for k, name in hostile.items():
        store.nodes[-k] = (south + 0.01 * k, west + 0.01 * k, {"amenity": "clinic", "name": name})
    server = FakeOsmServer(store, {"{{x}} </script>": shapely.box(west, south, east, north)}, {})
    try:
        out = tmp_path / "h"
        assert _prepare(server, "{{x}} </script>", "--out", str(out), "--cache", str(tmp_path / "c")) == 0
    finally:
        server.stop()
    text = (out / "facilities" / "facilities.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'=cmd|" in text  # never a formula in Excel
    facilities = pd.read_csv(out / "facilities" / "facilities.csv", dtype=str, encoding="utf-8-sig")
    names = set(facilities["name"])
    assert hostile[2] in names and "'" + hostile[1] in names and "'" + hostile[3] in names
    config = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    assert config["study"]["title"] == "{{x}} </script>"  # data, not YAML or template
    assert load_config(out / "study.yml").title == "{{x}} </script>"
