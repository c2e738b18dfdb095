"""Walking the config schema's types: key paths of errors, expected values, the README table.

Generic over pydantic models and pydantic dataclasses, so :mod:`carecircles.schema` holds only
the definitions. Imports nothing from carecircles but the error type.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from carecircles._errors import InputError


class Allowed:
    """Annotation marker: the values a text key may take (for messages and the README)."""

    def __init__(self, values: typing.Iterable[str], name: str = "") -> None:
        self.values = tuple(values)
        self.name = name  # placeholder for a mapping's keys in the reference, e.g. ``<mode>``


def suggest(value: object, allowed: typing.Iterable[object]) -> str:
    """``; did you mean 'x'?`` for the allowed value closest to a text ``value``, else ``""``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def show(value: object) -> str:
    """Show a config value as a planner would write it (text quoted, YAML booleans)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)


def dotted(parts: typing.Iterable[object]) -> str:
    """Key path as text: ``standards[1].threshold``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def model_fields(tp: object) -> dict[str, FieldInfo] | None:
    """Fields of a pydantic model or pydantic dataclass; ``None`` for any other type."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.model_fields
    return getattr(tp, "__pydantic_fields__", None) if isinstance(tp, type) else None


def _field_type(info: FieldInfo) -> object:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def unwrap(tp: object) -> tuple[object, list[object]]:
    """Strip ``Annotated`` and ``None`` from a type: the core type and the annotation metadata."""
    metadata: list[object] = []
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp, *extra = typing.get_args(tp)
            metadata.extend(extra)
        elif origin in (typing.Union, UnionType):
            options = [a for a in typing.get_args(tp) if a is not NoneType]
            structured = [a for a in options if _children(unwrap(a)[0])]
            if len(options) == 1 or structured:
                tp = (structured or options)[0]
            else:
                return tp, metadata
        else:
            return tp, metadata


def _children(tp: object) -> bool:
    return model_fields(tp) is not None or typing.get_origin(tp) in (list, tuple, dict)


def parts(root: type, loc: typing.Sequence[object]) -> tuple[list[object], object, FieldInfo | None]:
    """Follow an error location from ``root``: the key path, the type there and its field.

    Tags pydantic adds for the branches of a union are skipped, as are dict keys' ``[key]``.
    """
    node: object = root
    info: FieldInfo | None = None
    parts: list[object] = []
    for part in loc:
        core, _ = unwrap(node)
        fields = model_fields(core)
        origin = typing.get_origin(core)
        if fields is not None and part in fields:
            info = fields[str(part)]
            node = _field_type(info)
        elif origin in (list, tuple) and isinstance(part, int):
            node = typing.get_args(core)[0]
        elif origin is dict:
            key_type, value_type = typing.get_args(core)
            node = key_type if part == "[key]" else value_type
            if part == "[key]":
                continue
        else:
            continue  # a union branch's tag, not a key
        parts.append(part)
    return parts, node, info


def description(node: object, info: FieldInfo | None) -> str:
    """Say what a key takes, in words: from the type's own ``Field`` or else its field."""
    core, metadata = unwrap(node)
    for item in metadata:
        if isinstance(item, FieldInfo) and item.description:
            return item.description
    if info is not None and info.description:
        return info.description
    return "a mapping" if model_fields(core) is not None else "a valid value"


def allowed_values(node: object) -> tuple[str, ...]:
    """Return the values a text key may take (``Allowed`` or ``Literal``), for suggestions."""
    core, metadata = unwrap(node)
    for item in metadata:
        if isinstance(item, Allowed):
            return item.values
    if typing.get_origin(core) is Literal:
        return tuple(str(a) for a in typing.get_args(core))
    return ()


# --- errors -----------------------------------------------------------------------------------

#: Hook that rewords what a key expects from its context: ``(key path, expected, raw) -> text``.
Refine = typing.Callable[[list[object], str, object], str]


def translate(
    exc: ValidationError,
    root: type,
    raw: dict[str, Any],
    path: Path,
    lines: dict[tuple[object, ...], int],
    refine: Refine | None = None,
) -> InputError:
    """Turn a validation error into one :class:`InputError` a planner can act on.

    Each problem names the key path, the line, what was expected and, for a typo, the closest
    allowed key or value; several problems are listed together.
    """
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        key, message, hint = problem(error, root, (), raw, refine)
        if key in problems:  # the branches of a union report one key several times
            continue
        where = parts(root, error["loc"])[0]
        line = line_of(lines, [*where, error["loc"][-1]] if _is_unknown(error) else where)
        problems[key] = message + (f" (line {line})" if line else "") + hint
    keys = list(problems)
    if len(keys) == 1:
        return InputError(problems[keys[0]], path=path, field=keys[0], zh=f"配置有误：{problems[keys[0]]}")
    listing = "\n".join(f"  - {problems[k]}" for k in keys)
    return InputError(
        f"{len(keys)} problems in the config:\n{listing}",
        path=path,
        field=keys[0],
        zh=f"配置中有 {len(keys)} 处问题：\n{listing}",
    )


def _is_unknown(error: Any) -> bool:
    return error["type"] in ("extra_forbidden", "unexpected_keyword_argument")


def line_of(lines: dict[tuple[object, ...], int], keys: list[object]) -> int | None:
    """Line of a key path in the file, or of its nearest parent that has one."""
    for n in range(len(keys), 0, -1):
        if tuple(keys[:n]) in lines:
            return lines[tuple(keys[:n])]
    return None


def problem(
    error: Any, root: type, prefix: tuple[object, ...], raw: object, refine: Refine | None = None
) -> tuple[str, str, str]:
    """Return the key path text, message and hint (did you mean …) of one pydantic error."""
    loc = (*prefix, *error["loc"])
    if _is_unknown(error):
        parent, node, _ = parts(root, loc[:-1])
        key = loc[-1]
        allowed = list(model_fields(unwrap(node)[0]) or ())
        where = dotted(parent) or "the config"
        hint = f"{suggest(key, allowed)} (allowed keys: {', '.join(allowed)})"
        return dotted([*parent, key]), f"unknown key '{key}' in {where}", hint
    keys, node, info = parts(root, loc)
    text = dotted(keys)
    expected = description(node, info)
    if refine is not None:
        expected = refine(keys, expected, raw)
    if error["type"] in ("missing", "missing_argument"):
        return text, f"{text} is required: {expected}", ""
    if loc[-1] == "[key]":
        return text, f"the keys of {text} must be text, got {show(error['input'])}", ""
    value = error["input"]
    return (
        text,
        f"{text} must be {expected}, got {show(value)}",
        suggest(value, allowed_values(node)),
    )


# --- the README's config reference -----------------------------------------------------------


def reference_rows(root: type) -> list[tuple[str, str, str, str]]:
    """Every key under ``root``: key path, what it takes, default, what it does."""
    rows: list[tuple[str, str, str, str]] = []
    _model_rows(root, "", rows)
    return rows


def _model_rows(model: type, prefix: str, rows: list[tuple[str, str, str, str]]) -> None:
    for name, info in (model_fields(model) or {}).items():
        key = f"{prefix}.{name}" if prefix else name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = _cell(str(extra.get("default_text", ""))) or _default_text(info)
        rows.append((key, info.description or "", default, str(extra.get("doc", ""))))
        _nested_rows(_field_type(info), key, rows)


def _nested_rows(node: object, key: str, rows: list[tuple[str, str, str, str]]) -> None:
    core, _ = unwrap(node)
    origin = typing.get_origin(core)
    if model_fields(core) is not None:
        _model_rows(typing.cast(type, core), key, rows)
    elif origin in (list, tuple):
        item = unwrap(typing.get_args(core)[0])[0]
        if model_fields(item) is not None:
            _model_rows(typing.cast(type, item), f"{key}[]", rows)
    elif origin is dict:
        key_type, value_type = typing.get_args(core)
        marker = next((m for m in unwrap(key_type)[1] if isinstance(m, Allowed) and m.name), None)
        if marker is not None:
            child = f"{key}.<{marker.name}>"
            rows.append((child, description(value_type, None), "", f"one of: {', '.join(marker.values)}"))
            _nested_rows(value_type, child, rows)


def _default_text(info: FieldInfo) -> str:
    text = _plain_default(info)
    return f"`{text}`" if text else ""


def _plain_default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "none" if not value else str(value)
    if model_fields(type(value)) is not None:
        return ""
    return str(value)


def reference_markdown(root: type) -> str:
    """Return the config reference as a Markdown table (the README's, from the schema)."""
    lines = ["| key | takes | default | what it does |", "|---|---|---|---|"]
    for key, takes, default, doc in reference_rows(root):
        cells = [f"`{key}`", _cell(takes), default, _cell(doc)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
