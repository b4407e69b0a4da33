"""A lead pauses a trainer: the comparisons they held go back, the queue and the submit refuse
them with a page that says why, and resuming lets them rank again."""

import json

import pytest
from django.urls import reverse

from labeler.models import Assignment, Membership
from labeler.projects import membership_pause, membership_set
from labeler.queue import assignment_lease_next
from labeler.selectors import MembershipPaused, project_get_for_trainer
from rankings.models import Ranking
from rankings.tests.factories import lease, ready_comparisons, skip, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership(project, trainer):
    return Membership.objects.get(project=project, user=trainer)


def pause(client, project, membership):
    return client.post(reverse("project_member_pause", args=[project.slug, membership.id]))


def test_pausing_releases_the_comparisons_the_trainer_held(client, project, lead, trainer, membership):
    ready_comparisons(project, 2)
    held = lease(project, trainer)
    client.force_login(lead)
    assert pause(client, project, membership).status_code == 302
    membership.refresh_from_db()
    assert membership.paused_at is not None
    held.refresh_from_db()
    assert held.status == Assignment.Status.EXPIRED
    page = client.get(reverse("project_members", args=[project.slug])).text
    assert 'data-status="paused"' in page and "Resume" in page


def test_a_paused_trainer_gets_no_comparison_and_is_told_why(client, project, trainer, membership):
    ready_comparisons(project, 2)
    membership_pause(project=project, membership_id=membership.id)
    client.force_login(trainer)
    response = client.get(reverse("rank_next", args=[project.slug]))
    assert response.status_code == 403
    assert f"Your lead has paused your work in {project.name}" in response.text
    assert not Assignment.objects.filter(trainer=trainer).exists()
    home = client.get(reverse("home")).text
    assert "data-paused" in home and reverse("rank_next", args=[project.slug]) not in home


def test_the_lease_service_gives_a_paused_trainer_nothing(project, trainer, membership, lease_path):
    ready_comparisons(project, 2)
    membership_pause(project=project, membership_id=membership.id)
    assert assignment_lease_next(project=project, trainer=trainer) is None
    assert not Assignment.objects.filter(trainer=trainer).exists()


def test_a_paused_trainer_cannot_submit_what_they_held(client, project, trainer, membership):
    comparison = ready_comparisons(project, 1)[0]
    held = lease(project, trainer)
    membership_pause(project=project, membership_id=membership.id)
    client.force_login(trainer)
    tiers = [[candidate] for candidate in reversed(held.display_order)]
    url = reverse("rank_submit", args=[project.slug, held.id])
    response = client.post(url, {"tiers": json.dumps(tiers), "duration_ms": "1000"})
    assert response.status_code == 403 and "paused" in response.text
    assert not Ranking.objects.filter(comparison=comparison).exists()
    # The ranking screen's htmx request reloads the page, which then says why.
    response = client.post(url, {"tiers": json.dumps(tiers)}, headers={"HX-Request": "true"})
    assert response.status_code == 403 and response["HX-Refresh"] == "true"
    skip = client.post(reverse("rank_skip", args=[project.slug, held.id]), {"reason": "tired"})
    assert skip.status_code == 403


def test_the_submit_service_refuses_a_trainer_paused_after_the_page_was_checked(project, trainer, membership):
    ready_comparisons(project, 1)
    held = lease(project, trainer)
    checked = project_get_for_trainer(user=trainer, slug=project.slug)
    membership_pause(project=project, membership_id=membership.id)
    with pytest.raises(MembershipPaused):
        submit(held, tiers=[[candidate] for candidate in reversed(held.display_order)], project=checked)
    with pytest.raises(MembershipPaused):
        skip(held, reason="tired")
    assert not Ranking.objects.exists()


def test_resuming_lets_the_trainer_rank_again(client, project, lead, trainer, membership):
    ready_comparisons(project, 1)
    membership_pause(project=project, membership_id=membership.id)
    client.force_login(lead)
    client.post(reverse("project_member_resume", args=[project.slug, membership.id]))
    client.force_login(trainer)
    response = client.get(reverse("rank_next", args=[project.slug]))
    assert response.status_code == 200
    assert Assignment.objects.filter(trainer=trainer, status=Assignment.Status.ACTIVE).count() == 1


def test_a_lead_cannot_be_paused(client, project, lead):
    lead_membership = Membership.objects.get(project=project, user=lead)
    client.force_login(lead)
    response = client.post(reverse("project_member_pause", args=[project.slug, lead_membership.id]), follow=True)
    assert "Only trainers can be paused" in response.text
    lead_membership.refresh_from_db()
    assert lead_membership.paused_at is None


def test_the_pause_asks_first(client, project, lead, membership):
    client.force_login(lead)
    page = client.get(reverse("project_members", args=[project.slug])).text
    assert f'data-confirm="Pause {membership.user.username}?' in page


def test_a_paused_trainer_is_paused_in_that_project_only(client, project, trainer, membership):
    from labeler.tests.factories import MembershipFactory, ProjectFactory

    elsewhere = ProjectFactory()
    MembershipFactory(project=elsewhere, user=trainer)
    ready_comparisons(elsewhere, 1)
    membership_pause(project=project, membership_id=membership.id)
    client.force_login(trainer)
    assert client.get(reverse("rank_next", args=[elsewhere.slug])).status_code == 200


def test_a_paused_trainer_made_lead_is_no_longer_paused(project, trainer, membership):
    membership_pause(project=project, membership_id=membership.id)
    membership_set(project=project, username=trainer.username, role=Membership.Role.LEAD)
    membership.refresh_from_db()
    assert membership.role == Membership.Role.LEAD and membership.paused_at is None
