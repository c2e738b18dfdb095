"""Minutes to a report horizon, the facility reached, and how each trip splits."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from carecircles._crs import project_lonlat
from carecircles._errors import DataIssues
from carecircles.analysis import run_study
from carecircles.assessment import route_minutes, tenths_up
from carecircles.config import load_config
from carecircles.nearest import Route
from carecircles.network import OFFROAD_WALK_KMH
from carecircles.roads import read_roads

from _helpers import write_study
from _reference import costs_by_facility

PARTS = ["walk_to_road", "network", "walk_to_door"]


@pytest.mark.parametrize("standard_id", ["rural-30min", "emergency-2h"])  # the sample's villages are rural
def test_parts_add_up_to_the_minutes_shown_in_every_row(sample_result, standard_id):
    villages = sample_result.villages
    minutes = villages[f"{standard_id}_minutes"]
    parts = villages[[f"{standard_id}_{p}_minutes" for p in PARTS]]
    shown = minutes.notna()
    assert shown.sum() > 0
    assert (parts[shown] >= 0).all().all()
    np.testing.assert_array_equal(
        np.round(parts[shown].sum(axis=1).to_numpy() * 10), np.round(minutes[shown].to_numpy() * 10)
    )
    assert parts[~shown].isna().all().all()
    assert (villages.loc[shown, f"{standard_id}_facility_id"] != "").all()
    assert set(villages.loc[shown, f"{standard_id}_mode"]) <= {
        "walk",
        sample_result.config.standards[
            [s.id for s in sample_result.config.standards].index(standard_id)
        ].mode,
    }


def test_minutes_beyond_the_threshold_are_reported_and_flags_follow_them(sample_result):
    villages = sample_result.villages
    minutes, covered = villages["rural-30min_minutes"], villages["rural-30min_covered"]
    rural = villages["zone_type"] == "rural"
    assert minutes[rural].notna().all()  # every rural village reached within the 60-minute horizon
    assert (minutes[rural] > 30).any()
    # minutes are rounded up to the tenth, so "≤ 30.0" on screen is exactly "covered"
    np.testing.assert_array_equal((minutes[rural] <= 30.0).to_numpy(), covered[rural].astype(bool).to_numpy())


def test_a_shorter_horizon_changes_no_coverage_figure(tmp_path, sample_result):
    config = load_config(write_study(tmp_path, options={"report_horizon_min": 1}))
    short = run_study(config)
    pd.testing.assert_frame_equal(short.zone_results, sample_result.zone_results)
    villages = short.villages
    beyond = villages["rural-30min_covered"].eq(False).fillna(False).astype(bool)
    assert beyond.any() and villages.loc[beyond, "rural-30min_minutes"].isna().all()
    kept = villages["rural-30min_covered"].eq(True).fillna(False).astype(bool)
    pd.testing.assert_series_equal(
        villages.loc[kept, "rural-30min_minutes"], sample_result.villages.loc[kept, "rural-30min_minutes"]
    )


def test_facility_reached_and_walks_agree_with_networkx(flat_result, flat_config):
    sample_result, sample_config = flat_result, flat_config  # the reference is flat: no DEM
    standard = next(s for s in sample_config.standards if s.id == "rural-30min")
    facilities = sample_result.facilities
    rows = np.flatnonzero(facilities["used"] & facilities["type"].isin(standard.facility_types))
    villages = sample_result.villages
    roads = read_roads(sample_config.roads, DataIssues())
    reference = costs_by_facility(
        roads,
        standard.mode,
        facilities.geometry.x.to_numpy()[rows],
        facilities.geometry.y.to_numpy()[rows],
        villages.geometry.x,
        villages.geometry.y,
        sample_result.crs,
        snap_radius=sample_config.options.snap_radius_m,
        fac_snap_radius=sample_config.options.facility_snap_radius_m,
    )
    best = np.sort(reference, axis=1)
    clear = (best[:, 1] - best[:, 0]) > 1e-3 * best[:, 0] + 1.0
    ids = facilities["facility_id"].to_numpy()[rows[np.argmin(reference, axis=1)]]
    ours = villages[f"{standard.id}_facility_id"].to_numpy()
    assert clear.sum() > 0.9 * len(villages)
    np.testing.assert_array_equal(ours[clear], ids[clear])
    # total minutes: the reference (geodesic lengths) within rounding and 0.05 %
    np.testing.assert_allclose(
        villages[f"{standard.id}_minutes"], best[:, 0] / 60, atol=0.1 + 5e-4 * best[:, 0].max() / 60
    )
    # the two walks, from the straight distances to the nearest road node
    x, y = project_lonlat(roads.node_lon, roads.node_lat, sample_result.crs)
    tree = cKDTree(np.column_stack([x, y]))
    vx, vy = project_lonlat(villages.geometry.x, villages.geometry.y, sample_result.crs)
    per_min = 60 * OFFROAD_WALK_KMH / 3.6  # metres walked per minute
    to_road = tree.query(np.column_stack([vx, vy]))[0] / per_min
    reached = facilities.set_index("facility_id").loc[ours]
    fx, fy = project_lonlat(reached.geometry.x, reached.geometry.y, sample_result.crs)
    door = tree.query(np.column_stack([fx, fy]))[0] / per_min
    road = villages[f"{standard.id}_mode"].to_numpy() != "walk"
    np.testing.assert_allclose(
        villages[f"{standard.id}_walk_to_road_minutes"][road], to_road[road], atol=0.11
    )
    np.testing.assert_allclose(villages[f"{standard.id}_walk_to_door_minutes"][road], door[road], atol=0.11)


@given(
    st.lists(
        st.tuples(st.floats(0, 3600), st.floats(0, 20000), st.floats(0, 3600), st.booleans()),
        min_size=1,
        max_size=50,
    )
)
def test_route_minutes_share_the_rounded_total(trips):
    walk, network, door, direct = (np.array(v) for v in zip(*trips, strict=True))
    network = np.where(direct, 0.0, network)
    door = np.where(direct, 0.0, door)
    total = walk + network + door
    route = Route(
        total=total,
        walk_to_road=walk,
        network=network,
        walk_to_door=door,
        facility=np.zeros(len(total), dtype=np.int64),
        direct=direct.astype(bool),
    )
    out = route_minutes(route)
    np.testing.assert_array_equal(out["total"], tenths_up(total))
    summed = out["walk_to_road"] + out["network"] + out["walk_to_door"]
    np.testing.assert_allclose(summed, out["total"], atol=1e-9)
    for name, exact in (("walk_to_road", walk), ("network", network), ("walk_to_door", door)):
        assert (out[name] >= 0).all()
        assert (np.abs(out[name] - exact / 60) <= 0.1 + 1e-9).all()
    assert (out["walk_to_door"][direct] == 0).all() and (out["network"][direct] == 0).all()
    # never shown as quicker than it is (beyond the 6 µs float tolerance of inclusive thresholds)
    assert (out["total"] >= total / 60 - 2e-7).all()


def test_unreached_places_have_no_minutes():
    route = Route(
        total=np.array([np.inf, 60.0]),
        walk_to_road=np.array([np.nan, 60.0]),
        network=np.array([np.nan, 0.0]),
        walk_to_door=np.array([np.nan, 0.0]),
        facility=np.array([-1, 3]),
        direct=np.array([False, True]),
    )
    out = route_minutes(route)
    assert np.isnan(out["total"][0]) and np.isnan(out["network"][0])
    assert out["total"][1] == 1.0 and out["walk_to_road"][1] == 1.0
