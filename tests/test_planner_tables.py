"""Facility and village tables as planners keep them: Excel, semicolons, tabs, 经纬度, DMS, full-width."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecircles._coordtext import parse_coordinate, split_pair
from carecircles._errors import DataIssues, InputError
from carecircles.config import SAMPLE_CONFIG, load_config
from carecircles.facilities import read_facilities
from carecircles.points import read_points

from _helpers import write_study

DATA = SAMPLE_CONFIG.parent
SAMPLE_FACILITIES = DATA / "facilities" / "synthetic_jingyu_facilities.csv"


# --- coordinates as text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("113.65", 113.65),
        ("１１３．６５", 113.65),
        ("－３４．５", -34.5),
        ("113°39'27.5\"E", 113 + 39 / 60 + 27.5 / 3600),
        ("113°39′27.5″", 113 + 39 / 60 + 27.5 / 3600),
        ("113度39分27.5秒", 113 + 39 / 60 + 27.5 / 3600),
        ("东经113°39'27.5\"", 113 + 39 / 60 + 27.5 / 3600),
        ("北纬34°45′", 34.75),
        ("34°45'S", -34.75),
        ("W 8°30'", -8.5),
        ("113°39.458'", 113 + 39.458 / 60),
        ("113 39 27.5", 113 + 39 / 60 + 27.5 / 3600),
        ("113°", 113.0),
    ],
)
def test_coordinates_as_typed(text, value):
    assert parse_coordinate(text) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("text", ["abc", "113°75'", "113°39'75\"", "N113E", "", "12.3.4", "113°39.5'27\""])
def test_what_is_not_a_coordinate(text):
    assert np.isnan(parse_coordinate(text))


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=-179.999, max_value=179.999, allow_nan=False),
    st.sampled_from(["{d}°{m}′{s}″{h}", "{d}度{m}分{s}秒{h}", "{h}{d}°{m}'{s}\"", "{d} {m} {s} {h}"]),
)
def test_dms_written_out_reads_back(value, form):
    degrees = abs(value)
    d = int(degrees)
    m = int((degrees - d) * 60)
    s = round((degrees - d - m / 60) * 3600, 4)
    if s >= 60:  # rounding reached a whole minute
        m, s = m + 1, 0.0
    if m == 60:
        d, m = d + 1, 0
    h = "E" if value >= 0 else "W"
    text = form.format(d=d, m=m, s=f"{s:.4f}", h=h)
    assert parse_coordinate(text) == pytest.approx(np.sign(value) * (d + m / 60 + s / 3600), abs=1e-6)
    assert parse_coordinate(text) == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("113.65,34.76", ("113.65", "34.76")),
        ("113.65，34.76", ("113.65", "34.76")),
        ("113.65, 34.76", ("113.65", "34.76")),
        ("113.65 34.76", ("113.65", "34.76")),
        ("113°39′27″E 34°45′N", ("113°39′27″E", "34°45′N")),
        ("34°45′N 113°39′27″E", ("113°39′27″E", "34°45′N")),
    ],
)
def test_one_cell_pairs_split(text, pair):
    got = split_pair(text)
    assert got is not None
    assert [parse_coordinate(v) for v in got] == pytest.approx([parse_coordinate(v) for v in pair])


# --- whole tables -----------------------------------------------------------------------------

ROWS = [  # id (leading zero), name, type, lon, lat
    ("0101", "龙泉镇中心卫生院", "乡镇卫生院", 126.8136, 42.3914),
    ("0102", '=HYPERLINK("http://x","点我")', "村卫生室", 126.9, 42.45),
    ("0103", "</script>{{x}}${y}`z`", "村卫生室", 126.7, 42.3),
]


def _reference(tmp_path):
    path = tmp_path / "ref.csv"
    frame = pd.DataFrame(ROWS, columns=["id", "name", "type", "lon", "lat"])
    frame.to_csv(path, index=False, encoding="utf-8")
    return read_points(path, DataIssues(), what="facility")


def test_xlsx_reads_like_the_csv_and_names_the_sheet_it_used(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "机构"
    sheet.append(["id", "name", "type", "lon", "lat"])
    for row in ROWS:
        sheet.append(list(row))
    sheet["B3"].data_type = "s"  # typed as text ('=HYPERLINK…), not a formula
    sheet["F1"] = "beds"
    sheet["F2"] = "=10*2"  # a formula: its saved value is used, never evaluated (openpyxl saves none)
    notes = book.create_sheet("说明")
    notes.append(["填表说明"])
    path = tmp_path / "facilities.xlsx"
    book.save(path)
    issues = DataIssues()
    got = read_points(path, issues, what="facility")
    want = _reference(tmp_path)
    assert np.allclose(got.lon, want.lon) and np.allclose(got.lat, want.lat)
    assert got.table["id"].tolist() == ["0101", "0102", "0103"]  # text, leading zeros kept
    assert got.table["name"].tolist() == [r[1] for r in ROWS]  # hostile text is the same text
    assert got.rows.tolist() == [2, 3, 4]  # the spreadsheet's row numbers
    assert pd.isna(got.table["beds"].iloc[0])  # the formula was not computed
    frame = issues.to_frame()
    assert frame["message"].str.contains("说明").any()  # the other sheet with data is named
    chosen = read_points(path, DataIssues(), what="facility", sheet="机构")
    assert np.allclose(chosen.lon, want.lon)
    with pytest.raises(InputError) as caught:
        read_points(path, DataIssues(), what="facility", sheet="Sheet1")
    assert "机构" in str(caught.value) and "说明" in str(caught.value)


def test_numbers_excel_stored_as_floats_keep_their_text(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "lon", "lat", "code"])
    sheet.append([101, 126.8136, 42.3914, 220622101.0])
    path = tmp_path / "v.xlsx"
    book.save(path)
    got = read_points(path, DataIssues(), what="village")
    assert got.table["code"].tolist() == ["220622101"] and got.table["id"].tolist() == ["101"]


def test_legacy_xls_is_read(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the .xls fixture")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for c, name in enumerate(["id", "name", "type", "lon", "lat"]):
        sheet.write(0, c, name)
    for r, row in enumerate(ROWS, start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "old.xls"
    book.save(str(path))
    got = read_points(path, DataIssues(), what="facility")
    want = _reference(tmp_path)
    assert np.allclose(got.lon, want.lon) and got.table["id"].tolist() == ["0101", "0102", "0103"]


@pytest.mark.parametrize(("sep", "encoding"), [(";", "gb18030"), ("\t", "gb18030"), (";", "utf-8")])
def test_semicolon_and_tab_text_in_either_encoding(tmp_path, sep, encoding):
    lines = [sep.join(["id", "name", "type", "lon", "lat"])]
    lines += [
        sep.join([r[0], r[1].replace('"', '""') if sep == ";" else r[1], r[2], str(r[3]), str(r[4])])
        for r in ROWS[:1]
    ]
    path = tmp_path / "f.txt"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    got = read_points(path, DataIssues(), what="facility")
    assert got.lon.tolist() == [126.8136] and got.table["name"].tolist() == [ROWS[0][1]]


def test_one_jingweidu_column_in_dms_and_full_width(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text(
        "id,name,经纬度\n"
        'V1,甲村,"126.8136,42.3914"\n'
        "V2,乙村,１２６．９，４２．４５\n"
        "V3,丙村,北纬42°18′ 东经126°42′\n"  # latitude first, as often written: marked, so put in order
        'V4,丁村,"126°42′E, 42°18′N"\n',
        encoding="utf-8",
    )
    issues = DataIssues()
    got = read_points(path, issues, what="village")
    assert got.lon[0] == pytest.approx(126.8136) and got.lat[1] == pytest.approx(42.45)
    for row in (2, 3):
        assert got.lon[row] == pytest.approx(126.7) and got.lat[row] == pytest.approx(42.3)
    assert got.keep.tolist() == [True, True, True, True] and not issues.to_frame().shape[0]


def test_unreadable_coordinates_say_what_to_write(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,经度,纬度\na,东经一百一十三度,北纬三十四度\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_points(path, DataIssues(), what="facility")
    assert "113°39′27.5″E" in str(caught.value) and "经度" in str(caught.value)
    assert "度分秒" in caught.value.in_lang("zh")
    pair = tmp_path / "p.csv"
    pair.write_text("id,经纬度\na,here\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_points(pair, DataIssues(), what="facility")
    assert "longitude,latitude" in str(caught.value) and "经度,纬度" in caught.value.in_lang("zh")


def test_a_bad_row_among_good_ones_is_excluded_with_its_row(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,lon,lat\na,126.8,42.39\nb,126°48′x,42.39\n", encoding="utf-8")
    issues = DataIssues()
    got = read_points(path, issues, what="facility")
    assert got.keep.tolist() == [True, False]
    frame = issues.to_frame()
    assert ((frame["row"] == 3) & (frame["value"] == "126°48′x")).any()


def test_an_xlsx_facility_table_runs_as_the_csv_does(tmp_path):
    frame = pd.read_csv(SAMPLE_FACILITIES, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "医疗机构"
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    path = tmp_path / "facilities.xlsx"
    book.save(path)
    zones_area = None
    csv = read_facilities(SAMPLE_FACILITIES, DataIssues(), study_area=zones_area)
    xlsx = read_facilities(path, DataIssues(), study_area=zones_area, sheet="医疗机构")
    assert csv["facility_id"].tolist() == xlsx["facility_id"].tolist()
    assert csv["type"].tolist() == xlsx["type"].tolist()
    assert np.allclose(csv.geometry.x, xlsx.geometry.x) and np.allclose(csv.geometry.y, xlsx.geometry.y)
    config = load_config(write_study(tmp_path, inputs__facilities={"path": str(path), "sheet": "医疗机构"}))
    assert config.reader_options["facilities"]["sheet"] == "医疗机构"
