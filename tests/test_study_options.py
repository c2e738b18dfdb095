"""Study options on the sample inputs: village counts as population, speeds, planned facilities."""

import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from carecircles._errors import DataIssues
from carecircles.analysis import run_study
from carecircles.config import load_config
from carecircles.facilities import read_facilities

from _helpers import write_study

pytestmark = pytest.mark.slow


def total(result, standard):
    table = result.zone_results
    return table[(table["standard"] == standard) & (table["zone_code"] == "ALL")].iloc[0]


def test_village_counts_as_population(tmp_path):
    config = load_config(write_study(tmp_path, inputs__population=None), output_root=tmp_path)
    result = run_study(config)
    assert result.counts["population"] == pytest.approx(result.villages["population"].sum())
    rural = total(result, "rural-30min")
    # a village is covered by the same rule as its raster cells: its own time
    villages = result.villages[result.villages["zone_type"] == "rural"]
    covered = villages.loc[villages["rural-30min_covered"].astype(bool), "population"].sum()
    assert rural["covered_population"] == pytest.approx(covered)
    assert result.gaps.empty  # no raster: no polygons to trace, and the issues table says so
    assert any("no population raster" in i.message for i in result.issues.items)


def test_speed_override_changes_times(sample_result, tmp_path):
    slow = load_config(
        write_study(tmp_path, speeds={"ebike": {"unclassified": 10, "track": 5}}), output_root=tmp_path
    )
    result = run_study(slow)
    assert (
        total(result, "rural-30min")["covered_share"] < total(sample_result, "rural-30min")["covered_share"]
    )
    before = sample_result.villages["rural-30min_minutes"]
    after = result.villages["rural-30min_minutes"]
    both = before.notna() & after.notna()
    assert (after[both] >= before[both] - 1e-9).all() and (after[both] > before[both]).any()


def test_include_planned_counts_planned_facilities(sample_result, tmp_path):
    config = load_config(write_study(tmp_path, options={"include_planned": True}), output_root=tmp_path)
    result = run_study(config)
    planned = result.facilities["status"] == "planned"
    assert planned.any() and result.facilities.loc[planned, "used"].all()
    assert not sample_result.facilities.loc[sample_result.facilities["status"] == "planned", "used"].any()
    fixed = lambda r: (r.villages["village-2.5km_status"] == "fixed").sum()  # noqa: E731
    assert fixed(result) > fixed(sample_result)


def test_gpkg_facilities(tmp_path):
    path = tmp_path / "f.gpkg"
    gpd.GeoDataFrame(
        {"机构名称": ["甲卫生院", "乙卫生室"], "机构类型": ["乡镇卫生院", "村卫生室"]},
        geometry=[shapely.Point(126.8, 42.4), shapely.Point(126.81, 42.41)],
        crs=4326,
    ).to_file(path)
    frame = read_facilities(path, DataIssues(), study_area=shapely.box(126.7, 42.3, 126.9, 42.5))
    assert frame["type"].tolist() == ["thc", "village_clinic"]
    np.testing.assert_allclose(frame.geometry.x, [126.8, 126.81])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_memory_a_thread_freed_goes_back_to_the_os_after_a_step():
    """glibc keeps a thread's freed blocks resident; each step's end gives them back."""
    import threading
    from pathlib import Path

    from carecircles._progress import Progress

    def resident_mb() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS"))
        return int(line.split()[1]) / 1024

    def churn() -> None:
        blocks = [np.ones(8000) for _ in range(20_000)]  # 64 KB each: under glibc's mmap threshold
        del blocks

    before = resident_mb()
    progress = Progress(stream=None)
    with progress.step("Reading population"):
        worker = threading.Thread(target=churn)
        worker.start()
        worker.join()
        assert resident_mb() > before + 500  # 1.2 GB freed by the thread, still held
    assert resident_mb() < before + 200  # given back when the step ended
