"""Invitations by e-mail: the lead sends them from the members page, the link works once and not
after it expires, an address with an account joins at once, and there is no other way in."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from labeler.invitation_lists import Invitee
from labeler.invitations import invitations_create
from labeler.models import Invitation, Membership
from labeler.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/invitations/[^/\s]+/)")


@pytest.fixture
def invitee() -> Client:
    """Whoever opens the mailed link: not logged in."""
    return Client()


def invite_url(project) -> str:
    return reverse("project_invite", args=[project.slug])


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def invite(lead_client, project, addresses, role="trainer", **extra):
    return lead_client.post(invite_url(project), {"addresses": addresses, "role": role, **extra})


def test_a_lead_invites_a_list_and_each_person_gets_a_link(lead_client, project, lead):
    response = invite(lead_client, project, "ana@example.org\nben@example.org,lead")
    assert response.status_code == 302
    invitations = {i.email: i for i in Invitation.objects.filter(project=project)}
    assert {email: i.role for email, i in invitations.items()} == {
        "ana@example.org": "trainer",
        "ben@example.org": "lead",
    }
    assert [message.to for message in mail.outbox] == [["ana@example.org"], ["ben@example.org"]]
    assert project.name in mail.outbox[0].subject
    token = link_in(mail.outbox[0]).split("/")[2]
    # Only the hash of the link is stored.
    assert token not in {i.token_hash for i in invitations.values()}
    page = lead_client.get(reverse("project_members", args=[project.slug])).text
    assert 'data-invitation="ana@example.org"' in page and 'data-status="pending"' in page


def test_an_uploaded_csv_invites_the_same_way(lead_client, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.csv", b"email,role\nana@example.org,trainer\nben@example.org\n")
    response = lead_client.post(invite_url(project), {"csv_file": upload, "role": "lead"})
    assert response.status_code == 302
    assert dict(Invitation.objects.values_list("email", "role")) == {
        "ana@example.org": "trainer",
        "ben@example.org": "lead",
    }


def test_a_list_with_a_wrong_line_invites_nobody_and_names_the_line(lead_client, project, trainer):
    response = invite(lead_client, project, f"ana@example.org\nana.example.org\n{trainer.email}")
    assert response.status_code == 200
    assert "Nobody was invited" in response.text
    assert "line 2: &#x27;ana.example.org&#x27; is not an e-mail address" in response.text
    assert not Invitation.objects.exists() and not mail.outbox
    response = invite(lead_client, project, f"ana@example.org\n{trainer.email.upper()}")
    assert f"line 2: {trainer.email} is already a member of this project" in response.text
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_address_with_an_account_is_added_at_once_and_told_by_mail(lead_client, project):
    someone = UserFactory(email="Dana@Example.org")
    response = invite(lead_client, project, "dana@example.org,lead")
    assert response.status_code == 302
    assert Membership.objects.get(project=project, user=someone).role == Membership.Role.LEAD
    assert not Invitation.objects.exists()
    assert mail.outbox[0].to == ["Dana@Example.org"]
    assert "You have been added" in mail.outbox[0].subject
    assert f"/p/{project.slug}/" in mail.outbox[0].body


def test_the_invitee_chooses_a_username_and_password_and_lands_on_the_project(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    link = link_in(mail.outbox[0])
    page = invitee.get(link)
    assert page.status_code == 200 and project.name in page.text and "ana@example.org" in page.text
    response = invitee.post(
        link, {"username": "ana", "password1": "a long new pass-phrase", "password2": "a long new pass-phrase"}
    )
    assert response.status_code == 302 and response.url == f"/p/{project.slug}/"
    ana = get_user_model().objects.get(username="ana")
    assert ana.email == "ana@example.org" and ana.check_password("a long new pass-phrase")
    assert Membership.objects.get(project=project, user=ana).role == Membership.Role.TRAINER
    assert invitee.get(response.url).status_code == 200  # logged in
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == ana and invitation.status_at(timezone.now()) == Invitation.Status.ACCEPTED


def test_the_password_rules_apply(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    link = link_in(mail.outbox[0])
    response = invitee.post(link, {"username": "ana", "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert not get_user_model().objects.filter(username="ana").exists()


def test_a_used_link_is_refused(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    link = link_in(mail.outbox[0])
    invitee.post(
        link, {"username": "ana", "password1": "a long new pass-phrase", "password2": "a long new pass-phrase"}
    )
    again = invitee.post(
        link, {"username": "eve", "password1": "a long new pass-phrase", "password2": "a long new pass-phrase"}
    )
    assert again.status_code == 410 and "used already" in again.text
    assert not get_user_model().objects.filter(username="eve").exists()


def test_an_expired_link_is_refused(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = invitee.get(link_in(mail.outbox[0]))
    assert response.status_code == 410 and "expired" in response.text


def test_an_expired_invitation_shows_as_expired_and_can_be_sent_again(lead_client, project):
    invite(lead_client, project, "ana@example.org")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = lead_client.get(reverse("project_members", args=[project.slug])).text
    assert 'data-status="expired"' in page
    old_link = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    lead_client.post(reverse("invitation_resend", args=[project.slug, invitation.id]))
    new_link = link_in(mail.outbox[1])
    assert new_link != old_link
    assert lead_client.get(old_link).status_code == 404
    assert lead_client.get(new_link).status_code == 200


def test_a_revoked_link_is_refused(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    invitation = Invitation.objects.get()
    lead_client.post(reverse("invitation_revoke", args=[project.slug, invitation.id]))
    assert 'data-status="revoked"' in lead_client.get(reverse("project_members", args=[project.slug])).text
    response = invitee.get(link_in(mail.outbox[0]))
    assert response.status_code == 410 and "withdrawn" in response.text


def test_inviting_again_replaces_the_earlier_link(lead_client, project):
    invite(lead_client, project, "ana@example.org")
    invite(lead_client, project, "ana@example.org")
    first, second = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    assert lead_client.get(first).status_code == 410
    assert lead_client.get(second).status_code == 200


def test_resending_an_older_invitation_ends_the_newer_ones_link(lead_client, project):
    invite(lead_client, project, "ana@example.org")
    invite(lead_client, project, "ana@example.org")
    older = Invitation.objects.order_by("id").first()
    lead_client.post(reverse("invitation_resend", args=[project.slug, older.id]))
    assert lead_client.get(link_in(mail.outbox[1])).status_code == 410
    assert lead_client.get(link_in(mail.outbox[2])).status_code == 200


def test_an_unknown_link_is_not_found(client):
    assert client.get(reverse("invitation_accept", args=["made-up"])).status_code == 404


def test_an_address_that_got_an_account_meanwhile_joins_with_it(invitee, lead_client, project):
    invite(lead_client, project, "ana@example.org")
    ana = UserFactory(username="ana-elsewhere", email="ana@example.org")
    link = link_in(mail.outbox[0])
    assert "ana-elsewhere" in invitee.get(link).text
    response = invitee.post(link)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Membership.objects.filter(project=project, user=ana).exists()
    assert get_user_model().objects.filter(email="ana@example.org").count() == 1


def test_a_lead_cannot_touch_another_projects_invitations(client, project, outsider):
    invitations_create(
        project=project,
        invitees=[Invitee(line=1, email="ana@example.org", role="trainer")],
        invited_by=None,
        site_url="http://testserver",
    )
    invitation = Invitation.objects.get()
    other = Membership.objects.get(user=outsider).project
    client.force_login(outsider)
    client.post(reverse("invitation_revoke", args=[other.slug, invitation.id]))
    client.post(reverse("invitation_resend", args=[other.slug, invitation.id]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and len(mail.outbox) == 1


def test_there_is_no_sign_up_page(client):
    from django.urls import get_resolver

    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    assert not {name for name in names if "signup" in name or "register" in name}
    assert client.get("/accounts/signup/").status_code == 404
    assert client.get("/signup/").status_code == 404


def test_a_trainer_cannot_invite(client, project, trainer):
    client.force_login(trainer)
    assert client.post(invite_url(project), {"addresses": "x@example.org", "role": "lead"}).status_code == 404
    assert not Invitation.objects.exists()


def test_the_mail_server_being_down_keeps_the_invitation_for_a_resend(lead_client, project, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = invite(lead_client, project, "ana@example.org")
    assert response.status_code == 302
    page = lead_client.get(reverse("project_members", args=[project.slug])).text
    assert "could not be sent" in page and 'data-invitation="ana@example.org"' in page
    assert Invitation.objects.count() == 1


def test_a_lead_invited_by_another_lead_becomes_a_lead(invitee, lead_client, project):
    invite(lead_client, project, "ben@example.org", role="lead")
    invitee.post(
        link_in(mail.outbox[0]),
        {"username": "ben", "password1": "a long new pass-phrase", "password2": "a long new pass-phrase"},
    )
    ben = get_user_model().objects.get(username="ben")
    assert Membership.objects.get(project=project, user=ben).role == Membership.Role.LEAD
    assert Membership.objects.filter(project=project, role=Membership.Role.LEAD).count() == 2
