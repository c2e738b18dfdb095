"""carecircles batch on a Dask LocalCluster of 2 workers: failures reported, results merged."""

import subprocess
import sys

import pandas as pd
import pytest

from carecircles.analysis import run_study
from carecircles.batch import run_batch
from carecircles.config import load_config

from _helpers import DATA, write_study

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    """Two good studies (one counting planned facilities) and one whose road file is missing."""
    root = tmp_path_factory.mktemp("batch")
    for name in "abc":
        (root / name).mkdir()
    good = write_study(root / "a", study={"name": "county-a", "title": "A"})
    planned = write_study(
        root / "b", study={"name": "county-b", "title": "B"}, options={"include_planned": True}
    )
    broken = write_study(
        root / "c",
        study={"name": "county-c", "title": "C"},
        inputs__roads=str(DATA / "roads" / "missing.osm.pbf"),
    )
    return [good, planned, broken], root


def test_local_cluster_runs_studies_and_reports_failures(configs, tmp_path):
    paths, _ = configs
    result = run_batch(paths, workers=2, output_root=tmp_path, stream=None)
    studies = result.studies.set_index("study")
    assert studies.loc["county-a", "status"] == "ok" and studies.loc["county-b", "status"] == "ok"
    failure = result.failures.iloc[0]
    assert failure["config"] == str(paths[2].resolve())
    assert "road file not found" in failure["error"] and "missing.osm.pbf" in failure["error"]
    # the merged table equals each study's own run
    direct = run_study(load_config(paths[0], output_root=tmp_path)).zone_results
    merged = result.zones[result.zones["study"] == "county-a"].drop(columns="study").reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, direct.reset_index(drop=True), check_dtype=False)
    # planned facilities counted in county-b: more villages have a fixed clinic
    fixed = result.zones[(result.zones["standard"] == "village-2.5km") & (result.zones["zone_code"] == "ALL")]
    by_study = fixed.set_index("study")["villages_fixed"]
    assert by_study["county-b"] > by_study["county-a"]


def test_cli_batch(configs, tmp_path):
    paths, _ = configs
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "carecircles.cli",
            "batch",
            *map(str, paths),
            "--workers",
            "2",
            "--out",
            str(tmp_path / "merged"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "2 of 3 studies done" in done.stdout and "FAILED" in done.stdout
    merged = pd.read_csv(tmp_path / "merged" / "zones_all.csv", encoding="utf-8-sig")
    assert set(merged["study"]) == {"county-a", "county-b"}
