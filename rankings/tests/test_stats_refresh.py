"""Statistics are recomputed in the background: after submissions, by beat, on request."""

import pytest
from celery import current_app as app
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from labeler.queue import assignment_lease_next
from labeler.tests.model_server import free_port
from rankings.models import ProjectStats, Ranking
from rankings.refresh import enqueue_stats_refresh, projects_with_stale_stats, stats_maybe_refresh
from rankings.stats import project_stats_refresh
from rankings.tests.factories import submit
from rankings.tests.stats_data import comparison_with, rank, small_project, trainers


@pytest.mark.django_db
def test_it_enqueues_after_the_first_and_every_nth_submission(project, settings):
    settings.RANKLAB_STATS_REFRESH_EVERY = 3
    cache.delete(f"ranklab:stats:submissions:{project.id}")
    assert [stats_maybe_refresh(project_id=project.id) for _ in range(7)] == [
        True, False, True, False, False, True, False,
    ]  # fmt: skip


@pytest.mark.django_db
def test_beat_finds_the_projects_whose_rankings_are_newer_than_their_stats(project):
    data = small_project(project)
    assert project.id in projects_with_stale_stats()
    project_stats_refresh(project_id=project.id)
    assert project.id not in projects_with_stale_stats()
    comparison = comparison_with(project, ["new one", "new two", "new three"])
    rank(comparison, data["trainers"][0], [[0], [1], [2]])
    assert project.id in projects_with_stale_stats()


@pytest.mark.django_db
def test_beat_finds_a_project_whose_ranking_was_revised_after_its_stats(project):
    data = small_project(project)
    project_stats_refresh(project_id=project.id)
    assert project.id not in projects_with_stale_stats()
    ranking = data["comparisons"][0].rankings.first()
    Ranking.objects.filter(id=ranking.id).update(revised_at=timezone.now())
    assert project.id in projects_with_stale_stats()


@pytest.mark.django_db
def test_a_project_without_rankings_needs_no_stats(project):
    assert project.id not in projects_with_stale_stats()


def test_a_worker_computes_the_stats_once_the_request_commits(celery_worker, project):
    small_project(project)
    with transaction.atomic():
        enqueue_stats_refresh(project_id=project.id)
    stats = celery_worker.wait_for(lambda: ProjectStats.objects.filter(project=project).first())
    assert stats.data["rankings"] == 5


@pytest.fixture
def broker_down():
    """The app's broker moved to a port nothing listens on, as when Redis is down."""
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app._pool, app.amqp._producer_pool = None, None
    yield
    app.conf.broker_url = saved
    app._pool, app.amqp._producer_pool = None, None


@pytest.mark.django_db(transaction=True)
def test_a_recompute_asked_while_the_broker_is_down_is_logged_not_a_500(lead_client, project, broker_down, caplog):
    response = lead_client.post(reverse("project_stats_recompute", args=[project.slug]))
    assert response.status_code == 302
    assert "rankings.tasks.project_stats_refresh_task" in caplog.text


def test_a_submission_through_the_queue_triggers_a_refresh(celery_worker, project, settings):
    settings.RANKLAB_STATS_REFRESH_EVERY = 1
    comparison = comparison_with(project, ["alpha", "beta", "gamma", "delta"])
    trainer = trainers(project, 1)[0]
    assignment = assignment_lease_next(project=project, trainer=trainer)
    ids = sorted(assignment.display_order, reverse=True)
    submit(assignment, trainer=trainer, tiers=[[i] for i in ids])
    stats = celery_worker.wait_for(lambda: ProjectStats.objects.filter(project=project).first())
    assert stats.data["rankings"] == 1 and comparison.id
