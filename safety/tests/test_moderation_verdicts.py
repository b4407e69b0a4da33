"""Verdicts after real sampling (llama.cpp's SmolLM2, a real Celery worker on Redis), a filter
that is down and comes back, and projects without a filter."""

import pytest

from labeler.models import Comparison
from labeler.sampling.queueing import enqueue_sampling
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from safety.models import ModerationEndpoint, ModerationVerdict
from safety.tasks import moderation_sweep
from safety.tests.moderation_server import verdict
from safety.verdicts import comparison_moderate, moderation_sweep_collect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Letters every answer of the model holds some of: the keyword filter flags some and not others.
KEYWORDS = {"the": "violence", "you": "harassment"}


@pytest.fixture
def celery_worker_env():
    return {"RANKLAB_MODERATION_RETRY_SECONDS": "0.05", "RANKLAB_MODERATION_RETRY_MAX_SECONDS": "0.05"}


@pytest.fixture
def project(model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, base_url=model_server, share=2, max_tokens=16)
    return project


def test_every_sampled_candidate_gets_the_filters_verdict_in_one_request(celery_worker, project, moderation_server):
    moderation_server.keywords = dict(KEYWORDS)
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    def checked() -> bool:
        return ModerationVerdict.objects.filter(comparison=comparison, status="checked").count() == 2

    celery_worker.wait_for(checked)
    assert comparison.candidates.count() == 2
    for candidate in comparison.candidates.all():
        stored, expected = candidate.moderation_verdict, verdict(candidate.text, KEYWORDS)
        assert stored.flagged == expected["flagged"]
        assert stored.categories == sorted(name for name, on in expected["categories"].items() if on)
        assert stored.model_name == "omni-moderation-latest"
        assert stored.attempts == 1
    assert [sorted(request["input"]) for request in moderation_server.requests] == [
        sorted(comparison.candidates.values_list("text", flat=True))
    ]


def test_a_filter_that_is_down_leaves_sampling_alone_and_the_sweep_fills_the_verdicts_when_it_is_back(
    celery_worker, project, moderation_server
):
    moderation_server.down = True
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    def unavailable() -> bool:
        return ModerationVerdict.objects.filter(comparison=comparison, status="unavailable").count() == 2

    celery_worker.wait_for(unavailable)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.READY
    assert set(ModerationVerdict.objects.values_list("last_error", flat=True)) == {
        "HTTP 503 from the moderation endpoint."
    }

    moderation_server.down = False
    celery_worker.wait_for(lambda: moderation_sweep_collect() == [comparison.id])
    moderation_sweep.delay()

    celery_worker.wait_for(lambda: ModerationVerdict.objects.filter(status="checked").count() == 2)
    assert set(ModerationVerdict.objects.values_list("last_error", flat=True)) == {""}
    assert set(ModerationVerdict.objects.values_list("attempts", flat=True)) == {2}


def test_a_filter_that_refuses_connections_is_only_unavailable(project, moderation_server):
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url, timeout_seconds=2)
    moderation_server.stop()
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY
    assert comparison_moderate(comparison_id=comparison.id) == 0

    verdicts = ModerationVerdict.objects.filter(comparison=comparison)
    assert {v.status for v in verdicts} == {"unavailable"}
    assert all(v.next_try_at is not None and "Could not reach" in v.last_error for v in verdicts)
    # Waiting out its backoff, a verdict is not handed out again.
    assert moderation_sweep_collect() == []


def test_without_a_filter_nothing_is_asked_and_nothing_is_stored(project, moderation_server):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    assert not ModerationVerdict.objects.exists()
    assert moderation_server.requests == []


def test_a_filter_switched_off_asks_nothing(project, moderation_server):
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url, is_active=False)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    assert not ModerationVerdict.objects.exists()
    assert moderation_server.requests == []
