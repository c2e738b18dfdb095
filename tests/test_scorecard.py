"""The plan scorecard: one row per indicator, the same figures in the CSV, the report and the CLI."""

import numpy as np
import pandas as pd
import pytest

from carecircles._encode import percent
from carecircles.analysis import run_study
from carecircles.config import load_config
from carecircles.outputs import write_outputs
from carecircles.report import build_report
from carecircles.scorecard import GROUPS, SCORECARD_COLUMNS, indicator_row, scorecard_frame, study_scorecard

from _helpers import DATA, write_study


@pytest.fixture(scope="module")
def written(sample_result, tmp_path_factory):
    paths = write_outputs(sample_result, tmp_path_factory.mktemp("scorecard"))
    card = pd.read_csv(paths["scorecard"], encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    return paths, card


def test_circle_rows_are_the_county_rows_of_zones_csv(sample_result, written):
    paths, card = written
    zones = pd.read_csv(paths["zones"], encoding="utf-8-sig", dtype={"zone_code": str})
    for s in sample_result.config.standards:
        row = card[card["indicator"] == s.id].iloc[0]
        rows = zones[zones["standard"] == s.id]
        county = rows[rows["zone_code"] == "ALL"].iloc[0]
        people = sample_result.zone_results
        exact = people[(people["standard"] == s.id) & (people["zone_code"] == "ALL")].iloc[0]
        assert row["group"] == ("circle" if s.metric == "time" else "distance")
        assert row["actual"] == percent(exact["covered_share"])
        assert bool(row["passes"]) == bool(county["passes"])
        in_zones = rows[rows["zone_code"] != "ALL"]
        assert row["zones_passing"] == int(in_zones["passes"].sum())
        assert row["zones_assessed"] == len(in_zones)
        assert row["source"] == s.source and row["wording"] == s.rule


def test_load_rows_count_the_flagged_centres(sample_result, written):
    _, card = written
    table = sample_result.catchments.table
    for level, part in table.groupby("level"):
        row = card[card["indicator"] == f"load.{level}"].iloc[0]
        high = int((part["load"] == "high").sum())
        assert row["actual_value"] == high
        assert bool(row["passes"]) == (high == 0)
        for name in part.loc[part["load"] == "high", "name"]:
            assert name in row["note"]


def test_groups_in_order_and_columns_fixed(written):
    _, card = written
    assert list(card.columns) == SCORECARD_COLUMNS
    order = card["group"].map({g: i for i, g in enumerate(GROUPS)})
    assert order.is_monotonic_increasing


def test_not_assessed_stays_empty_never_false():
    frame = scorecard_frame(
        [
            indicator_row(
                "ratio", "x", name_zh="x", name_en="x", target="≥ 1", actual="—",
                target_value=1.0, actual_value=float("nan"), unit="per 1000", passes=None,
            ),
        ]
    )  # fmt: skip
    assert frame["passes"].isna().all() and frame["actual_value"].isna().all()
    with pytest.raises(ValueError, match="unknown scorecard group"):
        indicator_row(
            "circles", "x", name_zh="", name_en="", target="", actual="",
            target_value=None, actual_value=None, unit="", passes=None,
        )  # fmt: skip


def test_report_opens_with_the_scorecard(sample_result):
    page, markdown = build_report(sample_result, lang="zh")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## 结论摘要", "## 规划指标记分卡"]  # after the one-line summary
    card = study_scorecard(sample_result, "zh")
    first = page.index("<h2>", page.index("<h2>") + 1)
    assert page[first:].startswith("<h2>规划指标记分卡</h2>")
    for name in card["name_zh"]:
        assert name in page
    page_en, _ = build_report(sample_result, lang="en")
    assert "<h2>Plan scorecard</h2>" in page_en and "township-level centre load" in page_en


def test_catchments_csv_matches_the_result(sample_result, written):
    paths, _ = written
    table = pd.read_csv(paths["catchments"], encoding="utf-8-sig")
    ours = sample_result.catchments.table
    np.testing.assert_array_equal(table["population"], ours["population"].round(0))
    for level, part in table.groupby("level"):
        served = sample_result.counts["population"] - sample_result.catchments.unassigned[level]
        assert part["population"].sum() == pytest.approx(served, abs=len(part))  # rounding only
        assert part["villages"].sum() == len(sample_result.villages)


def test_a_facility_table_without_resources_is_not_assessed_never_zero(tmp_path):
    table = pd.read_csv(DATA / "facilities" / "synthetic_jingyu_facilities.csv", dtype=str)
    table = table.drop(columns=["beds", "doctors", "nurses", "gps", "pharmacists"])
    path = tmp_path / "facilities.csv"
    table.to_csv(path, index=False)
    result = run_study(load_config(write_study(tmp_path, inputs__facilities={"path": str(path)})))
    card = study_scorecard(result, "en").set_index("indicator")
    for indicator in ("ratio.beds_per_1000", "ratio.doctors_per_1000", "load.township", "capacity.beds"):
        assert pd.isna(card.loc[indicator, "passes"]), indicator
        assert pd.isna(card.loc[indicator, "actual_value"]), indicator
        assert "not assessed" in card.loc[indicator, "note"], indicator
    assert bool(card.loc["rural-30min", "passes"]) is False  # the circles are still tested
    messages = " ".join(result.issues.to_frame()["message"])
    assert "capacity-aware access (rural-30min) not assessed" in messages


def test_no_output_shows_everyone_covered_while_people_are_outside(sample_result, written):
    paths, _ = written
    zones = pd.read_csv(paths["zones"], encoding="utf-8-sig", dtype={"zone_code": str})
    outside = zones["uncovered_population"] > 0
    assert outside.any() and (zones.loc[outside, "covered_share"] < 1.0).all()
    assert (zones.loc[zones["covered_population"] > 0, "covered_share"] > 0).all()
    _, markdown = build_report(sample_result, lang="zh")
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if "100.0%" in cells:  # a zone row: population, covered, share, uncovered …
            after = cells[cells.index("100.0%") + 1]
            if after == "":  # the village table ends in its share: all villages have a clinic
                assert cells[2] == cells[3], line
            else:  # people outside, or (the scenario table) the verdict
                assert after in ("0", "达标"), line
    emergency = zones[(zones["standard"] == "emergency-2h") & (zones["zone_code"] == "ALL")].iloc[0]
    assert emergency["uncovered_population"] > 0
    assert f"| 99.9% | {emergency['uncovered_population']:,.0f} |" in markdown  # cut, not rounded up
    for _, rows in zones.groupby("standard"):  # totals are the sums of the zone rows shown
        total = rows[rows["zone_code"] == "ALL"].iloc[0]
        for column in ("population", "covered_population", "uncovered_population", "unreachable_population"):
            assert total[column] == rows.loc[rows["zone_code"] != "ALL", column].sum()


def test_report_and_cli_people_are_the_figures_of_zones_csv(sample_result, written):
    from carecircles.outputs import summary_table

    paths, _ = written
    zones = pd.read_csv(paths["zones"], encoding="utf-8-sig", dtype={"zone_code": str})
    _, markdown = build_report(sample_result, lang="zh")
    text = summary_table(sample_result)
    for row in zones[zones["zone_code"] == "ALL"].itertuples():
        assert f"{row.uncovered_population:,.0f}" in text.split(row.standard)[1].splitlines()[0]
        assert f"| {row.covered_population:,.0f} |" in markdown


def test_a_census_far_from_the_study_is_flagged(tmp_path):
    config = load_config(
        write_study(tmp_path, scorecard={"census_population": 1084, "capacity": {"resource": "beds"}})
    )
    result = run_study(config)
    issues = result.issues.to_frame()
    flagged = issues[issues["field"] == "scorecard.census_population"]
    assert len(flagged) == 1 and "-99%" in flagged["message"].iloc[0]
