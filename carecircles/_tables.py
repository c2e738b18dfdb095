"""Reading attribute tables and vector layers: columns by common names, encodings, CRS checks."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from carecircles._encode import text as display_text
from carecircles._errors import DataIssues, InputError


def column_lookup(columns: Iterable[object]) -> dict[str, str]:
    """Lower-cased, stripped column name → actual column name."""
    return {str(c).strip().lower(): str(c) for c in columns}


def find_column(
    lookup: dict[str, str],
    wanted: str | None,
    names: tuple[str, ...],
    path: Path,
    what: str,
    *,
    required: bool = True,
    hint: str = "",
) -> str | None:
    """Return the column the user named, else the first of ``names`` present.

    ``hint`` (e.g. from :func:`report_mojibake`) is added to the message of a missing column.

    Raises
    ------
    InputError
        If a named column is missing, or no candidate is present and ``required``.
    """
    if wanted is not None:
        key = wanted.strip().lower()
        if key not in lookup:
            raise InputError(
                f"column '{wanted}' (given for {what}) not found; columns are {list(lookup.values())}{hint}",
                path=path,
                field=wanted,
                zh=f"找不到列 {wanted!r}（配置中为 {what} 指定）；现有的列：{list(lookup.values())}{hint}",
            )
        return lookup[key]
    found = next((lookup[n] for n in names if n in lookup), None)
    if found is None and required:
        raise InputError(
            f"no {what} column: expected one of {', '.join(names)}; columns are "
            f"{list(lookup.values())} (or name it in the config){hint}",
            path=path,
            field=what,
            zh=(
                f"找不到 {what} 列：应为 {'、'.join(names)} 之一；现有的列：{list(lookup.values())}"
                f"（或在配置中指定列名）{hint}"
            ),
        )
    return found


def read_table(
    path: Path,
    what: str,
    *,
    encoding: str | None = None,
    issues: DataIssues | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, int, tuple[NDArray, NDArray] | None]:
    """Read a CSV, a spreadsheet or a vector file as a plain table.

    Text tables (``.csv``, ``.txt``, ``.tsv``) are read as text (codes keep their leading
    zeros) in UTF-8, or GB18030 as Chinese Excel saves them (or in ``encoding`` when given),
    separated by commas, semicolons or tabs (whichever the header line uses). Spreadsheets
    (``.xlsx``, ``.xls``) are read from ``sheet`` (default: the first), every cell as text,
    formulas as the values Excel saved with them (never evaluated). Vector files give their
    point coordinates (WGS-84) too: see :func:`read_layer` for the CRS checks (a layer without
    CRS is recorded in ``issues``).

    Returns
    -------
    tuple
        The table; the row number of its first record as a planner counts it (2 for a CSV or
        a sheet, whose header is line 1; 1 for a vector file's first feature); and the
        WGS-84 lon/lat of each feature for vector files (``None`` for tables).

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, a sheet that is not in the workbook, or a
        layer whose coordinates are not degrees although no other CRS is declared.
    """
    if not path.exists():
        raise InputError(f"{what} file not found", path=path, zh=f"找不到 {what} 文件")
    if is_empty_file(path):
        raise InputError(
            f"the {what} file is empty (0 bytes or only blank lines)",
            path=path,
            zh=f"{what} 文件为空（0 字节或只有空行）",
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, "\t" if suffix == ".tsv" else None, encoding), 2, None
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return read_sheet(path, what, sheet, issues), 2, None
    frame = read_layer(path, what, issues, encoding=encoding)
    lonlat = None
    if "geometry" in frame and frame.geometry.notna().any():
        points = frame.geometry
        points = points.where(points.geom_type == "Point", points.representative_point())
        lonlat = (points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float))
        frame = frame.drop(columns=frame.geometry.name)
    return pd.DataFrame(frame), 1, lonlat


def read_sheet(path: Path, what: str, sheet: str | None, issues: DataIssues | None) -> pd.DataFrame:
    """One sheet of an .xlsx or .xls workbook, every cell as text (header on row 1).

    Whole numbers Excel stored as floats (a code typed as 410122) read as ``410122``, not
    ``410122.0``. With no ``sheet`` the first is read, and when other sheets have data too
    that is said in ``issues``.

    Raises
    ------
    InputError
        For a workbook that cannot be read or a sheet it does not have (the message lists them).
    """
    try:
        book = pd.ExcelFile(path, engine="calamine")  # .xlsx and .xls alike; formulas' saved values
    except ImportError as exc:  # python-calamine is a dependency; a broken install still gets words
        raise InputError(
            f"cannot read spreadsheets: {exc}", path=path, zh=f"无法读取电子表格：{exc}"
        ) from exc
    except Exception as exc:  # calamine raises several kinds for a damaged or mislabelled file
        raise InputError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); save it again from Excel or WPS",
            path=path,
            zh=f"无法读取该工作簿（{type(exc).__name__}：{exc}）；请用 Excel 或 WPS 重新保存",
        ) from exc
    names = [str(n) for n in book.sheet_names]
    with book:
        if sheet is not None and sheet not in names:
            raise InputError(
                f"no sheet {sheet!r} in the workbook; its sheets are {names}",
                path=path,
                field="sheet",
                zh=f"工作簿中没有名为 {sheet!r} 的工作表；现有工作表：{names}",
            )
        chosen = sheet if sheet is not None else names[0]
        raw = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
        if sheet is None and issues is not None and len(names) > 1:
            others = [
                n
                for n in names[1:]
                if not pd.read_excel(book, sheet_name=n, header=None, nrows=2).dropna(how="all").empty
            ]
            if others:
                issues.add(
                    "warning",
                    path,
                    f"the workbook has {len(names)} sheets; the {what} rows were read from the first, "
                    f"{chosen!r} (other sheets with data: {others}); name another with 'sheet:'",
                    zh=(
                        f"工作簿有 {len(names)} 个工作表；{what}数据取自第一个工作表 {chosen!r}"
                        f"（其他有数据的工作表：{others}）；如需其他工作表请用 sheet: 指定"
                    ),
                    field="sheet",
                    value=chosen,
                    action="kept",
                )
    raw = raw.dropna(how="all", axis=1)
    if raw.dropna(how="all").empty:
        raise InputError(f"sheet {chosen!r} is empty", path=path, field="sheet", zh=f"工作表 {chosen!r} 为空")
    header = [_cell_text(v) or f"column_{k + 1}" for k, v in enumerate(raw.iloc[0])]
    body = raw.iloc[1:].map(_cell_text).replace("", None)
    body.columns = header
    return body.reset_index(drop=True)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def is_empty_file(path: Path) -> bool:
    """Whether ``path`` is a file with nothing in it but blank lines (or a byte-order mark)."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return not handle.read(4096).strip(b" \t\r\n\xef\xbb\xbf")


def _read_csv(path: Path, sep: str | None, encoding: str | None) -> pd.DataFrame:
    for name in (encoding,) if encoding else ("utf-8-sig", "gb18030"):
        try:
            used = sep or _delimiter(path, name)
            return pd.read_csv(
                path, dtype=str, sep=used, encoding=name, keep_default_na=False, na_values=[""]
            )
        except UnicodeDecodeError:
            continue
        except LookupError as exc:
            raise InputError(f"unknown encoding {encoding!r}", path=path, field="encoding") from exc
        except pd.errors.EmptyDataError as exc:
            raise InputError("the file is empty: no header line", path=path) from exc
        except pd.errors.ParserError as exc:
            raise InputError(f"cannot parse CSV: {exc}", path=path) from exc
    if encoding:
        raise InputError(f"the CSV is not {encoding} text", path=path, field="encoding")
    raise InputError(
        "CSV is neither UTF-8 nor GB18030 text", path=path, zh="CSV 既不是 UTF-8 也不是 GB18030 编码的文本"
    )


def _delimiter(path: Path, encoding: str) -> str:
    """Pick the separator the header line uses most, outside quotes: comma, semicolon or tab."""
    with path.open(encoding=encoding) as handle:
        header = handle.readline()
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


#: Root elements of GDAL files that point at other data (a URL, any local file, a web service).
_INDIRECTION = re.compile(
    rb"<\s*(OGRVRTDataSource|VRTDataset|GDAL_WMS|GDAL_WMTS|OGRWFSDataSource|WFS_Capabilities|"
    rb"GDAL_WCS|WCS_GDAL|WMS_Capabilities|WMT_MS_Capabilities)\b",
    re.IGNORECASE,
)


def ensure_local_data(path: Path, what: str) -> None:
    """Refuse an input that would make GDAL read elsewhere: a URL, a virtual file, a VRT.

    carecircles reads the files it is given and nothing else: a ``/vsicurl/`` or other
    ``/vsi…`` path, or a VRT / WMS / WFS description (GDAL opens those by content, whatever
    the file is called) could make an offline run fetch a URL or pull in any local file.

    Raises
    ------
    InputError
        For such a path or file.
    """
    text = str(path)
    if "/vsi" in text.lower() or "://" in text:
        raise InputError(f"the {what} input must be a local file, not a GDAL virtual path or URL", path=path)
    if path.is_file():
        with path.open("rb") as f:
            head = f.read(1 << 16)  # the root element comes after any XML prolog and comments
        if _INDIRECTION.search(head):
            raise InputError(
                f"the {what} file is a GDAL VRT or web-service description that points at other data: "
                "give the data file itself",
                path=path,
            )


def read_layer(
    path: Path, what: str, issues: DataIssues | None, *, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector layer and return it in WGS-84, refusing coordinates that are not degrees.

    A layer without a CRS (a shapefile without .prj) is taken as WGS-84 (with a warning in
    ``issues``); if it, or a layer that declares a geographic CRS, has coordinates outside
    ±180/±90, they are projected metres (Gauss-Krüger, UTM …) and the layer is refused
    rather than read in the wrong place.

    Parameters
    ----------
    path
        Any file geopandas (pyogrio) reads.
    what
        What the layer holds, for messages ("boundary", "village" …).
    issues
        Collector for the "no CRS" warning (``None``: not recorded).
    encoding
        Text encoding of the attributes (e.g. ``gbk`` for a DBF without .cpg).

    Raises
    ------
    InputError
        If the file cannot be read, or its coordinates are outside ±180/±90 in a CRS that
        is (or is assumed to be) degrees.
    """
    ensure_local_data(path, what)
    try:
        with warnings.catch_warnings():  # GDAL renumbering duplicate feature ids is no news to a user
            warnings.filterwarnings("ignore", "Several features with id", RuntimeWarning)
            frame = gpd.read_file(path, **({"encoding": encoding} if encoding else {}))
    except LookupError as exc:
        raise InputError(f"unknown encoding {encoding!r}", path=path, field="encoding") from exc
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(f"cannot read {what} file: {exc}", path=path) from exc
    if "geometry" not in frame or not frame.geometry.notna().any():
        return frame
    declared = frame.crs
    if declared is None or declared.is_geographic:
        check_degrees(frame.total_bounds, path, assumed=declared is None)
    if declared is None:
        if issues is not None:
            issues.add(
                "warning",
                path,
                "layer has no CRS (no .prj); assumed WGS-84",
                field="crs",
                zh="图层没有坐标系（无 .prj）；按 WGS-84 读取",
            )
        frame = frame.set_crs(4326)
    return frame.to_crs(4326)


def check_degrees(bounds: NDArray, path: Path, *, assumed: bool) -> None:
    """Refuse bounds (minx, miny, maxx, maxy) that cannot be longitude/latitude degrees.

    Raises
    ------
    InputError
        Naming the file and the extent, with "missing .prj or wrong CRS".
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not np.all(np.isfinite(bounds)):
        return
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        return
    said = "no CRS is declared, so degrees were assumed" if assumed else "the layer declares degrees"
    raise InputError(
        f"coordinates outside ±180/±90: missing .prj or wrong CRS (x {minx:,.0f}…{maxx:,.0f}, "
        f"y {miny:,.0f}…{maxy:,.0f} look like projected metres, e.g. Gauss-Krüger or UTM, but "
        f"{said}); add the .prj file or save the layer with its real CRS",
        path=path,
        field="crs",
    )


_MOJIBAKE = re.compile("[\u0080-\u00ff\ufffd]")


def report_mojibake(frame: pd.DataFrame, path: Path, issues: DataIssues, what: str) -> str:
    """Warn when column names or text look like Chinese bytes decoded in the wrong encoding.

    A DBF without .cpg is read as Latin-1, so GBK (or UTF-8) names come out as "¾¸ÓîÕò":
    characters of the Latin-1 range and no CJK. One warning for garbled column names and
    one per garbled column, with the first value and what it reads as in the encoding that
    decodes it.

    Returns
    -------
    str
        A hint to add to a "column not found" error ("" when nothing looks garbled).
    """
    names = pd.Series([str(c) for c in frame.columns if c != "geometry"], dtype=object)
    found: list[str] = []
    headers = names[_garbled(names)]
    if len(headers):
        found.append(_mojibake_issue(headers.tolist(), path, issues, f"{what} column names", None, "columns"))
    for column in frame.columns:
        kind = frame[column].dtype
        if column == "geometry" or not (
            pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)
        ):
            continue
        values = frame[column].dropna().astype(str)
        odd = values[_garbled(values)]
        if odd.empty or values.str.contains("[\u4e00-\u9fff]").any():
            continue
        row = int(odd.index[0]) + 1
        found.append(_mojibake_issue(odd.tolist(), path, issues, f"{what} values", row, str(column)))
    if not found:
        return ""
    return f"; the file looks garbled (mojibake): set encoding: {found[0]} on this input"


def _garbled(values: pd.Series) -> NDArray[np.bool_]:
    """Values nearly all of Latin-1 letters (garbled Chinese); a German "Straße" has one or two."""
    count = values.str.count(_MOJIBAKE)
    return ((count >= 2) & (count >= 0.5 * values.str.count(r"\S"))).to_numpy(dtype=bool)


def _mojibake_issue(
    odd: list[str], path: Path, issues: DataIssues, what: str, row: int | None, field: str
) -> str:
    """Record one mojibake warning; return the encoding to suggest."""
    guess = _redecode(odd[0])
    encoding = guess[0] if guess else "gbk"
    hint = f"; as {guess[0]} it reads {guess[1]!r}" if guess else ""
    issues.add(
        "warning",
        path,
        f"{len(odd)} {what} look garbled (mojibake: Chinese text read in the wrong encoding, "
        f"e.g. a .dbf without .cpg){hint}; set encoding: {encoding} on this input",
        zh=(
            f"{len(odd)} 个{what}看起来是乱码（中文按错误的编码读取，例如 "
            f".dbf 没有 .cpg）{hint}；请在该输入上设置 encoding: {encoding}"
        ),
        row=row,
        field=field,
        value=odd[0],
    )
    return encoding


def _redecode(text: str) -> tuple[str, str] | None:
    """Return the encoding (utf-8 or gbk) in which the Latin-1 bytes of ``text`` are Chinese, and the text."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return None
    for name in ("utf-8", "gbk"):
        try:
            decoded = raw.decode(name)
        except UnicodeDecodeError:
            continue
        if re.search("[\u4e00-\u9fff]", decoded):
            return name, decoded
    return None


def text_values(
    values: pd.Series,
    fallback: Sequence[str] | pd.Series,
    *,
    issues: DataIssues | None = None,
    path: Path | None = None,
    rows: Sequence[int] | NDArray | None = None,
    field: str | None = None,
    what: str = "name",  # e.g. "zone name", "facility name"
    strip: bool = False,
) -> NDArray[np.object_]:
    """Text of a column, with missing or blank cells replaced by ``fallback`` (e.g. the code).

    Missing cells never become the text ``nan``. Names keep their text exactly as written;
    ``strip`` trims identifiers. With ``issues``, one info row says how many were filled and
    where the first one is.
    """
    text = np.array([display_text(v) for v in values.to_numpy(dtype=object)], dtype=object)
    if strip:
        text = np.array([t.strip() for t in text], dtype=object)
    blank = np.array([not t.strip() for t in text], dtype=bool)
    filled = np.asarray(fallback, dtype=object)
    text[blank] = filled[blank]
    if issues is not None and blank.any():
        first = int(np.flatnonzero(blank)[0])
        issues.add(
            "info",
            path,
            f"{int(blank.sum())} {what} value(s) missing or blank: shown as {filled[first]!r} and the like",
            zh=f"{int(blank.sum())} 个{what}缺失或为空：以 {filled[first]!r} 等代替显示",
            row=None if rows is None else int(rows[first]),
            field=field,
            action="repaired",
        )
    return text
