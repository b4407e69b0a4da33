"""Parse and validate conversation import files. Pure: no Django, no database.

A file is JSONL (one conversation per line), a JSON array (one per item) or Parquet (one per
row). Each record takes one of the shapes of the README, found record by record: RankLab's
`messages` or `prompt` (with pre-generated `candidates` or not), HH-RLHF transcripts, TRL's
preference and unpaired forms, and ShareGPT conversations.

The whole file is validated before anything is written; every problem carries where it is
(`line 7, messages[2].role: …`) so a lead can fix the file in one go. With `skip_invalid`
the valid records are kept and each invalid one becomes a `Reject` holding its original text.

Text is kept exactly as it is in the file (whitespace and line endings included), so that an
export in the source's own format gives back the source byte for byte.
"""

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ranklab import untrusted_json
from ranklab.text import counted

ROLES = ("system", "user", "assistant")
EMPTY_FILE = "holds no conversation"
MAX_ID_CHARS = 255
_HH_TURN = re.compile(r"\n\n(Human|Assistant): ")
# PostgreSQL text and jsonb hold neither U+0000 nor a lone surrogate (which JSON's "\ud800" can give).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)


@dataclass(frozen=True)
class ImportLimits:
    k: int
    max_file_bytes: int
    max_message_chars: int
    max_errors: int = 50


@dataclass(frozen=True)
class ImportOptions:
    """What the lead chose for this file."""

    skip_invalid: bool = False  # import the valid records, report the others
    keep_unanswered: bool = False  # an HH transcript ending with a Human turn gives a prompt to sample for


@dataclass
class ParsedConversation:
    external_id: str
    messages: list[tuple[str, str]]
    metadata: dict = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    line: int = 0
    # TRL unpaired lines of one prompt become one comparison: the key they are grouped by.
    group: str | None = None


@dataclass(frozen=True)
class ImportProblem:
    unit: str  # "line 7", "item 3" or "file"
    message: str
    field: str = ""

    @property
    def where(self) -> str:
        return f"{self.unit}, {self.field}" if self.field else self.unit

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Reject:
    """An invalid record left out of a partial import, with its text as the file held it."""

    problem: ImportProblem
    original: str

    def as_json(self) -> dict:
        kind, _, number = self.problem.unit.partition(" ")
        return {
            kind: int(number),
            "field": self.problem.field,
            "reason": self.problem.message,
            "original": self.original,
        }


@dataclass
class ParsedFile:
    conversations: list[ParsedConversation]
    # Accepted with a relaxation the lead should know of (an empty turn kept as an empty message).
    notes: list[ImportProblem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


class ImportInvalid(Exception):
    def __init__(self, problems: list[ImportProblem], *, truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        super().__init__("; ".join(str(problem) for problem in problems[:3]))


class _Invalid(Exception):
    """One problem with one record, raised while checking it."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message


class FieldInvalid(_Invalid):
    """A field of one record that `parse_prompts`'s `extra` reader refuses: `FieldInvalid(field, message)`."""


class _Problems:
    """Problems of the file itself are fatal; those of one record are fatal, or rejects with `skip_invalid`."""

    def __init__(self, limit: int, *, skip_invalid: bool) -> None:
        self.items: list[ImportProblem] = []
        self.rejects: list[Reject] = []
        self.limit = limit
        self.skip_invalid = skip_invalid
        self.truncated = False

    def add(self, unit: str, message: str, field: str = "", *, original: str | None = None) -> None:
        problem = ImportProblem(unit, message, field)
        if self.skip_invalid and original is not None:
            self.rejects.append(Reject(problem, original))
        elif len(self.items) < self.limit:
            self.items.append(problem)
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        return self.truncated


def parse_conversations(
    source: BinaryIO, *, limits: ImportLimits, options: ImportOptions = ImportOptions()
) -> ParsedFile:
    """Every conversation of the file, or `ImportInvalid` listing every problem (up to the limit).

    With `options.skip_invalid` an invalid record is a reject instead; problems of the file
    itself (its encoding, its size, no conversation at all) still refuse the whole file.
    """
    problems = _Problems(limits.max_errors, skip_invalid=options.skip_invalid)
    parsed = ParsedFile([])
    first_line_of: dict[str, str] = {}
    groups: dict[str, _Group] = {}

    def accept(record: ParsedConversation, unit: str, original: str, notes: list) -> None:
        if record.external_id in first_line_of:
            message = f"duplicate id {record.external_id!r} (first at {first_line_of[record.external_id]})"
            problems.add(unit, message, "id", original=original)
            return
        first_line_of[record.external_id] = unit
        record.line = len(parsed.conversations) + 1
        parsed.conversations.append(record)
        parsed.notes.extend(ImportProblem(unit, message, path) for path, message in notes)

    for unit, raw, original in _records(source, limits, problems):
        notes: list[tuple[str, str]] = []
        try:
            record = _conversation(raw, limits, options, notes)
        except _Invalid as invalid:
            problems.add(unit, invalid.message, invalid.path, original=original)
        else:
            if isinstance(record, list):  # an Open-Assistant tree: a comparison per set of siblings
                for index, comparison in enumerate(record):
                    accept(comparison, unit, original, notes if index == 0 else [])
            elif record.group is None:
                accept(record, unit, original, notes)
            elif record.group in groups:
                groups[record.group].add(record, unit, original, notes)
            else:
                groups[record.group] = _Group(record, unit, original, notes)
        if problems.full:
            break
    for group in groups.values():
        if not 2 <= len(group.record.candidates) <= limits.k:
            message = (
                f"this prompt has {counted(len(group.record.candidates), 'completion')} in the file;"
                f" ranking them takes 2 to {limits.k}"
            )
            for unit, original in group.lines:
                problems.add(unit, message, "prompt", original=original)
        else:
            accept(group.record, group.lines[0][0], "\n".join(original for _, original in group.lines), group.notes)
    if problems.items:
        raise ImportInvalid(problems.items, truncated=problems.truncated)
    parsed.rejects = problems.rejects
    if not parsed.conversations and not parsed.rejects:
        raise ImportInvalid([ImportProblem("file", EMPTY_FILE)])
    return parsed


def parse_prompts(
    source: BinaryIO, *, limits: ImportLimits, extra: Callable[[dict], dict] | None = None
) -> list[ParsedConversation]:
    """The records of a prompt set (e.g. audit probes): `id` with `messages` or `prompt`, no candidates.

    `extra(record)` reads the set's own fields into each one's metadata and raises `FieldInvalid`.
    Any problem refuses the whole file: `ImportInvalid` lists them, each by line and field.
    """
    problems = _Problems(limits.max_errors, skip_invalid=False)
    records: list[ParsedConversation] = []
    first_line_of: dict[str, str] = {}
    for unit, raw, _ in _records(source, limits, problems):
        try:
            record = _prompt(raw, limits, extra)
        except _Invalid as invalid:
            problems.add(unit, invalid.message, invalid.path)
        else:
            if record.external_id in first_line_of:
                message = f"duplicate id {record.external_id!r} (first at {first_line_of[record.external_id]})"
                problems.add(unit, message, "id")
            else:
                first_line_of[record.external_id] = unit
                record.line = len(records) + 1
                records.append(record)
        if problems.full:
            break
    if problems.items:
        raise ImportInvalid(problems.items, truncated=problems.truncated)
    if not records:
        raise ImportInvalid([ImportProblem("file", "holds no prompt")])
    return records


def _prompt(raw: Any, limits: ImportLimits, extra: Callable[[dict], dict] | None) -> ParsedConversation:
    if not isinstance(raw, dict):
        raise _Invalid("", f"expected a JSON object, got {_kind(raw)}")
    _check_storable(raw, "")
    if "messages" in raw:
        messages = _messages(raw["messages"], limits)
    elif "prompt" in raw:
        messages = [("user", _content(raw["prompt"], "prompt", limits))]
    else:
        raise _Invalid("", 'wrong shape: expected "messages" or "prompt"')
    external_id = _external_id(raw)
    return ParsedConversation(external_id, messages, extra(raw) if extra else {})


class _Group:
    """The TRL unpaired lines of one prompt: one comparison, each completion a candidate with its label."""

    def __init__(self, record: ParsedConversation, unit: str, original: str, notes: list) -> None:
        self.record, self.lines, self.notes = record, [(unit, original)], list(notes)

    def add(self, record: ParsedConversation, unit: str, original: str, notes: list) -> None:
        self.record.candidates.extend(record.candidates)
        self.record.metadata["import_format"]["labels"].extend(record.metadata["import_format"]["labels"])
        self.lines.append((unit, original))
        self.notes.extend(notes)


def _records(source: BinaryIO, limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any, str]]:
    """(where, decoded JSON value, its text) for each record; problems of the file itself go to `problems`."""
    head = source.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(_PARQUET_MAGIC):
        yield from _parquet_records(head + source.read(limits.max_file_bytes + 1 - len(head)), limits, problems)
        return
    if encoding := _wide_encoding(head):
        problems.add("file", f"is encoded as {encoding}; save it as UTF-8 (RankLab reads UTF-8 only)")
        return
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        yield from _array_records(head + source.read(limits.max_file_bytes + 1 - len(head)), limits, problems)
        return
    yield from _jsonl_records(_lines(head, source), limits, problems)


_PARQUET_MAGIC = b"PAR1"


def _parquet_records(data: bytes, limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any, str]]:
    """Each row of a Parquet file as a record; a null column is an absent key (a file has one schema)."""
    import pyarrow
    import pyarrow.parquet

    if len(data) > limits.max_file_bytes:
        problems.add("file", f"is larger than the limit of {limits.max_file_bytes:,} bytes")
        return
    try:
        table = pyarrow.parquet.ParquetFile(pyarrow.BufferReader(data))
        batches = table.iter_batches(batch_size=1000)
        number = 0
        for batch in batches:
            for row in batch.to_pylist():
                number += 1
                record = {key: value for key, value in row.items() if value is not None}
                yield f"row {number}", record, json.dumps(record, ensure_ascii=False, default=str)
    except (pyarrow.ArrowException, OSError) as error:
        problems.add("file", f"is not a readable Parquet file ({error})")


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32, by its byte order mark or, without one, by the zero bytes around ASCII text."""
    for mark, name in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return name
    if len(head) >= 4 and head[0] != 0 and head[1] == 0:
        return "UTF-32 LE" if head[2] == 0 and head[3] == 0 else "UTF-16 LE"
    if len(head) >= 4 and head[0] == 0:
        return "UTF-32 BE" if head[1] == 0 else "UTF-16 BE"
    return None


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


def _jsonl_records(lines: Iterator[bytes], limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any, str]]:
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
            problems.add(
                where,
                f"is not valid UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1})",
                original=line.decode("utf-8", errors="backslashreplace"),
            )
            continue
        if not text.strip():
            continue
        try:
            value = untrusted_json.loads(text, lone_surrogates=True)
        except json.JSONDecodeError as error:
            problems.add(where, f"invalid JSON: {error.msg} (column {error.colno})", original=text)
            continue
        yield where, value, text


def _array_records(data: bytes, limits: ImportLimits, problems: _Problems) -> Iterator[tuple[str, Any, str]]:
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
        items = untrusted_json.loads(text, lone_surrogates=True)
    except json.JSONDecodeError as error:
        problems.add(f"line {error.lineno}", f"invalid JSON: {error.msg} (column {error.colno})")
        return
    if not isinstance(items, list):
        problems.add("file", "a JSON file must hold an array of conversations")
        return
    for index, item in enumerate(items, start=1):
        yield f"item {index}", item, json.dumps(item, ensure_ascii=False)


def _conversation(
    raw: Any, limits: ImportLimits, options: ImportOptions, notes: list
) -> ParsedConversation | list[ParsedConversation]:
    if not isinstance(raw, dict):
        raise _Invalid("", f"expected a JSON object, got {_kind(raw)}")
    _check_storable(raw, "")
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _Invalid("metadata", f"expected an object, got {_kind(metadata)}")
    if "message_tree_id" in raw:
        return _open_assistant_tree(raw, limits, metadata, notes)
    if "conversations" in raw:
        return _sharegpt_conversation(raw, limits, metadata, notes)
    if "completion" in raw or "label" in raw:
        return _unpaired_completion(raw, limits, metadata)
    if "chosen" in raw or "rejected" in raw:
        if _is_hh(raw):
            return _hh_conversation(raw, limits, options, metadata, notes)
        return _trl_preference(raw, limits, metadata, notes)
    if "messages" in raw:
        messages = _messages(raw["messages"], limits)
        candidates = _candidates(raw["candidates"], limits) if "candidates" in raw else []
    elif "prompt" in raw:
        messages = [("user", _content(raw["prompt"], "prompt", limits))]
        candidates = _candidates(raw["candidates"], limits) if "candidates" in raw else []
    else:
        raise _Invalid(
            "",
            'wrong shape: expected "messages", "prompt", HH-RLHF or TRL "chosen"/"rejected", TRL "completion"/"label"'
            ' or ShareGPT "conversations"',
        )
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


def _messages(
    value: Any, limits: ImportLimits, name: str = "messages", *, ends_with_user: bool = True
) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise _Invalid(name, f"expected a list, got {_kind(value)}")
    if not value:
        raise _Invalid(name, "is empty")
    messages = []
    for index, message in enumerate(value):
        path = f"{name}[{index}]"
        if not isinstance(message, dict):
            raise _Invalid(path, f"expected an object, got {_kind(message)}")
        role = message.get("role")
        if role not in ROLES:
            shown = json.dumps(role, ensure_ascii=False) if role is not None else "missing"
            raise _Invalid(f"{path}.role", f"unknown role {shown} (use system, user or assistant)")
        if role == "system" and index > 0:
            raise _Invalid(f"{path}.role", "a system message may only come first")
        if messages and messages[-1][0] == role:
            raise _Invalid(f"{path}.role", f"a second {role} turn in a row; user and assistant turns must alternate")
        messages.append((role, _content(message.get("content"), f"{path}.content", limits)))
    if ends_with_user and messages[-1][0] != "user":
        raise _Invalid(
            f"{name}[{len(messages) - 1}].role", f"the last turn must be from the user, not the {messages[-1][0]}"
        )
    return messages


def _candidates(value: Any, limits: ImportLimits) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid("candidates", f"expected a list, got {_kind(value)}")
    if not 2 <= len(value) <= limits.k:
        raise _Invalid("candidates", f"has {counted(len(value), 'candidate')}; this project takes 2 to {limits.k}")
    return [_content(text, f"candidates[{index}]", limits) for index, text in enumerate(value)]


def _content(value: Any, path: str, limits: ImportLimits, *, notes: list | None = None) -> str:
    """The text as it is; empty text is refused, or kept and noted where `notes` is given."""
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a string, got {_kind(value)}")
    if not value.strip():
        if notes is None:
            raise _Invalid(path, "is empty")
        notes.append((path, "is empty; kept as an empty message"))
    if len(value) > limits.max_message_chars:
        raise _Invalid(path, f"is {len(value):,} characters long; the limit is {limits.max_message_chars:,}")
    return value


def _derived_id(prefix: str, *values: Any) -> str:
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return f"{prefix}-{digest[:24]}"


def _is_hh(raw: dict) -> bool:
    """HH-RLHF transcripts are text with speaker tags; TRL's standard form is text without them."""
    chosen = raw.get("chosen", raw.get("rejected"))
    if "prompt" in raw or not isinstance(chosen, str):
        return False
    return "\n\nHuman:" in chosen or "\n\nAssistant:" in chosen or chosen.startswith(("Human:", "Assistant:"))


def _trl_preference(raw: dict, limits: ImportLimits, metadata: dict, notes: list) -> ParsedConversation:
    """TRL's preference format: standard (text) or conversational (messages), with or without `prompt`.

    Without `prompt`, the prompt is what `chosen` and `rejected` share, as TRL's `extract_prompt`
    takes it; the rest of each is a candidate.
    """
    for key in ("chosen", "rejected"):
        if key not in raw:
            raise _Invalid(
                key, "is missing (a TRL preference record has `chosen` and `rejected`, and may have `prompt`)"
            )
    conversational = isinstance(raw["chosen"], list)
    explicit = "prompt" in raw
    if conversational:
        prompt, candidates = _trl_conversational(raw, limits, explicit)
    else:
        chosen = _content(raw["chosen"], "chosen", limits, notes=notes)
        rejected = _content(raw["rejected"], "rejected", limits, notes=notes)
        if explicit:
            prompt, candidates = [("user", _content(raw["prompt"], "prompt", limits))], [chosen, rejected]
        else:
            shared = _shared_prefix(chosen, rejected)
            if not shared:
                raise _Invalid("chosen", "shares no prompt with `rejected`; give the prompt as `prompt`")
            prompt, candidates = [("user", shared)], [chosen[len(shared) :], rejected[len(shared) :]]
    shape = {"name": "trl_preference", "conversational": conversational, "explicit_prompt": explicit}
    external_id = (
        _external_id(raw) if "id" in raw else _derived_id("trl", raw.get("prompt"), raw["chosen"], raw["rejected"])
    )
    return ParsedConversation(external_id, prompt, {**metadata, "import_format": shape}, candidates)


def _shared_prefix(chosen: str, rejected: str) -> str:
    length = len(os.path.commonprefix([chosen, rejected]))  # noqa: RUF071 (characters, as TRL compares)
    # As TRL does: a space before the answers belongs to them, not to the prompt.
    if length and chosen[length - 1] == " ":
        length -= 1
    return chosen[:length]


def _trl_conversational(raw: dict, limits: ImportLimits, explicit: bool) -> tuple[list, list[str]]:
    chosen = _messages(raw["chosen"], limits, "chosen", ends_with_user=False)
    if not isinstance(raw["rejected"], list):
        raise _Invalid("rejected", f"expected a list like `chosen`, got {_kind(raw['rejected'])}")
    rejected = _messages(raw["rejected"], limits, "rejected", ends_with_user=False)
    if explicit:
        if not isinstance(raw["prompt"], list):
            raise _Invalid("prompt", f"expected a list of messages like `chosen`, got {_kind(raw['prompt'])}")
        prompt = _messages(raw["prompt"], limits, "prompt")
    else:
        shared = 0
        while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:
            shared += 1
        prompt, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]
        if not prompt or prompt[-1][0] != "user":
            raise _Invalid("chosen", "the turns it shares with `rejected` must end with a user turn")
    answers = []
    for name, turns in (("chosen", chosen), ("rejected", rejected)):
        if len(turns) != 1 or turns[0][0] != "assistant":
            raise _Invalid(name, "must hold exactly one assistant turn after the prompt")
        answers.append(turns[0][1])
    return prompt, answers


def _unpaired_completion(raw: dict, limits: ImportLimits, metadata: dict) -> ParsedConversation:
    """TRL's unpaired form: one completion of a prompt and its label; lines of one prompt are grouped."""
    for key in ("prompt", "completion", "label"):
        if key not in raw:
            raise _Invalid(key, "is missing (a TRL unpaired record has `prompt`, `completion` and `label`)")
    if not isinstance(raw["label"], bool):
        raise _Invalid("label", f"expected true or false, got {_kind(raw['label'])}")
    conversational = isinstance(raw["prompt"], list)
    if conversational:
        prompt = _messages(raw["prompt"], limits, "prompt")
        [completion] = _trl_answer(raw["completion"], limits)
    else:
        prompt = [("user", _content(raw["prompt"], "prompt", limits))]
        completion = _content(raw["completion"], "completion", limits)
    shape = {"name": "trl_unpaired", "conversational": conversational, "labels": [raw["label"]]}
    group = json.dumps(prompt, ensure_ascii=False)
    record = ParsedConversation(_derived_id("trl", group), prompt, {**metadata, "import_format": shape}, [completion])
    record.group = group
    return record


def _trl_answer(value: Any, limits: ImportLimits) -> list[str]:
    turns = _messages(value, limits, "completion", ends_with_user=False)
    if len(turns) != 1 or turns[0][0] != "assistant":
        raise _Invalid("completion", "must hold exactly one assistant turn")
    return [turns[0][1]]


_SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
}


def _sharegpt_conversation(raw: dict, limits: ImportLimits, metadata: dict, notes: list) -> ParsedConversation:
    """ShareGPT `conversations` of `from`/`value` turns, with LLaMA-Factory's `system`, `chosen` and `rejected`.

    A conversation ending with a human turn is a prompt (to sample for, or with `chosen` and
    `rejected` as its candidates); one ending with a model turn gives that reply as one candidate,
    and sampling adds the others.
    """
    value = raw["conversations"]
    if not isinstance(value, list) or not value:
        raise _Invalid("conversations", "expected a non-empty list of {from, value} turns")
    names: dict[str, str] = {}
    messages = []
    if "system" in raw:
        messages.append(("system", _content(raw["system"], "system", limits)))
    for index, turn in enumerate(value):
        path = f"conversations[{index}]"
        if not isinstance(turn, dict):
            raise _Invalid(path, f"expected an object, got {_kind(turn)}")
        speaker = turn.get("from")
        role = _SHAREGPT_ROLES.get(speaker) if isinstance(speaker, str) else None
        if role is None:
            shown = json.dumps(speaker, ensure_ascii=False) if speaker is not None else "missing"
            raise _Invalid(f"{path}.from", f"unknown speaker {shown} (use human, gpt or system)")
        if role == "system" and messages:
            raise _Invalid(f"{path}.from", "a system turn may only come first")
        if messages and messages[-1][0] == role:
            raise _Invalid(f"{path}.from", f"a second {speaker} turn in a row; human and gpt turns must alternate")
        names.setdefault(role, speaker)
        messages.append((role, _content(turn.get("value"), f"{path}.value", limits, notes=notes)))
    preference = "chosen" in raw or "rejected" in raw
    if preference:
        if messages[-1][0] != "user":
            raise _Invalid("conversations", "must end with a human turn when `chosen` and `rejected` answer it")
        candidates = [_sharegpt_reply(raw, key, limits, notes, names) for key in ("chosen", "rejected")]
        prompt = messages
    elif messages[-1][0] == "assistant":
        prompt, candidates = messages[:-1], [messages[-1][1]]
    else:
        prompt, candidates = messages, []
    if not prompt or prompt[-1][0] != "user":
        raise _Invalid("conversations", "has no human turn to answer")
    shape = {"name": "sharegpt", "speakers": names, "system_key": "system" in raw, "preference": preference}
    external_id = _external_id(raw) if "id" in raw else _derived_id("sharegpt", value, raw.get("chosen"))
    return ParsedConversation(external_id, prompt, {**metadata, "import_format": shape}, candidates)


def _sharegpt_reply(raw: dict, key: str, limits: ImportLimits, notes: list, names: dict) -> str:
    if key not in raw:
        raise _Invalid(key, "is missing (a ShareGPT preference record has both `chosen` and `rejected`)")
    reply = raw[key]
    if not isinstance(reply, dict) or _SHAREGPT_ROLES.get(reply.get("from")) != "assistant":
        raise _Invalid(key, 'expected a {"from": "gpt", "value": …} turn')
    names.setdefault("assistant", reply["from"])
    return _content(reply.get("value"), f"{key}.value", limits, notes=notes)


_OA_ROLES = {"prompter": "user", "assistant": "assistant"}


def _open_assistant_tree(raw: dict, limits: ImportLimits, metadata: dict, notes: list) -> list[ParsedConversation]:
    """An Open-Assistant message tree: the assistant replies to one prompter message are the
    candidates of one comparison, whose prompt is the path from the root to that message.

    Their `rank`s (0 is best) are kept in the metadata as the imported ranking, marked as such;
    they are not a trainer's ranking and count in no statistic.
    """
    tree_id = raw["message_tree_id"]
    if not isinstance(tree_id, str) or not tree_id.strip():
        raise _Invalid("message_tree_id", "must be a non-empty string")
    comparisons: list[ParsedConversation] = []
    _open_assistant_node(raw.get("prompt"), "prompt", [], [], tree_id, limits, metadata, notes, comparisons)
    if not comparisons:
        raise _Invalid("prompt", "has no prompter message with two or more assistant replies to rank")
    return comparisons


def _open_assistant_node(node, path, turns, ids, tree_id, limits, metadata, notes, comparisons) -> None:
    if not isinstance(node, dict):
        raise _Invalid(path, f"expected a message object, got {_kind(node)}")
    role = _OA_ROLES.get(node.get("role"))
    if role is None:
        shown = json.dumps(node.get("role"), ensure_ascii=False) if node.get("role") is not None else "missing"
        raise _Invalid(f"{path}.role", f"unknown role {shown} (use prompter or assistant)")
    if turns and turns[-1][0] == role:
        raise _Invalid(f"{path}.role", f"a {node['role']} message replies to a {node['role']} message")
    if not isinstance(node.get("message_id"), str):
        raise _Invalid(f"{path}.message_id", "must be a string")
    turns = [*turns, (role, _content(node.get("text"), f"{path}.text", limits, notes=notes))]
    ids = [*ids, node["message_id"]]
    replies = node.get("replies", [])
    if not isinstance(replies, list):
        raise _Invalid(f"{path}.replies", f"expected a list, got {_kind(replies)}")
    for index, reply in enumerate(replies):
        _open_assistant_node(
            reply, f"{path}.replies[{index}]", turns, ids, tree_id, limits, metadata, notes, comparisons
        )
    if role != "user" or len(replies) < 2:
        return
    if len(replies) > limits.k:
        raise _Invalid(f"{path}.replies", f"has {len(replies)} replies; this project takes 2 to {limits.k}")
    ranks = [reply.get("rank") for reply in replies]
    ranked = all(isinstance(rank, int) and not isinstance(rank, bool) for rank in ranks)
    shape = {
        "name": "open_assistant",
        "message_tree_id": tree_id,
        "path": ids,
        "replies": [reply["message_id"] for reply in replies],
        # Tiers of sample indexes, best first: the ranking the data set came with.
        "imported_ranking": (
            [[i for i, rank in enumerate(ranks) if rank == value] for value in sorted(set(ranks))] if ranked else None
        ),
    }
    comparisons.append(
        ParsedConversation(
            f"{tree_id}/{ids[-1]}"[:MAX_ID_CHARS],
            turns,
            {**metadata, "import_format": shape},
            [reply["text"] for reply in replies],
        )
    )


def _hh_conversation(
    raw: dict, limits: ImportLimits, options: ImportOptions, metadata: dict, notes: list
) -> ParsedConversation:
    """The turns before the last Assistant turn are the prompt; the final replies are the candidates.

    A transcript that ends with a Human turn has no reply: its turns are the prompt, kept (to
    sample candidates for) only when the lead asked for it.
    """
    if "chosen" not in raw:
        raise _Invalid("chosen", "is missing (an HH-RLHF record needs `chosen`, and may have `rejected`)")
    chosen = _hh_turns(raw["chosen"], "chosen", limits, notes)
    answered = chosen[-1][0] == "assistant"
    prompt = chosen[:-1] if answered else chosen
    if not prompt or prompt[-1][0] != "user":
        raise _Invalid("chosen", "has no Human turn before its last Assistant turn")
    if not answered and not options.keep_unanswered:
        raise _Invalid(
            "chosen",
            "ends with a Human turn, so there is no reply to rank (keep unanswered prompts to sample replies for them)",
        )
    candidates = []
    if "rejected" in raw:
        rejected = _hh_turns(raw["rejected"], "rejected", limits, notes)
        if (rejected[-1][0] == "assistant") != answered:
            ends = "an Assistant" if answered else "a Human"
            raise _Invalid("rejected", f"must end as `chosen` does, with {ends} turn")
        if (rejected[:-1] if answered else rejected) != prompt:
            raise _Invalid("rejected", "its turns before the last Assistant turn differ from those of `chosen`")
        if answered:
            candidates = [chosen[-1][1], rejected[-1][1]]
            metadata = {**metadata, "hh_rlhf": {"chosen_candidate": 0, "rejected_candidate": 1}}
    if "id" in raw:
        external_id = _external_id(raw)
    else:
        digest = hashlib.sha256(json.dumps([raw.get("chosen"), raw.get("rejected")]).encode()).hexdigest()
        external_id = f"hh-{digest[:24]}"
    return ParsedConversation(external_id, prompt, metadata, candidates)


def _hh_turns(value: Any, path: str, limits: ImportLimits, notes: list) -> list[tuple[str, str]]:
    """The turns of an HH transcript, each text exactly as written after its `Human: ` or `Assistant: `.

    Text before the first turn is the system prompt, which is where RankLab's HH export writes
    one. Turns must alternate; an empty turn is kept as an empty message.
    """
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a string, got {_kind(value)}")
    parts = _HH_TURN.split(value)
    preamble = parts[0]
    turns = [
        ("user" if speaker == "Human" else "assistant", text)
        for speaker, text in zip(parts[1::2], parts[2::2], strict=True)
    ]
    if not turns or preamble.lstrip().startswith(("Human:", "Assistant:")):
        raise _Invalid(path, 'must start with "\\n\\nHuman: "')
    for index, (role, text) in enumerate(turns):
        where = f"{path} turn {index + 1}"
        if index and turns[index - 1][0] == role:
            speaker = "Human" if role == "user" else "Assistant"
            raise _Invalid(where, f"a second {speaker} turn in a row; Human and Assistant turns must alternate")
        _content(text, where, limits, notes=notes)
    if preamble:
        if len(preamble) > limits.max_message_chars:
            raise _Invalid(f"{path} preamble", f"is longer than the limit of {limits.max_message_chars:,} characters")
        turns.insert(0, ("system", preamble))
    return turns


def _check_storable(value: Any, path: str) -> None:
    """PostgreSQL text and jsonb hold neither U+0000 nor a lone surrogate: refuse them wherever they are."""
    if isinstance(value, str):
        if found := _UNSTORABLE.search(value):
            raise _Invalid(path or "value", _unstorable(found.group()))
    elif isinstance(value, dict):
        for key, item in value.items():
            if found := _UNSTORABLE.search(key):
                raise _Invalid(path or "key", f"a key {_unstorable(found.group())}")
            _check_storable(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_storable(item, f"{path}[{index}]")


def _unstorable(character: str) -> str:
    if character == "\x00":
        return "contains a NUL character (U+0000), which cannot be stored"
    return f"contains a lone surrogate (U+{ord(character):04X}), which is not a character and cannot be stored"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
