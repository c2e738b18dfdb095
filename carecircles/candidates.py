"""Candidate sites for new facilities: villages, zone centres, road nodes, or a file of your own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues, InputError
from carecircles._tables import find_column, text_values
from carecircles.analysis import StudyInputs
from carecircles.facilities import NAME_NAMES
from carecircles.network import Network
from carecircles.points import read_points
from carecircles.schema import CANDIDATE_KINDS, SitingOptions


def candidate_sites(
    inputs: StudyInputs, network: Network, options: SitingOptions
) -> tuple[gpd.GeoDataFrame, int]:
    """Candidate sites inside the study area and near a road, with their zone.

    Returns
    -------
    tuple
        Candidates (``site_id``, ``name``, ``source``, ``zone_code``, ``zone_name``, ``x``,
        ``y`` in the local CRS, geometry in EPSG:4326) and the number excluded; each exclusion
        reason is recorded in the inputs' data issues.
    """
    pieces = []
    for kind in options.candidates:
        if kind not in CANDIDATE_KINDS:
            raise InputError(f"unknown candidate kind {kind!r}; known: {', '.join(CANDIDATE_KINDS)}")
        pieces.append(_CANDIDATE_MAKERS[kind](inputs, network, options))
    if options.candidate_file is not None:
        pieces.append(read_candidates(options.candidate_file, inputs.issues))
    frame = pd.concat([p for p in pieces if len(p)], ignore_index=True) if pieces else pd.DataFrame()
    if frame.empty:
        raise InputError("no candidate sites: choose candidate kinds or give a candidate file")
    frame = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)
    frame["x"], frame["y"] = project_lonlat(frame["lon"], frame["lat"], inputs.crs)
    joined = gpd.sjoin(
        frame, inputs.zones[["zone_code", "zone_name", "geometry"]], how="left", predicate="within"
    )
    frame = joined[~joined.index.duplicated()].drop(columns="index_right")
    radius = inputs.config.options.facility_snap_radius_m
    _, road = network.snap(frame["x"].to_numpy(), frame["y"].to_numpy(), radius)
    outside = frame["zone_code"].isna().to_numpy()
    far = ~outside & ~np.isfinite(road)
    key = np.round(frame[["x", "y"]].to_numpy()).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    duplicate = np.ones(len(frame), dtype=bool)
    duplicate[first] = False
    for mask, why in ((outside, "outside the study area"), (far, f"more than {radius:g} m from a road")):
        if mask.any():
            inputs.issues.add(
                "info",
                "siting",
                f"{int(mask.sum())} candidate sites {why}: not considered",
                zh=f"{int(mask.sum())} 个候选点{why}：不予考虑",
                value=", ".join(frame["name"].to_numpy()[mask][:5].astype(str)),
                action="excluded",
            )
    keep = ~outside & ~far & ~duplicate
    out = frame[keep].reset_index(drop=True)
    out["site_id"] = [f"C{i + 1:05d}" for i in range(len(out))]
    if out.empty:
        raise InputError("every candidate site is outside the study area or far from a road")
    return out, int((~keep).sum())


def _village_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    villages = inputs.villages
    if villages is None or villages.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "name": villages["name"].to_numpy(),
            "source": "village",
            "lon": villages.geometry.x.to_numpy(),
            "lat": villages.geometry.y.to_numpy(),
        }
    )


def _zone_centre_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    cells = inputs.cells
    # the first of the most populated cells of each zone (a groupby: no sort of millions of cells)
    first = pd.Series(cells.population).groupby(cells.zone, sort=True).idxmax().to_numpy()
    lon, lat = Transformer.from_crs(inputs.crs, 4326, always_xy=True).transform(
        cells.x[first], cells.y[first]
    )
    names = inputs.zones["zone_name"].to_numpy()[cells.zone[first]]
    return pd.DataFrame(
        {"name": [f"{n}驻地（人口最密处）" for n in names], "source": "zone_centre", "lon": lon, "lat": lat}
    )


def _road_node_candidates(inputs: StudyInputs, network: Network, options: SitingOptions) -> pd.DataFrame:
    spacing = options.road_node_spacing_m
    cells = np.floor(np.column_stack([network.x, network.y]) / spacing).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    lon, lat = Transformer.from_crs(inputs.crs, 4326, always_xy=True).transform(
        network.x[first], network.y[first]
    )
    names = [f"路网点 {i}" for i in first]
    villages = inputs.villages
    if villages is not None and not villages.empty:  # name a road point after the nearest village
        vx, vy = project_lonlat(villages.geometry.x, villages.geometry.y, inputs.crs)
        points = np.column_stack([network.x[first], network.y[first]])
        dist, near = cKDTree(np.column_stack([vx, vy])).query(points)
        village = villages["name"].to_numpy()[near]
        names = [f"{v}附近路网点（{d / 1000:.1f} km）" for v, d in zip(village, dist, strict=True)]
    return pd.DataFrame({"name": names, "source": "road_node", "lon": lon, "lat": lat})


_CANDIDATE_MAKERS: dict[str, Callable[[StudyInputs, Network, SitingOptions], pd.DataFrame]] = {
    "villages": _village_candidates,
    "zone_centres": _zone_centre_candidates,
    "road_nodes": _road_node_candidates,
}


def read_candidates(path: Path, issues: DataIssues | None = None) -> pd.DataFrame:
    """Read user candidate sites: lon/lat (any datum column) or points, and an optional name.

    Read by the shared point reader (:func:`carecircles.points.read_points`); rows without
    a usable position are excluded and recorded in ``issues``.
    """
    issues = DataIssues() if issues is None else issues
    points = read_points(path, issues, what="candidate")
    table, offset = points.table, int(points.rows[0])
    name_col = find_column(points.lookup, None, NAME_NAMES, points.path, "name", required=False)
    numbered = [f"候选点 {i + offset}" for i in range(len(table))]
    names = text_values(table[name_col], numbered) if name_col else numbered
    frame = pd.DataFrame({"name": list(names), "source": "file", "lon": points.lon, "lat": points.lat})
    return frame[points.keep].reset_index(drop=True)
