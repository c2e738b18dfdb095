"""A small generated province (scripts/make_province.py): one province run and the county batch agree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircles.analysis import run_study
from carecircles.batch import run_batch
from carecircles.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from make_province import build


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    made = build(out, counties=4, townships=4, nodes=10_000, cells=60_000, villages=160, facilities=60)
    return out, made


def test_generated_province_is_what_was_asked(province):
    out, made = province
    zones = json.loads((out / "zones.geojson").read_text(encoding="utf-8"))["features"]
    codes = [z["properties"]["zone_code"] for z in zones]
    assert made["townships"] == len(zones) == 16 and len(set(codes)) == 16
    assert all(
        len(c) == 9 and c[:6] == z["properties"]["county_code"] for c, z in zip(codes, zones, strict=True)
    )
    assert sorted(p.name for p in out.glob("county-*.yml")) == [
        f"county-{220100 + 100 * c:06d}.yml" for c in range(4)
    ]
    # deterministic: the same arguments write the same roads
    again = out.parent / "again"
    build(again, counties=4, townships=4, nodes=10_000, cells=60_000, villages=160, facilities=60)
    assert (again / "roads.osm.gz").read_bytes() == (out / "roads.osm.gz").read_bytes()


def test_province_run_and_county_batch_agree_zone_by_zone(province, tmp_path):
    out, _ = province
    whole = run_study(load_config(out / "province.yml", output_root=tmp_path)).zone_results
    counties = sorted(out.glob("county-*.yml"))
    batch = run_batch(counties, workers=2, output_root=tmp_path, stream=None)
    assert (batch.studies["status"] == "ok").all()
    zones = batch.zones[batch.zones["zone_code"] != "ALL"]
    merged = whole[whole["zone_code"] != "ALL"].merge(
        zones, on=["standard", "zone_code"], suffixes=("", "_c")
    )
    assert len(merged) == len(whole[whole["zone_code"] != "ALL"]) == 4 + 12 + 16  # urban, rural, villages
    for column in ("population", "covered_population", "uncovered_population"):
        assert np.allclose(merged[column], merged[f"{column}_c"], rtol=1e-9, atol=1e-6), column
    assert (merged["passes"].astype(str) == merged["passes_c"].astype(str)).all()
    # the province's totals are the counties' sums
    total = whole[(whole["zone_code"] == "ALL") & (whole["standard"] == "rural-30min")].iloc[0]
    rural = zones[zones["standard"] == "rural-30min"]
    assert total["covered_population"] == pytest.approx(rural["covered_population"].sum())
    assert pd.notna(total["covered_share"])
