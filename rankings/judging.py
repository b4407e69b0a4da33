"""The AI judge: each ready comparison of a project with a judge is ranked by it, twice.

A `JudgeRanking` row is made `pending` in the transaction that makes a comparison ready (on
`labeler.signals.comparison_sampled`), or by the sweep for comparisons that were ready before
the judge was named or whose message was lost. Judging claims the row first (its `next_try_at`
moves past the time the requests may take, under a row lock that others skip), so a task and
the sweep never judge the same comparison at once.

Each judgement is asked twice: candidates in id order, then reversed (in pairwise mode, per
pair). A reply that names no ranking, or a server that fails, counts as a failed attempt, its
raw text kept; after `RANKLAB_JUDGE_MAX_ATTEMPTS` the row stays `failed`. Nothing here raises
for a model's answer: the sweep goes on with the next comparison.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labeler.conversations import comparison_messages
from labeler.models import Candidate, Comparison, ModelEndpoint, Project
from labeler.sampling.client import SamplingError, chat_complete, endpoint_client, judge_endpoint
from rankings.judge_answers import (
    UnreadableReply,
    all_pairs,
    consensus_tiers,
    judge_prompt,
    reply_tiers,
    shown_tiers,
    swap_pairs,
)
from rankings.models import Judge, JudgeRanking
from ranklab.background import enqueue_after_commit
from ranklab.errors import RankLabError
from ranklab.outbound import OutboundRefused, outbound_url_check

logger = logging.getLogger(__name__)

# A claim outlasts the requests' own timeouts by this much before the sweep may take the row.
_CLAIM_MARGIN = timedelta(seconds=30)
_JUDGED_STATUSES = (Comparison.Status.READY, Comparison.Status.COMPLETE)


@transaction.atomic
def judge_save(*, project: Project, **values) -> Judge:
    """Name or change the project's judge; comparisons already judged keep their judgement."""
    if "{answers}" not in values.get("prompt", "{answers}"):
        raise RankLabError("The grading prompt must contain {answers}, where the candidates go.")
    if "base_url" in values:
        try:
            outbound_url_check(values["base_url"], what="The judge's base URL")
        except OutboundRefused as refused:
            raise RankLabError(str(refused)) from refused
    judge, _ = Judge.objects.update_or_create(project=project, defaults=values)
    if judge.is_active:
        # Comparisons ready before the judge was named, or while it was off, are the sweep's: start it now.
        enqueue_after_commit("rankings.tasks.judge_sweep")
    return judge


def judge_open_for_comparison(*, comparison_id: int, project_id: int) -> bool:
    """A pending judgement of a comparison whose candidates have just been sampled, judged after commit;
    False without a judge."""
    if not Judge.objects.filter(project_id=project_id, is_active=True).exists():
        return False
    # Sampled again (a lead's resample): the judgement of the old candidates is void.
    JudgeRanking.objects.filter(comparison_id=comparison_id).update(
        status=JudgeRanking.Status.PENDING, tiers=None, pairs=[], runs=[], swap_consistent=None, attempts=0,
        last_error="", next_try_at=timezone.now(), judged_at=None,
    )  # fmt: skip
    JudgeRanking.objects.bulk_create(
        [JudgeRanking(comparison_id=comparison_id, project_id=project_id, next_try_at=timezone.now())],
        ignore_conflicts=True,
    )
    enqueue_after_commit("rankings.tasks.judge_comparison", comparison_id)
    return True


def comparison_judge(*, comparison_id: int) -> JudgeRanking | None:
    """Judge the comparison if its judgement is due and not claimed by another worker; the row, or None."""
    row = _claim(comparison_id)
    if row is None:
        return None
    judge = Judge.objects.filter(project_id=row.project_id, is_active=True).first()
    if judge is None:
        # Switched off since the row was opened: it stays due, and the sweep hands it out once the judge is back.
        JudgeRanking.objects.filter(id=row.id).update(next_try_at=timezone.now())
        return row
    candidates = list(Candidate.objects.filter(comparison_id=comparison_id).order_by("id").values_list("id", "text"))
    conversation = [
        (message["role"], message["content"]) for message in comparison_messages(comparison_id=comparison_id)
    ]
    endpoint = judge_endpoint(
        base_url=judge.base_url,
        model=judge.model,
        api_key_env=judge.api_key_env,
        max_tokens=judge.max_tokens,
        timeout_seconds=judge.timeout_seconds,
    )
    try:
        client = endpoint_client(endpoint)
    except SamplingError as error:
        return _failed(row, judge=judge, runs=[], error=str(error))
    if len(candidates) < 2:
        return _failed(row, judge=judge, runs=[], error="The comparison has fewer than two candidates.")
    text_of = dict(candidates)
    ids = [candidate_id for candidate_id, _ in candidates]
    groups = [ids] if judge.mode == Judge.Mode.LIST else [list(pair) for pair in all_pairs(ids)]
    runs, pairs, failures = [], [], []
    # Every group is asked even after one fails, so that a failed judgement keeps all its replies.
    for group in groups:
        forward = _run(client, endpoint, judge, conversation, group, text_of)
        reverse = _run(client, endpoint, judge, conversation, group[::-1], text_of)
        runs += [forward, reverse]
        failures += [run["error"] for run in (forward, reverse) if run["error"]]
        if not failures:
            pairs += swap_pairs(forward["tiers"], reverse["tiers"])
    if failures:
        return _failed(row, judge=judge, runs=runs, error=failures[0])
    row.status, row.mode, row.model_name = JudgeRanking.Status.DONE, judge.mode, judge.model
    row.runs, row.pairs = runs, pairs
    row.tiers = consensus_tiers(ids, pairs)
    row.swap_consistent = all(pair["first"] == pair["second"] for pair in pairs)
    row.attempts += 1
    row.last_error, row.next_try_at, row.judged_at = "", None, timezone.now()
    row.save(update_fields=_JUDGED_FIELDS)
    return row


_JUDGED_FIELDS = [
    "status", "mode", "model_name", "runs", "pairs", "tiers", "swap_consistent", "attempts", "last_error",
    "next_try_at", "judged_at",
]  # fmt: skip


def _run(client, endpoint: ModelEndpoint, judge: Judge, conversation, order: list[int], text_of: dict) -> dict:
    """One request with the candidates in `order`: what was shown, the raw reply, the tiers read from it."""
    content = judge_prompt(judge.prompt, conversation=conversation, answers=[text_of[i] for i in order])
    run = {"order": order, "reply": "", "tiers": None, "error": ""}
    try:
        completion = chat_complete(client, endpoint=endpoint, messages=[{"role": "user", "content": content}])
    except SamplingError as error:
        run["error"] = str(error)
        return run
    run["reply"] = completion.choices[0].text
    try:
        run["tiers"] = shown_tiers(reply_tiers(run["reply"], count=len(order)), order)
    except UnreadableReply as error:
        run["error"] = str(error)
    return run


def _failed(row: JudgeRanking, *, judge: Judge, runs: list[dict], error: str) -> JudgeRanking:
    """Keep what was asked and answered; try again later unless attempts are spent or nothing was asked
    (the judge's settings or the comparison are at fault, and a retry would not help)."""
    row.attempts += 1
    row.runs, row.mode, row.model_name, row.last_error = runs, judge.mode, judge.model, error[:2000]
    if runs and row.attempts < settings.RANKLAB_JUDGE_MAX_ATTEMPTS:
        row.status = JudgeRanking.Status.PENDING
        row.next_try_at = timezone.now() + retry_after(attempts=row.attempts)
    else:
        row.status, row.next_try_at = JudgeRanking.Status.FAILED, None
    row.save(update_fields=["status", "runs", "mode", "model_name", "attempts", "last_error", "next_try_at"])
    logger.info("Judging comparison %s failed (attempt %s): %s", row.comparison_id, row.attempts, error)
    return row


def retry_after(*, attempts: int) -> timedelta:
    """How long a judgement waits after its `attempts`-th failure: doubling from the base."""
    return timedelta(seconds=settings.RANKLAB_JUDGE_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def judge_sweep_collect(*, limit: int | None = None) -> list[int]:
    """Open the judgements missing from ready comparisons of projects with an active judge, and
    return the comparisons whose judgement is due, oldest first."""
    limit = limit or settings.RANKLAB_JUDGE_SWEEP_BATCH
    now = timezone.now()
    missing = (
        Comparison.objects.filter(project__judge__is_active=True, status__in=_JUDGED_STATUSES)
        .filter(judge_ranking__isnull=True)
        .order_by("id")
        .values_list("id", "project_id")[:limit]
    )
    JudgeRanking.objects.bulk_create(
        [JudgeRanking(comparison_id=c, project_id=p, next_try_at=now) for c, p in missing], ignore_conflicts=True
    )
    due = (
        JudgeRanking.objects.filter(status=JudgeRanking.Status.PENDING, next_try_at__lte=now)
        .filter(project__judge__is_active=True)
        .order_by("comparison_id")
        .values_list("comparison_id", flat=True)
    )
    return list(due[:limit])


def _claim(comparison_id: int) -> JudgeRanking | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            JudgeRanking.objects.filter(comparison_id=comparison_id, status=JudgeRanking.Status.PENDING)
            .filter(Q(next_try_at__lte=now))
            .select_for_update(skip_locked=True)
            .first()
        )
        if row is None:
            return None
        judge = Judge.objects.filter(project_id=row.project_id).first()
        calls = 2 * _groups_count(row.comparison_id, judge)
        row.next_try_at = now + timedelta(seconds=(judge.timeout_seconds if judge else 60.0) * calls) + _CLAIM_MARGIN
        row.save(update_fields=["next_try_at"])
    return row


def _groups_count(comparison_id: int, judge: Judge | None) -> int:
    if judge is None or judge.mode == Judge.Mode.LIST:
        return 1
    k = Candidate.objects.filter(comparison_id=comparison_id).count()
    return k * (k - 1) // 2
