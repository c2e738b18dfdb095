"""Command line: ``carecircles run | site | check | batch``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from carecircles import __version__
from carecircles._encode import terminal_text
from carecircles._errors import CareCirclesError, DataIssues, InputError
from carecircles._progress import Progress

if TYPE_CHECKING:
    from carecircles.analysis import StudyInputs
    from carecircles.config import StudyConfig
    from carecircles.schema import SitingOptions
    from carecircles.siting import SitingResult


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``carecircles`` command."""
    parser = argparse.ArgumentParser(
        prog="carecircles",
        description="Test county health-service plans: who is outside the 15-minute, 30-minute "
        "and 2.5 km circles, zone by zone.",
    )
    parser.add_argument("--version", action="version", version=f"carecircles {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a study (default: the bundled synthetic sample county)")
    run.add_argument("config", nargs="?", type=Path, help="study config (YAML); omit for the sample")
    run.add_argument("--out", type=Path, help="output folder (default: output/<study>)")
    run.add_argument("--map", type=Path, help="HTML map path (default: maps/<study>.html)")
    run.add_argument("--lang", choices=("zh", "en"), default="zh", help="map and summary language")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    siting = commands.add_parser(
        "site",
        help="propose new sites that close the most gap for one standard",
        description="Greedy maximal covering (optionally checked by an exact integer program): "
        "which new sites cover the most people not yet covered, zone by zone.",
    )
    siting.add_argument("config", nargs="?", type=Path, help="study config (YAML); omit for the sample")
    siting.add_argument("--standard", default="rural-30min", help="standard to close gaps for")
    siting.add_argument("--k", type=int, help="most new sites (default 3; no limit for distance standards)")
    siting.add_argument("--target-share", type=float, help="stop once this share is covered (0-1)")
    siting.add_argument(
        "--outreach-below",
        type=float,
        default=50.0,
        help="stop when the best site adds fewer people: recommend outreach instead (default 50)",
    )
    siting.add_argument(
        "--min-demand",
        type=float,
        default=0.0,
        help="places (villages) with fewer people are left to outreach, not fixed sites",
    )
    siting.add_argument(
        "--candidates",
        default="villages,zone_centres,road_nodes",
        help="candidate kinds, comma separated: villages, zone_centres, road_nodes ('' for none)",
    )
    siting.add_argument("--candidate-file", type=Path, help="CSV/GeoJSON/GPKG of your own candidate sites")
    siting.add_argument("--spacing", type=float, default=1000.0, help="road-node candidate spacing (m)")
    siting.add_argument("--site-type", help="facility type of new sites (e.g. thc, village_clinic)")
    siting.add_argument("--one-per-zone", action="store_true", help="first one site per zone with a gap")
    siting.add_argument("--no-planned", action="store_true", help="do not count planned facilities as built")
    siting.add_argument(
        "--exact", action="store_true", help="also solve the integer programs (small problems)"
    )
    siting.add_argument("--out", type=Path, help="output folder (default: output/<study>/siting-<standard>)")
    siting.add_argument("--map", type=Path, help="HTML map (default: maps/<study>-siting-<standard>.html)")
    siting.add_argument("--lang", choices=("zh", "en"), default="zh", help="map and summary language")
    siting.add_argument("--quiet", action="store_true", help="no progress lines")
    check = commands.add_parser(
        "check",
        help="check a study config and its input files in seconds, without running the analysis",
        description="Validates the config (every key), then each input file: readable, columns found, "
        "CRS and coordinates plausible, raster covering the zones, encodings; output folders writable. "
        "Exit status 0 when every item passes, 2 otherwise.",
    )
    check.add_argument("config", nargs="?", type=Path, help="study config (YAML); omit for the sample")
    check.add_argument("--lang", choices=("zh", "en"), default="zh", help="checklist language")
    batch = commands.add_parser(
        "batch",
        help="run many studies (e.g. every county of a province) on Dask and merge the results",
        description="One task per study config on a Dask LocalCluster (default) or a running scheduler; "
        "failed studies are reported, the rest merged into one table.",
    )
    batch.add_argument("configs", nargs="+", type=Path, help="study configs (YAML)")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    batch.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    batch.add_argument("--out", type=Path, default=Path("output/batch"), help="merged tables folder")
    batch.add_argument("--outputs", action="store_true", help="also write each study's tables and map")
    args = parser.parse_args(argv)
    try:
        return {"run": _run, "site": _site, "check": _check, "batch": _batch}[args.command](args)
    except BrokenPipeError:  # output piped into `head` or a pager that closed: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CareCirclesError as exc:
        print(f"carecircles: error: {terminal_text(exc, lines=True)}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from carecircles.analysis import assess, load_inputs
    from carecircles.config import load_config
    from carecircles.maps import write_map
    from carecircles.outputs import scorecard_text, summary_table, write_outputs
    from carecircles.scorecard import study_scorecard

    start = time.perf_counter()
    config = load_config(args.config)
    out_dir = args.out or config.output_dir
    map_path = args.map or config.map_path
    _check_output_folders(args, config, out_dir, map_path)
    progress = Progress(total=8 + len(config.siting), stream=None if args.quiet else sys.stderr)
    _banner(config)
    issues = DataIssues()
    try:
        inputs = load_inputs(config, progress, issues)
        result = assess(inputs, progress=progress, indicators=True)
        sitings = [_siting_run(inputs, options, progress) for options in config.siting]
        progress.total += 1
        with progress.step("Writing tables, figures, report and workbook"):
            paths = write_outputs(result, out_dir, lang=args.lang, documents=True, sitings=sitings)
            write_map(result, map_path, lang=args.lang)
    except Exception:
        _write_issues_on_stop(issues, out_dir)
        raise
    print(summary_table(result, lang=args.lang))
    print()
    print(scorecard_text(study_scorecard(result, args.lang), lang=args.lang))
    counts = result.issues.to_frame()["severity"].value_counts().to_dict()
    print()
    print(f"{'map:':<22}{terminal_text(map_path)}")
    for name, path in paths.items():
        print(f"{name + ':':<22}{terminal_text(path)}")
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    for name, why in manifest.get("skipped", {}).items():
        print(f"{name + ':':<22}skipped: {terminal_text(why)}")
    print(
        f"data issues:     {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings, "
        f"{counts.get('info', 0)} notes (see data_issues.csv)"
    )
    for siting in sitings:
        print()
        _report_siting(
            siting,
            out_dir / f"siting-{siting.standard.id}",
            map_path.with_name(f"{config.name}-siting-{siting.standard.id}.html"),
            args.lang,
        )
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def ensure_writable(folder: Path, key: str, source: Path | None = None) -> None:
    """Create ``folder`` if needed and make sure a file can be written in it.

    Called before any analysis, so that a run never finishes only to fail on writing.
    ``key`` is the option or config key that chose the folder; ``source`` the config file
    when it was the config.

    Raises
    ------
    InputError
        Naming the folder, the reason and the config key or option that chose it.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".carecircles-write-test-"):
            pass
    except OSError as exc:
        raise InputError(
            f"cannot write to the folder {folder}: {exc.strerror or exc}; choose another with {key}",
            path=source,
            field=key,
        ) from None


def _check_output_folders(
    args: argparse.Namespace, config: StudyConfig, out_dir: Path, map_path: Path
) -> None:
    """Both output folders, each named by the option or config key that chose it."""
    for folder, option, key in ((out_dir, args.out, "output.dir"), (map_path.parent, args.map, "output.map")):
        if option:
            ensure_writable(folder, "--out" if key == "output.dir" else "--map")
        else:
            ensure_writable(folder, key, config.source)


def _write_issues_on_stop(issues: DataIssues, out_dir: Path) -> None:
    """Write the data issues found before a run stopped, and say where.

    They go to ``data_issues-stopped.csv``, not ``data_issues.csv``: the folder may hold the
    tables and report of an earlier, finished run, which must not seem to go with these issues.
    """
    from carecircles.outputs import STOPPED_ISSUES, write_csv

    path = out_dir / STOPPED_ISSUES
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_csv(issues.to_frame(), path)
    except OSError as exc:
        print(f"carecircles: could not write {terminal_text(path)}: {exc.strerror or exc}", file=sys.stderr)
        return
    earlier = " (the other files in that folder, if any, are from an earlier run)"
    print(
        f"carecircles: the run stopped; {len(issues)} data issues found so far are in "
        f"{terminal_text(path)}{earlier}",
        file=sys.stderr,
    )


def _banner(config: StudyConfig) -> None:
    synthetic = "  [SYNTHETIC DATA]" if config.synthetic else ""
    print(f"carecircles {__version__}: {terminal_text(config.title)}{synthetic}", file=sys.stderr)


def _siting_run(inputs: StudyInputs, options: SitingOptions, progress: Progress) -> SitingResult:
    from carecircles.siting import site

    with progress.step(f"Siting for {options.standard}"):
        result = site(inputs, options)
        progress.note(
            f"{result.candidates_considered:,} candidates ({result.candidates_excluded:,} excluded)"
        )
    return result


def _report_siting(siting: SitingResult, out_dir: Path, map_path: Path, lang: str) -> None:
    from carecircles.maps import write_siting_map
    from carecircles.outputs import siting_summary, write_siting
    from carecircles.report import write_siting_report

    paths = write_siting(siting, out_dir)
    write_siting_map(siting, map_path, lang=lang)
    report, _ = write_siting_report(siting, out_dir, lang=lang)
    print(siting_summary(siting, lang=lang))
    print(f"siting map:  {terminal_text(map_path)}")
    print(f"report:      {terminal_text(report)}")
    print(f"siting:      {terminal_text(paths['sites'].parent)}")


def _site(args: argparse.Namespace) -> int:
    from carecircles._schema_walk import suggest
    from carecircles.analysis import load_inputs
    from carecircles.config import load_config
    from carecircles.schema import make_siting_options

    start = time.perf_counter()
    config = load_config(args.config)
    ids = [s.id for s in config.standards]
    if args.standard not in ids:  # before any path is built from it or any input is read
        raise InputError(
            f"--standard {args.standard!r} is not one of the study's standards "
            f"({', '.join(ids)}){suggest(args.standard, ids)}",
            path=config.source,
            field="standards",
        )
    options = make_siting_options(
        {
            "standard": args.standard,
            "k": "auto" if args.k is None else args.k,
            "target_share": args.target_share,
            "outreach_below": args.outreach_below,
            "min_demand": args.min_demand,
            "candidates": tuple(c.strip() for c in args.candidates.split(",") if c.strip()),
            "candidate_file": args.candidate_file,
            "road_node_spacing_m": args.spacing,
            "one_per_zone": args.one_per_zone,
            "lock_planned": not args.no_planned,
            "site_type": args.site_type,
            "exact": args.exact,
        }
    )
    out_dir = args.out or config.output_dir / f"siting-{args.standard}"
    map_path = args.map or config.map_path.with_name(f"{config.name}-siting-{args.standard}.html")
    _check_output_folders(args, config, out_dir, map_path)
    progress = Progress(total=6, stream=None if args.quiet else sys.stderr)
    _banner(config)
    issues = DataIssues()
    try:
        inputs = load_inputs(config, progress, issues)
        result = _siting_run(inputs, options, progress)
        _report_siting(result, out_dir, map_path, args.lang)
    except Exception:
        _write_issues_on_stop(issues, out_dir)
        raise
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def _check(args: argparse.Namespace) -> int:
    from carecircles.check import check_config, format_checklist

    items = check_config(args.config)
    print(format_checklist(items, lang=args.lang))
    return 0 if all(item.ok for item in items) else 2


def _batch(args: argparse.Namespace) -> int:
    from carecircles.batch import run_batch
    from carecircles.outputs import write_csv

    missing = [str(c) for c in args.configs if not c.exists()]
    if missing:
        missing_text = terminal_text(", ".join(missing))
        print(f"carecircles: error: config files not found: {missing_text}", file=sys.stderr)
        return 2
    result = run_batch(
        args.configs, scheduler=args.scheduler, workers=args.workers, write_outputs=args.outputs
    )
    args.out.mkdir(parents=True, exist_ok=True)
    zones_path, studies_path = args.out / "zones_all.csv", args.out / "studies.csv"
    write_csv(result.zones, zones_path)
    write_csv(result.studies, studies_path)
    ok = (result.studies["status"] == "ok").sum()
    print(f"{ok} of {len(result.studies)} studies done in {result.timings['batch_s']:.1f} s")
    totals = result.zones[result.zones["zone_code"] == "ALL"] if not result.zones.empty else result.zones
    for row in totals.itertuples():
        share, uncovered = row.covered_share, row.uncovered_population
        study, standard = terminal_text(row.study), terminal_text(row.standard)
        print(f"  {study:<24} {standard:<16} {share:7.1%}  uncovered {uncovered:>9,.0f}")
    for row in result.failures.itertuples():
        print(f"  FAILED {terminal_text(row.study)}: {terminal_text(row.error, lines=True)}")
    print(f"merged:      {terminal_text(zones_path)}\nstudies:     {terminal_text(studies_path)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
