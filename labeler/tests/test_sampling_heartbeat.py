"""A run in flight keeps its comparison alive for the sweep; a dead one is handed out a minute later."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from labeler.models import Comparison
from labeler.sampling.queueing import enqueue_sampling, sampling_sweep_collect
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply


def test_a_silent_run_is_taken_back_within_two_minutes_by_default():
    # The sweep runs every minute: a dead run waits the stale time plus at most one period.
    assert settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS + 60 <= 120
    assert settings.RANKLAB_SAMPLING_HEARTBEAT_SECONDS * 3 <= settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS


@pytest.mark.django_db
def test_the_sweep_takes_back_a_run_silent_for_the_stale_time_only():
    now = timezone.now()
    silent = ComparisonFactory(status=Comparison.Status.SAMPLING)
    beating = ComparisonFactory(status=Comparison.Status.SAMPLING)
    stale = timedelta(seconds=settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS)
    Comparison.objects.filter(id=silent.id).update(sampling_started_at=now - stale - timedelta(seconds=5))
    Comparison.objects.filter(id=beating.id).update(
        sampling_started_at=now - timedelta(seconds=settings.RANKLAB_SAMPLING_HEARTBEAT_SECONDS)
    )

    assert sampling_sweep_collect() == [silent.id]


@pytest.fixture
def celery_worker_env():
    return {"RANKLAB_SAMPLING_HEARTBEAT_SECONDS": "0.5"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_run_slower_than_the_stale_time_is_not_taken_from_its_live_worker(celery_worker, fake_model_server, settings):
    settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS = 2
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=2, max_concurrency=1)
    fake_model_server.default = Reply.ok(delay=2.5)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    enqueue_sampling(project_id=project.id)
    celery_worker.wait_for(
        lambda: Comparison.objects.get(id=comparison.id).status == Comparison.Status.SAMPLING, message="the claim"
    )

    # Two requests one after the other, five seconds in all: more than twice the stale time.
    taken_back, deadline = [], time.monotonic() + 30
    while Comparison.objects.get(id=comparison.id).status == Comparison.Status.SAMPLING and time.monotonic() < deadline:
        taken_back += sampling_sweep_collect()
        time.sleep(0.5)

    assert taken_back == []
    celery_worker.wait_for(lambda: Comparison.objects.get(id=comparison.id).status == Comparison.Status.READY)
    assert comparison.candidates.count() == 2
