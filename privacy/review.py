"""Trainers review personal data on the ranking screen: confirm or dismiss a detected span, mark a missed one."""

from django.db import transaction
from django.utils import timezone

from labeler.models import Candidate, Message, Project
from privacy.entities import DETECTED_ENTITIES
from privacy.models import PiiSpan
from privacy.scanning import value_hash
from ranklab.errors import RankLabError

# A trainer may also mark what no recognizer knows (a postal address, a username).
MARKABLE_ENTITIES = sorted(DETECTED_ENTITIES | {"OTHER"})
MAX_MARKED = 500


def pii_span_decide(*, span: PiiSpan, user, decision: str) -> PiiSpan:
    """Confirm or dismiss a span; the last trainer's word stands."""
    statuses = {"confirm": PiiSpan.Status.CONFIRMED, "dismiss": PiiSpan.Status.DISMISSED}
    if decision not in statuses:
        raise RankLabError("decision: choose confirm or dismiss.")
    span.status, span.decided_by, span.decided_at = statuses[decision], user, timezone.now()
    span.save(update_fields=["status", "decided_by", "decided_at"])
    return span


def pii_span_mark(*, project: Project, user, target: str, value: str, entity_type: str) -> list[PiiSpan]:
    """Mark every occurrence of `value` in one message's or candidate's text as personal data."""
    if entity_type not in MARKABLE_ENTITIES:
        raise RankLabError(f"entity_type: choose one of {', '.join(MARKABLE_ENTITIES)}.")
    if not value.strip() or len(value) > MAX_MARKED:
        raise RankLabError(f"value: select between 1 and {MAX_MARKED} characters of the text.")
    kind, _, raw_id = target.partition(":")
    if kind == "message" and raw_id.isdigit():
        found = Message.objects.filter(id=int(raw_id), conversation__project=project).values_list(
            "content", "conversation_id"
        )
    elif kind == "candidate" and raw_id.isdigit():
        found = Candidate.objects.filter(id=int(raw_id), comparison__project=project).values_list(
            "text", "comparison__conversation_id"
        )
    else:
        raise RankLabError("target: name a message or a candidate of this project.")
    row = found.first()
    if row is None:
        raise RankLabError("target: name a message or a candidate of this project.")
    text, conversation_id = row
    starts, position = [], text.find(value)
    while position != -1:
        starts.append(position)
        position = text.find(value, position + len(value))
    if not starts:
        raise RankLabError("value: the selected text is not in this message as stored; select it again.")
    now, marked = timezone.now(), []
    with transaction.atomic():
        for start in starts:
            span, _ = PiiSpan.objects.update_or_create(
                **{f"{kind}_id": int(raw_id)},
                start=start,
                end=start + len(value),
                entity_type=entity_type,
                defaults={
                    "project": project,
                    "conversation_id": conversation_id,
                    "score": 1.0,
                    "detector": "trainer",
                    "value_hash": value_hash(entity_type, value),
                    "status": PiiSpan.Status.ADDED,
                    "decided_by": user,
                    "decided_at": now,
                },
            )
            marked.append(span)
    return marked
