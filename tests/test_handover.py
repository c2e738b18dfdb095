"""Hand-over files: the workbook, the Word report and the PDF open and hold the summary and zone tables."""

from __future__ import annotations

import dataclasses
import os

import pytest

from carecircles.assessment import whole_people
from carecircles.handover import find_browser, print_pdf, write_docx, write_workbook
from carecircles.report import write_report
from carecircles.summary import summary_lines

HOSTILE = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2", "#N/A", "#DIV/0!"]


@pytest.fixture(scope="module")
def hostile_result(sample_result):
    """The sample with zone names that a spreadsheet would run as formulas."""
    zones = sample_result.zones.copy()
    renamed = dict(zip(zones["zone_code"][: len(HOSTILE)], HOSTILE, strict=True))
    zones["zone_name"] = [
        renamed.get(c, n) for c, n in zip(zones["zone_code"], zones["zone_name"], strict=True)
    ]
    results = sample_result.zone_results.copy()
    results["zone_name"] = [
        renamed.get(c, n) for c, n in zip(results["zone_code"], results["zone_name"], strict=True)
    ]
    return dataclasses.replace(sample_result, zones=zones, zone_results=results)


def test_workbook_has_chinese_sheets_headers_numbers_and_no_formulas(hostile_result, tmp_path):
    from openpyxl import load_workbook

    path = write_workbook(hostile_result, tmp_path / "tables.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[:5] == ["摘要", "记分卡", "各区域达标", "村", "医疗机构"]
    assert "数据问题" in book.sheetnames
    lines = [c.value for c in book["摘要"]["A"][1:]]
    assert lines == [line for _, line in summary_lines(hostile_result, "zh")]
    zones = book["各区域达标"]
    headers = [c.value for c in zones[1]]
    assert {"标准", "区域", "人口", "覆盖人口", "覆盖率", "未覆盖人口", "结果"} <= set(headers)
    table = whole_people(hostile_result.zone_results)
    col = {h: i for i, h in enumerate(headers)}
    rows = list(zones.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(table)
    for row, (_, expected) in zip(rows, table.iterrows(), strict=True):
        assert row[col["人口"]] == int(expected["population"])  # whole people, as numbers
        assert row[col["未覆盖人口"]] == int(expected["uncovered_population"])
        share = row[col["覆盖率"]]
        assert share <= expected["covered_share"] + 1e-12  # cut, never rounded up
        if expected["uncovered_population"] > 0:
            assert share < 1.0
    for cells in book["各区域达标"].iter_rows(min_row=2):
        name = cells[col["区域"]]
        assert name.data_type == "s"  # text, never a formula
    names = {c.value for c in zones["C"]}
    assert set(HOSTILE) <= names  # the same text, unchanged
    assert zones.cell(2, col["覆盖率"] + 1).number_format == "0.0%"
    assert zones.freeze_panes == "A2"


def test_workbook_text_held_as_numpy_scalars_is_text_too(tmp_path):
    """An object column may hold numpy strings: they are text like any other, never a formula,
    an error value or a refused control character."""
    import numpy as np
    from openpyxl import Workbook, load_workbook

    from carecircles.handover import _cell, _cell_value

    values = [np.str_("=1+1"), np.bytes_(b"#N/A"), np.str_("a\x01b"), np.float64(2.5), np.int64(3)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    sheet.append([_cell(sheet, _cell_value(v), False) for v in values])
    book.save(tmp_path / "t.xlsx")
    cells = list(load_workbook(tmp_path / "t.xlsx")["s"][1])
    assert [(c.value, c.data_type) for c in cells] == [
        ("=1+1", "s"),
        ("b'#N/A'", "s"),
        ("a\\x01b", "s"),
        (2.5, "n"),
        (3, "n"),
    ]


def test_word_report_has_summary_zone_tables_and_figures(hostile_result, tmp_path):
    from docx import Document

    from _helpers import tiny_png

    png = tiny_png(tmp_path / "f.png")
    path = write_docx(hostile_result, tmp_path / "report.docx", figures={"rural-30min": png})
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    for _, line in summary_lines(hostile_result, "zh"):
        assert line in text
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    assert set(HOSTILE) <= cells  # literal text in the zone tables
    assert {"区域", "人口", "覆盖率", "未覆盖人口", "结果"} <= cells
    assert len(doc.tables) == 1 + len(hostile_result.config.standards)  # scorecard + a table per standard
    assert len(doc.inline_shapes) == 1
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_report_pdf_is_printed_with_page_numbers(sample_result, tmp_path):
    if find_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium")
        pytest.skip("no Chromium to print with")
    from pypdf import PdfReader

    html, _ = write_report(sample_result, tmp_path)
    assert print_pdf(html, tmp_path / "report.pdf") is None
    pdf = PdfReader(tmp_path / "report.pdf")
    pages = len(pdf.pages)
    assert pages >= 3
    first = pdf.pages[0].extract_text()
    assert f"1 / {pages}" in first and "结论摘要" in first
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) / 72 * 25.4 - 210) < 2 and abs(float(box.height) / 72 * 25.4 - 297) < 2  # A4


def test_no_browser_means_a_reason_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("CARECIRCLES_BROWSER", str(tmp_path / "no-such-browser"))
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    why = print_pdf(page, tmp_path / "r.pdf")
    assert why is not None and "CARECIRCLES_BROWSER" in why
    assert not (tmp_path / "r.pdf").exists()


_SLOW_PRINTER = """#!/bin/sh
# a browser that prints only once the map has been written (the flag file), or never;
# like Chromium it starts a helper process of its own
sleep 20 &
echo $! > "$FLAG.helper"
for arg in "$@"; do
  case "$arg" in --print-to-pdf=*) pdf="${arg#--print-to-pdf=}" ;; esac
done
i=0
while [ ! -e "$FLAG" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$FLAG" ] && printf '%%PDF-1.4 printed after the map\\n' > "$pdf"
"""


@pytest.mark.usefixtures("fork_beside_idle_threads")
def test_the_map_is_written_while_the_report_prints(sample_result, tmp_path, monkeypatch):
    """The PDF prints in the background: a printer that waits for the map still delivers."""
    import json
    import stat

    from carecircles.outputs import write_outputs

    printer = tmp_path / "slow-printer"
    printer.write_text(_SLOW_PRINTER, encoding="utf-8")
    printer.chmod(printer.stat().st_mode | stat.S_IXUSR)
    flag = tmp_path / "map-written"
    monkeypatch.setenv("CARECIRCLES_BROWSER", str(printer))
    monkeypatch.setenv("FLAG", str(flag))
    out = tmp_path / "out"
    paths = write_outputs(sample_result, out, documents=True, beside=flag.touch)
    assert paths["report_pdf"].read_text(encoding="utf-8") == "%PDF-1.4 printed after the map\n"
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert "report_pdf" not in manifest["skipped"]
    assert list(manifest["writing_s"]) == [
        "write the tables and GeoJSON",
        "write the A4 figures",
        "write the report (HTML, Markdown, Word) and workbook",
        "wait for the report's PDF",
        "wait for the map",
        "the map (in a second process, from the start)",
    ]


def test_one_process_writes_the_map_here(sample_result, tmp_path):
    import json
    import os

    from carecircles.outputs import write_outputs

    written: list[int] = []
    here = lambda: written.append(os.getpid())  # noqa: E731
    paths = write_outputs(sample_result, tmp_path / "out", beside=here, processes=1)
    assert written == [os.getpid()]
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert list(manifest["writing_s"]) == ["write the tables and GeoJSON", "write the map"]
    paths = write_outputs(sample_result, tmp_path / "docs", documents=True, beside=here, processes=1)
    assert written == [os.getpid()] * 2
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert "write the map (while the report prints)" in manifest["writing_s"]


@pytest.mark.usefixtures("fork_beside_idle_threads")
def test_a_map_that_fails_in_its_process_fails_the_writing(sample_result, tmp_path):
    from carecircles.outputs import write_outputs

    def broken() -> None:
        raise ValueError("zone 合成1镇 has no shape")

    with pytest.raises(ValueError, match="zone 合成1镇 has no shape") as raised:
        write_outputs(sample_result, tmp_path / "out", beside=broken)
    assert any("in a second process" in note for note in raised.value.__notes__)
    assert not (tmp_path / "out" / "manifest.json").exists()  # no manifest for a run that failed


def test_a_printer_that_never_prints_is_stopped_and_named(tmp_path, monkeypatch):
    import stat

    from carecircles.handover import PdfPrint

    printer = tmp_path / "slow-printer"
    printer.write_text(_SLOW_PRINTER, encoding="utf-8")
    printer.chmod(printer.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CARECIRCLES_BROWSER", str(printer))
    monkeypatch.setenv("FLAG", str(tmp_path / "never"))
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    printing = PdfPrint(page, tmp_path / "r.pdf")
    why = printing.finish(0.5)
    assert why is not None and "no PDF after 0.5 s" in why
    assert printing.process is not None and printing.process.returncode is not None  # stopped
    helper = int((tmp_path / "never.helper").read_text(encoding="utf-8"))
    assert _gone(helper), "the printer's own child process outlived it"


def _gone(pid: int, wait_s: float = 5.0) -> bool:
    """Whether a process has ended (or is a zombie waiting to be reaped) within ``wait_s``."""
    import time
    from pathlib import Path

    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False
