"""Sampling in a real Celery worker on Redis: duplicates, retries and a worker killed mid-way."""

import pytest

from labeler.models import Comparison
from labeler.sampling.queueing import enqueue_sampling
from labeler.tasks import sampling_sweep, send_sampling
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def celery_worker_env():
    return {"RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS": "0.05", "RANKLAB_SAMPLING_MAX_RETRIES": "3"}


@pytest.fixture
def project(fake_model_server):
    project = ProjectFactory(k=4)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=4, max_concurrency=8)
    return project


def status_of(comparison) -> str:
    comparison.refresh_from_db()
    return comparison.status


def test_an_enqueued_project_is_sampled_in_the_background(celery_worker, project):
    comparisons = ComparisonFactory.create_batch(3, project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    for comparison in comparisons:
        celery_worker.wait_for(lambda c=comparison: status_of(c) == Comparison.Status.READY)
        assert comparison.candidates.count() == 4


def test_a_comparison_enqueued_several_times_still_gets_k_candidates(celery_worker, fake_model_server, project):
    fake_model_server.default = Reply.ok(delay=0.3)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    send_sampling([comparison.id, comparison.id, comparison.id])
    enqueue_sampling(project_id=project.id)

    celery_worker.wait_for(lambda: status_of(comparison) == Comparison.Status.READY)
    assert sorted(comparison.candidates.values_list("sample_index", flat=True)) == [0, 1, 2, 3]
    assert len(fake_model_server.requests) == 4


def test_transient_failures_are_retried_by_the_worker(celery_worker, fake_model_server, project):
    fake_model_server.script(Reply.status(429, retry_after=1), Reply.status(500))
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    celery_worker.wait_for(lambda: status_of(comparison) == Comparison.Status.READY)
    assert comparison.failure_reason == ""
    assert comparison.candidates.count() == 4


def test_the_worker_gives_up_after_the_last_retry(celery_worker, fake_model_server, project):
    fake_model_server.default = Reply.status(503)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    celery_worker.wait_for(lambda: status_of(comparison) == Comparison.Status.FAILED)
    assert comparison.failure_reason.startswith("Gave up after 4 attempts: HTTP 503")


def test_a_worker_killed_mid_sampling_leaves_it_to_the_next_one(celery_worker, fake_model_server, project):
    fake_model_server.default = Reply.ok(delay=2.0)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    enqueue_sampling(project_id=project.id)
    # The first answer is stored; the top-ups for the other three slots are on their way.
    celery_worker.wait_for(lambda: comparison.candidates.exists(), message="the first candidate")
    first = comparison.candidates.get()

    celery_worker.kill()

    assert status_of(comparison) == Comparison.Status.SAMPLING
    assert comparison.candidates.count() < 4
    fake_model_server.default = Reply.ok()
    celery_worker.start(RANKLAB_SAMPLING_STALE_AFTER_SECONDS="0")
    sampling_sweep.delay()
    celery_worker.wait_for(lambda: status_of(comparison) == Comparison.Status.READY)
    assert sorted(comparison.candidates.values_list("sample_index", flat=True)) == [0, 1, 2, 3]
    assert comparison.candidates.get(sample_index=first.sample_index) == first
    assert comparison.candidates.filter(text=first.text).count() == 1


def test_a_pool_process_killed_mid_sampling_is_replaced_and_the_task_finished(
    celery_worker, fake_model_server, project
):
    fake_model_server.default = Reply.ok(delay=1.5)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    enqueue_sampling(project_id=project.id)
    celery_worker.wait_for(lambda: comparison.candidates.exists(), message="the first candidate")

    celery_worker.kill_pool()

    # Handed out again as "redelivered", the task takes over the comparison it left in
    # `sampling`, without waiting for the sweep.
    fake_model_server.default = Reply.ok()
    celery_worker.wait_for(lambda: status_of(comparison) == Comparison.Status.READY)
    assert sorted(comparison.candidates.values_list("sample_index", flat=True)) == [0, 1, 2, 3]
