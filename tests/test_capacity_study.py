"""Capacity-aware access on the sample: the wiring against a facility-by-facility brute force."""

import numpy as np
import pandas as pd
import pytest

from carecircles._errors import DataIssues
from carecircles.analysis import load_inputs, nearest_facilities
from carecircles.capacity import Decay
from carecircles.resources import resource_values


@pytest.fixture(scope="module")
def inputs(sample_config):
    return load_inputs(sample_config)


def test_access_equals_a_brute_force_over_each_facility_alone(inputs, sample_result):
    found = sample_result.capacity
    standard = next(s for s in inputs.config.standards if s.id == found.standard)
    facilities = sample_result.facilities
    beds = resource_values(facilities)["beds"].to_numpy(dtype=float)
    cells = inputs.cells
    weights = Decay.luo_qi(standard.threshold_seconds)
    rows = np.flatnonzero(facilities["used"] & facilities["type"].isin(standard.facility_types))
    # each facility alone: its travel time to every cell, as the assessment computes it
    times = {}
    for i in rows:
        if not np.isfinite(beds[i]):
            continue
        alone = facilities.copy()
        alone["used"] = False
        alone.loc[alone.index[i], "used"] = True
        cost = nearest_facilities(inputs, alone, DataIssues()).times(standard, cells.x, cells.y).cost
        times[i] = np.where(
            cost <= standard.threshold_seconds + 1e-6, np.minimum(cost, standard.threshold_seconds), np.inf
        )
    ratio = {}
    for i, t in times.items():
        demand = (weights.weight(t) * cells.population).sum()
        if demand > 0:
            ratio[i] = beds[i] / demand
    expected = np.zeros(len(cells.population))
    for i, r in ratio.items():
        expected += weights.weight(times[i]) * r * 1000
    np.testing.assert_allclose(found.access, expected, rtol=1e-9, atol=1e-12)
    # every bed of a facility that reaches anyone is counted once
    assert (found.access * cells.population).sum() / 1000 == pytest.approx(
        sum(beds[i] for i in ratio), rel=1e-9
    )
    assert found.without_value == int((~np.isfinite(beds[rows])).sum())


def test_zone_figures_and_village_column(sample_result):
    found = sample_result.capacity
    cells = sample_result.cells
    frame = pd.DataFrame({"zone": cells.zone, "p": cells.population, "a": found.access})
    by_zone = frame.groupby("zone").apply(lambda d: (d.a * d.p).sum() / d.p.sum(), include_groups=False)
    np.testing.assert_allclose(found.zones.mean[by_zone.index], by_zone.to_numpy(), rtol=1e-12)
    assert 0 < found.zones.county_share_zero < 0.1  # a few remote cells reach no bed within 30 min
    villages = sample_result.villages
    assert (villages["beds_access_per_1000"] >= 0).all()
    outside = villages["rural-30min_minutes"] > 30
    assert (villages.loc[outside, "beds_access_per_1000"] == 0).all()
