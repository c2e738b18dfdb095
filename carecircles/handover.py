"""Files to hand over: the tables as one Excel workbook, the report as Word and as PDF.

- ``tables.xlsx``: a sheet per table with Chinese sheet names and headers (English with
  ``lang="en"``), people as whole numbers, shares as numbers cut (never rounded up) to 0.1 %,
  text from input files always text, never a formula.
- ``report.docx``: title, summary, scorecard, zone tables and the A4 map figures, Chinese fonts
  set for East Asian text.
- ``report.pdf``: ``report.html`` printed by headless Chromium (or Chrome / Edge) with its print
  style sheet (A4, page numbers). Without such a browser it is skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from carecircles._encode import percent, xml_text
from carecircles._progress import Laps, release_free_memory
from carecircles.analysis import StudyResult
from carecircles.assessment import people_as_integers, whole_people
from carecircles.labels import label, labels, standard_title, verdict_text
from carecircles.scorecard import study_scorecard
from carecircles.summary import summary_lines

#: Sheet name → key of its title in the label table.
_SHEETS = ("summary", "scorecard", "zones", "villages", "facilities", "catchments", "capacity", "issues")
#: Column name → label key for the workbook's headers (columns not listed keep their name).
_HEADERS = {
    "standard": "standard",
    "zone_code": "zone_code",
    "zone_name": "zone",
    "zone_type": "type",
    "population": "population",
    "covered_population": "covered_people",
    "covered_share": "share",
    "target_share": "target",
    "passes": "result",
    "uncovered_population": "uncovered_people",
    "unreachable_population": "unreachable_people",
    "reachable_uncovered_population": "reachable_uncovered",
    "villages": "villages_total",
    "villages_fixed": "clinic_fixed",
    "villages_outreach_only": "clinic_outreach_only",
    "villages_none": "clinic_none",
    "name": "name",
    "type": "type",
    "status": "status",
    "beds": "beds",
    "doctors": "doctors",
    "nurses": "nurses",
    "severity": "severity",
    "source": "file",
    "row": "row",
    "field": "field",
    "message": "message",
    "action": "action",
    "value": "value",
    "indicator": "indicator",
    "actual": "actual",
    "note": "note",
    "lon": "lon",
    "lat": "lat",
    "facility": "facility",
}
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge")


def _share_down(value: object) -> object:
    """Cut a share to 0.1 % (so Excel's 0.0% format never shows it rounded up)."""
    if value is None or pd.isna(value):
        return None
    return math.floor(float(value) * 1000 + 1e-9) / 1000  # type: ignore[arg-type]


def workbook_tables(result: StudyResult, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Return the workbook's tables by sheet key, with headers in ``lang``."""
    t = labels(lang)
    people = whole_people(result.zone_results)
    names = {s.id: standard_title(s, lang) for s in result.config.standards}
    tables: dict[str, pd.DataFrame] = {
        "summary": pd.DataFrame({t["summary"]: [line for _, line in summary_lines(result, lang)]}),
    }
    card = study_scorecard(result, lang)
    tables["scorecard"] = pd.DataFrame(
        {
            t["indicator"]: card["name_zh" if lang == "zh" else "name_en"],
            t["target"]: card["target"],
            t["actual"]: card["actual"],
            t["result"]: [t["not_assessed"] if pd.isna(p) else verdict_text(p, lang) for p in card["passes"]],
            t["zones_passing"]: [
                "" if pd.isna(a) else f"{p}/{a}"
                for p, a in zip(card["zones_passing"], card["zones_assessed"], strict=True)
            ],
            t["source"]: card["source"],
            t["note"]: card["note"],
        }
    )
    zones = people_as_integers(people)
    for found in result.scenarios.values():  # each speed scenario beside the base case
        other = people_as_integers(whole_people(found.zone_results))
        columns = {
            "covered_share": f"{t['share']}（{found.title}）"
            if lang == "zh"
            else f"{t['share']} ({found.title})",
            "passes": f"{t['result']}（{found.title}）" if lang == "zh" else f"{t['result']} ({found.title})",
            "uncovered_population": (
                f"{t['uncovered_people']}（{found.title}）"
                if lang == "zh"
                else f"{t['uncovered_people']} ({found.title})"
            ),
        }
        other = other[["standard", "zone_code", *columns]].rename(columns=columns)
        other[columns["covered_share"]] = other[columns["covered_share"]].map(_share_down)
        other[columns["passes"]] = [verdict_text(p, lang) for p in other[columns["passes"]]]
        zones = zones.merge(other, on=["standard", "zone_code"], how="left", validate="one_to_one")
    zones["standard"] = zones["standard"].map(names)
    zones.loc[zones["zone_code"] == "ALL", "zone_name"] = t["all_zones"]
    zones["passes"] = [verdict_text(p, lang) for p in zones["passes"]]
    zones["zone_type"] = [label(z, lang) if z in ("urban", "rural", "all") else z for z in zones["zone_type"]]
    zones["covered_share"] = zones["covered_share"].map(_share_down)
    tables["zones"] = zones
    if result.villages is not None:
        villages = result.villages.drop(columns="geometry").copy()
        villages.insert(3, "lon", result.villages.geometry.x.round(6))
        villages.insert(4, "lat", result.villages.geometry.y.round(6))
        villages["population"] = villages["population"].round(0).astype("Int64")
        tables["villages"] = villages
    facilities = result.facilities.drop(columns="geometry").copy()
    tables["facilities"] = facilities
    if result.catchments is not None:
        from carecircles.outputs import catchment_report

        tables["catchments"] = catchment_report(result.catchments)
    if result.capacity is not None:
        from carecircles.outputs import capacity_report

        tables["capacity"] = capacity_report(result)
    issues = result.issues.to_frame()
    if lang == "zh":
        issues["message"] = issues["message_zh"].where(issues["message_zh"] != "", issues["message"])
        issues["severity"] = [t.get(v, v) for v in issues["severity"]]
        issues["action"] = [t.get(f"action_{v}", v) for v in issues["action"]]
    tables["issues"] = issues.drop(columns="message_zh")
    for key, frame in tables.items():
        if key in ("summary", "scorecard"):
            continue
        frame.columns = [label(_HEADERS[c], lang) if c in _HEADERS else str(c) for c in frame.columns]
    return tables


def write_workbook(result: StudyResult, path: Path, lang: str = "zh") -> Path:
    """Write ``tables.xlsx``: one sheet per table, headers frozen, text never a formula.

    Written row by row (openpyxl's write-only mode): a province's tables in seconds.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    share_header = label("share", lang)
    for key, frame in workbook_tables(result, lang).items():
        sheet = book.create_sheet(label(f"sheet_{key}", lang))
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            shown = [len(str(column))] + [len(str(v)) for v in frame[column].head(200)]
            sheet.column_dimensions[get_column_letter(i)].width = min(max(shown) * 1.6 + 2, 60)
        percent_at = {i for i, column in enumerate(frame.columns) if column == share_header}
        sheet.append([_cell(sheet, xml_text(c), False) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(sheet, _cell_value(v), i in percent_at) for i, v in enumerate(row)])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _cell(sheet: object, value: object, percent: bool) -> object:
    """Return a write-only row's value: text kept as text (never a formula), shares as ``0.0%``.

    openpyxl stores other text as text already; only what it would read as a formula (``=…``)
    or an error value (``#N/A``) gets a cell of its own (a cell per value cost a province 1.5 s).
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    if isinstance(value, str):
        if not value.startswith("=") and value not in ERROR_CODES:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would write ``=…`` as a formula
        return cell
    if percent and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0%"
        return cell
    return value


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        if not isinstance(value, (str, bytes)):
            return value
    if isinstance(value, (int, float, bool)):
        return value
    return xml_text(value)  # text: control characters shown as \xNN (XML cannot hold them)


def write_docx(
    result: StudyResult,
    path: Path,
    lang: str = "zh",
    figures: Mapping[str, Path] | None = None,
) -> Path:
    """Write ``report.docx``: title, summary, scorecard, zone tables and map figures."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    t = labels(lang)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.name = "Microsoft YaHei"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Microsoft YaHei")
    config = result.config
    doc.add_heading(xml_text(f"{config.title} · {t['report']}"), level=0)
    if config.synthetic:
        doc.add_paragraph(t["synthetic"]).runs[0].bold = True
    if config.issuing_unit:
        unit = (
            f"{t['issued_by']}：{config.issuing_unit}"
            if lang == "zh"
            else f"{t['issued_by']}: {config.issuing_unit}"
        )
        doc.add_paragraph(xml_text(unit))
    doc.add_heading(t["summary"], level=1)
    for _, line in summary_lines(result, lang):
        doc.add_paragraph(xml_text(line), style="List Bullet")
    tables = workbook_tables(result, lang)
    doc.add_heading(t["scorecard"], level=1)
    card = tables["scorecard"]
    _docx_table(doc, card[card.columns[:5]])
    doc.add_heading(t["zones"], level=1)
    people = whole_people(result.zone_results)
    for s in result.config.standards:
        rows = people[people["standard"] == s.id]
        if rows.empty:
            continue
        doc.add_heading(xml_text(standard_title(s, lang)), level=2)
        if figures and s.id in figures:
            doc.add_picture(str(figures[s.id]), width=Cm(17.0))
        shown = pd.DataFrame(
            {
                t["zone"]: [
                    t["all_zones"] if c == "ALL" else n
                    for c, n in zip(rows["zone_code"], rows["zone_name"], strict=True)
                ],
                t["population"]: [f"{v:,.0f}" for v in rows["population"]],
                t["share"]: [
                    "—" if p <= 0 else percent(v)
                    for v, p in zip(rows["covered_share"], rows["population"], strict=True)
                ],
                t["uncovered_people"]: [f"{v:,.0f}" for v in rows["uncovered_population"]],
                t["result"]: [verdict_text(p, lang) for p in rows["passes"]],
            }
        )
        _docx_table(doc, shown)
    issues = len(result.issues)
    doc.add_paragraph(
        f"{t['issues']}：{issues}（data_issues.csv）" if lang == "zh" else f"{t['issues']}: {issues}"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _docx_table(doc: object, frame: pd.DataFrame) -> None:
    table = doc.add_table(rows=1, cols=len(frame.columns))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = xml_text(name)
        cell.paragraphs[0].runs[0].bold = True
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = (
                "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            )


def find_browser() -> str | None:
    """Return a Chromium-family browser to print with (``CARECIRCLES_BROWSER`` first), or ``None``."""
    chosen = os.environ.get("CARECIRCLES_BROWSER")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).exists() else None)
    return next((found for name in _BROWSERS if (found := shutil.which(name))), None)


def print_pdf(html: Path, pdf: Path, timeout_s: float = 120.0) -> str | None:
    """Print an HTML file to PDF with headless Chromium; return ``None``, or why it was skipped."""
    return PdfPrint(html, pdf).finish(timeout_s)


class PdfPrint:
    """Headless Chromium printing an HTML file to PDF, in the background until :meth:`finish`.

    A province's report takes Chromium about ten seconds: the Word report and the workbook
    are written meanwhile.
    """

    def __init__(self, html: Path, pdf: Path) -> None:
        self.pdf = pdf
        self.browser = find_browser()
        self.process: subprocess.Popen | None = None
        self.why: str | None = None
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        if self.browser is None:
            self.why = (
                "no Chromium, Chrome or Edge found (set CARECIRCLES_BROWSER): open report.html and print it"
            )
            return
        pdf.unlink(missing_ok=True)
        command = [
            self.browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={self._profile.name}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        try:
            self.process = subprocess.Popen(  # its own process group: stopped with all its children
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            self.why = f"printing with {self.browser} failed: {exc}"

    def finish(self, timeout_s: float = 120.0) -> str | None:
        """Wait up to ``timeout_s`` more for the PDF; return ``None``, or why there is none."""
        try:
            if self.process is not None:
                try:
                    self.process.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
                    return f"printing with {self.browser} failed: no PDF after {timeout_s:g} s"
            if self.why is not None:
                return self.why
            if not self.pdf.exists() or self.pdf.stat().st_size == 0:
                return f"printing with {self.browser} produced no PDF"
            return None
        finally:
            self._profile.cleanup()


def write_documents(
    result: StudyResult,
    out_dir: Path,
    sitings: Sequence[object] = (),
    lang: str = "zh",
    *,
    meanwhile: Callable[[], object] | None = None,
    clock: Laps | None = None,
) -> tuple[dict[str, Path], dict[str, str]]:
    """Write the figures, the report (HTML, Markdown, Word, PDF) and the workbook.

    Chromium prints the PDF while the Word report and the workbook are written, and then
    ``meanwhile`` (the map, when written in this process); the seconds of each part are added
    to ``clock``'s laps.

    Returns
    -------
    tuple
        Output name → path, and skipped output → reason.
    """
    from carecircles.figure import write_figures
    from carecircles.report import write_report

    clock = clock or Laps()
    paths: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    figures = write_figures(result, out_dir, lang)
    if figures:
        for sid, files in figures.items():
            paths[f"figure_{sid}"] = files.png
        paths["figures_pdf"] = next(iter(figures.values())).pdf
    else:
        skipped["figures"] = "no Chinese font installed (e.g. apt-get install fonts-noto-cjk)"
    clock.lap("write the A4 figures")
    release_free_memory()  # the figures' drawing (~0.8 GiB at province scale), before Chromium starts
    pngs = {sid: f.png for sid, f in figures.items()}
    paths["report"], paths["report_md"] = write_report(result, out_dir, sitings, lang, pngs)  # type: ignore[arg-type]
    printing = PdfPrint(paths["report"], out_dir / "report.pdf")
    try:
        paths["report_docx"] = write_docx(result, out_dir / "report.docx", lang, pngs)
        paths["workbook"] = write_workbook(result, out_dir / "tables.xlsx", lang)
        clock.lap("write the report (HTML, Markdown, Word) and workbook")
        if meanwhile is not None:
            meanwhile()
            clock.lap("write the map (while the report prints)")
    except BaseException:
        printing.finish(0)  # stops Chromium
        raise
    why = printing.finish()
    clock.lap("wait for the report's PDF")
    if why is None:
        paths["report_pdf"] = out_dir / "report.pdf"
    else:
        skipped["report_pdf"] = why
    return paths, skipped
