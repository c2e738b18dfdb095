"""A4 map figures to print and hand over: one per standard, as PNG and as a page of one PDF.

Each figure shows the townships filled by their class on the one colour scale
(:mod:`carecircles.palette`) and labelled with their name and share, the areas the standard
leaves uncovered, the study's roads (those legible at the page's scale) and the facilities
that count for the standard, with a title, the summary line, a legend naming every symbol, a
scale bar, a north arrow, the date, the data sources and the issuing unit. Drawn in the study's
local projected CRS (UTM), so the scale bar is true. Chinese text needs a CJK font installed
(e.g. Debian's ``fonts-noto-cjk``); without one the figures are skipped with a data issue saying
so, never drawn with empty boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircles import palette
from carecircles._crs import project_lonlat
from carecircles._encode import percent, xml_text
from carecircles.assessment import whole_people
from carecircles.labels import label, standard_title, threshold_text
from carecircles.report import BEIJING
from carecircles.roads import RoadEdges, major_segments, road_lines
from carecircles.standards import FACILITY_TYPES, Standard
from carecircles.summary import summary_lines

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox
    from pyproj import CRS

    from carecircles.analysis import StudyResult

#: A4 landscape, inches.
A4_LANDSCAPE = (297 / 25.4, 210 / 25.4)
#: The map's frame on the page (axes 0.64 × 0.86 of A4 landscape), in millimetres.
MAP_MM = (0.64 * 297, 0.86 * 210)
#: Roads are drawn when they lie on average at least this far apart on the page.
MIN_ROAD_SPACING_MM = 1.0
DPI = 150
#: CJK fonts looked for, in order (Linux, Windows, macOS names).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
)
_LEVEL_MARKER = {
    "county": ("s", "#54278f", 46),
    "sub-centre": ("s", "#7a0177", 40),
    "township": ("s", "#00441b", 34),
    "village": ("o", "#238b45", 12),
    "other": ("o", "#636363", 10),
}


@dataclass(frozen=True)
class FigureFiles:
    """One standard's figure: its PNG, and the PDF (``figures.pdf``) and page it is on."""

    png: Path
    pdf: Path
    page: int


def find_cjk_font() -> str | None:
    """Return the family name of an installed font that draws Chinese, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def write_figures(result: StudyResult, out_dir: Path, lang: str = "zh") -> dict[str, FigureFiles]:
    """Write ``figure-<standard>.png`` per standard and ``figures.pdf`` (a page each) into ``out_dir``.

    Returns
    -------
    dict
        Standard id → its files; empty when no CJK font is installed (a data issue says which
        font to install).
    """
    font = find_cjk_font()
    if font is None:
        result.issues.add(
            "warning",
            "figure",
            "no Chinese font installed, so the A4 map figures were not drawn: install one "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk; Windows has Microsoft YaHei)",
            zh=(
                "未安装中文字体，A4 图件未绘制：请安装（Debian/Ubuntu：apt-ge"
                "t install fonts-noto-cjk；Windows 自带微软雅黑）"
            ),
            action="skipped",
        )
        return {}
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    out_dir.mkdir(parents=True, exist_ok=True)
    people = whole_people(result.zone_results)
    base = _Base.of(result)
    lines = dict(
        zip(
            [s.id for s in result.config.standards if not people[people["standard"] == s.id].empty],
            summary_lines(result, lang),
            strict=True,
        )
    )
    written: dict[str, FigureFiles] = {}
    pdf_path = out_dir / "figures.pdf"  # one page per standard: fonts subset once, one file to print
    rc: dict[str, Any] = {
        "font.family": [font, "DejaVu Sans"],
        "pdf.fonttype": 42,
        "axes.unicode_minus": False,
    }
    with plt.rc_context(rc), PdfPages(pdf_path) as pdf:  # type: ignore[arg-type]
        for s in result.config.standards:
            rows = people[(people["standard"] == s.id) & (people["zone_code"] != "ALL")]
            if rows.empty:
                continue
            fig = _draw(result, base, s, rows, lines[s.id][1], lang)
            files = FigureFiles(out_dir / f"figure-{s.id}.png", pdf_path, len(written) + 1)
            fig.savefig(files.png, dpi=DPI)
            pdf.savefig(fig)
            plt.close(fig)
            written[s.id] = files
    return written


@dataclass(frozen=True)
class _Base:
    """What every figure of a study shares, projected to the study's local CRS."""

    zones: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame

    @classmethod
    def of(cls, result: StudyResult) -> _Base:
        crs = result.crs
        roads = None
        zones = result.zones.to_crs(crs)
        bounds = zones.total_bounds
        if (
            result.roads is not None
            and result.roads.n_edges
            and not main_roads_too_dense(result.roads, crs, bounds)
        ):
            roads = legible_roads(road_lines(result.roads, 0.0002).to_crs(crs), bounds)
        counted = (
            result.facilities["counted"] if "counted" in result.facilities else result.facilities["used"]
        )
        return cls(zones, roads, result.facilities[counted.astype(bool)].to_crs(crs))


def main_roads_too_dense(roads: RoadEdges, crs: CRS, bounds: np.ndarray) -> bool:
    """Whether the main roads alone would lie under half of ``MIN_ROAD_SPACING_MM`` apart.

    The quick check before :func:`legible_roads`, from the segments' straight lengths (those
    whose midpoint is inside ``bounds``, the zones' box in ``crs``), so that a province's 1.8
    million segments need not be joined into display lines (~3 s) to find out. The two agree
    unless simplifying the display lines (0.0002°, about 20 m) and clipping them at the box
    take off more than half of the main roads' length: only roads that are mostly zigzags
    under 20 m (switchbacks, a badly digitised file) could then be left off a page that
    :func:`legible_roads` would have drawn them on.
    """
    major = major_segments(roads)
    u, v = roads.u[major], roads.v[major]
    if not len(u):
        return False
    x, y = project_lonlat(roads.node_lon, roads.node_lat, crs)
    mid_x, mid_y = (x[u] + x[v]) / 2, (y[u] + y[v]) / 2
    x0, y0, x1, y1 = bounds
    inside = (mid_x >= x0) & (mid_x <= x1) & (mid_y >= y0) & (mid_y <= y1)
    length = float(np.hypot(x[u] - x[v], y[u] - y[v])[inside].sum())
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    metres_per_mm = max(width / MAP_MM[0], height / MAP_MM[1])
    return length > 0 and 2 * width * height / length / metres_per_mm < MIN_ROAD_SPACING_MM / 2


def legible_roads(roads: gpd.GeoDataFrame, bounds: np.ndarray) -> gpd.GeoDataFrame | None:
    """Return the road groups the page can show: main roads first, then the others, while legible.

    A group is drawn when the roads drawn with it lie on average at least
    ``MIN_ROAD_SPACING_MM`` apart on the page (mean spacing of lines of length ``L`` over an
    area ``A``: about ``2A / L``; ``L`` counted inside ``bounds``, the zones' box, as a road
    file often reaches beyond them). A county's roads are tens of millimetres apart; a
    province's main roads would be a fraction of a millimetre, a grey page that took most of
    the figures' time (the county map pages show them).
    """
    x0, y0, x1, y1 = bounds
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    metres_per_mm = max(width / MAP_MM[0], height / MAP_MM[1])
    shown: list[str] = []
    length = 0.0
    for group in ("major", "minor"):
        part = roads[roads["group"] == group]
        # only the length on the page: a road file often reaches well beyond the zones
        inside = float(part.clip_by_rect(x0, y0, x1, y1).length.sum())
        if inside <= 0:
            continue
        length += inside
        if 2 * width * height / length / metres_per_mm < MIN_ROAD_SPACING_MM:
            break
        shown.append(group)
    return roads[roads["group"].isin(shown)] if shown else None


def _draw(
    result: StudyResult, base: _Base, s: Standard, rows: pd.DataFrame, summary: str, lang: str
) -> Figure:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=A4_LANDSCAPE)
    ax = fig.add_axes((0.02, 0.04, MAP_MM[0] / 297, MAP_MM[1] / 210))
    ax.set_axis_off()
    ax.set_aspect("equal")
    zones = base.zones.merge(
        rows[["zone_code", "covered_share", "passes", "population"]], on="zone_code", how="left"
    )
    classes = [
        "none" if pd.isna(r.population) else palette.verdict(r.passes, r.covered_share, s.target_share)
        for r in zones.itertuples()
    ]
    present = []
    for cls in (*palette.CLASSES, "no_people", "none"):
        part = zones[[c == cls for c in classes]]
        if part.empty:
            continue
        present.append(cls)
        if cls in palette.CLASSES:
            part.plot(ax=ax, color=palette.COLOURS[cls], alpha=palette.ZONE_FILL_OPACITY, linewidth=0)
        else:
            part.plot(
                ax=ax,
                facecolor="white",
                edgecolor="#555555",
                linewidth=0.8,
                linestyle="--" if cls == "no_people" else "-",
            )
    areas = result.areas
    gaps = areas[(areas["standard"] == s.id) & (areas["status"] == "uncovered")]
    x0, y0, x1, y1 = base.zones.total_bounds
    tolerance = max(x1 - x0, y1 - y0) / 4000  # ~0.07 mm on the page: simplified, not visibly
    if not gaps.empty:
        draw_shapes(
            ax,
            gaps.to_crs(base.zones.crs).geometry.to_numpy(),
            tolerance,
            facecolor=palette.UNCOVERED_COLOUR,
            alpha=palette.UNCOVERED_OPACITY,
            linewidth=0,
        )
    if base.roads is not None:
        for group, width in (("minor", 0.35), ("major", 1.0)):
            part = base.roads[base.roads["group"] == group]
            if not part.empty:
                colour = "#8c8c8c" if group == "major" else "#b0b0b0"
                draw_shapes(ax, part.geometry.to_numpy(), tolerance, edgecolor=colour, linewidth=width)
    base.zones.boundary.plot(ax=ax, color="#1a1a1a", linewidth=1.0)
    levels = _facilities(ax, base.facilities, s)
    villages = _villages(ax, result, s, base.zones.crs)
    _frame_on(ax, zones[zones["population"].notna()])
    pairs = _labels(ax, zones, s)
    ax.apply_aspect()  # the axes' final box: label extents are measured without drawing the map
    place_without_overlap([text for text, _ in pairs], fig)
    for text, halo in pairs:
        halo.set_position(text.get_position())
        halo.set_visible(text.get_visible())
    _frame(fig, result, s, summary, lang)
    _legend(fig, present, levels, not gaps.empty, base.roads is not None, s, lang, villages)
    _scale_bar(fig, ax)
    _north_arrow(fig, ax)
    return fig


def draw_shapes(ax: Axes, geometries: np.ndarray, tolerance: float, **style: Any) -> None:
    """Draw polygons (filled) or lines as one compound path: one artist, however many shapes.

    Polygons are filled by the non-zero rule with shells anticlockwise and holes clockwise,
    so holes stay empty; lines are drawn unfilled. ``tolerance`` simplifies each shape first
    (in the axes' units).
    """
    import shapely
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    parts = shapely.get_parts(np.asarray(geometries, dtype=object))
    polygonal = shapely.get_type_id(parts) == 3
    # each part on its own: lines need no topology kept (a preserving simplify of a whole
    # network at once is quadratic); polygons keep theirs (no ring may cross itself)
    parts[polygonal] = shapely.simplify(parts[polygonal], tolerance, preserve_topology=True)
    parts[~polygonal] = shapely.simplify(parts[~polygonal], tolerance, preserve_topology=False)
    parts = parts[~shapely.is_empty(parts)]
    polygonal = shapely.get_type_id(parts) == 3
    rings, owner = shapely.get_rings(parts[polygonal], return_index=True)
    shell = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, dtype=bool)
    flip = shapely.is_ccw(rings) != shell  # shells anticlockwise, holes clockwise
    rings[flip] = shapely.reverse(rings[flip])
    lines = parts[shapely.get_type_id(parts) == 1]
    chunks, codes = [], []
    for geoms, closed in ((rings, True), (lines, False)):
        if not len(geoms):
            continue
        xy, index = shapely.get_coordinates(geoms, return_index=True)
        code = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
        starts = np.r_[True, index[1:] != index[:-1]]
        code[starts] = MplPath.MOVETO
        if closed:  # a ring's last vertex repeats its first: close the ring there
            code[np.r_[starts[1:], True]] = MplPath.CLOSEPOLY
        chunks.append(xy)
        codes.append(code)
    if not chunks:
        return
    path = MplPath(np.concatenate(chunks), np.concatenate(codes))
    fill = bool(len(rings))
    # add_artist, not add_patch: the frame is set by the zones, and add_patch would walk every
    # vertex in Python to update the data limits
    ax.add_artist(PathPatch(path, fill=fill, **({"facecolor": "none"} if not fill else {}), **style))


def _frame_on(ax: Axes, zones: gpd.GeoDataFrame) -> None:
    """Show the zones the standard applies to (the urban ones for an urban standard), with a margin."""
    if zones.empty:
        return
    x0, y0, x1, y1 = zones.total_bounds
    margin = 0.06 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - margin, x1 + margin)
    ax.set_ylim(y0 - margin, y1 + margin)


def _facilities(ax: Axes, facilities: gpd.GeoDataFrame, s: Standard) -> list[str]:
    """Draw the facilities that count for the standard; return the levels drawn."""
    types = set(s.facility_types) | set(s.outreach_types)
    part = facilities[facilities["type"].isin(types)]
    levels = []
    for level, (marker, colour, size) in _LEVEL_MARKER.items():
        mask = [FACILITY_TYPES.get(t, FACILITY_TYPES["other"]).level == level for t in part["type"]]
        chosen = part[mask]
        if chosen.empty:
            continue
        levels.append(level)
        ax.scatter(
            chosen.geometry.x,
            chosen.geometry.y,
            marker=marker,
            s=size,
            c=colour,
            edgecolors="white",
            linewidths=0.8,
            zorder=5,
        )
    return levels


_VILLAGE_COLOURS = {"none": "#d7301f", "outreach_only": "#fdd49e"}


def _villages(ax: Axes, result: StudyResult, s: Standard, crs: object) -> list[str]:
    """For a distance standard, draw the villages without a clinic within it; return their statuses."""
    column = f"{s.id}_status"
    if s.metric != "distance" or result.villages is None or column not in result.villages:
        return []
    drawn = []
    for status, colour in _VILLAGE_COLOURS.items():
        part = result.villages[result.villages[column] == status]
        if part.empty:
            continue
        part = part.to_crs(crs)
        ax.scatter(
            part.geometry.x, part.geometry.y, s=42, c=colour, edgecolors="black", linewidths=1.2, zorder=6
        )
        drawn.append(status)
    return drawn


def _labels(ax: Axes, zones: gpd.GeoDataFrame, s: Standard) -> list[tuple[Text, Text]]:
    """Name and share of each township, most populous first: (text, its white halo).

    The halo is drawn as outlines (a stroke path effect) under plain text, so the names and
    shares stay text in the PDF (searchable, copyable).
    """
    import matplotlib.patheffects as effects

    halo = [effects.Stroke(linewidth=3, foreground="white")]
    order = np.argsort(-zones["population"].fillna(0).to_numpy(), kind="stable")
    pairs = []
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for i in order:
        z = zones.iloc[i]
        at = z.geometry.representative_point()
        if not (x0 <= at.x <= x1 and y0 <= at.y <= y1):
            continue  # outside the frame (a rural township on an urban standard's figure)
        share = "" if pd.isna(z["population"]) or z["population"] <= 0 else f"\n{percent(z['covered_share'])}"
        words = xml_text(f"{z['zone_name']}{share}")  # control characters shown as \xNN
        style: dict[str, Any] = {
            "ha": "center",
            "va": "center",
            "fontsize": 9,
            "fontweight": "bold",
            "parse_math": False,
            "clip_on": True,
        }
        under = ax.text(at.x, at.y, words, zorder=10, path_effects=halo, color="white", **style)
        pairs.append((ax.text(at.x, at.y, words, zorder=11, **style), under))
    return pairs


def place_without_overlap(texts: list[Text], fig: Figure) -> None:
    """Keep labels apart: a label overlapping one placed before moves above or below, else hides.

    ``texts`` come in priority order (the most populous township first).
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    taken = _Boxes(len(texts))
    for t in texts:
        box = t.get_window_extent(renderer).expanded(1.05, 1.1)
        if not taken.overlap(box):
            taken.append(box)
            continue
        x, y = t.get_position()
        ax = t.axes
        assert ax is not None
        to_data = ax.transData.inverted()
        placed = False
        for dy in (box.height, -box.height, 1.6 * box.height, -1.6 * box.height):
            shifted = to_data.transform((box.x0 + box.width / 2, box.y0 + box.height / 2 + dy))
            t.set_position((x, shifted[1]))
            moved = t.get_window_extent(renderer).expanded(1.05, 1.1)
            if not taken.overlap(moved):
                taken.append(moved)
                placed = True
                break
        if not placed:
            t.set_position((x, y))
            t.set_visible(False)


class _Boxes:
    """Placed labels' boxes, each new one checked against all of them at once.

    ``Bbox.overlaps`` one placed box at a time was quadratic Python over a province's 960
    townships.
    """

    def __init__(self, most: int) -> None:
        self._extents = np.empty((most, 4))  # x0, y0, x1, y1 (x0 ≤ x1, y0 ≤ y1)
        self._n = 0

    def append(self, box: Bbox) -> None:
        self._extents[self._n] = (*box.min, *box.max)
        self._n += 1

    def overlap(self, box: Bbox) -> bool:
        """Whether ``box`` overlaps a placed one, as ``Bbox.overlaps`` decides (touching counts)."""
        (x0, y0), (x1, y1) = box.min, box.max
        e = self._extents[: self._n]
        return bool(np.any((e[:, 0] <= x1) & (x0 <= e[:, 2]) & (e[:, 1] <= y1) & (y0 <= e[:, 3])))


def _frame(fig: Figure, result: StudyResult, s: Standard, summary: str, lang: str) -> None:
    config = result.config
    title = xml_text(config.title)
    fig.text(0.02, 0.965, title, fontsize=15, fontweight="bold", va="top", parse_math=False)
    subtitle = (
        f"{standard_title(s, lang)}（{threshold_text(s, lang)}）"
        if lang == "zh"
        else (f"{standard_title(s, lang)} ({threshold_text(s, lang)})")
    )
    fig.text(0.02, 0.925, subtitle, fontsize=12, va="top", parse_math=False)
    x = 0.69
    fig.text(x, 0.93, _wrap(xml_text(summary), lang, 26), fontsize=9.5, va="top", parse_math=False)
    if config.synthetic:
        fig.text(
            0.98,
            0.965,
            label("synthetic", lang),
            fontsize=11,
            color="#b2182b",
            fontweight="bold",
            ha="right",
            va="top",
        )
    today = datetime.now(BEIJING).date()
    date = f"{today.year}年{today.month}月{today.day}日" if lang == "zh" else today.isoformat()
    sources = config.data_sources or "、".join(
        p.name
        for p in (config.zones, config.facilities, config.roads, config.population, config.villages)
        if p
    )
    notes = [
        f"{label('data_sources', lang)}：{sources}"
        if lang == "zh"
        else f"{label('data_sources', lang)}: {sources}"
    ]
    if config.issuing_unit:
        unit = label("issued_by", lang)
        notes.append(f"{unit}：{config.issuing_unit}" if lang == "zh" else f"{unit}: {config.issuing_unit}")
    notes.append(
        f"{label('generated', lang)}：{date}" if lang == "zh" else f"{label('generated', lang)}: {date}"
    )
    y = 0.20
    for note in notes:
        note = _wrap(xml_text(note), lang, 30)
        fig.text(x, y, note, fontsize=8, va="top", color="#333333", parse_math=False)
        y -= 0.02 * (note.count("\n") + 1) + 0.012


def _wrap(words: str, lang: str, width: int) -> str:
    """Break a line for the side panel (Chinese has no spaces: break by characters)."""
    import textwrap

    return "\n".join(textwrap.wrap(words, width if lang == "zh" else 2 * width, break_on_hyphens=False))


def _legend(
    fig: Figure,
    present: list[str],
    levels: list[str],
    gaps: bool,
    roads: bool,
    s: Standard,
    lang: str,
    villages: list[str],
) -> None:
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    for cls in present:
        if cls in palette.CLASSES:
            words = label(cls, lang, p=palette.SMALL_GAP_POINTS) if cls != "pass" else label("pass", lang)
            handles.append(
                Patch(facecolor=palette.COLOURS[cls], alpha=palette.ZONE_FILL_OPACITY, label=words)
            )
        elif cls == "no_people":
            handles.append(
                Patch(facecolor="white", edgecolor="#555555", linestyle="--", label=label(cls, lang))
            )
        else:
            handles.append(Patch(facecolor="white", edgecolor="#555555", label=label("not_applicable", lang)))
    if gaps:
        words = label("uncovered_area", lang, d=threshold_text(s, lang))
        handles.append(
            Patch(facecolor=palette.UNCOVERED_COLOUR, alpha=palette.UNCOVERED_OPACITY, label=words)
        )
    handles.append(Line2D([], [], color="#1a1a1a", linewidth=1.0, label=label("zones_outline", lang)))
    if roads:
        handles.append(Line2D([], [], color="#8c8c8c", linewidth=1.0, label=label("roads", lang)))
    for level in levels:
        marker, colour, size = _LEVEL_MARKER[level]
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker=marker,
                markersize=np.sqrt(size) + 1,
                color=colour,
                markeredgecolor="white",
                label=label(f"level_{level}", lang),
            )
        )
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.685, 0.83),
        frameon=False,
        fontsize=9,
        title=label("legend", lang),
        title_fontsize=10,
        alignment="left",
    )


def _scale_bar(fig: Figure, ax: Axes) -> None:
    """Draw a metric scale bar of a round length, about a fifth of the map's width (true: projected CRS)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    exponent = 10 ** np.floor(np.log10(target))
    length = max(m * exponent for m in (1, 2, 5) if m * exponent <= target)
    left, bottom = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.03
    ax.plot(
        [left, left + length], [bottom, bottom], color="black", linewidth=3, solid_capstyle="butt", zorder=20
    )
    ax.plot(
        [left, left + length / 2],
        [bottom, bottom],
        color="white",
        linewidth=1.2,
        solid_capstyle="butt",
        zorder=21,
    )
    words = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(
        left + length / 2, bottom + (y1 - y0) * 0.012, words, ha="center", va="bottom", fontsize=9, zorder=20
    )


def _north_arrow(fig: Figure, ax: Axes) -> None:
    """North arrow (grid north of the UTM zone; within about 2° of true north in a county)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12, "headlength": 12},
    )
