"""Sampling a comparison's K candidates from its project's model endpoints.

The database is the source of truth, so any number of runs of `comparison_sample` for one
comparison (a duplicated message, a retry, a run restarted after its worker was killed)
end with exactly K candidates:

- a run starts only by claiming the comparison (`pending` → `sampling`, a conditional
  update); a second run finds nothing to claim and returns;
- each candidate goes into its own slot, `sample_index` 0..K-1, unique per comparison, and
  is committed as soon as its answer arrives; a later run fills only the empty slots;
- slot i belongs to one endpoint, by the endpoints' shares in id order, so a project
  that mixes two models always gets the same split.

`sampling_started_at` is when the current attempt was handed to the queue (status
`pending`), or the last sign of life of the run that claimed it (status `sampling`: a run
renews it every RANKLAB_SAMPLING_HEARTBEAT_SECONDS while its requests are in flight);
`labeler.sampling.queueing` sweeps the ones that are too old, so a run whose worker died is
handed out again a minute later instead of after the longest a request could take.
"""

import hashlib
import logging
import random
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from statistics import median

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from labeler.conversations import comparison_messages
from labeler.models import Candidate, Comparison, Message, ModelEndpoint, Project, candidate_style
from labeler.queue import leases_order_fill
from labeler.sampling.client import (
    Completion,
    SamplingError,
    TransientSamplingError,
    chat_complete,
    endpoint_client,
)
from labeler.sampling.length import capped_max_tokens, length_control, length_outlier, with_length_instruction
from labeler.sampling.limits import endpoint_cache_key, endpoint_slot
from labeler.signals import comparison_sampled

logger = logging.getLogger(__name__)

_SEED_RANGE = 2**31 - 1
_DUPLICATE_SEED_STRIDE = 1000
# A length resample's seed lies beyond those of any duplicate retry.
_LENGTH_RESAMPLE_ATTEMPT = 100
# How long to remember that an endpoint answers `n` with fewer choices.
_IGNORES_N_SECONDS = 3600


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def endpoint_plan(*, project: Project, endpoints: list[ModelEndpoint]) -> dict[int, ModelEndpoint]:
    """Which endpoint supplies each sample index: by share, in the order given."""
    if not endpoints:
        raise SamplingError("This project has no active model endpoint: add one on the Endpoints page.")
    total = sum(endpoint.share for endpoint in endpoints)
    if total != project.k:
        raise SamplingError(
            f"The active endpoints' shares add up to {total}, but the project asks for {project.k} "
            "candidates per comparison: adjust the shares on the Endpoints page."
        )
    indexes = iter(range(project.k))
    return {next(indexes): endpoint for endpoint in endpoints for _ in range(endpoint.share)}


def comparison_claim(*, comparison_id: int, take_over: bool = False) -> bool:
    """Move a pending comparison to `sampling`; with `take_over`, also one already sampling.

    `take_over` is for a message the broker handed out again because the worker running it
    died: that worker can no longer finish it.
    """
    statuses = [Comparison.Status.PENDING, Comparison.Status.SAMPLING] if take_over else [Comparison.Status.PENDING]
    now = timezone.now()
    claimed = Comparison.objects.filter(id=comparison_id, status__in=statuses).update(
        status=Comparison.Status.SAMPLING, sampling_started_at=now, updated_at=now
    )
    return claimed == 1


def comparison_sample(*, comparison_id: int, take_over: bool = False) -> str | None:
    """Fill the comparison's empty candidate slots; return its new status, or None if another run has it.

    A transient failure puts the comparison back to `pending` (with the reason) and raises
    `TransientSamplingError` for the caller to retry; any other failure marks it `failed`.
    """
    if not comparison_claim(comparison_id=comparison_id, take_over=take_over):
        return None
    comparison = Comparison.objects.select_related("project").get(id=comparison_id)
    try:
        run = _Run(comparison)
        run.fill()
        run.resample_length_outlier()
    except TransientSamplingError as error:
        _leave(comparison_id, status=Comparison.Status.PENDING, reason=f"Retrying: {error}")
        raise
    except SamplingError as error:
        _leave(comparison_id, status=Comparison.Status.FAILED, reason=str(error))
        return Comparison.Status.FAILED
    except Exception as error:
        logger.exception("Sampling comparison %s failed unexpectedly", comparison_id)
        _leave(comparison_id, status=Comparison.Status.FAILED, reason=f"Internal error: {type(error).__name__}")
        raise
    return _finish(comparison)


def comparison_sample_with_retries(*, comparison_id: int) -> str | None:
    """`comparison_sample` in this process, waiting and retrying transient failures (for the shell)."""
    for attempt in range(settings.RANKLAB_SAMPLING_MAX_RETRIES + 1):
        try:
            return comparison_sample(comparison_id=comparison_id)
        except TransientSamplingError as error:
            if attempt == settings.RANKLAB_SAMPLING_MAX_RETRIES:
                comparison_give_up(comparison_id=comparison_id, attempts=attempt + 1, error=error)
                return Comparison.Status.FAILED
            time.sleep(retry_delay(retries=attempt, retry_after=error.retry_after))


def comparison_give_up(*, comparison_id: int, attempts: int, error: Exception) -> None:
    """Mark a comparison failed after its last transient failure."""
    now = timezone.now()
    Comparison.objects.filter(id=comparison_id, status=Comparison.Status.PENDING).update(
        status=Comparison.Status.FAILED,
        failure_reason=f"Gave up after {attempts} attempts: {error}"[:2000],
        updated_at=now,
    )


def retry_delay(*, retries: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: exponential backoff with full jitter, never before `Retry-After`."""
    ceiling = settings.RANKLAB_SAMPLING_RETRY_BACKOFF_MAX_SECONDS
    backoff = random.uniform(0, min(ceiling, settings.RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS * 2**retries))
    return max(backoff, min(retry_after or 0.0, ceiling))


def _leave(comparison_id: int, *, status: str, reason: str) -> None:
    now = timezone.now()
    Comparison.objects.filter(id=comparison_id, status=Comparison.Status.SAMPLING).update(
        status=status, failure_reason=reason[:2000], sampling_started_at=now, updated_at=now
    )


def _finish(comparison: Comparison) -> str:
    now = timezone.now()
    if comparison.candidates.count() >= comparison.project.k:
        with transaction.atomic():
            ready = Comparison.objects.filter(id=comparison.id, status=Comparison.Status.SAMPLING).update(
                status=Comparison.Status.READY, failure_reason="", updated_at=now
            )
            if ready:
                leases_order_fill(comparison_id=comparison.id)
                comparison_sampled.send(
                    sender=Comparison, comparison_id=comparison.id, project_id=comparison.project_id
                )
    else:
        # The project's K grew while this run worked: leave the rest to the sweep.
        Comparison.objects.filter(id=comparison.id, status=Comparison.Status.SAMPLING).update(
            status=Comparison.Status.PENDING, sampling_started_at=None, updated_at=now
        )
    return Comparison.objects.values_list("status", flat=True).get(id=comparison.id)


@dataclass
class _Request:
    endpoint: ModelEndpoint
    slots: list[int]
    attempt: int = 0
    seed: int | None = None


class _Run:
    """One pass over a comparison's empty slots: requests in threads, writes in this thread."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.project = comparison.project
        self.stored: dict[int, str] = dict(comparison.candidates.values_list("sample_index", "content_hash"))
        self.error: SamplingError | None = None
        self.last_beat = time.monotonic()

    def fill(self) -> None:
        missing = [index for index in range(self.project.k) if index not in self.stored]
        if not missing:
            return
        endpoints = list(self.project.endpoints.filter(is_active=True).order_by("id"))
        plan = endpoint_plan(project=self.project, endpoints=endpoints)
        prompt = comparison_messages(comparison_id=self.comparison.id)
        queues: dict[int, deque[_Request]] = {}
        for endpoint in endpoints:
            slots = [index for index in missing if plan[index].id == endpoint.id]
            if len(slots) > 1 and cache.get(endpoint_cache_key(endpoint, "ignores-n")):
                queues[endpoint.id] = deque(self._request(endpoint, [slot]) for slot in slots)
            elif slots:
                queues[endpoint.id] = deque([self._request(endpoint, slots)])
        by_id = {endpoint.id: endpoint for endpoint in endpoints}
        messages = {endpoint_id: self._messages(prompt, by_id[endpoint_id]) for endpoint_id in queues}
        in_flight: dict[Future, _Request] = {}
        busy = dict.fromkeys(queues, 0)
        workers = sum(min(by_id[endpoint_id].max_concurrency, self.project.k) for endpoint_id in queues)
        clients = {endpoint_id: endpoint_client(by_id[endpoint_id]) for endpoint_id in queues}
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sample") as pool:
            while True:
                for endpoint_id, queue in queues.items():
                    while queue and self.error is None and busy[endpoint_id] < by_id[endpoint_id].max_concurrency:
                        request = queue.popleft()
                        future = pool.submit(self._call, clients[endpoint_id], request, messages[endpoint_id])
                        in_flight[future] = request
                        busy[endpoint_id] += 1
                if not in_flight:
                    break
                beat = settings.RANKLAB_SAMPLING_HEARTBEAT_SECONDS
                done, _ = wait(in_flight, timeout=beat, return_when=FIRST_COMPLETED)
                self._heartbeat()
                for future in done:
                    request = in_flight.pop(future)
                    busy[request.endpoint.id] -= 1
                    self._collect(future, request, queues[request.endpoint.id])
        if self.error is not None:
            raise self.error

    def _heartbeat(self) -> None:
        """Renew the claim's time, at most once per heartbeat interval, so the sweep sees this run alive."""
        now = time.monotonic()
        if now - self.last_beat < settings.RANKLAB_SAMPLING_HEARTBEAT_SECONDS:
            return
        self.last_beat = now
        stamp = timezone.now()
        Comparison.objects.filter(id=self.comparison.id, status=Comparison.Status.SAMPLING).update(
            sampling_started_at=stamp, updated_at=stamp
        )

    def _request(self, endpoint: ModelEndpoint, slots: list[int], attempt: int = 0) -> _Request:
        policy = endpoint.seed_policy
        if policy == ModelEndpoint.SeedPolicy.FIXED:
            seed = endpoint.base_seed + slots[0] + attempt * _DUPLICATE_SEED_STRIDE
        elif policy == ModelEndpoint.SeedPolicy.RANDOM:
            seed = random.randrange(1, _SEED_RANGE)
        else:
            seed = None
        return _Request(endpoint=endpoint, slots=slots, attempt=attempt, seed=seed)

    def _messages(self, prompt: list[dict], endpoint: ModelEndpoint) -> list[dict]:
        return with_length_instruction(with_system_prompt(prompt, endpoint), self.project.length_words)

    def _max_tokens(self, endpoint: ModelEndpoint) -> int:
        return capped_max_tokens(endpoint.max_tokens, self.project.length_max_tokens)

    def _call(self, client, request: _Request, messages: list[dict]) -> Completion:
        with endpoint_slot(request.endpoint, wait_seconds=settings.RANKLAB_SAMPLING_SLOT_WAIT_SECONDS):
            return chat_complete(
                client,
                endpoint=request.endpoint,
                messages=messages,
                n=len(request.slots),
                seed=request.seed,
                max_tokens=self._max_tokens(request.endpoint),
            )

    def resample_length_outlier(self) -> None:
        """Once per comparison: resample the longest candidate when the project's bound calls it an outlier.

        The shorter of its two answers stays in its slot; the candidate records both lengths
        (`params["length_resample"]`). The update is conditional, so a run that is repeated
        after a crash neither resamples twice nor undoes the first.
        """
        ratio = self.project.length_resample_ratio
        if not ratio:
            return
        candidates = {
            candidate.sample_index: candidate
            for candidate in self.comparison.candidates.filter(
                source=Candidate.Source.MODEL, endpoint__isnull=False
            ).select_related("endpoint")
        }
        if len(candidates) < self.project.k or any("length_resample" in c.params for c in candidates.values()):
            return
        slot = length_outlier({index: len(c.text) for index, c in candidates.items()}, ratio=ratio)
        if slot is None:
            return
        first, endpoint = candidates[slot], candidates[slot].endpoint
        request = self._request(endpoint, [slot], attempt=_LENGTH_RESAMPLE_ATTEMPT)
        messages = self._messages(comparison_messages(comparison_id=self.comparison.id), endpoint)
        completion = self._call(endpoint_client(endpoint), request, messages)
        text = completion.choices[0].text
        resampled = len(text) < len(first.text)
        record = {
            "bound": ratio,
            "median_chars_of_others": median(len(c.text) for index, c in candidates.items() if index != slot),
            "first_chars": len(first.text),
            "first_seed": first.seed,
            "resampled_chars": len(text),
            "resampled_seed": request.seed,
            "kept": "resample" if resampled else "first",
        }
        update = {"params": {**first.params, "length_resample": record}}
        if resampled:
            digest = content_hash(text)
            update.update(
                text=text,
                content_hash=digest,
                is_duplicate=digest in {c.content_hash for index, c in candidates.items() if index != slot},
                seed=request.seed,
                finish_reason=completion.choices[0].finish_reason,
                model_name=completion.model,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                latency_ms=completion.latency_ms,
                **candidate_style(text),
            )
        Candidate.objects.filter(id=first.id).exclude(params__has_key="length_resample").update(**update)

    def _collect(self, future: Future, request: _Request, queue: deque[_Request]) -> None:
        try:
            completion = future.result()
        except SamplingError as error:
            # Keep the first failure; the requests still running are collected and stored.
            self.error = self.error or error
            return
        tokens = _split_tokens(completion)
        for slot, choice, completion_tokens in zip(request.slots, completion.choices, tokens, strict=False):
            digest = content_hash(choice.text)
            duplicate = digest in {value for index, value in self.stored.items() if index != slot}
            if duplicate and request.attempt < settings.RANKLAB_SAMPLING_DUPLICATE_RETRIES:
                queue.append(self._request(request.endpoint, [slot], attempt=request.attempt + 1))
                continue
            self._store(slot, request, completion, choice.text, choice.finish_reason, completion_tokens, duplicate)
        # Servers that ignore `n` (llama.cpp, Ollama) answer with fewer choices: top up with
        # one request per missing slot, each with its own seed, run concurrently; and for a
        # while send such an endpoint single requests from the start, which saves a round trip.
        missing = request.slots[len(completion.choices) :]
        if missing:
            cache.set(endpoint_cache_key(request.endpoint, "ignores-n"), True, timeout=_IGNORES_N_SECONDS)
        for slot in missing:
            queue.append(self._request(request.endpoint, [slot], attempt=request.attempt))

    def _store(self, slot, request, completion, text, finish_reason, completion_tokens, duplicate) -> None:
        endpoint = request.endpoint
        params = {
            "temperature": endpoint.temperature,
            "top_p": endpoint.top_p,
            "max_tokens": self._max_tokens(endpoint),
            "stop": endpoint.stop,
            "n": len(request.slots),
            "seed_policy": endpoint.seed_policy,
            "system_prompt": endpoint.system_prompt,
        }
        if request.attempt:
            params["duplicate_resamples"] = request.attempt
        if control := length_control(words=self.project.length_words, max_tokens=self.project.length_max_tokens):
            params["length_control"] = control
        try:
            with transaction.atomic():
                Candidate.objects.create(
                    comparison_id=self.comparison.id,
                    sample_index=slot,
                    source=Candidate.Source.MODEL,
                    text=text,
                    endpoint=endpoint,
                    model_name=completion.model,
                    params=params,
                    seed=request.seed,
                    finish_reason=finish_reason,
                    prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion_tokens,
                    latency_ms=completion.latency_ms,
                    content_hash=content_hash(text),
                    is_duplicate=duplicate,
                )
        except IntegrityError:
            # Another run of this comparison filled the slot first; its candidate stands.
            return
        self.stored[slot] = content_hash(text)


def with_system_prompt(messages: list[dict], endpoint: ModelEndpoint) -> list[dict]:
    """The endpoint's system prompt goes first, unless the conversation brings its own."""
    if endpoint.system_prompt and not (messages and messages[0]["role"] == Message.Role.SYSTEM):
        return [{"role": "system", "content": endpoint.system_prompt}, *messages]
    return messages


def _split_tokens(completion: Completion) -> list[int | None]:
    """Per-choice completion tokens: exact for one choice, split by length when a request had several."""
    total, choices = completion.completion_tokens, completion.choices
    if total is None or len(choices) == 1:
        return [total] * len(choices)
    lengths = [max(1, len(choice.text)) for choice in choices]
    shares = [total * length // sum(lengths) for length in lengths]
    shares[-1] += total - sum(shares)
    return shares
