"""The background scan: every message and candidate of a project is scanned once, in chunks.

A text is scanned when it has a `PiiScan` row. A chunk's scan rows and spans are written in one
transaction after the (slow) detection, so a chunk that two workers scanned at once is written by
the first only: the second's scan rows collide with the first's and its transaction rolls back.
Ranking never waits for a scan: spans appear on the screen once they are stored.
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q

from labeler.models import Candidate, Comparison, Message
from privacy.detection import DETECTOR, detect
from privacy.entities import normal_form
from privacy.models import PiiScan, PiiSpan
from ranklab.background import enqueue_after_commit

logger = logging.getLogger(__name__)

CHUNK = 64


def value_hash(entity_type: str, value: str) -> str:
    """A keyed hash of a value: equal for two spellings of one value, meaningless without the key."""
    key = f"pii:{entity_type}:{normal_form(entity_type, value)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), key, hashlib.sha256).hexdigest()[:16]


def unscanned_messages(*, project_id: int):
    return Message.objects.filter(conversation__project_id=project_id, pii_scan__isnull=True)


def unscanned_candidates(*, project_id: int):
    return Candidate.objects.filter(comparison__project_id=project_id, pii_scan__isnull=True)


def pii_scan_chunk(*, project_id: int, messages=None, candidates=None, size: int = CHUNK) -> int:
    """Scan up to `size` unscanned texts of the project (of `messages`/`candidates` when given); how many were."""
    messages = unscanned_messages(project_id=project_id) if messages is None else messages
    candidates = unscanned_candidates(project_id=project_id) if candidates is None else candidates
    taken = _taken(messages, candidates, size)
    if taken:
        _scanned(project_id, taken)
    return len(taken)


def _taken(messages, candidates, size: int) -> list[tuple[str, int, int, str]]:
    """Up to `size` texts, messages first, in the order of their ids: (kind, id, conversation id, text)."""
    rows = messages.order_by("id").values_list("id", "conversation_id", "content")[:size]
    taken = [("message", *row) for row in rows]
    if len(taken) < size:
        rows = candidates.order_by("id").values_list("id", "comparison__conversation_id", "text")
        taken += [("candidate", *row) for row in rows[: size - len(taken)]]
    return taken


def _scanned(project_id: int, taken: list[tuple[str, int, int, str]]) -> None:
    """Detect, then write the texts' scan rows and spans in one short transaction."""
    scans, spans = [], []
    for (kind, text_id, conversation_id, text), found in zip(taken, detect(row[3] for row in taken), strict=True):
        scans.append(
            PiiScan(project_id=project_id, detector=DETECTOR, spans_found=len(found), **{f"{kind}_id": text_id})
        )
        spans += [
            PiiSpan(
                project_id=project_id,
                conversation_id=conversation_id,
                entity_type=span.entity_type,
                start=span.start,
                end=span.end,
                score=span.score,
                detector=f"{DETECTOR}:{span.recognizer}",
                value_hash=value_hash(span.entity_type, text[span.start : span.end]),
                **{f"{kind}_id": text_id},
            )
            for span in found
        ]
    try:
        with transaction.atomic():
            PiiScan.objects.bulk_create(scans)
            # A trainer may have marked a span the detector finds as well: theirs stands.
            PiiSpan.objects.bulk_create(spans, ignore_conflicts=True)
    except IntegrityError:
        # Only another worker's scan rows may collide; anything else is a fault, not a race to ignore.
        scanned = PiiScan.objects.filter(
            Q(message_id__in=[row[1] for row in taken if row[0] == "message"])
            | Q(candidate_id__in=[row[1] for row in taken if row[0] == "candidate"])
        ).count()
        if scanned < len(taken):
            raise
        logger.info("Another worker scanned these %d texts of project %s first", len(taken), project_id)


def pii_scan_project(*, project_id: int, budget_seconds: float = 50.0) -> bool:
    """Scan the project's unscanned texts for up to `budget_seconds`; True when none is left.

    One worker at a time scans a project (a cache lock, advisory: two would only waste work).
    """
    lock = f"privacy:scan:{project_id}"
    try:
        if not cache.add(lock, 1, timeout=int(budget_seconds) + 60):
            return True
    except Exception:
        logger.warning("The cache is away: scanning project %s without its lock", project_id)
        lock = None
    try:
        deadline = time.monotonic() + budget_seconds
        # Each chunk starts past the last one's ids: from the start, every chunk would walk past all the
        # texts already scanned. A text committed late behind them is the sweep's to find.
        after = {"message": 0, "candidate": 0}
        while time.monotonic() < deadline:
            taken = _taken(
                unscanned_messages(project_id=project_id).filter(id__gt=after["message"]),
                unscanned_candidates(project_id=project_id).filter(id__gt=after["candidate"]),
                CHUNK,
            )
            if not taken:
                return True
            _scanned(project_id, taken)
            for kind, text_id, *_ in taken:
                after[kind] = max(after[kind], text_id)
        return False
    finally:
        if lock:
            try:
                cache.delete(lock)
            except Exception:
                logger.warning("The cache is away: project %s's scan lock expires by itself", project_id)


def pii_scan_comparison(*, comparison_id: int) -> None:
    """Scan a comparison's candidates and the unscanned messages of its conversation (a chat's new turns)."""
    comparison = Comparison.objects.only("project_id", "conversation_id").get(id=comparison_id)
    while pii_scan_chunk(
        project_id=comparison.project_id,
        messages=Message.objects.filter(conversation_id=comparison.conversation_id, pii_scan__isnull=True),
        candidates=Candidate.objects.filter(comparison_id=comparison_id, pii_scan__isnull=True),
    ):
        pass


def projects_with_unscanned_texts() -> list[int]:
    messages = Message.objects.filter(pii_scan__isnull=True).values_list("conversation__project_id", flat=True)
    candidates = Candidate.objects.filter(pii_scan__isnull=True).values_list("comparison__project_id", flat=True)
    return sorted(set(messages.distinct()) | set(candidates.distinct()))


def pii_scan_sweep() -> list[int]:
    """Hand every project with unscanned texts to the scan: imports whose message was lost, turns, leftovers."""
    project_ids = projects_with_unscanned_texts()
    for project_id in project_ids:
        enqueue_after_commit("privacy.tasks.pii_scan_project", project_id)
    return project_ids


def on_comparison_sampled(*, comparison_id: int, **_) -> None:
    enqueue_after_commit("privacy.tasks.pii_scan_comparison", comparison_id)


def on_conversations_imported(*, project_id: int, **_) -> None:
    enqueue_after_commit("privacy.tasks.pii_scan_project", project_id)
