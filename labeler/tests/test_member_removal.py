"""The members page never offers to remove the only lead, and every removal asks first."""

import pytest
from django.urls import reverse

from labeler.models import Membership
from labeler.tests.browser import login
from labeler.tests.factories import MembershipFactory


def members_url(project) -> str:
    return reverse("project_members", args=[project.slug])


def remove_url(membership) -> str:
    return reverse("project_member_remove", args=[membership.project.slug, membership.id])


@pytest.mark.django_db
def test_the_only_lead_has_no_remove_button_and_the_trainers_ask_first(lead_client, project, lead, trainer):
    html = lead_client.get(members_url(project)).text
    lead_membership = Membership.objects.get(project=project, user=lead)
    trainer_membership = Membership.objects.get(project=project, user=trainer)
    assert remove_url(lead_membership) not in html and "the only lead" in html
    assert remove_url(trainer_membership) in html
    assert f'data-confirm="Remove {trainer.username} from {project.name}? Their rankings stay."' in html


@pytest.mark.django_db
def test_with_two_leads_either_may_be_removed(lead_client, project, lead):
    second = MembershipFactory(project=project, role=Membership.Role.LEAD)
    html = lead_client.get(members_url(project)).text
    assert remove_url(second) in html
    assert remove_url(Membership.objects.get(project=project, user=lead)) in html
    assert "the only lead" not in html


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_removal_happens_only_once_the_lead_confirms(page, live_server, project, lead, trainer):
    login(page, live_server, lead)
    page.goto(live_server.url + members_url(project))
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("button:has-text('Remove')")
    assert questions == [f"Remove {trainer.username} from {project.name}? Their rankings stay."]
    assert Membership.objects.filter(project=project, user=trainer).exists()

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.click("button:has-text('Remove')")
    assert not Membership.objects.filter(project=project, user=trainer).exists()
    assert page.locator("button:has-text('Remove')").count() == 0  # the only lead is left
