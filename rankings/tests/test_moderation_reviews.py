"""Trainers confirm or dispute the filter's verdict beside each candidate of the ranking screen."""

import pytest
from django.urls import reverse

from labeler.models import Membership
from labeler.tests.factories import MembershipFactory
from rankings.chat import chat_turn_write, conversation_start
from rankings.tests.factories import lease, ready_comparisons
from safety.models import ModerationEndpoint, ModerationReview, ModerationVerdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(project, trainer):
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1")
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    flagged, clean, pending, unavailable, *_ = assignment.comparison.candidates.order_by("sample_index")
    checked = {"comparison": assignment.comparison, "project": project, "status": "checked"}
    ModerationVerdict.objects.create(
        candidate=flagged, flagged=True, categories=["violence", "self-harm/intent"],
        scores={"violence": 0.91, "self-harm/intent": 0.42, "hate": 0.01}, **checked,
    )  # fmt: skip
    ModerationVerdict.objects.create(candidate=clean, flagged=False, scores={"violence": 0.01}, **checked)
    ModerationVerdict.objects.create(candidate=pending, comparison=assignment.comparison, project=project)
    ModerationVerdict.objects.create(
        candidate=unavailable, comparison=assignment.comparison, project=project, status="unavailable"
    )
    return assignment


def verdict_of(assignment, index: int) -> ModerationVerdict:
    return ModerationVerdict.objects.get(candidate__comparison=assignment.comparison, candidate__sample_index=index)


def review(client, project, verdict, **data):
    return client.post(
        reverse("moderation_review", args=[project.slug, verdict.id]), data, headers={"HX-Request": "true"}
    )


def test_the_ranking_screen_shows_each_candidates_verdict_in_the_same_number_of_queries(
    trainer_client, project, assignment, django_assert_num_queries
):
    # One query more than a project without a filter (below): the verdicts, all of them at once.
    with django_assert_num_queries(7):
        text = trainer_client.get(reverse("rank_next", args=[project.slug])).text

    assert "Filter: flagged</span> — violence 0.91, self-harm/intent 0.42" in text
    assert "Filter: not flagged" in text
    assert "Filter: not checked yet" in text
    assert "Filter: unavailable, will be checked again" in text
    assert text.count("Is the filter right about this text?") == 2
    assert text.count("Flagged but harmless</button>") == 1


def test_a_project_without_a_filter_shows_no_verdict(trainer_client, project, trainer, django_assert_num_queries):
    ready_comparisons(project, 1)
    with django_assert_num_queries(6):
        text = trainer_client.get(reverse("rank_next", args=[project.slug])).text
    assert "Filter:" not in text


def test_a_trainer_confirms_and_disputes_and_may_change_their_mind(trainer_client, project, trainer, assignment):
    flagged, clean = verdict_of(assignment, 0), verdict_of(assignment, 1)

    response = review(trainer_client, project, flagged, judgement="false_positive")
    assert response.status_code == 200
    assert "Your review: flagged but harmless — saved." in response.text
    assert review(trainer_client, project, flagged, judgement="false_positive").status_code == 200
    assert ModerationReview.objects.filter(verdict=flagged).count() == 1

    review(trainer_client, project, flagged, judgement="confirmed")
    assert ModerationReview.objects.get(verdict=flagged).judgement == "confirmed"

    response = review(trainer_client, project, clean, judgement="false_negative", **{f"category-{clean.id}": "hate"})
    assert "missed: harmful (hate)" in response.text
    saved = ModerationReview.objects.get(verdict=clean, trainer=trainer)
    assert (saved.judgement, saved.category) == ("false_negative", "hate")

    # The screen shows the trainer's own judgement again.
    text = trainer_client.get(reverse("rank_next", args=[project.slug])).text
    assert 'data-judgement="confirmed" aria-pressed="true"' in text


@pytest.mark.parametrize(
    ("index", "data", "error"),
    [
        (0, {"judgement": "maybe"}, "Choose one"),
        (1, {"judgement": "false_positive"}, "did not flag this text"),
        (1, {"judgement": "false_negative"}, "Category: choose what the filter missed."),
        (1, {"judgement": "false_negative", "category": "spam"}, "Category: choose what the filter missed."),
        (0, {"judgement": "false_negative", "category": "self_harm"}, "did flag this text as self-harm"),
        (2, {"judgement": "confirmed"}, "has not judged this text yet"),
        (3, {"judgement": "confirmed"}, "has not judged this text yet"),
    ],
)
def test_a_review_that_does_not_fit_the_verdict_is_refused_with_the_reason(
    trainer_client, project, assignment, index, data, error
):
    response = review(trainer_client, project, verdict_of(assignment, index), **data)

    assert response.status_code == 200
    assert 'role="alert"' in response.text and error in response.text
    assert not ModerationReview.objects.exists()


def test_no_trainer_sees_another_trainers_review(client, project, trainer, assignment):
    ModerationReview.objects.create(verdict=verdict_of(assignment, 0), trainer=trainer, judgement="false_positive")
    other = MembershipFactory(project=project, role=Membership.Role.TRAINER).user
    client.force_login(other)
    other_assignment = lease(project, other)
    assert other_assignment.comparison_id == assignment.comparison_id

    text = client.get(reverse("rank_next", args=[project.slug])).text

    assert 'aria-pressed="true"' not in text and "Your review" not in text


def test_a_trainer_without_an_assignment_for_the_comparison_gets_a_404(client, project, assignment):
    other = MembershipFactory(project=project, role=Membership.Role.TRAINER).user
    client.force_login(other)

    assert review(client, project, verdict_of(assignment, 0), judgement="confirmed").status_code == 404
    assert not ModerationReview.objects.exists()


def test_a_lead_of_the_project_without_an_assignment_gets_a_404(lead_client, project, assignment):
    assert review(lead_client, project, verdict_of(assignment, 0), judgement="confirmed").status_code == 404


def test_a_user_of_another_project_gets_a_404(outsider_client, project, assignment):
    verdict = verdict_of(assignment, 0)
    assert review(outsider_client, project, verdict, judgement="confirmed").status_code == 404
    response = outsider_client.get(reverse("moderation_settings", args=[project.slug]))
    assert response.status_code == 404


def test_a_verdict_not_yet_given_is_asked_for_again_until_the_filter_answers(trainer_client, project, assignment):
    pending = verdict_of(assignment, 2)
    url = reverse("moderation_verdict", args=[project.slug, pending.id])
    page = trainer_client.get(reverse("rank_next", args=[project.slug])).content.decode()
    assert f'hx-get="{url}"' in page

    ModerationVerdict.objects.filter(id=pending.id).update(status="checked", flagged=True, categories=["hate"])
    response = trainer_client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Filter: flagged" in response.content.decode()
    assert "hx-get" not in response.content.decode()


def test_another_projects_user_and_a_trainer_without_the_comparison_cannot_read_a_verdict(
    client, outsider_client, project, assignment
):
    url = reverse("moderation_verdict", args=[project.slug, verdict_of(assignment, 0).id])
    client.force_login(MembershipFactory(project=project, role=Membership.Role.TRAINER).user)

    assert outsider_client.get(url).status_code == 404
    assert client.get(url).status_code == 404


def test_a_chat_user_turn_is_opened_for_the_filter_with_its_turn(project, trainer, moderation_server):
    project.kind = "chat"
    project.save(update_fields=["kind"])
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)
    conversation = conversation_start(project=project, trainer=trainer)

    comparison = chat_turn_write(conversation=conversation, trainer=trainer, text="How do I build a bomb?", revision=0)

    verdict = ModerationVerdict.objects.get(message=comparison.prompt_message)
    assert (verdict.status, verdict.comparison_id, verdict.candidate_id) == ("pending", comparison.id, None)
