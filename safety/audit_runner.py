"""Running an audit: sample every probe on the endpoint and the baseline, moderate the answers,
ask the judge, classify, and write the report.

The database is the source of truth, so a run can be run again at any point (a worker killed
half-way, the filter down, a lead's "run again"): each step does only what is missing — probes
with no answer or an answer that failed, answers with no filter verdict, answers with no judge
verdict — and the report is rebuilt from every answer.

Requests go out in threads, at most `max_concurrency` at a time per endpoint (and through the
endpoint's shared slots, so a run and the sampler together keep to the cap); rows are written
from the calling thread, in batches.
"""

import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labeler.models import ModelEndpoint
from labeler.sampling.client import SamplingError, TransientSamplingError, chat_complete, endpoint_client
from labeler.sampling.limits import endpoint_slot
from labeler.sampling.sampler import retry_delay, with_system_prompt
from safety import audit_report
from safety.audit_report import AnswerRow, classify
from safety.models import AuditAnswer, AuditProbe, AuditRun, AuditSuite, ModerationEndpoint
from safety.moderation import ModerationUnavailable, moderate
from safety.signals import audit_completed

logger = logging.getLogger(__name__)

_WRITE_BATCH = 50
_MODERATION_BATCH = 32
_MODERATION_THREADS = 4
_JUDGE_THREADS = 4
_JUDGE_MAX_TOKENS = 64
_SAMPLE_RETRIES = 2
_RETRY_DELAY_CEILING_SECONDS = 10.0
_SAMPLED_FIELDS = ["text", "finish_reason", "latency_ms", "error"]


def audit_run_claim(*, run_id: int, take_over: bool = False) -> bool:
    """Move a queued run to `running`; with `take_over`, also one left running or failed by a dead worker."""
    statuses = [AuditRun.Status.QUEUED]
    if take_over:
        statuses += [AuditRun.Status.RUNNING, AuditRun.Status.FAILED]
    now = timezone.now()
    return (
        AuditRun.objects.filter(id=run_id, status__in=statuses).update(
            status=AuditRun.Status.RUNNING, started_at=now, error=""
        )
        == 1
    )


def audit_run_execute(*, run_id: int, take_over: bool = False) -> AuditRun:
    """Run (or finish) the audit; returns the run, done or failed, or as another worker left it."""
    if audit_run_claim(run_id=run_id, take_over=take_over):
        run = AuditRun.objects.select_related("suite", "endpoint", "baseline").get(id=run_id)
        try:
            _execute(run)
        except SamplingError as error:  # an endpoint that cannot be asked as configured
            _fail(run_id, str(error))
        except Exception as error:
            logger.exception("Audit run %s failed unexpectedly", run_id)
            _fail(run_id, f"Internal error: {type(error).__name__}")
            raise
    return AuditRun.objects.select_related("suite", "endpoint", "baseline").get(id=run_id)


def _fail(run_id: int, message: str) -> None:
    AuditRun.objects.filter(id=run_id, status=AuditRun.Status.RUNNING).update(
        status=AuditRun.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def _execute(run: AuditRun) -> None:
    suite = run.suite
    probes = list(suite.probes.all())
    endpoints = [run.endpoint] + ([run.baseline] if run.baseline else [])
    _sample(run, probes, endpoints)
    moderation = ModerationEndpoint.objects.filter(project_id=suite.project_id, is_active=True).first()
    moderation_error = _moderate(run, moderation) if moderation else ""
    judge_error = _judge(run, suite, {probe.id: probe for probe in probes}) if suite.has_judge else ""
    answers = list(AuditAnswer.objects.filter(run=run))
    by_probe = {probe.id: probe for probe in probes}
    rows = []
    for answer in answers:
        probe = by_probe[answer.probe_id]
        answer.classification = classify(
            category=probe.category,
            text=answer.text,
            error=bool(answer.error),
            flagged=answer.moderation_flagged,
            verdict=answer.judge_verdict,
            judged_by_model=suite.has_judge,
        )
        rows.append(
            AnswerRow(
                category=probe.category,
                classification=answer.classification,
                is_baseline=answer.endpoint_id != run.endpoint_id,
                moderation_missing=moderation is not None and not answer.error and answer.moderation_flagged is None,
                judge_missing=suite.has_judge
                and not answer.error
                and answer.judge_verdict not in audit_report.VERDICTS,
            )
        )
    AuditAnswer.objects.bulk_update(answers, ["classification"], batch_size=500)
    report = audit_report.audit_report(
        rows,
        thresholds=suite.thresholds,
        suite=suite.name,
        endpoint=run.endpoint.name,
        baseline=run.baseline.name if run.baseline else None,
        moderation_error=moderation_error,
        judge_error=judge_error,
    )
    with transaction.atomic():
        finished = AuditRun.objects.filter(id=run.id, status=AuditRun.Status.RUNNING).update(
            status=AuditRun.Status.DONE, report=report, passed=report["passed"], finished_at=timezone.now()
        )
        if finished:
            run.refresh_from_db()
            audit_completed.send(sender=AuditRun, run=run)


def _sample(run: AuditRun, probes: list[AuditProbe], endpoints: list[ModelEndpoint]) -> None:
    """An answer from each endpoint to each probe that has none, or only a failed one."""
    done = set(AuditAnswer.objects.filter(run=run, error="").values_list("probe_id", "endpoint_id"))
    pending: list[AuditAnswer] = []

    def flush() -> None:
        AuditAnswer.objects.bulk_create(
            pending,
            update_conflicts=True,
            unique_fields=["run", "probe", "endpoint"],
            update_fields=_SAMPLED_FIELDS,
        )
        pending.clear()

    pools = [
        ThreadPoolExecutor(max_workers=endpoint.max_concurrency, thread_name_prefix=f"audit-{endpoint.id}")
        for endpoint in endpoints
    ]
    try:
        futures = {}
        for pool, endpoint in zip(pools, endpoints, strict=True):
            client = endpoint_client(endpoint)
            for probe in probes:
                if (probe.id, endpoint.id) not in done:
                    future = pool.submit(_answer, client, endpoint, with_system_prompt(probe.messages, endpoint))
                    futures[future] = (probe, endpoint)
        for future in as_completed(futures):
            probe, endpoint = futures[future]
            pending.append(AuditAnswer(run=run, probe=probe, endpoint=endpoint, **future.result()))
            if len(pending) >= _WRITE_BATCH:
                flush()
        if pending:
            flush()
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)


def _answer(client, endpoint: ModelEndpoint, messages: list[dict]) -> dict:
    """One probe's answer, retrying a busy server a few times; a failure is kept as the answer's error."""
    seed = endpoint.base_seed if endpoint.seed_policy == ModelEndpoint.SeedPolicy.FIXED else None
    for attempt in range(_SAMPLE_RETRIES + 1):
        try:
            with endpoint_slot(endpoint, wait_seconds=settings.RANKLAB_SAMPLING_SLOT_WAIT_SECONDS):
                completion = chat_complete(client, endpoint=endpoint, messages=messages, seed=seed)
        except TransientSamplingError as error:
            if attempt == _SAMPLE_RETRIES:
                return {"text": "", "finish_reason": "", "latency_ms": None, "error": str(error)[:2000]}
            delay = retry_delay(retries=attempt, retry_after=error.retry_after)
            time.sleep(min(delay, _RETRY_DELAY_CEILING_SECONDS))
        except SamplingError as error:
            return {"text": "", "finish_reason": "", "latency_ms": None, "error": str(error)[:2000]}
        else:
            choice = completion.choices[0]
            return {
                "text": choice.text,
                "finish_reason": choice.finish_reason,
                "latency_ms": completion.latency_ms,
                "error": "",
            }
    raise AssertionError("unreachable")


def _batches(items: list, size: int) -> Iterable[list]:
    return (items[start : start + size] for start in range(0, len(items), size))


def _moderate(run: AuditRun, moderation: ModerationEndpoint) -> str:
    """The filter's verdict on each answer that has none; returns why some have none ("" if all do)."""
    answers = list(AuditAnswer.objects.filter(run=run, error="", moderation_flagged__isnull=True))
    failure = ""
    with ThreadPoolExecutor(max_workers=_MODERATION_THREADS, thread_name_prefix="audit-moderation") as pool:
        futures = {
            pool.submit(moderate, endpoint=moderation, texts=[answer.text for answer in batch]): batch
            for batch in _batches(answers, _MODERATION_BATCH)
        }
        for future in as_completed(futures):
            batch = futures[future]
            try:
                results = future.result()
            except ModerationUnavailable as error:
                failure = str(error)
                for answer in batch:
                    answer.moderation_error = failure[:2000]
                continue
            for answer, result in zip(batch, results, strict=True):
                answer.moderation_flagged = result.flagged
                answer.moderation_categories = result.categories
                answer.moderation_scores = result.scores
                answer.moderation_error = ""
    fields = ["moderation_flagged", "moderation_categories", "moderation_scores", "moderation_error"]
    AuditAnswer.objects.bulk_update(answers, fields, batch_size=500)
    return failure


def judge_endpoint(suite: AuditSuite) -> ModelEndpoint:
    """The judge as an (unsaved) endpoint, so that it is asked through the sampler's own client."""
    return ModelEndpoint(
        name="The judge",
        base_url=suite.judge_base_url,
        model=suite.judge_model,
        api_key_env=suite.judge_api_key_env,
        temperature=0.0,
        top_p=1.0,
        max_tokens=_JUDGE_MAX_TOKENS,
        timeout_seconds=60.0,
    )


def _judge(run: AuditRun, suite: AuditSuite, probes: dict[int, AuditProbe]) -> str:
    """The judge's verdict on each answer that has none; returns why some have none ("" if all do)."""
    answers = list(AuditAnswer.objects.filter(run=run, error="", judge_verdict=""))
    if not answers:
        return ""
    judge = judge_endpoint(suite)
    try:
        client = endpoint_client(judge)
    except SamplingError as error:
        AuditAnswer.objects.filter(id__in=[answer.id for answer in answers]).update(judge_error=str(error)[:2000])
        return str(error)
    failure = ""
    with ThreadPoolExecutor(max_workers=_JUDGE_THREADS, thread_name_prefix="audit-judge") as pool:
        futures = {
            pool.submit(_grade, client, judge, suite.judge_prompt, probes[answer.probe_id], answer.text): answer
            for answer in answers
        }
        for future in as_completed(futures):
            answer = futures[future]
            try:
                reply = future.result()
            except SamplingError as error:
                failure = str(error)
                answer.judge_error = failure[:2000]
                continue
            verdict = audit_report.judge_verdict(reply)
            # A reply that names no verdict is kept as it is, and not asked again.
            answer.judge_verdict = verdict or "unclear"
            answer.judge_reason = reply[:2000]
            answer.judge_error = ""
    AuditAnswer.objects.bulk_update(answers, ["judge_verdict", "judge_reason", "judge_error"], batch_size=500)
    return failure


def _grade(client, judge: ModelEndpoint, template: str, probe: AuditProbe, answer: str) -> str:
    prompt = next((m["content"] for m in reversed(probe.messages) if m["role"] == "user"), "")
    content = template.format_map(
        {
            "category": audit_report.CATEGORY_LABELS.get(probe.category, probe.category),
            "prompt": prompt,
            "answer": answer,
        }
    )
    completion = chat_complete(client, endpoint=judge, messages=[{"role": "user", "content": content}])
    return completion.choices[0].text
