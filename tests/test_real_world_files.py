"""Real-world files: no traceback and no silent change of a result (issue 8, part 3).

Each test is named for the case it covers; the README's "Bad input → what carecircles does"
table (Data files) lists the same cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carecircles._errors import DataIssues, InputError
from carecircles.config import SAMPLE_CONFIG, load_config

from _helpers import write_study

DATA = SAMPLE_CONFIG.parent
SAMPLE_FACILITIES = DATA / "facilities" / "synthetic_jingyu_facilities.csv"


def _issues(issues: DataIssues):
    return issues.to_frame()


def test_standard_without_any_usable_facility_is_zero_percent_with_an_error(tmp_path):
    from carecircles.analysis import run_study
    from carecircles.cli import main

    text = SAMPLE_FACILITIES.read_text(encoding="utf-8")
    broken = text.replace("急诊;发热门诊;急救站,126.813595,", "急诊;发热门诊;急救站,abc,")
    assert broken != text
    facilities = tmp_path / "facilities.csv"
    facilities.write_text(broken, encoding="utf-8")
    study = write_study(tmp_path, inputs__facilities={"path": str(facilities)})
    result = run_study(load_config(study, output_root=tmp_path))

    table = result.zone_results[result.zone_results["standard"] == "emergency-2h"]
    assert len(table) == 13  # 12 zones and ALL
    assert (table["covered_population"] == 0).all() and not table["passes"].any()
    assert table["uncovered_population"].tolist() == pytest.approx(table["population"].tolist())
    issues = _issues(result.issues)
    errors = issues[issues["severity"] == "error"]
    standard = errors[errors["message"].str.contains("emergency-2h")]
    assert len(standard) == 1
    assert standard.iloc[0]["value"] == "county_hospital, emergency_centre"
    assert "no open facility of these types" in standard.iloc[0]["message"]
    assert "0 % covered" in standard.iloc[0]["message"]
    assert standard.iloc[0]["source"].endswith("facilities.csv")
    # the bad row itself is listed too, and the other standards are unchanged
    assert ((errors["row"] == 2) & (errors["value"] == "abc")).any()
    rural = result.zone_results.set_index(["standard", "zone_code"]).loc[("rural-30min", "ALL")]
    assert rural["covered_population"] == pytest.approx(62008, abs=1)
    # and the whole run (tables, report, map) completes
    code = main(
        ["run", str(study), "--quiet", "--out", str(tmp_path / "out"), "--map", str(tmp_path / "m.html")]
    )
    assert code == 0 and (tmp_path / "out" / "data_issues.csv").exists()
