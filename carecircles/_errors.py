"""Errors for bad input and the data-issues table that records every repair or exclusion."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning", "info"]


class CareCirclesError(Exception):
    """Base class of every error raised by carecircles."""


class InputError(CareCirclesError):
    """Input that cannot be used, with the file, row and field it comes from.

    Parameters
    ----------
    message
        What is wrong and, where possible, how to fix it.
    path
        The input file.
    row
        1-based data row (header not counted), when the problem is in one row.
    field
        The column or key at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        path: object | None = None,
        row: int | None = None,
        field: str | None = None,
        zh: str | None = None,
    ) -> None:
        self.message = message
        self.message_zh = zh
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [p for p in (self.path, _row_text(self.row), _field_text(self.field)) if p]
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def in_lang(self, lang: str) -> str:
        """Return the error with its place in ``zh`` (文件、第N行、字段) or English.

        The message is the Chinese one when there is one; errors not yet translated keep
        their English message under a Chinese location.
        """
        if lang != "zh":
            return str(self)
        where = [
            p
            for p in (
                None if self.path is None else f"文件 {self.path}",
                None if self.row is None else f"第 {self.row} 行",
                None if self.field is None else f"字段 {self.field!r}",
            )
            if p
        ]
        message = self.message_zh or self.message
        return f"{'，'.join(where)}：{message}" if where else message


def _row_text(row: int | None) -> str | None:
    return None if row is None else f"row {row}"


def _field_text(field: str | None) -> str | None:
    return None if field is None else f"field '{field}'"


@dataclass(frozen=True)
class DataIssue:
    """One record that was repaired, excluded or is worth a reviewer's look."""

    severity: Severity
    source: str
    message: str
    row: int | None = None
    field: str | None = None
    value: str | None = None
    action: str = "kept"
    message_zh: str = ""

    def message_in(self, lang: str) -> str:
        """Return the message in ``zh`` (when there is a Chinese one) or English."""
        return self.message_zh if lang == "zh" and self.message_zh else self.message


@dataclass
class DataIssues:
    """Collector passed through a run; becomes the data-issues table.

    Nothing is dropped silently: every reader and step that repairs or excludes a record
    adds one row here.
    """

    items: list[DataIssue] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        source: object,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        action: str = "kept",
        zh: str,
    ) -> None:
        """Record one issue; ``zh``: the message in Chinese (required: outputs are Chinese by default)."""
        self.items.append(
            DataIssue(
                severity=severity,
                source=str(source),
                message=message,
                row=row,
                field=field,
                value=None if value is None else str(value),
                action=action,
                message_zh=zh,
            )
        )

    def __len__(self) -> int:
        return len(self.items)

    def to_frame(self) -> pd.DataFrame:
        """Return the issues as a table with a stable column order."""
        columns = ["severity", "source", "row", "field", "value", "message", "action", "message_zh"]
        frame = pd.DataFrame([asdict(i) for i in self.items], columns=columns)
        frame["row"] = frame["row"].astype("Int64")
        return frame
