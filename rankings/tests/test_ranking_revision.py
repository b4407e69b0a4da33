"""A trainer revises their own ranking while its comparison waits for others and within the
project's window; the queue's guarantees hold (one ranking each, counts, completion)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labeler.models import Comparison, Membership, Project
from labeler.selectors import MembershipPaused
from rankings.models import Ranking
from rankings.revisions import ranking_revise
from rankings.services import ConfirmationNeeded, Judgement
from rankings.signals import ranking_revised
from rankings.tests.factories import lease, ready_comparisons, submit, trainers_of
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


def ranked(project, trainer, *, reverse_order=True) -> Ranking:
    """`trainer` ranks the next comparison: the displayed order reversed, so no confirmation is asked."""
    assignment = lease(project, trainer)
    order = list(reversed(assignment.display_order)) if reverse_order else assignment.display_order
    return submit(assignment, tiers=[[candidate] for candidate in order], rationale="first thoughts")


def revise(ranking, tiers, **fields) -> Ranking:
    return ranking_revise(
        trainer=ranking.trainer,
        project=Project.objects.get(id=ranking.comparison.project_id),
        ranking_id=ranking.id,
        judgement=Judgement(tiers=tiers, **fields),
    )


@pytest.fixture
def shared(project):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 1)
    return project


def test_a_revision_replaces_the_ranking_in_place_before_the_comparison_is_complete(
    shared, trainer, django_capture_on_commit_callbacks
):
    ranking = ranked(shared, trainer)
    a, b, c, d = ranking.display_order
    received = []
    ranking_revised.connect(lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="test")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            revised = revise(ranking, [[b, a], [d], [c]], flags={d: ["fails_task"]}, rationale="on reflection")
    finally:
        ranking_revised.disconnect(dispatch_uid="test")
    assert revised.id == ranking.id
    stored = Ranking.objects.get(id=ranking.id)
    assert stored.tiers == [[b, a], [d], [c]]
    assert stored.flags == {str(d): ["fails_task"]}
    assert stored.rationale == "on reflection"
    assert stored.revised_at is not None and stored.submitted_at == ranking.submitted_at
    assert Ranking.objects.filter(comparison=ranking.comparison).count() == 1
    comparison = Comparison.objects.get(id=ranking.comparison_id)
    assert (comparison.rankings_count, comparison.status) == (1, Comparison.Status.READY)
    assert [kwargs["previous_tiers"] for kwargs in received] == [ranking.tiers]
    assert len(callbacks) == 1  # the statistics are recomputed once it commits


def test_the_comparison_completes_as_usual_after_a_revision(shared, trainer):
    ranking = ranked(shared, trainer)
    a, b, c, d = ranking.display_order
    revise(ranking, [[d], [c], [b], [a]], confirmed_display_order=False)
    other = trainers_of(shared, 1)[0]
    ranked(shared, other)
    comparison = Comparison.objects.get(id=ranking.comparison_id)
    assert (comparison.rankings_count, comparison.status) == (2, Comparison.Status.COMPLETE)


def test_a_ranking_of_a_complete_comparison_cannot_be_revised(project, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 1)
    ranking = ranked(project, trainer)
    with pytest.raises(RankLabError, match="complete"):
        revise(ranking, [ranking.display_order])
    assert Ranking.objects.get(id=ranking.id).tiers == ranking.tiers


def test_a_ranking_cannot_be_revised_once_the_window_has_passed(shared, trainer):
    ranking = ranked(shared, trainer)
    Ranking.objects.filter(id=ranking.id).update(submitted_at=ranking.submitted_at - timedelta(minutes=61))
    with pytest.raises(RankLabError, match="60 minutes after submitting"):
        revise(ranking, [ranking.display_order])
    shared.revise_minutes = 0
    shared.save(update_fields=["revise_minutes"])
    with pytest.raises(RankLabError, match="does not allow revising"):
        revise(ranking, [ranking.display_order])


def test_a_trainer_cannot_revise_another_trainer_s_ranking(shared, trainer):
    ranking = ranked(shared, trainer)
    other = trainers_of(shared, 1)[0]
    with pytest.raises(RankLabError, match="not yours"):
        ranking_revise(trainer=other, project=shared, ranking_id=ranking.id, judgement=Judgement(tiers=ranking.tiers))


def test_a_paused_trainer_cannot_revise(shared, trainer):
    ranking = ranked(shared, trainer)
    Membership.objects.filter(project=shared, user=trainer).update(paused_at=timezone.now())
    with pytest.raises(MembershipPaused):
        revise(ranking, [list(reversed(ranking.display_order))])
    assert Ranking.objects.get(id=ranking.id).tiers == ranking.tiers


def test_a_revision_is_checked_like_a_submission(shared, trainer):
    ranking = ranked(shared, trainer)
    a, b, c, d = ranking.display_order
    with pytest.raises(RankLabError, match="Rank every candidate"):
        revise(ranking, [[a], [b]])
    with pytest.raises(ConfirmationNeeded):
        revise(ranking, [[a], [b], [c], [d]])
    revise(ranking, [[a], [b], [c], [d]], confirmed_display_order=True)
    stored = Ranking.objects.get(id=ranking.id)
    assert stored.matches_display_order and stored.confirmed_display_order


def test_the_history_lists_only_the_trainer_s_own_rankings_newest_first(shared, trainer, client):
    ready_comparisons(shared, 24)
    mine = [ranked(shared, trainer) for _ in range(22)]
    other = trainers_of(shared, 1)[0]
    theirs = ranked(shared, other)
    client.force_login(trainer)
    url = reverse("rank_history", args=[shared.slug])
    html = client.get(url).content.decode()
    rows = [int(part.split('"')[0]) for part in html.split('data-ranking="')[1:]]
    assert rows == [ranking.id for ranking in reversed(mine)][:20]
    assert f'data-ranking="{theirs.id}"' not in html
    assert reverse("ranking_revise", args=[shared.slug, mine[-1].id]) in html
    assert mine[-1].comparison.prompt_message.content in html
    older = client.get(url, {"page": 2}).content.decode()
    assert [int(part.split('"')[0]) for part in older.split('data-ranking="')[1:]] == [mine[1].id, mine[0].id]
    assert f'data-ranking="{theirs.id}"' not in older


def test_the_history_page_takes_a_fixed_number_of_queries(shared, trainer, client, django_assert_num_queries):
    ready_comparisons(shared, 5)
    for _ in range(5):
        ranked(shared, trainer)
    client.force_login(trainer)
    # user, project; the count and one page of rankings with their comparisons and prompts.
    with django_assert_num_queries(4):
        client.get(reverse("rank_history", args=[shared.slug]))


def test_revising_through_the_page_goes_back_to_the_history(shared, trainer, client):
    ranking = ranked(shared, trainer)
    a, b, c, d = ranking.display_order
    client.force_login(trainer)
    url = reverse("ranking_revise", args=[shared.slug, ranking.id])
    page = client.get(url).content.decode()
    assert "You are revising your ranking" in page and "first thoughts" in page
    response = client.post(url, {"tiers": f"[[{b}], [{a}, {c}], [{d}]]", "rationale": "better", "duration_ms": "900"})
    assert response.status_code == 302 and response.url == reverse("rank_history", args=[shared.slug])
    assert Ranking.objects.get(id=ranking.id).tiers == [[b], [a, c], [d]]


def test_a_ranking_past_its_window_is_not_offered_for_revision(shared, trainer, client):
    ranking = ranked(shared, trainer)
    Ranking.objects.filter(id=ranking.id).update(submitted_at=ranking.submitted_at - timedelta(hours=2))
    client.force_login(trainer)
    html = client.get(reverse("rank_history", args=[shared.slug])).content.decode()
    url = reverse("ranking_revise", args=[shared.slug, ranking.id])
    assert url not in html
    response = client.get(url)
    assert response.status_code == 302
    response = client.post(url, {"tiers": str(ranking.tiers)}, follow=True)
    assert "time is up" in response.content.decode()


def test_another_trainer_s_ranking_is_not_found(shared, trainer, client):
    ranking = ranked(shared, trainer)
    other = trainers_of(shared, 1)[0]
    client.force_login(other)
    assert client.get(reverse("ranking_revise", args=[shared.slug, ranking.id])).status_code == 404
    assert client.post(reverse("ranking_revise", args=[shared.slug, ranking.id]), {}).status_code == 404


def test_a_lead_sets_the_revise_window_on_the_settings_page(lead_client, project):
    data = {"name": project.name, "kind": "comparison", "k": 4, "overlap": 3, "lease_minutes": 30, "flags": "a: A"}
    response = lead_client.post(reverse("project_settings", args=[project.slug]), data | {"revise_minutes": 15})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.revise_minutes == 15
    lead_client.post(reverse("project_settings", args=[project.slug]), data)  # a form without it keeps it
    project.refresh_from_db()
    assert project.revise_minutes == 15


def test_a_revision_marks_the_comparison_s_queue_score_stale(shared, trainer):
    ranking = ranked(shared, trainer)
    a, b, c, d = ranking.display_order
    revise(ranking, [[b], [a], [d], [c]])
    comparison = Comparison.objects.get(id=ranking.comparison_id)
    assert comparison.queue_score_rankings != comparison.rankings_count
