"""Reading attribute tables and finding their columns by common names."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from numpy.typing import NDArray

from carecircles._errors import InputError


def column_lookup(columns: object) -> dict[str, str]:
    """Lower-cased, stripped column name → actual column name."""
    return {str(c).strip().lower(): c for c in columns}


def find_column(
    lookup: dict[str, str],
    wanted: str | None,
    names: tuple[str, ...],
    path: Path,
    what: str,
    *,
    required: bool = True,
) -> str | None:
    """Return the column the user named, else the first of ``names`` present.

    Raises
    ------
    InputError
        If a named column is missing, or no candidate is present and ``required``.
    """
    if wanted is not None:
        key = wanted.strip().lower()
        if key not in lookup:
            raise InputError(
                f"column '{wanted}' (given for {what}) not found; columns are {list(lookup.values())}",
                path=path,
                field=wanted,
            )
        return lookup[key]
    found = next((lookup[n] for n in names if n in lookup), None)
    if found is None and required:
        raise InputError(
            f"no {what} column: expected one of {', '.join(names)}; columns are "
            f"{list(lookup.values())} (or name it in the config)",
            path=path,
            field=what,
        )
    return found


def read_table(path: Path, what: str) -> tuple[pd.DataFrame, int, tuple[NDArray, NDArray] | None]:
    """Read a CSV or vector file as a plain table.

    CSV is read as text (codes keep their leading zeros) in UTF-8, or GB18030 as Chinese
    Excel saves it. Vector files give their point coordinates (WGS-84) too.

    Returns
    -------
    tuple
        The table; the row number of its first record as a planner counts it (2 for a CSV,
        whose header is line 1; 1 for a vector file's first feature); and the WGS-84
        lon/lat of each feature for vector files (``None`` for CSV).
    """
    if not path.exists():
        raise InputError(f"{what} file not found", path=path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                table = pd.read_csv(
                    path, dtype=str, sep=sep, encoding=encoding, keep_default_na=False, na_values=[""]
                )
            except UnicodeDecodeError:
                continue
            except pd.errors.ParserError as exc:
                raise InputError(f"cannot parse CSV: {exc}", path=path) from exc
            return table, 2, None
        raise InputError("CSV is neither UTF-8 nor GB18030 text", path=path)
    if suffix in (".xlsx", ".xls"):
        raise InputError("save the spreadsheet as CSV (UTF-8) first", path=path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(f"cannot read {what} file: {exc}", path=path) from exc
    lonlat = None
    if "geometry" in frame and frame.geometry.notna().any():
        if frame.crs is None:
            frame = frame.set_crs(4326)
        points = frame.geometry.to_crs(4326)
        points = points.where(points.geom_type == "Point", points.representative_point())
        lonlat = (points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float))
        frame = frame.drop(columns=frame.geometry.name)
    return pd.DataFrame(frame), 1, lonlat
