"""A lead reviews a comparison, rules on it (the ruling becomes the consensus) and can make it gold."""

import json

import pytest
from django.urls import reverse

from labeler.models import Comparison, Membership
from labeler.queue import assignment_lease_next
from labeler.tests.factories import MembershipFactory
from rankings.adjudications import adjudication_save, ruling_start
from rankings.models import Adjudication
from rankings.stats import project_stats_refresh
from rankings.tests.stats_data import candidate_ids, comparison_with, rank, small_project
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


def review_url(comparison) -> str:
    return reverse("comparison_review", args=[comparison.project.slug, comparison.id])


def test_the_review_shows_every_ranking_side_by_side_escaped(lead_client, project):
    data = small_project(project)
    comparison = data["comparisons"][0]
    comparison.candidates.filter(sample_index=0).update(text="<img src=x onerror=alert(1)>")
    html = lead_client.get(review_url(comparison)).content.decode()
    for trainer in data["trainers"]:
        assert trainer.username in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Untruthful" in html
    assert "Consensus (ranked pairs)" in html


def test_the_review_shows_each_ranking_as_tiers_of_candidate_letters(lead_client, project):
    comparison = small_project(project)["comparisons"][1]  # ranked A › B › C and A › B = C
    html = lead_client.get(review_url(comparison)).content.decode()
    assert '<span class="tier">B = C</span>' in html
    assert "2.5" not in html and "1.5" not in html


def test_a_ruling_becomes_the_consensus_and_can_make_the_comparison_gold(
    lead_client, lead, project, django_capture_on_commit_callbacks
):
    comparison = small_project(project)["comparisons"][0]
    ids = candidate_ids(comparison)
    form = {"tiers": json.dumps([[ids[1]], [ids[0], ids[2]]]), "note": "B is right", "gold": "on"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = lead_client.post(review_url(comparison), form)
    assert response.status_code == 302 and response.url == review_url(comparison)
    adjudication = Adjudication.objects.get(comparison=comparison)
    assert adjudication.tiers == [[ids[1]], [ids[0], ids[2]]]
    assert (adjudication.lead, adjudication.note) == (lead, "B is right")
    assert Comparison.objects.get(id=comparison.id).is_gold
    assert len(callbacks) == 1  # the statistics are recomputed once it commits

    data = project_stats_refresh(project_id=project.id).data
    assert data["adjudicated"] == 1 and data["gold"]["with_truth"] == 1
    assert comparison.id not in [row["comparison"] for row in data["disagreements"]]
    html = lead_client.get(review_url(comparison)).content.decode()
    assert 'name="gold" checked' in html


def test_a_ruling_must_rank_every_candidate(lead_client, project):
    comparison = small_project(project)["comparisons"][0]
    ids = candidate_ids(comparison)
    response = lead_client.post(review_url(comparison), {"tiers": json.dumps([[ids[0]]])}, follow=True)
    assert "Rank every candidate of this comparison" in response.content.decode()
    response = lead_client.post(review_url(comparison), {"tiers": '[["x"]]'}, follow=True)
    assert "The ruling must be tiers of candidate ids" in response.content.decode()
    assert not Adjudication.objects.filter(comparison=comparison).exists()


def test_the_service_refuses_a_ruling_over_other_candidates(lead, project):
    comparison = small_project(project)["comparisons"][0]
    ids = candidate_ids(comparison)
    with pytest.raises(RankLabError, match="Rank every candidate"):
        adjudication_save(comparison=comparison, lead=lead, tiers=[[ids[0]], [ids[1]]])
    with pytest.raises(RankLabError, match="exactly one rank"):
        adjudication_save(comparison=comparison, lead=lead, tiers=[[ids[0]], [ids[0], ids[1], ids[2]]])
    assert not Adjudication.objects.exists()


def test_withdrawing_a_ruling_restores_the_trainers_consensus(lead_client, lead, project):
    comparison = small_project(project)["comparisons"][0]
    ids = candidate_ids(comparison)
    adjudication_save(comparison=comparison, lead=lead, tiers=[[ids[2]], [ids[1]], [ids[0]]], gold=True)
    response = lead_client.post(reverse("adjudication_remove", args=[project.slug, comparison.id]))
    assert response.status_code == 302
    assert not Adjudication.objects.filter(comparison=comparison).exists()
    assert not Comparison.objects.get(id=comparison.id).is_gold


def test_the_ruling_starts_from_the_lead_s_ruling_then_the_consensus_with_its_ties():
    assert ruling_start([[12], [10, 11]], [[10], [11], [12]], [10, 11, 12]) == ([[12], [10, 11]], "")
    assert ruling_start(None, [[11], [10, 12]], [10, 11, 12]) == ([[11], [10, 12]], "")


def test_a_fully_tied_consensus_prefills_no_decided_ruling():
    start, note = ruling_start(None, [[10, 11, 12]], [10, 11, 12])
    assert start == [[10], [11], [12]]
    assert "ties every candidate" in note
    assert ruling_start(None, [], [10, 11]) == ([[10], [11]], "No trainer has ranked this comparison yet.")


def test_a_fully_tied_consensus_is_said_on_the_review_page(lead_client, project):
    data = small_project(project)
    comparison = comparison_with(project, ["one", "two"])
    ids = candidate_ids(comparison)
    rank(comparison, data["trainers"][0], [[0], [1]])
    rank(comparison, data["trainers"][1], [[1], [0]])
    html = lead_client.get(review_url(comparison)).content.decode()
    assert "ties every candidate" in html
    assert html.index(f'data-id="{ids[0]}"') < html.index(f'data-id="{ids[1]}"')
    assert 'data-tied="1"' not in html


def test_a_lead_of_another_project_cannot_rule(outsider_client, project):
    comparison = small_project(project)["comparisons"][0]
    ids = candidate_ids(comparison)
    form = {"tiers": json.dumps([ids])}
    assert outsider_client.post(review_url(comparison), form).status_code == 404
    assert not Adjudication.objects.exists()


def test_a_comparison_of_another_project_is_not_found_from_this_one(lead_client, project):
    other = MembershipFactory(role=Membership.Role.LEAD).project
    comparison = comparison_with(other, ["x", "y"])
    url = reverse("comparison_review", args=[project.slug, comparison.id])
    assert lead_client.get(url).status_code == 404


def test_trainers_cannot_tell_a_gold_comparison(client, lead, project):
    """The ranking screen of a gold comparison is the same as any other's."""
    gold = comparison_with(project, ["first answer", "second answer", "third answer"])
    ids = candidate_ids(gold)
    adjudication_save(comparison=gold, lead=lead, tiers=[[ids[0]], [ids[1]], [ids[2]]], gold=True)
    trainer = MembershipFactory(project=project, role=Membership.Role.TRAINER).user
    client.force_login(trainer)
    html = client.get(reverse("rank_next", args=[project.slug])).content.decode()
    assert "first answer" in html
    assert "gold" not in html.lower()
    assert assignment_lease_next(project=project, trainer=trainer).comparison_id == gold.id
