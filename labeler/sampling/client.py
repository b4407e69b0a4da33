"""One chat-completions request to an OpenAI-compatible server, and what its failures mean.

Retries are not done here: the SDK is built with `max_retries=0` and every failure is
turned into a `SamplingError` (give up, with a reason a lead can read) or a
`TransientSamplingError` (try again later, after `retry_after` seconds if the server said).
"""

import functools
import logging
import os
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import openai

from labeler.models import ModelEndpoint
from ranklab.errors import RankLabError
from ranklab.outbound import OutboundRefused, outbound_url_check

logger = logging.getLogger(__name__)

# Only variables named like API keys may be read, so that a lead cannot point an endpoint
# at their own server with `api_key_env = SECRET_KEY` and receive the app's secrets.
API_KEY_ENV_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*_API_KEY$")
# Local servers want some bearer token; any will do.
_PLACEHOLDER_KEY = "no-key"
_TRANSIENT_STATUSES = {408, 409, 425, 429}


class SamplingError(RankLabError):
    """The request cannot succeed as configured; retrying will not help."""


class TransientSamplingError(SamplingError):
    """The server is busy, slow or down for now; try again after `retry_after` seconds if set."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: str


@dataclass(frozen=True)
class Completion:
    choices: list[Choice]
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: int


def endpoint_api_key(endpoint: ModelEndpoint) -> str:
    if not endpoint.api_key_env:
        return _PLACEHOLDER_KEY
    if not API_KEY_ENV_PATTERN.match(endpoint.api_key_env):
        raise SamplingError(f"The key variable {endpoint.api_key_env!r} must be named like OPENAI_API_KEY.")
    key = os.environ.get(endpoint.api_key_env)
    if not key:
        raise SamplingError(f"The environment variable {endpoint.api_key_env} is not set where sampling runs.")
    return key


def judge_endpoint(
    *, base_url: str, model: str, api_key_env: str, max_tokens: int, timeout_seconds: float
) -> ModelEndpoint:
    """A model that grades answers as an (unsaved) endpoint, asked through this client, greedily."""
    return ModelEndpoint(
        name="The judge",
        base_url=base_url,
        model=model,
        api_key_env=api_key_env,
        temperature=0.0,
        top_p=1.0,
        max_tokens=max_tokens,
        timeout_seconds=timeout_seconds,
    )


def endpoint_client(endpoint: ModelEndpoint, *, timeout: float | None = None) -> openai.OpenAI:
    """An SDK client for the endpoint, shared by the threads of this process; do not close it."""
    try:
        outbound_url_check(endpoint.base_url, what=f"The base URL of {endpoint.name}")
    except OutboundRefused as refused:
        raise SamplingError(str(refused)) from refused
    return _client(endpoint.base_url, endpoint_api_key(endpoint), timeout or endpoint.timeout_seconds)


# Building a client costs about 50 ms of CPU (its TLS context), as much as a short answer
# from a small local model, so each process keeps its clients and their open connections.
# The key is part of the cache key: a rotated key gets a new client.
@functools.lru_cache(maxsize=64)
def _client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


def chat_complete(
    client: openai.OpenAI,
    *,
    endpoint: ModelEndpoint,
    messages: list[dict],
    n: int = 1,
    seed: int | None = None,
    max_tokens: int | None = None,
) -> Completion:
    """Ask for `n` completions (the server may return fewer) and check the answer's shape."""
    params = {
        "model": endpoint.model,
        "messages": messages,
        "temperature": endpoint.temperature,
        "top_p": endpoint.top_p,
        "max_tokens": max_tokens or endpoint.max_tokens,
    }
    if n > 1:
        params["n"] = n
    if seed is not None:
        params["seed"] = seed
    if endpoint.stop:
        params["stop"] = endpoint.stop
    started = time.monotonic()
    try:
        response = client.chat.completions.create(**params)
    except openai.APIError as error:
        raise _classify(error, endpoint) from error
    except ValueError as error:  # a body that is not JSON, e.g. cut off half-way
        logger.info("%s sent a malformed response: %s", endpoint.name, error)
        raise SamplingError(f"{endpoint.name} sent a malformed response.") from error
    latency_ms = round((time.monotonic() - started) * 1000)
    return _completion(response, endpoint=endpoint, latency_ms=latency_ms)


def _completion(response, *, endpoint: ModelEndpoint, latency_ms: int) -> Completion:
    if not getattr(response, "choices", None):
        raise SamplingError(f"{endpoint.name} sent a response with no choices.")
    choices = []
    for choice in response.choices:
        finish_reason = choice.finish_reason or ""
        content = choice.message.content if choice.message is not None else None
        if content is None:
            # A provider's content filter may withhold the text: keep the candidate, empty,
            # with its finish reason, so the lead sees it instead of a silent gap.
            if finish_reason != "content_filter":
                raise SamplingError(f"{endpoint.name} sent a choice without message content.")
            content = ""
        choices.append(Choice(text=content, finish_reason=finish_reason))
    usage = response.usage
    return Completion(
        choices=choices,
        model=response.model or endpoint.model,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        latency_ms=latency_ms,
    )


def _classify(error: openai.APIError, endpoint: ModelEndpoint) -> SamplingError:
    name = endpoint.name
    if isinstance(error, openai.APITimeoutError):
        return TransientSamplingError(f"{name} did not answer within {endpoint.timeout_seconds:g} s.")
    if isinstance(error, openai.APIConnectionError):
        # The cause goes to the log only: its text (refused, reset, not HTTP) would tell a
        # lead which ports of a host are open.
        logger.info("Could not connect to %s at %s: %s", name, endpoint.base_url, error.__cause__ or error)
        return TransientSamplingError(f"Could not connect to {name} at {endpoint.base_url}.")
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        body = error.body if isinstance(error.body, dict) else {}
        detail = f"HTTP {status} from {name}: {body.get('message') or error.message}"
        if status in _TRANSIENT_STATUSES or status >= 500:
            return TransientSamplingError(detail, retry_after=retry_after_seconds(error.response.headers))
        return SamplingError(detail)
    logger.info("%s sent a malformed response: %s", name, error)
    return SamplingError(f"{name} sent a malformed response.")


def retry_after_seconds(headers) -> float | None:
    """`Retry-After` (seconds or an HTTP date) or `retry-after-ms`, as seconds; None if absent."""
    if milliseconds := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
