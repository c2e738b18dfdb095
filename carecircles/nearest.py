"""Nearest open facility of every place: travel time or road distance, and how it splits.

:class:`NearestFacilities` turns one facility table into node and place costs for any travel
mode and set of facility types: one multi-source Dijkstra pass per (mode, types, weight,
limit), cached, shared by every standard and every output that asks the same question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues
from carecircles.network import KeptForPlaces, Network
from carecircles.standards import Standard
from carecircles.traveltime import (
    NodeCosts,
    PlaceCosts,
    Weight,
    nearest_facility_costs,
    place_costs,
)


@dataclass(frozen=True)
class Route:
    """How each place's trip to its nearest facility splits, in seconds.

    ``walk_to_road + network + walk_to_door == total`` for every reached place; a place that
    walks straight to the facility (within the snap radius) has it all in ``walk_to_road``
    and ``direct`` set. Unreached places have ``inf`` / ``nan`` parts and facility ``-1``.
    """

    total: NDArray[np.float64]
    walk_to_road: NDArray[np.float64]
    network: NDArray[np.float64]
    walk_to_door: NDArray[np.float64]
    facility: NDArray[np.int64]
    direct: NDArray[np.bool_]


class NearestFacilities:
    """Costs from nodes and places to the nearest open facility of a type set.

    Parameters
    ----------
    networks
        One network per travel mode.
    facilities
        Facilities (EPSG:4326) with ``facility_id``, ``name``, ``type``, ``row`` and ``used``
        (open); only used facilities are ever a destination.
    crs
        The networks' local CRS.
    snap_radius_m
        Places farther than this from every road node are unreachable (unless they can walk
        straight to a facility within it).
    facility_snap_radius_m
        Facilities farther than this from every road usable by a mode are left out of that
        mode's costs, with a data issue.
    horizon_s
        Default search limit for travel times (seconds): places beyond it get ``inf``.
    issues, source
        Where facilities left out are reported, and the facility file they come from.
    """

    def __init__(
        self,
        networks: dict[str, Network],
        facilities: gpd.GeoDataFrame,
        crs: CRS,
        *,
        snap_radius_m: float,
        facility_snap_radius_m: float,
        horizon_s: float,
        issues: DataIssues,
        source: Path | str | None = None,
    ) -> None:
        self.networks = networks
        self.facilities = facilities
        self.crs = crs
        self.fx, self.fy = project_lonlat(facilities.geometry.x, facilities.geometry.y, crs)
        self.snap_radius_m = snap_radius_m
        self.facility_snap_radius_m = facility_snap_radius_m
        self.horizon_s = horizon_s
        self.issues = issues
        self.source = source
        self._node_costs: dict[tuple, tuple[NodeCosts, NDArray[np.int64]]] = {}
        self.unsnapped: set[str] = set()  # ids of facilities too far from any usable road
        self._no_facility_reported: set[str] = set()  # standards with no usable facility
        self._kept_near = KeptForPlaces()  # the population places near any open facility

    def selection(self, types: frozenset[str]) -> NDArray[np.int64]:
        """Rows of the open facilities of ``types``."""
        return np.flatnonzero(
            self.facilities["used"].to_numpy() & self.facilities["type"].isin(types).to_numpy()
        )

    def node_costs(
        self, mode: str, types: frozenset[str], weight: Weight, limit: float
    ) -> tuple[NodeCosts, NDArray[np.int64]]:
        """Node costs to the nearest open facility of ``types``, and the facility rows used."""
        key = (mode, types, weight, limit)
        if key not in self._node_costs:
            chosen = self.selection(types)
            costs = nearest_facility_costs(
                self.networks[mode],
                self.fx[chosen],
                self.fy[chosen],
                limit=limit,
                snap_radius_m=self.facility_snap_radius_m,
                weight=weight,
            )
            self._report_unsnapped(chosen[costs.facility_node < 0], mode)
            self._node_costs[key] = (costs, chosen)
        return self._node_costs[key]

    def _report_unsnapped(self, rows: NDArray[np.int64], mode: str) -> None:
        for i in rows:
            fid = self.facilities["facility_id"].iloc[i]
            if fid in self.unsnapped:
                continue
            self.unsnapped.add(fid)
            self.issues.add(
                "warning",
                self.source,
                f"facility is more than {self.facility_snap_radius_m:g} m from any road usable by "
                f"{mode}: left out of travel times and road distances (straight-line distances "
                "still count it)",
                zh=(
                    f"机构距离{mode}可用道路超过 {self.facility_snap_radius_m:g} 米"
                    "：不计入出行时间和道路距离（直线距离仍计入）"
                ),
                row=int(self.facilities["row"].iloc[i]),
                field="geometry",
                value=self.facilities["name"].iloc[i],
                action="excluded",
            )

    def place(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        *,
        mode: str,
        types: frozenset[str],
        weight: Weight = "seconds",
        limit: float | None = None,
        direct_walk: bool = True,
    ) -> PlaceCosts:
        """Costs from places (local CRS) to the nearest open facility of ``types``.

        ``limit`` defaults to the horizon (seconds); ``facility`` in the result indexes the
        facility table.
        """
        limit = self.horizon_s if limit is None else limit
        costs, chosen = self.node_costs(mode, types, weight, limit)
        result = place_costs(
            self.networks[mode],
            costs,
            x,
            y,
            self.fx[chosen],
            self.fy[chosen],
            snap_radius_m=self.snap_radius_m,
            direct_walk=direct_walk,
            maybe_near=self._near_any(x, y) if direct_walk else None,
        )
        found = result.facility >= 0
        facility = np.full(len(result.facility), -1, dtype=np.int64)
        facility[found] = chosen[result.facility[found]]
        return replace(result, facility=facility)

    def _near_any(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_] | None:
        """Places within the snap radius of any open facility (kept for the population places).

        Asked once for the population places, then each type set's straight-walk lookup asks
        only these (a quarter of a province's cells) instead of all of them.
        """
        kept = self._kept_near.get(x, y)
        if kept is not None:
            return kept[0]
        used = self.facilities["used"].to_numpy()
        if not self._kept_near.worth_keeping(x) or not used.any():
            return None
        distance, _ = cKDTree(np.column_stack([self.fx[used], self.fy[used]])).query(
            np.column_stack([x, y]), distance_upper_bound=self.snap_radius_m, workers=-1
        )
        near = np.isfinite(distance)
        self._kept_near.keep(x, y, None, (near,))
        return near

    def times(self, standard: Standard, x: NDArray[np.float64], y: NDArray[np.float64]) -> PlaceCosts:
        """Travel time from places to the nearest facility of a time standard, up to the horizon."""
        return self.place(
            x, y, mode=standard.mode, types=frozenset(standard.facility_types), limit=self.limit_for(standard)
        )

    def limit_for(self, standard: Standard) -> float:
        """Search limit of a time standard: the horizon, never less than its threshold."""
        return max(self.horizon_s, standard.threshold_seconds)

    def route(self, standard: Standard, costs: PlaceCosts) -> Route:
        """Split travel times (from :meth:`times`) into their parts.

        The walk to the road, the network, and the walk from the road to the facility's door.
        """
        reached = np.isfinite(costs.cost)
        direct = reached & costs.direct
        on_road = reached & ~costs.direct
        to_road = np.full(len(costs.cost), np.nan)
        door = np.full(len(costs.cost), np.nan)
        to_road[on_road] = costs.to_road[on_road]
        to_road[direct] = costs.cost[direct]
        door[on_road] = costs.door[on_road]
        door[direct] = 0.0
        network = np.where(reached, np.maximum(costs.cost - to_road - door, 0.0), np.nan)
        return Route(
            total=costs.cost,
            walk_to_road=to_road,
            network=network,
            walk_to_door=door,
            facility=costs.facility,
            direct=direct,
        )

    def report_if_none(self, standard: Standard) -> None:
        """Record once per standard that it has no open, reachable facility.

        An error-level data issue; every place is then uncovered (0 %), and the run goes on.
        """
        if standard.id in self._no_facility_reported:
            return
        types = frozenset(standard.facility_types)
        chosen = self.selection(types)
        if standard.metric == "time":
            costs, _ = self.node_costs(standard.mode, types, "seconds", self.limit_for(standard))
            reachable = int((costs.facility_node >= 0).sum())
        else:
            reachable = len(chosen)
        if reachable:
            return
        self._no_facility_reported.add(standard.id)
        why = (
            "no open facility of these types"
            if len(chosen) == 0
            else f"its {len(chosen)} open facilities of these types are all too far from a road "
            f"usable by {standard.mode}"
        )
        self.issues.add(
            "error",
            self.source,
            f"standard {standard.id}: {why}; every zone fails and everyone is counted uncovered "
            "(0 % covered). Check the facility rows of these types (coordinates, status, type)",
            zh=(
                f"标准 {standard.id}：{why}；所有区域不达标，全部人口按未覆盖计"
                "（覆盖率0%）。请检查这些类型的机构行（坐标、状态、类型）"
            ),
            field="type",
            value=", ".join(sorted(types)),
            action="kept",
        )

    def road_distance_of_facilities(self) -> NDArray[np.float64]:
        """Straight distance from each facility to the nearest walkable road node (metres)."""
        network = self.networks.get("walk") or next(iter(self.networks.values()))
        _, dist = network.snap(self.fx, self.fy, np.inf)
        return np.round(dist, 1)
