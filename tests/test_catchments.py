"""Catchments and load against an independent reference (networkx Dijkstra per facility)."""

import numpy as np
import pandas as pd
import pytest

from carecircles._errors import DataIssues
from carecircles.analysis import load_inputs, nearest_facilities
from carecircles.catchments import LEVELS, catchments
from carecircles.roads import read_roads

from _reference import costs_by_facility


@pytest.fixture(scope="module")
def inputs(flat_config):
    return load_inputs(flat_config)  # the networkx reference walks and rides on the flat


def _resources(facilities):
    beds = pd.to_numeric(facilities["beds"], errors="coerce")
    return pd.DataFrame({"beds": beds, "doctors": np.nan}, index=facilities.index)


@pytest.fixture(scope="module")
def result(inputs):
    nearest = nearest_facilities(inputs, issues=DataIssues())
    return catchments(
        nearest,
        inputs.cells,
        inputs.zones,
        _resources(inputs.facilities),
        mode="ebike",
        villages=inputs.villages,
    )


@pytest.mark.parametrize("level", list(LEVELS))
def test_villages_go_to_the_nearest_centre_by_networkx(inputs, flat_config, result, level):
    sample_config = flat_config
    facilities = inputs.facilities
    rows = np.flatnonzero(facilities["used"] & facilities["type"].isin(LEVELS[level]))
    villages = inputs.villages
    reference = costs_by_facility(
        read_roads(sample_config.roads, DataIssues()),
        "ebike",
        facilities.geometry.x.to_numpy()[rows],
        facilities.geometry.y.to_numpy()[rows],
        villages.geometry.x,
        villages.geometry.y,
        inputs.crs,
        snap_radius=sample_config.options.snap_radius_m,
        fac_snap_radius=sample_config.options.facility_snap_radius_m,
    )
    ours = result.village_facility[level]
    best = np.sort(reference, axis=1)
    # geodesic (reference) and UTM (ours) lengths differ by ~1e-4: skip near-ties
    clear = (best[:, 1] - best[:, 0]) > 1e-3 * best[:, 0] + 1.0
    expected = rows[np.argmin(reference, axis=1)]
    assert clear.sum() > 0.9 * len(villages)
    np.testing.assert_array_equal(ours[clear], expected[clear])
    served = result.table[result.table["level"] == level].set_index("facility_id")["villages"]
    counts = pd.Series(facilities["facility_id"].to_numpy()[ours]).value_counts()
    assert served.sum() == len(villages) == counts.sum()
    pd.testing.assert_series_equal(
        served[served > 0].sort_index(), counts.sort_index(), check_names=False, check_dtype=False
    )


@pytest.mark.parametrize("level", list(LEVELS))
def test_every_person_is_counted_once_and_polygons_carry_the_figures(inputs, result, level):
    table = result.table[result.table["level"] == level]
    assert table["population"].sum() + result.unassigned[level] == pytest.approx(
        inputs.cells.total, rel=1e-12
    )
    owner = result.cell_facility[level]
    expected = (
        pd.Series(inputs.cells.population[owner >= 0])
        .groupby(inputs.facilities["facility_id"].to_numpy()[owner[owner >= 0]])
        .sum()
    )
    ours = table.set_index("facility_id")["population"]
    pd.testing.assert_series_equal(
        ours[ours > 0].sort_index(), expected.sort_index(), check_names=False, rtol=1e-12
    )
    shapes = result.polygons[result.polygons["level"] == level].set_index("facility_id")["population"]
    pd.testing.assert_series_equal(shapes.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9)


def test_load_flag_follows_the_documented_rule(result):
    for _, table in result.table.groupby("level"):
        beds = table["beds"].to_numpy(dtype=float)
        known = np.isfinite(beds)
        county = table["population"].to_numpy()[known].sum() / beds[known].sum()
        np.testing.assert_allclose(table["county_people_per_bed"], county)
        for row in table.itertuples():
            if not np.isfinite(row.beds):
                assert row.load == "not assessed" and np.isnan(row.people_per_bed)
                continue
            per_bed = row.population / row.beds if row.beds > 0 else np.inf
            assert row.people_per_bed == pytest.approx(per_bed)
            assert row.load == ("high" if per_bed > 1.5 * county else "ok")
    assert (result.table["load"] == "high").any()  # the sample has overloaded centres to show


def test_a_missing_figure_is_never_judged_on_the_other_alone(inputs):
    from carecircles.scorecard import load_rows

    nearest = nearest_facilities(inputs, issues=DataIssues())
    resources = _resources(inputs.facilities)
    resources["doctors"] = 5.0
    found = catchments(nearest, inputs.cells, inputs.zones, resources, mode="ebike", polygons=False)
    hospitals = found.table[found.table["level"] == "hospital"]
    assert set(hospitals["load"]) == {"ok", "high"}
    tcm = inputs.facilities.index[inputs.facilities["type"] == "tcm_hospital"][0]
    resources.loc[tcm, "beds"] = np.nan  # the high one loses its beds figure
    found = catchments(nearest, inputs.cells, inputs.zones, resources, mode="ebike", polygons=False)
    hospitals = found.table[found.table["level"] == "hospital"].set_index("type")
    assert hospitals.loc["tcm_hospital", "load"] == "not assessed"  # not "ok" on doctors alone
    row = load_rows(found.table, 1.5, "en")[1]
    assert row["indicator"] == "load.hospital" and row["passes"] is pd.NA
    assert "not assessed" in row["note"] and hospitals.loc["tcm_hospital", "name"] in row["note"]


def test_missing_beds_are_not_assessed_never_zero(inputs):
    nearest = nearest_facilities(inputs, issues=DataIssues())
    resources = pd.DataFrame({"beds": np.nan, "doctors": np.nan}, index=inputs.facilities.index)
    found = catchments(nearest, inputs.cells, inputs.zones, resources, mode="ebike", polygons=False)
    assert (found.table["load"] == "not assessed").all()
    assert found.table["people_per_bed"].isna().all()
    assert found.table["county_people_per_bed"].isna().all()


def test_a_zone_without_its_centre_is_served_from_its_neighbours(inputs):
    facilities = inputs.facilities.copy()
    zone = "220622103"  # 那尔轰镇: close its only township centre
    inside = facilities["type"].isin(LEVELS["township"]) & (facilities["name"].str.startswith("那尔轰"))
    assert inside.sum() == 1
    facilities.loc[inside, "used"] = False
    nearest = nearest_facilities(inputs, facilities, DataIssues())
    found = catchments(
        nearest, inputs.cells, inputs.zones, _resources(facilities), mode="ebike", villages=inputs.villages
    )
    table = found.table[found.table["level"] == "township"]
    assert facilities.loc[inside, "facility_id"].iloc[0] not in set(table["facility_id"])
    in_zone = inputs.cells.zone == inputs.zones.index[inputs.zones["zone_code"] == zone][0]
    owners = found.cell_facility["township"][in_zone]
    assert (owners >= 0).all() and not inside.to_numpy()[owners].any()
    assert table["population"].sum() + found.unassigned["township"] == pytest.approx(inputs.cells.total)
