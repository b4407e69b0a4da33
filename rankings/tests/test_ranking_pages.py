import json

import pytest
from django.urls import reverse

from labeler.models import Assignment
from rankings.models import Ranking
from rankings.tests.factories import lease, ready_comparisons

pytestmark = pytest.mark.django_db


def test_a_trainer_gets_a_comparison_to_rank(trainer_client, project):
    ready_comparisons(project, 1)
    response = trainer_client.get(reverse("rank_next", args=[project.slug]))
    assert response.status_code == 200
    assert 'id="cards"' in response.text
    assert Assignment.objects.count() == 1


def test_a_finished_queue_says_so(trainer_client, project):
    response = trainer_client.get(reverse("rank_next", args=[project.slug]))
    assert "Nothing left to rank" in response.text


def test_the_next_page_needs_a_bounded_number_of_queries(trainer_client, project, django_assert_max_num_queries):
    ready_comparisons(project, 20)
    with django_assert_max_num_queries(16):
        trainer_client.get(reverse("rank_next", args=[project.slug]))


def test_submitting_with_htmx_swaps_in_the_next_comparison(trainer_client, trainer, project):
    ready_comparisons(project, 2)
    assignment = lease(project, trainer)
    tiers = [[candidate] for candidate in reversed(assignment.display_order)]
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]),
        {"tiers": json.dumps(tiers), "duration_ms": "1200"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Ranking saved." in response.text
    assert Ranking.objects.get().tiers == tiers
    assert Assignment.objects.filter(status="active").count() == 1


def test_a_rejected_submission_keeps_what_the_trainer_did(trainer_client, trainer, project):
    project.rationale_required = True
    project.save(update_fields=["rationale_required"])
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    tiers = [[candidate] for candidate in reversed(assignment.display_order)]
    flagged = assignment.display_order[0]
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]),
        {"tiers": json.dumps(tiers), f"flag-{flagged}": "untruthful"},
        headers={"HX-Request": "true"},
    )
    assert "asks for a rationale" in response.text
    order = [int(x) for x in response.text.split('data-id="')[1:] for x in [x.split('"')[0]]]
    assert order == [tier[0] for tier in tiers]
    assert 'value="untruthful" checked' in response.text
    assert not Ranking.objects.exists()


@pytest.mark.parametrize("name", ["rank_next"])
def test_a_user_of_another_project_gets_404(outsider_client, project, name):
    assert outsider_client.get(reverse(name, args=[project.slug])).status_code == 404


def test_a_user_of_another_project_cannot_submit_or_skip(outsider_client, project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    for name in ("rank_submit", "rank_skip"):
        assert outsider_client.post(reverse(name, args=[project.slug, assignment.id])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == "active"
