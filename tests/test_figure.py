"""The A4 map figures: files, page size, every township named with its share, literal text."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from carecircles._encode import percent
from carecircles.assessment import whole_people
from carecircles.figure import A4_LANDSCAPE, DPI, find_cjk_font, write_figures

pytestmark = pytest.mark.skipif(
    find_cjk_font() is None, reason="no CJK font (apt-get install fonts-noto-cjk)"
)


@pytest.fixture(scope="module")
def figures(sample_result, tmp_path_factory):
    config = dataclasses.replace(sample_result.config, issuing_unit="某某县卫生健康局 $x^2$ {{7*7}} \\alpha")
    zones = sample_result.zones.copy()
    zones.loc[zones.index[0], "zone_name"] = "$x^2$镇"
    result = dataclasses.replace(sample_result, config=config, zones=zones)
    out = tmp_path_factory.mktemp("figures")
    return result, write_figures(result, out)


def test_a_png_per_standard_and_an_a4_page_each_in_one_pdf(figures):
    from matplotlib.image import imread
    from pypdf import PdfReader

    result, files = figures
    assert set(files) == {s.id for s in result.config.standards}
    for f in files.values():
        height, width = imread(f.png).shape[:2]
        assert abs(width - A4_LANDSCAPE[0] * DPI) <= 1 and abs(height - A4_LANDSCAPE[1] * DPI) <= 1
        assert f.png.stat().st_size < 1_500_000
    pdf = PdfReader(next(iter(files.values())).pdf)
    assert len(pdf.pages) == len(files)
    box = pdf.pages[0].mediabox
    assert (
        abs(float(box.width) / 72 - A4_LANDSCAPE[0]) < 0.01
        and abs(float(box.height) / 72 - A4_LANDSCAPE[1]) < 0.01
    )


def test_each_page_names_its_townships_shares_title_unit_and_sources(figures):
    from pypdf import PdfReader

    result, files = figures
    people = whole_people(result.zone_results)
    for standard in result.config.standards:
        page = PdfReader(files[standard.id].pdf).pages[files[standard.id].page - 1]
        words = "".join(page.extract_text().split())  # lines are wrapped in the side panel
        assert standard.title_zh in words and "合成示例数据" in words
        assert "某某县卫生健康局$x^2${{7*7}}\\alpha" in words  # literal, no mathtext
        assert "数据来源" in words and "km" in words  # the scale bar
        rows = people[(people["standard"] == standard.id) & (people["zone_code"] != "ALL")]
        shown = 0
        for row in rows.itertuples():
            if row.population > 0 and f"{percent(row.covered_share)}" in words:
                shown += 1
        assert shown >= len(rows[rows["population"] > 0]) - 1  # every share (at most one label hidden)
    first = PdfReader(files["rural-30min"].pdf).pages[files["rural-30min"].page - 1].extract_text()
    assert "$x^2$镇" in first.replace("\n", "")


def test_labels_do_not_overlap():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from carecircles.figure import place_without_overlap

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    texts = [ax.text(5, 5, f"Town {i}\n99.9%", ha="center", va="center", fontsize=9) for i in range(4)]
    fig.canvas.draw()
    place_without_overlap(texts, fig)
    renderer = fig.canvas.get_renderer()
    shown = [t.get_window_extent(renderer) for t in texts if t.get_visible()]
    assert len(shown) >= 2
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not a.overlaps(b)
    plt.close(fig)


def test_placed_boxes_overlap_as_matplotlib_decides():
    """_Boxes.overlap against Bbox.overlaps one by one: random boxes on a coarse grid (so that
    many touch exactly), some of zero width and some given corner first."""
    from matplotlib.transforms import Bbox

    from carecircles.figure import _Boxes

    rng = np.random.default_rng(3)
    for _ in range(200):
        corners = rng.integers(0, 12, (int(rng.integers(1, 30)), 4)).astype(float)
        boxes = [Bbox([[a, b], [c, d]]) for a, b, c, d in corners]
        placed = _Boxes(len(boxes))
        for i, box in enumerate(boxes):
            assert placed.overlap(box) == any(box.overlaps(b) for b in boxes[:i])
            placed.append(box)


def test_no_chinese_font_means_no_figure_and_a_data_issue(sample_result, tmp_path, monkeypatch):
    import carecircles.figure as figure

    monkeypatch.setattr(figure, "find_cjk_font", lambda: None)
    before = len(sample_result.issues)
    try:
        assert figure.write_figures(sample_result, tmp_path) == {}
        assert not list(tmp_path.glob("figure*"))
        issue = sample_result.issues.items[-1]
        assert "fonts-noto-cjk" in issue.message and issue.action == "skipped"
    finally:
        del sample_result.issues.items[before:]


@pytest.mark.parametrize(
    ("side_km", "apart_m", "drawn", "extract_km"),
    [
        # 60 km square at 332 m per page-mm: 31 lines of 60 km, 2A/L = 3.9 km = 11.6 mm apart
        (60, 2_000, {"major", "minor"}, None),
        # 400 km at 2,215 m per mm: the 201 main lines 2A/L = 3.98 km = 1.8 mm apart, all 401 0.9 mm
        (400, 1_000, {"major"}, None),
        # the 667 main lines alone 1.2 km = 0.54 mm apart: a grey page, no roads drawn
        (400, 300, set(), None),
        # a county's zones with a road file ten times as wide: only the roads on the page count
        (60, 2_000, {"major", "minor"}, 600),
        # the main lines 0.22 mm apart (a province's are 0.24): ruled out before any line is built
        (400, 120, set(), None),
    ],
)
def test_roads_are_drawn_only_while_legible_at_the_pages_scale(side_km, apart_m, drawn, extract_km):
    import geopandas as gpd
    import numpy as np
    import shapely
    from pyproj import CRS, Transformer

    from carecircles.figure import legible_roads, main_roads_too_dense
    from carecircles.roads import RoadEdges

    side = side_km * 1000
    extent = (extract_km or side_km) * 1000
    ys = np.arange(0, extent + 1, apart_m)  # east-west roads: main ones every other line
    groups = ["major" if i % 2 == 0 else "minor" for i in range(len(ys))]
    roads = gpd.GeoDataFrame(
        {"group": groups}, geometry=[shapely.LineString([(0, y), (extent, y)]) for y in ys], crs=32651
    )
    shown = legible_roads(roads, np.array([0, 0, side, side]))
    assert (set() if shown is None else set(shown["group"])) == drawn

    # the quick check on the same roads as segments (a node every 2 km along each line)
    xs = np.arange(0, extent + 1, 2_000)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs(32651, 4326, always_xy=True).transform(gx.ravel(), gy.ravel())
    node = np.arange(gx.size).reshape(gx.shape)
    u, v = node[:, :-1].ravel(), node[:, 1:].ravel()
    classes = np.where(np.arange(len(ys)) % 2 == 0, "primary", "residential")
    edges = RoadEdges(
        node_id=node.ravel(),
        node_lon=np.asarray(lon),
        node_lat=np.asarray(lat),
        u=u,
        v=v,
        highway=np.repeat(classes, len(xs) - 1).astype(object),
        oneway=np.zeros(len(u), dtype=np.int8),
        maxspeed_kmh=np.full(len(u), np.nan),
        source="grid",
    )
    ruled_out = main_roads_too_dense(edges, CRS.from_epsg(32651), np.array([0, 0, side, side]))
    # only the grey page is ruled out early; the 0.54 mm one is left to legible_roads
    assert ruled_out == (apart_m == 120)
    assert not (ruled_out and drawn)
