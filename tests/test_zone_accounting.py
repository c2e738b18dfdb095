"""zones.csv accounts for every person: the identities hold in the rounded file itself."""

import numpy as np
import pandas as pd
import pytest

from carecircles.outputs import write_outputs

pytestmark = pytest.mark.slow


def test_uncovered_includes_unreachable_and_the_file_adds_up(sample_result, tmp_path):
    paths = write_outputs(sample_result, tmp_path)
    zones = pd.read_csv(paths["zones"], dtype={"zone_code": str})
    for column in ("population", "covered_population", "uncovered_population", "unreachable_population"):
        assert (zones[column] == zones[column].round()).all(), column  # whole people
    np.testing.assert_array_equal(
        zones["population"], zones["covered_population"] + zones["uncovered_population"]
    )
    np.testing.assert_array_equal(
        zones["uncovered_population"],
        zones["reachable_uncovered_population"] + zones["unreachable_population"],
    )
    assert (zones["reachable_uncovered_population"] >= 0).all()
    # within half a person of the unrounded figures, and some people are unreachable in the sample
    raw = sample_result.zone_results
    assert np.abs(zones["population"] - raw["population"]).max() <= 0.5
    assert np.abs(zones["uncovered_population"] - raw["uncovered_population"]).max() <= 1.0
    assert zones["unreachable_population"].sum() > 0
    # the ALL row of each standard is the sum of its zones, also after rounding
    for _, rows in zones.groupby("standard"):
        total, parts = rows[rows["zone_code"] == "ALL"].iloc[0], rows[rows["zone_code"] != "ALL"]
        assert abs(total["population"] - parts["population"].sum()) <= len(parts) / 2


@pytest.mark.parametrize(
    ("share", "digits", "shown"),
    [
        (0.0, 1, "0.0%"),
        (0.0004, 1, "<0.1%"),
        (0.0006, 1, "<0.1%"),
        (0.0016, 1, "0.1%"),
        (0.5, 1, "50.0%"),
        (0.99949, 1, "99.9%"),
        (0.99996, 1, "99.9%"),
        (0.84996, 1, "84.9%"),
        (1.0, 1, "100.0%"),
        (0.996, 0, "99%"),
        (0.004, 0, "<1%"),
    ],
)
def test_percent_is_cut_never_rounded_up_to_a_target_or_to_everyone(share, digits, shown):
    from carecircles._encode import percent

    assert percent(share, digits) == shown
