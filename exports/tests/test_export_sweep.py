"""No export job stays `queued` or `running` for ever: the sweep hands out again what a dead
worker or a lost message left behind, and a run taken back changes nothing."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from exports.models import Export
from exports.services import export_write
from exports.sweep import exports_sweep
from exports.tasks import export_sweep
from exports.tests.ranked import rank_all

pytestmark = pytest.mark.django_db(transaction=True)


def job(project, *, status, touched_ago=None, created_ago=timedelta(hours=1), attempt=0) -> Export:
    export = Export.objects.create(project=project, format="trl", options={}, status=status, attempt=attempt)
    now = timezone.now()
    Export.objects.filter(id=export.id).update(
        created_at=now - created_ago, touched_at=None if touched_ago is None else now - touched_ago
    )
    return export


def test_a_running_job_silent_for_the_stale_time_goes_back_to_the_queue(project, settings):
    settings.RANKLAB_EXPORT_STALE_AFTER_SECONDS = 120
    dead = job(project, status=Export.Status.RUNNING, touched_ago=timedelta(minutes=3), attempt=1)
    alive = job(project, status=Export.Status.RUNNING, touched_ago=timedelta(seconds=30), attempt=1)

    assert exports_sweep() == [dead.id]

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.progress) == (Export.Status.QUEUED, 0)
    assert alive.status == Export.Status.RUNNING
    assert exports_sweep() == []


def test_a_queued_job_whose_message_was_lost_is_handed_out_again_once_per_interval(project, settings):
    settings.RANKLAB_EXPORT_REQUEUE_AFTER_SECONDS = 300
    lost = job(project, status=Export.Status.QUEUED)
    just_created = job(project, status=Export.Status.QUEUED, created_ago=timedelta(seconds=10))

    assert exports_sweep() == [lost.id]
    assert exports_sweep() == []
    assert just_created.id not in exports_sweep()


def test_finished_jobs_are_left_alone(project):
    for status in (Export.Status.DONE, Export.Status.FAILED):
        job(project, status=status, touched_ago=timedelta(days=1))
    assert exports_sweep() == []


def test_a_run_taken_back_by_the_sweep_changes_nothing_once_the_next_run_finished(project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rank_all(project, comparisons=2, trainers=3)
    export = Export.objects.create(project=project, format="trl", options={})
    export_write(export_id=export.id)
    export.refresh_from_db()
    late = Export.objects.get(id=export.id)
    late.attempt = export.attempt - 1  # the run the sweep gave up on, coming back to life
    from exports.services import Superseded, _touch

    with pytest.raises(Superseded):
        _touch(late, progress=1)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.progress == 2


def _file_is_complete(export: Export) -> bool:
    content = export.file.open("rb").read()
    return hashlib.sha256(content).hexdigest() == export.sha256 and len(content.splitlines()) == export.row_count


@pytest.mark.slow
def test_a_job_left_running_by_a_killed_worker_is_finished_by_the_next_one(project, lead, celery_worker, settings):
    rank_all(project, comparisons=40, trainers=3)
    export = Export.objects.create(project=project, format="native", options={}, created_by=lead)
    from ranklab.background import enqueue_after_commit

    enqueue_after_commit("exports.tasks.export_run", export.id)
    celery_worker.wait_for(
        lambda: Export.objects.get(id=export.id).status != Export.Status.QUEUED, interval=0.01, message="the claim"
    )
    celery_worker.kill()
    killed_in = Export.objects.get(id=export.id).status

    settings.RANKLAB_EXPORT_STALE_AFTER_SECONDS = 0
    celery_worker.start()
    export_sweep()
    celery_worker.wait_for(lambda: Export.objects.get(id=export.id).status == Export.Status.DONE, message="done")
    export.refresh_from_db()
    assert _file_is_complete(export), killed_in
    assert export.row_count == 40
    assert export.attempt >= 1
