"""A safe YAML loader that keeps the position of every node.

Values are built from the parser's event stream (libyaml's C parser when available) with an
explicit stack instead of recursion, so that:

- every node's line/column is kept (`Document.pos`, `Document.key_pos`), keyed by its path;
- duplicate mapping keys are reported at the second key;
- nesting deeper than MAX_DEPTH stops at once (no RecursionError, no C-stack risk);
- aliases are bounded in number and in total expansion ("billion laughs" fails fast),
  and each alias use is an independent copy (no shared mutable values);
- only the YAML 1.1 core tags of SafeLoader are accepted; timestamps stay strings, since the
  config language is JSON-shaped.

The cost is linear in the size of the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from assistplan.config.model import Pos

MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_ALIAS_EXPANSION = 100_000  # nodes added by all alias uses together

Path_ = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "value")}
_MERGE_TAG = f"{_TAG}merge"
_CONTAINER_TAGS = {None, "!", f"{_TAG}map", f"{_TAG}seq"}
_SCALAR_EVENT, _ALIAS_EVENT = yaml.ScalarEvent, yaml.AliasEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_resolver = Resolver()
_constructor = SafeConstructor()


class YamlFatal(Exception):
    """The document cannot be read any further (syntax error, bounds exceeded)."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass
class Document:
    """Parsed data plus positions. `problems` are recoverable findings (e.g. duplicate keys)."""

    data: Any
    # (line, col) tuples: building a frozen Pos per node would cost more than the parse itself.
    # A merged document (config/overlay.py) adds a third item, the file, for what an overlay set.
    positions: dict[Path_, tuple[int, int] | tuple[int, int, str]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int] | tuple[int, int, str]] = field(default_factory=dict)
    problems: list[tuple[Pos, str]] = field(default_factory=list)
    # Values written as nothing at all (a bare `key:`), which YAML reads as null.
    empty: set[Path_] = field(default_factory=set)

    def pos(self, path: Path_) -> Pos:
        """Position of the value at `path`, else of its nearest recorded ancestor."""
        path = tuple(path)
        while path:
            found = self.positions.get(path)
            if found is not None:
                return Pos(*found)
            path = path[:-1]
        return Pos(*self.positions.get((), (1, 1)))

    def key_pos(self, path: Path_) -> Pos:
        """Position of the mapping key holding the value at `path` (else the value's position)."""
        found = self.key_positions.get(tuple(path))
        return Pos(*found) if found is not None else self.pos(path)


_MERGE = object()  # pending key: a `<<` merge key
_SKIP = object()  # pending key: a duplicate or invalid key whose value is dropped
_UNSEEN = object()
_HIDDEN = "\x00"  # path part for merged or dropped values: never looked up
# Plain scalars that may resolve to something other than a string (YAML 1.1 as SafeLoader):
# numbers, timestamps, `<<`, `=`, `~` by their first character; bools and nulls by spelling.
_TYPED_FIRST = frozenset("0123456789-+.<=~")
_TYPED_WORDS = frozenset(
    w for b in ("yes", "no", "true", "false", "on", "off", "null") for w in (b, b.capitalize(), b.upper())
)


class _Frame:
    __slots__ = ("is_map", "value", "path", "pos", "anchor", "size", "pending", "merges")

    def __init__(self, is_map: bool, path: Path_, pos: tuple[int, int], anchor: str | None):
        self.is_map = is_map
        self.value: Any = {} if is_map else []
        self.path = path
        self.pos = pos
        self.anchor = anchor
        self.size = 1
        self.pending: Any = None  # mapping: the key waiting for its value
        self.merges: list[dict[str, Any]] | None = None


def _copy(value: Any) -> Any:
    # Depth is bounded by MAX_DEPTH and size by MAX_ALIAS_EXPANSION, so recursion is safe.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _plain_string(ev: Any) -> bool:
    """A scalar that can only be a string: quoted, or plain and not spelt like another type."""
    text = ev.value
    return ev.tag is None and (
        not ev.implicit[0] or (bool(text) and text[0] not in _TYPED_FIRST and text not in _TYPED_WORDS)
    )


class _Builder:
    def __init__(self) -> None:
        self.doc = Document(data=None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.aliases = 0
        self.expanded = 0
        self.done = False
        # Plain scalars resolved to another type (`0.2`, `true`), by spelling: YAML resolves a
        # plain scalar from its text alone, and the values are immutable.
        self.typed: dict[str, Any] = {}

    def problem(self, pos: tuple[int, int], message: str) -> None:
        self.doc.problems.append((Pos(*pos), message))

    def scalar(self, ev: Any, pos: tuple[int, int]) -> Any:
        """The slow path: implicit types (int, bool...) and explicit tags."""
        if ev.tag is None and ev.implicit[0]:
            typed = self.typed.get(ev.value, _UNSEEN)
            if typed is _UNSEEN:
                found = len(self.doc.problems)
                typed = self.resolve(ev, pos)
                if len(self.doc.problems) == found:  # a value in error is reported at every use
                    self.typed[ev.value] = typed
            return typed
        return self.resolve(ev, pos)

    def resolve(self, ev: Any, pos: tuple[int, int]) -> Any:
        tag = ev.tag
        if tag is None or tag == "!":
            tag = _resolver.resolve(ScalarNode, ev.value, ev.implicit)
        if tag == f"{_TAG}str" or tag == f"{_TAG}timestamp" or tag == f"{_TAG}value":
            return ev.value
        if tag == _MERGE_TAG:
            return _MERGE
        if tag not in _SCALAR_TAGS:
            self.problem(pos, f"unsupported YAML tag '{tag}'")
            return None
        try:
            return _constructor.yaml_constructors[tag](_constructor, ScalarNode(tag, ev.value))
        except (ValueError, LookupError, yaml.YAMLError):  # `!!int ''`, `!!bool maybe`...
            shown = ev.value if len(ev.value) <= 40 else ev.value[:37] + "..."
            self.problem(pos, f"invalid {tag.rsplit(':', 1)[-1]} '{shown}'")
            return None

    def child_path(self) -> Path_ | None:
        """Path of the next node, or None when the next node is a mapping key."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if not top.is_map:
            return (*top.path, len(top.value))
        pending = top.pending
        if pending is None:
            return None
        if pending is _MERGE or pending is _SKIP:
            return (*top.path, _HIDDEN)
        return (*top.path, pending)

    def place(
        self, value: Any, pos: tuple[int, int], size: int, key_text: str | None, is_scalar: bool
    ) -> None:
        """Put a finished node into its parent (as an item, a key, or a key's value)."""
        if not self.stack:
            self.doc.data = value
            self.done = True
            return
        top = self.stack[-1]
        top.size += size
        if not top.is_map:
            top.value.append(value)
            return
        pending = top.pending
        if pending is None:
            self.key(top, value, pos, key_text, is_scalar)
            return
        top.pending = None
        if pending is _SKIP:
            return
        if pending is _MERGE:
            self.merge(top, value, pos)
            return
        top.value[pending] = value

    def key(
        self, top: _Frame, value: Any, pos: tuple[int, int], key_text: str | None, is_scalar: bool
    ) -> None:
        if value is _MERGE:
            top.pending = _MERGE
            return
        top.pending = _SKIP
        if not is_scalar:
            self.problem(pos, "mapping keys must be plain scalars, not lists or mappings")
            return
        key = value if isinstance(value, str) else (key_text or "")
        if key == "":
            self.problem(pos, "empty mapping key")
            return
        path = (*top.path, key)
        if key in top.value:
            first = self.doc.key_positions.get(path)
            where = f" (first defined at line {first[0]})" if first is not None else ""
            self.problem(pos, f"duplicate key '{key}'{where}")
            return
        self.doc.key_positions[path] = pos
        top.pending = key

    def merge(self, top: _Frame, value: Any, pos: tuple[int, int]) -> None:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, dict) for s in sources):
            self.problem(pos, "a merge key '<<' takes a mapping or a list of mappings")
            return
        top.merges = [*(top.merges or ()), *sources]

    def run(self, loader: Any) -> None:
        """Build the root node from the events. The common events (a string as a list item, a new
        key or a key's value; a container's start and end) are handled inline, without a call."""
        get_event = loader.get_event
        positions, key_positions = self.doc.positions, self.doc.key_positions
        stack = self.stack
        top: _Frame | None = None
        while True:
            ev = get_event()
            kind = ev.__class__
            if kind is _SCALAR_EVENT:
                text = ev.value
                if (
                    top is not None
                    and ev.tag is None
                    and not ev.anchor
                    and (
                        not ev.implicit[0]
                        or (text and text[0] not in _TYPED_FIRST and text not in _TYPED_WORDS)
                    )
                ):  # a string (as _plain_string, inlined)
                    if not top.is_map:
                        items = top.value
                        mark = ev.start_mark
                        positions[(*top.path, len(items))] = (mark.line + 1, mark.column + 1)
                        items.append(text)
                        top.size += 1
                        continue
                    pending = top.pending
                    if pending is None:
                        if text and text not in top.value:
                            mark = ev.start_mark
                            key_positions[(*top.path, text)] = (mark.line + 1, mark.column + 1)
                            top.pending = text
                            top.size += 1
                            continue
                    elif pending is not _MERGE and pending is not _SKIP:
                        mark = ev.start_mark
                        positions[(*top.path, pending)] = (mark.line + 1, mark.column + 1)
                        top.value[pending] = text
                        top.pending = None
                        top.size += 1
                        continue
                self.scalar_event(ev)  # anything else, e.g. an empty or duplicate key
            elif kind is _MAP_START or kind is _SEQ_START:
                if top is None or ev.anchor or ev.tag is not None or len(stack) >= MAX_DEPTH:
                    self.start(ev, kind is _MAP_START)
                else:
                    if not top.is_map:
                        path = (*top.path, len(top.value))
                    else:
                        pending = top.pending
                        if pending is None or pending is _MERGE or pending is _SKIP:
                            self.start(ev, kind is _MAP_START)
                            top = stack[-1]
                            continue
                        path = (*top.path, pending)
                    mark = ev.start_mark
                    pos = (mark.line + 1, mark.column + 1)
                    positions[path] = pos
                    stack.append(_Frame(kind is _MAP_START, path, pos, None))
                top = stack[-1]
                continue
            elif kind is _MAP_END or kind is _SEQ_END:
                frame = stack[-1]
                parent = stack[-2] if len(stack) > 1 else None
                if frame.merges is None and frame.anchor is None and parent is not None:
                    pending = parent.pending
                    if not parent.is_map:
                        parent.value.append(frame.value)
                    elif pending is not None and pending is not _MERGE and pending is not _SKIP:
                        parent.value[pending] = frame.value
                        parent.pending = None
                    else:
                        self.end()  # a container as a key, or merged in
                        top = parent
                        continue
                    stack.pop()
                    parent.size += frame.size
                    top = parent
                    continue
                self.end()
                top = stack[-1] if stack else None
            elif kind is _ALIAS_EVENT:
                self.alias(ev)
            else:  # stream/document events cannot occur inside the root node
                mark = ev.start_mark
                raise YamlFatal(Pos(mark.line + 1, mark.column + 1), "unexpected YAML event")
            if self.done:
                return

    def scalar_event(self, ev: Any) -> None:
        mark = ev.start_mark
        pos = (mark.line + 1, mark.column + 1)
        text = ev.value
        value = text if _plain_string(ev) else self.scalar(ev, pos)
        path = self.child_path()
        if path is not None:
            self.doc.positions[path] = pos
            if value is _MERGE:  # `<<` merges only as a key
                value = "<<"
            elif value is None and text == "" and not ev.style:
                self.doc.empty.add(path)
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.place(value, pos, 1, text, True)

    def start(self, ev: Any, is_map: bool) -> None:
        mark = ev.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if len(self.stack) >= MAX_DEPTH:
            raise YamlFatal(Pos(*pos), f"nesting deeper than {MAX_DEPTH} levels")
        if ev.tag not in _CONTAINER_TAGS:
            self.problem(pos, f"unsupported YAML tag '{ev.tag}'")
        path = self.child_path()
        if path is None:  # a container used as a mapping key; reported when it is placed
            path = (*self.stack[-1].path, _HIDDEN)
        else:
            self.doc.positions[path] = pos
        self.stack.append(_Frame(is_map, path, pos, ev.anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.merges:
            # YAML merge keys: explicit keys win, then the earlier merged mapping wins.
            merged: dict[str, Any] = {}
            for source in frame.merges:
                for k, v in source.items():
                    merged.setdefault(k, v)
            merged.update(frame.value)
            frame.value = merged
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.value, frame.size)
        self.place(frame.value, frame.pos, frame.size, None, False)

    def alias(self, ev: Any) -> None:
        mark = ev.start_mark
        pos = (mark.line + 1, mark.column + 1)
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlFatal(Pos(*pos), f"too many YAML aliases (more than {MAX_ALIASES})")
        target = self.anchors.get(ev.anchor)
        if target is None:
            if any(f.anchor == ev.anchor for f in self.stack):
                raise YamlFatal(
                    Pos(*pos), f"alias '*{ev.anchor}' refers to a node that contains it (a cycle)"
                )
            raise YamlFatal(Pos(*pos), f"unknown alias '*{ev.anchor}' (no anchor '&{ev.anchor}' before it)")
        value, size = target
        self.expanded += size
        if self.expanded > MAX_ALIAS_EXPANSION:
            message = f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} nodes ('billion laughs'?)"
            raise YamlFatal(Pos(*pos), message)
        path = self.child_path()
        if path is not None:
            self.doc.positions[path] = pos
        is_scalar = not isinstance(value, dict | list)
        self.place(_copy(value), pos, size, str(value) if is_scalar else None, is_scalar)


def parse_yaml(text: str) -> Document:
    """Parse one YAML document. Raises YamlFatal for syntax errors and exceeded bounds."""
    try:
        return _parse(text, _Loader)
    except YamlFatal as fatal:
        if _Loader is yaml.SafeLoader or not _is_parser_depth_limit(fatal.message):
            raise
    # Some libyaml builds stop at their own nesting limit (1000) while scanning ahead, before our
    # MAX_DEPTH check sees the 65th level. The pure-Python parser has no such limit, so it gets
    # the document as far as our check and reports it in our words, at the right position.
    return _parse(text, yaml.SafeLoader)


def _is_parser_depth_limit(message: str) -> bool:
    return "nesting depth" in message  # libyaml: "exceeded maximum nesting depth"


def _parse(text: str, loader_class: Any) -> Document:
    builder = _Builder()
    loader = None
    try:
        loader = loader_class(text)  # the pure-Python reader already checks characters here
        loader.get_event()  # StreamStart
        ev = loader.get_event()
        if isinstance(ev, yaml.StreamEndEvent):
            return builder.doc  # no document at all: data None
        builder.run(loader)
        loader.get_event()  # DocumentEnd
        ev = loader.get_event()
        if not isinstance(ev, yaml.StreamEndEvent):
            mark = ev.start_mark
            raise YamlFatal(
                Pos(mark.line + 1, mark.column + 1), "expected a single YAML document, found another one"
            )
    except yaml.MarkedYAMLError as e:
        raise _syntax_error(e) from None
    except yaml.reader.ReaderError as e:
        # libyaml reports a byte offset; the pure-Python reader a character index.
        at = (
            _byte_pos(text, e.position)
            if loader_class is not yaml.SafeLoader
            else _char_pos(text, e.position)
        )
        raise YamlFatal(at, f"invalid YAML: {e.reason}") from None
    except yaml.YAMLError as e:
        raise YamlFatal(Pos(1, 1), f"invalid YAML: {e}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return builder.doc


def _syntax_error(e: yaml.MarkedYAMLError) -> YamlFatal:
    mark = e.problem_mark or e.context_mark
    pos = Pos(mark.line + 1, mark.column + 1) if mark is not None else Pos(1, 1)
    message = f"invalid YAML: {e.problem or e.context}"
    if e.context and e.problem:
        where = ""
        if e.context_mark is not None and e.context_mark is not mark:
            where = f" started at line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
        message += f" ({e.context}{where})"
    return YamlFatal(pos, message)


def _byte_pos(text: str, offset: int) -> Pos:
    """Line/column of a byte offset into the UTF-8 encoding of `text` (libyaml counts bytes here)."""
    return _char_pos(text, len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore")))


def _char_pos(text: str, offset: int) -> Pos:
    prefix = text[:offset]
    line = prefix.count("\n") + 1
    return Pos(line, len(prefix) - (prefix.rfind("\n") + 1) + 1)
