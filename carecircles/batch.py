"""Many studies (e.g. every county of a province) on Dask distributed, merged into one table.

A LocalCluster on this machine by default, or any running scheduler (``tcp://host:8786``).
One task per study config; a study that fails is reported with its error, never fatal to the
batch.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pandas as pd

from carecircles._encode import terminal_text


@dataclass
class BatchResult:
    """Merged results of a batch.

    Attributes
    ----------
    zones
        Every study's zone table with a ``study`` column first.
    studies
        One row per study: config, status (ok/failed), seconds, population, data issues, error.
    """

    zones: pd.DataFrame
    studies: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> pd.DataFrame:
        """The studies that failed, with their errors."""
        return self.studies[self.studies["status"] == "failed"].reset_index(drop=True)


def run_one(config_path: str, output_root: str | None = None, write: bool = False) -> dict:
    """Run one study (on a worker); never raises: a failure comes back as a record."""
    from carecircles.analysis import run_study
    from carecircles.config import load_config

    start = time.perf_counter()
    try:
        config = load_config(config_path, output_root=Path(output_root) if output_root else None)
        result = run_study(config)
        if write:
            from carecircles.maps import write_map
            from carecircles.outputs import write_outputs

            write_outputs(result, config.output_dir)
            write_map(result, config.map_path)
        zones = result.zone_results.copy()
        zones.insert(0, "study", config.name)
        return {
            "study": config.name,
            "config": config_path,
            "status": "ok",
            "seconds": round(time.perf_counter() - start, 2),
            "population": round(result.counts["population"]),
            "data_issues": len(result.issues),
            "error": "",
            "zones": zones,
        }
    except Exception as exc:  # any failure of one study is reported, not raised
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        return {
            "study": Path(config_path).stem,
            "config": config_path,
            "status": "failed",
            "seconds": round(time.perf_counter() - start, 2),
            "population": None,
            "data_issues": None,
            "error": f"{type(exc).__name__}: {exc}{where}",
            "zones": None,
        }


def run_batch(
    configs: list[Path],
    *,
    scheduler: str | None = None,
    workers: int = 2,
    output_root: Path | None = None,
    write_outputs: bool = False,
    stream: TextIO | None = sys.stderr,
) -> BatchResult:
    """Run every study config on a Dask cluster and merge the results.

    Parameters
    ----------
    configs
        Study configs (YAML), one per study.
    scheduler
        Address of a running Dask scheduler; ``None`` starts a LocalCluster of ``workers``
        single-threaded worker processes on this machine.
    output_root
        Where relative output paths of the configs resolve (default: each worker's cwd).
    write_outputs
        Also write each study's tables and map (otherwise only the merged table is made).
    stream
        Where to print one line per finished study.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    start = time.perf_counter()
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    records = []
    try:
        root = None if output_root is None else str(Path(output_root).resolve())
        futures = client.map(
            run_one,
            [str(Path(c).resolve()) for c in configs],
            output_root=root,
            write=write_outputs,
            pure=False,
        )
        origin = {f.key: str(c) for f, c in zip(futures, configs, strict=True)}
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                record = future.result()
            except Exception as exc:  # a worker died under the task
                config = origin[future.key]
                record = {
                    "study": Path(config).stem,
                    "config": config,
                    "status": "failed",
                    "seconds": None,
                    "population": None,
                    "data_issues": None,
                    "error": f"{type(exc).__name__}: {exc}",
                    "zones": None,
                }
            records.append(record)
            if stream is not None:
                state = "ok" if record["status"] == "ok" else f"FAILED: {record['error']}"
                stream.write(terminal_text(f"[{done}/{len(futures)}] {record['study']}: {state}") + "\n")
                stream.flush()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    tables = [r["zones"] for r in records if r["zones"] is not None]
    zones = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    studies = pd.DataFrame([{k: v for k, v in r.items() if k != "zones"} for r in records])
    studies = studies.sort_values("study", ignore_index=True)
    return BatchResult(
        zones=zones, studies=studies, timings={"batch_s": round(time.perf_counter() - start, 2)}
    )
