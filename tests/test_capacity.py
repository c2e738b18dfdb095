"""Capacity-aware access (E2SFCA) against PySAL ``access``, a brute-force loop and its identities.

Conventions of ``access`` 1.1.9 that the comparison has to match (read from its ``fca.py``,
``access.py`` and ``weights.py``):

* ``weights.step_fn`` bands are inclusive upper bounds (``cost <= bound``) and give 0 beyond the
  last one, as :class:`~carecircles.capacity.Decay` does.
* Its ``max_cost`` is *exclusive* (``cost < max_cost``): passing the threshold there would drop
  places at exactly the threshold, which the tool counts. We pass ``max_cost=None`` and let the
  step function give 0 beyond the threshold instead.
* It returns raw resources per person, not normalised (``normalize=False``): we multiply by 1,000.
* A place with no pair at all is missing from its result (NaN after the join): we give 0.
* A facility whose weighted demand is 0 gets ``S / 0``; where it reaches no one within the
  threshold, ``inf × 0`` is NaN and its ``groupby().sum()`` skips it (as we leave it out). Where
  it reaches only places with 0 people, those places get ``inf`` from ``access`` and 0 from us:
  only empty places differ (:func:`test_facility_reaching_only_empty_places`).
* A facility without a supply value: ``access`` means to fill it with 0 (under pandas 3 its
  chained ``fillna(inplace=True)`` does nothing and the NaN is skipped by the sum instead);
  either way it adds nothing, as we leave it out.
* Duplicate pairs would be summed by ``access``; we keep the shortest, so the comparison feeds it
  unique pairs (duplicates are checked against the brute force).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from hypothesis import given, settings
from hypothesis import strategies as st

from carecircles.capacity import Decay, e2sfca, facility_ratios, zone_access

THRESHOLD = 1800.0  # 30 minutes
LUO_QI = Decay.luo_qi(THRESHOLD)
STEP_FN = weights.step_fn({600.0: 1.0, 1200.0: 0.68, 1800.0: 0.22})

pandas_noise = pytest.mark.filterwarnings(
    "ignore:The inplace keyword", "ignore:A value is being set on a copy", "ignore::FutureWarning"
)


def random_case(seed: int) -> tuple[np.ndarray, ...]:
    """Facilities (one without a value, one with 0, one reaching no one), places, unique pairs."""
    rng = np.random.default_rng(seed)
    n_fac, n_places = int(rng.integers(5, 21)), int(rng.integers(20, 201))
    supply = rng.integers(0, 60, n_fac).astype(float)
    supply[0], supply[1] = np.nan, 0.0
    demand = rng.integers(1, 5000, n_places).astype(float)
    linked = rng.random((n_fac, n_places)) < 0.35
    linked[:, -3:] = False  # three places with no pair at all
    rows, cols = np.nonzero(linked)
    # whole minutes up to 40 (so many pairs sit exactly on 10, 20 and 30 minutes), some fractional
    cost = 60.0 * rng.integers(0, 41, rows.size)
    frac = rng.random(rows.size) < 0.3
    cost[frac] += rng.random(frac.sum()) * 60
    cost[rows == 2] += THRESHOLD + 1  # facility 2 reaches no one within the threshold
    return supply, demand, rows, cols, cost


def access_package(supply, demand, rows, cols, cost, weight_fn) -> np.ndarray:
    """E2SFCA by PySAL ``access``, per 1,000 residents, in our place order (0 where absent)."""
    place_ids = [f"p{j:04d}" for j in range(len(demand))]
    fac_ids = [f"f{i:04d}" for i in range(len(supply))]
    acc = Access(
        demand_df=pd.DataFrame({"geoid": place_ids, "pop": demand}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": fac_ids, "beds": supply}),
        supply_index="geoid",
        supply_value="beds",
        cost_df=pd.DataFrame(
            {"origin": np.take(place_ids, cols), "dest": np.take(fac_ids, rows), "cost": cost}
        ),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    out = acc.enhanced_two_stage_fca(name="e2sfca", weight_fn=weight_fn, max_cost=None, normalize=False)
    return 1000.0 * out["e2sfca_beds"].reindex(place_ids).fillna(0.0).to_numpy()


def brute_force(supply, demand, pairs, bands) -> list[float]:
    """E2SFCA by the textbook double loop; pairs are (facility, place, seconds), bands (bound, weight)."""
    shortest: dict[tuple[int, int], float] = {}
    for i, j, t in pairs:
        if (i, j) not in shortest or t < shortest[(i, j)]:
            shortest[(i, j)] = t

    def w(t: float) -> float:
        for bound, weight in bands:
            if t <= bound:
                return weight
        return 0.0

    ratio = {}
    for i, s in enumerate(supply):
        served = sum(w(t) * demand[j] for (ii, j), t in shortest.items() if ii == i)
        if not math.isnan(s) and served > 0:
            ratio[i] = s / served
    return [
        1000.0 * sum(w(t) * ratio[i] for (i, jj), t in shortest.items() if jj == j and i in ratio)
        for j in range(len(demand))
    ]


# --- against PySAL access ---------------------------------------------------------------------


@pandas_noise
@pytest.mark.parametrize("seed", range(8))
def test_matches_access_package_step_decay(seed: int) -> None:
    supply, demand, rows, cols, cost = random_case(seed)
    ours = e2sfca(supply, demand, rows, cols, cost, decay=LUO_QI)
    theirs = access_package(supply, demand, rows, cols, cost, STEP_FN)
    assert np.any(ours > 0) and np.any(ours == 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)


@pandas_noise
@pytest.mark.parametrize("seed", range(3))
def test_matches_access_package_gaussian_decay(seed: int) -> None:
    supply, demand, rows, cols, cost = random_case(100 + seed)
    gauss = weights.gaussian(sigma=900.0)

    def within(x: float) -> float:
        return float(gauss(x)) if x <= THRESHOLD else 0.0

    ours = e2sfca(supply, demand, rows, cols, cost, decay=Decay.gaussian(THRESHOLD, 900.0))
    np.testing.assert_allclose(ours, access_package(supply, demand, rows, cols, cost, within), rtol=1e-9)


@pandas_noise
def test_facility_reaching_only_empty_places() -> None:
    # facility 1 reaches only place 2, where no one lives: access gives that place inf, we give 0
    supply, demand = np.array([10.0, 5.0]), np.array([100.0, 300.0, 0.0])
    rows, cols, cost = np.array([0, 0, 1]), np.array([0, 1, 2]), np.array([60.0, 700.0, 60.0])
    ours = e2sfca(supply, demand, rows, cols, cost, decay=LUO_QI)
    theirs = access_package(supply, demand, rows, cols, cost, STEP_FN)
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-9)
    assert np.all(demand[~finite] == 0) and ours[2] == 0
    ratio = facility_ratios(supply, demand, rows, cols, cost, decay=LUO_QI)
    assert np.isnan(ratio[1]) and ratio[0] == pytest.approx(1000 * 10 / (100 + 0.68 * 300))


def test_decay_matches_access_step_fn_at_band_edges() -> None:
    t = np.array([0, 1, 599.999, 600, 600.001, 1199, 1200, 1200.5, 1799, 1800, 1800.001, 5000, np.inf])
    np.testing.assert_array_equal(LUO_QI.weight(t), [STEP_FN(x) for x in t])


# --- against a brute-force double loop ---------------------------------------------------------


@st.composite
def cases(draw, max_fac: int = 6, max_places: int = 10):
    n_fac = draw(st.integers(1, max_fac))
    n_places = draw(st.integers(1, max_places))
    supply = draw(st.lists(st.sampled_from([0.0, 1.0, 7.0, 30.0, np.nan]), min_size=n_fac, max_size=n_fac))
    demand = draw(st.lists(st.sampled_from([0.0, 1.0, 150.0, 2000.0]), min_size=n_places, max_size=n_places))
    times = st.one_of(
        st.sampled_from([0.0, 600.0, 1200.0, 1800.0, 1800.5, np.inf]), st.floats(0, 2 * THRESHOLD)
    )
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n_fac - 1), st.integers(0, n_places - 1), times), max_size=40)
    )
    return np.array(supply), np.array(demand), pairs


def as_arrays(pairs):
    rows = np.array([p[0] for p in pairs], dtype=int)
    cols = np.array([p[1] for p in pairs], dtype=int)
    return rows, cols, np.array([p[2] for p in pairs], dtype=float)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_matches_brute_force(case) -> None:
    supply, demand, pairs = case
    ours = e2sfca(supply, demand, *as_arrays(pairs), decay=LUO_QI)
    expected = brute_force(supply, demand, pairs, [(600.0, 1.0), (1200.0, 0.68), (1800.0, 0.22)])
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


def test_duplicate_pairs_keep_the_shortest_time() -> None:
    supply, demand = np.array([10.0]), np.array([100.0, 100.0])
    # place 0 given at 25 min and 5 min: it counts at 5 min (weight 1), not twice
    rows, cols, cost = np.array([0, 0, 0]), np.array([0, 0, 1]), np.array([1500.0, 300.0, 900.0])
    ours = e2sfca(supply, demand, rows, cols, cost, decay=LUO_QI)
    expected = brute_force(supply, demand, list(zip(rows, cols, cost, strict=True)), [(600, 1), (1200, 0.68)])
    r = 10 / (100 + 0.68 * 100)
    np.testing.assert_allclose(ours, [1000 * r, 1000 * 0.68 * r], rtol=1e-12)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


# --- identities ----------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(cases(), st.sampled_from([Decay.flat(THRESHOLD), LUO_QI, Decay.gaussian(THRESHOLD, 700.0)]))
def test_supply_is_conserved(case, decay) -> None:
    # Σ_j A_j P_j = Σ_i R_i Σ_j W_ij P_j = Σ_i S_i over facilities with a defined ratio: the 2SFCA
    # identity, which holds for any decay used in both steps
    supply, demand, pairs = case
    args = (supply, demand, *as_arrays(pairs))
    ratio = facility_ratios(*args, decay=decay)
    got = float(np.sum(e2sfca(*args, decay=decay) * demand)) / 1000
    assert got == pytest.approx(float(np.sum(supply[~np.isnan(ratio)])), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(cases(), st.floats(0.01, 1000))
def test_scaling_supply_scales_access(case, k) -> None:
    supply, demand, pairs = case
    base = e2sfca(supply, demand, *as_arrays(pairs), decay=LUO_QI)
    np.testing.assert_allclose(
        e2sfca(k * supply, demand, *as_arrays(pairs), decay=LUO_QI), k * base, rtol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(cases(), st.data())
def test_place_beyond_every_threshold_gets_zero(case, data) -> None:
    supply, demand, pairs = case
    j = data.draw(st.integers(0, len(demand) - 1))
    far = [(i, jj, t if jj != j else THRESHOLD + 0.001 + t) for i, jj, t in pairs]
    assert e2sfca(supply, demand, *as_arrays(far), decay=LUO_QI)[j] == 0


# --- edge cases ----------------------------------------------------------------------------------


def test_no_pairs() -> None:
    empty = np.array([], dtype=int)
    got = e2sfca([3.0, 4.0], [10.0, 20.0, 30.0], empty, empty, np.array([]), decay=LUO_QI)
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0])
    assert np.all(np.isnan(facility_ratios([3.0, 4.0], [10.0], empty, empty, [], decay=LUO_QI)))


def test_zero_and_missing_supply() -> None:
    rows, cols, cost = np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), np.array([60.0, 60.0, 60.0, 60.0])
    demand = np.array([100.0, 200.0, 300.0])
    got = e2sfca([0.0, 4.0, np.nan], demand, rows, cols, cost, decay=LUO_QI)
    # facility 0 has 0 beds (a ratio of 0); facility 2 has no value and is left out entirely
    np.testing.assert_allclose(got, [0.0, 1000 * 4 / 200, 0.0])
    without = e2sfca([0.0, 4.0], demand, rows[:2], cols[:2], cost[:2], decay=LUO_QI)
    np.testing.assert_array_equal(got, without)
    ratio = facility_ratios([0.0, 4.0, np.nan], demand, rows, cols, cost, decay=LUO_QI)
    assert ratio[0] == 0 and np.isnan(ratio[2])


def test_band_edges_are_inclusive() -> None:
    # one facility, places at exactly 10:00, just after, exactly 30:00 and just after
    cost = np.array([600.0, 600.5, 1800.0, 1800.5])
    got = e2sfca([1.0], [1.0, 1.0, 1.0, 1.0], np.zeros(4, dtype=int), np.arange(4), cost, decay=LUO_QI)
    r = 1000 / (1 + 0.68 + 0.22)
    np.testing.assert_allclose(got, [r, 0.68 * r, 0.22 * r, 0.0])


def test_luo_qi_bands_follow_the_threshold() -> None:
    d = Decay.luo_qi(900)
    assert d.bounds_s == (300.0, 600.0, 900.0) and d.weights == (1.0, 0.68, 0.22)
    assert Decay(900, [300, 900], [1, 0.5]) == Decay(900.0, (300.0, 900.0), (1.0, 0.5))  # hashable
    assert hash(d)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bounds_s": (600, 1200), "weights": (1.0,)}, "as many weights"),
        ({"bounds_s": (), "weights": ()}, "as many weights"),
        ({"bounds_s": (1200, 600, 1800), "weights": (1, 0.5, 0.2)}, "strictly increasing"),
        ({"bounds_s": (600, 600, 1800), "weights": (1, 0.5, 0.2)}, "strictly increasing"),
        ({"bounds_s": (0, 1800), "weights": (1, 0.5)}, "strictly increasing"),
        ({"bounds_s": (600, 1200), "weights": (1, 0.5)}, "must equal the threshold"),
        ({"bounds_s": (600, 1800), "weights": (1, 0)}, r"in \(0, 1\]"),
        ({"bounds_s": (600, 1800), "weights": (1.2, 0.5)}, r"in \(0, 1\]"),
        ({"bounds_s": (600, 1800), "weights": (0.5, 0.8)}, "must not increase"),
        ({"bounds_s": (600, 1800), "weights": (1, np.nan)}, r"in \(0, 1\]"),
        ({"bounds_s": (1800,), "weights": (1,), "sigma_s": 0.0}, "positive sigma"),
        ({"bounds_s": (600, 1800), "weights": (1, 0.5), "sigma_s": 300.0}, "one band"),
    ],
)
def test_decay_validation(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Decay(THRESHOLD, **kwargs)
    with pytest.raises(ValueError, match="positive number of seconds"):
        Decay(-1.0, (600,), (1,))


@pytest.mark.parametrize(
    ("supply", "demand", "rows", "cols", "cost", "message"),
    [
        ([1.0], [1.0, 2.0], [0], [0, 1], [60.0], "differ in length"),
        ([1.0], [1.0], [1], [0], [60.0], "out of range"),
        ([1.0], [1.0], [0], [-1], [60.0], "out of range"),
        ([1.0], [1.0], [0.0], [0.0], [60.0], "integer"),
        ([1.0], [1.0], [0], [0], [np.nan], "NaN or < 0"),
        ([1.0], [1.0], [0], [0], [-5.0], "NaN or < 0"),
        ([-1.0], [1.0], [0], [0], [60.0], "supply must be finite"),
        ([np.inf], [1.0], [0], [0], [60.0], "supply must be finite"),
        ([1.0], [np.nan], [0], [0], [60.0], "demand must be finite"),
        ([[1.0]], [1.0], [0], [0], [60.0], "one-dimensional"),
    ],
)
def test_input_validation(supply, demand, rows, cols, cost, message) -> None:
    with pytest.raises(ValueError, match=message):
        e2sfca(supply, demand, rows, cols, cost, decay=LUO_QI)


# --- zones ---------------------------------------------------------------------------------------


def test_zone_access() -> None:
    access = np.array([2.0, 0.0, 4.0, 1.0, 0.0])
    people = np.array([100.0, 50.0, 50.0, 0.0, 0.0])
    got = zone_access(access, people, np.array([0, 0, 1, 2, 2]), 4)
    np.testing.assert_allclose(got.people, [150, 50, 0, 0])
    np.testing.assert_allclose(got.mean[:2], [200 / 150, 4.0])
    np.testing.assert_allclose(got.share_zero[:2], [50 / 150, 0.0])
    assert np.all(np.isnan(got.mean[2:])) and np.all(np.isnan(got.share_zero[2:]))
    assert got.county_mean == pytest.approx(400 / 200) and got.county_share_zero == pytest.approx(0.25)


def test_zone_access_of_flat_2sfca_is_supply_per_1000() -> None:
    supply, demand, rows, cols, cost = random_case(7)
    flat = Decay.flat(THRESHOLD)
    acc = e2sfca(supply, demand, rows, cols, cost, decay=flat)
    got = zone_access(acc, demand, np.zeros(demand.size, dtype=int), 1)
    ratio = facility_ratios(supply, demand, rows, cols, cost, decay=flat)
    expected = 1000 * np.sum(supply[~np.isnan(ratio)]) / demand.sum()
    assert got.county_mean == pytest.approx(expected, rel=1e-12) and got.mean[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("access", "people", "zone", "message"),
    [
        ([1.0], [1.0, 2.0], [0, 0], "differ in shape"),
        ([1.0], [1.0], [3], r"in \[0, 2\)"),
        ([1.0], [1.0], [-1], r"in \[0, 2\)"),
        ([np.nan], [1.0], [0], "access must be finite"),
        ([1.0], [-1.0], [0], "population must be finite"),
    ],
)
def test_zone_access_validation(access, people, zone, message) -> None:
    with pytest.raises(ValueError, match=message):
        zone_access(access, people, zone, 2)
