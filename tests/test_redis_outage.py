"""Redis killed and started again while trainers rank: the web process answers every request
(sessions and the queue live in PostgreSQL), pages say background work is paused, and the
Procfile's worker and beat resume sampling by themselves once Redis is back.

Redis here is a server of the test's own (`own_redis`), never the suite's shared one.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bench.traffic import Tally, TrainerSession, rank_until
from labeler.models import Comparison, Membership
from labeler.tests.factories import ComparisonFactory, MembershipFactory, ModelEndpointFactory, ProjectFactory
from rankings.models import Ranking
from rankings.tests.factories import ready_comparisons
from tests.live_stack import Process, gunicorn, procfile_command, stack_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

OUTAGE_SECONDS = 8
# Sampling resumes within this long after Redis answers again: the worker reconnects (or the
# Procfile restarts it) and beat's next sweep, every 2 s here, hands the comparison out.
RESUME_WITHIN_SECONDS = 60


def session_key_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def stack(own_redis, tmp_path, fake_model_server):
    env = stack_env(redis_url=own_redis.url, data_dir=tmp_path, RANKLAB_SAMPLING_SWEEP_EVERY_SECONDS="2")
    web, url = gunicorn(env=env, log=tmp_path / "web.log")
    worker = Process(procfile_command("worker"), env=env, log=tmp_path / "worker.log")
    beat = Process(procfile_command("beat"), env=env, log=tmp_path / "beat.log")
    yield url, (web, worker, beat)
    for process in (beat, worker, web):
        process.stop()


def test_trainers_keep_ranking_through_a_redis_outage_and_sampling_resumes(own_redis, stack, fake_model_server):
    url, processes = stack
    project = ProjectFactory(k=2, overlap=1)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=2, max_concurrency=4)
    ready_comparisons(project, 400)
    trainers = [MembershipFactory(project=project, role=Membership.Role.TRAINER).user for _ in range(3)]
    tally = Tally()
    sessions = [TrainerSession(url, session_key_of(trainer), project.slug, tally) for trainer in trainers]

    stop = threading.Event()
    threads = rank_until(sessions, stop, pause=0.05)
    try:
        time.sleep(3)
        own_redis.kill()
        # Work that arrives during the outage: a comparison whose enqueue was lost.
        arrived = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
        Comparison.objects.filter(id=arrived.id).update(created_at=timezone.now() - timedelta(minutes=5))
        before = tally.requests
        time.sleep(OUTAGE_SECONDS)
        paused_during_outage = tally.paused_seen
        during = tally.requests - before
        own_redis.start()
        back_at = time.monotonic()
        # Once sampled, a trainer may rank it at once (overlap 1): ready or complete.
        wait_for(
            lambda: (
                Comparison.objects.get(id=arrived.id).status in (Comparison.Status.READY, Comparison.Status.COMPLETE)
            ),
            timeout=RESUME_WITHIN_SECONDS,
            what="the comparison that arrived during the outage to be sampled",
            logs=processes,
        )
        resumed_after = time.monotonic() - back_at
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)

    assert tally.server_errors == [], tally.server_errors[:5]
    assert during > 0, "no request was answered during the outage"
    assert paused_during_outage > 0, "no page said background work is paused"
    assert Ranking.objects.filter(comparison__project=project).count() == tally.acknowledged
    assert Comparison.objects.get(id=arrived.id).candidates.count() == 2
    print(
        f"Redis down {OUTAGE_SECONDS} s: {during} requests answered during the outage, "
        f"{tally.requests} in all {tally.statuses}, {tally.acknowledged} rankings acknowledged and stored; "
        f"sampling resumed {resumed_after:.1f} s after Redis returned"
    )
