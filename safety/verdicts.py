"""The filter's verdicts: opened with the texts they judge, checked in the background, retried.

A verdict row is made `pending` in the transaction that stores its text (the candidates of a
comparison that has just become ready, or a user turn a trainer wrote in chat), and only in
projects with an active moderation endpoint: a project without one pays one indexed query per
sampled comparison and nothing else.

Checking claims the verdicts first (their `next_try_at` moves past the request's timeout
under a row lock that others skip), so a task and the sweep never ask the filter about the
same text at once, and a worker that dies mid-request leaves its verdicts due again shortly.
A filter that is down marks them `unavailable` with the next try backed off; sampling never
waits for any of this.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from labeler.models import Candidate, Comparison, Message
from ranklab.background import enqueue_after_commit
from safety.models import ModerationEndpoint, ModerationVerdict
from safety.moderation import ModerationUnavailable, moderate

logger = logging.getLogger(__name__)

_OPEN = (ModerationVerdict.Status.PENDING, ModerationVerdict.Status.UNAVAILABLE)
# A claim outlasts the request's own timeout by this much before the sweep may take the verdicts.
_CLAIM_MARGIN = timedelta(seconds=30)


def moderation_endpoint_of(*, project_id: int) -> ModerationEndpoint | None:
    return ModerationEndpoint.objects.filter(project_id=project_id, is_active=True).first()


def verdicts_open_for_comparison(*, comparison_id: int, project_id: int) -> int:
    """Pending verdicts for a comparison's candidates, checked after commit; 0 without an active endpoint."""
    if not ModerationEndpoint.objects.filter(project_id=project_id, is_active=True).exists():
        return 0
    candidate_ids = Candidate.objects.filter(comparison_id=comparison_id).values_list("id", flat=True)
    now = timezone.now()
    ModerationVerdict.objects.bulk_create(
        [
            ModerationVerdict(
                project_id=project_id, comparison_id=comparison_id, candidate_id=candidate_id, next_try_at=now
            )
            for candidate_id in candidate_ids
        ],
        ignore_conflicts=True,
    )
    enqueue_after_commit("safety.tasks.moderate_comparison", comparison_id)
    return len(candidate_ids)


def verdict_open_for_message(*, message: Message, comparison: Comparison) -> ModerationVerdict | None:
    """A pending verdict for a user turn a trainer wrote, checked after commit; None without an active endpoint."""
    if not ModerationEndpoint.objects.filter(project_id=comparison.project_id, is_active=True).exists():
        return None
    verdict = ModerationVerdict.objects.create(
        project_id=comparison.project_id, comparison=comparison, message=message, next_try_at=timezone.now()
    )
    enqueue_after_commit("safety.tasks.moderate_message", message.id)
    return verdict


def comparison_moderate(*, comparison_id: int) -> int:
    """Ask the filter about the comparison's verdicts that are due, in one request; how many it judged."""
    return verdicts_check(verdicts=ModerationVerdict.objects.filter(comparison_id=comparison_id))


def message_moderate(*, message_id: int) -> int:
    """Ask the filter about a user turn's verdict, if it is due."""
    return verdicts_check(verdicts=ModerationVerdict.objects.filter(message_id=message_id))


def verdicts_check(*, verdicts: QuerySet[ModerationVerdict]) -> int:
    """Claim the due verdicts of the queryset (one project's), ask the filter once, store what it says."""
    project_id = verdicts.values_list("project_id", flat=True).first()
    endpoint = moderation_endpoint_of(project_id=project_id) if project_id is not None else None
    if endpoint is None:
        # None, or switched off since they were opened: they stay due for when it is back.
        return 0
    claimed = _claim(verdicts, lease=timedelta(seconds=endpoint.timeout_seconds) + _CLAIM_MARGIN)
    if not claimed:
        return 0
    texts = [verdict.candidate.text if verdict.candidate_id else verdict.message.content for verdict in claimed]
    try:
        results = moderate(endpoint=endpoint, texts=texts)
    except ModerationUnavailable as error:
        _unavailable(claimed, reason=str(error))
        return 0
    now = timezone.now()
    for verdict, result in zip(claimed, results, strict=True):
        verdict.status = ModerationVerdict.Status.CHECKED
        verdict.flagged, verdict.categories, verdict.scores = result.flagged, result.categories, result.scores
        verdict.model_name = endpoint.model
        verdict.checked_at, verdict.next_try_at, verdict.last_error = now, None, ""
        verdict.attempts += 1
    ModerationVerdict.objects.bulk_update(claimed, _CHECKED_FIELDS)
    return len(claimed)


_CHECKED_FIELDS = [
    "status", "flagged", "categories", "scores", "model_name", "checked_at", "next_try_at", "last_error", "attempts",
]  # fmt: skip


def retry_after(*, attempts: int) -> timedelta:
    """How long a verdict waits after its `attempts`-th failed check: doubling, up to the ceiling."""
    base = settings.RANKLAB_MODERATION_RETRY_SECONDS
    return timedelta(seconds=min(settings.RANKLAB_MODERATION_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1)))


def moderation_sweep_collect(*, limit: int | None = None) -> list[int]:
    """The comparisons with verdicts due (never checked, or unavailable and past their wait), oldest first."""
    due = (
        ModerationVerdict.objects.filter(status__in=_OPEN)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=timezone.now()))
        .order_by("comparison_id")
        .values_list("comparison_id", flat=True)
        .distinct()
    )
    return list(due[: limit or settings.RANKLAB_MODERATION_SWEEP_BATCH])


def _claim(verdicts: QuerySet[ModerationVerdict], *, lease: timedelta) -> list[ModerationVerdict]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            verdicts.filter(status__in=_OPEN)
            .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        ModerationVerdict.objects.filter(id__in=ids).update(next_try_at=now + lease)
    if not ids:
        return []
    return list(ModerationVerdict.objects.filter(id__in=ids).select_related("candidate", "message").order_by("id"))


def _unavailable(verdicts: list[ModerationVerdict], *, reason: str) -> None:
    now = timezone.now()
    for verdict in verdicts:
        verdict.attempts += 1
        verdict.status = ModerationVerdict.Status.UNAVAILABLE
        verdict.last_error = reason[:300]
        verdict.next_try_at = now + retry_after(attempts=verdict.attempts)
    ModerationVerdict.objects.bulk_update(verdicts, ["attempts", "status", "last_error", "next_try_at"])
    logger.info("Moderation of %d texts unavailable: %s", len(verdicts), reason)
