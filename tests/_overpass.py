"""A local stand-in for Overpass and Nominatim, answering from a real OSM extract.

The answers are what the real servers would record for these extracts: a tiny Overpass
interpreter reads the query osmnx sends (``node|way|relation`` statements with tag filters and a
``poly:`` area, recursing down to way nodes and relation members) and answers Overpass JSON from
the elements of an ``.osm.gz`` file; ``/search`` answers Nominatim JSON for the places it was
given; ``/files/<name>`` serves downloads. ``mode`` makes it fail: ``error`` (HTTP 500) or
``empty`` (no elements, no places).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import shapely

_STATEMENT = re.compile(r"(node|way|relation)((?:\[[^\]]*\])+)\(poly:\s*['\"]([^'\"]*)['\"]\)")
_FILTER = re.compile(r"\[\s*(['\"])(.*?)\1\s*(?:(!?[=~])\s*(['\"])(.*?)\4)?\s*\]")


class OsmStore:
    """Every node, way and relation of an OSM file, with tags."""

    def __init__(self, path: Path) -> None:
        import osmium

        self.nodes: dict[int, tuple[float, float, dict]] = {}
        self.ways: dict[int, tuple[list[int], dict]] = {}
        self.relations: dict[int, tuple[list[tuple[str, int, str]], dict]] = {}
        for obj in osmium.FileProcessor(str(path)):
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node() and obj.location.valid():
                self.nodes[obj.id] = (obj.location.lat, obj.location.lon, tags)
            elif obj.is_way():
                self.ways[obj.id] = ([n.ref for n in obj.nodes], tags)
            elif obj.is_relation():
                kinds = {"n": "node", "w": "way", "r": "relation"}
                self.relations[obj.id] = ([(kinds[m.type], m.ref, m.role) for m in obj.members], tags)

    def bounds(self) -> tuple[float, float, float, float]:
        lats = [n[0] for n in self.nodes.values()]
        lons = [n[1] for n in self.nodes.values()]
        return min(lons), min(lats), max(lons), max(lats)

    def answer(self, query: str) -> dict:
        """Overpass JSON for an osmnx query (statements with tag filters, poly, recursion)."""
        nodes: set[int] = set()
        ways: set[int] = set()
        relations: set[int] = set()
        for kind, filters, poly in _STATEMENT.findall(query):
            inside = self._inside(poly)
            tests = _FILTER.findall(filters)
            if kind == "node":
                nodes |= {i for i, (_, _, t) in self.nodes.items() if i in inside and _match(t, tests)}
            elif kind == "way":
                ways |= {
                    i
                    for i, (refs, t) in self.ways.items()
                    if _match(t, tests) and not inside.isdisjoint(refs)
                }
            else:
                relations |= {
                    i
                    for i, (members, t) in self.relations.items()
                    if _match(t, tests) and self._relation_inside(inside, members)
                }
        for rel in list(relations):  # recurse down: members, and the nodes of member ways
            for kind, ref, _ in self.relations[rel][0]:
                if kind == "way" and ref in self.ways:
                    ways.add(ref)
                elif kind == "node" and ref in self.nodes:
                    nodes.add(ref)
        for way in ways:
            nodes |= {r for r in self.ways[way][0] if r in self.nodes}
        elements: list[dict] = []
        for i in sorted(nodes):
            la, lo, t = self.nodes[i]
            elements.append({"type": "node", "id": i, "lat": la, "lon": lo, **({"tags": t} if t else {})})
        for i in sorted(ways):
            refs, t = self.ways[i]
            elements.append(
                {"type": "way", "id": i, "nodes": [r for r in refs if r in self.nodes], "tags": t}
            )
        for i in sorted(relations):
            members, t = self.relations[i]
            present = [
                {"type": k, "ref": r, "role": role}
                for k, r, role in members
                if (k == "way" and r in self.ways) or (k == "node" and r in self.nodes)
            ]
            elements.append({"type": "relation", "id": i, "members": present, "tags": t})
        return {"version": 0.6, "generator": "carecircles test Overpass", "elements": elements}

    def _inside(self, poly: str) -> set[int]:
        """Ids of the nodes inside a ``poly:"lat lon …"`` area."""
        values = [float(v) for v in poly.split()]
        area = shapely.Polygon(list(zip(values[1::2], values[0::2], strict=True)))
        ids = list(self.nodes)
        lat = [self.nodes[i][0] for i in ids]
        lon = [self.nodes[i][1] for i in ids]
        return {i for i, ok in zip(ids, shapely.intersects_xy(area, lon, lat), strict=True) if ok}

    def _relation_inside(self, inside: set[int], members: list) -> bool:
        for kind, ref, _ in members:
            if kind == "node" and ref in inside:
                return True
            if kind == "way" and ref in self.ways and not inside.isdisjoint(self.ways[ref][0]):
                return True
        return False


def _match(tags: dict, tests: list) -> bool:
    for _, key, op, _, value in tests:
        have = tags.get(key)
        if op == "":
            ok = have is not None
        elif op == "=":
            ok = have == value
        elif op == "!=":
            ok = have != value
        elif op == "~":
            ok = have is not None and re.search(value, have) is not None
        else:  # !~
            ok = have is None or re.search(value, have) is None
        if not ok:
            return False
    return True


class FakeOsmServer:
    """Overpass, Nominatim and file downloads on 127.0.0.1, in a thread."""

    def __init__(self, store: OsmStore, places: dict[str, shapely.Geometry], files: dict[str, bytes]) -> None:
        self.store, self.places, self.files = store, places, files
        self.mode = "ok"
        self.queries: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode("utf-8"))
                query = form.get("data", [""])[0]
                server.queries.append(query)
                if server.mode == "error":
                    self._send(500, b"<html>Internal Server Error</html>", "text/html")
                    return
                answer = {"elements": []} if server.mode == "empty" else server.store.answer(query)
                self._send(200, json.dumps(answer).encode("utf-8"))

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if server.mode == "error":
                    self._send(500, b"<html>Internal Server Error</html>", "text/html")
                    return
                if url.path.startswith("/files/"):
                    data = server.files.get(url.path.removeprefix("/files/"))
                    self._send(200, data, "application/octet-stream") if data else self._send(
                        404, b"not found"
                    )
                    return
                if url.path.rstrip("/").endswith("search"):
                    q = parse_qs(url.query).get("q", [""])[0]
                    area = None if server.mode == "empty" else server.places.get(q)
                    self._send(200, json.dumps([] if area is None else [_nominatim(q, area)]).encode("utf-8"))
                    return
                self._send(404, b"not found")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _nominatim(name: str, area: shapely.Geometry) -> dict:
    west, south, east, north = area.bounds
    return {
        "place_id": 1,
        "osm_type": "relation",
        "osm_id": 1,
        "boundingbox": [str(south), str(north), str(west), str(east)],
        "lat": str(area.centroid.y),
        "lon": str(area.centroid.x),
        "display_name": name,
        "class": "boundary",
        "type": "administrative",
        "importance": 0.9,
        "geojson": shapely.geometry.mapping(area),
    }
