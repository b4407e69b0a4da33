"""Applying a project's PII policy to native export rows. Pure: plain rows and spans in, rows out.

A row's texts are its prompt (aligned with `prompt_message_ids`), its candidates and its
continuations, and what trainers wrote with their rankings (rationales, safe answers: scanned as they
are exported). Under `redact` each span's text becomes a typed placeholder numbered within the
conversation (`<EMAIL_ADDRESS_1>`, the same for every occurrence of one value, in every row of the
conversation, in files and pulls alike: the numbers follow the spans' ids, not the export's order);
under `drop` a row with any span is left out; under `keep` rows pass as they are.
"""

from collections import Counter
from dataclasses import dataclass, field

from privacy.entities import placeholder


@dataclass(frozen=True)
class Span:
    entity_type: str
    start: int
    end: int
    value_key: str


@dataclass
class ConversationSpans:
    """The spans that act in one conversation, by message and by candidate, and each value's number."""

    by_message: dict[int, list[Span]] = field(default_factory=dict)
    by_candidate: dict[int, list[Span]] = field(default_factory=dict)
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, span: Span, *, message_id: int | None, candidate_id: int | None) -> None:
        """Add a span; spans must come in the order of their ids, which fixes the numbering."""
        self.number(span)
        target = self.by_message if message_id is not None else self.by_candidate
        target.setdefault(message_id if message_id is not None else candidate_id, []).append(span)

    def number(self, span: Span) -> int:
        """The span's value's number in the conversation: the next free one for a value not seen yet."""
        key = (span.entity_type, span.value_key)
        if key not in self.numbers:
            self.numbers[key] = 1 + sum(1 for entity_type, _ in self.numbers if entity_type == span.entity_type)
        return self.numbers[key]


def merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans as one (typed and numbered as the longest of them), in text order."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if result and span.start < result[-1].end:
            last = result[-1]
            longest = last if last.end - last.start >= span.end - span.start else span
            result[-1] = Span(longest.entity_type, last.start, max(last.end, span.end), longest.value_key)
        else:
            result.append(span)
    return result


def redact_text(text: str, spans: list[Span], numbers: dict[tuple[str, str], int], counts: Counter) -> str:
    """`text` with each span replaced by its placeholder; `counts` gains one per replaced span, by type."""
    pieces, position = [], 0
    for span in merged(spans):
        if span.start < position or span.end > len(text):
            continue  # offsets into another version of the text: never cut it at a wrong place
        pieces += [
            text[position : span.start],
            placeholder(span.entity_type, numbers[span.entity_type, span.value_key]),
        ]
        counts[span.entity_type] += 1
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def row_has_spans(row: dict, spans: ConversationSpans, written: dict[str, list[Span]] | None = None) -> bool:
    return (
        any(spans.by_message.get(message_id) for message_id in row["prompt_message_ids"])
        or any(spans.by_candidate.get(candidate["id"]) for candidate in row["candidates"])
        or any(spans.by_message.get(continuation["message_id"]) for continuation in row["continuations"])
        or any((written or {}).get(text) for text in written_texts(row))
    )


def written_texts(row: dict) -> list[str]:
    """What trainers wrote with their rankings: rationales, and safe answers not picked from a candidate."""
    rationales = [ranking.get("rationale") or "" for ranking in row.get("rankings") or ()]
    answers = [answer["text"] for answer in row.get("safe_answers") or () if answer.get("from_candidate_id") is None]
    return [text for text in (*rationales, *answers) if text]


def _written_redacted(text: str, spans: ConversationSpans, written, values, counts: Counter) -> str:
    """A text a trainer wrote, with its own spans and then every value of the conversation replaced."""
    found = written.get(text) or []
    for span in found:
        spans.number(span)
    return _values_replaced(redact_text(text, found, spans.numbers, counts), values, counts)


def _values_of(row: dict, spans: ConversationSpans) -> dict[str, tuple[str, str]]:
    """Each value found in the row's prompt and candidates: its type and its placeholder."""
    values: dict[str, tuple[str, str]] = {}
    texts = [
        (message["content"], spans.by_message.get(message_id))
        for message, message_id in zip(row["prompt"], row["prompt_message_ids"], strict=True)
    ] + [(candidate["text"], spans.by_candidate.get(candidate["id"])) for candidate in row["candidates"]]
    for text, found in texts:
        for span in found or ():
            if span.end <= len(text) and (value := text[span.start : span.end].strip()):
                number = spans.numbers[span.entity_type, span.value_key]
                values[value] = (span.entity_type, placeholder(span.entity_type, number))
    return values


def _values_replaced(text: str, values: dict[str, tuple[str, str]], counts: Counter) -> str:
    """`text` with every value of the conversation replaced wherever it repeats it (quoting is how one gets in)."""
    for value in sorted(values, key=len, reverse=True):
        if found := text.count(value):
            entity_type, stand_in = values[value]
            text = text.replace(value, stand_in)
            counts[entity_type] += found
    return text


def _safe_answers_redacted(row: dict, spans: ConversationSpans, candidates: list[dict], written, counts: Counter):
    """The row's safe answers (red team) with personal data replaced, or None if it has none.

    One picked from a candidate takes that candidate's redacted text; one a trainer wrote has its own
    spans replaced, and every value found in the row's texts wherever it repeats it (the usual way
    personal data gets into one: quoting the attack).
    """
    answers = row.get("safe_answers")
    if not answers:
        return None
    redacted_texts = {candidate["id"]: candidate["text"] for candidate in candidates}
    values = _values_of(row, spans)
    result = []
    for answer in answers:
        if answer.get("from_candidate_id") in redacted_texts:
            text = redacted_texts[answer["from_candidate_id"]]
        else:
            text = _written_redacted(answer["text"], spans, written, values, counts)
        result.append({**answer, "text": text})
    return result


def _rationales_redacted(row: dict, spans: ConversationSpans, written, counts: Counter) -> list[dict] | None:
    """The row's rankings with personal data replaced in their rationales; None if no rationale changes."""
    values = _values_of(row, spans)
    result, changed = [], False
    for ranking in row.get("rankings") or ():
        rationale = ranking.get("rationale") or ""
        if rationale and (text := _written_redacted(rationale, spans, written, values, counts)) != rationale:
            ranking, changed = {**ranking, "rationale": text}, True
        result.append(ranking)
    return result if changed else None


def redact_row(
    row: dict, spans: ConversationSpans, written: dict[str, list[Span]] | None = None
) -> tuple[dict, Counter]:
    """The row with its personal data replaced, and how many spans of each type were.

    `written` holds the spans found in what trainers wrote (`written_texts`), by text: those are
    scanned when exported, not stored (they belong to the app above this one)."""
    counts: Counter = Counter()
    numbers = spans.numbers

    def text_of(text: str, found: list[Span] | None) -> str:
        return redact_text(text, found, numbers, counts) if found else text

    prompt = [
        {**message, "content": text_of(message["content"], spans.by_message.get(message_id))}
        for message, message_id in zip(row["prompt"], row["prompt_message_ids"], strict=True)
    ]
    candidates = [
        {**candidate, "text": text_of(candidate["text"], spans.by_candidate.get(candidate["id"]))}
        for candidate in row["candidates"]
    ]
    continuations = [
        {**continuation, "text": text_of(continuation["text"], spans.by_message.get(continuation["message_id"]))}
        for continuation in row["continuations"]
    ]
    safe_answers = _safe_answers_redacted(row, spans, candidates, written or {}, counts)
    rankings = _rationales_redacted(row, spans, written or {}, counts)
    if not counts:
        return row, counts
    redacted = {**row, "prompt": prompt, "candidates": candidates, "continuations": continuations}
    if safe_answers is not None:
        redacted["safe_answers"] = safe_answers
    if rankings is not None:
        redacted["rankings"] = rankings
    redacted["pii"] = {"redacted": dict(sorted(counts.items()))}
    return redacted, counts
