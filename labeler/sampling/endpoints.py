"""A lead's model endpoints: create, change, remove, and try one with a tiny request."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from labeler.models import ModelEndpoint, Project
from labeler.sampling.client import SamplingError, chat_complete, endpoint_client
from labeler.sampling.sampler import with_system_prompt
from ranklab.errors import RankLabError

_TEST_PROMPT = [{"role": "user", "content": "Say hello in five words."}]
_TEST_MAX_TOKENS = 16
_TEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str
    text: str = ""


@transaction.atomic
def endpoint_create(*, project: Project, **values) -> ModelEndpoint:
    """Add an endpoint to the project."""
    if project.endpoints.filter(name=values["name"]).exists():
        raise RankLabError(f"This project already has an endpoint called {values['name']!r}.")
    return ModelEndpoint.objects.create(project=project, **values)


@transaction.atomic
def endpoint_update(*, endpoint: ModelEndpoint, **values) -> ModelEndpoint:
    """Change an endpoint's settings; candidates already sampled keep the parameters they were made with."""
    for name, value in values.items():
        setattr(endpoint, name, value)
    try:
        with transaction.atomic():
            endpoint.save(update_fields=list(values))
    except IntegrityError as error:
        raise RankLabError(f"This project already has an endpoint called {endpoint.name!r}.") from error
    return endpoint


@transaction.atomic
def endpoint_delete(*, project: Project, endpoint_id: int) -> None:
    """Remove an endpoint; its candidates stay, without the link to it."""
    deleted, _ = project.endpoints.filter(id=endpoint_id).delete()
    if not deleted:
        raise RankLabError("There is no such endpoint in this project.")


def endpoint_test(*, endpoint: ModelEndpoint) -> ConnectionTest:
    """One tiny request, to show the lead the answer or the exact error."""
    timeout = min(endpoint.timeout_seconds, _TEST_TIMEOUT_SECONDS)
    try:
        completion = chat_complete(
            endpoint_client(endpoint, timeout=timeout),
            endpoint=endpoint,
            messages=with_system_prompt(_TEST_PROMPT, endpoint),
            max_tokens=min(_TEST_MAX_TOKENS, endpoint.max_tokens),
        )
    except SamplingError as error:
        return ConnectionTest(ok=False, message=str(error))
    choice = completion.choices[0]
    return ConnectionTest(
        ok=True,
        message=(
            f"{completion.model} answered in {completion.latency_ms} ms "
            f"(finish reason: {choice.finish_reason or 'none'}, {completion.completion_tokens} tokens)."
        ),
        text=choice.text,
    )
