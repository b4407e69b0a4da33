"""What the sampler asks each endpoint for, and what it records."""

import pytest

from labeler.models import Comparison, Message, ModelEndpoint
from labeler.sampling.client import TransientSamplingError
from labeler.sampling.limits import endpoint_slot
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import (
    ComparisonFactory,
    ConversationFactory,
    MessageFactory,
    ModelEndpointFactory,
    ProjectFactory,
)
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


def pending(project, **kwargs):
    return ComparisonFactory(project=project, status=Comparison.Status.PENDING, **kwargs)


def test_a_server_that_honours_n_answers_all_candidates_in_one_request(fake_model_server):
    fake_model_server.default = Reply.ok(honour_n=True)
    project = ProjectFactory(k=4)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=4)
    comparison = pending(project)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    assert [request["n"] for request in fake_model_server.requests] == [4]
    assert comparison.candidates.count() == 4
    assert sum(c.completion_tokens for c in comparison.candidates.all()) == 4 * 4


def test_a_server_that_ignores_n_is_topped_up_with_single_requests_with_distinct_seeds(fake_model_server):
    project = ProjectFactory(k=4)
    ModelEndpointFactory(
        project=project,
        base_url=fake_model_server.base_url,
        share=4,
        seed_policy=ModelEndpoint.SeedPolicy.FIXED,
        base_seed=100,
    )
    comparison = pending(project)

    comparison_sample(comparison_id=comparison.id)

    requests = fake_model_server.requests
    assert [request.get("n", 1) for request in requests] == [4, 1, 1, 1]
    assert sorted(request["seed"] for request in requests) == [100, 101, 102, 103]
    assert list(comparison.candidates.values_list("seed", flat=True)) == [100, 101, 102, 103]


def test_an_endpoint_known_to_ignore_n_gets_single_requests_from_the_start(fake_model_server):
    project = ProjectFactory(k=3)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=3)
    comparison_sample(comparison_id=pending(project).id)
    fake_model_server.reset()

    assert comparison_sample(comparison_id=pending(project).id) == Comparison.Status.READY

    assert [request.get("n", 1) for request in fake_model_server.requests] == [1, 1, 1]
    assert len({request["seed"] for request in fake_model_server.requests}) == 3


def test_no_seed_is_sent_when_the_policy_says_none(fake_model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(
        project=project, base_url=fake_model_server.base_url, share=2, seed_policy=ModelEndpoint.SeedPolicy.NONE
    )

    comparison_sample(comparison_id=pending(project).id)

    assert all("seed" not in request for request in fake_model_server.requests)


def test_it_sends_the_conversation_up_to_the_prompt_after_the_system_prompt(fake_model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(
        project=project,
        base_url=fake_model_server.base_url,
        share=2,
        system_prompt="Be brief.",
        temperature=0.7,
        top_p=0.9,
        max_tokens=33,
        stop=["\n\n"],
    )
    conversation = ConversationFactory(project=project)
    first = MessageFactory(conversation=conversation, content="Hi")
    answer = MessageFactory(conversation=conversation, parent=first, role=Message.Role.ASSISTANT, content="Hello!")
    MessageFactory(conversation=conversation, parent=first, role=Message.Role.ASSISTANT, content="Other branch")
    prompt = MessageFactory(conversation=conversation, parent=answer, content="Name a colour.")

    comparison_sample(comparison_id=pending(project, conversation=conversation, prompt_message=prompt).id)

    request = fake_model_server.requests[0]
    assert request["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Name a colour."},
    ]
    assert (request["temperature"], request["top_p"], request["max_tokens"], request["stop"]) == (
        0.7,
        0.9,
        33,
        ["\n\n"],
    )


def test_a_content_filter_finish_reason_is_recorded_not_hidden(fake_model_server):
    fake_model_server.script(Reply.content_filter())
    project = ProjectFactory(k=3)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=3)
    comparison = pending(project)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    filtered = comparison.candidates.get(sample_index=0)
    assert (filtered.text, filtered.finish_reason) == ("", "content_filter")
    assert set(comparison.candidates.exclude(sample_index=0).values_list("finish_reason", flat=True)) == {"stop"}


def test_it_never_has_more_requests_in_flight_than_the_endpoints_cap(fake_model_server):
    fake_model_server.default = Reply.ok(delay=0.3)
    project = ProjectFactory(k=7)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=7, max_concurrency=2)

    assert comparison_sample(comparison_id=pending(project).id) == Comparison.Status.READY

    assert fake_model_server.max_in_flight == 2


def test_the_cap_is_shared_through_the_cache_by_every_process(fake_model_server):
    endpoint = ModelEndpointFactory(base_url=fake_model_server.base_url, max_concurrency=1)

    with (
        endpoint_slot(endpoint, wait_seconds=0),
        pytest.raises(TransientSamplingError) as raised,
        endpoint_slot(endpoint, wait_seconds=0.2),
    ):
        pass

    assert str(raised.value) == f"{endpoint.name} stayed at its limit of 1 concurrent requests."
    with endpoint_slot(endpoint, wait_seconds=0):
        pass
