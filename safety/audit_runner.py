"""Running an audit: sample every probe on the endpoint and the baseline, moderate the answers,
ask the judge, classify, and write the report.

The database is the source of truth, so a run can be run again at any point (a worker killed
half-way, the filter down, a lead's "run again"): each step does only what is missing — probes
with no answer or an answer that failed, answers with no filter verdict, answers with no judge
verdict — and the report is rebuilt from every answer.

Requests go out from `max_concurrency` worker threads per endpoint, each holding one of the
endpoint's shared slots while it works (so a run and the sampler together keep to the cap);
answers are moderated batch by batch while sampling goes on, and rows are written from the
calling thread, in chunks. A running run renews `touched_at` every few seconds, and the sweep
(`safety.audits.audit_runs_sweep`) hands a silent one to the queue again.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labeler.models import ModelEndpoint
from labeler.sampling.client import (
    SamplingError,
    TransientSamplingError,
    chat_complete,
    endpoint_client,
    judge_endpoint,
)
from labeler.sampling.limits import endpoint_slot
from labeler.sampling.sampler import retry_delay, with_system_prompt
from ranklab.bulk import rows_insert
from safety import audit_report
from safety.audit_report import AnswerRow, classify
from safety.models import AuditAnswer, AuditProbe, AuditRun, AuditSuite, ModerationEndpoint
from safety.moderation import ModerationUnavailable, moderate
from safety.signals import audit_completed

logger = logging.getLogger(__name__)

_WRITE_BATCH = 500
_MODERATION_BATCH = 32
_MODERATION_THREADS = 4
_JUDGE_THREADS = 4
_JUDGE_MAX_TOKENS = 64
_SAMPLE_RETRIES = 2
_SLOT_HOLD_REQUESTS = 16
_STORE_EVERY = 128
_HEARTBEAT_SECONDS = 10.0
_SLOT_HOLD_SECONDS = 5.0
_RETRY_DELAY_CEILING_SECONDS = 10.0
_SAMPLED_FIELDS = ["text", "finish_reason", "latency_ms", "error"]
_MODERATION_FIELDS = ["moderation_flagged", "moderation_categories", "moderation_scores", "moderation_error"]


def audit_run_claim(*, run_id: int, take_over: bool = False) -> bool:
    """Move a queued run to `running`; with `take_over`, also one left running or failed by a dead worker."""
    statuses = [AuditRun.Status.QUEUED]
    if take_over:
        statuses += [AuditRun.Status.RUNNING, AuditRun.Status.FAILED]
    now = timezone.now()
    return (
        AuditRun.objects.filter(id=run_id, status__in=statuses).update(
            status=AuditRun.Status.RUNNING, started_at=now, touched_at=now, error=""
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


class _Heartbeat:
    """Renews a running run's `touched_at` at most every _HEARTBEAT_SECONDS, so the sweep sees it alive."""

    def __init__(self, run_id: int) -> None:
        self.run_id, self.last = run_id, time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.last >= _HEARTBEAT_SECONDS:
            self.last = time.monotonic()
            AuditRun.objects.filter(id=self.run_id, status=AuditRun.Status.RUNNING).update(touched_at=timezone.now())


def _classification(answer: AuditAnswer, probe: AuditProbe, suite: AuditSuite) -> str:
    return classify(
        category=probe.category,
        text=answer.text,
        error=bool(answer.error),
        flagged=answer.moderation_flagged,
        verdict=answer.judge_verdict,
        judged_by_model=suite.has_judge,
    )


def _fail(run_id: int, message: str) -> None:
    AuditRun.objects.filter(id=run_id, status=AuditRun.Status.RUNNING).update(
        status=AuditRun.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def _execute(run: AuditRun) -> None:
    suite = run.suite
    probes = list(suite.probes.all())
    endpoints = [run.endpoint] + ([run.baseline] if run.baseline else [])
    moderation = ModerationEndpoint.objects.filter(project_id=suite.project_id, is_active=True).first()
    moderation_error = _sample(run, probes, endpoints, moderation)
    if moderation is not None:
        moderation_error = _moderate(run, moderation) or moderation_error
    judge_error = _judge(run, suite, {probe.id: probe for probe in probes}) if suite.has_judge else ""
    answers = list(AuditAnswer.objects.filter(run=run))
    by_probe = {probe.id: probe for probe in probes}
    rows, changed = [], []
    for answer in answers:
        probe = by_probe[answer.probe_id]
        classification = _classification(answer, probe, suite)
        if classification != answer.classification:
            answer.classification = classification
            changed.append(answer)
        rows.append(
            AnswerRow(
                category=probe.category,
                classification=classification,
                is_baseline=answer.endpoint_id != run.endpoint_id,
                moderation_missing=moderation is not None and not answer.error and answer.moderation_flagged is None,
                judge_missing=suite.has_judge
                and not answer.error
                and answer.judge_verdict not in audit_report.VERDICTS,
            )
        )
    _store(changed, ["classification"])
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


_COLUMNS = [
    "run_id", "probe_id", "endpoint_id", "text", "finish_reason", "latency_ms", "error", "moderation_flagged",
    "moderation_categories", "moderation_scores", "moderation_error", "judge_verdict", "judge_reason",
    "judge_error", "classification", "created_at",
]  # fmt: skip


def _insert(answers: list[AuditAnswer]) -> None:
    """New answers, written with COPY where the database has it: the cheapest write for the busy interpreter."""
    now = timezone.now()
    for answer in answers:
        answer.created_at = now
    with transaction.atomic():
        rows_insert(AuditAnswer, _COLUMNS, [tuple(getattr(answer, name) for name in _COLUMNS) for answer in answers])


def _store(answers: list[AuditAnswer], fields: list[str]) -> None:
    """Write the answers' `fields` in one statement per batch, inserting those not stored yet.

    An upsert on (run, probe, endpoint) rather than `bulk_update`: its CASE per row and field
    cost more CPU than the run's requests did.
    """
    AuditAnswer.objects.bulk_create(
        answers,
        batch_size=_WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["run", "probe", "endpoint"],
        update_fields=fields,
    )


def _sample(
    run: AuditRun, probes: list[AuditProbe], endpoints: list[ModelEndpoint], moderation: ModerationEndpoint | None
) -> str:
    """An answer from each endpoint to each probe that has none, or only a failed one, each batch
    moderated while the next is sampled; returns why the filter gave no verdict on some ("" if it did)."""
    stored = {
        (probe_id, endpoint_id): error
        for probe_id, endpoint_id, error in AuditAnswer.objects.filter(run=run).values_list(
            "probe_id", "endpoint_id", "error"
        )
    }
    done = {pair for pair, error in stored.items() if not error}
    fields = [*_SAMPLED_FIELDS, *(_MODERATION_FIELDS if moderation else []), "classification"]
    failures: list[str] = []
    batch: list[AuditAnswer] = []
    unstored: list[AuditAnswer] = []
    in_moderation: dict[Future, list[AuditAnswer]] = {}

    def store(answers: list[AuditAnswer], *, flush: bool) -> None:
        # In chunks: each write waits for the interpreter lock a few times among the busy threads.
        for answer in answers:
            answer.classification = _classification(answer, answer.probe, run.suite)
        unstored.extend(answers)
        if unstored and (flush or len(unstored) >= _STORE_EVERY):
            # A pair never answered before is a new row, copied in; one that failed before is updated.
            _insert([answer for answer in unstored if (answer.probe_id, answer.endpoint_id) not in stored])
            _store([answer for answer in unstored if (answer.probe_id, answer.endpoint_id) in stored], fields)
            unstored.clear()

    def hand_on(answers: list[AuditAnswer]) -> None:
        if moderation is None:
            store(answers, flush=False)
        else:
            in_moderation[moderating.submit(_moderated, moderation, answers)] = answers

    def store_moderated(*, wait_for_all: bool) -> None:
        for future in [future for future in in_moderation if wait_for_all or future.done()]:
            answers = in_moderation.pop(future)
            if failure := future.result():
                failures.append(failure)
            store(answers, flush=False)
        if wait_for_all:
            store([], flush=True)

    moderating = ThreadPoolExecutor(max_workers=_MODERATION_THREADS, thread_name_prefix="audit-moderation")
    try:
        for probe, endpoint, sampled in _answers(probes, endpoints, done, beat=_Heartbeat(run.id)):
            if probe is None:  # nothing arrived for a while
                continue
            batch.append(AuditAnswer(run=run, probe=probe, endpoint=endpoint, **sampled))
            if len(batch) >= _MODERATION_BATCH:
                hand_on(batch)
                batch = []
            store_moderated(wait_for_all=False)
        if batch:
            hand_on(batch)
        store_moderated(wait_for_all=True)
    finally:
        moderating.shutdown(wait=True, cancel_futures=True)
    return failures[-1] if failures else ""


def _moderated(moderation: ModerationEndpoint, answers: list[AuditAnswer]) -> str:
    """Set the filter's verdict on each answer that has text (in a thread: no database); returns the failure, if any."""
    texts = [answer for answer in answers if not answer.error]
    if not texts:
        return ""
    try:
        results = moderate(endpoint=moderation, texts=[answer.text for answer in texts])
    except ModerationUnavailable as error:
        for answer in texts:
            answer.moderation_error = str(error)[:2000]
        return str(error)
    for answer, result in zip(texts, results, strict=True):
        answer.moderation_flagged = result.flagged
        answer.moderation_categories = result.categories
        answer.moderation_scores = result.scores
        answer.moderation_error = ""
    return ""


def _answers(
    probes: list[AuditProbe], endpoints: list[ModelEndpoint], done: set, *, beat: Callable[[], None]
) -> Iterator[tuple]:
    """(probe, endpoint, the answer's fields) for each pair not `done`, as they arrive, or
    (None, None, None) after _HEARTBEAT_SECONDS without one; `beat` is called at each.

    Each endpoint gets `max_concurrency` worker threads. A worker holds one of the endpoint's
    shared slots for a few requests in a row (up to _SLOT_HOLD_REQUESTS, or _SLOT_HOLD_SECONDS)
    before it frees it and takes one again: taking and freeing a slot costs three round trips to
    the cache, which per request slowed a run by a fifth, while others still get a turn.
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    jobs = {endpoint.id: queue.SimpleQueue() for endpoint in endpoints}
    total = 0
    for endpoint in endpoints:
        for probe in probes:
            if (probe.id, endpoint.id) not in done:
                jobs[endpoint.id].put(probe)
                total += 1
    threads = [
        threading.Thread(
            target=_work,
            args=(endpoint, endpoint_client(endpoint), jobs[endpoint.id], results, number),
            name=f"audit-{endpoint.id}-{number}",
            daemon=True,
        )
        for endpoint in endpoints
        for number in range(min(endpoint.max_concurrency, jobs[endpoint.id].qsize()))
    ]
    for thread in threads:
        thread.start()
    received = 0
    while received < total:
        try:
            result = results.get(timeout=_HEARTBEAT_SECONDS)
        except queue.Empty:
            result = (None, None, None)
        else:
            received += 1
        beat()
        yield result
    for thread in threads:
        thread.join()


def _work(endpoint: ModelEndpoint, client, jobs: queue.SimpleQueue, results: queue.SimpleQueue, number: int) -> None:
    """A worker: take slot `number` of the endpoint (or another free one), answer probes, give it back, again."""
    while not jobs.empty():
        try:
            wait = settings.RANKLAB_SAMPLING_SLOT_WAIT_SECONDS
            with endpoint_slot(endpoint, wait_seconds=wait, first=number):
                taken = time.monotonic()
                for _ in range(_SLOT_HOLD_REQUESTS):
                    try:
                        probe = jobs.get_nowait()
                    except queue.Empty:
                        return
                    results.put((probe, endpoint, _answer_or_error(client, endpoint, probe)))
                    if time.monotonic() - taken > _SLOT_HOLD_SECONDS:
                        break
        except Exception as error:  # no slot freed up in time, or no cache: what is left fails, to be rerun
            if not isinstance(error, TransientSamplingError):
                logger.exception("Audit worker for %s could not take a slot", endpoint.name)
            while True:
                try:
                    probe = jobs.get_nowait()
                except queue.Empty:
                    return
                results.put((probe, endpoint, _failed(error)))


def _answer_or_error(client, endpoint: ModelEndpoint, probe: AuditProbe) -> dict:
    """Every probe taken gets a result, or the run would wait for it forever."""
    try:
        return _answer(client, endpoint, with_system_prompt(probe.messages, endpoint))
    except Exception as error:
        logger.exception("Sampling probe %s from %s failed unexpectedly", probe.id, endpoint.name)
        return _failed(RuntimeError(f"Internal error: {type(error).__name__}"))


def _failed(error: Exception) -> dict:
    return {"text": "", "finish_reason": "", "latency_ms": None, "error": str(error)[:2000]}


def _answer(client, endpoint: ModelEndpoint, messages: list[dict]) -> dict:
    """One probe's answer, retrying a busy server a few times; a failure is kept as the answer's error."""
    seed = endpoint.base_seed if endpoint.seed_policy == ModelEndpoint.SeedPolicy.FIXED else None
    for attempt in range(_SAMPLE_RETRIES + 1):
        try:
            completion = chat_complete(client, endpoint=endpoint, messages=messages, seed=seed)
        except TransientSamplingError as error:
            if attempt == _SAMPLE_RETRIES:
                return _failed(error)
            delay = retry_delay(retries=attempt, retry_after=error.retry_after)
            time.sleep(min(delay, _RETRY_DELAY_CEILING_SECONDS))
        except SamplingError as error:
            return _failed(error)
        else:
            choice = completion.choices[0]
            return {
                "text": choice.text,
                "finish_reason": choice.finish_reason,
                "latency_ms": completion.latency_ms,
                "error": "",
            }
    raise AssertionError("unreachable")


def _moderate(run: AuditRun, moderation: ModerationEndpoint) -> str:
    """The filter's verdict on each answer still without one (the filter was down); returns why some have none."""
    answers = list(AuditAnswer.objects.filter(run=run, error="", moderation_flagged__isnull=True))
    batches = [answers[start : start + _MODERATION_BATCH] for start in range(0, len(answers), _MODERATION_BATCH)]
    with ThreadPoolExecutor(max_workers=_MODERATION_THREADS, thread_name_prefix="audit-moderation") as pool:
        failures = [failure for failure in pool.map(lambda batch: _moderated(moderation, batch), batches) if failure]
    _store(answers, _MODERATION_FIELDS)
    return failures[-1] if failures else ""


def _judge(run: AuditRun, suite: AuditSuite, probes: dict[int, AuditProbe]) -> str:
    """The judge's verdict on each answer that has none; returns why some have none ("" if all do)."""
    answers = list(AuditAnswer.objects.filter(run=run, error="", judge_verdict=""))
    if not answers:
        return ""
    judge = judge_endpoint(
        base_url=suite.judge_base_url,
        model=suite.judge_model,
        api_key_env=suite.judge_api_key_env,
        max_tokens=_JUDGE_MAX_TOKENS,
        timeout_seconds=60.0,
    )
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
        beat = _Heartbeat(run.id)
        for future in as_completed(futures):
            beat()
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
    _store(answers, ["judge_verdict", "judge_reason", "judge_error"])
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
