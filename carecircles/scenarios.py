"""Speed scenarios (e.g. winter): the same study with slower or closed roads, side by side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from carecircles._errors import DataIssues
from carecircles._progress import Progress
from carecircles._schema_terrain import ScenarioEntry
from carecircles.network import OFFROAD_WALK_KMH, Network, build_network

if TYPE_CHECKING:
    from carecircles.analysis import StudyInputs


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's assessment.

    Attributes
    ----------
    id, title
        The scenario's id (a column prefix in zones.csv) and its display name.
    zone_results
        One row per standard × zone, as the base case's (:data:`carecircles.assessment.ZONE_COLUMNS`).
    areas
        Covered and uncovered areas per time standard (EPSG:4326).
    closed_segments
        Road segments closed in this scenario.
    """

    id: str
    title: str
    zone_results: pd.DataFrame
    areas: gpd.GeoDataFrame
    closed_segments: int

    @property
    def gaps(self) -> gpd.GeoDataFrame:
        """Uncovered populated areas."""
        return self.areas[self.areas["status"] == "uncovered"].reset_index(drop=True)


def class_factors(scenario: ScenarioEntry, mode: str) -> dict[str, float]:
    """Speed factor by road class of ``mode`` in ``scenario`` (``*``: the rest; 0: closed).

    Walking also takes ``walk_factor``.
    """
    given = scenario.speed_factors.get(mode, 1.0)
    factors = dict(given) if isinstance(given, Mapping) else {"*": float(given)}
    factors.setdefault("*", 1.0)
    if mode == "walk":
        factors = {k: v * scenario.walk_factor for k, v in factors.items()}
    factors.update(dict.fromkeys(scenario.closed, 0.0))
    return factors


def scenario_networks(inputs: StudyInputs, scenario: ScenarioEntry, issues: DataIssues) -> dict[str, Network]:
    """Rebuild the study's networks with the scenario's speeds (same roads, terrain and modes)."""
    config, roads = inputs.config, inputs.roads
    assert roads is not None  # load_inputs keeps the roads
    return {
        mode: build_network(
            roads,
            mode,
            inputs.crs,
            issues,
            speeds=config.speeds.get(mode),
            terrain=inputs.terrain,
            factors=class_factors(scenario, mode),
            offroad_kmh=OFFROAD_WALK_KMH * scenario.walk_factor,
        )
        for mode in inputs.networks
    }


def run_scenarios(inputs: StudyInputs, progress: Progress | None = None) -> dict[str, ScenarioResult]:
    """Assess every scenario of the config on the study's inputs and facilities.

    Each scenario's own data issues (e.g. fragments cut off by a closed road class) are kept
    apart from the study's; one summary line per scenario joins the study's issues.
    """
    from carecircles.analysis import assess

    progress = progress or Progress(stream=None)
    results: dict[str, ScenarioResult] = {}
    for scenario in inputs.config.scenarios:
        title = scenario.title or scenario.id
        with progress.step(f"Scenario {title}"):
            own = DataIssues()
            networks = scenario_networks(inputs, scenario, own)
            found = assess(replace(inputs, networks=networks), issues=own, polygons=True)
            closed = _closed_segments(inputs, scenario)
            inputs.issues.add(
                "info",
                inputs.config.source,
                f"scenario {scenario.id}: walking ×{scenario.walk_factor:g}, "
                f"{closed:,} road segments closed ({', '.join(scenario.closed) or 'none'})",
                zh=(
                    f"情景 {scenario.id}：步行速度 ×{scenario.walk_factor:g}，"
                    f"封闭 {closed:,} 段道路（{'、'.join(scenario.closed) or '无'}）"
                ),
                field=f"scenarios.{scenario.id}",
                action="kept",
            )
            results[scenario.id] = ScenarioResult(scenario.id, title, found.zone_results, found.areas, closed)
    return results


def _closed_segments(inputs: StudyInputs, scenario: ScenarioEntry) -> int:
    if inputs.roads is None or not scenario.closed:
        return 0
    closed = set(scenario.closed)
    return int(sum(bool(closed & set(str(c).split(";"))) for c in inputs.roads.highway))
