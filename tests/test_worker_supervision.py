"""The Procfile's worker line restarts a worker that dies, and the work it held finishes:
a worker SIGKILLed mid-sampling leaves its comparison to the next one, which the sweep hands
it to once the run has been silent for the stale time (seconds here, a minute by default)."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from labeler.models import Comparison
from labeler.tests.celery_worker import _children
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply
from tests.live_stack import Process, procfile_command, stack_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def kill_worker(supervisor: Process) -> None:
    """SIGKILL the Celery worker the Procfile's loop started, and its pool: a crash or an OOM kill."""
    (worker,) = _children(supervisor.popen.pid)
    for pid in [*_children(worker), worker]:
        os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_mid_sampling_is_restarted_and_its_comparison_gets_exactly_k(
    own_redis, tmp_path, fake_model_server
):
    project = ProjectFactory(k=4)
    # The killed run's requests keep their concurrency slots until the slots expire (the
    # request timeout and half a minute): one slot more than it can hold lets the next run on.
    ModelEndpointFactory(
        project=project, base_url=fake_model_server.base_url, share=4, max_concurrency=4, timeout_seconds=5
    )
    fake_model_server.default = Reply.ok(delay=1.5)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    Comparison.objects.filter(id=comparison.id).update(created_at=timezone.now() - timedelta(minutes=5))
    env = stack_env(
        redis_url=own_redis.url,
        data_dir=tmp_path,
        RANKLAB_SAMPLING_SWEEP_EVERY_SECONDS="1",
        RANKLAB_SAMPLING_STALE_AFTER_SECONDS="3",
        RANKLAB_SAMPLING_HEARTBEAT_SECONDS="0.5",
    )
    worker = Process(procfile_command("worker"), env=env, log=tmp_path / "worker.log")
    beat = Process(procfile_command("beat"), env=env, log=tmp_path / "beat.log")
    try:
        wait_for(lambda: comparison.candidates.exists(), timeout=60, what="the first candidate", logs=[worker, beat])
        kill_worker(worker)
        killed_at = time.monotonic()
        assert Comparison.objects.get(id=comparison.id).status == Comparison.Status.SAMPLING
        fake_model_server.default = Reply.ok()
        wait_for(
            lambda: Comparison.objects.get(id=comparison.id).status == Comparison.Status.READY,
            timeout=90,
            what="the comparison to be finished by the restarted worker",
            logs=[worker, beat],
        )
        recovered_after = time.monotonic() - killed_at
    finally:
        beat.stop()
        worker.stop()
    assert sorted(comparison.candidates.values_list("sample_index", flat=True)) == [0, 1, 2, 3]
    assert "worker exited" in worker.log(lines=400)
    print(f"worker SIGKILLed mid-sampling: comparison finished {recovered_after:.1f} s later with K=4 candidates")
