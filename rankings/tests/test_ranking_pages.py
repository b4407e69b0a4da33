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


def test_the_next_page_takes_a_fixed_number_of_queries(trainer_client, project, django_assert_num_queries):
    ready_comparisons(project, 20)
    # user, project (the session comes from the cache); the lease (one call, see test_queue);
    # the candidates; the conversation with the personal data of all its texts; the progress line
    # (ranked today and left in the queue, one statement). Coming back to the same lease takes the
    # same six.
    with django_assert_num_queries(6):
        trainer_client.get(reverse("rank_next", args=[project.slug]))
    with django_assert_num_queries(6):
        trainer_client.get(reverse("rank_next", args=[project.slug]))


def test_the_query_count_does_not_grow_with_the_number_of_candidates(
    trainer_client, project, django_assert_num_queries
):
    project.k = 9
    project.save(update_fields=["k"])
    ready_comparisons(project, 3)
    with django_assert_num_queries(6):
        trainer_client.get(reverse("rank_next", args=[project.slug]))


def test_the_page_shows_the_cards_in_the_recorded_display_order(trainer_client, trainer, project):
    ready_comparisons(project, 1)
    response = trainer_client.get(reverse("rank_next", args=[project.slug]))
    assignment = Assignment.objects.get(trainer=trainer)
    shown = [int(x.split('"')[0]) for x in response.text.split('data-id="')[1:]]
    assert shown == assignment.display_order


def test_the_page_shows_no_other_trainers_ranking(client, project):
    from rankings.tests.factories import trainers_of

    ready_comparisons(project, 1)
    first, second = trainers_of(project, 2)
    done = lease(project, first)
    tiers = [[candidate] for candidate in reversed(done.display_order)]
    client.force_login(first)
    client.post(
        reverse("rank_submit", args=[project.slug, done.id]),
        {"tiers": json.dumps(tiers), "rationale": "A secret opinion about B.", f"flag-{tiers[0][0]}": "untruthful"},
    )
    client.force_login(second)
    response = client.get(reverse("rank_next", args=[project.slug]))
    assert 'id="cards"' in response.text
    assert "A secret opinion" not in response.text
    assert "checked" not in response.text


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


def test_a_lead_of_the_project_does_not_rank(lead_client, project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    assert lead_client.get(reverse("rank_next", args=[project.slug])).status_code == 404
    for name in ("rank_submit", "rank_skip"):
        assert lead_client.post(reverse(name, args=[project.slug, assignment.id])).status_code == 404
    assert Assignment.objects.filter(comparison__project=project).count() == 1


def test_a_plain_form_post_redirects_to_the_next_comparison(trainer_client, trainer, project):
    ready_comparisons(project, 2)
    assignment = lease(project, trainer)
    tiers = [[candidate] for candidate in reversed(assignment.display_order)]
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]), {"tiers": json.dumps(tiers)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("rank_next", args=[project.slug])
    assert Ranking.objects.get().tiers == tiers


def test_skipping_through_the_page_records_the_reason_and_moves_on(trainer_client, trainer, project):
    ready_comparisons(project, 2)
    assignment = lease(project, trainer)
    response = trainer_client.post(
        reverse("rank_skip", args=[project.slug, assignment.id]),
        {"reason": "I can't judge this topic", "other_reason": "  Needs a lawyer  "},
        headers={"HX-Request": "true"},
    )
    assert "Skipped." in response.text
    assignment.refresh_from_db()
    assert (assignment.status, assignment.skip_reason) == ("skipped", "Needs a lawyer")
    assert Assignment.objects.filter(trainer=trainer, status="active").exclude(id=assignment.id).count() == 1


def test_a_lease_lost_to_someone_else_moves_on_with_a_warning(trainer_client, trainer, project):
    from rankings.tests.factories import expire, trainers_of

    project.overlap = 1
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    expire(assignment)
    [other] = trainers_of(project, 1)
    lease(project, other)
    tiers = [[candidate] for candidate in reversed(assignment.display_order)]
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]),
        {"tiers": json.dumps(tiers)},
        headers={"HX-Request": "true"},
    )
    assert 'class="message warning"' in response.text
    assert "given to someone else" in response.text
    assert "Nothing left to rank" in response.text
    assert not Ranking.objects.exists()


@pytest.mark.parametrize(
    "tiers", ["not json", "5", '[["a", 1]]', '[[{"x": 1}]]', "[[1, 2], 3]", '{"a": 1}', "[[true]]"]
)
def test_a_malformed_ranking_is_refused_with_a_message_and_the_cards_as_shown(trainer_client, trainer, project, tiers):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]), {"tiers": tiers}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'class="message error"' in response.text
    shown = [int(x.split('"')[0]) for x in response.text.split('data-id="')[1:]]
    assert shown == assignment.display_order
    assert not Ranking.objects.exists()


def test_flag_labels_are_shown_escaped(trainer_client, project):
    project.flag_taxonomy = [{"key": "odd", "label": '<img src=x onerror="alert(1)"> & "quoted"'}]
    project.save(update_fields=["flag_taxonomy"])
    ready_comparisons(project, 1)
    response = trainer_client.get(reverse("rank_next", args=[project.slug]))
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quoted&quot;" in response.text
    assert 'value="odd">' in response.text
