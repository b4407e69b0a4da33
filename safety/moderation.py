"""One request to an OpenAI-compatible moderation server, and what its answer means.

The wire format is OpenAI's `POST /v1/moderations`: `{"model", "input": [texts]}` in,
`{"results": [{"flagged", "categories": {name: bool}, "category_scores": {name: float}}]}`
out, one result per text in order. The body is read as plain JSON rather than through the
SDK's typed models, so that a server's own category names (a self-hosted filter has other
ones than OpenAI's) are kept as they were sent.

As with sampling, the SDK does no retries (`max_retries=0`): a filter that is down makes
`ModerationUnavailable`, and the caller leaves the verdict to be filled in later.
"""

import functools
import logging
import math
from dataclasses import dataclass

import openai

from labeler.sampling.client import endpoint_api_key
from ranklab.errors import RankLabError
from ranklab.outbound import outbound_url_check
from safety.models import ModerationEndpoint

logger = logging.getLogger(__name__)

# OpenAI's category names, by the prefix before "/", in the shared harm taxonomy's keys.
_HARM_KEYS = {
    "hate": "hate",
    "harassment": "harassment",
    "violence": "violence",
    "self-harm": "self_harm",
    "sexual": "sexual",
    "illicit": "illegal_activity",
}


class ModerationUnavailable(RankLabError):
    """The filter could not give a verdict now (down, slow, refused, or an answer of the wrong shape)."""


@dataclass(frozen=True)
class ModerationResult:
    flagged: bool
    categories: list[str]  # the names the filter flagged, as it sent them
    scores: dict[str, float]


def harm_key(category: str) -> str | None:
    """The shared harm taxonomy's key for a filter category (`self-harm/intent` → `self_harm`)."""
    return _HARM_KEYS.get(category.split("/", 1)[0].strip().lower())


def moderation_client(endpoint: ModerationEndpoint) -> openai.OpenAI:
    try:
        outbound_url_check(endpoint.base_url, what="The moderation endpoint's URL")
        api_key = endpoint_api_key(endpoint)
    except RankLabError as error:
        raise ModerationUnavailable(str(error)) from error
    return _client(endpoint.base_url, api_key, endpoint.timeout_seconds)


@functools.lru_cache(maxsize=16)
def _client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


def moderate(*, endpoint: ModerationEndpoint, texts: list[str]) -> list[ModerationResult]:
    """The filter's verdict on each text, in order; `ModerationUnavailable` if there is none now."""
    if not texts:
        return []
    client = moderation_client(endpoint)
    try:
        raw = client.moderations.with_raw_response.create(model=endpoint.model, input=texts)
        body = raw.http_response.json()
    except openai.APIStatusError as error:
        raise ModerationUnavailable(f"HTTP {error.status_code} from the moderation endpoint.") from error
    except openai.APITimeoutError as error:
        raise ModerationUnavailable(
            f"The moderation endpoint did not answer within {endpoint.timeout_seconds:g} s."
        ) from error
    except openai.APIError as error:
        logger.info("Moderation endpoint %s: %s", endpoint.base_url, error.__cause__ or error)
        raise ModerationUnavailable(f"Could not reach the moderation endpoint at {endpoint.base_url}.") from error
    except ValueError as error:
        raise ModerationUnavailable("The moderation endpoint sent a body that is not JSON.") from error
    return moderation_results(body, expected=len(texts))


def moderation_results(body, *, expected: int) -> list[ModerationResult]:
    """Check and read a moderation response body (pure)."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) != expected:
        raise ModerationUnavailable(f"The moderation endpoint sent no list of {expected} results.")
    return [_result(result, index) for index, result in enumerate(results)]


def _result(result, index: int) -> ModerationResult:
    if not isinstance(result, dict) or not isinstance(result.get("flagged"), bool):
        raise ModerationUnavailable(f"Result {index} from the moderation endpoint has no `flagged` true or false.")
    categories = result.get("categories") or {}
    scores = result.get("category_scores") or {}
    if not isinstance(categories, dict) or not isinstance(scores, dict):
        raise ModerationUnavailable(f"Result {index} from the moderation endpoint has malformed categories.")
    return ModerationResult(
        flagged=result["flagged"],
        categories=sorted(str(name)[:100] for name, on in categories.items() if on is True),
        scores={
            str(name)[:100]: float(score)
            for name, score in scores.items()
            if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
        },
    )
