"""Tables a planner can open (CSV in UTF-8 with BOM for Excel), GeoJSON, and the run manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircles._encode import percent, spreadsheet_safe, terminal_text
from carecircles._forked import Forked
from carecircles._progress import Laps, peak_rss_gib
from carecircles.analysis import StudyResult
from carecircles.assessment import people_as_integers, tenths_up, whole_people
from carecircles.catchments import Catchments
from carecircles.presence import facility_zones
from carecircles.scorecard import study_scorecard
from carecircles.siting import SitingResult

#: Where a run that stopped with an error writes the data issues it had found.
STOPPED_ISSUES = "data_issues-stopped.csv"

_PACKAGES = (
    "carecircles",
    "numpy",
    "scipy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "rasterio",
    "osmium",
    "osmnx",
    "networkx",
    "folium",
)


def write_outputs(
    result: StudyResult,
    out_dir: Path,
    lang: str = "zh",
    *,
    documents: bool = False,
    sitings: Sequence[SitingResult] = (),
    beside: Callable[[], object] | None = None,
    processes: int = 2,
) -> dict[str, Path]:
    """Write the scorecard, zone, village, facility and catchment tables, gaps, issues, manifest.

    ``lang`` is the language of the scorecard's notes and the documents (``zh`` or ``en``).
    With ``documents`` also the A4 map figures, the report (HTML, Markdown, Word, PDF, with the
    ``sitings``) and the workbook (:func:`carecircles.handover.write_documents`); an output that
    could not be made (no CJK font, no browser to print with) is named in the manifest's
    ``skipped`` with the reason. ``beside`` (the CLI's map) is done in a second process forked at
    the start (:class:`carecircles._forked.Forked`), on the other core while the rest is written,
    and waited for before the manifest; its error is raised here (``processes=1``: done in this
    process, while Chromium prints the report). The manifest's ``writing_s``
    has the seconds of each part.

    Returns
    -------
    dict
        Output name → path.
    """
    clock = Laps()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STOPPED_ISSUES).unlink(missing_ok=True)  # a stopped earlier run's issues: superseded
    paths = {
        "scorecard": out_dir / "scorecard.csv",
        "zones": out_dir / "zones.csv",
        "villages": out_dir / "villages.csv",
        "facilities": out_dir / "facilities.csv",
        "gaps": out_dir / "gaps.geojson",
        "catchments": out_dir / "catchments.csv",
        "catchment_areas": out_dir / "catchments.geojson",
        "capacity": out_dir / "capacity.csv",
        "capacity_raster": out_dir / "capacity.tif",
        "data_issues": out_dir / "data_issues.csv",
        "manifest": out_dir / "manifest.json",
    }
    drawing = None if beside is None else Forked(beside, "the map", fork=processes > 1)
    try:
        _write_tables(result, paths, lang)
        clock.lap("write the tables and GeoJSON")
        skipped: dict[str, str] = {}
        here = drawing if drawing is not None and drawing.pid is None else None  # in this process
        apart = drawing if drawing is not None and drawing.pid is not None else None
        if documents:
            from carecircles.handover import write_documents

            made, skipped = write_documents(
                result, out_dir, sitings, lang, meanwhile=here.join if here else None, clock=clock
            )
            paths.update(made)
        elif here is not None:
            here.join()
            clock.lap("write the map")
        if apart is not None:
            seconds = apart.join()
            clock.lap("wait for the map")
            clock.seconds["the map (in a second process, from the start)"] = round(seconds, 2)
    except BaseException:
        if drawing is not None:
            drawing.stop()
        raise
    write_csv(result.issues.to_frame(), paths["data_issues"])  # after the documents: their issues too
    manifest = run_manifest(result, {k: v for k, v in paths.items() if k != "manifest"})
    manifest["writing_s"] = clock.seconds
    manifest["skipped"] = skipped
    paths["manifest"].write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths


def _write_tables(result: StudyResult, paths: dict[str, Path], lang: str) -> None:
    """Write the tables, GeoJSON and access raster; drop from ``paths`` those the study has none of."""
    write_csv(study_scorecard(result, lang), paths["scorecard"])
    write_csv(zone_report(result), paths["zones"])
    if result.villages is not None:
        villages = result.villages.drop(columns="geometry").copy()
        villages.insert(3, "lon", result.villages.geometry.x.round(6))
        villages.insert(4, "lat", result.villages.geometry.y.round(6))
        write_csv(villages.replace([np.inf], np.nan), paths["villages"])
    else:
        paths.pop("villages")
    facilities = result.facilities.drop(columns="geometry").copy()
    where = facility_zones(result.facilities, result.zones)  # the zone each facility counts in
    facilities.insert(facilities.columns.get_loc("type") + 1, "zone_code", where["zone_code"].to_numpy())
    facilities.insert(facilities.columns.get_loc("zone_code") + 1, "zone_name", where["zone_name"].to_numpy())
    facilities["lon_wgs84"] = result.facilities.geometry.x.round(6)
    facilities["lat_wgs84"] = result.facilities.geometry.y.round(6)
    write_csv(facilities, paths["facilities"])
    gaps = result.gaps.copy()
    gaps["population"] = gaps["population"].round(1)
    write_geojson(gaps, paths["gaps"])
    if result.catchments is not None:
        write_csv(catchment_report(result.catchments), paths["catchments"])
        areas = result.catchments.polygons.copy()
        areas["population"] = areas["population"].round(1)
        write_geojson(areas, paths["catchment_areas"])
    else:
        paths.pop("catchments")
        paths.pop("catchment_areas")
    if result.capacity is not None:
        write_csv(capacity_report(result), paths["capacity"])
        if result.capacity is not None and not _write_access_raster(result, paths["capacity_raster"]):
            paths.pop("capacity_raster")
    else:
        paths.pop("capacity")
        paths.pop("capacity_raster")


def zone_report(result: StudyResult) -> pd.DataFrame:
    """Return the per-standard × zone table with whole people, as written to zones.csv.

    See :func:`carecircles.assessment.whole_people`: the same figures as the report, the map
    and the CLI show. Each speed scenario (e.g. ``winter``) adds its columns beside the base
    case's: ``winter_covered_population``, ``winter_covered_share``, ``winter_passes`` and
    ``winter_uncovered_population``.
    """
    table = _zone_figures(result.zone_results)
    for scenario in result.scenarios.values():
        other = _zone_figures(scenario.zone_results)[["standard", "zone_code", *SCENARIO_COLUMNS]]
        other = other.rename(columns={c: f"{scenario.id}_{c}" for c in SCENARIO_COLUMNS})
        table = table.merge(other, on=["standard", "zone_code"], how="left", validate="one_to_one")
    return table


#: The zones.csv columns each scenario repeats with its id as prefix.
SCENARIO_COLUMNS = ("covered_population", "covered_share", "passes", "uncovered_population")


def _zone_figures(zone_results: pd.DataFrame) -> pd.DataFrame:
    table = people_as_integers(whole_people(zone_results))  # whole people, written as 14887
    # cut to 4 decimals, as percent() shows it: a spreadsheet's 0.0% format never rounds it up
    share = np.floor(table["covered_share"] * 10_000 + 1e-9) / 10_000
    # never 1.0 while anyone is outside, never 0.0 while anyone is inside
    share = share.where(~((share >= 1.0) & (table["uncovered_population"] > 0)), 0.9999)
    table["covered_share"] = share.where(~((share <= 0.0) & (table["covered_population"] > 0)), 0.0001)
    return table


def catchment_report(found: Catchments) -> pd.DataFrame:
    """Return the catchment table as written to catchments.csv (whole people, minutes to 0.1)."""
    table = found.table.copy()
    for column in ("population", "village_population"):
        table[column] = table[column].round(0)
    for column in ("people_per_bed", "people_per_doctor"):  # 0.4 people per doctor is not 0
        table[column] = table[column].round(1)
    for column in ("county_people_per_bed", "county_people_per_doctor"):
        table[column] = table[column].round(1)
    table["mean_minutes"] = table["mean_minutes"].round(1)
    table["max_minutes"] = tenths_up(table["max_minutes"].to_numpy(dtype=float) * 60)
    return table


def capacity_report(result: StudyResult) -> pd.DataFrame:
    """Per zone and county: people, mean reachable resource per 1,000 (E2SFCA), share with none."""
    found = result.capacity
    assert found is not None
    zones = result.zones
    frame = pd.DataFrame(
        {
            "zone_code": [*zones["zone_code"], "ALL"],
            "zone_name": [*zones["zone_name"], "全部区域"],
            "population": np.round([*found.zones.people, found.zones.people.sum()], 0).astype(np.int64),
            f"{found.resource}_access_per_1000": np.round([*found.zones.mean, found.zones.county_mean], 3),
            "share_with_none": np.round([*found.zones.share_zero, found.zones.county_share_zero], 4),
        }
    )
    frame.insert(0, "standard", found.standard)
    frame.insert(0, "resource", found.resource)
    return frame


def _write_access_raster(result: StudyResult, path: Path) -> bool:
    """Write the access of every population cell as a GeoTIFF (float32, nodata where no people)."""
    import rasterio

    cells, found = result.cells, result.capacity
    if cells is None or found is None or cells.grid is None or cells.row is None or cells.col is None:
        return False
    from rasterio.windows import Window

    grid = cells.grid
    height, width = grid.shape
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 1,
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": -1.0,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "BIGTIFF": "IF_SAFER",
    }
    # written in strips of rows: memory follows a strip, not the grid (a fine raster is 400M cells)
    step = max(256, (4_000_000 // max(width, 1)) // 256 * 256)
    order = np.argsort(cells.row, kind="stable")
    starts = np.searchsorted(cells.row[order], np.arange(0, height + step, step))
    with rasterio.open(path, "w", **profile) as out:
        for k, r0 in enumerate(range(0, height, step)):
            h = min(step, height - r0)
            band = np.full((h, width), -1.0, dtype=np.float32)
            at = order[starts[k] : starts[k + 1]]
            band[cells.row[at] - r0, cells.col[at]] = found.access[at]
            out.write(band, 1, window=Window(0, r0, width, h))
        out.update_tags(
            1, resource=found.resource, unit="per 1000 residents", method="E2SFCA", standard=found.standard
        )
    return True


def _shown_width(text: str) -> int:
    """Terminal columns a text takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, left: bool = False) -> str:
    """Pad to a terminal width, counting CJK characters as two columns."""
    space = " " * max(width - _shown_width(text), 0)
    return text + space if left else space + text


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write features as RFC 7946 GeoJSON: WGS-84, 7 decimals (~1 cm), outer rings anticlockwise.

    Geometries are rounded by numpy and encoded by GEOS in one call (``shapely.to_geojson``);
    properties by ``json`` (a hostile name stays the same string; a missing or infinite number
    is ``null``, an empty geometry ``null``). A province's 84 MB ``catchments.geojson`` took
    GDAL 8.6 s; this takes about a fifth of that. Written to a temporary file and then moved
    into place, so a failure never leaves half a file.
    """
    import shapely

    frame = frame.to_crs(4326)
    geometry = shapely.orient_polygons(np.asarray(frame.geometry.array, dtype=object), exterior_cw=False)
    shapes = shapely.to_geojson(shapely.transform(geometry, lambda xy: np.round(xy, 7)))
    shapes[shapely.is_missing(geometry) | shapely.is_empty(geometry)] = None
    names = [c for c in frame.columns if c != frame.geometry.name]
    values = frame[names].replace([np.inf, -np.inf], np.nan)
    rows = values.astype(object).where(values.notna(), None).itertuples(index=False)
    columns = [str(c) for c in names]
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            out.write('{"type":"FeatureCollection","features":[')
            for i, (row, shape) in enumerate(zip(rows, shapes, strict=True)):
                properties = json.dumps(
                    dict(zip(columns, row, strict=True)),
                    ensure_ascii=False,
                    allow_nan=False,
                    default=_json_value,
                )
                out.write(("," if i else "") + '\n{"type":"Feature","properties":' + properties)
                out.write(',"geometry":' + ("null" if shape is None else shape) + "}")
            out.write("\n]}\n")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _json_value(value: object) -> object:
    """Return a numpy scalar as the Python value it holds, a date or time as ISO 8601 text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table for Excel: UTF-8 with a byte-order mark, formula-like text neutralised.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
    with a leading apostrophe (see :func:`carecircles._encode.spreadsheet_cell`). Rows end in
    CR LF, so a cell holding a line break or a lone CR is quoted: a spreadsheet reads it as one
    cell, never as the end of a row that would start a new, unneutralised one.
    """
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_manifest(result: StudyResult, outputs: dict[str, Path]) -> dict:
    """Describe a run: inputs with checksums, standards, versions, counts, timings and peak memory."""
    config = result.config
    inputs = {
        name: {"path": str(path), "sha256": sha256(path), "bytes": path.stat().st_size}
        for name, path in (
            ("config", config.source),
            ("zones", config.zones),
            ("facilities", config.facilities),
            ("roads", config.roads),
            ("population", config.population),
            ("villages", config.villages),
            *((f"dem_{k}", p) for k, p in enumerate(config.dem)),
        )
        if path is not None
    }
    return {
        "study": config.name,
        "title": config.title,
        "synthetic": config.synthetic,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "crs": result.crs.to_string(),
        "inputs": inputs,
        "standards": [
            {
                "id": s.id,
                "title": s.title_zh,
                "rule": s.rule,
                "source": s.source,
                "zone_type": s.zone_type,
                "metric": s.metric,
                "mode": s.mode if s.metric == "time" else None,
                "threshold": s.threshold,
                "unit": "min" if s.metric == "time" else "m",
                "target_share": s.target_share,
                "facility_types": list(s.facility_types),
                "note": s.note,
            }
            for s in config.standards
        ],
        "options": {k: getattr(config.options, k) for k in config.options.__dataclass_fields__},
        "scorecard": dataclasses.asdict(config.scorecard),
        "speeds_overrides": {k: dict(v) for k, v in config.speeds.items()},
        "terrain": config.terrain.model_dump() if config.dem else None,
        "scenarios": [s.model_dump() for s in config.scenarios],
        "counts": result.counts,
        "data_issues": {
            sev: int((result.issues.to_frame()["severity"] == sev).sum())
            for sev in ("error", "warning", "info")
        },
        "timings_s": result.timings,
        "peak_rss_gib": {**result.peaks, "when the manifest was written": peak_rss_gib()},
        "outputs": {k: str(v) for k, v in outputs.items()},
        "versions": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            **{p: _version(p) for p in _PACKAGES},
        },
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def summary_table(result: StudyResult, lang: str = "zh") -> str:
    """Format a short plain-text summary: one line per standard, then the village counts."""
    from carecircles.labels import label, threshold_text

    table = whole_people(result.zone_results)
    header = tuple(
        label(k, lang)
        for k in (
            "standard",
            "threshold",
            "covered_people",
            "share",
            "target",
            "zones_passing",
            "uncovered_people",
        )
    )
    widths = tuple(max(w, _shown_width(h)) for w, h in zip((16, 9, 12, 8, 6, 10, 11), header, strict=True))
    lines = [" ".join(_pad(h, w, left=i == 0) for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    for standard in result.config.standards:
        rows = table[table["standard"] == standard.id]
        if rows.empty:
            continue
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        zones = rows[(rows["zone_code"] != "ALL") & rows["passes"].notna()]
        passed = int(zones["passes"].astype(bool).sum())
        cells = (
            terminal_text(standard.id),
            threshold_text(standard, lang),
            f"{total['covered_population']:,.0f}",
            percent(total["covered_share"]),
            f"{standard.target_share:.0%}",
            f"{passed}/{len(zones)}",
            f"{total['uncovered_population']:,.0f}",
        )
        lines.append(
            " ".join(_pad(c, w, left=i == 0) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        )
    villages = table[table["villages"].notna() & (table["zone_code"] == "ALL")]
    names = {s.id: s for s in result.config.standards}
    for _, row in villages.iterrows():
        standard = names[row["standard"]]
        counts = label(
            "village_counts",
            lang,
            n=int(row["villages"]),
            fixed=int(row["villages_fixed"]),
            outreach=int(row["villages_outreach_only"]),
            none=int(row["villages_none"]),
        )
        lines.append(f"{terminal_text(standard.id)} ({threshold_text(standard, lang)}): {counts}")
    return "\n".join(lines)


def scorecard_text(card: pd.DataFrame, lang: str = "zh") -> str:
    """Format the scorecard for a terminal: indicator, target, actual, result, zones passing."""
    from carecircles.labels import label

    zh = lang == "zh"
    header = tuple(label(k, lang) for k in ("indicator", "target", "actual", "result", "zones_passing"))
    widths = (34, 24, 14, 8, 9)
    verdicts = {True: label("pass", lang), False: label("fail", lang), None: label("not_assessed", lang)}
    lines = [" ".join(_pad(h, w, left=i < 2) for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    for row in card.itertuples():
        name = row.name_zh if zh else row.name_en
        passes = None if pd.isna(row.passes) else bool(row.passes)
        zones = "" if pd.isna(row.zones_assessed) else f"{row.zones_passing}/{row.zones_assessed}"
        cells = (
            terminal_text(name),
            terminal_text(row.target),
            terminal_text(row.actual),
            verdicts[passes],
            zones,
        )
        lines.append(
            " ".join(_pad(c, w, left=i < 2) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        )
    return "\n".join(lines)


def write_siting(siting: SitingResult, out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Write sites.csv, scenarios.csv, outreach.csv, catchments.geojson, upgrades.csv, siting.json.

    ``outreach.csv`` keeps each recommendation as a code and adds it in words (``lang``);
    ``siting.json`` keeps the stop reason as a code.

    Returns
    -------
    dict
        Output name → path.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "sites": out_dir / "sites.csv",
        "scenarios": out_dir / "scenarios.csv",
        "outreach": out_dir / "outreach.csv",
        "catchments": out_dir / "catchments.geojson",
        "upgrades": out_dir / "upgrades.csv",
        "summary": out_dir / "siting.json",
    }
    write_csv(siting.sites, paths["sites"])
    scenarios = siting.scenarios.copy()
    for column in scenarios.columns:
        if column.startswith(("covered_", "gain_")) or column == "population":
            scenarios[column] = scenarios[column].round(0)
        elif column.startswith("share_"):
            scenarios[column] = scenarios[column].round(4)
    write_csv(scenarios, paths["scenarios"])
    from carecircles.labels import recommendation_text

    outreach = siting.outreach.copy()
    outreach["recommendation_text"] = [recommendation_text(str(r), lang) for r in outreach["recommendation"]]
    write_csv(outreach, paths["outreach"])
    if siting.upgrades.empty:
        paths.pop("upgrades")
    else:
        write_csv(siting.upgrades, paths["upgrades"])
    catchments = siting.catchments.copy()
    catchments["population"] = catchments["population"].round(1)
    paths["catchments"].write_text(catchments.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    options = {k: getattr(siting.options, k) for k in siting.options.__dataclass_fields__}
    options["candidate_file"] = None if options["candidate_file"] is None else str(options["candidate_file"])
    summary = {
        "standard": siting.standard.id,
        "options": options,
        "stop_reason": siting.stop_reason,
        "candidates_considered": siting.candidates_considered,
        "candidates_excluded": siting.candidates_excluded,
        "population": round(siting.total_population, 1),
        "covered_before": round(siting.baseline_covered, 1),
        "covered_after": round(siting.baseline_covered + float(siting.sites["newly_covered"].sum()), 1),
        "exact": siting.exact,
    }
    paths["summary"].write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return paths


def siting_summary(siting: SitingResult, lang: str = "zh") -> str:
    """Format the ranked sites and the change per zone as plain text."""
    from carecircles.labels import stop_reason_text, threshold_text

    zh = lang == "zh"
    s = siting.standard
    total, before = siting.total_population, siting.baseline_covered
    after = before + float(siting.sites["newly_covered"].sum())
    share = f"{before:,.0f} / {total:,.0f} ({percent(before / total)})"
    lines = [
        f"{terminal_text(s.title_zh)} {threshold_text(s, 'zh')}: 现有及规划机构覆盖 {share}"
        if zh
        else f"{terminal_text(s.id)}: existing + planned cover {share}"
    ]
    header = (
        ("排名", "新增覆盖", "累计覆盖率", "区域", "候选点")
        if zh
        else ("rank", "new", "share", "zone", "site")
    )
    widths = (4, 10, 10)
    lines.append(
        " ".join(_pad(h, w) for h, w in zip(header, widths, strict=False))
        + "  "
        + _pad(header[3], 10, left=True)
        + " "
        + header[4]
    )
    for row in siting.sites.itertuples():
        where = f"{terminal_text(row.name)} ({row.lon:.5f}, {row.lat:.5f})"
        lines.append(
            f"{row.rank:>4} {row.newly_covered:>10,.0f} {percent(row.cumulative_share):>10}  "
            f"{_pad(terminal_text(row.zone_name), 10, left=True)} {where}"
        )
    change = f"{after:,.0f} ({percent(after / total)}, +{percent((after - before) / total)})"
    n = len(siting.sites)
    why = stop_reason_text(siting.stop_reason, "zh" if zh else "en")
    lines.append(
        f"新增 {n} 处后覆盖 {change}; 停止原因: {why}"
        if zh
        else f"after {n} new sites: {change} covered; stopped: {why}"
    )
    scenarios = siting.scenarios
    changed = scenarios[(scenarios["gain_from_proposed"] > 0.5) & (scenarios["zone_code"] != "ALL")]
    for row in changed.itertuples():
        lines.append(
            f"  {_pad(terminal_text(row.zone_name), 10, left=True)} {percent(row.share_planned):>6} → "
            f"{percent(row.share_proposed):>6}  (+{row.gain_from_proposed:,.0f})"
        )
    if len(siting.outreach):
        people = siting.outreach["population"].sum()
        lines.append(
            f"仍未覆盖 {people:,.0f} 人, 建议巡诊/巡回医疗或更多站点 (见 outreach.csv)"
            if zh
            else f"{people:,.0f} people still uncovered: outreach or more sites (see outreach.csv)"
        )
    if not siting.upgrades.empty:
        top = siting.upgrades.head(3)
        names = ", ".join(f"{terminal_text(r.name)} ({r.reach_population:,.0f})" for r in top.itertuples())
        lines.append(
            f"升级次中心候选 ({threshold_text(s, 'zh')}内可达人口): {names}"
            if zh
            else f"upgrade to sub-centre (people within {threshold_text(s, 'en')}): {names}"
        )
    if siting.exact:
        lines.extend(exact_lines(siting.exact, zh))
    return "\n".join(lines)


_FOUND_BY = {
    "zh": {
        "solver": "求解器的解",
        "greedy": "贪心解",
        "proposed": "所选站点",
        "lagrangian": "拉格朗日松弛所得站点",
    },
    "en": {
        "solver": "HiGHS's answer",
        "greedy": "greedy's answer",
        "proposed": "the proposed sites",
        "lagrangian": "the Lagrangian relaxation's sites",
    },
}
_STATUS_ZH = {
    "optimal": "最优",
    "time limit": "达到时间上限",
    "too large for the solver": "问题规模超出求解器在时限内可处理的范围，界由拉格朗日松弛给出",
}
_STATUS_EN = {"too large for the solver": "too large for the solver within the time: the bound is Lagrangian"}


def exact_lines(e: dict, zh: bool) -> list[str]:
    """Say in words what the integer programs proved, and what they did not within the time limit."""
    k, limit, greedy = e["k"], e["time_limit_s"], e["greedy_covered"]
    mclp, lscp = e["max_cover"], e["set_cover"]
    best, bound = mclp["covered"], mclp["bound"]
    at_most = int(np.ceil(bound - 1e-6))  # an upper bound is shown rounded up
    gap = "" if mclp["gap"] is None else percent(mclp["gap"], up=True)
    found = _FOUND_BY["zh" if zh else "en"]

    def status(part: dict) -> str:
        if zh:
            return _STATUS_ZH.get(part["status"], part["status"])
        return _STATUS_EN.get(part["status"], part["status"])

    of_best = percent(greedy / best) if best else percent(1.0)
    of_bound = percent(greedy / bound) if bound else percent(1.0)
    if mclp["proven_optimal"]:
        first = (
            f"精确解 (整数规划 HiGHS, {mclp['seconds']:.2f} 秒): {k} 处最多新增覆盖 {best:,.0f} 人 "
            f"(已证明最优); 贪心 {greedy:,.0f} ({of_best})"
            if zh
            else f"exact (integer program, HiGHS, {mclp['seconds']:.2f} s): {k} sites newly cover at most "
            f"{best:,.0f} (proven optimal); greedy {greedy:,.0f} ({of_best} of the optimum)"
        )
    else:
        first = (
            f"整数规划 (HiGHS): {k} 处的最好解新增覆盖 {best:,.0f} 人 ({found[mclp['found_by']]}), "
            f"{limit:g} 秒内未证明最优 ({status(mclp)}); 最优不超过 {at_most:,} (差距 {gap}); "
            f"贪心 {greedy:,.0f}, 至少为最优的 {of_bound}"
            if zh
            else f"integer program (HiGHS): the best {k} sites found newly cover {best:,.0f} "
            f"({found[mclp['found_by']]}), not proven optimal within {limit:g} s ({status(mclp)}); "
            f"the optimum is at most {at_most:,} (gap {gap}); greedy {greedy:,.0f} is at least "
            f"{of_bound} of it"
        )
    n, least = lscp["sites_needed"], lscp["bound"]
    if lscp["proven_optimal"]:
        second = (
            f"覆盖全部可达人口最少需 {n} 处 (已证明最优)"
            if zh
            else f"covering everyone coverable takes {n} sites (proven optimal)"
        )
    else:
        second = (
            f"覆盖全部可达人口: 找到 {n} 处的方案 ({found[lscp['found_by']]}), {limit:g} 秒内未证明最优 "
            f"({status(lscp)}); 至少需 {least:.0f} 处"
            if zh
            else f"covering everyone coverable: {n} sites found ({found[lscp['found_by']]}), not proven "
            f"optimal within {limit:g} s ({status(lscp)}); at least {least:.0f} are needed"
        )
    return [first, second]
