"""No audit run stays `queued` or `running` for ever: the sweep hands out again what a dead
worker or a lost message left behind, and the run again fills only what is missing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from safety.audit_runner import audit_run_execute
from safety.audits import audit_run_create, audit_runs_sweep
from safety.models import AuditAnswer, AuditRun
from safety.tasks import audit_sweep
from safety.tests.audit_data import audit_setup

pytestmark = pytest.mark.django_db(transaction=True)


def aged(run, *, status, ago) -> AuditRun:
    AuditRun.objects.filter(id=run.id).update(status=status, touched_at=timezone.now() - ago)
    return run


def test_a_silent_running_run_and_a_lost_queued_one_are_handed_out_again_once(project, settings, moderation_server):
    settings.RANKLAB_AUDIT_STALE_AFTER_SECONDS = 300
    settings.RANKLAB_AUDIT_REQUEUE_AFTER_SECONDS = 300
    suite, endpoint, baseline = audit_setup(
        project, model_url="http://127.0.0.1:9/v1", moderation_url=moderation_server.base_url
    )
    runs = [audit_run_create(suite=suite, endpoint=endpoint, baseline=baseline, enqueue=False) for _ in range(4)]
    dead = aged(runs[0], status=AuditRun.Status.RUNNING, ago=timedelta(minutes=6))
    alive = aged(runs[1], status=AuditRun.Status.RUNNING, ago=timedelta(seconds=20))
    lost = aged(runs[2], status=AuditRun.Status.QUEUED, ago=timedelta(minutes=6))
    fresh = runs[3]

    assert sorted(audit_runs_sweep()) == sorted([dead.id, lost.id])
    assert audit_runs_sweep() == []
    statuses = dict(AuditRun.objects.values_list("id", "status"))
    assert statuses == {dead.id: "queued", alive.id: "running", lost.id: "queued", fresh.id: "queued"}


def test_the_swept_run_is_finished_by_a_worker(project, model_server, moderation_server, celery_worker):
    suite, endpoint, _ = audit_setup(project, model_url=model_server, moderation_url=moderation_server.base_url)
    run = audit_run_create(suite=suite, endpoint=endpoint, baseline=None, enqueue=False)
    # Its first worker died after one answer.
    probe = suite.probes.first()
    AuditAnswer.objects.create(run=run, probe=probe, endpoint=endpoint, text="Kept from before.")
    aged(run, status=AuditRun.Status.RUNNING, ago=timedelta(hours=1))

    assert audit_sweep() == 1  # the task beat runs, here in this process: it hands the run to the worker

    celery_worker.wait_for(lambda: AuditRun.objects.get(id=run.id).status == "done", timeout=120)
    assert AuditAnswer.objects.get(run=run, probe=probe).text == "Kept from before."
    assert AuditAnswer.objects.filter(run=run).count() == 3
    assert audit_run_execute(run_id=run.id).status == "done"  # nothing left to claim
