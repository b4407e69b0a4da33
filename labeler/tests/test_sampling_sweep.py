"""The periodic sweep hands out again what a lost worker or message left behind, and nothing else."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labeler.models import Comparison
from labeler.sampling.queueing import comparisons_stamp, sampling_sweep_collect
from labeler.tests.factories import ComparisonFactory

pytestmark = pytest.mark.django_db


def aged(status, *, stamped_ago=None, created_ago=timedelta(hours=2)):
    comparison = ComparisonFactory(status=status)
    now = timezone.now()
    Comparison.objects.filter(id=comparison.id).update(
        created_at=now - created_ago,
        sampling_started_at=None if stamped_ago is None else now - stamped_ago,
    )
    return comparison


def test_it_restarts_comparisons_stuck_in_sampling_and_stamps_them(settings):
    settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS = 600
    stuck = aged(Comparison.Status.SAMPLING, stamped_ago=timedelta(minutes=11))
    running = aged(Comparison.Status.SAMPLING, stamped_ago=timedelta(minutes=9))

    assert sampling_sweep_collect() == [stuck.id]

    stuck.refresh_from_db()
    assert stuck.status == Comparison.Status.PENDING
    assert timezone.now() - stuck.sampling_started_at < timedelta(minutes=1)
    assert sampling_sweep_collect() == []
    running.refresh_from_db()
    assert running.status == Comparison.Status.SAMPLING


def test_it_enqueues_pending_comparisons_that_were_never_enqueued():
    never = aged(Comparison.Status.PENDING)
    just_created = aged(Comparison.Status.PENDING, created_ago=timedelta(seconds=5))

    assert sampling_sweep_collect() == [never.id]
    assert sampling_sweep_collect() == []
    assert just_created.id not in sampling_sweep_collect()


def test_it_enqueues_again_pending_comparisons_whose_message_was_lost(settings):
    settings.RANKLAB_SAMPLING_REQUEUE_AFTER_SECONDS = 3600
    lost = aged(Comparison.Status.PENDING, stamped_ago=timedelta(hours=2))
    queued = aged(Comparison.Status.PENDING, stamped_ago=timedelta(minutes=5))

    assert sampling_sweep_collect() == [lost.id]
    assert queued.id not in sampling_sweep_collect()


def test_it_leaves_ready_failed_and_complete_comparisons_alone():
    for status in [Comparison.Status.READY, Comparison.Status.FAILED, Comparison.Status.COMPLETE]:
        aged(status, stamped_ago=timedelta(days=1))

    assert sampling_sweep_collect() == []


def test_each_run_hands_out_a_bounded_batch(settings):
    settings.RANKLAB_SAMPLING_SWEEP_BATCH = 2
    for _ in range(5):
        aged(Comparison.Status.PENDING)

    assert len(sampling_sweep_collect()) == 2


def test_stamping_returns_each_comparison_once():
    comparisons = ComparisonFactory.create_batch(3, status=Comparison.Status.PENDING)
    never = Comparison.objects.filter(status=Comparison.Status.PENDING, sampling_started_at__isnull=True)

    assert comparisons_stamp(queryset=never, limit=2) == [c.id for c in comparisons[:2]]
    assert comparisons_stamp(queryset=never, limit=2) == [comparisons[2].id]
    assert comparisons_stamp(queryset=never, limit=2) == []
