"""The judge's failures: a server that is busy, broken, silent or talking nonsense is retried a few
times with its replies kept, and never stops the sweep; the sweep finds comparisons the signal missed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labeler.models import Comparison
from labeler.signals import comparison_sampled
from labeler.tests.factories import ComparisonFactory, ProjectFactory
from labeler.tests.fakeserver import Reply
from rankings.judging import comparison_judge, judge_sweep_collect
from rankings.models import Judge, JudgeRanking
from rankings.tests.judge_data import judge_of, judged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _judge_settings(settings):
    settings.RANKLAB_JUDGE_MAX_ATTEMPTS = 2
    settings.RANKLAB_JUDGE_RETRY_SECONDS = 60.0


def _due(comparison) -> JudgeRanking:
    row, _ = JudgeRanking.objects.get_or_create(comparison=comparison, project=comparison.project)
    JudgeRanking.objects.filter(id=row.id).update(next_try_at=timezone.now() - timedelta(seconds=1))
    return row


def _judged_comparison(base_url: str, **judge_values):
    project = ProjectFactory(k=2)
    Judge.objects.create(project=project, base_url=base_url, model="smollm2", **judge_values)
    comparison = ComparisonFactory(project=project, with_candidates=True)
    _due(comparison)
    return comparison


def test_a_busy_server_is_retried_later_and_the_next_attempt_judges(fake_model_server, model_server):
    fake_model_server.script(Reply.status(429, retry_after=1), Reply.status(500))
    comparison = _judged_comparison(fake_model_server.base_url, max_tokens=16)

    row = comparison_judge(comparison_id=comparison.id)

    assert row.status == JudgeRanking.Status.PENDING
    assert row.attempts == 1
    assert "HTTP 429" in row.last_error
    assert [run["error"][:8] for run in row.runs] == ["HTTP 429", "HTTP 500"]
    assert row.next_try_at > timezone.now() + timedelta(seconds=50)
    assert comparison_judge(comparison_id=comparison.id) is None  # not due yet
    # The server is back (the real model this time): the next attempt asks again, both orders.
    Judge.objects.filter(project=comparison.project).update(base_url=model_server)
    _due(comparison)
    row = comparison_judge(comparison_id=comparison.id)
    assert row.attempts == 2
    assert len(row.runs) == 2 and all(run["reply"] for run in row.runs)
    assert row.runs[1]["order"] == row.runs[0]["order"][::-1]


def test_an_unreadable_reply_is_kept_and_tried_a_limited_number_of_times(fake_model_server):
    fake_model_server.default = Reply.ok(text="What a lovely pair of answers!")
    comparison = _judged_comparison(fake_model_server.base_url)

    first = comparison_judge(comparison_id=comparison.id)
    assert first.status == JudgeRanking.Status.PENDING
    assert [run["reply"] for run in first.runs] == ["What a lovely pair of answers!"] * 2
    assert [run["tiers"] for run in first.runs] == [None, None]
    assert "names no ranking" in first.last_error
    _due(comparison)
    second = comparison_judge(comparison_id=comparison.id)

    assert second.status == JudgeRanking.Status.FAILED
    assert second.attempts == 2
    assert second.next_try_at is None
    assert second.tiers is None
    assert len(fake_model_server.requests) == 4
    assert comparison.id not in judge_sweep_collect()


@pytest.mark.parametrize(
    ("reply", "error"),
    [(Reply.truncated(), "malformed"), (Reply.empty_choices(), "no choices"), (Reply.hang(5), "did not answer")],
)
def test_a_broken_or_silent_server_is_a_failed_attempt_not_a_crash(fake_model_server, reply, error):
    fake_model_server.default = reply
    comparison = _judged_comparison(fake_model_server.base_url, timeout_seconds=0.5)

    row = comparison_judge(comparison_id=comparison.id)

    assert row.status == JudgeRanking.Status.PENDING
    assert error in row.last_error
    assert len(row.runs) == 2


def test_a_judge_that_may_not_be_reached_fails_at_once_without_retrying():
    comparison = _judged_comparison("http://169.254.169.254/v1")

    row = comparison_judge(comparison_id=comparison.id)

    assert row.status == JudgeRanking.Status.FAILED
    assert row.runs == []
    assert row.last_error


def test_the_sweep_opens_judgements_for_ready_comparisons_of_projects_with_an_active_judge_only(fake_model_server):
    project = ProjectFactory(k=2)
    Judge.objects.create(project=project, base_url=fake_model_server.base_url, model="m")
    ready = ComparisonFactory(project=project, with_candidates=True)
    complete = ComparisonFactory(project=project, status=Comparison.Status.COMPLETE, with_candidates=True)
    ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    ComparisonFactory(project=ProjectFactory(k=2), with_candidates=True)
    switched_off = ProjectFactory(k=2)
    Judge.objects.create(project=switched_off, base_url=fake_model_server.base_url, model="m", is_active=False)
    ComparisonFactory(project=switched_off, with_candidates=True)

    assert sorted(judge_sweep_collect()) == sorted([ready.id, complete.id])
    assert set(JudgeRanking.objects.values_list("comparison_id", flat=True)) == {ready.id, complete.id}
    # A claimed judgement is not handed out again while its requests may still be running.
    fake_model_server.default = Reply.status(500)
    comparison_judge(comparison_id=ready.id)
    assert judge_sweep_collect() == [complete.id]


def test_a_sampled_comparison_opens_a_judgement_only_where_the_project_has_a_judge(fake_model_server):
    with_judge, without = ProjectFactory(k=2), ProjectFactory(k=2)
    Judge.objects.create(project=with_judge, base_url=fake_model_server.base_url, model="m")
    judged = ComparisonFactory(project=with_judge, with_candidates=True)
    other = ComparisonFactory(project=without, with_candidates=True)

    for comparison in (judged, other):
        comparison_sampled.send(sender=Comparison, comparison_id=comparison.id, project_id=comparison.project_id)

    assert list(JudgeRanking.objects.values_list("comparison_id", "status")) == [(judged.id, "pending")]


def test_sampling_a_comparison_again_voids_its_judgement(fake_model_server):
    project = ProjectFactory(k=2)
    judge_of(project)
    comparison = ComparisonFactory(project=project, with_candidates=True)
    a, b = comparison.candidates.order_by("id").values_list("id", flat=True)
    judged(comparison, [[a], [b]])

    comparison_sampled.send(sender=Comparison, comparison_id=comparison.id, project_id=project.id)

    row = JudgeRanking.objects.get(comparison=comparison)
    assert (row.status, row.tiers, row.runs, row.attempts) == ("pending", None, [], 0)
    assert comparison.id in judge_sweep_collect()


def test_a_judge_switched_off_leaves_its_judgements_due_for_when_it_is_back(fake_model_server):
    comparison = _judged_comparison(fake_model_server.base_url)
    Judge.objects.update(is_active=False)

    assert comparison_judge(comparison_id=comparison.id).status == JudgeRanking.Status.PENDING
    assert fake_model_server.requests == []
    assert judge_sweep_collect() == []
    Judge.objects.update(is_active=True)
    assert judge_sweep_collect() == [comparison.id]
