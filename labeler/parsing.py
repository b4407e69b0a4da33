"""Parse and validate conversation import files. Pure: no Django, no database.

A file is JSONL (one conversation per line) or a JSON array (one per item). Each
conversation takes one of four shapes (see the README): `messages`, `prompt`, HH-RLHF
`chosen`/`rejected` transcripts, or `messages` with pre-generated `candidates`.

The whole file is validated before anything is written; every problem carries where it is
(`line 7, messages[2].role: …`) so a lead can fix the file in one go.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ranklab import untrusted_json

ROLES = ("system", "user", "assistant")
MAX_ID_CHARS = 255
_HH_TURN = re.compile(r"\n\n(Human|Assistant): ")


@dataclass(frozen=True)
class ImportLimits:
    k: int
    max_file_bytes: int
    max_message_chars: int
    max_errors: int = 50


@dataclass
class ParsedConversation:
    external_id: str
    messages: list[tuple[str, str]]
    metadata: dict = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    line: int = 0


@dataclass(frozen=True)
class ImportProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ImportInvalid(Exception):
    def __init__(self, problems: list[ImportProblem], *, truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        super().__init__("; ".join(str(problem) for problem in problems[:3]))


class _Invalid(Exception):
    """One problem with one record, raised while checking it."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message


class _Problems:
    def __init__(self, limit: int) -> None:
        self.items: list[ImportProblem] = []
        self.limit = limit
        self.truncated = False

    def add(self, where: str, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(ImportProblem(where, message))
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        return self.truncated


def parse_conversations(source: BinaryIO, *, limits: ImportLimits) -> list[ParsedConversation]:
    """Every conversation of the file, or `ImportInvalid` listing every problem (up to the limit)."""
    problems = _Problems(limits.max_errors)
    records: list[ParsedConversation] = []
    first_line_of: dict[str, str] = {}
    for where, raw in _records(source, limits, problems):
        try:
            record = _conversation(raw, limits)
        except _Invalid as invalid:
            problems.add(f"{where}, {invalid.path}" if invalid.path else where, invalid.message)
        else:
            if record.external_id in first_line_of:
                problems.add(
                    f"{where}, id",
                    f"duplicate id {record.external_id!r} (first at {first_line_of[record.external_id]})",
                )
            else:
                first_line_of[record.external_id] = where
                record.line = len(records) + 1
                records.append(record)
        if problems.full:
            break
    if problems.items:
        raise ImportInvalid(problems.items, truncated=problems.truncated)
    if not records:
        raise ImportInvalid([ImportProblem("file", "holds no conversation")])
    return records


def _records(source: BinaryIO, limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any]]:
    """(where, decoded JSON value) for each record; problems of the file itself go to `problems`."""
    head = source.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        yield from _array_records(head + source.read(limits.max_file_bytes + 1 - len(head)), limits, problems)
        return
    yield from _jsonl_records(_lines(head, source), limits, problems)


def _lines(head: bytes, source: BinaryIO) -> Iterator[bytes]:
    buffer = b""
    for chunk in _chain_chunks(head, source):
        *complete, buffer = (buffer + chunk).split(b"\n")
        yield from complete
    if buffer:
        yield buffer


def _chain_chunks(head: bytes, source: BinaryIO) -> Iterator[bytes]:
    yield head
    yield from iter(lambda: source.read(1 << 16), b"")


def _jsonl_records(lines: Iterator[bytes], limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any]]:
    size = 0
    for number, line in enumerate(lines, start=1):
        size += len(line) + 1
        if size > limits.max_file_bytes:
            problems.add("file", f"is larger than the limit of {limits.max_file_bytes:,} bytes")
            return
        where = f"line {number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.add(where, f"is not valid UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1})")
            continue
        if not text.strip():
            continue
        try:
            value = untrusted_json.loads(text)
        except json.JSONDecodeError as error:
            problems.add(where, f"invalid JSON: {error.msg} (column {error.colno})")
            continue
        yield where, value


def _array_records(data: bytes, limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any]]:
    if len(data) > limits.max_file_bytes:
        problems.add("file", f"is larger than the limit of {limits.max_file_bytes:,} bytes")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(f"line {line}", f"is not valid UTF-8 (byte 0x{data[error.start]:02x})")
        return
    try:
        items = untrusted_json.loads(text)
    except json.JSONDecodeError as error:
        problems.add(f"line {error.lineno}", f"invalid JSON: {error.msg} (column {error.colno})")
        return
    if not isinstance(items, list):
        problems.add("file", "a JSON file must hold an array of conversations")
        return
    for index, item in enumerate(items, start=1):
        yield f"item {index}", item


def _conversation(raw: Any, limits: ImportLimits) -> ParsedConversation:
    if not isinstance(raw, dict):
        raise _Invalid("", f"expected a JSON object, got {_kind(raw)}")
    _check_no_nul(raw, "")
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _Invalid("metadata", f"expected an object, got {_kind(metadata)}")
    if "chosen" in raw or "rejected" in raw:
        return _hh_conversation(raw, limits, metadata)
    if "messages" in raw:
        messages = _messages(raw["messages"], limits)
        candidates = _candidates(raw["candidates"], limits) if "candidates" in raw else []
    elif "prompt" in raw:
        messages = [("user", _content(raw["prompt"], "prompt", limits))]
        candidates = _candidates(raw["candidates"], limits) if "candidates" in raw else []
    else:
        raise _Invalid("", 'wrong shape: expected "messages", "prompt", or HH-RLHF "chosen"/"rejected"')
    return ParsedConversation(_external_id(raw), messages, metadata, candidates)


def _external_id(raw: dict) -> str:
    if "id" not in raw:
        raise _Invalid("id", "is missing")
    value = raw["id"]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid("id", f"must be a string or an integer, got {_kind(value)}")
    text = str(value).strip()
    if not text:
        raise _Invalid("id", "is empty")
    if len(text) > MAX_ID_CHARS:
        raise _Invalid("id", f"is longer than {MAX_ID_CHARS} characters")
    return text


def _messages(value: Any, limits: ImportLimits) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise _Invalid("messages", f"expected a list, got {_kind(value)}")
    if not value:
        raise _Invalid("messages", "is empty")
    messages = []
    for index, message in enumerate(value):
        path = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _Invalid(path, f"expected an object, got {_kind(message)}")
        role = message.get("role")
        if role not in ROLES:
            shown = json.dumps(role, ensure_ascii=False) if role is not None else "missing"
            raise _Invalid(f"{path}.role", f"unknown role {shown} (use system, user or assistant)")
        if role == "system" and index > 0:
            raise _Invalid(f"{path}.role", "a system message may only come first")
        messages.append((role, _content(message.get("content"), f"{path}.content", limits)))
    if messages[-1][0] != "user":
        raise _Invalid(
            f"messages[{len(messages) - 1}].role", f"the last turn must be from the user, not the {messages[-1][0]}"
        )
    return messages


def _candidates(value: Any, limits: ImportLimits) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid("candidates", f"expected a list, got {_kind(value)}")
    if not 2 <= len(value) <= limits.k:
        raise _Invalid("candidates", f"has {len(value)} candidates; this project takes 2 to {limits.k}")
    return [_content(text, f"candidates[{index}]", limits) for index, text in enumerate(value)]


def _content(value: Any, path: str, limits: ImportLimits) -> str:
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a string, got {_kind(value)}")
    if not value.strip():
        raise _Invalid(path, "is empty")
    if len(value) > limits.max_message_chars:
        raise _Invalid(path, f"is {len(value):,} characters long; the limit is {limits.max_message_chars:,}")
    return value


def _hh_conversation(raw: dict, limits: ImportLimits, metadata: dict) -> ParsedConversation:
    if "chosen" not in raw:
        raise _Invalid("chosen", "is missing (an HH-RLHF record needs `chosen`, and may have `rejected`)")
    chosen = _hh_turns(raw["chosen"], "chosen", limits)
    prompt, candidates = chosen[:-1], [chosen[-1][1]]
    if "rejected" in raw:
        rejected = _hh_turns(raw["rejected"], "rejected", limits)
        if rejected[:-1] != prompt:
            raise _Invalid("rejected", "its turns before the last Assistant turn differ from those of `chosen`")
        candidates.append(rejected[-1][1])
        metadata = {**metadata, "hh_rlhf": {"chosen_candidate": 0, "rejected_candidate": 1}}
    else:
        candidates = []
    if "id" in raw:
        external_id = _external_id(raw)
    else:
        digest = hashlib.sha256(json.dumps([raw.get("chosen"), raw.get("rejected")]).encode()).hexdigest()
        external_id = f"hh-{digest[:24]}"
    return ParsedConversation(external_id, prompt, metadata, candidates)


def _hh_turns(value: Any, path: str, limits: ImportLimits) -> list[tuple[str, str]]:
    """The turns of an HH transcript; it must end with an Assistant turn after a Human one."""
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a string, got {_kind(value)}")
    parts = _HH_TURN.split(value)
    if parts[0].strip():
        raise _Invalid(path, 'must start with "\\n\\nHuman: "')
    turns = [
        ("user" if speaker == "Human" else "assistant", text.strip())
        for speaker, text in zip(parts[1::2], parts[2::2], strict=True)
    ]
    if len(turns) < 2 or turns[-1][0] != "assistant" or turns[-2][0] != "user":
        raise _Invalid(path, "must end with a Human turn followed by an Assistant turn")
    for index, (_, text) in enumerate(turns):
        _content(text, f"{path} turn {index + 1}", limits)
    return turns


def _check_no_nul(value: Any, path: str) -> None:
    """PostgreSQL text and jsonb cannot hold U+0000: refuse it wherever it is."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _Invalid(path or "value", "contains a NUL character (U+0000), which cannot be stored")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise _Invalid(path or "key", "a key contains a NUL character (U+0000)")
            _check_no_nul(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_no_nul(item, f"{path}[{index}]")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
