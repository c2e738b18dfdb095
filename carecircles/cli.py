"""Command line: ``carecircles run [CONFIG]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from carecircles import __version__
from carecircles._errors import CareCirclesError
from carecircles._progress import Progress


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
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except CareCirclesError as exc:
        print(f"carecircles: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from carecircles.analysis import run_study
    from carecircles.config import load_config
    from carecircles.maps import write_map
    from carecircles.outputs import summary_table, write_outputs

    start = time.perf_counter()
    config = load_config(args.config)
    progress = Progress(stream=None if args.quiet else sys.stderr)
    print(
        f"carecircles {__version__}: {config.title}" + ("  [SYNTHETIC DATA]" if config.synthetic else ""),
        file=sys.stderr,
    )
    result = run_study(config, progress)
    out_dir = args.out or config.output_dir
    map_path = args.map or config.map_path
    paths = write_outputs(result, out_dir)
    write_map(result, map_path, lang=args.lang)
    print(summary_table(result, lang=args.lang))
    issues = result.issues.to_frame()
    counts = issues["severity"].value_counts().to_dict()
    print()
    print(f"map:         {map_path}")
    for name, path in paths.items():
        print(f"{name + ':':<13}{path}")
    print(
        f"data issues: {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings, "
        f"{counts.get('info', 0)} notes (see data_issues.csv)"
    )
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
