"""Command line: ``carecircles run | site | check | batch | prepare``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carecircles import __version__
from carecircles._encode import terminal_text
from carecircles._errors import CareCirclesError, DataIssues, InputError
from carecircles._progress import Progress

if TYPE_CHECKING:
    from carecircles.analysis import StudyInputs, StudyResult
    from carecircles.config import StudyConfig
    from carecircles.schema import SitingOptions
    from carecircles.siting import SitingResult


def _wanted_lang(argv: list[str]) -> str:
    """Return the language asked for (``--lang en``, ``CARECIRCLES_LANG=en``), before parsing."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return os.environ.get("CARECIRCLES_LANG", "zh")


def _parser(zh: bool) -> argparse.ArgumentParser:
    """Build the command line, its help in Chinese (``zh``) or English."""

    def h(chinese: str, english: str) -> str:
        return chinese if zh else english

    parser = argparse.ArgumentParser(
        prog="carecircles",
        description=h(
            "检验县域卫生健康规划的就医圈承诺：逐个乡镇（街道）找出15分钟、30分钟就医圈和2.5公里村卫生室服务半径之外的人口。",
            "Test county health-service plans: who is outside the 15-minute, 30-minute and 2.5 km circles, "
            "zone by zone.",
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"carecircles {__version__}",
        help=h("显示版本并退出", "show the version and exit"),
    )
    commands = parser.add_subparsers(dest="command", required=True, title=h("命令", "commands"))
    language = h("输出语言：zh 中文（默认）或 en 英文", "output language: zh Chinese (default) or en English")
    sample = h("研究配置文件（YAML）；省略则运行自带的合成示例县", "study config (YAML); omit for the sample")
    quiet = h("不显示进度", "no progress lines")
    run = commands.add_parser(
        "run",
        help=h(
            "运行一项研究（默认：自带的合成示例县）",
            "run a study (default: the bundled synthetic sample county)",
        ),
    )
    run.add_argument("config", nargs="?", type=Path, help=sample)
    run.add_argument(
        "--out",
        type=Path,
        help=h("输出文件夹（默认 output/<研究名>）", "output folder (default: output/<study>)"),
    )
    run.add_argument(
        "--map",
        type=Path,
        help=h("地图 HTML 路径（默认 maps/<研究名>.html）", "HTML map path (default: maps/<study>.html)"),
    )
    run.add_argument("--lang", choices=("zh", "en"), default="zh", help=language)
    run.add_argument("--quiet", action="store_true", help=quiet)
    run.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=2,
        help=h(
            "进程数：2（默认）在第二个进程中描绘多边形、写地图，全省约快三分之一，内存多约 0.6 GiB；"
            "1 只用一个进程",
            "processes: 2 (default) traces polygons and writes the map in a second process, about a third "
            "faster on a province for about 0.6 GiB more memory; 1 uses one process",
        ),
    )
    siting = commands.add_parser(
        "site",
        help=h(
            "为一项标准提出新建站点（覆盖缺口最多者优先）",
            "propose new sites that close the most gap for one standard",
        ),
        description=h(
            "贪心最大覆盖（可用整数规划精确核对）：哪些新站点能覆盖最多尚未覆盖的人口，逐区域列出。",
            "Greedy maximal covering (optionally checked by an exact integer program): which new sites cover "
            "the most people not yet covered, zone by zone.",
        ),
    )
    siting.add_argument("config", nargs="?", type=Path, help=sample)
    siting.add_argument(
        "--standard", default="rural-30min", help=h("要补齐缺口的标准", "standard to close gaps for")
    )
    siting.add_argument(
        "--k",
        type=int,
        help=h(
            "最多新建站点数（默认3；距离标准不限）",
            "most new sites (default 3; no limit for distance standards)",
        ),
    )
    siting.add_argument(
        "--target-share",
        type=float,
        help=h("覆盖率达到此值即停止（0-1）", "stop once this share is covered (0-1)"),
    )
    siting.add_argument(
        "--outreach-below",
        type=float,
        default=50.0,
        help=h(
            "最佳站点新增覆盖少于此人数时停止，改为建议巡诊（默认50）",
            "stop when the best site adds fewer people: recommend outreach instead (default 50)",
        ),
    )
    siting.add_argument(
        "--min-demand",
        type=float,
        default=0.0,
        help=h(
            "人口少于此数的地点（村）留给巡诊，不设固定站点",
            "places (villages) with fewer people are left to outreach, not fixed sites",
        ),
    )
    siting.add_argument(
        "--candidates",
        default="villages,zone_centres,road_nodes",
        help=h(
            "候选点类型，逗号分隔：villages、zone_centres、road_nodes（'' 为无）",
            "candidate kinds, comma separated: villages, zone_centres, road_nodes ('' for none)",
        ),
    )
    siting.add_argument(
        "--candidate-file",
        type=Path,
        help=h("自备候选点文件（CSV/GeoJSON/GPKG）", "CSV/GeoJSON/GPKG of your own candidate sites"),
    )
    siting.add_argument(
        "--spacing",
        type=float,
        default=1000.0,
        help=h("路网节点候选点间距（米）", "road-node candidate spacing (m)"),
    )
    siting.add_argument(
        "--site-type",
        help=h(
            "新站点的机构类型（如 thc、village_clinic）",
            "facility type of new sites (e.g. thc, village_clinic)",
        ),
    )
    siting.add_argument(
        "--one-per-zone",
        action="store_true",
        help=h("先给每个有缺口的区域各一个站点", "first one site per zone with a gap"),
    )
    siting.add_argument(
        "--no-planned",
        action="store_true",
        help=h("不把规划机构算作已建成", "do not count planned facilities as built"),
    )
    siting.add_argument(
        "--exact",
        action="store_true",
        help=h(
            "同时求解整数规划，给出贪心结果与最优解的已证差距",
            "also solve the integer programs: the proven gap between greedy and the best",
        ),
    )
    siting.add_argument(
        "--exact-seconds",
        type=float,
        metavar="S",
        help=h(
            "每个整数规划的求解时限（秒，默认 60）；到时给出已找到的最好解及其已证差距",
            "time limit of each integer program (seconds, default 60): the best found and its proven gap",
        ),
    )
    siting.add_argument(
        "--out",
        type=Path,
        help=h(
            "输出文件夹（默认 output/<研究名>/siting-<标准>）",
            "output folder (default: output/<study>/siting-<standard>)",
        ),
    )
    siting.add_argument(
        "--map",
        type=Path,
        help=h(
            "地图 HTML（默认 maps/<研究名>-siting-<标准>.html）",
            "HTML map (default: maps/<study>-siting-<standard>.html)",
        ),
    )
    siting.add_argument("--lang", choices=("zh", "en"), default="zh", help=language)
    siting.add_argument("--quiet", action="store_true", help=quiet)
    check = commands.add_parser(
        "check",
        help=h(
            "几秒内检查配置和输入文件，不运行分析",
            "check a study config and its input files in seconds, without running the analysis",
        ),
        description=h(
            "检查配置（每个键），再逐个检查输入文件：能否读取、列是否找到、坐标系和坐标是否合理、栅格是否覆盖区域、编码；"
            "输出文件夹是否可写。全部通过时退出码为0，否则为2。",
            "Validates the config (every key), then each input file: readable, columns found, CRS and "
            "coordinates plausible, raster covering the zones, encodings; output folders writable. "
            "Exit status "
            "0 when every item passes, 2 otherwise.",
        ),
    )
    check.add_argument("config", nargs="?", type=Path, help=sample)
    check.add_argument("--lang", choices=("zh", "en"), default="zh", help=language)
    batch = commands.add_parser(
        "batch",
        help=h(
            "用 Dask 运行多项研究（如一个省的所有县）并合并结果",
            "run many studies (e.g. every county of a province) on Dask and merge the results",
        ),
        description=h(
            "每个配置一个任务，在 Dask LocalCluster（默认）或已运行的调度器上执行；"
            "报告失败的研究，其余合并成一张表。",
            "One task per study config on a Dask LocalCluster (default) or a running scheduler; "
            "failed studies "
            "are reported, the rest merged into one table.",
        ),
    )
    batch.add_argument(
        "configs", nargs="+", type=Path, help=h("研究配置文件（YAML）", "study configs (YAML)")
    )
    batch.add_argument(
        "--scheduler",
        help=h(
            "已运行的 Dask 调度器地址（tcp://主机:8786）",
            "address of a running Dask scheduler (tcp://host:8786)",
        ),
    )
    batch.add_argument(
        "--workers",
        type=int,
        default=2,
        help=h("LocalCluster 工作进程数（默认2）", "LocalCluster worker processes (default 2)"),
    )
    batch.add_argument(
        "--out", type=Path, default=Path("output/batch"), help=h("合并表格的文件夹", "merged tables folder")
    )
    batch.add_argument(
        "--outputs",
        action="store_true",
        help=h("同时写出每项研究的表格和地图", "also write each study's tables and map"),
    )
    _prepare_parser(commands, h, language, quiet)
    if zh:  # argparse's own words (its section titles and the -h line) in Chinese too
        for each in (parser, *commands.choices.values()):
            each._positionals.title = "位置参数"
            each._optionals.title = "选项"
            for action in each._actions:
                if isinstance(action, argparse._HelpAction):
                    action.help = "显示帮助并退出"
    return parser


def _prepare_parser(commands: Any, h: Any, language: str, quiet: str) -> None:
    prepare = commands.add_parser(
        "prepare",
        help=h(
            "从 OpenStreetMap 下载道路、医疗机构、行政区和村点，生成研究配置",
            "download roads, facilities, zones and villages from OpenStreetMap and write a study config",
        ),
        description=h(
            "为一个地名、边界文件或经纬度范围下载 OSM 数据（osmnx），写出研究文件和 study.yml；"
            "说明 OSM 缺少什么、需要补充什么。响应会缓存，再次运行无需联网。",
            "Download OSM data (osmnx) for a place name, a boundary file or a bounding box, write the "
            "study's files and study.yml, and say what OSM lacks and what to supply. Responses are "
            "cached: a second run needs no network.",
        ),
    )
    prepare.add_argument("place", nargs="?", help=h("地名（用 Nominatim 查找）", "place name (Nominatim)"))
    prepare.add_argument("--boundary", type=Path, help=h("边界文件（面）", "boundary file (polygons)"))
    prepare.add_argument(
        "--bbox",
        help=h(
            "经纬度范围：西,南,东,北（以负数开头时写成 --bbox=-54.6,-20.6,-54.5,-20.4）",
            "bounding box: west,south,east,north in degrees (starting with a minus: --bbox=-54.6,…)",
        ),
    )
    prepare.add_argument(
        "--out", type=Path, required=True, help=h("写出研究文件的文件夹", "folder for the study's files")
    )
    prepare.add_argument(
        "--admin-level",
        type=int,
        default=8,
        help=h("作为区域的 OSM admin_level（默认8：乡镇/街道）", "OSM admin_level of the zones (default 8)"),
    )
    prepare.add_argument(
        "--overpass-url",
        default=None,
        help=h("Overpass 服务器（如内网镜像）", "Overpass server (e.g. a mirror)"),
    )
    prepare.add_argument("--nominatim-url", default=None, help=h("Nominatim 服务器", "Nominatim server"))
    prepare.add_argument("--cache", type=Path, help=h("缓存文件夹（默认 <out>/cache）", "cache folder"))
    prepare.add_argument(
        "--population-url", help=h("人口栅格（GeoTIFF）的下载地址", "URL of a population GeoTIFF")
    )
    prepare.add_argument(
        "--dem-url",
        help=h(
            "SRTM 图幅下载地址模板，含 {tile}，如 https://镜像/srtm/{tile}.hgt.zip",
            "SRTM tile URL template with {tile}, e.g. https://mirror/srtm/{tile}.hgt.zip",
        ),
    )
    prepare.add_argument(
        "--timeout", type=int, default=180, help=h("等待服务器的秒数", "seconds to wait for a server")
    )
    prepare.add_argument("--lang", choices=("zh", "en"), default="zh", help=language)
    prepare.add_argument("--quiet", action="store_true", help=quiet)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``carecircles`` command."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(zh=_wanted_lang(argv) != "en")
    args = parser.parse_args(argv)
    before = _exit_on_sigterm()
    try:
        commands = {"run": _run, "site": _site, "check": _check, "batch": _batch, "prepare": _prepare}
        return commands[args.command](args)
    except BrokenPipeError:  # output piped into `head` or a pager that closed: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CareCirclesError as exc:
        lang = getattr(args, "lang", _wanted_lang(argv))
        words = exc.in_lang(lang) if isinstance(exc, InputError) else str(exc)
        prefix = "carecircles：错误：" if lang == "zh" else "carecircles: error: "
        print(f"{prefix}{terminal_text(words, lines=True)}", file=sys.stderr)
        return 2
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


def _exit_on_sigterm() -> Any:
    """Make SIGTERM (``timeout``, ``docker stop``) end the command like Ctrl-C: cleaning up.

    Its second processes, temporary files and Chromium are then stopped and removed by the
    code that made them. Returns the handler it replaced (``None``: not the main thread).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _run(args: argparse.Namespace) -> int:
    from carecircles.config import load_config
    from carecircles.maps import write_map
    from carecircles.outputs import scorecard_text, summary_table, write_outputs
    from carecircles.scorecard import study_scorecard

    start = time.perf_counter()
    config = load_config(args.config)
    out_dir = args.out or config.output_dir
    map_path = args.map or config.map_path
    _check_output_folders(args, config, out_dir, map_path)
    progress = Progress(
        total=9 + len(config.siting) + len(config.scenarios),
        stream=None if args.quiet else sys.stderr,
        lang=args.lang,
    )
    _banner(config, args.lang)
    issues = DataIssues()
    try:
        result, sitings = _study(config, progress, issues, args.processes)  # the inputs' networks are freed
        with progress.step("Writing tables, figures, report and workbook"):
            paths = write_outputs(
                result,
                out_dir,
                lang=args.lang,
                documents=True,
                sitings=sitings,
                beside=lambda: write_map(result, map_path, lang=args.lang),  # on the other core
                processes=args.processes,
            )
    except Exception:
        _write_issues_on_stop(issues, out_dir)
        raise
    print(summary_table(result, lang=args.lang))
    print()
    print(scorecard_text(study_scorecard(result, args.lang), lang=args.lang))
    counts = result.issues.to_frame()["severity"].value_counts().to_dict()
    print()
    print(f"{'map:':<22}{terminal_text(map_path)}")
    _print_county_pages(result, map_path, args.lang)
    for name, path in paths.items():
        print(f"{name + ':':<22}{terminal_text(path)}")
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    for name, why in manifest.get("skipped", {}).items():
        print(f"{name + ':':<22}skipped: {terminal_text(why)}")
    errors, warnings, notes = counts.get("error", 0), counts.get("warning", 0), counts.get("info", 0)
    print(
        f"{'数据问题：':<18}{errors} 个错误，{warnings} 个警告，{notes} 条提示（见 data_issues.csv）"
        if args.lang == "zh"
        else f"{'data issues:':<22}{errors} errors, {warnings} warnings, {notes} notes (see data_issues.csv)"
    )
    for siting in sitings:
        print()
        _report_siting(
            siting,
            out_dir / f"siting-{siting.standard.id}",
            map_path.with_name(f"{config.name}-siting-{siting.standard.id}.html"),
            args.lang,
        )
    seconds = time.perf_counter() - start
    print(f"完成，用时 {seconds:.1f} 秒" if args.lang == "zh" else f"done in {seconds:.1f} s")
    return 0


def _study(
    config: StudyConfig, progress: Progress, issues: DataIssues, processes: int
) -> tuple[StudyResult, list[SitingResult]]:
    """Read the inputs, assess the study, its scenarios and its sitings (``processes``: 1 or 2).

    The inputs (a province's road networks: ~0.3 GiB) are freed on return, before the
    outputs are written beside Chromium printing the report.
    """
    from carecircles.analysis import assess, load_inputs
    from carecircles.scenarios import run_scenarios

    inputs = load_inputs(config, progress, issues, processes=processes)
    result = assess(inputs, progress=progress, indicators=True)
    result.scenarios = run_scenarios(inputs, progress)
    result.timings = dict(progress.timings)  # with the scenarios' steps
    result.peaks = dict(progress.peaks)
    return result, [_siting_run(inputs, options, progress) for options in config.siting]


def _print_county_pages(result: StudyResult, map_path: Path, lang: str) -> None:
    """Say where a province study's county pages are (its map is an index of them)."""
    from carecircles.province import counties, county_folder, is_province

    if not is_province(result.zones):
        return
    folder = county_folder(map_path)
    n = len(counties(result.zones))
    print(
        f"{'区县详图：':<18}{n} 个页面，在 {terminal_text(folder)}（总图为各区县排名）"
        if lang == "zh"
        else f"{'county pages:':<22}{n} pages in {terminal_text(folder)} (the map is their index)"
    )


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


def _banner(config: StudyConfig, lang: str = "zh") -> None:
    synthetic = (
        ("  [合成数据，非真实数据]" if lang == "zh" else "  [SYNTHETIC DATA]") if config.synthetic else ""
    )
    print(f"carecircles {__version__}: {terminal_text(config.title)}{synthetic}", file=sys.stderr)


def _siting_run(inputs: StudyInputs, options: SitingOptions, progress: Progress) -> SitingResult:
    from carecircles.siting import site

    with progress.step(f"Siting for {options.standard}"):
        result = site(inputs, options)
        progress.note(
            f"{result.candidates_considered:,} candidates ({result.candidates_excluded:,} excluded)",
            zh=f"{result.candidates_considered:,} 个候选点（排除 {result.candidates_excluded:,} 个）",
        )
    return result


def _report_siting(siting: SitingResult, out_dir: Path, map_path: Path, lang: str) -> None:
    from carecircles.maps import write_siting_map
    from carecircles.outputs import siting_summary, write_siting
    from carecircles.report import write_siting_report

    paths = write_siting(siting, out_dir, lang)
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
            **({} if args.exact_seconds is None else {"exact_time_limit_s": args.exact_seconds}),
        }
    )
    out_dir = args.out or config.output_dir / f"siting-{args.standard}"
    map_path = args.map or config.map_path.with_name(f"{config.name}-siting-{args.standard}.html")
    _check_output_folders(args, config, out_dir, map_path)
    progress = Progress(total=6, stream=None if args.quiet else sys.stderr, lang=args.lang)
    _banner(config, args.lang)
    issues = DataIssues()
    try:
        inputs = load_inputs(config, progress, issues)
        result = _siting_run(inputs, options, progress)
        _report_siting(result, out_dir, map_path, args.lang)
    except Exception:
        _write_issues_on_stop(issues, out_dir)
        raise
    seconds = time.perf_counter() - start
    print(f"完成，用时 {seconds:.1f} 秒" if args.lang == "zh" else f"done in {seconds:.1f} s")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from carecircles.prepare import DEFAULT_NOMINATIM, DEFAULT_OVERPASS, PrepareOptions, prepare

    bbox = None
    if args.bbox is not None:
        try:
            west, south, east, north = (float(v) for v in args.bbox.replace("，", ",").split(","))
        except ValueError:
            raise InputError(
                f"--bbox must be four numbers west,south,east,north, got {args.bbox!r}",
                field="bbox",
                zh=f"--bbox 应为四个数：西,南,东,北，实际为 {args.bbox!r}",
            ) from None
        bbox = (west, south, east, north)
    options = PrepareOptions(
        out=args.out,
        place=args.place,
        boundary=args.boundary,
        bbox=bbox,
        admin_level=args.admin_level,
        overpass_url=args.overpass_url or DEFAULT_OVERPASS,
        nominatim_url=args.nominatim_url or DEFAULT_NOMINATIM,
        cache=args.cache,
        population_url=args.population_url,
        dem_url=args.dem_url,
        timeout=args.timeout,
    )
    progress = Progress(total=5, stream=None if args.quiet else sys.stderr, lang=args.lang)
    done = prepare(options, progress)
    zh = args.lang == "zh"
    for name, count in done.counts.items():
        print(f"{name + ':':<14}{count:,}")
    if done.missing:
        print("OSM 缺少的数据：" if zh else "what OSM lacks here:")
        for en, cn in done.missing:
            print(f"  - {terminal_text(cn if zh else en)}")
    print(f"{'研究配置：' if zh else 'study config: '}{terminal_text(done.config)}")
    print(f"{'说明：' if zh else 'report: '}{terminal_text(done.report)}")
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
