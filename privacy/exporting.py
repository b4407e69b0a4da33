"""A project's PII policy in its exports: every export file, pipeline pull and webhook goes through here.

`export_redactor` is built once per export or pull; the native rows ask it for a chunk's spans in
one query (on the reader thread, beside the chunk's own queries) and hand it each row. A text that
the background scan has not reached yet is scanned there and then, so no export waits for the
scan to catch up and none lets an unscanned text through. What trainers wrote with their rankings
(rationales, safe answers) is scanned as it is exported: it is written after the scan, in rows of
the apps above this one.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from labeler.models import Candidate, Message, Project
from privacy.detection import detect
from privacy.entities import NER_ENTITIES
from privacy.models import PiiPolicy
from privacy.redaction import ConversationSpans, Span, redact_row, row_has_spans, written_texts
from privacy.scanning import pii_scan_chunk, value_hash
from ranklab.database import id_array

_IDS = {"postgresql": "= ANY(%s::bigint[])", "sqlite": "IN (SELECT value FROM json_each(%s))"}


def _queries(ids: str) -> tuple[str, str]:
    # A subquery per text, not NOT EXISTS: the planner turns that into an anti-join that reads every
    # scan row of the database for a chunk's few thousand texts; this probes the unique index instead.
    unscanned = f"""
    SELECT 'message', m.id FROM labeler_message m WHERE m.conversation_id {ids}
        AND (SELECT s.id FROM privacy_piiscan s WHERE s.message_id = m.id) IS NULL
    UNION ALL
    SELECT 'candidate', ca.id FROM labeler_candidate ca WHERE ca.comparison_id {ids}
        AND (SELECT s.id FROM privacy_piiscan s WHERE s.candidate_id = ca.id) IS NULL
    """  # noqa: S608 (built from this module's fragments only)
    # Dismissed spans never act; a trainer's always do; detected ones from their kind's threshold up.
    ner = ", ".join(f"'{entity_type}'" for entity_type in sorted(NER_ENTITIES))
    spans = f"""
    SELECT conversation_id, message_id, candidate_id, entity_type, start, "end", value_hash FROM privacy_piispan
    WHERE conversation_id {ids} AND status <> 'dismissed'
        AND (status <> 'detected' OR score >= CASE WHEN entity_type IN ({ner}) THEN %s ELSE %s END)
    ORDER BY id
    """  # noqa: S608
    return unscanned, spans


_QUERIES = {vendor: _queries(ids) for vendor, ids in _IDS.items()}


def pii_policy_of(*, project: Project) -> PiiPolicy:
    """The project's policy row; `redact`, unsaved, for a project that never chose one."""
    try:
        return project.pii_policy
    except PiiPolicy.DoesNotExist:
        return PiiPolicy(project=project)


@dataclass
class ExportRedactor:
    """The policy of one export or pull, and what it did: spans replaced by type, rows left out."""

    policy: PiiPolicy
    threshold: float
    ner_threshold: float
    redacted: Counter = field(default_factory=Counter)
    rows_dropped: int = 0
    _written: dict[str, list[Span]] = field(default_factory=dict, repr=False)

    @property
    def acts(self) -> bool:
        return self.policy.policy != PiiPolicy.Policy.KEEP

    def fetch(self, conversation_ids: list[int], comparison_ids: list[int]) -> dict[int, ConversationSpans] | None:
        """The acting spans of a chunk's conversations, after scanning any of its texts not scanned yet."""
        if not self.acts:
            return None
        unscanned_sql, spans_sql = _QUERIES[connection.vendor]
        conversations = id_array(conversation_ids)
        with connection.cursor() as cursor:
            cursor.execute(unscanned_sql, [conversations, id_array(comparison_ids)])
            unscanned = cursor.fetchall()
            if unscanned:
                self._scan(unscanned)
            cursor.execute(spans_sql, [conversations, self.ner_threshold, self.threshold])
            rows = cursor.fetchall()
        chunk: dict[int, ConversationSpans] = {}
        for conversation_id, message_id, candidate_id, entity_type, start, end, value_key in rows:
            spans = chunk.get(conversation_id) or chunk.setdefault(conversation_id, ConversationSpans())
            spans.add(Span(entity_type, start, end, value_key), message_id=message_id, candidate_id=candidate_id)
        return chunk

    def _scan(self, unscanned: list[tuple[str, int]]) -> None:
        messages = [text_id for kind, text_id in unscanned if kind == "message"]
        candidates = [text_id for kind, text_id in unscanned if kind == "candidate"]
        project_id = self.policy.project_id
        while pii_scan_chunk(
            project_id=project_id,
            messages=Message.objects.filter(id__in=messages, pii_scan__isnull=True),
            candidates=Candidate.objects.filter(id__in=candidates, pii_scan__isnull=True),
        ):
            pass

    def apply(self, row: dict, *, conversation_id: int, chunk: dict[int, ConversationSpans] | None) -> dict | None:
        """The row as the policy lets it out: redacted, as it is, or None (left out)."""
        if chunk is None:
            return row
        written = self._written_spans(written_texts(row))
        spans = chunk.get(conversation_id)
        if spans is None:
            if not any(written.values()):
                return row
            spans = chunk[conversation_id] = ConversationSpans()
        if self.policy.policy == PiiPolicy.Policy.DROP:
            if row_has_spans(row, spans, written):
                self.rows_dropped += 1
                return None
            return row
        row, counts = redact_row(row, spans, written)
        self.redacted.update(counts)
        return row

    def _written_spans(self, texts: list[str]) -> dict[str, list[Span]]:
        """The acting spans of texts trainers wrote, by text; each distinct text is scanned once per export."""
        new = [text for text in dict.fromkeys(texts) if text not in self._written]
        for text, found in zip(new, detect(new) if new else (), strict=True):
            self._written[text] = [
                Span(span.entity_type, span.start, span.end, value_hash(span.entity_type, text[span.start : span.end]))
                for span in found
                if span.score >= (self.ner_threshold if span.entity_type in NER_ENTITIES else self.threshold)
            ]
        return {text: self._written[text] for text in texts}

    def manifest(self) -> dict:
        """What an export's manifest says of personal data: the policy, who chose keep, what was done."""
        policy = self.policy
        return {
            "policy": policy.policy,
            "threshold": self.threshold,
            "ner_threshold": self.ner_threshold,
            "chosen_by": policy.chosen_by.username if policy.chosen_by_id else None,
            "chosen_at": policy.chosen_at.isoformat() if policy.chosen_at else None,
            "redacted": dict(sorted(self.redacted.items())),
            "rows_dropped": self.rows_dropped,
        }


def export_redactor(*, project: Project) -> ExportRedactor:
    return ExportRedactor(
        policy=pii_policy_of(project=project),
        threshold=settings.RANKLAB_PII_REDACT_THRESHOLD,
        ner_threshold=settings.RANKLAB_PII_NER_REDACT_THRESHOLD,
    )
