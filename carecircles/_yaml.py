"""A careful YAML reader for study configs: no duplicate keys, no alias bombs, UTF-8 or GB18030.

Rules (also in the README):

- A key given twice in one mapping is refused, naming the key and both lines (PyYAML would
  silently keep the last one).
- Anchors and aliases (``&name`` / ``*name``) may be used, but at most :data:`MAX_ALIASES`
  times, and the document with every alias expanded may hold at most :data:`MAX_NODES`
  values; a recursive alias is refused. This stops "billion laughs" documents, which are
  small on disk and expand to billions of values.
- The file is read as UTF-8 (with or without a byte-order mark), then as GB18030 (which
  includes GBK and GB2312, as Chinese Windows editors save text); anything else is refused
  with "save it as UTF-8".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from carecircles._errors import InputError

#: Most alias uses (``*name``) in one config file.
MAX_ALIASES = 100
#: Most values (mappings, lists, scalars) in a config with every alias expanded.
MAX_NODES = 10_000

#: Key path (keys and list indices) → 1-based line in the file.
LineMap = dict[tuple[object, ...], int]


def decode_config(data: bytes, path: Path) -> tuple[str, str]:
    """Return the text of a config file and the encoding it was read in.

    Raises
    ------
    InputError
        When the bytes are neither UTF-8 nor GB18030 text (e.g. UTF-16 from Notepad).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("the config is saved as UTF-16: save it as UTF-8", path=path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise InputError("the config is neither UTF-8 nor GB18030 text: save it as UTF-8", path=path)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                event = self.peek_event()
                raise _RefusedError(
                    f"more than {MAX_ALIASES} YAML aliases (*name): refused, as such files can "
                    "expand to billions of values; write the values out",
                    event.start_mark.line + 1,
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if _hashable(key) and key in seen:
                raise _RefusedError(
                    f"key '{key}' is given twice (lines {seen[key]} and {line}): keep one", None
                )
            if _hashable(key):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _RefusedError(Exception):
    """A config refused while loading, with the line it was found on."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def load_yaml(path: Path) -> tuple[Any, LineMap, str]:
    """Read a config file: its data, the line of every key, and the encoding it was in.

    Raises
    ------
    InputError
        For an unreadable file, bad YAML, a duplicate key or too many aliases.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the config: {exc.strerror or exc}", path=path) from exc
    text, encoding = decode_config(data, path)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, encoding
        lines: LineMap = {}
        _expanded_size(node, (), lines, set(), [0])
        value = loader.construct_document(node)
    except _RefusedError as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise InputError(f"{exc.message}{where}", path=path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    return value, lines, encoding


def _expanded_size(
    node: yaml.Node, key_path: tuple[object, ...], lines: LineMap, open_nodes: set[int], count: list[int]
) -> None:
    """Count the values of the expanded document (refusing more than MAX_NODES) and map lines."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise _RefusedError(
            f"the config expands to more than {MAX_NODES:,} values (through YAML aliases): refused",
            node.start_mark.line + 1,
        )
    if id(node) in open_nodes:
        raise _RefusedError("a YAML alias refers to itself: refused", node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return
    open_nodes.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault((*key_path, i), item.start_mark.line + 1)
            _expanded_size(item, (*key_path, i), lines, open_nodes, count)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            lines.setdefault((*key_path, key), key_node.start_mark.line + 1)
            _expanded_size(value_node, (*key_path, key), lines, open_nodes, count)
    open_nodes.discard(id(node))
