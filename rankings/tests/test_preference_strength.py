"""Preference strength: one of slightly, clearly or much for each pair of neighbouring tiers where
the project collects it, checked by the server, stored as said, kept through a revision."""

import json

import pytest
from django.urls import reverse

from labeler.models import Project
from rankings.models import Ranking
from rankings.revisions import ranking_revise
from rankings.services import Judgement
from rankings.tests.factories import lease, ready_comparisons, submit
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


@pytest.fixture
def strength_project(project):
    project.collect_strength = True
    project.overlap = 2
    project.save(update_fields=["collect_strength", "overlap"])
    ready_comparisons(project, 1)
    return project


@pytest.fixture
def leased(strength_project, trainer):
    return lease(strength_project, trainer)


def reversed_tiers(assignment):
    return [[candidate] for candidate in reversed(assignment.display_order)]


def refused(assignment, message, **fields):
    fields.setdefault("tiers", reversed_tiers(assignment))
    with pytest.raises(RankLabError, match=message):
        submit(assignment, **fields)
    assert Ranking.objects.count() == 0


def test_a_ranking_stores_one_strength_for_each_pair_of_neighbouring_tiers(leased):
    a, b, c, d = leased.display_order
    ranking = submit(leased, tiers=[[d], [b, c], [a]], strengths=["much", "slightly"])
    assert Ranking.objects.get(id=ranking.id).strengths == ["much", "slightly"]


def test_a_missing_strength_is_refused_naming_the_pair_as_the_trainer_saw_it(leased):
    a, b, c, d = leased.display_order
    refused(
        leased,
        r"Say how much better rank 2 \(Candidates B and C\) is than rank 3 \(Candidate A\): slightly, clearly or much",
        tiers=[[d], [b, c], [a]],
        strengths=["clearly"],
    )
    refused(
        leased,
        r"Say how much better rank 1 \(Candidate D\) is than rank 2 \(Candidates B and C\)",
        tiers=[[d], [b, c], [a]],
        strengths=[],
    )
    refused(leased, r"rank 1 \(Candidate D\) is than rank 2", tiers=[[d], [b, c], [a]], strengths=["", "much"])


def test_an_unknown_strength_is_refused_naming_the_pair_and_the_choices(leased):
    a, b, c, d = leased.display_order
    refused(
        leased,
        r"Rank 2 \(Candidate C\) over rank 3 \(Candidate B\): unknown preference strength 'hugely'; "
        r"choose slightly, clearly or much",
        tiers=[[d], [c], [b], [a]],
        strengths=["much", "hugely", "clearly"],
    )
    refused(leased, "unknown preference strength '3'", tiers=[[d], [c], [b], [a]], strengths=["much", 3, "clearly"])


def test_too_many_strengths_are_refused_with_both_counts(leased):
    refused(leased, "3 pairs of neighbouring ranks to judge, but 4 strengths", strengths=["much"] * 4)


def test_strengths_are_refused_where_the_project_does_not_collect_them(project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    refused(assignment, "does not collect preference strength", strengths=["much"] * 3)
    assert submit(assignment, tiers=reversed_tiers(assignment)).strengths == []


def test_all_candidates_tied_need_no_strength(leased):
    ranking = submit(leased, tiers=[sorted(leased.display_order)])
    assert ranking.strengths == []


def test_a_red_team_project_asks_how_much_more_harmful(strength_project, trainer):
    strength_project.red_team = True
    strength_project.save(update_fields=["red_team"])
    assignment = lease(strength_project, trainer)
    refused(assignment, r"Say how much more harmful rank 1 \(Candidate D\) is than rank 2 \(Candidate C\)")


def test_the_page_sends_strengths_as_one_radio_group_per_pair(strength_project, trainer, trainer_client):
    assignment = lease(strength_project, trainer)
    a, b, c, d = assignment.display_order
    url = reverse("rank_submit", args=[strength_project.slug, assignment.id])
    page = trainer_client.get(reverse("rank_next", args=[strength_project.slug])).content.decode()
    assert 'id="strengths"' in page and "Slightly better" in page and "rank-strength.js" in page

    refused_page = trainer_client.post(url, {"tiers": json.dumps([[d], [c], [b, a]]), "strength-1": "much"})
    assert refused_page.status_code == 200
    assert "Say how much better rank 1 (Candidate D) is than rank 2 (Candidate C)" in refused_page.content.decode()
    # The answers given come back with the page, for the pairs as the trainer left them.
    assert 'data-chosen=",much"' in refused_page.content.decode()

    response = trainer_client.post(
        url, {"tiers": json.dumps([[d], [c], [b, a]]), "strength-0": "clearly", "strength-1": "much"}
    )
    assert response.status_code == 302
    assert Ranking.objects.get(trainer=trainer).strengths == ["clearly", "much"]


def test_the_ranking_screen_has_no_strength_questions_where_the_option_is_off(project, trainer, trainer_client):
    ready_comparisons(project, 1)
    page = trainer_client.get(reverse("rank_next", args=[project.slug])).content.decode()
    assert "#cards" not in page and 'id="strengths"' not in page


def test_a_revision_replaces_the_strengths_and_the_history_shows_them(strength_project, trainer, trainer_client):
    assignment = lease(strength_project, trainer)
    a, b, c, d = assignment.display_order
    ranking = submit(assignment, tiers=[[d], [c], [b], [a]], strengths=["slightly", "clearly", "much"])
    history = reverse("rank_history", args=[strength_project.slug])
    assert "D slightly better than C" in trainer_client.get(history).content.decode()

    revise_url = reverse("ranking_revise", args=[strength_project.slug, ranking.id])
    page = trainer_client.get(revise_url).content.decode()
    assert 'data-chosen="slightly,clearly,much"' in page
    with pytest.raises(RankLabError, match=r"rank 2 \(Candidate B\) is than rank 3 \(Candidate A\)"):
        ranking_revise(
            trainer=trainer,
            project=Project.objects.get(id=strength_project.id),
            ranking_id=ranking.id,
            judgement=Judgement(tiers=[[c, d], [b], [a]], strengths=["much"]),
        )
    response = trainer_client.post(
        revise_url, {"tiers": json.dumps([[c, d], [b], [a]]), "strength-0": "much", "strength-1": "slightly"}
    )
    assert response.status_code == 302
    assert Ranking.objects.get(id=ranking.id).strengths == ["much", "slightly"]
    assert "C = D much better than B" in trainer_client.get(history).content.decode()


def test_the_lead_reads_each_rankings_strengths_on_the_comparison_and_review_pages(
    strength_project, trainer, lead_client
):
    assignment = lease(strength_project, trainer)
    a, b, c, d = assignment.display_order
    submit(assignment, tiers=[[d], [b, c], [a]], strengths=["much", "slightly"])
    letters = {candidate: chr(ord("A") + index) for index, candidate in enumerate(sorted([a, b, c, d]))}
    expected = f"{letters[d]} much better than {' = '.join(letters[x] for x in (b, c))}"
    args = [strength_project.slug, assignment.comparison_id]
    for name in ("comparison_browse_detail", "comparison_review"):
        assert expected in lead_client.get(reverse(name, args=args)).content.decode(), name


def test_a_user_of_another_project_gets_404_on_the_pages_that_show_strengths(
    strength_project, trainer, outsider_client
):
    assignment = lease(strength_project, trainer)
    ranking = submit(assignment, tiers=reversed_tiers(assignment), strengths=["much", "much", "much"])
    slug = strength_project.slug
    for url in (
        reverse("rank_next", args=[slug]),
        reverse("rank_history", args=[slug]),
        reverse("ranking_revise", args=[slug, ranking.id]),
        reverse("project_settings", args=[slug]),
    ):
        assert outsider_client.get(url).status_code == 404, url
    response = outsider_client.post(
        reverse("ranking_revise", args=[slug, ranking.id]), {"tiers": json.dumps(ranking.tiers), "strength-0": "much"}
    )
    assert response.status_code == 404
    assert Ranking.objects.get(id=ranking.id).revised_at is None
